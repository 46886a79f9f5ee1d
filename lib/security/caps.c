/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Capabilities: names <-> numbers (our own table: libcap is not linked, one
 * library less to load in every process), the running
 * kernel's last capability, OCI process.capabilities <-> bit masks. */
#include "internal.h"
#include "security/security.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Canonical names, indexed by capability number (linux/capability.h). */
static const char *const cap_names[] = {
	[0] = "CAP_CHOWN",
	[1] = "CAP_DAC_OVERRIDE",
	[2] = "CAP_DAC_READ_SEARCH",
	[3] = "CAP_FOWNER",
	[4] = "CAP_FSETID",
	[5] = "CAP_KILL",
	[6] = "CAP_SETGID",
	[7] = "CAP_SETUID",
	[8] = "CAP_SETPCAP",
	[9] = "CAP_LINUX_IMMUTABLE",
	[10] = "CAP_NET_BIND_SERVICE",
	[11] = "CAP_NET_BROADCAST",
	[12] = "CAP_NET_ADMIN",
	[13] = "CAP_NET_RAW",
	[14] = "CAP_IPC_LOCK",
	[15] = "CAP_IPC_OWNER",
	[16] = "CAP_SYS_MODULE",
	[17] = "CAP_SYS_RAWIO",
	[18] = "CAP_SYS_CHROOT",
	[19] = "CAP_SYS_PTRACE",
	[20] = "CAP_SYS_PACCT",
	[21] = "CAP_SYS_ADMIN",
	[22] = "CAP_SYS_BOOT",
	[23] = "CAP_SYS_NICE",
	[24] = "CAP_SYS_RESOURCE",
	[25] = "CAP_SYS_TIME",
	[26] = "CAP_SYS_TTY_CONFIG",
	[27] = "CAP_MKNOD",
	[28] = "CAP_LEASE",
	[29] = "CAP_AUDIT_WRITE",
	[30] = "CAP_AUDIT_CONTROL",
	[31] = "CAP_SETFCAP",
	[32] = "CAP_MAC_OVERRIDE",
	[33] = "CAP_MAC_ADMIN",
	[34] = "CAP_SYSLOG",
	[35] = "CAP_WAKE_ALARM",
	[36] = "CAP_BLOCK_SUSPEND",
	[37] = "CAP_AUDIT_READ",
	[38] = "CAP_PERFMON",
	[39] = "CAP_BPF",
	[40] = "CAP_CHECKPOINT_RESTORE",
};

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

/* --- the kernel's last capability, read once --- */

static pthread_once_t cap_last_once = PTHREAD_ONCE_INIT;
static int cap_last_value; /* written once under cap_last_once */

static void cap_last_init(void)
{
	int v = CAP_LAST_CAP; /* what we were compiled against */
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[32];
		ssize_t n;
		do
			n = read(fd, buf, sizeof buf - 1);
		while (n < 0 && errno == EINTR);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			char *end;
			long l = strtol(buf, &end, 10);
			if (end != buf && l >= 0 && l < 64)
				v = (int)l;
		}
	}
	cap_last_value = v;
}

int berth__cap_last(void)
{
	pthread_once(&cap_last_once, cap_last_init);
	return cap_last_value;
}

/* --- names --- */

const char *berth__cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= BERTH_ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

int berth__cap_from_name(int *out, const char *name)
{
	if (!name)
		return berth__err(BERTH_EINVAL, "capability: missing name");
	const char *p = name;
	if (strncasecmp(p, "cap_", 4) == 0)
		p += 4;
	/* libcap would also take numbers; names only here. */
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
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cap_names); i++) {
		if (cap_names[i] && strcasecmp(cap_names[i] + 4, p) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return berth__err(BERTH_EINVAL, "unknown capability '%s'", name);
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
		const char *name = berth__cap_name(cap);
		if (!name)
			continue;
		if (json_array_append_new(arr, json_string(name)) < 0) {
			json_decref(arr);
			berth__err_nomem();
			return NULL;
		}
	}
	return arr;
}
