"""Image references (include/berth/image.h). The image store, pull and push
arrive with the rest of the images work."""
from ctypes import byref

from . import _lib


class Reference:
    """A parsed, normalised image reference, as Docker normalises them:

    >>> r = Reference("mongo")
    >>> r.string, r.familiar, r.registry
    ('docker.io/library/mongo:latest', 'mongo:latest', 'registry-1.docker.io')

    Raises berth.InvalidArgument naming the offending part.
    """

    def __init__(self, reference):
        h = _lib.RefP()
        _lib.lib.berth_ref_parse(byref(h), _lib.enc(reference))
        try:
            get = lambda f: _lib._decode(f(h))  # noqa: E731
            self.domain = get(_lib.lib.berth_ref_domain)
            self.path = get(_lib.lib.berth_ref_path)
            self.tag = get(_lib.lib.berth_ref_tag)
            self.digest = get(_lib.lib.berth_ref_digest)
            self.string = get(_lib.lib.berth_ref_string)
            self.familiar = get(_lib.lib.berth_ref_familiar)
            self.registry = get(_lib.lib.berth_ref_registry)
        finally:
            _lib.lib.berth_ref_free(h)

    def __str__(self):
        return self.string

    def __repr__(self):
        return "<berth.Reference %s>" % self.string

    def __eq__(self, other):
        return isinstance(other, Reference) and self.string == other.string

    def __hash__(self):
        return hash(self.string)
