/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth's own settings of a spec (spec/ext.h): copy, JSON, the reserved
 * annotations, the 0.1 annotations read once, and the public getters. */
#include "spec/ext.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void berth__spec_ext_clear(berth__spec_ext *e)
{
	free(e->network);
	free(e->ports);
	free(e->dns);
	free(e->image);
	free(e->exposed);
	free(e->cgroup_parent);
	memset(e, 0, sizeof *e);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static int dup_str(char **out, const char *s)
{
	*out = NULL;
	return s && !(*out = berth__strdup(s)) ? BERTH_ENOMEM : 0;
}

static int dup_strv(char ***out, char *const *v)
{
	*out = NULL;
	return v && !(*out = berth__strv_pack(v, strv_len(v))) ? BERTH_ENOMEM : 0;
}

int berth__spec_ext_copy(berth__spec_ext *dst, const berth__spec_ext *src)
{
	berth__spec_ext e = { .n_ports = src->n_ports, .privileged = src->privileged, .stop_signal = src->stop_signal };
	if (src->n_ports && !(e.ports = malloc(src->n_ports * sizeof *e.ports))) {
		berth__err_nomem();
		goto fail;
	}
	if (src->n_ports)
		memcpy(e.ports, src->ports, src->n_ports * sizeof *e.ports);
	if (dup_str(&e.network, src->network) < 0 || dup_strv(&e.dns, src->dns) < 0 || dup_str(&e.image, src->image) < 0 ||
	    dup_strv(&e.exposed, src->exposed) < 0 || dup_str(&e.cgroup_parent, src->cgroup_parent) < 0)
		goto fail;
	berth__spec_ext_clear(dst);
	*dst = e;
	return 0;
fail:
	berth__spec_ext_clear(&e);
	return BERTH_ENOMEM;
}

int berth__spec_ext_set_str(char **field, const char *value)
{
	char *v = NULL;
	if (value && !(v = berth__strdup(value)))
		return BERTH_ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

const char *berth__spec_ext_network(const berth__spec_ext *e) { return e->network && *e->network ? e->network : "none"; }

int berth__spec_check_network(const char *mode)
{
	if (!mode || !*mode)
		return berth__err(BERTH_EINVAL, "network mode: empty (none, host, bridge, container:ID or a network name)");
	if (!strcmp(mode, "none") || !strcmp(mode, "host") || !strcmp(mode, "bridge"))
		return 0;
	if (!strncmp(mode, "container:", 10)) {
		if (!mode[10])
			return berth__err(BERTH_EINVAL, "network mode '%s': container:ID needs a container id or name", mode);
		int r = berth__check_id("network mode container", mode + 10);
		return r < 0 ? berth__err_prefix("network mode '%s'", mode) : 0;
	}
	if (strlen(mode) > 64)
		return berth__err(BERTH_EINVAL, "network mode '%.64s...': a network name has at most 64 characters", mode);
	int r = berth__check_id("network name", mode);
	return r < 0 ? berth__err_prefix("network mode '%s'", mode) : 0;
}

/* ------------------------------------------------------------------ ports */

json_t *berth__port_json(const berth_port *p)
{
	json_t *j = json_pack("{s:s, s:i, s:i, s:s}", "hostIp", p->host_ip, "hostPort", (int)p->host_port,
	                      "containerPort", (int)p->container_port, "protocol",
	                      p->protocol == BERTH_PROTO_UDP ? "udp" : "tcp");
	if (j && p->host_port_end)
		json_object_set_new(j, "hostPortEnd", json_integer(p->host_port_end));
	return j;
}

int berth__port_from_json(berth_port *p, const json_t *j)
{
	memset(p, 0, sizeof *p);
	const char *ip = json_string_value(json_object_get(j, "hostIp"));
	const char *proto = json_string_value(json_object_get(j, "protocol"));
	json_int_t hp = json_integer_value(json_object_get(j, "hostPort"));
	json_int_t cp = json_integer_value(json_object_get(j, "containerPort"));
	json_int_t he = json_integer_value(json_object_get(j, "hostPortEnd"));
	if (!json_is_object(j) || (ip && strlen(ip) >= sizeof p->host_ip) || hp < 0 || hp > 65535 || cp < 1 ||
	    cp > 65535 || he < 0 || he > 65535 || (proto && strcmp(proto, "tcp") && strcmp(proto, "udp")))
		return -1;
	p->host_port_end = (unsigned)he;
	snprintf(p->host_ip, sizeof p->host_ip, "%s", ip ? ip : "");
	p->host_port = (unsigned)hp;
	p->container_port = (unsigned)cp;
	p->protocol = proto && !strcmp(proto, "udp") ? BERTH_PROTO_UDP : BERTH_PROTO_TCP;
	return 0;
}

/* ------------------------------------------------------------------- JSON */

static int set_str(json_t *o, const char *key, const char *v)
{
	return v && json_object_set_new(o, key, json_string(v)) < 0 ? -1 : 0;
}

static int set_strv(json_t *o, const char *key, char *const *v)
{
	if (!v)
		return 0;
	json_t *a = json_array();
	for (size_t i = 0; a && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return -1;
		}
	return json_object_set_new(o, key, a);
}

json_t *berth__spec_ext_json(const berth__spec_ext *e)
{
	json_t *o = json_pack("{s:i}", "version", BERTH__EXT_VERSION);
	json_t *ports = e->n_ports ? json_array() : NULL;
	int bad = !o || (e->n_ports && !ports) || set_str(o, "network", e->network) < 0;
	for (size_t i = 0; !bad && i < e->n_ports; i++)
		bad = json_array_append_new(ports, berth__port_json(&e->ports[i])) < 0;
	if (ports && !bad)
		bad = json_object_set(o, "ports", ports) < 0;
	json_decref(ports);
	if (bad || set_strv(o, "dns", e->dns) < 0 ||
	    set_str(o, "image", e->image) < 0 || set_strv(o, "exposedPorts", e->exposed) < 0 ||
	    (e->privileged && json_object_set_new(o, "privileged", json_true()) < 0) ||
	    set_str(o, "cgroupParent", e->cgroup_parent) < 0 ||
	    (e->stop_signal && json_object_set_new(o, "stopSignal", json_integer(e->stop_signal)) < 0)) {
		json_decref(o);
		berth__err_nomem();
		return NULL;
	}
	return o;
}

/* A string member; "" is refused. */
static int get_str(char **out, const json_t *j, const char *key, const char *what)
{
	json_t *v = json_object_get(j, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v))
		return berth__err(BERTH_EINVAL, "%s.%s: must be a non-empty string", what, key);
	return dup_str(out, json_string_value(v));
}

/* An array of strings, each checked by check (may be NULL). */
static int get_strv(char ***out, const json_t *j, const char *key, const char *what, int (*check)(const char *))
{
	json_t *a = json_object_get(j, key), *v;
	if (!a)
		return 0;
	size_t n = json_array_size(a), i;
	if (!json_is_array(a) || n > 256)
		return berth__err(BERTH_EINVAL, "%s.%s: must be an array of at most 256 strings", what, key);
	const char **tmp = calloc(n + 1, sizeof *tmp);
	if (!tmp)
		return berth__err_nomem();
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || (check && check(json_string_value(v)) < 0)) {
			free(tmp);
			return berth__err(BERTH_EINVAL, "%s.%s[%zu]: %s", what, key, i,
			                  json_is_string(v) ? "not an IP address" : "must be a string");
		}
		tmp[i] = json_string_value(v);
	}
	*out = n ? berth__strv_pack((char *const *)tmp, n) : NULL;
	free(tmp);
	return n && !*out ? BERTH_ENOMEM : 0;
}

