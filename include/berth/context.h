/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * context.h: berth_ctx holds the state roots, the log callback and defaults.
 * A context may be used from several threads; handles made from it may not be
 * shared between threads without the caller's own locking.
 */
#ifndef BERTH_CONTEXT_H
#define BERTH_CONTEXT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_ctx berth_ctx;

typedef enum berth_log_level {
	BERTH_LOG_ERROR = 0,
	BERTH_LOG_WARN = 1,
	BERTH_LOG_INFO = 2,
	BERTH_LOG_DEBUG = 3
} berth_log_level;

/* Called for log messages at or below the context's level. */
typedef void (*berth_log_cb)(int level, const char *message, void *payload);

/* Version 1 (0.1): up to the monitor path. Version 2 (0.2): max_blob_size and
 * max_image_size. A version 1 struct is still accepted (defaults for the rest). */
#define BERTH_CTX_OPTIONS_VERSION 2
typedef struct berth_ctx_options {
	unsigned int version;     /* BERTH_CTX_OPTIONS_VERSION (1 and 2 are accepted) */
	const char *root;         /* persistent data; NULL: $BERTH_ROOT or /var/lib/berth */
	const char *run_root;     /* runtime state; NULL: $BERTH_RUN_ROOT or /run/berth */
	berth_log_cb log_cb;      /* NULL: no logging */
	void *log_payload;
	int log_level;            /* a berth_log_level; default BERTH_LOG_WARN */
	const char *monitor_path; /* berth-monitor; NULL: $BERTH_MONITOR, then beside the library, then the installed one */
	/* --- version 2 --- */
	/* What a registry may make the store take (pull, and a build's FROM),
	 * checked on the sizes the manifest declares before anything is
	 * downloaded, and on the bytes as they arrive. Bytes; 0: the
	 * environment's $BERTH_MAX_BLOB_SIZE / $BERTH_MAX_IMAGE_SIZE (a number
	 * with an optional k, m, g or t suffix, powers of 1024), else no limit;
	 * BERTH_SIZE_UNLIMITED: no limit whatever the environment says. Whatever
	 * the limits, a pull whose missing blobs declare more than the free
	 * space of the store's file system is refused before it starts. */
	uint64_t max_blob_size;   /* one layer or config blob */
	uint64_t max_image_size;  /* the config and all layers of one image */
} berth_ctx_options;
#define BERTH_SIZE_UNLIMITED UINT64_MAX
#define BERTH_CTX_OPTIONS_INIT { BERTH_CTX_OPTIONS_VERSION, NULL, NULL, NULL, NULL, BERTH_LOG_WARN, NULL, 0, 0 }

/* Fills opts with the defaults of the given version (1 or 2: only that
 * version's fields are written). BERTH_EINVAL for an unknown version. Since: 0.1 */
BERTH_EXTERN int berth_ctx_options_init(berth_ctx_options *opts, unsigned int version);

/* Creates a context, making the root directories if needed (mode 0700).
 * Errors: BERTH_EINVAL (relative path, unknown options version, a malformed
 * $BERTH_MAX_BLOB_SIZE or $BERTH_MAX_IMAGE_SIZE), BERTH_ESYS. Since: 0.1 */
BERTH_EXTERN int berth_ctx_new(berth_ctx **out, const berth_ctx_options *opts);
/* Frees the context (containers and images stay). Accepts NULL. Since: 0.1 */
BERTH_EXTERN void berth_ctx_free(berth_ctx *ctx);

/* Borrowed strings, valid while ctx lives. Since: 0.1 */
BERTH_EXTERN const char *berth_ctx_root(const berth_ctx *ctx);
BERTH_EXTERN const char *berth_ctx_run_root(const berth_ctx *ctx);
/* The limits in force (options, else environment): BERTH_SIZE_UNLIMITED for none. Since: 0.2 */
BERTH_EXTERN uint64_t berth_ctx_max_blob_size(const berth_ctx *ctx);
BERTH_EXTERN uint64_t berth_ctx_max_image_size(const berth_ctx *ctx);

#ifdef __cplusplus
}
#endif
#endif
