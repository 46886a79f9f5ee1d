/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Volumes: the store under <root>/volumes (lib/volume/volume.h), the public
 * API (include/berth/volume.h) and what the runtime calls at container
 * create and delete. */
#include "volume/volume.h"
#include "image/layer_copy.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int berth__volume_check_name(const char *name)
{
	if (!name || !*name)
		return berth__err(BERTH_EINVAL, "volume name: must not be empty");
	size_t n = strlen(name);
	if (n > 128)
		return berth__err(BERTH_EINVAL, "volume name '%.20s...': longer than 128 characters", name);
	if (n < 2 || !isalnum((unsigned char)name[0]))
		return berth__err(BERTH_EINVAL, "volume name '%s': must be [A-Za-z0-9][A-Za-z0-9_.-]+ (at least 2 characters)",
		                  name);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return berth__err(BERTH_EINVAL, "volume name '%s': invalid character '%c' (allowed: [A-Za-z0-9_.-])",
			                  name, c);
	}
	return 0;
}

/* --- paths and the lock --- */

static int vpath(char *buf, size_t len, berth_ctx *ctx, const char *name, const char *sub)
{
	if (berth__path_volume(buf, len, ctx->root, name, sub) < 0)
		return berth__err(BERTH_EINVAL, "volume %s: path too long", name ? name : "");
	return 0;
}

static int vlock(berth_ctx *ctx)
{
	char p[PATH_MAX];
	int r;
	if ((r = vpath(p, sizeof p, ctx, NULL, NULL)) < 0 || (r = berth__mkdir_p(p, 0700)) < 0)
		return r;
	if ((r = vpath(p, sizeof p, ctx, ".lock", NULL)) < 0)
		return r;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth__err_sys(errno, "volumes: lock %s", p);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return berth__err_sys(e, "volumes: lock %s", p);
		}
	return fd;
}

static int vexists(berth_ctx *ctx, const char *name)
{
	char p[PATH_MAX];
	return vpath(p, sizeof p, ctx, name, "volume.json") == 0 && access(p, F_OK) == 0;
}

/* Is the container still there (its state dir exists)? */
static int container_present(berth_ctx *ctx, const char *id)
{
	char p[PATH_MAX];
	berth__path_container(p, sizeof p, ctx->root, id, NULL);
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The containers using a volume (stale entries removed when prune_stale);
 * a JSON array of ids. */
static json_t *users_of(berth_ctx *ctx, const char *name, int prune_stale)
{
	json_t *a = json_array();
	char p[PATH_MAX];
	if (!a || vpath(p, sizeof p, ctx, name, "users") < 0)
		return a;
	DIR *d = opendir(p);
	if (!d)
		return a;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (container_present(ctx, de->d_name))
			json_array_append_new(a, json_string(de->d_name));
		else if (prune_stale)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return a;
}

/* "in use by container <id> (<name>)" for the first user. */
static int busy_error(berth_ctx *ctx, const char *name, json_t *users)
{
	const char *id = json_string_value(json_array_get(users, 0));
	char p[PATH_MAX], cname[200] = "";
	berth__path_container(p, sizeof p, ctx->root, id, "container.json");
	json_t *meta = json_load_file(p, 0, NULL);
	const char *nm = json_string_value(json_object_get(meta, "name"));
	if (nm && *nm)
		snprintf(cname, sizeof cname, " (%s)", nm);
	size_t n = json_array_size(users);
	int r = berth__err(BERTH_EBUSY, "volume %s: in use by container %s%s%s", name, id, cname,
	                   n > 1 ? " and others" : "");
	json_decref(meta);
	return r;
}

/* Makes a volume (under the lock). *created: whether it was made now. */
static int vcreate_locked(berth_ctx *ctx, const char *name, int anonymous, int *created)
{
	*created = 0;
	if (vexists(ctx, name))
		return 0;
	char rnd[17], tmp[PATH_MAX], dst[PATH_MAX], p[PATH_MAX + 16];
	int r;
	if ((r = berth__random_hex(rnd, 8)) < 0)
		return r;
	char tname[32];
	snprintf(tname, sizeof tname, ".tmp-%s", rnd);
	if ((r = vpath(tmp, sizeof tmp, ctx, tname, NULL)) < 0 || (r = vpath(dst, sizeof dst, ctx, name, NULL)) < 0)
		return r;
	if (mkdir(tmp, 0700) < 0)
		return berth__err_sys(errno, "volume %s: create %s", name, tmp);
	snprintf(p, sizeof p, "%s/_data", tmp);
	if (mkdir(p, 0755) < 0) {
		r = berth__err_sys(errno, "volume %s: create %s", name, p);
		goto fail;
	}
	snprintf(p, sizeof p, "%s/users", tmp);
	if (mkdir(p, 0700) < 0) {
		r = berth__err_sys(errno, "volume %s: create %s", name, p);
		goto fail;
	}
	char now[48];
	berth__format_time(now, sizeof now, berth__now_ns());
	json_t *meta = json_pack("{s:s, s:s, s:s, s:{}, s:s, s:{}, s:b}", "Name", name, "Driver", "local", "CreatedAt",
	                         now, "Labels", "Scope", "local", "Options", "Anonymous", anonymous);
	if (!meta) {
		r = berth__err_nomem();
		goto fail;
	}
	snprintf(p, sizeof p, "%s/volume.json", tmp);
	r = berth__json_save_file(meta, p);
	json_decref(meta);
	if (r < 0 || (r = BERTH_FAULT("volume.create")) < 0)
		goto fail;
	if (rename(tmp, dst) < 0) {
		r = berth__err_sys(errno, "volume %s: rename %s to %s", name, tmp, dst);
		goto fail;
	}
	*created = 1;
	return 0;
fail:
	berth__rm_at(AT_FDCWD, tmp);
	return r;
}

/* Removes a volume's directory (under the lock): renamed away first, so
 * that a half-removed volume is never seen. */
static int vremove_locked(berth_ctx *ctx, const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX], rnd[17], tname[32];
	int r;
	if ((r = berth__random_hex(rnd, 8)) < 0)
		return r;
	snprintf(tname, sizeof tname, ".rm-%s", rnd);
	if ((r = vpath(src, sizeof src, ctx, name, NULL)) < 0 || (r = vpath(dst, sizeof dst, ctx, tname, NULL)) < 0)
		return r;
	if (rename(src, dst) < 0)
		return berth__err_sys(errno, "volume %s: remove %s", name, src);
	int e = berth__rm_at(AT_FDCWD, dst);
	if (e < 0)
		return berth__err_sys(-e, "volume %s: remove its data", name);
	return 0;
}

