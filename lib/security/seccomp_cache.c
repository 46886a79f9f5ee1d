/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A cache of compiled seccomp programs. libseccomp needs ~15 ms to turn
 * Docker's default profile (three architectures, ~400 syscalls) into BPF;
 * that would be most of a container's start time. The program depends only
 * on the profile and on libseccomp, so it is kept on disk under
 * <root>/cache/seccomp/<sha256>.bpf, the name being the SHA-256 of the
 * profile's canonical JSON, the version of the libseccomp a compile would
 * load (seccomp_version(), remembered while the library's file is unchanged:
 * seccomp_version.c; an upgrade of libseccomp alone makes new programs) and
 * the compiler's. The directory is root's (0700);
 * files are written temp + rename and checked for a sane size when read.
 */
#include "security/security.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif

static int cache_key(char out[65], const json_t *seccomp, const char *cache_dir)
{
	/* the libseccomp that would compile it here (seccomp_version.c): an
	 * upgrade of the library, not only of berth, makes a new program */
	char version[32];
	if (berth__seccomp_runtime_version(version, sizeof version, cache_dir) < 0)
		return -1;
	char *canon = json_dumps(seccomp, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon)
		return -1;
	char extra[128];
	snprintf(extra, sizeof extra, "|libseccomp %s|%s|v1", version, __VERSION__);
	berth__sha256_ctx h;
	berth__sha256_init(&h);
	berth__sha256_update(&h, canon, strlen(canon));
	berth__sha256_update(&h, extra, strlen(extra));
	berth__sha256_final_hex(&h, out);
	free(canon);
	return 0;
}

static int load(struct sock_fprog *out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size <= 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) || st.st_size > BPF_MAXINSNS * (off_t)sizeof(struct sock_filter)) {
		close(fd);
		return -1;
	}
	struct sock_filter *f = malloc((size_t)st.st_size);
	ssize_t n = f ? read(fd, f, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(f);
		return -1;
	}
	out->filter = f;
	out->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	return 0;
}

int berth__seccomp_compile_cached(struct sock_fprog *out, const json_t *seccomp, const char *cache_dir)
{
	char key[65];
	if (!cache_dir || cache_key(key, seccomp, cache_dir) < 0)
		return berth__seccomp_compile(out, seccomp);
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.bpf", cache_dir, key);
	if (load(out, path) == 0)
		return 0;
	int r = berth__seccomp_compile(out, seccomp);
	if (r < 0)
		return r;
	/* best effort: a cache that cannot be written costs time, not correctness */
	berth__err_saved saved;
	berth__err_save(&saved);
	if (berth__mkdir_p(cache_dir, 0700) == 0)
		berth__write_file_atomic(path, out->filter, (size_t)out->len * sizeof(struct sock_filter), 0600);
	berth__err_restore(&saved);
	return 0;
}
