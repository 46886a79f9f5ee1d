/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cgroup.h: control groups on cgroup v1, hybrid (v1 controllers plus a
 * cgroup2 mount) and v2 hosts, behind one API, usable without a container.
 *
 * Every cgroup berth makes lives below a parent of its own, "berth" by
 * default, in each hierarchy: /sys/fs/cgroup/<controller>/berth/<path> on v1
 * (and /sys/fs/cgroup/unified/berth/<path> on hybrid hosts),
 * /sys/fs/cgroup/berth/<path> on v2. Paths are relative to that parent and
 * may not contain "..".
 *
 * Units follow the OCI runtime spec (v1 names); on v2 they are translated as
 * runc does: cpu shares -> cpu.weight = 1 + (shares - 2) * 9999 / 262142;
 * memory swap (memory+swap on v1) -> memory.swap.max = swap - limit;
 * blkio weight -> io.bfq.weight / io.weight (same range 10..1000 mapped to
 * 1..10000 as 1 + (w - 10) * 9999 / 990); cpu quota/period -> cpu.max.
 */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum berth_cgroup_mode {
	BERTH_CGROUP_NONE = 0,   /* no cgroup file system mounted */
	BERTH_CGROUP_V1 = 1,     /* only v1 hierarchies */
	BERTH_CGROUP_HYBRID = 2, /* v1 hierarchies plus cgroup2 at /sys/fs/cgroup/unified */
	BERTH_CGROUP_V2 = 3      /* the unified hierarchy at /sys/fs/cgroup */
} berth_cgroup_mode;

/* The host's mode, as seen in the caller's mount namespace. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_mode_detect(int *out_mode);
/* "none", "v1", "hybrid", "v2". Since: 0.1 */
BERTH_EXTERN const char *berth_cgroup_mode_name(int mode);

typedef struct berth_cgroup berth_cgroup;

/* Resources. Fields left at BERTH_CGROUP_UNSET (or NULL) are not touched. */
#define BERTH_CGROUP_UNSET INT64_MIN
/* Version 1 (0.1). */
#define BERTH_CGROUP_RESOURCES_VERSION 1
typedef struct berth_cgroup_resources {
	unsigned int version;        /* BERTH_CGROUP_RESOURCES_VERSION */
	int64_t memory_limit;        /* bytes; -1 unlimited */
	int64_t memory_reservation;  /* bytes (soft limit / memory.low); -1 unlimited */
	int64_t memory_swap;         /* memory + swap, bytes (as docker --memory-swap); -1 unlimited */
	int64_t cpu_shares;          /* 2..262144 (v2: converted to cpu.weight) */
	int64_t cpu_quota;           /* microseconds per period; -1 unlimited */
	int64_t cpu_period;          /* microseconds, 1000..1000000 */
	const char *cpuset_cpus;     /* "0-1,3"; checked against the machine's CPUs */
	const char *cpuset_mems;
	int64_t pids_limit;          /* -1 unlimited */
	int64_t blkio_weight;        /* 10..1000 */
} berth_cgroup_resources;
#define BERTH_CGROUP_RESOURCES_INIT                                                                      \
	{ BERTH_CGROUP_RESOURCES_VERSION, BERTH_CGROUP_UNSET, BERTH_CGROUP_UNSET, BERTH_CGROUP_UNSET,          \
	  BERTH_CGROUP_UNSET, BERTH_CGROUP_UNSET, BERTH_CGROUP_UNSET, NULL, NULL, BERTH_CGROUP_UNSET,           \
	  BERTH_CGROUP_UNSET }
/* Fills res with version's defaults (every limit BERTH_CGROUP_UNSET).
 * BERTH_EINVAL for an unknown version. For bindings; C may use the INIT
 * macro. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_resources_init(berth_cgroup_resources *res, unsigned int version);

/* Creates (or opens, if it exists) the cgroup at path below parent ("berth"
 * when NULL) in every hierarchy. Errors: BERTH_EINVAL (path), BERTH_ESYS;
 * on failure no directory is left. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_create(berth_cgroup **out, const char *parent, const char *path);
/* Opens an existing one; BERTH_ENOTFOUND if it is in no hierarchy. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_open(berth_cgroup **out, const char *parent, const char *path);
/* Frees the handle (the cgroup stays; see berth_cgroup_destroy()).
 * Accepts NULL. Since: 0.1 */
BERTH_EXTERN void berth_cgroup_free(berth_cgroup *cg);
/* "berth/<path>": the path below each hierarchy's root. Borrowed. Since: 0.1 */
BERTH_EXTERN const char *berth_cgroup_path(const berth_cgroup *cg);
/* The cgroup's mode (the host's). Since: 0.1 */
BERTH_EXTERN int berth_cgroup_get_mode(const berth_cgroup *cg);
/* An O_DIRECTORY fd of the cgroup in the unified hierarchy (v2 and hybrid),
 * for clone3's CLONE_INTO_CGROUP; -1 on v1. The caller closes it. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_unified_fd(const berth_cgroup *cg);

/* Moves a process into the cgroup in every hierarchy. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_attach(berth_cgroup *cg, int pid);
/* Writes the resources. A limit on a controller the host lacks is
 * BERTH_EUNSUPPORTED naming it; a bad value BERTH_EINVAL naming the field. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_set(berth_cgroup *cg, const berth_cgroup_resources *res);
/* The same from an OCI linux.resources JSON object. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_set_json(berth_cgroup *cg, const char *resources_json);

/* Version 1 (0.1); filled by the library, version set by the caller. */
#define BERTH_CGROUP_STATS_VERSION 1
typedef struct berth_cgroup_stats {
	unsigned int version;         /* BERTH_CGROUP_STATS_VERSION: set by the caller */
	uint64_t memory_usage;        /* bytes */
	uint64_t memory_peak;         /* bytes (0 where the kernel does not tell) */
	int64_t memory_limit;         /* bytes, -1 unlimited */
	uint64_t memory_oom_kills;    /* processes the kernel killed for memory */
	uint64_t cpu_usage_ns;        /* total */
	uint64_t cpu_user_ns;
	uint64_t cpu_system_ns;
	uint64_t cpu_throttled_periods;
	uint64_t cpu_throttled_ns;
	uint64_t pids_current;
	int64_t pids_limit;           /* -1 unlimited */
	uint64_t io_read_bytes;
	uint64_t io_write_bytes;
	uint64_t io_read_ops;
	uint64_t io_write_ops;
} berth_cgroup_stats;
/* Reads the statistics (stats->version set by the caller). Since: 0.1 */
BERTH_EXTERN int berth_cgroup_stats_read(berth_cgroup_stats *stats, berth_cgroup *cg);

/* Freezes (frozen != 0) or thaws every process; returns once the kernel says
 * the cgroup is (un)frozen. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_freeze(berth_cgroup *cg, int frozen);
/* 1 if frozen, 0 if not. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_frozen(int *out, berth_cgroup *cg);
/* SIGKILL to every process in it (cgroup.kill on v2, else one by one). Since: 0.1 */
BERTH_EXTERN int berth_cgroup_kill(berth_cgroup *cg);
/* Pids of the processes in it (v2, or the pids/freezer/first v1 hierarchy),
 * a 0-terminated array released with berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_cgroup_pids(int **out, berth_cgroup *cg);
/* Removes it from every hierarchy (killing nothing: BERTH_EBUSY if processes
 * remain after a few retries while the kernel finishes exiting ones), then
 * the empty berth parents. The handle stays to be freed. Since: 0.1 */
BERTH_EXTERN int berth_cgroup_destroy(berth_cgroup *cg);

#ifdef __cplusplus
}
#endif
#endif
