"""The ``signed`` tier: operator-signed CWT attestations bound to a holder key
(spec/04-signed-tier.md).

Issuance signs one attestation per holder key; presentation wraps one
attestation in a key-binding token signed with its holder key over the
verifier's request; verification checks both signatures and the binding to
the verifier's own stored request, and hands :class:`Evidence` to the
verifier's shared policy steps.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from zkcheck.claims import NUMBER, NUMBER_SALT_SIZE, Check, number_digest
from zkcheck.encoding.cose import HEADER_KID, COSEKey, Sign1, Signer
from zkcheck.encoding.messages import IssuedAttestation, Presentation, Request
from zkcheck.encoding.signed import (
    AttestationClaims,
    KeyBindingClaims,
    bind,
    decode_presentation_body,
    sign_attestation,
)
from zkcheck.errors import DecodeError, UntrustedIssuer, WrongVerifier
from zkcheck.roles._tiers import Evidence, VerificationContext
from zkcheck.roles.policy import Policy
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.trust_list import ListedOperator

__all__ = ["TIER", "SignedTier", "issue_attestation", "present_attestation", "verify_attestation"]

TIER = "signed"


def issue_attestation(
    operator_key: Signer,
    kid: bytes,
    operator_id: str,
    holder_key: COSEKey,
    checks: Iterable[Check],
    *,
    issued_at: int,
    expires_at: int,
    msisdn: str | None,
) -> IssuedAttestation:
    """One attestation of ``checks`` (all of which hold) for one holder key.

    For ``number`` a fresh salt is drawn per attestation, so two attestations
    of one number share no digest.
    """
    checks = tuple(checks)
    salt = digest = None
    if NUMBER in checks:
        if msisdn is None:
            raise ValueError("the number check needs the subscriber's MSISDN")
        salt = secrets.token_bytes(NUMBER_SALT_SIZE)
        digest = number_digest(salt, msisdn)
    claims = AttestationClaims(operator_id, issued_at, expires_at, holder_key, checks, digest)
    return IssuedAttestation(sign_attestation(operator_key, kid, claims), salt)


def present_attestation(
    holder_key: Signer, issued: IssuedAttestation, request: Request
) -> Presentation:
    """Bind an attestation to ``request``: the holder signs the verifier id, the nonce
    and the digest of the whole request, revealing the number salt if any."""
    claims = KeyBindingClaims(
        audience=request.verifier_id,
        nonce=request.nonce,
        request_digest=request.digest(),
        number_salt=issued.number_salt,
    )
    token = bind(holder_key, issued.attestation, claims)
    return Presentation(TIER, request.nonce, token.encode())


def verify_attestation(
    trust: TrustAnchors, attestation: Sign1, claims: AttestationClaims, now: int
) -> ListedOperator:
    """The operator that signed ``attestation``, after checking its signature.

    The key named by ``kid`` must be on the trust list and usable at ``now``,
    belong to the operator the claims name (``iss``), and verify the signature
    (spec/04-signed-tier.md, verification steps 6 to 8). Raises
    :class:`UntrustedIssuer` or :class:`Expired` for the key,
    :class:`InvalidSignature` for the signature.
    """
    operator, operator_key = trust.find_key(attestation.headers[HEADER_KID], now)
    if claims.operator != operator.operator_id:
        raise UntrustedIssuer("attestation issuer does not own its key")
    operator_key.verify(attestation)
    return operator


class SignedTier:
    """Verification of a ``signed`` presentation body (spec/04-signed-tier.md, section 4)."""

    name = TIER

    def check_policy(self, policy: Policy) -> None:
        """Every policy is one the signed tier can serve."""

    def verify(self, body: bytes, context: VerificationContext) -> Evidence:
        presented = decode_presentation_body(body)
        attested = presented.attestation_claims
        operator = verify_attestation(context.trust, presented.attestation, attested, context.now)
        presented.token.verify(attested.holder_key)
        binding, request = presented.claims, context.request
        if not (
            binding.audience == request.verifier_id
            and hmac.compare_digest(binding.nonce, request.nonce)
            and hmac.compare_digest(binding.request_digest, context.request_digest)
        ):
            raise WrongVerifier("presentation made for another verifier or request")
        checks = attested.checks
        if attested.number_digest is not None:
            if binding.number_salt is None:
                raise DecodeError("a number attestation is presented with its salt")
            if not _number_matches(binding.number_salt, attested.number_digest, context.number):
                # Not a negative answer: the number is simply not shown.
                checks = tuple(check for check in checks if check != NUMBER)
        elif binding.number_salt is not None:
            raise DecodeError("a salt is presented only with a number attestation")
        return Evidence(operator, checks, attested.issued_at, attested.expires_at)


def _number_matches(salt: bytes, digest: bytes, number: str | None) -> bool:
    if number is None:
        return False
    try:
        expected = number_digest(salt, number)
    except ValueError:  # what the user typed is not an E.164 number
        return False
    return hmac.compare_digest(expected, digest)
