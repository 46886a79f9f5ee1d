/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Docker's -p grammar: [HOSTIP:][HOSTPORT:]CONTAINERPORT[/PROTO].
 *
 * The spec is split the way docker splits it: the protocol after the first
 * '/', then the last ':' part is the container port, the one before it the
 * host port, and everything before that the host address (so "::1:80:80"
 * and "[::1]:80:80" both mean ::1). Ports are decimal 1-65535, or ranges
 * "a-b" with a <= b. Docker's rules for ranges: both sides ranges of equal
 * length map port by port; a host range with one container port is a pool
 * the host port is picked from; a container range with one host port is an
 * error. Unlike docker, empty protocols and other empty parts are errors.
 */
#include "net/nat.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPEC_MAX 256

typedef struct {
	unsigned int lo, hi;
} port_range;

/* Parses "N" or "N-M" (what = "host port"/"container port"). allow_zero:
 * a single 0 is accepted (the host port "0": pick one). */
static int parse_range(port_range *out, const char *spec, const char *s, size_t len, const char *what,
                       int allow_zero)
{
	char part[SPEC_MAX];
	snprintf(part, sizeof part, "%.*s", (int)len, s);
	if (len == 0)
		return berth__err(BERTH_EINVAL, "port spec \"%s\": empty %s", spec, what);
	const char *dash = memchr(s, '-', len);
	unsigned int v[2];
	const char *p = s;
	const char *end = s + len;
	for (int i = 0; i < (dash ? 2 : 1); i++) {
		const char *stop = (dash && i == 0) ? dash : end;
		if (p == stop)
			return berth__err(BERTH_EINVAL, "port spec \"%s\": %s \"%s\": empty %s of the range", spec, what,
			                  part, i == 0 ? "start" : "end");
		unsigned long n = 0;
		for (const char *q = p; q < stop; q++) {
			if (!isdigit((unsigned char)*q))
				return berth__err(BERTH_EINVAL, "port spec \"%s\": %s \"%s\" is not a number", spec, what,
				                  part);
			if (n <= 65536)
				n = n * 10 + (unsigned long)(*q - '0');
		}
		if (n > 65535 || (n == 0 && (dash || !allow_zero))) {
			if (stop - p > 10)
				return berth__err(BERTH_EINVAL, "port spec \"%s\": %s \"%s\" out of range (1-65535)", spec,
				                  what, part);
			return berth__err(BERTH_EINVAL, "port spec \"%s\": %s %.*s out of range (1-65535)", spec, what,
			                  (int)(stop - p), p);
		}
		v[i] = (unsigned int)n;
		p = stop + 1;
	}
	out->lo = v[0];
	out->hi = dash ? v[1] : v[0];
	if (out->lo > out->hi)
		return berth__err(BERTH_EINVAL, "port spec \"%s\": %s range %s is reversed", spec, what, part);
	return 0;
}

static int parse_proto(int *out, const char *spec, const char *s)
{
	if (!*s)
		return berth__err(BERTH_EINVAL, "port spec \"%s\": empty protocol after '/' (tcp or udp)", spec);
	if (!strcasecmp(s, "tcp"))
		*out = BERTH_PROTO_TCP;
	else if (!strcasecmp(s, "udp"))
		*out = BERTH_PROTO_UDP;
	else if (!strcasecmp(s, "sctp"))
		return berth__err(BERTH_EUNSUPPORTED, "port spec \"%s\": protocol sctp is not supported (tcp or udp)",
		                  spec);
	else
		return berth__err(BERTH_EINVAL, "port spec \"%s\": unknown protocol \"%s\" (tcp or udp)", spec, s);
	return 0;
}

/* The host address: "" (every address), an IPv4 or IPv6 address, IPv6
 * optionally in brackets. Stored without brackets. */
