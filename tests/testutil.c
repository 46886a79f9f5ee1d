/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "testutil.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

const char *tu_build_dir(void) { return BERTH_TEST_BUILD_DIR; }

static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

const char *tu_rootfs(void)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/test-rootfs", BERTH_TEST_BUILD_DIR);
	char marker[600];
	snprintf(marker, sizeof marker, "%s/.complete", path);
	if (access(marker, F_OK) == 0)
		return path;
	/* serialise concurrent makers (ctest -j) */
	char lock[600];
	snprintf(lock, sizeof lock, "%s/test-rootfs.lock", BERTH_TEST_BUILD_DIR);
	int lfd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	ck_assert_int_ge(lfd, 0);
	flock(lfd, LOCK_EX);
	if (access(marker, F_OK) != 0) {
		char cmd[4096];
		snprintf(cmd, sizeof cmd,
		         "set -e; p='%s'; rm -rf \"$p\"; mkdir -p \"$p\"/bin \"$p\"/etc \"$p\"/tmp \"$p\"/root \"$p\"/proc \"$p\"/sys \"$p\"/dev;"
		         "cp /bin/busybox \"$p\"/bin/busybox;"
		         "for a in $(\"$p\"/bin/busybox --list); do [ \"$a\" = busybox ] || ln -sf busybox \"$p\"/bin/$a; done;"
		         "mkdir -p \"$p\"/usr/bin \"$p\"/sbin \"$p\"/usr/sbin;"
		         "chmod 1777 \"$p\"/tmp;"
		         "printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/:/bin/sh\\n' > \"$p\"/etc/passwd;"
		         "printf 'root:x:0:\\nnobody:x:65534:\\n' > \"$p\"/etc/group;"
		         "touch \"$p\"/.complete",
		         path);
		ck_assert_msg(sh(cmd) == 0, "cannot make the busybox rootfs (is busybox-static installed?)");
	}
	flock(lfd, LOCK_UN);
	close(lfd);
	return path;
}

/* A test that fails an assertion ends its forked process at once (Check's
 * _exit), without its teardown. Its environment is named after the suite's
 * runner process, which removes what is left once the suite has run
 * (abandoned_envs): containers force-deleted (so their processes, cgroups
 * and mounts go too), then the directory. */
static pid_t g_runner;

static void remove_env_dir(const char *dir)
{
	char root[300], run_root[300];
	snprintf(root, sizeof root, "%s/root", dir);
	snprintf(run_root, sizeof run_root, "%s/run", dir);
	berth_ctx_options o = BERTH_CTX_OPTIONS_INIT;
	o.root = root;
	o.run_root = run_root;
	berth_ctx *ctx = NULL;
	char **ids = NULL;
	berth_container *c = NULL;
	if (berth_ctx_new(&ctx, &o) == 0 && berth_container_list(&ids, ctx) == 0) {
		for (char **id = ids; *id; id++, c = NULL) {
			if (berth_container_open(&c, ctx, *id) < 0 ||
			    berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES) < 0)
				fprintf(stderr, "%s: a failed test's container %s: %s\n", dir, *id, berth_error_last()->message);
			berth_container_free(c);
		}
		berth_free(ids);
	}
	berth_ctx_free(ctx);
	char cmd[800];
	snprintf(cmd, sizeof cmd,
	         "grep '%s' /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l; rm -rf '%s'", dir, dir);
	sh(cmd);
}

static void abandoned_envs(pid_t runner)
{
	char prefix[64];
	int pl = snprintf(prefix, sizeof prefix, "berth-test-%d-", (int)runner);
	DIR *d = opendir("/tmp");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, (size_t)pl))
			continue;
		char dir[300];
		snprintf(dir, sizeof dir, "/tmp/%s", de->d_name);
		remove_env_dir(dir);
	}
	if (d)
		closedir(d);
}

void tu_env_init(tu_env *e)
{
	memset(e, 0, sizeof *e);
	snprintf(e->dir, sizeof e->dir, "/tmp/berth-test-%d-XXXXXX", (int)(g_runner ? g_runner : getpid()));
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	snprintf(e->root, sizeof e->root, "%s/root", e->dir);
	snprintf(e->run_root, sizeof e->run_root, "%s/run", e->dir);
	berth_ctx_options o = BERTH_CTX_OPTIONS_INIT;
	o.root = e->root;
	o.run_root = e->run_root;
	tu_ok(berth_ctx_new(&e->ctx, &o));
}

int tu_mounts_under(const char *prefix)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return -1;
	char line[4096];
	int n = 0;
	size_t pl = strlen(prefix);
	while (fgets(line, sizeof line, f)) {
		char mp[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strncmp(mp, prefix, pl) == 0)
			n++;
	}
	fclose(f);
	return n;
}

