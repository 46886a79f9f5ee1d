/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The distribution-spec HTTP client: requests (GET, HEAD, POST, PUT, PATCH)
 * with anonymous, bearer-token (cached per scope) and basic auth; retries of
 * server errors, 429 and broken connections with backoff; the mapping of
 * HTTP status codes to berth errors.
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
#define RETRY_AFTER_MAX 30

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

char *berth__base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = malloc(n / 4 * 3 + 4);
	if (!out) {
		berth__err_nomem();
		return NULL;
	}
	unsigned v = 0;
	int bits = 0;
	size_t o = 0, i = 0;
	for (; i < n && s[i] != '='; i++) {
		const char c = s[i];
		int d = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
		      : c == '+' ? 62 : c == '/' ? 63 : -1;
		if (d < 0) {
			free(out);
			return NULL;
		}
		v = (v << 6 | (unsigned)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	for (; i < n; i++)
		if (s[i] != '=') {
			free(out);
			return NULL;
		}
	out[o] = '\0';
	*len = o;
	return out;
}

int berth__docker_config_path(char *buf, size_t len)
{
	const char *dc = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	if (dc && *dc)
		snprintf(buf, len, "%s/config.json", dc);
	else if (home && *home)
		snprintf(buf, len, "%s/.docker/config.json", home);
	else
		return -1;
	return 0;
}

/* base64 user:pass from the docker config's "auths" for domain (and host) */
static char *docker_config_auth(const char *domain, const char *host)
{
	char path[4096];
	if (berth__docker_config_path(path, sizeof path) < 0 || access(path, R_OK) < 0)
		return NULL;
	json_error_t je;
	json_t *cfg = json_load_file(path, 0, &je);
	if (!cfg)
		return NULL;
	json_t *auths = json_object_get(cfg, "auths");
	char keys[6][300];
	int nk = 0;
	snprintf(keys[nk++], sizeof keys[0], "%s", domain);
	snprintf(keys[nk++], sizeof keys[0], "https://%s", domain);
	snprintf(keys[nk++], sizeof keys[0], "http://%s", domain);
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

static int reg_setup(berth__reg *g, const char *domain, const char *host, const char *path, int tls_verify,
	const char *username, const char *password, const char *what)
{
	memset(g, 0, sizeof *g);
	g->what = what;
	g->retry_ms = 250;
	g->tries = TRIES;
	snprintf(g->host, sizeof g->host, "%s", host);
	snprintf(g->path, sizeof g->path, "%s", path);
	g->tls_verify = tls_verify != 0;
	snprintf(g->scheme, sizeof g->scheme, "%s", berth__reg_is_loopback(g->host) ? "http" : "https");
	if (berth__reg_is_loopback(g->host))
		g->scheme_fixed = 1;
	if (username && *username) {
		char *up = berth__sprintf("%s:%s", username, password ? password : "");
		if (!up)
			return BERTH_ENOMEM;
		g->basic = berth__base64(up, strlen(up));
		explicit_bzero(up, strlen(up));
		free(up);
		if (!g->basic)
			return BERTH_ENOMEM;
	} else {
		g->basic = docker_config_auth(domain, g->host);
	}
	return 0;
}

int berth__reg_init(berth__reg *g, const berth_ref *ref, int tls_verify, const char *username, const char *password,
	const char *what)
{
	return reg_setup(g, berth_ref_domain(ref), berth_ref_registry(ref), berth_ref_path(ref), tls_verify, username,
		password, what);
}

int berth__reg_init_host(berth__reg *g, const char *host, int tls_verify, const char *username, const char *password,
	const char *what)
{
	const char *h = host;
	if (!strcmp(host, "docker.io") || !strcmp(host, "index.docker.io"))
		h = "registry-1.docker.io";
	return reg_setup(g, !strcmp(h, "registry-1.docker.io") ? "docker.io" : host, h, "", tls_verify, username, password,
		what);
}

void berth__reg_free(berth__reg *g)
{
	if (g->basic)
		explicit_bzero(g->basic, strlen(g->basic));
	free(g->basic);
	g->basic = NULL;
	for (int i = 0; i < BERTH__REG_TOKENS; i++) {
		free(g->tokens[i].authz);
		g->tokens[i].authz = NULL;
	}
}

int berth__reg_clone(berth__reg *dst, const berth__reg *src)
{
	*dst = *src;
	dst->basic = NULL;
	for (int i = 0; i < BERTH__REG_TOKENS; i++)
		dst->tokens[i].authz = NULL;
	if (src->basic && !(dst->basic = berth__strdup(src->basic)))
		return BERTH_ENOMEM;
	for (int i = 0; i < BERTH__REG_TOKENS; i++)
		if (src->tokens[i].authz && !(dst->tokens[i].authz = berth__strdup(src->tokens[i].authz)))
			return BERTH_ENOMEM;
	return 0;
}

char *berth__reg_url(const berth__reg *g, const char *location)
{
	if (!strncmp(location, "http://", 7) || !strncmp(location, "https://", 8))
		return berth__strdup(location);
	return berth__sprintf("%s://%s%s%s", g->scheme, g->host, location[0] == '/' ? "" : "/", location);
}

static size_t on_header(char *buf, size_t size, size_t n, void *p)
{
	berth__reg_sink *s = p;
	size_t len = size * n;
	char line[2200];
	size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
	memcpy(line, buf, l);
	line[l] = '\0';
	while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
		line[--l] = '\0';
	if (!strncmp(line, "HTTP/", 5)) {
		/* a new response (after a redirect or 100-continue): forget the last one's headers */
		const char *sp = strchr(line, ' ');
		s->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		s->content_type[0] = s->docker_digest[0] = s->www_auth[0] = s->location[0] = s->range[0] = '\0';
		s->retry_after = -1;
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
	} else if (!strcasecmp(line, "Location")) {
		snprintf(s->location, sizeof s->location, "%s", v);
	} else if (!strcasecmp(line, "Range")) {
		snprintf(s->range, sizeof s->range, "%s", v);
	} else if (!strcasecmp(line, "Retry-After")) {
		char *end;
		long sec = strtol(v, &end, 10);
		s->retry_after = end != v && sec >= 0 ? sec : -1;
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
	if (s->fn) {
		if (s->fn(s->arg, buf, len) < 0) {
			s->failed = 1;
			return 0;
		}
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
	s->curl_code = 0;
	s->errlen = 0;
	s->errbody[0] = '\0';
	s->failed = 0;
	s->retry_after = -1;
	if (s->fn) {
		if (s->reset && s->reset(s->arg) < 0)
			return -1;
	} else if (s->w) {
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

/* The request body, read as curl asks for it. */
typedef struct upload {
	const berth__reg_req *req;
	uint64_t sent;
	int err;
} upload;

static size_t on_read(char *buf, size_t size, size_t n, void *p)
{
	upload *u = p;
	const berth__reg_req *q = u->req;
	size_t want = size * n;
	uint64_t left = q->len - u->sent;
	if (want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	if (q->fd >= 0) {
		ssize_t got;
		do
			got = pread(q->fd, buf, want, (off_t)(q->off + u->sent));
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			u->err = got < 0 ? errno : EIO;
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)got;
	} else {
		memcpy(buf, (const char *)q->body + u->sent, want);
	}
	u->sent += want;
	if (q->progress)
		q->progress(q->digest, 2 /* BERTH_PUSH_UPLOADING */, q->base + u->sent, q->total, q->payload);
	return want;
}

/* One request. Returns 0 with sink->status set, or an error (transport). */
static int perform(berth__reg *g, const char *url, const berth__reg_req *q, const char *authz, berth__reg_sink *sink)
{
	CURL *c = curl_easy_init();
	if (!c)
		return berth__err(BERTH_EUNSUPPORTED, "%s: %s", g->what,
			berth__curl_error() ? berth__curl_error() : "curl_easy_init failed");
	const char *method = q->method ? q->method : "GET";
	struct curl_slist *hdrs = NULL;
	char line[1400];
	int r = 0;
	if (q->accept) {
		snprintf(line, sizeof line, "Accept: %s", q->accept);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (q->content_type) {
		snprintf(line, sizeof line, "Content-Type: %s", q->content_type);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (q->content_range) {
		snprintf(line, sizeof line, "Content-Range: %s", q->content_range);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (authz)
		hdrs = curl_slist_append(hdrs, authz);
	hdrs = curl_slist_append(hdrs, "Expect:");
	char errbuf[CURL_ERROR_SIZE] = "";
	upload up = { .req = q };
	berth__curl_setopt_ptr(c, CURLOPT_URL, url);
	berth__curl_setopt_long(c, CURLOPT_NOSIGNAL, 1);
	berth__curl_setopt_long(c, CURLOPT_FOLLOWLOCATION, q->no_redirect ? 0 : 1);
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
	if (!strcmp(method, "HEAD")) {
		berth__curl_setopt_long(c, CURLOPT_NOBODY, 1);
	} else if (!strcmp(method, "PUT") || !strcmp(method, "PATCH") || !strcmp(method, "POST")) {
		if (!strcmp(method, "POST") && !q->len) {
			berth__curl_setopt_long(c, CURLOPT_POST, 1);
			berth__curl_setopt_ptr(c, CURLOPT_POSTFIELDS, "");
			berth__curl_setopt_long(c, CURLOPT_POSTFIELDSIZE, 0);
		} else {
			berth__curl_setopt_long(c, CURLOPT_UPLOAD, 1);
			berth__curl_setopt_fn(c, CURLOPT_READFUNCTION, (void (*)(void))on_read);
			berth__curl_setopt_ptr(c, CURLOPT_READDATA, &up);
			berth__curl_setopt_off(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->len);
			if (strcmp(method, "PUT"))
				berth__curl_setopt_ptr(c, CURLOPT_CUSTOMREQUEST, method);
		}
	}
	CURLcode cr = curl_easy_perform(c);
	sink->curl_code = (int)cr;
	if (cr != CURLE_OK) {
		if (sink->failed)
			r = berth__err_prefix("%s: %s %s", g->what, method, url);
		else if (up.err)
			r = berth__err_sys(up.err, "%s: %s %s: read the upload", g->what, method, url);
		else
			r = berth__err(BERTH_ENET, "%s: %s %s: %s", g->what, method, url,
				errbuf[0] ? errbuf : curl_easy_strerror(cr));
	} else {
		long code = 0;
		berth__curl_getinfo_long(c, CURLINFO_RESPONSE_CODE, &code);
		sink->status = code;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return r;
}

static berth__reg_token *token_for(berth__reg *g, const char *scope)
{
	for (int i = 0; i < BERTH__REG_TOKENS; i++)
		if (g->tokens[i].authz && !strcmp(g->tokens[i].scope, scope ? scope : ""))
			return &g->tokens[i];
	return NULL;
}

/* The token for a Bearer challenge and scope (space-separated scopes; NULL:
 * the challenge's), cached in g->tokens. */
static int fetch_token(berth__reg *g, const char *challenge, const char *want)
{
	int bearer = 0;
	char realm[1024], service[512], scope[512];
	if (berth__reg_parse_challenge(challenge, &bearer, realm, sizeof realm, service, sizeof service, scope,
		    sizeof scope) < 0)
		return berth__err(BERTH_EAUTH, "%s: registry %s: unsupported authentication challenge '%s'", g->what,
			g->host, challenge);
	if (!bearer) {
		if (!g->basic)
			return berth__err(BERTH_EAUTH,
				"%s: registry %s requires credentials (Basic auth): log in first (berth login %s)", g->what,
				g->host, g->host);
		g->basic_auth = 1;
		return 0;
	}
	if (!realm[0])
		return berth__err(BERTH_EAUTH, "%s: registry %s: Bearer challenge without a realm", g->what, g->host);
	if (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7))
		return berth__err(BERTH_EAUTH, "%s: registry %s: token realm '%s' is not an http(s) URL", g->what, g->host,
			realm);
	CURL *c = curl_easy_init();
	if (!c)
		return berth__err(BERTH_EUNSUPPORTED, "%s: %s", g->what,
			berth__curl_error() ? berth__curl_error() : "curl_easy_init failed");
	/* service=...&scope=a&scope=b */
	char q[2400];
	size_t ql = 0;
	q[0] = '\0';
	char *es = service[0] ? curl_easy_escape(c, service, 0) : NULL;
	if (es)
		ql += (size_t)snprintf(q + ql, sizeof q - ql, "service=%s", es);
	curl_free(es);
	char scopes[1200];
	snprintf(scopes, sizeof scopes, "%s", want ? want : scope);
	for (char *save = NULL, *t = strtok_r(scopes, " ", &save); t && ql < sizeof q; t = strtok_r(NULL, " ", &save)) {
		char *e = curl_easy_escape(c, t, 0);
		if (e)
			ql += (size_t)snprintf(q + ql, sizeof q - ql, "%sscope=%s", ql ? "&" : "", e);
		curl_free(e);
	}
	curl_easy_cleanup(c);
	char *url = ql ? berth__sprintf("%s%c%s", realm, strchr(realm, '?') ? '&' : '?', q) : berth__strdup(realm);
	if (!url)
		return BERTH_ENOMEM;
	berth__reg_sink s = { .max = 1u << 20 };
	char *basic = g->basic ? berth__sprintf("Authorization: Basic %s", g->basic) : NULL;
	berth__reg_req rq = { .accept = "application/json", .fd = -1 };
	int r = perform(g, url, &rq, basic, &s);
	if (basic) {
		explicit_bzero(basic, strlen(basic));
		free(basic);
	}
	if (r == 0 && (s.status == 401 || s.status == 403))
		r = berth__err(BERTH_EAUTH, "%s: registry %s: token from %s: %s (%ld)%s", g->what, g->host, realm,
			s.status == 401 ? "unauthorized: wrong or missing credentials" : "denied", s.status,
			g->basic ? "" : " (no credentials: berth login first)");
	else if (r == 0 && (s.status < 200 || s.status >= 300))
		r = berth__err(BERTH_EAUTH, "%s: registry %s: token from %s: HTTP %ld", g->what, g->host, realm, s.status);
	free(url);
	if (r == 0) {
		json_error_t je;
		json_t *j = s.body ? json_loads(s.body, 0, &je) : NULL;
		const char *tok = json_string_value(json_object_get(j, "token"));
		if (!tok || !*tok)
			tok = json_string_value(json_object_get(j, "access_token"));
		if (!tok || !*tok) {
			r = berth__err(BERTH_EAUTH, "%s: registry %s: token from %s: no token in the response", g->what, g->host,
				realm);
		} else {
			berth__reg_token *t = token_for(g, want);
			if (!t)
				t = &g->tokens[g->next_token++ % BERTH__REG_TOKENS];
			free(t->authz);
			snprintf(t->scope, sizeof t->scope, "%s", want ? want : "");
			if (!(t->authz = berth__sprintf("Authorization: Bearer %s", tok)))
				r = BERTH_ENOMEM;
		}
		json_decref(j);
	}
	free(s.body);
	return r;
}

static int retryable_transport(int code)
{
	return code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR || code == CURLE_PARTIAL_FILE ||
	       code == CURLE_GOT_NOTHING || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_HTTP2_STREAM;
}

static void backoff(const berth__reg *g, unsigned attempt, long retry_after)
{
	uint64_t ms = (uint64_t)g->retry_ms << (attempt > 6 ? 6 : attempt - 1); /* 250, 500, 1000, ... */
	if (retry_after >= 0)
		ms = (uint64_t)retry_after * 1000;
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int berth__reg_do(berth__reg *g, const berth__reg_req *q, berth__reg_sink *sink)
{
	int auth_tried = 0, r;
	unsigned tries = 0;
	for (;;) {
		if ((r = sink_reset(sink)) < 0)
			return r;
		char *url = q->url[0] == '/' ? berth__sprintf("%s://%s%s", g->scheme, g->host, q->url) : berth__strdup(q->url);
		if (!url)
			return BERTH_ENOMEM;
		char *authz = NULL;
		const berth__reg_token *t = token_for(g, q->scope);
		if (t)
			authz = berth__strdup(t->authz);
		else if (g->basic_auth && g->basic)
			authz = berth__sprintf("Authorization: Basic %s", g->basic);
		r = perform(g, url, q, authz, sink);
		if (authz) {
			explicit_bzero(authz, strlen(authz));
			free(authz);
		}
		if (r == BERTH_ENET && !g->scheme_fixed && !g->tls_verify && !strcmp(g->scheme, "https") &&
		    q->url[0] == '/') {
			/* tls_verify 0: a plain-HTTP registry */
			free(url);
			snprintf(g->scheme, sizeof g->scheme, "http");
			g->scheme_fixed = 1;
			continue;
		}
		if (r == BERTH_ENET && retryable_transport(sink->curl_code) && ++tries < g->tries) {
			berth__log(g->ctx, BERTH_LOG_INFO, "%s: %s: %s; retrying", g->what, url, berth_error_last()->message);
			free(url);
			backoff(g, tries, -1);
			continue;
		}
		free(url);
		if (r < 0)
			return r;
		g->scheme_fixed = 1;
		long st = sink->status;
		if (st == 401 && !auth_tried && sink->www_auth[0]) {
			auth_tried = 1;
			if ((r = fetch_token(g, sink->www_auth, q->scope)) < 0)
				return r;
			continue;
		}
		if (((st >= 500 && st < 600) || st == 429) && ++tries < g->tries) {
			if (st == 429 && sink->retry_after > RETRY_AFTER_MAX)
				return 0; /* longer than anyone should wait: the caller's error says so */
			backoff(g, tries, st == 429 ? sink->retry_after : -1);
			continue;
		}
		return 0;
	}
}

int berth__reg_status_error(berth__reg *g, const berth__reg_sink *sink, const char *method, const char *subject,
	const char *thing)
{
	long st = sink->status;
	/* the registry's own words: {"errors":[{"code":"...","message":"..."}]} */
	char why[300] = "";
	json_error_t je;
	json_t *j = sink->errlen ? json_loadb(sink->errbody, sink->errlen, 0, &je) : NULL;
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *msg = json_string_value(json_object_get(e0, "message"));
	if (msg && *msg)
		snprintf(why, sizeof why, ": %s", msg);
	json_decref(j);
	if (st == 401)
		return berth__err(BERTH_EAUTH, "%s: %sunauthorized (401) by registry %s%s%s", g->what, subject, g->host, why,
			g->basic ? "" : " (no credentials: berth login first)");
	if (st == 403)
		return berth__err(BERTH_EAUTH, "%s: %sdenied (403) by registry %s%s", g->what, subject, g->host, why);
	if (st == 404)
		return berth__err(BERTH_ENOTFOUND, "%s: %s%s unknown (404)", g->what, subject, thing);
	if (st == 429) {
		if (sink->retry_after > RETRY_AFTER_MAX)
			return berth__err(BERTH_EBUSY, "%s: %stoo many requests (429): registry %s asks to retry after %ld s",
				g->what, subject, g->host, sink->retry_after);
		return berth__err(BERTH_EBUSY, "%s: %stoo many requests (429) from registry %s after %u tries", g->what,
			subject, g->host, g->tries);
	}
	if (st >= 500)
		return berth__err(BERTH_ENET, "%s: %sserver error (%ld) from registry %s after %u tries%s", g->what, subject,
			st, g->host, g->tries, why);
	return berth__err(BERTH_ENET, "%s: %s%s: unexpected HTTP status %ld from registry %s%s", g->what, subject,
		method, st, g->host, why);
}

int berth__reg_get(berth__reg *g, const char *kind, const char *ref, const char *accept, berth__reg_sink *sink)
{
	int manifest = !strcmp(kind, "manifests");
	char url[1200], scope[600];
	snprintf(url, sizeof url, "/v2/%s/%s/%s", g->path, kind, ref);
	snprintf(scope, sizeof scope, "repository:%s:pull", g->path);
	berth__reg_req q = { .url = url, .accept = accept, .fd = -1, .scope = scope };
	int r = berth__reg_do(g, &q, sink);
	if (r < 0)
		return r;
	if (sink->status >= 200 && sink->status < 300)
		return 0;
	char subject[300] = "";
	if (!manifest)
		snprintf(subject, sizeof subject, "blob %s: ", ref);
	return berth__reg_status_error(g, sink, "GET", subject, manifest ? "manifest" : "blob");
}
