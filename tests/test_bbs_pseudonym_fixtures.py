"""The fixtures of draft-irtf-cfrg-bbs-per-verifier-linkability, both ciphersuites.

Every nym commitment, nym signature and nym proof (with one nym secret, and
the "n-use" cases 101..104 with ten) is reproduced byte for byte with the
fixtures' mocked random scalars, and every intermediate value of the traces
is compared: random scalars, B, domain, Abar, Bbar, D, T1, T2, OP, the two
polynomial evaluations, the pseudonym, Ut (recomputed by the verifier as Uv)
and the challenge. Two defects of the data are handled in the open, each by
a test that asserts the defect itself:

- SHA-256 nymSignature001's trace.B has a stray trailing character:
  test_nym_signature001_trace_has_a_stray_character;
- SHAKE-256 nymProof101..104 name their trace's random scalars
  "randomScalars" where every other file says "random_scalars":
  test_trace_key_spelling;
- the ten-secret cases write two nym scalars with 63 hex digits (a leading
  zero dropped), so nym scalars are read as hex integers:
  test_unpadded_nym_scalars; and SHAKE-256 nymProof002 lacks the "notes"
  naming its signature fixture (found by its signature instead).
"""

from __future__ import annotations

from typing import Any

import pytest
from vectors_loader import load_dir, load_json, unhex

from zkcheck import testing
from zkcheck.hazmat import bbs, bbs_pseudonym, blind_bbs
from zkcheck.hazmat.backend import G1, get_backend
from zkcheck.hazmat.hash_to_curve import hash_to_curve
from zkcheck.suites import Suite

SUITE_DIRS = {
    Suite.BLS12_381_SHA_256: "bbs-pseudonym/bls12-381-sha-256",
    Suite.BLS12_381_SHAKE_256: "bbs-pseudonym/bls12-381-shake-256",
}
BACKEND = get_backend("arkworks")
STRAY_CHARACTER = (Suite.BLS12_381_SHA_256, "nymSignature001")
OTHER_SPELLING = {
    (Suite.BLS12_381_SHAKE_256, f"nymProof10{i}") for i in range(1, 5)
}  # trace["randomScalars"]


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


def _encoded(point: G1) -> str:
    return BACKEND.g1_to_bytes(point).hex()


def _seeded(suite: Suite, dst: str, count: int) -> list[int]:
    return testing.seeded_random_scalars(
        testing.MOCKED_SCALARS_SEED, dst.encode(), count, suite=suite
    )


