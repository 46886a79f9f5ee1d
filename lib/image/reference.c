/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Image references: parsing and Docker's normalisation (include/berth/image.h,
 * docs/images.md).
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] component ( "/" component )*
 *   domain     := host [ ":" port ]          port := [0-9]+
 *   host       := label ( "." label )* | "[" [0-9A-Fa-f:]+ "]"
 *   label      := [A-Za-z0-9] ( [A-Za-z0-9-]* [A-Za-z0-9] )?
 *   component  := alnum ( separator alnum )*  alnum := [a-z0-9]+
 *   separator  := "." | "_" | "__" | "-"+
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest     := "sha256:" [0-9a-f]{64} | "sha512:" [0-9a-f]{128}
 *
 * The parser works on spans of the input and allocates once, for the result:
 * no global state, safe from any thread. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define DEFAULT_REGISTRY "registry-1.docker.io"
#define OFFICIAL_PREFIX "library/"
#define DEFAULT_TAG "latest"
#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
/* How much of an input (or of a part of it) an error message shows. */
#define SHOW_MAX 200

struct berth_ref {
	const char *domain;
	const char *path;
	const char *tag;    /* NULL with only a digest */
	const char *digest; /* NULL without */
	const char *string;
	const char *familiar;
	const char *registry; /* DEFAULT_REGISTRY or == domain */
	char buf[];           /* the strings above, each NUL-terminated */
};

typedef struct {
	const char *p;
	size_t n;
} span;

static int span_eq(span s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }
static int is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static int is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
static int is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
static int is_hex(char c) { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }
static int is_word(char c) { return is_alnum(c) || c == '_'; }

/* A printable rendering of a span for messages: bytes outside printable
 * ASCII as \xNN, cut after SHOW_MAX characters with "...". */
