/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Seccomp: validation of OCI linux.seccomp objects, conversion of Docker
 * profiles (includes/excludes by capability, architecture and kernel
 * version; archMap) to OCI, and compilation to classic BPF with libseccomp.
 *
 * Compilation happens in the parent; the exported program is loaded by the
 * container's init with a raw seccomp(2) call, so no_new_privs is left to
 * the runtime (SCMP_FLTATR_CTL_NNP = 0). Like runc, syscall names libseccomp
 * does not know for this architecture are skipped. */
#include "internal.h"
#include "security/security.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PATH_LEN 256

/* --- the native architecture, in the spellings profiles use --- */

#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE_SCMP_ARCH "SCMP_ARCH_X86_64"
static const char *const native_arch_names[] = { "amd64", "x86_64", NULL };
#elif defined(__aarch64__)
#define NATIVE_SCMP_ARCH "SCMP_ARCH_AARCH64"
static const char *const native_arch_names[] = { "arm64", "aarch64", NULL };
#elif defined(__i386__)
#define NATIVE_SCMP_ARCH "SCMP_ARCH_X86"
static const char *const native_arch_names[] = { "386", "x86", "i386", NULL };
#elif defined(__arm__)
#define NATIVE_SCMP_ARCH "SCMP_ARCH_ARM"
static const char *const native_arch_names[] = { "arm", NULL };
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_SCMP_ARCH "SCMP_ARCH_RISCV64"
static const char *const native_arch_names[] = { "riscv64", NULL };
#elif defined(__s390x__)
#define NATIVE_SCMP_ARCH "SCMP_ARCH_S390X"
static const char *const native_arch_names[] = { "s390x", NULL };
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_SCMP_ARCH "SCMP_ARCH_PPC64LE"
static const char *const native_arch_names[] = { "ppc64le", NULL };
#else
#define NATIVE_SCMP_ARCH NULL
static const char *const native_arch_names[] = { NULL };
#endif

/* --- actions, operators, architectures, flags --- */

enum act_kind { ACT_KILL, ACT_KILL_PROCESS, ACT_KILL_THREAD, ACT_TRAP, ACT_ERRNO, ACT_TRACE, ACT_ALLOW, ACT_LOG, ACT_NOTIFY };

