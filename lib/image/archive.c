/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Image archives: berth_image_save (docker-archive as "docker save" writes
 * it, or an OCI layout tar) and berth_image_load (either, plain or
 * compressed, from a file or a pipe).
 *
 * Load extracts the archive with the hostile-safe layer unpacker into a
 * temp dir in <root>/images/.tmp (so nothing in it can point outside), and
 * reads every file named by manifest.json or index.json through
 * openat2(RESOLVE_IN_ROOT) of that dir; names with ".." or a leading "/"
 * are refused outright. Every layer is unpacked and its DiffID checked
 * against the config, every blob against its digest, before an image is
 * tagged; on failure what this load added to the store is removed.
 */
#include "image/store.h"
#include "image/unpack.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BUF (128 * 1024)

/* --- writing a tar --- */

typedef struct tw {
	struct archive *a;
	struct archive_entry *e;
	const char *what;
	char buf[BUF];
} tw;

static int tw_fail(tw *t, const char *name)
{
	const char *m = archive_error_string(t->a);
	int en = archive_errno(t->a);
	if (en > 0 && en != EINVAL && en != EILSEQ)
		return berth__err_sys(en, "%s: write %s", t->what, name);
	return berth__err(BERTH_ESYS, "%s: write %s: %s", t->what, name, m ? m : "archive error");
}

static int tw_header(tw *t, const char *name, unsigned type, mode_t perm, int64_t size)
{
	archive_entry_clear(t->e);
	archive_entry_set_pathname(t->e, name);
	archive_entry_set_filetype(t->e, type);
	archive_entry_set_perm(t->e, perm);
	archive_entry_set_size(t->e, size);
	archive_entry_set_mtime(t->e, 0, 0);
	if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
		return tw_fail(t, name);
	return 0;
}

static int tw_mem(tw *t, const char *name, const void *data, size_t len)
{
	int r = tw_header(t, name, AE_IFREG, 0644, (int64_t)len);
	if (r == 0 && len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
		r = tw_fail(t, name);
	return r;
}

static int tw_dir(tw *t, const char *name)
{
	return tw_header(t, name, AE_IFDIR, 0755, 0);
}

/* size bytes of fd from offset 0 */
static int tw_fd(tw *t, const char *name, int fd, uint64_t size)
{
	int r = tw_header(t, name, AE_IFREG, 0644, (int64_t)size);
	uint64_t off = 0;
	while (r == 0 && off < size) {
		size_t want = size - off < BUF ? (size_t)(size - off) : BUF;
		ssize_t n = pread(fd, t->buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? berth__err_sys(errno, "%s: read %s", t->what, name)
			             : berth__err(BERTH_ESYS, "%s: %s shrank while being saved", t->what, name);
		if (archive_write_data(t->a, t->buf, (size_t)n) != n)
			return tw_fail(t, name);
		off += (uint64_t)n;
	}
	return r;
}

static int open_blob(int *fd, uint64_t *size, const berth__store *s, const char *digest, const char *what)
{
	char p[4200];
	int r = berth__blob_path(p, sizeof p, s, digest);
	if (r < 0)
		return r;
	*fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return errno == ENOENT ? berth__err(BERTH_ENOTFOUND, "%s: blob %s is missing from the store", what, digest)
		                       : berth__err_sys(errno, "%s: open %s", what, p);
	struct stat st;
	if (fstat(*fd, &st) < 0) {
		r = berth__err_sys(errno, "%s: stat %s", what, p);
		close(*fd);
		return r;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

/* The uncompressed tar of a layer blob into a temp blob (hashed); checked
 * against diff_id. */
static int decompress_layer(berth__blob_writer *w, const berth__store *s, int in_fd, const char *diff_id,
	const char *what)
{
	int r = berth__blob_begin(w, s);
	if (r < 0)
		return r;
	struct archive *a = archive_read_new();
	if (!a)
		return berth__err_nomem();
	struct archive_entry *e;
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK || archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK || archive_read_open_fd(a, in_fd, BUF) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = berth__err(BERTH_EINVAL, "%s: cannot decompress the layer: %s", what, archive_error_string(a));
		goto out;
	}
	char *buf = malloc(BUF);
	if (!buf) {
		r = berth__err_nomem();
		goto out;
	}
	la_ssize_t n;
	while ((n = archive_read_data(a, buf, BUF)) > 0)
		if ((r = berth__blob_write(w, buf, (size_t)n)) < 0)
			break;
	free(buf);
	if (r == 0 && n < 0)
		r = berth__err(BERTH_EINVAL, "%s: cannot decompress the layer: %s", what, archive_error_string(a));
	if (r == 0) {
		berth__sha256_ctx c = w->sha;
		char hex[65];
		berth__sha256_final_hex(&c, hex);
		if (strcmp(hex, diff_id + 7))
			r = berth__err(BERTH_EDIGEST, "%s: the layer's tar stream hashes to sha256:%s, its diff_id is %s", what,
				hex, diff_id);
	}
out:
	archive_read_close(a);
	archive_read_free(a);
	return r;
}

static int plain_tar(const char *mt)
{
	return !strcmp(mt, BERTH__MT_OCI_LAYER) || !strcmp(mt, "application/vnd.oci.image.layer.nondistributable.v1.tar");
}

typedef struct seen {
	char (*v)[65];
	size_t n;
} seen;

static int seen_add(seen *s, const char *hex)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], hex))
			return 1;
	void *nv = realloc(s->v, (s->n + 1) * sizeof *s->v);
	if (!nv)
		return berth__err_nomem();
	s->v = nv;
	snprintf(s->v[s->n++], 65, "%s", hex);
	return 0;
}

