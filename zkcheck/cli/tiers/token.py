"""The ``token`` tier on the command line and in the demo (spec/07-token-tier.md).

Everything here goes through the role layer (:class:`~zkcheck.roles.TokenIssuerKeys`,
:class:`~zkcheck.roles.TokenIssuer`, :class:`~zkcheck.roles.TokenHolder`,
:class:`~zkcheck.roles.TokenWallet`, :class:`~zkcheck.roles.Verifier`) and the
token messages of :mod:`zkcheck.encoding.token_messages`; the explanations
decode objects to describe their public parts and verify nothing.

The operator's attester on the command line is
:class:`~zkcheck.roles.InsecureTestAttester`, the test and demonstration
stand-in: ``issue`` trusts the ``--msisdn`` it is given, as a deployment's
attester (network authentication of the SIM, the operator's own app) would
not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from zkcheck.claims import Check, Menu
from zkcheck.cli.exits import EXIT_BAD_INPUT, CommandError
from zkcheck.cli.explain import NOT_VERIFIED_NOTE, Explanation
from zkcheck.cli.federation import DIRECTORIES_FILE, TOKEN_KEY_FILE, token_carries
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
from zkcheck.cli.tiers.base import ATTESTER_NOTE, OperatorKeys, PhoneInputs, TierFiles
from zkcheck.cli.tiers.steps import Answer, ask_and_verify, refusal_of, verifier_knowledge
from zkcheck.cli.words import check_in_words, instant, plural
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.encoding.token import TOKEN_LENGTH, Redemption, decode_token_body, redemption_of
from zkcheck.encoding.token_messages import (
    IssuerDirectories,
    TokenChallengeHeader,
    TokenIssuanceRequest,
    TokenIssuanceResponse,
)
from zkcheck.errors import PolicyError, UntrustedIssuer, ZkcheckError
from zkcheck.roles import (
    InsecureTestAttester,
    Policy,
    TokenHolder,
    TokenIssuer,
    TokenIssuerKeys,
    TokenWallet,
    Verifier,
)
from zkcheck.roles._token import token_challenges
from zkcheck.roles.demo_federation import DemoOperator
from zkcheck.roles.token_holder import TOKEN_WALLET_KIND, offered_token_checks
from zkcheck.roles.token_issuer import TOKEN_ISSUER_KEY_KIND
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock, SystemClock, epoch_seconds
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_list import TrustList

__all__ = ["TOKEN", "TokenCommandTier"]

_TIER = "token"
_FILES = TierFiles(
    operator_key=TOKEN_ISSUER_KEY_KIND,
    wallet=TOKEN_WALLET_KIND,
    issuance_request=TokenIssuanceRequest.KIND,
    issuance_response=TokenIssuanceResponse.KIND,
    challenge=TokenChallengeHeader.KIND,
    published=IssuerDirectories.KIND,
)
_KINDS = frozenset(
    {
        TOKEN_ISSUER_KEY_KIND,
        TOKEN_WALLET_KIND,
        TokenIssuanceRequest.KIND,
        TokenIssuanceResponse.KIND,
        TokenChallengeHeader.KIND,
        IssuerDirectories.KIND,
    }
)
_CACHED_BATCH = 3
"""Tokens a phone fetches at once for a check whose tokens may be cached."""


def _epoch(key: TokenKeyEntry) -> str:
    return f"{instant(key.not_before)} to {instant(key.not_after)}"


class TokenCommandTier:
    """The token tier's contribution to the command (see :class:`~zkcheck.cli.tiers.base.Tier`)."""

    name = _TIER
    title = "Privacy Pass tokens, blind RSA (RFC 9578 type 0x0002), one key per check and epoch"
    noun = "token"
    attester = ATTESTER_NOTE
    kinds = _KINDS
    files = _FILES

    # -- demo ----------------------------------------------------------------------

    def demo(self, world: DemoWorld) -> _TokenDemo:
        return _TokenDemo(world)

    # -- explanations ---------------------------------------------------------------

    def explain(self, kind: str, data: bytes) -> Explanation:
        explainers: dict[str, Callable[[bytes], Explanation]] = {
            TOKEN_ISSUER_KEY_KIND: _explain_issuer_keys,
            TOKEN_WALLET_KIND: _explain_wallet,
            TokenIssuanceRequest.KIND: _explain_token_request,
            TokenIssuanceResponse.KIND: _explain_token_response,
            TokenChallengeHeader.KIND: _explain_challenge,
            IssuerDirectories.KIND: _explain_directories,
        }
        explainer = explainers.get(kind)
        if explainer is None:
            raise ValueError(f"the token tier has no {kind} objects")
        return explainer(data)

    def explain_presentation(self, presentation: Presentation) -> Explanation:
        return _explain_presentation(presentation, None)

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
        menu = Menu(frozenset(checks)) if checks else Menu.default()
        keys = TokenIssuerKeys(
            operator_id,
            domain=domain if domain is not None else f"tokens.{operator_id}",
            now=epoch_seconds(clock.now()),
            menu=menu,
        )
        if not keys.token_keys():
            raise ValueError("the token tier carries none of these checks (never number)")
        existing = None if keyset is None else OperatorKeySet.from_bytes(keyset)
        published = keys.publish(existing)
        directories = keys.directories(epoch_seconds(clock.now()))
        return OperatorKeys(keys.to_bytes(), published.to_bytes(), directories.to_bytes())

    def keygen_holder(
        self,
        wallet: bytes | None,
        checks: Sequence[Check],
        count: int,
        given: PhoneInputs,
        *,
        clock: Clock,
    ) -> tuple[bytes, bytes | None]:
        if checks:
            raise ValueError(
                "the token tier asks for tokens that answer one verifier's request: "
                "give --in, --challenge, --trust-list, --pin and --directories instead of --check"
            )
        if given.renew:
            raise ValueError("--renew renews a credential; the token tier asks per request")
        request, challenge = given.request, given.challenge
        trust, directories = given.trust, given.directories
        if request is None or challenge is None or trust is None or directories is None:
            raise ValueError(
                "the token tier needs the verifier's request (--in) and challenge "
                "(--challenge), the federation's trust list and pinned key (--trust-list, "
                "--pin) and the issuer directories (--directories)"
            )
        tokens = (
            TokenWallet(clock=clock)
            if wallet is None
            else TokenWallet.import_wallet(wallet, clock=clock)
        )
        holder = TokenHolder(
            trust,
            clock=clock,
            directory=IssuerDirectories.from_bytes(directories).document,
            wallet=tokens,
        )
        header = TokenChallengeHeader.from_bytes(challenge).header
        asks = holder.request_tokens(request, header, batch=count, operator_id=given.operator)
        if not asks:
            return tokens.export_wallet(), None
        return tokens.export_wallet(), holder.issuance_request(asks).to_bytes()

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
        attester = InsecureTestAttester()
        issuer = TokenIssuer.with_keys(
            TokenIssuerKeys.from_bytes(key), source, attester, clock=clock
        )
        try:
            return issuer.issue_all(request, attester.enrol(msisdn)).to_bytes()
        except UntrustedIssuer:
            raise CommandError(
                EXIT_BAD_INPUT,
                "the token request names an issuer name or key that this key file does not "
                "hold for the current epoch (keys from an earlier epoch are renewed with "
                "keygen operator --tier token --force, and published again)",
            ) from None

    def receive(
        self, wallet: bytes, response: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, int]:
        tokens = TokenWallet.import_wallet(wallet, clock=clock)
        stored = tokens.receive_issuance(response)
        return tokens.export_wallet(), stored

    def present(
        self, wallet: bytes, request: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, bytes]:
        tokens = TokenWallet.import_wallet(wallet, clock=clock)
        offered = None
        if given.trust is not None:  # which checks each operator answers with tokens
            asked = Request.from_bytes(request)
            offered = offered_token_checks(given.trust, asked, epoch_seconds(clock.now()))
        presentation = tokens.present(request, offered=offered)
        return tokens.export_wallet(), presentation.to_bytes()

    def challenge(self, verifier: Verifier, request: Request) -> bytes | None:
        if _TIER not in request.tiers:
            return None
        return TokenChallengeHeader(verifier.token_challenge_header(request)).to_bytes()


