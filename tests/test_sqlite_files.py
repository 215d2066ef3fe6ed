"""SQLite files that are not what zkcheck wrote: a typed error, never SQLite's own.

The nonce store, the trust-list state and the pseudonym records keep their data
in SQLite files, which are input like any other: one that is not a database, whose
pages are damaged or whose tables have another layout is refused with
:class:`DecodeError` when opened or used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zkcheck.errors import DecodeError
from zkcheck.roles.nym_records import SQLiteNymRecords
from zkcheck.trust._sqlite import is_damage
from zkcheck.trust.nonces import SQLiteNonceStore
from zkcheck.trust.trust_state import SQLiteTrustState

Opener = Callable[[Path], Any]

STORES: dict[str, tuple[Opener, str, Callable[[Any], object]]] = {
    # How to open the store, its table, and a use that reads the table.
    "nonces": (SQLiteNonceStore, "zkcheck_requests", lambda store: store.purge(2**40)),
    "trust state": (SQLiteTrustState, "zkcheck_trust_lists", lambda store: store.load("x.example")),
    "nym records": (
        lambda path: SQLiteNymRecords(path, "operator.example"),
        "zkcheck_nym_records",
        len,
    ),
}


@pytest.mark.parametrize("kind", STORES)
def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path, kind: str) -> None:
    opener, _, _ = STORES[kind]
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"this is not an SQLite database, " * 64)
    with pytest.raises(DecodeError, match="damaged or is not zkcheck's"):
        opener(path)
    assert path.read_bytes() == b"this is not an SQLite database, " * 64


@pytest.mark.parametrize("kind", STORES)
def test_tables_of_another_layout_are_refused(tmp_path: Path, kind: str) -> None:
    opener, table, use = STORES[kind]
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE {table} (something_else)")
    store = opener(path)
    with pytest.raises(DecodeError, match="no such column"):
        use(store)
    store.close()


def test_damaged_pages_are_refused_and_a_purge_leaves_no_transaction_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nonces.sqlite"
    store = SQLiteNonceStore(path)
    for i in range(300):
        store.register(i.to_bytes(32, "big"), bytes(200), 10**9)
    store.close()
    data = bytearray(path.read_bytes())
    data[3 * 4096 : 3 * 4096 + 600] = b"\xff" * 600  # inside the table's pages
    path.write_bytes(bytes(data))
    store = SQLiteNonceStore(path)
    for _ in range(2):  # the failed purge rolled its transaction back: it fails the same way
        with pytest.raises(DecodeError, match="malformed"):
            store.purge(2 * 10**9)
    store.close()


def test_busy_is_not_damage(tmp_path: Path) -> None:
    path = tmp_path / "nonces.sqlite"
    SQLiteNonceStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError, match="locked") as caught:
        SQLiteNonceStore(path, timeout=0.05)
    assert not is_damage(caught.value)
    holder.execute("ROLLBACK")
    holder.close()


def test_a_commit_that_fails_busy_leaves_no_transaction_open(tmp_path: Path) -> None:
    # A reader holding the file (a backup, the sqlite3 tool) past the timeout makes the
    # COMMIT itself fail: the write is rolled back, the connection leaves the
    # transaction, and the next write, once the reader is gone, succeeds.
    path = tmp_path / "nonces.sqlite"
    store = SQLiteNonceStore(path, timeout=0.1)
    store.register(b"n" * 32, b"r", 1000)
    store.register(b"m" * 32, b"r", 1000)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM zkcheck_requests").fetchone()  # a shared lock
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store.consume(b"n" * 32, 10)
    assert not store._db.in_transaction
    reader.execute("ROLLBACK")
    reader.close()
    assert store.consume(b"n" * 32, 10)  # the failed consume changed nothing
    assert store.consume(b"m" * 32, 10) and store.purge(2000) == 2
    store.close()
