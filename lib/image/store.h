/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The local image store (internal): an OCI image layout in <root>/images and
 * the unpacked layers in <root>/layers (include/berth/image.h, docs/images.md).
 *
 *   <root>/images/oci-layout             {"imageLayoutVersion":"1.0.0"}
 *   <root>/images/index.json             one manifest descriptor per (manifest, ref)
 *   <root>/images/blobs/sha256/<hex>     content-addressed, only ever renamed in verified
 *   <root>/images/.tmp/                  blobs being written (same filesystem)
 *   <root>/images/.tmp.lock              flock: creating a temp entry (SH), sweeping them (EX)
 *   <root>/images/.lock                  flock: index.json read-modify-write (EX), reads (SH)
 *   <root>/images/.gc.lock               flock: writers of blobs/layers (SH), prune (EX)
 *   <root>/layers/<chainid hex>/         one layer's diff in overlayfs lower-dir form
 *   <root>/layers/.tmp-<random>/         a layer being unpacked (renamed into place)
 *
 * Lock order: .gc.lock before .lock. Every write is temp + rename.
 */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include "internal.h"
#include "common/layout.h"
#include <stdint.h>

#define BERTH__MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BERTH__MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BERTH__MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define BERTH__MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define BERTH__MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define BERTH__MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define BERTH__MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define BERTH__MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BERTH__MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define BERTH__MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define BERTH__ANN_REF_NAME "org.opencontainers.image.ref.name"

/* "sha256:" + 64 hex + NUL */
#define BERTH__DIGEST_LEN 72

/* Manifest and config blobs larger than this are refused (they are read whole). */
#define BERTH__JSON_BLOB_MAX (16u << 20)

/* --- pure logic (store.c), unit-tested --- */

/* Is d "sha256:" followed by 64 lowercase hex digits? */
BERTH_HIDDEN int berth__digest_valid(const char *d);
/* ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))
 * over the "sha256:<hex>" strings. out[i] gets "sha256:<hex>" for i < n.
 * BERTH_EINVAL (naming diff_ids[i]) if a DiffID is not a sha256 digest. */
BERTH_HIDDEN int berth__chain_ids(char (*out)[BERTH__DIGEST_LEN], const char *const *diff_ids, size_t n);
/* Layer media types berth can unpack: 0 (not a layer berth knows), 1 (a tar,
 * gzip- or zstd-compressed or not; the content decides). */
BERTH_HIDDEN int berth__layer_media_type_ok(const char *mt);
/* Checks an image manifest (OCI or Docker schema 2) / an image config. what
 * names it in messages ("manifest sha256:..."); errors are BERTH_EINVAL
 * naming the field: "manifest sha256:...: layers[1].digest: ...". */
BERTH_HIDDEN int berth__manifest_check(const json_t *m, const char *what);
BERTH_HIDDEN int berth__config_check(const json_t *c, const char *what);
/* Both, and that the manifest has as many layers as the config has DiffIDs. */
BERTH_HIDDEN int berth__image_check(const json_t *manifest, const json_t *config, const char *what);
/* The index.json object: schemaVersion 2 and a manifests array of
 * descriptors (digest, mediaType, size; annotations an object of strings). */
BERTH_HIDDEN int berth__index_check(const json_t *index, const char *what);
/* Points ref (a full normalised reference) at the manifest (media_type,
 * digest, size) in an index.json object: the tag moves (an entry naming ref
 * elsewhere is removed, or loses its ref when it was the last entry of its
 * manifest: the image it leaves stays, untagged, like Docker's "<none>"), and
 * untagged entries of this manifest are removed. With ref
 * NULL, an untagged entry is added unless the manifest already has an entry.
 * Returns 1 when the index changed, 0 when it already said so. */
BERTH_HIDDEN int berth__index_set_ref(json_t *index, const char *media_type, const char *digest, json_int_t size,
	const char *ref);
/* The OCI architecture name of this build ("amd64", "arm64", ...). */
BERTH_HIDDEN const char *berth__native_arch(void);

/* --- the store on disk (store_fs.c) --- */
typedef struct berth__store {
	berth_ctx *ctx;
	char root[4096];   /* <root> */
	char images[4096]; /* <root>/images */
	char layers[4096]; /* <root>/layers */
} berth__store;

