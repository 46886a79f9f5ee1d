/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Networks: records under <root>/networks, create, remove, list, inspect. */
#include "net/net_internal.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void berth__ip_format(char buf[16], uint32_t a)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

int berth__ip_parse(uint32_t *out, const char *s)
{
	struct in_addr in;
	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*out = ntohl(in.s_addr);
	return 0;
}

int berth__cidr_parse(uint32_t *net, uint32_t *mask, int *prefix, const char *cidr, const char *what)
{
	char buf[64];
	if (!cidr || strlen(cidr) >= sizeof buf)
		return berth__err(BERTH_EINVAL, "%s: subnet '%s': expected an IPv4 CIDR such as 10.89.0.0/24", what,
		                  cidr ? cidr : "");
	snprintf(buf, sizeof buf, "%s", cidr);
	char *slash = strchr(buf, '/');
	char *end = NULL;
	long n = slash ? strtol(slash + 1, &end, 10) : -1;
	if (!slash || !slash[1] || *end || n < 8 || n > 30)
		return berth__err(BERTH_EINVAL, "%s: subnet '%s': expected an IPv4 CIDR with a prefix length of 8 to 30",
		                  what, cidr);
	*slash = '\0';
	uint32_t a;
	if (berth__ip_parse(&a, buf) < 0)
		return berth__err(BERTH_EINVAL, "%s: subnet '%s': '%s' is not an IPv4 address", what, cidr, buf);
	uint32_t m = n == 0 ? 0 : 0xffffffffu << (32 - n);
	if (a & ~m)
		return berth__err(BERTH_EINVAL, "%s: subnet '%s': host bits set (the network is %u.%u.%u.%u/%ld)", what,
		                  cidr, (a & m) >> 24, ((a & m) >> 16) & 255, ((a & m) >> 8) & 255, (a & m) & 255, n);
	*net = a;
	*mask = m;
	*prefix = (int)n;
	return 0;
}

static void network_id(char out[65], const char *name)
{
	berth__sha256_ctx c;
	berth__sha256_init(&c);
	berth__sha256_update(&c, "berth-network:", 14);
	berth__sha256_update(&c, name, strlen(name));
	berth__sha256_final_hex(&c, out);
}

static int fill(berth__network *nw, const char *name, const char *subnet, const char *gateway, const char *bridge)
{
	memset(nw, 0, sizeof *nw);
	snprintf(nw->name, sizeof nw->name, "%s", name);
	network_id(nw->id, name);
	snprintf(nw->subnet, sizeof nw->subnet, "%s", subnet);
	snprintf(nw->bridge, sizeof nw->bridge, "%s", bridge);
	char what[200];
	snprintf(what, sizeof what, "network %s", name);
	int r = berth__cidr_parse(&nw->net, &nw->mask, &nw->prefix, subnet, what);
	if (r < 0)
		return r;
	if (gateway && *gateway) {
		if (berth__ip_parse(&nw->gw, gateway) < 0)
			return berth__err(BERTH_EINVAL, "%s: gateway '%s': not an IPv4 address", what, gateway);
		if ((nw->gw & nw->mask) != nw->net || nw->gw == nw->net || nw->gw == (nw->net | ~nw->mask))
			return berth__err(BERTH_EINVAL, "%s: gateway %s: not a host address of the subnet %s", what, gateway,
			                  subnet);
	} else
		nw->gw = nw->net + 1;
	berth__ip_format(nw->gateway, nw->gw);
	return 0;
}

static char *record_path(berth_ctx *ctx, const char *name)
{
	char p[PATH_MAX];
	berth__path_network(p, sizeof p, ctx->root, name);
	return berth__strdup(p);
}

static int is_builtin(const char *name)
{
	return !strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none");
}

int berth__network_load(berth__network *out, berth_ctx *ctx, const char *name)
{
	if (!strcmp(name, BERTH__DEFAULT_NETWORK)) {
		int r = fill(out, name, BERTH__DEFAULT_SUBNET, NULL, BERTH__DEFAULT_BRIDGE);
		out->builtin = 1;
		return r;
	}
	int r = berth__check_id("network name", name);
	if (r < 0)
		return r;
	char *path = record_path(ctx, name);
	if (!path)
		return BERTH_ENOMEM;
	json_t *j = NULL;
	if (access(path, F_OK) < 0) {
		free(path);
		return berth__err(BERTH_ENOTFOUND, "network %s: no such network (create it with berth network create)",
		                  name);
	}
	r = berth__json_load_file(&j, path, "network");
	free(path);
	if (r < 0)
		return berth__err_prefix("network %s", name);
	r = fill(out, name, json_string_value(json_object_get(j, "subnet")) ? json_string_value(json_object_get(j, "subnet")) : "",
	         json_string_value(json_object_get(j, "gateway")),
	         json_string_value(json_object_get(j, "bridge")) ? json_string_value(json_object_get(j, "bridge")) : "");
	json_decref(j);
	return r;
}

