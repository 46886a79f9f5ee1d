/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The image store's pure logic (lib/image/store.h): digests, ChainIDs and the
 * checks of manifests, configs and index.json. No I/O here. */
#include "image/store.h"
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

int berth__digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7))
		return 0;
	d += 7;
	size_t i = 0;
	for (; d[i]; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return 0;
	return i == 64;
}

int berth__chain_ids(char (*out)[BERTH__DIGEST_LEN], const char *const *diff_ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!berth__digest_valid(diff_ids[i]))
			return berth__err(BERTH_EINVAL, "rootfs.diff_ids[%zu]: '%.80s' is not a sha256 digest", i,
				diff_ids[i] ? diff_ids[i] : "(null)");
		if (i == 0) {
			snprintf(out[0], BERTH__DIGEST_LEN, "%s", diff_ids[0]);
			continue;
		}
		berth__sha256_ctx c;
		char hex[65];
		berth__sha256_init(&c);
		berth__sha256_update(&c, out[i - 1], strlen(out[i - 1]));
		berth__sha256_update(&c, " ", 1);
		berth__sha256_update(&c, diff_ids[i], strlen(diff_ids[i]));
		berth__sha256_final_hex(&c, hex);
		snprintf(out[i], BERTH__DIGEST_LEN, "sha256:%s", hex);
	}
	return 0;
}

int berth__layer_media_type_ok(const char *mt)
{
	static const char *const ok[] = {
		BERTH__MT_OCI_LAYER,
		BERTH__MT_OCI_LAYER_GZIP,
		BERTH__MT_OCI_LAYER_ZSTD,
		BERTH__MT_DOCKER_LAYER,
		/* same content, only "do not push" to registries */
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	if (!mt)
		return 0;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(ok); i++)
		if (!strcmp(mt, ok[i]))
			return 1;
	return 0;
}

/* --- checks --- */

static int bad(const char *what, const char *field, const char *fmt, const char *arg)
{
	char msg[256];
	snprintf(msg, sizeof msg, fmt, arg);
	return berth__err(BERTH_EINVAL, "%s: %s: %s", what, field, msg);
}

/* A descriptor: {mediaType: string, digest: sha256, size: integer >= 0}. */
static int check_descriptor(const json_t *d, const char *what, const char *field)
{
	char f[128];
	if (!json_is_object(d))
		return bad(what, field, "%s", "not an object");
	const json_t *mt = json_object_get(d, "mediaType");
	snprintf(f, sizeof f, "%s.mediaType", field);
	if (!mt)
		return bad(what, f, "%s", "missing");
	if (!json_is_string(mt) || !json_string_length(mt))
		return bad(what, f, "%s", "not a non-empty string");
	const json_t *dg = json_object_get(d, "digest");
	snprintf(f, sizeof f, "%s.digest", field);
	if (!dg)
		return bad(what, f, "%s", "missing");
	if (!json_is_string(dg))
		return bad(what, f, "%s", "not a string");
	if (!berth__digest_valid(json_string_value(dg)))
		return bad(what, f, "'%.80s' is not a sha256 digest (sha256: and 64 lowercase hex digits)",
			json_string_value(dg));
	const json_t *sz = json_object_get(d, "size");
	snprintf(f, sizeof f, "%s.size", field);
	if (!sz)
		return bad(what, f, "%s", "missing");
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return bad(what, f, "%s", "not a non-negative integer");
	const json_t *an = json_object_get(d, "annotations");
	if (an) {
		snprintf(f, sizeof f, "%s.annotations", field);
		if (!json_is_object(an))
			return bad(what, f, "%s", "not an object");
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)an, k, v)
			if (!json_is_string(v)) {
				snprintf(f, sizeof f, "%s.annotations.%.60s", field, k);
				return bad(what, f, "%s", "not a string");
			}
	}
	return 0;
}

