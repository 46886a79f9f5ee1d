/* berth run, create, start. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile.h"
#include "json.h"
#include "util.h"

enum {
	R_DETACH = 1, R_RM, R_INTERACTIVE, R_TTY, R_NAME, R_HOSTNAME, R_ENV, R_ENV_FILE, R_WORKDIR, R_USER,
	R_READ_ONLY, R_VOLUME, R_CAP_ADD, R_CAP_DROP, R_SECURITY_OPT, R_PRIVILEGED, R_NETWORK, R_ULIMIT,
	R_SYSCTL, R_UIDMAP, R_GIDMAP, R_ROOTFS, R_TMPFS, R_SHM_SIZE, R_OOM_SCORE_ADJ, R_CGROUP_PARENT, R_ENTRYPOINT, R_PULL,
	R_PUBLISH, R_PUBLISH_ALL, R_DNS, R_LOG_DRIVER, R_LOG_OPT
};

#define COMMON_RUN_OPTS                                                                                         \
	{ R_ROOTFS, 0, "rootfs", OPT_ARG, "DIR", "Run a root filesystem directory instead of an IMAGE" },            \
	{ R_ENTRYPOINT, 0, "entrypoint", OPT_ARG, "CMD", "Overwrite the image's entrypoint (\"\" clears it)" },      \
	{ R_PULL, 0, "pull", OPT_ARG, "POLICY", "Pull the image: missing (default), always or never" },               \
	{ R_RM, 0, "rm", OPT_BOOL, NULL, "Remove the container when it exits" },                                     \
	{ R_INTERACTIVE, 'i', "interactive", OPT_BOOL, NULL, "Keep STDIN open (give the container our stdin)" },     \
	{ R_TTY, 't', "tty", OPT_BOOL, NULL, "Allocate a pseudo-terminal" },                                         \
	{ R_NAME, 0, "name", OPT_ARG, "NAME", "Assign a name to the container" },                                    \
	{ R_HOSTNAME, 'h', "hostname", OPT_ARG, "NAME", "Container host name (default \"berth\")" },                  \
	{ R_ENV, 'e', "env", OPT_ARG, "K=V", "Set an environment variable (repeatable; K alone: from our env)" },     \
	{ R_ENV_FILE, 0, "env-file", OPT_ARG, "FILE", "Read environment variables from a file (repeatable)" },       \
	{ R_WORKDIR, 'w', "workdir", OPT_ARG, "DIR", "Working directory inside the container" },                     \
	{ R_USER, 'u', "user", OPT_ARG, "USER[:GROUP]", "User and group, names or ids (names from the image's /etc/passwd and /etc/group)" },      \
	{ R_READ_ONLY, 0, "read-only", OPT_BOOL, NULL, "Mount the root filesystem read-only" },                      \
	{ R_VOLUME, 'v', "volume", OPT_ARG, "SRC:DST[:OPTS]",                                                        \
	  "Bind a host path (SRC absolute) or mount a volume (SRC a name; DST alone: anonymous) (repeatable)" },        \
	{ R_TMPFS, 0, "tmpfs", OPT_ARG, "DST[:OPTS]", "Mount a tmpfs (repeatable)" },                                 \
	{ R_SHM_SIZE, 0, "shm-size", OPT_ARG, "SIZE", "Size of /dev/shm (e.g. 64m)" },                                \
	{ R_CAP_ADD, 0, "cap-add", OPT_ARG, "CAP", "Add a Linux capability (repeatable; ALL)" },                     \
	{ R_CAP_DROP, 0, "cap-drop", OPT_ARG, "CAP", "Drop a Linux capability (repeatable; ALL)" },                  \
	{ R_SECURITY_OPT, 0, "security-opt", OPT_ARG, "OPT",                                                           \
	  "seccomp=unconfined|FILE, no-new-privileges[=true|false]" },                                                \
	{ R_PRIVILEGED, 0, "privileged", OPT_BOOL, NULL, "Every capability, no seccomp, host devices" },             \
	{ R_NETWORK, 0, "network", OPT_ARG, "MODE",                                                                   \
	  "bridge (default, or $BERTH_NETWORK), none, host, container:ID or a network's name" },                    \
	{ R_PUBLISH, 'p', "publish", OPT_ARG, "[IP:][HOSTPORT:]PORT[/PROTO]",                                         \
	  "Publish a container's port (repeatable; ranges 8000-8010:80-90; tcp or udp)" },                         \
	{ R_PUBLISH_ALL, 'P', "publish-all", OPT_BOOL, NULL, "Publish every port the image exposes on a free host port" }, \
	{ R_DNS, 0, "dns", OPT_ARG, "IP", "A DNS server for /etc/resolv.conf (repeatable; default: the host's)" },   \
	{ R_LOG_DRIVER, 0, "log-driver", OPT_ARG, "DRIVER", "local (default: the monitor's rotated log) or none" },   \
	{ R_LOG_OPT, 0, "log-opt", OPT_ARG, "K=V", "max-size=SIZE (default 10m), max-file=N (default 5)" },         \
	{ R_ULIMIT, 0, "ulimit", OPT_ARG, "TYPE=SOFT[:HARD]", "Set a resource limit, e.g. nofile=1024:2048" },      \
	{ R_SYSCTL, 0, "sysctl", OPT_ARG, "K=V", "Set a namespaced kernel parameter (repeatable)" },                 \
	{ R_UIDMAP, 0, "userns-uidmap", OPT_ARG, "C:H:N", "Map container uids C.. to host uids H.. (user namespace)" }, \
	{ R_GIDMAP, 0, "userns-gidmap", OPT_ARG, "C:H:N", "Map container gids C.. to host gids H.." },              \
	{ R_OOM_SCORE_ADJ, 0, "oom-score-adj", OPT_ARG, "N", "The OOM score adjustment (-1000..1000)" },           \
	RESOURCE_OPTS,                                                                                                \
	{ R_CGROUP_PARENT, 0, "cgroup-parent", OPT_ARG, "PATH",                                                       \
	  "Parent of the container's cgroup in every hierarchy (default \"berth\"; no \"..\")" }

static const struct cli_opt run_opts[] = {
	{ R_DETACH, 'd', "detach", OPT_BOOL, NULL, "Run in the background and print the container ID" },
	COMMON_RUN_OPTS,
	{ 0 }
};
static const struct cli_opt create_opts[] = { COMMON_RUN_OPTS, { 0 } };

static const char run_more[] =
	"Options stop at the first argument that is not one: COMMAND and its arguments\n"
	"follow. Without COMMAND, \"sh\" runs.\n"
	"\n"
	"Exit status: the command's (128+N when killed by signal N: 137 when the\n"
	"kernel's OOM killer ended it under --memory); 125 when berth fails, 126 when\n"
	"the command cannot be executed, 127 when it is not found. With -d, 0 once the\n"
	"container runs.\n"
	"\n"
	"Resources (as Docker): sizes are bytes or a number with a unit b, k, m or g\n"
	"(512m, 1g); --memory-swap is memory plus swap (-1: unlimited swap); --cpus N\n"
	"sets a CFS quota of N*100000us per 100000us period.\n";

static const struct cli_cmd_help run_help = { "run", "[OPTIONS] IMAGE|--rootfs DIR [COMMAND] [ARG...]",
	                                      "Create and run a new container", run_more };
static const struct cli_cmd_help create_help = {
	"create", "[OPTIONS] IMAGE|--rootfs DIR [COMMAND] [ARG...]",
	"Create a new container (its process waits for 'berth start'); prints its ID",
	"Resources (as Docker): sizes are bytes or a number with a unit b, k, m or g\n"
	"(512m, 1g); --memory-swap is memory plus swap (-1: unlimited swap); --cpus N\n"
	"sets a CFS quota of N*100000us per 100000us period.\n"
};

struct run_cfg {
	const char *cmd;
	int detach, rm, interactive, tty, read_only, privileged;
	int nnp; /* -1 unset */
	const char *name, *hostname, *workdir, *user, *rootfs, *network, *seccomp, *shm_size, *oom;
	const char *cgroup_parent;
	const char *image, *entrypoint; /* IMAGE operand (without --rootfs), --entrypoint */
	const char *pull;               /* --pull: missing, always, never */
	const char *log_driver;         /* --log-driver */
	int64_t log_max_size;           /* --log-opt max-size, 0: default */
	int log_max_file;               /* --log-opt max-file, 0: default */
	int publish_all;                /* -P */
	struct res_flags res;
	struct strv publish, dns;       /* -p, --dns */
	struct strv env, env_files, volumes, tmpfs, cap_add, cap_drop, sysctls, ulimits, uidmaps, gidmaps;
	char **args; /* operands, NULL-terminated (argv's tail) */
};

