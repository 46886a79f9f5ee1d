/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The image store through the public API, on real files under per-test
 * roots: import, open, inspect, layer dirs, tag, remove, prune, bad input,
 * concurrency, and interoperability with skopeo and umoci (which must read
 * <root>/images as the OCI image layout it is). */
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *msg(void) { return berth_error_last()->message; }

#define ck_msg_has(s) ck_assert_msg(strstr(msg(), (s)) != NULL, "message '%s' lacks '%s'", msg(), (s))

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Output of a shell command (stdout and stderr); *status its exit code. */
static char *run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run(int *status, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	buf[len] = '\0';
	int st = pclose(f);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return buf;
}

static size_t strv_len(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static int strv_has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static int entries(tu_env *e, const char *rel)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", e->root, rel);
	return tu_dir_entries(p);
}

/* A tarball of the busybox test rootfs in the test's dir: "" (plain), "gz" or "zst". */
static void make_tar(tu_env *e, char *path, size_t len, const char *comp)
{
	snprintf(path, len, "%s/rootfs.tar", e->dir);
	if (access(path, F_OK) != 0)
		ck_assert_int_eq(sh("tar -C '%s' --numeric-owner -cf '%s' .", tu_rootfs(), path), 0);
	if (!strcmp(comp, "gz")) {
		ck_assert_int_eq(sh("gzip -kfn '%s'", path), 0);
		strncat(path, ".gz", len - strlen(path) - 1);
	} else if (!strcmp(comp, "zst")) {
		ck_assert_int_eq(sh("zstd -qf '%s' -o '%s.zst'", path, path), 0);
		strncat(path, ".zst", len - strlen(path) - 1);
	}
}

