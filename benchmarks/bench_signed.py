"""The signed tier: verifying a presentation against raw Ed25519 verifications.

Acceptance floor: one pynacl Ed25519 verification of the attestation's own
to-be-signed bytes (the payload the operator signed), timed in the same run;
the bound is 3x. Verifying a presentation checks two signatures (the
operator's and the holder's), decodes five CBOR items exactly (spec/03: the
envelope, then the key-binding token with its protected bucket and both claim
sets, proven by one re-encoding; the operator's protected header is strictly
decoded once per operator key), checks the binding to the stored request and
the policy, and consumes the nonce. A
second measurement takes both raw verifications (operator and holder) as the
floor, so the share of everything but the signatures is visible. The ES256
(P-256) holder-key variant is reported without a bound: its holder signature
is an OpenSSL ECDSA verification.

Each measured call re-registers the request's nonce before verifying, since
a verified nonce is consumed (a dictionary assignment, included in the time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import nacl.signing

from benchmarks.harness import Session
from benchmarks.verifying import repeated_verification
from zkcheck.claims import Check
from zkcheck.encoding.cose import COSESigningKey, Curve
from zkcheck.encoding.messages import Presentation
from zkcheck.encoding.signed import decode_presentation_body
from zkcheck.roles import Holder, Issuer, Policy, Verifier
from zkcheck.sources import DEMO_SUBSCRIBERS, MemorySubscriberSource, demo_subscribers
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.federation import private_trust
from zkcheck.trust.nonces import MemoryNonceStore

Op = Callable[[], object]


def _setup(holder_curve: Curve) -> tuple[Op, Op, Op]:
    """(verify the presentation, one raw operator verification, both raw verifications)."""
    clock = FixedClock(datetime(2026, 3, 10, 12, 34, tzinfo=UTC))
    source = MemorySubscriberSource(demo_subscribers(clock.now()))
    issuer = Issuer("operator.example", COSESigningKey.generate(), source, clock=clock)
    holder = Holder(clock=clock, curve=holder_curve)
    holder.receive(
        issuer.issue(DEMO_SUBSCRIBERS["adult"], holder.request_attestations([Check.sim_swap(72)]))
    )
    nonces = MemoryNonceStore()
    policy = Policy("bank.example", (Check.sim_swap(72),), ("operator.example",), max_age=3600)
    verifier = Verifier(
        policy, private_trust([issuer.entry()], clock=clock), clock=clock, nonces=nonces
    )
    request = verifier.create_request()
    presentation = holder.present(request).to_bytes()
    verify = repeated_verification(verifier, nonces, request, presentation)

    body = decode_presentation_body(Presentation.from_bytes(presentation).body)
    operator_key = nacl.signing.VerifyKey(issuer.entry().keys[0].public)
    message, signature = body.attestation.to_be_signed(), body.attestation.signature
    holder_public = body.attestation_claims.holder_key
    token_message, token_signature = body.token.to_be_signed(), body.token.signature

    def raw_operator() -> None:
        operator_key.verify(message, signature)

    def raw_both() -> None:
        operator_key.verify(message, signature)
        if holder_curve is Curve.ED25519:
            nacl.signing.VerifyKey(holder_public.public).verify(token_message, token_signature)
        else:
            holder_public.verify(int(body.token.algorithm), token_message, token_signature)

    verify()  # the setup itself must verify
    return verify, raw_operator, raw_both


def run(session: Session) -> None:
    verify, raw, both = _setup(Curve.ED25519)
    session.measure(
        "verify signed presentation (Ed25519 holder)",
        verify,
        floor=raw,
        floor_name="pynacl Ed25519 verify",
        bound=3.0,
    )
    session.measure(
        "  the same, against both raw verifications",
        verify,
        floor=both,
        floor_name="operator + holder verify",
        note="share of decoding, binding and policy",
    )
    verify, raw, both = _setup(Curve.P256)
    session.measure(
        "verify signed presentation (ES256 holder)",
        verify,
        floor=raw,
        floor_name="pynacl Ed25519 verify",
    )
