/* SPDX-License-Identifier: LGPL-2.1-or-later
 * cgroup internals: the handle, resource validation and conversions (shared
 * by lib/cgroup, the runtime and the spec code; the pure functions are unit
 * tested in tests/cgroup/unit_cgroup.c). */
#ifndef BERTH_CGROUP_INTERNAL_H
#define BERTH_CGROUP_INTERNAL_H

#include "internal.h"
#include <stdint.h>

/* Controllers, as bits. On v2 BERTH__CG_BLKIO stands for "io". */
enum {
	BERTH__CG_CPU = 1u << 0,
	BERTH__CG_CPUACCT = 1u << 1,
	BERTH__CG_CPUSET = 1u << 2,
	BERTH__CG_MEMORY = 1u << 3,
	BERTH__CG_PIDS = 1u << 4,
	BERTH__CG_FREEZER = 1u << 5,
	BERTH__CG_BLKIO = 1u << 6,
	BERTH__CG_HUGETLB = 1u << 7,
	BERTH__CG_DEVICES = 1u << 8,
	BERTH__CG_ALL = ~0u,
};

/* One v1 hierarchy. */
typedef struct berth__cg_hier {
	char *mount;   /* its mount point, e.g. /sys/fs/cgroup/cpu,cpuacct */
	char *name;    /* for messages: the mount point's last component */
	unsigned ctrl; /* BERTH__CG_* bits of the controllers mounted there */
	char *dir;     /* mount/<parent>/<path>, NULL if the cgroup is not in it */
} berth__cg_hier;

struct berth_cgroup {
	int mode;            /* berth_cgroup_mode */
	char *rel;           /* "<parent>/<path>"; destroy also removes its empty ancestors */
	berth__cg_hier *v1;  /* v1 hierarchies (v1 and hybrid) */
	size_t nv1;
	char *umount;        /* the unified mount point (v2, hybrid), or NULL */
	char *udir;          /* umount/<parent>/<path>, NULL when absent */
	unsigned uctrl;      /* controllers available in udir (its cgroup.controllers) */
};

/* --- called by the runtime and the spec code --- */

/* berth_cgroup_create limited to the v1 hierarchies holding a controller
 * of need (BERTH__CG_ALL: all, as berth_cgroup_create), and in hybrid mode
 * the unified one only with BERTH__CG_HUGETLB. The runtime leaves out what
 * a container does not use yet (named hierarchies, cpuset, hugetlb):
 * creating a cpuset cgroup flips a kernel static key, which is slow. */
BERTH_HIDDEN int berth__cgroup_create_need(berth_cgroup **out, const char *parent, const char *path, unsigned need);
/* Adds the cgroup to the hierarchies of ctrl it is not in yet and moves its
 * processes there (a limit set later on such a controller). */
BERTH_HIDDEN int berth__cgroup_join_ctrl(berth_cgroup *cg, unsigned ctrl);

/* Converts an OCI linux.resources object and validates every value (types,
 * ranges, cpuset lists against this machine's online CPUs and memory
 * nodes). NULL is fine. BERTH_EINVAL naming the field, e.g.
 * "linux.resources.memory.limit". Writes nothing. */
BERTH_HIDDEN int berth__cgroup_resources_validate(const json_t *resources);
/* Processes the kernel OOM-killed in the cgroup ("oom_kill N" of
 * memory.oom_control on v1, memory.events on v2); 0 without a memory
 * controller. */
BERTH_HIDDEN int berth__cgroup_oom_kills(uint64_t *out, berth_cgroup *cg);
/* A cgroup.procs file of the cgroup, to test membership (the pids, freezer
 * or memory v1 hierarchy, else the unified one). */
BERTH_HIDDEN int berth__cgroup_procs_path(char *buf, size_t len, berth_cgroup *cg);

/* The container device allowlist (v1 devices controller): Docker's default
 * list, then the OCI linux.resources.devices rules (may be NULL). Nothing
 * for a privileged container or without a v1 devices hierarchy. */
BERTH_HIDDEN int berth__cgroup_devices_set(berth_cgroup *cg, const json_t *rules, int privileged);

/* --- resources (lib/cgroup/resources.c) --- */

#define BERTH__CG_MAX_HUGEPAGES 8
typedef struct berth__cgroup_hugepage {
	char size[16];  /* "2MB", "1GB", "64KB" */
	int64_t limit;  /* bytes, -1 unlimited */
} berth__cgroup_hugepage;

