/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Capabilities and seccomp: name parsing, OCI process.capabilities, the
 * default seccomp profile (built, validated, compiled and loaded into a
 * real process), Docker profile conversion and bad input. */
#include "internal.h"
#include "security/security.h"
#include "testutil.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define CAP(n) (UINT64_C(1) << (n))

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	ck_assert_msg(j != NULL, "test JSON: %s (line %d)", je.text, je.line);
	return j;
}

static const char *msg(void) { return berth_error_last()->message; }

#define assert_err(expr, code, needle)                                                            \
	do {                                                                                          \
		int _r = (expr);                                                                      \
		ck_assert_msg(_r == (code), "%s returned %d, expected %d (%s)", #expr, _r, (code), msg()); \
		ck_assert_msg(strstr(msg(), (needle)) != NULL, "error '%s' does not mention '%s'", msg(), \
		              (needle));                                                              \
	} while (0)

static uint64_t default_caps_mask(void)
{
	uint64_t m = 0;
	for (size_t i = 0; berth__default_caps[i]; i++) {
		int c;
		tu_ok(berth__cap_from_name(&c, berth__default_caps[i]));
		m |= CAP(c);
	}
	return m;
}

static uint64_t all_caps_mask(void)
{
	int last = berth__cap_last();
	return last >= 63 ? ~UINT64_C(0) : (CAP(last + 1) - 1);
}

/* --- capabilities --- */

START_TEST(cap_names)
{
	static const struct {
		const char *name;
		int cap;
	} ok[] = {
		{ "CAP_CHOWN", 0 },        { "chown", 0 },          { "Chown", 0 },
		{ "cap_chown", 0 },        { "Cap_Chown", 0 },      { "CAP_SYS_ADMIN", 21 },
		{ "sys_admin", 21 },       { "SYS_ADMIN", 21 },     { "cap_net_bind_service", 10 },
		{ "CAP_AUDIT_WRITE", 29 }, { "CAP_SETFCAP", 31 },   { "CAP_BPF", 39 },
		{ "perfmon", 38 },         { "CAP_CHECKPOINT_RESTORE", 40 },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(ok); i++) {
		int c = -1;
		tu_ok(berth__cap_from_name(&c, ok[i].name));
		ck_assert_msg(c == ok[i].cap, "%s -> %d, expected %d", ok[i].name, c, ok[i].cap);
	}

	static const char *const bad[] = { "CAP_FOO", "foo", "", "CAP_", "12", "CAP_12", "CAP CHOWN", "CAP_CHOWN ",
		                           "CAP_CHOWN\n", "cap_chownx", "CAP-CHOWN" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		int c = 12345;
		int r = berth__cap_from_name(&c, bad[i]);
		ck_assert_msg(r == BERTH_EINVAL, "'%s' accepted as %d", bad[i], c);
		ck_assert_int_eq(c, 12345); /* untouched on failure */
		ck_assert_msg(strstr(msg(), "unknown capability") != NULL, "message: %s", msg());
	}
	int c;
	assert_err(berth__cap_from_name(&c, "CAP_FOO"), BERTH_EINVAL, "'CAP_FOO'");
	ck_assert_int_eq(berth__cap_from_name(&c, NULL), BERTH_EINVAL);

	char n[64];
	tu_ok(berth__cap_name(n, sizeof n, 0));
	ck_assert_str_eq(n, "CAP_CHOWN");
	tu_ok(berth__cap_name(n, sizeof n, 21));
	ck_assert_str_eq(n, "CAP_SYS_ADMIN");
	tu_ok(berth__cap_name(n, sizeof n, 40));
	ck_assert_str_eq(n, "CAP_CHECKPOINT_RESTORE");
	ck_assert_int_eq(berth__cap_name(n, sizeof n, -1), -1);
	ck_assert_int_eq(berth__cap_name(n, sizeof n, 63), -1); /* libcap has no name: its number */
	ck_assert_int_eq(berth__cap_name(n, sizeof n, 64), -1);
	ck_assert_int_eq(berth__cap_name(n, sizeof n, 1000), -1);
	ck_assert_int_eq(berth__cap_name(n, 9, 0), -1); /* "CAP_CHOWN" needs 10 bytes */

	/* Every name round-trips, in both spellings. */
	for (int i = 0; i <= 40; i++) {
		tu_ok(berth__cap_name(n, sizeof n, i));
		tu_ok(berth__cap_from_name(&c, n));
		ck_assert_int_eq(c, i);
		tu_ok(berth__cap_from_name(&c, n + 4));
		ck_assert_int_eq(c, i);
	}
}
END_TEST

START_TEST(cap_last)
{
	int last = berth__cap_last();
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	if (f) {
		int k = -1;
		ck_assert_int_eq(fscanf(f, "%d", &k), 1);
		fclose(f);
		ck_assert_int_eq(last, k);
	}
	ck_assert_int_ge(last, 36);
	ck_assert_int_lt(last, 64);
	ck_assert_int_eq(berth__cap_last(), last); /* cached */
}
END_TEST

START_TEST(default_caps)
{
	size_t n = 0;
	uint64_t m = 0;
	for (; berth__default_caps[n]; n++) {
		int c;
		ck_assert_msg(strncmp(berth__default_caps[n], "CAP_", 4) == 0, "%s", berth__default_caps[n]);
		tu_ok(berth__cap_from_name(&c, berth__default_caps[n]));
		ck_assert_msg(!(m & CAP(c)), "%s listed twice", berth__default_caps[n]);
		m |= CAP(c);
	}
	ck_assert_int_eq(n, 14);
	ck_assert(m & CAP(0));   /* CHOWN */
	ck_assert(m & CAP(29));  /* AUDIT_WRITE */
	ck_assert(!(m & CAP(21))); /* not SYS_ADMIN */
	ck_assert(!(m & CAP(12))); /* not NET_ADMIN */
}
END_TEST

START_TEST(caps_json_ok)
{
	json_t *j = parse("{\"bounding\": [\"CAP_CHOWN\", \"kill\", \"Cap_Net_Raw\"],"
	                  " \"effective\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\", \"CAP_CHOWN\"],"
	                  " \"ambient\": [], \"inheritable\": null, \"unknownKey\": 1}");
	berth__capsets s;
	memset(&s, 0xff, sizeof s);
	tu_ok(berth__caps_from_json(&s, j));
	ck_assert_uint_eq(s.bounding, CAP(0) | CAP(5) | CAP(13));
	ck_assert_uint_eq(s.effective, CAP(5));
	ck_assert_uint_eq(s.permitted, CAP(0) | CAP(5));
	ck_assert_uint_eq(s.inheritable, 0);
	ck_assert_uint_eq(s.ambient, 0);
	json_decref(j);

	memset(&s, 0xff, sizeof s);
	tu_ok(berth__caps_from_json(&s, NULL));
	ck_assert_uint_eq(s.bounding | s.effective | s.permitted | s.inheritable | s.ambient, 0);

	/* Round trip through caps_to_json. */
	uint64_t m = default_caps_mask();
	json_t *arr = berth__caps_to_json(m);
	ck_assert_ptr_nonnull(arr);
	ck_assert_int_eq(json_array_size(arr), 14);
	ck_assert_str_eq(json_string_value(json_array_get(arr, 0)), "CAP_CHOWN");
	json_t *obj = json_pack("{s:O, s:O}", "bounding", arr, "ambient", arr);
	tu_ok(berth__caps_from_json(&s, obj));
	ck_assert_uint_eq(s.bounding, m);
	ck_assert_uint_eq(s.ambient, m);
	ck_assert_uint_eq(s.effective, 0);
	json_decref(obj);
	json_decref(arr);

	arr = berth__caps_to_json(0);
	ck_assert_int_eq(json_array_size(arr), 0);
	json_decref(arr);
	arr = berth__caps_to_json(all_caps_mask());
	ck_assert_int_eq(json_array_size(arr), berth__cap_last() + 1);
	json_decref(arr);
}
END_TEST

START_TEST(caps_json_bad)
{
	static const struct {
		const char *json, *needle;
	} cases[] = {
		{ "[\"CAP_CHOWN\"]", "process.capabilities: expected an object" },
		{ "\"CAP_CHOWN\"", "process.capabilities: expected an object" },
		{ "{\"bounding\": \"CAP_CHOWN\"}", "process.capabilities.bounding: expected an array" },
		{ "{\"effective\": {}}", "process.capabilities.effective: expected an array" },
		{ "{\"permitted\": [\"CAP_CHOWN\", \"CAP_FOO\"]}",
		  "process.capabilities.permitted[1]: unknown capability 'CAP_FOO'" },
		{ "{\"bounding\": [\"CAP_CHOWN\"], \"ambient\": [\"CAP_KILL\", 5]}",
		  "process.capabilities.ambient[1]: expected a string" },
		{ "{\"inheritable\": [null]}", "process.capabilities.inheritable[0]: expected a string" },
		{ "{\"bounding\": [\"\"]}", "process.capabilities.bounding[0]: unknown capability" },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		ck_assert_ptr_nonnull(j);
		berth__capsets s;
		memset(&s, 0x5a, sizeof s);
		berth__capsets before = s;
		assert_err(berth__caps_from_json(&s, j), BERTH_EINVAL, cases[i].needle);
		ck_assert_msg(memcmp(&s, &before, sizeof s) == 0, "output modified on failure");
		json_decref(j);
	}
}
END_TEST

/* --- seccomp: helpers --- */

/* The syscalls[] entries whose names contain name. */
static size_t rules_for(const json_t *sc, const char *name)
{
	size_t n = 0, i, k;
	const json_t *c, *v;
	json_array_foreach(json_object_get(sc, "syscalls"), i, c) {
		json_array_foreach(json_object_get(c, "names"), k, v) {
			if (strcmp(json_string_value(v), name) == 0)
				n++;
		}
	}
	return n;
}

static const json_t *first_rule(const json_t *sc, const char *name)
{
	size_t i, k;
	const json_t *c, *v;
	json_array_foreach(json_object_get(sc, "syscalls"), i, c) {
		json_array_foreach(json_object_get(c, "names"), k, v) {
			if (strcmp(json_string_value(v), name) == 0)
				return c;
		}
	}
	return NULL;
}

static void compile_ok(const json_t *sc, struct sock_fprog *prog)
{
	memset(prog, 0, sizeof *prog);
	tu_ok(berth__seccomp_compile(prog, sc));
	ck_assert_ptr_nonnull(prog->filter);
	ck_assert_uint_gt(prog->len, 0);
	ck_assert_uint_le(prog->len, 4096);
}

/* --- seccomp: the default profile --- */

START_TEST(seccomp_default_profile)
{
	uint64_t def = default_caps_mask();
	json_t *sc = berth__seccomp_default(def);
	ck_assert_msg(sc != NULL, "%s", msg());
	tu_ok(berth__seccomp_validate(sc));

	ck_assert_str_eq(json_string_value(json_object_get(sc, "defaultAction")), "SCMP_ACT_ERRNO");
	ck_assert_int_eq(json_integer_value(json_object_get(sc, "defaultErrnoRet")), 1);
	ck_assert_ptr_null(json_object_get(sc, "archMap"));
	const json_t *archs = json_object_get(sc, "architectures");
#if defined(__x86_64__)
	ck_assert_int_eq(json_array_size(archs), 3);
	ck_assert_str_eq(json_string_value(json_array_get(archs, 0)), "SCMP_ARCH_X86_64");
	ck_assert_str_eq(json_string_value(json_array_get(archs, 1)), "SCMP_ARCH_X86");
	ck_assert_str_eq(json_string_value(json_array_get(archs, 2)), "SCMP_ARCH_X32");
	ck_assert_int_eq(rules_for(sc, "arch_prctl"), 1);
	ck_assert_int_eq(rules_for(sc, "modify_ldt"), 1);
	ck_assert_int_eq(rules_for(sc, "set_tls"), 0);
#elif defined(__aarch64__)
	ck_assert_int_eq(json_array_size(archs), 2);
	ck_assert_int_eq(rules_for(sc, "set_tls"), 1);
#endif
	ck_assert_int_eq(rules_for(sc, "s390_runtime_instr"), 0);
	ck_assert_int_eq(rules_for(sc, "swapcontext"), 0);

	/* No Docker-only keys survive. */
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(sc, "syscalls"), i, c) {
		ck_assert_ptr_null(json_object_get(c, "includes"));
		ck_assert_ptr_null(json_object_get(c, "excludes"));
		ck_assert_ptr_null(json_object_get(c, "comment"));
	}

	/* Always there. */
	ck_assert_int_eq(rules_for(sc, "read"), 1);
	ck_assert_int_eq(rules_for(sc, "getpid"), 1);
	ck_assert_int_eq(rules_for(sc, "execve"), 1);
	ck_assert_int_eq(rules_for(sc, "ptrace"), 1); /* minKernel 4.8 rule */
	ck_assert_int_eq(rules_for(sc, "personality"), 5);
	ck_assert_int_eq(rules_for(sc, "chroot"), 1); /* CAP_SYS_CHROOT is a default cap */
	/* Never: no capability grants them. */
	ck_assert_int_eq(rules_for(sc, "kexec_load"), 0);
	ck_assert_int_eq(rules_for(sc, "keyctl"), 0);
	ck_assert_int_eq(rules_for(sc, "add_key"), 0);
	ck_assert_int_eq(rules_for(sc, "userfaultfd"), 0);
	/* Capability-gated, not granted by the defaults. */
	ck_assert_int_eq(rules_for(sc, "mount"), 0);
	ck_assert_int_eq(rules_for(sc, "unshare"), 0);
	ck_assert_int_eq(rules_for(sc, "setns"), 0);
	ck_assert_int_eq(rules_for(sc, "reboot"), 0);
	ck_assert_int_eq(rules_for(sc, "acct"), 0);
	ck_assert_int_eq(rules_for(sc, "bpf"), 0);
	ck_assert_int_eq(rules_for(sc, "open_by_handle_at"), 0);
	ck_assert_int_eq(rules_for(sc, "init_module"), 0);
	ck_assert_int_eq(rules_for(sc, "settimeofday"), 0);
	ck_assert_int_eq(rules_for(sc, "kcmp"), 0);

	/* clone filtered on namespace flags, clone3 -> ENOSYS. */
	ck_assert_int_eq(rules_for(sc, "clone"), 1);
	const json_t *clone = first_rule(sc, "clone");
	const json_t *arg = json_array_get(json_object_get(clone, "args"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(arg, "op")), "SCMP_CMP_MASKED_EQ");
	ck_assert_int_eq(json_integer_value(json_object_get(arg, "index")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(arg, "value")),
	                 CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
	                     CLONE_NEWCGROUP);
	ck_assert_int_eq(json_integer_value(json_object_get(arg, "value")), 2114060288);
	ck_assert_int_eq(json_integer_value(json_object_get(arg, "valueTwo")), 0);
	const json_t *clone3 = first_rule(sc, "clone3");
	ck_assert_ptr_nonnull(clone3);
	ck_assert_str_eq(json_string_value(json_object_get(clone3, "action")), "SCMP_ACT_ERRNO");
	ck_assert_int_eq(json_integer_value(json_object_get(clone3, "errnoRet")), ENOSYS);

	/* socket: anything but AF_VSOCK. */
	const json_t *sock = first_rule(sc, "socket");
	ck_assert_ptr_nonnull(sock);
	arg = json_array_get(json_object_get(sock, "args"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(arg, "op")), "SCMP_CMP_NE");
	ck_assert_int_eq(json_integer_value(json_object_get(arg, "value")), AF_VSOCK);

	struct sock_fprog prog;
	compile_ok(sc, &prog);
	free(prog.filter);
	json_decref(sc);

	/* Without any capability: chroot goes too. */
	sc = berth__seccomp_default(0);
	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(rules_for(sc, "chroot"), 0);
	compile_ok(sc, &prog);
	free(prog.filter);
	json_decref(sc);
}
END_TEST

