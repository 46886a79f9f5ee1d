/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The builder (internal): the Dockerfile parser, variable substitution and
 * the .dockerignore matcher (pure logic, unit-tested in tests/build), the
 * layer writer and the filesystem steps. */
#ifndef BERTH_BUILD_INTERNAL_H
#define BERTH_BUILD_INTERNAL_H

#include "internal.h"
#include <stddef.h>
#include <stdint.h>

/* --- the Dockerfile (parse.c) --- */
typedef struct bd_instr {
	int line;        /* where it starts, 1-based */
	char *cmd;       /* upper case: "RUN" */
	char *text;      /* "RUN make all" as written (continuations joined, heredoc bodies excluded) */
	char **flags;    /* "--from=build", NULL-terminated */
	size_t nflags;
	char *rest;      /* the arguments after the flags, raw (not substituted) */
	int json;        /* rest was a JSON array of strings: in args */
	char **args;     /* json: its strings, NULL-terminated */
	size_t nargs;
	char *heredoc;   /* RUN <<EOF: the body of the first heredoc (lines joined by \n), else NULL */
	char *heredoc_name; /* its delimiter word */
	int heredoc_bare;   /* the command was only "<<EOF" (the body is the script) */
} bd_instr;

typedef struct bd_file {
	char escape;     /* '\\' or '`' */
	bd_instr *v;
	size_t n;
} bd_file;

/* Parses a Dockerfile. name is used in errors: "Dockerfile:4: ...".
 * BERTH_EINVAL with the line and what is wrong. */
BERTH_HIDDEN int berth__dockerfile_parse(bd_file *out, const char *text, size_t len, const char *name);
BERTH_HIDDEN void berth__dockerfile_free(bd_file *f);

/* --- variable substitution (parse.c) --- */
/* Looks a variable up: its value, or NULL when unset. */
typedef const char *(*bd_lookup)(const char *name, size_t len, void *payload);
/* Shell-like word processing as the Dockerfile reference does it for ADD,
 * COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR: quotes
 * are removed ('...' literal, "..." with $ expansion), the escape character
 * escapes the next character, $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word},
 * ${VAR-word}, ${VAR+word} are expanded (word itself expanded). escape '\0':
 * no quote or escape processing (a JSON-form argument). With split,
 * unquoted whitespace separates words; else the whole input is one word.
 * *out: NULL-terminated, one free(). BERTH_EINVAL (no line: the caller
 * prefixes it) for an unterminated quote or ${. */
/* filepath.Clean: "a//b/./c/../d" -> "a/b/d", "" -> "."; with abs a leading
 * '/' ("/.." -> "/"). malloc'd, NULL (error set) without memory. */
BERTH_HIDDEN char *berth__bd_clean_path(const char *in, int abs);
BERTH_HIDDEN int berth__bd_words(char ***out, size_t *n, const char *in, char escape, int split, bd_lookup lookup,
	void *payload);

/* --- .dockerignore (ignore.c) --- */
typedef struct bd_ignore {
	char **pat;      /* cleaned patterns, without the '!' */
	int *exclude;    /* 1 for a "!" exception */
	size_t n;
} bd_ignore;
/* Parses a .dockerignore file's text: comments (#), blank lines skipped,
 * surrounding whitespace trimmed, paths cleaned (leading '/' and "./"
 * removed, "a//b" is "a/b"). */
BERTH_HIDDEN int berth__ignore_parse(bd_ignore *out, const char *text, size_t len);
BERTH_HIDDEN void berth__ignore_free(bd_ignore *ig);
/* Is rel (a context-relative path, "a/b/c") ignored? Patterns use Go
 * filepath.Match syntax (*, ?, [a-z], \\ escape) plus "**" for any number of
 * directories; a pattern also matches everything under a matched directory;
 * the last matching pattern wins ('!' re-includes). */
BERTH_HIDDEN int berth__ignore_match(const bd_ignore *ig, const char *rel);
/* Whether a directory might hold an re-included path (an exception pattern
 * below it): then it is walked even when ignored. */
BERTH_HIDDEN int berth__ignore_dir_has_exceptions(const bd_ignore *ig, const char *rel);
/* One glob (Go filepath.Match plus "**") against a path: 1 match, 0 not. */
BERTH_HIDDEN int berth__glob_match(const char *pat, const char *path, int pathname);

/* --- the layer of a step (layer.c) --- */
typedef struct bd_layer {
	char digest[72];  /* sha256 of the gzip blob */
	char diff_id[72]; /* sha256 of the tar */
	unsigned long long size;
	int empty;        /* the upper dir held nothing: no layer */
} bd_layer;
struct berth__store;
/* Writes the upper directory upper (overlay form) as a gzip tar blob into
 * the store (whiteouts as .wh.NAME, opaque dirs as .wh..wh..opq, overlay
 * xattrs dropped) and strips trusted.overlay.* xattrs other than opaque
 * from upper so it can serve as the layer's lower dir. */
BERTH_HIDDEN int berth__bd_layer_write(bd_layer *out, const struct berth__store *s, const char *upper, const char *what);

/* --- filesystem steps: COPY, ADD, WORKDIR (fsop.c) --- */
enum { BD_COPY = 1, BD_ADD = 2, BD_MKDIR = 3 };
/* Options every overlay of the builder gets: its upper dir must be a
 * self-contained layer. */
#define BD_OVERLAY_OPTV { "index=off", "metacopy=off", "redirect_dir=off", NULL }
typedef struct bd_fsop {
	int kind;                /* BD_* */
	char *const *lower;      /* the stage's layer dirs, lowest first */
	size_t nlower;
	const char *upper, *work; /* the step's overlay dirs */
	const char *tmp;         /* a scratch dir for mount points */
	const char *src_dir;     /* the build context (host path), or NULL */
	char *const *src_layers; /* or another stage's / image's layers (COPY --from) */
	size_t nsrc_layers;
	const bd_ignore *ignore; /* the context's .dockerignore, or NULL */
	char *const *srcs;       /* cleaned relative source patterns */
	size_t nsrcs;
	const char *dest;        /* absolute destination in the image */
	int dest_dir;            /* it ended with '/' */
	const char *chown;       /* "user[:group]" or NULL */
	int chmod;               /* a mode, or -1 */
	int keep_owner;          /* COPY --from: keep the source's uid/gid */
	const char *what;        /* "Dockerfile:5: COPY" */
} bd_fsop;
BERTH_HIDDEN int berth__bd_fsop(const bd_fsop *op);
/* The content hash of context sources: paths, modes, sizes, contents, link targets. */
BERTH_HIDDEN int berth__bd_hash_sources(char hex[65], const char *ctx_dir, const bd_ignore *ig, char *const *srcs,
	size_t n, const char *what);

/* --- the build cache in berth image prune (cache_prune.c; a prune participant of
 * the image store, registered in lib/wiring.c) --- */
/* Removes the entries of <root>/build-cache whose layer (blob or unpacked
 * directory), base image or parent entry is gone, unreadable entries and
 * temp files; adds their sizes to *bytes, their number to *removed (may be
 * NULL). The caller holds the store's gc lock exclusively (no build runs). */
BERTH_HIDDEN int berth__bd_cache_prune(const struct berth__store *st, uint64_t *bytes, size_t *removed);

#endif
