/* SPDX-License-Identifier: LGPL-2.1-or-later
 * COPY, ADD and WORKDIR: filesystem steps in a private mount namespace (fsop.c). */
#include "build/build_priv.h"

char *berth__bd_abs_in_stage(stage *s, const char *p)
{
	if (p[0] == '/')
		return berth__bd_clean_path(p, 1);
	const char *wd = json_string_value(json_object_get(berth__bd_cfg_obj(s), "WorkingDir"));
	char *j = berth__sprintf("%s/%s", wd && *wd ? wd : "/", p);
	if (!j)
		return NULL;
	char *c = berth__bd_clean_path(j, 1);
	free(j);
	return c;
}

int berth__bd_do_copy(bctx *b, stage *s, size_t si, const bd_instr *in)
{
	int add = !strcmp(in->cmd, "ADD");
	snprintf(b->what, sizeof b->what, "%s:%d: %s", b->dfname, in->line, in->cmd);
	if (berth__bd_flag_value(in, "checksum") || berth__bd_flag_value(in, "keep-git-dir") || berth__bd_flag_value(in, "parents") ||
	    berth__bd_flag_value(in, "exclude"))
		return berth__err(BERTH_EUNSUPPORTED, "%s: --checksum, --keep-git-dir, --parents and --exclude are not supported",
		                  b->what);
	char **w = NULL;
	size_t n = 0;
	int r = berth__bd_instr_words(&w, &n, b, s, in, 1);
	if (r < 0)
		return r;
	if (n < 2) {
		free(w);
		return berth__err(BERTH_EINVAL, "%s requires at least two arguments", b->what);
	}
	const char *from = berth__bd_flag_value(in, "from");
	const char *chown = berth__bd_flag_value(in, "chown");
	const char *chmod_s = berth__bd_flag_value(in, "chmod");
	int chmod_v = -1;
	if (chmod_s) {
		char *end;
		long m = strtol(chmod_s, &end, 8);
		if (!*chmod_s || *end || m < 0 || m > 07777) {
			free(w);
			return berth__err(BERTH_EINVAL, "%s: --chmod=%s: expected an octal mode such as 0755", b->what, chmod_s);
		}
		chmod_v = (int)m;
	}
	char **srcs = calloc(n, sizeof *srcs);
	char *dest = NULL;
	char hdir[4300] = "";
	berth_image *img = NULL;
	char **idirs = NULL;
	char extra[200] = "", key[65], dir[4200] = "", upper[4200], work[4200];
	char *norm = NULL;
	if (!srcs) {
		free(w);
		return berth__err_nomem();
	}
	for (size_t i = 0; i + 1 < n; i++) {
		if (add && (!strncmp(w[i], "http://", 7) || !strncmp(w[i], "https://", 8) || !strncmp(w[i], "git@", 4))) {
			r = berth__err(BERTH_EUNSUPPORTED, "%s: %s: remote sources (URLs, git) are not supported", b->what, w[i]);
			goto out;
		}
		/* COPY <<EOF dest: the heredoc's body is a file named after its delimiter */
		const char *src = in->heredoc && !strncmp(w[i], "<<", 2) ? in->heredoc_name : w[i];
		if (!(srcs[i] = berth__bd_clean_path(src, 0))) {
			r = BERTH_ENOMEM;
			goto out;
		}
	}
	const char *d = w[n - 1];
	size_t dl = strlen(d);
	int dest_dir = dl && (d[dl - 1] == '/' || !strcmp(d, ".") || (dl >= 2 && !strcmp(d + dl - 2, "/.")));
	if (!(dest = berth__bd_abs_in_stage(s, d))) {
		r = BERTH_ENOMEM;
		goto out;
	}
	bd_fsop op = { .kind = add ? BD_ADD : BD_COPY, .lower = s->dirs, .nlower = s->ndirs, .srcs = srcs,
		       .nsrcs = n - 1, .dest = dest, .dest_dir = dest_dir, .chown = chown, .chmod = chmod_v,
		       .what = b->what };
	if (in->heredoc) {
		if (from) {
			r = berth__err(BERTH_EINVAL, "%s: a heredoc source cannot be combined with --from", b->what);
			goto out;
		}
		snprintf(hdir, sizeof hdir, "%s/heredoc-%d", b->tmp, in->line);
		char hp[4500];
		snprintf(hp, sizeof hp, "%s/%s", hdir, in->heredoc_name);
		if (mkdir(hdir, 0755) < 0 && errno != EEXIST) {
			r = berth__err_sys(errno, "%s: mkdir %s", b->what, hdir);
			hdir[0] = '\0';
			goto out;
		}
		if ((r = berth__write_file_atomic(hp, in->heredoc, strlen(in->heredoc), 0644)) < 0)
			goto out;
		chmod(hp, 0644);
		op.src_dir = hdir;
		char hex[65];
		berth__bd_sha_hex(hex, "heredoc", in->heredoc_name, in->heredoc);
		snprintf(extra, sizeof extra, "heredoc:%s", hex);
	} else if (from) {
		look l = { b, NULL };
		char **fw = NULL;
		if ((r = berth__bd_words(&fw, NULL, from, b->df.escape, 0, berth__bd_lookup, &l)) < 0)
			goto out;
		stage *src = berth__bd_find_stage(b, fw[0], si);
		if (src) {
			op.src_layers = src->dirs;
			op.nsrc_layers = src->ndirs;
			snprintf(extra, sizeof extra, "from-stage:%s", src->key);
		} else if ((r = berth__bd_open_image(&img, b, fw[0], 0, NULL)) < 0 || (r = berth_image_layer_dirs(&idirs, img)) < 0) {
			free(fw);
			berth__err_prefix("%s --from", b->what);
			goto out;
		} else {
			size_t k = 0;
			while (idirs[k])
				k++;
			op.src_layers = idirs;
			op.nsrc_layers = k;
			snprintf(extra, sizeof extra, "from-image:%s", berth_image_id(img));
		}
		free(fw);
		op.keep_owner = 1;
		if (!op.src_layers) {
			static char *none[] = { NULL };
			op.src_layers = none;
		}
	} else {
		if (!b->context) {
			r = berth__err(BERTH_EINVAL, "%s: no build context (the Dockerfile came from stdin)", b->what);
			goto out;
		}
		op.src_dir = b->context;
		op.ignore = &b->ig;
		char hex[65];
		if ((r = berth__bd_hash_sources(hex, b->context, &b->ig, srcs, n - 1, b->what)) < 0)
			goto out;
		snprintf(extra, sizeof extra, "context:%s", hex);
	}
	char *jw = NULL;
	{
		json_t *ja = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(ja, json_string(w[i]));
		jw = json_dumps(ja, JSON_COMPACT);
		json_decref(ja);
	}
	const char *wd = json_string_value(json_object_get(berth__bd_cfg_obj(s), "WorkingDir"));
	norm = berth__sprintf("%s %s chown=%s chmod=%s wd=%s", in->cmd, jw ? jw : "", chown ? chown : "",
	                      chmod_s ? chmod_s : "", wd ? wd : "");
	free(jw);
	if (!norm) {
		r = BERTH_ENOMEM;
		goto out;
	}
	berth__bd_sha_hex(key, s->key, norm, extra);
	if ((r = berth__bd_use_cache(b, s, in, key, NULL)) != 0) {
		r = r < 0 ? r : 0;
		goto out;
	}
	if ((r = berth__bd_step_dirs(b, dir, upper, work, sizeof dir)) < 0)
		goto out;
	op.upper = upper;
	op.work = work;
	op.tmp = dir;
	if ((r = berth__bd_fsop(&op)) < 0)
		goto out;
	/* the mount points of the child are in dir: only upper goes into the layer */
	r = berth__bd_commit_step(b, s, in, key, dir, upper, NULL);
	dir[0] = '\0';
out:
	if (dir[0] || hdir[0]) {
		berth__err_saved sv;
		berth__err_save(&sv);
		if (dir[0])
			berth__rm_rf(dir);
		if (hdir[0])
			berth__rm_rf(hdir);
		berth__err_restore(&sv);
	}
	for (size_t i = 0; i < n; i++)
		free(srcs[i]);
	free(srcs);
	free(w);
	free(dest);
	free(norm);
	free(idirs);
	berth_image_free(img);
	return r;
}

