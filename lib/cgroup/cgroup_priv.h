/* SPDX-License-Identifier: LGPL-2.1-or-later
 * File helpers private to lib/cgroup (cgroup.c, set.c). */
#ifndef BERTH_CGROUP_PRIV_H
#define BERTH_CGROUP_PRIV_H

#include "cgroup/cgroup_internal.h"

/* Whole file into a malloc'd NUL-terminated buffer. 0 or -errno; the
 * thread's error is not touched. */
BERTH_HIDDEN int berth__cg_slurp(char **out, const char *dir, const char *file);
/* First line of a small file, trailing whitespace removed. 0 or -errno. */
BERTH_HIDDEN int berth__cg_read_line(char *buf, size_t len, const char *dir, const char *file);
/* An unsigned number file ("max" -> *out = UINT64_MAX). 0 or -errno. */
BERTH_HIDDEN int berth__cg_read_u64(uint64_t *out, const char *dir, const char *file);
/* 1 if dir/file exists. */
BERTH_HIDDEN int berth__cg_exists(const char *dir, const char *file);
/* Writes val to dir/file in one write(). On failure sets the error
 * "cgroup <rel>: <label or file>: write <val>: <cause>" and returns its code. */
BERTH_HIDDEN int berth__cg_write(const berth_cgroup *cg, const char *dir, const char *file, const char *val,
                                 const char *label);
/* Same without touching the thread's error: 0 or -errno. */
BERTH_HIDDEN int berth__cg_write_raw(const char *dir, const char *file, const char *val);
/* The dir of the first v1 hierarchy holding the controller, NULL if none. */
BERTH_HIDDEN const char *berth__cg_v1dir(const berth_cgroup *cg, unsigned ctrl);
/* Monotonic clock, ns; sleeping. */
BERTH_HIDDEN uint64_t berth__cg_now(void);
BERTH_HIDDEN void berth__cg_nap(unsigned usec);

#endif
