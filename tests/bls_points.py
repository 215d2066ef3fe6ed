"""Malformed BLS12-381 point encodings, built from the curve equations.

Each helper returns bytes that a checked decoder must reject for one precise
reason: off the curve, on the curve but outside the prime-order subgroup, a
coordinate not reduced mod p, or a non-canonical point at infinity. The
G2 helpers compute in GF(p^2) = GF(p)[I], I^2 = -1, with Python integers.
"""

from __future__ import annotations

from zkcheck.hazmat.backend import FIELD_MODULUS as P

B1 = 4
B2 = (4, 4)  # 4 * (I + 1), as (real, imaginary)


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


def g2_unreduced(valid: bytes) -> bytes:
    """The encoding ``valid`` of a point of G2 with x_0 replaced by x_0 + p.

    x_0 fills the second 48 bytes, which carry no flag bits, so x_0 + p
    always fits there.
    """
    x_0 = int.from_bytes(valid[48:], "big")
    return valid[:48] + (x_0 + P).to_bytes(48, "big")


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


def _fp2_mul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def _g2_square(x: tuple[int, int]) -> bool:
    """Whether x^3 + 4(I + 1) is a square in GF(p^2).

    An element of GF(p^2) is a square exactly when its norm y0^2 + y1^2 is a
    square in GF(p) (RFC 9380 Appendix I.5).
    """
    cube = _fp2_mul(_fp2_mul(x, x), x)
    y = ((cube[0] + B2[0]) % P, (cube[1] + B2[1]) % P)
    return pow((y[0] ** 2 + y[1] ** 2) % P, (P - 1) // 2, P) == 1


def _g2_encoding(x: tuple[int, int]) -> bytes:
    # x_1 (the imaginary part) comes first (the BBS draft, Appendix B.2.1).
    return _flags(bytearray(x[1].to_bytes(48, "big") + x[0].to_bytes(48, "big")))


def _g2_candidates() -> list[tuple[tuple[int, int], bool]]:
    return [((a, 1), _g2_square((a, 1))) for a in range(1, 40)]


def g2_off_curve() -> bytes:
    """A compressed G2 encoding whose x has no y on E2."""
    return _g2_encoding(next(x for x, square in _g2_candidates() if not square))


def g2_outside_subgroup() -> bytes:
    """A point of E2 that is not in G2."""
    return _g2_encoding(next(x for x, square in _g2_candidates() if square))
