/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the image store's logic (lib/image/store.c, store_layer.c):
 * ChainIDs, the checks of manifests, configs and index.json (errors name the
 * field), index.json tag updates, and the one-pass layer stream. */
#include "image/isal.h"
#include "image/store.h"
#include "testutil.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *msg(void) { return berth_error_last()->message; }

#define ck_msg_has(s) ck_assert_msg(strstr(msg(), (s)) != NULL, "message '%s' lacks '%s'", msg(), (s))

/* ------------------------------------------------------------ ChainID */

/* The vector, computed by hand:
 *   D0=sha256:$(printf layer0 | sha256sum | cut -d' ' -f1)
 *     = sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e
 *   D1=sha256:$(printf layer1 | sha256sum | cut -d' ' -f1)
 *     = sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2
 *   D2=sha256:$(printf layer2 | sha256sum | cut -d' ' -f1)
 *     = sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06
 *   C1=sha256:$(printf '%s %s' $D0 $D1 | sha256sum | cut -d' ' -f1)
 *     = sha256:ef232af0eb422cdfd7917631657cd8ed2bfd5b9461b37c427aa0d3e0a19adf79
 *   C2=sha256:$(printf '%s %s' $C1 $D2 | sha256sum | cut -d' ' -f1)
 *     = sha256:7ad3896338947cc04ee0b35b50d400ff32538d63f42f85ec87feac78bf71a54d */
#define D0 "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e"
#define D1 "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
#define D2 "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
#define C1 "sha256:ef232af0eb422cdfd7917631657cd8ed2bfd5b9461b37c427aa0d3e0a19adf79"
#define C2 "sha256:7ad3896338947cc04ee0b35b50d400ff32538d63f42f85ec87feac78bf71a54d"

START_TEST(test_chain_ids)
{
	const char *ids[] = { D0, D1, D2 };
	char out[3][BERTH__DIGEST_LEN];
	ck_assert_int_eq(berth__chain_ids(out, ids, 3), 0);
	ck_assert_str_eq(out[0], D0); /* ChainID(L0) = DiffID(L0) */
	ck_assert_str_eq(out[1], C1);
	ck_assert_str_eq(out[2], C2);
	/* a prefix of the layers has the same ChainIDs */
	char one[1][BERTH__DIGEST_LEN];
	ck_assert_int_eq(berth__chain_ids(one, ids, 1), 0);
	ck_assert_str_eq(one[0], D0);
	ck_assert_int_eq(berth__chain_ids(out, ids, 0), 0);
	/* bad DiffIDs are named */
	const char *bad[] = { D0, "sha256:XYZ", D2 };
	ck_assert_int_eq(berth__chain_ids(out, bad, 3), BERTH_EINVAL);
	ck_msg_has("rootfs.diff_ids[1]");
	const char *upper[] = { "sha256:4FBEC69B941195FD56F8212A5000E304129451D82EFCA94FF0E0FB2D5355472E" };
	ck_assert_int_eq(berth__chain_ids(out, upper, 1), BERTH_EINVAL);
}
END_TEST

START_TEST(test_digest_valid)
{
	ck_assert(berth__digest_valid(D0));
	ck_assert(!berth__digest_valid(NULL));
	ck_assert(!berth__digest_valid(""));
	ck_assert(!berth__digest_valid(D0 "0"));
	ck_assert(!berth__digest_valid(&D0[7])); /* the hex without "sha256:" */
	ck_assert(!berth__digest_valid("sha512:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e"));
	ck_assert(!berth__digest_valid("sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472"));
	ck_assert(!berth__digest_valid("sha256:../ec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e"));
}
END_TEST

