# SPDX-License-Identifier: LGPL-2.1-or-later
"""Volumes (include/berth/volume.h): named and anonymous volumes, as Docker's
local volumes. Used through Context: ctx.create_volume("data"),
ctx.volumes(), ctx.volume("data"), ctx.remove_volume("data"),
ctx.prune_volumes(); a container gets one with run(volumes=["data:/var/lib/db"])
(or ("data", "/var/lib/db"), or Spec.add_named_volume()). See docs/volumes.md."""
import json
from ctypes import byref, c_uint64, c_void_p

from . import _lib
from ._lib import dec, enc, lib, take_string, take_strv


def create(ctx_handle, name=None):
    """Creates a volume (name None: anonymous, a random 64-hex name); an
    existing one is kept. Returns the name."""
    out = c_void_p()
    lib.berth_volume_create(byref(out), ctx_handle, enc(name) if name else None)
    return dec(take_string(out))


def remove(ctx_handle, name):
    """berth.NotFound if there is none, berth.Busy (naming the container)
    while a container uses it."""
    lib.berth_volume_remove(ctx_handle, enc(name), 0)


def names(ctx_handle):
    out = c_void_p()
    lib.berth_volume_list(byref(out), ctx_handle)
    return [dec(n) for n in take_strv(out)]


def inspect(ctx_handle, name):
    """A dict: Name, Driver, Mountpoint, CreatedAt, Labels, Scope, Options,
    Anonymous, UsedBy (container ids)."""
    out = c_void_p()
    lib.berth_volume_inspect(byref(out), ctx_handle, enc(name))
    return json.loads(dec(take_string(out)))


def prune(ctx_handle, all=False):
    """Removes unused volumes (anonymous ones; every one with all=True).
    Returns {"VolumesDeleted": [names], "SpaceReclaimed": bytes}, as the
    Docker SDK does."""
    out = c_void_p()
    n = c_uint64()
    lib.berth_volume_prune(byref(out), byref(n), ctx_handle, _lib.VOLUME_PRUNE_ALL if all else 0)
    return {"VolumesDeleted": [dec(x) for x in take_strv(out)], "SpaceReclaimed": n.value}