/* The index.json's manifests, one "digest ref" line each (python reads it). */
static char *index_lines(tu_env *e)
{
	int st;
	char *out = run(&st,
		"python3 -c 'import json,sys; ix=json.load(open(sys.argv[1])); "
		"assert ix[\"schemaVersion\"]==2 and ix[\"mediaType\"]==\"application/vnd.oci.image.index.v1+json\"; "
		"[print(m[\"digest\"], m.get(\"annotations\",{}).get(\"org.opencontainers.image.ref.name\",\"-\")) "
		"for m in ix[\"manifests\"]]' '%s/images/index.json'",
		e->root);
	ck_assert_msg(st == 0, "index.json: %s", out);
	return out;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void assert_store_clean(tu_env *e)
{
	ck_assert_int_eq(entries(e, "images/blobs/sha256"), 0);
	ck_assert_int_eq(entries(e, "images/.tmp"), 0);
	ck_assert_int_eq(entries(e, "layers"), 0);
	char p[600];
	snprintf(p, sizeof p, "%s/images/index.json", e->root);
	if (access(p, F_OK) == 0) {
		char *ix = index_lines(e);
		ck_assert_str_eq(ix, "");
		free(ix);
	}
}

/* ------------------------------------------------------------ import, open */

START_TEST(test_import_open)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");

	berth_image *img = NULL, *o = NULL;
	tu_ok(berth_image_import(&img, e.ctx, tar, "busybox:test"));
	const char *id = berth_image_id(img);
	ck_assert_int_eq(strlen(id), 71);
	ck_assert(!strncmp(id, "sha256:", 7));

	/* by reference (short and full), by id, by id prefix with and without sha256: */
	const char *names[] = { "busybox:test", "docker.io/library/busybox:test", id, id + 7, NULL, NULL };
	char p1[32], p2[32];
	snprintf(p1, sizeof p1, "%.12s", id + 7);
	snprintf(p2, sizeof p2, "sha256:%.8s", id + 7);
	names[4] = p1;
	names[5] = p2;
	for (size_t i = 0; i < 6; i++) {
		o = NULL;
		int r = berth_image_open(&o, e.ctx, names[i]);
		ck_assert_msg(r == 0, "open %s: %s", names[i], msg());
		ck_assert_str_eq(berth_image_id(o), id);
		berth_image_free(o);
	}
	o = NULL;
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "busybox"), BERTH_ENOTFOUND); /* :latest */
	ck_msg_has("busybox");
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "sha256:0000000000000000000000000000000000000000000000000000000000000000"),
		BERTH_ENOTFOUND);
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "Busy Box"), BERTH_EINVAL);
	ck_assert_int_eq(berth_image_open(&o, e.ctx, ""), BERTH_EINVAL);
	ck_assert_ptr_null(o);

	/* the layer: <root>/layers/<chainid>, holding the rootfs */
	char **dirs = NULL;
	tu_ok(berth_image_layer_dirs(&dirs, img));
	ck_assert_uint_eq(strv_len(dirs), 1);
	char p[700];
	snprintf(p, sizeof p, "%s/layers/", e.root);
	ck_assert_msg(!strncmp(dirs[0], p, strlen(p)), "layer dir %s", dirs[0]);
	snprintf(p, sizeof p, "%s/bin/busybox", dirs[0]);
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode) && (st.st_mode & 0111));
	snprintf(p, sizeof p, "%s/bin/sh", dirs[0]);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	/* a one-layer image: ChainID = DiffID = sha256 of the tar = the layer blob */
	int sst;
	char *sum = run(&sst, "sha256sum '%s' | cut -d' ' -f1", tar);
	ck_assert_int_eq(sst, 0);
	ck_assert_int_eq(strncmp(strrchr(dirs[0], '/') + 1, sum, 64), 0);
	snprintf(p, sizeof p, "%s/images/blobs/sha256/%.64s", e.root, sum);
	ck_assert_int_eq(access(p, F_OK), 0);
	berth_free(dirs);

	/* inspect */
	char *js = NULL;
	tu_ok(berth_image_inspect(&js, img));
	char want[200];
	snprintf(want, sizeof want, "\"Id\": \"%s\"", id);
	ck_assert_msg(strstr(js, want), "inspect: %s", js);
	int ist;
	char path[700];
	snprintf(path, sizeof path, "%s/inspect.json", e.dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(js, f);
	fclose(f);
	char *chk = run(&ist,
		"python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); "
		"assert j[\"RepoTags\"]==[\"busybox:test\"], j[\"RepoTags\"]; "
		"assert j[\"RootFS\"][\"Type\"]==\"layers\" and j[\"RootFS\"][\"Layers\"]==[\"sha256:%.64s\"]; "
		"assert j[\"Architecture\"]==\"amd64\" and j[\"Os\"]==\"linux\"; "
		"assert j[\"Config\"][\"Env\"][0].startswith(\"PATH=\") and j[\"Config\"][\"Cmd\"] is None; "
		"assert j[\"Size\"]>1000 and j[\"Created\"].endswith(\"Z\"); "
		"assert j[\"History\"][0][\"created_by\"]==\"berth import\"; "
		"assert j[\"History\"][0][\"comment\"]==\"imported from rootfs.tar\"' '%s'",
		sum, path);
	ck_assert_msg(ist == 0, "inspect JSON: %s\n%s", chk, js);
	free(chk);
	berth_free(js);
	tu_ok(berth_image_config(&js, img));
	ck_assert_msg(strstr(js, "\"Env\":[\"PATH=/usr/local/sbin:") != NULL, "config: %s", js);
	berth_free(js);
	char **tags = NULL;
	tu_ok(berth_image_tags(&tags, img));
	ck_assert_uint_eq(strv_len(tags), 1);
	ck_assert_str_eq(tags[0], "docker.io/library/busybox:test");
	berth_free(tags);
	free(sum);

	/* the layout: oci-layout, index.json with one annotated entry */
	char *ix = index_lines(&e);
	ck_assert_int_eq(count_lines(ix), 1);
	ck_assert_msg(strstr(ix, " docker.io/library/busybox:test\n"), "index: %s", ix);
	free(ix);
	char *ol = run(&ist, "cat '%s/images/oci-layout'", e.root);
	ck_assert_str_eq(ol, "{\"imageLayoutVersion\":\"1.0.0\"}");
	free(ol);

	/* skopeo and umoci read it */
	char *out = run(&ist, "skopeo inspect --raw 'oci:%s/images:docker.io/library/busybox:test'", e.root);
	ck_assert_msg(ist == 0, "skopeo inspect --raw: %s", out);
	ck_assert_msg(strstr(out, "application/vnd.oci.image.manifest.v1+json") && strstr(out, id),
		"skopeo raw: %s", out);
	free(out);
	out = run(&ist, "skopeo inspect 'oci:%s/images:docker.io/library/busybox:test'", e.root);
	ck_assert_msg(ist == 0 && strstr(out, "\"Architecture\": \"amd64\""), "skopeo inspect: %s", out);
	free(out);
	out = run(&ist, "umoci ls --layout '%s/images'", e.root);
	ck_assert_msg(ist == 0 && strstr(out, "docker.io/library/busybox:test"), "umoci ls: %s", out);
	free(out);
	/* skopeo copies it (checking every digest) */
	out = run(&ist, "skopeo copy -q 'oci:%s/images:docker.io/library/busybox:test' 'oci:%s/copy:x'", e.root, e.dir);
	ck_assert_msg(ist == 0, "skopeo copy: %s", out);
	free(out);
	/* umoci unpacks it to the same tree */
	out = run(&ist, "umoci unpack --image '%s/images:docker.io/library/busybox:test' '%s/bundle' && "
	                "cmp '%s/bundle/rootfs/bin/busybox' '%s/bin/busybox'",
		e.root, e.dir, e.dir, tu_rootfs());
	ck_assert_msg(ist == 0, "umoci unpack: %s", out);
	free(out);

	berth_image_free(img);
	tu_env_cleanup(&e);
}
END_TEST

