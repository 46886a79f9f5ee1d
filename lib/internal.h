/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Internal helpers shared by every area. Never exported (berth__ prefix,
 * hidden visibility). */
#ifndef BERTH_INTERNAL_H
#define BERTH_INTERNAL_H

#include <berth/berth.h>
#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

#define BERTH_HIDDEN __attribute__((visibility("hidden")))
#define BERTH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define BERTH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- errors (lib/common/error.c) --- */
/* Sets the thread's error and returns code. */
BERTH_HIDDEN int berth__err(int code, const char *fmt, ...) BERTH_PRINTF(2, 3);
/* Same, with errno appended as ": <strerror>" and recorded as sys_errno. The
 * code is derived from errno (ENOENT -> BERTH_ENOTFOUND, EEXIST -> EEXISTS,
 * EPERM/EACCES -> EPERM, ENOMEM -> ENOMEM, EINVAL -> EINVAL, else ESYS). */
BERTH_HIDDEN int berth__err_sys(int errnum, const char *fmt, ...) BERTH_PRINTF(2, 3);
BERTH_HIDDEN int berth__err_nomem(void);
/* Prefixes the current error message with "prefix: ". Returns the code. */
BERTH_HIDDEN int berth__err_prefix(const char *fmt, ...) BERTH_PRINTF(1, 2);
BERTH_HIDDEN void berth__err_ok(void);
/* Each of the three above returns a negative BERTH_E* code. The macros below
 * say so where the compiler sees it: it can then prove that a caller's
 * "if (r < 0) return r;" skips the outputs a failed helper left unset (gcc's
 * -Wmaybe-uninitialized at -O2/-O3 reports them otherwise). */
static inline int berth__neg(int code) { return code < 0 ? code : BERTH_ESYS; }
#ifndef BERTH__ERROR_IMPL
#define berth__err(...) berth__neg(berth__err(__VA_ARGS__))
#define berth__err_sys(...) berth__neg(berth__err_sys(__VA_ARGS__))
#define berth__err_nomem() berth__neg(berth__err_nomem())
#endif

/* A step that tests can make fail on purpose (lib/common/fault.c): returns
 * 0, or, in a build with -DBERTH_FAULT_INJECTION=ON and BERTH_FAULT=point set,
 * BERTH_ESYS with "fault injected at <point>". The constant 0 otherwise. */
#ifdef BERTH_FAULT_INJECTION
BERTH_HIDDEN int berth__fault(const char *point);
#define BERTH_FAULT(point) berth__fault(point)
#else
#define BERTH_FAULT(point) 0
#endif
/* Saves/restores the thread's error around cleanup code that may overwrite it. */
typedef struct { int code, sys_errno; char *message; } berth__err_saved;
BERTH_HIDDEN void berth__err_save(berth__err_saved *s);
BERTH_HIDDEN void berth__err_restore(berth__err_saved *s);

/* --- arenas (lib/common/arena.c) --- */
/* n zeroed bytes (and a NUL after them) chained on *arena; NULL with the error set. */
BERTH_HIDDEN void *berth__arena_alloc(void **arena, size_t n);
/* Frees every allocation of *arena at once and empties it. */
BERTH_HIDDEN void berth__arena_free(void **arena);

/* --- logging (lib/common/context.c) --- */
BERTH_HIDDEN void berth__log(berth_ctx *ctx, int level, const char *fmt, ...) BERTH_PRINTF(3, 4);

/* --- strings and files (lib/common/util.c) --- */
BERTH_HIDDEN char *berth__strdup(const char *s);              /* NULL on ENOMEM (error set) */
BERTH_HIDDEN char *berth__sprintf(const char *fmt, ...) BERTH_PRINTF(1, 2);
BERTH_HIDDEN char *berth__path_join(const char *a, const char *b);
/* mkdir -p with mode for the created components. */
BERTH_HIDDEN int berth__mkdir_p(const char *path, mode_t mode);
/* 1 if s is a non-empty string of decimal digits. */
BERTH_HIDDEN int berth__all_digits(const char *s);
/* Looks up an /etc/passwd- or /etc/group-style stream (name:x:id:gid...):
 * the entry named name or, name NULL, the first whose id is *id. Sets *id
 * and, gid non-NULL, *gid (field 4, -1 when absent). 0 found, -1 not. Never
 * the host's NSS: the caller opens the image's own file. */
BERTH_HIDDEN int berth__id_file_lookup(FILE *f, const char *name, long *id, long *gid);
/* The file rel ("etc/passwd") of a root given as directories, lowest first
 * (one rootfs, or an image's layer dirs): from the highest one that has it,
 * unless a whiteout, an opaque directory or a non-directory parent above
 * hides it; each path resolved inside its directory (berth__open_in_root).
 * NULL when absent, hidden or not a regular file (lib/common/passwd.c). */
