/* SPDX-License-Identifier: LGPL-2.1-or-later
 * RUN: the step's container (user, shell, overlay) and its layer. */
#include "build/build_priv.h"

/* The shell: config Shell, else /bin/sh -c. */
int berth__bd_shell_argv(json_t *argv, stage *s)
{
	json_t *sh = json_object_get(berth__bd_cfg_obj(s), "Shell");
	if (json_array_size(sh)) {
		size_t i;
		json_t *e;
		json_array_foreach(sh, i, e) json_array_append(argv, e);
	} else {
		json_array_append_new(argv, json_string("/bin/sh"));
		json_array_append_new(argv, json_string("-c"));
	}
	return 0;
}

/* Removes the mount points the runtime made (proc, sys, dev) when they are
 * empty directories of the upper dir that the stage did not have. */
static void drop_mountpoints(stage *s, const char *upper)
{
	static const char *const mp[] = { "proc", "sys", "dev" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(mp); i++) {
		int had = 0;
		for (size_t k = 0; k < s->ndirs && !had; k++) {
			char p[4200];
			snprintf(p, sizeof p, "%s/%s", s->dirs[k], mp[i]);
			had = access(p, F_OK) == 0;
		}
		if (had)
			continue;
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", upper, mp[i]);
		rmdir(p); /* only when empty */
	}
}

/* The step's command: the JSON form as given, else the shell with the
 * command (or its heredoc script). NULL (error set) without memory. */
static json_t *run_argv(stage *s, const bd_instr *in)
{
	json_t *argv = json_array();
	if (!argv) {
		berth__err_nomem();
		return NULL;
	}
	if (in->json) {
		for (size_t i = 0; i < in->nargs; i++)
			json_array_append_new(argv, json_string(in->args[i]));
	} else {
		berth__bd_shell_argv(argv, s);
		if (in->heredoc && in->heredoc_bare)
			json_array_append_new(argv, json_string(in->heredoc));
		else if (in->heredoc) {
			char *script = berth__sprintf("%s\n%s%s\n", in->rest, in->heredoc, in->heredoc_name);
			if (!script) {
				json_decref(argv);
				return NULL;
			}
			json_array_append_new(argv, json_string(script));
			free(script);
		} else
			json_array_append_new(argv, json_string(in->rest));
	}
	return argv;
}

/* Passes the step's output (fd) to the build's output callback until its
 * end; a cancel request kills the step (*cancelled set). */
