/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The Dockerfile parser and variable substitution (build_internal.h), per
 * the Dockerfile reference: parser directives (escape; syntax and check are
 * accepted and ignored), comments, line continuations, exec (JSON) and shell
 * forms, flags, heredocs for RUN, and the argument checks the reference
 * makes, each error naming the file and the line. */
#include "build/build_internal.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- a growing string --- */
typedef struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}
static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }
static void sb_addc(sbuf *b, char c) { sb_addn(b, &c, 1); }
static char *sb_take(sbuf *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	if (!b->p)
		return berth__strdup("");
	char *p = b->p;
	b->p = NULL;
	b->n = b->cap = 0;
	return p;
}

/* --- words and substitution --- */

typedef struct wctx {
	const char *s;
	size_t i, len;
	char esc;
	bd_lookup lookup;
	void *payload;
	char err[160];
} wctx;

static int expand_into(wctx *w, sbuf *out, const char *s, size_t len);

/* After '$' at w->i: appends the expansion. */
static int dollar(wctx *w, sbuf *out)
{
	const char *s = w->s;
	size_t i = w->i;
	if (i < w->len && s[i] == '{') {
		i++;
		size_t ns = i;
		while (i < w->len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
			i++;
		size_t ne = i;
		if (ne == ns) {
			snprintf(w->err, sizeof w->err, "bad substitution: '${' must be followed by a variable name");
			return -1;
		}
		char mod[3] = "";
		size_t ws = 0, we = 0;
		if (i < w->len && s[i] == '}') {
			w->i = i + 1;
		} else if (i < w->len && (s[i] == ':' || s[i] == '-' || s[i] == '+')) {
			size_t m = 0;
			if (s[i] == ':')
				mod[m++] = s[i++];
			if (i >= w->len || (s[i] != '-' && s[i] != '+')) {
				snprintf(w->err, sizeof w->err, "unsupported modifier in '${%.*s:...}' (only :-, :+, - and +)",
				         (int)(ne - ns), s + ns);
				return -1;
			}
			mod[m++] = s[i++];
			mod[m] = '\0';
			ws = i;
			int depth = 1;
			for (; i < w->len; i++) {
				if (s[i] == w->esc && i + 1 < w->len) {
					i++;
					continue;
				}
				if (s[i] == '$' && i + 1 < w->len && s[i + 1] == '{') {
					depth++;
					i++;
				} else if (s[i] == '}' && --depth == 0)
					break;
			}
			if (i >= w->len) {
				snprintf(w->err, sizeof w->err, "missing '}' in '${%.*s'", (int)(ne - ns), s + ns);
				return -1;
			}
			we = i;
			w->i = i + 1;
		} else {
			snprintf(w->err, sizeof w->err, "missing '}' in '${%.*s'", (int)(ne - ns), s + ns);
			return -1;
		}
		const char *val = w->lookup ? w->lookup(s + ns, ne - ns, w->payload) : NULL;
		if (!mod[0]) {
			if (val)
				sb_add(out, val);
			return 0;
		}
		int colon = mod[0] == ':';
		char op = mod[colon];
		int set = val && (!colon || *val);
		if ((op == '-' && !set) || (op == '+' && set))
			return expand_into(w, out, s + ws, we - ws);
		if (op == '-' && val)
			sb_add(out, val);
		return 0;
	}
	size_t ns = i;
	while (i < w->len && (isalnum((unsigned char)s[i]) || s[i] == '_') && !(i == ns && isdigit((unsigned char)s[i])))
		i++;
	if (i == ns) {
		sb_addc(out, '$');
		return 0;
	}
	w->i = i;
	const char *val = w->lookup ? w->lookup(s + ns, i - ns, w->payload) : NULL;
	if (val)
		sb_add(out, val);
	return 0;
}

/* Expands a ${...:-word} word (no quote removal across the whole; its own quotes are processed). */
static int expand_into(wctx *w, sbuf *out, const char *s, size_t len)
{
	wctx sub = *w;
	sub.s = s;
	sub.len = len;
	sub.i = 0;
	while (sub.i < sub.len) {
		char c = s[sub.i++];
		if (c == sub.esc && sub.i < sub.len) {
			sb_addc(out, s[sub.i++]);
		} else if (c == '$') {
			if (dollar(&sub, out) < 0) {
				memcpy(w->err, sub.err, sizeof w->err);
				return -1;
			}
		} else if (c == '\'' || c == '"') {
			/* quotes inside a default word: removed, contents kept */
			char q = c;
			while (sub.i < sub.len && s[sub.i] != q) {
				if (q == '"' && s[sub.i] == '$') {
					sub.i++;
					if (dollar(&sub, out) < 0) {
						memcpy(w->err, sub.err, sizeof w->err);
						return -1;
					}
					continue;
				}
				sb_addc(out, s[sub.i++]);
			}
			if (sub.i < sub.len)
				sub.i++;
		} else
			sb_addc(out, c);
	}
	return 0;
}

int berth__bd_words(char ***out, size_t *n_out, const char *in, char escape, int split, bd_lookup lookup,
                    void *payload)
{
	wctx w = { .s = in, .len = strlen(in), .esc = escape, .lookup = lookup, .payload = payload };
	sbuf cur = { 0 };
	char **words = NULL;
	size_t n = 0, cap = 0;
	int have = 0, r = 0;
#define PUSH()                                                        \
	do {                                                              \
		if (n + 2 > cap) {                                            \
			cap = cap ? cap * 2 : 8;                                  \
			char **nw = realloc(words, cap * sizeof *nw);             \
			if (!nw) {                                                \
				r = berth__err_nomem();                               \
				goto out;                                             \
			}                                                         \
			words = nw;                                               \
		}                                                             \
		if (!(words[n] = sb_take(&cur))) {                            \
			r = BERTH_ENOMEM;                                         \
			goto out;                                                 \
		}                                                             \
		words[++n] = NULL;                                            \
		have = 0;                                                     \
	} while (0)
	while (w.i < w.len) {
		char c = in[w.i++];
		if (split && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			if (have)
				PUSH();
			continue;
		}
		have = 1;
		if (c == escape && escape) {
			if (w.i < w.len)
				sb_addc(&cur, in[w.i++]);
		} else if (c == '\'' && escape) {
			size_t s = w.i;
			while (w.i < w.len && in[w.i] != '\'')
				w.i++;
			if (w.i >= w.len) {
				r = berth__err(BERTH_EINVAL, "unexpected end of statement while looking for matching single-quote");
				goto out;
			}
			sb_addn(&cur, in + s, w.i - s);
			w.i++;
		} else if (c == '"' && escape) {
			for (;;) {
				if (w.i >= w.len) {
					r = berth__err(BERTH_EINVAL, "unexpected end of statement while looking for matching double-quote");
					goto out;
				}
				char d = in[w.i++];
				if (d == '"')
					break;
				if (d == escape) {
					if (w.i >= w.len)
						continue;
					char e = in[w.i];
					if (e == '"' || e == '$' || e == escape) {
						sb_addc(&cur, e);
						w.i++;
					} else
						sb_addc(&cur, d);
				} else if (d == '$') {
					if (dollar(&w, &cur) < 0) {
						r = berth__err(BERTH_EINVAL, "%s", w.err);
						goto out;
					}
				} else
					sb_addc(&cur, d);
			}
		} else if (c == '$') {
			if (dollar(&w, &cur) < 0) {
				r = berth__err(BERTH_EINVAL, "%s", w.err);
				goto out;
			}
		} else
			sb_addc(&cur, c);
	}
	if (have || !split)
		PUSH();
	if (!words) {
		words = calloc(1, sizeof *words);
		if (!words) {
			r = berth__err_nomem();
			goto out;
		}
	}
	/* one allocation for the caller */
	char **packed = berth__strv_pack(words, n);
	if (!packed) {
		r = berth__err_nomem();
		goto out;
	}
	*out = packed;
	if (n_out)
		*n_out = n;
out:
#undef PUSH
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	free(cur.p);
	return r;
}

/* --- the file --- */

static void instr_free(bd_instr *in)
{
	free(in->cmd);
	free(in->text);
	for (size_t i = 0; i < in->nflags; i++)
		free(in->flags[i]);
	free(in->flags);
	free(in->rest);
	free(in->args);
	free(in->heredoc);
	free(in->heredoc_name);
}

void berth__dockerfile_free(bd_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		instr_free(&f->v[i]);
	free(f->v);
	memset(f, 0, sizeof *f);
}

typedef struct line {
	const char *s;
	size_t len;
} line;

static int is_blank(const line *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

static int is_comment(const line *l)
{
	size_t i = 0;
	while (i < l->len && isspace((unsigned char)l->s[i]))
		i++;
	return i < l->len && l->s[i] == '#';
}

static const char *const known[] = { "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
	"ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL" };

static const char *allowed_flags(const char *cmd)
{
	if (!strcmp(cmd, "FROM"))
		return " platform ";
	if (!strcmp(cmd, "RUN"))
		return " network mount security ";
	if (!strcmp(cmd, "COPY"))
		return " from chown chmod link parents exclude ";
	if (!strcmp(cmd, "ADD"))
		return " chown chmod link checksum keep-git-dir exclude ";
	if (!strcmp(cmd, "HEALTHCHECK"))
		return " interval timeout start-period start-interval retries ";
	return NULL;
}

/* Counts the raw words of s (quotes respected, nothing expanded). */
static const char *count_lookup(const char *n, size_t l, void *p)
{
	(void)n, (void)l, (void)p;
	return "x";
}

static int count_words(size_t *n, const char *s, char esc)
{
	char **w = NULL;
	int r = berth__bd_words(&w, n, s, esc, 1, count_lookup, NULL);
	free(w);
	return r;
}

/* A heredoc marker "<<[-]["']WORD["']" in s: its word, dash flag, and the
 * span of the marker. 0 if none. */
static int find_heredoc(const char *s, char *word, size_t wlen, int *dash, size_t *start, size_t *end)
{
	char q = 0;
	for (size_t i = 0; s[i]; i++) {
		if (q) {
			if (s[i] == q)
				q = 0;
			continue;
		}
		if (s[i] == '\'' || s[i] == '"') {
			q = s[i];
			continue;
		}
		if (s[i] != '<' || s[i + 1] != '<' || s[i + 2] == '<')
			continue;
		size_t j = i + 2;
		*dash = 0;
		if (s[j] == '-') {
			*dash = 1;
			j++;
		}
		char quote = 0;
		if (s[j] == '"' || s[j] == '\'')
			quote = s[j++];
		size_t ws = j;
		while (s[j] && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-' || s[j] == '.'))
			j++;
		if (j == ws || j - ws >= wlen)
			continue;
		memcpy(word, s + ws, j - ws);
		word[j - ws] = '\0';
		if (quote) {
			if (s[j] != quote)
				continue;
			j++;
		}
		*start = i;
		*end = j;
		return 1;
	}
	return 0;
}

static int check_args(bd_instr *in, const char *name, char esc)
{
	const char *c = in->cmd;
	size_t n = in->nargs;
	int r;
	if (!in->json && (r = count_words(&n, in->rest, esc)) < 0)
		return berth__err_prefix("%s:%d: %s", name, in->line, c);
	if (!strcmp(c, "FROM")) {
		if (n != 1 && n != 3)
			return berth__err(BERTH_EINVAL, "%s:%d: FROM requires either one or three arguments", name, in->line);
		if (n == 3) {
			char **w = NULL;
			if ((r = berth__bd_words(&w, NULL, in->rest, esc, 1, count_lookup, NULL)) < 0)
				return r;
			int as = !strcasecmp(w[1], "as");
			free(w);
			if (!as)
				return berth__err(BERTH_EINVAL, "%s:%d: FROM: expected 'AS <name>' after the image, not '%s'", name,
				                  in->line, in->rest);
		}
	} else if (!strcmp(c, "COPY") || !strcmp(c, "ADD")) {
		if (n < 2 && !in->heredoc)
			return berth__err(BERTH_EINVAL, "%s:%d: %s requires at least two arguments, but only %zu provided", name,
			                  in->line, c, n);
	} else if (!strcmp(c, "ARG")) {
		if (n != 1)
			return berth__err(BERTH_EINVAL, "%s:%d: ARG requires exactly one argument", name, in->line);
	} else if (!strcmp(c, "WORKDIR") || !strcmp(c, "USER") || !strcmp(c, "STOPSIGNAL") || !strcmp(c, "MAINTAINER")) {
		if (n == 0)
			return berth__err(BERTH_EINVAL, "%s:%d: %s requires exactly one argument", name, in->line, c);
	} else if (!strcmp(c, "SHELL")) {
		if (!in->json)
			return berth__err(BERTH_EINVAL, "%s:%d: SHELL requires the arguments to be in JSON form", name, in->line);
		if (n == 0)
			return berth__err(BERTH_EINVAL, "%s:%d: SHELL requires at least one argument", name, in->line);
	} else if (!strcmp(c, "RUN") || !strcmp(c, "ENV") || !strcmp(c, "LABEL") || !strcmp(c, "EXPOSE") ||
	           !strcmp(c, "VOLUME") || !strcmp(c, "ONBUILD") || !strcmp(c, "HEALTHCHECK") || !strcmp(c, "ENTRYPOINT")) {
		if (n == 0 && !in->heredoc)
			return berth__err(BERTH_EINVAL, "%s:%d: %s requires at least one argument", name, in->line, c);
	}
	return 0;
}

/* text split at newlines (a trailing \r dropped); *out malloc'd. */
static int split_lines(line **out, size_t *out_n, const char *text, size_t len, const char *name)
{
	if (memchr(text, '\0', len))
		return berth__err(BERTH_EINVAL, "%s: a NUL byte: not a text file", name);
	size_t nl = 0, cap = 0;
	line *L = NULL;
	for (size_t i = 0; i <= len;) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if (j == len && i == len)
			break;
		if (nl == cap) {
			cap = cap ? cap * 2 : 64;
			line *nlines = realloc(L, cap * sizeof *L);
			if (!nlines) {
				free(L);
				return berth__err_nomem();
			}
			L = nlines;
		}
		size_t e = j;
		if (e > i && text[e - 1] == '\r')
			e--;
		L[nl].s = text + i;
		L[nl].len = e - i;
		nl++;
		i = j + 1;
	}
	*out = L;
	*out_n = nl;
	return 0;
}

/* Parser directives: "# key=value" lines at the very top (escape, syntax,
 * check); *li is left at the first line that is not one. */
static int parse_directives(bd_file *out, const line *L, size_t nl, size_t *li, const char *name)
{
	for (; *li < nl; (*li)++) {
		const char *s = L[*li].s;
		size_t k = 0, ln = L[*li].len;
		while (k < ln && isspace((unsigned char)s[k]))
			k++;
		if (k >= ln || s[k] != '#')
			break;
		k++;
		while (k < ln && isspace((unsigned char)s[k]))
			k++;
		size_t ks = k;
		while (k < ln && (isalnum((unsigned char)s[k]) || s[k] == '_'))
			k++;
		size_t ke = k;
		while (k < ln && isspace((unsigned char)s[k]))
			k++;
		if (ke == ks || k >= ln || s[k] != '=')
			break; /* a comment: directives end */
		k++;
		while (k < ln && isspace((unsigned char)s[k]))
			k++;
		size_t vs = k, ve = ln;
		while (ve > vs && isspace((unsigned char)s[ve - 1]))
			ve--;
		if (ke - ks == 6 && !strncasecmp(s + ks, "escape", 6)) {
			if (ve - vs != 1 || (s[vs] != '\\' && s[vs] != '`'))
				return berth__err(BERTH_EINVAL, "%s:%zu: invalid escape token '%.*s': it must be ` or \\", name,
				                  *li + 1, (int)(ve - vs), s + vs);
			out->escape = s[vs];
		} else if (!((ke - ks == 6 && !strncasecmp(s + ks, "syntax", 6)) ||
		             (ke - ks == 5 && !strncasecmp(s + ks, "check", 5))))
			break; /* an unknown directive is a comment */
	}
	return 0;
}

/* The logical line starting at L[*li]: continuations (a line ending in the
 * escape character) joined, comment and blank lines inside skipped. */
static char *logical_line(const line *L, size_t nl, size_t *li, char esc)
{
	sbuf lg = { 0 };
	for (;;) {
		const char *s = L[*li].s;
		size_t ln = L[*li].len;
		while (ln && (s[ln - 1] == ' ' || s[ln - 1] == '\t'))
			ln--;
		(*li)++;
		if (ln && s[ln - 1] == esc) {
			sb_addn(&lg, s, ln - 1);
			while (*li < nl && (is_comment(&L[*li]) || is_blank(&L[*li])))
				(*li)++;
			if (*li >= nl)
				break;
			continue;
		}
		sb_addn(&lg, s, ln);
		break;
	}
	return sb_take(&lg);
}

/* The instruction's name (upper-cased, a known one) and its --flags; *rest
 * is left at its arguments. */
static int parse_command(bd_instr *in, char *p, char **rest, const char *name)
{
	size_t cl = 0;
	while (p[cl] && !isspace((unsigned char)p[cl]))
		cl++;
	if (!(in->cmd = malloc(cl + 1)))
		return berth__err_nomem();
	for (size_t i = 0; i < cl; i++)
		in->cmd[i] = (char)toupper((unsigned char)p[i]);
	in->cmd[cl] = '\0';
	size_t ki = 0;
	for (; ki < BERTH_ARRAY_SIZE(known); ki++)
		if (!strcmp(known[ki], in->cmd))
			break;
	if (ki == BERTH_ARRAY_SIZE(known)) {
		in->cmd[0] = '\0';
		return berth__err(BERTH_EINVAL, "%s:%d: unknown instruction: %.64s", name, in->line, p);
	}
	char *r = p + cl;
	while (isspace((unsigned char)*r))
		r++;
	const char *allowed = allowed_flags(in->cmd);
	while (allowed && r[0] == '-' && r[1] == '-') {
		size_t fl = 0;
		while (r[fl] && !isspace((unsigned char)r[fl]))
			fl++;
		char fname[64];
		size_t nlen = 0;
		while (nlen < fl - 2 && r[2 + nlen] != '=' && nlen < sizeof fname - 3)
			nlen++;
		snprintf(fname, sizeof fname, " %.*s ", (int)nlen, r + 2);
		if (nlen == 0 || !strstr(allowed, fname))
			return berth__err(BERTH_EINVAL, "%s:%d: %s: unknown flag: %.*s", name, in->line, in->cmd, (int)fl, r);
		char **nf = realloc(in->flags, (in->nflags + 2) * sizeof *nf);
		if (!nf)
			return berth__err_nomem();
		in->flags = nf;
		if (!(nf[in->nflags] = strndup(r, fl)))
			return berth__err_nomem();
		nf[++in->nflags] = NULL;
		r += fl;
		while (isspace((unsigned char)*r))
			r++;
	}
	*rest = r;
	return 0;
}

/* A heredoc of RUN, COPY or ADD: its body is the lines after the
 * instruction up to the marker word (*li moves past them). */
static int parse_heredoc(bd_instr *in, const line *L, size_t nl, size_t *li, const char *name)
{
	char word[128];
	int dash = 0;
	size_t hs, he;
	if ((strcmp(in->cmd, "RUN") && strcmp(in->cmd, "COPY") && strcmp(in->cmd, "ADD")) ||
	    !find_heredoc(in->rest, word, sizeof word, &dash, &hs, &he))
		return 0;
	sbuf body = { 0 };
	int closed = 0;
	while (*li < nl) {
		const char *s = L[*li].s;
		size_t ln = L[*li].len;
		(*li)++;
		if (dash)
			while (ln && *s == '\t')
				s++, ln--;
		if (ln == strlen(word) && !memcmp(s, word, ln)) {
			closed = 1;
			break;
		}
		sb_addn(&body, s, ln);
		sb_addc(&body, '\n');
	}
	if (!closed) {
		free(body.p);
		return berth__err(BERTH_EINVAL, "%s:%d: heredoc '%s' is not terminated", name, in->line, word);
	}
	if (!body.p)
		sb_add(&body, "");
	/* the rest without the marker, to see whether the heredoc is the whole command */
	int bare = 1;
	for (size_t i = 0; in->rest[i]; i++)
		if ((i < hs || i >= he) && !isspace((unsigned char)in->rest[i]))
			bare = 0;
	in->heredoc_bare = bare;
	if (!(in->heredoc = sb_take(&body)) || !(in->heredoc_name = berth__strdup(word)))
		return BERTH_ENOMEM;
	return 0;
}

/* The exec form: arguments that are a JSON array of strings. */
static int parse_exec_form(bd_instr *in)
{
	if (in->rest[0] != '[')
		return 0;
	json_t *j = json_loads(in->rest, JSON_REJECT_DUPLICATES, NULL);
	int ok = json_is_array(j), r = 0;
	size_t i;
	json_t *e;
	json_array_foreach(j, i, e) if (!json_is_string(e)) ok = 0;
	if (ok) {
		size_t n = json_array_size(j);
		char **tmp = calloc(n + 1, sizeof *tmp);
		if (tmp) {
			json_array_foreach(j, i, e) tmp[i] = (char *)json_string_value(e);
			in->args = berth__strv_pack(tmp, n);
			free(tmp);
		}
		if (!in->args)
			r = berth__err_nomem();
		in->nargs = n;
		in->json = 1;
	}
	json_decref(j);
	return r;
}

/* One instruction from the logical line starting at L[*li]. */
static int parse_instruction(bd_file *out, size_t *vcap, const line *L, size_t nl, size_t *li, const char *name)
{
	int start = (int)*li + 1;
	char *logical = logical_line(L, nl, li, out->escape);
	if (!logical)
		return BERTH_ENOMEM;
	if (out->n == *vcap) {
		size_t nc = *vcap ? *vcap * 2 : 16;
		bd_instr *nv = realloc(out->v, nc * sizeof *nv);
		if (!nv) {
			free(logical);
			return berth__err_nomem();
		}
		out->v = nv;
		*vcap = nc;
	}
	bd_instr *in = &out->v[out->n++];
	memset(in, 0, sizeof *in);
	in->line = start;
	char *p = logical, *rest = NULL;
	while (isspace((unsigned char)*p))
		p++;
	int r = parse_command(in, p, &rest, name);
	if (r == 0) {
		in->text = berth__strdup(p);
		in->rest = berth__strdup(rest);
		if (!in->text || !in->rest)
			r = BERTH_ENOMEM;
	}
	free(logical);
	if (r < 0 || (r = parse_heredoc(in, L, nl, li, name)) < 0 || (r = parse_exec_form(in)) < 0)
		return r;
	return check_args(in, name, out->escape);
}

/* Only ARG before the first FROM, and a FROM at all. */
static int check_stages(const bd_file *out, const char *name)
{
	for (size_t i = 0; i < out->n; i++) {
		if (!strcmp(out->v[i].cmd, "FROM"))
			return 0;
		if (strcmp(out->v[i].cmd, "ARG"))
			return berth__err(BERTH_EINVAL, "%s:%d: %s before the first FROM: no build stage in current context",
			                  name, out->v[i].line, out->v[i].cmd);
	}
	return berth__err(BERTH_EINVAL, "%s: no FROM instruction: a Dockerfile must start a build stage with FROM", name);
}

int berth__dockerfile_parse(bd_file *out, const char *text, size_t len, const char *name)
{
	memset(out, 0, sizeof *out);
	out->escape = '\\';
	if (!name)
		name = "Dockerfile";
	size_t nl = 0, li = 0, vcap = 0;
	line *L = NULL;
	int r = split_lines(&L, &nl, text, len, name);
	if (r < 0)
		return r;
	if ((r = parse_directives(out, L, nl, &li, name)) < 0)
		goto fail;
	while (li < nl) {
		if (is_blank(&L[li]) || is_comment(&L[li])) {
			li++;
			continue;
		}
		if ((r = parse_instruction(out, &vcap, L, nl, &li, name)) < 0)
			goto fail;
	}
	if ((r = check_stages(out, name)) < 0)
		goto fail;
	free(L);
	return 0;
fail:
	free(L);
	berth__dockerfile_free(out);
	return r;
}
