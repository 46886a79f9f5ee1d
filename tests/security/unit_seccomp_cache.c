/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The on-disk cache of compiled seccomp programs: a hit gives the very
 * program libseccomp makes, a damaged entry is recompiled, a different
 * profile gets a different entry. */
#include "testutil.h"
#include "internal.h"
#include "security/security.h"
#include <dirent.h>
#include <seccomp.h>
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
		if (strstr(de->d_name, ".bpf")) { /* not the libseccomp.version record */
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

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The cache key asks the libseccomp a compile would load, and remembers its
 * answer with the identity of the library's file, so that a cache hit does
 * not load libseccomp: the record is used while it holds, and only then. */
START_TEST(runtime_version_remembered)
{
	char d[] = "/tmp/berth-scver-XXXXXX", real[32], v[32], record[64], *text;
	ck_assert_ptr_nonnull(mkdtemp(d));
	snprintf(real, sizeof real, "%u.%u.%u", SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
	snprintf(record, sizeof record, "%s/libseccomp.version", d);
	tu_ok(berth__seccomp_runtime_version(v, sizeof v, d));
	ck_assert_str_eq(v, real);
	size_t len;
	tu_ok(berth__read_file(&text, &len, record));
	ck_assert_msg(strncmp(text, real, strlen(real)) == 0 && strstr(text, "/libseccomp.so."), "%s", text);

	/* the same record with another version: believed while the files are unchanged */
	char *forged = berth__sprintf("9.9.9%s", text + strlen(real));
	write_text(record, forged);
	tu_ok(berth__seccomp_runtime_version(v, sizeof v, d));
	ck_assert_str_eq(v, "9.9.9");
	/* ... not when LD_LIBRARY_PATH may point the loader elsewhere (and rewritten) */
	setenv("LD_LIBRARY_PATH", "/nonexistent", 1);
	tu_ok(berth__seccomp_runtime_version(v, sizeof v, d));
	unsetenv("LD_LIBRARY_PATH");
	ck_assert_str_eq(v, real);
	tu_ok(berth__seccomp_runtime_version(v, sizeof v, d));
	ck_assert_str_eq(v, real);
	/* ... not when the library's file is another (its inode, second field) */
	unsigned long long dev, ino;
	int at;
	ck_assert_int_eq(sscanf(forged, "9.9.9 %llu %llu%n", &dev, &ino, &at), 2);
	char *other = berth__sprintf("9.9.9 %llu %llu%s", dev, ino + 1, forged + at);
	write_text(record, other);
	tu_ok(berth__seccomp_runtime_version(v, sizeof v, d));
	ck_assert_str_eq(v, real);
	/* ... nor when the record is not this user's */
	write_text(record, forged);
	ck_assert_int_eq(chown(record, 65534, 65534), 0);
	tu_ok(berth__seccomp_runtime_version(v, sizeof v, d));
	ck_assert_str_eq(v, real);
	/* without a cache directory: asked, nothing written */
	tu_ok(berth__seccomp_runtime_version(v, sizeof v, NULL));
	ck_assert_str_eq(v, real);

	free(other);
	free(forged);
	free(text);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", d);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_ne(access(d, F_OK), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seccomp_cache");
	TCase *t = tcase_create("cache");
	tcase_add_test(t, cache_hit_equals_compile);
	tcase_add_test(t, runtime_version_remembered);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
