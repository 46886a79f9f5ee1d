/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Supervision of a running container whose owner (its monitor, or the
 * attached caller) died, e.g. killed with SIGKILL: the init keeps running,
 * but nobody serves its published ports on 127.0.0.1, holds their
 * reservations, records its exit or tears its network and cgroup down.
 *
 * berth_container_supervise() starts a new monitor (berth-monitor --adopt)
 * that calls berth_container_adopt(): it becomes the container's owner in
 * the state (under the container lock, only while the old owner is dead,
 * so two repairs cannot both adopt), reserves the published host ports
 * again and serves them, and waits for the init through a pidfd. It cannot
 * become the init's parent: the exit status is read from the zombie when
 * the init's new parent has not reaped it yet, else recorded as unknown
 * (255, exitStatusUnknown). */
#include "runtime/container.h"
#include "net/net.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

BERTH_EXTERN int berth_container_supervised(const berth_container *c) { return c ? c->supervised : 0; }

/* Running (or created, paused) with a live init and a dead owner. */
static int check_orphan(berth_container *c, const char *what)
{
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (c->status == BERTH_STATUS_STOPPED || c->status == BERTH_STATUS_CREATING)
		return berth__err(BERTH_ESTATE, "container %s: %s: it is %s", c->id, what, berth_status_name(c->status));
	if (c->supervised)
		return berth__err(BERTH_ESTATE, "container %s: %s: it is supervised by process %lld", c->id, what,
		                  (long long)json_integer_value(json_object_get(c->state, "ownerPid")));
	return 0;
}

/* The published ports of the record, reserved again for the proxy. A port
 * another program took meanwhile is skipped with a warning. */
static int reserve_ports(berth_container *c)
{
	berth_port *ports = NULL;
	size_t n = 0;
	char addr[16];
	int r = berth__net_ports(&ports, &n, addr, c->root_dir);
	if (r < 0 || !n || !addr[0]) {
		free(ports);
		return r < 0 ? berth__err_prefix("container %s: adopt", c->id) : 0;
	}
	c->port_fds = calloc(n, sizeof *c->port_fds);
	c->net_addr = strdup(addr);
	if (!c->port_fds || !c->net_addr) {
		free(ports);
		return berth__err_nomem();
	}
	c->ports = ports;
	for (size_t i = 0; i < n; i++) {
		berth_port p = ports[i];
		int fd = -1;
		if (!p.host_port)
			continue;
		if (berth__port_reserve(&fd, &p) < 0) {
			berth__log(c->ctx, BERTH_LOG_WARN, "container %s: adopt: %s", c->id, berth_error_last()->message);
			continue;
		}
		c->ports[c->n_ports] = p;
		c->port_fds[c->n_ports++] = fd;
	}
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_container_adopt(berth_container *c)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "adopt: container is NULL");
	if (c->owner)
		return berth__err(BERTH_ESTATE, "container %s: adopt: this process owns it already", c->id);
	int lk = berth__container_lock(c);
	if (lk < 0)
		return lk;
	int r = check_orphan(c, "adopt");
	int pidfd = r == 0 ? berth__container_pidfd(c) : -1;
	if (r == 0 && pidfd < 0)
		r = berth__err(BERTH_ESTATE, "container %s: adopt: its init has exited", c->id);
	if (r == 0) {
		json_object_set_new(c->state, "ownerPid", json_integer(getpid()));
		json_object_set_new(c->state, "ownerStartTime", json_integer((json_int_t)berth__proc_start_time(getpid())));
		r = berth__container_save_state(c);
	}
	close(lk);
	if (r < 0) {
		if (pidfd >= 0)
			close(pidfd);
		return r;
	}
	c->owner = 1;
	c->adopted = 1;
	c->pidfd = pidfd;
	c->supervised = 1;
	r = reserve_ports(c);
	berth__log(c->ctx, BERTH_LOG_INFO, "container %s: adopted by process %d", c->id, (int)getpid());
	if (r == 0)
		berth__err_ok();
	return r;
}

void berth__adopted_exit_status(berth_container *c, int *code, int *sig, int *known)
{
	*code = 255;
	*sig = 0;
	*known = 0;
	/* /proc/PID/stat of the zombie: state (field 3), starttime (22), the
	 * wait status (52, since Linux 3.5) */
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)c->pid);
	char state;
	uint64_t want = (uint64_t)json_integer_value(json_object_get(c->state, "pidStartTime"));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	/* the same process (start time), still a zombie */
	if (n <= 0 || berth__proc_stat(c->pid, &state) != want || state != 'Z')
		return;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 52; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return;
	int status = atoi(p + 1);
	if (WIFEXITED(status)) {
		*code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		*sig = WTERMSIG(status);
		*code = 128 + *sig;
	} else
		return;
	*known = 1;
}

BERTH_EXTERN int berth_container_supervise(berth_container *c)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "supervise: container is NULL");
	int r = check_orphan(c, "supervise");
	if (r < 0)
		return r;
	berth_ctx *ctx = c->ctx;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return berth__err_sys(errno, "container %s: supervise: socketpair", c->id);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++)
		posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	char *argv[] = { "berth-monitor", BERTH__MONITOR_ARG_PROTO, BERTH__MONITOR_PROTO_STRING, "--root", ctx->root,
		         "--run-root", ctx->run_root, "--sync-fd", "3", "--id", c->id, "--adopt", "1", NULL };
	pid_t mpid;
	int e = posix_spawn(&mpid, ctx->monitor_path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (e != 0) {
		close(sv[0]);
		return berth__err_sys(e, "container %s: supervise: start the monitor %s", c->id, ctx->monitor_path);
	}
	/* the monitor forks once and its first process exits at once: reap it */
	int st;
	while (waitpid(mpid, &st, 0) < 0 && errno == EINTR)
		;
	r = berth__monitor_reply(sv[0], c->id, ctx->monitor_path);
	close(sv[0]);
	if (r < 0)
		return r;
	if ((r = berth__container_load_state(c)) < 0)
		return r;
	berth__log(ctx, BERTH_LOG_INFO, "container %s: supervised again", c->id);
	berth__err_ok();
	return 0;
}