static void show(char dst[SHOW_MAX + 8], const char *p, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o >= SHOW_MAX) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c >= 0x7f) {
			snprintf(dst + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/* "reference '<input>': <what>" with BERTH_EINVAL. */
static int fail(const char *input, const char *fmt, ...) BERTH_PRINTF(2, 3);
static int fail(const char *input, const char *fmt, ...)
{
	char in[SHOW_MAX + 8], what[768];
	va_list ap;
	show(in, input, strlen(input));
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return berth__err(BERTH_EINVAL, "reference '%s': %s", in, what);
}

/* The first component of a name with a '/' is a domain when it looks like one. */
static int looks_like_domain(span s)
{
	return memchr(s.p, '.', s.n) || memchr(s.p, ':', s.n) || span_eq(s, "localhost");
}

static int check_label(const char *p, size_t n)
{
	if (n == 0 || !is_alnum(p[0]) || !is_alnum(p[n - 1]))
		return 0;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(p[i]) && p[i] != '-')
			return 0;
	return 1;
}

/* 0 when valid, else a static reason for the message. */
static const char *check_domain(span d)
{
	const char *end = d.p + d.n, *host_end;
	if (d.n && d.p[0] == '[') {
		const char *close = memchr(d.p, ']', d.n);
		if (!close)
			return "missing ']'";
		if (close == d.p + 1)
			return "empty IPv6 address";
		for (const char *q = d.p + 1; q < close; q++)
			if (!is_hex(*q) && *q != ':')
				return "invalid IPv6 address";
		host_end = close + 1;
		if (host_end < end && *host_end != ':')
			return "unexpected characters after ']'";
	} else {
		const char *colon = memchr(d.p, ':', d.n);
		host_end = colon ? colon : end;
		const char *lab = d.p;
		for (;;) {
			const char *dot = memchr(lab, '.', (size_t)(host_end - lab));
			const char *lab_end = dot ? dot : host_end;
			if (!check_label(lab, (size_t)(lab_end - lab)))
				return "invalid host name";
			if (!dot)
				break;
			lab = dot + 1;
		}
	}
	if (host_end < end) { /* ":port" */
		const char *q = host_end + 1;
		if (q == end)
			return "empty port";
		for (; q < end; q++)
			if (*q < '0' || *q > '9')
				return "port is not a number";
	}
	return NULL;
}

static int check_component(span c)
{
	size_t i = 0;
	for (;;) {
		size_t run = i;
		while (i < c.n && is_lower_alnum(c.p[i]))
			i++;
		if (i == run)
			return 0; /* empty, or a separator at the start/end or doubled */
		if (i == c.n)
			return 1;
		if (c.p[i] == '.') {
			i++;
		} else if (c.p[i] == '_') {
			i++;
			if (i < c.n && c.p[i] == '_')
				i++;
		} else if (c.p[i] == '-') {
			while (i < c.n && c.p[i] == '-')
				i++;
		} else {
			return 0;
		}
	}
}

static int check_tag(span t)
{
	if (t.n == 0 || t.n > TAG_MAX_LEN || !is_word(t.p[0]))
		return 0;
	for (size_t i = 1; i < t.n; i++)
		if (!is_word(t.p[i]) && t.p[i] != '.' && t.p[i] != '-')
			return 0;
	return 1;
}

/* 0 when valid, else writes a reason. */
static int check_digest(span g, char *why, size_t why_len)
{
	const char *colon = memchr(g.p, ':', g.n);
	if (!colon) {
		snprintf(why, why_len, "expected <algorithm>:<hex>");
		return -1;
	}
	span alg = { g.p, (size_t)(colon - g.p) }, hex = { colon + 1, g.n - alg.n - 1 };
	size_t want;
	if (span_eq(alg, "sha256")) {
		want = 64;
	} else if (span_eq(alg, "sha512")) {
		want = 128;
	} else {
		char a[SHOW_MAX + 8];
		show(a, alg.p, alg.n);
		snprintf(why, why_len, "unsupported algorithm '%s'", a);
		return -1;
	}
	int nonhex = 0, upper = 0;
	for (size_t i = 0; i < hex.n; i++) {
		if (!is_hex(hex.p[i]))
			nonhex = 1;
		else if (!is_lower_hex(hex.p[i]))
			upper = 1;
	}
	if (nonhex || hex.n != want) {
		snprintf(why, why_len, "need %zu hex digits", want);
		return -1;
	}
	if (upper) {
		snprintf(why, why_len, "hex digits must be lowercase");
		return -1;
	}
	return 0;
}

static char *put(char **cur, const char *p, size_t n)
{
	char *start = *cur;
	memcpy(*cur, p, n);
	*cur += n;
	return start;
}

static char *put_str(char **cur, const char *s) { return put(cur, s, strlen(s)); }
static void put_nul(char **cur) { *(*cur)++ = '\0'; }

/* Appends [":" tag] ["@" digest] and the terminating NUL. */
static void put_suffix(char **cur, const char *tag, const char *digest)
{
	if (tag) {
		put(cur, ":", 1);
		put_str(cur, tag);
	}
	if (digest) {
		put(cur, "@", 1);
		put_str(cur, digest);
	}
	put_nul(cur);
}

BERTH_EXTERN int berth_ref_parse(berth_ref **out, const char *reference)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "parse reference: out is required");
	if (!reference)
		return berth__err(BERTH_EINVAL, "parse reference: reference is NULL");
	const char *s = reference;
	size_t len = strlen(s);
	if (len == 0)
		return fail(s, "empty");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f) {
			char ch[SHOW_MAX + 8];
			show(ch, s + i, 1);
			return fail(s, "invalid character '%s'", ch);
		}
	}
	if (len == 64) {
		size_t i = 0;
		while (i < len && is_lower_hex(s[i]))
			i++;
		if (i == len)
			return fail(s, "looks like an image id, not a reference");
	}

	/* Split: the digest after the first '@'; the tag after the first ':'
	 * following the last '/' of what precedes it. */
	const char *at = memchr(s, '@', len);
	span name_tag = { s, at ? (size_t)(at - s) : len };
	span digest = { at ? at + 1 : NULL, at ? len - name_tag.n - 1 : 0 };
	const char *last_slash = memrchr(name_tag.p, '/', name_tag.n);
	const char *tag_from = last_slash ? last_slash + 1 : name_tag.p;
	const char *colon = memchr(tag_from, ':', (size_t)(name_tag.p + name_tag.n - tag_from));
	span name = { s, colon ? (size_t)(colon - s) : name_tag.n };
	span tag = { colon ? colon + 1 : NULL, colon ? name_tag.n - name.n - 1 : 0 };
	char a[SHOW_MAX + 8], why[512];

	if (name.n == 0)
		return fail(s, "missing repository name");

	/* Domain and path. */
	span domain = { DEFAULT_DOMAIN, strlen(DEFAULT_DOMAIN) }, path = name;
	const char *slash = memchr(name.p, '/', name.n);
	if (slash) {
		span first = { name.p, (size_t)(slash - name.p) };
		if (looks_like_domain(first)) {
			const char *reason = check_domain(first);
			if (reason) {
				show(a, first.p, first.n);
				return fail(s, "invalid domain '%s' (%s)", a, reason);
			}
			domain = span_eq(first, LEGACY_DOMAIN) ? domain : first;
			path = (span){ slash + 1, name.n - first.n - 1 };
		}
	}
	for (size_t i = 0; i < path.n; i++)
		if (path.p[i] >= 'A' && path.p[i] <= 'Z')
			return fail(s, "repository name must be lowercase");
	for (const char *c = path.p, *end = path.p + path.n;;) {
		const char *sl = memchr(c, '/', (size_t)(end - c));
		span comp = { c, (size_t)((sl ? sl : end) - c) };
		if (!check_component(comp)) {
			show(a, comp.p, comp.n);
			return fail(s, "invalid repository name component '%s'", a);
		}
		if (!sl)
			break;
		c = sl + 1;
	}
	int is_default = span_eq(domain, DEFAULT_DOMAIN);
	const char *prefix = is_default && !memchr(path.p, '/', path.n) ? OFFICIAL_PREFIX : "";
	size_t full_path_len = strlen(prefix) + path.n;
	if (domain.n + 1 + full_path_len > NAME_MAX_LEN)
		return fail(s, "name longer than %d characters", NAME_MAX_LEN);

	if (colon && !check_tag(tag)) {
		show(a, tag.p, tag.n);
		return fail(s, "invalid tag '%s'%s", a, tag.n > TAG_MAX_LEN ? " (longer than 128 characters)" : "");
	}
	if (at && check_digest(digest, why, sizeof why) < 0) {
		show(a, digest.p, digest.n);
		return fail(s, "invalid digest '%s' (%s)", a, why);
	}
	if (!colon && !at)
		tag = (span){ DEFAULT_TAG, strlen(DEFAULT_TAG) };

	/* domain, path, tag and digest together, then string and familiar,
	 * are each at most the whole string's length. */
	size_t whole = domain.n + 1 + full_path_len + 1 + tag.n + 1 + digest.n + 1;
	berth_ref *r = malloc(sizeof *r + 3 * whole);
	if (!r)
		return berth__err_nomem();
	char *cur = r->buf;
	r->domain = put(&cur, domain.p, domain.n);
	put_nul(&cur);
	r->path = put_str(&cur, prefix);
	put(&cur, path.p, path.n);
	put_nul(&cur);
	r->tag = NULL;
	if (tag.p) {
		r->tag = put(&cur, tag.p, tag.n);
		put_nul(&cur);
	}
	r->digest = NULL;
	if (at) {
		r->digest = put(&cur, digest.p, digest.n);
		put_nul(&cur);
	}

	r->string = put_str(&cur, r->domain);
	put(&cur, "/", 1);
	put_str(&cur, r->path);
	put_suffix(&cur, r->tag, r->digest);

	/* Familiar: docker.io/ dropped, then library/ for an official image (not
	 * when more components follow: "library/a/b" would read back as
	 * docker.io/a/b). docker.io/ is kept when the first remaining component
	 * would read back as a domain ("docker.io/foo.bar/baz"), so the familiar
	 * form always parses to the same reference. */
	const char *fam_path = r->path;
	int keep_domain = !is_default;
	if (is_default) {
		size_t pl = strlen(OFFICIAL_PREFIX);
		if (!strncmp(fam_path, OFFICIAL_PREFIX, pl) && !strchr(fam_path + pl, '/'))
			fam_path += pl;
		const char *sl = strchr(fam_path, '/');
		if (sl && looks_like_domain((span){ fam_path, (size_t)(sl - fam_path) }))
			keep_domain = 1, fam_path = r->path;
	}
	r->familiar = cur;
	if (keep_domain) {
		put_str(&cur, r->domain);
		put(&cur, "/", 1);
	}
	put_str(&cur, fam_path);
	put_suffix(&cur, r->tag, r->digest);

	r->registry = is_default ? DEFAULT_REGISTRY : r->domain;
	*out = r;
	return 0;
}

BERTH_EXTERN void berth_ref_free(berth_ref *ref) { free(ref); }

BERTH_EXTERN const char *berth_ref_domain(const berth_ref *ref) { return ref ? ref->domain : NULL; }
BERTH_EXTERN const char *berth_ref_path(const berth_ref *ref) { return ref ? ref->path : NULL; }
BERTH_EXTERN const char *berth_ref_tag(const berth_ref *ref) { return ref ? ref->tag : NULL; }
BERTH_EXTERN const char *berth_ref_digest(const berth_ref *ref) { return ref ? ref->digest : NULL; }
BERTH_EXTERN const char *berth_ref_string(const berth_ref *ref) { return ref ? ref->string : NULL; }
BERTH_EXTERN const char *berth_ref_familiar(const berth_ref *ref) { return ref ? ref->familiar : NULL; }
BERTH_EXTERN const char *berth_ref_registry(const berth_ref *ref) { return ref ? ref->registry : NULL; }
