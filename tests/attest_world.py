"""A small world for role tests: one or two operators, demo subscribers, a clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from zkcheck.claims import Check, Menu
from zkcheck.encoding.cose import COSESigningKey, Curve
from zkcheck.roles import Holder, Issuer, Policy, Verifier
from zkcheck.sources import DEMO_SUBSCRIBERS, MemorySubscriberSource, demo_subscribers
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.nonces import MemoryNonceStore

START = datetime(2026, 3, 10, 12, 34, 56, tzinfo=UTC)
OPERATOR = "operator-a.example"
ADULT = DEMO_SUBSCRIBERS["adult"]
MINOR = DEMO_SUBSCRIBERS["minor"]


@dataclass
class World:
    clock: FixedClock
    issuer: Issuer
    keyset: OperatorKeySet

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
        return Verifier(policy, self.keyset, clock=self.clock, nonces=nonces)

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
    return World(clock, issuer, issuer.keyset())
