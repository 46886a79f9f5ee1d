/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Published ports of a container: list, add, remove, serve (loopback).
 * The network area publishes them (lib/net/net.h); the handle keeps the
 * host ports' reservations and the proxy that serves 127.0.0.1. */
#include "runtime/container.h"
#include "net/net.h"
#include "common/symver.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *proto_name(const berth_port *p) { return p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp"; }

BERTH__SYMVER_DEFAULT(berth__container_ports_0_2, berth_container_ports, "BERTH_0.2");
BERTH_EXTERN int berth__container_ports_0_2(berth_port_list **out, berth_container *c)
{
	if (!out || !c)
		return berth__err(BERTH_EINVAL, "ports: out and container are required");
	char addr[16];
	berth_port *v = NULL;
	size_t n = 0;
	int r = berth__net_ports(&v, &n, addr, c->root_dir);
	if (r < 0)
		return berth__err_prefix("container %s", c->id);
	berth_port_list *l = berth__port_list_take(v, n);
	if (!l)
		return BERTH_ENOMEM;
	*out = l;
	berth__err_ok();
	return 0;
}

static int check_live(berth_container *c, const char *what)
{
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (c->status != BERTH_STATUS_RUNNING && c->status != BERTH_STATUS_CREATED && c->status != BERTH_STATUS_PAUSED)
		return berth__err(BERTH_ESTATE, "container %s: %s: the container is %s", c->id, what,
		                  berth_status_name(c->status));
	return 0;
}

/* The handle keeps the reservation fd (-1: the proxy has it) of p. */
static int keep_port(berth_container *c, const berth_port *p, int fd)
{
	int *nf = realloc(c->port_fds, (c->n_ports + 1) * sizeof *nf);
	if (nf)
		c->port_fds = nf;
	berth_port *np = nf ? realloc(c->ports, (c->n_ports + 1) * sizeof *np) : NULL;
	if (!nf || !np)
		return berth__err_nomem();
	c->ports = np;
	c->ports[c->n_ports] = *p;
	c->port_fds[c->n_ports] = fd;
	c->n_ports++;
	return 0;
}

BERTH__SYMVER_DEFAULT(berth__container_add_port_0_2, berth_container_add_port, "BERTH_0.2");
BERTH_EXTERN int berth__container_add_port_0_2(berth_container *c, const berth_port *port)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "add port: container is NULL");
	int r = berth__check_port(port, "add port");
	if (r < 0)
		return berth__err_prefix("container %s", c->id);
	if ((r = check_live(c, "add port")) < 0)
		return r;
	berth_port p = *port;
	int fd = -1;
	char addr[16];
	if ((r = berth__net_port_publish(&fd, addr, &p, c->root_dir)) < 0)
		return berth__err_prefix("container %s: add port", c->id);
	if (!c->net_addr && !(c->net_addr = strdup(addr)))
		r = berth__err_nomem();
	if (r == 0 && c->proxy) {
		r = berth__proxy_add(c->proxy, fd, &p, addr);
		fd = -1; /* the proxy owns it, added or not */
	}
	/* kept by the handle: the reservation lives as long as it */
	if (r == 0 && (r = keep_port(c, &p, fd)) < 0 && c->proxy)
		berth__proxy_remove(c->proxy, &p);
	if (r < 0) {
		berth__err_saved s;
		berth__err_save(&s);
		if (fd >= 0)
			close(fd);
		berth_port q;
		berth__net_port_unpublish(&q, c->root_dir, &p);
		berth__err_restore(&s);
		return berth__err_prefix("container %s: add port", c->id);
	}
	berth__log(c->ctx, BERTH_LOG_INFO, "container %s: published %s:%u->%u/%s", c->id, p.host_ip[0] ? p.host_ip : "0.0.0.0",
	           p.host_port, p.container_port, proto_name(&p));
	berth__err_ok();
	return 0;
}

BERTH__SYMVER_DEFAULT(berth__container_remove_port_0_2, berth_container_remove_port, "BERTH_0.2");
BERTH_EXTERN int berth__container_remove_port_0_2(berth_container *c, const berth_port *port)
{
	if (!c || !port)
		return berth__err(BERTH_EINVAL, "remove port: container and port are required");
	int r = check_live(c, "remove port");
	if (r < 0)
		return r;
	berth_port q;
	if ((r = berth__net_port_unpublish(&q, c->root_dir, port)) < 0)
		return berth__err_prefix("container %s: remove port", c->id);
	if (c->proxy)
		berth__proxy_remove(c->proxy, &q);
	for (size_t k = 0; k < c->n_ports; k++)
		if (berth__port_same(&c->ports[k], &q)) {
			if (c->port_fds && c->port_fds[k] >= 0)
				close(c->port_fds[k]);
			c->ports[k] = c->ports[c->n_ports - 1];
			if (c->port_fds)
				c->port_fds[k] = c->port_fds[c->n_ports - 1];
			c->n_ports--;
			break;
		}
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_container_serve_ports(berth_container *c)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "serve ports: container is NULL");
	if (c->proxy || c->n_ports == 0) {
		berth__err_ok();
		return 0;
	}
	if (!c->port_fds || !c->net_addr)
		return berth__err(BERTH_ESTATE,
		                  "container %s: serve ports: only the process that created the container holds its ports",
		                  c->id);
	int r = berth__proxy_start(&c->proxy);
	if (r < 0)
		return berth__err_prefix("container %s", c->id);
	for (size_t i = 0; i < c->n_ports; i++) {
		int fd = c->port_fds[i];
		c->port_fds[i] = -1; /* the proxy owns it now */
		if (fd >= 0 && (r = berth__proxy_add(c->proxy, fd, &c->ports[i], c->net_addr)) < 0) {
			berth__err_prefix("container %s", c->id);
			berth__err_saved s;
			berth__err_save(&s);
			berth__proxy_stop(c->proxy);
			c->proxy = NULL;
			berth__err_restore(&s);
			return r;
		}
	}
	berth__err_ok();
	return 0;
}
