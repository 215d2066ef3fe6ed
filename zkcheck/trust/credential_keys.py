"""Credential-tier keys as the operator key set (and later the trust list) carries them.

One entry per BBS key of an operator (spec/08-credential-tier.md, "Keys")::

    {1: layout version (1), 2: epoch, 3: not-before, 4: not-after, 5: public key}

The public key is the 96-octet compressed G2 point of the BBS draft; its key
id, which every credential response and presentation names, is the first 16
octets of its SHA-256 (:func:`zkcheck.hazmat.credential.key_id`). The epoch
is an index: epoch *e* of length *L* covers [*e*·*L*, (*e* + 1)·*L*), so
``not-before`` and ``not-after`` lie on the epoch grid and cannot single out a
subscriber. The operator signs with a key only at instants inside its epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zkcheck.encoding.cwt import numeric_date
from zkcheck.errors import DecodeError
from zkcheck.hazmat.bbs import get_ciphersuite, octets_to_pubkey
from zkcheck.hazmat.credential import LAYOUT_VERSION, SUITE, key_id

__all__ = ["CredentialKeyEntry"]

_KEYS = frozenset(range(1, 6))


@dataclass(frozen=True)
class CredentialKeyEntry:
    """One BBS key of an operator: the layout it signs, its epoch and its public key.

    Construction refuses a public key that is not a valid G2 point
    (:class:`~zkcheck.errors.DecodeError`) and anything else out of shape
    (``ValueError``).
    """

    epoch: int
    not_before: int
    not_after: int
    public_key: bytes
    layout_version: int = LAYOUT_VERSION

    def __post_init__(self) -> None:
        if self.layout_version != LAYOUT_VERSION:
            raise ValueError(f"a credential key signs layout version {LAYOUT_VERSION}")
        length = self.not_after - self.not_before
        if not 0 <= self.not_before < self.not_after or self.epoch < 0:
            raise ValueError("an epoch is a non-empty interval of NumericDates")
        if self.not_before != self.epoch * length:
            raise ValueError("not-before must be the epoch index times the epoch length")
        octets_to_pubkey(self.public_key, ciphersuite=get_ciphersuite(SUITE))

    @property
    def key_id(self) -> bytes:
        """The first 16 octets of SHA-256 of the public key."""
        return key_id(self.public_key)

    def valid_at(self, now: int) -> bool:
        """Whether ``now`` lies in the key's epoch, [not-before, not-after)."""
        return self.not_before <= now < self.not_after

    def overlaps(self, start: int, end: int) -> bool:
        """Whether the epoch shares an instant with [start, end)."""
        return self.not_before < end and start < self.not_after

    def to_map(self) -> dict[int, Any]:
        return {
            1: self.layout_version,
            2: self.epoch,
            3: self.not_before,
            4: self.not_after,
            5: self.public_key,
        }

    @classmethod
    def from_map(cls, entry: object) -> CredentialKeyEntry:
        """Decode an entry; :class:`DecodeError` for anything malformed."""
        if not isinstance(entry, dict) or set(entry) != _KEYS:
            raise DecodeError("a credential key is {1: layout, 2..4: epoch, 5: public key}")
        if type(entry[1]) is not int or entry[1] != LAYOUT_VERSION:
            raise DecodeError("unsupported credential layout version")
        if type(entry[5]) is not bytes:
            raise DecodeError("a credential key's public key is a byte string")
        try:
            return cls(
                numeric_date(entry[2], "the epoch"),
                numeric_date(entry[3], "not-before"),
                numeric_date(entry[4], "not-after"),
                entry[5],
            )
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