/* The references to save for name: the one it names, else all the image's. */
static int refs_for(char ***out, berth_image *img, const char *name)
{
	char **tags = NULL;
	int r = berth_image_tags(&tags, img);
	if (r < 0)
		return r;
	berth_ref *ref = NULL;
	berth__err_saved sv;
	berth__err_save(&sv);
	if (berth_ref_parse(&ref, name) == 0) {
		for (char **t = tags; *t; t++)
			if (!strcmp(*t, berth_ref_string(ref))) {
				char *one[1] = { *t };
				berth__err_restore(&sv);
				char **packed = berth__strv_pack(one, 1);
				berth_ref_free(ref);
				berth_free(tags);
				if (!packed)
					return BERTH_ENOMEM;
				*out = packed;
				return 0;
			}
		berth_ref_free(ref);
	}
	berth__err_restore(&sv);
	*out = tags;
	return 0;
}

static int save_docker_image(tw *t, berth_image *img, char **refs, json_t *manifest, json_t *repos, seen *done)
{
	const berth__store *s = berth__image_store(img);
	const json_t *m = berth__image_manifest(img), *c = berth__image_config_json(img);
	const json_t *layers = json_object_get(m, "layers");
	const json_t *ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	size_t n = json_array_size(layers);
	char (*chain)[BERTH__DIGEST_LEN] = calloc(n + 1, sizeof *chain);
	const char **v = calloc(n + 1, sizeof *v);
	json_t *jl = json_array();
	int r = chain && v && jl ? 0 : berth__err_nomem();
	for (size_t i = 0; r == 0 && i < n; i++)
		v[i] = json_string_value(json_array_get(ids, i));
	if (r == 0)
		r = berth__chain_ids(chain, v, n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *id = chain[i] + 7;
		char name[200];
		snprintf(name, sizeof name, "%s/layer.tar", id);
		json_array_append_new(jl, json_string(name));
		if ((r = seen_add(done, id)) != 0) {
			r = r > 0 ? 0 : r;
			continue;
		}
		const json_t *d = json_array_get(layers, i);
		const char *digest = json_string_value(json_object_get(d, "digest"));
		const char *mt = json_string_value(json_object_get(d, "mediaType"));
		int fd = -1;
		uint64_t size = 0;
		berth__blob_writer w = { .fd = -1 };
		if ((r = open_blob(&fd, &size, s, digest, t->what)) < 0)
			break;
		if (!plain_tar(mt)) {
			char what[300];
			snprintf(what, sizeof what, "%s: layer %s", t->what, digest);
			r = decompress_layer(&w, s, fd, v[i], what);
			close(fd);
			fd = w.fd;
			size = w.size;
		}
		json_t *lj = json_pack("{s:s}", "id", id);
		if (lj && i > 0)
			json_object_set_new(lj, "parent", json_string(chain[i - 1] + 7));
		char *ljs = lj ? berth__json_dump(lj, 0) : NULL;
		json_decref(lj);
		char dname[100], vname[120], jname[120];
		snprintf(dname, sizeof dname, "%s", id);
		snprintf(vname, sizeof vname, "%s/VERSION", id);
		snprintf(jname, sizeof jname, "%s/json", id);
		if (r == 0 && !ljs)
			r = BERTH_ENOMEM;
		if (r == 0)
			r = tw_dir(t, dname);
		if (r == 0)
			r = tw_mem(t, vname, "1.0", 3);
		if (r == 0)
			r = tw_mem(t, jname, ljs, strlen(ljs));
		if (r == 0)
			r = tw_fd(t, name, fd, size);
		free(ljs);
		if (w.fd >= 0)
			berth__blob_abort(&w);
		else if (fd >= 0)
			close(fd);
	}
	/* the config, byte for byte: its digest is the image id */
	const char *cd = berth_image_id(img);
	char cname[100];
	snprintf(cname, sizeof cname, "%s.json", cd + 7);
	if (r == 0 && (r = seen_add(done, cd + 7)) == 0) {
		int fd = -1;
		uint64_t size = 0;
		if ((r = open_blob(&fd, &size, s, cd, t->what)) == 0) {
			r = tw_fd(t, cname, fd, size);
			close(fd);
		}
	} else if (r > 0)
		r = 0;
	json_t *tags = json_array();
	for (char **p = refs; r == 0 && p && *p; p++) {
		berth_ref *ref = NULL;
		if (berth_ref_parse(&ref, *p) < 0 || berth_ref_digest(ref)) {
			berth_ref_free(ref);
			berth__err_ok();
			continue;
		}
		json_array_append_new(tags, json_string(berth_ref_familiar(ref)));
		/* repositories: {"repo": {"tag": "<top layer id>"}} */
		char repo[600];
		snprintf(repo, sizeof repo, "%s", berth_ref_familiar(ref));
		repo[strlen(repo) - strlen(berth_ref_tag(ref)) - 1] = '\0';
		json_t *rj = json_object_get(repos, repo);
		if (!rj) {
			rj = json_object();
			json_object_set_new(repos, repo, rj);
		}
		if (n)
			json_object_set_new(rj, berth_ref_tag(ref), json_string(chain[n - 1] + 7));
		berth_ref_free(ref);
	}
	if (r == 0)
		json_array_append_new(manifest, json_pack("{s:s, s:o, s:o}", "Config", cname, "RepoTags",
			json_array_size(tags) ? tags : (json_decref(tags), json_null()), "Layers", jl));
	else {
		json_decref(tags);
		json_decref(jl);
	}
	free(chain);
	free(v);
	return r;
}

static int save_blob_once(tw *t, const berth__store *s, const char *digest, seen *done)
{
	int r = seen_add(done, digest + 7);
	if (r != 0)
		return r > 0 ? 0 : r;
	int fd = -1;
	uint64_t size = 0;
	if ((r = open_blob(&fd, &size, s, digest, t->what)) < 0)
		return r;
	char name[120];
	snprintf(name, sizeof name, "blobs/sha256/%s", digest + 7);
	r = tw_fd(t, name, fd, size);
	close(fd);
	return r;
}

static int save_oci_image(tw *t, berth_image *img, char **refs, json_t *index, seen *done)
{
	const berth__store *s = berth__image_store(img);
	const json_t *m = berth__image_manifest(img);
	const char *md = berth__image_manifest_digest(img);
	int r = save_blob_once(t, s, md, done);
	if (r == 0)
		r = save_blob_once(t, s, json_string_value(json_object_get(json_object_get(m, "config"), "digest")), done);
	size_t i;
	const json_t *d;
	json_array_foreach(json_object_get(m, "layers"), i, d)
		if (r == 0)
			r = save_blob_once(t, s, json_string_value(json_object_get(d, "digest")), done);
	if (r < 0)
		return r;
	char p[4200];
	struct stat st;
	if ((r = berth__blob_path(p, sizeof p, s, md)) < 0)
		return r;
	if (stat(p, &st) < 0)
		return berth__err_sys(errno, "%s: stat %s", t->what, p);
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	if (!mt)
		mt = BERTH__MT_OCI_MANIFEST;
	json_t *ms = json_object_get(index, "manifests");
	int any = 0;
	for (char **q = refs; q && *q; q++) {
		json_array_append_new(ms, json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", mt, "digest", md, "size",
			(json_int_t)st.st_size, "annotations", BERTH__ANN_REF_NAME, *q));
		any = 1;
	}
	if (!any)
		json_array_append_new(ms, json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", md, "size",
			(json_int_t)st.st_size));
	return 0;
}

BERTH_EXTERN int berth_image_save(berth_ctx *ctx, const char *const *names, int format, int fd)
{
	if (!names || !names[0])
		return berth__err(BERTH_EINVAL, "save: at least one image is required");
	if (format != BERTH_ARCHIVE_DOCKER && format != BERTH_ARCHIVE_OCI)
		return berth__err(BERTH_EINVAL, "save: unknown format %d", format);
	if (fd < 0)
		return berth__err(BERTH_EINVAL, "save: a file descriptor is required");
	if (berth__archive_error())
		return berth__err(BERTH_EUNSUPPORTED, "save: %s", berth__archive_error());
	char what[300];
	snprintf(what, sizeof what, "save %.200s%s", names[0], names[1] ? " ..." : "");
	tw *t = calloc(1, sizeof *t);
	if (!t)
		return berth__err_nomem();
	t->what = what;
	json_t *manifest = json_array(), *repos = json_object();
	json_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", BERTH__MT_OCI_INDEX, "manifests");
	seen done = { 0 };
	int r = manifest && repos && index ? 0 : berth__err_nomem();
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (r == 0 && (!t->a || !t->e))
		r = berth__err_nomem();
	if (r == 0 && (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
		    archive_write_add_filter_none(t->a) != ARCHIVE_OK || archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
		    archive_write_open_fd(t->a, fd) != ARCHIVE_OK))
		r = tw_fail(t, "the archive");
	if (r == 0 && format == BERTH_ARCHIVE_OCI) {
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		if ((r = tw_mem(t, "oci-layout", layout, sizeof layout - 1)) == 0)
			r = tw_dir(t, "blobs/");
		if (r == 0)
			r = tw_dir(t, "blobs/sha256/");
	}
	for (size_t i = 0; r == 0 && names[i]; i++) {
		berth_image *img = NULL;
		char **refs = NULL;
		if ((r = berth_image_open(&img, ctx, names[i])) < 0) {
			r = berth__err_prefix("%s", what);
			break;
		}
		if ((r = refs_for(&refs, img, names[i])) == 0)
			r = format == BERTH_ARCHIVE_OCI ? save_oci_image(t, img, refs, index, &done)
			                                : save_docker_image(t, img, refs, manifest, repos, &done);
		berth_free(refs);
		berth_image_free(img);
	}
	char *txt = NULL;
	if (r == 0 && format == BERTH_ARCHIVE_OCI) {
		if (!(txt = berth__json_dump(index, 0)))
			r = BERTH_ENOMEM;
		else
			r = tw_mem(t, "index.json", txt, strlen(txt));
	} else if (r == 0) {
		if (!(txt = berth__json_dump(manifest, 0)))
			r = BERTH_ENOMEM;
		else
			r = tw_mem(t, "manifest.json", txt, strlen(txt));
		free(txt);
		txt = NULL;
		if (r == 0 && !(txt = berth__json_dump(repos, 0)))
			r = BERTH_ENOMEM;
		else if (r == 0)
			r = tw_mem(t, "repositories", txt, strlen(txt));
	}
	free(txt);
	if (r == 0 && archive_write_close(t->a) != ARCHIVE_OK)
		r = tw_fail(t, "the end of the archive");
	if (t->a)
		archive_write_free(t->a);
	if (t->e)
		archive_entry_free(t->e);
	free(t);
	free(done.v);
	json_decref(manifest);
	json_decref(repos);
	json_decref(index);
	if (r == 0)
		berth__err_ok();
	return r;
}

