/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_spec: an OCI runtime-spec config.json held as a jansson object, with
 * Docker's defaults and setters. Validation is in validate.c. */
#include "spec_priv.h"
#include "security/security.h"
#include "volume/volume.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#define PRIVILEGED_ANNOTATION "io.berth.privileged"
#define DEFAULT_NOFILE 1048576

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"TERM=xterm",
	NULL,
};

static const char *const default_masked[] = {
	"/proc/asound",     "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
	"/proc/keys",       "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap",
	NULL,
};

static const char *const default_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static const int default_namespaces[] = {
	BERTH_NS_PID, BERTH_NS_NET, BERTH_NS_IPC, BERTH_NS_UTS, BERTH_NS_MOUNT, BERTH_NS_CGROUP,
};

struct default_mount {
	const char *destination, *type, *source;
	const char *options[8];
};

static const struct default_mount default_mounts[] = {
	{ "/proc", "proc", "proc", { "nosuid", "noexec", "nodev", NULL } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
	{ "/dev/pts", "devpts", "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
};

/* ---------------------------------------------------------------- helpers */

static berth_spec *spec_wrap(json_t *root)
{
	berth_spec *s = calloc(1, sizeof *s);
	if (!s) {
		json_decref(root);
		berth__err_nomem();
		return NULL;
	}
	s->root = root;
	return s;
}

static json_t *strv_to_json(const char *const *v)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (; v && *v; v++)
		if (json_array_append_new(a, json_string(*v)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		return berth__err_nomem();
	return 0;
}

/* The object member key of parent; created when absent and create is set.
 * *out NULL when absent and !create. */
static int child_obj(json_t **out, json_t *parent, const char *key, const char *field, int create)
{
	json_t *o = json_object_get(parent, key);
	if (o) {
		if (!json_is_object(o))
			return berth__err(BERTH_EINVAL, "%s: must be an object", field);
		*out = o;
		return 0;
	}
	if (!create) {
		*out = NULL;
		return 0;
	}
	o = json_object();
	if (!o || json_object_set_new(parent, key, o) < 0)
		return berth__err_nomem();
	*out = o;
	return 0;
}

/* The array member key of parent (created empty when absent and create). */
static int child_array(json_t **out, json_t *parent, const char *key, const char *field, int create)
{
	json_t *a = json_object_get(parent, key);
	if (a) {
		if (!json_is_array(a))
			return berth__err(BERTH_EINVAL, "%s: must be an array", field);
		*out = a;
		return 0;
	}
	if (!create) {
		*out = NULL;
		return 0;
	}
	a = json_array();
	if (!a || json_object_set_new(parent, key, a) < 0)
		return berth__err_nomem();
	*out = a;
	return 0;
}

static int check_spec(const berth_spec *spec, const char *what)
{
	if (!spec || !json_is_object(spec->root))
		return berth__err(BERTH_EINVAL, "%s: NULL spec", what);
	return 0;
}

static int ok(void)
{
	berth__err_ok();
	return 0;
}

static uint64_t all_caps_mask(void)
{
	int last = berth__cap_last();
	if (last < 0)
		last = 40;
	if (last >= 63)
		return ~(uint64_t)0;
	return ((uint64_t)1 << (last + 1)) - 1;
}

static int default_caps_mask(uint64_t *out)
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
static json_t *caps_object(const json_t *old, const berth__capsets *cs)
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

static json_t *mount_object(const char *dest, const char *type, const char *source, const char *const *opts)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (json_object_set_new(o, "destination", json_string(dest)) < 0 ||
	    json_object_set_new(o, "type", json_string(type)) < 0 ||
	    (source && json_object_set_new(o, "source", json_string(source)) < 0) ||
	    json_object_set_new(o, "options", strv_to_json(opts)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *namespace_object(int type, const char *path)
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

static size_t dest_len(const char *d)
{
	size_t n = strlen(d);
	while (n > 1 && d[n - 1] == '/')
		n--;
	return n;
}

static int same_dest(const char *a, const char *b)
{
	size_t la = dest_len(a), lb = dest_len(b);
	return la == lb && !memcmp(a, b, la);
}

/* ------------------------------------------------------------- lifecycle */

static json_t *build_default(void)
{
	json_t *root = json_object(), *proc = json_object(), *user = json_object(), *lnx = json_object();
	json_t *caps = NULL, *rl = NULL, *mounts = json_array(), *nss = json_array(), *seccomp = NULL;
	if (!root || !proc || !user || !lnx || !mounts || !nss)
		goto nomem;

	uint64_t dmask;
	if (default_caps_mask(&dmask) < 0)
		goto fail;
	berth__capsets cs = { .bounding = dmask, .effective = dmask, .permitted = dmask };
	caps = caps_object(NULL, &cs);
	seccomp = berth__seccomp_default(dmask);
	if (!caps || !seccomp)
		goto nomem;

	struct rlimit lim;
	uint64_t nofile = DEFAULT_NOFILE;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_max != RLIM_INFINITY && lim.rlim_max < nofile)
		nofile = lim.rlim_max;
	rl = json_pack("[{s:s, s:I, s:I}]", "type", "RLIMIT_NOFILE", "hard", (json_int_t)nofile, "soft",
	               (json_int_t)nofile);
	if (!rl)
		goto nomem;

	if (set_new(user, "uid", json_integer(0)) < 0 || set_new(user, "gid", json_integer(0)) < 0)
		goto fail;
	if (set_new(proc, "terminal", json_false()) < 0)
		goto fail;
	json_object_set_new(proc, "user", user);
	user = NULL;
	static const char *const args[] = { "sh", NULL };
	if (set_new(proc, "args", strv_to_json(args)) < 0 || set_new(proc, "env", strv_to_json(default_env)) < 0 ||
	    set_new(proc, "cwd", json_string("/")) < 0)
		goto fail;
	json_object_set_new(proc, "capabilities", caps);
	caps = NULL;
	json_object_set_new(proc, "rlimits", rl);
	rl = NULL;
	if (set_new(proc, "noNewPrivileges", json_true()) < 0)
		goto fail;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_mounts); i++) {
		const struct default_mount *m = &default_mounts[i];
		if (json_array_append_new(mounts, mount_object(m->destination, m->type, m->source, m->options)) < 0)
			goto nomem;
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_namespaces); i++) {
		json_t *ns = namespace_object(default_namespaces[i], NULL);
		if (!ns || !json_object_get(ns, "type")) {
			json_decref(ns);
			goto nomem;
		}
		json_array_append_new(nss, ns);
	}
	json_object_set_new(lnx, "namespaces", nss);
	nss = NULL;
	if (set_new(lnx, "maskedPaths", strv_to_json(default_masked)) < 0 ||
	    set_new(lnx, "readonlyPaths", strv_to_json(default_readonly)) < 0)
		goto fail;
	json_object_set_new(lnx, "seccomp", seccomp);
	seccomp = NULL;

	if (set_new(root, "ociVersion", json_string("1.2.0")) < 0)
		goto fail;
	json_object_set_new(root, "process", proc);
	proc = NULL;
	json_t *rootfs = json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 0);
	if (set_new(root, "root", rootfs) < 0 || set_new(root, "hostname", json_string("berth")) < 0)
		goto fail;
	json_object_set_new(root, "mounts", mounts);
	mounts = NULL;
	json_object_set_new(root, "linux", lnx);
	return root;

nomem:
	berth__err_nomem();
fail:
	json_decref(root);
	json_decref(proc);
	json_decref(user);
	json_decref(lnx);
	json_decref(caps);
	json_decref(rl);
	json_decref(mounts);
	json_decref(nss);
	json_decref(seccomp);
	return NULL;
}

