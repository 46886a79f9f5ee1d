/* berth stop, kill, rm, wait, logs, exec, attach. SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

/* A paused container's processes are frozen: a signal reaches them only once
 * they are thawed. Thaws c if it is paused (errors are ignored: it may have
 * been thawed meanwhile). */
static void thaw_if_paused(berth_container *c)
{
	if (berth_container_refresh(c) == 0 && berth_container_status(c) == BERTH_STATUS_PAUSED)
		berth_container_resume(c);
}

/* ------------------------------------------------------------------- stop */

static int stop_one(berth_container *c, const char *name, void *timeout)
{
	int status = berth_container_status(c);
	/* paused: thawed first, so that it can act on the stop signal (docker
	 * stops paused containers too) */
	if (status == BERTH_STATUS_PAUSED)
		thaw_if_paused(c);
	if (status != BERTH_STATUS_STOPPED && berth_container_stop(c, *(int *)timeout) != 0)
		return berr(name);
	printf("%s\n", name);
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	enum { T_TIME = 1 };
	static const struct cli_opt opts[] = {
		{ T_TIME, 't', "time", OPT_ARG, "SECS", "Seconds to wait for the process to stop before killing it (default 10)" },
		{ T_TIME, 0, "timeout", OPT_ARG, "SECS", "Same as --time" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
		"The stop signal (SIGTERM) goes to the container's process; SIGKILL follows after the timeout.\n"
	};
	struct opt_state st;
	const char *arg;
	int id, timeout = 10;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		int64_t ms;
		if (parse_duration_ms(&ms, arg) < 0 || ms > 86400000LL * 365)
			usage_error("stop", "invalid --time \"%s\": expected seconds", arg);
		timeout = (int)((ms + 999) / 1000);
	}
	return for_each_container("stop", argc, argv, st.ind, stop_one, &timeout);
}

/* ------------------------------------------------------------------- kill */

static int kill_one(berth_container *c, const char *name, void *arg)
{
	int sig = *(int *)arg, status = berth_container_status(c);
	if (status != BERTH_STATUS_RUNNING && status != BERTH_STATUS_PAUSED) {
		warnx_("cannot kill container %s: container is not running (%s)", name, berth_status_name(status));
		return EXIT_BERTH;
	}
	if (berth_container_kill(c, sig, 0) < 0)
		return berr(name);
	/* SIGKILL to a paused container: thawed so that it dies (as docker);
	 * other signals stay pending until it is unpaused */
	if (sig == SIGKILL && status == BERTH_STATUS_PAUSED)
		thaw_if_paused(c);
	printf("%s\n", name);
	return 0;
}

int cmd_kill(int argc, char **argv)
{
	enum { K_SIGNAL = 1 };
	static const struct cli_opt opts[] = {
		{ K_SIGNAL, 's', "signal", OPT_ARG, "SIG", "Signal to send: a name (KILL, SIGTERM) or a number (default KILL)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = { "kill", "[OPTIONS] CONTAINER [CONTAINER...]",
		                                  "Kill one or more running containers", NULL };
	struct opt_state st;
	const char *arg;
	int id, sig = SIGKILL;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		if (parse_signal(&sig, arg) < 0)
			usage_error("kill", "invalid signal \"%s\"", arg);
	return for_each_container("kill", argc, argv, st.ind, kill_one, &sig);
}

/* --------------------------------------------------------------------- rm */

struct rm_flags {
	int force, volumes;
};

static int rm_one(berth_container *c, const char *name, void *arg)
{
	const struct rm_flags *f = arg;
	int status = berth_container_status(c);
	unsigned flags = (f->force ? BERTH_DELETE_FORCE : 0) | (f->volumes ? BERTH_DELETE_VOLUMES : 0);
	if (!f->force && (status == BERTH_STATUS_RUNNING || status == BERTH_STATUS_PAUSED)) {
		warnx_("cannot remove container %s: container is %s: stop it first or use 'berth rm -f'", name,
		       berth_status_name(status));
		return EXIT_BERTH;
	}
	/* A created container's process waits to be started: rm kills it (as Docker's rm). */
	if (status == BERTH_STATUS_CREATED || status == BERTH_STATUS_CREATING)
		flags |= BERTH_DELETE_FORCE;
	/* rm -f of a running one: kill it and let it be reaped first, then remove. */
	if (f->force && (status == BERTH_STATUS_RUNNING || status == BERTH_STATUS_PAUSED) &&
	    berth_container_kill(c, SIGKILL, 1) == 0) {
		if (status == BERTH_STATUS_PAUSED)
			thaw_if_paused(c); /* frozen processes die only once thawed */
		berth_container_wait(NULL, NULL, c, 10000);
	}
	if (berth_container_delete(c, flags) < 0)
		return berr(name);
	printf("%s\n", name);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	enum { RM_FORCE = 1, RM_VOLUMES };
	static const struct cli_opt opts[] = {
		{ RM_FORCE, 'f', "force", OPT_BOOL, NULL, "Force the removal of a running container (kills it)" },
		{ RM_VOLUMES, 'v', "volumes", OPT_BOOL, NULL, "Remove the anonymous volumes of the container too" },
		{ 0 }
	};
	static const struct cli_cmd_help help = { "rm", "[OPTIONS] CONTAINER [CONTAINER...]",
		                                  "Remove one or more containers", NULL };
	struct opt_state st;
	const char *arg;
	int id, force = 0, volumes = 0;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == RM_FORCE)
			force = opt_true(arg);
		else
			volumes = opt_true(arg);
	}
	struct rm_flags f = { force, volumes };
	return for_each_container("rm", argc, argv, st.ind, rm_one, &f);
}

