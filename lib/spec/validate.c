/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth__config_parse(): checks every field of an OCI config.json that berth
 * reads and fills the typed configuration (config.h) in the same pass, so
 * that no area reads the JSON again. berth_spec_validate() is the same
 * without keeping the result. Each error names the JSON field:
 * "linux.namespaces[2].type: ...". */
#include "spec_priv.h"
#include "spec/config.h"
#include "volume/volume.h"
#include "security/security.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FIELD_MAX 256

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

/* An optional array of strings; abs: each an absolute path. */
static int check_string_array(const json_t *obj, const char *key, const char *field, int abs)
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
		if (abs && (r = berth__spec_check_abs_path(f, json_string_value(v))) < 0)
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

/* ---- sections: each checks its fields and fills its part of the config ---- */

static int parse_user(berth__cfg_process *p, berth__config *cfg, const json_t *user)
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
	uint32_t *gids = berth__config_alloc(cfg, (json_array_size(a) + 1) * sizeof *gids);
	if (!gids)
		return BERTH_ENOMEM;
	size_t i;
	json_t *v;
	char f[FIELD_MAX];
	json_array_foreach(a, i, v) {
		if ((r = check_int(v, fmt_field(f, "process.user.additionalGids[%zu]", i), 0, UINT32_MAX)) < 0)
			return r;
		gids[i] = (uint32_t)json_integer_value(v);
	}
	p->gids = gids;
	p->n_gids = json_array_size(a);
	p->uid = (uint32_t)json_integer_value(json_object_get(user, "uid"));
	p->gid = (uint32_t)json_integer_value(json_object_get(user, "gid"));
	json_t *um = json_object_get(user, "umask");
	p->umask = um ? (int)json_integer_value(um) : -1;
	return 0;
}

static int parse_rlimits(berth__cfg_process *p, berth__config *cfg, const json_t *proc)
{
	json_t *a;
	int r = get_array(&a, proc, "rlimits", "process.rlimits");
	if (r < 0 || !a)
		return r;
	berth__cfg_rlimit *rl = berth__config_alloc(cfg, (json_array_size(a) + 1) * sizeof *rl);
	if (!rl)
		return BERTH_ENOMEM;
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
		for (j = 0; j < i; j++)
			if (!strcmp(rl[j].type, type))
				return berth__err(BERTH_EINVAL, "%s: duplicate rlimit type '%s'", f, type);
		if ((r = check_member_int(v, "soft", fmt_field(f, "process.rlimits[%zu].soft", i), 1, 0, INT64_MAX)) < 0 ||
		    (r = check_member_int(v, "hard", fmt_field(f, "process.rlimits[%zu].hard", i), 1, 0, INT64_MAX)) < 0)
			return r;
		json_int_t soft = json_integer_value(json_object_get(v, "soft"));
		json_int_t hard = json_integer_value(json_object_get(v, "hard"));
		if (soft > hard)
			return berth__err(BERTH_EINVAL, "process.rlimits[%zu]: soft limit %" JSON_INTEGER_FORMAT
			                  " is above the hard limit %" JSON_INTEGER_FORMAT " (%s)", i, soft, hard, type);
		rl[i].type = type;
		rl[i].resource = berth__config_rlimit_resource(type);
		rl[i].soft = (uint64_t)soft;
		rl[i].hard = (uint64_t)hard;
	}
	p->rlimits = rl;
	p->n_rlimits = json_array_size(a);
	return 0;
}

static int parse_args_env(berth__cfg_process *p, berth__config *cfg, const json_t *proc)
{
	int r;
	json_t *args = json_object_get(proc, "args");
	if (!json_is_array(args) || json_array_size(args) == 0)
		return berth__err(BERTH_EINVAL, "process.args: must be a non-empty array");
	if ((r = check_string_array(proc, "args", "process.args", 0)) < 0)
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
	if (!(p->args = berth__config_strv(cfg, args, &p->n_args)) || !(p->env = berth__config_strv(cfg, env, &p->n_env)))
		return BERTH_ENOMEM;
	return 0;
}

