/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for docker's -p grammar (lib/net/ports.c): berth__port_parse (the
 * array behind berth_port_parse), berth_port_format, berth__port_check; the
 * port object and list (lib/net/port.c). */
#include "internal.h"
#include "net/nat.h"
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *msg(void) { return berth_error_last()->message; }

/* Parses spec, asserts n results, returns them (caller berth_free()s). */
static berth_port *ok(const char *spec, size_t n)
{
	berth_port *v = NULL;
	size_t got = 99;
	int r = berth__port_parse(&v, &got, spec);
	ck_assert_msg(r == 0, "parse \"%s\": %d %s", spec, r, msg());
	ck_assert_msg(got == n, "parse \"%s\": %zu ports, expected %zu", spec, got, n);
	ck_assert_ptr_nonnull(v);
	return v;
}

static void assert_port(const berth_port *p, const char *ip, unsigned hp, unsigned cp, int proto)
{
	ck_assert_str_eq(p->host_ip, ip);
	ck_assert_uint_eq(p->host_port, hp);
	ck_assert_uint_eq(p->container_port, cp);
	ck_assert_int_eq(p->protocol, proto);
}

/* The spec is refused with code and a message containing every needle. */
static void bad(const char *spec, int code, const char *needle1, const char *needle2)
{
	berth_port *v = (berth_port *)0x1;
	size_t n = 77;
	int r = berth__port_parse(&v, &n, spec);
	ck_assert_msg(r == code, "parse \"%s\" returned %d, expected %d (%s)", spec, r, code, msg());
	ck_assert_int_eq(berth_error_last()->code, code);
	ck_assert_msg(v == (berth_port *)0x1 && n == 77, "parse \"%s\": outputs touched on failure", spec);
	ck_assert_msg(strstr(msg(), needle1), "parse \"%s\": message '%s' lacks '%s'", spec, msg(), needle1);
	if (needle2)
		ck_assert_msg(strstr(msg(), needle2), "parse \"%s\": message '%s' lacks '%s'", spec, msg(), needle2);
}

static char *fmt(const berth_port *p)
{
	char *s = NULL;
	int r = berth_port_format(&s, p);
	ck_assert_msg(r == 0, "format: %s", msg());
	return s;
}

START_TEST(test_single_forms)
{
	berth_port *v = ok("27018:27017", 1);
	assert_port(&v[0], "", 27018, 27017, BERTH_PROTO_TCP);
	ck_assert_uint_eq(v[0].host_port_end, 0);
	berth_free(v);

	v = ok("80", 1);
	assert_port(&v[0], "", 0, 80, BERTH_PROTO_TCP);
	berth_free(v);

	v = ok("53/udp", 1);
	assert_port(&v[0], "", 0, 53, BERTH_PROTO_UDP);
	berth_free(v);

	v = ok("127.0.0.1:8080:80/tcp", 1);
	assert_port(&v[0], "127.0.0.1", 8080, 80, BERTH_PROTO_TCP);
	berth_free(v);

	v = ok("10.1.2.3::80", 1); /* docker: ip, random host port */
	assert_port(&v[0], "10.1.2.3", 0, 80, BERTH_PROTO_TCP);
	berth_free(v);

	v = ok(":8080:80", 1); /* empty ip: every address */
	assert_port(&v[0], "", 8080, 80, BERTH_PROTO_TCP);
	berth_free(v);

	v = ok("8080:80/UDP", 1); /* docker lower-cases the protocol */
	assert_port(&v[0], "", 8080, 80, BERTH_PROTO_UDP);
	berth_free(v);

	v = ok("0:80", 1); /* host port 0: pick one */
	assert_port(&v[0], "", 0, 80, BERTH_PROTO_TCP);
	berth_free(v);

	v = ok("65535:1", 1);
	assert_port(&v[0], "", 65535, 1, BERTH_PROTO_TCP);
	berth_free(v);
}
END_TEST

