/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Networking end to end, with real traffic. Every test runs in its own
 * (forked) process that first enters a new network and mount namespace
 * playing the host: loopback up and a veth pair giving it the non-loopback
 * address 192.0.2.1. Nothing touches the machine's own network. */
#include "testutil.h"
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_IP "192.0.2.1"

static tu_env env;
static tu_env env2; /* a second state root, when a test makes one (ctx NULL otherwise) */

static char *sh_out(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0)
		n += r;
	buf[n] = '\0';
	pclose(f);
	return buf;
}

/* A failed assertion ends the test process with _exit(), without the checked
 * teardown: a guardian process in the same namespaces then removes the
 * test's containers (their monitors would live on). The teardown tells it
 * everything went well and waits for it. */
static int guard_fd = -1;
static pid_t guard_pid;

static void remove_all_of(berth_ctx *ctx)
{
	char **ids = NULL;
	if (!ctx || berth_container_list(&ids, ctx) < 0)
		return;
	for (char **id = ids; *id; id++) {
		berth_container *c = NULL;
		if (berth_container_open(&c, ctx, *id) == 0) {
			berth_container_delete(c, BERTH_DELETE_FORCE);
			berth_container_free(c);
		}
	}
	berth_free(ids);
}

static void remove_all(void)
{
	remove_all_of(env.ctx);
	remove_all_of(env2.ctx);
}

static void setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	int r = system("ip link set lo up && ip link add hveth0 type veth peer name hveth1 && "
	               "ip addr add " HOST_IP "/24 dev hveth0 && ip link set hveth0 up && ip link set hveth1 up");
	ck_assert_msg(r == 0, "cannot set up the test's network namespace (iproute2?)");
	tu_env_init(&env);
	memset(&env2, 0, sizeof env2);
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	guard_pid = fork();
	ck_assert_int_ge(guard_pid, 0);
	if (guard_pid == 0) {
		setsid(); /* Check kills the test's process group when it ends */
		close(p[1]);
		char b;
		if (read(p[0], &b, 1) != 1)
			remove_all();
		_exit(0);
	}
	close(p[0]);
	guard_fd = p[1];
}

static void teardown(void)
{
	if (write(guard_fd, "k", 1) != 1)
		ck_abort_msg("guardian: %s", strerror(errno));
	close(guard_fd);
	int st;
	waitpid(guard_pid, &st, 0);
	tu_env_cleanup(&env);
	if (env2.ctx)
		tu_env_cleanup(&env2);
}

/* A spec on the given network with a tmpfs /tmp (the test rootfs is shared). */
static berth_spec *net_spec(const char *network, const char *cmd)
{
	berth_spec *s = tu_spec_sh(cmd);
	tu_ok(berth_spec_add_mount(s, "/tmp", "tmpfs", "tmpfs", NULL));
	tu_ok(berth_spec_set_network(s, network));
	return s;
}

static void publish(berth_spec *s, const char *spec)
{
	berth_port_list *l = NULL;
	tu_ok(berth_port_parse(&l, spec));
	for (size_t i = 0; i < berth_port_list_count(l); i++)
		tu_ok(berth_spec_add_port(s, berth_port_list_get(l, i)));
	berth_port_list_free(l);
}

#define HTTPD(ports)                                                                                         \
	"mkdir -p /tmp/www && echo served-by-$(hostname) > /tmp/www/index.html && for p in " ports "; do "     \
	"httpd -p $p -h /tmp/www; done; exec sleep 1000"

static berth_container *start_in(tu_env *e, berth_spec *s)
{
	berth_container *c = NULL;
	tu_ok(berth_container_run(&c, e->ctx, s, NULL));
	berth_spec_free(s);
	return c;
}

static berth_container *start(berth_spec *s) { return start_in(&env, s); }

/* TCP GET to addr:port from the test ("host"), up to attempts tries 0.1 s apart; the body (malloc'd) or NULL. */
static char *http_get_n(const char *addr, unsigned port, int attempts)
{
	for (int attempt = 0; attempt < attempts; attempt++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
		inet_pton(AF_INET, addr, &a.sin_addr);
		struct timeval tv = { 3, 0 };
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		/* the proxy accepts at once and resets the client while the server
		 * in the container is not listening yet: a reset is a retry too */
		const char req[] = "GET / HTTP/1.0\r\n\r\n";
		if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 &&
		    send(s, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)sizeof req - 1) {
			char *buf = calloc(1, 8192);
			size_t n = 0;
			ssize_t r;
			while (n < 8191 && (r = read(s, buf + n, 8191 - n)) > 0)
				n += (size_t)r;
			close(s);
			char *body = strstr(buf, "\r\n\r\n");
			if (body && strncmp(buf, "HTTP/1.", 7) == 0) {
				char *b = strdup(body + 4);
				free(buf);
				return b;
			}
			free(buf);
		} else
			close(s);
		usleep(100000); /* the server may still be starting */
	}
	return NULL;
}

