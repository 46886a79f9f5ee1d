/* berth CLI: volume create, ls, inspect, rm, prune (include/berth/volume.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

static struct jval *volume_json(const char *name)
{
	char *js = NULL;
	if (berth_volume_inspect(&js, cli_ctx(), name) < 0)
		return NULL;
	char err[256];
	struct jval *v = json_parse(js, strlen(js), err, sizeof err);
	berth_free(js);
	return v;
}

static int volume_create(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'd', 'd', "driver", OPT_ARG, "NAME", "Volume driver (only \"local\")" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"volume create", "[OPTIONS] [VOLUME]", "Create a volume",
		"Without a name the volume gets a random 64-hex one. Creating an existing\n"
		"volume keeps it as it is. Names: [A-Za-z0-9][A-Za-z0-9_.-]+. Prints the name.\n"
	};
	struct opt_state st;
	const char *arg;
	int id;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		if (id == 'd' && strcmp(arg, "local"))
			usage_error("volume create", "unknown driver '%s' (only \"local\")", arg);
	if (argc - st.ind > 1)
		usage_error("volume create", "accepts at most one VOLUME name");
	char *name = NULL;
	if (berth_volume_create(&name, cli_ctx(), st.ind < argc ? argv[st.ind] : NULL) < 0)
		return berr("volume create");
	printf("%s\n", name);
	berth_free(name);
	return 0;
}

static int volume_ls(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'q', 'q', "quiet", OPT_NONE, NULL, "Only display volume names" },
		{ 'f', 0, "format", OPT_ARG, "FORMAT", "\"json\" (one object per line, as inspect) or \"table\"" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"volume ls", "[OPTIONS]", "List volumes",
		"The table shows, beside docker's columns, the containers that use each\n"
		"volume (short ids); such a volume cannot be removed.\n"
	};
	struct opt_state st;
	const char *arg, *format = "table";
	int id, quiet = 0;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == 'q')
			quiet = 1;
		else
			format = arg;
	}
	if (strcmp(format, "json") && strcmp(format, "table"))
		usage_error("volume ls", "unknown --format '%s' (json or table)", format);
	if (st.ind < argc)
		usage_error("volume ls", "accepts no arguments");
	char **names;
	if (berth_volume_list(&names, cli_ctx()) < 0)
		return berr("volume ls");
	int json = !strcmp(format, "json");
	if (!quiet && !json)
		printf("%-10s%-66s%s\n", "DRIVER", "VOLUME NAME", "USED BY");
	for (char **p = names; *p; p++) {
		if (quiet) {
			printf("%s\n", *p);
			continue;
		}
		struct jval *v = volume_json(*p);
		if (!v)
			continue; /* removed meanwhile */
		if (json) {
			json_print(stdout, v, -1, 0);
			fputc('\n', stdout);
		} else {
			struct jval *users = json_get(v, "UsedBy");
			char used[256] = "";
			size_t o = 0;
			for (size_t i = 0; users && i < users->n && o < sizeof used; i++)
				o += (size_t)snprintf(used + o, sizeof used - o, "%s%.12s", i ? "," : "",
				                      users->items[i]->str ? users->items[i]->str : "");
			const char *drv = json_get_str(v, "Driver");
			printf("%-10s%-66s%s\n", drv ? drv : "local", *p, used);
		}
		json_free(v);
	}
	berth_free(names);
	return 0;
}

static int volume_inspect(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = { "volume inspect", "VOLUME [VOLUME...]",
		                                  "Display detailed information on one or more volumes", NULL };
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg) != 0)
		;
	if (st.ind >= argc)
		usage_error("volume inspect", "requires at least 1 argument");
	return print_json_array(argc, argv, st.ind, volume_json, "volume inspect");
}

static int volume_rm(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'f', 'f', "force", OPT_NONE, NULL, "Do not fail for a volume that does not exist" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"volume rm", "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes",
		"A volume used by a container (running or not) is not removed: remove the\n"
		"container first.\n"
	};
	struct opt_state st;
	const char *arg;
	int force = 0, rc = 0;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg) != 0)
		force = 1;
	if (st.ind >= argc)
		usage_error("volume rm", "requires at least 1 argument");
	for (int i = st.ind; i < argc; i++) {
		int r = berth_volume_remove(cli_ctx(), argv[i], 0);
		if (r == 0 || (r == BERTH_ENOTFOUND && force))
			printf("%s\n", argv[i]);
		else
			rc = berr(argv[i]);
	}
	return rc;
}

static int volume_prune(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'a', 'a', "all", OPT_NONE, NULL, "Remove every unused volume, not only anonymous ones" },
		{ 'y', 'f', "force", OPT_NONE, NULL, "Do not ask (berth never asks)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"volume prune", "[OPTIONS]", "Remove unused volumes",
		"By default only anonymous volumes no container uses (as docker 23+);\n"
		"with --all named ones too.\n"
	};
	struct opt_state st;
	const char *arg;
	int id;
	unsigned flags = 0;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		if (id == 'a')
			flags |= BERTH_VOLUME_PRUNE_ALL;
	if (st.ind < argc)
		usage_error("volume prune", "accepts no arguments");
	char **removed = NULL;
	uint64_t bytes = 0;
	if (berth_volume_prune(&removed, &bytes, cli_ctx(), flags) < 0)
		return berr("volume prune");
	if (removed[0]) {
		printf("Deleted Volumes:\n");
		for (char **p = removed; *p; p++)
			printf("%s\n", *p);
		printf("\n");
	}
	char size[32];
	size_decimal(size, sizeof size, (double)bytes);
	printf("Total reclaimed space: %s\n", size);
	berth_free(removed);
	return 0;
}

int cmd_volume(int argc, char **argv)
{
	static const struct cli_cmd_help help = {
		"volume", "COMMAND", "Manage volumes",
		"Commands:\n  create    Create a volume\n  ls        List volumes\n"
		"  inspect   Display detailed information on one or more volumes\n"
		"  rm        Remove one or more volumes\n  prune     Remove unused volumes\n"
		"\nA container gets a volume with run/create -v NAME:/path (created on first\n"
		"use, seeded from the image when empty); the image's VOLUMEs get anonymous\n"
		"ones, removed with 'berth rm -v' (and with --rm containers).\n"
	};
	static const struct cli_sub subs[] = {
		{ "create", NULL, volume_create },   { "ls", "list", volume_ls },
		{ "inspect", NULL, volume_inspect }, { "rm", "remove", volume_rm },
		{ "prune", NULL, volume_prune },
		{ NULL, NULL, NULL }
	};
	return run_subcommand(argc, argv, &help, subs);
}
