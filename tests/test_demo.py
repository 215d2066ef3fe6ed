"""zkcheck demo: the outcomes of the three scenarios, what was disclosed, the state directory,
and the transcript rendered from the structured result (never timings)."""

from __future__ import annotations

import dataclasses
import io
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zkcheck.claims import NUMBER, Check
from zkcheck.cli import demo as demo_module
from zkcheck.cli import tiers
from zkcheck.cli.demo import STATE_MARKER, DemoResult, default_state_dir, run_demo
from zkcheck.cli.exits import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    CommandError,
)
from zkcheck.cli.main import main
from zkcheck.cli.scenarios import SCENARIOS, CaseResult, Refusal, Verdict
from zkcheck.cli.transcript import Style, TerminalProgress, render, wants_colour
from zkcheck.cli.words import instant
from zkcheck.encoding import cwt
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.credential import CredentialEvidence
from zkcheck.encoding.messages import IssuanceResponse, Presentation, Request
from zkcheck.encoding.signed import (
    CLAIM_CHECKS,
    CLAIM_NUMBER_DIGEST,
    CLAIM_VERSION,
    decode_presentation_body,
)
from zkcheck.encoding.token import decode_token_body
from zkcheck.hazmat.privacypass import Token, TokenChallenge, parse_www_authenticate
from zkcheck.roles import CredentialIssuerKeys
from zkcheck.sources import DEMO_SUBSCRIBERS, SQLiteSubscriberSource
from zkcheck.trust.authority import AuthorityKey
from zkcheck.trust.clock import FixedClock, SystemClock
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_list import TrustList

