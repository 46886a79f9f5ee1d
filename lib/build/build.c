/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_build (include/berth/build.h): runs a parsed Dockerfile stage by
 * stage. A stage's state is an image config (with history), the manifest's
 * layer descriptors and the unpacked layer dirs; each filesystem step adds
 * a layer made from its overlay upper dir (layer.c), RUN in a berth
 * container, COPY/ADD/WORKDIR in a private mount namespace (fsop.c).
 *
 * Cache: every step has a key, sha256 over the parent step's key, the
 * instruction after substitution and, for RUN, the build arguments in scope,
 * for COPY/ADD the content hash of the sources. <root>/build-cache/<key>.json
 * records the step's result (its history time and its layer, if any); a hit
 * needs the layer's blob and unpacked dir still in the store.
 *
 * Everything temporary lives in <root>/layers/.tmp-<random> (same filesystem
 * as the layers: a step's upper dir is renamed into place as its layer) and
 * is removed at the end, success or not. The store's .gc.lock is held
 * shared for the whole build, so a prune cannot take layers in use. */
#include "build/build_internal.h"
#include "image/store.h"
#include "runtime/orphans.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct stage {
	char *name;      /* AS name, lower case, or NULL */
	json_t *cfg;     /* the image config */
	json_t *mlayers; /* manifest layer descriptors */
	char **dirs;     /* unpacked layer dirs, lowest first */
	size_t ndirs;
	char key[65];    /* the cache key of the last step */
	char entry[65];  /* the last step with a cache entry ("" none yet): the next entry's parent */
	char base[72];   /* the id of the image the stage starts from ("" for scratch) */
	json_t *args;    /* ARGs in scope: name -> value (string) or null */
	int cmd_set;     /* CMD given in this stage */
} stage;

typedef struct bctx {
	berth_ctx *ctx;
	berth__store st;
	berth_build_options *o;
	const char *context;
	char dfname[256];
	bd_file df;
	bd_ignore ig;
	json_t *global_args; /* before the first FROM */
	json_t *build_args;  /* --build-arg */
	json_t *used_args;
	stage *stages;
	size_t nstages;
	char tmp[4200]; /* the build's temp dir */
	int tmp_fd;     /* its fd, holding its owner lock for the whole build (lib/image/store_tmp.c) */
	unsigned step, nsteps, stepdir;
	char what[512];
} bctx;

/* --- output --- */

static void emit(bctx *b, int ev, const char *fmt, ...) BERTH_PRINTF(3, 4);
static void emit(bctx *b, int ev, const char *fmt, ...)
{
	if (!b->o->output)
		return;
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	b->o->output(ev, buf, strlen(buf), b->o->payload);
}

/* --- stage state --- */

static void stage_free(stage *s)
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

static int stage_add_dir(stage *s, const char *dir)
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

static json_t *cfg_obj(stage *s)
{
	json_t *c = json_object_get(s->cfg, "config");
	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(s->cfg, "config", c);
	}
	return c;
}

/* The value of name in a "K=V" array, or NULL. */
static const char *env_get(const json_t *env, const char *name, size_t len)
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

static int env_set(json_t *env, const char *k, const char *v)
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

typedef struct look {
	bctx *b;
	stage *s; /* NULL: global scope */
} look;

static const char *lookup(const char *name, size_t len, void *p)
{
	look *l = p;
	if (l->s) {
		const char *v = env_get(json_object_get(cfg_obj(l->s), "Env"), name, len);
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

/* --- small helpers --- */

static void sha_hex(char out[65], const char *a, const char *b2, const char *c)
{
	berth__sha256_ctx h;
	berth__sha256_init(&h);
	berth__sha256_update(&h, a, strlen(a) + 1);
	berth__sha256_update(&h, b2, strlen(b2) + 1);
	if (c)
		berth__sha256_update(&h, c, strlen(c) + 1);
	berth__sha256_final_hex(&h, out);
}

static const char *flag_value(const bd_instr *in, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < in->nflags; i++)
		if (!strncmp(in->flags[i] + 2, name, n) && (in->flags[i][2 + n] == '=' || !in->flags[i][2 + n]))
			return in->flags[i][2 + n] == '=' ? in->flags[i] + 3 + n : "";
	return NULL;
}

static char *now_str(void)
{
	char buf[48];
	berth__format_time(buf, sizeof buf, berth__now_ns());
	return berth__strdup(buf);
}

/* Words of an instruction's arguments, substituted. */
static int words(char ***out, size_t *n, bctx *b, stage *s, const bd_instr *in, int split)
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
			r = berth__bd_words(&w, NULL, in->args[i], '\0', 0, lookup, &l);
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
	int r = berth__bd_words(out, n, in->rest, b->df.escape, split, lookup, &l);
	if (r < 0)
		return berth__err_prefix("%s:%d: %s", b->dfname, in->line, in->cmd);
	return 0;
}

/* --- the cache --- */

static int cache_path(char *buf, size_t len, bctx *b, const char *key)
{
	if (berth__path_build_cache(buf, len, b->st.root, key) < 0)
		return berth__err(BERTH_EINVAL, "build cache: path too long: %.100s...", buf);
	return 0;
}

/* A usable cache entry for key, or NULL. */
static json_t *cache_get(bctx *b, const char *key)
{
	if (b->o->flags & BERTH_BUILD_NO_CACHE)
		return NULL;
	char p[4200];
	if (cache_path(p, sizeof p, b, key) < 0)
		return NULL;
	berth__err_saved sv;
	berth__err_save(&sv);
	json_t *j = NULL;
	if (berth__json_load_file(&j, p, "build cache") < 0 || !json_is_object(j) ||
	    !json_is_string(json_object_get(j, "created"))) {
		json_decref(j);
		berth__err_restore(&sv);
		return NULL;
	}
	berth__err_restore(&sv);
	return j;
}

/* Records a step's result; entries also name their parent entry and the
 * base image, so that berth image prune can drop those whose layers or base
 * image are gone (berth__bd_cache_prune). */
static void cache_put(bctx *b, stage *s, const char *key, json_t *entry)
{
	if (s->entry[0])
		json_object_set_new(entry, "parent", json_string(s->entry));
	if (s->base[0])
		json_object_set_new(entry, "base", json_string(s->base));
	memcpy(s->entry, key, 65);
	char p[4200], dir[4200];
	berth__path_build_cache(dir, sizeof dir, b->st.root, NULL);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if (cache_path(p, sizeof p, b, key) < 0)
		return;
	berth__err_saved sv;
	berth__err_save(&sv);
	berth__json_save_file(entry, p); /* a cache that cannot be written is only slower */
	berth__err_restore(&sv);
}

