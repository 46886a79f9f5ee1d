/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The packet path (lib/net/nat.h) with real traffic. Every test runs in its
 * own network + mount namespace (the "host", with a private /run), made
 * with unshare() in Check's forked test process, so nothing touches the
 * machine's interfaces, firewall or /run. In it:
 *
 *   host H: lo, bridge bt0 10.88.0.1/16, hx0 192.168.77.1/24 (+ .10)
 *   c1, c2 ("containers"): eth0 10.88.0.2 and .3 on bt0, default via .1
 *   hostx ("another host"): eth0 192.168.77.2/24, default via .1
 *
 * Servers run in c1/c2/hostx from sockets made there (setns for the
 * socket() call only) and report who they are and whom they saw.
 */
#include "internal.h"
#include "net/nat.h"
#include "testutil.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOST_IP "192.168.77.1"
#define HOST_IP2 "192.168.77.10"
#define X_IP "192.168.77.2"
#define GW_IP "10.88.0.1"
#define C1_IP "10.88.0.2"
#define C2_IP "10.88.0.3"
#define SUBNET "10.88.0.0/16"
#define BRIDGE "bt0"

static const char *msg(void) { return berth_error_last()->message; }

/* ------------------------------------------------------------ plumbing */

static int host_ns = -1;
static pid_t servers[16];
static int nservers;

static void sh(const char *fmt, ...) BERTH_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	ck_assert_msg(st == 0, "`%s` failed (%d)", cmd, st);
}

/* Output of a shell command (malloc'd) and its exit status. */
static char *sh_out(int *status, const char *cmd)
{
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	int st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

/* `nft list table ip berth`; *status 0 when the table exists. */
static char *nft_list(int *status) { return sh_out(status, "nft list table ip berth 2>&1"); }

static int count_str(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int ns_fd(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

/* A socket in netns name (NULL: the host). */
static int sock_in(const char *name, int type)
{
	if (!name)
		return socket(AF_INET, type | SOCK_CLOEXEC, 0);
	int fd = ns_fd(name);
	ck_assert_int_eq(setns(fd, CLONE_NEWNET), 0);
	close(fd);
	int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(setns(host_ns, CLONE_NEWNET), 0);
	ck_assert_int_ge(s, 0);
	return s;
}

static struct sockaddr_in sin_of(const char *ip, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static void topology(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_int_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(host_ns, 0);
	sh("ip link set lo up");
	sh("echo 1 > /proc/sys/net/ipv4/ip_forward");
	sh("ip netns add c1 && ip netns add c2 && ip netns add hostx");
	sh("ip link add " BRIDGE " type bridge && ip addr add " GW_IP "/16 dev " BRIDGE " && ip link set " BRIDGE " up");
	/* hairpin on the bridge ports, as the runtime sets them: where bridged
	 * traffic goes through the IP hooks (br_netfilter), a container's own
	 * published port comes back out of the port it went in by */
	sh("ip link add vc1 type veth peer name eth0 netns c1 && ip link set vc1 master " BRIDGE " up && "
	   "ip link set vc1 type bridge_slave hairpin on");
	sh("ip link add vc2 type veth peer name eth0 netns c2 && ip link set vc2 master " BRIDGE " up && "
	   "ip link set vc2 type bridge_slave hairpin on");
	sh("ip link add hx0 type veth peer name eth0 netns hostx && ip addr add " HOST_IP "/24 dev hx0 && "
	   "ip addr add " HOST_IP2 "/24 dev hx0 && ip link set hx0 up");
	static const char *const ns[] = { "c1", "c2", "hostx" };
	static const char *const addr[] = { C1_IP "/16", C2_IP "/16", X_IP "/24" };
	static const char *const gw[] = { GW_IP, GW_IP, HOST_IP };
	for (int i = 0; i < 3; i++)
		sh("ip -n %s link set lo up && ip -n %s addr add %s dev eth0 && ip -n %s link set eth0 up && "
		   "ip -n %s route add default via %s",
		   ns[i], ns[i], addr[i], ns[i], ns[i], gw[i]);
	/* the bridge ports forward (no STP: at once) and every link has carrier */
	sh("for i in $(seq 100); do [ $(bridge link show | grep -c 'state forwarding') = 2 ] && "
	   "[ $(ip -o link show up | grep -c 'LOWER_UP') -ge 4 ] && exit 0; sleep 0.05; done; exit 1");
}

/* Only lo, for the tests that need no links. */
static void bare_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_int_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	sh("ip link set lo up");
}

static void stop_servers(void)
{
	for (int i = 0; i < nservers; i++) {
		kill(servers[i], SIGKILL);
		waitpid(servers[i], NULL, 0);
	}
	nservers = 0;
}

/* ------------------------------------------------------------ servers */

/* TCP: echoes everything; at the client's end of stream writes
 * "EOF <name> <bytes> <peer-ip>\n" and closes. A process per connection. */
static void tcp_server(const char *ns, const char *ip, unsigned port, const char *name)
{
	int l = sock_in(ns, SOCK_STREAM);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = sin_of(ip, port);
	ck_assert_msg(bind(l, (struct sockaddr *)&a, sizeof a) == 0, "bind %s:%u: %s", ip, port, strerror(errno));
	ck_assert_int_eq(listen(l, 512), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGCHLD, SIG_IGN);
		for (;;) {
			struct sockaddr_in peer;
			socklen_t pl = sizeof peer;
			int c = accept(l, (struct sockaddr *)&peer, &pl);
			if (c < 0)
				continue;
			if (fork() == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				close(l);
				static char buf[65536];
				long total = 0;
				ssize_t n;
				while ((n = read(c, buf, sizeof buf)) > 0) {
					total += n;
					for (ssize_t off = 0; off < n;) {
						ssize_t w = write(c, buf + off, (size_t)(n - off));
						if (w <= 0)
							_exit(1);
						off += w;
					}
				}
				char pip[32];
				inet_ntop(AF_INET, &peer.sin_addr, pip, sizeof pip);
				int len = snprintf(buf, sizeof buf, "EOF %s %ld %s\n", name, total, pip);
				if (write(c, buf, (size_t)len) < 0)
					_exit(1);
				close(c);
				_exit(0);
			}
			close(c);
		}
	}
	close(l);
	servers[nservers++] = pid;
}

/* TCP: writes "hello from <name>\n" and closes, reading nothing. */
static void greet_server(const char *ns, const char *ip, unsigned port, const char *name)
{
	int l = sock_in(ns, SOCK_STREAM);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = sin_of(ip, port);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(l, 64), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			int c = accept(l, NULL, NULL);
			if (c < 0)
				continue;
			char buf[64];
			int len = snprintf(buf, sizeof buf, "hello from %s\n", name);
			if (write(c, buf, (size_t)len) < 0) { /* the client went away */
			}
			close(c);
		}
	}
	close(l);
	servers[nservers++] = pid;
}

