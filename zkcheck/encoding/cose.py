"""COSE_Sign1 (RFC 9052, section 4.2) with Ed25519 and ECDSA P-256 (RFC 9053, RFC 9864).

zkcheck signs with the fully-specified algorithm identifiers of RFC 9864:
``Ed25519`` (-19) and ``ESP256`` (-9). It also verifies the older,
polymorphic identifiers of RFC 9053, ``EdDSA`` (-8) and ``ES256`` (-7), each
only with the one curve zkcheck supports for it (Ed25519, P-256), so that
messages from signers that predate RFC 9864 are understood.

Two rules of RFC 9052 shape the code:

* Section 3: the protected bucket is a byte string holding an encoded map;
  an empty bucket SHOULD be the zero-length string, and recipients MUST also
  accept an encoded empty map (``h'A0'``). Section 4.4 then builds the
  Sig_structure with "a zero-length byte string" when "there are no protected
  attributes". zkcheck therefore verifies a message carrying ``h'A0'`` over
  ``h''``, which is what its sender signed (the sign-pass-01 example of the
  COSE working group checks exactly this), and never emits ``h'A0'`` itself.
* Section 3: a label may not appear in both buckets; such a message is
  refused as malformed.

Keys are COSE_Key maps (RFC 9052, section 7; RFC 9053, section 7): OKP keys
with ``crv`` Ed25519 and EC2 keys with ``crv`` P-256 and both coordinates
(zkcheck does not accept compressed points).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from zkcheck.encoding.cbor import (
    MAJOR_ARRAY,
    MAJOR_BYTES,
    MAJOR_MAP,
    MAJOR_TAG,
    Tag,
    decode,
    encode,
    encode_int,
    encode_text,
    head,
)
from zkcheck.errors import DecodeError, InvalidSignature
from zkcheck.hazmat import ecdsa_p256, ed25519
from zkcheck.hazmat.secret import SecretBytes

__all__ = [
    "COSE_SIGN1_TAG",
    "HEADER_ALG",
    "HEADER_CONTENT_TYPE",
    "HEADER_CRIT",
    "HEADER_KCWT",
    "HEADER_KID",
    "HEADER_TYP",
    "SIGN1_TAGS",
    "Algorithm",
    "COSEKey",
    "COSESigningKey",
    "Curve",
    "Sign1",
    "Signer",
    "protected_headers",
    "sign1_encoding",
]

COSE_SIGN1_TAG = 18
"""CBOR tag of COSE_Sign1_Tagged (RFC 9052, section 4.2)."""
SIGN1_TAGS = frozenset({COSE_SIGN1_TAG})
"""The tags a decoder of COSE_Sign1 messages accepts."""

HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_CONTENT_TYPE = 3
HEADER_KID = 4
HEADER_KCWT = 13
"""``kcwt``: the CWT a key-binding token carries (draft-ietf-spice-sd-cwt)."""
HEADER_TYP = 16
"""``typ``: the media type of the whole message (RFC 9596)."""

_KEY_KTY = 1
_KEY_KID = 2
_KEY_ALG = 3
_KEY_CRV = -1
_KEY_X = -2
_KEY_Y = -3
_KEY_D = -4
_KTY_OKP = 1
_KTY_EC2 = 2
_CRV_P256 = 1
_CRV_ED25519 = 6
# Pieces of a COSE_Key's deterministic encoding (COSEKey.encode): the map's head and kty,
# without and with kid; then crv and the head of x (and of y).
_OKP_MAP_HEADS = (
    head(MAJOR_MAP, 3) + encode_int(_KEY_KTY) + encode_int(_KTY_OKP),
    head(MAJOR_MAP, 4) + encode_int(_KEY_KTY) + encode_int(_KTY_OKP),
)
_OKP_CURVE_AND_X = (
    encode_int(_KEY_CRV) + encode_int(_CRV_ED25519) + encode_int(_KEY_X) + head(MAJOR_BYTES, 32)
)
_EC2_MAP_HEADS = (
    head(MAJOR_MAP, 4) + encode_int(_KEY_KTY) + encode_int(_KTY_EC2),
    head(MAJOR_MAP, 5) + encode_int(_KEY_KTY) + encode_int(_KTY_EC2),
)
_EC2_CURVE_AND_X = (
    encode_int(_KEY_CRV) + encode_int(_CRV_P256) + encode_int(_KEY_X) + head(MAJOR_BYTES, 32)
)
_EC2_Y = encode_int(_KEY_Y) + head(MAJOR_BYTES, 32)


class Algorithm(enum.IntEnum):
    """COSE algorithm identifiers zkcheck knows (IANA "COSE Algorithms")."""

    ED25519 = -19
    """EdDSA with Ed25519, fully specified (RFC 9864, section 2.2). Emitted."""
    ESP256 = -9
    """ECDSA with P-256 and SHA-256, fully specified (RFC 9864, section 2.1). Emitted."""
    EDDSA = -8
    """EdDSA, polymorphic (RFC 9053, section 2.2; deprecated by RFC 9864). Verified only."""
    ES256 = -7
    """ECDSA with SHA-256, polymorphic (RFC 9053, section 2.1). Verified only."""


class Curve(enum.Enum):
    """The curves of the keys zkcheck signs and verifies with."""

    ED25519 = "Ed25519"
    P256 = "P-256"

    # Members are singletons compared by identity, so the identity hash is
    # consistent with equality, and much cheaper than Enum's hash of the name
    # (a key's curve is looked up on every verification).
    __hash__ = object.__hash__

    @property
    def algorithm(self) -> Algorithm:
        """The fully-specified identifier zkcheck emits for this curve."""
        return Algorithm.ED25519 if self is Curve.ED25519 else Algorithm.ESP256


_ACCEPTED = {
    Curve.ED25519: frozenset({Algorithm.ED25519, Algorithm.EDDSA}),
    Curve.P256: frozenset({Algorithm.ESP256, Algorithm.ES256}),
}


_SIGN1_ARRAY_HEAD = head(MAJOR_ARRAY, 4)
_SIGN1_TAGGED_HEAD = head(MAJOR_TAG, COSE_SIGN1_TAG) + _SIGN1_ARRAY_HEAD
_EMPTY_MAP = head(MAJOR_MAP, 0)

_SIGNATURE1_PREFIX = head(MAJOR_ARRAY, 4) + encode_text("Signature1")
"""The head of a four-item array and the context text of a Sig_structure (RFC 9052, 4.4)."""

_FLAT_BUCKETS_CACHED = 256
_FLAT_BUCKET_SIZE = 128
# Decoded protected buckets of flat maps (leaves only) up to _FLAT_BUCKET_SIZE bytes, by
# their bytes: every attestation under one operator key carries the same bucket (alg, kid,
# typ), and a verifier reads it on every presentation. Bounded in entries (emptied when
# full); each caller gets its own copy of the map.
_FLAT_BUCKETS: dict[bytes, dict[int | str, Any]] = {}
_LEAF_TYPES = (int, bytes, str, bool, type(None))


def protected_headers(protected: bytes) -> dict[int | str, Any]:
    """The map a (non-empty) protected bucket holds, strictly decoded; :class:`DecodeError`
    if it holds anything else. A caller may change the map it gets."""
    cached = _FLAT_BUCKETS.get(protected)
    if cached is not None:
        return dict(cached)
    # A key-binding token carries a COSE_Sign1 in its protected bucket (kcwt).
    headers = decode(protected, tags=SIGN1_TAGS)
    if type(headers) is not dict:
        raise DecodeError("the protected header bucket must be a map")
    if len(protected) <= _FLAT_BUCKET_SIZE and all(
        type(value) in _LEAF_TYPES for value in headers.values()
    ):
        if len(_FLAT_BUCKETS) >= _FLAT_BUCKETS_CACHED:
            _FLAT_BUCKETS.clear()
        _FLAT_BUCKETS[protected] = dict(headers)
    return headers


def sign1_encoding(
    protected: bytes, payload: bytes, signature: bytes, *, tagged: bool = True
) -> bytes:
    """The deterministic encoding of a COSE_Sign1 with an empty unprotected bucket, as
    zkcheck's own messages have (RFC 9052, section 4.2), written directly: a verifier
    writes each such message again, as the proof of its encoding."""
    return b"".join(
        (
            _SIGN1_TAGGED_HEAD if tagged else _SIGN1_ARRAY_HEAD,
            head(MAJOR_BYTES, len(protected)),
            protected,
            _EMPTY_MAP,
            head(MAJOR_BYTES, len(payload)),
            payload,
            head(MAJOR_BYTES, len(signature)),
            signature,
        )
    )


def _bstr(value: object, what: str, size: int | None = None) -> bytes:
    if type(value) is not bytes or (size is not None and len(value) != size):
        raise DecodeError(f"{what} must be a byte string" + (f" of {size} bytes" if size else ""))
    return value


@dataclass(frozen=True, init=False)
class COSEKey:
    """A public key as a COSE_Key: Ed25519 (OKP) or P-256 (EC2).

    ``public`` is the 32-byte Ed25519 point, or x || y for P-256. Construction
    checks the lengths; :meth:`validate` checks the point (on the curve, in
    the prime-order group), which costs about one signature verification and
    is done where a key enters zkcheck from its owner: an issuer validates
    each holder key before signing it into an attestation, and a key set
    validates operator keys when it is loaded. A key inside a verified
    attestation is vouched for by the operator's signature, and each
    verification also refuses keys of small order (libsodium) or off the
    curve (OpenSSL).
    """

    curve: Curve
    public: bytes
    kid: bytes | None = None

    def __init__(self, curve: Curve, public: bytes, kid: bytes | None = None) -> None:
        size = ed25519.PUBLIC_KEY_SIZE if curve is Curve.ED25519 else 64
        if type(public) is not bytes or len(public) != size:
            raise DecodeError(f"a {curve.value} public key is {size} bytes")
        # Written into the instance dict: the generated frozen __init__ goes through
        # object.__setattr__ per field, twice the cost, and keys are built on every
        # verification.
        fields = self.__dict__
        fields["curve"] = curve
        fields["public"] = public
        fields["kid"] = kid

    def validate(self) -> COSEKey:
        """Return the key if its point is valid; raise :class:`DecodeError` otherwise."""
        if self.curve is Curve.ED25519:
            ed25519.check_public_key(self.public)
        else:
            ecdsa_p256.check_public_key(self.public)
        return self

    def to_map(self) -> dict[int, Any]:
        """The COSE_Key map (with ``kid`` when set)."""
        if self.curve is Curve.ED25519:
            key: dict[int, Any] = {_KEY_KTY: _KTY_OKP, _KEY_CRV: _CRV_ED25519, _KEY_X: self.public}
        else:
            key = {
                _KEY_KTY: _KTY_EC2,
                _KEY_CRV: _CRV_P256,
                _KEY_X: self.public[:32],
                _KEY_Y: self.public[32:],
            }
        if self.kid is not None:
            key[_KEY_KID] = self.kid
        return key

    def encode(self) -> bytes:
        """The deterministic encoding of :meth:`to_map`, written directly: a key is
        encoded in every attestation and read back on every verification."""
        # Labels in deterministic order: kty 1, kid 2, crv -1, x -2, y -3.
        kid = self.kid
        kid_entry = b"" if kid is None else b"\x02" + head(MAJOR_BYTES, len(kid)) + kid
        if self.curve is Curve.ED25519:
            return b"".join(
                (_OKP_MAP_HEADS[kid is not None], kid_entry, _OKP_CURVE_AND_X, self.public)
            )
        return b"".join(
            (
                _EC2_MAP_HEADS[kid is not None],
                kid_entry,
                _EC2_CURVE_AND_X,
                self.public[:32],
                _EC2_Y,
                self.public[32:],
            )
        )

    @classmethod
    def from_map(cls, key: object, *, allow_kid: bool = False) -> COSEKey:
        """The key a COSE_Key map describes; :class:`DecodeError` for anything else.

        Only the labels zkcheck uses are accepted: ``kty``, ``crv``, ``x``,
        ``y`` for EC2, and ``kid`` when ``allow_kid``. A private part (``d``)
        is refused: public keys travel, secret ones do not.
        """
        if type(key) is not dict:
            raise DecodeError("a COSE_Key is a map")
        kty, crv, x = key.get(_KEY_KTY), key.get(_KEY_CRV), key.get(_KEY_X)
        if type(kty) is not int or type(crv) is not int:
            raise DecodeError("a COSE_Key has integer kty and crv")
        if type(x) is not bytes or len(x) != 32:
            raise DecodeError("x must be a byte string of 32 bytes")
        if kty == _KTY_OKP and crv == _CRV_ED25519:
            curve, public, size = Curve.ED25519, x, 3  # kty, crv, x
        elif kty == _KTY_EC2 and crv == _CRV_P256:
            y = key.get(_KEY_Y)
            if type(y) is not bytes or len(y) != 32:
                raise DecodeError("y must be 32 bytes (compressed points are not accepted)")
            curve, public, size = Curve.P256, x + y, 4  # kty, crv, x, y
        else:
            raise DecodeError("unsupported COSE_Key type or curve")
        kid = key.get(_KEY_KID)
        if kid is not None:
            if not allow_kid or type(kid) is not bytes:
                raise DecodeError("unexpected parameters in COSE_Key")
            size += 1
        # Every label of the key type (and kid, when given) is there: with as many
        # entries as that, the map has no other.
        if len(key) != size:
            raise DecodeError("unexpected parameters in COSE_Key")
        return cls(curve, public, kid)

    def thumbprint(self) -> bytes:
        """SHA-256 of the deterministic encoding of the key's required parameters
        (kty, crv, x and, for EC2, y), as RFC 9679 computes a COSE Key Thumbprint."""
        return hashlib.sha256(COSEKey(self.curve, self.public).encode()).digest()

    def accepts(self, algorithm: int) -> bool:
        """Whether a signature under ``algorithm`` can be verified with this key."""
        return algorithm in _ACCEPTED[self.curve]

    def verify(self, algorithm: int, message: bytes, signature: bytes) -> None:
        """Return if ``signature`` over ``message`` verifies; raise :class:`InvalidSignature`."""
        if algorithm not in _ACCEPTED[self.curve]:
            raise InvalidSignature("signature invalid")
        if self.curve is Curve.ED25519:
            ed25519.verify(self.public, message, signature)
        else:
            ecdsa_p256.verify(self.public, message, signature)


class Signer(Protocol):
    """Anything that signs for COSE: a software key, or a key in secure hardware."""

    @property
    def algorithm(self) -> Algorithm: ...

    @property
    def public_key(self) -> COSEKey: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class COSESigningKey:
    """A software signing key (Ed25519 or P-256) whose secret lives in :class:`SecretBytes`."""

    curve: Curve
    secret: SecretBytes = field(repr=False)
    public_key: COSEKey

    @classmethod
    def generate(cls, curve: Curve = Curve.ED25519, *, kid: bytes | None = None) -> COSESigningKey:
        """A fresh key from the operating system's randomness."""
        module = ed25519 if curve is Curve.ED25519 else ecdsa_p256
        secret, public = module.generate_key_pair()
        return cls(curve, secret, COSEKey(curve, public, kid))

    @classmethod
    def from_secret(
        cls, curve: Curve, secret: SecretBytes, *, kid: bytes | None = None
    ) -> COSESigningKey:
        module = ed25519 if curve is Curve.ED25519 else ecdsa_p256
        return cls(curve, secret, COSEKey(curve, module.public_key(secret), kid))

    @property
    def algorithm(self) -> Algorithm:
        return self.curve.algorithm

    def sign(self, message: bytes) -> bytes:
        if self.curve is Curve.ED25519:
            return ed25519.sign(self.secret, message)
        return ecdsa_p256.sign(self.secret, message)

    def to_private_map(self) -> dict[int, Any]:
        """The COSE_Key map with the private part ``d``. It holds the secret: store it
        protected, never log or send it."""
        key = self.public_key.to_map()
        key[_KEY_D] = self.secret.reveal()
        return key

    @classmethod
    def from_private_map(cls, key: object) -> COSESigningKey:
        """The key a private COSE_Key map (with ``d``) describes."""
        if not isinstance(key, Mapping) or _KEY_D not in key:
            raise DecodeError("a private COSE_Key map with d is expected")
        public_part = {label: value for label, value in key.items() if label != _KEY_D}
        public = COSEKey.from_map(public_part, allow_kid=True)
        size = ed25519.SEED_SIZE if public.curve is Curve.ED25519 else ecdsa_p256.SECRET_SIZE
        secret = SecretBytes(_bstr(key[_KEY_D], "d", size))
        try:
            signing = cls.from_secret(public.curve, secret, kid=public.kid)
        except ValueError:
            raise DecodeError("invalid private key") from None
        if signing.public_key != public:
            raise DecodeError("the private key does not match its public part")
        return signing

    def __repr__(self) -> str:
        return f"COSESigningKey({self.curve.value}, public={self.public_key.public.hex()})"