static void parse_security_opt(struct run_cfg *rc, const char *arg)
{
	const char *v;
	if (!strncmp(arg, "seccomp=", 8) || !strncmp(arg, "seccomp:", 8)) {
		rc->seccomp = arg + 8;
		if (!*rc->seccomp)
			usage_error(rc->cmd, "--security-opt %s: expected seccomp=unconfined or seccomp=FILE", arg);
		return;
	}
	if (!strncmp(arg, "no-new-privileges", 17)) {
		v = arg + 17;
		if (!*v)
			rc->nnp = 1;
		else if (!strcmp(v, "=true") || !strcmp(v, ":true"))
			rc->nnp = 1;
		else if (!strcmp(v, "=false") || !strcmp(v, ":false"))
			rc->nnp = 0;
		else
			usage_error(rc->cmd, "--security-opt %s: expected no-new-privileges[=true|false]", arg);
		return;
	}
	/* Confinement berth does not apply anyway: accepted for compatibility. */
	if (!strcmp(arg, "apparmor=unconfined") || !strcmp(arg, "apparmor:unconfined") ||
	    !strcmp(arg, "label=disable") || !strcmp(arg, "label:disable"))
		return;
	usage_error(rc->cmd, "--security-opt %s: unsupported (seccomp=unconfined|FILE, no-new-privileges[=true|false])",
	            arg);
}

static void parse_log_opt(struct run_cfg *rc, const char *arg)
{
	uint64_t v;
	if (!strncmp(arg, "max-size=", 9)) {
		if (parse_size(&v, arg + 9) < 0 || v < 4096 || v > (1ull << 50))
			usage_error(rc->cmd, "--log-opt %s: expected a size of at least 4k (10m, 512k)", arg);
		rc->log_max_size = (int64_t)v;
	} else if (!strncmp(arg, "max-file=", 9)) {
		if (parse_uint64(&v, arg + 9) < 0 || v < 1 || v > 1000)
			usage_error(rc->cmd, "--log-opt %s: expected a number of files from 1 to 1000", arg);
		rc->log_max_file = (int)v;
	} else {
		usage_error(rc->cmd, "--log-opt %s: unsupported (max-size=SIZE, max-file=N)", arg);
	}
}

