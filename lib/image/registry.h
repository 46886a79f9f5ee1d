/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The registry client (internal): libcurl loaded on first use
 * (lib/image/curl_dl.c) and the distribution-spec HTTP helpers used by
 * berth_image_pull (registry.c), berth_image_push (registry_push.c) and
 * login (registry_auth.c).
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
/* The caller's progress callback of a pull or push (o: a berth_pull_options
 * or berth_push_options as the current version): 0.2's on_progress may stop
 * the operation (BERTH_ECANCELED "<what>: canceled by the progress
 * callback"), 0.1's progress cannot. 0 to go on. */
BERTH_HIDDEN int berth__reg_progress(berth_progress_cb on_progress, berth_pull_progress_cb progress, void *payload,
	const char *what, const char *digest, int status, uint64_t done, uint64_t total);
BERTH_HIDDEN const char *berth__curl_error(void); /* NULL once libcurl is loaded, else why not */
BERTH_HIDDEN CURLcode berth__curl_setopt_long(CURL *c, CURLoption o, long v);
BERTH_HIDDEN CURLcode berth__curl_setopt_ptr(CURL *c, CURLoption o, const void *v);
BERTH_HIDDEN CURLcode berth__curl_setopt_off(CURL *c, CURLoption o, curl_off_t v);
/* function pointers (write/header callbacks) */
BERTH_HIDDEN CURLcode berth__curl_setopt_fn(CURL *c, CURLoption o, void (*fn)(void));
BERTH_HIDDEN CURLcode berth__curl_getinfo_long(CURL *c, CURLINFO i, long *v);
BERTH_HIDDEN CURLcode berth__curl_getinfo_off(CURL *c, CURLINFO i, curl_off_t *v);

/* --- registry HTTP (registry_http.c) --- */
#define BERTH__REG_TOKENS 8
typedef struct berth__reg_token {
	char scope[600]; /* what it was asked for ("" for none) */
	char *authz;     /* "Authorization: Bearer ..." */
} berth__reg_token;

typedef struct berth__reg {
	char host[256];     /* registry host[:port] as used in URLs */
	char path[256];     /* repository path */
	char scheme[8];     /* "http" or "https" */
	int tls_verify;     /* 0: do not verify certificates (and fall back to http) */
	int scheme_fixed;   /* a request succeeded with this scheme */
	char *basic;        /* base64 "user:pass", or NULL */
	int basic_auth;     /* the registry asked for Basic: send it on every request */
	berth__reg_token tokens[BERTH__REG_TOKENS]; /* bearer tokens by scope */
	unsigned next_token;
	const char *what;   /* "pull <ref>", for messages */
	berth_ctx *ctx;     /* log messages (retries); may be NULL */
	unsigned retry_ms;  /* first backoff (250 ms; tests lower it) */
	unsigned tries;     /* attempts for 5xx, 429 and broken connections (3) */
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
	/* or a function fed the bytes (fn non-NULL); reset called before a retry */
	int (*fn)(void *arg, const void *data, size_t len);
	int (*reset)(void *arg);
	void *arg;
	/* response headers of interest */
	char content_type[256];
	char docker_digest[BERTH__DIGEST_LEN + 8];
	char location[2048];
	char range[64];
	long retry_after; /* seconds, -1 if absent */
	/* internal */
	long status;
	int curl_code;
	char www_auth[1024];
	char errbody[512];
	size_t errlen;
	int failed; /* a write error (error set) */
} berth__reg_sink;

/* A request. url: absolute, or a path starting with "/" on the registry. */
typedef struct berth__reg_req {
	const char *method; /* "GET" (NULL), "HEAD", "POST", "PUT", "PATCH" */
	const char *url;
	const char *accept;
	const char *content_type;
	const char *content_range;
	/* body: memory (body, len) or a file (fd >= 0: len bytes from off) */
	const void *body;
	int fd;
	uint64_t off, len;
	/* upload progress: digest, BERTH_PUSH_UPLOADING, base + bytes sent, total */
	berth_pull_progress_cb progress;
	void *payload;
	const char *digest;
	uint64_t base, total;
	const char *scope;  /* token scopes, space separated ("repository:a:pull,push") */
	int no_redirect;    /* do not follow redirects (uploads) */
} berth__reg_req;

BERTH_HIDDEN int berth__reg_init(berth__reg *g, const berth_ref *ref, int tls_verify, const char *username,
	const char *password, const char *what);
/* The same for a registry host alone (login): host as given ("127.0.0.1:5000",
 * "docker.io" is registry-1.docker.io). */
BERTH_HIDDEN int berth__reg_init_host(berth__reg *g, const char *host, int tls_verify, const char *username,
	const char *password, const char *what);
BERTH_HIDDEN void berth__reg_free(berth__reg *g);
/* A copy with its own credentials and tokens (one per thread). */
BERTH_HIDDEN int berth__reg_clone(berth__reg *dst, const berth__reg *src);
/* One request, with auth challenges answered (a token per scope, cached;
 * Basic), 5xx, 429 (Retry-After honoured up to 30 s) and broken connections
 * retried with backoff. 0 once a final response came (any status: see
 * sink->status), else a transport error (BERTH_ENET) or a sink error. */
BERTH_HIDDEN int berth__reg_do(berth__reg *g, const berth__reg_req *req, berth__reg_sink *sink);
/* The error for a final non-2xx status; subject names the thing ("blob
 * sha256:...: ", may be ""), thing is "manifest" or "blob" for 404s. */
BERTH_HIDDEN int berth__reg_status_error(berth__reg *g, const berth__reg_sink *sink, const char *method,
	const char *subject, const char *thing);
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
/* Decodes standard base64 (padding optional); NULL if malformed. *len set. */
BERTH_HIDDEN char *berth__base64_decode(const char *s, size_t *len);
/* The docker config file: $DOCKER_CONFIG/config.json or ~/.docker/config.json
 * into buf. -1 when neither is set. */
BERTH_HIDDEN int berth__docker_config_path(char *buf, size_t len);
/* An absolute URL for a Location header (relative ones are on the registry). */
BERTH_HIDDEN char *berth__reg_url(const berth__reg *g, const char *location);

#endif
