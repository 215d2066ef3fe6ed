"""Credential-tier keys as an operator's key set and the trust list carry them
(spec/08-credential-tier.md, "Keys and epochs"; spec/14-trust-list.md).

One entry per BBS key of an operator, the same map under key 5 of an
operator's key set entry and in the body of a trust list's credential entry::

    {1: layout version (1), 2: epoch, 3: not-before, 4: not-after, 5: public key}

The public key is the 96-octet compressed G2 point of the BBS draft (section
4.2.4.6, ``octets_to_pubkey``); its key id, which every credential response
and presentation names, is the first 16 octets of its SHA-256
(:func:`zkcheck.hazmat.credential.key_id`). The epoch is an index: epoch *e*
of length *L* covers [*e*·*L*, (*e* + 1)·*L*), so ``not-before`` and
``not-after`` lie on the epoch grid and cannot single out a subscriber. The
operator signs with a key only at instants inside its epoch; verifiers
accept it longer, while the credentials it signed are still valid, which the
trust list says (:data:`CREDENTIAL_LIFETIME` after the epoch's end).

The public key is decoded once, when the entry is built, with the checked
decoder of :mod:`zkcheck.hazmat.bbs` (on the curve, in the subgroup, not the
identity), and the decoded point is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zkcheck.encoding.cwt import numeric_date
from zkcheck.errors import DecodeError
from zkcheck.hazmat.backend import G2
from zkcheck.hazmat.bbs import get_ciphersuite, octets_to_pubkey
from zkcheck.hazmat.credential import EXPIRY_OFFSET_DAYS, LAYOUT_VERSION, SUITE, key_id

__all__ = ["CREDENTIAL_LIFETIME", "EXPIRY_SKEW_DAYS", "CredentialKeyEntry"]

EXPIRY_SKEW_DAYS = 1
"""Verifiers accept an expiry up to 14 + 1 days after the request's day (clock skew)."""

CREDENTIAL_LIFETIME = (EXPIRY_OFFSET_DAYS + EXPIRY_SKEW_DAYS) * 86_400
"""How long after its epoch's end a credential key stays accepted: a credential
expires 14 days after the start of its issue week, and verifiers allow one day
of clock skew on top (spec/08-credential-tier.md, "Verifier")."""

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
    point: G2 = field(init=False, repr=False, compare=False)
    """The public key, decoded and checked (the default backend's G2 point)."""

    def __post_init__(self) -> None:
        if self.layout_version != LAYOUT_VERSION:
            raise ValueError(f"a credential key signs layout version {LAYOUT_VERSION}")
        length = self.not_after - self.not_before
        if not 0 <= self.not_before < self.not_after or self.epoch < 0:
            raise ValueError("an epoch is a non-empty interval of NumericDates")
        if self.not_before != self.epoch * length:
            raise ValueError("not-before must be the epoch index times the epoch length")
        if type(self.public_key) is not bytes:
            raise DecodeError("a BBS public key is a byte string")
        point = octets_to_pubkey(self.public_key, ciphersuite=get_ciphersuite(SUITE))
        object.__setattr__(self, "point", point)

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
