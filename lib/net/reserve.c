/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Host port reservation: a bound (TCP: listening) socket held for the
 * mapping's lifetime, so no other program or container can take the port.
 * The loopback proxy serves 127.0.0.1:HOSTPORT from that same socket.
 */
#include "net/nat.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 512

static int host_addr(berth__any_addr *a, socklen_t *len, const berth_port *p)
{
	memset(a, 0, sizeof *a);
	if (!p->host_ip[0]) {
		a->in4.sin_family = AF_INET;
		a->in4.sin_addr.s_addr = htonl(INADDR_ANY);
		*len = sizeof a->in4;
		return 0;
	}
	if (inet_pton(AF_INET, p->host_ip, &a->in4.sin_addr) == 1) {
		a->in4.sin_family = AF_INET;
		*len = sizeof a->in4;
		return 0;
	}
	if (inet_pton(AF_INET6, p->host_ip, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		*len = sizeof a->in6;
		return 0;
	}
	return berth__err(BERTH_EINVAL, "host address \"%s\" is not an IP address", p->host_ip);
}

static void set_port(berth__any_addr *a, unsigned int port)
{
	if (a->sa.sa_family == AF_INET)
		a->in4.sin_port = htons((uint16_t)port);
	else
		a->in6.sin6_port = htons((uint16_t)port);
}

/* 0 and *fd, or -errno of the failing call (no error set). */
static int try_bind(int *fd_out, const berth__any_addr *a, socklen_t len, int udp)
{
	int fd = socket(a->sa.sa_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	/* TCP: connections of a previous holder in TIME_WAIT must not block a
	 * restart (a listening socket still excludes every other listener).
	 * Never for UDP, where it would let two sockets share the port. */
	if (!udp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		goto fail;
	if (a->sa.sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
		goto fail;
	if (bind(fd, &a->sa, len) < 0)
		goto fail;
	if (!udp && listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	*fd_out = fd;
	return 0;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

int berth__port_reserve(int *out_fd, berth_port *p)
{
	int r = berth__port_check(p);
	if (r)
		return r;
	const int udp = p->protocol == BERTH_PROTO_UDP;
	const char *proto = udp ? "udp" : "tcp";
	berth__any_addr a;
	socklen_t alen = 0;
	r = host_addr(&a, &alen, p);
	if (r)
		return r;
	char where[64] = "";
	if (p->host_ip[0])
		snprintf(where, sizeof where, strchr(p->host_ip, ':') ? "[%s]:" : "%s:", p->host_ip);

	unsigned int first = p->host_port, last = p->host_port_end ? p->host_port_end : p->host_port;
	int fd = -1, e = 0;
	for (unsigned int port = first; port <= last; port++) {
		set_port(&a, port);
		e = try_bind(&fd, &a, alen, udp);
		if (e != -EADDRINUSE)
			break;
	}
	if (e == -EADDRINUSE) {
		if (first != last)
			return berth__err(BERTH_EEXISTS, "host ports %s%u-%u/%s are all in use", where, first, last, proto);
		if (first == 0)
			return berth__err(BERTH_EEXISTS, "no free host port for %s%u/%s", where, p->container_port, proto);
		return berth__err(BERTH_EEXISTS, "host port %s%u/%s is already in use", where, first, proto);
	}
	if (e == -EADDRNOTAVAIL)
		return berth__err_sys(EADDRNOTAVAIL, "host port %s%u/%s: %s is not an address of this host", where, first,
		                      proto, p->host_ip);
	if (e == -EACCES)
		return berth__err_sys(EACCES, "host port %s%u/%s: binding a port below 1024 needs CAP_NET_BIND_SERVICE",
		                      where, first, proto);
	if (e)
		return berth__err_sys(-e, "host port %s%u/%s: cannot reserve it", where, first, proto);

	berth__any_addr got;
	socklen_t glen = sizeof got;
	if (getsockname(fd, &got.sa, &glen) < 0) {
		e = errno;
		close(fd);
		return berth__err_sys(e, "host port %s%u/%s: getsockname", where, first, proto);
	}
	p->host_port = ntohs(got.sa.sa_family == AF_INET ? got.in4.sin_port : got.in6.sin6_port);
	p->host_port_end = 0;
	*out_fd = fd;
	return 0;
}