int berth__manifest_check(const json_t *m, const char *what)
{
	if (!json_is_object(m))
		return berth__err(BERTH_EINVAL, "%s: not a JSON object", what);
	const json_t *sv = json_object_get(m, "schemaVersion");
	if (!sv)
		return bad(what, "schemaVersion", "%s", "missing");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return bad(what, "schemaVersion", "%s", "must be 2");
	const json_t *mt = json_object_get(m, "mediaType");
	if (mt) {
		const char *s = json_string_value(mt);
		if (!s)
			return bad(what, "mediaType", "%s", "not a string");
		if (strcmp(s, BERTH__MT_OCI_MANIFEST) && strcmp(s, BERTH__MT_DOCKER_MANIFEST))
			return bad(what, "mediaType", "'%.100s' is not an image manifest", s);
	}
	const json_t *cfg = json_object_get(m, "config");
	if (!cfg)
		return bad(what, "config", "%s", "missing");
	int r = check_descriptor(cfg, what, "config");
	if (r < 0)
		return r;
	const char *cmt = json_string_value(json_object_get(cfg, "mediaType"));
	if (strcmp(cmt, BERTH__MT_OCI_CONFIG) && strcmp(cmt, BERTH__MT_DOCKER_CONFIG))
		return bad(what, "config.mediaType", "'%.100s' is not an image config", cmt);
	const json_t *layers = json_object_get(m, "layers");
	if (!layers)
		return bad(what, "layers", "%s", "missing");
	if (!json_is_array(layers))
		return bad(what, "layers", "%s", "not an array");
	size_t i;
	const json_t *l;
	json_array_foreach((json_t *)layers, i, l) {
		char f[64];
		snprintf(f, sizeof f, "layers[%zu]", i);
		if ((r = check_descriptor(l, what, f)) < 0)
			return r;
	}
	return 0;
}

static int check_opt_string(const json_t *o, const char *key, const char *what, const char *field)
{
	const json_t *v = json_object_get(o, key);
	if (v && !json_is_string(v))
		return bad(what, field, "%s", "not a string");
	return 0;
}

static int check_opt_strings(const json_t *o, const char *key, const char *what, const char *field)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(what, field, "%s", "not an array of strings");
	size_t i;
	const json_t *e;
	json_array_foreach((json_t *)v, i, e)
		if (!json_is_string(e)) {
			char f[64];
			snprintf(f, sizeof f, "%s[%zu]", field, i);
			return bad(what, f, "%s", "not a string");
		}
	return 0;
}

int berth__config_check(const json_t *c, const char *what)
{
	if (!json_is_object(c))
		return berth__err(BERTH_EINVAL, "%s: not a JSON object", what);
	int r;
	static const char *const req[] = { "architecture", "os" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(req); i++) {
		const json_t *v = json_object_get(c, req[i]);
		if (!v)
			return bad(what, req[i], "%s", "missing");
		if (!json_is_string(v))
			return bad(what, req[i], "%s", "not a string");
	}
	if ((r = check_opt_string(c, "created", what, "created")) < 0 ||
	    (r = check_opt_string(c, "variant", what, "variant")) < 0)
		return r;
	const json_t *cc = json_object_get(c, "config");
	if (cc && !json_is_null(cc)) {
		if (!json_is_object(cc))
			return bad(what, "config", "%s", "not an object");
		if ((r = check_opt_strings(cc, "Env", what, "config.Env")) < 0 ||
		    (r = check_opt_strings(cc, "Cmd", what, "config.Cmd")) < 0 ||
		    (r = check_opt_strings(cc, "Entrypoint", what, "config.Entrypoint")) < 0 ||
		    (r = check_opt_string(cc, "WorkingDir", what, "config.WorkingDir")) < 0 ||
		    (r = check_opt_string(cc, "User", what, "config.User")) < 0 ||
		    (r = check_opt_string(cc, "StopSignal", what, "config.StopSignal")) < 0)
			return r;
		static const char *const objs[] = { "ExposedPorts", "Volumes", "Labels" };
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(objs); i++) {
			const json_t *v = json_object_get(cc, objs[i]);
			if (v && !json_is_null(v) && !json_is_object(v)) {
				char f[64];
				snprintf(f, sizeof f, "config.%s", objs[i]);
				return bad(what, f, "%s", "not an object");
			}
		}
	}
	const json_t *rootfs = json_object_get(c, "rootfs");
	if (!rootfs)
		return bad(what, "rootfs", "%s", "missing");
	if (!json_is_object(rootfs))
		return bad(what, "rootfs", "%s", "not an object");
	const char *type = json_string_value(json_object_get(rootfs, "type"));
	if (!type || strcmp(type, "layers"))
		return bad(what, "rootfs.type", "%s", "must be \"layers\"");
	const json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!ids)
		return bad(what, "rootfs.diff_ids", "%s", "missing");
	if (!json_is_array(ids))
		return bad(what, "rootfs.diff_ids", "%s", "not an array");
	size_t i;
	const json_t *e;
	json_array_foreach((json_t *)ids, i, e)
		if (!berth__digest_valid(json_string_value(e))) {
			char f[64];
			snprintf(f, sizeof f, "rootfs.diff_ids[%zu]", i);
			return bad(what, f, "%s", "not a sha256 digest (sha256: and 64 lowercase hex digits)");
		}
	const json_t *h = json_object_get(c, "history");
	if (h && !json_is_null(h) && !json_is_array(h))
		return bad(what, "history", "%s", "not an array");
	return 0;
}

