"""zkcheck's versioned messages (spec/03-encoding.md; CDDL in spec/cddl/zkcheck.cddl).

Every message is one deterministically encoded CBOR map. Key 0 holds the
format version (1), key 1 the message type as text; the other keys are the
type's fields. A decoder refuses an unknown version, a different type, a
missing or unexpected key, and any value out of range, with
:class:`~zkcheck.errors.DecodeError`. Each type turns into bytes with
``to_bytes()`` and back with ``from_bytes()``, so every step of a flow can
go through a file.

===================== ======================= ====================================
type                  from -> to              carries
===================== ======================= ====================================
``request``           verifier -> holder      the checks asked, a fresh nonce, the
                                              verifier's id, accepted tiers and
                                              operators (none named: every one on
                                              the verifier's trust list), maximum
                                              attestation age, the verifier's time,
                                              whether it asks for a pseudonym
``presentation``      holder -> verifier      the tier, the request's nonce and
                                              the tier's evidence
``issuance-request``  holder -> operator      the checks wanted, one fresh holder
                                              key per attestation
``issuance-response`` operator -> holder      the attestations, with each one's
                                              number salt
``result``            verifier -> its caller  what was verified: tier, operator,
                                              checks, a coarse issue-time bucket,
                                              the pseudonym if one was asked
===================== ======================= ====================================
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from zkcheck.claims import NUMBER_SALT_SIZE, Check, sort_checks
from zkcheck.encoding.cbor import (
    MAJOR_BYTES,
    MAJOR_MAP,
    MAJOR_TEXT,
    decode,
    decode_exact,
    encode,
    encode_int,
    encode_text,
    head,
)
from zkcheck.encoding.cose import SIGN1_TAGS, COSEKey, Sign1
from zkcheck.encoding.cwt import numeric_date
from zkcheck.errors import DecodeError

__all__ = [
    "MAX_BATCH",
    "MAX_CHECKS",
    "MAX_NONCE_SIZE",
    "MAX_OPERATORS",
    "MIN_NONCE_SIZE",
    "PSEUDONYM_SIZE",
    "VERSION",
    "IssuanceRequest",
    "IssuanceResponse",
    "IssuedAttestation",
    "Presentation",
    "Request",
    "ResultRecord",
    "check_identifier",
    "decode_message",
    "message_fields",
    "parse_checks",
]

VERSION = 1
"""The message format version this code writes and the only one it reads."""

MIN_NONCE_SIZE = 16
"""A request nonce has at least 128 bits."""
MAX_NONCE_SIZE = 64
MAX_CHECKS = 16
"""Most checks one request, attestation or menu entry lists."""
MAX_BATCH = 64
"""Most attestations one issuance request may ask for."""
MAX_OPERATORS = 16
"""Most operators one request names; a request that names none accepts every operator
on the verifier's trust list."""
MAX_MESSAGE_SIZE = 64 * 1024
PSEUDONYM_SIZE = 48
"""A pseudonym is a compressed point of G1 (spec/13-pseudonyms.md)."""

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}")
_TIER = re.compile(r"[a-z][a-z0-9-]{0,31}")


# The same few identifiers and tier names (operators, the verifier's own, the tiers) arrive
# in every message, so the texts that matched are remembered, by pattern (bounded in
# entries, emptied when full; at most 255 characters each). Only a str is looked up: no
# other type is equal to a str.
_KNOWN_IDENTIFIERS: set[str] = set()
_KNOWN_TIERS: set[str] = set()
_IDENTIFIERS_KNOWN = 1024


def _remembered_match(value: object, pattern: re.Pattern[str], known: set[str]) -> TypeGuard[str]:
    if type(value) is not str:
        return False
    if value not in known:
        if not pattern.fullmatch(value):
            return False
        if len(known) >= _IDENTIFIERS_KNOWN:
            known.clear()
        known.add(value)
    return True


def check_identifier(value: object, what: str) -> str:
    """A verifier or operator identifier: 1..255 characters of a URI-safe set."""
    if not _remembered_match(value, _IDENTIFIER, _KNOWN_IDENTIFIERS):
        raise DecodeError(f"{what} must be an identifier of 1..255 URI-safe characters")
    return value


def _tier(value: object) -> str:
    if not _remembered_match(value, _TIER, _KNOWN_TIERS):
        raise DecodeError("a tier name is a short lower-case word")
    return value


def _bytes(value: object, what: str, low: int, high: int) -> bytes:
    if type(value) is not bytes or not low <= len(value) <= high:
        raise DecodeError(f"{what} must be a byte string of {low}..{high} bytes")
    return value


