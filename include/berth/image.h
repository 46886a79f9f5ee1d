/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * image.h: image references, the local OCI image store, registry pull and
 * push, registry logins, and image archives (save/load).
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

/* Parses and normalises reference (see above) into *out, freed with
 * berth_ref_free(). BERTH_EINVAL naming the bad part. Since: 0.1 */
BERTH_EXTERN int berth_ref_parse(berth_ref **out, const char *reference);
/* Accepts NULL. Since: 0.1 */
BERTH_EXTERN void berth_ref_free(berth_ref *ref);
/* Borrowed strings, valid while ref lives. Since: 0.1 */
BERTH_EXTERN const char *berth_ref_domain(const berth_ref *ref);     /* "docker.io" */
BERTH_EXTERN const char *berth_ref_path(const berth_ref *ref);       /* "library/mongo" */
BERTH_EXTERN const char *berth_ref_tag(const berth_ref *ref);        /* "latest", or NULL with only a digest */
BERTH_EXTERN const char *berth_ref_digest(const berth_ref *ref);     /* "sha256:...", or NULL */
/* The full normalised form: "docker.io/library/mongo:latest". Since: 0.1 */
BERTH_EXTERN const char *berth_ref_string(const berth_ref *ref);
/* The short form Docker shows: "mongo:latest", "user/app:1.2",
 * "localhost:5000/a/b:tag". Since: 0.1 */
BERTH_EXTERN const char *berth_ref_familiar(const berth_ref *ref);
/* The registry host to talk to: "registry-1.docker.io" for docker.io, else the domain. Since: 0.1 */
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
 * The tarball is checked and unpacked as a hostile layer would be. Since: 0.1 */
BERTH_EXTERN int berth_image_import(berth_image **out, berth_ctx *ctx, const char *tar_path, const char *ref);
/* Opens an image by id, id prefix or reference. BERTH_ENOTFOUND if absent. Since: 0.1 */
BERTH_EXTERN int berth_image_open(berth_image **out, berth_ctx *ctx, const char *name);
/* Frees the handle (the image stays in the store). Accepts NULL. Since: 0.1 */
BERTH_EXTERN void berth_image_free(berth_image *img);
/* "sha256:<config digest>", borrowed. Since: 0.1 */
BERTH_EXTERN const char *berth_image_id(const berth_image *img);
/* Docker-style inspect JSON: Id, RepoTags, Created, Architecture, Os, Size,
 * Config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes,
 * Labels, StopSignal), RootFS {Layers: diff_ids}, History. berth_free() it. Since: 0.1 */
BERTH_EXTERN int berth_image_inspect(char **out, berth_image *img);
/* The image's config object ({"Env": [...], "Cmd": [...], ...}) as JSON. Since: 0.1 */
BERTH_EXTERN int berth_image_config(char **out, berth_image *img);
/* Directories of the unpacked layers, lowest first, NULL-terminated, one
 * berth_free(): what an overlay mount takes as lowerdirs. Since: 0.1 */
BERTH_EXTERN int berth_image_layer_dirs(char ***out, berth_image *img);

/* Ids of every image, NULL-terminated, one berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_image_list(char ***out, berth_ctx *ctx);
/* References (tags) of an image, NULL-terminated, one berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_image_tags(char ***out, berth_image *img);
/* Adds the reference dst to the image src names (id or reference). Since: 0.1 */
BERTH_EXTERN int berth_image_tag(berth_ctx *ctx, const char *src, const char *dst);

enum { BERTH_IMAGE_REMOVE_FORCE = 1u << 0 };
/* Removes a reference; when it was the image's last one (or name is an id),
 * the image itself. BERTH_EBUSY while a container uses it, unless forced. Since: 0.1 */
BERTH_EXTERN int berth_image_remove(berth_ctx *ctx, const char *name, unsigned int flags);
/* Removes blobs and unpacked layers no image refers to, and the build-cache
 * entries whose layer, base image or parent step is gone. *out_bytes (may be
 * NULL): bytes freed. Since: 0.1 */
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
/* Called from the pulling thread or from the pull's worker threads, never two
 * calls at once; digest is borrowed for the call. The 0.1 callback: it
 * cannot stop the operation (see berth_progress_cb). */
