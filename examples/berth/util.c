/* berth CLI: shared helpers (errors, option parsing, parsing of durations,
 * sizes and signals, time, the terminal relay). SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>

#include "json.h"

/* ------------------------------------------------------------------ errors */

void warnx_(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int berr(const char *what)
{
	const berth_error *e = berth_error_last();
	if (e->message && *e->message)
		warnx_("%s", e->message);
	else if (e->code)
		warnx_("%s: %s", what, berth_strerror(e->code));
	else
		warnx_("%s: failed", what);
	return EXIT_BERTH;
}

void usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "berth%s%s: ", cmd && *cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'berth%s%s --help'.\n", cmd && *cmd ? " " : "", cmd ? cmd : "");
	exit(EXIT_BERTH);
}

static CLI_NORETURN void oom(void)
{
	fputs("berth: out of memory\n", stderr);
	exit(EXIT_BERTH);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return s;
}

/* ---------------------------------------------------------- option parsing */

void opt_init(struct opt_state *st, int argc, char **argv, const struct cli_opt *opts,
              const struct cli_cmd_help *help)
{
	memset(st, 0, sizeof *st);
	st->argc = argc;
	st->argv = argv;
	st->ind = 1;
	st->opts = opts;
	st->help = help;
	st->h_is_help = 1;
	for (const struct cli_opt *o = opts; o->id; o++)
		if (o->shrt == 'h')
			st->h_is_help = 0;
}

static int is_bool_word(const char *v, int *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
		*out = 1;
		return 1;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
		*out = 0;
		return 1;
	}
	return 0;
}

int opt_true(const char *arg)
{
	return arg && strcmp(arg, "false") != 0;
}

static CLI_NORETURN void show_help(const struct opt_state *st)
{
	opt_print_help(stdout, st->opts, st->help);
	exit(0);
}

int opt_next(struct opt_state *st, const char **arg)
{
	const char *cmd = st->help->cmd;
	*arg = NULL;
	if (st->bundle && *st->bundle) {
		char c = *st->bundle++;
		const char *whole = st->argv[st->ind - 1];
		if (c == 'h' && st->h_is_help)
			show_help(st);
		for (const struct cli_opt *o = st->opts; o->id; o++) {
			if (o->shrt != c)
				continue;
			if (o->kind == OPT_ARG) {
				if (*st->bundle) {
					*arg = st->bundle;
				} else if (st->ind < st->argc) {
					*arg = st->argv[st->ind++];
				} else {
					usage_error(cmd, "flag needs an argument: '%c' in %s", c, whole);
				}
				st->bundle = NULL;
			} else if (o->kind == OPT_BOOL) {
				*arg = "true";
			}
			return o->id;
		}
		usage_error(cmd, "unknown shorthand flag: '%c' in %s", c, whole);
	}
	st->bundle = NULL;
	if (st->ind >= st->argc)
		return 0;
	const char *a = st->argv[st->ind];
	if (!strcmp(a, "--")) {
		st->ind++;
		return 0;
	}
	if (a[0] != '-' || a[1] == '\0')
		return 0;
	st->ind++;
	if (a[1] != '-') {
		st->bundle = a + 1;
		return opt_next(st, arg);
	}
	const char *name = a + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	if (len == 4 && !strncmp(name, "help", 4))
		show_help(st);
	for (const struct cli_opt *o = st->opts; o->id; o++) {
		if (!o->lng || strlen(o->lng) != len || strncmp(o->lng, name, len))
			continue;
		switch (o->kind) {
		case OPT_NONE:
			if (eq)
				usage_error(cmd, "flag --%s does not take a value", o->lng);
			break;
		case OPT_BOOL: {
			int b = 1;
			if (eq && !is_bool_word(eq + 1, &b))
				usage_error(cmd, "invalid argument \"%s\" for --%s: expected true or false", eq + 1, o->lng);
			*arg = b ? "true" : "false";
			break;
		}
		case OPT_ARG:
			if (eq)
				*arg = eq + 1;
			else if (st->ind < st->argc)
				*arg = st->argv[st->ind++];
			else
				usage_error(cmd, "flag needs an argument: --%s", o->lng);
			break;
		}
		return o->id;
	}
	usage_error(cmd, "unknown flag: --%.*s", (int)len, name);
}

