"""The credential tier's messages (spec/08-credential-tier.md; CDDL in spec/cddl/zkcheck.cddl).

Issuance is one round trip, over the channel on which the operator
authenticates its subscriber::

    credential-request  = {0: 1, 1: "credential-request", 2: 1 (layout version),
                           3: commitment with proof (176 octets),
                           ? 4: carry-over (at renewal)}
    carry-over          = {1: key id, 2: expiry day, 3: BBS proof (592 octets),
                           4: carry-over proof (64 octets)}
    credential-response = {0: 1, 1: "credential-response", 2: 1 (layout version),
                           3: key id (16 octets), 4: signature (80 octets),
                           5: signer_nym_entropy (32 octets), 6: [8 facts]}

The facts are the values of indexes 1 to 8 in index order: unsigned
integers for the integer positions (sentinels included), the E.164 text or
null for the number, the two-letter text or null for the home country.

At renewal the request carries over the pseudonym secret of a credential
the holder holds (spec/13-pseudonyms.md, "Renewal"): a presentation of that
credential, disclosing its type and expiry, whose pseudonym block shows that
the new commitment commits to the same secret.

A presentation in the credential tier is a
:class:`~zkcheck.encoding.messages.Presentation` whose body is the
deterministic CBOR encoding of::

    {1: 1 (layout version), 2: key id, 3: expiry day, 4: BBS proof, 5: predicate proof,
     ? 6: pseudonym (48 octets, when the request asks for one),
     7: 2 (presentation version)}

The presentation version names the version of chapter 9 whose proofs keys 4
and 5 hold; this package makes and accepts version 2 only, and a body of any
other version, or without one (version 1 had no key 7), is refused.

It carries no header, presentation header, disclosed index or disclosed
value other than the expiry: the verifier supplies them. Decoders check
types, lengths and the two version numbers only and refuse anything else
with :class:`~zkcheck.errors.DecodeError`; whether the values are admissible
is for the holder's and the verifier's checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.messages import VERSION, message_fields
from zkcheck.errors import DecodeError
from zkcheck.hazmat.bbs import OCTET_SCALAR_LENGTH, PROOF_LEN_FLOOR, SIGNATURE_LENGTH
from zkcheck.hazmat.credential import (
    COMMITMENT_LENGTH,
    KEY_ID_SIZE,
    LAYOUT_VERSION,
    MESSAGE_COUNT,
    LayoutFacts,
)
from zkcheck.hazmat.credential_pseudonym import (
    CARRY_OVER_DISCLOSED,
    CARRY_OVER_WIRE_LENGTH,
    PSEUDONYM_LENGTH,
)
from zkcheck.hazmat.presentation import VERSION_2, bbs_proof_length

__all__ = [
    "CARRY_OVER_PROOF_LENGTH",
    "MAX_PREDICATE_PROOF",
    "PRESENTATION_VERSION",
    "CarryOver",
    "CredentialEvidence",
    "CredentialRequest",
    "CredentialResponse",
    "decode_facts",
    "encode_facts",
]

CARRY_OVER_PROOF_LENGTH = bbs_proof_length(len(CARRY_OVER_DISCLOSED))
"""The BBS proof of a carry-over: 592 octets, the type and the expiry disclosed."""

PRESENTATION_VERSION = VERSION_2.number
"""The version of chapter 9's presentation a credential presentation body carries: 2."""

MAX_PREDICATE_PROOF = 48 * 1024
"""Most octets of predicate proofs one presentation carries (a presentation is at most 64 KiB)."""

_MAX_FACT = 2**64 - 1
_MAX_TEXT = 32
_MAX_BODY = 64 * 1024


def _layout(value: object) -> int:
    if type(value) is not int or value != LAYOUT_VERSION:
        raise DecodeError(f"unsupported layout version (this is layout version {LAYOUT_VERSION})")
    return value


def _presentation_version(value: object) -> int:
    if type(value) is not int or value != PRESENTATION_VERSION:
        raise DecodeError(
            f"unsupported presentation version (this is presentation version "
            f"{PRESENTATION_VERSION})"
        )
    return value


def _octets(value: object, what: str, length: int) -> bytes:
    if type(value) is not bytes or len(value) != length:
        raise DecodeError(f"{what} must be a byte string of {length} octets")
    return value


def _uint(value: object, what: str) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_FACT:
        raise DecodeError(f"{what} must be an unsigned integer")
    return value


def _text_or_null(value: object, what: str) -> str | None:
    if value is None:
        return None
    if type(value) is not str or not 1 <= len(value) <= _MAX_TEXT:
        raise DecodeError(f"{what} must be a short text string or null")
    return value


def encode_facts(facts: LayoutFacts) -> list[int | str | None]:
    """The facts of indexes 1 to 8, in index order, as a credential response carries them."""
    return [
        facts.issue_hour,
        facts.expiry_day,
        facts.birth_day,
        facts.sim_change_hour,
        facts.device_change_hour,
        facts.contract_start_day,
        facts.msisdn,
        facts.home_country,
    ]


def decode_facts(values: object) -> LayoutFacts:
    """The facts of :func:`encode_facts`; :class:`DecodeError` unless they have its shape
    (whether they are admissible is :meth:`LayoutFacts.check`'s to say)."""
    if type(values) is not list or len(values) != 8:
        raise DecodeError("a credential carries the 8 facts of indexes 1 to 8")
    integer = [_uint(value, f"fact {index}") for index, value in enumerate(values[:6], 1)]
    return LayoutFacts(
        issue_hour=integer[0],
        expiry_day=integer[1],
        birth_day=integer[2],
        sim_change_hour=integer[3],
        device_change_hour=integer[4],
        contract_start_day=integer[5],
        msisdn=_text_or_null(values[6], "the number"),
        home_country=_text_or_null(values[7], "the home country"),
    )


