"""The commands for real use, through files: keygen -> issue -> receive -> request -> present
-> verify, every documented exit code, and inspect on every object type without secrets."""

from __future__ import annotations

import base64
import functools
import io
import json
import shlex
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from tests.attest_world import START
from tests.cli_party import (
    Party,
    Run,
    credential_ask,
    credential_files,
    credential_issue,
    credential_keygen,
    credential_present,
    credential_receive,
    credential_request,
    credential_secrets,
    credential_verify,
    leaks,
    operator_party,
    secret_forms,
    sign,
    token_files,
    trust_args,
)
from tests.credential_world import ALICE, make_credential_world
from tests.credential_world import OPERATOR as CREDENTIAL_OPERATOR
from tests.token_world import make_token_world
from zkcheck.claims import Check
from zkcheck.cli import commands as command_steps
from zkcheck.cli import tiers, trust_commands
from zkcheck.cli.exits import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from zkcheck.cli.files import from_json, to_json
from zkcheck.cli.inspect import explain, known_kinds
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.messages import Presentation, Request, ResultRecord, decode_message
from zkcheck.encoding.token_messages import TokenChallengeHeader
from zkcheck.errors import DecodeError, ZkcheckError
from zkcheck.roles import (
    CredentialIssuerKeys,
    Holder,
    OperatorKey,
    Policy,
    Verifier,
)
from zkcheck.sources import (
    DEMO_SUBSCRIBERS,
    MemorySubscriberSource,
    demo_subscribers,
)
from zkcheck.trust.authority import Authority
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.federation import TrustListDraft, private_trust

ADULT = DEMO_SUBSCRIBERS["adult"]
SWAPPED = DEMO_SUBSCRIBERS["recently_swapped"]
BANK = ["--verifier-id", "bank.example", "--require", "sim_swap:72"]


