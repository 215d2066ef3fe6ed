"""What a tier contributes to the command: its demo, its explanations, its files.

A tier of the command is an object with the attributes and methods of
:class:`Tier`, registered under its name in :data:`zkcheck.cli.tiers.REGISTRY`.
It works through the role layer alone; the command does the rest (files,
formats, exit codes, the transcript). Every method that takes bytes raises a
:class:`~zkcheck.errors.ZkcheckError` for bytes it cannot use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from zkcheck.claims import Check
from zkcheck.cli.explain import Explanation
from zkcheck.cli.scenarios import Case, CaseResult, DemoWorld, Progress, Scenario
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.roles import Verifier
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock

__all__ = ["ATTESTER_NOTE", "DemoRun", "OperatorKeys", "PhoneInputs", "Tier", "TierFiles"]

ATTESTER_NOTE = (
    "the subscriber was authenticated by InsecureTestAttester, the insecure test and demo "
    "attester: it takes --msisdn on trust; a deployment authenticates the SIM instead"
)
"""What ``issue`` says of its attester every time it issues in a tier that has one."""


@dataclass(frozen=True)
class TierFiles:
    """The object types of a tier's files, by the step that reads or writes them."""

    operator_key: str | None
    """The operator's secret key file (``keygen operator``, ``issue``); ``None`` while
    the tier has none."""
    wallet: str | None
    """The phone's secret wallet (``keygen holder``, ``receive``, ``present``); ``None``
    while the tier has none."""
    issuance_request: str
    """Phone -> operator (``keygen holder`` writes it, ``issue`` reads it)."""
    issuance_response: str
    """Operator -> phone (``issue`` writes it, ``receive`` reads it)."""
    challenge: str | None = None
    """Verifier -> phone alongside the request (``request --challenge``), if the tier has one."""
    published: str | None = None
    """What the operator publishes besides the key set it hands the federation
    (``keygen operator --directories``)."""


@dataclass(frozen=True)
class OperatorKeys:
    """What ``keygen operator`` writes: the secret key file, the key set (which the
    operator hands to the federation for its trust list), and the tier's other public
    file, if it has one (:attr:`TierFiles.published`)."""

    secret: bytes
    keyset: bytes
    published: bytes | None = None


@dataclass(frozen=True)
class PhoneInputs:
    """Public inputs a phone's step was given besides its wallet (``None``: not given)."""

    request: bytes | None = None
    challenge: bytes | None = None
    trust: TrustAnchors | None = None
    """The federation's trust list, verified against the key the phone pinned."""
    operator: str | None = None
    """The phone's operator, the one it asks."""
    directories: bytes | None = None
    origin: str | None = None
    """The verifier identity the phone's application authenticated (the credential tier's
    pseudonym context)."""
    renew: bool = False
    """The credential tier: renew the credential held, carrying its pseudonym secret over."""


class DemoRun(Protocol):
    """A tier's part of one demo run, with its operator keys loaded or created."""

    @property
    def description(self) -> str:
        """The tier's demo state in words: which keys, created or reused, where."""
        ...

    def skips(self, scenario: Scenario) -> str | None:
        """Why this tier does not run ``scenario`` (a check it does not carry, or does not
        answer in this version), or ``None`` when it runs it."""
        ...

    def run(self, scenario: Scenario, case: Case, progress: Progress) -> CaseResult:
        """Run one case end to end in this tier and record what happened."""
        ...


class Tier(Protocol):
    """One privacy tier as the command sees it."""

    @property
    def name(self) -> str:
        """The tier's wire name, which is also its ``--tier`` value."""
        ...

    @property
    def title(self) -> str:
        """What the tier is, in a phrase."""
        ...

    @property
    def noun(self) -> str:
        """What the phone holds and shows in this tier, in the singular ("attestation")."""
        ...

    @property
    def attester(self) -> str:
        """How ``issue`` knows who the subscriber is, in words (it says so each time)."""
        ...

    @property
    def kinds(self) -> frozenset[str]:
        """The object types this tier reads and writes (key files, wallets, its issuance
        messages): ``inspect`` and the file commands route these to the tier."""
        ...

    @property
    def files(self) -> TierFiles:
        """Which of :attr:`kinds` each step reads and writes."""
        ...

    def demo(self, world: DemoWorld) -> DemoRun:
        """Load or create the tier's demo state (``world.fresh``: create anew)."""
        ...

    def explain(self, kind: str, data: bytes) -> Explanation:
        """Explain an object of one of :attr:`kinds`."""
        ...

    def explain_presentation(self, presentation: Presentation) -> Explanation:
        """Explain a presentation of this tier."""
        ...

    def keygen_operator(
        self,
        operator_id: str,
        checks: Sequence[Check],
        *,
        domain: str | None,
        keyset: bytes | None,
        secret: bytes | None,
        clock: Clock,
    ) -> OperatorKeys:
        """New operator keys for ``checks`` (none: the default menu), and the key set to
        publish (``keyset``, the key set file's bytes if it exists, to add to for a tier
        that does). ``secret`` is the tier's key file that ``--force`` replaces, if there
        is one: a tier whose keys keep a history renews it rather than starting anew.
        ``ValueError`` for options the tier cannot use."""
        ...

    def keygen_holder(
        self,
        wallet: bytes | None,
        checks: Sequence[Check],
        count: int,
        given: PhoneInputs,
        *,
        clock: Clock,
    ) -> tuple[bytes, bytes | None]:
        """Fresh holder secrets for ``count`` attestations of ``checks`` (or, for a tier
        that asks per verifier request, for what ``given`` holds): the wallet (``wallet``
        extended, or a new one) and the issuance request for the operator, ``None`` when
        the wallet needs nothing more. ``ValueError`` for inputs the tier cannot use or
        misses."""
        ...

    def challenge(self, verifier: Verifier, request: Request) -> bytes | None:
        """What the tier sends the phone alongside ``request`` (:attr:`TierFiles.challenge`);
        ``None`` when it sends nothing. ``ValueError`` when it cannot serve the request."""
        ...

    def issue(
        self,
        key: bytes,
        source: SubscriberSource,
        msisdn: str,
        request: bytes,
        *,
        database: str,
        clock: Clock,
    ) -> bytes:
        """The operator's issuance response; :class:`~zkcheck.errors.PolicyError` when
        no requested check holds (nothing is issued). ``database`` is the SQLite file of
        ``source``, where a tier keeps what it must remember per subscriber."""
        ...

    def receive(
        self, wallet: bytes, response: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, int]:
        """The wallet with a response's attestations stored, and how many there were
        (``given``: the phone's trust list, for a tier that checks keys in it)."""
        ...

    def present(
        self, wallet: bytes, request: bytes, given: PhoneInputs, *, clock: Clock
    ) -> tuple[bytes, bytes]:
        """The wallet without the attestation used, and the presentation;
        :class:`~zkcheck.errors.PolicyError` when nothing held answers the request
        (``given``: the phone's trust list and authenticated origin, for a tier that uses
        them). ``ValueError`` for inputs the tier misses."""
        ...