START_TEST(test_import_compressed)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600], gz[600], zst[600];
	make_tar(&e, tar, sizeof tar, "");
	make_tar(&e, gz, sizeof gz, "gz");
	make_tar(&e, zst, sizeof zst, "zst");
	berth_image *a = NULL, *b = NULL, *c = NULL;
	tu_ok(berth_image_import(&a, e.ctx, tar, "x:plain"));
	tu_ok(berth_image_import(&b, e.ctx, gz, "x:gz"));
	tu_ok(berth_image_import(&c, e.ctx, zst, NULL)); /* untagged */
	/* the same tar stream: the same DiffID, one layer dir, one layer blob */
	ck_assert_int_eq(entries(&e, "layers"), 1);
	ck_assert_int_eq(entries(&e, "images/blobs/sha256"), 1 + 3 * 2);
	char **da = NULL, **dc = NULL;
	tu_ok(berth_image_layer_dirs(&da, a));
	tu_ok(berth_image_layer_dirs(&dc, c));
	ck_assert_str_eq(da[0], dc[0]);
	berth_free(da);
	berth_free(dc);
	char **tags = NULL;
	tu_ok(berth_image_tags(&tags, c));
	ck_assert_uint_eq(strv_len(tags), 0);
	berth_free(tags);
	char **ids = NULL;
	tu_ok(berth_image_list(&ids, e.ctx));
	ck_assert_uint_eq(strv_len(ids), 3);
	ck_assert(strv_has(ids, berth_image_id(c)));
	berth_free(ids);
	char *ix = index_lines(&e);
	ck_assert_msg(strstr(ix, " -\n"), "the untagged entry: %s", ix);
	free(ix);
	berth_image_free(a);
	berth_image_free(b);
	berth_image_free(c);
	tu_env_cleanup(&e);
}
END_TEST

/* ------------------------------------------------------------ tag, remove, prune */

