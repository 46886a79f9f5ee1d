/* berth CLI: shared helpers. SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BERTH_CLI_UTIL_H
#define BERTH_CLI_UTIL_H

#include <berth/berth.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CLI_NORETURN __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes, as Docker's: 125 for errors of berth itself (usage, library),
 * 126 command not executable, 127 command not found, else the container's. */
enum { EXIT_BERTH = 125, EXIT_NOEXEC = 126, EXIT_NOTFOUND = 127 };

/* --- global state (main.c) --- */
struct cli_globals {
	const char *root;     /* --root, NULL: $BERTH_ROOT or the default */
	const char *run_root; /* --run-root */
	int log_level;        /* a berth_log_level */
};
extern struct cli_globals g_cli;
/* The context, made on first use from the global options; exits 125 on error. */
berth_ctx *cli_ctx(void);

/* --- errors --- */
/* "berth: <fmt>\n" on stderr. */
void warnx_(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Prints "berth: <berth_error_last()->message>" (or what if it is empty) and
 * returns EXIT_BERTH. */
int berr(const char *what);
/* A usage error: "berth <cmd>: <msg>" + a pointer to --help; exits 125. */
CLI_NORETURN void usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) CLI_PRINTF(1, 2);

/* --- option parsing: flags stop at the first non-flag (or "--") --- */
enum { OPT_NONE = 0, OPT_ARG = 1, OPT_BOOL = 2 /* --x, --x=true|false */ };
struct cli_opt {
	int id;               /* returned by opt_next; > 0 */
	char shrt;            /* 'e', or 0 */
	const char *lng;      /* "env", or NULL */
	int kind;             /* OPT_* */
	const char *argname;  /* for the help: "LIST" */
	const char *help;
};
struct cli_cmd_help {
	const char *cmd;      /* "run" ("" for the top level) */
	const char *usage;    /* "[OPTIONS] --rootfs DIR [COMMAND] [ARG...]" */
	const char *summary;  /* one line */
	const char *more;     /* more text after the options, or NULL */
};
struct opt_state {
	int argc;
	char **argv;
	int ind;              /* the next argv index; after opt_next returns 0: the first operand */
	const char *bundle;   /* the rest of a "-abc" bundle */
	const struct cli_opt *opts;
	const struct cli_cmd_help *help;
	int h_is_help;        /* -h means --help (unless an option uses 'h') */
};
/* argv[0] is the command name. */
void opt_init(struct opt_state *st, int argc, char **argv, const struct cli_opt *opts,
              const struct cli_cmd_help *help);
/* The next option's id, its argument in *arg (for OPT_BOOL: "true" or
 * "false"); 0 at the first operand. --help prints the help and exits 0; a
 * bad flag exits 125. */
int opt_next(struct opt_state *st, const char **arg);
void opt_print_help(FILE *f, const struct cli_opt *opts, const struct cli_cmd_help *help);
/* A command group (berth image|volume|network COMMAND ...): one entry per
 * subcommand (alias may be NULL), ended by { NULL }. Prints help for none or
 * --help, a usage error naming the group for an unknown one, else runs it
 * with argv starting at the subcommand. */
struct cli_sub {
	const char *name, *alias;
	int (*run)(int argc, char **argv);
};
int run_subcommand(int argc, char **argv, const struct cli_cmd_help *help, const struct cli_sub *subs);
/* "true"/"false" as given to an OPT_BOOL. */
int opt_true(const char *arg);

/* --- string lists --- */
struct strv {
	char **v; /* NULL-terminated (when n > 0 or after strv_add) */
	size_t n, cap;
};
void strv_add(struct strv *s, const char *str);
void strv_free(struct strv *s);

/* --- parsing --- */
/* A non-negative integer, the whole string. */
int parse_uint64(uint64_t *out, const char *s);
int parse_int(int *out, const char *s);
/* "10" (seconds), "1.5s", "500ms", "2m", "1h30m" -> milliseconds. */
int parse_duration_ms(int64_t *out, const char *s);
/* "1024", "64k", "64m", "1g", "1.5GiB" -> bytes (binary units, as Docker). */
int parse_size(uint64_t *out, const char *s);
/* "KILL", "SIGKILL", "kill", "9", "RTMIN+1" -> 9. */
int parse_signal(int *out, const char *s);

