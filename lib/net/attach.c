/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The runtime's side of networking: before clone (address, host ports,
 * /etc files, the record), while the child waits at its gate (veth, eth0,
 * routes, DNAT elements), and the teardown from the record. Nothing here
 * runs for a container with network none. */
#include "net/net_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct berth__netsetup {
	berth_ctx *ctx;
	char id[129];
	char root_dir[PATH_MAX];
	berth__network nw;
	uint32_t addr;
	int have_addr;
	char addr_s[16], mac[18], veth[16];
	berth_port *ports;
	size_t n_ports;
	int *fds;
	size_t nat_added;
	int veth_made;
	int record_written;
};

json_t *berth__net_record_load(const char *root_dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/network.json", root_dir);
	if (access(path, F_OK) < 0)
		return NULL;
	json_t *j = json_load_file(path, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int berth__net_record_save(const char *root_dir, json_t *rec)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/network.json", root_dir);
	return berth__json_save_file(rec, path);
}

static void veth_name(char out[16], const char *id)
{
	berth__sha256_ctx c;
	char hex[65];
	berth__sha256_init(&c);
	berth__sha256_update(&c, id, strlen(id));
	berth__sha256_final_hex(&c, hex);
	snprintf(out, 16, "vb%.11s", hex);
}

/* A bind mount of dir/file on /etc/file unless the spec mounts something there. */
static int add_etc_mount(json_t *spec, const char *dir, const char *file)
{
	char dst[64];
	snprintf(dst, sizeof dst, "/etc/%s", file);
	json_t *mounts = json_object_get(spec, "mounts");
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "destination"));
		if (d && !strcmp(d, dst))
			return 0;
	}
	if (!mounts) {
		mounts = json_array();
		if (!mounts || json_object_set_new(spec, "mounts", mounts) < 0)
			return berth__err_nomem();
	}
	char src[PATH_MAX + 64];
	snprintf(src, sizeof src, "%s/%s", dir, file);
	json_t *e = json_pack("{s:s, s:s, s:s, s:[s, s, s, s]}", "destination", dst, "type", "bind", "source", src,
	                      "options", "rbind", "rprivate", "nosuid", "nodev");
	if (!e || json_array_append_new(mounts, e) < 0)
		return berth__err_nomem();
	return 0;
}

static int set_netns_path(json_t *spec, const char *path)
{
	json_t *nss = json_object_get(json_object_get(spec, "linux"), "namespaces");
	size_t i;
	json_t *n;
	json_array_foreach(nss, i, n) {
		const char *t = json_string_value(json_object_get(n, "type"));
		if (t && !strcmp(t, "network"))
			return json_object_set_new(n, "path", json_string(path)) < 0 ? berth__err_nomem() : 0;
	}
	json_t *e = json_pack("{s:s, s:s}", "type", "network", "path", path);
	if (!e || !json_is_array(nss) || json_array_append_new(nss, e) < 0)
		return berth__err(BERTH_EINVAL, "linux.namespaces: missing");
	return 0;
}

