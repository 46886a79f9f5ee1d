/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Real builds (berth_build) in the test's own state roots, from a busybox
 * image imported by the test: every instruction's effect seen by running
 * the result, multi-stage with --target, .dockerignore, the build cache
 * (hits on a rebuild, a miss after a context file changes), --build-arg,
 * parse errors with line numbers, and a failing RUN leaving nothing behind. */
#include "testutil.h"
#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static tu_env E;
static char ctxdir[512];

static void sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh_ok(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

static void write_file(const char *rel, const char *content)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", ctxdir, rel);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static void setup(void)
{
	tu_env_init(&E);
	char tarball[600];
	snprintf(tarball, sizeof tarball, "%s/busybox.tar", E.dir);
	sh_ok("tar -C '%s' --numeric-owner -cf '%s' .", tu_rootfs(), tarball);
	berth_image *img;
	tu_ok(berth_image_import(&img, E.ctx, tarball, "busybox:itest"));
	berth_image_free(img);
	snprintf(ctxdir, sizeof ctxdir, "%s/context", E.dir);
	ck_assert_int_eq(mkdir(ctxdir, 0755), 0);
}

static void teardown(void)
{
	tu_env_cleanup(&E);
}

/* Runs cmd (sh -c) in a container of the image; returns its output. */
static char *run_in(const char *image, const char *cmd, int *code)
{
	berth_image *img;
	tu_ok(berth_image_open(&img, E.ctx, image));
	berth_spec *s = tu_spec_sh("true");
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	tu_ok(berth_spec_set_image(s, img, cmd ? "" : NULL, cmd ? argv : NULL));
	char *out;
	int c = tu_run_capture(&E, s, &out);
	if (code)
		*code = c;
	else
		ck_assert_msg(c == 0, "'%s' exited %d: %s", cmd ? cmd : "(image cmd)", c, out);
	berth_spec_free(s);
	berth_image_free(img);
	return out;
}

typedef struct capture {
	char buf[65536];
	size_t n;
	int steps, cached, outputs;
} capture;

static void on_output(int event, const char *text, size_t len, void *p)
{
	capture *c = p;
	if (event == BERTH_BUILD_STEP)
		c->steps++;
	if (event == BERTH_BUILD_CACHED)
		c->cached++;
	if (event == BERTH_BUILD_OUTPUT)
		c->outputs++;
	if (c->n + len + 2 < sizeof c->buf) {
		memcpy(c->buf + c->n, text, len);
		c->n += len;
		if (event != BERTH_BUILD_OUTPUT)
			c->buf[c->n++] = '\n';
		c->buf[c->n] = '\0';
	}
}

static int build(berth_image **out, berth_build_options *o, capture *cap, const char *dockerfile)
{
	if (dockerfile)
		write_file("Dockerfile", dockerfile);
	if (cap) {
		memset(cap, 0, sizeof *cap);
		o->output = on_output;
		o->payload = cap;
	}
	return berth_build(out, E.ctx, ctxdir, o);
}

static int count_tmp_dirs(void)
{
	char p[600];
	snprintf(p, sizeof p, "%s/layers", E.root);
	DIR *d = opendir(p);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, ".tmp", 4))
			n++;
	closedir(d);
	return n;
}

