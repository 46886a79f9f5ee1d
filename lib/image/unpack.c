/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Layer extraction into an overlayfs lower dir, confined to a directory fd
 * with openat2(RESOLVE_IN_ROOT). See unpack.h for the contract. */
#include "image/unpack.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

#define KNOWN_FLAGS (BERTH__UNPACK_NO_DEVICES | BERTH__UNPACK_NO_CHOWN | BERTH__UNPACK_ADD_FILTERS | BERTH__UNPACK_PLAIN)

/* A directory whose mode and times are applied after everything else. */
typedef struct dirfix {
	char *path; /* normalised, relative to the root */
	size_t seq; /* order of the entry in the layer */
	dev_t dev;
	ino_t ino;
	mode_t mode;
	struct timespec ts[2];
} dirfix;

typedef struct unpacker {
	int root;
	unsigned flags;
	const char *what;
	const char *entry; /* raw name of the current entry (messages), or NULL */
	berth__unpack_stats st;
	dirfix *fix;
	size_t nfix, capfix;
} unpacker;

/* --- messages --- */

/* The name as it appears in messages: control bytes as '?', long names cut. */
static void quote_name(char *buf, size_t len, const char *s)
{
	size_t j = 0;
	for (size_t i = 0; s && s[i]; i++) {
		if (j + 4 >= len) {
			memcpy(buf + j, "...", 3);
			j += 3;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		buf[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[j] = '\0';
}

/* code 0: derived from errnum (berth__err_sys). Otherwise code, with
 * strerror(errnum) appended when errnum is set. */
BERTH_PRINTF(4, 5)
static int fail(const unpacker *u, int code, int errnum, const char *fmt, ...)
{
	char msg[600], name[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++) /* names from the layer may hold control bytes */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (errnum && code != 0) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof msg - n, ": %s", strerror(errnum));
	}
	if (!u->entry) {
		if (code == 0)
			return berth__err_sys(errnum, "%s: %s", u->what, msg);
		return berth__err(code, "%s: %s", u->what, msg);
	}
	quote_name(name, sizeof name, u->entry);
	if (code == 0)
		return berth__err_sys(errnum, "%s: entry '%s': %s", u->what, name, msg);
	return berth__err(code, "%s: entry '%s': %s", u->what, name, msg);
}

/* fail() is variadic, so never inlined: berth__neg() tells the caller's
 * compiler that the result is negative (lib/internal.h) */
#define BAD(u, ...) berth__neg(fail((u), BERTH_EINVAL, 0, __VA_ARGS__))
#define BADE(u, e, ...) berth__neg(fail((u), BERTH_EINVAL, (e), __VA_ARGS__))
#define SYS(u, e, ...) berth__neg(fail((u), 0, (e), __VA_ARGS__))

/* libarchive's private errno values on Linux (archive_private.h) */
#define LA_ERRNO_FILE_FORMAT EILSEQ
#define LA_ERRNO_PROGRAMMER EINVAL

/* libarchive's error: format problems are EINVAL, system errors keep errno. */
static int archive_fail(const unpacker *u, struct archive *a, const char *doing)
{
	const char *m = archive_error_string(a);
	int en = archive_errno(a);
	if (!m)
		m = "unknown error";
	if (en == ENOMEM)
		return fail(u, BERTH_ENOMEM, 0, "%s: %s", doing, m);
	if (en > 0 && en != LA_ERRNO_FILE_FORMAT && en != LA_ERRNO_PROGRAMMER)
		return fail(u, 0, en, "%s: %s", doing, m);
	return fail(u, BERTH_EINVAL, 0, "%s: %s", doing, m);
}

/* --- paths --- */

/* Normalises a tar name into out: leading "/" and "./", empty and "."
 * components and trailing slashes are dropped. "" is the root. Returns 0, -1
 * for a ".." component, -2 if too long. */
static int normalize(char *out, size_t len, const char *in)
{
	size_t o = 0;
	const char *p = in;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *q = p;
		while (*q && *q != '/')
			q++;
		size_t n = (size_t)(q - p);
		if (n == 1 && p[0] == '.') {
			p = q;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (o + (o ? 1 : 0) + n + 1 > len)
			return -2;
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		p = q;
	}
	out[o] = '\0';
	return 0;
}

/* Splits a normalised non-empty path into parent (PATH_MAX buffer, "" for the
 * root) and base (points into path). */
static const char *split_path(const char *path, char *parent)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		parent[0] = '\0';
		return path;
	}
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	return slash + 1;
}

