/* berth: a docker-like command line for libberth. Global options, the
 * command table and the top-level help. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

struct cli_globals g_cli = { NULL, NULL, BERTH_LOG_WARN };
static berth_ctx *g_ctx;

static const char *level_names[] = { "error", "warn", "info", "debug" };

static void log_to_stderr(int level, const char *message, void *payload)
{
	const char *name = level >= 0 && level < (int)ARRAY_SIZE(level_names) ? level_names[level] : "log";
	fprintf(stderr, "berth[%s]: %s\n", name, message);
}

static void free_ctx(void)
{
	berth_ctx_free(g_ctx);
	g_ctx = NULL;
}

berth_ctx *cli_ctx(void)
{
	if (g_ctx)
		return g_ctx;
	berth_ctx_options o = BERTH_CTX_OPTIONS_INIT;
	o.root = g_cli.root;
	o.run_root = g_cli.run_root;
	o.log_level = g_cli.log_level;
	o.log_cb = log_to_stderr;
	if (berth_ctx_new(&g_ctx, &o) < 0)
		exit(berr("context"));
	atexit(free_ctx);
	return g_ctx;
}

/* An absolute path for a root given relative to the working directory. */
static const char *absolute(const char *path)
{
	if (path[0] == '/' || !*path)
		return path;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return path;
	return xasprintf("%s/%s", cwd, path);
}

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "Create and run a new container" },
	{ "create", cmd_create, "Create a new container" },
	{ "start", cmd_start, "Start one or more created containers" },
	{ "stop", cmd_stop, "Stop one or more running containers" },
	{ "kill", cmd_kill, "Kill one or more running containers" },
	{ "rm", cmd_rm, "Remove one or more containers" },
	{ "ps", cmd_ps, "List containers" },
	{ "logs", cmd_logs, "Fetch the logs of a container" },
	{ "exec", cmd_exec, "Execute a command in a running container" },
	{ "attach", cmd_attach, "Attach to a running container's terminal" },
	{ "wait", cmd_wait, "Block until containers stop, then print their exit codes" },
	{ "stats", cmd_stats, "Display a live stream of container resource usage statistics" },
	{ "update", cmd_update, "Update the resource limits of one or more containers" },
	{ "pause", cmd_pause, "Pause all processes within one or more containers" },
	{ "unpause", cmd_unpause, "Unpause all processes within one or more containers" },
	{ "inspect", cmd_inspect, "Display detailed information on containers and images" },
	{ "port", cmd_port, "List port mappings of a container" },
	{ "network", cmd_network, "Manage networks (create, ls, rm, inspect)" },
	{ "pull", cmd_pull, "Download an image from a registry" },
	{ "build", cmd_build, "Build an image from a Dockerfile" },
	{ "push", cmd_push, "Upload an image to a registry" },
	{ "save", cmd_save, "Save images to a tar archive (docker or OCI format)" },
	{ "load", cmd_load, "Load images from a tar archive" },
	{ "login", cmd_login, "Log in to a registry" },
	{ "logout", cmd_logout, "Log out from a registry" },
	{ "images", cmd_images, "List images" },
	{ "image", cmd_image, "Manage images (ls, rm, tag, import, prune, inspect)" },
	{ "import", cmd_import, "Import a root filesystem tarball as an image" },
	{ "rmi", cmd_rmi, "Remove one or more images" },
	{ "tag", cmd_tag, "Create a tag that refers to an image" },
	{ "volume", cmd_volume, "Manage volumes (create, ls, inspect, rm, prune)" },
	{ "info", cmd_info, "Display system-wide information" },
	{ "version", cmd_version, "Show the berth version" },
	{ "help", cmd_help, "Help about a command" },
};

