"""The ``token`` tier: Privacy Pass tokens, one issuer key per check and epoch
(spec/07-token-tier.md).

A token that verifies under the operator's key for a check is itself the
answer "yes": the operator signs blind only when the check holds, and there
is no key for "no". The verifier sends, alongside its request, one RFC 9577
challenge per check (:func:`challenge_header`); the holder answers with the
tokens in a presentation body; verification derives each challenge again
from the verifier's own stored request, so a token made for another
verifier, request or check does not verify here, and hands every token nonce
to the shared nonce store to be spent with the request nonce.
"""

from __future__ import annotations

import hmac

from zkcheck.claims import NUMBER, sort_checks
from zkcheck.encoding.messages import Request
from zkcheck.encoding.token import (
    Redemption,
    check_server_name,
    decode_token_body,
    redemption_of,
    refuse_number,
    spend_key,
    token_challenge,
)
from zkcheck.errors import DecodeError, InvalidSignature, Replayed, WrongVerifier
from zkcheck.hazmat.privacypass import (
    PrivateTokenChallenge,
    build_www_authenticate,
    verify_parsed_token,
)
from zkcheck.roles._tiers import Evidence, VerificationContext
from zkcheck.roles.policy import Policy
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.trust_list import ListedOperator

__all__ = ["TIER", "TokenTier", "accepted_operators", "challenge_header", "token_challenges"]

TIER = "token"


def token_challenges(
    request: Request, trust: TrustAnchors, now: int
) -> tuple[PrivateTokenChallenge, ...]:
    """The RFC 9577 challenges that go with ``request``: one per accepted operator and
    requested check that the operator issues tokens for (never ``number``).

    Each names the operator's issuer name for the check, the verifier as its
    only origin, and for per-request checks a redemption context derived from
    the request. ``token-key`` is the key of the epoch containing ``now``, when
    the trust anchors list one; ``max-age`` is the request's remaining lifetime
    for per-request challenges.
    """
    digest = request.digest()
    challenges = []
    for operator in accepted_operators(request, trust):
        for check in request.checks:
            issuer_name = None if check == NUMBER else operator.token_issuer_name(check)
            if issuer_name is None:
                continue
            current = operator.token_key_at(check, now)
            per_request = redemption_of(check) is Redemption.PER_REQUEST
            challenges.append(
                PrivateTokenChallenge(
                    token_challenge(issuer_name, check, request.verifier_id, digest),
                    token_key=None if current is None else current.spki,
                    max_age=max(request.expires_at - now, 0) if per_request else None,
                )
            )
    return tuple(challenges)


def accepted_operators(request: Request, trust: TrustAnchors) -> tuple[ListedOperator, ...]:
    """The operators in good standing that ``request`` accepts: those it names, or every
    one the trust anchors list when it names none."""
    if not request.operators:
        return trust.operators()
    found = (trust.operator(operator_id) for operator_id in request.operators)
    return tuple(operator for operator in found if operator is not None)


def challenge_header(request: Request, trust: TrustAnchors, now: int) -> str:
    """The WWW-Authenticate field value carrying :func:`token_challenges` (RFC 9577 section 2.1.2).

    Raises ``ValueError`` when no accepted operator issues tokens for any check asked.
    """
    challenges = token_challenges(request, trust, now)
    if not challenges:
        raise ValueError("no accepted operator issues tokens for the checks asked")
    return build_www_authenticate(challenges)


class TokenTier:
    """Verification of a ``token`` presentation body (spec/07-token-tier.md, "Redemption")."""

    name = TIER

    def check_policy(self, policy: Policy) -> None:
        """The verifier id is the challenges' origin, so it must be a server name; and a
        policy that requires ``number`` cannot be answered by tokens (PolicyError)."""
        check_server_name(policy.verifier_id, "a verifier id accepting tokens")
        for check in policy.required:
            refuse_number(check)

    def verify(self, body: bytes, context: VerificationContext) -> Evidence:
        request = context.request
        operator: ListedOperator | None = None
        checks = []
        spend = {}
        not_before, not_after = [], []
        for _, token in decode_token_body(body):
            owner, key = context.trust.find_token_key(token.token_key_id, context.now)
            if operator is None:
                operator = owner
            elif owner.operator_id != operator.operator_id:
                raise DecodeError("the tokens of one presentation come from one operator")
            if key.check in checks:
                raise DecodeError("one token per check")
            challenge = token_challenge(
                key.issuer_name, key.check, request.verifier_id, context.request_digest
            )
            try:
                verify_parsed_token(key.token_key, token, challenge)
            except InvalidSignature:
                # The hazmat layer refuses a token for another challenge as it refuses
                # a forged one; as in the signed tier, a token made for another
                # verifier, request or issuer name is told apart (WrongVerifier).
                if not hmac.compare_digest(token.challenge_digest, challenge.digest()):
                    raise WrongVerifier(
                        "presentation made for another verifier or request"
                    ) from None
                raise
            checks.append(key.check)
            spent = spend_key(token)
            if spent in spend:
                # One entry per nonce is kept until its key's epoch ends: two tokens
                # sharing a nonce would keep it only for the epoch written last, and a
                # longer-lived token would be accepted again once the store purges it.
                raise Replayed("a token nonce repeats")
            spend[spent] = key.not_after
            not_before.append(key.not_before)
            not_after.append(key.not_after)
        if operator is None:  # decode_token_body returns at least one token
            raise DecodeError("a token presentation shows at least one token")
        # The token's freshness is its key's epoch: the earliest start and end bound all.
        shown = tuple(checks) if len(checks) == 1 else sort_checks(checks)
        return Evidence(operator, shown, min(not_before), min(not_after), spend)