BERTH_HIDDEN int berth__store_init(berth__store *s, berth_ctx *ctx);
/* Creates the layout (directories, oci-layout, an empty index.json) if needed. */
BERTH_HIDDEN int berth__store_ensure(berth__store *s);
/* Does <root>/images/index.json exist? */
BERTH_HIDDEN int berth__store_exists(const berth__store *s);
/* snprintf into buf (PATH_MAX), BERTH_EINVAL if too long. */
BERTH_HIDDEN int berth__store_path(char *buf, size_t len, const char *fmt, ...) BERTH_PRINTF(3, 4);
/* flock(name in <root>/images, op): returns the fd (>= 0) or an error. */
BERTH_HIDDEN int berth__store_lock(const berth__store *s, const char *name, int op);
BERTH_HIDDEN void berth__store_unlock(int fd);
/* index.json: loaded (and checked), an empty index if the file is missing. */
BERTH_HIDDEN int berth__index_load(json_t **out, const berth__store *s);
BERTH_HIDDEN int berth__index_save(const berth__store *s, json_t *index);

/* Blob paths and reads. */
BERTH_HIDDEN int berth__blob_path(char *buf, size_t len, const berth__store *s, const char *digest);
/* Reads a JSON blob whole, verifying its digest (BERTH_EDIGEST) and, when
 * size >= 0, its size; BERTH_ENOTFOUND if missing, BERTH_EINVAL if not JSON. */
BERTH_HIDDEN int berth__blob_read_json(json_t **out, const berth__store *s, const char *digest, int64_t size,
	const char *what);

/* A blob being written: a temp file in <root>/images/.tmp, hashed as written. */
typedef struct berth__blob_writer {
	int fd;
	char tmp[4096];
	berth__sha256_ctx sha;
	uint64_t size;
} berth__blob_writer;
BERTH_HIDDEN int berth__blob_begin(berth__blob_writer *w, const berth__store *s);
BERTH_HIDDEN int berth__blob_write(berth__blob_writer *w, const void *data, size_t len);
/* Verifies (expect may be NULL) and renames into blobs/sha256; digest_out
 * (may be NULL) gets "sha256:<hex>". Always releases w. */
BERTH_HIDDEN int berth__blob_commit(berth__blob_writer *w, const berth__store *s, const char *expect,
	char digest_out[BERTH__DIGEST_LEN]);
/* The same for bytes written to w->fd directly (not through
 * berth__blob_write), whose sha256 the caller computed: hex. */
BERTH_HIDDEN int berth__blob_commit_hashed(berth__blob_writer *w, const berth__store *s, const char *hex);
/* Discards a writer (never fails; NULL-safe on a released writer). */
BERTH_HIDDEN void berth__blob_abort(berth__blob_writer *w);
/* A whole blob from memory. */
BERTH_HIDDEN int berth__blob_put(const berth__store *s, const void *data, size_t len,
	char digest_out[BERTH__DIGEST_LEN]);

/* --- temp entries and their owners (store_tmp.c) ---
 * Each temp entry is flock'ed (LOCK_EX) by its creator through an fd of the
 * entry itself until it is renamed into place or removed; a sweep removes
 * the ones whose owner is gone. */
/* The creation guard: held (shared) from before a temp entry exists until
 * it is locked. Returns the fd to release with berth__store_unlock. */
BERTH_HIDDEN int berth__tmp_guard(const berth__store *s);
/* Locks a temp entry just made under the guard, through fd (not O_PATH). */
BERTH_HIDDEN int berth__tmp_own(int fd, const char *path);
/* Makes <parent>/<prefix><random> (path into buf) and returns an fd of it
 * (O_RDONLY|O_DIRECTORY, close-on-exec) holding its lock: keep it open until
 * the dir is renamed into place or removed. */
BERTH_HIDDEN int berth__tmp_dir_new(char *buf, size_t len, const berth__store *s, const char *parent,
	const char *prefix, mode_t mode);
/* Removes the temp entries whose owner is gone (never fails; skipped when
 * another process is creating one at that moment). */
