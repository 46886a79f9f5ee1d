/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Volumes (include/berth/volume.h): named volumes survive their container
 * and a second container sees the data; an empty volume is seeded from the
 * image at the mount point (content, owners, modes, symlinks, xattrs), a
 * non-empty one is not; removal is refused while a container uses it (and
 * not for a container whose delete did not finish); the image's VOLUMEs get
 * anonymous volumes, kept by a plain delete and removed with
 * BERTH_DELETE_VOLUMES or for BERTH_CREATE_REMOVE containers; bad names are
 * refused. And the two rootfs drivers: BERTH_STORAGE_DRIVER=vfs copies the
 * layers (whiteouts and opaque dirs applied) into the container's dir, and an
 * overlay of 150 layers with long paths (far more than one page of mount
 * options) runs. Images are written into the store by tests/volume/mkimage.py.
 */
#include "testutil.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static tu_env E;
static char busybox_tar[512];

static void sh_ok(const char *cmd)
{
	int st = system(cmd);
	ck_assert_msg(st == 0, "command failed (%d): %s", st, cmd);
}

static void setup(void)
{
	tu_env_init(&E);
	snprintf(busybox_tar, sizeof busybox_tar, "%s/busybox.tar", E.dir);
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "tar -C '%s' --numeric-owner -cf '%s' .", tu_rootfs(), busybox_tar);
	sh_ok(cmd);
}

/* Every volume the test made must be gone too (the tests remove theirs),
 * and no temp dir of the volume store is left. */
static void teardown(void)
{
	char **names = NULL;
	if (E.ctx && berth_volume_list(&names, E.ctx) == 0) {
		int n = 0;
		char list[512] = "";
		for (char **p = names; *p; p++, n++)
			strncat(list, *p, sizeof list - strlen(list) - 2);
		berth_free(names);
		char d[400];
		snprintf(d, sizeof d, "%s/volumes", E.root);
		int entries = tu_dir_entries(d); /* .lock only */
		tu_env_cleanup(&E);
		ck_assert_msg(n == 0, "volumes left: %s", list);
		ck_assert_msg(entries <= 1, "%d entries left in the volume store", entries);
		return;
	}
	tu_env_cleanup(&E);
}

/* An image: busybox, then a layer with /data (owned 999:999, mode 0750: a
 * file with an xattr, a symlink, a subdirectory) and /etc/marker; VOLUME
 * /data when with_volume. */
static void make_data_image(const char *ref, int with_volume)
{
	char cmd[2400];
	snprintf(cmd, sizeof cmd,
	         "set -e; d='%s/l1'; rm -rf \"$d\"; mkdir -p \"$d/data/sub\" \"$d/etc\";"
	         "echo seed > \"$d/data/file\"; echo deep > \"$d/data/sub/x\"; ln -s file \"$d/data/link\";"
	         "echo layer1 > \"$d/etc/marker\"; python3 -c 'import os,sys; os.setxattr(sys.argv[1], \"user.berth\", b\"kept\")' \"$d/data/file\";"
	         "chown -R 999:999 \"$d/data\"; chmod 0750 \"$d/data\"; chmod 4755 \"$d/data/sub/x\";"
	         "tar --xattrs --xattrs-include='user.*' -C \"$d\" --numeric-owner -cf '%s/l1.tar' .;"
	         "python3 '%s/tests/volume/mkimage.py' '%s' '%s' --layer '%s' --layer '%s/l1.tar' %s >/dev/null",
	         E.dir, E.dir, BERTH_TEST_SOURCE_DIR, E.root, ref, busybox_tar, E.dir,
	         with_volume ? "--volume /data" : "");
	sh_ok(cmd);
}

static berth_spec *image_spec(const char *ref, const char *script)
{
	berth_image *img;
	tu_ok(berth_image_open(&img, E.ctx, ref));
	berth_spec *s = tu_spec_sh("true");
	const char *cmd[] = { "/bin/sh", "-c", script, NULL };
	tu_ok(berth_spec_set_image(s, img, NULL, cmd));
	berth_image_free(img);
	return s;
}

