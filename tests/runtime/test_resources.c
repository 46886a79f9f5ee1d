/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Containers and their cgroups on this host (hybrid: v1 controllers plus a
 * cgroup2 mount), and on cgroup v2 in a private mount namespace: limits seen
 * by the kernel, OOM kills reported, pids limited, pause, stats, update, and
 * no cgroup left after rm. */
#include "testutil.h"
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static tu_env E;
static void setup(void) { tu_env_init(&E); }
static void teardown(void) { tu_env_cleanup(&E); }

static long read_long(const char *fmt, const char *id)
{
	char path[512];
	snprintf(path, sizeof path, fmt, (int)getpid(), id);
	FILE *f = fopen(path, "r");
	if (!f)
		return -999;
	long v = -998;
	if (fscanf(f, "%ld", &v) != 1)
		v = -997;
	fclose(f);
	return v;
}

static berth_container *run_bg(berth_spec *s)
{
	berth_container *c;
	tu_ok(berth_container_run(&c, E.ctx, s, NULL));
	return c;
}

START_TEST(limits_reach_the_kernel)
{
	berth_spec *s = tu_spec_sh("sleep 30");
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.memory_limit = 64 << 20;
	r.cpu_quota = 50000;
	r.cpu_period = 100000;
	r.pids_limit = 16;
	r.cpu_shares = 512;
	tu_ok(berth_spec_set_resources(s, &r));
	berth_container *c = run_bg(s);
	const char *id = berth_container_id(c);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/memory/berth/t%d/%s/memory.limit_in_bytes", id), 64 << 20);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/cpu/berth/t%d/%s/cpu.cfs_quota_us", id), 50000);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/cpu/berth/t%d/%s/cpu.shares", id), 512);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/pids/berth/t%d/%s/pids.max", id), 16);
	/* the init is in the cgroup in every hierarchy, and sees itself at the root of its cgroup namespace */
	ck_assert_int_eq(read_long("/sys/fs/cgroup/memory/berth/t%d/%s/cgroup.procs", id), berth_container_pid(c));
	ck_assert_int_eq(read_long("/sys/fs/cgroup/pids/berth/t%d/%s/cgroup.procs", id), berth_container_pid(c));
	/* hybrid: not in the unified (hugetlb-only) hierarchy nor in cpuset until a
	 * limit needs them (creating a cpuset cgroup is slow: a kernel static key) */
	ck_assert_int_eq(read_long("/sys/fs/cgroup/unified/berth/t%d/%s/cgroup.procs", id), -999);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/cpuset/berth/t%d/%s/cgroup.procs", id), -999);
	/* stats: memory in use, cpu used, pids */
	berth_cgroup_stats st = { .version = BERTH_CGROUP_STATS_VERSION };
	tu_ok(berth_container_stats(&st, c));
	ck_assert_uint_gt(st.memory_usage, 0);
	ck_assert_int_eq(st.memory_limit, 64 << 20);
	ck_assert_uint_gt(st.cpu_usage_ns, 0);
	ck_assert_uint_ge(st.pids_current, 1);
	ck_assert_int_eq(st.pids_limit, 16);
	/* update a running container */
	berth_cgroup_resources u = BERTH_CGROUP_RESOURCES_INIT;
	u.memory_limit = 96 << 20;
	u.pids_limit = 32;
	tu_ok(berth_container_update(c, &u));
	ck_assert_int_eq(read_long("/sys/fs/cgroup/memory/berth/t%d/%s/memory.limit_in_bytes", id), 96 << 20);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/pids/berth/t%d/%s/pids.max", id), 32);
	/* a cpuset limit on the running container joins the cpuset hierarchy, processes included */
	berth_cgroup_resources cs = BERTH_CGROUP_RESOURCES_INIT;
	cs.cpuset_cpus = "0";
	tu_ok(berth_container_update(c, &cs));
	ck_assert_int_eq(read_long("/sys/fs/cgroup/cpuset/berth/t%d/%s/cgroup.procs", id), berth_container_pid(c));
	ck_assert_int_eq(read_long("/sys/fs/cgroup/cpuset/berth/t%d/%s/cpuset.cpus", id), 0);
	char *js;
	tu_ok(berth_container_inspect(&js, c));
	ck_assert_ptr_nonnull(strstr(js, "100663296"));
	berth_free(js);
	char idcopy[80];
	snprintf(idcopy, sizeof idcopy, "%s", id);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	/* gone from every hierarchy */
	ck_assert_int_eq(read_long("/sys/fs/cgroup/memory/berth/t%d/%s/memory.limit_in_bytes", idcopy), -999);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/unified/berth/t%d/%s/cgroup.procs", idcopy), -999);
	ck_assert_int_eq(read_long("/sys/fs/cgroup/cpuset/berth/t%d/%s/cgroup.procs", idcopy), -999);
	berth_spec_free(s);
}
END_TEST

