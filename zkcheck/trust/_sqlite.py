"""One SQLite file shared by the processes of a verifier: the connection every store opens.

The nonce store and the trust-list state both keep their tables in SQLite
files (often the same file) and make their writes atomic between processes
with ``BEGIN IMMEDIATE`` transactions; this is the part they share.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

__all__ = ["SQLiteFile"]


class SQLiteFile:
    """A connection to an SQLite file in autocommit mode (transactions are begun
    explicitly), guarded by a lock so that threads of one process take turns,
    with ``schema`` created if missing."""

    def __init__(self, path: str | Path, schema: str, *, timeout: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._db.executescript(schema)

    def close(self) -> None:
        with self._lock:
            self._db.close()
