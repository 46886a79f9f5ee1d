/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Helpers shared by the libFuzzer targets (fuzz_common.h). */
#include "fuzz_common.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
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

static void tar_fix(uint8_t *buf, size_t size)
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

static int memfile(const uint8_t *data, size_t size)
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

static void limit_files(void)
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

int fz_tar_input(const uint8_t *data, size_t size)
{
	limit_files();
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	tar_fix(buf, size);
	int fd = memfile(buf, size);
	free(buf);
	if (fd < 0)
		fz_fail(__FILE__, __LINE__, "memfd: %s", strerror(errno));
	return fd;
}

/* A mount point field of mountinfo, with its \ooo escapes decoded. */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

static void make_writable(const char *dir)
{
	if (!dir || !*dir)
		return;
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT, NULL) < 0)
		fz_fail(__FILE__, __LINE__, "make %s writable: %s", dir, strerror(errno));
}

void fz_protect_host(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz: not root: the host is not made read-only around this target\n");
		return;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fz_fail(__FILE__, __LINE__, "private mount namespace: %s", strerror(errno));
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		fz_fail(__FILE__, __LINE__, "mountinfo: %s", strerror(errno));
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		char mp[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		unescape(mp);
		/* best effort for odd mounts (a failure leaves that one writable) */
		mount(NULL, mp, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
	}
	fclose(f);
	const char *rw = getenv("BERTH_FUZZ_WRITABLE");
	char *list = strdup(rw ? rw : ""), *save = NULL;
	for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save))
		make_writable(d);
	free(list);
	const char *tmp = getenv("TMPDIR");
	make_writable(tmp && *tmp ? tmp : "/tmp");
}

void fz_check_errno(const char *what)
{
	const berth_error *e = berth_error_last();
	if (e->sys_errno == EROFS)
		fz_fail(__FILE__, __LINE__, "%s tried to write outside its root: %s", what, e->message);
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
