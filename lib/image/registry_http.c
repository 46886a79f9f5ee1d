/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The distribution-spec HTTP client: GET of manifests and blobs with
 * anonymous, bearer-token and basic auth, retries of server errors, and the
 * mapping of HTTP status codes to berth errors.
 */
#include "image/registry.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define USER_AGENT "berth"
#define TRIES 3

char *berth__base64(const void *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out) {
		berth__err_nomem();
		return NULL;
	}
	char *o = out;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

int berth__reg_is_loopback(const char *host)
{
	size_t n = strcspn(host, ":");
	if (host[0] == '[')
		return !strncmp(host, "[::1]", 5);
	return (n == 9 && !strncmp(host, "localhost", 9)) || !strncmp(host, "127.", 4);
}

/* key="value" or key=token, comma separated, after the scheme word */
int berth__reg_parse_challenge(const char *h, int *bearer, char *realm, size_t rlen, char *service, size_t slen,
	char *scope, size_t sclen)
{
	realm[0] = service[0] = scope[0] = '\0';
	while (*h == ' ')
		h++;
	if (!strncasecmp(h, "Bearer ", 7))
		*bearer = 1;
	else if (!strncasecmp(h, "Basic", 5) && (h[5] == ' ' || h[5] == '\0'))
		*bearer = 0;
	else
		return -1;
	h += *bearer ? 7 : 5;
	while (*h) {
		while (*h == ' ' || *h == ',')
			h++;
		const char *k = h;
		while (*h && *h != '=' && *h != ',')
			h++;
		size_t klen = (size_t)(h - k);
		if (*h != '=')
			continue;
		h++;
		char val[1024];
		size_t vl = 0;
		if (*h == '"') {
			h++;
			while (*h && *h != '"') {
				if (*h == '\\' && h[1])
					h++;
				if (vl + 1 < sizeof val)
					val[vl++] = *h;
				h++;
			}
			if (*h == '"')
				h++;
		} else {
			while (*h && *h != ',' && *h != ' ') {
				if (vl + 1 < sizeof val)
					val[vl++] = *h;
				h++;
			}
		}
		val[vl] = '\0';
		char *dst = NULL;
		size_t dlen = 0;
		if (klen == 5 && !strncasecmp(k, "realm", 5))
			dst = realm, dlen = rlen;
		else if (klen == 7 && !strncasecmp(k, "service", 7))
			dst = service, dlen = slen;
		else if (klen == 5 && !strncasecmp(k, "scope", 5))
			dst = scope, dlen = sclen;
		if (dst)
			snprintf(dst, dlen, "%s", val);
	}
	return 0;
}

/* base64 user:pass from ~/.docker/config.json ($DOCKER_CONFIG/config.json) "auths" */
static char *docker_config_auth(const berth_ref *ref, const char *host)
{
	char path[4096];
	const char *dc = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	if (dc && *dc)
		snprintf(path, sizeof path, "%s/config.json", dc);
	else if (home && *home)
		snprintf(path, sizeof path, "%s/.docker/config.json", home);
	else
		return NULL;
	if (access(path, R_OK) < 0)
		return NULL;
	json_error_t je;
	json_t *cfg = json_load_file(path, 0, &je);
	if (!cfg)
		return NULL;
	json_t *auths = json_object_get(cfg, "auths");
	const char *domain = berth_ref_domain(ref);
	char keys[5][300];
	int nk = 0;
	snprintf(keys[nk++], sizeof keys[0], "%s", domain);
	snprintf(keys[nk++], sizeof keys[0], "https://%s", domain);
	snprintf(keys[nk++], sizeof keys[0], "%s", host);
	snprintf(keys[nk++], sizeof keys[0], "https://%s", host);
	if (!strcmp(domain, "docker.io"))
		snprintf(keys[nk++], sizeof keys[0], "https://index.docker.io/v1/");
	char *res = NULL;
	for (int i = 0; i < nk && !res && json_is_object(auths); i++) {
		const char *a = json_string_value(json_object_get(json_object_get(auths, keys[i]), "auth"));
		if (a && *a)
			res = strdup(a);
	}
	json_decref(cfg);
	return res;
}

