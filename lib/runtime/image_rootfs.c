/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The root filesystem of a container made from an image.
 *
 * overlay (the default): an overlay of the image's unpacked layers and the
 * container's own upper layer in <root>/containers/<id>/upper. The parent
 * builds the overlay with the mount API (fsopen("overlay"), one
 * fsconfig("lowerdir+") per layer, fsconfig(FSCONFIG_CMD_CREATE), fsmount):
 * no page-long option string, so any number of layers with any path length
 * (up to the overlay's own stack limit of 500) works. The result is a
 * detached mount, attached to nothing on the host; the child moves it onto
 * its rootfs inside its own mount namespace (move_mount) and the parent closes
 * its fd: when the container's mount namespace goes, so does the overlay.
 * Building it in the parent also means an overlay that cannot be made is
 * known before any process is cloned.
 *
 * vfs (copy fallback): when the overlay filesystem is not available (fsopen
 * answers ENODEV, or creating the overlay EINVAL, e.g. an upper directory on a
 * filesystem overlay cannot use) or BERTH_STORAGE_DRIVER=vfs, the rootfs is a
 * copy of the layers, merged in order (lib/image/layer_copy.c), in
 * <root>/containers/<id>/rootfs; it goes with the container. */
#include "runtime/container.h"
#include "image/layer_copy.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int berth__image_layers(char ***out, berth_ctx *ctx, const char *image_id, const char *id)
{
	berth_image *img;
	int r = berth_image_open(&img, ctx, image_id);
	if (r < 0)
		return berth__err_prefix("container %s", id);
	char **dirs = NULL;
	r = berth_image_layer_dirs(&dirs, img);
	berth_image_free(img);
	if (r < 0)
		return berth__err_prefix("container %s", id);
	if (!dirs[0]) {
		free(dirs);
		return berth__err(BERTH_EINVAL, "container %s: image %s has no layers", id, image_id);
	}
	*out = dirs;
	return 0;
}

int berth__storage_driver_vfs(void)
{
	const char *d = getenv("BERTH_STORAGE_DRIVER");
	return d && !strcmp(d, "vfs");
}

/* 0 and *out a detached overlay mount; 1 when the overlay filesystem cannot
 * be used here (use the copy); < 0 an error (lib/common/overlay.c). */
static int make_overlay(int *out, char *const *dirs, size_t n, const char *upper, const char *work,
                        const char *const *extra, const char *id)
{
	char what[300];
	snprintf(what, sizeof what, "container %s", id);
	return berth__overlay_mount(out, dirs, n, upper, work, extra, what);
}

int berth__image_rootfs(int *out_mount_fd, berth_ctx *ctx, char **dirs, const char *root_dir, const char *id)
{
	size_t n = 0;
	while (dirs[n])
		n++;
	*out_mount_fd = -1;
	char rootfs[4200], upper[4200], work[4200];
	snprintf(rootfs, sizeof rootfs, "%s/rootfs", root_dir);
	snprintf(upper, sizeof upper, "%s/upper", root_dir);
	snprintf(work, sizeof work, "%s/work", root_dir);
	if (mkdir(rootfs, 0755) < 0)
		return berth__err_sys(errno, "container %s: create %s", id, rootfs);
	int r = 1;
	if (!berth__storage_driver_vfs()) {
		if (mkdir(upper, 0755) < 0)
			return berth__err_sys(errno, "container %s: create %s", id, upper);
		if (mkdir(work, 0755) < 0)
			return berth__err_sys(errno, "container %s: create %s", id, work);
		if ((r = make_overlay(out_mount_fd, dirs, n, upper, work, NULL, id)) < 0)
			return r;
		if (r == 1) {
			berth__log(ctx, BERTH_LOG_INFO, "%s: copying the image's %zu layers instead (storage driver vfs)",
			           berth_error_last()->message, n);
			berth__err_ok();
			berth__rm_rf(upper);
			berth__rm_rf(work);
		}
	}
	if (r == 0)
		return 0;
	int dfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth__err_sys(errno, "container %s: open %s", id, rootfs);
	char what[300];
	snprintf(what, sizeof what, "container %s: copy the image's layers", id);
	r = berth__layers_copy(dfd, dirs, n, "", NULL, what);
	close(dfd);
	return r;
}

int berth__given_overlay(int *out_mount_fd, const berth__create_params *p, const char *root_dir, const char *id)
{
	*out_mount_fd = -1;
	char rootfs[4200];
	snprintf(rootfs, sizeof rootfs, "%s/rootfs", root_dir);
	if (mkdir(rootfs, 0755) < 0)
		return berth__err_sys(errno, "container %s: create %s", id, rootfs);
	int r = make_overlay(out_mount_fd, p->overlay_lower, p->n_overlay_lower, p->overlay_upper,
	                     p->overlay_work, p->overlay_options, id);
	return r == 1 ? BERTH_EUNSUPPORTED : r; /* the error state says why */
}
