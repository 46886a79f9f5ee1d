/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Links, addresses and routes through libnl-route-3. Every function works
 * in the calling thread's network namespace; the container's side is
 * configured through a netlink socket opened inside the container's
 * namespace (setns in this thread, socket, setns back). */
#include "net/nl_dl.h"
#include "net/net_internal.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* libnl's error as an errno (for berth__err_sys). */
static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_EXIST: return EEXIST;
	case NLE_NODEV: case NLE_OBJ_NOTFOUND: return ENODEV;
	case NLE_PERM: return EPERM;
	case NLE_NOMEM: return ENOMEM;
	case NLE_INVAL: return EINVAL;
	case NLE_BUSY: return EBUSY;
	case NLE_NOADDR: return EADDRNOTAVAIL;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_RANGE: return ERANGE;
	default: return EIO;
	}
}

static int nl_err(int nlerr, const char *fmt, const char *a, const char *b)
{
	char msg[512];
	snprintf(msg, sizeof msg, fmt, a, b ? b : "");
	int e = nl_errno(nlerr);
	if (e == EIO)
		return berth__err(BERTH_ENET, "%s: %s", msg, nl_geterror(nlerr));
	return berth__err_sys(e, "%s", msg);
}

static int sock_open(struct nl_sock **out, const char *what)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return berth__nl_error() ? berth__err(BERTH_EUNSUPPORTED, "%s", berth__nl_error()) : berth__err_nomem();
	int e = nl_connect(sk, NETLINK_ROUTE);
	if (e < 0) {
		nl_socket_free(sk);
		return nl_err(e, "%s: netlink socket%s", what, NULL);
	}
	*out = sk;
	return 0;
}

int berth__link_exists(const char *name)
{
	return if_nametoindex(name) > 0;
}

static int set_up(struct nl_sock *sk, const char *name, const char *what)
{
	struct rtnl_link *l = NULL, *ch = rtnl_link_alloc();
	int e = rtnl_link_get_kernel(sk, 0, name, &l);
	if (e < 0 || !ch) {
		rtnl_link_put(ch);
		return e < 0 ? nl_err(e, "%s: link %s", what, name) : berth__err_nomem();
	}
	rtnl_link_set_flags(ch, IFF_UP);
	e = rtnl_link_change(sk, l, ch, 0);
	rtnl_link_put(l);
	rtnl_link_put(ch);
	return e < 0 ? nl_err(e, "%s: set %s up", what, name) : 0;
}

static struct nl_addr *v4(uint32_t host_order, int prefix)
{
	uint32_t be = htonl(host_order);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);
	if (a)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

static int add_addr(struct nl_sock *sk, int ifindex, uint32_t addr, int prefix, const char *what, const char *dev)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = v4(addr, prefix);
	if (!ra || !local) {
		rtnl_addr_put(ra);
		nl_addr_put(local);
		return berth__err_nomem();
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_local(ra, local);
	rtnl_addr_set_prefixlen(ra, prefix);
	uint32_t bcast = addr | (prefix >= 32 ? 0 : 0xffffffffu >> prefix);
	struct nl_addr *bc = v4(bcast, 32);
	if (bc)
		rtnl_addr_set_broadcast(ra, bc);
	int e = rtnl_addr_add(sk, ra, 0);
	nl_addr_put(bc);
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (e < 0 && e != -NLE_EXIST) {
		char a[16];
		berth__ip_format(a, addr);
		return nl_err(e, "%s: add address %s", what, a), berth__err_prefix("%s", dev);
	}
	return 0;
}

