/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth_image_pull against a local registry (/usr/bin/docker-registry on
 * 127.0.0.1, started by registry_fixture.sh): OCI and Docker schema-2
 * manifests, progress reports, a second pull finding the layer, and the
 * failures (missing tag, no registry, a corrupted blob) leaving nothing
 * behind. Also berth_image_push (chunked, existing blobs, mounts) read back
 * by a pull, save/load round trips in both formats, login/logout. (Auth and
 * misbehaving registries: tests/python/test_cli_registry.py.) */
#include "testutil.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char regdir[256];
static int port;
static int regpid;

static void sh(const char *cmd)
{
	int st = system(cmd);
	if (st != 0) {
		fprintf(stderr, "command failed (%d): %s\n", st, cmd);
		abort();
	}
}

/* A registry holding test/busybox:1 (OCI) and test/busybox:v2s2 (Docker schema 2). */
static void registry_start(void)
{
	snprintf(regdir, sizeof regdir, "/tmp/berth-registry-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(regdir))
		abort();
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s/tests/image/registry_fixture.sh '%s'", BERTH_TEST_SOURCE_DIR, regdir);
	FILE *f = popen(cmd, "r");
	if (!f || fscanf(f, "%d %d", &port, &regpid) != 2 || pclose(f) != 0) {
		fprintf(stderr, "cannot start the registry\n");
		abort();
	}
	/* the image: a busybox rootfs imported into a scratch store, pushed with skopeo */
	tu_env scratch;
	tu_env_init(&scratch);
	char tar[512];
	snprintf(tar, sizeof tar, "%s/busybox.tar", scratch.dir);
	snprintf(cmd, sizeof cmd, "tar -C '%s' --numeric-owner -cf '%s' .", tu_rootfs(), tar);
	sh(cmd);
	berth_image *img;
	if (berth_image_import(&img, scratch.ctx, tar, "busybox:src") != 0) {
		fprintf(stderr, "import: %s\n", berth_error_last()->message);
		abort();
	}
	berth_image_free(img);
	snprintf(cmd, sizeof cmd,
		"skopeo copy -q --dest-tls-verify=false oci:%s/images:docker.io/library/busybox:src "
		"docker://127.0.0.1:%d/test/busybox:1 >/dev/null",
		scratch.root, port);
	sh(cmd);
	snprintf(cmd, sizeof cmd,
		"skopeo copy -q --format v2s2 --dest-tls-verify=false oci:%s/images:docker.io/library/busybox:src "
		"docker://127.0.0.1:%d/test/busybox:v2s2 >/dev/null",
		scratch.root, port);
	sh(cmd);
	tu_env_cleanup(&scratch);
}

static void registry_stop(void)
{
	if (regpid > 0) {
		kill(regpid, SIGTERM);
		/* our child only if we are a subreaper; else init reaps it */
		for (int i = 0; i < 200; i++) {
			if (waitpid(regpid, NULL, WNOHANG) == regpid || (kill(regpid, 0) < 0 && errno == ESRCH))
				break;
			struct timespec ts = { 0, 20000000L };
			nanosleep(&ts, NULL);
		}
		regpid = 0;
	}
	if (regdir[0]) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", regdir);
		sh(cmd);
		regdir[0] = '\0';
	}
}

static tu_env E;
static void setup(void) { tu_env_init(&E); }
static void teardown(void) { tu_env_cleanup(&E); }

typedef struct seen {
	int resolving, waiting, downloading, extracting, done, exists;
	uint64_t last_done, total;
} seen;

static void progress(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	seen *s = payload;
	switch (status) {
	case BERTH_PULL_RESOLVING: s->resolving++; ck_assert_ptr_null(digest); break;
	case BERTH_PULL_WAITING: s->waiting++; break;
	case BERTH_PULL_DOWNLOADING: s->downloading++; s->last_done = done; s->total = total; break;
	case BERTH_PULL_EXTRACTING: s->extracting++; break;
	case BERTH_PULL_DONE: s->done++; break;
	case BERTH_PULL_EXISTS: s->exists++; break;
	}
	if (status != BERTH_PULL_RESOLVING)
		ck_assert_int_eq(strncmp(digest, "sha256:", 7), 0);
}

static int index_entries(tu_env *e)
{
	char **ids;
	tu_ok(berth_image_list(&ids, e->ctx));
	int n = 0;
	while (ids[n])
		n++;
	berth_free(ids);
	return n;
}