START_TEST(cgroup_view_is_the_containers_own)
{
	/* inside, /sys/fs/cgroup shows the hierarchies the container is in, each
	 * rooted at its own cgroup: never the host's tree (no berth/ of other
	 * containers, no cpuset or name=systemd hierarchy it was not put in) */
	char *out;
	ck_assert_int_eq(tu_sh(&E, "ls /sys/fs/cgroup | tr '\\n' ' '; echo; "
	                           "find /sys/fs/cgroup -mindepth 2 -type d | wc -l; "
	                           "ls /sys/fs/cgroup/memory/ | grep -c '^berth' || true", &out), 0);
	ck_assert_msg(strstr(out, "memory") && strstr(out, "pids") && strstr(out, "devices"), "got: %s", out);
	ck_assert_msg(!strstr(out, "cpuset") && !strstr(out, "systemd") && !strstr(out, "unified"), "got: %s", out);
	ck_assert_msg(strstr(out, "\n0\n0\n"), "subdirectories or berth/ visible: %s", out);
	free(out);
}
END_TEST

START_TEST(oom_killed_exit_137)
{
	/* a memory hog under 32 MiB: the kernel kills it, berth says so */
	berth_spec *s = tu_spec_sh("x=a; while true; do x=$x$x$x$x; done");
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.memory_limit = 32 << 20;
	r.memory_swap = 32 << 20;
	tu_ok(berth_spec_set_resources(s, &r));
	berth_container *c = run_bg(s);
	int code, sig;
	tu_ok(berth_container_wait(&code, &sig, c, 60000));
	ck_assert_int_eq(code, 137);
	ck_assert_int_eq(sig, SIGKILL);
	ck_assert_int_eq(berth_container_oom_killed(c), 1);
	char *js;
	tu_ok(berth_container_inspect(&js, c));
	ck_assert_ptr_nonnull(strstr(js, "\"oomKilled\": true"));
	berth_free(js);
	tu_ok(berth_container_delete(c, 0));
	berth_container_free(c);
	berth_spec_free(s);
}
END_TEST

START_TEST(pids_limit_holds)
{
	/* 40 sleeps in the background under a limit of 16 (the subshell that forks
	 * them dies at the first refused fork, as ash does) */
	berth_spec *s = tu_spec_sh("( for i in $(seq 40); do sleep 5 & done ) 2>/dev/null; "
	                           "sleep 0.2; set -- /proc/[0-9]*; echo $#; kill -9 -1 2>/dev/null; true");
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.pids_limit = 16;
	tu_ok(berth_spec_set_resources(s, &r));
	char *out;
	tu_run_capture(&E, s, &out);
	/* the count (sh and its sleeps; counted without forking) is never more than 16 */
	ck_assert_msg(atoi(out) <= 16 && atoi(out) >= 10, "processes: %s", out);
	free(out);
	berth_spec_free(s);
}
END_TEST

