/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The image store's public API (include/berth/image.h, "the image store"):
 * open, inspect, config, layer directories, list, tags, tag, remove, prune.
 * Import is in store_import.c; the layout in store_fs.c. */
#include "image/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct berth_image {
	berth_ctx *ctx; /* borrowed: must outlive the handle */
	berth__store st;
	char id[BERTH__DIGEST_LEN];       /* the config digest */
	char manifest[BERTH__DIGEST_LEN]; /* the manifest digest */
	json_t *mjson, *cjson;
	size_t nlayers;
	char (*chain)[BERTH__DIGEST_LEN]; /* ChainIDs, nlayers of them */
};

/* --- loading an image --- */

int berth__image_load(berth_image **out, berth_ctx *ctx, const char *manifest_digest, int64_t size)
{
	berth_image *img = calloc(1, sizeof *img);
	if (!img)
		return berth__err_nomem();
	int r = berth__store_init(&img->st, ctx);
	char what[128];
	snprintf(what, sizeof what, "image manifest %.19s", manifest_digest);
	if (r == 0)
		r = berth__blob_read_json(&img->mjson, &img->st, manifest_digest, size, what);
	if (r == 0)
		r = berth__manifest_check(img->mjson, what);
	const json_t *cd = json_object_get(img->mjson, "config");
	if (r == 0) {
		snprintf(what, sizeof what, "image %.19s: config", json_string_value(json_object_get(cd, "digest")));
		r = berth__blob_read_json(&img->cjson, &img->st, json_string_value(json_object_get(cd, "digest")),
			json_integer_value(json_object_get(cd, "size")), what);
	}
	if (r == 0) {
		snprintf(what, sizeof what, "image %.19s", json_string_value(json_object_get(cd, "digest")));
		r = berth__image_check(img->mjson, img->cjson, what);
	}
	if (r == 0) {
		img->ctx = ctx;
		snprintf(img->id, sizeof img->id, "%s", json_string_value(json_object_get(cd, "digest")));
		snprintf(img->manifest, sizeof img->manifest, "%s", manifest_digest);
		const json_t *ids = json_object_get(json_object_get(img->cjson, "rootfs"), "diff_ids");
		img->nlayers = json_array_size(ids);
		const char **v = calloc(img->nlayers + 1, sizeof *v);
		img->chain = calloc(img->nlayers + 1, sizeof *img->chain);
		if (!v || !img->chain)
			r = berth__err_nomem();
		for (size_t i = 0; r == 0 && i < img->nlayers; i++)
			v[i] = json_string_value(json_array_get(ids, i));
		if (r == 0)
			r = berth__chain_ids(img->chain, v, img->nlayers);
		free(v);
	}
	if (r < 0) {
		berth_image_free(img);
		return r;
	}
	*out = img;
	return 0;
}

BERTH_EXTERN void berth_image_free(berth_image *img)
{
	if (!img)
		return;
	json_decref(img->mjson);
	json_decref(img->cjson);
	free(img->chain);
	free(img);
}

BERTH_EXTERN const char *berth_image_id(const berth_image *img) { return img ? img->id : NULL; }
const json_t *berth__image_manifest_json(const berth_image *img) { return img->mjson; }
const json_t *berth__image_config_json(const berth_image *img) { return img->cjson; }
const json_t *berth__image_manifest(const berth_image *img) { return img->mjson; }
const char *berth__image_manifest_digest(const berth_image *img) { return img->manifest; }
const berth__store *berth__image_store(const berth_image *img) { return &img->st; }

int berth__index_tag(const berth__store *s, const char *media_type, const char *digest, int64_t size, const char *ref)
{
	int lk = berth__store_lock(s, ".lock", LOCK_EX);
	if (lk < 0)
		return lk;
	json_t *index = NULL;
	int r = berth__index_load(&index, s);
	if (r == 0) {
		r = berth__index_set_ref(index, media_type, digest, (json_int_t)size, ref);
		if (r > 0)
			r = berth__index_save(s, index);
		json_decref(index);
	}
	berth__store_unlock(lk);
	return r < 0 ? r : 0;
}

/* --- index.json as a list of (manifest, ref, image id) --- */

