"""Parameters and conventions shared by the predicate proofs (spec/09-predicate-proofs.md).

Chapter 9, "Parameters": the protocol identifier, the tags derived from the
credential interface's ``api_id``, the two generators of the predicate
proofs, and the conventions every predicate part of a presentation is
encoded with:

- ``(Y_0, Y_1) = create_generators(2, PRED_GEN_API)`` with
  ``PRED_GEN_API = "ZKCHECK_PRED_V1_COM_DIS_" || api_id``: derived by
  hash-to-curve from a public, versioned tag, so no party chooses them, and
  distinct from every BBS generator because every BBS tag begins otherwise.
  ``Y_0`` carries blinding scalars, ``Y_1`` values.
- points of G1 are 48-octet compressed encodings, scalars ``I2OSP(x, 32)``,
  integers ``I2OSP(x, 8)``, and ``lp(x) = I2OSP(length(x), 8) || x``.
- every point a verifier decodes is in G1 and not the identity, every scalar
  it decodes is in ``[1, r - 1]`` (:class:`Reader`); anything else raises
  :class:`~zkcheck.errors.DecodeError`.

Every function takes the interface's ``api_id`` (chapter 8: the credential
tier's ``ciphersuite_id || "BLIND_H2G_TM2S_ZKCHECK-V1_"``) rather than fixing
it, as the BBS core operations do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from zkcheck.errors import DecodeError
from zkcheck.hazmat.backend import G1, G1_OCTETS, GROUP_ORDER
from zkcheck.hazmat.bbs import Ciphersuite, create_generators

__all__ = [
    "BATCH_DST_SUFFIX",
    "CHALLENGE_DST_SUFFIX",
    "FRESHNESS_MENU",
    "INTEGER_OCTETS",
    "MAX_SET_SIZE",
    "POINT_OCTETS",
    "PRED_GEN_PREFIX",
    "PROTOCOL_ID",
    "SCALAR_OCTETS",
    "TIME_TOLERANCE",
    "PredicateGenerators",
    "Reader",
    "batch_dst",
    "challenge_dst",
    "i2osp",
    "lp",
    "points_to_octets",
    "pred_gen_api",
    "predicate_generators",
    "scalar_to_octets",
]

PROTOCOL_ID = b"ZKCHECK-PRESENTATION-V1"
"""The protocol and its version, the first item of the presentation's challenge input."""

PRED_GEN_PREFIX = b"ZKCHECK_PRED_V1_COM_DIS_"
"""Prefixed to ``api_id`` to form PRED_GEN_API, the interface the generators are created under."""

CHALLENGE_DST_SUFFIX = b"PRESENTATION_V1_H2S_"
"""CHALLENGE_DST = api_id || this: the DST of the presentation's one challenge."""

BATCH_DST_SUFFIX = b"PRED_V1_BATCH_"
"""BATCH_DST = api_id || this: the DST of the weights of the batched E1 check."""

TIME_TOLERANCE = 300
"""Seconds a request's time may differ from the holder's clock (the holder policy)."""

MAX_SET_SIZE = 32
"""The largest set a membership predicate may name."""

FRESHNESS_MENU = (1, 24, 168)
"""The freshness bounds F, in hours, a request may set for the swap checks: an hour, a day,
a week. One menu for every operator, so that a verifier cannot search the hidden issue
hour with moving bounds (the holder policy)."""

POINT_OCTETS = G1_OCTETS
SCALAR_OCTETS = 32
INTEGER_OCTETS = 8

_R = GROUP_ORDER


def pred_gen_api(api_id: bytes) -> bytes:
    """PRED_GEN_API = "ZKCHECK_PRED_V1_COM_DIS_" || api_id."""
    return PRED_GEN_PREFIX + api_id


def challenge_dst(api_id: bytes) -> bytes:
    """CHALLENGE_DST = api_id || "PRESENTATION_V1_H2S_"."""
    return api_id + CHALLENGE_DST_SUFFIX