/* The log options of run and create. */
static void set_log_options(berth_create_options *opts, const struct run_cfg *rc)
{
	opts->log_driver = rc->log_driver;
	opts->log_max_size = rc->log_max_size;
	opts->log_max_file = rc->log_max_file;
}

static void parse_run_args(struct run_cfg *rc, int argc, char **argv, const struct cli_opt *opts,
                           const struct cli_cmd_help *help)
{
	struct opt_state st;
	const char *arg;
	int id;
	memset(rc, 0, sizeof *rc);
	rc->cmd = help->cmd;
	rc->nnp = -1;
	opt_init(&st, argc, argv, opts, help);
	while ((id = opt_next(&st, &arg)) != 0) {
		switch (id) {
		case R_DETACH: rc->detach = opt_true(arg); break;
		case R_RM: rc->rm = opt_true(arg); break;
		case R_INTERACTIVE: rc->interactive = opt_true(arg); break;
		case R_TTY: rc->tty = opt_true(arg); break;
		case R_READ_ONLY: rc->read_only = opt_true(arg); break;
		case R_PRIVILEGED: rc->privileged = opt_true(arg); break;
		case R_NAME: rc->name = arg; break;
		case R_HOSTNAME: rc->hostname = arg; break;
		case R_WORKDIR: rc->workdir = arg; break;
		case R_USER: rc->user = arg; break;
		case R_ROOTFS: rc->rootfs = arg; break;
		case R_NETWORK: rc->network = arg; break;
		case R_PUBLISH: strv_add(&rc->publish, arg); break;
		case R_PUBLISH_ALL: rc->publish_all = opt_true(arg); break;
		case R_DNS: strv_add(&rc->dns, arg); break;
		case R_SHM_SIZE: rc->shm_size = arg; break;
		case R_OOM_SCORE_ADJ: rc->oom = arg; break;
		case R_ENV: strv_add(&rc->env, arg); break;
		case R_ENV_FILE: strv_add(&rc->env_files, arg); break;
		case R_VOLUME: strv_add(&rc->volumes, arg); break;
		case R_TMPFS: strv_add(&rc->tmpfs, arg); break;
		case R_CAP_ADD: strv_add(&rc->cap_add, arg); break;
		case R_CAP_DROP: strv_add(&rc->cap_drop, arg); break;
		case R_SYSCTL: strv_add(&rc->sysctls, arg); break;
		case R_ULIMIT: strv_add(&rc->ulimits, arg); break;
		case R_UIDMAP: strv_add(&rc->uidmaps, arg); break;
		case R_GIDMAP: strv_add(&rc->gidmaps, arg); break;
		case R_SECURITY_OPT: parse_security_opt(rc, arg); break;
		case R_CGROUP_PARENT: rc->cgroup_parent = arg; break;
		case R_LOG_DRIVER:
			if (strcmp(arg, "local") && strcmp(arg, "none"))
				usage_error(rc->cmd, "--log-driver '%s': unsupported (local or none)", arg);
			rc->log_driver = arg;
			break;
		case R_LOG_OPT: parse_log_opt(rc, arg); break;
		case R_ENTRYPOINT: rc->entrypoint = arg; break;
		case R_PULL:
			if (strcmp(arg, "missing") && strcmp(arg, "always") && strcmp(arg, "never"))
				usage_error(rc->cmd, "--pull '%s': must be missing, always or never", arg);
			rc->pull = arg;
			break;
		default: res_flag(&rc->res, id, arg); break;
		}
	}
	rc->args = st.ind < argc ? argv + st.ind : NULL;
	if (!rc->rootfs) {
		/* docker run IMAGE [COMMAND] */
		if (!rc->args)
			usage_error(rc->cmd, "requires an IMAGE (or --rootfs DIR)");
		rc->image = rc->args[0];
		rc->args = rc->args[1] ? rc->args + 1 : NULL;
	} else if (rc->entrypoint)
		usage_error(rc->cmd, "--entrypoint needs an IMAGE (with --rootfs, give the command itself)");
}

static CLI_NORETURN void spec_fail(const char *what)
{
	exit(berr(what));
}

static void add_env(berth_spec *spec, const char *kv, const char *origin)
{
	if (!*kv || *kv == '=')
		usage_error(NULL, "%s: invalid environment variable \"%s\"", origin, kv);
	if (!strchr(kv, '=')) {
		const char *v = getenv(kv); /* "-e K": the caller's value, skipped when unset (as Docker) */
		if (!v)
			return;
		char *s = xasprintf("%s=%s", kv, v);
		if (berth_spec_setenv(spec, s) < 0)
			spec_fail("env");
		free(s);
		return;
	}
	if (berth_spec_setenv(spec, kv) < 0)
		spec_fail("env");
}

struct env_file_ctx {
	berth_spec *spec;
	const char *path;
};

static int add_env_entry(const char *entry, void *payload)
{
	const struct env_file_ctx *ef = payload;
	add_env(ef->spec, entry, ef->path);
	return 0;
}

static void add_env_file(berth_spec *spec, const char *cmd, const char *path)
{
	char *text;
	if (read_file(&text, NULL, path) < 0)
		usage_error(cmd, "--env-file %s: %s", path, strerror(errno));
	struct env_file_ctx ef = { spec, path };
	env_file_parse(text, add_env_entry, &ef);
	free(text);
}