typedef struct entry {
	json_t *desc;       /* borrowed from the index */
	const char *digest; /* the manifest */
	const char *ref;    /* the ref.name annotation, or NULL */
	char id[BERTH__DIGEST_LEN]; /* its config digest; "" when not an image manifest or unreadable */
} entry;

typedef struct view {
	json_t *index;
	entry *e;
	size_t n;
} view;

static void view_free(view *v)
{
	json_decref(v->index);
	free(v->e);
	memset(v, 0, sizeof *v);
}

static int is_manifest_type(const char *mt)
{
	return mt && (!strcmp(mt, BERTH__MT_OCI_MANIFEST) || !strcmp(mt, BERTH__MT_DOCKER_MANIFEST));
}

/* The config digest of a manifest blob, "" if unreadable. */
static void manifest_config(char id[BERTH__DIGEST_LEN], const berth__store *s, const char *digest, int64_t size)
{
	json_t *m = NULL;
	id[0] = '\0';
	berth__err_saved sv;
	berth__err_save(&sv);
	if (berth__blob_read_json(&m, s, digest, size, "manifest") == 0 && berth__manifest_check(m, "manifest") == 0)
		snprintf(id, BERTH__DIGEST_LEN, "%s", json_string_value(json_object_get(json_object_get(m, "config"), "digest")));
	json_decref(m);
	berth__err_restore(&sv);
}

static int view_load(view *v, const berth__store *s)
{
	memset(v, 0, sizeof *v);
	int r = berth__index_load(&v->index, s);
	if (r < 0)
		return r;
	json_t *ms = json_object_get(v->index, "manifests");
	v->n = json_array_size(ms);
	v->e = calloc(v->n + 1, sizeof *v->e);
	if (!v->e) {
		view_free(v);
		return berth__err_nomem();
	}
	for (size_t i = 0; i < v->n; i++) {
		entry *e = &v->e[i];
		e->desc = json_array_get(ms, i);
		e->digest = json_string_value(json_object_get(e->desc, "digest"));
		e->ref = json_string_value(json_object_get(json_object_get(e->desc, "annotations"), BERTH__ANN_REF_NAME));
		if (!is_manifest_type(json_string_value(json_object_get(e->desc, "mediaType"))))
			continue;
		size_t j = 0;
		for (; j < i; j++) /* the same manifest under another ref */
			if (!strcmp(v->e[j].digest, e->digest))
				break;
		if (j < i)
			memcpy(e->id, v->e[j].id, sizeof e->id);
		else
			manifest_config(e->id, s, e->digest, json_integer_value(json_object_get(e->desc, "size")));
	}
	return 0;
}

static int all_hex(const char *s, size_t *len)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	*len = i;
	return i > 0;
}

enum { BY_ID, BY_REF };

/* Finds name: a full id (with or without "sha256:"), a reference (the
 * annotation as written, then its normalised form), or a unique id prefix.
 * *at: an entry of the image (for BY_REF: the one with that ref). */
static int resolve(const view *v, const char *name, int *kind, size_t *at)
{
	if (!name || !*name)
		return berth__err(BERTH_EINVAL, "image name: must not be empty");
	const char *h = strncmp(name, "sha256:", 7) ? name : name + 7;
	size_t hl = 0;
	int hex = all_hex(h, &hl);
	if (hex && hl == 64) {
		for (size_t i = 0; i < v->n; i++)
			if (v->e[i].id[0] && !strcmp(v->e[i].id + 7, h)) {
				*kind = BY_ID;
				*at = i;
				return 0;
			}
		return berth__err(BERTH_ENOTFOUND, "image sha256:%s: not found", h);
	}
	int perr = 0;
	if (h == name) {
		for (size_t i = 0; i < v->n; i++)
			if (v->e[i].ref && !strcmp(v->e[i].ref, name)) {
				*kind = BY_REF;
				*at = i;
				return 0;
			}
		berth_ref *ref = NULL;
		perr = berth_ref_parse(&ref, name);
		if (perr == 0) {
			const char *full = berth_ref_string(ref);
			for (size_t i = 0; i < v->n; i++)
				if (v->e[i].ref && !strcmp(v->e[i].ref, full)) {
					*kind = BY_REF;
					*at = i;
					berth_ref_free(ref);
					return 0;
				}
			berth_ref_free(ref);
		}
	}
	if (hex) {
		size_t found = v->n, count = 0;
		for (size_t i = 0; i < v->n; i++) {
			if (!v->e[i].id[0] || strncmp(v->e[i].id + 7, h, hl))
				continue;
			if (found == v->n) {
				found = i;
				count = 1;
			} else if (strcmp(v->e[found].id, v->e[i].id)) {
				count++;
			}
		}
		if (count > 1)
			return berth__err(BERTH_EINVAL, "image '%s': ambiguous id prefix (%zu images match)", name, count);
		if (count == 1) {
			*kind = BY_ID;
			*at = found;
			return 0;
		}
	}
	if (perr < 0 && !hex)
		return berth__err_prefix("image");
	return berth__err(BERTH_ENOTFOUND, "image '%s': not found", name);
}

