"""The ``credential`` tier on the command line, in the demo and in ``inspect``
(spec/08-credential-tier.md, spec/13-pseudonyms.md).

On the command line every party's step reads and writes files, as in the
other tiers::

    operator:  keygen operator --tier credential  ->  credential-issuer.key (secret: its BBS
                                                      keys), operators.keyset (for the list)
    phone:     keygen holder --tier credential    ->  phone.credentials (secret: the holder
                                                      secret), credential-request.cbor
    operator:  issue                              ->  credential-response.cbor (a blind
                                                      signature; the subscriber's pseudonym
                                                      record in the subscriber database)
    phone:     receive                            ->  phone.credentials (the credential)
    phone:     present [--origin]                 ->  presentation.cbor, a fresh proof each time
    phone:     keygen holder --renew              ->  a renewal carrying the pseudonym secret over

The phone's steps take the federation's trust list and pinned key: it checks
the operator's key before it stores a credential, and each operator's menu
before it proves anything. A request that asks for a pseudonym is answered
for the verifier identity the phone's application authenticated
(``--origin``), never for the identity the request names. The operator's
attester is :class:`~zkcheck.roles.InsecureTestAttester`: ``issue`` takes
``--msisdn`` on trust, and says so.

The demo runs each scenario whose check the tier answers: ``number`` by
disclosure, ``age_over`` and the swap checks by predicate proofs over the
hidden date of birth, swap time and issue time (spec/09-predicate-proofs.md);
a live check would be listed as not run, with the reason. The transcript says
what the verifier learned from the proof ("at least 18 on <the verifier's
date>"), never the hidden value. Each subscriber has one phone for the whole
run, which renews its credential at every case by carrying its pseudonym
secret over; a verifier that opens one account per person asks for its
pseudonym, refuses a second sign-up from the same phone, and another such
verifier sees another pseudonym. The demo operator keeps its BBS keys in the
demo's state (``credential-issuer.key``), the other operators draw theirs for
each run. Everything goes through the role layer; nothing here computes
cryptography.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time

from zkcheck.claims import Check, CheckKind, Menu
from zkcheck.cli.exits import EXIT_BAD_INPUT, EXIT_REFUSED, CommandError
from zkcheck.cli.explain import NOT_VERIFIED_NOTE, Explanation
from zkcheck.cli.federation import CREDENTIAL_KEY_FILE
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
from zkcheck.cli.tiers.base import ATTESTER_NOTE, OperatorKeys, PhoneInputs, TierFiles
from zkcheck.cli.tiers.steps import Answer, ask_and_verify, refusal_of
from zkcheck.cli.words import check_in_words, instant, plural
from zkcheck.encoding.credential import (
    PRESENTATION_VERSION,
    CredentialEvidence,
    CredentialRequest,
    CredentialResponse,
)
from zkcheck.encoding.messages import Presentation, Request, check_identifier
from zkcheck.errors import (
    DecodeError,
    InvalidProof,
    InvalidSignature,
    NotRequested,
    PolicyError,
)
from zkcheck.roles import (
    CredentialHolder,
    CredentialIssuer,
    CredentialIssuerKeys,
    CredentialWallet,
    InsecureTestAttester,
    Policy,
    SQLiteNymRecords,
    VerifiedResult,
    Verifier,
)
from zkcheck.roles._credential import answered_checks
from zkcheck.roles.credential_holder import CREDENTIAL_WALLET_KIND
from zkcheck.roles.credential_issuer import CREDENTIAL_ISSUER_KEY_KIND
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.keyset import OperatorKeySet

__all__ = ["CREDENTIAL", "CredentialCommandTier"]

_TIER = "credential"
EPOCH_DAY = date(1970, 1, 1).toordinal()
_FILES = TierFiles(
    operator_key=CREDENTIAL_ISSUER_KEY_KIND,
    wallet=CREDENTIAL_WALLET_KIND,
    issuance_request=CredentialRequest.KIND,
    issuance_response=CredentialResponse.KIND,
)
_KINDS = frozenset(
    {
        CREDENTIAL_ISSUER_KEY_KIND,
        CREDENTIAL_WALLET_KIND,
        CredentialRequest.KIND,
        CredentialResponse.KIND,
    }
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
    attester = ATTESTER_NOTE
    kinds = _KINDS
    files = _FILES

    def demo(self, world: DemoWorld) -> _CredentialDemo:
        return _CredentialDemo(self, world)

    def explain(self, kind: str, data: bytes) -> Explanation:
        explainers: dict[str, Callable[[bytes], Explanation]] = {
            CREDENTIAL_ISSUER_KEY_KIND: _explain_issuer_keys,
            CREDENTIAL_WALLET_KIND: _explain_wallet,
            CredentialRequest.KIND: _explain_request,
            CredentialResponse.KIND: _explain_response,
        }
        explainer = explainers.get(kind)
        if explainer is None:
            raise ValueError(f"the credential tier has no {kind} objects")
        return explainer(data)

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
        if domain is not None:
            raise ValueError(
                "--domain names the token tier's issuer names; the credential tier has none"
            )
        now = epoch_seconds(clock.now())
        if secret is None:
            keys = CredentialIssuerKeys(operator_id, now=now)
        else:
            # Renewed, not replaced: every key made before stays known, so that credentials
            # under them still carry their pseudonym secrets over.
            try:
                keys = CredentialIssuerKeys.from_bytes(secret)
            except DecodeError as exc:
                raise CommandError(EXIT_BAD_INPUT, f"the key file to renew: {exc}") from None
            if keys.operator_id != operator_id:
                raise ValueError(f"the key file holds the credential keys of {keys.operator_id}")
            keys.rotate(now)
        existing = None if keyset is None else OperatorKeySet.from_bytes(keyset)
        menu = Menu(frozenset(checks)) if checks else None
        return OperatorKeys(keys.to_bytes(), keys.publish(existing, menu).to_bytes())

    def keygen_holder(
        self,
        wallet: bytes | None,
        checks: Sequence[Check],
        count: int,
        given: PhoneInputs,
        *,
        clock: Clock,
    ) -> tuple[bytes, bytes | None]:
        if checks or count != 1:
            raise ValueError(
                "a credential carries every fact its operator signs and is shown any number "
                "of times; the checks are chosen at each presentation: give no --check or --count"
            )
        if given.request is not None or given.challenge is not None or given.directories:
            raise ValueError("--in, --challenge and --directories are for the token tier")
        trust, operator_id = given.trust, given.operator
        if trust is None or operator_id is None:
            raise ValueError(
                "the credential tier asks the phone's operator (--operator), whose keys it "
                "checks in the federation's trust list (--trust-list, --pin)"
            )
        if trust.operator(operator_id) is None:
            raise ValueError(f"{operator_id} is not an operator in good standing on the trust list")
        held = CredentialWallet() if wallet is None else CredentialWallet.import_wallet(wallet)
        holds = any(credential.operator_id == operator_id for credential in held.held())
        if given.renew and not holds:
            raise ValueError(f"the wallet holds no credential of {operator_id} to renew")
        if holds and not given.renew:
            raise ValueError(
                f"the wallet holds a credential of {operator_id}: renew it with --renew, which "
                "carries its pseudonym secret over (the operator refuses a second secret)"
            )
        holder = CredentialHolder(trust, clock=clock, wallet=held)
        request = holder.request_credential(operator_id)
        return held.export_wallet(), request.to_bytes()

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
        keys = CredentialIssuerKeys.from_bytes(key)
        if keys.signing_key(epoch_seconds(clock.now())) is None:
            raise CommandError(
                EXIT_BAD_INPUT,
                "the key file holds no credential key for the current epoch (keys are "
                "renewed with keygen operator --tier credential --force, and listed again)",
            )
        attester = InsecureTestAttester()
        records = SQLiteNymRecords(database, keys.operator_id)
        issuer = CredentialIssuer(
            keys.operator_id, source, attester, clock=clock, keys=keys, nym_records=records
        )
        try:
            return issuer.issue(attester.enrol(msisdn), request).to_bytes()
        except (InvalidProof, InvalidSignature):
            raise CommandError(
                EXIT_BAD_INPUT, "the credential request's proof does not verify: nothing issued"
            ) from None
        except PolicyError as exc:
            raise CommandError(EXIT_REFUSED, f"nothing issued: {exc}") from None
        finally:
            records.close()

    def receive(
        self, wallet: bytes, response: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, int]:
        trust = _phone_trust(given)
        held = CredentialWallet.import_wallet(wallet)
        answer = CredentialResponse.from_bytes(response)
        try:
            # The response names its key; the trust list names the key's operator, whose
            # request it must answer (the holder checks everything again).
            operator, _ = trust.find_credential_key(answer.key_id, epoch_seconds(clock.now()))
            CredentialHolder(trust, clock=clock, wallet=held).receive(operator.operator_id, answer)
        except (PolicyError, InvalidSignature) as exc:
            raise CommandError(
                EXIT_BAD_INPUT,
                f"the phone refuses the response ({type(exc).__name__}: {exc}); nothing stored",
            ) from None
        return held.export_wallet(), 1

    def present(
        self, wallet: bytes, request: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, bytes]:
        trust = _phone_trust(given)
        asked = Request.from_bytes(request)
        origin = given.origin
        if asked.pseudonym and origin is None:
            raise ValueError(
                f"{asked.verifier_id}'s request asks for a pseudonym: give --origin, the "
                "verifier identity the phone's application authenticated"
            )
        if origin is not None:
            try:
                check_identifier(origin, "--origin")
            except DecodeError:
                raise ValueError(
                    "--origin is a verifier identity, such as social.example"
                ) from None
        held = CredentialWallet.import_wallet(wallet)
        holder = CredentialHolder(trust, clock=clock, wallet=held)
        return held.export_wallet(), holder.present(asked, origin=origin).to_bytes()

    def challenge(self, verifier: Verifier, request: Request) -> bytes | None:
        # The credential tier's request is all the phone needs.
        return None


def _phone_trust(given: PhoneInputs) -> TrustAnchors:
    if given.trust is None:
        raise ValueError(
            "the credential tier checks the operator's key and menu in the federation's "
            "trust list: give --trust-list and --pin"
        )
    return given.trust


CREDENTIAL = CredentialCommandTier()
"""The credential tier's registry entry."""


