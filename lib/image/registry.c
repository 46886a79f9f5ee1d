/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_image_pull: an image from a registry (distribution spec) into the
 * store.
 *
 * The manifest (or index/list, resolved to this platform's manifest) and the
 * config are read into memory and verified against their digests. Each layer
 * not already in the store is downloaded into a temp blob (hashed as it
 * arrives, its size bounded by the descriptor), verified, then decompressed,
 * hashed again (the DiffID, checked against the config) and unpacked in one
 * pass into a temp layer dir. Only when every layer is ready does anything
 * become visible: layer dirs renamed in, blobs renamed in, the config and
 * manifest blobs written, index.json tagged. A failure removes every temp.
 */
#include "image/registry.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACCEPT_MANIFESTS                                                                       \
	BERTH__MT_OCI_MANIFEST ", " BERTH__MT_OCI_INDEX ", " BERTH__MT_DOCKER_MANIFEST ", " \
	BERTH__MT_DOCKER_LIST

BERTH_EXTERN int berth_pull_options_init(berth_pull_options *opts, unsigned int version)
{
	if (!opts)
		return berth__err(BERTH_EINVAL, "pull options: NULL");
	if (version != BERTH_PULL_OPTIONS_VERSION)
		return berth__err(BERTH_EINVAL, "pull options: unknown version %u (this library knows %u)", version,
			BERTH_PULL_OPTIONS_VERSION);
	berth_pull_options d = BERTH_PULL_OPTIONS_INIT;
	*opts = d;
	return 0;
}

static void sha_hex(const void *data, size_t len, char hex[65])
{
	berth__sha256_ctx c;
	berth__sha256_init(&c);
	berth__sha256_update(&c, data, len);
	berth__sha256_final_hex(&c, hex);
}

typedef struct platform {
	char os[64], arch[64], variant[64];
} platform;

static int parse_platform(platform *p, const char *s, const char *what)
{
	memset(p, 0, sizeof *p);
	if (!s) {
		snprintf(p->os, sizeof p->os, "linux");
		snprintf(p->arch, sizeof p->arch, "%s", berth__native_arch());
		return 0;
	}
	char buf[200];
	snprintf(buf, sizeof buf, "%s", s);
	char *a = strchr(buf, '/');
	char *v = a ? strchr(a + 1, '/') : NULL;
	if (!a || a == buf || !a[1] || (v && (!v[1] || strchr(v + 1, '/'))) || strlen(s) >= sizeof buf)
		return berth__err(BERTH_EINVAL, "%s: platform '%s': expected os/arch[/variant]", what, s);
	*a = '\0';
	if (v)
		*v = '\0';
	snprintf(p->os, sizeof p->os, "%s", buf);
	snprintf(p->arch, sizeof p->arch, "%s", a + 1);
	if (v)
		snprintf(p->variant, sizeof p->variant, "%s", v + 1);
	return 0;
}

static int variant_matches(const platform *want, const char *arch, const char *variant)
{
	if (!want->variant[0])
		return 1;
	if (variant && !strcmp(variant, want->variant))
		return 1;
	/* arm64 is v8 unless it says otherwise */
	return !strcmp(arch, "arm64") && !strcmp(want->variant, "v8") && (!variant || !*variant);
}

/* The manifest descriptor of an index/list for the platform. */
static int choose(json_t **out, json_t *index, const platform *want, const char *what)
{
	json_t *ms = json_object_get(index, "manifests");
	if (!json_is_array(ms))
		return berth__err(BERTH_EINVAL, "%s: index has no manifests array", what);
	size_t i;
	json_t *d;
	json_array_foreach(ms, i, d) {
		json_t *ann = json_object_get(d, "annotations");
		const char *rt = json_string_value(json_object_get(ann, "vnd.docker.reference.type"));
		if (rt && !strcmp(rt, "attestation-manifest"))
			continue;
		json_t *p = json_object_get(d, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *variant = json_string_value(json_object_get(p, "variant"));
		if (!os || !arch || (!strcmp(os, "unknown") && !strcmp(arch, "unknown")))
			continue;
		if (strcmp(os, want->os) || strcmp(arch, want->arch) || !variant_matches(want, arch, variant))
			continue;
		const char *dg = json_string_value(json_object_get(d, "digest"));
		if (!berth__digest_valid(dg))
			return berth__err(BERTH_EINVAL, "%s: index manifests[%zu].digest: not a sha256 digest", what, i);
		*out = d;
		return 0;
	}
	return berth__err(BERTH_ENOTFOUND, "%s: no manifest for platform %s/%s%s%s", what, want->os, want->arch,
		want->variant[0] ? "/" : "", want->variant);
}

/* GETs a manifest; verifies its bytes against expect (a digest, or NULL) and
 * Docker-Content-Digest. *body malloc'd; *mt its media type. */
static int get_manifest(berth__reg *g, const char *reference, const char *expect, char **body, size_t *len,
	json_t **json, char *mt, size_t mtlen, char digest[BERTH__DIGEST_LEN])
{
	berth__reg_sink s = { .max = BERTH__JSON_BLOB_MAX };
	int r = berth__reg_get(g, "manifests", reference, ACCEPT_MANIFESTS, &s);
	if (r < 0) {
		free(s.body);
		return r;
	}
	char hex[65];
	sha_hex(s.body ? s.body : "", s.len, hex);
	snprintf(digest, BERTH__DIGEST_LEN, "sha256:%s", hex);
	if (expect && strcmp(expect, digest))
		r = berth__err(BERTH_EDIGEST, "%s: manifest %s: digest mismatch (got %s)", g->what, expect, digest);
	else if (!strncmp(s.docker_digest, "sha256:", 7) && strcmp(s.docker_digest, digest))
		r = berth__err(BERTH_EDIGEST, "%s: manifest %s: digest mismatch (Docker-Content-Digest %s)", g->what, digest,
			s.docker_digest);
	json_error_t je;
	json_t *j = NULL;
	if (r == 0 && !(j = s.body ? json_loadb(s.body, s.len, 0, &je) : NULL))
		r = berth__err(BERTH_EINVAL, "%s: manifest %s: not JSON", g->what, digest);
	if (r == 0 && !json_is_object(j))
		r = berth__err(BERTH_EINVAL, "%s: manifest %s: not a JSON object", g->what, digest);
	if (r < 0) {
		json_decref(j);
		free(s.body);
		return r;
	}
	const char *m = json_string_value(json_object_get(j, "mediaType"));
	if (!m || !*m)
		m = s.content_type;
	if (!*m && json_is_array(json_object_get(j, "manifests")))
		m = BERTH__MT_OCI_INDEX;
	if (!*m)
		m = BERTH__MT_OCI_MANIFEST;
	snprintf(mt, mtlen, "%s", m);
	*body = s.body;
	*len = s.len;
	*json = j;
	return 0;
}

typedef struct layer {
	const char *digest;
	int64_t size;
	char chain[BERTH__DIGEST_LEN];
	const char *diff_id;
	int exists;
	char hex[65];
	berth__blob_writer w;
	char tmp[4200];
} layer;

static int have_layer(const berth__store *s, const layer *l)
{
	char p[4200];
	struct stat st;
	if (berth__store_path(p, sizeof p, "%s/%s", s->layers, l->chain + 7) < 0 || stat(p, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	if (berth__blob_path(p, sizeof p, s, l->digest) < 0 || stat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != l->size)
		return 0;
	return 1;
}

static int fetch_layer(berth__reg *g, const berth__store *s, layer *l, const berth_pull_options *o)
{
	int r = berth__blob_begin(&l->w, s);
	if (r < 0)
		return r;
	berth__reg_sink sink = { .w = &l->w, .expect = (uint64_t)l->size, .digest = l->digest, .progress = o->progress,
		.payload = o->payload };
	if (o->progress)
		o->progress(l->digest, BERTH_PULL_DOWNLOADING, 0, (uint64_t)l->size, o->payload);
	if ((r = berth__reg_get(g, "blobs", l->digest, NULL, &sink)) < 0)
		return r;
	berth__sha256_ctx c = l->w.sha;
	berth__sha256_final_hex(&c, l->hex);
	if (strcmp(l->hex, l->digest + 7))
		return berth__err(BERTH_EDIGEST, "%s: blob %s: digest mismatch (got sha256:%s)", g->what, l->digest, l->hex);
	if (l->w.size != (uint64_t)l->size)
		return berth__err(BERTH_EDIGEST, "%s: blob %s: %llu bytes, its descriptor says %lld", g->what, l->digest,
			(unsigned long long)l->w.size, (long long)l->size);
	if (o->progress)
		o->progress(l->digest, BERTH_PULL_EXTRACTING, l->w.size, (uint64_t)l->size, o->payload);
	if (lseek(l->w.fd, 0, SEEK_SET) < 0)
		return berth__err_sys(errno, "image store: seek %s", l->w.tmp);
	int dfd = berth__layer_tmpdir(l->tmp, sizeof l->tmp, s);
	if (dfd < 0) {
		l->tmp[0] = '\0';
		return dfd;
	}
	char what[400];
	snprintf(what, sizeof what, "%s: layer %s", g->what, l->digest);
	berth__layer_result res;
	r = berth__layer_stream(&res, dfd, l->w.fd, -1, what);
	close(dfd);
	if (r < 0)
		return r;
	if (strcmp(res.blob_hex, l->hex))
		return berth__err(BERTH_EDIGEST, "%s: blob %s changed while unpacking", g->what, l->digest);
	if (strcmp(res.diff_hex, l->diff_id + 7))
		return berth__err(BERTH_EDIGEST, "%s: layer %s: uncompressed content hashes to sha256:%s, the config says %s",
			g->what, l->digest, res.diff_hex, l->diff_id);
	return 0;
}

BERTH_EXTERN int berth_image_pull(berth_image **out, berth_ctx *ctx, const char *ref, const berth_pull_options *opts)
{
	berth_pull_options defaults = BERTH_PULL_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	if (opts->version != BERTH_PULL_OPTIONS_VERSION)
		return berth__err(BERTH_EINVAL, "pull: options version %u unknown (this library knows %u)", opts->version,
			BERTH_PULL_OPTIONS_VERSION);
	if (!out || !ref || !*ref)
		return berth__err(BERTH_EINVAL, "pull: out and a reference are required");
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	berth_ref *pref = NULL;
	if (berth_ref_parse(&pref, ref) < 0)
		return berth__err_prefix("pull %.300s", ref);
	char what[600];
	snprintf(what, sizeof what, "pull %s", berth_ref_string(pref));
	platform want;
	if ((r = parse_platform(&want, opts->platform, what)) < 0) {
		berth_ref_free(pref);
		return r;
	}

	berth__reg g;
	int gc = -1, lk = -1;
	char *mbody = NULL, *cbody = NULL;
	size_t mlen = 0;
	json_t *manifest = NULL, *config = NULL;
	layer *ls = NULL;
	size_t nl = 0;
	const char **diff_ids = NULL;
	char (*chains)[BERTH__DIGEST_LEN] = NULL;
	if ((r = berth__reg_init(&g, pref, opts->tls_verify, opts->username, opts->password, what)) < 0)
		goto out;
	g.ctx = ctx;
	if (berth__curl_error()) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: %s", what, berth__curl_error());
		goto out;
	}
	if (opts->progress)
		opts->progress(NULL, BERTH_PULL_RESOLVING, 0, 0, opts->payload);

	/* the manifest, through an index when there is one */
	char mt[256], mdigest[BERTH__DIGEST_LEN];
	const char *dref = berth_ref_digest(pref);
	if ((r = get_manifest(&g, dref ? dref : berth_ref_tag(pref), dref, &mbody, &mlen, &manifest, mt, sizeof mt,
		     mdigest)) < 0)
		goto out;
	if (!strcmp(mt, BERTH__MT_OCI_INDEX) || !strcmp(mt, BERTH__MT_DOCKER_LIST)) {
		json_t *d = NULL;
		if ((r = choose(&d, manifest, &want, what)) < 0)
			goto out;
		char pick[BERTH__DIGEST_LEN];
		snprintf(pick, sizeof pick, "%s", json_string_value(json_object_get(d, "digest")));
		json_decref(manifest);
		manifest = NULL;
		free(mbody);
		mbody = NULL;
		if ((r = get_manifest(&g, pick, pick, &mbody, &mlen, &manifest, mt, sizeof mt, mdigest)) < 0)
			goto out;
	}
	if (strcmp(mt, BERTH__MT_OCI_MANIFEST) && strcmp(mt, BERTH__MT_DOCKER_MANIFEST)) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: manifest %s: media type %s is not an image manifest berth can use",
			what, mdigest, mt);
		goto out;
	}
	char mwhat[700];
	snprintf(mwhat, sizeof mwhat, "%s: manifest %s", what, mdigest);
	if ((r = berth__manifest_check(manifest, mwhat)) < 0)
		goto out;

	/* the config */
	const char *cdigest = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
	berth__reg_sink cs = { .max = BERTH__JSON_BLOB_MAX };
	if ((r = berth__reg_get(&g, "blobs", cdigest, NULL, &cs)) < 0) {
		free(cs.body);
		goto out;
	}
	cbody = cs.body;
	size_t clen = cs.len;
	char chex[65];
	sha_hex(cbody ? cbody : "", clen, chex);
	if (strcmp(chex, cdigest + 7)) {
		r = berth__err(BERTH_EDIGEST, "%s: blob %s: digest mismatch (got sha256:%s)", what, cdigest, chex);
		goto out;
	}
	json_error_t je;
	if (!(config = cbody ? json_loadb(cbody, clen, 0, &je) : NULL) || !json_is_object(config)) {
		r = berth__err(BERTH_EINVAL, "%s: config %s: not a JSON object", what, cdigest);
		goto out;
	}
	if ((r = berth__image_check(manifest, config, mwhat)) < 0)
		goto out;

	/* the layers */
	json_t *jl = json_object_get(manifest, "layers");
	json_t *jd = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	nl = json_array_size(jl);
	ls = calloc(nl ? nl : 1, sizeof *ls);
	diff_ids = calloc(nl ? nl : 1, sizeof *diff_ids);
	chains = calloc(nl ? nl : 1, sizeof *chains);
	if (!ls || !diff_ids || !chains) {
		r = berth__err_nomem();
		goto out;
	}
	for (size_t i = 0; i < nl; i++) {
		ls[i].w.fd = -1;
		diff_ids[i] = json_string_value(json_array_get(jd, i));
	}
	if ((r = berth__chain_ids(chains, diff_ids, nl)) < 0)
		goto out;
	if ((r = berth__store_ensure(&s)) < 0)
		goto out;
	if ((gc = berth__store_lock(&s, ".gc.lock", LOCK_SH)) < 0) {
		r = gc;
		goto out;
	}
	for (size_t i = 0; i < nl; i++) {
		json_t *d = json_array_get(jl, i);
		ls[i].digest = json_string_value(json_object_get(d, "digest"));
		ls[i].size = (int64_t)json_integer_value(json_object_get(d, "size"));
		ls[i].diff_id = diff_ids[i];
		memcpy(ls[i].chain, chains[i], BERTH__DIGEST_LEN);
		ls[i].exists = have_layer(&s, &ls[i]);
		if (opts->progress)
			opts->progress(ls[i].digest, ls[i].exists ? BERTH_PULL_EXISTS : BERTH_PULL_WAITING, 0,
				(uint64_t)ls[i].size, opts->payload);
	}
	for (size_t i = 0; i < nl; i++)
		if (!ls[i].exists && (r = fetch_layer(&g, &s, &ls[i], opts)) < 0)
			goto out;

	/* everything verified: make it visible */
	for (size_t i = 0; i < nl; i++) {
		if (ls[i].exists)
			continue;
		r = berth__layer_install(&s, ls[i].tmp, ls[i].chain);
		ls[i].tmp[0] = '\0';
		if (r < 0)
			goto out;
		if ((r = berth__blob_commit_hashed(&ls[i].w, &s, ls[i].hex)) < 0)
			goto out;
		if (opts->progress)
			opts->progress(ls[i].digest, BERTH_PULL_DONE, (uint64_t)ls[i].size, (uint64_t)ls[i].size, opts->payload);
	}
	char dg[BERTH__DIGEST_LEN];
	if ((r = berth__blob_put(&s, cbody, clen, dg)) < 0 || (r = berth__blob_put(&s, mbody, mlen, dg)) < 0)
		goto out;
	if ((lk = berth__store_lock(&s, ".lock", LOCK_EX)) < 0) {
		r = lk;
		goto out;
	}
	json_t *index = NULL;
	if ((r = berth__index_load(&index, &s)) == 0) {
		r = berth__index_set_ref(index, mt, mdigest, (json_int_t)mlen, berth_ref_string(pref));
		if (r > 0)
			r = berth__index_save(&s, index);
		json_decref(index);
	}
	berth__store_unlock(lk);
	lk = -1;
	if (r < 0)
		goto out;
	berth_image *img = NULL;
	if ((r = berth__image_load(&img, ctx, mdigest, (int64_t)mlen)) < 0)
		goto out;
	*out = img;
	r = 0;
out: {
	berth__err_saved sv;
	berth__err_save(&sv);
	for (size_t i = 0; ls && i < nl; i++) {
		berth__blob_abort(&ls[i].w);
		if (ls[i].tmp[0])
			berth__rm_rf(ls[i].tmp);
	}
	berth__err_restore(&sv);
}
	berth__store_unlock(gc);
	free(ls);
	free(diff_ids);
	free(chains);
	json_decref(manifest);
	json_decref(config);
	free(mbody);
	free(cbody);
	berth__reg_free(&g);
	berth_ref_free(pref);
	if (r == 0)
		berth__err_ok();
	return r;
}