/* --- history and layers --- */

static int add_history(stage *s, const char *created, const bd_instr *in, const char *shown, int empty)
{
	json_t *h = json_object_get(s->cfg, "history");
	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(s->cfg, "history", h);
	}
	json_t *e = json_pack("{s:s, s:s, s:s}", "created", created, "created_by", shown ? shown : in->text, "comment",
	                      "berth build");
	if (!e)
		return berth__err_nomem();
	if (empty)
		json_object_set_new(e, "empty_layer", json_true());
	json_array_append_new(h, e);
	json_object_set_new(s->cfg, "created", json_string(created));
	return 0;
}

static int layer_dir(char *buf, size_t len, bctx *b, stage *s, const char *diff_id, char *chain_out)
{
	/* the new layer's ChainID */
	json_t *ids = json_object_get(json_object_get(s->cfg, "rootfs"), "diff_ids");
	size_t n = json_array_size(ids);
	const char **v = calloc(n + 2, sizeof *v);
	char(*chain)[BERTH__DIGEST_LEN] = calloc(n + 1, sizeof *chain);
	int r = 0;
	if (!v || !chain)
		r = berth__err_nomem();
	for (size_t i = 0; r == 0 && i < n; i++)
		v[i] = json_string_value(json_array_get(ids, i));
	if (r == 0) {
		v[n] = diff_id;
		r = berth__chain_ids(chain, v, n + 1);
	}
	if (r == 0)
		r = berth__store_path(buf, len, "%s/%s", b->st.layers, chain[n] + 7);
	if (r == 0 && chain_out)
		memcpy(chain_out, chain[n], BERTH__DIGEST_LEN);
	free(v);
	free(chain);
	return r;
}

static int stage_add_layer(stage *s, const char *dir, const char *digest, const char *diff_id, json_int_t size)
{
	json_t *ids = json_object_get(json_object_get(s->cfg, "rootfs"), "diff_ids");
	if (!json_is_array(ids)) {
		json_t *rf = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(s->cfg, "rootfs", rf);
		ids = json_object_get(rf, "diff_ids");
	}
	json_array_append_new(ids, json_string(diff_id));
	json_array_append_new(s->mlayers, json_pack("{s:s, s:s, s:I}", "mediaType", BERTH__MT_OCI_LAYER_GZIP, "digest",
	                                            digest, "size", size));
	return stage_add_dir(s, dir);
}

/* A cached step: its layer (if any) must still be in the store. 1 when used. */
static int use_cache(bctx *b, stage *s, const bd_instr *in, const char *key, const char *shown)
{
	json_t *c = cache_get(b, key);
	if (!c)
		return 0;
	const char *created = json_string_value(json_object_get(c, "created"));
	json_t *layer = json_object_get(c, "layer");
	int r = 1;
	if (json_is_object(layer)) {
		const char *digest = json_string_value(json_object_get(layer, "digest"));
		const char *diff = json_string_value(json_object_get(layer, "diff_id"));
		json_int_t size = json_integer_value(json_object_get(layer, "size"));
		char dir[4200], blob[4200];
		struct stat st;
		if (!berth__digest_valid(digest) || !berth__digest_valid(diff) || layer_dir(dir, sizeof dir, b, s, diff, NULL) < 0 ||
		    stat(dir, &st) < 0 || berth__blob_path(blob, sizeof blob, &b->st, digest) < 0 || stat(blob, &st) < 0 ||
		    st.st_size != size)
			r = 0;
		else if (stage_add_layer(s, dir, digest, diff, size) < 0 || add_history(s, created, in, shown, 0) < 0)
			r = -1;
		if (r == 1)
			emit(b, BERTH_BUILD_CACHED, "--> Using cache %.19s", digest + 7);
	} else {
		if (add_history(s, created, in, shown, 1) < 0)
			r = -1;
		else
			emit(b, BERTH_BUILD_CACHED, "--> Using cache %.12s", key);
	}
	json_decref(c);
	if (r == 1) {
		memcpy(s->key, key, 65);
		memcpy(s->entry, key, 65);
		b->o->steps_cached++;
	}
	return r;
}

/* A metadata-only step (config change done by the caller): history + cache. */
static int meta_step(bctx *b, stage *s, const bd_instr *in, const char *norm)
{
	char key[65];
	sha_hex(key, s->key, norm, NULL);
	json_t *c = cache_get(b, key);
	char *created = NULL;
	int hit = c && !json_object_get(c, "layer");
	if (hit) {
		created = berth__strdup(json_string_value(json_object_get(c, "created")));
		b->o->steps_cached++;
		emit(b, BERTH_BUILD_CACHED, "--> Using cache %.12s", key);
	} else
		created = now_str();
	json_decref(c);
	if (!created)
		return BERTH_ENOMEM;
	int r = add_history(s, created, in, NULL, 1);
	if (r == 0) {
		json_t *e = json_pack("{s:s}", "created", created);
		if (e)
			cache_put(b, s, key, e);
		json_decref(e);
		memcpy(s->key, key, 65);
	}
	free(created);
	return r;
}

/* The step's directories: <tmp>/step-N/{upper,work}. */
static int step_dirs(bctx *b, char *dir, char *upper, char *work, size_t len)
{
	snprintf(dir, len, "%s/step-%u", b->tmp, ++b->stepdir);
	snprintf(upper, len, "%s/upper", dir);
	snprintf(work, len, "%s/work", dir);
	if (mkdir(dir, 0755) < 0 || mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0)
		return berth__err_sys(errno, "build: create %s", dir);
	return 0;
}

