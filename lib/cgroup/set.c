/* SPDX-License-Identifier: LGPL-2.1-or-later
 * cgroup limits (v1 files or their v2 translations) and statistics.
 *
 * berth_cgroup_set validates every value, then plans every write (which
 * also checks that each controller and file exists), and only then writes:
 * a refused request changes nothing. Each controller is served by a v1
 * hierarchy if one has it, else by the unified hierarchy if it is
 * available there. */
#include "cgroup/cgroup_priv.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	const char *dir;
	char *file;
	char *val;
	int retry; /* on EINVAL, try again after the others (v1 cfs period vs quota) */
} cg_wr;

typedef struct {
	cg_wr *v;
	size_t n;
} cg_plan;

static void plan_free(cg_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].file);
		free(p->v[i].val);
	}
	free(p->v);
}

static int plan_add(cg_plan *p, const char *dir, const char *file, int retry, const char *fmt, ...)
    BERTH_PRINTF(5, 6);
static int plan_add(cg_plan *p, const char *dir, const char *file, int retry, const char *fmt, ...)
{
	cg_wr *nv = realloc(p->v, (p->n + 1) * sizeof *nv);
	if (!nv)
		return berth__err_nomem();
	p->v = nv;
	cg_wr *w = &p->v[p->n];
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&w->val, fmt, ap);
	va_end(ap);
	if (n < 0)
		return berth__err_nomem();
	if (!(w->file = strdup(file))) {
		free(w->val);
		return berth__err_nomem();
	}
	w->dir = dir;
	w->retry = retry;
	p->n++;
	return 0;
}

static int unavailable(const berth_cgroup *cg, const char *what, const char *ctrl)
{
	return berth__err(BERTH_EUNSUPPORTED, "cgroup %s: %s: the %s controller is not available here", cg->rel, what,
	                  ctrl);
}

static const char *v2dir(const berth_cgroup *cg, unsigned ctrl)
{
	return cg->udir && (cg->uctrl & ctrl) ? cg->udir : NULL;
}

#define SET(v) ((v) != BERTH_CGROUP_UNSET)

static void num(char *buf, size_t len, int64_t v, const char *unlimited)
{
	if (v == -1 && unlimited)
		snprintf(buf, len, "%s", unlimited);
	else
		snprintf(buf, len, "%" PRId64, v);
}

