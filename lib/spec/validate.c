/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_spec_validate(): checks every field of an OCI config.json that berth
 * reads, so that the runtime can read them without checking types again.
 * Each error names the JSON field: "linux.namespaces[2].type: ...". */
#include "spec_priv.h"
#include "volume/volume.h"
#include "security/security.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FIELD_MAX 256

static const char *const rlimit_names[] = {
	"RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",    "RLIMIT_DATA",       "RLIMIT_FSIZE",  "RLIMIT_LOCKS",
	"RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE",     "RLIMIT_NPROC",  "RLIMIT_RSS",
	"RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

const char *berth__spec_rlimit_canon(const char *name)
{
	if (!name)
		return NULL;
	const char *n = name;
	if (!strncasecmp(n, "RLIMIT_", 7))
		n += 7;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(rlimit_names); i++)
		if (!strcasecmp(n, rlimit_names[i] + 7))
			return rlimit_names[i];
	return NULL;
}

int berth__spec_ns_type(const char *oci_name)
{
	if (!oci_name)
		return 0;
	for (int t = BERTH_NS_PID; t <= BERTH_NS_TIME; t++) {
		const char *n = berth_ns_type_name(t);
		if (n && !strcmp(n, oci_name))
			return t;
	}
	return 0;
}

int berth__spec_check_hostname(const char *field, const char *h, int allow_empty)
{
	size_t n = strlen(h);
	if (n == 0) {
		if (allow_empty)
			return 0;
		return berth__err(BERTH_EINVAL, "%s: must not be empty", field);
	}
	if (n > 64)
		return berth__err(BERTH_EINVAL, "%s: '%.64s...' is longer than 64 characters", field, h);
	if (h[0] == '-' || h[0] == '.')
		return berth__err(BERTH_EINVAL, "%s: '%s' must not start with '%c'", field, h, h[0]);
	for (const char *p = h; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(isascii(c) && (isalnum(c) || c == '-' || c == '.' || c == '_')))
			return berth__err(BERTH_EINVAL, "%s: '%s' contains an invalid character (allowed: letters, digits, '-', '.', '_')",
			                  field, h);
	}
	return 0;
}

/* sysctls the kernel keeps per IPC namespace (besides fs.mqueue.*). */
static const char *const ipc_sysctls[] = {
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

int berth__spec_check_sysctl_key(const char *field, const char *key, int *ns_type)
{
	size_t n = strlen(key);
	if (n == 0)
		return berth__err(BERTH_EINVAL, "%s: empty sysctl name", field);
	if (strchr(key, '/'))
		return berth__err(BERTH_EINVAL, "%s: '%s' must use '.' separators, not '/'", field, key);
	if (strstr(key, "..") || key[0] == '.' || key[n - 1] == '.')
		return berth__err(BERTH_EINVAL, "%s: '%s' is not a valid sysctl name", field, key);
	for (const char *p = key; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 0x7f)
			return berth__err(BERTH_EINVAL, "%s: '%s' is not a valid sysctl name", field, key);
	}
	int t = 0;
	if (!strncmp(key, "net.", 4))
		t = BERTH_NS_NET;
	else if (!strncmp(key, "fs.mqueue.", 10))
		t = BERTH_NS_IPC;
	else if (!strcmp(key, "kernel.domainname"))
		t = BERTH_NS_UTS;
	else if (!strcmp(key, "kernel.hostname"))
		return berth__err(BERTH_EINVAL, "%s: 'kernel.hostname' is not allowed (set the hostname field)", field);
	else
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(ipc_sysctls); i++)
			if (!strcmp(key, ipc_sysctls[i]))
				t = BERTH_NS_IPC;
	if (!t)
		return berth__err(BERTH_EINVAL, "%s: '%s' is not namespaced, a container cannot set it", field, key);
	if (ns_type)
		*ns_type = t;
	return 0;
}