START_TEST(every_instruction)
{
	write_file("hello.txt", "hello from the context\n");
	sh_ok("mkdir -p '%s/tree/sub' && echo deep > '%s/tree/sub/f' && echo top > '%s/tree/t'", ctxdir, ctxdir, ctxdir);
	sh_ok("mkdir -p '%s/arch/inner' && echo packed > '%s/arch/inner/p' && tar -C '%s/arch' -czf '%s/bundle.tar.gz' . "
	      "&& rm -rf '%s/arch'", E.dir, E.dir, E.dir, ctxdir, E.dir);
	const char *df = "# syntax=docker/dockerfile:1\n"
	                 "FROM busybox:itest\n"
	                 "ARG GREETING=hello\n"
	                 "ENV APP_HOME=/srv/app \\\n"
	                 "    MODE=\"production mode\"\n"
	                 "WORKDIR ${APP_HOME}\n"
	                 "COPY --chown=nobody:nobody --chmod=0640 hello.txt ./\n"
	                 "COPY tree/ /opt/tree/\n"
	                 "ADD bundle.tar.gz /opt/unpacked/\n"
	                 "RUN echo \"$GREETING from RUN in $(pwd)\" > made.txt && rm /etc/group && mkdir -p /var/empty\n"
	                 "RUN <<EOF\n"
	                 "echo heredoc line > /srv/app/heredoc.txt\n"
	                 "EOF\n"
	                 "LABEL org.example.name=\"demo app\" version=1\n"
	                 "EXPOSE 3000 53/udp\n"
	                 "VOLUME /data\n"
	                 "STOPSIGNAL SIGINT\n"
	                 "HEALTHCHECK --interval=30s --retries=2 CMD wget -q -O- http://localhost:3000/ || exit 1\n"
	                 "USER nobody\n"
	                 "CMD [\"sh\", \"-c\", \"echo cmd ran as $(id -u) in $(pwd) with $MODE\"]\n";
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "example/app:1", "example/app:latest", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	int r = build(&img, &o, &cap, df);
	ck_assert_msg(r == 0, "build failed: %s\n%s", berth_error_last()->message, cap.buf);
	ck_assert_int_eq(cap.steps, 16);
	ck_assert_ptr_nonnull(strstr(cap.buf, "STEP 1/16: FROM busybox:itest\n"));
	ck_assert_ptr_nonnull(strstr(cap.buf, "STEP 8/16: RUN echo"));
	ck_assert_uint_eq(o.steps_run, 2);
	/* the image's default command, its user, workdir and env */
	char *out = run_in("example/app:1", NULL, NULL);
	ck_assert_str_eq(out, "cmd ran as 65534 in /srv/app with production mode\n");
	free(out);
	out = run_in("example/app:latest",
	             "cat made.txt heredoc.txt hello.txt /opt/tree/t /opt/tree/sub/f /opt/unpacked/inner/p;"
	             "stat -c '%u:%g %a' hello.txt; test -e /etc/group && echo group-present || echo group-deleted;"
	             "test -d /var/empty && echo var-empty; test -e /opt/unpacked/bundle.tar.gz || echo no-tarball;"
	             "echo ${GREETING:-no-arg-at-runtime}",
	             NULL);
	ck_assert_str_eq(out, "hello from RUN in /srv/app\n"
	                      "heredoc line\n"
	                      "hello from the context\n"
	                      "top\n"
	                      "deep\n"
	                      "packed\n"
	                      "65534:65534 640\n"
	                      "group-deleted\n"
	                      "var-empty\n"
	                      "no-tarball\n"
	                      "no-arg-at-runtime\n");
	free(out);
	/* the config */
	char *cfg;
	tu_ok(berth_image_config(&cfg, img));
	static const char *const want[] = { "\"ExposedPorts\":{\"3000/tcp\":{},\"53/udp\":{}}", "\"Volumes\":{\"/data\":{}}",
		"\"StopSignal\":\"SIGINT\"", "\"User\":\"nobody\"", "\"WorkingDir\":\"/srv/app\"",
		"\"org.example.name\":\"demo app\"", "\"version\":\"1\"", "\"APP_HOME=/srv/app\"", "\"MODE=production mode\"",
		"\"Test\":[\"CMD-SHELL\",\"wget -q -O- http://localhost:3000/ || exit 1\"]", "\"Interval\":30000000000",
		"\"Retries\":2" };
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ck_assert_msg(strstr(cfg, want[i]), "config lacks %s: %s", want[i], cfg);
	berth_free(cfg);
	/* history: the base's entry plus one per instruction after FROM except ARG (14) */
	char *ins;
	tu_ok(berth_image_inspect(&ins, img));
	int hist = 0;
	for (const char *p = ins; (p = strstr(p, "\"created_by\"")); p++)
		hist++;
	ck_assert_int_eq(hist, 1 + 14);
	ck_assert_ptr_nonnull(strstr(ins, "\"created_by\": \"COPY tree/ /opt/tree/\""));
	berth_free(ins);
	/* layers: base + WORKDIR + 2 COPY + ADD + 2 RUN */
	char **dirs;
	tu_ok(berth_image_layer_dirs(&dirs, img));
	int n = 0;
	while (dirs[n])
		n++;
	ck_assert_int_eq(n, 7);
	/* the deletion is a whiteout in the RUN layer */
	char p[1200];
	snprintf(p, sizeof p, "%s/etc/group", dirs[5]);
	struct stat st;
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISCHR(st.st_mode) && st.st_rdev == 0);
	/* the runtime's mount points did not become part of a layer */
	snprintf(p, sizeof p, "%s/proc", dirs[5]);
	ck_assert_int_ne(access(p, F_OK), 0);
	berth_free(dirs);
	berth_image_free(img);
	ck_assert_int_eq(count_tmp_dirs(), 0);
}
END_TEST

