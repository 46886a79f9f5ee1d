/* SPDX-License-Identifier: LGPL-2.1-or-later
 * cgroup pure logic: path checks, unit conversions, cpuset lists, resource
 * validation and its messages, OCI JSON conversion, file parsers. */
#include "cgroup/cgroup_internal.h"
#include "testutil.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MSG() (berth_error_last()->message)
#define has(s) ck_assert_msg(strstr(MSG(), (s)) != NULL, "message '%s' lacks '%s'", MSG(), (s))

START_TEST(path_check)
{
	const char *good[] = { "berth", "berth/custom", "a/b-c_d.e", "t-123-4", "A.b", "..x", "x.." };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(good); i++)
		ck_assert_msg(berth__cgroup_path_check("path", good[i]) == 0, "%s: %s", good[i], MSG());
	const char *bad[] = { "../x", "a/../b", "..", "/abs", "", "a//b", "a/", "a b", "a/./b", ".", "a\n", "x;y", "é" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++)
		ck_assert_msg(berth__cgroup_path_check("path", bad[i]) == BERTH_EINVAL, "'%s' accepted", bad[i]);
	ck_assert_int_eq(berth__cgroup_path_check("parent", NULL), BERTH_EINVAL);
	ck_assert_int_eq(berth__cgroup_path_check("parent", "../x"), BERTH_EINVAL);
	has("cgroup parent '../x'");
	has("..");
	ck_assert_int_eq(berth__cgroup_path_check("path", "/sys/x"), BERTH_EINVAL);
	has("relative");
	ck_assert_int_eq(berth__cgroup_path_check("path", "a$b"), BERTH_EINVAL);
	has("'$'");
	char longp[1100];
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	ck_assert_int_eq(berth__cgroup_path_check("path", longp), BERTH_EINVAL);
}
END_TEST

START_TEST(conversions)
{
	ck_assert_uint_eq(berth__cgroup_shares_to_weight(2), 1);
	ck_assert_uint_eq(berth__cgroup_shares_to_weight(262144), 10000);
	ck_assert_uint_eq(berth__cgroup_shares_to_weight(1024), 39); /* 1 + 1022*9999/262142 */
	ck_assert_uint_eq(berth__cgroup_shares_to_weight(512), 20);
	ck_assert_uint_eq(berth__cgroup_blkio_to_io_weight(10), 1);
	ck_assert_uint_eq(berth__cgroup_blkio_to_io_weight(1000), 10000);
	ck_assert_uint_eq(berth__cgroup_blkio_to_io_weight(500), 4950); /* 1 + 490*9999/990 */
	ck_assert_uint_eq(berth__cgroup_blkio_to_io_weight(100), 910);
}
END_TEST

START_TEST(cpuset_lists)
{
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "0-1", "0-1", "CPU"), 0);
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "0,1", "0-1\n", "CPU"), 0);
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "1", "0-1", "CPU"), 0);
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", " 0-1\n", "0-1", "CPU"), 0);
	ck_assert_int_eq(berth__cgroup_cpuset_check("cgroup resources: cpuset_cpus", "7", "0-1", "CPU"), BERTH_EINVAL);
	ck_assert_str_eq(MSG(), "cgroup resources: cpuset_cpus '7': CPU 7 is not on this machine (0-1)");
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "0-63", "0-1", "CPU"), BERTH_EINVAL);
	has("'0-63'");
	has("CPU 2 is not");
	/* holes in the online list */
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "2-3,8,9-11", "0-3,8-11", "CPU"), 0);
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "3-8", "0-3,8-11", "CPU"), BERTH_EINVAL);
	has("CPU 4 is not");
	ck_assert_int_eq(berth__cgroup_cpuset_check("mems", "0", "0", "memory node"), 0);
	ck_assert_int_eq(berth__cgroup_cpuset_check("mems", "1", "0", "memory node"), BERTH_EINVAL);
	has("memory node 1 is not on this machine (0)");
	/* huge numbers are refused without looping over them */
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "0-4000000000", "0-1", "CPU"), BERTH_EINVAL);
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "99999999", "0-1", "CPU"), BERTH_EINVAL);
	has("CPU 99999999");
	/* syntax */
	const char *bad[] = { "1-0", "a", "0,,1", "0-", ",0", "0 1", "-1", "0-1-2", "0,", "", " ", "0x1", "1:2" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		ck_assert_msg(berth__cgroup_cpuset_check("cpus", bad[i], "0-1", "CPU") == BERTH_EINVAL, "'%s' accepted",
		              bad[i]);
		has("not a list of CPUs");
	}
	/* unknown machine list: syntax only */
	ck_assert_int_eq(berth__cgroup_cpuset_check("cpus", "0-63", NULL, "CPU"), 0);
}
END_TEST