static void parse_idmap(berth_spec *spec, const char *cmd, const char *arg, int gid)
{
	unsigned long long c, h, n;
	char tail;
	if (sscanf(arg, "%llu:%llu:%llu%c", &c, &h, &n, &tail) != 3 || c > UINT32_MAX || h > UINT32_MAX ||
	    n == 0 || n > UINT32_MAX)
		usage_error(cmd, "--userns-%cidmap %s: expected CONTAINER_ID:HOST_ID:SIZE", gid ? 'g' : 'u', arg);
	if (berth_spec_add_id_mapping(spec, gid, (uint32_t)c, (uint32_t)h, (uint32_t)n) < 0)
		spec_fail("id mapping");
}

static uint64_t parse_rlimit_value(const char *cmd, const char *arg, const char *v)
{
	uint64_t n;
	if (!strcmp(v, "unlimited") || !strcmp(v, "-1"))
		return UINT64_MAX;
	if (parse_uint64(&n, v) < 0)
		usage_error(cmd, "--ulimit %s: invalid value \"%s\"", arg, v);
	return n;
}

static void add_ulimit(berth_spec *spec, const char *cmd, const char *arg)
{
	char *type = xstrdup(arg), *eq = strchr(type, '=');
	if (!eq || eq == type || !eq[1])
		usage_error(cmd, "--ulimit %s: expected TYPE=SOFT[:HARD]", arg);
	*eq++ = '\0';
	char *colon = strchr(eq, ':');
	if (colon)
		*colon++ = '\0';
	uint64_t soft = parse_rlimit_value(cmd, arg, eq);
	uint64_t hard = colon ? parse_rlimit_value(cmd, arg, colon) : soft;
	if (soft > hard)
		usage_error(cmd, "--ulimit %s: soft limit is above the hard limit", arg);
	if (berth_spec_set_rlimit(spec, type, soft, hard) < 0)
		spec_fail("ulimit");
	free(type);
}

static void add_tmpfs(berth_spec *spec, const char *dst_opts)
{
	char *dst = xstrdup(dst_opts), *o = strchr(dst, ':');
	struct strv opts = { 0 };
	if (o)
		*o++ = '\0';
	strv_add(&opts, "nosuid");
	strv_add(&opts, "nodev");
	strv_add(&opts, "noexec");
	if (o && *o) {
		char *save = NULL;
		for (char *t = strtok_r(o, ",", &save); t; t = strtok_r(NULL, ",", &save))
			strv_add(&opts, t);
	}
	if (berth_spec_add_mount(spec, dst, "tmpfs", "tmpfs", (const char *const *)opts.v) < 0)
		spec_fail("tmpfs");
	strv_free(&opts);
	free(dst);
}

static int has_all(const struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i], "ALL") || !strcasecmp(s->v[i], "CAP_ALL"))
			return 1;
	return 0;
}

static void apply_caps(berth_spec *spec, const struct run_cfg *rc)
{
	/* Docker's order: ALL in --cap-add means every cap but the dropped ones;
	 * ALL in --cap-drop means none but the added ones. */
	if (has_all(&rc->cap_add)) {
		if (berth_spec_cap_add(spec, "ALL") < 0)
			spec_fail("cap-add");
		for (size_t i = 0; i < rc->cap_drop.n; i++)
			if (berth_spec_cap_drop(spec, rc->cap_drop.v[i]) < 0)
				spec_fail("cap-drop");
		return;
	}
	if (has_all(&rc->cap_drop) && berth_spec_cap_drop(spec, "ALL") < 0)
		spec_fail("cap-drop");
	for (size_t i = 0; i < rc->cap_drop.n; i++)
		if (!has_all(&rc->cap_drop) && berth_spec_cap_drop(spec, rc->cap_drop.v[i]) < 0)
			spec_fail("cap-drop");
	for (size_t i = 0; i < rc->cap_add.n; i++)
		if (berth_spec_cap_add(spec, rc->cap_add.v[i]) < 0)
			spec_fail("cap-add");
}

/* -P: every ExposedPorts entry of the image ("80/tcp") on a free host port. */
static void publish_exposed(berth_spec *spec, berth_image *img)
{
	char *cfg = NULL;
	if (berth_image_config(&cfg, img) < 0)
		spec_fail("image");
	char err[256];
	struct jval *j = json_parse(cfg, strlen(cfg), err, sizeof err);
	berth_free(cfg);
	const struct jval *ex = json_get(j, "ExposedPorts");
	for (size_t i = 0; ex && ex->type == J_OBJECT && i < ex->n; i++) {
		berth_port_list *ports = NULL;
		if (berth_port_parse(&ports, ex->keys[i]) < 0) {
			warnx_("image: ExposedPorts \"%s\": %s (skipped)", ex->keys[i], berth_error_last()->message);
			continue;
		}
		for (size_t k = 0; k < berth_port_list_count(ports); k++)
			if (berth_spec_add_port(spec, berth_port_list_get(ports, k)) < 0 &&
			    berth_error_last()->code != BERTH_EEXISTS)
				spec_fail("publish-all");
		berth_port_list_free(ports);
	}
	json_free(j);
}

/* The CLI's network: --network, else $BERTH_NETWORK, else bridge (as docker). */
const char *cli_network(const char *given)
{
	if (given && *given)
		return given;
	const char *env = getenv("BERTH_NETWORK");
	return env && *env ? env : "bridge";
}