START_TEST(multi_stage_and_target)
{
	const char *df = "ARG BASE=busybox:itest\n"
	                 "FROM ${BASE} AS build\n"
	                 "RUN mkdir /out && echo built-artifact > /out/artifact && echo junk > /out/junk\n"
	                 "FROM busybox:itest AS other\n"
	                 "RUN echo other > /other\n"
	                 "FROM busybox:itest\n"
	                 "COPY --from=build /out/artifact /app/\n"
	                 "COPY --from=1 /other /app/other\n"
	                 "CMD [\"cat\", \"/app/artifact\", \"/app/other\"]\n";
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "ms:final", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	int r = build(&img, &o, &cap, df);
	ck_assert_msg(r == 0, "build failed: %s\n%s", berth_error_last()->message, cap.buf);
	char *out = run_in("ms:final", NULL, NULL);
	ck_assert_str_eq(out, "built-artifact\nother\n");
	free(out);
	out = run_in("ms:final", "ls /app; test -e /out && echo leaked || echo clean", NULL);
	ck_assert_str_eq(out, "artifact\nother\nclean\n");
	free(out);
	berth_image_free(img);
	/* --target stops at the named stage: its image has /out */
	const char *tags2[] = { "ms:build", NULL };
	o.tags = tags2;
	o.target = "build";
	r = build(&img, &o, &cap, NULL);
	ck_assert_msg(r == 0, "build failed: %s\n%s", berth_error_last()->message, cap.buf);
	ck_assert_int_eq(cap.steps, 3);
	out = run_in("ms:build", "cat /out/artifact; test -e /app && echo has-app || echo no-app", NULL);
	ck_assert_str_eq(out, "built-artifact\nno-app\n");
	free(out);
	berth_image_free(img);
	o.target = "nonexistent";
	ck_assert_int_eq(build(&img, &o, &cap, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "target stage 'nonexistent' could not be found"));
}
END_TEST

START_TEST(dockerignore)
{
	write_file("keep.txt", "keep\n");
	write_file("secret.env", "TOKEN=1\n");
	write_file("debug.log", "log\n");
	sh_ok("mkdir -p '%s/node_modules/x' '%s/docs' && echo m > '%s/node_modules/x/i.js' && echo a > '%s/docs/a.md' "
	      "&& echo b > '%s/docs/README.md'",
	      ctxdir, ctxdir, ctxdir, ctxdir, ctxdir);
	write_file(".dockerignore", "# local files\n*.env\n**/*.log\nnode_modules\ndocs/*.md\n!docs/README.md\n");
	const char *df = "FROM busybox:itest\nCOPY . /ctx/\n";
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "ignore:1", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	int r = build(&img, &o, &cap, df);
	ck_assert_msg(r == 0, "build failed: %s\n%s", berth_error_last()->message, cap.buf);
	berth_image_free(img);
	char *out = run_in("ignore:1", "cd /ctx && find . -type f | sort", NULL);
	ck_assert_str_eq(out, "./.dockerignore\n./Dockerfile\n./docs/README.md\n./keep.txt\n");
	free(out);
	/* an ignored file named explicitly is not found */
	r = build(&img, &o, &cap, "FROM busybox:itest\nCOPY secret.env /\n");
	ck_assert_int_eq(r, BERTH_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message,
	                             "Dockerfile:2: COPY: source 'secret.env': file not found in build context or excluded by "
	                             ".dockerignore"));
	/* and changing an ignored file does not invalidate the cache */
	r = build(&img, &o, &cap, df);
	ck_assert_int_eq(r, 0);
	berth_image_free(img);
	write_file("debug.log", "changed\n");
	r = build(&img, &o, &cap, df);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(o.steps_cached, 1);
	berth_image_free(img);
}
END_TEST