static char *udp_roundtrip(const char *addr, unsigned port, const char *msg)
{
	for (int attempt = 0; attempt < 30; attempt++) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
		inet_pton(AF_INET, addr, &a.sin_addr);
		sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof a);
		struct pollfd p = { s, POLLIN, 0 };
		if (poll(&p, 1, 300) == 1) {
			char buf[512];
			ssize_t n = recv(s, buf, sizeof buf - 1, 0);
			close(s);
			if (n > 0) {
				buf[n] = '\0';
				return strdup(buf);
			}
		} else
			close(s);
	}
	return NULL;
}

/* The container's address from its inspect JSON. */
static void address_of(berth_container *c, char out[32])
{
	char *js = NULL;
	tu_ok(berth_container_inspect(&js, c));
	char *p = strstr(js, "\"address\": \"");
	ck_assert_msg(p, "no address in %s", js);
	p += 12;
	size_t n = strcspn(p, "\"");
	ck_assert_uint_lt(n, 32);
	memcpy(out, p, n);
	out[n] = '\0';
	free(js);
}

static char *http_get(const char *addr, unsigned port) { return http_get_n(addr, port, 50); }

/* Runs `sh -c cmd` in a container on the network; its output. */
static char *run_in(const char *network, const char *cmd, int *code)
{
	berth_spec *s = net_spec(network, cmd);
	char *out = NULL;
	*code = tu_run_capture(&env, s, &out);
	berth_spec_free(s);
	return out;
}

static void remove_container(berth_container *c)
{
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
}

/* The host-wide IPAM directory of this network namespace (lib/net/ipam.c). */
static void ipam_dir(char *out, size_t n)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned long long cookie = 0;
	socklen_t len = sizeof cookie;
	ck_assert_int_eq(getsockopt(s, SOL_SOCKET, 71 /* SO_NETNS_COOKIE */, &cookie, &len), 0);
	close(s);
	snprintf(out, n, "/run/berth-ipam/cookie-%llu", cookie);
}

/* Address files on a bridge of this netns (-1: no directory). */
static int ipam_files(const char *bridge)
{
	char dir[600];
	ipam_dir(dir, sizeof dir);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "ls %s/%s 2>/dev/null | wc -l", dir, bridge);
	char *out = sh_out(cmd);
	int n = atoi(out);
	free(out);
	snprintf(cmd, sizeof cmd, "%s/%s", dir, bridge);
	return access(cmd, F_OK) == 0 ? n : -1;
}

/* Nothing of berth left in the "host": no veth, no DNAT element, no IP
 * allocation (neither the host-wide directory of this netns nor the old
 * per-root one). */
static void assert_no_leftovers(void)
{
	char *links = sh_out("ip -o link show");
	ck_assert_msg(!strstr(links, ": vb"), "veth left:\n%s", links);
	free(links);
	char *nft = sh_out("nft list map ip berth dnat_any 2>/dev/null; nft list map ip berth dnat_addr 2>/dev/null");
	ck_assert_msg(!strstr(nft, "elements"), "DNAT map elements left:\n%s", nft);
	free(nft);
	char dir[600];
	ipam_dir(dir, sizeof dir);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "find %s %s/networks/ipam 2>/dev/null", dir, env.root);
	char *ls = sh_out(cmd);
	ck_assert_msg(!*ls, "IPAM files left: %s", ls);
	free(ls);
}