/* --- time --- */
/* RFC 3339 ("2024-05-01T12:00:00.123Z", "+02:00") -> seconds; 0 when s is
 * NULL, empty or the zero time; -1 when malformed. */
double parse_rfc3339(const char *s);
double now_seconds(void);
/* Docker's human duration: "Less than a second", "5 seconds", "About a minute". */
void human_duration(char *buf, size_t len, double seconds);

/* --- files --- */
int read_file(char **out, size_t *out_len, const char *path);
int write_all(int fd, const void *buf, size_t n);

/* --- signals and terminals --- */
/* Installs handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2
 * (and SIGWINCH when winch) which note the signal on a self-pipe. */
void signals_catch(int winch);
/* The self-pipe's read end (non-blocking). */
int signals_fd(void);
/* The next caught signal, 0 if none is pending. */
int signals_next(void);

/* Puts fd (a terminal) into raw mode; restored by term_restore(), which runs at
 * exit too. Returns 0, or -1 if fd is not a terminal. */
int term_raw(int fd);
void term_restore(void);
/* Copies the window size of the caller's terminal (stdin, else stdout) to fd. */
void term_copy_winsize(int fd);

enum relay_end { RELAY_EOF = 0, RELAY_DETACHED = 1, RELAY_DONE = 2, RELAY_ERROR = -1 };
struct relay {
	int pty;           /* the terminal master */
	int in_fd;         /* the caller's input, -1 for none */
	int out_fd;        /* the caller's output */
	int own_pty;       /* the pty fd is ours: may be made non-blocking */
	int detach_keys;   /* Ctrl-P Ctrl-Q detaches */
	int eof_to_pty;    /* on EOF of in_fd, send the terminal's EOF character */
	/* Called for a caught signal other than SIGWINCH (forwarding). */
	void (*on_signal)(int sig, void *payload);
	/* Polled every 200 ms: non-zero when the process is gone (the relay then
	 * drains the output and ends with RELAY_DONE). May be NULL. */
	int (*is_done)(void *payload);
	void *payload;
};
/* Relays in_fd -> pty and pty -> out_fd until the pty hangs up. */
int relay_run(const struct relay *r);

/* --- containers --- */
/* Opens by id, prefix or name; prints "berth: no such container: X" etc. */
int open_container(berth_container **out, const char *id);
/* For each container named in argv[first..argc): opens it, calls fn with it
 * and its name, frees it. cmd set: at least one is required (a usage error).
 * fn returns 0 or an exit code; the result is the last failure's (EXIT_BERTH
 * for a container that cannot be opened), 0 when all went well. */
int for_each_container(const char *cmd, int argc, char **argv, int first,
                       int (*fn)(berth_container *c, const char *name, void *arg), void *arg);
/* Waits, forwarding caught signals to the container (or process) meanwhile. */
int wait_forwarding(int *out_code, berth_container *c, berth_process *p);
/* stdio_guard.c: the fd to hand a container for our fd (0, 1 or 2): pipes and
 * sockets as they are, -1 for /dev/null (the container's own), else a pipe
 * relayed by a thread (a terminal or a file of the host is never handed in);
 * -1 on failure too. After create/exec, stdio_guard_started() closes our copy
 * of the container's end; stdio_guard_finish() drains the output relays once
 * the process has exited. */
int stdio_guard_fd(int fd, int input);
void stdio_guard_started(int given_fd, int orig_fd);
void stdio_guard_finish(void);
/* The JSON of berth_container_inspect(), parsed. */
struct jval;
struct jval *inspect_json(berth_container *c);

