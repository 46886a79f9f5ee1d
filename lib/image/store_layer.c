/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Layers of the image store (lib/image/store.h): one pass over a layer that
 * decompresses it, hashes both the bytes read (the blob digest) and the tar
 * stream (the DiffID), optionally keeps a copy of the tar stream, and unpacks
 * it with the hostile-safe unpacker (lib/image/unpack.h).
 *
 * Two libarchive readers are chained: "raw" reads the input through the gzip
 * and zstd filters and hands out the decompressed bytes as one entry; "tar"
 * reads those bytes (no filters of its own: a layer is compressed once) and
 * gives the entries to berth__layer_unpack_archive. A gzip input is
 * decompressed by ISA-L instead of "raw" when libisal.so.2 can be loaded
 * (lib/image/isal_dl.c): several times faster than zlib. Both check the
 * gzip trailer (CRC-32 and size) and read concatenated members.
 */
#include "image/isal.h"
#include "image/store.h"
#include "image/unpack.h"
#include <archive.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_SIZE (128 * 1024)

typedef struct stream {
	int in_fd;
	int in_errno;
	berth__sha256_ctx in_sha;
	uint64_t in_size;
	struct archive *raw;
	int raw_eof;
	char raw_err[300];
	int copy_fd;
	int copy_errno;
	berth__sha256_ctx out_sha;
	uint64_t out_size;
	size_t pre;      /* bytes of inbuf read (and hashed) to sniff the format, not yet handed out */
#ifdef BERTH_HAVE_ISAL
	struct inflate_state *inf; /* ISA-L, for gzip */
#endif
	unsigned char inbuf[BUF_SIZE];
	unsigned char outbuf[BUF_SIZE];
} stream;

/* The next input bytes into s->inbuf (hashed): > 0, 0 at the end, -1 on error (in_errno). */
static ssize_t read_in(stream *s)
{
	for (;;) {
		ssize_t n = read(s->in_fd, s->inbuf, sizeof s->inbuf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->in_errno = errno;
			return -1;
		}
		berth__sha256_update(&s->in_sha, s->inbuf, (size_t)n);
		s->in_size += (uint64_t)n;
		return n;
	}
}

static la_ssize_t in_read(struct archive *a, void *p, const void **buf)
{
	stream *s = p;
	*buf = s->inbuf;
	if (s->pre) {
		la_ssize_t n = (la_ssize_t)s->pre;
		s->pre = 0;
		return n;
	}
	ssize_t n = read_in(s);
	if (n < 0)
		archive_set_error(a, s->in_errno, "read error");
	return n;
}

static la_ssize_t emit(stream *s, size_t n);

#ifdef BERTH_HAVE_ISAL
static const char *isal_error(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK: return "invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid deflate distance";
	case ISAL_INVALID_WRAPPER: return "invalid gzip header";
	case ISAL_INCORRECT_CHECKSUM: return "gzip CRC or size mismatch";
	default: return "gzip decompression failed";
	}
}

/* gzip through ISA-L: the next decompressed bytes, as pull(). */
static la_ssize_t pull_gzip(stream *s)
{
	struct inflate_state *z = s->inf;
	for (;;) {
		if (z->block_state == ISAL_BLOCK_FINISH) {
			/* a member ended: another one, or the end (trailing bytes are only hashed) */
			if (!z->avail_in) {
				ssize_t n = read_in(s);
				if (n < 0)
					return -1;
				if (n == 0) {
					s->raw_eof = 1;
					return 0;
				}
				z->next_in = s->inbuf;
				z->avail_in = (uint32_t)n;
			}
			if (z->next_in[0] != 0x1f) {
				s->raw_eof = 1;
				return 0;
			}
			uint8_t *in = z->next_in;
			uint32_t avail = z->avail_in;
			isal_inflate_init(z);
			z->crc_flag = ISAL_GZIP;
			z->next_in = in;
			z->avail_in = avail;
		}
		if (!z->avail_in) {
			ssize_t n = read_in(s);
			if (n < 0)
				return -1;
			if (n == 0) {
				snprintf(s->raw_err, sizeof s->raw_err, "truncated gzip stream");
				return -1;
			}
			z->next_in = s->inbuf;
			z->avail_in = (uint32_t)n;
		}
		z->next_out = s->outbuf;
		z->avail_out = sizeof s->outbuf;
		int r = isal_inflate(z);
		if (r != ISAL_DECOMP_OK) {
			snprintf(s->raw_err, sizeof s->raw_err, "%s", isal_error(r));
			return -1;
		}
		size_t n = sizeof s->outbuf - z->avail_out;
		if (n)
			return emit(s, n);
	}
}
#endif