START_TEST(tcp_published_reached_from_everywhere)
{
	berth_spec *s = net_spec("bridge", HTTPD("80"));
	publish(s, "18080:80");
	berth_container *web = start(s);
	char addr[32];
	address_of(web, addr);
	ck_assert_msg(!strncmp(addr, "10.88.", 6), "address %s not in 10.88.0.0/16", addr);
	char want[64];
	snprintf(want, sizeof want, "served-by-%.12s\n", berth_container_id(web));

	/* from the host, by its non-loopback address (DNAT in output) */
	char *b = http_get(HOST_IP, 18080);
	ck_assert_msg(b && !strcmp(b, want), "via " HOST_IP ": got '%s', want '%s'", b ? b : "(nothing)", want);
	free(b);
	/* from the host, by 127.0.0.1 (the monitor's proxy) */
	b = http_get("127.0.0.1", 18080);
	ck_assert_msg(b && !strcmp(b, want), "via 127.0.0.1: got '%s'", b ? b : "(nothing)");
	free(b);
	/* from a second container: by the host address (hairpin) and by the container's address */
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " HOST_IP " 18080 | tail -n 1; "
	         "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 %s 80 | tail -n 1",
	         addr);
	int code;
	char *out = run_in("bridge", cmd, &code);
	char both[160];
	snprintf(both, sizeof both, "%s%s", want, want);
	ck_assert_msg(code == 0 && !strcmp(out, both), "from a second container (code %d): '%s'", code, out);
	free(out);

	/* the mapping as the API reports it */
	berth_port_list *ports = NULL;
	tu_ok(berth_container_ports(&ports, web));
	ck_assert_uint_eq(berth_port_list_count(ports), 1);
	ck_assert_uint_eq(berth_port_host_port(berth_port_list_get(ports, 0)), 18080);
	ck_assert_uint_eq(berth_port_container_port(berth_port_list_get(ports, 0)), 80);
	berth_port_list_free(ports);
	/* and as a program built against 0.1 gets it (the BERTH_0.1 symbol,
	 * an array of 0.1 structs) */
	struct port_0_1 {
		char host_ip[46];
		unsigned int host_port, container_port;
		int protocol;
		unsigned int host_port_end;
	} *old = NULL;
	int (*ports_0_1)(struct port_0_1 **, size_t *, berth_container *) =
	        (int (*)(struct port_0_1 **, size_t *, berth_container *))dlvsym(RTLD_DEFAULT, "berth_container_ports",
	                                                                         "BERTH_0.1");
	ck_assert_ptr_nonnull(ports_0_1);
	size_t n_old = 0;
	tu_ok(ports_0_1(&old, &n_old, web));
	ck_assert_uint_eq(n_old, 1);
	ck_assert_uint_eq(old[0].host_port, 18080);
	ck_assert_uint_eq(old[0].container_port, 80);
	ck_assert_int_eq(old[0].protocol, BERTH_PROTO_TCP);
	ck_assert_str_eq(old[0].host_ip, "");
	berth_free(old);

	remove_container(web);
	assert_no_leftovers();
	/* the port is free again at once: a new container takes it */
	s = net_spec("bridge", "sleep 100");
	publish(s, "18080:80");
	berth_container *again = start(s);
	remove_container(again);
	assert_no_leftovers();
}
END_TEST

START_TEST(container_reaches_its_own_published_port)
{
	/* hairpin: out to the host's address and back in through the same bridge
	 * port (run attached: the monitor hands the output back) */
	berth_spec *s = net_spec("bridge", "mkdir -p /tmp/www && echo self-$(hostname) > /tmp/www/index.html && "
	                                   "httpd -p 80 -h /tmp/www && for i in $(seq 50); do "
	                                   "r=$(printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 " HOST_IP " 18081 | tail -n 1); "
	                                   "[ -n \"$r\" ] && break; sleep 0.1; done; echo \"$r\"");
	publish(s, "18081:80");
	char *out = NULL;
	int code = tu_run_capture(&env, s, &out);
	berth_spec_free(s);
	ck_assert_int_eq(code, 0);
	ck_assert_msg(!strncmp(out, "self-", 5) && strlen(out) == 18, "own published port: '%s'", out);
	free(out);
	assert_no_leftovers();
}
END_TEST

START_TEST(udp_published)
{
	char helper[512];
	snprintf(helper, sizeof helper, "%s/bin/net_udp_echo", tu_build_dir());
	ck_assert_msg(access(helper, X_OK) == 0, "%s missing", helper);
	berth_spec *s = net_spec("bridge", "exec /tmp/udp_echo 9999");
	tu_ok(berth_spec_add_bind(s, helper, "/tmp/udp_echo", 1));
	publish(s, "19999:9999/udp");
	berth_container *c = start(s);
	char *r = udp_roundtrip(HOST_IP, 19999, "ping-host-address");
	ck_assert_msg(r && !strcmp(r, "ping-host-address"), "UDP via " HOST_IP ": '%s'", r ? r : "(nothing)");
	free(r);
	r = udp_roundtrip("127.0.0.1", 19999, "ping-loopback");
	ck_assert_msg(r && !strcmp(r, "ping-loopback"), "UDP via 127.0.0.1: '%s'", r ? r : "(nothing)");
	free(r);
	remove_container(c);
	assert_no_leftovers();
}
END_TEST

