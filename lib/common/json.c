/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

int berth__json_load_file(json_t **out, const char *path, const char *what)
{
	char *buf;
	size_t len;
	int r = berth__read_file(&buf, &len, path);
	if (r < 0)
		return r;
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!j)
		return berth__err(BERTH_EINVAL, "%s %s: malformed JSON at line %d column %d: %s", what, path,
		                  je.line, je.column, je.text);
	*out = j;
	return 0;
}

char *berth__json_dump(const json_t *j, int pretty)
{
	char *s = json_dumps(j, pretty ? JSON_INDENT(2) : JSON_COMPACT);
	if (!s)
		berth__err_nomem();
	return s;
}

int berth__json_save_file(json_t *j, const char *path)
{
	/* compact: these files are read by programs (berth inspect pretty-prints) */
	char *s = berth__json_dump(j, 0);
	if (!s)
		return BERTH_ENOMEM;
	size_t n = strlen(s);
	int r = berth__write_file_atomic(path, s, n, 0600);
	free(s);
	return r;
}
