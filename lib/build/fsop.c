/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The filesystem steps of a build: COPY, ADD and WORKDIR's mkdir.
 *
 * They run in a forked child in a mount namespace of its own (nothing is
 * mounted on the host, nothing to unmount when it dies): the stage's layers
 * plus the step's upper directory are mounted as an overlay, the child
 * chroots into it (so destination paths and the image's symlinks resolve
 * inside the image) and copies from the source root opened before: the
 * build context (.dockerignore applied; every source path resolved inside
 * the context with openat2 RESOLVE_IN_ROOT) or another stage's layers
 * (COPY --from), mounted read-only. The upper directory then holds exactly
 * the step's changes in overlay form: the layer.
 *
 * The child reports an error as "<code> <message>" on a pipe and exits 1. */
#include "build/build_internal.h"
#include "image/unpack.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* --- sources: patterns expanded against a source root --- */

typedef struct srclist {
	char **v;
	size_t n, cap;
} srclist;

static int sl_add(srclist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 16;
		char **nv = realloc(l->v, c * sizeof *nv);
		if (!nv)
			return berth__err_nomem();
		l->v = nv;
		l->cap = c;
	}
	if (!(l->v[l->n] = berth__strdup(s)))
		return BERTH_ENOMEM;
	l->n++;
	return 0;
}

static void sl_free(srclist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int count_components(const char *p)
{
	int n = 1;
	for (; *p; p++)
		if (*p == '/')
			n++;
	return n;
}

/* Walks dirfd (rel its path) to depth, adding paths the pattern matches. */
static int glob_walk(srclist *out, int dfd, char *rel, size_t rlen, int depth, const char *pat, const bd_ignore *ig)
{
	DIR *d = berth__fdopendir(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!d)
		return 0;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t nl = strlen(de->d_name);
		if (rlen + nl + 2 >= 4096)
			continue;
		size_t nr = rlen;
		if (rlen)
			rel[nr++] = '/';
		memcpy(rel + nr, de->d_name, nl + 1);
		if (!(ig && berth__ignore_match(ig, rel))) {
			if (berth__glob_match(pat, rel, 1))
				r = sl_add(out, rel);
			else if (depth > 1 && de->d_type == DT_DIR) {
				int sub = openat(dfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0) {
					r = glob_walk(out, sub, rel, nr + nl, depth - 1, pat, ig);
					close(sub);
				}
			}
		}
		rel[rlen] = '\0';
	}
	closedir(d);
	return r;
}

/* Expands the source patterns (cleaned, relative) against root. */
static int expand_sources(srclist *out, int root, char *const *srcs, size_t n, const bd_ignore *ig, const char *what)
{
	memset(out, 0, sizeof *out);
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *p = srcs[i];
		if (!has_wildcard(p)) {
			int fd = berth__open_in_root(root, p, O_PATH);
			if (fd < 0 || (ig && strcmp(p, ".") && berth__ignore_match(ig, p))) {
				if (fd >= 0)
					close(fd);
				r = berth__err(BERTH_ENOTFOUND, "%s: source '%s': file not found in build context or excluded by "
				               ".dockerignore", what, p);
				break;
			}
			close(fd);
			r = sl_add(out, p);
			continue;
		}
		char rel[4096] = "";
		size_t before = out->n;
		r = glob_walk(out, root, rel, 0, count_components(p), p, ig);
		if (r == 0 && out->n == before)
			r = berth__err(BERTH_ENOTFOUND, "%s: source '%s': no source files were specified (nothing matches)", what, p);
	}
	if (r < 0)
		sl_free(out);
	return r;
}

/* --- the content hash of context sources (the cache key of COPY/ADD) --- */

static void hash_str(berth__sha256_ctx *c, const char *s)
{
	berth__sha256_update(c, s, strlen(s) + 1);
}

