"""The federation's signed trust list: operators, their menus and keys (spec/14-trust-list.md).

A trust list file is a zkcheck message (spec/03-encoding.md)::

    {0: 1, 1: "trust-list",
     2: COSE_Sign1 (tag 18) over the head, signed by the federation's authority key,
     3: the operators, as the bytes the head's digest covers,
     ? 4: [COSE_Sign1 over an earlier head, ...]}      ; the authority key chain

The head says which list this is and how fresh::

    {0: 1, 1: list id, 2: sequence number, 3: issued, 4: next update, 5: expires,
     6: next authority key (COSE_Key with kid), 7: SHA-256 of the operators}

The operators are ``[* operator]``, sorted by id, each::

    {1: operator id, 2: name, 3: [country, ...], 4: [MCC-MNC, ...], 5: status,
     6: [menu check, ...], 7: [listed key, ...]}

with the listed keys of :mod:`zkcheck.trust.listed_keys`. The chain carries,
oldest first, the last head the authority signed with each earlier key: each
names the key that follows it, so a verifier that was offline across key
rollovers can follow them (spec/14-trust-list.md, "Authority key rollover").

This module decodes and checks the format and its rules; it checks no
signature. :mod:`zkcheck.trust.trust_client` verifies a list for a relying
party, :mod:`zkcheck.trust.authority` signs one.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import HEADER_KID, HEADER_TYP, COSEKey, Sign1, Signer
from zkcheck.encoding.cwt import numeric_date
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.errors import DecodeError, Expired, PolicyError, UntrustedIssuer
from zkcheck.hazmat.privacypass import TOKEN_TYPE_BLIND_RSA, IssuerDirectory
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.keyset import KID_SIZE, decode_menu, key_id
from zkcheck.trust.listed_keys import ListedKey, SignedKey, UnknownKey
from zkcheck.trust.token_keys import TokenKeyEntry, check_operator_token_keys

__all__ = [
    "MAX_CHAIN",
    "MAX_CONCURRENT_KEYS",
    "MAX_LIST_SIZE",
    "MAX_LIST_VALIDITY",
    "MIN_LIST_INTERVAL",
    "TRUST_LIST_KIND",
    "TRUST_LIST_TYP",
    "ListedOperator",
    "OperatorStatus",
    "SignedTrustList",
    "TrustList",
    "TrustListHead",
    "check_key_limit",
    "decode_operators",
    "encode_operators",
    "sign_head",
]

TRUST_LIST_KIND = "trust-list"
TRUST_LIST_TYP = "application/zkcheck-trust-list+cbor"
"""The ``typ`` header of a signed head, which keeps it from being read as anything else."""

MAX_CONCURRENT_KEYS = 2
"""At most this many keys of one operator, tier and check are valid at any instant.

