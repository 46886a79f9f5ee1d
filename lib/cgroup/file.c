/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Small file helpers of lib/cgroup: read, write, exists, the clock. */
#include "cgroup/cgroup_priv.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

uint64_t berth__cg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void berth__cg_nap(unsigned usec)
{
	struct timespec ts = { usec / 1000000, (long)(usec % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int berth__cg_join(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* dir/file opened with flags | O_CLOEXEC: the fd or -errno. */
static int open_file(const char *dir, const char *file, int flags)
{
	char path[PATH_MAX];
	int r = berth__cg_join(path, sizeof path, dir, file);
	if (r < 0)
		return r;
	int fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int berth__cg_slurp(char **out, const char *dir, const char *file)
{
	int fd = open_file(dir, file, O_RDONLY);
	if (fd < 0)
		return fd;
	int r = berth__slurp_fd(out, NULL, fd, CG_FILE_MAX);
	close(fd);
	return r;
}

int berth__cg_read_line(char *buf, size_t len, const char *dir, const char *file)
{
	int fd = open_file(dir, file, O_RDONLY);
	if (fd < 0)
		return fd;
	ssize_t n;
	while ((n = read(fd, buf, len - 1)) < 0 && errno == EINTR)
		;
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
		buf[--l] = '\0';
	return 0;
}

int berth__cg_read_u64(uint64_t *out, const char *dir, const char *file)
{
	char buf[64];
	int r = berth__cg_read_line(buf, sizeof buf, dir, file);
	if (r < 0)
		return r;
	if (!strcmp(buf, "max")) {
		*out = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (end == buf || errno)
		return -EINVAL;
	*out = v;
	return 0;
}

int berth__cg_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	return berth__cg_join(path, sizeof path, dir, file) == 0 && access(path, F_OK) == 0;
}

int berth__cg_write_raw(const char *dir, const char *file, const char *val)
{
	int fd = open_file(dir, file, O_WRONLY);
	if (fd < 0)
		return fd;
	size_t len = strlen(val);
	ssize_t n;
	while ((n = write(fd, val, len)) < 0 && errno == EINTR)
		;
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int berth__cg_write(const berth_cgroup *cg, const char *dir, const char *file, const char *val, const char *label)
{
	int r = berth__cg_write_raw(dir, file, val);
	if (r < 0)
		return berth__err_sys(-r, "cgroup %s: %s: write %s", cg->rel, label ? label : file, val);
	return 0;
}

const char *berth__cg_v1dir(const berth_cgroup *cg, unsigned ctrl)
{
	for (size_t i = 0; i < cg->nv1; i++)
		if ((cg->v1[i].ctrl & ctrl) && cg->v1[i].dir)
			return cg->v1[i].dir;
	return NULL;
}

int berth__cg_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