static int open_in(berth_image **out, berth_ctx *ctx, const view *v, size_t at)
{
	const entry *e = &v->e[at];
	if (!is_manifest_type(json_string_value(json_object_get(e->desc, "mediaType"))))
		return berth__err(BERTH_EUNSUPPORTED, "image %s: %s is a %s, not an image manifest",
			e->ref ? e->ref : e->digest, e->digest, json_string_value(json_object_get(e->desc, "mediaType")));
	return berth__image_load(out, ctx, e->digest, json_integer_value(json_object_get(e->desc, "size")));
}

/* Reading: index.json under a shared lock (a prune cannot remove blobs of
 * the index being read). A store never written reads as empty. */
static int read_view(view *v, berth__store *s)
{
	if (!berth__store_exists(s))
		return view_load(v, s); /* an empty index */
	int lk = berth__store_lock(s, ".lock", LOCK_SH);
	if (lk < 0)
		return lk;
	int r = view_load(v, s);
	berth__store_unlock(lk);
	return r;
}

BERTH_EXTERN int berth_image_open(berth_image **out, berth_ctx *ctx, const char *name)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "image open: out is required");
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	view v;
	if ((r = read_view(&v, &s)) < 0)
		return r;
	int kind;
	size_t at;
	berth_image *img = NULL;
	if ((r = resolve(&v, name, &kind, &at)) == 0)
		r = open_in(&img, ctx, &v, at);
	view_free(&v);
	if (r < 0)
		return r;
	*out = img;
	berth__err_ok();
	return 0;
}

/* --- what an image says --- */

static int tags_of(char ***out, const berth_image *img, int familiar_split, json_t *tags, json_t *digests)
{
	view v;
	int r = read_view(&v, (berth__store *)&img->st);
	if (r < 0)
		return r;
	char **refs = calloc(v.n + 1, sizeof *refs);
	size_t n = 0;
	if (!refs) {
		view_free(&v);
		return berth__err_nomem();
	}
	for (size_t i = 0; i < v.n; i++) {
		if (!v.e[i].ref || strcmp(v.e[i].id, img->id))
			continue;
		size_t j = 0;
		for (; j < n && strcmp(refs[j], v.e[i].ref); j++)
			;
		if (j < n)
			continue;
		refs[n++] = (char *)v.e[i].ref;
		if (!familiar_split)
			continue;
		berth_ref *ref = NULL;
		/* the familiar form of refs berth wrote (normalised); others as written */
		if (berth_ref_parse(&ref, v.e[i].ref) == 0 && !strcmp(berth_ref_string(ref), v.e[i].ref)) {
			json_array_append_new(berth_ref_digest(ref) ? digests : tags, json_string(berth_ref_familiar(ref)));
			berth_ref_free(ref);
		} else {
			berth_ref_free(ref);
			json_array_append_new(tags, json_string(v.e[i].ref)); /* written by another tool */
		}
	}
	r = 0;
	if (out) {
		char **packed = berth__strv_pack(refs, n);
		if (!packed)
			r = BERTH_ENOMEM;
		else
			*out = packed;
	}
	free(refs);
	view_free(&v);
	return r;
}

BERTH_EXTERN int berth_image_tags(char ***out, berth_image *img)
{
	if (!out || !img)
		return berth__err(BERTH_EINVAL, "image tags: out and image are required");
	int r = tags_of(out, img, 0, NULL, NULL);
	if (r == 0)
		berth__err_ok();
	return r;
}

