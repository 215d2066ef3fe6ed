"""``zkcheck demo``: the three scenarios on embedded synthetic data, in every built tier.

On a fresh clone nothing needs configuring: the demo keeps its state in a
directory (by default under the user's cache directory, else the temporary
directory; ``--state DIR`` chooses one):

* ``subscribers.db``: the operator's SQLite subscriber database, filled with
  synthetic subscribers (:func:`zkcheck.sources.demo_subscribers`, no real
  person's data), refreshed on every run because the named subscribers' facts
  are relative to now (a SIM swapped "an hour ago");
* the demo operator's secret keys (the signed tier's ``operator.key``, the
  token tier's ``token-issuer.key`` and the credential tier's
  ``credential-issuer.key``, mode 0600), reused from run to run (token and
  credential keys are renewed when their epoch has ended);
* the public ``operators.keyset`` (the demo operator's keys in every tier, as
  it hands them to the federation) and ``token-directories.cbor`` (its issuer
  directories);
* the signed trust list of a federation of 47 operators in eleven countries,
  the demo operator among them, each with keys in every tier
  (``federation.trust-list``), and the authority key its relying parties pin
  (``authority.pin``), drawn anew at every run (:mod:`zkcheck.cli.federation`);
* ``zkcheck-demo-state``, the marker that lets a later run recognise the
  directory. A non-empty directory without it is refused, never cleared.

``--fresh`` recreates the keys and the database. The other commands can use
the files: ``zkcheck issue --key DIR/operator.key --subscribers
DIR/subscribers.db`` issues from the demo operator, and ``zkcheck verify
--trust-list DIR/federation.trust-list --pin DIR/authority.pin`` verifies it.
The relying parties of every tier are configured once, with the pinned key
and no operator, and each case is attested by another operator of the
federation.

A tier that does not answer a scenario's check (the token tier never
carries ``number``) runs none of its cases; the result records why, and the
transcript says so.

:func:`run_demo` returns a :class:`DemoResult`, the structured record the
transcript is rendered from and the tests read.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zkcheck.claims import NUMBER, SubscriberFacts
from zkcheck.cli import tiers
from zkcheck.cli.exits import EXIT_BAD_INPUT, CommandError
from zkcheck.cli.federation import load_federation
from zkcheck.cli.scenarios import SCENARIOS, CaseResult, DemoWorld, Progress
from zkcheck.cli.tiers import Planned
from zkcheck.roles.anonymity import anonymity_sets
from zkcheck.roles.demo_federation import DemoFederation
from zkcheck.sources import SQLiteSubscriberSource, demo_subscribers
from zkcheck.trust.clock import Clock, SystemClock, epoch_seconds
from zkcheck.trust.trust_list import decode_operators

__all__ = [
    "RANDOM_SUBSCRIBERS",
    "STATE_MARKER",
    "SUBSCRIBER_SEED",
    "DemoResult",
    "anonymity_line",
    "default_state_dir",
    "run_demo",
]

STATE_MARKER = "zkcheck-demo-state"
_STATE_VERSION = "zkcheck demo state, version 1\n"
_SUBSCRIBERS = "subscribers.db"
RANDOM_SUBSCRIBERS = 2000
"""Synthetic subscribers the database holds besides the named ones the scenarios use."""
SUBSCRIBER_SEED = 2026
"""The seed of the random synthetic subscribers: the same database at every run."""


@dataclass(frozen=True)
class DemoResult:
    """What one run of the demo did."""

    state: Path
    setup: tuple[str, ...]
    """The state in words: the database, each tier's keys, created or reused."""
    tiers: tuple[str, ...]
    not_built: tuple[Planned, ...]
    """Tiers of the design not built in this version (listed when no tier was picked)."""
    cases: tuple[CaseResult, ...]
    seconds: float
    skipped: tuple[tuple[str, str, str], ...] = ()
    """(scenario key, tier, why) for each scenario a tier does not answer in this version."""

    @property
    def as_expected(self) -> bool:
        """Whether every case ended as its scenario expects."""
        return all(case.as_expected for case in self.cases)

    def case(self, scenario: str, index: int, tier: str = "signed") -> CaseResult:
        """The ``index``-th case (from 0) of a scenario (``bank``, ``social``, ``age``)."""
        found = [c for c in self.cases if c.scenario.key == scenario and c.tier == tier]
        return found[index]


def default_state_dir() -> Path:
    """``zkcheck/demo`` under the user's cache directory (XDG on Unix, the platform's
    own on macOS and Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "zkcheck" / "demo"


def _temporary_state_dir() -> Path:
    owner = str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()
    return Path(tempfile.gettempdir()) / f"zkcheck-demo-{owner}"


def _claim(path: Path, fresh: bool) -> bool:
    """Make ``path`` a demo state directory; whether it was one already (and is kept)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    marker = path / STATE_MARKER
    if marker.is_file():
        if marker.read_text(errors="replace") == _STATE_VERSION and not fresh:
            return True
    elif any(path.iterdir()):
        raise CommandError(
            EXIT_BAD_INPUT,
            f"{path} is not empty and is not a zkcheck demo state directory; "
            "choose a new or empty directory with --state",
        )
    (path / _SUBSCRIBERS).unlink(missing_ok=True)
    marker.write_text(_STATE_VERSION)
    return False


