/* SPDX-License-Identifier: LGPL-2.1-or-later
 * berth's own settings of a spec, next to its OCI JSON (lib/spec/ext.c).
 *
 * They are typed members of the spec handle, set by the public setters
 * (network, ports, dns, image, privileged, cgroup parent) and read by the
 * runtime; never OCI annotations: every `io.berth.*` annotation a caller
 * gives is refused. Serialised as one versioned top-level object of
 * config.json (documented in docs/api.md, "berth's extension"):
 *
 *   "berth": { "version": 1, "network": "bridge",
 *              "ports": [{"hostIp": "", "hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
 *              "dns": ["1.1.1.1"], "image": "<id>", "exposedPorts": ["80/tcp"],
 *              "privileged": true, "cgroupParent": "a/b", "stopSignal": 3 }
 *
 * (only what is set). OCI runtimes ignore an unknown top-level property,
 * so the file stays a valid runtime-spec config.json. The same object is kept
 * in a container's state.json (berthStateVersion 2). Containers of berth 0.1
 * kept these as io.berth.* annotations: berth__spec_json_upgrade reads them
 * once, when such a file is loaded. The struct, berth__spec_ext, is in
 * internal.h with the handle's. */
#ifndef BERTH_SPEC_EXT_H
#define BERTH_SPEC_EXT_H

#include "internal.h"
#include "common/port.h"

#define BERTH__EXT_KEY "berth"
#define BERTH__EXT_VERSION 1
/* state.json's schema: absent = berth 0.1 (io.berth.* annotations); 2 = a "berth" object */
#define BERTH__STATE_VERSION_KEY "berthStateVersion"
#define BERTH__STATE_VERSION 2
/* the annotation prefix reserved for berth (refused from callers) */
#define BERTH__RESERVED_ANNOTATION "io.berth."


/* Frees the members and zeroes *e. */
BERTH_HIDDEN void berth__spec_ext_clear(berth__spec_ext *e);
/* A deep copy into *dst (cleared first); dst untouched on ENOMEM. */
BERTH_HIDDEN int berth__spec_ext_copy(berth__spec_ext *dst, const berth__spec_ext *src);
/* The "berth" object {"version": 1, ...}; NULL (error set) on ENOMEM. */
BERTH_HIDDEN json_t *berth__spec_ext_json(const berth__spec_ext *e);
/* Reads a "berth" object into *e (cleared first, untouched on failure):
 * version 1, known keys and their types; BERTH_EINVAL naming what.key. */
BERTH_HIDDEN int berth__spec_ext_from_json(berth__spec_ext *e, const json_t *j, const char *what);
/* A spec document from a caller (parse, load): refuses io.berth.*
 * annotations, moves its "berth" object (if any) into *e. */
BERTH_HIDDEN int berth__spec_ext_take(berth__spec_ext *e, json_t *root, const char *what);
/* BERTH_EINVAL "<what>: annotation io.berth.x is reserved for berth ..." for
 * a key with the reserved prefix, else 0. */
BERTH_HIDDEN int berth__annotation_check(const char *key, const char *what);
/* A config.json or state.json berth 0.1 wrote: its io.berth.* annotations
 * become the "berth" object, in place (malformed values are dropped, as the
 * old readers ignored them). Returns 1 when something was converted. */
BERTH_HIDDEN int berth__spec_json_upgrade(json_t *root);
/* A spec as config.json: its OCI JSON root with the "berth" object of e when
 * anything is set (a new reference; shares root's members). NULL (error
 * set) on ENOMEM. */
BERTH_HIDDEN json_t *berth__spec_json_with_ext(json_t *root, const berth__spec_ext *e);
/* Replaces a string member (NULL clears). */
BERTH_HIDDEN int berth__spec_ext_set_str(char **field, const char *value);
/* The network mode, "none" when unset. */
BERTH_HIDDEN const char *berth__spec_ext_network(const berth__spec_ext *e);
/* none, host, bridge, container:ID or a network name: BERTH_EINVAL otherwise. */
BERTH_HIDDEN int berth__spec_check_network(const char *mode);
/* A port <-> {"hostIp", "hostPort", "containerPort", "protocol"[, "hostPortEnd"]};
 * from_json: -1 when malformed (no error set). */
BERTH_HIDDEN json_t *berth__port_json(const berth_port *p);
BERTH_HIDDEN int berth__port_from_json(berth_port *p, const json_t *j);

#endif
