"""The ``credential`` tier: blind-issued BBS credentials and their presentations
(spec/08-credential-tier.md, spec/09-predicate-proofs.md).

What a request asks of a credential, for the holder and the verifier alike,
is decided here and nowhere else (section "What each check discloses"):

- every presentation discloses the type (index 0, the value supplied by the
  verifier) and the expiry (index 2, the value carried); ``number`` also
  discloses the number's hash (index 7), the value supplied by the verifier
  from the number it was given;
- ``age_over``, ``tenure``, ``sim_swap``, ``device_swap`` and
  ``home_country_in`` are predicates over hidden attributes (chapter 9), each
  on the attribute the layout names, at the request's time; any swap check
  adds one freshness predicate on the hidden issue hour, with the request's
  maximum attestation age as its bound;
- live checks (``country``, ``reachable``) are never answered in this tier.

Freshness in this tier. The verifier's shared policy steps measure the age of
an attestation from its issue time. A credential discloses its issue time only
to the week, so :func:`issue_time_bound` reports the earliest issue time the
presentation proves: the start of the issue week, or, when a swap check is
asked, the later bound ``3600 * (hour_ceil(t) - F)`` that the hidden freshness
predicate proves. Both are evaluated at the request's time ``t``, as the
predicates are (:attr:`~zkcheck.roles._tiers.Evidence.evaluated_at`), so a
swap check's freshness never rests on a disclosed time and never depends on
how long the presentation took to arrive.

Presentations are of chapter 9's version 2 (:data:`VERSION`), whose range
predicates share one aggregated range proof; the holder makes no other
version and the verifier accepts no other: a body of another version is
refused when it is decoded, and a proof of another version fails, since the
version's identifier is the first item its challenge hashes.

:class:`CredentialTier` verifies a presentation body against the verifier's
own stored request: it decodes the body, finds the key by its id, checks the
expiry against the request's time, derives the disclosed values, the
statements and the presentation header from the stored request alone, and
runs the presentation verifier of version 2, whose pairing comes last. The key is found
in the trust anchors at the instant of verification: the trust list accepts a
credential key from its epoch's start until the credentials it signed have
expired, and refuses it (:class:`~zkcheck.errors.Expired`) outside that window.

A request that asks for a pseudonym gets one pseudonym block
(spec/13-pseudonyms.md) for a verifier identity: on the holder's side the
one its application authenticated, on the verifier's side its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from zkcheck.claims import COUNTRY_SETS, NUMBER, Check, CheckKind, FactKind, is_e164, sort_checks
from zkcheck.encoding.credential import CredentialEvidence
from zkcheck.encoding.messages import Request
from zkcheck.errors import Expired, NotRequested, UntrustedIssuer
from zkcheck.hazmat import predicate_statements as statements
from zkcheck.hazmat import presentation
from zkcheck.hazmat.credential import (
    EXPIRY_OFFSET_DAYS,
    TYPE_VERSION,
    Index,
    country_code,
    day_of_time,
    day_start,
    msisdn_scalar,
)
from zkcheck.hazmat.credential_pseudonym import PseudonymBlock, context_id
from zkcheck.hazmat.predicate_parameters import FRESHNESS_MENU, TIME_TOLERANCE
from zkcheck.hazmat.predicates import Predicate, predicate
from zkcheck.hazmat.presentation import VERSION_2, PresentationProof, Statement
from zkcheck.roles._tiers import Evidence, VerificationContext
from zkcheck.roles.policy import Policy
from zkcheck.trust.credential_keys import EXPIRY_SKEW_DAYS, CredentialKeyEntry

__all__ = [
    "EXPIRY_SKEW_DAYS",
    "TIER",
    "TIME_TOLERANCE",
    "VERSION",
    "CredentialTier",
    "answered_checks",
    "disclosed_indexes",
    "freshness_hours",
    "in_use_in_issue_week",
    "issue_time_bound",
    "predicate_statements",
    "predicates",
    "pseudonym_blocks",
]

TIER = "credential"

VERSION = VERSION_2
"""The version of chapter 9's presentation this tier makes and accepts, and no other."""

_ALWAYS_DISCLOSED = (Index.TYPE_VERSION, Index.EXPIRY_DAY)