/* The next decompressed bytes into s->outbuf: > 0, 0 at the end, < 0 on error. */
static la_ssize_t pull(stream *s)
{
	if (s->raw_eof)
		return 0;
#ifdef BERTH_HAVE_ISAL
	if (s->inf)
		return pull_gzip(s);
#endif
	la_ssize_t n = archive_read_data(s->raw, s->outbuf, sizeof s->outbuf);
	if (n < 0) {
		const char *m = archive_error_string(s->raw);
		snprintf(s->raw_err, sizeof s->raw_err, "%s", m ? m : "decompression failed");
		return -1;
	}
	if (n == 0) {
		s->raw_eof = 1;
		return 0;
	}
	return emit(s, (size_t)n);
}

/* n decompressed bytes in s->outbuf: hashed, copied; returns n or -1. */
static la_ssize_t emit(stream *s, size_t n)
{
	berth__sha256_update(&s->out_sha, s->outbuf, (size_t)n);
	s->out_size += (uint64_t)n;
	if (s->copy_fd >= 0) {
		const unsigned char *p = s->outbuf;
		size_t left = (size_t)n;
		while (left) {
			ssize_t w = write(s->copy_fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				s->copy_errno = errno;
				return -1;
			}
			p += w;
			left -= (size_t)w;
		}
	}
	return (la_ssize_t)n;
}

static la_ssize_t out_read(struct archive *a, void *p, const void **buf)
{
	stream *s = p;
	la_ssize_t n = pull(s);
	if (n < 0) {
		archive_set_error(a, s->copy_errno ? s->copy_errno : EIO, "%s",
			s->copy_errno ? "write error" : s->raw_err);
		return -1;
	}
	*buf = s->outbuf;
	return n;
}

/* The error of a failed stream: our own causes take precedence over what
 * the unpacker made of them. */
static int stream_error(stream *s, int r, const char *what)
{
	if (s->in_errno)
		return berth__err_sys(s->in_errno, "%s: read", what);
	if (s->copy_errno)
		return berth__err_sys(s->copy_errno, "%s: write the layer blob", what);
	if (s->in_size == 0)
		return berth__err(BERTH_EINVAL, "%s: empty input, not a tar archive", what);
	if (s->raw_err[0])
		return berth__err(BERTH_EINVAL, "%s: cannot decompress: %s", what, s->raw_err);
	return r;
}

int berth__layer_stream(berth__layer_result *res, int dirfd, int in_fd, int copy_fd, const char *what)
{
	if (berth__archive_error())
		return berth__err(BERTH_EUNSUPPORTED, "%s: %s", what, berth__archive_error());
	stream *s = calloc(1, sizeof *s);
	if (!s)
		return berth__err_nomem();
	s->in_fd = in_fd;
	s->copy_fd = copy_fd;
	berth__sha256_init(&s->in_sha);
	berth__sha256_init(&s->out_sha);
	struct archive *tar = NULL;
	int r = 0;
	s->raw = archive_read_new();
	tar = archive_read_new();
	if (!s->raw || !tar) {
		r = berth__err_nomem();
		goto out;
	}
	/* Only built-in decompressors (never support_filter_all, which runs
	 * external programs on untrusted input). */
	if (archive_read_support_filter_gzip(s->raw) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(s->raw) != ARCHIVE_OK || archive_read_support_format_raw(s->raw) != ARCHIVE_OK ||
	    archive_read_support_format_tar(tar) != ARCHIVE_OK) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: libarchive lacks built-in gzip, zstd or tar support", what);
		goto out;
	}
	struct archive_entry *e;
	ssize_t first = read_in(s);
	if (first < 0) {
		r = stream_error(s, BERTH_ESYS, what);
		goto out;
	}
	s->pre = (size_t)first;