START_TEST(test_tag_remove_prune)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");
	berth_image *img = NULL, *o = NULL;
	tu_ok(berth_image_import(&img, e.ctx, tar, "busybox:test"));
	char id[80];
	snprintf(id, sizeof id, "%s", berth_image_id(img));

	tu_ok(berth_image_tag(e.ctx, "busybox:test", "other/name:1"));
	tu_ok(berth_image_tag(e.ctx, "busybox:test", "other/name:1")); /* again: no change */
	ck_assert_int_eq(berth_image_tag(e.ctx, "busybox:test", "Bad:Ref"), BERTH_EINVAL);
	ck_assert_int_eq(berth_image_tag(e.ctx, "busybox:test",
		"x@sha256:0000000000000000000000000000000000000000000000000000000000000000"), BERTH_EINVAL);
	ck_msg_has("digest");
	ck_assert_int_eq(berth_image_tag(e.ctx, "nope:1", "x:1"), BERTH_ENOTFOUND);
	char **ids = NULL, **tags = NULL;
	tu_ok(berth_image_list(&ids, e.ctx));
	ck_assert_uint_eq(strv_len(ids), 1);
	ck_assert_str_eq(ids[0], id);
	berth_free(ids);
	tu_ok(berth_image_tags(&tags, img));
	ck_assert_uint_eq(strv_len(tags), 2);
	ck_assert(strv_has(tags, "docker.io/library/busybox:test"));
	ck_assert(strv_has(tags, "docker.io/other/name:1"));
	berth_free(tags);
	char *js = NULL;
	tu_ok(berth_image_inspect(&js, img));
	ck_assert_msg(strstr(js, "\"busybox:test\"") && strstr(js, "\"other/name:1\""), "inspect: %s", js);
	berth_free(js);
	char *ix = index_lines(&e);
	ck_assert_int_eq(count_lines(ix), 2);
	free(ix);
	int st;
	char *out = run(&st, "umoci ls --layout '%s/images'", e.root);
	ck_assert_msg(st == 0 && strstr(out, "docker.io/other/name:1") && strstr(out, "docker.io/library/busybox:test"),
		"umoci ls: %s", out);
	free(out);

	/* a tag moves: a second image takes other/name:1 */
	berth_image *img2 = NULL;
	tu_ok(berth_image_import(&img2, e.ctx, tar, "second:1"));
	tu_ok(berth_image_tag(e.ctx, "second:1", "other/name:1"));
	tu_ok(berth_image_open(&o, e.ctx, "other/name:1"));
	ck_assert_str_eq(berth_image_id(o), berth_image_id(img2));
	berth_image_free(o);
	tu_ok(berth_image_tag(e.ctx, id, "other/name:1")); /* by id: back */
	tu_ok(berth_image_open(&o, e.ctx, "other/name:1"));
	ck_assert_str_eq(berth_image_id(o), id);
	berth_image_free(o);
	tu_ok(berth_image_remove(e.ctx, "second:1", 0));
	berth_image_free(img2);

	/* removing one ref leaves the image */
	tu_ok(berth_image_remove(e.ctx, "busybox:test", 0));
	o = NULL;
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "busybox:test"), BERTH_ENOTFOUND);
	tu_ok(berth_image_open(&o, e.ctx, "other/name:1"));
	berth_image_free(o);
	tu_ok(berth_image_open(&o, e.ctx, id));
	berth_image_free(o);
	tu_ok(berth_image_tags(&tags, img));
	ck_assert_uint_eq(strv_len(tags), 1);
	ck_assert_str_eq(tags[0], "docker.io/other/name:1");
	berth_free(tags);
	ck_assert_int_eq(berth_image_remove(e.ctx, "busybox:test", 0), BERTH_ENOTFOUND);

	/* removing the last one removes the image; blobs and layers stay until prune */
	tu_ok(berth_image_remove(e.ctx, "other/name:1", 0));
	ck_assert_int_eq(berth_image_open(&o, e.ctx, id), BERTH_ENOTFOUND);
	tu_ok(berth_image_list(&ids, e.ctx));
	ck_assert_uint_eq(strv_len(ids), 0);
	berth_free(ids);
	ck_assert_int_eq(entries(&e, "layers"), 1);
	ck_assert_int_gt(entries(&e, "images/blobs/sha256"), 0);

	/* leftovers of a writer that died: prune removes them too */
	ck_assert_int_eq(sh("cd '%s' && echo x > images/index.json.tmp.1.1 && echo y > images/.tmp/blob-dead && "
	                    "mkdir layers/.tmp-dead && echo z > layers/.tmp-dead/f", e.root), 0);
	uint64_t freed = 0;
	tu_ok(berth_image_prune(&freed, e.ctx));
	ck_assert_uint_gt(freed, 2 * 1000 * 1000); /* the busybox blob and its unpacked copy */
	assert_store_clean(&e);
	char lp[600];
	snprintf(lp, sizeof lp, "%s/images/index.json.tmp.1.1", e.root);
	ck_assert_int_ne(access(lp, F_OK), 0);
	tu_ok(berth_image_prune(&freed, e.ctx));
	ck_assert_uint_eq(freed, 0);
	tu_ok(berth_image_prune(NULL, e.ctx));

	/* the store is still a valid layout: umoci lists nothing, and after a new import skopeo reads it */
	out = run(&st, "umoci ls --layout '%s/images'", e.root);
	ck_assert_msg(st == 0 && out[0] == '\0', "umoci ls: %s", out);
	free(out);
	berth_image_free(img);
	tu_ok(berth_image_import(&img, e.ctx, tar, "again:1"));
	out = run(&st, "skopeo inspect --raw 'oci:%s/images:docker.io/library/again:1'", e.root);
	ck_assert_msg(st == 0 && strstr(out, "application/vnd.oci.image.manifest.v1+json"), "skopeo: %s", out);
	free(out);
	/* prune keeps what is used */
	tu_ok(berth_image_prune(&freed, e.ctx));
	ck_assert_uint_eq(freed, 0);
	char **dirs = NULL;
	tu_ok(berth_image_layer_dirs(&dirs, img));
	berth_free(dirs);
	/* remove by id */
	tu_ok(berth_image_remove(e.ctx, berth_image_id(img), 0));
	tu_ok(berth_image_list(&ids, e.ctx));
	ck_assert_uint_eq(strv_len(ids), 0);
	berth_free(ids);
	berth_image_free(img);
	tu_env_cleanup(&e);
}
END_TEST

