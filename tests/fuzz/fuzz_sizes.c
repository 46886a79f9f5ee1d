/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Memory and CPU sizes. The library takes sizes as integers (berth_cgroup_
 * resources); the human forms ("512m", "1.5g", "90s") are parsed by the CLI
 * (examples/berth/util.c: parse_size, parse_duration_ms, parse_signal,
 * parse_uint64, parse_int, parse_rfc3339), and CPU lists ("0-3,5") by the
 * library's cpuset check (lib/cgroup/resources.c). Any string through all;
 * then its lines as the values of --memory, --memory-swap, --memory-
 * reservation, --cpus, --cpu-shares, --cpu-period, --cpu-quota, --cpuset-cpus,
 * --cpuset-mems, --pids-limit, --blkio-weight in that order (a line "~": the
 * flag is not given) through the CLI's res_build (examples/berth/resources.c;
 * its usage errors return here) and what it accepts through the library's
 * berth_spec_set_resources. */
#include "fuzz_common.h"
#include "internal.h"
#include "cgroup/cgroup_internal.h"
#include "util.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* util.c's container helpers want the CLI's context (main.c); never called here. */
berth_ctx *cli_ctx(void) { abort(); }

/* The CLI's usage errors exit; linked with --wrap=usage_error, the calls of
 * resources.c come here instead and return to the harness. */
static jmp_buf usage_jmp;
void __wrap_usage_error(const char *cmd, const char *fmt, ...);
void __wrap_usage_error(const char *cmd, const char *fmt, ...)
{
	(void)cmd, (void)fmt;
	longjmp(usage_jmp, 1);
}

static void resource_flags(char *text)
{
	struct res_flags rf;
	memset(&rf, 0, sizeof rf);
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	for (int id = RES_MEMORY; id < RES_END && line; id++, line = strtok_r(NULL, "\n", &save))
		if (strcmp(line, "~"))
			res_flag(&rf, id, line);
	berth_cgroup_resources res;
	if (setjmp(usage_jmp))
		return; /* refused with a usage error */
	res_build(&res, &rf, "run", 1);
	berth_spec *spec = NULL;
	FZ_ASSERT(berth_spec_parse(&spec, "{}", 2) == 0, "spec: %s", berth_error_last()->message);
	berth_spec_set_resources(spec, &res);
	berth_spec_free(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size);
	uint64_t u;
	int64_t ms;
	int i;
	if (parse_size(&u, s) == 0)
		FZ_ASSERT(u < 18000000000000000000ull, "size '%s' = %llu", s, (unsigned long long)u);
	if (parse_duration_ms(&ms, s) == 0)
		FZ_ASSERT(ms >= 0 || s[0] == '-', "duration '%s' = %lld", s, (long long)ms);
	if (parse_signal(&i, s) == 0)
		FZ_ASSERT(i > 0 && i <= SIGRTMAX, "signal '%s' = %d", s, i);
	parse_uint64(&u, s);
	parse_int(&i, s);
	parse_rfc3339(s);
	berth__cgroup_cpuset_check("cpuset.cpus", s, "0-3,8-11", "CPU");
	berth__cgroup_cpuset_check("cpuset.mems", "0", s, "memory node");
	resource_flags(s);
	free(s);
	return 0;
}