START_TEST(port_range_and_free_port)
{
	berth_spec *s = net_spec("bridge", HTTPD("8100 8101 8102 90"));
	publish(s, "18100-18102:8100-8102");
	publish(s, "90"); /* a free host port */
	berth_container *c = start(s);
	char want[64];
	snprintf(want, sizeof want, "served-by-%.12s\n", berth_container_id(c));
	for (unsigned p = 18100; p <= 18102; p++) {
		char *b = http_get(HOST_IP, p);
		ck_assert_msg(b && !strcmp(b, want), "port %u: '%s'", p, b ? b : "(nothing)");
		free(b);
	}
	berth_port_list *ports = NULL;
	tu_ok(berth_container_ports(&ports, c));
	ck_assert_uint_eq(berth_port_list_count(ports), 4);
	unsigned picked = 0;
	for (size_t i = 0; i < berth_port_list_count(ports); i++)
		if (berth_port_container_port(berth_port_list_get(ports, i)) == 90)
			picked = berth_port_host_port(berth_port_list_get(ports, i));
	berth_port_list_free(ports);
	ck_assert_msg(picked > 0, "no host port picked for 90");
	char *b = http_get(HOST_IP, picked);
	ck_assert_msg(b && !strcmp(b, want), "picked port %u: '%s'", picked, b ? b : "(nothing)");
	free(b);
	remove_container(c);
	assert_no_leftovers();
}
END_TEST

START_TEST(taken_host_port_refused)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(18200) };
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	berth_spec *s = net_spec("bridge", "sleep 100");
	publish(s, "18200:80");
	berth_container *c = NULL;
	int r = berth_container_create(&c, env.ctx, s, NULL);
	ck_assert_int_eq(r, BERTH_EEXISTS);
	ck_assert_msg(strstr(berth_error_last()->message, "18200"), "message: %s", berth_error_last()->message);
	berth_spec_free(s);
	close(l);
	assert_no_leftovers();
	char dir[600];
	snprintf(dir, sizeof dir, "%s/containers", env.root);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
}
END_TEST

START_TEST(none_has_only_loopback_host_sees_host)
{
	int code;
	char *out = run_in("none", "ip -o link | cut -d: -f2", &code);
	ck_assert_int_eq(code, 0);
	ck_assert_str_eq(out, " lo\n");
	free(out);
	out = run_in("host", "ip -o -4 addr", &code);
	ck_assert_int_eq(code, 0);
	ck_assert_msg(strstr(out, HOST_IP "/24") && strstr(out, "hveth0"), "host network: %s", out);
	free(out);
	/* bridge: eth0 with an address, a default route, /etc files */
	out = run_in("bridge", "ip -o -4 addr show eth0 | wc -l; ip route | grep -c '^default via 10.88.0.1'; "
	                       "grep -c \"$(hostname)\" /etc/hosts; grep -c nameserver /etc/resolv.conf",
	             &code);
	ck_assert_int_eq(code, 0);
	ck_assert_msg(!strncmp(out, "1\n1\n1\n", 6), "bridge: %s", out);
	free(out);
	assert_no_leftovers();
}
END_TEST

START_TEST(dns_servers)
{
	berth_spec *s = net_spec("bridge", "cat /etc/resolv.conf");
	const char *dns[] = { "192.0.2.53", "192.0.2.54", NULL };
	tu_ok(berth_spec_set_dns(s, dns));
	char *out = NULL;
	ck_assert_int_eq(tu_run_capture(&env, s, &out), 0);
	ck_assert_str_eq(out, "nameserver 192.0.2.53\nnameserver 192.0.2.54\n");
	free(out);
	const char *bad[] = { "not-an-ip", NULL };
	ck_assert_int_eq(berth_spec_set_dns(s, bad), BERTH_EINVAL);
	berth_spec_free(s);
}
END_TEST

START_TEST(no_leftovers_after_monitor_killed)
{
	berth_spec *s = net_spec("bridge", HTTPD("80"));
	publish(s, "18300:80");
	berth_container *c = start(s);
	char *js = NULL;
	tu_ok(berth_container_inspect(&js, c));
	char *p = strstr(js, "\"ownerPid\": ");
	ck_assert_ptr_nonnull(p);
	int monitor = atoi(p + 12);
	int init = berth_container_pid(c);
	free(js);
	ck_assert_int_gt(monitor, 0);
	ck_assert_int_ne(monitor, getpid());
	char *b = http_get("127.0.0.1", 18300);
	ck_assert_ptr_nonnull(b);
	free(b);
	/* the monitor and the container die without any cleanup */
	ck_assert_int_eq(kill(monitor, SIGKILL), 0);
	ck_assert_int_eq(kill(init, SIGKILL), 0);
	for (int i = 0; i < 100 && (tu_pid_alive(monitor) || tu_pid_alive(init)); i++)
		usleep(20000);
	/* the next berth call that sees the dead monitor cleans up */
	berth_container *again = NULL;
	tu_ok(berth_container_open(&again, env.ctx, berth_container_id(c)));
	ck_assert_int_eq(berth_container_status(again), BERTH_STATUS_STOPPED);
	assert_no_leftovers();
	ck_assert_ptr_null(http_get("127.0.0.1", 18300) ? (void *)1 : NULL);
	berth_container_free(again);
	remove_container(c);
}
END_TEST

