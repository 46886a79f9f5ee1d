/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * build.h: building images from a Dockerfile (docs/build.md).
 *
 * berth_build() reads a Dockerfile, runs its instructions stage by stage and
 * stores the result as an OCI image in the store (config with history,
 * manifest, one gzip layer per filesystem-changing step), tagged with every
 * tag given. RUN steps run as berth containers (default isolation, network
 * none) on an overlay of the stage's layers; COPY/ADD/WORKDIR write into an
 * overlay of their own in a private mount namespace. A step's upper directory
 * is its layer: written as a tar (whiteouts become .wh. entries), gzipped and
 * digested in one pass, then renamed into <root>/layers/<chainid>.
 *
 * Cache: a step whose parent state, instruction (after substitution, with
 * the build arguments in scope) and, for COPY/ADD, source content are
 * unchanged reuses the layer it made before (<root>/build-cache); a rebuild of
 * an unchanged context runs no RUN step and gives the same image id.
 *
 * Errors name the file, the line and the cause:
 *   "Dockerfile:4: COPY requires at least two arguments"        (BERTH_EINVAL)
 *   "Dockerfile:7: RUN false: exit code 1"                     (BERTH_ERROR; the exit code in
 *                                                                berth_build_result.exit_code)
 * A failed build leaves no container, mount, temp layer or image behind
 * (layers of the steps that succeeded stay as build cache).
 */
#ifndef BERTH_BUILD_H
#define BERTH_BUILD_H

#include "common.h"
#include "context.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a build reports to its output callback. */
typedef enum berth_build_event {
	BERTH_BUILD_STEP = 0,   /* "STEP 3/7: RUN make" */
	BERTH_BUILD_OUTPUT = 1, /* a chunk of a RUN step's stdout/stderr (not NUL-terminated: use len) */
	BERTH_BUILD_CACHED = 2, /* "--> Using cache <layer or step digest>": the step was not run */
	BERTH_BUILD_INFO = 3,   /* "--> <new layer digest>", "Pulling ...", "COMMIT <tag>", the image id at the end */
	BERTH_BUILD_WARNING = 4 /* "[Warning] one or more build args were not consumed: X" */
} berth_build_event;
/* Called on the building thread; text is borrowed for the call (len bytes,
 * NUL-terminated except for BERTH_BUILD_OUTPUT chunks). The 0.1 callback:
 * it cannot stop the build (see berth_build_event_cb). */
typedef void (*berth_build_output_cb)(int event, const char *text, size_t len, void *payload);
/* The same, able to stop the build (libgit2's rule): a non-zero return
 * kills the running RUN step, removes what the build made (as a failure
 * does) and fails the build with BERTH_ECANCELED. Since: 0.2 */
typedef int (*berth_build_event_cb)(int event, const char *text, size_t len, void *payload);

enum {
	BERTH_BUILD_NO_CACHE = 1u << 0, /* run every step (the result still fills the cache) */
	BERTH_BUILD_PULL = 1u << 1      /* pull every FROM image even when it is in the store */
};

/* Version 1 (0.1): up to cancel. Version 2 (0.2): on_output. A version 1
 * struct (a program built against 0.1) is still accepted and behaves as in
 * 0.1. */
#define BERTH_BUILD_OPTIONS_VERSION 2
typedef struct berth_build_options {
	unsigned int version;           /* BERTH_BUILD_OPTIONS_VERSION */
	const char *dockerfile;         /* NULL: <context>/Dockerfile; a relative path is taken from the working directory */
	const char *dockerfile_text;    /* the Dockerfile itself (overrides dockerfile), e.g. read from stdin */
	const char *const *tags;        /* NULL-terminated references; NULL: the image is left untagged */
	const char *const *build_args;  /* NULL-terminated "NAME=value" (or "NAME": the value from the environment) */
	const char *target;             /* the stage to build (its name or index); NULL: the last */
	unsigned int flags;             /* BERTH_BUILD_* */
	const char *platform;           /* FROM's default platform "os/arch[/variant]"; NULL: this machine's */
	int tls_verify;                 /* for pulls: 1 (default) verify; 0 plain HTTP or unverified TLS */
	berth_build_output_cb output;   /* 0.1's callback (cannot stop the build); NULL: silent */
	void *payload;                  /* for output and on_output */
	/* outputs, written by berth_build() only (0.1); berth_build_image() leaves
	 * the options alone and fills a berth_build_result instead */
	int exit_code;                  /* out: the exit code of the failed RUN step, else 0 */
	unsigned int steps_run;         /* out: RUN steps executed */
	unsigned int steps_cached;      /* out: steps taken from the cache */
	const volatile int *cancel;     /* NULL, or a flag (e.g. set by a signal handler or another thread): once
	                                   non-zero the build stops at the next step, or kills the running RUN within
	                                   100 ms, cleans up and fails with BERTH_ERROR "build cancelled" */
	/* version 2 */
	berth_build_event_cb on_output; /* NULL, or the callback that may stop the build (BERTH_EINVAL if
	                                   output is set too) */
} berth_build_options;
#define BERTH_BUILD_OPTIONS_INIT { BERTH_BUILD_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, 1, NULL, NULL, 0, 0, 0, NULL, NULL }
/* Fills opts with the defaults of version (1..BERTH_BUILD_OPTIONS_VERSION).
 * BERTH_EINVAL for another version. Since: 0.1 */
BERTH_EXTERN int berth_build_options_init(berth_build_options *opts, unsigned int version);

/* What a build did (berth_build_image()). Filled on success and on failure.
 * Since: 0.2 */
#define BERTH_BUILD_RESULT_VERSION 1
typedef struct berth_build_result {
	unsigned int version;       /* BERTH_BUILD_RESULT_VERSION: set by the caller */
	int exit_code;              /* the exit code of the failed RUN step, else 0 */
	unsigned int steps_run;     /* RUN steps executed */
	unsigned int steps_cached;  /* steps taken from the cache */
} berth_build_result;
#define BERTH_BUILD_RESULT_INIT { BERTH_BUILD_RESULT_VERSION, 0, 0, 0 }

/* Builds the image of a Dockerfile with context the build context directory
 * (NULL only with dockerfile_text: no context, COPY then fails). *out (may
 * be NULL) gets the image, the caller frees it; result (may be NULL) what
 * the build did; opts (may be NULL: defaults) is only read.
 * Errors: BERTH_EINVAL (the Dockerfile, a build argument, a tag, an unknown
 * options or result version), BERTH_ENOTFOUND (context, a COPY source, an
 * image), BERTH_ERROR (a RUN step failed: result->exit_code; or the cancel
 * flag), BERTH_ECANCELED (on_output returned non-zero), the pull errors for
 * a missing FROM image, BERTH_ESYS. A failed build leaves nothing but the
 * cache of the steps that succeeded. Since: 0.2 */
BERTH_EXTERN int berth_build_image(berth_image **out, berth_build_result *result, berth_ctx *ctx, const char *context,
                                   const berth_build_options *opts);
/* The 0.1 entry point: berth_build_image() that also writes exit_code,
 * steps_run and steps_cached into opts (which is therefore not const).
 * Since: 0.1 */
BERTH_EXTERN int berth_build(berth_image **out, berth_ctx *ctx, const char *context, berth_build_options *opts);

#ifdef __cplusplus
}
#endif
#endif
