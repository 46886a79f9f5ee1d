/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The runtime's internal cgroup helpers on this host's real cgroups
 * (linked to the static library: berth__ symbols are hidden in the .so):
 * berth__cgroup_oom_kills after a real OOM kill, berth__cgroup_procs_path.
 * Needs root and cgroups (fails without them: berth's tests run as root).
 * Leaves no cgroup. */
#include "cgroup/cgroup_internal.h"
#include "testutil.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int usable(void)
{
	int mode = BERTH_CGROUP_NONE;
	ck_assert_msg(geteuid() == 0 && berth_cgroup_mode_detect(&mode) == 0 && mode != BERTH_CGROUP_NONE,
	              "this test needs root and a cgroup file system");
	return 1;
}

static int in_file(const char *path, int pid)
{
	FILE *f = fopen(path, "r");
	int v, found = 0;
	while (f && fscanf(f, "%d", &v) == 1)
		found |= v == pid;
	if (f)
		fclose(f);
	return found;
}

START_TEST(oom_kills_and_procs_path)
{
	if (!usable())
		return;
	char name[64];
	snprintf(name, sizeof name, "t-%d-internal", (int)getpid());
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	uint64_t kills = 99;
	tu_ok(berth__cgroup_oom_kills(&kills, cg));
	ck_assert_uint_eq(kills, 0);

	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		for (;;) {
			volatile char *m = malloc(100u << 20);
			if (!m)
				_exit(3);
			for (size_t i = 0; i < (100u << 20); i += 4096)
				m[i] = 1;
		}
	}
	close(p[0]);
	tu_ok(berth_cgroup_attach(cg, pid));
	char procs[4096];
	tu_ok(berth__cgroup_procs_path(procs, sizeof procs, cg));
	ck_assert_msg(in_file(procs, pid), "pid %d not in %s", pid, procs);
	char small[8];
	ck_assert_int_eq(berth__cgroup_procs_path(small, sizeof small, cg), BERTH_EINVAL);

	int mem_ok = berth_cgroup_set_json(cg, "{\"memory\": {\"limit\": 33554432}}") == 0;
	if (!mem_ok) { /* no memory controller here: nothing to OOM-kill */
		ck_assert_int_eq(berth_error_last()->code, BERTH_EUNSUPPORTED);
		kill(pid, SIGKILL);
	}
	ck_assert_int_eq(write(p[1], "g", 1), 1);
	close(p[1]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	tu_ok(berth__cgroup_oom_kills(&kills, cg));
	if (mem_ok)
		ck_assert_uint_ge(kills, 1);
	else
		ck_assert_uint_eq(kills, 0);
	ck_assert_int_eq(berth__cgroup_oom_kills(NULL, cg), BERTH_EINVAL);
	tu_ok(berth_cgroup_destroy(cg));
	struct stat sb;
	ck_assert_int_ne(stat(procs, &sb), 0);
	berth_cgroup_free(cg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup-internal");
	TCase *t = tcase_create("internal");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, oom_kills_and_procs_path);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
