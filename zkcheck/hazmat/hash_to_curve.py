"""Hashing to BLS12-381 G1 (RFC 9380).

Implemented here, from the RFC text: ``expand_message_xmd`` (Section 5.3.1),
``expand_message_xof`` (Section 5.3.2), the rule for DSTs longer than 255
bytes (Section 5.3.3), ``hash_to_field`` (Section 5.2), and the two encodings
``hash_to_curve`` and ``encode_to_curve`` (Section 3) for the BLS12381G1
suites. The map itself (simplified SWU onto the 11-isogenous curve, the
isogeny, and cofactor clearing by h_eff; Sections 6.6.3, 7, 8.8.1 and
Appendix E.2) is the backend's :meth:`~zkcheck.hazmat.backend.Backend.map_to_g1`.

Suites:

- ``BLS12381G1_XMD:SHA-256_SSWU_RO_`` and ``..._NU_`` (RFC 9380 Section 8.8.1);
- ``BLS12381G1_XOF:SHAKE-256_SSWU_RO_``, defined by
  draft-irtf-cfrg-bbs-signatures-09 Appendix A.1 for its SHAKE-256
  ciphersuite: the same curve, map and L = 64, with expand_message_xof and
  SHAKE-256.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from zkcheck.hazmat.backend import FIELD_MODULUS, G1, Backend

__all__ = [
    "BLS12381G1_XMD_SHA_256_SSWU_NU",
    "BLS12381G1_XMD_SHA_256_SSWU_RO",
    "BLS12381G1_XOF_SHAKE_256_SSWU_RO",
    "ExpandMessage",
    "HashToCurveSuite",
    "encode_to_curve",
    "expand_message_xmd",
    "expand_message_xof",
    "hash_to_curve",
    "hash_to_field",
    "oversize_dst_xmd",
    "oversize_dst_xof",
]

ExpandMessage = Callable[[bytes, bytes, int], bytes]
"""expand_message(msg, DST, len_in_bytes) -> uniform_bytes (RFC 9380 Section 5.3)."""

_OVERSIZE_PREFIX = b"H2C-OVERSIZE-DST-"


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


@functools.cache
def _hash_parameters(hash_name: str) -> tuple[Callable[[bytes], Any], int, int]:
    """The hash's constructor, output size b_in_bytes and block size s_in_bytes."""
    probe = hashlib.new(hash_name)
    # hashlib's named constructors (hashlib.sha256) are cheaper than hashlib.new.
    constructor = getattr(hashlib, hash_name, None) or partial(hashlib.new, hash_name)
    return constructor, probe.digest_size, probe.block_size


