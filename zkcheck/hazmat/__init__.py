"""Spec-level primitives: bytes in, bytes out, one module per specification.

Nothing here encodes CBOR, reads a clock or does I/O. Function names are the
specification's operation names in snake_case. Randomness is a parameter:
every function that draws takes ``rng``, a callable ``rng(n) -> bytes``
defaulting to :func:`secrets.token_bytes`, so known-answer tests can replay
the specifications' vectors. The role layer never passes one.

These functions are easy to misuse (the "hazardous materials" layer of
pyca/cryptography): they check their inputs, but choosing what to sign, what
to disclose and when a result is acceptable is the role layer's job.
"""

import secrets
from collections.abc import Callable

__all__ = ["Rng", "default_rng"]

Rng = Callable[[int], bytes]
"""A source of randomness: ``rng(n)`` returns ``n`` uniformly random bytes."""

default_rng: Rng = secrets.token_bytes