/* Opens (O_PATH) the directory path, resolved inside the root. With create,
 * missing components are created (0755), each one relative to its resolved
 * parent, so a symlink met on the way is still resolved inside the root. */
static int open_dir(unpacker *u, const char *path, int create, int *out)
{
	int fd = berth__open_in_root(u->root, path, O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (errno != ENOENT || !create)
		return BADE(u, errno, "cannot resolve directory '/%s' inside the layer", path);

	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	int cur = berth__open_in_root(u->root, "", O_PATH | O_DIRECTORY);
	if (cur < 0)
		return SYS(u, errno, "open the layer directory");
	char *p = buf;
	for (;;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		int next = berth__open_in_root(u->root, buf, O_PATH | O_DIRECTORY);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(cur, p, 0755) == 0) {
				/* exactly 0755 whatever the umask */
				int d = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (d < 0 || fchmod(d, 0755) < 0) {
					int e = errno;
					if (d >= 0)
						close(d);
					close(cur);
					return SYS(u, e, "create directory '/%s'", buf);
				}
				close(d);
			} else if (errno != EEXIST) {
				int e = errno;
				close(cur);
				return SYS(u, e, "create directory '/%s'", buf);
			}
			/* EEXIST: a dangling symlink (resolves to nothing inside) or a race */
			next = berth__open_in_root(u->root, buf, O_PATH | O_DIRECTORY);
		}
		if (next < 0) {
			int e = errno;
			close(cur);
			return BADE(u, e, "cannot resolve directory '/%s' inside the layer", buf);
		}
		close(cur);
		cur = next;
		if (!slash)
			break;
		*slash = '/';
		p = slash + 1;
	}
	*out = cur;
	return 0;
}

/* Makes room for a new node name in pfd. An existing directory is kept when
 * keep_dir (returns 1); anything else there is removed, without following
 * symlinks (returns 0). Negative: error set. */
static int make_room(unpacker *u, int pfd, const char *name, int keep_dir, const char *path)
{
	struct stat st;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return SYS(u, errno, "stat '/%s'", path);
	}
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 1;
		int r = berth__rm_at(pfd, name); /* never follows symlinks, never crosses mounts */
		if (r < 0)
			return SYS(u, -r, "remove the existing directory '/%s'", path);
		return 0;
	}
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
		return SYS(u, errno, "remove the existing '/%s'", path);
	return 0;
}

/* --- metadata --- */

static int entry_owner(unpacker *u, struct archive_entry *e, uid_t *uid, gid_t *gid)
{
	la_int64_t ui = archive_entry_uid(e), gi = archive_entry_gid(e);
	if (ui < 0 || ui >= (la_int64_t)UINT32_MAX || gi < 0 || gi >= (la_int64_t)UINT32_MAX)
		return BAD(u, "invalid owner %lld:%lld", (long long)ui, (long long)gi);
	*uid = (uid_t)ui;
	*gid = (gid_t)gi;
	return 0;
}

