"""The part every wrapper of a C handle shares: `closed`, use as a context
manager, and freeing the handle when the object is collected."""
from . import _lib


class Handle:
    """Owns one C handle in self._h, released with the C function named by _FREE."""

    _FREE = None  # e.g. "berth_ctx_free"
    _h = None

    @property
    def closed(self):
        return not self._h

    def __del__(self):
        try:
            h, self._h = self._h, None
            if h and _lib.lib is not None:
                getattr(_lib.lib, self._FREE)(h)
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
