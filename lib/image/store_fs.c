/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The image store on disk (lib/image/store.h): the OCI layout, its locks,
 * index.json, and blobs that only become visible once verified. */
#include "image/store.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int berth__store_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return berth__err(BERTH_EINVAL, "path too long: %.100s...", buf);
	return 0;
}

int berth__store_init(berth__store *s, berth_ctx *ctx)
{
	memset(s, 0, sizeof *s);
	if (!ctx || !ctx->root)
		return berth__err(BERTH_EINVAL, "image store: a context is required");
	s->ctx = ctx;
	int r;
	if ((r = berth__store_path(s->root, sizeof s->root, "%s", ctx->root)) < 0)
		return r;
	if (berth__path_images(s->images, sizeof s->images, ctx->root, NULL) < 0 ||
	    berth__path_layer(s->layers, sizeof s->layers, ctx->root, NULL) < 0)
		return berth__err(BERTH_EINVAL, "image store: path too long: %.100s...", s->root);
	return 0;
}

/* <root>/images/blobs/sha256[/<hex>] */
static int blob_hex_path(char *buf, size_t len, const berth__store *s, const char *hex)
{
	if (berth__path_blob(buf, len, s->root, hex) < 0)
		return berth__err(BERTH_EINVAL, "image store: path too long: %.100s...", buf);
	return 0;
}

int berth__store_exists(const berth__store *s)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/index.json", s->images);
	return access(p, F_OK) == 0;
}

static int write_new_file(const char *path, const char *content)
{
	if (access(path, F_OK) == 0)
		return 0;
	return berth__write_file_atomic(path, content, strlen(content), 0644);
}

int berth__store_ensure(berth__store *s)
{
	char p[4200];
	int r;
	if ((r = blob_hex_path(p, sizeof p, s, NULL)) < 0 || (r = berth__mkdir_p(p, 0755)) < 0)
		return r;
	snprintf(p, sizeof p, "%s/.tmp", s->images);
	if ((r = berth__mkdir_p(p, 0700)) < 0)
		return r;
	if ((r = berth__mkdir_p(s->layers, 0700)) < 0)
		return r;
	berth__store_sweep(s); /* temp entries of killed writers */
	snprintf(p, sizeof p, "%s/oci-layout", s->images);
	if ((r = write_new_file(p, "{\"imageLayoutVersion\":\"1.0.0\"}")) < 0)
		return r;
	snprintf(p, sizeof p, "%s/index.json", s->images);
	if (access(p, F_OK) == 0)
		return 0;
	/* created under the index lock, so that it never replaces a real one */
	int lk = berth__store_lock(s, ".lock", LOCK_EX);
	if (lk < 0)
		return lk;
	r = write_new_file(p, "{\"schemaVersion\":2,\"mediaType\":\"" BERTH__MT_OCI_INDEX "\",\"manifests\":[]}");
	berth__store_unlock(lk);
	return r;
}

int berth__store_lock(const berth__store *s, const char *name, int op)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", s->images, name);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth__err_sys(errno, "image store: open lock %s", p);
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		return berth__err_sys(e, "image store: lock %s", p);
	}
	return fd;
}

void berth__store_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int berth__index_load(json_t **out, const berth__store *s)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/index.json", s->images);
	json_t *j = NULL;
	if (access(p, F_OK) < 0 && errno == ENOENT) {
		j = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", BERTH__MT_OCI_INDEX, "manifests");
		if (!j)
			return berth__err_nomem();
		*out = j;
		return 0;
	}
	int r = berth__json_load_file(&j, p, "image store: index");
	if (r < 0)
		return r;
	if ((r = berth__index_check(j, p)) < 0) {
		json_decref(j);
		return r;
	}
	*out = j;
	return 0;
}

int berth__index_save(const berth__store *s, json_t *index)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/index.json", s->images);
	char *txt = berth__json_dump(index, 0);
	if (!txt)
		return BERTH_ENOMEM;
	int r = berth__write_file_atomic(p, txt, strlen(txt), 0644);
	free(txt);
	return r;
}

int berth__blob_path(char *buf, size_t len, const berth__store *s, const char *digest)
{
	if (!berth__digest_valid(digest))
		return berth__err(BERTH_EINVAL, "image store: '%.80s' is not a sha256 digest", digest ? digest : "");
	return blob_hex_path(buf, len, s, digest + 7);
}

