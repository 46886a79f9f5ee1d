/* SPDX-License-Identifier: LGPL-2.1-or-later
 * WWW-Authenticate challenges (lib/image/registry_http.c, as a registry sends
 * them): berth__reg_parse_challenge on any header value, into small and large
 * buffers; the results stay NUL-terminated within their buffers. Also the
 * base64 decoder used for registry credentials. */
#include "fuzz_common.h"
#include "internal.h"
#include "image/registry.h"
#include <stdlib.h>
#include <string.h>

static void parse_into(const char *h, size_t len)
{
	char *realm = malloc(len), *service = malloc(len), *scope = malloc(len);
	int bearer = -1;
	if (berth__reg_parse_challenge(h, &bearer, realm, len, service, len, scope, len) == 0) {
		FZ_ASSERT(bearer == 0 || bearer == 1, "bearer %d", bearer);
		FZ_ASSERT(strlen(realm) < len && strlen(service) < len && strlen(scope) < len, "overlong field");
	}
	free(realm);
	free(service);
	free(scope);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = fz_str(data, size);
	parse_into(h, 1);
	parse_into(h, 7);
	parse_into(h, 1024);
	size_t n = 0;
	char *dec = berth__base64_decode(h, &n);
	if (dec) {
		FZ_ASSERT(n <= strlen(h) / 4 * 3 + 3, "decoded %zu bytes from %zu", n, strlen(h));
		char *enc = berth__base64(dec, n);
		FZ_ASSERT(enc != NULL, "base64 of %zu bytes failed", n);
		free(enc);
		free(dec);
	}
	free(h);
	return 0;
}
