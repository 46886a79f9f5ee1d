/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the builder's pure logic (lib/build): the Dockerfile
 * parser (directives, comments, continuations, exec/shell form, flags,
 * heredocs, errors with line numbers), variable substitution and the
 * .dockerignore matcher. */
#include "build/build_internal.h"
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *msg(void) { return berth_error_last()->message; }

static bd_file parse_ok(const char *text)
{
	bd_file f;
	int r = berth__dockerfile_parse(&f, text, strlen(text), "Dockerfile");
	ck_assert_msg(r == 0, "parse failed: %s", msg());
	return f;
}

static void parse_err(const char *text, const char *expect)
{
	bd_file f;
	int r = berth__dockerfile_parse(&f, text, strlen(text), "Dockerfile");
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), expect), "error '%s' lacks '%s'", msg(), expect);
	ck_assert_ptr_null(f.v);
}

/* ------------------------------------------------------------ the parser */

START_TEST(parse_basic)
{
	bd_file f = parse_ok("# a comment\n"
	                     "FROM busybox AS build\n"
	                     "\n"
	                     "run echo a \\\n"
	                     "    # a comment inside a continuation\n"
	                     "    b\n"
	                     "CMD [\"sh\", \"-c\", \"echo hi\"]\n"
	                     "ENTRYPOINT [not json\n"
	                     "COPY --from=build --chown=1:2 /a /b\r\n");
	ck_assert_uint_eq(f.n, 5);
	ck_assert_str_eq(f.v[0].cmd, "FROM");
	ck_assert_int_eq(f.v[0].line, 2);
	ck_assert_str_eq(f.v[0].rest, "busybox AS build");
	ck_assert_str_eq(f.v[1].cmd, "RUN"); /* instructions are case-insensitive */
	ck_assert_int_eq(f.v[1].line, 4);
	ck_assert_str_eq(f.v[1].rest, "echo a     b");
	ck_assert_int_eq(f.v[1].json, 0);
	ck_assert_int_eq(f.v[2].json, 1);
	ck_assert_uint_eq(f.v[2].nargs, 3);
	ck_assert_str_eq(f.v[2].args[2], "echo hi");
	ck_assert_int_eq(f.v[3].json, 0); /* invalid JSON is the shell form */
	ck_assert_str_eq(f.v[3].rest, "[not json");
	ck_assert_uint_eq(f.v[4].nflags, 2);
	ck_assert_str_eq(f.v[4].flags[0], "--from=build");
	ck_assert_str_eq(f.v[4].flags[1], "--chown=1:2");
	ck_assert_str_eq(f.v[4].rest, "/a /b");
	ck_assert_int_eq(f.v[4].line, 9);
	berth__dockerfile_free(&f);
}
END_TEST

START_TEST(parse_directives)
{
	bd_file f = parse_ok("# syntax=docker/dockerfile:1\n"
	                     "# escape=`\n"
	                     "FROM scratch\n"
	                     "COPY a `\n"
	                     "  b c:\\dir\\\n");
	ck_assert_int_eq(f.escape, '`');
	ck_assert_uint_eq(f.n, 2);
	ck_assert_str_eq(f.v[1].rest, "a   b c:\\dir\\");
	berth__dockerfile_free(&f);
	/* a directive after a comment is a comment */
	f = parse_ok("# hello\n# escape=`\nFROM scratch\nRUN a \\\n b\n");
	ck_assert_int_eq(f.escape, '\\');
	ck_assert_str_eq(f.v[1].rest, "a  b");
	berth__dockerfile_free(&f);
	parse_err("# escape=x\nFROM scratch\n", "Dockerfile:1: invalid escape token 'x'");
}
END_TEST

