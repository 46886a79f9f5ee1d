/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The loader of optional libraries: see dl.h. */
#include "common/dl.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* "libfoo.so.1" or "libfoo.so.1, libbar.so.2" */
static void join_sonames(char *out, size_t size, const berth__dl_spec *spec)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < spec->n_sonames && len < size; i++) {
		int n = snprintf(out + len, size - len, "%s%s", i ? ", " : "", spec->sonames[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static void fail(const berth__dl_spec *spec, void **slots, void **handles, size_t n_open)
{
	memset(slots, 0, spec->n_symbols * sizeof *slots);
	while (n_open--)
		dlclose(handles[n_open]);
}

void berth__dl_load(const berth__dl_spec *spec, void **slots, char *err, size_t errlen)
{
	void *handles[8];
	size_t n_open = 0;
	char names[256];
	join_sonames(names, sizeof names, spec);
	err[0] = '\0';
	if (spec->n_sonames > BERTH_ARRAY_SIZE(handles)) {
		snprintf(err, errlen, "%s (%s): too many libraries in one list", spec->library, names);
		return;
	}
	for (; n_open < spec->n_sonames; n_open++) {
		if (!(handles[n_open] = dlopen(spec->sonames[n_open], RTLD_NOW | RTLD_LOCAL))) {
			snprintf(err, errlen, "%s (%s) is not available: %s", spec->library, names, dlerror());
			fail(spec, slots, handles, n_open);
			return;
		}
	}
	for (size_t i = 0; i < spec->n_symbols; i++) {
		slots[i] = NULL;
		for (size_t k = 0; k < n_open && !slots[i]; k++)
			slots[i] = dlsym(handles[k], spec->symbols[i]);
		if (!slots[i]) {
			snprintf(err, errlen, "%s (%s) lacks the function %s that berth needs (too old a version?)",
			         spec->library, names, spec->symbols[i]);
			fail(spec, slots, handles, n_open);
			return;
		}
	}
}

void berth__dl_load_once(berth__dl *d)
{
	pthread_mutex_lock(&d->lock);
	if (!atomic_load_explicit(&d->done, memory_order_relaxed)) {
		berth__dl_load(d->spec, d->slots, d->error, sizeof d->error);
		atomic_store_explicit(&d->done, 1, memory_order_release);
	}
	pthread_mutex_unlock(&d->lock);
}