int berth__config_parse_process(berth__cfg_process *p, berth__config *cfg, const json_t *proc)
{
	int r;
	if ((r = check_obj(proc, "process")) < 0 || (r = parse_args_env(p, cfg, proc)) < 0)
		return r;
	if ((r = get_str(&p->cwd, proc, "cwd", "process.cwd", 1)) < 0)
		return r;
	if (p->cwd[0] != '/')
		return berth__err(BERTH_EINVAL, "process.cwd: must be an absolute path ('%s')", p->cwd);

	json_t *user = json_object_get(proc, "user");
	if (!user)
		return berth__err(BERTH_EINVAL, "process.user: required");
	if ((r = parse_user(p, cfg, user)) < 0)
		return r;

	if ((r = check_bool(proc, "terminal", "process.terminal")) < 0 ||
	    (r = check_bool(proc, "noNewPrivileges", "process.noNewPrivileges")) < 0 ||
	    (r = check_member_int(proc, "oomScoreAdj", "process.oomScoreAdj", 0, -1000, 1000)) < 0)
		return r;
	p->terminal = json_is_true(json_object_get(proc, "terminal"));
	p->no_new_privileges = json_is_true(json_object_get(proc, "noNewPrivileges"));
	json_t *oom = json_object_get(proc, "oomScoreAdj");
	p->has_oom_score_adj = oom != NULL;
	p->oom_score_adj = (int)json_integer_value(oom);

	json_t *caps = json_object_get(proc, "capabilities");
	memset(&p->caps, 0, sizeof p->caps);
	if (caps) {
		if ((r = check_obj(caps, "process.capabilities")) < 0)
			return r;
		if ((r = berth__caps_from_json(&p->caps, caps)) < 0)
			return ensure_prefix(r, "process.capabilities");
	}
	if ((r = parse_rlimits(p, cfg, proc)) < 0)
		return r;
	const char *s;
	if ((r = get_str(&s, proc, "apparmorProfile", "process.apparmorProfile", 0)) < 0 ||
	    (r = get_str(&s, proc, "selinuxLabel", "process.selinuxLabel", 0)) < 0)
		return r;
	return 0;
}

static int parse_root(berth__config *cfg, const json_t *root)
{
	json_t *o = json_object_get(root, "root");
	int r;
	if (!o)
		return berth__err(BERTH_EINVAL, "root: required");
	if ((r = check_obj(o, "root")) < 0)
		return r;
	if ((r = get_str(&cfg->root_path, o, "path", "root.path", 1)) < 0)
		return r;
	if (!cfg->root_path[0])
		return berth__err(BERTH_EINVAL, "root.path: must not be empty");
	cfg->root_readonly = json_is_true(json_object_get(o, "readonly"));
	return check_bool(o, "readonly", "root.readonly");
}

/* An optional array member whose entries each parse into one item of `size` bytes (the arena holds one
 * more, zeroed); *out and *n are set only when the array is there and every entry parsed. */
typedef int (*parse_item_fn)(void *item, berth__config *cfg, const json_t *j, size_t i);

static int parse_items(const void **out, size_t *n, berth__config *cfg, const json_t *obj, const char *key,
                       const char *field, size_t size, parse_item_fn parse)
{
	json_t *a;
	int r = get_array(&a, obj, key, field);
	if (r < 0 || !a)
		return r;
	char *v = berth__config_alloc(cfg, (json_array_size(a) + 1) * size);
	if (!v)
		return BERTH_ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
		if ((r = parse(v + i * size, cfg, e, i)) < 0)
			return r;
	*out = v;
	*n = json_array_size(a);
	return 0;
}

