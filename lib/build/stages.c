/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Stages: FROM (the base image or another stage), which stages a target
 * needs, and committing a stage as an image. */
#include "build/build_priv.h"

stage *berth__bd_find_stage(bctx *b, const char *name, size_t upto)
{
	char *end;
	long idx = strtol(name, &end, 10);
	if (*name && !*end && idx >= 0 && (size_t)idx < upto)
		return &b->stages[idx];
	for (size_t i = 0; i < upto; i++)
		if (b->stages[i].name && !strcasecmp(b->stages[i].name, name))
			return &b->stages[i];
	return NULL;
}

int berth__bd_open_image(berth_image **img, bctx *b, const char *ref, int pull_always, const char *platform)
{
	int r = pull_always ? BERTH_ENOTFOUND : berth_image_open(img, b->ctx, ref);
	if (r == BERTH_ENOTFOUND) {
		berth__bd_emit(b, BERTH_BUILD_INFO, "Pulling %s", ref);
		berth_pull_options po = BERTH_PULL_OPTIONS_INIT;
		po.platform = platform && *platform ? platform : b->o->platform;
		po.tls_verify = b->o->tls_verify;
		r = berth_image_pull(img, b->ctx, ref, &po);
	}
	return r;
}

int berth__bd_do_from(bctx *b, stage *s, const bd_instr *in, size_t si)
{
	look l = { b, NULL };
	char **w = NULL;
	size_t n = 0;
	int r = berth__bd_words(&w, &n, in->rest, b->df.escape, 1, berth__bd_lookup, &l);
	if (r < 0)
		return berth__err_prefix("%s:%d: FROM", b->dfname, in->line);
	if (n == 3 && !(s->name = berth__strdup(w[2]))) {
		free(w);
		return BERTH_ENOMEM;
	}
	if (s->name)
		for (char *p = s->name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	s->args = json_object();
	s->mlayers = json_array();
	const char *ref = w[0];
	if (!*ref) {
		free(w);
		return berth__err(BERTH_EINVAL, "%s:%d: FROM: the image name is empty (an unset build argument?)", b->dfname,
		                  in->line);
	}
	stage *prev = berth__bd_find_stage(b, ref, si);
	if (prev && prev->name && !strcasecmp(prev->name, ref)) {
		s->cfg = json_deep_copy(prev->cfg);
		json_decref(s->mlayers);
		s->mlayers = json_deep_copy(prev->mlayers);
		for (size_t i = 0; r == 0 && i < prev->ndirs; i++)
			r = berth__bd_stage_add_dir(s, prev->dirs[i]);
		memcpy(s->key, prev->key, 65);
		memcpy(s->entry, prev->entry, 65);
		memcpy(s->base, prev->base, sizeof s->base);
	} else if (!strcasecmp(ref, "scratch")) {
		const char *plat = b->o->platform;
		char arch[64] = "";
		if (plat && strchr(plat, '/'))
			snprintf(arch, sizeof arch, "%s", strchr(plat, '/') + 1);
		if (strchr(arch, '/'))
			*strchr(arch, '/') = '\0';
		s->cfg = json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture",
		                   arch[0] ? arch : berth__native_arch(), "os", "linux", "config", "rootfs", "type", "layers",
		                   "diff_ids", "history");
		berth__bd_sha_hex(s->key, "FROM scratch", arch, NULL);
	} else {
		berth_image *img = NULL;
		/* FROM --platform=...: what a pull asks for (build arguments expanded) */
		const char *pf = berth__bd_flag_value(in, "platform");
		char **pw = NULL;
		if (pf && (r = berth__bd_words(&pw, NULL, pf, b->df.escape, 0, berth__bd_lookup, &l)) < 0) {
			free(w);
			return berth__err_prefix("%s:%d: FROM --platform", b->dfname, in->line);
		}
		r = berth__bd_open_image(&img, b, ref, (b->o->flags & BERTH_BUILD_PULL) != 0, pw ? pw[0] : NULL);
		free(pw);
		if (r < 0) {
			berth__err_prefix("%s:%d: FROM %s", b->dfname, in->line, ref);
			free(w);
			return r;
		}
		char **dirs = NULL;
		if ((r = berth_image_layer_dirs(&dirs, img)) == 0) {
			for (size_t i = 0; r == 0 && dirs[i]; i++)
				r = berth__bd_stage_add_dir(s, dirs[i]);
			berth_free(dirs);
		}
		if (r == 0) {
			s->cfg = json_deep_copy(berth__image_config_json(img));
			json_decref(s->mlayers);
			s->mlayers = json_deep_copy(json_object_get(berth__image_manifest_json(img), "layers"));
			/* Docker media types stay as they were: a manifest may mix them */
			berth__bd_sha_hex(s->key, "FROM", berth_image_id(img), NULL);
			snprintf(s->base, sizeof s->base, "%s", berth_image_id(img));
		}
		berth_image_free(img);
		if (r < 0) {
			berth__err_prefix("%s:%d: FROM %s", b->dfname, in->line, ref);
			free(w);
			return r;
		}
	}
	free(w);
	if (!s->cfg || !s->mlayers)
		return berth__err_nomem();
	return 0;
}

/* A stage named by ref (a name; with by_index also a number) before stage
 * upto, or -1. names: the stages' AS names (lower case or NULL). */