int tu_dir_entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int tu_pid_alive(int pid)
{
	if (pid <= 0)
		return 0;
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Processes left by the test: a monitor (its command line names the test's
 * roots) or a child of the test process (a container init never reaped). */
static int leftover_processes(const char *dir, char *what, size_t n)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int count = 0;
	what[0] = '\0';
	while (d && (de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		char path[64], buf[4096];
		snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
		FILE *f = fopen(path, "r");
		size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		for (size_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = '\0';
		int mine = strstr(buf, dir) != NULL;
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (f) {
			char st[512];
			size_t m = fread(st, 1, sizeof st - 1, f);
			fclose(f);
			st[m] = '\0';
			char *p = strrchr(st, ')');
			int ppid = 0;
			char state = 0;
			if (p && sscanf(p + 2, "%c %d", &state, &ppid) == 2 && ppid == getpid())
				mine = 1;
		}
		if (mine) {
			count++;
			size_t l = strlen(what);
			snprintf(what + l, n - l, "[%d] %.60s; ", pid, buf);
		}
	}
	if (d)
		closedir(d);
	return count;
}

int tu_cgroups_left(char *what, size_t n)
{
	/* the test's own cgroup parent, in every hierarchy */
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *de;
	int count = 0;
	what[0] = '\0';
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof p, "/sys/fs/cgroup/%s/berth/t%d", de->d_name, (int)getpid());
		if (access(p, F_OK) == 0) {
			count++;
			size_t l = strlen(what);
			snprintf(what + l, n - l, "%s ", p);
			/* remove it so one failure does not cascade (children first) */
			char cmd[700];
			snprintf(cmd, sizeof cmd, "find %s -depth -type d -exec rmdir {} + 2>/dev/null", p);
			sh(cmd);
		}
	}
	if (d)
		closedir(d);
	return count;
}

void tu_env_cleanup(tu_env *e)
{
	if (!e->ctx)
		return;
	char procs[2048];
	int left_procs = 0;
	/* a monitor may still be finishing its last writes: give it a moment */
	for (int i = 0; i < 100 && (left_procs = leftover_processes(e->dir, procs, sizeof procs)) > 0; i++)
		usleep(20000);
	/* Every container the test made must have been deleted. */
	char p[400];
	snprintf(p, sizeof p, "%s/containers", e->run_root);
	int left_run = tu_dir_entries(p);
	snprintf(p, sizeof p, "%s/containers", e->root);
	int left_root = tu_dir_entries(p);
	int left_mounts = tu_mounts_under(e->dir);
	char cg[2048];
	int left_cgroups = tu_cgroups_left(cg, sizeof cg);
	berth_ctx_free(e->ctx);
	e->ctx = NULL;
	char cmd[400];
	if (left_mounts > 0) {
		snprintf(cmd, sizeof cmd, "grep '%s' /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l", e->dir);
		sh(cmd);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
	sh(cmd);
	ck_assert_msg(left_procs == 0, "%d processes left: %s", left_procs, procs);
	ck_assert_msg(left_cgroups == 0, "cgroups left: %s", cg);
	ck_assert_msg(left_mounts == 0, "%d mounts left under %s", left_mounts, e->dir);
	ck_assert_msg(left_run == 0, "%d container state dirs left in run_root", left_run);
	ck_assert_msg(left_root == 0, "%d container dirs left in root", left_root);
}

berth_spec *tu_spec_sh(const char *cmd)
{
	berth_spec *s = NULL;
	tu_ok(berth_spec_new(&s));
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	tu_ok(berth_spec_set_args(s, argv));
	tu_ok(berth_spec_set_rootfs(s, tu_rootfs(), 0));
	/* a cgroup parent of this test's own, checked for leftovers at cleanup */
	char parent[64];
	snprintf(parent, sizeof parent, "berth/t%d", (int)getpid());
	tu_ok(berth_spec_set_cgroup_parent(s, parent));
	return s;
}

int tu_run_capture(tu_env *e, berth_spec *spec, char **out)
{
	char tmpl[] = "/tmp/berth-out-XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.stdout_fd = fd;
	o.stderr_fd = fd;
	berth_container *c = NULL;
	tu_ok(berth_container_run(&c, e->ctx, spec, &o));
	int code = -1;
	tu_ok(berth_container_wait(&code, NULL, c, -1));
	tu_ok(berth_container_delete(c, 0));
	berth_container_free(c);
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)len, 0), len);
	buf[len] = '\0';
	close(fd);
	if (out)
		*out = buf;
	else
		free(buf);
	return code;
}

int tu_sh(tu_env *e, const char *cmd, char **out)
{
	berth_spec *s = tu_spec_sh(cmd);
	int code = tu_run_capture(e, s, out);
	berth_spec_free(s);
	return code;
}

int tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	g_runner = getpid();
	srunner_run_all(sr, CK_NORMAL);
	abandoned_envs(g_runner); /* of tests that failed */
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
