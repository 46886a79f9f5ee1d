/* SPDX-License-Identifier: LGPL-2.1-or-later
 * lib/common/dl.c: the loader of optional libraries, and the wrappers
 * scripts/gen-dl.py generates from the lists lib/<area>/<name>.dl. */
#include "testutil.h"
#include "internal.h"
#include "common/dl.h"
#include "image/isal.h"
#include "image/registry.h"
#include "net/nl_dl.h"
#include "security/security.h"
#include <archive.h>
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

static const char *const libc[] = { "libc.so.6" };

START_TEST(every_symbol_resolved)
{
	static const char *const syms[] = { "getpid", "getppid" };
	berth__dl_spec spec = { "libc", libc, 1, syms, 2 };
	void *slots[2] = { 0 };
	char err[BERTH__DL_ERROR_MAX] = "stale";
	berth__dl_load(&spec, slots, err, sizeof err);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(((pid_t(*)(void))slots[0])(), getpid());
	ck_assert_int_eq(((pid_t(*)(void))slots[1])(), getppid());
}
END_TEST

START_TEST(a_missing_symbol_fails_the_load)
{
	/* the missing one in the middle: nothing is kept of the others */
	static const char *const syms[] = { "getpid", "berth_no_such_function", "getppid" };
	berth__dl_spec spec = { "libc", libc, 1, syms, 3 };
	void *slots[3] = { 0 };
	char err[BERTH__DL_ERROR_MAX];
	berth__dl_load(&spec, slots, err, sizeof err);
	ck_assert_msg(strstr(err, "libc.so.6") && strstr(err, "berth_no_such_function"), "%s", err);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_null(slots[i]);
}
END_TEST

START_TEST(a_missing_library_fails_the_load)
{
	static const char *const sonames[] = { "libc.so.6", "libberth-test-absent.so.7" };
	static const char *const syms[] = { "getpid" };
	berth__dl_spec spec = { "absent", sonames, 2, syms, 1 };
	void *slots[1] = { 0 };
	char err[BERTH__DL_ERROR_MAX];
	berth__dl_load(&spec, slots, err, sizeof err);
	ck_assert_msg(strstr(err, "absent (libc.so.6, libberth-test-absent.so.7) is not available") &&
	                  strstr(err, "libberth-test-absent.so.7: cannot open"),
	              "%s", err);
	ck_assert_ptr_null(slots[0]);
}
END_TEST

/* Many threads at the first use: one load, every thread sees it whole. */
static const char *const race_syms[] = { "getpid", "getppid", "getuid", "getgid" };
static const berth__dl_spec race_spec = { "libc", libc, 1, race_syms, 4 };
static void *race_slots[4];
static berth__dl race = BERTH__DL_INIT(race_spec, race_slots);

static void *race_one(void *arg)
{
	(void)arg;
	if (!berth__dl_ready(&race))
		return (void *)1;
	for (int i = 0; i < 4; i++)
		if (!race_slots[i])
			return (void *)2;
	return ((pid_t(*)(void))race_slots[0])() == getpid() ? NULL : (void *)3;
}

START_TEST(loaded_once_by_racing_threads)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_one, NULL), 0);
	for (int i = 0; i < 8; i++) {
		void *r;
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_null(r);
	}
	ck_assert_ptr_null(berth__dl_error(&race));
}
END_TEST

/* scripts/deps.sh installs every optional library: each list resolves whole
 * against the installed version (a symbol listed but missing fails here). */
START_TEST(installed_libraries_load_whole)
{
	const struct { const char *what, *err; } libs[] = {
		{ "libseccomp", berth__seccomp_dl_error() },
		{ "libcurl", berth__curl_error() },
		{ "libarchive", berth__archive_error() },
		{ "libnl", berth__nl_error() },
		{ "ISA-L", berth__isal_error() },
#ifdef BERTH_LIBCAP_DLOPEN
		{ "libcap", berth__libcap_error() },
#endif
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(libs); i++)
		ck_assert_msg(libs[i].err == NULL, "%s: %s", libs[i].what, libs[i].err);
}
END_TEST

/* The cache key asks the loaded libseccomp: here the one we build with. */
START_TEST(seccomp_version_at_run_time)
{
	const struct scmp_version *v = seccomp_version();
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->major, SCMP_VER_MAJOR);
	ck_assert_uint_eq(v->minor, SCMP_VER_MINOR);
}
END_TEST

/* archive_set_error is variadic: the wrapper keeps the format's arguments. */
START_TEST(archive_set_error_keeps_its_arguments)
{
	struct archive *a = archive_read_new();
	ck_assert_ptr_nonnull(a);
	archive_set_error(a, EILSEQ, "entry %s: %d bytes, %s", "etc/passwd", 42, "100%");
	ck_assert_str_eq(archive_error_string(a), "entry etc/passwd: 42 bytes, 100%");
	ck_assert_int_eq(archive_errno(a), EILSEQ);
	/* a message longer than the wrapper's buffer is cut, not overrun */
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	archive_set_error(a, EIO, "%s!", big);
	ck_assert_uint_eq(strlen(archive_error_string(a)), BERTH__DL_FORMAT_MAX - 1);
	archive_read_free(a);
}
END_TEST

/* curl_easy_setopt/getinfo are variadic: reached through typed entry points. */
START_TEST(curl_variadic_entry_points)
{
	CURL *c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(berth__curl_setopt_ptr(c, CURLOPT_URL, "http://127.0.0.1:9/"), CURLE_OK);
	ck_assert_int_eq(berth__curl_setopt_long(c, CURLOPT_TIMEOUT_MS, 5000L), CURLE_OK);
	long code = -1;
	ck_assert_int_eq(berth__curl_getinfo_long(c, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
	ck_assert_int_eq(code, 0); /* nothing performed yet */
	char *esc = curl_easy_escape(c, "a b/c", 0);
	ck_assert_str_eq(esc, "a%20b%2Fc");
	curl_free(esc);
	curl_easy_cleanup(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dl");
	TCase *tc = tcase_create("loader");
	tcase_add_test(tc, every_symbol_resolved);
	tcase_add_test(tc, a_missing_symbol_fails_the_load);
	tcase_add_test(tc, a_missing_library_fails_the_load);
	tcase_add_test(tc, loaded_once_by_racing_threads);
	tcase_add_test(tc, installed_libraries_load_whole);
	tcase_add_test(tc, seccomp_version_at_run_time);
	tcase_add_test(tc, archive_set_error_keeps_its_arguments);
	tcase_add_test(tc, curl_variadic_entry_points);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
