/* SPDX-License-Identifier: LGPL-2.1-or-later
 * exec: a new process in a running container (its namespaces, capabilities,
 * seccomp filter, no_new_privs, user and environment), and attach. */
#include "runtime/container.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

BERTH_EXTERN int berth_exec_options_init(berth_exec_options *opts, unsigned int version)
{
	static const berth_exec_options d = BERTH_EXEC_OPTIONS_INIT;
	static const size_t sizes[] = { sizeof d };
	return berth__options_init(opts, version, &d, sizes, BERTH_ARRAY_SIZE(sizes), "berth_exec_options");
}

/* "KEY=VALUE" of an exec's env: replaces the container's KEY or is added. */
static int exec_env(berth__cfg_process *p, berth__config *cfg, const char *const *add)
{
	size_t n = 0;
	while (add[n])
		n++;
	const char **env = berth__config_alloc(cfg, (p->n_env + n + 1) * sizeof *env);
	if (!env)
		return BERTH_ENOMEM;
	memcpy(env, p->env, p->n_env * sizeof *env);
	size_t cnt = p->n_env;
	for (const char *const *e = add; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			return berth__err(BERTH_EINVAL, "env '%s': must be KEY=VALUE", *e);
		size_t kl = (size_t)(eq - *e) + 1, i;
		for (i = 0; i < cnt && strncmp(env[i], *e, kl); i++)
			;
		env[i] = *e;
		cnt += i == cnt;
	}
	p->env = env;
	p->n_env = cnt;
	return 0;
}

static int exec_user(berth__cfg_process *p, const char *user)
{
	char *end, *e2;
	unsigned long uid = strtoul(user, &end, 10), gid = uid;
	int bad = end == user || (*end && *end != ':') || user[0] == '-';
	if (!bad && *end == ':') {
		gid = strtoul(end + 1, &e2, 10);
		bad = e2 == end + 1 || *e2 || end[1] == '-';
	}
	if (bad)
		return berth__err(BERTH_EINVAL, "user '%s': must be UID[:GID] (numeric)", user);
	if (uid > UINT32_MAX || gid > UINT32_MAX)
		return berth__err(BERTH_EINVAL, "user '%s': out of range", user);
	/* the user given replaces the container's (its umask and additional gids too) */
	p->uid = (uint32_t)uid;
	p->gid = (uint32_t)gid;
	p->n_gids = 0;
	p->umask = -1;
	return 0;
}

/* The exec's process: the container's (parsed from its spec) with the exec
 * options applied in place; strings borrowed from the options or the spec. */
static int exec_process(berth__cfg_process *p, berth__config *cfg, const json_t *spec, const berth_exec_options *o)
{
	int r = berth__config_parse_process(p, cfg, json_object_get(spec, "process"));
	if (r < 0)
		return r;
	if (!o->args[0][0])
		return berth__err(BERTH_EINVAL, "args[0]: must not be empty");
	for (p->n_args = 0; o->args[p->n_args]; p->n_args++)
		;
	p->args = o->args;
	if (o->env && (r = exec_env(p, cfg, o->env)) < 0)
		return r;
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return berth__err(BERTH_EINVAL, "cwd '%s': must be an absolute path", o->cwd);
		p->cwd = o->cwd;
	}
	return o->user ? exec_user(p, o->user) : 0;
}