START_TEST(test_remove_busy)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");
	berth_image *img = NULL;
	tu_ok(berth_image_import(&img, e.ctx, tar, "busybox:test"));
	const char *id = berth_image_id(img);
	/* a container's config names the image */
	ck_assert_int_eq(sh("mkdir -p '%s/containers/x' && printf '{\"ociVersion\":\"1.0.2\",\"annotations\":"
	                    "{\"io.berth.image\":\"%s\"}}' > '%s/containers/x/config.json'",
	                    e.root, id, e.root), 0);
	ck_assert_int_eq(sh("mkdir -p '%s/containers/y' && echo '{' > '%s/containers/y/config.json'", e.root, e.root), 0);
	ck_assert_int_eq(berth_image_remove(e.ctx, "busybox:test", 0), BERTH_EBUSY);
	char want[200];
	snprintf(want, sizeof want, "is used by container x");
	ck_msg_has(want);
	ck_assert_int_eq(berth_image_remove(e.ctx, id, 0), BERTH_EBUSY);
	ck_msg_has(id);
	/* untagging while another tag remains is fine */
	tu_ok(berth_image_tag(e.ctx, id, "two:1"));
	tu_ok(berth_image_remove(e.ctx, "busybox:test", 0));
	ck_assert_int_eq(berth_image_remove(e.ctx, "two:1", 0), BERTH_EBUSY);
	berth_image *o = NULL;
	tu_ok(berth_image_open(&o, e.ctx, "two:1"));
	berth_image_free(o);
	/* forced */
	tu_ok(berth_image_remove(e.ctx, "two:1", BERTH_IMAGE_REMOVE_FORCE));
	ck_assert_int_eq(berth_image_open(&o, e.ctx, id), BERTH_ENOTFOUND);
	ck_assert_int_eq(berth_image_remove(e.ctx, "x", 0x80), BERTH_EINVAL);
	ck_assert_int_eq(sh("rm -rf '%s/containers/x' '%s/containers/y'", e.root, e.root), 0);
	berth_image_free(img);
	tu_env_cleanup(&e);
}
END_TEST

/* ------------------------------------------------------------ bad input */

START_TEST(test_import_bad)
{
	tu_env e;
	tu_env_init(&e);
	berth_image *img = NULL;
	char p[700];

	/* a bad ref: nothing is even created */
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");
	ck_assert_int_eq(berth_image_import(&img, e.ctx, tar, "Busybox"), BERTH_EINVAL);
	ck_msg_has("must be lowercase");
	snprintf(p, sizeof p, "%s/images", e.root);
	ck_assert_int_ne(access(p, F_OK), 0);

	ck_assert_int_eq(berth_image_import(&img, e.ctx, tar,
		"x@sha256:0000000000000000000000000000000000000000000000000000000000000000"), BERTH_EINVAL);
	ck_msg_has("a tag cannot contain a digest");
	ck_assert_int_ne(access(p, F_OK), 0);

	/* a missing file */
	snprintf(p, sizeof p, "%s/nope.tar", e.dir);
	ck_assert_int_eq(berth_image_import(&img, e.ctx, p, "x:1"), BERTH_ENOTFOUND);
	ck_msg_has(p);

	/* a hostile tar, plain and gzip-compressed: "../x" */
	ck_assert_int_eq(sh("cd '%s' && python3 -c 'import tarfile,io\n"
	                    "t=tarfile.open(\"hostile.tar\",\"w\")\n"
	                    "for n in (\"ok\",\"../x\"):\n"
	                    "  i=tarfile.TarInfo(n); i.size=2; t.addfile(i, io.BytesIO(b\"hi\"))\n"
	                    "t.close()' && gzip -kn hostile.tar",
	                    e.dir), 0);
	static const char *const bad[] = { "hostile.tar", "hostile.tar.gz" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/%s", e.dir, bad[i]);
		ck_assert_int_eq(berth_image_import(&img, e.ctx, p, "hostile:1"), BERTH_EINVAL);
		ck_msg_has("'../x'");
		ck_msg_has(p);
		assert_store_clean(&e);
	}
	snprintf(p, sizeof p, "%s/x", e.dir);
	ck_assert_int_ne(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/x", e.root);
	ck_assert_int_ne(access(p, F_OK), 0);

	/* not a tar; empty; a directory; a truncated tar; bad gzip */
	ck_assert_int_eq(sh("cd '%s' && echo 'just some text' > text && : > empty && "
	                    "head -c 10000 rootfs.tar > trunc.tar && head -c 5000 rootfs.tar | gzip -n | head -c 2000 > trunc.gz",
	                    e.dir), 0);
	static const char *const notar[] = { "text", "empty", "trunc.tar", "trunc.gz", "" };
	for (size_t i = 0; i < sizeof notar / sizeof notar[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", e.dir, notar[i]);
		int r = berth_image_import(&img, e.ctx, p, "bad:1");
		ck_assert_msg(r == BERTH_EINVAL, "%s: %d %s", notar[i], r, msg());
		ck_assert_msg(strstr(msg(), "import ") && strstr(msg(), e.dir), "%s: message %s", notar[i], msg());
		assert_store_clean(&e);
	}
	ck_assert_ptr_null(img);
	berth_image *o = NULL;
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "bad:1"), BERTH_ENOTFOUND);
	tu_env_cleanup(&e);
}
END_TEST

