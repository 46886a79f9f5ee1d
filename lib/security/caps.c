/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Capabilities, through libcap: names <-> numbers (cap_from_name,
 * cap_to_name), the running kernel's last capability (cap_max_bits), the
 * creator's own sets (cap_get_proc, cap_get_bound) that bound a container's;
 * OCI process.capabilities <-> the bit masks the child applies with raw
 * system calls (no libcap after clone). How libcap is loaded is a build
 * choice (BERTH_LIBCAP in CMakeLists.txt, see docs/packaging.md). */
#include "internal.h"
#include "security/security.h"

#include <ctype.h>
#include <errno.h>
#include <sys/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const berth__default_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

#ifdef BERTH_LIBCAP_DLOPEN
#define libcap_error() berth__libcap_error()
#else
#define libcap_error() ((const char *)NULL)
#endif

/* --- the kernel's last capability --- */

int berth__cap_last(void)
{
	/* libcap probes the kernel once, when it is loaded */
	int n = (int)cap_max_bits();
	return n > 0 && n <= 64 ? n - 1 : CAP_LAST_CAP;
}

/* --- names --- */

int berth__cap_name(char *out, size_t size, int cap)
{
	if (cap < 0 || cap > 63)
		return -1;
	char *name = cap_to_name((cap_value_t)cap);
	/* libcap spells a capability it has no name for as its number */
	int ok = name && strncmp(name, "cap_", 4) == 0 && strlen(name) < size;
	if (ok) {
		for (size_t i = 0; name[i]; i++)
			out[i] = (char)toupper((unsigned char)name[i]);
		out[strlen(name)] = '\0';
	}
	cap_free(name);
	return ok ? 0 : -1;
}

int berth__cap_from_name(int *out, const char *name)
{
	if (!name)
		return berth__err(BERTH_EINVAL, "capability: missing name");
	const char *p = name;
	if (strncasecmp(p, "cap_", 4) == 0)
		p += 4;
	/* libcap also takes numbers, and stops at a space or a comma: a name
	 * only, letters, digits and '_' */
	size_t len = strlen(p);
	bool letter = false, ok = len > 0 && len < 64;
	for (size_t i = 0; ok && i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (isalpha(c))
			letter = true;
		else if (!isdigit(c) && c != '_')
			ok = false;
	}
	if (!ok || !letter)
		return berth__err(BERTH_EINVAL, "unknown capability '%s'", name);
	char full[72];
	snprintf(full, sizeof full, "cap_%s", p);
	cap_value_t v;
	if (cap_from_name(full, &v) < 0 || v < 0 || v > 63) {
		if (libcap_error())
			return berth__err(BERTH_EUNSUPPORTED, "capability '%s': %s", name, libcap_error());
		return berth__err(BERTH_EINVAL, "unknown capability '%s'", name);
	}
	*out = (int)v;
	return 0;
}

/* --- the creator's own capabilities --- */

int berth__caps_bound_by_caller(berth__capsets *s, int last)
{
	uint64_t have_bnd = 0, have_prm = 0;
	for (int c = 0; c <= last; c++)
		if (cap_get_bound((cap_value_t)c) == 1)
			have_bnd |= UINT64_C(1) << c;
	cap_t own = cap_get_proc();
	if (!own) {
		if (libcap_error())
			return berth__err(BERTH_EUNSUPPORTED, "capabilities: %s", libcap_error());
		return berth__err_sys(errno, "capabilities: reading this process's own");
	}
	for (int c = 0; c <= last; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(own, (cap_value_t)c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			have_prm |= UINT64_C(1) << c;
	}
	cap_free(own);
	s->bounding &= have_bnd;
	s->effective &= have_prm;
	s->permitted &= have_prm;
	s->inheritable &= have_prm;
	s->ambient &= have_prm;
	return 0;
}

/* --- OCI process.capabilities --- */

static int caps_field(uint64_t *out, const json_t *caps, const char *field)
{
	const json_t *arr = json_object_get(caps, field);
	uint64_t mask = 0;
	*out = 0;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return berth__err(BERTH_EINVAL, "process.capabilities.%s: expected an array of capability names",
		                  field);
	int last = berth__cap_last();
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return berth__err(BERTH_EINVAL, "process.capabilities.%s[%zu]: expected a string", field, i);
		int cap;
		if (berth__cap_from_name(&cap, json_string_value(v)) < 0)
			return berth__err_prefix("process.capabilities.%s[%zu]", field, i);
		/* Known to libcap but not to this kernel: nothing to grant (runc
		 * ignores these too). */
		if (cap > last)
			continue;
		mask |= UINT64_C(1) << cap;
	}
	*out = mask;
	return 0;
}

int berth__caps_from_json(berth__capsets *out, const json_t *caps)
{
	berth__capsets s = { 0 };
	if (caps && !json_is_null(caps)) {
		if (!json_is_object(caps))
			return berth__err(BERTH_EINVAL, "process.capabilities: expected an object");
		int r;
		if ((r = caps_field(&s.bounding, caps, "bounding")) < 0 ||
		    (r = caps_field(&s.effective, caps, "effective")) < 0 ||
		    (r = caps_field(&s.permitted, caps, "permitted")) < 0 ||
		    (r = caps_field(&s.inheritable, caps, "inheritable")) < 0 ||
		    (r = caps_field(&s.ambient, caps, "ambient")) < 0)
			return r;
	}
	*out = s;
	return 0;
}

json_t *berth__caps_to_json(uint64_t mask)
{
	json_t *arr = json_array();
	if (!arr) {
		berth__err_nomem();
		return NULL;
	}
	for (int cap = 0; cap < 64; cap++) {
		if (!(mask & (UINT64_C(1) << cap)))
			continue;
		char name[64];
		if (berth__cap_name(name, sizeof name, cap) < 0)
			continue;
		if (json_array_append_new(arr, json_string(name)) < 0) {
			json_decref(arr);
			berth__err_nomem();
			return NULL;
		}
	}
	return arr;
}