/* --- public API --- */

BERTH_EXTERN int berth_volume_create(char **out_name, berth_ctx *ctx, const char *name)
{
	if (!ctx)
		return berth__err(BERTH_EINVAL, "volume create: ctx is required");
	char anon[65];
	int r, anonymous = !name || !*name;
	if (anonymous) {
		if ((r = berth__random_hex(anon, 32)) < 0)
			return r;
		name = anon;
	} else if ((r = berth__volume_check_name(name)) < 0)
		return r;
	char *copy = NULL;
	if (out_name && !(copy = berth__strdup(name)))
		return BERTH_ENOMEM;
	int lk = vlock(ctx);
	if (lk < 0) {
		free(copy);
		return lk;
	}
	int created;
	r = vcreate_locked(ctx, name, anonymous, &created);
	close(lk);
	if (r < 0) {
		free(copy);
		return r;
	}
	if (out_name)
		*out_name = copy;
	berth__log(ctx, BERTH_LOG_INFO, "volume %s: %s", name, created ? "created" : "exists");
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_volume_remove(berth_ctx *ctx, const char *name, unsigned int flags)
{
	if (!ctx)
		return berth__err(BERTH_EINVAL, "volume remove: ctx is required");
	int r;
	if ((r = berth__volume_check_name(name)) < 0)
		return r;
	if (flags)
		return berth__err(BERTH_EINVAL, "volume %s: remove: unknown flags 0x%x", name, flags);
	int lk = vlock(ctx);
	if (lk < 0)
		return lk;
	if (!vexists(ctx, name))
		r = berth__err(BERTH_ENOTFOUND, "volume %s: no such volume", name);
	else {
		json_t *users = users_of(ctx, name, 1);
		if (json_array_size(users))
			r = busy_error(ctx, name, users);
		else
			r = vremove_locked(ctx, name);
		json_decref(users);
	}
	close(lk);
	if (r == 0) {
		berth__log(ctx, BERTH_LOG_INFO, "volume %s: removed", name);
		berth__err_ok();
	}
	return r;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_names(char ***out, size_t *out_n, berth_ctx *ctx)
{
	char p[PATH_MAX];
	int r;
	if ((r = vpath(p, sizeof p, ctx, NULL, NULL)) < 0)
		return r;
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof *v);
	if (!v)
		return berth__err_nomem();
	DIR *d = opendir(p);
	if (!d && errno != ENOENT) {
		free(v);
		return berth__err_sys(errno, "volumes: list %s", p);
	}
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !vexists(ctx, de->d_name))
			continue;
		if (n + 1 >= cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof *v);
			if (!nv) {
				r = berth__err_nomem();
				break;
			}
			v = nv;
		}
		if (!(v[n] = strdup(de->d_name))) {
			r = berth__err_nomem();
			break;
		}
		n++;
	}
	if (d)
		closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return r;
	}
	qsort(v, n, sizeof *v, cmp_str);
	v[n] = NULL;
	*out = v;
	*out_n = n;
	return 0;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

