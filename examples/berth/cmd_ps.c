/* berth ps, inspect, info. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* --------------------------------------------------------------- templates */

/* Renders a Go-template-like format: "{{.a.b}}", "{{json .a}}", "{{.}}";
 * "\t" and "\n" written as two characters become a tab and a newline.
 * Strings print raw, other values as compact JSON. -1 on a bad template. */
int render_template(FILE *f, const char *tmpl, const struct jval *v, const char *cmd)
{
	const char *p = tmpl;
	while (*p) {
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			fputc(p[1] == 't' ? '\t' : '\n', f);
			p += 2;
			continue;
		}
		if (p[0] != '{' || p[1] != '{') {
			fputc(*p++, f);
			continue;
		}
		const char *end = strstr(p, "}}");
		if (!end)
			usage_error(cmd, "--format: unclosed {{ in \"%s\"", tmpl);
		char *expr = xmalloc((size_t)(end - p - 2) + 1);
		memcpy(expr, p + 2, (size_t)(end - p - 2));
		expr[end - p - 2] = '\0';
		char *e = expr;
		while (*e == ' ')
			e++;
		int as_json = 0;
		if (!strncmp(e, "json ", 5)) {
			as_json = 1;
			e += 5;
			while (*e == ' ')
				e++;
		}
		size_t n = strlen(e);
		while (n && e[n - 1] == ' ')
			e[--n] = '\0';
		if (*e != '.')
			usage_error(cmd, "--format: unsupported expression \"{{%s}}\" (use {{.Field}} or {{json .Field}})", expr);
		const struct jval *cur = v;
		char *save = NULL;
		for (char *k = strtok_r(e + 1, ".", &save); k && cur; k = strtok_r(NULL, ".", &save)) {
			const struct jval *next = json_get(cur, k);
			if (!next && cur->type == J_OBJECT) {
				/* Docker-style capitalised names match lower-case keys. */
				for (size_t i = 0; i < cur->n && !next; i++)
					if (!strcasecmp(cur->keys[i], k))
						next = cur->items[i];
			}
			cur = next;
		}
		if (!cur)
			fputs(as_json ? "null" : "<no value>", f);
		else if (cur->type == J_STRING && !as_json)
			fputs(cur->str, f);
		else
			json_print(f, cur, -1, 0);
		free(expr);
		p = end + 2;
	}
	return 0;
}

/* ---------------------------------------------------------------------- ps */

struct row {
	char *id, *name, *state, *command, *ports;
	double created, started, finished;
	long long exit_code, pid;
	int oom_killed;
	int unsupervised; /* running, its monitor gone */
};

static int by_created_desc(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->id, y->id);
}

/* Docker's ellipsis: at most max characters (UTF-8 aware), the last one "…". */
static char *ellipsis(const char *s, size_t max)
{
	size_t chars = 0, i;
	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
	if (chars <= max)
		return xstrdup(s);
	size_t keep = 0;
	chars = 0;
	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max - 1)
				break;
			chars++;
		}
		keep = i + 1;
	}
	return xasprintf("%.*s\xe2\x80\xa6", (int)keep, s);
}

/* A double-quoted string with the escapes of Go's strconv.Quote (enough of them). */
static char *quote(const char *s)
{
	size_t cap = strlen(s) * 4 + 3, n = 0;
	char *q = xmalloc(cap);
	q[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			q[n++] = '\\';
			q[n++] = (char)*p;
		} else if (*p == '\n') {
			q[n++] = '\\', q[n++] = 'n';
		} else if (*p == '\t') {
			q[n++] = '\\', q[n++] = 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			n += (size_t)sprintf(q + n, "\\x%02x", *p);
		} else {
			q[n++] = (char)*p;
		}
	}
	q[n++] = '"';
	q[n] = '\0';
	return q;
}

static char *command_of(const struct jval *info)
{
	const struct jval *args = json_get(json_get(json_get(info, "config"), "process"), "args");
	size_t len = 0;
	if (!args || args->type != J_ARRAY)
		return xstrdup("");
	for (size_t i = 0; i < args->n; i++)
		if (args->items[i]->type == J_STRING)
			len += strlen(args->items[i]->str) + 1;
	char *s = xmalloc(len + 1);
	s[0] = '\0';
	for (size_t i = 0; i < args->n; i++) {
		if (args->items[i]->type != J_STRING)
			continue;
		if (s[0])
			strcat(s, " ");
		strcat(s, args->items[i]->str);
	}
	return s;
}

