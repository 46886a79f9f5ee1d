/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * berth.h: the whole public API of libberth. See docs/api.md.
 */
#ifndef BERTH_BERTH_H
#define BERTH_BERTH_H

#include "common.h"
#include "context.h"
#include "spec.h"
#include "namespace.h"
#include "container.h"
#include "log.h"
#include "cgroup.h"
#include "image.h"
#include "build.h"
#include "net.h"
#include "volume.h"

#endif