@dataclass(frozen=True)
class CarryOver:
    """A presentation of a held credential that carries its pseudonym secret into the
    request's new commitment (spec/13-pseudonyms.md, "Renewal")."""

    key_id: bytes
    expiry_day: int
    bbs_proof: bytes
    proof: bytes
    """The carry-over block's responses s^ and h^."""

    def to_map(self) -> dict[int, Any]:
        return {1: self.key_id, 2: self.expiry_day, 3: self.bbs_proof, 4: self.proof}

    @classmethod
    def from_map(cls, value: object) -> CarryOver:
        if not isinstance(value, dict) or set(value) != {1, 2, 3, 4}:
            raise DecodeError("a carry-over has keys 1 to 4")
        return cls(
            key_id=_octets(value[1], "the key id", KEY_ID_SIZE),
            expiry_day=_uint(value[2], "the expiry day"),
            bbs_proof=_octets(value[3], "the carry-over's BBS proof", CARRY_OVER_PROOF_LENGTH),
            proof=_octets(value[4], "the carry-over proof", CARRY_OVER_WIRE_LENGTH),
        )


@dataclass(frozen=True)
class CredentialRequest:
    """The holder's commitment to its secrets, with its proof of knowledge, and at renewal
    the carry-over of its pseudonym secret."""

    commitment_with_proof: bytes
    carry_over: CarryOver | None = None

    KIND = "credential-request"

    def to_bytes(self) -> bytes:
        fields: dict[int, Any] = {
            0: VERSION,
            1: self.KIND,
            2: LAYOUT_VERSION,
            3: self.commitment_with_proof,
        }
        if self.carry_over is not None:
            fields[4] = self.carry_over.to_map()
        return encode(fields)

    @classmethod
    def from_bytes(cls, data: bytes) -> CredentialRequest:
        fields = message_fields(data, cls.KIND, {2, 3}, frozenset({4}))
        _layout(fields[2])
        return cls(
            _octets(fields[3], "the commitment with proof", COMMITMENT_LENGTH),
            CarryOver.from_map(fields[4]) if 4 in fields else None,
        )


@dataclass(frozen=True)
class CredentialResponse:
    """The operator's blind signature, its pseudonym entropy and the facts it signed."""

    key_id: bytes
    signature: bytes
    signer_nym_entropy: bytes
    facts: LayoutFacts

    KIND = "credential-response"

    def to_bytes(self) -> bytes:
        return encode(
            {
                0: VERSION,
                1: self.KIND,
                2: LAYOUT_VERSION,
                3: self.key_id,
                4: self.signature,
                5: self.signer_nym_entropy,
                6: encode_facts(self.facts),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> CredentialResponse:
        fields = message_fields(data, cls.KIND, {2, 3, 4, 5, 6})
        _layout(fields[2])
        return cls(
            key_id=_octets(fields[3], "the key id", KEY_ID_SIZE),
            signature=_octets(fields[4], "the signature", SIGNATURE_LENGTH),
            signer_nym_entropy=_octets(fields[5], "signer_nym_entropy", OCTET_SCALAR_LENGTH),
            facts=decode_facts(fields[6]),
        )


@dataclass(frozen=True)
class CredentialEvidence:
    """The body of a credential presentation (spec/08-credential-tier.md, "Presentation fields"),
    whose proofs are of presentation version 2."""

    key_id: bytes
    expiry_day: int
    bbs_proof: bytes
    predicate_proof: bytes = b""
    pseudonym: bytes | None = None
    """The holder's pseudonym for the verifier (48 octets), when the request asks for one."""

    def to_bytes(self) -> bytes:
        fields: dict[int, Any] = {
            1: LAYOUT_VERSION,
            2: self.key_id,
            3: self.expiry_day,
            4: self.bbs_proof,
            5: self.predicate_proof,
        }
        if self.pseudonym is not None:
            fields[6] = self.pseudonym
        fields[7] = PRESENTATION_VERSION
        return encode(fields)

    @classmethod
    def from_bytes(cls, data: bytes) -> CredentialEvidence:
        """Decode a body; :class:`DecodeError` unless it has exactly keys 1 to 5 and 7 (and 6,
        the pseudonym), the known layout and presentation versions and fields of the right
        types and sizes."""
        fields: Any = decode(data, max_size=_MAX_BODY)
        if not isinstance(fields, dict) or not {1, 2, 3, 4, 5} <= set(fields) <= set(range(1, 8)):
            raise DecodeError("a credential presentation body has keys 1 to 5 and 7, and 6")
        _layout(fields[1])
        # A body of version 1, which had no key 7, is refused as an unsupported version.
        _presentation_version(fields.get(7))
        proof = fields[4]
        longest = PROOF_LEN_FLOOR + OCTET_SCALAR_LENGTH * MESSAGE_COUNT
        if type(proof) is not bytes or not PROOF_LEN_FLOOR <= len(proof) <= longest:
            raise DecodeError("the BBS proof must be a byte string of 272 to 656 octets")
        predicate_proof = fields[5]
        if type(predicate_proof) is not bytes or len(predicate_proof) > MAX_PREDICATE_PROOF:
            raise DecodeError("the predicate proof must be a byte string")
        return cls(
            key_id=_octets(fields[2], "the key id", KEY_ID_SIZE),
            expiry_day=_uint(fields[3], "the expiry day"),
            bbs_proof=proof,
            predicate_proof=predicate_proof,
            pseudonym=(
                _octets(fields[6], "the pseudonym", PSEUDONYM_LENGTH) if 6 in fields else None
            ),
        )
