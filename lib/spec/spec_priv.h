/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Helpers shared by the files of lib/spec: the handle and its JSON helpers
 * (spec.c), the setters (process.c, mounts.c, linux.c, security.c,
 * annotations.c), the reader (pointer.c) and validation (validate.c). */
#ifndef BERTH_SPEC_PRIV_H
#define BERTH_SPEC_PRIV_H

#include "internal.h"
#include "spec/ext.h"
#include "security/security.h"

/* "RLIMIT_NOFILE", "nofile", "NoFile" -> "RLIMIT_NOFILE" (static string);
 * NULL if unknown. */
BERTH_HIDDEN const char *berth__spec_rlimit_canon(const char *name);
/* The berth_ns_type of an OCI namespace name ("network", not "net"); 0 if unknown. */
BERTH_HIDDEN int berth__spec_ns_type(const char *oci_name);
/* hostname: at most 64 of [A-Za-z0-9._-], not starting with '-' or '.'.
 * allow_empty accepts "". Errors name field. */
BERTH_HIDDEN int berth__spec_check_hostname(const char *field, const char *h, int allow_empty);
/* A sysctl key: "net.ipv4.ip_forward" style, no '/', no "..", and one the
 * kernel namespaces. *ns_type gets the namespace it needs (BERTH_NS_NET,
 * BERTH_NS_IPC or BERTH_NS_UTS). Errors name field. */
BERTH_HIDDEN int berth__spec_check_sysctl_key(const char *field, const char *key, int *ns_type);
/* An absolute path without ".." components. Errors "<field>: must be an absolute path". */
BERTH_HIDDEN int berth__spec_check_abs_path(const char *field, const char *path);

/* --- the JSON helpers of the setters (spec.c) --- */

/* EINVAL "<what>: NULL spec" unless spec holds a JSON object. */
BERTH_HIDDEN int berth__spec_check(const berth_spec *spec, const char *what);
/* A JSON array of strings from a NULL-terminated vector (NULL: []); NULL on ENOMEM. */
BERTH_HIDDEN json_t *berth__spec_strv_json(const char *const *v);
/* obj[key] = v (reference stolen); ENOMEM when v is NULL or the set fails. */
BERTH_HIDDEN int berth__spec_set_new(json_t *obj, const char *key, json_t *v);
/* The object member key of parent; created when absent and create is set.
 * *out NULL when absent and !create. EINVAL "<field>: must be an object". */
BERTH_HIDDEN int berth__spec_child_obj(json_t **out, json_t *parent, const char *key, const char *field, int create);
/* The array member key of parent (created empty when absent and create). */
BERTH_HIDDEN int berth__spec_child_array(json_t **out, json_t *parent, const char *key, const char *field, int create);

/* Puts e (stolen) in place of the entry of arr whose "type" member is type
 * (compared after canon when given: "nofile" is "RLIMIT_NOFILE"), else
 * appends it. 0 (thread error cleared) or BERTH_ENOMEM. */
BERTH_HIDDEN int berth__spec_put_typed(json_t *arr, json_t *e, const char *type, const char *(*canon)(const char *));

/* A setter's success: clears the thread error, returns 0. */
static inline int berth__spec_ok(void)
{
	berth__err_ok();
	return 0;
}

/* The process object of spec (created when absent). */
static inline int berth__spec_process_obj(json_t **out, berth_spec *spec)
{
	return berth__spec_child_obj(out, spec->root, "process", "process", 1);
}

/* Docker's default masked and read-only paths (spec.c; NULL-terminated). */
BERTH_HIDDEN extern const char *const berth__spec_default_masked[];
BERTH_HIDDEN extern const char *const berth__spec_default_readonly[];

/* --- shared by the defaults (spec.c) and the setters --- */

/* security.c: the mask of Docker's default capabilities. */
BERTH_HIDDEN int berth__spec_default_caps_mask(uint64_t *out);
/* security.c: a capabilities object, a copy of old (unknown members kept) with
 * the sets of cs; NULL on ENOMEM. */
BERTH_HIDDEN json_t *berth__spec_caps_object(const json_t *old, const berth__capsets *cs);
/* mounts.c: a mount object; NULL on ENOMEM. */
BERTH_HIDDEN json_t *berth__spec_mount_object(const char *dest, const char *type, const char *source,
                                              const char *const *opts);
/* mounts.c: do two mount destinations name the same path (trailing '/' ignored)? */
BERTH_HIDDEN int berth__spec_same_dest(const char *a, const char *b);
/* linux.c: a namespace object {type[, path]}; one without "type" if type is unknown. */
BERTH_HIDDEN json_t *berth__spec_ns_object(int type, const char *path);

#endif
