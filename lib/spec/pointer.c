/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Reading a berth_spec: berth_spec_get() and its RFC 6901 JSON-pointer reader. */
#include "spec_priv.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- reading */

/* RFC 6901: "" is the whole document, else "/" separated tokens with ~1 for
 * '/' and ~0 for '~'. */
static int json_pointer(const json_t **out, const json_t *doc, const char *ptr)
{
	const json_t *cur = doc;
	if (!ptr[0]) {
		*out = cur;
		return 0;
	}
	if (ptr[0] != '/')
		return berth__err(BERTH_EINVAL, "JSON pointer '%s': must be empty or start with '/'", ptr);
	size_t n = strlen(ptr);
	char *tok = malloc(n + 1);
	if (!tok)
		return berth__err_nomem();
	const char *p = ptr + 1;
	int r = 0;
	for (;;) {
		size_t k = 0;
		for (; *p && *p != '/'; p++) {
			if (*p == '~') {
				if (p[1] == '0')
					tok[k++] = '~';
				else if (p[1] == '1')
					tok[k++] = '/';
				else {
					r = berth__err(BERTH_EINVAL, "JSON pointer '%s': '~' must be followed by 0 or 1", ptr);
					goto out;
				}
				p++;
			} else {
				tok[k++] = *p;
			}
		}
		tok[k] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, tok, k);
		} else if (json_is_array(cur)) {
			int digits = k > 0 && (k == 1 || tok[0] != '0');
			for (size_t i = 0; i < k && digits; i++)
				digits = isdigit((unsigned char)tok[i]);
			if (!digits) {
				if (strcmp(tok, "-") != 0) {
					r = berth__err(BERTH_EINVAL, "JSON pointer '%s': '%s' is not an array index", ptr, tok);
					goto out;
				}
				cur = NULL;
			} else {
				errno = 0;
				unsigned long long idx = strtoull(tok, NULL, 10);
				cur = errno ? NULL : json_array_get(cur, (size_t)idx);
			}
		} else {
			cur = NULL;
		}
		if (!cur) {
			r = berth__err(BERTH_ENOTFOUND, "spec %s: not found", ptr);
			goto out;
		}
		if (!*p)
			break;
		p++; /* past '/' */
	}
	*out = cur;
out:
	free(tok);
	return r;
}

BERTH_EXTERN int berth_spec_get(char **out, const berth_spec *spec, const char *json_pointer_str)
{
	int r;
	if (!out)
		return berth__err(BERTH_EINVAL, "spec get: NULL argument");
	if ((r = berth__spec_check(spec, "spec get")) < 0)
		return r;
	if (!json_pointer_str)
		return berth__err(BERTH_EINVAL, "spec get: NULL JSON pointer");
	/* the document as berth_spec_to_json() writes it: "/berth/ports" too */
	json_t *doc = berth__spec_json_with_ext(spec->root, &spec->ext);
	const json_t *v = NULL;
	if (!doc)
		return BERTH_ENOMEM;
	if ((r = json_pointer(&v, doc, json_pointer_str)) < 0) {
		json_decref(doc);
		return r;
	}
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(doc);
	if (!s)
		return berth__err_nomem();
	*out = s;
	return berth__spec_ok();
}
