/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What a pull may make the store take (lib/image/store_limits.c), sizes as
 * users write them (lib/common/options.c), versioned options, and temp
 * entries whose owner is gone (lib/image/store_tmp.c). */
#include "testutil.h"
#include "image/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *msg(void) { return berth_error_last()->message ? berth_error_last()->message : ""; }
#define ck_msg_has(s) ck_assert_msg(strstr(msg(), (s)) != NULL, "message '%s' lacks '%s'", msg(), (s))

START_TEST(parse_and_format_sizes)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "1024", 1024 }, { "1k", 1024 }, { "1K", 1024 }, { "1kb", 1024 }, { "1KiB", 1024 },
		{ "10m", 10u << 20 }, { "1.5g", 3ull << 29 }, { "2t", 2ull << 40 }, { "1p", 1ull << 50 }, { "7b", 7 },
		{ "18446744073709551615", UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t v = 1;
		ck_assert_msg(berth__parse_size(&v, ok[i].s) == 0, "%s", ok[i].s);
		ck_assert_msg(v == ok[i].v, "%s: %llu", ok[i].s, (unsigned long long)v);
	}
	static const char *const bad[] = { "", "k", "-1", "+1", "1x", "1kk", "1 k", "1.5", "18446744073709551616",
		                             "16777216t", "lots", "1ib" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 7;
		ck_assert_msg(berth__parse_size(&v, bad[i]) < 0, "'%s' accepted", bad[i]);
		ck_assert_int_eq(v, 7);
	}
	char b[32];
	berth__format_size(b, sizeof b, 812);
	ck_assert_str_eq(b, "812 B");
	berth__format_size(b, sizeof b, 1ull << 40);
	ck_assert_str_eq(b, "1.0 TiB");
	berth__format_size(b, sizeof b, 43164913254ull); /* 40.2 GiB */
	ck_assert_str_eq(b, "40.2 GiB");
	berth__format_size(b, sizeof b, UINT64_MAX);
	ck_assert_str_eq(b, "16.0 EiB");
}
END_TEST

START_TEST(options_versions)
{
	/* version 1 of berth_ctx_options ends before max_blob_size */
	static const size_t sizes[] = { offsetof(berth_ctx_options, max_blob_size), sizeof(berth_ctx_options) };
	berth_ctx_options d = BERTH_CTX_OPTIONS_INIT, v1;
	memset(&v1, 0xab, sizeof v1);
	v1.version = 1;
	v1.log_level = BERTH_LOG_DEBUG;
	d.max_blob_size = 5;
	ck_assert_int_eq(berth__options_copy(&d, &v1, sizes, 2, "ctx"), 0);
	ck_assert_int_eq(d.version, 2);
	ck_assert_int_eq(d.log_level, BERTH_LOG_DEBUG);
	ck_assert_int_eq(d.max_blob_size, 5); /* beyond version 1: the default stays */
	v1.version = 3;
	ck_assert_int_eq(berth__options_copy(&d, &v1, sizes, 2, "ctx"), BERTH_EINVAL);
	ck_msg_has("ctx: unknown version 3 (this library knows 1 to 2;");
	v1.version = 0;
	ck_assert_int_eq(berth__options_copy(&d, &v1, sizes, 2, "ctx"), BERTH_EINVAL);
}
END_TEST

/* A store under a fresh root with these limits (the context is made by hand:
 * the unit tests link the static library and see its internals). */
typedef struct fx {
	char dir[64];
	struct berth_ctx ctx;
	berth__store s;
} fx;

static void fx_init(fx *f, uint64_t max_blob, uint64_t max_image)
{
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/berth-limits-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	f->ctx.root = f->dir;
	f->ctx.run_root = f->dir;
	f->ctx.max_blob_size = max_blob;
	f->ctx.max_image_size = max_image;
	tu_ok(berth__store_init(&f->s, &f->ctx));
	tu_ok(berth__store_ensure(&f->s));
}

static void fx_free(fx *f) { ck_assert_int_eq(berth__rm_rf(f->dir), 0); }

#define L1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define L2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

