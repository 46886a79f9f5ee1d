/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The container never holds a host file: what the CLI hands a container as
 * stdin/stdout/stderr is a pipe or a socket (passed as is: root inside can
 * chmod a pipe's inode, which is nobody else's), nothing for the host's
 * /dev/null (the library then opens the container's own), or, for a terminal
 * or a regular file, a pipe that a thread of the CLI relays. Through
 * /proc/self/fd/N a root process inside could otherwise chmod or chown the
 * host's file, terminal or /dev/null. */
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct relay1 {
	int from, to;
	atomic_int stop;    /* the process is gone: drain what is buffered, then end */
	pthread_t th;
	int running;
	int detach;         /* input: never joined (it may sit in a read of the terminal) */
};

static struct relay1 g_relays[3];

static void *relay_main(void *arg)
{
	struct relay1 *r = arg;
	char buf[65536];
	for (;;) {
		struct pollfd pfd = { r->from, POLLIN, 0 };
		int n = poll(&pfd, 1, atomic_load(&r->stop) ? 50 : 500);
		if (n == 0) {
			if (atomic_load(&r->stop))
				break; /* exited and quiet: what a left-behind child still holds is not waited for */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		ssize_t got = read(r->from, buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(r->to, buf + off, (size_t)(got - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto done;
			off += w;
		}
	}
done:
	if (r->detach)
		close(r->to); /* the container sees EOF on its stdin */
	close(r->from);
	return NULL;
}

int stdio_guard_fd(int fd, int input)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return fd;
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)
		return -1; /* /dev/null: the container's own */
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	struct relay1 *r = &g_relays[fd];
	r->from = input ? fd : p[0];
	r->to = input ? p[1] : fd;
	r->detach = input;
	atomic_store(&r->stop, 0);
	if (pthread_create(&r->th, NULL, relay_main, r) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	r->running = 1;
	if (input) {
		pthread_detach(r->th);
		return p[0]; /* the relay keeps p[1] */
	}
	return p[1];
}

void stdio_guard_started(int given_fd, int orig_fd)
{
	/* the library has dup'd the container's end: ours goes, so EOF comes */
	if (given_fd >= 0 && given_fd != orig_fd)
		close(given_fd);
}

void stdio_guard_finish(void)
{
	for (int i = 1; i < 3; i++) {
		struct relay1 *r = &g_relays[i];
		if (!r->running)
			continue;
		atomic_store(&r->stop, 1);
		pthread_join(r->th, NULL);
		r->running = 0;
	}
}
