/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Pruning the build cache (<root>/build-cache/<key>.json), called by
 * berth_image_prune after it removed the blobs and layers no image uses.
 *
 * An entry goes when what it stands for is gone: its layer (the blob, or
 * the unpacked directory <root>/layers/<chain>), its base image (the config
 * blob of the FROM image), or its parent entry (the step before it, which
 * went for one of these reasons): a later build would not use it. Entries
 * that cannot be read go too, and temp files of interrupted writers. */
#include "build/build_internal.h"
#include "image/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct centry {
	char key[65];
	json_t *j; /* NULL: unreadable */
	int state; /* 0 not yet known, 1 live, 2 stale, 3 being decided */
} centry;

static int by_key(const void *a, const void *b)
{
	return strcmp(((const centry *)a)->key, ((const centry *)b)->key);
}

static int is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Does the blob of a "sha256:<hex>" digest exist? */
static int blob_there(const berth__store *st, const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest) != 71 || !is_hex64(digest + 7))
		return 0;
	char p[4400];
	struct stat sb;
	return berth__path_blob(p, sizeof p, st->root, digest + 7) == 0 && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int live(const berth__store *st, centry *v, size_t n, centry *e)
{
	if (e->state == 1 || e->state == 2)
		return e->state == 1;
	if (e->state == 3) /* a cycle: no valid chain */
		return 0;
	e->state = 3;
	int ok = e->j && json_is_object(e->j);
	const json_t *layer = ok ? json_object_get(e->j, "layer") : NULL;
	if (ok && layer) {
		const char *digest = json_string_value(json_object_get(layer, "digest"));
		const char *chain = json_string_value(json_object_get(layer, "chain"));
		ok = blob_there(st, digest);
		if (ok && chain) {
			char p[4400];
			struct stat sb;
			ok = !strncmp(chain, "sha256:", 7) && strlen(chain) == 71 && is_hex64(chain + 7);
			ok = ok && berth__path_layer(p, sizeof p, st->root, chain + 7) == 0 && stat(p, &sb) == 0 &&
			     S_ISDIR(sb.st_mode);
		}
	}
	const char *base = ok ? json_string_value(json_object_get(e->j, "base")) : NULL;
	if (ok && base)
		ok = blob_there(st, base);
	const char *parent = ok ? json_string_value(json_object_get(e->j, "parent")) : NULL;
	if (ok && parent) {
		centry k;
		snprintf(k.key, sizeof k.key, "%s", parent);
		centry *pe = bsearch(&k, v, n, sizeof *v, by_key);
		ok = pe && live(st, v, n, pe);
	}
	e->state = ok ? 1 : 2;
	return ok;
}

int berth__bd_cache_prune(const berth__store *st, uint64_t *bytes, size_t *removed)
{
	char dir[4200];
	if (removed)
		*removed = 0;
	berth__path_build_cache(dir, sizeof dir, st->root, NULL);
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : berth__err_sys(errno, "image prune: build cache %s", dir);
	centry *v = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		const char *name = de->d_name;
		if (name[0] == '.')
			continue;
		struct stat sb;
		int isentry = strlen(name) == 69 && is_hex64(name) && !strcmp(name + 64, ".json");
		if (!isentry) {
			/* a temp file of an interrupted write (<key>.json.tmp.<pid>.<n>): no build runs now */
			if (strstr(name, ".json.tmp.") && fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    unlinkat(dirfd(d), name, 0) == 0) {
				*bytes += (uint64_t)sb.st_size;
				if (removed)
					(*removed)++;
			}
			continue;
		}
		if (n == cap) {
			size_t c = cap ? cap * 2 : 64;
			centry *nv = realloc(v, c * sizeof *nv);
			if (!nv) {
				r = berth__err_nomem();
				break;
			}
			v = nv;
			cap = c;
		}
		centry *e = &v[n++];
		memcpy(e->key, name, 64);
		e->key[64] = '\0';
		e->state = 0;
		char p[4400];
		snprintf(p, sizeof p, "%s/%s", dir, name);
		e->j = json_load_file(p, 0, NULL);
	}
	if (r == 0 && n)
		qsort(v, n, sizeof *v, by_key);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (live(st, v, n, &v[i]))
			continue;
		char name[80];
		snprintf(name, sizeof name, "%s.json", v[i].key);
		struct stat sb;
		if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (unlinkat(dirfd(d), name, 0) < 0) {
			if (errno != ENOENT)
				r = berth__err_sys(errno, "image prune: remove build cache entry %s/%s", dir, name);
			continue;
		}
		*bytes += (uint64_t)sb.st_size;
		if (removed)
			(*removed)++;
	}
	for (size_t i = 0; i < n; i++)
		json_decref(v[i].j);
	free(v);
	closedir(d);
	return r;
}