static json_t *copy_or(const json_t *v, json_t *dflt)
{
	if (v && !json_is_null(v)) {
		json_decref(dflt);
		return json_deep_copy(v);
	}
	return dflt;
}

BERTH_EXTERN int berth_image_inspect(char **out, berth_image *img)
{
	if (!out || !img)
		return berth__err(BERTH_EINVAL, "image inspect: out and image are required");
	json_t *tags = json_array(), *digests = json_array(), *o = json_object();
	int r = (tags && digests && o) ? 0 : berth__err_nomem();
	if (r == 0)
		r = tags_of(NULL, img, 1, tags, digests);
	if (r < 0) {
		json_decref(tags);
		json_decref(digests);
		json_decref(o);
		return r;
	}
	const json_t *c = img->cjson, *cc = json_object_get(c, "config");
	json_int_t size = 0;
	size_t i;
	const json_t *l;
	json_array_foreach(json_object_get(img->mjson, "layers"), i, l)
		size += json_integer_value(json_object_get(l, "size"));
	json_t *config = json_object();
	static const char *const strs[] = { "WorkingDir", "User", "StopSignal" };
	static const char *const others[] = { "Env", "Cmd", "Entrypoint", "ExposedPorts", "Volumes", "Labels" };
	for (i = 0; config && i < BERTH_ARRAY_SIZE(others); i++)
		json_object_set_new(config, others[i], copy_or(json_object_get(cc, others[i]), json_null()));
	for (i = 0; config && i < BERTH_ARRAY_SIZE(strs); i++)
		json_object_set_new(config, strs[i], copy_or(json_object_get(cc, strs[i]), json_string("")));
	json_object_set_new(o, "Id", json_string(img->id));
	json_object_set_new(o, "RepoTags", tags);
	json_object_set_new(o, "RepoDigests", digests);
	json_object_set_new(o, "Created", copy_or(json_object_get(c, "created"), json_string("")));
	json_object_set_new(o, "Architecture", json_deep_copy(json_object_get(c, "architecture")));
	if (json_object_get(c, "variant"))
		json_object_set_new(o, "Variant", json_deep_copy(json_object_get(c, "variant")));
	json_object_set_new(o, "Os", json_deep_copy(json_object_get(c, "os")));
	json_object_set_new(o, "Size", json_integer(size));
	json_object_set_new(o, "Config", config);
	json_object_set_new(o, "RootFS",
		json_pack("{s:s, s:O}", "Type", "layers", "Layers", json_object_get(json_object_get(c, "rootfs"), "diff_ids")));
	json_object_set_new(o, "History", copy_or(json_object_get(c, "history"), json_array()));
	json_object_set_new(o, "Manifest", json_string(img->manifest));
	char *s = berth__json_dump(o, 1);
	json_decref(o);
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_image_config(char **out, berth_image *img)
{
	if (!out || !img)
		return berth__err(BERTH_EINVAL, "image config: out and image are required");
	const json_t *cc = json_object_get(img->cjson, "config");
	char *s = json_is_object(cc) ? berth__json_dump(cc, 0) : berth__strdup("{}");
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	berth__err_ok();
	return 0;
}

/* --- layer directories --- */

/* Unpacks layer i from its blob into <root>/layers/<chain>. */
static int unpack_layer(berth_image *img, size_t i, const char *dst)
{
	const json_t *d = json_array_get(json_object_get(img->mjson, "layers"), i);
	const char *mt = json_string_value(json_object_get(d, "mediaType"));
	const char *digest = json_string_value(json_object_get(d, "digest"));
	const char *diff = json_string_value(json_array_get(json_object_get(json_object_get(img->cjson, "rootfs"), "diff_ids"), i));
	json_int_t size = json_integer_value(json_object_get(d, "size"));
	char what[200];
	snprintf(what, sizeof what, "image %.19s: layer %zu (%.19s)", img->id, i, digest);
	if (!berth__layer_media_type_ok(mt))
		return berth__err(BERTH_EUNSUPPORTED, "%s: media type '%.100s' cannot be unpacked", what, mt);
	int r = berth__store_ensure(&img->st);
	if (r < 0)
		return r;
	char blob[4200], tmp[4200];
	if ((r = berth__blob_path(blob, sizeof blob, &img->st, digest)) < 0)
		return r;
	int gc = berth__store_lock(&img->st, ".gc.lock", LOCK_SH);
	if (gc < 0)
		return gc;
	int fd = -1, dfd = -1;
	tmp[0] = '\0';
	if (access(dst, F_OK) == 0)
		goto out; /* unpacked meanwhile */
	fd = open(blob, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = errno == ENOENT ? berth__err(BERTH_ENOTFOUND, "%s: blob %s is missing from the store", what, digest)
		                    : berth__err_sys(errno, "%s: open %s", what, blob);
		goto out;
	}
	if ((dfd = berth__layer_tmpdir(tmp, sizeof tmp, &img->st)) < 0) {
		r = dfd;
		tmp[0] = '\0';
		goto out;
	}
	berth__layer_result res;
	if ((r = berth__layer_stream(&res, dfd, fd, -1, what)) < 0)
		goto out;
	if (strcmp(res.blob_hex, digest + 7) || res.blob_size != (uint64_t)size) {
		r = berth__err(BERTH_EDIGEST, "%s: the blob is corrupt: %llu bytes hashing to sha256:%s, expected %lld bytes",
			what, (unsigned long long)res.blob_size, res.blob_hex, (long long)size);
		goto out;
	}
	if (strcmp(res.diff_hex, diff + 7)) {
		r = berth__err(BERTH_EDIGEST, "%s: its tar stream hashes to sha256:%s, the config's diff_id is %s", what,
			res.diff_hex, diff);
		goto out;
	}
	r = berth__layer_install(&img->st, tmp, img->chain[i]);
	tmp[0] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		berth__rm_rf_quiet(tmp);
	if (dfd >= 0)
		close(dfd); /* the temp dir's lock: after its rename or removal */
	berth__store_unlock(gc);
	return r;
}

BERTH_EXTERN int berth_image_layer_dirs(char ***out, berth_image *img)
{
	if (!out || !img)
		return berth__err(BERTH_EINVAL, "image layer dirs: out and image are required");
	char **dirs = calloc(img->nlayers + 1, sizeof *dirs);
	if (!dirs)
		return berth__err_nomem();
	int r = 0;
	for (size_t i = 0; r == 0 && i < img->nlayers; i++) {
		dirs[i] = berth__sprintf("%s/%s", img->st.layers, img->chain[i] + 7);
		if (!dirs[i]) {
			r = BERTH_ENOMEM;
			break;
		}
		struct stat st;
		if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		r = unpack_layer(img, i, dirs[i]);
	}
	char **packed = r == 0 ? berth__strv_pack(dirs, img->nlayers) : NULL;
	for (size_t i = 0; i < img->nlayers; i++)
		free(dirs[i]);
	free(dirs);
	if (r < 0)
		return r;
	if (!packed)
		return BERTH_ENOMEM;
	*out = packed;
	berth__err_ok();
	return 0;
}

/* --- the store --- */

BERTH_EXTERN int berth_image_list(char ***out, berth_ctx *ctx)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "image list: out is required");
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	berth__store_sweep(&s); /* temp entries of killed writers */
	view v;
	if ((r = read_view(&v, &s)) < 0)
		return r;
	char **ids = calloc(v.n + 1, sizeof *ids);
	size_t n = 0;
	if (!ids) {
		view_free(&v);
		return berth__err_nomem();
	}
	for (size_t i = 0; i < v.n; i++) {
		if (!v.e[i].id[0])
			continue;
		size_t j = 0;
		for (; j < n && strcmp(ids[j], v.e[i].id); j++)
			;
		if (j == n)
			ids[n++] = v.e[i].id;
	}
	char **packed = berth__strv_pack(ids, n);
	free(ids);
	view_free(&v);
	if (!packed)
		return BERTH_ENOMEM;
	*out = packed;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_image_tag(berth_ctx *ctx, const char *src, const char *dst)
{
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	berth_ref *ref = NULL;
	if (!dst)
		return berth__err(BERTH_EINVAL, "image tag: a target reference is required");
	if ((r = berth_ref_parse(&ref, dst)) < 0)
		return berth__err_prefix("image tag");
	if (berth_ref_digest(ref)) {
		berth_ref_free(ref);
		return berth__err(BERTH_EINVAL, "image tag %s: a tag cannot contain a digest", dst);
	}
	if (!berth__store_exists(&s)) {
		berth_ref_free(ref);
		return berth__err(BERTH_ENOTFOUND, "image '%s': not found", src ? src : "");
	}
	int lk = berth__store_lock(&s, ".lock", LOCK_EX);
	if (lk < 0) {
		berth_ref_free(ref);
		return lk;
	}
	view v;
	int kind;
	size_t at;
	if ((r = view_load(&v, &s)) == 0) {
		if ((r = resolve(&v, src, &kind, &at)) == 0 &&
		    !is_manifest_type(json_string_value(json_object_get(v.e[at].desc, "mediaType"))))
			r = berth__err(BERTH_EUNSUPPORTED, "image tag %s: not an image manifest", src);
		if (r == 0) {
			json_t *d = v.e[at].desc;
			/* the entry's strings live in the index being edited: copy them */
			char mt[256], digest[BERTH__DIGEST_LEN];
			snprintf(mt, sizeof mt, "%s", json_string_value(json_object_get(d, "mediaType")));
			snprintf(digest, sizeof digest, "%s", v.e[at].digest);
			json_int_t size = json_integer_value(json_object_get(d, "size"));
			r = berth__index_set_ref(v.index, mt, digest, size, berth_ref_string(ref));
			if (r > 0)
				r = berth__index_save(&s, v.index);
		}
		view_free(&v);
	}
	berth__store_unlock(lk);
	berth_ref_free(ref);
	if (r < 0)
		return r;
	berth__err_ok();
	return 0;
}