START_TEST(seccomp_default_all_caps)
{
	json_t *sc = berth__seccomp_default(all_caps_mask());
	ck_assert_msg(sc != NULL, "%s", msg());
	tu_ok(berth__seccomp_validate(sc));
	static const char *const granted[] = { "mount", "unshare", "setns", "reboot", "acct", "bpf",
		                               "open_by_handle_at", "init_module", "settimeofday", "kcmp",
		                               "iopl", "vhangup", "mbind", "syslog", "perf_event_open",
		                               "chroot", "clone3", "fsopen" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(granted); i++)
		ck_assert_msg(rules_for(sc, granted[i]) >= 1, "%s not allowed with all capabilities", granted[i]);
	/* clone unconditional (the CAP_SYS_ADMIN group), clone3 allowed. */
	ck_assert_int_eq(rules_for(sc, "clone"), 1);
	ck_assert_ptr_null(json_object_get(first_rule(sc, "clone"), "args"));
	ck_assert_str_eq(json_string_value(json_object_get(first_rule(sc, "clone3"), "action")), "SCMP_ACT_ALLOW");
	ck_assert_int_eq(rules_for(sc, "kexec_load"), 0);
	ck_assert_int_eq(rules_for(sc, "keyctl"), 0);

	struct sock_fprog prog;
	compile_ok(sc, &prog);
	free(prog.filter);
	json_decref(sc);

	/* One capability at a time. */
	static const struct {
		int cap;
		const char *sys;
	} gated[] = { { 2, "open_by_handle_at" }, { 21, "mount" },   { 22, "reboot" },
		      { 16, "finit_module" },     { 20, "acct" },    { 19, "ptrace" },
		      { 19, "pidfd_getfd" },      { 17, "ioperm" },  { 25, "clock_settime" },
		      { 26, "vhangup" },          { 23, "set_mempolicy" }, { 34, "syslog" },
		      { 39, "bpf" },              { 38, "perf_event_open" } };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(gated); i++) {
		json_t *without = berth__seccomp_default(0);
		json_t *with = berth__seccomp_default(CAP(gated[i].cap));
		ck_assert_ptr_nonnull(without);
		ck_assert_ptr_nonnull(with);
		ck_assert_msg(rules_for(with, gated[i].sys) > rules_for(without, gated[i].sys),
		              "%s not added by capability %d", gated[i].sys, gated[i].cap);
		json_decref(without);
		json_decref(with);
	}
}
END_TEST

