"""An operator's public keys and menu, as the operator hands them to the federation.

Verifiers no longer read this file: they trust the federation's signed trust
list (:mod:`zkcheck.trust.trust_list`). What remains of the static key set is
an operator's submission: ``zkcheck keygen operator`` writes it, and
``zkcheck trust add-operator`` and ``rotate`` read the keys and menu from it
into the trust list. An operator key set is a zkcheck message
(spec/03-encoding.md)::

    {0: 1, 1: "operator-keyset",
     2: [{1: operator id, 2: [COSE_Key with kid, ...], 3: [menu check, ...],
          ? 4: [token key, ...], ? 5: [credential key, ...]}, ...]}

An operator lists up to 16 signing keys, up to 1024 token keys and up to 1024
credential keys, at least one key in all: an operator that issues only tokens
or only credentials lists no signing key.

Every key's ``kid`` is :func:`key_id` of the key (the first 16 bytes of its
COSE Key Thumbprint), so a kid cannot be claimed by two keys and a
reader can check it; kids are unique across the whole set.

Key 4 lists the operator's token-tier keys
(:class:`~zkcheck.trust.token_keys.TokenKeyEntry`, spec/07-token-tier.md), and
is absent when there are none. Within an operator each issuer name serves one
check and each check one issuer name; under one issuer name the epochs do not
overlap (so at any instant at most one key answers a check) and the
truncated key ids differ; issuer names and token key ids are unique across
the whole set.

Key 5 lists the operator's credential-tier keys
(:class:`~zkcheck.trust.credential_keys.CredentialKeyEntry`,
spec/08-credential-tier.md), and is absent when there are none; credential
key ids are unique across the whole set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.cose import COSEKey
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.errors import DecodeError
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.token_keys import TokenKeyEntry, check_operator_token_keys

__all__ = [
    "KID_SIZE",
    "OperatorEntry",
    "OperatorKeySet",
    "decode_menu",
    "key_id",
]

KID_SIZE = 16
_KIND = "operator-keyset"
_MAX_OPERATORS = 1024
_MAX_KEYS = 16
_MAX_MENU = 64
_MAX_TOKEN_KEYS = 1024
_MAX_CREDENTIAL_KEYS = 1024
_MAX_FILE = 1024 * 1024


def key_id(key: COSEKey) -> bytes:
    """The key id zkcheck uses for an operator key: 16 bytes of its thumbprint."""
    return key.thumbprint()[:KID_SIZE]


@dataclass(frozen=True)
class OperatorEntry:
    """One operator: its identifier, its current public keys and its menu of checks."""

    operator_id: str
    keys: tuple[COSEKey, ...]
    menu: Menu
    token_keys: tuple[TokenKeyEntry, ...] = ()
    credential_keys: tuple[CredentialKeyEntry, ...] = ()

    def __post_init__(self) -> None:
        check_identifier(self.operator_id, "the operator id")
        # An operator that issues only tokens or only credentials needs no signing key,
        # but every operator lists at least one key of some tier.
        if len(self.keys) > _MAX_KEYS:
            raise ValueError(f"an operator has at most {_MAX_KEYS} signing keys")
        if not (self.keys or self.token_keys or self.credential_keys):
            raise ValueError("an operator has a signing key, token keys or credential keys")
        if len(self.token_keys) > _MAX_TOKEN_KEYS:
            raise ValueError(f"an operator has at most {_MAX_TOKEN_KEYS} token keys")
        if len(self.credential_keys) > _MAX_CREDENTIAL_KEYS:
            raise ValueError(f"an operator has at most {_MAX_CREDENTIAL_KEYS} credential keys")
        check_operator_token_keys(self.token_keys, self.menu)

    @classmethod
    def create(
        cls,
        operator_id: str,
        keys: Iterable[COSEKey],
        menu: Menu,
        token_keys: Iterable[TokenKeyEntry] = (),
    ) -> OperatorEntry:
        """An entry whose keys carry their :func:`key_id`."""
        with_kids = tuple(COSEKey(key.curve, key.public, key_id(key)) for key in keys)
        return cls(operator_id, with_kids, menu, tuple(token_keys))

    def with_token_keys(self, token_keys: Iterable[TokenKeyEntry]) -> OperatorEntry:
        """This entry with its token keys replaced."""
        return replace(self, token_keys=tuple(token_keys))

    def with_credential_keys(self, keys: Iterable[CredentialKeyEntry]) -> OperatorEntry:
        """This entry with its credential keys replaced."""
        return replace(self, credential_keys=tuple(keys))

    def token_key_at(self, check: Check, now: int) -> TokenKeyEntry | None:
        """The token key for ``check`` whose epoch contains ``now``, if any."""
        for entry in self.token_keys:
            if entry.check == check and entry.valid_at(now):
                return entry
        return None


@dataclass(frozen=True)
class OperatorKeySet:
    """One or more operators' public keys and menus, read from a file."""

    operators: tuple[OperatorEntry, ...]

    def __post_init__(self) -> None:
        ids = [entry.operator_id for entry in self.operators]
        if len(set(ids)) != len(ids):
            raise ValueError("an operator appears twice in the key set")
        kids = [key.kid for entry in self.operators for key in entry.keys]
        if len(set(kids)) != len(kids) or any(kid is None for kid in kids):
            raise ValueError("every key has a kid, and no kid appears twice")
        token_key_ids: set[bytes] = set()
        issuers: dict[str, str] = {}
        for operator in self.operators:
            for token_key in operator.token_keys:
                owner = issuers.setdefault(token_key.issuer_name, operator.operator_id)
                if owner != operator.operator_id:
                    raise ValueError("an issuer name belongs to one operator")
                if token_key.token_key_id in token_key_ids:
                    raise ValueError("a token key appears twice in the key set")
                token_key_ids.add(token_key.token_key_id)
        credential_kids = [key.key_id for entry in self.operators for key in entry.credential_keys]
        if len(set(credential_kids)) != len(credential_kids):
            raise ValueError("a credential key appears twice in the key set")

    def operator(self, operator_id: str) -> OperatorEntry | None:
        for entry in self.operators:
            if entry.operator_id == operator_id:
                return entry
        return None

    def with_operator(
        self, entry: OperatorEntry, merge: Callable[[OperatorEntry], OperatorEntry]
    ) -> OperatorKeySet:
        """This key set with ``merge`` applied to the entry of ``entry``'s operator, the
        other operators kept; with ``entry`` added when the set does not list that operator.

        An operator hands in its keys of one tier at a time this way: the keys of
        its other tiers stay in the key set it hands the federation.
        """
        if self.operator(entry.operator_id) is None:
            return OperatorKeySet((*self.operators, entry))
        return OperatorKeySet(
            tuple(
                merge(listed) if listed.operator_id == entry.operator_id else listed
                for listed in self.operators
            )
        )

    def to_bytes(self) -> bytes:
        return encode({0: VERSION, 1: _KIND, 2: [_encode_entry(entry) for entry in self.operators]})

    @classmethod
    def from_bytes(cls, data: bytes) -> OperatorKeySet:
        """Decode and check a key set; :class:`DecodeError` for anything malformed."""
        fields = message_fields(data, _KIND, {2}, max_size=_MAX_FILE)
        entries = fields[2]
        if type(entries) is not list or not 1 <= len(entries) <= _MAX_OPERATORS:
            raise DecodeError(f"a key set lists 1..{_MAX_OPERATORS} operators")
        try:
            return cls(tuple(_entry(entry) for entry in entries))
        except ValueError as exc:
            raise DecodeError(str(exc)) from None

    @classmethod
    def load(cls, path: str | Path) -> OperatorKeySet:
        return cls.from_bytes(Path(path).read_bytes())

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_bytes())


