/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ISA-L's inflate (libisal.so.2, BSD-3-Clause), loaded when first needed.
 *
 * Decompressing gzip layers is most of a pull's CPU time; ISA-L's inflate
 * does it several times faster than zlib (which libarchive uses). Like
 * libcurl and libarchive it is dlopen()ed on first use (pthread_once), so
 * programs that never unpack a layer never load it, and berth works without
 * it: berth__isal_ok() is 0 and layers go through libarchive's gzip filter.
 */
#include "image/isal.h"
#ifdef BERTH_HAVE_ISAL
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

static struct {
	void (*init)(struct inflate_state *);
	int (*inflate)(struct inflate_state *);
} T;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	void *i = dlsym(h, "isal_inflate_init"), *f = dlsym(h, "isal_inflate");
	if (!i || !f)
		return;
	*(void **)(void *)&T.init = i;
	*(void **)(void *)&T.inflate = f;
}

int berth__isal_ok(void)
{
	pthread_once(&once, load);
	return T.inflate != NULL;
}

void berth__isal_inflate_init(struct inflate_state *s)
{
	T.init(s);
}

int berth__isal_inflate(struct inflate_state *s)
{
	return T.inflate(s);
}
#endif
