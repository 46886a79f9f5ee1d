/* SPDX-License-Identifier: LGPL-2.1-or-later
 * lib/common/layout.c: the paths under the state roots, exactly as they are
 * on disk (a change here is a change of the on-disk layout: docs/layout.md),
 * paths that do not fit, and roots too long for them. */
#include "testutil.h"
#include "common/layout.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPECT_PATH(call, want)                  \
	do {                                         \
		char _b[PATH_MAX];                       \
		errno = 0;                               \
		ck_assert_int_eq(call, 0);               \
		ck_assert_str_eq(_b, want);              \
	} while (0)

START_TEST(every_path)
{
	EXPECT_PATH(berth__path_container(_b, sizeof _b, "/r", NULL, NULL), "/r/containers");
	EXPECT_PATH(berth__path_container(_b, sizeof _b, "/r", "abc", NULL), "/r/containers/abc");
	EXPECT_PATH(berth__path_container(_b, sizeof _b, "/run/b", "abc", "state.json"), "/run/b/containers/abc/state.json");
	/* the parts after the first NULL are left out */
	EXPECT_PATH(berth__path_container(_b, sizeof _b, "/r", NULL, "state.json"), "/r/containers");
	EXPECT_PATH(berth__path_orphan(_b, sizeof _b, "/run/b", NULL), "/run/b/orphans");
	EXPECT_PATH(berth__path_orphan(_b, sizeof _b, "/run/b", "abc"), "/run/b/orphans/abc");
	EXPECT_PATH(berth__path_name(_b, sizeof _b, "/r", NULL), "/r/names");
	EXPECT_PATH(berth__path_name(_b, sizeof _b, "/r", "web"), "/r/names/web");
	EXPECT_PATH(berth__path_images(_b, sizeof _b, "/r", NULL), "/r/images");
	EXPECT_PATH(berth__path_images(_b, sizeof _b, "/r", "index.json"), "/r/images/index.json");
	EXPECT_PATH(berth__path_blob(_b, sizeof _b, "/r", NULL), "/r/images/blobs/sha256");
	EXPECT_PATH(berth__path_blob(_b, sizeof _b, "/r", "ab12"), "/r/images/blobs/sha256/ab12");
	EXPECT_PATH(berth__path_layer(_b, sizeof _b, "/r", NULL), "/r/layers");
	EXPECT_PATH(berth__path_layer(_b, sizeof _b, "/r", "cd34"), "/r/layers/cd34");
	EXPECT_PATH(berth__path_build_cache(_b, sizeof _b, "/r", NULL), "/r/build-cache");
	EXPECT_PATH(berth__path_build_cache(_b, sizeof _b, "/r", "ef56"), "/r/build-cache/ef56.json");
	EXPECT_PATH(berth__path_volume(_b, sizeof _b, "/r", NULL, NULL), "/r/volumes");
	EXPECT_PATH(berth__path_volume(_b, sizeof _b, "/r", ".lock", NULL), "/r/volumes/.lock");
	EXPECT_PATH(berth__path_volume(_b, sizeof _b, "/r", "data", "_data"), "/r/volumes/data/_data");
	EXPECT_PATH(berth__path_network(_b, sizeof _b, "/r", NULL), "/r/networks");
	EXPECT_PATH(berth__path_network(_b, sizeof _b, "/r", "front"), "/r/networks/front.json");
	EXPECT_PATH(berth__path_seccomp_cache(_b, sizeof _b, "/r"), "/r/cache/seccomp");
}
END_TEST

START_TEST(too_long)
{
	char b[32];
	errno = 0;
	ck_assert_int_eq(berth__path_container(b, sizeof b, "/r", "0123456789abcdef0123", "state.json"), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(strlen(b), sizeof b - 1); /* truncated, terminated */
	/* exactly fits: 31 characters */
	ck_assert_int_eq(berth__path_container(b, sizeof b, "/r", "0123456789abcdef0", NULL), 0);
	ck_assert_str_eq(b, "/r/containers/0123456789abcdef0");
}
END_TEST

START_TEST(ctx_refuses_a_root_too_long)
{
	/* a root of BERTH__ROOT_MAX + 1 bytes under a directory that does not
	 * exist: refused before anything is made */
	char *root = malloc(BERTH__ROOT_MAX + 2);
	ck_assert_ptr_nonnull(root);
	memset(root, 'a', BERTH__ROOT_MAX + 1);
	memcpy(root, "/nonexistent-berth-", 19);
	root[BERTH__ROOT_MAX + 1] = '\0';
	berth_ctx_options o = BERTH_CTX_OPTIONS_INIT;
	o.root = root;
	o.run_root = "/nonexistent-berth-run";
	berth_ctx *ctx = NULL;
	ck_assert_int_eq(berth_ctx_new(&ctx, &o), BERTH_EINVAL);
	ck_assert_ptr_null(ctx);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "root '/nonexistent-berth-"));
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "longer than 3584 bytes"));
	ck_assert_int_eq(access("/nonexistent-berth-run", F_OK), -1);
	/* the same for the run root */
	o.root = "/nonexistent-berth-root";
	o.run_root = root;
	ck_assert_int_eq(berth_ctx_new(&ctx, &o), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "run_root '/nonexistent-berth-"));
	ck_assert_int_eq(access("/nonexistent-berth-root", F_OK), -1);
	free(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layout");
	TCase *t = tcase_create("layout");
	tcase_add_test(t, every_path);
	tcase_add_test(t, too_long);
	tcase_add_test(t, ctx_refuses_a_root_too_long);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
