/* berth build: build an image from a Dockerfile. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct build_view {
	int quiet;
};

/* Ctrl-C / SIGTERM cancel the build: the library kills the running RUN and cleans up. */
static volatile int g_cancel;
static void on_cancel(int sig)
{
	g_cancel = sig;
}

static void build_output(int event, const char *text, size_t len, void *payload)
{
	struct build_view *v = payload;
	if (v->quiet && event != BERTH_BUILD_WARNING)
		return;
	if (event == BERTH_BUILD_OUTPUT) {
		fwrite(text, 1, len, stdout);
		fflush(stdout);
		return;
	}
	if (event == BERTH_BUILD_WARNING) {
		fprintf(stderr, "%s\n", text);
		return;
	}
	printf("%s\n", text);
	fflush(stdout);
}

int cmd_build(int argc, char **argv)
{
	enum { O_TAG = 't', O_FILE = 'f', O_QUIET = 'q', O_ARG = 300, O_TARGET, O_NOCACHE, O_PULL, O_TLS, O_PLATFORM };
	static const struct cli_opt opts[] = {
		{ O_TAG, 't', "tag", OPT_ARG, "NAME[:TAG]", "Name and tag the image (repeatable)" },
		{ O_FILE, 'f', "file", OPT_ARG, "FILE", "The Dockerfile (default CONTEXT/Dockerfile; - for stdin)" },
		{ O_ARG, 0, "build-arg", OPT_ARG, "NAME=VALUE", "Set a build argument (repeatable; NAME alone: from the environment)" },
		{ O_TARGET, 0, "target", OPT_ARG, "STAGE", "Build this stage (name or index) and stop" },
		{ O_NOCACHE, 0, "no-cache", OPT_NONE, NULL, "Run every step (do not use the build cache)" },
		{ O_PULL, 0, "pull", OPT_NONE, NULL, "Pull every FROM image, even when it is in the store" },
		{ O_QUIET, 'q', "quiet", OPT_NONE, NULL, "Print only the image id" },
		{ O_TLS, 0, "tls-verify", OPT_BOOL, NULL, "Verify registries' TLS certificates when pulling (default true)" },
		{ O_PLATFORM, 0, "platform", OPT_ARG, "OS/ARCH[/VARIANT]", "The platform of FROM images" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"build", "[OPTIONS] CONTEXT", "Build an image from a Dockerfile",
		"CONTEXT is a directory (its .dockerignore is honoured), or - to read the\n"
		"Dockerfile from stdin with no context. RUN steps run in berth containers\n"
		"without network. Unchanged steps come from the build cache.\n"
		"Ctrl-C (SIGINT, SIGTERM) cancels the build and cleans up (exit status 128+N).\n"
		"Exit status: 0, the failed RUN step's exit code, or 125.\n"
	};
	struct opt_state st;
	const char *arg;
	int id;
	struct strv tags = { 0 }, args = { 0 };
	berth_build_options bo = BERTH_BUILD_OPTIONS_INIT;
	struct build_view view = { 0 };
	const char *file = NULL;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		switch (id) {
		case O_TAG: strv_add(&tags, arg); break;
		case O_FILE: file = arg; break;
		case O_ARG: strv_add(&args, arg); break;
		case O_TARGET: bo.target = arg; break;
		case O_NOCACHE: bo.flags |= BERTH_BUILD_NO_CACHE; break;
		case O_PULL: bo.flags |= BERTH_BUILD_PULL; break;
		case O_QUIET: view.quiet = 1; break;
		case O_TLS: bo.tls_verify = opt_true(arg); break;
		case O_PLATFORM: bo.platform = arg; break;
		}
	}
	if (argc - st.ind != 1)
		usage_error("build", "requires exactly 1 argument: the context directory (or -)");
	const char *context = argv[st.ind];
	char *text = NULL;
	if (!strcmp(context, "-") || (file && !strcmp(file, "-"))) {
		/* the Dockerfile from stdin */
		size_t cap = 4096, n = 0;
		text = xmalloc(cap);
		for (;;) {
			if (n + 1 >= cap)
				text = xrealloc(text, cap *= 2);
			ssize_t k = read(0, text + n, cap - n - 1);
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		text[n] = '\0';
		bo.dockerfile_text = text;
		if (!strcmp(context, "-"))
			context = NULL;
	} else
		bo.dockerfile = file;
	bo.tags = tags.n ? (const char *const *)tags.v : NULL;
	bo.build_args = args.n ? (const char *const *)args.v : NULL;
	bo.output = build_output;
	bo.payload = &view;
	bo.cancel = &g_cancel;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_cancel;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	berth_image *img = NULL;
	int r = berth_build(&img, cli_ctx(), context, &bo);
	free(text);
	strv_free(&tags);
	strv_free(&args);
	if (r < 0) {
		fflush(stdout);
		berr("build");
		if (g_cancel)
			return 128 + g_cancel;
		return bo.exit_code > 0 && bo.exit_code < 256 ? bo.exit_code : EXIT_BERTH;
	}
	if (view.quiet)
		printf("%s\n", berth_image_id(img));
	berth_image_free(img);
	return 0;
}
