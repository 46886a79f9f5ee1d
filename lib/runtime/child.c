/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The container's init (and exec'd processes) between clone and execve.
 *
 * Everything here runs in a freshly cloned child of a possibly multi-threaded
 * host: only system calls (through thin libc wrappers or syscall()), no
 * malloc, no stdio, no locks, no libc functions that touch shared state
 * (setuid and friends are called as raw syscalls because glibc's wrappers
 * signal the parent's other threads). All data comes ready-made in the plan.
 */
#include "runtime/runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

/* --- tiny string helpers (no libc state) --- */

typedef struct { char *buf; size_t len, cap; } sb;

static void sb_add(sb *s, const char *t)
{
	while (t && *t && s->len + 1 < s->cap)
		s->buf[s->len++] = *t++;
	s->buf[s->len] = '\0';
}

static void sb_int(sb *s, long v)
{
	char tmp[24];
	int i = 0, neg = v < 0;
	unsigned long u = neg ? (unsigned long)-v : (unsigned long)v;
	do {
		tmp[i++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		tmp[i++] = '-';
	char out[24];
	int j = 0;
	while (i)
		out[j++] = tmp[--i];
	out[j] = '\0';
	sb_add(s, out);
}

static const char *fdpath(char *buf, size_t cap, int fd)
{
	sb s = { buf, 0, cap };
	sb_add(&s, "/proc/self/fd/");
	sb_int(&s, fd);
	return buf;
}

/* thread-local: a CLONE_VM child writes its parent thread's copy (that thread
 * is suspended until the exec), never another thread's */
static __thread int g_sync = -1;

static void send_msg(int type, int err, int status, const char *a, const char *b, const char *c)
{
	berth__child_msg m;
	memset(&m, 0, sizeof m);
	m.type = type;
	m.err = err;
	m.status = status;
	sb s = { m.what, 0, sizeof m.what };
	sb_add(&s, a);
	sb_add(&s, b);
	sb_add(&s, c);
	if (g_sync >= 0) {
		ssize_t r;
		do
			r = send(g_sync, &m, sizeof m, MSG_NOSIGNAL);
		while (r < 0 && errno == EINTR);
	}
}

__attribute__((noreturn)) static void die3(const char *a, const char *b, const char *c)
{
	send_msg(BERTH__MSG_ERROR, errno, 1, a, b, c);
	_exit(1);
}
#define die(a) die3(a, NULL, NULL)
#define die2(a, b) die3(a, b, NULL)

/* --- path helpers inside the rootfs --- */

/* mkdir -p of rel (relative to the root) resolved inside the root; the last
 * component is made a file when file is set. Returns an O_PATH fd of it. */
static int ensure_in_root(int rootfd, const char *rel, int file)
{
	char buf[4096];
	size_t n = strlen(rel);
	if (n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = berth__open_in_root(rootfd, rel, O_PATH);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return -1;
	memcpy(buf, rel, n + 1);
	size_t i = 0;
	for (;;) {
		while (buf[i] == '/')
			i++;
		size_t start = i;
		while (buf[i] && buf[i] != '/')
			i++;
		if (i == start)
			break;
		char save = buf[i];
		buf[i] = '\0';
		int last = save == '\0';
		int cfd = berth__open_in_root(rootfd, buf, O_PATH);
		if (cfd < 0 && errno == ENOENT) {
			/* make it in its parent */
			char *slash = strrchr(buf, '/');
			int pfd;
			const char *name;
			if (slash) {
				*slash = '\0';
				pfd = berth__open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
				*slash = '/';
				name = slash + 1;
			} else {
				pfd = berth__open_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
				name = buf;
			}
			if (pfd < 0)
				return -1;
			int r;
			if (last && file) {
				r = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else
				r = mkdirat(pfd, name, 0755);
			int e = errno;
			close(pfd);
			if (r < 0 && e != EEXIST) {
				errno = e;
				return -1;
			}
			cfd = berth__open_in_root(rootfd, buf, O_PATH);
		}
		if (cfd < 0)
			return -1;
		if (last)
			return cfd;
		close(cfd);
		buf[i] = save;
	}
	errno = EINVAL;
	return -1;
}

/* Remount a bind mount with flags, keeping the flags the kernel locks (a
 * mount inherited into a user namespace keeps nosuid/nodev/noexec...). */
static int remount_bind(const char *path, unsigned long flags)
{
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	struct statvfs sv;
	if (statvfs(path, &sv) < 0)
		return -1;
	unsigned long keep = 0;
	if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
	return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags | keep, NULL);
}

__attribute__((noreturn)) static void sb_mount_fail(const berth__mount *m)
{
	char what[600];
	sb s = { what, 0, sizeof what };
	sb_add(&s, "mount ");
	sb_add(&s, m->fstype);
	sb_add(&s, " on /");
	sb_add(&s, m->target);
	die(what);
}

static void do_mount(int rootfd, const berth__mount *m)
{
	if (m->skip)
		return;
	char fp[64];
	int tfd = ensure_in_root(rootfd, m->target, m->file);
	if (tfd < 0)
		die3("mount ", m->target, ": create the mount point");
	const char *tp = fdpath(fp, sizeof fp, tfd);
	if (m->bind) {
		unsigned long f = MS_BIND | (m->bind == 2 ? MS_REC : 0);
		if (mount(m->source, tp, NULL, f, NULL) < 0)
			die3("bind mount ", m->source, " (source)");
		if (m->remount_flags) {
			/* the fd still names the mount point below the new mount: reopen */
			close(tfd);
			tfd = berth__open_in_root(rootfd, m->target, O_PATH);
			if (tfd < 0)
				die3("mount ", m->target, ": reopen");
			tp = fdpath(fp, sizeof fp, tfd);
			if (remount_bind(tp, (unsigned long)m->remount_flags) < 0)
				die3("remount ", m->target, " read-only");
		}
	} else if (!m->fstype && (m->flags & MS_REMOUNT)) {
		if (mount(NULL, tp, NULL, m->flags, NULL) < 0)
			die3("remount /", m->target, "");
	} else if (mount(m->source, tp, m->fstype, m->flags, m->data) < 0) {
		if (m->is_cgroup_v1) {
			close(tfd);
			return; /* a hierarchy that cannot be mounted here is left out */
		}
		int e = errno;
		if (m->fstype && !strcmp(m->fstype, "sysfs") && (e == EPERM || e == EACCES)) {
			/* sysfs of a network namespace we do not own: bind the host's, read-only */
			if (mount("/sys", tp, NULL, MS_BIND | MS_REC, NULL) < 0)
				die3("mount sysfs on /", m->target, "");
			close(tfd);
			tfd = berth__open_in_root(rootfd, m->target, O_PATH);
			tp = fdpath(fp, sizeof fp, tfd);
			if (tfd < 0 || remount_bind(tp, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0)
				die3("remount /", m->target, " read-only");
		} else {
			errno = e;
			sb_mount_fail(m);
		}
	}
	if (m->propagation && mount(NULL, tp, NULL, m->propagation, NULL) < 0)
		die3("set propagation of /", m->target, "");
	close(tfd);
}

static void make_devices(int rootfd, const berth__plan *p)
{
	char fp[64];
	for (size_t i = 0; i < p->n_devices; i++) {
		const berth__device *d = &p->devices[i];
		if (p->devices_bind) {
			int tfd = ensure_in_root(rootfd, d->name, 1);
			if (tfd < 0)
				die3("device /", d->name, ": create");
			if (mount(d->host, fdpath(fp, sizeof fp, tfd), NULL, MS_BIND, NULL) < 0)
				die3("bind device ", d->host, "");
			close(tfd);
			continue;
		}
		const char *slash = strrchr(d->name, '/');
		char dir[4096];
		size_t dl = slash ? (size_t)(slash - d->name) : 0;
		memcpy(dir, d->name, dl);
		dir[dl] = '\0';
		int dfd = dl ? ensure_in_root(rootfd, dir, 0) : berth__open_in_root(rootfd, ".", O_PATH);
		if (dfd < 0)
			die3("device /", d->name, ": parent directory");
		int real = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(dfd);
		if (real < 0)
			die3("device /", d->name, ": parent directory");
		const char *base = slash ? slash + 1 : d->name;
		unlinkat(real, base, 0);
		if (mknodat(real, base, d->mode, makedev(d->major, d->minor)) < 0)
			die3("mknod /", d->name, "");
		if (fchmodat(real, base, d->mode & 07777, 0) < 0 ||
		    fchownat(real, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
			die3("device /", d->name, ": set mode/owner");
		close(real);
	}
	/* the standard links */
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" },         { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },   { "stderr", "/proc/self/fd/2" },
		{ "ptmx", "pts/ptmx" },
	};
	int dev = berth__open_in_root(rootfd, "dev", O_RDONLY | O_DIRECTORY);
	if (dev < 0)
		die("open /dev");
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		if (!strcmp(links[i][0], "ptmx")) {
			/* keep a real /dev/ptmx node when the host's devices were bound in */
			struct stat st;
			if (fstatat(dev, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
				continue;
		}
		if (symlinkat(links[i][1], dev, links[i][0]) < 0 && errno != EEXIST)
			die2("symlink /dev/", links[i][0]);
	}
	close(dev);
}

static void mask_paths(const berth__plan *p)
{
	for (size_t i = 0; i < p->n_masked; i++) {
		struct stat st;
		if (stat(p->masked[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			die2("mask ", p->masked[i]);
		}
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", p->masked[i], "tmpfs", MS_RDONLY, "size=0") < 0)
				die2("mask ", p->masked[i]);
		} else if (mount("/dev/null", p->masked[i], NULL, MS_BIND, NULL) < 0)
			die2("mask ", p->masked[i]);
	}
}

static void readonly_paths(const berth__plan *p)
{
	for (size_t i = 0; i < p->n_readonly; i++) {
		if (mount(p->readonly[i], p->readonly[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			die2("read-only path ", p->readonly[i]);
		}
		if (remount_bind(p->readonly[i], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0 &&
		    remount_bind(p->readonly[i], MS_RDONLY) < 0)
			die2("read-only path ", p->readonly[i]);
	}
}

static void write_all_or_die(const char *path, const char *val, const char *what)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die2(what, path);
	size_t n = strlen(val);
	if (write(fd, val, n) != (ssize_t)n)
		die2(what, path);
	close(fd);
}

/* A pseudo-terminal from the container's own devpts (so ttyname() inside
 * names /dev/pts/N): the master goes to the parent over the sync socket,
 * the slave becomes the controlling terminal and stdin/stdout/stderr, and for
 * the init also /dev/console. */
static void setup_console(int bind_console)
{
	int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		die("terminal: open /dev/pts/ptmx");
	int unlock = 0, n = -1;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
		die("terminal: unlock the pseudo-terminal");
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		die("terminal: open the pseudo-terminal slave");
	if (bind_console) {
		char path[64];
		sb b = { path, 0, sizeof path };
		sb_add(&b, "/dev/pts/");
		sb_int(&b, n);
		int f = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f >= 0)
			close(f);
		if (mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0)
			die("terminal: bind it on /dev/console");
	}
	berth__child_msg msg;
	memset(&msg, 0, sizeof msg);
	msg.type = BERTH__MSG_CONSOLE;
	if (berth__send_fd(g_sync, &msg, sizeof msg, m) < 0)
		die("terminal: hand the master to the parent");
	close(m);
	if (ioctl(s, TIOCSCTTY, 0) < 0)
		die("terminal: make it the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(s, i) < 0)
			die("terminal: stdio");
	if (s > 2)
		close(s);
}

static void setup_rootfs(const berth__plan *p)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private");
	/* an image container: its layers and its own upper layer, in this mount
	 * namespace only (nothing to clean up on the host) */
	if (p->rootfs_mount_fd >= 0) {
		if (move_mount(p->rootfs_mount_fd, "", AT_FDCWD, p->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die2("mount the image's layers (overlay) on ", p->rootfs);
		close(p->rootfs_mount_fd);
	}
	if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		die2("bind rootfs ", p->rootfs);
	int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die2("open rootfs ", p->rootfs);
	for (size_t i = 0; i < p->n_mounts; i++) {
		do_mount(rootfd, &p->mounts[i]);
		/* devices go in right after /dev is mounted */
		if (!strcmp(p->mounts[i].target, "dev"))
			make_devices(rootfd, p);
	}
	close(rootfd);
	if (chdir(p->rootfs) < 0)
		die2("chdir ", p->rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die2("pivot_root ", p->rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		die("detach the old root");
	if (chdir("/") < 0)
		die("chdir /");
	if (p->terminal)
		setup_console(1);
	for (size_t i = 0; i < p->n_sysctls; i++)
		write_all_or_die(p->sysctls[i].path, p->sysctls[i].value, "sysctl ");
	mask_paths(p);
	readonly_paths(p);
	if (p->rootfs_readonly && remount_bind("/", MS_RDONLY) < 0)
		die("remount the root filesystem read-only");
}

static void loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("loopback: socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("loopback: flags of lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("loopback: bring lo up");
	close(s);
}

static void set_user_and_caps(const berth__plan *p)
{
	/* bounding set first: dropping needs CAP_SETPCAP, which we still have */
	for (int c = 0; c <= p->last_cap; c++)
		if (!(p->caps.bounding & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			die("drop capabilities from the bounding set");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die("keep capabilities across setuid");
	if (p->set_groups && syscall(SYS_setgroups, p->n_gids, p->gids) < 0)
		die("setgroups");
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		die("setgid");
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		die("setuid");
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	data[0].effective = (uint32_t)p->caps.effective;
	data[1].effective = (uint32_t)(p->caps.effective >> 32);
	data[0].permitted = (uint32_t)p->caps.permitted;
	data[1].permitted = (uint32_t)(p->caps.permitted >> 32);
	data[0].inheritable = (uint32_t)p->caps.inheritable;
	data[1].inheritable = (uint32_t)(p->caps.inheritable >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("set capabilities");
	for (int c = 0; c <= p->last_cap; c++)
		if ((p->caps.ambient & (1ull << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			die("raise ambient capabilities");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		die("reset keepcaps");
}

static void load_seccomp(const berth__plan *p)
{
	if (!p->seccomp.filter)
		return;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &p->seccomp) < 0)
		die("load the seccomp filter");
}

__attribute__((noreturn)) static void exec_process(const berth__plan *p)
{
	const char *file = p->argv[0];
	int err = ENOENT;
	if (strchr(file, '/')) {
		execve(file, p->argv, p->envp);
		err = errno;
	} else {
		int eacces = 0;
		for (char **d = p->path_dirs; d && *d; d++) {
			char buf[4096];
			sb s = { buf, 0, sizeof buf };
			sb_add(&s, *d);
			sb_add(&s, "/");
			sb_add(&s, file);
			execve(buf, p->argv, p->envp);
			if (errno == EACCES)
				eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR) {
				err = errno;
				break;
			}
		}
		if (err == ENOENT && eacces)
			err = EACCES;
	}
	int status = err == ENOENT ? 127 : 126;
	/* as Docker words it, on the container's stderr */
	char msg[4400];
	sb s = { msg, 0, sizeof msg };
	sb_add(&s, "berth: exec: \"");
	sb_add(&s, file);
	if (err == ENOENT && !strchr(file, '/'))
		sb_add(&s, "\": executable file not found in $PATH\n");
	else {
		sb_add(&s, "\": ");
		sb_add(&s, strerrordesc_np(err));
		sb_add(&s, "\n");
	}
	if (write(2, msg, s.len) < 0) {
		/* nothing more to do */
	}
	errno = err;
	send_msg(BERTH__MSG_EXEC_ERROR, err, status, "exec ", file, "");
	_exit(status);
}

static void close_all_but(int a, int b, int c)
{
	/* fds 3.. except a, b and c (any may be -1), sorted */
	int keep[3] = { a, b, c };
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	unsigned int lo = 3;
	for (int i = 0; i < 3; i++) {
		if (keep[i] < (int)lo)
			continue;
		if (keep[i] > (int)lo)
			syscall(SYS_close_range, lo, (unsigned int)keep[i] - 1, 0);
		lo = (unsigned int)keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

/* stdio the caller did not give: the container's own /dev/null (in its mount
 * namespace by now), so that no inode of the host is handed in. */
static void null_stdio(const berth__plan *p)
{
	int fd = -1;
	for (int i = 0; i < 3; i++) {
		if (p->stdio[i] != BERTH__STDIO_NULL)
			continue;
		if (fd < 0 && (fd = open("/dev/null", O_RDWR | O_NOCTTY)) < 0)
			die("open /dev/null in the container for stdio");
		if (dup2(fd, i) < 0)
			die("stdio");
	}
	if (fd > 2)
		close(fd);
}

/* The working directory, resolved without magic links: a -w /proc/self/fd/N
 * would otherwise name a directory of the host (CVE-2024-21626). Resolved
 * from the container's root, where ".." stops, nothing else leads out. */
static void enter_cwd(const char *cwd)
{
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_NO_MAGICLINKS;
	int fd;
	do
		fd = (int)syscall(SYS_openat2, AT_FDCWD, cwd ? cwd : "/", &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 || fchdir(fd) < 0)
		die2("chdir to the working directory ", cwd);
	close(fd);
}

void berth__child_main(const berth__plan *p)
{
	g_sync = p->sync_fd;
	/* Seen from inside (a joined or the host's pid namespace): nothing of the
	 * caller (binary, fds, cwd, root, memory) may be reached through
	 * /proc/PID, and nobody may ptrace this process, until it has exec'd the
	 * container's program. A child for a joined pid namespace is non-dumpable
	 * from birth (spawn.c); the first process of a new one is seen by nobody;
	 * a vfork child shares the caller's memory and is always the latter. So
	 * here: a child in the host's pid namespace only. */
	if (!p->vm_shared && p->join_pid_fd < 0 && !(p->clone_flags & CLONE_NEWPID) &&
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("make the process non-dumpable");

	/* The parent blocked every signal around clone; handlers are the host's. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL); /* 32 and 33 belong to libc: EINVAL is fine */

	/* v1 cgroups, no user namespace: join them before anything else runs */
	for (size_t i = 0; i < p->n_cgroup_procs; i++)
		if (write(p->cgroup_procs_fds[i], "0", 1) != 1)
			die("join the container's cgroup");
	if (p->userns || p->gate) {
		/* nothing runs before the parent has written the id maps and put
		 * this process in its cgroups */
		char c;
		ssize_t r;
		do
			r = read(p->sync_fd, &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(1); /* the parent gave up (bad id mapping, cgroup): it reports why */
		if (p->userns && (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0))
			die("become root in the user namespace");
	}
	if (p->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		die("new cgroup namespace");

	/* Join namespaces given by path (user first, mount last). */
	static const int order[] = { BERTH_NS_USER, BERTH_NS_IPC, BERTH_NS_UTS, BERTH_NS_NET, BERTH_NS_CGROUP,
	                             BERTH_NS_TIME, BERTH_NS_MOUNT };
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		int fd = p->ns_join_fds[order[i]];
		if (fd >= 0 && setns(fd, 0) < 0)
			die2("join the namespace of type ", berth_ns_type_name(order[i]));
	}
	if (p->exec_only && p->setns_flags && setns(p->setns_pidfd, p->setns_flags) < 0)
		die("join the container's namespaces");

	if (setsid() < 0)
		die("setsid");
	for (int i = 0; i < 3; i++) {
		if (p->stdio[i] < 0)
			continue;
		if (p->stdio[i] == i) {
			/* clear close-on-exec */
			if (fcntl(i, F_SETFD, 0) < 0)
				die("stdio");
		} else if (dup2(p->stdio[i], i) < 0)
			die("stdio");
	}

	/* From here on the child holds no descriptor of the host but the ones it
	 * needs: a caller waiting for EOF on a pipe is not kept waiting. */
	close_all_but(p->sync_fd, p->exec_fifo_fd, p->rootfs_mount_fd);

	if (p->netns_new)
		loopback_up();
	if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0)
		die2("set hostname ", p->hostname);
	if (p->mountns)
		setup_rootfs(p);
	else if (p->exec_only && p->terminal)
		setup_console(0);
	null_stdio(p);
	if (p->has_oom_score_adj)
		write_all_or_die("/proc/self/oom_score_adj", p->oom_score_adj, "oom_score_adj ");
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (prlimit(0, p->rlimits[i].resource, &p->rlimits[i].lim, NULL) < 0)
			die2("set rlimit ", p->rlimits[i].name);
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	enter_cwd(p->cwd);

	if (!p->no_new_privs)
		load_seccomp(p); /* needs CAP_SYS_ADMIN then: before the capabilities go */
	set_user_and_caps(p);
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("set no_new_privs");

	/* --- die with the creator (lib/runtime/orphans.h) --- armed here, after
	 * setresuid/setresgid, which reset it; a creator already gone has closed
	 * its end of the sync socket */
	if (p->pdeathsig) {
		struct pollfd pf = { .fd = p->sync_fd, .events = POLLRDHUP };
		if (prctl(PR_SET_PDEATHSIG, p->pdeathsig, 0, 0, 0) < 0)
			die("set the parent-death signal");
		if (poll(&pf, 1, 0) != 0)
			_exit(1);
	}
	/* --- */
	send_msg(BERTH__MSG_READY, 0, 0, NULL, NULL, NULL);
	if (p->exec_fifo_fd >= 0) {
		/* the OCI "created" state: wait for start */
		char c;
		ssize_t r;
		do
			r = read(p->exec_fifo_fd, &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(1);
	}
	if (p->no_new_privs)
		load_seccomp(p);
	/* no descriptor of the host survives exec, whatever its flags */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	exec_process(p);
}
