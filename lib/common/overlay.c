/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Overlay mounts with the mount API, shared by the runtime (a container's
 * rootfs, lib/runtime/image_rootfs.c) and the builder (COPY/ADD/WORKDIR
 * steps, lib/build/fsop.c).
 *
 * fsopen("overlay"), one fsconfig("lowerdir+") per layer (top first),
 * "upperdir" and "workdir", the extra options, FSCONFIG_CMD_CREATE, fsmount:
 * a detached mount the caller attaches with move_mount. No option string, so
 * neither the page limit of mount(2)'s data nor a separator in a path
 * matters. The directories are given as file descriptors (overlayfs takes
 * them since Linux 6.13): fsconfig's string values are limited to 255 bytes,
 * a layer path under a long state root is not. Kernels from 6.8 to 6.12 get
 * the paths as strings instead. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* The kernel's own words on a failed fsconfig (read from the fs context). */
static void fs_log(int fsfd, char *buf, size_t len)
{
	buf[0] = '\0';
	size_t o = 0;
	for (;;) {
		char m[512];
		ssize_t n = read(fsfd, m, sizeof m - 1);
		if (n <= 0)
			break;
		m[n] = '\0';
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "; " : "", m);
	}
}

/* fsconfig of a directory: as an fd when *by_fd (cleared when this kernel
 * takes only strings), else as a string. 0 or -1 with errno. */
static int set_dir(int fsfd, const char *key, const char *dir, int *by_fd)
{
	if (*by_fd) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		int r = fsconfig(fsfd, FSCONFIG_SET_FD, key, NULL, fd);
		int e = errno;
		close(fd);
		if (r == 0)
			return 0;
		if (e != EINVAL) {
			errno = e;
			return -1;
		}
		/* before Linux 6.13 overlayfs takes no file descriptors: strings */
		*by_fd = 0;
		char drop[1024];
		fs_log(fsfd, drop, sizeof drop);
	}
	if (strlen(dir) > 255) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return fsconfig(fsfd, FSCONFIG_SET_STRING, key, dir, 0);
}

int berth__overlay_mount(int *out, char *const *dirs, size_t n, const char *upper, const char *work,
                         const char *const *options, const char *what)
{
	*out = -1;
	if (n == 0 || (!upper && n < 2))
		return berth__err(BERTH_EINVAL, "%s: an overlay needs %s", what,
		                  upper ? "a lower directory" : "two lower directories when it has no upper one");
	int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0) {
		if (errno == ENODEV || errno == ENOSYS) {
			berth__err(BERTH_EUNSUPPORTED, "%s: the overlay filesystem is not available here (fsopen: %s)", what,
			           strerror(errno));
			return 1;
		}
		return berth__err_sys(errno, "%s: fsopen overlay", what);
	}
	int r = 0, by_fd = 1;
	char log[1024];
	for (size_t i = n; r == 0 && i-- > 0;) { /* the top layer first */
		if (set_dir(fsfd, "lowerdir+", dirs[i], &by_fd) == 0)
			continue;
		int e = errno;
		fs_log(fsfd, log, sizeof log);
		if (e == EINVAL && !by_fd && i == n - 1) { /* no "lowerdir+" (before Linux 6.8) */
			close(fsfd);
			berth__err(BERTH_EUNSUPPORTED, "%s: this kernel's overlay filesystem takes no \"lowerdir+\" (Linux 6.8)",
			           what);
			return 1;
		}
		r = berth__err_sys(e, "%s: overlay: layer %s%s%s", what, dirs[i], log[0] ? ": " : "", log);
	}
	if (r == 0 && upper) {
		const char *which = upper;
		int k = set_dir(fsfd, "upperdir", upper, &by_fd);
		if (k == 0) {
			which = work;
			k = set_dir(fsfd, "workdir", work, &by_fd);
		}
		if (k < 0) {
			int e = errno;
			fs_log(fsfd, log, sizeof log);
			r = berth__err_sys(e, "%s: overlay: %s%s%s", what, which, log[0] ? ": " : "", log);
		}
	}
	for (size_t i = 0; r == 0 && options && options[i]; i++) {
		char key[128];
		const char *eq = strchr(options[i], '=');
		size_t kl = eq ? (size_t)(eq - options[i]) : strlen(options[i]);
		if (kl >= sizeof key) {
			r = berth__err(BERTH_EINVAL, "%s: overlay option %.40s...: too long", what, options[i]);
			break;
		}
		memcpy(key, options[i], kl);
		key[kl] = '\0';
		if (fsconfig(fsfd, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, key, eq ? eq + 1 : NULL, 0) < 0) {
			int e = errno;
			fs_log(fsfd, log, sizeof log);
			r = berth__err_sys(e, "%s: overlay option %s%s%s", what, options[i], log[0] ? ": " : "", log);
		}
	}
	if (r == 0 && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;
		fs_log(fsfd, log, sizeof log);
		if (e == EINVAL) { /* e.g. an upper directory on a filesystem overlay cannot use */
			close(fsfd);
			berth__err(BERTH_EUNSUPPORTED, "%s: the overlay of %zu layers cannot be made here%s%s", what, n,
			           log[0] ? ": " : "", log);
			return 1;
		}
		r = berth__err_sys(e, "%s: create the overlay of %zu layers%s%s", what, n, log[0] ? ": " : "", log);
	}
	int mfd = -1;
	if (r == 0 && (mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY)) < 0)
		r = berth__err_sys(errno, "%s: fsmount the overlay", what);
	close(fsfd);
	if (r < 0)
		return r;
	*out = mfd;
	return 0;
}
