"""The fixtures of draft-irtf-cfrg-bbs-blind-signatures, both ciphersuites.

Every commitment, blind signature and proof is reproduced byte for byte
(with the fixtures' mocked random scalars) and every intermediate value of
its trace is compared. The fixtures follow the -01/-02 algorithms
(tests/vectors/bbs-blind/README.md), which zkcheck.hazmat.blind_bbs
implements. Three defects of the data are handled in the open, each by a
test that asserts the defect itself, so that a fix upstream or a regression
here is noticed:

- SHA-256 signature003's trace is broken (its "domain" holds B's encoding,
  its "B" another point): test_signature003_trace_is_inconsistent;
- SHA-256 proof005's commitmentWithProof ends in a stray "s":
  test_proof005_commitment_has_a_stray_character;
- the README's statement that signature005's header is one byte shorter does
  not hold for these files: test_every_header_is_the_same.
"""

from __future__ import annotations

from typing import Any

import pytest
from vectors_loader import load_dir, load_json, unhex

from zkcheck import testing
from zkcheck.hazmat import bbs, blind_bbs
from zkcheck.hazmat.backend import G1, get_backend
from zkcheck.suites import Suite

SUITE_DIRS = {
    Suite.BLS12_381_SHA_256: "bbs-blind/bls12-381-sha-256",
    Suite.BLS12_381_SHAKE_256: "bbs-blind/bls12-381-shake-256",
}
MESSAGES = load_json("bbs-blind/messages.json")
BACKEND = get_backend("arkworks")
BROKEN_TRACE = (Suite.BLS12_381_SHA_256, "signature003")
STRAY_CHARACTER = (Suite.BLS12_381_SHA_256, "proof005")


def _cases(kind: str) -> list[Any]:
    return [
        pytest.param(suite, name, data, id=f"{suite.name}-{name}")
        for suite, folder in SUITE_DIRS.items()
        for name, data in load_dir(f"{folder}/{kind}")
    ]


def _ciphersuite(suite: Suite) -> bbs.Ciphersuite:
    return bbs.get_ciphersuite(suite, BACKEND)


def _scalar(hex_value: str) -> int:
    return int(hex_value, 16)


def _encoded(points: list[G1]) -> list[str]:
    return [BACKEND.g1_to_bytes(point).hex() for point in points]


def _mocked_scalars(suite: Suite, parameters: dict[str, Any], count: int) -> list[int]:
    return testing.seeded_random_scalars(
        testing.MOCKED_SCALARS_SEED, parameters["DST"].encode(), count, suite=suite
    )


def _committed_point(suite: Suite, blind: int, committed: list[bytes]) -> G1:
    """C = Q_2 * secret_prover_blind + J_1 * msg_1 + ... + J_M * msg_M, recomputed."""
    ciphersuite = _ciphersuite(suite)
    api_id = blind_bbs.interface_api_id(suite)
    generators = blind_bbs.blind_generators(len(committed) + 1, api_id, ciphersuite=ciphersuite)
    scalars = bbs.messages_to_scalars(committed, api_id, ciphersuite=ciphersuite)
    return BACKEND.g1_msm(generators, [blind, *scalars])