static int parse_mount(void *item, berth__config *cfg, const json_t *j, size_t i)
{
	berth__cfg_mount *m = item;
	char f[FIELD_MAX];
	int r;
	if ((r = check_obj(j, fmt_field(f, "mounts[%zu]", i))) < 0)
		return r;
	if ((r = get_str(&m->destination, j, "destination", fmt_field(f, "mounts[%zu].destination", i), 1)) < 0 ||
	    (r = berth__spec_check_abs_path(f, m->destination)) < 0)
		return r;
	if ((r = get_str(&m->type, j, "type", fmt_field(f, "mounts[%zu].type", i), 0)) < 0)
		return r;
	if (m->type && !m->type[0])
		return berth__err(BERTH_EINVAL, "%s: must not be empty", f);
	int volume = m->type && !strcmp(m->type, "volume");
	if (volume && !strcmp(m->destination, "/"))
		return berth__err(BERTH_EINVAL, "mounts[%zu].destination: a volume cannot be mounted on /", i);
	if ((r = get_str(&m->source, j, "source", fmt_field(f, "mounts[%zu].source", i), 0)) < 0 ||
	    (r = check_string_array(j, "options", fmt_field(f, "mounts[%zu].options", i), 0)) < 0)
		return r;
	/* a volume: its name, or none for an anonymous one (lib/volume) */
	if (volume && m->source && m->source[0] && berth__volume_check_name(m->source) < 0)
		return berth__err_prefix("mounts[%zu].source", i);
	if (!(m->options = berth__config_strv(cfg, json_object_get(j, "options"), &m->n_options)))
		return BERTH_ENOMEM;
	return 0;
}

static int parse_mounts(berth__config *cfg, const json_t *root)
{
	const void *v = NULL;
	int r = parse_items(&v, &cfg->n_mounts, cfg, root, "mounts", "mounts", sizeof *cfg->mounts, parse_mount);
	if (v)
		cfg->mounts = v;
	return r;
}

static int parse_namespace(void *item, berth__config *cfg, const json_t *ns, size_t i)
{
	berth__cfg_ns *v = item;
	char f[FIELD_MAX];
	int r;
	if ((r = check_obj(ns, fmt_field(f, "linux.namespaces[%zu]", i))) < 0)
		return r;
	const char *type, *path;
	if ((r = get_str(&type, ns, "type", fmt_field(f, "linux.namespaces[%zu].type", i), 1)) < 0)
		return r;
	int t = berth__spec_ns_type(type);
	if (!t)
		return berth__err(BERTH_EINVAL, "%s: unknown namespace type '%s'", f, type);
	if (cfg->ns_mask & BERTH_NS_BIT(t))
		return berth__err(BERTH_EINVAL, "%s: duplicate namespace type '%s'", f, type);
	cfg->ns_mask |= BERTH_NS_BIT(t);
	if ((r = get_str(&path, ns, "path", fmt_field(f, "linux.namespaces[%zu].path", i), 0)) < 0)
		return r;
	if (path) {
		if ((r = berth__spec_check_abs_path(f, path)) < 0)
			return r;
		cfg->ns_joined |= BERTH_NS_BIT(t);
	}
	v->type = t;
	v->path = path && path[0] ? path : NULL;
	return 0;
}

static int parse_namespaces(berth__config *cfg, const json_t *lnx)
{
	const void *v = NULL;
	int r = parse_items(&v, &cfg->n_namespaces, cfg, lnx, "namespaces", "linux.namespaces", sizeof *cfg->namespaces,
	                    parse_namespace);
	if (v)
		cfg->namespaces = v;
	return r;
}

static int parse_namespaces_needed(berth__config *cfg, const json_t *lnx)
{
	int r = parse_namespaces(cfg, lnx);
	if (r == 0 && !(cfg->ns_mask & BERTH_NS_BIT(BERTH_NS_MOUNT)))
		return berth__err(BERTH_EINVAL, "linux.namespaces: a mount namespace is required");
	return r;
}

static int parse_mappings(const berth__cfg_idmap **out, size_t *n, berth__config *cfg, const json_t *lnx,
                          const char *key)
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
	berth__cfg_idmap *v = berth__config_alloc(cfg, (cnt + 1) * sizeof *v);
	if (!v)
		return BERTH_ENOMEM;
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
			json_int_t pc = v[j].container_id, ph = v[j].host_id, ps = v[j].size;
			if (c < pc + ps && pc < c + s)
				return berth__err(BERTH_EINVAL, "%s[%zu]: container range overlaps %s[%zu]", field, i,
				                  field, j);
			if (h < ph + ps && ph < h + s)
				return berth__err(BERTH_EINVAL, "%s[%zu]: host range overlaps %s[%zu]", field, i, field, j);
		}
		v[i] = (berth__cfg_idmap){ (uint32_t)c, (uint32_t)h, (uint32_t)s };
	}
	*out = v;
	*n = cnt;
	return 0;
}