/* --- resource flags (run, create, update): resources.c --- */
enum {
	RES_MEMORY = 200, RES_MEMORY_SWAP, RES_MEMORY_RESERVATION, RES_CPUS, RES_CPU_SHARES, RES_CPU_PERIOD,
	RES_CPU_QUOTA, RES_CPUSET_CPUS, RES_CPUSET_MEMS, RES_PIDS_LIMIT, RES_BLKIO_WEIGHT, RES_END
};
#define RESOURCE_OPTS                                                                                               \
	{ RES_MEMORY, 'm', "memory", OPT_ARG, "SIZE", "Memory limit (512m, 1g, 1024k or bytes; units b, k, m, g)" },      \
	{ RES_MEMORY_SWAP, 0, "memory-swap", OPT_ARG, "SIZE",                                                            \
	  "Memory plus swap limit (as --memory); -1 for unlimited swap" },                                               \
	{ RES_MEMORY_RESERVATION, 0, "memory-reservation", OPT_ARG, "SIZE", "Memory soft limit (as --memory)" },        \
	{ RES_CPUS, 0, "cpus", OPT_ARG, "N", "Number of CPUs (fractional, e.g. 0.5; at most the machine's CPUs)" },     \
	{ RES_CPU_SHARES, 'c', "cpu-shares", OPT_ARG, "N", "CPU shares (relative weight, 2..262144)" },                \
	{ RES_CPU_PERIOD, 0, "cpu-period", OPT_ARG, "US", "CFS period in microseconds (1000..1000000)" },              \
	{ RES_CPU_QUOTA, 0, "cpu-quota", OPT_ARG, "US", "CFS quota in microseconds per period (-1: unlimited)" },       \
	{ RES_CPUSET_CPUS, 0, "cpuset-cpus", OPT_ARG, "LIST", "CPUs in which to allow execution (0-3, 0,1)" },          \
	{ RES_CPUSET_MEMS, 0, "cpuset-mems", OPT_ARG, "LIST", "Memory nodes in which to allow execution (0-3, 0,1)" },  \
	{ RES_PIDS_LIMIT, 0, "pids-limit", OPT_ARG, "N", "Maximum number of processes (-1 or 0: unlimited)" },         \
	{ RES_BLKIO_WEIGHT, 0, "blkio-weight", OPT_ARG, "N", "Block IO weight (10..1000, 0: unset)" }

struct res_flags {
	const char *v[RES_END - RES_MEMORY]; /* the arguments as given, NULL when not given */
};
/* Notes a resource option; returns 0 if id is not one. */
int res_flag(struct res_flags *rf, int id, const char *arg);
/* Whether any resource option was given. */
int res_any(const struct res_flags *rf);
/* Parses the options into res (BERTH_CGROUP_RESOURCES_INIT first); a bad
 * value is a usage error of cmd naming the flag and the value. need_memory:
 * --memory-swap requires --memory (run, create). */
void res_build(berth_cgroup_resources *res, const struct res_flags *rf, const char *cmd, int need_memory);
/* Sets the resources on spec (berth_spec_set_resources()); on failure prints
 * the library's error naming the flag and exits 125. */
void res_apply(berth_spec *spec, const berth_cgroup_resources *res, const struct res_flags *rf, const char *cmd);
/* Sizes as Docker prints them: binary "1.5MiB" (%.4g) and decimal "12.3MB" (%.3g). */
void size_binary(char *buf, size_t len, double bytes);
void size_decimal(char *buf, size_t len, double bytes);

/* --- templates (cmd_ps.c) --- */
int render_template(FILE *f, const char *tmpl, const struct jval *v, const char *cmd);

/* Commands. */
int cmd_run(int argc, char **argv);
int cmd_network(int argc, char **argv);
int cmd_port(int argc, char **argv);
/* The network of run/create: the given one, else $BERTH_NETWORK, else "bridge". */
const char *cli_network(const char *given);
/* A container's published ports as docker ps shows them ("0.0.0.0:8080->80/tcp, ..."); malloc'd. */
char *ports_text(berth_container *c);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
struct jval;
/* An image's inspect JSON (cmd_image.c), NULL with berth's error set. */
struct jval *image_inspect_json(const char *name);
/* Prints a JSON array of one(name) for each name in argv[first..argc); a NULL
 * one (its error set) is reported with berr(what, or the name when NULL),
 * whose code is the result (0 when none failed). */
int print_json_array(int argc, char **argv, int first, struct jval *(*one)(const char *name), const char *what);
/* Attaches to a running container's terminal (attach, start -a): prints the
 * log since log_since_ns (> 0) first, then relays until the container stops
 * (returns its exit code) or Ctrl-P Ctrl-Q (returns -1). -2 when
 * berth_container_attach() fails (the error is not printed). */
int attach_terminal(berth_container *c, int with_stdin, int64_t log_since_ns);
/* Prints the log of c since since_ns (0: all), following it until the
 * container stops with follow (cmd_logs.c); used by attach and start -a of
 * containers without a terminal. */
int follow_log(berth_container *c, int64_t since_ns, int follow);
/* The time now, unix ns. */
int64_t now_ns(void);

#endif