BERTH_EXTERN int berth_spec_new(berth_spec **out)
{
	if (!out)
		return berth__err(BERTH_EINVAL, "new spec: NULL argument");
	json_t *root = build_default();
	if (!root)
		return berth_error_last()->code ? berth_error_last()->code : berth__err_nomem();
	berth_spec *s = spec_wrap(root);
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	return ok();
}

static int check_top(json_t *j, const char *what)
{
	if (!json_is_object(j)) {
		const char *kind = json_is_array(j) ? "an array" : json_is_string(j) ? "a string" :
		                   json_is_number(j) ? "a number" : json_is_null(j) ? "null" : "a boolean";
		return berth__err(BERTH_EINVAL, "%s: the top-level JSON value must be an object, not %s", what, kind);
	}
	return 0;
}

BERTH_EXTERN int berth_spec_parse(berth_spec **out, const char *json, size_t len)
{
	if (!out || !json)
		return berth__err(BERTH_EINVAL, "parse spec: NULL argument");
	json_error_t je;
	json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		return berth__err(BERTH_EINVAL, "spec: malformed JSON at line %d column %d: %s", je.line, je.column,
		                  je.text);
	int r = check_top(j, "spec");
	if (r < 0) {
		json_decref(j);
		return r;
	}
	berth_spec *s = spec_wrap(j);
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	return ok();
}

BERTH_EXTERN int berth_spec_load(berth_spec **out, const char *path)
{
	if (!out || !path)
		return berth__err(BERTH_EINVAL, "load spec: NULL argument");
	char *buf;
	size_t len;
	int r = berth__read_file(&buf, &len, path);
	if (r < 0)
		return berth__err_prefix("load spec");
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	free(buf);
	if (!j)
		return berth__err(BERTH_EINVAL, "spec %s: malformed JSON at line %d column %d: %s", path, je.line,
		                  je.column, je.text);
	char what[4200];
	snprintf(what, sizeof what, "spec %s", path);
	if ((r = check_top(j, what)) < 0) {
		json_decref(j);
		return r;
	}
	berth_spec *s = spec_wrap(j);
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	return ok();
}

BERTH_EXTERN int berth_spec_to_json(char **out, const berth_spec *spec)
{
	int r;
	if (!out)
		return berth__err(BERTH_EINVAL, "serialise spec: NULL argument");
	if ((r = check_spec(spec, "serialise spec")) < 0)
		return r;
	char *s = berth__json_dump(spec->root, 1);
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	return ok();
}