def _state_dir(chosen: Path | None, fresh: bool) -> tuple[Path, bool]:
    if chosen is not None:
        try:
            return chosen, _claim(chosen, fresh)
        except OSError as exc:
            raise CommandError(EXIT_BAD_INPUT, f"cannot use {chosen}: {exc.strerror}") from None
    for candidate in (default_state_dir(), _temporary_state_dir()):
        try:
            return candidate, _claim(candidate, fresh)
        except OSError:
            continue
    raise CommandError(EXIT_BAD_INPUT, "no usable state directory: choose one with --state")


def _subscribers(
    state: Path, clock: Clock
) -> tuple[SQLiteSubscriberSource, list[SubscriberFacts], str]:
    path = state / _SUBSCRIBERS
    how = "refreshed" if path.exists() else "created"
    try:
        source = SQLiteSubscriberSource(path)
    except sqlite3.DatabaseError:
        try:
            path.unlink()
        except OSError as exc:  # a directory, or a file that cannot be removed
            raise CommandError(
                EXIT_BAD_INPUT, f"{path} is not a subscriber database and cannot be replaced"
            ) from exc
        source, how = SQLiteSubscriberSource(path), "recreated (the old file was unreadable)"
    subscribers = demo_subscribers(clock.now(), RANDOM_SUBSCRIBERS, seed=SUBSCRIBER_SEED)
    source.add_all(subscribers)
    return source, subscribers, f"{len(subscribers)} synthetic subscribers, {how} ({_SUBSCRIBERS})"


def anonymity_line(
    federation: DemoFederation, subscribers: Sequence[SubscriberFacts], now: int
) -> str:
    """The anonymity set of one presentation for each scenario's check and each tier, as
    spec/10-privacy.md ("Anonymity sets") defines it, at ``now``."""
    checks = [scenario.check for scenario in SCENARIOS if scenario.check != NUMBER]
    sets = anonymity_sets(
        decode_operators(federation.trust_list.operators), subscribers, checks, now
    )
    parts = []
    for check in checks:
        sizes = ", ".join(f"{found.tier} {found.size}" for found in sets if found.check == check)
        parts.append(f"{check.identifier}: {sizes}")
    return (
        "anonymity set of one presentation among one operator's subscribers "
        f"(spec/10-privacy.md): {'; '.join(parts)}"
    )


def _ignore(_: str) -> None:
    pass


def _prefixed(progress: Progress, where: str) -> Progress:
    return lambda what: progress(f"{where}: {what}")


def run_demo(
    *,
    state: Path | None = None,
    tier_names: Sequence[str] = (),
    fresh: bool = False,
    progress: Progress = _ignore,
    clock: Clock | None = None,
) -> DemoResult:
    """Run every scenario in the tiers named (default: every built tier).

    Raises :class:`~zkcheck.cli.exits.CommandError` when a tier named is not
    built (exit code 3) or the state directory cannot be used (exit code 4).
    """
    started = time.perf_counter()
    chosen = [tiers.tier(name) for name in dict.fromkeys(tier_names)]
    running = chosen or list(tiers.landed())
    clock = clock if clock is not None else SystemClock()
    progress("preparing the demo state")
    directory, kept = _state_dir(state, fresh)
    source, subscribers, database = _subscribers(directory, clock)
    try:
        progress("drawing the federation's operators and signing its trust list")
        names = {entry.name for entry in running}
        federation = load_federation(
            directory,
            clock,
            fresh=fresh or not kept,
            signed="signed" in names,
            tokens="token" in names,
            credentials="credential" in names,
        )
        world = DemoWorld(directory, source, clock, federation)
        runs = [(entry.name, entry.demo(world)) for entry in running]
        cases = []
        skipped = []
        for scenario in SCENARIOS:
            for name, run in runs:
                reason = run.skips(scenario)
                if reason is not None:
                    skipped.append((scenario.key, name, reason))
                    continue
                for index, case in enumerate(scenario.cases, start=1):
                    where = f"{scenario.verifier}, {name} tier, case {index}"
                    cases.append(run.run(scenario, case, _prefixed(progress, where)))
    finally:
        source.close()
    return DemoResult(
        state=directory,
        setup=(
            database,
            federation.description,
            anonymity_line(federation.federation, subscribers, epoch_seconds(clock.now())),
            *(f"{name} tier: {run.description}" for name, run in runs),
        ),
        tiers=tuple(name for name, _ in runs),
        not_built=() if chosen else tiers.planned(),
        cases=tuple(cases),
        seconds=time.perf_counter() - started,
        skipped=tuple(skipped),
    )