/* --- loading --- */

/* A name the archive's manifest gives: relative, no "..". */
static int safe_name(const char *p, const char *what, const char *field)
{
	if (!p || !*p)
		return berth__err(BERTH_EINVAL, "%s: %s: missing or empty", what, field);
	if (p[0] == '/')
		return berth__err(BERTH_EINVAL, "%s: %s '%.200s': an absolute path points outside the archive", what, field, p);
	for (const char *c = p; *c;) {
		const char *e = c + strcspn(c, "/");
		if (e - c == 2 && c[0] == '.' && c[1] == '.')
			return berth__err(BERTH_EINVAL, "%s: %s '%.200s': '..' points outside the archive", what, field, p);
		c = *e ? e + 1 : e;
	}
	return 0;
}

static int open_member(int *fd, int root, const char *name, const char *what, const char *field)
{
	int r = safe_name(name, what, field);
	if (r < 0)
		return r;
	*fd = berth__open_in_root(root, name, O_RDONLY | O_NOCTTY);
	if (*fd < 0)
		return berth__err(errno == ENOENT ? BERTH_EINVAL : BERTH_ESYS, "%s: %s '%.200s': %s in the archive", what,
			field, name, errno == ENOENT ? "missing" : strerror(errno));
	struct stat st;
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		return berth__err(BERTH_EINVAL, "%s: %s '%.200s': not a regular file", what, field, name);
	}
	return 0;
}