/* ------------------------------------------------------------------- wait */

static int wait_one(berth_container *c, const char *name, void *arg)
{
	(void)arg;
	int code = 0, rc = 0;
	if (berth_container_wait(&code, NULL, c, -1) < 0)
		rc = berr(name);
	else
		printf("%d\n", code);
	fflush(stdout);
	return rc;
}

int cmd_wait(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = { "wait", "CONTAINER [CONTAINER...]",
		                                  "Block until containers stop, then print their exit codes", NULL };
	struct opt_state st;
	const char *arg;

	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg)) {
	}
	return for_each_container("wait", argc, argv, st.ind, wait_one, NULL);
}

/* ------------------------------------------------------------------- exec */

struct exec_state {
	berth_process *p;
	int done, code;
};

static int exec_done(void *payload)
{
	struct exec_state *x = payload;
	int code, sig;
	if (!x->done && berth_process_wait(&code, &sig, x->p, 0) == 0) {
		x->done = 1;
		x->code = code;
	}
	return x->done;
}

static void exec_forward(int sig, void *payload)
{
	struct exec_state *x = payload;
	berth_process_kill(x->p, sig);
}

/* "NAME[:GROUP]" -> "UID:GID" looked up in the container's root filesystem
 * (the library resolves it on a copy of the container's spec). */
static char *exec_user(berth_container *c, const char *user)
{
	berth_spec *spec = NULL;
	char *rootfs_json = NULL, *rootfs = NULL, *uid = NULL, *gid = NULL, err[256];
	if (berth_container_spec(&spec, c) < 0)
		usage_error("exec", "--user: %s", berth_error_last()->message);
	if (berth_spec_get(&rootfs_json, spec, "/root/path") == 0) {
		struct jval *j = json_parse(rootfs_json, strlen(rootfs_json), err, sizeof err);
		if (j && j->type == J_STRING)
			rootfs = xstrdup(j->str);
		json_free(j);
	}
	berth_free(rootfs_json);
	const char *root[] = { rootfs, NULL };
	if (berth_spec_set_user_name(spec, rootfs ? root : NULL, user) < 0 ||
	    berth_spec_get(&uid, spec, "/process/user/uid") < 0 || berth_spec_get(&gid, spec, "/process/user/gid") < 0)
		usage_error("exec", "--user: %s", berth_error_last()->message);
	char *s = xasprintf("%s:%s", uid, gid);
	berth_free(uid);
	berth_free(gid);
	free(rootfs);
	berth_spec_free(spec);
	return s;
}