_ATTRIBUTES: Mapping[CheckKind, Index] = {
    CheckKind.AGE_OVER: Index.BIRTH_DAY,
    CheckKind.TENURE: Index.CONTRACT_START_DAY,
    CheckKind.SIM_SWAP: Index.SIM_CHANGE_HOUR,
    CheckKind.DEVICE_SWAP: Index.DEVICE_CHANGE_HOUR,
    CheckKind.HOME_COUNTRY_IN: Index.HOME_COUNTRY,
}
"""The hidden attribute each predicate check is about, by the layout's index."""

_RANGES = {
    CheckKind.AGE_OVER: statements.age_over,
    CheckKind.TENURE: statements.tenure,
    CheckKind.SIM_SWAP: statements.sim_swap,
    CheckKind.DEVICE_SWAP: statements.device_swap,
}
"""The range statement of each range check (chapter 9's statement table)."""


def answered_checks(checks: Iterable[Check]) -> tuple[Check, ...]:
    """The checks of a request, in wire order, if this tier answers every one of them.

    Raises :class:`NotRequested` otherwise: a presentation answers the whole
    request or nothing, so that leaving a check out never says "no". Besides
    the live checks, a request with two checks on one attribute (two ages, for
    instance) is not answered: a presentation proves one statement per
    attribute.
    """
    asked = sort_checks(checks)
    if not asked or any(check != NUMBER and check.kind not in _ATTRIBUTES for check in asked):
        raise NotRequested("the credential tier does not answer every check asked")
    attributes = [_ATTRIBUTES[check.kind] for check in asked if check != NUMBER]
    if len(set(attributes)) != len(attributes):
        raise NotRequested("the credential tier answers one check per attribute")
    return asked


def disclosed_indexes(checks: Iterable[Check]) -> tuple[int, ...]:
    """The disclosed indexes for ``checks``, ascending."""
    extra = (Index.MSISDN_HASH,) if NUMBER in checks else ()
    return tuple(sorted((*_ALWAYS_DISCLOSED, *extra)))


def freshness_hours(checks: Iterable[Check], max_age: int) -> int | None:
    """F, the freshness bound of the swap checks, from the request's maximum age; ``None``
    when no swap check is asked.

    The maximum age must then be a whole number of hours on the freshness menu
    (:class:`NotRequested` otherwise), so that a verifier cannot search the
    hidden issue hour with moving bounds.
    """
    if not any(check.fact_kind is FactKind.AS_OF_ISSUE for check in checks):
        return None
    hours, seconds = divmod(max_age, 3600)
    if seconds or hours not in FRESHNESS_MENU:
        menu = ", ".join(f"{3600 * hours} s" for hours in FRESHNESS_MENU)
        raise NotRequested(f"a swap check in the credential tier needs a maximum age of {menu}")
    return hours


def predicate_statements(
    request: Request,
) -> tuple[statements.RangeStatement | statements.MembershipStatement, ...]:
    """The predicate statements of ``request``, in canonical order (chapter 9, "Statements").

    Derived from the request alone: each check's parameter and attribute
    index (from the layout), the request's time, the set's members, and the
    freshness bound. :class:`NotRequested` when the request asks what this
    tier cannot prove (a time whose cutoffs fall outside the layout's range).
    """
    checks = answered_checks(request.checks)
    t = request.time
    made: list[statements.RangeStatement | statements.MembershipStatement] = []
    try:
        for check in checks:
            kind, parameter = check.kind, check.parameter
            if kind is CheckKind.HOME_COUNTRY_IN and isinstance(parameter, str):
                values = [country_code(member) for member in COUNTRY_SETS[parameter]]
                made.append(statements.home_country_in(parameter, values, t, Index.HOME_COUNTRY))
            elif kind in _RANGES and isinstance(parameter, int):
                made.append(_RANGES[kind](parameter, t, _ATTRIBUTES[kind]))
        freshness = freshness_hours(checks, request.max_age)
        if freshness is not None:
            made.append(statements.issued_within(freshness, t, Index.ISSUE_HOUR))
    except ValueError:
        raise NotRequested(
            "the request's time is outside what the credential tier proves"
        ) from None
    return statements.canonical_order(made)


def predicates(
    derived: Sequence[statements.RangeStatement | statements.MembershipStatement],
) -> tuple[Predicate, ...]:
    """The statements as the predicates of a presentation of :data:`VERSION`."""
    return tuple(predicate(statement, VERSION) for statement in derived)