/* After a step ran: its upper dir becomes a layer (or nothing changed). */
static int commit_step(bctx *b, stage *s, const bd_instr *in, const char *key, const char *dir, const char *upper,
                       const char *shown)
{
	bd_layer l;
	char what[600];
	snprintf(what, sizeof what, "%s:%d: %s: layer", b->dfname, in->line, in->cmd);
	int r = BERTH_FAULT("build.step.commit");
	if (r < 0 || (r = berth__bd_layer_write(&l, &b->st, upper, what)) < 0)
		return r;
	char *created = now_str();
	if (!created)
		return BERTH_ENOMEM;
	json_t *entry = json_pack("{s:s}", "created", created);
	if (!entry) {
		free(created);
		return berth__err_nomem();
	}
	if (l.empty) {
		r = add_history(s, created, in, shown, 1);
	} else {
		char ldir[4200], chain[BERTH__DIGEST_LEN];
		if ((r = layer_dir(ldir, sizeof ldir, b, s, l.diff_id, chain)) == 0)
			r = berth__layer_install(&b->st, upper, chain);
		if (r == 0)
			r = stage_add_layer(s, ldir, l.digest, l.diff_id, (json_int_t)l.size);
		if (r == 0)
			r = add_history(s, created, in, shown, 0);
		if (r == 0) {
			json_object_set_new(entry, "layer", json_pack("{s:s, s:s, s:I, s:s}", "digest", l.digest, "diff_id",
			                                              l.diff_id, "size", (json_int_t)l.size, "chain", chain));
			emit(b, BERTH_BUILD_INFO, "--> %.19s", l.digest + 7);
		}
	}
	if (r == 0) {
		cache_put(b, s, key, entry);
		memcpy(s->key, key, 65);
	}
	json_decref(entry);
	free(created);
	berth__err_saved sv;
	berth__err_save(&sv);
	berth__rm_rf(dir);
	berth__err_restore(&sv);
	return r;
}

/* --- users (for RUN) --- */

/* The first regular file rel in the stage's layers, top first. */
static FILE *open_in_layers(stage *s, const char *rel)
{
	for (size_t i = s->ndirs; i-- > 0;) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", s->dirs[i], rel);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		return S_ISREG(st.st_mode) ? fopen(p, "re") : NULL;
	}
	return NULL;
}

static int id_lookup(stage *s, const char *file, const char *name, int by_id, long *id, long *gid)
{
	FILE *f = open_in_layers(s, file);
	if (!f)
		return -1;
	int found = berth__id_file_lookup(f, by_id ? NULL : name, id, gid);
	fclose(f);
	return found;
}


static int run_user(berth_spec *spec, stage *s, const char *user, const char *what)
{
	char u[256];
	snprintf(u, sizeof u, "%s", user);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	long uid = 0, gid = -1, pg = -1;
	if (berth__all_digits(u)) {
		uid = strtol(u, NULL, 10);
		id_lookup(s, "etc/passwd", NULL, 1, &uid, &pg);
	} else if (id_lookup(s, "etc/passwd", u, 0, &uid, &pg) < 0)
		return berth__err(BERTH_EINVAL, "%s: USER %s: no such user in the image's /etc/passwd", what, user);
	if (g && *g) {
		if (berth__all_digits(g))
			gid = strtol(g, NULL, 10);
		else if (id_lookup(s, "etc/group", g, 0, &gid, NULL) < 0)
			return berth__err(BERTH_EINVAL, "%s: USER %s: no such group in the image's /etc/group", what, user);
	} else
		gid = pg >= 0 ? pg : 0;
	if (uid < 0 || gid < 0 || uid > 0xfffffffe || gid > 0xfffffffe)
		return berth__err(BERTH_EINVAL, "%s: USER %s: id out of range", what, user);
	return berth_spec_set_user(spec, (uint32_t)uid, (uint32_t)gid, NULL, 0);
}

/* --- RUN --- */

