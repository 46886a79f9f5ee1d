/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth's own settings of a spec (lib/spec/ext.c): typed members set by the
 * setters, the "berth" object of config.json, io.berth.* annotations
 * refused from callers, berth 0.1's annotations read once. */
#include "internal.h"
#include "spec/ext.h"
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *msg(void) { return berth_error_last()->message; }

#define assert_err(expr, ecode, needle)                                                                     \
	do {                                                                                               \
		int _r = (expr);                                                                           \
		ck_assert_msg(_r == (ecode), "%s returned %d, expected %d (%s)", #expr, _r, (ecode), msg()); \
		ck_assert_msg(strstr(msg(), (needle)) != NULL, "%s: message '%s' lacks '%s'", #expr, msg(), \
		              (needle));                                                                   \
	} while (0)

static berth_spec *mk(void)
{
	berth_spec *s = NULL;
	tu_ok(berth_spec_new(&s));
	return s;
}

static char *get(const berth_spec *s, const char *ptr)
{
	char *v = NULL;
	tu_ok(berth_spec_get(&v, s, ptr));
	return v;
}

static char *to_json(const berth_spec *s)
{
	char *j = NULL;
	tu_ok(berth_spec_to_json(&j, s));
	return j;
}

/* A spec with every setting of berth's set through the public setters. */
static berth_spec *mk_full(void)
{
	berth_spec *s = mk();
	tu_ok(berth_spec_set_network(s, "bridge"));
	berth_port p = { "127.0.0.1", 8080, 80, BERTH_PROTO_TCP, 0 }, q = { "", 0, 53, BERTH_PROTO_UDP, 0 };
	tu_ok(berth_spec_add_port(s, &p));
	tu_ok(berth_spec_add_port(s, &q));
	const char *dns[] = { "192.0.2.53", "2001:db8::1", NULL };
	tu_ok(berth_spec_set_dns(s, dns));
	tu_ok(berth_spec_set_privileged(s, 1));
	tu_ok(berth_spec_set_cgroup_parent(s, "/ci/jobs"));
	tu_ok(berth_spec_set_annotation(s, "org.example.owner", "me"));
	return s;
}

START_TEST(reserved_annotations_refused)
{
	berth_spec *s = mk();
	char *before = to_json(s);
	static const char *const keys[] = { "io.berth.ports", "io.berth.overlay", "io.berth.image",
		                            "io.berth.privileged", "io.berth.anything" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		assert_err(berth_spec_set_annotation(s, keys[i], "[]"), BERTH_EINVAL, keys[i]);
		ck_assert_ptr_nonnull(strstr(msg(), "reserved"));
		assert_err(berth_spec_set_annotation(s, keys[i], NULL), BERTH_EINVAL, keys[i]);
	}
	char *after = to_json(s);
	ck_assert_str_eq(before, after); /* nothing was set */
	/* others are the caller's */
	tu_ok(berth_spec_set_annotation(s, "io.berthy", "x"));
	tu_ok(berth_spec_set_annotation(s, "org.opencontainers.image.title", "t"));
	free(before);
	free(after);
	berth_spec_free(s);
}
END_TEST

START_TEST(reserved_annotations_from_json)
{
	berth_spec *s = NULL;
	const char *doc = "{\"ociVersion\":\"1.0.2\",\"annotations\":{\"a\":\"b\",\"io.berth.overlay\":"
	                  "\"lowerdir=/,upperdir=/tmp,workdir=/tmp\"}}";
	assert_err(berth_spec_parse(&s, doc, strlen(doc)), BERTH_EINVAL, "io.berth.overlay");
	ck_assert_ptr_null(s);
	char path[] = "/tmp/berth-unit-spec-ext-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	assert_err(berth_spec_load(&s, path), BERTH_EINVAL, "io.berth.overlay");
	ck_assert_ptr_null(s);
	unlink(path);
}
END_TEST

/* A reserved annotation that reached a spec anyway (its JSON changed behind
 * the setters' back) is refused by validate, the first step of create:
 * nothing is made. */
START_TEST(reserved_annotation_create)
{
	tu_env e;
	tu_env_init(&e);
	berth_spec *s = tu_spec_sh("true");
	json_object_set_new(berth__spec_json(s), "annotations", json_pack("{s:s}", "io.berth.ports", "[]"));
	assert_err(berth_spec_validate(s), BERTH_EINVAL, "io.berth.ports");
	berth_container *c = NULL;
	assert_err(berth_container_create(&c, e.ctx, s, NULL), BERTH_EINVAL, "annotation io.berth.ports is reserved");
	ck_assert_ptr_null(c);
	char dir[400];
	snprintf(dir, sizeof dir, "%s/containers", e.root);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	berth_spec_free(s);
	tu_env_cleanup(&e);
}
END_TEST

START_TEST(typed_settings_and_getters)
{
	berth_spec *s = mk();
	ck_assert_str_eq(berth_spec_network(s), "none");
	ck_assert_ptr_null(berth_spec_image(s));
	berth_port_list *ports = NULL;
	tu_ok(berth_spec_ports(&ports, s));
	ck_assert_uint_eq(berth_port_list_count(ports), 0);
	berth_port_list_free(ports);
	ck_assert_ptr_null(berth_spec_network(NULL));
	berth_spec_free(s);

	s = mk_full();
	ck_assert_str_eq(berth_spec_network(s), "bridge");
	tu_ok(berth_spec_ports(&ports, s));
	ck_assert_uint_eq(berth_port_list_count(ports), 2);
	ck_assert_str_eq(berth_port_host_ip(berth_port_list_get(ports, 0)), "127.0.0.1");
	ck_assert_uint_eq(berth_port_host_port(berth_port_list_get(ports, 0)), 8080);
	ck_assert_uint_eq(berth_port_container_port(berth_port_list_get(ports, 1)), 53);
	ck_assert_int_eq(berth_port_protocol(berth_port_list_get(ports, 1)), BERTH_PROTO_UDP);
	berth_port_list_free(ports);
	/* the OCI part carries none of it */
	json_t *ann = json_object_get(berth__spec_json(s), "annotations");
	ck_assert_uint_eq(json_object_size(ann), 1);
	ck_assert_ptr_nonnull(json_object_get(ann, "org.example.owner"));
	/* the "berth" object of the document */
	char *v = get(s, "/berth");
	ck_assert_str_eq(v, "{\"version\":1,\"network\":\"bridge\",\"ports\":[{\"hostIp\":\"127.0.0.1\",\"hostPort\":8080,"
	                    "\"containerPort\":80,\"protocol\":\"tcp\"},{\"hostIp\":\"\",\"hostPort\":0,\"containerPort\":53,"
	                    "\"protocol\":\"udp\"}],\"dns\":[\"192.0.2.53\",\"2001:db8::1\"],\"privileged\":"
	                    "true,\"cgroupParent\":\"ci/jobs\"}");
	free(v);
	/* none resets the mode; dns NULL the servers */
	tu_ok(berth_spec_set_network(s, "none"));
	tu_ok(berth_spec_set_dns(s, NULL));
	ck_assert_str_eq(berth_spec_network(s), "none");
	ck_assert_int_eq(berth_spec_get(&v, s, "/berth/network"), BERTH_ENOTFOUND);
	ck_assert_int_eq(berth_spec_get(&v, s, "/berth/dns"), BERTH_ENOTFOUND);
	berth_spec_free(s);
}
END_TEST

START_TEST(round_trip)
{
	berth_spec *s = mk_full(), *p = NULL, *c = NULL;
	char *j = to_json(s);
	tu_ok(berth_spec_parse(&p, j, strlen(j)));
	char *j2 = to_json(p);
	ck_assert_str_eq(j, j2);
	ck_assert_str_eq(berth_spec_network(p), "bridge");
	tu_ok(berth_spec_copy(&c, p));
	char *j3 = to_json(c);
	ck_assert_str_eq(j, j3);
	/* a copy is its own: changing it leaves the original */
	tu_ok(berth_spec_set_network(c, "host"));
	ck_assert_str_eq(berth_spec_network(p), "bridge");
	/* a saved spec loads back the same */
	char path[] = "/tmp/berth-unit-spec-ext-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	berth_spec *l = NULL;
	tu_ok(berth_spec_save(s, path));
	tu_ok(berth_spec_load(&l, path));
	unlink(path);
	char *j4 = to_json(l);
	ck_assert_str_eq(j, j4);
	/* privileged off through a parsed spec restores the confinement */
	tu_ok(berth_spec_set_privileged(l, 0));
	char *x = NULL;
	ck_assert_int_eq(berth_spec_get(&x, l, "/berth/privileged"), BERTH_ENOTFOUND);
	free(j);
	free(j2);
	free(j3);
	free(j4);
	berth_spec_free(s);
	berth_spec_free(p);
	berth_spec_free(c);
	berth_spec_free(l);
}
END_TEST

static void parse_fails(const char *berth_obj, const char *needle)
{
	char doc[1024];
	snprintf(doc, sizeof doc, "{\"ociVersion\":\"1.0.2\",\"berth\":%s}", berth_obj);
	berth_spec *s = NULL;
	assert_err(berth_spec_parse(&s, doc, strlen(doc)), BERTH_EINVAL, needle);
	ck_assert_ptr_null(s);
}

START_TEST(berth_object_checked)
{
	parse_fails("[]", "spec: berth: must be an object");
	parse_fails("{}", "berth.version");
	parse_fails("{\"version\":2}", "berth.version 2: newer");
	parse_fails("{\"version\":1,\"overlay\":\"lowerdir=/\"}", "berth.overlay: unknown key");
	parse_fails("{\"version\":1,\"network\":\"container:\"}", "berth.network");
	parse_fails("{\"version\":1,\"network\":\"\"}", "berth.network: must be a non-empty string");
	parse_fails("{\"version\":1,\"dns\":[\"1.1.1.1\",\"nope\"]}", "berth.dns[1]: not an IP address");
	parse_fails("{\"version\":1,\"ports\":[{\"containerPort\":0}]}", "berth.ports[0]: malformed port");
	parse_fails("{\"version\":1,\"stopSignal\":99}", "berth.stopSignal");
	parse_fails("{\"version\":1,\"privileged\":\"yes\"}", "berth.privileged");
	parse_fails("{\"version\":1,\"cgroupParent\":\"a/../b\"}", "berth.cgroupParent");
	/* a valid one is the setters' equivalent */
	const char *doc = "{\"ociVersion\":\"1.0.2\",\"berth\":{\"version\":1,\"network\":\"bridge\",\"image\":\"sha256:ab\","
	                  "\"stopSignal\":3,\"exposedPorts\":[\"80/tcp\"]}}";
	berth_spec *s = NULL;
	tu_ok(berth_spec_parse(&s, doc, strlen(doc)));
	ck_assert_str_eq(berth_spec_network(s), "bridge");
	ck_assert_str_eq(berth_spec_image(s), "sha256:ab");
	ck_assert_ptr_null(json_object_get(berth__spec_json(s), "berth")); /* moved into the handle */
	char *v = get(s, "/berth/stopSignal");
	ck_assert_str_eq(v, "3");
	free(v);
	berth_spec_free(s);
}
END_TEST

/* berth 0.1 wrote these settings as annotations in config.json and state.json. */
START_TEST(legacy_annotations_upgraded)
{
	json_t *j = json_loads("{\"ociVersion\":\"1.0.2\",\"annotations\":{\"org.example\":\"x\","
	                       "\"io.berth.network\":\"bridge\",\"io.berth.ports\":"
	                       "\"[{\\\"hostIp\\\":\\\"\\\",\\\"hostPort\\\":8080,\\\"containerPort\\\":80,\\\"protocol\\\":\\\"tcp\\\"}]\","
	                       "\"io.berth.dns\":\"1.1.1.1,8.8.8.8\",\"io.berth.image\":\"sha256:cafe\","
	                       "\"io.berth.image.exposed-ports\":\"27017/tcp,53/udp\",\"io.berth.privileged\":\"true\","
	                       "\"io.berth.cgroup-parent\":\"ci\",\"io.berth.stop-signal\":\"3\"}}",
	                       0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(berth__spec_json_upgrade(j), 1);
	json_t *want = json_loads("{\"version\":1,\"network\":\"bridge\",\"ports\":[{\"hostIp\":\"\",\"hostPort\":8080,"
	                          "\"containerPort\":80,\"protocol\":\"tcp\"}],\"dns\":[\"1.1.1.1\",\"8.8.8.8\"],"
	                          "\"image\":\"sha256:cafe\",\"exposedPorts\":[\"27017/tcp\",\"53/udp\"],"
	                          "\"privileged\":true,\"cgroupParent\":\"ci\",\"stopSignal\":3}",
	                          0, NULL);
	ck_assert(json_equal(json_object_get(j, "berth"), want));
	/* the caller's annotation stays, berth's are gone */
	ck_assert_uint_eq(json_object_size(json_object_get(j, "annotations")), 1);
	/* and it is a spec a caller may parse again */
	char *txt = json_dumps(j, 0);
	berth_spec *s = NULL;
	tu_ok(berth_spec_parse(&s, txt, strlen(txt)));
	ck_assert_str_eq(berth_spec_image(s), "sha256:cafe");
	/* nothing to do the second time, nor for a current document */
	ck_assert_int_eq(berth__spec_json_upgrade(j), 0);
	berth_spec_free(s);
	free(txt);
	json_decref(want);
	json_decref(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spec_ext");
	TCase *tc = tcase_create("unit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reserved_annotations_refused);
	tcase_add_test(tc, reserved_annotations_from_json);
	tcase_add_test(tc, reserved_annotation_create);
	tcase_add_test(tc, typed_settings_and_getters);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, berth_object_checked);
	tcase_add_test(tc, legacy_annotations_upgraded);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