static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char cur[8] = "";
	ssize_t n = read(fd, cur, sizeof cur - 1);
	int r = 0;
	if (n <= 0 || cur[0] != value[0]) {
		if (pwrite(fd, value, strlen(value), 0) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

int berth__link_bridge_ensure(const berth__network *nw)
{
	char what[200];
	snprintf(what, sizeof what, "network %s: bridge %s", nw->name, nw->bridge);
	struct nl_sock *sk;
	int r = sock_open(&sk, what);
	if (r < 0)
		return r;
	struct rtnl_link *l = NULL;
	int e = rtnl_link_get_kernel(sk, 0, nw->bridge, &l);
	if (e < 0) {
		e = rtnl_link_bridge_add(sk, nw->bridge);
		if (e < 0 && e != -NLE_EXIST) {
			r = nl_err(e, "%s: create%s", what, NULL);
			goto out;
		}
		if ((e = rtnl_link_get_kernel(sk, 0, nw->bridge, &l)) < 0) {
			r = nl_err(e, "%s: look up%s", what, NULL);
			goto out;
		}
	} else if (!rtnl_link_is_bridge(l)) {
		r = berth__err(BERTH_EEXISTS, "%s: a link of that name exists and is not a bridge", what);
		goto out;
	}
	if ((r = add_addr(sk, rtnl_link_get_ifindex(l), nw->gw, nw->prefix, what, "")) < 0)
		goto out;
	if (!(rtnl_link_get_flags(l) & IFF_UP) && (r = set_up(sk, nw->bridge, what)) < 0)
		goto out;
	/* routing between the bridge and the host's other links (published
	 * ports from other hosts, containers reaching out): docs/networking.md */
	int se = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	if (se < 0)
		r = berth__err_sys(-se, "%s: enable IPv4 forwarding (/proc/sys/net/ipv4/ip_forward)", what);
out:
	rtnl_link_put(l);
	nl_socket_free(sk);
	return r;
}

int berth__link_delete(const char *name)
{
	if (!berth__link_exists(name))
		return 0;
	struct nl_sock *sk;
	char what[64];
	snprintf(what, sizeof what, "link %s", name);
	int r = sock_open(&sk, what);
	if (r < 0)
		return r;
	struct rtnl_link *l = rtnl_link_alloc();
	if (!l) {
		nl_socket_free(sk);
		return berth__err_nomem();
	}
	rtnl_link_set_name(l, name);
	int e = rtnl_link_delete(sk, l);
	rtnl_link_put(l);
	nl_socket_free(sk);
	if (e < 0 && e != -NLE_NODEV && e != -NLE_OBJ_NOTFOUND)
		return nl_err(e, "delete link %s%s", name, NULL);
	return 0;
}

/* Hairpin on a bridge port: a container reaches its own published port
 * (the DNATed packet leaves by the port it came in). */
static int set_hairpin(struct nl_sock *sk, int ifindex, const char *what)
{
	struct nl_msg *m = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!m)
		return berth__err_nomem();
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct nlattr *nest;
	int e = nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO);
	if (e == 0 && (nest = nla_nest_start(m, IFLA_PROTINFO | NLA_F_NESTED))) {
		nla_put_u8(m, IFLA_BRPORT_MODE, 1);
		nla_nest_end(m, nest);
		e = nl_send_sync(sk, m); /* frees m */
	} else {
		nlmsg_free(m);
		e = e ? e : -NLE_NOMEM;
	}
	return e < 0 ? nl_err(e, "%s: hairpin mode%s", what, NULL) : 0;
}