static int run_capture(berth_spec *s, char **out)
{
	int code = tu_run_capture(&E, s, out);
	berth_spec_free(s);
	return code;
}

static char *volume_path(const char *name)
{
	char *js;
	tu_ok(berth_volume_inspect(&js, E.ctx, name));
	const char *k = strstr(js, "\"Mountpoint\": \"");
	ck_assert_ptr_nonnull(k);
	k += strlen("\"Mountpoint\": \"");
	char *path = strndup(k, strcspn(k, "\""));
	berth_free(js);
	return path;
}

static int volume_exists(const char *name)
{
	char **names;
	tu_ok(berth_volume_list(&names, E.ctx));
	int found = 0;
	for (char **p = names; *p; p++)
		found |= !strcmp(*p, name);
	berth_free(names);
	return found;
}

static size_t volume_count(void)
{
	char **names;
	tu_ok(berth_volume_list(&names, E.ctx));
	size_t n = 0;
	while (names[n])
		n++;
	berth_free(names);
	return n;
}

START_TEST(named_volume_outlives_its_container)
{
	make_data_image("docker.io/library/voltest:1", 0);
	berth_spec *s = image_spec("voltest:1", "cat /data/file /data/sub/x; readlink /data/link;"
	                                         "stat -c '%u:%g %a' /data /data/sub/x; echo written > /data/new");
	tu_ok(berth_spec_add_volume_arg(s, "dbdata:/data"));
	char *out;
	ck_assert_int_eq(run_capture(s, &out), 0);
	/* seeded from the image: content, the symlink, owners and modes (setuid too) */
	ck_assert_str_eq(out, "seed\ndeep\nfile\n999:999 750\n999:999 4755\n");
	free(out);
	/* the container is gone (tu_run_capture deletes it), the volume is not */
	ck_assert(volume_exists("dbdata"));
	char *path = volume_path("dbdata");
	char p[600], v[32] = "";
	snprintf(p, sizeof p, "%s/file", path);
	ssize_t n = getxattr(p, "user.berth", v, sizeof v - 1);
	ck_assert_msg(n == 4 && !memcmp(v, "kept", 4), "xattr not copied (%zd)", n);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_uid, 999);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	/* a second container sees what the first wrote */
	s = image_spec("voltest:1", "cat /data/new /data/file");
	tu_ok(berth_spec_add_volume(s, "dbdata", "/data", 0));
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "written\nseed\n");
	free(out);
	/* read-only */
	s = image_spec("voltest:1", "(echo x > /data/ro) 2>/dev/null && echo writable || echo refused");
	tu_ok(berth_spec_add_volume(s, "dbdata", "/data", 1));
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "refused\n");
	free(out);
	tu_ok(berth_volume_remove(E.ctx, "dbdata", 0));
	ck_assert(!volume_exists("dbdata"));
	ck_assert_int_ne(access(path, F_OK), 0);
	free(path);
}
END_TEST

