/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Container logs (log.h): the monitor reads pipes (the container holds no
 * host file), rotation bounds the disk, records keep the streams apart with
 * ordered nanosecond times, partial lines and any bytes come back as
 * written; since/until/tail/follow; the "none" driver; nothing left after
 * delete (tu_env_cleanup). */
#include "testutil.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static tu_env E;
static void setup(void) { tu_env_init(&E); }
static void teardown(void) { tu_env_cleanup(&E); }

/* Runs sh -c cmd detached with the given log options; waits for its exit. */
static berth_container *run_logged(const char *cmd, const char *driver, int64_t max_size, int max_file)
{
	berth_spec *s = tu_spec_sh(cmd);
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.flags = BERTH_CREATE_DETACH;
	o.stdio_mode = BERTH_STDIO_LOG;
	o.log_driver = driver;
	o.log_max_size = max_size;
	o.log_max_file = max_file;
	berth_container *c;
	tu_ok(berth_container_run(&c, E.ctx, s, &o));
	berth_spec_free(s);
	return c;
}

static void finish(berth_container *c)
{
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 30000));
	ck_assert_int_eq(code, 0);
}

static void done(berth_container *c)
{
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
}

/* Every record: data concatenated per stream ("1:" / "2:" prefixed records
 * in *all when all is given). Checks the times never go back. */
struct collected {
	char *out, *err;
	size_t out_len, err_len, n;
	int64_t first_ts, last_ts;
	unsigned last_flags;
};

static void collect_into(struct collected *k, const berth_log_record *rec)
{
	char **buf = rec->stream == BERTH_LOG_STDOUT ? &k->out : &k->err;
	size_t *len = rec->stream == BERTH_LOG_STDOUT ? &k->out_len : &k->err_len;
	ck_assert_msg(rec->stream == BERTH_LOG_STDOUT || rec->stream == BERTH_LOG_STDERR, "stream %d", rec->stream);
	ck_assert_msg(rec->time_ns >= k->last_ts, "time went back: %lld after %lld", (long long)rec->time_ns,
	              (long long)k->last_ts);
	ck_assert_int_gt(rec->time_ns, 1700000000ll * 1000000000);
	*buf = realloc(*buf, *len + rec->len + 1);
	memcpy(*buf + *len, rec->data, rec->len);
	*len += rec->len;
	(*buf)[*len] = '\0';
	if (!k->n++)
		k->first_ts = rec->time_ns;
	k->last_ts = rec->time_ns;
	k->last_flags = rec->flags;
}

static struct collected collect(berth_container *c, const berth_log_read_options *o)
{
	struct collected k = { 0 };
	k.out = calloc(1, 1);
	k.err = calloc(1, 1);
	berth_log_reader *r;
	tu_ok(berth_log_reader_open(&r, c, o));
	berth_log_record rec = { BERTH_LOG_RECORD_VERSION };
	int n;
	while ((n = berth_log_reader_next(&rec, r, 20000)) > 0)
		collect_into(&k, &rec);
	ck_assert_msg(n == 0, "reading the log: %d %s", n, berth_error_last()->message);
	berth_log_reader_free(r);
	return k;
}

static void collected_free(struct collected *k)
{
	free(k->out);
	free(k->err);
}

/* Sum of the sizes of container.log*; their count in *files, the biggest in *biggest. */
static long long log_bytes(berth_container *c, int *files, long long *biggest)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/containers/%s", E.root, berth_container_id(c));
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	long long sum = 0;
	*files = 0;
	*biggest = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "container.log", 13))
			continue;
		char p[800];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		ck_assert_int_eq(stat(p, &st), 0);
		sum += st.st_size;
		(*files)++;
		if (st.st_size > *biggest)
			*biggest = st.st_size;
	}
	closedir(d);
	return sum;
}

START_TEST(rotation_bounds_the_disk)
{
	/* as fast as it can for 2 s (megabytes), then numbered lines: only
	 * max-size x max-file stays, and it is the newest data */
	berth_container *c = run_logged("timeout 2 yes 0123456789abcdef; seq 1 30000", NULL, 65536, 3);
	finish(c);
	int files;
	long long biggest, sum = log_bytes(c, &files, &biggest);
	ck_assert_int_le(files, 3);
	ck_assert_int_le(biggest, 65536);
	ck_assert_int_le(sum, 3 * 65536);
	struct collected k = collect(c, NULL);
	/* the newest lines, without a gap, end the log */
	ck_assert_msg(k.out_len > 6 && !strcmp(k.out + k.out_len - 12, "29999\n30000\n"), "log ends with: %s",
	              k.out + (k.out_len > 40 ? k.out_len - 40 : 0));
	ck_assert_ptr_null(strstr(k.out, "\n1\n2\n3\n")); /* the oldest went */
	char *tail = strstr(k.out, "\n29000\n");
	ck_assert_ptr_nonnull(tail);
	collected_free(&k);
	/* tail across a rotated file: 4000 lines of ~22 bytes on disk span two
	 * 64 KiB files */
	berth_log_read_options o = BERTH_LOG_READ_OPTIONS_INIT;
	o.tail = 4000;
	k = collect(c, &o);
	ck_assert_msg(!strncmp(k.out, "26001\n26002\n", 12), "tail starts with: %.20s", k.out);
	ck_assert_int_eq(k.out_len, 4000 * 6);
	collected_free(&k);
	done(c);
}
END_TEST

