/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The loopback proxy: 127.0.0.1:HOSTPORT (which DNAT never sees) relayed to
 * container_ip:container_port by one thread with one epoll loop.
 *
 * TCP: the reserved listening socket is accepted on; each client gets a
 * non-blocking connect to the container, and bytes move with splice()
 * through one pipe per direction (socket -> pipe -> socket, no copy to user
 * space), edge-triggered, EPOLLOUT asked for only while a write would
 * block. End of stream on one side is passed on as shutdown(SHUT_WR) once
 * its pipe is drained (half-close); a reset or error closes both sides,
 * the other with a reset (SO_LINGER 0).
 *
 * UDP: datagrams on the reserved socket are sent on from a connected socket
 * per client address (so replies find their client); replies go back from
 * the address the client wrote to (IP_PKTINFO). A client idle for
 * udp_idle_ms loses its socket.
 *
 * Threading: add/remove/stop may come from any thread. The loop holds the
 * mutex while it handles a batch of events; add/remove take it, so they run
 * while the loop waits in epoll_wait. Objects are never freed while a batch
 * may still point at them: whoever closes one marks it dead and puts it on
 * the zombie list, which the loop frees after the batch.
 */
#include "net/nat.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PIPE_SIZE (1 << 20)      /* asked for; the kernel may give less */
#define UDP_IDLE_MS_DEFAULT 90000 /* docker's userland proxy uses 90 s */
#define UDP_MAX_SESSIONS 1024     /* per mapping; the least recently used goes */
#define UDP_BUF 65536
#define MAX_EVENTS 128

enum { K_WAKE, K_TCP_LISTEN, K_UDP_LISTEN, K_TCP_SIDE, K_UDP_SESSION };

typedef struct node {
	int kind;
	int dead;
	struct node *zombie_next;
} node;

struct tconn;
typedef struct listener listener;

typedef struct tside {
	node n;
	struct tconn *c;
	int idx; /* 0: the client, 1: the container */
} tside;

typedef struct tconn {
	node n; /* the connection itself (zombie list) */
	tside side[2];
	int fd[2];
	int pipe[2][2]; /* pipe[d]: direction d, from fd[d] to fd[1-d] */
	size_t pending[2], cap[2];
	int eof[2];  /* fd[d] has reached end of stream */
	int shut[2]; /* fd[1-d] has been shut down for writing */
	int connected;
	int want_out[2]; /* EPOLLOUT asked for fd[i]: only while a write to it would block */
	listener *l;
	struct tconn *prev, *next;
} tconn;

typedef struct usession {
	node n;
	int fd;                  /* connected to the container */
	berth__any_addr client;         /* who wrote to the mapping */
	socklen_t client_len;
	berth__any_addr local;          /* the address it wrote to (reply from it) */
	int have_local;
	uint64_t last_ms;
	listener *l;
	struct usession *prev, *next;
} usession;

struct listener {
	node n;
	int fd;
	berth_port p;
	berth__any_addr target;
	socklen_t target_len;
	tconn *conns;
	usession *sessions;
	size_t nsessions;
	uint64_t paused_until; /* accept hit EMFILE: not listened to until then */
	listener *prev, *next;
};

struct berth__proxy {
	pthread_t thread;
	pthread_mutex_t mu;
	int epfd;
	node wake;
	int evfd;
	int stop;
	listener *listeners;
	node *zombies;
	unsigned int udp_idle_ms;
	char *buf; /* UDP datagrams (loop thread only) */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void zombie(berth__proxy *px, node *n)
{
	n->dead = 1;
	n->zombie_next = px->zombies;
	px->zombies = n;
}

static void free_zombies(berth__proxy *px)
{
	while (px->zombies) {
		node *n = px->zombies;
		px->zombies = n->zombie_next;
		free(n); /* every node is the first member of its allocation */
	}
}

/* ------------------------------------------------------------------ TCP */

static void tconn_close(berth__proxy *px, tconn *c, int reset)
{
	if (c->n.dead)
		return;
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0) {
			epoll_ctl(px->epfd, EPOLL_CTL_DEL, c->fd[i], NULL);
			if (reset) {
				struct linger lg = { 1, 0 };
				setsockopt(c->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			}
			close(c->fd[i]);
		}
		for (int j = 0; j < 2; j++)
			if (c->pipe[i][j] >= 0)
				close(c->pipe[i][j]);
	}
	if (c->prev)
		c->prev->next = c->next;
	else if (c->l)
		c->l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	zombie(px, &c->n);
}

