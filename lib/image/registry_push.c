/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_image_push: an image of the store to a registry (distribution spec,
 * "push"). For each layer and then the config: HEAD /v2/<path>/blobs/<digest>
 * (200: the registry has it); else POST .../blobs/uploads/?mount=<digest>&from=<repo>
 * for each known source repository on the same registry (201: mounted; 202:
 * the registry started an upload instead, which is used); else POST
 * .../blobs/uploads/ and either one PUT <location>?digest=<digest> with the
 * whole blob, or PATCH chunks (Content-Range) and a closing PUT. Last the
 * manifest's exact bytes: PUT /v2/<path>/manifests/<tag or digest>.
 */
#include "image/registry.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The size of each version of berth_push_options. */
static const size_t push_options_sizes[BERTH_PUSH_OPTIONS_VERSION] = {
	offsetof(berth_push_options, on_progress), /* 1 (0.1): up to payload */
	sizeof(berth_push_options),                /* 2 (0.2): on_progress */
};

BERTH_EXTERN int berth_push_options_init(berth_push_options *opts, unsigned int version)
{
	static const berth_push_options d = BERTH_PUSH_OPTIONS_INIT;
	/* only that version's part (a 0.1 caller's struct is shorter) */
	return berth__options_init(opts, version, &d, push_options_sizes, BERTH_ARRAY_SIZE(push_options_sizes),
	                           "berth_push_options");
}

typedef struct pusher {
	berth__reg g;
	const berth_push_options *o;
	char scope[600];
	char **from; /* repositories to mount from (NULL-terminated) */
	int stop;    /* on_progress asked to stop during an upload */
} pusher;

/* The caller's progress callback (0 to go on, BERTH_ECANCELED to stop). */
static int report(pusher *p, const char *digest, int status, uint64_t done, uint64_t total)
{
	if (p->stop)
		return berth__err(BERTH_ECANCELED, "%s: canceled by the progress callback", p->g.what);
	return berth__reg_progress(p->o->on_progress, p->o->progress, p->o->payload, p->g.what, digest, status, done,
		total);
}

/* An upload's progress for on_progress (the HTTP layer's callback cannot
 * stop it): a stop is kept and honoured after the request. */
static void upload_progress(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	pusher *p = payload;
	if (!p->stop && p->o->on_progress(digest, status, done, total, p->o->payload) != 0)
		p->stop = 1;
}

/* The HTTP layer's progress callback and payload of an upload. */
static berth_pull_progress_cb upload_cb(pusher *p, void **payload)
{
	*payload = p->o->on_progress ? (void *)p : p->o->payload;
	return p->o->on_progress ? upload_progress : p->o->progress;
}

/* 1 if the registry has the blob, 0 if not. */
static int blob_exists(pusher *p, const char *digest)
{
	char url[600];
	snprintf(url, sizeof url, "/v2/%s/blobs/%s", p->g.path, digest);
	berth__reg_sink s = { .max = 1u << 16 };
	berth__reg_req q = { .method = "HEAD", .url = url, .fd = -1, .scope = p->scope };
	int r = berth__reg_do(&p->g, &q, &s);
	free(s.body);
	if (r < 0)
		return r;
	if (s.status >= 200 && s.status < 300)
		return 1;
	if (s.status == 404)
		return 0;
	char subject[120];
	snprintf(subject, sizeof subject, "blob %s: HEAD: ", digest);
	return berth__reg_status_error(&p->g, &s, "HEAD", subject, "blob");
}

/* POST .../uploads/ (with a mount when from is set). 1: mounted; 0: an
 * upload session at *location (malloc'd). */