int berth__reg_init(berth__reg *g, const berth_ref *ref, const berth_pull_options *opts, const char *what)
{
	memset(g, 0, sizeof *g);
	g->what = what;
	snprintf(g->host, sizeof g->host, "%s", berth_ref_registry(ref));
	snprintf(g->path, sizeof g->path, "%s", berth_ref_path(ref));
	g->tls_verify = opts->tls_verify != 0;
	snprintf(g->scheme, sizeof g->scheme, "%s", berth__reg_is_loopback(g->host) ? "http" : "https");
	if (berth__reg_is_loopback(g->host))
		g->scheme_fixed = 1;
	if (opts->username && *opts->username) {
		char *up = berth__sprintf("%s:%s", opts->username, opts->password ? opts->password : "");
		if (!up)
			return BERTH_ENOMEM;
		g->basic = berth__base64(up, strlen(up));
		free(up);
		if (!g->basic)
			return BERTH_ENOMEM;
	} else {
		g->basic = docker_config_auth(ref, g->host);
	}
	return 0;
}

void berth__reg_free(berth__reg *g)
{
	free(g->basic);
	free(g->authz);
	g->basic = g->authz = NULL;
}

static size_t on_header(char *buf, size_t size, size_t n, void *p)
{
	berth__reg_sink *s = p;
	size_t len = size * n;
	char line[1200];
	size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
	memcpy(line, buf, l);
	line[l] = '\0';
	while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
		line[--l] = '\0';
	if (!strncmp(line, "HTTP/", 5)) {
		/* a new response (after a redirect or 100-continue): forget the last one's headers */
		const char *sp = strchr(line, ' ');
		s->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		s->content_type[0] = s->docker_digest[0] = s->www_auth[0] = '\0';
		return len;
	}
	char *colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!strcasecmp(line, "Content-Type")) {
		snprintf(s->content_type, sizeof s->content_type, "%s", v);
		s->content_type[strcspn(s->content_type, "; ")] = '\0';
	} else if (!strcasecmp(line, "Docker-Content-Digest")) {
		snprintf(s->docker_digest, sizeof s->docker_digest, "%s", v);
	} else if (!strcasecmp(line, "WWW-Authenticate")) {
		snprintf(s->www_auth, sizeof s->www_auth, "%s", v);
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *p)
{
	berth__reg_sink *s = p;
	size_t len = size * n;
	if (s->status < 200 || s->status >= 300) {
		size_t room = sizeof s->errbody - 1 - s->errlen;
		size_t c = len < room ? len : room;
		memcpy(s->errbody + s->errlen, buf, c);
		s->errlen += c;
		s->errbody[s->errlen] = '\0';
		return len;
	}
	if (s->w) {
		if (s->w->size + len > s->expect) {
			berth__err(BERTH_EDIGEST, "blob %s: more than the %llu bytes its descriptor says", s->digest,
				(unsigned long long)s->expect);
			s->failed = 1;
			return 0;
		}
		if (berth__blob_write(s->w, buf, len) < 0) {
			s->failed = 1;
			return 0;
		}
		if (s->progress)
			s->progress(s->digest, BERTH_PULL_DOWNLOADING, s->w->size, s->expect, s->payload);
		return len;
	}
	if (s->len + len > s->max) {
		berth__err(BERTH_EINVAL, "response larger than %zu bytes", s->max);
		s->failed = 1;
		return 0;
	}
	char *nb = realloc(s->body, s->len + len + 1);
	if (!nb) {
		berth__err_nomem();
		s->failed = 1;
		return 0;
	}
	memcpy(nb + s->len, buf, len);
	s->len += len;
	nb[s->len] = '\0';
	s->body = nb;
	return len;
}

/* Forgets a partial body before a retry. */
static int sink_reset(berth__reg_sink *s)
{
	s->status = 0;
	s->errlen = 0;
	s->errbody[0] = '\0';
	s->failed = 0;
	if (s->w) {
		if (ftruncate(s->w->fd, 0) < 0 || lseek(s->w->fd, 0, SEEK_SET) < 0)
			return berth__err_sys(errno, "image store: truncate %s", s->w->tmp);
		berth__sha256_init(&s->w->sha);
		s->w->size = 0;
	} else {
		free(s->body);
		s->body = NULL;
		s->len = 0;
	}
	return 0;
}

