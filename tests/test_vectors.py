"""zkcheck's own vectors (spec/vectors/, spec/21-test-vectors.md) are what the code generates,
and their values check out by routes other than the generator's.

The generator (:mod:`zkcheck.vectors`) verifies every presentation it writes with the
real verifier; these tests regenerate the files and compare them byte for byte, and
recompute the main intermediate values with other code: libsodium for Ed25519,
OpenSSL for RSASSA-PSS, SHA-256 and the BBS hash_to_scalar directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.signing
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import zkcheck
from zkcheck import vectors
from zkcheck.cli.exits import EXIT_BAD_INPUT, EXIT_USAGE
from zkcheck.cli.files import from_json, to_json
from zkcheck.cli.main import main
from zkcheck.encoding.messages import Presentation, Request, ResultRecord, decode_message
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidSignature,
    PolicyError,
    WrongVerifier,
    ZkcheckError,
)
from zkcheck.hazmat.bbs import hash_to_scalar
from zkcheck.hazmat.credential_pseudonym import carry_over_header
from zkcheck.hazmat.presentation import VERSION_1, VERSION_2
from zkcheck.roles import Issuer
from zkcheck.roles.credential_issuer import layout_facts
from zkcheck.sources.base import MemorySubscriberSource
from zkcheck.trust.clock import FixedClock, SystemClock
from zkcheck.vectors._world import World, refusal
from zkcheck.vectors.credential import _signing_trace

VECTORS = Path(__file__).resolve().parent.parent / "spec" / "vectors"


def load(name: str) -> dict[str, Any]:
    content: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return content


def test_the_committed_vectors_are_regenerated_byte_for_byte() -> None:
    assert vectors.differences(VECTORS) == []
    assert sorted(path.name for path in VECTORS.glob("*.json")) == sorted(vectors.FILES)


def test_the_generation_reads_no_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every instant is the world's fixed one: a vector that read the machine's clock would
    # change on the day a key epoch or a grid cell turns over.
    def no_clock(self: SystemClock) -> datetime:
        raise AssertionError("the vector generator read the system clock")

    monkeypatch.setattr(SystemClock, "now", no_clock)
    assert vectors.differences(VECTORS) == []


def test_the_check_passes_in_another_time_zone_locale_and_hash_seed() -> None:
    # What differs between machines: the local time zone (UTC+14 here), the locale's
    # encoding and the order of sets and dicts of strings.
    environment = {
        **os.environ,
        "TZ": "Pacific/Kiritimati",
        "LC_ALL": "C",
        "PYTHONHASHSEED": "12345",
    }
    command = [sys.executable, "-m", "zkcheck", "vectors", "--check", "--out", str(VECTORS)]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_command_writes_the_files_and_checks_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["vectors", "--out", str(tmp_path)]) == 0
    for name in vectors.FILES:
        assert (tmp_path / name).read_bytes() == (VECTORS / name).read_bytes()
    assert main(["vectors", "--out", str(tmp_path), "--check"]) == 0
    assert capsys.readouterr().out.endswith(f"{tmp_path}: every vector file is up to date\n")
    changed = tmp_path / "token.json"
    changed.write_text(changed.read_text().replace('"now": ', '"now": 1', 1))
    (tmp_path / "stray.json").write_text("{}")
    capsys.readouterr()
    assert main(["vectors", "--out", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "token.json: differs" in out and "stray.json: not generated" in out
    assert "signed.json" not in out


def test_the_default_directory_is_the_checkouts_wherever_the_command_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed package with no checkout around it; the checkout is the working directory.
    monkeypatch.setattr(zkcheck, "__file__", str(tmp_path / "site" / "zkcheck" / "__init__.py"))
    checkout = tmp_path / "checkout"
    (checkout / "spec").mkdir(parents=True)
    (checkout / "spec" / "21-test-vectors.md").write_text("# Test vectors\n")
    monkeypatch.chdir(checkout / "spec")
    # Not from spec/, whose spec/vectors would be a new directory beside the real one.
    assert main(["vectors"]) == EXIT_USAGE
    assert "name the directory with --out DIR" in capsys.readouterr().err
    assert not (checkout / "spec" / "spec").exists()
    monkeypatch.chdir(checkout)
    assert main(["vectors"]) == 0
    assert sorted(path.name for path in (checkout / "spec" / "vectors").iterdir()) == sorted(
        vectors.FILES
    )
    assert main(["vectors", "--check"]) == 0
    assert "every vector file is up to date" in capsys.readouterr().out


def test_the_check_of_a_missing_directory_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A wrong --out or working directory is not a set of vector files that differ.
    assert main(["vectors", "--out", str(tmp_path / "absent"), "--check"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"cannot read {tmp_path / 'absent'}: no such directory" in captured.err


def test_the_check_of_an_unreadable_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["vectors", "--out", str(tmp_path)]) == 0
    read_bytes = Path.read_bytes

    def unreadable(path: Path) -> bytes:
        if path.name == "token.json":
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    capsys.readouterr()
    assert main(["vectors", "--out", str(tmp_path), "--check"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"cannot read {tmp_path / 'token.json'}: Permission denied" in err
    assert "internal error" not in err


def test_a_file_that_cannot_be_written_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token.json").mkdir()
    assert main(["vectors", "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    assert f"cannot write {tmp_path / 'token.json'}: Is a directory" in capsys.readouterr().err
    # A directory it may not write into: the file is named, not the temporary one beside it.
    (tmp_path / "token.json").rmdir()

    def refused(*, dir: str, prefix: str) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}x1y2z3")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    assert main(["vectors", "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"cannot write {tmp_path / 'encoding.json'}: Permission denied" in err
    assert "x1y2z3" not in err
    monkeypatch.undo()
    blocked = tmp_path / "a-file"
    blocked.write_bytes(b"")
    assert main(["vectors", "--out", str(blocked / "vectors")]) == EXIT_BAD_INPUT
    assert f"cannot write {blocked}" in capsys.readouterr().err


def test_a_negative_vector_is_refused_for_the_reason_it_states() -> None:
    # A presentation the verifier refuses for another reason than the one the file
    # states, or accepts, stops the generator rather than being written down.
    def refuse(error: type[ZkcheckError]) -> Callable[[], object]:
        def attempt() -> object:
            raise error("refused")

        return attempt

    assert refusal("flipped", InvalidSignature, refuse(InvalidSignature)) == "InvalidSignature"
    with pytest.raises(AssertionError, match="raised DecodeError, not InvalidSignature: flipped"):
        refusal("flipped", InvalidSignature, refuse(DecodeError))
    with pytest.raises(AssertionError, match="raised Expired, not PolicyError"):
        refusal("late", PolicyError, refuse(Expired))
    with pytest.raises(AssertionError, match="was accepted: relayed"):
        refusal("relayed", WrongVerifier, lambda: None)


def _ed25519_verifies(public_key: str, message: str, signature: str) -> bool:
    try:
        nacl.signing.VerifyKey(bytes.fromhex(public_key)).verify(
            bytes.fromhex(message), bytes.fromhex(signature)
        )
    except nacl.exceptions.BadSignatureError:
        return False
    return True


def test_signed_vectors_verify_with_libsodium() -> None:
    signed = load("signed.json")
    operator = signed["inputs"]["operatorKey"]["publicKey"]
    for case in signed["cases"]:
        trace = case["trace"]
        for attestation in trace["attestations"]:
            assert _ed25519_verifies(operator, attestation["toBeSigned"], attestation["signature"])
            changed = attestation["toBeSigned"][:-2] + "00"
            assert not _ed25519_verifies(operator, changed, attestation["signature"])
        request = bytes.fromhex(trace["request"])
        assert hashlib.sha256(request).hexdigest() == trace["requestDigest"]
        assert Request.from_bytes(request).nonce.hex() == case["inputs"]["request"]["nonce"]
        binding = trace["keyBinding"]
        holder = case["inputs"]["holderKeys"][0]["publicKey"]
        assert _ed25519_verifies(holder, binding["toBeSigned"], binding["signature"])
        shown = Presentation.from_bytes(bytes.fromhex(case["output"]["presentation"]))
        assert shown.tier == "signed" and shown.nonce == Request.from_bytes(request).nonce
        result = ResultRecord.from_bytes(bytes.fromhex(case["output"]["result"]))
        assert [check.identifier for check in result.checks] == case["inputs"]["checks"]
        assert {negative["error"] for negative in case["negative"]} == {
            "InvalidSignature",
            "WrongVerifier",
        }


def test_the_issuer_issues_the_signed_vectors_batch_without_a_number() -> None:
    # The generator builds attestations below the role layer; the real issuer, at the
    # vectors' instant with the world's key and subscriber, answers the same issuance
    # request with the same octets (a number's random salt keeps the other case apart).
    world = World()
    (case,) = [c for c in load("signed.json")["cases"] if "number" not in c["inputs"]["checks"]]
    issuer = Issuer(
        world.operator_id,
        world.operator_key,
        MemorySubscriberSource([world.subscriber]),
        clock=FixedClock(datetime.fromtimestamp(world.now, UTC)),
        menu=world.menu,
    )
    issuance_request = bytes.fromhex(case["output"]["issuanceRequest"])
    response = issuer.issue(world.subscriber.msisdn, issuance_request).to_bytes()
    assert response.hex() == case["output"]["issuanceResponse"]


def test_token_vectors_verify_with_openssl() -> None:
    token = load("token.json")
    keys = {key["check"]: key for key in token["inputs"]["tokenKeys"]}
    for case in token["cases"]:
        key = keys[case["inputs"]["check"]]
        numbers = key["privateKey"]
        public = rsa.RSAPublicNumbers(numbers["e"], int(numbers["n"], 16)).public_key()
        trace = case["trace"]
        token_input = bytes.fromhex(trace["tokenInput"])
        public.verify(
            bytes.fromhex(trace["authenticator"]),
            token_input,
            padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48),
            hashes.SHA384(),
        )
        # token_input = type || nonce || SHA-256(challenge) || token key id (RFC 9577 2.2.3)
        challenge = bytes.fromhex(trace["tokenChallenge"])
        assert token_input == (
            b"\x00\x02"
            + bytes.fromhex(trace["nonce"])
            + hashlib.sha256(challenge).digest()
            + bytes.fromhex(key["tokenKeyId"])
        )
        assert key["tokenKeyId"] == hashlib.sha256(bytes.fromhex(key["spki"])).hexdigest()
        token_bytes = bytes.fromhex(case["output"]["token"])
        assert token_bytes == token_input + bytes.fromhex(trace["authenticator"])
        if trace["redemptionContext"]:
            digest = hashlib.sha256(
                trace["contextDst"].encode() + bytes.fromhex(trace["requestDigest"])
            ).hexdigest()
            assert digest == trace["redemptionContext"]
        # The blinded message's first draws are the client nonce, then the PSS salt.
        draws = trace["clientRng"]["draws"]
        assert draws[0] == trace["nonce"] and len(bytes.fromhex(draws[1])) == 48


def test_credential_challenges_are_the_hash_of_their_challenge_input() -> None:
    credential = load("credential.json")
    seen = 0
    for case in credential["cases"]:
        trace = case["trace"]
        if "challengeInput" not in trace or "bbsProof" not in trace:
            continue
        challenge_input = bytes.fromhex(trace["challengeInput"])
        # Presentations are of version 2, a renewal's carry-over of version 1 (chapter 9).
        version = {1: VERSION_1, 2: VERSION_2}[trace.get("presentationVersion", 1)]
        assert ("presentationVersion" in trace) == ("predicateProof" in trace)
        # Item 1 of the transcript is lp(PROTOCOL_ID) of the version.
        protocol_id = version.protocol_id
        assert challenge_input.startswith(len(protocol_id).to_bytes(8, "big") + protocol_id)
        challenge = hash_to_scalar(challenge_input, version.challenge_dst)
        assert challenge.to_bytes(32, "big").hex() == trace["challenge"]
        assert trace["bbsProof"].endswith(trace["challenge"])
        # Item 8 of the transcript is lp(ph): for a presentation the SHA-256 of the request,
        # for a carry-over the header naming the operator and the new commitment (chapter 13).
        ph = bytes.fromhex(trace["presentationHeader"])
        if "request" in trace:
            assert ph == hashlib.sha256(bytes.fromhex(trace["request"])).digest()
        else:
            commitment = bytes.fromhex(trace["commitmentWithProof"])
            assert ph == carry_over_header(credential["inputs"]["operatorId"], commitment)
        assert len(ph).to_bytes(8, "big") + ph in challenge_input
        seen += 1
    assert seen == 5  # four presentations and the renewal's carry-over


def test_the_credential_signing_trace_is_that_of_the_signature() -> None:
    # e of the trace is the signature's (A || e); B, e and the signature of the first
    # issuance do not fit the renewal's signature, which the generator must notice.
    world = World()
    issuance, renewal = (load("credential.json")["cases"][i] for i in (0, -1))
    for case in (issuance, renewal):
        assert case["trace"]["signature"].endswith(case["trace"]["e"])
    trace = issuance["trace"]
    commitment = bytes.fromhex(trace["commitmentWithProof"])
    entropy = bytes.fromhex(trace["signerNymEntropy"])
    facts = layout_facts(world.subscriber, datetime.fromtimestamp(world.now, UTC))
    signature = bytes.fromhex(trace["signature"])
    recomputed = _signing_trace(world, commitment, entropy, facts, signature)
    assert recomputed == {key: trace[key] for key in ("domain", "B", "e")}
    other = bytes.fromhex(renewal["trace"]["signature"])
    with pytest.raises(AssertionError, match="not those of the signature"):
        _signing_trace(world, commitment, entropy, facts, other)


def test_trust_list_vectors_verify_with_libsodium() -> None:
    trust = load("trust-list.json")
    (case,) = trust["cases"]
    trace = case["trace"]
    current = trust["inputs"]["currentAuthorityKey"]["publicKey"]
    assert _ed25519_verifies(current, trace["toBeSigned"], trace["signature"])
    operators = bytes.fromhex(trace["operators"])
    assert hashlib.sha256(operators).hexdigest() == trace["operatorsDigest"]
    assert trace["operatorsDigest"] in trace["head"]
    assert {negative["error"] for negative in case["negative"]} == {
        "InvalidSignature",
        "UntrustedIssuer",
        "Expired",
    }


def test_the_json_file_form_reads_back_as_the_command_line_reads_it() -> None:
    case = load("encoding.json")["cases"][3]
    request = bytes.fromhex(case["output"]["request"])
    assert from_json(case["output"]["jsonFile"].encode()) == request
    # The generator cannot import the command line; its JSON form is the command's, octet
    # for octet.
    assert to_json(request) == case["output"]["jsonFile"].encode()
    assert decode_message(request) == "request"
    assert {negative["error"] for negative in case["negative"]} == {"DecodeError"}
