"""Wire objects of the ``signed`` tier (spec/04-signed-tier.md).

An *attestation* is a CWT (RFC 8392) in a COSE_Sign1 (RFC 9052) signed by the
operator:

* protected header: ``alg`` (Ed25519 or ESP256), ``kid`` (the operator key's
  id), ``typ`` :data:`ATTESTATION_TYP`; unprotected header empty;
* claims: ``iss`` (operator id), ``iat`` (issue time rounded down to a coarse
  grid), ``exp`` (on the same grid), ``cnf`` (the holder's public COSE_Key,
  RFC 8747), and zkcheck's private-range claims: the format version, the
  checks that hold, and for ``number`` the salted digest of the number.

A *key-binding token* (in the manner of SD-CWT's SD-KBT,
draft-ietf-spice-sd-cwt) is a COSE_Sign1 signed with the holder key named in
``cnf``:

* protected header: ``alg``, ``kcwt`` (the attestation itself), ``typ``
  :data:`KEY_BINDING_TYP`; unprotected header empty;
* claims: ``aud`` (the verifier id), ``cnonce`` (the request nonce), the
  SHA-256 digest of the whole request, and for ``number`` the salt.

Both are decoded strictly: exactly these header parameters and claims, no
others, all deterministically encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from zkcheck.claims import NUMBER, NUMBER_SALT_SIZE, Check, sort_checks
from zkcheck.encoding import cwt
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import (
    HEADER_ALG,
    HEADER_KCWT,
    HEADER_KID,
    HEADER_TYP,
    COSEKey,
    Sign1,
    Signer,
)
from zkcheck.encoding.messages import (
    MAX_NONCE_SIZE,
    MIN_NONCE_SIZE,
    check_identifier,
    parse_checks,
)
from zkcheck.errors import DecodeError

__all__ = [
    "ATTESTATION_TYP",
    "ATTESTATION_VERSION",
    "CLAIM_CHECKS",
    "CLAIM_NUMBER_DIGEST",
    "CLAIM_NUMBER_SALT",
    "CLAIM_REQUEST_DIGEST",
    "CLAIM_VERSION",
    "KEY_BINDING_TYP",
    "AttestationClaims",
    "KeyBindingClaims",
    "SignedPresentation",
    "bind",
    "decode_attestation",
    "decode_presentation_body",
    "sign_attestation",
]

ATTESTATION_TYP = "application/zkcheck-attestation+cwt"
KEY_BINDING_TYP = "application/zkcheck-kb+cwt"
ATTESTATION_VERSION = 1

# zkcheck's CWT claim keys, in the private-use range (RFC 8392, section 9.1).
CLAIM_VERSION = -65537
CLAIM_CHECKS = -65538
CLAIM_NUMBER_DIGEST = -65539
CLAIM_REQUEST_DIGEST = -65540
CLAIM_NUMBER_SALT = -65541

_DIGEST_SIZE = 32
_KID_SIZE = 16


# The claim keys each object must have, and those it may have besides.
_ATTESTATION_CLAIMS = frozenset(
    {cwt.CLAIM_ISS, cwt.CLAIM_IAT, cwt.CLAIM_EXP, cwt.CLAIM_CNF, CLAIM_VERSION, CLAIM_CHECKS}
)
_ATTESTATION_ALLOWED = _ATTESTATION_CLAIMS | {CLAIM_NUMBER_DIGEST}
_BINDING_CLAIMS = frozenset({cwt.CLAIM_AUD, cwt.CLAIM_CNONCE, CLAIM_REQUEST_DIGEST})
_BINDING_ALLOWED = _BINDING_CLAIMS | {CLAIM_NUMBER_SALT}
_CNF = frozenset({cwt.CNF_COSE_KEY})


def _exact_keys(
    claims: object, required: frozenset[int], allowed: frozenset[int], what: str
) -> dict[int, Any]:
    if type(claims) is not dict:
        raise DecodeError(f"{what} must be a map")
    keys = claims.keys()
    if not (keys >= required and keys <= allowed):
        raise DecodeError(f"{what} has unexpected or missing entries")
    return claims


def _digest(value: object, what: str) -> bytes:
    if type(value) is not bytes or len(value) != _DIGEST_SIZE:
        raise DecodeError(f"{what} must be 32 bytes")
    return value


@dataclass(frozen=True, init=False)
class AttestationClaims:
    """The claims of an attestation (its CWT payload)."""

    operator: str
    issued_at: int
    expires_at: int
    holder_key: COSEKey
    checks: tuple[Check, ...]
    number_digest: bytes | None = None

    def __init__(
        self,
        operator: str,
        issued_at: int,
        expires_at: int,
        holder_key: COSEKey,
        checks: tuple[Check, ...],
        number_digest: bytes | None = None,
    ) -> None:
        # Written into the instance dict: the generated frozen __init__ goes through
        # object.__setattr__ per field, twice the cost, on every verification.
        fields = self.__dict__
        fields["operator"] = operator
        fields["issued_at"] = issued_at
        fields["expires_at"] = expires_at
        fields["holder_key"] = holder_key
        fields["checks"] = checks
        fields["number_digest"] = number_digest

    def to_map(self) -> dict[int, Any]:
        claims: dict[int, Any] = {
            cwt.CLAIM_ISS: self.operator,
            cwt.CLAIM_IAT: self.issued_at,
            cwt.CLAIM_EXP: self.expires_at,
            cwt.CLAIM_CNF: {cwt.CNF_COSE_KEY: self.holder_key.to_map()},
            CLAIM_VERSION: ATTESTATION_VERSION,
            CLAIM_CHECKS: [check.identifier for check in sort_checks(self.checks)],
        }
        if self.number_digest is not None:
            claims[CLAIM_NUMBER_DIGEST] = self.number_digest
        return claims

    @classmethod
    def from_payload(cls, payload: bytes) -> AttestationClaims:
        claims = _exact_keys(
            decode(payload), _ATTESTATION_CLAIMS, _ATTESTATION_ALLOWED, "the attestation claims"
        )
        version = claims[CLAIM_VERSION]
        if version != ATTESTATION_VERSION or type(version) is not int:
            raise DecodeError("unsupported attestation version")
        cnf = _exact_keys(claims[cwt.CLAIM_CNF], _CNF, _CNF, "cnf")
        checks = parse_checks(claims[CLAIM_CHECKS], "the attested checks")
        number = CLAIM_NUMBER_DIGEST in claims
        if number != (NUMBER in checks):
            raise DecodeError("a number digest goes with the number check, and only with it")
        issued_at = cwt.numeric_date(claims[cwt.CLAIM_IAT], "iat")
        expires_at = cwt.numeric_date(claims[cwt.CLAIM_EXP], "exp")
        if expires_at <= issued_at:
            raise DecodeError("an attestation expires after it is issued")
        return cls(
            check_identifier(claims[cwt.CLAIM_ISS], "iss"),
            issued_at,
            expires_at,
            COSEKey.from_map(cnf[cwt.CNF_COSE_KEY]),
            checks,
            _digest(claims[CLAIM_NUMBER_DIGEST], "the number digest") if number else None,
        )


@dataclass(frozen=True, init=False)
class KeyBindingClaims:
    """The claims the holder signs: whom and which request the presentation is for."""

    audience: str
    nonce: bytes
    request_digest: bytes
    number_salt: bytes | None = None

    def __init__(
        self, audience: str, nonce: bytes, request_digest: bytes, number_salt: bytes | None = None
    ) -> None:
        # Written into the instance dict (see AttestationClaims.__init__).
        fields = self.__dict__
        fields["audience"] = audience
        fields["nonce"] = nonce
        fields["request_digest"] = request_digest
        fields["number_salt"] = number_salt

    def to_map(self) -> dict[int, Any]:
        claims: dict[int, Any] = {
            cwt.CLAIM_AUD: self.audience,
            cwt.CLAIM_CNONCE: self.nonce,
            CLAIM_REQUEST_DIGEST: self.request_digest,
        }
        if self.number_salt is not None:
            claims[CLAIM_NUMBER_SALT] = self.number_salt
        return claims

    @classmethod
    def from_payload(cls, payload: bytes) -> KeyBindingClaims:
        claims = _exact_keys(
            decode(payload), _BINDING_CLAIMS, _BINDING_ALLOWED, "the key-binding claims"
        )
        nonce = claims[cwt.CLAIM_CNONCE]
        if type(nonce) is not bytes or not MIN_NONCE_SIZE <= len(nonce) <= MAX_NONCE_SIZE:
            raise DecodeError("cnonce must be a request nonce")
        salt = claims.get(CLAIM_NUMBER_SALT)
        if salt is not None and (type(salt) is not bytes or len(salt) != NUMBER_SALT_SIZE):
            raise DecodeError("the number salt is 16 bytes")
        return cls(
            check_identifier(claims[cwt.CLAIM_AUD], "aud"),
            nonce,
            _digest(claims[CLAIM_REQUEST_DIGEST], "the request digest"),
            salt,
        )


_ATTESTATION_HEADERS = frozenset({HEADER_ALG, HEADER_KID, HEADER_TYP})
_KEY_BINDING_HEADERS = frozenset({HEADER_ALG, HEADER_KCWT, HEADER_TYP})


def _protected(sign1: Sign1, labels: frozenset[int], parameter: int, typ: str, what: str) -> Any:
    """Check the protected header has exactly ``labels`` (alg, ``parameter``, typ) and
    return ``parameter``."""
    headers = sign1.headers
    if headers.keys() != labels or sign1.unprotected:
        raise DecodeError(f"the {what} headers are not zkcheck's")
    if headers[HEADER_TYP] != typ:
        raise DecodeError(f"not a zkcheck {what} (typ)")
    if type(headers[HEADER_ALG]) is not int:
        raise DecodeError(f"the {what} alg must be an integer")
    return headers[parameter]


def sign_attestation(operator_key: Signer, kid: bytes, claims: AttestationClaims) -> Sign1:
    """The operator signs an attestation."""
    headers: dict[int | str, Any] = {HEADER_KID: kid, HEADER_TYP: ATTESTATION_TYP}
    return Sign1.create(operator_key, headers, encode(claims.to_map()))


def decode_attestation(item: object) -> tuple[Sign1, AttestationClaims]:
    """An attestation's structure and claims (its signature is not checked here)."""
    attestation = Sign1.from_item(item)
    kid = _protected(attestation, _ATTESTATION_HEADERS, HEADER_KID, ATTESTATION_TYP, "attestation")
    if type(kid) is not bytes or len(kid) != _KID_SIZE:
        raise DecodeError("the operator key id is 16 bytes")
    return attestation, AttestationClaims.from_payload(attestation.payload)


