/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The annotation setter of berth_spec (io.berth.* is reserved: spec/ext.h). */
#include "spec_priv.h"

BERTH_EXTERN int berth_spec_set_annotation(berth_spec *spec, const char *key, const char *value)
{
	int r;
	if ((r = berth__spec_check(spec, "annotations")) < 0)
		return r;
	if (!key || !key[0])
		return berth__err(BERTH_EINVAL, "annotations: empty key");
	if ((r = berth__annotation_check(key, "annotations")) < 0)
		return r;
	json_t *ann;
	if ((r = berth__spec_child_obj(&ann, spec->root, "annotations", "annotations", !!value)) < 0)
		return r;
	if (!value) {
		if (ann) {
			json_object_del(ann, key);
			if (json_object_size(ann) == 0)
				json_object_del(spec->root, "annotations");
		}
		return berth__spec_ok();
	}
	if ((r = berth__spec_set_new(ann, key, json_string(value))) < 0)
		return r;
	return berth__spec_ok();
}