BERTH_EXTERN int berth_container_exec(berth_process **out, berth_container *c, const berth_exec_options *opts)
{
	if (!out || !c || !opts)
		return berth__err(BERTH_EINVAL, "exec: out, container and options are required");
	if (berth__check_version(opts->version, BERTH_EXEC_OPTIONS_VERSION, "berth_exec_options") < 0)
		return berth__err_prefix("exec");
	if (!opts->args || !opts->args[0])
		return berth__err(BERTH_EINVAL, "exec in %s: args: must be a non-empty array", c->id);
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (c->status == BERTH_STATUS_PAUSED)
		return berth__err(BERTH_ESTATE, "container %s: cannot exec in a paused container: unpause it first", c->id);
	if (c->status != BERTH_STATUS_RUNNING)
		return berth__err(BERTH_ESTATE, "container %s: cannot exec in a %s container", c->id,
		                  berth_status_name(c->status));
	json_t *spec = NULL;
	if ((r = berth__container_spec_json(&spec, c)) < 0)
		return r;
	berth__plan plan;
	berth__plan_init(&plan);
	berth__config *cfg = berth__config_new(spec); /* the exec's process, typed */
	int initfd = -1, master = -1, sync = -1, pidfd = -1;
	berth_cgroup *cg = NULL;
	pid_t pid = 0;
	char what[200];
	snprintf(what, sizeof what, "exec in %s", c->id);
	char cache[PATH_MAX];
	berth__path_seccomp_cache(cache, sizeof cache, c->ctx->root);
	plan.seccomp_cache = cache;
	if (!cfg) {
		r = BERTH_ENOMEM;
		goto out;
	}
	if ((r = exec_process(&cfg->process, cfg, spec, opts)) < 0 ||
	    (r = berth__plan_process(&plan, &cfg->process)) < 0) {
		berth__err_prefix("%s", what);
		goto out;
	}
	json_t *sec = json_object_get(json_object_get(spec, "linux"), "seccomp");
	if ((r = berth__plan_seccomp(&plan, sec)) < 0)
		goto out;
	initfd = berth__container_pidfd(c);
	if (initfd < 0) {
		r = berth__err(BERTH_ESTATE, "container %s: cannot exec: it is not running", c->id);
		goto out;
	}
	/* every namespace of the init that differs from ours; pid via the parent thread */
	static const int types[] = { BERTH_NS_USER, BERTH_NS_MOUNT, BERTH_NS_UTS, BERTH_NS_IPC,
	                             BERTH_NS_NET, BERTH_NS_CGROUP, BERTH_NS_TIME };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(types); i++) {
		char a[64], b[64];
		struct stat sa, sb;
		const char *pn = berth_ns_type_name(types[i]);
		snprintf(a, sizeof a, "/proc/%d/ns/%s", (int)c->pid,
		         types[i] == BERTH_NS_NET ? "net" : types[i] == BERTH_NS_MOUNT ? "mnt" : pn);
		snprintf(b, sizeof b, "/proc/self/ns/%s",
		         types[i] == BERTH_NS_NET ? "net" : types[i] == BERTH_NS_MOUNT ? "mnt" : pn);
		if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino != sb.st_ino)
			plan.setns_flags |= (int)berth_ns_clone_flag(types[i]);
	}
	char pidns[64];
	snprintf(pidns, sizeof pidns, "/proc/%d/ns/pid", (int)c->pid);
	plan.join_pid_fd = open(pidns, O_RDONLY | O_CLOEXEC);
	if (plan.join_pid_fd < 0) {
		r = berth__err_sys(errno, "%s: open %s", what, pidns);
		goto out;
	}
	plan.exec_only = 1;
	plan.setns_pidfd = initfd;
	plan.set_groups = 1;
	if (opts->stdio_mode == BERTH_STDIO_TERMINAL) {
		plan.terminal = 1;
	} else {
		/* not given: the container's own /dev/null, opened inside */
		plan.stdio[0] = opts->stdin_fd >= 0 ? opts->stdin_fd : BERTH__STDIO_NULL;
		plan.stdio[1] = opts->stdout_fd >= 0 ? opts->stdout_fd : BERTH__STDIO_NULL;
		plan.stdio[2] = opts->stderr_fd >= 0 ? opts->stderr_fd : BERTH__STDIO_NULL;
	}
	/* the container's cgroup: CLONE_INTO_CGROUP where there is a unified
	 * hierarchy, an attach before the gate opens for v1 hierarchies */
	if (json_object_get(c->state, "cgroupPath")) {
		if ((r = berth_container_cgroup(&cg, c)) < 0)
			goto out;
		plan.cgroup_fd = berth_cgroup_unified_fd(cg);
		plan.gate = berth_cgroup_get_mode(cg) != BERTH_CGROUP_V2;
	}
	if ((r = berth__spawn(&pid, &pidfd, &sync, &plan, what)) < 0)
		goto out;
	if (plan.gate) {
		if ((r = berth_cgroup_attach(cg, pid)) < 0 || write(sync, "G", 1) != 1) {
			if (r == 0)
				r = berth__err_sys(errno, "%s: signal the process", what);
			else
				berth__err_prefix("%s", what);
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			siginfo_t si;
			waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED);
			close(pidfd);
			pidfd = -1;
			goto out;
		}
	}
	if ((plan.terminal && (r = berth__spawn_recv_console(&master, sync, pid, pidfd, what)) < 0) ||
	    (r = berth__spawn_wait_ready(sync, pid, pidfd, what)) < 0) {
		pid = 0;
		close(pidfd);
		pidfd = -1;
		goto out;
	}
	berth_process *p = calloc(1, sizeof *p);
	if (!p) {
		r = berth__err_nomem();
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		siginfo_t si;
		waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED);
		close(pidfd);
		goto out;
	}
	p->pid = pid;
	p->pidfd = pidfd;
	p->console_fd = master;
	master = -1;
	*out = p;
	r = 0;
	berth__err_ok();
