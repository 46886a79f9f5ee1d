/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Helpers for the Check suites. */
#ifndef BERTH_TESTUTIL_H
#define BERTH_TESTUTIL_H

#include <berth/berth.h>
#include <check.h>
#include <stddef.h>

/* A busybox rootfs made once per build from busybox-static
 * (<build>/test-rootfs, read-only use only). Aborts the test if impossible. */
const char *tu_rootfs(void);

/* Fresh per-test state roots under /tmp; tu_env_cleanup() checks nothing is
 * left (no mounts below the roots, no container state dirs, no processes the
 * test started that are still alive) and removes them. */
typedef struct tu_env {
	char dir[256];
	char root[300];
	char run_root[300];
	berth_ctx *ctx;
} tu_env;
void tu_env_init(tu_env *e);
void tu_env_cleanup(tu_env *e);

/* Asserts a berth call returned 0, printing berth_error_last() otherwise. */
#define tu_ok(expr)                                                                       \
	do {                                                                                  \
		int _r = (expr);                                                                  \
		ck_assert_msg(_r == 0, "%s failed: %d %s", #expr, _r, berth_error_last()->message); \
	} while (0)

/* A spec with the default isolation, the test rootfs and the given command (sh -c cmd). */
berth_spec *tu_spec_sh(const char *cmd);

/* Runs a container to completion with stdout+stderr captured. Returns the
 * exit code (128+N for signal N); *out (malloc'd, NUL-terminated) gets the output. */
int tu_run_capture(tu_env *e, berth_spec *spec, char **out);
/* tu_run_capture of `sh -c cmd` with the default spec. */
int tu_sh(tu_env *e, const char *cmd, char **out);

/* Number of mount points whose path starts with prefix. */
int tu_mounts_under(const char *prefix);
/* Number of entries in a directory (0 if missing). */
int tu_dir_entries(const char *path);
/* Does a process with this pid exist (not a zombie reaped)? */
int tu_pid_alive(int pid);
/* Path of the build tree (BERTH_TEST_BUILD_DIR). */
const char *tu_build_dir(void);
/* Directories of this test's cgroup parent (berth/t<pid>) left in any
 * hierarchy, listed into what; removes them. */
int tu_cgroups_left(char *what, size_t n);
/* Runs a Check suite with CK_FORK, returns the process exit status. */
int tu_run_suite(Suite *s);

#endif
