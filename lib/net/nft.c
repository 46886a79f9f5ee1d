/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth's nftables table, programmed as nfnetlink batches built with
 * libnl-3's nl_msg/nla API (no nft binary, no libnftnl). In nft syntax:
 *
 *   table ip berth {
 *     set nets { type ipv4_addr; flags interval; }                   # bridge subnets
 *     set net_bridge { type ipv4_addr . ifname; flags interval; }   # subnet . its bridge
 *     map dnat_any  { type inet_proto . inet_service : ipv4_addr . inet_service; }
 *     map dnat_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
 *     chain published {
 *       dnat ip to ip daddr . meta l4proto . th dport map @dnat_addr
 *       dnat ip to meta l4proto . th dport map @dnat_any
 *     }
 *     chain prerouting { type nat hook prerouting priority dstnat;
 *       ip daddr != 127.0.0.0/8 fib daddr type local jump published }
 *     chain output { type nat hook output priority -100;
 *       ip daddr != 127.0.0.0/8 fib daddr type local jump published }
 *     chain postrouting { type nat hook postrouting priority srcnat;
 *       ct status dnat ip saddr @nets masquerade       # hairpin: a container to a published port
 *       ip saddr . oifname @net_bridge return          # stays on its own bridge
 *       ip saddr @nets masquerade }                    # leaves by another interface
 *   }
 *
 * (postrouting has no input interface, hence the two sets.)
 * A network is one element in each set (one batch), a published port one
 * map element:
 * both are added and removed atomically, and the rules never change after
 * the table is made. The table, its sets, chains and rules are made in one
 * batch whose NEWTABLE carries NLM_F_EXCL: two processes racing to make it
 * cannot duplicate the rules (the loser's batch is aborted whole with
 * EEXIST, and it goes on to add its element to the winner's table).
 *
 * Removing the last network deletes the table if no mapping is left in it.
 * That check-then-delete and the adding of networks and mappings are
 * serialised by a flock on LOCK_PATH, so a concurrent add is never lost
 * with a table deleted under it.
 */
#include "net/nl_dl.h"
#include "net/nat.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TABLE "berth"
#define SET_NETS "nets"
#define SET_NET_BRIDGE "net_bridge"
#define MAP_ANY "dnat_any"
#define MAP_ADDR "dnat_addr"
#define CH_PUBLISHED "published"
#define LOCK_PATH "/run/berth-nat.lock"

/* nftables datatype ids (nft's datatypes; concatenations are id << 6 | id). */
#define TYPE_IPADDR 7
#define TYPE_INET_PROTOCOL 12
#define TYPE_INET_SERVICE 13
#define TYPE_IFNAME 41
#define CONCAT2(a, b) (((a) << 6) | (b))
#define CONCAT3(a, b, c) (((((a) << 6) | (b)) << 6) | (c))

/* Register numbers: NFT_REG_1 for the first field of a key, then the
 * 32-bit registers after it (NFT_REG32_01 = 9, ...). */
#define R1 NFT_REG_1
#define R32(n) (NFT_REG32_00 + (n))

#define BATCH_MAX 32

/* ------------------------------------------------------------------ batch */

typedef struct {
	struct nl_msg *msg[BATCH_MAX];
	char what[BATCH_MAX][160]; /* for errors: "add map element ..." */
	int n;
	int oom;
} batch;

static void batch_free(batch *b)
{
	for (int i = 0; i < b->n; i++)
		nlmsg_free(b->msg[i]);
	b->n = 0;
}

/* A new NFT_MSG_* message in the batch (family ip); NULL on ENOMEM. */
static struct nl_msg *bmsg(batch *b, int type, int flags, const char *what)
{
	if (b->n >= BATCH_MAX) {
		b->oom = 1;
		return NULL;
	}
	struct nl_msg *m = nlmsg_alloc_simple((NFNL_SUBSYS_NFTABLES << 8) | type, NLM_F_REQUEST | NLM_F_ACK | flags);
	if (!m) {
		b->oom = 1;
		return NULL;
	}
	struct nfgenmsg g = { .nfgen_family = NFPROTO_IPV4, .version = NFNETLINK_V0, .res_id = 0 };
	if (nlmsg_append(m, &g, sizeof g, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		b->oom = 1;
		return NULL;
	}
	snprintf(b->what[b->n], sizeof b->what[b->n], "%s", what);
	b->msg[b->n++] = m;
	return m;
}

/* nla_put failures (only ENOMEM/ENOBUFS) are collected in *bad. */
static void put_str(struct nl_msg *m, int *bad, int type, const char *s)
{
	if (nla_put_string(m, type, s) < 0)
		*bad = 1;
}
static void put_be32(struct nl_msg *m, int *bad, int type, uint32_t v)
{
	if (nla_put_u32(m, type, htonl(v)) < 0)
		*bad = 1;
}
static void put_bin(struct nl_msg *m, int *bad, int type, const void *d, size_t len)
{
	if (nla_put(m, type, (int)len, d) < 0)
		*bad = 1;
}
static struct nlattr *nest(struct nl_msg *m, int *bad, int type)
{
	struct nlattr *a = nla_nest_start(m, NLA_F_NESTED | type);
	if (!a)
		*bad = 1;
	return a;
}
static void nest_end(struct nl_msg *m, int *bad, struct nlattr *a)
{
	if (a && nla_nest_end_keep_empty(m, a) < 0)
		*bad = 1;
}
/* A NFTA_DATA_VALUE nested in type. */
static void put_data(struct nl_msg *m, int *bad, int type, const void *d, size_t len)
{
	struct nlattr *a = nest(m, bad, type);
	if (!a)
		return;
	put_bin(m, bad, NFTA_DATA_VALUE, d, len);
	nest_end(m, bad, a);
}

/* The socket: NETLINK_NETFILTER with a receive timeout so a lost reply
 * cannot hang a caller forever. */
static int nl_open(struct nl_sock **out, const char *what)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return berth__nl_error() ? berth__err(BERTH_EUNSUPPORTED, "%s", berth__nl_error()) : berth__err_nomem();
	int r = nl_connect(sk, NETLINK_NETFILTER);
	if (r < 0) {
		nl_socket_free(sk);
		return berth__err(BERTH_ENET, "%s: nftables: cannot open a netfilter netlink socket: %s", what,
		                  nl_geterror(r));
	}
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	nl_socket_set_buffer_size(sk, 1 << 20, 1 << 20);
	*out = sk;
	return 0;
}

/* Appends the wire form of m to buf at *off. */
static int append_msg(char **buf, size_t *cap, size_t *off, struct nlmsghdr *h)
{
	size_t len = NLMSG_ALIGN(h->nlmsg_len);
	if (*off + len > *cap) {
		size_t nc = (*cap ? *cap * 2 : 4096);
		while (nc < *off + len)
			nc *= 2;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		memset(nb + *cap, 0, nc - *cap);
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *off, h, h->nlmsg_len);
	*off += len;
	return 0;
}

/* Sends the batch in one sendmsg (BATCH_BEGIN, the messages, BATCH_END)
 * and collects one ACK per message. Returns 0, or the first failing
 * message's -errno with *failed set to its index (-1: the batch itself). No
 * error message is set. */
static int batch_run(struct nl_sock *sk, batch *b, int *failed)
{
	*failed = -1;
	if (b->oom)
		return -ENOMEM;
	unsigned int seq0 = nl_socket_use_seq(sk);
	struct {
		struct nlmsghdr h;
		struct nfgenmsg g;
	} begin = { 0 }, end = { 0 };
	begin.h.nlmsg_len = end.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
	begin.h.nlmsg_type = NFNL_MSG_BATCH_BEGIN;
	end.h.nlmsg_type = NFNL_MSG_BATCH_END;
	begin.h.nlmsg_flags = end.h.nlmsg_flags = NLM_F_REQUEST;
	begin.g.res_id = end.g.res_id = htons(NFNL_SUBSYS_NFTABLES);
	begin.g.nfgen_family = end.g.nfgen_family = AF_UNSPEC;
	begin.h.nlmsg_seq = seq0;

	char *buf = NULL;
	size_t cap = 0, off = 0;
	int r = append_msg(&buf, &cap, &off, &begin.h);
	for (int i = 0; i < b->n && r == 0; i++) {
		struct nlmsghdr *h = nlmsg_hdr(b->msg[i]);
		h->nlmsg_seq = seq0 + 1 + (unsigned int)i;
		r = append_msg(&buf, &cap, &off, h);
	}
	end.h.nlmsg_seq = seq0 + 1 + (unsigned int)b->n;
	if (r == 0)
		r = append_msg(&buf, &cap, &off, &end.h);
	/* keep the socket's sequence counter past what we used */
	for (int i = 0; i <= b->n; i++)
		nl_socket_use_seq(sk);
	if (r) {
		free(buf);
		return -ENOMEM;
	}
	int s = nl_sendto(sk, buf, off);
	free(buf);
	if (s < 0)
		return -EIO;

	int acked = 0, first_err = 0;
	char acks[BATCH_MAX] = { 0 };
	while (acked < b->n) {
		struct sockaddr_nl nla;
		unsigned char *rbuf = NULL;
		int len = nl_recv(sk, &nla, &rbuf, NULL);
		if (len <= 0) {
			free(rbuf);
			if (!first_err)
				first_err = len == -NLE_AGAIN ? -ETIMEDOUT : -EIO;
			break;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
		for (; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			struct nlmsgerr *e = nlmsg_data(h);
			long idx = (long)h->nlmsg_seq - (long)seq0 - 1;
			if (idx == -1 && e->error) { /* the batch as a whole was refused */
				if (!first_err)
					first_err = e->error;
				acked = b->n;
				break;
			}
			if (idx < 0 || idx >= b->n || acks[idx])
				continue;
			acks[idx] = 1;
			acked++;
			if (e->error && (*failed < 0 || idx < *failed)) {
				first_err = e->error;
				*failed = (int)idx;
			}
		}
		free(rbuf);
	}
	return first_err;
}

/* ------------------------------------------------------------ expressions */

typedef struct {
	struct nl_msg *m;
	int *bad;
	struct nlattr *list;
} rule_b;

static struct nlattr *expr_begin(rule_b *rb, const char *name)
{
	struct nlattr *e = nest(rb->m, rb->bad, NFTA_LIST_ELEM);
	put_str(rb->m, rb->bad, NFTA_EXPR_NAME, name);
	return e;
}

static void e_payload(rule_b *rb, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg)
{
	struct nlattr *e = expr_begin(rb, "payload");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_PAYLOAD_DREG, dreg);
	put_be32(rb->m, rb->bad, NFTA_PAYLOAD_BASE, base);
	put_be32(rb->m, rb->bad, NFTA_PAYLOAD_OFFSET, offset);
	put_be32(rb->m, rb->bad, NFTA_PAYLOAD_LEN, len);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
}

static void e_meta(rule_b *rb, uint32_t key, uint32_t dreg)
{
	struct nlattr *e = expr_begin(rb, "meta");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_META_KEY, key);
	put_be32(rb->m, rb->bad, NFTA_META_DREG, dreg);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
}

