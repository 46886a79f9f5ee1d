/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The on-disk layout (docs/layout.md): every path under the state roots is
 * made here, by the library and by the monitor (libexec/, which compiles
 * layout.c too). Only libc: no thread error is set, so that the monitor can
 * use it; a caller of the library turns a failure into its own message.
 *
 * <root> (berth_ctx_options.root, /var/lib/berth):
 *   containers/<id>/            a container's configuration, rootfs, log... (runtime/)
 *   names/<name>                symlink -> <id> (runtime/)
 *   images/                     the OCI image layout: blobs/sha256/<hex>, .tmp/... (image/)
 *   layers/<chain hex>/         unpacked layers, .tmp-<random>/ being unpacked (image/)
 *   build-cache/<key>.json      build steps' results (build/)
 *   volumes/<name>/             volumes, .tmp-<random>/ being made (volume/)
 *   networks/<name>.json        bridge networks (net/)
 *   cache/seccomp               compiled seccomp filters (security/, runtime/)
 * <run_root> (berth_ctx_options.run_root, /run/berth):
 *   containers/<id>/            a container's state.json, locks, fifo, attach.sock (runtime/, monitor)
 *   orphans/<id>                the creator of a container that dies with it (runtime/)
 *
 * The files inside one of these directories are named by the area that owns
 * it (runtime/container.h, image/store.h, volume/volume.h, net/net_internal.h).
 *
 * Each function writes the path into buf (len bytes) and returns 0, or -1
 * with errno ENAMETOOLONG when it does not fit (buf then holds a truncated
 * path, usable in a message); never for a root berth_ctx_new accepted and
 * ids, names and keys it checked. Optional parts may be NULL: the path
 * stops before them. */
#ifndef BERTH_COMMON_LAYOUT_H
#define BERTH_COMMON_LAYOUT_H

#include "internal.h"

/* The longest root or run root berth_ctx_new accepts: with ids and names of
 * at most 128 bytes (berth__check_id), every path below fits in PATH_MAX. */
#define BERTH__ROOT_MAX 3584

/* <root>/containers[/<id>[/<file>]]; root is the root or the run root. */
BERTH_HIDDEN int berth__path_container(char *buf, size_t len, const char *root, const char *id, const char *file);
/* <run_root>/orphans[/<id>] */
BERTH_HIDDEN int berth__path_orphan(char *buf, size_t len, const char *run_root, const char *id);
/* <root>/names[/<name>] */
BERTH_HIDDEN int berth__path_name(char *buf, size_t len, const char *root, const char *name);
/* <root>/images[/<file>] */
BERTH_HIDDEN int berth__path_images(char *buf, size_t len, const char *root, const char *file);
/* <root>/images/blobs/sha256[/<hex>] */
BERTH_HIDDEN int berth__path_blob(char *buf, size_t len, const char *root, const char *hex);
/* <root>/layers[/<name>] */
BERTH_HIDDEN int berth__path_layer(char *buf, size_t len, const char *root, const char *name);
/* <root>/build-cache[/<key>.json] */
BERTH_HIDDEN int berth__path_build_cache(char *buf, size_t len, const char *root, const char *key);
/* <root>/volumes[/<name>[/<sub>]] */
BERTH_HIDDEN int berth__path_volume(char *buf, size_t len, const char *root, const char *name, const char *sub);
/* <root>/networks[/<name>.json] */
BERTH_HIDDEN int berth__path_network(char *buf, size_t len, const char *root, const char *name);
/* <root>/cache/seccomp */
BERTH_HIDDEN int berth__path_seccomp_cache(char *buf, size_t len, const char *root);

#endif
