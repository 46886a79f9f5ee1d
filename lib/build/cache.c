/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The build cache (<root>/build-cache/<key>.json) and the layers and history
 * entries a step adds to its stage (meta steps, committed filesystem steps). */
#include "build/build_priv.h"

static int cache_path(char *buf, size_t len, bctx *b, const char *key)
{
	if (berth__path_build_cache(buf, len, b->st.root, key) < 0)
		return berth__err(BERTH_EINVAL, "build cache: path too long: %.100s...", buf);
	return 0;
}

/* A usable cache entry for key, or NULL. */
static json_t *cache_get(bctx *b, const char *key)
{
	if (b->o->flags & BERTH_BUILD_NO_CACHE)
		return NULL;
	char p[4200];
	if (cache_path(p, sizeof p, b, key) < 0)
		return NULL;
	berth__err_saved sv;
	berth__err_save(&sv);
	json_t *j = NULL;
	if (berth__json_load_file(&j, p, "build cache") < 0 || !json_is_object(j) ||
	    !json_is_string(json_object_get(j, "created"))) {
		json_decref(j);
		berth__err_restore(&sv);
		return NULL;
	}
	berth__err_restore(&sv);
	return j;
}

/* Records a step's result; entries also name their parent entry and the
 * base image, so that berth image prune can drop those whose layers or base
 * image are gone (berth__bd_cache_prune). */
static void cache_put(bctx *b, stage *s, const char *key, json_t *entry)
{
	if (s->entry[0])
		json_object_set_new(entry, "parent", json_string(s->entry));
	if (s->base[0])
		json_object_set_new(entry, "base", json_string(s->base));
	memcpy(s->entry, key, 65);
	char p[4200], dir[4200];
	berth__path_build_cache(dir, sizeof dir, b->st.root, NULL);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if (cache_path(p, sizeof p, b, key) < 0)
		return;
	berth__err_saved sv;
	berth__err_save(&sv);
	berth__json_save_file(entry, p); /* a cache that cannot be written is only slower */
	berth__err_restore(&sv);
}

static int add_history(stage *s, const char *created, const bd_instr *in, const char *shown, int empty)
{
	json_t *h = json_object_get(s->cfg, "history");
	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(s->cfg, "history", h);
	}
	json_t *e = json_pack("{s:s, s:s, s:s}", "created", created, "created_by", shown ? shown : in->text, "comment",
	                      "berth build");
	if (!e)
		return berth__err_nomem();
	if (empty)
		json_object_set_new(e, "empty_layer", json_true());
	json_array_append_new(h, e);
	json_object_set_new(s->cfg, "created", json_string(created));
	return 0;
}

static int layer_dir(char *buf, size_t len, bctx *b, stage *s, const char *diff_id, char *chain_out)
{
	/* the new layer's ChainID */
	json_t *ids = json_object_get(json_object_get(s->cfg, "rootfs"), "diff_ids");
	size_t n = json_array_size(ids);
	const char **v = calloc(n + 2, sizeof *v);
	char(*chain)[BERTH__DIGEST_LEN] = calloc(n + 1, sizeof *chain);
	int r = 0;
	if (!v || !chain)
		r = berth__err_nomem();
	for (size_t i = 0; r == 0 && i < n; i++)
		v[i] = json_string_value(json_array_get(ids, i));
	if (r == 0) {
		v[n] = diff_id;
		r = berth__chain_ids(chain, v, n + 1);
	}
	if (r == 0)
		r = berth__store_path(buf, len, "%s/%s", b->st.layers, chain[n] + 7);
	if (r == 0 && chain_out)
		memcpy(chain_out, chain[n], BERTH__DIGEST_LEN);
	free(v);
	free(chain);
	return r;
}

static int stage_add_layer(stage *s, const char *dir, const char *digest, const char *diff_id, json_int_t size)
{
	json_t *ids = json_object_get(json_object_get(s->cfg, "rootfs"), "diff_ids");
	if (!json_is_array(ids)) {
		json_t *rf = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(s->cfg, "rootfs", rf);
		ids = json_object_get(rf, "diff_ids");
	}
	json_array_append_new(ids, json_string(diff_id));
	json_array_append_new(s->mlayers, json_pack("{s:s, s:s, s:I}", "mediaType", BERTH__MT_OCI_LAYER_GZIP, "digest",
	                                            digest, "size", size));
	return berth__bd_stage_add_dir(s, dir);
}

