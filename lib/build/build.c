/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_build (include/berth/build.h): runs a parsed Dockerfile stage by
 * stage. A stage's state is an image config (with history), the manifest's
 * layer descriptors and the unpacked layer dirs; each filesystem step adds
 * a layer made from its overlay upper dir (layer.c), RUN in a berth
 * container, COPY/ADD/WORKDIR in a private mount namespace (fsop.c).
 *
 * Cache: every step has a key, sha256 over the parent step's key, the
 * instruction after substitution and, for RUN, the build arguments in scope,
 * for COPY/ADD the content hash of the sources. <root>/build-cache/<key>.json
 * records the step's result (its history time and its layer, if any); a hit
 * needs the layer's blob and unpacked dir still in the store.
 *
 * Everything temporary lives in <root>/layers/.tmp-<random> (same filesystem
 * as the layers: a step's upper dir is renamed into place as its layer) and
 * is removed at the end, success or not. The store's .gc.lock is held
 * shared for the whole build, so a prune cannot take layers in use. */
#include "build/build_priv.h"

/* The size of each version of berth_build_options: a caller of version v
 * has only that many bytes. */
static const size_t options_sizes[BERTH_BUILD_OPTIONS_VERSION] = {
	offsetof(berth_build_options, on_output), /* 1 (0.1): up to cancel */
	sizeof(berth_build_options),              /* 2 (0.2): on_output */
};

BERTH_EXTERN int berth_build_options_init(berth_build_options *opts, unsigned int version)
{
	/* only that version's part (a 0.1 caller's struct is shorter), from a
	 * static value (a struct copy could carry indeterminate padding) */
	static const berth_build_options d = BERTH_BUILD_OPTIONS_INIT;
	return berth__options_init(opts, version, &d, options_sizes, BERTH_ARRAY_SIZE(options_sizes),
	                           "berth_build_options");
}

static int read_all(char **out, size_t *len, const char *path, const char *what)
{
	int r = berth__read_file(out, len, path);
	if (r < 0)
		return berth__err_prefix("%s", what);
	return 0;
}

static int run_build(berth_image **out, bctx *b)
{
	int r;
	/* stages: FROM indices */
	size_t nst = 0, target = (size_t)-1;
	for (size_t i = 0; i < b->df.n; i++)
		if (!strcmp(b->df.v[i].cmd, "FROM"))
			nst++;
	b->stages = calloc(nst, sizeof *b->stages);
	if (!b->stages)
		return berth__err_nomem();
	/* the target: by name (AS, raw text) or index */
	if (b->o->target && *b->o->target) {
		size_t k = 0;
		for (size_t i = 0; i < b->df.n; i++) {
			if (strcmp(b->df.v[i].cmd, "FROM"))
				continue;
			char **w = NULL;
			size_t n = 0;
			if (berth__bd_words(&w, &n, b->df.v[i].rest, b->df.escape, 1, NULL, NULL) == 0 && n == 3 &&
			    !strcasecmp(w[2], b->o->target))
				target = k;
			free(w);
			k++;
		}
		char *end;
		long idx = strtol(b->o->target, &end, 10);
		if (target == (size_t)-1 && !*end && idx >= 0 && (size_t)idx < nst)
			target = (size_t)idx;
		if (target == (size_t)-1)
			return berth__err(BERTH_EINVAL, "%s: target stage '%s' could not be found", b->dfname, b->o->target);
	} else
		target = nst - 1;
	/* steps: everything up to the end of the target stage, but for the
	 * stages it does not need (decided at the first FROM) */
	size_t last = b->df.n;
	{
		size_t k = 0;
		for (size_t i = 0; i < b->df.n; i++)
			if (!strcmp(b->df.v[i].cmd, "FROM") && k++ == target + 1) {
				last = i;
				break;
			}
	}
	b->nsteps = (unsigned)last;
	char *need = calloc(nst, 1);
	if (!need)
		return berth__err_nomem();
	stage *s = NULL;
	size_t si = 0;
	unsigned shown = 0;
	int skip = 0;
	/* the global build arguments first (they emit nothing): FROM and
	 * COPY --from may use them, and so does needed_stages */
	size_t nglobal = 0;
	r = 0;
	while (r == 0 && nglobal < last && !strcmp(b->df.v[nglobal].cmd, "ARG"))
		r = berth__bd_do_arg(b, NULL, &b->df.v[nglobal++]);
	if (r == 0 && (r = berth__bd_needed_stages(b, nst, target, need)) == 0) {
		unsigned n = 0;
		for (size_t j = 0, k = 0; j < last; j++) {
			k += !strcmp(b->df.v[j].cmd, "FROM");
			n += k == 0 || need[k - 1];
		}
		b->nsteps = n;
	}
	for (size_t i = 0; r == 0 && i < last; i++) {
		bd_instr *in = &b->df.v[i];
		int from = !strcmp(in->cmd, "FROM");
		if (from && !need[si]) {
			skip = 1;
			b->nstages = ++si;
			continue;
		}
		if (from)
			skip = 0;
		if (skip)
			continue;
		if (berth__bd_cancelled(b)) {
			char where[300];
			snprintf(where, sizeof where, "%s:%d", b->dfname, in->line);
			r = berth__bd_cancel_error(b, where);
			break;
		}
		berth__bd_emit(b, BERTH_BUILD_STEP, "STEP %u/%u: %s", ++shown, b->nsteps, in->text);
		if (i < nglobal)
			continue; /* done above */
		if (from) {
			s = &b->stages[si];
			b->nstages = si + 1;
			r = berth__bd_do_from(b, s, in, si);
			si++;
		} else if (!strcmp(in->cmd, "ARG"))
			r = berth__bd_do_arg(b, s, in);
		else if (!strcmp(in->cmd, "RUN"))
			r = berth__bd_do_run(b, s, in);
		else if (!strcmp(in->cmd, "COPY") || !strcmp(in->cmd, "ADD"))
			r = berth__bd_do_copy(b, s, si - 1, in);
		else if (!strcmp(in->cmd, "WORKDIR"))
			r = berth__bd_do_workdir(b, s, in);
		else
			r = berth__bd_do_meta(b, s, in);
	}
	free(need);
	if (r < 0)
		return r;
	/* build arguments nobody declared */
	const char *k;
	json_t *v;
	json_object_foreach(b->build_args, k, v) {
		static const char *const predefined[] = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
			"FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy" };
		int pre = 0;
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(predefined); i++)
			pre |= !strcmp(k, predefined[i]);
		if (!pre && !json_object_get(b->used_args, k))
			berth__bd_emit(b, BERTH_BUILD_WARNING, "[Warning] one or more build args were not consumed: %s", k);
	}
	return berth__bd_commit_image(out, b, &b->stages[target]);
}

