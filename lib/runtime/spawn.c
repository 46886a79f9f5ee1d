/* SPDX-License-Identifier: LGPL-2.1-or-later
 * clone3() of the child for a plan, and the parent's side of the handshake. */
#include "runtime/runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* The vfork child never returns from its frames (it execs), so AddressSanitizer
 * would find their redzones still poisoned when a later child's stack lands
 * at the same address. */
#define STACK_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define STACK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static int child_entry(void *arg)
{
	berth__child_main(arg); /* never returns */
}

/* A child for an existing pid namespace (exec, or a pid namespace joined by
 * path) is visible there from its first instruction, to processes that are
 * not trusted. So it is not cloned there directly: an intermediate child,
 * still in the caller's pid namespace, makes itself non-dumpable (its
 * /proc/PID/exe, fd, cwd, root, mem and ptrace then need CAP_SYS_PTRACE in
 * the caller's user namespace), joins the pid namespace for its children and
 * clones the real child as a sibling of itself (CLONE_PARENT: the caller is
 * its parent and reaps it). The real child inherits the non-dumpable memory
 * and stays so until it execs the container's program. The intermediate
 * sends the child's pidfd and exits; here we reap it. Returns the child's pid
 * (in our pid namespace) or -1 with errno. */
static __attribute__((noinline)) int intermediate(const berth__plan *p, struct clone_args *args, int sync_child)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setns(p->join_pid_fd, CLONE_NEWPID) < 0)
		return errno & 0xff;
	int fd = -1;
	args->flags |= CLONE_PARENT;
	args->exit_signal = 0; /* CLONE_PARENT: the child gets our own exit signal (SIGCHLD), for our parent */
	args->pidfd = (uint64_t)(uintptr_t)&fd;
	long pid = syscall(SYS_clone3, args, sizeof *args);
	if (pid == 0)
		berth__child_main(p); /* never returns */
	if (pid < 0)
		return errno & 0xff;
	/* the child's pid as we see it, and its pidfd */
	int msg[2] = { BERTH__MSG_PID, (int)pid };
	if (berth__send_fd(sync_child, msg, sizeof msg, fd) < 0) {
		int e = errno;
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		return e & 0xff;
	}
	return 0;
}

static long spawn_into_pidns(int *out_pidfd, struct clone_args *args, const berth__plan *p, int sync_parent)
{
	struct clone_args a;
	int mid_fd = -1;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)&mid_fd;
	a.exit_signal = SIGCHLD;
	long mid = syscall(SYS_clone3, &a, sizeof a);
	if (mid == 0)
		_exit(intermediate(p, args, p->sync_fd));
	if (mid < 0)
		return -1;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	while (waitid(P_PIDFD, (id_t)mid_fd, &si, WEXITED) < 0 && errno == EINTR)
		;
	close(mid_fd);
	if (si.si_code != CLD_EXITED || si.si_status != 0) {
		errno = si.si_code == CLD_EXITED ? si.si_status : ECHILD;
		return -1;
	}
	int msg[2] = { 0, 0 }, fd = -1;
	ssize_t r = berth__recv_fd(sync_parent, msg, sizeof msg, &fd);
	if (r != (ssize_t)sizeof msg || msg[0] != BERTH__MSG_PID || fd < 0) {
		if (fd >= 0)
			close(fd);
		errno = EPROTO;
		return -1;
	}
	*out_pidfd = fd;
	return msg[1];
}

int berth__spawn(pid_t *out_pid, int *out_pidfd, int *sync_parent, berth__plan *p, const char *what)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth__err_sys(errno, "%s: socketpair", what);
	p->sync_fd = sv[1];

	/* No signal handler of the host may run in the child before it resets them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);

	int pidfd = -1;
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.flags = p->clone_flags | CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	if (p->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)p->cgroup_fd;
	}
	long pid;
	int e;
	void *stack = MAP_FAILED;
	size_t stack_size = 256 * 1024;
	/* No gate, no created state, no terminal, no user namespace, no cgroup to
	 * clone into, and the first process of a new pid namespace (nobody else
	 * can see it): the child needs nothing from the parent until it execs,
	 * so it can share the parent's memory while the parent waits (vfork, as
	 * posix_spawn does): no page tables copied, no copy-on-write faults. The
	 * child makes only system calls and writes only its own stack (and its
	 * parent thread's errno and thread-local sync fd: that thread is
	 * suspended until the exec or exit). */
	int share = !p->gate && !p->userns && p->exec_fifo_fd < 0 && !p->terminal && p->cgroup_fd < 0 &&
	            p->join_pid_fd < 0 && !p->exec_only && (p->clone_flags & CLONE_NEWPID) &&
	            (p->clone_flags & ~0x7fffffffUL) == 0;
	p->vm_shared = share;
	if (share)
		stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack != MAP_FAILED) {
		STACK_UNPOISON(stack, stack_size);
		pid = clone(child_entry, (char *)stack + stack_size,
		            (int)(p->clone_flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD) | SIGCHLD, p, &pidfd);
		e = errno;
		STACK_UNPOISON(stack, stack_size);
		munmap(stack, stack_size);
	} else if (p->join_pid_fd >= 0) {
		p->vm_shared = 0;
		pid = spawn_into_pidns(&pidfd, &args, p, sv[0]);
		e = errno;
	} else {
		p->vm_shared = 0;
		pid = syscall(SYS_clone3, &args, sizeof args);
		if (pid == 0)
			berth__child_main(p); /* never returns */
		e = errno;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	p->sync_fd = -1;
	if (pid < 0) {
		close(sv[0]);
		return berth__err_sys(e, "%s: clone", what);
	}
	*out_pid = (pid_t)pid;
	*out_pidfd = pidfd;
	*sync_parent = sv[0];
	return 0;
}

static int child_failed(int sync_parent, const berth__child_msg *mp, ssize_t r, pid_t pid, int pidfd, const char *what);

int berth__spawn_recv_console(int *out_master, int sync_parent, pid_t pid, int pidfd, const char *what)
{
	berth__child_msg m;
	int fd;
	ssize_t r = berth__recv_fd(sync_parent, &m, sizeof m, &fd);
	if (r == (ssize_t)sizeof m && m.type == BERTH__MSG_CONSOLE && fd >= 0) {
		*out_master = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	return child_failed(sync_parent, &m, r, pid, pidfd, what);
}

int berth__spawn_wait_ready(int sync_parent, pid_t pid, int pidfd, const char *what)
{
	berth__child_msg m;
	ssize_t r;
	do
		r = recv(sync_parent, &m, sizeof m, 0);
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof m && m.type == BERTH__MSG_READY)
		return 0;
	return child_failed(sync_parent, &m, r, pid, pidfd, what);
}

static int child_failed(int sync_parent, const berth__child_msg *mp, ssize_t r, pid_t pid, int pidfd, const char *what)
{
	berth__child_msg m = *mp;
	(void)sync_parent;
	/* the child failed: reap it and report what it said */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	(void)pid;
	if (r == (ssize_t)sizeof m && (m.type == BERTH__MSG_ERROR || m.type == BERTH__MSG_EXEC_ERROR)) {
		m.what[sizeof m.what - 1] = '\0';
		int code = berth__err_sys(m.err, "%s: %s", what, m.what);
		if (m.err == ENOENT && m.type == BERTH__MSG_ERROR)
			return code;
		return code;
	}
	if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
		return berth__err(BERTH_ESYS, "%s: the container's init was killed by signal %d during setup", what,
		                  si.si_status);
	return berth__err(BERTH_ESYS, "%s: the container's init exited with status %d during setup", what,
	                  si.si_status);
}