/* One GET. Returns 0 with sink->status set, or an error (transport). */
static int perform(berth__reg *g, const char *url, const char *accept, const char *authz, berth__reg_sink *sink,
	const char *userpwd_b64)
{
	CURL *c = curl_easy_init();
	if (!c)
		return berth__err(BERTH_EUNSUPPORTED, "%s: %s", g->what,
			berth__curl_error() ? berth__curl_error() : "curl_easy_init failed");
	struct curl_slist *hdrs = NULL;
	char line[1400];
	int r = 0;
	if (accept) {
		snprintf(line, sizeof line, "Accept: %s", accept);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (authz)
		hdrs = curl_slist_append(hdrs, authz);
	else if (userpwd_b64) {
		snprintf(line, sizeof line, "Authorization: Basic %s", userpwd_b64);
		hdrs = curl_slist_append(hdrs, line);
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	berth__curl_setopt_ptr(c, CURLOPT_URL, url);
	berth__curl_setopt_long(c, CURLOPT_NOSIGNAL, 1);
	berth__curl_setopt_long(c, CURLOPT_FOLLOWLOCATION, 1);
	berth__curl_setopt_long(c, CURLOPT_MAXREDIRS, 10);
	berth__curl_setopt_long(c, CURLOPT_CONNECTTIMEOUT, 30);
	berth__curl_setopt_long(c, CURLOPT_LOW_SPEED_LIMIT, 1);
	berth__curl_setopt_long(c, CURLOPT_LOW_SPEED_TIME, 60);
	berth__curl_setopt_ptr(c, CURLOPT_USERAGENT, USER_AGENT);
	berth__curl_setopt_ptr(c, CURLOPT_PROTOCOLS_STR, "http,https");
	berth__curl_setopt_ptr(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	berth__curl_setopt_ptr(c, CURLOPT_ERRORBUFFER, errbuf);
	berth__curl_setopt_ptr(c, CURLOPT_HTTPHEADER, hdrs);
	berth__curl_setopt_long(c, CURLOPT_SSL_VERIFYPEER, g->tls_verify ? 1 : 0);
	berth__curl_setopt_long(c, CURLOPT_SSL_VERIFYHOST, g->tls_verify ? 2 : 0);
	berth__curl_setopt_fn(c, CURLOPT_HEADERFUNCTION, (void (*)(void))on_header);
	berth__curl_setopt_ptr(c, CURLOPT_HEADERDATA, sink);
	berth__curl_setopt_fn(c, CURLOPT_WRITEFUNCTION, (void (*)(void))on_body);
	berth__curl_setopt_ptr(c, CURLOPT_WRITEDATA, sink);
	CURLcode cr = curl_easy_perform(c);
	if (cr != CURLE_OK) {
		if (sink->failed)
			r = berth__err_prefix("%s: GET %s", g->what, url);
		else
			r = berth__err(BERTH_ENET, "%s: GET %s: %s", g->what, url, errbuf[0] ? errbuf : curl_easy_strerror(cr));
	} else {
		long code = 0;
		berth__curl_getinfo_long(c, CURLINFO_RESPONSE_CODE, &code);
		sink->status = code;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return r;
}

/* The token for a Bearer challenge: Authorization header line into g->authz. */
static int fetch_token(berth__reg *g, const char *challenge)
{
	int bearer = 0;
	char realm[1024], service[512], scope[512];
	if (berth__reg_parse_challenge(challenge, &bearer, realm, sizeof realm, service, sizeof service, scope,
		    sizeof scope) < 0)
		return berth__err(BERTH_EAUTH, "%s: unsupported authentication challenge '%s'", g->what, challenge);
	free(g->authz);
	g->authz = NULL;
	if (!bearer) {
		if (!g->basic)
			return berth__err(BERTH_EAUTH, "%s: the registry requires credentials (Basic)", g->what);
		g->authz = berth__sprintf("Authorization: Basic %s", g->basic);
		return g->authz ? 0 : BERTH_ENOMEM;
	}
	if (!realm[0])
		return berth__err(BERTH_EAUTH, "%s: Bearer challenge without a realm", g->what);
	if (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7))
		return berth__err(BERTH_EAUTH, "%s: token realm '%s' is not an http(s) URL", g->what, realm);
	CURL *c = curl_easy_init();
	if (!c)
		return berth__err(BERTH_EUNSUPPORTED, "%s: %s", g->what,
			berth__curl_error() ? berth__curl_error() : "curl_easy_init failed");
	char want_scope[600];
	snprintf(want_scope, sizeof want_scope, "repository:%s:pull", g->path);
	char *es = curl_easy_escape(c, service, 0);
	char *esc = curl_easy_escape(c, want_scope, 0);
	curl_easy_cleanup(c);
	char *url = NULL;
	if (es && esc)
		url = berth__sprintf("%s%cservice=%s&scope=%s", realm, strchr(realm, '?') ? '&' : '?', es, esc);
	curl_free(es);
	curl_free(esc);
	if (!url)
		return berth__err_nomem();
	berth__reg_sink s = { .max = 1u << 20 };
	int r = perform(g, url, "application/json", NULL, &s, g->basic);
	if (r == 0 && (s.status == 401 || s.status == 403))
		r = berth__err(BERTH_EAUTH, "%s: token from %s: %s (%ld)", g->what, realm,
			s.status == 401 ? "unauthorized" : "denied", s.status);
	else if (r == 0 && (s.status < 200 || s.status >= 300))
		r = berth__err(BERTH_EAUTH, "%s: token from %s: HTTP %ld", g->what, realm, s.status);
	free(url);
	if (r == 0) {
		json_error_t je;
		json_t *j = s.body ? json_loads(s.body, 0, &je) : NULL;
		const char *tok = json_string_value(json_object_get(j, "token"));
		if (!tok || !*tok)
			tok = json_string_value(json_object_get(j, "access_token"));
		if (!tok || !*tok)
			r = berth__err(BERTH_EAUTH, "%s: token from %s: no token in the response", g->what, realm);
		else if (!(g->authz = berth__sprintf("Authorization: Bearer %s", tok)))
			r = BERTH_ENOMEM;
		json_decref(j);
	}
	free(s.body);
	return r;
}

int berth__reg_get(berth__reg *g, const char *kind, const char *ref, const char *accept, berth__reg_sink *sink)
{
	int manifest = !strcmp(kind, "manifests");
	int auth_tried = 0, tries = 0, r;
	char url[1200];
	for (;;) {
		if ((r = sink_reset(sink)) < 0)
			return r;
		snprintf(url, sizeof url, "%s://%s/v2/%s/%s/%s", g->scheme, g->host, g->path, kind, ref);
		r = perform(g, url, accept, g->authz, sink, NULL);
		if (r == BERTH_ENET && !g->scheme_fixed && !g->tls_verify && !strcmp(g->scheme, "https")) {
			/* tls_verify 0: a plain-HTTP registry */
			snprintf(g->scheme, sizeof g->scheme, "http");
			g->scheme_fixed = 1;
			continue;
		}
		if (r < 0)
			return r;
		g->scheme_fixed = 1;
		long st = sink->status;
		if (st >= 200 && st < 300)
			return 0;
		if (st == 401 && !auth_tried && sink->www_auth[0]) {
			auth_tried = 1;
			if ((r = fetch_token(g, sink->www_auth)) < 0)
				return r;
			continue;
		}
		if (st >= 500 && st < 600 && ++tries < TRIES) {
			struct timespec ts = { 0, 250000000L * tries };
			nanosleep(&ts, NULL);
			continue;
		}
		const char *thing = manifest ? "manifest" : "blob";
		char subject[300] = "";
		if (!manifest)
			snprintf(subject, sizeof subject, "blob %s: ", ref);
		if (st == 401 || st == 403)
			return berth__err(BERTH_EAUTH, "%s: %s%s (%ld)", g->what, subject, st == 401 ? "unauthorized" : "denied",
				st);
		if (st == 404)
			return berth__err(BERTH_ENOTFOUND, "%s: %s%s unknown (404)", g->what, subject, thing);
		if (st == 429)
			return berth__err(BERTH_EBUSY, "%s: %stoo many requests (429)", g->what, subject);
		if (st >= 500)
			return berth__err(BERTH_ENET, "%s: %sserver error (%ld) after %d tries", g->what, subject, st, TRIES);
		return berth__err(BERTH_ENET, "%s: %sGET %s: unexpected HTTP status %ld", g->what, subject, url, st);
	}
}