/* The Dockerfile (b->o's text, or its file) parsed into b->df, *text its
 * text (the caller frees it), and the context's .dockerignore into b->ig. */
static int read_inputs(bctx *b, char **text, size_t *tlen)
{
	int r = 0;
	/* the Dockerfile */
	if (b->o->dockerfile_text) {
		*text = berth__strdup(b->o->dockerfile_text);
		*tlen = *text ? strlen(*text) : 0;
		snprintf(b->dfname, sizeof b->dfname, "Dockerfile");
		if (!*text)
			return BERTH_ENOMEM;
	} else {
		char path[4200];
		if (b->o->dockerfile && *b->o->dockerfile)
			snprintf(path, sizeof path, "%s", b->o->dockerfile);
		else
			snprintf(path, sizeof path, "%s/Dockerfile", b->context);
		const char *base = strrchr(path, '/');
		snprintf(b->dfname, sizeof b->dfname, "%s", base ? base + 1 : path);
		char what[4300];
		snprintf(what, sizeof what, "build: Dockerfile %s", path);
		if ((r = read_all(text, tlen, path, what)) < 0)
			return r;
	}
	if ((r = berth__dockerfile_parse(&b->df, *text, *tlen, b->dfname)) < 0)
		return r;
	/* .dockerignore */
	if (b->context) {
		char p[4200];
		snprintf(p, sizeof p, "%s/.dockerignore", b->context);
		char *ig = NULL;
		size_t il = 0;
		if (access(p, F_OK) == 0) {
			if ((r = read_all(&ig, &il, p, "build: .dockerignore")) < 0)
				return r;
			r = berth__ignore_parse(&b->ig, ig, il);
			free(ig);
		}
	}
	return r;
}

