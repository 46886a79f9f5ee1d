/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What a berth_port is inside the library (opaque to callers since 0.2,
 * include/berth/port.h). Free to change: callers only see accessors. The
 * 0.1 layout callers built against 0.1 still use is in ports_compat.c. */
#ifndef BERTH_COMMON_PORT_H
#define BERTH_COMMON_PORT_H

#include "internal.h"
#include "common/symver.h"
#include <berth/port.h>

#define BERTH__HOST_IP_MAX 46 /* INET6_ADDRSTRLEN */

struct berth_port {
	char host_ip[BERTH__HOST_IP_MAX]; /* "" = every address of the host (0.0.0.0) */
	unsigned int host_port;           /* 0 = a free port picked at create */
	unsigned int container_port;      /* 1..65535 */
	int protocol;                     /* a berth_proto */
	unsigned int host_port_end;       /* 0, or > host_port: a pool (docker's 8000-8010:80):
	                                     the first free port of host_port..host_port_end is
	                                     taken at create, then host_port is that port and
	                                     host_port_end is 0 */
};

struct berth_port_list {
	size_t n;
	berth_port *v; /* n ports, one allocation */
};

/* A list taking over v (n ports, malloc'd; v may be NULL when n is 0); NULL
 * (v freed, the error set) when out of memory. */
BERTH_HIDDEN berth_port_list *berth__port_list_take(berth_port *v, size_t n);

#endif
