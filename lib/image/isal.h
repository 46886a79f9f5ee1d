/* SPDX-License-Identifier: LGPL-2.1-or-later
 * ISA-L's inflate, dlopen()ed on first use (lib/image/isal.dl). Call
 * berth__isal_ok() first: isal_inflate_init and isal_inflate (hidden
 * wrappers, isal_dl.c) do nothing useful unless it is 1. */
#ifndef BERTH_IMAGE_ISAL_H
#define BERTH_IMAGE_ISAL_H

#include "internal.h"
#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define BERTH_HAVE_ISAL 1
/* Why ISA-L cannot be used, or NULL (loads it). */
BERTH_HIDDEN const char *berth__isal_error(void);
static inline int berth__isal_ok(void)
{
	return berth__isal_error() == NULL;
}
#endif

#endif
