/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Networking end to end, with real traffic. Every test runs in its own
 * (forked) process that first enters a new network and mount namespace
 * playing the host: loopback up and a veth pair giving it the non-loopback
 * address 192.0.2.1. Nothing touches the machine's own network. */
#include "testutil.h"
#include <arpa/inet.h>
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

static void remove_all(void)
{
	char **ids = NULL;
	if (berth_container_list(&ids, env.ctx) < 0)
		return;
	for (char **id = ids; *id; id++) {
		berth_container *c = NULL;
		if (berth_container_open(&c, env.ctx, *id) == 0) {
			berth_container_delete(c, BERTH_DELETE_FORCE);
			berth_container_free(c);
		}
	}
	berth_free(ids);
}

static void setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	int r = system("ip link set lo up && ip link add hveth0 type veth peer name hveth1 && "
	               "ip addr add " HOST_IP "/24 dev hveth0 && ip link set hveth0 up && ip link set hveth1 up");
	ck_assert_msg(r == 0, "cannot set up the test's network namespace (iproute2?)");
	tu_env_init(&env);
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
	berth_port *p = NULL;
	size_t n = 0;
	tu_ok(berth_port_parse(&p, &n, spec));
	for (size_t i = 0; i < n; i++)
		tu_ok(berth_spec_add_port(s, &p[i]));
	berth_free(p);
}

#define HTTPD(ports)                                                                                         \
	"mkdir -p /tmp/www && echo served-by-$(hostname) > /tmp/www/index.html && for p in " ports "; do "     \
	"httpd -p $p -h /tmp/www; done; exec sleep 1000"

static berth_container *start(berth_spec *s)
{
	berth_container *c = NULL;
	tu_ok(berth_container_run(&c, env.ctx, s, NULL));
	berth_spec_free(s);
	return c;
}

/* TCP GET to addr:port from the test ("host"); the body (malloc'd) or NULL. */
static char *http_get(const char *addr, unsigned port)
{
	for (int attempt = 0; attempt < 50; attempt++) {
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

/* Nothing of berth left in the "host": no veth, no DNAT element, no IP file. */
static void assert_no_leftovers(const char *network)
{
	char *links = sh_out("ip -o link show");
	ck_assert_msg(!strstr(links, ": vb"), "veth left:\n%s", links);
	free(links);
	char *nft = sh_out("nft list map ip berth dnat_any 2>/dev/null; nft list map ip berth dnat_addr 2>/dev/null");
	ck_assert_msg(!strstr(nft, "elements"), "DNAT map elements left:\n%s", nft);
	free(nft);
	char dir[600];
	snprintf(dir, sizeof dir, "%s/networks/ipam/%s", env.root, network);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "ls %s 2>/dev/null", dir);
	char *ls = sh_out(cmd);
	ck_assert_msg(!*ls, "IPAM files left in %s: %s", dir, ls);
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
	berth_port *ports = NULL;
	size_t n = 0;
	tu_ok(berth_container_ports(&ports, &n, web));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ports[0].host_port, 18080);
	ck_assert_uint_eq(ports[0].container_port, 80);
	berth_free(ports);

	remove_container(web);
	assert_no_leftovers("bridge");
	/* the port is free again at once: a new container takes it */
	s = net_spec("bridge", "sleep 100");
	publish(s, "18080:80");
	berth_container *again = start(s);
	remove_container(again);
	assert_no_leftovers("bridge");
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
	assert_no_leftovers("bridge");
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
	assert_no_leftovers("bridge");
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
	berth_port *ports = NULL;
	size_t n = 0;
	tu_ok(berth_container_ports(&ports, &n, c));
	ck_assert_uint_eq(n, 4);
	unsigned picked = 0;
	for (size_t i = 0; i < n; i++)
		if (ports[i].container_port == 90)
			picked = ports[i].host_port;
	berth_free(ports);
	ck_assert_msg(picked > 0, "no host port picked for 90");
	char *b = http_get(HOST_IP, picked);
	ck_assert_msg(b && !strcmp(b, want), "picked port %u: '%s'", picked, b ? b : "(nothing)");
	free(b);
	remove_container(c);
	assert_no_leftovers("bridge");
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
	assert_no_leftovers("bridge");
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
	assert_no_leftovers("bridge");
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
	assert_no_leftovers("bridge");
	ck_assert_ptr_null(http_get("127.0.0.1", 18300) ? (void *)1 : NULL);
	berth_container_free(again);
	remove_container(c);
}
END_TEST

START_TEST(parallel_creates_get_distinct_addresses)
{
	enum { N = 20 };
	int pipes[N][2];
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(pipe(pipes[i]), 0);
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			berth_spec *s = net_spec("bridge", "sleep 100");
			berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
			o.flags = BERTH_CREATE_DETACH;
			berth_container *c = NULL;
			char line[256];
			if (berth_container_create(&c, env.ctx, s, &o) == 0) {
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
	char ids[N][80], addrs[N][32];
	for (int i = 0; i < N; i++) {
		char line[256] = "";
		ssize_t n = read(pipes[i][0], line, sizeof line - 1);
		close(pipes[i][0]);
		int st;
		waitpid(kids[i], &st, 0);
		ck_assert_msg(n > 0 && strncmp(line, "ERROR", 5), "creator %d: %s", i, line);
		ck_assert_int_eq(sscanf(line, "%79s %31s", ids[i], addrs[i]), 2);
	}
	for (int i = 0; i < N; i++)
		for (int k = i + 1; k < N; k++)
			ck_assert_msg(strcmp(addrs[i], addrs[k]), "containers %d and %d share %s", i, k, addrs[i]);
	char dir[600];
	snprintf(dir, sizeof dir, "%s/networks/ipam/bridge", env.root);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "ls %s | wc -l", dir);
	char *cnt = sh_out(cmd);
	ck_assert_int_eq(atoi(cnt), N);
	free(cnt);
	for (int i = 0; i < N; i++) {
		berth_container *c = NULL;
		tu_ok(berth_container_open(&c, env.ctx, ids[i]));
		remove_container(c);
	}
	assert_no_leftovers("bridge");
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
	assert_no_leftovers("appnet");
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
	berth_port *p = NULL;
	size_t n = 0;
	ck_assert_int_eq(berth_port_parse(&p, &n, "70000:80"), BERTH_EINVAL);
	ck_assert_int_eq(berth_port_parse(&p, &n, "abc"), BERTH_EINVAL);
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
	assert_no_leftovers("bridge");
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
	tcase_add_test(tc, parallel_creates_get_distinct_addresses);
	tcase_add_test(tc, user_network_and_overlaps);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, container_mode_shares_netns);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
