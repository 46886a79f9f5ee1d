/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The root and mount setters of berth_spec: rootfs, mounts, binds, volumes
 * (docker's -v syntax). */
#include "spec_priv.h"
#include "volume/volume.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *berth__spec_mount_object(const char *dest, const char *type, const char *source, const char *const *opts)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (json_object_set_new(o, "destination", json_string(dest)) < 0 ||
	    json_object_set_new(o, "type", json_string(type)) < 0 ||
	    (source && json_object_set_new(o, "source", json_string(source)) < 0) ||
	    json_object_set_new(o, "options", berth__spec_strv_json(opts)) < 0) {
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

int berth__spec_same_dest(const char *a, const char *b)
{
	size_t la = dest_len(a), lb = dest_len(b);
	return la == lb && !memcmp(a, b, la);
}

/* ------------------------------------------------------ root and mounts */

BERTH_EXTERN int berth_spec_set_rootfs(berth_spec *spec, const char *path, int readonly)
{
	int r;
	json_t *root;
	if ((r = berth__spec_check(spec, "root.path")) < 0)
		return r;
	if (!path || !path[0])
		return berth__err(BERTH_EINVAL, "root.path: must not be empty");
	if ((r = berth__spec_child_obj(&root, spec->root, "root", "root", 1)) < 0 ||
	    (r = berth__spec_set_new(root, "path", json_string(path))) < 0 ||
	    (r = berth__spec_set_new(root, "readonly", json_boolean(readonly))) < 0)
		return r;
	return berth__spec_ok();
}

/* Puts mount m (stolen) in place of one at the same destination, or last.
 * A new /dev hides the default mounts below it, as in Docker. */
static int put_mount(berth_spec *spec, json_t *m)
{
	json_t *mounts;
	int r;
	if ((r = berth__spec_child_array(&mounts, spec->root, "mounts", "mounts", 1)) < 0) {
		json_decref(m);
		return r;
	}
	const char *dest = json_string_value(json_object_get(m, "destination"));
	int is_dev = berth__spec_same_dest(dest, "/dev");
	int placed = 0;
	for (size_t i = 0; i < json_array_size(mounts);) {
		const char *d = json_string_value(json_object_get(json_array_get(mounts, i), "destination"));
		if (d && berth__spec_same_dest(d, dest)) {
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
	if ((r = berth__spec_check(spec, "mount")) < 0)
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
	json_t *m = berth__spec_mount_object(destination, type, source ? source : type, options);
	if (!m)
		return berth__err_nomem();
	if ((r = put_mount(spec, m)) < 0)
		return r;
	return berth__spec_ok();
}

/* A mount of type "bind" (source a host path) or "volume" (source a volume
 * name, "" for an anonymous one: the runtime makes it a bind of the volume's
 * data at create, lib/volume). */
static int add_mount_opts(berth_spec *spec, const char *type, const char *source, const char *destination,
                          const char *const *opts)
{
	json_t *m = berth__spec_mount_object(destination, type, source, opts);
	if (!m)
		return berth__err_nomem();
	int r = put_mount(spec, m);
	if (r < 0)
		return r;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_add_bind(berth_spec *spec, const char *source, const char *destination, int readonly)
{
	int r;
	if ((r = berth__spec_check(spec, "volume")) < 0)
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
	if ((r = berth__spec_check(spec, "volume")) < 0)
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
	if ((r = berth__spec_check(spec, "volume")) < 0)
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
