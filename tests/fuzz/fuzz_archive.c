/* SPDX-License-Identifier: LGPL-2.1-or-later
 * `docker save` and OCI archives (lib/image/archive.c, berth_image_load; the
 * manifests, configs and layer tars inside): any bytes (ustar checksums fixed
 * up, so nested layer tars stay readable) loaded into a store in a fresh temp
 * root; each loaded image is then opened, inspected and made into a spec (its
 * config applied as `berth run` does). The root is removed after each input
 * and nothing may appear beside it; as root the rest of the host is read-only
 * (fz_protect_host) and an EROFS error is a finding. */
#include "fuzz_common.h"
#include "internal.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static void use_image(berth_ctx *ctx, const char *line)
{
	/* "sha256:<config> [reference]": the image id, then its tag if any */
	char id[128];
	snprintf(id, sizeof id, "%.*s", (int)strcspn(line, " "), line);
	berth_image *img = NULL;
	FZ_ASSERT(berth_image_open(&img, ctx, id) == 0, "loaded '%s' does not open: %s", line,
	          berth_error_last()->message);
	char *s = NULL;
	FZ_ASSERT(berth_image_inspect(&s, img) == 0, "inspect '%s': %s", line, berth_error_last()->message);
	berth_free(s);
	berth_spec *spec = NULL;
	FZ_ASSERT(berth_spec_new(&spec) == 0, "spec_new");
	if (berth_spec_set_image(spec, img, NULL, NULL) == 0)
		FZ_ASSERT(berth_spec_validate(spec) == 0, "the spec of '%s' is invalid: %s", line,
		          berth_error_last()->message);
	berth_spec_free(spec);
	berth_image_free(img);
}
FZ_PROTECT_HOST_INIT()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int in = fz_tar_input(data, size);
	const char *root = fz_root();
	char store[4300], run[4300];
	snprintf(store, sizeof store, "%s/store", root);
	snprintf(run, sizeof run, "%s/run", root);
	berth_ctx_options o = BERTH_CTX_OPTIONS_INIT;
	o.root = store;
	o.run_root = run;
	berth_ctx *ctx = NULL;
	FZ_ASSERT(berth_ctx_new(&ctx, &o) == 0, "ctx: %s", berth_error_last()->message);
	char **loaded = NULL;
	if (berth_image_load(&loaded, ctx, in) == 0) {
		for (char **l = loaded; *l; l++)
			use_image(ctx, *l);
		berth_free(loaded);
	} else {
		fz_check_errno("load");
	}
	berth_ctx_free(ctx);
	close(in);
	fz_root_done();
	return 0;
}