/* --- seccomp: the default filter in a real process --- */

struct probe {
	long getpid_r;
	int keyctl_e, kexec_e, unshare_e, clone3_e, acct_e, mount_e, vsock_e, pers_e, clone_ns_e;
	int unix_ok, pers_query_ok, fork_ok, stat_ok;
};

static void run_probes(struct probe *p)
{
	errno = 0;
	p->getpid_r = syscall(SYS_getpid);
	errno = 0;
	p->keyctl_e = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 ? errno : 0;
	errno = 0;
	/* Arguments the kernel refuses (an unknown architecture in the flags),
	 * so that nothing happens should the filter let it through. */
	p->kexec_e = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x7fff0000UL) < 0 ? errno : 0;
	errno = 0;
	/* A bogus clone_args: the kernel would say EFAULT/EINVAL, seccomp ENOSYS. */
	p->clone3_e = syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
	errno = 0;
	p->acct_e = syscall(SYS_acct, "/nonexistent-berth/acct") < 0 ? errno : 0; /* else ENOENT */
	errno = 0;
	p->mount_e = mount("none", "/nonexistent-berth", "tmpfs", 0, NULL) < 0 ? errno : 0;
	errno = 0;
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	p->vsock_e = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	p->unix_ok = fd >= 0;
	if (fd >= 0)
		close(fd);
	errno = 0;
	p->pers_e = syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE) < 0 ? errno : 0;
	p->pers_query_ok = syscall(SYS_personality, 0xffffffffUL) >= 0;
	/* clone with a namespace flag: refused without CAP_SYS_ADMIN. */
	errno = 0;
	long r = syscall(SYS_clone, (unsigned long)(CLONE_NEWNS | SIGCHLD), NULL, NULL, NULL, 0UL);
	if (r == 0)
		_exit(0);
	p->clone_ns_e = r < 0 ? errno : 0;
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	/* Plain fork (clone with SIGCHLD) still works. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int st = 0;
	p->fork_ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7;
	struct stat sb;
	p->stat_ok = stat("/", &sb) == 0;
	/* Last: where it passes, the probe is left without capabilities. */
	errno = 0;
	p->unshare_e = syscall(SYS_unshare, CLONE_NEWUSER) < 0 ? errno : 0;
}