START_TEST(host_log_file_untouched_by_container)
{
	/* the container's fds 1 and 2 are pipes: chmod/chown of them cannot
	 * reach the host's log file */
	berth_container *c = run_logged("chmod 0666 /proc/self/fd/1 /proc/self/fd/2; chown 1234:1234 /proc/self/fd/1; "
	                                "readlink /proc/self/fd/1; echo done",
	                                NULL, 0, 0);
	finish(c);
	struct stat st;
	ck_assert_int_eq(stat(berth_container_log_path(c), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_uid, getuid());
	ck_assert_int_eq(st.st_gid, getgid());
	struct collected k = collect(c, NULL);
	ck_assert_msg(strstr(k.out, "pipe:[") && strstr(k.out, "done\n"), "got: %s", k.out);
	collected_free(&k);
	done(c);
}
END_TEST

START_TEST(streams_apart_times_ordered)
{
	berth_container *c = run_logged("for i in 1 2 3; do echo out$i; echo err$i >&2; done", NULL, 0, 0);
	finish(c);
	struct collected k = collect(c, NULL);
	ck_assert_str_eq(k.out, "out1\nout2\nout3\n");
	ck_assert_str_eq(k.err, "err1\nerr2\nerr3\n");
	ck_assert_int_eq(k.n, 6);
	collected_free(&k);
	done(c);
}
END_TEST

START_TEST(partial_line_and_binary_bytes)
{
	/* NUL, invalid UTF-8, a line without newline at the end */
	berth_container *c = run_logged("printf 'a\\000b\\377\\376c\\n'; printf 'no newline'", NULL, 0, 0);
	finish(c);
	struct collected k = collect(c, NULL);
	static const char want[] = "a\0b\377\376c\nno newline";
	ck_assert_int_eq(k.out_len, sizeof want - 1);
	ck_assert_int_eq(memcmp(k.out, want, sizeof want - 1), 0);
	ck_assert_uint_eq(k.last_flags, BERTH_LOG_PARTIAL);
	collected_free(&k);
	done(c);
}
END_TEST

START_TEST(since_until_tail)
{
	berth_container *c = run_logged("echo a; sleep 0.3; echo b; sleep 0.3; echo c", NULL, 0, 0);
	finish(c);
	/* the time of b */
	berth_log_read_options o = BERTH_LOG_READ_OPTIONS_INIT;
	o.tail = 2;
	struct collected k = collect(c, &o);
	ck_assert_str_eq(k.out, "b\nc\n");
	int64_t tb = k.first_ts, tc = k.last_ts;
	collected_free(&k);
	o.tail = 0;
	k = collect(c, &o);
	ck_assert_str_eq(k.out, "");
	collected_free(&k);
	o.tail = 100;
	k = collect(c, &o);
	ck_assert_str_eq(k.out, "a\nb\nc\n");
	collected_free(&k);
	o.tail = -1;
	o.since_ns = tb;
	o.until_ns = tb;
	k = collect(c, &o);
	ck_assert_str_eq(k.out, "b\n");
	collected_free(&k);
	o.since_ns = tc;
	o.until_ns = 0;
	k = collect(c, &o);
	ck_assert_str_eq(k.out, "c\n");
	collected_free(&k);
	done(c);
}
END_TEST

START_TEST(follow_until_exit)
{
	berth_container *c = run_logged("echo first; sleep 1; echo second", NULL, 0, 0);
	berth_log_read_options o = BERTH_LOG_READ_OPTIONS_INIT;
	o.flags = BERTH_LOG_FOLLOW;
	berth_log_reader *r;
	tu_ok(berth_log_reader_open(&r, c, &o));
	berth_log_record rec = { BERTH_LOG_RECORD_VERSION };
	ck_assert_int_eq(berth_log_reader_next(&rec, r, 10000), 1);
	ck_assert_int_eq(rec.len, 6);
	ck_assert_int_eq(memcmp(rec.data, "first\n", 6), 0);
	/* nothing new for 200 ms: a timeout, and the reading goes on */
	ck_assert_int_eq(berth_log_reader_next(&rec, r, 200), BERTH_ETIMEOUT);
	ck_assert_int_eq(berth_log_reader_next(&rec, r, 10000), 1);
	ck_assert_int_eq(memcmp(rec.data, "second\n", 7), 0);
	/* the container exits: the end */
	ck_assert_int_eq(berth_log_reader_next(&rec, r, 10000), 0);
	berth_log_reader_free(r);
	finish(c);
	done(c);
}
END_TEST

START_TEST(driver_none_keeps_no_log)
{
	berth_container *c = run_logged("echo hidden", "none", 0, 0);
	finish(c);
	ck_assert_str_eq(berth_container_log_path(c), "");
	char p[512];
	snprintf(p, sizeof p, "%s/containers/%s/container.log", E.root, berth_container_id(c));
	ck_assert_int_ne(access(p, F_OK), 0);
	berth_log_reader *r = NULL;
	ck_assert_int_eq(berth_log_reader_open(&r, c, NULL), BERTH_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "\"none\""));
	done(c);
}
END_TEST