void opt_print_help(FILE *f, const struct cli_opt *opts, const struct cli_cmd_help *help)
{
	const char *cmd = help->cmd;
	fprintf(f, "Usage:  berth%s%s %s\n\n%s\n", *cmd ? " " : "", cmd, help->usage, help->summary);
	size_t width = 0;
	for (const struct cli_opt *o = opts; o->id; o++) {
		size_t w = 4 + 2 + (o->lng ? strlen(o->lng) : 0) + (o->argname ? 1 + strlen(o->argname) : 0);
		if (w > width)
			width = w;
	}
	if (width < strlen("    --help"))
		width = strlen("    --help");
	fputs("\nOptions:\n", f);
	for (const struct cli_opt *o = opts; o->id; o++) {
		char left[128];
		int n;
		if (o->shrt && o->lng)
			n = snprintf(left, sizeof left, "-%c, --%s", o->shrt, o->lng);
		else if (o->shrt)
			n = snprintf(left, sizeof left, "-%c", o->shrt);
		else
			n = snprintf(left, sizeof left, "    --%s", o->lng);
		if (o->argname && n > 0 && (size_t)n < sizeof left)
			snprintf(left + n, sizeof left - (size_t)n, " %s", o->argname);
		fprintf(f, "  %-*s   %s\n", (int)width, left, o->help);
	}
	int h_taken = 0;
	for (const struct cli_opt *o = opts; o->id; o++)
		h_taken |= o->shrt == 'h';
	fprintf(f, "  %-*s   %s\n", (int)width, h_taken ? "    --help" : "-h, --help", "Print this help");
	if (help->more)
		fprintf(f, "\n%s", help->more);
}

/* ---------------------------------------------------------------- strv */

void strv_add(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = xstrdup(str);
	s->v[s->n] = NULL;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- parsing */

/* llround() without libm (the CLI links only libberth). x >= 0. */
static long long round_ll(double x)
{
	return (long long)(x + 0.5);
}

int parse_uint64(uint64_t *out, const char *s)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_int(int *out, const char *s)
{
	if (!s || !*s)
		return -1;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

int parse_duration_ms(int64_t *out, const char *s)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return -1;
	if (!*end) { /* a bare number: seconds */
		if (v * 1000.0 > 9.2e18) /* beyond int64 milliseconds */
			return -1;
		*out = (int64_t)round_ll(v * 1000.0);
		return 0;
	}
	double total = 0;
	const char *p = s;
	while (*p) {
		errno = 0;
		v = strtod(p, &end);
		if (errno || end == p || v < 0 || !isfinite(v) || *p == '+' || *p == '-')
			return -1;
		p = end;
		double unit;
		if (!strncmp(p, "ns", 2))
			unit = 1e-6, p += 2;
		else if (!strncmp(p, "us", 2) || !strncmp(p, "\xc2\xb5s", 3))
			unit = 1e-3, p += (*p == 'u' ? 2 : 3);
		else if (!strncmp(p, "ms", 2))
			unit = 1, p += 2;
		else if (*p == 's')
			unit = 1000, p += 1;
		else if (*p == 'm')
			unit = 60000, p += 1;
		else if (*p == 'h')
			unit = 3600000, p += 1;
		else
			return -1;
		total += v * unit;
	}
	if (total > 9.2e18)
		return -1;
	*out = (int64_t)round_ll(total);
	return 0;
}

int parse_size(uint64_t *out, const char *s)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v) || *s == '-' || *s == '+')
		return -1;
	double mult = 1;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'b': mult = 1; break;
	case 'k': mult = 1024.0; break;
	case 'm': mult = 1024.0 * 1024; break;
	case 'g': mult = 1024.0 * 1024 * 1024; break;
	case 't': mult = 1024.0 * 1024 * 1024 * 1024; break;
	case 'p': mult = 1024.0 * 1024 * 1024 * 1024 * 1024; break;
	default: return -1;
	}
	if (*end) {
		const char *u = end + 1;
		if (tolower((unsigned char)*end) != 'b') {
			if (tolower((unsigned char)*u) == 'i')
				u++;
			if (tolower((unsigned char)*u) == 'b')
				u++;
		}
		if (*u)
			return -1;
	}
	double r = v * mult;
	if (r >= 1.8e19)
		return -1;
	*out = (uint64_t)r;
	return 0;
}

