/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The root filesystem of a container made from an image: an overlay of the
 * image's unpacked layers (lowest last in lowerdir) and the container's own
 * upper layer in <root>/containers/<id>/upper. The child mounts it in its own
 * mount namespace, so nothing is mounted on the host. */
#include "runtime/container.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int berth__image_overlay(char **out, berth_ctx *ctx, const char *image_id, const char *id)
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
	size_t n = 0, len = 64;
	for (; dirs[n]; n++) {
		if (strpbrk(dirs[n], ",:\\"))
			r = berth__err(BERTH_EINVAL, "container %s: layer directory %s: ',', ':' and '\\' cannot be used in an overlay",
			               id, dirs[n]);
		len += strlen(dirs[n]) + 1;
	}
	if (r == 0 && n == 0)
		r = berth__err(BERTH_EINVAL, "container %s: image %s has no layers", id, image_id);
	char *s = NULL;
	if (r == 0) {
		len += 2 * (strlen(ctx->root) + strlen(id) + 32);
		s = malloc(len);
		if (!s)
			r = berth__err_nomem();
	}
	if (r == 0) {
		size_t o = (size_t)snprintf(s, len, "lowerdir=");
		for (size_t i = n; i-- > 0;) /* the top layer first */
			o += (size_t)snprintf(s + o, len - o, "%s%s", dirs[i], i ? ":" : "");
		snprintf(s + o, len - o, ",upperdir=%s/containers/%s/upper,workdir=%s/containers/%s/work", ctx->root, id,
		         ctx->root, id);
		/* mount(2) takes one page of options */
		if (strlen(s) >= 4096) {
			r = berth__err(BERTH_EUNSUPPORTED, "container %s: image %s: %zu layers make the overlay options longer "
			                                   "than the kernel's 4096 bytes", id, image_id, n);
			free(s);
			s = NULL;
		}
	}
	free(dirs);
	if (r < 0)
		return r;
	*out = s;
	return 0;
}

int berth__given_overlay(char **out, const json_t *annotations, const char *id)
{
	*out = NULL;
	const char *ov = json_string_value(json_object_get(annotations, "io.berth.overlay"));
	if (!ov)
		return 0;
	if (strncmp(ov, "lowerdir=/", 10) || !strstr(ov, ",upperdir=/") || !strstr(ov, ",workdir=/"))
		return berth__err(BERTH_EINVAL, "container %s: annotation io.berth.overlay: expected "
		                                "\"lowerdir=/...,upperdir=/...,workdir=/...\"", id);
	if (strlen(ov) >= 4096)
		return berth__err(BERTH_EUNSUPPORTED, "container %s: annotation io.berth.overlay: longer than the kernel's "
		                                      "4096 bytes of mount options", id);
	if (!(*out = berth__strdup(ov)))
		return BERTH_ENOMEM;
	return 0;
}
