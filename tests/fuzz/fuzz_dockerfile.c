/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Dockerfiles (lib/build/parse.c): berth__dockerfile_parse on any text, then
 * every instruction's words substituted as the builder does (split and whole,
 * JSON arguments with quote processing off) and its paths cleaned. */
#include "fuzz_common.h"
#include "internal.h"
#include "build/build_internal.h"
#include <stdlib.h>
#include <string.h>

/* Variables: names starting with an upper-case letter are set (to a value
 * with quotes, blanks and a '$' that must not be expanded again). */
static const char *lookup(const char *name, size_t len, void *payload)
{
	(void)payload;
	if (len && name[0] >= 'A' && name[0] <= 'Z')
		return len & 1 ? "a b\t'c\" $X" : "";
	return NULL;
}

static void words(const char *s, char esc, int split)
{
	char **w = NULL;
	size_t n = 0;
	if (berth__bd_words(&w, &n, s, esc, split, lookup, NULL) == 0) {
		FZ_ASSERT(w != NULL && w[n] == NULL, "words of '%s': not NULL-terminated at %zu", s, n);
		FZ_ASSERT(split || n == 1, "'%s' unsplit gave %zu words", s, n);
		for (size_t i = 0; i < n; i++)
			free(berth__bd_clean_path(w[i], i & 1));
		free(w);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bd_file f;
	memset(&f, 0, sizeof f);
	if (berth__dockerfile_parse(&f, (const char *)data, size, "Dockerfile") != 0)
		return 0;
	FZ_ASSERT(f.escape == '\\' || f.escape == '`', "escape '%c'", f.escape);
	for (size_t i = 0; i < f.n; i++) {
		const bd_instr *in = &f.v[i];
		FZ_ASSERT(in->cmd && in->rest && in->line >= 1, "instruction %zu incomplete", i);
		if (in->json) {
			for (size_t k = 0; k < in->nargs; k++)
				words(in->args[k], '\0', 0);
		} else {
			words(in->rest, f.escape, 1);
			words(in->rest, f.escape, 0);
		}
	}
	berth__dockerfile_free(&f);
	return 0;
}