@pytest.mark.parametrize("suite", list(SUITE_DIRS))
def test_generators(suite: Suite) -> None:
    fixture = load_json(f"{SUITE_DIRS[suite]}/generators.json")
    ciphersuite = _ciphersuite(suite)
    api_id = blind_bbs.interface_api_id(suite)
    assert fixture["generators"]["api_id"].encode() == api_id
    assert fixture["blindGenerators"]["api_id"].encode() == b"BLIND_" + api_id
    for part in ("generators", "blindGenerators"):
        assert fixture[part]["P1"] == _encoded([ciphersuite.P1])[0]
    count = len(fixture["generators"]["MsgGenerators"]) + 1
    generators = bbs.create_generators(count, api_id, ciphersuite=ciphersuite)
    assert (
        _encoded(generators)
        == [fixture["generators"]["Q1"]] + fixture["generators"]["MsgGenerators"]
    )
    # The fixture calls Q_2 "Q1" of the blind generators and J_1.. "MsgGenerators".
    count = len(fixture["blindGenerators"]["MsgGenerators"]) + 1
    blind = blind_bbs.blind_generators(count, api_id, ciphersuite=ciphersuite)
    assert (
        _encoded(blind)
        == [fixture["blindGenerators"]["Q1"]] + fixture["blindGenerators"]["MsgGenerators"]
    )


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("commit"))
def test_commit_fixture(suite: Suite, name: str, fixture: dict[str, Any]) -> None:
    ciphersuite = _ciphersuite(suite)
    api_id = blind_bbs.interface_api_id(suite)
    committed = [unhex(m) for m in fixture["committedMessages"]]
    parameters = fixture["mockRngParameters"]["commit"]
    count = len(committed) + 2
    assert parameters["count"] == count
    assert fixture["mockRngParameters"]["SEED"].encode() == testing.MOCKED_SCALARS_SEED
    # The random scalars in the draft's order: secret_prover_blind, s~, m~_1..m~_M.
    prover_blind, s_tilde, *m_tilde = _mocked_scalars(suite, parameters, count)
    assert prover_blind == _scalar(fixture["proverBlind"])
    assert s_tilde == _scalar(fixture["trace"]["random_scalars"]["s_tilde"])
    assert m_tilde == [_scalar(m) for m in fixture["trace"]["random_scalars"]["m_tildes"]]

    commitment_with_proof, secret_prover_blind = blind_bbs.commit(
        committed,
        suite=suite,
        rng=testing.mocked_rng(count, suite=suite, dst=parameters["DST"].encode()),
        backend=BACKEND,
    )
    assert commitment_with_proof.hex() == fixture["commitmentWithProof"]
    assert secret_prover_blind.reveal() == unhex(fixture["proverBlind"])

    # Intermediate values: C, Cbar from the trace's scalars, the challenge, the responses.
    decoded = blind_bbs.octets_to_commitment_with_proof(
        commitment_with_proof, ciphersuite=ciphersuite
    )
    assert BACKEND.g1_eq(decoded.commitment, _committed_point(suite, prover_blind, committed))
    generators = blind_bbs.blind_generators(count - 1, api_id, ciphersuite=ciphersuite)
    c_bar = BACKEND.g1_msm(generators, [s_tilde, *m_tilde])
    challenge = blind_bbs.calculate_blind_challenge(
        decoded.commitment, c_bar, generators, api_id, ciphersuite=ciphersuite
    )
    assert decoded.challenge == challenge
    assert decoded.s_hat == (s_tilde + prover_blind * challenge) % bbs.R
    scalars = bbs.messages_to_scalars(committed, api_id, ciphersuite=ciphersuite)
    assert list(decoded.m_hats) == [
        (t + m * challenge) % bbs.R for t, m in zip(m_tilde, scalars, strict=True)
    ]
    blind_bbs.core_commit_verify(decoded, generators, api_id, ciphersuite=ciphersuite)
    assert blind_bbs.commitment_message_count(commitment_with_proof) == len(committed)


def _signature_parts(fixture: dict[str, Any]) -> tuple[bytes, bytes, bytes, list[bytes]]:
    return (
        unhex(fixture["signerKeyPair"]["secretKey"]),
        unhex(fixture["signerKeyPair"]["publicKey"]),
        unhex(fixture["header"]),
        [unhex(m) for m in fixture["messages"]],
    )


