"""Malformed input to the BBS interface raises DecodeError, one test per kind.

Kinds (from the draft's deserialization steps and zkcheck's profile):
lengths; non-canonical point encodings, the point at infinity included;
points off the curve; points outside the subgroup; the identity; scalars
>= r; zero scalars; bad disclosed indexes; too many messages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
from bls_points import (
    G1_IDENTITY,
    G2_IDENTITY,
    NON_CANONICAL_G1_IDENTITY,
    NON_CANONICAL_G2_IDENTITY,
    g1_off_curve,
    g1_outside_subgroup,
    g1_unreduced,
    g2_off_curve,
    g2_outside_subgroup,
    g2_unreduced,
)

from tests.predicate_harness import seeded_rng
from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat import bbs
from zkcheck.hazmat.backend import FIELD_MODULUS, GROUP_ORDER, get_backend
from zkcheck.hazmat.secret import SecretBytes

BACKEND = get_backend("arkworks")
SK = bbs.key_gen(b"malformed-input tests, key material of 32+ bytes")
PK = bbs.sk_to_pk(SK, backend=BACKEND)
HEADER = b"header"
PH = b"presentation header"
MESSAGES = [b"first", b"second", b"third", b"fourth"]
DISCLOSED = [1, 3]
SIGNATURE = bbs.sign(SK, PK, HEADER, MESSAGES, backend=BACKEND)
PROOF = bbs.proof_gen(PK, SIGNATURE, HEADER, PH, MESSAGES, DISCLOSED, backend=BACKEND)
DISCLOSED_MESSAGES = [MESSAGES[i] for i in DISCLOSED]


def _compression_bit_clear(valid: bytes) -> bytes:
    return bytes([valid[0] & 0x7F]) + valid[1:]


def _infinity_bit_set(valid: bytes) -> bytes:
    return bytes([valid[0] | 0x40]) + valid[1:]


# Ways to make the canonical encoding of a point other than the identity
# non-canonical: flags that contradict it, or a coordinate not reduced mod p.
NON_CANONICAL_G1: dict[str, Callable[[bytes], bytes]] = {
    "compression bit clear": _compression_bit_clear,
    "infinity bit set": _infinity_bit_set,
    "x + p": g1_unreduced,
}
NON_CANONICAL_G2: dict[str, Callable[[bytes], bytes]] = {
    "compression bit clear": _compression_bit_clear,
    "infinity bit set": _infinity_bit_set,
    "x_0 + p": g2_unreduced,
}

BAD_G1 = {
    "identity": G1_IDENTITY,
    "off curve": g1_off_curve(),
    "outside subgroup": g1_outside_subgroup(),
    **{f"non-canonical identity {i}": e for i, e in enumerate(NON_CANONICAL_G1_IDENTITY)},
}
BAD_G2 = {
    "identity": G2_IDENTITY,
    "off curve": g2_off_curve(),
    "outside subgroup": g2_outside_subgroup(),
    **{f"non-canonical identity {i}": e for i, e in enumerate(NON_CANONICAL_G2_IDENTITY)},
    **{f"valid key, {kind}": change(PK) for kind, change in NON_CANONICAL_G2.items()},
}
BAD_SCALARS = {
    "zero": 0,
    "r": GROUP_ORDER,
    "r + 1": GROUP_ORDER + 1,
    "2^256 - 1": 2**256 - 1,
}


def _verify_signature(signature: bytes) -> None:
    bbs.verify(PK, signature, HEADER, MESSAGES, backend=BACKEND)


def _prove_from(signature: bytes) -> None:
    bbs.proof_gen(PK, signature, HEADER, PH, MESSAGES, DISCLOSED, backend=BACKEND)


def _verify_proof(proof: bytes) -> None:
    bbs.proof_verify(PK, proof, HEADER, PH, DISCLOSED_MESSAGES, DISCLOSED, backend=BACKEND)


def test_the_unmodified_inputs_are_valid() -> None:
    _verify_signature(SIGNATURE)
    _verify_proof(PROOF)


# -- lengths --------------------------------------------------------------------


@pytest.mark.parametrize("use", [_verify_signature, _prove_from])
@pytest.mark.parametrize("length", [0, 48, 79, 81, 160])
def test_signature_length(use: Callable[[bytes], None], length: int) -> None:
    with pytest.raises(DecodeError):
        use((SIGNATURE * 2)[:length])


@pytest.mark.parametrize("length", [0, 271, 272 + 31, len(PROOF) - 1, len(PROOF) + 1])
def test_proof_length(length: int) -> None:
    with pytest.raises(DecodeError):
        _verify_proof((PROOF * 2)[:length])


@pytest.mark.parametrize("length", [0, 48, 95, 97])
def test_public_key_length(length: int) -> None:
    pk = (PK * 2)[:length]
    with pytest.raises(DecodeError):
        bbs.verify(pk, SIGNATURE, HEADER, MESSAGES, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.sign(SK, pk, HEADER, MESSAGES, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.proof_gen(pk, SIGNATURE, HEADER, PH, MESSAGES, DISCLOSED, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.proof_verify(pk, PROOF, HEADER, PH, DISCLOSED_MESSAGES, DISCLOSED, backend=BACKEND)


@pytest.mark.parametrize("length", [0, 31, 33])
def test_secret_key_length(length: int) -> None:
    sk = (SK.reveal() * 2)[:length]
    with pytest.raises(DecodeError):
        bbs.sk_to_pk(sk, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.sign(SecretBytes(sk), PK, HEADER, MESSAGES, backend=BACKEND)


def test_key_gen_input_lengths() -> None:
    with pytest.raises(DecodeError):
        bbs.key_gen(b"k" * 31)
    with pytest.raises(DecodeError):
        bbs.key_gen(b"k" * 32, b"i" * 65536)
    assert len(bbs.key_gen(b"k" * 32, b"i" * 65535)) == 32


# -- points: non-canonical, off curve, outside the subgroup, identity -------------


@pytest.mark.parametrize("kind", list(BAD_G1))
@pytest.mark.parametrize("use", [_verify_signature, _prove_from])
def test_signature_point(kind: str, use: Callable[[bytes], None]) -> None:
    with pytest.raises(DecodeError):
        use(BAD_G1[kind] + SIGNATURE[48:])


@pytest.mark.parametrize("kind", list(BAD_G1))
@pytest.mark.parametrize("position", [0, 1, 2])
def test_proof_point(kind: str, position: int) -> None:
    start = 48 * position
    with pytest.raises(DecodeError):
        _verify_proof(PROOF[:start] + BAD_G1[kind] + PROOF[start + 48 :])


def _x_plus_p_fits(encoding: bytes) -> bool:
    x = int.from_bytes(encoding, "big") & ((1 << 381) - 1)
    return x + FIELD_MODULUS < 1 << 381


@functools.cache
def _signed_with_small_x() -> tuple[bytes, bytes]:
    """A header and its signature whose A has an x small enough that x + p fits in
    381 bits (about one signature in five), found by trying headers in turn."""
    for attempt in range(200):
        header = b"header %d" % attempt
        signature = bbs.sign(SK, PK, header, MESSAGES, backend=BACKEND)
        if _x_plus_p_fits(signature[:48]):
            return header, signature
    raise AssertionError("no signature with a small x in 200 headers")


@functools.cache
def _proof_with_small_x(position: int) -> bytes:
    """A proof whose point at ``position`` (Abar, Bbar, D) has an x small enough
    that x + p fits in 381 bits, found by trying seeded randomness in turn."""
    for attempt in range(200):
        rng = seeded_rng(b"small x %d" % attempt)
        proof = bbs.proof_gen(
            PK, SIGNATURE, HEADER, PH, MESSAGES, DISCLOSED, rng=rng, backend=BACKEND
        )
        if _x_plus_p_fits(proof[48 * position : 48 * (position + 1)]):
            return proof
    raise AssertionError("no proof with a small x in 200 seeds")


@pytest.mark.parametrize("kind", list(NON_CANONICAL_G1))
def test_signature_point_non_canonical(kind: str) -> None:
    # x + p names the same point as x: a decoder that reduced it would accept
    # a second encoding of a valid signature.
    header, signature = _signed_with_small_x()
    bbs.verify(PK, signature, header, MESSAGES, backend=BACKEND)
    tampered = NON_CANONICAL_G1[kind](signature[:48]) + signature[48:]
    with pytest.raises(DecodeError):
        bbs.verify(PK, tampered, header, MESSAGES, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.proof_gen(PK, tampered, header, PH, MESSAGES, DISCLOSED, backend=BACKEND)


@pytest.mark.parametrize("kind", list(NON_CANONICAL_G1))
@pytest.mark.parametrize("position", [0, 1, 2])
def test_proof_point_non_canonical(kind: str, position: int) -> None:
    proof = _proof_with_small_x(position)
    _verify_proof(proof)
    start = 48 * position
    tampered = (
        proof[:start] + NON_CANONICAL_G1[kind](proof[start : start + 48]) + proof[start + 48 :]
    )
    with pytest.raises(DecodeError):
        _verify_proof(tampered)


@pytest.mark.parametrize("kind", list(BAD_G2))
def test_public_key_point(kind: str) -> None:
    pk = BAD_G2[kind]
    with pytest.raises(DecodeError):
        bbs.verify(pk, SIGNATURE, HEADER, MESSAGES, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.proof_verify(pk, PROOF, HEADER, PH, DISCLOSED_MESSAGES, DISCLOSED, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.sign(SK, pk, HEADER, MESSAGES, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.proof_gen(pk, SIGNATURE, HEADER, PH, MESSAGES, DISCLOSED, backend=BACKEND)


# -- scalars: zero, and >= r ---------------------------------------------------------


def _scalar_bytes(value: int) -> bytes:
    return (value % 2**256).to_bytes(32, "big")


@pytest.mark.parametrize("kind", list(BAD_SCALARS))
@pytest.mark.parametrize("use", [_verify_signature, _prove_from])
def test_signature_scalar(kind: str, use: Callable[[bytes], None]) -> None:
    with pytest.raises(DecodeError):
        use(SIGNATURE[:48] + _scalar_bytes(BAD_SCALARS[kind]))


@pytest.mark.parametrize("kind", list(BAD_SCALARS))
def test_proof_scalar(kind: str) -> None:
    # Every scalar position: e^, r1^, r3^, each m^, and the challenge.
    count = (len(PROOF) - 144) // 32
    for position in range(count):
        start = 144 + 32 * position
        with pytest.raises(DecodeError):
            _verify_proof(PROOF[:start] + _scalar_bytes(BAD_SCALARS[kind]) + PROOF[start + 32 :])


@pytest.mark.parametrize("kind", list(BAD_SCALARS))
def test_secret_key_scalar(kind: str) -> None:
    with pytest.raises(DecodeError):
        bbs.sk_to_pk(_scalar_bytes(BAD_SCALARS[kind]), backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.sign(_scalar_bytes(BAD_SCALARS[kind]), PK, HEADER, MESSAGES, backend=BACKEND)


# -- indexes ---------------------------------------------------------------------------

BAD_INDEXES = {
    "unsorted": [3, 1],
    "repeated": [1, 1],
    "negative": [-1, 1],
    "past the end": [1, 4],
    "not an integer": [True, 3],
}


@pytest.mark.parametrize("kind", list(BAD_INDEXES))
def test_proof_gen_indexes(kind: str) -> None:
    with pytest.raises(DecodeError):
        bbs.proof_gen(PK, SIGNATURE, HEADER, PH, MESSAGES, BAD_INDEXES[kind], backend=BACKEND)


@pytest.mark.parametrize("kind", list(BAD_INDEXES))
def test_proof_verify_indexes(kind: str) -> None:
    with pytest.raises(DecodeError):
        bbs.proof_verify(
            PK, PROOF, HEADER, PH, DISCLOSED_MESSAGES, BAD_INDEXES[kind], backend=BACKEND
        )


def test_disclosed_messages_must_match_indexes() -> None:
    with pytest.raises(DecodeError):
        bbs.proof_verify(PK, PROOF, HEADER, PH, DISCLOSED_MESSAGES[:1], DISCLOSED, backend=BACKEND)


def test_valid_but_different_indexes_do_not_verify() -> None:
    with pytest.raises(InvalidProof):
        bbs.proof_verify(PK, PROOF, HEADER, PH, DISCLOSED_MESSAGES, [0, 3], backend=BACKEND)


# -- message count -----------------------------------------------------------------------


def test_message_count_is_bounded() -> None:
    too_many = [b"m"] * (bbs.MAX_MESSAGES + 1)
    with pytest.raises(DecodeError):
        bbs.sign(SK, PK, HEADER, too_many, backend=BACKEND)
    with pytest.raises(DecodeError):
        bbs.verify(PK, SIGNATURE, HEADER, too_many, backend=BACKEND)
    # A proof claiming more undisclosed messages than the bound is refused
    # from its length alone, before any generator is created.
    long_proof = PROOF[:-32] + b"\x01" * (32 * bbs.MAX_MESSAGES) + PROOF[-32:]
    with pytest.raises(DecodeError):
        _verify_proof(long_proof)
