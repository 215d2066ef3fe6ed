"""A federation for trust-list tests: operators, an authority signing successive lists, and
relying parties that pin its key and verify attestations through the list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.attest_world import ADULT, START
from zkcheck.claims import Check
from zkcheck.encoding.cose import COSESigningKey
from zkcheck.roles import Holder, Issuer, Policy, VerifiedResult, Verifier
from zkcheck.sources import MemorySubscriberSource, demo_subscribers
from zkcheck.trust.authority import Authority
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.federation import TrustListDraft
from zkcheck.trust.trust_client import ListSource, TrustListAnchors
from zkcheck.trust.trust_list import SignedTrustList
from zkcheck.trust.trust_state import MemoryTrustState, TrustStateStore

LIST_ID = "federation.example"
AGE = Check.age_over(18)
WEEK = 7 * 86_400


@dataclass
class Federation:
    """The federation's side: its authority, its draft, the lists it published."""

    clock: FixedClock
    authority: Authority
    draft: TrustListDraft
    published: list[SignedTrustList] = field(default_factory=list)

    @property
    def now(self) -> int:
        return epoch_seconds(self.clock.now())

    def add(self, issuer: Issuer, country: str = "ES") -> None:
        self.draft = self.draft.add_operator(
            issuer.entry(), name=issuer.operator_id, countries=(country,), now=self.now
        )

    def publish(self, **options: int) -> bytes:
        """Sign the draft as the next list at the clock's instant; its bytes."""
        previous = self.published[-1] if self.published else None
        signed = self.authority.sign(
            self.draft.operators, issued_at=self.now, previous=previous, **options
        )
        self.published.append(signed)
        return signed.to_bytes()

    def latest(self) -> bytes:
        return self.published[-1].to_bytes()

    def relying_party(
        self,
        *,
        state: TrustStateStore | None = None,
        source: ListSource | None = None,
        load: bool = True,
    ) -> TrustListAnchors:
        """Trust anchors pinning the authority's first key, holding the latest list."""
        anchors = TrustListAnchors(
            self.pin, clock=self.clock, state=state or MemoryTrustState(), source=source
        )
        if load and self.published:
            anchors.load(self.latest())
        return anchors

    def __post_init__(self) -> None:
        self.pin = self.authority.pin()


def make_federation(*, clock: FixedClock | None = None) -> Federation:
    clock = clock if clock is not None else FixedClock(START)
    return Federation(clock, Authority.generate(LIST_ID), TrustListDraft(LIST_ID))


def make_issuer(clock: FixedClock, operator_id: str = "operator-a.example") -> Issuer:
    source = MemorySubscriberSource(demo_subscribers(START))
    return Issuer(operator_id, COSESigningKey.generate(), source, clock=clock)


def attested(issuer: Issuer, clock: FixedClock, checks: tuple[Check, ...] = (AGE,)) -> Holder:
    """A phone holding one attestation of ``checks`` from ``issuer``, issued now."""
    holder = Holder(clock=clock)
    holder.receive(issuer.issue(ADULT, holder.request_attestations(list(checks))))
    return holder


def verify(anchors: TrustListAnchors, holder: Holder, clock: FixedClock) -> VerifiedResult:
    """A relying party configured once (any operator on the list) verifies the phone's
    attestation."""
    verifier = Verifier(Policy("rp.example", (AGE,), max_age=WEEK), anchors, clock=clock)
    return verifier.verify(holder.present(verifier.create_request()))


def at(clock: FixedClock, instant: int) -> None:
    """Set the clock to a NumericDate."""
    clock.set(datetime.fromtimestamp(instant, UTC))


def later(clock: FixedClock, **delta: float) -> int:
    clock.advance(timedelta(**delta))
    return epoch_seconds(clock.now())
