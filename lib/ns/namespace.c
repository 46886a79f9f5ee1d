/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Namespace kinds and standalone helpers. */
#include "internal.h"
#include "ns/ns.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/nsfs.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	int type;
	const char *name;   /* OCI */
	const char *proc;   /* /proc/PID/ns/<proc> */
	unsigned long flag;
} kinds[] = {
	{ BERTH_NS_PID, "pid", "pid", CLONE_NEWPID },
	{ BERTH_NS_NET, "network", "net", CLONE_NEWNET },
	{ BERTH_NS_MOUNT, "mount", "mnt", CLONE_NEWNS },
	{ BERTH_NS_UTS, "uts", "uts", CLONE_NEWUTS },
	{ BERTH_NS_IPC, "ipc", "ipc", CLONE_NEWIPC },
	{ BERTH_NS_USER, "user", "user", CLONE_NEWUSER },
	{ BERTH_NS_CGROUP, "cgroup", "cgroup", CLONE_NEWCGROUP },
	{ BERTH_NS_TIME, "time", "time", CLONE_NEWTIME },
};

BERTH_EXTERN const char *berth_ns_type_name(int type)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kinds); i++)
		if (kinds[i].type == type)
			return kinds[i].name;
	return NULL;
}

const char *berth__ns_proc_name(int type)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kinds); i++)
		if (kinds[i].type == type)
			return kinds[i].proc;
	return NULL;
}

BERTH_EXTERN int berth_ns_type_from_name(int *out, const char *name)
{
	if (!out || !name)
		return berth__err(BERTH_EINVAL, "namespace type: NULL argument");
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kinds); i++)
		if (!strcasecmp(name, kinds[i].name) || !strcasecmp(name, kinds[i].proc)) {
			*out = kinds[i].type;
			return 0;
		}
	return berth__err(BERTH_EINVAL, "unknown namespace type '%s'", name);
}

BERTH_EXTERN unsigned long berth_ns_clone_flag(int type)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kinds); i++)
		if (kinds[i].type == type)
			return kinds[i].flag;
	return 0;
}

int berth__ns_type_of_flag(unsigned long flag)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kinds); i++)
		if (kinds[i].flag == flag)
			return kinds[i].type;
	return 0;
}

BERTH_EXTERN int berth_ns_loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return berth__err_sys(errno, "loopback: socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int r = 0;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = berth__err_sys(errno, "loopback: get flags of lo");
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = berth__err_sys(errno, "loopback: bring lo up");
	}
	close(s);
	return r;
}

BERTH_EXTERN int berth_ns_unshare(unsigned int mask)
{
	unsigned long flags = 0;
	for (int t = BERTH_NS_PID; t <= BERTH_NS_TIME; t++)
		if (mask & BERTH_NS_BIT(t))
			flags |= berth_ns_clone_flag(t);
	if (mask & ~(unsigned)((BERTH_NS_BIT(BERTH_NS_TIME) << 1) - BERTH_NS_BIT(BERTH_NS_PID)))
		return berth__err(BERTH_EINVAL, "unshare: unknown namespace bits in mask 0x%x", mask);
	if (!flags)
		return berth__err(BERTH_EINVAL, "unshare: empty namespace mask");
	if (unshare((int)flags) < 0)
		return berth__err_sys(errno, "unshare namespaces 0x%lx", flags);
	if (mask & BERTH_NS_BIT(BERTH_NS_NET))
		return berth_ns_loopback_up();
	berth__err_ok();
	return 0;
}

/* The type of an nsfs file descriptor (NS_GET_NSTYPE), 0 if unknown. */
static int fd_ns_type(int fd)
{
	int flag = ioctl(fd, NS_GET_NSTYPE);
	if (flag < 0)
		return -1;
	return berth__ns_type_of_flag((unsigned long)flag);
}

BERTH_EXTERN int berth_ns_join(const char *path, int type)
{
	if (!path)
		return berth__err(BERTH_EINVAL, "join namespace: path is NULL");
	if (type && !berth_ns_type_name(type))
		return berth__err(BERTH_EINVAL, "join namespace %s: unknown namespace type %d", path, type);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth__err_sys(errno, "join namespace %s", path);
	int actual = fd_ns_type(fd);
	if (actual <= 0) {
		close(fd);
		return berth__err(BERTH_EINVAL, "join namespace %s: not a namespace file", path);
	}
	if (type && actual != type) {
		close(fd);
		return berth__err(BERTH_EINVAL, "join namespace %s: is a %s namespace, not %s", path,
		                  berth_ns_type_name(actual), berth_ns_type_name(type));
	}
	int r = setns(fd, (int)berth_ns_clone_flag(actual));
	int e = errno;
	close(fd);
	if (r < 0)
		return berth__err_sys(e, "join %s namespace %s", berth_ns_type_name(actual), path);
	berth__err_ok();
	return 0;
}

BERTH_EXTERN int berth_ns_open(int *out, int pid, int type)
{
	const char *pn = berth__ns_proc_name(type);
	if (!out || !pn)
		return berth__err(BERTH_EINVAL, "open namespace: unknown type %d", type);
	char path[64];
	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, pn);
	else
		snprintf(path, sizeof path, "/proc/self/ns/%s", pn);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth__err_sys(errno, "open namespace %s", path);
	*out = fd;
	berth__err_ok();
	return 0;
}
