/* SPDX-License-Identifier: LGPL-2.1-or-later
 * lib/common: errors, ids, string arrays, SHA-256, atomic writes, rm -rf. */
#include "testutil.h"
#include "internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(sha256_vectors)
{
	static const struct { const char *in; const char *hex; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		berth__sha256_ctx c;
		char hex[65];
		berth__sha256_init(&c);
		/* in two pieces: update is incremental */
		size_t n = strlen(v[i].in);
		berth__sha256_update(&c, v[i].in, n / 2);
		berth__sha256_update(&c, v[i].in + n / 2, n - n / 2);
		berth__sha256_final_hex(&c, hex);
		ck_assert_str_eq(hex, v[i].hex);
	}
	/* one million 'a', fed in odd-sized pieces that straddle blocks */
	berth__sha256_ctx c;
	char hex[65], chunk[997];
	memset(chunk, 'a', sizeof chunk);
	berth__sha256_init(&c);
	size_t left = 1000000;
	while (left) {
		size_t n = left < sizeof chunk ? left : sizeof chunk;
		berth__sha256_update(&c, chunk, n);
		left -= n;
	}
	berth__sha256_final_hex(&c, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* 896-bit message (two blocks after padding) */
	berth__sha256_init(&c);
	const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	berth__sha256_update(&c, m, strlen(m));
	berth__sha256_final_hex(&c, hex);
	ck_assert_str_eq(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	/* lengths around the padding boundary (55, 56, 63, 64 bytes) match a reference computed by sha256sum */
	static const struct { size_t n; const char *hex; } edge[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	};
	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
		berth__sha256_init(&c);
		berth__sha256_update(&c, chunk, edge[i].n);
		berth__sha256_final_hex(&c, hex);
		ck_assert_msg(!strcmp(hex, edge[i].hex), "%zu bytes: %s", edge[i].n, hex);
	}
}
END_TEST

START_TEST(errors_per_thread_and_codes)
{
	ck_assert_int_eq(berth__err(BERTH_EINVAL, "thing %s: bad", "x"), BERTH_EINVAL);
	ck_assert_str_eq(berth_error_last()->message, "thing x: bad");
	ck_assert_int_eq(berth__err_sys(ENOENT, "open %s", "/nope"), BERTH_ENOTFOUND);
	ck_assert_str_eq(berth_error_last()->message, "open /nope: No such file or directory");
	ck_assert_int_eq(berth_error_last()->sys_errno, ENOENT);
	ck_assert_int_eq(berth__err_sys(EEXIST, "x"), BERTH_EEXISTS);
	ck_assert_int_eq(berth__err_sys(EACCES, "x"), BERTH_EPERM);
	berth__err_prefix("container %s", "c1");
	ck_assert_str_eq(berth_error_last()->message, "container c1: x: Permission denied");
	berth_error_clear();
	ck_assert_int_eq(berth_error_last()->code, 0);
	ck_assert_str_eq(berth_error_last()->message, "");
	ck_assert_str_eq(berth_strerror(BERTH_ENOTFOUND), "not found");
	ck_assert_str_eq(berth_version(), BERTH_VERSION_STRING);
}
END_TEST

START_TEST(ids)
{
	ck_assert_int_eq(berth__check_id("id", "abc-1.2_3"), 0);
	ck_assert_int_eq(berth__check_id("id", "a/b"), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "'/'"));
	ck_assert_int_eq(berth__check_id("id", "a..b"), BERTH_EINVAL);
	ck_assert_int_eq(berth__check_id("id", ".x"), BERTH_EINVAL);
	ck_assert_int_eq(berth__check_id("id", ""), BERTH_EINVAL);
	char longid[200];
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	ck_assert_int_eq(berth__check_id("id", longid), BERTH_EINVAL);
	char hex[65];
	ck_assert_int_eq(berth__random_hex(hex, 32), 0);
	ck_assert_int_eq(strlen(hex), 64);
	ck_assert_int_eq(berth__check_id("id", hex), 0);
}
END_TEST