/* Loads prog in a child, runs the probes there and returns them. */
static void probe_with_filter(const struct sock_fprog *prog, struct probe *out)
{
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		struct probe p;
		memset(&p, 0, sizeof p);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(10);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
			_exit(11);
		run_probes(&p);
		if (write(pfd[1], &p, sizeof p) != (ssize_t)sizeof p)
			_exit(12);
		_exit(0);
	}
	close(pfd[1]);
	memset(out, 0, sizeof *out);
	ssize_t n = read(pfd[0], out, sizeof *out);
	close(pfd[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "probe child failed: status 0x%x", st);
	ck_assert_int_eq(n, sizeof *out);
}

START_TEST(seccomp_default_filter_works)
{
	json_t *sc = berth__seccomp_default(default_caps_mask());
	ck_assert_ptr_nonnull(sc);
	struct sock_fprog prog;
	compile_ok(sc, &prog);
	json_decref(sc);

	struct probe p;
	probe_with_filter(&prog, &p);
	free(prog.filter);

	ck_assert_int_gt(p.getpid_r, 0);
	ck_assert_int_eq(p.keyctl_e, EPERM);
	ck_assert_int_eq(p.kexec_e, EPERM);
	ck_assert_int_eq(p.unshare_e, EPERM);
	ck_assert_int_eq(p.clone3_e, ENOSYS);
	ck_assert_int_eq(p.acct_e, EPERM);
	ck_assert_int_eq(p.mount_e, EPERM);
	ck_assert_int_eq(p.vsock_e, EPERM);
	ck_assert_int_eq(p.pers_e, EPERM);
	ck_assert_int_eq(p.clone_ns_e, EPERM);
	ck_assert(p.unix_ok);
	ck_assert(p.pers_query_ok);
	ck_assert(p.fork_ok);
	ck_assert(p.stat_ok);
}
END_TEST

