/* SPDX-License-Identifier: LGPL-2.1-or-later
 * lib/image/unpack.c: layer extraction in overlay form, confined to the
 * destination. Layers are generated here with libarchive's writer; runs as
 * root (chown, mknod, trusted.* xattrs, an overlay mount in a private mount
 * namespace). */
#include "testutil.h"
#include "internal.h"
#include "image/unpack.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* --- layer generation --- */

enum { C_NONE, C_GZIP, C_ZSTD };

typedef struct tent {
	const char *path;
	char type; /* f file, d dir, l symlink, h hardlink, c chr, b blk, p fifo */
	unsigned mode;
	const char *data; /* file content, or link target */
	int uid, gid;
	unsigned maj, min;
	const char *xname, *xval;
	time_t mtime;
	size_t size; /* with data == NULL and type f: size bytes of a pattern */
} tent;

static unsigned char pattern_byte(size_t i) { return (unsigned char)((i * 2654435761u) >> 13); }

static void add_entry(struct archive *w, struct archive_entry *e, const tent *t)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, t->path);
	archive_entry_set_uid(e, t->uid);
	archive_entry_set_gid(e, t->gid);
	archive_entry_set_mtime(e, t->mtime ? t->mtime : 1600000000, 0);
	unsigned mode = t->mode ? t->mode : (t->type == 'd' ? 0755 : 0644);
	size_t size = 0;
	switch (t->type) {
	case 'f':
		archive_entry_set_filetype(e, AE_IFREG);
		size = t->data ? strlen(t->data) : t->size;
		break;
	case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, t->data);
		mode = 0777;
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, t->data);
		break;
	case 'c': case 'b':
		archive_entry_set_filetype(e, t->type == 'c' ? AE_IFCHR : AE_IFBLK);
		archive_entry_set_rdevmajor(e, t->maj);
		archive_entry_set_rdevminor(e, t->min);
		break;
	case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
	default: ck_abort_msg("bad type %c", t->type);
	}
	archive_entry_set_perm(e, mode);
	archive_entry_set_size(e, (la_int64_t)size);
	if (t->xname)
		archive_entry_xattr_add_entry(e, t->xname, t->xval, strlen(t->xval));
	int r = archive_write_header(w, e);
	ck_assert_msg(r >= ARCHIVE_WARN, "write header %s: %s", t->path, archive_error_string(w));
	if (t->type == 'f' && size) {
		if (t->data) {
			ck_assert_int_eq(archive_write_data(w, t->data, size), (la_ssize_t)size);
		} else {
			unsigned char buf[4096];
			for (size_t off = 0; off < size; off += sizeof buf) {
				size_t n = size - off < sizeof buf ? size - off : sizeof buf;
				for (size_t i = 0; i < n; i++)
					buf[i] = pattern_byte(off + i);
				ck_assert_int_eq(archive_write_data(w, buf, n), (la_ssize_t)n);
			}
		}
	}
}