START_TEST(cache_hits_and_misses)
{
	write_file("app.txt", "version 1\n");
	const char *df = "FROM busybox:itest\n"
	                 "RUN echo expensive > /expensive\n"
	                 "COPY app.txt /app.txt\n"
	                 "RUN cat /app.txt > /derived\n"
	                 "ENV X=1\n"
	                 "CMD [\"cat\", \"/derived\"]\n";
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "cache:1", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	tu_ok(build(&img, &o, &cap, df));
	ck_assert_uint_eq(o.steps_run, 2);
	ck_assert_int_eq(cap.outputs, 0);
	char id1[80];
	snprintf(id1, sizeof id1, "%s", berth_image_id(img));
	berth_image_free(img);
	/* an unchanged context: no RUN step runs, and the image is the same */
	tu_ok(build(&img, &o, &cap, NULL));
	ck_assert_uint_eq(o.steps_run, 0);
	ck_assert_uint_eq(o.steps_cached, 5);
	ck_assert_int_eq(cap.cached, 5);
	ck_assert_ptr_nonnull(strstr(cap.buf, "--> Using cache"));
	ck_assert_str_eq(berth_image_id(img), id1);
	berth_image_free(img);
	/* a context file changes: the steps from its COPY on run again */
	write_file("app.txt", "version 2\n");
	tu_ok(build(&img, &o, &cap, NULL));
	ck_assert_uint_eq(o.steps_run, 1);
	ck_assert_uint_eq(o.steps_cached, 1); /* the first RUN */
	ck_assert_str_ne(berth_image_id(img), id1);
	berth_image_free(img);
	char *out = run_in("cache:1", NULL, NULL);
	ck_assert_str_eq(out, "version 2\n");
	free(out);
	/* --no-cache runs everything */
	o.flags = BERTH_BUILD_NO_CACHE;
	tu_ok(build(&img, &o, &cap, NULL));
	ck_assert_uint_eq(o.steps_run, 2);
	ck_assert_uint_eq(o.steps_cached, 0);
	berth_image_free(img);
	/* a changed instruction misses too */
	o.flags = 0;
	tu_ok(build(&img, &o, &cap, "FROM busybox:itest\nRUN echo expensive > /expensive\nRUN echo new\n"));
	ck_assert_uint_eq(o.steps_run, 1);
	ck_assert_uint_eq(o.steps_cached, 1);
	ck_assert_ptr_nonnull(strstr(cap.buf, "new\n"));
	berth_image_free(img);
}
END_TEST

START_TEST(build_args)
{
	const char *df = "FROM busybox:itest\n"
	                 "ARG VERSION=default\n"
	                 "ARG UNSET\n"
	                 "RUN echo \"v=$VERSION u=${UNSET:-none}\" > /v\n"
	                 "ENV FROM_ARG=${VERSION}\n";
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "args:1", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	tu_ok(build(&img, &o, &cap, df));
	berth_image_free(img);
	char *out = run_in("args:1", "cat /v; echo $FROM_ARG", NULL);
	ck_assert_str_eq(out, "v=default u=none\ndefault\n");
	free(out);
	const char *args[] = { "VERSION=2.0", "UNSET=given", "NOT_DECLARED=x", NULL };
	o.build_args = args;
	tu_ok(build(&img, &o, &cap, NULL));
	ck_assert_uint_eq(o.steps_run, 1); /* another value: a cache miss */
	ck_assert_ptr_nonnull(strstr(cap.buf, "[Warning] one or more build args were not consumed: NOT_DECLARED"));
	berth_image_free(img);
	out = run_in("args:1", "cat /v; echo $FROM_ARG", NULL);
	ck_assert_str_eq(out, "v=2.0 u=given\n2.0\n");
	free(out);
	const char *badtags[] = { "Bad:Tag", NULL };
	o.build_args = NULL;
	o.tags = badtags;
	ck_assert_int_eq(build(&img, &o, &cap, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "build: tag: reference 'Bad:Tag'"));
	ck_assert_int_eq(cap.steps, 0); /* refused before anything ran */
	o.tags = tags;
	const char *bad[] = { "=x", NULL };
	o.build_args = bad;
	ck_assert_int_eq(build(&img, &o, &cap, NULL), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "--build-arg '=x': expected NAME=value"));
}
END_TEST