def batch_dst(api_id: bytes) -> bytes:
    """BATCH_DST = api_id || "PRED_V1_BATCH_"."""
    return api_id + BATCH_DST_SUFFIX


class PredicateGenerators(NamedTuple):
    """(Y_0, Y_1): Y_0 carries blinding scalars, Y_1 values."""

    Y_0: G1
    Y_1: G1


def predicate_generators(api_id: bytes, *, ciphersuite: Ciphersuite) -> PredicateGenerators:
    """(Y_0, Y_1) = create_generators(2, PRED_GEN_API) (chapter 9, "Parameters").

    The BBS draft's create_generators, whose output the ciphersuite caches,
    under the predicate proofs' own versioned interface identifier.
    """
    y_0, y_1 = create_generators(2, pred_gen_api(api_id), ciphersuite=ciphersuite)
    return PredicateGenerators(y_0, y_1)


# -- the conventions of the wire encoding and the transcript -----------------------


def i2osp(value: int, length: int = INTEGER_OCTETS) -> bytes:
    """I2OSP(value, length); a value that does not fit is a programming error (ValueError)."""
    if value < 0 or value >= 1 << (8 * length):
        raise ValueError(f"{value} does not fit in {length} octets")
    return value.to_bytes(length, "big")


def lp(octets: bytes) -> bytes:
    """lp(x) = I2OSP(length(x), 8) || x."""
    return i2osp(len(octets)) + octets


def scalar_to_octets(scalar: int) -> bytes:
    """I2OSP(x, 32) for a scalar x in [0, r - 1]."""
    if not 0 <= scalar < _R:
        raise ValueError("a scalar is in [0, r - 1]")
    return scalar.to_bytes(SCALAR_OCTETS, "big")


def points_to_octets(points: Iterable[G1], *, ciphersuite: Ciphersuite) -> bytes:
    """The concatenated compressed encodings of ``points``."""
    return b"".join(ciphersuite.backend.g1_to_bytes(point) for point in points)


class Reader:
    """Reads fixed-width points and scalars from an encoded predicate proof.

    The caller checks the total length first (every predicate proof has a
    length fixed by its statement), so every read is in bounds and the
    reader's :meth:`finish` only confirms that nothing is left over. Every
    point must be the canonical encoding of an element of G1 other than the
    identity, and every scalar must be in ``[1, r - 1]``; otherwise
    :class:`DecodeError`.
    """

    def __init__(self, octets: bytes, *, ciphersuite: Ciphersuite) -> None:
        self._octets = bytes(octets)
        self._position = 0
        self._backend = ciphersuite.backend

    def _take(self, length: int) -> bytes:
        end = self._position + length
        if end > len(self._octets):
            raise DecodeError("predicate proof too short")
        chunk = self._octets[self._position : end]
        self._position = end
        return chunk

    def point(self) -> G1:
        """A point of G1 other than the identity."""
        point = self._backend.g1_from_bytes(self._take(POINT_OCTETS))
        if self._backend.g1_is_identity(point):
            raise DecodeError("a predicate proof point is the identity")
        return point

    def points(self, count: int) -> tuple[G1, ...]:
        """``count`` points, each as :meth:`point` reads it."""
        return tuple(self.point() for _ in range(count))

    def scalar(self) -> int:
        """A scalar in [1, r - 1]."""
        value = int.from_bytes(self._take(SCALAR_OCTETS), "big")
        if value == 0 or value >= _R:
            raise DecodeError("a predicate proof scalar is out of range")
        return value

    def scalars(self, count: int) -> tuple[int, ...]:
        """``count`` scalars, each as :meth:`scalar` reads it."""
        return tuple(self.scalar() for _ in range(count))

    def finish(self) -> None:
        """Fail unless every octet was read."""
        if self._position != len(self._octets):
            raise DecodeError("trailing octets after a predicate proof")