static int owner_pid(berth_container *c)
{
	char *js = NULL;
	tu_ok(berth_container_inspect(&js, c));
	char *p = strstr(js, "\"ownerPid\": ");
	ck_assert_ptr_nonnull(p);
	int pid = atoi(p + 12);
	free(js);
	return pid;
}

static void wait_dead(int pid)
{
	for (int i = 0; i < 250 && tu_pid_alive(pid); i++)
		usleep(20000);
	ck_assert_msg(!tu_pid_alive(pid), "process %d still alive", pid);
}

/* Only the monitor killed: the container runs on unsupervised (said so),
 * berth_container_supervise() gives it a new monitor that serves
 * 127.0.0.1 again and, when the container stops, records the exit and
 * cleans up. */
START_TEST(monitor_killed_then_supervised)
{
	berth_spec *s = net_spec("bridge", HTTPD("80"));
	publish(s, "18310:80");
	berth_container *c = start(s);
	int monitor = owner_pid(c);
	ck_assert_int_ne(monitor, getpid());
	ck_assert_int_eq(berth_container_supervised(c), 1);
	char *b = http_get("127.0.0.1", 18310);
	ck_assert_ptr_nonnull(b);
	free(b);
	ck_assert_int_eq(kill(monitor, SIGKILL), 0);
	wait_dead(monitor);
	berth_container *again = NULL;
	tu_ok(berth_container_open(&again, env.ctx, berth_container_id(c)));
	ck_assert_int_eq(berth_container_status(again), BERTH_STATUS_RUNNING);
	ck_assert_int_eq(berth_container_supervised(again), 0);
	char *js = NULL;
	tu_ok(berth_container_inspect(&js, again));
	ck_assert_msg(strstr(js, "\"supervised\": false"), "inspect: %s", js);
	free(js);
	ck_assert_ptr_null(http_get_n("127.0.0.1", 18310, 1) ? (void *)1 : NULL);
	/* the repair */
	tu_ok(berth_container_supervise(again));
	ck_assert_int_eq(berth_container_supervised(again), 1);
	ck_assert_int_eq(berth_container_supervise(again), BERTH_ESTATE);
	int monitor2 = owner_pid(again);
	ck_assert_int_ne(monitor2, monitor);
	ck_assert_msg(tu_pid_alive(monitor2), "new monitor %d not running", monitor2);
	char want[64];
	snprintf(want, sizeof want, "served-by-%.12s\n", berth_container_id(c));
	b = http_get("127.0.0.1", 18310);
	ck_assert_msg(b && !strcmp(b, want), "via 127.0.0.1 after the repair: '%s'", b ? b : "(nothing)");
	free(b);
	b = http_get(HOST_IP, 18310);
	ck_assert_msg(b && !strcmp(b, want), "via " HOST_IP " after the repair: '%s'", b ? b : "(nothing)");
	free(b);
	/* its exit is recorded and cleaned up by the new monitor (sleep as pid 1
	 * ignores SIGTERM: killed after 1 s) */
	tu_ok(berth_container_stop(again, 1));
	/* the status from the zombie, unless the init's new parent (not the
	 * monitor: it cannot be) reaped it first: then 255 and said so */
	int code = berth_container_exit_code(again);
	tu_ok(berth_container_inspect(&js, again));
	ck_assert_msg(code == 137 || (code == 255 && strstr(js, "\"exitStatusUnknown\": true")), "exit %d: %s", code, js);
	free(js);
	wait_dead(monitor2);
	assert_no_leftovers();
	ck_assert_ptr_null(http_get_n("127.0.0.1", 18310, 1) ? (void *)1 : NULL);
	ck_assert_int_eq(berth_container_supervise(again), BERTH_ESTATE);
	berth_container_free(again);
	remove_container(c);
}
END_TEST

enum { PAR_MAX = 20 };

/* n detached containers on the default network created at once, the i-th
 * in the state root of ctxs[i % n_ctx]; their ids and addresses, which
 * must all differ. */
