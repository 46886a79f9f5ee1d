/* SPDX-License-Identifier: LGPL-2.1-or-later
 * lib/common's one helper for each thing: version checks of versioned
 * structs, reading whole files with a bound, opening inside a root
 * (openat2 RESOLVE_IN_ROOT), users and groups of a container's root given
 * as layer directories (whiteouts, opaque directories). */
#include "testutil.h"
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *msg(void) { return berth_error_last()->message; }
#define ck_msg_has(s) ck_assert_msg(strstr(msg(), (s)) != NULL, "message '%s' lacks '%s'", msg(), (s))

/* A temp dir the suite's runner removes if the test dies (tests/testutil.c). */
static char *tmpdir(void)
{
	static char d[64];
	snprintf(d, sizeof d, "/tmp/berth-test-%d-XXXXXX", (int)getppid());
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	ck_assert_int_eq(berth__mkdir_p(p, 0755), 0);
	*slash = '/';
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(check_version_accepts_older)
{
	ck_assert_int_eq(berth__check_version(1, 1, "berth_pull_options"), 0);
	ck_assert_int_eq(berth__check_version(1, 3, "berth_pull_options"), 0); /* an older caller */
	ck_assert_int_eq(berth__check_version(3, 3, "berth_pull_options"), 0);
	ck_assert_int_eq(berth__check_version(0, 3, "berth_pull_options"), BERTH_EINVAL); /* not initialised */
	ck_msg_has("berth_pull_options: unknown version 0 (this library knows 1 to 3; start from "
	           "BERTH_PULL_OPTIONS_INIT or berth_pull_options_init())");
	ck_assert_int_eq(berth__check_version(4, 3, "berth_pull_options"), BERTH_EINVAL); /* a newer caller */
	ck_msg_has("unknown version 4");
	/* through a public entry point: the operation, then the struct */
	berth_pull_options po = BERTH_PULL_OPTIONS_INIT;
	po.version = 99;
	berth_image *img = NULL;
	ck_assert_int_eq(berth_image_pull(&img, NULL, "busybox", &po), BERTH_EINVAL);
	ck_msg_has("pull: berth_pull_options: unknown version 99");
	ck_assert_ptr_null(img);
	berth_exec_options eo;
	ck_assert_int_eq(berth_exec_options_init(&eo, 0), BERTH_EINVAL);
	ck_msg_has("berth_exec_options: unknown version 0");
	ck_assert_int_eq(berth_exec_options_init(&eo, BERTH_EXEC_OPTIONS_VERSION), 0);
	ck_assert_uint_eq(eo.version, BERTH_EXEC_OPTIONS_VERSION);
}
END_TEST

START_TEST(slurp_bounded)
{
	char *d = tmpdir(), p[128], *buf = NULL;
	size_t len = 0;
	snprintf(p, sizeof p, "%s/f", d);
	/* 10000 bytes: more than the first buffer, NUL-terminated */
	char *big = malloc(10001);
	for (int i = 0; i < 10000; i++)
		big[i] = (char)('a' + i % 26);
	big[10000] = '\0';
	ck_assert_int_eq(berth__write_file_atomic(p, big, 10000, 0600), 0);
	ck_assert_int_eq(berth__read_file(&buf, &len, p), 0);
	ck_assert_uint_eq(len, 10000);
	ck_assert_str_eq(buf, big);
	free(buf);
	/* the bound: exactly max is fine, one byte more is refused, nothing returned */
	buf = NULL;
	ck_assert_int_eq(berth__read_file_max(&buf, &len, p, 10000), 0);
	free(buf);
	buf = NULL;
	ck_assert_int_eq(berth__read_file_max(&buf, &len, p, 9999), BERTH_EINVAL);
	ck_msg_has("larger than 9999 bytes");
	ck_assert_ptr_null(buf);
	int fd = open(p, O_RDONLY);
	ck_assert_int_eq(berth__slurp_fd(&buf, NULL, fd, 100), -EFBIG);
	close(fd);
	/* a pipe: read to its end */
	int pp[2];
	ck_assert_int_eq(pipe(pp), 0);
	ck_assert_int_eq(write(pp[1], "abc", 3), 3);
	close(pp[1]);
	ck_assert_int_eq(berth__slurp_fd(&buf, &len, pp[0], 100), 0);
	close(pp[0]);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq(buf, "abc");
	free(buf);
	snprintf(p, sizeof p, "%s/missing", d);
	ck_assert_int_eq(berth__read_file(&buf, &len, p), BERTH_ENOTFOUND);
	ck_msg_has("open ");
	ck_assert_int_eq(berth_error_last()->sys_errno, ENOENT);
	free(big);
	ck_assert_int_eq(berth__rm_rf(d), 0);
}
END_TEST

START_TEST(open_in_root_stays_inside)
{
	char *d = tmpdir(), p[256];
	put(d, "etc/hostname", "inside\n");
	/* absolute and ".." symlinks resolve inside the root, not on the host */
	snprintf(p, sizeof p, "%s/abs", d);
	ck_assert_int_eq(symlink("/etc/hostname", p), 0);
	snprintf(p, sizeof p, "%s/up", d);
	ck_assert_int_eq(symlink("../../../../etc/hostname", p), 0);
	int root = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root, 0);
	const char *names[] = { "abs", "up", "/etc/hostname", "../etc/hostname" };
	for (size_t i = 0; i < 4; i++) {
		int fd = berth__open_in_root(root, names[i], O_RDONLY);
		ck_assert_msg(fd >= 0, "%s: %s", names[i], strerror(errno));
		char b[32] = { 0 };
		ck_assert_int_gt(read(fd, b, sizeof b - 1), 0);
		ck_assert_str_eq(b, "inside\n");
		ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
		close(fd);
	}
	int fd = berth__open_in_root(root, "", O_PATH | O_DIRECTORY); /* the root itself */
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(berth__open_in_root(root, "nothing", O_RDONLY), -1);
	ck_assert_int_eq(errno, ENOENT);
	close(root);
	ck_assert_int_eq(berth__rm_rf(d), 0);
}
END_TEST

