"""The credential tier through the command and files: keygen -> the phone's credential
request -> issue (behind the insecure test attester) -> receive -> request -> present ->
verify, with predicate checks and the number; a renewal that keeps the pseudonym, also
across an epoch and the operator's key renewal; every exit code the tier can end with;
inspect of its objects, and no secret printed."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli_party import (
    ADULT,
    CREDENTIAL_MAX_AGE,
    CREDENTIAL_SITE,
    CREDENTIAL_SOCIAL,
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
    trust_args,
)
from zkcheck.cli import commands, trust_commands
from zkcheck.cli.exits import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from zkcheck.cli.files import from_json
from zkcheck.cli.inspect import explain
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.credential import CredentialEvidence, CredentialRequest
from zkcheck.encoding.messages import Presentation, Request, ResultRecord
from zkcheck.roles import CredentialIssuerKeys, CredentialWallet
from zkcheck.sources import DEMO_SUBSCRIBERS
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.credential_keys import CREDENTIAL_LIFETIME
from zkcheck.trust.federation import TrustListDraft
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.trust_list import SignedTrustList, decode_operators

MINOR = DEMO_SUBSCRIBERS["minor"]
OTHER_SOCIAL = [
    "--verifier-id", "other-social.example", "--require", "number", "--tier", "credential",
    "--pseudonym", "--max-age", CREDENTIAL_MAX_AGE,
]  # fmt: skip


@pytest.fixture
def z(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Party:
    """A directory with the subscriber database, the operator's signed key and key set, and
    the federation's list naming the operator."""
    return operator_party(tmp_path, capsys)


def _issued(z: Party, msisdn: str = ADULT, wallet: str = "phone.credentials") -> None:
    """A credential of ``msisdn`` in ``wallet``, asked, issued and stored through files."""
    assert credential_ask(z, wallet=wallet).code == EXIT_OK
    assert credential_issue(z, msisdn).code == EXIT_OK
    assert credential_receive(z, wallet).code == EXIT_OK


def _pseudonym(run: Run) -> str:
    """The pseudonym ``verify`` printed."""
    assert run.code == EXIT_OK, run.err
    (line,) = [line for line in run.out.splitlines() if line.startswith("pseudonym: ")]
    return line.split()[1]


def _sign_up(z: Party, policy: list[str], origin: str) -> Run:
    """A sign-up at the verifier of ``policy``, the phone's application having authenticated
    ``origin``: the request, the presentation and its verification."""
    credential_request(z, policy)
    assert credential_present(z, "--origin", origin).code == EXIT_OK
    return credential_verify(z, policy)


# -- the flow -----------------------------------------------------------------------------