START_TEST(strv_pack_one_allocation)
{
	char *in[] = { "one", "", "three" };
	char **v = berth__strv_pack(in, 3);
	ck_assert_str_eq(v[0], "one");
	ck_assert_str_eq(v[1], "");
	ck_assert_str_eq(v[2], "three");
	ck_assert_ptr_null(v[3]);
	berth_free(v); /* one free releases all (ASan checks) */
	char **e = berth__strv_pack(NULL, 0);
	ck_assert_ptr_null(e[0]);
	berth_free(e);
}
END_TEST

START_TEST(atomic_write_and_rm_rf)
{
	char dir[] = "/tmp/berth-common-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256], sub[256];
	snprintf(path, sizeof path, "%s/f.json", dir);
	ck_assert_int_eq(berth__write_file_atomic(path, "{}", 2, 0600), 0);
	char *buf;
	size_t len;
	ck_assert_int_eq(berth__read_file(&buf, &len, path), 0);
	ck_assert_str_eq(buf, "{}");
	free(buf);
	ck_assert_int_eq(tu_dir_entries(dir), 1); /* no temp file left */
	snprintf(sub, sizeof sub, "%s/a/b/c", dir);
	ck_assert_int_eq(berth__mkdir_p(sub, 0700), 0);
	snprintf(path, sizeof path, "%s/a/link", dir);
	ck_assert_int_eq(symlink("/etc", path), 0); /* must not be followed */
	ck_assert_int_eq(berth__rm_rf(dir), 0);
	ck_assert_int_ne(access(dir, F_OK), 0);
	ck_assert_int_eq(access("/etc/hostname", F_OK), 0);
	ck_assert_int_eq(berth__read_file(&buf, &len, "/nonexistent/x"), BERTH_ENOTFOUND);
}
END_TEST

/* An image's /etc/passwd and /etc/group: fields split at every ':'. Found by
 * fuzzing (tests/fuzz/corpus/passwd/regress-empty-password): an empty password
 * field was skipped, so "user::1000:2000" gave the user uid 2000. */
static int lookup_text(const char *text, const char *name, long *id, long *gid)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	ck_assert_ptr_nonnull(f);
	int r = berth__id_file_lookup(f, name, id, gid);
	fclose(f);
	return r;
}

START_TEST(id_file_lookup_fields)
{
	const char *pw = "root:x:0:0:root:/root:/bin/sh\n"
	                 "nopass::1000:2000::/home/nopass:/bin/sh\n"
	                 ":x:5:5\n"
	                 "nogid:x:7\n"
	                 "emptygid:x:8:\n";
	long id = -1, gid = -1;
	ck_assert_int_eq(lookup_text(pw, "nopass", &id, &gid), 0);
	ck_assert_int_eq(id, 1000);
	ck_assert_int_eq(gid, 2000);
	ck_assert_int_eq(lookup_text(pw, "root", &id, &gid), 0);
	ck_assert_int_eq(id, 0);
	ck_assert_int_eq(gid, 0);
	ck_assert_int_eq(lookup_text(pw, "nogid", &id, &gid), 0);
	ck_assert_int_eq(id, 7);
	ck_assert_int_eq(gid, -1);
	ck_assert_int_eq(lookup_text(pw, "emptygid", &id, &gid), 0);
	ck_assert_int_eq(gid, -1);
	ck_assert_int_eq(lookup_text(pw, "", &id, &gid), -1); /* a line without a name names nobody */
	ck_assert_int_eq(lookup_text(pw, "missing", &id, &gid), -1);
	id = 1000; /* by id: the entry of uid 1000, with its group */
	ck_assert_int_eq(lookup_text(pw, NULL, &id, &gid), 0);
	ck_assert_int_eq(gid, 2000);
	id = 2000; /* 2000 is a gid, not a uid */
	ck_assert_int_eq(lookup_text(pw, NULL, &id, &gid), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common");
	TCase *t = tcase_create("common");
	tcase_add_test(t, sha256_vectors);
	tcase_add_test(t, errors_per_thread_and_codes);
	tcase_add_test(t, ids);
	tcase_add_test(t, strv_pack_one_allocation);
	tcase_add_test(t, atomic_write_and_rm_rf);
	tcase_add_test(t, id_file_lookup_fields);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
