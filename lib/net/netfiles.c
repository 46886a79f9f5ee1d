/* SPDX-License-Identifier: LGPL-2.1-or-later
 * /etc/hosts, /etc/hostname and /etc/resolv.conf of a container on a
 * bridge network, written under <root>/containers/<id>/ and bind-mounted. */
#include "net/net_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The host's nameservers; loopback ones (a local stub resolver) cannot be
 * reached from the container's namespace, so they are left out. */
static size_t host_resolv(char *buf, size_t n, char *search, size_t sn)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	size_t len = 0;
	search[0] = '\0';
	if (!f)
		return 0;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "nameserver", 10) && (p[10] == ' ' || p[10] == '\t')) {
			char *a = p + 11;
			while (*a == ' ' || *a == '\t')
				a++;
			a[strcspn(a, " \t\r\n")] = '\0';
			if (!*a || !strncmp(a, "127.", 4) || !strcmp(a, "::1"))
				continue;
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "nameserver %s\n", a);
		} else if (!strncmp(p, "search", 6) || !strncmp(p, "options", 7)) {
			size_t sl = strlen(search);
			snprintf(search + sl, sn - sl, "%s", p);
		}
	}
	fclose(f);
	return len < n ? len : n - 1;
}

int berth__netfiles_write(const char *dir, const char *hostname, const char *addr, const char *const *dns)
{
	char buf[8192];
	char path[4200];
	int r;
	snprintf(path, sizeof path, "%s/hostname", dir);
	int n = snprintf(buf, sizeof buf, "%s\n", hostname);
	if ((r = berth__write_file_atomic(path, buf, (size_t)n, 0644)) < 0)
		return r;
	snprintf(path, sizeof path, "%s/hosts", dir);
	n = snprintf(buf, sizeof buf,
	             "127.0.0.1\tlocalhost\n"
	             "::1\tlocalhost ip6-localhost ip6-loopback\n"
	             "fe00::0\tip6-localnet\n"
	             "ff00::0\tip6-mcastprefix\n"
	             "ff02::1\tip6-allnodes\n"
	             "ff02::2\tip6-allrouters\n"
	             "%s\t%s\n",
	             addr, hostname);
	if ((r = berth__write_file_atomic(path, buf, (size_t)n, 0644)) < 0)
		return r;
	snprintf(path, sizeof path, "%s/resolv.conf", dir);
	size_t len = 0;
	if (dns && dns[0]) {
		for (const char *const *d = dns; *d && len < sizeof buf; d++)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "nameserver %s\n", *d);
	} else {
		char search[1024];
		len = host_resolv(buf, sizeof buf, search, sizeof search);
		if (len == 0) /* as Docker: public resolvers when the host has none usable */
			len = (size_t)snprintf(buf, sizeof buf, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
		if (search[0] && len < sizeof buf)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", search);
	}
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	return berth__write_file_atomic(path, buf, len, 0644);
}