typedef void (*berth_pull_progress_cb)(const char *digest, int status, uint64_t done, uint64_t total,
                                       void *payload);
/* The same, able to stop the pull or push (libgit2's rule): a non-zero
 * return stops it, removes what it left unfinished (as a failure does) and
 * fails it with BERTH_ECANCELED. Since: 0.2 */
typedef int (*berth_progress_cb)(const char *digest, int status, uint64_t done, uint64_t total, void *payload);

/* Version 1 (0.1): up to payload. Version 2 (0.2): on_progress. A version 1
 * struct is still accepted and behaves as in 0.1. */
#define BERTH_PULL_OPTIONS_VERSION 2
typedef struct berth_pull_options {
	unsigned int version;            /* BERTH_PULL_OPTIONS_VERSION */
	const char *platform;            /* "os/arch[/variant]"; NULL: this machine's */
	int tls_verify;                  /* 1: verify (default); 0: plain HTTP or unverified TLS. localhost and
	                                    127.0.0.1 registries may always use plain HTTP */
	const char *username;            /* NULL: ~/.docker/config.json "auths", else anonymous */
	const char *password;
	berth_pull_progress_cb progress; /* 0.1's callback (cannot stop the pull); NULL: none */
	void *payload;                   /* for progress and on_progress */
	/* version 2 */
	berth_progress_cb on_progress;   /* NULL, or the callback that may stop the pull (BERTH_EINVAL if
	                                    progress is set too) */
} berth_pull_options;
#define BERTH_PULL_OPTIONS_INIT { BERTH_PULL_OPTIONS_VERSION, NULL, 1, NULL, NULL, NULL, NULL, NULL }
/* Fills opts with version's defaults, writing only that version's part.
 * BERTH_EINVAL for an unknown version. Since: 0.1 */
BERTH_EXTERN int berth_pull_options_init(berth_pull_options *opts, unsigned int version);

/* Pulls ref (normalised: "mongo" is docker.io/library/mongo:latest) into
 * the store and tags it: manifest or index (platform chosen, attestation
 * entries skipped), config and layers, each verified against its digest
 * before it becomes visible; each layer is downloaded, hashed, decompressed
 * and unpacked in one streaming pass, up to 4 layers at once (threads that
 * end before the call returns). 5xx, 429 and broken connections are retried
 * with backoff. Errors name the reference and the cause:
 * "pull docker.io/library/x:1: manifest unknown (404)"; BERTH_EAUTH for
 * 401/403, BERTH_EDIGEST for a digest mismatch, BERTH_ENET for transport
 * failures. Nothing partial is left behind. Since: 0.1 */
BERTH_EXTERN int berth_image_pull(berth_image **out, berth_ctx *ctx, const char *ref, const berth_pull_options *opts);

/* --- pushing to a registry (distribution spec) --- */
typedef enum berth_push_status {
	BERTH_PUSH_PREPARING = 0, /* reading the image (digest NULL) */
	BERTH_PUSH_WAITING = 1,   /* a blob is queued */
	BERTH_PUSH_UPLOADING = 2, /* bytes sent of total */
	BERTH_PUSH_DONE = 4,      /* the blob is in the registry */
	BERTH_PUSH_EXISTS = 5,    /* the registry had it already */
	BERTH_PUSH_MOUNTED = 6    /* mounted from another repository of the registry */
} berth_push_status;

/* Version 1 (0.1): up to payload. Version 2 (0.2): on_progress. */
#define BERTH_PUSH_OPTIONS_VERSION 2
typedef struct berth_push_options {
	unsigned int version;            /* BERTH_PUSH_OPTIONS_VERSION */
	int tls_verify;                  /* as in berth_pull_options */
	const char *username;            /* NULL: ~/.docker/config.json "auths", else anonymous */
	const char *password;
	uint64_t chunk_size;             /* 0: each blob in one PUT; else PATCH chunks of this many bytes */
	const char *mount_from;          /* a repository path on the same registry to mount blobs from; NULL:
	                                    the image's other references on that registry are tried */
	berth_pull_progress_cb progress; /* berth_push_status values (0.1's callback); NULL: none */
	void *payload;                   /* for progress and on_progress */
	/* version 2 */
	berth_progress_cb on_progress;   /* NULL, or the callback that may stop the push: checked at every
	                                    blob's start and end (an upload under way finishes first);
	                                    BERTH_EINVAL if progress is set too */
} berth_push_options;
#define BERTH_PUSH_OPTIONS_INIT { BERTH_PUSH_OPTIONS_VERSION, 1, NULL, NULL, 0, NULL, NULL, NULL, NULL }
/* Fills opts with version's defaults, writing only that version's part.
 * BERTH_EINVAL for an unknown version. Since: 0.1 */