static void apply_network(berth_spec *spec, const struct run_cfg *rc)
{
	const char *net = cli_network(rc->network);
	if (berth_spec_set_network(spec, net) < 0) {
		const berth_error *e = berth_error_last();
		usage_error(rc->cmd, "--network %s: %s", net, e->message && *e->message ? e->message : "invalid");
	}
	for (size_t i = 0; i < rc->publish.n; i++) {
		berth_port_list *ports = NULL;
		if (berth_port_parse(&ports, rc->publish.v[i]) < 0)
			usage_error(rc->cmd, "-p %s: %s", rc->publish.v[i], berth_error_last()->message);
		for (size_t k = 0; k < berth_port_list_count(ports); k++)
			if (berth_spec_add_port(spec, berth_port_list_get(ports, k)) < 0)
				usage_error(rc->cmd, "-p %s: %s", rc->publish.v[i], berth_error_last()->message);
		berth_port_list_free(ports);
	}
	if ((rc->publish.n || rc->publish_all) &&
	    (!strcmp(net, "none") || !strcmp(net, "host") || !strncmp(net, "container:", 10)))
		usage_error(rc->cmd, "-p/-P: published ports need a bridge network, not --network %s", net);
	if (rc->dns.n) {
		if (berth_spec_set_dns(spec, (const char *const *)rc->dns.v) < 0)
			usage_error(rc->cmd, "--dns: %s", berth_error_last()->message);
	}
}