static int hash_tree(berth__sha256_ctx *c, int dfd, const char *name, char *rel, size_t rlen, const bd_ignore *ig,
                     int top, const char *what)
{
	struct stat st;
	/* the source itself (top) is resolved inside the context: dfd is its root */
	if (top) {
		int pf = berth__open_in_root(dfd, name, O_PATH);
		int ok = pf >= 0 && fstat(pf, &st) == 0;
		int e = errno;
		if (pf >= 0)
			close(pf);
		if (!ok)
			return berth__err_sys(e, "%s: stat %s", what, rel);
	} else if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth__err_sys(errno, "%s: stat %s", what, rel);
	char meta[128];
	snprintf(meta, sizeof meta, "%o %lld", (unsigned)st.st_mode, S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL);
	hash_str(c, rel);
	hash_str(c, meta);
	if (S_ISLNK(st.st_mode)) {
		char t[4096];
		ssize_t k = readlinkat(dfd, name, t, sizeof t - 1);
		if (k >= 0) {
			t[k] = '\0';
			hash_str(c, t);
		}
	} else if (S_ISREG(st.st_mode)) {
		int fd = top ? berth__open_in_root(dfd, name, O_RDONLY) : openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return berth__err_sys(errno, "%s: open %s", what, rel);
		char buf[65536];
		ssize_t k;
		while ((k = read(fd, buf, sizeof buf)) > 0)
			berth__sha256_update(c, buf, (size_t)k);
		int e = errno;
		close(fd);
		if (k < 0)
			return berth__err_sys(e, "%s: read %s", what, rel);
	} else if (S_ISDIR(st.st_mode)) {
		int fd = top ? berth__open_in_root(dfd, name, O_RDONLY | O_DIRECTORY)
		             : openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return berth__err_sys(errno, "%s: open %s", what, rel);
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return berth__err_sys(errno, "%s: read %s", what, rel);
		}
		char **names = NULL;
		size_t n = 0;
		int r = berth__dir_names(&names, &n, d);
		for (size_t i = 0; r == 0 && i < n; i++) {
			size_t nl = strlen(names[i]);
			if (rlen + nl + 2 >= 4096)
				continue;
			size_t nr = rlen;
			if (rlen && strcmp(rel, "."))
				rel[nr++] = '/';
			else
				nr = 0;
			char save[4096];
			memcpy(save, rel, rlen + 1);
			memcpy(rel + nr, names[i], nl + 1);
			if (!(ig && berth__ignore_match(ig, rel) && !berth__ignore_dir_has_exceptions(ig, rel)))
				r = hash_tree(c, dirfd(d), names[i], rel, nr + nl, ig, 0, what);
			memcpy(rel, save, rlen + 1);
		}
		free(names);
		closedir(d);
		return r;
	}
	return 0;
}

int berth__bd_hash_sources(char hex[65], const char *ctx_dir, const bd_ignore *ig, char *const *srcs, size_t n,
                           const char *what)
{
	int root = open(ctx_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return berth__err_sys(errno, "%s: build context %s", what, ctx_dir);
	srclist l;
	int r = expand_sources(&l, root, srcs, n, ig, what);
	if (r < 0) {
		close(root);
		return r;
	}
	berth__sha256_ctx c;
	berth__sha256_init(&c);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		char rel[4096];
		snprintf(rel, sizeof rel, "%s", l.v[i]);
		hash_str(&c, "--src");
		r = hash_tree(&c, root, l.v[i], rel, strlen(rel), ig, 1, what);
	}
	berth__sha256_final_hex(&c, hex);
	sl_free(&l);
	close(root);
	return r;
}

/* --- the child: copying inside the chroot --- */

typedef struct cctx {
	const bd_fsop *op;
	uid_t uid;
	gid_t gid;
	int chown;
} cctx;

