"""A container for secret bytes that does not leak them by accident.

Keys, holder secrets and blinding factors are wrapped in :class:`SecretBytes`:
its ``repr`` and ``str`` are redacted, it refuses to be pickled or copied into
a log by formatting, and equality is constant-time
(:func:`hmac.compare_digest`). The value is read explicitly with
:meth:`SecretBytes.reveal`, so every place that touches the secret is visible
in the code.

This does not wipe memory: CPython may keep copies of the bytes after the
object is gone (see the limitations in README.md).
"""

from __future__ import annotations

import hmac
from typing import NoReturn

__all__ = ["SecretBytes"]


class SecretBytes:
    """Secret key material: redacted in ``repr``, not picklable, compared in constant time."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        if not isinstance(value, bytes | bytearray):
            raise TypeError("SecretBytes holds bytes")
        self._value = bytes(value)

    def reveal(self) -> bytes:
        """The secret bytes. Callers must not log, print or persist them unprotected."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"SecretBytes(<{len(self._value)} bytes redacted>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretBytes):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> NoReturn:
        # A hash of a secret is a fingerprint of it; secrets are not dict keys.
        raise TypeError("secret values are not hashable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("secret values cannot be pickled")

    def __copy__(self) -> SecretBytes:
        return self

    def __deepcopy__(self, memo: object) -> SecretBytes:
        return self
