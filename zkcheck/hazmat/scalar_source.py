"""Single-use random scalars for sigma-protocol provers (spec/09-predicate-proofs.md, "Linking").

A sigma protocol's nonce must answer exactly one challenge: two responses
``x^ = x~ + c * x`` and ``x^' = x~ + c' * x`` with the same nonce ``x~`` give
the witness ``x = (x^ - x^') / (c - c')``. Chapter 9 therefore requires a
scalar source that yields each drawn scalar once and fails on a second read.

:class:`ScalarSource` draws scalars as the BBS draft's
``calculate_random_scalars`` does (``OS2IP(get_random(48)) mod r``, drawing
again on the negligible event of 0, since every nonce of a presentation must
be in ``[1, r - 1]``). Each drawn scalar is a :class:`SingleUseScalar`: its
value can be read once; a second read raises ``RuntimeError``, since it can
only come from a programming error. Neither class shows the value in
``repr``, and neither can be pickled or copied.
"""

from __future__ import annotations

from typing import NoReturn

from zkcheck.hazmat import Rng, default_rng
from zkcheck.hazmat.backend import GROUP_ORDER

__all__ = ["EXPAND_LEN", "FreshRandomnessRequired", "ScalarSource", "SingleUseScalar"]

EXPAND_LEN = 48
"""Random octets per scalar: expand_len of the BBS ciphersuites, so the bias mod r is 2^-128."""


class FreshRandomnessRequired(Exception):
    """A prover drew randomness that gives a value the encoding forbids: start again.

    Every scalar a verifier decodes must be in ``[1, r - 1]`` and every point
    must differ from the identity, so a prover whose response (computed after
    the challenge) is 0 must make the whole presentation again with fresh
    randomness (chapter 9, "Prover", step 10). It happens with probability
    below 2^-240 per presentation. Not a :class:`~zkcheck.errors.ZkcheckError`:
    no input causes it, and a caller retries instead of reporting it.
    """


class SingleUseScalar:
    """A secret scalar in ``[1, r - 1]`` that can be read exactly once."""

    __slots__ = ("_value",)

    def __init__(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < GROUP_ORDER:
            raise ValueError("a nonce is a scalar in [1, r - 1]")
        self._value: int | None = value

    def read(self) -> int:
        """The scalar; every later call raises ``RuntimeError``."""
        value = self._value
        if value is None:
            raise RuntimeError("a nonce answers exactly one challenge; it was already read")
        self._value = None
        return value

    @property
    def consumed(self) -> bool:
        """Whether the scalar was read."""
        return self._value is None

    def __repr__(self) -> str:
        state = "read" if self._value is None else "unread"
        return f"SingleUseScalar(<redacted, {state}>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("nonces cannot be pickled")

    def __copy__(self) -> NoReturn:
        raise TypeError("nonces cannot be copied")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError("nonces cannot be copied")


class ScalarSource:
    """Draws :class:`SingleUseScalar` values from ``rng`` (default :func:`secrets.token_bytes`)."""

    __slots__ = ("_rng",)

    def __init__(self, rng: Rng | None = None) -> None:
        self._rng = rng if rng is not None else default_rng

    def draw(self) -> SingleUseScalar:
        """A fresh uniformly random scalar in ``[1, r - 1]``."""
        while True:
            octets = self._rng(EXPAND_LEN)
            if len(octets) != EXPAND_LEN:
                raise ValueError("rng returned the wrong number of bytes")
            value = int.from_bytes(octets, "big") % GROUP_ORDER
            if value:
                return SingleUseScalar(value)

    def draw_many(self, count: int) -> list[SingleUseScalar]:
        """``count`` fresh scalars, drawn in order."""
        return [self.draw() for _ in range(count)]

    def __repr__(self) -> str:
        return "ScalarSource(<rng>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("scalar sources cannot be pickled")
