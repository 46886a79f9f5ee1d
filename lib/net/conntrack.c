/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Stale conntrack entries of a mapping (libnl-nf-3's ctnetlink).
 *
 * A UDP "connection" lives as long as datagrams keep flowing, so a client
 * that keeps sending to a host port keeps hitting the entry made when the
 * mapping was first used: after the mapping is removed (or moved to another
 * container) its datagrams would still go to the old container, and an
 * entry made before a mapping existed would keep bypassing DNAT. Deleting
 * the entries makes the next datagram go through the nat chains again.
 *
 * Entries deleted: protocol and original destination port of the mapping,
 * original destination the mapping's host address (or any), and either
 * DNATed or addressed to one of the host's own addresses, so the host's own
 * outgoing traffic to that port elsewhere is left alone.
 */
#include "net/nl_dl.h"
#include "net/nat.h"
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <string.h>

static int is_local_v4(const struct ifaddrs *ifs, const void *addr4)
{
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !memcmp(&((const struct sockaddr_in *)i->ifa_addr)->sin_addr, addr4, 4))
			return 1;
	return 0;
}

int berth__nat_conntrack_flush(const berth_port *p)
{
	int r = berth__port_check(p);
	if (r)
		return r;
	const char *proto = p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp";
	struct in_addr want = { 0 };
	if (p->host_ip[0] && inet_pton(AF_INET, p->host_ip, &want) != 1)
		return 0; /* IPv6 mappings have no entries in berth's (IPv4) NAT */
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) < 0)
		return berth__err_sys(errno, "flush conntrack of host port %u/%s: list the host's addresses", p->host_port,
		                      proto);
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk) {
		freeifaddrs(ifs);
		return berth__nl_error() ? berth__err(BERTH_EUNSUPPORTED, "%s", berth__nl_error()) : berth__err_nomem();
	}
	struct nl_cache *cache = NULL;
	int e = nfnl_connect(sk);
	if (e >= 0)
		e = nfnl_ct_alloc_cache(sk, &cache);
	if (e < 0) {
		r = berth__err(e == -NLE_PERM ? BERTH_EPERM : BERTH_ENET,
		               "flush conntrack of host port %u/%s: ctnetlink: %s%s", p->host_port, proto, nl_geterror(e),
		               e == -NLE_PERM ? " (needs CAP_NET_ADMIN)" : "");
		goto out;
	}
	uint8_t l4 = p->protocol == BERTH_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct nfnl_ct *ct = (struct nfnl_ct *)o;
		if (nfnl_ct_get_family(ct) != AF_INET || nfnl_ct_get_proto(ct) != l4 ||
		    nfnl_ct_get_dst_port(ct, 0) != p->host_port)
			continue;
		struct nl_addr *dst = nfnl_ct_get_dst(ct, 0);
		if (!dst || nl_addr_get_len(dst) != 4)
			continue;
		const void *d = nl_addr_get_binary_addr(dst);
		if (want.s_addr && memcmp(d, &want, 4))
			continue;
		if (!(nfnl_ct_get_status(ct) & IPS_DST_NAT) && !is_local_v4(ifs, d))
			continue;
		e = nfnl_ct_del(sk, ct, 0);
		if (e < 0 && e != -NLE_OBJ_NOTFOUND) {
			r = berth__err(BERTH_ENET, "flush conntrack of host port %u/%s: delete an entry: %s", p->host_port,
			               proto, nl_geterror(e));
			goto out;
		}
	}
out:
	if (cache)
		nl_cache_free(cache);
	nl_socket_free(sk);
	freeifaddrs(ifs);
	return r;
}