int berth__spec_check_abs_path(const char *field, const char *path)
{
	if (path[0] != '/')
		return berth__err(BERTH_EINVAL, "%s: must be an absolute path", field);
	for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
			return berth__err(BERTH_EINVAL, "%s: must not contain '..' ('%s')", field, path);
	return 0;
}

/* ---- small typed accessors; each names the field in its error ---- */

static const char *fmt_field(char *buf, const char *fmt, ...) BERTH_PRINTF(2, 3);
static const char *fmt_field(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, FIELD_MAX, fmt, ap);
	va_end(ap);
	return buf;
}

/* A string member; required or optional (*out NULL when absent). */
static int get_str(const char **out, const json_t *obj, const char *key, const char *field, int required)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			return berth__err(BERTH_EINVAL, "%s: required", field);
		return 0;
	}
	if (!json_is_string(v))
		return berth__err(BERTH_EINVAL, "%s: must be a string", field);
	*out = json_string_value(v);
	return 0;
}

static int check_bool(const json_t *obj, const char *key, const char *field)
{
	json_t *v = json_object_get(obj, key);
	if (v && !json_is_boolean(v))
		return berth__err(BERTH_EINVAL, "%s: must be true or false", field);
	return 0;
}

static int check_int(const json_t *v, const char *field, json_int_t min, json_int_t max)
{
	if (!json_is_integer(v))
		return berth__err(BERTH_EINVAL, "%s: must be an integer", field);
	json_int_t x = json_integer_value(v);
	if (x < min || x > max)
		return berth__err(BERTH_EINVAL, "%s: %" JSON_INTEGER_FORMAT " is out of range (%" JSON_INTEGER_FORMAT
		                  "..%" JSON_INTEGER_FORMAT ")", field, x, min, max);
	return 0;
}

static int check_member_int(const json_t *obj, const char *key, const char *field, int required, json_int_t min,
                            json_int_t max)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? berth__err(BERTH_EINVAL, "%s: required", field) : 0;
	return check_int(v, field, min, max);
}

static int check_obj(const json_t *v, const char *field)
{
	if (!json_is_object(v))
		return berth__err(BERTH_EINVAL, "%s: must be an object", field);
	return 0;
}

/* An optional array member; *out NULL when absent. */
static int get_array(json_t **out, const json_t *obj, const char *key, const char *field)
{
	json_t *v = json_object_get(obj, key);
	*out = v;
	if (v && !json_is_array(v))
		return berth__err(BERTH_EINVAL, "%s: must be an array", field);
	return 0;
}

static int check_string_array(const json_t *obj, const char *key, const char *field)
{
	json_t *a;
	int r = get_array(&a, obj, key, field);
	if (r < 0 || !a)
		return r;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			return berth__err(BERTH_EINVAL, "%s[%zu]: must be a string", field, i);
	return 0;
}

static int check_path_array(const json_t *obj, const char *key, const char *field)
{
	json_t *a;
	int r = get_array(&a, obj, key, field);
	if (r < 0 || !a)
		return r;
	size_t i;
	json_t *v;
	char f[FIELD_MAX];
	json_array_foreach(a, i, v) {
		fmt_field(f, "%s[%zu]", field, i);
		if (!json_is_string(v))
			return berth__err(BERTH_EINVAL, "%s: must be a string", f);
		if ((r = berth__spec_check_abs_path(f, json_string_value(v))) < 0)
			return r;
	}
	return 0;
}

static int check_string_map(const json_t *obj, const char *key, const char *field)
{
	json_t *m = json_object_get(obj, key);
	if (!m)
		return 0;
	if (!json_is_object(m))
		return berth__err(BERTH_EINVAL, "%s: must be an object", field);
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v)
		if (!json_is_string(v))
			return berth__err(BERTH_EINVAL, "%s.%s: must be a string", field, k);
	return 0;
}

/* Makes sure a helper's error message starts with the field name. */
static int ensure_prefix(int r, const char *field)
{
	const char *m = berth_error_last()->message;
	if (m && strncmp(m, field, strlen(field)) != 0)
		berth__err_prefix("%s", field);
	return r;
}

