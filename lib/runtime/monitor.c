/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The library's side of the monitor protocol (monitor_proto.h): the
 * monitor's reply, and its version. */
#include "runtime/container.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

int berth__monitor_reply(int fd, const char *id, const char *monitor_path)
{
	char reply[8192];
	size_t rl = 0;
	while (rl < sizeof reply - 1) {
		ssize_t n = recv(fd, reply + rl, sizeof reply - 1 - rl, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rl += (size_t)n;
	}
	reply[rl] = '\0';
	berth__monitor_reply_msg *m = malloc(sizeof *m);
	if (!m)
		return berth__err_nomem();
	int r = 0;
	char peer[4200];
	snprintf(peer, sizeof peer, "the monitor %s", monitor_path);
	if (berth__monitor_reply_decode(m, reply) < 0)
		r = berth__err(BERTH_ESYS, "container %s: the monitor %s exited without an answer", id, monitor_path);
	else if (berth__monitor_proto_check(m->message, sizeof m->message, m->proto, peer, "this library") < 0)
		r = berth__err(BERTH_EUNSUPPORTED, "container %s: %s", id, m->message);
	else if (m->code < 0) {
		r = berth__err(m->code, "%s", m->message[0] ? m->message : "monitor failed");
		if (m->sys_errno) {
			berth_error *e = (berth_error *)berth_error_last();
			e->sys_errno = m->sys_errno;
		}
	}
	free(m);
	return r;
}