START_TEST(test_ipv6)
{
	berth_port *v = ok("[::1]:8080:80", 1);
	assert_port(&v[0], "::1", 8080, 80, BERTH_PROTO_TCP);
	berth_free(v);

	v = ok("[2001:db8::7]::53/udp", 1);
	assert_port(&v[0], "2001:db8::7", 0, 53, BERTH_PROTO_UDP);
	berth_free(v);

	v = ok("::1:8080:80", 1); /* docker: the last two parts are ports */
	assert_port(&v[0], "::1", 8080, 80, BERTH_PROTO_TCP);
	berth_free(v);

	bad("[::1]:80", BERTH_EINVAL, "[::1]:HOSTPORT:CONTAINERPORT", NULL);
	bad("[::1:8080:80", BERTH_EINVAL, "without ']'", NULL);
	bad("[::1]8080:80", BERTH_EINVAL, "expected ':' after the host address", NULL);
	bad("[1.2.3.4]:8080:80", BERTH_EINVAL, "\"[1.2.3.4]\" is not an IPv6 address", NULL);
	bad("[zz::1]:8080:80", BERTH_EINVAL, "is not an IPv6 address", NULL);
}
END_TEST

START_TEST(test_ranges)
{
	berth_port *v = ok("8000-8010:80-90", 11);
	for (unsigned i = 0; i < 11; i++) {
		assert_port(&v[i], "", 8000 + i, 80 + i, BERTH_PROTO_TCP);
		ck_assert_uint_eq(v[i].host_port_end, 0);
	}
	berth_free(v);

	v = ok("127.0.0.1:5000-5001:6000-6001/udp", 2);
	assert_port(&v[0], "127.0.0.1", 5000, 6000, BERTH_PROTO_UDP);
	assert_port(&v[1], "127.0.0.1", 5001, 6001, BERTH_PROTO_UDP);
	berth_free(v);

	v = ok("7000-7002", 3); /* container range, random host ports */
	for (unsigned i = 0; i < 3; i++)
		assert_port(&v[i], "", 0, 7000 + i, BERTH_PROTO_TCP);
	berth_free(v);

	v = ok("9000-9000:80", 1); /* a one-port range is one port */
	assert_port(&v[0], "", 9000, 80, BERTH_PROTO_TCP);
	ck_assert_uint_eq(v[0].host_port_end, 0);
	berth_free(v);

	/* docker: a host range for one container port is a pool */
	v = ok("8000-8010:80", 1);
	assert_port(&v[0], "", 8000, 80, BERTH_PROTO_TCP);
	ck_assert_uint_eq(v[0].host_port_end, 8010);
	berth_free(v);

	bad("8000:80-90", BERTH_EINVAL, "1 host ports (8000) for 11 container ports (80-90)", "same length");
	bad("8000-8001:80-90", BERTH_EINVAL, "2 host ports (8000-8001) for 11 container ports", NULL);
	bad("90-80", BERTH_EINVAL, "container port range 90-80 is reversed", NULL);
	bad("8010-8000:80", BERTH_EINVAL, "host port range 8010-8000 is reversed", NULL);
	bad("80-:80", BERTH_EINVAL, "host port \"80-\": empty end of the range", NULL);
	bad("-80", BERTH_EINVAL, "container port \"-80\": empty start of the range", NULL);
	bad("0-10:80-90", BERTH_EINVAL, "host port 0 out of range", NULL);
	bad("8000-70000:80", BERTH_EINVAL, "host port 70000 out of range (1-65535)", NULL);
	bad("80-90-100", BERTH_EINVAL, "container port \"80-90-100\" is not a number", NULL);
}
END_TEST