static berth__cgroup_res fresh(void)
{
	berth__cgroup_res r;
	berth__cgroup_res_init(&r);
	return r;
}

#define CHECK(res) berth__cgroup_res_check(&(res), "0-1", "0")

START_TEST(resource_validation)
{
	berth__cgroup_res r = fresh();
	ck_assert_int_eq(CHECK(r), 0);
	r.r.memory_limit = -5;
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	ck_assert_str_eq(MSG(), "cgroup resources: memory_limit -5: must be -1 (unlimited) or at least 6291456 (6 MiB)");
	r.r.memory_limit = (6 << 20) - 1;
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	r.r.memory_limit = 6 << 20;
	ck_assert_int_eq(CHECK(r), 0);
	r.r.memory_limit = -1;
	ck_assert_int_eq(CHECK(r), 0);

	r = fresh();
	r.r.memory_limit = 64 << 20;
	r.r.memory_swap = 32 << 20;
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	has("memory_swap 33554432: must be at least memory_limit");
	r.r.memory_swap = 64 << 20;
	ck_assert_int_eq(CHECK(r), 0);
	r.r.memory_swap = -1;
	ck_assert_int_eq(CHECK(r), 0);
	r.r.memory_limit = -1;
	r.r.memory_swap = 128 << 20;
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	has("memory_swap");
	r = fresh();
	r.r.memory_limit = 64 << 20;
	r.r.memory_reservation = 128 << 20;
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	has("memory_reservation");
	r.r.memory_reservation = 1;
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	r.r.memory_reservation = 32 << 20;
	ck_assert_int_eq(CHECK(r), 0);

	struct { int64_t *field; int64_t v; int ok; const char *name; } cases[] = {
		{ &r.r.cpu_shares, 1, 0, "cpu_shares" },          { &r.r.cpu_shares, 2, 1, NULL },
		{ &r.r.cpu_shares, 262144, 1, NULL },             { &r.r.cpu_shares, 262145, 0, "cpu_shares" },
		{ &r.r.cpu_period, 999, 0, "cpu_period" },        { &r.r.cpu_period, 1000, 1, NULL },
		{ &r.r.cpu_period, 1000000, 1, NULL },            { &r.r.cpu_period, 1000001, 0, "cpu_period" },
		{ &r.r.cpu_quota, 999, 0, "cpu_quota" },          { &r.r.cpu_quota, -1, 1, NULL },
		{ &r.r.cpu_quota, 0, 0, "cpu_quota" },            { &r.r.cpu_quota, 1000, 1, NULL },
		{ &r.r.pids_limit, 0, 0, "pids_limit" },          { &r.r.pids_limit, -2, 0, "pids_limit" },
		{ &r.r.pids_limit, -1, 1, NULL },                 { &r.r.pids_limit, 1, 1, NULL },
		{ &r.r.blkio_weight, 9, 0, "blkio_weight" },      { &r.r.blkio_weight, 10, 1, NULL },
		{ &r.r.blkio_weight, 1000, 1, NULL },             { &r.r.blkio_weight, 1001, 0, "blkio_weight" },
		{ &r.memory_swappiness, 101, 0, "memory_swappiness" }, { &r.memory_swappiness, 0, 1, NULL },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		r = fresh();
		*cases[i].field = cases[i].v; /* points into r */
		int rc = CHECK(r);
		ck_assert_msg(cases[i].ok ? rc == 0 : rc == BERTH_EINVAL, "case %zu (%" PRId64 "): %d %s", i, cases[i].v, rc,
		              MSG());
		if (!cases[i].ok) {
			has(cases[i].name);
			has("cgroup resources: ");
		}
	}
	r = fresh();
	r.r.cpuset_cpus = "7";
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	ck_assert_str_eq(MSG(), "cgroup resources: cpuset_cpus '7': CPU 7 is not on this machine (0-1)");
	r.r.cpuset_cpus = "";
	ck_assert_int_eq(CHECK(r), 0); /* empty: untouched */
	r.r.cpuset_mems = "0-1";
	ck_assert_int_eq(CHECK(r), BERTH_EINVAL);
	has("cpuset_mems '0-1': memory node 1");
	/* with the machine's own lists */
	r = fresh();
	r.r.cpuset_cpus = "0-4095";
	ck_assert_int_eq(berth__cgroup_res_check(&r, NULL, NULL), BERTH_EINVAL);
	r.r.cpuset_cpus = "0";
	r.r.cpuset_mems = "0";
	ck_assert_int_eq(berth__cgroup_res_check(&r, NULL, NULL), 0);
}
END_TEST