static int plan_memory(cg_plan *p, const berth_cgroup *cg, const berth__cgroup_res *res)
{
	const berth_cgroup_resources *r = &res->r;
	if (!SET(r->memory_limit) && !SET(r->memory_reservation) && !SET(r->memory_swap) &&
	    !SET(res->memory_swappiness))
		return 0;
	const char *what = SET(r->memory_limit)         ? "memory limit"
	                   : SET(r->memory_reservation) ? "memory reservation"
	                   : SET(r->memory_swap)        ? "memory swap"
	                                                : "memory swappiness";
	const char *d = berth__cg_v1dir(cg, BERTH__CG_MEMORY);
	char lim[32], sw[32];
	int rc;
	if (d) {
		int swap = SET(r->memory_swap);
		if (swap && !berth__cg_exists(d, "memory.memsw.limit_in_bytes")) {
			if (r->memory_swap != -1)
				return berth__err(BERTH_EUNSUPPORTED,
				                  "cgroup %s: memory swap: swap accounting is not enabled on this host "
				                  "(no memory.memsw.limit_in_bytes)", cg->rel);
			swap = 0; /* unlimited swap is what we have anyway */
		}
		num(lim, sizeof lim, r->memory_limit, NULL);
		num(sw, sizeof sw, r->memory_swap, NULL);
		if (SET(r->memory_limit) && swap) {
			/* memory+swap must stay >= memory at every step */
			uint64_t cur = UINT64_MAX;
			(void)berth__cg_read_u64(&cur, d, "memory.limit_in_bytes");
			int raising = r->memory_limit == -1 || (uint64_t)r->memory_limit > cur;
			const char *first = raising ? "memory.memsw.limit_in_bytes" : "memory.limit_in_bytes";
			const char *second = raising ? "memory.limit_in_bytes" : "memory.memsw.limit_in_bytes";
			rc = plan_add(p, d, first, 0, "%s", raising ? sw : lim);
			if (rc == 0)
				rc = plan_add(p, d, second, 0, "%s", raising ? lim : sw);
		} else if (SET(r->memory_limit))
			rc = plan_add(p, d, "memory.limit_in_bytes", 0, "%s", lim);
		else if (swap)
			rc = plan_add(p, d, "memory.memsw.limit_in_bytes", 0, "%s", sw);
		else
			rc = 0;
		if (rc == 0 && SET(r->memory_reservation))
			rc = plan_add(p, d, "memory.soft_limit_in_bytes", 0, "%" PRId64, r->memory_reservation);
		if (rc == 0 && SET(res->memory_swappiness))
			rc = plan_add(p, d, "memory.swappiness", 0, "%" PRId64, res->memory_swappiness);
		return rc;
	}
	if (!(d = v2dir(cg, BERTH__CG_MEMORY)))
		return unavailable(cg, what, "memory");
	rc = 0;
	if (SET(r->memory_limit)) {
		num(lim, sizeof lim, r->memory_limit, "max");
		rc = plan_add(p, d, "memory.max", 0, "%s", lim);
	}
	if (rc == 0 && SET(r->memory_reservation)) {
		num(lim, sizeof lim, r->memory_reservation, "max");
		rc = plan_add(p, d, "memory.low", 0, "%s", lim);
	}
	if (rc == 0 && SET(r->memory_swap)) {
		if (!berth__cg_exists(d, "memory.swap.max")) {
			if (r->memory_swap != -1)
				return berth__err(BERTH_EUNSUPPORTED,
				                  "cgroup %s: memory swap: swap accounting is not enabled on this host "
				                  "(no memory.swap.max)", cg->rel);
		} else if (r->memory_swap == -1)
			rc = plan_add(p, d, "memory.swap.max", 0, "max");
		else if (!SET(r->memory_limit))
			return berth__err(BERTH_EINVAL, "cgroup %s: memory swap: cgroup v2 needs the memory limit with it "
			                  "(memory.swap.max = swap - limit)", cg->rel);
		else
			rc = plan_add(p, d, "memory.swap.max", 0, "%" PRId64, r->memory_swap - r->memory_limit);
	}
	/* swappiness: cgroup v2 has no such file; the kernel's global value applies */
	return rc;
}

static int plan_cpu(cg_plan *p, const berth_cgroup *cg, const berth_cgroup_resources *r)
{
	if (!SET(r->cpu_shares) && !SET(r->cpu_quota) && !SET(r->cpu_period))
		return 0;
	const char *what = SET(r->cpu_shares) ? "cpu shares" : SET(r->cpu_quota) ? "cpu quota" : "cpu period";
	const char *d = berth__cg_v1dir(cg, BERTH__CG_CPU);
	int rc = 0;
	if (d) {
		if (SET(r->cpu_shares))
			rc = plan_add(p, d, "cpu.shares", 0, "%" PRId64, r->cpu_shares);
		if (rc == 0 && SET(r->cpu_period))
			rc = plan_add(p, d, "cpu.cfs_period_us", SET(r->cpu_quota), "%" PRId64, r->cpu_period);
		if (rc == 0 && SET(r->cpu_quota))
			rc = plan_add(p, d, "cpu.cfs_quota_us", 0, "%" PRId64, r->cpu_quota);
		return rc;
	}
	if (!(d = v2dir(cg, BERTH__CG_CPU)))
		return unavailable(cg, what, "cpu");
	if (SET(r->cpu_shares))
		rc = plan_add(p, d, "cpu.weight", 0, "%" PRIu64, berth__cgroup_shares_to_weight((uint64_t)r->cpu_shares));
	if (rc == 0 && (SET(r->cpu_quota) || SET(r->cpu_period))) {
		/* cpu.max is "QUOTA PERIOD": keep the half not asked for */
		char cur[64] = "max 100000", quota[32];
		(void)berth__cg_read_line(cur, sizeof cur, d, "cpu.max");
		char *sp = strchr(cur, ' ');
		long long period = sp ? atoll(sp + 1) : 100000;
		if (sp)
			*sp = '\0';
		if (SET(r->cpu_quota))
			num(quota, sizeof quota, r->cpu_quota, "max");
		else
			snprintf(quota, sizeof quota, "%s", cur);
		if (SET(r->cpu_period))
			period = r->cpu_period;
		rc = plan_add(p, d, "cpu.max", 0, "%s %lld", quota, period);
	}
	return rc;
}

