/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Opening a path inside a root directory: openat2(RESOLVE_IN_ROOT), so
 * symlinks and ".." resolve as if the root were "/". The one helper for it;
 * it makes only system calls (no malloc, no locks), so the container's init
 * uses it between clone and execve too. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* EAGAIN: a rename or mount somewhere raced with the lookup; try again, a
 * bounded number of times. */
#define OPENAT2_TRIES 64

int berth__open_in_root(int root, const char *rel, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	for (int i = 0; i < OPENAT2_TRIES; i++) {
		int fd = (int)syscall(SYS_openat2, root, rel[0] ? rel : ".", &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN)
			return fd;
	}
	return -1;
}