static int parse_device(void *item, berth__config *cfg, const json_t *j, size_t i)
{
	berth__cfg_device *d = item;
	(void)cfg;
	int r;
	char f[FIELD_MAX];
	if ((r = check_obj(j, fmt_field(f, "linux.devices[%zu]", i))) < 0)
		return r;
	const char *s;
	if ((r = get_str(&d->path, j, "path", fmt_field(f, "linux.devices[%zu].path", i), 1)) < 0 ||
	    (r = berth__spec_check_abs_path(f, d->path)) < 0)
		return r;
	if ((r = get_str(&s, j, "type", fmt_field(f, "linux.devices[%zu].type", i), 1)) < 0)
		return r;
	if (strcmp(s, "c") && strcmp(s, "b") && strcmp(s, "u") && strcmp(s, "p"))
		return berth__err(BERTH_EINVAL, "%s: unknown device type '%s' (c, b, u or p)", f, s);
	int need_nums = strcmp(s, "p") != 0;
	if ((r = check_member_int(j, "major", fmt_field(f, "linux.devices[%zu].major", i), need_nums, 0,
	                          UINT32_MAX)) < 0 ||
	    (r = check_member_int(j, "minor", fmt_field(f, "linux.devices[%zu].minor", i), need_nums, 0,
	                          UINT32_MAX)) < 0 ||
	    (r = check_member_int(j, "fileMode", fmt_field(f, "linux.devices[%zu].fileMode", i), 0, 0, 07777)) < 0 ||
	    (r = check_member_int(j, "uid", fmt_field(f, "linux.devices[%zu].uid", i), 0, 0, UINT32_MAX)) < 0 ||
	    (r = check_member_int(j, "gid", fmt_field(f, "linux.devices[%zu].gid", i), 0, 0, UINT32_MAX)) < 0)
		return r;
	json_t *fm = json_object_get(j, "fileMode");
	d->type = s[0];
	d->major = (uint32_t)json_integer_value(json_object_get(j, "major"));
	d->minor = (uint32_t)json_integer_value(json_object_get(j, "minor"));
	d->has_mode = fm != NULL;
	d->mode = (unsigned)json_integer_value(fm) & 07777;
	d->uid = (uint32_t)json_integer_value(json_object_get(j, "uid"));
	d->gid = (uint32_t)json_integer_value(json_object_get(j, "gid"));
	return 0;
}

static int parse_devices(berth__config *cfg, const json_t *lnx)
{
	const void *v = NULL;
	int r = parse_items(&v, &cfg->n_devices, cfg, lnx, "devices", "linux.devices", sizeof *cfg->devices,
	                    parse_device);
	if (v)
		cfg->devices = v;
	return r;
}

static int parse_sysctl(berth__config *cfg, const json_t *lnx)
{
	json_t *m = json_object_get(lnx, "sysctl");
	int r;
	if (!m)
		return 0;
	if ((r = check_obj(m, "linux.sysctl")) < 0)
		return r;
	berth__cfg_sysctl *v = berth__config_alloc(cfg, (json_object_size(m) + 1) * sizeof *v);
	if (!v)
		return BERTH_ENOMEM;
	const char *k;
	json_t *val;
	char f[FIELD_MAX];
	size_t n = 0;
	json_object_foreach(m, k, val) {
		fmt_field(f, "linux.sysctl.%s", k);
		int t = 0;
		if ((r = berth__spec_check_sysctl_key(f, k, &t)) < 0)
			return r;
		if (!json_is_string(val))
			return berth__err(BERTH_EINVAL, "%s: must be a string", f);
		if (!(cfg->ns_mask & BERTH_NS_BIT(t)))
			return berth__err(BERTH_EINVAL, "%s: needs its own %s namespace in linux.namespaces", f,
			                  berth_ns_type_name(t));
		v[n++] = (berth__cfg_sysctl){ k, json_string_value(val) };
	}
	cfg->sysctls = v;
	cfg->n_sysctls = n;
	return 0;
}

