/* berth CLI: the resource (cgroup) options of run, create and update, and
 * Docker's human sizes. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define IDX(id) ((id) - RES_MEMORY)

/* Docker's minimum memory limit. */
#define MIN_MEMORY (6LL * 1024 * 1024)
#define CPUS_PERIOD 100000LL

static const char *const flag_names[RES_END - RES_MEMORY] = {
	"--memory", "--memory-swap", "--memory-reservation", "--cpus", "--cpu-shares", "--cpu-period",
	"--cpu-quota", "--cpuset-cpus", "--cpuset-mems", "--pids-limit", "--blkio-weight",
};

int res_flag(struct res_flags *rf, int id, const char *arg)
{
	if (id < RES_MEMORY || id >= RES_END)
		return 0;
	rf->v[IDX(id)] = arg;
	return 1;
}

int res_any(const struct res_flags *rf)
{
	for (size_t i = 0; i < ARRAY_SIZE(rf->v); i++)
		if (rf->v[i])
			return 1;
	return 0;
}

/* A whole-string integer (optionally negative). */
static int parse_i64(int64_t *out, const char *s)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

static CLI_NORETURN void bad(const char *cmd, int id, const char *arg, const char *why)
{
	usage_error(cmd, "invalid %s '%s': %s", flag_names[IDX(id)], arg, why);
}

/* A size ("512m"); 0 (docker: not set) gives BERTH_CGROUP_UNSET; minus_one:
 * "-1" is accepted (unlimited). */
static int64_t size_arg(const char *cmd, int id, const char *arg, int minus_one)
{
	uint64_t v;
	if (minus_one && !strcmp(arg, "-1"))
		return -1;
	if (parse_size(&v, arg) < 0 || v > (uint64_t)INT64_MAX)
		bad(cmd, id, arg,
		    minus_one ? "expected a size such as 512m, 1g, 1024k or bytes (units b, k, m, g), or -1 for unlimited"
		              : "expected a size such as 512m, 1g, 1024k or bytes (units b, k, m, g)");
	return v == 0 ? BERTH_CGROUP_UNSET : (int64_t)v;
}

static int64_t int_arg(const char *cmd, int id, const char *arg)
{
	int64_t v;
	if (parse_i64(&v, arg) < 0)
		bad(cmd, id, arg, "expected an integer");
	return v;
}

void res_build(berth_cgroup_resources *res, const struct res_flags *rf, const char *cmd, int need_memory)
{
	berth_cgroup_resources init = BERTH_CGROUP_RESOURCES_INIT;
	const char *a;
	*res = init;

	if ((a = rf->v[IDX(RES_MEMORY)])) {
		res->memory_limit = size_arg(cmd, RES_MEMORY, a, 0);
		if (res->memory_limit != BERTH_CGROUP_UNSET && res->memory_limit < MIN_MEMORY)
			bad(cmd, RES_MEMORY, a, "the minimum memory limit allowed is 6MiB");
	}
	if ((a = rf->v[IDX(RES_MEMORY_RESERVATION)])) {
		res->memory_reservation = size_arg(cmd, RES_MEMORY_RESERVATION, a, 0);
		if (res->memory_limit != BERTH_CGROUP_UNSET && res->memory_reservation != BERTH_CGROUP_UNSET &&
		    res->memory_reservation > res->memory_limit)
			bad(cmd, RES_MEMORY_RESERVATION, a, "the memory reservation must be below the memory limit (--memory)");
	}
	if ((a = rf->v[IDX(RES_MEMORY_SWAP)])) {
		res->memory_swap = size_arg(cmd, RES_MEMORY_SWAP, a, 1);
		if (res->memory_swap != BERTH_CGROUP_UNSET) {
			if (need_memory && res->memory_limit == BERTH_CGROUP_UNSET)
				bad(cmd, RES_MEMORY_SWAP, a, "--memory-swap needs a memory limit (--memory)");
			if (res->memory_swap >= 0 && res->memory_limit != BERTH_CGROUP_UNSET &&
			    res->memory_swap < res->memory_limit)
				bad(cmd, RES_MEMORY_SWAP, a,
				    "the memory plus swap limit must be at least the memory limit (--memory)");
		}
	}
	if ((a = rf->v[IDX(RES_CPUS)])) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		char *end;
		errno = 0;
		double n = strtod(a, &end);
		char why[160];
		if (ncpu < 1)
			ncpu = 1;
		snprintf(why, sizeof why, "the range of CPUs is from 0.01 to %ld.00, as there %s only %ld CPU%s available",
		         ncpu, ncpu == 1 ? "is" : "are", ncpu, ncpu == 1 ? "" : "s");
		if (!*a || errno || *end || end == a || !isfinite(n))
			bad(cmd, RES_CPUS, a, "expected a number of CPUs such as 0.5 or 2");
		if (n <= 0 || n > (double)ncpu)
			bad(cmd, RES_CPUS, a, why);
		long long quota = (long long)(n * (double)CPUS_PERIOD + 0.5);
		if (quota < 1000)
			bad(cmd, RES_CPUS, a, why);
		if (rf->v[IDX(RES_CPU_PERIOD)] || rf->v[IDX(RES_CPU_QUOTA)])
			usage_error(cmd, "conflicting options: --cpus and --cpu-period/--cpu-quota cannot both be set");
		res->cpu_quota = quota;
		res->cpu_period = CPUS_PERIOD;
	}
	if ((a = rf->v[IDX(RES_CPU_SHARES)])) {
		int64_t v = int_arg(cmd, RES_CPU_SHARES, a);
		if (v < 0)
			bad(cmd, RES_CPU_SHARES, a, "must be 2..262144 (0: the default)");
		res->cpu_shares = v == 0 ? BERTH_CGROUP_UNSET : v;
	}
	if ((a = rf->v[IDX(RES_CPU_PERIOD)])) {
		int64_t v = int_arg(cmd, RES_CPU_PERIOD, a);
		if (v < 0)
			bad(cmd, RES_CPU_PERIOD, a, "must be 1000..1000000 microseconds (0: the default)");
		res->cpu_period = v == 0 ? BERTH_CGROUP_UNSET : v;
	}
	if ((a = rf->v[IDX(RES_CPU_QUOTA)])) {
		int64_t v = int_arg(cmd, RES_CPU_QUOTA, a);
		if (v < -1)
			bad(cmd, RES_CPU_QUOTA, a, "must be at least 1000 microseconds, or -1 for unlimited");
		res->cpu_quota = v == 0 ? BERTH_CGROUP_UNSET : v;
	}
	if ((a = rf->v[IDX(RES_CPUSET_CPUS)]) && *a)
		res->cpuset_cpus = a;
	if ((a = rf->v[IDX(RES_CPUSET_MEMS)]) && *a)
		res->cpuset_mems = a;
	if ((a = rf->v[IDX(RES_PIDS_LIMIT)])) {
		int64_t v = int_arg(cmd, RES_PIDS_LIMIT, a);
		res->pids_limit = v <= 0 ? -1 : v; /* docker: 0 and -1 are unlimited */
	}
	if ((a = rf->v[IDX(RES_BLKIO_WEIGHT)])) {
		int64_t v = int_arg(cmd, RES_BLKIO_WEIGHT, a);
		if (v != 0 && (v < 10 || v > 1000))
			bad(cmd, RES_BLKIO_WEIGHT, a, "must be 10..1000 (0: unset)");
		res->blkio_weight = v == 0 ? BERTH_CGROUP_UNSET : v;
	}
}