def expand_message_xmd(
    msg: bytes, dst: bytes, len_in_bytes: int, *, hash_name: str = "sha256"
) -> bytes:
    """expand_message_xmd (RFC 9380 Section 5.3.1) with the hashlib hash ``hash_name``.

    Raises ``ValueError`` where the RFC says ABORT: more than 255 blocks, more
    than 65535 bytes, or a DST longer than 255 bytes (shorten it first with
    :func:`oversize_dst_xmd`).
    """
    hash_function, b_in_bytes, s_in_bytes = _hash_parameters(hash_name)
    # 1.  ell = ceil(len_in_bytes / b_in_bytes)
    ell = -(-len_in_bytes // b_in_bytes)
    # 2.  ABORT if ell > 255 or len_in_bytes > 65535 or len(DST) > 255
    if ell > 255 or len_in_bytes > 65535 or len(dst) > 255:
        raise ValueError("expand_message_xmd: output too long or DST longer than 255 bytes")
    # 3.  DST_prime = DST || I2OSP(len(DST), 1)
    dst_prime = dst + _i2osp(len(dst), 1)
    # 4.  Z_pad = I2OSP(0, s_in_bytes)
    z_pad = _i2osp(0, s_in_bytes)
    # 5.  l_i_b_str = I2OSP(len_in_bytes, 2)
    l_i_b_str = _i2osp(len_in_bytes, 2)
    # 6.  msg_prime = Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime
    msg_prime = z_pad + msg + l_i_b_str + _i2osp(0, 1) + dst_prime
    # 7.  b_0 = H(msg_prime)
    b_0 = hash_function(msg_prime).digest()
    # 8.  b_1 = H(b_0 || I2OSP(1, 1) || DST_prime)
    b_i = hash_function(b_0 + _i2osp(1, 1) + dst_prime).digest()
    blocks = [b_i]
    # 9.  for i in (2, ..., ell):
    for i in range(2, ell + 1):
        # 10.    b_i = H(strxor(b_0, b_(i - 1)) || I2OSP(i, 1) || DST_prime)
        mixed = (int.from_bytes(b_0, "big") ^ int.from_bytes(b_i, "big")).to_bytes(
            b_in_bytes, "big"
        )
        b_i = hash_function(mixed + _i2osp(i, 1) + dst_prime).digest()
        blocks.append(b_i)
    # 11. uniform_bytes = b_1 || ... || b_ell
    uniform_bytes = b"".join(blocks)
    # 12. return substr(uniform_bytes, 0, len_in_bytes)
    return uniform_bytes[:len_in_bytes]


def expand_message_xof(
    msg: bytes, dst: bytes, len_in_bytes: int, *, hash_name: str = "shake_256"
) -> bytes:
    """expand_message_xof (RFC 9380 Section 5.3.2) with the hashlib XOF ``hash_name``.

    Raises ``ValueError`` where the RFC says ABORT (more than 65535 bytes, or a
    DST longer than 255 bytes: shorten it first with :func:`oversize_dst_xof`).
    """
    # 1. ABORT if len_in_bytes > 65535 or len(DST) > 255
    if len_in_bytes > 65535 or len(dst) > 255:
        raise ValueError("expand_message_xof: output too long or DST longer than 255 bytes")
    # 2. DST_prime = DST || I2OSP(len(DST), 1)
    dst_prime = dst + _i2osp(len(dst), 1)
    # 3. msg_prime = msg || I2OSP(len_in_bytes, 2) || DST_prime
    msg_prime = msg + _i2osp(len_in_bytes, 2) + dst_prime
    # 4. uniform_bytes = H(msg_prime, len_in_bytes)
    xof = hashlib.new(hash_name, msg_prime)
    return xof.digest(len_in_bytes)  # type: ignore[call-arg]


def oversize_dst_xmd(long_dst: bytes, *, hash_name: str = "sha256") -> bytes:
    """DST = H("H2C-OVERSIZE-DST-" || a_very_long_DST) (RFC 9380 Section 5.3.3)."""
    return hashlib.new(hash_name, _OVERSIZE_PREFIX + long_dst).digest()


def oversize_dst_xof(long_dst: bytes, *, hash_name: str = "shake_256", k: int = 128) -> bytes:
    """DST = H("H2C-OVERSIZE-DST-" || a_very_long_DST, ceil(2 * k / 8)) (Section 5.3.3)."""
    xof = hashlib.new(hash_name, _OVERSIZE_PREFIX + long_dst)
    return xof.digest(-(-2 * k // 8))  # type: ignore[call-arg]


def hash_to_field(
    msg: bytes,
    count: int,
    dst: bytes,
    *,
    expand_message: ExpandMessage,
    modulus: int = FIELD_MODULUS,
    length: int = 64,
) -> list[int]:
    """hash_to_field (RFC 9380 Section 5.2) for a prime field (extension degree m = 1).

    ``length`` is the suite's L = ceil((ceil(log2(p)) + k) / 8): 64 for
    BLS12-381's base field at k = 128.
    """
    m = 1
    # 1. len_in_bytes = count * m * L
    len_in_bytes = count * m * length
    # 2. uniform_bytes = expand_message(msg, DST, len_in_bytes)
    uniform_bytes = expand_message(msg, dst, len_in_bytes)
    elements = []
    # 3. for i in (0, ..., count - 1):
    for i in range(count):
        # 4.-7. (m = 1, so j = 0 only) elm_offset = L * (j + i * m);
        #       tv = substr(uniform_bytes, elm_offset, L); e_j = OS2IP(tv) mod p
        elm_offset = length * i * m
        tv = uniform_bytes[elm_offset : elm_offset + length]
        # 8. u_i = (e_0)
        elements.append(int.from_bytes(tv, "big") % modulus)
    # 9. return (u_0, ..., u_(count - 1))
    return elements


@dataclass(frozen=True)
class HashToCurveSuite:
    """A hash-to-curve suite for BLS12-381 G1 (RFC 9380 Section 8)."""

    suite_id: str
    expand_message: ExpandMessage
    random_oracle: bool
    length: int = 64


BLS12381G1_XMD_SHA_256_SSWU_RO = HashToCurveSuite(
    "BLS12381G1_XMD:SHA-256_SSWU_RO_",
    partial(expand_message_xmd, hash_name="sha256"),
    random_oracle=True,
)
BLS12381G1_XMD_SHA_256_SSWU_NU = HashToCurveSuite(
    "BLS12381G1_XMD:SHA-256_SSWU_NU_",
    partial(expand_message_xmd, hash_name="sha256"),
    random_oracle=False,
)
BLS12381G1_XOF_SHAKE_256_SSWU_RO = HashToCurveSuite(
    "BLS12381G1_XOF:SHAKE-256_SSWU_RO_",
    partial(expand_message_xof, hash_name="shake_256"),
    random_oracle=True,
)


def hash_to_curve(msg: bytes, dst: bytes, *, suite: HashToCurveSuite, backend: Backend) -> G1:
    """hash_to_curve (RFC 9380 Section 3) for a random-oracle ("_RO_") suite."""
    if not suite.random_oracle:
        raise ValueError(f"{suite.suite_id} is an encode_to_curve suite")
    # 1. u = hash_to_field(msg, 2)
    u = hash_to_field(msg, 2, dst, expand_message=suite.expand_message, length=suite.length)
    # 2.-5. Q0 = map_to_curve(u[0]); Q1 = map_to_curve(u[1]); R = Q0 + Q1;
    #       P = clear_cofactor(R). clear_cofactor is multiplication by h_eff,
    #       a group homomorphism, so clear_cofactor(Q0 + Q1) equals
    #       clear_cofactor(Q0) + clear_cofactor(Q1), which is what the
    #       backend's map_to_g1 (map and clearing together) lets us compute.
    p = backend.g1_add(backend.map_to_g1(u[0]), backend.map_to_g1(u[1]))
    # 6. return P
    return p


def encode_to_curve(msg: bytes, dst: bytes, *, suite: HashToCurveSuite, backend: Backend) -> G1:
    """encode_to_curve (RFC 9380 Section 3) for a nonuniform ("_NU_") suite."""
    if suite.random_oracle:
        raise ValueError(f"{suite.suite_id} is a hash_to_curve suite")
    # 1. u = hash_to_field(msg, 1)
    u = hash_to_field(msg, 1, dst, expand_message=suite.expand_message, length=suite.length)
    # 2.-4. Q = map_to_curve(u[0]); P = clear_cofactor(Q); return P
    return backend.map_to_g1(u[0])