START_TEST(seccomp_all_caps_filter_works)
{
	/* With every capability mount & co pass seccomp (and fail for other
	 * reasons); keyctl and kexec stay blocked. */
	json_t *sc = berth__seccomp_default(all_caps_mask());
	ck_assert_ptr_nonnull(sc);
	struct sock_fprog prog;
	compile_ok(sc, &prog);
	json_decref(sc);
	struct probe p;
	probe_with_filter(&prog, &p);
	free(prog.filter);
	ck_assert_int_gt(p.getpid_r, 0);
	ck_assert_int_eq(p.keyctl_e, EPERM);
	ck_assert_int_eq(p.kexec_e, EPERM);
	ck_assert_int_ne(p.clone3_e, ENOSYS);
	ck_assert_int_ne(p.mount_e, EPERM); /* ENOENT: the mount point does not exist */
	ck_assert_int_eq(p.acct_e, ENOENT);
	ck_assert(p.fork_ok);
}
END_TEST

START_TEST(seccomp_custom_filter_works)
{
	/* Argument filters, an OR of conditions on one argument, a custom
	 * errno, and names this architecture lacks (skipped). */
	json_t *sc = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\","
	                   " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_AARCH64\"],"
	                   " \"syscalls\": ["
	                   "  {\"names\": [\"umask\", \"no_such_syscall_xyz\", \"s390_runtime_instr\"],"
	                   "   \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 18,"
	                   "   \"args\": [{\"index\": 0, \"value\": 448, \"op\": \"SCMP_CMP_EQ\"},"
	                   "              {\"index\": 0, \"value\": 56, \"op\": \"SCMP_CMP_EQ\"}]},"
	                   "  {\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\","
	                   "   \"args\": [{\"index\": 1, \"value\": 4095, \"valueTwo\": 4094,"
	                   "              \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
	                   "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ALLOW\"}"
	                   " ]}");
	struct sock_fprog prog;
	compile_ok(sc, &prog);
	json_decref(sc);

	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int res[6];
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(11);
		errno = 0;
		res[0] = syscall(SYS_umask, 0700) < 0 ? errno : 0;
		errno = 0;
		res[1] = syscall(SYS_umask, 0070) < 0 ? errno : 0;
		errno = 0;
		res[2] = syscall(SYS_umask, 0022) < 0 ? errno : 0;
		errno = 0;
		res[3] = syscall(SYS_getpriority, PRIO_PROCESS, 4094) < 0 ? errno : 0;
		errno = 0;
		res[4] = syscall(SYS_getpriority, PRIO_PROCESS, 0) < 0 ? errno : 0;
		res[5] = syscall(SYS_getppid) > 0;
		if (write(pfd[1], res, sizeof res) != (ssize_t)sizeof res)
			_exit(12);
		_exit(0);
	}
	close(pfd[1]);
	int res[6] = { -1, -1, -1, -1, -1, -1 };
	ck_assert_int_eq(read(pfd[0], res, sizeof res), sizeof res);
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	free(prog.filter);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	ck_assert_int_eq(res[0], EXDEV);
	ck_assert_int_eq(res[1], EXDEV);
	ck_assert_int_eq(res[2], 0);
	ck_assert_int_eq(res[3], EPERM); /* errnoRet defaults to EPERM */
	ck_assert_int_ne(res[4], EPERM);
	ck_assert_int_eq(res[5], 1);
}
END_TEST