START_TEST(parse_heredoc)
{
	bd_file f = parse_ok("FROM busybox\n"
	                     "RUN <<EOF\n"
	                     "echo one\n"
	                     "echo two\n"
	                     "EOF\n"
	                     "RUN cat > /x <<-'END'\n"
	                     "\t$NOT_EXPANDED\n"
	                     "\tEND\n"
	                     "CMD [\"true\"]\n");
	ck_assert_uint_eq(f.n, 4);
	ck_assert_int_eq(f.v[1].heredoc_bare, 1);
	ck_assert_str_eq(f.v[1].heredoc, "echo one\necho two\n");
	ck_assert_str_eq(f.v[2].heredoc, "$NOT_EXPANDED\n");
	ck_assert_str_eq(f.v[2].heredoc_name, "END");
	ck_assert_int_eq(f.v[2].heredoc_bare, 0);
	ck_assert_str_eq(f.v[3].cmd, "CMD");
	ck_assert_int_eq(f.v[3].line, 9);
	berth__dockerfile_free(&f);
	parse_err("FROM busybox\nRUN <<EOF\necho\n", "Dockerfile:2: heredoc 'EOF' is not terminated");
}
END_TEST

START_TEST(parse_errors)
{
	parse_err("FROM busybox\nWORKDIR /\n\nCOPY onlyone\n", "Dockerfile:4: COPY requires at least two arguments");
	parse_err("FROM busybox\nADD [\"x\"]\n", "Dockerfile:2: ADD requires at least two arguments");
	parse_err("FROM busybox\nBOGUS x\n", "Dockerfile:2: unknown instruction: BOGUS");
	parse_err("RUN echo\nFROM busybox\n", "Dockerfile:1: RUN before the first FROM");
	parse_err("ARG X=1\n", "no FROM instruction");
	parse_err("FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments");
	parse_err("FROM a to b\n", "Dockerfile:1: FROM: expected 'AS <name>'");
	parse_err("FROM a\nARG\n", "Dockerfile:2: ARG requires exactly one argument");
	parse_err("FROM a\nARG a b\n", "Dockerfile:2: ARG requires exactly one argument");
	parse_err("FROM a\nSHELL /bin/bash -c\n", "Dockerfile:2: SHELL requires the arguments to be in JSON form");
	parse_err("FROM a\nRUN --frobnicate=1 true\n", "Dockerfile:2: RUN: unknown flag: --frobnicate=1");
	parse_err("FROM a\nCOPY --from=x\n", "Dockerfile:2: COPY requires at least two arguments");
	parse_err("FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument");
	parse_err("FROM a\nENV\n", "Dockerfile:2: ENV requires at least one argument");
	parse_err("FROM a\nCOPY \"a b\n", "Dockerfile:2: COPY: unexpected end of statement while looking for matching double-quote");
	/* continuation lines count: the error names the instruction's first line */
	parse_err("FROM a\nRUN true \\\n  && true\nCOPY \\\n  x\n", "Dockerfile:4: COPY requires at least two arguments");
	static const char nul[] = "FROM a\0\n";
	bd_file f;
	ck_assert_int_eq(berth__dockerfile_parse(&f, nul, sizeof nul - 1, "Dockerfile"), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg(), "NUL"));
}
END_TEST

/* ------------------------------------------------------------ substitution */

static const char *vars(const char *name, size_t len, void *p)
{
	(void)p;
	static const char *const kv[][2] = { { "A", "alpha" }, { "EMPTY", "" }, { "SP", "a b" }, { "PATH_", "/x/y" } };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kv); i++)
		if (strlen(kv[i][0]) == len && !strncmp(kv[i][0], name, len))
			return kv[i][1];
	return NULL;
}

static char *one(const char *in)
{
	char **w = NULL;
	size_t n = 0;
	int r = berth__bd_words(&w, &n, in, '\\', 0, vars, NULL);
	ck_assert_msg(r == 0, "%s: %s", in, msg());
	ck_assert_uint_eq(n, 1);
	char *s = strdup(w[0]);
	free(w);
	return s;
}

#define EXPECT(in, out)                        \
	do {                                       \
		char *_s = one(in);                    \
		ck_assert_str_eq(_s, out);             \
		free(_s);                              \
	} while (0)