/* ---- sections ---- */

static int validate_user(const json_t *user)
{
	int r;
	if ((r = check_obj(user, "process.user")) < 0)
		return r;
	if ((r = check_member_int(user, "uid", "process.user.uid", 1, 0, UINT32_MAX)) < 0 ||
	    (r = check_member_int(user, "gid", "process.user.gid", 1, 0, UINT32_MAX)) < 0 ||
	    (r = check_member_int(user, "umask", "process.user.umask", 0, 0, 0777)) < 0)
		return r;
	json_t *a;
	if ((r = get_array(&a, user, "additionalGids", "process.user.additionalGids")) < 0)
		return r;
	size_t i;
	json_t *v;
	char f[FIELD_MAX];
	json_array_foreach(a, i, v)
		if ((r = check_int(v, fmt_field(f, "process.user.additionalGids[%zu]", i), 0, UINT32_MAX)) < 0)
			return r;
	return 0;
}

static int validate_rlimits(const json_t *proc)
{
	json_t *a;
	int r = get_array(&a, proc, "rlimits", "process.rlimits");
	if (r < 0 || !a)
		return r;
	size_t i, j;
	json_t *v;
	char f[FIELD_MAX];
	json_array_foreach(a, i, v) {
		if ((r = check_obj(v, fmt_field(f, "process.rlimits[%zu]", i))) < 0)
			return r;
		const char *type;
		if ((r = get_str(&type, v, "type", fmt_field(f, "process.rlimits[%zu].type", i), 1)) < 0)
			return r;
		if (!berth__spec_rlimit_canon(type) || strncmp(type, "RLIMIT_", 7) != 0 ||
		    strcmp(berth__spec_rlimit_canon(type), type) != 0)
			return berth__err(BERTH_EINVAL, "%s: unknown rlimit type '%s'", f, type);
		for (j = 0; j < i; j++) {
			const char *prev = json_string_value(json_object_get(json_array_get(a, j), "type"));
			if (prev && !strcmp(prev, type))
				return berth__err(BERTH_EINVAL, "%s: duplicate rlimit type '%s'", f, type);
		}
		if ((r = check_member_int(v, "soft", fmt_field(f, "process.rlimits[%zu].soft", i), 1, 0, INT64_MAX)) < 0 ||
		    (r = check_member_int(v, "hard", fmt_field(f, "process.rlimits[%zu].hard", i), 1, 0, INT64_MAX)) < 0)
			return r;
		json_int_t soft = json_integer_value(json_object_get(v, "soft"));
		json_int_t hard = json_integer_value(json_object_get(v, "hard"));
		if (soft > hard)
			return berth__err(BERTH_EINVAL, "process.rlimits[%zu]: soft limit %" JSON_INTEGER_FORMAT
			                  " is above the hard limit %" JSON_INTEGER_FORMAT " (%s)", i, soft, hard, type);
	}
	return 0;
}

