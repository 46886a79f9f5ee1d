/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reading a container's log (log.h): the files written by its monitor
 * (format: logfmt.h), oldest first: container.log.<N> ... container.log.1,
 * container.log. Opening takes a snapshot of the files (open fds, so a
 * rotation meanwhile loses nothing already there); following goes on with
 * the newest file, and with the next one when the monitor rotates (a new
 * inode at the path), until the container has stopped and the log is read
 * to its end (the monitor writes everything before it records the exit).
 */
#include "runtime/container.h"
#include "runtime/logfmt.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READER_BUF (64 * 1024)
#define FOLLOW_POLL_MS 50
#define MAX_FILES 1000

struct berth_log_reader {
	berth_container *c;
	berth_log_read_options o;
	int fds[MAX_FILES + 1]; /* the snapshot, oldest first */
	int nfds, cur;          /* fds[cur] is being read */
	int64_t start_off;      /* where to start in fds[cur] (tail); 0: its beginning */
	int at_start;           /* the magic of fds[cur] not read yet */
	int legacy;             /* fds[cur] has no magic: raw bytes from before the record format */
	int stopped;            /* the container was seen stopped: one last read, then the end */
	int done;
	size_t start, end;      /* unread bytes in buf */
	unsigned char buf[READER_BUF];
};

BERTH_EXTERN int berth_log_read_options_init(berth_log_read_options *opts, unsigned int version)
{
	static const berth_log_read_options d = BERTH_LOG_READ_OPTIONS_INIT;
	static const size_t sizes[] = { sizeof d };
	return berth__options_init(opts, version, &d, sizes, BERTH_ARRAY_SIZE(sizes), "berth_log_read_options");
}

