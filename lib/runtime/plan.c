/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Turns a validated spec into a berth__plan: everything the child needs,
 * computed before clone (mount flags, capability masks, the seccomp program,
 * argv/envp, the $PATH search list). */
#include "runtime/runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <strings.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct arena_node { struct arena_node *next; } arena_node;

static void *pa(berth__plan *p, size_t n)
{
	arena_node *a = calloc(1, sizeof(arena_node) + n + 1);
	if (!a) {
		berth__err_nomem();
		return NULL;
	}
	a->next = p->arena;
	p->arena = a;
	return a + 1;
}

static char *pstrdup(berth__plan *p, const char *s)
{
	size_t n = strlen(s);
	char *r = pa(p, n + 1);
	if (r)
		memcpy(r, s, n + 1);
	return r;
}

int berth__plan_init(berth__plan *p)
{
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(p->ns_join_fds); i++)
		p->ns_join_fds[i] = -1;
	p->join_pid_fd = -1;
	p->setns_pidfd = -1;
	p->cgroup_fd = -1;
	p->stdio[0] = p->stdio[1] = p->stdio[2] = -1;
	p->sync_fd = -1;
	p->exec_fifo_fd = -1;
	p->rootfs_mount_fd = -1;
	p->umask = -1;
	return 0;
}

void berth__plan_free(berth__plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(p->ns_join_fds); i++)
		if (p->ns_join_fds[i] >= 0)
			close(p->ns_join_fds[i]);
	if (p->join_pid_fd >= 0)
		close(p->join_pid_fd);
	if (p->cgroup_fd >= 0)
		close(p->cgroup_fd);
	p->cgroup_fd = -1;
	for (size_t i = 0; i < p->n_cgroup_procs; i++)
		close(p->cgroup_procs_fds[i]);
	p->n_cgroup_procs = 0;
	free(p->seccomp.filter);
	arena_node *a = p->arena;
	while (a) {
		arena_node *n = a->next;
		free(a);
		a = n;
	}
	p->arena = NULL;
	p->seccomp.filter = NULL;
}

/* --- mount options --- */

