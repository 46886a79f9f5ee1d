/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The version of the libseccomp that would compile a filter in this
 * process, for the cache key (seccomp_cache.c).
 *
 * Asking seccomp_version() loads libseccomp (about 0.1 ms), which a cache
 * hit otherwise never needs. So the answer is remembered in
 * <cache_dir>/libseccomp.version together with the identity (device, inode,
 * size, mtime) of the file it came from and of /etc/ld.so.cache. While
 * neither changed (no package upgrade, no ldconfig run) and no
 * LD_LIBRARY_PATH or LD_PRELOAD can send the loader elsewhere, the
 * remembered version is the one the loader would load; otherwise the
 * library itself is asked (and the record rewritten).
 */
#include "security/security.h"
#include <dlfcn.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LD_CACHE "/etc/ld.so.cache"
#define RECORD "libseccomp.version"

typedef struct {
	unsigned long long dev, ino, size, sec, nsec;
} file_id;

#define ID_FMT "%llu %llu %llu %llu %llu"
#define ID_ARGS(i) (i).dev, (i).ino, (i).size, (i).sec, (i).nsec
#define ID_PTRS(i) &(i).dev, &(i).ino, &(i).size, &(i).sec, &(i).nsec

/* All zero when path does not exist. */
static file_id identify(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return (file_id){ 0 };
	return (file_id){ st.st_dev, st.st_ino, (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
		          (unsigned long long)st.st_mtim.tv_nsec };
}

static int same(file_id a, file_id b)
{
	return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.sec == b.sec && a.nsec == b.nsec;
}

/* The remembered version if it still holds: 0, else -1. */
static int remembered(char *out, size_t size, const char *record)
{
	if (getenv("LD_LIBRARY_PATH") || getenv("LD_PRELOAD"))
		return -1;
	int fd = open(record, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	char buf[4400];
	struct stat st;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
		n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char version[32], path[4097];
	file_id lib, ldc;
	if (sscanf(buf, "%31s " ID_FMT " " ID_FMT " %4096[^\n]", version, ID_PTRS(lib), ID_PTRS(ldc), path) != 12 ||
	    path[0] != '/' || !lib.ino || !same(lib, identify(path)) || !same(ldc, identify(LD_CACHE)) ||
	    strlen(version) >= size)
		return -1;
	memcpy(out, version, strlen(version) + 1);
	return 0;
}

static void remember(const char *record, const char *cache_dir, const char *version, const void *in_lib)
{
	Dl_info info;
	if (!dladdr(in_lib, &info) || !info.dli_fname || info.dli_fname[0] != '/')
		return;
	file_id lib = identify(info.dli_fname), ldc = identify(LD_CACHE);
	char *line = berth__sprintf("%s " ID_FMT " " ID_FMT " %s\n", version, ID_ARGS(lib), ID_ARGS(ldc),
	                            info.dli_fname);
	/* best effort: without the record the next run asks the library again */
	berth__err_saved saved;
	berth__err_save(&saved);
	if (line && berth__mkdir_p(cache_dir, 0700) == 0)
		berth__write_file_atomic(record, line, strlen(line), 0600);
	berth__err_restore(&saved);
	free(line);
}

int berth__seccomp_runtime_version(char *out, size_t size, const char *cache_dir)
{
	char *record = cache_dir ? berth__path_join(cache_dir, RECORD) : NULL;
	if (record && remembered(out, size, record) == 0) {
		free(record);
		return 0;
	}
	const struct scmp_version *v = seccomp_version();
	if (!v) {
		free(record);
		return -1;
	}
	snprintf(out, size, "%u.%u.%u", v->major, v->minor, v->micro);
	if (record)
		remember(record, cache_dir, out, v);
	free(record);
	return 0;
}
