/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Layer unpacking (internal): extracts one OCI/Docker layer tar into a
 * directory in overlayfs form.
 *
 * Output format (an overlayfs lower dir):
 *   - "dir/.wh.name"   becomes a 0/0 character device "dir/name" (a whiteout);
 *   - "dir/.wh..wh..opq" sets trusted.overlay.opaque="y" on "dir" (created if
 *     missing); other ".wh..wh.*" entries (AUFS metadata) are skipped.
 *   Whiteout entries are never written as files.
 *
 * Safety: nothing outside dirfd is ever touched. Entry names are normalised
 * ("/a", "./a" and "a//b/" mean "a" and "a/b"); names with a ".." component,
 * names that are empty, and non-directories naming the root itself are refused
 * with BERTH_EINVAL. The parent of every entry, hardlink target and whiteout
 * target is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * relative to dirfd (so a symlink in the layer, or already in dirfd, is
 * resolved as if dirfd were "/"), and the final component is created relative
 * to that parent without following symlinks. An existing node is replaced by
 * unlinking it (recursively for a directory replaced by a non-directory;
 * directory over directory merges); nothing is ever written through an
 * existing node. Hardlink targets must exist inside dirfd and not be
 * directories. Ownership is numeric (no NSS); file flags and ACLs are ignored.
 *
 * Metadata: ownership first, then the mode (so setuid/setgid survive), then
 * xattrs (so security.capability survives the chown), then times. Applied
 * xattrs: user.*, trusted.* except trusted.overlay.* (overlay metadata only
 * comes from whiteout entries), security.capability; other security.* are
 * skipped (host LSM labels); any other name is applied and its failure is an
 * error. Directories get their final mode and times at the end, after their
 * contents. Hardlinks share their target's metadata (none applied).
 *
 * On failure the directory holds a partial extraction: the CALLER MUST REMOVE
 * the whole directory (it is a temp dir renamed into place only on success).
 * Errors set berth_error_last() with messages of the form
 *   "<what>: entry '<name>': <cause>"     (what defaults to "layer").
 * Malformed input (bad compression, not a tar, an empty input, truncation) and
 * hostile or inconsistent entries are BERTH_EINVAL; system failures (ENOSPC,
 * EPERM from mknod, ...) map from errno (BERTH_ESYS, BERTH_EPERM, ...).
 * Threads: no global state; distinct dirfds may be unpacked concurrently.
 */
#ifndef BERTH_IMAGE_UNPACK_H
#define BERTH_IMAGE_UNPACK_H

#include "internal.h"
#include <stdint.h>

struct archive;

/* Skip character and block devices instead of mknod (unprivileged use).
 * Whiteouts (0/0 character devices) are still created. */
#define BERTH__UNPACK_NO_DEVICES 0x1u
/* Do not chown: everything belongs to the caller. */
#define BERTH__UNPACK_NO_CHOWN 0x2u
/* Also bzip2- and xz-compressed tars (Dockerfile ADD; never image layers).
 * Only libarchive's built-in decoders: a libarchive that would run an
 * external bzip2/xz program gives BERTH_EUNSUPPORTED. */
#define BERTH__UNPACK_ADD_FILTERS 0x4u
/* A plain archive, not a layer (Dockerfile ADD): ".wh.*" names are ordinary
 * entries, as Docker's ADD writes them, not whiteouts. */
#define BERTH__UNPACK_PLAIN 0x8u

typedef struct berth__unpack_stats {
	uint64_t files;     /* entries created: files, dirs, symlinks, hardlinks, devices, fifos */
	uint64_t bytes;     /* regular file content bytes written */
	uint64_t whiteouts; /* whiteouts and opaque markers */
} berth__unpack_stats;

/* Reads a layer (gzip, zstd or uncompressed tar, detected from the content)
 * from tar_fd, from its current offset to its end (tar_fd is not closed), and
 * extracts it into dirfd (any directory fd, O_PATH is fine). what names the
 * layer in messages ("layer sha256:..."); NULL means "layer". stats (may be
 * NULL) is filled only on success. An empty input (0 bytes) is an error; an
 * empty tar archive is a layer with no entries. */
BERTH_HIDDEN int berth__layer_unpack_fd(int dirfd, int tar_fd, unsigned flags,
	berth__unpack_stats *stats, const char *what);

/* Does the content of fd (from offset 0; the offset is left unchanged)
 * start with a tar header, uncompressed or compressed with a filter flags
 * allows (gzip, zstd; bzip2 and xz with BERTH__UNPACK_ADD_FILTERS)? 1 yes,
 * 0 no (a plain file, a compressed file that is not a tar), or an error
 * (libarchive missing: BERTH_EUNSUPPORTED naming what). Docker's ADD rule. */
BERTH_HIDDEN int berth__archive_is_tar(int fd, unsigned flags, const char *what);

/* The same, reading entries from an already-opened libarchive reader (for
 * example a streaming reader fed while downloading). The reader is not closed
 * or freed; on success all its entries have been consumed. The caller chooses
 * its filters: berth__layer_unpack_fd enables only gzip and zstd (never
 * archive_read_support_filter_all, which may run external programs). */
BERTH_HIDDEN int berth__layer_unpack_archive(int dirfd, struct archive *a, unsigned flags,
	berth__unpack_stats *stats, const char *what);

#endif
