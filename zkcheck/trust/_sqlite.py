"""One SQLite file shared by the processes of a verifier: the connection every store opens.

The nonce store and the trust-list state both keep their tables in SQLite
files (often the same file) and make their writes atomic between processes
with ``BEGIN IMMEDIATE`` transactions; this is the part they share.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

__all__ = ["SQLiteFile", "decode_text"]


def decode_text(value: bytes) -> str:
    """A TEXT value as ``str``, whatever bytes the file holds.

    SQLite stores any bytes as TEXT, and sqlite3's default decoding raises
    ``OperationalError`` for invalid UTF-8 when a row is fetched; decoded with
    ``surrogateescape`` such a value is still text, and the reader's own checks
    refuse it as damaged.
    """
    return value.decode("utf-8", "surrogateescape")


class SQLiteFile:
    """A connection to an SQLite file in autocommit mode (transactions are begun
    explicitly), guarded by a lock so that threads of one process take turns,
    with ``schema`` created if missing."""

    def __init__(self, path: str | Path, schema: str, *, timeout: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.text_factory = decode_text
        with self._lock:
            self._db.executescript(schema)

    def close(self) -> None:
        with self._lock:
            self._db.close()
