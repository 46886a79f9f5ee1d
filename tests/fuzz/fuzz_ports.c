/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Port specs (lib/net/ports.c): berth_port_parse on any string; every port
 * it returns passes the library's own check and formats. */
#include "fuzz_common.h"
#include "internal.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size);
	berth_port_list *v = NULL;
	if (berth_port_parse(&v, s) == 0) {
		size_t n = berth_port_list_count(v);
		FZ_ASSERT(n > 0 && n <= 65535, "'%s': %zu ports", s, n);
		for (size_t i = 0; i < n; i++) {
			char *f = NULL;
			FZ_ASSERT(berth_port_format(&f, berth_port_list_get(v, i)) == 0, "'%s': port %zu does not format: %s",
			          s, i, berth_error_last()->message);
			berth_free(f);
		}
		berth_port_list_free(v);
	} else {
		FZ_ASSERT(v == NULL, "'%s': out set on failure", s);
	}
	free(s);
	return 0;
}