#define SIDE_EVENTS (EPOLLIN | EPOLLRDHUP | EPOLLET)

/* Asks for EPOLLOUT on fd[i] only while a write to it is blocked: a socket
 * that is always watched for it wakes the loop at every ACK. */
static int want_out(berth__proxy *px, tconn *c, int i, int on)
{
	if (c->want_out[i] == on)
		return 0;
	struct epoll_event ev = { .events = SIDE_EVENTS | (on ? EPOLLOUT : 0), .data.ptr = &c->side[i] };
	if (epoll_ctl(px->epfd, EPOLL_CTL_MOD, c->fd[i], &ev) < 0)
		return -1;
	c->want_out[i] = on;
	return 0;
}

/* Moves what can move in direction d (fd[d] -> pipe -> fd[1-d]). 0, or -1
 * when the connection is to be reset. */
static int pump(berth__proxy *px, tconn *c, int d)
{
	int src = c->fd[d], dst = c->fd[1 - d];
	int wblocked = 0;
	for (;;) {
		while (c->pending[d] && !wblocked) {
			ssize_t n = splice(c->pipe[d][0], NULL, dst, NULL, c->pending[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0)
				c->pending[d] -= (size_t)n;
			else if (n < 0 && errno == EAGAIN)
				wblocked = 1;
			else if (n < 0 && errno == EINTR)
				continue;
			else
				return -1;
		}
		if (c->eof[d]) {
			if (!c->pending[d] && !c->shut[d]) {
				shutdown(dst, SHUT_WR);
				c->shut[d] = 1;
			}
			break;
		}
		if (c->pending[d] >= c->cap[d])
			break; /* full and the destination blocked: its EPOLLOUT comes back here */
		ssize_t n = splice(src, NULL, c->pipe[d][1], NULL, c->cap[d] - c->pending[d],
		                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			c->pending[d] += (size_t)n;
		} else if (n == 0) {
			c->eof[d] = 1;
		} else if (errno == EAGAIN) {
			/* the source is drained, or the pipe ran out of slots
			 * (many small buffers): flush first if we can */
			if (c->pending[d] && !wblocked)
				continue;
			break;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return want_out(px, c, 1 - d, c->pending[d] > 0);
}

static void tconn_event(berth__proxy *px, tside *s, uint32_t ev)
{
	tconn *c = s->c;
	int just_connected = 0;
	if (c->n.dead)
		return;
	if (!c->connected) {
		if (s->idx == 0)
			return; /* the client waits for the container's connect */
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			tconn_close(px, c, 1); /* refused: the client sees a reset */
			return;
		}
		c->connected = 1;
		just_connected = 1;
		if (want_out(px, c, 1, 0) < 0) {
			tconn_close(px, c, 1);
			return;
		}
	}
	int i = s->idx;
	if (just_connected || (ev & (EPOLLERR | EPOLLHUP))) {
		if (pump(px, c, 0) < 0 || pump(px, c, 1) < 0) {
			tconn_close(px, c, 1);
			return;
		}
	} else {
		/* readable: from this side on; writable: what waits for this side */
		if (((ev & (EPOLLIN | EPOLLRDHUP)) && pump(px, c, i) < 0) || ((ev & EPOLLOUT) && pump(px, c, 1 - i) < 0)) {
			tconn_close(px, c, 1);
			return;
		}
	}
	if (c->shut[0] && c->shut[1])
		tconn_close(px, c, 0);
}

static int make_pipe(int p[2], size_t *cap)
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	int sz = fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
	if (sz < 0)
		sz = fcntl(p[1], F_GETPIPE_SZ);
	*cap = sz > 0 ? (size_t)sz : 65536;
	return 0;
}

static void tcp_accept(berth__proxy *px, listener *l)
{
	for (;;) {
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: stop listening until the next tick */
				struct epoll_event ev = { .events = 0, .data.ptr = &l->n };
				epoll_ctl(px->epfd, EPOLL_CTL_MOD, l->fd, &ev);
				l->paused_until = now_ms() + 100;
			}
			return;
		}
		tconn *c = calloc(1, sizeof *c);
		if (!c) {
			close(cfd);
			continue;
		}
		c->n.kind = -1;
		c->fd[0] = cfd;
		c->fd[1] = -1;
		c->pipe[0][0] = c->pipe[0][1] = c->pipe[1][0] = c->pipe[1][1] = -1;
		c->l = l;
		for (int i = 0; i < 2; i++) {
			c->side[i].n.kind = K_TCP_SIDE;
			c->side[i].c = c;
			c->side[i].idx = i;
		}
		c->next = l->conns;
		if (l->conns)
			l->conns->prev = c;
		l->conns = c;
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		int ufd = socket(l->target.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (ufd < 0 || make_pipe(c->pipe[0], &c->cap[0]) < 0 || make_pipe(c->pipe[1], &c->cap[1]) < 0) {
			if (ufd >= 0)
				close(ufd);
			tconn_close(px, c, 1);
			continue;
		}
		c->fd[1] = ufd;
		setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(ufd, &l->target.sa, l->target_len) < 0 && errno != EINPROGRESS) {
			tconn_close(px, c, 1);
			continue;
		}
		/* the container's side is watched for EPOLLOUT until it is connected */
		struct epoll_event ev0 = { .events = SIDE_EVENTS, .data.ptr = &c->side[0] };
		struct epoll_event ev1 = { .events = SIDE_EVENTS | EPOLLOUT, .data.ptr = &c->side[1] };
		c->want_out[1] = 1;
		if (epoll_ctl(px->epfd, EPOLL_CTL_ADD, cfd, &ev0) < 0 || epoll_ctl(px->epfd, EPOLL_CTL_ADD, ufd, &ev1) < 0) {
			tconn_close(px, c, 1);
			continue;
		}
	}
}

