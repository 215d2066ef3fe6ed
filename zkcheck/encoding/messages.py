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
                                              operators, maximum attestation age,
                                              the verifier's time
``presentation``      holder -> verifier      the tier, the request's nonce and
                                              the tier's evidence
``issuance-request``  holder -> operator      the checks wanted, one fresh holder
                                              key per attestation
``issuance-response`` operator -> holder      the attestations, with each one's
                                              number salt
``result``            verifier -> its caller  what was verified: tier, operator,
                                              checks, a coarse issue-time bucket
===================== ======================= ====================================
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zkcheck.claims import NUMBER_SALT_SIZE, Check, sort_checks
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import SIGN1_TAGS, COSEKey, Sign1
from zkcheck.encoding.cwt import numeric_date
from zkcheck.errors import DecodeError

__all__ = [
    "MAX_BATCH",
    "MAX_CHECKS",
    "MAX_NONCE_SIZE",
    "MIN_NONCE_SIZE",
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
MAX_MESSAGE_SIZE = 64 * 1024

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}")
_TIER = re.compile(r"[a-z][a-z0-9-]{0,31}")


def check_identifier(value: object, what: str) -> str:
    """A verifier or operator identifier: 1..255 characters of a URI-safe set."""
    if type(value) is not str or not _IDENTIFIER.fullmatch(value):
        raise DecodeError(f"{what} must be an identifier of 1..255 URI-safe characters")
    return value


def _tier(value: object) -> str:
    if type(value) is not str or not _TIER.fullmatch(value):
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


def _sorted_unique(values: object, what: str, item: Any) -> list[Any]:
    """A list in wire order (bytewise order of the items' UTF-8) without repeats."""
    if type(values) is not list or not 1 <= len(values) <= MAX_CHECKS:
        raise DecodeError(f"{what} must be a list of 1..{MAX_CHECKS} items")
    parsed = []
    previous = b""
    for value in values:
        parsed.append(item(value))  # refuses anything but the right kind of text
        encoded = value.encode()
        if encoded <= previous:
            raise DecodeError(f"{what} must be sorted and without repeats")
        previous = encoded
    return parsed


def parse_checks(values: object, what: str = "checks") -> tuple[Check, ...]:
    """A wire list of check identifiers: 1..16, sorted, without repeats."""
    return tuple(_sorted_unique(values, what, Check.parse))


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


def _fields(
    fields: object, kind: str, required: set[int], optional: frozenset[int] = frozenset()
) -> dict[int, Any]:
    if type(fields) is not dict:
        raise DecodeError("a zkcheck message is a map")
    version = fields.get(0)
    if version != VERSION or type(version) is not int:
        raise DecodeError(f"unsupported message version (this is version {VERSION})")
    if fields.get(1) != kind:
        raise DecodeError(f"not a {kind} message")
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
    max_age: int
    """Oldest acceptable attestation, in seconds since its issue time."""
    expires_at: int
    """When the request itself lapses (NumericDate)."""
    time: int
    """The verifier's time when it made the request (NumericDate): the instant at which
    the credential tier evaluates expiry and predicates."""

    KIND = "request"

    def to_bytes(self) -> bytes:
        return encode(
            {
                0: VERSION,
                1: self.KIND,
                2: self.nonce,
                3: self.verifier_id,
                4: _check_names(self.checks),
                5: sorted(set(self.tiers), key=str.encode),
                6: sorted(set(self.operators), key=str.encode),
                7: self.max_age,
                8: self.expires_at,
                9: self.time,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Request:
        fields = message_fields(data, cls.KIND, {2, 3, 4, 5, 6, 7, 8, 9})
        return cls(
            nonce=_bytes(fields[2], "the nonce", MIN_NONCE_SIZE, MAX_NONCE_SIZE),
            verifier_id=check_identifier(fields[3], "the verifier id"),
            checks=parse_checks(fields[4]),
            tiers=tuple(_sorted_unique(fields[5], "tiers", _tier)),
            operators=tuple(
                _sorted_unique(fields[6], "operators", lambda v: check_identifier(v, "operator"))
            ),
            max_age=_uint(fields[7], "max_age", 2**32),
            expires_at=numeric_date(fields[8], "the request's expiry"),
            time=numeric_date(fields[9], "the verifier's time"),
        )

    def digest(self) -> bytes:
        """SHA-256 of the request's encoding: what a holder's key binding signs."""
        return hashlib.sha256(self.to_bytes()).digest()


@dataclass(frozen=True)
class Presentation:
    """The holder's answer to a request: the tier and its evidence (``body``)."""

    tier: str
    nonce: bytes
    body: bytes

    KIND = "presentation"

    def to_bytes(self) -> bytes:
        return encode({0: VERSION, 1: self.KIND, 2: self.tier, 3: self.nonce, 4: self.body})

    @classmethod
    def from_bytes(cls, data: bytes) -> Presentation:
        fields = message_fields(data, cls.KIND, {2, 3, 4})
        return cls(
            _tier(fields[2]),
            _bytes(fields[3], "the nonce", MIN_NONCE_SIZE, MAX_NONCE_SIZE),
            _bytes(fields[4], "the body", 1, MAX_MESSAGE_SIZE),
        )


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


@dataclass(frozen=True)
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

    KIND = "result"

    def to_bytes(self) -> bytes:
        return encode(
            {
                0: VERSION,
                1: self.KIND,
                2: self.tier,
                3: self.operator,
                4: _check_names(self.checks),
                5: self.issued_bucket,
                6: self.verifier_id,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ResultRecord:
        fields = message_fields(data, cls.KIND, {2, 3, 4, 5, 6})
        return cls(
            tier=_tier(fields[2]),
            operator=check_identifier(fields[3], "the operator"),
            checks=parse_checks(fields[4]),
            issued_bucket=numeric_date(fields[5], "the issue-time bucket"),
            verifier_id=check_identifier(fields[6], "the verifier id"),
        )
