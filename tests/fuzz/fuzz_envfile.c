/* SPDX-License-Identifier: LGPL-2.1-or-later
 * --env-file (examples/berth/envfile.c, the CLI's reader; the library takes
 * VAR=value strings): any text split into entries, each set on a spec as
 * `berth run --env-file` does (a bare VAR is looked up in the environment). */
#include "fuzz_common.h"
#include "internal.h"
#include "envfile.h"
#include <stdlib.h>
#include <string.h>

static int take(const char *entry, void *payload)
{
	berth_spec *spec = payload;
	FZ_ASSERT(*entry && *entry != '#' && *entry != ' ' && *entry != '\t' && !strpbrk(entry, "\r\n"),
	          "entry '%s' should have been skipped or trimmed", entry);
	if (*entry == '=')
		return 0; /* the CLI refuses it */
	if (!strchr(entry, '=')) {
		const char *v = getenv(entry);
		if (v) {
			char *kv = berth__sprintf("%s=%s", entry, v);
			berth_spec_setenv(spec, kv);
			free(kv);
		}
		return 0;
	}
	berth_spec_setenv(spec, entry);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_str(data, size);
	/* berth_spec_new's spec without its seccomp profile (that would make each
	 * input 20 times slower), made once */
	static char *base;
	if (!base) {
		berth_spec *def = NULL;
		FZ_ASSERT(berth_spec_new(&def) == 0, "spec_new: %s", berth_error_last()->message);
		json_object_del(json_object_get(def->root, "linux"), "seccomp");
		base = json_dumps(def->root, JSON_COMPACT);
		berth_spec_free(def);
	}
	berth_spec *spec = NULL;
	FZ_ASSERT(berth_spec_parse(&spec, base, strlen(base)) == 0 && berth_spec_validate(spec) == 0, "base spec: %s",
	          berth_error_last()->message);
	FZ_ASSERT(env_file_parse(text, take, spec) == 0, "env_file_parse failed");
	FZ_ASSERT(berth_spec_validate(spec) == 0, "env file made an invalid spec: %s", berth_error_last()->message);
	berth_spec_free(spec);
	free(text);
	return 0;
}
