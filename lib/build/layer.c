/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A build step's layer (build_internal.h): its overlay upper directory
 * written as an OCI layer tar, gzip-compressed, hashed twice (the tar: the
 * DiffID; the gzip stream: the blob digest) in one pass into a temp blob.
 *
 * Two libarchive writers are chained: "tar" (pax, unblocked) hands its bytes
 * to our callback, which hashes them and feeds "raw" (the raw format with the
 * gzip filter, level 1, no timestamp: the same input gives the same blob),
 * whose callback hashes the compressed bytes and writes them to the blob.
 *
 * Overlay form to tar: a 0/0 character device NAME is a whiteout
 * "dir/.wh.NAME"; a directory with trusted.overlay.opaque=y gets a
 * "dir/.wh..wh..opq" entry after it; trusted.overlay.* attributes are never
 * written (and all but opaque are removed from the upper dir, which becomes
 * the layer's unpacked directory as it is). Entries are sorted by name, and
 * hard links within the layer are kept as links. */
#include "build/build_internal.h"
#include "image/store.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

typedef struct hl {
	dev_t dev;
	ino_t ino;
	char *path;
} hl;

typedef struct lw {
	struct archive *tar, *raw;
	berth__sha256_ctx diff_sha, blob_sha;
	uint64_t blob_size, diff_size;
	int out_fd;
	int write_errno;
	char raw_err[256];
	const char *what;
	hl *links;
	size_t nlinks, caplinks;
	uint64_t entries;
	char buf[128 * 1024];
} lw;

static la_ssize_t raw_cb(struct archive *a, void *p, const void *buf, size_t n)
{
	lw *w = p;
	berth__sha256_update(&w->blob_sha, buf, n);
	w->blob_size += n;
	const char *c = buf;
	size_t left = n;
	while (left) {
		ssize_t k = write(w->out_fd, c, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			w->write_errno = errno;
			archive_set_error(a, errno, "write error");
			return -1;
		}
		c += k;
		left -= (size_t)k;
	}
	return (la_ssize_t)n;
}

static la_ssize_t tar_cb(struct archive *a, void *p, const void *buf, size_t n)
{
	lw *w = p;
	berth__sha256_update(&w->diff_sha, buf, n);
	w->diff_size += n;
	if (archive_write_data(w->raw, buf, n) < 0) {
		const char *m = archive_error_string(w->raw);
		snprintf(w->raw_err, sizeof w->raw_err, "%s", m ? m : "compression failed");
		archive_set_error(a, EIO, "compression failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int fail_tar(lw *w, const char *rel)
{
	if (w->write_errno)
		return berth__err_sys(w->write_errno, "%s: write the layer blob", w->what);
	if (w->raw_err[0])
		return berth__err(BERTH_ESYS, "%s: compress: %s", w->what, w->raw_err);
	const char *m = archive_error_string(w->tar);
	return berth__err(BERTH_ESYS, "%s: write the layer entry '%s': %s", w->what, rel, m ? m : "failed");
}

/* Copies the xattrs of path to the entry (overlay's own dropped; other
 * trusted.overlay.* removed from the file unless it is the opaque marker);
 * *opaque: trusted.overlay.opaque=y. */
static void xattrs(lw *w, struct archive_entry *e, const char *path, int *opaque)
{
	char names[4096];
	ssize_t n = llistxattr(path, names, sizeof names);
	*opaque = 0;
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;
		if (!strncmp(name, "trusted.overlay.", 16)) {
			if (!strcmp(name, "trusted.overlay.opaque")) {
				char v[8];
				ssize_t k = lgetxattr(path, name, v, sizeof v);
				if (k == 1 && v[0] == 'y')
					*opaque = 1;
			} else
				lremovexattr(path, name);
			continue;
		}
		if (!strncmp(name, "security.", 9) && strcmp(name, "security.capability"))
			continue; /* host LSM labels */
		if (!strncmp(name, "system.", 7))
			continue;
		char val[4096];
		ssize_t k = lgetxattr(path, name, val, sizeof val);
		if (k >= 0 && e)
			archive_entry_xattr_add_entry(e, name, val, (size_t)k);
	}
	(void)w;
}

static int write_plain(lw *w, const char *name, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return berth__err_nomem();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	int r = archive_write_header(w->tar, e) < ARCHIVE_WARN ? fail_tar(w, name) : 0;
	archive_entry_free(e);
	w->entries++;
	return r;
}

static int walk(lw *w, int dfd, char *path, size_t plen, char *rel, size_t rlen);

static int one(lw *w, int dfd, const char *name, char *path, size_t plen, char *rel, size_t rlen)
{
	size_t nl = strlen(name);
	if (plen + nl + 2 >= 4096 || rlen + nl + 2 >= 4096)
		return berth__err(BERTH_EINVAL, "%s: path too long: %s/%s", w->what, rel, name);
	/* path: <upper>/<rel>/<name>; rel: "<rel>/<name>" without a leading '/' */
	path[plen] = '/';
	memcpy(path + plen + 1, name, nl + 1);
	size_t np = plen + 1 + nl;
	size_t nr = rlen;
	if (rlen)
		rel[nr++] = '/';
	memcpy(rel + nr, name, nl + 1);
	nr += nl;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth__err_sys(errno, "%s: stat %s", w->what, path);
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		/* a whiteout */
		char wh[4200];
		snprintf(wh, sizeof wh, "%.*s%s.wh.%s", (int)rlen, rel, rlen ? "/" : "", name);
		return write_plain(w, wh, &st);
	}
	if (S_ISSOCK(st.st_mode))
		return 0;
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return berth__err_nomem();
	int r = 0, fd = -1, opaque = 0;
	archive_entry_set_pathname(e, rel);
	archive_entry_set_uid(e, st.st_uid);
	archive_entry_set_gid(e, st.st_gid);
	archive_entry_set_mode(e, st.st_mode);
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	xattrs(w, e, path, &opaque);
	if (S_ISREG(st.st_mode)) {
		if (st.st_nlink > 1) {
			for (size_t i = 0; i < w->nlinks; i++)
				if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino) {
					archive_entry_set_hardlink(e, w->links[i].path);
					archive_entry_set_size(e, 0);
					goto header;
				}
			if (w->nlinks == w->caplinks) {
				size_t c = w->caplinks ? w->caplinks * 2 : 16;
				hl *nlk = realloc(w->links, c * sizeof *nlk);
				if (!nlk) {
					r = berth__err_nomem();
					goto out;
				}
				w->links = nlk;
				w->caplinks = c;
			}
			w->links[w->nlinks] = (hl){ st.st_dev, st.st_ino, berth__strdup(rel) };
			if (!w->links[w->nlinks].path) {
				r = BERTH_ENOMEM;
				goto out;
			}
			w->nlinks++;
		}
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = berth__err_sys(errno, "%s: open %s", w->what, path);
			goto out;
		}
		archive_entry_set_size(e, st.st_size);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t k = readlinkat(dfd, name, target, sizeof target - 1);
		if (k < 0) {
			r = berth__err_sys(errno, "%s: readlink %s", w->what, path);
			goto out;
		}
		target[k] = '\0';
		archive_entry_set_symlink(e, target);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		archive_entry_set_rdevmajor(e, major(st.st_rdev));
		archive_entry_set_rdevminor(e, minor(st.st_rdev));
	}
header:
	if (archive_write_header(w->tar, e) < ARCHIVE_WARN) {
		r = fail_tar(w, rel);
		goto out;
	}
	w->entries++;
	if (fd >= 0) {
		off_t left = st.st_size;
		while (left > 0) {
			ssize_t k = read(fd, w->buf, sizeof w->buf);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				r = berth__err_sys(errno, "%s: read %s", w->what, path);
				goto out;
			}
			if (k == 0)
				break;
			if ((off_t)k > left)
				k = (ssize_t)left;
			if (archive_write_data(w->tar, w->buf, (size_t)k) < 0) {
				r = fail_tar(w, rel);
				goto out;
			}
			left -= k;
		}
		if (left > 0) {
			/* the file shrank while read: pad as the header promised */
			memset(w->buf, 0, sizeof w->buf);
			while (left > 0) {
				size_t k = left > (off_t)sizeof w->buf ? sizeof w->buf : (size_t)left;
				if (archive_write_data(w->tar, w->buf, k) < 0) {
					r = fail_tar(w, rel);
					goto out;
				}
				left -= (off_t)k;
			}
		}
	}
	if (S_ISDIR(st.st_mode)) {
		if (opaque) {
			char op[4200];
			snprintf(op, sizeof op, "%s/.wh..wh..opq", rel);
			if ((r = write_plain(w, op, &st)) < 0)
				goto out;
		}
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			r = berth__err_sys(errno, "%s: open %s", w->what, path);
			goto out;
		}
		r = walk(w, sub, path, np, rel, nr);
	}
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	path[plen] = '\0';
	rel[rlen] = '\0';
	return r;
}