static int check_ip(const char *s)
{
	unsigned char a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}

static int get_ports(berth__spec_ext *e, const json_t *j, const char *what)
{
	json_t *a = json_object_get(j, "ports"), *v;
	if (!a)
		return 0;
	size_t n = json_array_size(a), i;
	if (!json_is_array(a) || n > 65536)
		return berth__err(BERTH_EINVAL, "%s.ports: must be an array of ports", what);
	if (n && !(e->ports = calloc(n, sizeof *e->ports)))
		return berth__err_nomem();
	json_array_foreach(a, i, v) {
		if (berth__port_from_json(&e->ports[i], v) < 0)
			return berth__err(BERTH_EINVAL,
			                  "%s.ports[%zu]: malformed port (hostIp, hostPort 0-65535, containerPort 1-65535, "
			                  "protocol tcp or udp, hostPortEnd)",
			                  what, i);
		e->n_ports = i + 1;
	}
	return 0;
}

static int get_members(berth__spec_ext *e, const json_t *j, const char *what)
{
	static const char *const keys[] = { "version", "network", "ports", "dns", "image", "exposedPorts",
		                            "privileged", "cgroupParent", "stopSignal" };
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)j, k, v) {
		size_t i = 0;
		while (i < BERTH_ARRAY_SIZE(keys) && strcmp(k, keys[i]))
			i++;
		if (i == BERTH_ARRAY_SIZE(keys))
			return berth__err(BERTH_EINVAL,
			                  "%s.%s: unknown key (version %d has network, ports, dns, image, exposedPorts, "
			                  "privileged, cgroupParent and stopSignal)",
			                  what, k, BERTH__EXT_VERSION);
	}
	int r;
	if ((r = get_str(&e->network, j, "network", what)) < 0 || (r = get_ports(e, j, what)) < 0 ||
	    (r = get_strv(&e->dns, j, "dns", what, check_ip)) < 0 || (r = get_str(&e->image, j, "image", what)) < 0 ||
	    (r = get_strv(&e->exposed, j, "exposedPorts", what, NULL)) < 0 ||
	    (r = get_str(&e->cgroup_parent, j, "cgroupParent", what)) < 0)
		return r;
	if (e->network && (r = berth__spec_check_network(e->network)) < 0)
		return berth__err_prefix("%s.network", what);
	if (e->cgroup_parent && (r = berth__cgroup_parent_check(e->cgroup_parent)) < 0)
		return berth__err_prefix("%s.cgroupParent", what);
	v = json_object_get(j, "privileged");
	if (v && !json_is_boolean(v))
		return berth__err(BERTH_EINVAL, "%s.privileged: must be true or false", what);
	e->privileged = json_is_true(v);
	v = json_object_get(j, "stopSignal");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 64))
		return berth__err(BERTH_EINVAL, "%s.stopSignal: must be a signal number (1-64)", what);
	e->stop_signal = (int)json_integer_value(v);
	return 0;
}

