"""Synthetic demo subscribers: no real person's data, reproducible from a seed.

:data:`DEMO_SUBSCRIBERS` names the subscribers the scenarios use (an adult,
a minor, a 17-year-old who turns 18 tomorrow, a subscriber whose SIM was
swapped an hour ago, one under a retention limit, ...); :func:`demo_subscribers`
adds any number of random ones around them. Numbers are in the +34 600 000 xxx
range.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from zkcheck.claims import SubscriberFacts, SwapRecord, anniversary

__all__ = ["DEMO_SUBSCRIBERS", "demo_subscribers"]

DEMO_SUBSCRIBERS = {
    "adult": "+34600000001",
    "minor": "+34600000002",
    "recently_swapped": "+34600000003",
    "retention_limited": "+34600000004",
    "leap_day": "+34600000005",
    "unknown_birth": "+34600000006",
    "turns_18_tomorrow": "+34600000007",
}
"""The named demo subscribers, by role in the scenarios."""


def _named(now: datetime) -> list[SubscriberFacts]:
    today = now.date()

    def years_ago(years: int) -> date:
        return anniversary(today, -years)

    long_ago = SwapRecord(latest_change=now - timedelta(days=400))
    return [
        SubscriberFacts(
            msisdn=DEMO_SUBSCRIBERS["adult"],
            birth_date=years_ago(35),
            sim=long_ago,
            device=long_ago,
            serving_country="ES",
            reachable=True,
            contract_start=years_ago(6),
            home_country="ES",
        ),
        SubscriberFacts(
            msisdn=DEMO_SUBSCRIBERS["minor"],
            birth_date=years_ago(15),
            sim=long_ago,
            serving_country="ES",
            reachable=True,
            contract_start=years_ago(1),
        ),
        SubscriberFacts(
            msisdn=DEMO_SUBSCRIBERS["recently_swapped"],
            birth_date=years_ago(42),
            sim=SwapRecord(latest_change=now - timedelta(hours=1)),
            serving_country="ES",
            reachable=True,
            contract_start=years_ago(3),
        ),
        SubscriberFacts(
            msisdn=DEMO_SUBSCRIBERS["retention_limited"],
            birth_date=years_ago(28),
            sim=SwapRecord(latest_change=None, monitored_period_days=7),
            serving_country="ES",
            reachable=True,
        ),
        SubscriberFacts(
            msisdn=DEMO_SUBSCRIBERS["leap_day"],
            birth_date=date(2008, 2, 29),
            sim=long_ago,
            serving_country="ES",
        ),
        SubscriberFacts(msisdn=DEMO_SUBSCRIBERS["unknown_birth"], sim=long_ago),
        SubscriberFacts(
            msisdn=DEMO_SUBSCRIBERS["turns_18_tomorrow"],
            birth_date=anniversary(today + timedelta(days=1), -18),
            sim=long_ago,
            serving_country="ES",
            reachable=True,
            contract_start=years_ago(2),
        ),
    ]


def demo_subscribers(now: datetime, count: int = 0, *, seed: int = 0) -> list[SubscriberFacts]:
    """The named subscribers plus ``count`` random ones, reproducible from ``seed``."""
    # Synthetic test data, not secrets: a seeded, non-cryptographic generator
    # is what makes the demo reproducible.
    if not 0 <= count <= 899_999:
        raise ValueError("count is in 0..899999 (the demo number range)")
    draw = random.Random(seed)  # noqa: S311
    subscribers = _named(now)
    for index in range(count):
        age_days = draw.randint(10 * 365, 90 * 365)
        swap_hours = draw.choice([2, 30, 100, 2000, 9000])
        limited = draw.random() < 0.2
        sim = (
            SwapRecord(None, draw.choice([3, 7, 30]))
            if limited
            else SwapRecord(now - timedelta(hours=swap_hours))
        )
        subscribers.append(
            SubscriberFacts(
                msisdn=f"+34600{100000 + index:06d}",
                birth_date=now.date() - timedelta(days=age_days),
                sim=sim,
                device=SwapRecord(now - timedelta(hours=draw.randint(1, 20000))),
                serving_country=draw.choice(["ES", "ES", "ES", "PT", "FR"]),
                reachable=draw.random() < 0.9,
                contract_start=now.date() - timedelta(days=draw.randint(10, 4000)),
            )
        )
    return subscribers
