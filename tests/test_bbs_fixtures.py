"""The fixtures of draft-irtf-cfrg-bbs-signatures-09, both ciphersuites.

Valid cases are reproduced byte for byte (proofs with the draft's mocked
random scalars, through :mod:`zkcheck.testing`), and every intermediate value
of a fixture's trace is compared. Invalid cases must raise the error class
tabled below, next to the fixture's own reason.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from vectors_loader import load_dir, load_json, unhex

from zkcheck import testing
from zkcheck.errors import DecodeError, InvalidProof, InvalidSignature, ZkcheckError
from zkcheck.hazmat import bbs
from zkcheck.hazmat.backend import get_backend
from zkcheck.hazmat.hash_to_curve import hash_to_curve
from zkcheck.suites import Suite

SUITE_DIRS = {
    Suite.BLS12_381_SHA_256: "bbs/bls12-381-sha-256",
    Suite.BLS12_381_SHAKE_256: "bbs/bls12-381-shake-256",
}

# (fixture's reason, the error zkcheck raises). The same cases, with the same
# numbers and reasons, exist for both ciphersuites.
INVALID_SIGNATURES: dict[str, tuple[str, type[ZkcheckError]]] = {
    "signature002": ("modified message", InvalidSignature),
    "signature003": ("extra unsigned message", InvalidSignature),
    "signature005": ("missing messages", InvalidSignature),
    "signature006": ("re-ordered messages", InvalidSignature),
    "signature007": ("wrong public key", InvalidSignature),
    "signature008": ("different header", InvalidSignature),
    "signature009": ("re-ordered(randomly shuffled) messages", InvalidSignature),
}
INVALID_PROOFS: dict[str, tuple[str, type[ZkcheckError]]] = {
    "proof004": ("different presentation header", InvalidProof),
    "proof005": ("wrong public key", InvalidProof),
    "proof006": ("modified messages", InvalidProof),
    "proof007": ("extra message un-revealed in proof", InvalidProof),
    "proof008": ("extra message invalid message un-revealed in proof", InvalidProof),
    "proof009": ("missing message revealed in proof", InvalidProof),
    # disclosed_indexes [4, 2, 4, 6] are neither ascending nor unique: malformed.
    "proof010": ("re-ordered messages", DecodeError),
    # A well-formed proof for 9 messages presented as one for 10.
    "proof011": ("extra valid message, modified total message count", InvalidProof),
    "proof012": ("truncated proof, one less undisclosed message", InvalidProof),
    "proof013": ("different header", InvalidProof),
}

BACKEND = get_backend("arkworks")
BLST_MISSING = importlib.util.find_spec("pyblst") is None
# Verification also runs through the optional blst pairing, where installed.
VERIFY_BACKENDS = [
    pytest.param("arkworks"),
    pytest.param(
        "arkworks+blst",
        marks=pytest.mark.skipif(BLST_MISSING, reason="optional pyblst not installed"),
    ),
]


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


@pytest.mark.parametrize("suite", list(SUITE_DIRS))
def test_key_pair(suite: Suite) -> None:
    fixture = load_json(f"{SUITE_DIRS[suite]}/keypair.json")
    # The fixture passes key_dst = api_id || "KEYGEN_DST_" explicitly
    # (tests/vectors/bbs/NOTES.md); the draft's default differs.
    key_dst = unhex(fixture["keyDst"])
    assert key_dst == _ciphersuite(suite).api_id + b"KEYGEN_DST_"
    sk = bbs.key_gen(unhex(fixture["keyMaterial"]), unhex(fixture["keyInfo"]), key_dst, suite=suite)
    assert sk.reveal() == unhex(fixture["keyPair"]["secretKey"])
    pk = bbs.sk_to_pk(sk, suite=suite, backend=BACKEND)
    assert pk == unhex(fixture["keyPair"]["publicKey"])
    # The default key_dst is ciphersuite_id || "KEYGEN_DST_", another key.
    default = bbs.key_gen(unhex(fixture["keyMaterial"]), unhex(fixture["keyInfo"]), suite=suite)
    explicit = bbs.key_gen(
        unhex(fixture["keyMaterial"]),
        unhex(fixture["keyInfo"]),
        suite.ciphersuite_id + b"KEYGEN_DST_",
        suite=suite,
    )
    assert default == explicit
    assert default != sk


@pytest.mark.parametrize("suite", list(SUITE_DIRS))
def test_generators(suite: Suite) -> None:
    fixture = load_json(f"{SUITE_DIRS[suite]}/generators.json")
    ciphersuite = _ciphersuite(suite)
    assert BACKEND.g1_to_bytes(ciphersuite.P1) == unhex(fixture["P1"])
    count = len(fixture["MsgGenerators"]) + 1
    generators = bbs.create_generators(count, ciphersuite.api_id, ciphersuite=ciphersuite)
    encoded = [BACKEND.g1_to_bytes(point) for point in generators]
    assert encoded[0] == unhex(fixture["Q1"])
    assert encoded[1:] == [unhex(h) for h in fixture["MsgGenerators"]]
    # A shorter request returns a prefix of the cached list, in order.
    prefix = bbs.create_generators(3, ciphersuite.api_id, ciphersuite=ciphersuite)
    assert [BACKEND.g1_to_bytes(point) for point in prefix] == encoded[:3]


def test_generators_are_hashed_to_the_curve_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = load_json(f"{SUITE_DIRS[Suite.BLS12_381_SHA_256]}/generators.json")
    expected = [unhex(fixture["Q1"]), *(unhex(h) for h in fixture["MsgGenerators"])]
    # A ciphersuite of its own, so that no other test has filled its cache.
    ciphersuite = bbs.Ciphersuite(Suite.BLS12_381_SHA_256, BACKEND)
    hashed: list[bytes] = []

    def counting_hash_to_curve(msg: bytes, dst: bytes, **kwargs: Any) -> Any:
        hashed.append(msg)
        return hash_to_curve(msg, dst, **kwargs)

    monkeypatch.setattr(bbs, "hash_to_curve", counting_hash_to_curve)

    def create(count: int, api_id: bytes = ciphersuite.api_id) -> list[bytes]:
        points = bbs.create_generators(count, api_id, ciphersuite=ciphersuite)
        return [BACKEND.g1_to_bytes(point) for point in points]

    assert create(len(expected)) == expected
    assert len(hashed) == len(expected)
    # Asked again, for as many or fewer: the same points, none hashed again.
    assert create(len(expected)) == expected
    assert create(2) == expected[:2]
    assert len(hashed) == len(expected)
    # Asked for more: only the new ones are hashed, continuing the sequence.
    longer = create(len(expected) + 2)
    assert longer[: len(expected)] == expected
    assert len(hashed) == len(expected) + 2
    # Another api_id has generators of its own.
    assert create(1, b"ANOTHER-API-ID-") != expected[:1]
    assert len(hashed) == len(expected) + 3


@pytest.mark.parametrize("suite", list(SUITE_DIRS))
def test_map_message_to_scalar_as_hash(suite: Suite) -> None:
    fixture = load_json(f"{SUITE_DIRS[suite]}/MapMessageToScalarAsHash.json")
    ciphersuite = _ciphersuite(suite)
    assert unhex(fixture["dst"]) == ciphersuite.api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    messages = [unhex(case["message"]) for case in fixture["cases"]]
    expected = [_scalar(case["scalar"]) for case in fixture["cases"]]
    scalars = bbs.messages_to_scalars(messages, ciphersuite.api_id, ciphersuite=ciphersuite)
    assert scalars == expected
    # Each message maps on its own (Section 4.1.2.1's independence rule).
    for message, scalar in zip(messages, expected, strict=True):
        assert bbs.messages_to_scalars([message], ciphersuite.api_id, ciphersuite=ciphersuite) == [
            scalar
        ]


@pytest.mark.parametrize("suite", list(SUITE_DIRS))
def test_hash_to_scalar(suite: Suite) -> None:
    fixture = load_json(f"{SUITE_DIRS[suite]}/h2s.json")
    assert unhex(fixture["dst"]) == _ciphersuite(suite).api_id + b"H2S_"
    scalar = bbs.hash_to_scalar(unhex(fixture["message"]), unhex(fixture["dst"]), suite=suite)
    assert scalar == _scalar(fixture["scalar"])


@pytest.mark.parametrize("suite", list(SUITE_DIRS))
def test_mocked_random_scalars(suite: Suite) -> None:
    fixture = load_json(f"{SUITE_DIRS[suite]}/mockedRng.json")
    assert unhex(fixture["seed"]) == testing.MOCKED_SCALARS_SEED
    assert unhex(fixture["dst"]) == testing.mocked_scalars_dst(suite)
    expected = [_scalar(s) for s in fixture["mockedScalars"]]
    count = fixture["count"]
    seeded = testing.seeded_random_scalars(
        unhex(fixture["seed"]), unhex(fixture["dst"]), count, suite=suite
    )
    assert seeded == expected
    # The mocked rng makes calculate_random_scalars return the same scalars.
    drawn = bbs.calculate_random_scalars(
        count, testing.mocked_rng(count, suite=suite), ciphersuite=_ciphersuite(suite)
    )
    assert drawn == expected


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("signature"))
@pytest.mark.parametrize("verifier", VERIFY_BACKENDS)
def test_signature_fixture(suite: Suite, name: str, fixture: dict[str, Any], verifier: str) -> None:
    ciphersuite = _ciphersuite(suite)
    sk = unhex(fixture["signerKeyPair"]["secretKey"])
    pk = unhex(fixture["signerKeyPair"]["publicKey"])
    header = unhex(fixture["header"])
    messages = [unhex(m) for m in fixture["messages"]]
    signature = unhex(fixture["signature"])
    if not fixture["result"]["valid"]:
        reason, error = INVALID_SIGNATURES[name]
        assert fixture["result"]["reason"] == reason
        with pytest.raises(error):
            bbs.verify(pk, signature, header, messages, suite=suite, backend=get_backend(verifier))
        return
    assert name not in INVALID_SIGNATURES
    assert bbs.sign(sk, pk, header, messages, suite=suite, backend=BACKEND) == signature
    bbs.verify(pk, signature, header, messages, suite=suite, backend=get_backend(verifier))
    # The trace holds the signer's domain and B = P1 + Q_1 * domain + sum H_i * msg_i.
    generators = bbs.create_generators(
        len(messages) + 1, ciphersuite.api_id, ciphersuite=ciphersuite
    )
    domain = bbs.calculate_domain(
        pk, generators[0], generators[1:], header, ciphersuite.api_id, ciphersuite=ciphersuite
    )
    assert domain == _scalar(fixture["trace"]["domain"])
    scalars = bbs.messages_to_scalars(messages, ciphersuite.api_id, ciphersuite=ciphersuite)
    b = BACKEND.g1_msm([ciphersuite.P1, *generators], [1, domain, *scalars])
    assert BACKEND.g1_to_bytes(b) == unhex(fixture["trace"]["B"])


def _proof_parts(
    fixture: dict[str, Any],
) -> tuple[bytes, bytes, bytes, bytes, list[bytes], list[int], bytes]:
    return (
        unhex(fixture["signerPublicKey"]),
        unhex(fixture["signature"]),
        unhex(fixture["header"]),
        unhex(fixture["presentationHeader"]),
        [unhex(m) for m in fixture["messages"]],
        list(fixture["disclosedIndexes"]),
        unhex(fixture["proof"]),
    )


@pytest.mark.parametrize(("suite", "name", "fixture"), _cases("proof"))
@pytest.mark.parametrize("verifier", VERIFY_BACKENDS)
def test_proof_fixture(suite: Suite, name: str, fixture: dict[str, Any], verifier: str) -> None:
    pk, signature, header, ph, messages, disclosed, proof = _proof_parts(fixture)
    disclosed_messages = [messages[i] for i in disclosed]

    def verify() -> None:
        bbs.proof_verify(
            pk,
            proof,
            header,
            ph,
            disclosed_messages,
            disclosed,
            suite=suite,
            backend=get_backend(verifier),
        )

    if not fixture["result"]["valid"]:
        reason, error = INVALID_PROOFS[name]
        assert fixture["result"]["reason"] == reason
        with pytest.raises(error):
            verify()
        return
    assert name not in INVALID_PROOFS
    undisclosed_count = len(messages) - len(disclosed)
    generated = bbs.proof_gen(
        pk,
        signature,
        header,
        ph,
        messages,
        disclosed,
        suite=suite,
        rng=testing.mocked_rng(5 + undisclosed_count, suite=suite),
        backend=BACKEND,
    )
    assert generated == proof
    verify()
    _compare_proof_trace(suite, fixture)


def _compare_proof_trace(suite: Suite, fixture: dict[str, Any]) -> None:
    """ProofInit, the challenge and ProofVerifyInit against the fixture's trace."""
    ciphersuite = _ciphersuite(suite)
    api_id = ciphersuite.api_id
    trace = fixture["trace"]
    pk, signature, header, ph, messages, disclosed, proof = _proof_parts(fixture)
    undisclosed = [i for i in range(len(messages)) if i not in disclosed]
    random_scalars = testing.seeded_random_scalars(
        testing.MOCKED_SCALARS_SEED,
        testing.mocked_scalars_dst(suite),
        5 + len(undisclosed),
        suite=suite,
    )
    expected_scalars = trace["random_scalars"]
    assert random_scalars == [
        _scalar(expected_scalars[key]) for key in ("r1", "r2", "e_tilde", "r1_tilde", "r3_tilde")
    ] + [_scalar(s) for s in expected_scalars["m_tilde_scalars"]]

    scalars = bbs.messages_to_scalars(messages, api_id, ciphersuite=ciphersuite)
    generators = bbs.create_generators(len(messages) + 1, api_id, ciphersuite=ciphersuite)
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
    expected_points = [trace[key] for key in ("A_bar", "B_bar", "D", "T1", "T2")]
    assert [BACKEND.g1_to_bytes(p) for p in init_res[:5]] == [unhex(p) for p in expected_points]
    assert init_res.domain == _scalar(trace["domain"])
    disclosed_scalars = [scalars[i] for i in disclosed]
    challenge = bbs.proof_challenge_calculate(
        init_res, disclosed_scalars, disclosed, ph, api_id, ciphersuite=ciphersuite
    )
    assert challenge == _scalar(trace["challenge"])

    # The verifier recomputes the same T1, T2 and domain from the proof.
    decoded = bbs.octets_to_proof(proof, ciphersuite=ciphersuite)
    assert decoded.challenge == challenge
    verify_init = bbs.proof_verify_init(
        pk,
        decoded,
        generators,
        header,
        disclosed_scalars,
        disclosed,
        api_id,
        ciphersuite=ciphersuite,
    )
    assert [BACKEND.g1_to_bytes(p) for p in verify_init[:5]] == [unhex(p) for p in expected_points]
    assert verify_init.domain == init_res.domain
