/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A spec from an image's config, as `docker run IMAGE [CMD]` builds one. */
#include "internal.h"
#include "spec/ext.h"
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int signal_number(const char *s)
{
	static const struct { const char *n; int v; } sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "WINCH", SIGWINCH }, { "PWR", SIGPWR }, { "STOP", SIGSTOP },
	};
	if (berth__all_digits(s))
		return atoi(s);
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(sigs); i++)
		if (!strcmp(s, sigs[i].n))
			return sigs[i].v;
	return -1;
}

static int strv_from_json(const char ***out, const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	const char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return berth__err_nomem();
	json_t *e;
	json_array_foreach(arr, i, e)
		v[i] = json_string_value(e) ? json_string_value(e) : "";
	*out = v;
	return 0;
}

/* The keys of an ExposedPorts object, sorted (NULL when none). */
static int exposed_ports(char ***out, const json_t *ports)
{
	*out = NULL;
	size_t n = json_object_size(ports), i = 0;
	if (!json_is_object(ports) || !n)
		return 0;
	const char **keys = calloc(n, sizeof *keys);
	const char *k;
	json_t *v;
	if (!keys)
		return berth__err_nomem();
	json_object_foreach((json_t *)ports, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, cmp_str);
	*out = berth__strv_pack((char *const *)keys, n);
	free(keys);
	return *out ? 0 : BERTH_ENOMEM;
}

BERTH_EXTERN int berth_spec_set_image(berth_spec *spec, berth_image *img, const char *entrypoint,
                                      const char *const *cmd)
{
	if (!spec || !img)
		return berth__err(BERTH_EINVAL, "set image: spec and image are required");
	const char *id = berth_image_id(img);
	char what[128];
	snprintf(what, sizeof what, "image %.19s", id);
	char *cfgs = NULL;
	int r = berth_image_config(&cfgs, img);
	if (r < 0)
		return r;
	json_t *cfg = json_loads(cfgs, 0, NULL);
	free(cfgs);
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return berth__err(BERTH_EINVAL, "%s: its config is not a JSON object", what);
	}
	/* the command: entrypoint + cmd */
	json_t *ep = json_object_get(cfg, "Entrypoint"), *icmd = json_object_get(cfg, "Cmd");
	size_t cap = 8 + json_array_size(ep) + json_array_size(icmd);
	for (const char *const *c = cmd; c && *c; c++)
		cap++;
	const char **argv = calloc(cap, sizeof *argv);
	char **dirs = NULL;
	if (!argv) {
		json_decref(cfg);
		return berth__err_nomem();
	}
	size_t n = 0, i;
	json_t *e;
	if (entrypoint) {
		if (*entrypoint)
			argv[n++] = entrypoint;
	} else
		json_array_foreach(ep, i, e) argv[n++] = json_string_value(e) ? json_string_value(e) : "";
	if (cmd && cmd[0])
		for (const char *const *c = cmd; *c; c++)
			argv[n++] = *c;
	else if (!entrypoint)
		json_array_foreach(icmd, i, e) argv[n++] = json_string_value(e) ? json_string_value(e) : "";
	if (n == 0) {
		r = berth__err(BERTH_EINVAL, "%s: no command: the image has no Entrypoint or Cmd and none was given", what);
		goto out;
	}
	if ((r = berth_spec_set_args(spec, argv)) < 0)
		goto out;
	/* environment, working directory, user, stop signal */
	const char **env = NULL;
	if (json_array_size(json_object_get(cfg, "Env"))) {
		if ((r = strv_from_json(&env, json_object_get(cfg, "Env"))) < 0)
			goto out;
		r = berth_spec_set_env(spec, env);
		free(env);
		if (r < 0)
			goto out;
	}
	const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
	if ((r = berth_spec_set_cwd(spec, wd && *wd ? wd : "/")) < 0)
		goto out;
	const char *user = json_string_value(json_object_get(cfg, "User"));
	if (user && *user) {
		if ((r = berth_image_layer_dirs(&dirs, img)) < 0 || (r = berth_spec_set_user_name(spec, (const char *const *)dirs, user)) < 0) {
			berth__err_prefix("%s", what);
			goto out;
		}
	}
	const char *ss = json_string_value(json_object_get(cfg, "StopSignal"));
	int sig = 0;
	if (ss && *ss && ((sig = signal_number(ss)) <= 0 || sig > 64)) {
		r = berth__err(BERTH_EINVAL, "%s: StopSignal '%s': unknown signal", what, ss);
		goto out;
	}
	/* the image's VOLUMEs: anonymous volumes (a later -v or bind on the same
	 * destination replaces one, as in docker) */
	const char *vk;
	json_t *vv;
	json_object_foreach(json_object_get(cfg, "Volumes"), vk, vv) {
		char dst[4096];
		size_t l = strlen(vk);
		if (l >= sizeof dst || vk[0] != '/') {
			r = berth__err(BERTH_EINVAL, "%s: config.Volumes '%.200s': not an absolute path", what, vk);
			goto out;
		}
		memcpy(dst, vk, l + 1);
		while (l > 1 && dst[l - 1] == '/')
			dst[--l] = '\0';
		if ((r = berth_spec_add_volume(spec, NULL, dst, 0)) < 0) {
			berth__err_prefix("%s: config.Volumes", what);
			goto out;
		}
	}
	/* ExposedPorts, for inspect (and -P): "27017/tcp", "53/udp", sorted */
	char **exposed = NULL;
	if ((r = exposed_ports(&exposed, json_object_get(cfg, "ExposedPorts"))) < 0)
		goto out;
	/* the root filesystem: the image's layers (the runtime mounts them) */
	if ((r = berth_spec_set_rootfs(spec, "rootfs", 0)) < 0 || (r = berth__spec_ext_set_str(&spec->ext.image, id)) < 0) {
		free(exposed);
		goto out;
	}
	free(spec->ext.exposed);
	spec->ext.exposed = exposed;
	spec->ext.stop_signal = sig;
	berth__err_ok();
out:
	free(dirs);
	free(argv);
	json_decref(cfg);
	return r;
}