int berth__spec_ext_from_json(berth__spec_ext *out, const json_t *j, const char *what)
{
	if (!json_is_object(j))
		return berth__err(BERTH_EINVAL, "%s: must be an object", what);
	json_t *ver = json_object_get(j, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1)
		return berth__err(BERTH_EINVAL, "%s.version: must be a positive integer (this library writes %d)", what,
		                  BERTH__EXT_VERSION);
	if (json_integer_value(ver) > BERTH__EXT_VERSION)
		return berth__err(BERTH_EINVAL, "%s.version %lld: newer than this library understands (%d)", what,
		                  (long long)json_integer_value(ver), BERTH__EXT_VERSION);
	berth__spec_ext e = { 0 };
	int r = get_members(&e, j, what);
	if (r < 0) {
		berth__spec_ext_clear(&e);
		return r;
	}
	berth__spec_ext_clear(out);
	*out = e;
	return 0;
}

int berth__annotation_check(const char *key, const char *what)
{
	size_t n = strlen(BERTH__RESERVED_ANNOTATION);
	if (key && !strncmp(key, BERTH__RESERVED_ANNOTATION, n))
		return berth__err(BERTH_EINVAL,
		                  "%s: annotation %s is reserved for berth (io.berth.*); set the network, ports, dns, "
		                  "image, privileged mode or cgroup parent with their berth_spec_* setters",
		                  what, key);
	return 0;
}

int berth__spec_ext_take(berth__spec_ext *e, json_t *root, const char *what)
{
	char field[300];
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(root, "annotations"), k, v) {
		int r = berth__annotation_check(k, what);
		if (r < 0)
			return r;
	}
	json_t *ext = json_object_get(root, BERTH__EXT_KEY);
	if (!ext)
		return 0;
	snprintf(field, sizeof field, "%.200s: " BERTH__EXT_KEY, what);
	int r = berth__spec_ext_from_json(e, ext, field);
	if (r == 0)
		json_object_del(root, BERTH__EXT_KEY);
	return r;
}

/* ----------------------------------------------------- berth 0.1 documents */

/* "a,b,c" -> a packed NULL-terminated vector (NULL for ""). */
static char **split_list(const char *s)
{
	if (!s || !*s)
		return NULL;
	char *copy = berth__strdup(s);
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	char **parts = calloc(n + 1, sizeof *parts), **v = NULL;
	size_t k = 0;
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; parts && t; t = strtok_r(NULL, ",", &save))
		parts[k++] = t;
	if (parts && k)
		v = berth__strv_pack(parts, k);
	free(parts);
	free(copy);
	return v;
}

