"""The ``signed`` tier on the command line and in the demo (spec/04-signed-tier.md).

Everything here goes through the role layer (:class:`~zkcheck.roles.OperatorKey`,
:class:`~zkcheck.roles.Holder`, :class:`~zkcheck.roles.Verifier`); the
explanations decode objects to describe their public parts and check no
signature.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkcheck.claims import NUMBER, Check, Menu
from zkcheck.cli.exits import EXIT_BAD_INPUT, CommandError
from zkcheck.cli.explain import NOT_VERIFIED_NOTE, Explanation
from zkcheck.cli.federation import OPERATOR_KEY_FILE
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
    Verdict,
)
from zkcheck.cli.tiers.base import OperatorKeys, PhoneInputs, TierFiles
from zkcheck.cli.tiers.steps import ask_and_verify, refusal_of, verifier_knowledge
from zkcheck.cli.words import checks_in_words, instant, plural
from zkcheck.encoding.messages import IssuanceRequest, IssuanceResponse, Presentation, Request
from zkcheck.encoding.signed import AttestationClaims, decode_attestation, decode_presentation_body
from zkcheck.errors import InvalidSignature, NotRequested, PolicyError, ZkcheckError
from zkcheck.roles import Holder, OperatorKey, Policy, Verifier
from zkcheck.roles.operator_key import OPERATOR_KEY_KIND
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock, SystemClock
from zkcheck.trust.keyset import key_id

__all__ = ["SIGNED", "SignedCommandTier"]

_WALLET = "wallet"
_FILES = TierFiles(OPERATOR_KEY_KIND, _WALLET, IssuanceRequest.KIND, IssuanceResponse.KIND)
_KINDS = frozenset({OPERATOR_KEY_KIND, _WALLET, IssuanceRequest.KIND, IssuanceResponse.KIND})
_TIER = "signed"


def _checks(checks: Sequence[Check]) -> str:
    return ", ".join(check.identifier for check in checks)


def _attestations(response: IssuanceResponse) -> list[AttestationClaims]:
    return [decode_attestation(issued.attestation.to_item())[1] for issued in response.attestations]


def _attestation_line(claims: AttestationClaims) -> str:
    return (
        f"{claims.operator}: {_checks(claims.checks)}, issued {instant(claims.issued_at)}, "
        f"expires {instant(claims.expires_at)}"
    )


class SignedCommandTier:
    """The signed tier's contribution to the command (see :class:`~zkcheck.cli.tiers.base.Tier`)."""

    name = _TIER
    title = "COSE attestations signed by the operator, bound to a one-time holder key"
    noun = "attestation"
    attester = (
        "the operator issues for the subscriber --msisdn names, as one it has authenticated "
        "(the command line authenticates nobody)"
    )
    kinds = _KINDS
    files = _FILES

    # -- demo ----------------------------------------------------------------------

    def demo(self, world: DemoWorld) -> _SignedDemo:
        return _SignedDemo(self, world)

    # -- explanations ---------------------------------------------------------------

    def explain(self, kind: str, data: bytes) -> Explanation:
        if kind == OPERATOR_KEY_KIND:
            return _explain_operator_key(data)
        if kind == _WALLET:
            return _explain_wallet(data)
        if kind == IssuanceRequest.KIND:
            return _explain_issuance_request(data)
        if kind == IssuanceResponse.KIND:
            return _explain_issuance_response(data)
        raise ValueError(f"the signed tier has no {kind} objects")

    def explain_presentation(self, presentation: Presentation) -> Explanation:
        decoded = decode_presentation_body(presentation.body)
        attested, binding = decoded.attestation_claims, decoded.claims
        reveals = [
            f"the checks attested: {checks_in_words(attested.checks)}",
            f"the operator that attested them, {attested.operator}, and its key id",
            f"the attestation's issue time on the operator's grid, {instant(attested.issued_at)}, "
            f"and its expiry, {instant(attested.expires_at)}",
            "a holder public key used for this presentation alone "
            "(each attestation of a batch has its own key and is shown once)",
        ]
        if attested.number_digest is not None:
            reveals.append(
                "a salted digest of the device's number and its salt: enough to confirm the "
                "number typed, and to find the number by trying the numbers of a numbering plan"
            )
        fields = [
            ("verifier", binding.audience),
            ("nonce", binding.nonce.hex()),
            ("operator", attested.operator),
            ("operator key id", decoded.kid.hex()),
            ("checks", _checks(attested.checks)),
            ("issued", instant(attested.issued_at)),
            ("expires", instant(attested.expires_at)),
            ("holder key", f"{attested.holder_key.curve.value} {attested.holder_key.public.hex()}"),
        ]
        if attested.number_digest is not None:
            fields.append(("number digest", attested.number_digest.hex()))
        return Explanation(
            kind=Presentation.KIND,
            title="presentation (phone -> verifier), signed tier",
            summary=(
                f"A phone's answer to {binding.audience}'s request: {attested.operator}'s "
                f"attestation of {_checks(attested.checks)}, bound by the phone's one-time key "
                "to that request's nonce."
            ),
            audience=f"{binding.audience}, the verifier whose request it answers",
            reveals=tuple(reveals),
            until=attested.expires_at,
            until_note="the attestation expires; the request's nonce is answered once",
            fields=tuple(fields),
            notes=(NOT_VERIFIED_NOTE,),
        )

    # -- files ----------------------------------------------------------------------

    def keygen_operator(
        self,
        operator_id: str,
        checks: Sequence[Check],
        *,
        domain: str | None,
        keyset: bytes | None,
        secret: bytes | None,
        clock: Clock,
    ) -> OperatorKeys:
        # The signed tier's key set names this operator alone: an existing file is replaced.
        if domain is not None:
            raise ValueError(
                "--domain names the token tier's issuer names; the signed tier has none"
            )
        key = OperatorKey.generate(operator_id, menu=Menu(frozenset(checks)) if checks else None)
        return OperatorKeys(key.to_bytes(), key.keyset().to_bytes())

    def keygen_holder(
        self,
        wallet: bytes | None,
        checks: Sequence[Check],
        count: int,
        given: PhoneInputs,
        *,
        clock: Clock,
    ) -> tuple[bytes, bytes | None]:
        if not checks:
            raise ValueError("the signed tier asks for attestations of checks: give --check")
        if given != PhoneInputs():
            raise ValueError(
                "the signed tier asks for attestations before any request: --in, --challenge, "
                "--trust-list, --pin, --operator, --directories and --renew are for the token "
                "tier and the credential tier"
            )
        holder = (
            Holder(clock=clock) if wallet is None else Holder.import_wallet(wallet, clock=clock)
        )
        request = holder.request_attestations(checks, count)
        return holder.export_wallet(), request.to_bytes()

    def issue(
        self,
        key: bytes,
        source: SubscriberSource,
        msisdn: str,
        request: bytes,
        *,
        database: str,
        clock: Clock,
    ) -> bytes:
        issuer = OperatorKey.from_bytes(key).issuer(source, clock=clock)
        return issuer.issue(msisdn, request).to_bytes()

    def receive(
        self, wallet: bytes, response: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, int]:
        # With --trust-list and --pin the phone checks each operator signature on arrival.
        holder = Holder.import_wallet(wallet, clock=clock, trust=given.trust)
        try:
            stored = holder.receive(response)
        except (PolicyError, InvalidSignature) as exc:
            raise CommandError(
                EXIT_BAD_INPUT,
                f"the phone refuses the response ({type(exc).__name__}: {exc}); nothing stored",
            ) from None
        return holder.export_wallet(), stored

    def present(
        self, wallet: bytes, request: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, bytes]:
        # With --trust-list and --pin the phone leaves out only checks its operator does
        # not offer; without them it shows an attestation with every check asked.
        holder = Holder.import_wallet(wallet, clock=clock, trust=given.trust)
        presentation = holder.present(request)
        return holder.export_wallet(), presentation.to_bytes()

    def challenge(self, verifier: Verifier, request: Request) -> bytes | None:
        # The signed tier's request is all the phone needs.
        return None