START_TEST(seeded_only_when_empty)
{
	make_data_image("docker.io/library/voltest:1", 0);
	/* a volume with content already: the image's is not copied over it */
	char *name = NULL;
	tu_ok(berth_volume_create(&name, E.ctx, "full"));
	ck_assert_str_eq(name, "full");
	berth_free(name);
	char *path = volume_path("full"), p[600];
	snprintf(p, sizeof p, "%s/mine", path);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("mine\n", f);
	fclose(f);
	free(path);
	berth_spec *s = image_spec("voltest:1", "ls /data");
	tu_ok(berth_spec_add_volume_arg(s, "full:/data"));
	char *out;
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "mine\n");
	free(out);
	/* an empty one is seeded once; what a container deletes stays deleted
	 * while anything is left */
	s = image_spec("voltest:1", "rm /data/file; ls /data");
	tu_ok(berth_spec_add_volume_arg(s, "fresh:/data"));
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "link\nsub\n");
	free(out);
	s = image_spec("voltest:1", "ls /data");
	tu_ok(berth_spec_add_volume_arg(s, "fresh:/data"));
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "link\nsub\n");
	free(out);
	/* nocopy: no seeding; a mount point the image lacks: an empty volume */
	s = image_spec("voltest:1", "ls -A /data; ls -A /nothing-here; echo end");
	tu_ok(berth_spec_add_volume_arg(s, "empty1:/data:nocopy"));
	tu_ok(berth_spec_add_volume_arg(s, "empty2:/nothing-here"));
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "end\n");
	free(out);
	const char *all[] = { "full", "fresh", "empty1", "empty2" };
	for (size_t i = 0; i < 4; i++)
		tu_ok(berth_volume_remove(E.ctx, all[i], 0));
}
END_TEST

START_TEST(removal_refused_while_used)
{
	make_data_image("docker.io/library/voltest:1", 0);
	berth_spec *s = image_spec("voltest:1", "cat /data/file");
	tu_ok(berth_spec_add_volume_arg(s, "busy:/data"));
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.name = "holder";
	berth_container *c;
	tu_ok(berth_container_create(&c, E.ctx, s, &o));
	berth_spec_free(s);
	/* created, not even started: in use */
	ck_assert_int_eq(berth_volume_remove(E.ctx, "busy", 0), BERTH_EBUSY);
	const char *msg = berth_error_last()->message;
	ck_assert_msg(strstr(msg, berth_container_id(c)) && strstr(msg, "(holder)") && strstr(msg, "volume busy"),
	              "%s", msg);
	/* stopped: still in use (as docker) */
	tu_ok(berth_container_start(c));
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 10000));
	ck_assert_int_eq(code, 0);
	ck_assert_int_eq(berth_volume_remove(E.ctx, "busy", 0), BERTH_EBUSY);
	char **pruned;
	tu_ok(berth_volume_prune(&pruned, NULL, E.ctx, BERTH_VOLUME_PRUNE_ALL));
	ck_assert_ptr_null(pruned[0]);
	berth_free(pruned);
	/* the inspect shows who uses it */
	char *js;
	tu_ok(berth_volume_inspect(&js, E.ctx, "busy"));
	ck_assert_ptr_nonnull(strstr(js, berth_container_id(c)));
	berth_free(js);
	tu_ok(berth_container_delete(c, 0));
	berth_container_free(c);
	tu_ok(berth_volume_remove(E.ctx, "busy", 0));
	ck_assert_int_eq(berth_volume_remove(E.ctx, "busy", 0), BERTH_ENOTFOUND);

	/* a container whose delete never finished (its state removed, its monitor
	 * crashed before releasing the volume) does not keep it busy forever */
	s = image_spec("voltest:1", "true");
	tu_ok(berth_spec_add_volume_arg(s, "orphan:/data"));
	tu_ok(berth_container_create(&c, E.ctx, s, NULL));
	berth_spec_free(s);
	tu_ok(berth_container_start(c));
	tu_ok(berth_container_wait(&code, NULL, c, 10000));
	ck_assert_int_eq(berth_volume_remove(E.ctx, "orphan", 0), BERTH_EBUSY);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/containers/%s' '%s/containers/%s'", E.root, berth_container_id(c),
	         E.run_root, berth_container_id(c));
	sh_ok(cmd);
	berth_container_free(c);
	tu_ok(berth_volume_remove(E.ctx, "orphan", 0));
}
END_TEST