static int start_upload(pusher *p, const char *digest, const char *from, char **location)
{
	char url[1200], scope[1300];
	if (from) {
		snprintf(url, sizeof url, "/v2/%s/blobs/uploads/?mount=%s&from=%s", p->g.path, digest, from);
		snprintf(scope, sizeof scope, "%s repository:%s:pull", p->scope, from);
	} else {
		snprintf(url, sizeof url, "/v2/%s/blobs/uploads/", p->g.path);
		snprintf(scope, sizeof scope, "%s", p->scope);
	}
	berth__reg_sink s = { .max = 1u << 16 };
	berth__reg_req q = { .method = "POST", .url = url, .fd = -1, .scope = scope, .no_redirect = 1 };
	int r = berth__reg_do(&p->g, &q, &s);
	free(s.body);
	if (r < 0)
		return r;
	if (from && s.status == 201)
		return 1;
	if (s.status == 202 && s.location[0]) {
		if (!(*location = berth__reg_url(&p->g, s.location)))
			return BERTH_ENOMEM;
		return 0;
	}
	if (from)
		return -1000; /* no mount: the caller starts a plain upload */
	char subject[120];
	snprintf(subject, sizeof subject, "blob %s: start upload: ", digest);
	if (s.status == 202)
		return berth__err(BERTH_ENET, "%s: %sregistry %s gave no Location", p->g.what, subject, p->g.host);
	return berth__reg_status_error(&p->g, &s, "POST", subject, "upload");
}

/* location with "digest=" appended */
static char *with_digest(const char *location, const char *digest)
{
	return berth__sprintf("%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?', digest);
}

static int upload(pusher *p, const char *digest, int fd, uint64_t size, char *location)
{
	char subject[120];
	snprintf(subject, sizeof subject, "blob %s: upload: ", digest);
	int r = 0;
	uint64_t off = 0, chunk = p->o->chunk_size;
	char *loc = location;
	if (chunk) {
		while (off < size) {
			uint64_t n = size - off < chunk ? size - off : chunk;
			char range[64];
			snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)off, (unsigned long long)(off + n - 1));
			berth__reg_sink s = { .max = 1u << 16 };
			void *pl;
			berth_pull_progress_cb cb = upload_cb(p, &pl);
			berth__reg_req q = { .method = "PATCH", .url = loc, .fd = fd, .off = off, .len = n,
				.content_type = "application/octet-stream", .content_range = range, .scope = p->scope,
				.no_redirect = 1, .progress = cb, .payload = pl, .digest = digest,
				.base = off, .total = size };
			r = berth__reg_do(&p->g, &q, &s);
			if (r == 0 && p->stop)
				r = report(p, digest, BERTH_PUSH_UPLOADING, off + n, size);
			free(s.body);
			if (r == 0 && s.status != 202)
				r = berth__reg_status_error(&p->g, &s, "PATCH", subject, "upload");
			if (r == 0 && s.location[0]) {
				char *nl = berth__reg_url(&p->g, s.location);
				if (!nl)
					r = BERTH_ENOMEM;
				else {
					free(loc);
					loc = nl;
				}
			}
			if (r < 0) {
				free(loc);
				return r;
			}
			off += n;
		}
	}
	char *url = with_digest(loc, digest);
	free(loc);
	if (!url)
		return BERTH_ENOMEM;
	berth__reg_sink s = { .max = 1u << 16 };
	void *pl;
	berth_pull_progress_cb cb = upload_cb(p, &pl);
	berth__reg_req q = { .method = "PUT", .url = url, .fd = chunk ? -1 : fd, .len = chunk ? 0 : size,
		.content_type = "application/octet-stream", .scope = p->scope, .no_redirect = 1,
		.progress = chunk ? NULL : cb, .payload = pl, .digest = digest, .total = size };
	r = berth__reg_do(&p->g, &q, &s);
	free(s.body);
	free(url);
	if (r < 0)
		return r;
	if (s.status != 201 && s.status != 204)
		return berth__reg_status_error(&p->g, &s, "PUT", subject, "upload");
	if (!strncmp(s.docker_digest, "sha256:", 7) && strcmp(s.docker_digest, digest))
		return berth__err(BERTH_EDIGEST, "%s: %sregistry %s stored it as %s", p->g.what, subject, p->g.host,
			s.docker_digest);
	return 0;
}