static berth_spec *build_spec(const struct run_cfg *rc)
{
	berth_spec *spec = NULL;
	char rootfs[PATH_MAX] = "";
	struct stat sb;
	char **layers = NULL; /* an image's layer dirs: where -u NAME is looked up */

	if (berth_spec_new(&spec) < 0)
		spec_fail("spec");
	if (rc->image) {
		berth_image *img;
		const char *policy = rc->pull ? rc->pull : "missing";
		int have = strcmp(policy, "always") != 0 && berth_image_open(&img, cli_ctx(), rc->image) == 0;
		if (!have && strcmp(policy, "always") && berth_error_last()->code != BERTH_ENOTFOUND)
			spec_fail("image");
		if (!have && strcmp(policy, "never") == 0)
			usage_error(rc->cmd, "image '%s' not found and --pull never (import one with 'berth import FILE %s', "
			            "or run a directory with --rootfs DIR)", rc->image, rc->image);
		if (!have) {
			/* as docker run: pull what is missing, progress on stderr */
			berth_pull_options po = BERTH_PULL_OPTIONS_INIT;
			if (berth_image_pull(&img, cli_ctx(), rc->image, &po) < 0) {
				char msg[1200];
				snprintf(msg, sizeof msg, "%s", berth_error_last()->message);
				usage_error(rc->cmd, "image '%s' not found locally, and pulling it failed: %s (import one with "
				            "'berth import FILE %s', or run a directory with --rootfs DIR)", rc->image, msg,
				            rc->image);
			}
		}
		if (berth_spec_set_image(spec, img, rc->entrypoint, (const char *const *)rc->args) < 0 ||
		    berth_image_layer_dirs(&layers, img) < 0)
			spec_fail("image");
		if (rc->publish_all)
			publish_exposed(spec, img);
		berth_image_free(img);
		if (rc->read_only && berth_spec_set_rootfs(spec, "rootfs", 1) < 0)
			spec_fail("read-only");
	} else {
		if (!realpath(rc->rootfs, rootfs) || stat(rootfs, &sb) < 0)
			usage_error(rc->cmd, "--rootfs %s: %s", rc->rootfs, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			usage_error(rc->cmd, "--rootfs %s: not a directory", rc->rootfs);
		if (berth_spec_set_rootfs(spec, rootfs, rc->read_only) < 0)
			spec_fail("rootfs");
		if (rc->args && berth_spec_set_args(spec, (const char *const *)rc->args) < 0)
			spec_fail("command");
	}
	if (rc->tty && berth_spec_set_terminal(spec, 1) < 0)
		spec_fail("tty");
	if (rc->hostname && berth_spec_set_hostname(spec, rc->hostname) < 0)
		spec_fail("hostname");
	for (size_t i = 0; i < rc->env_files.n; i++)
		add_env_file(spec, rc->cmd, rc->env_files.v[i]);
	for (size_t i = 0; i < rc->env.n; i++)
		add_env(spec, rc->env.v[i], "--env");
	if (rc->workdir && berth_spec_set_cwd(spec, rc->workdir) < 0)
		spec_fail("workdir");
	if (rc->user) {
		/* names from the image's layers (whiteouts honoured) or the rootfs */
		const char *one_root[] = { rootfs, NULL };
		const char *const *root = layers ? (const char *const *)layers : one_root;
		if (berth_spec_set_user_name(spec, root, rc->user) < 0)
			usage_error(rc->cmd, "--user: %s", berth_error_last()->message);
	}
	if (rc->privileged && berth_spec_set_privileged(spec, 1) < 0)
		spec_fail("privileged");
	apply_caps(spec, rc);
	if (rc->seccomp) {
		if (!strcmp(rc->seccomp, "unconfined")) {
			if (berth_spec_set_seccomp_json(spec, NULL) < 0)
				spec_fail("seccomp");
		} else if (berth_spec_set_seccomp_file(spec, rc->seccomp) < 0) {
			spec_fail("seccomp");
		}
	} else if (!rc->privileged && rc->cap_add.n > 0) {
		/* The default profile allows more system calls with more capabilities. */
		if (berth_spec_set_seccomp_default(spec) < 0)
			spec_fail("seccomp");
	}
	if (rc->nnp >= 0 && berth_spec_set_no_new_privileges(spec, rc->nnp) < 0)
		spec_fail("no-new-privileges");
	for (size_t i = 0; i < rc->volumes.n; i++)
		if (berth_spec_add_volume_arg(spec, rc->volumes.v[i]) < 0)
			spec_fail("volume");
	for (size_t i = 0; i < rc->tmpfs.n; i++)
		add_tmpfs(spec, rc->tmpfs.v[i]);
	if (rc->shm_size) {
		uint64_t sz;
		if (parse_size(&sz, rc->shm_size) < 0 || sz == 0)
			usage_error(rc->cmd, "--shm-size %s: invalid size", rc->shm_size);
		char *size = xasprintf("size=%llu", (unsigned long long)sz);
		const char *o[] = { "nosuid", "noexec", "nodev", "mode=1777", size, NULL };
		if (berth_spec_add_mount(spec, "/dev/shm", "tmpfs", "shm", o) < 0)
			spec_fail("shm-size");
		free(size);
	}
	apply_network(spec, rc);
	for (size_t i = 0; i < rc->ulimits.n; i++)
		add_ulimit(spec, rc->cmd, rc->ulimits.v[i]);
	for (size_t i = 0; i < rc->sysctls.n; i++) {
		char *k = xstrdup(rc->sysctls.v[i]), *v = strchr(k, '=');
		if (!v || v == k)
			usage_error(rc->cmd, "--sysctl %s: expected KEY=VALUE", rc->sysctls.v[i]);
		*v++ = '\0';
		if (berth_spec_set_sysctl(spec, k, v) < 0)
			spec_fail("sysctl");
		free(k);
	}
	for (size_t i = 0; i < rc->uidmaps.n; i++)
		parse_idmap(spec, rc->cmd, rc->uidmaps.v[i], 0);
	for (size_t i = 0; i < rc->gidmaps.n; i++)
		parse_idmap(spec, rc->cmd, rc->gidmaps.v[i], 1);
	if ((rc->uidmaps.n > 0) != (rc->gidmaps.n > 0))
		usage_error(rc->cmd, "--userns-uidmap and --userns-gidmap go together");
	berth_cgroup_resources res;
	res_build(&res, &rc->res, rc->cmd, 1);
	res_apply(spec, &res, &rc->res, rc->cmd);
	if (rc->cgroup_parent && berth_spec_set_cgroup_parent(spec, rc->cgroup_parent) < 0) {
		const berth_error *e = berth_error_last();
		usage_error(rc->cmd, "invalid --cgroup-parent '%s': %s", rc->cgroup_parent,
		            e->message && *e->message ? e->message : berth_strerror(e->code));
	}
	if (rc->oom) {
		int adj;
		if (parse_int(&adj, rc->oom) < 0)
			usage_error(rc->cmd, "--oom-score-adj %s: not a number", rc->oom);
		if (berth_spec_set_oom_score_adj(spec, adj) < 0)
			spec_fail("oom-score-adj");
	}
	berth_free(layers);
	return spec;
}

static void free_cfg(struct run_cfg *rc)
{
	struct strv *all[] = { &rc->publish, &rc->dns, &rc->env, &rc->env_files, &rc->volumes, &rc->tmpfs, &rc->cap_add, &rc->cap_drop,
		               &rc->sysctls, &rc->ulimits, &rc->uidmaps, &rc->gidmaps };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		strv_free(all[i]);
}

/* Start failed: Docker's exit codes for a command that cannot run. */
static int start_failure_code(void)
{
	const berth_error *e = berth_error_last();
	if (e->sys_errno == ENOENT)
		return EXIT_NOTFOUND;
	if (e->sys_errno == EACCES || e->sys_errno == ENOEXEC || e->sys_errno == EISDIR)
		return EXIT_NOEXEC;
	return EXIT_BERTH;
}

struct attached {
	berth_container *c;
	int done, code;
};

static void forward_to_container(int sig, void *payload)
{
	struct attached *a = payload;
	berth_container_kill(a->c, sig, 0);
}

static int container_done(void *payload)
{
	struct attached *a = payload;
	int code, sig;
	if (!a->done && berth_container_wait(&code, &sig, a->c, 0) == 0) {
		a->done = 1;
		a->code = code;
	}
	return a->done;
}

static int attach_relay(berth_container *c, int fd, int lease, int with_stdin);

/* Deletes an attached --rm container; errors are reported, the exit code stays. */
static void remove_container(berth_container *c)
{
	/* as docker run --rm: its anonymous volumes go with it */
	if (berth_container_delete(c, BERTH_DELETE_VOLUMES) < 0 &&
	    berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES) < 0)
		berr("rm");
}

