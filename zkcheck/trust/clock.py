"""The clock, a parameter of every role (DESIGN.md, "Rules that hold everywhere").

Roles read time only through a :class:`Clock`, so tests and the command line
can put an issuer, a holder and a verifier at any instant.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock", "epoch_seconds"]


class Clock(Protocol):
    """Anything that tells the current time as a timezone-aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests and for replaying a scenario."""

    def __init__(self, instant: datetime) -> None:
        self._instant = _aware(instant)

    def now(self) -> datetime:
        return self._instant

    def set(self, instant: datetime) -> None:
        self._instant = _aware(instant)

    def advance(self, delta: timedelta) -> None:
        self._instant += delta


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("clocks hold timezone-aware instants")
    return instant


def epoch_seconds(instant: datetime) -> int:
    """Whole seconds since 1970-01-01T00:00:00Z (a NumericDate, RFC 8392), rounded down."""
    return math.floor(_aware(instant).timestamp())
