/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Capabilities (libcap, in the parent) and seccomp (libseccomp, compiled in the
 * parent into a classic BPF program the child loads with a raw syscall). */
#ifndef BERTH_SECURITY_H
#define BERTH_SECURITY_H

#include "internal.h"
#include <linux/filter.h>

/* Capability sets as bit masks (bit N = capability N). */
typedef struct berth__capsets {
	uint64_t bounding, effective, permitted, inheritable, ambient;
} berth__capsets;

/* Highest capability number the running kernel knows (libcap's cap_max_bits() - 1). */
BERTH_HIDDEN int berth__cap_last(void);
/* "CAP_CHOWN", "chown", "Chown" -> 0 (libcap's names). BERTH_EINVAL naming
 * the capability if unknown; BERTH_EUNSUPPORTED if libcap cannot be loaded. */
BERTH_HIDDEN int berth__cap_from_name(int *out, const char *name);
/* Writes "CAP_CHOWN" for 0 into out (size bytes): 0, or -1 if libcap has no
 * name for cap. */
BERTH_HIDDEN int berth__cap_name(char *out, size_t size, int cap);
/* Clamps s to what the calling process holds (libcap: cap_get_bound,
 * cap_get_proc): a container cannot get a capability its creator lacks.
 * last: berth__cap_last(). */
BERTH_HIDDEN int berth__caps_bound_by_caller(berth__capsets *s, int last);
#ifdef BERTH_LIBCAP_DLOPEN
/* Why libcap cannot be loaded (cap_dl.c, from cap.dl), or NULL. */
BERTH_HIDDEN const char *berth__libcap_error(void);
#endif
/* Docker's default capability set (14 names, "CAP_..."), NULL-terminated. */
BERTH_HIDDEN extern const char *const berth__default_caps[];
/* Reads OCI process.capabilities (may be NULL: no capabilities at all).
 * field names the JSON location for errors ("process.capabilities"). */
BERTH_HIDDEN int berth__caps_from_json(berth__capsets *out, const json_t *caps);
/* Builds a JSON array of "CAP_..." names from a mask. */
BERTH_HIDDEN json_t *berth__caps_to_json(uint64_t mask);

/* Docker's default seccomp profile as an OCI linux.seccomp object, for a
 * container whose bounding set is caps (Docker adds syscalls per capability,
 * e.g. CAP_SYS_ADMIN allows mount). New reference. */
BERTH_HIDDEN json_t *berth__seccomp_default(uint64_t caps);
/* Converts a Docker seccomp profile (defaultAction, syscalls[].names,
 * includes/excludes by caps and arches, archMap) to an OCI linux.seccomp
 * object. An OCI object is returned as is (new reference). */
BERTH_HIDDEN int berth__seccomp_from_profile(json_t **out, const json_t *profile, uint64_t caps);
/* Validates an OCI linux.seccomp object (field names in errors). */
BERTH_HIDDEN int berth__seccomp_validate(const json_t *seccomp);
/* Compiles an OCI linux.seccomp object for the native architecture (and
 * those listed) into BPF. out->filter is malloc'd; free() it. */
BERTH_HIDDEN int berth__seccomp_compile(struct sock_fprog *out, const json_t *seccomp);

/* berth__seccomp_compile through an on-disk cache in cache_dir (NULL: no cache). */
BERTH_HIDDEN int berth__seccomp_compile_cached(struct sock_fprog *out, const json_t *seccomp, const char *cache_dir);

/* "2.5.4": the version of the libseccomp a compile in this process would
 * use, remembered in cache_dir (may be NULL) while its file is unchanged
 * (seccomp_version.c). -1 if libseccomp cannot be loaded. */
BERTH_HIDDEN int berth__seccomp_runtime_version(char *out, size_t size, const char *cache_dir);

/* Why libseccomp could not be loaded (seccomp_dl.c, from seccomp.dl), or NULL. */
BERTH_HIDDEN const char *berth__seccomp_dl_error(void);

#endif
