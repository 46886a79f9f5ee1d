/* SPDX-License-Identifier: LGPL-2.1-or-later
 * IPAM: addresses are unique per bridge on the host, whichever state root
 * allocates them (the CLI's /var/lib/berth and a program's own root share
 * the bridge berth0). One file per address in use,
 *
 *   /run/berth-ipam/<netns>/<bridge>/<addr>    content "<root>\n<container id>\n"
 *   /run/berth-ipam/<netns>/<bridge>/.subnet   the subnet the bridge serves
 *   /run/berth-ipam/<netns>/<bridge>/.next     where the next search starts
 *
 * created with O_EXCL while the bridge directory itself is flock'd. <netns>
 * names the network namespace that holds the bridge ("cookie-N": its
 * SO_NETNS_COOKIE, never reused while the machine runs; "ino-D-I" on
 * kernels before 5.14): a bridge is a network namespace's object, and two
 * namespaces may each have a berth0 (docs/networking.md). An address whose
 * container no longer exists in its root (a crash between allocation and
 * record) is reclaimed; the last release removes the directories. */
#include "net/net_internal.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define IPAM_BASE "/run/berth-ipam"
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The calling thread's network namespace as a directory name. */
static int netns_key(char *buf, size_t n)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		uint64_t cookie = 0;
		socklen_t len = sizeof cookie;
		int ok = getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0 && len == sizeof cookie;
		close(s);
		if (ok) {
			snprintf(buf, n, "cookie-%llu", (unsigned long long)cookie);
			return 0;
		}
	}
	struct stat st;
	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return berth__err_sys(errno, "IPAM: identify the network namespace (/proc/thread-self/ns/net)");
	snprintf(buf, n, "ino-%llu-%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	return 0;
}

static int bridge_dir(char *buf, size_t n, const char *bridge)
{
	char key[64];
	int r = netns_key(key, sizeof key);
	if (r < 0)
		return r;
	if (!*bridge || strchr(bridge, '/') || bridge[0] == '.' ||
	    snprintf(buf, n, IPAM_BASE "/%s/%s", key, bridge) >= (int)n)
		return berth__err(BERTH_EINVAL, "IPAM: bad bridge name '%s'", bridge);
	return 0;
}

/* The bridge's directory, open and flock'd (the lock is on the directory
 * itself, so removing it cannot strand a waiter on a stale lock file: a
 * waiter that finds it removed starts over). -ENOENT when it does not exist
 * and create is 0. */
static int lock_bridge(char *dir, size_t n, const char *bridge, int create, const char *what)
{
	int r = bridge_dir(dir, n, bridge);
	if (r < 0)
		return berth__err_prefix("%s", what);
	for (int attempt = 0; attempt < 100; attempt++) {
		if (create && (r = berth__mkdir_p(dir, 0700)) < 0 && berth_error_last()->sys_errno != ENOENT)
			return berth__err_prefix("%s: IPAM", what);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && !create)
				return -ENOENT;
			if (errno == ENOENT)
				continue; /* removed by a last release meanwhile */
			return berth__err_sys(errno, "%s: IPAM: open %s", what, dir);
		}
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR) {
				int e = errno;
				close(fd);
				return berth__err_sys(e, "%s: IPAM: lock %s", what, dir);
			}
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd); /* removed while we waited */
		if (!create)
			return -ENOENT;
	}
	return berth__err(BERTH_ESYS, "%s: IPAM: %s keeps disappearing", what, dir);
}

static int read_small(int dfd, const char *name, char *buf, size_t n)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return (int)r;
}

static int write_small(int dfd, const char *name, const char *s, int excl)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (excl ? O_EXCL : O_TRUNC), 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(s);
	ssize_t w = write(fd, s, len);
	int e = errno;
	close(fd);
	if (w != (ssize_t)len) {
		unlinkat(dfd, name, 0);
		return w < 0 ? -e : -ENOSPC;
	}
	return 0;
}