START_TEST(test_bad_input)
{
	bad("70000:80", BERTH_EINVAL, "port spec \"70000:80\": host port 70000 out of range (1-65535)", NULL);
	bad("8080:70000", BERTH_EINVAL, "container port 70000 out of range", NULL);
	bad("8080:0", BERTH_EINVAL, "container port 0 out of range", NULL);
	bad("99999999999999999999:80", BERTH_EINVAL, "host port \"99999999999999999999\" out of range", NULL);
	bad("abc", BERTH_EINVAL, "port spec \"abc\": container port \"abc\" is not a number", NULL);
	bad("abc:80", BERTH_EINVAL, "host port \"abc\" is not a number", NULL);
	bad("80:80/sctp", BERTH_EUNSUPPORTED, "protocol sctp is not supported (tcp or udp)", NULL);
	bad("80:80/icmp", BERTH_EINVAL, "unknown protocol \"icmp\"", NULL);
	bad("80:80/", BERTH_EINVAL, "empty protocol", NULL);
	bad("80/tcp/udp", BERTH_EINVAL, "more than one '/'", NULL);
	bad("", BERTH_EINVAL, "empty", NULL);
	bad("8080:", BERTH_EINVAL, "empty container port", NULL);
	bad("/tcp", BERTH_EINVAL, "empty container port", NULL);
	bad("1.2.3.4:8080:", BERTH_EINVAL, "empty container port", NULL);
	bad("1.2.3:8080:80", BERTH_EINVAL, "host address \"1.2.3\" is not an IP address", NULL);
	bad("localhost:8080:80", BERTH_EINVAL, "\"localhost\" is not an IP address", NULL);
	bad("1.2.3.4:80", BERTH_EINVAL, "host port \"1.2.3.4\" is not a number", NULL);
	bad("+80", BERTH_EINVAL, "not a number", NULL);
	bad("80 ", BERTH_EINVAL, "space or control character", NULL);
	bad("8\n0", BERTH_EINVAL, "space or control character", NULL);

	char big[600];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	bad(big, BERTH_EINVAL, "too long", NULL);

	berth_port_list *l = (berth_port_list *)0x1;
	ck_assert_int_eq(berth_port_parse(&l, NULL), BERTH_EINVAL);
	ck_assert_int_eq(berth_port_parse(NULL, "80"), BERTH_EINVAL);
	ck_assert_int_eq(berth_port_parse(&l, "abc"), BERTH_EINVAL);
	ck_assert_ptr_eq(l, (berth_port_list *)0x1);
}
END_TEST

START_TEST(test_format)
{
	berth_port p = { .host_port = 8080, .container_port = 80, .protocol = BERTH_PROTO_TCP };
	char *s = fmt(&p);
	ck_assert_str_eq(s, "0.0.0.0:8080->80/tcp");
	berth_free(s);

	strcpy(p.host_ip, "127.0.0.1");
	p.protocol = BERTH_PROTO_UDP;
	s = fmt(&p);
	ck_assert_str_eq(s, "127.0.0.1:8080->80/udp");
	berth_free(s);

	strcpy(p.host_ip, "::1");
	s = fmt(&p);
	ck_assert_str_eq(s, "[::1]:8080->80/udp");
	berth_free(s);

	berth_port pool = { .host_port = 8000, .host_port_end = 8010, .container_port = 80 };
	s = fmt(&pool);
	ck_assert_str_eq(s, "0.0.0.0:8000-8010->80/tcp");
	berth_free(s);

	/* parse of the format's left side round-trips */
	berth_port *v = ok("10.0.0.1:8443:443/udp", 1);
	s = fmt(&v[0]);
	ck_assert_str_eq(s, "10.0.0.1:8443->443/udp");
	berth_free(s);
	berth_free(v);

	berth_port badp = { .host_port = 1, .container_port = 0 };
	s = NULL;
	ck_assert_int_eq(berth_port_format(&s, &badp), BERTH_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(msg(), "container port out of range"), "%s", msg());
	badp.container_port = 80;
	badp.protocol = 7;
	ck_assert_int_eq(berth_port_format(&s, &badp), BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), "unknown protocol 7"), "%s", msg());
	badp.protocol = 0;
	strcpy(badp.host_ip, "not-an-ip");
	ck_assert_int_eq(berth_port_format(&s, &badp), BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), "\"not-an-ip\" is not an IP address"), "%s", msg());
	badp.host_ip[0] = '\0';
	badp.host_port = 70000;
	ck_assert_int_eq(berth_port_format(&s, &badp), BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), "host port 70000 out of range"), "%s", msg());
	badp.host_port = 9000;
	badp.host_port_end = 8000;
	ck_assert_int_eq(berth_port_format(&s, &badp), BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), "8000"), "%s", msg());
	memset(badp.host_ip, 'x', sizeof badp.host_ip); /* no NUL */
	badp.host_port_end = 0;
	ck_assert_int_eq(berth_port_format(&s, &badp), BERTH_EINVAL);
	ck_assert_ptr_null(s);
}
END_TEST

/* Random specs from the grammar's alphabet: never a crash (ASan runs this
 * too), an error always has a message, a success is always valid ports. */
