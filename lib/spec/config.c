/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The typed configuration's memory: one arena per config, freed at once
 * with the reference to the spec JSON its strings come from. The parser
 * that fills it is the validator (validate.c). */
#include "spec/config.h"
#include "spec/spec_priv.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

berth__config *berth__config_new(json_t *spec)
{
	berth__config *c = calloc(1, sizeof *c);
	if (!c) {
		berth__err_nomem();
		return NULL;
	}
	c->json = json_incref(spec);
	c->process.umask = -1;
	return c;
}

void *berth__config_alloc(berth__config *cfg, size_t n) { return berth__arena_alloc(&cfg->arena, n); }

const char *const *berth__config_strv(berth__config *cfg, const json_t *arr, size_t *n)
{
	size_t cnt = json_array_size(arr), i;
	const char **v = berth__config_alloc(cfg, (cnt + 1) * sizeof *v);
	if (!v)
		return NULL;
	json_t *e;
	json_array_foreach(arr, i, e)
		v[i] = json_string_value(e);
	*n = cnt;
	return v;
}

void berth__config_free(berth__config *cfg)
{
	if (!cfg)
		return;
	berth__arena_free(&cfg->arena);
	json_decref(cfg->json);
	json_decref(cfg->rewritten);
	berth__spec_ext_clear(&cfg->ext);
	free(cfg);
}

static const struct { const char *name; int res; } rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_STACK", RLIMIT_STACK },   { "RLIMIT_CORE", RLIMIT_CORE },     { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_LOCKS", RLIMIT_LOCKS },   { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int berth__config_rlimit_resource(const char *canon)
{
	for (size_t i = 0; canon && i < BERTH_ARRAY_SIZE(rlimit_names); i++)
		if (!strcmp(canon, rlimit_names[i].name))
			return rlimit_names[i].res;
	return -1;
}

const char *berth__spec_rlimit_canon(const char *name)
{
	if (!name)
		return NULL;
	const char *n = name;
	if (!strncasecmp(n, "RLIMIT_", 7))
		n += 7;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(rlimit_names); i++)
		if (!strcasecmp(n, rlimit_names[i].name + 7))
			return rlimit_names[i].name;
	return NULL;
}
