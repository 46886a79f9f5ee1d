/* berth stats, update, pause, unpause. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

/* ------------------------------------------------------------------ stats */

struct sample {
	int ok;                   /* stats were read */
	berth_cgroup_stats st;
	double t;                 /* monotonic seconds */
};

struct target {
	berth_container *c;
	char *id, *name, *given; /* given: as named on the command line (or the id) */
	struct sample prev, cur;
	int gone;                 /* removed meanwhile */
	int no_cgroup;            /* runs without a cgroup: nothing to measure */
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void take_sample(struct target *t)
{
	t->prev = t->cur;
	memset(&t->cur, 0, sizeof t->cur);
	t->cur.st.version = BERTH_CGROUP_STATS_VERSION;
	t->cur.t = mono_now();
	if (t->gone)
		return;
	if (berth_container_stats(&t->cur.st, t->c) == 0) {
		t->cur.ok = 1;
		return;
	}
	memset(&t->cur.st, 0, sizeof t->cur.st);
	if (berth_error_last()->code == BERTH_ENOTFOUND)
		t->gone = 1;
	if (berth_error_last()->code == BERTH_EUNSUPPORTED && !t->no_cgroup) {
		/* said once; its numbers show as -- rather than zeros */
		fprintf(stderr, "berth: %s\n", berth_error_last()->message);
		t->no_cgroup = 1;
	}
}

/* The machine's memory: the limit shown for containers without one. */
static long long host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	if (pages > 0 && psize > 0)
		return (long long)pages * psize;
	struct sysinfo si;
	return sysinfo(&si) == 0 ? (long long)si.totalram * (long long)si.mem_unit : 0;
}

static void set_num(struct jval *o, const char *key, double v)
{
	struct jval *n = json_new(J_NUMBER);
	n->str = xasprintf("%.2f", v);
	json_set(o, key, n);
}

/* A container without a cgroup: its measured fields read "--", not zeros. */
static void unmeasured(struct jval *o)
{
	static const char *const keys[] = { "BlockIO", "CPUPerc", "MemPerc", "MemUsage", "PIDs" };
	for (size_t i = 0; i < o->n; i++)
		for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
			if (!strcmp(o->keys[i], keys[k])) {
				free(o->items[i]->str);
				o->items[i]->str = xstrdup("--");
			}
}

/* One container's row, with docker's fields (strings) and the raw numbers. */
static struct jval *stats_json(const struct target *t, int trunc)
{
	const berth_cgroup_stats *s = &t->cur.st;
	double cpu = 0, mem_pct = 0;
	long long total = host_memory();
	long long limit = s->memory_limit;
	char a[32], b[32], buf[96];
	struct jval *o = json_new(J_OBJECT);

	if (t->cur.ok && t->prev.ok && t->cur.t > t->prev.t && s->cpu_usage_ns >= t->prev.st.cpu_usage_ns)
		cpu = (double)(s->cpu_usage_ns - t->prev.st.cpu_usage_ns) / ((t->cur.t - t->prev.t) * 1e9) * 100.0;
	if (!t->cur.ok)
		limit = 0;
	else if (limit < 0 || (total > 0 && limit > total))
		limit = total; /* unlimited: the machine's memory, as docker */
	if (limit > 0)
		mem_pct = (double)s->memory_usage / (double)limit * 100.0;