START_TEST(test_media_types)
{
	ck_assert(berth__layer_media_type_ok("application/vnd.oci.image.layer.v1.tar"));
	ck_assert(berth__layer_media_type_ok("application/vnd.oci.image.layer.v1.tar+gzip"));
	ck_assert(berth__layer_media_type_ok("application/vnd.oci.image.layer.v1.tar+zstd"));
	ck_assert(berth__layer_media_type_ok("application/vnd.docker.image.rootfs.diff.tar.gzip"));
	ck_assert(!berth__layer_media_type_ok("application/vnd.oci.image.layer.v1.tar+bzip2"));
	ck_assert(!berth__layer_media_type_ok("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"));
	ck_assert(!berth__layer_media_type_ok(NULL));
	ck_assert_str_eq(berth__native_arch(), "amd64"); /* the test machines are x86-64 */
}
END_TEST

/* ------------------------------------------------------------ manifests */

#define CFG_DESC "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":10}"
#define LAYER_DESC "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D2 "\",\"size\":3}"
#define GOOD_MANIFEST                                                                                     \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":" CFG_DESC \
	",\"layers\":[" LAYER_DESC "]}"

struct bad_json {
	const char *json;
	const char *want; /* a part of the message: the field and the cause */
};

static const struct bad_json bad_manifests[] = {
	{ "[]", "not a JSON object" },
	{ "{\"config\":" CFG_DESC ",\"layers\":[]}", "schemaVersion: missing" },
	{ "{\"schemaVersion\":1,\"config\":" CFG_DESC ",\"layers\":[]}", "schemaVersion: must be 2" },
	{ "{\"schemaVersion\":\"2\",\"config\":" CFG_DESC ",\"layers\":[]}", "schemaVersion: must be 2" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":" CFG_DESC
	  ",\"layers\":[]}", "mediaType: 'application/vnd.oci.image.index.v1+json' is not an image manifest" },
	{ "{\"schemaVersion\":2,\"mediaType\":7,\"config\":" CFG_DESC ",\"layers\":[]}", "mediaType: not a string" },
	{ "{\"schemaVersion\":2,\"layers\":[]}", "config: missing" },
	{ "{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", "config: not an object" },
	{ "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
	  "config.mediaType: missing" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"text/plain\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
	  "config.mediaType: 'text/plain' is not an image config" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":1},"
	  "\"layers\":[]}", "config.digest: missing" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	  "\"digest\":\"md5:abc\",\"size\":1},\"layers\":[]}", "config.digest: 'md5:abc' is not a sha256 digest" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	  "\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}", "config.size: not a non-negative integer" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	  "\"digest\":\"" D1 "\"},\"layers\":[]}", "config.size: missing" },
	{ "{\"schemaVersion\":2,\"config\":" CFG_DESC "}", "layers: missing" },
	{ "{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":{}}", "layers: not an array" },
	{ "{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":[" LAYER_DESC ",{\"mediaType\":\"x\",\"size\":1}]}",
	  "layers[1].digest: missing" },
	{ "{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":[{\"digest\":\"" D2 "\",\"size\":1}]}",
	  "layers[0].mediaType: missing" },
	{ "{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":[7]}", "layers[0]: not an object" },
	{ "{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D2
	  "\",\"size\":1.5}]}", "layers[0].size: not a non-negative integer" },
	{ "{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D2
	  "\",\"size\":1,\"annotations\":{\"a\":1}}]}", "layers[0].annotations.a: not a string" },
};

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
	ck_assert_msg(j != NULL, "test JSON does not parse: %s: %s", s, e.text);
	return j;
}

START_TEST(test_manifest_good)
{
	json_t *m = parse(GOOD_MANIFEST);
	ck_assert_int_eq(berth__manifest_check(m, "manifest x"), 0);
	/* Docker schema 2, and no mediaType at all, are manifests too */
	json_object_set_new(m, "mediaType", json_string("application/vnd.docker.distribution.manifest.v2+json"));
	ck_assert_int_eq(berth__manifest_check(m, "manifest x"), 0);
	json_object_del(m, "mediaType");
	ck_assert_int_eq(berth__manifest_check(m, "manifest x"), 0);
	json_decref(m);
}
END_TEST

START_TEST(test_manifest_bad)
{
	const struct bad_json *b = &bad_manifests[_i];
	json_t *m = parse(b->json);
	ck_assert_int_eq(berth__manifest_check(m, "manifest sha256:abc"), BERTH_EINVAL);
	ck_assert_msg(!strncmp(msg(), "manifest sha256:abc: ", 21), "no prefix: %s", msg());
	ck_msg_has(b->want);
	json_decref(m);
}
END_TEST

/* ------------------------------------------------------------ configs */

#define GOOD_CONFIG                                                                            \
	"{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{" \
	"\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"],\"Labels\":{\"a\":\"b\"},\"ExposedPorts\":{\"80/tcp\":{}}},"  \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D2 "\"]},\"history\":[{\"created_by\":\"x\"}]}"

static const struct bad_json bad_configs[] = {
	{ "\"x\"", "not a JSON object" },
	{ "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "architecture: missing" },
	{ "{\"architecture\":\"amd64\",\"os\":1,\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "os: not a string" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\"}", "rootfs: missing" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":[]}", "rootfs: not an object" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"tar\",\"diff_ids\":[]}}",
	  "rootfs.type: must be \"layers\"" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}", "rootfs.diff_ids: missing" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":\"x\"}}",
	  "rootfs.diff_ids: not an array" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D0 "\",\"x\"]}}",
	  "rootfs.diff_ids[1]: not a sha256 digest" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":5,\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	  "created: not a string" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":[],\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	  "config: not an object" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":\"PATH=/\"},"
	  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "config.Env: not an array of strings" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\",1]},"
	  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "config.Cmd[1]: not a string" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"WorkingDir\":[]},"
	  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "config.WorkingDir: not a string" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":[\"a\"]},"
	  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "config.Labels: not an object" },
	{ "{\"architecture\":\"amd64\",\"os\":\"linux\",\"history\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	  "history: not an array" },
};

START_TEST(test_config_good)
{
	json_t *c = parse(GOOD_CONFIG);
	ck_assert_int_eq(berth__config_check(c, "config x"), 0);
	/* null Cmd/Entrypoint, as Docker writes them */
	json_object_set_new(json_object_get(c, "config"), "Entrypoint", json_null());
	ck_assert_int_eq(berth__config_check(c, "config x"), 0);
	json_decref(c);
}
END_TEST

START_TEST(test_config_bad)
{
	const struct bad_json *b = &bad_configs[_i];
	json_t *c = parse(b->json);
	ck_assert_int_eq(berth__config_check(c, "image sha256:abc: config"), BERTH_EINVAL);
	ck_assert_msg(!strncmp(msg(), "image sha256:abc: config: ", 26), "no prefix: %s", msg());
	ck_msg_has(b->want);
	json_decref(c);
}
END_TEST

START_TEST(test_image_check)
{
	json_t *m = parse(GOOD_MANIFEST), *c = parse(GOOD_CONFIG);
	ck_assert_int_eq(berth__image_check(m, c, "image x"), 0);
	/* one more DiffID than layers */
	json_array_append_new(json_object_get(json_object_get(c, "rootfs"), "diff_ids"), json_string(D0));
	ck_assert_int_eq(berth__image_check(m, c, "image x"), BERTH_EINVAL);
	ck_msg_has("the manifest has 1 layers but config rootfs.diff_ids has 2");
	/* each part is named */
	json_object_set_new(m, "schemaVersion", json_integer(3));
	ck_assert_int_eq(berth__image_check(m, c, "image x"), BERTH_EINVAL);
	ck_msg_has("image x: manifest: schemaVersion");
	json_object_set_new(m, "schemaVersion", json_integer(2));
	json_object_del(c, "os");
	ck_assert_int_eq(berth__image_check(m, c, "image x"), BERTH_EINVAL);
	ck_msg_has("image x: config: os: missing");
	json_decref(m);
	json_decref(c);
}
END_TEST

/* ------------------------------------------------------------ index.json */

#define MT "application/vnd.oci.image.manifest.v1+json"

static const char *ref_of(json_t *index, size_t i)
{
	json_t *d = json_array_get(json_object_get(index, "manifests"), i);
	return json_string_value(json_object_get(json_object_get(d, "annotations"), "org.opencontainers.image.ref.name"));
}

static const char *digest_of(json_t *index, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(index, "manifests"), i), "digest"));
}

