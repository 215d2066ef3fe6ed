"""Token-tier keys as the operator key set (and later the trust list) carries them.

One entry per issuer key of Privacy Pass token type 0x0002 (spec/07-token-tier.md,
"Keys and epochs")::

    {1: 2 (token type), 2: issuer name, 3: check, 4: epoch,
     5: not-before, 6: not-after, 7: SubjectPublicKeyInfo}

An entry is self-contained: it names its check and issuer name, so a signed
trust list can carry it as one more entry type under an operator. The epoch
is an index: epoch *e* of length *L* covers [*e*·*L*, (*e* + 1)·*L*), so
``not-before`` and ``not-after`` are aligned to the epoch grid and cannot
single out a subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zkcheck.claims import NUMBER, Check
from zkcheck.encoding.cwt import numeric_date
from zkcheck.encoding.token import check_server_name, refuse_number
from zkcheck.errors import DecodeError
from zkcheck.hazmat.privacypass import TOKEN_TYPE_BLIND_RSA, TokenKey

__all__ = ["TokenKeyEntry"]

_KEYS = frozenset(range(1, 8))


@dataclass(frozen=True)
class TokenKeyEntry:
    """One issuer key of the token tier: its issuer name, check, epoch and public key.

    ``spki`` is the key's SubjectPublicKeyInfo exactly as published (RFC 9578
    section 6.5); the token key id is its SHA-256. Construction refuses
    ``number`` (:class:`~zkcheck.errors.PolicyError`), a key that is not a
    2048-bit RSASSA-PSS key (:class:`~zkcheck.errors.DecodeError`) and
    anything else out of shape (``ValueError``).
    """

    issuer_name: str
    check: Check
    epoch: int
    not_before: int
    not_after: int
    spki: bytes
    token_key: TokenKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        refuse_number(self.check)
        check_server_name(self.issuer_name, "an issuer name")
        length = self.not_after - self.not_before
        if not 0 <= self.not_before < self.not_after or self.epoch < 0:
            raise ValueError("an epoch is a non-empty interval of NumericDates")
        if self.not_before != self.epoch * length:
            raise ValueError("not-before must be the epoch index times the epoch length")
        object.__setattr__(self, "token_key", TokenKey.from_spki(self.spki))

    @property
    def token_key_id(self) -> bytes:
        """SHA-256 of the published key (RFC 9578 section 6.5)."""
        return self.token_key.token_key_id

    def valid_at(self, now: int) -> bool:
        """Whether ``now`` lies in the key's epoch, [not-before, not-after)."""
        return self.not_before <= now < self.not_after

    def to_map(self) -> dict[int, Any]:
        return {
            1: TOKEN_TYPE_BLIND_RSA,
            2: self.issuer_name,
            3: self.check.identifier,
            4: self.epoch,
            5: self.not_before,
            6: self.not_after,
            7: self.spki,
        }

    @classmethod
    def from_map(cls, entry: object) -> TokenKeyEntry:
        """Decode an entry; :class:`DecodeError` for anything malformed, ``number`` included."""
        if not isinstance(entry, dict) or set(entry) != _KEYS:
            raise DecodeError("a token key is {1: type, 2: issuer, 3: check, 4..6: epoch, 7: key}")
        if type(entry[1]) is not int or entry[1] != TOKEN_TYPE_BLIND_RSA:
            raise DecodeError("unsupported token type")
        check = Check.parse(entry[3])
        if check == NUMBER:
            raise DecodeError("the token tier cannot carry number")
        if type(entry[7]) is not bytes:
            raise DecodeError("a token key's public key is a byte string")
        try:
            return cls(
                entry[2],
                check,
                numeric_date(entry[4], "the epoch"),
                numeric_date(entry[5], "not-before"),
                numeric_date(entry[6], "not-after"),
                entry[7],
            )
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
