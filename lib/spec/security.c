/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The security setters of berth_spec: capabilities, seccomp, privileged. */
#include "spec_priv.h"
#include "security/security.h"
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- helpers */

static uint64_t all_caps_mask(void)
{
	int last = berth__cap_last();
	if (last < 0)
		last = 40;
	if (last >= 63)
		return ~(uint64_t)0;
	return ((uint64_t)1 << (last + 1)) - 1;
}

int berth__spec_default_caps_mask(uint64_t *out)
{
	uint64_t m = 0;
	for (const char *const *c = berth__default_caps; *c; c++) {
		int n;
		int r = berth__cap_from_name(&n, *c);
		if (r < 0)
			return r;
		m |= (uint64_t)1 << n;
	}
	*out = m;
	return 0;
}

/* The spec's capability sets (all empty without process.capabilities). */
static int spec_caps(berth__capsets *out, const berth_spec *spec)
{
	json_t *proc = json_object_get(spec->root, "process");
	json_t *caps = json_is_object(proc) ? json_object_get(proc, "capabilities") : NULL;
	if (caps && !json_is_object(caps))
		return berth__err(BERTH_EINVAL, "process.capabilities: must be an object");
	int r = berth__caps_from_json(out, caps);
	if (r < 0) {
		const char *m = berth_error_last()->message;
		if (strncmp(m, "process.capabilities", 20) != 0)
			berth__err_prefix("process.capabilities");
	}
	return r;
}

