"""The verified result: the one object that stands for a successful verification.

Only :class:`zkcheck.roles.Verifier` constructs a :class:`VerifiedResult`
(the constructor refuses callers without the verifier's private token, after
tink's ``VerifiedJwt``), so code that receives one knows every signature,
binding and policy check passed. It cannot be pickled or copied into a
forged one; :meth:`VerifiedResult.to_bytes` gives a
:class:`~zkcheck.encoding.messages.ResultRecord` to log or pass on, which
is data, not proof.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

from zkcheck.claims import Check
from zkcheck.encoding.messages import ResultRecord

__all__ = ["VerifiedResult"]

_MINT = object()
"""The verifier's private construction token."""


class VerifiedResult:
    """What a verifier learned: the checks shown, the operator, a coarse issue time, and
    the holder's pseudonym when one was asked."""

    __slots__ = ("_record",)

    def __init__(self, record: ResultRecord, *, _token: object = None) -> None:
        if _token is not _MINT:
            raise TypeError("only a Verifier constructs a VerifiedResult")
        self._record = record

    @property
    def tier(self) -> str:
        return self._record.tier

    @property
    def operator(self) -> str:
        return self._record.operator

    @property
    def checks(self) -> tuple[Check, ...]:
        """The checks shown, in wire order."""
        return self._record.checks

    @property
    def verifier_id(self) -> str:
        return self._record.verifier_id

    @property
    def pseudonym(self) -> bytes | None:
        """The holder's pseudonym at this verifier (48 octets), when the request asked for one:
        the same at every presentation of the holder's pseudonym secret here, and unlinkable
        to its pseudonyms at other verifiers (spec/13-pseudonyms.md)."""
        return self._record.pseudonym

    @property
    def issued_bucket(self) -> datetime:
        """Start of the coarse interval (the policy's ``result_bucket``) of the issue time."""
        return datetime.fromtimestamp(self._record.issued_bucket, UTC)

    def shows(self, check: Check) -> bool:
        return check in self._record.checks

    def record(self) -> ResultRecord:
        return self._record

    def to_bytes(self) -> bytes:
        """The result as a ``result`` message (data for logs, not a proof)."""
        return self._record.to_bytes()

    def __repr__(self) -> str:
        checks = ", ".join(check.identifier for check in self.checks)
        return f"VerifiedResult({self.tier}, {self.operator}, [{checks}])"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a VerifiedResult cannot be pickled; use to_bytes() for a record")

    def __copy__(self) -> VerifiedResult:
        return self

    def __deepcopy__(self, memo: object) -> VerifiedResult:
        return self


def _mint(record: ResultRecord) -> VerifiedResult:
    """Construct a result; used by the verifier alone."""
    return VerifiedResult(record, _token=_MINT)