def _uint(value: object, what: str, high: int) -> int:
    if type(value) is not int or not 0 <= value <= high:
        raise DecodeError(f"{what} must be an integer in 0..{high}")
    return value


def _sorted_unique(values: object, what: str, item: Any, limit: int = MAX_CHECKS) -> list[Any]:
    """A list in wire order (bytewise order of the items' UTF-8) without repeats."""
    if type(values) is not list or not 1 <= len(values) <= limit:
        raise DecodeError(f"{what} must be a list of 1..{limit} items")
    parsed = []
    previous = b""
    for value in values:
        parsed.append(item(value))  # refuses anything but the right kind of text
        encoded = value.encode()
        if encoded <= previous:
            raise DecodeError(f"{what} must be sorted and without repeats")
        previous = encoded
    return parsed


_PARSED_CHECK_LISTS: dict[tuple[str, ...], tuple[Check, ...]] = {}
_CHECK_LISTS_CACHED = 1024


def parse_checks(values: object, what: str = "checks") -> tuple[Check, ...]:
    """A wire list of check identifiers: 1..16, sorted, without repeats."""
    # The same few lists arrive in every request and attestation of a policy, so the
    # lists that parsed are remembered (bounded in entries, emptied when full). Only a
    # list of the same texts equals a remembered one: no number, byte string or boolean
    # equals a text string.
    if type(values) is list and len(values) <= MAX_CHECKS:
        try:
            known = _PARSED_CHECK_LISTS.get(tuple(values))
        except TypeError:  # an unhashable item, refused below
            known = None
        if known is not None:
            return known
    checks = tuple(_sorted_unique(values, what, Check.parse))
    if len(_PARSED_CHECK_LISTS) >= _CHECK_LISTS_CACHED:
        _PARSED_CHECK_LISTS.clear()
    _PARSED_CHECK_LISTS[tuple(values)] = checks  # type: ignore[arg-type]
    return checks


def _check_names(checks: Iterable[Check]) -> list[str]:
    return [check.identifier for check in sort_checks(checks)]


def message_fields(
    data: bytes,
    kind: str,
    required: set[int],
    optional: frozenset[int] = frozenset(),
    *,
    max_size: int = MAX_MESSAGE_SIZE,
) -> dict[int, Any]:
    """Decode a message of type ``kind`` and check its keys.

    Key 0 must be :data:`VERSION` and key 1 ``kind``; the other keys must be
    exactly ``required`` plus any of ``optional``.
    """
    fields = decode(data, max_size=max_size, tags=SIGN1_TAGS)
    return _fields(fields, kind, required, optional)


def _version_and_kind(fields: object, kind: str) -> dict[Any, Any]:
    """``fields``, if it is a map of :data:`VERSION` (key 0) and type ``kind`` (key 1)."""
    if type(fields) is not dict:
        raise DecodeError("a zkcheck message is a map")
    version = fields.get(0)
    if version != VERSION or type(version) is not int:
        raise DecodeError(f"unsupported message version (this is version {VERSION})")
    if fields.get(1) != kind:
        raise DecodeError(f"not a {kind} message")
    return fields


def _fields(
    fields: object, kind: str, required: set[int], optional: frozenset[int] = frozenset()
) -> dict[int, Any]:
    fields = _version_and_kind(fields, kind)
    # Keys 0 and 1 are there; with every required key, a map of 2 + len(required)
    # entries has no other.
    keys = fields.keys()
    if not keys >= required or (
        len(fields) != 2 + len(required) and not keys - {0, 1} - required <= optional
    ):
        raise DecodeError(f"a {kind} message has keys {sorted(required)} and {sorted(optional)}")
    return fields


def decode_message(data: bytes, *, max_size: int = MAX_MESSAGE_SIZE) -> str:
    """The type of a message (``"request"``, ``"presentation"``, ...), for dispatch."""
    fields = decode(data, max_size=max_size, tags=SIGN1_TAGS)
    if not isinstance(fields, dict) or fields.get(0) != VERSION:
        raise DecodeError(f"not a zkcheck version {VERSION} message")
    kind = fields.get(1)
    if type(kind) is not str:
        raise DecodeError("the message type is missing")
    return kind