static long stage_ref(char **names, size_t upto, const char *ref, int by_index)
{
	char *end;
	long idx = strtol(ref, &end, 10);
	if (by_index && *ref && !*end && idx >= 0 && (size_t)idx < upto)
		return idx;
	for (size_t i = 0; i < upto; i++)
		if (names[i] && !strcasecmp(names[i], ref))
			return (long)i;
	return -1;
}

/* Which stages the target needs, as BuildKit decides it: the target, the
 * stages its FROM and COPY --from name, and theirs, transitively; the others
 * are not built. FROM and --from are expanded with the global build
 * arguments (as do_from and do_copy do), so this runs once they are known.
 * A reference that cannot be expanded needs every stage before it. */
int berth__bd_needed_stages(bctx *b, size_t nst, size_t target, char *need)
{
	char **names = calloc(nst, sizeof *names);
	size_t *first = calloc(nst + 1, sizeof *first);
	int r = 0;
	if (!names || !first) {
		free(names);
		free(first);
		return berth__err_nomem();
	}
	size_t k = 0;
	for (size_t i = 0; i < b->df.n && k < nst; i++) {
		if (strcmp(b->df.v[i].cmd, "FROM"))
			continue;
		char **w = NULL;
		size_t n = 0;
		if (berth__bd_words(&w, &n, b->df.v[i].rest, b->df.escape, 1, NULL, NULL) == 0 && n == 3)
			names[k] = berth__strdup(w[2]);
		free(w);
		first[k++] = i;
	}
	first[nst] = b->df.n;
	memset(need, 0, nst);
	need[target] = 1;
	look l = { b, NULL };
	for (size_t st = target + 1; st-- > 0;) {
		if (!need[st])
			continue;
		for (size_t i = first[st]; i < first[st + 1]; i++) {
			const bd_instr *in = &b->df.v[i];
			int is_from = !strcmp(in->cmd, "FROM");
			const char *raw = is_from ? in->rest : !strcmp(in->cmd, "COPY") ? berth__bd_flag_value(in, "from") : NULL;
			if (!raw)
				continue;
			char **w = NULL;
			size_t n = 0;
			if (berth__bd_words(&w, &n, raw, b->df.escape, is_from, berth__bd_lookup, &l) < 0 || n == 0) {
				berth__err_ok();
				memset(need, 1, st); /* cannot tell: every stage before */
			} else {
				long dep = stage_ref(names, st, w[0], !is_from);
				if (dep >= 0)
					need[dep] = 1;
			}
			free(w);
		}
	}
	for (size_t i = 0; i < nst; i++)
		free(names[i]);
	free(names);
	free(first);
	return r;
}

int berth__bd_commit_image(berth_image **out, bctx *b, stage *s)
{
	int fr = BERTH_FAULT("build.image");
	if (fr < 0)
		return fr;
	json_t *cfg = s->cfg;
	if (!json_object_get(cfg, "created")) {
		char *now = berth__bd_now_str();
		json_object_set_new(cfg, "created", json_string(now ? now : ""));
		free(now);
	}
	if (!json_is_object(json_object_get(cfg, "rootfs")))
		json_object_set_new(cfg, "rootfs", json_pack("{s:s, s:[]}", "type", "layers", "diff_ids"));
	char *txt = json_dumps(cfg, JSON_COMPACT);
	if (!txt)
		return berth__err_nomem();
	char cdig[BERTH__DIGEST_LEN], mdig[BERTH__DIGEST_LEN];
	size_t csize = strlen(txt);
	int r = berth__config_check(cfg, "built image config");
	if (r == 0)
		r = berth__blob_put(&b->st, txt, csize, cdig);
	free(txt);
	if (r < 0)
		return r;
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
	                      BERTH__MT_OCI_MANIFEST, "config", "mediaType", BERTH__MT_OCI_CONFIG, "digest", cdig, "size",
	                      (json_int_t)csize, "layers", s->mlayers);
	if (!m)
		return berth__err_nomem();
	txt = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (!txt)
		return berth__err_nomem();
	json_int_t msize = (json_int_t)strlen(txt);
	r = berth__blob_put(&b->st, txt, strlen(txt), mdig);
	free(txt);
	if (r < 0)
		return r;
	int lk = berth__store_lock(&b->st, ".lock", LOCK_EX);
	if (lk < 0)
		return lk;
	json_t *index = NULL;
	if ((r = berth__index_load(&index, &b->st)) == 0) {
		int changed = 0;
		const char *const *t = b->o->tags;
		if (!t || !*t) {
			r = berth__index_set_ref(index, BERTH__MT_OCI_MANIFEST, mdig, msize, NULL);
			changed = r > 0;
		}
		for (; r >= 0 && t && *t; t++) {
			berth_ref *ref = NULL;
			if ((r = berth_ref_parse(&ref, *t)) < 0)
				break;
			r = berth__index_set_ref(index, BERTH__MT_OCI_MANIFEST, mdig, msize, berth_ref_string(ref));
			changed |= r > 0;
			berth_ref_free(ref);
		}
		if (r >= 0 && changed)
			r = berth__index_save(&b->st, index);
		json_decref(index);
	}
	berth__store_unlock(lk);
	if (r < 0)
		return r;
	berth_image *img = NULL;
	if ((r = berth__image_load(&img, b->ctx, mdig, msize)) < 0)
		return r;
	for (const char *const *t = b->o->tags; t && *t; t++)
		berth__bd_emit(b, BERTH_BUILD_INFO, "COMMIT %s", *t);
	berth__bd_emit(b, BERTH_BUILD_INFO, "%s", berth_image_id(img));
	if (out)
		*out = img;
	else
		berth_image_free(img);
	return 0;
}