int parse_signal(int *out, const char *s)
{
	int n;
	if (!s || !*s)
		return -1;
	if (isdigit((unsigned char)*s)) {
		if (parse_int(&n, s) < 0 || n <= 0 || n > SIGRTMAX)
			return -1;
		*out = n;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		int base = !strncasecmp(s, "RTMIN", 5) ? SIGRTMIN : SIGRTMAX;
		const char *rest = s + 5;
		int off = 0;
		if (*rest) {
			if ((*rest != '+' && *rest != '-') || parse_int(&off, rest + 1) < 0)
				return -1;
			if (*rest == '-')
				off = -off;
		}
		n = base + off;
		if (n < SIGRTMIN || n > SIGRTMAX)
			return -1;
		*out = n;
		return 0;
	}
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(abbrev, s)) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- time */

double parse_rfc3339(const char *s)
{
	if (!s || !*s)
		return 0;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int n = 0;
	char sep;
	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &sep, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec, &n) != 7 || (sep != 'T' && sep != 't' && sep != ' '))
		return -1;
	if (tm.tm_year <= 1)
		return 0; /* Go's zero time */
	const char *p = s + n;
	double frac = 0;
	if (*p == '.') {
		double scale = 0.1;
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	long off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return (double)(t - off) + frac;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void human_duration(char *buf, size_t len, double d)
{
	long long sec = (long long)d;
	if (sec < 1) {
		snprintf(buf, len, "Less than a second");
		return;
	}
	if (sec == 1) {
		snprintf(buf, len, "1 second");
		return;
	}
	if (sec < 60) {
		snprintf(buf, len, "%lld seconds", sec);
		return;
	}
	long long min = sec / 60;
	if (min == 1) {
		snprintf(buf, len, "About a minute");
		return;
	}
	if (min < 60) {
		snprintf(buf, len, "%lld minutes", min);
		return;
	}
	long long hours = round_ll(d / 3600.0);
	if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%lld hours", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", hours / 24 / 30);
	else
		snprintf(buf, len, "%lld years", hours / 24 / 365);
}

/* ---------------------------------------------------------------- files */

int read_file(char **out, size_t *out_len, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (out_len)
		*out_len = n;
	return 0;
}

int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { fd, POLLOUT, 0 };
			poll(&pfd, 1, -1);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ------------------------------------------------------ signals, terminal */

static int sig_pipe[2] = { -1, -1 };

static void on_caught(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;
	if (write(sig_pipe[1], &b, 1) < 0) {
		/* the pipe is full: the signal is dropped, as a repeated one would be */
	}
	errno = e;
}

void signals_catch(int winch)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		warnx_("pipe: %s", strerror(errno));
		exit(EXIT_BERTH);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_caught;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	if (winch)
		sigaction(SIGWINCH, &sa, NULL);
}

int signals_fd(void)
{
	return sig_pipe[0];
}

int signals_next(void)
{
	unsigned char b;
	if (sig_pipe[0] < 0)
		return 0;
	ssize_t n = read(sig_pipe[0], &b, 1);
	return n == 1 ? b : 0;
}

static struct termios saved_termios;
static int saved_fd = -1;

void term_restore(void)
{
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSADRAIN, &saved_termios);
		saved_fd = -1;
	}
}

int term_raw(int fd)
{
	static int registered;
	struct termios t;
	if (!isatty(fd) || tcgetattr(fd, &t) < 0)
		return -1;
	if (saved_fd < 0) {
		saved_termios = t;
		saved_fd = fd;
	}
	if (!registered) {
		atexit(term_restore);
		registered = 1;
	}
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSADRAIN, &t) < 0)
		return -1;
	return 0;
}

