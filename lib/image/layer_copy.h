/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Image layers copied merged into a plain directory (layer_copy.c): the
 * runtime's rootfs without overlayfs, and a volume's first content. */
#ifndef BERTH_IMAGE_LAYER_COPY_H
#define BERTH_IMAGE_LAYER_COPY_H
#include "internal.h"

/* Copies layers (overlay lower-dir form, bottom first) merged into the
 * directory dst: whiteouts and opaque dirs applied in order, owners, modes,
 * xattrs, symlinks, hardlinks, nodes and times kept. sub: only that path of
 * the image (a volume's mount point; "" or NULL for all); the root of dst
 * takes the owner and mode of the topmost directory at sub. *out_found (may
 * be NULL): whether the image has a directory at sub. */
BERTH_HIDDEN int berth__layers_copy(int dst, char *const *layers, size_t n, const char *sub, int *out_found,
                                    const char *what);

#endif