/* A manifest or config in the store that is malformed: the error names the field. */
START_TEST(test_open_malformed)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");
	berth_image *img = NULL, *o = NULL;
	tu_ok(berth_image_import(&img, e.ctx, tar, "good:1"));
	/* a manifest without layers, and one whose config digest does not match the blob */
	int st;
	char *out = run(&st,
		"cd '%s/images' && python3 -c 'import json,hashlib,sys\n"
		"ix=json.load(open(\"index.json\"))\n"
		"good=json.load(open(\"blobs/sha256/\"+ix[\"manifests\"][0][\"digest\"][7:]))\n"
		"def put(b):\n"
		"  d=hashlib.sha256(b).hexdigest(); open(\"blobs/sha256/\"+d,\"wb\").write(b); return d\n"
		"def add(ref, m):\n"
		"  b=json.dumps(m).encode(); d=put(b)\n"
		"  ix[\"manifests\"].append({\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:\"+d,"
		"\"size\":len(b),\"annotations\":{\"org.opencontainers.image.ref.name\":ref}})\n"
		"m=dict(good); del m[\"layers\"]; add(\"docker.io/library/nolayers:1\", m)\n"
		"m=dict(good); m[\"config\"]=dict(good[\"config\"]); m[\"config\"][\"size\"]+=1; add(\"docker.io/library/badsize:1\", m)\n"
		"c=json.load(open(\"blobs/sha256/\"+good[\"config\"][\"digest\"][7:])); c[\"rootfs\"][\"diff_ids\"].append(c[\"rootfs\"][\"diff_ids\"][0])\n"
		"cb=json.dumps(c).encode(); m=dict(good); m[\"config\"]=dict(good[\"config\"], digest=\"sha256:\"+put(cb), size=len(cb)); add(\"docker.io/library/twoids:1\", m)\n"
		"json.dump(ix, open(\"index.json\",\"w\"))'",
		e.root);
	ck_assert_msg(st == 0, "%s", out);
	free(out);
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "nolayers:1"), BERTH_EINVAL);
	ck_msg_has("layers: missing");
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "badsize:1"), BERTH_EDIGEST);
	ck_msg_has("descriptor says");
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "twoids:1"), BERTH_EINVAL);
	ck_msg_has("the manifest has 1 layers but config rootfs.diff_ids has 2");
	ck_assert_ptr_null(o);
	/* the good one still opens, and a prune keeps everything referenced */
	tu_ok(berth_image_open(&o, e.ctx, "good:1"));
	berth_image_free(o);
	berth_image_free(img);
	/* a corrupt index.json is an error, not an empty store */
	ck_assert_int_eq(sh("echo '{\"schemaVersion\":2,\"manifests\":{}}' > '%s/images/index.json'", e.root), 0);
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "good:1"), BERTH_EINVAL);
	ck_msg_has("manifests: not an array");
	tu_env_cleanup(&e);
}
END_TEST

/* ------------------------------------------------------------ layers on demand */