/* A layer in a memfd, offset 0. */
static int make_tar(int comp, const tent *ents, size_t n)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	struct archive *w = archive_write_new();
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(archive_write_set_format_pax_restricted(w), ARCHIVE_OK);
	if (comp == C_GZIP)
		ck_assert_int_eq(archive_write_add_filter_gzip(w), ARCHIVE_OK);
	else if (comp == C_ZSTD)
		ck_assert_int_eq(archive_write_add_filter_zstd(w), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_fd(w, fd), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	for (size_t i = 0; i < n; i++)
		add_entry(w, e, &ents[i]);
	archive_entry_free(e);
	ck_assert_int_eq(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("raw", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	if (len)
		ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* A one-entry ustar archive written by hand, for names libarchive's writer
 * will not produce (an empty name, "/" as a regular file). */
static int raw_ustar(const char *name, char type)
{
	unsigned char t[512 * 3];
	memset(t, 0, sizeof t);
	memcpy(t, name, strlen(name) < 100 ? strlen(name) : 100);
	memcpy(t + 100, "0000644", 7);
	memcpy(t + 108, "0000000", 7);
	memcpy(t + 116, "0000000", 7);
	memcpy(t + 124, "00000000000", 11);
	memcpy(t + 136, "13000000000", 11);
	t[156] = (unsigned char)type;
	memcpy(t + 257, "ustar\0" "00", 8);
	memset(t + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += t[i];
	snprintf((char *)t + 148, 8, "%06o", sum);
	t[155] = ' ';
	return memfd_with(t, sizeof t);
}

/* --- fixture: T/layer is unpacked into, T/outside must stay empty --- */

typedef struct fx {
	char t[64], layer[128], outside[128];
	int dfd;
} fx;

static void fx_init(fx *f)
{
	snprintf(f->t, sizeof f->t, "/tmp/berth-unpack-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->t));
	snprintf(f->layer, sizeof f->layer, "%s/layer", f->t);
	snprintf(f->outside, sizeof f->outside, "%s/outside", f->t);
	ck_assert_int_eq(mkdir(f->layer, 0755), 0);
	ck_assert_int_eq(mkdir(f->outside, 0755), 0);
	f->dfd = open(f->layer, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(f->dfd, 0);
}

static void fx_done(fx *f)
{
	ck_assert_msg(tu_dir_entries(f->outside) == 0, "something was written to %s", f->outside);
	ck_assert_msg(getxattr(f->outside, "trusted.overlay.opaque", NULL, 0) < 0 && errno == ENODATA,
		"an xattr was set outside the layer");
	close(f->dfd);
	ck_assert_int_eq(berth__rm_rf(f->t), 0);
}

static const char *P(const fx *f, const char *rel)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ % 4];
	snprintf(b, 512, "%s/%s", f->layer, rel);
	return b;
}

static int unpack_ents(fx *f, int comp, unsigned flags, const tent *ents, size_t n, berth__unpack_stats *st)
{
	int fd = make_tar(comp, ents, n);
	int r = berth__layer_unpack_fd(f->dfd, fd, flags, st, "layer sha256:test");
	close(fd);
	return r;
}

static void read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ssize_t n = read(fd, buf, len - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
}

static struct stat lst(const char *path)
{
	struct stat st;
	ck_assert_msg(lstat(path, &st) == 0, "lstat %s: %s", path, strerror(errno));
	return st;
}

static void unique_name(char *buf, size_t len, const char *tag)
{
	char hex[65];
	ck_assert_int_eq(berth__random_hex(hex, 8), 0);
	snprintf(buf, len, "berth-unpack-%s-%d-%s", tag, (int)getpid(), hex);
}

/* --- 1. a normal layer --- */

#define BIG_SIZE (300 * 1024 + 17)
static const char CAP_V2[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00 }; /* v2, effective, CAP_NET_BIND_SERVICE */

static void check_normal(int comp, unsigned flags)
{
	fx f;
	fx_init(&f);
	tent ents[] = {
		{ "./", 'd', 0755 },
		{ "bin/", 'd', 0755, .mtime = 1000000 },
		{ "bin/su", 'f', 04755, "suid", .mtime = 1000001 },
		{ "bin/sg", 'f', 02711, "sgid", 0, 50 },
		{ "tmp/", 'd', 01777, .mtime = 1000002 },
		{ "home/", 'd', 0755 },
		{ "home/user/", 'd', 0750, NULL, 1000, 1000, .mtime = 1100000000 },
		{ "home/user/file", 'f', 0640, "hello\n", 1000, 1000, .xname = "user.x", .xval = "1",
		  .mtime = 1234567890 },
		{ "home/user/sub/deep/f", 'f', 0600, "deep", 1000, 1000 }, /* implied parents */
		{ "home/user/link", 'l', 0, "file", 1000, 1000, .mtime = 1200000000 },
		{ "home/user/hard", 'h', 0640, "home/user/file", 1000, 1000 },
		{ "/abs-prefixed", 'f', 0644, "abs" },
		{ "./dot-prefixed", 'f', 0644, "dot" },
		{ "dev/", 'd', 0755 },
		{ "dev/fifo", 'p', 0620, NULL, 1000, 1000, .mtime = 1300000000 },
		{ "dev/null", 'c', 0666, NULL, 0, 0, 1, 3 },
		{ "dev/loopx", 'b', 0660, NULL, 0, 6, 7, 200 },
		{ "caps", 'f', 0755, "cap", 1000, 1000, .xname = "security.capability" },
		{ "empty", 'f', 0400, "" },
		{ "big", 'f', 0644, NULL, .size = BIG_SIZE },
		{ "trusted", 'f', 0644, "t", .xname = "trusted.berth", .xval = "tv" },
	};
	/* security.capability needs its binary value: written by hand below */
	int fd = memfd_create("layer", MFD_CLOEXEC);
	{
		struct archive *w = archive_write_new();
		ck_assert_int_eq(archive_write_set_format_pax_restricted(w), ARCHIVE_OK);
		if (comp == C_GZIP)
			ck_assert_int_eq(archive_write_add_filter_gzip(w), ARCHIVE_OK);
		else if (comp == C_ZSTD)
			ck_assert_int_eq(archive_write_add_filter_zstd(w), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_open_fd(w, fd), ARCHIVE_OK);
		struct archive_entry *e = archive_entry_new();
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(ents); i++) {
			if (ents[i].xname && !strcmp(ents[i].xname, "security.capability")) {
				tent t = ents[i];
				t.xname = NULL;
				/* add_entry without the xattr, then the binary one by hand */
				archive_entry_clear(e);
				archive_entry_set_pathname(e, t.path);
				archive_entry_set_filetype(e, AE_IFREG);
				archive_entry_set_perm(e, t.mode);
				archive_entry_set_uid(e, t.uid);
				archive_entry_set_gid(e, t.gid);
				archive_entry_set_mtime(e, 1600000000, 0);
				archive_entry_set_size(e, (la_int64_t)strlen(t.data));
				archive_entry_xattr_add_entry(e, "security.capability", CAP_V2, sizeof CAP_V2);
				ck_assert_int_ge(archive_write_header(w, e), ARCHIVE_WARN);
				ck_assert_int_eq(archive_write_data(w, t.data, strlen(t.data)), (la_ssize_t)strlen(t.data));
				continue;
			}
			add_entry(w, e, &ents[i]);
		}
		archive_entry_free(e);
		ck_assert_int_eq(archive_write_close(w), ARCHIVE_OK);
		archive_write_free(w);
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	}
	berth__unpack_stats st = { 99, 99, 99 };
	int r = berth__layer_unpack_fd(f.dfd, fd, flags, &st, "layer sha256:normal");
	close(fd);
	ck_assert_msg(r == 0, "unpack: %d %s", r, berth_error_last()->message);

	int nodev = !!(flags & BERTH__UNPACK_NO_DEVICES);
	ck_assert_uint_eq(st.files, BERTH_ARRAY_SIZE(ents) - 1 - (nodev ? 2 : 0)); /* "./" is not created */
	ck_assert_uint_eq(st.bytes, 4 + 4 + 6 + 4 + 3 + 3 + 3 + 0 + BIG_SIZE + 1);
	ck_assert_uint_eq(st.whiteouts, 0);

	char buf[256];
	struct stat s = lst(P(&f, "bin/su"));
	ck_assert_uint_eq(s.st_mode, S_IFREG | 04755); /* setuid survived the chown */
	ck_assert_uint_eq(s.st_uid, 0);
	ck_assert_int_eq(s.st_mtime, 1000001);
	read_all(P(&f, "bin/su"), buf, sizeof buf);
	ck_assert_str_eq(buf, "suid");
	s = lst(P(&f, "bin/sg"));
	ck_assert_uint_eq(s.st_mode, S_IFREG | 02711);
	ck_assert_uint_eq(s.st_gid, 50);
	s = lst(P(&f, "bin"));
	ck_assert_int_eq(s.st_mtime, 1000000); /* after its contents */
	s = lst(P(&f, "tmp"));
	ck_assert_uint_eq(s.st_mode, S_IFDIR | 01777);
	ck_assert_int_eq(s.st_mtime, 1000002);
	s = lst(P(&f, "home/user"));
	ck_assert_uint_eq(s.st_mode, S_IFDIR | 0750);
	ck_assert_uint_eq(s.st_uid, 1000);
	ck_assert_uint_eq(s.st_gid, 1000);
	ck_assert_int_eq(s.st_mtime, 1100000000);
	s = lst(P(&f, "home/user/sub"));
	ck_assert_uint_eq(s.st_mode, S_IFDIR | 0755); /* implied */

	struct stat file = lst(P(&f, "home/user/file"));
	ck_assert_uint_eq(file.st_mode, S_IFREG | 0640);
	ck_assert_uint_eq(file.st_uid, 1000);
	ck_assert_uint_eq(file.st_gid, 1000);
	ck_assert_int_eq(file.st_mtime, 1234567890);
	ck_assert_uint_eq(file.st_nlink, 2);
	read_all(P(&f, "home/user/file"), buf, sizeof buf);
	ck_assert_str_eq(buf, "hello\n");
	ssize_t xn = getxattr(P(&f, "home/user/file"), "user.x", buf, sizeof buf);
	ck_assert_int_eq(xn, 1);
	ck_assert_int_eq(buf[0], '1');
	struct stat hard = lst(P(&f, "home/user/hard"));
	ck_assert_uint_eq(hard.st_ino, file.st_ino);
	read_all(P(&f, "home/user/sub/deep/f"), buf, sizeof buf);
	ck_assert_str_eq(buf, "deep");

	s = lst(P(&f, "home/user/link"));
	ck_assert(S_ISLNK(s.st_mode));
	ck_assert_uint_eq(s.st_uid, 1000);
	ck_assert_int_eq(s.st_mtime, 1200000000);
	ssize_t ln = readlink(P(&f, "home/user/link"), buf, sizeof buf);
	ck_assert_int_eq(ln, 4);
	ck_assert_int_eq(memcmp(buf, "file", 4), 0);

	read_all(P(&f, "abs-prefixed"), buf, sizeof buf);
	ck_assert_str_eq(buf, "abs");
	read_all(P(&f, "dot-prefixed"), buf, sizeof buf);
	ck_assert_str_eq(buf, "dot");

	s = lst(P(&f, "dev/fifo"));
	ck_assert_uint_eq(s.st_mode, S_IFIFO | 0620);
	ck_assert_uint_eq(s.st_uid, 1000);
	ck_assert_int_eq(s.st_mtime, 1300000000);
	if (nodev) {
		ck_assert_int_ne(access(P(&f, "dev/null"), F_OK), 0);
		ck_assert_int_ne(access(P(&f, "dev/loopx"), F_OK), 0);
	} else {
		s = lst(P(&f, "dev/null"));
		ck_assert_uint_eq(s.st_mode, S_IFCHR | 0666);
		ck_assert_uint_eq(s.st_rdev, makedev(1, 3));
		s = lst(P(&f, "dev/loopx"));
		ck_assert_uint_eq(s.st_mode, S_IFBLK | 0660);
		ck_assert_uint_eq(s.st_rdev, makedev(7, 200));
		ck_assert_uint_eq(s.st_gid, 6);
	}

	s = lst(P(&f, "caps"));
	ck_assert_uint_eq(s.st_uid, 1000);
	ck_assert_uint_eq(s.st_mode, S_IFREG | 0755);
	char cap[64];
	xn = getxattr(P(&f, "caps"), "security.capability", cap, sizeof cap);
	ck_assert_msg(xn == (ssize_t)sizeof CAP_V2, "security.capability lost (after chown?): %zd %s", xn,
		strerror(errno));
	ck_assert_int_eq(memcmp(cap, CAP_V2, sizeof CAP_V2), 0);

	s = lst(P(&f, "empty"));
	ck_assert_int_eq(s.st_size, 0);
	ck_assert_uint_eq(s.st_mode, S_IFREG | 0400);
	s = lst(P(&f, "big"));
	ck_assert_int_eq(s.st_size, BIG_SIZE);
	{
		int bfd = open(P(&f, "big"), O_RDONLY | O_CLOEXEC);
		unsigned char *m = malloc(BIG_SIZE);
		ck_assert_int_eq(read(bfd, m, BIG_SIZE), BIG_SIZE);
		for (size_t i = 0; i < BIG_SIZE; i++)
			if (m[i] != pattern_byte(i))
				ck_abort_msg("big: byte %zu differs", i);
		free(m);
		close(bfd);
	}
	xn = getxattr(P(&f, "trusted"), "trusted.berth", buf, sizeof buf);
	ck_assert_int_eq(xn, 2);
	fx_done(&f);
}

START_TEST(normal_layer)
{
	static const int comps[] = { C_NONE, C_GZIP, C_ZSTD };
	check_normal(comps[_i % 3], _i >= 3 ? BERTH__UNPACK_NO_DEVICES : 0);
}
END_TEST

START_TEST(no_chown)
{
	fx f;
	fx_init(&f);
	tent ents[] = {
		{ "d/", 'd', 0700, NULL, 1000, 1000 },
		{ "d/f", 'f', 0644, "x", 1000, 1000 },
		{ "d/l", 'l', 0, "f", 1000, 1000 },
	};
	ck_assert_int_eq(unpack_ents(&f, C_GZIP, BERTH__UNPACK_NO_CHOWN, ents, 3, NULL), 0);
	ck_assert_uint_eq(lst(P(&f, "d")).st_uid, getuid());
	ck_assert_uint_eq(lst(P(&f, "d/f")).st_uid, getuid());
	ck_assert_uint_eq(lst(P(&f, "d/l")).st_uid, getuid());
	ck_assert_uint_eq(lst(P(&f, "d")).st_mode, S_IFDIR | 0700);
	fx_done(&f);
}
END_TEST

/* Names that are not ASCII (pax UTF-8 in the C locale), a duplicate entry
 * (last wins), a directory entry over an existing one (merge), and a
 * directory replaced by a file. */
START_TEST(names_and_replacement)
{
	fx f;
	fx_init(&f);
	tent ents[] = {
		{ "caf\xc3\xa9/\xe2\x98\x83", 'f', 0644, "snow" },
		{ "dup", 'f', 0644, "one" },
		{ "dup", 'f', 0600, "two" },
		{ "m/", 'd', 0700 },
		{ "m/a", 'f', 0644, "a" },
		{ "m/", 'd', 0751, .mtime = 1500000000 }, /* again: merged, last mode wins */
		{ "x/", 'd', 0755 },
		{ "x/y/z", 'f', 0644, "z" },
		{ "x", 'f', 0644, "now a file" },
		{ "w", 'f', 0644, "a file" },
		{ "w/", 'd', 0711 }, /* and the other way round */
		{ "w/in", 'f', 0644, "in" },
	};
	int r = unpack_ents(&f, C_NONE, 0, ents, BERTH_ARRAY_SIZE(ents), NULL);
	ck_assert_msg(r == 0, "%s", berth_error_last()->message);
	char buf[64];
	read_all(P(&f, "caf\xc3\xa9/\xe2\x98\x83"), buf, sizeof buf);
	ck_assert_str_eq(buf, "snow");
	read_all(P(&f, "dup"), buf, sizeof buf);
	ck_assert_str_eq(buf, "two");
	ck_assert_uint_eq(lst(P(&f, "dup")).st_mode, S_IFREG | 0600);
	ck_assert_uint_eq(lst(P(&f, "m")).st_mode, S_IFDIR | 0751);
	ck_assert_int_eq(lst(P(&f, "m")).st_mtime, 1500000000);
	read_all(P(&f, "m/a"), buf, sizeof buf);
	ck_assert_str_eq(buf, "a");
	ck_assert(S_ISREG(lst(P(&f, "x")).st_mode));
	read_all(P(&f, "x"), buf, sizeof buf);
	ck_assert_str_eq(buf, "now a file");
	ck_assert_uint_eq(lst(P(&f, "w")).st_mode, S_IFDIR | 0711);
	read_all(P(&f, "w/in"), buf, sizeof buf);
	ck_assert_str_eq(buf, "in");
	fx_done(&f);
}
END_TEST

/* --- 2. whiteouts --- */

START_TEST(whiteouts)
{
	fx f;
	fx_init(&f);
	/* a lower layer's content already present (as after a copy): replaced */
	ck_assert_int_eq(mkdir(P(&f, "a"), 0755), 0);
	int pre = open(P(&f, "a/foo"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_int_ge(pre, 0);
	close(pre);
	tent ents[] = {
		{ "a/", 'd', 0755 },
		{ "a/.wh.foo", 'f', 0644, "" },
		{ ".wh.bar", 'f', 0644, "" },
		{ "b/.wh..wh..opq", 'f', 0644, "" }, /* b implied */
		{ "c/", 'd', 0755 },
		{ "c/.wh..wh..opq", 'f', 0644, "" },
		{ "c/keep", 'f', 0644, "k" },
		{ ".wh..wh.plnk/", 'd', 0700 }, /* AUFS metadata: skipped */
		{ "d/", 'd', 0755, .xname = "trusted.overlay.redirect", .xval = "/elsewhere" },
	};
	berth__unpack_stats st;
	int r = unpack_ents(&f, C_GZIP, 0, ents, BERTH_ARRAY_SIZE(ents), &st);
	ck_assert_msg(r == 0, "%s", berth_error_last()->message);
	ck_assert_uint_eq(st.whiteouts, 4);
	ck_assert_uint_eq(st.files, 4); /* a, c, c/keep, d */

	struct stat s = lst(P(&f, "a/foo"));
	ck_assert(S_ISCHR(s.st_mode));
	ck_assert_uint_eq(s.st_rdev, makedev(0, 0));
	s = lst(P(&f, "bar"));
	ck_assert(S_ISCHR(s.st_mode));
	ck_assert_uint_eq(s.st_rdev, makedev(0, 0));
	char v[8];
	ck_assert_int_eq(getxattr(P(&f, "b"), "trusted.overlay.opaque", v, sizeof v), 1);
	ck_assert_int_eq(v[0], 'y');
	ck_assert_int_eq(getxattr(P(&f, "c"), "trusted.overlay.opaque", v, sizeof v), 1);
	ck_assert_int_eq(v[0], 'y');
	ck_assert_int_eq(access(P(&f, "c/keep"), F_OK), 0);
	/* NULL, 0: any value size; ENODATA: really absent */
	ck_assert_int_lt(getxattr(P(&f, "d"), "trusted.overlay.redirect", NULL, 0), 0);
	ck_assert_int_eq(errno, ENODATA);
	ck_assert_int_lt(getxattr(P(&f, "a"), "trusted.overlay.opaque", NULL, 0), 0);
	ck_assert_int_eq(errno, ENODATA);
	/* no .wh.* written anywhere */
	ck_assert_int_ne(access(P(&f, "a/.wh.foo"), F_OK), 0);
	ck_assert_int_ne(access(P(&f, ".wh.bar"), F_OK), 0);
	ck_assert_int_ne(access(P(&f, "b/.wh..wh..opq"), F_OK), 0);
	ck_assert_int_ne(access(P(&f, ".wh..wh.plnk"), F_OK), 0);
	ck_assert_int_eq(tu_dir_entries(P(&f, "b")), 0);

	/* overlayfs reads it as intended: a private mount namespace, gone when
	 * this (forked) test exits */
	char lower[128], merged[128], path[300];
	snprintf(lower, sizeof lower, "%s/lower", f.t);
	snprintf(merged, sizeof merged, "%s/merged", f.t);
	ck_assert_int_eq(mkdir(lower, 0755), 0);
	ck_assert_int_eq(mkdir(merged, 0755), 0);
	static const char *const lower_files[] = { "a/foo", "a/other", "bar", "b/old", "c/old" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(lower_files); i++) {
		snprintf(path, sizeof path, "%s/%s", lower, lower_files[i]);
		char *slash = strrchr(path, '/');
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	char opts[400];
	snprintf(opts, sizeof opts, "lowerdir=%s:%s", f.layer, lower);
	ck_assert_msg(mount("overlay", merged, "overlay", MS_RDONLY, opts) == 0, "overlay: %s", strerror(errno));
	snprintf(path, sizeof path, "%s/a/foo", merged);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/a/other", merged);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/bar", merged);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/b", merged);
	ck_assert_int_eq(tu_dir_entries(path), 0); /* opaque: b/old hidden */
	snprintf(path, sizeof path, "%s/c", merged);
	ck_assert_int_eq(tu_dir_entries(path), 1); /* only keep */
	ck_assert_int_eq(umount(merged), 0);
	fx_done(&f);
}
END_TEST

/* --- 3. hostile layers --- */

typedef struct hcase {
	const char *name;
	tent ents[4];
	int expect;          /* 0 or a BERTH_E* code */
	const char *msg;     /* substring of the message */
	const char *created; /* path that must exist in the layer afterwards */
} hcase;

static const hcase HOSTILE[] = {
	{ "dotdot", { { "../outside/x", 'f', 0644, "evil" } }, BERTH_EINVAL, "entry '../outside/x': path escapes the layer" },
	{ "slash-dotdot", { { "/../../outside/x", 'f', 0644, "evil" } }, BERTH_EINVAL, "entry '/../../outside/x': path escapes" },
	{ "inner-dotdot", { { "a/../../outside/x", 'f', 0644, "evil" } }, BERTH_EINVAL, "entry 'a/../../outside/x': path escapes" },
	{ "dir-dotdot", { { "a/..", 'd', 0755 } }, BERTH_EINVAL, "entry 'a/../': path escapes" },
	{ "symlink-up-parent", { { "link", 'l', 0, "../outside" }, { "link/x", 'f', 0644, "evil" } },
	  BERTH_EINVAL, "entry 'link/x': cannot resolve directory '/link'" },
	{ "symlink-up-parent-in-root",
	  { { "outside/", 'd', 0755 }, { "link", 'l', 0, "../../outside" }, { "link/x", 'f', 0644, "in" } },
	  0, NULL, "outside/x" },
	/* "../../.." from a/ is clamped at the layer root: a/l/outside/x is layer/outside/x */
	{ "symlink-dotdot-chain", { { "a/", 'd', 0755 }, { "a/l", 'l', 0, "../../../../../.." }, { "a/l/outside/x", 'f', 0644, "e" } },
	  0, NULL, "outside/x" },
	{ "hardlink-dotdot", { { "link", 'l', 0, "../outside" }, { "h", 'h', 0644, "link/../../outside/secret" } },
	  BERTH_EINVAL, "entry 'h': hardlink target 'link/../../outside/secret' escapes the layer" },
	{ "hardlink-missing", { { "h", 'h', 0644, "nonexistent" } }, BERTH_EINVAL,
	  "entry 'h': hardlink target 'nonexistent' does not exist in the layer" },
	{ "hardlink-dir", { { "d/", 'd', 0755 }, { "h", 'h', 0644, "d" } }, BERTH_EINVAL, "entry 'h': hardlink target 'd' is a directory" },
	{ "hardlink-root", { { "h", 'h', 0644, "./" } }, BERTH_EINVAL, "entry 'h': hardlink target './' is the layer root" },
	{ "whiteout-dot", { { ".wh..", 'f', 0644, "" } }, BERTH_EINVAL, "entry '.wh..': whiteout target escapes the layer" },
	{ "whiteout-dotdot", { { "a/.wh...", 'f', 0644, "" } }, BERTH_EINVAL, "entry 'a/.wh...': whiteout target escapes the layer" },
	{ "whiteout-path", { { ".wh.../../outside", 'f', 0644, "" } }, BERTH_EINVAL, "entry '.wh.../../outside': path escapes" },
	{ "whiteout-via-symlink", { { "l", 'l', 0, "../outside" }, { "l/.wh.x", 'f', 0644, "" } }, BERTH_EINVAL,
	  "entry 'l/.wh.x': cannot resolve" },
	{ "opaque-via-symlink", { { "l", 'l', 0, "../outside" }, { "l/.wh..wh..opq", 'f', 0644, "" } }, BERTH_EINVAL,
	  "entry 'l/.wh..wh..opq': cannot resolve" },
	{ "whiteout-via-abs-symlink", { { "l", 'l', 0, "/" }, { "l/.wh.x", 'f', 0644, "" } }, 0, NULL, "x" },
	{ "dot-file", { { ".", 'f', 0644, "evil" } }, BERTH_EINVAL, "entry '.': a non-directory cannot replace the layer root" },
	{ "dot-symlink", { { "./", 'l', 0, "/" } }, BERTH_EINVAL, "a non-directory cannot replace the layer root" },
	{ "symlink-loop", { { "l1", 'l', 0, "l2" }, { "l2", 'l', 0, "l1" }, { "l1/x", 'f', 0644, "" } }, BERTH_EINVAL,
	  "entry 'l1/x': cannot resolve" },
	{ "file-parent", { { "f", 'f', 0644, "x" }, { "f/x", 'f', 0644, "" } }, BERTH_EINVAL, "entry 'f/x': cannot resolve directory '/f'" },
	{ "control-bytes", { { "../a\nb", 'f', 0644, "" } }, BERTH_EINVAL, "entry '../a?b': path escapes" },
	{ "symlink-inside-parent", { { "real/", 'd', 0755 }, { "sl", 'l', 0, "real" }, { "sl/f", 'f', 0644, "ok" } }, 0, NULL, "real/f" },
	{ "symlink-abs-inside", { { "usr/lib/", 'd', 0755 }, { "lib", 'l', 0, "/usr/lib" }, { "lib/x", 'f', 0644, "ok" } }, 0, NULL, "usr/lib/x" },
};

START_TEST(hostile)
{
	const hcase *c = &HOSTILE[_i];
	fx f;
	fx_init(&f);
	size_t n = 0;
	while (n < BERTH_ARRAY_SIZE(c->ents) && c->ents[n].path)
		n++;
	int r = unpack_ents(&f, _i % 2 ? C_GZIP : C_NONE, 0, c->ents, n, NULL);
	const char *msg = berth_error_last()->message;
	ck_assert_msg(r == c->expect, "%s: got %d (%s), want %d", c->name, r, msg, c->expect);
	if (c->msg) {
		ck_assert_msg(strstr(msg, c->msg), "%s: message '%s' lacks '%s'", c->name, msg, c->msg);
		ck_assert_msg(!strncmp(msg, "layer sha256:test: ", 19), "%s: message '%s' does not name the layer",
			c->name, msg);
	}
	if (c->created)
		ck_assert_msg(access(P(&f, c->created), F_OK) == 0, "%s: %s missing", c->name, c->created);
	fx_done(&f);
}
END_TEST

START_TEST(raw_names)
{
	fx f;
	fx_init(&f);
	int fd = raw_ustar("", '0');
	int r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:raw");
	close(fd);
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_str_eq(berth_error_last()->message, "layer sha256:raw: entry '': empty name");
	/* libarchive reads a regular file named "/" as a directory: the root, left alone */
	fd = raw_ustar("/", '0');
	r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:raw");
	close(fd);
	ck_assert_msg(r == 0, "%s", berth_error_last()->message);
	ck_assert_int_eq(tu_dir_entries(f.layer), 0);
	fd = raw_ustar("./", '5');
	ck_assert_int_eq(berth__layer_unpack_fd(f.dfd, fd, 0, NULL, NULL), 0);
	close(fd);
	fd = raw_ustar("..", '5');
	ck_assert_int_eq(berth__layer_unpack_fd(f.dfd, fd, 0, NULL, NULL), BERTH_EINVAL);
	close(fd);
	fd = raw_ustar("x", 'S' + 10); /* an unknown type letter */
	r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, NULL);
	close(fd);
	ck_assert_msg(r == 0 || r == BERTH_EINVAL, "%d %s", r, berth_error_last()->message);
	fx_done(&f);
}
END_TEST

/* abs -> "/" then abs/etc/<unique>/evil: lands in the layer, not on the host */
START_TEST(symlink_to_root)
{
	fx f;
	fx_init(&f);
	char u[128], rel[256], host[300];
	unique_name(u, sizeof u, "etc");
	snprintf(rel, sizeof rel, "abs/etc/%s/evil", u);
	snprintf(host, sizeof host, "/etc/%s", u);
	tent ents[] = { { "abs", 'l', 0, "/" }, { rel, 'f', 0644, "evil" } };
	int r = unpack_ents(&f, C_ZSTD, 0, ents, 2, NULL);
	ck_assert_msg(r == 0, "%s", berth_error_last()->message);
	ck_assert_int_ne(access(host, F_OK), 0);
	snprintf(rel, sizeof rel, "etc/%s/evil", u);
	char buf[16];
	read_all(P(&f, rel), buf, sizeof buf);
	ck_assert_str_eq(buf, "evil");
	fx_done(&f);
}
END_TEST

static void assert_no_link_to(const char *dir, const struct stat *target)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		struct stat s = lst(p);
		ck_assert_msg(!(s.st_dev == target->st_dev && s.st_ino == target->st_ino), "%s links to the host file", p);
		if (S_ISDIR(s.st_mode))
			assert_no_link_to(p, target);
	}
	closedir(d);
}

/* hardlinks to host files: "/etc/passwd", through a symlink to "/", and to a
 * symlink that points at the host file */
START_TEST(hardlink_host_file)
{
	struct stat before, after;
	ck_assert_int_eq(stat("/etc/passwd", &before), 0);
	static const tent cases[][2] = {
		{ { "h", 'h', 0644, "/etc/passwd" } },
		{ { "d", 'l', 0, "/" }, { "h", 'h', 0644, "d/etc/passwd" } },
		{ { "ln", 'l', 0, "/etc/passwd" }, { "h", 'h', 0644, "ln" } },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		fx f;
		fx_init(&f);
		size_t n = cases[i][1].path ? 2 : 1;
		int r = unpack_ents(&f, C_NONE, 0, cases[i], n, NULL);
		if (i < 2) {
			ck_assert_int_eq(r, BERTH_EINVAL);
			ck_assert_msg(strstr(berth_error_last()->message, "entry 'h': hardlink target") &&
					      strstr(berth_error_last()->message, "does not exist in the layer"),
				"%s", berth_error_last()->message);
		} else {
			/* a link to the symlink itself, never to what it points at */
			ck_assert_msg(r == 0, "%s", berth_error_last()->message);
			ck_assert(S_ISLNK(lst(P(&f, "h")).st_mode));
		}
		assert_no_link_to(f.layer, &before);
		fx_done(&f);
	}
	ck_assert_int_eq(stat("/etc/passwd", &after), 0);
	ck_assert_uint_eq(after.st_nlink, before.st_nlink);
	ck_assert_int_eq(after.st_ctime, before.st_ctime);
}
END_TEST

/* A symlink already in the destination (a lower layer copied up) pointing to
 * a host directory: entries below it never reach the host. */
START_TEST(preexisting_symlink_parent)
{
	fx f;
	fx_init(&f);
	char u[128], host[300];
	unique_name(u, sizeof u, "pre");
	snprintf(host, sizeof host, "/tmp/%s", u);
	ck_assert_int_eq(mkdir(host, 0755), 0);
	ck_assert_int_eq(symlink(host, P(&f, "pre")), 0);
	tent ents[] = { { "pre/x", 'f', 0644, "evil" } };
	int r = unpack_ents(&f, C_GZIP, 0, ents, 1, NULL);
	int entries = tu_dir_entries(host);
	rmdir(host);
	ck_assert_int_eq(entries, 0);
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "entry 'pre/x': cannot resolve"), "%s",
		berth_error_last()->message);
	/* with the same path present inside the layer, the entry lands there */
	char inside[400];
	snprintf(inside, sizeof inside, "tmp/%s", u);
	ck_assert_int_eq(berth__mkdir_p(P(&f, inside), 0755), 0);
	ck_assert_int_eq(mkdir(host, 0755), 0);
	r = unpack_ents(&f, C_GZIP, 0, ents, 1, NULL);
	entries = tu_dir_entries(host);
	rmdir(host);
	ck_assert_int_eq(entries, 0);
	ck_assert_msg(r == 0, "%s", berth_error_last()->message);
	snprintf(inside, sizeof inside, "tmp/%s/x", u);
	ck_assert_int_eq(access(P(&f, inside), F_OK), 0);
	fx_done(&f);
}
END_TEST

