/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"
#include "common/layout.h"
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The size of each version of berth_ctx_options (berth__options_copy). */
static const size_t ctx_options_sizes[] = {
	offsetof(berth_ctx_options, max_blob_size), /* 1 */
	sizeof(berth_ctx_options),                 /* 2 */
};

BERTH_EXTERN int berth_ctx_options_init(berth_ctx_options *opts, unsigned int version)
{
	static const berth_ctx_options d = BERTH_CTX_OPTIONS_INIT;
	return berth__options_init(opts, version, &d, ctx_options_sizes, BERTH_ARRAY_SIZE(ctx_options_sizes),
	                           "berth_ctx_options");
}

/* A size limit: the option, else $env, else none. */
static int pick_limit(uint64_t *out, uint64_t given, const char *env)
{
	*out = BERTH_SIZE_UNLIMITED;
	if (given) {
		*out = given;
		return 0;
	}
	const char *v = getenv(env);
	if (!v || !*v)
		return 0;
	if (berth__parse_size(out, v) < 0 || *out == 0)
		return berth__err(BERTH_EINVAL, "%s='%.60s': not a size (a number of bytes, or with k, m, g or t)", env, v);
	return 0;
}

/* The monitor beside the library: <libdir>/../libexec/berth/berth-monitor
 * (the build tree mirrors the install tree). */
static char *monitor_beside_library(void)
{
	Dl_info info;
	if (!dladdr((void *)berth_ctx_new, &info) || !info.dli_fname)
		return NULL;
	char buf[PATH_MAX];
	if (!realpath(info.dli_fname, buf))
		return NULL;
	char *dir = dirname(buf); /* .../lib or .../lib/x86_64-linux-gnu */
	for (int up = 0; up < 2; up++) {
		char cand[PATH_MAX + 64];
		snprintf(cand, sizeof cand, "%s/../libexec/berth/berth-monitor", dir);
		if (access(cand, X_OK) == 0)
			return realpath(cand, NULL);
		dir = dirname(dir);
	}
	return NULL;
}

static char *pick_monitor(const char *given)
{
	if (given)
		return berth__strdup(given);
	const char *env = getenv("BERTH_MONITOR");
	if (env && *env)
		return berth__strdup(env);
	char *m = monitor_beside_library();
	if (m)
		return m;
	return berth__strdup(BERTH_MONITOR_INSTALL_PATH);
}

static char *pick_root(const char *given, const char *env, const char *dflt, const char *what)
{
	const char *v = given;
	if (!v) {
		v = getenv(env);
		if (!v || !*v)
			v = dflt;
	}
	if (v[0] != '/') {
		berth__err(BERTH_EINVAL, "%s '%s': must be an absolute path", what, v);
		return NULL;
	}
	if (strlen(v) > BERTH__ROOT_MAX) {
		berth__err(BERTH_EINVAL, "%s '%.60s...': longer than %d bytes", what, v, BERTH__ROOT_MAX);
		return NULL;
	}
	char *r = berth__strdup(v);
	if (r) {
		size_t n = strlen(r);
		while (n > 1 && r[n - 1] == '/')
			r[--n] = '\0';
	}
	return r;
}

BERTH_EXTERN int berth_ctx_new(berth_ctx **out, const berth_ctx_options *opts)
{
	berth_ctx_options d = BERTH_CTX_OPTIONS_INIT;
	if (!out)
		return berth__err(BERTH_EINVAL, "berth_ctx_new: out is NULL");
	if (opts && berth__options_copy(&d, opts, ctx_options_sizes, BERTH_CTX_OPTIONS_VERSION, "berth_ctx_options") < 0)
		return berth__err_prefix("berth_ctx_new");
	opts = &d;
	uint64_t max_blob, max_image;
	if (pick_limit(&max_blob, opts->max_blob_size, "BERTH_MAX_BLOB_SIZE") < 0 ||
	    pick_limit(&max_image, opts->max_image_size, "BERTH_MAX_IMAGE_SIZE") < 0)
		return BERTH_EINVAL;
	berth_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return berth__err_nomem();
	ctx->root = pick_root(opts->root, "BERTH_ROOT", "/var/lib/berth", "root");
	ctx->run_root = ctx->root ? pick_root(opts->run_root, "BERTH_RUN_ROOT", "/run/berth", "run_root") : NULL;
	ctx->monitor_path = ctx->run_root ? pick_monitor(opts->monitor_path) : NULL;
	ctx->log_cb = opts->log_cb;
	ctx->log_payload = opts->log_payload;
	ctx->log_level = opts->log_level;
	ctx->max_blob_size = max_blob;
	ctx->max_image_size = max_image;
	int r = 0;
	if (!ctx->root || !ctx->run_root || !ctx->monitor_path)
		r = berth_error_last()->code ? berth_error_last()->code : BERTH_ENOMEM;
	if (r == 0) {
		char p[PATH_MAX];
		if ((r = berth__mkdir_p(ctx->root, 0700)) == 0 && (r = berth__mkdir_p(ctx->run_root, 0700)) == 0) {
			berth__path_container(p, sizeof p, ctx->root, NULL, NULL);
			r = berth__mkdir_p(p, 0700);
			berth__path_container(p, sizeof p, ctx->run_root, NULL, NULL);
			if (r == 0)
				r = berth__mkdir_p(p, 0700);
		}
	}
	if (r < 0) {
		berth_ctx_free(ctx);
		return r;
	}
	*out = ctx;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN void berth_ctx_free(berth_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->root);
	free(ctx->run_root);
	free(ctx->monitor_path);
	free(ctx);
}

BERTH_EXTERN const char *berth_ctx_root(const berth_ctx *ctx) { return ctx ? ctx->root : NULL; }
BERTH_EXTERN const char *berth_ctx_run_root(const berth_ctx *ctx) { return ctx ? ctx->run_root : NULL; }
BERTH_EXTERN uint64_t berth_ctx_max_blob_size(const berth_ctx *ctx) { return ctx ? ctx->max_blob_size : 0; }
BERTH_EXTERN uint64_t berth_ctx_max_image_size(const berth_ctx *ctx) { return ctx ? ctx->max_image_size : 0; }

void berth__log(berth_ctx *ctx, int level, const char *fmt, ...)
{
	if (!ctx || !ctx->log_cb || level > ctx->log_level)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ctx->log_cb(level, buf, ctx->log_payload);
}
