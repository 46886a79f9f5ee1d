/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Image manifests, indexes and configs (lib/image/store.c: what pull, load
 * and the store read from registries and archives): any bytes parsed as the
 * library parses a blob, then checked as a manifest, a config, an index, the
 * manifest/config pair, and an index given a tag. */
#include "fuzz_common.h"
#include "internal.h"
#include "image/store.h"
#include <stdlib.h>
#include <string.h>

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return 0;
	const char *what = "manifest sha256:fuzz";
	int m = berth__manifest_check(j, what);
	int c = berth__config_check(j, what);
	berth__image_check(j, j, what);
	if (berth__index_check(j, what) == 0) {
		FZ_ASSERT(json_is_array(json_object_get(j, "manifests")), "a checked index without a manifests array");
		json_t *copy = json_deep_copy(j);
		FZ_ASSERT(copy != NULL, "deep copy");
		int r = berth__index_set_ref(copy, BERTH__MT_OCI_MANIFEST, DIGEST, 123, "docker.io/library/x:1");
		FZ_ASSERT(r == 0 || r == 1, "index_set_ref: %d (%s)", r, berth_error_last()->message);
		FZ_ASSERT(berth__index_check(copy, what) == 0, "index invalid after set_ref: %s",
		          berth_error_last()->message);
		r = berth__index_set_ref(copy, BERTH__MT_OCI_MANIFEST, DIGEST, 123, NULL);
		FZ_ASSERT(r == 0 || r == 1, "index_set_ref NULL: %d", r);
		json_decref(copy);
	}
	if (m == 0) {
		const json_t *layers = json_object_get(j, "layers");
		FZ_ASSERT(json_is_array(layers), "a checked manifest without layers");
		size_t i;
		json_t *l;
		json_array_foreach(layers, i, l)
			FZ_ASSERT(berth__digest_valid(json_string_value(json_object_get(l, "digest"))),
			          "checked manifest: layers[%zu].digest invalid", i);
	}
	if (c == 0) {
		const json_t *ids = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
		size_t n = json_array_size(ids);
		if (n && n < 64) {
			const char **v = calloc(n, sizeof *v);
			for (size_t i = 0; i < n; i++)
				v[i] = json_string_value(json_array_get(ids, i));
			char(*chain)[BERTH__DIGEST_LEN] = calloc(n, sizeof *chain);
			FZ_ASSERT(berth__chain_ids(chain, v, n) == 0, "checked config: chain ids fail: %s",
			          berth_error_last()->message);
			free(chain);
			free(v);
		}
	}
	json_decref(j);
	return 0;
}
