/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Times for `logs --since/--until` (log.h): RFC 3339, unix seconds, or a
 * duration before now, as `docker logs` takes them.
 */
#include "internal.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Digits[.digits] at *s as nanoseconds times unit_ns; advances *s. */
static int number_ns(long double *out, const char **s)
{
	const char *p = *s;
	char *end;
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	*out = strtold(p, &end);
	if (end == p)
		return -1;
	*s = end;
	return 0;
}

/* A Go duration: 10m, 1h30m, 2.5s, 300ms, 1us, 5ns. */
static int parse_duration(int64_t *out, const char *s)
{
	static const struct { const char *unit; long double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3L }, { "\xc2\xb5s", 1e3L }, { "ms", 1e6L }, { "s", 1e9L }, { "m", 60e9L }, { "h", 3600e9L },
	};
	long double total = 0;
	if (!*s)
		return -1;
	while (*s) {
		long double v;
		if (number_ns(&v, &s) < 0)
			return -1;
		size_t best = 0;
		long double mul = 0;
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].unit);
			if (!strncmp(s, units[i].unit, n) && n > best) {
				best = n;
				mul = units[i].ns;
			}
		}
		if (!best)
			return -1;
		s += best;
		total += v * mul;
	}
	if (total > 9e18L)
		return -1;
	*out = (int64_t)total;
	return 0;
}

static int digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

/* 2026-12-07, 2026-12-07T20:01:47, with .fraction, Z or +hh:mm (no zone: local time). */
static int parse_rfc3339(int64_t *out, const char *s)
{
	struct tm tm = { 0 };
	int64_t frac = 0;
	int y, mo, d, zone = 0, has_zone = 0;
	if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 || *s++ != '-' || digits(&s, 2, &d) < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (digits(&s, 2, &tm.tm_hour) < 0 || *s++ != ':' || digits(&s, 2, &tm.tm_min) < 0)
			return -1;
		if (*s == ':' && (s++, digits(&s, 2, &tm.tm_sec) < 0))
			return -1;
		if (*s == '.') {
			s++;
			int64_t scale = 100000000;
			if (!isdigit((unsigned char)*s))
				return -1;
			for (; isdigit((unsigned char)*s); s++, scale /= 10)
				frac += (*s - '0') * scale;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
		has_zone = 1;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, hh, mm;
		if (digits(&s, 2, &hh) < 0 || *s++ != ':' || digits(&s, 2, &mm) < 0)
			return -1;
		zone = sign * (hh * 3600 + mm * 60);
		has_zone = 1;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	time_t t;
	if (has_zone) {
		t = timegm(&tm) - zone;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	*out = (int64_t)t * 1000000000 + frac;
	return 0;
}

BERTH_EXTERN int berth_log_parse_time(int64_t *out_ns, const char *text, int64_t now_ns)
{
	if (!out_ns || !text)
		return berth__err(BERTH_EINVAL, "log time: out and text are required");
	int64_t v;
	const char *p = text;
	long double secs;
	if (number_ns(&secs, &p) == 0 && !*p && secs < 9e9L) {
		*out_ns = (int64_t)(secs * 1e9L); /* unix seconds */
		return 0;
	}
	if (parse_rfc3339(&v, text) == 0) {
		*out_ns = v;
		return 0;
	}
	if (parse_duration(&v, text) == 0) {
		*out_ns = (now_ns > 0 ? now_ns : (int64_t)berth__now_ns()) - v;
		return 0;
	}
	return berth__err(BERTH_EINVAL,
	                  "log time '%s': expected RFC 3339 (2026-12-07T20:01:47Z), unix seconds or a duration (10m, 1h30m)",
	                  text);
}
