/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Helpers shared by lib/spec/spec.c and lib/spec/validate.c. */
#ifndef BERTH_SPEC_PRIV_H
#define BERTH_SPEC_PRIV_H

#include "internal.h"

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

#endif