/* --- seccomp: Docker profiles --- */

static const char docker_profile[] =
	"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
	" \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]},"
	"              {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]},"
	"              {\"architecture\": \"SCMP_ARCH_RISCV64\", \"subArchitectures\": null}],"
	" \"syscalls\": ["
	"  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"base\"},"
	"  {\"name\": \"getpid\", \"action\": \"SCMP_ACT_ALLOW\"},"
	"  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	"  {\"names\": [\"both\"], \"action\": \"SCMP_ACT_ALLOW\","
	"   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_NET_ADMIN\"]}},"
	"  {\"names\": [\"unshare\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,"
	"   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	"  {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"amd64\"]}},"
	"  {\"names\": [\"set_tls\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"arm64\"]}},"
	"  {\"names\": [\"s390_only\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"s390x\"]}},"
	"  {\"names\": [\"not_s390\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"arches\": [\"s390x\"]}},"
	"  {\"names\": [\"old_kernel\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"3.10\"}},"
	"  {\"names\": [\"future_kernel\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"99.0\"}},"
	"  {\"names\": [\"unknown_cap\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_NOPE\"]}},"
	"  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": null, \"includes\": {}, \"excludes\": {}}"
	" ]}";

START_TEST(seccomp_docker_conversion)
{
	json_t *prof = parse(docker_profile);
	json_t *sc = NULL;

	tu_ok(berth__seccomp_from_profile(&sc, prof, default_caps_mask()));
	tu_ok(berth__seccomp_validate(sc));
	ck_assert_ptr_ne(sc, prof);
	ck_assert_ptr_null(json_object_get(sc, "archMap"));
	ck_assert_int_eq(json_integer_value(json_object_get(sc, "defaultErrnoRet")), 1);
	const json_t *archs = json_object_get(sc, "architectures");
#if defined(__x86_64__)
	ck_assert_int_eq(json_array_size(archs), 2);
	ck_assert_str_eq(json_string_value(json_array_get(archs, 0)), "SCMP_ARCH_X86_64");
	ck_assert_str_eq(json_string_value(json_array_get(archs, 1)), "SCMP_ARCH_X86");
	ck_assert_int_eq(rules_for(sc, "arch_prctl"), 1);
	ck_assert_int_eq(rules_for(sc, "set_tls"), 0);
#endif
	ck_assert_int_eq(rules_for(sc, "read"), 1);
	ck_assert_int_eq(rules_for(sc, "getpid"), 1); /* "name" became "names" */
	ck_assert_ptr_null(json_object_get(first_rule(sc, "getpid"), "name"));
	ck_assert_ptr_null(json_object_get(first_rule(sc, "read"), "comment"));
	ck_assert_int_eq(rules_for(sc, "mount"), 0);
	ck_assert_int_eq(rules_for(sc, "both"), 0);
	ck_assert_int_eq(rules_for(sc, "unshare"), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(first_rule(sc, "unshare"), "errnoRet")), 38);
	ck_assert_int_eq(rules_for(sc, "s390_only"), 0);
	ck_assert_int_eq(rules_for(sc, "not_s390"), 1);
	ck_assert_int_eq(rules_for(sc, "old_kernel"), 1);
	ck_assert_int_eq(rules_for(sc, "future_kernel"), 0);
	ck_assert_int_eq(rules_for(sc, "unknown_cap"), 0);
	ck_assert_int_eq(rules_for(sc, "ptrace"), 1);
	struct sock_fprog prog;
	compile_ok(sc, &prog);
	free(prog.filter);
	json_decref(sc);

	/* CAP_SYS_ADMIN: mount in, unshare's errno rule out; "both" still
	 * needs CAP_NET_ADMIN too. */
	tu_ok(berth__seccomp_from_profile(&sc, prof, CAP(21)));
	ck_assert_int_eq(rules_for(sc, "mount"), 1);
	ck_assert_int_eq(rules_for(sc, "unshare"), 0);
	ck_assert_int_eq(rules_for(sc, "both"), 0);
	json_decref(sc);
	tu_ok(berth__seccomp_from_profile(&sc, prof, CAP(21) | CAP(12)));
	ck_assert_int_eq(rules_for(sc, "both"), 1);
	json_decref(sc);
	json_decref(prof);

	/* An OCI object comes back as is (a new reference). */
	json_t *oci = parse("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"],"
	                    " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
	ck_assert_int_eq(oci->refcount, 1);
	tu_ok(berth__seccomp_from_profile(&sc, oci, 0));
	ck_assert_ptr_eq(sc, oci);
	ck_assert_int_eq(oci->refcount, 2);
	json_decref(sc);
	json_decref(oci);

	/* The default profile passes through unchanged too. */
	json_t *def = berth__seccomp_default(default_caps_mask());
	tu_ok(berth__seccomp_from_profile(&sc, def, default_caps_mask()));
	ck_assert_ptr_eq(sc, def);
	json_decref(sc);
	json_decref(def);
}
END_TEST

START_TEST(seccomp_docker_bad)
{
	static const struct {
		const char *json, *needle;
		int code;
	} cases[] = {
		{ "[]", "seccomp profile: expected an object", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"],"
		  " \"archMap\": []}",
		  "both 'architectures' and 'archMap'", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"name\": \"read\", \"names\": [\"write\"],"
		  " \"action\": \"SCMP_ACT_ALLOW\"}]}",
		  "seccomp profile.syscalls[0]: both 'name' and 'names'", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
		  " \"action\": \"SCMP_ACT_ALLOW\"}, {\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\","
		  " \"includes\": {\"minKernel\": \"four\"}}]}",
		  "seccomp profile.syscalls[1].includes.minKernel", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"x\"],"
		  " \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": \"CAP_SYS_ADMIN\"}}]}",
		  "seccomp profile.syscalls[0].includes.caps: expected an array", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"x\"],"
		  " \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": [\"amd64\"]}]}",
		  "seccomp profile.syscalls[0].excludes: expected an object", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_BOGUS\", \"archMap\": []}",
		  "seccomp profile.defaultAction: unknown action 'SCMP_ACT_BOGUS'", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": 5}]}",
		  "seccomp profile.archMap[0].architecture", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"name\": \"x\","
		  " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
		  "seccomp profile.syscalls[0].args[0].index", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"x\"],"
		  " \"action\": \"SCMP_ACT_NOTIFY\", \"includes\": {}}]}",
		  "seccomp profile.syscalls[0].action: SCMP_ACT_NOTIFY", BERTH_EUNSUPPORTED },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		ck_assert_msg(j != NULL, "case %zu", i);
		json_t *out = (json_t *)0x1;
		assert_err(berth__seccomp_from_profile(&out, j, all_caps_mask()), cases[i].code, cases[i].needle);
		ck_assert_ptr_eq(out, (json_t *)0x1);
		json_decref(j);
	}
}
END_TEST

/* --- seccomp: bad OCI objects --- */

START_TEST(seccomp_validate_bad)
{
#define SC(body) "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [" body "]}"
	static const struct {
		const char *json, *needle;
		int code;
	} cases[] = {
		{ "[]", "linux.seccomp: expected an object", BERTH_EINVAL },
		{ "{}", "linux.seccomp.defaultAction: required", BERTH_EINVAL },
		{ "{\"defaultAction\": 1}", "linux.seccomp.defaultAction: expected a string", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_BOGUS\"}", "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_BOGUS'",
		  BERTH_EINVAL },
		{ "{\"defaultAction\": \"scmp_act_allow\"}", "linux.seccomp.defaultAction: unknown action", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported",
		  BERTH_EUNSUPPORTED },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}", "linux.seccomp.defaultErrnoRet: not allowed",
		  BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}", "linux.seccomp.defaultErrnoRet",
		  BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": \"EPERM\"}",
		  "linux.seccomp.defaultErrnoRet: expected an integer", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_VAX\"]}",
		  "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"x86_64\"]}",
		  "linux.seccomp.architectures[0]: unknown architecture", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": \"SCMP_ARCH_X86_64\"}",
		  "linux.seccomp.architectures: expected an array", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"FLAG_X\"]}",
		  "linux.seccomp.flags[1]: unknown flag 'FLAG_X'", BERTH_EINVAL },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}", "linux.seccomp.syscalls: expected an array",
		  BERTH_EINVAL },
		{ SC("5"), "linux.seccomp.syscalls[0]: expected an object", BERTH_EINVAL },
		{ SC("{\"action\": \"SCMP_ACT_ALLOW\"}"), "linux.seccomp.syscalls[0].names: required", BERTH_EINVAL },
		{ SC("{\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"}"), "linux.seccomp.syscalls[0].names: must contain",
		  BERTH_EINVAL },
		{ SC("{\"names\": [\"read\", 3], \"action\": \"SCMP_ACT_ALLOW\"}"),
		  "linux.seccomp.syscalls[0].names[1]: expected a string", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"]}"), "linux.seccomp.syscalls[0].action: required", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		     "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_MAYBE\"}"),
		  "linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_MAYBE'", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 5}"),
		  "linux.seccomp.syscalls[0].errnoRet: not allowed with action SCMP_ACT_KILL", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5000}"),
		  "linux.seccomp.syscalls[0].errnoRet: 5000 out of range", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": {}}"),
		  "linux.seccomp.syscalls[0].args: expected an array", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
		     " \"args\": [{\"index\": 9, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}"),
		  "linux.seccomp.syscalls[0].args[0].index: 9 out of range", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
		     " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
		     "          {\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_BOGUS\"}]}"),
		  "linux.seccomp.syscalls[0].args[1].op: unknown operator 'SCMP_CMP_BOGUS'", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
		     " \"args\": [{\"index\": 0, \"value\": 1}]}"),
		  "linux.seccomp.syscalls[0].args[0].op: required", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
		     " \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}"),
		  "linux.seccomp.syscalls[0].args[0].value: required", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
		     " \"args\": [{\"index\": 0, \"value\": \"1\", \"op\": \"SCMP_CMP_EQ\"}]}"),
		  "linux.seccomp.syscalls[0].args[0].value: expected an integer", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
		     " \"args\": [{\"index\": 0, \"value\": 1, \"valueTwo\": 1.5, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}"),
		  "linux.seccomp.syscalls[0].args[0].valueTwo: expected an integer", BERTH_EINVAL },
		{ SC("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [7]}"),
		  "linux.seccomp.syscalls[0].args[0]: expected an object", BERTH_EINVAL },
	};