static int validate_process(const json_t *root)
{
	json_t *proc = json_object_get(root, "process");
	int r;
	if (!proc)
		return berth__err(BERTH_EINVAL, "process: required");
	if ((r = check_obj(proc, "process")) < 0)
		return r;

	json_t *args = json_object_get(proc, "args");
	if (!json_is_array(args) || json_array_size(args) == 0)
		return berth__err(BERTH_EINVAL, "process.args: must be a non-empty array");
	if ((r = check_string_array(proc, "args", "process.args")) < 0)
		return r;
	if (json_string_length(json_array_get(args, 0)) == 0)
		return berth__err(BERTH_EINVAL, "process.args[0]: must not be empty");

	json_t *env;
	if ((r = get_array(&env, proc, "env", "process.env")) < 0)
		return r;
	size_t i;
	json_t *v;
	json_array_foreach(env, i, v) {
		if (!json_is_string(v))
			return berth__err(BERTH_EINVAL, "process.env[%zu]: must be a string", i);
		const char *s = json_string_value(v);
		const char *eq = strchr(s, '=');
		if (!eq || eq == s)
			return berth__err(BERTH_EINVAL, "process.env[%zu]: '%s' is not of the form KEY=VALUE", i, s);
	}

	const char *cwd;
	if ((r = get_str(&cwd, proc, "cwd", "process.cwd", 1)) < 0)
		return r;
	if (cwd[0] != '/')
		return berth__err(BERTH_EINVAL, "process.cwd: must be an absolute path ('%s')", cwd);

	json_t *user = json_object_get(proc, "user");
	if (!user)
		return berth__err(BERTH_EINVAL, "process.user: required");
	if ((r = validate_user(user)) < 0)
		return r;

	if ((r = check_bool(proc, "terminal", "process.terminal")) < 0 ||
	    (r = check_bool(proc, "noNewPrivileges", "process.noNewPrivileges")) < 0 ||
	    (r = check_member_int(proc, "oomScoreAdj", "process.oomScoreAdj", 0, -1000, 1000)) < 0)
		return r;

	json_t *caps = json_object_get(proc, "capabilities");
	if (caps) {
		if ((r = check_obj(caps, "process.capabilities")) < 0)
			return r;
		berth__capsets cs;
		if ((r = berth__caps_from_json(&cs, caps)) < 0)
			return ensure_prefix(r, "process.capabilities");
	}
	if ((r = validate_rlimits(proc)) < 0)
		return r;
	const char *s;
	if ((r = get_str(&s, proc, "apparmorProfile", "process.apparmorProfile", 0)) < 0 ||
	    (r = get_str(&s, proc, "selinuxLabel", "process.selinuxLabel", 0)) < 0)
		return r;
	return 0;
}

static int validate_root(const json_t *root)
{
	json_t *o = json_object_get(root, "root");
	int r;
	if (!o)
		return berth__err(BERTH_EINVAL, "root: required");
	if ((r = check_obj(o, "root")) < 0)
		return r;
	const char *path;
	if ((r = get_str(&path, o, "path", "root.path", 1)) < 0)
		return r;
	if (!path[0])
		return berth__err(BERTH_EINVAL, "root.path: must not be empty");
	return check_bool(o, "readonly", "root.readonly");
}

static int validate_mounts(const json_t *root)
{
	json_t *a;
	int r = get_array(&a, root, "mounts", "mounts");
	if (r < 0 || !a)
		return r;
	size_t i;
	json_t *m;
	char f[FIELD_MAX];
	json_array_foreach(a, i, m) {
		if ((r = check_obj(m, fmt_field(f, "mounts[%zu]", i))) < 0)
			return r;
		const char *s;
		if ((r = get_str(&s, m, "destination", fmt_field(f, "mounts[%zu].destination", i), 1)) < 0 ||
		    (r = berth__spec_check_abs_path(f, s)) < 0)
			return r;
		if ((r = get_str(&s, m, "type", fmt_field(f, "mounts[%zu].type", i), 0)) < 0)
			return r;
		if (s && !s[0])
			return berth__err(BERTH_EINVAL, "%s: must not be empty", f);
		const char *type = s, *dest = json_string_value(json_object_get(m, "destination"));
		if (type && !strcmp(type, "volume") && dest && !strcmp(dest, "/"))
			return berth__err(BERTH_EINVAL, "mounts[%zu].destination: a volume cannot be mounted on /", i);
		if ((r = get_str(&s, m, "source", fmt_field(f, "mounts[%zu].source", i), 0)) < 0 ||
		    (r = check_string_array(m, "options", fmt_field(f, "mounts[%zu].options", i))) < 0)
			return r;
		/* a volume: its name, or none for an anonymous one (lib/volume) */
		if (type && !strcmp(type, "volume") && s && s[0] && berth__volume_check_name(s) < 0)
			return berth__err_prefix("mounts[%zu].source", i);
	}
	return 0;
}

