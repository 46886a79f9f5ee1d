/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The registry client (internal): libcurl loaded on first use
 * (lib/image/curl_dl.c) and the distribution-spec HTTP helpers used by
 * berth_image_pull (lib/image/registry.c, registry_http.c).
 */
#ifndef BERTH_IMAGE_REGISTRY_H
#define BERTH_IMAGE_REGISTRY_H

#include "image/store.h"
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

/* --- libcurl, dlopen()ed on first use (curl_dl.c) ---
 * curl_easy_init, curl_easy_perform, curl_easy_cleanup, curl_easy_strerror,
 * curl_easy_escape, curl_free, curl_slist_append and curl_slist_free_all are
 * defined as hidden wrappers with libcurl's prototypes. curl_easy_setopt and
 * curl_easy_getinfo are variadic: berth calls them through these typed helpers. */
BERTH_HIDDEN const char *berth__curl_error(void); /* NULL once libcurl is loaded, else why not */
BERTH_HIDDEN CURLcode berth__curl_setopt_long(CURL *c, CURLoption o, long v);
BERTH_HIDDEN CURLcode berth__curl_setopt_ptr(CURL *c, CURLoption o, const void *v);
BERTH_HIDDEN CURLcode berth__curl_setopt_off(CURL *c, CURLoption o, curl_off_t v);
/* function pointers (write/header callbacks) */
BERTH_HIDDEN CURLcode berth__curl_setopt_fn(CURL *c, CURLoption o, void (*fn)(void));
BERTH_HIDDEN CURLcode berth__curl_getinfo_long(CURL *c, CURLINFO i, long *v);
BERTH_HIDDEN CURLcode berth__curl_getinfo_off(CURL *c, CURLINFO i, curl_off_t *v);

/* --- registry HTTP (registry_http.c) --- */
typedef struct berth__reg {
	char host[256];     /* registry host[:port] as used in URLs */
	char path[256];     /* repository path */
	char scheme[8];     /* "http" or "https" */
	int tls_verify;     /* 0: do not verify certificates (and fall back to http) */
	int scheme_fixed;   /* a request succeeded with this scheme */
	char *basic;        /* base64 "user:pass", or NULL */
	char *authz;        /* the Authorization header line in use, or NULL */
	const char *what;   /* "pull <ref>", for messages */
} berth__reg;

/* Where a response body goes. */
typedef struct berth__reg_sink {
	/* memory: body (malloc'd), len; at most max bytes */
	char *body;
	size_t len, max;
	/* or a blob writer (w non-NULL): exactly expect bytes, progress reported */
	berth__blob_writer *w;
	uint64_t expect;
	const char *digest;
	berth_pull_progress_cb progress;
	void *payload;
	/* response headers of interest */
	char content_type[256];
	char docker_digest[BERTH__DIGEST_LEN + 8];
	/* internal */
	long status;
	char www_auth[1024];
	char errbody[512];
	size_t errlen;
	int failed; /* a write error (error set) */
} berth__reg_sink;

BERTH_HIDDEN int berth__reg_init(berth__reg *g, const berth_ref *ref, const berth_pull_options *opts, const char *what);
BERTH_HIDDEN void berth__reg_free(berth__reg *g);
/* GET /v2/<path>/<kind>/<ref> ("manifests"/"blobs"). accept may be NULL.
 * Handles auth challenges, retries 5xx, follows redirects; maps status codes
 * to errors (404 names "manifest unknown"/"blob unknown"). */
BERTH_HIDDEN int berth__reg_get(berth__reg *g, const char *kind, const char *ref, const char *accept,
	berth__reg_sink *sink);
/* Helpers, unit-testable. */
BERTH_HIDDEN int berth__reg_is_loopback(const char *host);
/* Parses a WWW-Authenticate header: *scheme_bearer 1 for Bearer, 0 for Basic;
 * realm/service/scope copied (empty when absent). -1 if not understood. */
BERTH_HIDDEN int berth__reg_parse_challenge(const char *h, int *bearer, char *realm, size_t rlen, char *service,
	size_t slen, char *scope, size_t sclen);
BERTH_HIDDEN char *berth__base64(const void *data, size_t len);

#endif