START_TEST(test_layers_on_demand)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");
	berth_image *img = NULL, *gz = NULL, *zs = NULL;
	tu_ok(berth_image_import(&img, e.ctx, tar, "busybox:test"));
	/* skopeo makes gzip and zstd versions of it (in a scratch layout: into
	 * ours it would reuse the uncompressed blob) and copies them into ours,
	 * under a full and a short (not normalised) ref */
	int st;
	char *out = run(&st, "for f in gzip zstd; do "
	                     "skopeo copy -q --dest-compress --dest-compress-format $f "
	                     "'oci:%s/images:docker.io/library/busybox:test' 'oci:%s/scratch:'$f || exit 1; done && "
	                     "skopeo copy -q 'oci:%s/scratch:gzip' 'oci:%s/images:docker.io/library/busybox:gz' && "
	                     "skopeo copy -q 'oci:%s/scratch:zstd' 'oci:%s/images:zst'",
		e.root, e.dir, e.dir, e.root, e.dir, e.root);
	ck_assert_msg(st == 0, "skopeo copy: %s", out);
	free(out);
	tu_ok(berth_image_open(&gz, e.ctx, "busybox:gz"));
	tu_ok(berth_image_open(&zs, e.ctx, "zst")); /* the annotation as written */
	ck_assert_str_eq(berth_image_id(zs), berth_image_id(img));
	/* the same config, so the same image id, with other manifests */
	ck_assert_str_eq(berth_image_id(gz), berth_image_id(img));
	char *js = NULL;
	tu_ok(berth_image_inspect(&js, gz));
	ck_assert_msg(strstr(js, "\"busybox:gz\"") && strstr(js, "\"busybox:test\"") && strstr(js, "\"zst\""), "%s", js);
	berth_free(js);

	/* the layers are gone (never unpacked here): unpacked from the gzip or zstd blob */
	berth_image *imgs[] = { gz, zs, img };
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(sh("rm -rf '%s/layers'", e.root), 0);
		char **dirs = NULL;
		tu_ok(berth_image_layer_dirs(&dirs, imgs[i]));
		ck_assert_uint_eq(strv_len(dirs), 1);
		ck_assert_int_eq(sh("cmp -s '%s/bin/busybox' '%s/bin/busybox'", dirs[0], tu_rootfs()), 0);
		berth_free(dirs);
		ck_assert_int_eq(entries(&e, "layers"), 1);
	}

	/* a corrupt layer blob is found out; nothing is left of the attempt */
	ck_assert_int_eq(sh("rm -rf '%s/layers'/*", e.root), 0);
	ck_assert_int_eq(sh("cd '%s/images' && d=$(python3 -c 'import json;ix=json.load(open(\"index.json\"));"
	                    "m=[x for x in ix[\"manifests\"] if x[\"annotations\"][\"org.opencontainers.image.ref.name\"].endswith(\":gz\")][0];"
	                    "print(json.load(open(\"blobs/sha256/\"+m[\"digest\"][7:]))[\"layers\"][0][\"digest\"][7:])') && "
	                    "chmod u+w blobs/sha256/$d && printf 'XXXX' | dd of=blobs/sha256/$d bs=1 seek=100 conv=notrunc status=none",
	                    e.root), 0);
	char **dirs = NULL;
	int r = berth_image_layer_dirs(&dirs, gz);
	ck_assert_msg(r == BERTH_EDIGEST || r == BERTH_EINVAL, "corrupt gzip blob: %d %s", r, msg());
	ck_assert_int_eq(entries(&e, "layers"), 0);
	/* a missing blob */
	ck_assert_int_eq(sh("rm -f '%s/images/blobs/sha256/'$(sha256sum '%s' | cut -d' ' -f1)", e.root, tar), 0);
	ck_assert_int_eq(berth_image_layer_dirs(&dirs, img), BERTH_ENOTFOUND);
	ck_msg_has("missing");
	ck_assert_int_eq(entries(&e, "layers"), 0);
	/* the zstd one still works */
	tu_ok(berth_image_layer_dirs(&dirs, zs));
	berth_free(dirs);
	berth_image_free(img);
	berth_image_free(gz);
	berth_image_free(zs);
	tu_env_cleanup(&e);
}
END_TEST

/* ------------------------------------------------------------ ids */

START_TEST(test_id_prefix)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");
	/* import until two ids share their first hex digit (at most 17 by pigeonhole) */
	char ids[17][80];
	int a = -1, b = -1;
	for (int i = 0; i < 17 && a < 0; i++) {
		berth_image *img = NULL;
		tu_ok(berth_image_import(&img, e.ctx, tar, NULL));
		snprintf(ids[i], sizeof ids[i], "%s", berth_image_id(img));
		berth_image_free(img);
		for (int j = 0; j < i; j++)
			if (ids[j][7] == ids[i][7]) {
				a = j;
				b = i;
			}
	}
	ck_assert_int_ge(a, 0);
	char pre[16];
	snprintf(pre, sizeof pre, "%c", ids[a][7]);
	berth_image *o = NULL;
	ck_assert_int_eq(berth_image_open(&o, e.ctx, pre), BERTH_EINVAL);
	ck_msg_has("ambiguous");
	/* the shortest unique prefixes open */
	for (int k = 0; k < 2; k++) {
		const char *id = ids[k ? b : a];
		size_t n = 1;
		while (!strncmp(ids[a] + 7, ids[b] + 7, n))
			n++;
		snprintf(pre, sizeof pre, "%.*s", (int)n, id + 7);
		tu_ok(berth_image_open(&o, e.ctx, pre));
		ck_assert_str_eq(berth_image_id(o), id);
		berth_image_free(o);
	}
	char **list = NULL;
	tu_ok(berth_image_list(&list, e.ctx));
	ck_assert_uint_eq(strv_len(list), (size_t)b + 1);
	berth_free(list);
	ck_assert_int_eq(entries(&e, "layers"), 1);
	tu_env_cleanup(&e);
}
END_TEST

