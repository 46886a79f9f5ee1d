/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Fault injection for the tests (built with -DBERTH_FAULT_INJECTION=ON only;
 * elsewhere BERTH_FAULT() is the constant 0 and this file is empty).
 *
 *   BERTH_FAULT=POINT[:N]   the Nth pass (default the 1st) of this process
 *                           through POINT fails: BERTH_ESYS (EIO),
 *                           "fault injected at POINT"
 *   BERTH_FAULT_TRACE=FILE  every point passed is appended to FILE, one line
 *                           "POINT" each: a test lists the steps of an
 *                           operation this way, then fails each in turn.
 *
 * The counter is per process (the monitor, spawned with the caller's
 * environment, counts its own). */
#include "internal.h"
#ifdef BERTH_FAULT_INJECTION
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long g_passes;

int berth__fault(const char *point)
{
	const char *trace = getenv("BERTH_FAULT_TRACE");
	if (trace && *trace) {
		int fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			char line[256];
			size_t n = strlen(point);
			if (n > sizeof line - 2)
				n = sizeof line - 2;
			memcpy(line, point, n);
			line[n++] = '\n';
			if (write(fd, line, n) < 0) {
				/* a trace is best effort */
			}
			close(fd);
		}
	}
	const char *want = getenv("BERTH_FAULT");
	if (!want || !*want)
		return 0;
	size_t pl = strlen(point);
	if (strncmp(want, point, pl) || (want[pl] != '\0' && want[pl] != ':'))
		return 0;
	long nth = want[pl] == ':' ? atol(want + pl + 1) : 1;
	if (atomic_fetch_add(&g_passes, 1) + 1 != nth)
		return 0;
	return berth__err_sys(EIO, "fault injected at %s", point);
}
#endif