static int networks_lock(berth_ctx *ctx)
{
	char path[PATH_MAX];
	berth__path_network(path, sizeof path, ctx->root, NULL);
	int r = berth__mkdir_p(path, 0700);
	size_t n = strlen(path);
	snprintf(path + n, sizeof path - n, "/.lock");
	if (r < 0)
		return r;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth__err_sys(errno, "networks: lock %s", path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return berth__err_sys(e, "networks: lock %s", path);
		}
	return fd;
}

/* Names of the created networks (not the built-in ones). */
static int created_names(char ***out, size_t *n, berth_ctx *ctx)
{
	char path[PATH_MAX];
	berth__path_network(path, sizeof path, ctx->root, NULL);
	*out = NULL;
	*n = 0;
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : berth__err_sys(errno, "networks: list %s", path);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		if (*n + 1 >= cap) {
			char **nv = realloc(*out, (cap = cap ? cap * 2 : 8) * sizeof *nv);
			if (!nv)
				break;
			*out = nv;
		}
		(*out)[*n] = strndup(de->d_name, l - 5);
		if ((*out)[*n])
			(*n)++;
	}
	closedir(d);
	return 0;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

BERTH_EXTERN int berth_network_options_init(berth_network_options *opts, unsigned int version)
{
	static const berth_network_options d = BERTH_NETWORK_OPTIONS_INIT;
	static const size_t sizes[] = { sizeof d };
	return berth__options_init(opts, version, &d, sizes, BERTH_ARRAY_SIZE(sizes), "berth_network_options");
}

static int overlaps(uint32_t n1, uint32_t m1, uint32_t n2, uint32_t m2)
{
	uint32_t m = m1 & m2; /* the shorter prefix */
	return (n1 & m) == (n2 & m);
}

/* Another network or a route of the host overlapping net/mask? */
static int check_free(berth_ctx *ctx, const char *name, uint32_t net, uint32_t mask, const char *subnet, int quiet,
                      const char *bridge)
{
	char **names;
	size_t n;
	int r = created_names(&names, &n, ctx);
	if (r < 0)
		return r;
	berth__network other;
	r = 0;
	for (size_t i = 0; i <= n && r == 0; i++) {
		const char *on = i == n ? BERTH__DEFAULT_NETWORK : names[i];
		if (!strcmp(on, name) || berth__network_load(&other, ctx, on) < 0)
			continue;
		if (overlaps(net, mask, other.net, other.mask))
			r = quiet ? BERTH_EINVAL
			          : berth__err(BERTH_EINVAL, "network %s: subnet %s overlaps network %s (%s)", name, subnet, on,
			                       other.subnet);
	}
	free_names(names, n);
	if (r == 0) {
		berth__err_ok(); /* a network that failed to load is not this one's problem */
		r = berth__link_check_routes(net, mask, subnet, bridge);
		if (r < 0)
			berth__err_prefix("network %s", name);
	}
	return r;
}

/* The subnet of an existing bridge's address (1), none (0) or an error. */
static int adopt_subnet(berth__network *nw, const char *name, const char *bridge)
{
	uint32_t a, m;
	if (!berth__bridge_v4(&a, &m, bridge))
		return 0;
	char subnet[32], gw[16];
	berth__ip_format(subnet, a & m);
	size_t l = strlen(subnet);
	snprintf(subnet + l, sizeof subnet - l, "/%d", __builtin_popcount(m));
	berth__ip_format(gw, a);
	return fill(nw, name, subnet, gw, bridge) == 0 ? 1 : berth_error_last()->code;
}

