/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The monitor protocol's handshake (lib/runtime/monitor_proto.c and the
 * library's side, monitor.c): replies as a monitor writes them, read by the
 * library from a socket, of this version, of another one and of none. */
#include "testutil.h"
#include "runtime/container.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* berth__monitor_reply on a socket the text was written to (then closed). */
static int reply_of(const char *text)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], text, strlen(text)), (ssize_t)strlen(text));
	close(sv[1]);
	int r = berth__monitor_reply(sv[0], "c1", "/x/berth-monitor");
	close(sv[0]);
	return r;
}

START_TEST(same_version_passes_the_monitors_answer)
{
	char *ok = berth__monitor_reply_encode(0, 0, "");
	ck_assert_ptr_nonnull(strstr(ok, "\"proto\":" BERTH__MONITOR_PROTO_STRING));
	ck_assert_int_eq(reply_of(ok), 0);
	free(ok);
	char *bad = berth__monitor_reply_encode(BERTH_EINVAL, 13, "container c1: no such thing");
	ck_assert_int_eq(reply_of(bad), BERTH_EINVAL);
	ck_assert_str_eq(berth_error_last()->message, "container c1: no such thing");
	ck_assert_int_eq(berth_error_last()->sys_errno, 13);
	free(bad);
}
END_TEST

START_TEST(another_version_is_refused_naming_both)
{
	ck_assert_int_eq(reply_of("{\"proto\":99,\"code\":0,\"errno\":0,\"message\":\"\"}"), BERTH_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message,
	                             "container c1: the monitor /x/berth-monitor speaks monitor protocol version 99, "
	                             "this library version " BERTH__MONITOR_PROTO_STRING));
	/* a monitor from before versions: none given, and its success is no success */
	ck_assert_int_eq(reply_of("{\"code\":0,\"errno\":0,\"message\":\"\"}"), BERTH_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "speaks monitor protocol version 0 (none given)"));
	/* the version is checked before the monitor's own error */
	ck_assert_int_eq(reply_of("{\"proto\":2,\"code\":-2,\"errno\":0,\"message\":\"bad\"}"), BERTH_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "version 2, this library"));
}
END_TEST

START_TEST(no_answer)
{
	ck_assert_int_eq(reply_of(""), BERTH_ESYS);
	ck_assert_str_eq(berth_error_last()->message, "container c1: the monitor /x/berth-monitor exited without an answer");
	ck_assert_int_eq(reply_of("{\"proto\":1,\"code\":"), BERTH_ESYS);
	ck_assert_int_eq(reply_of("[1]"), BERTH_ESYS);
}
END_TEST

START_TEST(check_message)
{
	char buf[256];
	ck_assert_int_eq(berth__monitor_proto_check(buf, sizeof buf, BERTH__MONITOR_PROTO_VERSION, "a", "b"), 0);
	ck_assert_int_eq(berth__monitor_proto_check(buf, sizeof buf, 7, "the library (libberth)", "the monitor /m"), -1);
	ck_assert_str_eq(buf, "the library (libberth) speaks monitor protocol version 7, the monitor /m version "
	                      BERTH__MONITOR_PROTO_STRING ": a monitor and a library of different berth installations?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor_proto");
	TCase *t = tcase_create("monitor_proto");
	tcase_add_test(t, same_version_passes_the_monitors_answer);
	tcase_add_test(t, another_version_is_refused_naming_both);
	tcase_add_test(t, no_answer);
	tcase_add_test(t, check_message);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