BERTH_HIDDEN FILE *berth__root_fopen(char *const *dirs, size_t n, const char *rel);
/* "NAME[:GROUP]" or "UID[:GID]" as Docker resolves them against the root's
 * /etc/passwd and /etc/group (dirs as above; n 0: no files): a user
 * without group gets its passwd entry's primary group (0 without one).
 * BERTH__USER_CHOWN (COPY --chown): a numeric user is not looked up and,
 * without group, gets gid = uid. BERTH_EINVAL "user 'SPEC': ..." (the
 * caller prefixes what it resolves for). */
#define BERTH__USER_CHOWN 1
BERTH_HIDDEN int berth__user_resolve(uint32_t *uid, uint32_t *gid, char *const *dirs, size_t n, const char *user,
                                     int flags);
/* openat2(root, rel, flags | O_CLOEXEC) with RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS: symlinks and ".." resolve as if root were "/"; ""
 * is the root itself; EAGAIN (a concurrent rename) retried a bounded number
 * of times. No O_CREAT (no mode is passed). -1 with errno. System calls
 * only: safe in the container's init before execve (lib/common/inroot.c). */
BERTH_HIDDEN int berth__open_in_root(int root, const char *rel, int flags);
/* Reading whole files (lib/common/slurp.c): the one helper for it.
 * berth__slurp_fd: everything fd gives until its end into a malloc'd
 * NUL-terminated buffer (*out_len: the length, may be NULL). 0, or -errno
 * (-EFBIG: more than max bytes) without touching the thread's error.
 * berth__read_file_max: path, opened O_CLOEXEC; errors set ("open PATH: ...",
 * "read PATH: larger than MAX bytes"). berth__read_file: bounded by
 * BERTH__READ_FILE_MAX. */
#define BERTH__READ_FILE_MAX ((size_t)256 << 20)
BERTH_HIDDEN int berth__slurp_fd(char **out, size_t *out_len, int fd, size_t max);
BERTH_HIDDEN int berth__read_file_max(char **out, size_t *out_len, const char *path, size_t max);
BERTH_HIDDEN int berth__read_file(char **out, size_t *out_len, const char *path);
/* Atomic write: path.tmp.<pid>.<n> then fsync-free rename (crash-consistent enough for runtime state). */
BERTH_HIDDEN int berth__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* rm -rf that does not cross mount points and does not follow symlinks. */
BERTH_HIDDEN int berth__rm_rf(const char *path);
/* The same as a cleanup: the thread's error is left as it is. */
BERTH_HIDDEN void berth__rm_rf_quiet(const char *path);
/* fdopendir(fd) that closes fd when it fails (errno kept); fd < 0 (a failed
 * open or dup passed on): NULL, errno as that call left it. */
BERTH_HIDDEN DIR *berth__fdopendir(int fd);
/* The same for name in dfd; 0 or -errno (no error set). */
BERTH_HIDDEN int berth__rm_at(int dfd, const char *name);
/* A strings array in one allocation (pointers then bytes), freed with free(). */
BERTH_HIDDEN char **berth__strv_pack(char *const *strs, size_t n);
/* The names in d but "." and "..", sorted (strcmp), NULL-terminated in one
 * allocation (free()); *n their number. BERTH_ENOMEM (lib/common/dirnames.c). */
BERTH_HIDDEN int berth__dir_names(char ***out, size_t *n, DIR *d);
/* 32 random bytes as 64 hex chars into buf[65]. */
BERTH_HIDDEN int berth__random_hex(char *buf, size_t nbytes);
/* Checks an id or name: [A-Za-z0-9][A-Za-z0-9_.-]*, max 128. what = "id"/"name". */
BERTH_HIDDEN int berth__check_id(const char *what, const char *id);
BERTH_HIDDEN uint64_t berth__now_ns(void);
/* RFC 3339 UTC with nanoseconds. buf >= 40 bytes. */
BERTH_HIDDEN void berth__format_time(char *buf, size_t len, uint64_t ns);
/* Reads field 22 (starttime) of /proc/pid/stat; 0 if gone. */
BERTH_HIDDEN uint64_t berth__proc_start_time(pid_t pid);
/* The same, and the state letter (R, S, Z, ...) into *state when not NULL. */
BERTH_HIDDEN uint64_t berth__proc_stat(pid_t pid, char *state);
/* recvmsg of len bytes and at most one SCM_RIGHTS descriptor (-1 if none,
 * close-on-exec). Returns recvmsg's result. */
BERTH_HIDDEN ssize_t berth__recv_fd(int sock, void *buf, size_t len, int *out_fd);
/* Sends len bytes of buf with fd attached (SCM_RIGHTS): 0, or -1 with errno.
 * Only system calls: usable between clone and exec. */
BERTH_HIDDEN int berth__send_fd(int sock, const void *buf, size_t len, int fd);

/* --- versioned options structs and sizes (lib/common/options.c) --- */
/* The one check of a versioned struct's version field (libgit2's rule): 0 <
 * version <= current is accepted, so a caller built against an older header
 * keeps working. Otherwise BERTH_EINVAL "<name>: unknown version V (this
 * library knows 1 to C; start from NAME_INIT or <name>_init())"; name is the
 * struct's type ("berth_pull_options"). A function that reads the caller's
 * struct in place may do so only while current is 1: once the struct has
 * grown, it copies the caller's version with berth__options_copy. */