def _recomputed_domain_and_b(
    suite: Suite, fixture: dict[str, Any], committed: list[bytes], blind: int
) -> tuple[int, G1]:
    """domain over (H_1..H_L, Q_2, J_1..J_M) and B = P1 + Q_1 * domain + sum H_i msg_i + C."""
    ciphersuite = _ciphersuite(suite)
    api_id = blind_bbs.interface_api_id(suite)
    _, pk, header, messages = _signature_parts(fixture)
    generators = bbs.create_generators(len(messages) + 1, api_id, ciphersuite=ciphersuite)
    blind_generators = blind_bbs.blind_generators(
        len(committed) + 1, api_id, ciphersuite=ciphersuite
    )
    domain = bbs.calculate_domain(
        pk,
        generators[0],
        [*generators[1:], *blind_generators],
        header,
        api_id,
        ciphersuite=ciphersuite,
    )
    b = blind_bbs.b_calculate(
        generators,
        blind_generators,
        _committed_point(suite, blind, committed),
        bbs.messages_to_scalars(messages, api_id, ciphersuite=ciphersuite),
        domain,
        ciphersuite=ciphersuite,
    )
    return domain, b


def _committed_of(fixture: dict[str, Any]) -> tuple[list[bytes], bytes | None, bytes]:
    # signature005 has no commitment: its three commitment fields are null.
    if fixture["commitmentWithProof"] is None:
        assert fixture["committedMessages"] is None and fixture["proverBlind"] is None
        return [], None, b""
    return (
        [unhex(m) for m in fixture["committedMessages"]],
        unhex(fixture["proverBlind"]),
        unhex(fixture["commitmentWithProof"]),
    )


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("signature"))
def test_signature_fixture(suite: Suite, name: str, fixture: dict[str, Any]) -> None:
    sk, pk, header, messages = _signature_parts(fixture)
    committed, prover_blind, commitment_with_proof = _committed_of(fixture)
    assert fixture["result"]["valid"] is True
    signature = blind_bbs.blind_sign(
        sk, pk, commitment_with_proof, header, messages, suite=suite, backend=BACKEND
    )
    assert signature.hex() == fixture["signature"]
    # The Signer may pin the number of committed messages.
    assert signature == blind_bbs.blind_sign(
        sk,
        pk,
        commitment_with_proof,
        header,
        messages,
        committed_count=len(committed),
        suite=suite,
        backend=BACKEND,
    )
    blind_bbs.verify(pk, signature, header, messages, committed, prover_blind, suite=suite)
    # The commitment the Signer signed opens to the committed messages.
    blind = _scalar(fixture["proverBlind"]) if prover_blind else 0
    if commitment_with_proof:
        decoded = blind_bbs.octets_to_commitment_with_proof(
            commitment_with_proof, ciphersuite=_ciphersuite(suite)
        )
        assert BACKEND.g1_eq(decoded.commitment, _committed_point(suite, blind, committed))
    domain, b = _recomputed_domain_and_b(suite, fixture, committed, blind)
    # e = hash_to_scalar(serialize((SK, B)), api_id || "H2S_"): the signature's own e.
    e = bbs.hash_to_scalar(
        unhex(fixture["signerKeyPair"]["secretKey"]) + BACKEND.g1_to_bytes(b),
        blind_bbs.interface_api_id(suite) + b"H2S_",
        suite=suite,
    )
    assert signature[48:] == e.to_bytes(32, "big")
    if (suite, name) == BROKEN_TRACE:
        return  # its trace is examined in test_signature003_trace_is_inconsistent
    assert domain == _scalar(fixture["trace"]["domain"])
    assert BACKEND.g1_to_bytes(b).hex() == fixture["trace"]["B"]


def test_signature003_trace_is_inconsistent() -> None:
    """SHA-256 signature003: the signature is right, its trace is not.

    The signature is reproduced and verified by test_signature_fixture. Its
    trace.domain is 48 bytes, not a 32-byte scalar: it is the encoding of the
    recomputed B. Its trace.B is a valid point of G1, but not B. Neither field
    can be asserted as a trace; this test asserts exactly that, so a corrected
    fixture (or a change in zkcheck's B or domain) makes it fail.
    """
    suite, name = BROKEN_TRACE
    fixture = dict(load_dir(f"{SUITE_DIRS[suite]}/signature"))[name]
    committed, _, _ = _committed_of(fixture)
    domain, b = _recomputed_domain_and_b(suite, fixture, committed, _scalar(fixture["proverBlind"]))
    trace_domain, trace_b = unhex(fixture["trace"]["domain"]), unhex(fixture["trace"]["B"])
    assert len(trace_domain) == 48
    assert int.from_bytes(trace_domain, "big") >= bbs.R
    assert trace_domain == BACKEND.g1_to_bytes(b)
    assert not BACKEND.g1_eq(BACKEND.g1_from_bytes(trace_b), b)
    assert domain.to_bytes(32, "big") not in (trace_domain, trace_b)
    # The same case of the SHAKE-256 suite has a sound trace.
    other = dict(load_dir(f"{SUITE_DIRS[Suite.BLS12_381_SHAKE_256]}/signature"))[name]
    assert len(unhex(other["trace"]["domain"])) == 32