void term_copy_winsize(int fd)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	if (ws.ws_row == 0 && ws.ws_col == 0)
		return;
	ioctl(fd, TIOCSWINSZ, &ws);
}

/* Reads what the pty still has (after the process ended), briefly. */
static void drain_pty(int pty, int out_fd)
{
	char buf[16384];
	for (;;) {
		struct pollfd pfd = { pty, POLLIN, 0 };
		if (poll(&pfd, 1, 50) <= 0 || !(pfd.revents & POLLIN))
			return;
		ssize_t n = read(pty, buf, sizeof buf);
		if (n <= 0 || write_all(out_fd, buf, (size_t)n) < 0)
			return;
	}
}

int relay_run(const struct relay *r)
{
	enum { CTRL_P = 0x10, CTRL_Q = 0x11 };
	char out[16384], in[4096], pend[2 * sizeof in + 1];
	size_t plen = 0, poff = 0;
	int in_open = r->in_fd >= 0, eof_pending = 0, held_ctrl_p = 0;
	unsigned char veof = 4;
	struct termios pt;

	if (tcgetattr(r->pty, &pt) == 0 && pt.c_cc[VEOF])
		veof = pt.c_cc[VEOF];
	if (r->own_pty) {
		int fl = fcntl(r->pty, F_GETFL);
		if (fl >= 0)
			fcntl(r->pty, F_SETFL, fl | O_NONBLOCK);
	}
	for (;;) {
		struct pollfd pfd[3];
		int want_out = plen > poff || eof_pending;
		pfd[0] = (struct pollfd){ r->pty, (short)(POLLIN | (want_out ? POLLOUT : 0)), 0 };
		pfd[1] = (struct pollfd){ signals_fd(), POLLIN, 0 };
		pfd[2] = (struct pollfd){ in_open && !want_out ? r->in_fd : -1, POLLIN, 0 };
		int rc = poll(pfd, 3, r->is_done ? 200 : -1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return RELAY_ERROR;
		}
		if (rc == 0) {
			if (r->is_done && r->is_done(r->payload)) {
				drain_pty(r->pty, r->out_fd);
				return RELAY_DONE;
			}
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			int sig;
			while ((sig = signals_next()) != 0) {
				if (sig == SIGWINCH)
					term_copy_winsize(r->pty);
				else if (r->on_signal)
					r->on_signal(sig, r->payload);
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(r->pty, out, sizeof out);
			if (n > 0) {
				if (write_all(r->out_fd, out, (size_t)n) < 0)
					return RELAY_ERROR;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				return RELAY_EOF; /* EIO: every slave is closed */
			}
		}
		if (pfd[0].revents & POLLOUT) {
			if (plen > poff) {
				size_t chunk = plen - poff;
				if (!r->own_pty && chunk > 256)
					chunk = 256; /* a blocking fd: keep each write small */
				ssize_t w = write(r->pty, pend + poff, chunk);
				if (w > 0)
					poff += (size_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EINTR)
					return RELAY_ERROR;
				if (poff == plen)
					plen = poff = 0;
			} else if (eof_pending) {
				if (write(r->pty, &veof, 1) == 1)
					eof_pending = 0;
			}
		}
		if (pfd[2].fd >= 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(r->in_fd, in, sizeof in);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				int hangup = n < 0 && errno == EIO; /* our terminal is gone */
				in_open = 0;
				if (r->eof_to_pty && !hangup)
					eof_pending = 1;
				if (hangup && r->on_signal)
					r->on_signal(SIGHUP, r->payload);
				continue;
			}
			plen = poff = 0;
			for (ssize_t i = 0; i < n; i++) {
				unsigned char b = (unsigned char)in[i];
				if (!r->detach_keys) {
					pend[plen++] = (char)b;
					continue;
				}
				if (held_ctrl_p) {
					held_ctrl_p = 0;
					if (b == CTRL_Q)
						return RELAY_DETACHED;
					pend[plen++] = CTRL_P;
				}
				if (b == CTRL_P)
					held_ctrl_p = 1;
				else
					pend[plen++] = (char)b;
			}
		}
	}
}