static void create_parallel(int n, berth_ctx *const *ctxs, int n_ctx, char ids[][80], char addrs[][32])
{
	int pipes[PAR_MAX][2];
	pid_t kids[PAR_MAX];
	ck_assert_int_le(n, PAR_MAX);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(pipe(pipes[i]), 0);
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			berth_spec *s = net_spec("bridge", "sleep 100");
			berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
			o.flags = BERTH_CREATE_DETACH;
			berth_container *c = NULL;
			char line[256];
			if (berth_container_create(&c, ctxs[i % n_ctx], s, &o) == 0) {
				char addr[32];
				address_of(c, addr);
				snprintf(line, sizeof line, "%s %s\n", berth_container_id(c), addr);
			} else
				snprintf(line, sizeof line, "ERROR %s\n", berth_error_last()->message);
			if (write(pipes[i][1], line, strlen(line)) < 0)
				_exit(2);
			_exit(0);
		}
		close(pipes[i][1]);
	}
	for (int i = 0; i < n; i++) {
		char line[256] = "";
		ssize_t got = read(pipes[i][0], line, sizeof line - 1);
		close(pipes[i][0]);
		int st;
		waitpid(kids[i], &st, 0);
		ck_assert_msg(got > 0 && strncmp(line, "ERROR", 5), "creator %d: %s", i, line);
		ck_assert_int_eq(sscanf(line, "%79s %31s", ids[i], addrs[i]), 2);
	}
	for (int i = 0; i < n; i++)
		for (int k = i + 1; k < n; k++)
			ck_assert_msg(strcmp(addrs[i], addrs[k]), "containers %d (root %d) and %d (root %d) share %s", i,
			              i % n_ctx, k, k % n_ctx, addrs[i]);
}

static void remove_ids(int n, berth_ctx *const *ctxs, int n_ctx, char ids[][80])
{
	for (int i = 0; i < n; i++) {
		berth_container *c = NULL;
		tu_ok(berth_container_open(&c, ctxs[i % n_ctx], ids[i]));
		remove_container(c);
	}
}

START_TEST(parallel_creates_get_distinct_addresses)
{
	char ids[PAR_MAX][80], addrs[PAR_MAX][32];
	create_parallel(PAR_MAX, &env.ctx, 1, ids, addrs);
	ck_assert_int_eq(ipam_files("berth0"), PAR_MAX);
	remove_ids(PAR_MAX, &env.ctx, 1, ids);
	assert_no_leftovers();
}
END_TEST

/* Two state roots (the CLI's and a program's own, say) share the bridge
 * berth0 of a network namespace: their containers never share an address. */
START_TEST(two_roots_share_one_bridge)
{
	tu_env_init(&env2);
	berth_ctx *ctxs[2] = { env.ctx, env2.ctx };
	enum { N = 12 };
	char ids[N][80], addrs[N][32];
	create_parallel(N, ctxs, 2, ids, addrs);
	ck_assert_int_eq(ipam_files("berth0"), N);
	/* release on rm: each root frees its own addresses only */
	berth_container *c = NULL;
	tu_ok(berth_container_open(&c, env2.ctx, ids[1]));
	remove_container(c);
	ck_assert_int_eq(ipam_files("berth0"), N - 1);
	for (int i = 0; i < N; i += 2) {
		tu_ok(berth_container_open(&c, env.ctx, ids[i]));
		remove_container(c);
	}
	ck_assert_int_eq(ipam_files("berth0"), N / 2 - 1);
	for (int i = 3; i < N; i += 2) {
		tu_ok(berth_container_open(&c, env2.ctx, ids[i]));
		remove_container(c);
	}
	assert_no_leftovers();
	char cmd[700];
	snprintf(cmd, sizeof cmd, "ls -A %s/networks %s/networks 2>/dev/null", env.root, env2.root);
	char *ls = sh_out(cmd);
	ck_assert_msg(!strstr(ls, "ipam"), "per-root IPAM left: %s", ls);
	free(ls);
}
END_TEST

/* An address whose container no longer exists in its root is reclaimed; one
 * of a root this process cannot see is left alone. */