static void legacy_ports(berth__spec_ext *e, const char *s)
{
	json_t *a = s ? json_loads(s, 0, NULL) : NULL, *v;
	size_t n = json_array_size(a), i;
	if (n && (e->ports = calloc(n, sizeof *e->ports)))
		json_array_foreach(a, i, v)
			if (berth__port_from_json(&e->ports[e->n_ports], v) == 0)
				e->n_ports++;
	json_decref(a);
}

/* The io.berth.* annotations of berth 0.1 into e (best effort). */
static void legacy_read(berth__spec_ext *e, const json_t *ann)
{
#define ANN(k) json_string_value(json_object_get(ann, "io.berth." k))
	const char *s;
	e->network = (s = ANN("network")) && *s && strcmp(s, "none") ? berth__strdup(s) : NULL;
	legacy_ports(e, ANN("ports"));
	e->dns = split_list(ANN("dns"));
	e->image = (s = ANN("image")) && *s ? berth__strdup(s) : NULL;
	e->exposed = split_list(ANN("image.exposed-ports"));
	e->privileged = (s = ANN("privileged")) && !strcmp(s, "true");
	e->cgroup_parent = (s = ANN("cgroup-parent")) && *s ? berth__strdup(s) : NULL;
	int sig = (s = ANN("stop-signal")) ? atoi(s) : 0;
	e->stop_signal = sig > 0 && sig < 65 ? sig : 0;
#undef ANN
}

int berth__spec_json_upgrade(json_t *root)
{
	json_t *ann = json_object_get(root, "annotations");
	size_t n = strlen(BERTH__RESERVED_ANNOTATION);
	const char *k;
	json_t *v;
	void *tmp;
	int found = 0;
	json_object_foreach(ann, k, v)
		found |= !strncmp(k, BERTH__RESERVED_ANNOTATION, n);
	if (!found)
		return 0;
	if (!json_object_get(root, BERTH__EXT_KEY)) {
		berth__spec_ext e = { 0 };
		legacy_read(&e, ann);
		json_t *j = berth__spec_ext_json(&e);
		berth__spec_ext_clear(&e);
		if (!j || json_object_set_new(root, BERTH__EXT_KEY, j) < 0)
			return berth__err_nomem();
	}
	json_object_foreach_safe(ann, tmp, k, v)
		if (!strncmp(k, BERTH__RESERVED_ANNOTATION, n))
			json_object_del(ann, k);
	if (json_object_size(ann) == 0)
		json_object_del(root, "annotations");
	return 1;
}

/* ------------------------------------------------------------ the handle */

static int ext_empty(const berth__spec_ext *e)
{
	return !e->network && !e->n_ports && !e->dns && !e->image && !e->exposed && !e->privileged &&
	       !e->cgroup_parent && !e->stop_signal;
}

json_t *berth__spec_json_with_ext(json_t *root, const berth__spec_ext *ext)
{
	if (ext_empty(ext))
		return json_incref(root);
	json_t *e = berth__spec_ext_json(ext);
	json_t *j = e ? json_copy(root) : NULL;
	if (!j || json_object_set_new(j, BERTH__EXT_KEY, e) < 0) {
		if (!j)
			json_decref(e);
		json_decref(j);
		berth__err_nomem();
		return NULL;
	}
	return j;
}

BERTH_EXTERN const char *berth_spec_network(const berth_spec *spec)
{
	return spec ? berth__spec_ext_network(&spec->ext) : NULL;
}

BERTH_EXTERN const char *berth_spec_image(const berth_spec *spec) { return spec ? spec->ext.image : NULL; }

BERTH_EXTERN int berth_spec_ports(berth_port_list **out, const berth_spec *spec)
{
	if (!out || !spec)
		return berth__err(BERTH_EINVAL, "spec ports: out and spec are required");
	size_t n = spec->ext.n_ports;
	berth_port *v = calloc(n ? n : 1, sizeof *v);
	if (!v)
		return berth__err_nomem();
	if (n)
		memcpy(v, spec->ext.ports, n * sizeof *v);
	berth_port_list *l = berth__port_list_take(v, n);
	if (!l)
		return BERTH_ENOMEM;
	*out = l;
	berth__err_ok();
	return 0;
}
