"""ECDSA over P-256 with SHA-256 (FIPS 186-5, section 6; SEC 1), computed by OpenSSL
through the ``cryptography`` package.

The key a phone's secure hardware holds. Formats are those of COSE (RFC 9053,
section 2.1): a public key is the 64 bytes x || y of the point (each coordinate
32 bytes, big-endian), a signature the 64 bytes r || s. A secret key is the
32-byte big-endian scalar d in :class:`~zkcheck.hazmat.secret.SecretBytes`.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from zkcheck.errors import DecodeError, InvalidSignature
from zkcheck.hazmat import Rng, default_rng
from zkcheck.hazmat.secret import SecretBytes

__all__ = [
    "ORDER",
    "PUBLIC_KEY_SIZE",
    "SECRET_SIZE",
    "SIGNATURE_SIZE",
    "check_public_key",
    "generate_key_pair",
    "public_key",
    "sign",
    "verify",
]

ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""n, the order of the P-256 base point (FIPS 186-5 / SP 800-186, section 3.2.1.3)."""

SECRET_SIZE = 32
PUBLIC_KEY_SIZE = 64
SIGNATURE_SIZE = 64
_CURVE = ec.SECP256R1()
_ALGORITHM = ec.ECDSA(hashes.SHA256())


def generate_key_pair(rng: Rng | None = None) -> tuple[SecretBytes, bytes]:
    """A fresh (d, x || y) pair.

    d is derived from 64 random bytes reduced modulo n - 1, plus one (FIPS
    186-5, appendix A.2.1, "extra random bits"): the 256 extra bits make the
    bias of the reduction negligible.
    """
    extra = int.from_bytes((rng or default_rng)(64), "big")
    secret = SecretBytes((extra % (ORDER - 1) + 1).to_bytes(SECRET_SIZE, "big"))
    return secret, public_key(secret)


def _private_key(secret: SecretBytes) -> ec.EllipticCurvePrivateKey:
    if len(secret) != SECRET_SIZE:
        raise ValueError("a P-256 secret key is 32 bytes")
    scalar = int.from_bytes(secret.reveal(), "big")
    if not 1 <= scalar < ORDER:
        raise ValueError("a P-256 secret key is in [1, n - 1]")
    return ec.derive_private_key(scalar, _CURVE)


def public_key(secret: SecretBytes) -> bytes:
    """x || y of d * G."""
    numbers = _private_key(secret).public_key().public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def sign(secret: SecretBytes, message: bytes) -> bytes:
    """r || s of an ECDSA signature of SHA-256(``message``); OpenSSL draws the nonce."""
    r, s = decode_dss_signature(_private_key(secret).sign(message, _ALGORITHM))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _load_public_key(key: bytes) -> ec.EllipticCurvePublicKey:
    if len(key) != PUBLIC_KEY_SIZE:
        raise ValueError("a P-256 public key is 64 bytes x || y")
    x = int.from_bytes(key[:32], "big")
    y = int.from_bytes(key[32:], "big")
    # cryptography refuses coordinates that are not on the curve (and P-256 has
    # cofactor 1, so every point on it other than infinity is in the group).
    return ec.EllipticCurvePublicNumbers(x, y, _CURVE).public_key()


def check_public_key(key: bytes) -> None:
    """Refuse anything but x || y of a point on P-256 (raises :class:`DecodeError`)."""
    try:
        _load_public_key(key)
    except ValueError:
        raise DecodeError("not a valid P-256 public key") from None


def verify(key: bytes, message: bytes, signature: bytes) -> None:
    """Return if r || s is a valid signature of ``message`` under x || y; raise otherwise.

    r and s must each lie in [1, n - 1] (FIPS 186-5, section 6.4.2, step 1).
    Every failure raises the same :class:`InvalidSignature`.
    """
    if len(signature) != SIGNATURE_SIZE:
        raise InvalidSignature("signature invalid")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (1 <= r < ORDER and 1 <= s < ORDER):
        raise InvalidSignature("signature invalid")
    try:
        _load_public_key(key).verify(encode_dss_signature(r, s), message, _ALGORITHM)
    except (_CryptographyInvalidSignature, ValueError):
        raise InvalidSignature("signature invalid") from None
