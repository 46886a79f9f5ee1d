/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * volume.h: named and anonymous volumes, as Docker's local volumes.
 *
 * A volume is a directory <root>/volumes/<name>/_data that outlives the
 * containers using it. A container gets one with berth_spec_add_volume() (or
 * "-v NAME:/dst" through berth_spec_add_volume_arg()); the image config's
 * Volumes entries give anonymous volumes (random 64-hex names). At container
 * create a missing volume is created, and an empty one is seeded with the
 * image's content at the mount point (owners, modes, xattrs, symlinks kept;
 * the volume's root takes the owner and mode of the image's directory), as
 * Docker does. Removing a container keeps its volumes; with
 * BERTH_DELETE_VOLUMES (and for BERTH_CREATE_REMOVE containers) its anonymous
 * volumes go with it. See docs/volumes.md.
 *
 * Names: [A-Za-z0-9][A-Za-z0-9_.-]+ (2 to 128 characters), as Docker's local
 * driver; anything else is BERTH_EINVAL.
 */
#ifndef BERTH_VOLUME_H
#define BERTH_VOLUME_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a volume. name NULL or "": an anonymous one with a random 64-hex
 * name. An existing volume of that name is kept as it is (as `docker volume
 * create`). *out_name (may be NULL) gets the name, released with berth_free().
 * Errors: BERTH_EINVAL (name), BERTH_ESYS. Since: 0.1 */
BERTH_EXTERN int berth_volume_create(char **out_name, berth_ctx *ctx, const char *name);

/* Removes a volume and its data. BERTH_ENOTFOUND if there is none;
 * BERTH_EBUSY, naming the container, while a container (running or not)
 * uses it. flags: 0 (reserved). Since: 0.1 */
BERTH_EXTERN int berth_volume_remove(berth_ctx *ctx, const char *name, unsigned int flags);

/* Names of every volume, sorted, NULL-terminated, one berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_volume_list(char ***out, berth_ctx *ctx);

/* A volume as JSON (released with berth_free()), the fields of `docker
 * volume inspect`: {"Name", "Driver": "local", "Mountpoint" (the host path
 * of its data), "CreatedAt", "Labels", "Scope": "local", "Options"} and
 * berth's "Anonymous" (bool) and "UsedBy" (ids of the containers using it).
 * BERTH_ENOTFOUND if there is none. Since: 0.1 */
BERTH_EXTERN int berth_volume_inspect(char **out, berth_ctx *ctx, const char *name);

enum { BERTH_VOLUME_PRUNE_ALL = 1u << 0 };
/* Removes the volumes no container uses: anonymous ones only, or every
 * unused one with BERTH_VOLUME_PRUNE_ALL (as `docker volume prune [-a]`).
 * *out_removed (may be NULL): the names removed, NULL-terminated, one
 * berth_free(); *out_bytes (may be NULL): the bytes freed. Since: 0.1 */
BERTH_EXTERN int berth_volume_prune(char ***out_removed, uint64_t *out_bytes, berth_ctx *ctx, unsigned int flags);

#ifdef __cplusplus
}
#endif
#endif