/* The entry's numeric owner on fd (unless BERTH__UNPACK_NO_CHOWN). */
static int chown_fd(unpacker *u, struct archive_entry *e, int fd)
{
	if (u->flags & BERTH__UNPACK_NO_CHOWN)
		return 0;
	uid_t uid;
	gid_t gid;
	int r = entry_owner(u, e, &uid, &gid);
	if (r < 0)
		return r;
	if (fchown(fd, uid, gid) < 0)
		return SYS(u, errno, "chown");
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	if (archive_entry_mtime_is_set(e)) {
		ts[1].tv_sec = archive_entry_mtime(e);
		long ns = archive_entry_mtime_nsec(e);
		ts[1].tv_nsec = ns >= 0 && ns < 1000000000L ? ns : 0;
	} else {
		ts[1].tv_sec = 0;
		ts[1].tv_nsec = UTIME_OMIT;
	}
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		long ns = archive_entry_atime_nsec(e);
		ts[0].tv_nsec = ns >= 0 && ns < 1000000000L ? ns : 0;
	} else {
		ts[0] = ts[1];
	}
}

/* Is this xattr from the tar applied? See unpack.h. */
static int xattr_wanted(const char *key)
{
	if (!strncmp(key, "trusted.overlay.", 16))
		return 0; /* overlay metadata comes from whiteout entries only */
	if (!strncmp(key, "security.", 9))
		return strcmp(key, "security.capability") == 0;
	return 1;
}

/* Applies the entry's xattrs on fd (fd >= 0, a regular file or a directory
 * opened for reading), or on pfd/name without following a final symlink. */
static int apply_xattrs(unpacker *u, struct archive_entry *e, int fd, int pfd, const char *name)
{
	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	const char *key;
	const void *val;
	size_t size;
	char proc[64 + NAME_MAX];
	while (archive_entry_xattr_next(e, &key, &val, &size) == ARCHIVE_OK) {
		if (!key || !*key)
			return BAD(u, "xattr with an empty name");
		if (!xattr_wanted(key))
			continue;
		int r;
		if (fd >= 0) {
			r = fsetxattr(fd, key, val, size, 0);
		} else {
			/* the parent through our own fd, the final component not followed */
			snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", pfd, name);
			r = lsetxattr(proc, key, val, size, 0);
		}
		if (r < 0) {
			char k[120];
			quote_name(k, sizeof k, key);
			return SYS(u, errno, "set xattr %s", k);
		}
	}
	return 0;
}

/* Ownership, mode, xattrs, times for a node that cannot be opened (symlink,
 * device, fifo). Mode not applied to symlinks. */
static int meta_at(unpacker *u, struct archive_entry *e, int pfd, const char *name, int is_link)
{
	if (!(u->flags & BERTH__UNPACK_NO_CHOWN)) {
		uid_t uid;
		gid_t gid;
		int r = entry_owner(u, e, &uid, &gid);
		if (r < 0)
			return r;
		if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return SYS(u, errno, "chown");
	}
	if (!is_link && fchmodat(pfd, name, archive_entry_perm(e) & 07777, AT_SYMLINK_NOFOLLOW) < 0)
		return SYS(u, errno, "chmod");
	int r = apply_xattrs(u, e, -1, pfd, name);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return SYS(u, errno, "set times");
	return 0;
}

/* --- entry kinds --- */

static int write_all_at(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int do_file(unpacker *u, struct archive *a, struct archive_entry *e, int pfd,
	const char *name, const char *path)
{
	int r = make_room(u, pfd, name, 0, path);
	if (r < 0)
		return r;
	/* O_EXCL|O_NOFOLLOW: a new inode, never an existing file or symlink */
	int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return SYS(u, errno, "create");
	int64_t end = 0;
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int ar = archive_read_data_block(a, &buf, &len, &off);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			r = archive_fail(u, a, "read");
			goto out;
		}
		if (off < 0 || (uint64_t)off > (uint64_t)INT64_MAX - len) {
			r = BAD(u, "invalid data offset");
			goto out;
		}
		int w = write_all_at(fd, buf, len, (off_t)off);
		if (w < 0) {
			r = SYS(u, -w, "write");
			goto out;
		}
		u->st.bytes += len;
		if ((int64_t)(off + (la_int64_t)len) > end)
			end = off + (la_int64_t)len;
	}
	/* a sparse file may end with a hole */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > end &&
	    ftruncate(fd, (off_t)archive_entry_size(e)) < 0) {
		r = SYS(u, errno, "set the size");
		goto out;
	}
	/* chown before chmod (chown clears setuid/setgid), xattrs after chown
	 * (chown clears security.capability) */
	if ((r = chown_fd(u, e, fd)) < 0)
		goto out;
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0) {
		r = SYS(u, errno, "chmod");
		goto out;
	}
	if ((r = apply_xattrs(u, e, fd, -1, NULL)) < 0)
		goto out;
	struct timespec ts[2];
	entry_times(e, ts);
	if (futimens(fd, ts) < 0) {
		r = SYS(u, errno, "set times");
		goto out;
	}
	u->st.files++;
	r = 0;