@pytest.mark.parametrize("suite", list(SUITE_DIRS))
def test_generators_and_api_ids(suite: Suite) -> None:
    fixture = load_json(f"{SUITE_DIRS[suite]}/generators.json")
    ciphersuite = _ciphersuite(suite)
    api_id = bbs_pseudonym.interface_api_id(suite)
    assert api_id == suite.ciphersuite_id + b"H2G_HM2S_PSEUDONYM_"
    assert fixture["generators"]["api_id"].encode() == api_id
    assert fixture["blindGenerators"]["api_id"].encode() == b"BLIND_" + api_id
    part = fixture["generators"]
    generators = bbs.create_generators(
        len(part["MsgGenerators"]) + 1, api_id, ciphersuite=ciphersuite
    )
    assert [_encoded(p) for p in generators] == [part["Q1"], *part["MsgGenerators"]]
    part = fixture["blindGenerators"]
    blind = blind_bbs.blind_generators(
        len(part["MsgGenerators"]) + 1, api_id, ciphersuite=ciphersuite
    )
    assert [_encoded(p) for p in blind] == [part["Q1"], *part["MsgGenerators"]]
    assert part["P1"] == fixture["generators"]["P1"] == _encoded(ciphersuite.P1)
    # The third identifier: the mocked randomness DSTs use the plain BBS api_id.
    for kind in ("nymCommit", "nymProof"):
        for _, case in load_dir(f"{SUITE_DIRS[suite]}/{kind}"):
            for parameters in case["mockRngParameters"].values():
                if isinstance(parameters, dict):
                    assert parameters["DST"].startswith(suite.value + "H2G_HM2S_")
                    assert not parameters["DST"].startswith(api_id.decode())


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("nymCommit"))
def test_nym_commit_fixture(suite: Suite, name: str, fixture: dict[str, Any]) -> None:
    ciphersuite = _ciphersuite(suite)
    api_id = bbs_pseudonym.interface_api_id(suite)
    committed = [unhex(m) for m in fixture["committedMessages"]]
    prover_nyms = [_scalar_octets(n) for n in fixture["proverNyms"]]
    dst = fixture["mockRngParameters"]["commit"]["DST"]
    count = len(committed) + len(prover_nyms) + 2
    prover_blind, s_tilde, *m_tilde = _seeded(suite, dst, count)
    trace = fixture["trace"]["random_scalars"]
    assert prover_blind == _scalar(fixture["proverBlind"])
    assert s_tilde == _scalar(trace["s_tilde"])
    assert m_tilde == [_scalar(m) for m in trace["m_tildes"]]
    commitment_with_proof, secret_prover_blind = bbs_pseudonym.commit_with_nym(
        committed,
        prover_nyms,
        suite=suite,
        rng=testing.mocked_rng(count, suite=suite, dst=dst.encode()),
        backend=BACKEND,
    )
    assert commitment_with_proof.hex() == fixture["commitmentWithProof"]
    assert secret_prover_blind.reveal() == unhex(fixture["proverBlind"])
    # C commits to the messages' scalars, then the prover nyms, under Q_2, J_1, ...
    scalars = bbs.messages_to_scalars(committed, api_id, ciphersuite=ciphersuite)
    scalars += [_scalar(n) for n in fixture["proverNyms"]]
    generators = blind_bbs.blind_generators(len(scalars) + 1, api_id, ciphersuite=ciphersuite)
    decoded = blind_bbs.octets_to_commitment_with_proof(
        commitment_with_proof, ciphersuite=ciphersuite
    )
    assert BACKEND.g1_eq(decoded.commitment, BACKEND.g1_msm(generators, [prover_blind, *scalars]))
    c_bar = BACKEND.g1_msm(generators, [s_tilde, *m_tilde])
    assert decoded.challenge == blind_bbs.calculate_blind_challenge(
        decoded.commitment, c_bar, generators, api_id, ciphersuite=ciphersuite
    )
    blind_bbs.core_commit_verify(decoded, generators, api_id, ciphersuite=ciphersuite)


def _scalar_octets(hex_value: str) -> bytes:
    # Nym scalars are hex integers, some without their leading zero.
    return _scalar(hex_value).to_bytes(32, "big")


def _nym_parts(fixture: dict[str, Any]) -> tuple[list[bytes], list[bytes], list[bytes]]:
    return (
        [_scalar_octets(n) for n in fixture["proverNyms"]],
        [_scalar_octets(n) for n in fixture["nym_secrets"]],
        [unhex(m) for m in fixture["committedMessages"]],
    )


