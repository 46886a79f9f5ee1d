/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Ports published on a running container, in its network record: the host
 * port reserved, the DNAT element, the record updated (and undone). The
 * runtime keeps the reservation and the proxy (lib/runtime/ports.c). */
#include "net/net_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int berth__port_same(const berth_port *a, const berth_port *b)
{
	return a->protocol == b->protocol && a->host_port == b->host_port && !strcmp(a->host_ip, b->host_ip);
}

static const char *proto_name(const berth_port *p) { return p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp"; }

int berth__net_ports(berth_port **out, size_t *out_n, char addr[16], const char *root_dir)
{
	json_t *rec = berth__net_record_load(root_dir);
	json_t *arr = json_object_get(rec, "ports"), *e;
	const char *mode = json_string_value(json_object_get(rec, "mode"));
	const char *a = json_string_value(json_object_get(rec, "address"));
	size_t n = json_array_size(arr), i, k = 0;
	berth_port *v = calloc(n ? n : 1, sizeof *v);
	if (!v) {
		json_decref(rec);
		return berth__err_nomem();
	}
	json_array_foreach(arr, i, e)
		if (berth__port_from_json(&v[k], e) == 0)
			k++;
	snprintf(addr, 16, "%s", mode && !strcmp(mode, "bridge") && a && strlen(a) < 16 ? a : "");
	json_decref(rec);
	*out = v;
	*out_n = k;
	return 0;
}

/* The record of a container on a bridge network, its ports and its address. */
static int bridged_record(json_t **rec, json_t **ports, const char **addr, const char *root_dir)
{
	*rec = berth__net_record_load(root_dir);
	const char *mode = json_string_value(json_object_get(*rec, "mode"));
	*addr = json_string_value(json_object_get(*rec, "address"));
	*ports = json_object_get(*rec, "ports");
	if (!mode || strcmp(mode, "bridge") || !*addr || !json_is_array(*ports)) {
		json_decref(*rec);
		*rec = NULL;
		return berth__err(BERTH_EINVAL, "the container is not on a bridge network");
	}
	return 0;
}

int berth__net_port_publish(int *out_fd, char out_addr[16], berth_port *port, const char *root_dir)
{
	json_t *rec, *e, *arr;
	const char *addr;
	int r = bridged_record(&rec, &arr, &addr, root_dir);
	if (r < 0)
		return r;
	berth_port p = *port, q;
	size_t i;
	json_array_foreach(arr, i, e)
		if (p.host_port && berth__port_from_json(&q, e) == 0 && berth__port_same(&q, &p)) {
			json_decref(rec);
			return berth__err(BERTH_EEXISTS, "host port %u/%s is already published", p.host_port, proto_name(&p));
		}
	int fd = -1;
	if ((r = berth__port_reserve(&fd, &p)) < 0)
		goto out;
	if ((r = berth__nat_port_add(&p, addr)) < 0)
		goto out;
	if (p.protocol == BERTH_PROTO_UDP)
		berth__nat_conntrack_flush(&p); /* stale un-NATed entries would bypass the new element */
	if ((r = json_array_append_new(arr, berth__port_json(&p)) < 0 ? berth__err_nomem() : 0) < 0 ||
	    (r = berth__net_record_save(root_dir, rec)) < 0) {
		berth__err_saved s;
		berth__err_save(&s);
		berth__nat_port_remove(&p, addr);
		berth__err_restore(&s);
	}
out:
	if (r < 0) {
		json_decref(rec);
		if (fd >= 0)
			close(fd);
		return r;
	}
	*port = p;
	*out_fd = fd;
	snprintf(out_addr, 16, "%s", addr);
	json_decref(rec);
	return 0;
}

int berth__net_port_unpublish(berth_port *removed, const char *root_dir, const berth_port *port)
{
	json_t *rec, *e, *arr;
	const char *addr;
	int r = bridged_record(&rec, &arr, &addr, root_dir);
	if (r < 0)
		return r;
	size_t i, found = (size_t)-1;
	berth_port q;
	json_array_foreach(arr, i, e)
		if (berth__port_from_json(&q, e) == 0 && berth__port_same(&q, port)) {
			found = i;
			break;
		}
	if (found == (size_t)-1) {
		json_decref(rec);
		return berth__err(BERTH_ENOTFOUND, "host port %s%s%u/%s is not published", port->host_ip,
		                  port->host_ip[0] ? ":" : "", port->host_port, proto_name(port));
	}
	if ((r = berth__nat_port_remove(&q, addr)) == 0) {
		if (q.protocol == BERTH_PROTO_UDP)
			berth__nat_conntrack_flush(&q);
		json_array_remove(arr, found);
		r = berth__net_record_save(root_dir, rec);
	}
	json_decref(rec);
	if (r == 0)
		*removed = q;
	return r;
}