static const struct {
	const char *name;
	enum act_kind kind;
} actions[] = {
	{ "SCMP_ACT_KILL", ACT_KILL },
	{ "SCMP_ACT_KILL_PROCESS", ACT_KILL_PROCESS },
	{ "SCMP_ACT_KILL_THREAD", ACT_KILL_THREAD },
	{ "SCMP_ACT_TRAP", ACT_TRAP },
	{ "SCMP_ACT_ERRNO", ACT_ERRNO },
	{ "SCMP_ACT_TRACE", ACT_TRACE },
	{ "SCMP_ACT_ALLOW", ACT_ALLOW },
	{ "SCMP_ACT_LOG", ACT_LOG },
	{ "SCMP_ACT_NOTIFY", ACT_NOTIFY },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const char *const seccomp_flags[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

/* "SCMP_ARCH_X86_64" -> libseccomp token; 0 if unknown. */
static uint32_t arch_token(const char *name)
{
	static const char prefix[] = "SCMP_ARCH_";
	if (strncmp(name, prefix, sizeof prefix - 1) != 0)
		return 0;
	const char *p = name + sizeof prefix - 1;
	char buf[32];
	size_t n = strlen(p);
	if (n == 0 || n >= sizeof buf)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = p[i];
		if (c >= 'a' && c <= 'z')
			return 0; /* constants are upper case */
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (strcmp(buf, "native") == 0)
		return 0;
	/* libseccomp's names and tokens (the header's constants, so validating
	 * a spec does not load libseccomp) */
	static const struct { const char *name; uint32_t token; } arches[] = {
		{ "x86", SCMP_ARCH_X86 },         { "x86_64", SCMP_ARCH_X86_64 },     { "x32", SCMP_ARCH_X32 },
		{ "arm", SCMP_ARCH_ARM },         { "aarch64", SCMP_ARCH_AARCH64 },   { "mips", SCMP_ARCH_MIPS },
		{ "mips64", SCMP_ARCH_MIPS64 },   { "mips64n32", SCMP_ARCH_MIPS64N32 }, { "mipsel", SCMP_ARCH_MIPSEL },
		{ "mipsel64", SCMP_ARCH_MIPSEL64 }, { "mipsel64n32", SCMP_ARCH_MIPSEL64N32 }, { "ppc", SCMP_ARCH_PPC },
		{ "ppc64", SCMP_ARCH_PPC64 },     { "ppc64le", SCMP_ARCH_PPC64LE },   { "s390", SCMP_ARCH_S390 },
		{ "s390x", SCMP_ARCH_S390X },     { "parisc", SCMP_ARCH_PARISC },     { "parisc64", SCMP_ARCH_PARISC64 },
		{ "riscv64", SCMP_ARCH_RISCV64 },
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(arches); i++)
		if (strcmp(arches[i].name, buf) == 0)
			return arches[i].token;
	return 0;
}

/* --- small JSON helpers --- */

/* snprintf for JSON paths: truncation is harmless (paths are for messages). */
static void pathf(char *buf, size_t len, const char *fmt, ...) BERTH_PRINTF(3, 4);
static void pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static bool present(const json_t *v) { return v && !json_is_null(v); }

/* Integer in [min, max]. */
static int get_int(long long *out, const json_t *v, const char *path, long long min, long long max)
{
	if (!json_is_integer(v))
		return berth__err(BERTH_EINVAL, "%s: expected an integer", path);
	long long x = json_integer_value(v);
	if (x < min || x > max)
		return berth__err(BERTH_EINVAL, "%s: %lld out of range [%lld, %lld]", path, x, min, max);
	*out = x;
	return 0;
}

/* uint64 in the spec; jansson integers are signed 64-bit, so a negative
 * number is taken as its two's complement (the only way to write values
 * >= 2^63). */
static int get_u64(uint64_t *out, const json_t *v, const char *path)
{
	if (!json_is_integer(v))
		return berth__err(BERTH_EINVAL, "%s: expected an integer", path);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int check_string_array(const json_t *arr, const char *path, bool nonempty)
{
	if (!json_is_array(arr))
		return berth__err(BERTH_EINVAL, "%s: expected an array of strings", path);
	if (nonempty && json_array_size(arr) == 0)
		return berth__err(BERTH_EINVAL, "%s: must contain at least one entry", path);
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return berth__err(BERTH_EINVAL, "%s[%zu]: expected a string", path, i);
		if (json_string_length(v) == 0)
			return berth__err(BERTH_EINVAL, "%s[%zu]: empty string", path, i);
	}
	return 0;
}

/* --- validation --- */

/* Reads an action (obj[akey]) and its errno (obj[ekey]) into a libseccomp
 * action value. path names obj. */
static int parse_action(uint32_t *out, const json_t *obj, const char *akey, const char *ekey, const char *path)
{
	const json_t *a = json_object_get(obj, akey);
	if (!present(a))
		return berth__err(BERTH_EINVAL, "%s.%s: required", path, akey);
	if (!json_is_string(a))
		return berth__err(BERTH_EINVAL, "%s.%s: expected a string", path, akey);
	const char *name = json_string_value(a);
	size_t k;
	for (k = 0; k < BERTH_ARRAY_SIZE(actions); k++)
		if (strcmp(actions[k].name, name) == 0)
			break;
	if (k == BERTH_ARRAY_SIZE(actions))
		return berth__err(BERTH_EINVAL, "%s.%s: unknown action '%s'", path, akey, name);
	enum act_kind kind = actions[k].kind;
	if (kind == ACT_NOTIFY)
		return berth__err(BERTH_EUNSUPPORTED, "%s.%s: SCMP_ACT_NOTIFY is not supported", path, akey);

	const json_t *e = json_object_get(obj, ekey);
	long long eno = EPERM;
	if (present(e)) {
		char epath[PATH_LEN];
		pathf(epath, sizeof epath, "%s.%s", path, ekey);
		if (kind != ACT_ERRNO && kind != ACT_TRACE)
			return berth__err(BERTH_EINVAL, "%s: not allowed with action %s", epath, name);
		/* ERRNO: an errno value (the kernel treats up to 4095 as -errno);
		 * TRACE: a 16-bit message for the tracer. */
		int r = get_int(&eno, e, epath, 0, kind == ACT_ERRNO ? 4095 : 65535);
		if (r < 0)
			return r;
	}
	uint32_t v = 0;
	switch (kind) {
	case ACT_KILL: v = SCMP_ACT_KILL; break;
	case ACT_KILL_PROCESS: v = SCMP_ACT_KILL_PROCESS; break;
	case ACT_KILL_THREAD: v = SCMP_ACT_KILL_THREAD; break;
	case ACT_TRAP: v = SCMP_ACT_TRAP; break;
	case ACT_ERRNO: v = SCMP_ACT_ERRNO((uint32_t)eno); break;
	case ACT_TRACE: v = SCMP_ACT_TRACE((uint32_t)eno); break;
	case ACT_ALLOW: v = SCMP_ACT_ALLOW; break;
	case ACT_LOG: v = SCMP_ACT_LOG; break;
	case ACT_NOTIFY: break;
	}
	if (out)
		*out = v;
	return 0;
}

/* One args[] entry; fills *cmp when non-NULL. */
static int parse_arg(struct scmp_arg_cmp *cmp, const json_t *arg, const char *path)
{
	if (!json_is_object(arg))
		return berth__err(BERTH_EINVAL, "%s: expected an object", path);
	char p[PATH_LEN];
	long long index = 0;
	uint64_t value = 0, value2 = 0;
	int r;

	const json_t *v = json_object_get(arg, "index");
	pathf(p, sizeof p, "%s.index", path);
	if (!present(v))
		return berth__err(BERTH_EINVAL, "%s: required", p);
	if ((r = get_int(&index, v, p, 0, 5)) < 0)
		return r;

	v = json_object_get(arg, "value");
	pathf(p, sizeof p, "%s.value", path);
	if (!present(v))
		return berth__err(BERTH_EINVAL, "%s: required", p);
	if ((r = get_u64(&value, v, p)) < 0)
		return r;

	v = json_object_get(arg, "valueTwo");
	pathf(p, sizeof p, "%s.valueTwo", path);
	if (present(v) && (r = get_u64(&value2, v, p)) < 0)
		return r;

	v = json_object_get(arg, "op");
	pathf(p, sizeof p, "%s.op", path);
	if (!present(v))
		return berth__err(BERTH_EINVAL, "%s: required", p);
	if (!json_is_string(v))
		return berth__err(BERTH_EINVAL, "%s: expected a string", p);
	size_t k;
	for (k = 0; k < BERTH_ARRAY_SIZE(operators); k++)
		if (strcmp(operators[k].name, json_string_value(v)) == 0)
			break;
	if (k == BERTH_ARRAY_SIZE(operators))
		return berth__err(BERTH_EINVAL, "%s: unknown operator '%s'", p, json_string_value(v));

	if (cmp) {
		/* OCI's value/valueTwo are libseccomp's datum_a/datum_b: for
		 * MASKED_EQ, (arg & value) == valueTwo. */
		cmp->arg = (unsigned int)index;
		cmp->op = operators[k].op;
		cmp->datum_a = value;
		cmp->datum_b = value2;
	}
	return 0;
}

static int validate_syscall(const json_t *sc, const char *path)
{
	if (!json_is_object(sc))
		return berth__err(BERTH_EINVAL, "%s: expected an object", path);
	char p[PATH_LEN];
	int r;
	const json_t *names = json_object_get(sc, "names");
	pathf(p, sizeof p, "%s.names", path);
	if (!present(names))
		return berth__err(BERTH_EINVAL, "%s: required", p);
	if ((r = check_string_array(names, p, true)) < 0)
		return r;
	if ((r = parse_action(NULL, sc, "action", "errnoRet", path)) < 0)
		return r;
	const json_t *args = json_object_get(sc, "args");
	if (present(args)) {
		pathf(p, sizeof p, "%s.args", path);
		if (!json_is_array(args))
			return berth__err(BERTH_EINVAL, "%s: expected an array", p);
		size_t i;
		const json_t *a;
		json_array_foreach(args, i, a) {
			pathf(p, sizeof p, "%s.args[%zu]", path, i);
			if ((r = parse_arg(NULL, a, p)) < 0)
				return r;
		}
	}
	return 0;
}

/* Everything but syscalls[] (checked per entry by the callers). */
static int validate_top(const json_t *sc, const char *root)
{
	char p[PATH_LEN];
	int r;
	if (!json_is_object(sc))
		return berth__err(BERTH_EINVAL, "%s: expected an object", root);
	if ((r = parse_action(NULL, sc, "defaultAction", "defaultErrnoRet", root)) < 0)
		return r;

	const json_t *archs = json_object_get(sc, "architectures");
	if (present(archs)) {
		pathf(p, sizeof p, "%s.architectures", root);
		if ((r = check_string_array(archs, p, false)) < 0)
			return r;
		size_t i;
		const json_t *a;
		json_array_foreach(archs, i, a) {
			if (!arch_token(json_string_value(a)))
				return berth__err(BERTH_EINVAL, "%s[%zu]: unknown architecture '%s'", p, i,
				                  json_string_value(a));
		}
	}

	const json_t *flags = json_object_get(sc, "flags");
	if (present(flags)) {
		pathf(p, sizeof p, "%s.flags", root);
		if ((r = check_string_array(flags, p, false)) < 0)
			return r;
		size_t i;
		const json_t *f;
		json_array_foreach(flags, i, f) {
			size_t k;
			for (k = 0; k < BERTH_ARRAY_SIZE(seccomp_flags); k++)
				if (strcmp(seccomp_flags[k], json_string_value(f)) == 0)
					break;
			if (k == BERTH_ARRAY_SIZE(seccomp_flags))
				return berth__err(BERTH_EINVAL, "%s[%zu]: unknown flag '%s'", p, i, json_string_value(f));
		}
	}

	static const char *const strkeys[] = { "listenerPath", "listenerMetadata" };
	for (size_t k = 0; k < BERTH_ARRAY_SIZE(strkeys); k++) {
		const json_t *v = json_object_get(sc, strkeys[k]);
		if (present(v) && !json_is_string(v))
			return berth__err(BERTH_EINVAL, "%s.%s: expected a string", root, strkeys[k]);
	}

	const json_t *calls = json_object_get(sc, "syscalls");
	if (present(calls) && !json_is_array(calls))
		return berth__err(BERTH_EINVAL, "%s.syscalls: expected an array", root);
	return 0;
}

static int validate_root(const json_t *sc, const char *root)
{
	int r = validate_top(sc, root);
	if (r < 0)
		return r;
	const json_t *calls = json_object_get(sc, "syscalls");
	if (!present(calls))
		return 0;
	size_t i;
	const json_t *c;
	json_array_foreach(calls, i, c) {
		char p[PATH_LEN];
		pathf(p, sizeof p, "%s.syscalls[%zu]", root, i);
		if ((r = validate_syscall(c, p)) < 0)
			return r;
	}
	return 0;
}

int berth__seccomp_validate(const json_t *seccomp)
{
	return validate_root(seccomp, "linux.seccomp");
}

/* --- Docker profile -> OCI --- */

static const char *const native_scmp_arch = NATIVE_SCMP_ARCH;

static bool is_native_arch(const char *name)
{
	for (size_t i = 0; native_arch_names[i]; i++)
		if (strcmp(native_arch_names[i], name) == 0)
			return true;
	return false;
}

/* Does the bounding set hold the capability with this name? Unknown names
 * are held by nobody (Docker compares names). */
static bool holds_cap(uint64_t caps, const char *name)
{
	int v;
	if (!name[0] || (name[0] >= '0' && name[0] <= '9'))
		return false;
	berth__err_saved s;
	berth__err_save(&s);
	int r = berth__cap_from_name(&v, name);
	berth__err_restore(&s);
	if (r < 0 || v < 0 || v > 63)
		return false;
	return (caps >> v) & 1;
}

static int parse_kernel_version(int *maj, int *min, const char *s)
{
	char *end;
	errno = 0;
	long a = strtol(s, &end, 10);
	if (end == s || *end != '.' || a < 0 || a > 1000000 || errno)
		return -1;
	const char *q = end + 1;
	long b = strtol(q, &end, 10);
	if (end == q || b < 0 || b > 1000000 || errno)
		return -1;
	*maj = (int)a;
	*min = (int)b;
	return 0;
}

/* Running kernel at least major.minor? */
static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int km, kn;
	char *end;
	if (uname(&u) < 0)
		return true;
	km = (int)strtol(u.release, &end, 10);
	if (*end != '.')
		return true;
	kn = (int)strtol(end + 1, NULL, 10);
	return km > maj || (km == maj && kn >= min);
}

/* Evaluates includes (want = true) or excludes (want = false): returns 1 if
 * the filter matches, 0 if not, < 0 on malformed input. An includes filter
 * matches when every condition holds; an excludes filter when any does. */
static int eval_filter(const json_t *f, const char *path, uint64_t caps, bool includes)
{
	char p[PATH_LEN];
	int r;
	if (!json_is_object(f))
		return berth__err(BERTH_EINVAL, "%s: expected an object", path);
	bool all = true, any = false;
	size_t i;
	const json_t *v;

	const json_t *fc = json_object_get(f, "caps");
	if (present(fc)) {
		pathf(p, sizeof p, "%s.caps", path);
		if ((r = check_string_array(fc, p, false)) < 0)
			return r;
		json_array_foreach(fc, i, v) {
			bool h = holds_cap(caps, json_string_value(v));
			all = all && h;
			any = any || h;
		}
	}

	const json_t *fa = json_object_get(f, "arches");
	if (present(fa)) {
		pathf(p, sizeof p, "%s.arches", path);
		if ((r = check_string_array(fa, p, false)) < 0)
			return r;
		bool native = false;
		json_array_foreach(fa, i, v)
			native = native || is_native_arch(json_string_value(v));
		if (json_array_size(fa) > 0) {
			all = all && native;
			any = any || native;
		}
	}

	const json_t *mk = json_object_get(f, "minKernel");
	if (present(mk)) {
		pathf(p, sizeof p, "%s.minKernel", path);
		int maj, min;
		if (!json_is_string(mk) || parse_kernel_version(&maj, &min, json_string_value(mk)) < 0)
			return berth__err(BERTH_EINVAL, "%s: expected a kernel version \"<major>.<minor>\"", p);
		bool ok = kernel_at_least(maj, min);
		all = all && ok;
		any = any || ok;
	}
	return includes ? all : any;
}

static int set_copy(json_t *dst, const char *key, const json_t *src)
{
	const json_t *v = json_object_get(src, key);
	if (!present(v))
		return 0;
	if (json_object_set_new(dst, key, json_deep_copy(v)) < 0)
		return berth__err_nomem();
	return 0;
}

/* Converts one Docker syscalls[] entry; *out = NULL when the entry does not
 * apply to this container. */
static int convert_syscall(json_t **out, const json_t *sc, const char *path, uint64_t caps)
{
	char p[PATH_LEN];
	int r;
	*out = NULL;
	if (!json_is_object(sc))
		return berth__err(BERTH_EINVAL, "%s: expected an object", path);
	json_t *o = json_object();
	if (!o)
		return berth__err_nomem();

	const json_t *name = json_object_get(sc, "name");
	const json_t *names = json_object_get(sc, "names");
	if (present(name) && present(names)) {
		r = berth__err(BERTH_EINVAL, "%s: both 'name' and 'names' are set, use one", path);
		goto fail;
	}
	if (present(name)) {
		pathf(p, sizeof p, "%s.name", path);
		if (!json_is_string(name) || json_string_length(name) == 0) {
			r = berth__err(BERTH_EINVAL, "%s: expected a syscall name", p);
			goto fail;
		}
		json_t *arr = json_array();
		if (json_object_set_new(o, "names", arr) < 0 ||
		    json_array_append_new(arr, json_string(json_string_value(name))) < 0) {
			r = berth__err_nomem();
			goto fail;
		}
	} else if ((r = set_copy(o, "names", sc)) < 0) {
		goto fail;
	}
	if ((r = set_copy(o, "action", sc)) < 0 || (r = set_copy(o, "errnoRet", sc)) < 0 ||
	    (r = set_copy(o, "args", sc)) < 0)
		goto fail;
	/* The same checks as an OCI entry, with the profile's indices. */
	if ((r = validate_syscall(o, path)) < 0)
		goto fail;

	bool keep = true;
	const json_t *inc = json_object_get(sc, "includes");
	if (present(inc)) {
		pathf(p, sizeof p, "%s.includes", path);
		if ((r = eval_filter(inc, p, caps, true)) < 0)
			goto fail;
		keep = keep && r == 1;
	}
	const json_t *exc = json_object_get(sc, "excludes");
	if (present(exc)) {
		pathf(p, sizeof p, "%s.excludes", path);
		if ((r = eval_filter(exc, p, caps, false)) < 0)
			goto fail;
		keep = keep && r == 0;
	}
	if (!keep) {
		json_decref(o);
		return 0;
	}
	*out = o;
	return 0;
fail:
	json_decref(o);
	return r;
}

static bool is_docker_profile(const json_t *profile)
{
	if (json_object_get(profile, "archMap"))
		return true;
	const json_t *calls = json_object_get(profile, "syscalls");
	size_t i;
	const json_t *c;
	if (!json_is_array(calls))
		return false;
	json_array_foreach(calls, i, c) {
		if (json_is_object(c) && (json_object_get(c, "includes") || json_object_get(c, "excludes") ||
		                          json_object_get(c, "name") || json_object_get(c, "comment")))
			return true;
	}
	return false;
}

static int convert_archmap(json_t *res, const json_t *map, const char *root)
{
	char p[PATH_LEN];
	if (!json_is_array(map))
		return berth__err(BERTH_EINVAL, "%s.archMap: expected an array", root);
	json_t *archs = json_array();
	if (!archs || json_object_set_new(res, "architectures", archs) < 0)
		return berth__err_nomem();
	size_t i;
	const json_t *e;
	json_array_foreach(map, i, e) {
		pathf(p, sizeof p, "%s.archMap[%zu]", root, i);
		if (!json_is_object(e))
			return berth__err(BERTH_EINVAL, "%s: expected an object", p);
		const json_t *a = json_object_get(e, "architecture");
		const json_t *subs = json_object_get(e, "subArchitectures");
		if (!json_is_string(a))
			return berth__err(BERTH_EINVAL, "%s.architecture: expected a string", p);
		if (present(subs)) {
			char sp[PATH_LEN];
			pathf(sp, sizeof sp, "%s.subArchitectures", p);
			int r = check_string_array(subs, sp, false);
			if (r < 0)
				return r;
		}
		if (!native_scmp_arch || strcmp(json_string_value(a), native_scmp_arch) != 0)
			continue;
		if (json_array_append_new(archs, json_string(json_string_value(a))) < 0)
			return berth__err_nomem();
		if (present(subs)) {
			size_t k;
			const json_t *s;
			json_array_foreach(subs, k, s) {
				if (json_array_append_new(archs, json_string(json_string_value(s))) < 0)
					return berth__err_nomem();
			}
		}
	}
	return 0;
}

int berth__seccomp_from_profile(json_t **out, const json_t *profile, uint64_t caps)
{
	static const char root[] = "seccomp profile";
	int r;
	if (!json_is_object(profile))
		return berth__err(BERTH_EINVAL, "%s: expected an object", root);
	if (!is_docker_profile(profile)) {
		if ((r = validate_root(profile, root)) < 0)
			return r;
		*out = json_incref((json_t *)profile);
		return 0;
	}

	const json_t *map = json_object_get(profile, "archMap");
	if (present(map) && present(json_object_get(profile, "architectures")))
		return berth__err(BERTH_EINVAL, "%s: both 'architectures' and 'archMap' are set, use one", root);

	json_t *res = json_object();
	if (!res)
		return berth__err_nomem();
	static const char *const copied[] = { "defaultAction", "defaultErrnoRet", "architectures",
		                              "flags", "listenerPath", "listenerMetadata" };
	for (size_t k = 0; k < BERTH_ARRAY_SIZE(copied); k++)
		if ((r = set_copy(res, copied[k], profile)) < 0)
			goto fail;
	if (present(map) && (r = convert_archmap(res, map, root)) < 0)
		goto fail;
	if ((r = validate_top(res, root)) < 0)
		goto fail;

	const json_t *calls = json_object_get(profile, "syscalls");
	if (present(calls)) {
		if (!json_is_array(calls)) {
			r = berth__err(BERTH_EINVAL, "%s.syscalls: expected an array", root);
			goto fail;
		}
		json_t *arr = json_array();
		if (!arr || json_object_set_new(res, "syscalls", arr) < 0) {
			r = berth__err_nomem();
			goto fail;
		}
		size_t i;
		const json_t *c;
		json_array_foreach(calls, i, c) {
			char p[PATH_LEN];
			json_t *o;
			pathf(p, sizeof p, "%s.syscalls[%zu]", root, i);
			if ((r = convert_syscall(&o, c, p, caps)) < 0)
				goto fail;
			if (o && json_array_append_new(arr, o) < 0) {
				r = berth__err_nomem();
				goto fail;
			}
		}
	}
	*out = res;
	return 0;
fail:
	json_decref(res);
	return r;
}

/* --- compilation --- */

/* Reads the whole BPF program libseccomp wrote to fd, from its current offset. */
static int read_program(struct sock_fprog *out, int fd)
{
	size_t len = 0;
	char *buf = NULL;
	/* one instruction more than the kernel takes: the check below names the size */
	int r = berth__slurp_fd(&buf, &len, fd, (BPF_MAXINSNS + 1) * sizeof(struct sock_filter));
	if (r == -EFBIG)
		len = (BPF_MAXINSNS + 1) * sizeof(struct sock_filter);
	else if (r == -ENOMEM)
		return berth__err_nomem();
	else if (r < 0)
		return berth__err_sys(-r, "linux.seccomp: reading the compiled filter");
	if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		free(buf);
		return berth__err(BERTH_EINVAL, "linux.seccomp: compiled filter has %zu bytes (%d instructions at most)",
		                  len, BPF_MAXINSNS);
	}
	out->len = (unsigned short)(len / sizeof(struct sock_filter));
	out->filter = (struct sock_filter *)buf;
	return 0;
}