/* A capabilities object: a copy of old (unknown members kept) with the sets. */
json_t *berth__spec_caps_object(const json_t *old, const berth__capsets *cs)
{
	json_t *o = old ? json_copy((json_t *)old) : json_object();
	if (!o)
		return NULL;
	struct { const char *name; uint64_t mask; } sets[] = {
		{ "bounding", cs->bounding },       { "effective", cs->effective }, { "permitted", cs->permitted },
		{ "inheritable", cs->inheritable }, { "ambient", cs->ambient },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(sets); i++) {
		json_t *a = berth__caps_to_json(sets[i].mask);
		if (!a || json_object_set_new(o, sets[i].name, a) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Is linux.seccomp Docker's default profile for these capabilities? */
static int seccomp_is_default(const berth_spec *spec, uint64_t bounding)
{
	json_t *lnx = json_object_get(spec->root, "linux");
	json_t *cur = json_is_object(lnx) ? json_object_get(lnx, "seccomp") : NULL;
	if (!cur)
		return 0;
	json_t *def = berth__seccomp_default(bounding);
	int eq = def && json_equal(cur, def);
	json_decref(def);
	return eq;
}

/* ----------------------------------------------------------- capabilities */

/* Replaces process.capabilities with cs and, when new_seccomp is set,
 * linux.seccomp with it (reference stolen). */
static int commit_caps(berth_spec *spec, const berth__capsets *cs, json_t *new_seccomp)
{
	int r;
	json_t *proc, *lnx = NULL;
	if ((r = berth__spec_process_obj(&proc, spec)) < 0 ||
	    (new_seccomp && (r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)) {
		json_decref(new_seccomp);
		return r;
	}
	json_t *caps = berth__spec_caps_object(json_object_get(proc, "capabilities"), cs);
	if (!caps) {
		json_decref(new_seccomp);
		return berth__err_nomem();
	}
	if ((r = berth__spec_set_new(proc, "capabilities", caps)) < 0) {
		json_decref(new_seccomp);
		return r;
	}
	if (new_seccomp && (r = berth__spec_set_new(lnx, "seccomp", new_seccomp)) < 0)
		return r;
	return 0;
}

static int cap_change(berth_spec *spec, const char *cap, int add)
{
	const char *what = add ? "cap-add" : "cap-drop";
	int r;
	if ((r = berth__spec_check(spec, what)) < 0)
		return r;
	if (!cap)
		return berth__err(BERTH_EINVAL, "%s: NULL capability", what);
	json_t *proc = json_object_get(spec->root, "process");
	if (proc && !json_is_object(proc))
		return berth__err(BERTH_EINVAL, "process: must be an object");
	int is_all = !strcasecmp(cap, "ALL") || !strcasecmp(cap, "CAP_ALL");
	uint64_t m;
	if (is_all) {
		m = all_caps_mask();
	} else {
		int n;
		if ((r = berth__cap_from_name(&n, cap)) < 0)
			return berth__err_prefix("%s", what);
		m = (uint64_t)1 << n;
	}
	berth__capsets cs;
	if ((r = spec_caps(&cs, spec)) < 0)
		return r;
	int was_default = seccomp_is_default(spec, cs.bounding);
	if (add) {
		/* Docker: a capability also given to --cap-drop stays dropped. */
		m &= ~spec->caps_dropped;
		cs.bounding |= m;
		cs.effective |= m;
		cs.permitted |= m;
	} else {
		cs.bounding &= ~m;
		cs.effective &= ~m;
		cs.permitted &= ~m;
		cs.inheritable &= ~m;
		cs.ambient &= ~m;
	}
	json_t *sc = NULL;
	if (was_default && !(sc = berth__seccomp_default(cs.bounding)))
		return berth__err_nomem();
	if ((r = commit_caps(spec, &cs, sc)) < 0)
		return r;
	if (!add && !is_all)
		spec->caps_dropped |= m;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_cap_add(berth_spec *spec, const char *cap) { return cap_change(spec, cap, 1); }

BERTH_EXTERN int berth_spec_cap_drop(berth_spec *spec, const char *cap) { return cap_change(spec, cap, 0); }

/* --------------------------------------------------------------- security */

/* Converts a parsed profile (borrowed) and installs it as linux.seccomp.
 * file, when set, prefixes errors. */
static int install_seccomp(berth_spec *spec, const json_t *profile, const char *file)
{
	int r;
	if (!json_is_object(profile)) {
		r = berth__err(BERTH_EINVAL, "seccomp profile: must be a JSON object");
		return file ? berth__err_prefix("%s", file) : r;
	}
	berth__capsets cs;
	if ((r = spec_caps(&cs, spec)) < 0)
		return r;
	json_t *oci = NULL;
	if ((r = berth__seccomp_from_profile(&oci, profile, cs.bounding)) < 0)
		return file ? berth__err_prefix("%s", file) : r;
	if ((r = berth__seccomp_validate(oci)) < 0) {
		json_decref(oci);
		return berth__err_prefix("seccomp profile%s%s", file ? " " : "", file ? file : "");
	}
	json_t *lnx;
	if ((r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0) {
		json_decref(oci);
		return r;
	}
	if ((r = berth__spec_set_new(lnx, "seccomp", oci)) < 0)
		return r;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_seccomp_json(berth_spec *spec, const char *json)
{
	int r;
	if ((r = berth__spec_check(spec, "linux.seccomp")) < 0)
		return r;
	if (!json) {
		json_t *lnx = json_object_get(spec->root, "linux");
		if (json_is_object(lnx))
			json_object_del(lnx, "seccomp");
		return berth__spec_ok();
	}
	json_error_t je;
	json_t *prof = json_loads(json, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!prof)
		return berth__err(BERTH_EINVAL, "seccomp profile: malformed JSON at line %d column %d: %s", je.line,
		                  je.column, je.text);
	r = install_seccomp(spec, prof, NULL);
	json_decref(prof);
	return r;
}

BERTH_EXTERN int berth_spec_set_seccomp_file(berth_spec *spec, const char *path)
{
	int r;
	if ((r = berth__spec_check(spec, "linux.seccomp")) < 0)
		return r;
	if (!path)
		return berth__err(BERTH_EINVAL, "seccomp profile: NULL path");
	json_t *prof;
	if ((r = berth__json_load_file(&prof, path, "seccomp profile")) < 0)
		return r;
	r = install_seccomp(spec, prof, path);
	json_decref(prof);
	return r;
}

BERTH_EXTERN int berth_spec_set_seccomp_default(berth_spec *spec)
{
	int r;
	if ((r = berth__spec_check(spec, "linux.seccomp")) < 0)
		return r;
	berth__capsets cs;
	if ((r = spec_caps(&cs, spec)) < 0)
		return r;
	json_t *lnx;
	if ((r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)
		return r;
	json_t *sc = berth__seccomp_default(cs.bounding);
	if (!sc)
		return berth__err_nomem();
	if ((r = berth__spec_set_new(lnx, "seccomp", sc)) < 0)
		return r;
	return berth__spec_ok();
}

/* Adds or removes "ro" in the options of the /sys and /sys/fs/cgroup mounts. */
static int sys_mounts_readonly(berth_spec *spec, int ro)
{
	json_t *mounts = json_object_get(spec->root, "mounts");
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "destination"));
		if (!d || !(berth__spec_same_dest(d, "/sys") || berth__spec_same_dest(d, "/sys/fs/cgroup")))
			continue;
		json_t *opts = json_object_get(m, "options");
		if (!opts) {
			if (!ro)
				continue;
			opts = json_array();
			if (!opts || json_object_set_new(m, "options", opts) < 0)
				return berth__err_nomem();
		}
		if (!json_is_array(opts))
			return berth__err(BERTH_EINVAL, "mounts[%zu].options: must be an array", i);
		int has = 0;
		for (size_t k = 0; k < json_array_size(opts);) {
			const char *o = json_string_value(json_array_get(opts, k));
			if (o && (!strcmp(o, "ro") || !strcmp(o, "rw"))) {
				if (!ro || has || !strcmp(o, "rw")) {
					json_array_remove(opts, k);
					continue;
				}
				has = 1;
			}
			k++;
		}
		if (ro && !has && json_array_append_new(opts, json_string("ro")) < 0)
			return berth__err_nomem();
	}
	return 0;
}

BERTH_EXTERN int berth_spec_set_privileged(berth_spec *spec, int on)
{
	int r;
	if ((r = berth__spec_check(spec, "privileged")) < 0)
		return r;
	json_t *lnx = NULL;
	if ((r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", 0)) < 0)
		return r;
	json_t *mounts = json_object_get(spec->root, "mounts");
	if (mounts && !json_is_array(mounts))
		return berth__err(BERTH_EINVAL, "mounts: must be an array");
	/* check before changing anything: the /sys mounts' options are edited last */
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "destination"));
		json_t *opts = json_object_get(m, "options");
		if (d && (berth__spec_same_dest(d, "/sys") || berth__spec_same_dest(d, "/sys/fs/cgroup")) && opts && !json_is_array(opts))
			return berth__err(BERTH_EINVAL, "mounts[%zu].options: must be an array", i);
	}
	berth__capsets cs;
	if ((r = spec_caps(&cs, spec)) < 0)
		return r;

	if (on) {
		uint64_t all = all_caps_mask();
		cs.bounding = cs.effective = cs.permitted = cs.inheritable = all;
		if ((r = commit_caps(spec, &cs, NULL)) < 0)
			return r;
		if ((r = berth__spec_child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)
			return r;
		json_object_del(lnx, "seccomp");
		json_object_del(lnx, "maskedPaths");
		json_object_del(lnx, "readonlyPaths");
		if ((r = sys_mounts_readonly(spec, 0)) < 0)
			return r;
		spec->ext.privileged = 1;
		return berth__spec_ok();
	}

	/* off: back to the default confinement if it was privileged */
	if (!spec->ext.privileged)
		return berth__spec_ok();
	uint64_t dmask;
	if ((r = berth__spec_default_caps_mask(&dmask)) < 0)
		return r;
	berth__capsets def = { .bounding = dmask, .effective = dmask, .permitted = dmask, .ambient = cs.ambient & dmask };
	json_t *sc = berth__seccomp_default(dmask);
	json_t *masked = berth__spec_strv_json(berth__spec_default_masked), *ro = berth__spec_strv_json(berth__spec_default_readonly);
	if (!sc || !masked || !ro) {
		json_decref(sc);
		json_decref(masked);
		json_decref(ro);
		return berth__err_nomem();
	}
	if ((r = commit_caps(spec, &def, sc)) < 0) {
		json_decref(masked);
		json_decref(ro);
		return r;
	}
	lnx = json_object_get(spec->root, "linux");
	if ((r = berth__spec_set_new(lnx, "maskedPaths", masked)) < 0) {
		json_decref(ro);
		return r;
	}
	if ((r = berth__spec_set_new(lnx, "readonlyPaths", ro)) < 0 || (r = sys_mounts_readonly(spec, 1)) < 0)
		return r;
	spec->caps_dropped = 0;
	spec->ext.privileged = 0;
	return berth__spec_ok();
}
