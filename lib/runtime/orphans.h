/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Containers that die with their creator (lib/runtime/orphans.c): the
 * builder's RUN steps. */
#ifndef BERTH_RUNTIME_ORPHANS_H
#define BERTH_RUNTIME_ORPHANS_H
#include "internal.h"

/* A create flag, internal (not in include/berth): the init gets SIGKILL when
 * the thread that created it dies (PR_SET_PDEATHSIG, armed in the child
 * after its credential changes), and the container is marked so that the
 * next berth command deletes it once its creator is gone
 * (berth__container_sweep_orphans). In-process containers only. */
#define BERTH__CREATE_DIE_WITH_OWNER (1u << 31)

/* Records the creating process in <run_root>/orphans/<id> (pid and start
 * time): the mark of a container that dies with it. */
BERTH_HIDDEN int berth__orphan_mark(berth_ctx *ctx, const char *id);
/* Removes the mark (the container is gone); nothing if there is none. */
BERTH_HIDDEN void berth__orphan_unmark(berth_ctx *ctx, const char *id);
/* Deletes (force) every marked container whose creator is gone: its
 * processes, cgroup, network, state and root dir, and its mark. One open()
 * of <run_root>/orphans when no container was ever marked, else a readdir of
 * the marks; never fails. Called by berth_container_list,
 * berth_container_create and berth_build. */
BERTH_HIDDEN void berth__container_sweep_orphans(berth_ctx *ctx);

#endif
