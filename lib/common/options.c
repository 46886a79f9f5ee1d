/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Versioned options structs (a caller built against an older header passes
 * an older, shorter struct) and byte sizes given by users. */
#include "internal.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int berth__check_version(unsigned int version, unsigned int current, const char *name)
{
	if (version >= 1 && version <= current)
		return 0;
	char macro[96];
	size_t i = 0;
	for (; name[i] && i + 1 < sizeof macro; i++)
		macro[i] = (char)toupper((unsigned char)name[i]);
	macro[i] = '\0';
	return berth__err(BERTH_EINVAL, "%s: unknown version %u (this library knows 1 to %u; start from %s_INIT or %s_init())",
	                  name, version, current, macro, name);
}

int berth__options_init(void *opts, unsigned int version, const void *tmpl, const size_t *sizes,
                        unsigned int nversions, const char *name)
{
	if (!opts)
		return berth__err(BERTH_EINVAL, "%s_init: NULL options", name);
	int r = berth__check_version(version, nversions, name);
	if (r < 0)
		return r;
	memcpy(opts, tmpl, sizes[version - 1]);
	*(unsigned int *)opts = version;
	berth__err_ok();
	return 0;
}

int berth__options_copy(void *dst, const void *src, const size_t *sizes, unsigned nversions, const char *what)
{
	unsigned v = *(const unsigned int *)src;
	int r = berth__check_version(v, nversions, what);
	if (r < 0)
		return r;
	memcpy(dst, src, sizes[v - 1]);
	*(unsigned int *)dst = nversions;
	return 0;
}

int berth__parse_size(uint64_t *out, const char *s)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	uint64_t whole = 0, frac = 0, scale = 1;
	const char *p = s;
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t digit = (uint64_t)(*p - '0');
		if (whole > (UINT64_MAX - digit) / 10)
			return -1;
		whole = whole * 10 + digit;
	}
	if (*p == '.') /* up to 6 decimals: 1.5G */
		for (p++; isdigit((unsigned char)*p); p++)
			if (scale < 1000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	unsigned shift = 0;
	const char *units = "kmgtp";
	const char *u = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
	if (u) {
		shift = 10 * (unsigned)(u - units + 1);
		p++;
		if (tolower((unsigned char)*p) == 'i')
			p++;
		if (tolower((unsigned char)*p) == 'b')
			p++;
	} else if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p || (shift && whole > (UINT64_MAX >> shift)) || (!shift && frac))
		return -1;
	*out = (whole << shift) + (uint64_t)(((unsigned __int128)frac << shift) / scale);
	return 0;
}

void berth__format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	double v = (double)bytes / 1024;
	size_t i = 0;
	while (v >= 1024 && i + 1 < BERTH_ARRAY_SIZE(units)) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, units[i]);
}