START_TEST(test_index_check)
{
	json_t *ix = parse("{\"schemaVersion\":2,\"manifests\":[]}");
	ck_assert_int_eq(berth__index_check(ix, "index.json"), 0);
	json_decref(ix);
	ix = parse("{\"manifests\":[]}");
	ck_assert_int_eq(berth__index_check(ix, "index.json"), BERTH_EINVAL);
	ck_msg_has("index.json: schemaVersion: missing");
	json_decref(ix);
	ix = parse("{\"schemaVersion\":2}");
	ck_assert_int_eq(berth__index_check(ix, "index.json"), BERTH_EINVAL);
	ck_msg_has("manifests: missing");
	json_decref(ix);
	ix = parse("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT "\",\"digest\":\"" D0
	           "\",\"size\":1},{\"mediaType\":\"" MT "\",\"digest\":\"sha256:1\",\"size\":1}]}");
	ck_assert_int_eq(berth__index_check(ix, "index.json"), BERTH_EINVAL);
	ck_msg_has("manifests[1].digest: 'sha256:1' is not a sha256 digest");
	json_decref(ix);
}
END_TEST

START_TEST(test_index_set_ref)
{
	json_t *ix = parse("{\"schemaVersion\":2,\"manifests\":[]}");
	json_t *ms = json_object_get(ix, "manifests");
	/* untagged, then the same again: one entry */
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D0, 10, NULL), 1);
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D0, 10, NULL), 0);
	ck_assert_int_eq(json_array_size(ms), 1);
	ck_assert_ptr_null(ref_of(ix, 0));
	/* tagging replaces the untagged entry */
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D0, 10, "docker.io/library/a:1"), 1);
	ck_assert_int_eq(json_array_size(ms), 1);
	ck_assert_str_eq(ref_of(ix, 0), "docker.io/library/a:1");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ms, 0), "size")), 10);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ms, 0), "mediaType")), MT);
	/* the same (manifest, ref) again: no change; an untagged add: no change */
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D0, 10, "docker.io/library/a:1"), 0);
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D0, 10, NULL), 0);
	/* a second ref on the same manifest: a second entry */
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D0, 10, "docker.io/library/b:1"), 1);
	ck_assert_int_eq(json_array_size(ms), 2);
	/* the ref moves to another manifest */
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D1, 20, "docker.io/library/a:1"), 1);
	ck_assert_int_eq(json_array_size(ms), 2);
	ck_assert_str_eq(ref_of(ix, 0), "docker.io/library/b:1");
	ck_assert_str_eq(digest_of(ix, 0), D0);
	ck_assert_str_eq(ref_of(ix, 1), "docker.io/library/a:1");
	ck_assert_str_eq(digest_of(ix, 1), D1);
	/* moving the last ref of a manifest leaves it untagged (dangling, not gone) */
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D2, 30, "docker.io/library/a:1"), 1);
	ck_assert_int_eq(json_array_size(ms), 3);
	ck_assert_str_eq(digest_of(ix, 1), D1);
	ck_assert_ptr_null(ref_of(ix, 1));
	ck_assert_ptr_null(json_object_get(json_array_get(ms, 1), "annotations"));
	ck_assert_str_eq(ref_of(ix, 2), "docker.io/library/a:1");
	ck_assert_str_eq(digest_of(ix, 2), D2);
	/* tagging the dangling one again replaces its untagged entry */
	ck_assert_int_eq(berth__index_set_ref(ix, MT, D1, 20, "docker.io/library/c:1"), 1);
	ck_assert_int_eq(json_array_size(ms), 3);
	ck_assert_str_eq(ref_of(ix, 2), "docker.io/library/c:1");
	ck_assert_int_eq(berth__index_check(ix, "index.json"), 0);
	json_decref(ix);
}
END_TEST