static void status_text(char *buf, size_t len, const struct row *r, double now)
{
	char d[64];
	if (!strcmp(r->state, "running") || !strcmp(r->state, "paused")) {
		human_duration(d, sizeof d, r->started > 0 ? now - r->started : 0);
		snprintf(buf, len, "Up %s%s%s", d, !strcmp(r->state, "paused") ? " (Paused)" : "",
		         r->unsupervised ? " (unsupervised)" : "");
	} else if (!strcmp(r->state, "stopped")) {
		if (r->finished > 0) {
			human_duration(d, sizeof d, now - r->finished);
			snprintf(buf, len, "Exited (%lld) %s ago", r->exit_code, d);
		} else {
			snprintf(buf, len, "Exited (%lld)", r->exit_code);
		}
	} else if (!strcmp(r->state, "created")) {
		snprintf(buf, len, "Created");
	} else if (!strcmp(r->state, "creating")) {
		snprintf(buf, len, "Creating");
	} else {
		snprintf(buf, len, "%s", r->state);
	}
}

/* Docker's State column: exited instead of stopped. */
static const char *docker_state(const char *s)
{
	return !strcmp(s, "stopped") ? "exited" : s;
}

static size_t display_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void print_padded(const char *s, size_t width)
{
	fputs(s, stdout);
	for (size_t w = display_width(s); w < width + 3; w++)
		fputc(' ', stdout);
}

static struct jval *row_json(const struct row *r, int trunc, double now)
{
	char status[128], created_at[64], running_for[80], d[64];
	struct jval *o = json_new(J_OBJECT);
	char *cmd = trunc ? ellipsis(r->command, 20) : xstrdup(r->command);
	char *qcmd = quote(cmd);
	time_t t = (time_t)r->created;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(created_at, sizeof created_at, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	human_duration(d, sizeof d, now - r->created);
	snprintf(running_for, sizeof running_for, "%s ago", d);
	status_text(status, sizeof status, r, now);
	char *sid = trunc ? xasprintf("%.12s", r->id) : xstrdup(r->id);
	json_set_str(o, "ID", sid);
	free(sid);
	json_set_str(o, "Names", r->name);
	json_set_str(o, "Command", qcmd);
	json_set_str(o, "CreatedAt", r->created > 0 ? created_at : "");
	json_set_str(o, "RunningFor", r->created > 0 ? running_for : "");
	json_set_str(o, "Status", status);
	json_set_str(o, "Ports", r->ports);
	json_set_str(o, "State", docker_state(r->state));
	json_set_int(o, "Pid", r->pid);
	json_set_int(o, "ExitCode", r->exit_code);
	json_set(o, "OOMKilled", json_new(r->oom_killed ? J_TRUE : J_FALSE));
	free(cmd);
	free(qcmd);
	return o;
}

static int collect_rows(struct row **out, size_t *out_n)
{
	char **ids = NULL;
	struct row *rows = NULL;
	size_t n = 0;
	if (berth_container_list(&ids, cli_ctx()) < 0)
		return berr("list");
	for (char **id = ids; id && *id; id++) {
		berth_container *c;
		if (berth_container_open(&c, cli_ctx(), *id) < 0)
			continue; /* removed meanwhile */
		struct jval *info = inspect_json(c);
		char *ports = info ? ports_text(c) : NULL;
		berth_container_free(c);
		if (!info)
			continue;
		rows = xrealloc(rows, (n + 1) * sizeof *rows);
		struct row *r = &rows[n++];
		const char *s;
		r->id = xstrdup((s = json_get_str(info, "id")) ? s : *id);
		r->name = xstrdup((s = json_get_str(info, "name")) ? s : "");
		r->state = xstrdup((s = json_get_str(info, "status")) ? s : "unknown");
		r->command = command_of(info);
		r->ports = ports;
		r->created = parse_rfc3339(json_get_str(info, "created"));
		r->started = parse_rfc3339(json_get_str(info, "started"));
		r->finished = parse_rfc3339(json_get_str(info, "finished"));
		r->exit_code = json_get_int(info, "exitCode", -1);
		r->pid = json_get_int(info, "pid", 0);
		const struct jval *oom = json_get(info, "oomKilled");
		r->oom_killed = oom && oom->type == J_TRUE;
		const struct jval *sup = json_get(info, "supervised");
		r->unsupervised = sup && sup->type == J_FALSE && strcmp(r->state, "stopped");
		json_free(info);
	}
	berth_free(ids);
	if (n)
		qsort(rows, n, sizeof *rows, by_created_desc);
	*out = rows;
	*out_n = n;
	return 0;
}

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].id);
		free(rows[i].name);
		free(rows[i].state);
		free(rows[i].command);
		free(rows[i].ports);
	}
	free(rows);
}