static int plan_rest(cg_plan *p, const berth_cgroup *cg, const berth__cgroup_res *res)
{
	const berth_cgroup_resources *r = &res->r;
	const char *d;
	int rc = 0;
	int cpus = r->cpuset_cpus && *r->cpuset_cpus, mems = r->cpuset_mems && *r->cpuset_mems;
	if (cpus || mems) {
		if (!(d = berth__cg_v1dir(cg, BERTH__CG_CPUSET)) && !(d = v2dir(cg, BERTH__CG_CPUSET)))
			return unavailable(cg, cpus ? "cpuset cpus" : "cpuset mems", "cpuset");
		if (mems && (rc = plan_add(p, d, "cpuset.mems", 0, "%s", r->cpuset_mems)) < 0)
			return rc;
		if (cpus && (rc = plan_add(p, d, "cpuset.cpus", 0, "%s", r->cpuset_cpus)) < 0)
			return rc;
	}
	if (SET(r->pids_limit)) {
		if (!(d = berth__cg_v1dir(cg, BERTH__CG_PIDS)) && !(d = v2dir(cg, BERTH__CG_PIDS)))
			return unavailable(cg, "pids limit", "pids");
		char v[32];
		num(v, sizeof v, r->pids_limit, "max");
		if ((rc = plan_add(p, d, "pids.max", 0, "%s", v)) < 0)
			return rc;
	}
	if (SET(r->blkio_weight)) {
		if ((d = berth__cg_v1dir(cg, BERTH__CG_BLKIO))) {
			const char *f = berth__cg_exists(d, "blkio.weight")       ? "blkio.weight"
			                : berth__cg_exists(d, "blkio.bfq.weight") ? "blkio.bfq.weight"
			                                                          : NULL;
			if (!f)
				return berth__err(BERTH_EUNSUPPORTED,
				                  "cgroup %s: blkio weight: neither blkio.weight nor blkio.bfq.weight exists here "
				                  "(no CFQ or BFQ I/O scheduler)", cg->rel);
			rc = plan_add(p, d, f, 0, "%" PRId64, r->blkio_weight);
		} else if ((d = v2dir(cg, BERTH__CG_BLKIO))) {
			if (berth__cg_exists(d, "io.bfq.weight")) /* BFQ's own range is 1..1000 */
				rc = plan_add(p, d, "io.bfq.weight", 0, "%" PRId64, r->blkio_weight);
			else if (berth__cg_exists(d, "io.weight"))
				rc = plan_add(p, d, "io.weight", 0, "default %" PRIu64,
				              berth__cgroup_blkio_to_io_weight((uint64_t)r->blkio_weight));
			else
				return berth__err(BERTH_EUNSUPPORTED,
				                  "cgroup %s: blkio weight: neither io.bfq.weight nor io.weight exists here", cg->rel);
		} else
			return unavailable(cg, "blkio weight", "blkio (io)");
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < res->n_throttles; i++) {
		const berth__cgroup_throttle *t = &res->throttles[i];
		static const char *const v1f[4] = { "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
			                            "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
		static const char *const v2k[4] = { "rbps", "wbps", "riops", "wiops" };
		if ((d = berth__cg_v1dir(cg, BERTH__CG_BLKIO))) {
			if (!berth__cg_exists(d, v1f[t->kind]))
				return berth__err(BERTH_EUNSUPPORTED, "cgroup %s: blkio throttle: no %s here", cg->rel, v1f[t->kind]);
			rc = plan_add(p, d, v1f[t->kind], 0, "%u:%u %" PRIu64, t->major, t->minor, t->rate);
		} else if ((d = v2dir(cg, BERTH__CG_BLKIO)) && berth__cg_exists(d, "io.max")) {
			if (t->rate)
				rc = plan_add(p, d, "io.max", 0, "%u:%u %s=%" PRIu64, t->major, t->minor, v2k[t->kind], t->rate);
			else
				rc = plan_add(p, d, "io.max", 0, "%u:%u %s=max", t->major, t->minor, v2k[t->kind]);
		} else
			return unavailable(cg, "blkio throttle", "blkio (io)");
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const berth__cgroup_hugepage *h = &res->hugepages[i];
		char what[64], file[64], v[32];
		snprintf(what, sizeof what, "hugetlb %s limit", h->size);
		if ((d = berth__cg_v1dir(cg, BERTH__CG_HUGETLB)))
			snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", h->size);
		else if ((d = v2dir(cg, BERTH__CG_HUGETLB)))
			snprintf(file, sizeof file, "hugetlb.%s.max", h->size);
		else
			return unavailable(cg, what, "hugetlb");
		if (!berth__cg_exists(d, file))
			return berth__err(BERTH_EUNSUPPORTED, "cgroup %s: %s: no %s here (page size not supported)", cg->rel,
			                  what, file);
		num(v, sizeof v, h->limit, d == cg->udir ? "max" : NULL);
		if ((rc = plan_add(p, d, file, 0, "%s", v)) < 0)
			return rc;
	}
	if (res->unified) {
		if (!cg->udir)
			return berth__err(BERTH_EUNSUPPORTED, "cgroup %s: unified: no cgroup v2 hierarchy on this host (%s)",
			                  cg->rel, berth_cgroup_mode_name(cg->mode));
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)res->unified, k, v) {
			if (!berth__cg_exists(cg->udir, k))
				return berth__err(BERTH_EUNSUPPORTED, "cgroup %s: unified %s: no such file here (is its controller "
				                  "available?)", cg->rel, k);
			if ((rc = plan_add(p, cg->udir, k, 0, "%s", json_string_value(v))) < 0)
				return rc;
		}
	}
	return 0;
}

