"""The reference backend: py_ecc, pure Python.

Slow (a pairing takes a fraction of a second) but short and readable; the
tests run the same BBS operations through it and through the native backend
and compare every output. py_ecc's decompression checks the flag bits, x < p
and that the point is on the curve, but not subgroup membership, which this
module checks by multiplying by r.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import reduce
from typing import Any, cast

# py_ecc raises the interpreter's recursion limit to 100000 when it is first
# imported. A limit that high lets deeply nested input elsewhere in the
# process (a JSON document of a hundred thousand brackets, say) overflow the C
# stack and crash the interpreter instead of raising RecursionError, so the
# limit is put back once py_ecc is loaded. Its arithmetic as zkcheck uses it
# recurses at most about 400 frames deep (exponentiation in GF(p) by
# square-and-multiply), well within the default of 1000.
_RECURSION_LIMIT = sys.getrecursionlimit()

from py_ecc.bls.hash_to_curve import clear_cofactor_G1, map_to_curve_G1  # noqa: E402
from py_ecc.bls.point_compression import (  # noqa: E402
    compress_G1,
    compress_G2,
    decompress_G1,
    decompress_G2,
)
from py_ecc.bls.typing import G1Compressed, G2Compressed  # noqa: E402
from py_ecc.fields import optimized_bls12_381_FQ as FQ  # noqa: E402
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12  # noqa: E402
from py_ecc.optimized_bls12_381.optimized_curve import G2 as BP2  # noqa: E402
from py_ecc.optimized_bls12_381.optimized_curve import (  # noqa: E402
    Z1,
    add,
    curve_order,
    eq,
    is_inf,
    multiply,
    neg,
    normalize,
)
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing  # noqa: E402

from zkcheck.hazmat.backend import G1, G1_OCTETS, G2, Backend  # noqa: E402

__all__ = ["PyEccBackend", "map_to_curve_g1_affine"]

sys.setrecursionlimit(_RECURSION_LIMIT)

# py_ecc's points are tuples of field elements in projective coordinates.
_Point = Any


def _in_subgroup(point: _Point) -> bool:
    return bool(is_inf(multiply(point, curve_order)))


def map_to_curve_g1_affine(u: int) -> tuple[int, int]:
    """map_to_curve(u) of RFC 9380 for BLS12381G1, before cofactor clearing.

    The result is a point of E1 that is usually not in G1, so it has no place
    in the :class:`Backend` interface; the RFC 9380 test vectors compare it
    (Q0, Q1 and Q) through this function.
    """
    x, y = normalize(map_to_curve_G1(FQ(u)))
    return int(x), int(y)


class PyEccBackend(Backend):
    """BLS12-381 through py_ecc's optimized (projective) pure-Python curve code."""

    name = "py_ecc"

    def g1_identity(self) -> G1:
        return G1(Z1)

    def g1_add(self, a: G1, b: G1) -> G1:
        return G1(add(cast(_Point, a), cast(_Point, b)))

    def g1_neg(self, a: G1) -> G1:
        return G1(neg(cast(_Point, a)))

    def g1_mul(self, point: G1, scalar: int) -> G1:
        return G1(multiply(cast(_Point, point), scalar))

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        if len(points) != len(scalars):
            raise ValueError("multi-scalar multiplication needs one scalar per point")
        terms = [multiply(cast(_Point, p), k) for p, k in zip(points, scalars, strict=True)]
        return G1(reduce(add, terms, Z1))

    def g1_eq(self, a: G1, b: G1) -> bool:
        return bool(eq(cast(_Point, a), cast(_Point, b)))

    def g1_is_identity(self, a: G1) -> bool:
        return bool(is_inf(cast(_Point, a)))

    def g1_to_bytes(self, point: G1) -> bytes:
        return int(compress_G1(cast(_Point, point))).to_bytes(G1_OCTETS, "big")

    def _g1_decode(self, data: bytes) -> G1:
        point = decompress_G1(G1Compressed(int.from_bytes(data, "big")))
        if not _in_subgroup(point):
            raise ValueError("point is not in G1")
        return G1(point)

    def map_to_g1(self, u: int) -> G1:
        return G1(clear_cofactor_G1(map_to_curve_G1(FQ(u))))

    def g2_generator(self) -> G2:
        return G2(BP2)

    def g2_mul(self, point: G2, scalar: int) -> G2:
        return G2(multiply(cast(_Point, point), scalar))

    def g2_neg(self, a: G2) -> G2:
        return G2(neg(cast(_Point, a)))

    def g2_is_identity(self, a: G2) -> bool:
        return bool(is_inf(cast(_Point, a)))

    def g2_to_bytes(self, point: G2) -> bytes:
        z1, z2 = compress_G2(cast(_Point, point))
        return int(z1).to_bytes(G1_OCTETS, "big") + int(z2).to_bytes(G1_OCTETS, "big")

    def _g2_decode(self, data: bytes) -> G2:
        z1 = int.from_bytes(data[:G1_OCTETS], "big")
        z2 = int.from_bytes(data[G1_OCTETS:], "big")
        point = decompress_G2(G2Compressed((z1, z2)))
        if not _in_subgroup(point):
            raise ValueError("point is not in G2")
        return G2(point)

    def pairing_product_is_one(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        # One final exponentiation for the whole product, as in a multi-pairing.
        product = FQ12.one()
        for p, q in pairs:
            product = product * pairing(cast(_Point, q), cast(_Point, p), final_exponentiate=False)
        return bool(final_exponentiate(product) == FQ12.one())
