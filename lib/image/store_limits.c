/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What a pull may make the store take (lib/image/store.h): the sizes a
 * registry declares, checked before any byte is fetched, against the
 * context's limits and the free space of the store's file system. */
#include "image/store.h"
#include <errno.h>
#include <stdio.h>
#include <sys/statvfs.h>

static uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

static int over_limit(const char *what, const berth__blob_decl *b, uint64_t limit, const char *env)
{
	char sz[32], lim[32];
	berth__format_size(sz, sizeof sz, b->size);
	berth__format_size(lim, sizeof lim, limit);
	return berth__err(BERTH_EINVAL, "%s: %s %s declares %s, more than the maximum blob size %s (%s)", what, b->kind,
		b->digest, sz, lim, env);
}

int berth__store_check_decl(const berth__store *s, const berth__blob_decl *b, size_t n, const char *what)
{
	const berth_ctx *ctx = s->ctx;
	uint64_t total = 0, need = 0;
	size_t biggest = 0, missing = 0;
	for (size_t i = 0; i < n; i++) {
		if (b[i].size > ctx->max_blob_size)
			return over_limit(what, &b[i], ctx->max_blob_size, "BERTH_MAX_BLOB_SIZE");
		total = add_sat(total, b[i].size); /* 4 x 2^62 must not wrap to 0 */
		if (b[i].have)
			continue;
		need = add_sat(need, b[i].size);
		if (!missing++ || b[i].size > b[biggest].size)
			biggest = i;
	}
	char sz[32], lim[32];
	if (total > ctx->max_image_size) {
		berth__format_size(sz, sizeof sz, total);
		berth__format_size(lim, sizeof lim, ctx->max_image_size);
		return berth__err(BERTH_EINVAL, "%s: the image declares %s in all, more than the maximum image size %s "
			"(BERTH_MAX_IMAGE_SIZE)", what, sz, lim);
	}
	if (!missing)
		return 0;
	struct statvfs v;
	if (statvfs(s->root, &v) < 0)
		return berth__err_sys(errno, "%s: free space of %s", what, s->root);
	uint64_t avail = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
	if (need <= avail)
		return 0;
	char fr[32];
	berth__format_size(fr, sizeof fr, avail);
	if (b[biggest].size > avail) {
		berth__format_size(sz, sizeof sz, b[biggest].size);
		return berth__err(BERTH_ESYS, "%s: %s %s declares %s, the store at %s has %s free", what, b[biggest].kind,
			b[biggest].digest, sz, s->root, fr);
	}
	berth__format_size(sz, sizeof sz, need);
	return berth__err(BERTH_ESYS, "%s: the %zu blobs to download declare %s in all, the store at %s has %s free", what,
		missing, sz, s->root, fr);
}