out:
	close(fd);
	return r;
}

static int add_fix(unpacker *u, const char *path, const struct stat *st, mode_t mode,
	const struct timespec ts[2])
{
	if (u->nfix == u->capfix) {
		size_t cap = u->capfix ? u->capfix * 2 : 64;
		dirfix *n = realloc(u->fix, cap * sizeof *n);
		if (!n)
			return berth__err_nomem();
		u->fix = n;
		u->capfix = cap;
	}
	dirfix *f = &u->fix[u->nfix];
	f->path = strdup(path);
	if (!f->path)
		return berth__err_nomem();
	f->seq = u->nfix;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mode = mode;
	f->ts[0] = ts[0];
	f->ts[1] = ts[1];
	u->nfix++;
	return 0;
}

static int do_dir(unpacker *u, struct archive_entry *e, int pfd, const char *name, const char *path)
{
	int r = make_room(u, pfd, name, 1, path);
	if (r < 0)
		return r;
	/* created private; the final mode is applied at the end */
	if (r == 0 && mkdirat(pfd, name, 0700) < 0)
		return SYS(u, errno, "mkdir");
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return SYS(u, errno, "open the directory");
	struct stat st;
	if (fstat(fd, &st) < 0) {
		r = SYS(u, errno, "stat");
		goto out;
	}
	if ((r = chown_fd(u, e, fd)) < 0)
		goto out;
	if ((r = apply_xattrs(u, e, fd, -1, NULL)) < 0)
		goto out;
	struct timespec ts[2];
	entry_times(e, ts);
	if ((r = add_fix(u, path, &st, archive_entry_perm(e) & 07777, ts)) < 0)
		goto out;
	u->st.files++;
	r = 0;
out:
	close(fd);
	return r;
}

static int do_symlink(unpacker *u, struct archive_entry *e, int pfd, const char *name, const char *path)
{
	const char *target = archive_entry_symlink(e);
	if (!target || !*target)
		return BAD(u, "symlink with an empty target");
	int r = make_room(u, pfd, name, 0, path);
	if (r < 0)
		return r;
	/* the target is stored as is: it is only ever resolved inside a root */
	if (symlinkat(target, pfd, name) < 0)
		return SYS(u, errno, "symlink");
	if ((r = meta_at(u, e, pfd, name, 1)) < 0)
		return r;
	u->st.files++;
	return 0;
}