/* A file entry over an existing symlink (to a host path) replaces the link;
 * a file over a directory holding a symlink to a host directory removes the
 * directory without following the link. */
START_TEST(replace_never_follows)
{
	fx f;
	fx_init(&f);
	char u[128], hostdir[300], hostfile[400], keep[400];
	unique_name(u, sizeof u, "over");
	snprintf(hostdir, sizeof hostdir, "/tmp/%s", u);
	snprintf(hostfile, sizeof hostfile, "%s/f", hostdir);
	snprintf(keep, sizeof keep, "%s/keep", hostdir);
	ck_assert_int_eq(mkdir(hostdir, 0755), 0);
	int k = open(keep, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_int_ge(k, 0);
	close(k);
	ck_assert_int_eq(symlink(hostfile, P(&f, "s")), 0);    /* dangling, to the host */
	ck_assert_int_eq(symlink(keep, P(&f, "s2")), 0);       /* existing host file */
	ck_assert_int_eq(mkdir(P(&f, "d"), 0755), 0);
	ck_assert_int_eq(symlink(hostdir, P(&f, "d/l")), 0);   /* inside a dir replaced */
	tent ents[] = {
		{ "s", 'f', 0644, "data" },
		{ "s2", 'f', 0644, "data2" },
		{ "d", 'f', 0644, "file" },
		{ "dd/", 'd', 0755 },
	};
	int r = unpack_ents(&f, C_NONE, 0, ents, BERTH_ARRAY_SIZE(ents), NULL);
	int hostfile_exists = access(hostfile, F_OK) == 0;
	struct stat ks;
	int keep_ok = stat(keep, &ks) == 0 && ks.st_size == 0;
	unlink(hostfile);
	unlink(keep);
	rmdir(hostdir);
	ck_assert_msg(r == 0, "%s", berth_error_last()->message);
	ck_assert_msg(!hostfile_exists, "wrote through the symlink");
	ck_assert_msg(keep_ok, "the host file was modified or removed");
	char buf[16];
	ck_assert(S_ISREG(lst(P(&f, "s")).st_mode));
	read_all(P(&f, "s"), buf, sizeof buf);
	ck_assert_str_eq(buf, "data");
	ck_assert(S_ISREG(lst(P(&f, "s2")).st_mode));
	ck_assert(S_ISREG(lst(P(&f, "d")).st_mode));
	fx_done(&f);
}
END_TEST

/* --- 4. malformed input --- */

START_TEST(malformed)
{
	fx f;
	fx_init(&f);
	tent ents[] = { { "a/", 'd', 0755 }, { "a/big", 'f', 0644, NULL, .size = 200000 } };

	/* a truncated gzip stream */
	int fd = make_tar(C_GZIP, ents, 2);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char *buf = malloc((size_t)st.st_size);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	fd = memfd_with(buf, (size_t)st.st_size / 2);
	int r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:trunc");
	close(fd);
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "layer sha256:trunc: ") &&
			      strstr(berth_error_last()->message, "truncated gzip input"),
		"%s", berth_error_last()->message);
	free(buf);

	/* an uncompressed tar cut inside a file's data, then inside a header */
	fd = make_tar(C_NONE, ents, 2);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	fd = memfd_with(buf, 512 * 2 + 100000);
	r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:trunc2");
	close(fd);
	ck_assert_msg(r == BERTH_EINVAL, "%d %s", r, berth_error_last()->message);
	ck_assert_msg(strstr(berth_error_last()->message, "layer sha256:trunc2: entry 'a/big': read: "), "%s",
		berth_error_last()->message);
	fd = memfd_with(buf, 512 + 100);
	r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:trunc3");
	close(fd);
	ck_assert_msg(r == BERTH_EINVAL, "%d %s", r, berth_error_last()->message);
	ck_assert_msg(strstr(berth_error_last()->message, "layer sha256:trunc3: malformed archive: "), "%s",
		berth_error_last()->message);
	free(buf);

	/* random bytes */
	unsigned char rnd[4096];
	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = pattern_byte(i * 7 + 3);
	fd = memfd_with(rnd, sizeof rnd);
	r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:rnd");
	close(fd);
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "layer sha256:rnd: not a tar archive"), "%s",
		berth_error_last()->message);

	/* gzip magic followed by garbage */
	unsigned char gz[64] = { 0x1f, 0x8b, 0x08, 0x00 };
	memset(gz + 10, 0xff, sizeof gz - 10);
	fd = memfd_with(gz, sizeof gz);
	r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:gz");
	close(fd);
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "layer sha256:gz: "), "%s", berth_error_last()->message);

	/* an empty file */
	fd = memfd_with(NULL, 0);
	r = berth__layer_unpack_fd(f.dfd, fd, 0, NULL, "layer sha256:empty");
	close(fd);
	ck_assert_int_eq(r, BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "layer sha256:empty: not a tar archive"), "%s",
		berth_error_last()->message);

	/* an empty tar is a layer without entries, plain, gzip or zstd */
	for (int comp = C_NONE; comp <= C_ZSTD; comp++) {
		berth__unpack_stats s = { 1, 1, 1 };
		fd = make_tar(comp, NULL, 0);
		r = berth__layer_unpack_fd(f.dfd, fd, 0, &s, NULL);
		close(fd);
		ck_assert_msg(r == 0, "%s", berth_error_last()->message);
		ck_assert_uint_eq(s.files + s.bytes + s.whiteouts, 0);
	}

	/* bad arguments */
	fd = make_tar(C_NONE, NULL, 0);
	ck_assert_int_eq(berth__layer_unpack_fd(f.dfd, fd, 0x80, NULL, NULL), BERTH_EINVAL);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_ne(berth__layer_unpack_fd(-1, fd, 0, NULL, NULL), 0);
	close(fd);
	ck_assert_int_eq(berth__layer_unpack_archive(f.dfd, NULL, 0, NULL, NULL), BERTH_EINVAL);
	fx_done(&f);
}
END_TEST