def test_keygen_issue_receive_present_verify_credentials_through_files(z: Party) -> None:
    signed = OperatorKeySet.from_bytes((z.dir / "operators.keyset").read_bytes()).operators[0]
    made = credential_keygen(z)
    assert "credential-issuer.key (secret, mode 0600)" in made.out
    assert stat.S_IMODE((z.dir / "credential-issuer.key").stat().st_mode) == 0o600
    # The key set keeps the operator's signing key and gains its BBS keys, this epoch's and
    # the next's; the federation listed them in its next list.
    (entry,) = OperatorKeySet.from_bytes((z.dir / "operators.keyset").read_bytes()).operators
    assert entry.keys == signed.keys and entry.menu == signed.menu
    keys = CredentialIssuerKeys.from_bytes((z.dir / "credential-issuer.key").read_bytes())
    assert entry.credential_keys == keys.credential_keys() and len(entry.credential_keys) == 2
    listed = SignedTrustList.from_bytes((z.dir / "federation.trust-list").read_bytes())
    (operator,) = decode_operators(listed.operators)
    assert sorted(key.tier or "" for key in operator.keys) == ["credential", "credential", "signed"]

    # The phone's request: a commitment, naming no verifier and no check.
    asked = credential_ask(z)
    assert asked.code == EXIT_OK and "commitment" in asked.out
    assert stat.S_IMODE((z.dir / "phone.credentials").stat().st_mode) == 0o600
    request = CredentialRequest.from_bytes((z.dir / "credential-request.cbor").read_bytes())
    assert request.carry_over is None
    # The operator blind-signs behind the insecure test attester, and says so.
    issued = credential_issue(z)
    assert issued.code == EXIT_OK and issued.out.count("InsecureTestAttester") == 1
    assert "1 credential stored in" in credential_receive(z).out

    # An age-gated site asks age_over:18 (a predicate proof) and number (the typed number).
    credential_request(z, CREDENTIAL_SITE)
    assert credential_present(z).code == EXIT_OK
    shown = (z.dir / "credential-presentation.cbor").read_bytes()
    presentation = Presentation.from_bytes(shown)
    evidence = CredentialEvidence.from_bytes(presentation.body)
    assert presentation.tier == "credential" and evidence.predicate_proof
    assert evidence.pseudonym is None and ADULT.encode() not in shown
    verified = credential_verify(z, CREDENTIAL_SITE, "--out", z.path("result.json"))
    assert verified.code == EXIT_OK, verified.err
    assert verified.out.startswith(
        "accepted: age_over:18 (at least 18 years old); number (the device's number is the "
        "number typed); attested by operator.example (credential tier)"
    )
    assert "pseudonym" not in verified.out
    record = ResultRecord.from_bytes(from_json((z.dir / "result.json").read_bytes()))
    assert (record.tier, record.operator, record.verifier_id) == (
        "credential",
        "operator.example",
        "site.example",
    )
    assert [check.identifier for check in record.checks] == ["age_over:18", "number"]
    # A presentation answers its request once; the credential answers the next request.
    assert credential_verify(z).code == EXIT_REFUSED
    credential_request(z, CREDENTIAL_SITE)
    assert credential_present(z).code == EXIT_OK
    again = (z.dir / "credential-presentation.cbor").read_bytes()
    assert CredentialEvidence.from_bytes(Presentation.from_bytes(again).body).bbs_proof not in shown
    mistyped = credential_verify(z, CREDENTIAL_SITE, "--number", "+34600000010")
    assert mistyped.code == EXIT_REFUSED and "not shown" in mistyped.err


def test_an_operator_of_credentials_alone_joins_the_list(z: Party) -> None:
    made = z.ok(
        "keygen", "operator", "--tier", "credential", "--operator-id", "operator-b.example",
        "--check", "age_over:18", "--out", z.path("b.key"), "--keyset", z.path("b.keyset"),
    )  # fmt: skip
    assert "operator-b.example (credential tier)" in made.out
    (entry,) = OperatorKeySet.from_bytes((z.dir / "b.keyset").read_bytes()).operators
    assert entry.keys == () and entry.menu.identifiers() == ("age_over:18",)
    added = z.ok("trust", "add-operator", "--draft", z.path("federation.draft"), "--keyset",
                 z.path("b.keyset"), "--name", "Operator B", "--country", "PT")  # fmt: skip
    assert "0 signing keys, 0 token keys and 2 credential keys" in added.out
    # Listed from their epochs' start until the credentials they sign have expired.
    listed = TrustListDraft.from_bytes((z.dir / "federation.draft").read_bytes())
    windows = {
        (key.not_before, key.not_after) for key in listed.operator("operator-b.example").keys
    }
    assert windows == {
        (key.not_before, key.not_after + CREDENTIAL_LIFETIME) for key in entry.credential_keys
    }