@dataclass(frozen=True)
class Request:
    """The verifier's request: what to show, to whom, how fresh, for which nonce."""

    nonce: bytes
    verifier_id: str
    checks: tuple[Check, ...]
    tiers: tuple[str, ...]
    operators: tuple[str, ...]
    """The operators accepted; empty: every operator on the verifier's trust list."""
    max_age: int
    """Oldest acceptable attestation, in seconds since its issue time."""
    expires_at: int
    """When the request itself lapses (NumericDate)."""
    time: int
    """The verifier's time when it made the request (NumericDate): the instant at which
    the credential tier evaluates expiry and predicates."""
    pseudonym: bool = False
    """Whether the verifier asks for its per-verifier pseudonym (spec/13-pseudonyms.md):
    key 10, ``true``, present only when asked."""

    KIND = "request"

    def to_bytes(self) -> bytes:
        fields: dict[int, Any] = {
            0: VERSION,
            1: self.KIND,
            2: self.nonce,
            3: self.verifier_id,
            4: _check_names(self.checks),
            5: sorted(set(self.tiers), key=str.encode),
            7: self.max_age,
            8: self.expires_at,
            9: self.time,
        }
        if self.operators:
            fields[6] = sorted(set(self.operators), key=str.encode)
        if self.pseudonym:
            fields[10] = True
        return encode(fields)

    @classmethod
    def from_bytes(cls, data: bytes) -> Request:
        fields = message_fields(data, cls.KIND, {2, 3, 4, 5, 7, 8, 9}, frozenset({6, 10}))
        operators: tuple[str, ...] = ()
        if 6 in fields:
            operators = tuple(
                _sorted_unique(
                    fields[6], "operators", lambda v: check_identifier(v, "operator"), MAX_OPERATORS
                )
            )
        # One encoding per request: the key is absent, or true.
        if 10 in fields and fields[10] is not True:
            raise DecodeError("a request asks for a pseudonym with true, or not at all")
        return cls(
            nonce=_bytes(fields[2], "the nonce", MIN_NONCE_SIZE, MAX_NONCE_SIZE),
            verifier_id=check_identifier(fields[3], "the verifier id"),
            checks=parse_checks(fields[4]),
            tiers=tuple(_sorted_unique(fields[5], "tiers", _tier)),
            operators=operators,
            max_age=_uint(fields[7], "max_age", 2**32),
            expires_at=numeric_date(fields[8], "the request's expiry"),
            time=numeric_date(fields[9], "the verifier's time"),
            pseudonym=10 in fields,
        )

    def digest(self) -> bytes:
        """SHA-256 of the request's encoding: what a holder's key binding signs."""
        return hashlib.sha256(self.to_bytes()).digest()


