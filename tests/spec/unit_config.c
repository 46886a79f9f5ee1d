/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the typed configuration (lib/spec/config.h): what the one
 * parsing pass fills, that it outlives the caller's JSON, and that a spec it
 * refuses leaves nothing (out untouched, the error naming the field). */
#include "internal.h"
#include "spec/config.h"
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char config_json[] =
	"{ \"ociVersion\": \"1.2.0\",\n"
	"  \"process\": { \"terminal\": true, \"args\": [\"sh\", \"-c\", \"true\"],\n"
	"    \"env\": [\"PATH=/bin\", \"A=1\"], \"cwd\": \"/work\",\n"
	"    \"user\": { \"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6] },\n"
	"    \"capabilities\": { \"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"effective\": [\"CAP_KILL\"] },\n"
	"    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"soft\": 512, \"hard\": 1024 } ],\n"
	"    \"noNewPrivileges\": true, \"oomScoreAdj\": -17 },\n"
	"  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
	"  \"hostname\": \"box\",\n"
	"  \"mounts\": [ { \"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv\",\n"
	"                \"options\": [\"rbind\", \"ro\"] },\n"
	"              { \"destination\": \"/proc\", \"type\": \"proc\" } ],\n"
	"  \"linux\": {\n"
	"    \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"uts\" }, { \"type\": \"network\" },\n"
	"                    { \"type\": \"user\" }, { \"type\": \"ipc\", \"path\": \"/proc/1/ns/ipc\" } ],\n"
	"    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": 100000, \"size\": 65536 } ],\n"
	"    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": 200000, \"size\": 1000 } ],\n"
	"    \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"],\n"
	"    \"sysctl\": { \"net.ipv4.ip_forward\": \"1\" },\n"
	"    \"devices\": [ { \"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 384 },\n"
	"                 { \"path\": \"/dev/fifo\", \"type\": \"p\" } ],\n"
	"    \"cgroupsPath\": \"/grp/c1\", \"rootfsPropagation\": \"rslave\",\n"
	"    \"resources\": { \"pids\": { \"limit\": 10 } } },\n"
	"  \"annotations\": { \"org.example\": \"x\" } }";

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	ck_assert_msg(j != NULL, "bad test JSON: %s", je.text);
	return j;
}

START_TEST(test_config_fields)
{
	json_t *j = load(config_json);
	berth__config *c = NULL;
	tu_ok(berth__config_parse(&c, j));
	json_decref(j); /* the config keeps its own reference: everything below stays valid (ASan) */
	const berth__cfg_process *p = &c->process;
	ck_assert_uint_eq(p->n_args, 3);
	ck_assert_str_eq(p->args[2], "true");
	ck_assert_ptr_null(p->args[3]);
	ck_assert_uint_eq(p->n_env, 2);
	ck_assert_str_eq(p->env[1], "A=1");
	ck_assert_str_eq(p->cwd, "/work");
	ck_assert_uint_eq(p->uid, 1000);
	ck_assert_uint_eq(p->gid, 100);
	ck_assert_int_eq(p->umask, 18);
	ck_assert_uint_eq(p->n_gids, 2);
	ck_assert_uint_eq(p->gids[1], 6);
	ck_assert(p->terminal && p->no_new_privileges && p->has_oom_score_adj);
	ck_assert_int_eq(p->oom_score_adj, -17);
	ck_assert_uint_eq(p->caps.bounding, (1u << 5) | (1u << 0)); /* CAP_KILL, CAP_CHOWN */
	ck_assert_uint_eq(p->caps.effective, 1u << 5);
	ck_assert_uint_eq(p->caps.ambient, 0);
	ck_assert_uint_eq(p->n_rlimits, 1);
	ck_assert_int_eq(p->rlimits[0].resource, RLIMIT_NOFILE);
	ck_assert_uint_eq(p->rlimits[0].soft, 512);
	ck_assert_uint_eq(p->rlimits[0].hard, 1024);

	ck_assert_str_eq(c->root_path, "rootfs");
	ck_assert(c->root_readonly);
	ck_assert_str_eq(c->hostname, "box");
	ck_assert_uint_eq(c->n_mounts, 2);
	ck_assert_str_eq(c->mounts[0].source, "/srv");
	ck_assert_uint_eq(c->mounts[0].n_options, 2);
	ck_assert_str_eq(c->mounts[0].options[1], "ro");
	ck_assert_ptr_null(c->mounts[1].source);
	ck_assert_uint_eq(c->mounts[1].n_options, 0);

	ck_assert_uint_eq(c->n_namespaces, 5);
	ck_assert_int_eq(c->namespaces[2].type, BERTH_NS_NET);
	ck_assert_ptr_null(c->namespaces[2].path);
	ck_assert_str_eq(c->namespaces[4].path, "/proc/1/ns/ipc");
	ck_assert_uint_eq(c->ns_joined, BERTH_NS_BIT(BERTH_NS_IPC));
	ck_assert(c->ns_mask & BERTH_NS_BIT(BERTH_NS_USER));
	ck_assert_uint_eq(c->n_uid_maps, 1);
	ck_assert_uint_eq(c->uid_maps[0].host_id, 100000);
	ck_assert_uint_eq(c->gid_maps[0].size, 1000);
	ck_assert_uint_eq(c->n_masked_paths, 1);
	ck_assert_uint_eq(c->n_readonly_paths, 2);
	ck_assert_str_eq(c->readonly_paths[1], "/proc/bus");
	ck_assert_uint_eq(c->n_sysctls, 1);
	ck_assert_str_eq(c->sysctls[0].key, "net.ipv4.ip_forward");
	ck_assert_str_eq(c->sysctls[0].value, "1");
	ck_assert_uint_eq(c->n_devices, 2);
	ck_assert_int_eq(c->devices[0].type, 'c');
	ck_assert_uint_eq(c->devices[0].minor, 229);
	ck_assert(c->devices[0].has_mode && c->devices[0].mode == 0600);
	ck_assert(!c->devices[1].has_mode);
	ck_assert_str_eq(c->cgroups_path, "/grp/c1");
	ck_assert_str_eq(c->rootfs_propagation, "rslave");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c->resources, "pids"), "limit")), 10);
	ck_assert_ptr_null(c->seccomp);
	ck_assert_str_eq(json_string_value(json_object_get(c->annotations, "org.example")), "x");
	berth__config_free(c);
	berth__config_free(NULL);
}
END_TEST