Two lets an operator rotate with overlap (the outgoing key and its successor)
and no more: every further key would let the operator split its subscribers
into more groups, down to a key per subscriber (spec/14-trust-list.md,
"The key limit")."""

MAX_LIST_VALIDITY = 31 * 86_400
"""A list expires at most 31 days after it is issued: the longest a stale list,
and the revocations it hides, can be held up to a verifier."""

MIN_LIST_INTERVAL = 60
"""Sequence numbers advance by at most one per minute of issue time: a list whose
sequence number is ``d`` above the one held must be issued at least ``60·d``
seconds after it. A stolen authority key therefore cannot push a verifier's
sequence number further ahead than the time that passed allows (TUF's
fast-forward attack), and the authority, once recovered, can always catch up."""

MAX_LIST_SIZE = 8 * 1024 * 1024
MAX_CHAIN = 16
"""Earlier authority keys a list carries the chain of; a verifier that missed more
rollovers than this must be given the authority key again."""

_MAX_OPERATORS = 1024
_MAX_KEYS = 256
_MAX_COUNTRIES = 32
_MAX_NETWORKS = 64
_MAX_NAME = 128
_MAX_SEQUENCE = 2**53
_MAX_DEPTH = 16
_Material = TypeVar("_Material", SignedKey, TokenKeyEntry, CredentialKeyEntry)
_COUNTRY = re.compile(r"[A-Z]{2}")
_NETWORK = re.compile(r"[0-9]{3}-[0-9]{2,3}")
_HEAD_KEYS = frozenset(range(8))
_OPERATOR_KEYS = frozenset(range(1, 8))


class OperatorStatus(enum.IntEnum):
    """An operator's standing in the federation, after the service statuses of the EU
    trusted lists (granted, withdrawn) with a reversible suspension between them."""

    ACTIVE = 1
    SUSPENDED = 2
    WITHDRAWN = 3


def _sorted_texts(
    values: object, what: str, pattern: re.Pattern[str], low: int, high: int
) -> tuple[str, ...]:
    if type(values) is not list or not low <= len(values) <= high:
        raise DecodeError(f"{what} lists {low}..{high} items")
    for value in values:
        if type(value) is not str or not pattern.fullmatch(value):
            raise DecodeError(f"{what}: malformed item")
    if values != sorted(set(values)):
        raise DecodeError(f"{what} must be sorted and without repeats")
    return tuple(values)


@dataclass(frozen=True)
class ListedOperator:
    """One operator of the federation: who it is, where, its standing, its menu and keys.

    Construction checks the operator's own rules (``ValueError`` for a shape
    out of range or token keys that break spec/07's rules, :class:`PolicyError`
    for more concurrently valid keys than :data:`MAX_CONCURRENT_KEYS`).
    """

    operator_id: str
    name: str
    countries: tuple[str, ...]
    networks: tuple[str, ...]
    menu: Menu
    keys: tuple[ListedKey, ...]
    status: OperatorStatus = OperatorStatus.ACTIVE
    _issuer_names: dict[Check, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_identifier(self.operator_id, "the operator id")
        if type(self.name) is not str or not 1 <= len(self.name) <= _MAX_NAME:
            raise ValueError(f"an operator's name is 1..{_MAX_NAME} characters")
        for values, what, pattern, low, high in (
            (self.countries, "countries", _COUNTRY, 1, _MAX_COUNTRIES),
            (self.networks, "MCC-MNC codes", _NETWORK, 0, _MAX_NETWORKS),
        ):
            try:
                _sorted_texts(list(values), what, pattern, low, high)
            except DecodeError as exc:
                raise ValueError(str(exc)) from None
        if len(self.keys) > _MAX_KEYS:
            raise ValueError(f"an operator lists at most {_MAX_KEYS} keys")
        ids = [key.key_id for key in self.keys]
        if ids != sorted(set(ids)):
            raise ValueError("an operator's keys are sorted by key id, without repeats")
        current = [key for key in self.keys if not key.revoked]
        tokens = [key.material for key in current if isinstance(key.material, TokenKeyEntry)]
        check_operator_token_keys(tokens, self.menu)
        check_key_limit(self)
        names = {token.check: token.issuer_name for token in tokens}
        object.__setattr__(self, "_issuer_names", names)

    @classmethod
    def create(
        cls,
        operator_id: str,
        name: str,
        countries: Iterable[str],
        networks: Iterable[str],
        menu: Menu,
        keys: Iterable[ListedKey],
        status: OperatorStatus = OperatorStatus.ACTIVE,
    ) -> ListedOperator:
        """An operator with its lists put in wire order."""
        return cls(
            operator_id,
            name,
            tuple(sorted(set(countries))),
            tuple(sorted(set(networks))),
            menu,
            tuple(sorted(keys, key=lambda key: key.key_id)),
            status,
        )

    @property
    def active(self) -> bool:
        return self.status is OperatorStatus.ACTIVE

    def with_keys(self, keys: Iterable[ListedKey]) -> ListedOperator:
        """This operator with its keys replaced (and checked again)."""
        return replace(self, keys=tuple(sorted(keys, key=lambda key: key.key_id)))

    def with_status(self, status: OperatorStatus) -> ListedOperator:
        return replace(self, status=status)

    def token_issuer_name(self, check: Check) -> str | None:
        """The issuer name under which this operator issues tokens for ``check``, if any."""
        return self._issuer_names.get(check)

    def token_key_at(self, check: Check, now: int) -> TokenKeyEntry | None:
        """The unrevoked token key for ``check`` whose epoch contains ``now``, if any."""
        for key in self.keys:
            material = key.material
            if (
                isinstance(material, TokenKeyEntry)
                and not key.revoked
                and material.check == check
                and material.valid_at(now)
            ):
                return material
        return None

    def to_map(self) -> dict[int, Any]:
        return {
            1: self.operator_id,
            2: self.name,
            3: list(self.countries),
            4: list(self.networks),
            5: int(self.status),
            6: list(self.menu.identifiers()),
            7: [key.to_map() for key in self.keys],
        }

    @classmethod
    def from_map(cls, entry: object) -> ListedOperator:
        """Decode an operator; :class:`DecodeError` for anything malformed,
        :class:`PolicyError` for too many concurrently valid keys."""
        if not isinstance(entry, dict) or set(entry) != _OPERATOR_KEYS:
            raise DecodeError("an operator is {1: id, 2: name, 3: countries, 4: networks, ...}")
        status = entry[5]
        if type(status) is not int or status not in OperatorStatus._value2member_map_:
            raise DecodeError("unknown operator status")
        keys = entry[7]
        if type(keys) is not list or len(keys) > _MAX_KEYS:
            raise DecodeError(f"an operator lists at most {_MAX_KEYS} keys")
        try:
            return cls(
                check_identifier(entry[1], "the operator id"),
                entry[2],
                _sorted_texts(entry[3], "countries", _COUNTRY, 1, _MAX_COUNTRIES),
                _sorted_texts(entry[4], "MCC-MNC codes", _NETWORK, 0, _MAX_NETWORKS),
                decode_menu(entry[6]),
                tuple(ListedKey.from_map(key) for key in keys),
                OperatorStatus(status),
            )
        except ValueError as exc:
            raise DecodeError(str(exc)) from None


def check_key_limit(operator: ListedOperator) -> None:
    """Refuse (:class:`PolicyError`) an operator with more than :data:`MAX_CONCURRENT_KEYS`
    unrevoked keys of one tier and check that it may sign with at one instant.

    A signed-tier or credential-tier key answers every check on the menu, so
    for those tiers the count is over the tier's keys; a token key answers
    its own check. A signed-tier key is counted over the whole interval it
    is accepted, an epoch key over its epoch (a credential key is accepted
    beyond its epoch only for the credentials it signed in it). Keys of an
    unknown entry type are not counted: this verifier does not verify that
    tier.
    """
    groups: dict[tuple[int, Check | None], list[tuple[int, int]]] = {}
    for key in operator.keys:
        if key.revoked or isinstance(key.material, UnknownKey):
            continue
        check = key.material.check if isinstance(key.material, TokenKeyEntry) else None
        groups.setdefault((key.entry_type, check), []).append(key.signing_window)
    for intervals in groups.values():
        if len(intervals) <= MAX_CONCURRENT_KEYS:
            continue
        # Sweep the interval ends in time order; at one instant an ending
        # interval (half-open) is counted out before a starting one is in.
        events = sorted(
            [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals]
        )
        valid = 0
        for _, step in events:
            valid += step
            if valid > MAX_CONCURRENT_KEYS:
                raise PolicyError(
                    f"more than {MAX_CONCURRENT_KEYS} keys of one operator, tier and check "
                    "are valid at once"
                )


def encode_operators(operators: Iterable[ListedOperator]) -> bytes:
    """The operators as the head's digest covers them, sorted by id."""
    ordered = sorted(operators, key=lambda operator: operator.operator_id.encode())
    return encode([operator.to_map() for operator in ordered])


