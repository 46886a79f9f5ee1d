/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The names in a directory, sorted: the one helper for walking a tree in a
 * reproducible order (layer tars, content hashes). */
#include "internal.h"
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int berth__dir_names(char ***out, size_t *out_n, DIR *d)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof *nn);
			if (!nn) {
				r = berth__err_nomem();
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = berth__err_nomem();
			break;
		}
		n++;
	}
	char **v = NULL;
	if (r == 0) {
		if (n)
			qsort(names, n, sizeof *names, cmp_names);
		if (!(v = berth__strv_pack(names, n)))
			r = BERTH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r < 0)
		return r;
	*out = v;
	*out_n = n;
	return 0;
}
