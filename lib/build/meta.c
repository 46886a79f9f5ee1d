/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The metadata instructions (ENV, LABEL, CMD, ENTRYPOINT, EXPOSE, USER,
 * VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER) and ARG. */
#include "build/build_priv.h"

static int kv_pairs(bctx *b, stage *s, const bd_instr *in, json_t *dst_obj, json_t *dst_env)
{
	char **w = NULL;
	size_t n = 0;
	int r = berth__bd_instr_words(&w, &n, b, s, in, 1);
	if (r < 0)
		return r;
	if (n >= 1 && !strchr(w[0], '=')) {
		/* legacy "ENV key value with spaces" */
		if (!strcmp(in->cmd, "LABEL") || n < 2) {
			free(w);
			return berth__err(BERTH_EINVAL, "%s:%d: %s %s: expected NAME=VALUE (or, for ENV, NAME VALUE)", b->dfname,
			                  in->line, in->cmd, in->rest);
		}
		const char *p = in->rest;
		while (*p && !isspace((unsigned char)*p))
			p++;
		while (isspace((unsigned char)*p))
			p++;
		char **v = NULL;
		look l = { b, s };
		if ((r = berth__bd_words(&v, NULL, p, b->df.escape, 0, berth__bd_lookup, &l)) < 0) {
			free(w);
			return berth__err_prefix("%s:%d: %s", b->dfname, in->line, in->cmd);
		}
		r = dst_env ? berth__bd_env_set(dst_env, w[0], v[0]) : json_object_set_new(dst_obj, w[0], json_string(v[0]));
		free(v);
		free(w);
		return r;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (!eq) {
			r = berth__err(BERTH_EINVAL, "%s:%d: %s: can't find = in \"%s\": must be of the form name=value",
			               b->dfname, in->line, in->cmd, w[i]);
			break;
		}
		*eq = '\0';
		if (!*w[i]) {
			r = berth__err(BERTH_EINVAL, "%s:%d: %s names can not be blank", b->dfname, in->line, in->cmd);
			break;
		}
		r = dst_env ? berth__bd_env_set(dst_env, w[i], eq + 1) : json_object_set_new(dst_obj, w[i], json_string(eq + 1));
	}
	free(w);
	return r;
}

static int cmd_array(json_t **out, bctx *b, stage *s, const bd_instr *in)
{
	json_t *a = json_array();
	if (!a)
		return berth__err_nomem();
	if (in->json) {
		for (size_t i = 0; i < in->nargs; i++)
			json_array_append_new(a, json_string(in->args[i]));
	} else {
		berth__bd_shell_argv(a, s);
		json_array_append_new(a, json_string(in->rest));
	}
	(void)b;
	*out = a;
	return 0;
}

static int parse_duration_ns(json_int_t *out, const char *s)
{
	/* "30s", "1m30s", "500ms", "1h" */
	double total = 0;
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		double mul;
		if (!strncmp(p, "ms", 2)) {
			mul = 1e6;
			p += 2;
		} else if (!strncmp(p, "us", 2)) {
			mul = 1e3;
			p += 2;
		} else if (!strncmp(p, "ns", 2)) {
			mul = 1;
			p += 2;
		} else if (*p == 's') {
			mul = 1e9;
			p++;
		} else if (*p == 'm') {
			mul = 60e9;
			p++;
		} else if (*p == 'h') {
			mul = 3600e9;
			p++;
		} else
			return -1;
		total += v * mul;
	}
	*out = (json_int_t)total;
	return 0;
}

