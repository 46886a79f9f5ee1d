"""The part every wrapper of a C handle shares: `closed`, use as a context
manager, and freeing the handle when the object is collected."""
from __future__ import annotations

# typing only for type checkers: importing it costs `import berth` ~10 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, TypeVar

    _H = TypeVar("_H", bound="Handle")

from . import _lib


class Handle:
    """Owns one C handle in self._h, released with the C function named by _FREE."""

    _FREE: Optional[str] = None  # e.g. "berth_ctx_free"
    _h: Any = None

    @property
    def closed(self) -> bool:
        return not self._h

    def __del__(self):
        try:
            h, self._h = self._h, None
            if h and _lib.lib is not None:
                getattr(_lib.lib, self._FREE)(h)
        except Exception:
            pass

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError
