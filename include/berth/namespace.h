/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * namespace.h: Linux namespace kinds and standalone helpers, usable without a
 * container.
 */
#ifndef BERTH_NAMESPACE_H
#define BERTH_NAMESPACE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum berth_ns_type {
	BERTH_NS_PID = 1,
	BERTH_NS_NET = 2,
	BERTH_NS_MOUNT = 3,
	BERTH_NS_UTS = 4,
	BERTH_NS_IPC = 5,
	BERTH_NS_USER = 6,
	BERTH_NS_CGROUP = 7,
	BERTH_NS_TIME = 8
} berth_ns_type;

/* Bit for a type in a mask of types. */
#define BERTH_NS_BIT(t) (1u << (t))

/* OCI name of a type ("pid", "network", "mount", "uts", "ipc", "user",
 * "cgroup", "time"), or NULL for an unknown type. Since: 0.1 */
BERTH_EXTERN const char *berth_ns_type_name(int type);
/* Parses an OCI name (also accepts "net" and "mnt"). BERTH_EINVAL if unknown. Since: 0.1 */
BERTH_EXTERN int berth_ns_type_from_name(int *out, const char *name);
/* The CLONE_NEW* flag of a type, 0 for an unknown one. Since: 0.1 */
BERTH_EXTERN unsigned long berth_ns_clone_flag(int type);

/* Moves the calling thread into new namespaces of every type in mask
 * (BERTH_NS_BIT). A new net namespace gets its loopback brought up.
 * The mount and user types need a single-threaded caller (kernel rule). Since: 0.1 */
BERTH_EXTERN int berth_ns_unshare(unsigned int mask);

/* Joins the namespace at path (e.g. /proc/PID/ns/net, or a bind mount of one).
 * type 0 accepts any type; otherwise the file must be of that type. Since: 0.1 */
BERTH_EXTERN int berth_ns_join(const char *path, int type);

/* Opens the namespace of a type of process pid (0: the caller); the caller
 * owns and closes *out. Since: 0.1 */
BERTH_EXTERN int berth_ns_open(int *out, int pid, int type);

/* Brings up the loopback interface of the caller's network namespace. Since: 0.1 */
BERTH_EXTERN int berth_ns_loopback_up(void);

#ifdef __cplusplus
}
#endif
#endif