def test_a_subscriber_under_18_has_nothing_to_show_and_no_no_is_sent(z: Party) -> None:
    credential_keygen(z)
    _issued(z, MINOR, wallet="minor.credentials")
    credential_request(z, CREDENTIAL_SITE)
    shown = credential_present(z, wallet="minor.credentials")
    assert shown.code == EXIT_REFUSED and "nothing to show: no credential" in shown.err
    assert not (z.dir / "credential-presentation.cbor").exists()
    # The same credential shows the number alone, which is true of it.
    number = ["--verifier-id", "site.example", "--require", "number", "--tier", "credential",
              "--max-age", CREDENTIAL_MAX_AGE]  # fmt: skip
    credential_request(z, number)
    assert credential_present(z, wallet="minor.credentials").code == EXIT_OK
    verified = z(
        "verify", *number, *trust_args(z), "--nonces", z.path("rp.db"),
        "--in", z.path("credential-presentation.cbor"), "--number", MINOR,
    )  # fmt: skip
    assert verified.code == EXIT_OK and verified.out.startswith("accepted: number")


def test_a_renewal_through_files_keeps_the_pseudonym(z: Party) -> None:
    credential_keygen(z)
    _issued(z)
    first = _pseudonym(_sign_up(z, CREDENTIAL_SOCIAL, "social.example"))
    assert len(bytes.fromhex(first)) == 48
    assert _pseudonym(_sign_up(z, CREDENTIAL_SOCIAL, "social.example")) == first
    # The renewal carries the pseudonym secret over; the operator reads its record of the
    # subscriber from the subscriber database, and its keys from the key file.
    assert credential_ask(z, "--renew").code == EXIT_OK
    renewal = CredentialRequest.from_bytes((z.dir / "credential-request.cbor").read_bytes())
    assert renewal.carry_over is not None
    assert credential_issue(z).code == EXIT_OK and credential_receive(z).code == EXIT_OK
    assert _pseudonym(_sign_up(z, CREDENTIAL_SOCIAL, "social.example")) == first
    # Another network sees another pseudonym of the same phone.
    elsewhere = _pseudonym(_sign_up(z, OTHER_SOCIAL, "other-social.example"))
    assert elsewhere != first
    # A phone whose application authenticated another site shows that site's pseudonym,
    # which the social network cannot verify as its own.
    credential_request(z, CREDENTIAL_SOCIAL)
    assert credential_present(z, "--origin", "other-social.example").code == EXIT_OK
    assert credential_verify(z, CREDENTIAL_SOCIAL).code == EXIT_REFUSED


