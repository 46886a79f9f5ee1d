/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The monitor's log writer (see monitor_log.h; the format is in
 * lib/runtime/logfmt.h). One poll loop over the container's pipes: large
 * reads, lines cut into records of at most BERTH_LOG_MAX_RECORD bytes, the
 * records of one round written with one write(2). A file that would grow
 * past max_size is rotated first (path -> path.1 -> ... ; the oldest goes),
 * so every file stays within max_size unless a single record is bigger.
 * An unfinished line is written as a partial record when its buffer fills,
 * when nothing came for MLOG_PARTIAL_MS, or at the end.
 */
#include "monitor_log.h"
#include "runtime/logfmt.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MLOG_OUT (256 * 1024)
#define MLOG_PARTIAL_MS 100
#define MLOG_DRAIN_MS 2000 /* after the exit, what the container's other processes still write */

struct mlog {
	char path[PATH_MAX];
	int64_t max_size;
	int max_file;
	int fd;           /* the current file, -1 after a failed rotation */
	int64_t size;     /* its size */
	uint64_t last_ts; /* timestamps never go back */
	size_t out_len;
	unsigned char out[MLOG_OUT];
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { fd, POLLOUT, 0 };
			poll(&pf, 1, 1000);
			continue;
		}
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int file_open(struct mlog *lg)
{
	lg->fd = open(lg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (lg->fd < 0 || fstat(lg->fd, &st) < 0)
		return -1;
	lg->size = st.st_size;
	if (lg->size == 0) {
		if (write(lg->fd, BERTH__LOG_MAGIC, BERTH__LOG_MAGIC_LEN) != BERTH__LOG_MAGIC_LEN)
			return -1;
		lg->size = BERTH__LOG_MAGIC_LEN;
	}
	return 0;
}

struct mlog *mlog_open(const char *path, int64_t max_size, int max_file)
{
	struct mlog *lg = calloc(1, sizeof *lg);
	if (!lg)
		return NULL;
	snprintf(lg->path, sizeof lg->path, "%s", path);
	lg->max_size = max_size > 0 ? max_size : BERTH_LOG_DEFAULT_MAX_SIZE;
	lg->max_file = max_file > 0 ? max_file : BERTH_LOG_DEFAULT_MAX_FILE;
	if (file_open(lg) < 0) {
		int e = errno;
		if (lg->fd >= 0)
			close(lg->fd);
		free(lg);
		errno = e;
		return NULL;
	}
	return lg;
}

/* path.<i> */
static void rotated(char *buf, size_t n, const struct mlog *lg, int i)
{
	snprintf(buf, n, "%s.%d", lg->path, i);
}

/* path.<max_file-1> goes, path.<i> becomes path.<i+1>, path becomes
 * path.1 (with max_file 1: goes), a new path is started. */
static void rotate(struct mlog *lg)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = -1;
	if (lg->max_file > 1) {
		rotated(to, sizeof to, lg, lg->max_file - 1);
		unlink(to);
		for (int i = lg->max_file - 2; i >= 1; i--) {
			rotated(from, sizeof from, lg, i);
			rotated(to, sizeof to, lg, i + 1);
			rename(from, to);
		}
		rotated(to, sizeof to, lg, 1);
		rename(lg->path, to);
	} else {
		unlink(lg->path);
	}
	if (file_open(lg) < 0 && lg->fd >= 0) {
		close(lg->fd);
		lg->fd = -1;
	}
}

static void out_flush(struct mlog *lg)
{
	if (!lg->out_len)
		return;
	if (lg->fd < 0)
		file_open(lg); /* a failed rotation: try again (else the records are dropped) */
	if (lg->fd >= 0) {
		write_all(lg->fd, lg->out, lg->out_len);
		lg->size += (int64_t)lg->out_len;
	}
	lg->out_len = 0;
}

static uint64_t now_ns(struct mlog *lg)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (t < lg->last_ts)
		t = lg->last_ts;
	return lg->last_ts = t;
}

static void emit(struct mlog *lg, int stream, unsigned flags, const char *data, size_t len, uint64_t ts)
{
	size_t rec = BERTH__LOG_HDR + len;
	if (lg->size + (int64_t)(lg->out_len + rec) > lg->max_size && lg->size + (int64_t)lg->out_len > BERTH__LOG_MAGIC_LEN) {
		out_flush(lg);
		rotate(lg);
	}
	if (lg->out_len + rec > sizeof lg->out)
		out_flush(lg);
	berth__log_hdr_put(lg->out + lg->out_len, (uint32_t)len, stream, flags, ts);
	memcpy(lg->out + lg->out_len + BERTH__LOG_HDR, data, len);
	lg->out_len += rec;
}

