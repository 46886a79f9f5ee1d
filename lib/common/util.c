/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *berth__strdup(const char *s)
{
	char *r = strdup(s ? s : "");
	if (!r)
		berth__err_nomem();
	return r;
}

char *berth__sprintf(const char *fmt, ...)
{
	char *r = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&r, fmt, ap);
	va_end(ap);
	if (n < 0) {
		berth__err_nomem();
		return NULL;
	}
	return r;
}

char *berth__path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (*b == '/')
		b++;
	if (la && a[la - 1] == '/')
		return berth__sprintf("%s%s", a, b);
	return berth__sprintf("%s/%s", a, b);
}

int berth__mkdir_p(const char *path, mode_t mode)
{
	struct stat st0;
	if (stat(path, &st0) == 0 && S_ISDIR(st0.st_mode))
		return 0; /* the common case: nothing to make */
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf)
		return berth__err(BERTH_EINVAL, "mkdir %s: bad path", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return berth__err_sys(errno, "mkdir %s", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return berth__err_sys(errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return berth__err(BERTH_EEXISTS, "mkdir %s: exists and is not a directory", path);
	return 0;
}

int berth__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	static unsigned long counter;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d.%lu", path, (int)getpid(),
	         __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return berth__err_sys(errno, "create %s", tmp);
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlink(tmp);
			return berth__err_sys(e, "write %s", tmp);
		}
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return berth__err_sys(e, "close %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return berth__err_sys(e, "rename %s", path);
	}
	return 0;
}

static int rm_rf_at(int dfd, const char *name, dev_t dev, int depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (st.st_dev != dev)
		return -EBUSY; /* a mount point: never descend */
	if (depth > 4096)
		return -ELOOP;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = berth__fdopendir(fd);
	if (!d)
		return -errno;
	int ret = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int r = rm_rf_at(fd, de->d_name, dev, depth + 1);
		if (r < 0 && !ret)
			ret = r;
	}
	closedir(d);
	if (ret == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		ret = -errno;
	return ret;
}

int berth__rm_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	return rm_rf_at(dfd, name, st.st_dev, 0);
}

int berth__rm_rf(const char *path)
{
	int r = berth__rm_at(AT_FDCWD, path);
	if (r < 0)
		return berth__err_sys(-r, "remove %s", path);
	return 0;
}

void berth__rm_rf_quiet(const char *path)
{
	(void)berth__rm_at(AT_FDCWD, path);
}

DIR *berth__fdopendir(int fd)
{
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

char **berth__strv_pack(char *const *strs, size_t n)
{
	size_t bytes = (n + 1) * sizeof(char *);
	for (size_t i = 0; i < n; i++)
		bytes += strlen(strs[i]) + 1;
	char **v = malloc(bytes);
	if (!v) {
		berth__err_nomem();
		return NULL;
	}
	char *p = (char *)(v + n + 1);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(strs[i]) + 1;
		memcpy(p, strs[i], l);
		v[i] = p;
		p += l;
	}
	v[n] = NULL;
	return v;
}

int berth__random_hex(char *buf, size_t nbytes)
{
	unsigned char raw[64];
	if (nbytes > sizeof raw)
		nbytes = sizeof raw;
	size_t got = 0;
	while (got < nbytes) {
		ssize_t r = getrandom(raw + got, nbytes - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berth__err_sys(errno, "getrandom");
		}
		got += (size_t)r;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < nbytes; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[2 * nbytes] = '\0';
	return 0;
}

int berth__check_id(const char *what, const char *id)
{
	if (!id || !*id)
		return berth__err(BERTH_EINVAL, "%s: must not be empty", what);
	size_t n = strlen(id);
	if (n > 128)
		return berth__err(BERTH_EINVAL, "%s '%.20s...': longer than 128 characters", what, id);
	if (!isalnum((unsigned char)id[0]))
		return berth__err(BERTH_EINVAL, "%s '%s': must start with a letter or digit", what, id);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return berth__err(BERTH_EINVAL, "%s '%s': invalid character '%c' (allowed: [A-Za-z0-9_.-])",
			                  what, id, c);
	}
	if (strstr(id, ".."))
		return berth__err(BERTH_EINVAL, "%s '%s': must not contain '..'", what, id);
	return 0;
}

uint64_t berth__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void berth__format_time(char *buf, size_t len, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm); /* (strftime would read the time zone database) */
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	         tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned long long)(ns % 1000000000ull));
}

uint64_t berth__proc_stat(pid_t pid, char *state)
{
	char path[64], buf[1024];
	if (state)
		*state = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p || !p[1] || !p[2])
		return 0;
	if (state)
		*state = p[2];
	p++;
	/* fields after ')' start at field 3; starttime is field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return 0;
	}
	return strtoull(p + 1, NULL, 10);
}

uint64_t berth__proc_start_time(pid_t pid) { return berth__proc_stat(pid, NULL); }

int berth__all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