START_TEST(anonymous_volumes_of_the_image)
{
	make_data_image("docker.io/library/voltest:vol", 1);
	/* VOLUME /data: an anonymous volume, seeded */
	berth_spec *s = image_spec("voltest:vol", "cat /data/file; echo mine > /data/mine");
	berth_container *c;
	tu_ok(berth_container_create(&c, E.ctx, s, NULL));
	berth_spec_free(s);
	tu_ok(berth_container_start(c));
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 10000));
	ck_assert_int_eq(code, 0);
	char **names;
	tu_ok(berth_volume_list(&names, E.ctx));
	ck_assert_ptr_nonnull(names[0]);
	ck_assert_ptr_null(names[1]);
	char anon[80];
	snprintf(anon, sizeof anon, "%s", names[0]);
	berth_free(names);
	ck_assert_int_eq(strlen(anon), 64);
	ck_assert_int_eq(strspn(anon, "0123456789abcdef"), 64);
	char *js;
	tu_ok(berth_container_inspect(&js, c));
	ck_assert_ptr_nonnull(strstr(js, anon));
	berth_free(js);
	tu_ok(berth_volume_inspect(&js, E.ctx, anon));
	ck_assert_ptr_nonnull(strstr(js, "\"Anonymous\": true"));
	berth_free(js);
	char *path = volume_path(anon), p[600];
	snprintf(p, sizeof p, "%s/mine", path);
	ck_assert_int_eq(access(p, F_OK), 0);
	/* a plain delete keeps it (as docker rm without -v); prune then removes it */
	tu_ok(berth_container_delete(c, 0));
	berth_container_free(c);
	ck_assert(volume_exists(anon));
	char **pruned;
	uint64_t bytes = 0;
	tu_ok(berth_volume_prune(&pruned, &bytes, E.ctx, 0));
	ck_assert_ptr_nonnull(pruned[0]);
	ck_assert_str_eq(pruned[0], anon);
	ck_assert_ptr_null(pruned[1]);
	berth_free(pruned);
	ck_assert_uint_ge(bytes, 5 + 5 + 5); /* file, sub/x, mine */
	ck_assert_int_ne(access(path, F_OK), 0);
	free(path);

	/* rm -v: BERTH_DELETE_VOLUMES removes it; a named volume stays */
	s = image_spec("voltest:vol", "true");
	tu_ok(berth_spec_add_volume_arg(s, "/other"));
	tu_ok(berth_spec_add_volume_arg(s, "named-one:/named"));
	tu_ok(berth_container_create(&c, E.ctx, s, NULL));
	berth_spec_free(s);
	ck_assert_uint_eq(volume_count(), 3);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE | BERTH_DELETE_VOLUMES));
	berth_container_free(c);
	ck_assert_uint_eq(volume_count(), 1);
	ck_assert(volume_exists("named-one"));

	/* a -v on the image's VOLUME replaces the anonymous volume */
	s = image_spec("voltest:vol", "cat /data/file");
	tu_ok(berth_spec_add_volume_arg(s, "named-one:/data"));
	char *out;
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "seed\n");
	free(out);
	ck_assert_uint_eq(volume_count(), 1);
	tu_ok(berth_volume_remove(E.ctx, "named-one", 0));

	/* --rm (BERTH_CREATE_REMOVE): its anonymous volumes go with it */
	s = image_spec("voltest:vol", "true");
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.flags = BERTH_CREATE_REMOVE;
	tu_ok(berth_container_create(&c, E.ctx, s, &o));
	berth_spec_free(s);
	ck_assert_uint_eq(volume_count(), 1);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	ck_assert_uint_eq(volume_count(), 0);
}
END_TEST