static int from_json(berth__cgroup_res *r, const char *js)
{
	json_error_t je;
	json_t *j = json_loads(js, 0, &je);
	ck_assert_msg(j != NULL, "bad test JSON: %s", je.text);
	int rc = berth__cgroup_res_from_json(r, j);
	if (rc == 0)
		rc = berth__cgroup_res_check(r, "0-1", "0");
	json_decref(j); /* strings in r are dangling now: only numbers are looked at after */
	return rc;
}

START_TEST(oci_json)
{
	berth__cgroup_res r;
	ck_assert_int_eq(from_json(&r, "{\"memory\": {\"limit\": 33554432, \"reservation\": 16777216, \"swap\": 67108864,"
	                               " \"swappiness\": 10, \"kernel\": 5, \"disableOOMKiller\": false},"
	                               " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"realtimeRuntime\": 3},"
	                               " \"pids\": {\"limit\": 16}, \"blockIO\": {\"weight\": 500, \"weightDevice\": []},"
	                               " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304},"
	                               "                      {\"pageSize\": \"1GB\", \"limit\": 0}],"
	                               " \"devices\": [{\"allow\": false, \"access\": \"rwm\"}], \"futureThing\": {}}"),
	                 0);
	ck_assert_int_eq(r.r.memory_limit, 33554432);
	ck_assert_int_eq(r.r.memory_reservation, 16777216);
	ck_assert_int_eq(r.r.memory_swap, 67108864);
	ck_assert_int_eq(r.memory_swappiness, 10);
	ck_assert_int_eq(r.r.cpu_shares, 512);
	ck_assert_int_eq(r.r.cpu_quota, 50000);
	ck_assert_int_eq(r.r.cpu_period, 100000);
	ck_assert_int_eq(r.r.pids_limit, 16);
	ck_assert_int_eq(r.r.blkio_weight, 500);
	ck_assert_uint_eq(r.n_hugepages, 2);
	ck_assert_str_eq(r.hugepages[0].size, "2MB");
	ck_assert_int_eq(r.hugepages[0].limit, 4194304);
	ck_assert_str_eq(r.hugepages[1].size, "1GB");
	ck_assert_int_eq(r.r.version, BERTH_CGROUP_RESOURCES_VERSION);

	/* 0 means "not set" (as runc), -1 unlimited */
	ck_assert_int_eq(from_json(&r, "{\"memory\": {\"limit\": 0, \"swap\": 0}, \"cpu\": {\"shares\": 0, \"quota\": -1,"
	                               " \"cpus\": \"\"}, \"pids\": {\"limit\": -1}}"),
	                 0);
	ck_assert(r.r.memory_limit == BERTH_CGROUP_UNSET && r.r.memory_swap == BERTH_CGROUP_UNSET);
	ck_assert(r.r.cpu_shares == BERTH_CGROUP_UNSET && r.r.cpuset_cpus == NULL);
	ck_assert_int_eq(r.r.cpu_quota, -1);
	ck_assert_int_eq(r.r.pids_limit, -1);
	ck_assert_int_eq(from_json(&r, "{}"), 0);
	ck_assert_int_eq(from_json(&r, "{\"memory\": null}"), 0);

	/* wrong types name the field */
	struct { const char *js, *msg; } bad[] = {
		{ "{\"memory\": {\"limit\": \"1g\"}}", "linux.resources.memory.limit: must be an integer" },
		{ "{\"memory\": {\"limit\": 1.5}}", "linux.resources.memory.limit: must be an integer" },
		{ "{\"memory\": []}", "linux.resources.memory: must be an object" },
		{ "{\"cpu\": {\"cpus\": 3}}", "linux.resources.cpu.cpus: must be a string" },
		{ "{\"cpu\": {\"shares\": true}}", "linux.resources.cpu.shares: must be an integer" },
		{ "{\"pids\": 5}", "linux.resources.pids: must be an object" },
		{ "{\"blockIO\": {\"weight\": \"x\"}}", "linux.resources.blockIO.weight: must be an integer" },
		{ "{\"hugepageLimits\": {}}", "linux.resources.hugepageLimits: must be an array" },
		{ "{\"hugepageLimits\": [{\"limit\": 1}]}", "linux.resources.hugepageLimits[0].pageSize: required" },
		{ "{\"hugepageLimits\": [{\"pageSize\": \"2MB\"}]}", "linux.resources.hugepageLimits[0].limit: required" },
		{ "{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}", "hugepageLimits[0].pageSize '2M'" },
		{ "{\"unified\": []}", "linux.resources.unified: must be an object" },
		{ "{\"unified\": {\"../memory.max\": \"1\"}}", "linux.resources.unified '../memory.max'" },
		{ "{\"unified\": {\"cgroup.procs\": \"1\"}}", "linux.resources.unified 'cgroup.procs'" },
		{ "{\"unified\": {\"memory.max\": 1}}", "linux.resources.unified.memory.max: must be a string" },
		{ "[]", "linux.resources: must be an object" },
		/* values */
		{ "{\"memory\": {\"limit\": -7}}", "linux.resources.memory.limit -7: must be -1" },
		{ "{\"memory\": {\"limit\": 67108864, \"swap\": 33554432}}", "linux.resources.memory.swap 33554432" },
		{ "{\"memory\": {\"swappiness\": 200}}", "linux.resources.memory.swappiness 200" },
		{ "{\"cpu\": {\"cpus\": \"0-63\"}}", "linux.resources.cpu.cpus '0-63': CPU 2 is not on this machine (0-1)" },
		{ "{\"cpu\": {\"mems\": \"3\"}}", "linux.resources.cpu.mems '3': memory node 3" },
		{ "{\"cpu\": {\"period\": 10}}", "linux.resources.cpu.period 10" },
		{ "{\"pids\": {\"limit\": -3}}", "linux.resources.pids.limit -3" },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		ck_assert_msg(from_json(&r, bad[i].js) == BERTH_EINVAL, "%s accepted", bad[i].js);
		has(bad[i].msg);
	}
	/* too many hugepage entries */
	char big[2048] = "{\"hugepageLimits\": [";
	for (int i = 0; i < 9; i++)
		strcat(big, i ? ", {\"pageSize\": \"2MB\", \"limit\": 1}" : "{\"pageSize\": \"2MB\", \"limit\": 1}");
	strcat(big, "]}");
	ck_assert_int_eq(from_json(&r, big), BERTH_EINVAL);
	/* a unified map */
	json_t *j = json_loads("{\"unified\": {\"memory.high\": \"max\", \"io.weight\": \"default 100\"}}", 0, NULL);
	ck_assert_int_eq(berth__cgroup_res_from_json(&r, j), 0);
	ck_assert_ptr_nonnull(r.unified);
	ck_assert_int_eq(berth__cgroup_res_check(&r, "0-1", "0"), 0);
	json_decref(j);
}
END_TEST