/* Exports through a pipe where memfd_create is unavailable. The program is
 * at most 32 KiB, below the default pipe capacity; a non-blocking writer
 * turns a smaller pipe into an error instead of a hang. */
static int export_via_pipe(struct sock_fprog *out, scmp_filter_ctx ctx)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth__err_sys(errno, "linux.seccomp: pipe");
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETPIPE_SZ, 64 * 1024);
	int r = seccomp_export_bpf(ctx, p[1]);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return berth__err_sys(-r, "linux.seccomp: exporting the filter");
	}
	r = read_program(out, p[0]);
	close(p[0]);
	return r;
}

static int export_program(struct sock_fprog *out, scmp_filter_ctx ctx)
{
	int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOSYS || errno == EPERM)
			return export_via_pipe(out, ctx);
		return berth__err_sys(errno, "linux.seccomp: memfd_create");
	}
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		close(fd);
		return berth__err_sys(-r, "linux.seccomp: exporting the filter");
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return berth__err_sys(errno, "linux.seccomp: reading the compiled filter");
	}
	r = read_program(out, fd);
	close(fd);
	return r;
}

/* Adds the rules of syscalls[i]. */
static int add_syscall_rules(scmp_filter_ctx ctx, const json_t *sc, const char *path, uint32_t def)
{
	uint32_t act;
	int r = parse_action(&act, sc, "action", "errnoRet", path);
	if (r < 0)
		return r;
	/* libseccomp refuses rules that repeat the default action; they
	 * change nothing. */
	if (act == def)
		return 0;

	const json_t *args = json_object_get(sc, "args");
	size_t nargs = present(args) ? json_array_size(args) : 0;
	struct scmp_arg_cmp *cmps = NULL;
	bool split = false;
	if (nargs > 0) {
		cmps = calloc(nargs, sizeof *cmps);
		if (!cmps)
			return berth__err_nomem();
		unsigned seen = 0;
		for (size_t i = 0; i < nargs; i++) {
			char p[PATH_LEN];
			pathf(p, sizeof p, "%s.args[%zu]", path, i);
			if ((r = parse_arg(&cmps[i], json_array_get(args, i), p)) < 0)
				goto out;
			if (seen & (1u << cmps[i].arg))
				split = true;
			seen |= 1u << cmps[i].arg;
		}
	}

	const json_t *names = json_object_get(sc, "names");
	size_t i;
	const json_t *n;
	json_array_foreach(names, i, n) {
		const char *name = json_string_value(n);
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a syscall of this architecture (or too new for libseccomp) */
		if (split) {
			/* Several conditions on one argument: libseccomp wants one
			 * comparison per argument, so each becomes its own rule
			 * (any of them matching triggers the action, as in runc). */
			for (size_t k = 0; k < nargs; k++) {
				r = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[k]);
				if (r < 0)
					break;
			}
		} else {
			r = seccomp_rule_add_array(ctx, act, nr, (unsigned int)nargs, cmps);
		}
		if (r < 0) {
			r = berth__err_sys(-r, "%s: adding the rule for '%s'", path, name);
			goto out;
		}
	}
	r = 0;