#undef SC
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		ck_assert_msg(j != NULL, "case %zu does not parse", i);
		assert_err(berth__seccomp_validate(j), cases[i].code, cases[i].needle);
		/* compile rejects the same input, the same way, and leaves out alone */
		struct sock_fprog prog = { .len = 77, .filter = NULL };
		assert_err(berth__seccomp_compile(&prog, j), cases[i].code, cases[i].needle);
		ck_assert_int_eq(prog.len, 77);
		ck_assert_ptr_null(prog.filter);
		json_decref(j);
	}

	/* Valid corner cases. */
	static const char *const good[] = {
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\"}",
		"{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": []}",
		"{\"defaultAction\": \"SCMP_ACT_LOG\", \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
		" \"syscalls\": null}",
		"{\"defaultAction\": \"SCMP_ACT_TRACE\", \"defaultErrnoRet\": 1000, \"architectures\": []}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 0,"
		" \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": []}]}",
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getuid\"],"
		" \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 5, \"value\": -1, \"op\": \"SCMP_CMP_LE\"}]}]}",
		/* a rule with the default action is dropped, not an error */
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
		" \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}",
		"{\"defaultAction\": \"SCMP_ACT_TRAP\", \"syscalls\": [{\"names\": [\"read\", \"not_a_syscall\"],"
		" \"action\": \"SCMP_ACT_KILL_THREAD\"}]}",
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(good); i++) {
		json_t *j = json_loads(good[i], 0, NULL);
		ck_assert_msg(j != NULL, "good case %zu does not parse", i);
		tu_ok(berth__seccomp_validate(j));
		struct sock_fprog prog;
		compile_ok(j, &prog);
		free(prog.filter);
		json_decref(j);
	}
}
END_TEST

static Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("caps");
	tcase_add_test(tc, cap_names);
	tcase_add_test(tc, cap_last);
	tcase_add_test(tc, default_caps);
	tcase_add_test(tc, caps_json_ok);
	tcase_add_test(tc, caps_json_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("seccomp");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, seccomp_default_profile);
	tcase_add_test(tc, seccomp_default_all_caps);
	tcase_add_test(tc, seccomp_default_filter_works);
	tcase_add_test(tc, seccomp_all_caps_filter_works);
	tcase_add_test(tc, seccomp_custom_filter_works);
	tcase_add_test(tc, seccomp_docker_conversion);
	tcase_add_test(tc, seccomp_docker_bad);
	tcase_add_test(tc, seccomp_validate_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(security_suite()); }
