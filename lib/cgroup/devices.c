/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The device allowlist of a container's cgroup (v1 devices controller), as
 * Docker sets it: everything denied, then mknod of any device allowed (the
 * node is useless without access), and read/write/mknod of the standard
 * devices; then the spec's own linux.resources.devices rules in order. A
 * privileged container keeps the parent's (all devices).
 *
 * Without this, CAP_MKNOD (in Docker's default set) would let a container
 * make a node for the host's disk and read it. On cgroup v2 the same needs a
 * BPF_CGROUP_DEVICE program: not there yet (the v2 path writes nothing). */
#include "cgroup/cgroup_internal.h"
#include "cgroup/cgroup_priv.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const default_allow[] = {
	"c *:* m",    "b *:* m",    /* mknod of any node */
	"c 1:3 rwm",  "c 1:5 rwm",  "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", /* null zero full random urandom */
	"c 5:0 rwm",  "c 5:1 rwm",  "c 5:2 rwm", /* tty console ptmx */
	"c 136:* rwm",              /* pseudo-terminal slaves */
	"c 10:200 rwm",             /* /dev/net/tun */
};

int berth__cgroup_devices_set(berth_cgroup *cg, const json_t *rules, int privileged)
{
	const char *d = berth__cg_v1dir(cg, BERTH__CG_DEVICES);
	if (!d || privileged)
		return 0;
	int r = berth__cg_write_raw(d, "devices.deny", "a");
	if (r < 0)
		return berth__err_sys(-r, "cgroup %s: devices.deny: deny all", cg->rel);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_allow); i++)
		if ((r = berth__cg_write_raw(d, "devices.allow", default_allow[i])) < 0)
			return berth__err_sys(-r, "cgroup %s: devices.allow '%s'", cg->rel, default_allow[i]);
	size_t i;
	json_t *e;
	json_array_foreach(rules, i, e) {
		int allow = json_is_true(json_object_get(e, "allow"));
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *access = json_string_value(json_object_get(e, "access"));
		json_t *maj = json_object_get(e, "major"), *min = json_object_get(e, "minor");
		if (type && strcmp(type, "a") && strcmp(type, "c") && strcmp(type, "b"))
			return berth__err(BERTH_EINVAL, "linux.resources.devices[%zu].type: '%s' (a, c or b)", i, type);
		if (access && strspn(access, "rwm") != strlen(access))
			return berth__err(BERTH_EINVAL, "linux.resources.devices[%zu].access: '%s' (r, w, m)", i, access);
		char majs[24] = "*", mins[24] = "*", line[96];
		if (json_is_integer(maj) && json_integer_value(maj) >= 0)
			snprintf(majs, sizeof majs, "%lld", (long long)json_integer_value(maj));
		if (json_is_integer(min) && json_integer_value(min) >= 0)
			snprintf(mins, sizeof mins, "%lld", (long long)json_integer_value(min));
		if (!type || !strcmp(type, "a"))
			snprintf(line, sizeof line, "a");
		else
			snprintf(line, sizeof line, "%s %s:%s %s", type, majs, mins, access && *access ? access : "rwm");
		const char *file = allow ? "devices.allow" : "devices.deny";
		if ((r = berth__cg_write_raw(d, file, line)) < 0)
			return berth__err_sys(-r, "cgroup %s: %s '%s'", cg->rel, file, line);
	}
	return 0;
}