#ifdef BERTH_HAVE_ISAL
	if (first >= 3 && s->inbuf[0] == 0x1f && s->inbuf[1] == 0x8b && s->inbuf[2] == 8 && berth__isal_ok()) {
		if (!(s->inf = calloc(1, sizeof *s->inf))) {
			r = berth__err_nomem();
			goto out;
		}
		isal_inflate_init(s->inf);
		s->inf->crc_flag = ISAL_GZIP;
		s->inf->next_in = s->inbuf;
		s->inf->avail_in = (uint32_t)first;
		s->pre = 0;
		goto open_tar;
	}
#endif
	if (archive_read_open(s->raw, s, NULL, in_read, NULL) != ARCHIVE_OK) {
		r = berth__err(BERTH_EINVAL, "%s: cannot read: %s", what, archive_error_string(s->raw));
		r = stream_error(s, r, what);
		goto out;
	}
	int ar = archive_read_next_header(s->raw, &e);
	if (ar == ARCHIVE_EOF) {
		r = berth__err(BERTH_EINVAL, "%s: empty input, not a tar archive", what);
		goto out;
	}
	if (ar != ARCHIVE_OK) {
		r = berth__err(BERTH_EINVAL, "%s: cannot read: %s", what, archive_error_string(s->raw));
		r = stream_error(s, r, what);
		goto out;
	}
#ifdef BERTH_HAVE_ISAL
open_tar:
#endif
	if (archive_read_open(tar, s, NULL, out_read, NULL) != ARCHIVE_OK) {
		r = berth__err(BERTH_EINVAL, "%s: not a tar archive (gzip, zstd or uncompressed): %s", what,
			archive_error_string(tar));
		r = stream_error(s, r, what);
		goto out;
	}
	r = berth__layer_unpack_archive(dirfd, tar, berth__layer_unpack_flags(), NULL, what);
	if (r < 0) {
		r = stream_error(s, r, what);
		goto out;
	}
	/* the rest: tar padding after the end-of-archive blocks, trailing input */
	la_ssize_t n;
	while ((n = pull(s)) > 0)
		;
	if (n < 0) {
		r = stream_error(s, BERTH_EINVAL, what);
		goto out;
	}
	for (;;) {
		ssize_t m = read(in_fd, s->inbuf, sizeof s->inbuf);
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0) {
			r = berth__err_sys(errno, "%s: read", what);
			goto out;
		}
		if (m == 0)
			break;
		berth__sha256_update(&s->in_sha, s->inbuf, (size_t)m);
		s->in_size += (uint64_t)m;
	}
	if (s->out_size == 0) {
		r = berth__err(BERTH_EINVAL, "%s: empty input, not a tar archive", what);
		goto out;
	}
	berth__sha256_final_hex(&s->in_sha, res->blob_hex);
	berth__sha256_final_hex(&s->out_sha, res->diff_hex);
	res->blob_size = s->in_size;
	res->diff_size = s->out_size;
	r = 0;
out:
	if (tar) {
		archive_read_close(tar);
		archive_read_free(tar);
	}
	if (s->raw) {
		archive_read_close(s->raw);
		archive_read_free(s->raw);
	}
#ifdef BERTH_HAVE_ISAL
	free(s->inf);
#endif
	free(s);
	return r;
}

unsigned berth__layer_unpack_flags(void)
{
	return geteuid() == 0 ? 0 : (BERTH__UNPACK_NO_DEVICES | BERTH__UNPACK_NO_CHOWN);
}

int berth__layer_tmpdir(char *buf, size_t len, const berth__store *s)
{
	return berth__tmp_dir_new(buf, len, s, s->layers, ".tmp-", 0755);
}

int berth__layer_install(const berth__store *s, const char *tmp, const char *chain_id)
{
	char dst[4200];
	int r = berth__store_path(dst, sizeof dst, "%s/%s", s->layers, chain_id + 7);
	if (r == 0 && rename(tmp, dst) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			r = 0; /* unpacked meanwhile by someone else: theirs is the same */
		else
			r = berth__err_sys(errno, "image store: rename %s to %s", tmp, dst);
		berth__rm_rf_quiet(tmp);
	}
	return r;
}