@pytest.fixture
def z(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Party:
    return operator_party(tmp_path, capsys)


def _ask(z: Party, check: str = "sim_swap:72", count: int = 2, fmt: str = "cbor") -> None:
    z.ok(
        "keygen", "holder", "--wallet", z.path("phone.wallet"), "--check", check,
        "--count", str(count), "--out", z.path(f"ask.{fmt}"),
    )  # fmt: skip


def _issue(z: Party, msisdn: str = ADULT, fmt: str = "cbor") -> Run:
    return z(
        "issue", "--key", z.path("operator.key"), "--subscribers", z.path("subscribers.db"),
        "--msisdn", msisdn, "--in", z.path(f"ask.{fmt}"), "--out", z.path(f"attestations.{fmt}"),
    )  # fmt: skip


def _verifier_args(z: Party, policy: list[str]) -> list[str]:
    return [*policy, *trust_args(z), "--nonces", z.path("rp.db")]


def _request(z: Party, policy: list[str] = BANK, fmt: str = "cbor") -> None:
    z.ok("request", *_verifier_args(z, policy), "--out", z.path(f"request.{fmt}"))


def _present(z: Party, fmt: str = "cbor") -> Run:
    return z(
        "present", "--wallet", z.path("phone.wallet"), "--in", z.path(f"request.{fmt}"),
        "--out", z.path(f"presentation.{fmt}"),
    )  # fmt: skip


def _verify(z: Party, policy: list[str] = BANK, fmt: str = "cbor", *extra: str) -> Run:
    return z("verify", *_verifier_args(z, policy), "--in", z.path(f"presentation.{fmt}"), *extra)


def _issued_wallet(z: Party, check: str = "sim_swap:72", count: int = 2) -> None:
    _ask(z, check, count)
    assert _issue(z).code == EXIT_OK
    z.ok("receive", "--wallet", z.path("phone.wallet"), "--in", z.path("attestations.cbor"))


# -- the flow -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["cbor", "json"])
def test_keygen_issue_present_verify_through_files(z: Party, fmt: str) -> None:
    _ask(z, fmt=fmt)
    issued = _issue(z, fmt=fmt)
    assert issued.code == EXIT_OK and "2 attestations" in issued.out
    stored = z.ok(
        "receive", "--wallet", z.path("phone.wallet"), "--in", z.path(f"attestations.{fmt}")
    )
    assert "2 attestations stored" in stored.out
    _request(z, fmt=fmt)
    assert _present(z, fmt).code == EXIT_OK
    verified = _verify(z, BANK, fmt, "--out", z.path(f"result.{fmt}"))
    assert verified.code == EXIT_OK
    assert verified.out.startswith("accepted: sim_swap:72 (no SIM swap in the last 72 hours)")

    result_bytes = (z.dir / f"result.{fmt}").read_bytes()
    if fmt == "json":
        document = json.loads(result_bytes)
        assert set(document) == {"type", "cbor"} and document["type"] == "result"
        result_bytes = from_json(result_bytes)
    record = ResultRecord.from_bytes(result_bytes)
    assert record.checks[0].identifier == "sim_swap:72"
    assert (record.verifier_id, record.operator, record.tier) == (
        "bank.example",
        "operator.example",
        "signed",
    )
    # The presentation is single use: the same file again is a replay, refused.
    assert _verify(z, BANK, fmt).code == EXIT_REFUSED


def test_a_phone_given_the_trust_list_refuses_a_damaged_response(z: Party) -> None:
    # The last byte of the response is the last byte of an operator signature.
    _ask(z)
    assert _issue(z).code == EXIT_OK
    response = (z.dir / "attestations.cbor").read_bytes()
    (z.dir / "damaged.cbor").write_bytes(response[:-1] + bytes([response[-1] ^ 1]))
    wallet = (z.dir / "phone.wallet").read_bytes()
    trust = ["--trust-list", z.path("federation.trust-list"), "--pin", z.path("authority.pin")]
    refused = z("receive", "--wallet", z.path("phone.wallet"), "--in", z.path("damaged.cbor"),
                *trust)  # fmt: skip
    assert refused.code == EXIT_BAD_INPUT
    assert "refuses the response (InvalidSignature" in refused.err
    assert (z.dir / "phone.wallet").read_bytes() == wallet
    stored = z.ok("receive", "--wallet", z.path("phone.wallet"), "--in",
                  z.path("attestations.cbor"), *trust)  # fmt: skip
    assert "2 attestations stored" in stored.out


def test_the_credential_tier_is_requested_and_verified_under_the_trust_list(z: Party) -> None:
    # The operator's BBS keys join its key set, the federation lists them, and the phone and
    # the verifier find them on the list under the same pin.
    credential_keygen(z)
    assert credential_ask(z).code == EXIT_OK
    assert credential_issue(z).code == EXIT_OK
    assert credential_receive(z).code == EXIT_OK
    social = ["--verifier-id", "social.example", "--require", "number", "--tier", "credential",
              "--max-age", str(21 * 86_400)]  # fmt: skip
    credential_request(z, social)
    assert 6 not in decode((z.dir / "credential-ask.cbor").read_bytes())  # names no operator
    assert credential_present(z).code == EXIT_OK
    verified = credential_verify(z, social)
    assert verified.code == EXIT_OK, verified.err
    assert "attested by operator.example (credential tier)" in verified.out


def test_secret_files_are_private_and_never_printed(z: Party) -> None:
    _issued_wallet(z)
    for name in ("operator.key", "phone.wallet"):
        assert stat.S_IMODE((z.dir / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((z.dir / "operators.keyset").stat().st_mode) & 0o044  # public
    key = OperatorKey.from_bytes((z.dir / "operator.key").read_bytes())
    secret = key.signing_key.secret.reveal()
    outputs = [
        z.ok("keygen", "operator", "--operator-id", "op2.example", "--out", z.path("k2"),
             "--keyset", z.path("ks2")),
        z.ok("inspect", z.path("operator.key")),
        z.ok("inspect", "--format", "json", z.path("operator.key")),
    ]  # fmt: skip
    for run in outputs:
        assert not leaks(secret_forms(secret), run.out + run.err)


def test_keygen_never_overwrites_a_key_unless_forced(z: Party) -> None:
    before = (z.dir / "operator.key").read_bytes()
    args = ["--operator-id", "operator.example", "--out", z.path("operator.key")]
    again = z("keygen", "operator", *args, "--keyset", z.path("other.keyset"))
    assert again.code == EXIT_BAD_INPUT and "exists" in again.err
    assert (z.dir / "operator.key").read_bytes() == before
    z.ok("keygen", "operator", *args, "--keyset", z.path("other.keyset"), "--force")
    assert (z.dir / "operator.key").read_bytes() != before
    assert stat.S_IMODE((z.dir / "operator.key").stat().st_mode) == 0o600


def test_a_world_readable_secret_file_is_warned_about(z: Party) -> None:
    _ask(z)
    (z.dir / "operator.key").chmod(0o644)
    issued = _issue(z)
    assert issued.code == EXIT_OK
    assert "chmod 600" in issued.err


def test_the_number_check_through_files(z: Party) -> None:
    _issued_wallet(z, "number", 2)
    social = ["--verifier-id", "social.example", "--require", "number", "--max-age", "604800"]
    _request(z, social)
    assert _present(z).code == EXIT_OK
    assert _verify(z, social, "cbor", "--number", ADULT).code == EXIT_OK
    _request(z, social)
    assert _present(z).code == EXIT_OK
    mistyped = _verify(z, social, "cbor", "--number", "+34600000010")
    assert mistyped.code == EXIT_REFUSED and "not shown" in mistyped.err


# -- one test per exit code (0 is shown by the flow above) ------------------------------


def test_exit_1_refused_verification_nothing_to_show_nothing_issued(z: Party) -> None:
    _ask(z)
    nothing = _issue(z, SWAPPED)
    assert nothing.code == EXIT_REFUSED
    assert "nothing issued" in nothing.err and not (z.dir / "attestations.cbor").exists()

    # The wallet holds keys but no attestation: nothing to show.
    _request(z)
    shown = _present(z)
    assert shown.code == EXIT_REFUSED and "nothing to show" in shown.err
    assert not (z.dir / "presentation.cbor").exists()

    # A presentation made for another verifier is refused by this one.
    assert _issue(z).code == EXIT_OK
    z.ok("receive", "--wallet", z.path("phone.wallet"), "--in", z.path("attestations.cbor"))
    assert _present(z).code == EXIT_OK
    other = ["--verifier-id", "other-bank.example", "--require", "sim_swap:72"]
    refused = _verify(z, other)
    assert refused.code == EXIT_REFUSED and "refused, not shown" in refused.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["request", "--verifier-id", "b.example", "--require", "age_over:18x"], "not a check"),
        (["request", "--verifier-id", "b.example", "--require", "age_over:17"], "answers"),
        (["request", "--verifier-id", "b.example"], "at least one check"),
        (["request", "--verifier-id", "b.example", "--require", "number", "--max-age", "0"], ""),
        (["verify", "--verifier-id", "b.example", "--require", "number", "--in", "x"], "--number"),
        (["request", "--verifier-id", "b.example", "--require", "number", "--operator", "x.e"], ""),
    ],
)
def test_exit_2_usage(z: Party, argv: list[str], message: str) -> None:
    extra = [*trust_args(z), "--nonces", z.path("rp.db")]
    run = z(*argv, *extra, *([] if argv[0] == "verify" else ["--out", z.path("r")]))
    assert run.code == EXIT_USAGE, run.err
    assert message in run.err
    assert not (z.dir / "r").exists()