static int push_blob(pusher *p, const berth__store *st, const char *digest, int64_t size)
{
	int r = blob_exists(p, digest);
	if (r < 0)
		return r;
	if (r == 1)
		return report(p, digest, BERTH_PUSH_EXISTS, (uint64_t)size, (uint64_t)size);
	char path[4200];
	if ((r = berth__blob_path(path, sizeof path, st, digest)) < 0)
		return r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? berth__err(BERTH_ENOTFOUND, "%s: blob %s is missing from the store", p->g.what, digest)
		                       : berth__err_sys(errno, "%s: open %s", p->g.what, path);
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size != size) {
		close(fd);
		return berth__err(BERTH_EDIGEST, "%s: blob %s in the store is not %lld bytes as its descriptor says",
			p->g.what, digest, (long long)size);
	}
	char *loc = NULL;
	for (char **f = p->from; f && *f && !loc; f++) {
		r = start_upload(p, digest, *f, &loc);
		if (r == 1) {
			close(fd);
			return report(p, digest, BERTH_PUSH_MOUNTED, (uint64_t)size, (uint64_t)size);
		}
		if (r < 0 && r != -1000) {
			close(fd);
			return r;
		}
	}
	if (!loc && (r = start_upload(p, digest, NULL, &loc)) < 0) {
		close(fd);
		return r;
	}
	if ((r = report(p, digest, BERTH_PUSH_UPLOADING, 0, (uint64_t)size)) < 0) {
		free(loc);
		close(fd);
		return r;
	}
	r = upload(p, digest, fd, (uint64_t)size, loc);
	close(fd);
	if (r == 0)
		r = report(p, digest, BERTH_PUSH_DONE, (uint64_t)size, (uint64_t)size);
	return r;
}

/* Repositories on dest's registry that name the image, other than dest's. */
static int mount_sources(char ***out, berth_image *img, const berth_ref *dest, const char *given)
{
	if (given) {
		const char *v[1] = { given };
		*out = berth__strv_pack((char *const *)v, 1);
		return *out ? 0 : BERTH_ENOMEM;
	}
	char **tags = NULL;
	int r = berth_image_tags(&tags, img);
	if (r < 0)
		return r;
	size_t n = 0;
	for (; tags[n]; n++)
		;
	char **v = calloc(n + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; v && i < n; i++) {
		berth_ref *ref = NULL;
		if (berth_ref_parse(&ref, tags[i]) < 0)
			continue;
		if (!strcmp(berth_ref_domain(ref), berth_ref_domain(dest)) && strcmp(berth_ref_path(ref), berth_ref_path(dest))) {
			size_t j = 0;
			for (; j < k && strcmp(v[j], berth_ref_path(ref)); j++)
				;
			if (j == k)
				v[k++] = berth__strdup(berth_ref_path(ref));
		}
		berth_ref_free(ref);
	}
	berth_free(tags);
	berth__err_ok();
	*out = v ? berth__strv_pack(v, k) : NULL;
	for (size_t i = 0; v && i < k; i++)
		free(v[i]);
	free(v);
	return *out ? 0 : berth__err_nomem();
}

