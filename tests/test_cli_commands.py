"""The commands for real use, through files: keygen -> issue -> receive -> request -> present
-> verify, every documented exit code, and inspect on every object type without secrets."""

from __future__ import annotations

import base64
import functools
import io
import json
import shlex
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.attest_world import START
from zkcheck.claims import Check
from zkcheck.cli.exits import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from zkcheck.cli.files import from_json, to_json
from zkcheck.cli.inspect import explain, known_kinds
from zkcheck.cli.main import main
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.messages import Presentation, ResultRecord, decode_message
from zkcheck.errors import DecodeError, ZkcheckError
from zkcheck.roles import Holder, OperatorKey, Policy, Verifier
from zkcheck.sources import (
    DEMO_SUBSCRIBERS,
    MemorySubscriberSource,
    SQLiteSubscriberSource,
    demo_subscribers,
)
from zkcheck.trust.clock import FixedClock

ADULT = DEMO_SUBSCRIBERS["adult"]
SWAPPED = DEMO_SUBSCRIBERS["recently_swapped"]
BANK = ["--verifier-id", "bank.example", "--require", "sim_swap:72"]


@dataclass
class Run:
    code: int
    out: str
    err: str


class Party:
    """Runs the command in-process, in one directory, capturing its output."""

    def __init__(self, directory: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.dir = directory
        self._capsys = capsys

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def __call__(self, *argv: str) -> Run:
        self._capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own usage errors and --help
            code = int(exc.code or 0)
        captured = self._capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def ok(self, *argv: str) -> Run:
        run = self(*argv)
        assert run.code == EXIT_OK, run.err
        return run


@pytest.fixture
def z(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Party]:
    source = SQLiteSubscriberSource(tmp_path / "subscribers.db")
    source.add_all(demo_subscribers(datetime.now(UTC)))
    source.close()
    party = Party(tmp_path, capsys)
    party.ok(
        "keygen", "operator", "--operator-id", "operator.example",
        "--out", party.path("operator.key"), "--keyset", party.path("operators.keyset"),
    )  # fmt: skip
    yield party


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
    return [*policy, "--keyset", z.path("operators.keyset"), "--nonces", z.path("rp.db")]


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
        assert not _leaks(_secret_forms(secret), run.out + run.err)


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
    extra = ["--keyset", z.path("operators.keyset"), "--nonces", z.path("rp.db")]
    run = z(*argv, *extra, *([] if argv[0] == "verify" else ["--out", z.path("r")]))
    assert run.code == EXIT_USAGE, run.err
    assert message in run.err
    assert not (z.dir / "r").exists()


def test_exit_2_usage_for_a_bad_msisdn_and_a_missing_option(z: Party) -> None:
    _ask(z)
    assert _issue(z, "0034600000001").code == EXIT_USAGE
    assert z("issue", "--key", z.path("operator.key")).code == EXIT_USAGE
    assert z("keygen").code == EXIT_USAGE


def test_exit_3_unavailable_for_a_tier_not_built(z: Party) -> None:
    args = ["--verifier-id", "b.example", "--require", "age_over:18", "--tier", "credential"]
    run = z("request", *_verifier_args(z, args), "--out", z.path("r"))
    assert run.code == EXIT_UNAVAILABLE and "credential tier" in run.err
    assert z("demo", "--tier", "token", "--state", z.path("state")).code == EXIT_UNAVAILABLE


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
    # A key set that is not one.
    broken = z("request", *BANK, "--keyset", z.path("request.cbor"), "--nonces", z.path("n"),
               "--out", z.path("r"))  # fmt: skip
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
    names = {
        "operator-key": "operator.key",
        "operator-keyset": "operators.keyset",
        "wallet": "phone.wallet",
        "issuance-request": "ask.cbor",
        "issuance-response": "attestations.cbor",
        "request": "request.cbor",
        "presentation": "presentation.cbor",
        "result": "result.cbor",
    }
    return {kind: z.dir / name for kind, name in names.items()}


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
        assert (document["secret"] is not None) == (kind in ("operator-key", "wallet"))


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
    secrets = _secret_forms(OperatorKey.from_bytes(every_object["operator-key"].read_bytes())
                            .signing_key.secret.reveal())  # fmt: skip
    wallet = decode(every_object["wallet"].read_bytes(), max_size=1 << 20, tags=frozenset({18}))
    holder_secrets = [entry[0][-4] for entry in wallet[2]] + [key[-4] for key in wallet[3]]
    assert len(holder_secrets) == 2  # one attestation's key, one pending key
    for secret in holder_secrets:
        secrets |= _secret_forms(secret)
    for path in every_object.values():
        for form in ("text", "json"):
            run = z.ok("inspect", "--format", form, str(path))
            assert not _leaks(secrets, run.out), path.name


def test_inspect_reads_standard_input(
    z: Party, every_object: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = every_object["request"].read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert "request (verifier -> phone)" in z.ok("inspect", "-").out


def test_a_presentation_of_a_tier_not_built_is_explained_as_such() -> None:
    presentation = Presentation("token", b"\x01" * 32, b"\x02" * 354)
    explanation = explain(presentation.to_bytes())
    assert "not built" in explanation.summary and explanation.kind == "presentation"


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
    with pytest.raises(DecodeError):
        from_json(b"{not json")


# -- helpers --------------------------------------------------------------------------


def _secret_forms(secret: bytes) -> set[str]:
    """How a secret could appear in text: hex (either case), base64, base64url."""
    return {
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode().rstrip("="),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
    }


def _leaks(forms: set[str], text: str) -> bool:
    return any(form in text for form in forms)


def test_the_secret_check_can_fail() -> None:
    secret = b"\x07" * 32
    assert _leaks(_secret_forms(secret), f"leaked: {secret.hex()}")
    assert not _leaks(_secret_forms(secret), "nothing here")


# -- the README's walk-through --------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("## The command", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = block.replace("\\\n", " ").splitlines()
    return [shlex.split(line.split("#", 1)[0])[1:] for line in lines if line.startswith("zkcheck")]


def test_the_readme_walk_through_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = _readme_commands()
    assert [argv[0] for argv in commands] == [
        "demo", "keygen", "keygen", "issue", "receive", "request", "present", "verify", "inspect",
    ]  # fmt: skip
    party = Party(tmp_path, capsys)
    runs = [party.ok(*argv) for argv in commands]
    assert runs[-2].out.startswith("accepted: sim_swap:72")
    assert runs[-1].out.startswith("presentation (phone -> verifier), signed tier")


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
    verifier = Verifier(policy, key.keyset(), clock=clock)
    request = verifier.create_request()
    presentation = phone.present(request)
    result = verifier.verify(presentation, number=ADULT)
    return (
        key.to_bytes(),
        key.keyset().to_bytes(),
        phone.export_wallet(),
        ask.to_bytes(),
        response.to_bytes(),
        request.to_bytes(),
        presentation.to_bytes(),
        result.to_bytes(),
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
