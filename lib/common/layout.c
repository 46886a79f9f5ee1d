/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The on-disk layout (layout.h): the one place that names the directories
 * under the state roots. Compiled into the library and into the monitor. */
#include "common/layout.h"
#include <errno.h>
#include <stdio.h>

/* <root>/<top>[/<a>[<suffix>][/<b>]]: the parts after the first NULL are left out. */
static int make(char *buf, size_t len, const char *root, const char *top, const char *a, const char *suffix,
                const char *b)
{
	if (!a)
		suffix = b = NULL;
	int n = snprintf(buf, len, "%s/%s%s%s%s%s%s", root, top, a ? "/" : "", a ? a : "", suffix ? suffix : "",
	                 b ? "/" : "", b ? b : "");
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int berth__path_container(char *buf, size_t len, const char *root, const char *id, const char *file)
{
	return make(buf, len, root, "containers", id, NULL, file);
}

int berth__path_orphan(char *buf, size_t len, const char *run_root, const char *id)
{
	return make(buf, len, run_root, "orphans", id, NULL, NULL);
}

int berth__path_name(char *buf, size_t len, const char *root, const char *name)
{
	return make(buf, len, root, "names", name, NULL, NULL);
}

int berth__path_images(char *buf, size_t len, const char *root, const char *file)
{
	return make(buf, len, root, "images", file, NULL, NULL);
}

int berth__path_blob(char *buf, size_t len, const char *root, const char *hex)
{
	return make(buf, len, root, "images/blobs/sha256", hex, NULL, NULL);
}

int berth__path_layer(char *buf, size_t len, const char *root, const char *name)
{
	return make(buf, len, root, "layers", name, NULL, NULL);
}

int berth__path_build_cache(char *buf, size_t len, const char *root, const char *key)
{
	return make(buf, len, root, "build-cache", key, ".json", NULL);
}

int berth__path_volume(char *buf, size_t len, const char *root, const char *name, const char *sub)
{
	return make(buf, len, root, "volumes", name, NULL, sub);
}

int berth__path_network(char *buf, size_t len, const char *root, const char *name)
{
	return make(buf, len, root, "networks", name, ".json", NULL);
}

int berth__path_seccomp_cache(char *buf, size_t len, const char *root)
{
	return make(buf, len, root, "cache", "seccomp", NULL, NULL);
}