int berth__image_check(const json_t *manifest, const json_t *config, const char *what)
{
	char w[256];
	snprintf(w, sizeof w, "%s: manifest", what);
	int r = berth__manifest_check(manifest, w);
	if (r < 0)
		return r;
	snprintf(w, sizeof w, "%s: config", what);
	if ((r = berth__config_check(config, w)) < 0)
		return r;
	size_t nl = json_array_size(json_object_get(manifest, "layers"));
	size_t nd = json_array_size(json_object_get(json_object_get(config, "rootfs"), "diff_ids"));
	if (nl != nd)
		return berth__err(BERTH_EINVAL, "%s: the manifest has %zu layers but config rootfs.diff_ids has %zu", what,
			nl, nd);
	return 0;
}

int berth__index_check(const json_t *index, const char *what)
{
	if (!json_is_object(index))
		return berth__err(BERTH_EINVAL, "%s: not a JSON object", what);
	const json_t *sv = json_object_get(index, "schemaVersion");
	if (!sv)
		return bad(what, "schemaVersion", "%s", "missing");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return bad(what, "schemaVersion", "%s", "must be 2");
	const json_t *ms = json_object_get(index, "manifests");
	if (!ms)
		return bad(what, "manifests", "%s", "missing");
	if (!json_is_array(ms))
		return bad(what, "manifests", "%s", "not an array");
	size_t i;
	const json_t *d;
	json_array_foreach((json_t *)ms, i, d) {
		char f[64];
		snprintf(f, sizeof f, "manifests[%zu]", i);
		int r = check_descriptor(d, what, f);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *entry_ref(const json_t *d)
{
	return json_string_value(json_object_get(json_object_get(d, "annotations"), BERTH__ANN_REF_NAME));
}

int berth__index_set_ref(json_t *index, const char *media_type, const char *digest, json_int_t size,
	const char *ref)
{
	json_t *ms = json_object_get(index, "manifests");
	if (!json_is_array(ms))
		return berth__err(BERTH_EINVAL, "index.json: manifests: not an array");
	int changed = 0, have = 0;
	for (size_t i = json_array_size(ms); i-- > 0;) {
		const json_t *d = json_array_get(ms, i);
		const char *dg = json_string_value(json_object_get(d, "digest"));
		const char *r = entry_ref(d);
		int same = dg && !strcmp(dg, digest);
		if (ref && r && !strcmp(r, ref) && !same) {
			/* the tag moves to this manifest; the one it leaves stays
			 * (untagged) unless another entry names it: a container may
			 * still run it, a prune must not take it */
			size_t j = 0, n = json_array_size(ms);
			for (; j < n; j++) {
				const char *dj = json_string_value(json_object_get(json_array_get(ms, j), "digest"));
				if (j != i && dj && !strcmp(dj, dg))
					break;
			}
			if (j < n)
				json_array_remove(ms, i);
			else {
				json_t *an = json_object_get(d, "annotations");
				json_object_del(an, BERTH__ANN_REF_NAME);
				if (!json_object_size(an))
					json_object_del((json_t *)d, "annotations");
			}
			changed = 1;
		} else if (ref && same && !r) {
			json_array_remove(ms, i); /* untagged no more */
			changed = 1;
		} else if (same && (!ref || (r && !strcmp(r, ref)))) {
			have = 1;
		}
	}
	if (have)
		return changed;
	json_t *d = ref ? json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", media_type, "digest", digest, "size",
	                            size, "annotations", BERTH__ANN_REF_NAME, ref)
	                : json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size", size);
	if (!d || json_array_append_new(ms, d) < 0)
		return berth__err_nomem();
	return 1;
}

const char *berth__native_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#elif defined(__arm__)
	return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	static __thread char m[65];
	struct utsname u;
	if (uname(&u) < 0)
		return "unknown";
	snprintf(m, sizeof m, "%s", u.machine);
	return m;
#endif
}
