/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What the runtime uses of the network area: a container's network set up
 * and torn down (attach.c), its ports published and unpublished
 * (publish.c), host ports reserved (reserve.c) and the loopback proxy
 * (proxy.c). The network area knows nothing of the runtime: it takes
 * typed values and a container's root dir, never a container handle. */
#ifndef BERTH_NET_NET_H
#define BERTH_NET_NET_H

#include "internal.h"
#include "common/port.h"
#include <berth/net.h>

/* A container's network as its spec asks for it (the spec's typed settings). */
typedef struct berth__net_request {
	const char *mode;       /* "none", "host", "bridge", "container:ID" or a network name */
	const berth_port *ports;
	size_t n_ports;
	const char *const *dns; /* NULL: the host's servers */
} berth__net_request;

/* 1 when the request publishes ports (on a bridge network), 0 when it does
 * not; BERTH_EINVAL naming container id for ports on none, host or
 * container:ID and for a malformed port. */
BERTH_HIDDEN int berth__net_check(const berth__net_request *req, const char *id);

typedef struct berth__netsetup berth__netsetup;
/* Before clone: spec is the runtime's own copy of the OCI JSON and may be
 * changed (bind mounts of the /etc files, the netns path of container:ID,
 * the hostname). For a bridge network: allocates the address, reserves the
 * host ports, writes the files and network.json. *out NULL when there is
 * nothing to do after clone (none, host, container:). */
BERTH_HIDDEN int berth__net_prepare(berth__netsetup **out, berth_ctx *ctx, const char *id, const char *root_dir,
                                    json_t *spec, const berth__net_request *req);
/* After clone, while the child waits at its gate: veth, addresses, routes, DNAT. */
BERTH_HIDDEN int berth__net_attach(berth__netsetup *ns, pid_t pid);
/* Success: hands the reserved port fds over (*fds, *n, malloc'd) and frees ns. */
BERTH_HIDDEN void berth__net_done(berth__netsetup *ns, int **fds, berth_port **ports, size_t *n, char **addr);
/* Failure: undoes everything prepare and attach did, frees ns. NULL is fine. */
BERTH_HIDDEN void berth__net_abort(berth__netsetup *ns);
/* Undoes a container's network from its network.json (idempotent; at exit,
 * delete and stale cleanup). */
BERTH_HIDDEN int berth__net_teardown(berth_ctx *ctx, const char *id, const char *root_dir);
/* network.json of a container (what inspect shows), NULL if none. */
BERTH_HIDDEN json_t *berth__net_record_load(const char *root_dir);

/* The published ports recorded for the container at root_dir (malloc'd,
 * *n may be 0) and, on a bridge network, its address in addr ("" else). */
BERTH_HIDDEN int berth__net_ports(berth_port **out, size_t *n, char addr[16], const char *root_dir);
/* Publishes p for the running container at root_dir (on a bridge network:
 * BERTH_EINVAL else): reserves the host port (*out_fd; p->host_port set),
 * adds the DNAT element, records it; addr: the container's address. BERTH_EEXISTS when that host port is
 * published already. Errors name the port, not the container. */
BERTH_HIDDEN int berth__net_port_publish(int *out_fd, char addr[16], berth_port *p, const char *root_dir);
/* Removes a publication matched on host address, host port and protocol:
 * the DNAT element and the record; *removed gets the recorded port.
 * BERTH_ENOTFOUND when it is not published. */
BERTH_HIDDEN int berth__net_port_unpublish(berth_port *removed, const char *root_dir, const berth_port *p);
/* Checks a port a caller gives (berth__port_check, and IPv4 host addresses
 * only); what names the operation (spec_net.c). */
BERTH_HIDDEN int berth__check_port(const berth_port *p, const char *what);
/* Same host address, host port and protocol. */
BERTH_HIDDEN int berth__port_same(const berth_port *a, const berth_port *b);

/* Reserves a host port: binds p->host_ip (or 0.0.0.0):p->host_port; with
 * host_port 0 the kernel picks a free one and p->host_port is set; with a
 * pool (host_port_end) the first free port of it is taken, p->host_port set
 * and p->host_port_end cleared. TCP: a
 * listening socket (the loopback proxy accepts on it); UDP: a bound socket.
 * O_CLOEXEC. BERTH_EEXISTS "host port 8080/tcp is already in use". */
BERTH_HIDDEN int berth__port_reserve(int *out_fd, berth_port *p);

/* The loopback proxy: one thread with an epoll loop, splice() for TCP,
 * a relay with per-client sockets for UDP. Takes ownership of the fds. */
typedef struct berth__proxy berth__proxy;
BERTH_HIDDEN int berth__proxy_start(berth__proxy **out);
BERTH_HIDDEN int berth__proxy_add(berth__proxy *px, int reserved_fd, const berth_port *p, const char *container_ip);
BERTH_HIDDEN int berth__proxy_remove(berth__proxy *px, const berth_port *p);
/* How long a UDP client may stay silent before its relay socket is closed
 * (0: the default, 90 s). */
BERTH_HIDDEN void berth__proxy_set_udp_idle(berth__proxy *px, unsigned int ms);
/* Stops the thread, closes every socket. NULL is fine. */
BERTH_HIDDEN void berth__proxy_stop(berth__proxy *px);

#endif
