/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A program built against 0.1 keeps working: the BERTH_0.1 versions of the
 * functions whose signature changed in 0.2 (lib/net/ports_compat.c) are
 * looked up the way the dynamic linker binds a 0.1 binary (by version) and
 * used with 0.1's struct berth_port. The container side of them is in
 * tests/net/test_net.c (a bridge network is needed). */
#include "testutil.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* include/berth/net.h of 0.1 */
typedef struct port_0_1 {
	char host_ip[46];
	unsigned int host_port;
	unsigned int container_port;
	int protocol;
	unsigned int host_port_end;
} port_0_1;

static void *sym_0_1(const char *name)
{
	void *f = dlvsym(RTLD_DEFAULT, name, "BERTH_0.1");
	ck_assert_msg(f, "%s@BERTH_0.1 is not exported", name);
	/* and the default version is another function (0.2's) */
	ck_assert_ptr_ne(f, dlsym(RTLD_DEFAULT, name));
	return f;
}

START_TEST(port_functions_0_1)
{
	ck_assert_uint_eq(sizeof(port_0_1), 64);
	int (*parse)(port_0_1 **, size_t *, const char *) = sym_0_1("berth_port_parse");
	int (*format)(char **, const port_0_1 *) = sym_0_1("berth_port_format");
	int (*spec_add)(berth_spec *, const port_0_1 *) = sym_0_1("berth_spec_add_port");
	int (*c_ports)(port_0_1 **, size_t *, berth_container *) = sym_0_1("berth_container_ports");
	int (*c_add)(berth_container *, const port_0_1 *) = sym_0_1("berth_container_add_port");
	int (*c_remove)(berth_container *, const port_0_1 *) = sym_0_1("berth_container_remove_port");

	port_0_1 *v = NULL;
	size_t n = 0;
	tu_ok(parse(&v, &n, "127.0.0.1:8000-8001:80-81/udp"));
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(v[i].host_ip, "127.0.0.1");
		ck_assert_uint_eq(v[i].host_port, 8000 + i);
		ck_assert_uint_eq(v[i].container_port, 80 + i);
		ck_assert_int_eq(v[i].protocol, BERTH_PROTO_UDP);
		ck_assert_uint_eq(v[i].host_port_end, 0);
	}
	char *s = NULL;
	tu_ok(format(&s, &v[1]));
	ck_assert_str_eq(s, "127.0.0.1:8001->81/udp");
	berth_free(s);

	/* a spec made with 0.1's struct, read back through 0.2's functions */
	berth_spec *spec = NULL;
	tu_ok(berth_spec_new(&spec));
	tu_ok(spec_add(spec, &v[0]));
	ck_assert_int_eq(spec_add(spec, &v[0]), BERTH_EEXISTS);
	char *json = NULL;
	tu_ok(berth_spec_to_json(&json, spec));
	ck_assert_msg(strstr(json, "8000") && strstr(json, "udp"), "port not in the spec: %s", json);
	berth_free(json);
	berth_free(v);

	/* 0.1's errors: the outputs untouched, the message naming the part */
	v = (port_0_1 *)0x1;
	n = 7;
	ck_assert_int_eq(parse(&v, &n, "70000:80"), BERTH_EINVAL);
	ck_assert_ptr_eq(v, (port_0_1 *)0x1);
	ck_assert_uint_eq(n, 7);
	ck_assert_msg(strstr(berth_error_last()->message, "70000"), "%s", berth_error_last()->message);
	port_0_1 bad = { .host_port = 1, .container_port = 0 };
	ck_assert_int_eq(format(&s, &bad), BERTH_EINVAL);
	memset(bad.host_ip, 'x', sizeof bad.host_ip); /* not NUL-terminated */
	bad.container_port = 80;
	ck_assert_int_eq(spec_add(spec, &bad), BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "NUL"), "%s", berth_error_last()->message);
	ck_assert_int_eq(c_ports(NULL, &n, NULL), BERTH_EINVAL);
	ck_assert_int_eq(c_add(NULL, &bad), BERTH_EINVAL);
	ck_assert_int_eq(c_remove(NULL, NULL), BERTH_EINVAL);
	berth_spec_free(spec);
}
END_TEST

static Suite *compat_suite(void)
{
	Suite *s = suite_create("abi_compat");
	TCase *tc = tcase_create("0.1");
	tcase_add_test(tc, port_functions_0_1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(compat_suite()); }
