/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * port.h: published ports (berth_port_*), the values berth_spec_add_port()
 * and the berth_container_*_port() functions take and return.
 *
 * Since 0.2 a berth_port is opaque: it is made with berth_port_new() or
 * berth_port_parse() and read through accessors, so fields can be added
 * without breaking programs built against an older header (docs/abi.md).
 * Lists of ports (berth_port_parse(), berth_container_ports()) are a
 * berth_port_list: a count and borrowed items.
 *
 * Binaries built against 0.1, where berth_port was a bare struct with a
 * fixed char host_ip[46] handed out in arrays, keep working: the 0.1
 * functions keep their BERTH_0.1 symbols and behaviour.
 */
#ifndef BERTH_PORT_H
#define BERTH_PORT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A port's transport protocol. Since: 0.1 */
typedef enum berth_proto {
	BERTH_PROTO_TCP = 0,
	BERTH_PROTO_UDP = 1
} berth_proto;

/* One published port (opaque since 0.2). */
typedef struct berth_port berth_port;
/* A list of ports; owns its items. */
typedef struct berth_port_list berth_port_list;

/* A port publishing container_port (1..65535) over protocol (a berth_proto),
 * on every address of the host ("" host address) and a free host port
 * picked at create (host port 0). *out is released with berth_port_free().
 * Errors: BERTH_EINVAL naming the bad value, BERTH_ENOMEM.
 * Since: 0.2 */
BERTH_EXTERN int berth_port_new(berth_port **out, unsigned int container_port, int protocol);
/* A copy of p, released with berth_port_free(). Since: 0.2 */
BERTH_EXTERN int berth_port_dup(berth_port **out, const berth_port *p);
/* Releases a port made by berth_port_new() or berth_port_dup(). Accepts NULL.
 * Never call it on an item of a berth_port_list. Since: 0.2 */
BERTH_EXTERN void berth_port_free(berth_port *p);

/* The host address to bind: an IPv4 or IPv6 address without brackets, or
 * NULL / "" for every address of the host. BERTH_EINVAL for anything that
 * is not an IP address (p unchanged). Since: 0.2 */
BERTH_EXTERN int berth_port_set_host_ip(berth_port *p, const char *host_ip);
/* The host port: 0 (a free port picked at create), one port (host_port_end
 * 0), or a pool host_port..host_port_end (docker's 8000-8010:80): the first
 * free port of it is taken at create. BERTH_EINVAL for a port outside
 * 1..65535 or an empty range (p unchanged). Since: 0.2 */
BERTH_EXTERN int berth_port_set_host_port(berth_port *p, unsigned int host_port, unsigned int host_port_end);

/* Accessors. The string is borrowed from p (valid while p is). All accept
 * NULL and then return "" or 0. Since: 0.2 */
BERTH_EXTERN const char *berth_port_host_ip(const berth_port *p);       /* "" = every address */
BERTH_EXTERN unsigned int berth_port_host_port(const berth_port *p);     /* 0 = picked at create */
BERTH_EXTERN unsigned int berth_port_host_port_end(const berth_port *p); /* 0, or the pool's last port */
BERTH_EXTERN unsigned int berth_port_container_port(const berth_port *p);
BERTH_EXTERN int berth_port_protocol(const berth_port *p);               /* a berth_proto */

/* The number of ports in l (0 for NULL). Since: 0.2 */
BERTH_EXTERN size_t berth_port_list_count(const berth_port_list *l);
/* Port i of l, borrowed from l; NULL past the end. Since: 0.2 */
BERTH_EXTERN const berth_port *berth_port_list_get(const berth_port_list *l, size_t i);
/* Releases a list and its ports. Accepts NULL. Since: 0.2 */
BERTH_EXTERN void berth_port_list_free(berth_port_list *l);

/* Parses a docker -p spec: [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], with
 * ranges of equal length (8000-8010:80-90) and IPv6 host addresses in
 * brackets. A range expands to one port per port; a host range with one
 * container port (8000-8010:80) is one port with a pool (host_port_end), as
 * docker does; no host port (80, IP::80) is host port 0 (a free port picked
 * at create). *out is released with berth_port_list_free(); untouched on
 * failure.
 * Errors: BERTH_EINVAL naming the bad part:
 * `port spec "70000:80": host port 70000 out of range (1-65535)`;
 * BERTH_EUNSUPPORTED for sctp.
 * Since: 0.1 (0.1 returned an array of structs; that symbol is kept for
 * 0.1 binaries) */
BERTH_EXTERN int berth_port_parse(berth_port_list **out, const char *spec);
/* "0.0.0.0:8080->80/tcp" as docker ps shows it; *out released with
 * berth_free(). BERTH_EINVAL for an invalid port.
 * Since: 0.1 */
BERTH_EXTERN int berth_port_format(char **out, const berth_port *p);

#ifdef __cplusplus
}
#endif
#endif