/* The first container whose config.json says it uses image id, into who. */
static int used_by(char *who, size_t len, const berth__store *s, const char *id)
{
	char p[4200];
	berth__path_container(p, sizeof p, s->root, NULL, NULL);
	DIR *d = opendir(p);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	berth__err_saved sv;
	berth__err_save(&sv);
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char cp[4400];
		snprintf(cp, sizeof cp, "%s/%s/config.json", p, de->d_name);
		json_t *j = NULL;
		if (berth__json_load_file(&j, cp, "container config") < 0)
			continue; /* being created or deleted */
		/* the "berth" object of config.json (lib/spec/ext.h); a container of
		 * berth 0.1 named it in the annotation io.berth.image */
		const char *img = json_string_value(json_object_get(json_object_get(j, "berth"), "image"));
		if (!img)
			img = json_string_value(json_object_get(json_object_get(j, "annotations"), "io.berth.image"));
		if (img && (!strcmp(img, id) || !strcmp(img, id + 7))) {
			snprintf(who, len, "%s", de->d_name);
			found = 1;
		}
		json_decref(j);
	}
	closedir(d);
	berth__err_restore(&sv);
	return found;
}

BERTH_EXTERN int berth_image_remove(berth_ctx *ctx, const char *name, unsigned int flags)
{
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	if (flags & ~(unsigned)BERTH_IMAGE_REMOVE_FORCE)
		return berth__err(BERTH_EINVAL, "image remove: unknown flags 0x%x", flags);
	if (!berth__store_exists(&s)) {
		view v;
		if ((r = read_view(&v, &s)) == 0) {
			int kind;
			size_t at;
			r = resolve(&v, name, &kind, &at); /* not found (or a bad name) */
			view_free(&v);
		}
		return r;
	}
	int lk = berth__store_lock(&s, ".lock", LOCK_EX);
	if (lk < 0)
		return lk;
	view v;
	int kind;
	size_t at;
	if ((r = view_load(&v, &s)) < 0)
		goto unlock;
	if ((r = resolve(&v, name, &kind, &at)) < 0)
		goto out;
	char id[BERTH__DIGEST_LEN], ref[1024] = "";
	snprintf(id, sizeof id, "%s", v.e[at].id);
	if (kind == BY_REF)
		snprintf(ref, sizeof ref, "%s", v.e[at].ref);
	/* what goes: the image's entries (by id) or those of the ref */
	int *gone = calloc(v.n + 1, sizeof *gone);
	if (!gone) {
		r = berth__err_nomem();
		goto out;
	}
	int remains = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (kind == BY_ID)
			gone[i] = id[0] && !strcmp(v.e[i].id, id);
		else
			gone[i] = v.e[i].ref && !strcmp(v.e[i].ref, ref);
		if (!gone[i] && (id[0] ? !strcmp(v.e[i].id, id) : !strcmp(v.e[i].digest, v.e[at].digest)))
			remains = 1;
	}
	char who[256];
	if (!remains && id[0] && !(flags & BERTH_IMAGE_REMOVE_FORCE) && used_by(who, sizeof who, &s, id)) {
		r = berth__err(BERTH_EBUSY, "image %s is used by container %s", kind == BY_REF ? ref : id, who);
		free(gone);
		goto out;
	}
	json_t *ms = json_object_get(v.index, "manifests");
	for (size_t i = v.n; i-- > 0;)
		if (gone[i])
			json_array_remove(ms, i);
	free(gone);
	/* v.e now points into removed descriptors: only the index is used below */
	r = berth__index_save(&s, v.index);