/* A refused spec: an error naming the field, *out untouched, nothing held. */
START_TEST(test_config_refused)
{
	static const struct { const char *from, *to, *needle; } cases[] = {
		{ "\"hostID\": 200000, \"size\": 1000", "\"hostID\": 200000, \"size\": 0", "linux.gidMappings[0].size" },
		{ "\"soft\": 512", "\"soft\": 2048", "process.rlimits[0]: soft limit 2048" },
		{ "\"type\": \"p\"", "\"type\": \"x\"", "linux.devices[1].type" },
		{ "{ \"type\": \"uts\" }, ", "", "hostname: needs a uts namespace" },
		{ "\"cwd\": \"/work\"", "\"cwd\": \"work\"", "process.cwd" },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		const char *at = strstr(config_json, cases[i].from);
		ck_assert_ptr_nonnull(at);
		char *text = NULL;
		ck_assert_int_gt(asprintf(&text, "%.*s%s%s", (int)(at - config_json), config_json, cases[i].to,
		                          at + strlen(cases[i].from)), 0);
		json_t *j = load(text);
		berth__config *c = (berth__config *)&cases; /* must stay as it is */
		ck_assert_int_eq(berth__config_parse(&c, j), BERTH_EINVAL);
		ck_assert_ptr_eq(c, (berth__config *)&cases);
		ck_assert_msg(strstr(berth_error_last()->message, cases[i].needle), "case %zu: '%s' lacks '%s'", i,
		              berth_error_last()->message, cases[i].needle);
		ck_assert_int_eq(j->refcount, 1);
		json_decref(j);
		free(text);
	}
}
END_TEST

/* An exec's process alone, in the arena of a config of its own. */
START_TEST(test_config_process_only)
{
	json_t *spec = load(config_json);
	json_t *proc = load("{ \"args\": [\"ls\"], \"cwd\": \"/\", \"user\": { \"uid\": 7, \"gid\": 8 } }");
	berth__config *c = berth__config_new(spec);
	ck_assert_ptr_nonnull(c);
	tu_ok(berth__config_parse_process(&c->process, c, proc));
	ck_assert_uint_eq(c->process.n_args, 1);
	ck_assert_uint_eq(c->process.n_env, 0);
	ck_assert_ptr_null(c->process.env[0]);
	ck_assert_uint_eq(c->process.uid, 7);
	ck_assert_int_eq(c->process.umask, -1);
	ck_assert_uint_eq(c->process.caps.bounding, 0);
	json_t *bad = load("{ \"args\": [], \"cwd\": \"/\", \"user\": { \"uid\": 7, \"gid\": 8 } }");
	ck_assert_int_eq(berth__config_parse_process(&c->process, c, bad), BERTH_EINVAL);
	ck_assert_ptr_nonnull(strstr(berth_error_last()->message, "process.args"));
	berth__config_free(c);
	ck_assert_int_eq(spec->refcount, 1);
	json_decref(bad);
	json_decref(proc);
	json_decref(spec);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("unit");
	tcase_add_test(tc, test_config_fields);
	tcase_add_test(tc, test_config_refused);
	tcase_add_test(tc, test_config_process_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(config_suite()); }
