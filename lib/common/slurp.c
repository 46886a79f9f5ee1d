/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Reading a whole file (or what a pipe gives until its end) into memory,
 * with a size bound: the one helper for it (see internal.h). */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int berth__slurp_fd(char **out, size_t *out_len, int fd, size_t max)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*out = buf;
	if (out_len)
		*out_len = len;
	return 0;
}

int berth__read_file_max(char **out, size_t *out_len, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth__err_sys(errno, "open %s", path);
	int r = berth__slurp_fd(out, out_len, fd, max);
	close(fd);
	if (r == -ENOMEM)
		return berth__err_nomem();
	if (r == -EFBIG)
		return berth__err(BERTH_EINVAL, "read %s: larger than %zu bytes", path, max);
	if (r < 0)
		return berth__err_sys(-r, "read %s", path);
	return 0;
}

int berth__read_file(char **out, size_t *out_len, const char *path)
{
	return berth__read_file_max(out, out_len, path, BERTH__READ_FILE_MAX);
}
