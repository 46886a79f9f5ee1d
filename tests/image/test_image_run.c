/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Containers from images: an imported busybox image runs with the image's
 * config (Entrypoint/Cmd/Env/WorkingDir/User), writes land in the
 * container's own upper layer (the image and other containers never see
 * them), and nothing is mounted on the host. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tu_env E;
static char tarball[512];

static void setup(void)
{
	tu_env_init(&E);
	snprintf(tarball, sizeof tarball, "%s/busybox.tar", E.dir);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "tar -C '%s' --numeric-owner -cf '%s' .", tu_rootfs(), tarball);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
	/* the image store is not a container leftover; the env cleanup checks containers */
	tu_env_cleanup(&E);
}

static berth_spec *image_spec(berth_image *img, const char *entrypoint, const char *const *cmd)
{
	berth_spec *s = tu_spec_sh("true");
	tu_ok(berth_spec_set_image(s, img, entrypoint, cmd));
	return s;
}

START_TEST(run_from_an_image)
{
	berth_image *img;
	tu_ok(berth_image_import(&img, E.ctx, tarball, "busybox:itest"));
	const char *cmd[] = { "/bin/sh", "-c", "echo $$ > /tmp/pid; cat /tmp/pid; echo written > /etc/mine; pwd", NULL };
	berth_spec *s = image_spec(img, NULL, cmd);
	char *out;
	ck_assert_int_eq(tu_run_capture(&E, s, &out), 0);
	ck_assert_str_eq(out, "1\n/\n");
	free(out);
	/* a second container does not see the first one's writes */
	const char *cmd2[] = { "/bin/sh", "-c", "test -e /etc/mine && echo leaked || echo clean", NULL };
	berth_spec *s2 = image_spec(img, NULL, cmd2);
	ck_assert_int_eq(tu_run_capture(&E, s2, &out), 0);
	ck_assert_str_eq(out, "clean\n");
	free(out);
	/* nor does the image's layer on disk */
	char **dirs;
	tu_ok(berth_image_layer_dirs(&dirs, img));
	char p[600];
	snprintf(p, sizeof p, "%s/etc/mine", dirs[0]);
	ck_assert_int_ne(access(p, F_OK), 0);
	berth_free(dirs);
	/* no overlay on the host */
	ck_assert_int_eq(tu_mounts_under(E.root), 0);
	berth_spec_free(s);
	berth_spec_free(s2);
	berth_image_free(img);
}
END_TEST

START_TEST(entrypoint_and_cmd_rules)
{
	berth_image *img;
	tu_ok(berth_image_import(&img, E.ctx, tarball, "busybox:itest"));
	/* an imported image has no Cmd: no command is a clear error */
	berth_spec *s = tu_spec_sh("true");
	ck_assert_int_eq(berth_spec_set_image(s, img, NULL, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "no command"));
	/* --entrypoint with arguments */
	const char *args[] = { "-c", "echo via-entrypoint", NULL };
	tu_ok(berth_spec_set_image(s, img, "/bin/sh", args));
	char *out;
	ck_assert_int_eq(tu_run_capture(&E, s, &out), 0);
	ck_assert_str_eq(out, "via-entrypoint\n");
	free(out);
	berth_spec_free(s);
	berth_image_free(img);
}
END_TEST

START_TEST(image_in_use_is_not_removed)
{
	berth_image *img;
	tu_ok(berth_image_import(&img, E.ctx, tarball, "busybox:itest"));
	const char *cmd[] = { "sleep", "30", NULL };
	berth_spec *s = image_spec(img, NULL, cmd);
	berth_container *c;
	tu_ok(berth_container_run(&c, E.ctx, s, NULL));
	ck_assert_int_eq(berth_image_remove(E.ctx, "busybox:itest", 0), BERTH_EBUSY);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, berth_container_id(c)));
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	tu_ok(berth_image_remove(E.ctx, "busybox:itest", 0));
	berth_image *gone;
	ck_assert_int_eq(berth_image_open(&gone, E.ctx, "busybox:itest"), BERTH_ENOTFOUND);
	berth_spec_free(s);
	berth_image_free(img);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_run");
	TCase *t = tcase_create("image_run");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, run_from_an_image);
	tcase_add_test(t, entrypoint_and_cmd_rules);
	tcase_add_test(t, image_in_use_is_not_removed);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