/* ---------------------------------------------------------------- containers */

int open_container(berth_container **out, const char *id)
{
	if (berth_container_open(out, cli_ctx(), id) == 0) {
		int st = berth_container_status(*out);
		if (st != BERTH_STATUS_STOPPED && st != BERTH_STATUS_CREATING && !berth_container_supervised(*out))
			warnx_("container %s runs unsupervised (its monitor is gone): no 127.0.0.1 ports, no cleanup at "
			       "exit; 'berth start %s' gives it a new monitor",
			       id, id);
		return 0;
	}
	const berth_error *e = berth_error_last();
	if (e->code == BERTH_ENOTFOUND)
		warnx_("no such container: %s", id);
	else
		berr(id);
	return -1;
}

int print_json_array(int argc, char **argv, int first, struct jval *(*one)(const char *name), const char *what)
{
	int rc = 0;
	struct jval *arr = json_new(J_ARRAY);
	for (int i = first; i < argc; i++) {
		struct jval *v = one(argv[i]);
		if (!v)
			rc = berr(what ? what : argv[i]);
		else
			json_append(arr, v);
	}
	json_print(stdout, arr, 4, 0);
	fputc('\n', stdout);
	json_free(arr);
	return rc;
}

int for_each_container(const char *cmd, int argc, char **argv, int first,
                       int (*fn)(berth_container *c, const char *name, void *arg), void *arg)
{
	if (cmd && first >= argc)
		usage_error(cmd, "requires at least 1 container argument");
	int rc = 0;
	for (int i = first; i < argc; i++) {
		berth_container *c;
		if (open_container(&c, argv[i]) < 0) {
			rc = EXIT_BERTH;
			continue;
		}
		int r = fn(c, argv[i], arg);
		if (r)
			rc = r;
		berth_container_free(c);
	}
	return rc;
}

int wait_forwarding(int *out_code, berth_container *c, berth_process *p)
{
	int interrupts = 0;
	for (;;) {
		int code = 0, sig = 0, r;
		r = p ? berth_process_wait(&code, &sig, p, 200) : berth_container_wait(&code, &sig, c, 200);
		if (r == 0) {
			*out_code = code;
			return 0;
		}
		if (r != BERTH_ETIMEOUT && !(r == BERTH_ESYS && berth_error_last()->sys_errno == EINTR))
			return r;
		int s;
		while ((s = signals_next()) != 0) {
			if (s == SIGWINCH)
				continue;
			/* A pid 1 without a handler ignores SIGINT: the third Ctrl-C kills. */
			if (s == SIGINT && ++interrupts == 3) {
				warnx_("3 interrupts: killing the %s", p ? "process" : "container");
				s = SIGKILL;
			}
			if (p)
				berth_process_kill(p, s);
			else
				berth_container_kill(c, s, 0);
		}
	}
}

struct jval *inspect_json(berth_container *c)
{
	char *s = NULL, err[160];
	if (berth_container_inspect(&s, c) < 0) {
		berr("inspect");
		return NULL;
	}
	struct jval *v = json_parse(s, strlen(s), err, sizeof err);
	if (!v)
		warnx_("inspect %s: %s", berth_container_id(c), err);
	berth_free(s);
	return v;
}

int run_subcommand(int argc, char **argv, const struct cli_cmd_help *help, const struct cli_sub *subs)
{
	static const struct cli_opt none[] = { { 0 } };
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		opt_print_help(argc < 2 ? stderr : stdout, none, help);
		return argc < 2 ? EXIT_BERTH : 0;
	}
	char names[256] = "";
	size_t o = 0;
	for (const struct cli_sub *c = subs; c->name; c++) {
		if (!strcmp(argv[1], c->name) || (c->alias && !strcmp(argv[1], c->alias)))
			return c->run(argc - 1, argv + 1);
		if (o < sizeof names)
			o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", o ? ", " : "", c->name);
	}
	usage_error(help->cmd, "unknown command '%s' (%s)", argv[1], names);
}
