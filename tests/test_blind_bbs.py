"""Blind BBS beyond the fixtures: round trips, typed errors, and the extension hooks.

Errors: a commitment whose proof of knowledge fails is InvalidProof; a
malformed commitment (length, point, scalar), a commitment to another number
of messages than the Signer expects, bad indexes and wrong lengths are
DecodeError; a wrong blind or message is InvalidSignature or InvalidProof.
Hooks: a later layer chooses its api_id, the presentation header, single-use
blinding scalars of chosen undisclosed messages, and adds commitments of its
own to the one challenge.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from bls_points import G1_IDENTITY, NON_CANONICAL_G1_IDENTITY, g1_off_curve, g1_outside_subgroup

from zkcheck import testing
from zkcheck.errors import DecodeError, InvalidProof, InvalidSignature
from zkcheck.hazmat import bbs, blind_bbs
from zkcheck.hazmat.backend import GROUP_ORDER, get_backend
from zkcheck.hazmat.secret import SecretBytes

BACKEND = get_backend("arkworks")
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
SK = bbs.key_gen(b"blind BBS tests, key material of 32+ bytes")
PK = bbs.sk_to_pk(SK, backend=BACKEND)
HEADER = b"layout v1"
PH = b"request hash"
MESSAGES = [b"credential type", b"issue day", b"birth day", b"msisdn"]
COMMITTED = [b"holder secret", b"second secret"]
COMMITMENT, BLIND = blind_bbs.commit(COMMITTED, backend=BACKEND)
SIGNATURE = blind_bbs.blind_sign(SK, PK, COMMITMENT, HEADER, MESSAGES, backend=BACKEND)
DISCLOSED, DISCLOSED_COMMITTED = [0, 3], [1]
PROOF = blind_bbs.proof_gen(
    PK, SIGNATURE, HEADER, PH, MESSAGES, COMMITTED, DISCLOSED, DISCLOSED_COMMITTED, BLIND
)


def _verify_proof(proof: bytes, **changes: object) -> None:
    arguments: dict[str, object] = {
        "pk": PK,
        "proof": proof,
        "header": HEADER,
        "ph": PH,
        "signer_message_count": len(MESSAGES),
        "disclosed_messages": [MESSAGES[i] for i in DISCLOSED],
        "disclosed_committed_messages": [COMMITTED[j] for j in DISCLOSED_COMMITTED],
        "disclosed_indexes": DISCLOSED,
        "disclosed_committed_indexes": DISCLOSED_COMMITTED,
    }
    arguments.update(changes)
    blind_bbs.proof_verify(**arguments, backend=BACKEND)  # type: ignore[arg-type]


def test_the_unmodified_inputs_are_valid() -> None:
    blind_bbs.verify(PK, SIGNATURE, HEADER, MESSAGES, COMMITTED, BLIND, backend=BACKEND)
    _verify_proof(PROOF)
    assert len(PROOF) == 272 + 32 * (len(MESSAGES) + 1 + len(COMMITTED) - 3)


def test_the_prover_blind_is_a_secret() -> None:
    assert isinstance(BLIND, SecretBytes)
    assert BLIND.reveal().hex() not in repr(BLIND)
    assert len(COMMITMENT) == 112 + 32 * len(COMMITTED)


def test_signing_without_a_commitment() -> None:
    signature = blind_bbs.blind_sign(SK, PK, b"", HEADER, MESSAGES, backend=BACKEND)
    blind_bbs.verify(PK, signature, HEADER, MESSAGES, [], backend=BACKEND)
    proof = blind_bbs.proof_gen(PK, signature, HEADER, PH, MESSAGES, [], [1], [])
    blind_bbs.proof_verify(PK, proof, HEADER, PH, len(MESSAGES), [MESSAGES[1]], [], [1], [])


def test_a_profile_chooses_its_own_api_id() -> None:
    api_id = b"ZKCHECK-TEST-CREDENTIAL-V1-"
    commitment, blind = blind_bbs.commit(COMMITTED, api_id=api_id, backend=BACKEND)
    # A commitment proof is bound to its api_id.
    with pytest.raises(InvalidProof):
        blind_bbs.blind_sign(SK, PK, commitment, HEADER, MESSAGES, backend=BACKEND)
    signature = blind_bbs.blind_sign(SK, PK, commitment, HEADER, MESSAGES, api_id=api_id)
    blind_bbs.verify(PK, signature, HEADER, MESSAGES, COMMITTED, blind, api_id=api_id)
    with pytest.raises(InvalidSignature):
        blind_bbs.verify(PK, signature, HEADER, MESSAGES, COMMITTED, blind)
    proof = blind_bbs.proof_gen(
        PK, signature, HEADER, PH, MESSAGES, COMMITTED, [0], [], blind, api_id=api_id
    )
    args = (PK, proof, HEADER, PH, len(MESSAGES), [MESSAGES[0]], [], [0], [])
    blind_bbs.proof_verify(*args, api_id=api_id)
    with pytest.raises(InvalidProof):
        blind_bbs.proof_verify(*args)
    for bad in (b"", b"x" * 193):
        with pytest.raises(ValueError):
            blind_bbs.commit(COMMITTED, api_id=bad)


# -- the commitment ----------------------------------------------------------------


def _with_scalar(commitment: bytes, position: int, value: int) -> bytes:
    start = 48 + 32 * position
    return commitment[:start] + value.to_bytes(32, "big") + commitment[start + 32 :]


@pytest.mark.parametrize("position", [0, 1, 2, 3], ids=["s^", "m^_1", "m^_2", "challenge"])
def test_a_bad_commitment_proof_is_an_invalid_proof(position: int) -> None:
    start = 48 + 32 * position
    value = int.from_bytes(COMMITMENT[start : start + 32], "big")
    tampered = _with_scalar(COMMITMENT, position, value % (GROUP_ORDER - 1) + 1)
    with pytest.raises(InvalidProof):
        blind_bbs.blind_sign(SK, PK, tampered, HEADER, MESSAGES, backend=BACKEND)


def test_a_commitment_to_other_values_is_an_invalid_proof() -> None:
    other, _ = blind_bbs.commit([b"another secret", b"and another"], backend=BACKEND)
    swapped = other[:48] + COMMITMENT[48:]
    with pytest.raises(InvalidProof):
        blind_bbs.blind_sign(SK, PK, swapped, HEADER, MESSAGES, backend=BACKEND)


BAD_POINTS = {
    "identity": G1_IDENTITY,
    "off curve": g1_off_curve(),
    "outside subgroup": g1_outside_subgroup(),
    **{f"non-canonical identity {i}": e for i, e in enumerate(NON_CANONICAL_G1_IDENTITY)},
}


@pytest.mark.parametrize("kind", list(BAD_POINTS))
def test_a_malformed_commitment_point(kind: str) -> None:
    with pytest.raises(DecodeError):
        blind_bbs.blind_sign(SK, PK, BAD_POINTS[kind] + COMMITMENT[48:], HEADER, MESSAGES)


@pytest.mark.parametrize("value", [0, GROUP_ORDER, 2**256 - 1], ids=["zero", "r", "max"])
@pytest.mark.parametrize("position", [0, 2, 3])
def test_a_malformed_commitment_scalar(value: int, position: int) -> None:
    with pytest.raises(DecodeError):
        blind_bbs.blind_sign(SK, PK, _with_scalar(COMMITMENT, position, value), HEADER, MESSAGES)


@pytest.mark.parametrize("length", [1, 48, 111, 113, len(COMMITMENT) - 1, len(COMMITMENT) + 31])
def test_a_commitment_of_the_wrong_length(length: int) -> None:
    with pytest.raises(DecodeError):
        blind_bbs.blind_sign(SK, PK, (COMMITMENT * 2)[:length], HEADER, MESSAGES)
    with pytest.raises(DecodeError):
        blind_bbs.octets_to_commitment_with_proof(
            (COMMITMENT * 2)[:length], ciphersuite=CIPHERSUITE
        )


def test_the_signer_pins_the_number_of_committed_messages() -> None:
    for expected in (0, 1, 3):
        with pytest.raises(DecodeError):
            blind_bbs.blind_sign(SK, PK, COMMITMENT, HEADER, MESSAGES, committed_count=expected)
    with pytest.raises(DecodeError):
        blind_bbs.blind_sign(SK, PK, b"", HEADER, MESSAGES, committed_count=1)


def test_a_commitment_must_match_its_blind_generators() -> None:
    generators = blind_bbs.blind_generators(
        2, blind_bbs.interface_api_id(), ciphersuite=CIPHERSUITE
    )
    with pytest.raises(DecodeError):
        blind_bbs.deserialize_and_validate_commit(
            COMMITMENT, generators, blind_bbs.interface_api_id(), ciphersuite=CIPHERSUITE
        )


# -- signature verification and proofs -------------------------------------------------


def test_a_wrong_blind_or_message_does_not_verify() -> None:
    wrong_blind = ((int.from_bytes(BLIND.reveal(), "big") + 1) % GROUP_ORDER).to_bytes(32, "big")
    with pytest.raises(InvalidSignature):
        blind_bbs.verify(PK, SIGNATURE, HEADER, MESSAGES, COMMITTED, wrong_blind)
    with pytest.raises(InvalidSignature):
        blind_bbs.verify(PK, SIGNATURE, HEADER, MESSAGES, COMMITTED[::-1], BLIND)
    with pytest.raises(InvalidSignature):
        blind_bbs.verify(PK, SIGNATURE, HEADER, MESSAGES, COMMITTED, None)
    proof = blind_bbs.proof_gen(
        PK, SIGNATURE, HEADER, PH, MESSAGES, COMMITTED, DISCLOSED, DISCLOSED_COMMITTED, wrong_blind
    )
    with pytest.raises(InvalidProof):
        _verify_proof(proof)


@pytest.mark.parametrize(
    "blind", [b"\x00" * 31, b"\x00" * 33, GROUP_ORDER.to_bytes(32, "big")], ids=["31", "33", "r"]
)
def test_a_malformed_prover_blind(blind: bytes) -> None:
    with pytest.raises(DecodeError):
        blind_bbs.verify(PK, SIGNATURE, HEADER, MESSAGES, COMMITTED, blind)
    with pytest.raises(DecodeError):
        blind_bbs.proof_gen(PK, SIGNATURE, HEADER, PH, MESSAGES, COMMITTED, [], [], blind)


def test_the_proof_is_bound_to_the_presentation_header_and_the_disclosures() -> None:
    with pytest.raises(InvalidProof):
        _verify_proof(PROOF, ph=b"another request")
    with pytest.raises(InvalidProof):
        _verify_proof(PROOF, header=b"layout v2")
    with pytest.raises(InvalidProof):
        _verify_proof(PROOF, disclosed_committed_messages=[b"forged"])
    # The same message shown as the other list's is another statement.
    with pytest.raises(InvalidProof):
        _verify_proof(
            PROOF, disclosed_committed_indexes=[0], disclosed_committed_messages=[COMMITTED[1]]
        )


@pytest.mark.parametrize(
    ("disclosed", "disclosed_committed"),
    [([3, 0], [1]), ([0, 0], [1]), ([0, 4], [1]), ([-1], []), ([0], [2]), ([0], [1, 1])],
    ids=["unsorted", "repeated", "signer range", "negative", "committed range", "repeated c"],
)
def test_bad_indexes(disclosed: list[int], disclosed_committed: list[int]) -> None:
    with pytest.raises(DecodeError):
        blind_bbs.proof_gen(
            PK, SIGNATURE, HEADER, PH, MESSAGES, COMMITTED, disclosed, disclosed_committed, BLIND
        )
    with pytest.raises(DecodeError):
        _verify_proof(
            PROOF,
            disclosed_indexes=disclosed,
            disclosed_committed_indexes=disclosed_committed,
            disclosed_messages=[b"m"] * len(disclosed),
            disclosed_committed_messages=[b"m"] * len(disclosed_committed),
        )


@pytest.mark.parametrize("length", [0, 271, 272 + 31, len(PROOF) - 1, len(PROOF) + 1])
def test_a_proof_of_the_wrong_length(length: int) -> None:
    with pytest.raises(DecodeError):
        _verify_proof((PROOF * 2)[:length])


def test_wrong_counts() -> None:
    with pytest.raises(DecodeError):
        _verify_proof(PROOF, disclosed_messages=[MESSAGES[0]])
    with pytest.raises(DecodeError):
        _verify_proof(PROOF, disclosed_committed_messages=[])
    # L beyond what the proof covers, negative, or not an integer.
    for count in (len(MESSAGES) + len(COMMITTED) + 1, -1, True):
        with pytest.raises(DecodeError):
            _verify_proof(PROOF, signer_message_count=count)
    # One L too many shifts the committed list by one: its index 1 is then out of range.
    with pytest.raises(DecodeError):
        _verify_proof(PROOF, signer_message_count=len(MESSAGES) + 1)
    # One L too few: committed message 0 would be the blind's position. Another statement.
    proof = blind_bbs.proof_gen(PK, SIGNATURE, HEADER, PH, MESSAGES, COMMITTED, [0], [0], BLIND)
    arguments = (proof, HEADER, PH)
    blind_bbs.proof_verify(PK, *arguments, len(MESSAGES), [MESSAGES[0]], COMMITTED[:1], [0], [0])
    with pytest.raises(InvalidProof):
        blind_bbs.proof_verify(
            PK, *arguments, len(MESSAGES) - 1, [MESSAGES[0]], COMMITTED[:1], [0], [0]
        )


# -- hooks for proofs that extend a blind BBS proof ---------------------------------------

HOLDER_SECRET_INDEX = blind_bbs.committed_message_index(len(MESSAGES), 0)


def test_committed_message_index() -> None:
    api_id = blind_bbs.interface_api_id()
    scalars, _ = blind_bbs.prepare_parameters(
        bbs.messages_to_scalars(MESSAGES, api_id, ciphersuite=CIPHERSUITE),
        bbs.messages_to_scalars(COMMITTED, api_id, ciphersuite=CIPHERSUITE),
        len(MESSAGES) + 1,
        len(COMMITTED) + 1,
        7,
        api_id,
        ciphersuite=CIPHERSUITE,
    )
    assert scalars[len(MESSAGES)] == 7
    assert (
        scalars[HOLDER_SECRET_INDEX]
        == bbs.messages_to_scalars(COMMITTED[:1], api_id, ciphersuite=CIPHERSUITE)[0]
    )


def _schnorr_extension(
    base_index: int,
) -> tuple[bbs.ProverExtension, bbs.VerifierExtension, list[int]]:
    """A toy proof sharing the challenge: it shows that X = G * m for the signed message m.

    G is a generator outside BBS's; X is public. The prover's commitment is
    G * m~ (with the m~ it chose); the verifier recomputes G * m^ - X * c.
    """
    api_id = blind_bbs.interface_api_id()
    (g,) = bbs.create_generators(1, b"TEST-EXTENSION-", ciphersuite=CIPHERSUITE)
    message = bbs.messages_to_scalars(COMMITTED[:1], api_id, ciphersuite=CIPHERSUITE)[0]
    x = BACKEND.g1_mul(g, message)
    seen: list[int] = []

    def prover(m_tilde: Mapping[int, int]) -> bbs.ChallengeExtension:
        seen.append(m_tilde[base_index])
        return bbs.ChallengeExtension((x, BACKEND.g1_mul(g, m_tilde[base_index])), b"\x00\x01x")

    def verifier(m_hat: Mapping[int, int], challenge: int) -> bbs.ChallengeExtension:
        t = BACKEND.g1_msm([g, x], [m_hat[base_index], (-challenge) % GROUP_ORDER])
        return bbs.ChallengeExtension((x, t), b"\x00\x01x")

    return prover, verifier, seen


def test_chosen_blinding_scalar_and_extension_share_the_challenge() -> None:
    chosen = 0x5EED << 200
    prover, verifier, seen = _schnorr_extension(HOLDER_SECRET_INDEX)
    undisclosed = 2 + 1 + 1  # two signer messages, the blind, one committed
    proof = blind_bbs.proof_gen(
        PK,
        SIGNATURE,
        HEADER,
        PH,
        MESSAGES,
        COMMITTED,
        DISCLOSED,
        DISCLOSED_COMMITTED,
        BLIND,
        rng=testing.mocked_rng(5 + undisclosed - 1),  # the chosen scalar is not drawn
        chosen_m_tilde={HOLDER_SECRET_INDEX: chosen},
        extensions=[prover],
    )
    assert seen == [chosen]
    _verify_proof(proof, extensions=[verifier])
    # Without the extension, or with it on a plain proof, the challenges differ.
    with pytest.raises(InvalidProof):
        _verify_proof(proof)
    with pytest.raises(InvalidProof):
        _verify_proof(PROOF, extensions=[verifier])
    # The holder secret's response is m~ + m * c with the chosen m~.
    decoded = bbs.octets_to_proof(proof, ciphersuite=CIPHERSUITE)
    secret = bbs.messages_to_scalars(
        COMMITTED[:1], blind_bbs.interface_api_id(), ciphersuite=CIPHERSUITE
    )[0]
    shown = blind_bbs.combined_indexes(
        len(MESSAGES), len(COMMITTED), DISCLOSED, DISCLOSED_COMMITTED
    )
    undisclosed = [i for i in range(len(MESSAGES) + 1 + len(COMMITTED)) if i not in shown]
    position = undisclosed.index(HOLDER_SECRET_INDEX)
    assert decoded.commitments[position] == (chosen + secret * decoded.challenge) % GROUP_ORDER


def test_an_extension_proving_a_false_statement_fails() -> None:
    prover, _, _ = _schnorr_extension(HOLDER_SECRET_INDEX)
    # The verifier believes the statement is about the second signer message.
    _, wrong_verifier, _ = _schnorr_extension(1)
    proof = blind_bbs.proof_gen(
        PK,
        SIGNATURE,
        HEADER,
        PH,
        MESSAGES,
        COMMITTED,
        DISCLOSED,
        DISCLOSED_COMMITTED,
        BLIND,
        extensions=[prover],
    )
    with pytest.raises(InvalidProof):
        _verify_proof(proof, extensions=[wrong_verifier])


# -- messages a profile maps to scalars itself ------------------------------------------


def test_scalar_messages_are_the_same_operations() -> None:
    """The *_scalars functions are what the octet-string ones run after hashing."""
    api_id = blind_bbs.interface_api_id()
    hashed = bbs.messages_to_scalars(MESSAGES, api_id, ciphersuite=CIPHERSUITE)
    committed = bbs.messages_to_scalars(COMMITTED, api_id, ciphersuite=CIPHERSUITE)
    assert blind_bbs.blind_sign_scalars(SK, PK, COMMITMENT, HEADER, hashed) == SIGNATURE
    blind_bbs.verify_scalars(PK, SIGNATURE, HEADER, hashed, committed, BLIND)
    proof = blind_bbs.proof_gen_scalars(
        PK, SIGNATURE, HEADER, PH, hashed, committed, DISCLOSED, DISCLOSED_COMMITTED, BLIND
    )
    _verify_proof(proof)
    blind_bbs.proof_verify_scalars(
        PK,
        PROOF,
        HEADER,
        PH,
        len(MESSAGES),
        [hashed[i] for i in DISCLOSED],
        [committed[j] for j in DISCLOSED_COMMITTED],
        DISCLOSED,
        DISCLOSED_COMMITTED,
    )


def test_typed_messages_round_trip() -> None:
    """Integers mapped to scalars directly (a credential layout's typed positions)."""
    api_id = b"ZKCHECK-TEST-TYPED-V1-"
    holder_secret = 0x1234_5678 << 128
    commitment, blind = blind_bbs.commit_scalars([holder_secret], api_id=api_id)
    signer = [1, 739_000, 0, GROUP_ORDER - 1]
    signature = blind_bbs.blind_sign_scalars(
        SK, PK, commitment, HEADER, signer, committed_count=1, api_id=api_id
    )
    blind_bbs.verify_scalars(PK, signature, HEADER, signer, [holder_secret], blind, api_id=api_id)
    proof = blind_bbs.proof_gen_scalars(
        PK, signature, HEADER, PH, signer, [holder_secret], [1], [], blind, api_id=api_id
    )
    blind_bbs.proof_verify_scalars(PK, proof, HEADER, PH, 4, [739_000], [], [1], [], api_id=api_id)
    with pytest.raises(InvalidProof):
        blind_bbs.proof_verify_scalars(
            PK, proof, HEADER, PH, 4, [739_001], [], [1], [], api_id=api_id
        )


@pytest.mark.parametrize("bad", [-1, GROUP_ORDER, True, "1"], ids=["-1", "r", "bool", "str"])
def test_scalar_messages_are_checked(bad: object) -> None:
    with pytest.raises(DecodeError):
        blind_bbs.commit_scalars([bad])  # type: ignore[list-item]
    with pytest.raises(DecodeError):
        blind_bbs.blind_sign_scalars(SK, PK, b"", HEADER, [bad])  # type: ignore[list-item]
    with pytest.raises(DecodeError):
        blind_bbs.verify_scalars(PK, SIGNATURE, HEADER, [bad], [])  # type: ignore[list-item]
    with pytest.raises(DecodeError):
        blind_bbs.proof_verify_scalars(
            PK,
            PROOF,
            HEADER,
            PH,
            4,
            [bad, 1],
            [1],
            DISCLOSED,
            DISCLOSED_COMMITTED,  # type: ignore[list-item]
        )
