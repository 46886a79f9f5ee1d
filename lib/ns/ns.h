/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BERTH_NS_NS_H
#define BERTH_NS_NS_H
#include "internal.h"
/* "net", "mnt", ... : the name under /proc/PID/ns/. */
BERTH_HIDDEN const char *berth__ns_proc_name(int type);
BERTH_HIDDEN int berth__ns_type_of_flag(unsigned long flag);
#endif