def test_unpadded_nym_scalars() -> None:
    unpadded = {
        "49b977366fa3dfa3bb3b69b9339c72e07696d9d82542c040c839cf981cea751",
        "fda4e24ef0b8710c6a1d05ee860e78d46acc906fecc88e5e8e51ca70add646b",
    }
    for folder in SUITE_DIRS.values():
        for kind in ("nymCommit", "nymSignature", "nymProof"):
            for _, fixture in load_dir(f"{folder}/{kind}"):
                values = fixture["proverNyms"] + fixture.get("nym_secrets", [])
                short = {v for v in values if len(v) != 64}
                assert short == (unpadded if len(fixture["proverNyms"]) == 10 else set())


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("nymSignature"))
def test_nym_signature_fixture(suite: Suite, name: str, fixture: dict[str, Any]) -> None:
    ciphersuite = _ciphersuite(suite)
    api_id = bbs_pseudonym.interface_api_id(suite)
    sk = unhex(fixture["signerKeyPair"]["secretKey"])
    pk = unhex(fixture["signerKeyPair"]["publicKey"])
    header = unhex(fixture["header"])
    messages = [unhex(m) for m in fixture["messages"]]
    prover_nyms, nym_secrets, committed = _nym_parts(fixture)
    entropy = unhex(fixture["signer_nym_entropy"])
    commitment = unhex(fixture["commitmentWithProof"])
    assert fixture["result"]["valid"] is True
    signature = bbs_pseudonym.blind_sign_with_nym(
        sk,
        pk,
        commitment,
        len(prover_nyms),
        entropy,
        header,
        messages,
        committed_count=len(committed),
        suite=suite,
        backend=BACKEND,
    )
    assert signature.hex() == fixture["signature"]
    completed = bbs_pseudonym.verify_finalize_with_nym(
        pk,
        signature,
        header,
        messages,
        committed,
        prover_nyms,
        entropy,
        unhex(fixture["proverBlind"]),
        suite=suite,
        backend=BACKEND,
    )
    assert [secret.reveal() for secret in completed] == nym_secrets
    # nym_secrets = prover_nyms, with the last one plus signer_nym_entropy.
    assert nym_secrets[:-1] == prover_nyms[:-1]
    assert (
        _scalar(fixture["nym_secrets"][-1])
        == (_scalar(fixture["proverNyms"][-1]) + _scalar(fixture["signer_nym_entropy"])) % bbs.R
    )

    # Trace: the domain over (H_1..H_L, Q_2, J_1..J_M) with header || I2OSP(N, 8),
    # and B = P1 + Q_1 * domain + sum H_i msg_i + C + J_M * signer_nym_entropy.
    count = len(committed) + len(prover_nyms)
    generators = bbs.create_generators(len(messages) + 1, api_id, ciphersuite=ciphersuite)
    blind = blind_bbs.blind_generators(count + 1, api_id, ciphersuite=ciphersuite)
    domain = bbs.calculate_domain(
        pk,
        generators[0],
        [*generators[1:], *blind],
        bbs_pseudonym.combined_header(header, len(prover_nyms)),
        api_id,
        ciphersuite=ciphersuite,
    )
    assert domain == _scalar(fixture["trace"]["domain"])
    commitment_point = blind_bbs.octets_to_commitment_with_proof(
        commitment, ciphersuite=ciphersuite
    ).commitment
    b = blind_bbs.b_calculate(
        generators,
        blind,
        commitment_point,
        bbs.messages_to_scalars(messages, api_id, ciphersuite=ciphersuite),
        domain,
        ciphersuite=ciphersuite,
        signer_blind_scalars={count: _scalar(fixture["signer_nym_entropy"])},
    )
    expected_b = fixture["trace"]["B"]
    if (suite, name) == STRAY_CHARACTER:
        expected_b = expected_b.removesuffix("s")
    assert _encoded(b) == expected_b


def test_nym_signature001_trace_has_a_stray_character() -> None:
    suite, name = STRAY_CHARACTER
    fixture = dict(load_dir(f"{SUITE_DIRS[suite]}/nymSignature"))[name]
    trace_b = fixture["trace"]["B"]
    assert len(trace_b) == 97 and trace_b.endswith("s")
    with pytest.raises(ValueError):
        unhex(trace_b)
    # The first 96 characters are B (compared in test_nym_signature_fixture).
    BACKEND.g1_from_bytes(unhex(trace_b[:96]))


def test_trace_key_spelling() -> None:
    for suite, folder in SUITE_DIRS.items():
        for name, fixture in load_dir(f"{folder}/nymProof"):
            key = "randomScalars" if (suite, name) in OTHER_SPELLING else "random_scalars"
            assert key in fixture["trace"]
            assert not ({"randomScalars", "random_scalars"} - {key}) & set(fixture["trace"])


