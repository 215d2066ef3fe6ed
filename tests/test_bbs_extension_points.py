"""The two places where other proofs attach to BBS proof generation.

Predicate proofs (and pseudonyms) link an undisclosed message to a proof of
their own by blinding it with a random scalar they chose (the internal
``_chosen_m_tilde`` hook of core_proof_gen), and bind their own commitments
into the same Fiat-Shamir challenge (``extra_points`` and ``extra_octets`` of
proof_challenge_calculate), through ``extensions`` of core_proof_gen and
core_proof_verify.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from zkcheck import testing
from zkcheck.errors import InvalidProof
from zkcheck.hazmat import bbs
from zkcheck.hazmat.backend import G1, GROUP_ORDER, get_backend

BACKEND = get_backend("arkworks")
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
API_ID = CIPHERSUITE.api_id
SK = bbs.key_gen(b"extension point tests, key material 32+")
PK = bbs.sk_to_pk(SK, backend=BACKEND)
MESSAGES = [b"name", b"birth date", b"swap time", b"country"]
SIGNATURE = bbs.sign(SK, PK, b"", MESSAGES, backend=BACKEND)
SCALARS = bbs.messages_to_scalars(MESSAGES, API_ID, ciphersuite=CIPHERSUITE)
GENERATORS = bbs.create_generators(len(MESSAGES) + 1, API_ID, ciphersuite=CIPHERSUITE)
DISCLOSED = [3]
CHOSEN = {1: 0x1234 << 200, 2: 42}


def _core_proof(rng_count: int, chosen: dict[int, int]) -> bytes:
    return bbs.core_proof_gen(
        PK,
        SIGNATURE,
        GENERATORS,
        b"",
        b"ph",
        SCALARS,
        DISCLOSED,
        API_ID,
        ciphersuite=CIPHERSUITE,
        rng=testing.mocked_rng(rng_count),
        _chosen_m_tilde=chosen,
    )


def test_chosen_blinding_scalars_are_used_and_the_proof_verifies() -> None:
    undisclosed = [0, 1, 2]
    # Only the scalars the caller did not choose are drawn: the mock fails
    # on any draw beyond 5 + U - 2.
    proof = _core_proof(5 + len(undisclosed) - len(CHOSEN), CHOSEN)
    bbs.proof_verify(PK, proof, b"", b"ph", [MESSAGES[3]], DISCLOSED, backend=BACKEND)
    decoded = bbs.octets_to_proof(proof, ciphersuite=CIPHERSUITE)
    c = decoded.challenge
    # m^_j = m~_j + msg_j * c: the verifier-side response for message j is
    # determined by the chosen m~_j, which is what links the other proof.
    for position, j in enumerate(undisclosed):
        if j in CHOSEN:
            assert decoded.commitments[position] == (CHOSEN[j] + SCALARS[j] * c) % GROUP_ORDER


def test_without_chosen_scalars_the_draft_procedure_is_unchanged() -> None:
    expected = bbs.proof_gen(
        PK, SIGNATURE, b"", b"ph", MESSAGES, DISCLOSED, rng=testing.mocked_rng(8), backend=BACKEND
    )
    assert _core_proof(8, {}) == expected


@pytest.mark.parametrize(
    "chosen",
    [{3: 5}, {7: 5}, {1: 0}, {1: GROUP_ORDER}],
    ids=["disclosed index", "no such message", "zero", "not reduced"],
)
def test_chosen_scalars_are_checked(chosen: dict[int, int]) -> None:
    with pytest.raises(ValueError):
        _core_proof(8, chosen)


def test_challenge_layout_with_extra_commitments() -> None:
    """c_arr gains points after T2, c_octs gains octets after ph (as pseudonyms do)."""
    random_scalars = testing.seeded_random_scalars(
        testing.MOCKED_SCALARS_SEED, testing.mocked_scalars_dst(), 8
    )
    signature = bbs.octets_to_signature(SIGNATURE, ciphersuite=CIPHERSUITE)
    init_res = bbs.proof_init(
        PK,
        signature,
        GENERATORS,
        random_scalars,
        b"",
        SCALARS,
        [0, 1, 2],
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    extra = [GENERATORS[1]]

    def challenge(extra_points: Sequence[G1] = (), extra_octets: bytes = b"") -> int:
        return bbs.proof_challenge_calculate(
            init_res,
            [SCALARS[3]],
            DISCLOSED,
            b"ph",
            API_ID,
            ciphersuite=CIPHERSUITE,
            extra_points=extra_points,
            extra_octets=extra_octets,
        )

    plain = challenge()
    assert challenge(extra_points=(), extra_octets=b"") == plain
    extended = challenge(extra_points=extra, extra_octets=b"context")
    points = b"".join(BACKEND.g1_to_bytes(p) for p in (*init_res[:5], *extra))
    c_octs = (
        (1).to_bytes(8, "big")
        + (3).to_bytes(8, "big")
        + SCALARS[3].to_bytes(32, "big")
        + points
        + init_res.domain.to_bytes(32, "big")
        + (2).to_bytes(8, "big")
        + b"ph"
        + b"context"
    )
    assert extended == bbs.hash_to_scalar(c_octs, API_ID + b"H2S_")
    assert extended != plain


def test_extensions_are_concatenated_in_order() -> None:
    """Several extensions: their points in order after T2, their octets in order after ph."""
    first = bbs.ChallengeExtension((GENERATORS[1],), b"\x00\x01a")
    second = bbs.ChallengeExtension((GENERATORS[2], GENERATORS[3]), b"\x00\x01b")
    seen: list[dict[int, int]] = []

    def prover(extension: bbs.ChallengeExtension) -> bbs.ProverExtension:
        def extend(m_tilde: Mapping[int, int]) -> bbs.ChallengeExtension:
            seen.append(dict(m_tilde))
            return extension

        return extend

    random_scalars = testing.seeded_random_scalars(
        testing.MOCKED_SCALARS_SEED, testing.mocked_scalars_dst(), 8
    )
    proof = bbs.core_proof_gen(
        PK,
        SIGNATURE,
        GENERATORS,
        b"",
        b"ph",
        SCALARS,
        DISCLOSED,
        API_ID,
        ciphersuite=CIPHERSUITE,
        rng=testing.mocked_rng(8),
        extensions=[prover(first), prover(second)],
    )
    # Each extension saw the m~ of every undisclosed message, by index.
    assert seen == [dict(zip([0, 1, 2], random_scalars[5:], strict=True))] * 2
    init_res = bbs.proof_init(
        PK,
        bbs.octets_to_signature(SIGNATURE, ciphersuite=CIPHERSUITE),
        GENERATORS,
        random_scalars,
        b"",
        SCALARS,
        [0, 1, 2],
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    expected = bbs.proof_challenge_calculate(
        init_res,
        [SCALARS[3]],
        DISCLOSED,
        b"ph",
        API_ID,
        ciphersuite=CIPHERSUITE,
        extra_points=(*first.points, *second.points),
        extra_octets=first.octets + second.octets,
    )
    assert bbs.octets_to_proof(proof, ciphersuite=CIPHERSUITE).challenge == expected

    def verify(*extensions: bbs.ChallengeExtension) -> None:
        bbs.core_proof_verify(
            PK,
            proof,
            GENERATORS,
            b"",
            b"ph",
            [SCALARS[3]],
            DISCLOSED,
            API_ID,
            ciphersuite=CIPHERSUITE,
            extensions=[lambda m_hat, c, e=e: e for e in extensions],
        )

    verify(first, second)
    with pytest.raises(InvalidProof):
        verify(second, first)
    with pytest.raises(InvalidProof):
        verify(first)
