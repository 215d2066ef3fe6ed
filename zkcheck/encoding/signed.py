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
from zkcheck.encoding.cbor import (
    MAJOR_ARRAY,
    MAJOR_BYTES,
    MAJOR_MAP,
    MAJOR_TEXT,
    Tag,
    decode,
    decode_exact,
    encode_int,
    encode_text,
    head,
    read_nested,
)
from zkcheck.encoding.cose import (
    COSE_SIGN1_TAG,
    HEADER_ALG,
    HEADER_KCWT,
    HEADER_KID,
    HEADER_TYP,
    COSEKey,
    Sign1,
    Signer,
    protected_headers,
    sign1_encoding,
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
_MAX_BODY_SIZE = 16384

# Pieces of the claims' deterministic encodings (AttestationClaims.encode,
# KeyBindingClaims.encode): each claim key's encoding, in the order of those encodings.
_ISS = encode_int(cwt.CLAIM_ISS)
_EXP = encode_int(cwt.CLAIM_EXP)
_IAT = encode_int(cwt.CLAIM_IAT)
_CNF_COSE_KEY = encode_int(cwt.CLAIM_CNF) + head(MAJOR_MAP, 1) + encode_int(cwt.CNF_COSE_KEY)
_VERSION_ENTRY = encode_int(CLAIM_VERSION) + encode_int(ATTESTATION_VERSION)
_CHECKS = encode_int(CLAIM_CHECKS)
_NUMBER_DIGEST = encode_int(CLAIM_NUMBER_DIGEST)
_AUD = encode_int(cwt.CLAIM_AUD)
_CNONCE = encode_int(cwt.CLAIM_CNONCE)
_REQUEST_DIGEST = encode_int(CLAIM_REQUEST_DIGEST)
_NUMBER_SALT = encode_int(CLAIM_NUMBER_SALT)


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

    def encode(self) -> bytes:
        """The deterministic encoding of :meth:`to_map`: the CWT payload."""
        number = self.number_digest
        parts = [
            head(MAJOR_MAP, 6 if number is None else 7),
            _ISS,
            encode_text(self.operator),
            _EXP,
            encode_int(self.expires_at),
            _IAT,
            encode_int(self.issued_at),
            _CNF_COSE_KEY,
            self.holder_key.encode(),
            _VERSION_ENTRY,
            _CHECKS,
            head(MAJOR_ARRAY, len(self.checks)),
        ]
        parts += [encode_text(check.identifier) for check in sort_checks(self.checks)]
        if number is not None:
            parts += (_NUMBER_DIGEST, head(MAJOR_BYTES, len(number)), number)
        return b"".join(parts)

    @classmethod
    def from_payload(cls, payload: bytes) -> AttestationClaims:
        """The claims a CWT payload holds: exactly zkcheck's, deterministically encoded."""
        return decode_exact(payload, cls._read, cls.encode, "the attestation claims")

    @classmethod
    def _read(cls, claims: Any) -> AttestationClaims:
        # Which entries there are, and how they are encoded, is proven by encode()
        # (decode_exact): only the values are checked here.
        if type(claims) is not dict:
            raise DecodeError("the attestation claims must be a map")
        version = claims[CLAIM_VERSION]
        if version != ATTESTATION_VERSION or type(version) is not int:
            raise DecodeError("unsupported attestation version")
        names = claims[CLAIM_CHECKS]
        checks = parse_checks(names, "the attested checks")
        number = claims.get(CLAIM_NUMBER_DIGEST)
        # The list parsed, so "number" is in it exactly when NUMBER is in checks; text
        # comparisons cost less than comparisons of checks.
        if (number is not None) != (NUMBER.identifier in names):
            raise DecodeError("a number digest goes with the number check, and only with it")
        issued_at = cwt.numeric_date(claims[cwt.CLAIM_IAT], "iat")
        expires_at = cwt.numeric_date(claims[cwt.CLAIM_EXP], "exp")
        if expires_at <= issued_at:
            raise DecodeError("an attestation expires after it is issued")
        return cls(
            check_identifier(claims[cwt.CLAIM_ISS], "iss"),
            issued_at,
            expires_at,
            COSEKey.from_map(claims[cwt.CLAIM_CNF][cwt.CNF_COSE_KEY]),
            checks,
            None if number is None else _digest(number, "the number digest"),
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

    def encode(self) -> bytes:
        """The deterministic encoding of :meth:`to_map`: the key-binding token's payload."""
        audience, nonce, salt = self.audience.encode(), self.nonce, self.number_salt
        parts = [
            head(MAJOR_MAP, 3 if salt is None else 4),
            _AUD,
            head(MAJOR_TEXT, len(audience)),
            audience,
            _CNONCE,
            head(MAJOR_BYTES, len(nonce)),
            nonce,
            _REQUEST_DIGEST,
            head(MAJOR_BYTES, len(self.request_digest)),
            self.request_digest,
        ]
        if salt is not None:
            parts += (_NUMBER_SALT, head(MAJOR_BYTES, len(salt)), salt)
        return b"".join(parts)

    @classmethod
    def from_payload(cls, payload: bytes) -> KeyBindingClaims:
        """The claims a key-binding token's payload holds: exactly zkcheck's,
        deterministically encoded."""
        return decode_exact(payload, cls._read, cls.encode, "the key-binding claims")

    @classmethod
    def _read(cls, claims: Any) -> KeyBindingClaims:
        # As AttestationClaims._read: only the values are checked here.
        if type(claims) is not dict:
            raise DecodeError("the key-binding claims must be a map")
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


def _protected(
    headers: dict[int | str, Any], labels: frozenset[int], parameter: int, typ: str, what: str
) -> Any:
    """Check a protected bucket has exactly ``labels`` (alg, ``parameter``, typ) and
    return ``parameter``."""
    if headers.keys() != labels:
        raise DecodeError(f"the {what} headers are not zkcheck's")
    if headers[HEADER_TYP] != typ:
        raise DecodeError(f"not a zkcheck {what} (typ)")
    if type(headers[HEADER_ALG]) is not int:
        raise DecodeError(f"the {what} alg must be an integer")
    return headers[parameter]


def _sign1_parts(item: object, what: str) -> tuple[bytes, bytes, bytes]:
    """The protected bucket, payload and signature of a COSE_Sign1 in zkcheck's form
    (tagged, unprotected bucket empty), from a decoded item or from cbor2's value
    (whose arrays and maps inside a tag are tuples and frozendicts)."""
    if type(item) is not Tag or item.tag != COSE_SIGN1_TAG:
        raise DecodeError(f"the {what} is not a tagged COSE_Sign1")
    content = item.value
    if (type(content) is not list and type(content) is not tuple) or len(content) != 4:
        raise DecodeError("a COSE_Sign1 is an array of four elements")
    protected, unprotected, payload, signature = content
    if type(protected) is not bytes or type(payload) is not bytes or type(signature) is not bytes:
        raise DecodeError(f"the {what}'s protected bucket, payload and signature are byte strings")
    if unprotected != {}:  # not an empty map (inside a tag cbor2 makes it a frozendict)
        raise DecodeError(f"the {what} headers are not zkcheck's")
    return protected, payload, signature


def sign_attestation(operator_key: Signer, kid: bytes, claims: AttestationClaims) -> Sign1:
    """The operator signs an attestation."""
    headers: dict[int | str, Any] = {HEADER_KID: kid, HEADER_TYP: ATTESTATION_TYP}
    return Sign1.create(operator_key, headers, claims.encode())


# Every attestation under one operator key has the same protected bucket (alg, kid, typ), so
# a verifier decodes and checks each bucket once: remembered by its bytes, only once checked
# (so each is a few dozen bytes), bounded in entries (emptied when full); each message gets
# its own copy of the map.
_ATTESTATION_BUCKETS: dict[bytes, dict[int | str, Any]] = {}
_ATTESTATION_BUCKETS_CACHED = 256


def _attestation_headers(protected: bytes) -> dict[int | str, Any]:
    """The map of an attestation's protected bucket, checked: alg, a 16-byte kid, typ."""
    headers = _ATTESTATION_BUCKETS.get(protected)
    if headers is None:
        headers = protected_headers(protected)
        kid = _protected(headers, _ATTESTATION_HEADERS, HEADER_KID, ATTESTATION_TYP, "attestation")
        if type(kid) is not bytes or len(kid) != _KID_SIZE:
            raise DecodeError("the operator key id is 16 bytes")
        if len(_ATTESTATION_BUCKETS) >= _ATTESTATION_BUCKETS_CACHED:
            _ATTESTATION_BUCKETS.clear()
        _ATTESTATION_BUCKETS[protected] = dict(headers)
    return dict(headers)


def _attestation(item: object) -> Sign1:
    """An attestation's COSE_Sign1, its protected bucket checked (not its payload)."""
    protected, payload, signature = _sign1_parts(item, "attestation")
    return Sign1(protected, _attestation_headers(protected), {}, payload, signature)


def decode_attestation(item: object) -> tuple[Sign1, AttestationClaims]:
    """An attestation's structure and claims (its signature is not checked here)."""
    attestation = _attestation(item)
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

    def encode(self) -> bytes:
        """The presentation body, written from what was read: the key-binding token, its
        protected bucket (alg, the attestation, typ) and claims, the attestation's claims."""
        token, attestation = self.token, self.attestation
        carried = sign1_encoding(
            attestation.protected, self.attestation_claims.encode(), attestation.signature
        )
        # Labels in deterministic order: alg 1, kcwt 13, typ 16.
        bucket = b"".join(
            (_BUCKET_ALG, encode_int(token.headers[HEADER_ALG]), _KCWT, carried, _BINDING_TYP)
        )
        return sign1_encoding(bucket, self.claims.encode(), token.signature)


def bind(holder_key: Signer, attestation: Sign1, claims: KeyBindingClaims) -> Sign1:
    """The holder signs a key-binding token carrying ``attestation`` in ``kcwt``."""
    headers: dict[int | str, Any] = {
        HEADER_KCWT: attestation.to_item(),
        HEADER_TYP: KEY_BINDING_TYP,
    }
    return Sign1.create(holder_key, headers, claims.encode())


_BUCKET_ALG = head(MAJOR_MAP, 3) + encode_int(HEADER_ALG)
_KCWT = encode_int(HEADER_KCWT)
_BINDING_TYP = encode_int(HEADER_TYP) + encode_text(KEY_BINDING_TYP)


def _read_presentation(item: object) -> SignedPresentation:
    # Which entries each level has, and how all are encoded, is proven by
    # SignedPresentation.encode (decode_exact): only the values are checked here.
    protected, payload, signature = _sign1_parts(item, "key-binding token")
    headers = read_nested(protected)
    if type(headers) is not dict:
        raise DecodeError("the key-binding token's protected bucket must be a map")
    if headers[HEADER_TYP] != KEY_BINDING_TYP:
        raise DecodeError("not a zkcheck key-binding token (typ)")
    if type(headers[HEADER_ALG]) is not int:
        raise DecodeError("the key-binding token alg must be an integer")
    attestation = _attestation(headers[HEADER_KCWT])
    return SignedPresentation(
        Sign1(protected, headers, {}, payload, signature),
        KeyBindingClaims._read(read_nested(payload)),
        attestation,
        AttestationClaims._read(read_nested(attestation.payload)),
    )


def _diagnose(body: bytes) -> None:
    """Raise the strict decoder's reason for refusing a body, level by level."""
    token = Sign1.decode(body, max_size=_MAX_BODY_SIZE)
    for item in token.headers.values():
        if type(item) is Tag:
            decode(Sign1.from_item(item).payload)
    decode(token.payload)


def decode_presentation_body(body: bytes) -> SignedPresentation:
    """Decode a key-binding token and its attestation; no signature is checked here.

    The token, its protected bucket and both claim sets are read from cbor2's
    values and accepted only as, byte for byte, the deterministic encoding of
    what was read (:func:`~zkcheck.encoding.cbor.decode_exact`); the
    attestation's protected bucket is strictly decoded (once per operator key).
    """
    return decode_exact(
        body,
        _read_presentation,
        SignedPresentation.encode,
        "the key-binding token",
        max_size=_MAX_BODY_SIZE,
        diagnose=_diagnose,
    )
