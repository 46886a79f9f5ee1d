/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The container log's file format, shared by its writer (berth-monitor,
 * libexec/monitor_log.c) and its reader (lib/runtime/log.c):
 *
 *   file    = magic record*
 *   magic   = "BERTHLG1"                         8 bytes
 *   record  = len:u32le stream:u8 flags:u8 0:u16 time_ns:u64le data[len]
 *
 * stream 1 stdout, 2 stderr; flags bit 0 BERTH_LOG_PARTIAL (the line goes on
 * in the next record of the stream); len 0..BERTH_LOG_MAX_RECORD; time_ns
 * unix nanoseconds, never decreasing within a log. Any bytes may be in data:
 * a record is found by its length, never by a delimiter. A record is written
 * whole to one file (one write(2) of whole records); a reader that meets a
 * short record at the end of the newest file waits for the rest.
 */
#ifndef BERTH_RUNTIME_LOGFMT_H
#define BERTH_RUNTIME_LOGFMT_H
#include <berth/log.h>
#include <stdint.h>
#include <string.h>

#define BERTH__LOG_MAGIC "BERTHLG1"
#define BERTH__LOG_MAGIC_LEN 8
#define BERTH__LOG_HDR 16

static inline void berth__log_hdr_put(unsigned char *p, uint32_t len, int stream, unsigned flags, uint64_t ts)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(len >> (8 * i));
	p[4] = (unsigned char)stream;
	p[5] = (unsigned char)flags;
	p[6] = p[7] = 0;
	for (int i = 0; i < 8; i++)
		p[8 + i] = (unsigned char)(ts >> (8 * i));
}

/* 0 for a valid header, -1 for bytes that are not one. */
static inline int berth__log_hdr_get(const unsigned char *p, uint32_t *len, int *stream, unsigned *flags, uint64_t *ts)
{
	uint32_t l = 0;
	uint64_t t = 0;
	for (int i = 0; i < 4; i++)
		l |= (uint32_t)p[i] << (8 * i);
	for (int i = 0; i < 8; i++)
		t |= (uint64_t)p[8 + i] << (8 * i);
	if (l > BERTH_LOG_MAX_RECORD || (p[4] != BERTH_LOG_STDOUT && p[4] != BERTH_LOG_STDERR) || (p[5] & ~BERTH_LOG_PARTIAL) ||
	    p[6] || p[7])
		return -1;
	*len = l;
	*stream = p[4];
	*flags = p[5];
	*ts = t;
	return 0;
}
#endif
