/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * image.h: image references, and the local OCI image store. Registry
 * pull/push land next (issue 4).
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- references ---
 * Parsed and normalised as Docker does:
 *   "mongo"                    -> docker.io/library/mongo:latest
 *   "user/app:1.2"             -> docker.io/user/app:1.2
 *   "index.docker.io/x/y"      -> docker.io/x/y:latest
 *   "localhost:5000/a/b:tag"   -> localhost:5000/a/b:tag
 *   "name@sha256:<64 hex>"     -> docker.io/library/name@sha256:...  (no tag added)
 *   "name:tag@sha256:<64 hex>" -> both kept
 * The first component is a domain when it contains '.' or ':' or is
 * "localhost". Repositories are lowercase; a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
 * the whole name at most 255 characters. Errors (BERTH_EINVAL) name the
 * offending part: "reference 'Mongo': repository name must be lowercase". */
typedef struct berth_ref berth_ref;

BERTH_EXTERN int berth_ref_parse(berth_ref **out, const char *reference);
BERTH_EXTERN void berth_ref_free(berth_ref *ref);
/* Borrowed strings, valid while ref lives. */
BERTH_EXTERN const char *berth_ref_domain(const berth_ref *ref);     /* "docker.io" */
BERTH_EXTERN const char *berth_ref_path(const berth_ref *ref);       /* "library/mongo" */
BERTH_EXTERN const char *berth_ref_tag(const berth_ref *ref);        /* "latest", or NULL with only a digest */
BERTH_EXTERN const char *berth_ref_digest(const berth_ref *ref);     /* "sha256:...", or NULL */
/* The full normalised form: "docker.io/library/mongo:latest". */
BERTH_EXTERN const char *berth_ref_string(const berth_ref *ref);
/* The short form Docker shows: "mongo:latest", "user/app:1.2",
 * "localhost:5000/a/b:tag". */
BERTH_EXTERN const char *berth_ref_familiar(const berth_ref *ref);
/* The registry host to talk to: "registry-1.docker.io" for docker.io, else the domain. */
BERTH_EXTERN const char *berth_ref_registry(const berth_ref *ref);

/* --- the image store ---
 * <root>/images is an OCI image layout (oci-layout, index.json,
 * blobs/sha256/...): skopeo and umoci can read it ("oci:<root>/images:<tag>").
 * Tags are the org.opencontainers.image.ref.name annotations of index.json
 * (the full normalised reference, "docker.io/library/busybox:latest").
 * Layers are unpacked once per ChainID into <root>/layers/<chainid>/ in
 * overlayfs form. An image is named by its id (the config digest,
 * "sha256:..."), a unique id prefix, or a reference. */
typedef struct berth_image berth_image;

/* Imports a root filesystem tarball (plain, gzip or zstd) as a one-layer
 * image for the native platform and tags it ref (which may be NULL: untagged).
 * The tarball is checked and unpacked as a hostile layer would be. */
BERTH_EXTERN int berth_image_import(berth_image **out, berth_ctx *ctx, const char *tar_path, const char *ref);
/* Opens an image by id, id prefix or reference. BERTH_ENOTFOUND if absent. */
BERTH_EXTERN int berth_image_open(berth_image **out, berth_ctx *ctx, const char *name);
BERTH_EXTERN void berth_image_free(berth_image *img);
/* "sha256:<config digest>", borrowed. */
BERTH_EXTERN const char *berth_image_id(const berth_image *img);
/* Docker-style inspect JSON: Id, RepoTags, Created, Architecture, Os, Size,
 * Config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes,
 * Labels, StopSignal), RootFS {Layers: diff_ids}, History. berth_free() it. */
BERTH_EXTERN int berth_image_inspect(char **out, berth_image *img);
/* The image's config object ({"Env": [...], "Cmd": [...], ...}) as JSON. */
BERTH_EXTERN int berth_image_config(char **out, berth_image *img);
/* Directories of the unpacked layers, lowest first, NULL-terminated, one
 * berth_free(): what an overlay mount takes as lowerdirs. */
BERTH_EXTERN int berth_image_layer_dirs(char ***out, berth_image *img);

/* Ids of every image, NULL-terminated, one berth_free(). */
BERTH_EXTERN int berth_image_list(char ***out, berth_ctx *ctx);
/* References (tags) of an image, NULL-terminated, one berth_free(). */
BERTH_EXTERN int berth_image_tags(char ***out, berth_image *img);
/* Adds the reference dst to the image src names (id or reference). */
BERTH_EXTERN int berth_image_tag(berth_ctx *ctx, const char *src, const char *dst);

enum { BERTH_IMAGE_REMOVE_FORCE = 1u << 0 };
/* Removes a reference; when it was the image's last one (or name is an id),
 * the image itself. BERTH_EBUSY while a container uses it, unless forced. */
BERTH_EXTERN int berth_image_remove(berth_ctx *ctx, const char *name, unsigned int flags);
/* Removes blobs and unpacked layers no image refers to. *out_bytes (may be
 * NULL): bytes freed. */
BERTH_EXTERN int berth_image_prune(uint64_t *out_bytes, berth_ctx *ctx);

/* --- pulling from a registry (distribution spec) --- */
typedef enum berth_pull_status {
	BERTH_PULL_RESOLVING = 0,   /* reading the manifest (digest NULL) */
	BERTH_PULL_WAITING = 1,     /* a layer is queued */
	BERTH_PULL_DOWNLOADING = 2, /* bytes done of total (total 0 if unknown) */
	BERTH_PULL_EXTRACTING = 3,
	BERTH_PULL_DONE = 4,        /* the layer is in the store */
	BERTH_PULL_EXISTS = 5       /* the layer was already there */
} berth_pull_status;
/* Called from the pulling thread; digest is borrowed for the call. */
typedef void (*berth_pull_progress_cb)(const char *digest, int status, uint64_t done, uint64_t total,
                                       void *payload);

#define BERTH_PULL_OPTIONS_VERSION 1
typedef struct berth_pull_options {
	unsigned int version;            /* BERTH_PULL_OPTIONS_VERSION */
	const char *platform;            /* "os/arch[/variant]"; NULL: this machine's */
	int tls_verify;                  /* 1: verify (default); 0: plain HTTP or unverified TLS. localhost and
	                                    127.0.0.1 registries may always use plain HTTP */
	const char *username;            /* NULL: ~/.docker/config.json "auths", else anonymous */
	const char *password;
	berth_pull_progress_cb progress; /* NULL: none */
	void *payload;
} berth_pull_options;
#define BERTH_PULL_OPTIONS_INIT { BERTH_PULL_OPTIONS_VERSION, NULL, 1, NULL, NULL, NULL, NULL }
BERTH_EXTERN int berth_pull_options_init(berth_pull_options *opts, unsigned int version);

/* Pulls ref (normalised: "mongo" is docker.io/library/mongo:latest) into
 * the store and tags it: manifest or index (platform chosen, attestation
 * entries skipped), config and layers, each verified against its digest
 * before it becomes visible; layers are downloaded, hashed, decompressed and
 * unpacked in one pass. Errors name the reference and the cause:
 * "pull docker.io/library/x:1: manifest unknown (404)"; BERTH_EAUTH for
 * 401/403, BERTH_EDIGEST for a digest mismatch, BERTH_ENET for transport
 * failures. Nothing partial is left behind. */
BERTH_EXTERN int berth_image_pull(berth_image **out, berth_ctx *ctx, const char *ref, const berth_pull_options *opts);

#ifdef __cplusplus
}
#endif
#endif
