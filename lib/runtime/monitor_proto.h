/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The protocol between libberth and its monitor (libexec/berth-monitor.c):
 * one definition for both sides. monitor_proto.c is compiled into both (only
 * libc and jansson: it sets no thread error).
 *
 * Start. The library spawns (lib/runtime/container.c, supervise.c)
 *   berth-monitor --proto V --root R --run-root RR --sync-fd 3 --id ID
 *                 [--stdio-fds 4] [--adopt 1]
 * with the sync socket as fd 3 (and the caller's stdio as 4, 5, 6).
 *
 * Request (not with --adopt): library -> monitor on fd 3, one JSON object,
 * then shutdown(SHUT_WR):
 *   {"id": ID, "name": NAME, "flags": berth_create_options.flags,
 *    "stdio": BERTH_STDIO_*, "log": {"driver", "maxSize", "maxFile"},
 *    "tee": [stdout?, stderr?], "spec": {the OCI config}}
 *
 * Reply: monitor -> library on fd 3, one JSON object, then close:
 *   {"proto": V, "code": 0 or BERTH_E*, "errno": n, "message": "..."}
 * The reply's keys are the same in every version, so that each side can
 * name the other's version: a monitor from before versions sent no "proto"
 * (version 0). Each side refuses a peer of another version: the monitor
 * answers without acting, the library fails with both versions named.
 *
 * Attach (lib/runtime/exec.c): a client connects to
 * <run_root>/containers/<id>/attach.sock and gets one byte: 'T' with the
 * terminal's master (SCM_RIGHTS), or 'B' when another client is attached. */
#ifndef BERTH_RUNTIME_MONITOR_PROTO_H
#define BERTH_RUNTIME_MONITOR_PROTO_H

#include <stddef.h>

#ifdef BERTH_TEST_MONITOR_PROTO
/* tests/CMakeLists.txt builds a monitor that speaks another version */
#define BERTH__MONITOR_PROTO_VERSION BERTH_TEST_MONITOR_PROTO
#else
#define BERTH__MONITOR_PROTO_VERSION 1
#endif
#define BERTH__MONITOR_STR_(x) #x
#define BERTH__MONITOR_STR(x) BERTH__MONITOR_STR_(x)
/* The argument pair the library passes first. */
#define BERTH__MONITOR_ARG_PROTO "--proto"
#define BERTH__MONITOR_PROTO_STRING BERTH__MONITOR_STR(BERTH__MONITOR_PROTO_VERSION)

/* The attach socket in the container's run directory, and its answers. */
#define BERTH__MONITOR_ATTACH_SOCK "attach.sock"
#define BERTH__MONITOR_ATTACH_OK 'T'
#define BERTH__MONITOR_ATTACH_BUSY 'B'

/* A reply, decoded. */
typedef struct berth__monitor_reply_msg {
	long proto; /* 0: none given */
	int code, sys_errno;
	char message[4096];
} berth__monitor_reply_msg;

/* The reply as a NUL-terminated JSON text (malloc'd), or NULL (ENOMEM). */
__attribute__((visibility("hidden"))) char *berth__monitor_reply_encode(int code, int sys_errno, const char *message);
/* Decodes a reply text: 0, or -1 when it is not a reply. */
__attribute__((visibility("hidden"))) int berth__monitor_reply_decode(berth__monitor_reply_msg *out, const char *text);
/* 0 when the peer's version is ours; else -1 and the message naming both,
 * peer ("the monitor /usr/libexec/berth/berth-monitor") speaking theirs and
 * self ("this library") ours, into buf. */
__attribute__((visibility("hidden"))) int berth__monitor_proto_check(char *buf, size_t len, long theirs,
                                                                     const char *peer, const char *self);

#endif
