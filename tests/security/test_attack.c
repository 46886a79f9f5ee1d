/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Attacks from inside a container on the processes berth brings into it.
 * A static attacker (tests/security/attacker.c) runs as the container's init
 * with the default confinement (root inside, Docker's capabilities and
 * seccomp profile) and spins on the pids the next exec children will get,
 * while the host side execs hundreds of times, as the C API (this process),
 * as the berth CLI (a copy of it, which the attacker tries to overwrite), and
 * with a working directory that names a descriptor (CVE-2024-21626). Each test
 * asserts the attacker reached the exec children (so the attack really ran)
 * and got nothing of the host: no binary (CVE-2019-5736), no ptrace before
 * the seccomp filter, no host cwd/root/fds, no cgroup mount or release_agent
 * (CVE-2022-0492).
 */
#include "testutil.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static tu_env E;
static void setup(void) { tu_env_init(&E); }
static void teardown(void) { tu_env_cleanup(&E); }

static const char *attacker_path(void)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/bin/security_attacker", tu_build_dir());
	return p;
}

/* The attacker as the init of a running container, its stdout on *out_fd. */
static berth_container *start_attacker(int *out_fd, const char *mode, const char *seconds, const char *extra)
{
	const char *args[] = { "/attack/attacker", mode, seconds, "/bin/busybox", extra, NULL };
	berth_spec *s = tu_spec_sh("true");
	tu_ok(berth_spec_set_args(s, args));
	tu_ok(berth_spec_add_bind(s, attacker_path(), "/attack/attacker", 1));
	tu_ok(berth_spec_add_mount(s, "/tmp", "tmpfs", "tmpfs", (const char *const[]){ "nosuid", "nodev", NULL }));
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.id = "victim";
	o.stdout_fd = p[1];
	o.stderr_fd = p[1];
	berth_container *c;
	tu_ok(berth_container_run(&c, E.ctx, s, &o));
	close(p[1]);
	berth_spec_free(s);
	*out_fd = p[0];
	return c;
}

static char *read_line(int fd)
{
	static char line[256];
	size_t n = 0;
	while (n < sizeof line - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	return line;
}

static char *read_all(int fd)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The attacker's verdict: asserts it reached at least min_seen exec children
 * and leaked nothing. */
static void check_report(const char *out, int execs, int min_seen)
{
	int seen = -1, leaks = -1;
	const char *r = strstr(out, "seen=");
	ck_assert_msg(r && sscanf(r, "seen=%d leaks=%d", &seen, &leaks) == 2, "no report from the attacker: %s", out);
	fprintf(stderr, "attack: %d execs, attacker reached %d, leaks %d\n", execs, seen, leaks);
	ck_assert_msg(leaks == 0, "the container reached the host through an exec child (%d execs):\n%.1500s", execs, r);
	ck_assert_msg(seen >= min_seen, "the attacker reached only %d of %d exec children: the attack did not run",
	              seen, execs);
}

/* execs /bin/true through the C API until the attacker finishes (or max). */
static int exec_loop_api(berth_container *c, int max, double seconds, const char *cwd)
{
	const char *args[] = { "/bin/true", NULL };
	int n = 0;
	double end = now() + seconds;
	while (n < max && now() < end) {
		berth_exec_options eo = BERTH_EXEC_OPTIONS_INIT;
		eo.args = args;
		eo.cwd = cwd;
		berth_process *p;
		if (berth_container_exec(&p, c, &eo) < 0)
			break; /* the attacker (the init) is done */
		int code = -1;
		tu_ok(berth_process_wait(&code, NULL, p, 10000));
		/* 137: the attacker (the init) ended its run, which kills its namespace */
		ck_assert_msg(code == 0 || code == 137, "exec of /bin/true: exit code %d", code);
		berth_process_free(p);
		n++;
	}
	return n;
}

static void api_attack(const char *mode)
{
	int fd;
	berth_container *c = start_attacker(&fd, mode, "6", NULL);
	ck_assert_str_eq(read_line(fd), "ready");
	int n = exec_loop_api(c, 400, 5.5, NULL);
	ck_assert_msg(n > 20, "only %d execs: %s", n, berth_error_last()->message);
	char *out = read_all(fd);
	close(fd);
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 20000));
	check_report(out, n, n / 8);
	free(out);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
}

START_TEST(proc_exe_of_exec_child) { api_attack("exe"); }
END_TEST
START_TEST(ptrace_before_seccomp) { api_attack("ptrace"); }
END_TEST
START_TEST(proc_cwd_of_exec_child) { api_attack("cwd"); }
END_TEST
START_TEST(proc_root_of_exec_child) { api_attack("root"); }
END_TEST
START_TEST(proc_fd_of_exec_child) { api_attack("fd"); }
END_TEST

/* A container that joins the victim's pid namespace: its init is seen there
 * from birth, as an exec child is. */
