/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libarchive, loaded when first needed.
 *
 * Linking libarchive would make every program that loads libberth also load
 * libxml2, ICU, nettle, lzma, bz2, lz4 and libstdc++ (~2.5 ms per process
 * start here), while only the image code uses it. So libberth defines the
 * archive_* functions it calls as hidden wrappers that resolve the real ones
 * from libarchive.so.13 with dlopen/dlsym on first use (thread-safe through
 * pthread_once; the table is written once and only read afterwards). The
 * wrappers are hidden, so they never clash with a host program's own
 * libarchive. If libarchive cannot be loaded, archive_read_new and
 * archive_write_new return NULL and berth__archive_error() says why.
 */
#include "internal.h"
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define ARCHIVE_FUNCS(X)                                   \
	X(archive_read_new)                                   \
	X(archive_read_free)                                  \
	X(archive_read_support_filter_gzip)                   \
	X(archive_read_support_filter_zstd)                   \
	X(archive_read_support_filter_bzip2)                  \
	X(archive_read_support_filter_xz)                     \
	X(archive_read_support_filter_none)                   \
	X(archive_read_support_format_tar)                    \
	X(archive_read_support_format_empty)                  \
	X(archive_read_support_format_raw)                    \
	X(archive_read_open_fd)                               \
	X(archive_read_open_memory)                           \
	X(archive_read_open)                                  \
	X(archive_read_open2)                                 \
	X(archive_read_next_header)                           \
	X(archive_read_data)                                  \
	X(archive_read_data_block)                            \
	X(archive_read_data_skip)                             \
	X(archive_read_close)                                 \
	X(archive_filter_code)                                \
	X(archive_filter_count)                               \
	X(archive_format)                                     \
	X(archive_error_string)                               \
	X(archive_errno)                                      \
	X(archive_set_error)                                  \
	X(archive_entry_pathname)                             \
	X(archive_entry_filetype)                             \
	X(archive_entry_mode)                                 \
	X(archive_entry_perm)                                 \
	X(archive_entry_uid)                                  \
	X(archive_entry_gid)                                  \
	X(archive_entry_size)                                 \
	X(archive_entry_size_is_set)                          \
	X(archive_entry_symlink)                              \
	X(archive_entry_hardlink)                             \
	X(archive_entry_mtime)                                \
	X(archive_entry_mtime_nsec)                           \
	X(archive_entry_mtime_is_set)                         \
	X(archive_entry_atime)                                \
	X(archive_entry_atime_nsec)                           \
	X(archive_entry_atime_is_set)                         \
	X(archive_entry_rdevmajor)                            \
	X(archive_entry_rdevminor)                            \
	X(archive_entry_xattr_reset)                          \
	X(archive_entry_xattr_next)                           \
	X(archive_entry_xattr_count)                          \
	X(archive_entry_new)                                  \
	X(archive_entry_free)                                 \
	X(archive_entry_clear)                                \
	X(archive_entry_set_pathname)                         \
	X(archive_entry_set_filetype)                         \
	X(archive_entry_set_perm)                             \
	X(archive_entry_set_mode)                             \
	X(archive_entry_set_size)                             \
	X(archive_entry_set_uid)                              \
	X(archive_entry_set_gid)                              \
	X(archive_entry_set_symlink)                          \
	X(archive_entry_set_hardlink)                         \
	X(archive_entry_set_mtime)                            \
	X(archive_entry_set_rdevmajor)                        \
	X(archive_entry_set_rdevminor)                        \
	X(archive_entry_xattr_add_entry)                      \
	X(archive_write_new)                                  \
	X(archive_write_free)                                 \
	X(archive_write_close)                                \
	X(archive_write_set_format_pax_restricted)            \
	X(archive_write_set_format_raw)                       \
	X(archive_write_set_filter_option)                    \
	X(archive_write_add_filter_gzip)                      \
	X(archive_write_add_filter_zstd)                      \
	X(archive_write_add_filter_none)                      \
	X(archive_write_set_bytes_per_block)                  \
	X(archive_write_open_fd)                              \
	X(archive_write_open)                                 \
	X(archive_write_header)                               \
	X(archive_write_data)

#define DECLARE_SLOT(name) void *name;
static struct { ARCHIVE_FUNCS(DECLARE_SLOT) } T;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof load_error, "cannot load libarchive.so.13: %s", dlerror());
		return;
	}