def test_a_renewal_after_the_epoch_and_the_key_renewal_keeps_the_pseudonym(
    z: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential_keygen(z)
    _issued(z)
    first = _pseudonym(_sign_up(z, CREDENTIAL_SOCIAL, "social.example"))
    before = CredentialIssuerKeys.from_bytes((z.dir / "credential-issuer.key").read_bytes())
    # Two months on: the credential has expired and both its keys' epochs have ended. The
    # operator renews its key file (every key it made stays known), the federation lists the
    # new keys; the phone renews from its expired credential.
    clock = FixedClock(datetime.now(UTC) + timedelta(days=60))
    monkeypatch.setattr(commands, "SystemClock", lambda: clock)
    monkeypatch.setattr(trust_commands, "SystemClock", lambda: clock)
    stale = credential_issue(z)
    assert stale.code == EXIT_BAD_INPUT and "--force" in stale.err
    renewed = credential_keygen(z, force=True)
    assert "credential-issuer.key" in renewed.out
    after = CredentialIssuerKeys.from_bytes((z.dir / "credential-issuer.key").read_bytes())
    earlier = {key.key_id for key in after.earlier_keys()}
    assert {key.key_id for key in before.credential_keys()} & earlier
    assert all(after.made(key.key_id) == key for key in before.credential_keys())
    assert credential_ask(z, "--renew").code == EXIT_OK
    assert credential_issue(z).code == EXIT_OK and credential_receive(z).code == EXIT_OK
    wallet = CredentialWallet.import_wallet((z.dir / "phone.credentials").read_bytes())
    (held,) = wallet.held()  # the expired credential is forgotten once renewed
    assert held.key_id in {key.key_id for key in after.credential_keys()}
    assert _pseudonym(_sign_up(z, CREDENTIAL_SOCIAL, "social.example")) == first


# -- exit codes ---------------------------------------------------------------------------


def test_exit_1_nothing_issued_or_nothing_to_show(z: Party) -> None:
    credential_keygen(z)
    _issued(z)
    (z.dir / "credential-response.cbor").unlink()
    # A second phone of the same subscriber would start a second pseudonym secret.
    assert credential_ask(z, wallet="second.credentials").code == EXIT_OK
    second = credential_issue(z)
    assert second.code == EXIT_REFUSED and "nothing issued" in second.err
    assert "carrying its pseudonym secret over" in second.err
    # A subscriber the operator does not know.
    unknown = credential_issue(z, "+34699999999")
    assert unknown.code == EXIT_REFUSED and "not known" in unknown.err
    assert not (z.dir / "credential-response.cbor").exists()
    # A request that does not accept the credential tier, or asks a live fact.
    for policy in (
        ["--verifier-id", "bank.example", "--require", "sim_swap:72", "--tier", "signed"],
        ["--verifier-id", "bank.example", "--require", "reachable", "--tier", "credential"],
    ):
        credential_request(z, policy)
        shown = credential_present(z)
        assert shown.code == EXIT_REFUSED and "nothing to show" in shown.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--check", "age_over:18"], "no --check"),
        (["--count", "2"], "no --check or --count"),
        (["--renew"], "no credential of operator.example to renew"),
    ],
)
def test_exit_2_usage_for_the_phones_request(z: Party, extra: list[str], message: str) -> None:
    credential_keygen(z)
    run = credential_ask(z, *extra)
    assert run.code == EXIT_USAGE and message in run.err
    assert not (z.dir / "credential-request.cbor").exists()


def test_exit_2_usage(z: Party) -> None:
    credential_keygen(z)
    base = ["keygen", "holder", "--tier", "credential", "--wallet", z.path("w"),
            "--out", z.path("r")]  # fmt: skip
    no_operator = z(*base, *trust_args(z))
    assert no_operator.code == EXIT_USAGE and "--operator" in no_operator.err
    no_list = z(*base, "--operator", "operator.example")
    assert no_list.code == EXIT_USAGE and "--trust-list" in no_list.err
    unlisted = z(*base, "--operator", "unknown.example", *trust_args(z))
    assert unlisted.code == EXIT_USAGE and "not an operator in good standing" in unlisted.err
    assert not (z.dir / "w").exists() and not (z.dir / "r").exists()
    _issued(z)
    held = credential_ask(z)
    assert held.code == EXIT_USAGE and "--renew" in held.err
    domain = z(
        "keygen", "operator", "--tier", "credential", "--operator-id", "operator.example",
        "--domain", "tokens.operator.example", "--out", z.path("k"), "--keyset", z.path("ks"),
    )  # fmt: skip
    assert domain.code == EXIT_USAGE and not (z.dir / "k").exists()
    # The phone's steps need the trust list, and a pseudonym needs the authenticated origin.
    no_trust = z("receive", "--wallet", z.path("phone.credentials"), "--in",
                 z.path("credential-response.cbor"))  # fmt: skip
    assert no_trust.code == EXIT_USAGE and "--trust-list" in no_trust.err
    credential_request(z, CREDENTIAL_SOCIAL)
    token_input = credential_ask(z, "--renew", "--in", z.path("credential-ask.cbor"))
    assert token_input.code == EXIT_USAGE and "token tier" in token_input.err
    no_origin = credential_present(z)
    assert no_origin.code == EXIT_USAGE and "--origin" in no_origin.err
    bad_origin = credential_present(z, "--origin", "not an identity")
    assert bad_origin.code == EXIT_USAGE and "--origin" in bad_origin.err
    unpinned = z("present", "--wallet", z.path("phone.credentials"), "--in",
                 z.path("credential-ask.cbor"), "--trust-list", z.path("federation.trust-list"),
                 "--out", z.path("p"))  # fmt: skip
    assert unpinned.code == EXIT_USAGE and "--pin" in unpinned.err
    assert not (z.dir / "credential-presentation.cbor").exists() and not (z.dir / "p").exists()
    # Only the credential tier gives pseudonyms; without --tier, a pseudonym policy is its.
    signed = z("request", "--verifier-id", "social.example", "--require", "number", "--tier",
               "signed", "--pseudonym", *trust_args(z), "--nonces", z.path("rp.db"),
               "--out", z.path("q"))  # fmt: skip
    assert signed.code == EXIT_USAGE and not (z.dir / "q").exists()
    z.ok("request", "--verifier-id", "social.example", "--require", "number", "--pseudonym",
         *trust_args(z), "--nonces", z.path("rp.db"), "--out", z.path("q"))  # fmt: skip
    request = Request.from_bytes((z.dir / "q").read_bytes())
    assert request.tiers == ("credential",) and request.pseudonym


