/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The monitor protocol's messages (monitor_proto.h), for the library and the
 * monitor alike. */
#include "runtime/monitor_proto.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

char *berth__monitor_reply_encode(int code, int sys_errno, const char *message)
{
	json_t *j = json_pack("{s:i, s:i, s:i, s:s}", "proto", BERTH__MONITOR_PROTO_VERSION, "code", code, "errno",
	                      sys_errno, "message", message ? message : "");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

int berth__monitor_reply_decode(berth__monitor_reply_msg *out, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "code"))) {
		json_decref(j);
		return -1;
	}
	out->proto = (long)json_integer_value(json_object_get(j, "proto"));
	out->code = (int)json_integer_value(json_object_get(j, "code"));
	out->sys_errno = (int)json_integer_value(json_object_get(j, "errno"));
	const char *m = json_string_value(json_object_get(j, "message"));
	snprintf(out->message, sizeof out->message, "%s", m ? m : "");
	json_decref(j);
	return 0;
}

int berth__monitor_proto_check(char *buf, size_t len, long theirs, const char *peer, const char *self)
{
	if (theirs == BERTH__MONITOR_PROTO_VERSION)
		return 0;
	snprintf(buf, len, "%s speaks monitor protocol version %ld%s, %s version %d: a monitor and a library of "
	         "different berth installations?", peer, theirs, theirs ? "" : " (none given)", self,
	         BERTH__MONITOR_PROTO_VERSION);
	return -1;
}