#define PASSWD "root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1001::/home/bob:/bin/sh\n"
#define GROUP "root:x:0:\nstaff:x:50:\nbobs:x:1001:\n"

static int resolve(char *const *dirs, size_t n, const char *user, int flags, uint32_t *uid, uint32_t *gid)
{
	*uid = *gid = 12345;
	return berth__user_resolve(uid, gid, dirs, n, user, flags);
}

START_TEST(users_of_one_root)
{
	char *d = tmpdir();
	put(d, "etc/passwd", PASSWD);
	put(d, "etc/group", GROUP);
	char *dirs[] = { d, NULL };
	uint32_t u, g;
	ck_assert_int_eq(resolve(dirs, 1, "bob", 0, &u, &g), 0);
	ck_assert_uint_eq(u, 1000);
	ck_assert_uint_eq(g, 1001); /* the primary group */
	ck_assert_int_eq(resolve(dirs, 1, "bob:staff", 0, &u, &g), 0);
	ck_assert_uint_eq(g, 50);
	ck_assert_int_eq(resolve(dirs, 1, "1000", 0, &u, &g), 0); /* numeric with an entry: its group */
	ck_assert_uint_eq(u, 1000);
	ck_assert_uint_eq(g, 1001);
	ck_assert_int_eq(resolve(dirs, 1, "4000", 0, &u, &g), 0); /* numeric without one: group 0 */
	ck_assert_uint_eq(u, 4000);
	ck_assert_uint_eq(g, 0);
	ck_assert_int_eq(resolve(dirs, 1, "4000:7", 0, &u, &g), 0);
	ck_assert_uint_eq(g, 7);
	/* COPY --chown: numeric ids as given, a lone uid is also the gid */
	ck_assert_int_eq(resolve(dirs, 1, "1000", BERTH__USER_CHOWN, &u, &g), 0);
	ck_assert_uint_eq(g, 1000);
	ck_assert_int_eq(resolve(dirs, 1, "bob", BERTH__USER_CHOWN, &u, &g), 0);
	ck_assert_uint_eq(g, 1001);
	/* refused, nothing written */
	ck_assert_int_eq(resolve(dirs, 1, "alice", 0, &u, &g), BERTH_EINVAL);
	ck_msg_has("user 'alice': no such user in /etc/passwd");
	ck_assert_uint_eq(u, 12345);
	ck_assert_int_eq(resolve(dirs, 1, "bob:wheel", 0, &u, &g), BERTH_EINVAL);
	ck_msg_has("user 'bob:wheel': no group 'wheel' in /etc/group");
	ck_assert_int_eq(resolve(dirs, 1, "4294967295", 0, &u, &g), BERTH_EINVAL);
	ck_msg_has("id out of range");
	ck_assert_int_eq(resolve(dirs, 1, "99999999999999999999999", 0, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(resolve(dirs, 1, "", 0, &u, &g), BERTH_EINVAL);
	ck_msg_has("expected NAME[:GROUP] or UID[:GID]");
	ck_assert_int_eq(resolve(dirs, 1, ":5", 0, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(resolve(NULL, 0, "bob", 0, &u, &g), BERTH_EINVAL); /* no root: no names */
	ck_assert_int_eq(resolve(NULL, 0, "5:6", 0, &u, &g), 0);
	ck_assert_uint_eq(u, 5);
	ck_assert_uint_eq(g, 6);
	ck_assert_int_eq(berth__rm_rf(d), 0);
}
END_TEST

START_TEST(users_of_layers)
{
	char *d = tmpdir(), lower[128], mid[128], upper[128], p[256];
	snprintf(lower, sizeof lower, "%s/lower", d);
	snprintf(mid, sizeof mid, "%s/mid", d);
	snprintf(upper, sizeof upper, "%s/upper", d);
	put(lower, "etc/passwd", PASSWD);
	put(lower, "etc/group", GROUP);
	put(mid, "etc/motd", "hi\n"); /* a layer without the file: the lower one shows */
	ck_assert_int_eq(berth__mkdir_p(upper, 0755), 0);
	char *dirs[] = { lower, mid, upper, NULL };
	uint32_t u, g;
	ck_assert_int_eq(resolve(dirs, 3, "bob", 0, &u, &g), 0);
	ck_assert_uint_eq(u, 1000);
	/* a higher layer's own file wins */
	put(upper, "etc/passwd", "bob:x:2000:2000::/:/bin/sh\n");
	ck_assert_int_eq(resolve(dirs, 3, "bob", 0, &u, &g), 0);
	ck_assert_uint_eq(u, 2000);
	/* a whiteout of the file hides the lower one */
	snprintf(p, sizeof p, "%s/etc/passwd", upper);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mknod(p, S_IFCHR | 0600, makedev(0, 0)), 0);
	ck_assert_int_eq(resolve(dirs, 3, "bob", 0, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(resolve(dirs, 3, "root", 0, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(resolve(dirs, 3, "bob:staff", BERTH__USER_CHOWN, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(resolve(dirs, 3, "1000:staff", 0, &u, &g), 0); /* group still seen */
	ck_assert_uint_eq(g, 50);
	/* a whiteout of the parent directory hides it too */
	ck_assert_int_eq(unlink(p), 0);
	snprintf(p, sizeof p, "%s/etc", mid);
	ck_assert_int_eq(berth__rm_rf(p), 0);
	ck_assert_int_eq(mknod(p, S_IFCHR | 0600, makedev(0, 0)), 0);
	ck_assert_int_eq(resolve(dirs, 3, "bob", 0, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(resolve(dirs, 3, "bob", 0, &u, &g), 0);
	/* an opaque /etc above hides the lower /etc/passwd (needs CAP_SYS_ADMIN for trusted.*) */
	snprintf(p, sizeof p, "%s/etc", upper);
	ck_assert_int_eq(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
	ck_assert_int_eq(resolve(dirs, 3, "bob", 0, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(removexattr(p, "trusted.overlay.opaque"), 0);
	/* a layer's symlinked /etc resolves inside that layer, never on the host */
	ck_assert_int_eq(berth__rm_rf(p), 0);
	ck_assert_int_eq(symlink("/other", p), 0);
	put(upper, "other/passwd", "carol:x:3000:3000::/:/bin/sh\n");
	ck_assert_int_eq(resolve(dirs, 3, "carol", 0, &u, &g), 0);
	ck_assert_uint_eq(u, 3000);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(symlink("/etc", p), 0); /* the host's /etc would have root */
	ck_assert_int_eq(resolve(dirs, 3, "root", 0, &u, &g), BERTH_EINVAL);
	/* a fifo in place of the file: refused without blocking */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(berth__mkdir_p(p, 0755), 0);
	snprintf(p, sizeof p, "%s/etc/passwd", upper);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(resolve(dirs, 3, "bob", 0, &u, &g), BERTH_EINVAL);
	ck_assert_int_eq(berth__rm_rf(d), 0);
}
END_TEST

START_TEST(spec_set_user_name)
{
	char *d = tmpdir(), lower[128], upper[128], p[256];
	snprintf(lower, sizeof lower, "%s/lower", d);
	snprintf(upper, sizeof upper, "%s/upper", d);
	put(lower, "etc/passwd", PASSWD);
	put(lower, "etc/group", GROUP);
	put(upper, "etc/group", "staff:x:60:\n");
	const char *dirs[] = { lower, upper, NULL };
	berth_spec *s = NULL;
	ck_assert_int_eq(berth_spec_new(&s), 0);
	static const uint32_t extra[] = { 5 };
	ck_assert_int_eq(berth_spec_set_user(s, 1, 1, extra, 1), 0);
	ck_assert_int_eq(berth_spec_set_user_name(s, dirs, "bob:staff"), 0);
	char *j = NULL;
	ck_assert_int_eq(berth_spec_get(&j, s, "/process/user"), 0);
	ck_assert_str_eq(j, "{\"uid\":1000,\"gid\":60}"); /* the upper group file; no additional gids */
	berth_free(j);
	ck_assert_int_eq(berth_spec_set_user_name(s, dirs, "nobody"), BERTH_EINVAL);
	ck_msg_has("process.user: user 'nobody': no such user in /etc/passwd");
	ck_assert_int_eq(berth_spec_get(&j, s, "/process/user/uid"), 0);
	ck_assert_str_eq(j, "1000"); /* unchanged */
	berth_free(j);
	ck_assert_int_eq(berth_spec_set_user_name(s, NULL, "7:8"), 0);
	ck_assert_int_eq(berth_spec_get(&j, s, "/process/user"), 0);
	ck_assert_str_eq(j, "{\"uid\":7,\"gid\":8}");
	berth_free(j);
	ck_assert_int_eq(berth_spec_set_user_name(NULL, dirs, "bob"), BERTH_EINVAL);
	ck_assert_int_eq(berth_spec_set_user_name(s, dirs, NULL), BERTH_EINVAL);
	berth_spec_free(s);
	snprintf(p, sizeof p, "%s", d);
	ck_assert_int_eq(berth__rm_rf(p), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common_files");
	TCase *t = tcase_create("files");
	tcase_add_test(t, check_version_accepts_older);
	tcase_add_test(t, slurp_bounded);
	tcase_add_test(t, open_in_root_stays_inside);
	tcase_add_test(t, users_of_one_root);
	tcase_add_test(t, users_of_layers);
	tcase_add_test(t, spec_set_user_name);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