static int check_user_ns(const berth__config *cfg)
{
	if (!(cfg->ns_mask & BERTH_NS_BIT(BERTH_NS_USER))) {
		if (cfg->n_uid_maps)
			return berth__err(BERTH_EINVAL, "linux.uidMappings: only valid with a user namespace in linux.namespaces");
		if (cfg->n_gid_maps)
			return berth__err(BERTH_EINVAL, "linux.gidMappings: only valid with a user namespace in linux.namespaces");
	} else if (!(cfg->ns_joined & BERTH_NS_BIT(BERTH_NS_USER))) {
		if (!cfg->n_uid_maps)
			return berth__err(BERTH_EINVAL, "linux.uidMappings: a new user namespace needs uid mappings");
		if (!cfg->n_gid_maps)
			return berth__err(BERTH_EINVAL, "linux.gidMappings: a new user namespace needs gid mappings");
	}
	return 0;
}

static int parse_paths(const char *const **out, size_t *n, berth__config *cfg, const json_t *lnx, const char *key,
                       const char *field)
{
	int r = check_string_array(lnx, key, field, 1);
	if (r < 0)
		return r;
	return (*out = berth__config_strv(cfg, json_object_get(lnx, key), n)) ? 0 : BERTH_ENOMEM;
}

static int parse_seccomp(berth__config *cfg, const json_t *lnx)
{
	json_t *sc = json_object_get(lnx, "seccomp");
	int r;
	if (!sc)
		return 0;
	if ((r = check_obj(sc, "linux.seccomp")) < 0)
		return r;
	if ((r = berth__seccomp_validate(sc)) < 0)
		return ensure_prefix(r, "linux.seccomp");
	cfg->seccomp = sc;
	return 0;
}

static int parse_propagation(berth__config *cfg, const json_t *lnx)
{
	const char *s;
	int r;
	if ((r = get_str(&s, lnx, "rootfsPropagation", "linux.rootfsPropagation", 0)) < 0 || !s)
		return r;
	static const char *const props[] = { "private", "rprivate", "slave",      "rslave",
		                             "shared",  "rshared",  "unbindable", "runbindable" };
	size_t k;
	for (k = 0; k < BERTH_ARRAY_SIZE(props) && strcmp(s, props[k]); k++)
		;
	if (k == BERTH_ARRAY_SIZE(props))
		return berth__err(BERTH_EINVAL, "linux.rootfsPropagation: unknown propagation '%s'", s);
	cfg->rootfs_propagation = s;
	return 0;
}

static int check_uts(const berth__config *cfg);

static int parse_linux(berth__config *cfg, const json_t *root)
{
	json_t *lnx = json_object_get(root, "linux");
	int r;
	if (!lnx)
		return berth__err(BERTH_EINVAL, "linux: required");
	if ((r = check_obj(lnx, "linux")) < 0)
		return r;
	if ((r = parse_namespaces_needed(cfg, lnx)) < 0)
		return r;
	if ((r = parse_mappings(&cfg->uid_maps, &cfg->n_uid_maps, cfg, lnx, "uidMappings")) < 0 ||
	    (r = parse_mappings(&cfg->gid_maps, &cfg->n_gid_maps, cfg, lnx, "gidMappings")) < 0 ||
	    (r = check_user_ns(cfg)) < 0)
		return r;
	if ((r = parse_paths(&cfg->masked_paths, &cfg->n_masked_paths, cfg, lnx, "maskedPaths", "linux.maskedPaths")) < 0 ||
	    (r = parse_paths(&cfg->readonly_paths, &cfg->n_readonly_paths, cfg, lnx, "readonlyPaths",
	                     "linux.readonlyPaths")) < 0 ||
	    (r = parse_sysctl(cfg, lnx)) < 0 || (r = parse_devices(cfg, lnx)) < 0 || (r = parse_seccomp(cfg, lnx)) < 0)
		return r;
	if ((r = get_str(&cfg->cgroups_path, lnx, "cgroupsPath", "linux.cgroupsPath", 0)) < 0 ||
	    (r = parse_propagation(cfg, lnx)) < 0)
		return r;
	json_t *res = json_object_get(lnx, "resources");
	if (res && (r = check_obj(res, "linux.resources")) < 0)
		return r;
	cfg->resources = res;
	return check_uts(cfg);
}

