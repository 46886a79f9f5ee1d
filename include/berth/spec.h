/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * spec.h: berth_spec, a container's configuration. It is an OCI runtime-spec
 * 1.2 config.json (https://github.com/opencontainers/runtime-spec) with setters
 * for what programs set by hand. Setters validate their own argument; the whole
 * spec is validated by berth_spec_validate() and again at container create.
 * Validation errors name the field: "process.args: must be a non-empty array".
 */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

#include "common.h"
#include "cgroup.h"
#include "image.h"
#include "port.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_spec berth_spec;

/* A spec with berth's defaults, which are Docker's: args ["sh"], PATH and
 * TERM in env, cwd "/", uid 0, hostname "berth", rootfs "rootfs"; pid,
 * network, ipc, uts and mount namespaces; the OCI default mounts; Docker's
 * 14 default capabilities; the default seccomp profile; no_new_privileges;
 * masked and read-only paths; RLIMIT_NOFILE 1048576 capped at the caller's
 * hard limit. Since: 0.1 */
BERTH_EXTERN int berth_spec_new(berth_spec **out);
/* Parses config.json text (len bytes, need not be NUL-terminated) or a file.
 * Errors: BERTH_EINVAL with the JSON line/column or the field. Since: 0.1 */
BERTH_EXTERN int berth_spec_parse(berth_spec **out, const char *json, size_t len);
BERTH_EXTERN int berth_spec_load(berth_spec **out, const char *path);
/* Serialises (pretty-printed JSON). *out is released with berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_spec_to_json(char **out, const berth_spec *spec);
/* Writes config.json atomically (temp + rename). Since: 0.1 */
BERTH_EXTERN int berth_spec_save(const berth_spec *spec, const char *path);
/* A deep copy, freed with berth_spec_free(). Since: 0.1 */
BERTH_EXTERN int berth_spec_copy(berth_spec **out, const berth_spec *spec);
/* Accepts NULL. Since: 0.1 */
BERTH_EXTERN void berth_spec_free(berth_spec *spec);

/* Checks every field berth uses. BERTH_EINVAL naming the field. Since: 0.1 */
BERTH_EXTERN int berth_spec_validate(const berth_spec *spec);

/* --- process --- */
/* argv is NULL-terminated and non-empty. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_args(berth_spec *spec, const char *const *argv);
/* Replaces the whole environment (NULL-terminated "K=V" strings). Since: 0.1 */
BERTH_EXTERN int berth_spec_set_env(berth_spec *spec, const char *const *envp);
/* Sets one variable ("K=V"), replacing an existing K. Since: 0.1 */
BERTH_EXTERN int berth_spec_setenv(berth_spec *spec, const char *key_value);
/* The process's working directory, absolute. BERTH_EINVAL otherwise. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_cwd(berth_spec *spec, const char *cwd);
/* additional_gids may be NULL when n_additional is 0. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_user(berth_spec *spec, uint32_t uid, uint32_t gid,
                                     const uint32_t *additional_gids, size_t n_additional);
/* process.user from "NAME[:GROUP]" or "UID[:GID]" (docker run -u), names
 * looked up in the container root's /etc/passwd and /etc/group, never the
 * host's. root_dirs: the root as a NULL-terminated list of directories,
 * lowest first: one rootfs directory, or an image's layer directories
 * (berth_image_layer_dirs), where a file comes from the highest directory
 * that has it unless a whiteout or an opaque directory above hides it.
 * Paths are resolved inside each directory (symlinks do not leave it).
 * Without a group the user's primary group from /etc/passwd, 0 if it has no
 * entry. root_dirs NULL: only numeric ids resolve. Additional gids are
 * cleared. BERTH_EINVAL: malformed, no such user or group, id out of range
 * (0 to 4294967294). Since: 0.2 */
BERTH_EXTERN int berth_spec_set_user_name(berth_spec *spec, const char *const *root_dirs, const char *user);
/* process.terminal: the process gets a pseudo-terminal (on != 0). Since: 0.1 */
BERTH_EXTERN int berth_spec_set_terminal(berth_spec *spec, int terminal);
/* type is "RLIMIT_NOFILE" or "nofile". Replaces an existing entry. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_rlimit(berth_spec *spec, const char *type, uint64_t soft, uint64_t hard);
/* process.noNewPrivileges (on by default). Since: 0.1 */
BERTH_EXTERN int berth_spec_set_no_new_privileges(berth_spec *spec, int on);
/* -1000..1000 Since: 0.1 */
BERTH_EXTERN int berth_spec_set_oom_score_adj(berth_spec *spec, int adj);

/* Capabilities: "CAP_NET_ADMIN" or "NET_ADMIN", case-insensitive; "ALL" adds or
 * drops every capability. They apply to the bounding, effective, permitted
 * sets as Docker does; a dropped capability stays dropped even if added later. Since: 0.1 */
BERTH_EXTERN int berth_spec_cap_add(berth_spec *spec, const char *cap);
BERTH_EXTERN int berth_spec_cap_drop(berth_spec *spec, const char *cap);

/* --- root, hostname, mounts --- Since: 0.1 */
BERTH_EXTERN int berth_spec_set_rootfs(berth_spec *spec, const char *path, int readonly);
/* The UTS hostname. BERTH_EINVAL for a name that is not a valid hostname.
 * Since: 0.1 */
BERTH_EXTERN int berth_spec_set_hostname(berth_spec *spec, const char *hostname);
/* options: NULL-terminated, may be NULL. Replaces a mount at the same destination. Since: 0.1 */
BERTH_EXTERN int berth_spec_add_mount(berth_spec *spec, const char *destination, const char *type,
                                      const char *source, const char *const *options);
/* A recursive bind mount of a host path; read-only when readonly != 0. Since: 0.1 */
BERTH_EXTERN int berth_spec_add_bind(berth_spec *spec, const char *source, const char *destination,
                                     int readonly);
/* A volume (include/berth/volume.h) at destination: name NULL or "" is an
 * anonymous volume. The volume is created if missing, and seeded from the
 * image when empty, at container create; the stored config then has a bind
 * of its data. BERTH_EINVAL for a bad name or destination. Since: 0.1 */
BERTH_EXTERN int berth_spec_add_volume(berth_spec *spec, const char *name, const char *destination, int readonly);
/* Parses a Docker volume argument "SRC:DST[:OPTIONS]" as docker run -v:
 * SRC an absolute host path is a bind mount, anything else a volume's name
 * ("data:/var/lib/db"); "/DST" alone is an anonymous volume. OPTIONS: ro or
 * rw, a propagation (shared, rslave, ...), nocopy (no seeding of the volume
 * from the image); z, Z and consistency options are accepted and ignored. Since: 0.1 */
BERTH_EXTERN int berth_spec_add_volume_arg(berth_spec *spec, const char *arg);

/* --- namespaces (type: a berth_ns_type) --- */
/* Adds (or replaces) a namespace; path NULL creates a new one, a path joins it. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_namespace(berth_spec *spec, int type, const char *path);
BERTH_EXTERN int berth_spec_remove_namespace(berth_spec *spec, int type);
/* Adds a user-namespace id mapping (uid when gid == 0, else gid). Adds a user
 * namespace if the spec has none. Since: 0.1 */
BERTH_EXTERN int berth_spec_add_id_mapping(berth_spec *spec, int gid, uint32_t container_id,
                                           uint32_t host_id, uint32_t size);

/* --- security --- */
/* Sets linux.seccomp from an OCI seccomp JSON object, or from a Docker seccomp
 * profile file (both formats are accepted). NULL removes seccomp (unconfined). Since: 0.1 */
BERTH_EXTERN int berth_spec_set_seccomp_json(berth_spec *spec, const char *json);
BERTH_EXTERN int berth_spec_set_seccomp_file(berth_spec *spec, const char *path);
/* Restores the default profile for the spec's current capabilities. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_seccomp_default(berth_spec *spec);
/* --privileged: every capability, no seccomp, no masked or read-only paths,
 * /sys read-write, the host's devices. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_privileged(berth_spec *spec, int on);
/* linux.sysctl; the key is "net.ipv4.ip_forward" style. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_sysctl(berth_spec *spec, const char *key, const char *value);
/* An OCI annotation (NULL value removes it). Keys starting with "io.berth."
 * are reserved for berth: BERTH_EINVAL naming the key (berth's own settings
 * have setters: network, ports, dns, image, privileged, cgroup parent). Since: 0.1 */
BERTH_EXTERN int berth_spec_set_annotation(berth_spec *spec, const char *key, const char *value);

/* --- resources (cgroups) --- */
/* Sets linux.resources from the fields of res that are set (others keep
 * their value). Values are checked as berth_cgroup_set() checks them. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_resources(berth_spec *spec, const berth_cgroup_resources *res);
/* The parent of the container's cgroup ("berth" when unset); no "..". Used
 * unless linux.cgroupsPath is set. Since: 0.1 */
BERTH_EXTERN int berth_spec_set_cgroup_parent(berth_spec *spec, const char *parent);

/* --- images --- */
/* Makes the spec run img as `docker run` does: the root filesystem is an
 * overlay of the image's layers with the container's own upper layer; the
 * image's Env replaces the environment, WorkingDir sets cwd, User sets the
 * user (a name is looked up in the image's own /etc/passwd and /etc/group,
 * never the host's), StopSignal the stop signal. The process is the
 * entrypoint followed by cmd: entrypoint NULL keeps the image's Entrypoint,
 * "" clears it, anything else replaces it (and then the image's Cmd is not
 * used); cmd NULL or empty means the image's Cmd. Call it before the other
 * process setters (-e, -w, -u), which then override the image's values.
 * BERTH_EINVAL when the result has no command ("no command: the image has
 * no Entrypoint or Cmd"). Since: 0.1 */
BERTH_EXTERN int berth_spec_set_image(berth_spec *spec, berth_image *img, const char *entrypoint,
                                      const char *const *cmd);

/* --- network (modes and ports: see net.h) --- */
/* The network mode: "none", "host", "bridge", "container:ID" or a network
 * made with berth_network_create() (net.h). BERTH_EINVAL for a malformed
 * mode. Since: 0.1 (declared in net.h before 0.2) */
BERTH_EXTERN int berth_spec_set_network(berth_spec *spec, const char *mode);
/* Publishes a port (port.h); the spec keeps a copy, the caller keeps port.
 * Needs a bridge network at create (BERTH_EINVAL otherwise); BERTH_EINVAL
 * for an invalid port, BERTH_EEXISTS for a host port already published.
 * Since: 0.1 (a struct before 0.2; the 0.1 symbol is kept) */
BERTH_EXTERN int berth_spec_add_port(berth_spec *spec, const berth_port *port);
/* DNS servers for the container's /etc/resolv.conf, a NULL-terminated list
 * of IP addresses (NULL: the host's). BERTH_EINVAL naming a server that is
 * not an IP address. Since: 0.1 (declared in net.h before 0.2) */
BERTH_EXTERN int berth_spec_set_dns(berth_spec *spec, const char *const *servers);

/* --- reading --- */
/* Any field by JSON pointer ("/process/args"), serialised as JSON;
 * BERTH_ENOTFOUND if absent. *out released with berth_free(). Since: 0.1 */
BERTH_EXTERN int berth_spec_get(char **out, const berth_spec *spec, const char *json_pointer);
/* The network mode set by berth_spec_set_network(): "none" when unset;
 * borrowed, valid until the spec changes; NULL for a NULL spec. Since: 0.2 */
BERTH_EXTERN const char *berth_spec_network(const berth_spec *spec);
/* The id of the image set by berth_spec_set_image() (its layers are the
 * root filesystem), borrowed; NULL when none. Since: 0.2 */
BERTH_EXTERN const char *berth_spec_image(const berth_spec *spec);
/* The ports published on the spec (as given: host port 0 or a pool until
 * create). *out is released with berth_port_list_free() and may be empty.
 * BERTH_EINVAL for a NULL argument. Since: 0.2 */
BERTH_EXTERN int berth_spec_ports(berth_port_list **out, const berth_spec *spec);

#ifdef __cplusplus
}
#endif
#endif