TOKEN = TokenCommandTier()
"""The token tier's registry entry."""


# -- explanations of the tier's objects -----------------------------------------------------


def _explain_presentation(presentation: Presentation, trust_list: TrustList | None) -> Explanation:
    """A token presentation; with ``trust_list``, what each token's key stands for."""
    tokens = decode_token_body(presentation.body)
    fields = [("request nonce", presentation.nonce.hex())]
    reveals: list[str] = []
    ends: list[int] = []
    for index, (_, token) in enumerate(tokens, start=1):
        fields += [
            (f"token {index} key id", token.token_key_id.hex()),
            (f"token {index} nonce", f"{token.nonce.hex()} (random, spent once)"),
            (f"token {index} challenge", token.challenge_digest.hex()),
        ]
        found = None
        if trust_list is not None:
            try:
                found = trust_list.resolve(token.token_key_id)
            except UntrustedIssuer:
                found = None
        if found is None or not isinstance(found[1].material, TokenKeyEntry):
            reveals.append(
                f"token {index}: its key id, which in the federation's trust list names one "
                "operator's key for one check and one epoch: so the check holds, the "
                "operator and the epoch"
            )
            continue
        operator, key = found[0], found[1].material
        ends.append(key.not_after)
        reveals += [
            f"that {key.check.identifier} holds ({check_in_words(key.check)}), as "
            f"{operator.operator_id}'s key for it vouches",
            f"the operator, {operator.operator_id}, and the key's epoch, {_epoch(key)}: "
            "the token's only time",
        ]
    reveals += [
        "a fresh random nonce per token, spent once in the verifier's single-use store",
        "nothing else: the challenge digest is the verifier's own, and there is no number, "
        "date, name or holder key",
    ]
    return Explanation(
        kind=Presentation.KIND,
        title="presentation (phone -> verifier), token tier",
        summary=(
            f"A phone's answer to a request: {plural(len(tokens), 'Privacy Pass token')} "
            "(RFC 9577), one per check, each made for the verifier's own challenge."
        ),
        audience="the verifier whose request it answers (each token redeems once, there)",
        reveals=tuple(reveals),
        until=min(ends) if len(ends) == len(tokens) else None,
        until_note="the first token's key epoch ends; the request's nonce is answered once",
        fields=tuple(fields),
        notes=(
            NOT_VERIFIED_NOTE,
            "which check a token shows is its key's, looked up in the federation's trust "
            "list, and a token redeems only until that key's epoch ends",
        ),
    )