BERTH_EXTERN int berth_network_create(berth_ctx *ctx, const char *name, const berth_network_options *opts)
{
	berth_network_options d = BERTH_NETWORK_OPTIONS_INIT;
	if (!ctx || !name)
		return berth__err(BERTH_EINVAL, "network create: ctx and name are required");
	if (!opts)
		opts = &d;
	if (berth__check_version(opts->version, BERTH_NETWORK_OPTIONS_VERSION, "berth_network_options") < 0)
		return berth__err_prefix("network create");
	int r = berth__check_id("network name", name);
	if (r < 0)
		return r;
	if (is_builtin(name))
		return berth__err(BERTH_EEXISTS, "network %s: already exists (built in)", name);
	if (!strncmp(name, "container:", 10) || strlen(name) > 64)
		return berth__err(BERTH_EINVAL, "network name '%s': at most 64 characters, not container:", name);
	char id[65];
	network_id(id, name);
	char bridge[16];
	if (opts->bridge && *opts->bridge) {
		size_t bl = strlen(opts->bridge);
		if (bl > 15 || strpbrk(opts->bridge, "/ :\t\n") || !strcmp(opts->bridge, ".") || !strcmp(opts->bridge, ".."))
			return berth__err(BERTH_EINVAL, "network %s: bridge name '%s': at most 15 characters, no '/', ':' or spaces",
			                  name, opts->bridge);
		snprintf(bridge, sizeof bridge, "%s", opts->bridge);
	} else
		snprintf(bridge, sizeof bridge, "berth-%.8s", id);
	int lk = networks_lock(ctx);
	if (lk < 0)
		return lk;
	char *path = record_path(ctx, name);
	berth__network nw;
	char subnet[32];
	if (!path) {
		r = BERTH_ENOMEM;
		goto out;
	}
	if (access(path, F_OK) == 0) {
		r = berth__err(BERTH_EEXISTS, "network %s: already exists", name);
		goto out;
	}
	if (opts->subnet && *opts->subnet) {
		snprintf(subnet, sizeof subnet, "%.31s", opts->subnet);
		if ((r = fill(&nw, name, opts->subnet, opts->gateway, bridge)) < 0)
			goto out;
		if ((r = check_free(ctx, name, nw.net, nw.mask, nw.subnet, 0, NULL)) < 0)
			goto out;
	} else if (adopt_subnet(&nw, name, bridge) == 1) {
		/* the bridge exists already (another state root's network of the same
		 * name): its subnet, not a second one on the same bridge */
		if ((r = check_free(ctx, name, nw.net, nw.mask, nw.subnet, 0, nw.bridge)) < 0)
			goto out;
	} else {
		if (opts->gateway && *opts->gateway) {
			r = berth__err(BERTH_EINVAL, "network %s: a gateway needs a subnet", name);
			goto out;
		}
		r = BERTH_EINVAL;
		for (int i = 0; i < 256 && r < 0; i++) {
			snprintf(subnet, sizeof subnet, "10.89.%d.0/24", i);
			if ((r = fill(&nw, name, subnet, NULL, bridge)) < 0)
				goto out;
			r = check_free(ctx, name, nw.net, nw.mask, subnet, 1, NULL);
		}
		if (r < 0) {
			r = berth__err(BERTH_EINVAL, "network %s: no free subnet in 10.89.0.0/16: give one with --subnet", name);
			goto out;
		}
	}
	/* a bridge name used by another network */
	char **names;
	size_t n;
	if ((r = created_names(&names, &n, ctx)) < 0)
		goto out;
	berth__network other;
	for (size_t i = 0; i < n && r == 0; i++)
		if (berth__network_load(&other, ctx, names[i]) == 0 && !strcmp(other.bridge, nw.bridge))
			r = berth__err(BERTH_EEXISTS, "network %s: bridge %s is used by network %s", name, nw.bridge, names[i]);
	free_names(names, n);
	if (r == 0 && !strcmp(nw.bridge, BERTH__DEFAULT_BRIDGE))
		r = berth__err(BERTH_EEXISTS, "network %s: bridge %s is the default network's", name, nw.bridge);
	if (r == 0)
		r = berth__bridge_subnet_check(&nw); /* one subnet per bridge, whichever root defined it */
	if (r < 0)
		goto out;
	char created[48];
	berth__format_time(created, sizeof created, berth__now_ns());
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", name, "id", nw.id, "driver", "bridge",
	                      "subnet", nw.subnet, "gateway", nw.gateway, "bridge", nw.bridge, "created", created);
	if (!j) {
		r = berth__err_nomem();
		goto out;
	}
	r = berth__json_save_file(j, path);
	json_decref(j);
	if (r == 0) {
		berth__log(ctx, BERTH_LOG_INFO, "network %s: created (%s, bridge %s)", name, nw.subnet, nw.bridge);
		berth__err_ok();
	}
