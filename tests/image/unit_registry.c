/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The registry client's pure helpers (lib/image/registry.h): base64 both
 * ways, WWW-Authenticate parsing, loopback detection, Location URLs. */
#include "image/registry.h"
#include "testutil.h"
#include <stdlib.h>
#include <string.h>

START_TEST(base64_round_trip)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar", "alice:s3cret" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy",
		"YWxpY2U6czNjcmV0" };
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *e = berth__base64(in[i], strlen(in[i]));
		ck_assert_str_eq(e, out[i]);
		size_t n = 99;
		char *d = berth__base64_decode(e, &n);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(n, strlen(in[i]));
		ck_assert_int_eq(memcmp(d, in[i], n), 0);
		free(d);
		free(e);
	}
	size_t n;
	ck_assert_ptr_null(berth__base64_decode("Zm9v!", &n));
	ck_assert_ptr_null(berth__base64_decode("Zg==Zg", &n));
	char *d = berth__base64_decode("Zm9vYg", &n); /* padding optional */
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(d, "foob", 4), 0);
	free(d);
}
END_TEST

START_TEST(challenges)
{
	char realm[256], service[256], scope[256];
	int bearer = -1;
	ck_assert_int_eq(berth__reg_parse_challenge(
		"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
		&bearer, realm, sizeof realm, service, sizeof service, scope, sizeof scope), 0);
	ck_assert_int_eq(bearer, 1);
	ck_assert_str_eq(realm, "https://auth.docker.io/token");
	ck_assert_str_eq(service, "registry.docker.io");
	ck_assert_str_eq(scope, "repository:library/busybox:pull");
	/* unquoted values, spaces, an escaped quote, unknown keys, other order */
	ck_assert_int_eq(berth__reg_parse_challenge("bearer  error=\"insufficient_scope\", scope=\"a:b\\\"c\", realm=http://h/t",
		&bearer, realm, sizeof realm, service, sizeof service, scope, sizeof scope), 0);
	ck_assert_int_eq(bearer, 1);
	ck_assert_str_eq(realm, "http://h/t");
	ck_assert_str_eq(service, "");
	ck_assert_str_eq(scope, "a:b\"c");
	ck_assert_int_eq(berth__reg_parse_challenge("Basic realm=\"berth-test\"", &bearer, realm, sizeof realm, service,
		sizeof service, scope, sizeof scope), 0);
	ck_assert_int_eq(bearer, 0);
	ck_assert_str_eq(realm, "berth-test");
	ck_assert_int_eq(berth__reg_parse_challenge("Digest realm=x", &bearer, realm, sizeof realm, service, sizeof service,
		scope, sizeof scope), -1);
	ck_assert_int_eq(berth__reg_parse_challenge("Bearerrealm=x", &bearer, realm, sizeof realm, service, sizeof service,
		scope, sizeof scope), -1);
}
END_TEST

START_TEST(loopback_and_urls)
{
	ck_assert(berth__reg_is_loopback("localhost:5000"));
	ck_assert(berth__reg_is_loopback("127.0.0.1:5000"));
	ck_assert(berth__reg_is_loopback("[::1]:5000"));
	ck_assert(!berth__reg_is_loopback("localhost.example.com"));
	ck_assert(!berth__reg_is_loopback("registry-1.docker.io"));
	berth__reg g;
	memset(&g, 0, sizeof g);
	snprintf(g.scheme, sizeof g.scheme, "http");
	snprintf(g.host, sizeof g.host, "127.0.0.1:5000");
	char *u = berth__reg_url(&g, "/v2/a/blobs/uploads/x?_state=y");
	ck_assert_str_eq(u, "http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=y");
	free(u);
	u = berth__reg_url(&g, "https://other:443/up");
	ck_assert_str_eq(u, "https://other:443/up");
	free(u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	TCase *t = tcase_create("helpers");
	tcase_add_test(t, base64_round_trip);
	tcase_add_test(t, challenges);
	tcase_add_test(t, loopback_and_urls);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