static int join_container(berth_ctx *ctx, const char *id, const char *root_dir, json_t *spec, const char *mode)
{
	const char *ref = mode + 10;
	berth_container *o = NULL;
	int r = berth_container_open(&o, ctx, ref);
	if (r < 0)
		return berth__err_prefix("container %s: network %s", id, mode);
	int st = berth_container_status(o);
	int pid = berth_container_pid(o);
	if ((st != BERTH_STATUS_RUNNING && st != BERTH_STATUS_CREATED && st != BERTH_STATUS_PAUSED) || pid <= 0) {
		r = berth__err(BERTH_ESTATE, "container %s: network %s: container %s is not running", id, mode, ref);
		berth_container_free(o);
		return r;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
	char odir[PATH_MAX];
	berth__path_container(odir, sizeof odir, ctx->root, berth_container_id(o), NULL);
	json_t *rec = json_pack("{s:s, s:s}", "mode", "container", "container", berth_container_id(o));
	berth_container_free(o);
	if ((r = set_netns_path(spec, path)) < 0) {
		json_decref(rec);
		return r;
	}
	/* the other container's /etc files, when it has them */
	static const char *const files[] = { "hosts", "resolv.conf" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(files) && r == 0; i++) {
		char f[PATH_MAX + 32];
		snprintf(f, sizeof f, "%s/%s", odir, files[i]);
		if (access(f, F_OK) == 0)
			r = add_etc_mount(spec, odir, files[i]);
	}
	if (r == 0)
		r = rec ? berth__net_record_save(root_dir, rec) : berth__err_nomem();
	json_decref(rec);
	return r;
}

void berth__net_abort(berth__netsetup *ns)
{
	if (!ns)
		return;
	berth__err_saved s;
	berth__err_save(&s);
	for (size_t i = 0; i < ns->nat_added; i++) {
		berth__nat_port_remove(&ns->ports[i], ns->addr_s);
		if (ns->ports[i].protocol == BERTH_PROTO_UDP)
			berth__nat_conntrack_flush(&ns->ports[i]);
	}
	if (ns->veth_made)
		berth__link_delete(ns->veth);
	for (size_t i = 0; ns->fds && i < ns->n_ports; i++)
		if (ns->fds[i] >= 0)
			close(ns->fds[i]);
	if (ns->have_addr)
		berth__ipam_release(ns->ctx, ns->nw.bridge, ns->addr_s, ns->id);
	if (ns->record_written) {
		char path[PATH_MAX + 16];
		snprintf(path, sizeof path, "%s/network.json", ns->root_dir);
		unlink(path);
	}
	free(ns->fds);
	free(ns->ports);
	free(ns);
	berth__err_restore(&s);
}

static int bridged(const char *mode)
{
	return strcmp(mode, "none") && strcmp(mode, "host") && strncmp(mode, "container:", 10);
}

int berth__net_check(const berth__net_request *req, const char *id)
{
	for (size_t i = 0; i < req->n_ports; i++) {
		char what[200];
		snprintf(what, sizeof what, "container %s: port %zu", id, i + 1);
		int r = berth__check_port(&req->ports[i], what);
		if (r < 0)
			return r;
	}
	if (!req->n_ports)
		return 0;
	if (!bridged(req->mode))
		return berth__err(BERTH_EINVAL,
		                  "container %s: published ports need a bridge network (network bridge or a created one), "
		                  "not '%s'",
		                  id, req->mode);
	return 1;
}

int berth__net_prepare(berth__netsetup **out, berth_ctx *ctx, const char *id, const char *root_dir, json_t *spec,
                       const berth__net_request *req)
{
	*out = NULL;
	const char *mode = req->mode;
	size_t n_ports = req->n_ports;
	int r = berth__net_check(req, id);
	if (r < 0)
		return r;
	if (!strcmp(mode, "none") || !strcmp(mode, "host"))
		return 0;
	if (!strncmp(mode, "container:", 10))
		return join_container(ctx, id, root_dir, spec, mode);

	berth__netsetup *ns = calloc(1, sizeof *ns);
	if (!ns || (n_ports && !(ns->ports = malloc(n_ports * sizeof *ns->ports)))) {
		free(ns);
		return berth__err_nomem();
	}
	ns->ctx = ctx;
	snprintf(ns->id, sizeof ns->id, "%s", id);
	snprintf(ns->root_dir, sizeof ns->root_dir, "%s", root_dir);
	if (n_ports)
		memcpy(ns->ports, req->ports, n_ports * sizeof *ns->ports);
	ns->n_ports = n_ports;
	if ((r = berth__network_load(&ns->nw, ctx, mode)) < 0)
		goto fail;
	if ((r = berth__ipam_alloc(&ns->addr, ctx, &ns->nw, id)) < 0)
		goto fail;
	ns->have_addr = 1;
	berth__ip_format(ns->addr_s, ns->addr);
	if ((r = BERTH_FAULT("network.prepare.address")) < 0)
		goto fail;
	snprintf(ns->mac, sizeof ns->mac, "02:42:%02x:%02x:%02x:%02x", ns->addr >> 24, (ns->addr >> 16) & 255,
	         (ns->addr >> 8) & 255, ns->addr & 255);
	veth_name(ns->veth, id);
	/* the host ports, bound now: a taken one fails the create before anything else is made */
	if (n_ports && !(ns->fds = malloc(n_ports * sizeof *ns->fds))) {
		r = berth__err_nomem();
		goto fail;
	}
	for (size_t i = 0; i < n_ports; i++)
		ns->fds[i] = -1;
	for (size_t i = 0; i < n_ports; i++)
		if ((r = berth__port_reserve(&ns->fds[i], &ns->ports[i])) < 0 ||
		    (r = BERTH_FAULT("network.prepare.port")) < 0) {
			berth__err_prefix("container %s", id);
			goto fail;
		}
	/* /etc files */
	const char *hn = json_string_value(json_object_get(spec, "hostname"));
	char hostbuf[16];
	if (!hn || !*hn || !strcmp(hn, "berth")) {
		snprintf(hostbuf, sizeof hostbuf, "%.12s", id);
		hn = hostbuf;
		json_object_set_new(spec, "hostname", json_string(hn));
	}
	if ((r = berth__netfiles_write(root_dir, hn, ns->addr_s, req->dns && req->dns[0] ? req->dns : NULL)) < 0 ||
	    (r = add_etc_mount(spec, root_dir, "hosts")) < 0 || (r = add_etc_mount(spec, root_dir, "hostname")) < 0 ||
	    (r = add_etc_mount(spec, root_dir, "resolv.conf")) < 0)
		goto fail;
	/* the record, before anything is made in the kernel */
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:[]}", "mode", "bridge", "network",
	                        ns->nw.name, "bridge", ns->nw.bridge, "subnet", ns->nw.subnet, "address", ns->addr_s,
	                        "prefix", ns->nw.prefix, "gateway", ns->nw.gateway, "mac", ns->mac, "veth", ns->veth,
	                        "ports");
	for (size_t i = 0; rec && i < n_ports; i++)
		json_array_append_new(json_object_get(rec, "ports"), berth__port_json(&ns->ports[i]));
	r = rec ? berth__net_record_save(root_dir, rec) : berth__err_nomem();
	json_decref(rec);
	if (r < 0)
		goto fail;
	ns->record_written = 1;
	if ((r = BERTH_FAULT("network.prepare.record")) < 0)
		goto fail;
	*out = ns;
	return 0;