START_TEST(attached_log_copies_to_the_callers_fd)
{
	/* BERTH_STDIO_LOG without DETACH: a monitor keeps the log and copies
	 * the output to the fds given */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	berth_spec *s = tu_spec_sh("echo teed; echo err >&2");
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.stdio_mode = BERTH_STDIO_LOG;
	o.stdout_fd = p[1];
	berth_container *c;
	tu_ok(berth_container_run(&c, E.ctx, s, &o));
	berth_spec_free(s);
	close(p[1]);
	char buf[64] = "";
	ssize_t n, got = 0;
	while ((n = read(p[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
		got += n;
	close(p[0]);
	ck_assert_str_eq(buf, "teed\n"); /* EOF once the container's output ended */
	finish(c);
	struct collected k = collect(c, NULL);
	ck_assert_str_eq(k.out, "teed\n");
	ck_assert_str_eq(k.err, "err\n");
	collected_free(&k);
	done(c);
}
END_TEST

START_TEST(options_versions)
{
	/* a caller built against version 1 of the options still works */
	berth_create_options o;
	tu_ok(berth_create_options_init(&o, 1));
	ck_assert_uint_eq(o.version, 1);
	o.flags = BERTH_CREATE_DETACH;
	o.stdio_mode = BERTH_STDIO_LOG;
	berth_spec *s = tu_spec_sh("echo v1");
	berth_container *c;
	tu_ok(berth_container_run(&c, E.ctx, s, &o));
	finish(c);
	struct collected k = collect(c, NULL);
	ck_assert_str_eq(k.out, "v1\n");
	collected_free(&k);
	done(c);
	berth_create_options bad = BERTH_CREATE_OPTIONS_INIT;
	bad.log_driver = "json-file";
	ck_assert_int_eq(berth_container_create(&c, E.ctx, s, &bad), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "json-file"));
	bad.log_driver = NULL;
	bad.log_max_size = 100;
	ck_assert_int_eq(berth_container_create(&c, E.ctx, s, &bad), BERTH_EINVAL);
	bad.log_max_size = 0;
	bad.version = 3;
	ck_assert_int_eq(berth_container_create(&c, E.ctx, s, &bad), BERTH_EINVAL);
	berth_spec_free(s);
}
END_TEST

START_TEST(parse_time)
{
	int64_t t;
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 7, .tm_hour = 20, .tm_min = 1, .tm_sec = 47 };
	int64_t want = (int64_t)timegm(&tm) * 1000000000;
	tu_ok(berth_log_parse_time(&t, "2026-12-07T20:01:47Z", 0));
	ck_assert_int_eq(t, want);
	tu_ok(berth_log_parse_time(&t, "2026-12-07T21:01:47.5+01:00", 0));
	ck_assert_int_eq(t, want + 500000000);
	tu_ok(berth_log_parse_time(&t, "1700000000", 0));
	ck_assert_int_eq(t, 1700000000ll * 1000000000);
	tu_ok(berth_log_parse_time(&t, "1700000000.25", 0));
	ck_assert_int_eq(t, 1700000000ll * 1000000000 + 250000000);
	tu_ok(berth_log_parse_time(&t, "10m", want));
	ck_assert_int_eq(t, want - 600ll * 1000000000);
	tu_ok(berth_log_parse_time(&t, "1h30m", want));
	ck_assert_int_eq(t, want - 5400ll * 1000000000);
	tu_ok(berth_log_parse_time(&t, "300ms", want));
	ck_assert_int_eq(t, want - 300000000);
	const char *bad[] = { "", "yesterday", "10x", "2026-13-01", "2026-12-07T25:00:00Z", "m", NULL };
	for (int i = 0; bad[i]; i++) {
		ck_assert_int_eq(berth_log_parse_time(&t, bad[i], 0), BERTH_EINVAL);
		ck_assert_ptr_nonnull(strstr(berth_error_last()->message, bad[i]));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logs");
	TCase *t = tcase_create("logs");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, rotation_bounds_the_disk);
	tcase_add_test(t, host_log_file_untouched_by_container);
	tcase_add_test(t, streams_apart_times_ordered);
	tcase_add_test(t, partial_line_and_binary_bytes);
	tcase_add_test(t, since_until_tail);
	tcase_add_test(t, follow_until_exit);
	tcase_add_test(t, driver_none_keeps_no_log);
	tcase_add_test(t, attached_log_copies_to_the_callers_fd);
	tcase_add_test(t, options_versions);
	tcase_add_test(t, parse_time);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
