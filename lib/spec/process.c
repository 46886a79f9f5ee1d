/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The process setters of berth_spec: args, env, cwd, user, terminal, rlimits,
 * noNewPrivileges, oomScoreAdj. */
#include "spec_priv.h"
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- process */


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
	if ((r = berth__spec_check(spec, "process.args")) < 0)
		return r;
	if (!argv || !argv[0])
		return berth__err(BERTH_EINVAL, "process.args: must be a non-empty array");
	if (!argv[0][0])
		return berth__err(BERTH_EINVAL, "process.args[0]: must not be empty");
	if ((r = berth__spec_process_obj(&proc, spec)) < 0)
		return r;
	if ((r = berth__spec_set_new(proc, "args", berth__spec_strv_json(argv))) < 0)
		return r;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_env(berth_spec *spec, const char *const *envp)
{
	int r;
	json_t *proc;
	if ((r = berth__spec_check(spec, "process.env")) < 0)
		return r;
	for (size_t i = 0; envp && envp[i]; i++) {
		char f[64];
		snprintf(f, sizeof f, "process.env[%zu]", i);
		if ((r = check_env_entry(f, envp[i])) < 0)
			return r;
	}
	if ((r = berth__spec_process_obj(&proc, spec)) < 0)
		return r;
	if ((r = berth__spec_set_new(proc, "env", berth__spec_strv_json(envp))) < 0)
		return r;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_setenv(berth_spec *spec, const char *key_value)
{
	int r;
	json_t *proc, *env;
	if ((r = berth__spec_check(spec, "process.env")) < 0 || (r = check_env_entry("process.env", key_value)) < 0)
		return r;
	size_t klen = (size_t)(strchr(key_value, '=') - key_value) + 1; /* with '=' */
	if ((r = berth__spec_process_obj(&proc, spec)) < 0 || (r = berth__spec_child_array(&env, proc, "env", "process.env", 1)) < 0)
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
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_cwd(berth_spec *spec, const char *cwd)
{
	int r;
	json_t *proc;
	if ((r = berth__spec_check(spec, "process.cwd")) < 0)
		return r;
	if (!cwd || cwd[0] != '/')
		return berth__err(BERTH_EINVAL, "process.cwd: must be an absolute path ('%s')", cwd ? cwd : "(null)");
	if ((r = berth__spec_process_obj(&proc, spec)) < 0 || (r = berth__spec_set_new(proc, "cwd", json_string(cwd))) < 0)
		return r;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_user(berth_spec *spec, uint32_t uid, uint32_t gid, const uint32_t *additional_gids,
                                     size_t n_additional)
{
	int r;
	json_t *proc, *user;
	if ((r = berth__spec_check(spec, "process.user")) < 0)
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
	if ((r = berth__spec_process_obj(&proc, spec)) < 0 || (r = berth__spec_child_obj(&user, proc, "user", "process.user", 1)) < 0) {
		json_decref(gids);
		return r;
	}
	if ((r = berth__spec_set_new(user, "uid", json_integer(uid))) < 0 || (r = berth__spec_set_new(user, "gid", json_integer(gid))) < 0) {
		json_decref(gids);
		return r;
	}
	if (gids) {
		if ((r = berth__spec_set_new(user, "additionalGids", gids)) < 0)
			return r;
	} else {
		json_object_del(user, "additionalGids");
	}
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_user_name(berth_spec *spec, const char *const *root_dirs, const char *user)
{
	int r;
	if ((r = berth__spec_check(spec, "process.user")) < 0)
		return r;
	size_t n = 0;
	while (root_dirs && root_dirs[n])
		n++;
	uint32_t uid, gid;
	if (berth__user_resolve(&uid, &gid, (char *const *)root_dirs, n, user, 0) < 0)
		return berth__err_prefix("process.user");
	return berth_spec_set_user(spec, uid, gid, NULL, 0);
}

/* process.<key> = a JSON boolean (a singleton: nothing to release on failure). */
static int set_process_flag(berth_spec *spec, const char *field, const char *key, int on)
{
	int r;
	json_t *proc;
	if ((r = berth__spec_check(spec, field)) < 0 || (r = berth__spec_process_obj(&proc, spec)) < 0 ||
	    (r = berth__spec_set_new(proc, key, json_boolean(on))) < 0)
		return r;
	return berth__spec_ok();
}

BERTH_EXTERN int berth_spec_set_terminal(berth_spec *spec, int terminal)
{
	return set_process_flag(spec, "process.terminal", "terminal", terminal);
}

BERTH_EXTERN int berth_spec_set_rlimit(berth_spec *spec, const char *type, uint64_t soft, uint64_t hard)
{
	int r;
	json_t *proc, *rl;
	if ((r = berth__spec_check(spec, "process.rlimits")) < 0)
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
	if ((r = berth__spec_process_obj(&proc, spec)) < 0 || (r = berth__spec_child_array(&rl, proc, "rlimits", "process.rlimits", 1)) < 0) {
		json_decref(e);
		return r;
	}
	return berth__spec_put_typed(rl, e, canon, berth__spec_rlimit_canon);
}

BERTH_EXTERN int berth_spec_set_no_new_privileges(berth_spec *spec, int on)
{
	return set_process_flag(spec, "process.noNewPrivileges", "noNewPrivileges", on);
}

BERTH_EXTERN int berth_spec_set_oom_score_adj(berth_spec *spec, int adj)
{
	int r;
	json_t *proc;
	if ((r = berth__spec_check(spec, "process.oomScoreAdj")) < 0)
		return r;
	if (adj < -1000 || adj > 1000)
		return berth__err(BERTH_EINVAL, "process.oomScoreAdj: %d is out of range (-1000..1000)", adj);
	if ((r = berth__spec_process_obj(&proc, spec)) < 0 || (r = berth__spec_set_new(proc, "oomScoreAdj", json_integer(adj))) < 0)
		return r;
	return berth__spec_ok();
}
