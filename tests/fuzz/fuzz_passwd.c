/* SPDX-License-Identifier: LGPL-2.1-or-later
 * An image's /etc/passwd and /etc/group (lib/common/util.c, berth__id_file_
 * lookup: USER of an image, the builder's USER and COPY --chown): any text
 * looked up by name and by id, and compared with the format itself: the
 * first line whose field 1 is the name (fields separated by ':', any of them
 * may be empty) gives field 3 as the id and field 4 as the group. */
#include "fuzz_common.h"
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reference: 1 found (id, gid set), 0 not. */
static int expect(const char *text, const char *name, long want, long *id, long *gid)
{
	char *copy = strdup(text), *save = NULL;
	int found = 0;
	for (char *line = strtok_r(copy, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { 0 }, *p = line;
		for (int i = 0; i < 4 && p; i++)
			f[i] = strsep(&p, ":");
		if (!f[0] || !*f[0] || !f[2] || !*f[2])
			continue;
		long v = strtol(f[2], NULL, 10);
		if (name ? !strcmp(f[0], name) : v == want) {
			*id = v;
			*gid = f[3] && *f[3] ? strtol(f[3], NULL, 10) : -1;
			found = 1;
		}
	}
	free(copy);
	return found;
}

static void check(const char *text, const char *name, long want)
{
	long id = want, gid = -2, eid = 0, egid = 0;
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	FZ_ASSERT(f != NULL, "fmemopen");
	int found = berth__id_file_lookup(f, name, &id, &gid) == 0;
	fclose(f);
	int efound = expect(text, name, want, &eid, &egid);
	FZ_ASSERT(found == efound, "'%s' (id %ld): found %d, the format says %d", name ? name : "", want, found,
	          efound);
	if (found)
		FZ_ASSERT(id == eid && gid == egid, "'%s' (id %ld): %ld:%ld, the format says %ld:%ld", name ? name : "",
		          want, id, gid, eid, egid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_str(data, size);
	/* lines the reader cuts (1023 bytes and more) are out of the comparison */
	for (char *l = text, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if ((nl ? (size_t)(nl - l) : strlen(l)) >= 1023)
			goto out;
		if (!nl)
			break;
	}
	check(text, "root", 0);
	check(text, "user", 0);
	check(text, NULL, 0);
	check(text, NULL, 1000);
out:
	free(text);
	return 0;
}
