"""Running the zkcheck command in tests: a party in one directory, the token tier's flow
through files, and how a secret could show up in text."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zkcheck.cli.exits import EXIT_OK
from zkcheck.cli.main import main
from zkcheck.sources import DEMO_SUBSCRIBERS, SQLiteSubscriberSource, demo_subscribers

ADULT = DEMO_SUBSCRIBERS["adult"]
TOKEN_BANK = ["--verifier-id", "bank.example", "--require", "sim_swap:72", "--tier", "token"]
TOKEN_SITE = [
    "--verifier-id", "site.example", "--require", "age_over:18", "--tier", "token",
    "--max-age", str(8 * 86_400),
]  # fmt: skip


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


def operator_party(directory: Path, capsys: pytest.CaptureFixture[str]) -> Party:
    """A party in ``directory`` with a subscriber database of the demo's subscribers and
    the operator's signing key and key set (operator.key, operators.keyset)."""
    source = SQLiteSubscriberSource(directory / "subscribers.db")
    source.add_all(demo_subscribers(datetime.now(UTC)))
    source.close()
    party = Party(directory, capsys)
    party.ok(
        "keygen", "operator", "--operator-id", "operator.example",
        "--out", party.path("operator.key"), "--keyset", party.path("operators.keyset"),
    )  # fmt: skip
    return party


# -- the token tier, step by step --------------------------------------------------------


def token_keygen(z: Party, *checks: str) -> Run:
    """The operator's token keys (sim_swap:72 and age_over:18 unless ``checks``), added to
    operators.keyset, and its issuer directories."""
    options = [
        arg for check in checks or ("sim_swap:72", "age_over:18") for arg in ("--check", check)
    ]
    return z.ok(
        "keygen", "operator", "--tier", "token", "--operator-id", "operator.example", *options,
        "--out", z.path("token-issuer.key"), "--keyset", z.path("operators.keyset"),
        "--directories", z.path("directories.cbor"),
    )  # fmt: skip


def token_request(z: Party, policy: list[str] = TOKEN_BANK, name: str = "request") -> Run:
    """The verifier's request and its challenge: ``name``.cbor and ``name``-challenge.cbor."""
    return z.ok(
        "request", *policy, "--keyset", z.path("operators.keyset"), "--nonces", z.path("rp.db"),
        "--out", z.path(f"{name}.cbor"), "--challenge", z.path(f"{name}-challenge.cbor"),
    )  # fmt: skip


def token_ask(z: Party, name: str = "request", *extra: str) -> Run:
    """The phone's TokenRequests for request ``name`` (token-request.cbor)."""
    return z(
        "keygen", "holder", "--tier", "token", "--wallet", z.path("phone.tokens"),
        "--in", z.path(f"{name}.cbor"), "--challenge", z.path(f"{name}-challenge.cbor"),
        "--keyset", z.path("operators.keyset"), "--directories", z.path("directories.cbor"),
        "--out", z.path("token-request.cbor"), *extra,
    )  # fmt: skip


def token_issue(z: Party, msisdn: str = ADULT) -> Run:
    return z(
        "issue", "--key", z.path("token-issuer.key"), "--subscribers", z.path("subscribers.db"),
        "--msisdn", msisdn, "--in", z.path("token-request.cbor"),
        "--out", z.path("token-response.cbor"),
    )  # fmt: skip


def token_present(z: Party, name: str = "request") -> Run:
    return z(
        "present", "--wallet", z.path("phone.tokens"), "--in", z.path(f"{name}.cbor"),
        "--out", z.path("token-presentation.cbor"),
    )  # fmt: skip


def token_verify(z: Party, policy: list[str] = TOKEN_BANK, *extra: str) -> Run:
    return z(
        "verify", *policy, "--keyset", z.path("operators.keyset"), "--nonces", z.path("rp.db"),
        "--in", z.path("token-presentation.cbor"), *extra,
    )  # fmt: skip


def token_files(z: Party) -> dict[str, Path]:
    """One file of every token-tier object type, made through the command: two age tokens
    fetched for a site, one shown and verified and one kept; then a bank's request asked
    for and left unanswered, so the wallet also holds a TokenRequest in progress."""
    token_keygen(z)
    token_request(z, TOKEN_SITE)
    assert token_ask(z, "request", "--count", "2").code == EXIT_OK
    assert token_issue(z).code == EXIT_OK
    z.ok("receive", "--wallet", z.path("phone.tokens"), "--in", z.path("token-response.cbor"))
    assert token_present(z).code == EXIT_OK
    token_verify(z, TOKEN_SITE)
    token_request(z, name="bank")
    assert token_ask(z, "bank").code == EXIT_OK
    names = {
        "token-issuer-key": "token-issuer.key",
        "token-wallet": "phone.tokens",
        "token-request": "token-request.cbor",
        "token-response": "token-response.cbor",
        "token-challenge": "request-challenge.cbor",
        "token-directories": "directories.cbor",
    }
    return {kind: z.dir / name for kind, name in names.items()}


# -- secrets in text ---------------------------------------------------------------------


def secret_forms(secret: bytes) -> set[str]:
    """How a secret could appear in text: hex (either case), base64, base64url."""
    return {
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode().rstrip("="),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
    }


def leaks(forms: set[str], text: str) -> bool:
    return any(form in text for form in forms)
