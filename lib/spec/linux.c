/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The namespace setters of berth_spec: linux.namespaces, id mappings, the
 * hostname (UTS) and namespaced sysctls. */
#include "spec_priv.h"
#include <stdio.h>
#include <string.h>

json_t *berth__spec_ns_object(int type, const char *path)
{
	const char *name = berth_ns_type_name(type);
	json_t *o = json_object();
	if (!o || !name)
		return o;
	if (json_object_set_new(o, "type", json_string(name)) < 0 ||
	    (path && json_object_set_new(o, "path", json_string(path)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------ namespaces */

BERTH_EXTERN int berth_spec_set_namespace(berth_spec *spec, int type, const char *path)
{
	int r;
	json_t *lnx, *nss;
	if ((r = berth__spec_check(spec, "linux.namespaces")) < 0)
		return r;
	const char *name = berth_ns_type_name(type);
	if (!name)
		return berth__err(BERTH_EINVAL, "linux.namespaces: unknown namespace type %d", type);
	if (path) {
		char f[64];
		snprintf(f, sizeof f, "linux.namespaces: %s path", name);
		if ((r = berth__spec_check_abs_path(f, path)) < 0)
			return r;
	}
	json_t *ns = berth__spec_ns_object(type, path);
	if (!ns)
		return berth__err_nomem();
	if ((r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0 ||
	    (r = berth__spec_child_array(&nss, lnx, "namespaces", "linux.namespaces", 1)) < 0) {
		json_decref(ns);
		return r;
	}
	return berth__spec_put_typed(nss, ns, name, NULL);
}

BERTH_EXTERN int berth_spec_remove_namespace(berth_spec *spec, int type)
{
	int r;
	if ((r = berth__spec_check(spec, "linux.namespaces")) < 0)
		return r;
	const char *name = berth_ns_type_name(type);
	if (!name)
		return berth__err(BERTH_EINVAL, "linux.namespaces: unknown namespace type %d", type);
	json_t *lnx = json_object_get(spec->root, "linux");
	json_t *nss = json_is_object(lnx) ? json_object_get(lnx, "namespaces") : NULL;
	if (!json_is_array(nss))
		return berth__spec_ok();
	for (size_t i = 0; i < json_array_size(nss);) {
		const char *t = json_string_value(json_object_get(json_array_get(nss, i), "type"));
		if (t && !strcmp(t, name))
			json_array_remove(nss, i);
		else
			i++;
	}
	/* Keep the spec valid: mappings need a user namespace, a hostname a UTS one. */
	if (type == BERTH_NS_USER) {
		json_object_del(lnx, "uidMappings");
		json_object_del(lnx, "gidMappings");
	} else if (type == BERTH_NS_UTS) {
		json_object_del(spec->root, "hostname");
		json_object_del(spec->root, "domainname");
	}
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_add_id_mapping(berth_spec *spec, int gid, uint32_t container_id, uint32_t host_id,
                                           uint32_t size)
{
	int r;
	const char *key = gid ? "gidMappings" : "uidMappings";
	if ((r = berth__spec_check(spec, key)) < 0)
		return r;
	if (size == 0)
		return berth__err(BERTH_EINVAL, "linux.%s: size must be greater than 0", key);
	if ((uint64_t)container_id + size > (uint64_t)UINT32_MAX + 1 || (uint64_t)host_id + size > (uint64_t)UINT32_MAX + 1)
		return berth__err(BERTH_EINVAL, "linux.%s: range %u+%u or %u+%u goes beyond 4294967295", key, container_id,
		                  size, host_id, size);
	json_t *lnx = NULL, *maps = NULL, *nss = NULL;
	if ((r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)
		return r;
	char field[32];
	snprintf(field, sizeof field, "linux.%s", key);
	if ((r = berth__spec_child_array(&maps, lnx, key, field, 0)) < 0 ||
	    (r = berth__spec_child_array(&nss, lnx, "namespaces", "linux.namespaces", 0)) < 0)
		return r;
	json_t *m = json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t)container_id, "hostID", (json_int_t)host_id,
	                      "size", (json_int_t)size);
	if (!m)
		return berth__err_nomem();
	if (!maps) {
		maps = json_array();
		if (!maps || json_object_set_new(lnx, key, maps) < 0) {
			json_decref(m);
			return berth__err_nomem();
		}
	}
	if (json_array_append_new(maps, m) < 0)
		return berth__err_nomem();
	int has_user = 0;
	size_t i;
	json_t *v;
	json_array_foreach(nss, i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		if (t && !strcmp(t, "user"))
			has_user = 1;
	}
	if (!has_user)
		return berth_spec_set_namespace(spec, BERTH_NS_USER, NULL);
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_hostname(berth_spec *spec, const char *hostname)
{
	int r;
	if ((r = berth__spec_check(spec, "hostname")) < 0)
		return r;
	if (!hostname)
		return berth__err(BERTH_EINVAL, "hostname: NULL");
	if ((r = berth__spec_check_hostname("hostname", hostname, 0)) < 0)
		return r;
	if ((r = berth__spec_set_new(spec->root, "hostname", json_string(hostname))) < 0)
		return r;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_sysctl(berth_spec *spec, const char *key, const char *value)
{
	int r;
	if ((r = berth__spec_check(spec, "linux.sysctl")) < 0)
		return r;
	if (!key)
		return berth__err(BERTH_EINVAL, "linux.sysctl: NULL key");
	char f[300];
	snprintf(f, sizeof f, "linux.sysctl.%.200s", key);
	if ((r = berth__spec_check_sysctl_key(f, key, NULL)) < 0)
		return r;
	json_t *lnx, *sys;
	if ((r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", !!value)) < 0 || (!value && !lnx))
		return r < 0 ? r : berth__spec_ok();
	if ((r = berth__spec_child_obj(&sys, lnx, "sysctl", "linux.sysctl", !!value)) < 0)
		return r;
	if (!value) {
		if (sys) {
			json_object_del(sys, key);
			if (json_object_size(sys) == 0)
				json_object_del(lnx, "sysctl");
		}
		return berth__spec_ok();
	}
	if ((r = berth__spec_set_new(sys, key, json_string(value))) < 0)
		return r;
	return berth__spec_ok();
}