int cmd_ps(int argc, char **argv)
{
	enum { P_ALL = 1, P_QUIET, P_NO_TRUNC, P_FORMAT };
	static const struct cli_opt opts[] = {
		{ P_ALL, 'a', "all", OPT_BOOL, NULL, "Show all containers (default: running ones)" },
		{ P_QUIET, 'q', "quiet", OPT_BOOL, NULL, "Only display container IDs" },
		{ P_NO_TRUNC, 0, "no-trunc", OPT_BOOL, NULL, "Do not truncate IDs and commands" },
		{ P_FORMAT, 0, "format", OPT_ARG, "FORMAT", "table (default), json (one object per line) or a template: '{{.ID}} {{.Names}}'" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"ps", "[OPTIONS]", "List containers",
		"Fields for json and templates: ID, Names, Command, CreatedAt, RunningFor,\n"
		"Status, State, Pid, ExitCode, OOMKilled, Ports.\n"
	};
	struct opt_state st;
	const char *arg, *format = "table";
	int id, all = 0, quiet = 0, trunc = 1;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		switch (id) {
		case P_ALL: all = opt_true(arg); break;
		case P_QUIET: quiet = opt_true(arg); break;
		case P_NO_TRUNC: trunc = !opt_true(arg); break;
		case P_FORMAT: format = arg; break;
		}
	}
	if (st.ind < argc)
		usage_error("ps", "accepts no arguments");
	int is_json = !strcmp(format, "json") || !strcmp(format, "{{json .}}");
	if (!is_json && strcmp(format, "table") != 0 && !strstr(format, "{{"))
		usage_error("ps", "invalid --format \"%s\": expected table, json or a {{.Field}} template", format);

	struct row *rows;
	size_t n;
	if (collect_rows(&rows, &n) != 0)
		return EXIT_BERTH;
	double now = now_seconds();
	size_t shown = 0;
	struct row **sel = xmalloc((n + 1) * sizeof *sel);
	for (size_t i = 0; i < n; i++)
		if (all || !strcmp(rows[i].state, "running") || !strcmp(rows[i].state, "paused"))
			sel[shown++] = &rows[i];

	if (quiet) {
		for (size_t i = 0; i < shown; i++)
			printf("%.*s\n", trunc ? 12 : (int)strlen(sel[i]->id), sel[i]->id);
	} else if (is_json || strcmp(format, "table") != 0) {
		for (size_t i = 0; i < shown; i++) {
			struct jval *o = row_json(sel[i], trunc, now);
			if (is_json)
				json_print(stdout, o, -1, 0);
			else
				render_template(stdout, format, o, "ps");
			fputc('\n', stdout);
			json_free(o);
		}
	} else {
		static const char *hdr[] = { "CONTAINER ID", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" };
		static const char *keys[] = { "ID", "Command", "RunningFor", "Status", "Ports", "Names" };
		enum { NCOL = 6 };
		struct jval **objs = xmalloc((shown + 1) * sizeof *objs);
		size_t width[NCOL];
		for (int k = 0; k < NCOL; k++)
			width[k] = strlen(hdr[k]);
		for (size_t i = 0; i < shown; i++) {
			objs[i] = row_json(sel[i], trunc, now);
			for (int k = 0; k < NCOL; k++) {
				size_t w = display_width(json_get_str(objs[i], keys[k]));
				if (w > width[k])
					width[k] = w;
			}
		}
		for (int k = 0; k < NCOL - 1; k++)
			print_padded(hdr[k], width[k]);
		printf("%s\n", hdr[NCOL - 1]);
		for (size_t i = 0; i < shown; i++) {
			for (int k = 0; k < NCOL - 1; k++)
				print_padded(json_get_str(objs[i], keys[k]), width[k]);
			printf("%s\n", json_get_str(objs[i], keys[NCOL - 1]));
			json_free(objs[i]);
		}
		free(objs);
	}
	free(sel);
	free_rows(rows, n);
	return 0;
}

/* ----------------------------------------------------------------- inspect */

int cmd_inspect(int argc, char **argv)
{
	enum { I_FORMAT = 1 };
	static const struct cli_opt opts[] = {
		{ I_FORMAT, 'f', "format", OPT_ARG, "TEMPLATE", "Print a template per container: '{{.status}} {{.pid}}', '{{json .config.process}}'" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"inspect", "[OPTIONS] CONTAINER [CONTAINER...]", "Display detailed information on containers",
		"Prints a JSON array: per container its id, name, status, pid, created,\n"
		"started, finished (RFC 3339), exitCode, signal and config (the OCI spec).\n"
	};
	struct opt_state st;
	const char *arg, *format = NULL;
	int id, rc = 0;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		format = arg;
	if (st.ind >= argc)
		usage_error("inspect", "requires at least 1 container argument");
	struct jval *arr = json_new(J_ARRAY);
	for (int i = st.ind; i < argc; i++) {
		berth_container *c;
		if (berth_container_open(&c, cli_ctx(), argv[i]) < 0) {
			/* not a container: an image? */
			int code = berth_error_last()->code;
			char cmsg[512];
			snprintf(cmsg, sizeof cmsg, "%s", berth_error_last()->message);
			/* EINVAL: not a container name ("127.0.0.1:5000/a:1"), maybe a reference */
			struct jval *iv = code == BERTH_ENOTFOUND || code == BERTH_EINVAL ? image_inspect_json(argv[i]) : NULL;
			if (!iv) {
				int icode = berth_error_last()->code;
				if (code == BERTH_ENOTFOUND && icode == BERTH_ENOTFOUND)
					warnx_("no such object: %s", argv[i]);
				else if (code == BERTH_EINVAL && icode != BERTH_ENOTFOUND)
					warnx_("%s: %s", argv[i], cmsg);
				else
					berr(argv[i]);
				rc = EXIT_BERTH;
				continue;
			}
			if (format) {
				render_template(stdout, format, iv, "inspect");
				fputc('\n', stdout);
				json_free(iv);
			} else
				json_append(arr, iv);
			continue;
		}
		struct jval *v = inspect_json(c);
		berth_container_free(c);
		if (!v) {
			rc = EXIT_BERTH;
			continue;
		}
		if (format) {
			render_template(stdout, format, v, "inspect");
			fputc('\n', stdout);
			json_free(v);
		} else {
			json_append(arr, v);
		}
	}
	if (!format) {
		json_print(stdout, arr, 4, 0);
		fputc('\n', stdout);
	}
	json_free(arr);
	return rc;
}

/* -------------------------------------------------------------------- info */

static char *os_pretty_name(void)
{
	char *text, *r = NULL;
	if (read_file(&text, NULL, "/etc/os-release") < 0 && read_file(&text, NULL, "/usr/lib/os-release") < 0)
		return xstrdup("unknown");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		char *v = line + 12;
		size_t n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		r = xstrdup(v);
		break;
	}
	free(text);
	return r ? r : xstrdup("unknown");
}

/* "1" on v1 and hybrid hosts (the controllers are on v1), "2" on v2. */
static const char *cgroup_version(int mode)
{
	if (mode == BERTH_CGROUP_V1 || mode == BERTH_CGROUP_HYBRID)
		return "1";
	if (mode == BERTH_CGROUP_V2)
		return "2";
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) < 0)
		return "unknown";
	if (sf.f_type == CGROUP2_SUPER_MAGIC)
		return "2";
	if (sf.f_type == TMPFS_MAGIC)
		return "1";
	return "unknown";
}

