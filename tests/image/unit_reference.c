/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for image references (lib/image/reference.c): the grammar,
 * Docker's normalisation, the familiar form and the error messages. */
#include "internal.h"
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H128 H64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define D256 "sha256:" H64
#define D512 "sha512:" H128
#define HUB "registry-1.docker.io"

static const char *msg(void) { return berth_error_last()->message; }

/* ------------------------------------------------------------ good inputs */

struct good {
	const char *in;
	const char *domain, *path, *tag, *digest; /* tag/digest NULL when absent */
	const char *string, *familiar, *registry;
};

static const struct good goods[] = {
	/* Docker Hub normalisation */
	{ "mongo", "docker.io", "library/mongo", "latest", NULL, "docker.io/library/mongo:latest", "mongo:latest", HUB },
	{ "library/mongo", "docker.io", "library/mongo", "latest", NULL, "docker.io/library/mongo:latest", "mongo:latest", HUB },
	{ "docker.io/mongo", "docker.io", "library/mongo", "latest", NULL, "docker.io/library/mongo:latest", "mongo:latest", HUB },
	{ "docker.io/library/mongo", "docker.io", "library/mongo", "latest", NULL, "docker.io/library/mongo:latest", "mongo:latest", HUB },
	{ "index.docker.io/library/mongo:4", "docker.io", "library/mongo", "4", NULL, "docker.io/library/mongo:4", "mongo:4", HUB },
	{ "index.docker.io/mongo", "docker.io", "library/mongo", "latest", NULL, "docker.io/library/mongo:latest", "mongo:latest", HUB },
	{ "index.docker.io/x/y", "docker.io", "x/y", "latest", NULL, "docker.io/x/y:latest", "x/y:latest", HUB },
	{ "mongo:latest", "docker.io", "library/mongo", "latest", NULL, "docker.io/library/mongo:latest", "mongo:latest", HUB },
	{ "user/app:1.2", "docker.io", "user/app", "1.2", NULL, "docker.io/user/app:1.2", "user/app:1.2", HUB },
	{ "docker.io/x/y", "docker.io", "x/y", "latest", NULL, "docker.io/x/y:latest", "x/y:latest", HUB },
	{ "a/b/c/d/e", "docker.io", "a/b/c/d/e", "latest", NULL, "docker.io/a/b/c/d/e:latest", "a/b/c/d/e:latest", HUB },
	{ "library/library", "docker.io", "library/library", "latest", NULL, "docker.io/library/library:latest", "library:latest", HUB },
	/* nested under library/: not shortened (would read back as docker.io/a/b) */
	{ "library/a/b", "docker.io", "library/a/b", "latest", NULL, "docker.io/library/a/b:latest", "library/a/b:latest", HUB },
	{ "docker.io/library/a/b:1", "docker.io", "library/a/b", "1", NULL, "docker.io/library/a/b:1", "library/a/b:1", HUB },
	/* a first path component that would read back as a domain keeps docker.io/ */
	{ "docker.io/foo.bar/baz", "docker.io", "foo.bar/baz", "latest", NULL, "docker.io/foo.bar/baz:latest", "docker.io/foo.bar/baz:latest", HUB },
	{ "docker.io/localhost/x", "docker.io", "localhost/x", "latest", NULL, "docker.io/localhost/x:latest", "docker.io/localhost/x:latest", HUB },
	/* no '/': never a domain */
	{ "foo.bar", "docker.io", "library/foo.bar", "latest", NULL, "docker.io/library/foo.bar:latest", "foo.bar:latest", HUB },
	{ "localhost", "docker.io", "library/localhost", "latest", NULL, "docker.io/library/localhost:latest", "localhost:latest", HUB },
	{ "localhost:5000", "docker.io", "library/localhost", "5000", NULL, "docker.io/library/localhost:5000", "localhost:5000", HUB },
	/* other registries */
	{ "localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest", "localhost/x:latest", "localhost" },
	{ "localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", NULL, "localhost:5000/a/b:tag", "localhost:5000/a/b:tag", "localhost:5000" },
	{ "localhost/library/x", "localhost", "library/x", "latest", NULL, "localhost/library/x:latest", "localhost/library/x:latest", "localhost" },
	{ "example.com/a", "example.com", "a", "latest", NULL, "example.com/a:latest", "example.com/a:latest", "example.com" },
	{ "example.com:443/a/b/c:v1.0-rc_1", "example.com:443", "a/b/c", "v1.0-rc_1", NULL, "example.com:443/a/b/c:v1.0-rc_1", "example.com:443/a/b/c:v1.0-rc_1", "example.com:443" },
	{ "[::1]:5000/x", "[::1]:5000", "x", "latest", NULL, "[::1]:5000/x:latest", "[::1]:5000/x:latest", "[::1]:5000" },
	{ "[::1]/x", "[::1]", "x", "latest", NULL, "[::1]/x:latest", "[::1]/x:latest", "[::1]" },
	{ "[2001:DB8::1]:443/ns/img:1", "[2001:DB8::1]:443", "ns/img", "1", NULL, "[2001:DB8::1]:443/ns/img:1", "[2001:DB8::1]:443/ns/img:1", "[2001:DB8::1]:443" },
	{ "127.0.0.1:5000/foo", "127.0.0.1:5000", "foo", "latest", NULL, "127.0.0.1:5000/foo:latest", "127.0.0.1:5000/foo:latest", "127.0.0.1:5000" },
	{ "1.2.3.4/x", "1.2.3.4", "x", "latest", NULL, "1.2.3.4/x:latest", "1.2.3.4/x:latest", "1.2.3.4" },
	{ "foo.bar/baz", "foo.bar", "baz", "latest", NULL, "foo.bar/baz:latest", "foo.bar/baz:latest", "foo.bar" },
	{ "a.b.c/d", "a.b.c", "d", "latest", NULL, "a.b.c/d:latest", "a.b.c/d:latest", "a.b.c" },
	{ "sub-domain.example.com:5000/team/app:2024.01", "sub-domain.example.com:5000", "team/app", "2024.01", NULL, "sub-domain.example.com:5000/team/app:2024.01", "sub-domain.example.com:5000/team/app:2024.01", "sub-domain.example.com:5000" },
	{ "xn--bcher-kva.example/x", "xn--bcher-kva.example", "x", "latest", NULL, "xn--bcher-kva.example/x:latest", "xn--bcher-kva.example/x:latest", "xn--bcher-kva.example" },
	{ "registry-1.docker.io/x/y", "registry-1.docker.io", "x/y", "latest", NULL, "registry-1.docker.io/x/y:latest", "registry-1.docker.io/x/y:latest", "registry-1.docker.io" },
	/* domains may have uppercase, and only the exact "docker.io" is Docker Hub */
	{ "Example.COM/x", "Example.COM", "x", "latest", NULL, "Example.COM/x:latest", "Example.COM/x:latest", "Example.COM" },
	{ "Docker.io/x", "Docker.io", "x", "latest", NULL, "Docker.io/x:latest", "Docker.io/x:latest", "Docker.io" },
	/* path components and separators */
	{ "a__b/c", "docker.io", "a__b/c", "latest", NULL, "docker.io/a__b/c:latest", "a__b/c:latest", HUB },
	{ "a-----b", "docker.io", "library/a-----b", "latest", NULL, "docker.io/library/a-----b:latest", "a-----b:latest", HUB },
	{ "a0/b1.c2_d3__e4-f5--g6", "docker.io", "a0/b1.c2_d3__e4-f5--g6", "latest", NULL, "docker.io/a0/b1.c2_d3__e4-f5--g6:latest", "a0/b1.c2_d3__e4-f5--g6:latest", HUB },
	{ "0/1", "docker.io", "0/1", "latest", NULL, "docker.io/0/1:latest", "0/1:latest", HUB },
	/* tags */
	{ "x:TAG_Upper.1-2", "docker.io", "library/x", "TAG_Upper.1-2", NULL, "docker.io/library/x:TAG_Upper.1-2", "x:TAG_Upper.1-2", HUB },
	{ "x:_", "docker.io", "library/x", "_", NULL, "docker.io/library/x:_", "x:_", HUB },
	{ "x:0", "docker.io", "library/x", "0", NULL, "docker.io/library/x:0", "x:0", HUB },
	/* digests: no tag added, both kept */
	{ "name@" D256, "docker.io", "library/name", NULL, D256, "docker.io/library/name@" D256, "name@" D256, HUB },
	{ "name:tag@" D256, "docker.io", "library/name", "tag", D256, "docker.io/library/name:tag@" D256, "name:tag@" D256, HUB },
	{ "example.com/a/b@" D512, "example.com", "a/b", NULL, D512, "example.com/a/b@" D512, "example.com/a/b@" D512, "example.com" },
	{ "localhost:5000/a:1@" D256, "localhost:5000", "a", "1", D256, "localhost:5000/a:1@" D256, "localhost:5000/a:1@" D256, "localhost:5000" },
	/* only exactly 64 lowercase hex alone is an image id */
	{ H64 ":tag", "docker.io", "library/" H64, "tag", NULL, "docker.io/library/" H64 ":tag", H64 ":tag", HUB },
	{ H64 "@" D256, "docker.io", "library/" H64, NULL, D256, "docker.io/library/" H64 "@" D256, H64 "@" D256, HUB },
	{ "docker.io/" H64, "docker.io", "library/" H64, "latest", NULL, "docker.io/library/" H64 ":latest", H64 ":latest", HUB },
	{ "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "docker.io", "library/123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "latest", NULL,
	  "docker.io/library/123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef:latest", "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef:latest", HUB },
};