out:
	view_free(&v);
unlock:
	berth__store_unlock(lk);
	if (r < 0)
		return r;
	berth__err_ok();
	return 0;
}

/* --- prune --- */

typedef struct strset {
	char (*v)[65];
	size_t n, cap;
} strset;

static int set_add(strset *s, const char *digest)
{
	if (!berth__digest_valid(digest))
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], digest + 7))
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		void *nv = realloc(s->v, cap * sizeof *s->v);
		if (!nv)
			return berth__err_nomem();
		s->v = nv;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], 65, "%s", digest + 7);
	return 0;
}

static int set_has(const strset *s, const char *hex)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], hex))
			return 1;
	return 0;
}

/* Marks what a descriptor keeps alive: the blob; for a manifest its config
 * and layers and (from the config) the ChainIDs; for an index its manifests.
 * *unsure is set when something could not be read (layers are then kept). */
static int mark(const berth__store *s, const json_t *desc, strset *blobs, strset *chains, int depth, int *unsure)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	int r = set_add(blobs, digest);
	if (r < 0 || depth > 8 || !mt)
		return r;
	int is_index = !strcmp(mt, BERTH__MT_OCI_INDEX) || !strcmp(mt, BERTH__MT_DOCKER_LIST);
	if (!is_index && !is_manifest_type(mt))
		return 0;
	json_t *j = NULL;
	berth__err_saved sv;
	berth__err_save(&sv);
	if (berth__blob_read_json(&j, s, digest, -1, "prune") < 0) {
		berth__err_restore(&sv);
		*unsure = 1;
		return 0;
	}
	berth__err_restore(&sv);
	size_t i;
	const json_t *d;
	if (is_index) {
		json_array_foreach(json_object_get(j, "manifests"), i, d)
			if (r == 0 && json_is_object(d))
				r = mark(s, d, blobs, chains, depth + 1, unsure);
		json_decref(j);
		return r;
	}
	const json_t *cfg = json_object_get(j, "config");
	r = set_add(blobs, json_string_value(json_object_get(cfg, "digest")));
	json_array_foreach(json_object_get(j, "layers"), i, d)
		if (r == 0)
			r = set_add(blobs, json_string_value(json_object_get(d, "digest")));
	json_t *c = NULL;
	berth__err_save(&sv);
	if (r == 0 && berth__blob_read_json(&c, s, json_string_value(json_object_get(cfg, "digest")), -1, "prune") == 0 &&
	    berth__config_check(c, "prune") == 0) {
		const json_t *ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
		size_t n = json_array_size(ids);
		const char **v = calloc(n + 1, sizeof *v);
		char (*ch)[BERTH__DIGEST_LEN] = calloc(n + 1, sizeof *ch);
		if (v && ch) {
			for (i = 0; i < n; i++)
				v[i] = json_string_value(json_array_get(ids, i));
			if (berth__chain_ids(ch, v, n) == 0)
				for (i = 0; r == 0 && i < n; i++)
					r = set_add(chains, ch[i]);
			else
				*unsure = 1;
		} else {
			*unsure = 1;
		}
		free(v);
		free(ch);
	} else if (r == 0) {
		*unsure = 1;
	}
	berth__err_restore(&sv);
	json_decref(c);
	json_decref(j);
	return r;
}

