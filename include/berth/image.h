/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * image.h: image references (this part is complete), and — landing over the
 * next sessions — the OCI image store, registry pull/push and containers from
 * images (issue 4).
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- references ---
 * Parsed and normalised as Docker does:
 *   "mongo"                    -> docker.io/library/mongo:latest
 *   "user/app:1.2"             -> docker.io/user/app:1.2
 *   "index.docker.io/x/y"      -> docker.io/x/y:latest
 *   "localhost:5000/a/b:tag"   -> localhost:5000/a/b:tag
 *   "name@sha256:<64 hex>"     -> docker.io/library/name@sha256:...  (no tag added)
 *   "name:tag@sha256:<64 hex>" -> both kept
 * The first component is a domain when it contains '.' or ':' or is
 * "localhost". Repositories are lowercase; a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
 * the whole name at most 255 characters. Errors (BERTH_EINVAL) name the
 * offending part: "reference 'Mongo': repository name must be lowercase". */
typedef struct berth_ref berth_ref;

BERTH_EXTERN int berth_ref_parse(berth_ref **out, const char *reference);
BERTH_EXTERN void berth_ref_free(berth_ref *ref);
/* Borrowed strings, valid while ref lives. */
BERTH_EXTERN const char *berth_ref_domain(const berth_ref *ref);     /* "docker.io" */
BERTH_EXTERN const char *berth_ref_path(const berth_ref *ref);       /* "library/mongo" */
BERTH_EXTERN const char *berth_ref_tag(const berth_ref *ref);        /* "latest", or NULL with only a digest */
BERTH_EXTERN const char *berth_ref_digest(const berth_ref *ref);     /* "sha256:...", or NULL */
/* The full normalised form: "docker.io/library/mongo:latest". */
BERTH_EXTERN const char *berth_ref_string(const berth_ref *ref);
/* The short form Docker shows: "mongo:latest", "user/app:1.2",
 * "localhost:5000/a/b:tag". */
BERTH_EXTERN const char *berth_ref_familiar(const berth_ref *ref);
/* The registry host to talk to: "registry-1.docker.io" for docker.io, else the domain. */
BERTH_EXTERN const char *berth_ref_registry(const berth_ref *ref);

#ifdef __cplusplus
}
#endif
#endif