/* ------------------------------------------------------------------ UDP */

static void usession_close(berth__proxy *px, usession *s)
{
	if (s->n.dead)
		return;
	epoll_ctl(px->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	if (s->prev)
		s->prev->next = s->next;
	else
		s->l->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->l->nsessions--;
	zombie(px, &s->n);
}

static int same_addr(const berth__any_addr *a, socklen_t alen, const berth__any_addr *b, socklen_t blen)
{
	if (alen != blen || a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port && a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port && !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
}

static void udp_from_client(berth__proxy *px, listener *l)
{
	for (int burst = 0; burst < 256; burst++) {
		berth__any_addr from;
		char cbuf[256];
		struct iovec iov = { px->buf, UDP_BUF };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			             .msg_control = cbuf, .msg_controllen = sizeof cbuf };
		ssize_t n = recvmsg(l->fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error queued on the socket */
		}
		usession *s = l->sessions;
		while (s && !same_addr(&s->client, s->client_len, &from, mh.msg_namelen))
			s = s->next;
		if (!s) {
			if (l->nsessions >= UDP_MAX_SESSIONS) {
				usession *old = l->sessions;
				for (usession *t = l->sessions; t; t = t->next)
					if (t->last_ms < old->last_ms)
						old = t;
				usession_close(px, old);
			}
			s = calloc(1, sizeof *s);
			if (!s)
				continue;
			s->n.kind = K_UDP_SESSION;
			s->l = l;
			s->client = from;
			s->client_len = mh.msg_namelen;
			for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
				if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;
					memcpy(&pi, CMSG_DATA(cm), sizeof pi);
					s->local.in4.sin_family = AF_INET;
					s->local.in4.sin_addr = pi.ipi_addr;
					s->have_local = 1;
				} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
					struct in6_pktinfo pi;
					memcpy(&pi, CMSG_DATA(cm), sizeof pi);
					s->local.in6.sin6_family = AF_INET6;
					s->local.in6.sin6_addr = pi.ipi6_addr;
					s->have_local = 1;
				}
			}
			s->fd = socket(l->target.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->n };
			if (s->fd < 0 || connect(s->fd, &l->target.sa, l->target_len) < 0 ||
			    epoll_ctl(px->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
				if (s->fd >= 0)
					close(s->fd);
				free(s);
				continue;
			}
			s->next = l->sessions;
			if (l->sessions)
				l->sessions->prev = s;
			l->sessions = s;
			l->nsessions++;
		}
		s->last_ms = now_ms();
		/* a full socket buffer or an ICMP error from an earlier datagram:
		 * UDP may drop, and so do we */
		send(s->fd, px->buf, (size_t)n, MSG_DONTWAIT);
	}
}

