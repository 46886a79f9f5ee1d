/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Containers that die with their creator (lib/runtime/orphans.h).
 *
 * A builder killed with SIGKILL while a RUN step runs cannot delete the
 * step's container. Its init dies with the builder (the parent-death
 * signal); what it leaves (state, root dir, cgroup) is deleted by the next
 * berth command, which finds it by its mark <run_root>/orphans/<id>, written
 * before the init is cloned, naming the creator by pid and start time (a
 * reused pid has another start time). The marks have a directory of their
 * own so that a sweep reads only them (almost always none): not every
 * container's directory on each create. */
#include "runtime/orphans.h"
#include "common/layout.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

int berth__orphan_mark(berth_ctx *ctx, const char *id)
{
	char path[4200], buf[64];
	berth__path_orphan(path, sizeof path, ctx->run_root, NULL);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return berth__err_sys(errno, "container %s: create %s", id, path);
	berth__path_orphan(path, sizeof path, ctx->run_root, id);
	int n = snprintf(buf, sizeof buf, "%d %llu\n", (int)getpid(),
		(unsigned long long)berth__proc_start_time(getpid()));
	int r = berth__write_file_atomic(path, buf, (size_t)n, 0600);
	return r < 0 ? berth__err_prefix("container %s", id) : 0;
}

void berth__orphan_unmark(berth_ctx *ctx, const char *id)
{
	char path[4200];
	berth__path_orphan(path, sizeof path, ctx->run_root, id);
	unlink(path);
}

/* Is the creator named in the mark still there? A mark that cannot be
 * read yet (being written) counts as alive. */
static int creator_alive(int dirfd, const char *id)
{
	char buf[64];
	int fd = openat(dirfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
	berth__path_orphan(dir, sizeof dir, ctx->run_root, NULL);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return; /* no container ever marked */
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	berth__err_saved sv;
	berth__err_save(&sv);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || creator_alive(dfd, de->d_name))
			continue;
		berth_container *c = NULL;
		char meta[4300];
		berth__path_container(meta, sizeof meta, ctx->root, de->d_name, "container.json");
		/* (opened by its full id only: an open by prefix would list, and sweep) */
		int r = access(meta, F_OK) == 0 ? berth_container_open(&c, ctx, de->d_name) : BERTH_ENOTFOUND;
		if (r == 0)
			r = berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES);
		else if (r == BERTH_ENOTFOUND) {
			/* its creator died before container.json: what there is */
			char p[4300];
			berth__path_container(p, sizeof p, ctx->root, de->d_name, NULL);
			r = berth__rm_rf(p);
			berth__path_container(p, sizeof p, ctx->run_root, de->d_name, NULL);
			if (r == 0)
				r = berth__rm_rf(p);
		}
		if (r == 0)
			unlinkat(dfd, de->d_name, 0);
		berth__log(ctx, r < 0 ? BERTH_LOG_WARN : BERTH_LOG_INFO, "container %s: its creator is gone: %s%s", de->d_name,
			r < 0 ? "could not delete it: " : "deleted", r < 0 ? berth_error_last()->message : "");
		berth_container_free(c);
	}
	closedir(d);
	berth__err_restore(&sv);
}
