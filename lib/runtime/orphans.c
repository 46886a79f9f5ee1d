/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Containers that die with their creator (lib/runtime/orphans.h).
 *
 * A builder killed with SIGKILL while a RUN step runs cannot delete the
 * step's container. Its init dies with the builder (the parent-death
 * signal); what it leaves (state, root dir, cgroup) is deleted by the next
 * berth command, which finds it by the mark <run_dir>/owner, written before
 * the init is cloned, naming the creator by pid and start time (a reused pid
 * has another start time). */
#include "runtime/orphans.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MARK "owner"

int berth__orphan_mark(const char *run_dir, const char *id)
{
	char path[4200], buf[64];
	snprintf(path, sizeof path, "%s/" MARK, run_dir);
	int n = snprintf(buf, sizeof buf, "%d %llu\n", (int)getpid(),
		(unsigned long long)berth__proc_start_time(getpid()));
	int r = berth__write_file_atomic(path, buf, (size_t)n, 0600);
	return r < 0 ? berth__err_prefix("container %s", id) : 0;
}

/* Is the creator named in the mark still there? A mark that cannot be
 * read yet (being written) counts as alive. */
static int creator_alive(int dirfd, const char *id)
{
	char path[300], buf[64];
	snprintf(path, sizeof path, "%s/" MARK, id);
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno != ENOENT;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	int pid;
	unsigned long long start;
	if (n <= 0 || (buf[n] = '\0', sscanf(buf, "%d %llu", &pid, &start)) != 2)
		return 1;
	char state = 0;
	return pid > 0 && berth__proc_stat(pid, &state) == start && state != 'Z' && state != 'X';
}

void berth__container_sweep_orphans(berth_ctx *ctx)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/containers", ctx->run_root);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	berth__err_saved sv;
	berth__err_save(&sv);
	struct dirent *de;
	while ((de = readdir(d))) {
		char mark[300];
		snprintf(mark, sizeof mark, "%s/" MARK, de->d_name);
		if (de->d_name[0] == '.' || faccessat(dfd, mark, F_OK, AT_SYMLINK_NOFOLLOW) < 0 ||
		    creator_alive(dfd, de->d_name))
			continue;
		berth_container *c = NULL;
		char meta[4300];
		snprintf(meta, sizeof meta, "%s/containers/%s/container.json", ctx->root, de->d_name);
		/* (opened by its full id only: an open by prefix would list, and sweep) */
		int r = access(meta, F_OK) == 0 ? berth_container_open(&c, ctx, de->d_name) : BERTH_ENOTFOUND;
		if (r == 0)
			r = berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES);
		else if (r == BERTH_ENOTFOUND) {
			/* its creator died before container.json: what there is */
			char p[4300];
			snprintf(p, sizeof p, "%s/containers/%s", ctx->root, de->d_name);
			r = berth__rm_rf(p);
			snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
			if (r == 0)
				r = berth__rm_rf(p);
		}
		berth__log(ctx, r < 0 ? BERTH_LOG_WARN : BERTH_LOG_INFO, "container %s: its creator is gone: %s%s", de->d_name,
			r < 0 ? "could not delete it: " : "deleted", r < 0 ? berth_error_last()->message : "");
		berth_container_free(c);
	}
	closedir(d);
	berth__err_restore(&sv);
}
