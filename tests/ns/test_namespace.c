/* SPDX-License-Identifier: LGPL-2.1-or-later
 * namespace.h without a container, and containers joining namespaces by path. */
#include "testutil.h"
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static tu_env E;
static void setup(void) { tu_env_init(&E); }
static void teardown(void) { tu_env_cleanup(&E); }

START_TEST(names_and_flags)
{
	int t;
	ck_assert_int_eq(berth_ns_type_from_name(&t, "network"), 0);
	ck_assert_int_eq(t, BERTH_NS_NET);
	ck_assert_int_eq(berth_ns_type_from_name(&t, "mnt"), 0);
	ck_assert_int_eq(t, BERTH_NS_MOUNT);
	ck_assert_str_eq(berth_ns_type_name(BERTH_NS_PID), "pid");
	ck_assert_ptr_null(berth_ns_type_name(99));
	ck_assert_int_eq(berth_ns_type_from_name(&t, "bogus"), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "bogus"));
	ck_assert_uint_eq(berth_ns_clone_flag(BERTH_NS_UTS), CLONE_NEWUTS);
	ck_assert_uint_eq(berth_ns_clone_flag(42), 0);
}
END_TEST

static ino_t ns_ino(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

START_TEST(unshare_join_open_in_a_child)
{
	/* in a child process, so the test runner's namespaces stay as they are */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int orig;
		if (berth_ns_open(&orig, 0, BERTH_NS_UTS) < 0)
			_exit(10);
		ino_t before = ns_ino("/proc/self/ns/uts");
		if (berth_ns_unshare(BERTH_NS_BIT(BERTH_NS_UTS) | BERTH_NS_BIT(BERTH_NS_NET)) < 0)
			_exit(11);
		if (ns_ino("/proc/self/ns/uts") == before)
			_exit(12);
		if (sethostname("nschild", 7) < 0)
			_exit(13);
		/* the new netns has lo up */
		FILE *f = fopen("/sys/class/net/lo/flags", "r");
		unsigned flags = 0;
		if (!f || fscanf(f, "%x", &flags) != 1 || !(flags & 1))
			_exit(14);
		fclose(f);
		/* back into the original uts namespace by path */
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", orig);
		if (berth_ns_join(path, BERTH_NS_UTS) < 0)
			_exit(15);
		if (ns_ino("/proc/self/ns/uts") != before)
			_exit(16);
		struct utsname u;
		uname(&u);
		if (!strcmp(u.nodename, "nschild"))
			_exit(17);
		/* a file of the wrong type is refused, naming both */
		if (berth_ns_join("/proc/self/ns/net", BERTH_NS_UTS) != BERTH_EINVAL ||
		    !strstr(berth_error_last()->message, "network"))
			_exit(18);
		if (berth_ns_join("/etc/hostname", 0) != BERTH_EINVAL)
			_exit(19);
		if (berth_ns_join("/nonexistent", 0) != BERTH_ENOTFOUND)
			_exit(20);
		if (berth_ns_unshare(0) != BERTH_EINVAL)
			_exit(21);
		_exit(0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child step %d failed", WEXITSTATUS(st));
}
END_TEST

START_TEST(container_joins_namespaces_by_path)
{
	berth_spec *a = tu_spec_sh("sleep 30");
	tu_ok(berth_spec_set_hostname(a, "shared-uts"));
	berth_container *ca;
	tu_ok(berth_container_run(&ca, E.ctx, a, NULL));
	int pid = berth_container_pid(ca);
	char uts[64], net[64], pidns[64];
	snprintf(uts, sizeof uts, "/proc/%d/ns/uts", pid);
	snprintf(net, sizeof net, "/proc/%d/ns/net", pid);
	snprintf(pidns, sizeof pidns, "/proc/%d/ns/pid", pid);
	berth_spec *b = tu_spec_sh("hostname; readlink /proc/self/ns/net; ps -o comm | grep -c sleep");
	tu_ok(berth_spec_set_namespace(b, BERTH_NS_UTS, uts));
	tu_ok(berth_spec_set_namespace(b, BERTH_NS_NET, net));
	tu_ok(berth_spec_set_namespace(b, BERTH_NS_PID, pidns));
	char *out;
	ck_assert_int_eq(tu_run_capture(&E, b, &out), 0);
	char want[128];
	char link[64];
	ssize_t n = readlink(net, link, sizeof link - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	/* same hostname, same network namespace, and A's sleep visible in the shared pid namespace */
	snprintf(want, sizeof want, "shared-uts\n%s\n1\n", link);
	ck_assert_str_eq(out, want);
	free(out);
	tu_ok(berth_container_delete(ca, BERTH_DELETE_FORCE));
	berth_container_free(ca);
	berth_spec_free(a);
	berth_spec_free(b);
}
END_TEST

START_TEST(supplementary_groups)
{
	berth_spec *s = tu_spec_sh("id -u; id -G");
	uint32_t groups[] = { 10, 20 };
	tu_ok(berth_spec_set_user(s, 1000, 1000, groups, 2));
	char *out;
	ck_assert_int_eq(tu_run_capture(&E, s, &out), 0);
	ck_assert_str_eq(out, "1000\n1000 10 20\n");
	free(out);
	berth_spec_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("namespace");
	TCase *t = tcase_create("namespace");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, names_and_flags);
	tcase_add_test(t, unshare_join_open_in_a_child);
	tcase_add_test(t, container_joins_namespaces_by_path);
	tcase_add_test(t, supplementary_groups);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
