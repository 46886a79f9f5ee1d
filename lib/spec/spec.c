/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_spec: an OCI runtime-spec config.json held as a jansson object, with
 * Docker's defaults; the handle, its JSON I/O and the helpers the setters share.
 * Setters: process.c, mounts.c, linux.c, security.c, annotations.c; reading:
 * pointer.c; validation: validate.c. */
#include "spec_priv.h"
#include "security/security.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define DEFAULT_NOFILE 1048576

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"TERM=xterm",
	NULL,
};

const char *const berth__spec_default_masked[] = {
	"/proc/asound",     "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
	"/proc/keys",       "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap",
	NULL,
};

const char *const berth__spec_default_readonly[] = {
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

json_t *berth__spec_strv_json(const char *const *v)
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

int berth__spec_set_new(json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		return berth__err_nomem();
	return 0;
}

/* The member key of parent, an object (array set: an array); created empty
 * when absent and create is set, else *out NULL. */
static int child(json_t **out, json_t *parent, const char *key, const char *field, int create, int array)
{
	json_t *o = json_object_get(parent, key);
	if (o) {
		if (array ? !json_is_array(o) : !json_is_object(o))
			return berth__err(BERTH_EINVAL, "%s: must be %s", field, array ? "an array" : "an object");
		*out = o;
		return 0;
	}
	if (!create) {
		*out = NULL;
		return 0;
	}
	o = array ? json_array() : json_object();
	if (!o || json_object_set_new(parent, key, o) < 0)
		return berth__err_nomem();
	*out = o;
	return 0;
}

int berth__spec_child_obj(json_t **out, json_t *parent, const char *key, const char *field, int create)
{
	return child(out, parent, key, field, create, 0);
}

int berth__spec_child_array(json_t **out, json_t *parent, const char *key, const char *field, int create)
{
	return child(out, parent, key, field, create, 1);
}

int berth__spec_put_typed(json_t *arr, json_t *e, const char *type, const char *(*canon)(const char *))
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		if (t && canon)
			t = canon(t);
		if (t && !strcmp(t, type))
			return json_array_set_new(arr, i, e) < 0 ? berth__err_nomem() : berth__spec_ok();
	}
	return json_array_append_new(arr, e) < 0 ? berth__err_nomem() : berth__spec_ok();
}

int berth__spec_check(const berth_spec *spec, const char *what)
{
	if (!spec || !json_is_object(spec->root))
		return berth__err(BERTH_EINVAL, "%s: NULL spec", what);
	return 0;
}

/* ------------------------------------------------------------- lifecycle */

static json_t *build_default(void)
{
	json_t *root = json_object(), *proc = json_object(), *user = json_object(), *lnx = json_object();
	json_t *caps = NULL, *rl = NULL, *mounts = json_array(), *nss = json_array(), *seccomp = NULL;
	if (!root || !proc || !user || !lnx || !mounts || !nss)
		goto nomem;

	uint64_t dmask;
	if (berth__spec_default_caps_mask(&dmask) < 0)
		goto fail;
	berth__capsets cs = { .bounding = dmask, .effective = dmask, .permitted = dmask };
	caps = berth__spec_caps_object(NULL, &cs);
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

	if (berth__spec_set_new(user, "uid", json_integer(0)) < 0 || berth__spec_set_new(user, "gid", json_integer(0)) < 0)
		goto fail;
	if (berth__spec_set_new(proc, "terminal", json_false()) < 0)
		goto fail;
	json_object_set_new(proc, "user", user);
	user = NULL;
	static const char *const args[] = { "sh", NULL };
	if (berth__spec_set_new(proc, "args", berth__spec_strv_json(args)) < 0 || berth__spec_set_new(proc, "env", berth__spec_strv_json(default_env)) < 0 ||
	    berth__spec_set_new(proc, "cwd", json_string("/")) < 0)
		goto fail;
	json_object_set_new(proc, "capabilities", caps);
	caps = NULL;
	json_object_set_new(proc, "rlimits", rl);
	rl = NULL;
	if (berth__spec_set_new(proc, "noNewPrivileges", json_true()) < 0)
		goto fail;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_mounts); i++) {
		const struct default_mount *m = &default_mounts[i];
		if (json_array_append_new(mounts, berth__spec_mount_object(m->destination, m->type, m->source, m->options)) < 0)
			goto nomem;
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_namespaces); i++) {
		json_t *ns = berth__spec_ns_object(default_namespaces[i], NULL);
		if (!ns || !json_object_get(ns, "type")) {
			json_decref(ns);
			goto nomem;
		}
		json_array_append_new(nss, ns);
	}
	json_object_set_new(lnx, "namespaces", nss);
	nss = NULL;
	if (berth__spec_set_new(lnx, "maskedPaths", berth__spec_strv_json(berth__spec_default_masked)) < 0 ||
	    berth__spec_set_new(lnx, "readonlyPaths", berth__spec_strv_json(berth__spec_default_readonly)) < 0)
		goto fail;
	json_object_set_new(lnx, "seccomp", seccomp);
	seccomp = NULL;

	if (berth__spec_set_new(root, "ociVersion", json_string("1.2.0")) < 0)
		goto fail;
	json_object_set_new(root, "process", proc);
	proc = NULL;
	json_t *rootfs = json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 0);
	if (berth__spec_set_new(root, "root", rootfs) < 0 || berth__spec_set_new(root, "hostname", json_string("berth")) < 0)
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
	return berth__spec_ok();
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