@dataclass(frozen=True, init=False)
class Presentation:
    """The holder's answer to a request: the tier and its evidence (``body``)."""

    tier: str
    nonce: bytes
    body: bytes

    def __init__(self, tier: str, nonce: bytes, body: bytes) -> None:
        # Written into the instance dict: the generated frozen __init__ goes through
        # object.__setattr__ per field, twice the cost, on every verification.
        fields = self.__dict__
        fields["tier"] = tier
        fields["nonce"] = nonce
        fields["body"] = body

    KIND = "presentation"

    def to_bytes(self) -> bytes:
        """The deterministic encoding of ``{0: VERSION, 1: KIND, 2: tier, 3: nonce,
        4: body}``, written directly (a verifier writes it again on every verification,
        as the proof of its encoding)."""
        tier, nonce, body = self.tier.encode(), self.nonce, self.body
        return b"".join(
            (
                _PRESENTATION_TIER,
                head(MAJOR_TEXT, len(tier)),
                tier,
                _NONCE_KEY,
                head(MAJOR_BYTES, len(nonce)),
                nonce,
                _BODY_KEY,
                head(MAJOR_BYTES, len(body)),
                body,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Presentation:
        return decode_exact(
            data, cls._read, cls.to_bytes, "a presentation message", max_size=MAX_MESSAGE_SIZE
        )

    @classmethod
    def _read(cls, fields: Any) -> Presentation:
        # Which entries there are, and how they are encoded, is proven by to_bytes()
        # (decode_exact): only the values are checked here.
        fields = _version_and_kind(fields, cls.KIND)
        return cls(
            _tier(fields[2]),
            _bytes(fields[3], "the nonce", MIN_NONCE_SIZE, MAX_NONCE_SIZE),
            _bytes(fields[4], "the body", 1, MAX_MESSAGE_SIZE),
        )


# The presentation's encoding up to its tier's text: the map's head, version, type, key 2.
_PRESENTATION_TIER = b"".join(
    (
        head(MAJOR_MAP, 5),
        encode_int(0),
        encode_int(VERSION),
        encode_int(1),
        encode_text(Presentation.KIND),
        encode_int(2),
    )
)
_NONCE_KEY = encode_int(3)
_BODY_KEY = encode_int(4)


@dataclass(frozen=True)
class IssuanceRequest:
    """The holder asks its operator for attestations: no verifier is named."""

    checks: tuple[Check, ...]
    holder_keys: tuple[COSEKey, ...]

    KIND = "issuance-request"

    def to_bytes(self) -> bytes:
        return encode(
            {
                0: VERSION,
                1: self.KIND,
                2: _check_names(self.checks),
                3: [key.to_map() for key in self.holder_keys],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> IssuanceRequest:
        fields = message_fields(data, cls.KIND, {2, 3})
        keys = fields[3]
        if type(keys) is not list or not 1 <= len(keys) <= MAX_BATCH:
            raise DecodeError(f"an issuance request carries 1..{MAX_BATCH} holder keys")
        # Holder keys enter zkcheck here, so their points are checked here.
        holder_keys = tuple(COSEKey.from_map(key).validate() for key in keys)
        if len(set(holder_keys)) != len(holder_keys):
            raise DecodeError("every attestation needs its own holder key")
        return cls(parse_checks(fields[2]), holder_keys)


@dataclass(frozen=True)
class IssuedAttestation:
    """One attestation (a COSE_Sign1 CWT) and, if it attests ``number``, its salt."""

    attestation: Sign1
    number_salt: bytes | None = None

    def to_map(self) -> dict[int, Any]:
        entry: dict[int, Any] = {1: self.attestation.to_item()}
        if self.number_salt is not None:
            entry[2] = self.number_salt
        return entry

    @classmethod
    def from_map(cls, entry: object) -> IssuedAttestation:
        if not isinstance(entry, Mapping) or 1 not in entry or set(entry) - {1, 2}:
            raise DecodeError("an issued attestation is {1: attestation, ? 2: salt}")
        salt = entry.get(2)
        if salt is not None:
            salt = _bytes(salt, "the number salt", NUMBER_SALT_SIZE, NUMBER_SALT_SIZE)
        return cls(Sign1.from_item(entry[1]), salt)


@dataclass(frozen=True)
class IssuanceResponse:
    """The operator's attestations, one per holder key, in the request's key order."""

    attestations: tuple[IssuedAttestation, ...]

    KIND = "issuance-response"

    def to_bytes(self) -> bytes:
        return encode(
            {0: VERSION, 1: self.KIND, 2: [issued.to_map() for issued in self.attestations]}
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> IssuanceResponse:
        fields = message_fields(data, cls.KIND, {2})
        entries = fields[2]
        if type(entries) is not list or not 1 <= len(entries) <= MAX_BATCH:
            raise DecodeError(f"an issuance response carries 1..{MAX_BATCH} attestations")
        return cls(tuple(IssuedAttestation.from_map(entry) for entry in entries))


@dataclass(frozen=True, init=False)
class ResultRecord:
    """A verification result as data: what a verifier logs or hands to its application.

    Decoding one proves nothing: only :class:`zkcheck.roles.VerifiedResult`,
    which only a verifier constructs, stands for a successful verification.
    """

    tier: str
    operator: str
    checks: tuple[Check, ...]
    issued_bucket: int
    """Start of the coarse interval in which the attestation was issued (NumericDate)."""
    verifier_id: str
    pseudonym: bytes | None = None
    """The holder's pseudonym at this verifier (48 octets), when the request asked for one."""

    KIND = "result"

    def __init__(
        self,
        tier: str,
        operator: str,
        checks: tuple[Check, ...],
        issued_bucket: int,
        verifier_id: str,
        pseudonym: bytes | None = None,
    ) -> None:
        # Written into the instance dict (see Presentation.__init__).
        fields = self.__dict__
        fields["tier"] = tier
        fields["operator"] = operator
        fields["checks"] = checks
        fields["issued_bucket"] = issued_bucket
        fields["verifier_id"] = verifier_id
        fields["pseudonym"] = pseudonym

    def to_bytes(self) -> bytes:
        fields: dict[int, Any] = {
            0: VERSION,
            1: self.KIND,
            2: self.tier,
            3: self.operator,
            4: _check_names(self.checks),
            5: self.issued_bucket,
            6: self.verifier_id,
        }
        if self.pseudonym is not None:
            fields[7] = self.pseudonym
        return encode(fields)

    @classmethod
    def from_bytes(cls, data: bytes) -> ResultRecord:
        fields = message_fields(data, cls.KIND, {2, 3, 4, 5, 6}, frozenset({7}))
        return cls(
            tier=_tier(fields[2]),
            operator=check_identifier(fields[3], "the operator"),
            checks=parse_checks(fields[4]),
            issued_bucket=numeric_date(fields[5], "the issue-time bucket"),
            verifier_id=check_identifier(fields[6], "the verifier id"),
            pseudonym=(
                _bytes(fields[7], "the pseudonym", PSEUDONYM_SIZE, PSEUDONYM_SIZE)
                if 7 in fields
                else None
            ),
        )
