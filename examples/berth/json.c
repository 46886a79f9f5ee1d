/* berth CLI: a small JSON reader and pretty-printer.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct parser {
	const char *p, *end;
	const char *start;
	char *err;
	size_t errlen;
	int failed;
	int depth;
};

static void fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "malformed JSON at offset %ld: %s", (long)(ps->p - ps->start), what);
	ps->failed = 1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct jval *new_val(enum jtype t)
{
	struct jval *v = xmalloc(sizeof *v);
	memset(v, 0, sizeof *v);
	v->type = t;
	return v;
}

struct buf {
	char *s;
	size_t n, cap;
};

static void buf_putc(struct buf *b, char c)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->s = xrealloc(b->s, b->cap);
	}
	b->s[b->n++] = c;
	b->s[b->n] = '\0';
}

static void buf_put_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

static int hex4(struct parser *ps, uint32_t *out)
{
	uint32_t v = 0;
	if (ps->end - ps->p < 4) {
		fail(ps, "truncated \\u escape");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else {
			fail(ps, "bad \\u escape");
			return -1;
		}
	}
	*out = v;
	return 0;
}

/* At the opening quote. */
static char *parse_string(struct parser *ps)
{
	struct buf b = { 0 };
	buf_putc(&b, 'x'); /* make sure b.s exists */
	b.n = 0;
	b.s[0] = '\0';
	ps->p++;
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p++;
		if (c == '"')
			return b.s;
		if (c < 0x20) {
			fail(ps, "control character in string");
			break;
		}
		if (c != '\\') {
			buf_putc(&b, (char)c);
			continue;
		}
		if (ps->p >= ps->end)
			break;
		c = (unsigned char)*ps->p++;
		switch (c) {
		case '"': buf_putc(&b, '"'); break;
		case '\\': buf_putc(&b, '\\'); break;
		case '/': buf_putc(&b, '/'); break;
		case 'b': buf_putc(&b, '\b'); break;
		case 'f': buf_putc(&b, '\f'); break;
		case 'n': buf_putc(&b, '\n'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 't': buf_putc(&b, '\t'); break;
		case 'u': {
			uint32_t cp, lo;
			if (hex4(ps, &cp) < 0)
				goto out;
			if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
				ps->p += 2;
				if (hex4(ps, &lo) < 0)
					goto out;
				if (lo >= 0xDC00 && lo < 0xE000)
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				else
					cp = 0xFFFD;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD;
			}
			if (cp == 0)
				cp = 0xFFFD; /* no NULs inside C strings */
			buf_put_utf8(&b, cp);
			break;
		}
		default:
			fail(ps, "bad escape");
			goto out;
		}
	}
	fail(ps, "unterminated string");
out:
	free(b.s);
	return NULL;
}

static struct jval *parse_value(struct parser *ps);

static void add_item(struct jval *v, struct jval *item, char *key)
{
	v->items = xrealloc(v->items, (v->n + 1) * sizeof *v->items);
	if (v->type == J_OBJECT)
		v->keys = xrealloc(v->keys, (v->n + 1) * sizeof *v->keys), v->keys[v->n] = key;
	v->items[v->n++] = item;
}

static struct jval *parse_container(struct parser *ps, int object)
{
	struct jval *v = new_val(object ? J_OBJECT : J_ARRAY);
	char close = object ? '}' : ']';
	if (++ps->depth > 512) {
		fail(ps, "nested too deeply");
		return v;
	}
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return v;
	}
	while (!ps->failed) {
		char *key = NULL;
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a string key");
				break;
			}
			if (!(key = parse_string(ps)))
				break;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				break;
			}
			ps->p++;
		}
		struct jval *item = parse_value(ps);
		if (!item) {
			free(key);
			break;
		}
		add_item(v, item, key);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
	ps->depth--;
	return v;
}

static int match(struct parser *ps, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, lit, n) == 0) {
		ps->p += n;
		return 1;
	}
	return 0;
}