START_TEST(pause_freezes_and_refuses_exec)
{
	berth_spec *s = tu_spec_sh("while true; do :; done");
	berth_container *c = run_bg(s);
	const char *id = berth_container_id(c);
	tu_ok(berth_container_pause(c));
	ck_assert_int_eq(berth_container_status(c), BERTH_STATUS_PAUSED);
	char path[512], buf[32] = "";
	snprintf(path, sizeof path, "/sys/fs/cgroup/freezer/berth/t%d/%s/freezer.state", (int)getpid(), id);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "FROZEN\n");
	/* a busy loop uses no cpu while frozen */
	berth_cgroup_stats a = { .version = BERTH_CGROUP_STATS_VERSION }, b = a;
	tu_ok(berth_container_stats(&a, c));
	usleep(300000);
	tu_ok(berth_container_stats(&b, c));
	ck_assert_uint_lt(b.cpu_usage_ns - a.cpu_usage_ns, 20000000);
	/* exec is refused, by another handle too */
	berth_container *c2;
	tu_ok(berth_container_open(&c2, E.ctx, id));
	ck_assert_int_eq(berth_container_status(c2), BERTH_STATUS_PAUSED);
	const char *args[] = { "true", NULL };
	berth_exec_options eo = BERTH_EXEC_OPTIONS_INIT;
	eo.args = args;
	berth_process *p = NULL;
	ck_assert_int_eq(berth_container_exec(&p, c2, &eo), BERTH_ESTATE);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "paused"));
	ck_assert_int_eq(berth_container_pause(c2), BERTH_ESTATE);
	tu_ok(berth_container_resume(c2));
	ck_assert_int_eq(berth_container_status(c2), BERTH_STATUS_RUNNING);
	usleep(200000);
	tu_ok(berth_container_stats(&a, c));
	ck_assert_uint_gt(a.cpu_usage_ns - b.cpu_usage_ns, 20000000);
	berth_container_free(c2);
	/* a paused container is removed with force */
	tu_ok(berth_container_pause(c));
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	berth_spec_free(s);
}
END_TEST

START_TEST(exec_joins_the_cgroup)
{
	berth_spec *s = tu_spec_sh("sleep 30");
	berth_container *c = run_bg(s);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	const char *args[] = { "cat", "/proc/self/cgroup", NULL };
	berth_exec_options eo = BERTH_EXEC_OPTIONS_INIT;
	eo.args = args;
	eo.stdout_fd = fds[1];
	berth_process *p;
	tu_ok(berth_container_exec(&p, c, &eo));
	close(fds[1]);
	int code;
	tu_ok(berth_process_wait(&code, NULL, p, 10000));
	char buf[4096];
	ssize_t n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	/* in the container's cgroup namespace, every hierarchy shows its root */
	ck_assert_msg(strstr(buf, ":memory:/\n") && strstr(buf, ":pids:/\n") && strstr(buf, "0::/\n"), "got: %s", buf);
	berth_process_free(p);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	berth_spec_free(s);
}
END_TEST

START_TEST(bad_resources_leave_nothing)
{
	berth_spec *s = tu_spec_sh("true");
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.cpuset_cpus = "0-63";
	ck_assert_int_eq(berth_spec_set_resources(s, &r), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "0-63"));
	r = (berth_cgroup_resources)BERTH_CGROUP_RESOURCES_INIT;
	r.memory_limit = -5;
	ck_assert_int_eq(berth_spec_set_resources(s, &r), BERTH_EINVAL);
	ck_assert_int_eq(berth_spec_set_cgroup_parent(s, "berth/../x"), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, ".."));
	/* a bad value in a loaded config.json is refused at create, nothing made */
	char *js;
	tu_ok(berth_spec_to_json(&js, s));
	char *lin = strstr(js, "\"linux\": {");
	ck_assert_ptr_nonnull(lin);
	char buf[70000];
	size_t pre = (size_t)(lin - js) + strlen("\"linux\": {");
	snprintf(buf, sizeof buf, "%.*s\"resources\": {\"memory\": {\"limit\": -7}}, %s", (int)pre, js, js + pre);
	berth_free(js);
	berth_spec *s2;
	tu_ok(berth_spec_parse(&s2, buf, strlen(buf)));
	berth_container *c = NULL;
	ck_assert_int_eq(berth_container_create(&c, E.ctx, s2, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "memory"));
	berth_spec_free(s2);
	berth_spec_free(s);
}
END_TEST

/* The devices cgroup: only the standard devices may be opened, whatever
 * nodes CAP_MKNOD lets the container make; --privileged keeps all. */
