"""The interface of an operator data source, and the in-memory one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from zkcheck.claims import SubscriberFacts, is_e164

__all__ = ["MemorySubscriberSource", "SubscriberSource"]


class SubscriberSource(Protocol):
    """Subscriber facts by MSISDN; ``None`` for a number the operator does not serve."""

    def facts(self, msisdn: str) -> SubscriberFacts | None: ...


class MemorySubscriberSource:
    """Subscriber facts held in a dictionary."""

    def __init__(self, subscribers: Iterable[SubscriberFacts] = ()) -> None:
        self._by_number: dict[str, SubscriberFacts] = {}
        for facts in subscribers:
            self.add(facts)

    def add(self, facts: SubscriberFacts) -> None:
        """Add or replace a subscriber; the MSISDN must be an E.164 number."""
        if facts.msisdn is None or not is_e164(facts.msisdn):
            raise ValueError("a subscriber is stored under an E.164 MSISDN")
        self._by_number[facts.msisdn] = facts

    def facts(self, msisdn: str) -> SubscriberFacts | None:
        return self._by_number.get(msisdn)
