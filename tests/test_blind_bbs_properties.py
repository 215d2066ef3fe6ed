"""Hypothesis properties of blind BBS and BBS pseudonyms (arkworks backend).

- Any flipped byte of a commitment with proof, a blind signature, a blind
  proof, a pseudonym proof or a pseudonym is rejected with a ZkcheckError.
- Decoders raise nothing but DecodeError on arbitrary bytes, and the Signer
  and the verifiers nothing but a ZkcheckError.
- Commit, blind sign, verify, prove and verify round-trip on arbitrary
  messages and disclosure sets.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkcheck.errors import DecodeError, ZkcheckError
from zkcheck.hazmat import bbs, bbs_pseudonym, blind_bbs
from zkcheck.hazmat.backend import get_backend

BACKEND = get_backend("arkworks")
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
SK = bbs.key_gen(b"blind property tests, key material, 32+ bytes")
PK = bbs.sk_to_pk(SK, backend=BACKEND)
MESSAGES = [b"one", b"two", b"three"]
COMMITTED = [b"holder secret", b"other"]
COMMITMENT, BLIND = blind_bbs.commit(COMMITTED)
SIGNATURE = blind_bbs.blind_sign(SK, PK, COMMITMENT, b"h", MESSAGES)
PROOF = blind_bbs.proof_gen(PK, SIGNATURE, b"h", b"ph", MESSAGES, COMMITTED, [0], [1], BLIND)

NYMS = bbs_pseudonym.generate_prover_nyms(2)
ENTROPY = bbs_pseudonym.generate_signer_nym_entropy()
NYM_COMMITMENT, NYM_BLIND = bbs_pseudonym.commit_with_nym(COMMITTED, NYMS)
NYM_SIGNATURE = bbs_pseudonym.blind_sign_with_nym(
    SK, PK, NYM_COMMITMENT, 2, ENTROPY, b"h", MESSAGES
)
NYM_SECRETS = bbs_pseudonym.verify_finalize_with_nym(
    PK, NYM_SIGNATURE, b"h", MESSAGES, COMMITTED, NYMS, ENTROPY, NYM_BLIND
)
NYM_PROOF, PSEUDONYM = bbs_pseudonym.proof_gen_with_nym(
    PK, NYM_SIGNATURE, b"h", b"ph", NYM_SECRETS, b"ctx", MESSAGES, COMMITTED, [0], [1], NYM_BLIND
)

flips = st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255))


def _flip(data: bytes, flip: tuple[int, int]) -> bytes:
    position, mask = flip
    position %= len(data)
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


def _verify_blind_proof(proof: bytes) -> None:
    blind_bbs.proof_verify(PK, proof, b"h", b"ph", 3, [MESSAGES[0]], [COMMITTED[1]], [0], [1])


def _verify_nym_proof(proof: bytes, pseudonym: bytes) -> None:
    bbs_pseudonym.proof_verify_with_nym(
        PK, proof, b"h", b"ph", pseudonym, b"ctx", 2, 3, [MESSAGES[0]], [COMMITTED[1]], [0], [1]
    )


def test_the_unmodified_inputs_are_valid() -> None:
    _verify_blind_proof(PROOF)
    _verify_nym_proof(NYM_PROOF, PSEUDONYM)


@given(flips)
def test_flipped_commitment_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        blind_bbs.blind_sign(SK, PK, _flip(COMMITMENT, flip), b"h", MESSAGES)
    with pytest.raises(ZkcheckError):
        bbs_pseudonym.blind_sign_with_nym(
            SK, PK, _flip(NYM_COMMITMENT, flip), 2, ENTROPY, b"h", MESSAGES
        )


@given(flips)
def test_flipped_blind_signature_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        blind_bbs.verify(PK, _flip(SIGNATURE, flip), b"h", MESSAGES, COMMITTED, BLIND)
    with pytest.raises(ZkcheckError):
        bbs_pseudonym.verify_finalize_with_nym(
            PK, _flip(NYM_SIGNATURE, flip), b"h", MESSAGES, COMMITTED, NYMS, ENTROPY, NYM_BLIND
        )


@given(flips)
def test_flipped_blind_proof_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        _verify_blind_proof(_flip(PROOF, flip))


@given(flips)
def test_flipped_pseudonym_proof_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        _verify_nym_proof(_flip(NYM_PROOF, flip), PSEUDONYM)


@given(flips)
def test_flipped_pseudonym_byte_is_rejected(flip: tuple[int, int]) -> None:
    with pytest.raises(ZkcheckError):
        _verify_nym_proof(NYM_PROOF, _flip(PSEUDONYM, flip))


@given(st.binary(max_size=300))
def test_decoders_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        blind_bbs.octets_to_commitment_with_proof(data, ciphersuite=CIPHERSUITE)
    with contextlib.suppress(DecodeError):
        blind_bbs.commitment_message_count(data)
    with contextlib.suppress(DecodeError):
        bbs_pseudonym.octets_to_pseudonym(data, ciphersuite=CIPHERSUITE)


@given(st.binary(min_size=48, max_size=48))
def test_pseudonym_decoder_on_right_length(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        bbs_pseudonym.octets_to_pseudonym(data, ciphersuite=CIPHERSUITE)


@given(st.binary(min_size=112 + 64, max_size=112 + 64))
def test_signer_on_arbitrary_commitments(data: bytes) -> None:
    with pytest.raises(ZkcheckError):
        blind_bbs.blind_sign(SK, PK, data, b"h", MESSAGES)


@given(st.binary(min_size=272 + 4 * 32, max_size=272 + 4 * 32), st.binary(max_size=48))
def test_verifiers_on_arbitrary_bytes(proof: bytes, pseudonym: bytes) -> None:
    with pytest.raises(ZkcheckError):
        _verify_blind_proof(proof)
    with pytest.raises(ZkcheckError):
        _verify_nym_proof(proof, pseudonym)


@given(
    st.lists(st.binary(max_size=20), max_size=4),
    st.lists(st.binary(max_size=20), max_size=3),
    st.data(),
)
def test_round_trip(messages: list[bytes], committed: list[bytes], data: st.DataObject) -> None:
    disclosed = (
        sorted(data.draw(st.sets(st.sampled_from(range(len(messages)))))) if messages else []
    )
    disclosed_committed = (
        sorted(data.draw(st.sets(st.sampled_from(range(len(committed)))))) if committed else []
    )
    commitment, blind = blind_bbs.commit(committed)
    signature = blind_bbs.blind_sign(SK, PK, commitment, b"", messages)
    blind_bbs.verify(PK, signature, b"", messages, committed, blind)
    proof = blind_bbs.proof_gen(
        PK, signature, b"", b"ph", messages, committed, disclosed, disclosed_committed, blind
    )
    blind_bbs.proof_verify(
        PK,
        proof,
        b"",
        b"ph",
        len(messages),
        [messages[i] for i in disclosed],
        [committed[j] for j in disclosed_committed],
        disclosed,
        disclosed_committed,
    )
