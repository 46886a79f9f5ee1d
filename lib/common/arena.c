/* SPDX-License-Identifier: LGPL-2.1-or-later
 * An arena: allocations chained on one pointer and freed together (a
 * container's typed config, a plan before clone). */
#include "internal.h"
#include <stdlib.h>

typedef struct arena_node { struct arena_node *next; } arena_node;

void *berth__arena_alloc(void **arena, size_t n)
{
	arena_node *a = calloc(1, sizeof(arena_node) + n + 1);
	if (!a) {
		berth__err_nomem();
		return NULL;
	}
	a->next = *arena;
	*arena = a;
	return a + 1;
}

void berth__arena_free(void **arena)
{
	arena_node *a = *arena;
	while (a) {
		arena_node *n = a->next;
		free(a);
		a = n;
	}
	*arena = NULL;
}