/* The tags checked before anything runs, --build-arg values, and the
 * predefined platform arguments of the global scope. */
static int arguments(bctx *b)
{
	/* the tags, before anything runs */
	for (const char *const *t = b->o->tags; t && *t; t++) {
		berth_ref *ref = NULL;
		if (berth_ref_parse(&ref, *t) < 0)
			return berth__err_prefix("build: tag");
		int dig = berth_ref_digest(ref) != NULL;
		berth_ref_free(ref);
		if (dig)
			return berth__err(BERTH_EINVAL, "build: tag '%s': a tag cannot contain a digest", *t);
	}
	/* --build-arg */
	for (const char *const *a = b->o->build_args; a && *a; a++) {
		const char *eq = strchr(*a, '=');
		char name[256];
		size_t nl = eq ? (size_t)(eq - *a) : strlen(*a);
		if (nl == 0 || nl >= sizeof name)
			return berth__err(BERTH_EINVAL, "build: --build-arg '%s': expected NAME=value", *a);
		memcpy(name, *a, nl);
		name[nl] = '\0';
		const char *val = eq ? eq + 1 : getenv(name);
		if (val)
			json_object_set_new(b->build_args, name, json_string(val));
	}
	/* predefined platform arguments in the global scope */
	{
		const char *arch = berth__native_arch();
		char plat[96];
		snprintf(plat, sizeof plat, "linux/%s", arch);
		const char *tp = b->o->platform && *b->o->platform ? b->o->platform : plat;
		char tarch[64] = "";
		if (strchr(tp, '/'))
			snprintf(tarch, sizeof tarch, "%s", strchr(tp, '/') + 1);
		if (strchr(tarch, '/'))
			*strchr(tarch, '/') = '\0';
		json_object_set_new(b->global_args, "BUILDPLATFORM", json_string(plat));
		json_object_set_new(b->global_args, "BUILDOS", json_string("linux"));
		json_object_set_new(b->global_args, "BUILDARCH", json_string(arch));
		json_object_set_new(b->global_args, "TARGETPLATFORM", json_string(tp));
		json_object_set_new(b->global_args, "TARGETOS", json_string("linux"));
		json_object_set_new(b->global_args, "TARGETARCH", json_string(tarch[0] ? tarch : arch));
	}
	return 0;
}

/* The caller's options of any version as the current version (newer fields
 * at their defaults): the builder reads only b->opts. */
static int copy_options(berth_build_options *dst, const berth_build_options *opts)
{
	berth_build_options d = BERTH_BUILD_OPTIONS_INIT;
	*dst = d;
	if (opts && berth__options_copy(dst, opts, options_sizes, BERTH_BUILD_OPTIONS_VERSION, "berth_build_options") < 0)
		return berth__err_prefix("build");
	if (dst->output && dst->on_output)
		return berth__err(BERTH_EINVAL, "build: set output (0.1) or on_output, not both");
	return 0;
}

