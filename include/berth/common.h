/* berth — embeddable containers. SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * common.h: version, export macro, error codes, the per-thread error, berth_free().
 */
#ifndef BERTH_COMMON_H
#define BERTH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_VERSION_MAJOR 0
#define BERTH_VERSION_MINOR 2
#define BERTH_VERSION_PATCH 0
#define BERTH_VERSION_STRING "0.2.0"

#if defined(BERTH_BUILDING)
#define BERTH_EXTERN __attribute__((visibility("default")))
#else
#define BERTH_EXTERN
#endif

/* Every function that can fail returns 0 or one of these (negative) codes.
 * The details are in berth_error_last(). */
typedef enum berth_error_code {
	BERTH_OK = 0,
	BERTH_ERROR = -1,        /* generic failure */
	BERTH_EINVAL = -2,       /* invalid argument or configuration */
	BERTH_ENOTFOUND = -3,    /* object does not exist */
	BERTH_EEXISTS = -4,      /* object already exists */
	BERTH_ESTATE = -5,       /* operation not valid in the object's state */
	BERTH_ESYS = -6,         /* a system call failed (see sys_errno) */
	BERTH_ENOMEM = -7,       /* out of memory */
	BERTH_EAUTH = -8,        /* authentication failed */
	BERTH_EDIGEST = -9,      /* content digest mismatch */
	BERTH_ENET = -10,        /* network failure */
	BERTH_EBUSY = -11,       /* object in use */
	BERTH_EUNSUPPORTED = -12,/* not supported on this host or build */
	BERTH_EPERM = -13,       /* not permitted */
	BERTH_ETIMEOUT = -14,    /* timed out */
	BERTH_ECANCELED = -15    /* stopped by the caller: a callback returned non-zero (since 0.2) */
} berth_error_code;

/* The last error of the calling thread. Valid until the next berth call on this
 * thread. Never NULL: after success, code is 0 and message is "". */
typedef struct berth_error {
	int code;            /* a berth_error_code */
	int sys_errno;       /* errno of the failing system call, or 0 */
	const char *message; /* names the object and the cause */
} berth_error;

/* The calling thread's last error (see berth_error above); borrowed, never
 * NULL. Since: 0.1 */
BERTH_EXTERN const berth_error *berth_error_last(void);
/* Resets the calling thread's error to code 0, message "". Since: 0.1 */
BERTH_EXTERN void berth_error_clear(void);
/* A static description of a berth_error_code ("not found"). Since: 0.1 */
BERTH_EXTERN const char *berth_strerror(int code);

/* Release memory the library allocated and handed to the caller (strings,
 * string arrays). Accepts NULL. Since: 0.1 */
BERTH_EXTERN void berth_free(void *ptr);

/* The library's version, "0.2.0". Since: 0.1 */
BERTH_EXTERN const char *berth_version(void);

#ifdef __cplusplus
}
#endif
#endif
