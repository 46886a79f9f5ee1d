/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_image_import: a root filesystem tarball (plain, gzip or zstd) becomes
 * a one-layer image for the native platform.
 *
 * One pass over the input: decompressed, the tar stream is hashed (the
 * DiffID), copied to a temp blob and unpacked (hostile-safe) into a temp
 * layer dir. The layer blob is stored uncompressed
 * (application/vnd.oci.image.layer.v1.tar, so its digest is the DiffID).
 * Only once the whole layer unpacked does anything become visible: the layer
 * dir is renamed to <root>/layers/<chainid>, the blob into blobs/sha256, then
 * the config and manifest blobs are written and index.json updated. A bad
 * input leaves nothing behind.
 */
#include "image/store.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The config and manifest blobs of the image; *manifest_out, *size_out: the manifest's. */
static int write_meta(const berth__store *s, const char *diff_id, uint64_t blob_size, const char *tar_path,
	char manifest_out[BERTH__DIGEST_LEN], json_int_t *size_out)
{
	char now[48];
	berth__format_time(now, sizeof now, berth__now_ns());
	const char *base = strrchr(tar_path, '/');
	base = base && base[1] ? base + 1 : tar_path;
	char comment[512];
	snprintf(comment, sizeof comment, "imported from %s", base);
	json_t *config = json_pack("{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s, s:s}]}",
		"created", now, "architecture", berth__native_arch(), "os", "linux",
		"config", "Env", DEFAULT_PATH,
		"rootfs", "type", "layers", "diff_ids", diff_id,
		"history", "created", now, "created_by", "berth import", "comment", comment);
	if (!config)
		return berth__err_nomem();
	char *txt = berth__json_dump(config, 0);
	json_decref(config);
	if (!txt)
		return BERTH_ENOMEM;
	size_t config_size = strlen(txt);
	char config_digest[BERTH__DIGEST_LEN];
	int r = berth__blob_put(s, txt, config_size, config_digest);
	free(txt);
	if (r < 0)
		return r;
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}",
		"schemaVersion", 2, "mediaType", BERTH__MT_OCI_MANIFEST,
		"config", "mediaType", BERTH__MT_OCI_CONFIG, "digest", config_digest, "size", (json_int_t)config_size,
		"layers", "mediaType", BERTH__MT_OCI_LAYER, "digest", diff_id, "size", (json_int_t)blob_size);
	if (!m)
		return berth__err_nomem();
	txt = berth__json_dump(m, 0);
	json_decref(m);
	if (!txt)
		return BERTH_ENOMEM;
	*size_out = (json_int_t)strlen(txt);
	r = berth__blob_put(s, txt, strlen(txt), manifest_out);
	free(txt);
	return r;
}

BERTH_EXTERN int berth_image_import(berth_image **out, berth_ctx *ctx, const char *tar_path, const char *ref)
{
	if (!out || !tar_path || !*tar_path)
		return berth__err(BERTH_EINVAL, "image import: out and a tarball path are required");
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	char what[600];
	snprintf(what, sizeof what, "import %.500s", tar_path);
	berth_ref *pref = NULL;
	if (ref && berth_ref_parse(&pref, ref) < 0)
		return berth__err_prefix("%s", what);
	if (pref && berth_ref_digest(pref)) {
		berth_ref_free(pref);
		return berth__err(BERTH_EINVAL, "%s: reference '%s': a tag cannot contain a digest", what, ref);
	}

	int fd = -1, dfd = -1, gc = -1;
	char tmp[4200] = "";
	berth__blob_writer w = { .fd = -1 };
	fd = open(tar_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = berth__err_sys(errno, "%s: open", what);
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		r = berth__err_sys(errno, "%s: stat", what);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = berth__err(BERTH_EINVAL, "%s: is a directory, not a tarball", what);
		goto out;
	}
	if ((r = berth__store_ensure(&s)) < 0)
		goto out;
	/* a prune waits for us (and we for it) */
	if ((gc = berth__store_lock(&s, ".gc.lock", LOCK_SH)) < 0) {
		r = gc;
		goto out;
	}
	if ((r = berth__blob_begin(&w, &s)) < 0)
		goto out;
	if ((dfd = berth__layer_tmpdir(tmp, sizeof tmp, &s)) < 0) {
		r = dfd;
		tmp[0] = '\0';
		goto out;
	}
	berth__layer_result res;
	if ((r = berth__layer_stream(&res, dfd, fd, w.fd, what)) < 0)
		goto out;
	char diff_id[BERTH__DIGEST_LEN];
	snprintf(diff_id, sizeof diff_id, "sha256:%s", res.diff_hex);
	/* one layer: its ChainID is its DiffID */
	r = berth__layer_install(&s, tmp, diff_id);
	tmp[0] = '\0';
	close(dfd); /* its lock: renamed (or removed) now */
	dfd = -1;
	if (r < 0)
		goto out;
	if ((r = berth__blob_commit_hashed(&w, &s, res.diff_hex)) < 0)
		goto out;
	char manifest[BERTH__DIGEST_LEN];
	json_int_t msize = 0;
	if ((r = write_meta(&s, diff_id, res.diff_size, tar_path, manifest, &msize)) < 0)
		goto out;
	if ((r = berth__index_tag(&s, BERTH__MT_OCI_MANIFEST, manifest, msize, pref ? berth_ref_string(pref) : NULL)) < 0)
		goto out;
	berth_image *img = NULL;
	if ((r = berth__image_load(&img, ctx, manifest, msize)) < 0)
		goto out;
	*out = img;
	r = 0;
out:
	if (r < 0) {
		berth__err_saved sv;
		berth__err_save(&sv);
		berth__blob_abort(&w);
		if (tmp[0])
			berth__rm_rf(tmp);
		if (dfd >= 0)
			close(dfd);
		berth__err_restore(&sv);
	} else {
		berth__blob_abort(&w); /* committed: nothing left to discard */
	}
	berth__store_unlock(gc);
	if (fd >= 0)
		close(fd);
	berth_ref_free(pref);
	if (r == 0)
		berth__err_ok();
	return r;
}
