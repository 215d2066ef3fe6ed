"""The token tier through the command and files: keygen -> request with its challenge ->
the phone's TokenRequests -> issue (behind the insecure test attester) -> receive ->
present -> verify; every exit code the token tier can end with; inspect of its objects."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli_party import (
    ADULT,
    TOKEN_BANK,
    TOKEN_SITE,
    Party,
    leaks,
    operator_party,
    secret_forms,
    token_ask,
    token_files,
    token_issue,
    token_keygen,
    token_present,
    token_request,
    token_verify,
    trust_args,
)
from zkcheck.cli import commands
from zkcheck.cli.exits import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from zkcheck.cli.files import from_json
from zkcheck.cli.inspect import explain
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.messages import Presentation, ResultRecord
from zkcheck.encoding.token import decode_token_body
from zkcheck.encoding.token_messages import TokenChallengeHeader, TokenIssuanceRequest
from zkcheck.sources import DEMO_SUBSCRIBERS
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.trust_list import SignedTrustList, decode_operators

SWAPPED = DEMO_SUBSCRIBERS["recently_swapped"]
MINOR = DEMO_SUBSCRIBERS["minor"]


@pytest.fixture
def z(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Party:
    """A directory with the subscriber database and the operator's signed key and key set."""
    return operator_party(tmp_path, capsys)


def _receive(z: Party) -> str:
    return z.ok(
        "receive", "--wallet", z.path("phone.tokens"), "--in", z.path("token-response.cbor")
    ).out


# -- the flow ---------------------------------------------------------------------------


def test_keygen_issue_present_verify_tokens_through_files(z: Party) -> None:
    signed_keyset = OperatorKeySet.from_bytes((z.dir / "operators.keyset").read_bytes())
    made = token_keygen(z)
    # The token keys are secret; the key set keeps the signing key and gains the token keys.
    assert stat.S_IMODE((z.dir / "token-issuer.key").stat().st_mode) == 0o600
    keyset = OperatorKeySet.from_bytes((z.dir / "operators.keyset").read_bytes())
    (entry,) = keyset.operators
    assert entry.keys == signed_keyset.operators[0].keys
    assert {key.check.identifier for key in entry.token_keys} == {"sim_swap:72", "age_over:18"}
    assert len(entry.token_keys) == 4  # this epoch and the next, per check
    assert "token-issuer.key" in made.out and "directories.cbor" in made.out
    # The federation listed them in its next list, each for its epoch; the signing key
    # stays listed as it was.
    listed = SignedTrustList.from_bytes((z.dir / "federation.trust-list").read_bytes())
    (operator,) = decode_operators(listed.operators)
    tiers = sorted(key.tier or "" for key in operator.keys)
    assert tiers == ["signed", "token", "token", "token", "token"]
    assert listed.head_fields().sequence == 2

    # The bank's request, and its challenge: the bank alone, a context from this request.
    token_request(z)
    challenge = TokenChallengeHeader.from_bytes((z.dir / "request-challenge.cbor").read_bytes())
    (item,) = challenge.challenges()
    assert item.challenge.origin_info == "bank.example"
    assert item.challenge.issuer_name == "sim-swap-72.tokens.operator.example"
    assert len(item.challenge.redemption_context) == 32

    # The phone's TokenRequest names the issuer (the check), not the bank.
    asked = token_ask(z)
    assert asked.code == EXIT_OK and "1 blinded TokenRequest" in asked.out
    assert stat.S_IMODE((z.dir / "phone.tokens").stat().st_mode) == 0o600
    ask = (z.dir / "token-request.cbor").read_bytes()
    assert b"bank.example" not in ask
    assert [name for name, _ in TokenIssuanceRequest.from_bytes(ask).token_requests] == [
        "sim-swap-72.tokens.operator.example"
    ]

    # The operator signs blind, after the insecure test attester, and says so.
    issued = token_issue(z)
    assert issued.code == EXIT_OK and "InsecureTestAttester" in issued.out
    assert "1 token stored" in _receive(z)
    assert token_present(z).code == EXIT_OK
    presentation = Presentation.from_bytes((z.dir / "token-presentation.cbor").read_bytes())
    ((_, token),) = decode_token_body(presentation.body)
    assert token.challenge_digest == item.challenge.digest()

    verified = token_verify(z, TOKEN_BANK, "--out", z.path("result.json"))
    assert verified.code == EXIT_OK
    assert verified.out.startswith("accepted: sim_swap:72 (no SIM swap in the last 72 hours)")
    assert "(token tier)" in verified.out
    record = ResultRecord.from_bytes(from_json((z.dir / "result.json").read_bytes()))
    assert (record.tier, record.operator, record.verifier_id) == (
        "token",
        "operator.example",
        "bank.example",
    )
    # A token is spent once: the same file again is refused.
    again = token_verify(z)
    assert again.code == EXIT_REFUSED and "Replayed" in again.err


