/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Published ports of a container: list, add, remove, serve (loopback). */
#include "net/net_internal.h"
#include "runtime/container.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

BERTH__SYMVER_DEFAULT(berth__container_ports_0_2, berth_container_ports, "BERTH_0.2");
BERTH_EXTERN int berth__container_ports_0_2(berth_port_list **out, berth_container *c)
{
	if (!out || !c)
		return berth__err(BERTH_EINVAL, "ports: out and container are required");
	json_t *rec = berth__net_record_load(c->root_dir);
	json_t *arr = json_object_get(rec, "ports");
	size_t n = json_array_size(arr), i, k = 0;
	berth_port *v = calloc(n ? n : 1, sizeof *v);
	if (!v) {
		json_decref(rec);
		return berth__err_nomem();
	}
	json_t *e;
	json_array_foreach(arr, i, e)
		if (berth__port_from_json(&v[k], e) == 0)
			k++;
	json_decref(rec);
	berth_port_list *l = berth__port_list_take(v, k);
	if (!l)
		return BERTH_ENOMEM;
	*out = l;
	berth__err_ok();
	return 0;
}

static int running_bridged(berth_container *c, json_t **rec, const char *what)
{
	int r = berth__container_load_state(c);
	if (r < 0)
		return r;
	if (c->status != BERTH_STATUS_RUNNING && c->status != BERTH_STATUS_CREATED && c->status != BERTH_STATUS_PAUSED)
		return berth__err(BERTH_ESTATE, "container %s: %s: the container is %s", c->id, what,
		                  berth_status_name(c->status));
	*rec = berth__net_record_load(c->root_dir);
	const char *mode = json_string_value(json_object_get(*rec, "mode"));
	if (!mode || strcmp(mode, "bridge")) {
		json_decref(*rec);
		*rec = NULL;
		return berth__err(BERTH_EINVAL, "container %s: %s: the container is not on a bridge network", c->id, what);
	}
	return 0;
}

static int same(const berth_port *a, const berth_port *b)
{
	return a->protocol == b->protocol && a->host_port == b->host_port && !strcmp(a->host_ip, b->host_ip);
}

BERTH__SYMVER_DEFAULT(berth__container_add_port_0_2, berth_container_add_port, "BERTH_0.2");
BERTH_EXTERN int berth__container_add_port_0_2(berth_container *c, const berth_port *port)
{
	if (!c)
		return berth__err(BERTH_EINVAL, "add port: container is NULL");
	char what[64];
	snprintf(what, sizeof what, "add port");
	int r = berth__check_port(port, what);
	if (r < 0)
		return berth__err_prefix("container %s", c->id);
	json_t *rec = NULL;
	if ((r = running_bridged(c, &rec, what)) < 0)
		return r;
	const char *addr = json_string_value(json_object_get(rec, "address"));
	berth_port p = *port;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(rec, "ports"), i, e) {
		berth_port q;
		if (p.host_port && berth__port_from_json(&q, e) == 0 && same(&q, &p)) {
			json_decref(rec);
			return berth__err(BERTH_EEXISTS, "container %s: host port %u/%s is already published", c->id, p.host_port,
			                  p.protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
		}
	}
	int fd = -1;
	if ((r = berth__port_reserve(&fd, &p)) < 0) {
		json_decref(rec);
		return berth__err_prefix("container %s", c->id);
	}
	if ((r = berth__nat_port_add(&p, addr)) < 0) {
		close(fd);
		json_decref(rec);
		return berth__err_prefix("container %s", c->id);
	}
	if (p.protocol == BERTH_PROTO_UDP)
		berth__nat_conntrack_flush(&p); /* stale un-NATed entries would bypass the new element */
	json_array_append_new(json_object_get(rec, "ports"), berth__port_json(&p));
	if ((r = berth__net_record_save(c->root_dir, rec)) < 0)
		goto undo;
	if (c->proxy) {
		r = berth__proxy_add(c->proxy, fd, &p, addr);
		fd = -1;
		if (r < 0)
			goto undo;
	}
	/* kept by the handle: the reservation lives as long as it */
	int *nf = realloc(c->port_fds, (c->n_ports + 1) * sizeof *nf);
	if (nf)
		c->port_fds = nf;
	berth_port *np = nf ? realloc(c->ports, (c->n_ports + 1) * sizeof *np) : NULL;
	if (!nf || !np) {
		r = berth__err_nomem();
		goto undo;
	}
	c->ports = np;
	c->ports[c->n_ports] = p;
	c->port_fds[c->n_ports] = fd;
	c->n_ports++;
	if (!c->net_addr)
		c->net_addr = strdup(addr);
	json_decref(rec);
	berth__log(c->ctx, BERTH_LOG_INFO, "container %s: published %s:%u->%u/%s", c->id, p.host_ip[0] ? p.host_ip : "0.0.0.0",
	           p.host_port, p.container_port, p.protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
	berth__err_ok();
	return 0;
undo: {
	berth__err_saved s;
	berth__err_save(&s);
	if (fd >= 0)
		close(fd);
	if (c->proxy)
		berth__proxy_remove(c->proxy, &p);
	berth__nat_port_remove(&p, addr);
	size_t n = json_array_size(json_object_get(rec, "ports"));
	if (n)
		json_array_remove(json_object_get(rec, "ports"), n - 1);
	berth__net_record_save(c->root_dir, rec);
	json_decref(rec);
	berth__err_restore(&s);
	return r;
}
}

BERTH__SYMVER_DEFAULT(berth__container_remove_port_0_2, berth_container_remove_port, "BERTH_0.2");
BERTH_EXTERN int berth__container_remove_port_0_2(berth_container *c, const berth_port *port)
{
	if (!c || !port)
		return berth__err(BERTH_EINVAL, "remove port: container and port are required");
	json_t *rec = NULL;
	int r = running_bridged(c, &rec, "remove port");
	if (r < 0)
		return r;
	const char *addr = json_string_value(json_object_get(rec, "address"));
	json_t *arr = json_object_get(rec, "ports");
	size_t i, found = (size_t)-1;
	json_t *e;
	berth_port q;
	json_array_foreach(arr, i, e)
		if (berth__port_from_json(&q, e) == 0 && same(&q, port)) {
			found = i;
			break;
		}
	if (found == (size_t)-1) {
		json_decref(rec);
		return berth__err(BERTH_ENOTFOUND, "container %s: host port %s%s%u/%s is not published", c->id, port->host_ip,
		                  port->host_ip[0] ? ":" : "", port->host_port,
		                  port->protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
	}
	if ((r = berth__nat_port_remove(&q, addr)) < 0) {
		json_decref(rec);
		return berth__err_prefix("container %s", c->id);
	}
	if (q.protocol == BERTH_PROTO_UDP)
		berth__nat_conntrack_flush(&q);
	if (c->proxy)
		berth__proxy_remove(c->proxy, &q);
	for (size_t k = 0; k < c->n_ports; k++)
		if (same(&c->ports[k], &q)) {
			if (c->port_fds && c->port_fds[k] >= 0)
				close(c->port_fds[k]);
			c->ports[k] = c->ports[c->n_ports - 1];
			if (c->port_fds)
				c->port_fds[k] = c->port_fds[c->n_ports - 1];
			c->n_ports--;
			break;
		}
	json_array_remove(arr, found);
	r = berth__net_record_save(c->root_dir, rec);
	json_decref(rec);
	if (r == 0)
		berth__err_ok();
	return r;
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
