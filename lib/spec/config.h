/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The typed configuration of a container: an OCI spec parsed and validated
 * once (lib/spec/validate.c), then read by every area through these fields
 * instead of the JSON. Strings are borrowed from the spec JSON, of which the
 * config holds one reference; arrays live in the config's arena. Freed with
 * berth__config_free (the container handle frees the one of its create). */
#ifndef BERTH_SPEC_CONFIG_H
#define BERTH_SPEC_CONFIG_H

#include "internal.h"
#include "security/security.h"
#include <stdint.h>

typedef struct berth__cfg_rlimit {
	const char *type;        /* "RLIMIT_NOFILE" */
	int resource;            /* RLIMIT_NOFILE */
	uint64_t soft, hard;
} berth__cfg_rlimit;

typedef struct berth__cfg_process {
	const char *const *args; /* NULL-terminated, n_args >= 1 */
	size_t n_args;
	const char *const *env;  /* "KEY=VALUE", NULL-terminated */
	size_t n_env;
	const char *cwd;         /* absolute */
	uint32_t uid, gid;
	int umask;               /* -1: not given */
	const uint32_t *gids;    /* additionalGids */
	size_t n_gids;
	int terminal;
	int no_new_privileges;
	int has_oom_score_adj;
	int oom_score_adj;
	berth__capsets caps;     /* as given (names the kernel lacks dropped) */
	const berth__cfg_rlimit *rlimits;
	size_t n_rlimits;
} berth__cfg_process;

typedef struct berth__cfg_mount {
	const char *destination; /* absolute */
	const char *type;        /* NULL: none given (a bind by its options) */
	const char *source;      /* NULL: none given */
	const char *const *options;
	size_t n_options;
} berth__cfg_mount;

typedef struct berth__cfg_ns {
	int type;                /* berth_ns_type */
	const char *path;        /* join this one, or NULL: a new one */
} berth__cfg_ns;

typedef struct berth__cfg_idmap { uint32_t container_id, host_id, size; } berth__cfg_idmap;

typedef struct berth__cfg_device {
	const char *path;        /* absolute, in the container */
	char type;               /* 'c', 'b', 'u' or 'p' */
	uint32_t major, minor;
	int has_mode;
	unsigned int mode;       /* fileMode & 07777 */
	uint32_t uid, gid;
} berth__cfg_device;

typedef struct berth__cfg_sysctl { const char *key, *value; } berth__cfg_sysctl;

typedef struct berth__config {
	json_t *json;            /* the spec (one reference): every string below is borrowed from it */
	void *arena;
	const char *root_path;
	int root_readonly;
	const char *hostname;    /* NULL or "" when not given */
	const char *domainname;
	berth__cfg_process process;
	const berth__cfg_mount *mounts;
	size_t n_mounts;
	/* linux */
	const berth__cfg_ns *namespaces;
	size_t n_namespaces;
	unsigned ns_mask;        /* BERTH_NS_BIT of each listed type */
	unsigned ns_joined;      /* ... of those with a path */
	const berth__cfg_idmap *uid_maps, *gid_maps;
	size_t n_uid_maps, n_gid_maps;
	const char *const *masked_paths;
	size_t n_masked_paths;
	const char *const *readonly_paths;
	size_t n_readonly_paths;
	const berth__cfg_sysctl *sysctls;
	size_t n_sysctls;
	const berth__cfg_device *devices;
	size_t n_devices;
	const char *cgroups_path;        /* NULL when not given */
	const char *rootfs_propagation;  /* NULL when not given */
	const json_t *resources;         /* linux.resources (an object) or NULL; the cgroup area parses it */
	const json_t *seccomp;           /* linux.seccomp (validated) or NULL; the security area compiles it */
	/* the caller's annotations object (or NULL), borrowed; never an
	 * io.berth.* key (refused: spec/ext.h) */
	const json_t *annotations;
	/* berth's own settings (network, ports, dns, image, privileged, cgroup
	 * parent, stop signal): a copy of the spec handle's, owned (set by the
	 * create after the parse, kept when the spec is rewritten) */
	berth__spec_ext ext;
	/* the copy of the spec volumes and the network rewrote (one reference),
	 * or NULL: hostname, mounts and namespaces borrow from it (config_update) */
	json_t *rewritten;
} berth__config;

/* Validates an OCI spec (every field berth reads, errors naming the field:
 * "linux.namespaces[2].type: ...") and fills *out (freed with
 * berth__config_free). out NULL: validate only. (validate.c) */
BERTH_HIDDEN int berth__config_parse(berth__config **out, json_t *spec);
/* spec: a copy of the parsed spec that volumes or the network rewrote
 * (they change mounts, linux.namespaces and hostname, nothing else). Those
 * fields are parsed again from it, checked as the parse does, and cfg keeps
 * a reference to it; the rest of cfg stays. On failure cfg has no mounts,
 * namespaces or hostname (it is freed then). */
BERTH_HIDDEN int berth__config_update(berth__config *cfg, json_t *spec);
/* Only the process object (an exec's): validated and filled into *out,
 * whose strings and arrays live in the arena of cfg. */
BERTH_HIDDEN int berth__config_parse_process(berth__cfg_process *out, berth__config *cfg, const json_t *proc);
BERTH_HIDDEN void berth__config_free(berth__config *cfg);

/* --- arena of a config (config.c) --- */
BERTH_HIDDEN berth__config *berth__config_new(json_t *spec);
/* n zeroed bytes that live as long as cfg; NULL with the error set. */
BERTH_HIDDEN void *berth__config_alloc(berth__config *cfg, size_t n);
/* The strings of a JSON array (already checked to be strings), NULL-terminated. */
BERTH_HIDDEN const char *const *berth__config_strv(berth__config *cfg, const json_t *arr, size_t *n);
/* RLIMIT_* of a canonical name ("RLIMIT_NOFILE"); -1 if unknown. */
BERTH_HIDDEN int berth__config_rlimit_resource(const char *canon);

#endif
