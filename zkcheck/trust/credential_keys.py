"""Credential-tier keys as the trust list carries them (spec/14-trust-list.md, spec/08).

One entry per BBS key of an operator, the same map in an operator's key set
and in the body of a trust list's credential entry::

    {1: layout version (1), 2: epoch, 3: not-before, 4: not-after, 5: public key}

A credential key is an operator's BBS public key: the 96-octet compressed G2
point of the BBS draft (section 4.2.4.6, ``octets_to_pubkey``), the layout
version of the credentials it signs (spec/08-credential-tier.md), and its
epoch, the interval in which the operator signs with it. Its key id, which
credential responses and presentations name, is the first 16 octets of the
SHA-256 of the public key. The epoch is an index: epoch *e* of length *L*
covers [*e*·*L*, (*e* + 1)·*L*), so ``not-before`` and ``not-after`` lie on
the epoch grid and cannot single out a subscriber. Verifiers accept the key
longer than its epoch, while credentials it signed are still valid: the trust
list says until when.

The public key is decoded once, when the entry is built, with the checked
decoder of :mod:`zkcheck.hazmat.bbs` (on the curve, in the subgroup, not the
identity), and the decoded point is kept for verification.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from zkcheck.encoding.cwt import numeric_date
from zkcheck.errors import DecodeError
from zkcheck.hazmat.backend import G2, G2_OCTETS
from zkcheck.hazmat.bbs import get_ciphersuite, octets_to_pubkey
from zkcheck.suites import Suite

__all__ = ["CREDENTIAL_KEY_ID_SIZE", "LAYOUT_VERSION", "SUITE", "CredentialKeyEntry"]

LAYOUT_VERSION = 1
"""The one credential layout version defined (spec/08-credential-tier.md, "Parameters")."""

SUITE = Suite.BLS12_381_SHA_256
"""The BBS ciphersuite of layout version 1."""

CREDENTIAL_KEY_ID_SIZE = 16
_KEYS = frozenset(range(1, 6))


@dataclass(frozen=True)
class CredentialKeyEntry:
    """One BBS key of an operator: the layout it signs, its epoch and its public key.

    Construction refuses a public key that is not a valid G2 point, or a
    layout version other than :data:`LAYOUT_VERSION`
    (:class:`~zkcheck.errors.DecodeError`), and an epoch off its grid
    (``ValueError``).
    """

    epoch: int
    not_before: int
    not_after: int
    public_key: bytes
    layout_version: int = LAYOUT_VERSION
    point: G2 = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.layout_version != LAYOUT_VERSION:
            raise DecodeError(f"a credential key signs layout version {LAYOUT_VERSION}")
        length = self.not_after - self.not_before
        if not 0 <= self.not_before < self.not_after or self.epoch < 0:
            raise ValueError("an epoch is a non-empty interval of NumericDates")
        if self.not_before != self.epoch * length:
            raise ValueError("not-before must be the epoch index times the epoch length")
        if type(self.public_key) is not bytes or len(self.public_key) != G2_OCTETS:
            raise DecodeError(f"a BBS public key is {G2_OCTETS} octets")
        point = octets_to_pubkey(self.public_key, ciphersuite=get_ciphersuite(SUITE))
        object.__setattr__(self, "point", point)

    @property
    def key_id(self) -> bytes:
        """The first 16 octets of SHA-256 of the public key."""
        return hashlib.sha256(self.public_key).digest()[:CREDENTIAL_KEY_ID_SIZE]

    def valid_at(self, now: int) -> bool:
        """Whether ``now`` lies in the key's epoch, [not-before, not-after)."""
        return self.not_before <= now < self.not_after

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
        if type(entry[1]) is not int or type(entry[5]) is not bytes:
            raise DecodeError("a credential key has an integer layout and a byte-string key")
        try:
            return cls(
                numeric_date(entry[2], "the epoch"),
                numeric_date(entry[3], "not-before"),
                numeric_date(entry[4], "not-after"),
                entry[5],
                entry[1],
            )
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