/* One control message of len bytes of data at cm: the control length it takes. */
static size_t put_cmsg(struct cmsghdr *cm, int level, int type, const void *data, size_t len)
{
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

static void udp_from_container(berth__proxy *px, usession *s)
{
	for (int burst = 0; burst < 256; burst++) {
		ssize_t n = recv(s->fd, px->buf, UDP_BUF, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			continue; /* ECONNREFUSED and the like: nobody listens there (yet) */
		}
		struct iovec iov = { px->buf, (size_t)n };
		char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		memset(cbuf, 0, sizeof cbuf);
		struct msghdr mh = { .msg_name = &s->client, .msg_namelen = s->client_len, .msg_iov = &iov, .msg_iovlen = 1 };
		if (s->have_local) {
			mh.msg_control = cbuf;
			struct cmsghdr *cm = (struct cmsghdr *)cbuf;
			if (s->local.sa.sa_family == AF_INET) {
				struct in_pktinfo pi = { 0 };
				pi.ipi_spec_dst = s->local.in4.sin_addr;
				mh.msg_controllen = put_cmsg(cm, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
			} else {
				struct in6_pktinfo pi = { 0 };
				pi.ipi6_addr = s->local.in6.sin6_addr;
				mh.msg_controllen = put_cmsg(cm, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
			}
		}
		sendmsg(s->l->fd, &mh, MSG_DONTWAIT);
		s->last_ms = now_ms();
	}
}

/* ------------------------------------------------------------------ loop */

static void listener_close(berth__proxy *px, listener *l)
{
	while (l->conns)
		tconn_close(px, l->conns, 1);
	while (l->sessions)
		usession_close(px, l->sessions);
	epoll_ctl(px->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	if (l->prev)
		l->prev->next = l->next;
	else
		px->listeners = l->next;
	if (l->next)
		l->next->prev = l->prev;
	zombie(px, &l->n);
}

/* Idle UDP clients, paused listeners. Returns the epoll timeout (ms, -1: none). */
static int tick(berth__proxy *px)
{
	uint64_t now = now_ms();
	int timeout = -1;
	for (listener *l = px->listeners; l; l = l->next) {
		if (l->paused_until && now >= l->paused_until) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->n };
			epoll_ctl(px->epfd, EPOLL_CTL_MOD, l->fd, &ev);
			l->paused_until = 0;
		} else if (l->paused_until) {
			int left = (int)(l->paused_until - now) + 1;
			if (timeout < 0 || left < timeout)
				timeout = left;
		}
		for (usession *s = l->sessions, *next; s; s = next) {
			next = s->next;
			uint64_t idle = now - s->last_ms;
			if (idle >= px->udp_idle_ms) {
				usession_close(px, s);
				continue;
			}
			int left = (int)(px->udp_idle_ms - idle) + 1;
			if (timeout < 0 || left < timeout)
				timeout = left;
		}
	}
	return timeout;
}

static void *loop(void *arg)
{
	berth__proxy *px = arg;
	struct epoll_event evs[MAX_EVENTS];
	pthread_mutex_lock(&px->mu);
	int timeout = -1;
	while (!px->stop) {
		pthread_mutex_unlock(&px->mu);
		int n = epoll_wait(px->epfd, evs, MAX_EVENTS, timeout);
		pthread_mutex_lock(&px->mu);
		for (int i = 0; i < n && !px->stop; i++) {
			node *nd = evs[i].data.ptr;
			if (nd->dead)
				continue;
			switch (nd->kind) {
			case K_WAKE: {
				uint64_t v;
				if (read(px->evfd, &v, sizeof v) < 0) { /* nothing to do */
				}
				break;
			}
			case K_TCP_LISTEN:
				tcp_accept(px, (listener *)nd);
				break;
			case K_UDP_LISTEN:
				udp_from_client(px, (listener *)nd);
				break;
			case K_TCP_SIDE:
				tconn_event(px, (tside *)nd, evs[i].events);
				break;
			case K_UDP_SESSION:
				udp_from_container(px, (usession *)nd);
				break;
			}
		}
		timeout = tick(px);
		free_zombies(px);
	}
	pthread_mutex_unlock(&px->mu);
	return NULL;
}

/* ------------------------------------------------------------------ API */

int berth__proxy_start(berth__proxy **out)
{
	berth__proxy *px = calloc(1, sizeof *px);
	if (!px)
		return berth__err_nomem();
	px->udp_idle_ms = UDP_IDLE_MS_DEFAULT;
	px->epfd = epoll_create1(EPOLL_CLOEXEC);
	px->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	px->buf = malloc(UDP_BUF);
	int e = errno;
	if (px->epfd < 0 || px->evfd < 0 || !px->buf) {
		if (px->epfd >= 0)
			close(px->epfd);
		if (px->evfd >= 0)
			close(px->evfd);
		free(px->buf);
		free(px);
		return berth__err_sys(e, "loopback proxy: epoll/eventfd");
	}
	px->wake.kind = K_WAKE;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &px->wake };
	epoll_ctl(px->epfd, EPOLL_CTL_ADD, px->evfd, &ev);
	pthread_mutex_init(&px->mu, NULL);

	/* the thread takes no signals: they belong to the host program */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&px->thread, NULL, loop, px);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		pthread_mutex_destroy(&px->mu);
		close(px->epfd);
		close(px->evfd);
		free(px->buf);
		free(px);
		return berth__err_sys(r, "loopback proxy: start its thread");
	}
	*out = px;
	return 0;
}