START_TEST(bad_names_refused)
{
	static const char *const bad[] = { "a", "-ab", ".ab", "a/b", "..", "../x", "a b", "a:b", "x\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(berth_volume_create(NULL, E.ctx, bad[i]), BERTH_EINVAL);
		ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "volume name"));
		ck_assert_int_eq(berth_volume_remove(E.ctx, bad[i], 0), BERTH_EINVAL);
	}
	char longname[200];
	memset(longname, 'a', 129);
	longname[129] = '\0';
	ck_assert_int_eq(berth_volume_create(NULL, E.ctx, longname), BERTH_EINVAL);
	ck_assert_int_eq(berth_volume_remove(E.ctx, "nosuch", 0), BERTH_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "volume nosuch: no such volume"));
	char *js = NULL;
	ck_assert_int_eq(berth_volume_inspect(&js, E.ctx, "nosuch"), BERTH_ENOTFOUND);
	/* nothing was made */
	ck_assert_uint_eq(volume_count(), 0);
	/* an existing name is kept as it is; no name: a fresh 64-hex one */
	char *n1, *n2;
	tu_ok(berth_volume_create(&n1, E.ctx, "twice"));
	tu_ok(berth_volume_create(&n2, E.ctx, "twice"));
	berth_free(n1);
	berth_free(n2);
	tu_ok(berth_volume_create(&n1, E.ctx, NULL));
	ck_assert_int_eq(strlen(n1), 64);
	ck_assert_uint_eq(volume_count(), 2);
	/* what a crash in the middle of a create or remove would leave: prune clears it */
	char cmd[800];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/volumes/.tmp-dead/_data' '%s/volumes/.rm-dead/_data'", E.root, E.root);
	sh_ok(cmd);
	ck_assert_uint_eq(volume_count(), 2);
	char **pruned;
	tu_ok(berth_volume_prune(&pruned, NULL, E.ctx, 0)); /* the anonymous one only */
	ck_assert_str_eq(pruned[0], n1);
	berth_free(pruned);
	berth_free(n1);
	tu_ok(berth_volume_prune(&pruned, NULL, E.ctx, BERTH_VOLUME_PRUNE_ALL));
	ck_assert_str_eq(pruned[0], "twice");
	berth_free(pruned);
	ck_assert_int_eq(berth_volume_prune(NULL, NULL, E.ctx, 0x80), BERTH_EINVAL);
}
END_TEST

START_TEST(failed_create_leaves_no_volume)
{
	make_data_image("docker.io/library/voltest:vol", 1);
	tu_ok(berth_volume_create(NULL, E.ctx, "existing"));
	berth_spec *s = image_spec("voltest:vol", "true");
	tu_ok(berth_spec_add_volume_arg(s, "made-here:/made"));
	tu_ok(berth_spec_add_volume_arg(s, "existing:/existing"));
	tu_ok(berth_spec_set_cwd(s, "/no/such/dir")); /* the init fails before exec */
	berth_container *c = NULL;
	ck_assert_int_lt(berth_container_create(&c, E.ctx, s, NULL), 0);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "/no/such/dir"));
	berth_spec_free(s);
	/* the anonymous volume and the one this create made are gone, the
	 * existing one stays and is not marked used */
	char **names;
	tu_ok(berth_volume_list(&names, E.ctx));
	ck_assert_ptr_nonnull(names[0]);
	ck_assert_str_eq(names[0], "existing");
	ck_assert_ptr_null(names[1]);
	berth_free(names);
	tu_ok(berth_volume_remove(E.ctx, "existing", 0));
}
END_TEST

START_TEST(volume_in_a_rootfs_container)
{
	/* without an image a volume is seeded from the rootfs directory */
	berth_spec *s = tu_spec_sh("cat /etc/group; echo x > /etc/added");
	tu_ok(berth_spec_add_volume(s, "etcvol", "/etc", 0));
	char *out;
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "root:x:0:\nnobody:x:65534:\n");
	free(out);
	char *path = volume_path("etcvol"), p[600];
	snprintf(p, sizeof p, "%s/added", path);
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/etc/added", tu_rootfs());
	ck_assert_int_ne(access(p, F_OK), 0); /* the rootfs is untouched */
	free(path);
	tu_ok(berth_volume_remove(E.ctx, "etcvol", 0));
}
END_TEST