BERTH_HIDDEN void berth__store_sweep(const berth__store *s);

/* --- what a pull may take (store_limits.c) --- */
typedef struct berth__blob_decl {
	const char *kind;   /* "layer", "config": for messages */
	const char *digest;
	uint64_t size;      /* as its descriptor declares */
	int have;           /* already in the store: costs no space */
} berth__blob_decl;
/* Checks declared sizes before a download: each blob against the context's
 * maximum blob size, their sum against its maximum image size (BERTH_EINVAL
 * naming the blob, its size and the limit), and the blobs not there yet
 * against the free space of the store's file system (BERTH_ESYS: "<what>:
 * layer sha256:...: declares 1.0 TiB, the store at /var/lib/berth has 40.2
 * GiB free"). The space is a lower bound: layers are also unpacked. */
BERTH_HIDDEN int berth__store_check_decl(const berth__store *s, const berth__blob_decl *b, size_t n, const char *what);

/* --- images (store_image.c) --- */
/* Opens the image of the manifest blob digest (size: the descriptor's, or -1). */
BERTH_HIDDEN int berth__image_load(berth_image **out, berth_ctx *ctx, const char *manifest_digest, int64_t size);
/* The image's manifest and config JSON (borrowed, valid while img lives). */
BERTH_HIDDEN const json_t *berth__image_manifest_json(const berth_image *img);
BERTH_HIDDEN const json_t *berth__image_config_json(const berth_image *img);
/* What a handle holds (borrowed, valid while it lives). */
BERTH_HIDDEN const json_t *berth__image_manifest(const berth_image *img);
BERTH_HIDDEN const char *berth__image_manifest_digest(const berth_image *img);
BERTH_HIDDEN const berth__store *berth__image_store(const berth_image *img);
/* Tags (refs) index.json entries for manifest (media type, digest, size):
 * ref NULL adds an untagged entry. Takes the index lock. */
BERTH_HIDDEN int berth__index_tag(const berth__store *s, const char *media_type, const char *digest, int64_t size,
	const char *ref);

/* --- what else berth_image_prune removes ---
 * A cache of an area above the store (the build cache) whose entries name
 * blobs and layers: after image prune removed what no image uses (holding
 * the store's locks), each participant drops its entries that named them and
 * adds the bytes it freed to *bytes (and their number to *removed, when not
 * NULL). The list, ended by an entry whose prune is NULL, is made in
 * lib/wiring.c, so that the image area never names the areas above it. */
typedef struct berth__prune_participant {
	const char *what;
	int (*prune)(const berth__store *s, uint64_t *bytes, size_t *removed);
} berth__prune_participant;
BERTH_HIDDEN extern const berth__prune_participant berth__image_prune_participants[];

/* --- layers (store_layer.c) --- */
typedef struct berth__layer_result {
	char blob_hex[65]; /* sha256 of the bytes read */
	char diff_hex[65]; /* sha256 of the decompressed tar stream (the DiffID) */
	uint64_t blob_size, diff_size;
} berth__layer_result;
/* Reads a tar (plain, gzip or zstd) from in_fd to its end, unpacks it into
 * dirfd (berth__layer_unpack_archive: hostile-safe), hashes the input and the
 * decompressed stream, and copies the decompressed stream to copy_fd unless
 * it is -1. On failure dirfd holds a partial extraction (remove it). */
BERTH_HIDDEN int berth__layer_stream(berth__layer_result *res, int dirfd, int in_fd, int copy_fd,
	const char *what);
/* Makes a temp dir <root>/layers/.tmp-<random>: path into buf; the fd
 * returned holds its lock (berth__tmp_dir_new): close it only once the dir
 * is renamed into place or removed. */
BERTH_HIDDEN int berth__layer_tmpdir(char *buf, size_t len, const berth__store *s);
/* Renames a finished temp dir to <root>/layers/<chain hex>; when another
 * process got there first, removes ours (the content is the same). */
BERTH_HIDDEN int berth__layer_install(const berth__store *s, const char *tmp, const char *chain_id);
/* The unpack flags for this process (no devices and no chown unless root). */
BERTH_HIDDEN unsigned berth__layer_unpack_flags(void);

#endif
