"""One lock per wallet: a phone's application may answer two requests at once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["synchronized"]

_Method = TypeVar("_Method", bound=Callable[..., Any])


def synchronized(method: _Method) -> _Method:
    """``method`` run holding ``self._lock`` (a ``threading.RLock``), so that two threads
    never choose the same attestation or token, nor change the wallet halfway."""

    @functools.wraps(method)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return cast(_Method, locked)
