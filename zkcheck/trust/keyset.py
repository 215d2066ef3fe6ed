"""The operators a verifier trusts, their public keys and menus: a static key-set file.

An operator key set is a zkcheck message (spec/03-encoding.md)::

    {0: 1, 1: "operator-keyset",
     2: [{1: operator id, 2: [COSE_Key with kid, ...], 3: [menu check, ...]}, ...]}

Every key's ``kid`` is :func:`key_id` of the key (the first 16 bytes of its
COSE Key Thumbprint), so a kid cannot be claimed by two keys and a
verifier can check it; kids are unique across the whole set. The verifier
uses the set through the :class:`TrustAnchors` interface, which a signed trust
list will implement too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.cose import COSEKey
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.errors import DecodeError, UntrustedIssuer

__all__ = [
    "KID_SIZE",
    "OperatorEntry",
    "OperatorKeySet",
    "TrustAnchors",
    "decode_menu",
    "key_id",
]

KID_SIZE = 16
_KIND = "operator-keyset"
_MAX_OPERATORS = 1024
_MAX_KEYS = 16
_MAX_MENU = 64
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

    def __post_init__(self) -> None:
        check_identifier(self.operator_id, "the operator id")
        if not 1 <= len(self.keys) <= _MAX_KEYS:
            raise ValueError(f"an operator has 1..{_MAX_KEYS} keys")

    @classmethod
    def create(cls, operator_id: str, keys: Iterable[COSEKey], menu: Menu) -> OperatorEntry:
        """An entry whose keys carry their :func:`key_id`."""
        with_kids = tuple(COSEKey(key.curve, key.public, key_id(key)) for key in keys)
        return cls(operator_id, with_kids, menu)


class TrustAnchors(Protocol):
    """What a verifier asks of its source of trust."""

    def find_key(self, kid: bytes) -> tuple[OperatorEntry, COSEKey]:
        """The operator and public key with this key id; :class:`UntrustedIssuer` if none."""
        ...

    def operator(self, operator_id: str) -> OperatorEntry | None:
        """The operator with this id, if trusted."""
        ...


@dataclass(frozen=True)
class OperatorKeySet:
    """A static set of trusted operators, read from a file."""

    operators: tuple[OperatorEntry, ...]

    def __post_init__(self) -> None:
        ids = [entry.operator_id for entry in self.operators]
        if len(set(ids)) != len(ids):
            raise ValueError("an operator appears twice in the key set")
        kids = [key.kid for entry in self.operators for key in entry.keys]
        if len(set(kids)) != len(kids) or any(kid is None for kid in kids):
            raise ValueError("every key has a kid, and no kid appears twice")

    def find_key(self, kid: bytes) -> tuple[OperatorEntry, COSEKey]:
        for entry in self.operators:
            for key in entry.keys:
                if key.kid == kid:
                    return entry, key
        raise UntrustedIssuer("unknown operator key")

    def operator(self, operator_id: str) -> OperatorEntry | None:
        for entry in self.operators:
            if entry.operator_id == operator_id:
                return entry
        return None

    def to_bytes(self) -> bytes:
        return encode(
            {
                0: VERSION,
                1: _KIND,
                2: [
                    {
                        1: entry.operator_id,
                        2: [key.to_map() for key in entry.keys],
                        3: list(entry.menu.identifiers()),
                    }
                    for entry in self.operators
                ],
            }
        )

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


def _entry(entry: object) -> OperatorEntry:
    if not isinstance(entry, dict) or set(entry) != {1, 2, 3}:
        raise DecodeError("an operator entry is {1: id, 2: keys, 3: menu}")
    keys = entry[2]
    if type(keys) is not list or not 1 <= len(keys) <= _MAX_KEYS:
        raise DecodeError(f"an operator has 1..{_MAX_KEYS} keys")
    parsed = tuple(COSEKey.from_map(key, allow_kid=True).validate() for key in keys)
    for key in parsed:
        if key.kid != key_id(key):
            raise DecodeError("a key's kid must be its key id (thumbprint prefix)")
    return OperatorEntry(
        check_identifier(entry[1], "the operator id"), parsed, decode_menu(entry[3])
    )


def decode_menu(menu: object) -> Menu:
    """A menu as written on the wire: 1..64 check identifiers, sorted, without repeats."""
    if type(menu) is not list or not 1 <= len(menu) <= _MAX_MENU:
        raise DecodeError(f"a menu lists 1..{_MAX_MENU} checks")
    checks = Menu(frozenset(Check.parse(name) for name in menu))
    if list(checks.identifiers()) != menu:
        raise DecodeError("the menu must be sorted and without repeats")
    return checks