def test_every_header_is_the_same() -> None:
    headers = {
        fixture["header"]
        for folder in SUITE_DIRS.values()
        for kind in ("signature", "proof")
        for _, fixture in load_dir(f"{folder}/{kind}")
    }
    assert headers == {"11223344556677889900aabbccddeeff"}


def _proof_inputs(
    suite: Suite, name: str, fixture: dict[str, Any]
) -> tuple[list[bytes], list[bytes], list[int], list[int], bytes | None]:
    """Messages, committed messages, both disclosed index lists and the blind.

    A proof fixture lists only the revealed messages; the signed ones are
    messages.json's (the first L of them, and all five committed messages
    when there is a commitment).
    """
    messages = [unhex(m) for m in MESSAGES["messages"][: fixture["L"]]]
    committed = [] if fixture["proverBlind"] is None else MESSAGES["committedMessages"]
    committed_bytes = [unhex(m) for m in committed]
    revealed = {int(i): unhex(m) for i, m in fixture["revealedMessages"].items()}
    revealed_committed = {
        int(j): unhex(m) for j, m in (fixture["revealedCommittedMessages"] or {}).items()
    }
    assert all(messages[i] == m for i, m in revealed.items())
    assert all(committed_bytes[j] == m for j, m in revealed_committed.items())
    blind = None if fixture["proverBlind"] is None else unhex(fixture["proverBlind"])
    return messages, committed_bytes, sorted(revealed), sorted(revealed_committed), blind


def _fixture_commitment(suite: Suite, name: str, fixture: dict[str, Any]) -> bytes:
    value: str = fixture["commitmentWithProof"]
    if (suite, name) == STRAY_CHARACTER:
        value = value.removesuffix("s")  # see test_proof005_commitment_has_a_stray_character
    return unhex(value)


def test_proof005_commitment_has_a_stray_character() -> None:
    suite, name = STRAY_CHARACTER
    proofs = dict(load_dir(f"{SUITE_DIRS[suite]}/proof"))
    stray = proofs[name]["commitmentWithProof"]
    assert stray == proofs["proof004"]["commitmentWithProof"] + "s"
    with pytest.raises(ValueError):
        unhex(stray)


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("proof"))
def test_proof_fixture(suite: Suite, name: str, fixture: dict[str, Any]) -> None:
    ciphersuite = _ciphersuite(suite)
    api_id = blind_bbs.interface_api_id(suite)
    pk, signature = unhex(fixture["signerPublicKey"]), unhex(fixture["signature"])
    header, ph = unhex(fixture["header"]), unhex(fixture["presentationHeader"])
    messages, committed, disclosed, disclosed_committed, prover_blind = _proof_inputs(
        suite, name, fixture
    )
    assert fixture["result"]["valid"] is True
    # The signature is one of the signature fixtures', over these messages.
    blind_bbs.verify(pk, signature, header, messages, committed, prover_blind, suite=suite)
    if prover_blind is not None:
        commitment = _fixture_commitment(suite, name, fixture)
        assert blind_bbs.commitment_message_count(commitment) == len(committed)
        generators = blind_bbs.blind_generators(len(committed) + 1, api_id, ciphersuite=ciphersuite)
        blind_bbs.deserialize_and_validate_commit(
            commitment, generators, api_id, ciphersuite=ciphersuite
        )

    signed_count = len(messages) + 1 + len(committed)
    undisclosed_count = signed_count - len(disclosed) - len(disclosed_committed)
    parameters = fixture["mockRngParameters"]["proof"]
    assert parameters["count"] == 5 + undisclosed_count
    proof = blind_bbs.proof_gen(
        pk,
        signature,
        header,
        ph,
        messages,
        committed,
        disclosed,
        disclosed_committed,
        prover_blind,
        suite=suite,
        rng=testing.mocked_rng(5 + undisclosed_count, suite=suite, dst=parameters["DST"].encode()),
        backend=BACKEND,
    )
    assert proof.hex() == fixture["proof"]
    blind_bbs.proof_verify(
        pk,
        proof,
        header,
        ph,
        len(messages),
        [messages[i] for i in disclosed],
        [committed[j] for j in disclosed_committed],
        disclosed,
        disclosed_committed,
        suite=suite,
        backend=BACKEND,
    )
    _compare_proof_trace(suite, fixture, messages, committed, disclosed, disclosed_committed)