static void ck_str(const char *what, const char *in, const char *got, const char *want)
{
	if (!want)
		ck_assert_msg(got == NULL, "'%s': %s is '%s', expected NULL", in, what, got);
	else
		ck_assert_msg(got && !strcmp(got, want), "'%s': %s is '%s', expected '%s'", in, what, got ? got : "(null)", want);
}

static berth_ref *parse_ok(const char *in)
{
	berth_ref *r = NULL;
	int rc = berth_ref_parse(&r, in);
	ck_assert_msg(rc == 0, "'%s' rejected: %d %s", in, rc, msg());
	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(test_good)
{
	const struct good *g = &goods[_i];
	berth_ref *r = parse_ok(g->in);
	ck_str("domain", g->in, berth_ref_domain(r), g->domain);
	ck_str("path", g->in, berth_ref_path(r), g->path);
	ck_str("tag", g->in, berth_ref_tag(r), g->tag);
	ck_str("digest", g->in, berth_ref_digest(r), g->digest);
	ck_str("string", g->in, berth_ref_string(r), g->string);
	ck_str("familiar", g->in, berth_ref_familiar(r), g->familiar);
	ck_str("registry", g->in, berth_ref_registry(r), g->registry);

	/* The full and the familiar form both read back as the same reference. */
	const char *again[] = { berth_ref_string(r), berth_ref_familiar(r) };
	for (size_t k = 0; k < 2; k++) {
		berth_ref *r2 = parse_ok(again[k]);
		ck_str("re-parsed string", again[k], berth_ref_string(r2), g->string);
		ck_str("re-parsed familiar", again[k], berth_ref_familiar(r2), g->familiar);
		berth_ref_free(r2);
	}
	berth_ref_free(r);
}
END_TEST

/* ------------------------------------------------------------ bad inputs */

struct bad {
	const char *in;
	const char *needle; /* a fragment of the message */
};

static const struct bad bads[] = {
	{ "", "reference '': empty" },
	{ " ", "invalid character ' '" },
	{ "a b", "reference 'a b': invalid character ' '" },
	{ "a\tb", "reference 'a\\x09b': invalid character '\\x09'" },
	{ "a\nb:1", "invalid character '\\x0a'" },
	{ "caf\xc3\xa9", "invalid character '\\xc3'" },
	{ "Mongo", "reference 'Mongo': repository name must be lowercase" },
	{ "UPPER:tag", "repository name must be lowercase" },
	{ "a/B/c", "repository name must be lowercase" },
	{ "example.com/A", "repository name must be lowercase" },
	{ "LOCALHOST/x", "repository name must be lowercase" },
	{ "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", "repository name must be lowercase" },
	{ H64, "reference '" H64 "': looks like an image id, not a reference" },
	{ "a:b:c", "reference 'a:b:c': invalid tag 'b:c'" },
	{ "a/b:", "invalid tag ''" },
	{ "x:-tag", "invalid tag '-tag'" },
	{ "x:.tag", "invalid tag '.tag'" },
	{ "x:a+b", "invalid tag 'a+b'" },
	{ "foo/a:b/c", "invalid repository name component 'a:b'" },
	{ "a:b/c", "invalid domain 'a:b' (port is not a number)" },
	{ ":tag", "reference ':tag': missing repository name" },
	{ "@" D256, "missing repository name" },
	{ "@sha256:x", "missing repository name" },
	{ "x@sha256:12", "reference 'x@sha256:12': invalid digest 'sha256:12' (need 64 hex digits)" },
	{ "x@sha256:" H64 "0", "(need 64 hex digits)" },
	{ "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", "(need 64 hex digits)" },
	{ "x@sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	  "invalid digest 'sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF' (hex digits must be lowercase)" },
	{ "x@sha512:" H64, "(need 128 hex digits)" },
	{ "x@md5:d41d8cd98f00b204e9800998ecf8427e", "invalid digest 'md5:d41d8cd98f00b204e9800998ecf8427e' (unsupported algorithm 'md5')" },
	{ "x@sha256", "invalid digest 'sha256' (expected <algorithm>:<hex>)" },
	{ "x@", "invalid digest ''" },
	{ "x:tag@", "invalid digest ''" },
	{ "x@" D256 "@x", "invalid digest" },
	{ "x@" D256 ":tag", "invalid digest" },
	{ "/a", "reference '/a': invalid repository name component ''" },
	{ "a//b", "invalid repository name component ''" },
	{ "a/", "invalid repository name component ''" },
	{ "example.com/", "invalid repository name component ''" },
	{ "-a", "invalid repository name component '-a'" },
	{ "a-", "invalid repository name component 'a-'" },
	{ "a..b", "invalid repository name component 'a..b'" },
	{ "a/_b", "invalid repository name component '_b'" },
	{ "a___b", "invalid repository name component 'a___b'" },
	{ "a_-b", "invalid repository name component 'a_-b'" },
	{ "a.-b", "invalid repository name component 'a.-b'" },
	{ "x/a._b", "invalid repository name component 'a._b'" },
	{ "a._b/c", "invalid domain 'a._b' (invalid host name)" },
	{ "a+b", "invalid repository name component 'a+b'" },
	{ "localhost:abc/x", "reference 'localhost:abc/x': invalid domain 'localhost:abc' (port is not a number)" },
	{ "example.com:/x", "invalid domain 'example.com:' (empty port)" },
	{ "exa_mple.com/x", "invalid domain 'exa_mple.com' (invalid host name)" },
	{ "-example.com/x", "invalid domain '-example.com'" },
	{ "example-.com/x", "invalid domain 'example-.com'" },
	{ "example..com/x", "invalid domain 'example..com'" },
	{ ".com/x", "invalid domain '.com'" },
	{ "[::1/x", "invalid domain '[::1' (missing ']')" },
	{ "[::g]:5000/x", "invalid domain '[::g]:5000' (invalid IPv6 address)" },
	{ "[]:5000/x", "invalid domain '[]:5000' (empty IPv6 address)" },
	{ "[::1]x:5000/x", "invalid domain '[::1]x:5000'" },
	{ "[::1]:/x", "(empty port)" },
};

START_TEST(test_bad)
{
	const struct bad *b = &bads[_i];
	berth_ref *sentinel = (berth_ref *)&sentinel, *r = sentinel;
	berth_error_clear();
	int rc = berth_ref_parse(&r, b->in);
	ck_assert_msg(rc == BERTH_EINVAL, "'%s' returned %d (%s), expected BERTH_EINVAL", b->in, rc, rc ? msg() : berth_ref_string(r));
	ck_assert_int_eq(berth_error_last()->code, BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), b->needle) != NULL, "'%s': message '%s' lacks '%s'", b->in, msg(), b->needle);
	ck_assert_msg(r == sentinel, "'%s': out changed on failure", b->in);
}
END_TEST