static int build_main(berth_image **out, berth_build_result *res, berth_ctx *ctx, const char *context,
                      const berth_build_options *opts_in)
{
	if (!ctx)
		return berth__err(BERTH_EINVAL, "build: a context is required");
	bctx *b = calloc(1, sizeof *b);
	if (!b)
		return berth__err_nomem();
	if (copy_options(&b->opts, opts_in) < 0) {
		free(b);
		return BERTH_EINVAL;
	}
	const berth_build_options *opts = b->o = &b->opts;
	if (!context && !opts->dockerfile_text) {
		free(b);
		return berth__err(BERTH_EINVAL, "build: a context directory (or the Dockerfile text) is required");
	}
	b->ctx = ctx;
	b->tmp_fd = -1;
	berth__container_sweep_orphans(ctx); /* the RUN steps of killed builds */
	int r = 0, gc = -1;
	char *text = NULL, *ctxabs = NULL;
	size_t tlen = 0;
	b->global_args = json_object();
	b->build_args = json_object();
	b->used_args = json_object();
	if (!b->global_args || !b->build_args || !b->used_args) {
		r = berth__err_nomem();
		goto out;
	}
	if ((r = berth__store_init(&b->st, ctx)) < 0)
		goto out;
	if (context) {
		struct stat st;
		if (!(ctxabs = realpath(context, NULL)) || stat(ctxabs, &st) < 0 || !S_ISDIR(st.st_mode)) {
			r = ctxabs ? berth__err(BERTH_EINVAL, "build: context %s: not a directory", context)
			           : berth__err_sys(errno, "build: context %s", context);
			goto out;
		}
		b->context = ctxabs;
	}
	if ((r = read_inputs(b, &text, &tlen)) < 0 || (r = arguments(b)) < 0)
		goto out;
	if ((r = berth__store_ensure(&b->st)) < 0)
		goto out;
	if ((gc = berth__store_lock(&b->st, ".gc.lock", LOCK_SH)) < 0) {
		r = gc;
		goto out;
	}
	if ((b->tmp_fd = berth__layer_tmpdir(b->tmp, sizeof b->tmp, &b->st)) < 0) {
		r = b->tmp_fd;
		b->tmp[0] = '\0';
		goto out;
	}
	char empty[4300];
	snprintf(empty, sizeof empty, "%s/empty", b->tmp);
	if (mkdir(empty, 0755) < 0) {
		r = berth__err_sys(errno, "build: mkdir %s", empty);
		goto out;
	}
	r = run_build(out, b);
out:
	if (b->tmp[0])
		berth__rm_rf_quiet(b->tmp);
	if (b->tmp_fd >= 0)
		close(b->tmp_fd);
	berth__store_unlock(gc);
	for (size_t i = 0; i < b->nstages; i++)
		berth__bd_stage_free(&b->stages[i]);
	free(b->stages);
	berth__dockerfile_free(&b->df);
	berth__ignore_free(&b->ig);
	json_decref(b->global_args);
	json_decref(b->build_args);
	json_decref(b->used_args);
	free(text);
	free(ctxabs);
	res->exit_code = b->res.exit_code;
	res->steps_run = b->res.steps_run;
	res->steps_cached = b->res.steps_cached;
	free(b);
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth_build_image(berth_image **out, berth_build_result *result, berth_ctx *ctx, const char *context,
                                   const berth_build_options *opts)
{
	berth_build_result mine = BERTH_BUILD_RESULT_INIT;
	if (result && berth__check_version(result->version, BERTH_BUILD_RESULT_VERSION, "berth_build_result") < 0)
		return berth__err_prefix("build");
	berth_build_result *res = result ? result : &mine;
	res->exit_code = 0;
	res->steps_run = res->steps_cached = 0;
	return build_main(out, res, ctx, context, opts);
}

BERTH_EXTERN int berth_build(berth_image **out, berth_ctx *ctx, const char *context, berth_build_options *opts)
{
	berth_build_result res = BERTH_BUILD_RESULT_INIT;
	if (opts && berth__check_version(opts->version, BERTH_BUILD_OPTIONS_VERSION, "berth_build_options") < 0)
		return berth__err_prefix("build");
	int r = build_main(out, &res, ctx, context, opts);
	if (opts) { /* 0.1's outputs, in the caller's options (every version has them) */
		opts->exit_code = res.exit_code;
		opts->steps_run = res.steps_run;
		opts->steps_cached = res.steps_cached;
	}
	return r;
}
