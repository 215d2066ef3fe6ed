"""Hypothesis properties of the BBS interface (arkworks backend).

- Any flipped byte of a signature or a proof is rejected with a ZkcheckError.
- Decoders and verifiers never raise anything but a ZkcheckError on
  arbitrary bytes.
- Sign / verify and proof_gen / proof_verify round-trip on arbitrary
  messages and disclosure sets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkcheck.errors import DecodeError, ZkcheckError
from zkcheck.hazmat import bbs
from zkcheck.hazmat.backend import get_backend

BACKEND = get_backend("arkworks")
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
SK = bbs.key_gen(b"property tests, key material of 32 or more bytes")
PK = bbs.sk_to_pk(SK, backend=BACKEND)
MESSAGES = [b"one", b"two", b"three", b"four", b"five"]
DISCLOSED = [0, 2]
SIGNATURE = bbs.sign(SK, PK, b"h", MESSAGES, backend=BACKEND)
PROOF = bbs.proof_gen(PK, SIGNATURE, b"h", b"ph", MESSAGES, DISCLOSED, backend=BACKEND)

flips = st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255))


def _flip(data: bytes, flip: tuple[int, int]) -> bytes:
    position, mask = flip
    position %= len(data)
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


@given(flips)
def test_flipped_signature_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        bbs.verify(PK, _flip(SIGNATURE, flip), b"h", MESSAGES, backend=BACKEND)


@given(flips)
def test_flipped_proof_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        bbs.proof_verify(
            PK,
            _flip(PROOF, flip),
            b"h",
            b"ph",
            [MESSAGES[0], MESSAGES[2]],
            DISCLOSED,
            backend=BACKEND,
        )


@given(flips)
def test_flipped_public_key_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        bbs.verify(_flip(PK, flip), SIGNATURE, b"h", MESSAGES, backend=BACKEND)


def _only_decode_errors(decode: Callable[..., object], data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode(data, ciphersuite=CIPHERSUITE)


@given(st.binary(max_size=200))
def test_decoders_raise_only_decode_errors(data: bytes) -> None:
    for decode in (bbs.octets_to_signature, bbs.octets_to_proof, bbs.octets_to_pubkey):
        _only_decode_errors(decode, data)


@given(st.binary(min_size=80, max_size=80))
def test_signature_decoder_on_right_length(data: bytes) -> None:
    _only_decode_errors(bbs.octets_to_signature, data)


@given(st.binary(min_size=96, max_size=96))
def test_public_key_decoder_on_right_length(data: bytes) -> None:
    _only_decode_errors(bbs.octets_to_pubkey, data)


@given(st.binary(min_size=272 + 64, max_size=272 + 64))
def test_proof_verify_on_arbitrary_bytes(data: bytes) -> None:
    with pytest.raises(ZkcheckError):
        bbs.proof_verify(PK, data, b"h", b"ph", [b"x"], [0], backend=BACKEND)


@given(
    st.lists(st.binary(max_size=40), min_size=1, max_size=6).flatmap(
        lambda messages: st.tuples(
            st.just(messages),
            st.sets(st.integers(min_value=0, max_value=len(messages) - 1)),
        )
    ),
    st.binary(max_size=20),
)
def test_round_trip(case: tuple[list[bytes], set[int]], header: bytes) -> None:
    messages, disclosed_set = case
    disclosed = sorted(disclosed_set)
    signature = bbs.sign(SK, PK, header, messages, backend=BACKEND)
    bbs.verify(PK, signature, header, messages, backend=BACKEND)
    proof = bbs.proof_gen(PK, signature, header, b"ph", messages, disclosed, backend=BACKEND)
    assert len(proof) == 272 + 32 * (len(messages) - len(disclosed))
    bbs.proof_verify(
        PK, proof, header, b"ph", [messages[i] for i in disclosed], disclosed, backend=BACKEND
    )