static void e_cmp(rule_b *rb, uint32_t op, const void *data, size_t len)
{
	struct nlattr *e = expr_begin(rb, "cmp");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_CMP_SREG, R1);
	put_be32(rb->m, rb->bad, NFTA_CMP_OP, op);
	put_data(rb->m, rb->bad, NFTA_CMP_DATA, data, len);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
}

static void e_lookup(rule_b *rb, const char *set, int dreg)
{
	struct nlattr *e = expr_begin(rb, "lookup");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_LOOKUP_SREG, R1);
	if (dreg >= 0)
		put_be32(rb->m, rb->bad, NFTA_LOOKUP_DREG, (uint32_t)dreg);
	put_str(rb->m, rb->bad, NFTA_LOOKUP_SET, set);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
}

static void e_verdict(rule_b *rb, int code, const char *chain)
{
	struct nlattr *e = expr_begin(rb, "immediate");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	struct nlattr *data = nest(rb->m, rb->bad, NFTA_IMMEDIATE_DATA);
	struct nlattr *v = nest(rb->m, rb->bad, NFTA_DATA_VERDICT);
	put_be32(rb->m, rb->bad, NFTA_VERDICT_CODE, (uint32_t)code);
	if (chain)
		put_str(rb->m, rb->bad, NFTA_VERDICT_CHAIN, chain);
	nest_end(rb->m, rb->bad, v);
	nest_end(rb->m, rb->bad, data);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
}