START_TEST(parse_error_names_the_line)
{
	char **before;
	tu_ok(berth_image_list(&before, E.ctx));
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "bad:1", NULL };
	o.tags = tags;
	berth_image *img = NULL;
	int r = build(&img, &o, NULL, "FROM busybox:itest\nRUN true\n\nCOPY onlyone\n");
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_str_eq(berth_error_last()->message, "Dockerfile:4: COPY requires at least two arguments, but only 1 provided");
	ck_assert_ptr_null(img);
	/* -f names the file in the message */
	char df[700];
	snprintf(df, sizeof df, "%s/Custom.dockerfile", E.dir);
	FILE *f = fopen(df, "w");
	fputs("FROM busybox:itest\nFROBNICATE\n", f);
	fclose(f);
	o.dockerfile = df;
	ck_assert_int_eq(build(&img, &o, NULL, NULL), BERTH_EINVAL);
	ck_assert_str_eq(berth_error_last()->message, "Custom.dockerfile:2: unknown instruction: FROBNICATE");
	/* a substitution error at run time names the line too */
	o.dockerfile = NULL;
	ck_assert_int_eq(build(&img, &o, NULL, "FROM busybox:itest\nENV A=1\nWORKDIR ${A:?bad}\n"), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "Dockerfile:3: WORKDIR: unsupported modifier"));
	/* a missing base image that cannot be pulled */
	ck_assert_int_lt(build(&img, &o, NULL, "FROM 127.0.0.1:1/nothing:here\n"), 0);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "Dockerfile:1: FROM 127.0.0.1:1/nothing:here"));
	char **after;
	tu_ok(berth_image_list(&after, E.ctx));
	int nb = 0, na = 0;
	while (before[nb])
		nb++;
	while (after[na])
		na++;
	ck_assert_int_eq(na, nb);
	berth_free(before);
	berth_free(after);
	ck_assert_int_eq(berth_image_open(&img, E.ctx, "bad:1"), BERTH_ENOTFOUND);
}
END_TEST

START_TEST(failing_run_leaves_nothing)
{
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "fail:1", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	char **before;
	tu_ok(berth_image_list(&before, E.ctx));
	int r = build(&img, &o, &cap,
	              "FROM busybox:itest\nRUN echo partial > /partial\nRUN echo about to fail; echo oops >&2; exit 7\n"
	              "RUN echo never\n");
	ck_assert_int_eq(r, BERTH_ERROR);
	ck_assert_int_eq(o.exit_code, 7);
	ck_assert_str_eq(berth_error_last()->message,
	                 "Dockerfile:3: RUN echo about to fail; echo oops >&2; exit 7: exit code 7");
	ck_assert_ptr_nonnull(strstr(cap.buf, "about to fail\noops\n"));
	ck_assert_ptr_null(strstr(cap.buf, "never"));
	ck_assert_ptr_null(img);
	ck_assert_int_eq(berth_image_open(&img, E.ctx, "fail:1"), BERTH_ENOTFOUND);
	char **after;
	tu_ok(berth_image_list(&after, E.ctx));
	int nb = 0, na = 0;
	while (before[nb])
		nb++;
	while (after[na])
		na++;
	ck_assert_int_eq(na, nb);
	berth_free(before);
	berth_free(after);
	ck_assert_int_eq(count_tmp_dirs(), 0);
	char p[600];
	snprintf(p, sizeof p, "%s/images/.tmp", E.root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	/* a COPY of a missing file fails the same way */
	ck_assert_int_eq(build(&img, &o, &cap, "FROM busybox:itest\nCOPY nothere /x\n"), BERTH_ENOTFOUND);
	ck_assert_int_eq(count_tmp_dirs(), 0);
	/* containers, mounts and cgroups: checked by the teardown */
}
END_TEST

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 0.2's callback that can stop the build: it returns 1 once the RUN step
 * said "stop-here"; the step (sleeping) is killed at once. */
static int stop_on_marker(int event, const char *text, size_t len, void *p)
{
	int *seen = p;
	if (event == BERTH_BUILD_OUTPUT && memmem(text, len, "stop-here", 9))
		*seen = 1;
	return *seen;
}

START_TEST(on_output_stops_the_build)
{
	write_file("Dockerfile", "FROM busybox:itest\nRUN echo stop-here; sleep 30\nRUN echo never\n");
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "stopped:1", NULL };
	o.tags = tags;
	int seen = 0;
	o.on_output = stop_on_marker;
	o.payload = &seen;
	const berth_build_options *co = &o; /* the options are only read */
	berth_build_result res = BERTH_BUILD_RESULT_INIT;
	berth_image *img = NULL;
	double t0 = now_s();
	ck_assert_int_eq(berth_build_image(&img, &res, E.ctx, ctxdir, co), BERTH_ECANCELED);
	ck_assert_msg(now_s() - t0 < 10, "the sleeping step was not stopped: %.1f s", now_s() - t0);
	ck_assert_msg(strstr(berth_error_last()->message, "Dockerfile:2: RUN echo stop-here; sleep 30") &&
	                      strstr(berth_error_last()->message, "canceled by the output callback"),
	              "%s", berth_error_last()->message);
	ck_assert_int_eq(seen, 1);
	ck_assert_uint_eq(res.steps_run, 1);
	ck_assert_ptr_null(img);
	ck_assert_int_eq(berth_image_open(&img, E.ctx, "stopped:1"), BERTH_ENOTFOUND);
	ck_assert_int_eq(count_tmp_dirs(), 0);
	ck_assert_int_eq(o.steps_run, 0); /* berth_build_image writes no option */

	/* output and on_output together are refused */
	o.output = on_output;
	ck_assert_int_eq(berth_build_image(&img, &res, E.ctx, ctxdir, &o), BERTH_EINVAL);
	/* an unknown result version */
	berth_build_result bad = { 2, 0, 0, 0 };
	o.output = NULL;
	ck_assert_int_eq(berth_build_image(&img, &bad, E.ctx, ctxdir, &o), BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "berth_build_result: unknown version 2"), "%s",
	              berth_error_last()->message);
}
END_TEST

