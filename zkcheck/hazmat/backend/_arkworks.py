"""The native backend: py-arkworks-bls12381 (Rust arkworks through PyO3).

Facts about py-arkworks-bls12381 0.5.0 that this module relies on or guards
against, each checked by tests/test_backend.py:

- ``G1Point.from_compressed_bytes`` checks that the point is on the curve and
  in the subgroup, and rejects x >= p, but accepts non-canonical encodings of
  the point at infinity (any sort bit, any trailing bytes): the canonical
  re-encoding check of :meth:`Backend.g1_from_bytes` rejects those.
- ``Scalar(int)`` silently reduces modulo r and is slow; this module only
  builds scalars with ``Scalar.from_be_bytes``, which rejects values >= r.
- ``G1Point.multiexp_unchecked`` silently truncates to the shorter of its two
  lists; :meth:`ArkworksBackend.g1_msm` checks the lengths first.
- ``G1Point.map_from_fp_be`` is the simplified SWU map, the 11-isogeny and
  cofactor clearing together, and rejects u >= p.
- ``GT.multi_pairing`` followed by a comparison with ``GT.one()`` is cheaper
  than ``GT.pairing_check`` on the same two pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from zkcheck.hazmat.backend import G1, G1_OCTETS, G2, Backend

__all__ = ["ArkworksBackend"]


def _scalar(value: int) -> Scalar:
    # from_be_bytes refuses values >= r instead of reducing them, so a
    # programming error surfaces rather than silently changing the scalar.
    return Scalar.from_be_bytes(value.to_bytes(32, "big"))


def _p1(point: G1) -> G1Point:
    return cast(G1Point, point)


def _p2(point: G2) -> G2Point:
    return cast(G2Point, point)


class ArkworksBackend(Backend):
    """BLS12-381 through py-arkworks-bls12381."""

    name = "arkworks"

    def __init__(self) -> None:
        self._g1_identity = G1(G1Point.identity())
        self._bp2 = G2(G2Point())

    def g1_identity(self) -> G1:
        return self._g1_identity

    def g1_add(self, a: G1, b: G1) -> G1:
        return G1(_p1(a) + _p1(b))

    def g1_neg(self, a: G1) -> G1:
        return G1(-_p1(a))

    def g1_mul(self, point: G1, scalar: int) -> G1:
        return G1(_p1(point) * _scalar(scalar))

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        if len(points) != len(scalars):
            raise ValueError("multi-scalar multiplication needs one scalar per point")
        if not points:
            return self._g1_identity
        return G1(
            G1Point.multiexp_unchecked(
                cast(list[G1Point], list(points)), [_scalar(k) for k in scalars]
            )
        )

    def g1_eq(self, a: G1, b: G1) -> bool:
        return _p1(a) == _p1(b)

    def g1_is_identity(self, a: G1) -> bool:
        return _p1(a) == _p1(self._g1_identity)

    def g1_to_bytes(self, point: G1) -> bytes:
        return _p1(point).to_compressed_bytes()

    def _g1_decode(self, data: bytes) -> G1:
        return G1(G1Point.from_compressed_bytes(data))

    def map_to_g1(self, u: int) -> G1:
        return G1(G1Point.map_from_fp_be(u.to_bytes(G1_OCTETS, "big")))

    def g2_generator(self) -> G2:
        return self._bp2

    def g2_mul(self, point: G2, scalar: int) -> G2:
        return G2(_p2(point) * _scalar(scalar))

    def g2_neg(self, a: G2) -> G2:
        return G2(-_p2(a))

    def g2_is_identity(self, a: G2) -> bool:
        return _p2(a) == G2Point.identity()

    def g2_to_bytes(self, point: G2) -> bytes:
        return _p2(point).to_compressed_bytes()

    def _g2_decode(self, data: bytes) -> G2:
        return G2(G2Point.from_compressed_bytes(data))

    def pairing_product_is_one(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        product = GT.multi_pairing([_p1(p) for p, _ in pairs], [_p2(q) for _, q in pairs])
        return product == GT.one()