static void pull_and_run(const char *tag)
{
	char ref[256];
	snprintf(ref, sizeof ref, "127.0.0.1:%d/test/busybox:%s", port, tag);
	berth_pull_options o;
	tu_ok(berth_pull_options_init(&o, BERTH_PULL_OPTIONS_VERSION));
	seen s = { 0 };
	o.progress = progress;
	o.payload = &s;
	berth_image *img;
	tu_ok(berth_image_pull(&img, E.ctx, ref, &o));
	ck_assert_int_eq(s.resolving, 1);
	ck_assert_int_eq(s.waiting, 1);
	ck_assert_int_ge(s.downloading, 1);
	ck_assert_int_eq(s.extracting, 1);
	ck_assert_int_eq(s.done, 1);
	ck_assert_int_eq(s.exists, 0);
	ck_assert(s.total > 0 && s.last_done == s.total);
	berth_image_free(img);

	tu_ok(berth_image_open(&img, E.ctx, ref));
	char **dirs;
	tu_ok(berth_image_layer_dirs(&dirs, img));
	ck_assert_ptr_nonnull(dirs[0]);
	ck_assert_ptr_null(dirs[1]);
	char p[700];
	snprintf(p, sizeof p, "%s/bin/busybox", dirs[0]);
	ck_assert_int_eq(access(p, X_OK), 0);
	berth_free(dirs);
	char **tags;
	tu_ok(berth_image_tags(&tags, img));
	ck_assert_str_eq(tags[0], ref);
	berth_free(tags);

	berth_spec *spec = tu_spec_sh("true");
	const char *cmd[] = { "sh", "-c", "echo ok", NULL };
	tu_ok(berth_spec_set_image(spec, img, NULL, cmd));
	char *out;
	ck_assert_int_eq(tu_run_capture(&E, spec, &out), 0);
	ck_assert_str_eq(out, "ok\n");
	free(out);
	berth_spec_free(spec);
	berth_image_free(img);

	/* again: the layer is there already */
	seen s2 = { 0 };
	o.payload = &s2;
	tu_ok(berth_image_pull(&img, E.ctx, ref, &o));
	ck_assert_int_eq(s2.exists, 1);
	ck_assert_int_eq(s2.downloading, 0);
	ck_assert_int_eq(s2.done, 0);
	berth_image_free(img);
	ck_assert_int_eq(index_entries(&E), 1);
}

START_TEST(pull_oci) { pull_and_run("1"); }
END_TEST

START_TEST(pull_docker_schema2) { pull_and_run("v2s2"); }
END_TEST

START_TEST(missing_tag)
{
	char ref[256];
	snprintf(ref, sizeof ref, "127.0.0.1:%d/test/busybox:nope", port);
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, ref, NULL), BERTH_ENOTFOUND);
	ck_assert_ptr_null(img);
	const char *msg = berth_error_last()->message;
	ck_assert_msg(strstr(msg, "manifest unknown") && strstr(msg, ref), "%s", msg);
	ck_assert_int_eq(index_entries(&E), 0);
}
END_TEST

START_TEST(no_registry)
{
	/* nothing listens on port 1 */
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, "127.0.0.1:1/test/busybox:1", NULL), BERTH_ENET);
	const char *msg = berth_error_last()->message;
	ck_assert_msg(strstr(msg, "127.0.0.1:1"), "%s", msg);
	ck_assert_int_eq(index_entries(&E), 0);
}
END_TEST

START_TEST(bad_options)
{
	berth_pull_options o = BERTH_PULL_OPTIONS_INIT;
	ck_assert_int_eq(berth_pull_options_init(&o, 99), BERTH_EINVAL);
	o.version = 99;
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, "127.0.0.1:1/a:1", &o), BERTH_EINVAL);
	o.version = BERTH_PULL_OPTIONS_VERSION;
	o.platform = "linux";
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, "127.0.0.1:1/a:1", &o), BERTH_EINVAL);
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, "Bad//ref", NULL), BERTH_EINVAL);
}
END_TEST

/* 0.2's progress callback that can stop the pull: stops at the first
 * bytes of the layer. */
static int stop_downloading(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	(void)digest, (void)done, (void)total;
	int *calls = payload;
	(*calls)++;
	return status == BERTH_PULL_DOWNLOADING;
}

/* 0.1's callback, through a version 1 struct: counts the calls. */
static void count_progress(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	(void)digest, (void)status, (void)done, (void)total;
	(*(int *)payload)++;
}