static int same_file(int a, int b)
{
	struct stat x, y;
	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

static void close_files(berth_log_reader *r)
{
	for (int i = 0; i < r->nfds; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	r->nfds = 0;
}

/* Opens path, path.1, ... (ENOENT ends the list) into fds, oldest first. A
 * rotation in between shows as one inode twice: then again. */
static int snapshot(berth_log_reader *r, const char *path)
{
	for (int attempt = 0; attempt < 10; attempt++) {
		int tmp[MAX_FILES + 1], n = 0, again = 0;
		for (int i = 0; i <= MAX_FILES; i++) {
			char p[PATH_MAX + 16];
			if (i)
				snprintf(p, sizeof p, "%s.%d", path, i);
			else
				snprintf(p, sizeof p, "%s", path);
			int fd = open(p, O_RDONLY | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT && i > 0)
				break;
			if (fd < 0 && errno != ENOENT) {
				int e = errno;
				while (n)
					close(tmp[--n]);
				return berth__err_sys(e, "container %s: log %s", r->c->id, p);
			}
			if (fd >= 0 && n && same_file(fd, tmp[n - 1]))
				again = 1;
			if (fd >= 0)
				tmp[n++] = fd;
			if (again)
				break;
		}
		if (again) {
			while (n)
				close(tmp[--n]);
			continue;
		}
		for (int i = 0; i < n; i++)
			r->fds[i] = tmp[n - 1 - i];
		r->nfds = n;
		return 0;
	}
	return berth__err(BERTH_EBUSY, "container %s: log %s: rotating too fast to read", r->c->id, path);
}

/* Counts the line ends in fd (a trailing partial record of the newest file
 * ends a line too); with stop > 0, stops at the stop-th and sets *at to the
 * offset after it. */
static int64_t line_ends(int fd, int newest, int64_t size, int64_t stop, int64_t *at, unsigned char *buf)
{
	int64_t off = BERTH__LOG_MAGIC_LEN, base = 0, k = 0;
	ssize_t have = 0;
	while (off + BERTH__LOG_HDR <= size) {
		if (off + BERTH__LOG_HDR > base + have) {
			base = off;
			have = pread(fd, buf, READER_BUF, off);
			if (have < BERTH__LOG_HDR)
				break;
		}
		uint32_t len;
		int stream;
		unsigned flags;
		uint64_t ts;
		if (berth__log_hdr_get(buf + (off - base), &len, &stream, &flags, &ts) < 0)
			break;
		int64_t next = off + BERTH__LOG_HDR + len;
		if (next > size)
			break; /* a record being written */
		off = next;
		if (!(flags & BERTH_LOG_PARTIAL) || (newest && off + BERTH__LOG_HDR > size)) {
			if (++k == stop) {
				*at = off;
				break;
			}
		}
	}
	return k;
}

/* For tail N: the file and offset the last N lines start at (two passes
 * over a file: no memory that grows with N). */
static int seek_tail(berth_log_reader *r)
{
	int64_t want = r->o.tail;
	r->cur = r->nfds ? r->nfds - 1 : 0;
	r->start_off = 0;
	for (int i = r->nfds - 1; i >= 0; i--) {
		struct stat st;
		if (fstat(r->fds[i], &st) < 0)
			return berth__err_sys(errno, "container %s: log", r->c->id);
		int newest = i == r->nfds - 1;
		int64_t at = 0, k = line_ends(r->fds[i], newest, st.st_size, 0, &at, r->buf);
		r->cur = i;
		if (k > want) {
			line_ends(r->fds[i], newest, st.st_size, k - want, &r->start_off, r->buf);
			return 0;
		}
		want -= k;
		if (want == 0)
			return 0; /* from the start of this file */
	}
	return 0;
}

BERTH_EXTERN int berth_log_reader_open(berth_log_reader **out, berth_container *c, const berth_log_read_options *opts)
{
	berth_log_read_options d = BERTH_LOG_READ_OPTIONS_INIT;
	if (!out || !c)
		return berth__err(BERTH_EINVAL, "logs: out and container are required");
	if (opts && berth__check_version(opts->version, BERTH_LOG_READ_OPTIONS_VERSION, "berth_log_read_options") < 0)
		return berth__err_prefix("logs");
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (!berth__container_has_log(c->state, c->log_path)) {
		const char *driver = json_string_value(json_object_get(c->state, "logDriver"));
		if (driver && !strcmp(driver, "none"))
			return berth__err(BERTH_EUNSUPPORTED, "container %s: no log: its log driver is \"none\"", c->id);
		return berth__err(BERTH_EUNSUPPORTED,
		                  "container %s: no log: it was run attached (its output went to the caller)", c->id);
	}
	berth_log_reader *lr = calloc(1, sizeof *lr);
	if (!lr)
		return berth__err_nomem();
	lr->c = c;
	lr->o = opts ? *opts : d;
	lr->at_start = 1;
	if ((r = snapshot(lr, c->log_path)) < 0 || (lr->o.tail >= 0 && (r = seek_tail(lr)) < 0)) {
		berth_log_reader_free(lr);
		return r;
	}
	*out = lr;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN void berth_log_reader_free(berth_log_reader *r)
{
	if (!r)
		return;
	close_files(r);
	free(r);
}

/* Moves on to fds[cur + 1], or (following) to a new file at the path. 1 if
 * there is one. */
static int next_file(berth_log_reader *r)
{
	if (r->cur + 1 < r->nfds) {
		r->cur++;
	} else {
		if (!(r->o.flags & BERTH_LOG_FOLLOW))
			return 0;
		int fd = open(r->c->log_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		if (r->nfds && same_file(fd, r->fds[r->nfds - 1])) {
			close(fd);
			return 0;
		}
		if (r->nfds == MAX_FILES + 1) {
			close(r->fds[0]);
			memmove(r->fds, r->fds + 1, (size_t)(r->nfds - 1) * sizeof *r->fds);
			r->nfds--;
		}
		r->fds[r->nfds++] = fd;
		r->cur = r->nfds - 1;
	}
	r->start = r->end = 0;
	r->start_off = 0;
	r->at_start = 1;
	r->legacy = 0;
	return 1;
}

/* More bytes of fds[cur] into buf: > 0 read, 0 at its end. */
static int fill(berth_log_reader *r)
{
	if (r->nfds == 0)
		return 0;
	if (r->start && r->start == r->end)
		r->start = r->end = 0;
	if (r->start > READER_BUF / 2) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->at_start && r->start_off) {
		if (lseek(r->fds[r->cur], r->start_off, SEEK_SET) < 0)
			return berth__err_sys(errno, "container %s: log", r->c->id);
		r->at_start = 0;
	}
	for (;;) {
		ssize_t n = read(r->fds[r->cur], r->buf + r->end, READER_BUF - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth__err_sys(errno, "container %s: read its log", r->c->id);
		r->end += (size_t)n;
		return n > 0;
	}
}

/* A record from buf: 1, or 0 when buf holds no whole one. */
static int take(berth_log_reader *r, berth_log_record *rec, int at_eof)
{
	size_t avail = r->end - r->start;
	unsigned char *p = r->buf + r->start;
	if (!avail)
		return 0;
	if (r->at_start) {
		if (avail < BERTH__LOG_MAGIC_LEN && !at_eof)
			return 0;
		r->legacy = avail < BERTH__LOG_MAGIC_LEN || memcmp(p, BERTH__LOG_MAGIC, BERTH__LOG_MAGIC_LEN) != 0;
		if (!r->legacy) {
			r->start += BERTH__LOG_MAGIC_LEN;
			avail -= BERTH__LOG_MAGIC_LEN;
			p += BERTH__LOG_MAGIC_LEN;
		}
		r->at_start = 0;
	}
	if (r->legacy) {
		/* a log from before the record format: its bytes as stdout */
		size_t n = avail < BERTH_LOG_MAX_RECORD ? avail : BERTH_LOG_MAX_RECORD;
		if (!n || (n < BERTH_LOG_MAX_RECORD && !at_eof && !memchr(p, '\n', n)))
			return 0;
		*rec = (berth_log_record){ rec->version, BERTH_LOG_STDOUT, p[n - 1] == '\n' ? 0 : BERTH_LOG_PARTIAL, 0,
			                   (const char *)p, n };
		r->start += n;
		return 1;
	}
	uint32_t len;
	int stream;
	unsigned flags;
	uint64_t ts;
	if (avail < BERTH__LOG_HDR)
		return 0;
	if (berth__log_hdr_get(p, &len, &stream, &flags, &ts) < 0)
		return berth__err(BERTH_EINVAL, "container %s: its log is corrupt (a bad record header)", r->c->id);
	if (avail < BERTH__LOG_HDR + len)
		return 0;
	*rec = (berth_log_record){ rec->version, stream, flags, (int64_t)ts, (const char *)p + BERTH__LOG_HDR, len };
	r->start += BERTH__LOG_HDR + len;
	return 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* At the end of what is there: 1 to read on, 0 at the end of the log. */
static int at_end(berth_log_reader *r)
{
	if (r->cur + 1 < r->nfds)
		return next_file(r);
	if (!(r->o.flags & BERTH_LOG_FOLLOW) || r->stopped)
		return 0;
	if (next_file(r))
		return 1; /* rotated: the old file was read to its end */
	/* the monitor writes everything before it records the exit: one more
	 * round once the exit is recorded (or nobody is left to record it, or
	 * the container was deleted) */
	if (berth__container_load_state(r->c) < 0 || berth__container_finished(r->c) || access(r->c->root_dir, F_OK) < 0) {
		r->stopped = 1;
		return 1;
	}
	return -1; /* wait, then read again */
}

/* Whether a record passes since/until; until also ends the reading. */
static int wanted(berth_log_reader *r, const berth_log_record *rec)
{
	if (r->o.until_ns > 0 && rec->time_ns > r->o.until_ns) {
		r->done = 1;
		return 0;
	}
	return !(r->o.since_ns > 0 && rec->time_ns < r->o.since_ns);
}

BERTH_EXTERN int berth_log_reader_next(berth_log_record *rec, berth_log_reader *r, int timeout_ms)
{
	if (!rec || !r)
		return berth__err(BERTH_EINVAL, "logs: record and reader are required");
	if (berth__check_version(rec->version, BERTH_LOG_RECORD_VERSION, "berth_log_record") < 0)
		return berth__err_prefix("logs");
	int64_t deadline = timeout_ms >= 0 ? mono_ms() + timeout_ms : -1;
	int eof = 0; /* this file is read to its end and no more bytes will come */
	while (!r->done) {
		int got = take(r, rec, eof);
		if (got < 0)
			return got;
		if (got) {
			if (!wanted(r, rec))
				continue;
			berth__err_ok();
			return 1;
		}
		if (!eof) {
			int n = fill(r);
			if (n < 0)
				return n;
			if (n > 0)
				continue;
			/* an older file, or without follow: what is there is all */
			eof = r->cur + 1 < r->nfds || !(r->o.flags & BERTH_LOG_FOLLOW) || r->stopped;
			if (eof)
				continue;
		}
		eof = 0;
		int e = at_end(r);
		if (e == 0)
			break;
		if (e > 0)
			continue;
		int64_t now = mono_ms();
		if (deadline >= 0 && now >= deadline)
			return berth__err(BERTH_ETIMEOUT, "container %s: no new log record after %d ms", r->c->id, timeout_ms);
		int wait = FOLLOW_POLL_MS;
		if (deadline >= 0 && deadline - now < wait)
			wait = (int)(deadline - now);
		poll(NULL, 0, wait);
	}
	r->done = 1;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_container_logs(berth_container *c, const berth_log_read_options *opts, berth_log_record_cb cb,
                                      void *payload)
{
	if (!cb)
		return berth__err(BERTH_EINVAL, "logs: a callback is required");
	berth_log_reader *r;
	int rc = berth_log_reader_open(&r, c, opts);
	if (rc < 0)
		return rc;
	berth_log_record rec = { BERTH_LOG_RECORD_VERSION };
	while ((rc = berth_log_reader_next(&rec, r, -1)) > 0)
		if (cb(&rec, payload)) {
			/* no BERTH_ECANCELED in the 0.1 error codes yet */
			rc = berth__err(BERTH_ECANCELED, "container %s: reading its log: canceled by the callback", c->id);
			break;
		}
	berth_log_reader_free(r);
	return rc < 0 ? rc : 0;
}