BERTH_HIDDEN int berth__check_version(unsigned int version, unsigned int current, const char *name);
/* The body of every berth_x_options_init(opts, version): BERTH_EINVAL for
 * a NULL opts or an unknown version (berth__check_version), else the first
 * sizes[version - 1] bytes of the template tmpl (a static const: no
 * indeterminate padding reaches the caller) with the version set. nversions
 * is the number of sizes, the current version. */
BERTH_HIDDEN int berth__options_init(void *opts, unsigned int version, const void *tmpl, const size_t *sizes,
                                     unsigned int nversions, const char *name);
/* Copies a caller's options struct of any known version into dst (already
 * holding the current version's defaults): sizes[v - 1] is the size of
 * version v, nversions the current version. Fields newer than the caller's
 * version keep their defaults. what: the struct's type, for
 * berth__check_version's error. */
BERTH_HIDDEN int berth__options_copy(void *dst, const void *src, const size_t *sizes, unsigned nversions,
	const char *what);
/* "1024", "512k", "10G", "1.5GiB"... (powers of 1024) into *out; -1 if malformed. */
BERTH_HIDDEN int berth__parse_size(uint64_t *out, const char *s);
/* A size for messages: "812 B", "40.2 GiB", "1.0 TiB". buf >= 16 bytes. */
BERTH_HIDDEN void berth__format_size(char *buf, size_t len, uint64_t bytes);

/* --- libarchive, dlopen()ed on first use (lib/image/archive_dl.c) --- */
/* NULL once libarchive is loaded, else why it could not be. */
BERTH_HIDDEN const char *berth__archive_error(void);

/* --- SHA-256 (lib/common/sha256.c) --- */
typedef struct { _Alignas(8) unsigned char opaque[128]; } berth__sha256_ctx;
BERTH_HIDDEN void berth__sha256_init(berth__sha256_ctx *c);
BERTH_HIDDEN void berth__sha256_update(berth__sha256_ctx *c, const void *data, size_t len);
BERTH_HIDDEN void berth__sha256_final_hex(berth__sha256_ctx *c, char out[65]);

/* --- JSON (lib/common/json.c) --- */
BERTH_HIDDEN int berth__json_load_file(json_t **out, const char *path, const char *what);
BERTH_HIDDEN int berth__json_save_file(json_t *j, const char *path);
BERTH_HIDDEN char *berth__json_dump(const json_t *j, int pretty);

/* --- overlay mounts with the mount API (lib/common/overlay.c) --- */
/* A detached overlay mount in *out (close-on-exec; attach it with
 * move_mount(MOVE_MOUNT_F_EMPTY_PATH), close it when done): the lower
 * directories dirs (n, bottom first) and, with upper and work, a writable
 * upper layer; upper NULL: read-only (n >= 2). options: NULL or
 * NULL-terminated "name" / "name=value" overlay options. The directories go to
 * the kernel as file descriptors: no limit on their number (up to overlay's
 * 500) or their path length. Returns 0; 1 when the overlay filesystem cannot
 * be used here (none, a kernel before 6.8, a filesystem it refuses: the
 * error state, BERTH_EUNSUPPORTED, says which); < 0 an error naming what and the kernel's reason. */
BERTH_HIDDEN int berth__overlay_mount(int *out, char *const *dirs, size_t n, const char *upper, const char *work,
                                      const char *const *options, const char *what);

/* --- context internals --- */
struct berth_ctx {
	char *root;
	char *run_root;
	char *monitor_path;
	berth_log_cb log_cb;
	void *log_payload;
	int log_level;
	uint64_t max_blob_size, max_image_size; /* BERTH_SIZE_UNLIMITED: none */
};

/* Checks a cgroup parent path: relative, no '.', '..' or empty components
 * (lib/spec/resources.c). */
BERTH_HIDDEN int berth__cgroup_parent_check(const char *parent);

/* --- spec internals (lib/spec) --- */
/* berth's own settings of a spec: typed, never annotations (lib/spec/ext.h) */
typedef struct berth__spec_ext {
	char *network;       /* NULL: none */
	berth_port *ports;   /* published ports (n_ports) */
	size_t n_ports;
	char **dns;          /* NULL-terminated (berth__strv_pack), or NULL: the host's */
	char *image;         /* the image whose layers are the root filesystem, or NULL */
	char **exposed;      /* the image's ExposedPorts, sorted ("80/tcp"), NULL-terminated, or NULL */
	int privileged;
	char *cgroup_parent; /* NULL: "berth" */
	int stop_signal;     /* 0: SIGTERM */
} berth__spec_ext;
struct berth_spec {
	json_t *root; /* the config.json object; owned */
	/* Capabilities given to berth_spec_cap_drop() (not "ALL"): a later
	 * cap_add of them is ignored, as Docker's drop wins. Not serialised. */
	uint64_t caps_dropped;
	/* berth's own settings (network, ports, image, ...): never annotations */
	berth__spec_ext ext;
};
/* Borrowed JSON of a spec. */
static inline json_t *berth__spec_json(const berth_spec *s) { return s->root; }

#endif