/* Records for the whole lines in s->buf (and full-size pieces of an
 * unfinished one); the rest stays at the front of buf. */
static void cut_lines(struct mlog *lg, struct mlog_src *s, uint64_t ts)
{
	size_t off = 0;
	while (off < s->len) {
		size_t avail = s->len - off, take = avail < BERTH_LOG_MAX_RECORD ? avail : BERTH_LOG_MAX_RECORD;
		const char *nl = memchr(s->buf + off, '\n', take);
		if (nl) {
			size_t n = (size_t)(nl - (s->buf + off)) + 1;
			emit(lg, s->stream, 0, s->buf + off, n, ts);
			off += n;
		} else if (take == BERTH_LOG_MAX_RECORD) {
			emit(lg, s->stream, BERTH_LOG_PARTIAL, s->buf + off, take, ts);
			off += take;
		} else {
			break;
		}
	}
	if (off) {
		memmove(s->buf, s->buf + off, s->len - off);
		s->len -= off;
	}
}

void mlog_feed(struct mlog *lg, struct mlog_src *s, const char *data, size_t n)
{
	uint64_t ts = now_ns(lg);
	while (n) {
		size_t k = sizeof s->buf - s->len < n ? sizeof s->buf - s->len : n;
		memcpy(s->buf + s->len, data, k);
		s->len += k;
		data += k;
		n -= k;
		cut_lines(lg, s, ts);
	}
	out_flush(lg);
}

void mlog_flush(struct mlog *lg, struct mlog_src *s)
{
	if (s && s->len) {
		emit(lg, s->stream, BERTH_LOG_PARTIAL, s->buf, s->len, now_ns(lg));
		s->len = 0;
	}
	out_flush(lg);
}

void mlog_close(struct mlog *lg)
{
	if (!lg)
		return;
	out_flush(lg);
	if (lg->fd >= 0)
		close(lg->fd);
	free(lg);
}

/* One read from s: logged, copied to its tee; at the end its fd is closed. */
static void pump_read(struct mlog *lg, struct mlog_src *s)
{
	ssize_t r = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		mlog_flush(lg, s);
		close(s->fd);
		s->fd = -1;
		return;
	}
	if (s->tee >= 0 && write_all(s->tee, s->buf + s->len, (size_t)r) < 0) {
		close(s->tee); /* the caller went away (EPIPE): the log goes on */
		s->tee = -1;
	}
	s->len += (size_t)r;
	cut_lines(lg, s, now_ns(lg));
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mlog_pump(struct mlog *lg, struct mlog_src *src, int n, int pidfd)
{
	int64_t drain_until = -1; /* set once the process has exited */
	for (;;) {
		struct pollfd p[8];
		int idx[8], np = 0, pending = 0;
		for (int i = 0; i < n && np < 7; i++) {
			if (src[i].fd < 0)
				continue;
			p[np] = (struct pollfd){ src[i].fd, POLLIN, 0 };
			idx[np++] = i;
			pending |= src[i].len > 0;
		}
		if (np == 0)
			break;
		int ip = -1;
		if (drain_until < 0 && pidfd >= 0) {
			p[np] = (struct pollfd){ pidfd, POLLIN, 0 };
			ip = np++;
		}
		if (drain_until >= 0 && mono_ms() > drain_until)
			break;
		int pr = poll(p, (nfds_t)np, drain_until >= 0 ? 0 : pending ? MLOG_PARTIAL_MS : -1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			break;
		if (pr == 0) {
			if (drain_until >= 0)
				break; /* exited and nothing more to read */
			for (int i = 0; i < n; i++)
				mlog_flush(lg, &src[i]);
			continue;
		}
		for (int k = 0; k < np; k++) {
			if (k == ip)
				continue;
			if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
				pump_read(lg, &src[idx[k]]);
		}
		if (ip >= 0 && (p[ip].revents & POLLIN))
			drain_until = mono_ms() + MLOG_DRAIN_MS;
		out_flush(lg);
	}
	for (int i = 0; i < n; i++) {
		mlog_flush(lg, &src[i]);
		if (src[i].fd >= 0)
			close(src[i].fd);
		src[i].fd = -1;
	}
}