static int parse_ip(char out[46], const char *spec, const char *s, size_t len)
{
	char ip[SPEC_MAX];
	snprintf(ip, sizeof ip, "%.*s", (int)len, s);
	if (len == 0) {
		out[0] = '\0';
		return 0;
	}
	char *a = ip;
	size_t n = strlen(ip);
	if (a[0] == '[' || a[n - 1] == ']') {
		if (n < 2 || a[0] != '[' || a[n - 1] != ']')
			return berth__err(BERTH_EINVAL, "port spec \"%s\": host address \"%s\": unbalanced brackets", spec,
			                  ip);
		a[n - 1] = '\0';
		a++;
		unsigned char buf[16];
		if (inet_pton(AF_INET6, a, buf) != 1)
			return berth__err(BERTH_EINVAL, "port spec \"%s\": host address \"[%s]\" is not an IPv6 address",
			                  spec, a);
	} else {
		unsigned char buf[16];
		if (inet_pton(AF_INET, a, buf) != 1 && inet_pton(AF_INET6, a, buf) != 1)
			return berth__err(BERTH_EINVAL, "port spec \"%s\": host address \"%s\" is not an IP address", spec,
			                  ip);
	}
	if (strlen(a) >= 46)
		return berth__err(BERTH_EINVAL, "port spec \"%s\": host address \"%s\" is too long", spec, ip);
	strcpy(out, a);
	return 0;
}

int berth__port_parse(berth_port **out, size_t *out_n, const char *spec)
{
	if (!out || !out_n || !spec)
		return berth__err(BERTH_EINVAL, "port spec: NULL argument");
	if (!*spec)
		return berth__err(BERTH_EINVAL, "port spec \"\": empty (expected [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|udp])");
	size_t len = strlen(spec);
	if (len >= SPEC_MAX)
		return berth__err(BERTH_EINVAL, "port spec \"%.40s...\": too long (%zu bytes)", spec, len);
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)spec[i]) || !isprint((unsigned char)spec[i]))
			return berth__err(BERTH_EINVAL, "port spec \"%s\": contains a space or control character", spec);

	/* protocol */
	int proto = BERTH_PROTO_TCP;
	const char *slash = strchr(spec, '/');
	size_t body_len = slash ? (size_t)(slash - spec) : len;
	if (slash) {
		if (strchr(slash + 1, '/'))
			return berth__err(BERTH_EINVAL, "port spec \"%s\": more than one '/'", spec);
		int r = parse_proto(&proto, spec, slash + 1);
		if (r)
			return r;
	}

	/* [ip:][hostport:]containerport, split at the last two colons; a
	 * bracketed IPv6 address may hold colons of its own. */
	const char *body = spec;
	const char *c2 = NULL, *c1 = NULL; /* last and second-to-last ':' */
	const char *rb = NULL;
	if (body[0] == '[') {
		rb = memchr(body, ']', body_len);
		if (!rb)
			return berth__err(BERTH_EINVAL, "port spec \"%s\": '[' of the host address without ']'", spec);
		if ((size_t)(rb + 1 - body) >= body_len || rb[1] != ':')
			return berth__err(BERTH_EINVAL, "port spec \"%s\": expected ':' after the host address \"%.*s\"", spec,
			                  (int)(rb + 1 - body), body);
	}
	for (const char *p = body + body_len; p > (rb ? rb : body);) {
		p--;
		if (*p == ':') {
			if (!c2)
				c2 = p;
			else {
				c1 = p;
				break;
			}
		}
	}
	const char *ip_s = body, *hp_s = NULL, *cp_s;
	size_t ip_len = 0, hp_len = 0, cp_len;
	int have_host = 0;
	if (rb) {
		/* "[ip]:hport:cport" or "[ip]::cport" (docker has no "[ip]:cport") */
		ip_len = (size_t)(rb + 1 - body);
		if (!c1 || c1 != rb + 1)
			return berth__err(BERTH_EINVAL,
			                  "port spec \"%s\": a host address needs a host port part: %.*s:HOSTPORT:CONTAINERPORT "
			                  "or %.*s::CONTAINERPORT",
			                  spec, (int)ip_len, body, (int)ip_len, body);
		hp_s = c1 + 1;
		hp_len = (size_t)(c2 - hp_s);
		cp_s = c2 + 1;
		have_host = 1;
	} else if (!c2) {
		cp_s = body;
	} else if (!c1) {
		hp_s = body;
		hp_len = (size_t)(c2 - body);
		cp_s = c2 + 1;
		have_host = 1;
	} else {
		ip_len = (size_t)(c1 - body);
		hp_s = c1 + 1;
		hp_len = (size_t)(c2 - hp_s);
		cp_s = c2 + 1;
		have_host = 1;
	}
	cp_len = (size_t)(body + body_len - cp_s);

	port_range cr, hr = { 0, 0 };
	int r = parse_range(&cr, spec, cp_s, cp_len, "container port", 0);
	if (r)
		return r;
	if (have_host && hp_len > 0) {
		r = parse_range(&hr, spec, hp_s, hp_len, "host port", 1);
		if (r)
			return r;
	}
	char ip[46];
	r = parse_ip(ip, spec, ip_s, ip_len);
	if (r)
		return r;

	unsigned int ncont = cr.hi - cr.lo + 1;
	unsigned int nhost = hr.hi - hr.lo + 1;
	int pool = 0;
	if (hr.lo != 0 && nhost != ncont) {
		if (ncont != 1)
			return berth__err(BERTH_EINVAL,
			                  "port spec \"%s\": %u host ports (%.*s) for %u container ports (%.*s): ranges must "
			                  "have the same length",
			                  spec, nhost, (int)hp_len, hp_s, ncont, (int)cp_len, cp_s);
		pool = 1;
	}
	size_t n = pool ? 1 : ncont;
	berth_port *v = calloc(n, sizeof *v);
	if (!v)
		return berth__err_nomem();
	for (size_t i = 0; i < n; i++) {
		strcpy(v[i].host_ip, ip);
		v[i].protocol = proto;
		v[i].container_port = cr.lo + (unsigned int)i;
		if (pool) {
			v[i].host_port = hr.lo;
			v[i].host_port_end = hr.hi;
		} else {
			v[i].host_port = hr.lo ? hr.lo + (unsigned int)i : 0;
		}
	}
	*out = v;
	*out_n = n;
	return 0;
}