/* ------------------------------------------------------------ lengths */

static char *rep(const char *head, char c, size_t n, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(hl + n + tl + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, head, hl);
	memset(s + hl, c, n);
	memcpy(s + hl + n, tail, tl + 1);
	return s;
}

static void expect_fail(const char *in, const char *needle)
{
	berth_ref *r = NULL;
	int rc = berth_ref_parse(&r, in);
	ck_assert_msg(rc == BERTH_EINVAL, "'%s' returned %d, expected BERTH_EINVAL", in, rc);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(msg(), needle) != NULL, "message '%s' lacks '%s'", msg(), needle);
}

START_TEST(test_name_length)
{
	/* The limit is on the normalised name, domain included:
	 * "docker.io/library/" (18) + 237 = 255. */
	char *s = rep("", 'a', 237, "");
	berth_ref *r = parse_ok(s);
	ck_assert_uint_eq(strlen("docker.io/") + strlen(berth_ref_path(r)), 255);
	ck_assert_ptr_eq(strstr(berth_ref_familiar(r), s), berth_ref_familiar(r));
	berth_ref_free(r);
	free(s);
	s = rep("", 'a', 238, "");
	expect_fail(s, "name longer than 255 characters");
	free(s);

	/* "example.com/" (12) + 243 = 255; a tag and a digest do not count. */
	s = rep("example.com/", 'b', 243, ":v1.0@" D512);
	r = parse_ok(s);
	ck_assert_uint_eq(strlen(berth_ref_domain(r)) + 1 + strlen(berth_ref_path(r)), 255);
	ck_assert_str_eq(berth_ref_string(r), s);
	ck_assert_str_eq(berth_ref_familiar(r), s);
	berth_ref_free(r);
	free(s);
	s = rep("example.com/", 'b', 244, "");
	expect_fail(s, "name longer than 255 characters");
	free(s);

	/* A many-component name at the limit: "docker.io/" + 245. */
	size_t n = 0;
	char buf[400] = "";
	while (n + 2 <= 245) {
		strcat(buf, n ? "/x" : "xx");
		n += 2;
	}
	strcat(buf, "y"); /* 244 + 1 */
	ck_assert_uint_eq(strlen(buf), 245);
	r = parse_ok(buf);
	ck_assert_uint_eq(strlen(berth_ref_string(r)), 255 + strlen(":latest"));
	berth_ref_free(r);
	strcat(buf, "z");
	expect_fail(buf, "name longer than 255 characters");

	/* The brief's 256-character single name; a long input is shortened in the
	 * message but the cause stays. */
	s = rep("", 'a', 256, "");
	expect_fail(s, "name longer than 255 characters");
	ck_assert_ptr_nonnull(strstr(msg(), "...': name longer"));
	ck_assert_uint_lt(strlen(msg()), 300);
	free(s);
	s = rep("", 'a', 5000, ":tag");
	expect_fail(s, "name longer than 255 characters");
	free(s);
}
END_TEST