BERTH_EXTERN int berth_push_options_init(berth_push_options *opts, unsigned int version);

/* Pushes the image name (id, id prefix or reference) to the registry
 * reference dest (NULL: name itself, which must then be a reference). Each
 * layer and the config: HEAD (the registry has it: EXISTS), else a
 * cross-repository mount when a source repository is known, else an upload
 * (POST, then one PUT or PATCH chunks and a closing PUT with the digest);
 * then the manifest is PUT under dest's tag (or digest) and the
 * Docker-Content-Digest the registry answers is checked. Errors name the
 * reference and the cause, as for pull ("push 127.0.0.1:5000/a:1: denied
 * (403) by registry 127.0.0.1:5000"); BERTH_EAUTH, BERTH_ENET, BERTH_EDIGEST.
 * *out_digest (may be NULL): the manifest digest, berth_free() it. Since: 0.1 */
BERTH_EXTERN int berth_image_push(char **out_digest, berth_ctx *ctx, const char *name, const char *dest,
	const berth_push_options *opts);

/* --- registry logins (the file Docker uses) ---
 * Checks username/password against registry (a host[:port]; "docker.io" is
 * Docker Hub): GET /v2/ answering a Basic challenge, or fetching a token from
 * a Bearer challenge's realm. On success writes {"auths": {registry:
 * {"auth": base64("user:pass")}}} into $DOCKER_CONFIG/config.json or
 * ~/.docker/config.json (mode 0600, other keys kept). BERTH_EAUTH names the
 * registry and the reason when the registry refuses. Since: 0.1 */
BERTH_EXTERN int berth_registry_login(berth_ctx *ctx, const char *registry, const char *username,
	const char *password, int tls_verify);
/* Removes the registry's entry; BERTH_ENOTFOUND if there is none. Since: 0.1 */
BERTH_EXTERN int berth_registry_logout(berth_ctx *ctx, const char *registry);

/* --- image archives ---
 * berth_image_save writes the images names (ids or references,
 * NULL-terminated) as one tar stream to fd (a file or a pipe; not closed):
 *   BERTH_ARCHIVE_DOCKER: what "docker save" writes: manifest.json
 *     ([{Config, RepoTags, Layers}]), repositories, <config hex>.json,
 *     <layer id>/layer.tar (uncompressed), <layer id>/VERSION and json;
 *   BERTH_ARCHIVE_OCI: an OCI image layout (oci-layout, index.json with
 *     org.opencontainers.image.ref.name annotations, blobs/sha256/...), as
 *     skopeo's oci-archive: reads it.
 * Names given by reference are saved with that reference; by id, with all
 * of the image's references. */
enum { BERTH_ARCHIVE_DOCKER = 0, BERTH_ARCHIVE_OCI = 1 };
/* Writes the images names (NULL-terminated ids, id prefixes or references)
 * as one archive of format (see above) to fd. BERTH_ENOTFOUND naming a
 * missing image, BERTH_ESYS for write errors. Since: 0.1 */
BERTH_EXTERN int berth_image_save(berth_ctx *ctx, const char *const *names, int format, int fd);
/* Loads every image of an archive of either format (plain, gzip or zstd)
 * read from fd to its end, verifying each layer's DiffID and each blob's
 * digest; tags them with the archive's references. Hostile archives (paths
 * escaping, links or manifests pointing outside, digest mismatches) are
 * refused and leave nothing behind. *out (may be NULL): the loaded image ids
 * and references, one line each ("sha256:... docker.io/library/x:1"),
 * NULL-terminated, one berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_image_load(char ***out, berth_ctx *ctx, int fd);

#ifdef __cplusplus
}
#endif
#endif
