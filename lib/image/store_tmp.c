/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Temp entries of the store and their owners (lib/image/store.h).
 *
 * Every temp entry (a blob being written in <root>/images/.tmp, a layer
 * being unpacked or a build's work dir in <root>/layers/.tmp-*, a docker
 * archive being loaded) is locked by its creator with flock(LOCK_EX) on an
 * fd of the entry itself, held for the entry's whole life: until it is
 * renamed into place or removed. The kernel drops the lock when the owner
 * dies, however it dies (SIGKILL included), and a reused pid cannot hold it.
 *
 * Creation and locking are one step for a sweeper: creators hold
 * <root>/images/.tmp.lock shared from before the entry exists until it is
 * locked; the sweeper takes it exclusively (without waiting: if a creator is
 * busy, the next operation sweeps) while it claims the entries whose lock it
 * can take, then removes them after letting the creators go on. Store
 * operations (pull, build, import, load, list) start with a sweep: one
 * readdir of each temp dir, one open and flock per temp entry. */
#include "image/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUARD ".tmp.lock"

int berth__tmp_guard(const berth__store *s)
{
	return berth__store_lock(s, GUARD, LOCK_SH);
}

int berth__tmp_own(int fd, const char *path)
{
	/* a fresh entry made under the guard: nobody else can hold it */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return berth__err_sys(errno, "image store: lock %s", path);
	return 0;
}

int berth__tmp_dir_new(char *buf, size_t len, const berth__store *s, const char *parent, const char *prefix,
	mode_t mode)
{
	char rnd[33];
	int r = berth__random_hex(rnd, 16);
	if (r < 0 || (r = berth__store_path(buf, len, "%s/%s%s", parent, prefix, rnd)) < 0)
		return r;
	int guard = berth__tmp_guard(s);
	if (guard < 0)
		return guard;
	int fd = -1;
	if (mkdir(buf, mode) < 0)
		r = berth__err_sys(errno, "image store: mkdir %s", buf);
	else if ((fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	         (r = berth__tmp_own(fd, buf)) < 0) {
		if (fd < 0)
			r = berth__err_sys(errno, "image store: open %s", buf);
		else
			close(fd);
		fd = -1;
		rmdir(buf);
	}
	berth__store_unlock(guard);
	return fd < 0 ? r : fd;
}

/* A temp entry whose owner is gone: its fd, locked by us now. */
typedef struct stale {
	int dirfd, fd;
	char name[256];
} stale;

typedef struct claims {
	stale *v;
	size_t n, cap;
} claims;

static void claim(claims *c, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat a, b;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &a) < 0 ||
	    fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
	    strlen(name) >= sizeof c->v->name) {
		close(fd); /* alive, or renamed meanwhile */
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		stale *nv = realloc(c->v, cap * sizeof *nv);
		if (!nv) {
			close(fd);
			return;
		}
		c->v = nv;
		c->cap = cap;
	}
	stale *e = &c->v[c->n++];
	e->dirfd = dirfd;
	e->fd = fd;
	snprintf(e->name, sizeof e->name, "%s", name);
}

static int scan(claims *c, const char *dir, const char *prefix)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	DIR *d = fdopendir(dup(dfd));
	if (!d) {
		close(dfd);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !strncmp(de->d_name, prefix, strlen(prefix)))
			claim(c, dfd, de->d_name);
	closedir(d);
	return dfd;
}

void berth__store_sweep(const berth__store *s)
{
	char p[4200];
	if (berth__store_path(p, sizeof p, "%s/" GUARD, s->images) < 0)
		return;
	int guard = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (guard < 0)
		return; /* no store yet, or never a temp made */
	if (flock(guard, LOCK_EX | LOCK_NB) < 0) {
		close(guard); /* a creator is at work: the next operation sweeps */
		return;
	}
	berth__err_saved sv;
	berth__err_save(&sv);
	claims c = { 0 };
	int dirs[3];
	snprintf(p, sizeof p, "%s/.tmp", s->images);
	dirs[0] = scan(&c, p, "");
	dirs[1] = scan(&c, s->layers, ".tmp-");
	/* per-layer pull locks nobody holds (a killed pull's): a pull that opened
	 * one just now sees it unlinked after its flock and takes a new one */
	dirs[2] = scan(&c, s->layers, ".lock-");
	close(guard);
	for (size_t i = 0; i < c.n; i++) {
		int e = berth__rm_at(c.v[i].dirfd, c.v[i].name);
		berth__log(s->ctx, e < 0 ? BERTH_LOG_WARN : BERTH_LOG_INFO, "image store: %s the temp entry %s of a process that is gone%s%s",
			e < 0 ? "could not remove" : "removed", c.v[i].name, e < 0 ? ": " : "", e < 0 ? strerror(-e) : "");
		close(c.v[i].fd);
	}
	free(c.v);
	for (int i = 0; i < 3; i++)
		if (dirs[i] >= 0)
			close(dirs[i]);
	berth__err_restore(&sv);
}