def _explain_issuer_keys(data: bytes) -> Explanation:
    keys = TokenIssuerKeys.from_bytes(data)
    held = keys.token_keys()
    fields = [("operator", keys.operator_id), ("token domain", keys.domain)]
    fields += [
        (
            key.check.identifier,
            f"{key.issuer_name}, epoch {_epoch(key)}, key id {key.token_key_id.hex()}",
        )
        for key in held
    ]
    checks = sorted({key.check.identifier for key in held})
    return Explanation(
        kind=TOKEN_ISSUER_KEY_KIND,
        title="token issuer keys (kept by the operator), token tier",
        summary=(
            f"The token keys of {keys.operator_id}: one RSA-2048 key per check and epoch, "
            f"for {', '.join(checks) or 'no check'}. Their public parts are what the key set "
            "hands the federation for its trust list, and what the issuer directories publish."
        ),
        audience="the operator alone",
        reveals=(
            "to whoever holds the file: the private keys, which mint tokens every verifier "
            "trusting this operator accepts for these checks in these epochs",
        ),
        until=max((key.not_after for key in held), default=None),
        until_note="the last key's epoch ends",
        fields=tuple(fields),
        secret=f"{plural(len(held), 'RSA private key')}, one per check and epoch (not printed)",
    )


def _explain_wallet(data: bytes) -> Explanation:
    wallet = TokenWallet.import_wallet(data, clock=SystemClock())
    held, waiting = wallet.held(), wallet.waiting()
    fields = [
        (
            f"token {index}",
            f"{token.operator_id}: {token.key.check.identifier}, epoch {_epoch(token.key)}",
        )
        for index, token in enumerate(held, start=1)
    ]
    fields += [
        (
            f"waiting {index}",
            f"{ask.operator_id}: {ask.key.check.identifier}, epoch {_epoch(ask.key)}",
        )
        for index, ask in enumerate(waiting, start=1)
    ]
    reveals = [
        f"{token.operator_id} vouches for {token.key.check.identifier} "
        f"({check_in_words(token.key.check)}) in the epoch ending {instant(token.key.not_after)}"
        for token in held
    ] or ["no token yet"]
    return Explanation(
        kind=TOKEN_WALLET_KIND,
        title="token wallet (kept on the phone), token tier",
        summary=(
            f"A phone's {plural(len(held), 'unused token')} and "
            f"{plural(len(waiting), 'token request')} waiting for the operator's answer."
        ),
        audience="the phone alone",
        reveals=tuple(reveals),
        until=max((token.key.not_after for token in held), default=None),
        until_note="the last token's epoch ends",
        fields=tuple(fields),
        secret=(
            f"{plural(len(held), 'bearer token')} (whoever copies one can redeem it once at "
            f"the verifier it was made for) and {plural(len(waiting), 'blinding inverse')} "
            "(not printed)"
        ),
    )


