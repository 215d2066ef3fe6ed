"""How keys, epochs and coarse times split the anonymity set of one presentation
(spec/10-privacy.md, "Anonymity sets").

A relying party that verifies a presentation learns the operator (the key's
owner), the key, and the coarse time the tier shows: the issue time on its grid
(signed), the key's epoch (token), the issue week through the expiry
(credential). Each splits the subscribers the presentation could come from.
:func:`anonymity_sets` computes the split from public data (the operators of a
trust list with their menus and keys) and a subscriber database, under the
model chapter 10 states:

* every subscriber for whom a check holds keeps an attestation for it in every
  tier that carries the check, refreshed on the schedule chapter 10 describes, so
  the issue times of attestations in use are spread evenly over the *cells* a
  relying party can tell apart;
* the cells valid at one instant are: in the signed tier, the grid cells of one
  lifetime (lifetime divided by grid: 7 days for static facts, 4 quarter-hours
  for swaps); in the token tier, the one epoch of the one key valid for the
  check; in the credential tier, the issue weeks whose credentials have not
  expired (two, since a credential expires two Mondays after its issue week
  began);
* every key of the operator, tier and check valid at the instant splits the set
  further (the trust list allows at most two).

The size reported is ``eligible / (keys * cells)``, rounded up: the subscribers of
one operator for whom the check holds, divided evenly among the parts a relying
party can tell apart. It is an expected size under the model, not a bound; a part
can be smaller when refreshes are not spread evenly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from zkcheck.claims import NUMBER, Check, FactKind, SubscriberFacts, holds
from zkcheck.encoding.token import refuse_number
from zkcheck.errors import PolicyError
from zkcheck.hazmat.credential import EXPIRY_OFFSET_DAYS
from zkcheck.roles.issuer import DEFAULT_VALIDITY
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.listed_keys import SignedKey
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_list import ListedOperator

__all__ = ["AnonymitySet", "anonymity_sets", "cells"]

TIERS = ("signed", "token", "credential")


@dataclass(frozen=True)
class AnonymitySet:
    """One tier and check: who could have made a presentation, as a relying party sees it."""

    tier: str
    check: Check
    operators: int
    """Operators of the list that answer the check in this tier at the instant."""
    subscribers: int
    """Subscribers of one operator (the database given)."""
    eligible: int
    """Of those, the subscribers for whom the check holds at the instant."""
    keys: int
    """The largest number of keys one operator has valid for this tier and check."""
    cells: int
    """Coarse issue times a relying party can tell apart among attestations valid at once."""

    @property
    def parts(self) -> int:
        """How many groups one operator's eligible subscribers fall into: keys times cells."""
        return self.keys * self.cells

    @property
    def size(self) -> int:
        """The expected anonymity set of one presentation: eligible divided by parts,
        rounded up (one subscriber alone is a set of one, not of none)."""
        return -(-self.eligible // self.parts)


def cells(tier: str, check: Check) -> int:
    """The coarse issue times of ``check``'s attestations in ``tier`` valid at one instant."""
    if tier == "signed":
        validity = DEFAULT_VALIDITY[check.fact_kind]
        return validity.lifetime // validity.grid
    if tier == "token":
        return 1  # a token shows its key's epoch, and one epoch's key is valid at a time
    if tier == "credential":
        return EXPIRY_OFFSET_DAYS // 7  # the issue weeks whose credentials are unexpired
    raise ValueError(f"unknown tier {tier!r}")


def _keys(operator: ListedOperator, tier: str, check: Check, now: int) -> int:
    """The operator's unrevoked keys of ``tier`` that can have signed an attestation of
    ``check`` that is valid at ``now``."""
    count = 0
    for key in operator.keys:
        material = key.material
        if key.revoked or not key.not_before <= now < key.not_after:
            continue
        if (
            (tier == "signed" and isinstance(material, SignedKey))
            or (tier == "token" and isinstance(material, TokenKeyEntry) and material.check == check)
            or (tier == "credential" and isinstance(material, CredentialKeyEntry))
        ):
            count += 1
    return count


def _carries(tier: str, check: Check) -> bool:
    if tier == "token":
        try:
            refuse_number(check)
        except PolicyError:
            return False
        return True
    if tier == "credential":
        return check == NUMBER or check.fact_kind is not FactKind.LIVE
    return True


def anonymity_sets(
    operators: Iterable[ListedOperator],
    subscribers: Sequence[SubscriberFacts],
    checks: Iterable[Check],
    now: int,
) -> tuple[AnonymitySet, ...]:
    """For each tier and check, the split of :class:`AnonymitySet` at the instant ``now``.

    ``operators`` are a trust list's; ``subscribers`` one operator's database (in the
    demo every operator answers from the same synthetic database).
    """
    listed = tuple(operators)
    instant = datetime.fromtimestamp(now, UTC)
    found = []
    for check in checks:
        eligible = sum(holds(check, facts, now=instant) for facts in subscribers)
        for tier in TIERS:
            if not _carries(tier, check):
                continue
            keys = [
                _keys(operator, tier, check, now)
                for operator in listed
                if operator.menu.allows(check)
            ]
            answering = [count for count in keys if count]
            if not answering:
                continue
            found.append(
                AnonymitySet(
                    tier,
                    check,
                    len(answering),
                    len(subscribers),
                    eligible,
                    max(answering),
                    cells(tier, check),
                )
            )
    return tuple(found)