out:
	berth_cgroup_free(cg);
	if (sync >= 0)
		close(sync);
	if (initfd >= 0)
		close(initfd);
	if (master >= 0)
		close(master);
	berth__plan_free(&plan);
	berth__config_free(cfg);
	json_decref(spec);
	return r;
}

BERTH_EXTERN int berth_process_wait(int *out_exit_code, int *out_signal, berth_process *p, int timeout_ms)
{
	if (!p)
		return berth__err(BERTH_EINVAL, "process wait: process is NULL");
	if (!p->exited) {
		char what[64];
		snprintf(what, sizeof what, "process %d", (int)p->pid);
		int r = berth__wait_pidfd(p->pidfd, timeout_ms, &p->exit_code, &p->signal, what);
		if (r < 0)
			return r;
		p->exited = 1;
		close(p->pidfd);
		p->pidfd = -1;
	}
	if (out_exit_code)
		*out_exit_code = p->exit_code;
	if (out_signal)
		*out_signal = p->signal;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_process_kill(berth_process *p, int sig)
{
	if (!p)
		return berth__err(BERTH_EINVAL, "process kill: process is NULL");
	if (p->exited)
		return berth__err(BERTH_ESTATE, "process %d: has exited", (int)p->pid);
	if (syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) < 0)
		return berth__err_sys(errno, "process %d: send signal %d", (int)p->pid, sig);
	return 0;
}

BERTH_EXTERN int berth_process_pid(const berth_process *p) { return p ? (int)p->pid : 0; }

BERTH_EXTERN int berth_process_take_console(int *out_fd, berth_process *p)
{
	if (!out_fd || !p)
		return berth__err(BERTH_EINVAL, "take console: out_fd and process are required");
	if (p->console_fd < 0)
		return berth__err(BERTH_ENOTFOUND, "process %d: no terminal to take", (int)p->pid);
	*out_fd = p->console_fd;
	p->console_fd = -1;
	return 0;
}

BERTH_EXTERN void berth_process_free(berth_process *p)
{
	if (!p)
		return;
	if (p->pidfd >= 0) {
		/* not waited for: reap it if it is done, else leave it to its fate */
		siginfo_t si;
		memset(&si, 0, sizeof si);
		waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG);
		close(p->pidfd);
	}
	if (p->console_fd >= 0)
		close(p->console_fd);
	free(p);
}

/* --- attach: the monitor hands over the terminal master --- */

BERTH_EXTERN int berth_container_attach(int *out_fd, int *out_lease_fd, berth_container *c)
{
	if (!out_fd || !out_lease_fd || !c)
		return berth__err(BERTH_EINVAL, "attach: out_fd, out_lease_fd and container are required");
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (!json_is_true(json_object_get(c->state, "terminal")))
		return berth__err(BERTH_EUNSUPPORTED, "container %s: attach needs a container created with a terminal (-t)",
		                  c->id);
	if (c->status != BERTH_STATUS_RUNNING && c->status != BERTH_STATUS_CREATED)
		return berth__err(BERTH_ESTATE, "container %s: cannot attach to a %s container", c->id,
		                  berth_status_name(c->status));
	/* through a directory fd: socket paths are limited to 108 bytes, run roots are not */
	int dfd = open(c->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth__err_sys(errno, "container %s: attach: open %s", c->id, c->run_dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/" BERTH__MONITOR_ATTACH_SOCK, dfd);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		close(dfd);
		return berth__err_sys(errno, "container %s: attach socket", c->id);
	}
	int cr = connect(s, (struct sockaddr *)&sa, sizeof sa);
	int ce = errno;
	close(dfd);
	if (cr < 0) {
		close(s);
		return berth__err_sys(ce, "container %s: attach: connect to its monitor (detached with -t?)", c->id);
	}
	char byte = 0;
	int fd;
	ssize_t n = berth__recv_fd(s, &byte, 1, &fd);
	if (n <= 0 || byte != BERTH__MONITOR_ATTACH_OK || fd < 0) {
		if (fd >= 0)
			close(fd);
		close(s);
		if (n > 0 && byte == BERTH__MONITOR_ATTACH_BUSY)
			return berth__err(BERTH_EBUSY, "container %s: another client is attached", c->id);
		return berth__err(BERTH_ESYS, "container %s: attach: the monitor did not hand over the terminal", c->id);
	}
	*out_fd = fd;
	*out_lease_fd = s;
	berth__err_ok();
	return 0;
}
