/* SPDX-License-Identifier: LGPL-2.1-or-later
 * linux.resources and the cgroup parent of a spec. */
#include "internal.h"
#include "spec/ext.h"
#include "cgroup/cgroup_internal.h"
#include <string.h>

static json_t *obj_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

static void set_int(json_t *o, const char *key, int64_t v)
{
	if (v != BERTH_CGROUP_UNSET)
		json_object_set_new(o, key, json_integer((json_int_t)v));
}

BERTH_EXTERN int berth_spec_set_resources(berth_spec *spec, const berth_cgroup_resources *res)
{
	if (!spec || !res)
		return berth__err(BERTH_EINVAL, "set resources: spec and resources are required");
	if (berth__check_version(res->version, BERTH_CGROUP_RESOURCES_VERSION, "berth_cgroup_resources") < 0)
		return berth__err_prefix("set resources");
	json_t *linux_ = obj_at(spec->root, "linux");
	json_t *old = json_object_get(linux_, "resources");
	json_t *r = json_is_object(old) ? json_deep_copy(old) : json_object();
	if (!r)
		return berth__err_nomem();
	json_t *mem = obj_at(r, "memory"), *cpu = obj_at(r, "cpu"), *pids = obj_at(r, "pids"), *bio = obj_at(r, "blockIO");
	set_int(mem, "limit", res->memory_limit);
	set_int(mem, "reservation", res->memory_reservation);
	set_int(mem, "swap", res->memory_swap);
	set_int(cpu, "shares", res->cpu_shares);
	set_int(cpu, "quota", res->cpu_quota);
	set_int(cpu, "period", res->cpu_period);
	if (res->cpuset_cpus)
		json_object_set_new(cpu, "cpus", json_string(res->cpuset_cpus));
	if (res->cpuset_mems)
		json_object_set_new(cpu, "mems", json_string(res->cpuset_mems));
	set_int(pids, "limit", res->pids_limit);
	set_int(bio, "weight", res->blkio_weight);
	/* drop the sections left empty */
	const char *keys[] = { "memory", "cpu", "pids", "blockIO" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(keys); i++)
		if (json_object_size(json_object_get(r, keys[i])) == 0)
			json_object_del(r, keys[i]);
	int rc = berth__cgroup_resources_validate(r);
	if (rc < 0) {
		json_decref(r);
		return rc;
	}
	json_object_set_new(linux_, "resources", r);
	berth__err_ok();
	return 0;
}

int berth__cgroup_parent_check(const char *parent)
{
	if (!parent || !*parent)
		return berth__err(BERTH_EINVAL, "cgroup parent: must not be empty");
	const char *p = parent;
	while (*p == '/')
		p++;
	if (!*p)
		return berth__err(BERTH_EINVAL, "cgroup parent '%s': must name a cgroup below the root", parent);
	for (const char *c = p; *c; c++)
		if (!(*c == '/' || *c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return berth__err(BERTH_EINVAL, "cgroup parent '%s': invalid character '%c'", parent, *c);
	/* no "." or ".." component, no empty one */
	const char *s = p;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return berth__err(BERTH_EINVAL, "cgroup parent '%s': '.', '..' and empty components are not allowed",
			                  parent);
		s += n;
		if (*s == '/')
			s++;
	}
	return 0;
}

BERTH_EXTERN int berth_spec_set_cgroup_parent(berth_spec *spec, const char *parent)
{
	if (!spec)
		return berth__err(BERTH_EINVAL, "set cgroup parent: spec is NULL");
	int r = berth__cgroup_parent_check(parent);
	if (r < 0)
		return r;
	while (*parent == '/')
		parent++;
	if (berth__spec_ext_set_str(&spec->ext.cgroup_parent, parent) < 0)
		return BERTH_ENOMEM;
	berth__err_ok();
	return 0;
}