START_TEST(test_tag_length)
{
	char *s = rep("x:", 'T', 128, "");
	berth_ref *r = parse_ok(s);
	ck_assert_uint_eq(strlen(berth_ref_tag(r)), 128);
	ck_assert_str_eq(berth_ref_familiar(r), s);
	berth_ref_free(r);
	free(s);
	s = rep("x:", 'T', 129, "");
	expect_fail(s, "invalid tag 'TTTT");
	ck_assert_ptr_nonnull(strstr(msg(), "(longer than 128 characters)"));
	free(s);
}
END_TEST

/* ------------------------------------------------------------ API */

START_TEST(test_api)
{
	berth_ref_free(NULL);
	berth_ref *r = NULL;
	ck_assert_int_eq(berth_ref_parse(&r, NULL), BERTH_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(berth_ref_parse(NULL, "mongo"), BERTH_EINVAL);
	ck_assert_ptr_null(berth_ref_string(NULL));
	ck_assert_ptr_null(berth_ref_tag(NULL));

	/* Getters are stable, borrowed pointers; the registry of docker.io is not the domain. */
	r = parse_ok("mongo");
	ck_assert_ptr_eq(berth_ref_string(r), berth_ref_string(r));
	ck_assert_str_eq(berth_ref_registry(r), "registry-1.docker.io");
	berth_ref_free(r);
	r = parse_ok("localhost:5000/a");
	ck_assert_ptr_eq(berth_ref_registry(r), berth_ref_domain(r));
	berth_ref_free(r);

	/* Independent refs do not share storage. */
	berth_ref *a = parse_ok("a:1"), *b = parse_ok("b:2");
	ck_assert_str_eq(berth_ref_string(a), "docker.io/library/a:1");
	ck_assert_str_eq(berth_ref_string(b), "docker.io/library/b:2");
	berth_ref_free(a);
	berth_ref_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reference");
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_good, 0, (int)BERTH_ARRAY_SIZE(goods));
	tcase_add_loop_test(tc, test_bad, 0, (int)BERTH_ARRAY_SIZE(bads));
	tcase_add_test(tc, test_name_length);
	tcase_add_test(tc, test_tag_length);
	tcase_add_test(tc, test_api);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(suite()); }
