/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_registry_login/logout: credentials checked against the registry
 * (GET /v2/ through its challenge) and kept where Docker keeps them:
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json, "auths": {registry:
 * {"auth": base64("user:pass")}}, mode 0600.
 */
#include "image/registry.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The auths key Docker uses for a registry. */
static const char *auth_key(const char *registry)
{
	if (!strcmp(registry, "docker.io") || !strcmp(registry, "index.docker.io") ||
	    !strcmp(registry, "registry-1.docker.io"))
		return "https://index.docker.io/v1/";
	return registry;
}

static int check_registry(const char *registry, const char *what)
{
	if (!registry || !*registry)
		return berth__err(BERTH_EINVAL, "%s: a registry is required", what);
	if (strlen(registry) > 250 || strpbrk(registry, "/ \t\r\n\"\\?#@"))
		return berth__err(BERTH_EINVAL, "%s: '%.100s' is not a registry host[:port]", what, registry);
	return 0;
}

/* The config file, loaded (an empty object when missing). */
static int load_config(json_t **out, char *path, size_t len, const char *what)
{
	if (berth__docker_config_path(path, len) < 0)
		return berth__err(BERTH_EINVAL, "%s: neither DOCKER_CONFIG nor HOME is set", what);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*out = json_object();
		return *out ? 0 : berth__err_nomem();
	}
	json_t *j = NULL;
	int r = berth__json_load_file(&j, path, what);
	if (r < 0)
		return r;
	if (!json_is_object(j)) {
		json_decref(j);
		return berth__err(BERTH_EINVAL, "%s: %s is not a JSON object", what, path);
	}
	*out = j;
	return 0;
}

static int save_config(json_t *cfg, const char *path, const char *what)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		int r = berth__mkdir_p(dir, 0700);
		if (r < 0)
			return berth__err_prefix("%s", what);
	}
	char *txt = berth__json_dump(cfg, 1);
	if (!txt)
		return BERTH_ENOMEM;
	int r = berth__write_file_atomic(path, txt, strlen(txt), 0600);
	explicit_bzero(txt, strlen(txt));
	free(txt);
	if (r == 0 && chmod(path, 0600) < 0)
		r = berth__err_sys(errno, "%s: chmod %s", what, path);
	return r < 0 ? berth__err_prefix("%s", what) : 0;
}

BERTH_EXTERN int berth_registry_login(berth_ctx *ctx, const char *registry, const char *username,
	const char *password, int tls_verify)
{
	char what[300];
	snprintf(what, sizeof what, "login %.250s", registry ? registry : "");
	int r = check_registry(registry, what);
	if (r < 0)
		return r;
	if (!username || !*username)
		return berth__err(BERTH_EINVAL, "%s: a username is required", what);
	if (strchr(username, ':'))
		return berth__err(BERTH_EINVAL, "%s: a username cannot contain ':'", what);
	berth__reg g;
	if ((r = berth__reg_init_host(&g, registry, tls_verify, username, password ? password : "", what)) < 0) {
		berth__reg_free(&g);
		return r;
	}
	g.ctx = ctx;
	if (berth__curl_error()) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: %s", what, berth__curl_error());
		goto out;
	}
	berth__reg_sink s = { .max = 1u << 16 };
	berth__reg_req q = { .url = "/v2/", .fd = -1 };
	r = berth__reg_do(&g, &q, &s);
	free(s.body);
	if (r < 0)
		goto out;
	if (s.status == 401 && !s.www_auth[0])
		r = berth__err(BERTH_EAUTH, "%s: registry %s answered 401 without a challenge", what, g.host);
	else if (s.status == 401)
		r = berth__err(BERTH_EAUTH, "%s: unauthorized (401) by registry %s: wrong username or password", what, g.host);
	else if (s.status < 200 || s.status >= 300)
		r = berth__reg_status_error(&g, &s, "GET /v2/", "", "registry");
	if (r < 0)
		goto out;
	/* the credentials work: keep them */
	char path[4096];
	json_t *cfg = NULL;
	if ((r = load_config(&cfg, path, sizeof path, what)) < 0)
		goto out;
	json_t *auths = json_object_get(cfg, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(cfg, "auths", auths);
	}
	json_t *entry = json_object();
	if (!entry || json_object_set_new(entry, "auth", json_string(g.basic)) < 0 ||
	    json_object_set_new(auths, auth_key(registry), entry) < 0)
		r = berth__err_nomem();
	else
		r = save_config(cfg, path, what);
	json_decref(cfg);
out:
	berth__reg_free(&g);
	if (r == 0)
		berth__err_ok();
	return r;
}

BERTH_EXTERN int berth_registry_logout(berth_ctx *ctx, const char *registry)
{
	(void)ctx;
	char what[300];
	snprintf(what, sizeof what, "logout %.250s", registry ? registry : "");
	int r = check_registry(registry, what);
	if (r < 0)
		return r;
	char path[4096];
	json_t *cfg = NULL;
	if ((r = load_config(&cfg, path, sizeof path, what)) < 0)
		return r;
	json_t *auths = json_object_get(cfg, "auths");
	const char *key = auth_key(registry);
	if (!json_object_get(auths, key))
		r = berth__err(BERTH_ENOTFOUND, "%s: not logged in (no entry in %s)", what, path);
	else {
		json_object_del(auths, key);
		r = save_config(cfg, path, what);
	}
	json_decref(cfg);
	if (r == 0)
		berth__err_ok();
	return r;
}
