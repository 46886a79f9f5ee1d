/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The on-disk cache of compiled seccomp programs: a hit gives the very
 * program libseccomp makes, a damaged entry is recompiled, a different
 * profile gets a different entry. */
#include "testutil.h"
#include "internal.h"
#include "security/security.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/berth-sccache-XXXXXX";

static int only_entry(char *path, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int count = 0;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, n, "%s/%s", dir, de->d_name);
			count++;
		}
	if (d)
		closedir(d);
	return count;
}

START_TEST(cache_hit_equals_compile)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json_t *prof = berth__seccomp_default(0xa80425fbull);
	struct sock_fprog direct, first, second;
	ck_assert_int_eq(berth__seccomp_compile(&direct, prof), 0);
	ck_assert_int_eq(berth__seccomp_compile_cached(&first, prof, dir), 0);
	char path[512];
	ck_assert_int_eq(only_entry(path, sizeof path), 1);
	ck_assert_int_eq(berth__seccomp_compile_cached(&second, prof, dir), 0);
	ck_assert_int_eq(direct.len, first.len);
	ck_assert_int_eq(direct.len, second.len);
	ck_assert_int_eq(memcmp(direct.filter, second.filter, direct.len * sizeof(struct sock_filter)), 0);
	free(second.filter);

	/* a damaged entry (not a whole number of instructions) is recompiled and rewritten */
	FILE *f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	ck_assert_int_eq(berth__seccomp_compile_cached(&second, prof, dir), 0);
	ck_assert_int_eq(second.len, direct.len);
	ck_assert_int_eq(memcmp(direct.filter, second.filter, direct.len * sizeof(struct sock_filter)), 0);
	free(second.filter);

	/* another profile, another entry */
	json_t *all = berth__seccomp_default(~0ull >> (63 - berth__cap_last()));
	ck_assert_int_eq(berth__seccomp_compile_cached(&second, all, dir), 0);
	ck_assert_int_eq(only_entry(path, sizeof path), 2);
	ck_assert_int_ne(second.len == direct.len && !memcmp(direct.filter, second.filter, direct.len * 8), 1);
	free(second.filter);
	free(first.filter);
	free(direct.filter);
	json_decref(prof);
	json_decref(all);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seccomp_cache");
	TCase *t = tcase_create("cache");
	tcase_add_test(t, cache_hit_equals_compile);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
