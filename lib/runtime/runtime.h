/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The container runtime's internals: the plan the parent prepares before
 * clone, and the raw-syscall child that carries it out. */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include "internal.h"
#include "security/security.h"
#include "spec/config.h"
#include <sys/resource.h>

/* One mount, fully resolved in the parent. */
typedef struct berth__mount {
	const char *source;      /* host path (bind) or fs source */
	const char *target;      /* path inside the rootfs, relative ("proc", "dev/pts") */
	const char *fstype;      /* NULL for bind */
	const char *data;        /* fs options not understood as flags, or NULL */
	unsigned long flags;     /* MS_* for the mount call */
	unsigned long propagation; /* MS_PRIVATE/... applied afterwards, 0 none */
	int bind;                /* 1 bind, 2 recursive bind */
	int remount_flags;       /* bind: remount needed with these flags (MS_RDONLY...) */
	int file;                /* target must be a file (bind of a non-directory) */
	int is_cgroup_v1;        /* source is the controller list; optional (skip on error) */
	int skip;                /* a cgroup hierarchy the container is not in: not mounted (it would
	                            show the host's tree from its root) */
} berth__mount;

typedef struct berth__device {
	const char *name;        /* relative to the rootfs: "dev/null" */
	const char *host;        /* host path to bind when mknod is not possible */
	unsigned int mode;       /* S_IFCHR | 0666 */
	unsigned int major, minor;
	unsigned int uid, gid;
} berth__device;

typedef struct berth__sysctl { const char *path; const char *value; } berth__sysctl;
typedef struct berth__rlimit { int resource; struct rlimit lim; const char *name; } berth__rlimit;

/* The child's message to the parent on its sync socket. */
typedef struct berth__child_msg {
	int type;                /* BERTH__MSG_* */
	int err;                 /* errno */
	int status;              /* exit status the child will use */
	char what[512];          /* what failed, naming the object */
} berth__child_msg;
enum { BERTH__MSG_READY = 1, BERTH__MSG_ERROR = 2, BERTH__MSG_EXEC_ERROR = 3, BERTH__MSG_CONSOLE = 4,
       BERTH__MSG_PID = 5 /* int[2] { type, pid } + the child's pidfd, from the intermediate */ };

typedef struct berth__plan {
	void *arena;                      /* every allocation of the plan, freed by berth__plan_free */
	const char *seccomp_cache;        /* where compiled filters are cached (set by the caller), or NULL */
	/* process tree and namespaces */
	unsigned long clone_flags;        /* CLONE_NEW* created at clone */
	int ns_join_fds[9];               /* indexed by berth_ns_type; -1 = none (pid handled by the parent) */
	int join_pid_fd;                  /* pid namespace to clone into, -1 */
	int userns;                       /* new user namespace: wait for the maps */
	int netns_new;                    /* bring loopback up */
	int mountns;                      /* set up the root filesystem */
	int exec_only;                    /* an exec into a running container: join, no setup */
	int setns_pidfd;                  /* exec: pidfd of the init; setns flags below */
	int cgroup_fd;                    /* unified cgroup dir for CLONE_INTO_CGROUP, -1 none */
	int gate;                         /* the child waits for the parent's go (id maps, v1 cgroup attach, veth) */
	int cgroup_procs_fds[16];         /* v1 without a user namespace: each hierarchy's cgroup.procs; the
	                                     child writes "0" to join them itself, first thing */
	size_t n_cgroup_procs;
	int unshare_cgroupns;             /* new cgroup namespace after the gate (v1: once in the cgroups) */
	int setns_flags;

	/* root filesystem */
	const char *rootfs;               /* absolute host path */
	int rootfs_mount_fd;              /* image containers: a detached overlay mount (fsmount) the child
	                                     moves onto rootfs first, or -1 (image_rootfs.c) */
	int rootfs_readonly;
	berth__mount *mounts;
	size_t n_mounts;
	berth__device *devices;
	size_t n_devices;
	int devices_bind;                 /* bind-mount devices from the host (user namespace) */
	const char *const *masked;
	size_t n_masked;
	const char *const *readonly;
	size_t n_readonly;
	const char *hostname;
	berth__sysctl *sysctls;
	size_t n_sysctls;

	/* process */
	berth__rlimit *rlimits;
	size_t n_rlimits;
	int has_oom_score_adj;
	char oom_score_adj[16];
	uint32_t uid, gid;
	gid_t *gids;
	size_t n_gids;
	int set_groups;                   /* call setgroups (not allowed in a userns with setgroups deny) */
	int umask;                        /* -1: leave */
	int pdeathsig;                    /* 0, or the signal the init gets when the thread that cloned it
	                                     dies (PR_SET_PDEATHSIG, armed after the credential changes) */
	berth__capsets caps;
	int last_cap;
	int no_new_privs;
	struct sock_fprog seccomp;        /* filter NULL: none */
	unsigned int seccomp_flags;       /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
	const char *cwd;
	char **argv;
	char **envp;
	char **path_dirs;                 /* $PATH of the container, split */

	/* fds */
	int stdio[3];                     /* dup2'd to 0,1,2; -1 left as is; BERTH__STDIO_NULL: the
	                                     container's own /dev/null, opened inside (a host inode handed
	                                     to the container could be chmod'ed through /proc/self/fd) */
	int terminal;                     /* the child opens a pty in the container's devpts, sends the
	                                     master to the parent and makes the slave its stdio */
	int sync_fd;                      /* child end of the sync socket */
	int exec_fifo_fd;                 /* created state: block reading it until start; -1 exec at once */
	int vm_shared;                    /* set by berth__spawn: the child shares the caller's memory (vfork) */
} berth__plan;

#define BERTH__STDIO_NULL (-2)

/* Builds a plan from a typed config. What the plan computes is allocated in
 * its arena (freed by berth__plan_free); strings of the config are borrowed:
 * the config outlives the plan. An exec plans only a process. */
BERTH_HIDDEN int berth__plan_init(berth__plan *p);
BERTH_HIDDEN int berth__plan_from_config(berth__plan *p, const berth__config *cfg, const char *rootfs_abs);
BERTH_HIDDEN int berth__plan_process(berth__plan *p, const berth__cfg_process *proc);
BERTH_HIDDEN int berth__plan_seccomp(berth__plan *p, const json_t *seccomp);
BERTH_HIDDEN void berth__plan_free(berth__plan *p);

/* The child's entry: never returns. */
BERTH_HIDDEN void berth__child_main(const berth__plan *p) __attribute__((noreturn));

/* Clones the child for a plan: returns its pid and pidfd. The parent end of
 * the sync socket is *sync_parent. */
BERTH_HIDDEN int berth__spawn(pid_t *out_pid, int *out_pidfd, int *sync_parent, berth__plan *p,
                              const char *what);
/* Reads the child's first message (READY or ERROR); on ERROR reaps it and
 * sets the error. */
BERTH_HIDDEN int berth__spawn_wait_ready(int sync_parent, pid_t pid, int pidfd, const char *what);
/* With a terminal: receives the pty master the child sends first. */
BERTH_HIDDEN int berth__spawn_recv_console(int *out_master, int sync_parent, pid_t pid, int pidfd, const char *what);

#endif