/* An image whose second layer deletes a file and replaces a directory. */
static void make_whiteout_image(const char *ref)
{
	char cmd[2400];
	snprintf(cmd, sizeof cmd,
	         "set -e; d='%s'; mkdir -p \"$d/w1/opq/deep\" \"$d/w1/keep\" \"$d/w2/opq\";"
	         "echo old > \"$d/w1/opq/old\"; echo old > \"$d/w1/opq/deep/f\"; echo gone > \"$d/w1/delme\";"
	         "echo kept > \"$d/w1/keep/k\"; ln \"$d/w1/keep/k\" \"$d/w1/keep/hard\";"
	         "mkfifo \"$d/w1/keep/fifo\"; chmod 4711 \"$d/w1/keep/k\";"
	         "touch \"$d/w2/.wh.delme\" \"$d/w2/opq/.wh..wh..opq\"; echo new > \"$d/w2/opq/new\";"
	         "tar -C \"$d/w1\" --numeric-owner -cf \"$d/w1.tar\" .; tar -C \"$d/w2\" --numeric-owner -cf \"$d/w2.tar\" .;"
	         "python3 '%s/tests/volume/mkimage.py' '%s' '%s' --layer '%s' --layer \"$d/w1.tar\" --layer \"$d/w2.tar\""
	         " >/dev/null",
	         E.dir, BERTH_TEST_SOURCE_DIR, E.root, ref, busybox_tar);
	sh_ok(cmd);
}