static int set_meta(cctx *c, int fd, const char *path, const struct stat *st, int is_link)
{
	uid_t u = c->chown ? c->uid : (c->op->keep_owner ? st->st_uid : 0);
	gid_t g = c->chown ? c->gid : (c->op->keep_owner ? st->st_gid : 0);
	if (is_link) {
		if (lchown(path, u, g) < 0)
			return berth__err_sys(errno, "%s: chown %s", c->op->what, path);
		struct timespec ts[2] = { st->st_atim, st->st_mtim };
		utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	mode_t mode = c->op->chmod >= 0 ? (mode_t)c->op->chmod : (st->st_mode & 07777);
	if (fchown(fd, u, g) < 0 || fchmod(fd, mode) < 0)
		return berth__err_sys(errno, "%s: set owner and mode of %s", c->op->what, path);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	futimens(fd, ts);
	return 0;
}

/* Removes whatever is at path unless it is a directory and keep_dir. */
static int clear_path(const char *path, int keep_dir, const char *what)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berth__err_sys(errno, "%s: stat %s", what, path);
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 0;
		int r = berth__rm_at(AT_FDCWD, path);
		return r < 0 ? berth__err_sys(-r, "%s: remove %s", what, path) : 0;
	}
	if (unlink(path) < 0)
		return berth__err_sys(errno, "%s: remove %s", what, path);
	return 0;
}

/* mkdir -p inside the chroot; created directories get the owner. */
static int mkdirs(cctx *c, const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char save = *p;
		*p = '\0';
		struct stat st;
		if (stat(buf, &st) < 0) {
			if (errno != ENOENT || mkdir(buf, 0755) < 0)
				return berth__err_sys(errno, "%s: mkdir %s", c->op->what, buf);
			if (c->chown && chown(buf, c->uid, c->gid) < 0)
				return berth__err_sys(errno, "%s: chown %s", c->op->what, buf);
		} else if (!S_ISDIR(st.st_mode))
			return berth__err(BERTH_EINVAL, "%s: %s is not a directory", c->op->what, buf);
		*p = save;
		if (!save)
			break;
	}
	return 0;
}

static int copy_node(cctx *c, int sdir, const char *name, const char *dst, int follow);

/* A regular file's content and metadata from in to dst (replaced). */
static int copy_reg(cctx *c, int in, const struct stat *st, const char *dst)
{
	const char *what = c->op->what;
	int r = clear_path(dst, 0, what);
	if (r < 0)
		return r;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berth__err_sys(errno, "%s: create %s", what, dst);
	off_t left = st->st_size;
	while (left > 0) {
		ssize_t k = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (k < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			char buf[65536];
			k = read(in, buf, sizeof buf);
			if (k > 0 && write(out, buf, (size_t)k) != k)
				k = -1;
		}
		if (k < 0) {
			r = berth__err_sys(errno, "%s: copy %s", what, dst);
			break;
		}
		if (k == 0)
			break;
		left -= k;
	}
	if (r == 0)
		r = set_meta(c, out, dst, st, 0);
	close(out);
	return r;
}

static int copy_dir_contents(cctx *c, int sfd, const char *dst, char *rel, size_t rlen)
{
	DIR *d = fdopendir(sfd);
	if (!d) {
		close(sfd);
		return berth__err_sys(errno, "%s: read directory %s", c->op->what, rel);
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char crel[4096], cdst[4096];
		if (rlen && strcmp(rel, "."))
			snprintf(crel, sizeof crel, "%s/%s", rel, de->d_name);
		else
			snprintf(crel, sizeof crel, "%s", de->d_name);
		if (c->op->ignore && berth__ignore_match(c->op->ignore, crel)) {
			if (de->d_type != DT_DIR || !berth__ignore_dir_has_exceptions(c->op->ignore, crel))
				continue;
		}
		snprintf(cdst, sizeof cdst, "%s%s%s", dst, dst[strlen(dst) - 1] == '/' ? "" : "/", de->d_name);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = berth__err_sys(errno, "%s: stat %s", c->op->what, crel);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((r = clear_path(cdst, 1, c->op->what)) < 0)
				break;
			if (mkdir(cdst, 0755) < 0 && errno != EEXIST) {
				r = berth__err_sys(errno, "%s: mkdir %s", c->op->what, cdst);
				break;
			}
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = berth__err_sys(errno, "%s: open %s", c->op->what, crel);
				break;
			}
			if ((r = copy_dir_contents(c, sub, cdst, crel, strlen(crel))) < 0)
				break;
			int dfd = open(cdst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd >= 0) {
				r = set_meta(c, dfd, cdst, &st, 0);
				close(dfd);
			}
		} else
			r = copy_node(c, dirfd(d), de->d_name, cdst, 0);
	}
	closedir(d);
	return r;
}

