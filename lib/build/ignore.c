/* SPDX-License-Identifier: LGPL-2.1-or-later
 * .dockerignore (build_internal.h): patterns as Docker reads them (Go
 * filepath.Match syntax plus "**"), '!' exceptions, last match wins, a
 * pattern also matching everything below a matched directory. */
#include "build/build_internal.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* One character class "[...]" at p (after '['): *matched, and the end of the class; NULL if malformed. */
static const char *class_match(const char *p, char c, int *matched)
{
	int neg = 0, ok = 0;
	if (*p == '^' || *p == '!') {
		neg = 1;
		p++;
	}
	int first = 1;
	while (*p && (*p != ']' || first)) {
		first = 0;
		char lo = *p++;
		if (lo == '\\' && *p)
			lo = *p++;
		char hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			hi = *p++;
			if (hi == '\\' && *p)
				hi = *p++;
		}
		if (c >= lo && c <= hi)
			ok = 1;
	}
	if (*p != ']')
		return NULL;
	*matched = ok != neg;
	return p + 1;
}

/* A match of a pattern against a path: a state (pattern position, path
 * position) that failed is remembered and never tried again, and the
 * positions a star may skip to are tried in order, so a match takes
 * O(pattern length x path length) steps, without deep recursion. (The plain
 * backtracking matcher was exponential: a .dockerignore line of stars hung a
 * build; found by tests/fuzz/fuzz_dockerignore.c.) */
typedef struct glob {
	const char *p0, *s0;
	size_t ls;
	unsigned char *failed;   /* one bit per state */
	const char **next_slash; /* the first '/' at or after each path position, or NULL */
} glob;

static size_t state(const glob *g, const char *p, const char *s)
{
	return (size_t)(p - g->p0) * (g->ls + 1) + (size_t)(s - g->s0);
}

static int failed(const glob *g, const char *p, const char *s)
{
	size_t k = state(g, p, s);
	return g->failed[k / 8] & (1u << (k % 8));
}

static void set_failed(glob *g, const char *p, const char *s)
{
	size_t k = state(g, p, s);
	g->failed[k / 8] |= (unsigned char)(1u << (k % 8));
}

static int match_at(glob *g, const char *p, const char *s);

/* The stars at p (up to q) at s: the rest q tried at every position the stars
 * may reach, in order. The later states of p are marked failed as the loop
 * reaches them (each reaches a subset of what this one reaches); if one of
 * them matches instead, the whole match ends with 1 and no mark is read again. */
static int match_stars(glob *g, const char *p, const char *q, const char *s)
{
	int any = q - p >= 2, dirs = any && *q == '/'; /* "**": '/' too; "**" + "/": whole directories */
	const char *rest = dirs ? q + 1 : q, *t = s;
	for (;;) {
		if (match_at(g, rest, t))
			return 1;
		if (dirs) {
			t = g->next_slash[t - g->s0];
			if (!t)
				return 0;
			t++;
		} else {
			if (!*t || (!any && *t == '/'))
				return 0;
			t++;
		}
		if (failed(g, p, t))
			return 0;
		set_failed(g, p, t);
	}
}

static int match_rest(glob *g, const char *p, const char *s)
{
	while (*p) {
		if (*p == '*') {
			const char *q = p;
			while (*q == '*')
				q++;
			return match_stars(g, p, q, s);
		}
		if (!*s)
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
			p++, s++;
			continue;
		}
		if (*p == '[') {
			int m = 0;
			const char *e = class_match(p + 1, *s, &m);
			if (!e || !m || *s == '/')
				return 0;
			p = e;
			s++;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)
			return 0;
		p++, s++;
	}
	return *s == '\0';
}

static int match_at(glob *g, const char *p, const char *s)
{
	if (failed(g, p, s))
		return 0;
	int r = match_rest(g, p, s);
	if (!r)
		set_failed(g, p, s);
	return r;
}

