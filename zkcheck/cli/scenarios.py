"""The demo's scenarios and the structured record of what happened in each.

A :class:`Scenario` is tier-independent: who asks (a bank, a social network,
an age-gated site), which check, and the cases (which synthetic subscriber,
which outcome the scenario expects). A tier runs each case with its own
messages and records a :class:`CaseResult`: every message with its exact
bytes, the verdict, what the verifier was shown, what each party learned and
did not learn, and how long each step took. The printed transcript is
rendered from these records, and the tests read them.

Refusal follows DESIGN.md: an operator issues nothing for a check that does
not hold, so a refused case is one where the verifier got no valid
presentation and treats the check as *not shown*. Nothing anywhere says
"no".
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from zkcheck.claims import Check
from zkcheck.sources import DEMO_SUBSCRIBERS
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock

if TYPE_CHECKING:
    from zkcheck.cli.federation import DemoTrust

__all__ = [
    "OPERATOR_ID",
    "SCENARIOS",
    "Case",
    "CaseResult",
    "DemoWorld",
    "Knowledge",
    "Message",
    "Progress",
    "Recorder",
    "Refusal",
    "Scenario",
    "SignUp",
    "Timing",
    "Verdict",
]

OPERATOR_ID = "operator.example"
"""The demo's operator."""

MISTYPED_NUMBER = "+34600000010"
"""A well-formed number that is not the demo adult's: one digit off."""

Progress = Callable[[str], None]
"""Told each step as it starts, for a progress line on a terminal."""


class Verdict(enum.Enum):
    """How a case ended for the verifier."""

    ACCEPTED = "accepted"
    """A presentation verified and showed the check."""
    REFUSED = "refused"
    """No valid presentation showed the check: the verifier treats it as not shown."""


class Refusal(enum.Enum):
    """Why a case was refused, as the transcript tells it."""

    NOTHING_ISSUED = "nothing issued"
    """The check does not hold, so the operator issued nothing and the phone had
    nothing to show."""
    NOTHING_TO_SHOW = "nothing to show"
    """The phone held no attestation the request accepts (too old, expired, another
    operator's), so it sent nothing."""
    NOT_VERIFIED = "not verified"
    """A presentation came, and verification did not show the check."""


@dataclass(frozen=True)
class Case:
    """One subscriber in a scenario, and the verdict the scenario expects."""

    label: str
    subscriber: str
    """The synthetic subscriber's MSISDN."""
    expected: Verdict
    typed_number: str | None = None
    """For ``number``: the number the user typed."""


@dataclass(frozen=True)
class Scenario:
    """A relying party asking one check of several subscribers."""

    key: str
    title: str
    verifier: str
    """The relying party's short name, e.g. "bank"."""
    verifier_id: str
    check: Check
    hidden: str
    """The subscriber fact behind the check, which the verifier never learns."""
    max_age: int
    """The oldest attestation the verifier accepts, in seconds since its issue time:
    an hour for a swap check, a week for static facts (which operators issue
    day-aligned, so the issue time can be most of a day old)."""
    on_accept: str
    on_refusal: str
    cases: tuple[Case, ...]
    one_account_per_person: bool = False
    """The verifier opens one account per person: a tier that gives per-verifier
    pseudonyms asks for one, and the demo tries a second sign-up from the same phone
    there and one at :attr:`other_verifier_id`."""
    other_verifier_id: str = ""
    """Another verifier of the same kind, with pseudonyms of its own."""


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="bank",
        title="A bank checks for a recent SIM swap before a transfer",
        verifier="bank",
        verifier_id="bank.example",
        check=Check.sim_swap(72),
        hidden="when the SIM was last swapped",
        max_age=3600,
        on_accept="lets the transfer go ahead",
        on_refusal="holds the transfer for other checks",
        cases=(
            Case("SIM swapped an hour ago", DEMO_SUBSCRIBERS["recently_swapped"], Verdict.REFUSED),
            Case("SIM not swapped for 400 days", DEMO_SUBSCRIBERS["adult"], Verdict.ACCEPTED),
        ),
    ),
    Scenario(
        key="social",
        title="A social network checks at sign-up that the typed number is this device's",
        verifier="social network",
        verifier_id="social.example",
        check=Check.number(),
        hidden="who the subscriber is beyond the number: no name, no age",
        max_age=7 * 86_400,
        on_accept="opens the account on the confirmed number",
        on_refusal="asks the user to check the number typed",
        cases=(
            Case(
                "the user types the number right",
                DEMO_SUBSCRIBERS["adult"],
                Verdict.ACCEPTED,
                typed_number=DEMO_SUBSCRIBERS["adult"],
            ),
            Case(
                f"the user mistypes one digit: {MISTYPED_NUMBER}",
                DEMO_SUBSCRIBERS["adult"],
                Verdict.REFUSED,
                typed_number=MISTYPED_NUMBER,
            ),
        ),
        one_account_per_person=True,
        other_verifier_id="other-social.example",
    ),
    Scenario(
        key="age",
        title="An age-gated site checks that the user is at least 18",
        verifier="age-gated site",
        verifier_id="age-gated.example",
        check=Check.age_over(18),
        hidden="the date of birth or the exact age",
        max_age=7 * 86_400,
        on_accept="lets the user in",
        on_refusal="keeps the age-restricted content closed",
        cases=(
            Case("an adult of 35", DEMO_SUBSCRIBERS["adult"], Verdict.ACCEPTED),
            Case(
                "a 17-year-old who turns 18 tomorrow",
                DEMO_SUBSCRIBERS["turns_18_tomorrow"],
                Verdict.REFUSED,
            ),
        ),
    ),
)
"""The three scenarios ``zkcheck demo`` runs, in order."""