START_TEST(validate_entry_point)
{
	ck_assert_int_eq(berth__cgroup_resources_validate(NULL), 0);
	json_t *j = json_loads("{\"cpu\": {\"cpus\": \"0-63\"}}", 0, NULL);
	ck_assert_int_eq(berth__cgroup_resources_validate(j), BERTH_EINVAL);
	has("linux.resources.cpu.cpus '0-63'");
	json_decref(j);
	j = json_loads("{\"memory\": {\"limit\": 33554432}, \"cpu\": {\"cpus\": \"0\", \"mems\": \"0\"}}", 0, NULL);
	ck_assert_int_eq(berth__cgroup_resources_validate(j), 0);
	ck_assert_int_eq(berth_error_last()->code, 0);
	json_decref(j);
	berth_cgroup_resources r;
	ck_assert_int_eq(berth_cgroup_resources_init(&r, 2), BERTH_EINVAL);
	tu_ok(berth_cgroup_resources_init(&r, BERTH_CGROUP_RESOURCES_VERSION));
	ck_assert(r.memory_limit == BERTH_CGROUP_UNSET && r.cpuset_cpus == NULL && r.blkio_weight == BERTH_CGROUP_UNSET);
	ck_assert_str_eq(berth_cgroup_mode_name(BERTH_CGROUP_HYBRID), "hybrid");
	ck_assert_str_eq(berth_cgroup_mode_name(BERTH_CGROUP_V2), "v2");
	ck_assert_str_eq(berth_cgroup_mode_name(BERTH_CGROUP_V1), "v1");
	ck_assert_str_eq(berth_cgroup_mode_name(BERTH_CGROUP_NONE), "none");
}
END_TEST

