/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The monitor protocol's version (lib/runtime/monitor_proto.h): a monitor
 * that speaks another version (berth-monitor-proto99, built by
 * tests/CMakeLists.txt) is refused with both versions named, and it does
 * nothing: no container, no process, no state left; a running container it
 * was asked to adopt stays as it was. */
#include "testutil.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tu_env E;
static berth_ctx *other; /* E's roots, the monitor of version 99 */
static char monitor99[4200];

static void setup(void)
{
	tu_env_init(&E);
	snprintf(monitor99, sizeof monitor99, "%s/tests/berth-monitor-proto99", tu_build_dir());
	ck_assert_msg(access(monitor99, X_OK) == 0, "%s is not built", monitor99);
	berth_ctx_options o = BERTH_CTX_OPTIONS_INIT;
	o.root = E.root;
	o.run_root = E.run_root;
	o.monitor_path = monitor99;
	tu_ok(berth_ctx_new(&other, &o));
}

static void teardown(void)
{
	berth_ctx_free(other);
	tu_env_cleanup(&E);
}

/* The library's message names the monitor and both versions. */
static void assert_mismatch(int r)
{
	const char *msg = berth_error_last()->message;
	ck_assert_msg(r == BERTH_EUNSUPPORTED, "got %d: %s", r, msg);
	char want[4400];
	snprintf(want, sizeof want, "the monitor %s speaks monitor protocol version 99, this library version 1", monitor99);
	ck_assert_msg(strstr(msg, want), "message: %s", msg);
}

START_TEST(create_with_a_monitor_of_another_version)
{
	berth_spec *s = tu_spec_sh("sleep 30");
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.id = "proto1";
	o.flags = BERTH_CREATE_DETACH;
	berth_container *c = (berth_container *)&o; /* untouched on failure */
	assert_mismatch(berth_container_run(&c, other, s, &o));
	ck_assert_ptr_eq(c, (berth_container *)&o);
	berth_spec_free(s);
	/* the monitor made nothing: no container (tu_env_cleanup checks the
	 * state dirs, mounts and processes too) */
	char **ids = NULL;
	tu_ok(berth_container_list(&ids, E.ctx));
	ck_assert_ptr_null(ids[0]);
	berth_free(ids);
	ck_assert_int_eq(berth_container_open(&c, E.ctx, "proto1"), BERTH_ENOTFOUND);
}
END_TEST

/* Integer field of berth_container_inspect's JSON ("ownerPid"...): crude but enough. */
static long inspect_int(berth_container *c, const char *key)
{
	char *js = NULL, pat[64];
	tu_ok(berth_container_inspect(&js, c));
	snprintf(pat, sizeof pat, "\"%s\":", key);
	char *p = strstr(js, pat);
	long v = p ? strtol(p + strlen(pat), NULL, 10) : -1;
	berth_free(js);
	return v;
}

START_TEST(adopt_by_a_monitor_of_another_version)
{
	berth_spec *s = tu_spec_sh("sleep 30");
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.id = "proto2";
	o.flags = BERTH_CREATE_DETACH;
	berth_container *c = NULL;
	tu_ok(berth_container_run(&c, E.ctx, s, &o));
	berth_spec_free(s);
	long monitor = inspect_int(c, "ownerPid");
	ck_assert_int_gt(monitor, 1);
	ck_assert_int_eq(kill((pid_t)monitor, SIGKILL), 0);
	for (int i = 0; i < 200 && tu_pid_alive((int)monitor); i++)
		usleep(10000);
	berth_container *c2 = NULL;
	tu_ok(berth_container_open(&c2, other, "proto2"));
	ck_assert_int_eq(berth_container_supervised(c2), 0);
	assert_mismatch(berth_container_supervise(c2));
	/* not adopted: still running, nobody its owner */
	berth_container_free(c2);
	tu_ok(berth_container_open(&c2, E.ctx, "proto2"));
	ck_assert_int_eq(berth_container_status(c2), BERTH_STATUS_RUNNING);
	ck_assert_int_eq(berth_container_supervised(c2), 0);
	ck_assert_int_eq(inspect_int(c2, "ownerPid"), monitor);
	tu_ok(berth_container_delete(c2, BERTH_DELETE_FORCE));
	berth_container_free(c2);
	berth_container_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor_proto");
	TCase *t = tcase_create("monitor_proto");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, create_with_a_monitor_of_another_version);
	tcase_add_test(t, adopt_by_a_monitor_of_another_version);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