static struct jval *parse_value(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end");
		return NULL;
	}
	char c = *ps->p;
	if (c == '{' || c == '[')
		return parse_container(ps, c == '{');
	if (c == '"') {
		char *s = parse_string(ps);
		if (!s)
			return NULL;
		struct jval *v = new_val(J_STRING);
		v->str = s;
		return v;
	}
	if (match(ps, "null"))
		return new_val(J_NULL);
	if (match(ps, "true"))
		return new_val(J_TRUE);
	if (match(ps, "false"))
		return new_val(J_FALSE);
	if (c == '-' || (c >= '0' && c <= '9')) {
		const char *s = ps->p;
		if (*ps->p == '-')
			ps->p++;
		while (ps->p < ps->end && strchr("0123456789.eE+-", *ps->p))
			ps->p++;
		struct jval *v = new_val(J_NUMBER);
		v->str = xmalloc((size_t)(ps->p - s) + 1);
		memcpy(v->str, s, (size_t)(ps->p - s));
		v->str[ps->p - s] = '\0';
		return v;
	}
	fail(ps, "unexpected character");
	return NULL;
}

struct jval *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = { text, text + len, text, err, errlen, 0, 0 };
	struct jval *v = parse_value(&ps);
	if (!ps.failed) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			fail(&ps, "trailing characters");
	}
	if (ps.failed) {
		json_free(v);
		return NULL;
	}
	return v;
}

void json_free(struct jval *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

struct jval *json_get(const struct jval *v, const char *key)
{
	if (!v || v->type != J_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return v->items[i];
	return NULL;
}

const char *json_get_str(const struct jval *v, const char *key)
{
	struct jval *m = json_get(v, key);
	return m && m->type == J_STRING ? m->str : NULL;
}

long long json_get_int(const struct jval *v, const char *key, long long dflt)
{
	struct jval *m = json_get(v, key);
	if (!m || m->type != J_NUMBER)
		return dflt;
	return strtoll(m->str, NULL, 10);
}

void json_print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void indent_to(FILE *f, int n)
{
	for (int i = 0; i < n; i++)
		fputc(' ', f);
}

void json_print(FILE *f, const struct jval *v, int indent, int level)
{
	switch (v->type) {
	case J_NULL: fputs("null", f); return;
	case J_TRUE: fputs("true", f); return;
	case J_FALSE: fputs("false", f); return;
	case J_NUMBER: fputs(v->str, f); return;
	case J_STRING: json_print_string(f, v->str); return;
	case J_ARRAY:
	case J_OBJECT:
		break;
	}
	int obj = v->type == J_OBJECT;
	if (v->n == 0) {
		fputs(obj ? "{}" : "[]", f);
		return;
	}
	fputc(obj ? '{' : '[', f);
	for (size_t i = 0; i < v->n; i++) {
		if (indent >= 0) {
			fputc('\n', f);
			indent_to(f, (level + 1) * indent);
		}
		if (obj) {
			json_print_string(f, v->keys[i]);
			fputs(indent >= 0 ? ": " : ":", f);
		}
		json_print(f, v->items[i], indent, level + 1);
		if (i + 1 < v->n)
			fputc(',', f);
	}
	if (indent >= 0) {
		fputc('\n', f);
		indent_to(f, level * indent);
	}
	fputc(obj ? '}' : ']', f);
}

struct jval *json_new(enum jtype t)
{
	return new_val(t);
}

void json_append(struct jval *arr, struct jval *item)
{
	add_item(arr, item, NULL);
}

void json_set(struct jval *obj, const char *key, struct jval *item)
{
	add_item(obj, item, xstrdup(key));
}

void json_set_str(struct jval *obj, const char *key, const char *s)
{
	struct jval *v = new_val(J_STRING);
	v->str = xstrdup(s ? s : "");
	json_set(obj, key, v);
}

void json_set_int(struct jval *obj, const char *key, long long n)
{
	struct jval *v = new_val(J_NUMBER);
	v->str = xasprintf("%lld", n);
	json_set(obj, key, v);
}