static const struct { const char *name; int clear; unsigned long flag; } mount_flags[] = {
	{ "ro", 0, MS_RDONLY },       { "rw", 1, MS_RDONLY },         { "nosuid", 0, MS_NOSUID },
	{ "suid", 1, MS_NOSUID },     { "nodev", 0, MS_NODEV },       { "dev", 1, MS_NODEV },
	{ "noexec", 0, MS_NOEXEC },   { "exec", 1, MS_NOEXEC },       { "sync", 0, MS_SYNCHRONOUS },
	{ "async", 1, MS_SYNCHRONOUS }, { "dirsync", 0, MS_DIRSYNC }, { "remount", 0, MS_REMOUNT },
	{ "mand", 0, MS_MANDLOCK },   { "nomand", 1, MS_MANDLOCK },   { "atime", 1, MS_NOATIME },
	{ "noatime", 0, MS_NOATIME }, { "diratime", 1, MS_NODIRATIME }, { "nodiratime", 0, MS_NODIRATIME },
	{ "relatime", 0, MS_RELATIME }, { "norelatime", 1, MS_RELATIME }, { "strictatime", 0, MS_STRICTATIME },
	{ "nostrictatime", 1, MS_STRICTATIME },
};
static const struct { const char *name; unsigned long flag; } prop_flags[] = {
	{ "private", MS_PRIVATE },   { "rprivate", MS_PRIVATE | MS_REC },   { "shared", MS_SHARED },
	{ "rshared", MS_SHARED | MS_REC }, { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static int parse_mount(berth__plan *p, berth__mount *m, const json_t *j, size_t idx)
{
	const char *dest = json_string_value(json_object_get(j, "destination"));
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *src = json_string_value(json_object_get(j, "source"));
	json_t *opts = json_object_get(j, "options");
	if (!dest || dest[0] != '/')
		return berth__err(BERTH_EINVAL, "mounts[%zu].destination: must be an absolute path", idx);
	while (*dest == '/')
		dest++;
	if (!(m->target = pstrdup(p, dest)))
		return BERTH_ENOMEM;
	char data[4096] = "";
	size_t dl = 0;
	int bind = type && !strcmp(type, "bind");
	size_t i;
	json_t *o;
	json_array_foreach(opts, i, o) {
		const char *s = json_string_value(o);
		if (!s)
			continue;
		if (!strcmp(s, "bind")) {
			if (!bind)
				bind = 1;
			continue;
		}
		if (!strcmp(s, "rbind")) {
			bind = 2;
			continue;
		}
		int known = 0;
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(mount_flags); k++)
			if (!strcmp(s, mount_flags[k].name)) {
				if (mount_flags[k].clear)
					m->flags &= ~mount_flags[k].flag;
				else
					m->flags |= mount_flags[k].flag;
				known = 1;
			}
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(prop_flags); k++)
			if (!strcmp(s, prop_flags[k].name)) {
				m->propagation = prop_flags[k].flag;
				known = 1;
			}
		if (!known) {
			size_t sl = strlen(s);
			if (dl + sl + 2 >= sizeof data)
				return berth__err(BERTH_EINVAL, "mounts[%zu].options: too long", idx);
			if (dl)
				data[dl++] = ',';
			memcpy(data + dl, s, sl + 1);
			dl += sl;
		}
	}
	if (bind) {
		if (!src || src[0] != '/')
			return berth__err(BERTH_EINVAL, "mounts[%zu].source: a bind mount needs an absolute host path", idx);
		struct stat st;
		if (stat(src, &st) < 0)
			return berth__err_sys(errno, "mount %s: source %s", m->target, src);
		m->bind = bind;
		m->file = !S_ISDIR(st.st_mode);
		m->remount_flags = (int)(m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
		if (!(m->source = pstrdup(p, src)))
			return BERTH_ENOMEM;
		return 0;
	}
	if (!type)
		return berth__err(BERTH_EINVAL, "mounts[%zu].type: required for a non-bind mount", idx);
	if (!(m->fstype = pstrdup(p, type)) || !(m->source = pstrdup(p, src ? src : type)))
		return BERTH_ENOMEM;
	if (dl && !(m->data = pstrdup(p, data)))
		return BERTH_ENOMEM;
	return 0;
}

/* A "cgroup" mount becomes cgroup2 on a v2 host, and on v1/hybrid hosts a
 * read-only tmpfs with the host's v1 hierarchies (and unified) below it. */
static int add_cgroup_mounts(berth__plan *p, berth__mount *base, size_t *n, size_t cap)
{
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
		base->fstype = "cgroup2";
		base->source = "cgroup2";
		base->data = NULL;
		(*n)++;
		return 0;
	}
	unsigned long ro = base->flags & MS_RDONLY;
	berth__mount tm = *base;
	tm.fstype = "tmpfs";
	tm.source = "tmpfs";
	tm.data = "mode=755";
	tm.flags = base->flags & ~MS_RDONLY; /* made read-only below, after the hierarchies */
	p->mounts[(*n)++] = tm;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	char line[4096];
	while (fgets(line, sizeof line, f) && *n + 2 < cap) {
		char mp[1024], fstype[64], super[1024];
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %1023s", mp) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (strncmp(mp, "/sys/fs/cgroup/", 15) != 0)
			continue;
		berth__mount m = { 0 };
		m.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | ro;
		m.is_cgroup_v1 = 1;
		if (!strcmp(fstype, "cgroup2")) {
			m.fstype = "cgroup2";
			m.source = "cgroup2";
		} else if (!strcmp(fstype, "cgroup")) {
			/* keep the controller names (and name=...) of the super options */
			char keep[1024] = "";
			size_t kl = 0;
			for (char *save = NULL, *t = strtok_r(super, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (!strcmp(t, "rw") || !strcmp(t, "ro") || !strncmp(t, "release_agent", 13) ||
				    !strcmp(t, "clone_children") || !strcmp(t, "xattr"))
					continue;
				size_t tl = strlen(t);
				if (kl + tl + 2 >= sizeof keep)
					break;
				if (kl)
					keep[kl++] = ',';
				memcpy(keep + kl, t, tl + 1);
				kl += tl;
			}
			m.fstype = "cgroup";
			m.source = "cgroup";
			if (!(m.data = pstrdup(p, keep)))
				return BERTH_ENOMEM;
		} else
			continue;
		if (!(m.target = pstrdup(p, mp + 1)))
			return BERTH_ENOMEM;
		p->mounts[(*n)++] = m;
	}
	fclose(f);
	if (ro && *n < cap) {
		/* then the tmpfs itself read-only, once the hierarchies are in */
		berth__mount rm = { 0 };
		rm.target = tm.target;
		rm.flags = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		p->mounts[(*n)++] = rm;
	}
	return 0;
}

static int build_mounts(berth__plan *p, const json_t *spec)
{
	json_t *mounts = json_object_get(spec, "mounts");
	size_t n = json_array_size(mounts);
	size_t cap = n + 32;
	p->mounts = pa(p, cap * sizeof *p->mounts);
	if (!p->mounts)
		return BERTH_ENOMEM;
	size_t i, k = 0;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		berth__mount tmp = { 0 };
		int r = parse_mount(p, &tmp, m, i);
		if (r < 0)
			return r;
		if (tmp.fstype && !strcmp(tmp.fstype, "cgroup")) {
			p->mounts[k] = tmp;
			if ((r = add_cgroup_mounts(p, &p->mounts[k], &k, cap)) < 0)
				return r;
			continue;
		}
		if (k < cap)
			p->mounts[k++] = tmp;
	}
	p->n_mounts = k;
	return 0;
}