def _explain_token_request(data: bytes) -> Explanation:
    request = TokenIssuanceRequest.from_bytes(data)
    names = sorted({name for name, _ in request.token_requests})
    return Explanation(
        kind=TokenIssuanceRequest.KIND,
        title="token request (phone -> operator), token tier",
        summary=(
            f"A phone asks its operator for {plural(len(request.token_requests), 'token')}: "
            f"{plural(len(request.token_requests), 'blinded TokenRequest')} (RFC 9578), "
            f"sent to {', '.join(names)}."
        ),
        audience="the subscriber's operator, once its attester has authenticated the subscriber",
        reveals=(
            "which checks the phone wants tokens for: one issuer name per check",
            "which of the issuer's keys each is for (the key id's last byte), so the epoch",
            "no verifier and no challenge: they are inside the blinded message, which the "
            "operator signs without reading",
        ),
        until=None,
        until_note="",
        notes=("the operator answers it only while the key it names is the current epoch's",),
        fields=tuple(
            (
                f"request {index}",
                f"{name}, key id ending {request_bytes[2]:02x}, {len(request_bytes)} bytes",
            )
            for index, (name, request_bytes) in enumerate(request.token_requests, start=1)
        ),
    )


def _explain_token_response(data: bytes) -> Explanation:
    response = TokenIssuanceResponse.from_bytes(data)
    count = len(response.token_responses)
    return Explanation(
        kind=TokenIssuanceResponse.KIND,
        title="token response (operator -> phone), token tier",
        summary=(
            f"The operator's blind signatures on {plural(count, 'TokenRequest')} of the "
            "phone's: those whose check holds. The phone unblinds each into a token."
        ),
        audience="the phone that asked",
        reveals=(
            "that the check of each TokenRequest answered held when the operator signed",
            "which TokenRequests got no answer: their check did not hold (no token says 'no')",
            "nothing else: a blind signature of 256 bytes per TokenRequest",
        ),
        until=None,
        until_note="",
        fields=tuple(
            (f"response {index}", f"to request {request_id.hex()[:16]}..., {len(blind)} bytes")
            for index, (request_id, blind) in enumerate(response.token_responses, start=1)
        ),
    )