@dataclass(frozen=True)
class Message:
    """What one party sent another: the exact bytes, or ``None`` if it sent nothing."""

    sender: str
    receiver: str
    kind: str
    data: bytes | None
    note: str

    @property
    def size(self) -> int:
        return 0 if self.data is None else len(self.data)


@dataclass(frozen=True)
class Knowledge:
    """What one party learned in a case, and what it did not learn."""

    party: str
    learned: tuple[str, ...]
    not_learned: tuple[str, ...]


@dataclass(frozen=True)
class SignUp:
    """One sign-up at a verifier that opens one account per person, and its outcome."""

    verifier_id: str
    pseudonym: bytes | None
    """The verified pseudonym the verifier keys its accounts by (``None``: the sign-up did
    not verify)."""
    opened: bool
    """Whether an account was opened (the pseudonym had none there yet)."""


@dataclass(frozen=True)
class Timing:
    step: str
    seconds: float


@dataclass(frozen=True)
class CaseResult:
    """One case as it happened."""

    scenario: Scenario
    case: Case
    tier: str
    verdict: Verdict
    refusal: Refusal | None
    shown: tuple[Check, ...]
    """The checks the verifier's verification showed (empty when refused)."""
    disclosed: tuple[str, ...]
    """What the presentation revealed to the verifier, if one came."""
    explanation: str
    """The verdict in words, with what the verifier does next."""
    messages: tuple[Message, ...]
    knowledge: tuple[Knowledge, ...]
    timings: tuple[Timing, ...]
    sign_ups: tuple[SignUp, ...] = ()
    """For a scenario with one account per person, in a tier with pseudonyms: every
    sign-up the phone made, first the case's own."""

    @property
    def as_expected(self) -> bool:
        return self.verdict is self.case.expected

    def knowledge_of(self, party: str) -> Knowledge:
        for entry in self.knowledge:
            if entry.party == party:
                return entry
        raise KeyError(party)


@dataclass(frozen=True)
class DemoWorld:
    """What a tier's demo runs on: the state directory, the operators' subscriber
    data, the clock, and the federation (:mod:`zkcheck.cli.federation`): its
    operators with their keys in every tier, and the relying parties' copy of its
    trust list."""

    state: Path
    source: SubscriberSource
    clock: Clock
    federation: DemoTrust


@dataclass
class Recorder:
    """Collects a case's messages and step timings as a tier runs it."""

    messages: list[Message] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)

    def send(self, sender: str, receiver: str, kind: str, data: bytes | None, note: str) -> None:
        self.messages.append(Message(sender, receiver, kind, data, note))

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Time the block as ``step`` (recorded also when the block raises)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append(Timing(step, time.perf_counter() - start))