/* A cached step: its layer (if any) must still be in the store. 1 when used. */
int berth__bd_use_cache(bctx *b, stage *s, const bd_instr *in, const char *key, const char *shown)
{
	json_t *c = cache_get(b, key);
	if (!c)
		return 0;
	const char *created = json_string_value(json_object_get(c, "created"));
	json_t *layer = json_object_get(c, "layer");
	int r = 1;
	if (json_is_object(layer)) {
		const char *digest = json_string_value(json_object_get(layer, "digest"));
		const char *diff = json_string_value(json_object_get(layer, "diff_id"));
		json_int_t size = json_integer_value(json_object_get(layer, "size"));
		char dir[4200], blob[4200];
		struct stat st;
		if (!berth__digest_valid(digest) || !berth__digest_valid(diff) || layer_dir(dir, sizeof dir, b, s, diff, NULL) < 0 ||
		    stat(dir, &st) < 0 || berth__blob_path(blob, sizeof blob, &b->st, digest) < 0 || stat(blob, &st) < 0 ||
		    st.st_size != size)
			r = 0;
		else if (stage_add_layer(s, dir, digest, diff, size) < 0 || add_history(s, created, in, shown, 0) < 0)
			r = -1;
		if (r == 1)
			berth__bd_emit(b, BERTH_BUILD_CACHED, "--> Using cache %.19s", digest + 7);
	} else {
		if (add_history(s, created, in, shown, 1) < 0)
			r = -1;
		else
			berth__bd_emit(b, BERTH_BUILD_CACHED, "--> Using cache %.12s", key);
	}
	json_decref(c);
	if (r == 1) {
		memcpy(s->key, key, 65);
		memcpy(s->entry, key, 65);
		b->res.steps_cached++;
	}
	return r;
}

/* A metadata-only step (config change done by the caller): history + cache. */
int berth__bd_meta_step(bctx *b, stage *s, const bd_instr *in, const char *norm)
{
	char key[65];
	berth__bd_sha_hex(key, s->key, norm, NULL);
	json_t *c = cache_get(b, key);
	char *created = NULL;
	int hit = c && !json_object_get(c, "layer");
	if (hit) {
		created = berth__strdup(json_string_value(json_object_get(c, "created")));
		b->res.steps_cached++;
		berth__bd_emit(b, BERTH_BUILD_CACHED, "--> Using cache %.12s", key);
	} else
		created = berth__bd_now_str();
	json_decref(c);
	if (!created)
		return BERTH_ENOMEM;
	int r = add_history(s, created, in, NULL, 1);
	if (r == 0) {
		json_t *e = json_pack("{s:s}", "created", created);
		if (e)
			cache_put(b, s, key, e);
		json_decref(e);
		memcpy(s->key, key, 65);
	}
	free(created);
	return r;
}

/* The step's directories: <tmp>/step-N/{upper,work}. */
int berth__bd_step_dirs(bctx *b, char *dir, char *upper, char *work, size_t len)
{
	snprintf(dir, len, "%s/step-%u", b->tmp, ++b->stepdir);
	snprintf(upper, len, "%s/upper", dir);
	snprintf(work, len, "%s/work", dir);
	if (mkdir(dir, 0755) < 0 || mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0)
		return berth__err_sys(errno, "build: create %s", dir);
	return 0;
}

/* After a step ran: its upper dir becomes a layer (or nothing changed). */
int berth__bd_commit_step(bctx *b, stage *s, const bd_instr *in, const char *key, const char *dir,
                          const char *upper, const char *shown)
{
	bd_layer l;
	char what[600];
	snprintf(what, sizeof what, "%s:%d: %s: layer", b->dfname, in->line, in->cmd);
	int r = BERTH_FAULT("build.step.commit");
	if (r < 0 || (r = berth__bd_layer_write(&l, &b->st, upper, what)) < 0)
		return r;
	char *created = berth__bd_now_str();
	if (!created)
		return BERTH_ENOMEM;
	json_t *entry = json_pack("{s:s}", "created", created);
	if (!entry) {
		free(created);
		return berth__err_nomem();
	}
	if (l.empty) {
		r = add_history(s, created, in, shown, 1);
	} else {
		char ldir[4200], chain[BERTH__DIGEST_LEN];
		if ((r = layer_dir(ldir, sizeof ldir, b, s, l.diff_id, chain)) == 0)
			r = berth__layer_install(&b->st, upper, chain);
		if (r == 0)
			r = stage_add_layer(s, ldir, l.digest, l.diff_id, (json_int_t)l.size);
		if (r == 0)
			r = add_history(s, created, in, shown, 0);
		if (r == 0) {
			json_object_set_new(entry, "layer", json_pack("{s:s, s:s, s:I, s:s}", "digest", l.digest, "diff_id",
			                                              l.diff_id, "size", (json_int_t)l.size, "chain", chain));
			berth__bd_emit(b, BERTH_BUILD_INFO, "--> %.19s", l.digest + 7);
		}
	}
	if (r == 0) {
		cache_put(b, s, key, entry);
		memcpy(s->key, key, 65);
	}
	json_decref(entry);
	free(created);
	berth__rm_rf_quiet(dir);
	return r;
}