START_TEST(vfs_driver_copies_the_layers)
{
	make_whiteout_image("docker.io/library/wh:1");
	static const char script[] = "ls /opq; test -e /delme && echo delme-present; cat /keep/k;"
	                             "stat -c '%a %h' /keep/k; test -p /keep/fifo && echo fifo;"
	                             "grep -c ' / / .* - overlay ' /proc/self/mountinfo; echo w > /written";
	setenv("BERTH_STORAGE_DRIVER", "vfs", 1);
	berth_spec *s = image_spec("wh:1", script);
	berth_container *c;
	tu_ok(berth_container_create(&c, E.ctx, s, NULL));
	berth_spec_free(s);
	/* on the host: a copy in the container's dir, no upper layer, nothing mounted */
	char p[800];
	snprintf(p, sizeof p, "%s/containers/%s/rootfs/opq/new", E.root, berth_container_id(c));
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/containers/%s/rootfs/opq/old", E.root, berth_container_id(c));
	ck_assert_int_ne(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/containers/%s/upper", E.root, berth_container_id(c));
	ck_assert_int_ne(access(p, F_OK), 0);
	ck_assert_int_eq(tu_mounts_under(E.dir), 0);
	/* a second container of the same driver, run to see its output */
	s = image_spec("wh:1", script);
	char *out;
	int code = run_capture(s, &out);
	unsetenv("BERTH_STORAGE_DRIVER");
	ck_assert_int_eq(code, 0);
	/* deleted file absent, replaced dir opaque (only the upper layer's), the
	 * setuid file with its hardlink, the fifo; the root is no overlay */
	ck_assert_str_eq(out, "new\nkept\n4711 2\nfifo\n0\n");
	free(out);
	/* the image's layers are untouched */
	berth_image *img;
	char **dirs;
	tu_ok(berth_image_open(&img, E.ctx, "wh:1"));
	tu_ok(berth_image_layer_dirs(&dirs, img));
	snprintf(p, sizeof p, "%s/written", dirs[2]);
	ck_assert_int_ne(access(p, F_OK), 0);
	berth_free(dirs);
	berth_image_free(img);
	/* the first container, deleted: its copy goes with it */
	char dir[700];
	snprintf(dir, sizeof dir, "%s/containers/%s", E.root, berth_container_id(c));
	ck_assert_int_eq(access(dir, F_OK), 0);
	tu_ok(berth_container_delete(c, BERTH_DELETE_FORCE));
	berth_container_free(c);
	ck_assert_int_ne(access(dir, F_OK), 0);
}
END_TEST

START_TEST(overlay_applies_whiteouts_too)
{
	make_whiteout_image("docker.io/library/wh:1");
	berth_spec *s = image_spec("wh:1", "ls /opq; test -e /delme && echo delme-present; cat /keep/k;"
	                                   "grep -c ' / / .* - overlay ' /proc/self/mountinfo");
	char *out;
	ck_assert_int_eq(run_capture(s, &out), 0);
	ck_assert_str_eq(out, "new\nkept\n1\n");
	free(out);
}
END_TEST

START_TEST(many_layers_with_long_paths)
{
	/* a store root with a long path: 150 layer dirs of ~300 bytes each are
	 * ~45 KB of lowerdir, ten times what mount(2) takes */
	char root[1024], run_root[1024];
	char longdir[240];
	memset(longdir, 'L', 200);
	longdir[200] = '\0';
	snprintf(root, sizeof root, "%s/%s/root", E.dir, longdir);
	snprintf(run_root, sizeof run_root, "%s/run", E.dir);
	berth_ctx_options co = BERTH_CTX_OPTIONS_INIT;
	co.root = root;
	co.run_root = run_root;
	berth_ctx *ctx;
	tu_ok(berth_ctx_new(&ctx, &co));
	char cmd[2400];
	snprintf(cmd, sizeof cmd, "python3 '%s/tests/volume/mkimage.py' '%s' docker.io/library/many:1 --layer '%s'"
	                          " --gen-layers 150 >/dev/null",
	         BERTH_TEST_SOURCE_DIR, root, busybox_tar);
	sh_ok(cmd);
	berth_image *img;
	tu_ok(berth_image_open(&img, ctx, "many:1"));
	char **dirs;
	tu_ok(berth_image_layer_dirs(&dirs, img));
	size_t n = 0, total = 0;
	for (; dirs[n]; n++)
		total += strlen(dirs[n]) + 1;
	berth_free(dirs);
	ck_assert_uint_eq(n, 151);
	ck_assert_uint_gt(total, 4 * 4096);
	berth_spec *s = tu_spec_sh("true");
	const char *argv[] = { "/bin/sh", "-c", "cat /top; ls /layers | wc -l; cat /layers/0", NULL };
	tu_ok(berth_spec_set_image(s, img, NULL, argv));
	berth_image_free(img);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	berth_create_options o = BERTH_CREATE_OPTIONS_INIT;
	o.stdout_fd = pfd[1];
	o.stderr_fd = pfd[1];
	berth_container *c;
	tu_ok(berth_container_run(&c, ctx, s, &o));
	close(pfd[1]);
	char out[256] = "";
	size_t got = 0;
	ssize_t r;
	while ((r = read(pfd[0], out + got, sizeof out - 1 - got)) > 0)
		got += (size_t)r;
	close(pfd[0]);
	int code;
	tu_ok(berth_container_wait(&code, NULL, c, 20000));
	ck_assert_int_eq(code, 0);
	/* the top layer's /top, every layer's file */
	ck_assert_str_eq(out, "149\n150\n0\n");
	tu_ok(berth_container_delete(c, 0));
	berth_container_free(c);
	berth_spec_free(s);
	ck_assert_int_eq(tu_mounts_under(E.dir), 0);
	char p[1200];
	snprintf(p, sizeof p, "%s/containers", root);
	ck_assert_int_eq(tu_dir_entries(p), 0);
	berth_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("volume");
	TCase *t = tcase_create("volume");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, named_volume_outlives_its_container);
	tcase_add_test(t, seeded_only_when_empty);
	tcase_add_test(t, removal_refused_while_used);
	tcase_add_test(t, anonymous_volumes_of_the_image);
	tcase_add_test(t, bad_names_refused);
	tcase_add_test(t, failed_create_leaves_no_volume);
	tcase_add_test(t, volume_in_a_rootfs_container);
	tcase_add_test(t, vfs_driver_copies_the_layers);
	tcase_add_test(t, overlay_applies_whiteouts_too);
	tcase_add_test(t, many_layers_with_long_paths);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