def test_a_phone_answers_its_own_operators_challenge_among_the_federations(z: Party) -> None:
    # A second operator issues tokens too; the federation lists it, then the first
    # operator's token keys, and signs the list.
    z.ok(
        "keygen", "operator", "--tier", "token", "--operator-id", "operator-b.example",
        "--check", "sim_swap:72", "--out", z.path("b-token.key"), "--keyset", z.path("b.keyset"),
        "--directories", z.path("b-directories.cbor"),
    )  # fmt: skip
    z.ok("trust", "add-operator", "--draft", z.path("federation.draft"), "--keyset",
         z.path("b.keyset"), "--name", "Operator B", "--country", "PT")  # fmt: skip
    token_keygen(z, "sim_swap:72")
    # The bank names no operator: one challenge per operator that issues the check's tokens.
    token_request(z)
    challenge = TokenChallengeHeader.from_bytes((z.dir / "request-challenge.cbor").read_bytes())
    names = sorted(item.challenge.issuer_name for item in challenge.challenges())
    assert names == [
        "sim-swap-72.tokens.operator-b.example",
        "sim-swap-72.tokens.operator.example",
    ]
    # The phone asks its own operator only, and the bank accepts the token.
    asked = token_ask(z, "request", "--operator", "operator.example")
    assert asked.code == EXIT_OK and "1 blinded TokenRequest" in asked.out
    requests = TokenIssuanceRequest.from_bytes((z.dir / "token-request.cbor").read_bytes())
    assert [name for name, _ in requests.token_requests] == ["sim-swap-72.tokens.operator.example"]
    assert token_issue(z).code == EXIT_OK
    _receive(z)
    assert token_present(z).code == EXIT_OK
    assert token_verify(z).code == EXIT_OK


def test_cached_age_tokens_answer_a_later_request_without_the_operator(z: Party) -> None:
    token_keygen(z)
    token_request(z, TOKEN_SITE)
    assert token_ask(z, "request", "--count", "3").code == EXIT_OK
    assert token_issue(z).code == EXIT_OK
    assert "3 tokens stored" in _receive(z)
    assert token_present(z).code == EXIT_OK
    assert token_verify(z, TOKEN_SITE).code == EXIT_OK
    # A second request of the same site: the wallet already holds a token for it.
    token_request(z, TOKEN_SITE, name="later")
    nothing = token_ask(z, "later")
    assert nothing.code == EXIT_OK and "nothing to ask" in nothing.out
    assert token_present(z, "later").code == EXIT_OK
    assert token_verify(z, TOKEN_SITE).code == EXIT_OK


def test_the_default_tiers_serve_tokens_and_leave_number_to_the_others(z: Party) -> None:
    token_keygen(z)
    bank = ["--verifier-id", "bank.example", "--require", "sim_swap:72"]
    token_request(z, bank)
    assert token_ask(z).code == EXIT_OK and token_issue(z).code == EXIT_OK
    _receive(z)
    assert token_present(z).code == EXIT_OK
    assert token_verify(z, bank).code == EXIT_OK
    # A request for number accepts every tier but tokens, and has no token challenge.
    social = ["--verifier-id", "social.example", "--require", "number"]
    run = z(
        "request", *social, *trust_args(z), "--nonces", z.path("rp.db"),
        "--out", z.path("social.cbor"), "--challenge", z.path("social-challenge.cbor"),
    )  # fmt: skip
    assert run.code == EXIT_USAGE and "no tier of this request sends a challenge" in run.err
    z.ok(
        "request", *social, *trust_args(z), "--nonces", z.path("rp.db"),
        "--out", z.path("social.cbor"),
    )  # fmt: skip
    fields = dict(explain((z.dir / "social.cbor").read_bytes()).fields)
    assert "token" not in fields["tiers"] and "signed" in fields["tiers"]


# -- exit codes ---------------------------------------------------------------------------