static int apply(berth_cgroup *cg, const berth__cgroup_res *res)
{
	int r = berth__cgroup_res_check(res, NULL, NULL);
	if (r < 0)
		return r;
	/* controllers the cgroup was created without (berth__cgroup_create_need) */
	unsigned join = 0;
	if ((res->r.cpuset_cpus && *res->r.cpuset_cpus) || (res->r.cpuset_mems && *res->r.cpuset_mems))
		join |= BERTH__CG_CPUSET;
	if (res->n_hugepages || json_object_size(res->unified))
		join |= BERTH__CG_HUGETLB;
	if (join && (r = berth__cgroup_join_ctrl(cg, join)) < 0)
		return r;
	cg_plan p = { NULL, 0 };
	if ((r = plan_memory(&p, cg, res)) < 0 || (r = plan_cpu(&p, cg, &res->r)) < 0 || (r = plan_rest(&p, cg, res)) < 0) {
		plan_free(&p);
		return r;
	}
	/* writes; one that may need the others first is retried at the end */
	size_t deferred[8], nd = 0;
	for (size_t i = 0; i < p.n && r == 0; i++) {
		int e = berth__cg_write_raw(p.v[i].dir, p.v[i].file, p.v[i].val);
		if (e == -EINVAL && p.v[i].retry && nd < BERTH_ARRAY_SIZE(deferred))
			deferred[nd++] = i;
		else if (e < 0)
			r = berth__cg_write(cg, p.v[i].dir, p.v[i].file, p.v[i].val, NULL);
	}
	for (size_t i = 0; i < nd && r == 0; i++)
		r = berth__cg_write(cg, p.v[deferred[i]].dir, p.v[deferred[i]].file, p.v[deferred[i]].val, NULL);
	plan_free(&p);
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth_cgroup_set(berth_cgroup *cg, const berth_cgroup_resources *res)
{
	if (!cg || !res)
		return berth__err(BERTH_EINVAL, "cgroup set: cg and res are required");
	if (berth__check_version(res->version, BERTH_CGROUP_RESOURCES_VERSION, "berth_cgroup_resources") < 0)
		return berth__err_prefix("cgroup %s", cg->rel);
	berth__cgroup_res x;
	berth__cgroup_res_init(&x);
	x.r = *res;
	return apply(cg, &x);
}

int berth__cgroup_set_res(berth_cgroup *cg, const berth__cgroup_res *res) { return apply(cg, res); }

BERTH_EXTERN int berth_cgroup_set_json(berth_cgroup *cg, const char *resources_json)
{
	if (!cg || !resources_json)
		return berth__err(BERTH_EINVAL, "cgroup set: cg and resources_json are required");
	json_error_t je;
	json_t *j = json_loads(resources_json, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return berth__err(BERTH_EINVAL, "cgroup %s: linux.resources: bad JSON at line %d: %s", cg->rel, je.line,
		                  je.text);
	berth__cgroup_res x;
	int r = berth__cgroup_res_from_json(&x, j);
	if (r == 0)
		r = apply(cg, &x);
	json_decref(j);
	return r;
}

/* --- statistics --- */

static void rd_u64(uint64_t *out, const char *dir, const char *file)
{
	uint64_t v;
	if (berth__cg_read_u64(&v, dir, file) == 0)
		*out = v;
}

/* A limit: "max", or v1's "unlimited" (PAGE_COUNTER_MAX pages, >= 2^62) -> -1. */
static void rd_limit(int64_t *out, const char *dir, const char *file)
{
	uint64_t v;
	if (berth__cg_read_u64(&v, dir, file) == 0)
		*out = v >= (UINT64_C(1) << 62) ? -1 : (int64_t)v;
}

static void rd_keyed(uint64_t *out, const char *text, const char *key, uint64_t mul)
{
	uint64_t v;
	if (text && berth__cgroup_keyed(text, key, &v) == 0)
		*out = v * mul;
}

static char *slurp_or_null(const char *dir, const char *file)
{
	char *t = NULL;
	return berth__cg_slurp(&t, dir, file) == 0 ? t : NULL;
}

int berth__cgroup_oom_kills(uint64_t *out, berth_cgroup *cg)
{
	if (!out || !cg)
		return berth__err(BERTH_EINVAL, "cgroup oom kills: out and cg are required");
	const char *d;
	char *t = NULL;
	uint64_t v = 0;
	int r = 0;
	if ((d = berth__cg_v1dir(cg, BERTH__CG_MEMORY)))
		r = berth__cg_slurp(&t, d, "memory.oom_control");
	else if ((d = v2dir(cg, BERTH__CG_MEMORY)))
		r = berth__cg_slurp(&t, d, "memory.events");
	else {
		*out = 0;
		return 0;
	}
	if (r < 0)
		return berth__err_sys(-r, "cgroup %s: read %s", cg->rel,
		                      d == cg->udir ? "memory.events" : "memory.oom_control");
	rd_keyed(&v, t, "oom_kill", 1);
	free(t);
	*out = v;
	return 0;
}

BERTH_EXTERN int berth_cgroup_stats_read(berth_cgroup_stats *stats, berth_cgroup *cg)
{
	if (!stats || !cg)
		return berth__err(BERTH_EINVAL, "cgroup stats: stats and cg are required");
	if (berth__check_version(stats->version, BERTH_CGROUP_STATS_VERSION, "berth_cgroup_stats") < 0)
		return berth__err_prefix("cgroup %s", cg->rel);
	/* it must still exist somewhere */
	int present = cg->udir && access(cg->udir, F_OK) == 0;
	for (size_t i = 0; i < cg->nv1 && !present; i++)
		present = cg->v1[i].dir && access(cg->v1[i].dir, F_OK) == 0;
	if (!present)
		return berth__err(BERTH_ENOTFOUND, "cgroup %s: stats: the cgroup is gone", cg->rel);

	berth_cgroup_stats s;
	memset(&s, 0, sizeof s);
	s.version = BERTH_CGROUP_STATS_VERSION;
	s.memory_limit = -1;
	s.pids_limit = -1;
	const char *d;
	char *t;

	if ((d = berth__cg_v1dir(cg, BERTH__CG_MEMORY))) {
		rd_u64(&s.memory_usage, d, "memory.usage_in_bytes");
		rd_u64(&s.memory_peak, d, "memory.max_usage_in_bytes");
		rd_limit(&s.memory_limit, d, "memory.limit_in_bytes");
		t = slurp_or_null(d, "memory.oom_control");
		rd_keyed(&s.memory_oom_kills, t, "oom_kill", 1);
		free(t);
	} else if ((d = v2dir(cg, BERTH__CG_MEMORY))) {
		rd_u64(&s.memory_usage, d, "memory.current");
		rd_u64(&s.memory_peak, d, "memory.peak");
		rd_limit(&s.memory_limit, d, "memory.max");
		t = slurp_or_null(d, "memory.events");
		rd_keyed(&s.memory_oom_kills, t, "oom_kill", 1);
		free(t);
	}

	if ((d = berth__cg_v1dir(cg, BERTH__CG_CPUACCT))) {
		rd_u64(&s.cpu_usage_ns, d, "cpuacct.usage");
		if (berth__cg_exists(d, "cpuacct.usage_user")) {
			rd_u64(&s.cpu_user_ns, d, "cpuacct.usage_user");
			rd_u64(&s.cpu_system_ns, d, "cpuacct.usage_sys");
		} else if ((t = slurp_or_null(d, "cpuacct.stat"))) { /* USER_HZ ticks */
			long hz = sysconf(_SC_CLK_TCK);
			uint64_t mul = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
			rd_keyed(&s.cpu_user_ns, t, "user", mul);
			rd_keyed(&s.cpu_system_ns, t, "system", mul);
			free(t);
		}
	} else if (cg->udir && (t = slurp_or_null(cg->udir, "cpu.stat"))) { /* v2: always there */
		rd_keyed(&s.cpu_usage_ns, t, "usage_usec", 1000);
		rd_keyed(&s.cpu_user_ns, t, "user_usec", 1000);
		rd_keyed(&s.cpu_system_ns, t, "system_usec", 1000);
		free(t);
	}
	if ((d = berth__cg_v1dir(cg, BERTH__CG_CPU)) && (t = slurp_or_null(d, "cpu.stat"))) {
		rd_keyed(&s.cpu_throttled_periods, t, "nr_throttled", 1);
		rd_keyed(&s.cpu_throttled_ns, t, "throttled_time", 1);
		free(t);
	} else if ((d = v2dir(cg, BERTH__CG_CPU)) && (t = slurp_or_null(d, "cpu.stat"))) {
		rd_keyed(&s.cpu_throttled_periods, t, "nr_throttled", 1);
		rd_keyed(&s.cpu_throttled_ns, t, "throttled_usec", 1000);
		free(t);
	}

	if ((d = berth__cg_v1dir(cg, BERTH__CG_PIDS)) || (d = v2dir(cg, BERTH__CG_PIDS))) {
		rd_u64(&s.pids_current, d, "pids.current");
		rd_limit(&s.pids_limit, d, "pids.max");
	}

	if ((d = berth__cg_v1dir(cg, BERTH__CG_BLKIO))) {
		int bfq = !berth__cg_exists(d, "blkio.throttle.io_service_bytes");
		if ((t = slurp_or_null(d, bfq ? "blkio.bfq.io_service_bytes" : "blkio.throttle.io_service_bytes"))) {
			berth__cgroup_blkio_sum(t, &s.io_read_bytes, &s.io_write_bytes);
			free(t);
		}
		if ((t = slurp_or_null(d, bfq ? "blkio.bfq.io_serviced" : "blkio.throttle.io_serviced"))) {
			berth__cgroup_blkio_sum(t, &s.io_read_ops, &s.io_write_ops);
			free(t);
		}
	} else if ((d = v2dir(cg, BERTH__CG_BLKIO)) && (t = slurp_or_null(d, "io.stat"))) {
		berth__cgroup_iostat_sum(t, &s.io_read_bytes, &s.io_write_bytes, &s.io_read_ops, &s.io_write_ops);
		free(t);
	}
	*stats = s;
	berth__err_ok();
	return 0;
}