int berth__blob_read_json(json_t **out, const berth__store *s, const char *digest, int64_t size, const char *what)
{
	char p[4200];
	int r = berth__blob_path(p, sizeof p, s, digest);
	if (r < 0)
		return r;
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth__err(BERTH_ENOTFOUND, "%s: blob %s is missing from the store", what, digest);
		return berth__err_sys(errno, "%s: open %s", what, p);
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		r = berth__err_sys(errno, "%s: stat %s", what, p);
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > BERTH__JSON_BLOB_MAX) {
		close(fd);
		return berth__err(BERTH_EINVAL, "%s: blob %s is not a regular file of at most %u bytes", what, digest,
			BERTH__JSON_BLOB_MAX);
	}
	if (size >= 0 && st.st_size != size) {
		close(fd);
		return berth__err(BERTH_EDIGEST, "%s: blob %s has %lld bytes, its descriptor says %lld", what, digest,
			(long long)st.st_size, (long long)size);
	}
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 1);
	if (!buf) {
		close(fd);
		return berth__err_nomem();
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? berth__err_sys(errno, "%s: read %s", what, p)
			          : berth__err(BERTH_ESYS, "%s: read %s: file shrank", what, p);
			free(buf);
			close(fd);
			return r;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	berth__sha256_ctx c;
	char hex[65];
	berth__sha256_init(&c);
	berth__sha256_update(&c, buf, len);
	berth__sha256_final_hex(&c, hex);
	if (strcmp(hex, digest + 7)) {
		free(buf);
		return berth__err(BERTH_EDIGEST, "%s: blob %s is corrupt (its content hashes to sha256:%s)", what, digest,
			hex);
	}
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!j)
		return berth__err(BERTH_EINVAL, "%s: malformed JSON at line %d column %d: %s", what, je.line, je.column,
			je.text);
	*out = j;
	return 0;
}

/* --- writing blobs --- */

int berth__blob_begin(berth__blob_writer *w, const berth__store *s)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	char rnd[33];
	int r = berth__random_hex(rnd, 16);
	if (r < 0)
		return r;
	if ((r = berth__store_path(w->tmp, sizeof w->tmp, "%s/.tmp/blob-%s", s->images, rnd)) < 0)
		return r;
	int guard = berth__tmp_guard(s);
	if (guard < 0)
		return guard;
	w->fd = open(w->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		r = berth__err_sys(errno, "image store: create %s", w->tmp);
		w->tmp[0] = '\0'; /* not ours */
	} else
		r = berth__tmp_own(w->fd, w->tmp); /* held until renamed or removed */
	berth__store_unlock(guard);
	if (r < 0) {
		berth__blob_abort(w);
		return r;
	}
	berth__sha256_init(&w->sha);
	return 0;
}

int berth__blob_write(berth__blob_writer *w, const void *data, size_t len)
{
	const char *p = data;
	berth__sha256_update(&w->sha, data, len);
	w->size += len;
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth__err_sys(errno, "image store: write %s", w->tmp);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void berth__blob_abort(berth__blob_writer *w)
{
	if (w->tmp[0])
		unlink(w->tmp); /* before the close that releases its lock */
	w->tmp[0] = '\0';
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static int commit(berth__blob_writer *w, const berth__store *s, const char *expect, const char *hex,
	char digest_out[BERTH__DIGEST_LEN])
{
	char dst[4200];
	int r = 0;
	if (expect && (strncmp(expect, "sha256:", 7) || strcmp(expect + 7, hex)))
		r = berth__err(BERTH_EDIGEST, "image store: blob content hashes to sha256:%s, expected %s", hex, expect);
	if (r == 0)
		r = blob_hex_path(dst, sizeof dst, s, hex);
	/* renamed while its fd (and so its lock) is held, then closed: a sweep
	 * never sees it unlocked under its temp name */
	if (r == 0 && rename(w->tmp, dst) < 0)
		r = berth__err_sys(errno, "image store: rename %s to %s", w->tmp, dst);
	if (r == 0) {
		w->tmp[0] = '\0';
		int c = close(w->fd);
		w->fd = -1;
		if (c < 0)
			r = berth__err_sys(errno, "image store: close %s", dst);
		else if (digest_out)
			snprintf(digest_out, BERTH__DIGEST_LEN, "sha256:%s", hex);
	}
	berth__blob_abort(w);
	return r;
}

int berth__blob_commit(berth__blob_writer *w, const berth__store *s, const char *expect,
	char digest_out[BERTH__DIGEST_LEN])
{
	char hex[65];
	berth__sha256_final_hex(&w->sha, hex);
	return commit(w, s, expect, hex, digest_out);
}

int berth__blob_commit_hashed(berth__blob_writer *w, const berth__store *s, const char *hex)
{
	return commit(w, s, NULL, hex, NULL);
}

int berth__blob_put(const berth__store *s, const void *data, size_t len, char digest_out[BERTH__DIGEST_LEN])
{
	berth__sha256_ctx c;
	char hex[65], dst[4200];
	berth__sha256_init(&c);
	berth__sha256_update(&c, data, len);
	berth__sha256_final_hex(&c, hex);
	int r = blob_hex_path(dst, sizeof dst, s, hex);
	if (r < 0)
		return r;
	struct stat st;
	if (!(stat(dst, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len)) {
		berth__blob_writer w;
		if ((r = berth__blob_begin(&w, s)) < 0)
			return r;
		if ((r = berth__blob_write(&w, data, len)) < 0) {
			berth__blob_abort(&w);
			return r;
		}
		char expect[BERTH__DIGEST_LEN];
		snprintf(expect, sizeof expect, "sha256:%s", hex);
		if ((r = berth__blob_commit(&w, s, expect, NULL)) < 0)
			return r;
	}
	snprintf(digest_out, BERTH__DIGEST_LEN, "sha256:%s", hex);
	return 0;
}