BERTH_EXTERN int berth_image_push(char **out_digest, berth_ctx *ctx, const char *name, const char *dest,
	const berth_push_options *opts_in)
{
	/* the caller's options of any version as the current one */
	berth_push_options o = BERTH_PUSH_OPTIONS_INIT;
	if (opts_in && berth__options_copy(&o, opts_in, push_options_sizes, BERTH_PUSH_OPTIONS_VERSION,
	                                   "berth_push_options") < 0)
		return berth__err_prefix("push");
	const berth_push_options *opts = &o;
	if (opts->progress && opts->on_progress)
		return berth__err(BERTH_EINVAL, "push: set progress (0.1) or on_progress, not both");
	if (!name || !*name)
		return berth__err(BERTH_EINVAL, "push: an image is required");
	berth_ref *dref = NULL;
	if (berth_ref_parse(&dref, dest ? dest : name) < 0)
		return berth__err_prefix("push %.300s", dest ? dest : name);
	char what[600];
	snprintf(what, sizeof what, "push %s", berth_ref_string(dref));
	berth_image *img = NULL;
	int r = berth_image_open(&img, ctx, name);
	if (r < 0) {
		berth_ref_free(dref);
		return berth__err_prefix("%s", what);
	}
	pusher p = { .o = opts };
	char *mbody = NULL;
	size_t mlen = 0;
	if ((r = berth__reg_init(&p.g, dref, opts->tls_verify, opts->username, opts->password, what)) < 0)
		goto out;
	p.g.ctx = ctx;
	if (berth__curl_error()) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: %s", what, berth__curl_error());
		goto out;
	}
	snprintf(p.scope, sizeof p.scope, "repository:%s:pull,push", p.g.path);
	if ((r = mount_sources(&p.from, img, dref, opts->mount_from)) < 0)
		goto out;
	if ((r = report(&p, NULL, BERTH_PUSH_PREPARING, 0, 0)) < 0)
		goto out;
	const berth__store *st = berth__image_store(img);
	const json_t *m = berth__image_manifest(img);
	const char *mdigest = berth__image_manifest_digest(img);
	char mpath[4200];
	if ((r = berth__blob_path(mpath, sizeof mpath, st, mdigest)) < 0 ||
	    (r = berth__read_file(&mbody, &mlen, mpath)) < 0)
		goto out;
	const json_t *layers = json_object_get(m, "layers");
	const json_t *cfg = json_object_get(m, "config");
	size_t nl = json_array_size(layers);
	for (size_t i = 0; i <= nl; i++) {
		const json_t *d = i < nl ? json_array_get(layers, i) : cfg;
		if ((r = report(&p, json_string_value(json_object_get(d, "digest")), BERTH_PUSH_WAITING, 0,
			     (uint64_t)json_integer_value(json_object_get(d, "size")))) < 0)
			goto out;
	}
	for (size_t i = 0; i <= nl; i++) {
		const json_t *d = i < nl ? json_array_get(layers, i) : cfg;
		if ((r = push_blob(&p, st, json_string_value(json_object_get(d, "digest")),
			     (int64_t)json_integer_value(json_object_get(d, "size")))) < 0)
			goto out;
	}
	/* the manifest, byte for byte, so its digest stays the image's */
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	if (!mt)
		mt = BERTH__MT_OCI_MANIFEST;
	char url[800];
	const char *tag = berth_ref_tag(dref);
	snprintf(url, sizeof url, "/v2/%s/manifests/%s", p.g.path, tag ? tag : berth_ref_digest(dref));
	if (!tag && strcmp(berth_ref_digest(dref), mdigest)) {
		r = berth__err(BERTH_EINVAL, "%s: the image's manifest is %s, not the reference's digest", what, mdigest);
		goto out;
	}
	berth__reg_sink s = { .max = 1u << 16 };
	berth__reg_req q = { .method = "PUT", .url = url, .body = mbody, .len = mlen, .fd = -1, .content_type = mt,
		.scope = p.scope, .no_redirect = 1 };
	r = berth__reg_do(&p.g, &q, &s);
	free(s.body);
	if (r == 0 && s.status != 201 && s.status != 200)
		r = berth__reg_status_error(&p.g, &s, "PUT", "manifest: ", "manifest");
	if (r == 0 && !strncmp(s.docker_digest, "sha256:", 7) && strcmp(s.docker_digest, mdigest))
		r = berth__err(BERTH_EDIGEST, "%s: manifest %s: registry %s stored it as %s", what, mdigest, p.g.host,
			s.docker_digest);
	if (r == 0 && out_digest && !(*out_digest = berth__strdup(mdigest)))
		r = BERTH_ENOMEM;
out:
	free(mbody);
	berth_free(p.from);
	berth__reg_free(&p.g);
	berth_image_free(img);
	berth_ref_free(dref);
	if (r == 0)
		berth__err_ok();
	return r;
}