/* ------------------------------------------------------------ layer stream */

static char tdir[] = "/tmp/berth-unit-store-XXXXXX";

static void sh(const char *fmt, ...) BERTH_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void file_sha(char hex[65], const char *path, uint64_t *size)
{
	char *buf;
	size_t len;
	ck_assert_int_eq(berth__read_file(&buf, &len, path), 0);
	berth__sha256_ctx c;
	berth__sha256_init(&c);
	berth__sha256_update(&c, buf, len);
	berth__sha256_final_hex(&c, hex);
	*size = len;
	free(buf);
}

static int stream_file(berth__layer_result *res, const char *path, const char *dest, int copy_fd)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	int dfd = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	int r = berth__layer_stream(res, dfd, fd, copy_fd, "layer t");
	close(dfd);
	close(fd);
	return r;
}

START_TEST(test_layer_stream)
{
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	sh("cd %s && mkdir -p src/d && echo hello > src/d/f && ln -s f src/d/l && tar -C src -cf l.tar . && "
	   "gzip -kn l.tar && zstd -q l.tar -o l.tar.zst && printf 'not a tar' > bad && : > empty && "
	   "head -c 3000 l.tar > trunc.tar",
	   tdir);
	char p[512], d[512], want_diff[65], h[65];
	uint64_t tar_size, sz;
	snprintf(p, sizeof p, "%s/l.tar", tdir);
	file_sha(want_diff, p, &tar_size);

	/* plain: blob = DiffID, a copy is the same bytes */
	berth__layer_result res;
	snprintf(d, sizeof d, "%s/out1", tdir);
	char cp[512];
	snprintf(cp, sizeof cp, "%s/copy", tdir);
	int cfd = open(cp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(stream_file(&res, p, d, cfd), 0);
	close(cfd);
	ck_assert_str_eq(res.diff_hex, want_diff);
	ck_assert_str_eq(res.blob_hex, want_diff);
	ck_assert_uint_eq(res.diff_size, tar_size);
	file_sha(h, cp, &sz);
	ck_assert_str_eq(h, want_diff);
	sh("cmp -s %s/src/d/f %s/out1/d/f && test -L %s/out1/d/l", tdir, tdir, tdir);

	/* gzip and zstd: the blob digest is of the compressed file, the DiffID the same */
	static const char *const comp[] = { "l.tar.gz", "l.tar.zst" };
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/%s", tdir, comp[i]);
		snprintf(d, sizeof d, "%s/out-%d", tdir, i);
		ck_assert_int_eq(stream_file(&res, p, d, -1), 0);
		file_sha(h, p, &sz);
		ck_assert_str_eq(res.blob_hex, h);
		ck_assert_uint_eq(res.blob_size, sz);
		ck_assert_str_eq(res.diff_hex, want_diff);
		sh("cmp -s %s/src/d/f %s/d/f", tdir, d);
	}

	/* bad inputs: clear errors */
	snprintf(p, sizeof p, "%s/bad", tdir);
	snprintf(d, sizeof d, "%s/out-bad", tdir);
	ck_assert_int_eq(stream_file(&res, p, d, -1), BERTH_EINVAL);
	ck_msg_has("layer t: ");
	ck_msg_has("tar");
	snprintf(p, sizeof p, "%s/empty", tdir);
	snprintf(d, sizeof d, "%s/out-empty", tdir);
	ck_assert_int_eq(stream_file(&res, p, d, -1), BERTH_EINVAL);
	ck_msg_has("layer t: empty input, not a tar archive");
	snprintf(p, sizeof p, "%s/trunc.tar", tdir);
	snprintf(d, sizeof d, "%s/out-trunc", tdir);
	ck_assert_int_eq(stream_file(&res, p, d, -1), BERTH_EINVAL);
	sh("rm -rf %s", tdir);
}
END_TEST