START_TEST(test_random_specs)
{
	static const char alpha[] = "0123456789:::---//[]..abcdeflpstuTCP";
	unsigned seed = 12345;
	int ok_count = 0;
	for (int i = 0; i < 50000; i++) {
		char spec[40];
		seed = seed * 1103515245u + 12345u;
		int len = (int)((seed >> 16) % 24);
		for (int j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			spec[j] = alpha[(seed >> 16) % (sizeof alpha - 1)];
		}
		spec[len] = '\0';
		berth_port *v = NULL;
		size_t n = 0;
		int r = berth__port_parse(&v, &n, spec);
		if (r) {
			ck_assert_msg(r < 0 && msg()[0], "\"%s\": %d with no message", spec, r);
			ck_assert_ptr_null(v);
			continue;
		}
		ok_count++;
		ck_assert_msg(n >= 1 && n <= 65535, "\"%s\": %zu ports", spec, n);
		for (size_t k = 0; k < n; k++) {
			ck_assert_msg(berth__port_check(&v[k]) == 0, "\"%s\" gave an invalid port: %s", spec, msg());
			char *f = NULL;
			ck_assert_int_eq(berth_port_format(&f, &v[k]), 0);
			berth_free(f);
		}
		berth_free(v);
	}
	ck_assert_int_gt(ok_count, 100); /* the alphabet does make valid specs */
}
END_TEST

/* The opaque port of 0.2: made, set, copied, read and listed. */
START_TEST(test_port_object)
{
	berth_port *p = NULL;
	ck_assert_int_eq(berth_port_new(&p, 0, BERTH_PROTO_TCP), BERTH_EINVAL);
	ck_assert_int_eq(berth_port_new(&p, 80, 7), BERTH_EINVAL);
	ck_assert_ptr_null(p);
	tu_ok(berth_port_new(&p, 80, BERTH_PROTO_UDP));
	ck_assert_str_eq(berth_port_host_ip(p), "");
	ck_assert_uint_eq(berth_port_host_port(p), 0);
	ck_assert_uint_eq(berth_port_container_port(p), 80);
	ck_assert_int_eq(berth_port_protocol(p), BERTH_PROTO_UDP);

	tu_ok(berth_port_set_host_ip(p, "10.1.2.3"));
	ck_assert_int_eq(berth_port_set_host_ip(p, "example.com"), BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), "example.com") && strstr(msg(), "not an IP address"), "%s", msg());
	ck_assert_str_eq(berth_port_host_ip(p), "10.1.2.3"); /* unchanged on failure */
	tu_ok(berth_port_set_host_port(p, 8000, 8010));
	ck_assert_int_eq(berth_port_set_host_port(p, 70000, 0), BERTH_EINVAL);
	ck_assert_int_eq(berth_port_set_host_port(p, 9000, 8000), BERTH_EINVAL);
	ck_assert_uint_eq(berth_port_host_port(p), 8000);
	ck_assert_uint_eq(berth_port_host_port_end(p), 8010);
	char *s = fmt(p);
	ck_assert_str_eq(s, "10.1.2.3:8000-8010->80/udp");
	berth_free(s);

	berth_port *c = NULL;
	tu_ok(berth_port_dup(&c, p));
	berth_port_free(p);
	ck_assert_str_eq(berth_port_host_ip(c), "10.1.2.3");
	ck_assert_uint_eq(berth_port_host_port_end(c), 8010);
	tu_ok(berth_port_set_host_ip(c, NULL)); /* every address */
	ck_assert_str_eq(berth_port_host_ip(c), "");
	berth_port_free(c);
	berth_port_free(NULL);

	berth_port_list *l = NULL;
	tu_ok(berth_port_parse(&l, "127.0.0.1:5000-5002:6000-6002/udp"));
	ck_assert_uint_eq(berth_port_list_count(l), 3);
	for (size_t i = 0; i < 3; i++) {
		const berth_port *q = berth_port_list_get(l, i);
		ck_assert_str_eq(berth_port_host_ip(q), "127.0.0.1");
		ck_assert_uint_eq(berth_port_host_port(q), 5000 + i);
		ck_assert_uint_eq(berth_port_container_port(q), 6000 + i);
		ck_assert_int_eq(berth_port_protocol(q), BERTH_PROTO_UDP);
	}
	ck_assert_ptr_null(berth_port_list_get(l, 3));
	berth_port_list_free(l);
	berth_port_list_free(NULL);
	ck_assert_uint_eq(berth_port_list_count(NULL), 0);
	ck_assert_str_eq(berth_port_host_ip(NULL), "");
}
END_TEST

static Suite *ports_suite(void)
{
	Suite *s = suite_create("ports");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_single_forms);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_random_specs);
	tcase_add_test(tc, test_port_object);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(ports_suite()); }