/* The archive entry point, fed by a reader the caller opened (as the pull
 * code does); with support_format_empty, an empty input is still refused. */
START_TEST(archive_reader)
{
	fx f;
	fx_init(&f);
	tent ents[] = { { "x", 'f', 0644, "xx" } };
	int fd = make_tar(C_ZSTD, ents, 1);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char *buf = malloc((size_t)st.st_size);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	struct archive *a = archive_read_new();
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_memory(a, buf, (size_t)st.st_size), ARCHIVE_OK);
	berth__unpack_stats s;
	ck_assert_int_eq(berth__layer_unpack_archive(f.dfd, a, 0, &s, "layer sha256:mem"), 0);
	ck_assert_uint_eq(s.files, 1);
	ck_assert_uint_eq(s.bytes, 2);
	archive_read_free(a);
	free(buf);

	a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	ck_assert_int_eq(archive_read_open_memory(a, "", 0), ARCHIVE_OK);
	ck_assert_int_eq(berth__layer_unpack_archive(f.dfd, a, 0, NULL, "layer sha256:e"), BERTH_EINVAL);
	ck_assert_msg(strstr(berth_error_last()->message, "layer sha256:e: empty input"), "%s",
		berth_error_last()->message);
	archive_read_free(a);
	fx_done(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_unpack");
	TCase *t = tcase_create("unpack");
	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, normal_layer, 0, 6);
	tcase_add_test(t, no_chown);
	tcase_add_test(t, names_and_replacement);
	tcase_add_test(t, whiteouts);
	tcase_add_loop_test(t, hostile, 0, (int)BERTH_ARRAY_SIZE(HOSTILE));
	tcase_add_test(t, raw_names);
	tcase_add_test(t, symlink_to_root);
	tcase_add_test(t, hardlink_host_file);
	tcase_add_test(t, preexisting_symlink_parent);
	tcase_add_test(t, replace_never_follows);
	tcase_add_test(t, malformed);
	tcase_add_test(t, archive_reader);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