SIGNED = SignedCommandTier()
"""The signed tier's registry entry."""


# -- explanations of the tier's own objects -----------------------------------------------


def _explain_operator_key(data: bytes) -> Explanation:
    key = OperatorKey.from_bytes(data)
    public = key.signing_key.public_key
    return Explanation(
        kind=OPERATOR_KEY_KIND,
        title="operator key (kept by the operator), signed tier",
        summary=(
            f"The signing key of {key.operator_id}: it signs attestations of the checks on "
            "its menu. Its public part is what the operator's key set publishes."
        ),
        audience="the operator alone",
        reveals=(
            "to whoever holds the file: the operator's private key, which signs attestations "
            "every verifier trusting this operator accepts",
        ),
        until=None,
        until_note="",
        fields=(
            ("operator", key.operator_id),
            ("key id", key_id(public).hex()),
            ("public key", f"{public.curve.value} {public.public.hex()}"),
            ("menu", " ".join(key.menu.identifiers())),
        ),
        secret=f"the operator's private {public.curve.value} signing key (not printed)",
    )


def _explain_wallet(data: bytes) -> Explanation:
    holder = Holder.import_wallet(data, clock=SystemClock())
    held = holder.held()
    fields = tuple(
        (f"attestation {index}", _attestation_line(claims))
        for index, claims in enumerate(held, start=1)
    )
    keys = len(held) + holder.pending()
    return Explanation(
        kind=_WALLET,
        title="wallet (kept on the phone), signed tier",
        summary=(
            f"A phone's {plural(len(held), 'unused attestation')} and "
            f"{plural(holder.pending(), 'holder key')} still waiting for an attestation."
        ),
        audience="the phone alone",
        reveals=tuple(
            f"{claims.operator} attests {checks_in_words(claims.checks)}" for claims in held
        )
        or ("no attestation yet",),
        until=max((claims.expires_at for claims in held), default=None),
        until_note="the last attestation expires",
        fields=(*fields, ("pending keys", str(holder.pending()))),
        secret=f"{plural(keys, 'private holder key')}, one per attestation (not printed)",
    )


