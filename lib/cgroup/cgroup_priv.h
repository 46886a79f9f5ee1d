/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What the files of lib/cgroup share: file helpers (file.c), parsing
 * (parse.c), handles and destroy (cgroup.c), creating (create.c) and
 * processes (procs.c). */
#ifndef BERTH_CGROUP_PRIV_H
#define BERTH_CGROUP_PRIV_H

#include "cgroup/cgroup_internal.h"

/* Whole file into a malloc'd NUL-terminated buffer (at most CG_FILE_MAX
 * bytes: -EFBIG beyond). 0 or -errno; the thread's error is not touched. */
#define CG_FILE_MAX ((size_t)64 << 20)
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

#define CG_ROOT "/sys/fs/cgroup"
#define CG_UNIFIED "/sys/fs/cgroup/unified"
#define FREEZE_TIMEOUT_NS 2000000000ull
#define DESTROY_TIMEOUT_NS 1000000000ull
#define KILL_TIMEOUT_NS 5000000000ull

/* A growing vector of strings (create.c: the dirs a create made). */
typedef struct { char **v; size_t n; } strvec;
/* A growing vector of pids (procs.c). */
typedef struct { int *v; size_t n, cap; } pidvec;

/* --- file.c --- */
BERTH_HIDDEN int berth__cg_join(char *buf, size_t len, const char *dir, const char *file);
BERTH_HIDDEN int berth__cg_is_dir(const char *path);

/* --- parse.c --- */
/* Controller names separated by spaces or commas -> bits. */
BERTH_HIDDEN unsigned berth__cg_ctrl_mask(const char *list);

/* --- cgroup.c --- */
/* A handle with every hierarchy's path filled in (nothing made or checked). */
BERTH_HIDDEN int berth__cg_handle_new(berth_cgroup **out, const char *parent, const char *path);
BERTH_HIDDEN void berth__cg_read_uctrl(berth_cgroup *cg);
/* rmdir of the parents of mount/rel up to its first component, while empty. */
BERTH_HIDDEN void berth__cg_remove_parents(const berth_cgroup *cg, const char *mount);

/* --- create.c --- */
BERTH_HIDDEN void berth__cg_strvec_free(strvec *sv);
/* mkdir -p of mount/rel, recording what it made. enable: 0 none, 1 turn on
 * controllers in our own dirs above the leaf, 2 also in the mount's root.
 * A concurrent destroy may remove a parent as we go: start again then. */
BERTH_HIDDEN int berth__cg_make_tree(berth_cgroup *cg, const char *mount, int cpuset, int enable, strvec *made);

/* --- procs.c --- */
/* The pids of dir's cgroup.procs and (recursive) of the cgroups below. 0 or -errno. */
BERTH_HIDDEN int berth__cg_collect_pids(pidvec *pv, const char *dir, int recursive, int depth);
/* The v1 hierarchy to list processes from: pids, freezer, memory, any. */
BERTH_HIDDEN const char *berth__cg_v1_procs_dir(const berth_cgroup *cg);
/* "populated 1" in the unified cgroup.events (this cgroup or below). */
BERTH_HIDDEN int berth__cg_unified_populated(const berth_cgroup *cg);

#endif
