# SPDX-License-Identifier: LGPL-2.1-or-later
"""Networks and published ports (include/berth/net.h).

    ports = berth.net.parse_ports("127.0.0.1:8080:80/tcp")   # [Port(...)]
    ctx.run(["httpd", "-f"], rootfs=..., network="bridge", ports=["8080:80"])
    c.ports()              # [Port(host_ip='', host_port=8080, container_port=80, protocol='tcp')]
    ctx.create_network("appnet", subnet="10.91.0.0/24"); ctx.networks(); ctx.network("appnet")

A port is given as a docker -p string ("8080:80", "127.0.0.1::80/udp",
"8000-8010:80-90"), a Port, or a (host_port, container_port[, protocol])
tuple.
"""

import contextlib
import json
from ctypes import byref, c_void_p

from . import errors
from ._lib import PROTO_TCP, PROTO_UDP, PortListP, PortP, enc, lib, take_string

PROTOCOLS = {"tcp": PROTO_TCP, "udp": PROTO_UDP}


class Port:
    """One published port: host_ip ("" = every address), host_port (0 = a
    free one, picked at create), container_port, protocol ("tcp"/"udp"),
    host_port_end (a pool 8000-8010 before create, else 0)."""

    __slots__ = ("host_ip", "host_port", "container_port", "protocol", "host_port_end")

    def __init__(self, container_port, host_port=0, protocol="tcp", host_ip="", host_port_end=0):
        if protocol not in PROTOCOLS:
            raise errors.InvalidArgument(errors.EINVAL, 0, "port protocol %r: tcp or udp" % (protocol,))
        self.host_ip = host_ip or ""
        self.host_port = int(host_port)
        self.container_port = int(container_port)
        self.protocol = protocol
        self.host_port_end = int(host_port_end)

    @classmethod
    def _from_c(cls, p):
        """From a borrowed berth_port * (read through its accessors)."""
        return cls(lib.berth_port_container_port(p), lib.berth_port_host_port(p),
                   "udp" if lib.berth_port_protocol(p) == PROTO_UDP else "tcp",
                   lib.berth_port_host_ip(p).decode("utf-8", "replace"), lib.berth_port_host_port_end(p))

    @contextlib.contextmanager
    def _to_c(self):
        """A berth_port * made from this Port, freed when the block ends."""
        for f in ("host_port", "container_port", "host_port_end"):
            v = getattr(self, f)
            if not 0 <= v <= 0xffffffff:
                raise errors.InvalidArgument(errors.EINVAL, 0, "port %s %d: out of range" % (f, v))
        p = PortP()
        lib.berth_port_new(byref(p), self.container_port, PROTOCOLS[self.protocol])
        try:
            lib.berth_port_set_host_ip(p, enc(self.host_ip) or None)
            lib.berth_port_set_host_port(p, self.host_port, self.host_port_end)
            yield p
        finally:
            lib.berth_port_free(p)

    def __eq__(self, other):
        return isinstance(other, Port) and all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    def __hash__(self):
        return hash(tuple(getattr(self, f) for f in self.__slots__))

    def __str__(self):
        """As docker ps shows it: "0.0.0.0:8080->80/tcp"."""
        out = c_void_p()
        with self._to_c() as p:
            lib.berth_port_format(byref(out), p)
        return take_string(out).decode()

    def __repr__(self):
        return "Port(host_ip=%r, host_port=%d, container_port=%d, protocol=%r)" % (
            self.host_ip, self.host_port, self.container_port, self.protocol)


def _take_ports(lst):
    """[Port] from a berth_port_list *, which is freed."""
    try:
        return [Port._from_c(lib.berth_port_list_get(lst, i)) for i in range(lib.berth_port_list_count(lst))]
    finally:
        lib.berth_port_list_free(lst)


def parse_ports(spec):
    """A docker -p spec -> [Port] (a range gives one Port per port).
    berth.InvalidArgument naming the bad part; berth.Unsupported for sctp."""
    out = PortListP()
    lib.berth_port_parse(byref(out), enc(spec))
    return _take_ports(out)


def to_ports(items):
    """ports= of run()/create(): strings, Ports or (host, container[, proto]) tuples -> [Port]."""
    if isinstance(items, (str, bytes, Port, tuple)):
        items = [items]
    ports = []
    for it in items or ():
        if isinstance(it, Port):
            ports.append(it)
        elif isinstance(it, (str, bytes)):
            ports.extend(parse_ports(it))
        elif isinstance(it, int):
            ports.append(Port(it))
        elif isinstance(it, tuple) and len(it) in (2, 3):
            ports.append(Port(it[1], it[0], it[2] if len(it) == 3 else "tcp"))
        else:
            raise TypeError("port %r: expected '8080:80', a berth.net.Port or (host, container[, proto])" % (it,))
    return ports


def container_ports(handle):
    out = PortListP()
    lib.berth_container_ports(byref(out), handle)
    return _take_ports(out)


def network_inspect(ctx_handle, name):
    out = c_void_p()
    lib.berth_network_inspect(byref(out), ctx_handle, enc(name))
    return json.loads(take_string(out))