@dataclass(frozen=True, init=False)
class Sign1:
    """A COSE_Sign1 message (RFC 9052, section 4.2) with an attached payload.

    ``protected`` is the protected bucket exactly as transmitted (a serialized
    map, or empty); ``headers`` is its decoded content.
    """

    protected: bytes
    headers: dict[int | str, Any]
    unprotected: dict[int | str, Any]
    payload: bytes
    signature: bytes

    def __init__(
        self,
        protected: bytes,
        headers: dict[int | str, Any],
        unprotected: dict[int | str, Any],
        payload: bytes,
        signature: bytes,
    ) -> None:
        # Written into the instance dict (see COSEKey.__init__).
        fields = self.__dict__
        fields["protected"] = protected
        fields["headers"] = headers
        fields["unprotected"] = unprotected
        fields["payload"] = payload
        fields["signature"] = signature

    @staticmethod
    def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
        """ToBeSigned: the encoded ``["Signature1", protected, external_aad, payload]``
        (RFC 9052, section 4.4), with ``h'A0'`` read as "no protected attributes"."""
        body_protected = b"" if protected == b"\xa0" else protected
        # An array of one text and three byte strings has one encoding, the
        # deterministic one: the array's head and the four items' encodings,
        # each a byte string's shortest head and its bytes.
        return b"".join(
            (
                _SIGNATURE1_PREFIX,
                head(MAJOR_BYTES, len(body_protected)),
                body_protected,
                head(MAJOR_BYTES, len(external_aad)),
                external_aad,
                head(MAJOR_BYTES, len(payload)),
                payload,
            )
        )

    def to_be_signed(self, external_aad: bytes = b"") -> bytes:
        return self.sig_structure(self.protected, self.payload, external_aad)

    @classmethod
    def create(
        cls,
        signer: Signer,
        headers: Mapping[int | str, Any],
        payload: bytes,
        *,
        unprotected: Mapping[int | str, Any] | None = None,
        external_aad: bytes = b"",
    ) -> Sign1:
        """Sign ``payload``; the signer's fully-specified algorithm goes into the
        protected header (RFC 9052, section 4.4, "create a signature")."""
        bucket = {HEADER_ALG: int(signer.algorithm), **headers}
        protected = encode(bucket)
        signature = signer.sign(cls.sig_structure(protected, payload, external_aad))
        return cls(protected, bucket, dict(unprotected or {}), payload, signature)

    @property
    def algorithm(self) -> int:
        """The ``alg`` header parameter, from the protected bucket if there, else the
        unprotected one; :class:`DecodeError` if absent or not an integer."""
        alg = self.headers.get(HEADER_ALG)
        if alg is None:
            alg = self.unprotected.get(HEADER_ALG)
        if type(alg) is not int:
            raise DecodeError("COSE_Sign1 without an integer alg")
        return alg

    def verify(self, key: COSEKey, external_aad: bytes = b"") -> None:
        """Return if the signature verifies under ``key``; raise :class:`InvalidSignature`.

        An unknown algorithm, or one the key's curve does not take, fails the
        same way as a wrong signature.
        """
        try:
            algorithm = self.algorithm
        except DecodeError:
            raise InvalidSignature("signature invalid") from None
        message = self.sig_structure(self.protected, self.payload, external_aad)
        key.verify(algorithm, message, self.signature)

    def to_item(self, *, tagged: bool = True) -> Any:
        """The message as a CBOR data item, tagged 18 unless told otherwise."""
        item = [self.protected, self.unprotected, self.payload, self.signature]
        return Tag(COSE_SIGN1_TAG, item) if tagged else item

    def encode(self, *, tagged: bool = True) -> bytes:
        """The deterministic encoding of :meth:`to_item`."""
        if self.unprotected:
            return encode(self.to_item(tagged=tagged))
        return sign1_encoding(self.protected, self.payload, self.signature, tagged=tagged)

    @classmethod
    def from_item(cls, item: object, *, require_tag: bool = True) -> Sign1:
        """A COSE_Sign1 from a decoded data item; :class:`DecodeError` if it is not one.

        The protected bucket must decode (deterministically) to a map, unless
        it is empty; a label may not be in both buckets; the payload must be
        attached and the signature a byte string.
        """
        if type(item) is Tag:
            if item.tag != COSE_SIGN1_TAG:
                raise DecodeError("not a COSE_Sign1 (wrong tag)")
            item = item.value
        elif require_tag:
            raise DecodeError("COSE_Sign1_Tagged expected")
        if type(item) is not list or len(item) != 4:
            raise DecodeError("a COSE_Sign1 is an array of four elements")
        protected, unprotected, payload, signature = item
        if type(protected) is not bytes:
            raise DecodeError("the protected bucket must be a byte string")
        if type(unprotected) is not dict:
            raise DecodeError("the unprotected header bucket must be a map")
        if type(payload) is not bytes:
            raise DecodeError(
                "the payload must be a byte string (detached payloads are not supported)"
            )
        if type(signature) is not bytes:
            raise DecodeError("the signature must be a byte string")
        headers = protected_headers(protected) if protected else {}
        if unprotected and not headers.keys().isdisjoint(unprotected):
            raise DecodeError("a header label appears in both buckets")
        return cls(protected, headers, unprotected, payload, signature)

    @classmethod
    def decode(cls, data: bytes, *, require_tag: bool = True, max_size: int = 16384) -> Sign1:
        """Decode and check the structure of a COSE_Sign1 (no signature check)."""
        item = decode(data, max_size=max_size, tags=SIGN1_TAGS)
        return cls.from_item(item, require_tag=require_tag)