	/* docker's fields, in its (alphabetical) order */
	char *sid = trunc ? xasprintf("%.12s", t->id) : xstrdup(t->id);
	size_decimal(a, sizeof a, (double)s->io_read_bytes);
	size_decimal(b, sizeof b, (double)s->io_write_bytes);
	snprintf(buf, sizeof buf, "%s / %s", a, b);
	json_set_str(o, "BlockIO", buf);
	snprintf(buf, sizeof buf, "%.2f%%", cpu);
	json_set_str(o, "CPUPerc", buf);
	json_set_str(o, "Container", t->given);
	json_set_str(o, "ID", sid);
	snprintf(buf, sizeof buf, "%.2f%%", mem_pct);
	json_set_str(o, "MemPerc", buf);
	size_binary(a, sizeof a, (double)s->memory_usage);
	size_binary(b, sizeof b, (double)limit);
	snprintf(buf, sizeof buf, "%s / %s", a, b);
	json_set_str(o, "MemUsage", buf);
	json_set_str(o, "Name", *t->name ? t->name : "--");
	json_set_str(o, "NetIO", "--");
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->pids_current);
	json_set_str(o, "PIDs", buf);
	/* raw numbers */
	set_num(o, "CPUPercent", cpu);
	set_num(o, "MemPercent", mem_pct);
	json_set_int(o, "CPUUsageNs", (long long)s->cpu_usage_ns);
	json_set_int(o, "CPUUserNs", (long long)s->cpu_user_ns);
	json_set_int(o, "CPUSystemNs", (long long)s->cpu_system_ns);
	json_set_int(o, "CPUThrottledPeriods", (long long)s->cpu_throttled_periods);
	json_set_int(o, "CPUThrottledNs", (long long)s->cpu_throttled_ns);
	json_set_int(o, "MemoryUsage", (long long)s->memory_usage);
	json_set_int(o, "MemoryPeak", (long long)s->memory_peak);
	json_set_int(o, "MemoryLimit", t->cur.ok ? (long long)s->memory_limit : 0);
	json_set_int(o, "MemoryOOMKills", (long long)s->memory_oom_kills);
	json_set_int(o, "PidsCurrent", (long long)s->pids_current);
	json_set_int(o, "PidsLimit", t->cur.ok ? (long long)s->pids_limit : 0);
	json_set_int(o, "BlockRead", (long long)s->io_read_bytes);
	json_set_int(o, "BlockWrite", (long long)s->io_write_bytes);
	json_set_int(o, "BlockReadOps", (long long)s->io_read_ops);
	json_set_int(o, "BlockWriteOps", (long long)s->io_write_ops);
	free(sid);
	if (t->no_cgroup)
		unmeasured(o);
	return o;
}

static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void print_cell(const char *s, size_t width)
{
	fputs(s, stdout);
	for (size_t w = text_width(s); w < width + 3; w++)
		fputc(' ', stdout);
}

static void print_table(struct jval **rows, size_t n)
{
	static const char *hdr[] = { "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
		                     "BLOCK I/O", "PIDS" };
	static const char *keys[] = { "ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs" };
	enum { NCOL = 8 };
	size_t width[NCOL];
	for (int k = 0; k < NCOL; k++) {
		width[k] = strlen(hdr[k]);
		for (size_t i = 0; i < n; i++) {
			size_t w = text_width(json_get_str(rows[i], keys[k]));
			if (w > width[k])
				width[k] = w;
		}
	}
	for (int k = 0; k < NCOL - 1; k++)
		print_cell(hdr[k], width[k]);
	printf("%s\n", hdr[NCOL - 1]);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < NCOL - 1; k++)
			print_cell(json_get_str(rows[i], keys[k]), width[k]);
		printf("%s\n", json_get_str(rows[i], keys[NCOL - 1]));
	}
}

struct targets {
	struct target *v;
	size_t n;
};

static void targets_free(struct targets *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		berth_container_free(ts->v[i].c);
		free(ts->v[i].id);
		free(ts->v[i].name);
		free(ts->v[i].given);
	}
	free(ts->v);
	ts->v = NULL;
	ts->n = 0;
}

static struct target *targets_find(struct targets *ts, const char *id)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->v[i].id, id))
			return &ts->v[i];
	return NULL;
}

static void targets_add(struct targets *ts, berth_container *c, const char *given)
{
	ts->v = xrealloc(ts->v, (ts->n + 1) * sizeof *ts->v);
	struct target *t = &ts->v[ts->n++];
	memset(t, 0, sizeof *t);
	t->c = c;
	t->id = xstrdup(berth_container_id(c));
	t->name = xstrdup(berth_container_name(c));
	t->given = xstrdup(given ? given : t->id);
}

static int is_live(int status)
{
	return status == BERTH_STATUS_RUNNING || status == BERTH_STATUS_PAUSED;
}

/* Without ids: every running (or with all, every) container. Keeps the
 * samples of containers already in ts, drops the ones gone. */