START_TEST(stale_allocations_reclaimed)
{
	char dir[600], cmd[2048];
	ipam_dir(dir, sizeof dir);
	snprintf(cmd, sizeof cmd,
	         "mkdir -p %s/berth0 && printf '%s\\nghost\\n' > %s/berth0/10.88.0.2 && "
	         "printf '/nonexistent-berth-root\\nother\\n' > %s/berth0/10.88.0.3",
	         dir, env.root, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	berth_container *a = start(net_spec("bridge", "sleep 100"));
	berth_container *b = start(net_spec("bridge", "sleep 100"));
	char aa[32], ba[32];
	address_of(a, aa);
	address_of(b, ba);
	ck_assert_str_eq(aa, "10.88.0.2"); /* the ghost's, reclaimed */
	ck_assert_str_eq(ba, "10.88.0.4"); /* .3 belongs to a root we cannot judge */
	remove_container(a);
	remove_container(b);
	ck_assert_int_eq(ipam_files("berth0"), 1);
	snprintf(cmd, sizeof cmd, "rm -r %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	assert_no_leftovers();
}
END_TEST

/* A bridge serves one subnet, whichever root defined its network. */
START_TEST(two_roots_one_subnet_per_bridge)
{
	tu_env_init(&env2);
	berth_network_options o = BERTH_NETWORK_OPTIONS_INIT;
	o.subnet = "10.93.0.0/24";
	o.bridge = "brshared";
	tu_ok(berth_network_create(env.ctx, "one", &o));
	berth_container *a = start(net_spec("one", "sleep 100"));
	/* the bridge has its address: another subnet on it fails at once */
	o.subnet = "10.95.0.0/24";
	ck_assert_int_eq(berth_network_create(env2.ctx, "three", &o), BERTH_EEXISTS);
	ck_assert_msg(strstr(berth_error_last()->message, "10.93.0.1/24"), "message: %s", berth_error_last()->message);
	/* without a subnet, the other root's definition takes the bridge's */
	o.subnet = NULL;
	tu_ok(berth_network_create(env2.ctx, "three", &o));
	berth_container *b = start_in(&env2, net_spec("three", "sleep 100"));
	char aa[32], ba[32];
	address_of(a, aa);
	address_of(b, ba);
	ck_assert_msg(!strncmp(ba, "10.93.0.", 8) && strcmp(aa, ba), "addresses %s and %s", aa, ba);
	/* the bridge is in use by the other root's container */
	remove_container(b);
	ck_assert_int_eq(berth_network_remove(env2.ctx, "three"), BERTH_EBUSY);
	remove_container(a);
	tu_ok(berth_network_remove(env.ctx, "one"));
	tu_ok(berth_network_remove(env2.ctx, "three"));

	/* two definitions made before the bridge exists both succeed; the
	 * second root's first container then fails, naming both subnets */
	o.bridge = "brsh2";
	o.subnet = "10.96.0.0/24";
	tu_ok(berth_network_create(env.ctx, "four", &o));
	o.subnet = "10.97.0.0/24";
	tu_ok(berth_network_create(env2.ctx, "five", &o));
	a = start(net_spec("four", "sleep 100"));
	berth_spec *s = net_spec("five", "sleep 100");
	ck_assert_int_eq(berth_container_create(&b, env2.ctx, s, NULL), BERTH_EEXISTS);
	const char *m = berth_error_last()->message;
	ck_assert_msg(strstr(m, "brsh2") && strstr(m, "10.96.0.0/24") && strstr(m, "10.97.0.0/24"), "message: %s", m);
	berth_spec_free(s);
	ck_assert_int_eq(berth_network_remove(env2.ctx, "five"), BERTH_EBUSY);
	remove_container(a);
	assert_no_leftovers();
	tu_ok(berth_network_remove(env.ctx, "four"));
	tu_ok(berth_network_remove(env2.ctx, "five"));
}
END_TEST

START_TEST(user_network_and_overlaps)
{
	berth_network_options o = BERTH_NETWORK_OPTIONS_INIT;
	/* overlapping a route of the host (192.0.2.0/24 on hveth0) */
	o.subnet = "192.0.2.0/25";
	ck_assert_int_eq(berth_network_create(env.ctx, "clash", &o), BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "overlaps") && strstr(berth_error_last()->message, "192.0.2.0/24"),
	              "message: %s", berth_error_last()->message);
	o.subnet = "10.91.0.0/24";
	tu_ok(berth_network_create(env.ctx, "appnet", &o));
	ck_assert_int_eq(berth_network_create(env.ctx, "appnet", &o), BERTH_EEXISTS);
	o.subnet = "10.91.0.0/16"; /* overlaps appnet */
	ck_assert_int_eq(berth_network_create(env.ctx, "other", &o), BERTH_EINVAL);
	o.subnet = "10.88.5.0/24"; /* overlaps the default bridge network */
	ck_assert_int_eq(berth_network_create(env.ctx, "other", &o), BERTH_EINVAL);
	o.subnet = "not-a-subnet";
	ck_assert_int_eq(berth_network_create(env.ctx, "other", &o), BERTH_EINVAL);

	berth_container *a = start(net_spec("appnet", HTTPD("80")));
	char addr[32];
	address_of(a, addr);
	ck_assert_msg(!strncmp(addr, "10.91.0.", 8), "address %s not in appnet", addr);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 %s 80 | tail -n 1", addr);
	int code;
	char *out = run_in("appnet", cmd, &code);
	char want[64];
	snprintf(want, sizeof want, "served-by-%.12s\n", berth_container_id(a));
	ck_assert_msg(code == 0 && !strcmp(out, want), "appnet neighbour: '%s'", out);
	free(out);
	char *js = NULL;
	tu_ok(berth_network_inspect(&js, env.ctx, "appnet"));
	ck_assert_msg(strstr(js, addr) && strstr(js, berth_container_id(a)), "inspect: %s", js);
	free(js);
	ck_assert_int_eq(berth_network_remove(env.ctx, "appnet"), BERTH_EBUSY);
	remove_container(a);
	assert_no_leftovers();
	char *links = sh_out("ip -o link show");
	ck_assert_msg(strstr(links, "berth-"), "appnet's bridge missing:\n%s", links);
	free(links);
	tu_ok(berth_network_remove(env.ctx, "appnet"));
	links = sh_out("ip -o link show");
	ck_assert_msg(!strstr(links, "berth-"), "appnet's bridge left:\n%s", links);
	free(links);
	ck_assert_int_eq(berth_network_remove(env.ctx, "bridge"), BERTH_EINVAL);
	ck_assert_int_eq(berth_network_remove(env.ctx, "appnet"), BERTH_ENOTFOUND);
}
END_TEST

START_TEST(bad_input)
{
	berth_spec *s = net_spec("none", "true");
	ck_assert_int_eq(berth_spec_set_network(s, "container:"), BERTH_EINVAL);
	ck_assert_int_eq(berth_spec_set_network(s, "bad/name"), BERTH_EINVAL);
	ck_assert_int_eq(berth_spec_set_network(s, ""), BERTH_EINVAL);
	berth_port_list *p = NULL;
	ck_assert_int_eq(berth_port_parse(&p, "70000:80"), BERTH_EINVAL);
	ck_assert_int_eq(berth_port_parse(&p, "abc"), BERTH_EINVAL);
	ck_assert_ptr_null(p);
	/* ports need a bridge network */
	publish(s, "18400:80");
	berth_container *c = NULL;
	ck_assert_int_eq(berth_container_create(&c, env.ctx, s, NULL), BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "bridge"), "message: %s", berth_error_last()->message);
	/* an unknown network */
	tu_ok(berth_spec_set_network(s, "nosuchnet"));
	ck_assert_int_eq(berth_container_create(&c, env.ctx, s, NULL), BERTH_ENOTFOUND);
	berth_spec_free(s);
	char dir[600];
	snprintf(dir, sizeof dir, "%s/containers", env.root);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
}
END_TEST