/* The shell: config Shell, else /bin/sh -c. */
static int shell_argv(json_t *argv, stage *s)
{
	json_t *sh = json_object_get(cfg_obj(s), "Shell");
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

static int do_run(bctx *b, stage *s, const bd_instr *in)
{
	const char *net = flag_value(in, "network");
	if (net && strcmp(net, "none") && strcmp(net, "default"))
		return berth__err(BERTH_EUNSUPPORTED, "%s:%d: RUN --network=%s: only none (the default) is supported",
		                  b->dfname, in->line, net);
	if (flag_value(in, "mount") || flag_value(in, "security"))
		return berth__err(BERTH_EUNSUPPORTED, "%s:%d: RUN --mount and --security are not supported", b->dfname,
		                  in->line);
	json_t *argv = json_array();
	if (!argv)
		return berth__err_nomem();
	if (in->json) {
		for (size_t i = 0; i < in->nargs; i++)
			json_array_append_new(argv, json_string(in->args[i]));
	} else {
		shell_argv(argv, s);
		if (in->heredoc && in->heredoc_bare)
			json_array_append_new(argv, json_string(in->heredoc));
		else if (in->heredoc) {
			char *script = berth__sprintf("%s\n%s%s\n", in->rest, in->heredoc, in->heredoc_name);
			if (!script) {
				json_decref(argv);
				return BERTH_ENOMEM;
			}
			json_array_append_new(argv, json_string(script));
			free(script);
		} else
			json_array_append_new(argv, json_string(in->rest));
	}
	/* the environment: Env, then the build arguments in scope */
	json_t *env = json_deep_copy(json_object_get(cfg_obj(s), "Env"));
	if (!env)
		env = json_array();
	const char *k;
	json_t *v;
	char *argtxt = berth__strdup("");
	json_object_foreach(s->args, k, v) {
		if (!json_is_string(v))
			continue;
		if (!env_get(env, k, strlen(k)))
			env_set(env, k, json_string_value(v));
		char *n = berth__sprintf("%s|%s=%s", argtxt ? argtxt : "", k, json_string_value(v));
		free(argtxt);
		argtxt = n;
	}
	if (!env_get(env, "PATH", 4))
		json_array_append_new(env, json_string(DEFAULT_PATH));
	/* the key: parent, command, args in scope, user, workdir */
	char *argvtxt = json_dumps(argv, JSON_COMPACT);
	const char *wd = json_string_value(json_object_get(cfg_obj(s), "WorkingDir"));
	const char *user = json_string_value(json_object_get(cfg_obj(s), "User"));
	char *extra = berth__sprintf("%s|wd=%s|user=%s|env=%s", argtxt ? argtxt : "", wd ? wd : "", user ? user : "", "");
	char *envtxt = json_dumps(json_object_get(cfg_obj(s), "Env"), JSON_COMPACT);
	char key[65];
	char *norm = berth__sprintf("RUN %s %s", argvtxt ? argvtxt : "", envtxt ? envtxt : "");
	free(argtxt);
	free(envtxt);
	int r = 0;
	berth_spec *spec = NULL;
	berth_container *c = NULL;
	int pfd[2] = { -1, -1 };
	char dir[4200], upper[4200], work[4200];
	char *ov = NULL;
	dir[0] = '\0';
	if (!argvtxt || !extra || !norm) {
		r = berth__err_nomem();
		goto out;
	}
	sha_hex(key, s->key, norm, extra);
	if ((r = use_cache(b, s, in, key, NULL)) != 0) {
		r = r < 0 ? r : 0;
		goto out;
	}
	snprintf(b->what, sizeof b->what, "%s:%d: %.200s", b->dfname, in->line, in->text);
	if ((r = step_dirs(b, dir, upper, work, sizeof dir)) < 0)
		goto out;
	char empty[4300];
	snprintf(empty, sizeof empty, "%s/empty", b->tmp);
	if ((r = berth__bd_overlay_annotation(&ov, s->dirs, s->ndirs, empty, upper, work)) < 0)
		goto out;
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
	if (r == 0 && user && *user)
		r = run_user(spec, s, user, b->what);
	if (r == 0)
		r = berth_spec_set_rootfs(spec, "rootfs", 0);
	if (r == 0)
		r = berth_spec_set_annotation(spec, "io.berth.overlay", ov);
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
	if ((r = BERTH_FAULT("build.run")) < 0 || (r = berth_container_run(&c, b->ctx, spec, &co)) < 0) {
		berth__err_prefix("%s", b->what);
		goto out;
	}
	close(pfd[1]);
	pfd[1] = -1;
	char buf[8192];
	int cancelled = 0;
	for (;;) {
		if (!cancelled && b->o->cancel && *b->o->cancel) {
			cancelled = 1;
			berth_container_kill(c, SIGKILL, 1);
		}
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int pr = poll(&pf, 1, b->o->cancel ? 100 : -1);
		if (pr < 0 && errno != EINTR) {
			r = berth__err_sys(errno, "%s: poll", b->what);
			break;
		}
		if (pr <= 0)
			continue;
		ssize_t k = read(pfd[0], buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (b->o->output)
			b->o->output(BERTH_BUILD_OUTPUT, buf, (size_t)k, b->o->payload);
	}
	if (r < 0)
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
	b->o->steps_run++;
	if (cancelled) {
		r = berth__err(BERTH_ERROR, "%s: build cancelled", b->what);
		goto out;
	}
	if (code != 0) {
		b->o->exit_code = code;
		r = berth__err(BERTH_ERROR, "%s: exit code %d%s", b->what, code, sig ? " (killed by a signal)" : "");
		goto out;
	}
	drop_mountpoints(s, upper);
	r = commit_step(b, s, in, key, dir, upper, NULL);
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
	free(ov);
	return r;
}

/* --- COPY, ADD, WORKDIR --- */

static stage *find_stage(bctx *b, const char *name, size_t upto)
{
	char *end;
	long idx = strtol(name, &end, 10);
	if (*name && !*end && idx >= 0 && (size_t)idx < upto)
		return &b->stages[idx];
	for (size_t i = 0; i < upto; i++)
		if (b->stages[i].name && !strcasecmp(b->stages[i].name, name))
			return &b->stages[i];
	return NULL;
}

static int open_image(berth_image **img, bctx *b, const char *ref, int pull_always, const char *platform)
{
	int r = pull_always ? BERTH_ENOTFOUND : berth_image_open(img, b->ctx, ref);
	if (r == BERTH_ENOTFOUND) {
		emit(b, BERTH_BUILD_INFO, "Pulling %s", ref);
		berth_pull_options po = BERTH_PULL_OPTIONS_INIT;
		po.platform = platform && *platform ? platform : b->o->platform;
		po.tls_verify = b->o->tls_verify;
		r = berth_image_pull(img, b->ctx, ref, &po);
	}
	return r;
}

static char *abs_in_stage(stage *s, const char *p)
{
	if (p[0] == '/')
		return berth__bd_clean_path(p, 1);
	const char *wd = json_string_value(json_object_get(cfg_obj(s), "WorkingDir"));
	char *j = berth__sprintf("%s/%s", wd && *wd ? wd : "/", p);
	if (!j)
		return NULL;
	char *c = berth__bd_clean_path(j, 1);
	free(j);
	return c;
}

static int do_copy(bctx *b, stage *s, size_t si, const bd_instr *in)
{
	int add = !strcmp(in->cmd, "ADD");
	snprintf(b->what, sizeof b->what, "%s:%d: %s", b->dfname, in->line, in->cmd);
	if (flag_value(in, "checksum") || flag_value(in, "keep-git-dir") || flag_value(in, "parents") ||
	    flag_value(in, "exclude"))
		return berth__err(BERTH_EUNSUPPORTED, "%s: --checksum, --keep-git-dir, --parents and --exclude are not supported",
		                  b->what);
	char **w = NULL;
	size_t n = 0;
	int r = words(&w, &n, b, s, in, 1);
	if (r < 0)
		return r;
	if (n < 2) {
		free(w);
		return berth__err(BERTH_EINVAL, "%s requires at least two arguments", b->what);
	}
	const char *from = flag_value(in, "from");
	const char *chown = flag_value(in, "chown");
	const char *chmod_s = flag_value(in, "chmod");
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
	if (!(dest = abs_in_stage(s, d))) {
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
		sha_hex(hex, "heredoc", in->heredoc_name, in->heredoc);
		snprintf(extra, sizeof extra, "heredoc:%s", hex);
	} else if (from) {
		look l = { b, NULL };
		char **fw = NULL;
		if ((r = berth__bd_words(&fw, NULL, from, b->df.escape, 0, lookup, &l)) < 0)
			goto out;
		stage *src = find_stage(b, fw[0], si);
		if (src) {
			op.src_layers = src->dirs;
			op.nsrc_layers = src->ndirs;
			snprintf(extra, sizeof extra, "from-stage:%s", src->key);
		} else if ((r = open_image(&img, b, fw[0], 0, NULL)) < 0 || (r = berth_image_layer_dirs(&idirs, img)) < 0) {
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
	const char *wd = json_string_value(json_object_get(cfg_obj(s), "WorkingDir"));
	norm = berth__sprintf("%s %s chown=%s chmod=%s wd=%s", in->cmd, jw ? jw : "", chown ? chown : "",
	                      chmod_s ? chmod_s : "", wd ? wd : "");
	free(jw);
	if (!norm) {
		r = BERTH_ENOMEM;
		goto out;
	}
	sha_hex(key, s->key, norm, extra);
	if ((r = use_cache(b, s, in, key, NULL)) != 0) {
		r = r < 0 ? r : 0;
		goto out;
	}
	if ((r = step_dirs(b, dir, upper, work, sizeof dir)) < 0)
		goto out;
	op.upper = upper;
	op.work = work;
	op.tmp = dir;
	if ((r = berth__bd_fsop(&op)) < 0)
		goto out;
	/* the mount points of the child are in dir: only upper goes into the layer */
	r = commit_step(b, s, in, key, dir, upper, NULL);
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

static int do_workdir(bctx *b, stage *s, const bd_instr *in)
{
	char **w = NULL;
	int r = words(&w, NULL, b, s, in, 0);
	if (r < 0)
		return r;
	char *p = abs_in_stage(s, w[0]);
	free(w);
	if (!p)
		return BERTH_ENOMEM;
	json_object_set_new(cfg_obj(s), "WorkingDir", json_string(p));
	if (!strcmp(p, "/") || stage_has_dir(s, p)) {
		char *norm = berth__sprintf("WORKDIR %s", p);
		r = norm ? meta_step(b, s, in, norm) : BERTH_ENOMEM;
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
	sha_hex(key, s->key, norm, NULL);
	free(norm);
	if ((r = use_cache(b, s, in, key, NULL)) != 0) {
		free(p);
		return r < 0 ? r : 0;
	}
	if ((r = step_dirs(b, dir, upper, work, sizeof dir)) == 0) {
		bd_fsop op = { .kind = BD_MKDIR, .lower = s->dirs, .nlower = s->ndirs, .dest = p, .chmod = -1,
			       .upper = upper, .work = work, .tmp = dir, .what = b->what };
		if ((r = berth__bd_fsop(&op)) == 0)
			r = commit_step(b, s, in, key, dir, upper, NULL);
		else {
			berth__err_saved sv;
			berth__err_save(&sv);
			berth__rm_rf(dir);
			berth__err_restore(&sv);
		}
	}
	free(p);
	return r;
}

/* --- metadata instructions --- */

static int kv_pairs(bctx *b, stage *s, const bd_instr *in, json_t *dst_obj, json_t *dst_env)
{
	char **w = NULL;
	size_t n = 0;
	int r = words(&w, &n, b, s, in, 1);
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
		if ((r = berth__bd_words(&v, NULL, p, b->df.escape, 0, lookup, &l)) < 0) {
			free(w);
			return berth__err_prefix("%s:%d: %s", b->dfname, in->line, in->cmd);
		}
		r = dst_env ? env_set(dst_env, w[0], v[0]) : json_object_set_new(dst_obj, w[0], json_string(v[0]));
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
		r = dst_env ? env_set(dst_env, w[i], eq + 1) : json_object_set_new(dst_obj, w[i], json_string(eq + 1));
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
		shell_argv(a, s);
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

static int do_meta(bctx *b, stage *s, const bd_instr *in)
{
	json_t *c = cfg_obj(s);
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
		if ((r = words(&w, &n, b, s, in, 1)) < 0)
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
		if ((r = words(&w, &n, b, s, in, 1)) < 0)
			return r;
		json_t *vo = json_object_get(c, "Volumes");
		if (!json_is_object(vo)) {
			vo = json_object();
			json_object_set_new(c, "Volumes", vo);
		}
		for (size_t i = 0; i < n; i++) {
			if (!*w[i])
				continue;
			char *p = abs_in_stage(s, w[i]);
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
		if ((r = words(&w, &n, b, s, in, 0)) < 0)
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
		if ((r = words(&w, &n, b, s, in, 0)) < 0)
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
				const char *v = flag_value(in, fl[i][0]);
				json_int_t ns;
				if (!v)
					continue;
				if (parse_duration_ns(&ns, v) < 0)
					r = berth__err(BERTH_EINVAL, "%s:%d: HEALTHCHECK --%s=%s: not a duration (30s, 1m30s, 500ms)",
					               b->dfname, in->line, fl[i][0], v);
				else
					json_object_set_new(hc, fl[i][1], json_integer(ns));
			}
			const char *rv = flag_value(in, "retries");
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
		r = meta_step(b, s, in, norm);
	free(norm);
	return r;
}

/* --- ARG --- */

static int do_arg(bctx *b, stage *s, const bd_instr *in)
{
	look l = { b, s };
	char **w = NULL;
	int r = berth__bd_words(&w, NULL, in->rest, b->df.escape, 0, lookup, &l);
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
			sha_hex(key, s->key, norm, NULL);
			memcpy(s->key, key, 65);
		} else
			rr = BERTH_ENOMEM;
		free(norm);
	}
	free(w);
	return rr;
}

/* --- FROM --- */

static int do_from(bctx *b, stage *s, const bd_instr *in, size_t si)
{
	look l = { b, NULL };
	char **w = NULL;
	size_t n = 0;
	int r = berth__bd_words(&w, &n, in->rest, b->df.escape, 1, lookup, &l);
	if (r < 0)
		return berth__err_prefix("%s:%d: FROM", b->dfname, in->line);
	if (n == 3 && !(s->name = berth__strdup(w[2]))) {
		free(w);
		return BERTH_ENOMEM;
	}
	if (s->name)
		for (char *p = s->name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	s->args = json_object();
	s->mlayers = json_array();
	const char *ref = w[0];
	if (!*ref) {
		free(w);
		return berth__err(BERTH_EINVAL, "%s:%d: FROM: the image name is empty (an unset build argument?)", b->dfname,
		                  in->line);
	}
	stage *prev = find_stage(b, ref, si);
	if (prev && prev->name && !strcasecmp(prev->name, ref)) {
		s->cfg = json_deep_copy(prev->cfg);
		json_decref(s->mlayers);
		s->mlayers = json_deep_copy(prev->mlayers);
		for (size_t i = 0; r == 0 && i < prev->ndirs; i++)
			r = stage_add_dir(s, prev->dirs[i]);
		memcpy(s->key, prev->key, 65);
		memcpy(s->entry, prev->entry, 65);
		memcpy(s->base, prev->base, sizeof s->base);
	} else if (!strcasecmp(ref, "scratch")) {
		const char *plat = b->o->platform;
		char arch[64] = "";
		if (plat && strchr(plat, '/'))
			snprintf(arch, sizeof arch, "%s", strchr(plat, '/') + 1);
		if (strchr(arch, '/'))
			*strchr(arch, '/') = '\0';
		s->cfg = json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture",
		                   arch[0] ? arch : berth__native_arch(), "os", "linux", "config", "rootfs", "type", "layers",
		                   "diff_ids", "history");
		sha_hex(s->key, "FROM scratch", arch, NULL);
	} else {
		berth_image *img = NULL;
		/* FROM --platform=...: what a pull asks for (build arguments expanded) */
		const char *pf = flag_value(in, "platform");
		char **pw = NULL;
		if (pf && (r = berth__bd_words(&pw, NULL, pf, b->df.escape, 0, lookup, &l)) < 0) {
			free(w);
			return berth__err_prefix("%s:%d: FROM --platform", b->dfname, in->line);
		}
		r = open_image(&img, b, ref, (b->o->flags & BERTH_BUILD_PULL) != 0, pw ? pw[0] : NULL);
		free(pw);
		if (r < 0) {
			berth__err_prefix("%s:%d: FROM %s", b->dfname, in->line, ref);
			free(w);
			return r;
		}
		char **dirs = NULL;
		if ((r = berth_image_layer_dirs(&dirs, img)) == 0) {
			for (size_t i = 0; r == 0 && dirs[i]; i++)
				r = stage_add_dir(s, dirs[i]);
			berth_free(dirs);
		}
		if (r == 0) {
			s->cfg = json_deep_copy(berth__image_config_json(img));
			json_decref(s->mlayers);
			s->mlayers = json_deep_copy(json_object_get(berth__image_manifest_json(img), "layers"));
			/* Docker media types stay as they were: a manifest may mix them */
			sha_hex(s->key, "FROM", berth_image_id(img), NULL);
			snprintf(s->base, sizeof s->base, "%s", berth_image_id(img));
		}
		berth_image_free(img);
		if (r < 0) {
			berth__err_prefix("%s:%d: FROM %s", b->dfname, in->line, ref);
			free(w);
			return r;
		}
	}
	free(w);
	if (!s->cfg || !s->mlayers)
		return berth__err_nomem();
	return 0;
}

/* --- the image --- */

static int commit_image(berth_image **out, bctx *b, stage *s)
{
	int fr = BERTH_FAULT("build.image");
	if (fr < 0)
		return fr;
	json_t *cfg = s->cfg;
	if (!json_object_get(cfg, "created")) {
		char *now = now_str();
		json_object_set_new(cfg, "created", json_string(now ? now : ""));
		free(now);
	}
	if (!json_is_object(json_object_get(cfg, "rootfs")))
		json_object_set_new(cfg, "rootfs", json_pack("{s:s, s:[]}", "type", "layers", "diff_ids"));
	char *txt = json_dumps(cfg, JSON_COMPACT);
	if (!txt)
		return berth__err_nomem();
	char cdig[BERTH__DIGEST_LEN], mdig[BERTH__DIGEST_LEN];
	size_t csize = strlen(txt);
	int r = berth__config_check(cfg, "built image config");
	if (r == 0)
		r = berth__blob_put(&b->st, txt, csize, cdig);
	free(txt);
	if (r < 0)
		return r;
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
	                      BERTH__MT_OCI_MANIFEST, "config", "mediaType", BERTH__MT_OCI_CONFIG, "digest", cdig, "size",
	                      (json_int_t)csize, "layers", s->mlayers);
	if (!m)
		return berth__err_nomem();
	txt = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (!txt)
		return berth__err_nomem();
	json_int_t msize = (json_int_t)strlen(txt);
	r = berth__blob_put(&b->st, txt, strlen(txt), mdig);
	free(txt);
	if (r < 0)
		return r;
	int lk = berth__store_lock(&b->st, ".lock", LOCK_EX);
	if (lk < 0)
		return lk;
	json_t *index = NULL;
	if ((r = berth__index_load(&index, &b->st)) == 0) {
		int changed = 0;
		const char *const *t = b->o->tags;
		if (!t || !*t) {
			r = berth__index_set_ref(index, BERTH__MT_OCI_MANIFEST, mdig, msize, NULL);
			changed = r > 0;
		}
		for (; r >= 0 && t && *t; t++) {
			berth_ref *ref = NULL;
			if ((r = berth_ref_parse(&ref, *t)) < 0)
				break;
			r = berth__index_set_ref(index, BERTH__MT_OCI_MANIFEST, mdig, msize, berth_ref_string(ref));
			changed |= r > 0;
			berth_ref_free(ref);
		}
		if (r >= 0 && changed)
			r = berth__index_save(&b->st, index);
		json_decref(index);
	}
	berth__store_unlock(lk);
	if (r < 0)
		return r;
	berth_image *img = NULL;
	if ((r = berth__image_load(&img, b->ctx, mdig, msize)) < 0)
		return r;
	for (const char *const *t = b->o->tags; t && *t; t++)
		emit(b, BERTH_BUILD_INFO, "COMMIT %s", *t);
	emit(b, BERTH_BUILD_INFO, "%s", berth_image_id(img));
	if (out)
		*out = img;
	else
		berth_image_free(img);
	return 0;
}

/* --- the build --- */

BERTH_EXTERN int berth_build_options_init(berth_build_options *opts, unsigned int version)
{
	if (!opts)
		return berth__err(BERTH_EINVAL, "build options: NULL");
	if (version != BERTH_BUILD_OPTIONS_VERSION)
		return berth__err(BERTH_EINVAL, "build options: unknown version %u", version);
	berth_build_options d = BERTH_BUILD_OPTIONS_INIT;
	*opts = d;
	return 0;
}

static int read_all(char **out, size_t *len, const char *path, const char *what)
{
	int r = berth__read_file(out, len, path);
	if (r < 0)
		return berth__err_prefix("%s", what);
	return 0;
}

/* A stage named by ref (a name; with by_index also a number) before stage
 * upto, or -1. names: the stages' AS names (lower case or NULL). */
static long stage_ref(char **names, size_t upto, const char *ref, int by_index)
{
	char *end;
	long idx = strtol(ref, &end, 10);
	if (by_index && *ref && !*end && idx >= 0 && (size_t)idx < upto)
		return idx;
	for (size_t i = 0; i < upto; i++)
		if (names[i] && !strcasecmp(names[i], ref))
			return (long)i;
	return -1;
}

/* Which stages the target needs, as BuildKit decides it: the target, the
 * stages its FROM and COPY --from name, and theirs, transitively; the others
 * are not built. FROM and --from are expanded with the global build
 * arguments (as do_from and do_copy do), so this runs once they are known.
 * A reference that cannot be expanded needs every stage before it. */
static int needed_stages(bctx *b, size_t nst, size_t target, char *need)
{
	char **names = calloc(nst, sizeof *names);
	size_t *first = calloc(nst + 1, sizeof *first);
	int r = 0;
	if (!names || !first) {
		free(names);
		free(first);
		return berth__err_nomem();
	}
	size_t k = 0;
	for (size_t i = 0; i < b->df.n && k < nst; i++) {
		if (strcmp(b->df.v[i].cmd, "FROM"))
			continue;
		char **w = NULL;
		size_t n = 0;
		if (berth__bd_words(&w, &n, b->df.v[i].rest, b->df.escape, 1, NULL, NULL) == 0 && n == 3)
			names[k] = berth__strdup(w[2]);
		free(w);
		first[k++] = i;
	}
	first[nst] = b->df.n;
	memset(need, 0, nst);
	need[target] = 1;
	look l = { b, NULL };
	for (size_t st = target + 1; st-- > 0;) {
		if (!need[st])
			continue;
		for (size_t i = first[st]; i < first[st + 1]; i++) {
			const bd_instr *in = &b->df.v[i];
			int is_from = !strcmp(in->cmd, "FROM");
			const char *raw = is_from ? in->rest : !strcmp(in->cmd, "COPY") ? flag_value(in, "from") : NULL;
			if (!raw)
				continue;
			char **w = NULL;
			size_t n = 0;
			if (berth__bd_words(&w, &n, raw, b->df.escape, is_from, lookup, &l) < 0 || n == 0) {
				berth__err_ok();
				memset(need, 1, st); /* cannot tell: every stage before */
			} else {
				long dep = stage_ref(names, st, w[0], !is_from);
				if (dep >= 0)
					need[dep] = 1;
			}
			free(w);
		}
	}
	for (size_t i = 0; i < nst; i++)
		free(names[i]);
	free(names);
	free(first);
	return r;
}

static int run_build(berth_image **out, bctx *b)
{
	int r;
	/* stages: FROM indices */
	size_t nst = 0, target = (size_t)-1;
	for (size_t i = 0; i < b->df.n; i++)
		if (!strcmp(b->df.v[i].cmd, "FROM"))
			nst++;
	b->stages = calloc(nst, sizeof *b->stages);
	if (!b->stages)
		return berth__err_nomem();
	/* the target: by name (AS, raw text) or index */
	if (b->o->target && *b->o->target) {
		size_t k = 0;
		for (size_t i = 0; i < b->df.n; i++) {
			if (strcmp(b->df.v[i].cmd, "FROM"))
				continue;
			char **w = NULL;
			size_t n = 0;
			if (berth__bd_words(&w, &n, b->df.v[i].rest, b->df.escape, 1, NULL, NULL) == 0 && n == 3 &&
			    !strcasecmp(w[2], b->o->target))
				target = k;
			free(w);
			k++;
		}
		char *end;
		long idx = strtol(b->o->target, &end, 10);
		if (target == (size_t)-1 && !*end && idx >= 0 && (size_t)idx < nst)
			target = (size_t)idx;
		if (target == (size_t)-1)
			return berth__err(BERTH_EINVAL, "%s: target stage '%s' could not be found", b->dfname, b->o->target);
	} else
		target = nst - 1;
	/* steps: everything up to the end of the target stage, but for the
	 * stages it does not need (decided at the first FROM) */
	size_t last = b->df.n;
	{
		size_t k = 0;
		for (size_t i = 0; i < b->df.n; i++)
			if (!strcmp(b->df.v[i].cmd, "FROM") && k++ == target + 1) {
				last = i;
				break;
			}
	}
	b->nsteps = (unsigned)last;
	char *need = calloc(nst, 1);
	if (!need)
		return berth__err_nomem();
	stage *s = NULL;
	size_t si = 0;
	unsigned shown = 0;
	int skip = 0;
	/* the global build arguments first (they emit nothing): FROM and
	 * COPY --from may use them, and so does needed_stages */
	size_t nglobal = 0;
	r = 0;
	while (r == 0 && nglobal < last && !strcmp(b->df.v[nglobal].cmd, "ARG"))
		r = do_arg(b, NULL, &b->df.v[nglobal++]);
	if (r == 0 && (r = needed_stages(b, nst, target, need)) == 0) {
		unsigned n = 0;
		for (size_t j = 0, k = 0; j < last; j++) {
			k += !strcmp(b->df.v[j].cmd, "FROM");
			n += k == 0 || need[k - 1];
		}
		b->nsteps = n;
	}
	for (size_t i = 0; r == 0 && i < last; i++) {
		bd_instr *in = &b->df.v[i];
		int from = !strcmp(in->cmd, "FROM");
		if (from && !need[si]) {
			skip = 1;
			b->nstages = ++si;
			continue;
		}
		if (from)
			skip = 0;
		if (skip)
			continue;
		if (b->o->cancel && *b->o->cancel) {
			r = berth__err(BERTH_ERROR, "%s:%d: build cancelled", b->dfname, in->line);
			break;
		}
		emit(b, BERTH_BUILD_STEP, "STEP %u/%u: %s", ++shown, b->nsteps, in->text);
		if (i < nglobal)
			continue; /* done above */
		if (from) {
			s = &b->stages[si];
			b->nstages = si + 1;
			r = do_from(b, s, in, si);
			si++;
		} else if (!strcmp(in->cmd, "ARG"))
			r = do_arg(b, s, in);
		else if (!strcmp(in->cmd, "RUN"))
			r = do_run(b, s, in);
		else if (!strcmp(in->cmd, "COPY") || !strcmp(in->cmd, "ADD"))
			r = do_copy(b, s, si - 1, in);
		else if (!strcmp(in->cmd, "WORKDIR"))
			r = do_workdir(b, s, in);
		else
			r = do_meta(b, s, in);
	}
	free(need);
	if (r < 0)
		return r;
	/* build arguments nobody declared */
	const char *k;
	json_t *v;
	json_object_foreach(b->build_args, k, v) {
		static const char *const predefined[] = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
			"FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy" };
		int pre = 0;
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(predefined); i++)
			pre |= !strcmp(k, predefined[i]);
		if (!pre && !json_object_get(b->used_args, k))
			emit(b, BERTH_BUILD_WARNING, "[Warning] one or more build args were not consumed: %s", k);
	}
	return commit_image(out, b, &b->stages[target]);
}

BERTH_EXTERN int berth_build(berth_image **out, berth_ctx *ctx, const char *context, berth_build_options *opts)
{
	berth_build_options dflt = BERTH_BUILD_OPTIONS_INIT;
	if (!opts)
		opts = &dflt;
	if (!ctx)
		return berth__err(BERTH_EINVAL, "build: a context is required");
	if (opts->version != BERTH_BUILD_OPTIONS_VERSION)
		return berth__err(BERTH_EINVAL, "build: unknown options version %u", opts->version);
	opts->exit_code = 0;
	opts->steps_run = opts->steps_cached = 0;
	if (!context && !opts->dockerfile_text)
		return berth__err(BERTH_EINVAL, "build: a context directory (or the Dockerfile text) is required");
	bctx *b = calloc(1, sizeof *b);
	if (!b)
		return berth__err_nomem();
	b->ctx = ctx;
	b->tmp_fd = -1;
	berth__container_sweep_orphans(ctx); /* the RUN steps of killed builds */
	b->o = opts;
	int r = 0, gc = -1;
	char *text = NULL, *ctxabs = NULL;
	size_t tlen = 0;
	b->global_args = json_object();
	b->build_args = json_object();
	b->used_args = json_object();
	if (!b->global_args || !b->build_args || !b->used_args) {
		r = berth__err_nomem();
		goto out;
	}
	if ((r = berth__store_init(&b->st, ctx)) < 0)
		goto out;
	if (context) {
		struct stat st;
		if (!(ctxabs = realpath(context, NULL)) || stat(ctxabs, &st) < 0 || !S_ISDIR(st.st_mode)) {
			r = ctxabs ? berth__err(BERTH_EINVAL, "build: context %s: not a directory", context)
			           : berth__err_sys(errno, "build: context %s", context);
			goto out;
		}
		b->context = ctxabs;
	}
	/* the Dockerfile */
	if (opts->dockerfile_text) {
		text = berth__strdup(opts->dockerfile_text);
		tlen = text ? strlen(text) : 0;
		snprintf(b->dfname, sizeof b->dfname, "Dockerfile");
		if (!text) {
			r = BERTH_ENOMEM;
			goto out;
		}
	} else {
		char path[4200];
		if (opts->dockerfile && *opts->dockerfile)
			snprintf(path, sizeof path, "%s", opts->dockerfile);
		else
			snprintf(path, sizeof path, "%s/Dockerfile", b->context);
		const char *base = strrchr(path, '/');
		snprintf(b->dfname, sizeof b->dfname, "%s", base ? base + 1 : path);
		char what[4300];
		snprintf(what, sizeof what, "build: Dockerfile %s", path);
		if ((r = read_all(&text, &tlen, path, what)) < 0)
			goto out;
	}
	if ((r = berth__dockerfile_parse(&b->df, text, tlen, b->dfname)) < 0)
		goto out;
	/* .dockerignore */
	if (b->context) {
		char p[4200];
		snprintf(p, sizeof p, "%s/.dockerignore", b->context);
		char *ig = NULL;
		size_t il = 0;
		if (access(p, F_OK) == 0) {
			if ((r = read_all(&ig, &il, p, "build: .dockerignore")) < 0)
				goto out;
			r = berth__ignore_parse(&b->ig, ig, il);
			free(ig);
			if (r < 0)
				goto out;
		}
	}
	/* the tags, before anything runs */
	for (const char *const *t = opts->tags; t && *t; t++) {
		berth_ref *ref = NULL;
		if ((r = berth_ref_parse(&ref, *t)) < 0) {
			berth__err_prefix("build: tag");
			goto out;
		}
		int dig = berth_ref_digest(ref) != NULL;
		berth_ref_free(ref);
		if (dig) {
			r = berth__err(BERTH_EINVAL, "build: tag '%s': a tag cannot contain a digest", *t);
			goto out;
		}
	}
	/* --build-arg */
	for (const char *const *a = opts->build_args; a && *a; a++) {
		const char *eq = strchr(*a, '=');
		char name[256];
		size_t nl = eq ? (size_t)(eq - *a) : strlen(*a);
		if (nl == 0 || nl >= sizeof name) {
			r = berth__err(BERTH_EINVAL, "build: --build-arg '%s': expected NAME=value", *a);
			goto out;
		}
		memcpy(name, *a, nl);
		name[nl] = '\0';
		const char *val = eq ? eq + 1 : getenv(name);
		if (val)
			json_object_set_new(b->build_args, name, json_string(val));
	}
	/* predefined platform arguments in the global scope */
	{
		const char *arch = berth__native_arch();
		char plat[96];
		snprintf(plat, sizeof plat, "linux/%s", arch);
		const char *tp = opts->platform && *opts->platform ? opts->platform : plat;
		char tarch[64] = "";
		if (strchr(tp, '/'))
			snprintf(tarch, sizeof tarch, "%s", strchr(tp, '/') + 1);
		if (strchr(tarch, '/'))
			*strchr(tarch, '/') = '\0';
		json_object_set_new(b->global_args, "BUILDPLATFORM", json_string(plat));
		json_object_set_new(b->global_args, "BUILDOS", json_string("linux"));
		json_object_set_new(b->global_args, "BUILDARCH", json_string(arch));
		json_object_set_new(b->global_args, "TARGETPLATFORM", json_string(tp));
		json_object_set_new(b->global_args, "TARGETOS", json_string("linux"));
		json_object_set_new(b->global_args, "TARGETARCH", json_string(tarch[0] ? tarch : arch));
	}
	if ((r = berth__store_ensure(&b->st)) < 0)
		goto out;
	if ((gc = berth__store_lock(&b->st, ".gc.lock", LOCK_SH)) < 0) {
		r = gc;
		goto out;
	}
	if ((b->tmp_fd = berth__layer_tmpdir(b->tmp, sizeof b->tmp, &b->st)) < 0) {
		r = b->tmp_fd;
		b->tmp[0] = '\0';
		goto out;
	}
	char empty[4300];
	snprintf(empty, sizeof empty, "%s/empty", b->tmp);
	if (mkdir(empty, 0755) < 0) {
		r = berth__err_sys(errno, "build: mkdir %s", empty);
		goto out;
	}
	r = run_build(out, b);
out:
	if (b->tmp[0]) {
		berth__err_saved sv;
		berth__err_save(&sv);
		berth__rm_rf(b->tmp);
		berth__err_restore(&sv);
	}
	if (b->tmp_fd >= 0)
		close(b->tmp_fd);
	berth__store_unlock(gc);
	for (size_t i = 0; i < b->nstages; i++)
		stage_free(&b->stages[i]);
	free(b->stages);
	berth__dockerfile_free(&b->df);
	berth__ignore_free(&b->ig);
	json_decref(b->global_args);
	json_decref(b->build_args);
	json_decref(b->used_args);
	free(text);
	free(ctxabs);
	free(b);
	if (r == 0)
		berth__err_ok();
	return r;
}