/* A program built against 0.1 passes version 1 options (no on_output) to
 * berth_build, and gets 0.1's behaviour: the fields after cancel are not
 * read (poisoned here), its outputs are written into the options. */
START_TEST(version_1_options)
{
	write_file("Dockerfile", "FROM busybox:itest\nRUN exit 3\n");
	berth_build_options o;
	tu_ok(berth_build_options_init(&o, 1));
	ck_assert_uint_eq(o.version, 1);
	o.on_output = (berth_build_event_cb)(uintptr_t)1; /* beyond a 0.1 struct: must not be called */
	capture cap;
	memset(&cap, 0, sizeof cap);
	o.output = on_output;
	o.payload = &cap;
	berth_image *img = NULL;
	ck_assert_int_eq(berth_build(&img, E.ctx, ctxdir, &o), BERTH_ERROR);
	ck_assert_int_eq(o.exit_code, 3);
	ck_assert_uint_eq(o.steps_run, 1);
	ck_assert_int_ge(cap.steps, 2);
	ck_assert_int_eq(count_tmp_dirs(), 0);
}
END_TEST

START_TEST(scratch_and_stdin_dockerfile)
{
	/* FROM scratch with a static busybox: the demo's shape */
	sh_ok("cp /bin/busybox '%s/busybox'", ctxdir);
	write_file("index.html", "<h1>hi</h1>\n");
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "scratchy:1", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	int r = build(&img, &o, &cap,
	              "FROM scratch\nCOPY busybox /bin/busybox\nCOPY index.html /www/\n"
	              "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox mkdir -p /usr/bin && echo ran > /ran\"]\n"
	              "ENTRYPOINT [\"/bin/busybox\"]\nCMD [\"cat\", \"/www/index.html\", \"/ran\"]\n");
	ck_assert_msg(r == 0, "build failed: %s\n%s", berth_error_last()->message, cap.buf);
	berth_image_free(img);
	char *out = run_in("scratchy:1", NULL, NULL);
	ck_assert_str_eq(out, "<h1>hi</h1>\nran\n");
	free(out);
	/* a Dockerfile given as text, no context: COPY is an error */
	o.dockerfile_text = "FROM busybox:itest\nCOPY a b\n";
	o.tags = NULL;
	ck_assert_int_eq(berth_build(&img, E.ctx, NULL, &o), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "no build context"));
	o.dockerfile_text = "FROM busybox:itest\nRUN echo from-stdin > /s\n";
	tu_ok(berth_build(&img, E.ctx, NULL, &o));
	berth_image_free(img);
}
END_TEST