def test_exit_4_bad_input(z: Party, monkeypatch: pytest.MonkeyPatch) -> None:
    credential_keygen(z)
    assert credential_ask(z).code == EXIT_OK
    # A request whose commitment proof was changed: nothing is signed.
    data = (z.dir / "credential-request.cbor").read_bytes()
    fields = decode(data)
    fields[3] = fields[3][:100] + bytes([fields[3][100] ^ 1]) + fields[3][101:]
    (z.dir / "credential-request.cbor").write_bytes(encode(fields))
    forged = credential_issue(z)
    assert forged.code == EXIT_BAD_INPUT and "does not verify" in forged.err
    (z.dir / "credential-request.cbor").write_bytes(data)
    # The response reaches a phone that did not ask: it stores nothing.
    assert credential_issue(z).code == EXIT_OK
    z.ok(
        "keygen", "holder", "--tier", "credential", "--wallet", z.path("other.credentials"),
        "--operator", "operator.example", *trust_args(z), "--out", z.path("other.cbor"),
    )  # fmt: skip
    before = (z.dir / "other.credentials").read_bytes()
    stolen = credential_receive(z, "other.credentials")
    assert stolen.code == EXIT_BAD_INPUT and "refuses the response" in stolen.err
    assert (z.dir / "other.credentials").read_bytes() == before
    # Other tiers' files where the credential tier's belong.
    z.ok("keygen", "holder", "--wallet", z.path("phone.wallet"), "--check", "number",
         "--out", z.path("ask.cbor"))  # fmt: skip
    signed_wallet = credential_ask(z, wallet="phone.wallet")
    assert signed_wallet.code == EXIT_BAD_INPUT and "not a credential-wallet" in signed_wallet.err
    wrong = z("issue", "--key", z.path("credential-issuer.key"), "--subscribers",
              z.path("subscribers.db"), "--msisdn", ADULT, "--in", z.path("ask.cbor"),
              "--out", z.path("o"))  # fmt: skip
    assert wrong.code == EXIT_BAD_INPUT and "not a credential-request" in wrong.err
    # A damaged key file is not renewed over: --force renews a key file it can read.
    key = decode((z.dir / "credential-issuer.key").read_bytes(), max_size=1 << 20)
    key[5][0][1] = key[5][1][1]  # another epoch's secret key
    (z.dir / "credential-issuer.key").write_bytes(encode(key))
    damaged = z(
        "keygen", "operator", "--tier", "credential", "--operator-id", "operator.example",
        "--out", z.path("credential-issuer.key"), "--keyset", z.path("operators.keyset"),
        "--force",
    )  # fmt: skip
    assert damaged.code == EXIT_BAD_INPUT and "the key file to renew" in damaged.err
    assert decode((z.dir / "credential-issuer.key").read_bytes(), max_size=1 << 20) == key


# -- secrets and inspect ------------------------------------------------------------------


