"""The keys a trust list carries: one envelope, one entry type per tier (spec/14-trust-list.md).

Every key of an operator is listed in the same envelope::

    {1: entry type, 2: key id, 3: not-before, 4: not-after, ? 5: true (revoked), 6: body}

The envelope holds what every tier shares: the key id by which attestations,
tokens and credentials name the key, and the interval [not-before, not-after)
in which verifiers accept it. The body is the tier's own key entry, as an
operator's key set carries it:

===== ============ ===================================================== =====================
type  tier         body                                                  key id
===== ============ ===================================================== =====================
1     signed       ``{1: COSE_Key (kty, crv, x[, y]), 2: alg}``          16 octets of the COSE
                                                                         Key Thumbprint
2     token        the token key of spec/07 (issuer name, check, epoch,  SHA-256 of the SPKI
                   SPKI)                                                 (RFC 9578 section 6.5)
3     credential   the credential key of spec/08 (layout version,        16 octets of SHA-256 of
                   epoch, BBS public key)                                the public key
===== ============ ===================================================== =====================

A token is valid for exactly its key's epoch, so a token key is accepted for
exactly that epoch. A credential key signs in its epoch, and is accepted from
the epoch's start until the last credential it signed has expired, which the
envelope's not-after says. Adding a tier adds an entry type, not a new format.
A verifier keeps an entry of a type it does not implement as
:class:`UnknownKey`: it checks the envelope, refuses a repeated key id, and
resolves the key id to "another tier", since it cannot verify that tier
anyway.

A key id is never trusted as written: each body's key id is computed from the
key and must equal the envelope's, so one key cannot be listed under two ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zkcheck.claims import Check, Menu
from zkcheck.encoding.cose import Algorithm, COSEKey, Sign1
from zkcheck.encoding.cwt import numeric_date
from zkcheck.errors import DecodeError, InvalidSignature
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.keyset import key_id
from zkcheck.trust.token_keys import TokenKeyEntry

__all__ = [
    "ENTRY_CREDENTIAL",
    "ENTRY_SIGNED",
    "ENTRY_TOKEN",
    "TIER_OF_ENTRY",
    "KeyMaterial",
    "ListedKey",
    "SignedKey",
    "UnknownKey",
]

ENTRY_SIGNED = 1
ENTRY_TOKEN = 2
ENTRY_CREDENTIAL = 3
TIER_OF_ENTRY = {ENTRY_SIGNED: "signed", ENTRY_TOKEN: "token", ENTRY_CREDENTIAL: "credential"}
"""The tier each entry type serves."""

_MAX_ENTRY_TYPE = 2**16
_MIN_KEY_ID, _MAX_KEY_ID = 8, 64
_ENVELOPE = frozenset({1, 2, 3, 4, 6})


@dataclass(frozen=True)
class SignedKey:
    """A signed-tier key: a COSE public key and the one algorithm verifiers accept for it.

    The list names the algorithm, so a signature under another algorithm of
    the same curve (``EdDSA`` for an ``Ed25519`` key) does not verify.
    """

    key: COSEKey
    algorithm: Algorithm

    def __post_init__(self) -> None:
        if self.key.kid is not None:
            raise ValueError("the key id is the envelope's, not the COSE_Key's")
        if not self.key.accepts(self.algorithm):
            raise ValueError("the algorithm does not suit the key's curve")

    @property
    def key_id(self) -> bytes:
        return key_id(self.key)

    def verify(self, message: Sign1) -> None:
        """Verify ``message`` under this key and its listed algorithm; InvalidSignature if not."""
        try:
            algorithm = message.algorithm
        except DecodeError:
            raise InvalidSignature("signature invalid") from None
        if algorithm != self.algorithm:
            raise InvalidSignature("signature invalid")
        self.key.verify(algorithm, message.to_be_signed(), message.signature)


@dataclass(frozen=True)
class UnknownKey:
    """A key of an entry type this verifier does not implement: kept, never used."""

    entry_type: int


KeyMaterial = SignedKey | TokenKeyEntry | CredentialKeyEntry | UnknownKey


@dataclass(frozen=True)
class ListedKey:
    """One key of an operator in a trust list: its envelope and its tier's key material."""

    entry_type: int
    key_id: bytes
    not_before: int
    not_after: int
    material: KeyMaterial
    revoked: bool = False

    def __post_init__(self) -> None:
        if not _MIN_KEY_ID <= len(self.key_id) <= _MAX_KEY_ID:
            raise ValueError(f"a key id is {_MIN_KEY_ID}..{_MAX_KEY_ID} bytes")
        if not 0 <= self.not_before < self.not_after:
            raise ValueError("a key is valid for a non-empty interval")
        material = self.material
        if isinstance(material, UnknownKey):
            if self.entry_type in TIER_OF_ENTRY or material.entry_type != self.entry_type:
                raise ValueError("an unknown key has an entry type no tier uses")
            return
        if _ENTRY_OF[type(material)] != self.entry_type:
            raise ValueError("the key material is not of the entry type")
        if material.key_id != self.key_id:
            raise ValueError("the key id is not the one computed from the key")
        if isinstance(material, TokenKeyEntry) and (
            material.not_before != self.not_before or material.not_after != self.not_after
        ):
            raise ValueError("a token key is accepted for exactly its epoch")
        if isinstance(material, CredentialKeyEntry) and (
            material.not_before != self.not_before or material.not_after > self.not_after
        ):
            raise ValueError("a credential key is accepted from its epoch's start to past its end")

    @property
    def tier(self) -> str | None:
        """The tier the key serves, or None for an entry type this verifier does not know."""
        return TIER_OF_ENTRY.get(self.entry_type)

    def valid_at(self, now: int) -> bool:
        """Whether ``now`` lies in [not-before, not-after)."""
        return self.not_before <= now < self.not_after

    @property
    def signing_window(self) -> tuple[int, int]:
        """When the operator may sign with the key: its epoch for an epoch key, else the
        whole interval it is accepted."""
        if isinstance(self.material, TokenKeyEntry | CredentialKeyEntry):
            return self.material.not_before, self.material.not_after
        return self.not_before, self.not_after

    def checks(self, menu: Menu) -> frozenset[Check]:
        """The checks this key can answer: its own for a token key, the menu otherwise."""
        if isinstance(self.material, TokenKeyEntry):
            return frozenset({self.material.check})
        return menu.checks

    @classmethod
    def signed(
        cls, key: COSEKey, not_before: int, not_after: int, *, algorithm: Algorithm | None = None
    ) -> ListedKey:
        """A signed-tier key; its algorithm defaults to the one zkcheck emits for its curve."""
        public = COSEKey(key.curve, key.public)
        material = SignedKey(public, algorithm if algorithm is not None else key.curve.algorithm)
        return cls(ENTRY_SIGNED, material.key_id, not_before, not_after, material)

    @classmethod
    def of(
        cls, material: TokenKeyEntry | CredentialKeyEntry, *, not_after: int | None = None
    ) -> ListedKey:
        """A token key, accepted for exactly its epoch; or a credential key, accepted from
        its epoch's start until ``not_after`` (default: its epoch's end)."""
        entry_type = _ENTRY_OF[type(material)]
        end = material.not_after if not_after is None else not_after
        return cls(entry_type, material.key_id, material.not_before, end, material)

    def to_map(self) -> dict[int, Any]:
        if isinstance(self.material, UnknownKey):
            raise ValueError("an entry of an unknown type is never written")
        fields: dict[int, Any] = {
            1: self.entry_type,
            2: self.key_id,
            3: self.not_before,
            4: self.not_after,
            6: _body(self.material),
        }
        if self.revoked:
            fields[5] = True
        return fields

    @classmethod
    def from_map(cls, entry: object) -> ListedKey:
        """Decode a listed key; :class:`DecodeError` for anything malformed."""
        if not isinstance(entry, dict) or set(entry) - {5} != _ENVELOPE:
            raise DecodeError("a listed key is {1: type, 2: key id, 3..4: validity, ?5, 6: body}")
        entry_type, kid, revoked, body = entry[1], entry[2], entry.get(5, False), entry[6]
        if type(entry_type) is not int or not 1 <= entry_type <= _MAX_ENTRY_TYPE:
            raise DecodeError("an entry type is a small positive integer")
        if type(kid) is not bytes:
            raise DecodeError("a key id is a byte string")
        if 5 in entry and revoked is not True:
            raise DecodeError("a revoked key is marked true; a valid one not at all")
        if type(body) is not dict:
            raise DecodeError("a key's body is a map")
        not_before = numeric_date(entry[3], "not-before")
        not_after = numeric_date(entry[4], "not-after")
        try:
            material = _material(entry_type, body)
            return cls(entry_type, kid, not_before, not_after, material, revoked)
        except ValueError as exc:
            raise DecodeError(str(exc)) from None