def _compare_proof_trace(
    suite: Suite,
    fixture: dict[str, Any],
    messages: list[bytes],
    committed: list[bytes],
    disclosed: list[int],
    disclosed_committed: list[int],
) -> None:
    """Random scalars, B, ProofInit's points, domain and challenge, on both sides."""
    ciphersuite = _ciphersuite(suite)
    api_id = blind_bbs.interface_api_id(suite)
    trace = fixture["trace"]
    blind = 0 if fixture["proverBlind"] is None else _scalar(fixture["proverBlind"])
    scalars, generators = blind_bbs.prepare_parameters(
        bbs.messages_to_scalars(messages, api_id, ciphersuite=ciphersuite),
        bbs.messages_to_scalars(committed, api_id, ciphersuite=ciphersuite),
        len(messages) + 1,
        len(committed) + 1,
        blind,
        api_id,
        ciphersuite=ciphersuite,
    )
    indexes = blind_bbs.combined_indexes(
        len(messages), len(committed), disclosed, disclosed_committed
    )
    undisclosed = [i for i in range(len(scalars)) if i not in indexes]
    random_scalars = _mocked_scalars(
        suite, fixture["mockRngParameters"]["proof"], 5 + len(undisclosed)
    )
    expected = trace["random_scalars"]
    assert random_scalars == [
        _scalar(expected[k]) for k in ("r1", "r2", "e_tilde", "r1_tilde", "r3_tilde")
    ] + [_scalar(m) for m in expected["m_tilde_scalars"]]
    pk, signature = unhex(fixture["signerPublicKey"]), unhex(fixture["signature"])
    header, ph = unhex(fixture["header"]), unhex(fixture["presentationHeader"])
    init_res = bbs.proof_init(
        pk,
        bbs.octets_to_signature(signature, ciphersuite=ciphersuite),
        generators,
        random_scalars,
        header,
        scalars,
        undisclosed,
        api_id,
        ciphersuite=ciphersuite,
    )
    points = ("Abar", "Bbar", "D", "T1", "T2")
    assert _encoded(list(init_res[:5])) == [trace[k] for k in points]
    assert init_res.domain == _scalar(trace["domain"])
    b = BACKEND.g1_msm([ciphersuite.P1, *generators], [1, init_res.domain, *scalars])
    assert BACKEND.g1_to_bytes(b).hex() == trace["B"]
    disclosed_scalars = [scalars[i] for i in indexes]
    challenge = bbs.proof_challenge_calculate(
        init_res, disclosed_scalars, indexes, ph, api_id, ciphersuite=ciphersuite
    )
    assert challenge == _scalar(trace["challenge"])
    decoded = bbs.octets_to_proof(unhex(fixture["proof"]), ciphersuite=ciphersuite)
    verify_init = bbs.proof_verify_init(
        pk, decoded, generators, header, disclosed_scalars, indexes, api_id, ciphersuite=ciphersuite
    )
    assert _encoded(list(verify_init[:5])) == [trace[k] for k in points]