START_TEST(hostile_context)
{
	/* symlinks in the context never reach outside it */
	write_file("inside.txt", "inside\n");
	char p[700];
	snprintf(p, sizeof p, "%s/escape", ctxdir);
	ck_assert_int_eq(symlink("/etc/hostname", p), 0);
	snprintf(p, sizeof p, "%s/up", ctxdir);
	ck_assert_int_eq(symlink("../../../../../../../etc/hostname", p), 0);
	snprintf(p, sizeof p, "%s/ok", ctxdir);
	ck_assert_int_eq(symlink("inside.txt", p), 0);
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "hostile:1", NULL };
	o.tags = tags;
	berth_image *img = NULL;
	ck_assert_int_eq(build(&img, &o, NULL, "FROM busybox:itest\nCOPY escape /x\n"), BERTH_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "Dockerfile:2: COPY: source 'escape': file not found"));
	ck_assert_int_eq(build(&img, &o, NULL, "FROM busybox:itest\nCOPY up /x\n"), BERTH_ENOTFOUND);
	/* a source followed inside the context; links below a copied dir stay links; .. cannot climb out */
	tu_ok(build(&img, &o, NULL, "FROM busybox:itest\nCOPY ok /followed\nCOPY ../../inside.txt . /ctx/\n"));
	berth_image_free(img);
	char *out = run_in("hostile:1", "cat /followed; readlink /ctx/escape; readlink /ctx/ok; cat /ctx/inside.txt", NULL);
	ck_assert_str_eq(out, "inside\n/etc/hostname\ninside.txt\ninside\n");
	free(out);
}
END_TEST

START_TEST(copy_heredoc)
{
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "heredoc:1", NULL };
	o.tags = tags;
	capture cap;
	berth_image *img = NULL;
	int r = build(&img, &o, &cap,
	              "FROM busybox:itest\n"
	              "COPY --chmod=0600 <<CONF /etc/app.conf\n"
	              "key=value\n"
	              "  $NOT_EXPANDED\n"
	              "CONF\n"
	              "COPY <<EOF /drop/\n"
	              "dropped\n"
	              "EOF\n");
	ck_assert_msg(r == 0, "build failed: %s\n%s", berth_error_last()->message, cap.buf);
	berth_image_free(img);
	char *out = run_in("heredoc:1", "cat /etc/app.conf /drop/EOF; stat -c %a /etc/app.conf", NULL);
	ck_assert_str_eq(out, "key=value\n  $NOT_EXPANDED\ndropped\n600\n");
	free(out);
	ck_assert_int_eq(count_tmp_dirs(), 0);
}
END_TEST

START_TEST(add_hostile_archive)
{
	/* a tar whose entry climbs out of the destination: refused, nothing written outside, nothing left */
	sh_ok("python3 -c 'import io,tarfile; t=tarfile.open(\"%s/evil.tar\",\"w\"); i=tarfile.TarInfo(\"../../../../escaped\"); "
	      "d=b\"x\"; i.size=len(d); t.addfile(i,io.BytesIO(d)); t.close()'",
	      ctxdir);
	berth_build_options o = BERTH_BUILD_OPTIONS_INIT;
	const char *tags[] = { "evil:1", NULL };
	o.tags = tags;
	berth_image *img = NULL;
	int r = build(&img, &o, NULL, "FROM busybox:itest\nADD evil.tar /opt/x/\n");
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "Dockerfile:2: ADD") &&
	                  strstr(berth_error_last()->message, "../../../../escaped"),
	              "%s", berth_error_last()->message);
	ck_assert_int_ne(access("/escaped", F_OK), 0);
	ck_assert_int_eq(count_tmp_dirs(), 0);
	ck_assert_int_eq(berth_image_open(&img, E.ctx, "evil:1"), BERTH_ENOTFOUND);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("build");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_instruction);
	tcase_add_test(tc, multi_stage_and_target);
	tcase_add_test(tc, dockerignore);
	tcase_add_test(tc, cache_hits_and_misses);
	tcase_add_test(tc, build_args);
	tcase_add_test(tc, parse_error_names_the_line);
	tcase_add_test(tc, failing_run_leaves_nothing);
	tcase_add_test(tc, on_output_stops_the_build);
	tcase_add_test(tc, version_1_options);
	tcase_add_test(tc, scratch_and_stdin_dockerfile);
	tcase_add_test(tc, hostile_context);
	tcase_add_test(tc, copy_heredoc);
	tcase_add_test(tc, add_hostile_archive);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(suite()); }