static int run_attached(berth_spec *spec, const struct run_cfg *rc)
{
	berth_create_options opts = BERTH_CREATE_OPTIONS_INIT;
	berth_container *c = NULL;
	int pty = -1, code = EXIT_BERTH;

	opts.name = rc->name;
	set_log_options(&opts, rc);
	/* a log as Docker keeps one, through a monitor that copies the output
	 * to ours (with a terminal: that we attach to); with --rm there is no
	 * log to keep (it goes with the container): no monitor, nothing on the
	 * start path */
	int logged = !rc->rm && !(rc->log_driver && !strcmp(rc->log_driver, "none"));
	if (rc->tty) {
		opts.stdio_mode = BERTH_STDIO_TERMINAL;
	} else {
		/* the container never holds a file or terminal of ours
		 * (stdio_guard.c): the monitor's pipes, or pipes we relay */
		opts.stdio_mode = logged ? BERTH_STDIO_LOG : BERTH_STDIO_FDS;
		opts.stdin_fd = rc->interactive ? stdio_guard_fd(STDIN_FILENO, 1) : -1;
		opts.stdout_fd = logged ? STDOUT_FILENO : stdio_guard_fd(STDOUT_FILENO, 0);
		opts.stderr_fd = logged ? STDERR_FILENO : stdio_guard_fd(STDERR_FILENO, 0);
	}
	signals_catch(rc->tty);
	fflush(stdout);
	berth_port_list *ports = NULL;
	int published = berth_spec_ports(&ports, spec) == 0 && berth_port_list_count(ports) > 0;
	berth_port_list_free(ports);
	if (rc->tty && (published || logged)) {
		/* the monitor (which serves the ports, and logs) holds the terminal: attach to it */
		opts.flags = BERTH_CREATE_DETACH;
		if (berth_container_create(&c, cli_ctx(), spec, &opts) < 0)
			return berr("create");
		/* attached before it starts: nothing it writes is missed */
		int fd, lease;
		if (berth_container_attach(&fd, &lease, c) < 0) {
			code = berr("attach");
			goto fail;
		}
		term_copy_winsize(fd);
		if (berth_container_start(c) < 0) {
			berr("start");
			code = start_failure_code();
			close(fd);
			close(lease);
			goto fail;
		}
		code = attach_relay(c, fd, lease, rc->interactive);
		if (code == -2)
			code = berr("attach");
		else if (code == -1)
			code = 0; /* detached with Ctrl-P Ctrl-Q: it goes on */
		else if (rc->rm)
			remove_container(c);
		berth_container_free(c);
		return code;
	}
	if (!rc->tty)
		opts.flags |= BERTH_CREATE_START; /* nothing to set up between create and start */
	int created = berth_container_create(&c, cli_ctx(), spec, &opts);
	stdio_guard_started(opts.stdin_fd, STDIN_FILENO);
	stdio_guard_started(opts.stdout_fd, STDOUT_FILENO);
	stdio_guard_started(opts.stderr_fd, STDERR_FILENO);
	if (created < 0)
		return berr("create");
	if (rc->tty) {
		if (berth_container_take_console(&pty, c) < 0) {
			code = berr("console");
			goto fail;
		}
		term_copy_winsize(pty);
	}
	if (berth_container_status(c) == BERTH_STATUS_CREATED && berth_container_start(c) < 0) {
		berr("start");
		code = start_failure_code();
		goto fail;
	}
	struct attached a = { c, 0, 0 };
	if (rc->tty) {
		int raw = rc->interactive && term_raw(STDIN_FILENO) == 0;
		struct relay r = { pty, rc->interactive ? STDIN_FILENO : -1, STDOUT_FILENO, 1, 0,
			           rc->interactive && !raw, forward_to_container, container_done, &a };
		relay_run(&r);
		term_restore();
		close(pty);
		pty = -1;
	}
	if (!a.done) {
		if (wait_forwarding(&a.code, c, NULL) < 0) {
			code = berr("wait");
			goto out;
		}
	}
	code = a.code;
out:
	stdio_guard_finish();
	if (rc->rm)
		remove_container(c);
	berth_container_free(c);
	return code;
fail:
	if (pty >= 0)
		close(pty);
	berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES); /* never ran: its anonymous volumes go too */
	berth_container_free(c);
	return code;
}

int cmd_run(int argc, char **argv)
{
	struct run_cfg rc;
	parse_run_args(&rc, argc, argv, run_opts, &run_help);
	berth_spec *spec = build_spec(&rc);
	int code;

	if (rc.detach) {
		berth_create_options opts = BERTH_CREATE_OPTIONS_INIT;
		berth_container *c = NULL;
		opts.name = rc.name;
		/* without a terminal the monitor starts it at once: no "created"
		 * container is left behind should this process die in between */
		opts.flags = BERTH_CREATE_DETACH | (rc.rm ? BERTH_CREATE_REMOVE : 0) | (rc.tty ? 0 : BERTH_CREATE_START);
		opts.stdio_mode = rc.tty ? BERTH_STDIO_TERMINAL : BERTH_STDIO_LOG;
		set_log_options(&opts, &rc);
		if (berth_container_create(&c, cli_ctx(), spec, &opts) < 0) {
			code = berr("create");
		} else if (berth_container_status(c) == BERTH_STATUS_CREATED && berth_container_start(c) < 0) {
			berr("start");
			code = start_failure_code();
			berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES);
		} else {
			printf("%s\n", berth_container_id(c));
			code = 0;
		}
		berth_container_free(c);
	} else {
		code = run_attached(spec, &rc);
	}
	berth_spec_free(spec);
	free_cfg(&rc);
	return code;
}