def _epoch(key: CredentialKeyEntry) -> str:
    return f"epoch {instant(key.not_before)} to {instant(key.not_after)}"


def _explain_issuer_keys(data: bytes) -> Explanation:
    keys = CredentialIssuerKeys.from_bytes(data)
    held, earlier = keys.credential_keys(), keys.earlier_keys()
    fields = [("operator", keys.operator_id), ("epoch length", f"{keys.epoch_length} s")]
    fields += [(f"key {key.key_id.hex()}", f"{_epoch(key)}, signs in it") for key in held]
    fields += [
        (f"earlier key {key.key_id.hex()}", f"{_epoch(key)}, secret key gone") for key in earlier
    ]
    return Explanation(
        kind=CREDENTIAL_ISSUER_KEY_KIND,
        title="credential issuer keys (kept by the operator), credential tier",
        summary=(
            f"The BBS keys of {keys.operator_id}: one per epoch, this epoch's and the next's, "
            "whose public parts the key set hands the federation for its trust list; and the "
            f"public keys of {plural(len(earlier), 'earlier key')}, kept so that a credential "
            "under one can still be renewed with its pseudonym secret."
        ),
        audience="the operator alone",
        reveals=(
            "to whoever holds the file: the secret keys, which sign credentials of any facts "
            "that every verifier trusting this operator accepts",
        ),
        until=max((key.not_after for key in held), default=None),
        until_note="the last key's epoch ends; keygen operator --force renews the keys",
        fields=tuple(fields),
        secret=f"{plural(len(held), 'BBS secret key')}, one per epoch (not printed)",
    )


