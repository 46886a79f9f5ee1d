/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The default seccomp profile: the same policy as Docker's default profile
 * (moby profiles/seccomp), kept here as compact tables. It is built as a
 * Docker-format profile (archMap, includes/excludes) and reduced with
 * berth__seccomp_from_profile for the container's bounding set, so the two
 * share one set of semantics.
 *
 * Policy, in short: everything not listed fails with EPERM; a large list of
 * harmless syscalls is allowed; syscalls whose only legitimate use needs a
 * capability are allowed when the container holds that capability; without
 * CAP_SYS_ADMIN, clone may not create namespaces and clone3 (whose flags
 * live in memory, out of seccomp's reach) fails with ENOSYS so that libcs
 * fall back to clone; socket(AF_VSOCK) is refused; personality() is limited
 * to the harmless personas. Names libseccomp does not know are skipped at
 * compile time. */
#include "internal.h"
#include "security/security.h"

#include <errno.h>
#include <linux/sched.h>
#include <sys/socket.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* Allowed for everybody. */
static const char *const allow_always[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
	"capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
	"clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
	"clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
	"copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
	"epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
	"fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	"fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
	"ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
	"futex_wake", "futimesat", "get_robust_list", "get_thread_area", "getcpu", "getcwd",
	"getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
	"getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp",
	"getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
	"getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr", "getxattrat", "inotify_add_watch",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
	"io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit",
	"io_uring_enter", "io_uring_register", "io_uring_setup", "ioctl", "ioprio_get",
	"ioprio_set", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
	"listmount", "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek",
	"lsetxattr", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "lstat",
	"lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret",
	"mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
	"mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
	"mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
	"munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat",
	"openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
	"pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64",
	"preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64",
	"pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
	"recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
	"removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall",
	"rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
	"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
	"sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
	"select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
	"sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
	"set_thread_area", "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
	"setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
	"setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
	"setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32",
	"setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
	"signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice",
	"stat", "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat",
	"sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	"timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
	"ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
	"utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
	"writev",
	NULL,
};

/* Ptrace and friends are safe from kernel 4.8 on (seccomp is rechecked after
 * a tracer changes the syscall). */
static const char *const allow_ptrace_4_8[] = { "process_vm_readv", "process_vm_writev", "ptrace", NULL };

static const char *const names_socket[] = { "socket", NULL };
static const char *const names_personality[] = { "personality", NULL };
static const char *const names_clone[] = { "clone", NULL };
static const char *const names_clone3[] = { "clone3", NULL };

/* Architecture-specific syscalls. */
static const char *const names_ppc64le[] = { "sync_file_range2", "swapcontext", NULL };
static const char *const names_arm[] = { "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
	                                 "breakpoint", "cacheflush", "set_tls", NULL };
static const char *const names_arch_prctl[] = { "arch_prctl", NULL };
static const char *const names_modify_ldt[] = { "modify_ldt", NULL };
static const char *const names_s390[] = { "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr", NULL };
static const char *const names_riscv[] = { "riscv_flush_icache", "riscv_hwprobe", NULL };

static const char *const arches_ppc64le[] = { "ppc64le", NULL };
static const char *const arches_arm[] = { "arm", "arm64", NULL };
static const char *const arches_amd64_x32[] = { "amd64", "x32", NULL };
static const char *const arches_x86_all[] = { "amd64", "x32", "x86", NULL };
static const char *const arches_s390[] = { "s390", "s390x", NULL };
static const char *const arches_riscv[] = { "riscv64", NULL };

/* Gated by a capability. */
static const char *const cap_dac_read_search[] = { "open_by_handle_at", NULL };
static const char *const cap_sys_admin[] = {
	"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
	"lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
	"quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
	"umount2", "unshare", NULL,
};
static const char *const cap_sys_boot[] = { "reboot", NULL };
static const char *const cap_sys_chroot[] = { "chroot", NULL };
static const char *const cap_sys_module[] = { "delete_module", "init_module", "finit_module", NULL };
static const char *const cap_sys_pacct[] = { "acct", NULL };
static const char *const cap_sys_ptrace[] = { "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
	                                      "process_vm_writev", "ptrace", NULL };
static const char *const cap_sys_rawio[] = { "iopl", "ioperm", NULL };
static const char *const cap_sys_time[] = { "settimeofday", "stime", "clock_settime", "clock_settime64", NULL };
static const char *const cap_sys_tty_config[] = { "vhangup", NULL };
static const char *const cap_sys_nice[] = { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node",
	                                    NULL };
static const char *const cap_syslog[] = { "syslog", NULL };
static const char *const cap_bpf[] = { "bpf", NULL };
static const char *const cap_perfmon[] = { "perf_event_open", NULL };

/* Namespace-creating clone flags. */
#define CLONE_NS_FLAGS                                                                                  \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

struct rule {
	const char *const *names;
	const char *action;   /* NULL: SCMP_ACT_ALLOW */
	int errno_ret;        /* 0: none */
	int has_arg;          /* one argument condition: */
	unsigned arg_index;
	uint64_t arg_value;
	const char *arg_op;
	const char *inc_cap;  /* includes.caps (one) */
	const char *const *inc_arches;
	const char *min_kernel;
	const char *exc_cap;  /* excludes.caps (one) */
	const char *const *exc_arches;
};

#define ARG(i, v, op) .has_arg = 1, .arg_index = (i), .arg_value = (v), .arg_op = (op)

static const struct rule rules[] = {
	{ .names = allow_always },
	{ .names = allow_ptrace_4_8, .min_kernel = "4.8" },
	{ .names = names_socket, ARG(0, AF_VSOCK, "SCMP_CMP_NE") },
	/* personality(): PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32,
	 * and 0xffffffff (query). */
	{ .names = names_personality, ARG(0, 0x0, "SCMP_CMP_EQ") },
	{ .names = names_personality, ARG(0, 0x0008, "SCMP_CMP_EQ") },
	{ .names = names_personality, ARG(0, 0x20000, "SCMP_CMP_EQ") },
	{ .names = names_personality, ARG(0, 0x20008, "SCMP_CMP_EQ") },
	{ .names = names_personality, ARG(0, 0xffffffff, "SCMP_CMP_EQ") },
	{ .names = names_ppc64le, .inc_arches = arches_ppc64le },
	{ .names = names_arm, .inc_arches = arches_arm },
	{ .names = names_arch_prctl, .inc_arches = arches_amd64_x32 },
	{ .names = names_modify_ldt, .inc_arches = arches_x86_all },
	{ .names = names_s390, .inc_arches = arches_s390 },
	{ .names = names_riscv, .inc_arches = arches_riscv },
	{ .names = cap_dac_read_search, .inc_cap = "CAP_DAC_READ_SEARCH" },
	{ .names = cap_sys_admin, .inc_cap = "CAP_SYS_ADMIN" },
	/* Without CAP_SYS_ADMIN: clone only when (flags & CLONE_NS_FLAGS) == 0
	 * (flags are the first argument, the second on s390). */
	{ .names = names_clone, ARG(0, CLONE_NS_FLAGS, "SCMP_CMP_MASKED_EQ"), .exc_cap = "CAP_SYS_ADMIN",
	  .exc_arches = arches_s390 },
	{ .names = names_clone, ARG(1, CLONE_NS_FLAGS, "SCMP_CMP_MASKED_EQ"), .inc_arches = arches_s390,
	  .exc_cap = "CAP_SYS_ADMIN" },
	{ .names = names_clone3, .action = "SCMP_ACT_ERRNO", .errno_ret = ENOSYS, .exc_cap = "CAP_SYS_ADMIN" },
	{ .names = cap_sys_boot, .inc_cap = "CAP_SYS_BOOT" },
	{ .names = cap_sys_chroot, .inc_cap = "CAP_SYS_CHROOT" },
	{ .names = cap_sys_module, .inc_cap = "CAP_SYS_MODULE" },
	{ .names = cap_sys_pacct, .inc_cap = "CAP_SYS_PACCT" },
	{ .names = cap_sys_ptrace, .inc_cap = "CAP_SYS_PTRACE" },
	{ .names = cap_sys_rawio, .inc_cap = "CAP_SYS_RAWIO" },
	{ .names = cap_sys_time, .inc_cap = "CAP_SYS_TIME" },
	{ .names = cap_sys_tty_config, .inc_cap = "CAP_SYS_TTY_CONFIG" },
	{ .names = cap_sys_nice, .inc_cap = "CAP_SYS_NICE" },
	{ .names = cap_syslog, .inc_cap = "CAP_SYSLOG" },
	{ .names = cap_bpf, .inc_cap = "CAP_BPF" },
	{ .names = cap_perfmon, .inc_cap = "CAP_PERFMON" },
};

/* archMap: a native architecture and the ones its kernel also runs. */
static const struct {
	const char *arch;
	const char *subs[3];
} arch_map[] = {
	{ "SCMP_ARCH_X86_64", { "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL } },
	{ "SCMP_ARCH_AARCH64", { "SCMP_ARCH_ARM", NULL } },
	{ "SCMP_ARCH_MIPS64", { "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32", NULL } },
	{ "SCMP_ARCH_MIPS64N32", { "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", NULL } },
	{ "SCMP_ARCH_MIPSEL64", { "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32", NULL } },
	{ "SCMP_ARCH_MIPSEL64N32", { "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", NULL } },
	{ "SCMP_ARCH_S390X", { "SCMP_ARCH_S390", NULL } },
	{ "SCMP_ARCH_RISCV64", { NULL } },
};

/* --- building the JSON --- */

/* Attach v (which may be NULL after a failed allocation) to an array or an
 * object; false on failure. Either way v is owned by the container or freed,
 * so a failed build only needs to free its root. */
static bool push(json_t *arr, json_t *v) { return v && json_array_append_new(arr, v) == 0; }
static bool put(json_t *obj, const char *key, json_t *v) { return v && json_object_set_new(obj, key, v) == 0; }

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (; *v; v++)
		if (!push(a, json_string(*v))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *filter_json(const char *cap, const char *const *arches, const char *min_kernel)
{
	json_t *f = json_object();
	if (!f)
		return NULL;
	if (cap) {
		json_t *c = json_array();
		if (!put(f, "caps", c) || !push(c, json_string(cap)))
			goto fail;
	}
	if (arches && !put(f, "arches", strv_json(arches)))
		goto fail;
	if (min_kernel && !put(f, "minKernel", json_string(min_kernel)))
		goto fail;
	return f;
fail:
	json_decref(f);
	return NULL;
}

static json_t *rule_json(const struct rule *r)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (!put(o, "names", strv_json(r->names)) ||
	    !put(o, "action", json_string(r->action ? r->action : "SCMP_ACT_ALLOW")))
		goto fail;
	if (r->errno_ret && !put(o, "errnoRet", json_integer(r->errno_ret)))
		goto fail;
	if (r->has_arg) {
		json_t *args = json_array();
		if (!put(o, "args", args))
			goto fail;
		json_t *a = json_object();
		if (!push(args, a))
			goto fail;
		if (!put(a, "index", json_integer(r->arg_index)) ||
		    !put(a, "value", json_integer((json_int_t)r->arg_value)) ||
		    !put(a, "valueTwo", json_integer(0)) || !put(a, "op", json_string(r->arg_op)))
			goto fail;
	}
	if ((r->inc_cap || r->inc_arches || r->min_kernel) &&
	    !put(o, "includes", filter_json(r->inc_cap, r->inc_arches, r->min_kernel)))
		goto fail;
	if ((r->exc_cap || r->exc_arches) && !put(o, "excludes", filter_json(r->exc_cap, r->exc_arches, NULL)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Docker's default profile, in Docker's format. */
static json_t *default_profile(void)
{
	json_t *p = json_object();
	if (!p)
		return NULL;
	if (!put(p, "defaultAction", json_string("SCMP_ACT_ERRNO")) ||
	    !put(p, "defaultErrnoRet", json_integer(EPERM)))
		goto fail;
	json_t *map = json_array();
	if (!put(p, "archMap", map))
		goto fail;
	json_t *calls = json_array();
	if (!put(p, "syscalls", calls))
		goto fail;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(arch_map); i++) {
		json_t *e = json_object();
		if (!push(map, e) || !put(e, "architecture", json_string(arch_map[i].arch)))
			goto fail;
		json_t *subs = json_array();
		if (!put(e, "subArchitectures", subs))
			goto fail;
		for (size_t k = 0; arch_map[i].subs[k]; k++)
			if (!push(subs, json_string(arch_map[i].subs[k])))
				goto fail;
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(rules); i++)
		if (!push(calls, rule_json(&rules[i])))
			goto fail;
	return p;
fail:
	json_decref(p);
	return NULL;
}

json_t *berth__seccomp_default(uint64_t caps)
{
	json_t *profile = default_profile();
	if (!profile) {
		berth__err_nomem();
		return NULL;
	}
	json_t *out = NULL;
	int r = berth__seccomp_from_profile(&out, profile, caps);
	json_decref(profile);
	if (r < 0) {
		berth__err_prefix("default seccomp profile");
		return NULL;
	}
	return out;
}