START_TEST(on_progress_stops_the_pull)
{
	char ref[256];
	snprintf(ref, sizeof ref, "127.0.0.1:%d/test/busybox:1", port);
	berth_pull_options o = BERTH_PULL_OPTIONS_INIT;
	int calls = 0;
	o.on_progress = stop_downloading;
	o.payload = &calls;
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, ref, &o), BERTH_ECANCELED);
	const char *msg = berth_error_last()->message;
	ck_assert_msg(strstr(msg, "pull 127.0.0.1:") && strstr(msg, "canceled by the progress callback"), "%s", msg);
	ck_assert_ptr_null(img);
	ck_assert_int_ge(calls, 3); /* resolving, waiting, the first bytes */
	char p[600];
	snprintf(p, sizeof p, "%s/layers", E.root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	snprintf(p, sizeof p, "%s/images/.tmp", E.root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	ck_assert_int_eq(index_entries(&E), 0);

	/* both callbacks: refused */
	o.progress = count_progress;
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, ref, &o), BERTH_EINVAL);

	/* a 0.1 caller: version 1, whose struct ends before on_progress (poisoned
	 * here: it must not be read), gets its void callback and the image */
	berth_pull_options v1;
	tu_ok(berth_pull_options_init(&v1, 1));
	ck_assert_uint_eq(v1.version, 1);
	v1.on_progress = (berth_progress_cb)(uintptr_t)1;
	v1.progress = count_progress;
	calls = 0;
	v1.payload = &calls;
	tu_ok(berth_image_pull(&img, E.ctx, ref, &v1));
	ck_assert_int_ge(calls, 4);
	berth_image_free(img);

	/* push: stopped before the first blob */
	berth_push_options po = BERTH_PUSH_OPTIONS_INIT;
	po.on_progress = stop_downloading; /* mounted from test/busybox: no upload (status 2), so it goes on */
	calls = 0;
	po.payload = &calls;
	char dest[256];
	snprintf(dest, sizeof dest, "127.0.0.1:%d/cancel/bb:1", port);
	tu_ok(berth_image_push(NULL, E.ctx, ref, dest, &po));
	ck_assert_int_ge(calls, 3);
}
END_TEST

static void import_busybox(tu_env *e, const char *ref);

static int stop_at_waiting(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	(void)digest, (void)done, (void)total, (void)payload;
	return status == BERTH_PUSH_WAITING;
}

START_TEST(on_progress_stops_the_push)
{
	import_busybox(&E, "bb:stop");
	char dest[256];
	snprintf(dest, sizeof dest, "127.0.0.1:%d/stopped/bb:1", port);
	berth_push_options po = BERTH_PUSH_OPTIONS_INIT;
	po.on_progress = stop_at_waiting;
	ck_assert_int_eq(berth_image_push(NULL, E.ctx, "bb:stop", dest, &po), BERTH_ECANCELED);
	ck_assert_msg(strstr(berth_error_last()->message, "canceled by the progress callback"), "%s",
	              berth_error_last()->message);
	/* nothing reached the registry: a pull of it finds no manifest */
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, dest, NULL), BERTH_ENOTFOUND);
}
END_TEST

