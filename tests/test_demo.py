"""zkcheck demo: the outcomes of the three scenarios, what was disclosed, the state directory,
and the transcript rendered from the structured result (never timings)."""

from __future__ import annotations

import dataclasses
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zkcheck.claims import NUMBER, Check
from zkcheck.cli import demo as demo_module
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
from zkcheck.encoding import cwt
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.messages import IssuanceResponse, Presentation
from zkcheck.encoding.signed import (
    CLAIM_CHECKS,
    CLAIM_NUMBER_DIGEST,
    CLAIM_VERSION,
    decode_presentation_body,
)
from zkcheck.sources import DEMO_SUBSCRIBERS, SQLiteSubscriberSource
from zkcheck.trust.clock import FixedClock

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
    assert result.tiers == ("signed", "credential")
    assert len(result.cases) == 12 and result.as_expected
    verdicts = [(c.scenario.key, c.tier, c.verdict) for c in result.cases]
    assert verdicts == [
        ("bank", "signed", Verdict.REFUSED),
        ("bank", "signed", Verdict.ACCEPTED),
        ("bank", "credential", Verdict.REFUSED),
        ("bank", "credential", Verdict.ACCEPTED),
        ("social", "signed", Verdict.ACCEPTED),
        ("social", "signed", Verdict.REFUSED),
        ("social", "credential", Verdict.ACCEPTED),
        ("social", "credential", Verdict.REFUSED),
        ("age", "signed", Verdict.ACCEPTED),
        ("age", "signed", Verdict.REFUSED),
        ("age", "credential", Verdict.ACCEPTED),
        ("age", "credential", Verdict.REFUSED),
    ]
    # Every scenario runs in the credential tier: the number by disclosure, the age and
    # the swap by predicate proofs.
    assert result.skipped == ()
    assert [entry.name for entry in result.not_built] == ["token"]


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
        kind = "issuance-request" if case.tier == "signed" else "credential-request"
        ask = _message(case, "phone", kind)
        assert ask is not None
        assert case.scenario.verifier_id.encode() not in ask
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
        assert parties == ["operator", "phone", case.scenario.verifier]
        for message in case.messages:
            assert message.size == (0 if message.data is None else len(message.data))
        steps = [timing.step for timing in case.timings]
        assert steps[:2] == ["operator issues", "phone presents"]
        assert (f"{case.scenario.verifier} verifies" in steps) == (
            _message(case, "phone", Presentation.KIND) is not None
        )


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


def test_picking_a_tier_runs_it_alone_and_an_unbuilt_one_is_unavailable(tmp_path: Path) -> None:
    picked = run_demo(state=tmp_path / "a", tier_names=("signed",))
    assert picked.tiers == ("signed",) and picked.not_built == ()
    with pytest.raises(CommandError) as unbuilt:
        run_demo(state=tmp_path / "b", tier_names=("token",))
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
    assert out.count("REFUSED (not shown)") == 6 and out.count("ACCEPTED") == 6
    assert "bytes" in out and "did not learn" in out and "timings" in out
    assert "not built yet" in out and "token" in out
    assert "not run" not in out


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


def test_the_credential_tier_proves_the_age_and_the_swap_by_default(result: DemoResult) -> None:
    for scenario, check in (("age", Check.age_over(18)), ("bank", Check.sim_swap(72))):
        accepted = result.case(scenario, 0 if scenario == "age" else 1, tier="credential")
        refused = result.case(scenario, 1 if scenario == "age" else 0, tier="credential")
        assert accepted.shown == (check,) and accepted.refusal is None
        shown = _message(accepted, "phone", Presentation.KIND)
        assert shown is not None
        body = decode(Presentation.from_bytes(shown).body)
        # A predicate proof (and, for the swap, the freshness proof on the issue hour).
        assert len(body[5]) == (3040 if scenario == "age" else 2272 + 1504)
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
