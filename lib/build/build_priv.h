/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What the files of berth_build share (build.c, state.c, cache.c, stages.c,
 * run.c, copy.c, meta.c): a stage's state, the build's context and the
 * helpers and instruction handlers they call across files. */
#ifndef BERTH_BUILD_PRIV_H
#define BERTH_BUILD_PRIV_H

#include "build/build_internal.h"
#include "image/store.h"
#include "runtime/create.h"
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
	const berth_build_options *o; /* &opts */
	berth_build_options opts;     /* the caller's options, any version, as the current one */
	berth_build_result res;       /* what the build did */
	int aborted;                  /* on_output returned non-zero */
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

/* The payload of berth__bd_lookup. */
typedef struct look {
	bctx *b;
	stage *s; /* NULL: global scope */
} look;

/* --- state.c --- */
BERTH_HIDDEN void berth__bd_emit(bctx *b, int ev, const char *fmt, ...) BERTH_PRINTF(3, 4);
/* Hands text to the caller's callback; on_output's non-zero return marks the
 * build aborted. */
BERTH_HIDDEN void berth__bd_output(bctx *b, int ev, const char *text, size_t len);
/* 1 once the build must stop: on_output returned non-zero or the cancel flag is set. */
BERTH_HIDDEN int berth__bd_cancelled(const bctx *b);
/* The error of a stopped build, where naming the step: BERTH_ECANCELED
 * (on_output) or BERTH_ERROR "build cancelled" (the flag, as in 0.1). */
BERTH_HIDDEN int berth__bd_cancel_error(const bctx *b, const char *where);
BERTH_HIDDEN void berth__bd_stage_free(stage *s);
BERTH_HIDDEN int berth__bd_stage_add_dir(stage *s, const char *dir);
BERTH_HIDDEN json_t *berth__bd_cfg_obj(stage *s);
/* The value of name in a "K=V" array, or NULL. */
BERTH_HIDDEN const char *berth__bd_env_get(const json_t *env, const char *name, size_t len);
BERTH_HIDDEN int berth__bd_env_set(json_t *env, const char *k, const char *v);
BERTH_HIDDEN const char *berth__bd_lookup(const char *name, size_t len, void *p);
BERTH_HIDDEN void berth__bd_sha_hex(char out[65], const char *a, const char *b2, const char *c);
BERTH_HIDDEN const char *berth__bd_flag_value(const bd_instr *in, const char *name);
BERTH_HIDDEN char *berth__bd_now_str(void);
/* Words of an instruction's arguments, substituted. */
BERTH_HIDDEN int berth__bd_instr_words(char ***out, size_t *n, bctx *b, stage *s, const bd_instr *in, int split);

/* --- cache.c --- */
/* A cached step: its layer (if any) must still be in the store. 1 when used. */
BERTH_HIDDEN int berth__bd_use_cache(bctx *b, stage *s, const bd_instr *in, const char *key, const char *shown);
/* A metadata-only step (config change done by the caller): history + cache. */
BERTH_HIDDEN int berth__bd_meta_step(bctx *b, stage *s, const bd_instr *in, const char *norm);
/* The step's directories: <tmp>/step-N/{upper,work}. */
BERTH_HIDDEN int berth__bd_step_dirs(bctx *b, char *dir, char *upper, char *work, size_t len);
/* After a step ran: its upper dir becomes a layer (or nothing changed). */
BERTH_HIDDEN int berth__bd_commit_step(bctx *b, stage *s, const bd_instr *in, const char *key, const char *dir,
                                     const char *upper, const char *shown);

/* --- run.c --- */
/* The shell: config Shell, else /bin/sh -c. */
BERTH_HIDDEN int berth__bd_shell_argv(json_t *argv, stage *s);
BERTH_HIDDEN int berth__bd_do_run(bctx *b, stage *s, const bd_instr *in);

/* --- copy.c --- */
BERTH_HIDDEN char *berth__bd_abs_in_stage(stage *s, const char *p);
BERTH_HIDDEN int berth__bd_do_copy(bctx *b, stage *s, size_t si, const bd_instr *in);
BERTH_HIDDEN int berth__bd_do_workdir(bctx *b, stage *s, const bd_instr *in);

/* --- meta.c --- */
BERTH_HIDDEN int berth__bd_do_meta(bctx *b, stage *s, const bd_instr *in);
BERTH_HIDDEN int berth__bd_do_arg(bctx *b, stage *s, const bd_instr *in);

/* --- stages.c --- */
BERTH_HIDDEN stage *berth__bd_find_stage(bctx *b, const char *name, size_t upto);
BERTH_HIDDEN int berth__bd_open_image(berth_image **img, bctx *b, const char *ref, int pull_always, const char *platform);
BERTH_HIDDEN int berth__bd_do_from(bctx *b, stage *s, const bd_instr *in, size_t si);
BERTH_HIDDEN int berth__bd_commit_image(berth_image **out, bctx *b, stage *s);
/* Which stages the target needs, as BuildKit decides it: the target, the
 * stages its FROM and COPY --from name, and theirs, transitively; the others
 * are not built. FROM and --from are expanded with the global build
 * arguments (as do_from and do_copy do), so this runs once they are known.
 * A reference that cannot be expanded needs every stage before it. */
BERTH_HIDDEN int berth__bd_needed_stages(bctx *b, size_t nst, size_t target, char *need);

#endif