BERTH__SYMVER_DEFAULT(berth__port_parse_0_2, berth_port_parse, "BERTH_0.2");
BERTH_EXTERN int berth__port_parse_0_2(berth_port_list **out, const char *spec)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "port spec: NULL argument");
	berth_port *v;
	size_t n;
	int r = berth__port_parse(&v, &n, spec);
	if (r < 0)
		return r;
	berth_port_list *l = berth__port_list_take(v, n);
	if (!l)
		return BERTH_ENOMEM;
	*out = l;
	return 0;
}

int berth__port_check(const berth_port *p)
{
	if (!p)
		return berth__err(BERTH_EINVAL, "port: NULL");
	if (p->protocol != BERTH_PROTO_TCP && p->protocol != BERTH_PROTO_UDP)
		return berth__err(BERTH_EINVAL, "port %u: unknown protocol %d (tcp or udp)", p->container_port,
		                  p->protocol);
	const char *proto = p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp";
	if (p->container_port < 1 || p->container_port > 65535)
		return berth__err(BERTH_EINVAL, "port %u/%s: container port out of range (1-65535)", p->container_port,
		                  proto);
	if (p->host_port > 65535)
		return berth__err(BERTH_EINVAL, "port %u/%s: host port %u out of range (1-65535)", p->container_port, proto,
		                  p->host_port);
	if (p->host_port_end && (p->host_port == 0 || p->host_port_end > 65535 || p->host_port_end < p->host_port))
		return berth__err(BERTH_EINVAL, "port %u/%s: host port range %u-%u is not a range of 1-65535",
		                  p->container_port, proto, p->host_port, p->host_port_end);
	if (memchr(p->host_ip, '\0', sizeof p->host_ip) == NULL)
		return berth__err(BERTH_EINVAL, "port %u/%s: host address not NUL-terminated", p->container_port, proto);
	if (p->host_ip[0]) {
		unsigned char buf[16];
		if (inet_pton(AF_INET, p->host_ip, buf) != 1 && inet_pton(AF_INET6, p->host_ip, buf) != 1)
			return berth__err(BERTH_EINVAL, "port %u/%s: host address \"%s\" is not an IP address",
			                  p->container_port, proto, p->host_ip);
	}
	return 0;
}

BERTH__SYMVER_DEFAULT(berth__port_format_0_2, berth_port_format, "BERTH_0.2");
BERTH_EXTERN int berth__port_format_0_2(char **out, const berth_port *p)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "port format: NULL argument");
	int r = berth__port_check(p);
	if (r)
		return r;
	const char *proto = p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp";
	const char *ip = p->host_ip[0] ? p->host_ip : "0.0.0.0";
	int v6 = strchr(ip, ':') != NULL;
	char range[16] = "";
	if (p->host_port_end && p->host_port_end != p->host_port)
		snprintf(range, sizeof range, "-%u", p->host_port_end);
	char *s = berth__sprintf("%s%s%s:%u%s->%u/%s", v6 ? "[" : "", ip, v6 ? "]" : "", p->host_port, range,
	                         p->container_port, proto);
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	return 0;
}
