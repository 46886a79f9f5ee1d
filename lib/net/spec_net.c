/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The network of a spec: the mode, published ports and DNS servers are
 * annotations (io.berth.network, io.berth.ports as a JSON array,
 * io.berth.dns comma-separated), so a spec saved as config.json keeps them. */
#include "net/net_internal.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ann(const json_t *spec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(spec, "annotations"), key));
}

const char *berth__spec_network(const json_t *spec)
{
	const char *m = ann(spec, BERTH__ANN_NETWORK);
	return m && *m ? m : "none";
}

static int check_mode(const char *mode)
{
	if (!mode || !*mode)
		return berth__err(BERTH_EINVAL, "network mode: empty (none, host, bridge, container:ID or a network name)");
	if (!strcmp(mode, "none") || !strcmp(mode, "host") || !strcmp(mode, "bridge"))
		return 0;
	if (!strncmp(mode, "container:", 10)) {
		if (!mode[10])
			return berth__err(BERTH_EINVAL, "network mode '%s': container:ID needs a container id or name", mode);
		int r = berth__check_id("network mode container", mode + 10);
		return r < 0 ? berth__err_prefix("network mode '%s'", mode) : 0;
	}
	if (strlen(mode) > 64)
		return berth__err(BERTH_EINVAL, "network mode '%.64s...': a network name has at most 64 characters", mode);
	int r = berth__check_id("network name", mode);
	return r < 0 ? berth__err_prefix("network mode '%s'", mode) : 0;
}

BERTH_EXTERN int berth_spec_set_network(berth_spec *spec, const char *mode)
{
	if (!spec)
		return berth__err(BERTH_EINVAL, "set network: spec is NULL");
	int r = check_mode(mode);
	if (r < 0)
		return r;
	if (!strcmp(mode, "host"))
		r = berth_spec_remove_namespace(spec, BERTH_NS_NET);
	else
		r = berth_spec_set_namespace(spec, BERTH_NS_NET, NULL);
	if (r < 0)
		return r;
	return berth_spec_set_annotation(spec, BERTH__ANN_NETWORK, strcmp(mode, "none") ? mode : NULL);
}