/* UDP: answers "<name>:<data> from <peer-ip>". */
static void udp_server(const char *ns, const char *ip, unsigned port, const char *name)
{
	int s = sock_in(ns, SOCK_DGRAM);
	struct sockaddr_in a = sin_of(ip, port);
	ck_assert_msg(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind %s:%u/udp: %s", ip, port, strerror(errno));
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			char buf[2048], out[2200], pip[32];
			struct sockaddr_in peer;
			socklen_t pl = sizeof peer;
			ssize_t n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&peer, &pl);
			if (n < 0)
				continue;
			buf[n] = '\0';
			inet_ntop(AF_INET, &peer.sin_addr, pip, sizeof pip);
			int len = snprintf(out, sizeof out, "%s:%s from %s", name, buf, pip);
			sendto(s, out, (size_t)len, 0, (struct sockaddr *)&peer, pl);
		}
	}
	close(s);
	servers[nservers++] = pid;
}

/* ------------------------------------------------------------ clients */

/* Connects fd to ip:port (10 s). 0 or -errno. */
static int connect_to(int fd, const char *ip, unsigned port)
{
	struct sockaddr_in a = sin_of(ip, port);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	struct pollfd p = { fd, POLLOUT, 0 };
	if (poll(&p, 1, 10000) != 1)
		return -ETIMEDOUT;
	int err = 0;
	socklen_t l = sizeof err;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
	return -err;
}

/* Writes data (then SHUT_WR) while reading until EOF, on a connected
 * non-blocking fd. Returns the bytes read (malloc'd, NUL-terminated) or
 * NULL on a reset/timeout; *out_len the count. */
static char *exchange(int fd, const char *data, size_t len, size_t *out_len)
{
	size_t off = 0, cap = len + 4096, got = 0;
	char *in = malloc(cap + 1);
	int wdone = len == 0;
	if (wdone)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { fd, POLLIN | (wdone ? 0 : POLLOUT), 0 };
		if (poll(&p, 1, 10000) != 1) {
			free(in);
			return NULL;
		}
		if (!wdone && (p.revents & POLLOUT)) {
			ssize_t w = write(fd, data + off, len - off > 262144 ? 262144 : len - off);
			if (w > 0)
				off += (size_t)w;
			if (off == len) {
				shutdown(fd, SHUT_WR);
				wdone = 1;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (cap - got < 65536)
				in = realloc(in, (cap *= 2) + 1);
			ssize_t n = read(fd, in + got, cap - got);
			if (n == 0 && wdone)
				break;
			if (n < 0 && errno != EAGAIN) {
				free(in);
				return NULL;
			}
			if (n > 0)
				got += (size_t)n;
		}
	}
	in[got] = '\0';
	*out_len = got;
	return in;
}

static char *pattern(size_t len, unsigned seed)
{
	char *d = malloc(len);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		d[i] = (char)(seed >> 16);
	}
	return d;
}

/* A TCP round trip from netns ns to ip:port with len bytes: asserts the
 * echo is exact and returns the trailer ("EOF name bytes peer"). */
