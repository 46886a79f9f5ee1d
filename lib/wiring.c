/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The library assembled: the areas above plugged into the hooks of the
 * areas below, so that a lower area never includes an upper one (areas
 * depend downward only: docs/layout.md, scripts/check-layers.py). This file
 * belongs to no area and may include any. */
#include "build/build_internal.h"
#include "image/store.h"

/* berth_image_prune (lib/image/store_image.c), then: */
const berth__prune_participant berth__image_prune_participants[] = {
	{ "build cache", berth__bd_cache_prune }, /* lib/build/cache_prune.c */
	{ NULL, NULL },
};
