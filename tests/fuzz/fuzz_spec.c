/* SPDX-License-Identifier: LGPL-2.1-or-later
 * OCI runtime configs (lib/spec): berth_spec_parse + berth_spec_validate on
 * any bytes; a valid spec serialises and parses back, its resources convert
 * to the cgroup area's struct, its network mode and published ports (berth's
 * typed settings) are checked as create checks them, no io.berth.*
 * annotation got through, and the runtime's typed plan is built from it
 * (namespace paths dropped: the harness opens no host file). */
#include "fuzz_common.h"
#include "internal.h"
#include "cgroup/cgroup_internal.h"
#include "net/nat.h"
#include "net/net.h"
#include "runtime/runtime.h"
#include "spec/config.h"
#include "spec/ext.h"
#include <stdlib.h>
#include <string.h>

static void drop_ns_paths(json_t *root)
{
	size_t i;
	json_t *ns;
	json_array_foreach(json_object_get(json_object_get(root, "linux"), "namespaces"), i, ns)
		if (json_is_object(ns))
			json_object_del(ns, "path");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_spec *spec = NULL;
	if (berth_spec_parse(&spec, (const char *)data, size) != 0) {
		FZ_ASSERT(spec == NULL, "out set on a failed parse");
		return 0;
	}
	if (berth_spec_validate(spec) == 0) {
		char *json = NULL;
		FZ_ASSERT(berth_spec_to_json(&json, spec) == 0, "valid spec does not serialise: %s",
		          berth_error_last()->message);
		berth_spec *again = NULL;
		FZ_ASSERT(berth_spec_parse(&again, json, strlen(json)) == 0 && berth_spec_validate(again) == 0,
		          "serialised spec does not parse or validate: %s", berth_error_last()->message);
		char *json2 = NULL;
		FZ_ASSERT(berth_spec_to_json(&json2, again) == 0 && !strcmp(json, json2), "round trip changed the spec");
		berth_free(json2);
		berth_spec_free(again);
		berth_free(json);
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(spec->root, "annotations"), k, v)
			FZ_ASSERT(strncmp(k, "io.berth.", 9), "reserved annotation %s accepted", k);

		const json_t *res = json_object_get(json_object_get(spec->root, "linux"), "resources");
		if (res) {
			berth__cgroup_res cr;
			berth__cgroup_res_init(&cr);
			if (berth__cgroup_res_from_json(&cr, res) == 0)
				berth__cgroup_res_check(&cr, "0-3", "0");
		}
		const berth__spec_ext *e = &spec->ext;
		berth__net_request req = { berth__spec_ext_network(e), e->ports, e->n_ports, (const char *const *)e->dns };
		berth__net_check(&req, "fuzz");
		FZ_ASSERT(berth_spec_network(spec) != NULL, "no network mode");
		drop_ns_paths(spec->root);
		/* the typed config and the plan made from it, as create does */
		berth__config *cfg = NULL;
		if (berth__config_parse(&cfg, spec->root) == 0) {
			berth__plan plan;
			if (berth__spec_ext_copy(&cfg->ext, e) == 0 && berth__plan_init(&plan) == 0) {
				berth__plan_from_config(&plan, cfg, "/nonexistent/berth-fuzz-rootfs");
				berth__plan_free(&plan);
			}
			berth__config_free(cfg);
		}
	}
	berth_spec_free(spec);
	return 0;
}