static void e_dnat(rule_b *rb, uint32_t reg_addr, uint32_t reg_proto)
{
	struct nlattr *e = expr_begin(rb, "nat");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	put_be32(rb->m, rb->bad, NFTA_NAT_FAMILY, NFPROTO_IPV4);
	put_be32(rb->m, rb->bad, NFTA_NAT_REG_ADDR_MIN, reg_addr);
	put_be32(rb->m, rb->bad, NFTA_NAT_REG_PROTO_MIN, reg_proto);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
}

static void e_masq(rule_b *rb)
{
	struct nlattr *e = expr_begin(rb, "masq");
	nest_end(rb->m, rb->bad, e);
}

/* "ct status dnat": ct status & IPS_DST_NAT != 0 */
static void e_ct_dnat(rule_b *rb)
{
	struct nlattr *e = expr_begin(rb, "ct");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_CT_KEY, NFT_CT_STATUS);
	put_be32(rb->m, rb->bad, NFTA_CT_DREG, R1);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);

	uint32_t mask = IPS_DST_NAT, zero = 0; /* host byte order, as the register holds it */
	e = expr_begin(rb, "bitwise");
	d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_BITWISE_SREG, R1);
	put_be32(rb->m, rb->bad, NFTA_BITWISE_DREG, R1);
	put_be32(rb->m, rb->bad, NFTA_BITWISE_LEN, 4);
	put_data(rb->m, rb->bad, NFTA_BITWISE_MASK, &mask, 4);
	put_data(rb->m, rb->bad, NFTA_BITWISE_XOR, &zero, 4);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
	e_cmp(rb, NFT_CMP_NEQ, &zero, 4);
}

/* "ip daddr != 127.0.0.0/8 fib daddr type local" */
static void e_local_not_loopback(rule_b *rb)
{
	uint8_t lo = 127;
	e_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, R1);
	e_cmp(rb, NFT_CMP_NEQ, &lo, 1);

	struct nlattr *e = expr_begin(rb, "fib");
	struct nlattr *d = nest(rb->m, rb->bad, NFTA_EXPR_DATA);
	put_be32(rb->m, rb->bad, NFTA_FIB_DREG, R1);
	put_be32(rb->m, rb->bad, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	put_be32(rb->m, rb->bad, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nest_end(rb->m, rb->bad, d);
	nest_end(rb->m, rb->bad, e);
	uint32_t local = 2; /* RTN_LOCAL, host byte order */
	e_cmp(rb, NFT_CMP_EQ, &local, 4);
}

static int rule_begin(rule_b *rb, batch *b, int *bad, const char *chain, const char *what)
{
	struct nl_msg *m = bmsg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what);
	if (!m)
		return -1;
	rb->m = m;
	rb->bad = bad;
	put_str(m, bad, NFTA_RULE_TABLE, TABLE);
	put_str(m, bad, NFTA_RULE_CHAIN, chain);
	rb->list = nest(m, bad, NFTA_RULE_EXPRESSIONS);
	return 0;
}