/* A small file of the archive, whole. */
static int read_member(char **out, size_t *len, int root, const char *name, const char *what, const char *field)
{
	int fd;
	int r = open_member(&fd, root, name, what, field);
	if (r < 0)
		return r;
	struct stat st;
	fstat(fd, &st);
	if ((uint64_t)st.st_size > BERTH__JSON_BLOB_MAX) {
		close(fd);
		return berth__err(BERTH_EINVAL, "%s: %s '%.200s': larger than %u bytes", what, field, name, BERTH__JSON_BLOB_MAX);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	if (!buf) {
		close(fd);
		return berth__err_nomem();
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

static int parse_json(json_t **out, const char *buf, size_t len, const char *what, const char *name)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	if (!j)
		return berth__err(BERTH_EINVAL, "%s: %s: malformed JSON at line %d: %s", what, name, je.line, je.text);
	*out = j;
	return 0;
}

/* What this load added to the store, removed again if it fails. */
typedef struct added {
	char **paths;
	size_t n;
} added;

static int added_push(added *a, const char *path)
{
	void *nv = realloc(a->paths, (a->n + 1) * sizeof *a->paths);
	if (!nv)
		return berth__err_nomem();
	a->paths = nv;
	if (!(a->paths[a->n] = berth__strdup(path)))
		return BERTH_ENOMEM;
	a->n++;
	return 0;
}

static int blob_there(const berth__store *s, const char *digest, char *p, size_t len)
{
	struct stat st;
	return berth__blob_path(p, len, s, digest) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int put_blob(const berth__store *s, const void *data, size_t len, char digest[BERTH__DIGEST_LEN], added *a)
{
	char p[4200], hex[65];
	berth__sha256_ctx c;
	berth__sha256_init(&c);
	berth__sha256_update(&c, data, len);
	berth__sha256_final_hex(&c, hex);
	snprintf(digest, BERTH__DIGEST_LEN, "sha256:%s", hex);
	int there = blob_there(s, digest, p, sizeof p);
	int r = berth__blob_put(s, data, len, digest);
	if (r == 0 && !there)
		r = added_push(a, p);
	return r;
}

typedef struct pending {
	char mt[128], digest[BERTH__DIGEST_LEN];
	int64_t size;
	char *ref; /* NULL: untagged */
} pending;

typedef struct loader {
	pending *tags; /* written to index.json once everything is in */
	size_t ntags;
	berth_ctx *ctx;
	berth__store s;
	int root; /* the extracted archive */
	added add;
	char **lines;
	size_t nlines;
	const char *what;
} loader;

static int add_line(loader *l, const char *id, const char *ref)
{
	char *line = ref ? berth__sprintf("%s %s", id, ref) : berth__strdup(id);
	if (!line)
		return BERTH_ENOMEM;
	void *nv = realloc(l->lines, (l->nlines + 1) * sizeof *l->lines);
	if (!nv) {
		free(line);
		return berth__err_nomem();
	}
	l->lines = nv;
	l->lines[l->nlines++] = line;
	return 0;
}

static int tag_later(loader *l, const char *mt, const char *digest, int64_t size, const char *ref)
{
	void *nv = realloc(l->tags, (l->ntags + 1) * sizeof *l->tags);
	if (!nv)
		return berth__err_nomem();
	l->tags = nv;
	pending *p = &l->tags[l->ntags];
	snprintf(p->mt, sizeof p->mt, "%s", mt);
	snprintf(p->digest, sizeof p->digest, "%s", digest);
	p->size = size;
	p->ref = NULL;
	if (ref && !(p->ref = berth__strdup(ref)))
		return BERTH_ENOMEM;
	l->ntags++;
	return 0;
}

/* A layer of a docker archive: unpacked, its DiffID checked, stored as an
 * uncompressed blob. */
static int load_layer(loader *l, int fd, const char *diff_id, const char *chain, uint64_t *size, const char *what)
{
	berth__blob_writer w = { .fd = -1 };
	char tmp[4200] = "", p[4200];
	int r = berth__blob_begin(&w, &l->s);
	int dfd = -1;
	if (r == 0 && (dfd = berth__layer_tmpdir(tmp, sizeof tmp, &l->s)) < 0) {
		r = dfd;
		tmp[0] = '\0';
	}
	berth__layer_result res;
	if (r == 0)
		r = berth__layer_stream(&res, dfd, fd, w.fd, what);
	if (r == 0 && strcmp(res.diff_hex, diff_id + 7))
		r = berth__err(BERTH_EDIGEST, "%s: its tar stream hashes to sha256:%s, the config's diff_id is %s", what,
			res.diff_hex, diff_id);
	if (r == 0) {
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", l->s.layers, chain + 7);
		int there = stat(p, &st) == 0;
		r = berth__layer_install(&l->s, tmp, chain);
		tmp[0] = '\0';
		if (r == 0 && !there)
			r = added_push(&l->add, p);
	}
	if (r == 0) {
		int there = blob_there(&l->s, diff_id, p, sizeof p);
		r = berth__blob_commit_hashed(&w, &l->s, res.diff_hex);
		if (r == 0 && !there)
			r = added_push(&l->add, p);
		*size = res.diff_size;
	}
	berth__blob_abort(&w);
	if (tmp[0])
		berth__rm_rf_quiet(tmp);
	if (dfd >= 0)
		close(dfd); /* the temp dir's lock: after its rename or removal */
	return r;
}

/* The last path component is "<64 hex>" or "<64 hex>.json": the content's digest. */
static const char *named_digest(const char *name, char hex[65])
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	size_t n = strspn(b, "0123456789abcdef");
	if (n != 64 || (b[64] && strcmp(b + 64, ".json")))
		return NULL;
	memcpy(hex, b, 64);
	hex[64] = '\0';
	return hex;
}

static int load_docker(loader *l, const char *mbuf, size_t mlen)
{
	json_t *mj = NULL;
	int r = parse_json(&mj, mbuf, mlen, l->what, "manifest.json");
	if (r < 0)
		return r;
	if (!json_is_array(mj) || !json_array_size(mj)) {
		json_decref(mj);
		return berth__err(BERTH_EINVAL, "%s: manifest.json: not a non-empty array", l->what);
	}
	size_t i;
	json_t *e;
	json_array_foreach(mj, i, e) {
		char field[120], what[700];
		snprintf(what, sizeof what, "%s: manifest.json[%zu]", l->what, i);
		const char *cname = json_string_value(json_object_get(e, "Config"));
		json_t *layers = json_object_get(e, "Layers"), *tags = json_object_get(e, "RepoTags");
		if (!json_is_array(layers)) {
			r = berth__err(BERTH_EINVAL, "%s: Layers: not an array", what);
			break;
		}
		if (tags && !json_is_null(tags) && !json_is_array(tags)) {
			r = berth__err(BERTH_EINVAL, "%s: RepoTags: not an array", what);
			break;
		}
		char *cbuf = NULL;
		size_t clen = 0;
		json_t *config = NULL;
		if ((r = read_member(&cbuf, &clen, l->root, cname, what, "Config")) < 0)
			break;
		char chex[65], hex[65];
		berth__sha256_ctx c;
		berth__sha256_init(&c);
		berth__sha256_update(&c, cbuf, clen);
		berth__sha256_final_hex(&c, chex);
		if (named_digest(cname, hex) && strcmp(hex, chex))
			r = berth__err(BERTH_EDIGEST, "%s: Config '%s': its content hashes to sha256:%s", what, cname, chex);
		if (r == 0)
			r = parse_json(&config, cbuf, clen, what, cname);
		char cwhat[800];
		snprintf(cwhat, sizeof cwhat, "%s: config", what);
		if (r == 0)
			r = berth__config_check(config, cwhat);
		const json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
		size_t n = json_array_size(layers);
		if (r == 0 && n != json_array_size(ids))
			r = berth__err(BERTH_EINVAL, "%s: %zu Layers but the config has %zu diff_ids", what, n,
				json_array_size(ids));
		char (*chain)[BERTH__DIGEST_LEN] = calloc(n + 1, sizeof *chain);
		const char **v = calloc(n + 1, sizeof *v);
		json_t *ml = json_array();
		if (r == 0 && (!chain || !v || !ml))
			r = berth__err_nomem();
		for (size_t k = 0; r == 0 && k < n; k++)
			v[k] = json_string_value(json_array_get(ids, k));
		if (r == 0)
			r = berth__chain_ids(chain, v, n);
		for (size_t k = 0; r == 0 && k < n; k++) {
			snprintf(field, sizeof field, "Layers[%zu]", k);
			int fd = -1;
			if ((r = open_member(&fd, l->root, json_string_value(json_array_get(layers, k)), what, field)) < 0)
				break;
			char lwhat[900];
			snprintf(lwhat, sizeof lwhat, "%s: %s", what, field);
			uint64_t size = 0;
			r = load_layer(l, fd, v[k], chain[k], &size, lwhat);
			close(fd);
			if (r == 0)
				json_array_append_new(ml, json_pack("{s:s, s:s, s:I}", "mediaType", BERTH__MT_OCI_LAYER, "digest",
					v[k], "size", (json_int_t)size));
		}
		char cdigest[BERTH__DIGEST_LEN], mdigest[BERTH__DIGEST_LEN];
		if (r == 0)
			r = put_blob(&l->s, cbuf, clen, cdigest, &l->add);
		json_t *m = NULL;
		char *mtxt = NULL;
		if (r == 0 && !(m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
			BERTH__MT_OCI_MANIFEST, "config", "mediaType", BERTH__MT_OCI_CONFIG, "digest", cdigest, "size",
			(json_int_t)clen, "layers", ml)))
			r = berth__err_nomem();
		if (r == 0 && !(mtxt = berth__json_dump(m, 0)))
			r = BERTH_ENOMEM;
		if (r == 0)
			r = put_blob(&l->s, mtxt, strlen(mtxt), mdigest, &l->add);
		size_t k;
		json_t *t;
		int tagged = 0;
		json_array_foreach(tags, k, t) {
			if (r < 0)
				break;
			berth_ref *ref = NULL;
			if (berth_ref_parse(&ref, json_string_value(t) ? json_string_value(t) : "") < 0) {
				r = berth__err_prefix("%s: RepoTags[%zu]", what, k);
				break;
			}
			if ((r = tag_later(l, BERTH__MT_OCI_MANIFEST, mdigest, (int64_t)strlen(mtxt), berth_ref_string(ref))) == 0)
				r = add_line(l, cdigest, berth_ref_string(ref));
			tagged = 1;
			berth_ref_free(ref);
		}
		if (r == 0 && !tagged) {
			if ((r = tag_later(l, BERTH__MT_OCI_MANIFEST, mdigest, (int64_t)strlen(mtxt), NULL)) == 0)
				r = add_line(l, cdigest, NULL);
		}
		free(mtxt);
		json_decref(m);
		json_decref(ml);
		free(chain);
		free(v);
		json_decref(config);
		free(cbuf);
		if (r < 0)
			break;
	}
	json_decref(mj);
	return r;
}

/* A blob of the OCI layout into the store, verified. */
static int copy_blob(loader *l, const char *digest, int64_t size, const char *what)
{
	if (!berth__digest_valid(digest))
		return berth__err(BERTH_EINVAL, "%s: '%.80s' is not a sha256 digest", what, digest ? digest : "");
	char name[100], p[4200];
	snprintf(name, sizeof name, "blobs/sha256/%s", digest + 7);
	int fd;
	int r = open_member(&fd, l->root, name, what, "blob");
	if (r < 0)
		return r;
	struct stat st;
	fstat(fd, &st);
	if (size >= 0 && st.st_size != size) {
		close(fd);
		return berth__err(BERTH_EDIGEST, "%s: blob %s has %lld bytes, its descriptor says %lld", what, digest,
			(long long)st.st_size, (long long)size);
	}
	if (blob_there(&l->s, digest, p, sizeof p)) {
		close(fd);
		return 0;
	}
	berth__blob_writer w;
	if ((r = berth__blob_begin(&w, &l->s)) < 0) {
		close(fd);
		return r;
	}
	char *buf = malloc(BUF);
	if (!buf)
		r = berth__err_nomem();
	for (;;) {
		if (r < 0)
			break;
		ssize_t n = read(fd, buf, BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = berth__err_sys(errno, "%s: read %s", what, name);
		if (n <= 0)
			break;
		r = berth__blob_write(&w, buf, (size_t)n);
	}
	free(buf);
	close(fd);
	if (r < 0) {
		berth__blob_abort(&w);
		return r;
	}
	if ((r = berth__blob_commit(&w, &l->s, digest, NULL)) < 0)
		return berth__err(BERTH_EDIGEST, "%s: blob %s: its content does not match its digest", what, digest);
	return added_push(&l->add, p);
}

static const char *oci_ref_name(const json_t *desc)
{
	const json_t *an = json_object_get(desc, "annotations");
	const char *n = json_string_value(json_object_get(an, "io.containerd.image.name"));
	if (n)
		return n;
	n = json_string_value(json_object_get(an, BERTH__ANN_REF_NAME));
	/* a bare tag ("latest", as umoci writes) names no repository */
	if (n && (strchr(n, '/') || strchr(n, ':')))
		return n;
	return NULL;
}

static int load_oci_manifest(loader *l, const json_t *desc, const char *ref, const char *what)
{
	const char *md = json_string_value(json_object_get(desc, "digest"));
	json_int_t msize = json_integer_value(json_object_get(desc, "size"));
	int r = copy_blob(l, md, msize, what);
	json_t *m = NULL;
	if (r == 0)
		r = berth__blob_read_json(&m, &l->s, md, msize, what);
	if (r == 0)
		r = berth__manifest_check(m, what);
	const json_t *cd = json_object_get(m, "config");
	if (r == 0)
		r = copy_blob(l, json_string_value(json_object_get(cd, "digest")), json_integer_value(json_object_get(cd, "size")),
			what);
	size_t i;
	const json_t *d;
	json_array_foreach(json_object_get(m, "layers"), i, d)
		if (r == 0)
			r = copy_blob(l, json_string_value(json_object_get(d, "digest")),
				json_integer_value(json_object_get(d, "size")), what);
	json_decref(m);
	berth_image *img = NULL;
	if (r == 0)
		r = berth__image_load(&img, l->ctx, md, msize);
	if (r == 0) {
		/* unpack now (DiffIDs checked); note the layer dirs this adds */
		const json_t *ids = json_object_get(json_object_get(berth__image_config_json(img), "rootfs"), "diff_ids");
		size_t n = json_array_size(ids);
		char (*chain)[BERTH__DIGEST_LEN] = calloc(n + 1, sizeof *chain);
		const char **v = calloc(n + 1, sizeof *v);
		char **dirs = NULL;
		r = chain && v ? 0 : berth__err_nomem();
		for (i = 0; r == 0 && i < n; i++)
			v[i] = json_string_value(json_array_get(ids, i));
		if (r == 0)
			r = berth__chain_ids(chain, v, n);
		for (i = 0; r == 0 && i < n; i++) {
			char p[4200];
			struct stat st;
			snprintf(p, sizeof p, "%s/%s", l->s.layers, chain[i] + 7);
			if (stat(p, &st) < 0)
				r = added_push(&l->add, p);
		}
		if (r == 0 && (r = berth_image_layer_dirs(&dirs, img)) < 0)
			r = berth__err_prefix("%s", what);
		berth_free(dirs);
		free(chain);
		free(v);
	}
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	berth_ref *pref = NULL;
	if (r == 0 && ref && berth_ref_parse(&pref, ref) < 0)
		r = berth__err_prefix("%s: reference", what);
	if (r == 0)
		r = tag_later(l, mt, md, msize, pref ? berth_ref_string(pref) : NULL);
	if (r == 0)
		r = add_line(l, berth_image_id(img), pref ? berth_ref_string(pref) : NULL);
	berth_ref_free(pref);
	berth_image_free(img);
	return r;
}

static int load_oci(loader *l, const char *ibuf, size_t ilen)
{
	json_t *index = NULL;
	int r = parse_json(&index, ibuf, ilen, l->what, "index.json");
	char what[700];
	snprintf(what, sizeof what, "%s: index.json", l->what);
	if (r == 0)
		r = berth__index_check(index, what);
	size_t i;
	const json_t *d;
	int any = 0;
	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		if (r < 0)
			break;
		const char *mt = json_string_value(json_object_get(d, "mediaType"));
		snprintf(what, sizeof what, "%s: index.json manifests[%zu]", l->what, i);
		const char *ref = oci_ref_name(d);
		if (!strcmp(mt, BERTH__MT_OCI_MANIFEST) || !strcmp(mt, BERTH__MT_DOCKER_MANIFEST)) {
			r = load_oci_manifest(l, d, ref, what);
			any = 1;
			continue;
		}
		if (strcmp(mt, BERTH__MT_OCI_INDEX) && strcmp(mt, BERTH__MT_DOCKER_LIST))
			continue;
		/* a nested index: this platform's manifest */
		const char *dg = json_string_value(json_object_get(d, "digest"));
		json_t *sub = NULL;
		if ((r = copy_blob(l, dg, json_integer_value(json_object_get(d, "size")), what)) < 0 ||
		    (r = berth__blob_read_json(&sub, &l->s, dg, -1, what)) < 0 || (r = berth__index_check(sub, what)) < 0) {
			json_decref(sub);
			break;
		}
		size_t k;
		const json_t *e;
		const json_t *pick = NULL;
		json_array_foreach(json_object_get(sub, "manifests"), k, e) {
			const json_t *p = json_object_get(e, "platform");
			const char *os = json_string_value(json_object_get(p, "os"));
			const char *arch = json_string_value(json_object_get(p, "architecture"));
			if (os && arch && !strcmp(os, "linux") && !strcmp(arch, berth__native_arch()) && !pick)
				pick = e;
		}
		if (!pick)
			r = berth__err(BERTH_ENOTFOUND, "%s: no manifest for linux/%s", what, berth__native_arch());
		else
			r = load_oci_manifest(l, pick, ref, what);
		any = 1;
		json_decref(sub);
	}
	if (r == 0 && !any)
		r = berth__err(BERTH_EINVAL, "%s: index.json names no image manifest", l->what);
	json_decref(index);
	return r;
}

BERTH_EXTERN int berth_image_load(char ***out, berth_ctx *ctx, int fd)
{
	loader l = { .ctx = ctx, .root = -1, .what = "load" };
	int r = berth__store_init(&l.s, ctx);
	if (r < 0)
		return r;
	if (fd < 0)
		return berth__err(BERTH_EINVAL, "load: a file descriptor is required");
	if (berth__archive_error())
		return berth__err(BERTH_EUNSUPPORTED, "load: %s", berth__archive_error());
	if ((r = berth__store_ensure(&l.s)) < 0)
		return r;
	int gc = berth__store_lock(&l.s, ".gc.lock", LOCK_SH);
	if (gc < 0)
		return gc;
	char tmp[4200], tdir[4200];
	tmp[0] = '\0';
	char *buf = NULL;
	size_t len = 0;
	/* l.root holds the temp dir's owner lock until it is removed */
	if ((r = berth__store_path(tdir, sizeof tdir, "%s/.tmp", l.s.images)) < 0)
		goto out;
	if ((l.root = berth__tmp_dir_new(tmp, sizeof tmp, &l.s, tdir, "load-", 0700)) < 0) {
		r = l.root;
		tmp[0] = '\0';
		goto out;
	}
	if ((r = berth__layer_unpack_fd(l.root, fd, BERTH__UNPACK_NO_DEVICES | BERTH__UNPACK_NO_CHOWN, NULL,
		     "load: archive")) < 0)
		goto out;
	int mfd = berth__open_in_root(l.root, "manifest.json", O_RDONLY | O_NOCTTY);
	if (mfd >= 0) {
		close(mfd);
		if ((r = read_member(&buf, &len, l.root, "manifest.json", "load", "manifest.json")) == 0)
			r = load_docker(&l, buf, len);
	} else if ((mfd = berth__open_in_root(l.root, "index.json", O_RDONLY | O_NOCTTY)) >= 0) {
		close(mfd);
		if ((r = read_member(&buf, &len, l.root, "index.json", "load", "index.json")) == 0)
			r = load_oci(&l, buf, len);
	} else {
		r = berth__err(BERTH_EINVAL, "load: the archive has neither manifest.json (docker save) nor index.json (OCI)");
	}
	for (size_t i = 0; r == 0 && i < l.ntags; i++)
		r = berth__index_tag(&l.s, l.tags[i].mt, l.tags[i].digest, l.tags[i].size, l.tags[i].ref);
	if (r == 0 && out) {
		char **packed = berth__strv_pack(l.lines, l.nlines);
		if (!packed)
			r = BERTH_ENOMEM;
		else
			*out = packed;
	}
out: {
	berth__err_saved sv;
	berth__err_save(&sv);
	if (r < 0) /* nothing of a failed load stays (index entries are only written once all is verified) */
		for (size_t i = l.add.n; i-- > 0;)
			berth__rm_rf(l.add.paths[i]);
	if (tmp[0])
		berth__rm_rf(tmp);
	if (l.root >= 0)
		close(l.root);
	berth__err_restore(&sv);
}
	for (size_t i = 0; i < l.add.n; i++)
		free(l.add.paths[i]);
	free(l.add.paths);
	for (size_t i = 0; i < l.ntags; i++)
		free(l.tags[i].ref);
	free(l.tags);
	for (size_t i = 0; i < l.nlines; i++)
		free(l.lines[i]);
	free(l.lines);
	free(buf);
	berth__store_unlock(gc);
	if (r == 0)
		berth__err_ok();
	return r;
}
