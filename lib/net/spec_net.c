/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The network of a spec: the mode, the published ports and the DNS servers
 * are typed settings of the spec handle (spec/ext.h), checked here. */
#include "net/net_internal.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

BERTH_EXTERN int berth_spec_set_network(berth_spec *spec, const char *mode)
{
	if (!spec)
		return berth__err(BERTH_EINVAL, "set network: spec is NULL");
	int r = berth__spec_check_network(mode);
	if (r < 0)
		return r;
	if (!strcmp(mode, "host"))
		r = berth_spec_remove_namespace(spec, BERTH_NS_NET);
	else
		r = berth_spec_set_namespace(spec, BERTH_NS_NET, NULL);
	if (r < 0)
		return r;
	return berth__spec_ext_set_str(&spec->ext.network, strcmp(mode, "none") ? mode : NULL);
}

/* Checks a port given by a caller; what names it. */
int berth__check_port(const berth_port *p, const char *what)
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
	int r = berth__check_port(port, "add port");
	if (r < 0)
		return r;
	berth__spec_ext *e = &spec->ext;
	for (size_t i = 0; i < e->n_ports; i++)
		if (same_binding(&e->ports[i], port))
			return berth__err(BERTH_EEXISTS, "add port: host port %u/%s is already published", port->host_port,
			                  port->protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
	berth_port *v = realloc(e->ports, (e->n_ports + 1) * sizeof *v);
	if (!v)
		return berth__err_nomem();
	e->ports = v;
	e->ports[e->n_ports++] = *port;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_spec_set_dns(berth_spec *spec, const char *const *servers)
{
	if (!spec)
		return berth__err(BERTH_EINVAL, "set dns: spec is NULL");
	size_t n = 0;
	for (; servers && servers[n]; n++) {
		struct in_addr a;
		struct in6_addr a6;
		if (inet_pton(AF_INET, servers[n], &a) != 1 && inet_pton(AF_INET6, servers[n], &a6) != 1)
			return berth__err(BERTH_EINVAL, "dns server '%s': not an IP address", servers[n]);
		if (n == 255)
			return berth__err(BERTH_EINVAL, "dns servers: too many (at most 256)");
	}
	char **v = n ? berth__strv_pack((char *const *)servers, n) : NULL;
	if (n && !v)
		return BERTH_ENOMEM;
	free(spec->ext.dns);
	spec->ext.dns = v;
	berth__err_ok();
	return 0;
}