def test_exit_1_nothing_signed_nothing_to_show_or_refused(z: Party) -> None:
    token_keygen(z)
    token_request(z)
    assert token_ask(z).code == EXIT_OK
    # The check does not hold: the operator signs nothing, there is no "no" token.
    nothing = token_issue(z, SWAPPED)
    assert nothing.code == EXIT_REFUSED and "nothing issued" in nothing.err
    assert not (z.dir / "token-response.cbor").exists()
    # So the phone has nothing to show.
    shown = token_present(z)
    assert shown.code == EXIT_REFUSED and "nothing to show: no token" in shown.err
    assert not (z.dir / "token-presentation.cbor").exists()
    # A token made for this bank is refused by another verifier.
    assert token_issue(z).code == EXIT_OK
    _receive(z)
    assert token_present(z).code == EXIT_OK
    other = ["--verifier-id", "other-bank.example", "--require", "sim_swap:72", "--tier", "token"]
    refused = token_verify(z, other)
    assert refused.code == EXIT_REFUSED and "refused, not shown" in refused.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--check", "sim_swap:72"], "instead of --check"),
        (["--count", "0"], "positive"),
    ],
)
def test_exit_2_usage_for_the_phone(z: Party, argv: list[str], message: str) -> None:
    token_keygen(z)
    token_request(z)
    run = token_ask(z, "request", *argv)
    assert run.code == EXIT_USAGE and message in run.err
    missing = z(
        "keygen", "holder", "--tier", "token", "--wallet", z.path("phone.tokens"),
        "--in", z.path("request.cbor"), "--out", z.path("token-request.cbor"),
    )  # fmt: skip
    assert missing.code == EXIT_USAGE and "--challenge" in missing.err
    # The phone trusts the list under the key it pinned: one without the other is refused.
    unpinned = z(
        "keygen", "holder", "--tier", "token", "--wallet", z.path("phone.tokens"),
        "--in", z.path("request.cbor"), "--challenge", z.path("request-challenge.cbor"),
        "--trust-list", z.path("federation.trust-list"), "--directories",
        z.path("directories.cbor"), "--out", z.path("token-request.cbor"),
    )  # fmt: skip
    assert unpinned.code == EXIT_USAGE and "--pin" in unpinned.err
    signed = z(
        "keygen", "holder", "--wallet", z.path("phone.wallet"), "--check", "sim_swap:72",
        "--challenge", z.path("request-challenge.cbor"), "--out", z.path("ask.cbor"),
    )  # fmt: skip
    assert signed.code == EXIT_USAGE and "token tier" in signed.err
    assert not (z.dir / "token-request.cbor").exists() and not (z.dir / "ask.cbor").exists()


def test_exit_2_usage_for_the_operator_and_the_verifier(z: Party) -> None:
    base = ["keygen", "operator", "--tier", "token", "--operator-id", "operator.example"]
    out = ["--out", z.path("t.key"), "--keyset", z.path("t.keyset")]
    directories = ["--directories", z.path("d.cbor")]
    no_directories = z(*base, "--check", "age_over:18", *out)
    assert no_directories.code == EXIT_USAGE and "--directories" in no_directories.err
    only_number = z(*base, "--check", "number", *out, *directories)
    assert only_number.code == EXIT_USAGE and "never number" in only_number.err
    bad_domain = z(*base, "--check", "age_over:18", "--domain", "Tokens", *out, *directories)
    assert bad_domain.code == EXIT_USAGE and "server name" in bad_domain.err
    signed_domain = z(
        "keygen", "operator", "--operator-id", "op.example", "--domain", "tokens.op.example",
        *out,
    )  # fmt: skip
    assert signed_domain.code == EXIT_USAGE
    assert not (z.dir / "t.key").exists()
    # A verifier cannot take number, or a verifier id that is no server name, as tokens.
    token_keygen(z)
    for policy in (
        ["--verifier-id", "social.example", "--require", "number", "--tier", "token"],
        ["--verifier-id", "bank", "--require", "sim_swap:72", "--tier", "token"],
    ):
        run = z(
            "request", *policy, *trust_args(z), "--nonces", z.path("rp.db"), "--out", z.path("r"),
        )  # fmt: skip
        assert run.code == EXIT_USAGE, run.err
    assert not (z.dir / "r").exists()


def test_exit_4_bad_input(z: Party, monkeypatch: pytest.MonkeyPatch) -> None:
    token_keygen(z)
    token_request(z)
    token_request(z, name="other")
    # A challenge of another request: the phone refuses it and asks nothing.
    swapped = z(
        "keygen", "holder", "--tier", "token", "--wallet", z.path("phone.tokens"),
        "--in", z.path("request.cbor"), "--challenge", z.path("other-challenge.cbor"),
        *trust_args(z), "--directories", z.path("directories.cbor"),
        "--out", z.path("token-request.cbor"),
    )  # fmt: skip
    assert swapped.code == EXIT_BAD_INPUT and "refuses the challenge" in swapped.err
    assert not (z.dir / "token-request.cbor").exists()
    # A signed issuance request is not what a token key answers.
    z.ok("keygen", "holder", "--wallet", z.path("phone.wallet"), "--check", "sim_swap:72",
         "--out", z.path("ask.cbor"))  # fmt: skip
    wrong = z(
        "issue", "--key", z.path("token-issuer.key"), "--subscribers", z.path("subscribers.db"),
        "--msisdn", ADULT, "--in", z.path("ask.cbor"), "--out", z.path("o"),
    )  # fmt: skip
    assert wrong.code == EXIT_BAD_INPUT and "not a token-request" in wrong.err
    # Tokens for another phone's TokenRequests.
    assert token_ask(z).code == EXIT_OK and token_issue(z).code == EXIT_OK
    token_request(z, name="third")
    z.ok(
        "keygen", "holder", "--tier", "token", "--wallet", z.path("other.tokens"),
        "--in", z.path("third.cbor"), "--challenge", z.path("third-challenge.cbor"),
        *trust_args(z), "--directories", z.path("directories.cbor"),
        "--out", z.path("third-request.cbor"),
    )  # fmt: skip
    stolen = z("receive", "--wallet", z.path("other.tokens"), "--in", z.path("token-response.cbor"))
    assert stolen.code == EXIT_BAD_INPUT and "answers no TokenRequest" in stolen.err
    # Two epochs later the key file holds no key for the TokenRequest: renew, do not guess.
    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(commands, "SystemClock", lambda: FixedClock(later))
    stale = token_issue(z)
    assert stale.code == EXIT_BAD_INPUT and "--force" in stale.err


