/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copies image layers (overlayfs lower-dir form) into a plain directory, as
 * the overlay would show them merged: the layers are applied bottom first; a
 * whiteout (a 0/0 character device) removes what is below it, an opaque
 * directory (trusted.overlay.opaque=y) hides the content below it, anything
 * else replaces what is there. Ownership, modes (setuid included), xattrs
 * (but the overlay's own trusted.overlay.*), symlinks, hardlinks within the
 * copy, device nodes, fifos and times are kept. Used for the copy fallback
 * without overlayfs (the container's rootfs is a copy) and to seed volumes
 * with the image's content at their mount point.
 *
 * Every operation is relative to directory fds with O_NOFOLLOW: a symlink in a
 * layer, or one left in the destination by a lower layer, is never followed. */
#include "image/layer_copy.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OPAQUE_XATTR "trusted.overlay.opaque"

/* hardlinks: (dev, ino) of a source with nlink > 1 -> the path of its first copy */
typedef struct link_ent {
	dev_t dev;
	ino_t ino;
	dev_t copy_dev;  /* the copy: linked to only while it is still there */
	ino_t copy_ino;
	char *rel;
} link_ent;

typedef struct copier {
	int dst_root;       /* the destination's root dir fd */
	const char *what;   /* names the copy in errors */
	link_ent *links;
	size_t n_links, cap_links;
	char rel[4096];     /* the current dir relative to dst_root ("" or "a/b/") */
} copier;

static int is_whiteout(const struct stat *st) { return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0); }

static int is_opaque(int fd)
{
	char v[4];
	ssize_t n = fgetxattr(fd, OPAQUE_XATTR, v, sizeof v);
	return n == 1 && v[0] == 'y';
}

static int cerr(copier *c, int e, const char *name, const char *op)
{
	return berth__err_sys(e, "%s: %s %s%s", c->what, op, c->rel, name ? name : "");
}

/* Removes every entry of a directory (not the directory itself). */
static int clear_dir(copier *c, int dfd)
{
	DIR *d = berth__fdopendir(dup(dfd));
	if (!d)
		return cerr(c, errno, NULL, "read");
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int e = berth__rm_at(dfd, de->d_name);
		if (e < 0) {
			r = cerr(c, -e, de->d_name, "remove");
			break;
		}
	}
	closedir(d);
	return r;
}

/* xattrs of src_fd onto dst_fd, but the overlay's own. */
static int copy_xattrs(copier *c, int src_fd, int dst_fd, const char *name)
{
	char list[8192];
	ssize_t n = flistxattr(src_fd, list, sizeof list);
	if (n < 0)
		return errno == ENOTSUP ? 0 : cerr(c, errno, name, "list the xattrs of");
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		if (!strncmp(k, "trusted.overlay.", 16))
			continue;
		char val[65536];
		ssize_t vl = fgetxattr(src_fd, k, val, sizeof val);
		if (vl < 0)
			continue;
		if (fsetxattr(dst_fd, k, val, (size_t)vl, 0) < 0 && errno != ENOTSUP)
			return cerr(c, errno, name, "set an xattr on");
	}
	return 0;
}

/* Owner, mode (after chown, which clears setuid), times. fd may be O_PATH
 * for symlinks and special files: then by name. */
static int set_attrs(copier *c, int dirfd, const char *name, int fd, const struct stat *st)
{
	if (fd >= 0) {
		if (fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EPERM)
			return cerr(c, errno, name, "chown");
		if (fchmod(fd, st->st_mode & 07777) < 0)
			return cerr(c, errno, name, "chmod");
		struct timespec ts[2] = { st->st_atim, st->st_mtim };
		if (futimens(fd, ts) < 0)
			return cerr(c, errno, name, "set the times of");
		return 0;
	}
	if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
		return cerr(c, errno, name, "chown");
	if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
		return cerr(c, errno, name, "chmod");
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return cerr(c, errno, name, "set the times of");
	return 0;
}

static int copy_data(copier *c, int in, int out, const char *name)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return cerr(c, errno, name, "copy");
		break;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cerr(c, errno, name, "read");
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return cerr(c, errno, name, "write");
			off += w;
		}
	}
}

static link_ent *link_find(copier *c, const struct stat *st)
{
	for (size_t i = 0; i < c->n_links; i++)
		if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
			return &c->links[i];
	return NULL;
}