def _explain_wallet(data: bytes) -> Explanation:
    wallet = CredentialWallet.import_wallet(data)
    held, waiting = wallet.held(), wallet.waiting()
    fields = [
        (
            f"credential {index}",
            f"{entry.operator_id}, key {entry.key_id.hex()}, issued "
            f"{instant(_hour(entry.issue_hour))}, expires {instant(day_start(entry.expiry_day))}",
        )
        for index, entry in enumerate(held, start=1)
    ]
    fields += [
        (
            f"waiting {index}",
            f"{entry.operator_id}: "
            + (
                "a renewal carrying the pseudonym secret over"
                if entry.renewal
                else "a first request"
            ),
        )
        for index, entry in enumerate(waiting, start=1)
    ]
    return Explanation(
        kind=CREDENTIAL_WALLET_KIND,
        title="credential wallet (kept on the phone), credential tier",
        summary=(
            f"A phone's holder secret, {plural(len(held), 'credential')} and "
            f"{plural(len(waiting), 'credential request')} waiting for the operator's response."
        ),
        audience="the phone alone",
        reveals=tuple(
            f"{entry.operator_id} signed the subscriber's facts (birth date, swap times, number, "
            f"contract start, home country) until {instant(day_start(entry.expiry_day))}"
            for entry in held
        )
        or ("no credential yet",),
        until=max((day_start(entry.expiry_day) for entry in held), default=None),
        until_note="the last credential expires; an expired one still renews",
        fields=tuple(fields),
        secret=(
            f"the holder secret, and a blind and a pseudonym secret for each of "
            f"{plural(len(held), 'credential')} and {plural(len(waiting), 'waiting request')}: "
            "whoever copies them proves what the credentials say under the phone's "
            "pseudonyms (not printed, nor are the credentials' facts)"
        ),
    )


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
            f"{OPERATOR_ID}'s BBS keys for this epoch and the next "
            f"({', '.join(key.key_id.hex() for key in keys)}), {world.federation.credential_keys} "
            f"({CREDENTIAL_KEY_FILE}); every other operator's drawn for this run; the "
            "operators keep their subscribers' pseudonym records for the run"
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