def decode_operators(data: bytes) -> tuple[ListedOperator, ...]:
    """Decode and check the operators of a list (:class:`DecodeError`, :class:`PolicyError`)."""
    items = decode(data, max_size=MAX_LIST_SIZE, max_depth=_MAX_DEPTH)
    if type(items) is not list or len(items) > _MAX_OPERATORS:
        raise DecodeError(f"a list names at most {_MAX_OPERATORS} operators")
    operators = tuple(ListedOperator.from_map(item) for item in items)
    ids = [operator.operator_id.encode() for operator in operators]
    if ids != sorted(set(ids)):
        raise DecodeError("operators are sorted by id, without repeats")
    return operators


@dataclass(frozen=True)
class TrustListHead:
    """What the authority signs: the list's identity, freshness and next authority key."""

    list_id: str
    sequence: int
    issued_at: int
    next_update: int
    expires_at: int
    next_authority: COSEKey
    operators_digest: bytes

    def __post_init__(self) -> None:
        check_identifier(self.list_id, "the list id")
        if not 1 <= self.sequence <= _MAX_SEQUENCE:
            raise ValueError("a sequence number is a positive integer")
        if not 0 <= self.issued_at < self.next_update < self.expires_at:
            raise ValueError("issued, next update and expiry are distinct and in that order")
        if self.expires_at - self.issued_at > MAX_LIST_VALIDITY:
            raise ValueError(f"a list expires at most {MAX_LIST_VALIDITY} s after its issue")
        if self.next_authority.kid != key_id(self.next_authority):
            raise ValueError("the next authority key carries its key id")
        if len(self.operators_digest) != hashlib.sha256().digest_size:
            raise ValueError("the operators digest is a SHA-256 digest")

    def to_bytes(self) -> bytes:
        return encode(
            {
                0: VERSION,
                1: self.list_id,
                2: self.sequence,
                3: self.issued_at,
                4: self.next_update,
                5: self.expires_at,
                6: self.next_authority.to_map(),
                7: self.operators_digest,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> TrustListHead:
        fields = decode(data, max_size=4096)
        if not isinstance(fields, dict) or set(fields) != _HEAD_KEYS:
            raise DecodeError("a trust list head has the keys 0..7")
        if type(fields[0]) is not int or fields[0] != VERSION:
            raise DecodeError(f"unsupported trust list version (this is version {VERSION})")
        if type(fields[2]) is not int or type(fields[7]) is not bytes:
            raise DecodeError("malformed trust list head")
        try:
            return cls(
                check_identifier(fields[1], "the list id"),
                fields[2],
                numeric_date(fields[3], "the issue time"),
                numeric_date(fields[4], "the next update"),
                numeric_date(fields[5], "the expiry"),
                COSEKey.from_map(fields[6], allow_kid=True).validate(),
                fields[7],
            )
        except ValueError as exc:
            raise DecodeError(str(exc)) from None


def sign_head(signer: Signer, head: TrustListHead) -> Sign1:
    """The COSE_Sign1 over ``head``, with the signer's key id and the list's ``typ``."""
    headers: dict[int | str, Any] = {
        HEADER_KID: key_id(signer.public_key),
        HEADER_TYP: TRUST_LIST_TYP,
    }
    return Sign1.create(signer, headers, head.to_bytes())


def _signed_head(data: object) -> Sign1:
    if type(data) is not bytes:
        raise DecodeError("a signed head is a byte string")
    message = Sign1.decode(data, max_size=8192)
    if set(message.headers) != {1, HEADER_KID, HEADER_TYP} or message.unprotected:
        raise DecodeError("a signed head has exactly alg, kid and typ, all protected")
    if message.headers[HEADER_TYP] != TRUST_LIST_TYP:
        raise DecodeError("not a signed trust list head")
    kid = message.headers[HEADER_KID]
    if type(kid) is not bytes or len(kid) != KID_SIZE:
        raise DecodeError("the signer's key id is 16 bytes")
    return message


@dataclass(frozen=True)
class SignedTrustList:
    """A trust list file as it travels: the signed head, the operators, the key chain.

    Decoding checks the structure only; nothing here is verified or trusted
    (:class:`~zkcheck.trust.trust_client.TrustListAnchors` does that).
    """

    head: Sign1
    operators: bytes
    chain: tuple[Sign1, ...] = ()

    def __post_init__(self) -> None:
        if len(self.chain) > MAX_CHAIN:
            raise ValueError(f"a list carries at most {MAX_CHAIN} earlier heads")

    @property
    def signer_kid(self) -> bytes:
        """The key id of the authority key that signed the head (as claimed, unverified)."""
        kid: bytes = self.head.headers[HEADER_KID]
        return kid

    def head_fields(self) -> TrustListHead:
        """The head's content, decoded but not verified."""
        return TrustListHead.from_bytes(self.head.payload)

    def to_bytes(self) -> bytes:
        fields: dict[int, Any] = {
            0: VERSION,
            1: TRUST_LIST_KIND,
            2: self.head.encode(),
            3: self.operators,
        }
        if self.chain:
            fields[4] = [link.encode() for link in self.chain]
        return encode(fields)

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedTrustList:
        """Decode a trust list file's structure; :class:`DecodeError` for anything malformed."""
        fields = message_fields(
            data, TRUST_LIST_KIND, {2, 3}, frozenset({4}), max_size=MAX_LIST_SIZE
        )
        operators = fields[3]
        if type(operators) is not bytes:
            raise DecodeError("the operators are a byte string")
        chain = fields.get(4, [])
        if 4 in fields and (type(chain) is not list or not 1 <= len(chain) <= MAX_CHAIN):
            raise DecodeError(f"the chain lists 1..{MAX_CHAIN} earlier heads, or is absent")
        return cls(_signed_head(fields[2]), operators, tuple(_signed_head(link) for link in chain))


@dataclass(frozen=True)
class TrustList:
    """A verified trust list: its head and operators, indexed by key id.

    Built by :class:`~zkcheck.trust.trust_client.TrustListAnchors` after the
    signature, the digest and every rule have been checked, or by the
    authority before signing. Key ids are unique across the list, and an
    issuer name belongs to one operator.
    """

    head: TrustListHead
    operators: tuple[ListedOperator, ...]
    _keys: dict[bytes, tuple[ListedOperator, ListedKey]] = field(
        init=False, repr=False, compare=False
    )
    _by_id: dict[str, ListedOperator] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys: dict[bytes, tuple[ListedOperator, ListedKey]] = {}
        issuers: dict[str, str] = {}
        by_id: dict[str, ListedOperator] = {}
        for operator in self.operators:
            if operator.operator_id in by_id:
                raise DecodeError("an operator appears twice in the list")
            by_id[operator.operator_id] = operator
            for key in operator.keys:
                if key.key_id in keys:
                    raise DecodeError("a key id appears twice in the list")
                keys[key.key_id] = (operator, key)
                if isinstance(key.material, TokenKeyEntry):
                    owner = issuers.setdefault(key.material.issuer_name, operator.operator_id)
                    if owner != operator.operator_id:
                        raise DecodeError("an issuer name belongs to one operator")
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_by_id", by_id)

    @property
    def list_id(self) -> str:
        return self.head.list_id

    @property
    def sequence(self) -> int:
        return self.head.sequence

    def listed_keys(self) -> Iterator[tuple[ListedOperator, ListedKey]]:
        """Every listed key with its operator."""
        return iter(self._keys.values())

    def operator(self, operator_id: str) -> ListedOperator | None:
        """The operator with this id, whatever its status."""
        return self._by_id.get(operator_id)

    def resolve(self, key_id: bytes) -> tuple[ListedOperator, ListedKey]:
        """The operator and listed key of any key id (its tier is ``key.tier``, its
        menu ``operator.menu``); :class:`UntrustedIssuer` if the list has none."""
        found = self._keys.get(bytes(key_id))
        if found is None:
            raise UntrustedIssuer("unknown operator key")
        return found

    def find(
        self, key_id: bytes, kind: type[_Material], now: int
    ) -> tuple[ListedOperator, _Material]:
        """The key material of ``kind`` (the tier's entry type) listed under ``key_id``,
        usable at ``now``.

        :class:`UntrustedIssuer` for a key that is unknown, of another tier,
        revoked, or whose operator is not active; :class:`Expired` for a key
        outside its validity.
        """
        found = self._keys.get(bytes(key_id))
        if found is None:
            raise UntrustedIssuer("unknown operator key")
        operator, key = found
        material = key.material
        if not isinstance(material, kind):
            raise UntrustedIssuer("a key of another tier")
        if key.revoked:
            raise UntrustedIssuer("the operator key is revoked")
        if operator.status is not OperatorStatus.ACTIVE:
            raise UntrustedIssuer("the operator is not in good standing")
        if now < key.not_before:
            raise Expired("the operator key is not valid yet")
        if now >= key.not_after:
            raise Expired("the operator key has expired")
        return operator, material

    def check_directory(self, issuer_name: str, directory: bytes, now: int) -> None:
        """Cross-check an operator's Privacy Pass issuer directory (RFC 9578 section 4)
        against the list; :class:`UntrustedIssuer` on any difference.

        Every key of type 0x0002 the directory offers must be a token key the
        list gives this issuer name, unrevoked, not ended, with the same
        ``not-before`` when the directory states one; and the key the list
        makes current for the issuer name must be in the directory. A key an
        operator served some clients but not the list would be a key to tag
        them with.
        """
        document = IssuerDirectory.from_json(directory)
        listed = {
            material.spki: (operator, key)
            for operator, key in self._keys.values()
            if isinstance(material := key.material, TokenKeyEntry)
            and material.issuer_name == issuer_name
        }
        if not listed:
            raise UntrustedIssuer("the list names no such issuer")
        offered = set()
        for entry in document.token_keys:
            if entry.token_type != TOKEN_TYPE_BLIND_RSA:
                continue
            found = listed.get(entry.token_key)
            if found is None:
                raise UntrustedIssuer("the directory offers a key the list does not name")
            operator, key = found
            if key.revoked or not operator.active or now >= key.not_after:
                raise UntrustedIssuer("the directory offers a key the list does not accept")
            if entry.not_before is not None and entry.not_before != key.not_before:
                raise UntrustedIssuer("the directory's not-before differs from the list's")
            offered.add(entry.token_key)
        for spki, (operator, key) in listed.items():
            if key.valid_at(now) and not key.revoked and operator.active and spki not in offered:
                raise UntrustedIssuer("the directory lacks the key the list makes current")