START_TEST(container_mode_shares_netns)
{
	berth_container *a = start(net_spec("bridge", HTTPD("80")));
	char want[64];
	snprintf(want, sizeof want, "served-by-%.12s\n", berth_container_id(a));
	char mode[128];
	snprintf(mode, sizeof mode, "container:%s", berth_container_id(a));
	int code;
	/* httpd in a may not listen yet: try for up to 5 s */
	char *out = run_in(mode,
	                   "for i in $(seq 50); do r=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 127.0.0.1 80) && "
	                   "[ -n \"$r\" ] && break; sleep 0.1; done; printf '%s\\n' \"$r\" | tail -n 1",
	                   &code);
	ck_assert_msg(code == 0 && !strcmp(out, want), "container: mode: '%s'", out);
	free(out);
	remove_container(a);
	assert_no_leftovers();
}
END_TEST

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_net: needs root (network namespaces)\n");
		return 1;
	}
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("net");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tcp_published_reached_from_everywhere);
	tcase_add_test(tc, container_reaches_its_own_published_port);
	tcase_add_test(tc, udp_published);
	tcase_add_test(tc, port_range_and_free_port);
	tcase_add_test(tc, taken_host_port_refused);
	tcase_add_test(tc, none_has_only_loopback_host_sees_host);
	tcase_add_test(tc, dns_servers);
	tcase_add_test(tc, no_leftovers_after_monitor_killed);
	tcase_add_test(tc, monitor_killed_then_supervised);
	tcase_add_test(tc, parallel_creates_get_distinct_addresses);
	tcase_add_test(tc, two_roots_share_one_bridge);
	tcase_add_test(tc, two_roots_one_subnet_per_bridge);
	tcase_add_test(tc, stale_allocations_reclaimed);
	tcase_add_test(tc, user_network_and_overlaps);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, container_mode_shares_netns);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
