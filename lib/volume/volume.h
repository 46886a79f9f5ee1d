/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Volumes (internal): include/berth/volume.h, docs/volumes.md.
 *
 *   <root>/volumes/.lock                 flock: every change (create, use, release, remove)
 *   <root>/volumes/<name>/volume.json    Name, Driver, CreatedAt, Labels, Anonymous
 *   <root>/volumes/<name>/_data/         the data, bind-mounted into containers
 *   <root>/volumes/<name>/users/<id>     one empty file per container using it; an
 *                                        entry whose <root>/containers/<id> is gone is
 *                                        stale (a delete that did not finish) and ignored
 *   <root>/volumes/.tmp-<random>/        a volume being made (renamed into place)
 *   <root>/containers/<id>/volumes.json  the container's volumes (the runtime's record)
 */
#ifndef BERTH_VOLUME_INTERNAL_H
#define BERTH_VOLUME_INTERNAL_H

#include "internal.h"
#include "common/layout.h"

/* [A-Za-z0-9][A-Za-z0-9_.-]+, 2..128 characters. BERTH_EINVAL naming it. */
BERTH_HIDDEN int berth__volume_check_name(const char *name);

/* At container create, after <root_dir> exists: every mount of type
 * "volume" in spec (source: a name, or "" for an anonymous volume; option
 * "nocopy": no seeding) gets its volume, created if missing, seeded when
 * empty from layers (the image's, bottom first) or else from rootfs at the
 * mount point, and marked used by the container. *out_spec: a copy of spec
 * where they are bind mounts of the volumes' data, or NULL when spec has no
 * volume (use spec as it is). Writes <root_dir>/volumes.json. flags: the
 * create flags (BERTH_CREATE_REMOVE: anonymous volumes go with the
 * container). On failure nothing it did is left. */
BERTH_HIDDEN int berth__volumes_attach(json_t **out_spec, berth_ctx *ctx, const json_t *spec, const char *id,
                                       const char *root_dir, char **layers, const char *rootfs, unsigned int flags);
/* The container's record (NULL when it has no volumes); read it before its
 * directory is removed. */
BERTH_HIDDEN json_t *berth__volumes_record(const char *root_dir);
/* After the container's directory is gone: it no longer uses its volumes;
 * its anonymous ones are removed when remove_anon or the record says so
 * (--rm), and with failed_create the named ones this create made too. Never
 * fails (a leftover entry is stale anyway). */
BERTH_HIDDEN void berth__volumes_release(berth_ctx *ctx, const char *id, json_t *record, int remove_anon,
                                         int failed_create);

#endif
