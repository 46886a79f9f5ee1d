/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * berth-monitor: the parent of a detached container. libberth starts it with
 *   berth-monitor --proto V --root R --run-root RR --sync-fd 3 --id ID
 * and sends on fd 3 a JSON request {id, name, flags, stdio, spec} (the
 * protocol, its version V and its messages: lib/runtime/monitor_proto.h).
 * The monitor forks once (its first process exits at once so the library can
 * reap it and the monitor is nobody's zombie), refuses a library of another
 * protocol version, creates the container through the public API (so it is
 * the init's parent), answers {proto, code, errno, message} and closes
 * fd 3. Then it waits for the container to exit and records the exit status;
 * with BERTH_STDIO_LOG the container's stdout and stderr are pipes that the
 * monitor reads into the log (monitor_log.c); with a terminal it copies the
 * terminal to the log and hands the terminal master to `attach` clients over
 * <run_root>/containers/ID/attach.sock; with BERTH_CREATE_REMOVE it deletes
 * the container at the end. The container never holds a file of the host.
 *
 * A container with published ports always has a monitor, attached or not:
 * the monitor holds the host port reservations and serves 127.0.0.1:PORT
 * (berth_container_serve_ports), and tears the network down when the
 * container exits. An attached one passes its stdio as fds 4, 5, 6
 * (--stdio-fds 4), which the monitor hands to the container and closes;
 * with a log (request "tee"), the monitor copies the output to 5 and 6.
 *
 * With --adopt 1 (berth_container_supervise) there is no request: the
 * monitor adopts the running container ID whose monitor died (adopt_container).
 */
#include "monitor_log.h"
#include "common/layout.h"
#include "runtime/monitor_proto.h"
#include <berth/berth.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

/* The log of a BERTH_STDIO_LOG container: pipes for its stdout and stderr. */
struct log_setup {
	struct mlog_src src[2];
	int child[2]; /* the write ends the container gets */
};

static int log_pipes(struct log_setup *ls, const int tee[2])
{
	for (int i = 0; i < 2; i++) {
		int p[2];
		ls->src[i].stream = i + 1;
		ls->src[i].len = 0;
		ls->src[i].tee = tee[i];
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		ls->src[i].fd = p[0];
		ls->child[i] = p[1];
	}
	return 0;
}

/* The log file and its options from the request. NULL: driver "none". */
static struct mlog *log_open(berth_container *c, json_t *opts)
{
	const char *driver = json_string_value(json_object_get(opts, "driver"));
	if (driver && !strcmp(driver, "none"))
		return NULL;
	return mlog_open(berth_container_log_path(c), (int64_t)json_integer_value(json_object_get(opts, "maxSize")),
	                 (int)json_integer_value(json_object_get(opts, "maxFile")));
}

static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void reply(int fd, int code, int sys, const char *msg)
{
	char *s = berth__monitor_reply_encode(code, sys, msg);
	if (s)
		write_all(fd, s, strlen(s));
	free(s);
}

static int fail(int fd, const char *what)
{
	const berth_error *e = berth_error_last();
	if (e->code) {
		reply(fd, e->code, e->sys_errno, e->message);
	} else {
		char buf[512];
		snprintf(buf, sizeof buf, "monitor: %s", what);
		reply(fd, BERTH_ERROR, 0, buf);
	}
	return 1;
}

/* The caller's stdio i as passed to us, or -1 where it is the host's
 * /dev/null (the library gives the container its own instead: a host inode
 * handed in could be chmod'ed through /proc/self/fd). */
static int passed_stdio(int first, int i)
{
	struct stat st;
	if (first < 0 || fstat(first + i, &st) < 0)
		return -1;
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		return -1;
	return first + i;
}

static int send_master(int conn, int master)
{
	char byte = BERTH__MONITOR_ATTACH_OK;
	return berth__send_fd(conn, &byte, 1, master);
}

/* The attach socket, listening before the creator hears back, so that an
 * attach right after create finds it. */
static int attach_listen(berth_container *c, const char *run_root)
{
	char sock[4096], dir[4096];
	if (berth__path_container(sock, sizeof sock, run_root, berth_container_id(c), BERTH__MONITOR_ATTACH_SOCK) < 0 ||
	    berth__path_container(dir, sizeof dir, run_root, berth_container_id(c), NULL) < 0)
		return -1;
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* bound through a directory fd: socket paths are limited to 108 bytes */
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/" BERTH__MONITOR_ATTACH_SOCK, dfd);
	unlink(sock);
	if (lfd >= 0 && (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0)) {
		close(lfd);
		lfd = -1;
	}
	if (dfd >= 0)
		close(dfd);
	return lfd;
}

/* A pseudo-terminal of the monitor's own for an attach client: the client
 * gets its master; the monitor relays between its raw slave and the
 * container's terminal, so that it keeps logging while someone is attached.
 * Returns the slave (the master went to the client) or -1. */
static int relay_pty(int conn, int master)
{
	int rm = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (rm < 0)
		return -1;
	int unlock = 0, sl = -1;
	if (ioctl(rm, TIOCSPTLCK, &unlock) == 0)
		sl = ioctl(rm, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios t;
	struct winsize ws;
	if (sl < 0 || tcgetattr(sl, &t) < 0) {
		if (sl >= 0)
			close(sl);
		close(rm);
		return -1;
	}
	cfmakeraw(&t);
	tcsetattr(sl, TCSANOW, &t);
	if (ioctl(master, TIOCGWINSZ, &ws) == 0)
		ioctl(rm, TIOCSWINSZ, &ws);
	int ok = send_master(conn, rm);
	close(rm);
	if (ok < 0) {
		close(sl);
		return -1;
	}
	return sl;
}

/* The attach client's window size (set on its master) onto the container's terminal. */
static void forward_winsize(int relay, int master, struct winsize *last)
{
	struct winsize ws;
	if (ioctl(relay, TIOCGWINSZ, &ws) == 0 && memcmp(&ws, last, sizeof ws)) {
		ioctl(master, TIOCSWINSZ, &ws);
		*last = ws;
	}
}

/* Copies the terminal to the log, and to an attached client through a relay
 * pseudo-terminal (relay_pty); serves attach. */
static void supervise_terminal(berth_container *c, int master, int lfd, const char *run_root, struct mlog *lg)
{
	static struct mlog_src out = { .fd = -1, .stream = 1, .tee = -1 };
	char sock[4096];
	berth__path_container(sock, sizeof sock, run_root, berth_container_id(c), BERTH__MONITOR_ATTACH_SOCK);
	int pidfd = (int)syscall(SYS_pidfd_open, berth_container_pid(c), 0);
	int lease = -1, relay = -1, exited = 0;
	struct winsize last = { 0 };
	char buf[16384];
	while (!exited) {
		struct pollfd p[5];
		int n = 0, ip = -1, im = -1, il = -1, ie = -1, ir = -1;
		if (pidfd >= 0) { p[n] = (struct pollfd){ pidfd, POLLIN, 0 }; ip = n++; }
		p[n] = (struct pollfd){ master, POLLIN, 0 }; im = n++;
		if (lfd >= 0) { p[n] = (struct pollfd){ lfd, POLLIN, 0 }; il = n++; }
		if (lease >= 0) { p[n] = (struct pollfd){ lease, POLLIN, 0 }; ie = n++; }
		if (relay >= 0) { p[n] = (struct pollfd){ relay, POLLIN, 0 }; ir = n++; }
		/* attached: a look at the client's window size every 50 ms */
		int pr = poll(p, (nfds_t)n, relay >= 0 ? 50 : -1);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (relay >= 0)
			forward_winsize(relay, master, &last);
		if (p[im].revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(master, buf, sizeof buf);
			if (r > 0) {
				if (lg) {
					/* interactive: a prompt without a newline is logged at once */
					mlog_feed(lg, &out, buf, (size_t)r);
					mlog_flush(lg, &out);
				}
				if (relay >= 0)
					write_all(relay, buf, (size_t)r);
			}
		}
		if (ir >= 0 && (p[ir].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = read(relay, buf, sizeof buf);
			if (r > 0) {
				write_all(master, buf, (size_t)r); /* the client's keys */
			} else if (r == 0 || errno != EINTR) {
				close(relay); /* the client closed its master */
				relay = -1;
			}
		}
		if (il >= 0 && (p[il].revents & POLLIN)) {
			int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (conn >= 0) {
				if (lease >= 0) {
					write_all(conn, (char[]){ BERTH__MONITOR_ATTACH_BUSY }, 1);
					close(conn);
				} else if ((relay = relay_pty(conn, master)) >= 0) {
					lease = conn;
					memset(&last, 0, sizeof last);
				} else
					close(conn);
			}
		}
		if (ie >= 0 && (p[ie].revents & (POLLIN | POLLHUP | POLLERR))) {
			char tmp[64];
			ssize_t r = read(lease, tmp, sizeof tmp);
			if (r <= 0) {
				close(lease);
				lease = -1;
				if (relay >= 0)
					close(relay);
				relay = -1;
			}
		}
		if (ip >= 0 && (p[ip].revents & POLLIN))
			exited = 1;
		if (pidfd < 0)
			exited = 1;
	}
	/* what is left in the terminal goes to the log and to the client */
	fcntl(master, F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t r = read(master, buf, sizeof buf);
		if (r <= 0)
			break;
		if (lg)
			mlog_feed(lg, &out, buf, (size_t)r);
		if (relay >= 0)
			write_all(relay, buf, (size_t)r);
	}
	if (lg)
		mlog_flush(lg, &out);
	/* the client reads what is left, sees EIO once the relay is closed and
	 * empty, and closes its lease: give it time to finish */
	if (relay >= 0)
		close(relay);
	for (int waited = 0; lease >= 0 && waited < 5000; waited += 100) {
		struct pollfd p = { lease, POLLIN, 0 };
		if (poll(&p, 1, 100) > 0) {
			char tmp[64];
			if (read(lease, tmp, sizeof tmp) <= 0) {
				close(lease);
				lease = -1;
			}
		}
	}
	if (lease >= 0)
		close(lease);
	if (lfd >= 0) {
		close(lfd);
		unlink(sock);
	}
	if (pidfd >= 0)
		close(pidfd);
}

/* Forks once (the first process exits, the library reaps it), a session
 * of its own, the subreaper of the container, signals that must not end it. */
static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* the loopback proxy holds 6 descriptors per connection: the soft limit
	 * goes up to the hard one (the container's own limit is its spec's) */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	return 0;
}

/* --adopt 1 (berth_container_supervise): a running container whose monitor
 * died gets this one. It is not the init's parent: it adopts the container
 * (owner in the state, the host ports reserved again), serves 127.0.0.1,
 * answers on the sync fd, and waits for the init's exit to record it and
 * clean up (and delete the container if it was created with --rm). */
static int adopt_container(int sync, const char *root, const char *run_root, const char *id)
{
	berth_ctx_options co = BERTH_CTX_OPTIONS_INIT;
	co.root = root;
	co.run_root = run_root;
	berth_ctx *ctx = NULL;
	berth_container *c = NULL;
	if (berth_ctx_new(&ctx, &co) < 0)
		return fail(sync, "context");
	if (berth_container_open(&c, ctx, id) < 0 || berth_container_adopt(c) < 0 || berth_container_serve_ports(c) < 0) {
		fail(sync, "adopt");
		berth_container_free(c);
		berth_ctx_free(ctx);
		return 1;
	}
	char *js = NULL;
	json_t *st = berth_container_inspect(&js, c) == 0 ? json_loads(js, 0, NULL) : NULL;
	int auto_remove = json_is_true(json_object_get(st, "autoRemove"));
	json_decref(st);
	berth_free(js);
	reply(sync, 0, 0, "");
	close(sync);
	int code = 0, sig = 0;
	berth_container_wait(&code, &sig, c, -1);
	if (auto_remove)
		berth_container_delete(c, BERTH_DELETE_FORCE);
	berth_container_free(c);
	berth_ctx_free(ctx);
	return 0;
}

/* The request (a JSON text, malloc'd) read from the sync fd to its end, or NULL. */
static char *read_request(int sync)
{
	size_t cap = 65536, len = 0;
	char *req = malloc(cap);
	for (;;) {
		if (!req)
			return NULL;
		if (len + 1 >= cap) {
			char *n = realloc(req, cap *= 2);
			if (!n) {
				free(req);
				return NULL;
			}
			req = n;
		}
		ssize_t r = read(sync, req + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(req);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	req[len] = '\0';
	return req;
}

/* A library of another protocol version: answered without acting. */
static int refuse_version(int sync, long theirs, const char *self)
{
	char msg[4200], who[4200];
	snprintf(who, sizeof who, "the monitor %s", self);
	berth__monitor_proto_check(msg, sizeof msg, theirs, "the library (libberth)", who);
	reply(sync, BERTH_EUNSUPPORTED, 0, msg);
	return 1;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *run_root = NULL, *id = NULL;
	int sync = -1, stdio_fds = -1, adopt = 0;
	long proto = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], BERTH__MONITOR_ARG_PROTO))
			proto = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
		else if (!strcmp(argv[i], "--run-root"))
			run_root = argv[i + 1];
		else if (!strcmp(argv[i], "--sync-fd"))
			sync = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--id"))
			id = argv[i + 1];
		else if (!strcmp(argv[i], "--stdio-fds"))
			stdio_fds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--adopt"))
			adopt = atoi(argv[i + 1]);
	}
	if (!root || !run_root || !id || sync < 3) {
		fprintf(stderr, "usage: berth-monitor --proto V --root DIR --run-root DIR --sync-fd N --id ID\n"
		                "(started by libberth for a detached container; not for direct use)\n");
		return 2;
	}
	fcntl(sync, F_SETFD, FD_CLOEXEC);
	/* no descriptor of the caller but the sync socket stays */
	syscall(SYS_close_range, 3, sync - 1, 0);
	if (stdio_fds == sync + 1) {
		for (int i = 0; i < 3; i++)
			fcntl(stdio_fds + i, F_SETFD, FD_CLOEXEC);
		syscall(SYS_close_range, stdio_fds + 3, ~0U, 0);
	} else {
		stdio_fds = -1;
		syscall(SYS_close_range, sync + 1, ~0U, 0);
	}
	if (daemonize() < 0)
		return fail(sync, "fork");
	/* the request is read whole first (the library sends it before it
	 * reads the reply), also from a library of another version */
	char *req = adopt ? NULL : read_request(sync);
	if (proto != BERTH__MONITOR_PROTO_VERSION) {
		free(req);
		return refuse_version(sync, proto, argv[0]);
	}
	if (adopt)
		return adopt_container(sync, root, run_root, id);
	if (!req)
		return fail(sync, "read the request");
	json_error_t je;
	json_t *j = json_loads(req, 0, &je);
	free(req);
	if (!j)
		return fail(sync, "malformed request");
	char *specs = json_dumps(json_object_get(j, "spec"), JSON_COMPACT);
	berth_spec *spec = NULL;
	if (!specs || berth_spec_parse(&spec, specs, strlen(specs)) < 0)
		return fail(sync, "parse the spec");
	free(specs);

	berth_ctx_options co = BERTH_CTX_OPTIONS_INIT;
	co.root = root;
	co.run_root = run_root;
	berth_ctx *ctx = NULL;
	if (berth_ctx_new(&ctx, &co) < 0)
		return fail(sync, "context");
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.id = id;
	const char *name = json_string_value(json_object_get(j, "name"));
	o.name = name && *name ? name : NULL;
	unsigned int flags = (unsigned int)json_integer_value(json_object_get(j, "flags"));
	o.flags = (flags & ~(unsigned)(BERTH_CREATE_DETACH)) | BERTH_CREATE_IN_PROCESS;
	o.stdio_mode = (int)json_integer_value(json_object_get(j, "stdio"));
	json_t *logopts = json_object_get(j, "log");
	o.log_driver = json_string_value(json_object_get(logopts, "driver"));
	o.log_max_size = (int64_t)json_integer_value(json_object_get(logopts, "maxSize"));
	o.log_max_file = (int)json_integer_value(json_object_get(logopts, "maxFile"));
	if (o.stdio_mode == BERTH_STDIO_FDS)
		o.log_driver = NULL; /* the caller's fds: no log */
	int logging = o.stdio_mode != BERTH_STDIO_FDS && !(o.log_driver && !strcmp(o.log_driver, "none"));
	struct log_setup ls = { .src = { { .fd = -1 }, { .fd = -1 } }, .child = { -1, -1 } };
	if (o.stdio_mode != BERTH_STDIO_TERMINAL) {
		o.stdin_fd = passed_stdio(stdio_fds, 0);
		o.stdout_fd = passed_stdio(stdio_fds, 1);
		o.stderr_fd = passed_stdio(stdio_fds, 2);
	}
	if (o.stdio_mode == BERTH_STDIO_LOG && logging) {
		json_t *tee = json_object_get(j, "tee");
		int tees[2] = { json_is_true(json_array_get(tee, 0)) ? o.stdout_fd : -1,
			        json_is_true(json_array_get(tee, 1)) ? o.stderr_fd : -1 };
		if (log_pipes(&ls, tees) < 0)
			return fail(sync, "pipes for the log");
		o.stdout_fd = ls.child[0];
		o.stderr_fd = ls.child[1];
	}
	berth_container *c = NULL;
	if (berth_container_create(&c, ctx, spec, &o) < 0)
		return fail(sync, "create");
	for (int i = 0; i < 2; i++)
		if (ls.child[i] >= 0)
			close(ls.child[i]);
	if (stdio_fds >= 0) {
		/* the container has its own copies: a caller waiting for EOF on a
		 * pipe must not wait for the monitor (but for the copies of a tee) */
		for (int i = 0; i < 3; i++)
			if (stdio_fds + i != ls.src[0].tee && stdio_fds + i != ls.src[1].tee)
				close(stdio_fds + i);
	}
	struct mlog *lg = NULL;
	if (logging && !(lg = log_open(c, logopts))) {
		char msg[4200];
		snprintf(msg, sizeof msg, "container %s: log %s: %s", id, berth_container_log_path(c), strerror(errno));
		reply(sync, BERTH_ESYS, errno, msg);
		berth_container_delete(c, BERTH_DELETE_FORCE);
		return 1;
	}
	/* published ports: 127.0.0.1:PORT through the loopback proxy */
	if (berth_container_serve_ports(c) < 0) {
		fail(sync, "serve ports");
		berth_container_delete(c, BERTH_DELETE_FORCE);
		return 1;
	}
	berth_spec_free(spec);
	json_decref(j);
	int master = -1, lfd = -1;
	if (o.stdio_mode == BERTH_STDIO_TERMINAL && berth_container_take_console(&master, c) == 0)
		lfd = attach_listen(c, run_root);
	reply(sync, 0, 0, "");
	close(sync);

	if (master >= 0) {
		supervise_terminal(c, master, lfd, run_root, lg);
		close(master);
	} else if (ls.src[0].fd >= 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, berth_container_pid(c), 0);
		mlog_pump(lg, ls.src, 2, pidfd);
		if (pidfd >= 0)
			close(pidfd);
	}
	mlog_close(lg);
	for (int i = 0; i < 2; i++)
		if (ls.src[i].tee >= 0)
			close(ls.src[i].tee);
	int code = 0, sig = 0;
	berth_container_wait(&code, &sig, c, -1);
	if (flags & BERTH_CREATE_REMOVE)
		berth_container_delete(c, BERTH_DELETE_FORCE);
	berth_container_free(c);
	berth_ctx_free(ctx);
	return 0;
}
