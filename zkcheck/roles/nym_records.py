"""The operator's pseudonym records in an SQLite file (spec/13-pseudonyms.md, "Operator state").

:class:`~zkcheck.roles.CredentialIssuer` keeps, per subscriber, a
:class:`~zkcheck.roles.credential_issuer.NymRecord`: its part of the
subscriber's pseudonym secret, the digest of the first request and the first
credential's expiry. Without its record a subscriber could start a second
pseudonym secret (a second account at every verifier), and every renewal
would be refused, so an operator keeps the records across runs and shares
them between its issuing processes:
:class:`SQLiteNymRecords` is the mapping the issuer takes, in a table of an
SQLite file (``zkcheck issue`` uses the subscriber database)::

    zkcheck_nym_records(operator_id, msisdn, signer_nym_entropy, first_request,
                        first_expiry_day), one row per operator and subscriber

Every write is one SQLite transaction. :meth:`SQLiteNymRecords.setdefault`,
which registers a subscriber's first record, runs in one ``BEGIN
IMMEDIATE`` transaction, so of two processes registering at once one wins
and the other reads the winner's record. A record of the wrong shape is
refused (``ValueError``) before anything is written, and a row that does not
hold a record raises :class:`~zkcheck.errors.DecodeError` when read.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path

from zkcheck.encoding.messages import check_identifier
from zkcheck.errors import DecodeError
from zkcheck.roles.credential_issuer import NymRecord
from zkcheck.trust._sqlite import SQLiteFile, refuses_damage

__all__ = ["SQLiteNymRecords"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS zkcheck_nym_records (
    operator_id TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    signer_nym_entropy BLOB NOT NULL,
    first_request BLOB NOT NULL,
    first_expiry_day INTEGER NOT NULL,
    PRIMARY KEY (operator_id, msisdn)
);
"""
_SELECT = (
    "SELECT signer_nym_entropy, first_request, first_expiry_day FROM zkcheck_nym_records "
    "WHERE operator_id = ? AND msisdn = ?"
)
_INTO = (
    "INTO zkcheck_nym_records "
    "(operator_id, msisdn, signer_nym_entropy, first_request, first_expiry_day) "
    "VALUES (?, ?, ?, ?, ?)"
)
_SIZE = 32
_MAX_KEY = 64


def _check_key(msisdn: object) -> str:
    if type(msisdn) is not str or not 1 <= len(msisdn) <= _MAX_KEY:
        raise KeyError("a subscriber is named by a short text")
    return msisdn


def _check_record(record: object) -> NymRecord:
    if not isinstance(record, NymRecord):
        raise ValueError("a pseudonym record is a NymRecord")
    for value in (record.signer_nym_entropy, record.first_request):
        if type(value) is not bytes or len(value) != _SIZE:
            raise ValueError(f"a pseudonym record holds two {_SIZE}-byte values")
    day = record.first_expiry_day
    if type(day) is not int or not 0 <= day < 2**31:
        raise ValueError("a pseudonym record's expiry day is an ordinal day")
    return record


def _record(row: tuple[object, ...]) -> NymRecord:
    entropy, first_request, day = row
    if type(entropy) is not bytes or type(first_request) is not bytes or type(day) is not int:
        raise DecodeError("a stored pseudonym record is damaged")
    try:
        return _check_record(NymRecord(entropy, first_request, day))
    except ValueError:
        raise DecodeError("a stored pseudonym record is damaged") from None


class SQLiteNymRecords(SQLiteFile, MutableMapping[str, NymRecord]):
    """The pseudonym records of operator ``operator_id`` in the SQLite file ``path``, by
    MSISDN: a mapping for :class:`~zkcheck.roles.CredentialIssuer`'s ``nym_records``,
    shared by every process that opens the same file."""

    def __init__(self, path: str | Path, operator_id: str, *, timeout: float = 10.0) -> None:
        self.operator_id = check_identifier(operator_id, "the operator id")
        super().__init__(path, _SCHEMA, timeout=timeout)

    def __repr__(self) -> str:
        return f"SQLiteNymRecords({self.operator_id}, <{len(self)} records>)"

    @refuses_damage
    def __getitem__(self, msisdn: str) -> NymRecord:
        with self._lock:
            row = self._db.execute(
                _SELECT,
                (self.operator_id, _check_key(msisdn)),
            ).fetchone()
        if row is None:
            raise KeyError(msisdn)
        return _record(row)

    @refuses_damage
    def __setitem__(self, msisdn: str, record: NymRecord) -> None:
        key, checked = _check_key(msisdn), _check_record(record)
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE {_INTO}",
                (self.operator_id, key, *_values(checked)),
            )

    @refuses_damage
    def __delitem__(self, msisdn: str) -> None:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM zkcheck_nym_records WHERE operator_id = ? AND msisdn = ?",
                (self.operator_id, _check_key(msisdn)),
            )
        if cursor.rowcount != 1:
            raise KeyError(msisdn)

    @refuses_damage
    def __iter__(self) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT msisdn FROM zkcheck_nym_records WHERE operator_id = ? ORDER BY msisdn",
                (self.operator_id,),
            ).fetchall()
        return iter([str(row[0]) for row in rows])

    @refuses_damage
    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM zkcheck_nym_records WHERE operator_id = ?",
                (self.operator_id,),
            ).fetchone()
        return int(count)

    @refuses_damage
    def setdefault(self, msisdn: str, default: NymRecord) -> NymRecord:
        """The subscriber's record: ``default``, stored, if it had none; else the stored one,
        unchanged. Atomic between every process that opens the file."""
        key, checked = _check_key(msisdn), _check_record(default)
        with self._lock, self._immediate():
            self._db.execute(
                f"INSERT OR IGNORE {_INTO}",
                (self.operator_id, key, *_values(checked)),
            )
            row = self._db.execute(
                _SELECT,
                (self.operator_id, key),
            ).fetchone()
        return _record(row)


def _values(record: NymRecord) -> tuple[bytes, bytes, int]:
    return record.signer_nym_entropy, record.first_request, record.first_expiry_day