/* gzip layers (through ISA-L when it loads): several input chunks,
 * concatenated members, trailing bytes, truncation, a bad CRC */
START_TEST(test_layer_stream_gzip)
{
#ifdef BERTH_HAVE_ISAL
	ck_assert_int_eq(berth__isal_ok(), 1); /* scripts/deps.sh installs libisal */
#endif
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	sh("cd %s && mkdir -p src && head -c 3000000 /dev/urandom > src/big && seq 1 200000 > src/text && "
	   "tar -C src -cf l.tar . && gzip -kn l.tar && "
	   "head -c 1000000 l.tar | gzip -n > a.gz && tail -c +1000001 l.tar | gzip -n > b.gz && cat a.gz b.gz > multi.gz && "
	   "cp l.tar.gz trailing.gz && printf 'trailing bytes' >> trailing.gz && "
	   "head -c 200000 l.tar.gz > trunc.gz && "
	   "cp l.tar.gz badcrc.gz && n=$(stat -c %%s badcrc.gz) && printf '\\377' | dd of=badcrc.gz bs=1 seek=$((n-6)) conv=notrunc status=none",
	   tdir);
	char p[512], d[512], want_diff[65], h[65];
	uint64_t tar_size, sz;
	snprintf(p, sizeof p, "%s/l.tar", tdir);
	file_sha(want_diff, p, &tar_size);
	static const char *const good[] = { "l.tar.gz", "multi.gz", "trailing.gz" };
	berth__layer_result res;
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", tdir, good[i]);
		snprintf(d, sizeof d, "%s/out-%d", tdir, i);
		ck_assert_msg(stream_file(&res, p, d, -1) == 0, "%s: %s", good[i], berth_error_last()->message);
		file_sha(h, p, &sz);
		ck_assert_str_eq(res.blob_hex, h);
		ck_assert_uint_eq(res.blob_size, sz);
		ck_assert_str_eq(res.diff_hex, want_diff);
		ck_assert_uint_eq(res.diff_size, tar_size);
		sh("cmp -s %s/src/big %s/big && cmp -s %s/src/text %s/text", tdir, d, tdir, d);
	}
	snprintf(p, sizeof p, "%s/trunc.gz", tdir);
	snprintf(d, sizeof d, "%s/out-trunc", tdir);
	ck_assert_int_eq(stream_file(&res, p, d, -1), BERTH_EINVAL);
	ck_msg_has("layer t: ");
