/* berth logs; printing a container's log (attach, start -a). SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct log_print {
	int timestamps;
	int at_line_start[3]; /* per stream: the next record starts a line (for -t) */
};

static int print_record(const berth_log_record *rec, void *payload)
{
	struct log_print *p = payload;
	int fd = rec->stream == BERTH_LOG_STDERR ? STDERR_FILENO : STDOUT_FILENO;
	if (p->timestamps && p->at_line_start[rec->stream]) {
		/* RFC 3339 with nanoseconds, as docker logs -t */
		char ts[64];
		time_t secs = (time_t)(rec->time_ns / 1000000000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + n, sizeof ts - n, ".%09lldZ ", (long long)(rec->time_ns % 1000000000));
		if (write_all(fd, ts, strlen(ts)) < 0)
			return -1;
	}
	p->at_line_start[rec->stream] = !(rec->flags & BERTH_LOG_PARTIAL);
	return write_all(fd, rec->data, rec->len) < 0 ? -1 : 0;
}

static int print_log(berth_container *c, const berth_log_read_options *o, int timestamps)
{
	struct log_print p = { timestamps, { 1, 1, 1 } };
	if (berth_container_logs(c, o, print_record, &p) < 0) {
		if (errno == EPIPE)
			return EXIT_BERTH;
		return berr("logs");
	}
	return 0;
}

int follow_log(berth_container *c, int64_t since_ns, int follow)
{
	berth_log_read_options o = BERTH_LOG_READ_OPTIONS_INIT;
	o.since_ns = since_ns;
	o.flags = follow ? BERTH_LOG_FOLLOW : 0;
	return print_log(c, &o, 0);
}

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t log_time(const char *flag, const char *text)
{
	int64_t ns;
	if (berth_log_parse_time(&ns, text, 0) < 0)
		usage_error("logs", "%s: %s", flag, berth_error_last()->message);
	return ns;
}

int cmd_logs(int argc, char **argv)
{
	enum { L_FOLLOW = 1, L_TAIL, L_SINCE, L_UNTIL, L_TIMESTAMPS };
	static const struct cli_opt opts[] = {
		{ L_FOLLOW, 'f', "follow", OPT_BOOL, NULL, "Follow the output until the container stops" },
		{ L_TAIL, 'n', "tail", OPT_ARG, "N", "Only the last N lines (default all)" },
		{ L_SINCE, 0, "since", OPT_ARG, "TIME", "Only what was written since TIME (2026-12-07T20:00:00Z, 10m, unix seconds)" },
		{ L_UNTIL, 0, "until", OPT_ARG, "TIME", "Only what was written before TIME (as --since)" },
		{ L_TIMESTAMPS, 't', "timestamps", OPT_BOOL, NULL, "Show the time of each line (RFC 3339, ns)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container",
		"The log holds the stdout and stderr of a container (run -d, create, or run\n"
		"without --rm), kept by its monitor and rotated by size (--log-opt). stdout\n"
		"lines are written to stdout, stderr lines to stderr.\n"
	};
	struct opt_state st;
	const char *arg;
	int id, timestamps = 0;
	berth_log_read_options o = BERTH_LOG_READ_OPTIONS_INIT;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == L_FOLLOW) {
			o.flags = opt_true(arg) ? BERTH_LOG_FOLLOW : 0;
		} else if (id == L_TIMESTAMPS) {
			timestamps = opt_true(arg);
		} else if (id == L_SINCE) {
			o.since_ns = log_time("--since", arg);
		} else if (id == L_UNTIL) {
			o.until_ns = log_time("--until", arg);
		} else if (strcmp(arg, "all") != 0) {
			uint64_t n;
			if (parse_uint64(&n, arg) < 0 || n > (1ull << 40))
				usage_error("logs", "invalid --tail \"%s\": expected a number or all", arg);
			o.tail = (int64_t)n;
		}
	}
	if (argc - st.ind != 1)
		usage_error("logs", "requires exactly 1 container argument");
	berth_container *c;
	if (open_container(&c, argv[st.ind]) < 0)
		return EXIT_BERTH;
	int rc = print_log(c, &o, timestamps);
	berth_container_free(c);
	return rc;
}
