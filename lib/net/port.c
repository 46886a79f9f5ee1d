/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The berth_port object and berth_port_list (include/berth/port.h): made,
 * copied, set and read through functions so the struct (common/port.h) can grow. */
#include "net/nat.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const char *proto_name(int protocol)
{
	return protocol == BERTH_PROTO_UDP ? "udp" : "tcp";
}

BERTH_EXTERN int berth_port_new(berth_port **out, unsigned int container_port, int protocol)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "port: out is NULL");
	if (protocol != BERTH_PROTO_TCP && protocol != BERTH_PROTO_UDP)
		return berth__err(BERTH_EINVAL, "port %u: unknown protocol %d (tcp or udp)", container_port, protocol);
	if (container_port < 1 || container_port > 65535)
		return berth__err(BERTH_EINVAL, "port %u/%s: container port out of range (1-65535)", container_port,
		                  proto_name(protocol));
	berth_port *p = calloc(1, sizeof *p);
	if (!p)
		return berth__err_nomem();
	p->container_port = container_port;
	p->protocol = protocol;
	*out = p;
	return 0;
}

BERTH_EXTERN int berth_port_dup(berth_port **out, const berth_port *p)
{
	if (!out || !p)
		return berth__err(BERTH_EINVAL, "port dup: out and port are required");
	berth_port *c = malloc(sizeof *c);
	if (!c)
		return berth__err_nomem();
	*c = *p;
	*out = c;
	return 0;
}

BERTH_EXTERN void berth_port_free(berth_port *p)
{
	free(p);
}

BERTH_EXTERN int berth_port_set_host_ip(berth_port *p, const char *host_ip)
{
	if (!p)
		return berth__err(BERTH_EINVAL, "port: NULL");
	if (!host_ip)
		host_ip = "";
	unsigned char buf[16];
	if (*host_ip && inet_pton(AF_INET, host_ip, buf) != 1 && inet_pton(AF_INET6, host_ip, buf) != 1)
		return berth__err(BERTH_EINVAL, "port %u/%s: host address \"%s\" is not an IP address", p->container_port,
		                  proto_name(p->protocol), host_ip);
	if (strlen(host_ip) >= sizeof p->host_ip) /* inet_pton takes no longer text, but keep the copy bounded */
		return berth__err(BERTH_EINVAL, "port %u/%s: host address too long", p->container_port,
		                  proto_name(p->protocol));
	strcpy(p->host_ip, host_ip);
	return 0;
}

BERTH_EXTERN int berth_port_set_host_port(berth_port *p, unsigned int host_port, unsigned int host_port_end)
{
	if (!p)
		return berth__err(BERTH_EINVAL, "port: NULL");
	berth_port q = *p;
	q.host_port = host_port;
	q.host_port_end = host_port_end;
	int r = berth__port_check(&q);
	if (r < 0)
		return r;
	*p = q;
	return 0;
}

BERTH_EXTERN const char *berth_port_host_ip(const berth_port *p)
{
	return p ? p->host_ip : "";
}

BERTH_EXTERN unsigned int berth_port_host_port(const berth_port *p)
{
	return p ? p->host_port : 0;
}

BERTH_EXTERN unsigned int berth_port_host_port_end(const berth_port *p)
{
	return p ? p->host_port_end : 0;
}

BERTH_EXTERN unsigned int berth_port_container_port(const berth_port *p)
{
	return p ? p->container_port : 0;
}

BERTH_EXTERN int berth_port_protocol(const berth_port *p)
{
	return p ? p->protocol : BERTH_PROTO_TCP;
}

berth_port_list *berth__port_list_take(berth_port *v, size_t n)
{
	berth_port_list *l = malloc(sizeof *l);
	if (!l) {
		free(v);
		berth__err_nomem();
		return NULL;
	}
	l->n = n;
	l->v = v;
	return l;
}

BERTH_EXTERN size_t berth_port_list_count(const berth_port_list *l)
{
	return l ? l->n : 0;
}

BERTH_EXTERN const berth_port *berth_port_list_get(const berth_port_list *l, size_t i)
{
	return l && i < l->n ? &l->v[i] : NULL;
}

BERTH_EXTERN void berth_port_list_free(berth_port_list *l)
{
	if (!l)
		return;
	free(l->v);
	free(l);
}
