/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Image references (lib/image/reference.c): berth_ref_parse on any string;
 * a parsed reference's full and familiar forms parse again to the same one. */
#include "fuzz_common.h"
#include "internal.h"
#include <stdlib.h>
#include <string.h>

static void reparse(const char *s, const char *want)
{
	berth_ref *r = NULL;
	FZ_ASSERT(berth_ref_parse(&r, s) == 0, "'%s' (from a parsed reference) does not parse: %s", s,
	          berth_error_last()->message);
	FZ_ASSERT(!strcmp(berth_ref_string(r), want), "'%s' parses to '%s', not '%s'", s, berth_ref_string(r), want);
	berth_ref_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size);
	berth_ref *r = NULL;
	if (berth_ref_parse(&r, s) == 0) {
		const char *full = berth_ref_string(r);
		FZ_ASSERT(berth_ref_domain(r) && berth_ref_path(r) && berth_ref_registry(r), "'%s': a part is NULL", s);
		FZ_ASSERT(berth_ref_tag(r) || berth_ref_digest(r), "'%s': neither tag nor digest", s);
		reparse(full, full);
		reparse(berth_ref_familiar(r), full);
		berth_ref_free(r);
	} else {
		FZ_ASSERT(r == NULL, "'%s': out set on failure", s);
		FZ_ASSERT(berth_error_last()->message[0], "'%s': failure without a message", s);
	}
	free(s);
	return 0;
}