/* hostname needs its own UTS namespace or it would rename the host. */
static int check_uts(const berth__config *cfg)
{
	if (cfg->hostname && cfg->hostname[0] && !(cfg->ns_mask & BERTH_NS_BIT(BERTH_NS_UTS)))
		return berth__err(BERTH_EINVAL, "hostname: needs a uts namespace in linux.namespaces");
	if (cfg->domainname && cfg->domainname[0] && !(cfg->ns_mask & BERTH_NS_BIT(BERTH_NS_UTS)))
		return berth__err(BERTH_EINVAL, "domainname: needs a uts namespace in linux.namespaces");
	return 0;
}

static int parse_hostname(berth__config *cfg, const json_t *root)
{
	int r = get_str(&cfg->hostname, root, "hostname", "hostname", 0);
	if (r == 0 && cfg->hostname)
		r = berth__spec_check_hostname("hostname", cfg->hostname, 1);
	return r;
}

static int parse_spec(berth__config *cfg, const json_t *root)
{
	int r;
	if (!json_is_object(root))
		return berth__err(BERTH_EINVAL, "spec: must be a JSON object");
	const char *ver;
	if ((r = get_str(&ver, root, "ociVersion", "ociVersion", 1)) < 0)
		return r;
	if (strncmp(ver, "1.", 2) != 0)
		return berth__err(BERTH_EINVAL, "ociVersion: unsupported version '%s' (1.x expected)", ver);
	if ((r = parse_root(cfg, root)) < 0)
		return r;
	json_t *proc = json_object_get(root, "process");
	if (!proc)
		return berth__err(BERTH_EINVAL, "process: required");
	if ((r = berth__config_parse_process(&cfg->process, cfg, proc)) < 0)
		return r;
	if ((r = parse_hostname(cfg, root)) < 0)
		return r;
	if ((r = get_str(&cfg->domainname, root, "domainname", "domainname", 0)) < 0)
		return r;
	if (cfg->domainname && (r = berth__spec_check_hostname("domainname", cfg->domainname, 1)) < 0)
		return r;
	if ((r = parse_mounts(cfg, root)) < 0 || (r = parse_linux(cfg, root)) < 0 ||
	    (r = check_string_map(root, "annotations", "annotations")) < 0)
		return r;
	cfg->annotations = json_object_get(root, "annotations");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)cfg->annotations, k, v)
		if ((r = berth__annotation_check(k, "annotations")) < 0)
			return r;
	return 0;
}

int berth__config_parse(berth__config **out, json_t *spec)
{
	berth__config *cfg = berth__config_new(spec);
	if (!cfg)
		return BERTH_ENOMEM;
	int r = parse_spec(cfg, spec);
	if (r < 0 || !out) {
		berth__config_free(cfg);
		return r;
	}
	*out = cfg;
	berth__err_ok();
	return 0;
}

int berth__config_update(berth__config *cfg, json_t *spec)
{
	/* the fields that borrow from the previous copy go first, then that copy */
	cfg->hostname = NULL;
	cfg->mounts = NULL;
	cfg->namespaces = NULL;
	cfg->n_mounts = cfg->n_namespaces = 0;
	cfg->ns_mask = cfg->ns_joined = 0;
	json_incref(spec);
	json_decref(cfg->rewritten);
	cfg->rewritten = spec;
	int r;
	if ((r = parse_hostname(cfg, spec)) < 0 || (r = parse_mounts(cfg, spec)) < 0 ||
	    (r = parse_namespaces_needed(cfg, json_object_get(spec, "linux"))) < 0 || (r = check_user_ns(cfg)) < 0 ||
	    (r = check_uts(cfg)) < 0)
		return r;
	return 0;
}

BERTH_EXTERN int berth_spec_validate(const berth_spec *spec)
{
	if (!spec || !spec->root)
		return berth__err(BERTH_EINVAL, "validate spec: NULL spec");
	int r = berth__config_parse(NULL, spec->root);
	if (r == 0)
		berth__err_ok();
	return r;
}