def test_credential_secrets_are_never_printed(z: Party) -> None:
    files = credential_files(z)
    wallet = decode(files["credential-wallet"].read_bytes(), max_size=1 << 20)
    assert len(wallet[3]) == 1 and len(wallet[4]) == 1  # a credential, a renewal waiting
    forms = credential_secrets(files)
    runs = [z.ok("inspect", "--format", form, str(path)) for path in files.values()
            for form in ("text", "json")]  # fmt: skip
    runs += [credential_issue(z), credential_receive(z)]  # the renewal
    credential_request(z, CREDENTIAL_SOCIAL)
    runs += [
        credential_present(z, "--origin", "social.example"),
        credential_verify(z, CREDENTIAL_SOCIAL),
        z.ok("inspect", str(files["credential-wallet"])),
        credential_keygen(z, force=True, publish=False),
    ]
    runs.append(
        z.ok(
            "keygen", "operator", "--tier", "credential", "--operator-id", "op2.example",
            "--out", z.path("op2.key"), "--keyset", z.path("op2.keyset"),
        )
    )  # fmt: skip
    forms |= credential_secrets(files)
    for _, secret_key in decode((z.dir / "op2.key").read_bytes(), max_size=1 << 20)[5]:
        forms |= secret_forms(secret_key)
    for run in runs:
        assert run.code == EXIT_OK, run.err
        assert not leaks(forms, run.out + run.err)


def test_inspect_explains_each_credential_object_to_whom_and_what(z: Party) -> None:
    files = credential_files(z)
    said = {kind: explain(path.read_bytes()) for kind, path in files.items()}
    keys = said["credential-issuer-key"]
    assert keys.audience == "the operator alone" and keys.until is not None
    assert keys.secret == "2 BBS secret keys, one per epoch (not printed)"
    assert sum(name.startswith("key ") for name, _ in keys.fields) == 2
    wallet = said["credential-wallet"]
    assert wallet.audience == "the phone alone" and wallet.secret is not None
    assert "1 credential and 1 waiting request" in wallet.secret
    fields = dict(wallet.fields)
    assert fields["waiting 1"] == "operator.example: a renewal carrying the pseudonym secret over"
    assert fields["credential 1"].startswith("operator.example, key ")
    assert any("operator.example signed the subscriber's facts" in item for item in wallet.reveals)
    request = said["credential-request"]  # the renewal waiting in the wallet
    assert any(name == "carry-over" for name, _ in request.fields)
    assert any("no verifier" in item for item in request.reveals) and request.secret is None
    assert said["credential-response"].audience == "the phone that asked"
    for kind, path in files.items():
        document = json.loads(z.ok("inspect", "--format", "json", str(path)).out)
        assert document["type"] == kind and document["to_whom"]
        assert (document["secret"] is not None) == (kind in {"credential-issuer-key",
                                                             "credential-wallet"})  # fmt: skip
    # An empty wallet (its first request waiting) says so.
    assert credential_ask(z, wallet="new.credentials").code == EXIT_OK
    empty = explain((z.dir / "new.credentials").read_bytes())
    assert empty.reveals == ("no credential yet",) and empty.until is None
    assert dict(empty.fields)["waiting 1"] == "operator.example: a first request"


def test_the_trust_list_is_what_the_phone_checks(z: Party) -> None:
    # Keys the federation has not listed yet: the phone refuses the operator's response.
    credential_keygen(z, publish=False)
    assert credential_ask(z).code == EXIT_OK
    assert credential_issue(z).code == EXIT_OK
    unlisted = credential_receive(z)
    assert unlisted.code == EXIT_BAD_INPUT and "UntrustedIssuer" in unlisted.err
    # Listed, the same response is stored (the first request stayed waiting).
    z.ok("trust", "rotate", "--draft", z.path("federation.draft"), "--keyset",
         z.path("operators.keyset"))  # fmt: skip
    sign(z)
    assert credential_receive(z).code == EXIT_OK