int cmd_create(int argc, char **argv)
{
	struct run_cfg rc;
	parse_run_args(&rc, argc, argv, create_opts, &create_help);
	berth_spec *spec = build_spec(&rc);
	berth_create_options opts = BERTH_CREATE_OPTIONS_INIT;
	berth_container *c = NULL;
	int code = 0;

	/* The container outlives this program: its monitor supervises it. */
	opts.name = rc.name;
	opts.flags = BERTH_CREATE_DETACH | (rc.rm ? BERTH_CREATE_REMOVE : 0);
	opts.stdio_mode = rc.tty ? BERTH_STDIO_TERMINAL : BERTH_STDIO_LOG;
	set_log_options(&opts, &rc);
	if (berth_container_create(&c, cli_ctx(), spec, &opts) < 0)
		code = berr("create");
	else
		printf("%s\n", berth_container_id(c));
	berth_container_free(c);
	berth_spec_free(spec);
	free_cfg(&rc);
	return code;
}

/* ------------------------------------------------------------------ start */

struct attach_state {
	berth_container *c;
};

static void attach_forward(int sig, void *payload)
{
	struct attach_state *a = payload;
	berth_container_kill(a->c, sig, 0);
}

static int attach_done(void *payload)
{
	struct attach_state *a = payload;
	if (berth_container_refresh(a->c) < 0)
		return 1;
	return berth_container_status(a->c) == BERTH_STATUS_STOPPED;
}

/* Attaches to a running container's terminal (attach, start -a). Returns the
 * exit code, or -1 when detached with Ctrl-P Ctrl-Q. */
/* The terminal relay of an attached client (fd and lease from berth_container_attach). */
static int attach_relay(berth_container *c, int fd, int lease, int with_stdin)
{
	signals_catch(1);
	term_copy_winsize(fd);
	int raw = with_stdin && term_raw(STDIN_FILENO) == 0;
	struct attach_state a = { c };
	struct relay r = { fd, with_stdin ? STDIN_FILENO : -1, STDOUT_FILENO, 0, 1, with_stdin && !raw,
		           attach_forward, attach_done, &a };
	int end = relay_run(&r);
	term_restore();
	close(fd);
	close(lease);
	if (end == RELAY_DETACHED) {
		fputs("\r\n", stderr);
		return -1;
	}
	if (end == RELAY_ERROR)
		return EXIT_BERTH;
	int code = 0;
	if (berth_container_wait(&code, NULL, c, 10000) < 0)
		return berr("wait");
	return code;
}

int attach_terminal(berth_container *c, int with_stdin, int64_t log_since_ns)
{
	int fd, lease;
	if (berth_container_attach(&fd, &lease, c) < 0)
		return -2;
	if (log_since_ns > 0)
		follow_log(c, log_since_ns, 0); /* what it wrote before we attached */
	return attach_relay(c, fd, lease, with_stdin);
}

#define START_NOTE                                                                                           \
	"A running container whose monitor died (STATUS \"(unsupervised)\" in berth ps)\n"                         \
	"gets a new one: its 127.0.0.1 ports are served again and its exit is\n"                                   \
	"recorded and cleaned up."

int cmd_start(int argc, char **argv)
{
	enum { S_ATTACH = 1, S_INTERACTIVE };
	static const struct cli_opt opts[] = {
		{ S_ATTACH, 'a', "attach", OPT_BOOL, NULL, "Attach to the output and wait; exit with the container's code" },
		{ S_INTERACTIVE, 'i', "interactive", OPT_BOOL, NULL, "Attach stdin (containers with a terminal)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = { "start", "[OPTIONS] CONTAINER [CONTAINER...]",
		                                  "Start one or more created containers", START_NOTE };
	struct opt_state st;
	const char *arg;
	int id, attach = 0, interactive = 0, rc = 0;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == S_ATTACH)
			attach = opt_true(arg);
		else if (id == S_INTERACTIVE)
			interactive = opt_true(arg);
	}
	if (st.ind >= argc)
		usage_error("start", "requires at least 1 argument");
	if ((attach || interactive) && argc - st.ind > 1)
		usage_error("start", "you cannot start and attach multiple containers at once");
	for (int i = st.ind; i < argc; i++) {
		berth_container *c;
		if (open_container(&c, argv[i]) < 0) {
			rc = EXIT_BERTH;
			continue;
		}
		int64_t since = now_ns();
		if (berth_container_status(c) != BERTH_STATUS_CREATED && !berth_container_supervised(c) &&
		    berth_container_status(c) != BERTH_STATUS_STOPPED && !attach && !interactive) {
			/* running without its monitor (killed): a new one adopts it */
			if (berth_container_supervise(c) < 0)
				rc = berr(argv[i]);
			else
				printf("%s\n", argv[i]);
		} else if (berth_container_start(c) < 0) {
			rc = berr(argv[i]);
		} else if (attach || interactive) {
			int code = attach_terminal(c, interactive, since);
			int e = code == -2 ? berth_error_last()->code : 0;
			if (e == BERTH_EUNSUPPORTED || e == BERTH_ESTATE) {
				/* no terminal, or it has already stopped: its output is in the log */
				code = follow_log(c, since, 1);
				if (code == 0 && berth_container_wait(&code, NULL, c, 10000) < 0)
					code = berr("wait");
			} else if (code == -2) {
				code = berr(argv[i]);
			}
			rc = code < 0 ? 0 : code;
		} else {
			printf("%s\n", argv[i]);
		}
		berth_container_free(c);
	}
	return rc;
}
