/* SPDX-License-Identifier: LGPL-2.1-or-later
 * ISA-L's inflate, dlopen()ed on first use (lib/image/isal_dl.c). Call
 * berth__isal_ok() first: the other two may only be called when it is 1. */
#ifndef BERTH_IMAGE_ISAL_H
#define BERTH_IMAGE_ISAL_H

#include "internal.h"
#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define BERTH_HAVE_ISAL 1
BERTH_HIDDEN int berth__isal_ok(void);
BERTH_HIDDEN void berth__isal_inflate_init(struct inflate_state *s);
BERTH_HIDDEN int berth__isal_inflate(struct inflate_state *s);
#endif

#endif