static int validate_namespaces(const json_t *lnx, unsigned *mask, unsigned *joined)
{
	json_t *a;
	int r = get_array(&a, lnx, "namespaces", "linux.namespaces");
	*mask = *joined = 0;
	if (r < 0 || !a)
		return r;
	size_t i;
	json_t *ns;
	char f[FIELD_MAX];
	json_array_foreach(a, i, ns) {
		if ((r = check_obj(ns, fmt_field(f, "linux.namespaces[%zu]", i))) < 0)
			return r;
		const char *type, *path;
		if ((r = get_str(&type, ns, "type", fmt_field(f, "linux.namespaces[%zu].type", i), 1)) < 0)
			return r;
		int t = berth__spec_ns_type(type);
		if (!t)
			return berth__err(BERTH_EINVAL, "%s: unknown namespace type '%s'", f, type);
		if (*mask & BERTH_NS_BIT(t))
			return berth__err(BERTH_EINVAL, "%s: duplicate namespace type '%s'", f, type);
		*mask |= BERTH_NS_BIT(t);
		if ((r = get_str(&path, ns, "path", fmt_field(f, "linux.namespaces[%zu].path", i), 0)) < 0)
			return r;
		if (path) {
			if ((r = berth__spec_check_abs_path(f, path)) < 0)
				return r;
			*joined |= BERTH_NS_BIT(t);
		}
	}
	return 0;
}

/* Returns the number of entries in *n. */
static int validate_mappings(const json_t *lnx, const char *key, size_t *n)
{
	json_t *a;
	char field[64], f[FIELD_MAX];
	snprintf(field, sizeof field, "linux.%s", key);
	int r = get_array(&a, lnx, key, field);
	*n = 0;
	if (r < 0 || !a)
		return r;
	size_t cnt = json_array_size(a);
	if (cnt > 340)
		return berth__err(BERTH_EINVAL, "%s: %zu entries, the kernel accepts at most 340", field, cnt);
	size_t i, j;
	json_t *m;
	json_array_foreach(a, i, m) {
		if ((r = check_obj(m, fmt_field(f, "%s[%zu]", field, i))) < 0)
			return r;
		if ((r = check_member_int(m, "containerID", fmt_field(f, "%s[%zu].containerID", field, i), 1, 0,
		                          UINT32_MAX)) < 0 ||
		    (r = check_member_int(m, "hostID", fmt_field(f, "%s[%zu].hostID", field, i), 1, 0, UINT32_MAX)) < 0 ||
		    (r = check_member_int(m, "size", fmt_field(f, "%s[%zu].size", field, i), 1, 1, UINT32_MAX)) < 0)
			return r;
		json_int_t c = json_integer_value(json_object_get(m, "containerID"));
		json_int_t h = json_integer_value(json_object_get(m, "hostID"));
		json_int_t s = json_integer_value(json_object_get(m, "size"));
		if (c + s > (json_int_t)UINT32_MAX + 1 || h + s > (json_int_t)UINT32_MAX + 1)
			return berth__err(BERTH_EINVAL, "%s[%zu]: range goes beyond 4294967295", field, i);
		for (j = 0; j < i; j++) {
			json_t *p = json_array_get(a, j);
			json_int_t pc = json_integer_value(json_object_get(p, "containerID"));
			json_int_t ph = json_integer_value(json_object_get(p, "hostID"));
			json_int_t ps = json_integer_value(json_object_get(p, "size"));
			if (c < pc + ps && pc < c + s)
				return berth__err(BERTH_EINVAL, "%s[%zu]: container range overlaps %s[%zu]", field, i,
				                  field, j);
			if (h < ph + ps && ph < h + s)
				return berth__err(BERTH_EINVAL, "%s[%zu]: host range overlaps %s[%zu]", field, i, field, j);
		}
	}
	*n = cnt;
	return 0;
}