def issue_time_bound(request: Request, expiry_day: int) -> int:
    """The earliest issue time a presentation of a credential expiring on ``expiry_day``
    proves for ``request``, as a NumericDate.

    The start of the issue week, the only issue time the layout discloses; with
    a swap check, the freshness predicate proves the issue hour is at least
    ``hour_ceil(t) - F``, and the later of the two bounds is reported.
    """
    week = day_start(expiry_day - EXPIRY_OFFSET_DAYS)
    freshness = freshness_hours(request.checks, request.max_age)
    if freshness is None:
        return week
    return max(week, 3600 * statements.freshness_cutoff(request.time, freshness))


def in_use_in_issue_week(key: CredentialKeyEntry, expiry_day: int) -> bool:
    """Whether ``key``'s epoch contains part of the issue week of a credential expiring on
    ``expiry_day``: the issue week is the only issue time a verifier learns
    (spec/08-credential-tier.md, verification step 4)."""
    issue_week = day_start(expiry_day - EXPIRY_OFFSET_DAYS)
    return key.overlaps(issue_week, issue_week + 7 * 86400)


def pseudonym_blocks(request: Request, verifier_identity: str) -> tuple[Statement, ...]:
    """The pseudonym blocks of ``request``: one, for the context of ``verifier_identity``,
    when the request asks for a pseudonym; none otherwise.

    The identity is never the request's ``verifier_id`` on the holder's side,
    but the one its application authenticated (spec/13-pseudonyms.md,
    "Context identifiers").
    """
    return (PseudonymBlock(context_id(verifier_identity)),) if request.pseudonym else ()


class CredentialTier:
    """Verification of a ``credential`` presentation body (spec/08-credential-tier.md,
    "Verifier: presentation verification")."""

    name = TIER

    def check_policy(self, policy: Policy) -> None:
        """A swap check needs a maximum age of whole hours on the freshness menu, the
        bound of the hidden freshness predicate (:class:`NotRequested` otherwise); every
        other policy can be configured, and a check this tier does not answer is refused
        when a presentation shows it (:func:`answered_checks`)."""
        freshness_hours(policy.checks, policy.max_age)

    def verify(self, body: bytes, context: VerificationContext) -> Evidence:
        request = context.request
        # 2. The evidence decodes, with layout version 1 and presentation version 2 (DecodeError).
        evidence = CredentialEvidence.from_bytes(body)
        # 3. The key, by its id, in the trust anchors, accepted now (UntrustedIssuer, Expired).
        operator, key = context.trust.find_credential_key(evidence.key_id, context.now)
        # 4. The expiry is a Monday after the request's day and at most 15 days after it.
        today = day_of_time(request.time)
        expiry = evidence.expiry_day
        if (expiry - 1) % 7 or not today < expiry <= today + EXPIRY_OFFSET_DAYS + EXPIRY_SKEW_DAYS:
            raise Expired("credential expired or not on the weekly grid")
        if not in_use_in_issue_week(key, expiry):
            raise UntrustedIssuer("the key was not in use in the credential's issue week")
        # 5. Disclosed values, statements and ph, from the stored request alone.
        checks = answered_checks(request.checks)
        disclosed = {Index.TYPE_VERSION: TYPE_VERSION, Index.EXPIRY_DAY: expiry}
        if NUMBER in checks:
            number = context.number
            if number is None or not is_e164(number):
                raise NotRequested("the number check needs the E.164 number the user typed")
            disclosed[Index.MSISDN_HASH] = msisdn_scalar(number)
        derived = predicate_statements(request)
        # 6. The presentation verifier (DecodeError, InvalidProof), pairing last.
        # The pseudonym's context is this verifier's own identity: a presentation made
        # for another context fails here. A pseudonym that was not asked for, or is
        # missing, has the wrong length for the request (DecodeError).
        presentation.verify(
            key.public_key,
            PresentationProof(
                evidence.bbs_proof, evidence.predicate_proof, evidence.pseudonym or b""
            ),
            {int(index): value for index, value in disclosed.items()},
            context.request_digest,
            version=VERSION,
            statements=predicates(derived),
            pseudonyms=pseudonym_blocks(request, request.verifier_id),
        )
        # The shared policy steps measure at the request's time, as the predicates do.
        return Evidence(
            operator,
            checks,
            issued_at=issue_time_bound(request, expiry),
            expires_at=day_start(expiry),
            pseudonym=evidence.pseudonym,
            evaluated_at=request.time,
        )
