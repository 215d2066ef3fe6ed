"""Operator data sources: where an :class:`~zkcheck.roles.Issuer` reads subscriber facts.

A source maps a subscriber (identified by the MSISDN the operator
authenticated) to :class:`~zkcheck.claims.SubscriberFacts`. Two are built in:
:class:`MemorySubscriberSource` and :class:`SQLiteSubscriberSource` (the
embedded default), and :func:`demo_subscribers` fills either with synthetic
subscribers. A CAMARA adapter would be a third implementation of
:class:`SubscriberSource`.
"""

from zkcheck.sources.base import MemorySubscriberSource, SubscriberSource
from zkcheck.sources.demo import DEMO_SUBSCRIBERS, demo_subscribers
from zkcheck.sources.sqlite import SQLiteSubscriberSource

__all__ = [
    "DEMO_SUBSCRIBERS",
    "MemorySubscriberSource",
    "SQLiteSubscriberSource",
    "SubscriberSource",
    "demo_subscribers",
]
