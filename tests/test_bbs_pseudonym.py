"""BBS pseudonyms beyond the fixtures: linkability, typed errors, hooks.

- One signature gives the same pseudonym in one context at every proof and
  unrelated pseudonyms in others; a proof checked against another context,
  another N or another pseudonym fails.
- The Signer's entropy makes the nym secrets unique per issuance, and reusing
  it (a deliberate reissue) keeps the pseudonyms.
- Malformed pseudonyms, nym vectors, entropies and commitments are
  DecodeError; a commitment whose proof fails is InvalidProof.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from bls_points import G1_IDENTITY, g1_off_curve, g1_outside_subgroup
from py_arkworks_bls12381 import G1Point

from zkcheck.errors import DecodeError, InvalidProof, InvalidSignature
from zkcheck.hazmat import bbs, bbs_pseudonym, blind_bbs
from zkcheck.hazmat.backend import GROUP_ORDER, get_backend
from zkcheck.hazmat.secret import SecretBytes

BACKEND = get_backend("arkworks")
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
SK = bbs.key_gen(b"pseudonym tests, key material of 32+ bytes")
PK = bbs.sk_to_pk(SK, backend=BACKEND)
HEADER, PH = b"layout v1", b"request"
MESSAGES = [b"credential type", b"issue day", b"msisdn"]
COMMITTED = [b"holder secret"]
PROVER_NYMS = bbs_pseudonym.generate_prover_nyms(3)
ENTROPY = bbs_pseudonym.generate_signer_nym_entropy()
SOCIAL = b"https://social.example"
OTHER = b"https://other.example"


def _issue(
    prover_nyms: tuple[SecretBytes, ...] = PROVER_NYMS, entropy: bytes = ENTROPY
) -> tuple[bytes, SecretBytes, tuple[SecretBytes, ...]]:
    commitment, blind = bbs_pseudonym.commit_with_nym(COMMITTED, prover_nyms)
    signature = bbs_pseudonym.blind_sign_with_nym(
        SK, PK, commitment, len(prover_nyms), entropy, HEADER, MESSAGES, committed_count=1
    )
    secrets = bbs_pseudonym.verify_finalize_with_nym(
        PK, signature, HEADER, MESSAGES, COMMITTED, prover_nyms, entropy, blind
    )
    return signature, blind, secrets


SIGNATURE, BLIND, NYM_SECRETS = _issue()


def _prove(context_id: bytes = SOCIAL, **changes: object) -> tuple[bytes, bytes]:
    arguments: dict[str, object] = {
        "pk": PK,
        "signature": SIGNATURE,
        "header": HEADER,
        "ph": PH,
        "nym_secrets": NYM_SECRETS,
        "context_id": context_id,
        "messages": MESSAGES,
        "committed_messages": COMMITTED,
        "disclosed_indexes": [0],
        "disclosed_committed_indexes": [],
        "secret_prover_blind": BLIND,
    }
    arguments.update(changes)
    return bbs_pseudonym.proof_gen_with_nym(**arguments)  # type: ignore[arg-type]


def _verify(proof: bytes, pseudonym: bytes, context_id: bytes = SOCIAL, **changes: object) -> None:
    arguments: dict[str, object] = {
        "pk": PK,
        "proof": proof,
        "header": HEADER,
        "ph": PH,
        "pseudonym": pseudonym,
        "context_id": context_id,
        "nym_count": len(PROVER_NYMS),
        "signer_message_count": len(MESSAGES),
        "disclosed_messages": [MESSAGES[0]],
        "disclosed_committed_messages": [],
        "disclosed_indexes": [0],
        "disclosed_committed_indexes": [],
    }
    arguments.update(changes)
    bbs_pseudonym.proof_verify_with_nym(**arguments)  # type: ignore[arg-type]


PROOF, PSEUDONYM = _prove()


def test_the_unmodified_inputs_are_valid() -> None:
    _verify(PROOF, PSEUDONYM)
    assert all(isinstance(secret, SecretBytes) for secret in (*PROVER_NYMS, *NYM_SECRETS))


def test_one_pseudonym_per_context() -> None:
    again, pseudonym = _prove()
    assert pseudonym == PSEUDONYM and again != PROOF
    _verify(again, pseudonym)
    other_proof, other = _prove(OTHER)
    assert other != PSEUDONYM
    _verify(other_proof, other, OTHER)
    assert bbs_pseudonym.calculate_pseudonym(SOCIAL, NYM_SECRETS) == PSEUDONYM


def test_a_proof_for_one_context_fails_in_another() -> None:
    with pytest.raises(InvalidProof):
        _verify(PROOF, PSEUDONYM, OTHER)
    other_pseudonym = bbs_pseudonym.calculate_pseudonym(OTHER, NYM_SECRETS)
    with pytest.raises(InvalidProof):
        _verify(PROOF, other_pseudonym, OTHER)


def test_a_pseudonym_of_another_holder_fails() -> None:
    _, _, secrets = _issue(bbs_pseudonym.generate_prover_nyms(3))
    someone_else = bbs_pseudonym.calculate_pseudonym(SOCIAL, secrets)
    assert someone_else != PSEUDONYM
    with pytest.raises(InvalidProof):
        _verify(PROOF, someone_else)


def test_the_number_of_nym_secrets_is_bound() -> None:
    # Another N changes the header and which undisclosed messages are nym secrets.
    for count in (1, 2, 4):
        with pytest.raises((InvalidProof, DecodeError)):
            _verify(PROOF, PSEUDONYM, nym_count=count)
    with pytest.raises(InvalidSignature):
        bbs_pseudonym.verify_finalize_with_nym(
            PK, SIGNATURE, HEADER, MESSAGES, [*COMMITTED, b"x"], PROVER_NYMS[:2], ENTROPY, BLIND
        )


def test_the_signer_entropy_makes_issuances_unique() -> None:
    other_entropy = bbs_pseudonym.generate_signer_nym_entropy()
    _, _, secrets = _issue(entropy=other_entropy)
    assert [s.reveal() for s in secrets[:-1]] == [s.reveal() for s in NYM_SECRETS[:-1]]
    assert secrets[-1] != NYM_SECRETS[-1]
    assert bbs_pseudonym.calculate_pseudonym(SOCIAL, secrets) != PSEUDONYM
    # A reissue with the same prover_nyms and entropy keeps the pseudonyms.
    _, _, same = _issue(entropy=ENTROPY)
    assert bbs_pseudonym.calculate_pseudonym(SOCIAL, same) == PSEUDONYM
    # The entropy is what the signature covers.
    commitment, blind = bbs_pseudonym.commit_with_nym(COMMITTED, PROVER_NYMS)
    signature = bbs_pseudonym.blind_sign_with_nym(SK, PK, commitment, 3, ENTROPY, HEADER, MESSAGES)
    with pytest.raises(InvalidSignature):
        bbs_pseudonym.verify_finalize_with_nym(
            PK, signature, HEADER, MESSAGES, COMMITTED, PROVER_NYMS, other_entropy, blind
        )


BAD_PSEUDONYMS = {
    "identity": G1_IDENTITY,
    "base point": bbs_pseudonym.BP1_OCTETS,
    "off curve": g1_off_curve(),
    "outside subgroup": g1_outside_subgroup(),
    "short": PSEUDONYM[:47],
    "long": PSEUDONYM + b"\x00",
}


@pytest.mark.parametrize("kind", list(BAD_PSEUDONYMS))
def test_a_malformed_pseudonym(kind: str) -> None:
    with pytest.raises(DecodeError):
        _verify(PROOF, BAD_PSEUDONYMS[kind])


def test_base_point_constant() -> None:
    # BP1 is the curve library's generator of G1 (and not the ciphersuite's P1).
    assert bytes(G1Point().to_compressed_bytes()) == bbs_pseudonym.BP1_OCTETS
    assert BACKEND.g1_to_bytes(CIPHERSUITE.P1) != bbs_pseudonym.BP1_OCTETS


@pytest.mark.parametrize(
    "value",
    [b"\x00" * 32, GROUP_ORDER.to_bytes(32, "big"), b"\x01" * 31],
    ids=["zero", "r", "short"],
)
def test_a_malformed_signer_entropy(value: bytes) -> None:
    commitment, _ = bbs_pseudonym.commit_with_nym(COMMITTED, PROVER_NYMS)
    with pytest.raises(DecodeError):
        bbs_pseudonym.blind_sign_with_nym(SK, PK, commitment, 3, value, HEADER, MESSAGES)
    with pytest.raises(DecodeError):
        bbs_pseudonym.verify_finalize_with_nym(
            PK, SIGNATURE, HEADER, MESSAGES, COMMITTED, PROVER_NYMS, value, BLIND
        )


def test_nym_vector_bounds() -> None:
    for nyms in ((), tuple(bbs_pseudonym.generate_prover_nyms(1)) * 65):
        with pytest.raises(DecodeError):
            bbs_pseudonym.commit_with_nym(COMMITTED, nyms)
    with pytest.raises(DecodeError):
        bbs_pseudonym.commit_with_nym(COMMITTED, [GROUP_ORDER.to_bytes(32, "big")])
    with pytest.raises(DecodeError):
        bbs_pseudonym.generate_prover_nyms(0)


def test_the_signer_checks_the_commitment() -> None:
    commitment, _ = bbs_pseudonym.commit_with_nym(COMMITTED, PROVER_NYMS)
    sign = bbs_pseudonym.blind_sign_with_nym
    with pytest.raises(DecodeError):
        sign(SK, PK, b"", 1, ENTROPY, HEADER, MESSAGES)  # no commitment: no nym secrets
    with pytest.raises(DecodeError):
        sign(SK, PK, commitment, 5, ENTROPY, HEADER, MESSAGES)  # more nyms than committed
    with pytest.raises(DecodeError):
        sign(SK, PK, commitment, 3, ENTROPY, HEADER, MESSAGES, committed_count=2)
    tampered = commitment[:-1] + bytes([commitment[-1] ^ 1])
    with pytest.raises(InvalidProof):
        sign(SK, PK, tampered, 3, ENTROPY, HEADER, MESSAGES)
    # A commitment under the blind interface's api_id is not a pseudonym commitment.
    blind_commitment, _ = blind_bbs.commit([*COMMITTED, b"a", b"b", b"c"])
    with pytest.raises(InvalidProof):
        sign(SK, PK, blind_commitment, 3, ENTROPY, HEADER, MESSAGES)


def test_nym_secrets_are_never_disclosed() -> None:
    # The committed list for disclosure is the committed messages only.
    with pytest.raises(DecodeError):
        _prove(disclosed_committed_indexes=[1])
    # A verifier told of one more disclosed message counts one more committed
    # message (the proof's length is fixed): another statement, which fails...
    with pytest.raises(InvalidProof):
        _verify(
            PROOF, PSEUDONYM, disclosed_committed_indexes=[1], disclosed_committed_messages=[b"x"]
        )
    # ...and an index past the committed messages, into the nym secrets, is malformed.
    with pytest.raises(DecodeError):
        _verify(
            PROOF, PSEUDONYM, disclosed_committed_indexes=[2], disclosed_committed_messages=[b"x"]
        )


def test_a_profile_api_id_and_an_extra_extension() -> None:
    api_id = b"ZKCHECK-TEST-PSEUDONYM-V1-"
    commitment, blind = bbs_pseudonym.commit_with_nym(COMMITTED, PROVER_NYMS, api_id=api_id)
    signature = bbs_pseudonym.blind_sign_with_nym(
        SK, PK, commitment, 3, ENTROPY, HEADER, MESSAGES, api_id=api_id
    )
    secrets = bbs_pseudonym.verify_finalize_with_nym(
        PK, signature, HEADER, MESSAGES, COMMITTED, PROVER_NYMS, ENTROPY, blind, api_id=api_id
    )
    extra = bbs.ChallengeExtension((CIPHERSUITE.P1,), b"\x00\x05extra")
    calls: list[Mapping[int, int]] = []

    def prover(m_tilde: Mapping[int, int]) -> bbs.ChallengeExtension:
        calls.append(m_tilde)
        return extra

    proof, pseudonym = _prove(
        signature=signature,
        nym_secrets=secrets,
        secret_prover_blind=blind,
        api_id=api_id,
        extensions=[prover],
    )
    # The caller's extension sees the m~ of every undisclosed message, the nym secrets too.
    nym_indexes = [bbs_pseudonym.nym_secret_index(len(MESSAGES), 1, k) for k in range(3)]
    assert set(nym_indexes) <= set(calls[0])
    assert pseudonym == bbs_pseudonym.calculate_pseudonym(SOCIAL, secrets, api_id=api_id)
    assert pseudonym != bbs_pseudonym.calculate_pseudonym(SOCIAL, secrets)
    _verify(proof, pseudonym, api_id=api_id, extensions=[lambda m_hat, c: extra])
    with pytest.raises(InvalidProof):
        _verify(proof, pseudonym, api_id=api_id)
    with pytest.raises(InvalidProof):
        _verify(proof, pseudonym, extensions=[lambda m_hat, c: extra])


def test_typed_messages_with_a_pseudonym() -> None:
    """The *_scalars functions, with integers mapped to scalars directly."""
    api_id = b"ZKCHECK-TEST-TYPED-V1-"
    signer, committed = [1, 739_000, 42], [0xABCDEF]
    commitment, blind = bbs_pseudonym.commit_with_nym_scalars(committed, PROVER_NYMS, api_id=api_id)
    signature = bbs_pseudonym.blind_sign_with_nym_scalars(
        SK, PK, commitment, 3, ENTROPY, HEADER, signer, committed_count=1, api_id=api_id
    )
    secrets = bbs_pseudonym.verify_finalize_with_nym_scalars(
        PK, signature, HEADER, signer, committed, PROVER_NYMS, ENTROPY, blind, api_id=api_id
    )
    proof, pseudonym = bbs_pseudonym.proof_gen_with_nym_scalars(
        PK, signature, HEADER, PH, secrets, SOCIAL, signer, committed, [1], [], blind, api_id=api_id
    )
    arguments = (PK, proof, HEADER, PH, pseudonym, SOCIAL, 3, 3)
    bbs_pseudonym.proof_verify_with_nym_scalars(*arguments, [739_000], [], [1], [], api_id=api_id)
    with pytest.raises(InvalidProof):
        bbs_pseudonym.proof_verify_with_nym_scalars(
            *arguments, [739_001], [], [1], [], api_id=api_id
        )
    with pytest.raises(DecodeError):
        bbs_pseudonym.proof_verify_with_nym_scalars(
            *arguments, [GROUP_ORDER], [], [1], [], api_id=api_id
        )