START_TEST(init_joining_pid_namespace)
{
	int fd;
	berth_container *c = start_attacker(&fd, "exe", "6", NULL);
	ck_assert_str_eq(read_line(fd), "ready");
	char ns[64];
	snprintf(ns, sizeof ns, "/proc/%d/ns/pid", berth_container_pid(c));
	int n = 0;
	double end = now() + 5;
	while (n < 150 && now() < end) {
		berth_spec *s = tu_spec_sh("true");
		const char *args[] = { "/bin/true", NULL };
		tu_ok(berth_spec_set_args(s, args));
		tu_ok(berth_spec_set_namespace(s, BERTH_NS_PID, ns));
		berth_container *j;
		int r = berth_container_run(&j, E.ctx, s, NULL);
		berth_spec_free(s);
		if (r < 0)
			break; /* the attacker is done: its pid namespace is gone */
		int code;
		tu_ok(berth_container_wait(&code, NULL, j, 10000));
		tu_ok(berth_container_delete(j, BERTH_DELETE_FORCE));
		berth_container_free(j);
		n++;
	}
	ck_assert_msg(n > 20, "only %d containers: %s", n, berth_error_last()->message);
	char *out = read_all(fd);
	close(fd);
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 20000));
	check_report(out, n, n / 8);
	free(out);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
}
END_TEST

static int copy_file(const char *from, const char *to)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
	return system(cmd);
}

static int same_file_content(const char *a, const char *b)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

/* CVE-2019-5736 as reported: `berth exec -d C true` in a loop from a copy of
 * the CLI while the container tries to write through /proc/N/exe. */
START_TEST(cli_binary_overwrite)
{
	char orig[512], copy[600];
	snprintf(orig, sizeof orig, "%s/bin/berth", tu_build_dir());
	snprintf(copy, sizeof copy, "%s/berth-copy", E.dir);
	ck_assert_int_eq(copy_file(orig, copy), 0);
	int fd;
	berth_container *c = start_attacker(&fd, "exe", "8", "write");
	ck_assert_str_eq(read_line(fd), "ready");
	int n = 0;
	double end = now() + 7;
	while (n < 300 && now() < end) {
		pid_t pid = fork();
		if (pid == 0) {
			int dn = open("/dev/null", O_RDWR);
			dup2(dn, 0);
			dup2(dn, 1);
			char mon[600];
			snprintf(mon, sizeof mon, "%s/libexec/berth/berth-monitor", tu_build_dir());
			setenv("BERTH_MONITOR", mon, 1);
			execl(copy, "berth", "--root", E.root, "--run-root", E.run_root, "exec", "-d", "victim", "/bin/true",
			      (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "berth exec -d stopped after %d runs (status 0x%x)\n", n, st);
			break;
		}
		n++;
	}
	ck_assert_int_gt(n, 20);
	char *out = read_all(fd);
	close(fd);
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 20000));
	check_report(out, n, n / 8);
	free(out);
	ck_assert_msg(same_file_content(orig, copy), "the container modified the host's berth binary");
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
}
END_TEST

/* CVE-2024-21626: a working directory that names a descriptor berth holds. */
START_TEST(cwd_through_proc_self_fd)
{
	berth_spec *s = tu_spec_sh("sleep 30");
	berth_container *c;
	tu_ok(berth_container_run(&c, E.ctx, s, NULL));
	for (int i = 3; i < 24; i++) {
		char cwd[64];
		snprintf(cwd, sizeof cwd, "/proc/self/fd/%d", i);
		const char *args[] = { "/bin/sh", "-c", "cd ..; cd ..; cd ..; ls -d /proc/self/cwd/*/../../../../etc/hostname", NULL };
		berth_exec_options eo = BERTH_EXEC_OPTIONS_INIT;
		eo.args = args;
		eo.cwd = cwd;
		berth_process *p;
		int r = berth_container_exec(&p, c, &eo);
		ck_assert_msg(r < 0, "exec with cwd %s was allowed", cwd);
		ck_assert_msg(strstr(berth_error_last()->message, "working directory"), "unclear error: %s",
		              berth_error_last()->message);
	}
	/* and the init's own */
	for (int i = 3; i < 8; i++) {
		char cwd[64];
		snprintf(cwd, sizeof cwd, "/proc/self/fd/%d", i);
		berth_spec *s2 = tu_spec_sh("pwd");
		tu_ok(berth_spec_set_cwd(s2, cwd));
		berth_container *c2;
		ck_assert_msg(berth_container_run(&c2, E.ctx, s2, NULL) < 0, "run with cwd %s was allowed", cwd);
		ck_assert_msg(strstr(berth_error_last()->message, "working directory"), "unclear error: %s",
		              berth_error_last()->message);
		berth_spec_free(s2);
	}
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	berth_spec_free(s);
}
END_TEST

/* CVE-2022-0492 and friends: no cgroup mount, no release_agent, no user namespace. */
START_TEST(cgroup_escape)
{
	int fd;
	berth_container *c = start_attacker(&fd, "cgroup", "1", NULL);
	char *out = read_all(fd);
	close(fd);
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 20000));
	ck_assert_int_eq(code, 0);
	check_report(out, 1, 1);
	free(out);
	tu_ok(berth_container_delete(c, 0));
	berth_container_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("attack");
	TCase *t = tcase_create("attack");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, proc_exe_of_exec_child);
	tcase_add_test(t, ptrace_before_seccomp);
	tcase_add_test(t, proc_cwd_of_exec_child);
	tcase_add_test(t, proc_root_of_exec_child);
	tcase_add_test(t, proc_fd_of_exec_child);
	tcase_add_test(t, init_joining_pid_namespace);
	tcase_add_test(t, cli_binary_overwrite);
	tcase_add_test(t, cwd_through_proc_self_fd);
	tcase_add_test(t, cgroup_escape);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
