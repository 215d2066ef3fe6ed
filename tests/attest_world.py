"""A small world for role tests: one or two operators, demo subscribers, a clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from zkcheck.claims import Check, Menu
from zkcheck.encoding.cose import COSESigningKey, Curve
from zkcheck.roles import Holder, Issuer, Policy, Verifier
from zkcheck.sources import DEMO_SUBSCRIBERS, MemorySubscriberSource, demo_subscribers
from zkcheck.trust.authority import AuthorityKey
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.federation import private_list
from zkcheck.trust.nonces import MemoryNonceStore
from zkcheck.trust.trust_client import TrustListAnchors

START = datetime(2026, 3, 10, 12, 34, 56, tzinfo=UTC)
OPERATOR = "operator-a.example"
ADULT = DEMO_SUBSCRIBERS["adult"]
MINOR = DEMO_SUBSCRIBERS["minor"]


@dataclass
class World:
    clock: FixedClock
    issuer: Issuer
    pin: AuthorityKey
    trust_list: bytes
    """The signed trust list naming the operator, as the federation publishes it."""
    trust: TrustListAnchors

    def holder(self, curve: Curve = Curve.ED25519) -> Holder:
        return Holder(clock=self.clock, curve=curve)

    def verifier(
        self,
        required: tuple[Check, ...],
        *,
        verifier_id: str = "rp.example",
        max_age: int = 3600,
        optional: tuple[Check, ...] = (),
        nonces: MemoryNonceStore | None = None,
    ) -> Verifier:
        policy = Policy(verifier_id, required, (OPERATOR,), optional=optional, max_age=max_age)
        return Verifier(policy, self.trust, clock=self.clock, nonces=nonces)

    def issued_holder(
        self,
        checks: list[Check],
        *,
        count: int = 1,
        msisdn: str = ADULT,
        curve: Curve = Curve.ED25519,
    ) -> Holder:
        holder = self.holder(curve)
        response = self.issuer.issue(msisdn, holder.request_attestations(checks, count))
        holder.receive(response)
        return holder


def make_world(*, menu: Menu | None = None, operator_curve: Curve = Curve.ED25519) -> World:
    clock = FixedClock(START)
    source = MemorySubscriberSource(demo_subscribers(START))
    issuer = Issuer(
        OPERATOR, COSESigningKey.generate(operator_curve), source, clock=clock, menu=menu
    )
    pin, signed = private_list([issuer.entry()], now=epoch_seconds(clock.now()))
    trust = TrustListAnchors(pin, clock=clock)
    trust.load(signed.to_bytes())
    return World(clock, issuer, pin, signed.to_bytes(), trust)