#define BERTH__CG_MAX_THROTTLES 16
/* One blockIO.throttle*Device entry. kind: 0 read bps, 1 write bps, 2 read
 * iops, 3 write iops. rate 0 removes the limit. */
typedef struct berth__cgroup_throttle {
	int kind;
	uint32_t major, minor;
	uint64_t rate;
} berth__cgroup_throttle;

/* berth_cgroup_resources plus what only OCI JSON carries. */
typedef struct berth__cgroup_res {
	berth_cgroup_resources r;
	int64_t memory_swappiness; /* 0..100 or BERTH_CGROUP_UNSET (v1 only; ignored on v2) */
	size_t n_hugepages;
	berth__cgroup_hugepage hugepages[BERTH__CG_MAX_HUGEPAGES];
	size_t n_throttles;
	berth__cgroup_throttle throttles[BERTH__CG_MAX_THROTTLES];
	const json_t *unified;     /* borrowed "unified" object, or NULL */
	int from_json;             /* field names in messages: linux.resources.* */
} berth__cgroup_res;

/* Everything unset (from_json 0). */
BERTH_HIDDEN void berth__cgroup_res_init(berth__cgroup_res *res);
/* JSON -> struct: types only (strings stay borrowed from resources). As
 * runc does, 0 means "not set" for memory limit/reservation/swap, cpu
 * shares/quota/period, pids limit and blkio weight; "" for cpus/mems. */
BERTH_HIDDEN int berth__cgroup_res_from_json(berth__cgroup_res *out, const json_t *resources);
/* Applies limits already parsed (and checked) to a cgroup (set.c). */
BERTH_HIDDEN int berth__cgroup_set_res(berth_cgroup *cg, const berth__cgroup_res *res);
/* Range checks. cpus_online/mems_online: the machine's lists ("0-1"); NULL
 * reads /sys/devices/system/{cpu,node}/online. */
BERTH_HIDDEN int berth__cgroup_res_check(const berth__cgroup_res *res, const char *cpus_online,
                                         const char *mems_online);
/* A parent or path below the cgroup root: relative, components of
 * [A-Za-z0-9_.-], no empty, "." or ".." component. what: "parent", "path". */
BERTH_HIDDEN int berth__cgroup_path_check(const char *what, const char *path);
/* cpu shares (2..262144) -> cpu.weight (1..10000). */
BERTH_HIDDEN uint64_t berth__cgroup_shares_to_weight(uint64_t shares);
/* blkio weight (10..1000) -> io.weight (1..10000). */
BERTH_HIDDEN uint64_t berth__cgroup_blkio_to_io_weight(uint64_t weight);
/* Checks a cpuset list ("0-3,5") against an online list. unit: "CPU" or
 * "memory node"; field: the name for messages (with its prefix). */
BERTH_HIDDEN int berth__cgroup_cpuset_check(const char *field, const char *list, const char *online,
                                            const char *unit);

/* --- parsing helpers (lib/cgroup/cgroup.c), pure --- */

/* The v1 hierarchies mounted below prefix ("/sys/fs/cgroup/") in a
 * /proc/self/mountinfo text, one per superblock. Frees with
 * berth__cgroup_hiers_free. */
BERTH_HIDDEN int berth__cgroup_parse_mountinfo(berth__cg_hier **out, size_t *n, const char *mountinfo,
                                               const char *prefix);
BERTH_HIDDEN void berth__cgroup_hiers_free(berth__cg_hier *h, size_t n);
/* The value of a "key value" line (cpu.stat, memory.events, ...). 0 if found. */
BERTH_HIDDEN int berth__cgroup_keyed(const char *text, const char *key, uint64_t *out);
/* Sums of the "<dev> Read N" / "<dev> Write N" lines of a v1 blkio file. */
BERTH_HIDDEN void berth__cgroup_blkio_sum(const char *text, uint64_t *rd, uint64_t *wr);
/* Sums of rbytes, wbytes, rios, wios over the devices of a v2 io.stat. */
BERTH_HIDDEN void berth__cgroup_iostat_sum(const char *text, uint64_t *rbytes, uint64_t *wbytes, uint64_t *rios,
                                           uint64_t *wios);

#endif