/* An address file's owner: root and id (pointers into buf). */
static int owner_of(int dfd, const char *name, char *buf, size_t n, const char **root, const char **id)
{
	if (read_small(dfd, name, buf, n) <= 0)
		return -1; /* being written: not ours to judge */
	char *nl = strchr(buf, '\n');
	if (!nl || buf[0] != '/')
		return -1;
	*nl = '\0';
	*root = buf;
	*id = nl + 1;
	((char *)*id)[strcspn(*id, "\n")] = '\0';
	return **id && !strchr(*id, '/') ? 0 : -1;
}

/* The owner of an address file is gone? Only when its root is visible here
 * and holds no such container (a root this mount namespace cannot see is
 * not judged). */
static int stale(int dfd, const char *name)
{
	char buf[PATH_MAX + 256];
	const char *root, *id;
	if (owner_of(dfd, name, buf, sizeof buf, &root, &id) < 0)
		return 0;
	char path[PATH_MAX + 300];
	if (berth__path_container(path, sizeof path, root, NULL, NULL) < 0 || access(path, F_OK) < 0)
		return 0;
	if (berth__path_container(path, sizeof path, root, id, NULL) < 0)
		return 0;
	return access(path, F_OK) < 0 && errno == ENOENT;
}

/* Address files in use (stale ones removed). */
static int count_in_use(int dfd)
{
	DIR *d = berth__fdopendir(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (stale(dfd, de->d_name))
			unlinkat(dfd, de->d_name, 0);
		else
			n++;
	}
	closedir(d);
	return n;
}

/* The last address gone: the bridge's directory and its (empty) parents go
 * too. Called with the directory locked. */
static void drop_if_unused(int dfd, const char *dir)
{
	if (count_in_use(dfd) > 0)
		return;
	unlinkat(dfd, ".next", 0);
	unlinkat(dfd, ".subnet", 0);
	if (rmdir(dir) < 0)
		return;
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		rmdir(parent); /* ENOTEMPTY: another bridge's */
	}
	rmdir(IPAM_BASE);
}

/* The bridge serves one subnet, whoever defined the network: the subnet the
 * first allocation recorded, and any IPv4 address the bridge already has. */
static int check_subnet(int dfd, const berth__network *nw)
{
	char had[64];
	if (read_small(dfd, ".subnet", had, sizeof had) > 0 && strcmp(had, nw->subnet))
		return berth__err(BERTH_EEXISTS,
		                  "network %s: bridge %s already serves %s (a network of another state root?), not %s",
		                  nw->name, nw->bridge, had, nw->subnet);
	return berth__bridge_subnet_check(nw);
}

int berth__bridge_v4(uint32_t *addr, uint32_t *mask, const char *bridge)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return 0; /* nothing to compare with */
	int found = 0;
	for (struct ifaddrs *i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask || strcmp(i->ifa_name, bridge))
			continue;
		*addr = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		*mask = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		found = 1;
	}
	freeifaddrs(ifa);
	return found;
}

int berth__bridge_subnet_check(const berth__network *nw)
{
	uint32_t a, m;
	if (!berth__bridge_v4(&a, &m, nw->bridge) || (a == nw->gw && m == nw->mask))
		return 0;
	char as[16];
	berth__ip_format(as, a);
	return berth__err(BERTH_EEXISTS,
	                  "network %s: bridge %s already has the address %s/%d (a network of another state root?), "
	                  "not %s/%d of %s",
	                  nw->name, nw->bridge, as, __builtin_popcount(m), nw->gateway, nw->prefix, nw->subnet);
}

static uint32_t next_hint(int dfd, uint32_t first, uint32_t last)
{
	char hb[32];
	uint32_t h;
	if (read_small(dfd, ".next", hb, sizeof hb) > 0) {
		hb[strcspn(hb, "\n")] = '\0';
		if (berth__ip_parse(&h, hb) == 0 && h >= first && h <= last)
			return h;
	}
	return first;
}