int cmd_info(int argc, char **argv)
{
	enum { F_FORMAT = 1 };
	static const struct cli_opt opts[] = {
		{ F_FORMAT, 'f', "format", OPT_ARG, "FORMAT", "json, or a template: '{{.RunRoot}}'" },
		{ 0 }
	};
	static const struct cli_cmd_help help = { "info", "[OPTIONS]", "Display system-wide information", NULL };
	struct opt_state st;
	const char *arg, *format = NULL;
	int id;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		format = arg;
	if (st.ind < argc)
		usage_error("info", "accepts no arguments");

	berth_ctx *ctx = cli_ctx();
	struct row *rows;
	size_t n, running = 0, paused = 0, stopped = 0, created = 0;
	if (collect_rows(&rows, &n) != 0)
		return EXIT_BERTH;
	for (size_t i = 0; i < n; i++) {
		const char *s = rows[i].state;
		running += !strcmp(s, "running");
		paused += !strcmp(s, "paused");
		stopped += !strcmp(s, "stopped");
		created += !strcmp(s, "created") || !strcmp(s, "creating");
	}
	free_rows(rows, n);

	struct utsname u;
	struct sysinfo si;
	char host[256] = "";
	uname(&u);
	gethostname(host, sizeof host - 1);
	long long mem = sysinfo(&si) == 0 ? (long long)si.totalram * si.mem_unit : 0;
	char *os = os_pretty_name();

	struct jval *o = json_new(J_OBJECT);
	json_set_str(o, "Version", BERTH_VERSION_STRING);
	json_set_str(o, "LibraryVersion", berth_version());
	json_set_str(o, "Root", berth_ctx_root(ctx));
	json_set_str(o, "RunRoot", berth_ctx_run_root(ctx));
	json_set_int(o, "Containers", (long long)n);
	json_set_int(o, "ContainersRunning", (long long)running);
	json_set_int(o, "ContainersPaused", (long long)paused);
	json_set_int(o, "ContainersStopped", (long long)stopped);
	json_set_int(o, "ContainersCreated", (long long)created);
	json_set_str(o, "KernelVersion", u.release);
	json_set_str(o, "OperatingSystem", os);
	json_set_str(o, "OSType", "linux");
	json_set_str(o, "Architecture", u.machine);
	int cg_mode = BERTH_CGROUP_NONE;
	if (berth_cgroup_mode_detect(&cg_mode) < 0)
		cg_mode = -1;
	const char *cg_name = cg_mode >= 0 ? berth_cgroup_mode_name(cg_mode) : NULL;
	json_set_str(o, "CgroupDriver", "cgroupfs");
	/* no cgroup file system visible (a private /sys, as under `ip netns
	 * exec`): containers run without limits, stats or pause */
	int no_cg = cg_mode == BERTH_CGROUP_NONE;
	json_set_str(o, "CgroupVersion", no_cg ? "unavailable" : cgroup_version(cg_mode));
	json_set_str(o, "CgroupMode", no_cg ? "unavailable" : cg_name ? cg_name : "unknown");
	struct jval *warnings = json_new(J_ARRAY);
	if (no_cg) {
		struct jval *w = json_new(J_STRING);
		w->str = xstrdup("No cgroup file system is mounted at /sys/fs/cgroup (a private /sys, as under "
		                 "'ip netns exec'?): containers get no limits, stats or pause");
		json_append(warnings, w);
	}
	json_set(o, "Warnings", warnings);
	json_set_int(o, "NCPU", sysconf(_SC_NPROCESSORS_ONLN));
	json_set_int(o, "MemTotal", mem);
	json_set_str(o, "Name", host);
	free(os);

	if (format && !strcmp(format, "json")) {
		json_print(stdout, o, -1, 0);
		fputc('\n', stdout);
	} else if (format) {
		render_template(stdout, format, o, "info");
		fputc('\n', stdout);
	} else {
		static const struct {
			const char *label, *key;
		} lines[] = {
			{ "Version", "Version" },
			{ "Library version", "LibraryVersion" },
			{ "Root", "Root" },
			{ "Run root", "RunRoot" },
			{ "Containers", "Containers" },
			{ " Running", "ContainersRunning" },
			{ " Paused", "ContainersPaused" },
			{ " Stopped", "ContainersStopped" },
			{ " Created", "ContainersCreated" },
			{ "Kernel version", "KernelVersion" },
			{ "Operating system", "OperatingSystem" },
			{ "OS type", "OSType" },
			{ "Architecture", "Architecture" },
			{ "Cgroup driver", "CgroupDriver" },
			{ "Cgroup version", "CgroupVersion" },
			{ "Cgroup mode", "CgroupMode" },
			{ "CPUs", "NCPU" },
			{ "Total memory", "MemTotal" },
			{ "Name", "Name" },
		};
		for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
			const struct jval *v = json_get(o, lines[i].key);
			char label[64];
			snprintf(label, sizeof label, "%s:", lines[i].label);
			if (!strcmp(lines[i].key, "MemTotal"))
				printf("%-18s %.2fGiB\n", label, (double)mem / (1024.0 * 1024 * 1024));
			else
				printf("%-18s %s\n", label, v->str);
		}
		for (size_t i = 0; i < warnings->n; i++)
			fprintf(stderr, "WARNING: %s\n", warnings->items[i]->str);
	}
	json_free(o);
	return 0;
}