START_TEST(device_allowlist)
{
	/* /dev/kmsg (c 1:11): CAP_SYSLOG added so that only the cgroup can refuse the open */
	const char *probe = "mknod /dev/k c 1 11 && (exec 3</dev/k) 2>/dev/null && echo opened || echo refused; "
	                    "echo x > /dev/null && echo null-ok";
	berth_spec *s = tu_spec_sh(probe);
	tu_ok(berth_spec_cap_add(s, "SYSLOG"));
	char *out;
	ck_assert_int_eq(tu_run_capture(&E, s, &out), 0);
	ck_assert_str_eq(out, "refused\nnull-ok\n");
	free(out);
	berth_spec_free(s);
	s = tu_spec_sh("grep -c 'a \\*:\\* rwm' /sys/fs/cgroup/devices/devices.list; " "true");
	ck_assert_int_eq(tu_run_capture(&E, s, &out), 0);
	ck_assert_str_eq(out, "0\n");
	free(out);
	berth_spec_free(s);
	s = tu_spec_sh(probe);
	tu_ok(berth_spec_set_privileged(s, 1));
	ck_assert_int_eq(tu_run_capture(&E, s, &out), 0);
	ck_assert_str_eq(out, "opened\nnull-ok\n");
	free(out);
	berth_spec_free(s);
}
END_TEST

/* cgroup v2: a private mount namespace with cgroup2 on /sys/fs/cgroup (on
 * this host that hierarchy has only hugetlb; the v2 code paths run for real). */
START_TEST(cgroup_v2_in_private_mount_namespace)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
			_exit(10);
		int mode;
		if (berth_cgroup_mode_detect(&mode) < 0 || mode != BERTH_CGROUP_V2)
			_exit(11);
		berth_spec *s = tu_spec_sh("cat /proc/self/cgroup; sleep 30");
		berth_container *c;
		int fds[2];
		if (pipe(fds) < 0)
			_exit(12);
		berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
		o.stdout_fd = fds[1];
		if (berth_container_run(&c, E.ctx, s, &o) < 0)
			_exit(13);
		close(fds[1]);
		char buf[1024] = "";
		ssize_t n = read(fds[0], buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		/* the unified hierarchy seen at its cgroup namespace's root (the kernel
		 * still lists this host's v1 hierarchies, whatever is mounted) */
		if (!strstr(buf, "0::/\n"))
			_exit(14);
		char path[512];
		snprintf(path, sizeof path, "/sys/fs/cgroup/berth/t%d/%s/cgroup.procs", (int)getpid(),
		         berth_container_id(c));
		FILE *f = fopen(path, "r");
		int inside = 0;
		if (!f || fscanf(f, "%d", &inside) != 1 || inside != berth_container_pid(c))
			_exit(15); /* CLONE_INTO_CGROUP put the init there */
		fclose(f);
		if (berth_container_pause(c) < 0)
			_exit(16); /* cgroup.freeze */
		snprintf(path, sizeof path, "/sys/fs/cgroup/berth/t%d/%s/cgroup.events", (int)getpid(), berth_container_id(c));
		char ev[256] = "";
		f = fopen(path, "r");
		size_t m = f ? fread(ev, 1, sizeof ev - 1, f) : 0;
		if (f)
			fclose(f);
		ev[m] = '\0';
		if (!strstr(ev, "frozen 1"))
			_exit(17);
		if (berth_container_resume(c) < 0)
			_exit(18);
		berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
		r.memory_limit = 64 << 20;
		if (berth_container_update(c, &r) != BERTH_EUNSUPPORTED || !strstr(berth_error_last()->message, "memory"))
			_exit(19); /* the memory controller belongs to v1 here */
		if (berth_container_delete(c, BERTH_DELETE_FORCE) < 0)
			_exit(20); /* cgroup.kill, destroy */
		snprintf(path, sizeof path, "/sys/fs/cgroup/berth/t%d", (int)getpid());
		if (access(path, F_OK) == 0)
			_exit(21);
		berth_container_free(c);
		berth_spec_free(s);
		_exit(0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "v2 step %d failed", WEXITSTATUS(st));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resources");
	TCase *t = tcase_create("cgroups");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, limits_reach_the_kernel);
	tcase_add_test(t, oom_killed_exit_137);
	tcase_add_test(t, cgroup_view_is_the_containers_own);
	tcase_add_test(t, pids_limit_holds);
	tcase_add_test(t, pause_freezes_and_refuses_exec);
	tcase_add_test(t, exec_joins_the_cgroup);
	tcase_add_test(t, bad_resources_leave_nothing);
	tcase_add_test(t, device_allowlist);
	tcase_add_test(t, cgroup_v2_in_private_mount_namespace);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