out:
	free(cmps);
	return r;
}

int berth__seccomp_compile(struct sock_fprog *out, const json_t *seccomp)
{
	static const char root[] = "linux.seccomp";
	int r = validate_root(seccomp, root);
	if (r < 0)
		return r;
	uint32_t def;
	if ((r = parse_action(&def, seccomp, "defaultAction", "defaultErrnoRet", root)) < 0)
		return r;

	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx && berth__seccomp_dl_error())
		return berth__err(BERTH_EUNSUPPORTED, "%s: %s", root, berth__seccomp_dl_error());
	if (!ctx)
		return berth__err(BERTH_EUNSUPPORTED, "%s.defaultAction: libseccomp refused action %s", root,
		                  json_string_value(json_object_get(seccomp, "defaultAction")));
	/* The runtime sets no_new_privs itself (or not, with CAP_SYS_ADMIN). */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0) {
		r = berth__err_sys(-r, "%s: disabling no_new_privs", root);
		goto out;
	}
	/* A binary search over syscall numbers instead of a linear list: a
	 * few comparisons per syscall with a large allowlist. Optional. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

	const json_t *archs = json_object_get(seccomp, "architectures");
	if (present(archs)) {
		size_t i;
		const json_t *a;
		json_array_foreach(archs, i, a) {
			uint32_t tok = arch_token(json_string_value(a));
			r = seccomp_arch_add(ctx, tok);
			if (r < 0 && r != -EEXIST) {
				r = berth__err_sys(-r, "%s.architectures[%zu]: adding %s", root, i, json_string_value(a));
				goto out;
			}
		}
	}

	const json_t *calls = json_object_get(seccomp, "syscalls");
	if (present(calls)) {
		size_t i;
		const json_t *c;
		json_array_foreach(calls, i, c) {
			char p[PATH_LEN];
			pathf(p, sizeof p, "%s.syscalls[%zu]", root, i);
			if ((r = add_syscall_rules(ctx, c, p, def)) < 0)
				goto out;
		}
	}

	struct sock_fprog prog;
	if ((r = export_program(&prog, ctx)) < 0)
		goto out;
	*out = prog;
	r = 0;
out:
	seccomp_release(ctx);
	return r;
}
