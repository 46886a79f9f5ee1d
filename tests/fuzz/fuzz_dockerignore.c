/* SPDX-License-Identifier: LGPL-2.1-or-later
 * .dockerignore files (lib/build/ignore.c): berth__ignore_parse on any text,
 * then matching fixed paths and the patterns themselves (as paths), as a
 * build walks its context. */
#include "fuzz_common.h"
#include "internal.h"
#include "build/build_internal.h"
#include <stdlib.h>
#include <string.h>

static const char *const paths[] = { "a", "a/b", "a/b/c.txt", ".git", "node_modules/x/y", "Dockerfile",
	"dir/.dockerignore", "[x]", "a\\b", "**", "deep/er/and/deeper/still/file.go" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bd_ignore ig;
	memset(&ig, 0, sizeof ig);
	if (berth__ignore_parse(&ig, (const char *)data, size) != 0)
		return 0;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		int m = berth__ignore_match(&ig, paths[i]);
		FZ_ASSERT(m == 0 || m == 1, "match '%s': %d", paths[i], m);
		berth__ignore_dir_has_exceptions(&ig, paths[i]);
	}
	for (size_t i = 0; i < ig.n && i < 16; i++) {
		berth__ignore_match(&ig, ig.pat[i]);
		berth__glob_match(ig.pat[i], ig.pat[i], 1);
		berth__glob_match(ig.pat[i], ig.pat[(i + 1) % ig.n], 0);
		free(berth__bd_clean_path(ig.pat[i], 1));
	}
	berth__ignore_free(&ig);
	return 0;
}
