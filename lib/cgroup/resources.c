/* SPDX-License-Identifier: LGPL-2.1-or-later
 * cgroup resources: OCI JSON -> struct, validation, unit conversions.
 * Pure logic except for reading the machine's online CPU and node lists. */
#include "cgroup/cgroup_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_MEMORY (6LL << 20) /* as Docker: smaller limits make containers fail oddly */
#define MAX_LIST_VALUE 1048576UL

BERTH_EXTERN int berth_cgroup_resources_init(berth_cgroup_resources *res, unsigned int version)
{
	static const berth_cgroup_resources d = BERTH_CGROUP_RESOURCES_INIT;
	static const size_t sizes[] = { sizeof d };
	return berth__options_init(res, version, &d, sizes, BERTH_ARRAY_SIZE(sizes), "berth_cgroup_resources");
}

void berth__cgroup_res_init(berth__cgroup_res *res)
{
	berth_cgroup_resources init = BERTH_CGROUP_RESOURCES_INIT;
	memset(res, 0, sizeof *res);
	res->r = init;
	res->memory_swappiness = BERTH_CGROUP_UNSET;
}

/* --- paths --- */

int berth__cgroup_path_check(const char *what, const char *path)
{
	if (!path || !*path)
		return berth__err(BERTH_EINVAL, "cgroup %s: must not be empty", what);
	if (path[0] == '/')
		return berth__err(BERTH_EINVAL, "cgroup %s '%s': must be relative (no leading '/')", what, path);
	if (strlen(path) > 1024)
		return berth__err(BERTH_EINVAL, "cgroup %s '%.64s...': longer than 1024 characters", what, path);
	for (const char *c = path; *c; c++)
		if (!(*c == '/' || *c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return berth__err(BERTH_EINVAL, "cgroup %s '%s': invalid character '%c' (allowed: A-Z a-z 0-9 _ . - /)",
			                  what, path, *c);
	const char *s = path;
	for (;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return berth__err(BERTH_EINVAL, "cgroup %s '%s': '.', '..' and empty components are not allowed", what,
			                  path);
		if (n > 255)
			return berth__err(BERTH_EINVAL, "cgroup %s '%s': a component is longer than 255 characters", what, path);
		if (!e)
			break;
		s = e + 1;
	}
	return 0;
}

/* --- conversions (formulas from the OCI/runc documentation) --- */

/* v clamped to [lo, hi], mapped linearly onto cgroup v2's weight range [1, 10000]. */
static uint64_t to_weight(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return 1 + ((v - lo) * 9999) / (hi - lo);
}

uint64_t berth__cgroup_shares_to_weight(uint64_t shares) { return to_weight(shares, 2, 262144); }

uint64_t berth__cgroup_blkio_to_io_weight(uint64_t weight) { return to_weight(weight, 10, 1000); }

/* --- cpuset lists --- */

typedef struct { unsigned long lo, hi; } range;

/* "0-3,5" -> ranges. -1 on bad syntax, -2 on a value over MAX_LIST_VALUE
 * (*bad gets it), -3 on too many ranges. Whitespace around is ignored. */
static int parse_list(const char *s, range *out, size_t cap, size_t *n, unsigned long *bad)
{
	*n = 0;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n'))
		len--;
	if (len == 0)
		return -1;
	const char *p = s, *end = s + len;
	while (p < end) {
		unsigned long v[2] = { 0, 0 };
		int k = 0;
		for (;;) {
			if (p >= end || *p < '0' || *p > '9')
				return -1;
			unsigned long x = 0;
			int digits = 0;
			while (p < end && *p >= '0' && *p <= '9') {
				if (++digits > 9)
					return -1;
				x = x * 10 + (unsigned long)(*p++ - '0');
			}
			v[k] = x;
			if (x > MAX_LIST_VALUE) {
				*bad = x;
				return -2;
			}
			if (k == 0 && p < end && *p == '-') {
				p++;
				k = 1;
				continue;
			}
			break;
		}
		if (k == 0)
			v[1] = v[0];
		if (v[1] < v[0])
			return -1;
		if (*n >= cap)
			return -3;
		out[*n].lo = v[0];
		out[(*n)++].hi = v[1];
		if (p < end) {
			if (*p != ',')
				return -1;
			p++;
			if (p >= end)
				return -1;
		}
	}
	return 0;
}

int berth__cgroup_cpuset_check(const char *field, const char *list, const char *online, const char *unit)
{
	range want[256], have[256];
	size_t nw, nh;
	unsigned long bad = 0;
	int r = parse_list(list, want, BERTH_ARRAY_SIZE(want), &nw, &bad);
	if (r == -2)
		return berth__err(BERTH_EINVAL, "%s '%s': %s %lu is not on this machine%s%s%s", field, list, unit, bad,
		                  online ? " (" : "", online ? online : "", online ? ")" : "");
	if (r == -3)
		return berth__err(BERTH_EINVAL, "%s '%s': too many ranges", field, list);
	if (r < 0)
		return berth__err(BERTH_EINVAL, "%s '%s': not a list of %ss (want e.g. \"0-3,5\")", field, list, unit);
	if (!online)
		return 0;
	char on[256];
	snprintf(on, sizeof on, "%s", online);
	on[strcspn(on, "\n")] = '\0';
	if (parse_list(on, have, BERTH_ARRAY_SIZE(have), &nh, &bad) < 0)
		return 0; /* the kernel's list is unreadable: let the kernel judge */
	for (size_t i = 0; i < nw; i++) {
		unsigned long v = want[i].lo;
		while (v <= want[i].hi) {
			size_t j;
			for (j = 0; j < nh; j++)
				if (have[j].lo <= v && v <= have[j].hi)
					break;
			if (j == nh)
				return berth__err(BERTH_EINVAL, "%s '%s': %s %lu is not on this machine (%s)", field, list, unit, v,
				                  on);
			v = have[j].hi + 1;
		}
	}
	return 0;
}

/* The machine's online list into buf; NULL when unknown. */
static const char *read_online(char *buf, size_t len, const char *path, const char *fallback)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fallback;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return fallback;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* --- validation --- */

enum field {
	F_MEM_LIMIT, F_MEM_RES, F_MEM_SWAP, F_MEM_SWAPPINESS, F_CPU_SHARES, F_CPU_QUOTA, F_CPU_PERIOD,
	F_CPUS, F_MEMS, F_PIDS, F_BLKIO, F_HUGEPAGES, F_UNIFIED, F_N
};
static const char *const struct_names[F_N] = {
	"memory_limit", "memory_reservation", "memory_swap", "memory_swappiness", "cpu_shares", "cpu_quota",
	"cpu_period", "cpuset_cpus", "cpuset_mems", "pids_limit", "blkio_weight", "hugepage_limits", "unified",
};
static const char *const json_names[F_N] = {
	"linux.resources.memory.limit", "linux.resources.memory.reservation", "linux.resources.memory.swap",
	"linux.resources.memory.swappiness", "linux.resources.cpu.shares", "linux.resources.cpu.quota",
	"linux.resources.cpu.period", "linux.resources.cpu.cpus", "linux.resources.cpu.mems",
	"linux.resources.pids.limit", "linux.resources.blockIO.weight", "linux.resources.hugepageLimits",
	"linux.resources.unified",
};

static const char *pre(const berth__cgroup_res *res) { return res->from_json ? "" : "cgroup resources: "; }
static const char *fname(const berth__cgroup_res *res, enum field f)
{
	return res->from_json ? json_names[f] : struct_names[f];
}

#define SET(v) ((v) != BERTH_CGROUP_UNSET)

static int bad(const berth__cgroup_res *res, enum field f, int64_t v, const char *why)
{
	return berth__err(BERTH_EINVAL, "%s%s %" PRId64 ": %s", pre(res), fname(res, f), v, why);
}

/* "2MB" and the like: digits then KB, MB, GB or TB. */
static int hugepage_size_ok(const char *s)
{
	size_t d = strspn(s, "0123456789");
	if (d == 0 || d > 6 || s[0] == '0')
		return 0;
	return !strcmp(s + d, "KB") || !strcmp(s + d, "MB") || !strcmp(s + d, "GB") || !strcmp(s + d, "TB");
}

/* A raw cgroup v2 file name: one component, not a lifecycle file berth owns. */
static int unified_key_ok(const char *k)
{
	if (!*k || !strcmp(k, ".") || !strcmp(k, "..") || strlen(k) > 255)
		return 0;
	for (const char *c = k; *c; c++)
		if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z')))
			return 0;
	return 1;
}
static const char *const unified_reserved[] = {
	"cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.subtree_control", "cgroup.type",
};

int berth__cgroup_res_check(const berth__cgroup_res *res, const char *cpus_online, const char *mems_online)
{
	const berth_cgroup_resources *r = &res->r;
	char msg[80];
	snprintf(msg, sizeof msg, "must be -1 (unlimited) or at least %lld (6 MiB)", MIN_MEMORY);
	if (SET(r->memory_limit) && r->memory_limit != -1 && r->memory_limit < MIN_MEMORY)
		return bad(res, F_MEM_LIMIT, r->memory_limit, msg);
	if (SET(r->memory_reservation) && r->memory_reservation != -1) {
		if (r->memory_reservation < MIN_MEMORY)
			return bad(res, F_MEM_RES, r->memory_reservation, msg);
		if (SET(r->memory_limit) && r->memory_limit != -1 && r->memory_reservation > r->memory_limit)
			return berth__err(BERTH_EINVAL, "%s%s %" PRId64 ": must not exceed %s (%" PRId64 ")", pre(res),
			                  fname(res, F_MEM_RES), r->memory_reservation, fname(res, F_MEM_LIMIT),
			                  r->memory_limit);
	}
	if (SET(r->memory_swap) && r->memory_swap != -1) {
		if (r->memory_swap < MIN_MEMORY)
			return bad(res, F_MEM_SWAP, r->memory_swap, msg);
		if (SET(r->memory_limit) && r->memory_limit == -1)
			return berth__err(BERTH_EINVAL, "%s%s %" PRId64 ": needs a %s (it is memory + swap), not -1",
			                  pre(res), fname(res, F_MEM_SWAP), r->memory_swap, fname(res, F_MEM_LIMIT));
		if (SET(r->memory_limit) && r->memory_swap < r->memory_limit)
			return berth__err(BERTH_EINVAL, "%s%s %" PRId64 ": must be at least %s (%" PRId64
			                  "): it is memory + swap", pre(res), fname(res, F_MEM_SWAP), r->memory_swap,
			                  fname(res, F_MEM_LIMIT), r->memory_limit);
	}
	if (SET(res->memory_swappiness) && (res->memory_swappiness < 0 || res->memory_swappiness > 100))
		return bad(res, F_MEM_SWAPPINESS, res->memory_swappiness, "must be 0..100");
	if (SET(r->cpu_shares) && (r->cpu_shares < 2 || r->cpu_shares > 262144))
		return bad(res, F_CPU_SHARES, r->cpu_shares, "must be 2..262144");
	if (SET(r->cpu_quota) && r->cpu_quota != -1 && (r->cpu_quota < 1000 || r->cpu_quota > (INT64_C(1) << 44)))
		return bad(res, F_CPU_QUOTA, r->cpu_quota, "must be -1 (unlimited) or at least 1000 (microseconds)");
	if (SET(r->cpu_period) && (r->cpu_period < 1000 || r->cpu_period > 1000000))
		return bad(res, F_CPU_PERIOD, r->cpu_period, "must be 1000..1000000 (microseconds)");
	if (SET(r->pids_limit) && r->pids_limit != -1 && (r->pids_limit < 1 || r->pids_limit > (INT64_C(1) << 31)))
		return bad(res, F_PIDS, r->pids_limit, "must be -1 (unlimited) or at least 1");
	if (SET(r->blkio_weight) && (r->blkio_weight < 10 || r->blkio_weight > 1000))
		return bad(res, F_BLKIO, r->blkio_weight, "must be 10..1000");
	char field[128], buf[256];
	if (r->cpuset_cpus && *r->cpuset_cpus) {
		if (!cpus_online)
			cpus_online = read_online(buf, sizeof buf, "/sys/devices/system/cpu/online", NULL);
		snprintf(field, sizeof field, "%s%s", pre(res), fname(res, F_CPUS));
		int rc = berth__cgroup_cpuset_check(field, r->cpuset_cpus, cpus_online, "CPU");
		if (rc < 0)
			return rc;
	}
	if (r->cpuset_mems && *r->cpuset_mems) {
		if (!mems_online)
			mems_online = read_online(buf, sizeof buf, "/sys/devices/system/node/online", "0");
		snprintf(field, sizeof field, "%s%s", pre(res), fname(res, F_MEMS));
		int rc = berth__cgroup_cpuset_check(field, r->cpuset_mems, mems_online, "memory node");
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const berth__cgroup_hugepage *h = &res->hugepages[i];
		if (!hugepage_size_ok(h->size))
			return berth__err(BERTH_EINVAL, "%s%s[%zu].pageSize '%s': want a size like \"2MB\" or \"1GB\"", pre(res),
			                  fname(res, F_HUGEPAGES), i, h->size);
		if (h->limit < -1)
			return berth__err(BERTH_EINVAL, "%s%s[%zu].limit %" PRId64 ": must be -1 or at least 0", pre(res),
			                  fname(res, F_HUGEPAGES), i, h->limit);
	}
	if (res->unified) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)res->unified, k, v) {
			if (!unified_key_ok(k))
				return berth__err(BERTH_EINVAL, "%s%s '%s': must be a plain cgroup v2 file name", pre(res),
				                  fname(res, F_UNIFIED), k);
			for (size_t i = 0; i < BERTH_ARRAY_SIZE(unified_reserved); i++)
				if (!strcmp(k, unified_reserved[i]))
					return berth__err(BERTH_EINVAL, "%s%s '%s': berth manages this file itself", pre(res),
					                  fname(res, F_UNIFIED), k);
			if (!json_is_string(v))
				return berth__err(BERTH_EINVAL, "%s%s.%s: must be a string", pre(res), fname(res, F_UNIFIED), k);
		}
	}
	return 0;
}