out:
	free(path);
	close(lk);
	return r;
}

BERTH_EXTERN int berth_network_remove(berth_ctx *ctx, const char *name)
{
	if (!ctx || !name)
		return berth__err(BERTH_EINVAL, "network remove: ctx and name are required");
	if (is_builtin(name))
		return berth__err(BERTH_EINVAL, "network %s: a built-in network cannot be removed", name);
	berth__network nw;
	int r = berth__network_load(&nw, ctx, name);
	if (r < 0)
		return r;
	int lk = networks_lock(ctx);
	if (lk < 0)
		return lk;
	int used = berth__ipam_in_use(nw.bridge);
	if (used > 0) {
		close(lk);
		return berth__err(BERTH_EBUSY, "network %s: in use by %d container%s", name, used, used == 1 ? "" : "s");
	}
	berth__err_saved s;
	berth__err_save(&s);
	berth__nat_network_remove(nw.bridge, nw.subnet);
	berth__link_delete(nw.bridge);
	berth__err_restore(&s);
	char *path = record_path(ctx, name);
	if (!path)
		r = BERTH_ENOMEM;
	else if (unlink(path) < 0 && errno != ENOENT)
		r = berth__err_sys(errno, "network %s: remove %s", name, path);
	free(path);
	close(lk);
	if (r == 0) {
		berth__log(ctx, BERTH_LOG_INFO, "network %s: removed", name);
		berth__err_ok();
	}
	return r;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

BERTH_EXTERN int berth_network_list(char ***out, berth_ctx *ctx)
{
	if (!out || !ctx)
		return berth__err(BERTH_EINVAL, "network list: out and ctx are required");
	char **names;
	size_t n;
	int r = created_names(&names, &n, ctx);
	if (r < 0)
		return r;
	qsort(names, n, sizeof *names, cmp_str);
	char **all = malloc((n + 3) * sizeof *all);
	if (!all) {
		free_names(names, n);
		return berth__err_nomem();
	}
	all[0] = (char *)"bridge";
	all[1] = (char *)"host";
	all[2] = (char *)"none";
	for (size_t i = 0; i < n; i++)
		all[3 + i] = names[i];
	char **packed = berth__strv_pack(all, n + 3);
	free(all);
	free_names(names, n);
	if (!packed)
		return berth__err_nomem();
	*out = packed;
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_network_inspect(char **out, berth_ctx *ctx, const char *name)
{
	if (!out || !ctx || !name)
		return berth__err(BERTH_EINVAL, "network inspect: out, ctx and name are required");
	json_t *j;
	if (!strcmp(name, "host") || !strcmp(name, "none")) {
		char id[65];
		network_id(id, name);
		j = json_pack("{s:s, s:s, s:s, s:[]}", "name", name, "id", id, "driver", name, "containers");
	} else {
		berth__network nw;
		int r = berth__network_load(&nw, ctx, name);
		if (r < 0)
			return r;
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "name", nw.name, "id", nw.id, "driver", "bridge",
		              "subnet", nw.subnet, "gateway", nw.gateway, "bridge", nw.bridge, "containers");
		/* the containers: those whose network.json names this network */
		char **ids = NULL;
		if (j && berth_container_list(&ids, ctx) == 0) {
			for (char **p = ids; *p; p++) {
				char dir[PATH_MAX];
				berth__path_container(dir, sizeof dir, ctx->root, *p, NULL);
				json_t *rec = berth__net_record_load(dir);
				if (rec && !strcmp(json_string_value(json_object_get(rec, "network")) ?: "", name)) {
					json_t *cname = NULL;
					char mp[PATH_MAX + 32];
					snprintf(mp, sizeof mp, "%s/container.json", dir);
					json_t *meta = NULL;
					if (berth__json_load_file(&meta, mp, "container") == 0)
						cname = json_incref(json_object_get(meta, "name"));
					json_decref(meta);
					json_array_append_new(json_object_get(j, "containers"),
					                      json_pack("{s:s, s:o, s:O?, s:O?}", "id", *p, "name",
					                                cname ? cname : json_string(""), "address",
					                                json_object_get(rec, "address"), "mac",
					                                json_object_get(rec, "mac")));
				}
				json_decref(rec);
			}
			free(ids);
		}
		berth__err_ok();
	}
	if (!j)
		return berth__err_nomem();
	*out = berth__json_dump(j, 1);
	json_decref(j);
	if (!*out)
		return BERTH_ENOMEM;
	berth__err_ok();
	return 0;
}