static const berth__device default_devices[] = {
	{ "dev/null", "/dev/null", S_IFCHR | 0666, 1, 3, 0, 0 },
	{ "dev/zero", "/dev/zero", S_IFCHR | 0666, 1, 5, 0, 0 },
	{ "dev/full", "/dev/full", S_IFCHR | 0666, 1, 7, 0, 0 },
	{ "dev/random", "/dev/random", S_IFCHR | 0666, 1, 8, 0, 0 },
	{ "dev/urandom", "/dev/urandom", S_IFCHR | 0666, 1, 9, 0, 0 },
	{ "dev/tty", "/dev/tty", S_IFCHR | 0666, 5, 0, 0, 0 },
};

static int build_devices(berth__plan *p, const json_t *spec, int privileged)
{
	json_t *devs = json_object_get(json_object_get(spec, "linux"), "devices");
	size_t extra = json_array_size(devs);
	size_t cap = BERTH_ARRAY_SIZE(default_devices) + extra + (privileged ? 512 : 0);
	p->devices = pa(p, cap * sizeof *p->devices);
	if (!p->devices)
		return BERTH_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_devices); i++)
		p->devices[n++] = default_devices[i];
	size_t i;
	json_t *d;
	json_array_foreach(devs, i, d) {
		const char *path = json_string_value(json_object_get(d, "path"));
		const char *type = json_string_value(json_object_get(d, "type"));
		if (!path || path[0] != '/' || !type)
			return berth__err(BERTH_EINVAL, "linux.devices[%zu]: needs an absolute path and a type", i);
		berth__device dv = { 0 };
		dv.name = pstrdup(p, path + 1);
		dv.host = pstrdup(p, path);
		if (!dv.name || !dv.host)
			return BERTH_ENOMEM;
		unsigned int kind = type[0] == 'b' ? S_IFBLK : type[0] == 'p' ? S_IFIFO : S_IFCHR;
		json_t *fm = json_object_get(d, "fileMode");
		dv.mode = kind | (fm ? (unsigned)json_integer_value(fm) & 07777 : 0666);
		dv.major = (unsigned)json_integer_value(json_object_get(d, "major"));
		dv.minor = (unsigned)json_integer_value(json_object_get(d, "minor"));
		dv.uid = (unsigned)json_integer_value(json_object_get(d, "uid"));
		dv.gid = (unsigned)json_integer_value(json_object_get(d, "gid"));
		p->devices[n++] = dv;
	}
	if (privileged) {
		/* --privileged: the host's character and block devices in /dev */
		int dfd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;
		while (dir && (de = readdir(dir)) && n < cap) {
			struct stat st;
			if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
				continue;
			int dup = 0;
			for (size_t k = 0; k < n; k++)
				if (!strcmp(p->devices[k].name + 4, de->d_name))
					dup = 1;
			if (dup || !strcmp(de->d_name, "console") || !strcmp(de->d_name, "ptmx"))
				continue;
			berth__device dv = { 0 };
			char name[300];
			snprintf(name, sizeof name, "dev/%s", de->d_name);
			dv.name = pstrdup(p, name);
			char host[300];
			snprintf(host, sizeof host, "/dev/%s", de->d_name);
			dv.host = pstrdup(p, host);
			if (!dv.name || !dv.host) {
				closedir(dir);
				return BERTH_ENOMEM;
			}
			dv.mode = st.st_mode & (S_IFMT | 07777);
			dv.major = major(st.st_rdev);
			dv.minor = minor(st.st_rdev);
			dv.uid = st.st_uid;
			dv.gid = st.st_gid;
			p->devices[n++] = dv;
		}
		if (dir)
			closedir(dir);
		else if (dfd >= 0)
			close(dfd);
	}
	p->n_devices = n;
	return 0;
}