ATTESTATION_CLAIMS = {
    cwt.CLAIM_ISS,
    cwt.CLAIM_IAT,
    cwt.CLAIM_EXP,
    cwt.CLAIM_CNF,
    CLAIM_VERSION,
    CLAIM_CHECKS,
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(state=tmp_path_factory.mktemp("state"))


def _message(case: CaseResult, sender: str, kind: str) -> bytes | None:
    for message in case.messages:
        if message.sender == sender and message.kind == kind:
            return message.data
    raise AssertionError(f"no {kind} from {sender}")


def _attested_claims(presentation: bytes) -> dict[int, object]:
    body = Presentation.from_bytes(presentation).body
    claims: dict[int, object] = decode(decode_presentation_body(body).attestation.payload)
    return claims


# -- the outcomes ---------------------------------------------------------------------


def test_every_case_ends_as_its_scenario_expects(result: DemoResult) -> None:
    assert [scenario.key for scenario in SCENARIOS] == ["bank", "social", "age"]
    assert result.tiers == ("signed", "token", "credential")
    assert len(result.cases) == 16 and result.as_expected
    verdicts = [(c.scenario.key, c.tier, c.verdict) for c in result.cases]
    assert verdicts == [
        ("bank", "signed", Verdict.REFUSED),
        ("bank", "signed", Verdict.ACCEPTED),
        ("bank", "token", Verdict.REFUSED),
        ("bank", "token", Verdict.ACCEPTED),
        ("bank", "credential", Verdict.REFUSED),
        ("bank", "credential", Verdict.ACCEPTED),
        ("social", "signed", Verdict.ACCEPTED),
        ("social", "signed", Verdict.REFUSED),
        ("social", "credential", Verdict.ACCEPTED),
        ("social", "credential", Verdict.REFUSED),
        ("age", "signed", Verdict.ACCEPTED),
        ("age", "signed", Verdict.REFUSED),
        ("age", "token", Verdict.ACCEPTED),
        ("age", "token", Verdict.REFUSED),
        ("age", "credential", Verdict.ACCEPTED),
        ("age", "credential", Verdict.REFUSED),
    ]
    # The token tier cannot carry number: no case is run, and the result says why. The
    # credential tier runs every scenario: the number by disclosure, the age and the swap
    # by predicate proofs.
    assert [(key, tier) for key, tier, _ in result.skipped] == [("social", "token")]
    assert "blind" in result.skipped[0][2]
    assert result.not_built == ()


def test_the_demo_states_the_anonymity_sets_of_its_checks(result: DemoResult) -> None:
    """The setup names, for the bank's and the age-gated site's checks, the set of one
    presentation in each tier (spec/10-privacy.md, "Set sizes in the demo federation")."""
    (line,) = [line for line in result.setup if line.startswith("anonymity set")]
    for check in ("sim_swap:72", "age_over:18"):
        sizes = line.split(f"{check}: ", 1)[1].split(";", 1)[0]
        assert [part.split()[0] for part in sizes.split(", ")] == ["signed", "token", "credential"]
        assert all(int(part.split()[1]) > 1 for part in sizes.split(", "))
    assert "number" not in line


def test_every_tier_runs_on_the_federation_and_its_relying_parties_name_no_operator(
    result: DemoResult,
) -> None:
    federation = _trust_list(result)
    assert len(federation.operators) == 47
    assert len({operator.countries for operator in federation.operators}) == 11
    assert any("47 operators in 11 countries" in line for line in result.setup)
    for tier in result.tiers:
        cases = [case for case in result.cases if case.tier == tier]
        # Every request names no operator: any operator in good standing on the list.
        for case in cases:
            request = _message(case, case.scenario.verifier, "request")
            assert request is not None and Request.from_bytes(request).operators == ()
        # Each case that came to a presentation was attested by another operator, none of
        # which the relying parties were configured for; in the credential tier, where a
        # phone renews its credential at its own operator, each phone's operator is another.
        attested = [_attested_by(result, case) for case in cases]
        by_case = [(case.case.subscriber, op) for case, op in zip(cases, attested, strict=True)]
        if tier == "credential":
            by_case = list(dict(by_case).items())
        shown = [operator for _, operator in by_case if operator is not None]
        assert len(set(shown)) == len(shown), (tier, shown)
        for case, operator in zip(cases, attested, strict=True):
            if operator is not None and case.verdict is Verdict.ACCEPTED:
                assert operator in case.explanation
    # Across the tiers, the presentations came from operators in four countries at least.
    everyone = {_attested_by(result, case) for case in result.cases} - {None}
    countries = {
        operator.countries for operator in federation.operators if operator.operator_id in everyone
    }
    assert len(countries) >= 4


def test_bank_swapped_an_hour_ago_is_refused_because_nothing_was_issued(
    result: DemoResult,
) -> None:
    case = result.case("bank", 0)
    assert case.case.subscriber == DEMO_SUBSCRIBERS["recently_swapped"]
    assert case.refusal is Refusal.NOTHING_ISSUED and case.shown == ()
    # The operator sent nothing at all: no "no", no "swapped" record.
    assert _message(case, "operator", IssuanceResponse.KIND) is None
    assert _message(case, "phone", Presentation.KIND) is None
    assert case.disclosed == ()
    bank = case.knowledge_of("bank")
    assert any("not shown" in item for item in bank.learned)
    assert any("when the SIM was last swapped" in item for item in bank.not_learned)
    assert 'No "no" was issued or sent.' in case.explanation


def test_bank_not_swapped_is_accepted_and_learns_no_swap_date(result: DemoResult) -> None:
    case = result.case("bank", 1)
    assert case.verdict is Verdict.ACCEPTED and case.refusal is None
    assert case.shown == (Check.sim_swap(72),)
    presentation = _message(case, "phone", Presentation.KIND)
    assert presentation is not None
    claims = _attested_claims(presentation)
    # The bank receives exactly these claims: no swap date, no number, no birth date.
    assert set(claims) == ATTESTATION_CLAIMS
    assert claims[CLAIM_CHECKS] == ["sim_swap:72"]
    issued = claims[cwt.CLAIM_IAT]
    assert isinstance(issued, int) and issued % 900 == 0  # the quarter-hour grid
    assert DEMO_SUBSCRIBERS["adult"].encode() not in presentation
    # What the transcript says the bank learned is what the presentation reveals.
    assert case.knowledge_of("bank").learned == case.disclosed
    assert any("sim_swap:72" in item for item in case.disclosed)
    assert "when the SIM was last swapped" in case.knowledge_of("bank").not_learned


def test_the_operator_is_never_told_which_verifier_asks(result: DemoResult) -> None:
    for case in result.cases:
        to_operator = [m.data for m in case.messages if m.receiver == "operator"]
        assert to_operator and all(data is not None for data in to_operator)
        for data in to_operator:
            assert data is not None and case.scenario.verifier_id.encode() not in data
        operator = case.knowledge_of("operator")
        assert any(case.scenario.verifier_id in item for item in operator.not_learned)


def test_social_network_confirms_the_typed_number_and_refuses_a_mistyped_one(
    result: DemoResult,
) -> None:
    right, mistyped = result.case("social", 0), result.case("social", 1)
    assert right.case.typed_number == DEMO_SUBSCRIBERS["adult"]
    assert right.shown == (NUMBER,)
    assert mistyped.case.typed_number != DEMO_SUBSCRIBERS["adult"]
    assert mistyped.refusal is Refusal.NOT_VERIFIED and mistyped.shown == ()
    presentation = _message(mistyped, "phone", Presentation.KIND)
    assert presentation is not None
    claims = _attested_claims(presentation)
    assert set(claims) == ATTESTATION_CLAIMS | {CLAIM_NUMBER_DIGEST}
    # The number travels only as a salted digest; the transcript says so, and says
    # that the digest with its salt can be tested against guessed numbers.
    assert DEMO_SUBSCRIBERS["adult"].encode() not in presentation
    assert any("numbering plan" in item for item in mistyped.disclosed)
    assert "not the number the operator attested" in mistyped.explanation


def test_age_site_admits_the_adult_and_not_the_17_year_old(result: DemoResult) -> None:
    adult, young = result.case("age", 0), result.case("age", 1)
    assert adult.shown == (Check.age_over(18),)
    presentation = _message(adult, "phone", Presentation.KIND)
    assert presentation is not None
    assert set(_attested_claims(presentation)) == ATTESTATION_CLAIMS
    assert young.case.subscriber == DEMO_SUBSCRIBERS["turns_18_tomorrow"]
    assert young.refusal is Refusal.NOTHING_ISSUED
    assert _message(young, "operator", IssuanceResponse.KIND) is None
    assert any("date of birth" in item for item in young.knowledge_of("age-gated site").not_learned)


def test_each_case_records_sizes_three_parties_and_its_steps(result: DemoResult) -> None:
    for case in result.cases:
        parties = [entry.party for entry in case.knowledge]
        others = [f"other {case.scenario.verifier}"] if case.sign_ups else []
        assert parties == ["operator", "phone", case.scenario.verifier, *others]
        for message in case.messages:
            assert message.size == (0 if message.data is None else len(message.data))
        steps = [timing.step for timing in case.timings]
        if case.tier == "token":
            # The phone fetches its tokens for the request, then presents.
            unblinds = ["phone unblinds"] if _message(case, "operator", "TokenResponse") else []
            expected = ["phone blinds", "operator issues", *unblinds, "phone presents"]
        else:
            expected = ["operator issues", "phone presents"]
        assert steps[: len(expected)] == expected
        assert (f"{case.scenario.verifier} verifies" in steps) == (
            _message(case, "phone", Presentation.KIND) is not None
        )


# -- the token tier --------------------------------------------------------------------


def _challenges(case: CaseResult) -> list[TokenChallenge]:
    header = _message(case, case.scenario.verifier, "WWW-Authenticate")
    assert header is not None
    return [item.challenge for item in parse_www_authenticate(header.decode())]


def _challenge(case: CaseResult) -> TokenChallenge:
    """The challenge the phone answered (its own operator's, among the federation's): the
    one its token was made for."""
    token = _token_of(case)
    (answered,) = [c for c in _challenges(case) if c.digest() == token.challenge_digest]
    return answered


def _trust_list(result: DemoResult) -> TrustList:
    """The federation's list the demo left in its state, verified under its pinned key."""
    pin = AuthorityKey.from_bytes((result.state / "authority.pin").read_bytes())
    anchors = TrustListAnchors(pin, clock=SystemClock())
    return anchors.load((result.state / "federation.trust-list").read_bytes())


def _attested_by(result: DemoResult, case: CaseResult) -> str | None:
    """The operator whose key the case's presentation is under, found in the trust list."""
    shown = _message(case, "phone", Presentation.KIND)
    if shown is None:
        return None
    presentation = Presentation.from_bytes(shown)
    if case.tier == "signed":
        key_id = decode_presentation_body(presentation.body).kid
    elif case.tier == "token":
        ((_, token),) = decode_token_body(presentation.body)
        key_id = token.token_key_id
    else:
        key_id = CredentialEvidence.from_bytes(presentation.body).key_id
    operator, listed = _trust_list(result).resolve(key_id)
    assert listed.tier == case.tier
    return operator.operator_id


def _token_of(case: CaseResult) -> Token:
    presentation = _message(case, "phone", Presentation.KIND)
    assert presentation is not None
    ((_, token),) = decode_token_body(Presentation.from_bytes(presentation).body)
    return token


def test_token_bank_refuses_the_swapped_subscriber_because_nothing_was_signed(
    result: DemoResult,
) -> None:
    case = result.case("bank", 0, "token")
    assert case.case.subscriber == DEMO_SUBSCRIBERS["recently_swapped"]
    assert case.verdict is Verdict.REFUSED and case.refusal is Refusal.NOTHING_ISSUED
    # The phone asked; the operator signed nothing, so there is no token to show.
    assert _message(case, "phone", "TokenRequest") is not None
    assert _message(case, "operator", "TokenResponse") is None
    assert _message(case, "phone", Presentation.KIND) is None
    assert case.shown == () and case.disclosed == ()
    assert 'No token for "no" exists.' in case.explanation
    bank = case.knowledge_of("bank")
    assert any("not shown" in item for item in bank.learned)
    assert any("when the SIM was last swapped" in item for item in bank.not_learned)
    assert "signed nothing" in case.knowledge_of("operator").learned[0]


def test_token_bank_accepts_a_per_request_token_and_learns_check_operator_epoch(
    result: DemoResult,
) -> None:
    case = result.case("bank", 1, "token")
    assert case.verdict is Verdict.ACCEPTED and case.shown == (Check.sim_swap(72),)
    # The bank names no operator: one challenge per operator on the federation's list
    # that issues sim_swap:72 tokens, each naming the bank alone and binding the token to
    # this request. The phone answers its own operator's.
    challenges = _challenges(case)
    assert len(challenges) == 4
    for challenge in challenges:
        assert challenge.origin_info == "bank.example"
        assert len(challenge.redemption_context) == 32
    challenge = _challenge(case)
    attested_by = _attested_by(result, case)
    assert challenge.issuer_name == f"sim-swap-72.tokens.{attested_by}"
    # Sizes as the RFCs define them: one TokenRequest, one TokenResponse, one token.
    assert len(_message(case, "phone", "TokenRequest") or b"") == 259
    assert len(_message(case, "operator", "TokenResponse") or b"") == 256
    token = _token_of(case)
    assert token.challenge_digest == challenge.digest()
    # The token's key is the operator's sim_swap:72 key: that is all the bank reads.
    operator, listed = _trust_list(result).resolve(token.token_key_id)
    key = listed.material
    assert isinstance(key, TokenKeyEntry)
    assert (operator.operator_id, key.check) == (attested_by, Check.sim_swap(72))
    presentation = _message(case, "phone", Presentation.KIND) or b""
    assert DEMO_SUBSCRIBERS["adult"].encode() not in presentation
    # What the bank learned is what the presentation reveals: the check, the operator,
    # the epoch, a spent nonce; nothing else.
    bank = case.knowledge_of("bank")
    assert bank.learned == case.disclosed
    assert any("sim_swap:72 holds" in item for item in case.disclosed)
    epoch = f"{instant(key.not_before)} to {instant(key.not_after)}"
    assert any(operator.operator_id in item and epoch in item for item in case.disclosed)
    assert "when the SIM was last swapped" in bank.not_learned
    assert any("unlinkable" in item for item in bank.not_learned)
    # The operator learned the subscriber, the check and the epoch, not the bank.
    operator_knew = case.knowledge_of("operator")
    assert epoch in operator_knew.learned[0] and "sim_swap:72" in operator_knew.learned[0]
    assert any("blinded" in item for item in operator_knew.not_learned)
    # No message to the operator carries the challenge, the token or its digest.
    for message in case.messages:
        if message.receiver == "operator" and message.data is not None:
            assert challenge.digest() not in message.data
            assert token.nonce not in message.data


def test_token_age_site_gets_cached_tokens_and_turns_the_17_year_old_away(
    result: DemoResult,
) -> None:
    adult, young = result.case("age", 0, "token"), result.case("age", 1, "token")
    # Static fact: no redemption context, a batch of three fetched, two kept for later.
    assert _challenge(adult).redemption_context == b""
    assert _challenge(adult).origin_info == "age-gated.example"
    assert len(_message(adult, "phone", "TokenRequest") or b"") == 3 * 259
    assert len(_message(adult, "operator", "TokenResponse") or b"") == 3 * 256
    assert adult.shown == (Check.age_over(18),)
    assert "2 more tokens kept" in adult.knowledge_of("phone").learned[0]
    assert any("age_over:18 holds" in item for item in adult.disclosed)
    assert young.case.subscriber == DEMO_SUBSCRIBERS["turns_18_tomorrow"]
    assert young.refusal is Refusal.NOTHING_ISSUED
    assert _message(young, "operator", "TokenResponse") is None
    assert any("date of birth" in item for item in young.knowledge_of("age-gated site").not_learned)


def test_the_token_tier_does_not_invent_a_number_result(result: DemoResult) -> None:
    assert not [case for case in result.cases if case.scenario.key == "social" and case.tier
                == "token"]  # fmt: skip
    (reason,) = [reason for key, tier, reason in result.skipped if tier == "token"]
    assert [s.check for s in SCENARIOS if s.key == "social"] == [NUMBER]
    assert "blind" in reason and "other tiers" in reason
    text = " ".join(render(result, Style(colour=False)).split())
    assert "token tier not run: tokens do not carry number" in text


def test_the_token_keys_are_kept_private_and_reused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_demo(state=state, tier_names=("token",))
    key = (state / "token-issuer.key").read_bytes()
    assert stat.S_IMODE((state / "token-issuer.key").stat().st_mode) == 0o600
    assert (state / "token-directories.cbor").is_file()
    again = run_demo(state=state, tier_names=("token",))
    assert (state / "token-issuer.key").read_bytes() == key
    assert any("token tier" in line and "reused" in line for line in again.setup)


def test_the_credential_keys_are_kept_private_and_reused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_demo(state=state, tier_names=("credential",))
    key = (state / "credential-issuer.key").read_bytes()
    assert stat.S_IMODE((state / "credential-issuer.key").stat().st_mode) == 0o600
    again = run_demo(state=state, tier_names=("credential",))
    assert (state / "credential-issuer.key").read_bytes() == key
    assert any("credential tier" in line and "reused" in line for line in again.setup)
    # The demo operator hands the kept keys to the federation, for the file commands.
    (entry,) = OperatorKeySet.from_bytes((state / "operators.keyset").read_bytes()).operators
    assert entry.credential_keys == CredentialIssuerKeys.from_bytes(key).credential_keys()


# -- the state directory --------------------------------------------------------------


def test_the_state_is_created_then_reused_then_recreated_on_request(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = run_demo(state=state)
    key = (state / "operator.key").read_bytes()
    assert (state / STATE_MARKER).is_file() and (state / "operators.keyset").is_file()
    assert (state / "operator.key").stat().st_mode & 0o777 == 0o600
    assert any("created" in line for line in first.setup)

    again = run_demo(state=state)
    assert (state / "operator.key").read_bytes() == key
    assert any("reused" in line for line in again.setup)
    assert any("refreshed" in line for line in again.setup)
    assert again.as_expected

    fresh = run_demo(state=state, fresh=True)
    assert (state / "operator.key").read_bytes() != key and fresh.as_expected


def test_the_database_holds_generated_synthetic_subscribers(result: DemoResult) -> None:
    source = SQLiteSubscriberSource(result.state / "subscribers.db")
    try:
        for number in DEMO_SUBSCRIBERS.values():
            assert source.facts(number) is not None
        assert source.facts("+34600101999") is not None  # the last generated one
    finally:
        source.close()


def test_an_unreadable_key_or_database_is_recreated(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_demo(state=state)
    (state / "operator.key").write_bytes(b"\xa1garbage")
    (state / "subscribers.db").write_bytes(b"not a database at all" * 100)
    again = run_demo(state=state)
    assert again.as_expected
    assert sum("unreadable" in line for line in again.setup) == 2
    # One that cannot be replaced (a directory in its place) is bad input, not a crash.
    (state / "subscribers.db").unlink()
    (state / "subscribers.db").mkdir()
    with pytest.raises(CommandError, match="cannot be replaced") as refused:
        run_demo(state=state)
    assert refused.value.code == EXIT_BAD_INPUT


def test_a_directory_that_is_not_demo_state_is_never_touched(tmp_path: Path) -> None:
    keep = tmp_path / "thesis.tex"
    keep.write_text("precious")
    with pytest.raises(CommandError) as refused:
        run_demo(state=tmp_path)
    assert refused.value.code == EXIT_BAD_INPUT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.tex"]


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="XDG_CACHE_HOME is the Unix cache directory"
)
def test_the_default_state_is_under_the_cache_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert default_state_dir() == Path("/somewhere/cache/zkcheck/demo")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_state_dir() == Path.home() / ".cache" / "zkcheck" / "demo"


def test_the_default_state_falls_back_to_the_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    monkeypatch.setattr(demo_module, "default_state_dir", lambda: blocked / "zkcheck" / "demo")
    monkeypatch.setattr(demo_module, "_temporary_state_dir", lambda: tmp_path / "tmp-state")
    assert run_demo().state == tmp_path / "tmp-state"


# -- tiers ---------------------------------------------------------------------------


def test_picking_a_tier_runs_it_alone_and_an_unbuilt_one_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picked = run_demo(state=tmp_path / "a", tier_names=("signed",))
    assert picked.tiers == ("signed",) and picked.not_built == ()
    assert {case.tier for case in picked.cases} == {"signed"} and picked.skipped == ()
    tokens = run_demo(state=tmp_path / "t", tier_names=("token",))
    assert tokens.tiers == ("token",) and tokens.as_expected
    assert [(c.scenario.key, c.tier) for c in tokens.cases] == [
        ("bank", "token"), ("bank", "token"), ("age", "token"), ("age", "token"),
    ]  # fmt: skip
    assert not (tmp_path / "t" / "operator.key").exists()
    assert (tmp_path / "t" / "federation.trust-list").is_file()
    # Every tier of the design is built; one a later version plans is unavailable.
    planned = {**tiers.REGISTRY, "future": tiers.Planned("future", "a tier of a later version")}
    monkeypatch.setattr(tiers, "REGISTRY", planned)
    with pytest.raises(CommandError) as unbuilt:
        run_demo(state=tmp_path / "b", tier_names=("future",))
    assert unbuilt.value.code == EXIT_UNAVAILABLE
    with pytest.raises(CommandError) as unknown:
        run_demo(state=tmp_path / "c", tier_names=("quantum",))
    assert unknown.value.code == EXIT_USAGE


# -- the command and its transcript ----------------------------------------------------


def test_zkcheck_demo_prints_plain_text_when_piped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--state", str(tmp_path / "state")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out
    for scenario in SCENARIOS:
        assert scenario.title in out
    assert out.count("REFUSED (not shown)") == 8 and out.count("ACCEPTED") == 8
    assert "bytes" in out and "did not learn" in out and "timings" in out
    assert "not built yet" not in out
    flowing = " ".join(out.split())
    assert "credential tier not run" not in flowing
    assert flowing.count("token tier not run: ") == 1


def test_the_transcript_is_rendered_from_the_result(result: DemoResult) -> None:
    text = render(result, Style(colour=False))
    for case in result.cases:
        assert case.case.label in text
        for message in case.messages:
            assert f"{message.kind}: " in text
            if message.data is not None:
                assert f"{len(message.data)} bytes" in text
    coloured = render(result, Style(colour=True))
    assert "\x1b[1;32mACCEPTED\x1b[0m" in coloured
    assert "\x1b[1;33mREFUSED (not shown)\x1b[0m" in coloured


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_and_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert wants_colour(_Terminal()) and not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(_Terminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not wants_colour(_Terminal())

    terminal = _Terminal()
    progress = TerminalProgress(terminal)
    progress("bank, signed tier, case 1: the operator checks its records")
    progress.clear()
    assert terminal.getvalue().startswith("\r\x1b[K| bank, signed tier, case 1")
    assert terminal.getvalue().endswith("\r\x1b[K")


def test_the_demo_reports_its_steps_as_it_goes(tmp_path: Path) -> None:
    steps: list[str] = []
    run_demo(state=tmp_path / "state", progress=steps.append)
    assert steps[0] == "preparing the demo state"
    assert any(step.startswith("bank, signed tier, case 1: ") for step in steps)
    assert any(step.startswith("age-gated site, signed tier, case 2: ") for step in steps)


def test_an_outcome_against_the_scenario_is_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = SCENARIOS[0]
    wrong = dataclasses.replace(
        bank, cases=(dataclasses.replace(bank.cases[0], expected=Verdict.ACCEPTED),)
    )
    monkeypatch.setattr(demo_module, "SCENARIOS", (wrong,))
    assert main(["demo", "--state", str(tmp_path / "state")]) == EXIT_INTERNAL
    assert "UNEXPECTED: the scenario expects accepted" in capsys.readouterr().out


def test_the_demo_runs_on_a_clock_it_is_given(tmp_path: Path) -> None:
    instant = datetime(2030, 6, 1, 9, 30, tzinfo=UTC)
    at = run_demo(state=tmp_path / "state", clock=FixedClock(instant))
    assert at.as_expected
    presentation = _message(at.case("bank", 1), "phone", Presentation.KIND)
    assert presentation is not None
    assert _attested_claims(presentation)[cwt.CLAIM_IAT] == int(instant.timestamp())


def test_the_credential_tier_shows_the_number_by_disclosure(result: DemoResult) -> None:
    right = result.case("social", 0, tier="credential")
    mistyped = result.case("social", 1, tier="credential")
    assert right.shown == (NUMBER,) and right.refusal is None
    assert mistyped.refusal is Refusal.NOT_VERIFIED and mistyped.shown == ()
    shown = _message(right, "phone", Presentation.KIND)
    other = _message(mistyped, "phone", Presentation.KIND)
    assert shown is not None and other is not None
    # No number travels, and both presentations have one length: only the verifier's
    # own number decides.
    assert DEMO_SUBSCRIBERS["adult"].encode() not in shown
    assert len(shown) == len(other)
    assert Presentation.from_bytes(shown).tier == "credential"
    assert any("week" in item for item in right.disclosed)
    assert "not the number in the subscriber's credential" in mistyped.explanation
    ask = _message(right, "phone", "credential-request")
    assert ask is not None and DEMO_SUBSCRIBERS["adult"].encode() not in ask


def test_the_social_network_opens_one_account_per_credential(result: DemoResult) -> None:
    right = result.case("social", 0, tier="credential")
    first, again, elsewhere = right.sign_ups
    social = right.scenario
    assert (first.verifier_id, again.verifier_id) == (social.verifier_id,) * 2
    assert elsewhere.verifier_id == social.other_verifier_id != social.verifier_id
    # The second sign-up shows the same pseudonym and is refused; the other network sees
    # another pseudonym and opens an account.
    assert [sign_up.opened for sign_up in right.sign_ups] == [True, False, True]
    assert first.pseudonym == again.pseudonym != elsewhere.pseudonym
    assert first.pseudonym is not None and len(first.pseudonym) == 48
    presentations = [m for m in right.messages if m.kind == Presentation.KIND]
    assert len(presentations) == 3
    assert all(first.pseudonym in (m.data or b"") for m in presentations[:2])
    assert first.pseudonym not in (presentations[2].data or b"")
    assert "is refused as a second account" in right.explanation
    # The mistyped number shows nothing, so no account is tried; the signed tier gives
    # no pseudonym.
    assert result.case("social", 1, tier="credential").sign_ups == ()
    assert result.case("social", 0).sign_ups == ()
    # Each subscriber's phone keeps one credential line: its first request is a first
    # issuance, and every later one renews by carrying the pseudonym secret over.
    seen: set[str] = set()
    for case in (c for c in result.cases if c.tier == "credential"):
        for message in case.messages:
            if message.kind == "credential-request":
                renewal = 4 in decode(message.data or b"")
                assert renewal == (case.case.subscriber in seen)
                seen.add(case.case.subscriber)
    assert len(seen) >= 2
    text = " ".join(render(result, Style(colour=False)).split())
    assert "the same phone signs up again" in text and "other social network" in text


def test_the_credential_tier_proves_the_age_and_the_swap_by_default(result: DemoResult) -> None:
    for scenario, check in (("age", Check.age_over(18)), ("bank", Check.sim_swap(72))):
        accepted = result.case(scenario, 0 if scenario == "age" else 1, tier="credential")
        refused = result.case(scenario, 1 if scenario == "age" else 0, tier="credential")
        assert accepted.shown == (check,) and accepted.refusal is None
        shown = _message(accepted, "phone", Presentation.KIND)
        assert shown is not None
        body = decode(Presentation.from_bytes(shown).body)
        # A range link and the range proof of one range (for the swap, two links, with the
        # freshness on the issue hour, and a range proof of two).
        assert len(body[5]) == (80 + 736 if scenario == "age" else 2 * 80 + 832)
        # The operator issued a credential in both cases; the phone whose credential does
        # not satisfy the check shows nothing, and says no "no".
        assert _message(refused, "operator", "credential-response") is not None
        assert _message(refused, "phone", Presentation.KIND) is None
        assert refused.refusal is Refusal.NOTHING_TO_SHOW and refused.shown == ()
        assert 'No "no" was sent.' in refused.explanation
        verifier = accepted.knowledge_of(accepted.scenario.verifier)
        assert verifier.learned == accepted.disclosed
        assert accepted.scenario.hidden in verifier.not_learned
    # What the site learned is the age at its own date, not a birth date.
    site = result.case("age", 0, tier="credential")
    request = _message(site, "age-gated site", "request")
    assert request is not None
    day = datetime.fromtimestamp(decode(request)[9], UTC).date().isoformat()
    learned = site.knowledge_of("age-gated site").learned
    assert learned[0] == f"age_over:18: at least 18 years old on {day}, its request's date"
    birth = DEMO_SUBSCRIBERS["adult"]
    assert not any(birth in item for item in learned)
    bank = result.case("bank", 1, tier="credential").knowledge_of("bank").learned
    assert bank[0].startswith("sim_swap:72: no SIM swap from 72 hours before ")
    assert "at most 1 hour before that" in bank[0]
    text = " ".join(render(result, Style(colour=False)).split())
    assert f"age_over:18: at least 18 years old on {day}" in text