/* Does the directory path exist in the stage (top layer first)? */
static int stage_has_dir(stage *s, const char *path)
{
	for (size_t i = s->ndirs; i-- > 0;) {
		char p[4200];
		snprintf(p, sizeof p, "%s%s", s->dirs[i], path);
		struct stat st;
		if (lstat(p, &st) == 0)
			return S_ISDIR(st.st_mode);
	}
	return 0;
}

int berth__bd_do_workdir(bctx *b, stage *s, const bd_instr *in)
{
	char **w = NULL;
	int r = berth__bd_instr_words(&w, NULL, b, s, in, 0);
	if (r < 0)
		return r;
	char *p = berth__bd_abs_in_stage(s, w[0]);
	free(w);
	if (!p)
		return BERTH_ENOMEM;
	json_object_set_new(berth__bd_cfg_obj(s), "WorkingDir", json_string(p));
	if (!strcmp(p, "/") || stage_has_dir(s, p)) {
		char *norm = berth__sprintf("WORKDIR %s", p);
		r = norm ? berth__bd_meta_step(b, s, in, norm) : BERTH_ENOMEM;
		free(norm);
		free(p);
		return r;
	}
	/* made in a layer of its own */
	snprintf(b->what, sizeof b->what, "%s:%d: WORKDIR", b->dfname, in->line);
	char key[65], dir[4200], upper[4200], work[4200];
	char *norm = berth__sprintf("WORKDIR mkdir %s", p);
	if (!norm) {
		free(p);
		return BERTH_ENOMEM;
	}
	berth__bd_sha_hex(key, s->key, norm, NULL);
	free(norm);
	if ((r = berth__bd_use_cache(b, s, in, key, NULL)) != 0) {
		free(p);
		return r < 0 ? r : 0;
	}
	if ((r = berth__bd_step_dirs(b, dir, upper, work, sizeof dir)) == 0) {
		bd_fsop op = { .kind = BD_MKDIR, .lower = s->dirs, .nlower = s->ndirs, .dest = p, .chmod = -1,
			       .upper = upper, .work = work, .tmp = dir, .what = b->what };
		if ((r = berth__bd_fsop(&op)) == 0)
			r = berth__bd_commit_step(b, s, in, key, dir, upper, NULL);
		else
			berth__rm_rf_quiet(dir);
	}
	free(p);
	return r;
}