BERTH_EXTERN int berth_volume_list(char ***out, berth_ctx *ctx)
{
	if (!out || !ctx)
		return berth__err(BERTH_EINVAL, "volume list: out and ctx are required");
	char **v;
	size_t n;
	int r = list_names(&v, &n, ctx);
	if (r < 0)
		return r;
	char **packed = berth__strv_pack(v, n);
	free_names(v, n);
	if (!packed)
		return BERTH_ENOMEM;
	*out = packed;
	berth__err_ok();
	return 0;
}

static json_t *vmeta(berth_ctx *ctx, const char *name)
{
	char p[PATH_MAX];
	json_t *m = NULL;
	if (vpath(p, sizeof p, ctx, name, "volume.json") < 0 || berth__json_load_file(&m, p, "volume") < 0)
		return NULL;
	if (!json_is_object(m)) {
		json_decref(m);
		berth__err(BERTH_EINVAL, "volume %s: %s is not a JSON object", name, p);
		return NULL;
	}
	return m;
}

BERTH_EXTERN int berth_volume_inspect(char **out, berth_ctx *ctx, const char *name)
{
	if (!out || !ctx)
		return berth__err(BERTH_EINVAL, "volume inspect: out and ctx are required");
	int r;
	if ((r = berth__volume_check_name(name)) < 0)
		return r;
	if (!vexists(ctx, name))
		return berth__err(BERTH_ENOTFOUND, "volume %s: no such volume", name);
	json_t *m = vmeta(ctx, name);
	if (!m)
		return berth__err_prefix("volume %s", name);
	char p[PATH_MAX];
	vpath(p, sizeof p, ctx, name, "_data");
	json_object_set_new(m, "Name", json_string(name));
	json_object_set_new(m, "Mountpoint", json_string(p));
	if (!json_object_get(m, "Anonymous"))
		json_object_set_new(m, "Anonymous", json_false());
	json_object_set_new(m, "UsedBy", users_of(ctx, name, 0));
	*out = berth__json_dump(m, 1);
	json_decref(m);
	if (!*out)
		return BERTH_ENOMEM;
	berth__err_ok();
	return 0;
}

static __thread uint64_t du_total; /* nftw's callback has no payload */
static int du_cb(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)path;
	(void)type;
	(void)f;
	if (S_ISREG(st->st_mode))
		du_total += (uint64_t)st->st_size;
	return 0;
}

BERTH_EXTERN int berth_volume_prune(char ***out_removed, uint64_t *out_bytes, berth_ctx *ctx, unsigned int flags)
{
	if (!ctx)
		return berth__err(BERTH_EINVAL, "volume prune: ctx is required");
	if (flags & ~(unsigned)BERTH_VOLUME_PRUNE_ALL)
		return berth__err(BERTH_EINVAL, "volume prune: unknown flags 0x%x", flags);
	int lk = vlock(ctx);
	if (lk < 0)
		return lk;
	/* what an interrupted create or remove left (under the lock nobody is
	 * making or removing one now) */
	char vdir[PATH_MAX];
	if (vpath(vdir, sizeof vdir, ctx, NULL, NULL) == 0) {
		DIR *d = opendir(vdir);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (!strncmp(de->d_name, ".tmp-", 5) || !strncmp(de->d_name, ".rm-", 4))
				berth__rm_at(dirfd(d), de->d_name);
		if (d)
			closedir(d);
	}
	char **names;
	size_t n, nrem = 0;
	int r = list_names(&names, &n, ctx);
	if (r < 0) {
		close(lk);
		return r;
	}
	char **removed = calloc(n + 1, sizeof *removed);
	uint64_t bytes = 0;
	if (!removed)
		r = berth__err_nomem();
	for (size_t i = 0; r == 0 && i < n; i++) {
		json_t *m = vmeta(ctx, names[i]);
		int anon = json_is_true(json_object_get(m, "Anonymous"));
		json_decref(m);
		if (!anon && !(flags & BERTH_VOLUME_PRUNE_ALL))
			continue;
		json_t *users = users_of(ctx, names[i], 1);
		size_t nu = json_array_size(users);
		json_decref(users);
		if (nu)
			continue;
		char p[PATH_MAX];
		vpath(p, sizeof p, ctx, names[i], "_data");
		du_total = 0;
		nftw(p, du_cb, 32, FTW_PHYS | FTW_MOUNT);
		uint64_t sz = du_total;
		if ((r = vremove_locked(ctx, names[i])) < 0)
			break;
		bytes += sz;
		removed[nrem++] = names[i];
		berth__log(ctx, BERTH_LOG_INFO, "volume %s: pruned", names[i]);
	}
	close(lk);
	char **packed = r == 0 && out_removed ? berth__strv_pack(removed, nrem) : NULL;
	free(removed);
	free_names(names, n);
	if (r < 0)
		return r;
	if (out_removed && !packed)
		return BERTH_ENOMEM;
	if (out_removed)
		*out_removed = packed;
	if (out_bytes)
		*out_bytes = bytes;
	berth__err_ok();
	return 0;
}

