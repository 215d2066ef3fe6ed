"""Operator data sources: in memory and SQLite, filled with synthetic subscribers."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from zkcheck.claims import Check, SubscriberFacts, SwapRecord, holds
from zkcheck.errors import DecodeError
from zkcheck.sources import (
    DEMO_SUBSCRIBERS,
    MemorySubscriberSource,
    SQLiteSubscriberSource,
    demo_subscribers,
)

NOW = datetime(2024, 2, 29, 10, 0, tzinfo=UTC)  # a leap day: years_ago must not fail


def test_demo_subscribers_are_reproducible_and_synthetic() -> None:
    first, again = demo_subscribers(NOW, 50, seed=7), demo_subscribers(NOW, 50, seed=7)
    assert first == again
    assert first != demo_subscribers(NOW, 50, seed=8)
    numbers = [facts.msisdn for facts in first]
    assert len(set(numbers)) == len(numbers) == 50 + len(DEMO_SUBSCRIBERS)
    assert set(DEMO_SUBSCRIBERS.values()) <= set(numbers)
    assert all(number is not None and number.startswith("+34600") for number in numbers)
    with pytest.raises(ValueError):
        demo_subscribers(NOW, 900_000)


def test_sqlite_source_round_trips_every_fact(tmp_path: Path) -> None:
    subscribers = demo_subscribers(NOW, 30, seed=1)
    path = tmp_path / "subscribers.sqlite"
    source = SQLiteSubscriberSource(path)
    source.add_all(subscribers)
    source.close()
    reopened = SQLiteSubscriberSource(path)
    for facts in subscribers:
        assert facts.msisdn is not None
        stored = reopened.facts(facts.msisdn)
        # Instants are stored to the second; the demo's are whole seconds.
        assert stored == facts
    assert reopened.facts("+34699999999") is None
    reopened.close()


def test_unknown_facts_stay_unknown() -> None:
    source = SQLiteSubscriberSource()
    facts = SubscriberFacts(msisdn="+34600000999", sim=SwapRecord(None, 7), reachable=False)
    source.add(facts)
    assert source.facts("+34600000999") == facts
    bare = SubscriberFacts(msisdn="+34600000998", birth_date=date(2000, 1, 1))
    source.add(bare)
    assert source.facts("+34600000998") == bare


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reachable", "false"),  # text: bool("false") would be True, an attestation of a lie
        ("reachable", 2),
        ("birth_date", "not a date"),
        ("sim_latest_change", 10**17),  # beyond what a datetime holds
        ("sim_latest_change", "yesterday"),
        ("sim_monitored_days", "x"),
        ("sim_monitored_days", -1),
        ("contract_start", b"\xff\xfe"),  # a blob
    ],
)
def test_a_damaged_row_is_refused_not_read_as_facts(
    tmp_path: Path, column: str, value: object
) -> None:
    path = tmp_path / "subscribers.sqlite"
    source = SQLiteSubscriberSource(path)
    source.add(SubscriberFacts(msisdn="+34600000999", birth_date=date(2000, 1, 1), reachable=True))
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE subscribers SET {column} = ?", (value,))
    with pytest.raises(DecodeError, match="damaged"):
        source.facts("+34600000999")
    source.close()


def test_text_that_is_not_utf_8_is_read_and_refused(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.sqlite"
    source = SQLiteSubscriberSource(path)
    source.add(SubscriberFacts(msisdn="+34600000999", birth_date=date(2000, 1, 1)))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE subscribers SET birth_date = CAST(X'FF31' AS TEXT)")
    with pytest.raises(DecodeError, match="damaged"):
        source.facts("+34600000999")
    source.close()


def test_sources_refuse_subscribers_without_an_e164_number() -> None:
    for source in (MemorySubscriberSource(), SQLiteSubscriberSource()):
        with pytest.raises(ValueError):
            source.add(SubscriberFacts(msisdn="600000001"))
        with pytest.raises(ValueError):
            source.add(SubscriberFacts())
    memory = MemorySubscriberSource(demo_subscribers(NOW))
    assert memory.facts(DEMO_SUBSCRIBERS["adult"]) is not None
    assert memory.facts("+34699999999") is None


@pytest.mark.parametrize("now", [NOW, datetime(2027, 2, 27, 23, 59, tzinfo=UTC)])
def test_the_17_year_old_turns_18_tomorrow(now: datetime) -> None:
    facts = MemorySubscriberSource(demo_subscribers(now)).facts(
        DEMO_SUBSCRIBERS["turns_18_tomorrow"]
    )
    assert facts is not None
    assert holds(Check.age_over(16), facts, now=now)
    assert not holds(Check.age_over(18), facts, now=now)
    assert holds(Check.age_over(18), facts, now=now + timedelta(days=1))


def test_sqlite_source_keeps_the_home_country_and_upgrades_older_files(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE subscribers (msisdn TEXT PRIMARY KEY, birth_date TEXT, "
        "sim_latest_change INTEGER, sim_monitored_days INTEGER, device_latest_change INTEGER, "
        "device_monitored_days INTEGER, serving_country TEXT, reachable INTEGER, "
        "contract_start TEXT)"
    )
    old.execute("INSERT INTO subscribers (msisdn) VALUES ('+34600000998')")
    old.commit()
    old.close()
    source = SQLiteSubscriberSource(path)
    assert source.facts("+34600000998") == SubscriberFacts(msisdn="+34600000998")
    facts = SubscriberFacts(msisdn="+34600000999", home_country="PT")
    source.add(facts)
    assert source.facts("+34600000999") == facts
    source.close()
