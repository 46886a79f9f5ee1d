/* The smallest embedding of libberth: run one command in a container.
 *
 *   cc hello.c $(pkg-config --cflags --libs berth) -o hello
 *   ./hello ROOTFS [CMD [ARG...]]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <berth/berth.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what)
{
	const berth_error *e = berth_error_last();
	fprintf(stderr, "hello: %s: %s\n", what, e->message);
	return 125;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s ROOTFS [CMD [ARG...]]\n", argv[0]);
		return 2;
	}
	const char *dflt[] = { "/bin/echo", "hello from a berth container", NULL };
	const char *const *args = argc > 2 ? (const char *const *)&argv[2] : dflt;

	berth_ctx_options copts = BERTH_CTX_OPTIONS_INIT; /* roots from $BERTH_ROOT / $BERTH_RUN_ROOT */
	berth_ctx *ctx = NULL;
	if (berth_ctx_new(&ctx, &copts) < 0)
		return fail("context");

	berth_spec *spec = NULL;
	if (berth_spec_new(&spec) < 0 || berth_spec_set_rootfs(spec, argv[1], 0) < 0 ||
	    berth_spec_set_args(spec, args) < 0)
		return fail("spec");

	berth_create_options opts = BERTH_CREATE_OPTIONS_INIT;
	opts.stdout_fd = 1; /* the container writes to our stdout and stderr */
	opts.stderr_fd = 2;
	berth_container *c = NULL;
	if (berth_container_run(&c, ctx, spec, &opts) < 0)
		return fail("run");

	int code = 0;
	if (berth_container_wait(&code, NULL, c, -1) < 0)
		return fail("wait");
	berth_container_delete(c, BERTH_DELETE_FORCE);
	berth_container_free(c);
	berth_spec_free(spec);
	berth_ctx_free(ctx);
	return code;
}
