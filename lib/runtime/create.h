/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Creating a container with internal parameters: what only the library's
 * own areas give (the builder), never through the spec (lib/runtime/container.c). */
#ifndef BERTH_RUNTIME_CREATE_H
#define BERTH_RUNTIME_CREATE_H
#include "internal.h"

typedef struct berth__create_params {
	/* A builder RUN step: the root filesystem is an overlay of these
	 * directories (bottom first) with the step's own upper and work
	 * directories, mounted with overlay_options (NULL-terminated, may be
	 * NULL), instead of the spec's root path or image. */
	char *const *overlay_lower;
	size_t n_overlay_lower;
	const char *overlay_upper, *overlay_work;
	const char *const *overlay_options;
} berth__create_params;

/* berth_container_run() with params (NULL: none). A container with params
 * is created in the calling process (BERTH_EINVAL with BERTH_CREATE_DETACH,
 * a log or published ports, which need a monitor). */
BERTH_HIDDEN int berth__container_run(berth_container **out, berth_ctx *ctx, const berth_spec *spec,
                                      const berth_create_options *opts, const berth__create_params *params);

#endif
