/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Networks and port mappings.
 *
 * A container's network mode is set on its spec:
 *   "none"            its own network namespace with only loopback up (the
 *                     default of a spec from berth_spec_new())
 *   "host"            the caller's network namespace
 *   "bridge"          the default bridge network "berth0" (10.88.0.0/16)
 *   "container:ID"    the network namespace of another running container
 *   NAME              a network made with berth_network_create()
 * On a bridge network the container gets a veth pair (host side enslaved to
 * the bridge, the peer moved into the container as eth0), an address from the
 * network's IPAM, a default route through the gateway, and /etc/hosts,
 * /etc/hostname and /etc/resolv.conf written for it.
 *
 * Published ports are DNAT map elements in berth's nftables table (packets
 * addressed to the host itself, from other hosts, from the host and from
 * containers) plus a loopback proxy in the container's monitor for
 * 127.0.0.1:HOSTPORT. The host port is reserved (bound) for the container's
 * lifetime, so two containers cannot take it.
 */
#ifndef BERTH_NET_H
#define BERTH_NET_H

#include "common.h"
#include "context.h"
#include "spec.h"
#include "container.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum berth_proto {
	BERTH_PROTO_TCP = 0,
	BERTH_PROTO_UDP = 1
} berth_proto;

/* One published port. */
typedef struct berth_port {
	char host_ip[46];            /* "" = every address of the host (0.0.0.0) */
	unsigned int host_port;      /* 0 = a free port picked at create */
	unsigned int container_port; /* 1..65535 */
	int protocol;                /* a berth_proto */
	unsigned int host_port_end;  /* 0, or > host_port: a pool (docker's
	                                8000-8010:80): the first free port of
	                                host_port..host_port_end is taken at
	                                create, then host_port is that port and
	                                host_port_end is 0 */
} berth_port;

/* Parses a docker -p spec: [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], with
 * ranges of equal length (8000-8010:80-90) and IPv6 host addresses in
 * brackets. A range expands to one berth_port per port; a host range with
 * one container port (8000-8010:80) is one berth_port with a pool
 * (host_port_end), as docker does; no host port (80, IP::80) is host port 0
 * (a free port picked at create). *out is released with berth_free().
 * BERTH_EINVAL naming the bad part:
 * `port spec "70000:80": host port 70000 out of range (1-65535)`;
 * BERTH_EUNSUPPORTED for sctp. */
BERTH_EXTERN int berth_port_parse(berth_port **out, size_t *out_n, const char *spec);
/* "0.0.0.0:8080->80/tcp" as docker ps shows it; released with berth_free(). */
BERTH_EXTERN int berth_port_format(char **out, const berth_port *p);

/* --- on the spec --- */
/* The network mode (see above). BERTH_EINVAL for a malformed mode. */
BERTH_EXTERN int berth_spec_set_network(berth_spec *spec, const char *mode);
/* Publishes a port (needs a bridge network at create: BERTH_EINVAL otherwise). */
BERTH_EXTERN int berth_spec_add_port(berth_spec *spec, const berth_port *port);
/* The ports published on the spec (as given: host port 0 or a pool until
 * create). *out released with berth_free(); *out_n may be 0. Since 0.2. */
BERTH_EXTERN int berth_spec_ports(berth_port **out, size_t *out_n, const berth_spec *spec);
/* DNS servers for the container's /etc/resolv.conf (NULL: the host's). */
BERTH_EXTERN int berth_spec_set_dns(berth_spec *spec, const char *const *servers);

/* --- on a container --- */
/* The container's published ports, with the host ports actually bound.
 * *out released with berth_free(); *out_n may be 0. */
BERTH_EXTERN int berth_container_ports(berth_port **out, size_t *out_n, berth_container *c);
/* Adds a mapping to a created or running container on a bridge network
 * (BERTH_EEXISTS if the host port is taken). */
BERTH_EXTERN int berth_container_add_port(berth_container *c, const berth_port *port);
/* Removes a mapping (matched on host address, host port and protocol). */
BERTH_EXTERN int berth_container_remove_port(berth_container *c, const berth_port *port);
/* Serves the container's loopback mappings (127.0.0.1:HOSTPORT) from a
 * thread of the calling process until the handle is freed. berth-monitor
 * calls this for every container with published ports; a program that keeps
 * its handle may call it instead. */
BERTH_EXTERN int berth_container_serve_ports(berth_container *c);

/* --- networks --- */
#define BERTH_NETWORK_OPTIONS_VERSION 1
typedef struct berth_network_options {
	unsigned int version;  /* BERTH_NETWORK_OPTIONS_VERSION */
	const char *subnet;    /* IPv4 CIDR; NULL: the next free 10.89.N.0/24 */
	const char *gateway;   /* NULL: the subnet's first address */
	const char *bridge;    /* bridge device name; NULL: "berth-" + 8 hex of the id */
} berth_network_options;
#define BERTH_NETWORK_OPTIONS_INIT { BERTH_NETWORK_OPTIONS_VERSION, NULL, NULL, NULL }
BERTH_EXTERN int berth_network_options_init(berth_network_options *opts, unsigned int version);

/* Records a bridge network (the bridge itself is made when the first
 * container joins it). BERTH_EEXISTS for a taken name; BERTH_EINVAL for a
 * subnet that overlaps another network or a route of the host. */
BERTH_EXTERN int berth_network_create(berth_ctx *ctx, const char *name, const berth_network_options *opts);
/* Removes a network (BERTH_EBUSY while a container uses it); "bridge" can
 * not be removed. Its bridge device and nftables rules go with it. */
BERTH_EXTERN int berth_network_remove(berth_ctx *ctx, const char *name);
/* Names of every network ("bridge", "host", "none" and the created ones),
 * NULL-terminated, released with one berth_free(). */
BERTH_EXTERN int berth_network_list(char ***out, berth_ctx *ctx);
/* A network as JSON: name, id, driver, subnet, gateway, bridge, containers
 * (id, name, address, MAC). Released with berth_free(). */
BERTH_EXTERN int berth_network_inspect(char **out, berth_ctx *ctx, const char *name);

#ifdef __cplusplus
}
#endif
#endif
