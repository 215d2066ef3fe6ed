"""What a relying party remembers of the trust list between runs (spec/14-trust-list.md).

For each list id: the authority key the state grew from (the pin), the
current authority key, the highest sequence number accepted, the digest of
its head, its issue time, and the accepted list file itself (the cache a
verifier restarts from without the network).

Contract of :meth:`TrustStateStore.advance`, the only write: in one atomic
step, it compares the stored record with the new one and

* writes the new one when nothing is stored or its sequence number is higher;
* changes nothing when the sequence number and digest are the stored ones;
* refuses with :class:`~zkcheck.errors.OutOfSequence`, changing nothing, when
  the sequence number is lower (rollback) or equal with another digest
  (equivocation).

The checks that need the content (signature, freshness, the fast-forward
bound) happen before, in :mod:`zkcheck.trust.trust_client`; ``advance``
repeats the ordering check inside its transaction so that two processes
sharing one SQLite file never move the stored sequence number backwards.
Nothing is written for a list that fails any check.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from zkcheck.errors import DecodeError, OutOfSequence
from zkcheck.trust._sqlite import SQLiteFile, refuses_damage

__all__ = ["MemoryTrustState", "SQLiteTrustState", "StoredTrust", "TrustStateStore"]


@dataclass(frozen=True)
class StoredTrust:
    """The accepted list of one list id, as remembered."""

    pinned: bytes
    """Key id of the configured authority key this state started from."""
    authority: bytes
    """The current authority key (an encoded COSE_Key with kid): the head's signer."""
    sequence: int
    digest: bytes
    """SHA-256 of the accepted head's payload (what equivocation is compared on)."""
    issued_at: int
    bundle: bytes
    """The accepted trust list file."""


class TrustStateStore(Protocol):
    """Persistent state of a relying party's trust lists; see the module documentation."""

    def load(self, list_id: str) -> StoredTrust | None: ...

    def advance(self, list_id: str, new: StoredTrust) -> None: ...

    def forget(self, list_id: str) -> None:
        """Drop the state of ``list_id``: only when its pinned authority key is replaced."""
        ...


def _check_order(stored: StoredTrust | None, new: StoredTrust) -> bool:
    """Whether ``new`` is to be written; OutOfSequence when it may not replace ``stored``."""
    if stored is None or new.sequence > stored.sequence:
        return True
    if new.sequence < stored.sequence:
        raise OutOfSequence("a list older than the one held (rollback)")
    if new.digest != stored.digest:
        raise OutOfSequence("another list under a sequence number already held (equivocation)")
    return False


class MemoryTrustState:
    """State in this process's memory (lost at exit): for tests and short-lived verifiers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, StoredTrust] = {}

    def load(self, list_id: str) -> StoredTrust | None:
        return self._records.get(list_id)

    def advance(self, list_id: str, new: StoredTrust) -> None:
        with self._lock:
            if _check_order(self._records.get(list_id), new):
                self._records[list_id] = new

    def forget(self, list_id: str) -> None:
        with self._lock:
            self._records.pop(list_id, None)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS zkcheck_trust_lists (
    list_id TEXT PRIMARY KEY,
    pinned BLOB NOT NULL,
    authority BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    digest BLOB NOT NULL,
    issued_at INTEGER NOT NULL,
    bundle BLOB NOT NULL
);
"""


class SQLiteTrustState(SQLiteFile):
    """State in an SQLite file, kept across restarts and shared by every process that opens it.

    ``advance`` runs in one ``BEGIN IMMEDIATE`` transaction, which takes
    SQLite's write lock before reading, so the comparison and the write are
    one step for every process.
    """

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        super().__init__(path, _SCHEMA, timeout=timeout)

    def _row(self, list_id: str) -> StoredTrust | None:
        row = self._db.execute(
            "SELECT pinned, authority, sequence, digest, issued_at, bundle "
            "FROM zkcheck_trust_lists WHERE list_id = ?",
            (list_id,),
        ).fetchone()
        if row is None:
            return None
        pinned, authority, sequence, digest, issued_at, bundle = row
        # What SQLite hands back has the type the file holds, whatever the schema says.
        if not all(type(value) is bytes for value in (pinned, authority, digest, bundle)) or not (
            type(sequence) is int and type(issued_at) is int
        ):
            raise DecodeError("the stored trust-list state is damaged")
        return StoredTrust(pinned, authority, sequence, digest, issued_at, bundle)

    @refuses_damage
    def load(self, list_id: str) -> StoredTrust | None:
        with self._lock:
            return self._row(list_id)

    @refuses_damage
    def advance(self, list_id: str, new: StoredTrust) -> None:
        with self._lock, self._immediate():
            if _check_order(self._row(list_id), new):
                self._db.execute(
                    "INSERT OR REPLACE INTO zkcheck_trust_lists "
                    "(list_id, pinned, authority, sequence, digest, issued_at, bundle) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        list_id, new.pinned, new.authority, new.sequence, new.digest,
                        new.issued_at, new.bundle,
                    ),
                )  # fmt: skip

    @refuses_damage
    def forget(self, list_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM zkcheck_trust_lists WHERE list_id = ?", (list_id,))