def _encode_entry(entry: OperatorEntry) -> dict[int, Any]:
    fields: dict[int, Any] = {
        1: entry.operator_id,
        2: [key.to_map() for key in entry.keys],
        3: list(entry.menu.identifiers()),
    }
    if entry.token_keys:
        fields[4] = [token_key.to_map() for token_key in entry.token_keys]
    if entry.credential_keys:
        fields[5] = [key.to_map() for key in entry.credential_keys]
    return fields


def _token_keys(entries: object) -> tuple[TokenKeyEntry, ...]:
    if type(entries) is not list or not 1 <= len(entries) <= _MAX_TOKEN_KEYS:
        raise DecodeError(f"an operator lists 1..{_MAX_TOKEN_KEYS} token keys, or none at all")
    return tuple(TokenKeyEntry.from_map(entry) for entry in entries)


def _credential_keys(entries: object) -> tuple[CredentialKeyEntry, ...]:
    if type(entries) is not list or not 1 <= len(entries) <= _MAX_CREDENTIAL_KEYS:
        raise DecodeError(
            f"an operator lists 1..{_MAX_CREDENTIAL_KEYS} credential keys, or none at all"
        )
    return tuple(CredentialKeyEntry.from_map(entry) for entry in entries)


def _entry(entry: object) -> OperatorEntry:
    if not isinstance(entry, dict) or set(entry) - {4, 5} != {1, 2, 3}:
        raise DecodeError(
            "an operator entry is {1: id, 2: keys, 3: menu, ? 4: token keys, ? 5: credential keys}"
        )
    keys = entry[2]
    if type(keys) is not list or len(keys) > _MAX_KEYS:
        raise DecodeError(f"an operator has at most {_MAX_KEYS} signing keys")
    parsed = tuple(COSEKey.from_map(key, allow_kid=True).validate() for key in keys)
    for key in parsed:
        if key.kid != key_id(key):
            raise DecodeError("a key's kid must be its key id (thumbprint prefix)")
    token_keys = _token_keys(entry[4]) if 4 in entry else ()
    credential_keys = _credential_keys(entry[5]) if 5 in entry else ()
    return OperatorEntry(
        check_identifier(entry[1], "the operator id"),
        parsed,
        decode_menu(entry[3]),
        token_keys,
        credential_keys,
    )


def decode_menu(menu: object) -> Menu:
    """A menu as written on the wire: 1..64 check identifiers, sorted, without repeats."""
    if type(menu) is not list or not 1 <= len(menu) <= _MAX_MENU:
        raise DecodeError(f"a menu lists 1..{_MAX_MENU} checks")
    checks = Menu(frozenset(Check.parse(name) for name in menu))
    if list(checks.identifiers()) != menu:
        raise DecodeError("the menu must be sorted and without repeats")
    return checks