static void rule_end(rule_b *rb) { nest_end(rb->m, rb->bad, rb->list); }

/* ------------------------------------------------------------ the table */

static void add_set(batch *b, int *bad, const char *name, uint32_t flags, uint32_t key_type, uint32_t key_len,
                    uint32_t data_type, uint32_t data_len, const uint32_t *fields, int nfields, uint32_t id)
{
	char what[80];
	snprintf(what, sizeof what, "create set %s", name);
	struct nl_msg *m = bmsg(b, NFT_MSG_NEWSET, NLM_F_CREATE, what);
	if (!m)
		return;
	put_str(m, bad, NFTA_SET_TABLE, TABLE);
	put_str(m, bad, NFTA_SET_NAME, name);
	put_be32(m, bad, NFTA_SET_FLAGS, flags);
	put_be32(m, bad, NFTA_SET_KEY_TYPE, key_type);
	put_be32(m, bad, NFTA_SET_KEY_LEN, key_len);
	if (flags & NFT_SET_MAP) {
		put_be32(m, bad, NFTA_SET_DATA_TYPE, data_type);
		put_be32(m, bad, NFTA_SET_DATA_LEN, data_len);
	}
	put_be32(m, bad, NFTA_SET_ID, id);
	if (nfields) {
		struct nlattr *desc = nest(m, bad, NFTA_SET_DESC);
		struct nlattr *cc = nest(m, bad, NFTA_SET_DESC_CONCAT);
		for (int i = 0; i < nfields; i++) {
			struct nlattr *el = nest(m, bad, NFTA_LIST_ELEM);
			put_be32(m, bad, NFTA_SET_FIELD_LEN, fields[i]);
			nest_end(m, bad, el);
		}
		nest_end(m, bad, cc);
		nest_end(m, bad, desc);
	}
}

static void add_chain(batch *b, int *bad, const char *name, int hook, int prio)
{
	char what[80];
	snprintf(what, sizeof what, "create chain %s", name);
	struct nl_msg *m = bmsg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, what);
	if (!m)
		return;
	put_str(m, bad, NFTA_CHAIN_TABLE, TABLE);
	put_str(m, bad, NFTA_CHAIN_NAME, name);
	if (hook >= 0) {
		put_str(m, bad, NFTA_CHAIN_TYPE, "nat");
		put_be32(m, bad, NFTA_CHAIN_POLICY, NF_ACCEPT);
		struct nlattr *h = nest(m, bad, NFTA_CHAIN_HOOK);
		put_be32(m, bad, NFTA_HOOK_HOOKNUM, (uint32_t)hook);
		put_be32(m, bad, NFTA_HOOK_PRIORITY, (uint32_t)prio);
		nest_end(m, bad, h);
	}
}

/* The whole table in one batch; NEWTABLE with NLM_F_EXCL (see the top). */
static void build_table(batch *b, int *bad)
{
	struct nl_msg *m = bmsg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "create table ip " TABLE);
	if (!m)
		return;
	put_str(m, bad, NFTA_TABLE_NAME, TABLE);
	put_be32(m, bad, NFTA_TABLE_FLAGS, 0);

	static const uint32_t nb_fields[] = { 4, IFNAMSIZ };
	add_set(b, bad, SET_NETS, NFT_SET_INTERVAL, TYPE_IPADDR, 4, 0, 0, NULL, 0, 4);
	add_set(b, bad, SET_NET_BRIDGE, NFT_SET_INTERVAL | NFT_SET_CONCAT, CONCAT2(TYPE_IPADDR, TYPE_IFNAME),
	        4 + IFNAMSIZ, 0, 0, nb_fields, 2, 1);
	add_set(b, bad, MAP_ANY, NFT_SET_MAP, CONCAT2(TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 8,
	        CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8, NULL, 0, 2);
	add_set(b, bad, MAP_ADDR, NFT_SET_MAP, CONCAT3(TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 12,
	        CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8, NULL, 0, 3);

	add_chain(b, bad, CH_PUBLISHED, -1, 0);
	add_chain(b, bad, "prerouting", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST);
	add_chain(b, bad, "output", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST);
	add_chain(b, bad, "postrouting", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);

	rule_b rb;
	/* published: the one-address map first, then the any-address map */
	if (rule_begin(&rb, b, bad, CH_PUBLISHED, "create the dnat_addr rule") == 0) {
		e_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R1); /* ip daddr */
		e_meta(&rb, NFT_META_L4PROTO, R32(1));
		e_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32(2)); /* th dport */
		e_lookup(&rb, MAP_ADDR, R1);
		e_dnat(&rb, R1, R32(1));
		rule_end(&rb);
	}
	if (rule_begin(&rb, b, bad, CH_PUBLISHED, "create the dnat_any rule") == 0) {
		e_meta(&rb, NFT_META_L4PROTO, R1);
		e_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32(1));
		e_lookup(&rb, MAP_ANY, R1);
		e_dnat(&rb, R1, R32(1));
		rule_end(&rb);
	}
	static const char *const hooks[] = { "prerouting", "output" };
	for (int i = 0; i < 2; i++)
		if (rule_begin(&rb, b, bad, hooks[i], "create the published-ports jump") == 0) {
			e_local_not_loopback(&rb);
			e_verdict(&rb, NFT_JUMP, CH_PUBLISHED);
			rule_end(&rb);
		}
	/* postrouting */
	if (rule_begin(&rb, b, bad, "postrouting", "create the hairpin masquerade rule") == 0) {
		e_ct_dnat(&rb);
		e_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R1); /* ip saddr */
		e_lookup(&rb, SET_NETS, -1);
		e_masq(&rb);
		rule_end(&rb);
	}
	if (rule_begin(&rb, b, bad, "postrouting", "create the own-bridge return rule") == 0) {
		e_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R1);
		e_meta(&rb, NFT_META_OIFNAME, R32(1));
		e_lookup(&rb, SET_NET_BRIDGE, -1);
		e_verdict(&rb, NFT_RETURN, NULL);
		rule_end(&rb);
	}
	if (rule_begin(&rb, b, bad, "postrouting", "create the masquerade rule") == 0) {
		e_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R1);
		e_lookup(&rb, SET_NETS, -1);
		e_masq(&rb);
		rule_end(&rb);
	}
}