START_TEST(substitution)
{
	EXPECT("$A", "alpha");
	EXPECT("${A}x", "alphax");
	EXPECT("$Ax", "");           /* the variable Ax is unset */
	EXPECT("${UNSET:-dflt}", "dflt");
	EXPECT("${EMPTY:-dflt}", "dflt");
	EXPECT("${EMPTY-dflt}", "");
	EXPECT("${UNSET-dflt}", "dflt");
	EXPECT("${A:+alt}", "alt");
	EXPECT("${UNSET:+alt}", "");
	EXPECT("${EMPTY:+alt}", "");
	EXPECT("${EMPTY+alt}", "alt");
	EXPECT("${UNSET:-${A}-nested}", "alpha-nested");
	EXPECT("'$A'", "$A");        /* single quotes: literal */
	EXPECT("\"$A b\"", "alpha b");
	EXPECT("\\$A", "$A");        /* escaped */
	EXPECT("\"\\$A\"", "$A");
	EXPECT("a\\ b", "a b");
	EXPECT("$", "$");
	EXPECT("$1", "$1");
	EXPECT("${PATH_}/bin", "/x/y/bin");
	char **w = NULL;
	size_t n = 0;
	ck_assert_int_eq(berth__bd_words(&w, &n, "  a \"b c\" '' $SP ${UNSET}x  ", '\\', 1, vars, NULL), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(w[0], "a");
	ck_assert_str_eq(w[1], "b c");
	ck_assert_str_eq(w[2], "");
	ck_assert_str_eq(w[3], "a b"); /* an expanded value is not split */
	ck_assert_str_eq(w[4], "x");
	ck_assert_ptr_null(w[5]);
	free(w);
	ck_assert_int_eq(berth__bd_words(&w, &n, "${A", '\\', 0, vars, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg(), "missing '}'"));
	ck_assert_int_eq(berth__bd_words(&w, &n, "${A:?x}", '\\', 0, vars, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg(), "unsupported modifier"));
	ck_assert_int_eq(berth__bd_words(&w, &n, "'abc", '\\', 0, vars, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg(), "single-quote"));
	/* JSON-form arguments: variables only, quotes kept */
	ck_assert_int_eq(berth__bd_words(&w, &n, "it's \"$A\"", '\0', 0, vars, NULL), 0);
	ck_assert_str_eq(w[0], "it's \"alpha\"");
	free(w);
	/* the backtick escape */
	ck_assert_int_eq(berth__bd_words(&w, &n, "c:\\dir `$A", '`', 1, vars, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(w[0], "c:\\dir");
	ck_assert_str_eq(w[1], "$A");
	free(w);
}
END_TEST

/* ------------------------------------------------------------ .dockerignore */

static bd_ignore ig_of(const char *text)
{
	bd_ignore ig;
	ck_assert_int_eq(berth__ignore_parse(&ig, text, strlen(text)), 0);
	return ig;
}

START_TEST(ignore_patterns)
{
	bd_ignore ig = ig_of("# comment\n"
	                     "\n"
	                     "  *.log  \n"
	                     "/build\n"
	                     "./tmp//cache/\n"
	                     "**/node_modules\n"
	                     "docs/**/*.md\n"
	                     "!docs/keep/README.md\n"
	                     "secret?.txt\n"
	                     "data/[a-c]*\n");
	ck_assert_uint_eq(ig.n, 8);
	ck_assert_str_eq(ig.pat[1], "build");
	ck_assert_str_eq(ig.pat[2], "tmp/cache");
	ck_assert_int_eq(ig.exclude[5], 1);
	ck_assert_str_eq(ig.pat[5], "docs/keep/README.md");
	/* '*' does not cross '/' */
	ck_assert(berth__ignore_match(&ig, "app.log"));
	ck_assert(!berth__ignore_match(&ig, "logs/app.log"));
	/* a matched directory takes everything under it */
	ck_assert(berth__ignore_match(&ig, "build"));
	ck_assert(berth__ignore_match(&ig, "build/x/y.o"));
	ck_assert(!berth__ignore_match(&ig, "builder"));
	ck_assert(berth__ignore_match(&ig, "tmp/cache/a"));
	ck_assert(!berth__ignore_match(&ig, "tmp/other"));
	/* ** matches zero or more directories */
	ck_assert(berth__ignore_match(&ig, "node_modules"));
	ck_assert(berth__ignore_match(&ig, "a/b/node_modules/x.js"));
	ck_assert(berth__ignore_match(&ig, "docs/a.md"));
	ck_assert(berth__ignore_match(&ig, "docs/x/y/a.md"));
	ck_assert(!berth__ignore_match(&ig, "docs/a.txt"));
	/* the last match wins: the exception re-includes */
	ck_assert(!berth__ignore_match(&ig, "docs/keep/README.md"));
	ck_assert(berth__ignore_match(&ig, "docs/keep/other.md"));
	ck_assert(berth__ignore_dir_has_exceptions(&ig, "docs"));
	ck_assert(berth__ignore_match(&ig, "secret1.txt"));
	ck_assert(!berth__ignore_match(&ig, "secret12.txt"));
	ck_assert(berth__ignore_match(&ig, "data/b1"));
	ck_assert(!berth__ignore_match(&ig, "data/d1"));
	berth__ignore_free(&ig);
	/* an exception then a re-exclusion: the last one wins */
	ig = ig_of("*.txt\n!important.txt\nimportant.txt\n");
	ck_assert(berth__ignore_match(&ig, "important.txt"));
	berth__ignore_free(&ig);
	ig = ig_of("*\n!src\n");
	ck_assert(berth__ignore_match(&ig, "Dockerfile"));
	ck_assert(!berth__ignore_match(&ig, "src"));
	ck_assert(!berth__ignore_match(&ig, "src/main.c"));
	berth__ignore_free(&ig);
}
END_TEST

START_TEST(glob)
{
	ck_assert(berth__glob_match("a/*/c", "a/b/c", 1));
	ck_assert(!berth__glob_match("a/*/c", "a/b/x/c", 1));
	ck_assert(berth__glob_match("a/**/c", "a/c", 1));
	ck_assert(berth__glob_match("a/**/c", "a/b/x/c", 1));
	ck_assert(berth__glob_match("**", "any/thing", 1));
	ck_assert(berth__glob_match("[!a]x", "bx", 1));
	ck_assert(berth__glob_match("[^a]x", "bx", 1));
	ck_assert(!berth__glob_match("[^a]x", "ax", 1));
	ck_assert(berth__glob_match("\\*", "*", 1));
	ck_assert(!berth__glob_match("\\*", "x", 1));
	ck_assert(!berth__glob_match("[a", "a", 1)); /* malformed: no match */
	ck_assert(berth__glob_match("package*", "package.json", 1));
	ck_assert(berth__glob_match("package*", "package-lock.json", 1));
}
END_TEST

/* A hostile .dockerignore (the build context is not trusted) cannot hang the
 * build: found by fuzzing (tests/fuzz/corpus/dockerignore/regress-stars-*),
 * the backtracking matcher took exponential time in the number of stars. The
 * alarm fails the test if a match takes seconds instead of microseconds. */
START_TEST(glob_many_stars)
{
	char pat[600] = "", path[400];
	for (int i = 0; i < 100; i++)
		strcat(pat, "*a");
	strcat(pat, "*c");
	memset(path, 'a', 300);
	strcpy(path + 300, "b");
	alarm(10);
	ck_assert(!berth__glob_match(pat, path, 1));
	path[300] = 'c';
	ck_assert(berth__glob_match(pat, path, 1));
	char dirs[600] = "";
	for (int i = 0; i < 100; i++)
		strcat(dirs, "**/a");
	for (int i = 0; i < 150; i++)
		memcpy(path + 2 * i, "a/", 2);
	strcpy(path + 300, "b");
	ck_assert(!berth__glob_match(dirs, path, 1));
	bd_ignore ig;
	const char *text = "**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**x\n";
	ck_assert_int_eq(berth__ignore_parse(&ig, text, strlen(text)), 0);
	ck_assert(!berth__ignore_match(&ig, path));
	berth__ignore_free(&ig);
	alarm(0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("unit");
	tcase_add_test(tc, parse_basic);
	tcase_add_test(tc, parse_directives);
	tcase_add_test(tc, parse_heredoc);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, substitution);
	tcase_add_test(tc, ignore_patterns);
	tcase_add_test(tc, glob);
	tcase_add_test(tc, glob_many_stars);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(suite()); }
