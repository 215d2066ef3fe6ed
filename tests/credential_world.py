"""A small world for credential-tier tests: one operator, its subscribers, a clock.

The operator hands the federation one key-set entry with its signed-tier key
and its credential keys; the federation lists it in a signed trust list, which
holders and verifiers load under the pinned authority key. Subscribers
authenticate to the operator through the test attester.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from zkcheck.claims import Check, Menu, SubscriberFacts, SwapRecord
from zkcheck.encoding.cose import COSESigningKey
from zkcheck.roles import (
    CredentialHolder,
    CredentialIssuer,
    InsecureTestAttester,
    Issuer,
    Policy,
    Verifier,
)
from zkcheck.sources import MemorySubscriberSource
from zkcheck.trust.authority import AuthorityKey
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.federation import private_list
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.nonces import MemoryNonceStore
from zkcheck.trust.trust_client import TrustListAnchors

START = datetime(2026, 3, 10, 12, 34, 56, tzinfo=UTC)
"""A Tuesday: credentials issued now expire on Monday 2026-03-23."""
OPERATOR = "operator-a.example"
ALICE = "+34600000101"
BOB = "+34600000102"
CAROL = "+34600000103"
MAX_AGE = 21 * 86_400
"""A verifier learns a credential's issue time only to the week: three weeks cover its life."""

SUBSCRIBERS = (
    SubscriberFacts(
        msisdn=ALICE,
        birth_date=date(1990, 5, 17),
        sim=SwapRecord(START - timedelta(days=400)),
        device=SwapRecord(START - timedelta(days=30, minutes=7)),
        serving_country="ES",
        reachable=True,
        contract_start=date(2019, 1, 31),
        home_country="ES",
    ),
    SubscriberFacts(
        msisdn=BOB,
        birth_date=date(2011, 2, 28),
        sim=SwapRecord(None, 7),
        serving_country="PT",
        contract_start=date(2025, 12, 1),
        home_country="PT",
    ),
    SubscriberFacts(msisdn=CAROL),
)


@dataclass
class CredentialWorld:
    clock: FixedClock
    source: MemorySubscriberSource
    attester: InsecureTestAttester
    issuer: CredentialIssuer
    signed_issuer: Issuer
    keyset: OperatorKeySet
    """What the operator hands the federation."""
    pin: AuthorityKey
    trust_list: bytes
    """The federation's signed trust list naming the operator."""
    trust: TrustListAnchors

    def holder(self) -> CredentialHolder:
        return CredentialHolder(self.trust, clock=self.clock)

    def issued_holder(self, msisdn: str = ALICE) -> CredentialHolder:
        holder = self.holder()
        request = holder.request_credential(OPERATOR)
        holder.receive(OPERATOR, self.issuer.issue(self.attester.enrol(msisdn), request))
        return holder

    def verifier(
        self,
        required: tuple[Check, ...] = (Check.number(),),
        *,
        verifier_id: str = "rp.example",
        optional: tuple[Check, ...] = (),
        tiers: tuple[str, ...] = ("credential",),
        max_age: int = MAX_AGE,
        nonces: MemoryNonceStore | None = None,
    ) -> Verifier:
        policy = Policy(
            verifier_id, required, (OPERATOR,), optional=optional, tiers=tiers, max_age=max_age
        )
        return Verifier(policy, self.trust, clock=self.clock, nonces=nonces)


def make_credential_world(
    *, subscribers: tuple[SubscriberFacts, ...] = SUBSCRIBERS, start: datetime = START
) -> CredentialWorld:
    clock = FixedClock(start)
    source = MemorySubscriberSource(subscribers)
    attester = InsecureTestAttester()
    issuer = CredentialIssuer(OPERATOR, source, attester, clock=clock)
    # The operator's signed-tier key names it in the key set; its credential keys join it.
    signed = Issuer(OPERATOR, COSESigningKey.generate(), source, clock=clock, menu=Menu.default())
    entry = signed.entry().with_credential_keys(issuer.credential_keys())
    pin, listed = private_list([entry], now=epoch_seconds(clock.now()))
    trust = TrustListAnchors(pin, clock=clock)
    trust.load(listed.to_bytes())
    return CredentialWorld(
        clock, source, attester, issuer, signed, OperatorKeySet((entry,)), pin,
        listed.to_bytes(), trust,
    )  # fmt: skip


def with_facts(facts: SubscriberFacts, **changes: object) -> SubscriberFacts:
    """``facts`` with some fields replaced (a test's own subscriber)."""
    return replace(facts, **changes)  # type: ignore[arg-type]