/* Makes the table if it is missing. 0, or an error set naming what. */
static int ensure_table(struct nl_sock *sk, const char *what)
{
	batch b = { 0 };
	int bad = 0, failed = -1;
	build_table(&b, &bad);
	int r = bad ? -ENOMEM : batch_run(sk, &b, &failed);
	if (r == -EEXIST && failed == 0)
		r = 0; /* made before, by us or a concurrent caller: complete, as it is made in one batch */
	if (r) {
		const char *step = failed >= 0 ? b.what[failed] : "send the batch";
		batch_free(&b);
		if (r == -EPERM)
			return berth__err_sys(EPERM, "%s: nftables: %s (needs CAP_NET_ADMIN)", what, step);
		if (r == -ENOENT || r == -EOPNOTSUPP)
			return berth__err_sys(-r, "%s: nftables: %s (kernel without nf_tables nat, fib or masquerade support?)",
			                      what, step);
		return berth__err_sys(-r, "%s: nftables: %s", what, step);
	}
	batch_free(&b);
	return 0;
}

/* ------------------------------------------------------------ elements */

static int lock_nat(void)
{
	int fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1; /* best effort: without /run, go on unserialised */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	return fd;
}

static void unlock_nat(int fd)
{
	if (fd >= 0)
		close(fd);
}

typedef struct {
	uint8_t key[4 + IFNAMSIZ];     /* net_bridge: first address . bridge */
	uint8_t key_end[4 + IFNAMSIZ]; /* last address . bridge */
	uint8_t start[4], end[4];      /* nets: first address, last + 1 (interval end) */
} net_key;

static int net_key_of(net_key *k, const char *bridge, const char *cidr, const char *what)
{
	if (!bridge || !*bridge || strlen(bridge) >= IFNAMSIZ)
		return berth__err(BERTH_EINVAL, "%s: bridge name \"%s\" is empty or longer than %d bytes", what,
		                  bridge ? bridge : "(null)", IFNAMSIZ - 1);
	char addr[32];
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	if (!slash || (size_t)(slash - cidr) >= sizeof addr)
		return berth__err(BERTH_EINVAL, "%s: subnet \"%s\" is not an IPv4 CIDR", what, cidr ? cidr : "(null)");
	memcpy(addr, cidr, (size_t)(slash - cidr));
	addr[slash - cidr] = '\0';
	char *end;
	long plen = strtol(slash + 1, &end, 10);
	struct in_addr a;
	if (*end || slash[1] == '\0' || plen < 0 || plen > 32 || inet_pton(AF_INET, addr, &a) != 1)
		return berth__err(BERTH_EINVAL, "%s: subnet \"%s\" is not an IPv4 CIDR", what, cidr);
	uint32_t mask = plen == 0 ? 0 : htonl(~0u << (32 - plen));
	uint32_t lo = a.s_addr & mask, hi = a.s_addr | ~mask;
	if (hi == 0xffffffffu)
		return berth__err(BERTH_EINVAL, "%s: subnet \"%s\" reaches the end of the address space", what, cidr);
	memset(k, 0, sizeof *k);
	uint32_t after = htonl(ntohl(hi) + 1);
	memcpy(k->start, &lo, 4);
	memcpy(k->end, &after, 4);
	memcpy(k->key, &lo, 4);
	memcpy(k->key_end, &hi, 4);
	memcpy(k->key + 4, bridge, strlen(bridge));
	memcpy(k->key_end + 4, bridge, strlen(bridge));
	return 0;
}

