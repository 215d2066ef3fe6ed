"""The tiers the command knows, and which of them are built.

Adding a tier to the command (and so to ``zkcheck demo``, ``--tier``,
``inspect`` and the file commands) is adding a module that implements
:class:`~zkcheck.cli.tiers.base.Tier` through the role layer, and replacing
the tier's :class:`Planned` entry in :data:`REGISTRY` with it. Every tier the
verifier knows (:data:`zkcheck.roles.verifier.TIERS`) must have a built
entry here; a test checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zkcheck.cli.exits import EXIT_UNAVAILABLE, EXIT_USAGE, CommandError
from zkcheck.cli.tiers.base import DemoRun, Tier
from zkcheck.cli.tiers.credential import CREDENTIAL
from zkcheck.cli.tiers.signed import SIGNED
from zkcheck.cli.tiers.token import TOKEN

__all__ = ["REGISTRY", "DemoRun", "Planned", "Tier", "landed", "owner", "planned", "tier"]


@dataclass(frozen=True)
class Planned:
    """A tier of the design that this version has not built."""

    name: str
    title: str


REGISTRY: Mapping[str, Tier | Planned] = {
    "signed": SIGNED,
    "token": TOKEN,
    "credential": CREDENTIAL,
}
"""Every tier by its ``--tier`` name, in the order the demo runs them."""


def landed() -> tuple[Tier, ...]:
    """The tiers built in this version."""
    return tuple(entry for entry in REGISTRY.values() if not isinstance(entry, Planned))


def planned() -> tuple[Planned, ...]:
    """The tiers not built yet."""
    return tuple(entry for entry in REGISTRY.values() if isinstance(entry, Planned))


def tier(name: str) -> Tier:
    """The built tier called ``name``; exit code 3 if it is not built, 2 if unknown."""
    entry = REGISTRY.get(name)
    if entry is None:
        known = ", ".join(REGISTRY)
        raise CommandError(EXIT_USAGE, f"no tier is called {name!r} (tiers: {known})")
    if isinstance(entry, Planned):
        raise CommandError(
            EXIT_UNAVAILABLE, f"the {name} tier ({entry.title}) is not built in this version"
        )
    return entry


def owner(kind: str) -> Tier | None:
    """The built tier whose objects are of type ``kind``, if any."""
    for entry in landed():
        if kind in entry.kinds:
            return entry
    return None