BERTH_EXTERN int berth_spec_save(const berth_spec *spec, const char *path)
{
	int r;
	if ((r = check_spec(spec, "save spec")) < 0)
		return r;
	if (!path || !path[0])
		return berth__err(BERTH_EINVAL, "save spec: no path");
	char *s = berth__json_dump(spec->root, 1);
	if (!s)
		return BERTH_ENOMEM;
	size_t n = strlen(s);
	/* a trailing newline, as text files have */
	char *t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return berth__err_nomem();
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	r = berth__write_file_atomic(path, t, n + 1, 0600);
	free(t);
	if (r < 0)
		return berth__err_prefix("save spec %s", path);
	return ok();
}

BERTH_EXTERN int berth_spec_copy(berth_spec **out, const berth_spec *spec)
{
	int r;
	if (!out)
		return berth__err(BERTH_EINVAL, "copy spec: NULL argument");
	if ((r = check_spec(spec, "copy spec")) < 0)
		return r;
	json_t *j = json_deep_copy(spec->root);
	if (!j)
		return berth__err_nomem();
	berth_spec *s = spec_wrap(j);
	if (!s)
		return BERTH_ENOMEM;
	s->caps_dropped = spec->caps_dropped;
	*out = s;
	return ok();
}

BERTH_EXTERN void berth_spec_free(berth_spec *spec)
{
	if (!spec)
		return;
	json_decref(spec->root);
	free(spec);
}

/* ---------------------------------------------------------------- process */

static int process_obj(json_t **out, berth_spec *spec)
{
	return child_obj(out, spec->root, "process", "process", 1);
}

static int check_env_entry(const char *field, const char *kv)
{
	const char *eq = kv ? strchr(kv, '=') : NULL;
	if (!kv || !eq || eq == kv)
		return berth__err(BERTH_EINVAL, "%s: '%s' is not of the form KEY=VALUE", field, kv ? kv : "(null)");
	return 0;
}

