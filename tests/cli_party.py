"""Running the zkcheck command in tests: a party in one directory (an operator listed by a
federation), the token and credential tiers' flows through files, and how a secret could
show up in text."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zkcheck.cli.exits import EXIT_OK
from zkcheck.cli.main import main
from zkcheck.encoding.cbor import decode
from zkcheck.sources import DEMO_SUBSCRIBERS, SQLiteSubscriberSource, demo_subscribers

ADULT = DEMO_SUBSCRIBERS["adult"]
TOKEN_BANK = ["--verifier-id", "bank.example", "--require", "sim_swap:72", "--tier", "token"]
TOKEN_SITE = [
    "--verifier-id", "site.example", "--require", "age_over:18", "--tier", "token",
    "--max-age", str(8 * 86_400),
]  # fmt: skip
CREDENTIAL_MAX_AGE = str(21 * 86_400)
"""A verifier learns a credential's issue time to the week: three weeks cover its life."""
CREDENTIAL_SITE = [
    "--verifier-id", "site.example", "--require", "age_over:18", "--require", "number",
    "--tier", "credential", "--max-age", CREDENTIAL_MAX_AGE,
]  # fmt: skip
CREDENTIAL_SOCIAL = [
    "--verifier-id", "social.example", "--require", "number", "--tier", "credential",
    "--pseudonym", "--max-age", CREDENTIAL_MAX_AGE,
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
    """A party in ``directory`` with a subscriber database of the demo's subscribers, the
    operator's signing key and key set (operator.key, operators.keyset), and a federation
    that lists the operator: its authority key, the key verifiers and phones pin, its
    draft and its first signed list (authority.key, authority.pin, federation.draft,
    federation.trust-list)."""
    source = SQLiteSubscriberSource(directory / "subscribers.db")
    source.add_all(demo_subscribers(datetime.now(UTC)))
    source.close()
    party = Party(directory, capsys)
    party.ok(
        "keygen", "operator", "--operator-id", "operator.example",
        "--out", party.path("operator.key"), "--keyset", party.path("operators.keyset"),
    )  # fmt: skip
    party.ok(
        "trust", "init", "--list-id", "federation.example", "--authority",
        party.path("authority.key"), "--pin", party.path("authority.pin"),
        "--draft", party.path("federation.draft"),
    )  # fmt: skip
    party.ok(
        "trust", "add-operator", "--draft", party.path("federation.draft"),
        "--keyset", party.path("operators.keyset"), "--name", "Operator", "--country", "ES",
        "--network", "214-01",
    )  # fmt: skip
    sign(party)
    return party


def sign(z: Party, *extra: str) -> Run:
    """The federation signs its draft as the next list, federation.trust-list."""
    return z.ok(
        "trust", "sign", "--draft", z.path("federation.draft"), "--authority",
        z.path("authority.key"), "--out", z.path("federation.trust-list"), *extra,
    )  # fmt: skip


def trust_args(z: Party) -> list[str]:
    """What a verifier or phone is given to trust the federation: its list and the pin."""
    return ["--trust-list", z.path("federation.trust-list"), "--pin", z.path("authority.pin")]


# -- the token tier, step by step --------------------------------------------------------


def token_keygen(z: Party, *checks: str) -> Run:
    """The operator's token keys (sim_swap:72 and age_over:18 unless ``checks``), added to
    operators.keyset, and its issuer directories; the federation lists the new keys in
    its next list."""
    options = [
        arg for check in checks or ("sim_swap:72", "age_over:18") for arg in ("--check", check)
    ]
    run = z.ok(
        "keygen", "operator", "--tier", "token", "--operator-id", "operator.example", *options,
        "--out", z.path("token-issuer.key"), "--keyset", z.path("operators.keyset"),
        "--directories", z.path("directories.cbor"),
    )  # fmt: skip
    z.ok("trust", "rotate", "--draft", z.path("federation.draft"), "--keyset",
         z.path("operators.keyset"))  # fmt: skip
    sign(z)
    return run


def token_request(z: Party, policy: list[str] = TOKEN_BANK, name: str = "request") -> Run:
    """The verifier's request and its challenge: ``name``.cbor and ``name``-challenge.cbor."""
    return z.ok(
        "request", *policy, *trust_args(z), "--nonces", z.path("rp.db"),
        "--out", z.path(f"{name}.cbor"), "--challenge", z.path(f"{name}-challenge.cbor"),
    )  # fmt: skip


def token_ask(z: Party, name: str = "request", *extra: str) -> Run:
    """The phone's TokenRequests for request ``name`` (token-request.cbor)."""
    return z(
        "keygen", "holder", "--tier", "token", "--wallet", z.path("phone.tokens"),
        "--in", z.path(f"{name}.cbor"), "--challenge", z.path(f"{name}-challenge.cbor"),
        *trust_args(z), "--directories", z.path("directories.cbor"),
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
        "verify", *policy, *trust_args(z), "--nonces", z.path("rp.db"),
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


# -- the credential tier, step by step ---------------------------------------------------


def credential_keygen(z: Party, *, publish: bool = True, force: bool = False) -> Run:
    """The operator's credential keys (credential-issuer.key), added to operators.keyset;
    with ``publish``, the federation lists them in its next list."""
    run = z.ok(
        "keygen", "operator", "--tier", "credential", "--operator-id", "operator.example",
        "--out", z.path("credential-issuer.key"), "--keyset", z.path("operators.keyset"),
        *(["--force"] if force else []),
    )  # fmt: skip
    if publish:
        z.ok("trust", "rotate", "--draft", z.path("federation.draft"), "--keyset",
             z.path("operators.keyset"))  # fmt: skip
        sign(z)
    return run


def credential_ask(z: Party, *extra: str, wallet: str = "phone.credentials") -> Run:
    """The phone's credential request to operator.example (credential-request.cbor)."""
    return z(
        "keygen", "holder", "--tier", "credential", "--wallet", z.path(wallet),
        "--operator", "operator.example", *trust_args(z),
        "--out", z.path("credential-request.cbor"), *extra,
    )  # fmt: skip


def credential_issue(z: Party, msisdn: str = ADULT) -> Run:
    return z(
        "issue", "--key", z.path("credential-issuer.key"), "--subscribers",
        z.path("subscribers.db"), "--msisdn", msisdn, "--in", z.path("credential-request.cbor"),
        "--out", z.path("credential-response.cbor"),
    )  # fmt: skip


def credential_receive(z: Party, wallet: str = "phone.credentials") -> Run:
    return z(
        "receive", "--wallet", z.path(wallet), "--in", z.path("credential-response.cbor"),
        *trust_args(z),
    )  # fmt: skip


def credential_request(z: Party, policy: list[str] = CREDENTIAL_SITE) -> Run:
    return z.ok(
        "request", *policy, *trust_args(z), "--nonces", z.path("rp.db"),
        "--out", z.path("credential-ask.cbor"),
    )  # fmt: skip


def credential_present(z: Party, *extra: str, wallet: str = "phone.credentials") -> Run:
    return z(
        "present", "--wallet", z.path(wallet), "--in", z.path("credential-ask.cbor"),
        *trust_args(z), "--out", z.path("credential-presentation.cbor"), *extra,
    )  # fmt: skip


def credential_verify(z: Party, policy: list[str] = CREDENTIAL_SITE, *extra: str) -> Run:
    return z(
        "verify", *policy, *trust_args(z), "--nonces", z.path("rp.db"),
        "--in", z.path("credential-presentation.cbor"), "--number", ADULT, *extra,
    )  # fmt: skip


def credential_files(z: Party, *, publish: bool = True) -> dict[str, Path]:
    """One file of every credential-tier object type, made through the command: a
    credential issued, received and shown, then a renewal asked for and left waiting, so
    that the wallet holds a credential and a request in progress. Without ``publish`` the
    operator's keys are expected on the list already (:func:`credential_keygen`)."""
    if publish:
        credential_keygen(z)
    assert credential_ask(z).code == EXIT_OK
    assert credential_issue(z).code == EXIT_OK
    assert credential_receive(z).code == EXIT_OK
    credential_request(z)
    assert credential_present(z).code == EXIT_OK
    assert credential_verify(z).code == EXIT_OK
    assert credential_ask(z, "--renew").code == EXIT_OK
    names = {
        "credential-issuer-key": "credential-issuer.key",
        "credential-wallet": "phone.credentials",
        "credential-request": "credential-request.cbor",
        "credential-response": "credential-response.cbor",
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


def credential_secrets(files: dict[str, Path]) -> set[str]:
    """The operator's BBS secret keys, and the wallet's holder secret and every credential's
    and waiting request's blind, nym secret, prover part and entropy, as the files hold them
    now."""
    forms: set[str] = set()
    keys = decode(files["credential-issuer-key"].read_bytes(), max_size=1 << 20)
    for _, secret_key in keys[5]:
        forms |= secret_forms(secret_key)
    wallet = decode(files["credential-wallet"].read_bytes(), max_size=1 << 20)
    forms |= secret_forms(wallet[2])
    for held in wallet[3]:
        forms |= secret_forms(held[6]) | secret_forms(held[7]) | secret_forms(held[8])
    for waiting in wallet[4]:
        forms |= secret_forms(waiting[3]) | secret_forms(waiting[4]) | secret_forms(waiting[5])
    return forms