static int do_hardlink(unpacker *u, const char *raw_target, int pfd, const char *name,
	const char *path)
{
	char target[PATH_MAX], tparent[PATH_MAX], tq[240];
	quote_name(tq, sizeof tq, raw_target);
	int n = normalize(target, sizeof target, raw_target);
	if (n == -1)
		return BAD(u, "hardlink target '%s' escapes the layer", tq);
	if (n < 0)
		return BAD(u, "hardlink target '%s' is too long", tq);
	if (!*target)
		return BAD(u, "hardlink target '%s' is the layer root", tq);
	const char *tbase = split_path(target, tparent);
	int tpfd = berth__open_in_root(u->root, tparent, O_PATH | O_DIRECTORY);
	if (tpfd < 0)
		return BADE(u, errno, "hardlink target '%s' does not exist in the layer", tq);
	int r;
	struct stat tst, dst;
	if (fstatat(tpfd, tbase, &tst, AT_SYMLINK_NOFOLLOW) < 0) {
		r = BADE(u, errno, "hardlink target '%s' does not exist in the layer", tq);
		goto out;
	}
	if (S_ISDIR(tst.st_mode)) {
		r = BAD(u, "hardlink target '%s' is a directory", tq);
		goto out;
	}
	if (fstatat(pfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0 && dst.st_dev == tst.st_dev &&
	    dst.st_ino == tst.st_ino) {
		u->st.files++; /* already this inode */
		r = 0;
		goto out;
	}
	if ((r = make_room(u, pfd, name, 0, path)) < 0)
		goto out;
	/* flags 0: a symlink target is linked itself, never followed */
	if (linkat(tpfd, tbase, pfd, name, 0) < 0) {
		int e = errno;
		if (e == ENOENT)
			r = BADE(u, e, "hardlink target '%s' does not exist in the layer", tq);
		else
			r = SYS(u, e, "hardlink to '%s'", tq);
		goto out;
	}
	u->st.files++;
	r = 0;
out:
	close(tpfd);
	return r;
}

static int do_node(unpacker *u, struct archive_entry *e, int pfd, const char *name, const char *path,
	mode_t type)
{
	if ((type == AE_IFCHR || type == AE_IFBLK) && (u->flags & BERTH__UNPACK_NO_DEVICES))
		return 0;
	int r = make_room(u, pfd, name, 0, path);
	if (r < 0)
		return r;
	dev_t dev = 0;
	if (type != AE_IFIFO)
		dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	if (mknodat(pfd, name, (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600,
		    dev) < 0)
		return SYS(u, errno, "mknod");
	if ((r = meta_at(u, e, pfd, name, 0)) < 0)
		return r;
	u->st.files++;
	return 0;
}

static int do_whiteout(unpacker *u, const char *parent, const char *victim)
{
	if (!strcmp(victim, ".") || !strcmp(victim, ".."))
		return BAD(u, "whiteout target escapes the layer");
	if (!*victim)
		return BAD(u, "whiteout with an empty name");
	int pfd, r = open_dir(u, parent, 1, &pfd);
	if (r < 0)
		return r;
	char vpath[PATH_MAX];
	snprintf(vpath, sizeof vpath, "%s%s%s", parent, *parent ? "/" : "", victim);
	if ((r = make_room(u, pfd, victim, 0, vpath)) < 0)
		goto out;
	if (mknodat(pfd, victim, S_IFCHR | 0, makedev(0, 0)) < 0) {
		r = SYS(u, errno, "create the whiteout '/%s'", vpath);
		goto out;
	}
	u->st.whiteouts++;
	r = 0;
out:
	close(pfd);
	return r;
}

static int do_opaque(unpacker *u, const char *parent)
{
	int pfd, r = open_dir(u, parent, 1, &pfd);
	if (r < 0)
		return r;
	int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(pfd);
	if (fd < 0)
		return SYS(u, errno, "open '/%s'", parent);
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		r = SYS(u, errno, "set %s on '/%s'", OPAQUE_XATTR, parent);
	else
		u->st.whiteouts++;
	close(fd);
	return r;
}

static int unpack_entry(unpacker *u, struct archive *a, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	u->entry = raw ? raw : "";
	if (!raw || !*raw)
		return BAD(u, "empty name");

	char path[PATH_MAX], parent[PATH_MAX];
	int n = normalize(path, sizeof path, raw);
	if (n == -1)
		return BAD(u, "path escapes the layer");
	if (n < 0)
		return BAD(u, "name too long");

	const char *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	if (!*path) {
		if (!hardlink && type == AE_IFDIR)
			return 0; /* "./": the root itself, left as the caller made it */
		return BAD(u, "a non-directory cannot replace the layer root");
	}
	const char *base = split_path(path, parent);

	if (!(u->flags & BERTH__UNPACK_PLAIN) && !strncmp(base, WH_PREFIX, strlen(WH_PREFIX))) {
		if (!strcmp(base, WH_OPAQUE))
			return do_opaque(u, parent);
		if (!strncmp(base, WH_META_PREFIX, strlen(WH_META_PREFIX)))
			return 0; /* AUFS metadata (.wh..wh.plnk, ...): not part of the tree */
		return do_whiteout(u, parent, base + strlen(WH_PREFIX));
	}

	if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFCHR &&
	    type != AE_IFBLK && type != AE_IFIFO)
		return BAD(u, "unsupported entry type 0%o", (unsigned)type);

	int pfd, r = open_dir(u, parent, 1, &pfd);
	if (r < 0)
		return r;
	if (hardlink)
		r = do_hardlink(u, hardlink, pfd, base, path);
	else if (type == AE_IFREG)
		r = do_file(u, a, e, pfd, base, path);
	else if (type == AE_IFDIR)
		r = do_dir(u, e, pfd, base, path);
	else if (type == AE_IFLNK)
		r = do_symlink(u, e, pfd, base, path);
	else
		r = do_node(u, e, pfd, base, path, type);
	close(pfd);
	return r;
}

/* --- directories' final mode and times --- */

static int fix_cmp(const void *x, const void *y)
{
	const dirfix *a = x, *b = y;
	int c = strcmp(a->path, b->path);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int fix_seq_cmp(const void *x, const void *y)
{
	const dirfix *a = x, *b = y;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int apply_fixes(unpacker *u)
{
	if (!u->nfix)
		return 0;
	/* the last entry for a path wins: drop the earlier ones */
	qsort(u->fix, u->nfix, sizeof *u->fix, fix_cmp);
	size_t k = 0;
	for (size_t i = 0; i < u->nfix; i++) {
		if (i + 1 < u->nfix && !strcmp(u->fix[i].path, u->fix[i + 1].path)) {
			free(u->fix[i].path);
			continue;
		}
		u->fix[k++] = u->fix[i];
	}
	u->nfix = k;
	qsort(u->fix, u->nfix, sizeof *u->fix, fix_seq_cmp);

	/* children before parents: a parent's final mode may forbid access */
	for (size_t i = u->nfix; i-- > 0;) {
		dirfix *f = &u->fix[i];
		char parent[PATH_MAX];
		const char *base = split_path(f->path, parent);
		u->entry = f->path;
		int pfd = berth__open_in_root(u->root, parent, O_PATH | O_DIRECTORY);
		if (pfd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue; /* removed later in the layer */
			return BADE(u, errno, "cannot resolve directory '/%s' inside the layer", parent);
		}
		int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(pfd);
		if (fd < 0) {
			if (e == ENOENT || e == ENOTDIR || e == ELOOP)
				continue; /* replaced later in the layer */
			return SYS(u, e, "open the directory");
		}
		struct stat st;
		int r = 0;
		if (fstat(fd, &st) < 0)
			r = SYS(u, errno, "stat");
		else if (st.st_dev != f->dev || st.st_ino != f->ino)
			r = 0; /* a different directory now */
		else if (fchmod(fd, f->mode) < 0)
			r = SYS(u, errno, "chmod");
		else if (futimens(fd, f->ts) < 0)
			r = SYS(u, errno, "set times");
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- entry points --- */

int berth__layer_unpack_archive(int dirfd, struct archive *a, unsigned flags,
	berth__unpack_stats *stats, const char *what)
{
	unpacker u;
	memset(&u, 0, sizeof u);
	u.root = dirfd;
	u.flags = flags;
	u.what = what ? what : "layer";
	if (!a)
		return berth__err(BERTH_EINVAL, "%s: no archive reader", u.what);
	if (flags & ~KNOWN_FLAGS)
		return berth__err(BERTH_EINVAL, "%s: unknown unpack flags 0x%x", u.what, flags);

	int t = berth__open_in_root(dirfd, "", O_PATH | O_DIRECTORY);
	if (t < 0) {
		if (errno == ENOSYS)
			return berth__err(BERTH_EUNSUPPORTED,
				"%s: openat2 is not available (Linux 5.6 or later is needed)", u.what);
		return SYS(&u, errno, "open the destination directory");
	}
	close(t);

	int r = 0;
	uint64_t nentries = 0;
	for (;;) {
		struct archive_entry *e;
		u.entry = NULL;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		/* WARN: e.g. a name not convertible to the locale; its bytes are kept */
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			r = archive_fail(&u, a, nentries ? "malformed archive" : "not a valid tar archive");
			goto out;
		}
		nentries++;
		if ((r = unpack_entry(&u, a, e)) < 0)
			goto out;
	}
	u.entry = NULL;
	/* a reader with archive_read_support_format_empty accepts 0 bytes */
	if (nentries == 0 && archive_format(a) == ARCHIVE_FORMAT_EMPTY) {
		r = berth__err(BERTH_EINVAL, "%s: empty input, not a tar archive", u.what);
		goto out;
	}
	if ((r = apply_fixes(&u)) < 0)
		goto out;
	if (stats)
		*stats = u.st;
	r = 0;
out:
	for (size_t i = 0; i < u.nfix; i++)
		free(u.fix[i].path);
	free(u.fix);
	return r;
}

/* A tar reader with the decoders flags allows; NULL with the error set. */
static struct archive *tar_reader(unsigned flags, const char *what)
{
	if (berth__archive_error()) {
		berth__err(BERTH_EUNSUPPORTED, "%s: %s", what, berth__archive_error());
		return NULL;
	}
	struct archive *a = archive_read_new();
	if (!a) {
		berth__err_nomem();
		return NULL;
	}
	/* Only built-in decompressors: support_filter_all would run external
	 * programs (lzop, lrzip, grzip, ...) on untrusted input, and so would
	 * the bzip2/xz filters of a libarchive built without libbz2/liblzma
	 * (they return ARCHIVE_WARN then). */
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK || archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    ((flags & BERTH__UNPACK_ADD_FILTERS) && (archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
	                                              archive_read_support_filter_xz(a) != ARCHIVE_OK)) ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK) {
		berth__err(BERTH_EUNSUPPORTED, "%s: libarchive lacks built-in %s or tar support", what,
			(flags & BERTH__UNPACK_ADD_FILTERS) ? "gzip, zstd, bzip2, xz" : "gzip, zstd");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

int berth__archive_is_tar(int fd, unsigned flags, const char *what)
{
	off_t at = lseek(fd, 0, SEEK_CUR);
	if (at < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return berth__err_sys(errno, "%s: seek", what);
	struct archive *a = tar_reader(flags, what);
	if (!a)
		return berth_error_last()->code;
	struct archive_entry *e;
	int yes = archive_read_open_fd(a, fd, 64 * 1024) == ARCHIVE_OK &&
	          archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	if (lseek(fd, at, SEEK_SET) < 0)
		return berth__err_sys(errno, "%s: seek", what);
	return yes;
}

int berth__layer_unpack_fd(int dirfd, int tar_fd, unsigned flags, berth__unpack_stats *stats,
	const char *what)
{
	unpacker u;
	memset(&u, 0, sizeof u);
	u.what = what ? what : "layer";
	struct archive *a = tar_reader(flags, u.what);
	if (!a)
		return berth_error_last()->code;
	int r;
	if (archive_read_open_fd(a, tar_fd, 128 * 1024) != ARCHIVE_OK) {
		r = archive_fail(&u, a, archive_errno(a) == LA_ERRNO_FILE_FORMAT
				? "not a tar archive (gzip, zstd or uncompressed)"
				: "cannot read the archive");
		goto out;
	}
	r = berth__layer_unpack_archive(dirfd, a, flags, stats, what);
	archive_read_close(a);
out:
	archive_read_free(a);
	return r;
}