int cmd_exec(int argc, char **argv)
{
	enum { X_DETACH = 1, X_INTERACTIVE, X_TTY, X_ENV, X_WORKDIR, X_USER };
	static const struct cli_opt opts[] = {
		{ X_DETACH, 'd', "detach", OPT_BOOL, NULL, "Run the command in the background" },
		{ X_INTERACTIVE, 'i', "interactive", OPT_BOOL, NULL, "Keep STDIN open (give the command our stdin)" },
		{ X_TTY, 't', "tty", OPT_BOOL, NULL, "Allocate a pseudo-terminal" },
		{ X_ENV, 'e', "env", OPT_ARG, "K=V", "Set an environment variable (repeatable)" },
		{ X_WORKDIR, 'w', "workdir", OPT_ARG, "DIR", "Working directory inside the container" },
		{ X_USER, 'u', "user", OPT_ARG, "USER[:GROUP]", "User and group, names or ids (names from the container's /etc/passwd and /etc/group)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container",
		"Exit status: the command's; 125 when berth fails (the container is not\n"
		"running, or paused), 126/127 when the command cannot be executed / is not\n"
		"found.\n"
	};
	struct opt_state st;
	const char *arg;
	int id, detach = 0, interactive = 0, tty = 0, code = EXIT_BERTH;
	const char *workdir = NULL, *user = NULL;
	struct strv env = { 0 };

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		switch (id) {
		case X_DETACH: detach = opt_true(arg); break;
		case X_INTERACTIVE: interactive = opt_true(arg); break;
		case X_TTY: tty = opt_true(arg); break;
		case X_WORKDIR: workdir = arg; break;
		case X_USER: user = arg; break;
		case X_ENV:
			if (!*arg || *arg == '=')
				usage_error("exec", "invalid environment variable \"%s\"", arg);
			if (strchr(arg, '=')) {
				strv_add(&env, arg);
			} else if (getenv(arg)) {
				char *kv = xasprintf("%s=%s", arg, getenv(arg));
				strv_add(&env, kv);
				free(kv);
			}
			break;
		}
	}
	if (argc - st.ind < 2)
		usage_error("exec", "requires a container and a command");
	berth_container *c;
	if (open_container(&c, argv[st.ind]) < 0) {
		strv_free(&env);
		return EXIT_BERTH;
	}
	char *uspec = user ? exec_user(c, user) : NULL;
	berth_exec_options o = BERTH_EXEC_OPTIONS_INIT;
	o.args = (const char *const *)(argv + st.ind + 1);
	o.env = env.n ? (const char *const *)env.v : NULL;
	o.cwd = workdir;
	o.user = uspec;
	if (tty && !detach) {
		o.stdio_mode = BERTH_STDIO_TERMINAL;
	} else if (!detach) {
		o.stdin_fd = interactive ? stdio_guard_fd(STDIN_FILENO, 1) : -1;
		o.stdout_fd = stdio_guard_fd(STDOUT_FILENO, 0);
		o.stderr_fd = stdio_guard_fd(STDERR_FILENO, 0);
	}
	if (!detach)
		signals_catch(tty);
	fflush(stdout);
	berth_process *p = NULL;
	int execd = berth_container_exec(&p, c, &o);
	stdio_guard_started(o.stdin_fd, STDIN_FILENO);
	stdio_guard_started(o.stdout_fd, STDOUT_FILENO);
	stdio_guard_started(o.stderr_fd, STDERR_FILENO);
	if (execd < 0) {
		const berth_error *e = berth_error_last();
		if (e->code == BERTH_ESTATE && (!e->message || !strstr(e->message, "paused")) &&
		    berth_container_status(c) == BERTH_STATUS_PAUSED) {
			/* docker's wording, should the library's message not say it */
			warnx_("container %s is paused, unpause the container before exec", argv[st.ind]);
			code = EXIT_BERTH;
			goto out;
		}
		code = berr("exec");
		if (e->sys_errno == ENOENT && e->code != BERTH_ESTATE)
			code = EXIT_NOTFOUND;
		else if (e->sys_errno == EACCES || e->sys_errno == ENOEXEC)
			code = EXIT_NOEXEC;
		goto out;
	}
	if (detach) {
		code = 0;
		goto out;
	}
	struct exec_state x = { p, 0, 0 };
	if (tty) {
		int pty;
		if (berth_process_take_console(&pty, p) < 0) {
			code = berr("console");
			berth_process_kill(p, SIGKILL);
			berth_process_wait(NULL, NULL, p, -1);
			goto out;
		}
		term_copy_winsize(pty);
		int raw = interactive && term_raw(STDIN_FILENO) == 0;
		struct relay r = { pty, interactive ? STDIN_FILENO : -1, STDOUT_FILENO, 1, 0, interactive && !raw,
			           exec_forward, exec_done, &x };
		relay_run(&r);
		term_restore();
		close(pty);
	}
	if (x.done)
		code = x.code;
	else if (wait_forwarding(&code, NULL, p) < 0)
		code = berr("wait");
	stdio_guard_finish();
out:
	berth_process_free(p);
	berth_container_free(c);
	free(uspec);
	strv_free(&env);
	return code;
}

/* ----------------------------------------------------------------- attach */

int cmd_attach(int argc, char **argv)
{
	enum { A_NO_STDIN = 1 };
	static const struct cli_opt opts[] = {
		{ A_NO_STDIN, 0, "no-stdin", OPT_BOOL, NULL, "Do not attach stdin" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"attach", "[OPTIONS] CONTAINER", "Attach to a running container's terminal",
		"Detach with Ctrl-P Ctrl-Q; the container goes on. Without a terminal (run -d\n"
		"without -t), attach follows the container's output until it stops.\n"
		"Exit status: the container's once it stops, 0 when detached.\n"
	};
	struct opt_state st;
	const char *arg;
	int id, no_stdin = 0;

	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		no_stdin = opt_true(arg);
	if (argc - st.ind != 1)
		usage_error("attach", "requires exactly 1 container argument");
	berth_container *c;
	if (open_container(&c, argv[st.ind]) < 0)
		return EXIT_BERTH;
	int code = attach_terminal(c, !no_stdin, 0);
	if (code == -2 && berth_error_last()->code == BERTH_EUNSUPPORTED) {
		/* No terminal: stream what it writes from now on (Ctrl-C ends berth attach only). */
		code = follow_log(c, now_ns(), 1);
		if (code == 0 && berth_container_wait(&code, NULL, c, 10000) < 0)
			code = berr("wait");
	} else if (code == -2) {
		code = berr(argv[st.ind]);
	} else if (code == -1) {
		code = 0;
	}
	berth_container_free(c);
	return code;
}