def _explain_issuance_request(data: bytes) -> Explanation:
    request = IssuanceRequest.from_bytes(data)
    count = len(request.holder_keys)
    curves = sorted({key.curve.value for key in request.holder_keys})
    return Explanation(
        kind=IssuanceRequest.KIND,
        title="issuance request (phone -> operator), signed tier",
        summary=(
            f"A phone asks its operator for {plural(count, 'attestation')} of "
            f"{checks_in_words(request.checks)}, each bound to a fresh holder key."
        ),
        audience="the subscriber's operator, which knows who its subscriber is",
        reveals=(
            f"which checks the subscriber wants attested: {_checks(request.checks)}",
            f"{plural(count, 'fresh holder public key')}, one per attestation",
            "no verifier: nothing in it says where the attestations will be shown",
        ),
        until=None,
        until_note="",
        fields=(
            ("checks", _checks(request.checks)),
            ("holder keys", f"{count} ({', '.join(curves)})"),
        ),
    )


def _explain_issuance_response(data: bytes) -> Explanation:
    response = IssuanceResponse.from_bytes(data)
    attested = _attestations(response)
    first = attested[0]
    salted = sum(issued.number_salt is not None for issued in response.attestations)
    reveals = [
        f"that {checks_in_words(first.checks)} held when issued, as {first.operator} attests",
        "no underlying fact in clear: no date of birth, swap date or number",
    ]
    if salted:
        reveals.append(
            "for number: a salted digest of the number, and the salt the phone reveals "
            "when it presents"
        )
    return Explanation(
        kind=IssuanceResponse.KIND,
        title="issuance response (operator -> phone), signed tier",
        summary=(
            f"{first.operator} attests {_checks(first.checks)} in "
            f"{plural(len(attested), 'attestation')}, each bound to one of the phone's keys."
        ),
        audience="the phone that asked",
        reveals=tuple(reveals),
        until=min(claims.expires_at for claims in attested),
        until_note="the attestations expire",
        fields=tuple(
            (f"attestation {index}", _attestation_line(claims))
            for index, claims in enumerate(attested, start=1)
        ),
    )


# -- the demo ------------------------------------------------------------------------------