START_TEST(mountinfo)
{
	const char *mi =
	    "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
	    "31 22 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
	    "34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset,clone_children\n"
	    "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	    "36 31 0:33 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,release_agent=/x,name=systemd\n"
	    "37 31 0:34 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
	    "50 22 0:32 / /sys/fs/cgroup/memory2 rw - cgroup cgroup rw,memory\n"       /* same superblock */
	    "51 1 0:40 / /mnt/cg rw - cgroup cgroup rw,pids\n"                         /* outside */
	    "52 31 0:41 / /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,pids,freezer\n"
	    "garbage line\n";
	berth__cg_hier *h;
	size_t n;
	tu_ok(berth__cgroup_parse_mountinfo(&h, &n, mi, "/sys/fs/cgroup/"));
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(h[0].mount, "/sys/fs/cgroup/cpu,cpuacct");
	ck_assert_str_eq(h[0].name, "cpu,cpuacct");
	ck_assert_uint_eq(h[0].ctrl, BERTH__CG_CPU | BERTH__CG_CPUACCT);
	ck_assert_uint_eq(h[1].ctrl, BERTH__CG_CPUSET);
	ck_assert_uint_eq(h[2].ctrl, BERTH__CG_MEMORY);
	ck_assert_str_eq(h[3].name, "systemd");
	ck_assert_uint_eq(h[3].ctrl, 0);
	ck_assert_str_eq(h[4].name, "net_cls,net_prio");
	ck_assert_uint_eq(h[4].ctrl, 0); /* a hierarchy berth makes its cgroup in, with no limits it sets */
	ck_assert_str_eq(h[5].mount, "/sys/fs/cgroup/my pids");
	ck_assert_uint_eq(h[5].ctrl, BERTH__CG_PIDS | BERTH__CG_FREEZER);
	ck_assert_ptr_null(h[0].dir);
	berth__cgroup_hiers_free(h, n);
	tu_ok(berth__cgroup_parse_mountinfo(&h, &n, "", "/sys/fs/cgroup/"));
	ck_assert_uint_eq(n, 0);
	berth__cgroup_hiers_free(h, n);
}
END_TEST

START_TEST(stat_parsers)
{
	uint64_t v = 0;
	const char *cs = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 2\nthrottled_usec 77\n";
	ck_assert_int_eq(berth__cgroup_keyed(cs, "usage_usec", &v), 0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(berth__cgroup_keyed(cs, "throttled_usec", &v), 0);
	ck_assert_uint_eq(v, 77);
	ck_assert_int_eq(berth__cgroup_keyed(cs, "usage", &v), -1); /* whole keys only */
	ck_assert_int_eq(berth__cgroup_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", &v), 0);
	ck_assert_uint_eq(v, 3);
	uint64_t rd, wr;
	berth__cgroup_blkio_sum("8:0 Read 100\n8:0 Write 50\n8:0 Sync 150\n8:0 Total 150\n"
	                        "8:16 Read 1\n8:16 Write 2\n8:16 Total 3\nTotal 153\n",
	                        &rd, &wr);
	ck_assert_uint_eq(rd, 101);
	ck_assert_uint_eq(wr, 52);
	berth__cgroup_blkio_sum("Total 0\n", &rd, &wr);
	ck_assert_uint_eq(rd + wr, 0);
	uint64_t rb, wb, ri, wi;
	berth__cgroup_iostat_sum("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
	                         "8:16 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n",
	                         &rb, &wb, &ri, &wi);
	ck_assert_uint_eq(rb, 4097);
	ck_assert_uint_eq(wb, 8194);
	ck_assert_uint_eq(ri, 4);
	ck_assert_uint_eq(wi, 6);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup-unit");
	TCase *t = tcase_create("logic");
	tcase_add_test(t, path_check);
	tcase_add_test(t, conversions);
	tcase_add_test(t, cpuset_lists);
	tcase_add_test(t, resource_validation);
	tcase_add_test(t, oci_json);
	tcase_add_test(t, validate_entry_point);
	tcase_add_test(t, mountinfo);
	tcase_add_test(t, stat_parsers);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