#ifdef BERTH_HAVE_ISAL
	ck_msg_has("truncated gzip stream");
#endif
	snprintf(p, sizeof p, "%s/badcrc.gz", tdir);
	snprintf(d, sizeof d, "%s/out-crc", tdir);
	ck_assert_int_eq(stream_file(&res, p, d, -1), BERTH_EINVAL);
	ck_msg_has("layer t: cannot decompress: ");
#ifdef BERTH_HAVE_ISAL
	ck_msg_has("gzip CRC or size mismatch");
#endif
	sh("rm -rf %s", tdir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("logic");
	tcase_add_test(tc, test_chain_ids);
	tcase_add_test(tc, test_digest_valid);
	tcase_add_test(tc, test_media_types);
	tcase_add_test(tc, test_manifest_good);
	tcase_add_loop_test(tc, test_manifest_bad, 0, (int)BERTH_ARRAY_SIZE(bad_manifests));
	tcase_add_test(tc, test_config_good);
	tcase_add_loop_test(tc, test_config_bad, 0, (int)BERTH_ARRAY_SIZE(bad_configs));
	tcase_add_test(tc, test_image_check);
	tcase_add_test(tc, test_index_check);
	tcase_add_test(tc, test_index_set_ref);
	suite_add_tcase(s, tc);
	TCase *tl = tcase_create("layers");
	tcase_set_timeout(tl, 120); /* megabytes through the sanitizers on a loaded machine */
	tcase_add_test(tl, test_layer_stream);
	tcase_add_test(tl, test_layer_stream_gzip);
	suite_add_tcase(s, tl);
	return s;
}

int main(void) { return tu_run_suite(suite()); }
