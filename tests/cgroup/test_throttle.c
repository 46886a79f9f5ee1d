/* SPDX-License-Identifier: LGPL-2.1-or-later
 * blockIO throttles (OCI linux.resources.blockIO.throttle*Device) reach the
 * kernel; bad entries are refused naming the field, writing nothing. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

START_TEST(throttles_reach_the_kernel)
{
	/* a real block device of this machine: the one / lives on, or the first in /sys/block */
	struct stat st;
	ck_assert_int_eq(stat("/", &st), 0);
	unsigned maj = major(st.st_dev), min = minor(st.st_dev);
	char path[256];
	snprintf(path, sizeof path, "/sys/dev/block/%u:%u", maj, min);
	ck_assert_msg(access(path, F_OK) == 0, "/ is not on a block device here (%u:%u)", maj, min);
	berth_cgroup *cg;
	char name[64];
	snprintf(name, sizeof name, "thr-%d", (int)getpid());
	tu_ok(berth_cgroup_create(&cg, "berth", name));
	char js[512];
	snprintf(js, sizeof js,
	         "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": %u, \"minor\": %u, \"rate\": 1048576}],"
	         "\"throttleWriteIOPSDevice\": [{\"major\": %u, \"minor\": %u, \"rate\": 300}]}}",
	         maj, min, maj, min);
	tu_ok(berth_cgroup_set_json(cg, js));
	int mode;
	tu_ok(berth_cgroup_mode_detect(&mode));
	char want[64], got[256] = "";
	if (mode == BERTH_CGROUP_V2) {
		snprintf(path, sizeof path, "/sys/fs/cgroup/berth/%s/io.max", name);
		snprintf(want, sizeof want, "%u:%u rbps=1048576 wbps=max riops=max wiops=300", maj, min);
	} else {
		snprintf(path, sizeof path, "/sys/fs/cgroup/blkio/berth/%s/blkio.throttle.read_bps_device", name);
		snprintf(want, sizeof want, "%u:%u 1048576", maj, min);
	}
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof got, f));
	fclose(f);
	ck_assert_msg(!strncmp(got, want, strlen(want)), "%s: %s", path, got);
	/* bad: a negative rate, a device number out of range: refused, nothing written */
	ck_assert_int_eq(berth_cgroup_set_json(cg, "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": -1}]}}"),
	                 BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "throttleReadBpsDevice[0].rate"));
	ck_assert_int_eq(berth_cgroup_set_json(cg, "{\"blockIO\": {\"throttleWriteBpsDevice\": {}}}"), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "throttleWriteBpsDevice"));
	tu_ok(berth_cgroup_destroy(cg));
	berth_cgroup_free(cg);
	snprintf(path, sizeof path, "/sys/fs/cgroup/blkio/berth/%s", name);
	ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("throttle");
	TCase *t = tcase_create("throttle");
	tcase_add_test(t, throttles_reach_the_kernel);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
