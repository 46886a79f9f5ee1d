/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The contract between the network plumbing (network.c, link.c, ipam.c, the
 * runtime and the monitor) and the packet path (nft.c, reserve.c, proxy.c,
 * ports.c). Every function here runs in the caller's (the host's) network
 * namespace and returns 0 or a negative berth error with the message set.
 *
 * nftables: one table `ip berth`, programmed as nfnetlink batches built
 * with libnl-3 (no nft binary, no libnftnl). It holds
 *   - a masquerade rule per bridge subnet (traffic from the subnet leaving
 *     by another interface than its bridge),
 *   - DNAT maps for published ports: `l4proto . dport -> addr . port` for
 *     mappings on every host address and `daddr . l4proto . dport -> addr .
 *     port` for mappings on one host address, consulted in prerouting and
 *     output only for `fib daddr type local` and never for 127.0.0.0/8 (the
 *     monitor's proxy serves loopback), with hairpin masquerade so a
 *     container reaches its own published port.
 * A mapping is one map element, added and removed atomically.
 */
#ifndef BERTH_NET_NAT_H
#define BERTH_NET_NAT_H

#include "internal.h"
#include "net/net.h"
#include <berth/net.h>
#include "common/port.h"
#include <netinet/in.h>
#include <sys/socket.h>

/* Checks a berth_port (protocol, port ranges, host address): BERTH_EINVAL
 * naming the bad field (ports.c). */
BERTH_HIDDEN int berth__port_check(const berth_port *p);
/* berth_port_parse() as an array (*out malloc'd, *out_n >= 1). */
BERTH_HIDDEN int berth__port_parse(berth_port **out, size_t *out_n, const char *spec);

/* Creates the table, chains and maps if missing (idempotent, safe against
 * a concurrent caller) and the masquerade rule for subnet ("10.88.0.0/16")
 * leaving by an interface other than bridge. */
BERTH_HIDDEN int berth__nat_network_add(const char *bridge, const char *subnet_cidr);
/* Removes that network's masquerade rule; the table goes when nothing is left in it. */
BERTH_HIDDEN int berth__nat_network_remove(const char *bridge, const char *subnet_cidr);
/* One DNAT element for p (p->host_port set) to container_ip:p->container_port.
 * The table is made if missing; it is deleted only by the removal of the
 * last network when no mapping is left in it (serialised with the adds).
 * A 127.0.0.0/8 or ::1 host address adds nothing (the loopback proxy serves it); other IPv6 addresses are
 * BERTH_EUNSUPPORTED; the same key held by another container is
 * BERTH_EEXISTS. */
BERTH_HIDDEN int berth__nat_port_add(const berth_port *p, const char *container_ip);
/* Removes it if it still points at container_ip:container_port; a missing
 * element or table is not an error (teardown is idempotent). */
BERTH_HIDDEN int berth__nat_port_remove(const berth_port *p, const char *container_ip);
/* Deletes conntrack entries for p's host port (UDP mappings, at removal). */
BERTH_HIDDEN int berth__nat_conntrack_flush(const berth_port *p);

/* A socket address of either family (reserve.c, proxy.c). */
typedef union {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
} berth__any_addr;

#endif