int berth__bd_do_meta(bctx *b, stage *s, const bd_instr *in)
{
	json_t *c = berth__bd_cfg_obj(s);
	const char *cmd = in->cmd;
	int r = 0;
	char **w = NULL;
	size_t n = 0;
	char *norm = NULL;
	if (!strcmp(cmd, "ENV")) {
		json_t *env = json_object_get(c, "Env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(c, "Env", env);
		}
		r = kv_pairs(b, s, in, NULL, env);
		char *t = json_dumps(env, JSON_COMPACT);
		norm = berth__sprintf("ENV %s", t ? t : "");
		free(t);
	} else if (!strcmp(cmd, "LABEL")) {
		json_t *l = json_object_get(c, "Labels");
		if (!json_is_object(l)) {
			l = json_object();
			json_object_set_new(c, "Labels", l);
		}
		r = kv_pairs(b, s, in, l, NULL);
		char *t = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);
		norm = berth__sprintf("LABEL %s", t ? t : "");
		free(t);
	} else if (!strcmp(cmd, "EXPOSE")) {
		if ((r = berth__bd_instr_words(&w, &n, b, s, in, 1)) < 0)
			return r;
		json_t *ep = json_object_get(c, "ExposedPorts");
		if (!json_is_object(ep)) {
			ep = json_object();
			json_object_set_new(c, "ExposedPorts", ep);
		}
		for (size_t i = 0; r == 0 && i < n; i++) {
			char port[64];
			char *slash = strchr(w[i], '/');
			char *end;
			long lo = strtol(w[i], &end, 10), hi = lo;
			if (*end == '-')
				hi = strtol(end + 1, &end, 10);
			const char *proto = slash ? slash + 1 : "tcp";
			if (end != (slash ? slash : w[i] + strlen(w[i])) || lo < 1 || hi > 65535 || hi < lo ||
			    (strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") && strcasecmp(proto, "sctp"))) {
				r = berth__err(BERTH_EINVAL, "%s:%d: EXPOSE %s: invalid port (expected PORT[/tcp|udp|sctp])",
				               b->dfname, in->line, w[i]);
				break;
			}
			for (long p = lo; p <= hi && p - lo < 65536; p++) {
				snprintf(port, sizeof port, "%ld/%s", p, proto);
				for (char *q = port; *q; q++)
					*q = (char)tolower((unsigned char)*q);
				json_object_set_new(ep, port, json_object());
			}
		}
		norm = berth__sprintf("EXPOSE %s", in->rest);
	} else if (!strcmp(cmd, "VOLUME")) {
		if ((r = berth__bd_instr_words(&w, &n, b, s, in, 1)) < 0)
			return r;
		json_t *vo = json_object_get(c, "Volumes");
		if (!json_is_object(vo)) {
			vo = json_object();
			json_object_set_new(c, "Volumes", vo);
		}
		for (size_t i = 0; i < n; i++) {
			if (!*w[i])
				continue;
			char *p = berth__bd_abs_in_stage(s, w[i]);
			if (p)
				json_object_set_new(vo, p, json_object());
			free(p);
		}
		norm = berth__sprintf("VOLUME %s", in->rest);
	} else if (!strcmp(cmd, "CMD") || !strcmp(cmd, "ENTRYPOINT")) {
		json_t *a = NULL;
		if ((r = cmd_array(&a, b, s, in)) < 0)
			return r;
		if (!strcmp(cmd, "CMD")) {
			json_object_set_new(c, "Cmd", a);
			s->cmd_set = 1;
		} else {
			json_object_set_new(c, "Entrypoint", a);
			if (!s->cmd_set)
				json_object_del(c, "Cmd");
		}
		char *t = json_dumps(a, JSON_COMPACT);
		norm = berth__sprintf("%s %s", cmd, t ? t : "");
		free(t);
	} else if (!strcmp(cmd, "USER") || !strcmp(cmd, "STOPSIGNAL")) {
		if ((r = berth__bd_instr_words(&w, &n, b, s, in, 0)) < 0)
			return r;
		json_object_set_new(c, !strcmp(cmd, "USER") ? "User" : "StopSignal", json_string(w[0]));
		norm = berth__sprintf("%s %s", cmd, w[0]);
	} else if (!strcmp(cmd, "SHELL")) {
		json_t *a = json_array();
		for (size_t i = 0; i < in->nargs; i++)
			json_array_append_new(a, json_string(in->args[i]));
		json_object_set_new(c, "Shell", a);
		norm = berth__sprintf("SHELL %s", in->rest);
	} else if (!strcmp(cmd, "MAINTAINER")) {
		if ((r = berth__bd_instr_words(&w, &n, b, s, in, 0)) < 0)
			return r;
		json_object_set_new(s->cfg, "author", json_string(w[0]));
		norm = berth__sprintf("MAINTAINER %s", w[0]);
	} else if (!strcmp(cmd, "ONBUILD")) {
		json_t *ob = json_object_get(c, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(c, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(in->rest));
		norm = berth__sprintf("ONBUILD %s", in->rest);
	} else if (!strcmp(cmd, "HEALTHCHECK")) {
		const char *p = in->rest;
		json_t *hc = json_object();
		if (!strncasecmp(p, "NONE", 4) && (!p[4] || isspace((unsigned char)p[4]))) {
			json_object_set_new(hc, "Test", json_pack("[s]", "NONE"));
		} else if (!strncasecmp(p, "CMD", 3) && isspace((unsigned char)p[3])) {
			p += 3;
			while (isspace((unsigned char)*p))
				p++;
			json_t *t = json_array();
			json_t *j = *p == '[' ? json_loads(p, 0, NULL) : NULL;
			if (json_is_array(j)) {
				json_array_append_new(t, json_string("CMD"));
				size_t i;
				json_t *e;
				json_array_foreach(j, i, e) json_array_append(t, e);
			} else {
				json_array_append_new(t, json_string("CMD-SHELL"));
				json_array_append_new(t, json_string(p));
			}
			json_decref(j);
			json_object_set_new(hc, "Test", t);
			static const char *const fl[][2] = { { "interval", "Interval" }, { "timeout", "Timeout" },
				{ "start-period", "StartPeriod" }, { "start-interval", "StartInterval" } };
			for (size_t i = 0; r == 0 && i < BERTH_ARRAY_SIZE(fl); i++) {
				const char *v = berth__bd_flag_value(in, fl[i][0]);
				json_int_t ns;
				if (!v)
					continue;
				if (parse_duration_ns(&ns, v) < 0)
					r = berth__err(BERTH_EINVAL, "%s:%d: HEALTHCHECK --%s=%s: not a duration (30s, 1m30s, 500ms)",
					               b->dfname, in->line, fl[i][0], v);
				else
					json_object_set_new(hc, fl[i][1], json_integer(ns));
			}
			const char *rv = berth__bd_flag_value(in, "retries");
			if (r == 0 && rv) {
				char *end;
				long n2 = strtol(rv, &end, 10);
				if (!*rv || *end || n2 < 0)
					r = berth__err(BERTH_EINVAL, "%s:%d: HEALTHCHECK --retries=%s: not a number", b->dfname, in->line,
					               rv);
				else
					json_object_set_new(hc, "Retries", json_integer(n2));
			}
		} else {
			r = berth__err(BERTH_EINVAL, "%s:%d: HEALTHCHECK: expected NONE or CMD ...", b->dfname, in->line);
		}
		if (r == 0)
			json_object_set_new(c, "Healthcheck", hc);
		else
			json_decref(hc);
		char *t = json_dumps(hc, JSON_COMPACT | JSON_SORT_KEYS);
		norm = berth__sprintf("HEALTHCHECK %s", r == 0 && t ? t : "");
		free(t);
	}
	free(w);
	if (r == 0 && !norm)
		r = BERTH_ENOMEM;
	if (r == 0)
		r = berth__bd_meta_step(b, s, in, norm);
	free(norm);
	return r;
}

int berth__bd_do_arg(bctx *b, stage *s, const bd_instr *in)
{
	look l = { b, s };
	char **w = NULL;
	int r = berth__bd_words(&w, NULL, in->rest, b->df.escape, 0, berth__bd_lookup, &l);
	if (r < 0)
		return berth__err_prefix("%s:%d: ARG", b->dfname, in->line);
	char *name = w[0];
	char *eq = strchr(name, '=');
	const char *dflt = NULL;
	if (eq) {
		*eq = '\0';
		dflt = eq + 1;
	}
	if (!*name) {
		free(w);
		return berth__err(BERTH_EINVAL, "%s:%d: ARG names can not be blank", b->dfname, in->line);
	}
	json_t *given = json_object_get(b->build_args, name);
	json_t *val;
	if (given)
		val = json_incref(given);
	else if (dflt)
		val = json_string(dflt);
	else if (s && json_is_string(json_object_get(b->global_args, name)))
		val = json_incref(json_object_get(b->global_args, name));
	else
		val = json_null();
	json_object_set_new(b->used_args, name, json_true());
	json_object_set_new(s ? s->args : b->global_args, name, val);
	int rr = 0;
	if (s) {
		char *norm = berth__sprintf("ARG %s=%s", name, json_is_string(val) ? json_string_value(val) : "(unset)");
		/* an ARG leaves no history of its own in Docker's images; it keys the later steps */
		if (norm) {
			char key[65];
			berth__bd_sha_hex(key, s->key, norm, NULL);
			memcpy(s->key, key, 65);
		} else
			rr = BERTH_ENOMEM;
		free(norm);
	}
	free(w);
	return rr;
}
