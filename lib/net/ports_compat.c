/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The 0.1 port functions, kept for binaries built against 0.1 (docs/abi.md).
 *
 * In 0.1 a berth_port was a bare struct handed out in arrays. Its layout is
 * frozen here as struct berth_port_0_1; the functions below keep the 0.1
 * signatures and behaviour and are exported under the 0.1 symbol versions
 * (berth_port_parse@BERTH_0.1, ...), next to the 0.2 defaults
 * (berth_port_parse@@BERTH_0.2), the way glibc keeps old symbols: a program
 * linked against 0.1 binds to these, a program built now to the new ones.
 * They convert and call the current functions: no second implementation. */
#include "net/nat.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 0.1's include/berth/net.h, byte for byte (64 bytes). */
struct berth_port_0_1 {
	char host_ip[46];
	unsigned int host_port;
	unsigned int container_port;
	int protocol;
	unsigned int host_port_end;
};

#define BERTH__COMPAT(impl, name) BERTH__SYMVER_COMPAT(impl, name, "BERTH_0.1")

static int from_0_1(berth_port *p, const struct berth_port_0_1 *o, const char *what)
{
	if (!o)
		return berth__err(BERTH_EINVAL, "%s: port is NULL", what);
	if (!memchr(o->host_ip, '\0', sizeof o->host_ip))
		return berth__err(BERTH_EINVAL, "%s: port %u: host address not NUL-terminated", what, o->container_port);
	memset(p, 0, sizeof *p);
	strcpy(p->host_ip, o->host_ip);
	p->host_port = o->host_port;
	p->container_port = o->container_port;
	p->protocol = o->protocol;
	p->host_port_end = o->host_port_end;
	return 0;
}

/* n ports -> a malloc'd 0.1 array (released with berth_free()). */
static int to_0_1(struct berth_port_0_1 **out, size_t *out_n, const berth_port *v, size_t n)
{
	struct berth_port_0_1 *a = calloc(n ? n : 1, sizeof *a);
	if (!a)
		return berth__err_nomem();
	for (size_t i = 0; i < n; i++) {
		snprintf(a[i].host_ip, sizeof a[i].host_ip, "%s", v[i].host_ip);
		a[i].host_port = v[i].host_port;
		a[i].container_port = v[i].container_port;
		a[i].protocol = v[i].protocol;
		a[i].host_port_end = v[i].host_port_end;
	}
	*out = a;
	*out_n = n;
	return 0;
}

BERTH_EXTERN int berth__port_parse_0_1(struct berth_port_0_1 **out, size_t *out_n, const char *spec);
BERTH__COMPAT(berth__port_parse_0_1, berth_port_parse);
int berth__port_parse_0_1(struct berth_port_0_1 **out, size_t *out_n, const char *spec)
{
	if (!out || !out_n)
		return berth__err(BERTH_EINVAL, "port spec: NULL argument");
	berth_port *v;
	size_t n;
	int r = berth__port_parse(&v, &n, spec);
	if (r < 0)
		return r;
	r = to_0_1(out, out_n, v, n);
	free(v);
	return r;
}

BERTH_EXTERN int berth__port_format_0_1(char **out, const struct berth_port_0_1 *p);
BERTH__COMPAT(berth__port_format_0_1, berth_port_format);
int berth__port_format_0_1(char **out, const struct berth_port_0_1 *p)
{
	berth_port q;
	int r = from_0_1(&q, p, "port format");
	return r < 0 ? r : berth_port_format(out, &q);
}

BERTH_EXTERN int berth__spec_add_port_0_1(berth_spec *spec, const struct berth_port_0_1 *port);
BERTH__COMPAT(berth__spec_add_port_0_1, berth_spec_add_port);
int berth__spec_add_port_0_1(berth_spec *spec, const struct berth_port_0_1 *port)
{
	berth_port q;
	int r = from_0_1(&q, port, "add port");
	return r < 0 ? r : berth_spec_add_port(spec, &q);
}

BERTH_EXTERN int berth__container_ports_0_1(struct berth_port_0_1 **out, size_t *out_n, berth_container *c);
BERTH__COMPAT(berth__container_ports_0_1, berth_container_ports);
int berth__container_ports_0_1(struct berth_port_0_1 **out, size_t *out_n, berth_container *c)
{
	if (!out || !out_n)
		return berth__err(BERTH_EINVAL, "ports: out, out_n and container are required");
	berth_port_list *l;
	int r = berth_container_ports(&l, c);
	if (r < 0)
		return r;
	r = to_0_1(out, out_n, l->v, l->n);
	berth_port_list_free(l);
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth__container_add_port_0_1(berth_container *c, const struct berth_port_0_1 *port);
BERTH__COMPAT(berth__container_add_port_0_1, berth_container_add_port);
int berth__container_add_port_0_1(berth_container *c, const struct berth_port_0_1 *port)
{
	berth_port q;
	int r = from_0_1(&q, port, "add port");
	return r < 0 ? r : berth_container_add_port(c, &q);
}

BERTH_EXTERN int berth__container_remove_port_0_1(berth_container *c, const struct berth_port_0_1 *port);
BERTH__COMPAT(berth__container_remove_port_0_1, berth_container_remove_port);
int berth__container_remove_port_0_1(berth_container *c, const struct berth_port_0_1 *port)
{
	berth_port q;
	int r = from_0_1(&q, port, "remove port");
	return r < 0 ? r : berth_container_remove_port(c, &q);
}