def _explain_challenge(data: bytes) -> Explanation:
    header = TokenChallengeHeader.from_bytes(data)
    items = header.challenges()
    reveals: list[str] = []
    fields: list[tuple[str, str]] = []
    origins = sorted({name for item in items for name in item.challenge.origin_names})
    for index, item in enumerate(items, start=1):
        challenge = item.challenge
        context = challenge.redemption_context
        reveals.append(
            f"issuer {challenge.issuer_name}: the check asked, of the operator that issues it; "
            + (
                "a redemption context from this request, so the token is fetched for it alone"
                if context
                else "no redemption context, so tokens fetched earlier for this verifier answer"
            )
        )
        fields += [
            (f"challenge {index} issuer", challenge.issuer_name),
            (f"challenge {index} origin", challenge.origin_info or "(any)"),
            (f"challenge {index} context", context.hex() if context else "(empty)"),
        ]
        if item.max_age is not None:
            fields.append((f"challenge {index} max-age", f"{item.max_age} s"))
    reveals.append(f"who asks: {', '.join(origins) or 'any origin'}, the only origin")
    return Explanation(
        kind=TokenChallengeHeader.KIND,
        title="token challenge (verifier -> phone, with the request), token tier",
        summary=(
            f"{', '.join(origins) or 'A verifier'} asks for Privacy Pass tokens: "
            f"{plural(len(items), 'PrivateToken challenge')} (RFC 9577), the WWW-Authenticate "
            "value sent with its request."
        ),
        audience="the phone it is sent to (which checks each field against the request)",
        reveals=tuple(reveals),
        until=None,
        until_note="",
        fields=tuple(fields),
        notes=(
            "every field is derived from the request and the federation's trust list, so a "
            "phone refuses a challenge that carries anything else",
        ),
    )


def _explain_directories(data: bytes) -> Explanation:
    directories = IssuerDirectories.from_bytes(data)
    fields = []
    for name, document in directories.parsed():
        starts = ", ".join(
            "from " + instant(key.not_before) if key.not_before is not None else "no not-before"
            for key in document.token_keys
        )
        fields.append((name, f"{plural(len(document.token_keys), 'key')} ({starts})"))
    return Explanation(
        kind=IssuerDirectories.KIND,
        title="issuer directories (operator -> anyone), token tier",
        summary=(
            f"{plural(len(directories.documents), 'issuer directory', 'issuer directories')} "
            "(RFC 9578 section 4): for each issuer name, where it takes TokenRequests and "
            "its public keys, newest first."
        ),
        audience="public: every phone fetches the same documents",
        reveals=(
            "which checks the operator issues tokens for: one issuer name each",
            "each issuer name's public keys and when each starts (not-before)",
        ),
        until=None,
        until_note="",
        fields=tuple(fields),
        notes=(
            "a phone uses a directory's key only if the federation's trust list lists it for "
            "the epoch",
        ),
    )


# -- the demo ------------------------------------------------------------------------------

NUMBER_NOT_CARRIED = (
    "tokens do not carry number: the operator signs a token blind, so it cannot see, let "
    "alone check, a number bound into it, and a key per number would name one subscriber "
    "(spec/02-checks.md, spec/07-token-tier.md). No token exists for it; the social network "
    "asks in the other tiers."
)


def _issuer_keys(operator: DemoOperator) -> TokenIssuerKeys:
    if operator.token_keys is None:
        raise ValueError(f"{operator.operator_id} issues no tokens in the demo federation")
    return operator.token_keys


