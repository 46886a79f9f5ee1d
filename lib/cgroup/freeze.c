/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Freezing (v1 freezer, v2 cgroup.freeze) and killing every process of a
 * cgroup (cgroup.kill, or SIGKILL under the freezer until empty). */
#include "cgroup/cgroup_priv.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* v1: freezer.state. wait_ns 0: do not wait for FROZEN. */
static int freeze_v1(berth_cgroup *cg, const char *dir, int frozen, uint64_t wait_ns, int report)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	int r = berth__cg_write_raw(dir, "freezer.state", want);
	if (r < 0)
		return report ? berth__err_sys(-r, "cgroup %s: freezer.state: write %s", cg->rel, want) : r;
	uint64_t start = berth__cg_now(), last = start;
	char st[32] = "";
	for (unsigned i = 0;; i++) {
		if ((r = berth__cg_read_line(st, sizeof st, dir, "freezer.state")) < 0)
			return report ? berth__err_sys(-r, "cgroup %s: read freezer.state", cg->rel) : r;
		if (!strcmp(st, want))
			return 0;
		uint64_t now = berth__cg_now();
		if (now - start >= wait_ns)
			break;
		if (now - last > 100000000ull) { /* ask again: tasks that were busy may be catchable now */
			berth__cg_write_raw(dir, "freezer.state", want);
			last = now;
		}
		berth__cg_nap(i < 20 ? 1000 : 10000);
	}
	if (frozen)
		berth__cg_write_raw(dir, "freezer.state", "THAWED"); /* do not leave it half frozen */
	if (!report)
		return -ETIMEDOUT;
	return berth__err(BERTH_ETIMEOUT, "cgroup %s: freezer.state: still %s, not %s, after %.1f s", cg->rel, st, want,
	                  (double)wait_ns / 1e9);
}

static int events_frozen(const char *dir, uint64_t *v)
{
	char *ev;
	int r = berth__cg_slurp(&ev, dir, "cgroup.events");
	if (r < 0)
		return r;
	r = berth__cgroup_keyed(ev, "frozen", v) == 0 ? 0 : -ENOENT;
	free(ev);
	return r;
}

/* v2: cgroup.freeze, then cgroup.events "frozen". */
static int freeze_v2(berth_cgroup *cg, const char *dir, int frozen, uint64_t wait_ns, int report)
{
	const char *want = frozen ? "1" : "0";
	int r = berth__cg_write_raw(dir, "cgroup.freeze", want);
	if (r < 0)
		return report ? berth__err_sys(-r, "cgroup %s: cgroup.freeze: write %s", cg->rel, want) : r;
	uint64_t start = berth__cg_now(), v = 0;
	for (unsigned i = 0;; i++) {
		if ((r = events_frozen(dir, &v)) < 0)
			return report ? berth__err_sys(-r, "cgroup %s: read cgroup.events", cg->rel) : r;
		if ((v != 0) == (frozen != 0))
			return 0;
		if (berth__cg_now() - start >= wait_ns)
			break;
		berth__cg_nap(i < 20 ? 1000 : 10000);
	}
	if (frozen)
		berth__cg_write_raw(dir, "cgroup.freeze", "0");
	if (!report)
		return -ETIMEDOUT;
	return berth__err(BERTH_ETIMEOUT, "cgroup %s: cgroup.events: not %s after %.1f s", cg->rel,
	                  frozen ? "frozen" : "thawed", (double)wait_ns / 1e9);
}

