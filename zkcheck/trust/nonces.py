"""The verifier's single-use store: request nonces, and other values spent once.

Contract (the states of one request nonce, after the replay stores of
Privacy Pass implementations)::

    absent --register--> pending --consume--> consumed --purge (after expiry)--> absent

* :meth:`NonceStore.register` records a nonce the verifier just put in a
  request, with the encoded request and its expiry. A nonce already known is
  refused (``ValueError``) and the stored one is left untouched.
* :meth:`NonceStore.pending` returns the stored request while the nonce is
  pending, whatever the state of other nonces; reading changes nothing, so a
  presentation that fails verification leaves its nonce usable.
* :meth:`NonceStore.consume` moves a pending, unexpired nonce to consumed and
  records the ``spend`` values (single-use values of a tier, such as token
  nonces, with their own expiry) in one atomic step. It returns ``True`` for
  exactly one caller; it returns ``False``, changing nothing, if the nonce is
  not pending, has expired, or any ``spend`` value was already spent.
* Bad input (a value of the wrong type or size) is refused without touching
  what is stored.

:class:`MemoryNonceStore` serves one process; :class:`SQLiteNonceStore`
serves every process that opens the same file (SQLite's write lock makes the
consume step atomic between them).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from zkcheck.errors import DecodeError
from zkcheck.trust._sqlite import SQLiteFile, refuses_damage

__all__ = [
    "MAX_KEY_SIZE",
    "MAX_RECORD_SIZE",
    "MemoryNonceStore",
    "NonceStore",
    "PendingRequest",
    "SQLiteNonceStore",
]

MAX_KEY_SIZE = 64
MAX_RECORD_SIZE = 64 * 1024
_NO_SPEND: Mapping[bytes, int] = {}


class PendingRequest(NamedTuple):
    """A registered request awaiting its presentation (a named tuple: one is made on
    every verification)."""

    record: bytes
    expires_at: int


class NonceStore(Protocol):
    """The single-use store a verifier uses; see the module documentation for the contract."""

    def register(self, nonce: bytes, record: bytes, expires_at: int) -> None: ...

    def pending(self, nonce: bytes) -> PendingRequest | None: ...

    def consume(self, nonce: bytes, now: int, spend: Mapping[bytes, int] = _NO_SPEND) -> bool: ...

    def purge(self, now: int) -> int: ...


def _valid_key(value: object) -> bool:
    return type(value) is bytes and 1 <= len(value) <= MAX_KEY_SIZE


def _check_register(nonce: object, record: object, expires_at: object) -> None:
    if not _valid_key(nonce):
        raise ValueError(f"a nonce is 1..{MAX_KEY_SIZE} bytes")
    if type(record) is not bytes or len(record) > MAX_RECORD_SIZE:
        raise ValueError("a record is bytes")
    if type(expires_at) is not int or expires_at < 0:
        raise ValueError("expires_at is a NumericDate")


def _valid_spend(spend: object) -> bool:
    if not spend:
        return spend is not None
    return isinstance(spend, Mapping) and all(
        _valid_key(value) and type(expiry) is int for value, expiry in spend.items()
    )


class MemoryNonceStore:
    """A nonce store in this process's memory, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[bytes, tuple[bytes, int, bool]] = {}
        self._spent: dict[bytes, int] = {}

    def register(self, nonce: bytes, record: bytes, expires_at: int) -> None:
        _check_register(nonce, record, expires_at)
        with self._lock:
            if nonce in self._requests:
                raise ValueError("nonce already registered")
            self._requests[nonce] = (record, expires_at, False)

    def pending(self, nonce: bytes) -> PendingRequest | None:
        if not _valid_key(nonce):
            return None
        entry = self._requests.get(nonce)
        if entry is None or entry[2]:
            return None
        return PendingRequest(entry[0], entry[1])

    def consume(self, nonce: bytes, now: int, spend: Mapping[bytes, int] = _NO_SPEND) -> bool:
        if not _valid_key(nonce) or type(now) is not int or not _valid_spend(spend):
            return False
        with self._lock:
            entry = self._requests.get(nonce)
            if entry is None or entry[2] or not now < entry[1]:
                return False
            if spend:
                if any(value in self._spent for value in spend):
                    return False
                self._spent.update(spend)
            self._requests[nonce] = (entry[0], entry[1], True)
            return True

    def purge(self, now: int) -> int:
        """Forget requests and spent values whose expiry has passed; returns how many."""
        with self._lock:
            old = [nonce for nonce, entry in self._requests.items() if entry[1] <= now]
            for nonce in old:
                del self._requests[nonce]
            spent = [value for value, expiry in self._spent.items() if expiry <= now]
            for value in spent:
                del self._spent[value]
            return len(old) + len(spent)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS zkcheck_requests (
    nonce BLOB PRIMARY KEY,
    record BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS zkcheck_spent (
    value BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
"""


class _NotConsumed(Exception):
    """The nonce is unknown, consumed or expired: the transaction is rolled back."""


class SQLiteNonceStore(SQLiteFile):
    """A nonce store in an SQLite file, shared by every process that opens it.

    ``consume`` runs in one ``BEGIN IMMEDIATE`` transaction, which takes
    SQLite's write lock before reading: of two processes consuming the same
    nonce, the second sees it consumed.
    """

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        super().__init__(path, _SCHEMA, timeout=timeout)

    @refuses_damage
    def register(self, nonce: bytes, record: bytes, expires_at: int) -> None:
        _check_register(nonce, record, expires_at)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO zkcheck_requests (nonce, record, expires_at) VALUES (?, ?, ?)",
                    (nonce, record, expires_at),
                )
            except sqlite3.IntegrityError:
                raise ValueError("nonce already registered") from None

    @refuses_damage
    def pending(self, nonce: bytes) -> PendingRequest | None:
        if not _valid_key(nonce):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT record, expires_at FROM zkcheck_requests WHERE nonce = ? AND consumed = 0",
                (nonce,),
            ).fetchone()
        if row is None:
            return None
        record, expires_at = row
        # What SQLite hands back has the type the file holds, whatever the schema says.
        if type(record) is not bytes or type(expires_at) is not int:
            raise DecodeError("a stored request is damaged")
        return PendingRequest(record, expires_at)

    @refuses_damage
    def consume(self, nonce: bytes, now: int, spend: Mapping[bytes, int] = _NO_SPEND) -> bool:
        if not _valid_key(nonce) or type(now) is not int or not _valid_spend(spend):
            return False
        with self._lock:
            try:
                with self._immediate():
                    cursor = self._db.execute(
                        "UPDATE zkcheck_requests SET consumed = 1 "
                        "WHERE nonce = ? AND consumed = 0 AND expires_at > ?",
                        (nonce, now),
                    )
                    if cursor.rowcount != 1:
                        raise _NotConsumed
                    self._db.executemany(
                        "INSERT INTO zkcheck_spent (value, expires_at) VALUES (?, ?)",
                        list(spend.items()),
                    )
            except (_NotConsumed, sqlite3.IntegrityError):  # rolled back: nothing changed
                return False
            return True

    @refuses_damage
    def purge(self, now: int) -> int:
        with self._lock, self._immediate():
            removed = self._db.execute(
                "DELETE FROM zkcheck_requests WHERE expires_at <= ?", (now,)
            ).rowcount
            removed += self._db.execute(
                "DELETE FROM zkcheck_spent WHERE expires_at <= ?", (now,)
            ).rowcount
        return removed