static int targets_refresh(struct targets *ts, int all)
{
	char **ids = NULL;
	if (berth_container_list(&ids, cli_ctx()) < 0)
		return berr("list");
	struct targets next = { NULL, 0 };
	for (char **id = ids; id && *id; id++) {
		struct target *old = targets_find(ts, *id);
		berth_container *c = NULL;
		if (old) {
			c = old->c;
			if (berth_container_refresh(c) < 0)
				continue; /* removed meanwhile */
			if (!all && !is_live(berth_container_status(c)))
				continue;
			next.v = xrealloc(next.v, (next.n + 1) * sizeof *next.v);
			next.v[next.n++] = *old;
			old->c = NULL;
			old->id = old->name = old->given = NULL;
			continue;
		}
		if (berth_container_open(&c, cli_ctx(), *id) < 0)
			continue;
		if (!all && !is_live(berth_container_status(c))) {
			berth_container_free(c);
			continue;
		}
		targets_add(&next, c, NULL);
	}
	berth_free(ids);
	targets_free(ts);
	*ts = next;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

int cmd_stats(int argc, char **argv)
{
	enum { S_ALL = 1, S_NO_STREAM, S_FORMAT, S_NO_TRUNC };
	static const struct cli_opt opts[] = {
		{ S_ALL, 'a', "all", OPT_BOOL, NULL, "Show all containers (default: running ones)" },
		{ S_NO_STREAM, 0, "no-stream", OPT_BOOL, NULL, "Print one sample and exit (instead of refreshing every second)" },
		{ S_FORMAT, 0, "format", OPT_ARG, "FORMAT", "table (default), json (one object per line) or a template: '{{.Name}} {{.CPUPerc}}'" },
		{ S_NO_TRUNC, 0, "no-trunc", OPT_BOOL, NULL, "Do not truncate IDs" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"stats", "[OPTIONS] [CONTAINER...]", "Display a live stream of container resource usage statistics",
		"Without containers: every running (and paused) one, or every one with -a.\n"
		"CPU % is the CPU time used over the wall time between two samples (100% is\n"
		"one CPU); MEM LIMIT is the machine's memory when the container has no limit.\n"
		"NET I/O is not measured yet (\"--\"). Streaming refreshes every second until\n"
		"Ctrl-C; --no-stream prints one sample (taken over half a second) and exits.\n"
		"\n"
		"Fields for json and templates: ID, Name, Container, CPUPerc, MemUsage,\n"
		"MemPerc, NetIO, BlockIO, PIDs, and the raw numbers CPUPercent, MemPercent,\n"
		"CPUUsageNs, CPUUserNs, CPUSystemNs, CPUThrottledPeriods, CPUThrottledNs,\n"
		"MemoryUsage, MemoryPeak, MemoryLimit (-1: unlimited), MemoryOOMKills,\n"
		"PidsCurrent, PidsLimit (-1: unlimited), BlockRead, BlockWrite, BlockReadOps,\n"
		"BlockWriteOps.\n"
	};
	struct opt_state st;
	const char *arg, *format = "table";
	int id, all = 0, stream = 1, trunc = 1, rc = 0;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		switch (id) {
		case S_ALL: all = opt_true(arg); break;
		case S_NO_STREAM: stream = !opt_true(arg); break;
		case S_FORMAT: format = arg; break;
		case S_NO_TRUNC: trunc = !opt_true(arg); break;
		}
	}
	int is_json = !strcmp(format, "json") || !strcmp(format, "{{json .}}");
	int is_table = !strcmp(format, "table");
	if (!is_json && !is_table && !strstr(format, "{{"))
		usage_error("stats", "invalid --format \"%s\": expected table, json or a {{.Field}} template", format);

	struct targets ts = { NULL, 0 };
	int named = st.ind < argc;
	for (int i = st.ind; i < argc; i++) {
		berth_container *c;
		if (open_container(&c, argv[i]) < 0) {
			rc = EXIT_BERTH;
			continue;
		}
		int status = berth_container_status(c);
		if (!is_live(status)) {
			warnx_("container %s is not running (%s)", argv[i], berth_status_name(status));
			berth_container_free(c);
			rc = EXIT_BERTH;
			continue;
		}
		targets_add(&ts, c, argv[i]);
	}
	if (rc != 0) {
		targets_free(&ts);
		return rc;
	}
	if (!named && targets_refresh(&ts, all) != 0)
		return EXIT_BERTH;

	int clear = stream && is_table && isatty(STDOUT_FILENO);
	for (size_t i = 0; i < ts.n; i++)
		take_sample(&ts.v[i]);
	sleep_ms(500);
	for (;;) {
		for (size_t i = 0; i < ts.n; i++)
			take_sample(&ts.v[i]);
		struct jval **rows = xmalloc((ts.n + 1) * sizeof *rows);
		size_t n = 0;
		for (size_t i = 0; i < ts.n; i++)
			if (!ts.v[i].gone || named)
				rows[n++] = stats_json(&ts.v[i], trunc);
		if (clear)
			fputs("\033[2J\033[H", stdout);
		if (is_table) {
			print_table(rows, n);
		} else {
			for (size_t i = 0; i < n; i++) {
				if (is_json)
					json_print(stdout, rows[i], -1, 0);
				else
					render_template(stdout, format, rows[i], "stats");
				fputc('\n', stdout);
			}
		}
		for (size_t i = 0; i < n; i++)
			json_free(rows[i]);
		free(rows);
		fflush(stdout);
		if (!stream || ferror(stdout))
			break;
		sleep_ms(1000);
		if (!named && targets_refresh(&ts, all) != 0) {
			rc = EXIT_BERTH;
			break;
		}
	}
	targets_free(&ts);
	return rc;
}

/* ----------------------------------------------------------------- update */

static int update_one(berth_container *c, const char *name, void *res)
{
	if (berth_container_update(c, res) < 0)
		return berr(name);
	printf("%s\n", name);
	return 0;
}

int cmd_update(int argc, char **argv)
{
	static const struct cli_opt opts[] = { RESOURCE_OPTS, { 0 } };
	static const struct cli_cmd_help help = {
		"update", "[OPTIONS] CONTAINER [CONTAINER...]",
		"Update the resource limits of one or more containers",
		"Changes the limits of created, running or paused containers; options not\n"
		"given keep their value. Sizes are bytes or a number with a unit b, k, m or g\n"
		"(512m, 1g); --memory-swap is memory plus swap (-1: unlimited swap); --cpus N\n"
		"sets a CFS quota of N*100000us per 100000us period. The new limits are kept\n"
		"in the container's configuration.\n"
	};
	struct opt_state st;
	const char *arg;
	struct res_flags rf;
	int id;

	memset(&rf, 0, sizeof rf);
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		res_flag(&rf, id, arg);
	if (st.ind >= argc)
		usage_error("update", "requires at least 1 container argument");
	if (!res_any(&rf))
		usage_error("update", "you must provide one or more flags when using this command");
	berth_cgroup_resources res;
	res_build(&res, &rf, "update", 0);
	/* The same checks as at create, naming the flag, before any container changes. */
	berth_spec *scratch = NULL;
	if (berth_spec_new(&scratch) < 0)
		return berr("spec");
	res_apply(scratch, &res, &rf, "update");
	berth_spec_free(scratch);

	return for_each_container(NULL, argc, argv, st.ind, update_one, &res);
}

/* ---------------------------------------------------------- pause, unpause */

static int pause_one(berth_container *c, const char *name, void *arg)
{
	int pause = *(int *)arg, status = berth_container_status(c);
	if (pause && status == BERTH_STATUS_PAUSED) {
		warnx_("container %s is already paused", name);
		return EXIT_BERTH;
	}
	if (pause && status != BERTH_STATUS_RUNNING) {
		warnx_("container %s is not running (%s)", name, berth_status_name(status));
		return EXIT_BERTH;
	}
	if (!pause && status != BERTH_STATUS_PAUSED) {
		warnx_("container %s is not paused (%s)", name, berth_status_name(status));
		return EXIT_BERTH;
	}
	if ((pause ? berth_container_pause(c) : berth_container_resume(c)) < 0)
		return berr(name);
	printf("%s\n", name);
	return 0;
}

static int pause_or_resume(int argc, char **argv, int pause)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help pause_help = {
		"pause", "CONTAINER [CONTAINER...]", "Pause all processes within one or more containers",
		"The processes are frozen (the cgroup freezer) until 'berth unpause'; 'berth ps'\n"
		"shows \"Up N seconds (Paused)\". exec into a paused container is refused.\n"
	};
	static const struct cli_cmd_help unpause_help = {
		"unpause", "CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers", NULL
	};
	const char *cmd = pause ? "pause" : "unpause";
	struct opt_state st;
	const char *arg;

	opt_init(&st, argc, argv, opts, pause ? &pause_help : &unpause_help);
	while (opt_next(&st, &arg)) {
	}
	return for_each_container(cmd, argc, argv, st.ind, pause_one, &pause);
}

int cmd_pause(int argc, char **argv)
{
	return pause_or_resume(argc, argv, 1);
}

int cmd_unpause(int argc, char **argv)
{
	return pause_or_resume(argc, argv, 0);
}
