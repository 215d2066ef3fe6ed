"""What a tier contributes to the command: its demo, its explanations, its files.

A tier of the command is an object with the attributes and methods of
:class:`Tier`, registered under its name in :data:`zkcheck.cli.tiers.REGISTRY`.
It works through the role layer alone; the command does the rest (files,
formats, exit codes, the transcript). Every method that takes bytes raises a
:class:`~zkcheck.errors.ZkcheckError` for bytes it cannot use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from zkcheck.claims import Check
from zkcheck.cli.explain import Explanation
from zkcheck.cli.scenarios import Case, CaseResult, DemoWorld, Progress, Scenario
from zkcheck.encoding.messages import Presentation
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock

__all__ = ["DemoRun", "Tier"]


class DemoRun(Protocol):
    """A tier's part of one demo run, with its operator keys loaded or created."""

    @property
    def description(self) -> str:
        """The tier's demo state in words: which keys, created or reused, where."""
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
    def kinds(self) -> frozenset[str]:
        """The object types this tier reads and writes (key files, wallets, its issuance
        messages): ``inspect`` and the file commands route these to the tier."""
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

    def keygen_operator(self, operator_id: str) -> tuple[bytes, bytes]:
        """A new operator key: the secret key file and the public key set to publish."""
        ...

    def keygen_holder(
        self, wallet: bytes | None, checks: Sequence[Check], count: int, *, clock: Clock
    ) -> tuple[bytes, bytes]:
        """Fresh holder keys for ``count`` attestations of ``checks``: the wallet
        (``wallet`` extended, or a new one) and the issuance request for the operator."""
        ...

    def issue(
        self,
        key: bytes,
        source: SubscriberSource,
        msisdn: str,
        request: bytes,
        *,
        clock: Clock,
    ) -> bytes:
        """The operator's issuance response; :class:`~zkcheck.errors.PolicyError` when
        no requested check holds (nothing is issued)."""
        ...

    def receive(self, wallet: bytes, response: bytes, *, clock: Clock) -> tuple[bytes, int]:
        """The wallet with a response's attestations stored, and how many there were."""
        ...

    def present(self, wallet: bytes, request: bytes, *, clock: Clock) -> tuple[bytes, bytes]:
        """The wallet without the attestation used, and the presentation;
        :class:`~zkcheck.errors.PolicyError` when nothing held answers the request."""
        ...