/* Copies one non-directory (or, with follow, the directory's contents) name in sdir to dst. */
static int copy_node(cctx *c, int sdir, const char *name, const char *dst, int follow)
{
	const char *what = c->op->what;
	struct stat st;
	if (fstatat(sdir, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return berth__err_sys(errno, "%s: stat %s", what, name);
	int r;
	if ((r = clear_path(dst, 0, what)) < 0)
		return r;
	if (S_ISREG(st.st_mode)) {
		int in = openat(sdir, name, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
		if (in < 0)
			return berth__err_sys(errno, "%s: open %s", what, name);
		r = copy_reg(c, in, &st, dst);
		close(in);
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		char t[4096];
		ssize_t k = readlinkat(sdir, name, t, sizeof t - 1);
		if (k < 0)
			return berth__err_sys(errno, "%s: readlink %s", what, name);
		t[k] = '\0';
		if (symlink(t, dst) < 0)
			return berth__err_sys(errno, "%s: symlink %s", what, dst);
		return set_meta(c, -1, dst, &st, 1);
	}
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		if (mknod(dst, st.st_mode, st.st_rdev) < 0)
			return berth__err_sys(errno, "%s: mknod %s", what, dst);
		uid_t u = c->chown ? c->uid : (c->op->keep_owner ? st.st_uid : 0);
		gid_t g = c->chown ? c->gid : (c->op->keep_owner ? st.st_gid : 0);
		if (lchown(dst, u, g) < 0)
			return berth__err_sys(errno, "%s: chown %s", what, dst);
		return 0;
	}
	return 0; /* sockets are skipped */
}

/* uid/gid of "user[:group]" from the chroot's /etc/passwd and /etc/group. */
static int resolve_chown(cctx *c, const char *spec)
{
	static char *const root[] = { (char *)"/" };
	uint32_t uid, gid;
	if (berth__user_resolve(&uid, &gid, root, 1, spec, BERTH__USER_CHOWN) < 0)
		return berth__err_prefix("%s: --chown", c->op->what);
	c->uid = (uid_t)uid;
	c->gid = (gid_t)gid;
	c->chown = 1;
	return 0;
}

static int child_work(const bd_fsop *op, int srcroot)
{
	cctx c = { .op = op };
	int r;
	if (op->chown && (r = resolve_chown(&c, op->chown)) < 0)
		return r;
	if (op->kind == BD_MKDIR)
		return mkdirs(&c, op->dest);
	srclist l;
	if ((r = expand_sources(&l, srcroot, op->srcs, op->nsrcs, op->ignore, op->what)) < 0)
		return r;
	int multi = l.n > 1 || has_wildcard(op->srcs[0]) || op->nsrcs > 1;
	if (multi && !op->dest_dir) {
		sl_free(&l);
		return berth__err(BERTH_EINVAL, "%s: with more than one source file the destination must be a directory and "
		                  "end with a /", op->what);
	}
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		const char *rel = l.v[i];
		char parent[4096];
		const char *base = rel;
		const char *slash = strrchr(rel, '/');
		int pfd = srcroot, own = 0;
		if (slash) {
			snprintf(parent, sizeof parent, "%.*s", (int)(slash - rel), rel);
			base = slash + 1;
			if ((pfd = berth__open_in_root(srcroot, parent, O_PATH | O_DIRECTORY)) < 0) {
				r = berth__err_sys(errno, "%s: source %s", op->what, rel);
				break;
			}
			own = 1;
		} else if (!strcmp(rel, ".")) {
			base = ".";
		}
		struct stat st;
		/* the source itself is followed if it is a symlink, resolved inside the source root */
		int sfd = berth__open_in_root(srcroot, rel, O_PATH);
		if (sfd < 0 || fstat(sfd, &st) < 0) {
			r = berth__err_sys(errno, "%s: source %s", op->what, rel);
			if (sfd >= 0)
				close(sfd);
			if (own)
				close(pfd);
			break;
		}
		char dst[4096];
		int into = op->dest_dir || multi;
		if (!into && !S_ISDIR(st.st_mode)) {
			struct stat dt;
			if (stat(op->dest, &dt) == 0 && S_ISDIR(dt.st_mode))
				into = 1;
		}
		if (S_ISDIR(st.st_mode))
			snprintf(dst, sizeof dst, "%s", op->dest);
		else if (into)
			snprintf(dst, sizeof dst, "%s%s%s", op->dest, op->dest[strlen(op->dest) - 1] == '/' ? "" : "/",
			         strrchr(base, '/') ? strrchr(base, '/') + 1 : base);
		else
			snprintf(dst, sizeof dst, "%s", op->dest);
		/* parents of the destination */
		char dparent[4096];
		snprintf(dparent, sizeof dparent, "%s", dst);
		char *ds = strrchr(dparent, '/');
		if (ds && ds != dparent) {
			*ds = '\0';
			r = mkdirs(&c, dparent);
		}
		if (r == 0 && op->kind == BD_ADD && S_ISREG(st.st_mode)) {
			int fd = berth__open_in_root(srcroot, rel, O_RDONLY);
			int tar = fd >= 0 ? berth__archive_is_tar(fd, BERTH__UNPACK_ADD_FILTERS, op->what) : 0;
			if (tar != 0) {
				/* ADD of a local tar (plain, gzip, bzip2, xz, zstd): unpacked
				 * into the destination directory, confined to it */
				if ((r = tar) > 0 && (r = mkdirs(&c, op->dest)) == 0) {
					int dfd = open(op->dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
					if (dfd < 0)
						r = berth__err_sys(errno, "%s: open %s", op->what, op->dest);
					else {
						r = berth__layer_unpack_fd(dfd, fd, BERTH__UNPACK_ADD_FILTERS | BERTH__UNPACK_PLAIN,
							NULL, op->what);
						close(dfd);
					}
				}
				close(fd);
				close(sfd);
				if (own)
					close(pfd);
				continue;
			}
			if (fd >= 0)
				close(fd);
		}
		if (r == 0) {
			if (S_ISDIR(st.st_mode)) {
				int dfd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				if (dfd < 0)
					r = berth__err_sys(errno, "%s: open %s", op->what, rel);
				else if ((r = clear_path(dst, 1, op->what)) == 0 && (r = mkdirs(&c, dst)) == 0)
					r = copy_dir_contents(&c, dfd, dst, (char *)rel, strcmp(rel, ".") ? strlen(rel) : 0);
				else
					close(dfd);
			} else if (S_ISREG(st.st_mode)) {
				int in = berth__open_in_root(srcroot, rel, O_RDONLY);
				if (in < 0)
					r = berth__err_sys(errno, "%s: open %s", op->what, rel);
				else {
					r = copy_reg(&c, in, &st, dst);
					close(in);
				}
			} else
				r = berth__err(BERTH_EINVAL, "%s: source %s: not a regular file or directory", op->what, rel);
		}
		close(sfd);
		if (own)
			close(pfd);
	}
	sl_free(&l);
	return r;
}

static const char *const overlay_opts[] = BD_OVERLAY_OPTV;

/* An overlay of dirs (lowest first; none: the empty dir) for a step; 1 (an
 * error) when overlayfs cannot be used here. */
static int step_overlay(int *out, char *const *dirs, size_t n, const char *empty, const char *upper,
                        const char *work, const char *what)
{
	char *const one[1] = { (char *)empty };
	int r = berth__overlay_mount(out, n ? dirs : one, n ? n : 1, upper, work, upper ? overlay_opts : NULL, what);
	return r == 1 ? BERTH_EUNSUPPORTED : r; /* the builder has no copy fallback: the error state says why */
}

int berth__bd_fsop(const bd_fsop *op)
{
	char merged[4200], srcmnt[4200], empty[4200];
	snprintf(merged, sizeof merged, "%s/merged", op->tmp);
	snprintf(srcmnt, sizeof srcmnt, "%s/src", op->tmp);
	snprintf(empty, sizeof empty, "%s/empty", op->tmp);
	int r;
	if ((mkdir(merged, 0755) < 0 && errno != EEXIST) || (mkdir(srcmnt, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(empty, 0755) < 0 && errno != EEXIST))
		return berth__err_sys(errno, "%s: mkdir in %s", op->what, op->tmp);
	/* the overlays are made here (detached mounts: nothing on the host) and
	 * attached by the child in its own mount namespace */
	int mfd = -1, sfd = -1;
	if ((r = step_overlay(&mfd, op->lower, op->nlower, empty, op->upper, op->work, op->what)) < 0)
		return r;
	if (!op->src_dir && op->src_layers && op->nsrc_layers > 1 &&
	    (r = step_overlay(&sfd, op->src_layers, op->nsrc_layers, empty, NULL, NULL, op->what)) < 0) {
		close(mfd);
		return r;
	}
	/* libarchive is loaded here, before the chroot: the child could not find
	 * it in the image (ADD of a tar failed with "out of memory") */
	if (op->kind == BD_ADD)
		(void)berth__archive_error();
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = berth__err_sys(errno, "%s: pipe", op->what);
		close(mfd);
		if (sfd >= 0)
			close(sfd);
		return r;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = berth__err_sys(errno, "%s: fork", op->what);
		close(pfd[0]);
		close(pfd[1]);
		close(mfd);
		if (sfd >= 0)
			close(sfd);
		return r;
	}
	if (pid == 0) {
		close(pfd[0]);
		int code = 0;
		const char *step = "";
		int srcroot = -1;
		if (unshare(CLONE_NEWNS) < 0) {
			step = "unshare the mount namespace";
			goto sys;
		}
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			step = "make / private";
			goto sys;
		}
		if (move_mount(mfd, "", AT_FDCWD, merged, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			step = "mount the stage's overlay";
			goto sys;
		}
		if (op->src_dir) {
			srcroot = open(op->src_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		} else if (op->src_layers) {
			const char *sroot = empty;
			if (op->nsrc_layers == 1)
				sroot = op->src_layers[0];
			else if (op->nsrc_layers > 1) {
				if (move_mount(sfd, "", AT_FDCWD, srcmnt, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
					step = "mount the source stage's layers";
					goto sys;
				}
				sroot = srcmnt;
			}
			srcroot = open(sroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
		} else
			srcroot = open(empty, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (srcroot < 0) {
			step = "open the source";
			goto sys;
		}
		if (chdir(merged) < 0 || chroot(".") < 0 || chdir("/") < 0) {
			step = "chroot into the stage";
			goto sys;
		}
		umask(0);
		if ((r = child_work(op, srcroot)) < 0) {
			const berth_error *e = berth_error_last();
			dprintf(pfd[1], "%d %s", r, e && e->message ? e->message : "failed");
			_exit(1);
		}
		_exit(0);
	sys:
		code = errno;
		dprintf(pfd[1], "%d %s: %s: %s", BERTH_ESYS, op->what, step, strerror(code));
		_exit(1);
	}
	close(pfd[1]);
	close(mfd);
	if (sfd >= 0)
		close(sfd);
	char msg[2048];
	size_t n = 0;
	for (;;) {
		ssize_t k = read(pfd[0], msg + n, sizeof msg - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n >= sizeof msg - 1)
			break;
	}
	msg[n] = '\0';
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	int code = BERTH_ESYS;
	char *sp = strchr(msg, ' ');
	if (sp && n) {
		code = atoi(msg);
		if (code >= 0)
			code = BERTH_ESYS;
		return berth__err(code, "%s", sp + 1);
	}
	return berth__err(BERTH_ESYS, "%s: the copying process failed (status %d)", op->what, st);
}