static int pump_output(bctx *b, berth_container *c, int fd, int *cancelled)
{
	char buf[8192];
	for (;;) {
		if (!*cancelled && berth__bd_cancelled(b)) {
			*cancelled = 1;
			berth_container_kill(c, SIGKILL, 1);
		}
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int pr = poll(&pf, 1, b->o->cancel ? 100 : -1);
		if (pr < 0 && errno != EINTR)
			return berth__err_sys(errno, "%s: poll", b->what);
		if (pr <= 0)
			continue;
		ssize_t k = read(fd, buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		berth__bd_output(b, BERTH_BUILD_OUTPUT, buf, (size_t)k);
	}
}

int berth__bd_do_run(bctx *b, stage *s, const bd_instr *in)
{
	const char *net = berth__bd_flag_value(in, "network");
	if (net && strcmp(net, "none") && strcmp(net, "default"))
		return berth__err(BERTH_EUNSUPPORTED, "%s:%d: RUN --network=%s: only none (the default) is supported",
		                  b->dfname, in->line, net);
	if (berth__bd_flag_value(in, "mount") || berth__bd_flag_value(in, "security"))
		return berth__err(BERTH_EUNSUPPORTED, "%s:%d: RUN --mount and --security are not supported", b->dfname,
		                  in->line);
	json_t *argv = run_argv(s, in);
	if (!argv)
		return BERTH_ENOMEM;
	/* the environment: Env, then the build arguments in scope */
	json_t *env = json_deep_copy(json_object_get(berth__bd_cfg_obj(s), "Env"));
	if (!env)
		env = json_array();
	const char *k;
	json_t *v;
	char *argtxt = berth__strdup("");
	json_object_foreach(s->args, k, v) {
		if (!json_is_string(v))
			continue;
		if (!berth__bd_env_get(env, k, strlen(k)))
			berth__bd_env_set(env, k, json_string_value(v));
		char *n = berth__sprintf("%s|%s=%s", argtxt ? argtxt : "", k, json_string_value(v));
		free(argtxt);
		argtxt = n;
	}
	if (!berth__bd_env_get(env, "PATH", 4))
		json_array_append_new(env, json_string(DEFAULT_PATH));
	/* the key: parent, command, args in scope, user, workdir */
	char *argvtxt = json_dumps(argv, JSON_COMPACT);
	const char *wd = json_string_value(json_object_get(berth__bd_cfg_obj(s), "WorkingDir"));
	const char *user = json_string_value(json_object_get(berth__bd_cfg_obj(s), "User"));
	char *extra = berth__sprintf("%s|wd=%s|user=%s|env=%s", argtxt ? argtxt : "", wd ? wd : "", user ? user : "", "");
	char *envtxt = json_dumps(json_object_get(berth__bd_cfg_obj(s), "Env"), JSON_COMPACT);
	char key[65];
	char *norm = berth__sprintf("RUN %s %s", argvtxt ? argvtxt : "", envtxt ? envtxt : "");
	free(argtxt);
	free(envtxt);
	int r = 0;
	berth_spec *spec = NULL;
	berth_container *c = NULL;
	int pfd[2] = { -1, -1 };
	char dir[4200], upper[4200], work[4200];
	dir[0] = '\0';
	if (!argvtxt || !extra || !norm) {
		r = berth__err_nomem();
		goto out;
	}
	berth__bd_sha_hex(key, s->key, norm, extra);
	if ((r = berth__bd_use_cache(b, s, in, key, NULL)) != 0) {
		r = r < 0 ? r : 0;
		goto out;
	}
	snprintf(b->what, sizeof b->what, "%s:%d: %.200s", b->dfname, in->line, in->text);
	if ((r = berth__bd_step_dirs(b, dir, upper, work, sizeof dir)) < 0)
		goto out;
	/* the step's root: an overlay of the stage's layers (none: an empty
	 * dir) with the step's upper dir, given to the runtime as such */
	char empty[4300];
	snprintf(empty, sizeof empty, "%s/empty", b->tmp);
	char *const one[1] = { empty };
	static const char *const ovopts[] = BD_OVERLAY_OPTV;
	berth__create_params cp = { .overlay_lower = s->ndirs ? s->dirs : one, .n_overlay_lower = s->ndirs ? s->ndirs : 1,
		                    .overlay_upper = upper, .overlay_work = work, .overlay_options = ovopts };
	if ((r = berth_spec_new(&spec)) < 0)
		goto out;
	size_t n = json_array_size(argv), i;
	const char **av = calloc(n + 1, sizeof *av), **ev = calloc(json_array_size(env) + 1, sizeof *ev);
	if (!av || !ev) {
		free(av);
		free(ev);
		r = berth__err_nomem();
		goto out;
	}
	json_t *e;
	json_array_foreach(argv, i, e) av[i] = json_string_value(e);
	json_array_foreach(env, i, e) ev[i] = json_string_value(e);
	r = berth_spec_set_args(spec, av);
	if (r == 0)
		r = berth_spec_set_env(spec, ev);
	free(av);
	free(ev);
	if (r == 0)
		r = berth_spec_set_cwd(spec, wd && *wd ? wd : "/");
	if (r == 0 && user && *user && (r = berth_spec_set_user_name(spec, (const char *const *)s->dirs, user)) < 0)
		berth__err_prefix("%s: USER", b->what);
	if (r == 0)
		r = berth_spec_set_rootfs(spec, "rootfs", 0);
	if (r < 0)
		goto out;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = berth__err_sys(errno, "%s: pipe", b->what);
		goto out;
	}
	berth_create_options co = BERTH_CREATE_OPTIONS_INIT;
	co.flags = BERTH__CREATE_DIE_WITH_OWNER; /* a killed build takes its step with it */
	co.stdout_fd = pfd[1];
	co.stderr_fd = pfd[1];
	if ((r = BERTH_FAULT("build.run")) < 0 || (r = berth__container_run(&c, b->ctx, spec, &co, &cp)) < 0) {
		berth__err_prefix("%s", b->what);
		goto out;
	}
	close(pfd[1]);
	pfd[1] = -1;
	int cancelled = 0;
	if ((r = pump_output(b, c, pfd[0], &cancelled)) < 0)
		goto out;
	int code = -1, sig = 0;
	r = berth_container_wait(&code, &sig, c, -1);
	berth__err_saved sv;
	berth__err_save(&sv);
	if (berth_container_delete(c, BERTH_DELETE_FORCE) == 0) {
		berth_container_free(c);
		c = NULL;
	} else if (r == 0) {
		/* the step's container is not gone: the build fails (out: tries once more) */
		r = berth__err_prefix("%s: remove the step's container", b->what);
		goto out;
	}
	berth__err_restore(&sv);
	if (r < 0)
		goto out;
	b->res.steps_run++;
	if (cancelled) {
		r = berth__bd_cancel_error(b, b->what);
		goto out;
	}
	if (code != 0) {
		b->res.exit_code = code;
		r = berth__err(BERTH_ERROR, "%s: exit code %d%s", b->what, code, sig ? " (killed by a signal)" : "");
		goto out;
	}
	drop_mountpoints(s, upper);
	r = berth__bd_commit_step(b, s, in, key, dir, upper, NULL);
	dir[0] = '\0';
out:
	if (c) {
		berth__err_saved sv2;
		berth__err_save(&sv2);
		berth_container_delete(c, BERTH_DELETE_FORCE);
		berth_container_free(c);
		berth__err_restore(&sv2);
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	berth_spec_free(spec);
	if (dir[0]) {
		berth__err_saved sv3;
		berth__err_save(&sv3);
		berth__rm_rf(dir);
		berth__err_restore(&sv3);
	}
	json_decref(argv);
	json_decref(env);
	free(argvtxt);
	free(extra);
	free(norm);
	return r;
}