START_TEST(corrupted_blob)
{
	/* overwrite bytes in the middle of the largest blob (the layer) */
	char cmd[1200];
	snprintf(cmd, sizeof cmd,
		"f=$(find '%s/data/docker/registry/v2/blobs' -name data -size +100k | head -n1); test -n \"$f\" && "
		"printf 'CORRUPTED' | dd of=\"$f\" bs=1 seek=4096 conv=notrunc status=none",
		regdir);
	sh(cmd);
	char ref[256];
	snprintf(ref, sizeof ref, "127.0.0.1:%d/test/busybox:1", port);
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, E.ctx, ref, NULL), BERTH_EDIGEST);
	const char *msg = berth_error_last()->message;
	ck_assert_msg(strstr(msg, "digest mismatch (got sha256:") && strstr(msg, ": blob sha256:"), "%s", msg);
	char p[600];
	snprintf(p, sizeof p, "%s/layers", E.root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	snprintf(p, sizeof p, "%s/images/blobs/sha256", E.root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	snprintf(p, sizeof p, "%s/images/.tmp", E.root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	ck_assert_int_eq(index_entries(&E), 0);
}
END_TEST


/* --- push, save/load, login (the same registry) --- */

typedef struct pushed {
	int preparing, waiting, uploading, done, exists, mounted;
} pushed;

static void push_progress(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	pushed *p = payload;
	(void)done;
	(void)total;
	switch (status) {
	case BERTH_PUSH_PREPARING: p->preparing++; ck_assert_ptr_null(digest); break;
	case BERTH_PUSH_WAITING: p->waiting++; break;
	case BERTH_PUSH_UPLOADING: p->uploading++; break;
	case BERTH_PUSH_DONE: p->done++; break;
	case BERTH_PUSH_EXISTS: p->exists++; break;
	case BERTH_PUSH_MOUNTED: p->mounted++; break;
	default: ck_abort_msg("status %d", status);
	}
}

static void import_busybox(tu_env *e, const char *ref)
{
	char tar[600], cmd[1400];
	snprintf(tar, sizeof tar, "%s/bb-%d.tar", e->dir, (int)getpid());
	snprintf(cmd, sizeof cmd, "tar -C '%s' --numeric-owner -cf '%s' .", tu_rootfs(), tar);
	sh(cmd);
	berth_image *img;
	tu_ok(berth_image_import(&img, e->ctx, tar, ref));
	berth_image_free(img);
	unlink(tar);
}

START_TEST(push_and_pull_back)
{
	import_busybox(&E, "bb:push");
	char dest[256];
	snprintf(dest, sizeof dest, "127.0.0.1:%d/push/bb:1", port);
	berth_push_options o;
	tu_ok(berth_push_options_init(&o, BERTH_PUSH_OPTIONS_VERSION));
	pushed p = { 0 };
	o.progress = push_progress;
	o.payload = &p;
	o.chunk_size = 400000;
	char *digest = NULL;
	tu_ok(berth_image_push(&digest, E.ctx, "bb:push", dest, &o));
	ck_assert_int_eq(strncmp(digest, "sha256:", 7), 0);
	ck_assert_int_eq(p.preparing, 1);
	ck_assert_int_eq(p.waiting, 2); /* the layer and the config */
	ck_assert_int_eq(p.done, 2);
	ck_assert_int_ge(p.uploading, 4); /* a ~2 MB layer in 400 kB chunks */
	berth_image *img;
	tu_ok(berth_image_open(&img, E.ctx, "bb:push"));
	char id[80];
	snprintf(id, sizeof id, "%s", berth_image_id(img));
	berth_image_free(img);

	/* a second store pulls what was pushed: the same image */
	tu_env e2;
	tu_env_init(&e2);
	tu_ok(berth_image_pull(&img, e2.ctx, dest, NULL));
	ck_assert_str_eq(berth_image_id(img), id);
	berth_image_free(img);
	tu_env_cleanup(&e2);

	/* again: the registry has both blobs; to another repository: mounted */
	pushed p2 = { 0 };
	o.payload = &p2;
	o.chunk_size = 0;
	char *d2 = NULL;
	tu_ok(berth_image_push(&d2, E.ctx, "bb:push", dest, &o));
	ck_assert_int_eq(p2.exists, 2);
	ck_assert_int_eq(p2.uploading, 0);
	ck_assert_str_eq(d2, digest);
	berth_free(d2);
	pushed p3 = { 0 };
	o.payload = &p3;
	o.mount_from = "push/bb";
	snprintf(dest, sizeof dest, "127.0.0.1:%d/push/other:2", port);
	tu_ok(berth_image_push(NULL, E.ctx, "bb:push", dest, &o));
	ck_assert_int_eq(p3.mounted, 2);
	berth_free(digest);

	/* errors */
	o.version = 99;
	ck_assert_int_eq(berth_image_push(NULL, E.ctx, "bb:push", dest, &o), BERTH_EINVAL);
	ck_assert_int_eq(berth_image_push(NULL, E.ctx, "nosuch:1", dest, NULL), BERTH_ENOTFOUND);
	ck_assert_msg(strstr(berth_error_last()->message, "nosuch:1"), "%s", berth_error_last()->message);
	ck_assert_int_eq(berth_image_push(NULL, E.ctx, "bb:push", "127.0.0.1:1/x/y:1", NULL), BERTH_ENET);
}
END_TEST

static void save_load(int format)
{
	import_busybox(&E, "bb:save");
	berth_image *img;
	tu_ok(berth_image_open(&img, E.ctx, "bb:save"));
	char id[80];
	snprintf(id, sizeof id, "%s", berth_image_id(img));
	berth_image_free(img);
	char path[600];
	snprintf(path, sizeof path, "%s/archive.tar", E.dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	const char *names[] = { "bb:save", NULL };
	tu_ok(berth_image_save(E.ctx, names, format, fd));
	close(fd);

	tu_env e2;
	tu_env_init(&e2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	char **lines = NULL;
	tu_ok(berth_image_load(&lines, e2.ctx, fd));
	close(fd);
	char want[200];
	snprintf(want, sizeof want, "%s docker.io/library/bb:save", id);
	ck_assert_str_eq(lines[0], want);
	ck_assert_ptr_null(lines[1]);
	berth_free(lines);
	tu_ok(berth_image_open(&img, e2.ctx, "bb:save"));
	ck_assert_str_eq(berth_image_id(img), id);
	char **dirs;
	tu_ok(berth_image_layer_dirs(&dirs, img));
	char p[800];
	snprintf(p, sizeof p, "%s/bin/busybox", dirs[0]);
	ck_assert_int_eq(access(p, X_OK), 0);
	berth_free(dirs);
	berth_image_free(img);

	/* not an archive: refused, nothing left */
	tu_env e3;
	tu_env_init(&e3);
	fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(berth_image_load(&lines, e3.ctx, fd), BERTH_EINVAL);
	close(fd);
	snprintf(p, sizeof p, "%s/images/.tmp", e3.root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	ck_assert_int_eq(index_entries(&e3), 0);
	tu_env_cleanup(&e3);
	tu_env_cleanup(&e2);
	unlink(path);
}

START_TEST(save_load_docker) { save_load(BERTH_ARCHIVE_DOCKER); }
END_TEST

START_TEST(save_load_oci) { save_load(BERTH_ARCHIVE_OCI); }
END_TEST

START_TEST(login_logout)
{
	char dir[600], reg[64], cfg[700];
	snprintf(dir, sizeof dir, "%s/dockercfg", E.dir);
	setenv("DOCKER_CONFIG", dir, 1);
	snprintf(reg, sizeof reg, "127.0.0.1:%d", port);
	/* the registry has no auth: any credentials pass its /v2/ */
	tu_ok(berth_registry_login(E.ctx, reg, "bob", "pw", 1));
	snprintf(cfg, sizeof cfg, "%s/config.json", dir);
	struct stat st;
	ck_assert_int_eq(stat(cfg, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	char out[4096] = "";
	FILE *f = fopen(cfg, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	fclose(f);
	ck_assert_msg(strstr(out, "\"Ym9iOnB3\""), "%s", out); /* base64("bob:pw") */
	tu_ok(berth_registry_logout(E.ctx, reg));
	ck_assert_int_eq(berth_registry_logout(E.ctx, reg), BERTH_ENOTFOUND);
	ck_assert_int_eq(berth_registry_login(E.ctx, "a/b", "bob", "pw", 1), BERTH_EINVAL);
	ck_assert_int_eq(berth_registry_login(E.ctx, reg, "", "pw", 1), BERTH_EINVAL);
	ck_assert_int_eq(berth_registry_login(E.ctx, "127.0.0.1:1", "bob", "pw", 1), BERTH_ENET);
	unsetenv("DOCKER_CONFIG");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pull");
	TCase *t = tcase_create("pull");
	tcase_add_unchecked_fixture(t, registry_start, registry_stop);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, pull_oci);
	tcase_add_test(t, pull_docker_schema2);
	tcase_add_test(t, missing_tag);
	tcase_add_test(t, no_registry);
	tcase_add_test(t, bad_options);
	tcase_add_test(t, on_progress_stops_the_pull);
	tcase_add_test(t, on_progress_stops_the_push);
	tcase_add_test(t, push_and_pull_back);
	tcase_add_test(t, save_load_docker);
	tcase_add_test(t, save_load_oci);
	tcase_add_test(t, login_logout);
	suite_add_tcase(s, t);
	/* its own registry: the tampering must not reach the other tests */
	TCase *c = tcase_create("corrupt");
	tcase_add_unchecked_fixture(c, registry_start, registry_stop);
	tcase_add_checked_fixture(c, setup, teardown);
	tcase_set_timeout(c, 120);
	tcase_add_test(c, corrupted_blob);
	suite_add_tcase(s, c);
	return tu_run_suite(s);
}
