/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * log.h: reading a container's log.
 *
 * A container created with BERTH_STDIO_LOG writes to pipes that its monitor
 * (berth-monitor) reads; the monitor stores records (stream, a nanosecond
 * timestamp, the bytes) in <root>/containers/<id>/container.log and rotates
 * it by size (container.log.1 is the newest rotated file). The container
 * never holds a file of the host. The options (driver, max size, max files)
 * are creation options: berth_create_options version 2 (container.h). The
 * file format is described in docs/api.md ("Container logs").
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include "common.h"
#include "container.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The stream of a record. */
#define BERTH_LOG_STDOUT 1
#define BERTH_LOG_STDERR 2
/* Record flag: the line goes on in the next record of the same stream (a
 * long line split, or output without a newline yet). The bytes of
 * consecutive records concatenate to the output as written. */
#define BERTH_LOG_PARTIAL 1u

/* The default cap: container.log plus 4 rotated files of 10 MiB each. */
#define BERTH_LOG_DEFAULT_MAX_SIZE (10ll * 1024 * 1024)
#define BERTH_LOG_DEFAULT_MAX_FILE 5
/* The longest record: longer lines are split into partial records. */
#define BERTH_LOG_MAX_RECORD 16384

enum {
	BERTH_LOG_FOLLOW = 1u << 0 /* after the end, wait for new records until the container has stopped */
};

/* Version 1 (0.2). */
#define BERTH_LOG_READ_OPTIONS_VERSION 1
typedef struct berth_log_read_options {
	unsigned int version; /* BERTH_LOG_READ_OPTIONS_VERSION */
	unsigned int flags;   /* BERTH_LOG_* */
	int64_t since_ns;     /* > 0: only records at or after this time (unix ns) */
	int64_t until_ns;     /* > 0: only records at or before this time; reading ends there */
	int64_t tail;         /* >= 0: start with the last N lines; -1: from the start */
} berth_log_read_options;
#define BERTH_LOG_READ_OPTIONS_INIT { BERTH_LOG_READ_OPTIONS_VERSION, 0, 0, 0, -1 }
/* Fills opts with version's defaults. BERTH_EINVAL for an unknown version.
 * Since: 0.2 */
BERTH_EXTERN int berth_log_read_options_init(berth_log_read_options *opts, unsigned int version);

/* Version 1 (0.2); filled by the library, version set by the caller. */
#define BERTH_LOG_RECORD_VERSION 1
typedef struct berth_log_record {
	unsigned int version; /* BERTH_LOG_RECORD_VERSION: set by the caller */
	int stream;           /* BERTH_LOG_STDOUT or BERTH_LOG_STDERR */
	unsigned int flags;   /* BERTH_LOG_PARTIAL */
	int64_t time_ns;      /* when the monitor read it, unix ns (0: a log from before berth 0.2) */
	const char *data;     /* borrowed, valid until the next call on the reader */
	size_t len;           /* at most BERTH_LOG_MAX_RECORD */
} berth_log_record;

typedef struct berth_log_reader berth_log_reader;

/* Opens the log of c for reading (c is borrowed: it must outlive the reader
 * and not be used by another thread meanwhile). BERTH_EUNSUPPORTED with a
 * message saying why when the container keeps no log (log driver "none", or
 * its output went to the caller's fds or a terminal of an attached run). Since: 0.2 */
BERTH_EXTERN int berth_log_reader_open(berth_log_reader **out, berth_container *c, const berth_log_read_options *opts);
/* The next record into *rec (rec->version set by the caller). Returns 1 with
 * a record, 0 at the end (with BERTH_LOG_FOLLOW: once the container has
 * stopped and its log is drained, or past until_ns). With BERTH_LOG_FOLLOW,
 * waits at most timeout_ms (< 0: forever) for a record: BERTH_ETIMEOUT then,
 * and the next call goes on. Since: 0.2 */
BERTH_EXTERN int berth_log_reader_next(berth_log_record *rec, berth_log_reader *r, int timeout_ms);
/* Closes the reader. Accepts NULL. Since: 0.2 */
BERTH_EXTERN void berth_log_reader_free(berth_log_reader *r);

/* The callback of berth_container_logs(): rec is borrowed for the call;
 * non-zero stops the reading. */
typedef int (*berth_log_record_cb)(const berth_log_record *rec, void *payload);
/* Calls cb for every record (open + next + free, following without a
 * timeout); a non-zero return of cb stops the reading with BERTH_ECANCELED
 * ("canceled by the callback"). The errors of berth_log_reader_open().
 * Since: 0.2 */
BERTH_EXTERN int berth_container_logs(berth_container *c, const berth_log_read_options *opts, berth_log_record_cb cb,
                                      void *payload);

/* Parses a time for since/until as `docker logs` does: RFC 3339
 * (2026-12-07T20:01:47Z, with fraction or offset, or a date alone), a unix
 * time in seconds (1700000000 or 1700000000.5), or a duration before now_ns
 * (10m, 1h30m, 2.5s, 300ms). now_ns 0: the current time. BERTH_EINVAL
 * naming the text otherwise. Since: 0.2 */
BERTH_EXTERN int berth_log_parse_time(int64_t *out_ns, const char *text, int64_t now_ns);

#ifdef __cplusplus
}
#endif
#endif