class _TokenDemo:
    """The token tier's demo: the federation's token issuers, and the cases, each attested
    by another of them."""

    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self._cases = 0
        self._attester = InsecureTestAttester()
        demo = world.federation
        keys = _issuer_keys(demo.federation.operator(OPERATOR_ID))
        issuers = [operator for operator in demo.federation.operators if operator.token_keys]
        checks = ", ".join(sorted({key.check.identifier for key in keys.token_keys()}))
        self.description = (
            f"{OPERATOR_ID}'s token keys for {checks}, "
            f"{plural(len(keys.token_keys()), 'RSA-2048 key')} (this epoch and the next), "
            f"{demo.token_keys} ({TOKEN_KEY_FILE}, issuer directories in {DIRECTORIES_FILE}); "
            f"{plural(len(issuers), 'operator')} of the federation issue tokens"
        )

    def skips(self, scenario: Scenario) -> str | None:
        if token_carries(scenario.verifier_id, scenario.check):
            return None
        return NUMBER_NOT_CARRIED

    def run(self, scenario: Scenario, case: Case, progress: Progress) -> CaseResult:
        record = Recorder()
        demo = self.world.federation
        operator = demo.federation.for_case(self._cases, tier=_TIER)
        self._cases += 1
        issuer = TokenIssuer.with_keys(
            _issuer_keys(operator), self.world.source, self._attester, clock=self.world.clock
        )
        policy = Policy(
            scenario.verifier_id, (scenario.check,), tiers=(_TIER,), max_age=scenario.max_age
        )
        verifier = Verifier(policy, demo.trust, clock=self.world.clock)
        phone = TokenHolder(
            demo.trust,
            clock=self.world.clock,
            directory=lambda name: self._directory(issuer, name, record),
        )
        fetched: list[tuple[TokenKeyEntry, TokenIssuanceResponse | None]] = []
        answer = ask_and_verify(
            scenario,
            case,
            verifier,
            lambda request: phone.present(request).to_bytes(),
            lambda presentation: _explain_presentation(presentation, demo.trust.current()),
            f"one {TOKEN_LENGTH}-byte token for this request's challenge, nothing else",
            record,
            progress,
            prepare=lambda request: fetched.append(
                self._fetch(scenario, case, issuer, verifier, phone, request, record, progress)
            ),
        )
        key, response = fetched[0]
        refusal = refusal_of(response is not None, answer)
        return CaseResult(
            scenario=scenario,
            case=case,
            tier=_TIER,
            verdict=Verdict.ACCEPTED if answer.result is not None else Verdict.REFUSED,
            refusal=refusal,
            shown=answer.result.checks if answer.result is not None else (),
            disclosed=answer.disclosed,
            explanation=_verdict_words(scenario, operator.operator_id, refusal, answer.failure),
            messages=tuple(record.messages),
            knowledge=_knowledge(
                scenario, case, operator.operator_id, key, refusal, answer, phone.remaining()
            ),
            timings=tuple(record.timings),
        )

    @staticmethod
    def _directory(issuer: TokenIssuer, issuer_name: str, record: Recorder) -> bytes:
        """The issuer directory, as the phone fetches it from its operator."""
        document = issuer.directory(issuer_name)
        record.send(
            "operator",
            "phone",
            "issuer directory",
            document,
            f"the public keys of {issuer_name}, the same for every phone; the phone checks the "
            "current one against the federation's trust list",
        )
        return document

    def _fetch(
        self,
        scenario: Scenario,
        case: Case,
        issuer: TokenIssuer,
        verifier: Verifier,
        phone: TokenHolder,
        request: bytes,
        record: Recorder,
        progress: Progress,
    ) -> tuple[TokenKeyEntry, TokenIssuanceResponse | None]:
        """The challenge sent with ``request``, and the tokens the phone fetches for it: the
        key asked, and the operator's answer (``None``: it signed nothing)."""
        check, name = scenario.check, scenario.verifier
        asked = Request.from_bytes(request)
        header = verifier.token_challenge_header(asked)
        cached = redemption_of(check) is Redemption.CACHED
        issuer_name = issuer.issuer_name(check)
        now = epoch_seconds(self.world.clock.now())
        challenges = len(token_challenges(asked, self.world.federation.trust, now))
        record.send(
            name,
            "phone",
            "WWW-Authenticate",
            header.encode(),
            f"{plural(challenges, 'PrivateToken challenge')}, one per operator on the "
            f"federation's list that issues {check.identifier} tokens (the phone answers its "
            f"own operator's, issuer {issuer_name}), origin {scenario.verifier_id}, "
            + (
                "no redemption context (tokens may be fetched ahead and cached)"
                if cached
                else "a redemption context from this request (the token is fetched for it)"
            ),
        )
        progress("the phone blinds its token requests")
        with record.timed("phone blinds"):
            asks = phone.request_tokens(
                request,
                header,
                batch=_CACHED_BATCH if cached else 1,
                operator_id=issuer.operator_id,
            )
        evidence = self._attester.enrol(case.subscriber)
        record.send(
            "phone",
            "operator",
            "attester evidence",
            evidence,
            "authenticates the subscriber: the credential of InsecureTestAttester, the test "
            "stand-in for SIM authentication",
        )
        record.send(
            "phone",
            "operator",
            "TokenRequest",
            b"".join(ask.token_request for ask in asks),
            f"{plural(len(asks), 'blinded TokenRequest')} to {issuer_name}: the check and the "
            f"key, not {scenario.verifier_id} nor the challenge"
            + (f"; {len(asks) - 1} to keep for later requests" if len(asks) > 1 else ""),
        )
        progress("the operator checks its records")
        response: TokenIssuanceResponse | None = None
        with record.timed("operator issues"):
            try:
                response = issuer.issue_all(phone.issuance_request(asks), evidence)
            except PolicyError:
                response = None
        key = asks[0].key
        if response is None:
            record.send(
                "operator",
                "phone",
                "TokenResponse",
                None,
                f"{check.identifier} does not hold, so the operator signs nothing: no token "
                'exists for "no"',
            )
            return key, None
        record.send(
            "operator",
            "phone",
            "TokenResponse",
            b"".join(answer for _, answer in response.token_responses),
            f"{plural(len(response.token_responses), 'blind signature')} under the "
            f"{check.identifier} key of the epoch {_epoch(key)}",
        )
        with record.timed("phone unblinds"):
            phone.wallet.receive_issuance(response)
        return key, response


