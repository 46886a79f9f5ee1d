/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The builder's state helpers: progress events, a stage's config, ARG/ENV
 * lookup and variable substitution of an instruction's words. */
#include "build/build_priv.h"

void berth__bd_output(bctx *b, int ev, const char *text, size_t len)
{
	if (b->o->on_output) {
		if (!b->aborted && b->o->on_output(ev, text, len, b->o->payload) != 0)
			b->aborted = 1;
	} else if (b->o->output) {
		b->o->output(ev, text, len, b->o->payload);
	}
}

void berth__bd_emit(bctx *b, int ev, const char *fmt, ...)
{
	if (!b->o->output && !b->o->on_output)
		return;
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	berth__bd_output(b, ev, buf, strlen(buf));
}

int berth__bd_cancelled(const bctx *b)
{
	return b->aborted || (b->o->cancel && *b->o->cancel);
}

int berth__bd_cancel_error(const bctx *b, const char *where)
{
	if (b->aborted)
		return berth__err(BERTH_ECANCELED, "%s: build canceled by the output callback", where);
	return berth__err(BERTH_ERROR, "%s: build cancelled", where);
}

void berth__bd_stage_free(stage *s)
{
	free(s->name);
	json_decref(s->cfg);
	json_decref(s->mlayers);
	for (size_t i = 0; i < s->ndirs; i++)
		free(s->dirs[i]);
	free(s->dirs);
	json_decref(s->args);
	memset(s, 0, sizeof *s);
}

int berth__bd_stage_add_dir(stage *s, const char *dir)
{
	char **nd = realloc(s->dirs, (s->ndirs + 2) * sizeof *nd);
	if (!nd)
		return berth__err_nomem();
	s->dirs = nd;
	if (!(nd[s->ndirs] = berth__strdup(dir)))
		return BERTH_ENOMEM;
	s->ndirs++;
	nd[s->ndirs] = NULL;
	return 0;
}

json_t *berth__bd_cfg_obj(stage *s)
{
	json_t *c = json_object_get(s->cfg, "config");
	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(s->cfg, "config", c);
	}
	return c;
}

/* The value of name in a "K=V" array, or NULL. */
const char *berth__bd_env_get(const json_t *env, const char *name, size_t len)
{
	size_t i;
	json_t *e;
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s && !strncmp(s, name, len) && s[len] == '=')
			return s + len + 1;
	}
	return NULL;
}

int berth__bd_env_set(json_t *env, const char *k, const char *v)
{
	char *kv = berth__sprintf("%s=%s", k, v);
	if (!kv)
		return BERTH_ENOMEM;
	size_t kl = strlen(k), i;
	json_t *e;
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s && !strncmp(s, k, kl) && s[kl] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return 0;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
	return 0;
}

const char *berth__bd_lookup(const char *name, size_t len, void *p)
{
	look *l = p;
	if (l->s) {
		const char *v = berth__bd_env_get(json_object_get(berth__bd_cfg_obj(l->s), "Env"), name, len);
		if (v)
			return v;
	}
	char key[256];
	if (len >= sizeof key)
		return NULL;
	memcpy(key, name, len);
	key[len] = '\0';
	json_t *args = l->s ? l->s->args : l->b->global_args;
	return json_string_value(json_object_get(args, key));
}

void berth__bd_sha_hex(char out[65], const char *a, const char *b2, const char *c)
{
	berth__sha256_ctx h;
	berth__sha256_init(&h);
	berth__sha256_update(&h, a, strlen(a) + 1);
	berth__sha256_update(&h, b2, strlen(b2) + 1);
	if (c)
		berth__sha256_update(&h, c, strlen(c) + 1);
	berth__sha256_final_hex(&h, out);
}

const char *berth__bd_flag_value(const bd_instr *in, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < in->nflags; i++)
		if (!strncmp(in->flags[i] + 2, name, n) && (in->flags[i][2 + n] == '=' || !in->flags[i][2 + n]))
			return in->flags[i][2 + n] == '=' ? in->flags[i] + 3 + n : "";
	return NULL;
}

char *berth__bd_now_str(void)
{
	char buf[48];
	berth__format_time(buf, sizeof buf, berth__now_ns());
	return berth__strdup(buf);
}

/* Words of an instruction's arguments, substituted. */
int berth__bd_instr_words(char ***out, size_t *n, bctx *b, stage *s, const bd_instr *in, int split)
{
	look l = { b, s };
	if (in->json) {
		char **tmp = calloc(in->nargs + 1, sizeof *tmp);
		if (!tmp)
			return berth__err_nomem();
		int r = 0;
		for (size_t i = 0; r == 0 && i < in->nargs; i++) {
			char **w = NULL;
			/* JSON strings: variables expanded, no quote processing */
			r = berth__bd_words(&w, NULL, in->args[i], '\0', 0, berth__bd_lookup, &l);
			if (r == 0 && !(tmp[i] = berth__strdup(w[0])))
				r = BERTH_ENOMEM;
			free(w);
		}
		char **packed = r == 0 ? berth__strv_pack(tmp, in->nargs) : NULL;
		for (size_t i = 0; i < in->nargs; i++)
			free(tmp[i]);
		free(tmp);
		if (r < 0)
			return berth__err_prefix("%s:%d", b->dfname, in->line);
		if (!packed)
			return BERTH_ENOMEM;
		*out = packed;
		if (n)
			*n = in->nargs;
		return 0;
	}
	int r = berth__bd_words(out, n, in->rest, b->df.escape, split, berth__bd_lookup, &l);
	if (r < 0)
		return berth__err_prefix("%s:%d: %s", b->dfname, in->line, in->cmd);
	return 0;
}
