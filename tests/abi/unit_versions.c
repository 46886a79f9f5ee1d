/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Version 1 of every versioned struct keeps working (docs/abi.md, libgit2's
 * rule 0 < version <= current): a program built against 0.1 has structs of
 * 0.1's size. Their _init(…, 1) writes nothing past that size (canaries),
 * and the functions that read them read nothing past it (the struct is a
 * heap block of exactly 0.1's size: AddressSanitizer, which the CI runs
 * this suite under, reports any read beyond). Unknown versions (0, current
 * + 1) are refused naming the struct. */
#include "internal.h"
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* sizeof of each struct in 0.1.0 (abi/libberth-0.1.abi), and what appeared since */
#define V1_CTX_OPTIONS 56
#define V1_CREATE_OPTIONS 48
#define V1_EXEC_OPTIONS 56
#define V1_NETWORK_OPTIONS 32
#define V1_PULL_OPTIONS 56
#define V1_PUSH_OPTIONS 56
#define V1_BUILD_OPTIONS 112
#define V1_CGROUP_RESOURCES 88
#define V1_CGROUP_STATS 128
#define V1_LOG_READ_OPTIONS sizeof(berth_log_read_options) /* 0.2: still version 1 */

typedef int (*init_fn)(void *opts, unsigned int version);

/* init(…, 1) into a buffer with canaries after v1 bytes; returns the struct
 * as a malloc'd block of exactly v1 bytes (what a 0.1 program holds). */
static void *init_v1(const char *name, init_fn init, size_t v1, size_t current)
{
	ck_assert_msg(v1 <= current, "%s: 0.1's size %zu > now %zu", name, v1, current);
	unsigned char *buf = malloc(current + 64);
	memset(buf, 0xa5, current + 64);
	tu_ok(init(buf, 1));
	unsigned int version;
	memcpy(&version, buf, sizeof version);
	ck_assert_msg(version == 1, "%s_init(…, 1) set version %u", name, version);
	for (size_t i = v1; i < current + 64; i++)
		ck_assert_msg(buf[i] == 0xa5, "%s_init(…, 1) wrote byte %zu, past 0.1's %zu bytes", name, i, v1);
	/* unknown versions */
	ck_assert_int_eq(init(buf, 0), BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, name), "%s", berth_error_last()->message);
	void *v = malloc(v1);
	memcpy(v, buf, v1);
	free(buf);
	return v;
}

#define INIT_V1(type, v1) ((type *)init_v1(#type, (init_fn)type##_init, v1, sizeof(type)))

START_TEST(inits_write_only_version_1)
{
	free(INIT_V1(berth_ctx_options, V1_CTX_OPTIONS));
	free(INIT_V1(berth_create_options, V1_CREATE_OPTIONS));
	free(INIT_V1(berth_exec_options, V1_EXEC_OPTIONS));
	free(INIT_V1(berth_network_options, V1_NETWORK_OPTIONS));
	free(INIT_V1(berth_pull_options, V1_PULL_OPTIONS));
	free(INIT_V1(berth_push_options, V1_PUSH_OPTIONS));
	free(INIT_V1(berth_build_options, V1_BUILD_OPTIONS));
	free(INIT_V1(berth_cgroup_resources, V1_CGROUP_RESOURCES));
	free(INIT_V1(berth_log_read_options, V1_LOG_READ_OPTIONS));
}
END_TEST

/* The readers of the grown structs take a version 1 block of 0.1's size. */
START_TEST(readers_take_version_1)
{
	char root[256];
	snprintf(root, sizeof root, "/tmp/berth-test-versions-%d", (int)getpid());
	berth_ctx_options *co = INIT_V1(berth_ctx_options, V1_CTX_OPTIONS);
	co->root = root;
	co->run_root = root;
	berth_ctx *ctx = NULL;
	tu_ok(berth_ctx_new(&ctx, co));
	free(co);
	/* version 2's fields at their defaults */
	ck_assert_uint_gt(berth_ctx_max_blob_size(ctx), 0);

	berth_pull_options *po = INIT_V1(berth_pull_options, V1_PULL_OPTIONS);
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, ctx, "127.0.0.1:1/nothing/here:1", po), BERTH_ENET);
	free(po);

	berth_push_options *pu = INIT_V1(berth_push_options, V1_PUSH_OPTIONS);
	ck_assert_int_eq(berth_image_push(NULL, ctx, "nothing:1", "127.0.0.1:1/x/y:1", pu), BERTH_ENOTFOUND);
	free(pu);

	berth_build_options *bo = INIT_V1(berth_build_options, V1_BUILD_OPTIONS);
	bo->dockerfile_text = "COPY x /x\n"; /* no FROM: refused after the options are read */
	ck_assert_int_eq(berth_build(&img, ctx, NULL, bo), BERTH_EINVAL);
	ck_assert_int_eq(bo->steps_run, 0); /* 0.1's outputs are written, within 0.1's size */
	free(bo);

	/* a version from the future is refused, naming the struct */
	berth_pull_options future = BERTH_PULL_OPTIONS_INIT;
	future.version = BERTH_PULL_OPTIONS_VERSION + 1;
	ck_assert_int_eq(berth_image_pull(&img, ctx, "127.0.0.1:1/a:1", &future), BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "berth_pull_options: unknown version"), "%s",
	              berth_error_last()->message);
	berth_ctx_free(ctx);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *versions_suite(void)
{
	Suite *s = suite_create("abi_versions");
	TCase *tc = tcase_create("version 1");
	tcase_add_test(tc, inits_write_only_version_1);
	tcase_add_test(tc, readers_take_version_1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(versions_suite()); }
