/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The monitor's log writer: the container's stdout/stderr pipes (or its
 * terminal) into records of lib/runtime/logfmt.h, rotated by size.
 */
#ifndef BERTH_MONITOR_LOG_H
#define BERTH_MONITOR_LOG_H
#include <stddef.h>
#include <stdint.h>

struct mlog;

/* One stream read by the monitor: a pipe (fd), or a terminal fed through
 * mlog_feed (fd -1). Bytes of an unfinished line wait in buf. */
#define MLOG_BUF (80 * 1024)
struct mlog_src {
	int fd;     /* the read end; -1 once at its end */
	int stream; /* BERTH_LOG_STDOUT or BERTH_LOG_STDERR */
	int tee;    /* the output is also copied here (an attached run), or -1 */
	size_t len; /* bytes of an unfinished line in buf */
	char buf[MLOG_BUF];
};

/* Creates (or appends to) the log at path, max_size bytes per file, max_file
 * files kept (path, path.1, ... path.<max_file-1>). NULL with errno set. */
struct mlog *mlog_open(const char *path, int64_t max_size, int max_file);
/* Writes what is buffered and closes; NULL is fine. */
void mlog_close(struct mlog *lg);
/* Logs n bytes that came from s (the terminal's copy loop). */
void mlog_feed(struct mlog *lg, struct mlog_src *s, const char *data, size_t n);
/* Writes the unfinished line of s as a partial record, and the buffer. */
void mlog_flush(struct mlog *lg, struct mlog_src *s);
/* Reads the n sources until they end, or until the process behind pidfd has
 * exited and what it wrote is drained; closes the sources' fds. */
void mlog_pump(struct mlog *lg, struct mlog_src *src, int n, int pidfd);
#endif