static void link_note(copier *c, const struct stat *st, int dst, const char *name)
{
	struct stat cst;
	if (fstatat(dst, name, &cst, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (c->n_links == c->cap_links) {
		size_t cap = c->cap_links ? 2 * c->cap_links : 16;
		link_ent *n = realloc(c->links, cap * sizeof *n);
		if (!n)
			return; /* a later link becomes a copy */
		c->links = n;
		c->cap_links = cap;
	}
	char *rel = berth__sprintf("%s%s", c->rel, name);
	if (!rel)
		return;
	c->links[c->n_links++] = (link_ent){ st->st_dev, st->st_ino, cst.st_dev, cst.st_ino, rel };
}

static int merge_dir(copier *c, int src, int dst);

/* One entry of a layer onto the destination. */
static int apply_entry(copier *c, int src, int dst, const char *name)
{
	struct stat st, dt;
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cerr(c, errno, name, "stat");
	int have = fstatat(dst, name, &dt, AT_SYMLINK_NOFOLLOW) == 0;
	int r;
	if (is_whiteout(&st)) {
		if (have && (r = berth__rm_at(dst, name)) < 0)
			return cerr(c, -r, name, "remove");
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		int sfd = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			return cerr(c, errno, name, "open");
		if (have && !S_ISDIR(dt.st_mode)) {
			if ((r = berth__rm_at(dst, name)) < 0) {
				close(sfd);
				return cerr(c, -r, name, "remove");
			}
			have = 0;
		}
		if (!have && mkdirat(dst, name, 0700) < 0) {
			close(sfd);
			return cerr(c, errno, name, "create the directory");
		}
		int dfd = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) {
			close(sfd);
			return cerr(c, errno, name, "open");
		}
		size_t len = strlen(c->rel), nl = strlen(name);
		if (len + nl + 2 >= sizeof c->rel) {
			close(sfd);
			close(dfd);
			return berth__err(BERTH_EINVAL, "%s: %s%s: path too long", c->what, c->rel, name);
		}
		if (have && is_opaque(sfd))
			r = clear_dir(c, dfd);
		else
			r = 0;
		if (r == 0) {
			memcpy(c->rel + len, name, nl);
			c->rel[len + nl] = '/';
			c->rel[len + nl + 1] = '\0';
			r = merge_dir(c, sfd, dfd);
			c->rel[len] = '\0';
		}
		if (r == 0 && (r = copy_xattrs(c, sfd, dfd, name)) == 0)
			r = set_attrs(c, dst, name, dfd, &st);
		close(sfd);
		close(dfd);
		return r;
	}
	/* anything else replaces what is there */
	if (have && (r = berth__rm_at(dst, name)) < 0)
		return cerr(c, -r, name, "remove");
	if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
		link_ent *l = link_find(c, &st);
		struct stat cst;
		/* unless a later layer replaced the first copy meanwhile */
		if (l && fstatat(c->dst_root, l->rel, &cst, AT_SYMLINK_NOFOLLOW) == 0 && cst.st_dev == l->copy_dev &&
		    cst.st_ino == l->copy_ino && linkat(c->dst_root, l->rel, dst, name, 0) == 0)
			return 0;
	}
	if (S_ISREG(st.st_mode)) {
		int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return cerr(c, errno, name, "open");
		int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0) {
			r = cerr(c, errno, name, "create");
			close(in);
			return r;
		}
		r = copy_data(c, in, out, name);
		if (r == 0 && (r = copy_xattrs(c, in, out, name)) == 0)
			r = set_attrs(c, dst, name, out, &st);
		close(in);
		close(out);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4097];
		ssize_t n = readlinkat(src, name, target, sizeof target - 1);
		if (n < 0)
			return cerr(c, errno, name, "read the symlink");
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return cerr(c, errno, name, "create the symlink");
		r = set_attrs(c, dst, name, -1, &st);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
		if (mknodat(dst, name, st.st_mode & (S_IFMT | 0777), st.st_rdev) < 0)
			return cerr(c, errno, name, "create the node");
		r = set_attrs(c, dst, name, -1, &st);
	} else
		return 0; /* sockets are not copied */
	if (r == 0 && st.st_nlink > 1)
		link_note(c, &st, dst, name);
	return r;
}

static int merge_dir(copier *c, int src, int dst)
{
	DIR *d = berth__fdopendir(dup(src));
	if (!d)
		return cerr(c, errno, NULL, "read");
	struct dirent *de;
	int r = 0;
	errno = 0;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = apply_entry(c, src, dst, de->d_name);
	}
	closedir(d);
	return r;
}

/* In one layer, what is at sub (a relative path, "" for the root)? The parent
 * directories are walked without following symlinks. Returns 1 with *out an
 * open dir fd when it is a directory, 0 when the layer has nothing there
 * (lower content shows through), 2 when the layer hides the lower content
 * (a whiteout, an opaque parent or a non-directory on the way). With *opaque
 * set when the directory itself is opaque. */
static int layer_lookup(int *out, int *opaque, const char *layer, const char *sub, const char *what)
{
	*out = -1;
	*opaque = 0;
	int fd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth__err_sys(errno, "%s: open the layer %s", what, layer);
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", sub);
	int hidden = 0;
	for (char *save = NULL, *comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		struct stat st;
		if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			close(fd);
			return hidden ? 2 : 0;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			return 2; /* a whiteout, a file or a symlink hides what is below */
		}
		int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return berth__err_sys(errno, "%s: open %s in the layer %s", what, sub, layer);
		fd = nfd;
		if (is_opaque(fd))
			hidden = 1; /* below here only this layer's content counts */
	}
	*opaque = hidden;
	*out = fd;
	return 1;
}

int berth__layers_copy(int dst, char *const *layers, size_t n, const char *sub, int *out_found, const char *what)
{
	copier c = { .dst_root = dst, .what = what };
	int r = 0, found = 0;
	struct stat top;
	if (!sub)
		sub = "";
	while (*sub == '/')
		sub++;
	for (size_t i = 0; r == 0 && i < n; i++) {
		int sfd, opaque;
		int k = layer_lookup(&sfd, &opaque, layers[i], sub, what);
		if (k < 0) {
			r = k;
			break;
		}
		if (k == 0)
			continue;
		if ((k == 2 || opaque) && found)
			r = clear_dir(&c, dst);
		if (k == 2) {
			found = 0;
			continue;
		}
		found = 1;
		if (r == 0 && fstat(sfd, &top) < 0)
			r = berth__err_sys(errno, "%s: stat %s in the layer %s", what, sub, layers[i]);
		if (r == 0)
			r = merge_dir(&c, sfd, dst);
		if (r == 0)
			r = copy_xattrs(&c, sfd, dst, ".");
		close(sfd);
	}
	/* the root takes the owner and mode of the topmost directory (as Docker
	 * gives a volume those of the image's directory) */
	if (r == 0 && found)
		r = set_attrs(&c, dst, ".", dst, &top);
	for (size_t i = 0; i < c.n_links; i++)
		free(c.links[i].rel);
	free(c.links);
	if (out_found)
		*out_found = found;
	return r;
}