class SignedPresentation(NamedTuple):
    """A decoded key-binding token with the attestation it carries (a named tuple:
    one is made on every verification)."""

    token: Sign1
    claims: KeyBindingClaims
    attestation: Sign1
    attestation_claims: AttestationClaims

    @property
    def kid(self) -> bytes:
        kid: bytes = self.attestation.headers[HEADER_KID]
        return kid


def bind(holder_key: Signer, attestation: Sign1, claims: KeyBindingClaims) -> Sign1:
    """The holder signs a key-binding token carrying ``attestation`` in ``kcwt``."""
    headers: dict[int | str, Any] = {
        HEADER_KCWT: attestation.to_item(),
        HEADER_TYP: KEY_BINDING_TYP,
    }
    return Sign1.create(holder_key, headers, encode(claims.to_map()))


def decode_presentation_body(body: bytes) -> SignedPresentation:
    """Decode a key-binding token and its attestation; no signature is checked here."""
    token = Sign1.decode(body)
    attestation, attestation_claims = decode_attestation(
        _protected(token, _KEY_BINDING_HEADERS, HEADER_KCWT, KEY_BINDING_TYP, "key-binding token")
    )
    return SignedPresentation(
        token, KeyBindingClaims.from_payload(token.payload), attestation, attestation_claims
    )