/* A spec from JSON text; what ("spec", "spec PATH") names it in errors:
 * an object, no io.berth.* annotation, berth's settings from its "berth"
 * object (spec/ext.h). */
static int from_text(berth_spec **out, const char *text, size_t len, const char *what)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		return berth__err(BERTH_EINVAL, "%s: malformed JSON at line %d column %d: %s", what, je.line, je.column,
		                  je.text);
	int r = check_top(j, what);
	if (r < 0) {
		json_decref(j);
		return r;
	}
	berth_spec *s = spec_wrap(j);
	if (!s)
		return BERTH_ENOMEM;
	if ((r = berth__spec_ext_take(&s->ext, s->root, what)) < 0) {
		berth_spec_free(s);
		return r;
	}
	*out = s;
	return berth__spec_ok();
}

/* The spec as config.json (with berth's "berth" object when set). */
static char *spec_dump(const berth_spec *spec)
{
	json_t *j = berth__spec_json_with_ext(spec->root, &spec->ext);
	char *s = j ? berth__json_dump(j, 1) : NULL;
	json_decref(j);
	return s;
}

BERTH_EXTERN int berth_spec_parse(berth_spec **out, const char *json, size_t len)
{
	if (!out || !json)
		return berth__err(BERTH_EINVAL, "parse spec: NULL argument");
	return from_text(out, json, len, "spec");
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
	char what[4200];
	snprintf(what, sizeof what, "spec %s", path);
	r = from_text(out, buf, len, what);
	free(buf);
	return r;
}

BERTH_EXTERN int berth_spec_to_json(char **out, const berth_spec *spec)
{
	int r;
	if (!out)
		return berth__err(BERTH_EINVAL, "serialise spec: NULL argument");
	if ((r = berth__spec_check(spec, "serialise spec")) < 0)
		return r;
	char *s = spec_dump(spec);
	if (!s)
		return BERTH_ENOMEM;
	*out = s;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_save(const berth_spec *spec, const char *path)
{
	int r;
	if ((r = berth__spec_check(spec, "save spec")) < 0)
		return r;
	if (!path || !path[0])
		return berth__err(BERTH_EINVAL, "save spec: no path");
	char *s = spec_dump(spec);
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
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_copy(berth_spec **out, const berth_spec *spec)
{
	int r;
	if (!out)
		return berth__err(BERTH_EINVAL, "copy spec: NULL argument");
	if ((r = berth__spec_check(spec, "copy spec")) < 0)
		return r;
	json_t *j = json_deep_copy(spec->root);
	if (!j)
		return berth__err_nomem();
	berth_spec *s = spec_wrap(j);
	if (!s)
		return BERTH_ENOMEM;
	s->caps_dropped = spec->caps_dropped;
	if (berth__spec_ext_copy(&s->ext, &spec->ext) < 0) {
		berth_spec_free(s);
		return BERTH_ENOMEM;
	}
	*out = s;
	return berth__spec_ok();
}

BERTH_EXTERN void berth_spec_free(berth_spec *spec)
{
	if (!spec)
		return;
	json_decref(spec->root);
	berth__spec_ext_clear(&spec->ext);
	free(spec);
}
