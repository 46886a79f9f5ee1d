/* SPDX-License-Identifier: LGPL-2.1-or-later
 * SHA-256 through OpenSSL's low-level interface. The EVP interface would be
 * the modern choice, but its first use loads OpenSSL's configuration and
 * providers (~6 ms here), a cost every container start would pay; the
 * low-level functions are the same implementation without that set-up. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "internal.h"
#include <openssl/sha.h>

void berth__sha256_init(berth__sha256_ctx *c)
{
	_Static_assert(sizeof(berth__sha256_ctx) >= sizeof(SHA256_CTX), "berth__sha256_ctx too small");
	SHA256_Init((SHA256_CTX *)(void *)c->opaque);
}

void berth__sha256_update(berth__sha256_ctx *c, const void *data, size_t len)
{
	SHA256_Update((SHA256_CTX *)(void *)c->opaque, data, len);
}

void berth__sha256_final_hex(berth__sha256_ctx *c, char out[65])
{
	unsigned char md[32];
	SHA256_Final(md, (SHA256_CTX *)(void *)c->opaque);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