BERTH_EXTERN int berth_spec_set_args(berth_spec *spec, const char *const *argv)
{
	int r;
	json_t *proc;
	if ((r = check_spec(spec, "process.args")) < 0)
		return r;
	if (!argv || !argv[0])
		return berth__err(BERTH_EINVAL, "process.args: must be a non-empty array");
	if (!argv[0][0])
		return berth__err(BERTH_EINVAL, "process.args[0]: must not be empty");
	if ((r = process_obj(&proc, spec)) < 0)
		return r;
	if ((r = set_new(proc, "args", strv_to_json(argv))) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_set_env(berth_spec *spec, const char *const *envp)
{
	int r;
	json_t *proc;
	if ((r = check_spec(spec, "process.env")) < 0)
		return r;
	for (size_t i = 0; envp && envp[i]; i++) {
		char f[64];
		snprintf(f, sizeof f, "process.env[%zu]", i);
		if ((r = check_env_entry(f, envp[i])) < 0)
			return r;
	}
	if ((r = process_obj(&proc, spec)) < 0)
		return r;
	if ((r = set_new(proc, "env", strv_to_json(envp))) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_setenv(berth_spec *spec, const char *key_value)
{
	int r;
	json_t *proc, *env;
	if ((r = check_spec(spec, "process.env")) < 0 || (r = check_env_entry("process.env", key_value)) < 0)
		return r;
	size_t klen = (size_t)(strchr(key_value, '=') - key_value) + 1; /* with '=' */
	if ((r = process_obj(&proc, spec)) < 0 || (r = child_array(&env, proc, "env", "process.env", 1)) < 0)
		return r;
	int replaced = 0;
	for (size_t i = 0; i < json_array_size(env);) {
		const char *s = json_string_value(json_array_get(env, i));
		if (s && !strncmp(s, key_value, klen)) {
			if (!replaced) {
				if (json_array_set_new(env, i, json_string(key_value)) < 0)
					return berth__err_nomem();
				replaced = 1;
				i++;
			} else {
				json_array_remove(env, i);
			}
			continue;
		}
		i++;
	}
	if (!replaced && json_array_append_new(env, json_string(key_value)) < 0)
		return berth__err_nomem();
	return ok();
}

BERTH_EXTERN int berth_spec_set_cwd(berth_spec *spec, const char *cwd)
{
	int r;
	json_t *proc;
	if ((r = check_spec(spec, "process.cwd")) < 0)
		return r;
	if (!cwd || cwd[0] != '/')
		return berth__err(BERTH_EINVAL, "process.cwd: must be an absolute path ('%s')", cwd ? cwd : "(null)");
	if ((r = process_obj(&proc, spec)) < 0 || (r = set_new(proc, "cwd", json_string(cwd))) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_set_user(berth_spec *spec, uint32_t uid, uint32_t gid, const uint32_t *additional_gids,
                                     size_t n_additional)
{
	int r;
	json_t *proc, *user;
	if ((r = check_spec(spec, "process.user")) < 0)
		return r;
	if (n_additional && !additional_gids)
		return berth__err(BERTH_EINVAL, "process.user.additionalGids: NULL with %zu entries", n_additional);
	json_t *gids = NULL;
	if (n_additional) {
		gids = json_array();
		for (size_t i = 0; gids && i < n_additional; i++)
			if (json_array_append_new(gids, json_integer(additional_gids[i])) < 0) {
				json_decref(gids);
				gids = NULL;
			}
		if (!gids)
			return berth__err_nomem();
	}
	if ((r = process_obj(&proc, spec)) < 0 || (r = child_obj(&user, proc, "user", "process.user", 1)) < 0) {
		json_decref(gids);
		return r;
	}
	if ((r = set_new(user, "uid", json_integer(uid))) < 0 || (r = set_new(user, "gid", json_integer(gid))) < 0) {
		json_decref(gids);
		return r;
	}
	if (gids) {
		if ((r = set_new(user, "additionalGids", gids)) < 0)
			return r;
	} else {
		json_object_del(user, "additionalGids");
	}
	return ok();
}

BERTH_EXTERN int berth_spec_set_terminal(berth_spec *spec, int terminal)
{
	int r;
	json_t *proc;
	if ((r = check_spec(spec, "process.terminal")) < 0 || (r = process_obj(&proc, spec)) < 0 ||
	    (r = set_new(proc, "terminal", json_boolean(terminal))) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_set_rlimit(berth_spec *spec, const char *type, uint64_t soft, uint64_t hard)
{
	int r;
	json_t *proc, *rl;
	if ((r = check_spec(spec, "process.rlimits")) < 0)
		return r;
	const char *canon = berth__spec_rlimit_canon(type);
	if (!canon)
		return berth__err(BERTH_EINVAL, "process.rlimits: unknown rlimit type '%s'", type ? type : "(null)");
	if (soft > INT64_MAX || hard > INT64_MAX)
		return berth__err(BERTH_EINVAL, "process.rlimits: %s: limit above %lld", canon, (long long)INT64_MAX);
	if (soft > hard)
		return berth__err(BERTH_EINVAL, "process.rlimits: %s: soft limit %llu is above the hard limit %llu", canon,
		                  (unsigned long long)soft, (unsigned long long)hard);
	json_t *e = json_pack("{s:s, s:I, s:I}", "type", canon, "hard", (json_int_t)hard, "soft", (json_int_t)soft);
	if (!e)
		return berth__err_nomem();
	if ((r = process_obj(&proc, spec)) < 0 || (r = child_array(&rl, proc, "rlimits", "process.rlimits", 1)) < 0) {
		json_decref(e);
		return r;
	}
	size_t i;
	json_t *v;
	json_array_foreach(rl, i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		if (t && berth__spec_rlimit_canon(t) == canon) {
			if (json_array_set_new(rl, i, e) < 0)
				return berth__err_nomem();
			return ok();
		}
	}
	if (json_array_append_new(rl, e) < 0)
		return berth__err_nomem();
	return ok();
}

BERTH_EXTERN int berth_spec_set_no_new_privileges(berth_spec *spec, int on)
{
	int r;
	json_t *proc;
	if ((r = check_spec(spec, "process.noNewPrivileges")) < 0 || (r = process_obj(&proc, spec)) < 0 ||
	    (r = set_new(proc, "noNewPrivileges", json_boolean(on))) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_set_oom_score_adj(berth_spec *spec, int adj)
{
	int r;
	json_t *proc;
	if ((r = check_spec(spec, "process.oomScoreAdj")) < 0)
		return r;
	if (adj < -1000 || adj > 1000)
		return berth__err(BERTH_EINVAL, "process.oomScoreAdj: %d is out of range (-1000..1000)", adj);
	if ((r = process_obj(&proc, spec)) < 0 || (r = set_new(proc, "oomScoreAdj", json_integer(adj))) < 0)
		return r;
	return ok();
}

/* ----------------------------------------------------------- capabilities */

/* Replaces process.capabilities with cs and, when new_seccomp is set,
 * linux.seccomp with it (reference stolen). */
static int commit_caps(berth_spec *spec, const berth__capsets *cs, json_t *new_seccomp)
{
	int r;
	json_t *proc, *lnx = NULL;
	if ((r = process_obj(&proc, spec)) < 0 ||
	    (new_seccomp && (r = child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)) {
		json_decref(new_seccomp);
		return r;
	}
	json_t *caps = caps_object(json_object_get(proc, "capabilities"), cs);
	if (!caps) {
		json_decref(new_seccomp);
		return berth__err_nomem();
	}
	if ((r = set_new(proc, "capabilities", caps)) < 0) {
		json_decref(new_seccomp);
		return r;
	}
	if (new_seccomp && (r = set_new(lnx, "seccomp", new_seccomp)) < 0)
		return r;
	return 0;
}

static int cap_change(berth_spec *spec, const char *cap, int add)
{
	const char *what = add ? "cap-add" : "cap-drop";
	int r;
	if ((r = check_spec(spec, what)) < 0)
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
	return ok();
}

BERTH_EXTERN int berth_spec_cap_add(berth_spec *spec, const char *cap) { return cap_change(spec, cap, 1); }

BERTH_EXTERN int berth_spec_cap_drop(berth_spec *spec, const char *cap) { return cap_change(spec, cap, 0); }

/* ------------------------------------------------------ root and mounts */

BERTH_EXTERN int berth_spec_set_rootfs(berth_spec *spec, const char *path, int readonly)
{
	int r;
	json_t *root;
	if ((r = check_spec(spec, "root.path")) < 0)
		return r;
	if (!path || !path[0])
		return berth__err(BERTH_EINVAL, "root.path: must not be empty");
	if ((r = child_obj(&root, spec->root, "root", "root", 1)) < 0 ||
	    (r = set_new(root, "path", json_string(path))) < 0 ||
	    (r = set_new(root, "readonly", json_boolean(readonly))) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_set_hostname(berth_spec *spec, const char *hostname)
{
	int r;
	if ((r = check_spec(spec, "hostname")) < 0)
		return r;
	if (!hostname)
		return berth__err(BERTH_EINVAL, "hostname: NULL");
	if ((r = berth__spec_check_hostname("hostname", hostname, 0)) < 0)
		return r;
	if ((r = set_new(spec->root, "hostname", json_string(hostname))) < 0)
		return r;
	return ok();
}

/* Puts mount m (stolen) in place of one at the same destination, or last.
 * A new /dev hides the default mounts below it, as in Docker. */
static int put_mount(berth_spec *spec, json_t *m)
{
	json_t *mounts;
	int r;
	if ((r = child_array(&mounts, spec->root, "mounts", "mounts", 1)) < 0) {
		json_decref(m);
		return r;
	}
	const char *dest = json_string_value(json_object_get(m, "destination"));
	int is_dev = same_dest(dest, "/dev");
	int placed = 0;
	for (size_t i = 0; i < json_array_size(mounts);) {
		const char *d = json_string_value(json_object_get(json_array_get(mounts, i), "destination"));
		if (d && same_dest(d, dest)) {
			if (placed) {
				json_array_remove(mounts, i);
				continue;
			}
			if (json_array_set_new(mounts, i, m) < 0)
				return berth__err_nomem();
			placed = 1;
		} else if (d && is_dev && !strncmp(d, "/dev/", 5)) {
			json_array_remove(mounts, i);
			continue;
		}
		i++;
	}
	if (!placed && json_array_append_new(mounts, m) < 0)
		return berth__err_nomem();
	return 0;
}

BERTH_EXTERN int berth_spec_add_mount(berth_spec *spec, const char *destination, const char *type,
                                      const char *source, const char *const *options)
{
	int r;
	if ((r = check_spec(spec, "mount")) < 0)
		return r;
	if (!destination)
		return berth__err(BERTH_EINVAL, "mount: no destination");
	char f[4200];
	snprintf(f, sizeof f, "mount %s: destination", destination);
	if ((r = berth__spec_check_abs_path(f, destination)) < 0)
		return r;
	if (!type || !type[0])
		return berth__err(BERTH_EINVAL, "mount %s: no type", destination);
	if (!source && !strcmp(type, "bind"))
		return berth__err(BERTH_EINVAL, "mount %s: a bind mount needs a source", destination);
	json_t *m = mount_object(destination, type, source ? source : type, options);
	if (!m)
		return berth__err_nomem();
	if ((r = put_mount(spec, m)) < 0)
		return r;
	return ok();
}

/* A mount of type "bind" (source a host path) or "volume" (source a volume
 * name, "" for an anonymous one: the runtime makes it a bind of the volume's
 * data at create, lib/volume). */
static int add_mount_opts(berth_spec *spec, const char *type, const char *source, const char *destination,
                          const char *const *opts)
{
	json_t *m = mount_object(destination, type, source, opts);
	if (!m)
		return berth__err_nomem();
	int r = put_mount(spec, m);
	if (r < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_add_bind(berth_spec *spec, const char *source, const char *destination, int readonly)
{
	int r;
	if ((r = check_spec(spec, "volume")) < 0)
		return r;
	if (!source || source[0] != '/')
		return berth__err(BERTH_EINVAL, "volume %s: source must be an absolute path", source ? source : "(null)");
	if (!destination)
		return berth__err(BERTH_EINVAL, "volume %s: no destination", source);
	char f[4200];
	snprintf(f, sizeof f, "volume %s: destination", source);
	if ((r = berth__spec_check_abs_path(f, destination)) < 0)
		return r;
	static const char *const rw[] = { "rbind", NULL }, *const ro[] = { "rbind", "ro", NULL };
	return add_mount_opts(spec, "bind", source, destination, readonly ? ro : rw);
}

BERTH_EXTERN int berth_spec_add_volume(berth_spec *spec, const char *name, const char *destination, int readonly)
{
	int r;
	if ((r = check_spec(spec, "volume")) < 0)
		return r;
	if (name && *name && (r = berth__volume_check_name(name)) < 0)
		return r;
	if (!destination)
		return berth__err(BERTH_EINVAL, "volume %s: no destination", name && *name ? name : "(anonymous)");
	char f[4200];
	snprintf(f, sizeof f, "volume %s: destination", name && *name ? name : "(anonymous)");
	if ((r = berth__spec_check_abs_path(f, destination)) < 0)
		return r;
	if (!strcmp(destination, "/"))
		return berth__err(BERTH_EINVAL, "%s: cannot be /", f);
	static const char *const rw[] = { "rbind", NULL }, *const ro[] = { "rbind", "ro", NULL };
	return add_mount_opts(spec, "volume", name ? name : "", destination, readonly ? ro : rw);
}

BERTH_EXTERN int berth_spec_add_volume_arg(berth_spec *spec, const char *arg)
{
	int r;
	if ((r = check_spec(spec, "volume")) < 0)
		return r;
	if (!arg)
		return berth__err(BERTH_EINVAL, "volume: NULL argument");
	char *copy = strdup(arg);
	if (!copy)
		return berth__err_nomem();
	char *parts[4];
	int n = 0;
	for (char *p = copy;; n++) {
		char *c = strchr(p, ':');
		if (n == 3) {
			free(copy);
			return berth__err(BERTH_EINVAL, "volume '%s': too many ':' (SRC:DST[:OPTIONS])", arg);
		}
		parts[n] = p;
		if (!c) {
			n++;
			break;
		}
		*c = '\0';
		p = c + 1;
	}
	const char *opts[8];
	size_t nopts = 0;
	opts[nopts++] = "rbind";
	if (n == 1) {
		/* "-v /data": an anonymous volume */
		if (parts[0][0] != '/') {
			r = berth__err(BERTH_EINVAL, "volume '%s': an anonymous volume needs an absolute destination", arg);
			goto out;
		}
		parts[1] = parts[0];
		parts[0] = (char *)"";
		n = 2;
	} else if (!parts[0][0]) {
		r = berth__err(BERTH_EINVAL, "volume '%s': empty source", arg);
		goto out;
	}
	const char *src = parts[0], *dst = parts[1];
	/* SRC not an absolute path is a volume's name, as in docker */
	int is_volume = src[0] != '/';
	if (is_volume && src[0] && (r = berth__volume_check_name(src)) < 0) {
		r = berth__err(BERTH_EINVAL, "volume '%s': '%s' is neither an absolute host path nor a volume name "
		                             "([A-Za-z0-9][A-Za-z0-9_.-]+)", arg, src);
		goto out;
	}
	if (!dst[0]) {
		r = berth__err(BERTH_EINVAL, "volume '%s': empty destination", arg);
		goto out;
	}
	if (dst[0] != '/') {
		r = berth__err(BERTH_EINVAL, "volume '%s': destination must be an absolute path", arg);
		goto out;
	}
	if ((r = berth__spec_check_abs_path("volume", dst)) < 0) {
		r = berth__err(BERTH_EINVAL, "volume '%s': destination must not contain '..'", arg);
		goto out;
	}
	if (is_volume && !strcmp(dst, "/")) {
		r = berth__err(BERTH_EINVAL, "volume '%s': a volume cannot be mounted on /", arg);
		goto out;
	}
	if (n == 3) {
		int mode = 0, prop = 0;
		static const char *const props[] = { "shared", "rshared", "slave", "rslave", "private", "rprivate" };
		if (!parts[2][0]) {
			r = berth__err(BERTH_EINVAL, "volume '%s': empty options", arg);
			goto out;
		}
		for (char *save = NULL, *o = strtok_r(parts[2], ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
				if (mode) {
					r = berth__err(BERTH_EINVAL, "volume '%s': more than one of ro and rw", arg);
					goto out;
				}
				mode = o[1] == 'o' ? 2 : 1;
				if (mode == 2)
					opts[nopts++] = "ro";
				continue;
			}
			if (!strcmp(o, "nocopy")) {
				if (is_volume)
					opts[nopts++] = "nocopy"; /* no seeding from the image */
				continue;
			}
			if (!strcmp(o, "z") || !strcmp(o, "Z") || !strcmp(o, "consistent") || !strcmp(o, "cached") ||
			    !strcmp(o, "delegated"))
				continue; /* SELinux relabelling does not apply here */
			size_t k;
			for (k = 0; k < BERTH_ARRAY_SIZE(props) && strcmp(o, props[k]); k++)
				;
			if (k == BERTH_ARRAY_SIZE(props)) {
				r = berth__err(BERTH_EINVAL, "volume '%s': unknown option '%s'", arg, o);
				goto out;
			}
			if (prop) {
				r = berth__err(BERTH_EINVAL, "volume '%s': more than one propagation option", arg);
				goto out;
			}
			prop = 1;
			opts[nopts++] = props[k];
		}
	}
	opts[nopts] = NULL;
	r = add_mount_opts(spec, is_volume ? "volume" : "bind", is_volume && !src ? "" : src, dst, opts);
out:
	free(copy);
	return r;
}

/* ------------------------------------------------------------ namespaces */

BERTH_EXTERN int berth_spec_set_namespace(berth_spec *spec, int type, const char *path)
{
	int r;
	json_t *lnx, *nss;
	if ((r = check_spec(spec, "linux.namespaces")) < 0)
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
	json_t *ns = namespace_object(type, path);
	if (!ns)
		return berth__err_nomem();
	if ((r = child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0 ||
	    (r = child_array(&nss, lnx, "namespaces", "linux.namespaces", 1)) < 0) {
		json_decref(ns);
		return r;
	}
	size_t i;
	json_t *v;
	json_array_foreach(nss, i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		if (t && !strcmp(t, name)) {
			if (json_array_set_new(nss, i, ns) < 0)
				return berth__err_nomem();
			return ok();
		}
	}
	if (json_array_append_new(nss, ns) < 0)
		return berth__err_nomem();
	return ok();
}

BERTH_EXTERN int berth_spec_remove_namespace(berth_spec *spec, int type)
{
	int r;
	if ((r = check_spec(spec, "linux.namespaces")) < 0)
		return r;
	const char *name = berth_ns_type_name(type);
	if (!name)
		return berth__err(BERTH_EINVAL, "linux.namespaces: unknown namespace type %d", type);
	json_t *lnx = json_object_get(spec->root, "linux");
	json_t *nss = json_is_object(lnx) ? json_object_get(lnx, "namespaces") : NULL;
	if (!json_is_array(nss))
		return ok();
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
	return ok();
}

BERTH_EXTERN int berth_spec_add_id_mapping(berth_spec *spec, int gid, uint32_t container_id, uint32_t host_id,
                                           uint32_t size)
{
	int r;
	const char *key = gid ? "gidMappings" : "uidMappings";
	if ((r = check_spec(spec, key)) < 0)
		return r;
	if (size == 0)
		return berth__err(BERTH_EINVAL, "linux.%s: size must be greater than 0", key);
	if ((uint64_t)container_id + size > (uint64_t)UINT32_MAX + 1 || (uint64_t)host_id + size > (uint64_t)UINT32_MAX + 1)
		return berth__err(BERTH_EINVAL, "linux.%s: range %u+%u or %u+%u goes beyond 4294967295", key, container_id,
		                  size, host_id, size);
	json_t *lnx = NULL, *maps = NULL, *nss = NULL;
	if ((r = child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)
		return r;
	char field[32];
	snprintf(field, sizeof field, "linux.%s", key);
	if ((r = child_array(&maps, lnx, key, field, 0)) < 0 ||
	    (r = child_array(&nss, lnx, "namespaces", "linux.namespaces", 0)) < 0)
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
	return ok();
}

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
	if ((r = child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0) {
		json_decref(oci);
		return r;
	}
	if ((r = set_new(lnx, "seccomp", oci)) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_set_seccomp_json(berth_spec *spec, const char *json)
{
	int r;
	if ((r = check_spec(spec, "linux.seccomp")) < 0)
		return r;
	if (!json) {
		json_t *lnx = json_object_get(spec->root, "linux");
		if (json_is_object(lnx))
			json_object_del(lnx, "seccomp");
		return ok();
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
	if ((r = check_spec(spec, "linux.seccomp")) < 0)
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
	if ((r = check_spec(spec, "linux.seccomp")) < 0)
		return r;
	berth__capsets cs;
	if ((r = spec_caps(&cs, spec)) < 0)
		return r;
	json_t *lnx;
	if ((r = child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)
		return r;
	json_t *sc = berth__seccomp_default(cs.bounding);
	if (!sc)
		return berth__err_nomem();
	if ((r = set_new(lnx, "seccomp", sc)) < 0)
		return r;
	return ok();
}

/* Adds or removes "ro" in the options of the /sys and /sys/fs/cgroup mounts. */
static int sys_mounts_readonly(berth_spec *spec, int ro)
{
	json_t *mounts = json_object_get(spec->root, "mounts");
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "destination"));
		if (!d || !(same_dest(d, "/sys") || same_dest(d, "/sys/fs/cgroup")))
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
	if ((r = check_spec(spec, "privileged")) < 0)
		return r;
	json_t *lnx = NULL, *ann = NULL;
	if ((r = child_obj(&lnx, spec->root, "linux", "linux", 0)) < 0 ||
	    (r = child_obj(&ann, spec->root, "annotations", "annotations", 0)) < 0)
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
		if (d && (same_dest(d, "/sys") || same_dest(d, "/sys/fs/cgroup")) && opts && !json_is_array(opts))
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
		if ((r = child_obj(&lnx, spec->root, "linux", "linux", 1)) < 0)
			return r;
		json_object_del(lnx, "seccomp");
		json_object_del(lnx, "maskedPaths");
		json_object_del(lnx, "readonlyPaths");
		if ((r = sys_mounts_readonly(spec, 0)) < 0)
			return r;
		return berth_spec_set_annotation(spec, PRIVILEGED_ANNOTATION, "true");
	}

	/* off: back to the default confinement if it was privileged */
	const char *flag = json_string_value(json_object_get(ann, PRIVILEGED_ANNOTATION));
	if (!flag || strcmp(flag, "true") != 0)
		return ok();
	uint64_t dmask;
	if ((r = default_caps_mask(&dmask)) < 0)
		return r;
	berth__capsets def = { .bounding = dmask, .effective = dmask, .permitted = dmask, .ambient = cs.ambient & dmask };
	json_t *sc = berth__seccomp_default(dmask);
	json_t *masked = strv_to_json(default_masked), *ro = strv_to_json(default_readonly);
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
	if ((r = set_new(lnx, "maskedPaths", masked)) < 0) {
		json_decref(ro);
		return r;
	}
	if ((r = set_new(lnx, "readonlyPaths", ro)) < 0 || (r = sys_mounts_readonly(spec, 1)) < 0)
		return r;
	spec->caps_dropped = 0;
	return berth_spec_set_annotation(spec, PRIVILEGED_ANNOTATION, NULL);
}

BERTH_EXTERN int berth_spec_set_sysctl(berth_spec *spec, const char *key, const char *value)
{
	int r;
	if ((r = check_spec(spec, "linux.sysctl")) < 0)
		return r;
	if (!key)
		return berth__err(BERTH_EINVAL, "linux.sysctl: NULL key");
	char f[300];
	snprintf(f, sizeof f, "linux.sysctl.%.200s", key);
	if ((r = berth__spec_check_sysctl_key(f, key, NULL)) < 0)
		return r;
	json_t *lnx, *sys;
	if ((r = child_obj(&lnx, spec->root, "linux", "linux", !!value)) < 0 || (!value && !lnx))
		return r < 0 ? r : ok();
	if ((r = child_obj(&sys, lnx, "sysctl", "linux.sysctl", !!value)) < 0)
		return r;
	if (!value) {
		if (sys) {
			json_object_del(sys, key);
			if (json_object_size(sys) == 0)
				json_object_del(lnx, "sysctl");
		}
		return ok();
	}
	if ((r = set_new(sys, key, json_string(value))) < 0)
		return r;
	return ok();
}

BERTH_EXTERN int berth_spec_set_annotation(berth_spec *spec, const char *key, const char *value)
{
	int r;
	if ((r = check_spec(spec, "annotations")) < 0)
		return r;
	if (!key || !key[0])
		return berth__err(BERTH_EINVAL, "annotations: empty key");
	json_t *ann;
	if ((r = child_obj(&ann, spec->root, "annotations", "annotations", !!value)) < 0)
		return r;
	if (!value) {
		if (ann) {
			json_object_del(ann, key);
			if (json_object_size(ann) == 0)
				json_object_del(spec->root, "annotations");
		}
		return ok();
	}
	if ((r = set_new(ann, key, json_string(value))) < 0)
		return r;
	return ok();
}

/* ---------------------------------------------------------------- reading */

/* RFC 6901: "" is the whole document, else "/" separated tokens with ~1 for
 * '/' and ~0 for '~'. */
static int json_pointer(const json_t **out, const json_t *doc, const char *ptr)
{
	const json_t *cur = doc;
	if (!ptr[0]) {
		*out = cur;
		return 0;
	}
	if (ptr[0] != '/')
		return berth__err(BERTH_EINVAL, "JSON pointer '%s': must be empty or start with '/'", ptr);
	size_t n = strlen(ptr);
	char *tok = malloc(n + 1);
	if (!tok)
		return berth__err_nomem();
	const char *p = ptr + 1;
	int r = 0;
	for (;;) {
		size_t k = 0;
		for (; *p && *p != '/'; p++) {
			if (*p == '~') {
				if (p[1] == '0')
					tok[k++] = '~';
				else if (p[1] == '1')
					tok[k++] = '/';
				else {
					r = berth__err(BERTH_EINVAL, "JSON pointer '%s': '~' must be followed by 0 or 1", ptr);
					goto out;
				}
				p++;
			} else {
				tok[k++] = *p;
			}
		}
		tok[k] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, tok, k);
		} else if (json_is_array(cur)) {
			int digits = k > 0 && (k == 1 || tok[0] != '0');
			for (size_t i = 0; i < k && digits; i++)
				digits = isdigit((unsigned char)tok[i]);
			if (!digits) {
				if (strcmp(tok, "-") != 0) {
					r = berth__err(BERTH_EINVAL, "JSON pointer '%s': '%s' is not an array index", ptr, tok);
					goto out;
				}
				cur = NULL;
			} else {
				errno = 0;
				unsigned long long idx = strtoull(tok, NULL, 10);
				cur = errno ? NULL : json_array_get(cur, (size_t)idx);
			}
		} else {
			cur = NULL;
		}
		if (!cur) {
			r = berth__err(BERTH_ENOTFOUND, "spec %s: not found", ptr);
			goto out;
		}
		if (!*p)
			break;
		p++; /* past '/' */
	}
	*out = cur;
out:
	free(tok);
	return r;
}

BERTH_EXTERN int berth_spec_get(char **out, const berth_spec *spec, const char *json_pointer_str)
{
	int r;
	if (!out)
		return berth__err(BERTH_EINVAL, "spec get: NULL argument");
	if ((r = check_spec(spec, "spec get")) < 0)
		return r;
	if (!json_pointer_str)
		return berth__err(BERTH_EINVAL, "spec get: NULL JSON pointer");
	const json_t *v = NULL;
	if ((r = json_pointer(&v, spec->root, json_pointer_str)) < 0)
		return r;
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s)
		return berth__err_nomem();
	*out = s;
	return ok();
}