BERTH_EXTERN int berth_cgroup_freeze(berth_cgroup *cg, int frozen)
{
	if (!cg)
		return berth__err(BERTH_EINVAL, "cgroup freeze: cg is NULL");
	const char *d = berth__cg_v1dir(cg, BERTH__CG_FREEZER);
	int r;
	if (d)
		r = freeze_v1(cg, d, frozen, FREEZE_TIMEOUT_NS, 1);
	else if (cg->udir)
		r = freeze_v2(cg, cg->udir, frozen, FREEZE_TIMEOUT_NS, 1);
	else
		r = berth__err(BERTH_EUNSUPPORTED, "cgroup %s: %s: the freezer controller is not available here", cg->rel,
		               frozen ? "freeze" : "thaw");
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth_cgroup_frozen(int *out, berth_cgroup *cg)
{
	if (!out || !cg)
		return berth__err(BERTH_EINVAL, "cgroup frozen: out and cg are required");
	const char *d = berth__cg_v1dir(cg, BERTH__CG_FREEZER);
	int r;
	if (d) {
		char st[32];
		if ((r = berth__cg_read_line(st, sizeof st, d, "freezer.state")) < 0)
			return berth__err_sys(-r, "cgroup %s: read freezer.state", cg->rel);
		*out = !strcmp(st, "FROZEN");
	} else if (cg->udir) {
		uint64_t v = 0;
		if ((r = events_frozen(cg->udir, &v)) < 0)
			return berth__err_sys(-r, "cgroup %s: read cgroup.events", cg->rel);
		*out = v != 0;
	} else
		*out = 0; /* nothing can freeze it */
	berth__err_ok();
	return 0;
}

/* Freeze (so nothing forks meanwhile), SIGKILL every pid, thaw; until the
 * cgroup is empty. v2: whether dir is unified. */
static int kill_loop(berth_cgroup *cg, const char *list_dir, const char *freezer_dir, int v2, uint64_t deadline)
{
	for (;;) {
		/* nothing left: done, without freezing (a freeze flips a kernel
		 * static key, which patches kernel text: costly on a VM) */
		pidvec first = { NULL, 0, 0 };
		int r0 = berth__cg_collect_pids(&first, list_dir, 1, 0);
		free(first.v);
		if ((r0 == 0 || r0 == -ENOENT) && first.n == 0)
			return 0;
		if (freezer_dir)
			(void)(v2 ? freeze_v2(cg, freezer_dir, 1, 200000000ull, 0) : freeze_v1(cg, freezer_dir, 1, 200000000ull, 0));
		pidvec pv = { NULL, 0, 0 };
		int r = berth__cg_collect_pids(&pv, list_dir, 1, 0);
		if (r < 0 && r != -ENOENT) {
			free(pv.v);
			if (freezer_dir)
				(void)(v2 ? berth__cg_write_raw(freezer_dir, "cgroup.freeze", "0")
				          : berth__cg_write_raw(freezer_dir, "freezer.state", "THAWED"));
			return berth__err_sys(-r, "cgroup %s: kill: read %s/cgroup.procs", cg->rel, list_dir);
		}
		for (size_t i = 0; i < pv.n; i++)
			kill(pv.v[i], SIGKILL);
		free(pv.v);
		if (freezer_dir) /* frozen tasks die once thawed */
			(void)(v2 ? berth__cg_write_raw(freezer_dir, "cgroup.freeze", "0")
			          : berth__cg_write_raw(freezer_dir, "freezer.state", "THAWED"));
		if (pv.n == 0)
			return 0;
		/* give them a moment to exit before looking again */
		for (int i = 0; i < 50; i++) {
			pidvec left = { NULL, 0, 0 };
			r = berth__cg_collect_pids(&left, list_dir, 1, 0);
			free(left.v);
			if (r < 0 || left.n == 0)
				break;
			berth__cg_nap(i < 20 ? 1000 : 5000);
		}
		if (berth__cg_now() >= deadline) {
			pidvec left = { NULL, 0, 0 };
			berth__cg_collect_pids(&left, list_dir, 1, 0);
			free(left.v);
			if (left.n)
				return berth__err(BERTH_ETIMEOUT, "cgroup %s: kill: %zu processes remain after %llu s", cg->rel,
				                  left.n, KILL_TIMEOUT_NS / 1000000000ull);
		}
	}
}

BERTH_EXTERN int berth_cgroup_kill(berth_cgroup *cg)
{
	if (!cg)
		return berth__err(BERTH_EINVAL, "cgroup kill: cg is NULL");
	uint64_t deadline = berth__cg_now() + KILL_TIMEOUT_NS;
	int r;
	if (cg->udir && (cg->mode == BERTH_CGROUP_V2 || berth__cg_unified_populated(cg))) {
		if ((r = berth__cg_write_raw(cg->udir, "cgroup.kill", "1")) == 0) {
			/* tasks frozen by the v1 freezer die only once thawed */
			const char *fz = berth__cg_v1dir(cg, BERTH__CG_FREEZER);
			if (fz)
				(void)berth__cg_write_raw(fz, "freezer.state", "THAWED");
			while (berth__cg_unified_populated(cg) && berth__cg_now() < deadline)
				berth__cg_nap(2000);
			if (berth__cg_unified_populated(cg))
				return berth__err(BERTH_ETIMEOUT, "cgroup %s: kill: processes remain after %llu s", cg->rel,
				                  KILL_TIMEOUT_NS / 1000000000ull);
		} else if (r == -ENOENT && berth__cg_is_dir(cg->udir)) { /* before Linux 5.14 */
			if ((r = kill_loop(cg, cg->udir, cg->udir, 1, deadline)) < 0)
				return r;
		} else if (r != -ENOENT)
			return berth__err_sys(-r, "cgroup %s: cgroup.kill: write 1", cg->rel);
	}
	const char *list = berth__cg_v1_procs_dir(cg);
	if (list && (r = kill_loop(cg, list, berth__cg_v1dir(cg, BERTH__CG_FREEZER), 0, deadline)) < 0)
		return r;
	berth__err_ok();
	return 0;
}