def test_exit_2_usage_for_a_bad_msisdn_and_a_missing_option(z: Party) -> None:
    _ask(z)
    assert _issue(z, "0034600000001").code == EXIT_USAGE
    assert z("issue", "--key", z.path("operator.key")).code == EXIT_USAGE
    assert z("keygen").code == EXIT_USAGE


def test_exit_3_unavailable_for_a_tier_not_built(z: Party, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every tier of the design is built; one a later version plans is unavailable.
    planned = {**tiers.REGISTRY, "future": tiers.Planned("future", "a tier of a later version")}
    monkeypatch.setattr(tiers, "REGISTRY", planned)
    args = ["--verifier-id", "b.example", "--require", "age_over:18", "--tier", "future"]
    run = z("request", *_verifier_args(z, args), "--out", z.path("r"))
    assert run.code == EXIT_UNAVAILABLE and "future tier" in run.err
    assert z("demo", "--tier", "future", "--state", z.path("state")).code == EXIT_UNAVAILABLE
    run = z("keygen", "operator", "--tier", "future", "--operator-id", "op.example",
            "--out", z.path("k"), "--keyset", z.path("ks"))  # fmt: skip
    assert run.code == EXIT_UNAVAILABLE and "not built in this version" in run.err
    assert not (z.dir / "k").exists()


def test_exit_4_bad_input(z: Party) -> None:
    _issued_wallet(z)
    _request(z)
    # A file that does not exist.
    assert z("inspect", z.path("missing.cbor")).code == EXIT_BAD_INPUT
    # A file that is not a zkcheck object.
    (z.dir / "junk.cbor").write_bytes(b"\xff\x00junk")
    assert z("inspect", z.path("junk.cbor")).code == EXIT_BAD_INPUT
    # The right format, the wrong object: a request where a presentation belongs.
    wrong = z("verify", *_verifier_args(z, BANK), "--in", z.path("request.cbor"))
    assert wrong.code == EXIT_BAD_INPUT and "a request, not a presentation" in wrong.err
    # A trust list that is not one, or a pinned key that is not one.
    broken = z("request", *BANK, "--trust-list", z.path("request.cbor"), "--pin",
               z.path("authority.pin"), "--nonces", z.path("n"), "--out", z.path("r"))  # fmt: skip
    assert broken.code == EXIT_BAD_INPUT and "no valid trust list" in broken.err
    broken = z("request", *BANK, "--trust-list", z.path("federation.trust-list"), "--pin",
               z.path("request.cbor"), "--nonces", z.path("n"), "--out", z.path("r"))  # fmt: skip
    assert broken.code == EXIT_BAD_INPUT
    # JSON whose type member lies about the bytes inside.
    document = json.loads(to_json((z.dir / "request.cbor").read_bytes()))
    document["type"] = "presentation"
    (z.dir / "lying.json").write_text(json.dumps(document))
    assert z("inspect", z.path("lying.json")).code == EXIT_BAD_INPUT
    # A subscriber database that does not exist, or is not one.
    missing = z("issue", "--key", z.path("operator.key"), "--subscribers", z.path("none.db"),
                "--msisdn", ADULT, "--in", z.path("ask.cbor"), "--out", z.path("o"))  # fmt: skip
    assert missing.code == EXIT_BAD_INPUT
    (z.dir / "junk.db").write_bytes(b"not a database" * 100)
    junk = z("issue", "--key", z.path("operator.key"), "--subscribers", z.path("junk.db"),
             "--msisdn", ADULT, "--in", z.path("ask.cbor"), "--out", z.path("o"))  # fmt: skip
    assert junk.code == EXIT_BAD_INPUT and "not a subscriber database" in junk.err
    # Attestations for another phone's keys.
    other = ["--wallet", z.path("other.wallet"), "--check", "sim_swap:72", "--out", z.path("a2")]
    z.ok("keygen", "holder", *other)
    stolen = z("receive", "--wallet", z.path("other.wallet"), "--in", z.path("attestations.cbor"))
    assert stolen.code == EXIT_BAD_INPUT and "did not ask for" in stolen.err


def test_a_public_output_never_overwrites_a_secret_file(z: Party) -> None:
    _issued_wallet(z)
    for secret in ("authority.key", "operator.key", "phone.wallet"):
        before = (z.dir / secret).read_bytes()
        run = z("request", *_verifier_args(z, BANK), "--out", z.path(secret))
        assert run.code == EXIT_BAD_INPUT and "secret key or wallet" in run.err
        assert (z.dir / secret).read_bytes() == before
    # A public file is replaced as before.
    _request(z)
    _request(z)


def test_objects_written_to_standard_output_are_not_mixed_with_reports(z: Party) -> None:
    _issued_wallet(z)
    _request(z)
    # CBOR on standard output: in a process of its own, whose output is bytes.
    signed = subprocess.run(
        [sys.executable, "-m", "zkcheck", "trust", "sign", "--draft", z.path("federation.draft"),
         "--authority", z.path("authority.key"), "--previous", z.path("federation.trust-list"),
         "--out", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    assert decode_message(signed.stdout) == "trust-list"  # the object alone
    assert b"list federation.example number 2" in signed.stderr
    z.ok("present", "--wallet", z.path("phone.wallet"), "--in", z.path("request.cbor"),
         "--out", z.path("presentation.cbor"))  # fmt: skip
    verified = z.ok("verify", *_verifier_args(z, BANK), "--in", z.path("presentation.cbor"),
                    "--out", "-", "--format", "json")  # fmt: skip
    assert json.loads(verified.out)["type"] == "result" and "accepted" in verified.err


def test_a_presentation_read_from_standard_input_reports_on_standard_output(
    z: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    _issued_wallet(z)
    _request(z)
    assert _present(z).code == EXIT_OK
    data = (z.dir / "presentation.cbor").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    verified = z.ok("verify", *_verifier_args(z, BANK), "--in", "-")
    assert verified.out.startswith("accepted:")


def test_present_keeps_the_wallet_when_the_presentation_cannot_be_written(z: Party) -> None:
    _issued_wallet(z)
    _request(z)
    wallet = (z.dir / "phone.wallet").read_bytes()
    nowhere = z("present", "--wallet", z.path("phone.wallet"), "--in", z.path("request.cbor"),
                "--out", z.path("no-such-directory/presentation.cbor"))  # fmt: skip
    assert nowhere.code == EXIT_BAD_INPUT and "no writable directory" in nowhere.err
    assert (z.dir / "phone.wallet").read_bytes() == wallet
    assert _present(z).code == EXIT_OK


def test_trust_sign_refuses_a_damaged_previous_list(z: Party) -> None:
    data = bytearray((z.dir / "federation.trust-list").read_bytes())
    data[85] ^= 1  # inside the head's payload
    (z.dir / "damaged.trust-list").write_bytes(bytes(data))
    run = z("trust", "sign", "--draft", z.path("federation.draft"), "--authority",
            z.path("authority.key"), "--previous", z.path("damaged.trust-list"),
            "--out", z.path("next.trust-list"))  # fmt: skip
    assert run.code == EXIT_BAD_INPUT and "Traceback" not in run.err
    assert not (z.dir / "next.trust-list").exists()


def test_a_damaged_nonce_store_is_exit_4_naming_it(z: Party) -> None:
    # Tables of another layout: the store opens, and fails at first use.
    with sqlite3.connect(z.dir / "other.db") as db:
        db.execute("CREATE TABLE zkcheck_requests (nonce BLOB PRIMARY KEY, something BLOB)")
    run = z("request", *BANK, *trust_args(z), "--nonces", z.path("other.db"),
            "--out", z.path("r.cbor"))  # fmt: skip
    assert run.code == EXIT_BAD_INPUT and "other.db is damaged" in run.err
    assert "Traceback" not in run.err and not (z.dir / "r.cbor").exists()
    # Damaged after the request was made: verify says so, rather than refusing the
    # presentation (exit 1) as if it were at fault.
    _issued_wallet(z)
    _request(z)
    assert _present(z).code == EXIT_OK
    with sqlite3.connect(z.dir / "rp.db") as db:
        db.execute("ALTER TABLE zkcheck_requests RENAME COLUMN consumed TO spent")
    damaged = _verify(z)
    assert damaged.code == EXIT_BAD_INPUT and "rp.db is damaged" in damaged.err


def test_a_database_that_cannot_be_used_is_exit_4(
    z: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read-only or full database fails inside SQLite (root ignores file modes, so
    # the failure is raised where a command would meet it).
    def read_only(args: object) -> int:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(command_steps, "cmd_request", read_only)
    run = z("request", *_verifier_args(z, BANK), "--out", z.path("r.cbor"))
    assert run.code == EXIT_BAD_INPUT and "readonly database" in run.err


def test_exit_4_for_a_directory_that_is_not_demo_state(z: Party) -> None:
    run = z("demo", "--state", str(z.dir))
    assert run.code == EXIT_BAD_INPUT and "not a zkcheck demo state directory" in run.err


# -- inspect --------------------------------------------------------------------------


@pytest.fixture
def every_object(z: Party) -> dict[str, Path]:
    """One file of every object type the command writes."""
    _issued_wallet(z, "number", 2)
    social = ["--verifier-id", "social.example", "--require", "number", "--max-age", "604800"]
    _request(z, social)
    assert _present(z).code == EXIT_OK
    z.ok(*["verify", *_verifier_args(z, social)], "--in", z.path("presentation.cbor"),
         "--number", ADULT, "--out", z.path("result.cbor"))  # fmt: skip
    _ask(z, "age_over:18", 1)  # a wallet with a pending key, and a fresh issuance request
    # The token and credential tiers' files: the operator's token and credential keys are
    # listed together in the federation's next list.
    credential_keygen(z, publish=False)
    tokens = token_files(z)
    credentials = credential_files(z, publish=False)
    names = {
        "operator-key": "operator.key",
        "operator-keyset": "operators.keyset",
        "trust-list": "federation.trust-list",
        "trust-list-draft": "federation.draft",
        "trust-authority": "authority.pin",
        "trust-authority-key": "authority.key",
        "wallet": "phone.wallet",
        "issuance-request": "ask.cbor",
        "issuance-response": "attestations.cbor",
        "request": "request.cbor",
        "presentation": "presentation.cbor",
        "result": "result.cbor",
    }
    return {kind: z.dir / name for kind, name in names.items()} | tokens | credentials


def test_inspect_explains_every_object_type(z: Party, every_object: dict[str, Path]) -> None:
    assert set(every_object) == known_kinds()
    for kind, path in every_object.items():
        assert decode_message(path.read_bytes(), max_size=1 << 21) == kind
        text = z.ok("inspect", str(path)).out
        for part in ("to whom", "reveals", "usable until", "secret", "fields"):
            assert part in text, (kind, part)
        document = json.loads(z.ok("inspect", "--format", "json", str(path)).out)
        assert document["type"] == kind and document["size"] == path.stat().st_size
        assert document["reveals"] and document["to_whom"]
        secret_kinds = (
            "operator-key", "wallet", "token-issuer-key", "token-wallet", "trust-authority-key",
            "credential-issuer-key", "credential-wallet",
        )  # fmt: skip
        assert (document["secret"] is not None) == (kind in secret_kinds)


def test_inspect_says_what_reveals_to_whom_until_when(
    z: Party, every_object: dict[str, Path]
) -> None:
    presentation = explain(every_object["presentation"].read_bytes())
    assert presentation.audience.startswith("social.example")
    assert any("salted digest" in item for item in presentation.reveals)
    assert presentation.until is not None
    ask = explain(every_object["issuance-request"].read_bytes())
    assert any("no verifier" in item for item in ask.reveals)
    wallet = explain(every_object["wallet"].read_bytes())
    assert wallet.secret is not None and "2 private holder keys" in wallet.secret
    assert ("pending keys", "1") in wallet.fields


def test_inspect_prints_no_secret_key_material(z: Party, every_object: dict[str, Path]) -> None:
    secrets = secret_forms(OperatorKey.from_bytes(every_object["operator-key"].read_bytes())
                            .signing_key.secret.reveal())  # fmt: skip
    wallet = decode(every_object["wallet"].read_bytes(), max_size=1 << 20, tags=frozenset({18}))
    holder_secrets = [entry[0][-4] for entry in wallet[2]] + [key[-4] for key in wallet[3]]
    assert len(holder_secrets) == 2  # one attestation's key, one pending key
    for secret in holder_secrets:
        secrets |= secret_forms(secret)
    secrets |= _token_secrets(every_object)
    secrets |= credential_secrets(every_object)
    authority = Authority.from_bytes(every_object["trust-authority-key"].read_bytes())
    for key in (authority.current, authority.next):
        secrets |= secret_forms(key.secret.reveal())
    for path in every_object.values():
        for form in ("text", "json"):
            run = z.ok("inspect", "--format", form, str(path))
            assert not leaks(secrets, run.out), path.name


def _token_secrets(every_object: dict[str, Path]) -> set[str]:
    """The token tier's secrets: the operator's RSA private keys (their PKCS #8 encodings
    and private exponents), the phone's unused tokens and its blinding inverses."""
    forms: set[str] = set()
    keys = decode(every_object["token-issuer-key"].read_bytes(), max_size=1 << 20)[6]
    for _, der in keys:
        private = serialization.load_der_private_key(der, password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        forms |= secret_forms(der) | secret_forms(private.private_numbers().d.to_bytes(256, "big"))
    wallet = decode(every_object["token-wallet"].read_bytes(), max_size=1 << 20)
    assert len(wallet[2]) == 1 and len(wallet[3]) == 1  # one token kept, one asked for
    for held in wallet[2]:
        forms |= secret_forms(held[3]) | secret_forms(held[3][2:34])
    for pending in wallet[3]:
        forms |= secret_forms(pending[6])
    assert len(keys) == 4 and forms
    return forms


def test_inspect_reads_standard_input(
    z: Party, every_object: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = every_object["request"].read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert "request (verifier -> phone)" in z.ok("inspect", "-").out


def test_a_presentation_of_a_tier_not_built_is_explained_as_such(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planned = {**tiers.REGISTRY, "future": tiers.Planned("future", "a tier of a later version")}
    monkeypatch.setattr(tiers, "REGISTRY", planned)
    presentation = Presentation("future", b"\x01" * 32, b"\x02" * 354)
    explanation = explain(presentation.to_bytes())
    assert "not built" in explanation.summary and explanation.kind == "presentation"
    unknown = explain(Presentation("quantum", b"\x01" * 32, b"\x02").to_bytes())
    assert "unknown to this version" in unknown.summary


# -- the JSON form --------------------------------------------------------------------


def test_json_form_is_strict() -> None:
    data = Presentation("signed", b"\x01" * 32, b"\x02" * 40).to_bytes()
    # A length that is not a multiple of three leaves unused bits in the last character.
    assert len(data) % 3 != 0
    document = json.loads(to_json(data))
    assert from_json(to_json(data)) == data
    encoded = document["cbor"]
    assert "=" not in encoded
    assert base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)) == data
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # The last character with an unused bit set: lenient decoders read the same bytes.
    lenient = encoded[:-1] + alphabet[alphabet.index(encoded[-1]) ^ 1]
    assert base64.urlsafe_b64decode(lenient + "=" * (-len(lenient) % 4)) == data
    bad: list[Any] = [
        {**document, "extra": 1},
        {"type": "presentation"},
        {**document, "cbor": encoded + "="},
        {**document, "cbor": encoded.replace("-", "+").replace("_", "/") + "+"},
        {**document, "cbor": lenient},
        {**document, "type": "request"},
        [document],
    ]
    for each in bad:
        with pytest.raises(DecodeError):
            from_json(json.dumps(each).encode())
    # Not JSON, not UTF-8, nested deeper than the parser follows, an integer of more
    # digits than Python converts: each is a DecodeError, never the parser's own error.
    for text in (
        b"{not json",
        b'{"type": "\xff"}',
        b'{"type": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"type": "presentation", "cbor": ' + b"9" * 5000 + b"}",
    ):
        with pytest.raises(DecodeError):
            from_json(text)


# -- helpers --------------------------------------------------------------------------


def test_the_secret_check_can_fail() -> None:
    secret = b"\x07" * 32
    assert leaks(secret_forms(secret), f"leaked: {secret.hex()}")
    assert not leaks(secret_forms(secret), "nothing here")


# -- the README's walk-through --------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_commands(block_index: int = 0) -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The command", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n")[block_index + 1].split("```", 1)[0]
    lines = block.replace("\\\n", " ").splitlines()
    return [shlex.split(line.split("#", 1)[0])[1:] for line in lines if line.startswith("zkcheck")]


def test_the_readme_walk_through_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = _readme_commands()
    assert [argv[0] for argv in commands] == [
        "demo", "keygen", "trust", "trust", "trust", "keygen", "issue", "receive", "request",
        "present", "verify", "inspect",
    ]  # fmt: skip
    party = Party(tmp_path, capsys)
    runs = [party.ok(*argv) for argv in commands]
    assert runs[-2].out.startswith("accepted: sim_swap:72")
    assert runs[-1].out.startswith("presentation (phone -> verifier), signed tier")
    # Then the token tier's walk-through, on the same files.
    tokens = _readme_commands(1)
    assert [argv[0] for argv in tokens] == [
        "keygen", "trust", "trust", "request", "keygen", "issue", "receive", "present", "verify",
        "inspect",
    ]  # fmt: skip
    runs = [party.ok(*argv) for argv in tokens]
    assert runs[5].out.count("InsecureTestAttester") == 1
    assert runs[-2].out.startswith("accepted: sim_swap:72") and "(token tier)" in runs[-2].out
    assert runs[-1].out.startswith("token request (phone -> operator), token tier")
    # Then the credential tier's, two minutes later (the federation signs at most one list
    # a minute), on the same files.
    later = FixedClock(datetime.now(UTC) + timedelta(minutes=2))
    monkeypatch.setattr(command_steps, "SystemClock", lambda: later)
    monkeypatch.setattr(trust_commands, "SystemClock", lambda: later)
    credentials = _readme_commands(2)
    assert [argv[0] for argv in credentials] == [
        "keygen", "trust", "trust", "keygen", "issue", "receive", "request", "present", "verify",
        "keygen", "issue", "receive", "inspect",
    ]  # fmt: skip
    runs = [party.ok(*argv) for argv in credentials]
    verified = runs[8].out
    assert verified.startswith("accepted: age_over:18 (at least 18 years old); number")
    assert "(credential tier)" in verified and "pseudonym: " in verified
    assert runs[-1].out.startswith("credential wallet (kept on the phone), credential tier")
    # After the renewal the social network sees the same pseudonym again.
    again = [party.ok(*argv) for argv in credentials[6:9]][-1].out
    assert again.split("pseudonym: ")[1].split()[0] == verified.split("pseudonym: ")[1].split()[0]


# -- inspect never fails with a foreign exception ---------------------------------------


@functools.cache
def _objects() -> tuple[bytes, ...]:
    """One object of every type, made through the roles (no files)."""
    clock = FixedClock(START)
    key = OperatorKey.generate("operator.example")
    issuer = key.issuer(MemorySubscriberSource(demo_subscribers(START)), clock=clock)
    phone = Holder(clock=clock)
    ask = phone.request_attestations([Check.number()], 2)
    response = issuer.issue(ADULT, ask)
    phone.receive(response)
    policy = Policy("rp.example", (Check.number(),), ("operator.example",), max_age=86_400)
    verifier = Verifier(policy, private_trust([key.entry()], clock=clock), clock=clock)
    request = verifier.create_request()
    presentation = phone.present(request)
    result = verifier.verify(presentation, number=ADULT)
    authority = Authority.generate("federation.example")
    draft = TrustListDraft("federation.example").add_operator(
        key.entry(), name="Operator", countries=("ES",), networks=("214-01",), now=0
    )
    trust_list = authority.sign(draft.operators, issued_at=0)
    return (
        authority.to_bytes(),
        authority.pin().to_bytes(),
        draft.to_bytes(),
        trust_list.to_bytes(),
        *_credential_objects(),
        key.to_bytes(),
        key.keyset().to_bytes(),
        phone.export_wallet(),
        ask.to_bytes(),
        response.to_bytes(),
        request.to_bytes(),
        presentation.to_bytes(),
        result.to_bytes(),
        *_token_objects(),
    )


def _token_objects() -> tuple[bytes, ...]:
    """One object of every token-tier type, made through the roles (no files)."""
    world = make_token_world()
    bank = world.verifier((Check.sim_swap(72),), verifier_id="bank.example")
    request = bank.create_request()
    challenge = TokenChallengeHeader(bank.token_challenge_header(request))
    phone = world.holder()
    asks = phone.request_tokens(request, challenge.header)
    ask = phone.issuance_request(asks)
    response = world.issuer.issue_all(ask, world.attester.enrol(ADULT))
    with_pending = phone.wallet.export_wallet()
    phone.wallet.receive_issuance(response)
    now = epoch_seconds(world.clock.now())
    return (
        world.issuer.keys.to_bytes(),
        world.keyset().to_bytes(),
        world.issuer.keys.directories(now).to_bytes(),
        challenge.to_bytes(),
        ask.to_bytes(),
        response.to_bytes(),
        with_pending,
        phone.wallet.export_wallet(),
        phone.present(request).to_bytes(),
    )


@functools.cache
def _credential_objects() -> tuple[bytes, ...]:
    """The credential tier's objects: its issuance messages, a presentation, its key set,
    the operator's key file and a wallet with a credential and a renewal waiting."""
    world = make_credential_world()
    holder = world.holder()
    ask = holder.request_credential(CREDENTIAL_OPERATOR)
    answer = world.issuer.issue(world.attester.enrol(ALICE), ask)
    holder.receive(CREDENTIAL_OPERATOR, answer)
    shown = holder.present(world.verifier().create_request())
    holder.request_credential(CREDENTIAL_OPERATOR)
    keys = CredentialIssuerKeys(CREDENTIAL_OPERATOR, now=epoch_seconds(world.clock.now()))
    return (
        ask.to_bytes(),
        answer.to_bytes(),
        shown.to_bytes(),
        world.keyset.to_bytes(),
        keys.to_bytes(),
        holder.wallet.export_wallet(),
    )


@given(st.data())
def test_inspect_of_altered_bytes_explains_or_raises_a_zkcheck_error(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(_objects()))
    position = data.draw(st.integers(0, len(original) - 1))
    altered = bytearray(original)
    altered[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(position + 1, len(original)))
    try:
        explanation = explain(bytes(altered[:cut]))
    except ZkcheckError:
        return
    assert explanation.kind in known_kinds()


# -- the federation's trust list ------------------------------------------------------


def test_trust_commands_rotate_revoke_sign_and_show(z: Party) -> None:
    assert stat.S_IMODE((z.dir / "authority.key").stat().st_mode) == 0o600
    _issued_wallet(z)
    _request(z)
    assert _present(z).code == EXIT_OK
    # A second operator joins; the verifier, configured once, needs no change.
    z.ok("keygen", "operator", "--operator-id", "operator-b.example", "--out", z.path("b.key"),
         "--keyset", z.path("b.keyset"))  # fmt: skip
    z.ok("trust", "add-operator", "--draft", z.path("federation.draft"), "--keyset",
         z.path("b.keyset"), "--name", "Operator B", "--country", "PT")  # fmt: skip
    shown = z.ok("trust", "show", z.path("federation.draft")).out
    assert "operator-b.example" in shown and "Operator B, PT" in shown
    # The operator rotates its key: the new one is listed a week ahead, the old one overlaps.
    z.ok("keygen", "operator", "--operator-id", "operator.example", "--out", z.path("new.key"),
         "--keyset", z.path("new.keyset"))  # fmt: skip
    rotated = z.ok("trust", "rotate", "--draft", z.path("federation.draft"), "--keyset",
                   z.path("new.keyset"))  # fmt: skip
    assert "new signing keys listed from" in rotated.out
    # The operator's old key is revoked: from the next list on it verifies nothing.
    listed = TrustListDraft.from_bytes((z.dir / "federation.draft").read_bytes())
    old = next(key for key in listed.operator("operator.example").keys if key.not_before <= _now())
    z.ok("trust", "revoke", "--draft", z.path("federation.draft"), "--operator",
         "operator.example", "--key", old.key_id.hex())  # fmt: skip
    assert z("trust", "revoke", "--draft", z.path("federation.draft"), "--operator",
             "operator.example", "--key", "zz").code == EXIT_USAGE  # fmt: skip
    previous = (z.dir / "federation.trust-list").read_bytes()
    # Signed within the minute, list 2 is dated a minute after list 1; a third would have
    # to wait, since lists are numbered at most one a minute.
    z.ok("trust", "sign", "--draft", z.path("federation.draft"), "--authority",
         z.path("authority.key"), "--out", z.path("next.trust-list"), "--previous",
         z.path("federation.trust-list"))  # fmt: skip
    assert previous == (z.dir / "federation.trust-list").read_bytes()
    early = z("trust", "sign", "--draft", z.path("federation.draft"), "--authority",
              z.path("authority.key"), "--out", z.path("next.trust-list"))  # fmt: skip
    assert early.code == EXIT_USAGE and "apart" in early.err
    verified = z.ok("trust", "show", z.path("next.trust-list"), "--pin", z.path("authority.pin"))
    assert "List federation.example number 2" in verified.out
    assert "verified against the pinned authority key" in verified.out
    assert "revoked" in verified.out
    # The relying party loads list 2 (a newer list at the same place) and refuses the key.
    (z.dir / "federation.trust-list").write_bytes((z.dir / "next.trust-list").read_bytes())
    refused = _verify(z)
    assert refused.code == EXIT_REFUSED and "revoked" in refused.err
    # Offered list 1 again, the verifier keeps list 2 and says why it refused the other.
    (z.dir / "federation.trust-list").write_bytes(previous)
    _request(z)
    assert "rollback" in z.ok("request", *_verifier_args(z, BANK), "--out",
                              z.path("r2")).err  # fmt: skip
    # A list that does not verify against the pin is reported as such.
    z.ok("trust", "init", "--list-id", "federation.example", "--authority", z.path("other.key"),
         "--pin", z.path("other.pin"), "--draft", z.path("other.draft"))  # fmt: skip
    wrong = z("trust", "show", z.path("next.trust-list"), "--pin", z.path("other.pin"))
    assert wrong.code == EXIT_REFUSED and "UntrustedIssuer" in wrong.err


def test_trust_rotate_the_authority_key_and_verifiers_follow(z: Party) -> None:
    _issued_wallet(z)
    _request(z)  # the verifier now holds list 1, signed by the first key
    assert _present(z).code == EXIT_OK
    before = Authority.from_bytes((z.dir / "authority.key").read_bytes())
    rotate = ("trust", "rotate", "--authority", z.path("authority.key"))
    assert z(*rotate).code == EXIT_USAGE  # the list last signed is needed
    previous = ("--previous", z.path("federation.trust-list"))
    z.ok(*rotate, *previous)
    after = Authority.from_bytes((z.dir / "authority.key").read_bytes())
    assert after.current.public_key == before.next.public_key
    assert stat.S_IMODE((z.dir / "authority.key").stat().st_mode) == 0o600
    # A second rollover before the new key has signed a list would retire it
    # unannounced: refused, and the key file is unchanged.
    key_file = (z.dir / "authority.key").read_bytes()
    second = z(*rotate, *previous)
    assert second.code == EXIT_USAGE and "sign and publish a list" in second.err
    assert (z.dir / "authority.key").read_bytes() == key_file
    sign(z)
    # The verifier still pins the first key; it follows the announced one by itself.
    assert _verify(z).code == EXIT_OK
    assert z("trust", "rotate").code == EXIT_USAGE


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def test_inspect_explains_times_past_the_year_9999() -> None:
    far = 2**53  # the largest NumericDate the decoders admit
    request = Request(bytes(16), "rp.example", (Check.number(),), ("signed",), ("op.example",),
                      60, far, far)  # fmt: skip
    explanation = explain(request.to_bytes())
    assert ("expires", f"{far} s after 1970-01-01 00:00:00 UTC") in explanation.fields
