"""The ``credential`` tier in the demo and in ``inspect`` (spec/08-credential-tier.md).

The demo runs each scenario whose check the tier answers: ``number`` by
disclosure, ``age_over`` and the swap checks by predicate proofs over the
hidden date of birth, swap time and issue time (spec/09-predicate-proofs.md);
a live check would be listed as not run, with the reason. The transcript says
what the verifier learned from the proof ("at least 18 on <the verifier's
date>"), never the hidden value. Each subscriber has one phone for the whole
run, which renews its credential at every case by carrying its pseudonym
secret over; a verifier that opens one account per person asks for its
pseudonym, refuses a second sign-up from the same phone, and another such
verifier sees another pseudonym. The operator's BBS keys are created for each
run: the tier has no key or wallet file yet, so the file commands
(``keygen``, ``issue``, ``receive``, ``present``) refuse it as not built
(exit code 3); ``request``, ``verify`` and ``inspect`` work with it.
Everything goes through the role layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import NoReturn

from zkcheck.claims import Check, CheckKind
from zkcheck.cli.exits import EXIT_UNAVAILABLE, CommandError
from zkcheck.cli.explain import NOT_VERIFIED_NOTE, Explanation
from zkcheck.cli.scenarios import (
    OPERATOR_ID,
    Case,
    CaseResult,
    DemoWorld,
    Knowledge,
    Progress,
    Recorder,
    Refusal,
    Scenario,
    SignUp,
    Verdict,
)
from zkcheck.cli.tiers.base import OperatorKeys, PhoneInputs, TierFiles
from zkcheck.cli.tiers.steps import Answer, ask_and_verify, refusal_of
from zkcheck.cli.words import check_in_words, instant, plural
from zkcheck.encoding.credential import (
    PRESENTATION_VERSION,
    CredentialEvidence,
    CredentialRequest,
    CredentialResponse,
)
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.errors import DecodeError, NotRequested, PolicyError
from zkcheck.roles import (
    CredentialHolder,
    CredentialIssuer,
    InsecureTestAttester,
    Policy,
    VerifiedResult,
    Verifier,
)
from zkcheck.roles._credential import answered_checks
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock

__all__ = ["CREDENTIAL", "CredentialCommandTier"]

_TIER = "credential"
EPOCH_DAY = date(1970, 1, 1).toordinal()
_KINDS = frozenset({CredentialRequest.KIND, CredentialResponse.KIND})
_NO_FILES = (
    "the credential tier's key and wallet files are not built in this version "
    "(zkcheck demo runs the tier; request, verify and inspect accept it)"
)
_FACTS = (
    "the issue hour",
    "the expiry day",
    "the date of birth",
    "the latest SIM change",
    "the latest device change",
    "the contract start",
    "the number",
    "the home country",
)


def day_start(ordinal: int) -> int:
    """The NumericDate at which the day of a layout ordinal begins; :class:`DecodeError` for
    a number that is no day of the layout (the bytes explained may be anyone's)."""
    if not EPOCH_DAY <= ordinal < 2**20:
        raise DecodeError("not a day the credential layout can hold")
    return int(datetime.combine(date.fromordinal(ordinal), time(), UTC).timestamp())


def _hour(hour: int) -> int:
    if not 0 <= hour < 2**24:
        raise DecodeError("not an hour the credential layout can hold")
    return 3600 * hour


def _unavailable() -> NoReturn:
    raise CommandError(EXIT_UNAVAILABLE, _NO_FILES)


def _answers(check: Check) -> bool:
    try:
        answered_checks((check,))
    except NotRequested:
        return False
    return True


class CredentialCommandTier:
    """The credential tier's contribution to the command (see
    :class:`~zkcheck.cli.tiers.base.Tier`)."""

    name = _TIER
    title = "BBS credentials with zero-knowledge presentations"
    noun = "credential"
    attester = "the credential tier issues from the demo only in this version"
    kinds = _KINDS
    files = TierFiles(None, None, CredentialRequest.KIND, CredentialResponse.KIND)

    def demo(self, world: DemoWorld) -> _CredentialDemo:
        return _CredentialDemo(self, world)

    def explain(self, kind: str, data: bytes) -> Explanation:
        if kind == CredentialRequest.KIND:
            return _explain_request(data)
        if kind == CredentialResponse.KIND:
            return _explain_response(data)
        raise ValueError(f"the credential tier has no {kind} objects")

    def explain_presentation(self, presentation: Presentation) -> Explanation:
        evidence = CredentialEvidence.from_bytes(presentation.body)
        return Explanation(
            kind=Presentation.KIND,
            title="presentation (phone -> verifier), credential tier",
            summary=(
                "A phone's fresh zero-knowledge proof that it holds an operator's credential "
                "whose disclosed values are those the verifier's request asks for, bound to "
                "that request."
            ),
            audience="the verifier whose request it answers (its nonce is echoed)",
            reveals=_reveals(evidence, _CHECKS_IN_GENERAL),
            until=day_start(evidence.expiry_day),
            until_note="the credential expires; the request's nonce is answered once",
            fields=(
                ("nonce", presentation.nonce.hex()),
                ("layout version", "1"),
                ("presentation version", str(PRESENTATION_VERSION)),
                ("key id", evidence.key_id.hex()),
                ("expiry", instant(day_start(evidence.expiry_day))),
                ("BBS proof", f"{len(evidence.bbs_proof)} bytes (fresh randomness)"),
                ("predicate proofs", f"{len(evidence.predicate_proof)} bytes"),
                *(
                    (("pseudonym", evidence.pseudonym.hex()),)
                    if evidence.pseudonym is not None
                    else ()
                ),
            ),
            notes=(NOT_VERIFIED_NOTE,),
        )

    # -- files: not built in this version ----------------------------------------------

    def keygen_operator(
        self,
        operator_id: str,
        checks: Sequence[Check],
        *,
        domain: str | None,
        keyset: bytes | None,
        clock: Clock,
    ) -> OperatorKeys:
        _unavailable()

    def keygen_holder(
        self,
        wallet: bytes | None,
        checks: Sequence[Check],
        count: int,
        given: PhoneInputs,
        *,
        clock: Clock,
    ) -> tuple[bytes, bytes | None]:
        _unavailable()

    def issue(
        self,
        key: bytes,
        source: SubscriberSource,
        msisdn: str,
        request: bytes,
        *,
        clock: Clock,
    ) -> bytes:
        _unavailable()

    def receive(self, wallet: bytes, response: bytes, *, clock: Clock) -> tuple[bytes, int]:
        _unavailable()

    def present(self, wallet: bytes, request: bytes, *, clock: Clock) -> tuple[bytes, bytes]:
        _unavailable()

    def challenge(self, verifier: Verifier, request: Request) -> bytes | None:
        # The credential tier's request is all the phone needs.
        return None


CREDENTIAL = CredentialCommandTier()
"""The credential tier's registry entry."""


def _explain_request(data: bytes) -> Explanation:
    request = CredentialRequest.from_bytes(data)
    return Explanation(
        kind=CredentialRequest.KIND,
        title="credential request (phone -> operator), credential tier",
        summary=(
            "A phone asks its operator for a credential: a commitment to the phone's secrets "
            "(its holder secret and its part of a pseudonym secret) with a proof that it "
            "knows what it committed to."
        ),
        audience="the subscriber's operator, which knows who its subscriber is",
        reveals=(
            "nothing about the phone's secrets: the commitment hides them",
            "no verifier and no check: the credential will serve any of them",
        ),
        until=None,
        until_note="",
        fields=(
            ("layout version", "1"),
            ("commitment with proof", f"{len(request.commitment_with_proof)} bytes"),
            *(
                (
                    (
                        "carry-over",
                        f"a proof of {len(carry.bbs_proof) + len(carry.proof)} bytes that the "
                        "commitment keeps the pseudonym secret of a credential of key "
                        f"{carry.key_id.hex()} (a renewal)",
                    ),
                )
                if (carry := request.carry_over) is not None
                else ()
            ),
        ),
    )


def _explain_response(data: bytes) -> Explanation:
    response = CredentialResponse.from_bytes(data)
    facts = response.facts
    values = (
        instant(_hour(facts.issue_hour)),
        instant(day_start(facts.expiry_day)),
        str(facts.birth_day),
        str(facts.sim_change_hour),
        str(facts.device_change_hour),
        str(facts.contract_start_day),
        str(facts.msisdn),
        str(facts.home_country),
    )
    return Explanation(
        kind=CredentialResponse.KIND,
        title="credential response (operator -> phone), credential tier",
        summary=(
            "The operator's blind BBS signature over the subscriber's facts and the phone's "
            "committed secrets, with its part of the pseudonym secret."
        ),
        audience="the phone that asked",
        reveals=(
            "the subscriber's own facts as the operator signed them (the phone checks each)",
            "nothing to anyone else: the phone keeps it, and shows only proofs about it",
        ),
        until=day_start(facts.expiry_day),
        until_note="the credential expires",
        fields=(
            ("key id", response.key_id.hex()),
            *zip(_FACTS, values, strict=True),
        ),
        notes=("it carries the subscriber's facts in clear: it belongs on the phone alone",),
    )


class _CredentialDemo:
    """The credential tier's demo: the federation's operators and their BBS keys, and the
    cases; each subscriber's phone belongs to another operator."""

    def __init__(self, tier: CredentialCommandTier, world: DemoWorld) -> None:
        self.tier, self.world = tier, world
        self._attester = InsecureTestAttester()
        demo_operator = world.federation.federation.operator(OPERATOR_ID)
        keys = demo_operator.credential_keys.credential_keys()
        # One phone per subscriber for the whole run, each a subscriber of another operator
        # of the federation: it renews its credential at its own operator at each case.
        self._phones: dict[str, tuple[CredentialHolder, CredentialIssuer]] = {}
        self.description = (
            f"BBS keys of every operator for this epoch and the next ({OPERATOR_ID}'s: "
            f"{', '.join(key.key_id.hex() for key in keys)}), created for this run: the tier "
            "keeps no key file in this version"
        )

    def skips(self, scenario: Scenario) -> str | None:
        if _answers(scenario.check):
            return None
        return (
            f"{scenario.check.identifier} asks a live fact, which a credential issued in "
            "advance cannot carry; a phone asked for it shows nothing rather than part of "
            "an answer"
        )

    def run(self, scenario: Scenario, case: Case, progress: Progress) -> CaseResult:
        record = Recorder()
        phone, issuer = self._phone(case.subscriber)
        operator_id = issuer.operator_id

        progress("the phone asks the operator for a credential")
        request = phone.request_credential(operator_id)
        ask = request.to_bytes()
        renewal = (
            "; a renewal: it proves the commitment keeps the pseudonym secret of the credential "
            "the phone holds"
            if request.carry_over is not None
            else ""
        )
        record.send(
            "phone",
            "operator",
            CredentialRequest.KIND,
            ask,
            "a commitment to the phone's secrets with its proof; names no verifier, no check"
            + renewal,
        )
        progress("the operator authenticates the subscriber and signs")
        response: bytes | None = None
        with record.timed("operator issues"):
            try:
                evidence = self._attester.enrol(case.subscriber)
                response = issuer.issue(evidence, ask).to_bytes()
            except PolicyError:
                response = None
        expiry: int | None = None
        if response is None:
            record.send(
                "operator", "phone", CredentialResponse.KIND, None, "the operator issues nothing"
            )
        else:
            phone.receive(operator_id, response)
            expiry = day_start(CredentialResponse.from_bytes(response).facts.expiry_day)
            record.send(
                "operator",
                "phone",
                CredentialResponse.KIND,
                response,
                f"a blind signature over the subscriber's facts, valid until {instant(expiry)}",
            )

        answer = self._ask(
            scenario,
            case,
            phone,
            "a fresh proof of the credential, bound to this request"
            + (", with the phone's pseudonym here" if scenario.one_account_per_person else ""),
            record,
            progress,
        )
        result, disclosed = answer.result, answer.disclosed
        sign_ups: tuple[SignUp, ...] = ()
        if scenario.one_account_per_person and result is not None:
            sign_ups = self._sign_up_again(scenario, case, phone, result, record, progress)
        refusal = refusal_of(response is not None, answer)
        reason = (
            "the number typed is not the number in the subscriber's credential"
            if answer.failure is not None
            else ""
        )
        if result is not None and answer.presentation is not None:
            # What this verifier learned, check by check, at its own request's time.
            asked = _request_of(record)
            body = CredentialEvidence.from_bytes(Presentation.from_bytes(answer.presentation).body)
            disclosed = _reveals(body, tuple(_proven(check, asked) for check in result.checks))
        return CaseResult(
            scenario=scenario,
            case=case,
            tier=_TIER,
            verdict=Verdict.ACCEPTED if result is not None else Verdict.REFUSED,
            refusal=refusal,
            shown=result.checks if result is not None else (),
            disclosed=disclosed,
            explanation=_verdict_words(scenario, operator_id, refusal, reason)
            + _sign_up_words(sign_ups),
            messages=tuple(record.messages),
            knowledge=(
                *_knowledge(scenario, case, operator_id, expiry, refusal, disclosed, reason),
                *_sign_up_knowledge(scenario, sign_ups),
            ),
            timings=tuple(record.timings),
            sign_ups=sign_ups,
        )

    def _ask(
        self,
        scenario: Scenario,
        case: Case,
        phone: CredentialHolder,
        note: str,
        record: Recorder,
        progress: Progress,
    ) -> Answer:
        """The scenario's verifier asks the phone, whose application authenticated it as
        its verifier id (the pseudonym's context, when one is asked), and verifies."""
        return ask_and_verify(
            scenario,
            case,
            self._verifier(scenario),
            lambda request: phone.present(request, origin=scenario.verifier_id).to_bytes(),
            self.tier.explain_presentation,
            note,
            record,
            progress,
        )

    def _phone(self, subscriber: str) -> tuple[CredentialHolder, CredentialIssuer]:
        """The subscriber's phone, and its operator's issuer: the next operator of the
        federation for a subscriber seen first."""
        found = self._phones.get(subscriber)
        if found is None:
            demo = self.world.federation
            operator = demo.federation.for_case(len(self._phones), tier=_TIER)
            issuer = CredentialIssuer(
                operator.operator_id,
                self.world.source,
                self._attester,
                clock=self.world.clock,
                keys=operator.credential_keys,
            )
            found = CredentialHolder(demo.trust, clock=self.world.clock), issuer
            self._phones[subscriber] = found
        return found

    def _verifier(self, scenario: Scenario) -> Verifier:
        policy = Policy(
            scenario.verifier_id,
            (scenario.check,),
            tiers=(_TIER,),
            max_age=scenario.max_age,
            pseudonym=scenario.one_account_per_person,
        )
        return Verifier(policy, self.world.federation.trust, clock=self.world.clock)

    def _sign_up_again(
        self,
        scenario: Scenario,
        case: Case,
        phone: CredentialHolder,
        first: VerifiedResult,
        record: Recorder,
        progress: Progress,
    ) -> tuple[SignUp, ...]:
        """The verifier keeps one account per pseudonym: the phone that just signed up
        signs up there again, then at another verifier of the same kind."""
        accounts: dict[str, set[bytes]] = {}
        sign_ups = []
        other = replace(
            scenario, verifier=f"other {scenario.verifier}", verifier_id=scenario.other_verifier_id
        )
        attempts = (
            (scenario, first, ""),
            (scenario, None, "the same phone signs up again"),
            (other, None, "the same phone signs up here"),
        )
        for where, result, note in attempts:
            if result is None:
                result = self._ask(
                    where,
                    case,
                    phone,
                    f"{note}: a fresh proof of the credential, with the phone's pseudonym here",
                    record,
                    progress,
                ).result
            pseudonym = result.pseudonym if result is not None else None
            known = accounts.setdefault(where.verifier_id, set())
            opened = pseudonym is not None and pseudonym not in known
            sign_ups.append(SignUp(where.verifier_id, pseudonym, opened))
            if pseudonym is not None:
                known.add(pseudonym)
        return tuple(sign_ups)


def _sign_up_words(sign_ups: Sequence[SignUp]) -> str:
    if not sign_ups:
        return ""
    _, again, elsewhere = sign_ups
    return (
        f" A second sign-up from the same phone shows the same pseudonym and is "
        f"{'accepted' if again.opened else 'refused'} as a second account; at "
        f"{elsewhere.verifier_id} the phone's pseudonym is another one, and an account is "
        f"{'opened' if elsewhere.opened else 'refused'}."
    )


def _sign_up_knowledge(scenario: Scenario, sign_ups: Sequence[SignUp]) -> tuple[Knowledge, ...]:
    if not sign_ups:
        return ()
    return (
        Knowledge(
            f"other {scenario.verifier}",
            (
                "that the number typed is the phone's",
                f"a pseudonym for the phone of its own, unrelated to its pseudonym at "
                f"{scenario.verifier_id}",
            ),
            (
                f"the phone's pseudonym at {scenario.verifier_id}, or whether it has an "
                "account there",
            ),
        ),
    )


def _verdict_words(
    scenario: Scenario, operator_id: str, refusal: Refusal | None, reason: str
) -> str:
    check, verifier = scenario.check.identifier, scenario.verifier
    if refusal is None:
        return (
            f"{check} shown by a proof about {operator_id}'s credential: "
            f"the {verifier} {scenario.on_accept}."
        )
    if refusal is Refusal.NOT_VERIFIED:
        return (
            f"a presentation came but does not show {check}: {reason}; "
            f"the {verifier} {scenario.on_refusal}."
        )
    if refusal is Refusal.NOTHING_TO_SHOW:
        return (
            f"the phone's credential does not show {check}: a proof of it would be false, so "
            f"the phone sent nothing; the {verifier} treats {check} as not shown and "
            f'{scenario.on_refusal}. No "no" was sent.'
        )
    return (
        f"the phone had no credential to show; the {verifier} treats {check} as not shown "
        f"and {scenario.on_refusal}."
    )


_CHECKS_IN_GENERAL = (
    "for number: that the number the verifier supplies is the credential's (no number travels)",
    "for each other check of the request it answers (an age, a tenure, a swap window, a "
    "home-country set): that it holds at the request's time, which the request carries; no "
    "date, time or country travels",
)


def _reveals(evidence: CredentialEvidence, shown: tuple[str, ...]) -> tuple[str, ...]:
    """What a presentation reveals: the key, the issue week, ``shown`` (what it proves of
    each check), and nothing else."""
    week = day_start(evidence.expiry_day - 14)
    pseudonym: tuple[str, ...] = ()
    if evidence.pseudonym is not None:
        pseudonym = (
            "the phone's pseudonym for this verifier, the same at every presentation here "
            "and unrelated to its pseudonyms at other verifiers",
        )
    return (
        *shown,
        "the operator's credential key id, shared by every credential of that key",
        f"the week the credential was issued in, from {instant(week)}, through its expiry, "
        f"{instant(day_start(evidence.expiry_day))}, which every credential of that week shares",
        *pseudonym,
        "nothing else: every other fact stays hidden, and the proof's values are fresh random "
        "numbers, unlinkable to other presentations and to the issuance",
    )


def _request_of(record: Recorder) -> Request:
    """The request the verifier sent in this case (the first recorded one)."""
    data = next(message.data for message in record.messages if message.kind == Request.KIND)
    if data is None:  # pragma: no cover - a verifier always sends its request
        raise ValueError("no request was recorded")
    return Request.from_bytes(data)


def _proven(check: Check, request: Request) -> str:
    """What a verified presentation showed about ``check``, at the request's time."""
    day = instant(request.time)[:10]
    kind, parameter = check.kind, check.parameter
    if kind is CheckKind.AGE_OVER:
        return f"{check.identifier}: at least {parameter} years old on {day}, its request's date"
    if kind is CheckKind.TENURE:
        return f"{check.identifier}: a contract of at least {parameter} months on {day}"
    if kind is CheckKind.SIM_SWAP or kind is CheckKind.DEVICE_SWAP:
        what = "SIM swap" if kind is CheckKind.SIM_SWAP else "device change"
        hours = request.max_age // 3600
        return (
            f"{check.identifier}: no {what} from {parameter} hours before "
            f"{instant(request.time)} up to the credential's issue, at most "
            f"{plural(hours, 'hour')} before that (not the swap time, not the issue time)"
        )
    if kind is CheckKind.HOME_COUNTRY_IN:
        return f"{check.identifier}: a home country in the {parameter}, not which one"
    return f"{check.identifier}: {check_in_words(check)}"


def _knowledge(
    scenario: Scenario,
    case: Case,
    operator_id: str,
    expiry: int | None,
    refusal: Refusal | None,
    disclosed: tuple[str, ...],
    reason: str,
) -> tuple[Knowledge, ...]:
    check, verifier = scenario.check, scenario.verifier
    operator = Knowledge(
        "operator",
        (
            f"that its subscriber {case.subscriber} asked for a credential, and the facts it "
            "signed (its own records)",
        ),
        (
            f"that {scenario.verifier_id} will ask, or which check (the request names neither)",
            "the phone's holder secret and pseudonym part: only a commitment reached it",
            "whether, when and where the credential is shown: no presentation can be tied to "
            "the issuance",
        ),
    )
    phone = Knowledge(
        "phone",
        (
            f"{operator_id}'s credential of its own facts, valid until {instant(expiry)}"
            if expiry is not None
            else "that the operator issued nothing",
        ),
        (),
    )
    hidden = (
        scenario.hidden,
        "the issue time beyond what the proof bounds, and every fact the check does not ask",
    )
    if refusal is None:
        learned, not_learned = disclosed, hidden
    elif refusal is Refusal.NOT_VERIFIED:
        learned = (*disclosed, f"that {check.identifier} is not shown: {reason}")
        not_learned = hidden
    else:
        learned = (f"no presentation came, so {check.identifier} is not shown",)
        not_learned = hidden
    return (operator, phone, Knowledge(verifier, tuple(learned), tuple(not_learned)))
