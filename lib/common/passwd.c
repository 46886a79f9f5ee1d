/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Users and groups of a container's root: "NAME[:GROUP]" / "UID[:GID]"
 * resolved against its /etc/passwd and /etc/group, never the host's NSS.
 * The root is one directory or an image's layer directories (overlay
 * format: a 0/0 character device is a whiteout, trusted.overlay.opaque=y
 * on a directory hides what is below it). */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

int berth__id_file_lookup(FILE *f, const char *name, long *id, long *gid)
{
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		/* fields split at every ':' (an empty password field is still a field) */
		char *fl[4] = { 0 }, *p = line;
		for (int i = 0; p && i < 4; i++)
			fl[i] = strsep(&p, ":");
		if (!fl[0] || !*fl[0] || !fl[2] || !*fl[2])
			continue;
		if (name ? !strcmp(fl[0], name) : strtol(fl[2], NULL, 10) == *id) {
			*id = strtol(fl[2], NULL, 10);
			if (gid)
				*gid = fl[3] && *fl[3] ? strtol(fl[3], NULL, 10) : -1;
			return 0;
		}
	}
	return -1;
}

static int is_opaque(int dirfd)
{
	char v[2];
	return fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

/* rel in one layer: the open file, or NULL with *hidden set when this layer
 * hides it from the ones below (a whiteout of it or of a parent, a parent
 * that is not a directory, an opaque parent, anything but a regular file). */
static FILE *layer_open(int root, const char *rel, int *hidden)
{
	char prefix[4096];
	size_t n = strlen(rel);
	if (n >= sizeof prefix) {
		*hidden = 1;
		return NULL;
	}
	int opaque = 0;
	for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
		memcpy(prefix, rel, (size_t)(s - rel));
		prefix[s - rel] = '\0';
		int d = berth__open_in_root(root, prefix, O_RDONLY | O_DIRECTORY);
		if (d < 0) {
			*hidden = opaque || errno != ENOENT; /* ENOTDIR: a whiteout or a file */
			return NULL;
		}
		opaque |= is_opaque(d);
		close(d);
	}
	struct stat st;
	int fd = berth__open_in_root(root, rel, O_PATH | O_NOFOLLOW);
	if (fd < 0) {
		*hidden = opaque || errno != ENOENT;
		return NULL;
	}
	int whiteout = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
	close(fd);
	*hidden = 1;
	/* a symlink is followed inside this layer; no fifo blocks the open */
	if (whiteout || (fd = berth__open_in_root(root, rel, O_RDONLY | O_NONBLOCK)) < 0)
		return NULL;
	FILE *f = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		f = fdopen(fd, "re");
	if (!f)
		close(fd);
	return f;
}

FILE *berth__root_fopen(char *const *dirs, size_t n, const char *rel)
{
	for (size_t i = n; i-- > 0;) {
		int root = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			continue;
		int hidden = 0;
		FILE *f = layer_open(root, rel, &hidden);
		close(root);
		if (f || hidden)
			return f;
	}
	return NULL;
}

/* Looks name (or, name NULL, the id *id) up in rel of the root. 0 or -1. */
static int root_lookup(char *const *dirs, size_t n, const char *rel, const char *name, long *id, long *gid)
{
	FILE *f = berth__root_fopen(dirs, n, rel);
	if (!f)
		return -1;
	int found = berth__id_file_lookup(f, name, id, gid);
	fclose(f);
	return found;
}

int berth__user_resolve(uint32_t *out_uid, uint32_t *out_gid, char *const *dirs, size_t n, const char *user,
                        int flags)
{
	char u[256];
	if (!user || !*user || user[0] == ':' || strlen(user) >= sizeof u)
		return berth__err(BERTH_EINVAL, "user '%.300s': expected NAME[:GROUP] or UID[:GID]", user ? user : "");
	snprintf(u, sizeof u, "%s", user);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	long uid = 0, gid = 0, pgid = -1;
	int numeric = berth__all_digits(u);
	if (numeric) {
		errno = 0;
		uid = strtol(u, NULL, 10);
		if (errno)
			uid = -1;
		/* a numeric user with a passwd entry gets its primary group */
		long id = uid;
		if (!(flags & BERTH__USER_CHOWN))
			root_lookup(dirs, n, "etc/passwd", NULL, &id, &pgid);
	} else if (root_lookup(dirs, n, "etc/passwd", u, &uid, &pgid) < 0) {
		return berth__err(BERTH_EINVAL, "user '%s': no such user in /etc/passwd", user);
	}
	if (g && *g) {
		if (berth__all_digits(g)) {
			errno = 0;
			gid = strtol(g, NULL, 10);
			if (errno)
				gid = -1;
		} else if (root_lookup(dirs, n, "etc/group", g, &gid, NULL) < 0) {
			return berth__err(BERTH_EINVAL, "user '%s': no group '%s' in /etc/group", user, g);
		}
	} else if (numeric && (flags & BERTH__USER_CHOWN)) {
		gid = uid; /* COPY --chown=10 is 10:10 */
	} else {
		gid = pgid >= 0 ? pgid : 0;
	}
	if (uid < 0 || uid > 0xfffffffe || gid < 0 || gid > 0xfffffffe)
		return berth__err(BERTH_EINVAL, "user '%s': id out of range (0 to 4294967294)", user);
	*out_uid = (uint32_t)uid;
	*out_gid = (uint32_t)gid;
	return 0;
}