START_TEST(declared_sizes)
{
	fx f;
	fx_init(&f, BERTH_SIZE_UNLIMITED, BERTH_SIZE_UNLIMITED);
	struct statvfs v;
	ck_assert_int_eq(statvfs(f.dir, &v), 0);
	uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize;
	berth__blob_decl d[3] = { { "config", L1, 1000, 0 }, { "layer", L2, 1ull << 40, 0 }, { "layer", L1, 10, 0 } };
	/* one layer alone is more than the free space: it is named */
	ck_assert_int_eq(berth__store_check_decl(&f.s, d, 3, "pull x"), BERTH_ESYS);
	char want[300];
	snprintf(want, sizeof want, "pull x: layer " L2 " declares 1.0 TiB, the store at %s has ", f.dir);
	ck_msg_has(want);
	ck_msg_has(" free");
	/* already in the store: costs nothing */
	d[1].have = 1;
	tu_ok(berth__store_check_decl(&f.s, d, 3, "pull x"));
	/* none alone, all together */
	d[1].have = 0;
	d[1].size = avail / 2 + 1;
	d[0].size = avail / 2 + 1;
	ck_assert_int_eq(berth__store_check_decl(&f.s, d, 3, "pull x"), BERTH_ESYS);
	ck_msg_has("pull x: the 3 blobs to download declare");
	/* sizes near 2^64 do not wrap around */
	d[0].size = d[1].size = UINT64_MAX / 2 + 2;
	ck_assert_int_eq(berth__store_check_decl(&f.s, d, 2, "pull x"), BERTH_ESYS);
	fx_free(&f);

	/* the limits, before the free space */
	fx_init(&f, 4096, 6000);
	berth__blob_decl e[2] = { { "config", L1, 100, 1 }, { "layer", L2, 4097, 1 } };
	ck_assert_int_eq(berth__store_check_decl(&f.s, e, 2, "pull y"), BERTH_EINVAL);
	ck_msg_has("pull y: layer " L2 " declares 4.0 KiB, more than the maximum blob size 4.0 KiB (BERTH_MAX_BLOB_SIZE)");
	e[1].size = 4096;
	tu_ok(berth__store_check_decl(&f.s, e, 2, "pull y"));
	e[0].size = 2000; /* present blobs count for the image size */
	ck_assert_int_eq(berth__store_check_decl(&f.s, e, 2, "pull y"), BERTH_EINVAL);
	ck_msg_has("pull y: the image declares 6.0 KiB in all, more than the maximum image size 5.9 KiB (BERTH_MAX_IMAGE_SIZE)");
	/* declared sizes that would add up to 2^64 (0) do not pass the image limit */
	berth__blob_decl big[4] = { { "layer", L1, 1ull << 62, 1 }, { "layer", L2, 1ull << 62, 1 },
		                    { "layer", L1, 1ull << 62, 1 }, { "layer", L2, 1ull << 62, 1 } };
	fx_free(&f);
	fx_init(&f, BERTH_SIZE_UNLIMITED, 6000);
	ck_assert_int_eq(berth__store_check_decl(&f.s, big, 4, "pull z"), BERTH_EINVAL);
	ck_msg_has("pull z: the image declares 16.0 EiB in all");
	fx_free(&f);
}
END_TEST

static int count_temps(const fx *f)
{
	int n = 0;
	char p[300];
	snprintf(p, sizeof p, "%s/images/.tmp", f->dir);
	n += tu_dir_entries(p);
	DIR *d = opendir(f->s.layers);
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += !strncmp(de->d_name, ".tmp-", 5);
	if (d)
		closedir(d);
	return n;
}

START_TEST(temps_of_a_dead_owner_are_swept)
{
	fx f;
	fx_init(&f, BERTH_SIZE_UNLIMITED, BERTH_SIZE_UNLIMITED);
	/* a child makes a blob and a layer dir and dies without removing them */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		berth__blob_writer w;
		char tmp[4200];
		if (berth__blob_begin(&w, &f.s) < 0 || berth__blob_write(&w, "x", 1) < 0 ||
		    berth__layer_tmpdir(tmp, sizeof tmp, &f.s) < 0)
			_exit(1);
		raise(SIGKILL);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	/* ours, alive: a blob being written and a layer dir */
	berth__blob_writer w;
	char tmp[4200];
	tu_ok(berth__blob_begin(&w, &f.s));
	int dfd = berth__layer_tmpdir(tmp, sizeof tmp, &f.s);
	ck_assert_int_ge(dfd, 0);
	char in[4300];
	snprintf(in, sizeof in, "%s/file", tmp);
	ck_assert_int_eq(close(open(in, O_CREAT | O_WRONLY, 0600)), 0);
	ck_assert_int_eq(count_temps(&f), 4);
	berth__store_sweep(&f.s);
	ck_assert_int_eq(count_temps(&f), 2); /* the dead child's went, ours stay */
	ck_assert_int_eq(access(w.tmp, F_OK), 0);
	ck_assert_int_eq(access(in, F_OK), 0);
	/* ours, once done: a committed blob is not swept away under its new name */
	tu_ok(berth__blob_write(&w, "y", 1));
	char dg[BERTH__DIGEST_LEN];
	tu_ok(berth__blob_commit(&w, &f.s, NULL, dg));
	ck_assert_int_eq(berth__rm_rf(tmp), 0);
	close(dfd);
	berth__store_sweep(&f.s);
	ck_assert_int_eq(count_temps(&f), 0);
	char blob[4300];
	ck_assert_int_eq(berth__blob_path(blob, sizeof blob, &f.s, dg), 0);
	ck_assert_int_eq(access(blob, F_OK), 0);
	/* while a creator holds the guard, a sweep does nothing (and does not wait) */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char t2[4200];
		_exit(berth__layer_tmpdir(t2, sizeof t2, &f.s) < 0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(count_temps(&f), 1);
	int guard = berth__tmp_guard(&f.s);
	ck_assert_int_ge(guard, 0);
	berth__store_sweep(&f.s);
	ck_assert_int_eq(count_temps(&f), 1);
	berth__store_unlock(guard);
	berth__store_sweep(&f.s);
	ck_assert_int_eq(count_temps(&f), 0);
	fx_free(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("store_limits");
	TCase *t = tcase_create("store_limits");
	tcase_add_test(t, parse_and_format_sizes);
	tcase_add_test(t, options_versions);
	tcase_add_test(t, declared_sizes);
	tcase_add_test(t, temps_of_a_dead_owner_are_swept);
	suite_add_tcase(s, t);
	return s;
}

int main(void) { return tu_run_suite(suite()); }