static void tcp_roundtrip(const char *ns, const char *ip, unsigned port, size_t len, char *trailer, size_t tlen)
{
	int fd = sock_in(ns, SOCK_STREAM);
	int r = connect_to(fd, ip, port);
	ck_assert_msg(r == 0, "connect from %s to %s:%u: %s", ns ? ns : "host", ip, port, strerror(-r));
	char *data = pattern(len, (unsigned)len ^ port);
	size_t got = 0;
	char *in = exchange(fd, data, len, &got);
	ck_assert_msg(in != NULL, "exchange from %s to %s:%u: reset or timeout", ns ? ns : "host", ip, port);
	ck_assert_msg(got > len && memcmp(in, data, len) == 0, "from %s to %s:%u: echo differs (%zu of %zu bytes)",
	              ns ? ns : "host", ip, port, got, len);
	snprintf(trailer, tlen, "%s", in + len);
	char expect[64];
	snprintf(expect, sizeof expect, " %zu ", len);
	ck_assert_msg(strstr(trailer, expect), "trailer '%s' lacks the byte count %zu", trailer, len);
	free(in);
	free(data);
	close(fd);
}

/* Is ip:port refused (or silent) from ns? */
static int tcp_refused(const char *ns, const char *ip, unsigned port)
{
	int fd = sock_in(ns, SOCK_STREAM);
	int r = connect_to(fd, ip, port);
	close(fd);
	return r == -ECONNREFUSED || r == -ETIMEDOUT;
}

/* One UDP datagram from fd to ip:port; the answer into buf ("" on none in 2 s). */
static void udp_ask(int fd, const char *ip, unsigned port, const char *q, char *buf, size_t len)
{
	struct sockaddr_in a = sin_of(ip, port);
	buf[0] = '\0';
	ck_assert_int_ge(sendto(fd, q, strlen(q), 0, (struct sockaddr *)&a, sizeof a), 0);
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, 2000) != 1)
		return;
	ssize_t n = recv(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static berth_port port_of(const char *hip, unsigned hp, unsigned cp, int proto)
{
	berth_port p = { .host_port = hp, .container_port = cp, .protocol = proto };
	snprintf(p.host_ip, sizeof p.host_ip, "%s", hip);
	return p;
}

/* ------------------------------------------------------------ reserve */

static int time_wait_on(unsigned port)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "awk '$4 == \"06\"' /proc/net/tcp | grep -ci ':%04X '", port);
	char *o = sh_out(NULL, cmd);
	int n = atoi(o);
	free(o);
	return n;
}

START_TEST(reserve_ports)
{
	bare_netns();
	berth_port p = port_of("127.0.0.1", 0, 80, BERTH_PROTO_TCP);
	int fd, fd2;
	tu_ok(berth__port_reserve(&fd, &p));
	ck_assert_uint_gt(p.host_port, 0);
	int fl = fcntl(fd, F_GETFD);
	ck_assert_msg(fl & FD_CLOEXEC, "the reserved socket is not close-on-exec");

	/* taken: the same address, and every address */
	berth_port q = p;
	ck_assert_int_eq(berth__port_reserve(&fd2, &q), BERTH_EEXISTS);
	char expect[96];
	snprintf(expect, sizeof expect, "host port 127.0.0.1:%u/tcp is already in use", p.host_port);
	ck_assert_str_eq(msg(), expect);
	q = port_of("", p.host_port, 80, BERTH_PROTO_TCP);
	ck_assert_int_eq(berth__port_reserve(&fd2, &q), BERTH_EEXISTS);
	snprintf(expect, sizeof expect, "host port %u/tcp is already in use", p.host_port);
	ck_assert_str_eq(msg(), expect);
	/* the other protocol is free */
	q = port_of("", p.host_port, 80, BERTH_PROTO_UDP);
	tu_ok(berth__port_reserve(&fd2, &q));
	berth_port q2 = q;
	int fd3;
	ck_assert_int_eq(berth__port_reserve(&fd3, &q2), BERTH_EEXISTS);
	snprintf(expect, sizeof expect, "host port %u/udp is already in use", p.host_port);
	ck_assert_str_eq(msg(), expect);
	close(fd2);
	close(fd);

	/* a pool: the first free port of it, written back */
	berth_port a = port_of("", 20000, 80, BERTH_PROTO_TCP);
	tu_ok(berth__port_reserve(&fd, &a));
	berth_port pool = port_of("", 20000, 80, BERTH_PROTO_TCP);
	pool.host_port_end = 20002;
	tu_ok(berth__port_reserve(&fd2, &pool));
	ck_assert_uint_eq(pool.host_port, 20001);
	ck_assert_uint_eq(pool.host_port_end, 0);
	berth_port b = port_of("", 20002, 80, BERTH_PROTO_TCP);
	tu_ok(berth__port_reserve(&fd3, &b));
	berth_port full = port_of("", 20000, 80, BERTH_PROTO_TCP);
	full.host_port_end = 20002;
	int fd4;
	ck_assert_int_eq(berth__port_reserve(&fd4, &full), BERTH_EEXISTS);
	ck_assert_str_eq(msg(), "host ports 20000-20002/tcp are all in use");
	close(fd);
	close(fd2);
	close(fd3);

	/* TIME_WAIT of a previous holder does not block a restart */
	berth_port t = port_of("127.0.0.1", 20010, 80, BERTH_PROTO_TCP);
	tu_ok(berth__port_reserve(&fd, &t));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect_to(c, "127.0.0.1", 20010), 0);
	int s = accept(fd, NULL, NULL);
	ck_assert_int_ge(s, 0);
	close(s); /* the server side closes first: it holds the TIME_WAIT */
	char ch;
	fcntl(c, F_SETFL, 0);
	ck_assert_int_eq(read(c, &ch, 1), 0);
	close(c);
	close(fd);
	usleep(50000);
	ck_assert_msg(time_wait_on(20010) >= 1, "no TIME_WAIT on port 20010: the case is not exercised");
	t.host_port = 20010;
	tu_ok(berth__port_reserve(&fd, &t));
	close(fd);

	/* an address the host does not have */
	berth_port na = port_of("10.123.0.1", 8080, 80, BERTH_PROTO_TCP);
	ck_assert_int_eq(berth__port_reserve(&fd, &na), BERTH_ESYS);
	ck_assert_msg(strstr(msg(), "10.123.0.1 is not an address of this host"), "%s", msg());
	/* bad input */
	berth_port bad = port_of("", 70000, 80, BERTH_PROTO_TCP);
	ck_assert_int_eq(berth__port_reserve(&fd, &bad), BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), "host port 70000 out of range"), "%s", msg());
}
END_TEST

