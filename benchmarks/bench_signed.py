"""The signed tier: verifying a presentation against a raw Ed25519 verification.

Floor: one pynacl Ed25519 verification of the attestation's own to-be-signed
bytes (the same payload the operator signed), timed in the same run.
Verifying a presentation checks two signatures (the operator's and the
holder's) and decodes, binds and applies the policy; the acceptance bound is
3x the floor. The ES256 (P-256) holder-key variant is reported without a
bound: its holder signature is an OpenSSL ECDSA verification.

Each measured call re-registers the request's nonce before verifying, since
a verified nonce is consumed (that step is a dictionary insert, included in
the time).
"""

from __future__ import annotations

from datetime import UTC, datetime

import nacl.signing

from benchmarks.harness import Session
from zkcheck.claims import Check
from zkcheck.encoding.cose import COSESigningKey, Curve
from zkcheck.encoding.signed import decode_presentation_body
from zkcheck.roles import Holder, Issuer, Policy, Verifier
from zkcheck.sources import DEMO_SUBSCRIBERS, MemorySubscriberSource, demo_subscribers
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.nonces import MemoryNonceStore


def _setup(holder_curve: Curve) -> tuple[object, object]:
    clock = FixedClock(datetime(2026, 3, 10, 12, 34, tzinfo=UTC))
    source = MemorySubscriberSource(demo_subscribers(clock.now()))
    issuer = Issuer("operator.example", COSESigningKey.generate(), source, clock=clock)
    holder = Holder(clock=clock, curve=holder_curve)
    holder.receive(
        issuer.issue(DEMO_SUBSCRIBERS["adult"], holder.request_attestations([Check.sim_swap(72)]))
    )
    nonces = MemoryNonceStore()
    policy = Policy("bank.example", (Check.sim_swap(72),), ("operator.example",), max_age=3600)
    verifier = Verifier(policy, issuer.keyset(), clock=clock, nonces=nonces)
    request = verifier.create_request()
    presentation = holder.present(request).to_bytes()
    record = request.to_bytes()

    def verify() -> None:
        # Re-arm the single-use nonce the previous call consumed.
        nonces._requests[request.nonce] = (record, request.expires_at, False)
        verifier.verify(presentation)

    attestation = decode_presentation_body(holder_body(presentation)).attestation
    operator_key = nacl.signing.VerifyKey(issuer.entry().keys[0].public)
    message, signature = attestation.to_be_signed(), attestation.signature

    def raw_verify() -> None:
        operator_key.verify(message, signature)

    verify()  # the setup itself must verify
    return verify, raw_verify


def holder_body(presentation: bytes) -> bytes:
    from zkcheck.encoding.messages import Presentation

    return Presentation.from_bytes(presentation).body


def run(session: Session) -> None:
    verify, raw = _setup(Curve.ED25519)
    session.measure(
        "verify signed presentation (Ed25519 holder)",
        verify,  # type: ignore[arg-type]
        floor=raw,  # type: ignore[arg-type]
        floor_name="pynacl Ed25519 verify",
        bound=3.0,
    )
    verify, raw = _setup(Curve.P256)
    session.measure(
        "verify signed presentation (ES256 holder)",
        verify,  # type: ignore[arg-type]
        floor=raw,  # type: ignore[arg-type]
        floor_name="pynacl Ed25519 verify",
    )