static int validate_devices(const json_t *lnx)
{
	json_t *a;
	int r = get_array(&a, lnx, "devices", "linux.devices");
	if (r < 0 || !a)
		return r;
	size_t i;
	json_t *d;
	char f[FIELD_MAX];
	json_array_foreach(a, i, d) {
		if ((r = check_obj(d, fmt_field(f, "linux.devices[%zu]", i))) < 0)
			return r;
		const char *s;
		if ((r = get_str(&s, d, "path", fmt_field(f, "linux.devices[%zu].path", i), 1)) < 0 ||
		    (r = berth__spec_check_abs_path(f, s)) < 0)
			return r;
		if ((r = get_str(&s, d, "type", fmt_field(f, "linux.devices[%zu].type", i), 1)) < 0)
			return r;
		if (strcmp(s, "c") && strcmp(s, "b") && strcmp(s, "u") && strcmp(s, "p"))
			return berth__err(BERTH_EINVAL, "%s: unknown device type '%s' (c, b, u or p)", f, s);
		int need_nums = strcmp(s, "p") != 0;
		if ((r = check_member_int(d, "major", fmt_field(f, "linux.devices[%zu].major", i), need_nums, 0,
		                          UINT32_MAX)) < 0 ||
		    (r = check_member_int(d, "minor", fmt_field(f, "linux.devices[%zu].minor", i), need_nums, 0,
		                          UINT32_MAX)) < 0 ||
		    (r = check_member_int(d, "fileMode", fmt_field(f, "linux.devices[%zu].fileMode", i), 0, 0, 07777)) < 0 ||
		    (r = check_member_int(d, "uid", fmt_field(f, "linux.devices[%zu].uid", i), 0, 0, UINT32_MAX)) < 0 ||
		    (r = check_member_int(d, "gid", fmt_field(f, "linux.devices[%zu].gid", i), 0, 0, UINT32_MAX)) < 0)
			return r;
	}
	return 0;
}

static int validate_sysctl(const json_t *lnx, unsigned ns_mask)
{
	json_t *m = json_object_get(lnx, "sysctl");
	int r;
	if (!m)
		return 0;
	if ((r = check_obj(m, "linux.sysctl")) < 0)
		return r;
	const char *k;
	json_t *v;
	char f[FIELD_MAX];
	json_object_foreach(m, k, v) {
		fmt_field(f, "linux.sysctl.%s", k);
		int t = 0;
		if ((r = berth__spec_check_sysctl_key(f, k, &t)) < 0)
			return r;
		if (!json_is_string(v))
			return berth__err(BERTH_EINVAL, "%s: must be a string", f);
		if (!(ns_mask & BERTH_NS_BIT(t)))
			return berth__err(BERTH_EINVAL, "%s: needs its own %s namespace in linux.namespaces", f,
			                  berth_ns_type_name(t));
	}
	return 0;
}