/* Bytes of the regular files below dfd/name (not crossing mounts). */
static uint64_t tree_bytes(int dfd, const char *name, dev_t dev, int depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	if (depth > 256)
		return 0;
	DIR *d = berth__fdopendir(openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!d)
		return 0;
	int fd = dirfd(d);
	uint64_t sum = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sum += tree_bytes(fd, de->d_name, dev, depth + 1);
	closedir(d);
	return sum;
}

static int remove_counted(const char *dir, const char *name, uint64_t *bytes)
{
	char p[4400];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	struct stat st;
	if (lstat(p, &st) < 0)
		return 0;
	uint64_t b = tree_bytes(AT_FDCWD, p, st.st_dev, 0);
	int r = berth__rm_rf(p);
	if (r == 0)
		*bytes += b;
	return r;
}

static int is_hex64(const char *s)
{
	size_t n;
	return all_hex(s, &n) && n == 64;
}

BERTH_EXTERN int berth_image_prune(uint64_t *out_bytes, berth_ctx *ctx)
{
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	if (!berth__store_exists(&s)) {
		if (out_bytes)
			*out_bytes = 0;
		berth__err_ok();
		return 0;
	}
	/* no import or unpack is running while we hold the gc lock, and the
	 * index cannot change while we hold its lock */
	int gc = berth__store_lock(&s, ".gc.lock", LOCK_EX);
	if (gc < 0)
		return gc;
	int lk = berth__store_lock(&s, ".lock", LOCK_EX);
	if (lk < 0) {
		berth__store_unlock(gc);
		return lk;
	}
	json_t *index = NULL;
	strset blobs = { 0 }, chains = { 0 };
	int unsure = 0;
	uint64_t bytes = 0;
	if ((r = berth__index_load(&index, &s)) < 0)
		goto out;
	size_t i;
	const json_t *d;
	json_array_foreach(json_object_get(index, "manifests"), i, d)
		if (r == 0)
			r = mark(&s, d, &blobs, &chains, 0, &unsure);
	if (r < 0)
		goto out;
	char dir[4200];
	DIR *dd;
	struct dirent *de;
	/* blobs */
	berth__path_blob(dir, sizeof dir, s.root, NULL);
	if ((dd = opendir(dir))) {
		while (r == 0 && (de = readdir(dd)))
			if (is_hex64(de->d_name) && !set_has(&blobs, de->d_name))
				r = remove_counted(dir, de->d_name, &bytes);
		closedir(dd);
	}
	/* leftovers of interrupted writers (none is running now): blobs, and
	 * temp files of index.json (berth__write_file_atomic, under its lock) */
	if (r == 0 && (dd = opendir(s.images))) {
		while (r == 0 && (de = readdir(dd)))
			if (!strncmp(de->d_name, "index.json.tmp.", 15))
				r = remove_counted(s.images, de->d_name, &bytes);
		closedir(dd);
	}
	snprintf(dir, sizeof dir, "%s/.tmp", s.images);
	if (r == 0 && (dd = opendir(dir))) {
		while (r == 0 && (de = readdir(dd)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				r = remove_counted(dir, de->d_name, &bytes);
		closedir(dd);
	}
	/* layers */
	if (r == 0 && (dd = opendir(s.layers))) {
		while (r == 0 && (de = readdir(dd))) {
			if (!strncmp(de->d_name, ".tmp-", 5))
				r = remove_counted(s.layers, de->d_name, &bytes);
			else if (!unsure && is_hex64(de->d_name) && !set_has(&chains, de->d_name))
				r = remove_counted(s.layers, de->d_name, &bytes);
		}
		closedir(dd);
	}
	if (unsure)
		berth__log(ctx, BERTH_LOG_WARN, "image prune: some manifests or configs could not be read: unpacked layers kept");
	/* the entries of caches above the store (the build cache) that named what just went */
	for (const berth__prune_participant *pp = berth__image_prune_participants; r == 0 && pp->prune; pp++)
		r = pp->prune(&s, &bytes, NULL);
out:
	json_decref(index);
	free(blobs.v);
	free(chains.v);
	berth__store_unlock(lk);
	berth__store_unlock(gc);
	if (r < 0)
		return r;
	if (out_bytes)
		*out_bytes = bytes;
	berth__err_ok();
	return 0;
}