static void elem_msg(batch *b, int *bad, int type, int flags, const char *set, const void *key, size_t klen,
                     const void *key_end, const void *data, size_t dlen, const char *what)
{
	struct nl_msg *m = bmsg(b, type, flags, what);
	if (!m)
		return;
	put_str(m, bad, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	put_str(m, bad, NFTA_SET_ELEM_LIST_SET, set);
	struct nlattr *list = nest(m, bad, NFTA_SET_ELEM_LIST_ELEMENTS);
	struct nlattr *el = nest(m, bad, NFTA_LIST_ELEM);
	put_data(m, bad, NFTA_SET_ELEM_KEY, key, klen);
	if (key_end)
		put_data(m, bad, NFTA_SET_ELEM_KEY_END, key_end, klen);
	if (data)
		put_data(m, bad, NFTA_SET_ELEM_DATA, data, dlen);
	nest_end(m, bad, el);
	nest_end(m, bad, list);
}

/* The nets interval of k: its start element and its end element. */
static void nets_msg(batch *b, int *bad, int type, int flags, const net_key *k, const char *what)
{
	struct nl_msg *m = bmsg(b, type, flags, what);
	if (!m)
		return;
	put_str(m, bad, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	put_str(m, bad, NFTA_SET_ELEM_LIST_SET, SET_NETS);
	struct nlattr *list = nest(m, bad, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (int i = 0; i < 2; i++) {
		struct nlattr *el = nest(m, bad, NFTA_LIST_ELEM);
		put_data(m, bad, NFTA_SET_ELEM_KEY, i ? k->end : k->start, 4);
		if (i)
			put_be32(m, bad, NFTA_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		nest_end(m, bad, el);
	}
	nest_end(m, bad, list);
}

/* Runs an element batch: 0 or the kernel's -errno (no error set). */
static int run_elem(struct nl_sock *sk, batch *b, int bad)
{
	int failed = -1;
	int r = bad ? -ENOMEM : batch_run(sk, b, &failed);
	batch_free(b);
	return r;
}

/* The error for a kernel -errno kr. */
static int nft_err(int kr, const char *what, const char *step)
{
	if (kr == -EPERM)
		return berth__err_sys(EPERM, "%s: nftables: %s (needs CAP_NET_ADMIN)", what, step);
	return berth__err_sys(-kr, "%s: nftables: %s", what, step);
}

/* The element of net_bridge and the interval of nets for k, in one batch. */
static void net_elems_msg(batch *b, int *bad, int type, int flags, const net_key *k, const char *step)
{
	elem_msg(b, bad, type, flags, SET_NET_BRIDGE, k->key, sizeof k->key, k->key_end, NULL, 0, step);
	nets_msg(b, bad, type, flags, k, step);
}

/* what ("<verb>masquerade for network ..."), the network's key and a netlink socket. */
static int net_begin(char what[128], net_key *k, struct nl_sock **sk, const char *verb, const char *bridge,
                     const char *subnet_cidr)
{
	snprintf(what, 128, "%smasquerade for network %s on %s", verb, subnet_cidr ? subnet_cidr : "(null)",
	         bridge ? bridge : "(null)");
	int r = net_key_of(k, bridge, subnet_cidr, what);
	return r ? r : nl_open(sk, what);
}

/* Runs the batch fill makes, making the table when it is not there (five
 * tries): 0 with *kr the kernel's answer (0 or -errno), or an error set. */
static int add_elems(struct nl_sock *sk, const char *what, void (*fill)(batch *, int *, const void *),
                     const void *arg, int *kr)
{
	int r;
	for (int attempt = 0; attempt < 5; attempt++) {
		batch b = { 0 };
		int bad = 0;
		fill(&b, &bad, arg);
		*kr = run_elem(sk, &b, bad);
		if (*kr != -ENOENT)
			return 0;
		if ((r = ensure_table(sk, what))) /* no table yet: make it, then again */
			return r;
	}
	return berth__err_sys(ENOENT, "%s: nftables: the table keeps disappearing", what);
}

static void fill_net_add(batch *b, int *bad, const void *k)
{
	net_elems_msg(b, bad, NFT_MSG_NEWSETELEM, NLM_F_CREATE, k, "add element");
}

int berth__nat_network_add(const char *bridge, const char *subnet_cidr)
{
	char what[128];
	net_key k;
	struct nl_sock *sk;
	int r = net_begin(what, &k, &sk, "", bridge, subnet_cidr);
	if (r)
		return r;
	int lk = lock_nat();
	/* the element first: the table is there but for the first network */
	int kr = 0;
	r = add_elems(sk, what, fill_net_add, &k, &kr);
	if (r == 0 && (kr == -EEXIST || kr == -ENOTEMPTY))
		r = berth__err(BERTH_EEXISTS, "%s: the subnet overlaps a network already in berth's nftables table", what);
	else if (r == 0 && kr)
		r = nft_err(kr, what, "add the set elements");
	unlock_nat(lk);
	nl_socket_free(sk);
	return r;
}

/* A GETSETELEM request on set: the one element with key (klen bytes), or,
 * key NULL, a dump of them all. on_elem sees each NEWSETELEM answer's
 * element list. 0, -ENOENT (no such table, set or element) or -errno. */
static int query_elems(struct nl_sock *sk, const char *set, const void *key, size_t klen,
                       void (*on_elem)(const struct nlattr *list, void *arg), void *arg)
{
	struct nl_msg *m = nlmsg_alloc_simple((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM,
	                                      NLM_F_REQUEST | NLM_F_ACK | (key ? 0 : NLM_F_DUMP));
	if (!m)
		return -ENOMEM;
	struct nfgenmsg g = { .nfgen_family = NFPROTO_IPV4, .version = NFNETLINK_V0 };
	int bad = 0;
	if (nlmsg_append(m, &g, sizeof g, NLMSG_ALIGNTO) < 0)
		bad = 1;
	put_str(m, &bad, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	put_str(m, &bad, NFTA_SET_ELEM_LIST_SET, set);
	if (key) {
		struct nlattr *list = nest(m, &bad, NFTA_SET_ELEM_LIST_ELEMENTS);
		struct nlattr *el = nest(m, &bad, NFTA_LIST_ELEM);
		put_data(m, &bad, NFTA_SET_ELEM_KEY, key, klen);
		nest_end(m, &bad, el);
		nest_end(m, &bad, list);
	}
	if (bad) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	struct nlmsghdr *h0 = nlmsg_hdr(m);
	h0->nlmsg_seq = nl_socket_use_seq(sk);
	unsigned int seq = h0->nlmsg_seq;
	int s = nl_sendto(sk, h0, h0->nlmsg_len);
	nlmsg_free(m);
	if (s < 0)
		return -EIO;
	int done = 0, err = 0;
	while (!done) {
		struct sockaddr_nl nla;
		unsigned char *rbuf = NULL;
		int len = nl_recv(sk, &nla, &rbuf, NULL);
		if (len <= 0) {
			free(rbuf);
			return len == -NLE_AGAIN ? -ETIMEDOUT : -EIO;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
		for (; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)nlmsg_data(h))->error;
				done = 1;
			} else if (NFNL_MSG_TYPE(h->nlmsg_type) == NFT_MSG_NEWSETELEM) {
				struct nlattr *a = nlmsg_find_attr(h, sizeof(struct nfgenmsg), NFTA_SET_ELEM_LIST_ELEMENTS);
				if (a)
					on_elem(a, arg);
			}
		}
		free(rbuf);
	}
	return err;
}

static void note_nonempty(const struct nlattr *list, void *arg)
{
	if (nla_len(list) > 0)
		*(int *)arg = 1;
}

/* Does set hold at least one element? 1, 0 (also when the set or table is
 * gone), or -errno. */
static int set_nonempty(struct nl_sock *sk, const char *set)
{
	int found = 0;
	int err = query_elems(sk, set, NULL, 0, note_nonempty, &found);
	if (err == -ENOENT)
		return 0;
	return err ? err : found;
}

int berth__nat_network_remove(const char *bridge, const char *subnet_cidr)
{
	char what[128];
	net_key k;
	struct nl_sock *sk;
	int r = net_begin(what, &k, &sk, "remove ", bridge, subnet_cidr);
	if (r)
		return r;
	int lk = lock_nat();
	batch b = { 0 };
	int bad = 0;
	net_elems_msg(&b, &bad, NFT_MSG_DELSETELEM, 0, &k, "delete element");
	int kr = run_elem(sk, &b, bad);
	if (kr && kr != -ENOENT)
		r = nft_err(kr, what, "delete the set elements");
	if (r == 0) {
		/* the last network gone (and no stray mapping): the table goes */
		int any = 0;
		static const char *const sets[] = { SET_NET_BRIDGE, SET_NETS, MAP_ANY, MAP_ADDR };
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(sets) && !any; i++) {
			int n = set_nonempty(sk, sets[i]);
			if (n < 0) {
				r = berth__err_sys(-n, "%s: nftables: list set %s", what, sets[i]);
				break;
			}
			any = n;
		}
		if (r == 0 && !any) {
			struct nl_msg *m = bmsg(&b, NFT_MSG_DELTABLE, 0, "delete table ip " TABLE);
			if (m)
				put_str(m, &bad, NFTA_TABLE_NAME, TABLE);
			kr = run_elem(sk, &b, bad);
			if (kr && kr != -ENOENT)
				r = nft_err(kr, what, "delete the table");
		}
	}
	unlock_nat(lk);
	nl_socket_free(sk);
	return r;
}

/* ------------------------------------------------------------ mappings */

typedef struct {
	const char *set; /* MAP_ANY or MAP_ADDR; NULL: no element (loopback) */
	uint8_t key[12];
	size_t klen;
	uint8_t data[8];
	char what[160];
} port_elem;

static int port_elem_of(port_elem *pe, const berth_port *p, const char *container_ip, const char *verb)
{
	int r = berth__port_check(p);
	if (r)
		return r;
	const char *proto = p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp";
	int v6 = strchr(p->host_ip, ':') != NULL;
	snprintf(pe->what, sizeof pe->what, "%s port %s%s%s%s%u/%s -> %s:%u", verb, v6 ? "[" : "", p->host_ip,
	         v6 ? "]" : "", p->host_ip[0] ? ":" : "", p->host_port, proto, container_ip ? container_ip : "(null)",
	         p->container_port);
	if (p->host_port == 0 || p->host_port_end)
		return berth__err(BERTH_EINVAL, "%s: the host port is not chosen yet (reserve it first)", pe->what);
	struct in_addr cip;
	if (!container_ip || inet_pton(AF_INET, container_ip, &cip) != 1)
		return berth__err(BERTH_EINVAL, "%s: container address \"%s\" is not an IPv4 address", pe->what,
		                  container_ip ? container_ip : "(null)");
	memset(pe->key, 0, sizeof pe->key);
	memset(pe->data, 0, sizeof pe->data);
	uint8_t l4 = p->protocol == BERTH_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	uint16_t hport = htons((uint16_t)p->host_port), cport = htons((uint16_t)p->container_port);
	memcpy(pe->data, &cip, 4);
	memcpy(pe->data + 4, &cport, 2);

	struct in_addr hip = { 0 };
	if (p->host_ip[0]) {
		if (inet_pton(AF_INET, p->host_ip, &hip) != 1) {
			struct in6_addr a6;
			if (inet_pton(AF_INET6, p->host_ip, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6)) {
				pe->set = NULL; /* ::1: served by the loopback proxy only */
				return 0;
			}
			return berth__err(BERTH_EUNSUPPORTED, "%s: IPv6 host addresses are not supported (berth's NAT is IPv4)",
			                  pe->what);
		}
	}
	if ((ntohl(hip.s_addr) >> 24) == 127) {
		pe->set = NULL; /* 127.0.0.0/8: the loopback proxy serves it, DNAT never sees it */
		return 0;
	}
	if (hip.s_addr == INADDR_ANY) {
		pe->set = MAP_ANY;
		pe->key[0] = l4;
		memcpy(pe->key + 4, &hport, 2);
		pe->klen = 8;
	} else {
		pe->set = MAP_ADDR;
		memcpy(pe->key, &hip, 4);
		pe->key[4] = l4;
		memcpy(pe->key + 8, &hport, 2);
		pe->klen = 12;
	}
	return 0;
}

/* p's element and, when it has one (*sk NULL when not: nothing to do), a
 * netlink socket. */
static int port_begin(port_elem *pe, struct nl_sock **sk, const berth_port *p, const char *container_ip,
                      const char *verb)
{
	*sk = NULL;
	int r = port_elem_of(pe, p, container_ip, verb);
	if (r || !pe->set)
		return r;
	return nl_open(sk, pe->what);
}

static void fill_port_add(batch *b, int *bad, const void *arg)
{
	const port_elem *pe = arg;
	elem_msg(b, bad, NFT_MSG_NEWSETELEM, NLM_F_CREATE, pe->set, pe->key, pe->klen, NULL, pe->data, sizeof pe->data,
	         "add map element");
}

int berth__nat_port_add(const berth_port *p, const char *container_ip)
{
	port_elem pe;
	struct nl_sock *sk;
	int r = port_begin(&pe, &sk, p, container_ip, "publish");
	if (r || !sk)
		return r;
	int lk = lock_nat(); /* not while the last network's removal looks for leftovers */
	int kr = 0;
	r = add_elems(sk, pe.what, fill_port_add, &pe, &kr);
	if (r == 0 && kr == -EEXIST) /* the same key with other data: another container's mapping */
		r = berth__err(BERTH_EEXISTS, "%s: host port %u/%s is already published to another container", pe.what,
		               p->host_port, p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
	else if (r == 0 && kr)
		r = nft_err(kr, pe.what, "add the map element");
	unlock_nat(lk);
	nl_socket_free(sk);
	return r;
}

struct elem_data {
	uint8_t *data;
	int found;
};

static void note_data(const struct nlattr *list, void *arg)
{
	struct elem_data *ed = arg;
	struct nlattr *e;
	int rem;
	nla_for_each_nested(e, list, rem)
	{
		struct nlattr *d = nla_find(nla_data(e), nla_len(e), NFTA_SET_ELEM_DATA);
		struct nlattr *v = d ? nla_find(nla_data(d), nla_len(d), NFTA_DATA_VALUE) : NULL;
		if (v && nla_len(v) == 8) {
			memcpy(ed->data, nla_data(v), 8);
			ed->found = 1;
		}
	}
}

/* The data of the element with pe's key: 1 (found, *data set), 0 (absent,
 * or no table), -errno. */
static int get_elem(struct nl_sock *sk, const port_elem *pe, uint8_t data[8])
{
	struct elem_data ed = { data, 0 };
	int err = query_elems(sk, pe->set, pe->key, pe->klen, note_data, &ed);
	if (err == -ENOENT)
		return 0;
	return err ? err : ed.found;
}

int berth__nat_port_remove(const berth_port *p, const char *container_ip)
{
	port_elem pe;
	struct nl_sock *sk;
	int r = port_begin(&pe, &sk, p, container_ip, "unpublish");
	if (r || !sk)
		return r;
	/* Only our own element: after a crash the host port may have been
	 * published again, to another container. */
	uint8_t cur[8];
	int f = get_elem(sk, &pe, cur);
	if (f < 0) {
		r = berth__err_sys(-f, "%s: nftables: look up the map element", pe.what);
	} else if (f == 1 && memcmp(cur, pe.data, sizeof cur) == 0) {
		batch b = { 0 };
		int bad = 0;
		elem_msg(&b, &bad, NFT_MSG_DELSETELEM, 0, pe.set, pe.key, pe.klen, NULL, NULL, 0, "delete map element");
		int kr = run_elem(sk, &b, bad);
		if (kr && kr != -ENOENT) /* ENOENT: removed meanwhile, which is what we wanted */
			r = nft_err(kr, pe.what, "delete the map element");
	}
	nl_socket_free(sk);
	return r;
}
