/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The network plumbing's internals: networks (network.c), IPAM (ipam.c),
 * links through libnl-route-3 (link.c), /etc files (netfiles.c), the spec
 * setters (spec_net.c) and the runtime's side (net.h: attach.c, publish.c).
 *
 * On disk:
 *   <root>/networks/<name>.json          a created network {name,id,driver,subnet,gateway,bridge,created}
 *   <root>/networks/.lock                 flock'd around create/remove
 *   /run/berth-ipam/<netns>/<bridge>/<addr>  one file per address in use, host-wide (ipam.c)
 *   <root>/containers/<id>/network.json   what a container got (written before anything is made,
 *                                         so teardown after a crash knows what to undo)
 *   <root>/containers/<id>/{hosts,hostname,resolv.conf}  bind-mounted into the container
 */
#ifndef BERTH_NET_INTERNAL_H
#define BERTH_NET_INTERNAL_H

#include "internal.h"
#include "common/layout.h"
#include "net/nat.h"
#include "spec/ext.h"
#include <netinet/in.h>
#include <stdint.h>

#define BERTH__DEFAULT_NETWORK "bridge"
#define BERTH__DEFAULT_BRIDGE "berth0"
#define BERTH__DEFAULT_SUBNET "10.88.0.0/16"

/* A network's record. */
typedef struct berth__network {
	char name[129];
	char id[65];
	char bridge[16];
	char subnet[32];      /* "10.88.0.0/16" */
	char gateway[16];
	uint32_t net, mask;   /* host order */
	uint32_t gw;
	int prefix;
	int builtin;          /* "bridge" */
} berth__network;

/* --- network.c --- */
/* Loads a network by name ("bridge" always exists). BERTH_ENOTFOUND otherwise. */
BERTH_HIDDEN int berth__network_load(berth__network *out, berth_ctx *ctx, const char *name);
/* Parses "a.b.c.d/n" into host-order net and mask; the address must be the network's. */
BERTH_HIDDEN int berth__cidr_parse(uint32_t *net, uint32_t *mask, int *prefix, const char *cidr, const char *what);
BERTH_HIDDEN void berth__ip_format(char buf[16], uint32_t host_order);
BERTH_HIDDEN int berth__ip_parse(uint32_t *out, const char *s);

/* --- ipam.c: host-wide, /run/berth-ipam/<netns>/<bridge>/<addr> --- */
/* Allocates a free address of nw for container id of ctx's root (O_EXCL
 * file under the bridge's flock'd directory, shared by every state root).
 * Files of containers that no longer exist are reclaimed. BERTH_EEXISTS when
 * the bridge already serves another subnet. */
BERTH_HIDDEN int berth__ipam_alloc(uint32_t *out, berth_ctx *ctx, const berth__network *nw, const char *id);
/* Releases addr on bridge if it is still id's (of ctx's root); idempotent.
 * The last release removes the bridge's directory. */
BERTH_HIDDEN void berth__ipam_release(berth_ctx *ctx, const char *bridge, const char *addr, const char *id);
/* Number of addresses in use on a bridge, by any root (after reclaiming stale ones). */
BERTH_HIDDEN int berth__ipam_in_use(const char *bridge);
/* The first IPv4 address of a link in the calling netns: 1 and addr/mask, or 0. */
BERTH_HIDDEN int berth__bridge_v4(uint32_t *addr, uint32_t *mask, const char *bridge);
/* BERTH_EEXISTS when nw's bridge exists with an IPv4 address other than nw's gateway/prefix. */
BERTH_HIDDEN int berth__bridge_subnet_check(const berth__network *nw);

/* --- link.c (libnl-route-3; every call runs in the calling thread's netns) --- */
/* Creates the bridge with the gateway address if missing, sets it up, turns
 * IPv4 forwarding on (documented in docs/networking.md). */
BERTH_HIDDEN int berth__link_bridge_ensure(const berth__network *nw);
BERTH_HIDDEN int berth__link_delete(const char *name); /* ENODEV is success */
/* A veth pair: host side `host_name` enslaved to bridge (hairpin on, up), the
 * peer created in the network namespace of pid as eth0 with the MAC, the
 * address/prefix, up, a default route via gw, and loopback up. */
BERTH_HIDDEN int berth__link_veth_setup(const char *host_name, const char *bridge, pid_t pid, const char *mac,
                                        uint32_t addr, int prefix, uint32_t gw);
/* The subnet overlaps a route of the calling netns (other than the default
 * route and routes through skip_dev): BERTH_EINVAL naming the route. */
BERTH_HIDDEN int berth__link_check_routes(uint32_t net, uint32_t mask, const char *subnet, const char *skip_dev);
/* Whether a link exists. */
BERTH_HIDDEN int berth__link_exists(const char *name);

/* --- netfiles.c --- */
/* Writes hosts, hostname and resolv.conf into dir. dns: servers or NULL
 * (the host's resolv.conf nameservers, loopback ones replaced by 8.8.8.8). */
BERTH_HIDDEN int berth__netfiles_write(const char *dir, const char *hostname, const char *addr,
                                       const char *const *dns);

/* --- attach.c --- */
BERTH_HIDDEN int berth__net_record_save(const char *root_dir, json_t *rec);

#endif