def test_a_damaged_token_response_is_refused_and_the_wallet_kept(z: Party) -> None:
    token_keygen(z)
    token_request(z)
    assert token_ask(z).code == EXIT_OK and token_issue(z).code == EXIT_OK
    response = bytearray((z.dir / "token-response.cbor").read_bytes())
    response[-1] ^= 1  # the last byte of the blind signature
    (z.dir / "damaged.cbor").write_bytes(bytes(response))
    wallet = (z.dir / "phone.tokens").read_bytes()
    refused = z("receive", "--wallet", z.path("phone.tokens"), "--in", z.path("damaged.cbor"))
    assert refused.code == EXIT_BAD_INPUT and "refuses the response" in refused.err
    assert "Traceback" not in refused.err
    assert (z.dir / "phone.tokens").read_bytes() == wallet
    assert "1 token" in _receive(z)


# -- secrets and inspect -------------------------------------------------------------------


def test_token_secrets_are_never_printed(z: Party) -> None:
    files = token_files(z)
    keys = decode(files["token-issuer-key"].read_bytes(), max_size=1 << 20)[6]
    wallet = decode(files["token-wallet"].read_bytes(), max_size=1 << 20)
    forms: set[str] = set()
    for _, der in keys:
        forms |= secret_forms(der)
    for held in wallet[2]:
        forms |= secret_forms(held[3][2:34])  # the unused token's nonce
    for pending in wallet[3]:
        forms |= secret_forms(pending[6])  # the blinding inverse
    runs = [z.ok("inspect", "--format", form, str(path)) for path in files.values()
            for form in ("text", "json")]  # fmt: skip
    runs.append(
        z.ok(
            "keygen", "operator", "--tier", "token", "--operator-id", "op2.example",
            "--check", "age_over:18", "--out", z.path("t2.key"), "--keyset", z.path("t2.keyset"),
            "--directories", z.path("d2.cbor"),
        )
    )  # fmt: skip
    for _, der in decode((z.dir / "t2.key").read_bytes(), max_size=1 << 20)[6]:
        forms |= secret_forms(der)
    for run in runs:
        assert not leaks(forms, run.out + run.err)


def test_inspect_explains_each_token_object_to_whom_and_what(z: Party) -> None:
    files = token_files(z)
    said = {kind: explain(path.read_bytes()) for kind, path in files.items()}
    assert said["token-issuer-key"].audience == "the operator alone"
    assert "4 RSA private keys" in (said["token-issuer-key"].secret or "")
    assert (
        said["token-wallet"].secret is not None and "1 bearer token" in said["token-wallet"].secret
    )
    assert ("waiting 1" in dict(said["token-wallet"].fields)) and said["token-wallet"].until
    assert any("no verifier" in item for item in said["token-request"].reveals)
    assert any("no token says 'no'" in item for item in said["token-response"].reveals)
    assert any("site.example, the only origin" in item for item in said["token-challenge"].reveals)
    assert said["token-directories"].audience.startswith("public")
    # The token presentation and the key set, explained as well.
    presentation = explain((z.dir / "token-presentation.cbor").read_bytes())
    assert presentation.title == "presentation (phone -> verifier), token tier"
    assert any("key id" in item for item in presentation.reveals)
    assert presentation.until is None and any("epoch ends" in note for note in presentation.notes)
    keyset = explain((z.dir / "operators.keyset").read_bytes())
    assert any("token key age_over:18" in value for _, value in keyset.fields)
    assert keyset.until is not None
    document = json.loads(z.ok("inspect", "--format", "json", z.path("directories.cbor")).out)
    assert document["type"] == "token-directories" and document["secret"] is None
