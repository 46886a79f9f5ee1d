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
/* Since 0.2 the port type and functions are in port.h, the spec's network
 * setters in spec.h and a container's port functions in container.h (one
 * header per prefix); they are included here for programs written for 0.1. */
#include "port.h"
#include "spec.h"
#include "container.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- networks --- */
/* Version 1 (0.1). */
#define BERTH_NETWORK_OPTIONS_VERSION 1
typedef struct berth_network_options {
	unsigned int version;  /* BERTH_NETWORK_OPTIONS_VERSION */
	const char *subnet;    /* IPv4 CIDR; NULL: the next free 10.89.N.0/24 */
	const char *gateway;   /* NULL: the subnet's first address */
	const char *bridge;    /* bridge device name; NULL: "berth-" + 8 hex of the id */
} berth_network_options;
#define BERTH_NETWORK_OPTIONS_INIT { BERTH_NETWORK_OPTIONS_VERSION, NULL, NULL, NULL }
/* Fills opts with version's defaults. BERTH_EINVAL for an unknown version.
 * Since: 0.1 */
BERTH_EXTERN int berth_network_options_init(berth_network_options *opts, unsigned int version);

/* Records a bridge network (the bridge itself is made when the first
 * container joins it). BERTH_EEXISTS for a taken name; BERTH_EINVAL for a
 * subnet that overlaps another network or a route of the host. Since: 0.1 */
BERTH_EXTERN int berth_network_create(berth_ctx *ctx, const char *name, const berth_network_options *opts);
/* Removes a network (BERTH_EBUSY while a container uses it); "bridge" can
 * not be removed. Its bridge device and nftables rules go with it. Since: 0.1 */
BERTH_EXTERN int berth_network_remove(berth_ctx *ctx, const char *name);
/* Names of every network ("bridge", "host", "none" and the created ones),
 * NULL-terminated, released with one berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_network_list(char ***out, berth_ctx *ctx);
/* A network as JSON: name, id, driver, subnet, gateway, bridge, containers
 * (id, name, address, MAC). Released with berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_network_inspect(char **out, berth_ctx *ctx, const char *name);

#ifdef __cplusplus
}
#endif
#endif