/* --- JSON --- */

static int get_obj(const json_t **out, const json_t *parent, const char *key, const char *path)
{
	json_t *v = json_object_get(parent, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return berth__err(BERTH_EINVAL, "%s: must be an object", path);
	*out = v;
	return 0;
}

/* An integer field; zero_unset: 0 leaves it unset (runc's convention). */
static int get_int(int64_t *out, const json_t *obj, const char *key, const char *path, int zero_unset)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return berth__err(BERTH_EINVAL, "%s: must be an integer", path);
	json_int_t x = json_integer_value(v);
	if (zero_unset && x == 0)
		return 0;
	*out = (int64_t)x;
	return 0;
}

static int get_str(const char **out, const json_t *obj, const char *key, const char *path)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return berth__err(BERTH_EINVAL, "%s: must be a string", path);
	const char *s = json_string_value(v);
	if (*s)
		*out = s;
	return 0;
}

int berth__cgroup_res_from_json(berth__cgroup_res *out, const json_t *j)
{
	berth__cgroup_res res;
	berth__cgroup_res_init(&res);
	res.from_json = 1;
	if (!j || json_is_null(j)) {
		*out = res;
		return 0;
	}
	if (!json_is_object(j))
		return berth__err(BERTH_EINVAL, "linux.resources: must be an object");
	const json_t *mem, *cpu, *pids, *bio, *uni;
	int r;
	if ((r = get_obj(&mem, j, "memory", "linux.resources.memory")) < 0 ||
	    (r = get_obj(&cpu, j, "cpu", "linux.resources.cpu")) < 0 ||
	    (r = get_obj(&pids, j, "pids", "linux.resources.pids")) < 0 ||
	    (r = get_obj(&bio, j, "blockIO", "linux.resources.blockIO")) < 0 ||
	    (r = get_obj(&uni, j, "unified", "linux.resources.unified")) < 0)
		return r;
	if ((r = get_int(&res.r.memory_limit, mem, "limit", json_names[F_MEM_LIMIT], 1)) < 0 ||
	    (r = get_int(&res.r.memory_reservation, mem, "reservation", json_names[F_MEM_RES], 1)) < 0 ||
	    (r = get_int(&res.r.memory_swap, mem, "swap", json_names[F_MEM_SWAP], 1)) < 0 ||
	    (r = get_int(&res.memory_swappiness, mem, "swappiness", json_names[F_MEM_SWAPPINESS], 0)) < 0 ||
	    (r = get_int(&res.r.cpu_shares, cpu, "shares", json_names[F_CPU_SHARES], 1)) < 0 ||
	    (r = get_int(&res.r.cpu_quota, cpu, "quota", json_names[F_CPU_QUOTA], 1)) < 0 ||
	    (r = get_int(&res.r.cpu_period, cpu, "period", json_names[F_CPU_PERIOD], 1)) < 0 ||
	    (r = get_str(&res.r.cpuset_cpus, cpu, "cpus", json_names[F_CPUS])) < 0 ||
	    (r = get_str(&res.r.cpuset_mems, cpu, "mems", json_names[F_MEMS])) < 0 ||
	    (r = get_int(&res.r.pids_limit, pids, "limit", json_names[F_PIDS], 1)) < 0 ||
	    (r = get_int(&res.r.blkio_weight, bio, "weight", json_names[F_BLKIO], 1)) < 0)
		return r;
	if (res.memory_swappiness == -1)
		res.memory_swappiness = BERTH_CGROUP_UNSET; /* Docker's "not set" */
	json_t *hp = json_object_get(j, "hugepageLimits");
	if (hp && !json_is_null(hp)) {
		if (!json_is_array(hp))
			return berth__err(BERTH_EINVAL, "linux.resources.hugepageLimits: must be an array");
		if (json_array_size(hp) > BERTH__CG_MAX_HUGEPAGES)
			return berth__err(BERTH_EINVAL, "linux.resources.hugepageLimits: more than %d entries",
			                  BERTH__CG_MAX_HUGEPAGES);
		size_t i;
		json_t *e;
		json_array_foreach(hp, i, e) {
			char path[96];
			if (!json_is_object(e))
				return berth__err(BERTH_EINVAL, "linux.resources.hugepageLimits[%zu]: must be an object", i);
			snprintf(path, sizeof path, "linux.resources.hugepageLimits[%zu].pageSize", i);
			const char *size = NULL;
			if ((r = get_str(&size, e, "pageSize", path)) < 0)
				return r;
			if (!size)
				return berth__err(BERTH_EINVAL, "%s: required", path);
			if (strlen(size) >= sizeof res.hugepages[0].size)
				return berth__err(BERTH_EINVAL, "%s '%s': too long", path, size);
			snprintf(path, sizeof path, "linux.resources.hugepageLimits[%zu].limit", i);
			int64_t limit = BERTH_CGROUP_UNSET;
			if ((r = get_int(&limit, e, "limit", path, 0)) < 0)
				return r;
			if (!SET(limit))
				return berth__err(BERTH_EINVAL, "%s: required", path);
			berth__cgroup_hugepage *h = &res.hugepages[res.n_hugepages++];
			snprintf(h->size, sizeof h->size, "%s", size);
			h->limit = limit;
		}
	}
	/* blockIO.throttle{Read,Write}{Bps,IOPS}Device: [{major, minor, rate}] */
	static const char *const tkeys[4] = { "throttleReadBpsDevice", "throttleWriteBpsDevice",
		                              "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
	for (int k = 0; k < 4; k++) {
		json_t *arr = json_object_get(bio, tkeys[k]);
		if (!arr || json_is_null(arr))
			continue;
		if (!json_is_array(arr))
			return berth__err(BERTH_EINVAL, "linux.resources.blockIO.%s: must be an array", tkeys[k]);
		size_t i;
		json_t *e;
		json_array_foreach(arr, i, e) {
			if (res.n_throttles == BERTH__CG_MAX_THROTTLES)
				return berth__err(BERTH_EINVAL, "linux.resources.blockIO: more than %d throttle entries",
				                  BERTH__CG_MAX_THROTTLES);
			const char *names[3] = { "major", "minor", "rate" };
			json_int_t v[3];
			for (int f = 0; f < 3; f++) {
				json_t *x = json_object_get(e, names[f]);
				if (!json_is_integer(x) || json_integer_value(x) < 0 ||
				    (f < 2 && json_integer_value(x) > 0xfffff))
					return berth__err(BERTH_EINVAL, "linux.resources.blockIO.%s[%zu].%s: must be %s", tkeys[k], i,
					                  names[f], f < 2 ? "a device number (0..1048575)" : "a non-negative integer");
				v[f] = json_integer_value(x);
			}
			berth__cgroup_throttle *t = &res.throttles[res.n_throttles++];
			t->kind = k;
			t->major = (uint32_t)v[0];
			t->minor = (uint32_t)v[1];
			t->rate = (uint64_t)v[2];
		}
	}
	res.unified = uni && json_object_size(uni) ? uni : NULL;
	*out = res;
	return 0;
}

int berth__cgroup_resources_validate(const json_t *resources)
{
	berth__cgroup_res res;
	int r = berth__cgroup_res_from_json(&res, resources);
	if (r == 0)
		r = berth__cgroup_res_check(&res, NULL, NULL);
	if (r == 0)
		berth__err_ok();
	return r;
}
