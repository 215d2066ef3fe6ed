"""The native backend: py-arkworks-bls12381 (Rust arkworks through PyO3).

Facts about py-arkworks-bls12381 0.5.0 that this module relies on or guards
against, each checked by tests/test_backend.py:

- ``G1Point.from_compressed_bytes`` checks that the point is on the curve and
  in the subgroup, and rejects x >= p, but accepts non-canonical encodings of
  the point at infinity (any sort bit, any trailing bytes): the canonical
  re-encoding check of :meth:`Backend.g1_from_bytes` rejects those.
- ``Scalar(int)`` silently reduces modulo r (and is slow); this module only
  builds scalars with ``Scalar.from_be_bytes``, which rejects values >= r.
- ``G1Point.multiexp_unchecked`` silently truncates to the shorter of its two
  lists; :meth:`ArkworksBackend.g1_msm` checks the lengths first.
- ``G1Point.map_from_fp_be`` is the simplified SWU map, the 11-isogeny and
  cofactor clearing together, and rejects u >= p.
- ``GT.multi_pairing`` followed by a comparison with ``GT.one()`` is cheaper
  than ``GT.pairing_check`` on the same two pairs.
- ``G1Point.multiexp_unchecked`` costs in proportion to the bit length of its
  largest scalar, and for the few points BBS needs it spends most of its time
  in per-bit work. :meth:`ArkworksBackend.g1_msm` therefore uses the GLV
  method: every scalar k < r is split as k1 + k2 * lambda with k1, k2 about
  128 bits, and P and phi(P) are multiplied by the halves, where
  phi(x, y) = (beta * x, y) is BLS12-381's endomorphism, beta a cube root of
  unity in GF(p), and phi(P) = lambda * P for every P in G1 with
  lambda = z^2 - 1 (z the curve parameter), a cube root of unity mod r.
  Since r = lambda^2 + lambda + 1, one division splits any k < r.

A G1 handle of this backend remembers its canonical encoding and phi(P) once
computed, so cached generators pay for either once.

What does not pay here (measured on an AMD EPYC, CPython 3.11): every G1
operation costs about 0.4 us in arkworks and a call from Python about 0.4 us
more, so any method that replaces the multi-scalar multiplication by
additions driven from Python gives back in calls what it saves in operations.
Full fixed-base tables for twelve generators (8-bit digits, 16 MiB of
points) need 384 additions: 0.44 ms in a tight loop and 0.68 ms right after a
pairing (cache misses), against 0.77 ms for the whole 13-point GLV
multiplication they would replace only part of. ``multiexp_unchecked`` with
all scalars 1 costs 1.7 us per point, twice a Python addition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from zkcheck.hazmat.backend import FIELD_MODULUS, G1, G1_OCTETS, G2, Backend

__all__ = ["ArkworksBackend"]

_CURVE_PARAMETER = -0xD201000000010000
"""z (or t), the BLS parameter of BLS12-381 (draft-irtf-cfrg-bbs-signatures-09 Appendix B)."""

GLV_LAMBDA = _CURVE_PARAMETER**2 - 1
"""lambda: phi(P) = lambda * P on G1; lambda^2 + lambda + 1 = r."""


def _scalar(value: int) -> Scalar:
    # from_be_bytes refuses values >= r instead of reducing them, so a
    # programming error surfaces rather than silently changing the scalar.
    return Scalar.from_be_bytes(value.to_bytes(32, "big"))


def _cube_root_of_unity_for_lambda() -> int:
    """beta in GF(p) with phi(P) = (beta * x, y) = lambda * P on G1.

    GF(p) has two primitive cube roots of unity; only one of them acts as
    lambda (the other acts as lambda^2). Which one is checked on BP1: since
    G1 is cyclic, phi acts as the same scalar on every element.
    """
    root = 1
    base = 2
    while root == 1:
        root = pow(base, (FIELD_MODULUS - 1) // 3, FIELD_MODULUS)
        base += 1
    generator = G1Point()
    expected = generator * _scalar(GLV_LAMBDA)
    for beta in (root, root * root % FIELD_MODULUS):
        if _apply_endomorphism(generator, beta) == expected:
            return beta
    raise AssertionError("no cube root of unity matches lambda")  # pragma: no cover


def _apply_endomorphism(point: G1Point, beta: int) -> G1Point:
    xy = point.to_xy_bytes_be()
    x = int.from_bytes(xy[:G1_OCTETS], "big")
    # phi maps G1 to itself, so the result needs no curve or subgroup check.
    return G1Point.from_xy_bytes_unchecked_be(
        (beta * x % FIELD_MODULUS).to_bytes(G1_OCTETS, "big") + xy[G1_OCTETS:]
    )


class _G1Handle:
    """A G1Point with its encoding and its image under phi, computed on demand."""

    __slots__ = ("endomorphism", "octets", "point")

    def __init__(self, point: G1Point) -> None:
        self.point = point
        self.octets: bytes | None = None
        self.endomorphism: G1Point | None = None


def _handle(point: G1) -> _G1Handle:
    return cast(_G1Handle, point)


def _wrap(point: G1Point) -> G1:
    return G1(_G1Handle(point))


def _p2(point: G2) -> G2Point:
    return cast(G2Point, point)


class ArkworksBackend(Backend):
    """BLS12-381 through py-arkworks-bls12381."""

    name = "arkworks"

    def __init__(self) -> None:
        self._g1_identity = _wrap(G1Point.identity())
        self._bp2 = G2(G2Point())
        self._beta = _cube_root_of_unity_for_lambda()

    def g1_identity(self) -> G1:
        return self._g1_identity

    def g1_add(self, a: G1, b: G1) -> G1:
        return _wrap(_handle(a).point + _handle(b).point)

    def g1_neg(self, a: G1) -> G1:
        return _wrap(-_handle(a).point)

    def g1_mul(self, point: G1, scalar: int) -> G1:
        return _wrap(_handle(point).point * _scalar(scalar))

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        if len(points) != len(scalars):
            raise ValueError("multi-scalar multiplication needs one scalar per point")
        if not points:
            return self._g1_identity
        bases: list[G1Point] = []
        low: list[Scalar] = []
        high: list[Scalar] = []
        images: list[G1Point] = []
        for point, scalar in zip(points, scalars, strict=True):
            handle = _handle(point)
            # k = k1 + k2 * lambda, so P * k = P * k1 + phi(P) * k2.
            k2, k1 = divmod(scalar, GLV_LAMBDA)
            bases.append(handle.point)
            low.append(_scalar(k1))
            if k2:
                if handle.endomorphism is None:
                    handle.endomorphism = _apply_endomorphism(handle.point, self._beta)
                images.append(handle.endomorphism)
                high.append(_scalar(k2))
        return _wrap(G1Point.multiexp_unchecked(bases + images, low + high))

    def g1_eq(self, a: G1, b: G1) -> bool:
        return _handle(a).point == _handle(b).point

    def g1_is_identity(self, a: G1) -> bool:
        return _handle(a).point == _handle(self._g1_identity).point

    def g1_to_bytes(self, point: G1) -> bytes:
        handle = _handle(point)
        if handle.octets is None:
            handle.octets = handle.point.to_compressed_bytes()
        return handle.octets

    def _g1_decode(self, data: bytes) -> G1:
        return _wrap(G1Point.from_compressed_bytes(data))

    def map_to_g1(self, u: int) -> G1:
        return _wrap(G1Point.map_from_fp_be(u.to_bytes(G1_OCTETS, "big")))

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
        product = GT.multi_pairing([_handle(p).point for p, _ in pairs], [_p2(q) for _, q in pairs])
        return product == GT.one()
