/* SPDX-License-Identifier: LGPL-2.1-or-later
 * IPAM: one file per address in use, <root>/networks/ipam/<network>/<addr>,
 * created with O_EXCL while the directory's lock is held; its content is the
 * container id, so an address of a container that no longer exists (a crash
 * between allocation and record) is reclaimed. */
#include "net/net_internal.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int ipam_dir(char *buf, size_t n, berth_ctx *ctx, const char *network)
{
	return snprintf(buf, n, "%s/networks/ipam/%s", ctx->root, network) >= (int)n ? -1 : 0;
}

static int lock_dir(berth_ctx *ctx, const char *network, int create)
{
	char dir[PATH_MAX];
	if (ipam_dir(dir, sizeof dir, ctx, network) < 0)
		return berth__err(BERTH_EINVAL, "network %s: path too long", network);
	if (create) {
		int r = berth__mkdir_p(dir, 0700);
		if (r < 0)
			return r;
	}
	char lk[PATH_MAX + 8];
	snprintf(lk, sizeof lk, "%s/.lock", dir);
	int fd = open(lk, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (fd < 0)
		return create ? berth__err_sys(errno, "network %s: IPAM lock %s", network, lk) : -ENOENT;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return berth__err_sys(e, "network %s: IPAM lock %s", network, lk);
		}
	return fd;
}

/* The owner of an address file is gone? */
static int stale(berth_ctx *ctx, int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	char id[200];
	ssize_t n = read(fd, id, sizeof id - 1);
	close(fd);
	if (n <= 0)
		return 0; /* being written: not ours to judge */
	id[n] = '\0';
	id[strcspn(id, "\n")] = '\0';
	if (!*id || strchr(id, '/'))
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/containers/%s", ctx->root, id);
	return access(path, F_OK) < 0 && errno == ENOENT;
}

int berth__ipam_alloc(uint32_t *out, berth_ctx *ctx, const berth__network *nw, const char *id)
{
	int lk = lock_dir(ctx, nw->name, 1);
	if (lk < 0)
		return lk;
	char dir[PATH_MAX];
	ipam_dir(dir, sizeof dir, ctx, nw->name);
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		close(lk);
		return berth__err_sys(e, "network %s: IPAM %s", nw->name, dir);
	}
	uint32_t first = nw->net + 1, last = (nw->net | ~nw->mask) - 1;
	/* start after the last address handed out, so a released address is not
	 * reused at once (conntrack, ARP caches) */
	uint32_t hint = first;
	char hb[32];
	int hf = openat(dfd, ".next", O_RDONLY | O_CLOEXEC);
	if (hf >= 0) {
		ssize_t n = read(hf, hb, sizeof hb - 1);
		close(hf);
		uint32_t h;
		if (n > 0) {
			hb[n] = '\0';
			hb[strcspn(hb, "\n")] = '\0';
			if (berth__ip_parse(&h, hb) == 0 && h >= first && h <= last)
				hint = h;
		}
	}
	int r = berth__err(BERTH_ENET, "network %s: no free address in %s", nw->name, nw->subnet);
	uint64_t count = (uint64_t)last - first + 1;
	for (uint64_t i = 0; i < count; i++) {
		uint32_t a = first + (uint32_t)((hint - first + i) % count);
		if (a == nw->gw)
			continue;
		char name[16];
		berth__ip_format(name, a);
		int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST && stale(ctx, dfd, name)) {
			unlinkat(dfd, name, 0);
			fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		}
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			r = berth__err_sys(errno, "network %s: IPAM: create %s/%s", nw->name, dir, name);
			break;
		}
		size_t len = strlen(id);
		ssize_t w = write(fd, id, len);
		int e = errno;
		close(fd);
		if (w != (ssize_t)len) {
			unlinkat(dfd, name, 0);
			r = berth__err_sys(w < 0 ? e : ENOSPC, "network %s: IPAM: write %s/%s", nw->name, dir, name);
			break;
		}
		char next[16];
		berth__ip_format(next, a == last ? first : a + 1);
		hf = openat(dfd, ".next", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (hf >= 0) {
			if (write(hf, next, strlen(next)) < 0) {
				/* only a hint */
			}
			close(hf);
		}
		*out = a;
		r = 0;
		break;
	}
	close(dfd);
	close(lk);
	if (r == 0)
		berth__err_ok();
	return r;
}

void berth__ipam_release(berth_ctx *ctx, const char *network, const char *addr, const char *id)
{
	if (!network || !addr || !*addr || strchr(addr, '/') || addr[0] == '.')
		return;
	int lk = lock_dir(ctx, network, 0);
	if (lk < 0) {
		berth__err_ok();
		return;
	}
	char path[PATH_MAX];
	ipam_dir(path, sizeof path, ctx, network);
	size_t l = strlen(path);
	snprintf(path + l, sizeof path - l, "/%s", addr);
	char owner[200];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		ssize_t n = read(fd, owner, sizeof owner - 1);
		close(fd);
		if (n >= 0) {
			owner[n] = '\0';
			owner[strcspn(owner, "\n")] = '\0';
			if (!strcmp(owner, id))
				unlink(path);
		}
	}
	close(lk);
}

int berth__ipam_in_use(berth_ctx *ctx, const char *network)
{
	int lk = lock_dir(ctx, network, 0);
	if (lk < 0) {
		berth__err_ok();
		return 0;
	}
	char dir[PATH_MAX];
	ipam_dir(dir, sizeof dir, ctx, network);
	DIR *d = opendir(dir);
	int n = 0;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (stale(ctx, dirfd(d), de->d_name))
				unlinkat(dirfd(d), de->d_name, 0);
			else
				n++;
		}
		closedir(d);
	}
	close(lk);
	return n;
}

void berth__ipam_remove(berth_ctx *ctx, const char *network)
{
	char dir[PATH_MAX];
	if (ipam_dir(dir, sizeof dir, ctx, network) == 0)
		berth__rm_rf(dir);
	berth__err_ok();
}
