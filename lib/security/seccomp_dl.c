/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libseccomp, loaded when first needed.
 *
 * A container's filter is compiled once and then read from the cache
 * (seccomp_cache.c), so most processes never need libseccomp; linking it
 * would make each of them load it anyway. As for libcurl (curl_dl.c), the
 * seccomp_* functions berth calls are hidden wrappers resolving the real
 * ones from libseccomp.so.2 on first use (pthread_once; the table is written
 * once, then only read). If libseccomp cannot be loaded, seccomp_init
 * returns NULL and berth__seccomp_dl_error() says why.
 */
#include "internal.h"
#include "security/security.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>

#define SECCOMP_FUNCS(X)           \
	X(seccomp_init)                \
	X(seccomp_release)             \
	X(seccomp_attr_set)            \
	X(seccomp_arch_add)            \
	X(seccomp_rule_add_array)      \
	X(seccomp_syscall_resolve_name) \
	X(seccomp_export_bpf)

#define DECLARE_SLOT(name) void *name;
static struct { SECCOMP_FUNCS(DECLARE_SLOT) } T;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	void *h = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof load_error, "cannot load libseccomp.so.2: %s", dlerror());
		return;
	}
	int missing = 0;
#define RESOLVE(name) if (!(T.name = dlsym(h, #name))) missing = 1;
	SECCOMP_FUNCS(RESOLVE)
	if (missing)
		snprintf(load_error, sizeof load_error, "libseccomp.so.2 lacks the functions berth needs");
}

static int ready(void)
{
	pthread_once(&once, load);
	return !load_error[0];
}

const char *berth__seccomp_dl_error(void)
{
	ready();
	return load_error[0] ? load_error : NULL;
}

#define CALL(name, fail, ...) (ready() ? ((__typeof__(&name))T.name)(__VA_ARGS__) : (fail))

#define W BERTH_HIDDEN
W scmp_filter_ctx seccomp_init(uint32_t def_action) { return CALL(seccomp_init, NULL, def_action); }
W void seccomp_release(scmp_filter_ctx ctx)
{
	if (ready())
		((__typeof__(&seccomp_release))T.seccomp_release)(ctx);
}
W int seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value)
{
	return CALL(seccomp_attr_set, -ENOSYS, ctx, attr, value);
}
W int seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch_token) { return CALL(seccomp_arch_add, -ENOSYS, ctx, arch_token); }
W int seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
                             const struct scmp_arg_cmp *arg_array)
{
	return CALL(seccomp_rule_add_array, -ENOSYS, ctx, action, syscall, arg_cnt, arg_array);
}
W int seccomp_syscall_resolve_name(const char *name) { return CALL(seccomp_syscall_resolve_name, __NR_SCMP_ERROR, name); }
W int seccomp_export_bpf(const scmp_filter_ctx ctx, int fd) { return CALL(seccomp_export_bpf, -ENOSYS, ctx, fd); }