START_TEST(test_empty_store)
{
	tu_env e;
	tu_env_init(&e);
	berth_image *o = NULL;
	ck_assert_int_eq(berth_image_open(&o, e.ctx, "busybox"), BERTH_ENOTFOUND);
	char **ids = NULL;
	tu_ok(berth_image_list(&ids, e.ctx));
	ck_assert_uint_eq(strv_len(ids), 0);
	berth_free(ids);
	uint64_t freed = 1;
	tu_ok(berth_image_prune(&freed, e.ctx));
	ck_assert_uint_eq(freed, 0);
	ck_assert_int_eq(berth_image_remove(e.ctx, "busybox", 0), BERTH_ENOTFOUND);
	ck_assert_int_eq(berth_image_tag(e.ctx, "busybox", "x"), BERTH_ENOTFOUND);
	/* none of that made a store */
	char p[600];
	snprintf(p, sizeof p, "%s/images", e.root);
	ck_assert_int_ne(access(p, F_OK), 0);
	ck_assert_int_eq(berth_image_open(NULL, e.ctx, "x"), BERTH_EINVAL);
	ck_assert_int_eq(berth_image_import(&o, e.ctx, NULL, "x"), BERTH_EINVAL);
	berth_image_free(NULL);
	ck_assert_ptr_null(berth_image_id(NULL));
	tu_env_cleanup(&e);
}
END_TEST

/* ------------------------------------------------------------ concurrency */

START_TEST(test_concurrent_import)
{
	tu_env e;
	tu_env_init(&e);
	char tar[600];
	make_tar(&e, tar, sizeof tar, "");
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	pid_t kids[2];
	static const char *const refs[] = { "conc/one:1", "conc/two:1" };
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			close(go[1]);
			char c;
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			berth_image *img = NULL;
			int r = berth_image_import(&img, e.ctx, tar, refs[i]);
			if (r < 0)
				fprintf(stderr, "child %d: %s\n", i, berth_error_last()->message);
			else
				berth_image_tag(e.ctx, refs[i], i ? "conc/both:2" : "conc/both:1");
			berth_image_free(img);
			_exit(r < 0 ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]); /* both start now */
	for (int i = 0; i < 2; i++) {
		int status = 0;
		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", i);
	}
	char **ids = NULL;
	tu_ok(berth_image_list(&ids, e.ctx));
	ck_assert_uint_eq(strv_len(ids), 2);
	berth_free(ids);
	ck_assert_int_eq(entries(&e, "layers"), 1);
	ck_assert_int_eq(entries(&e, "images/.tmp"), 0);
	ck_assert_int_eq(entries(&e, "images/blobs/sha256"), 5); /* 1 layer, 2 configs, 2 manifests */
	char *ix = index_lines(&e);
	ck_assert_int_eq(count_lines(ix), 4);
	free(ix);
	for (int i = 0; i < 2; i++) {
		berth_image *o = NULL;
		tu_ok(berth_image_open(&o, e.ctx, refs[i]));
		berth_image_free(o);
	}
	int st;
	char *out = run(&st, "umoci ls --layout '%s/images' | sort", e.root);
	ck_assert_msg(st == 0 && strstr(out, "docker.io/conc/one:1") && strstr(out, "docker.io/conc/two:1"), "%s", out);
	free(out);
	tu_env_cleanup(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("image_store");
	TCase *tc = tcase_create("store");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_import_open);
	tcase_add_test(tc, test_import_compressed);
	tcase_add_test(tc, test_tag_remove_prune);
	tcase_add_test(tc, test_remove_busy);
	tcase_add_test(tc, test_import_bad);
	tcase_add_test(tc, test_open_malformed);
	tcase_add_test(tc, test_layers_on_demand);
	tcase_add_test(tc, test_id_prefix);
	tcase_add_test(tc, test_empty_store);
	tcase_add_test(tc, test_concurrent_import);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(suite()); }