/* res with only the field(s) of one flag copied from full. */
static int only_flag(berth_cgroup_resources *one, const berth_cgroup_resources *full, int id)
{
	berth_cgroup_resources init = BERTH_CGROUP_RESOURCES_INIT;
	*one = init;
	switch (id) {
	case RES_MEMORY: one->memory_limit = full->memory_limit; break;
	case RES_MEMORY_SWAP:
		one->memory_limit = full->memory_limit;
		one->memory_swap = full->memory_swap;
		break;
	case RES_MEMORY_RESERVATION: one->memory_reservation = full->memory_reservation; break;
	case RES_CPUS:
		one->cpu_quota = full->cpu_quota;
		one->cpu_period = full->cpu_period;
		break;
	case RES_CPU_SHARES: one->cpu_shares = full->cpu_shares; break;
	case RES_CPU_PERIOD: one->cpu_period = full->cpu_period; break;
	case RES_CPU_QUOTA: one->cpu_quota = full->cpu_quota; break;
	case RES_CPUSET_CPUS: one->cpuset_cpus = full->cpuset_cpus; break;
	case RES_CPUSET_MEMS: one->cpuset_mems = full->cpuset_mems; break;
	case RES_PIDS_LIMIT: one->pids_limit = full->pids_limit; break;
	case RES_BLKIO_WEIGHT: one->blkio_weight = full->blkio_weight; break;
	default: return 0;
	}
	return 1;
}

void res_apply(berth_spec *spec, const berth_cgroup_resources *res, const struct res_flags *rf, const char *cmd)
{
	if (!res_any(rf) || berth_spec_set_resources(spec, res) == 0)
		return;
	char *msg = xstrdup(berth_error_last()->message ? berth_error_last()->message : "");
	/* Which flag: the first whose value alone is refused. */
	for (int id = RES_MEMORY; id < RES_END; id++) {
		berth_cgroup_resources one;
		berth_spec *scratch = NULL;
		if (!rf->v[IDX(id)] || !only_flag(&one, res, id) || berth_spec_new(&scratch) < 0)
			continue;
		int r = berth_spec_set_resources(scratch, &one);
		berth_spec_free(scratch);
		if (r < 0) {
			fflush(stdout);
			fprintf(stderr, "berth %s: invalid %s '%s': %s\n", cmd, flag_names[IDX(id)], rf->v[IDX(id)],
			        *msg ? msg : berth_strerror(r));
			exit(EXIT_BERTH);
		}
	}
	fflush(stdout);
	fprintf(stderr, "berth %s: invalid resource options: %s\n", cmd, *msg ? msg : "refused by the library");
	exit(EXIT_BERTH);
}

/* ------------------------------------------------------------- sizes */

static void custom_size(char *buf, size_t len, double size, double base, const char *const *units, size_t n,
                        int precision)
{
	size_t i = 0;
	while (size >= base && i < n - 1) {
		size /= base;
		i++;
	}
	snprintf(buf, len, "%.*g%s", precision, size, units[i]);
}

void size_binary(char *buf, size_t len, double bytes)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	custom_size(buf, len, bytes, 1024.0, u, ARRAY_SIZE(u), 4);
}

void size_decimal(char *buf, size_t len, double bytes)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	custom_size(buf, len, bytes, 1000.0, u, ARRAY_SIZE(u), 3);
}