#define RESOLVE(name) T.name = dlsym(h, #name);
	ARCHIVE_FUNCS(RESOLVE)
	if (!T.archive_read_new || !T.archive_read_next_header)
		snprintf(load_error, sizeof load_error, "libarchive.so.13 lacks the functions berth needs");
}

static int ready(void)
{
	pthread_once(&once, load);
	return !load_error[0];
}

const char *berth__archive_error(void)
{
	ready();
	return load_error[0] ? load_error : NULL;
}

/* The wrappers: same names and prototypes as <archive.h>, hidden. A missing
 * optional symbol (an older libarchive) makes that call fail with ARCHIVE_FATAL. */
#define CALL(name, fail, ...) \
	((ready() && T.name) ? ((__typeof__(&name))T.name)(__VA_ARGS__) : (fail))

#define W BERTH_HIDDEN
W struct archive *archive_read_new(void) { return CALL(archive_read_new, NULL); }
W int archive_read_free(struct archive *a) { return CALL(archive_read_free, ARCHIVE_FATAL, a); }
W int archive_read_support_filter_gzip(struct archive *a) { return CALL(archive_read_support_filter_gzip, ARCHIVE_FATAL, a); }
W int archive_read_support_filter_zstd(struct archive *a) { return CALL(archive_read_support_filter_zstd, ARCHIVE_FATAL, a); }
W int archive_read_support_filter_bzip2(struct archive *a) { return CALL(archive_read_support_filter_bzip2, ARCHIVE_FATAL, a); }
W int archive_read_support_filter_xz(struct archive *a) { return CALL(archive_read_support_filter_xz, ARCHIVE_FATAL, a); }
W int archive_read_support_filter_none(struct archive *a) { return CALL(archive_read_support_filter_none, ARCHIVE_FATAL, a); }
W int archive_read_support_format_tar(struct archive *a) { return CALL(archive_read_support_format_tar, ARCHIVE_FATAL, a); }
W int archive_read_support_format_empty(struct archive *a) { return CALL(archive_read_support_format_empty, ARCHIVE_FATAL, a); }
W int archive_read_support_format_raw(struct archive *a) { return CALL(archive_read_support_format_raw, ARCHIVE_FATAL, a); }
W int archive_read_open_fd(struct archive *a, int fd, size_t bs) { return CALL(archive_read_open_fd, ARCHIVE_FATAL, a, fd, bs); }
W int archive_read_open_memory(struct archive *a, const void *buf, size_t n) { return CALL(archive_read_open_memory, ARCHIVE_FATAL, a, buf, n); }
W int archive_read_open(struct archive *a, void *cd, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c)
{ return CALL(archive_read_open, ARCHIVE_FATAL, a, cd, o, r, c); }
W int archive_read_open2(struct archive *a, void *cd, archive_open_callback *o, archive_read_callback *r, archive_skip_callback *s, archive_close_callback *c)
{ return CALL(archive_read_open2, ARCHIVE_FATAL, a, cd, o, r, s, c); }
W int archive_read_next_header(struct archive *a, struct archive_entry **e) { return CALL(archive_read_next_header, ARCHIVE_FATAL, a, e); }
W la_ssize_t archive_read_data(struct archive *a, void *buf, size_t n) { return CALL(archive_read_data, ARCHIVE_FATAL, a, buf, n); }
W int archive_read_data_block(struct archive *a, const void **buf, size_t *n, la_int64_t *off) { return CALL(archive_read_data_block, ARCHIVE_FATAL, a, buf, n, off); }
W int archive_read_data_skip(struct archive *a) { return CALL(archive_read_data_skip, ARCHIVE_FATAL, a); }
W int archive_read_close(struct archive *a) { return CALL(archive_read_close, ARCHIVE_FATAL, a); }
W int archive_filter_code(struct archive *a, int n) { return CALL(archive_filter_code, -1, a, n); }
W int archive_filter_count(struct archive *a) { return CALL(archive_filter_count, 0, a); }
W int archive_format(struct archive *a) { return CALL(archive_format, 0, a); }
W const char *archive_error_string(struct archive *a) { return CALL(archive_error_string, load_error, a); }
W int archive_errno(struct archive *a) { return CALL(archive_errno, 0, a); }
W void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	/* only a plain message is passed on (no varargs forwarding needed by berth) */
	if (ready() && T.archive_set_error)
		((void (*)(struct archive *, int, const char *, ...))T.archive_set_error)(a, err, "%s", fmt);
}
W const char *archive_entry_pathname(struct archive_entry *e) { return CALL(archive_entry_pathname, NULL, e); }
W __LA_MODE_T archive_entry_filetype(struct archive_entry *e) { return CALL(archive_entry_filetype, 0, e); }
W __LA_MODE_T archive_entry_mode(struct archive_entry *e) { return CALL(archive_entry_mode, 0, e); }
W __LA_MODE_T archive_entry_perm(struct archive_entry *e) { return CALL(archive_entry_perm, 0, e); }
W la_int64_t archive_entry_uid(struct archive_entry *e) { return CALL(archive_entry_uid, 0, e); }
W la_int64_t archive_entry_gid(struct archive_entry *e) { return CALL(archive_entry_gid, 0, e); }
W la_int64_t archive_entry_size(struct archive_entry *e) { return CALL(archive_entry_size, 0, e); }
W int archive_entry_size_is_set(struct archive_entry *e) { return CALL(archive_entry_size_is_set, 0, e); }
W const char *archive_entry_symlink(struct archive_entry *e) { return CALL(archive_entry_symlink, NULL, e); }
W const char *archive_entry_hardlink(struct archive_entry *e) { return CALL(archive_entry_hardlink, NULL, e); }
W time_t archive_entry_mtime(struct archive_entry *e) { return CALL(archive_entry_mtime, 0, e); }
W long archive_entry_mtime_nsec(struct archive_entry *e) { return CALL(archive_entry_mtime_nsec, 0, e); }
W int archive_entry_mtime_is_set(struct archive_entry *e) { return CALL(archive_entry_mtime_is_set, 0, e); }
W time_t archive_entry_atime(struct archive_entry *e) { return CALL(archive_entry_atime, 0, e); }
W long archive_entry_atime_nsec(struct archive_entry *e) { return CALL(archive_entry_atime_nsec, 0, e); }
W int archive_entry_atime_is_set(struct archive_entry *e) { return CALL(archive_entry_atime_is_set, 0, e); }
W dev_t archive_entry_rdevmajor(struct archive_entry *e) { return CALL(archive_entry_rdevmajor, 0, e); }
W dev_t archive_entry_rdevminor(struct archive_entry *e) { return CALL(archive_entry_rdevminor, 0, e); }
W int archive_entry_xattr_reset(struct archive_entry *e) { return CALL(archive_entry_xattr_reset, 0, e); }
W int archive_entry_xattr_next(struct archive_entry *e, const char **n, const void **v, size_t *s) { return CALL(archive_entry_xattr_next, ARCHIVE_WARN, e, n, v, s); }
W int archive_entry_xattr_count(struct archive_entry *e) { return CALL(archive_entry_xattr_count, 0, e); }
W struct archive_entry *archive_entry_new(void) { return CALL(archive_entry_new, NULL); }
W void archive_entry_free(struct archive_entry *e) { if (ready() && T.archive_entry_free) ((__typeof__(&archive_entry_free))T.archive_entry_free)(e); }
W struct archive_entry *archive_entry_clear(struct archive_entry *e) { return CALL(archive_entry_clear, NULL, e); }
W void archive_entry_set_pathname(struct archive_entry *e, const char *p) { if (ready() && T.archive_entry_set_pathname) ((__typeof__(&archive_entry_set_pathname))T.archive_entry_set_pathname)(e, p); }
W void archive_entry_set_filetype(struct archive_entry *e, unsigned int t) { if (ready() && T.archive_entry_set_filetype) ((__typeof__(&archive_entry_set_filetype))T.archive_entry_set_filetype)(e, t); }
W void archive_entry_set_perm(struct archive_entry *e, __LA_MODE_T m) { if (ready() && T.archive_entry_set_perm) ((__typeof__(&archive_entry_set_perm))T.archive_entry_set_perm)(e, m); }
W void archive_entry_set_mode(struct archive_entry *e, __LA_MODE_T m) { if (ready() && T.archive_entry_set_mode) ((__typeof__(&archive_entry_set_mode))T.archive_entry_set_mode)(e, m); }
W void archive_entry_set_size(struct archive_entry *e, la_int64_t s) { if (ready() && T.archive_entry_set_size) ((__typeof__(&archive_entry_set_size))T.archive_entry_set_size)(e, s); }
W void archive_entry_set_uid(struct archive_entry *e, la_int64_t u) { if (ready() && T.archive_entry_set_uid) ((__typeof__(&archive_entry_set_uid))T.archive_entry_set_uid)(e, u); }
W void archive_entry_set_gid(struct archive_entry *e, la_int64_t g) { if (ready() && T.archive_entry_set_gid) ((__typeof__(&archive_entry_set_gid))T.archive_entry_set_gid)(e, g); }
W void archive_entry_set_symlink(struct archive_entry *e, const char *s) { if (ready() && T.archive_entry_set_symlink) ((__typeof__(&archive_entry_set_symlink))T.archive_entry_set_symlink)(e, s); }
W void archive_entry_set_hardlink(struct archive_entry *e, const char *s) { if (ready() && T.archive_entry_set_hardlink) ((__typeof__(&archive_entry_set_hardlink))T.archive_entry_set_hardlink)(e, s); }
W void archive_entry_set_mtime(struct archive_entry *e, time_t t, long ns) { if (ready() && T.archive_entry_set_mtime) ((__typeof__(&archive_entry_set_mtime))T.archive_entry_set_mtime)(e, t, ns); }
W void archive_entry_set_rdevmajor(struct archive_entry *e, dev_t d) { if (ready() && T.archive_entry_set_rdevmajor) ((__typeof__(&archive_entry_set_rdevmajor))T.archive_entry_set_rdevmajor)(e, d); }
W void archive_entry_set_rdevminor(struct archive_entry *e, dev_t d) { if (ready() && T.archive_entry_set_rdevminor) ((__typeof__(&archive_entry_set_rdevminor))T.archive_entry_set_rdevminor)(e, d); }
W void archive_entry_xattr_add_entry(struct archive_entry *e, const char *n, const void *v, size_t s) { if (ready() && T.archive_entry_xattr_add_entry) ((__typeof__(&archive_entry_xattr_add_entry))T.archive_entry_xattr_add_entry)(e, n, v, s); }
W struct archive *archive_write_new(void) { return CALL(archive_write_new, NULL); }
W int archive_write_free(struct archive *a) { return CALL(archive_write_free, ARCHIVE_FATAL, a); }
W int archive_write_close(struct archive *a) { return CALL(archive_write_close, ARCHIVE_FATAL, a); }
W int archive_write_set_format_pax_restricted(struct archive *a) { return CALL(archive_write_set_format_pax_restricted, ARCHIVE_FATAL, a); }
W int archive_write_set_format_raw(struct archive *a) { return CALL(archive_write_set_format_raw, ARCHIVE_FATAL, a); }
W int archive_write_set_filter_option(struct archive *a, const char *m, const char *o, const char *v)
{ return CALL(archive_write_set_filter_option, ARCHIVE_FATAL, a, m, o, v); }
W int archive_write_add_filter_gzip(struct archive *a) { return CALL(archive_write_add_filter_gzip, ARCHIVE_FATAL, a); }
W int archive_write_add_filter_zstd(struct archive *a) { return CALL(archive_write_add_filter_zstd, ARCHIVE_FATAL, a); }
W int archive_write_add_filter_none(struct archive *a) { return CALL(archive_write_add_filter_none, ARCHIVE_FATAL, a); }
W int archive_write_set_bytes_per_block(struct archive *a, int n) { return CALL(archive_write_set_bytes_per_block, ARCHIVE_FATAL, a, n); }
W int archive_write_open_fd(struct archive *a, int fd) { return CALL(archive_write_open_fd, ARCHIVE_FATAL, a, fd); }
W int archive_write_open(struct archive *a, void *cd, archive_open_callback *o, archive_write_callback *w, archive_close_callback *c)
{ return CALL(archive_write_open, ARCHIVE_FATAL, a, cd, o, w, c); }
W int archive_write_header(struct archive *a, struct archive_entry *e) { return CALL(archive_write_header, ARCHIVE_FATAL, a, e); }
W la_ssize_t archive_write_data(struct archive *a, const void *buf, size_t n) { return CALL(archive_write_data, ARCHIVE_FATAL, a, buf, n); }