_ENTRY_OF: dict[type, int] = {
    SignedKey: ENTRY_SIGNED,
    TokenKeyEntry: ENTRY_TOKEN,
    CredentialKeyEntry: ENTRY_CREDENTIAL,
}


def _body(material: SignedKey | TokenKeyEntry | CredentialKeyEntry) -> dict[int, Any]:
    if isinstance(material, SignedKey):
        return {1: material.key.to_map(), 2: int(material.algorithm)}
    return material.to_map()


def _material(entry_type: int, body: dict[Any, Any]) -> KeyMaterial:
    if entry_type == ENTRY_SIGNED:
        if set(body) != {1, 2}:
            raise DecodeError("a signed key's body is {1: COSE_Key, 2: alg}")
        key = COSEKey.from_map(body[1]).validate()
        algorithm = body[2]
        if type(algorithm) is not int or algorithm not in Algorithm._value2member_map_:
            raise DecodeError("unsupported algorithm")
        return SignedKey(key, Algorithm(algorithm))
    if entry_type == ENTRY_TOKEN:
        return TokenKeyEntry.from_map(body)
    if entry_type == ENTRY_CREDENTIAL:
        return CredentialKeyEntry.from_map(body)
    # An entry type of a tier this verifier does not implement: kept (the list's own size
    # bound limits it), never used.
    return UnknownKey(entry_type)
