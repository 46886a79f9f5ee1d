/* SPDX-License-Identifier: LGPL-2.1-or-later
 * OCI runtime configs (lib/spec): berth_spec_parse + berth_spec_validate on
 * any bytes; a valid spec serialises and parses back, its resources convert
 * to the cgroup area's struct, its network mode and published ports are read
 * as create reads them, and the runtime's typed plan is built from it
 * (namespace paths dropped: the harness opens no host file). */
#include "fuzz_common.h"
#include "internal.h"
#include "cgroup/cgroup_internal.h"
#include "net/nat.h"
#include "net/net_internal.h"
#include "runtime/runtime.h"
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
		berth_spec_free(again);
		berth_free(json);

		const json_t *res = json_object_get(json_object_get(spec->root, "linux"), "resources");
		if (res) {
			berth__cgroup_res cr;
			berth__cgroup_res_init(&cr);
			if (berth__cgroup_res_from_json(&cr, res) == 0)
				berth__cgroup_res_check(&cr, "0-3", "0");
		}
		berth__net_check_spec(spec->root, "fuzz");
		FZ_ASSERT(berth__spec_network(spec->root) != NULL, "no network mode");
		berth_port *ports = NULL;
		size_t np = 0;
		if (berth__spec_ports(&ports, &np, spec->root) == 0)
			for (size_t i = 0; i < np; i++)
				berth__port_check(&ports[i]);
		free(ports);
		drop_ns_paths(spec->root);
		berth__plan plan;
		if (berth__plan_init(&plan) == 0) {
			berth__plan_from_spec(&plan, spec->root, "/nonexistent/berth-fuzz-rootfs");
			berth__plan_free(&plan);
		}
	}
	berth_spec_free(spec);
	return 0;
}