def _proof_parts(
    fixture: dict[str, Any],
) -> tuple[list[bytes], list[bytes], list[int], list[int]]:
    messages = [unhex(m) for m in fixture["messages"]]
    committed = [unhex(m) for m in fixture["committedMessages"]]
    revealed = {int(i): unhex(m) for i, m in fixture["revealedMessages"].items()}
    revealed_committed = {int(j): unhex(m) for j, m in fixture["revealedCommittedMessages"].items()}
    assert all(messages[i] == m for i, m in revealed.items())
    assert all(committed[j] == m for j, m in revealed_committed.items())
    assert fixture["L"] == len(messages)
    return messages, committed, sorted(revealed), sorted(revealed_committed)


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("nymProof"))
def test_nym_proof_fixture(suite: Suite, name: str, fixture: dict[str, Any]) -> None:
    pk, signature = unhex(fixture["signerPublicKey"]), unhex(fixture["signature"])
    header, ph = unhex(fixture["header"]), unhex(fixture["presentationHeader"])
    context_id = unhex(fixture["context_id"])
    messages, committed, disclosed, disclosed_committed = _proof_parts(fixture)
    _, nym_secrets, _ = _nym_parts(fixture)
    prover_blind = unhex(fixture["proverBlind"])
    assert fixture["result"]["valid"] is True
    # The signature is one nymSignature fixture's, the one the notes name.
    (source,) = [
        (name, signed)
        for name, signed in load_dir(f"{SUITE_DIRS[suite]}/nymSignature")
        if signed["signature"] == fixture["signature"]
    ]
    assert source[1]["nym_secrets"] == fixture["nym_secrets"]
    if (suite, name) == (Suite.BLS12_381_SHAKE_256, "nymProof002"):
        assert "notes" not in fixture
    else:
        assert fixture["notes"] == f"Based on {source[0]}.json and messages.json"

    undisclosed_count = (
        len(messages) + 1 + len(committed) + len(nym_secrets) - len(disclosed)
    ) - len(disclosed_committed)
    dst = fixture["mockRngParameters"]["proof"]["DST"].encode()
    proof, pseudonym = bbs_pseudonym.proof_gen_with_nym(
        pk,
        signature,
        header,
        ph,
        nym_secrets,
        context_id,
        messages,
        committed,
        disclosed,
        disclosed_committed,
        prover_blind,
        suite=suite,
        rng=testing.mocked_rng(5 + undisclosed_count, suite=suite, dst=dst),
        backend=BACKEND,
    )
    assert pseudonym.hex() == fixture["pseudonym"]
    assert proof.hex() == fixture["proof"]
    assert pseudonym == bbs_pseudonym.calculate_pseudonym(
        context_id, nym_secrets, suite=suite, backend=BACKEND
    )
    bbs_pseudonym.proof_verify_with_nym(
        pk,
        proof,
        header,
        ph,
        pseudonym,
        context_id,
        len(nym_secrets),
        len(messages),
        [messages[i] for i in disclosed],
        [committed[j] for j in disclosed_committed],
        disclosed,
        disclosed_committed,
        suite=suite,
        backend=BACKEND,
    )
    _compare_proof_trace(suite, name, fixture, messages, committed, disclosed, disclosed_committed)


