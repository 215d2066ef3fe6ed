"""One SQLite file shared by the processes of a verifier: the connection every store opens.

The nonce store and the trust-list state both keep their tables in SQLite
files (often the same file) and make their writes atomic between processes
with ``BEGIN IMMEDIATE`` transactions; this is the part they share.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from zkcheck.errors import DecodeError

__all__ = ["SQLiteFile", "decode_text", "is_damage", "refuses_damage"]

_Method = TypeVar("_Method", bound=Callable[..., Any])

# Messages of SQLITE_ERROR that say the file's tables are not the layout zkcheck made:
# another program's file, or a damaged schema.
_FOREIGN_LAYOUT = ("no such table", "no such column", "table ")


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Whether ``exc`` says the file is not a usable zkcheck database (damaged, not a
    database, or tables of another layout), as opposed to busy, locked or out of space."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return True
    return code == sqlite3.SQLITE_ERROR and str(exc).startswith(_FOREIGN_LAYOUT)


def refuses_damage(method: _Method) -> _Method:
    """``method``, raising :class:`DecodeError` where SQLite finds its file damaged.

    What a file holds is input like any other: a file that is not a database, or
    whose pages or tables are not what zkcheck wrote, is refused with a typed error.
    Busy, locked or full files keep SQLite's own errors (nothing is wrong with the
    data). ``self.path`` names the file in the message.
    """

    @functools.wraps(method)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            where = getattr(self, "path", "the SQLite file")
            raise DecodeError(f"{where} is damaged or is not zkcheck's ({exc})") from exc

    return cast(_Method, checked)


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

    @refuses_damage
    def __init__(self, path: str | Path, schema: str, *, timeout: float = 10.0) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.text_factory = decode_text
        try:
            with self._lock:
                self._db.executescript(schema)
        except BaseException:
            self._db.close()
            raise

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """One ``BEGIN IMMEDIATE`` transaction (the caller holds ``_lock``): committed when
        the block ends, rolled back when it raises, also when the COMMIT itself fails (a
        reader kept the file busy past the timeout), so the connection never stays inside
        a transaction that holds the write lock."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