/* Takes dfd (closes it). */
static int walk(lw *w, int dfd, char *path, size_t plen, char *rel, size_t rlen)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return berth__err_sys(e, "%s: read directory %s", w->what, path);
	}
	char **names = NULL;
	size_t n = 0;
	int r = berth__dir_names(&names, &n, d);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = one(w, dirfd(d), names[i], path, plen, rel, rlen);
	free(names);
	closedir(d);
	return r;
}

int berth__bd_layer_write(bd_layer *out, const berth__store *s, const char *upper, const char *what)
{
	memset(out, 0, sizeof *out);
	if (berth__archive_error())
		return berth__err(BERTH_EUNSUPPORTED, "%s: %s", what, berth__archive_error());
	lw *w = calloc(1, sizeof *w);
	if (!w)
		return berth__err_nomem();
	w->what = what;
	berth__sha256_init(&w->diff_sha);
	berth__sha256_init(&w->blob_sha);
	berth__blob_writer bw = { .fd = -1 };
	struct archive_entry *re = NULL;
	int r = berth__blob_begin(&bw, s);
	if (r < 0) {
		free(w);
		return r;
	}
	w->out_fd = bw.fd;
	w->raw = archive_write_new();
	w->tar = archive_write_new();
	re = archive_entry_new();
	if (!w->raw || !w->tar || !re) {
		r = berth__err_nomem();
		goto out;
	}
	if (archive_write_set_format_raw(w->raw) != ARCHIVE_OK || archive_write_add_filter_gzip(w->raw) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->raw, 0) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(w->tar) != ARCHIVE_OK ||
	    archive_write_add_filter_none(w->tar) != ARCHIVE_OK || archive_write_set_bytes_per_block(w->tar, 0) != ARCHIVE_OK) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: libarchive cannot write gzip tar layers: %s", what,
		               archive_error_string(w->raw));
		goto out;
	}
	archive_write_set_filter_option(w->raw, "gzip", "compression-level", "1");
	archive_write_set_filter_option(w->raw, "gzip", "timestamp", NULL);
	if (archive_write_open(w->raw, w, NULL, raw_cb, NULL) != ARCHIVE_OK) {
		r = berth__err(BERTH_ESYS, "%s: start the gzip stream: %s", what, archive_error_string(w->raw));
		goto out;
	}
	archive_entry_set_pathname(re, "layer.tar");
	archive_entry_set_filetype(re, AE_IFREG);
	archive_entry_set_perm(re, 0644);
	if (archive_write_header(w->raw, re) < ARCHIVE_WARN) {
		r = berth__err(BERTH_ESYS, "%s: start the gzip stream: %s", what, archive_error_string(w->raw));
		goto out;
	}
	if (archive_write_open(w->tar, w, NULL, tar_cb, NULL) != ARCHIVE_OK) {
		r = fail_tar(w, ".");
		goto out;
	}
	char path[4096], rel[4096];
	snprintf(path, sizeof path, "%s", upper);
	rel[0] = '\0';
	int dfd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = berth__err_sys(errno, "%s: open %s", what, upper);
		goto out;
	}
	if ((r = walk(w, dfd, path, strlen(path), rel, 0)) < 0)
		goto out;
	if (archive_write_close(w->tar) != ARCHIVE_OK) {
		r = fail_tar(w, "(end)");
		goto out;
	}
	if (archive_write_close(w->raw) != ARCHIVE_OK) {
		r = w->write_errno ? berth__err_sys(w->write_errno, "%s: write the layer blob", what)
		                   : berth__err(BERTH_ESYS, "%s: finish the gzip stream: %s", what, archive_error_string(w->raw));
		goto out;
	}
	if (w->entries == 0) {
		out->empty = 1;
		r = 0;
		goto out; /* the blob is discarded below */
	}
	char bhex[65], dhex[65];
	berth__sha256_final_hex(&w->blob_sha, bhex);
	berth__sha256_final_hex(&w->diff_sha, dhex);
	if ((r = berth__blob_commit_hashed(&bw, s, bhex)) < 0)
		goto out;
	snprintf(out->digest, sizeof out->digest, "sha256:%s", bhex);
	snprintf(out->diff_id, sizeof out->diff_id, "sha256:%s", dhex);
	out->size = w->blob_size;
out:
	berth__blob_abort(&bw);
	if (re)
		archive_entry_free(re);
	if (w->tar)
		archive_write_free(w->tar);
	if (w->raw)
		archive_write_free(w->raw);
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i].path);
	free(w->links);
	free(w);
	return r;
}