/* Takes the first free address from the hint on; 0 and *out, or an error. */
static int take(uint32_t *out, int dfd, const char *dir, const berth__network *nw, const char *owner)
{
	uint32_t first = nw->net + 1, last = (nw->net | ~nw->mask) - 1;
	/* start after the last address handed out, so a released address is not
	 * reused at once (conntrack, ARP caches) */
	uint32_t hint = next_hint(dfd, first, last);
	uint64_t count = (uint64_t)last - first + 1;
	for (uint64_t i = 0; i < count; i++) {
		uint32_t a = first + (uint32_t)((hint - first + i) % count);
		if (a == nw->gw)
			continue;
		char name[16];
		berth__ip_format(name, a);
		int e = write_small(dfd, name, owner, 1);
		if (e == -EEXIST && stale(dfd, name)) {
			unlinkat(dfd, name, 0);
			e = write_small(dfd, name, owner, 1);
		}
		if (e == -EEXIST)
			continue;
		if (e < 0)
			return berth__err_sys(-e, "network %s: IPAM: create %s/%s", nw->name, dir, name);
		char next[16];
		berth__ip_format(next, a == last ? first : a + 1);
		write_small(dfd, ".next", next, 0); /* only a hint */
		*out = a;
		return 0;
	}
	return berth__err(BERTH_ENET, "network %s: no free address in %s", nw->name, nw->subnet);
}

int berth__ipam_alloc(uint32_t *out, berth_ctx *ctx, const berth__network *nw, const char *id)
{
	char dir[PATH_MAX], what[200];
	snprintf(what, sizeof what, "network %s", nw->name);
	int dfd = lock_bridge(dir, sizeof dir, nw->bridge, 1, what);
	if (dfd < 0)
		return dfd;
	char *owner = berth__sprintf("%s\n%s\n", ctx->root, id);
	int r = owner ? check_subnet(dfd, nw) : berth__err_nomem();
	if (r == 0) {
		int e = write_small(dfd, ".subnet", nw->subnet, 1);
		if (e < 0 && e != -EEXIST)
			r = berth__err_sys(-e, "network %s: IPAM: record the subnet in %s", nw->name, dir);
	}
	if (r == 0)
		r = take(out, dfd, dir, nw, owner);
	free(owner);
	if (r < 0) {
		berth__err_saved s;
		berth__err_save(&s);
		drop_if_unused(dfd, dir);
		berth__err_restore(&s);
	}
	close(dfd);
	if (r == 0)
		berth__err_ok();
	return r;
}

void berth__ipam_release(berth_ctx *ctx, const char *bridge, const char *addr, const char *id)
{
	if (!bridge || !addr || !*addr || strchr(addr, '/') || addr[0] == '.')
		return;
	berth__err_saved s;
	berth__err_save(&s);
	char dir[PATH_MAX];
	int dfd = lock_bridge(dir, sizeof dir, bridge, 0, "IPAM release");
	if (dfd >= 0) {
		char buf[PATH_MAX + 256];
		const char *root, *owner;
		if (owner_of(dfd, addr, buf, sizeof buf, &root, &owner) == 0 && !strcmp(root, ctx->root) &&
		    !strcmp(owner, id))
			unlinkat(dfd, addr, 0);
		drop_if_unused(dfd, dir);
		close(dfd);
	}
	berth__err_restore(&s);
}

int berth__ipam_in_use(const char *bridge)
{
	char dir[PATH_MAX];
	int dfd = lock_bridge(dir, sizeof dir, bridge, 0, "IPAM");
	if (dfd < 0) {
		berth__err_ok();
		return 0;
	}
	int n = count_in_use(dfd);
	if (!n)
		drop_if_unused(dfd, dir);
	close(dfd);
	return n;
}
