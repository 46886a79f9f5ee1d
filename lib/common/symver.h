/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Symbol versions for a function whose signature changed (docs/abi.md).
 *
 * The old version keeps its old behaviour under its release's node; the new
 * one is the default that programs built now bind to:
 *
 *   BERTH__SYMVER_DEFAULT(berth__port_parse_0_2, berth_port_parse, "BERTH_0.2");
 *   BERTH_EXTERN int berth__port_parse_0_2(berth_port_list **out, const char *spec) { ... }
 *   BERTH__SYMVER_COMPAT(berth__port_parse_0_1, berth_port_parse, "BERTH_0.1");
 *
 * The public name is listed in both nodes of lib/berth.map; no function is
 * defined under the plain name (GNU ld would give it to the first node).
 * Inside the library and in a static link the plain name resolves to the
 * default version. */
#ifndef BERTH_COMMON_SYMVER_H
#define BERTH_COMMON_SYMVER_H

/* impl is declared with the public prototype's type: a definition that does
 * not match the header fails to compile. */
#define BERTH__SYMVER_DEFAULT(impl, name, node)                                                                        \
	BERTH_EXTERN __typeof__(name) impl;                                                                            \
	__asm__(".symver " #impl "," #name "@@" node)
#define BERTH__SYMVER_COMPAT(impl, name, node) __asm__(".symver " #impl "," #name "@" node)

#endif