static int validate_linux(const json_t *root)
{
	json_t *lnx = json_object_get(root, "linux");
	int r;
	if (!lnx)
		return berth__err(BERTH_EINVAL, "linux: required");
	if ((r = check_obj(lnx, "linux")) < 0)
		return r;

	unsigned mask, joined;
	if ((r = validate_namespaces(lnx, &mask, &joined)) < 0)
		return r;
	if (!(mask & BERTH_NS_BIT(BERTH_NS_MOUNT)))
		return berth__err(BERTH_EINVAL, "linux.namespaces: a mount namespace is required");

	size_t nuid, ngid;
	if ((r = validate_mappings(lnx, "uidMappings", &nuid)) < 0 ||
	    (r = validate_mappings(lnx, "gidMappings", &ngid)) < 0)
		return r;
	if (!(mask & BERTH_NS_BIT(BERTH_NS_USER))) {
		if (nuid)
			return berth__err(BERTH_EINVAL, "linux.uidMappings: only valid with a user namespace in linux.namespaces");
		if (ngid)
			return berth__err(BERTH_EINVAL, "linux.gidMappings: only valid with a user namespace in linux.namespaces");
	} else if (!(joined & BERTH_NS_BIT(BERTH_NS_USER))) {
		if (!nuid)
			return berth__err(BERTH_EINVAL, "linux.uidMappings: a new user namespace needs uid mappings");
		if (!ngid)
			return berth__err(BERTH_EINVAL, "linux.gidMappings: a new user namespace needs gid mappings");
	}

	if ((r = check_path_array(lnx, "maskedPaths", "linux.maskedPaths")) < 0 ||
	    (r = check_path_array(lnx, "readonlyPaths", "linux.readonlyPaths")) < 0 ||
	    (r = validate_sysctl(lnx, mask)) < 0 || (r = validate_devices(lnx)) < 0)
		return r;

	json_t *sc = json_object_get(lnx, "seccomp");
	if (sc) {
		if ((r = check_obj(sc, "linux.seccomp")) < 0)
			return r;
		if ((r = berth__seccomp_validate(sc)) < 0)
			return ensure_prefix(r, "linux.seccomp");
	}

	const char *s;
	if ((r = get_str(&s, lnx, "cgroupsPath", "linux.cgroupsPath", 0)) < 0)
		return r;
	if ((r = get_str(&s, lnx, "rootfsPropagation", "linux.rootfsPropagation", 0)) < 0)
		return r;
	if (s) {
		static const char *const props[] = { "private", "rprivate", "slave",      "rslave",
			                             "shared",  "rshared",  "unbindable", "runbindable" };
		size_t k;
		for (k = 0; k < BERTH_ARRAY_SIZE(props) && strcmp(s, props[k]); k++)
			;
		if (k == BERTH_ARRAY_SIZE(props))
			return berth__err(BERTH_EINVAL, "linux.rootfsPropagation: unknown propagation '%s'", s);
	}
	json_t *res = json_object_get(lnx, "resources");
	if (res && (r = check_obj(res, "linux.resources")) < 0)
		return r;

	/* hostname needs its own UTS namespace or it would rename the host. */
	const char *host = json_string_value(json_object_get(root, "hostname"));
	if (host && host[0] && !(mask & BERTH_NS_BIT(BERTH_NS_UTS)))
		return berth__err(BERTH_EINVAL, "hostname: needs a uts namespace in linux.namespaces");
	const char *dom = json_string_value(json_object_get(root, "domainname"));
	if (dom && dom[0] && !(mask & BERTH_NS_BIT(BERTH_NS_UTS)))
		return berth__err(BERTH_EINVAL, "domainname: needs a uts namespace in linux.namespaces");
	return 0;
}

BERTH_EXTERN int berth_spec_validate(const berth_spec *spec)
{
	if (!spec || !spec->root)
		return berth__err(BERTH_EINVAL, "validate spec: NULL spec");
	const json_t *root = spec->root;
	int r;
	if (!json_is_object(root))
		return berth__err(BERTH_EINVAL, "spec: must be a JSON object");

	const char *ver;
	if ((r = get_str(&ver, root, "ociVersion", "ociVersion", 1)) < 0)
		return r;
	if (strncmp(ver, "1.", 2) != 0)
		return berth__err(BERTH_EINVAL, "ociVersion: unsupported version '%s' (1.x expected)", ver);

	if ((r = validate_root(root)) < 0 || (r = validate_process(root)) < 0)
		return r;

	const char *s;
	if ((r = get_str(&s, root, "hostname", "hostname", 0)) < 0)
		return r;
	if (s && (r = berth__spec_check_hostname("hostname", s, 1)) < 0)
		return r;
	if ((r = get_str(&s, root, "domainname", "domainname", 0)) < 0)
		return r;
	if (s && (r = berth__spec_check_hostname("domainname", s, 1)) < 0)
		return r;

	if ((r = validate_mounts(root)) < 0 || (r = validate_linux(root)) < 0 ||
	    (r = check_string_map(root, "annotations", "annotations")) < 0)
		return r;
	berth__err_ok();
	return 0;
}