static int parse_mac(unsigned char out[6], const char *s)
{
	unsigned int b[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		out[i] = (unsigned char)b[i];
	return 0;
}

/* Runs in the container's namespace through sk: eth0 address, up, default route. */
static int configure_inside(struct nl_sock *sk, uint32_t addr, int prefix, uint32_t gw, const char *what)
{
	struct rtnl_link *l = NULL;
	int e = rtnl_link_get_kernel(sk, 0, "eth0", &l);
	if (e < 0)
		return nl_err(e, "%s: eth0 in the container%s", what, NULL);
	int idx = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	int r = add_addr(sk, idx, addr, prefix, what, "");
	if (r < 0 || (r = set_up(sk, "eth0", what)) < 0)
		return r;
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = v4(0, 0), *gwa = v4(gw, 32);
	if (!rt || !nh || !dst || !gwa) {
		rtnl_route_put(rt);
		if (nh)
			rtnl_route_nh_free(nh);
		nl_addr_put(dst);
		nl_addr_put(gwa);
		return berth__err_nomem();
	}
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_nh_set_ifindex(nh, idx);
	rtnl_route_nh_set_gateway(nh, gwa);
	rtnl_route_add_nexthop(rt, nh); /* rt owns nh */
	e = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_route_put(rt);
	nl_addr_put(dst);
	nl_addr_put(gwa);
	if (e < 0 && e != -NLE_EXIST)
		return nl_err(e, "%s: default route in the container%s", what, NULL);
	return 0;
}

int berth__link_veth_setup(const char *host_name, const char *bridge, pid_t pid, const char *mac, uint32_t addr,
                           int prefix, uint32_t gw)
{
	char what[128];
	snprintf(what, sizeof what, "veth %s", host_name);
	int br = (int)if_nametoindex(bridge);
	if (br <= 0)
		return berth__err_sys(errno, "%s: bridge %s", what, bridge);
	struct nl_sock *sk = NULL;
	int r = sock_open(&sk, what);
	if (r < 0)
		return r;
	struct rtnl_link *veth = rtnl_link_veth_alloc();
	struct rtnl_link *peer = veth ? rtnl_link_veth_get_peer(veth) : NULL;
	unsigned char hw[6];
	struct nl_addr *hwa = NULL;
	if (!veth || !peer) {
		r = berth__err_nomem();
		goto out;
	}
	rtnl_link_set_name(veth, host_name);
	rtnl_link_set_master(veth, br);
	rtnl_link_set_flags(veth, IFF_UP);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_ns_pid(peer, pid);
	if (mac && parse_mac(hw, mac) == 0 && (hwa = nl_addr_build(AF_LLC, hw, 6)))
		rtnl_link_set_addr(peer, hwa);
	int e = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (e < 0) {
		r = nl_err(e, "%s: create the veth pair (peer eth0 in the container)%s", what, NULL);
		goto out;
	}
	if ((r = set_hairpin(sk, (int)if_nametoindex(host_name), what)) < 0)
		goto out;

	/* the container's side, through a socket opened in its namespace */
	char nsp[64];
	snprintf(nsp, sizeof nsp, "/proc/%d/ns/net", (int)pid);
	int target = open(nsp, O_RDONLY | O_CLOEXEC);
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nl_sock *inside = NULL;
	if (target < 0 || self < 0) {
		r = berth__err_sys(errno, "%s: open the network namespaces", what);
	} else if (setns(target, CLONE_NEWNET) < 0) {
		r = berth__err_sys(errno, "%s: enter the container's network namespace", what);
	} else {
		int so = sock_open(&inside, what);
		if (setns(self, CLONE_NEWNET) < 0) {
			/* cannot happen for our own namespace; never go on in the wrong one */
			abort();
		}
		r = so;
	}
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	if (r == 0) {
		r = configure_inside(inside, addr, prefix, gw, what);
		nl_socket_free(inside);
	}
out:
	nl_addr_put(hwa);
	if (peer)
		rtnl_link_put(peer);
	if (veth)
		rtnl_link_veth_release(veth);
	nl_socket_free(sk);
	return r;
}

struct route_check {
	uint32_t net, mask;
	const char *subnet;
	int skip_idx;
	int found;
	char route[64];
	char dev[IF_NAMESIZE];
};

static void check_one(struct nl_object *obj, void *arg)
{
	struct route_check *rc = arg;
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	if (rc->found || rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_family(rt) != AF_INET)
		return;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	if (!dst || nl_addr_get_prefixlen(dst) == 0 || nl_addr_get_len(dst) != 4)
		return;
	struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, 0);
	int oif = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
	if (rc->skip_idx > 0 && oif == rc->skip_idx)
		return;
	uint32_t be;
	memcpy(&be, nl_addr_get_binary_addr(dst), 4);
	int pl = (int)nl_addr_get_prefixlen(dst);
	uint32_t m = pl >= 32 ? 0xffffffffu : ~(0xffffffffu >> pl);
	uint32_t n = ntohl(be) & m;
	uint32_t both = m & rc->mask;
	if ((n & both) != (rc->net & both))
		return;
	rc->found = 1;
	char a[16];
	berth__ip_format(a, n);
	snprintf(rc->route, sizeof rc->route, "%s/%d", a, pl);
	if (!oif || !if_indextoname((unsigned)oif, rc->dev))
		snprintf(rc->dev, sizeof rc->dev, "?");
}

int berth__link_check_routes(uint32_t net, uint32_t mask, const char *subnet, const char *skip_dev)
{
	struct nl_sock *sk;
	int r = sock_open(&sk, "check routes");
	if (r < 0)
		return r;
	struct nl_cache *cache = NULL;
	int e = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
	if (e < 0) {
		nl_socket_free(sk);
		return nl_err(e, "subnet %s: list the routes%s", subnet, NULL);
	}
	struct route_check rc = { net, mask, subnet, skip_dev ? (int)if_nametoindex(skip_dev) : 0, 0, "", "" };
	nl_cache_foreach(cache, check_one, &rc);
	nl_cache_free(cache);
	nl_socket_free(sk);
	if (rc.found)
		return berth__err(BERTH_EINVAL, "subnet %s overlaps the route %s dev %s", subnet, rc.route, rc.dev);
	return 0;
}