/* ------------------------------------------------------------ DNAT */

/* _i = 0: as the netns comes (bridged traffic through the IP hooks where
 * br_netfilter is there); 1: bridged traffic bypasses them (routed only). */
START_TEST(dnat_tcp_udp)
{
	topology();
	if (_i == 1 && access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) == 0)
		sh("echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables");
	tcp_server("c1", C1_IP, 80, "c1");
	udp_server("c1", C1_IP, 53, "c1");
	tcp_server("hostx", X_IP, 9999, "x");

	tu_ok(berth__nat_network_add(BRIDGE, SUBNET));
	berth_port pt = port_of("", 8080, 80, BERTH_PROTO_TCP);
	berth_port pu = port_of("", 5353, 53, BERTH_PROTO_UDP);
	/* reserved as the runtime does: DNAT must win over the listening socket */
	int rt, ru;
	tu_ok(berth__port_reserve(&rt, &pt));
	tu_ok(berth__port_reserve(&ru, &pu));
	tu_ok(berth__nat_port_add(&pt, C1_IP));
	tu_ok(berth__nat_port_add(&pu, C1_IP));
	tu_ok(berth__nat_port_add(&pt, C1_IP)); /* the same mapping again: no-op */

	int st;
	char *l = nft_list(&st);
	ck_assert_msg(st == 0, "%s", l);
	ck_assert_msg(strstr(l, "tcp . 8080 : " C1_IP " . 80"), "%s", l);
	ck_assert_msg(strstr(l, "udp . 5353 : " C1_IP " . 53"), "%s", l);
	ck_assert_msg(strstr(l, SUBNET " . \"" BRIDGE "\""), "%s", l);
	ck_assert_int_eq(count_str(l, "jump published"), 2);
	free(l);

	char tr[128];
	/* another host, 1 MiB each way: the client's own address reaches the container */
	tcp_roundtrip("hostx", HOST_IP, 8080, 1 << 20, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 1048576 " X_IP "\n");
	/* the host itself through its non-loopback address (output chain) */
	tcp_roundtrip(NULL, HOST_IP, 8080, 300000, tr, sizeof tr);
	ck_assert_msg(strncmp(tr, "EOF c1 300000 ", 14) == 0, "%s", tr);
	/* hairpin: the container reaches its own published port, and so does its neighbour */
	tcp_roundtrip("c1", HOST_IP, 8080, 5000, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 5000 " GW_IP "\n");
	tcp_roundtrip("c2", HOST_IP, 8080, 5000, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 5000 " GW_IP "\n");
	/* and through the gateway address, which is the host's too */
	tcp_roundtrip("c2", GW_IP, 8080, 100, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 100 " GW_IP "\n");
	/* a container reaching another host is masqueraded behind the host */
	tcp_roundtrip("c1", X_IP, 9999, 1000, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF x 1000 " HOST_IP "\n");

	/* UDP, from another host and from the host */
	int ux = sock_in("hostx", SOCK_DGRAM), uh = sock_in(NULL, SOCK_DGRAM);
	char ans[256];
	udp_ask(ux, HOST_IP, 5353, "ping", ans, sizeof ans);
	ck_assert_str_eq(ans, "c1:ping from " X_IP);
	udp_ask(uh, HOST_IP, 5353, "pong", ans, sizeof ans);
	ck_assert_msg(strncmp(ans, "c1:pong from ", 13) == 0, "answer '%s'", ans);
	close(ux);
	close(uh);

	/* removal: the element goes, the port is unreachable */
	tu_ok(berth__nat_port_remove(&pt, C1_IP));
	tu_ok(berth__nat_port_remove(&pt, C1_IP)); /* gone already: fine */
	tu_ok(berth__nat_port_remove(&pu, C1_IP));
	tu_ok(berth__nat_conntrack_flush(&pu));
	close(rt);
	close(ru);
	l = nft_list(&st);
	ck_assert_msg(!strstr(l, "8080") && !strstr(l, "5353"), "%s", l);
	free(l);
	ck_assert_msg(tcp_refused("hostx", HOST_IP, 8080), "8080 still reachable after removal");
	ux = sock_in("hostx", SOCK_DGRAM);
	udp_ask(ux, HOST_IP, 5353, "again", ans, sizeof ans);
	ck_assert_str_eq(ans, "");
	close(ux);

	/* the last network gone: the table too */
	tu_ok(berth__nat_network_remove(BRIDGE, SUBNET));
	tu_ok(berth__nat_network_remove(BRIDGE, SUBNET));
	l = nft_list(&st);
	ck_assert_msg(st != 0, "table still there:\n%s", l);
	free(l);
	stop_servers();
}
END_TEST

START_TEST(dnat_one_address)
{
	topology();
	tcp_server("c1", C1_IP, 80, "c1");
	tcp_server("c2", C2_IP, 80, "c2");
	tu_ok(berth__nat_network_add(BRIDGE, SUBNET));
	berth_port p1 = port_of(HOST_IP, 9090, 80, BERTH_PROTO_TCP);
	berth_port p2 = port_of(HOST_IP2, 9090, 80, BERTH_PROTO_TCP);
	tu_ok(berth__nat_port_add(&p1, C1_IP));
	int st;
	char *l = nft_list(&st);
	ck_assert_msg(strstr(l, HOST_IP " . tcp . 9090 : " C1_IP " . 80"), "%s", l);
	free(l);
	char tr[128];
	tcp_roundtrip("hostx", HOST_IP, 9090, 20000, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 20000 " X_IP "\n");
	/* only that address */
	ck_assert_msg(tcp_refused("hostx", HOST_IP2, 9090), "9090 answered on " HOST_IP2);
	/* the same port on the other address, to the other container */
	tu_ok(berth__nat_port_add(&p2, C2_IP));
	tcp_roundtrip("hostx", HOST_IP2, 9090, 20000, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c2 20000 " X_IP "\n");
	tcp_roundtrip("hostx", HOST_IP, 9090, 10, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 10 " X_IP "\n");

	/* another container cannot take a published key */
	ck_assert_int_eq(berth__nat_port_add(&p1, C2_IP), BERTH_EEXISTS);
	ck_assert_msg(strstr(msg(), "already published to another container"), "%s", msg());
	/* removing with the wrong container leaves the mapping alone */
	tu_ok(berth__nat_port_remove(&p1, C2_IP));
	tcp_roundtrip("hostx", HOST_IP, 9090, 10, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 10 " X_IP "\n");

	/* loopback addresses are the proxy's: no element */
	berth_port lo = port_of("127.0.0.1", 9191, 80, BERTH_PROTO_TCP);
	tu_ok(berth__nat_port_add(&lo, C1_IP));
	l = nft_list(&st);
	ck_assert_msg(!strstr(l, "9191"), "%s", l);
	free(l);
	/* bad input */
	berth_port v6 = port_of("2001:db8::1", 9292, 80, BERTH_PROTO_TCP);
	ck_assert_int_eq(berth__nat_port_add(&v6, C1_IP), BERTH_EUNSUPPORTED);
	ck_assert_int_eq(berth__nat_port_add(&p1, "10.88.0"), BERTH_EINVAL);
	ck_assert_msg(strstr(msg(), "container address \"10.88.0\""), "%s", msg());
	berth_port unset = port_of("", 0, 80, BERTH_PROTO_TCP);
	ck_assert_int_eq(berth__nat_port_add(&unset, C1_IP), BERTH_EINVAL);
	ck_assert_int_eq(berth__nat_network_add(BRIDGE, "10.88.0.0/33"), BERTH_EINVAL);
	ck_assert_int_eq(berth__nat_network_add("a-bridge-name-way-too-long", SUBNET), BERTH_EINVAL);
	/* a subnet inside another network's: refused, nothing added */
	ck_assert_int_eq(berth__nat_network_add("bt1", "10.88.1.0/24"), BERTH_EEXISTS);
	ck_assert_msg(strstr(msg(), "overlaps a network"), "%s", msg());
	tu_ok(berth__nat_network_add(BRIDGE, SUBNET)); /* the same network again: fine */
	l = nft_list(&st);
	ck_assert_msg(!strstr(l, "bt1") && !strstr(l, "10.88.1.0"), "%s", l);
	free(l);

	tu_ok(berth__nat_port_remove(&p1, C1_IP));
	tu_ok(berth__nat_port_remove(&p2, C2_IP));
	ck_assert_msg(tcp_refused("hostx", HOST_IP, 9090), "9090 still reachable after removal");
	l = nft_list(&st);
	ck_assert_msg(!strstr(l, "9090"), "%s", l);
	free(l);
	tu_ok(berth__nat_network_remove(BRIDGE, SUBNET));
	l = nft_list(&st);
	ck_assert_msg(st != 0, "table still there:\n%s", l);
	free(l);
	stop_servers();
}
END_TEST

/* ------------------------------------------------------------ concurrency */

static int barrier_wait(int fd)
{
	char c;
	return read(fd, &c, 1) == 0 ? 0 : -1; /* end of file: the parent closed it, go */
}

START_TEST(concurrent_adds)
{
	bare_netns();
	int bar[2];
	ck_assert_int_eq(pipe(bar), 0);
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			close(bar[1]);
			if (barrier_wait(bar[0]) < 0)
				_exit(10);
			if (k < 2) {
				/* two processes make the table at once and publish 40 ports each */
				if (berth__nat_network_add("bt0", "10.88.0.0/16")) {
					fprintf(stderr, "kid %d: %s\n", k, msg());
					_exit(1);
				}
				char ip[32];
				snprintf(ip, sizeof ip, "10.88.%d.2", k);
				for (unsigned i = 0; i < 40; i++) {
					berth_port p = port_of("", 10000 + (unsigned)k * 100 + i, 80, i % 2 ? BERTH_PROTO_UDP : BERTH_PROTO_TCP);
					if (berth__nat_port_add(&p, ip)) {
						fprintf(stderr, "kid %d port %u: %s\n", k, i, msg());
						_exit(2);
					}
				}
			} else {
				/* meanwhile a third adds and removes a network of its own,
				 * which must never take the table from under the others */
				for (int i = 0; i < 30; i++)
					if (berth__nat_network_add("bt9", "10.99.0.0/16") ||
					    berth__nat_network_remove("bt9", "10.99.0.0/16")) {
						fprintf(stderr, "kid 2 round %d: %s\n", i, msg());
						_exit(3);
					}
			}
			_exit(0);
		}
	}
	close(bar[0]);
	close(bar[1]); /* go */
	for (int k = 0; k < 3; k++) {
		int st;
		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "process %d failed (%d)", k, st);
	}
	int st;
	char *l = nft_list(&st);
	ck_assert_msg(st == 0, "%s", l);
	/* every mapping there, the rules once */
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < 40; i++) {
			char e[64];
			snprintf(e, sizeof e, "%s . %u : 10.88.%d.2 . 80", i % 2 ? "udp" : "tcp", 10000 + (unsigned)k * 100 + i, k);
			ck_assert_msg(strstr(l, e), "missing %s in\n%s", e, l);
		}
	ck_assert_int_eq(count_str(l, "jump published"), 2);
	ck_assert_int_eq(count_str(l, "dnat ip to"), 2);
	ck_assert_int_eq(count_str(l, "masquerade"), 2);
	ck_assert_msg(!strstr(l, "bt9"), "%s", l);
	free(l);

	/* removal: two processes at once, then the network */
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			char ip[32];
			snprintf(ip, sizeof ip, "10.88.%d.2", k);
			for (unsigned i = 0; i < 40; i++) {
				berth_port p = port_of("", 10000 + (unsigned)k * 100 + i, 80, i % 2 ? BERTH_PROTO_UDP : BERTH_PROTO_TCP);
				if (berth__nat_port_remove(&p, ip))
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "remover %d failed", k);
	}
	l = nft_list(&st);
	ck_assert_msg(!strstr(l, " : 10.88."), "elements left:\n%s", l);
	free(l);
	tu_ok(berth__nat_network_remove("bt0", "10.88.0.0/16"));
	l = nft_list(&st);
	ck_assert_msg(st != 0, "table still there:\n%s", l);
	free(l);
}
END_TEST

/* ------------------------------------------------------------ conntrack */

START_TEST(conntrack_flush_udp)
{
	topology();
	udp_server("c1", C1_IP, 53, "c1");
	udp_server("c2", C2_IP, 53, "c2");
	tu_ok(berth__nat_network_add(BRIDGE, SUBNET));
	berth_port p = port_of("", 5353, 53, BERTH_PROTO_UDP);
	tu_ok(berth__nat_port_add(&p, C1_IP));
	int ux = sock_in("hostx", SOCK_DGRAM);
	char ans[256];
	udp_ask(ux, HOST_IP, 5353, "a", ans, sizeof ans);
	ck_assert_str_eq(ans, "c1:a from " X_IP);

	/* the mapping moves to c2; the client's flow still has c1's entry */
	tu_ok(berth__nat_port_remove(&p, C1_IP));
	tu_ok(berth__nat_port_add(&p, C2_IP));
	udp_ask(ux, HOST_IP, 5353, "b", ans, sizeof ans);
	ck_assert_msg(strcmp(ans, "c1:b from " X_IP) == 0, "without a flush the old entry should still win: '%s'", ans);
	/* flushed: the next datagram goes through DNAT again */
	tu_ok(berth__nat_conntrack_flush(&p));
	udp_ask(ux, HOST_IP, 5353, "c", ans, sizeof ans);
	ck_assert_str_eq(ans, "c2:c from " X_IP);
	close(ux);
	tu_ok(berth__nat_port_remove(&p, C2_IP));
	tu_ok(berth__nat_conntrack_flush(&p));
	tu_ok(berth__nat_network_remove(BRIDGE, SUBNET));
	stop_servers();
}
END_TEST

/* ------------------------------------------------------------ proxy */

START_TEST(proxy_tcp)
{
	topology();
	/* servers first: a fork after the reservation would hold a copy of it */
	tcp_server("c1", C1_IP, 80, "c1");
	greet_server("c1", C1_IP, 82, "c1");
	int base = count_fds();
	berth__proxy *px = NULL;
	tu_ok(berth__proxy_start(&px));
	berth_port p = port_of("", 8080, 80, BERTH_PROTO_TCP);
	int fd;
	tu_ok(berth__port_reserve(&fd, &p));
	tu_ok(berth__proxy_add(px, fd, &p, C1_IP));
	/* a second add of the same mapping is refused (and its fd closed) */
	berth_port p2 = port_of("127.0.0.1", 8080, 80, BERTH_PROTO_UDP);
	int fd2;
	tu_ok(berth__port_reserve(&fd2, &p2));
	berth_port dup = p;
	ck_assert_int_eq(berth__proxy_add(px, fd2, &dup, C1_IP), BERTH_EINVAL); /* a UDP socket for a TCP mapping */
	ck_assert_msg(strstr(msg(), "is not a reserved tcp socket"), "%s", msg());
	ck_assert_int_eq(berth__proxy_add(px, socket(AF_INET, SOCK_STREAM, 0), &dup, C1_IP), BERTH_EEXISTS);
	ck_assert_int_eq(count_fds(), base + 3); /* epoll, eventfd, the listener: both refused fds closed */

	char tr[128];
	/* bytes both ways, 8 MiB: the container sees the proxy (the gateway) */
	tcp_roundtrip(NULL, "127.0.0.1", 8080, 8 << 20, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 8388608 " GW_IP "\n");
	/* an empty stream: the half-close alone comes through */
	tcp_roundtrip(NULL, "127.0.0.1", 8080, 0, tr, sizeof tr);
	ck_assert_str_eq(tr, "EOF c1 0 " GW_IP "\n");

	/* half-close, by hand: after our SHUT_WR the container still writes to us */
	int c = sock_in(NULL, SOCK_STREAM);
	ck_assert_int_eq(connect_to(c, "127.0.0.1", 8080), 0);
	fcntl(c, F_SETFL, 0);
	ck_assert_int_eq(write(c, "abc", 3), 3);
	char buf[256];
	ck_assert_int_eq(read(c, buf, 3), 3); /* echoed while both ways are open */
	ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
	size_t got = 0;
	ssize_t n;
	while ((n = read(c, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	ck_assert_str_eq(buf, "EOF c1 3 " GW_IP "\n");
	close(c);

	/* the container closes first: its bytes, then our end of stream */
	berth_port pg = port_of("127.0.0.1", 8082, 82, BERTH_PROTO_TCP);
	tu_ok(berth__port_reserve(&fd, &pg));
	tu_ok(berth__proxy_add(px, fd, &pg, C1_IP));
	for (int i = 0; i < 20; i++) {
		c = sock_in(NULL, SOCK_STREAM);
		ck_assert_int_eq(connect_to(c, "127.0.0.1", 8082), 0);
		fcntl(c, F_SETFL, 0);
		got = 0;
		while ((n = read(c, buf + got, sizeof buf - 1 - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		ck_assert_int_eq(n, 0);
		ck_assert_str_eq(buf, "hello from c1\n");
		close(c);
	}
	tu_ok(berth__proxy_remove(px, &pg));

	/* many connections at once, each its own bytes */
	enum { NC = 150 };
	int fds[NC];
	for (int i = 0; i < NC; i++) {
		fds[i] = sock_in(NULL, SOCK_STREAM);
		ck_assert_int_eq(connect_to(fds[i], "127.0.0.1", 8080), 0);
	}
	for (int i = 0; i < NC; i++) {
		char m[32];
		int len = snprintf(m, sizeof m, "conn-%d;", i);
		ck_assert_int_eq(write(fds[i], m, (size_t)len), len);
		shutdown(fds[i], SHUT_WR);
	}
	for (int i = 0; i < NC; i++) {
		char m[32], expect[96];
		int len = snprintf(m, sizeof m, "conn-%d;", i);
		snprintf(expect, sizeof expect, "%sEOF c1 %d " GW_IP "\n", m, len);
		fcntl(fds[i], F_SETFL, 0);
		got = 0;
		while ((n = read(fds[i], buf + got, sizeof buf - 1 - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		ck_assert_str_eq(buf, expect);
		close(fds[i]);
	}

	/* nothing listens on the container port: the client is reset */
	berth_port pr = port_of("127.0.0.1", 8081, 81, BERTH_PROTO_TCP);
	tu_ok(berth__port_reserve(&fd, &pr));
	tu_ok(berth__proxy_add(px, fd, &pr, C1_IP));
	c = sock_in(NULL, SOCK_STREAM);
	int cr = connect_to(c, "127.0.0.1", 8081); /* the reset may come before we look */
	ck_assert_msg(cr == 0 || cr == -ECONNRESET, "connect to 8081: %s", strerror(-cr));
	if (cr == 0) {
		struct pollfd pf = { c, POLLIN, 0 };
		ck_assert_int_eq(poll(&pf, 1, 5000), 1);
		ck_assert_int_le(read(c, buf, 1), 0);
	}
	close(c);

	/* removal: refused at once, the port free again */
	tu_ok(berth__proxy_remove(px, &p));
	ck_assert_int_eq(berth__proxy_remove(px, &p), BERTH_ENOTFOUND);
	ck_assert_msg(tcp_refused(NULL, "127.0.0.1", 8080), "8080 still served after removal");
	berth_port again = port_of("", 8080, 80, BERTH_PROTO_TCP);
	tu_ok(berth__port_reserve(&fd, &again));
	close(fd);

	berth__proxy_stop(px);
	berth__proxy_stop(NULL);
	ck_assert_int_eq(count_fds(), base);
	ck_assert_msg(tcp_refused(NULL, "127.0.0.1", 8081), "8081 still served after stop");
	stop_servers();
}
END_TEST

/* Clients streaming through the proxy while the mapping is removed and the
 * proxy stopped under them: the connections end, nothing is touched after
 * it is freed (ASan runs this too), no descriptor is left. */
static void *streamer(void *arg)
{
	long *result = arg;
	char *data = pattern(65536, 7);
	*result = 0;
	for (int round = 0; round < 100000; round++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect_to(fd, "127.0.0.1", 8090) < 0) {
			close(fd);
			break;
		}
		size_t got = 0;
		char *in = exchange(fd, data, 65536, &got);
		close(fd);
		if (!in)
			break;
		free(in);
		(*result)++;
	}
	free(data);
	return NULL;
}

START_TEST(proxy_remove_under_load)
{
	topology();
	tcp_server("c1", C1_IP, 80, "c1");
	int base = count_fds();
	berth__proxy *px = NULL;
	tu_ok(berth__proxy_start(&px));
	berth_port p = port_of("127.0.0.1", 8090, 80, BERTH_PROTO_TCP);
	int fd;
	tu_ok(berth__port_reserve(&fd, &p));
	tu_ok(berth__proxy_add(px, fd, &p, C1_IP));
	enum { NT = 6 };
	pthread_t th[NT];
	long done[NT];
	for (int i = 0; i < NT; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, streamer, &done[i]), 0);
	usleep(400000);
	tu_ok(berth__proxy_remove(px, &p));
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(done[i] > 0 && done[i] < 100000, "client %d made %ld round trips", i, done[i]);
	}
	/* again, and this time the proxy is stopped under the clients */
	tu_ok(berth__port_reserve(&fd, &p));
	tu_ok(berth__proxy_add(px, fd, &p, C1_IP));
	for (int i = 0; i < NT; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, streamer, &done[i]), 0);
	usleep(400000);
	berth__proxy_stop(px);
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(done[i] > 0 && done[i] < 100000, "client %d made %ld round trips", i, done[i]);
	}
	ck_assert_int_eq(count_fds(), base);
	stop_servers();
}
END_TEST

START_TEST(proxy_udp)
{
	topology();
	udp_server("c1", C1_IP, 53, "c1");
	int base = count_fds();
	berth__proxy *px = NULL;
	tu_ok(berth__proxy_start(&px));
	berth__proxy_set_udp_idle(px, 300);
	berth_port p = port_of("", 5300, 53, BERTH_PROTO_UDP);
	int fd;
	tu_ok(berth__port_reserve(&fd, &p));
	tu_ok(berth__proxy_add(px, fd, &p, C1_IP));

	/* two clients, each its own answers; connected sockets accept an
	 * answer only from the address they wrote to (127.0.0.5 included) */
	int a = sock_in(NULL, SOCK_DGRAM), b = sock_in(NULL, SOCK_DGRAM);
	struct sockaddr_in to1 = sin_of("127.0.0.1", 5300), to5 = sin_of("127.0.0.5", 5300);
	ck_assert_int_eq(connect(a, (struct sockaddr *)&to1, sizeof to1), 0);
	ck_assert_int_eq(connect(b, (struct sockaddr *)&to5, sizeof to5), 0);
	char ans[256];
	for (int round = 0; round < 3; round++) {
		udp_ask(a, "127.0.0.1", 5300, "from-a", ans, sizeof ans);
		ck_assert_str_eq(ans, "c1:from-a from " GW_IP);
		udp_ask(b, "127.0.0.5", 5300, "from-b", ans, sizeof ans);
		ck_assert_str_eq(ans, "c1:from-b from " GW_IP);
	}
	/* a relay socket per client while they talk, none after the idle time */
	ck_assert_int_eq(count_fds(), base + 2 /* epoll, eventfd */ + 1 /* reserved */ + 2 /* a, b */ + 2 /* relays */);
	usleep(900000);
	ck_assert_int_eq(count_fds(), base + 2 + 1 + 2);
	/* and a new one when a client comes back */
	udp_ask(a, "127.0.0.1", 5300, "back", ans, sizeof ans);
	ck_assert_str_eq(ans, "c1:back from " GW_IP);
	close(a);
	close(b);

	tu_ok(berth__proxy_remove(px, &p));
	int c = sock_in(NULL, SOCK_DGRAM);
	udp_ask(c, "127.0.0.1", 5300, "gone", ans, sizeof ans);
	ck_assert_str_eq(ans, "");
	close(c);
	berth__proxy_stop(px);
	ck_assert_int_eq(count_fds(), base);
	stop_servers();
}
END_TEST

static Suite *nat_suite(void)
{
	Suite *s = suite_create("nat");
	TCase *tc = tcase_create("nat");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, reserve_ports);
	tcase_add_loop_test(tc, dnat_tcp_udp, 0, 2);
	tcase_add_test(tc, dnat_one_address);
	tcase_add_test(tc, concurrent_adds);
	tcase_add_test(tc, conntrack_flush_udp);
	tcase_add_test(tc, proxy_tcp);
	tcase_add_test(tc, proxy_remove_under_load);
	tcase_add_test(tc, proxy_udp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(nat_suite()); }