def _verdict_words(
    scenario: Scenario, operator_id: str, refusal: Refusal | None, failure: ZkcheckError | None
) -> str:
    check, verifier = scenario.check.identifier, scenario.verifier
    if refusal is None:
        return (
            f"a token under {operator_id}'s {check} key shows {check}: the {verifier} "
            f"{scenario.on_accept}."
        )
    if refusal is Refusal.NOTHING_ISSUED:
        return (
            f"{check} does not hold, so the operator signed nothing and the phone had no token "
            f"to show; the {verifier} treats {check} as not shown and {scenario.on_refusal}. "
            'No token for "no" exists.'
        )
    if refusal is Refusal.NOTHING_TO_SHOW:
        return (
            "the phone held no token this request accepts and sent nothing; the "
            f"{verifier} treats {check} as not shown and {scenario.on_refusal}."
        )
    return (
        f"a token came but does not show {check}: verification failed "
        f"({type(failure).__name__}); the {verifier} {scenario.on_refusal}."
    )


def _knowledge(
    scenario: Scenario,
    case: Case,
    operator_id: str,
    key: TokenKeyEntry,
    refusal: Refusal | None,
    answer: Answer,
    kept: int,
) -> tuple[Knowledge, ...]:
    check = scenario.check.identifier
    signed = refusal is not Refusal.NOTHING_ISSUED
    operator = Knowledge(
        "operator",
        (
            f"that its subscriber {case.subscriber}, authenticated by its attester, asked for "
            f"{check} tokens in the epoch {_epoch(key)}, and that "
            + (
                "the check holds (its own records)"
                if signed
                else "the check does not hold, so it signed nothing"
            ),
        ),
        (
            f"that {scenario.verifier_id} asks: the TokenRequest is blinded and names no "
            "verifier, and the challenge never reaches the operator",
            "the token it signed, or whether, when and where it is redeemed",
        ),
    )
    later = f"; {plural(kept, 'more token')} kept for {scenario.verifier_id}'s later requests"
    phone = Knowledge(
        "phone",
        (
            f"a token of {operator_id} for {check}, good until {instant(key.not_after)}"
            + (later if kept else "")
            if signed
            else "that the operator signed nothing",
        ),
        (),
    )
    crowd = (
        f"which of the subscribers {operator_id} signed a {check} token for in that epoch "
        "it is: the token is unlinkable to its issuance"
    )
    verifier = verifier_knowledge(
        scenario,
        refusal,
        answer.disclosed,
        held="a token",
        reason=f"verification failed ({type(answer.failure).__name__})",
        unlinked=(crowd,),
    )
    return (operator, phone, verifier)
