"""The operator's side: attestations of the checks that hold, from a data source.

The issuer never learns where an attestation will be used: an issuance
request names checks and holder keys, never a verifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from zkcheck.claims import Check, FactKind, Menu, holds
from zkcheck.encoding.cose import Signer
from zkcheck.encoding.messages import IssuanceRequest, IssuanceResponse, check_identifier
from zkcheck.errors import PolicyError
from zkcheck.roles._signed import issue_attestation
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet, key_id

__all__ = ["DEFAULT_VALIDITY", "Issuer", "Validity"]


@dataclass(frozen=True)
class Validity:
    """Issue times are rounded down to ``grid`` seconds; an attestation expires
    ``lifetime`` seconds after its rounded issue time, so expiries lie on the
    grid too and every attestation issued in one grid cell shares both times."""

    grid: int
    lifetime: int

    def __post_init__(self) -> None:
        if self.grid < 1 or self.lifetime % self.grid or self.lifetime < 2 * self.grid:
            raise ValueError("lifetime is a multiple of the grid, at least two cells")

    @classmethod
    def shortest(
        cls, checks: Iterable[Check], classes: Mapping[FactKind, Validity] | None = None
    ) -> Validity:
        """The validity of an attestation carrying ``checks``: the shortest-lived of their
        ``classes`` (default :data:`DEFAULT_VALIDITY`; spec/04-signed-tier.md, "Issuance",
        step 3)."""
        found = DEFAULT_VALIDITY if classes is None else classes
        return min((found[check.fact_kind] for check in checks), key=lambda v: v.lifetime)

    def window(self, seconds: int) -> tuple[int, int]:
        """``iat`` and ``exp`` of an attestation issued at ``seconds``: the issue time
        rounded down to the grid, and ``lifetime`` after it (spec/04-signed-tier.md,
        "Issuance", step 3)."""
        issued_at = seconds - seconds % self.grid
        return issued_at, issued_at + self.lifetime


DEFAULT_VALIDITY: Mapping[FactKind, Validity] = {
    FactKind.STATIC: Validity(grid=86_400, lifetime=7 * 86_400),
    FactKind.AS_OF_ISSUE: Validity(grid=900, lifetime=3_600),
    FactKind.LIVE: Validity(grid=300, lifetime=600),
}
"""Day-aligned week-long attestations for static facts, hour-long ones on a
quarter-hour grid for swaps, ten-minute ones on a five-minute grid for live
network state."""


class Issuer:
    """An operator issuing ``signed``-tier attestations."""

    def __init__(
        self,
        operator_id: str,
        signing_key: Signer,
        source: SubscriberSource,
        *,
        clock: Clock,
        menu: Menu | None = None,
        validity: Mapping[FactKind, Validity] = DEFAULT_VALIDITY,
    ) -> None:
        self.operator_id = check_identifier(operator_id, "the operator id")
        self.menu = menu if menu is not None else Menu.default()
        self._key = signing_key
        self._kid = key_id(signing_key.public_key)
        self._source = source
        self._clock = clock
        self._validity = dict(validity)

    def entry(self) -> OperatorEntry:
        """This operator as a key-set entry: what it publishes for verifiers."""
        return OperatorEntry.create(self.operator_id, [self._key.public_key], self.menu)

    def keyset(self) -> OperatorKeySet:
        """A key set of this operator alone (for tests and single-operator demos)."""
        return OperatorKeySet((self.entry(),))

    def issue(self, msisdn: str, request: IssuanceRequest | bytes) -> IssuanceResponse:
        """Attestations for the subscriber the operator authenticated as ``msisdn``.

        Each attestation carries the requested checks that are on the menu and
        hold now; its validity class is the shortest-lived among the checks it
        carries, so its times never tell of a check that failed. Raises
        :class:`PolicyError` when none holds (or the subscriber is unknown):
        nothing is issued that would say "no".
        """
        if isinstance(request, bytes):
            request = IssuanceRequest.from_bytes(request)
        facts = self._source.facts(msisdn)
        held = [check for check in request.checks if self.menu.allows(check)]
        if facts is None or not held:
            raise PolicyError("no requested check can be attested")
        now = self._clock.now()
        # Steps 3 and 4 of spec/04 "Issuance": a failed shorter-lived check must not leave
        # its short grid on the attestation, so the class is chosen again from the checks
        # that hold until it no longer changes. Every check kept holds at the final iat;
        # each round that goes on keeps fewer checks, so the loop ends.
        while True:
            validity = Validity.shortest(held, self._validity)
            issued_at, expires_at = validity.window(epoch_seconds(now))
            as_of = datetime.fromtimestamp(issued_at, UTC)
            held = [check for check in held if holds(check, facts, now=now, as_of=as_of)]
            if not held:
                raise PolicyError("no requested check can be attested")
            if Validity.shortest(held, self._validity) == validity:
                break
        return IssuanceResponse(
            tuple(
                issue_attestation(
                    self._key,
                    self._kid,
                    self.operator_id,
                    holder_key,
                    held,
                    issued_at=issued_at,
                    expires_at=expires_at,
                    msisdn=facts.msisdn,
                )
                for holder_key in request.holder_keys
            )
        )
