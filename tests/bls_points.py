"""Malformed BLS12-381 point encodings, built from the curve equations.

Each helper returns bytes that a checked decoder must reject for one precise
reason: off the curve, on the curve but outside the prime-order subgroup, a
coordinate not reduced mod p, or a non-canonical point at infinity. The
G2 helpers use py_ecc's GF(p^2) arithmetic (tests may use a curve library
directly; the package may not).
"""

from __future__ import annotations

from py_ecc.bls.point_compression import modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2

from zkcheck.hazmat.backend import FIELD_MODULUS as P

B1 = 4
B2 = FQ2([4, 4])  # 4 * (I + 1)


def _flags(data: bytearray, *, sign: int = 0, infinity: int = 0) -> bytes:
    data[0] |= 0x80 | (infinity << 6) | (sign << 5)
    return bytes(data)


def _g1_square(x: int) -> bool:
    return pow((x**3 + B1) % P, (P - 1) // 2, P) == 1


def g1_off_curve() -> bytes:
    """A compressed G1 encoding whose x has no y on E1."""
    x = next(x for x in range(1, 1000) if not _g1_square(x))
    return _flags(bytearray(x.to_bytes(48, "big")))


def g1_outside_subgroup() -> bytes:
    """A point of E1 that is not in G1 (E1 has cofactor h > 1)."""
    x = next(x for x in range(1, 1000) if _g1_square(x))
    return _flags(bytearray(x.to_bytes(48, "big")))


def g1_unreduced(valid: bytes) -> bytes:
    """The encoding ``valid`` (of a point with small x) with x replaced by x + p."""
    x = int.from_bytes(valid, "big") & ((1 << 381) - 1)
    if x + P >= 1 << 381:
        raise ValueError("x + p does not fit: pick a point with a smaller x")
    data = bytearray((x + P).to_bytes(48, "big"))
    return _flags(data, sign=(valid[0] >> 5) & 1)


G1_IDENTITY = bytes([0xC0]) + bytes(47)
NON_CANONICAL_G1_IDENTITY = [
    bytes([0xE0]) + bytes(47),  # sort bit set
    bytes([0xC0]) + bytes(46) + b"\x01",  # trailing bytes not zero
    bytes([0xC1]) + bytes(47),  # x bits set under the infinity flag
    bytes([0x40]) + bytes(47),  # compression bit clear
]
G2_IDENTITY = bytes([0xC0]) + bytes(95)
NON_CANONICAL_G2_IDENTITY = [
    bytes([0xE0]) + bytes(95),
    bytes([0xC0]) + bytes(94) + b"\x01",
    bytes([0xC0]) + bytes(47) + b"\x01" + bytes(47),
    bytes([0x40]) + bytes(95),
]


def _g2_encoding(x: FQ2) -> bytes:
    x0, x1 = (int(c) for c in x.coeffs)
    return _flags(bytearray(x1.to_bytes(48, "big") + x0.to_bytes(48, "big")))


def _g2_candidates() -> list[tuple[FQ2, bool]]:
    return [
        (x, modular_squareroot_in_FQ2(x**3 + B2) is not None)
        for x in (FQ2([a, 1]) for a in range(1, 40))
    ]


def g2_off_curve() -> bytes:
    """A compressed G2 encoding whose x has no y on E2."""
    return _g2_encoding(next(x for x, square in _g2_candidates() if not square))


def g2_outside_subgroup() -> bytes:
    """A point of E2 that is not in G2."""
    return _g2_encoding(next(x for x, square in _g2_candidates() if square))