json_t *berth__port_json(const berth_port *p)
{
	json_t *j = json_pack("{s:s, s:i, s:i, s:s}", "hostIp", p->host_ip, "hostPort", (int)p->host_port,
	                      "containerPort", (int)p->container_port, "protocol",
	                      p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
	if (j && p->host_port_end)
		json_object_set_new(j, "hostPortEnd", json_integer(p->host_port_end));
	return j;
}

int berth__port_from_json(berth_port *p, const json_t *j)
{
	memset(p, 0, sizeof *p);
	const char *ip = json_string_value(json_object_get(j, "hostIp"));
	const char *proto = json_string_value(json_object_get(j, "protocol"));
	json_int_t hp = json_integer_value(json_object_get(j, "hostPort"));
	json_int_t cp = json_integer_value(json_object_get(j, "containerPort"));
	json_int_t he = json_integer_value(json_object_get(j, "hostPortEnd"));
	if (!json_is_object(j) || (ip && strlen(ip) >= sizeof p->host_ip) || hp < 0 || hp > 65535 || cp < 1 ||
	    cp > 65535 || he < 0 || he > 65535 || (proto && strcmp(proto, "tcp") && strcmp(proto, "udp")))
		return -1;
	p->host_port_end = (unsigned)he;
	snprintf(p->host_ip, sizeof p->host_ip, "%s", ip ? ip : "");
	p->host_port = (unsigned)hp;
	p->container_port = (unsigned)cp;
	p->protocol = proto && !strcmp(proto, "udp") ? BERTH_PROTO_UDP : BERTH_PROTO_TCP;
	return 0;
}

int berth__spec_ports(berth_port **out, size_t *n, const json_t *spec)
{
	*out = NULL;
	*n = 0;
	const char *s = ann(spec, BERTH__ANN_PORTS);
	if (!s || !*s)
		return 0;
	json_t *arr = json_loads(s, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return berth__err(BERTH_EINVAL, "annotations." BERTH__ANN_PORTS ": not a JSON array of ports");
	}
	size_t cnt = json_array_size(arr), i;
	berth_port *v = calloc(cnt ? cnt : 1, sizeof *v);
	if (!v) {
		json_decref(arr);
		return berth__err_nomem();
	}
	json_t *e;
	json_array_foreach(arr, i, e) {
		if (berth__port_from_json(&v[i], e) < 0) {
			free(v);
			json_decref(arr);
			return berth__err(BERTH_EINVAL, "annotations." BERTH__ANN_PORTS "[%zu]: malformed port", i);
		}
	}
	json_decref(arr);
	*out = v;
	*n = cnt;
	return 0;
}

/* Checks a port given by a caller; what names it. */
static int check_port(const berth_port *p, const char *what)
{
	if (!p)
		return berth__err(BERTH_EINVAL, "%s: port is NULL", what);
	if (berth__port_check(p) < 0)
		return berth__err_prefix("%s", what);
	struct in6_addr a6;
	if (p->host_ip[0] && inet_pton(AF_INET6, p->host_ip, &a6) == 1)
		return berth__err(BERTH_EUNSUPPORTED, "%s: host address %s: IPv6 is not supported (the DNAT maps are IPv4)",
		                  what, p->host_ip);
	return 0;
}

static int same_binding(const berth_port *a, const berth_port *b)
{
	if (a->protocol != b->protocol || !a->host_port || a->host_port != b->host_port || a->host_port_end ||
	    b->host_port_end)
		return 0;
	/* 0.0.0.0 covers every address */
	return !a->host_ip[0] || !b->host_ip[0] || !strcmp(a->host_ip, b->host_ip);
}

BERTH__SYMVER_DEFAULT(berth__spec_add_port_0_2, berth_spec_add_port, "BERTH_0.2");
BERTH_EXTERN int berth__spec_add_port_0_2(berth_spec *spec, const berth_port *port)
{
	if (!spec)
		return berth__err(BERTH_EINVAL, "add port: spec is NULL");
	int r = check_port(port, "add port");
	if (r < 0)
		return r;
	berth_port *have;
	size_t n;
	if ((r = berth__spec_ports(&have, &n, berth__spec_json(spec))) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (same_binding(&have[i], port)) {
			free(have);
			return berth__err(BERTH_EEXISTS, "add port: host port %u/%s is already published", port->host_port,
			                  port->protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
		}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, berth__port_json(&have[i]));
	free(have);
	if (!arr || json_array_append_new(arr, berth__port_json(port)) < 0) {
		json_decref(arr);
		return berth__err_nomem();
	}
	char *s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!s)
		return berth__err_nomem();
	r = berth_spec_set_annotation(spec, BERTH__ANN_PORTS, s);
	free(s);
	return r;
}

BERTH_EXTERN int berth_spec_set_dns(berth_spec *spec, const char *const *servers)
{
	if (!spec)
		return berth__err(BERTH_EINVAL, "set dns: spec is NULL");
	if (!servers || !servers[0])
		return berth_spec_set_annotation(spec, BERTH__ANN_DNS, NULL);
	char buf[2048];
	size_t len = 0;
	for (const char *const *s = servers; *s; s++) {
		struct in_addr a;
		struct in6_addr a6;
		if (inet_pton(AF_INET, *s, &a) != 1 && inet_pton(AF_INET6, *s, &a6) != 1)
			return berth__err(BERTH_EINVAL, "dns server '%s': not an IP address", *s);
		len += (size_t)snprintf(buf + len, len < sizeof buf ? sizeof buf - len : 0, "%s%s", len ? "," : "", *s);
		if (len >= sizeof buf)
			return berth__err(BERTH_EINVAL, "dns servers: too many");
	}
	return berth_spec_set_annotation(spec, BERTH__ANN_DNS, buf);
}

int berth__check_port(const berth_port *p, const char *what) { return check_port(p, what); }