void berth__proxy_set_udp_idle(berth__proxy *px, unsigned int ms)
{
	pthread_mutex_lock(&px->mu);
	px->udp_idle_ms = ms ? ms : UDP_IDLE_MS_DEFAULT;
	pthread_mutex_unlock(&px->mu);
	uint64_t one = 1;
	if (write(px->evfd, &one, sizeof one) < 0) { /* the loop is awake anyway */
	}
}

static int same_mapping(const berth_port *a, const berth_port *b)
{
	return a->host_port == b->host_port && a->protocol == b->protocol && !strcmp(a->host_ip, b->host_ip);
}

int berth__proxy_add(berth__proxy *px, int reserved_fd, const berth_port *p, const char *container_ip)
{
	int r = berth__port_check(p);
	if (r) {
		close(reserved_fd);
		return r;
	}
	const char *proto = p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp";
	listener *l = calloc(1, sizeof *l);
	if (!l) {
		close(reserved_fd);
		return berth__err_nomem();
	}
	l->fd = reserved_fd;
	l->p = *p;
	l->n.kind = p->protocol == BERTH_PROTO_UDP ? K_UDP_LISTEN : K_TCP_LISTEN;
	if (container_ip && inet_pton(AF_INET, container_ip, &l->target.in4.sin_addr) == 1) {
		l->target.in4.sin_family = AF_INET;
		l->target.in4.sin_port = htons((uint16_t)p->container_port);
		l->target_len = sizeof l->target.in4;
	} else if (container_ip && inet_pton(AF_INET6, container_ip, &l->target.in6.sin6_addr) == 1) {
		l->target.in6.sin6_family = AF_INET6;
		l->target.in6.sin6_port = htons((uint16_t)p->container_port);
		l->target_len = sizeof l->target.in6;
	} else {
		r = berth__err(BERTH_EINVAL, "loopback proxy for port %u/%s: container address \"%s\" is not an IP address",
		               p->host_port, proto, container_ip ? container_ip : "(null)");
		goto fail;
	}
	int type = 0, dom = 0;
	socklen_t tl = sizeof type, dl = sizeof dom;
	if (getsockopt(reserved_fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    getsockopt(reserved_fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) < 0 ||
	    type != (p->protocol == BERTH_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM)) {
		r = berth__err(BERTH_EINVAL, "loopback proxy for port %u/%s: descriptor %d is not a reserved %s socket",
		               p->host_port, proto, reserved_fd, proto);
		goto fail;
	}
	int fl = fcntl(reserved_fd, F_GETFL);
	if (fl < 0 || fcntl(reserved_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		r = berth__err_sys(errno, "loopback proxy for port %u/%s: O_NONBLOCK", p->host_port, proto);
		goto fail;
	}
	if (p->protocol == BERTH_PROTO_UDP) {
		int one = 1;
		if (dom == AF_INET)
			setsockopt(reserved_fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
		else
			setsockopt(reserved_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
	}

	pthread_mutex_lock(&px->mu);
	for (listener *o = px->listeners; o; o = o->next)
		if (same_mapping(&o->p, p)) {
			pthread_mutex_unlock(&px->mu);
			r = berth__err(BERTH_EEXISTS, "loopback proxy: port %u/%s is already served", p->host_port, proto);
			goto fail;
		}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->n };
	if (epoll_ctl(px->epfd, EPOLL_CTL_ADD, reserved_fd, &ev) < 0) {
		int e = errno;
		pthread_mutex_unlock(&px->mu);
		r = berth__err_sys(e, "loopback proxy for port %u/%s: epoll", p->host_port, proto);
		goto fail;
	}
	l->next = px->listeners;
	if (px->listeners)
		px->listeners->prev = l;
	px->listeners = l;
	pthread_mutex_unlock(&px->mu);
	return 0;
fail:
	close(reserved_fd);
	free(l);
	return r;
}

int berth__proxy_remove(berth__proxy *px, const berth_port *p)
{
	if (!px || !p)
		return berth__err(BERTH_EINVAL, "loopback proxy: remove: NULL argument");
	pthread_mutex_lock(&px->mu);
	listener *l = px->listeners;
	while (l && !same_mapping(&l->p, p))
		l = l->next;
	if (l)
		listener_close(px, l);
	pthread_mutex_unlock(&px->mu);
	if (!l)
		return berth__err(BERTH_ENOTFOUND, "loopback proxy: port %u/%s is not served", p->host_port,
		                  p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
	/* wake the loop so it frees what it may have pointed at */
	uint64_t one = 1;
	if (write(px->evfd, &one, sizeof one) < 0) { /* the loop is awake anyway */
	}
	return 0;
}

void berth__proxy_stop(berth__proxy *px)
{
	if (!px)
		return;
	pthread_mutex_lock(&px->mu);
	px->stop = 1;
	pthread_mutex_unlock(&px->mu);
	uint64_t one = 1;
	if (write(px->evfd, &one, sizeof one) < 0) { /* cannot fail with a counter this small */
	}
	pthread_join(px->thread, NULL);
	while (px->listeners)
		listener_close(px, px->listeners);
	free_zombies(px);
	close(px->epfd);
	close(px->evfd);
	pthread_mutex_destroy(&px->mu);
	free(px->buf);
	free(px);
}