int berth__glob_match(const char *pat, const char *path, int pathname)
{
	(void)pathname;
	size_t lp = strlen(pat), ls = strlen(path);
	glob g = { pat, path, ls, calloc(((lp + 1) * (ls + 1) + 7) / 8, 1), calloc(ls + 1, sizeof(char *)) };
	int r = 0;
	if (g.failed && g.next_slash) {
		const char *next = NULL;
		for (size_t i = ls + 1; i-- > 0;) {
			if (path[i] == '/')
				next = path + i;
			g.next_slash[i] = next;
		}
		r = match_at(&g, pat, path);
	}
	free(g.failed);
	free(g.next_slash);
	return r;
}

char *berth__bd_clean_path(const char *in, int abs)
{
	size_t len = strlen(in);
	char *out = malloc(len + 3);
	if (!out) {
		berth__err_nomem();
		return NULL;
	}
	size_t o = 0, root = abs ? 1 : 0;
	if (abs)
		out[o++] = '/';
	const char *s = in;
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - s);
		if (n == 0)
			break;
		if (n == 1 && s[0] == '.') {
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > root && out[o - 1] != '/')
				o--;
			if (o > root)
				o--;
		} else {
			if (o > root)
				out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s = e;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

int berth__ignore_parse(bd_ignore *out, const char *text, size_t len)
{
	memset(out, 0, sizeof *out);
	size_t cap = 0;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		size_t s = i, e = j;
		i = j + 1;
		while (s < e && isspace((unsigned char)text[s]))
			s++;
		while (e > s && isspace((unsigned char)text[e - 1]))
			e--;
		if (s == e || text[s] == '#')
			continue;
		int exc = 0;
		if (text[s] == '!') {
			exc = 1;
			s++;
			while (s < e && isspace((unsigned char)text[s]))
				s++;
			if (s == e)
				continue;
		}
		char *raw = strndup(text + s, e - s);
		char *c = raw ? berth__bd_clean_path(raw, 0) : NULL;
		free(raw);
		if (!c)
			goto nomem;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			char **np = realloc(out->pat, cap * sizeof *np);
			if (!np) {
				free(c);
				goto nomem;
			}
			out->pat = np;
			int *ne = realloc(out->exclude, cap * sizeof *ne);
			if (!ne) {
				free(c);
				goto nomem;
			}
			out->exclude = ne;
		}
		out->pat[out->n] = c;
		out->exclude[out->n] = exc;
		out->n++;
	}
	return 0;
nomem:
	berth__ignore_free(out);
	return berth__err_nomem();
}

void berth__ignore_free(bd_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		free(ig->pat[i]);
	free(ig->pat);
	free(ig->exclude);
	memset(ig, 0, sizeof *ig);
}

/* The pattern matches rel or one of its parent directories. */
static int matches_or_parent(const char *pat, const char *rel)
{
	if (berth__glob_match(pat, rel, 1))
		return 1;
	size_t n = strlen(rel);
	char *buf = malloc(n + 1);
	if (!buf)
		return 0;
	memcpy(buf, rel, n + 1);
	int m = 0;
	for (size_t i = n; i-- > 0;) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (berth__glob_match(pat, buf, 1)) {
			m = 1;
			break;
		}
	}
	free(buf);
	return m;
}

int berth__ignore_match(const bd_ignore *ig, const char *rel)
{
	int ignored = 0;
	for (size_t i = 0; i < ig->n; i++) {
		if (ignored == !ig->exclude[i])
			continue; /* cannot change the outcome */
		if (matches_or_parent(ig->pat[i], rel))
			ignored = !ig->exclude[i];
	}
	return ignored;
}

int berth__ignore_dir_has_exceptions(const bd_ignore *ig, const char *rel)
{
	size_t n = strlen(rel);
	for (size_t i = 0; i < ig->n; i++) {
		if (!ig->exclude[i])
			continue;
		const char *p = ig->pat[i];
		/* an exception below rel, or one whose wildcards could reach below it */
		if ((!strncmp(p, rel, n) && p[n] == '/') || strpbrk(p, "*?[\\"))
			return 1;
	}
	return 0;
}
