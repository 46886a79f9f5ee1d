/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Helpers shared by the libFuzzer targets (fuzz_common.h). */
#include "fuzz_common.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

char *fz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%d: property broken: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void fz_tar_fix(uint8_t *buf, size_t size)
{
	for (size_t off = 0; off + 512 <= size; off += 512) {
		uint8_t *h = buf + off;
		if (memcmp(h + 257, "ustar", 5) != 0)
			continue;
		unsigned sum = 0;
		for (size_t i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
		h[155] = ' ';
	}
}

int fz_memfile(const uint8_t *data, size_t size)
{
	int fd = memfd_create("berth-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void fz_limit_files(void)
{
	static int done;
	if (done)
		return;
	struct rlimit rl = { 64u << 20, 64u << 20 };
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		fz_fail(__FILE__, __LINE__, "setrlimit: %s", strerror(errno));
	signal(SIGXFSZ, SIG_IGN);
	done = 1;
}

static char area[4096], root[4200];

static void area_remove(void)
{
	if (area[0])
		berth__rm_rf(area);
}

const char *fz_root(void)
{
	if (!area[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(area, sizeof area, "%s/berth-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(area))
			fz_fail(__FILE__, __LINE__, "mkdtemp %s: %s", area, strerror(errno));
		snprintf(root, sizeof root, "%s/root", area);
		atexit(area_remove);
	}
	if (mkdir(root, 0700) < 0)
		fz_fail(__FILE__, __LINE__, "mkdir %s: %s", root, strerror(errno));
	return root;
}

void fz_root_done(void)
{
	if (berth__rm_rf(root) < 0)
		fz_fail(__FILE__, __LINE__, "remove %s: %s", root, berth_error_last()->message);
	DIR *d = opendir(area);
	if (!d)
		fz_fail(__FILE__, __LINE__, "open %s: %s", area, strerror(errno));
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fz_fail(__FILE__, __LINE__, "'%s' was created in %s, outside the root", e->d_name, area);
	closedir(d);
}