enum { G_ROOT = 1, G_RUN_ROOT, G_LOG_LEVEL, G_DEBUG, G_VERSION };
static const struct cli_opt global_opts[] = {
	{ G_ROOT, 0, "root", OPT_ARG, "DIR", "Persistent state (default $BERTH_ROOT or /var/lib/berth)" },
	{ G_RUN_ROOT, 0, "run-root", OPT_ARG, "DIR", "Runtime state (default $BERTH_RUN_ROOT or /run/berth)" },
	{ G_LOG_LEVEL, 'l', "log-level", OPT_ARG, "LEVEL", "Library log level: error, warn, info, debug (default warn)" },
	{ G_DEBUG, 'D', "debug", OPT_NONE, NULL, "Same as --log-level debug" },
	{ G_VERSION, 'v', "version", OPT_NONE, NULL, "Print the version and exit" },
	{ 0 }
};

static const struct cli_cmd_help *top_help_text(void)
{
	static char more[4096];
	static struct cli_cmd_help h = { "", "[OPTIONS] COMMAND", "An embeddable container runtime (the libberth example CLI)",
	                                 more };
	size_t n = 0;
	if (more[0])
		return &h;
	n += (size_t)snprintf(more + n, sizeof more - n, "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands) && n < sizeof more; i++)
		n += (size_t)snprintf(more + n, sizeof more - n, "  %-10s %s\n", commands[i].name, commands[i].summary);
	if (n < sizeof more)
		snprintf(more + n, sizeof more - n,
		         "\nRun 'berth COMMAND --help' for more information on a command.\n"
		         "Exit status: the container's, or 125 when berth itself fails\n"
		         "(126: the command cannot be executed, 127: it was not found).\n");
	return &h;
}

static void top_help(FILE *f)
{
	opt_print_help(f, global_opts, top_help_text());
}

static int cmd_version(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = { "version", "", "Show the berth version", NULL };
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg)) {
	}
	if (st.ind < argc)
		usage_error("version", "accepts no arguments");
	printf("berth version %s\nlibberth %s\n", BERTH_VERSION_STRING, berth_version());
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		top_help(stdout);
		return 0;
	}
	const struct command *c = find_command(argv[1]);
	if (!c)
		usage_error("", "unknown command \"%s\"", argv[1]);
	char *av[] = { argv[1], (char *)"--help", NULL };
	return c->fn(2, av);
}

int main(int argc, char **argv)
{
	struct opt_state st;
	const char *arg;
	int id;

	const char *env_level = getenv("BERTH_LOG_LEVEL");
	opt_init(&st, argc, argv, global_opts, top_help_text());
	const char *level = env_level && *env_level ? env_level : NULL;
	while ((id = opt_next(&st, &arg)) != 0) {
		switch (id) {
		case G_ROOT: g_cli.root = absolute(arg); break;
		case G_RUN_ROOT: g_cli.run_root = absolute(arg); break;
		case G_LOG_LEVEL: level = arg; break;
		case G_DEBUG: level = "debug"; break;
		case G_VERSION:
			printf("berth version %s, libberth %s\n", BERTH_VERSION_STRING, berth_version());
			return 0;
		}
	}
	if (level) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(level_names); i++)
			if (!strcasecmp(level, level_names[i]) || (i == 1 && !strcasecmp(level, "warning")))
				break;
		if (i == ARRAY_SIZE(level_names))
			usage_error("", "invalid --log-level \"%s\": expected error, warn, info or debug", level);
		g_cli.log_level = (int)i;
	}
	if (st.ind >= argc) {
		top_help(stderr);
		return EXIT_BERTH;
	}
	const struct command *c = find_command(argv[st.ind]);
	if (!c)
		usage_error("", "unknown command \"%s\"", argv[st.ind]);
	int rc = c->fn(argc - st.ind, argv + st.ind);
	fflush(stdout);
	if (ferror(stdout) && rc == 0) {
		fprintf(stderr, "berth: writing to stdout: %s\n", strerror(errno));
		return EXIT_BERTH;
	}
	return rc;
}