static int str_list(berth__plan *p, const char ***out, size_t *n_out, const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	const char **v = pa(p, (n + 1) * sizeof *v);
	if (!v)
		return BERTH_ENOMEM;
	json_t *e;
	json_array_foreach(arr, i, e) {
		if (!(v[i] = pstrdup(p, json_string_value(e) ? json_string_value(e) : "")))
			return BERTH_ENOMEM;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static const struct { const char *name; int res; } rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_STACK", RLIMIT_STACK },   { "RLIMIT_CORE", RLIMIT_CORE },     { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_LOCKS", RLIMIT_LOCKS },   { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int berth__plan_process(berth__plan *p, const json_t *proc)
{
	int r;
	json_t *args = json_object_get(proc, "args");
	size_t n = json_array_size(args), i;
	if (n == 0)
		return berth__err(BERTH_EINVAL, "process.args: must be a non-empty array");
	if (!(p->argv = pa(p, (n + 1) * sizeof(char *))))
		return BERTH_ENOMEM;
	json_t *e;
	json_array_foreach(args, i, e) {
		if (!json_is_string(e))
			return berth__err(BERTH_EINVAL, "process.args[%zu]: must be a string", i);
		if (!(p->argv[i] = pstrdup(p, json_string_value(e))))
			return BERTH_ENOMEM;
	}
	json_t *env = json_object_get(proc, "env");
	n = json_array_size(env);
	if (!(p->envp = pa(p, (n + 1) * sizeof(char *))))
		return BERTH_ENOMEM;
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	json_array_foreach(env, i, e) {
		if (!(p->envp[i] = pstrdup(p, json_string_value(e) ? json_string_value(e) : "")))
			return BERTH_ENOMEM;
		if (!strncmp(p->envp[i], "PATH=", 5))
			path = p->envp[i] + 5;
	}
	/* $PATH split for the search in the child */
	size_t nd = 1;
	for (const char *c = path; *c; c++)
		nd += *c == ':';
	if (!(p->path_dirs = pa(p, (nd + 1) * sizeof(char *))))
		return BERTH_ENOMEM;
	char *pcopy = pstrdup(p, path);
	if (!pcopy)
		return BERTH_ENOMEM;
	size_t k = 0;
	for (char *save = NULL, *t = strtok_r(pcopy, ":", &save); t; t = strtok_r(NULL, ":", &save))
		p->path_dirs[k++] = t;
	const char *cwd = json_string_value(json_object_get(proc, "cwd"));
	if (!(p->cwd = pstrdup(p, cwd ? cwd : "/")))
		return BERTH_ENOMEM;
	json_t *user = json_object_get(proc, "user");
	p->uid = (uint32_t)json_integer_value(json_object_get(user, "uid"));
	p->gid = (uint32_t)json_integer_value(json_object_get(user, "gid"));
	json_t *um = json_object_get(user, "umask");
	if (json_is_integer(um))
		p->umask = (int)json_integer_value(um);
	json_t *gids = json_object_get(user, "additionalGids");
	p->n_gids = json_array_size(gids);
	if (!(p->gids = pa(p, (p->n_gids + 1) * sizeof(gid_t))))
		return BERTH_ENOMEM;
	json_array_foreach(gids, i, e)
		p->gids[i] = (gid_t)json_integer_value(e);
	p->set_groups = 1;
	if ((r = berth__caps_from_json(&p->caps, json_object_get(proc, "capabilities"))) < 0)
		return r;
	p->last_cap = berth__cap_last();
	/* A container cannot hold a capability its creator lacks (on some hosts
	 * CAP_SYS_RESOURCE is not even in the bounding set): "all capabilities"
	 * (--privileged, --cap-add ALL) means all the caller has. */
	if ((r = berth__caps_bound_by_caller(&p->caps, p->last_cap)) < 0)
		return r;
	p->no_new_privs = json_is_true(json_object_get(proc, "noNewPrivileges"));
	json_t *oom = json_object_get(proc, "oomScoreAdj");
	if (json_is_integer(oom)) {
		p->has_oom_score_adj = 1;
		snprintf(p->oom_score_adj, sizeof p->oom_score_adj, "%d", (int)json_integer_value(oom));
	}
	json_t *rl = json_object_get(proc, "rlimits");
	p->n_rlimits = json_array_size(rl);
	if (!(p->rlimits = pa(p, (p->n_rlimits + 1) * sizeof *p->rlimits)))
		return BERTH_ENOMEM;
	json_array_foreach(rl, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		int res = -1;
		for (size_t x = 0; t && x < BERTH_ARRAY_SIZE(rlimit_names); x++)
			if (!strcasecmp(t, rlimit_names[x].name))
				res = rlimit_names[x].res;
		if (res < 0)
			return berth__err(BERTH_EINVAL, "process.rlimits[%zu].type: unknown rlimit '%s'", i, t ? t : "");
		p->rlimits[i].resource = res;
		p->rlimits[i].name = pstrdup(p, t);
		/* a negative or real (too big for int64) value means unlimited */
		json_t *soft = json_object_get(e, "soft"), *hard = json_object_get(e, "hard");
		p->rlimits[i].lim.rlim_cur = json_is_integer(soft) && json_integer_value(soft) >= 0
		                                 ? (rlim_t)json_integer_value(soft) : RLIM_INFINITY;
		p->rlimits[i].lim.rlim_max = json_is_integer(hard) && json_integer_value(hard) >= 0
		                                 ? (rlim_t)json_integer_value(hard) : RLIM_INFINITY;
	}
	return 0;
}

int berth__plan_from_spec(berth__plan *p, const json_t *spec, const char *rootfs_abs)
{
	int r;
	json_t *linux_ = json_object_get(spec, "linux");
	json_t *proc = json_object_get(spec, "process");
	if ((r = berth__plan_process(p, proc)) < 0)
		return r;

	/* namespaces */
	size_t i;
	json_t *ns;
	json_array_foreach(json_object_get(linux_, "namespaces"), i, ns) {
		int type;
		const char *tn = json_string_value(json_object_get(ns, "type"));
		if (!tn || berth_ns_type_from_name(&type, tn) < 0)
			return berth__err(BERTH_EINVAL, "linux.namespaces[%zu].type: unknown namespace type '%s'", i,
			                  tn ? tn : "");
		const char *path = json_string_value(json_object_get(ns, "path"));
		if (path && *path) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return berth__err_sys(errno, "linux.namespaces[%zu]: join %s namespace %s", i, tn, path);
			if (type == BERTH_NS_PID)
				p->join_pid_fd = fd;
			else
				p->ns_join_fds[type] = fd;
			if (type == BERTH_NS_MOUNT)
				p->mountns = 0;
		} else {
			p->clone_flags |= berth_ns_clone_flag(type);
			if (type == BERTH_NS_USER)
				p->userns = 1;
			if (type == BERTH_NS_NET)
				p->netns_new = 1;
			if (type == BERTH_NS_MOUNT)
				p->mountns = 1;
		}
	}
	if (!p->mountns)
		return berth__err(BERTH_EINVAL, "linux.namespaces: berth needs a new mount namespace for the root filesystem");
	if (p->userns) {
		/* setgroups is denied in a user namespace unless the parent allows it; it does */
	}
	const char *hn = json_string_value(json_object_get(spec, "hostname"));
	if (hn && *hn) {
		if (!(p->clone_flags & CLONE_NEWUTS) && p->ns_join_fds[BERTH_NS_UTS] < 0)
			return berth__err(BERTH_EINVAL, "hostname: needs a uts namespace");
		/* a joined uts namespace keeps its owner's hostname (as docker --uts=container:X) */
		if ((p->clone_flags & CLONE_NEWUTS) && !(p->hostname = pstrdup(p, hn)))
			return BERTH_ENOMEM;
	}
	json_t *root = json_object_get(spec, "root");
	p->rootfs_readonly = json_is_true(json_object_get(root, "readonly"));
	if (!(p->rootfs = pstrdup(p, rootfs_abs)))
		return BERTH_ENOMEM;
	if ((r = build_mounts(p, spec)) < 0)
		return r;
	const char *priv = json_string_value(json_object_get(json_object_get(spec, "annotations"), "io.berth.privileged"));
	if ((r = build_devices(p, spec, priv && !strcmp(priv, "true"))) < 0)
		return r;
	p->devices_bind = p->userns;
	if ((r = str_list(p, &p->masked, &p->n_masked, json_object_get(linux_, "maskedPaths"))) < 0 ||
	    (r = str_list(p, &p->readonly, &p->n_readonly, json_object_get(linux_, "readonlyPaths"))) < 0)
		return r;
	json_t *sysctl = json_object_get(linux_, "sysctl");
	p->n_sysctls = json_object_size(sysctl);
	if (!(p->sysctls = pa(p, (p->n_sysctls + 1) * sizeof *p->sysctls)))
		return BERTH_ENOMEM;
	const char *key;
	json_t *val;
	size_t k = 0;
	json_object_foreach(sysctl, key, val) {
		if (strchr(key, '/') || strstr(key, ".."))
			return berth__err(BERTH_EINVAL, "linux.sysctl: bad key '%s'", key);
		char pathb[512];
		snprintf(pathb, sizeof pathb, "/proc/sys/%s", key);
		for (char *c = pathb + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		p->sysctls[k].path = pstrdup(p, pathb);
		p->sysctls[k].value = pstrdup(p, json_string_value(val) ? json_string_value(val) : "");
		if (!p->sysctls[k].path || !p->sysctls[k].value)
			return BERTH_ENOMEM;
		k++;
	}
	return berth__plan_seccomp(p, json_object_get(linux_, "seccomp"));
}

int berth__plan_seccomp(berth__plan *p, const json_t *sec)
{
	if (!sec || json_is_null(sec))
		return 0;
	static const struct { const char *name; unsigned int flag; } flags[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5 },
	};
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(sec, "flags"), i, f) {
		const char *n = json_string_value(f);
		for (size_t k = 0; n && k < BERTH_ARRAY_SIZE(flags); k++)
			if (!strcmp(n, flags[k].name))
				p->seccomp_flags |= flags[k].flag;
	}
	return berth__seccomp_compile_cached(&p->seccomp, sec, p->seccomp_cache);
}