fail:
	berth__net_abort(ns);
	return r;
}

int berth__net_attach(berth__netsetup *ns, pid_t pid)
{
	if (!ns)
		return 0;
	int r;
	if ((r = berth__link_bridge_ensure(&ns->nw)) < 0 || (r = berth__nat_network_add(ns->nw.bridge, ns->nw.subnet)) < 0)
		return berth__err_prefix("container %s", ns->id);
	ns->veth_made = 1; /* from here on, delete it on failure */
	if ((r = berth__link_veth_setup(ns->veth, ns->nw.bridge, pid, ns->mac, ns->addr, ns->nw.prefix, ns->nw.gw)) < 0 ||
	    (r = BERTH_FAULT("network.attach.veth")) < 0)
		return berth__err_prefix("container %s", ns->id);
	for (size_t i = 0; i < ns->n_ports; i++) {
		if ((r = berth__nat_port_add(&ns->ports[i], ns->addr_s)) < 0)
			return berth__err_prefix("container %s", ns->id);
		ns->nat_added = i + 1;
		if ((r = BERTH_FAULT("network.attach.port")) < 0)
			return berth__err_prefix("container %s", ns->id);
		/* a UDP client that sent to the port before the mapping existed has
		 * an un-NATed conntrack entry that would bypass DNAT until idle */
		if (ns->ports[i].protocol == BERTH_PROTO_UDP)
			berth__nat_conntrack_flush(&ns->ports[i]);
	}
	return 0;
}

void berth__net_done(berth__netsetup *ns, int **fds, berth_port **ports, size_t *n, char **addr)
{
	*fds = NULL;
	*ports = NULL;
	*n = 0;
	*addr = NULL;
	if (!ns)
		return;
	*fds = ns->fds;
	*ports = ns->ports;
	*n = ns->n_ports;
	*addr = strdup(ns->addr_s);
	free(ns);
}

static int net_lock(const char *root_dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/net.lock", root_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	return fd;
}

int berth__net_teardown(berth_ctx *ctx, const char *id, const char *root_dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/network.json", root_dir);
	if (access(path, F_OK) < 0)
		return 0;
	int r = BERTH_FAULT("network.teardown");
	if (r < 0)
		return r; /* nothing removed: the record stays for the next try */
	int lk = net_lock(root_dir);
	json_t *rec = berth__net_record_load(root_dir);
	if (!rec) {
		if (lk >= 0)
			close(lk);
		return 0;
	}
	berth__err_saved s;
	berth__err_save(&s);
	const char *mode = json_string_value(json_object_get(rec, "mode"));
	if (mode && !strcmp(mode, "bridge")) {
		const char *addr = json_string_value(json_object_get(rec, "address"));
		const char *veth = json_string_value(json_object_get(rec, "veth"));
		const char *bridge = json_string_value(json_object_get(rec, "bridge"));
		size_t i;
		json_t *pj;
		json_array_foreach(json_object_get(rec, "ports"), i, pj) {
			berth_port p;
			if (berth__port_from_json(&p, pj) < 0 || !p.host_port || !addr)
				continue;
			if (berth__nat_port_remove(&p, addr) < 0 && r == 0)
				r = berth_error_last()->code;
			if (p.protocol == BERTH_PROTO_UDP)
				berth__nat_conntrack_flush(&p);
		}
		if (veth && strlen(veth) < 16 && berth__link_delete(veth) < 0 && r == 0)
			r = berth_error_last()->code;
		if (bridge && addr)
			berth__ipam_release(ctx, bridge, addr, id);
	}
	if (r == 0)
		unlink(path);
	else
		berth__log(ctx, BERTH_LOG_WARN, "container %s: network teardown: %s", id, berth_error_last()->message);
	json_decref(rec);
	if (lk >= 0)
		close(lk);
	berth__err_restore(&s);
	return r;
}
