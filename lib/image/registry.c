/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_image_pull: an image from a registry (distribution spec) into the
 * store.
 *
 * The manifest (or index/list, resolved to this platform's manifest) and the
 * config are read into memory and verified against their digests. The
 * layers not already in the store are fetched by up to PULL_WORKERS threads,
 * each layer in one streaming pass: as its bytes arrive they are written to
 * a temp blob and, through a socketpair, hashed, decompressed, hashed again
 * (the DiffID, checked against the config) and unpacked into a temp layer
 * dir by an unpacker thread. Only when every layer is ready does anything
 * become visible: layer dirs renamed in, blobs renamed in, the config and
 * manifest blobs written, index.json tagged. A failure removes every temp.
 */
#include "image/registry.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACCEPT_MANIFESTS                                                                       \
	BERTH__MT_OCI_MANIFEST ", " BERTH__MT_OCI_INDEX ", " BERTH__MT_DOCKER_MANIFEST ", " \
	BERTH__MT_DOCKER_LIST

/* The size of each version of berth_pull_options. */
static const size_t pull_options_sizes[BERTH_PULL_OPTIONS_VERSION] = {
	offsetof(berth_pull_options, on_progress), /* 1 (0.1): up to payload */
	sizeof(berth_pull_options),                /* 2 (0.2): on_progress */
};

BERTH_EXTERN int berth_pull_options_init(berth_pull_options *opts, unsigned int version)
{
	static const berth_pull_options d = BERTH_PULL_OPTIONS_INIT;
	/* only that version's part (a 0.1 caller's struct is shorter) */
	return berth__options_init(opts, version, &d, pull_options_sizes, BERTH_ARRAY_SIZE(pull_options_sizes),
	                           "berth_pull_options");
}

int berth__reg_progress(berth_progress_cb on_progress, berth_pull_progress_cb progress, void *payload,
	const char *what, const char *digest, int status, uint64_t done, uint64_t total)
{
	if (on_progress) {
		if (on_progress(digest, status, done, total, payload) != 0)
			return berth__err(BERTH_ECANCELED, "%s: canceled by the progress callback", what);
	} else if (progress) {
		progress(digest, status, done, total, payload);
	}
	return 0;
}

/* The caller's progress callback of the pull (0 to go on). */
static int report(const berth_pull_options *o, const char *what, const char *digest, int status, uint64_t done,
	uint64_t total)
{
	return berth__reg_progress(o->on_progress, o->progress, o->payload, what, digest, status, done, total);
}

static void sha_hex(const void *data, size_t len, char hex[65])
{
	berth__sha256_ctx c;
	berth__sha256_init(&c);
	berth__sha256_update(&c, data, len);
	berth__sha256_final_hex(&c, hex);
}

typedef struct platform {
	char os[64], arch[64], variant[64];
} platform;

static int parse_platform(platform *p, const char *s, const char *what)
{
	memset(p, 0, sizeof *p);
	if (!s) {
		snprintf(p->os, sizeof p->os, "linux");
		snprintf(p->arch, sizeof p->arch, "%s", berth__native_arch());
		return 0;
	}
	char buf[200];
	snprintf(buf, sizeof buf, "%s", s);
	char *a = strchr(buf, '/');
	char *v = a ? strchr(a + 1, '/') : NULL;
	if (!a || a == buf || !a[1] || (v && (!v[1] || strchr(v + 1, '/'))) || strlen(s) >= sizeof buf)
		return berth__err(BERTH_EINVAL, "%s: platform '%s': expected os/arch[/variant]", what, s);
	*a = '\0';
	if (v)
		*v = '\0';
	snprintf(p->os, sizeof p->os, "%s", buf);
	snprintf(p->arch, sizeof p->arch, "%s", a + 1);
	if (v)
		snprintf(p->variant, sizeof p->variant, "%s", v + 1);
	return 0;
}

static int variant_matches(const platform *want, const char *arch, const char *variant)
{
	if (!want->variant[0])
		return 1;
	if (variant && !strcmp(variant, want->variant))
		return 1;
	/* arm64 is v8 unless it says otherwise */
	return !strcmp(arch, "arm64") && !strcmp(want->variant, "v8") && (!variant || !*variant);
}

/* The manifest descriptor of an index/list for the platform. */
static int choose(json_t **out, json_t *index, const platform *want, const char *what)
{
	json_t *ms = json_object_get(index, "manifests");
	if (!json_is_array(ms))
		return berth__err(BERTH_EINVAL, "%s: index has no manifests array", what);
	size_t i;
	json_t *d;
	json_array_foreach(ms, i, d) {
		json_t *ann = json_object_get(d, "annotations");
		const char *rt = json_string_value(json_object_get(ann, "vnd.docker.reference.type"));
		if (rt && !strcmp(rt, "attestation-manifest"))
			continue;
		json_t *p = json_object_get(d, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *variant = json_string_value(json_object_get(p, "variant"));
		if (!os || !arch || (!strcmp(os, "unknown") && !strcmp(arch, "unknown")))
			continue;
		if (strcmp(os, want->os) || strcmp(arch, want->arch) || !variant_matches(want, arch, variant))
			continue;
		const char *dg = json_string_value(json_object_get(d, "digest"));
		if (!berth__digest_valid(dg))
			return berth__err(BERTH_EINVAL, "%s: index manifests[%zu].digest: not a sha256 digest", what, i);
		*out = d;
		return 0;
	}
	return berth__err(BERTH_ENOTFOUND, "%s: no manifest for platform %s/%s%s%s", what, want->os, want->arch,
		want->variant[0] ? "/" : "", want->variant);
}

/* GETs a manifest; verifies its bytes against expect (a digest, or NULL) and
 * Docker-Content-Digest. *body malloc'd; *mt its media type. */
static int get_manifest(berth__reg *g, const char *reference, const char *expect, char **body, size_t *len,
	json_t **json, char *mt, size_t mtlen, char digest[BERTH__DIGEST_LEN])
{
	berth__reg_sink s = { .max = BERTH__JSON_BLOB_MAX };
	int r = berth__reg_get(g, "manifests", reference, ACCEPT_MANIFESTS, &s);
	if (r < 0) {
		free(s.body);
		return r;
	}
	char hex[65];
	sha_hex(s.body ? s.body : "", s.len, hex);
	snprintf(digest, BERTH__DIGEST_LEN, "sha256:%s", hex);
	if (expect && strcmp(expect, digest))
		r = berth__err(BERTH_EDIGEST, "%s: manifest %s: digest mismatch (got %s)", g->what, expect, digest);
	else if (!strncmp(s.docker_digest, "sha256:", 7) && strcmp(s.docker_digest, digest))
		r = berth__err(BERTH_EDIGEST, "%s: manifest %s: digest mismatch (Docker-Content-Digest %s)", g->what, digest,
			s.docker_digest);
	json_error_t je;
	json_t *j = NULL;
	if (r == 0 && !(j = s.body ? json_loadb(s.body, s.len, 0, &je) : NULL))
		r = berth__err(BERTH_EINVAL, "%s: manifest %s: not JSON", g->what, digest);
	if (r == 0 && !json_is_object(j))
		r = berth__err(BERTH_EINVAL, "%s: manifest %s: not a JSON object", g->what, digest);
	if (r < 0) {
		json_decref(j);
		free(s.body);
		return r;
	}
	const char *m = json_string_value(json_object_get(j, "mediaType"));
	if (!m || !*m)
		m = s.content_type;
	if (!*m && json_is_array(json_object_get(j, "manifests")))
		m = BERTH__MT_OCI_INDEX;
	if (!*m)
		m = BERTH__MT_OCI_MANIFEST;
	snprintf(mt, mtlen, "%s", m);
	*body = s.body;
	*len = s.len;
	*json = j;
	return 0;
}

/* The config's and the layers' declared sizes against the limits and the
 * free space (berth__store_check_decl); a blob already in the store with
 * its size costs nothing. The config is read into memory: at most
 * BERTH__JSON_BLOB_MAX. */
static int check_declared(const berth__store *s, const json_t *manifest, const char *what)
{
	const json_t *cfg = json_object_get(manifest, "config"), *ls = json_object_get(manifest, "layers");
	uint64_t csize = (uint64_t)json_integer_value(json_object_get(cfg, "size"));
	const char *cdigest = json_string_value(json_object_get(cfg, "digest"));
	if (csize > BERTH__JSON_BLOB_MAX) {
		char sz[32];
		berth__format_size(sz, sizeof sz, csize);
		return berth__err(BERTH_EINVAL, "%s: config %s declares %s, more than the %u MiB berth reads", what, cdigest,
			sz, BERTH__JSON_BLOB_MAX >> 20);
	}
	size_t n = json_array_size(ls) + 1;
	berth__blob_decl *d = calloc(n, sizeof *d);
	if (!d)
		return berth__err_nomem();
	for (size_t i = 0; i < n; i++) {
		const json_t *desc = i ? json_array_get(ls, i - 1) : cfg;
		d[i].kind = i ? "layer" : "config";
		d[i].digest = json_string_value(json_object_get(desc, "digest"));
		d[i].size = (uint64_t)json_integer_value(json_object_get(desc, "size"));
		char p[4200];
		struct stat st;
		d[i].have = berth__blob_path(p, sizeof p, s, d[i].digest) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		            (uint64_t)st.st_size == d[i].size;
	}
	int r = berth__store_check_decl(s, d, n, what);
	free(d);
	return r;
}

typedef struct layer {
	const char *digest;
	int64_t size;
	char chain[BERTH__DIGEST_LEN];
	const char *diff_id;
	int exists;
	char hex[65];
	berth__blob_writer w;
	char tmp[4200];
	int tmp_fd;  /* tmp's fd, holding its owner lock (berth__tmp_dir_new) until it is installed or removed */
	int lock_fd; /* <root>/layers/.lock-<chain hex>, held from before the fetch to after the install */
} layer;

static int have_layer(const berth__store *s, const layer *l)
{
	char p[4200];
	struct stat st;
	if (berth__store_path(p, sizeof p, "%s/%s", s->layers, l->chain + 7) < 0 || stat(p, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	if (berth__blob_path(p, sizeof p, s, l->digest) < 0 || stat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != l->size)
		return 0;
	return 1;
}

/* --- one process fetches a layer at a time ---
 * Before fetching, a pull takes an exclusive flock on <root>/layers/.lock-<chain hex>
 * for each layer it lacks, in ChainID order (two pulls that share layers
 * take them in the same order: no deadlock), and keeps them until its layers
 * are installed. A second pull of the same layers waits, then finds them
 * there: each blob is downloaded once. The lock file is unlinked by its
 * holder before release; a waiter that got the lock on an unlinked file
 * takes it again (the inode check). */

static int cmp_chain(const void *a, const void *b)
{
	const layer *x = *(const layer *const *)a, *y = *(const layer *const *)b;
	return strcmp(x->chain, y->chain);
}

static int lock_one(layer *l, const berth__store *s)
{
	char p[4200];
	int r = berth__store_path(p, sizeof p, "%s/.lock-%s", s->layers, l->chain + 7);
	if (r < 0)
		return r;
	for (;;) {
		int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return berth__err_sys(errno, "image store: open %s", p);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				r = berth__err_sys(errno, "image store: lock %s", p);
				close(fd);
				return r;
			}
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			l->lock_fd = fd;
			return 0;
		}
		close(fd); /* its holder unlinked it: take the new one */
	}
}

static void unlock_layers(layer *ls, size_t nl, const berth__store *s)
{
	for (size_t i = 0; i < nl; i++) {
		if (ls[i].lock_fd < 0)
			continue;
		char p[4200];
		if (berth__store_path(p, sizeof p, "%s/.lock-%s", s->layers, ls[i].chain + 7) == 0)
			unlink(p);
		close(ls[i].lock_fd);
		ls[i].lock_fd = -1;
	}
}

/* Locks the missing layers; afterwards a layer another process installed
 * meanwhile is marked exists. */
static int lock_layers(layer *ls, size_t nl, const berth__store *s)
{
	layer **v = calloc(nl + 1, sizeof *v);
	if (!v)
		return berth__err_nomem();
	size_t n = 0;
	for (size_t i = 0; i < nl; i++)
		if (!ls[i].exists)
			v[n++] = &ls[i];
	qsort(v, n, sizeof *v, cmp_chain);
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		if (i == 0 || strcmp(v[i]->chain, v[i - 1]->chain)) /* the same layer twice in an image: one lock */
			r = lock_one(v[i], s);
	free(v);
	for (size_t i = 0; r == 0 && i < nl; i++)
		if (!ls[i].exists && have_layer(s, &ls[i]))
			ls[i].exists = 2; /* installed by another pull while we waited */
	return r;
}

/* --- fetching layers: several at once, each in one streaming pass ---
 * A worker thread per concurrent layer GETs the blob; its write callback
 * (feed) writes the bytes to the temp blob and sends them through a
 * socketpair to an unpacker thread, which hashes them (the blob digest),
 * decompresses, hashes the tar stream (the DiffID) and unpacks it into a
 * temp layer dir as they arrive. Nothing is verified-and-visible until the
 * main thread installs the layers after every worker succeeded. A transfer
 * that breaks after bytes went to the unpacker restarts the whole layer
 * (new temp blob, new temp dir); before any byte, the HTTP client's own
 * retries apply. Progress calls are serialised by a mutex. */

#define PULL_WORKERS 4

typedef struct pool {
	layer *ls;
	size_t nl, next;
	const berth__store *s;
	const berth__reg *g;
	const berth_pull_options *o;
	pthread_mutex_t mu;   /* next, failed */
	pthread_mutex_t pmu;  /* progress calls */
	int failed;
	int r;                /* the first error */
	berth__err_saved err; /* its message */
} pool;

/* A worker's progress; a stop asked by on_progress fails the pool (every
 * transfer stops at its next bytes). */
static void progress(pool *p, const char *digest, int status, uint64_t done, uint64_t total)
{
	if (!p->o->progress && !p->o->on_progress)
		return;
	pthread_mutex_lock(&p->pmu);
	if (!__atomic_load_n(&p->failed, __ATOMIC_RELAXED) &&
	    report(p->o, p->g->what, digest, status, done, total) < 0) {
		pthread_mutex_lock(&p->mu);
		if (!p->failed) {
			p->r = BERTH_ECANCELED;
			berth__err_save(&p->err);
			__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_unlock(&p->pmu);
}

typedef struct feed {
	pool *p;
	layer *l;
	int sock;           /* to the unpacker */
	uint64_t sent, reported;
	int restart;        /* bytes went out and the transfer must start over */
	int unpacker_gone;
} feed;

static int feed_bytes(void *arg, const void *data, size_t len)
{
	feed *f = arg;
	if (__atomic_load_n(&f->p->failed, __ATOMIC_RELAXED)) /* another layer failed: stop this transfer */
		return berth__err(BERTH_ERROR, "cancelled");
	if (f->sent + len > (uint64_t)f->l->size)
		return berth__err(BERTH_EDIGEST, "%s: blob %s: more than the %lld bytes its descriptor says", f->p->g->what,
			f->l->digest, (long long)f->l->size);
	const char *b = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(f->l->w.fd, b, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth__err_sys(errno, "image store: write %s", f->l->w.tmp);
		b += n;
		left -= (size_t)n;
	}
	b = data;
	left = len;
	while (left) {
		ssize_t n = send(f->sock, b, left, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			f->unpacker_gone = 1; /* its own error says why */
			return berth__err(BERTH_EINVAL, "unpacker stopped");
		}
		b += n;
		left -= (size_t)n;
	}
	f->sent += len;
	f->l->w.size = f->sent;
	if (f->sent - f->reported >= (256u << 10) || f->sent == (uint64_t)f->l->size) {
		f->reported = f->sent;
		progress(f->p, f->l->digest, BERTH_PULL_DOWNLOADING, f->sent, (uint64_t)f->l->size);
	}
	return 0;
}

static int feed_reset(void *arg)
{
	feed *f = arg;
	if (f->sent) {
		f->restart = 1;
		return BERTH_ENET; /* the transport error that made the client retry stays the message */
	}
	return 0;
}

typedef struct unpack_job {
	int dfd, sock;
	const char *what;
	berth__layer_result res;
	int r;
	berth__err_saved err;
} unpack_job;

static void *unpack_main(void *arg)
{
	unpack_job *j = arg;
	j->r = berth__layer_stream(&j->res, j->dfd, j->sock, -1, j->what);
	if (j->r < 0)
		berth__err_save(&j->err);
	close(j->sock); /* a feeder still sending gets EPIPE */
	j->sock = -1;
	return NULL;
}

/* Removes the layer's temp dir (if any), then lets go of its lock. */
static void tmp_drop(layer *l)
{
	if (l->tmp[0]) {
		berth__rm_rf_quiet(l->tmp);
		l->tmp[0] = '\0';
	}
	if (l->tmp_fd >= 0)
		close(l->tmp_fd);
	l->tmp_fd = -1;
}

static void discard(layer *l)
{
	berth__blob_abort(&l->w);
	tmp_drop(l);
}

static int file_sha256(int fd, char hex[65])
{
	berth__sha256_ctx c;
	berth__sha256_init(&c);
	char *buf = malloc(1 << 17);
	if (!buf)
		return -1;
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, 1 << 17, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		berth__sha256_update(&c, buf, (size_t)n);
		off += n;
	}
	free(buf);
	berth__sha256_final_hex(&c, hex);
	return 0;
}

static int fetch_once(pool *p, berth__reg *g, layer *l, int *restart)
{
	*restart = 0;
	int r = berth__blob_begin(&l->w, p->s);
	if (r < 0)
		return r;
	int dfd = berth__layer_tmpdir(l->tmp, sizeof l->tmp, p->s);
	if (dfd < 0) {
		l->tmp[0] = '\0';
		return dfd;
	}
	l->tmp_fd = dfd; /* closed by discard() or after the install */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		return berth__err_sys(errno, "%s: socketpair", g->what);
	}
	int sz = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	char what[400];
	snprintf(what, sizeof what, "%s: layer %s", g->what, l->digest);
	unpack_job j = { .dfd = dfd, .sock = sv[0], .what = what };
	pthread_t th;
	int e = pthread_create(&th, NULL, unpack_main, &j);
	if (e) {
		close(sv[0]);
		close(sv[1]);
		return berth__err_sys(e, "%s: start an unpacker thread", g->what);
	}
	feed f = { .p = p, .l = l, .sock = sv[1] };
	berth__reg_sink sink = { .fn = feed_bytes, .reset = feed_reset, .arg = &f };
	r = berth__reg_get(g, "blobs", l->digest, NULL, &sink);
	if (r == 0)
		progress(p, l->digest, BERTH_PULL_EXTRACTING, f.sent, (uint64_t)l->size);
	close(sv[1]); /* end of input for the unpacker */
	pthread_join(th, NULL);
	*restart = r < 0 && f.restart;
	if (j.r < 0 && r == 0) {
		/* all bytes came but did not unpack: corrupt in transit (the digest
		 * says so) or a bad layer (the unpacker says why) */
		char hex[65];
		if (file_sha256(l->w.fd, hex) == 0 && strcmp(hex, l->digest + 7)) {
			free(j.err.message);
			return berth__err(BERTH_EDIGEST, "%s: blob %s: digest mismatch (got sha256:%s)", g->what, l->digest, hex);
		}
		berth__err_restore(&j.err);
		return j.r;
	}
	if (j.r < 0 && f.unpacker_gone) {
		berth__err_restore(&j.err); /* the unpacker stopped first: its error is the cause */
		return j.r;
	}
	free(j.err.message);
	if (r < 0)
		return r;
	if (strcmp(j.res.blob_hex, l->digest + 7))
		return berth__err(BERTH_EDIGEST, "%s: blob %s: digest mismatch (got sha256:%s)", g->what, l->digest,
			j.res.blob_hex);
	if (j.res.blob_size != (uint64_t)l->size)
		return berth__err(BERTH_EDIGEST, "%s: blob %s: %llu bytes, its descriptor says %lld", g->what, l->digest,
			(unsigned long long)j.res.blob_size, (long long)l->size);
	if (strcmp(j.res.diff_hex, l->diff_id + 7))
		return berth__err(BERTH_EDIGEST, "%s: layer %s: uncompressed content hashes to sha256:%s, the config says %s",
			g->what, l->digest, j.res.diff_hex, l->diff_id);
	memcpy(l->hex, j.res.blob_hex, sizeof l->hex);
	return 0;
}

static int fetch_layer(pool *p, berth__reg *g, layer *l)
{
	progress(p, l->digest, BERTH_PULL_DOWNLOADING, 0, (uint64_t)l->size);
	for (unsigned attempt = 1;; attempt++) {
		int restart = 0;
		int r = fetch_once(p, g, l, &restart);
		if (r == 0)
			return 0;
		discard(l);
		if (!restart || attempt >= g->tries)
			return r;
		berth__log(g->ctx, BERTH_LOG_INFO, "%s: blob %s: %s; starting it again", g->what, l->digest,
			berth_error_last()->message);
		struct timespec ts = { 0, (long)g->retry_ms * 1000000L * (long)attempt };
		nanosleep(&ts, NULL);
	}
}

static void *worker_main(void *arg)
{
	pool *p = arg;
	berth__reg g;
	int r = berth__reg_clone(&g, p->g);
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next;
		while (i < p->nl && p->ls[i].exists)
			i++;
		p->next = i + 1;
		int stop = p->failed || i >= p->nl;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		if (r == 0)
			r = fetch_layer(p, &g, &p->ls[i]);
		if (r < 0) {
			pthread_mutex_lock(&p->mu);
			if (!p->failed) {
				p->r = r;
				berth__err_save(&p->err);
				__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
			}
			pthread_mutex_unlock(&p->mu);
			break;
		}
	}
	berth__reg_free(&g);
	return NULL;
}

/* Fetches every layer that is not there yet; on failure each worker's temp
 * files are removed by the caller (discard). */
static int fetch_layers(layer *ls, size_t nl, const berth__store *s, const berth__reg *g, const berth_pull_options *o)
{
	pool p = { .ls = ls, .nl = nl, .s = s, .g = g, .o = o };
	size_t missing = 0;
	for (size_t i = 0; i < nl; i++)
		missing += !ls[i].exists;
	if (!missing)
		return 0;
	pthread_mutex_init(&p.mu, NULL);
	pthread_mutex_init(&p.pmu, NULL);
	size_t nw = missing < PULL_WORKERS ? missing : PULL_WORKERS;
	pthread_t th[PULL_WORKERS];
	size_t started = 0;
	for (; started < nw; started++)
		if (pthread_create(&th[started], NULL, worker_main, &p))
			break;
	if (!started) /* no thread at all: do it here */
		worker_main(&p);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_mutex_destroy(&p.pmu);
	if (p.failed) {
		berth__err_restore(&p.err);
		return p.r;
	}
	return 0;
}

BERTH_EXTERN int berth_image_pull(berth_image **out, berth_ctx *ctx, const char *ref, const berth_pull_options *opts_in)
{
	/* the caller's options of any version as the current one */
	berth_pull_options o = BERTH_PULL_OPTIONS_INIT;
	if (opts_in && berth__options_copy(&o, opts_in, pull_options_sizes, BERTH_PULL_OPTIONS_VERSION,
	                                   "berth_pull_options") < 0)
		return berth__err_prefix("pull");
	const berth_pull_options *opts = &o;
	if (opts->progress && opts->on_progress)
		return berth__err(BERTH_EINVAL, "pull: set progress (0.1) or on_progress, not both");
	if (!out || !ref || !*ref)
		return berth__err(BERTH_EINVAL, "pull: out and a reference are required");
	berth__store s;
	int r = berth__store_init(&s, ctx);
	if (r < 0)
		return r;
	berth__store_sweep(&s); /* before the free space is measured */
	berth_ref *pref = NULL;
	if (berth_ref_parse(&pref, ref) < 0)
		return berth__err_prefix("pull %.300s", ref);
	char what[600];
	snprintf(what, sizeof what, "pull %s", berth_ref_string(pref));
	platform want;
	if ((r = parse_platform(&want, opts->platform, what)) < 0) {
		berth_ref_free(pref);
		return r;
	}

	berth__reg g;
	int gc = -1;
	char *mbody = NULL, *cbody = NULL;
	size_t mlen = 0;
	json_t *manifest = NULL, *config = NULL;
	layer *ls = NULL;
	size_t nl = 0;
	const char **diff_ids = NULL;
	char (*chains)[BERTH__DIGEST_LEN] = NULL;
	if ((r = berth__reg_init(&g, pref, opts->tls_verify, opts->username, opts->password, what)) < 0)
		goto out;
	g.ctx = ctx;
	if (berth__curl_error()) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: %s", what, berth__curl_error());
		goto out;
	}
	if ((r = report(opts, what, NULL, BERTH_PULL_RESOLVING, 0, 0)) < 0)
		goto out;

	/* the manifest, through an index when there is one */
	char mt[256], mdigest[BERTH__DIGEST_LEN];
	const char *dref = berth_ref_digest(pref);
	if ((r = get_manifest(&g, dref ? dref : berth_ref_tag(pref), dref, &mbody, &mlen, &manifest, mt, sizeof mt,
		     mdigest)) < 0)
		goto out;
	if (!strcmp(mt, BERTH__MT_OCI_INDEX) || !strcmp(mt, BERTH__MT_DOCKER_LIST)) {
		json_t *d = NULL;
		if ((r = choose(&d, manifest, &want, what)) < 0)
			goto out;
		char pick[BERTH__DIGEST_LEN];
		snprintf(pick, sizeof pick, "%s", json_string_value(json_object_get(d, "digest")));
		json_decref(manifest);
		manifest = NULL;
		free(mbody);
		mbody = NULL;
		if ((r = get_manifest(&g, pick, pick, &mbody, &mlen, &manifest, mt, sizeof mt, mdigest)) < 0)
			goto out;
	}
	if (strcmp(mt, BERTH__MT_OCI_MANIFEST) && strcmp(mt, BERTH__MT_DOCKER_MANIFEST)) {
		r = berth__err(BERTH_EUNSUPPORTED, "%s: manifest %s: media type %s is not an image manifest berth can use",
			what, mdigest, mt);
		goto out;
	}
	char mwhat[700];
	snprintf(mwhat, sizeof mwhat, "%s: manifest %s", what, mdigest);
	if ((r = berth__manifest_check(manifest, mwhat)) < 0)
		goto out;

	/* what it declares, before any blob is fetched */
	if ((r = check_declared(&s, manifest, what)) < 0)
		goto out;

	/* the config: no more than it declares */
	const char *cdigest = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
	berth__reg_sink cs = { .max = (size_t)json_integer_value(json_object_get(json_object_get(manifest, "config"),
		"size")) };
	if ((r = berth__reg_get(&g, "blobs", cdigest, NULL, &cs)) < 0) {
		free(cs.body);
		goto out;
	}
	cbody = cs.body;
	size_t clen = cs.len;
	char chex[65];
	sha_hex(cbody ? cbody : "", clen, chex);
	if (strcmp(chex, cdigest + 7)) {
		r = berth__err(BERTH_EDIGEST, "%s: blob %s: digest mismatch (got sha256:%s)", what, cdigest, chex);
		goto out;
	}
	json_error_t je;
	if (!(config = cbody ? json_loadb(cbody, clen, 0, &je) : NULL) || !json_is_object(config)) {
		r = berth__err(BERTH_EINVAL, "%s: config %s: not a JSON object", what, cdigest);
		goto out;
	}
	if ((r = berth__image_check(manifest, config, mwhat)) < 0)
		goto out;

	/* the layers */
	json_t *jl = json_object_get(manifest, "layers");
	json_t *jd = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	nl = json_array_size(jl);
	ls = calloc(nl ? nl : 1, sizeof *ls);
	diff_ids = calloc(nl ? nl : 1, sizeof *diff_ids);
	chains = calloc(nl ? nl : 1, sizeof *chains);
	for (size_t i = 0; ls && i < nl; i++) /* before any goto out: out closes these */
		ls[i].w.fd = ls[i].lock_fd = ls[i].tmp_fd = -1;
	if (!ls || !diff_ids || !chains) {
		r = berth__err_nomem();
		goto out;
	}
	for (size_t i = 0; i < nl; i++)
		diff_ids[i] = json_string_value(json_array_get(jd, i));
	if ((r = berth__chain_ids(chains, diff_ids, nl)) < 0)
		goto out;
	if ((r = berth__store_ensure(&s)) < 0)
		goto out;
	if ((gc = berth__store_lock(&s, ".gc.lock", LOCK_SH)) < 0) {
		r = gc;
		goto out;
	}
	r = 0;
	for (size_t i = 0; i < nl; i++) {
		json_t *d = json_array_get(jl, i);
		ls[i].digest = json_string_value(json_object_get(d, "digest"));
		ls[i].size = (int64_t)json_integer_value(json_object_get(d, "size"));
		ls[i].diff_id = diff_ids[i];
		memcpy(ls[i].chain, chains[i], BERTH__DIGEST_LEN);
		ls[i].exists = have_layer(&s, &ls[i]);
		if (r == 0)
			r = report(opts, what, ls[i].digest, ls[i].exists ? BERTH_PULL_EXISTS : BERTH_PULL_WAITING, 0,
				(uint64_t)ls[i].size);
	}
	if (r < 0)
		goto out;
	if ((r = lock_layers(ls, nl, &s)) < 0 || (r = BERTH_FAULT("pull.manifest")) < 0)
		goto out;
	for (size_t i = 0; i < nl; i++)
		if (ls[i].exists == 2 && (r = report(opts, what, ls[i].digest, BERTH_PULL_EXISTS, 0, (uint64_t)ls[i].size)) < 0)
			goto out;
	if ((r = fetch_layers(ls, nl, &s, &g, opts)) < 0 || (r = BERTH_FAULT("pull.layers")) < 0)
		goto out;

	/* everything verified: make it visible */
	for (size_t i = 0; i < nl; i++) {
		if (ls[i].exists)
			continue;
		r = berth__layer_install(&s, ls[i].tmp, ls[i].chain);
		ls[i].tmp[0] = '\0';
		tmp_drop(&ls[i]); /* renamed (or removed): its lock goes */
		if (r < 0)
			goto out;
		if ((r = berth__blob_commit_hashed(&ls[i].w, &s, ls[i].hex)) < 0 || (r = BERTH_FAULT("pull.layer.install")) < 0)
			goto out;
		if ((r = report(opts, what, ls[i].digest, BERTH_PULL_DONE, (uint64_t)ls[i].size, (uint64_t)ls[i].size)) < 0)
			goto out;
	}
	char dg[BERTH__DIGEST_LEN];
	if ((r = berth__blob_put(&s, cbody, clen, dg)) < 0 || (r = berth__blob_put(&s, mbody, mlen, dg)) < 0 ||
	    (r = BERTH_FAULT("pull.tag")) < 0)
		goto out;
	if ((r = berth__index_tag(&s, mt, mdigest, (int64_t)mlen, berth_ref_string(pref))) < 0)
		goto out;
	berth_image *img = NULL;
	if ((r = berth__image_load(&img, ctx, mdigest, (int64_t)mlen)) < 0)
		goto out;
	*out = img;
	r = 0;
out: {
	berth__err_saved sv;
	berth__err_save(&sv);
	for (size_t i = 0; ls && i < nl; i++)
		discard(&ls[i]);
	if (ls)
		unlock_layers(ls, nl, &s);
	berth__err_restore(&sv);
}
	berth__store_unlock(gc);
	free(ls);
	free(diff_ids);
	free(chains);
	json_decref(manifest);
	json_decref(config);
	free(mbody);
	free(cbody);
	berth__reg_free(&g);
	berth_ref_free(pref);
	if (r == 0)
		berth__err_ok();
	return r;
}
