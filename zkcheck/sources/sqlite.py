"""Subscriber facts in an embedded SQLite database (the default operator data source).

One row per subscriber. Instants are whole seconds since the epoch (UTC),
dates ISO 8601 text; ``NULL`` is an unknown fact, as in CAMARA's
``latestSimChange: null``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from zkcheck.claims import SubscriberFacts, SwapRecord, is_e164
from zkcheck.errors import DecodeError

__all__ = ["SQLiteSubscriberSource"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    msisdn TEXT PRIMARY KEY,
    birth_date TEXT,
    sim_latest_change INTEGER,
    sim_monitored_days INTEGER,
    device_latest_change INTEGER,
    device_monitored_days INTEGER,
    serving_country TEXT,
    reachable INTEGER,
    contract_start TEXT,
    home_country TEXT
)
"""
_COLUMNS = (
    "msisdn, birth_date, sim_latest_change, sim_monitored_days, device_latest_change, "
    "device_monitored_days, serving_country, reachable, contract_start, home_country"
)


def _seconds(instant: datetime | None) -> int | None:
    return None if instant is None else int(instant.timestamp())


def _instant(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _record(latest: int | None, days: int | None) -> SwapRecord | None:
    if latest is None and days is None:
        return None
    return SwapRecord(_instant(latest), days)


def _decode_text(value: bytes) -> str:
    # SQLite keeps any bytes as TEXT, and sqlite3's own decoding raises for invalid UTF-8
    # when the row is fetched; escaped, such a value is no date and no country code.
    return value.decode("utf-8", "surrogateescape")


def _text(value: object, name: str) -> str | None:
    # SQLite keeps whatever type it is given, whatever the schema says.
    if value is not None and type(value) is not str:
        raise ValueError(f"{name} is not text")
    return value


def _integer(value: object, name: str) -> int | None:
    if value is not None and type(value) is not int:
        raise ValueError(f"{name} is not an integer")
    return value


def _facts(row: tuple[object, ...]) -> SubscriberFacts:
    """The facts of one row, every column checked: :class:`DecodeError` for a damaged row,
    so that a value the schema does not allow never becomes a fact."""
    (msisdn, birth, sim_latest, sim_days, device_latest, device_days, serving, reachable,
     contract, home) = row  # fmt: skip
    try:
        flag = _integer(reachable, "reachable")
        if flag not in (None, 0, 1):
            raise ValueError("reachable is 0 or 1")
        return SubscriberFacts(
            msisdn=_text(msisdn, "msisdn"),
            birth_date=_day(_text(birth, "birth_date")),
            sim=_record(
                _integer(sim_latest, "sim_latest_change"),
                _integer(sim_days, "sim_monitored_days"),
            ),
            device=_record(
                _integer(device_latest, "device_latest_change"),
                _integer(device_days, "device_monitored_days"),
            ),
            serving_country=_text(serving, "serving_country"),
            reachable=None if flag is None else bool(flag),
            contract_start=_day(_text(contract, "contract_start")),
            home_country=_text(home, "home_country"),
        )
    except (ValueError, OverflowError, OSError) as exc:
        # OverflowError and OSError: an instant beyond what datetime can hold.
        raise DecodeError(f"the subscriber database holds a damaged row ({exc})") from None


class SQLiteSubscriberSource:
    """Subscriber facts in an SQLite file (or ``":memory:"``)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.text_factory = _decode_text
        with self._lock, self._db:
            self._db.execute(_SCHEMA)
            # Databases made before the home country was kept gain its column (empty).
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(subscribers)")}
            if "home_country" not in columns:
                self._db.execute("ALTER TABLE subscribers ADD COLUMN home_country TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add_all(self, subscribers: Iterable[SubscriberFacts]) -> None:
        """Insert or replace subscribers in one transaction."""
        rows = []
        for facts in subscribers:
            if facts.msisdn is None or not is_e164(facts.msisdn):
                raise ValueError("a subscriber is stored under an E.164 MSISDN")
            sim, device = facts.sim or SwapRecord(), facts.device or SwapRecord()
            rows.append(
                (
                    facts.msisdn,
                    None if facts.birth_date is None else facts.birth_date.isoformat(),
                    _seconds(sim.latest_change),
                    sim.monitored_period_days,
                    _seconds(device.latest_change),
                    device.monitored_period_days,
                    facts.serving_country,
                    None if facts.reachable is None else int(facts.reachable),
                    None if facts.contract_start is None else facts.contract_start.isoformat(),
                    facts.home_country,
                )
            )
        with self._lock, self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO subscribers ({_COLUMNS}) "  # noqa: S608 (constant)
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def add(self, facts: SubscriberFacts) -> None:
        self.add_all([facts])

    def facts(self, msisdn: str) -> SubscriberFacts | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE msisdn = ?",  # noqa: S608 (constant)
                (msisdn,),
            ).fetchone()
        return None if row is None else _facts(row)