/* --- the runtime's side --- */

/* Marks the container as a user (under the lock). */
static int add_user(berth_ctx *ctx, const char *name, const char *id)
{
	char p[PATH_MAX];
	int r;
	if ((r = vpath(p, sizeof p, ctx, name, "users")) < 0)
		return r;
	size_t l = strlen(p);
	if (l + strlen(id) + 2 >= sizeof p)
		return berth__err(BERTH_EINVAL, "volume %s: path too long", name);
	snprintf(p + l, sizeof p - l, "/%s", id);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth__err_sys(errno, "volume %s: mark it used by container %s", name, id);
	close(fd);
	return 0;
}

static void drop_user(berth_ctx *ctx, const char *name, const char *id)
{
	char p[PATH_MAX];
	if (vpath(p, sizeof p, ctx, name, "users") < 0)
		return;
	size_t l = strlen(p);
	if (l + strlen(id) + 2 >= sizeof p)
		return;
	snprintf(p + l, sizeof p - l, "/%s", id);
	unlink(p);
}

/* Seeds an empty volume from the image (or rootfs) at dest. */
static int seed(berth_ctx *ctx, const char *name, const char *dest, char **layers, const char *rootfs, const char *id)
{
	char p[PATH_MAX];
	int r;
	if ((r = vpath(p, sizeof p, ctx, name, "_data")) < 0)
		return r;
	int dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return berth__err_sys(errno, "volume %s: open %s", name, p);
	/* only an empty volume is seeded */
	int fd2 = dup(dfd);
	DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
	int empty = 1;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	if (d)
		closedir(d);
	else if (fd2 >= 0)
		close(fd2);
	if (empty) {
		char what[400];
		snprintf(what, sizeof what, "container %s: seed volume %s from the image's %s", id, name, dest);
		char *one[2] = { (char *)rootfs, NULL };
		char **src = layers ? layers : one;
		size_t n = 0;
		while (src[n])
			n++;
		int found = 0;
		r = berth__layers_copy(dfd, src, n, dest, &found, what);
		if (r < 0) {
			/* back to empty: a half-copied volume would never be seeded again */
			int fd3 = dup(dfd);
			DIR *d2 = fd3 >= 0 ? fdopendir(fd3) : NULL;
			while (d2 && (de = readdir(d2)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					berth__rm_at(dfd, de->d_name);
			if (d2)
				closedir(d2);
			else if (fd3 >= 0)
				close(fd3);
		} else if (found)
			berth__log(ctx, BERTH_LOG_INFO, "volume %s: seeded from the image's %s", name, dest);
	}
	close(dfd);
	return r;
}

json_t *berth__volumes_record(const char *root_dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/volumes.json", root_dir);
	if (access(p, F_OK) < 0)
		return NULL;
	return json_load_file(p, 0, NULL);
}

static void release_locked(berth_ctx *ctx, const char *id, json_t *record, int remove_anon, int failed_create)
{
	size_t i;
	json_t *e;
	int auto_rm = json_is_true(json_object_get(record, "AutoRemove"));
	json_array_foreach(json_object_get(record, "Volumes"), i, e) {
		const char *name = json_string_value(json_object_get(e, "Name"));
		if (!name || berth__volume_check_name(name) < 0)
			continue;
		drop_user(ctx, name, id);
		int anon = json_is_true(json_object_get(e, "Anonymous"));
		int made = json_is_true(json_object_get(e, "Created"));
		if (!((anon && (remove_anon || auto_rm || failed_create)) || (made && failed_create)))
			continue;
		json_t *users = users_of(ctx, name, 1);
		if (json_array_size(users) == 0 && vexists(ctx, name))
			vremove_locked(ctx, name);
		json_decref(users);
	}
	berth__err_ok();
}

void berth__volumes_release(berth_ctx *ctx, const char *id, json_t *record, int remove_anon, int failed_create)
{
	if (!record)
		return;
	berth__err_saved s;
	berth__err_save(&s);
	int lk = vlock(ctx);
	if (lk >= 0) {
		release_locked(ctx, id, record, remove_anon, failed_create);
		close(lk);
	}
	berth__err_restore(&s);
}

int berth__volumes_attach(json_t **out_spec, berth_ctx *ctx, const json_t *spec, const char *id, const char *root_dir,
                          char **layers, const char *rootfs, unsigned int flags)
{
	*out_spec = NULL;
	json_t *mounts = json_object_get(spec, "mounts");
	size_t i, nvol = 0;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *t = json_string_value(json_object_get(m, "type"));
		if (t && !strcmp(t, "volume"))
			nvol++;
	}
	if (!nvol)
		return 0;
	json_t *copy = json_deep_copy(spec);
	json_t *vols = json_array();
	/* "O": a reference of its own (the record keeps vols alive; ours is dropped below) */
	json_t *record = vols ? json_pack("{s:O, s:b}", "Volumes", vols, "AutoRemove", (flags & BERTH_CREATE_REMOVE) != 0)
	                      : NULL;
	json_decref(vols);
	if (!copy || !record) {
		json_decref(copy);
		json_decref(record);
		return berth__err_nomem();
	}
	int lk = vlock(ctx);
	if (lk < 0) {
		json_decref(copy);
		json_decref(record);
		return lk;
	}
	int r = 0;
	json_array_foreach(json_object_get(copy, "mounts"), i, m) {
		const char *t = json_string_value(json_object_get(m, "type"));
		if (!t || strcmp(t, "volume"))
			continue;
		const char *src = json_string_value(json_object_get(m, "source"));
		const char *dest = json_string_value(json_object_get(m, "destination"));
		char name[130];
		int anon = !src || !*src;
		if (anon) {
			if ((r = berth__random_hex(name, 32)) < 0)
				break;
		} else {
			if ((r = berth__volume_check_name(src)) < 0) {
				berth__err_prefix("container %s: mount %s", id, dest ? dest : "");
				break;
			}
			snprintf(name, sizeof name, "%s", src);
		}
		int created = 0;
		if ((r = vcreate_locked(ctx, name, anon, &created)) < 0)
			break;
		json_t *ent = json_pack("{s:s, s:s, s:b, s:b}", "Name", name, "Destination", dest ? dest : "", "Anonymous",
		                        anon, "Created", created);
		if (!ent || json_array_append_new(vols, ent) < 0) {
			r = berth__err_nomem();
			break;
		}
		if ((r = add_user(ctx, name, id)) < 0)
			break;
		/* the options: "nocopy" is ours; rbind first */
		json_t *opts = json_array(), *o;
		size_t k;
		int nocopy = 0;
		json_array_append_new(opts, json_string("rbind"));
		json_array_foreach(json_object_get(m, "options"), k, o) {
			const char *s = json_string_value(o);
			if (!s || !strcmp(s, "rbind") || !strcmp(s, "bind"))
				continue;
			if (!strcmp(s, "nocopy")) {
				nocopy = 1;
				continue;
			}
			json_array_append_new(opts, json_string(s));
		}
		if (!nocopy && (r = seed(ctx, name, dest ? dest : "/", layers, rootfs, id)) < 0) {
			json_decref(opts);
			break;
		}
		char data[PATH_MAX];
		vpath(data, sizeof data, ctx, name, "_data");
		json_object_set_new(m, "type", json_string("bind"));
		json_object_set_new(m, "source", json_string(data));
		json_object_set_new(m, "options", opts);
	}
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/volumes.json", root_dir);
	if (r == 0)
		r = berth__json_save_file(record, p);
	if (r < 0) {
		berth__err_saved s;
		berth__err_save(&s);
		release_locked(ctx, id, record, 1, 1);
		unlink(p);
		berth__err_restore(&s);
		close(lk);
		json_decref(copy);
		json_decref(record);
		return r;
	}
	close(lk);
	json_decref(record);
	*out_spec = copy;
	return 0;
}
