/* berth network create|ls|rm|inspect, berth port. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

static const char *proto_name(int p) { return p == BERTH_PROTO_UDP ? "udp" : "tcp"; }

char *ports_text(berth_container *c)
{
	berth_port_list *ports = NULL;
	char *out = xstrdup("");
	if (berth_container_ports(&ports, c) < 0)
		return out;
	for (size_t i = 0; i < berth_port_list_count(ports); i++) {
		char *s = NULL;
		if (berth_port_format(&s, berth_port_list_get(ports, i)) < 0)
			continue;
		char *j = xasprintf("%s%s%s", out, *out ? ", " : "", s);
		berth_free(s);
		free(out);
		out = j;
	}
	berth_port_list_free(ports);
	return out;
}

static struct jval *parse_or_die(char *text, const char *what)
{
	char err[256];
	struct jval *v = json_parse(text, strlen(text), err, sizeof err);
	berth_free(text);
	if (!v) {
		warnx_("%s: malformed JSON from the library: %s", what, err);
		exit(EXIT_BERTH);
	}
	return v;
}

static int net_create(int argc, char **argv)
{
	enum { N_SUBNET = 1, N_GATEWAY, N_BRIDGE, N_DRIVER };
	static const struct cli_opt opts[] = {
		{ N_SUBNET, 0, "subnet", OPT_ARG, "CIDR", "IPv4 subnet (default: the next free 10.89.N.0/24)" },
		{ N_GATEWAY, 0, "gateway", OPT_ARG, "IP", "Gateway address (default: the subnet's first address)" },
		{ N_BRIDGE, 0, "bridge", OPT_ARG, "NAME", "Bridge device name (default: berth-<8 hex of the id>)" },
		{ N_DRIVER, 'd', "driver", OPT_ARG, "DRIVER", "Only \"bridge\"" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"network create", "[OPTIONS] NETWORK", "Create a bridge network",
		"The subnet may not overlap another network or a route of the host.\n"
		"The bridge device is made when the first container joins the network.\n"
	};
	struct opt_state st;
	const char *arg;
	int id;
	berth_network_options o = BERTH_NETWORK_OPTIONS_INIT;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		switch (id) {
		case N_SUBNET: o.subnet = arg; break;
		case N_GATEWAY: o.gateway = arg; break;
		case N_BRIDGE: o.bridge = arg; break;
		case N_DRIVER:
			if (strcmp(arg, "bridge"))
				usage_error("network create", "--driver %s: only the bridge driver exists", arg);
			break;
		}
	}
	if (st.ind != argc - 1)
		usage_error("network create", "requires exactly 1 argument (the network's name)");
	if (berth_network_create(cli_ctx(), argv[st.ind], &o) < 0)
		return berr("network create");
	char *js = NULL;
	if (berth_network_inspect(&js, cli_ctx(), argv[st.ind]) < 0)
		return berr("network inspect");
	struct jval *v = parse_or_die(js, "network inspect");
	printf("%s\n", json_get_str(v, "id"));
	json_free(v);
	return 0;
}

static int net_ls(int argc, char **argv)
{
	enum { L_QUIET = 1, L_FORMAT };
	static const struct cli_opt opts[] = {
		{ L_QUIET, 'q', "quiet", OPT_BOOL, NULL, "Only display network names" },
		{ L_FORMAT, 0, "format", OPT_ARG, "FORMAT", "table (default), json (one object per line)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = { "network ls", "[OPTIONS]", "List networks", NULL };
	struct opt_state st;
	const char *arg, *format = "table";
	int id, quiet = 0;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == L_QUIET)
			quiet = opt_true(arg);
		else if (id == L_FORMAT)
			format = arg;
	}
	if (strcmp(format, "table") && strcmp(format, "json"))
		usage_error("network ls", "unknown --format '%s' (table or json)", format);
	if (st.ind < argc)
		usage_error("network ls", "accepts no arguments");
	char **names = NULL;
	if (berth_network_list(&names, cli_ctx()) < 0)
		return berr("network ls");
	if (!quiet && !strcmp(format, "table"))
		printf("%-14s%-20s%-10s%-18s%s\n", "NETWORK ID", "NAME", "DRIVER", "SUBNET", "BRIDGE");
	for (char **n = names; *n; n++) {
		if (quiet) {
			printf("%s\n", *n);
			continue;
		}
		char *js = NULL;
		if (berth_network_inspect(&js, cli_ctx(), *n) < 0) {
			berr(*n);
			continue;
		}
		struct jval *v = parse_or_die(js, "network inspect");
		if (!strcmp(format, "json")) {
			struct jval *o = json_new(J_OBJECT);
			json_set_str(o, "ID", json_get_str(v, "id"));
			json_set_str(o, "Name", json_get_str(v, "name"));
			json_set_str(o, "Driver", json_get_str(v, "driver"));
			json_set_str(o, "Subnet", json_get_str(v, "subnet") ? json_get_str(v, "subnet") : "");
			json_set_str(o, "Gateway", json_get_str(v, "gateway") ? json_get_str(v, "gateway") : "");
			json_set_str(o, "Bridge", json_get_str(v, "bridge") ? json_get_str(v, "bridge") : "");
			json_print(stdout, o, -1, 0);
			fputc('\n', stdout);
			json_free(o);
		} else {
			const char *sub = json_get_str(v, "subnet"), *br = json_get_str(v, "bridge");
			printf("%-14.12s%-20s%-10s%-18s%s\n", json_get_str(v, "id"), *n, json_get_str(v, "driver"),
			       sub ? sub : "", br ? br : "");
		}
		json_free(v);
	}
	berth_free(names);
	return 0;
}

static int net_rm(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = { "network rm", "NETWORK [NETWORK...]",
		                                  "Remove networks (not while a container uses them)", NULL };
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg)) {
	}
	if (st.ind >= argc)
		usage_error("network rm", "requires at least 1 argument");
	int rc = 0;
	for (int i = st.ind; i < argc; i++) {
		if (berth_network_remove(cli_ctx(), argv[i]) < 0)
			rc = berr(argv[i]);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static struct jval *net_json(const char *name)
{
	char *js = NULL;
	if (berth_network_inspect(&js, cli_ctx(), name) < 0)
		return NULL;
	return parse_or_die(js, "network inspect");
}

static int net_inspect(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = { "network inspect", "NETWORK [NETWORK...]",
		                                  "Display networks as JSON: subnet, gateway, bridge, containers", NULL };
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg)) {
	}
	if (st.ind >= argc)
		usage_error("network inspect", "requires at least 1 argument");
	return print_json_array(argc, argv, st.ind, net_json, NULL);
}

int cmd_network(int argc, char **argv)
{
	static const struct cli_cmd_help help = {
		"network", "COMMAND", "Manage networks",
		"Commands:\n  create    Create a bridge network\n  ls        List networks\n"
		"  rm        Remove networks\n  inspect   Display detailed information on networks\n"
		"\nBuilt in: bridge (the default of run/create: bridge berth0, 10.88.0.0/16),\n"
		"host and none. run/create use $BERTH_NETWORK when --network is not given.\n"
	};
	static const struct cli_sub subs[] = {
		{ "create", NULL, net_create },   { "ls", "list", net_ls },
		{ "rm", "remove", net_rm },       { "inspect", NULL, net_inspect },
		{ NULL, NULL, NULL }
	};
	return run_subcommand(argc, argv, &help, subs);
}

int cmd_port(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = {
		"port", "CONTAINER [PRIVATE_PORT[/PROTO]]", "List port mappings of a container",
		"Prints \"80/tcp -> 0.0.0.0:8080\" per mapping; with PRIVATE_PORT only its host\n"
		"addresses (\"0.0.0.0:8080\"). Exit status 1 when PRIVATE_PORT is not published.\n"
	};
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg)) {
	}
	if (st.ind >= argc || argc - st.ind > 2)
		usage_error("port", "requires a CONTAINER and at most one PRIVATE_PORT[/PROTO]");
	unsigned int want = 0;
	int want_proto = BERTH_PROTO_TCP;
	if (argc - st.ind == 2) {
		char buf[32], *slash;
		snprintf(buf, sizeof buf, "%s", argv[st.ind + 1]);
		if ((slash = strchr(buf, '/'))) {
			*slash++ = '\0';
			if (!strcmp(slash, "udp"))
				want_proto = BERTH_PROTO_UDP;
			else if (strcmp(slash, "tcp"))
				usage_error("port", "%s: unknown protocol '%s' (tcp or udp)", argv[st.ind + 1], slash);
		}
		int n;
		if (parse_int(&n, buf) < 0 || n < 1 || n > 65535)
			usage_error("port", "%s: not a port number (1-65535)", argv[st.ind + 1]);
		want = (unsigned)n;
	}
	berth_container *c;
	if (open_container(&c, argv[st.ind]) < 0)
		return EXIT_BERTH;
	berth_port_list *ports = NULL;
	if (berth_container_ports(&ports, c) < 0) {
		berth_container_free(c);
		return berr("port");
	}
	int found = 0;
	for (size_t i = 0; i < berth_port_list_count(ports); i++) {
		const berth_port *p = berth_port_list_get(ports, i);
		unsigned int cport = berth_port_container_port(p), hport = berth_port_host_port(p);
		if (want && (cport != want || berth_port_protocol(p) != want_proto))
			continue;
		found = 1;
		const char *ip = *berth_port_host_ip(p) ? berth_port_host_ip(p) : "0.0.0.0";
		if (want)
			printf("%s:%u\n", ip, hport);
		else
			printf("%u/%s -> %s:%u\n", cport, proto_name(berth_port_protocol(p)), ip, hport);
	}
	berth_port_list_free(ports);
	berth_container_free(c);
	if (want && !found) {
		warnx_("no public port '%s' published for %s", argv[st.ind + 1], argv[st.ind]);
		return 1;
	}
	return 0;
}
