/* SPDX-License-Identifier: LGPL-2.1-or-later
 * No silent loss of confinement: with no cgroup file system visible at
 * /sys/fs/cgroup (a private /sys, as `ip netns exec` makes), a container
 * that asks for limits is refused with the reason, one that does not runs
 * with a warning and says it has no cgroup. Each test runs in its own
 * (forked) process that first makes a private mount namespace (and, for a
 * fresh sysfs, a private network namespace) and covers /sys there: the
 * host's /sys is never touched. */
#include "testutil.h"
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static tu_env env;
static char warnings[4096];

static void log_cb(int level, const char *message, void *payload)
{
	(void)payload;
	size_t l = strlen(warnings);
	if (level == BERTH_LOG_WARN && l + strlen(message) + 2 < sizeof warnings)
		snprintf(warnings + l, sizeof warnings - l, "%s\n", message);
}

/* _i = 0: an empty tmpfs over /sys; 1: a fresh sysfs over /sys (mountinfo
 * still lists the hidden cgroup mounts); 2: as `ip netns exec` does it, the
 * old /sys detached and a fresh sysfs mounted. */
static void hide_cgroupfs(int how)
{
	ck_assert_msg(unshare(CLONE_NEWNS | (how ? CLONE_NEWNET : 0)) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	if (how == 2)
		ck_assert_msg(umount2("/sys", MNT_DETACH) == 0, "umount /sys: %s", strerror(errno));
	ck_assert_msg(mount(how ? "sysfs" : "tmpfs", "/sys", how ? "sysfs" : "tmpfs", 0, NULL) == 0, "mount over /sys: %s",
	              strerror(errno));
	tu_env_init(&env);
	berth_ctx_free(env.ctx);
	berth_ctx_options o = BERTH_CTX_OPTIONS_INIT;
	o.root = env.root;
	o.run_root = env.run_root;
	o.log_cb = log_cb;
	o.log_level = BERTH_LOG_WARN;
	tu_ok(berth_ctx_new(&env.ctx, &o));
	warnings[0] = '\0';
}

static berth_spec *spec(const char *cmd)
{
	berth_spec *s = tu_spec_sh(cmd);
	tu_ok(berth_spec_set_network(s, "none"));
	return s;
}

START_TEST(limits_refused_with_the_reason)
{
	hide_cgroupfs(_i);
	int mode = -1;
	tu_ok(berth_cgroup_mode_detect(&mode));
	ck_assert_int_eq(mode, BERTH_CGROUP_NONE);
	berth_spec *s = spec("true");
	berth_cgroup_resources res = BERTH_CGROUP_RESOURCES_INIT;
	res.memory_limit = 64 << 20;
	tu_ok(berth_spec_set_resources(s, &res));
	berth_container *c = NULL;
	ck_assert_int_eq(berth_container_create(&c, env.ctx, s, NULL), BERTH_EUNSUPPORTED);
	const char *m = berth_error_last()->message;
	ck_assert_msg(strstr(m, "memory limit") && strstr(m, "needs cgroups") && strstr(m, "/sys/fs/cgroup") &&
	                  strstr(m, "ip netns exec"),
	              "message: %s", m);
	ck_assert_ptr_null(c);
	berth_spec_free(s);
	char dir[400];
	snprintf(dir, sizeof dir, "%s/containers", env.root);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_env_cleanup(&env);
}
END_TEST

START_TEST(no_limits_warns_and_says_so)
{
	hide_cgroupfs(_i);
	berth_spec *s = spec("sleep 30");
	berth_container *c = NULL;
	tu_ok(berth_container_run(&c, env.ctx, s, NULL));
	berth_spec_free(s);
	ck_assert_msg(strstr(warnings, berth_container_id(c)) && strstr(warnings, "without a cgroup") &&
	                  strstr(warnings, "/sys/fs/cgroup"),
	              "warnings: '%s'", warnings);
	char *js = NULL;
	tu_ok(berth_container_inspect(&js, c));
	ck_assert_msg(strstr(js, "\"cgroupUnavailable\": true"), "inspect: %s", js);
	free(js);
	/* stats, update and pause say why instead of zeros or a missing file */
	berth_cgroup_stats st;
	memset(&st, 0, sizeof st);
	st.version = BERTH_CGROUP_STATS_VERSION;
	ck_assert_int_eq(berth_container_stats(&st, c), BERTH_EUNSUPPORTED);
	ck_assert_msg(strstr(berth_error_last()->message, "has no cgroup") &&
	                  strstr(berth_error_last()->message, "/sys/fs/cgroup"),
	              "message: %s", berth_error_last()->message);
	ck_assert_int_eq(berth_container_pause(c), BERTH_EUNSUPPORTED);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	tu_env_cleanup(&env);
}
END_TEST

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_no_cgroupfs: needs root (mount namespaces)\n");
		return 1;
	}
	Suite *s = suite_create("no_cgroupfs");
	TCase *tc = tcase_create("no_cgroupfs");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, limits_refused_with_the_reason, 0, 3);
	tcase_add_loop_test(tc, no_limits_warns_and_says_so, 0, 3);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
