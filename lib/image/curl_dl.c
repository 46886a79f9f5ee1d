/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libcurl, loaded when first needed.
 *
 * Linking libcurl would make every program that loads libberth also load
 * libcurl and its TLS, HTTP/2, SSH, LDAP, Kerberos... libraries (several ms
 * per process start), while only pulling uses it. So, as for libarchive
 * (archive_dl.c), the curl_* functions berth calls are hidden wrappers that
 * resolve the real ones from libcurl.so.4 with dlopen/dlsym on first use
 * (pthread_once; the table is written once, then only read). The variadic
 * curl_easy_setopt/curl_easy_getinfo are reached through typed helpers
 * (registry.h). libcurl >= 7.84 initialises itself thread-safely on first
 * use: curl_global_init is not called. If libcurl cannot be loaded,
 * curl_easy_init returns NULL and berth__curl_error() says why.
 */
#include "image/registry.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define CURL_FUNCS(X)          \
	X(curl_easy_init)          \
	X(curl_easy_setopt)        \
	X(curl_easy_perform)       \
	X(curl_easy_getinfo)       \
	X(curl_easy_cleanup)       \
	X(curl_easy_strerror)      \
	X(curl_easy_escape)        \
	X(curl_free)               \
	X(curl_slist_append)       \
	X(curl_slist_free_all)

#define DECLARE_SLOT(name) void *name;
static struct { CURL_FUNCS(DECLARE_SLOT) } T;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof load_error, "cannot load libcurl.so.4: %s", dlerror());
		return;
	}
#define RESOLVE(name) T.name = dlsym(h, #name);
	CURL_FUNCS(RESOLVE)
	if (!T.curl_easy_init || !T.curl_easy_setopt || !T.curl_easy_perform || !T.curl_easy_getinfo ||
	    !T.curl_easy_cleanup || !T.curl_slist_append || !T.curl_slist_free_all)
		snprintf(load_error, sizeof load_error, "libcurl.so.4 lacks the functions berth needs");
}

static int ready(void)
{
	pthread_once(&once, load);
	return !load_error[0];
}

const char *berth__curl_error(void)
{
	ready();
	return load_error[0] ? load_error : NULL;
}

#define CALL(name, fail, ...) \
	((ready() && T.name) ? ((__typeof__(&name))T.name)(__VA_ARGS__) : (fail))

typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);
typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);

#define W BERTH_HIDDEN
W CURL *curl_easy_init(void) { return CALL(curl_easy_init, NULL); }
W CURLcode curl_easy_perform(CURL *c) { return CALL(curl_easy_perform, CURLE_FAILED_INIT, c); }
W void curl_easy_cleanup(CURL *c) { if (ready() && T.curl_easy_cleanup) ((__typeof__(&curl_easy_cleanup))T.curl_easy_cleanup)(c); }
W const char *curl_easy_strerror(CURLcode code) { return CALL(curl_easy_strerror, load_error, code); }
W char *curl_easy_escape(CURL *c, const char *s, int len) { return CALL(curl_easy_escape, NULL, c, s, len); }
W void curl_free(void *p) { if (ready() && T.curl_free) ((__typeof__(&curl_free))T.curl_free)(p); }
W struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s) { return CALL(curl_slist_append, NULL, l, s); }
W void curl_slist_free_all(struct curl_slist *l) { if (ready() && T.curl_slist_free_all) ((__typeof__(&curl_slist_free_all))T.curl_slist_free_all)(l); }

CURLcode berth__curl_setopt_long(CURL *c, CURLoption o, long v)
{
	return ready() ? ((setopt_fn)T.curl_easy_setopt)(c, o, v) : CURLE_FAILED_INIT;
}

CURLcode berth__curl_setopt_ptr(CURL *c, CURLoption o, const void *v)
{
	return ready() ? ((setopt_fn)T.curl_easy_setopt)(c, o, v) : CURLE_FAILED_INIT;
}

CURLcode berth__curl_setopt_off(CURL *c, CURLoption o, curl_off_t v)
{
	return ready() ? ((setopt_fn)T.curl_easy_setopt)(c, o, v) : CURLE_FAILED_INIT;
}

CURLcode berth__curl_setopt_fn(CURL *c, CURLoption o, void (*fn)(void))
{
	return ready() ? ((setopt_fn)T.curl_easy_setopt)(c, o, fn) : CURLE_FAILED_INIT;
}

CURLcode berth__curl_getinfo_long(CURL *c, CURLINFO i, long *v)
{
	return ready() ? ((getinfo_fn)T.curl_easy_getinfo)(c, i, v) : CURLE_FAILED_INIT;
}

CURLcode berth__curl_getinfo_off(CURL *c, CURLINFO i, curl_off_t *v)
{
	return ready() ? ((getinfo_fn)T.curl_easy_getinfo)(c, i, v) : CURLE_FAILED_INIT;
}
