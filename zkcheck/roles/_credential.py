"""The ``credential`` tier: blind-issued BBS credentials and their presentations
(spec/08-credential-tier.md, spec/09-predicate-proofs.md).

What a request asks of a credential, for the holder and the verifier alike
(section "What each check discloses"): every presentation discloses the
type (index 0, the value supplied by the verifier) and the expiry (index 2,
the value carried); ``number`` also discloses the number's hash (index 7),
the value supplied by the verifier from the number it was given. Every other
index stays hidden. The checks that need predicate proofs (``age_over``,
``tenure``, the swap checks) are not answered by this version; live checks
(``country``, ``reachable``) never are in this tier.

:class:`CredentialTier` verifies a presentation body against the verifier's
own stored request: it decodes the body, finds the key by its id, checks the
expiry against the request's time, derives the disclosed values, the
statements and the presentation header from the stored request alone, and
runs the presentation verifier, whose pairing comes last. The key is found
in the trust anchors at the instant of verification: the trust list accepts a
credential key from its epoch's start until the credentials it signed have
expired, and refuses it (:class:`~zkcheck.errors.Expired`) outside that window.

A request that asks for a pseudonym gets one pseudonym block
(spec/13-pseudonyms.md) for a verifier identity: on the holder's side the
one its application authenticated, on the verifier's side its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from zkcheck.claims import NUMBER, Check, is_e164, sort_checks
from zkcheck.encoding.credential import CredentialEvidence
from zkcheck.encoding.messages import Request
from zkcheck.errors import Expired, NotRequested, UntrustedIssuer
from zkcheck.hazmat import presentation
from zkcheck.hazmat.credential import (
    EXPIRY_OFFSET_DAYS,
    TYPE_VERSION,
    Index,
    day_of_time,
    day_start,
    msisdn_scalar,
)
from zkcheck.hazmat.credential_pseudonym import PseudonymBlock, context_id
from zkcheck.hazmat.predicate_parameters import TIME_TOLERANCE
from zkcheck.hazmat.presentation import PresentationProof, Statement
from zkcheck.roles._tiers import Evidence, VerificationContext
from zkcheck.roles.policy import Policy
from zkcheck.trust.credential_keys import EXPIRY_SKEW_DAYS

__all__ = [
    "EXPIRY_SKEW_DAYS",
    "TIER",
    "TIME_TOLERANCE",
    "CredentialTier",
    "answered_checks",
    "disclosed_indexes",
    "pseudonym_blocks",
    "statements",
]

TIER = "credential"

_ALWAYS_DISCLOSED = (Index.TYPE_VERSION, Index.EXPIRY_DAY)


def answered_checks(checks: Iterable[Check]) -> tuple[Check, ...]:
    """The checks of a request, in wire order, if this tier answers every one of them.

    Raises :class:`NotRequested` otherwise: a presentation answers the whole
    request or nothing, so that leaving a check out never says "no".
    """
    asked = sort_checks(checks)
    if not asked or any(check != NUMBER for check in asked):
        raise NotRequested("the credential tier does not answer every check asked")
    return asked


def disclosed_indexes(checks: Iterable[Check]) -> tuple[int, ...]:
    """The disclosed indexes for ``checks``, ascending."""
    extra = (Index.MSISDN_HASH,) if NUMBER in checks else ()
    return tuple(sorted((*_ALWAYS_DISCLOSED, *extra)))


def statements(request: Request) -> tuple[Statement, ...]:
    """The predicate statements of ``request`` in canonical order: none in this version,
    whose checks are answered by disclosure alone."""
    answered_checks(request.checks)
    return ()


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
        """Every policy can be configured: a check this version does not answer is
        refused when a presentation shows it (:func:`answered_checks`)."""

    def verify(self, body: bytes, context: VerificationContext) -> Evidence:
        request = context.request
        # 1. The body decodes, with layout version 1 (DecodeError).
        evidence = CredentialEvidence.from_bytes(body)
        # 3. The key, by its id, in the trust anchors, accepted now (UntrustedIssuer, Expired).
        operator, key = context.trust.find_credential_key(evidence.key_id, context.now)
        # 4. The expiry is a Monday after the request's day and at most 15 days after it.
        today = day_of_time(request.time)
        expiry = evidence.expiry_day
        if (expiry - 1) % 7 or not today < expiry <= today + EXPIRY_OFFSET_DAYS + EXPIRY_SKEW_DAYS:
            raise Expired("credential expired or not on the weekly grid")
        # The key's epoch must contain part of the issue week, the only issue time
        # the verifier learns.
        issue_week = day_start(expiry - EXPIRY_OFFSET_DAYS)
        if not key.overlaps(issue_week, issue_week + 7 * 86400):
            raise UntrustedIssuer("the key was not in use in the credential's issue week")
        # 5. Disclosed values, statements and ph, from the stored request alone.
        checks = answered_checks(request.checks)
        disclosed = {Index.TYPE_VERSION: TYPE_VERSION, Index.EXPIRY_DAY: expiry}
        if NUMBER in checks:
            number = context.number
            if number is None or not is_e164(number):
                raise NotRequested("the number check needs the E.164 number the user typed")
            disclosed[Index.MSISDN_HASH] = msisdn_scalar(number)
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
            statements=statements(request),
            pseudonyms=pseudonym_blocks(request, request.verifier_id),
        )
        return Evidence(
            operator,
            checks,
            issued_at=issue_week,
            expires_at=day_start(expiry),
            pseudonym=evidence.pseudonym,
        )