class _SignedDemo:
    """The signed tier's demo: the federation's operators and their signing keys, and the
    cases, each attested by another operator."""

    def __init__(self, tier: SignedCommandTier, world: DemoWorld) -> None:
        self.tier, self.world = tier, world
        self._cases = 0
        public = world.federation.federation.operator(OPERATOR_ID).key.signing_key.public_key
        self.description = (
            f"{OPERATOR_ID}'s {public.curve.value} signing key {key_id(public).hex()}, "
            f"{world.federation.signed_key} ({OPERATOR_KEY_FILE}), and a signing key of each "
            "other operator, drawn for this run"
        )

    def skips(self, scenario: Scenario) -> str | None:
        """The signed tier answers every scenario's check."""
        return None

    def run(self, scenario: Scenario, case: Case, progress: Progress) -> CaseResult:
        clock, check = self.world.clock, scenario.check
        operator = self.world.federation.federation.for_case(self._cases)
        self._cases += 1
        operator_id = operator.operator_id
        issuer = operator.key.issuer(self.world.source, clock=clock)
        record = Recorder()
        phone = Holder(clock=clock, trust=self.world.federation.trust)

        progress("the phone asks the operator for an attestation")
        ask = phone.request_attestations([check]).to_bytes()
        record.send(
            "phone",
            "operator",
            IssuanceRequest.KIND,
            ask,
            f"asks for {check.identifier} with one fresh holder key; names no verifier",
        )
        progress("the operator checks its records")
        response: bytes | None = None
        with record.timed("operator issues"):
            try:
                response = issuer.issue(case.subscriber, ask).to_bytes()
            except PolicyError:
                response = None
        attested: AttestationClaims | None = None
        if response is None:
            record.send(
                "operator",
                "phone",
                IssuanceResponse.KIND,
                None,
                "the check does not hold, so the operator issues nothing",
            )
        else:
            phone.receive(response)
            attested = phone.held()[0]
            record.send(
                "operator",
                "phone",
                IssuanceResponse.KIND,
                response,
                f"an attestation of {check.identifier}, valid until {instant(attested.expires_at)}",
            )

        policy = Policy(scenario.verifier_id, (check,), max_age=scenario.max_age)
        answer = ask_and_verify(
            scenario,
            case,
            Verifier(policy, self.world.federation.trust, clock=clock),
            lambda request: phone.present(request).to_bytes(),
            self.tier.explain_presentation,
            "the attestation, bound to this request by the phone's one-time key",
            record,
            progress,
        )
        result, disclosed = answer.result, answer.disclosed
        refusal = refusal_of(response is not None, answer)
        reason = _failure_words(check, answer.failure)
        return CaseResult(
            scenario=scenario,
            case=case,
            tier=_TIER,
            verdict=Verdict.ACCEPTED if result is not None else Verdict.REFUSED,
            refusal=refusal,
            shown=result.checks if result is not None else (),
            disclosed=disclosed,
            explanation=_verdict_words(scenario, operator_id, refusal, reason),
            messages=tuple(record.messages),
            knowledge=_knowledge(scenario, case, operator_id, attested, refusal, disclosed, reason),
            timings=tuple(record.timings),
        )


def _failure_words(check: Check, failure: ZkcheckError | None) -> str:
    if check == NUMBER and isinstance(failure, NotRequested):
        return "the number typed is not the number the operator attested for this device"
    return f"verification failed ({type(failure).__name__})"


def _verdict_words(
    scenario: Scenario, operator_id: str, refusal: Refusal | None, reason: str
) -> str:
    check, verifier = scenario.check.identifier, scenario.verifier
    if refusal is None:
        return f"{check} shown, attested by {operator_id}: the {verifier} {scenario.on_accept}."
    if refusal is Refusal.NOTHING_ISSUED:
        return (
            "the check does not hold, so the operator issued nothing and the phone had nothing "
            f"to show; the {verifier} treats {check} as not shown and {scenario.on_refusal}. "
            'No "no" was issued or sent.'
        )
    if refusal is Refusal.NOTHING_TO_SHOW:
        return (
            "the phone held no attestation this request accepts and sent nothing; the "
            f"{verifier} treats {check} as not shown and {scenario.on_refusal}."
        )
    return (
        f"a presentation came but does not show {check}: {reason}; "
        f"the {verifier} {scenario.on_refusal}."
    )


def _knowledge(
    scenario: Scenario,
    case: Case,
    operator_id: str,
    attested: AttestationClaims | None,
    refusal: Refusal | None,
    disclosed: tuple[str, ...],
    reason: str,
) -> tuple[Knowledge, ...]:
    check = scenario.check
    holds = "it holds" if attested is not None else "it does not hold, so it issued nothing"
    operator = Knowledge(
        "operator",
        (
            f"that its subscriber {case.subscriber} asked for {check.identifier}, and that "
            f"{holds} (as its own records say)",
        ),
        (
            f"that {scenario.verifier_id} will ask (the issuance request names no verifier), or "
            "whether, when and where the attestation is shown",
        ),
    )
    phone = Knowledge(
        "phone",
        (
            f"{operator_id} attests {check.identifier} until {instant(attested.expires_at)}"
            if attested is not None
            else "that the operator issued nothing for this check",
        ),
        (),
    )
    shown = verifier_knowledge(scenario, refusal, disclosed, held="an attestation", reason=reason)
    return (operator, phone, shown)