def _compare_proof_trace(
    suite: Suite,
    name: str,
    fixture: dict[str, Any],
    messages: list[bytes],
    committed: list[bytes],
    disclosed: list[int],
    disclosed_committed: list[int],
) -> None:
    ciphersuite = _ciphersuite(suite)
    api_id = bbs_pseudonym.interface_api_id(suite)
    trace = fixture["trace"]
    secrets = [_scalar(s) for s in fixture["nym_secrets"]]
    scalars, generators = blind_bbs.prepare_parameters(
        bbs.messages_to_scalars(messages, api_id, ciphersuite=ciphersuite),
        [*bbs.messages_to_scalars(committed, api_id, ciphersuite=ciphersuite), *secrets],
        len(messages) + 1,
        len(committed) + len(secrets) + 1,
        _scalar(fixture["proverBlind"]),
        api_id,
        ciphersuite=ciphersuite,
    )
    indexes = blind_bbs.combined_indexes(
        len(messages), len(committed), disclosed, disclosed_committed
    )
    undisclosed = [i for i in range(len(scalars)) if i not in indexes]
    # The nym secrets are the last N undisclosed messages.
    nym_indexes = [
        bbs_pseudonym.nym_secret_index(len(messages), len(committed), k)
        for k in range(len(secrets))
    ]
    assert undisclosed[-len(secrets) :] == nym_indexes
    random_scalars = _seeded(
        suite, fixture["mockRngParameters"]["proof"]["DST"], 5 + len(undisclosed)
    )
    key = "randomScalars" if (suite, name) in OTHER_SPELLING else "random_scalars"
    expected = trace[key]
    assert random_scalars == [
        _scalar(expected[k]) for k in ("r1", "r2", "e_Tilde", "r1_Tilde", "r3_Tilde")
    ] + [_scalar(m) for m in expected["m_tilde_scalars"]]

    pk, signature = unhex(fixture["signerPublicKey"]), unhex(fixture["signature"])
    header = bbs_pseudonym.combined_header(unhex(fixture["header"]), len(secrets))
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
    assert [_encoded(p) for p in init_res[:5]] == [trace[k] for k in points]
    assert init_res.domain == _scalar(trace["domain"])

    context_id = unhex(fixture["context_id"])
    m_tilde = random_scalars[-len(secrets) :]
    pseudonym, ut = bbs_pseudonym.pseudonym_proof_init(
        context_id, secrets, m_tilde, api_id, ciphersuite=ciphersuite
    )
    assert _encoded(pseudonym) == trace["pseudonym"] == fixture["pseudonym"]
    assert _encoded(ut) == trace["Ut"]
    if "OP" in trace:  # the n-use cases, and every SHAKE-256 case, trace these too
        op = hash_to_curve(
            context_id, api_id, suite=ciphersuite.hash_to_curve_suite, backend=BACKEND
        )
        assert _encoded(op) == trace["OP"]
        z = bbs.hash_to_scalar(context_id, api_id + b"VECT_NYM_SECRETS", suite=suite)
        assert (
            _scalar(trace["poly_eval_pseudo"])
            == sum(s * pow(z, i, bbs.R) for i, s in enumerate(secrets)) % bbs.R
        )
        assert (
            _scalar(trace["poly_eval_proof"])
            == sum(m * pow(z, i, bbs.R) for i, m in enumerate(m_tilde)) % bbs.R
        )
    disclosed_scalars = [scalars[i] for i in indexes]
    context_octets = len(context_id).to_bytes(8, "big") + context_id
    challenge = bbs.proof_challenge_calculate(
        init_res,
        disclosed_scalars,
        indexes,
        unhex(fixture["presentationHeader"]),
        api_id,
        ciphersuite=ciphersuite,
        extra_points=(pseudonym, ut),
        extra_octets=context_octets,
    )
    assert challenge == _scalar(trace["challenge"])

    # The verifier's side: T1, T2 and Uv recomputed from the proof equal T1, T2, Ut.
    decoded = bbs.octets_to_proof(unhex(fixture["proof"]), ciphersuite=ciphersuite)
    assert decoded.challenge == challenge
    verify_init = bbs.proof_verify_init(
        pk, decoded, generators, header, disclosed_scalars, indexes, api_id, ciphersuite=ciphersuite
    )
    assert [_encoded(p) for p in verify_init[:5]] == [trace[k] for k in points]
    uv = bbs_pseudonym.pseudonym_proof_verify_init(
        pseudonym,
        context_id,
        list(decoded.commitments[-len(secrets) :]),
        decoded.challenge,
        api_id,
        ciphersuite=ciphersuite,
    )
    assert _encoded(uv) == trace["Ut"]
