"""Ed25519 signatures (RFC 8032, section 5.1), computed by libsodium through pynacl.

Bytes in, bytes out: a secret key is the 32-byte seed of RFC 8032 section
5.1.5 (held in :class:`~zkcheck.hazmat.secret.SecretBytes`), a public key the
32-byte encoding of the point A, a signature the 64 bytes R || S. libsodium's
verification refuses non-canonical encodings of S and of A and small-order
points A and R, so a signature verifies under at most one encoding.
"""

from __future__ import annotations

import nacl.bindings
import nacl.exceptions
import nacl.signing

from zkcheck.errors import DecodeError, InvalidSignature
from zkcheck.hazmat import Rng, default_rng
from zkcheck.hazmat.secret import SecretBytes

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "check_public_key",
    "generate_key_pair",
    "public_key",
    "sign",
    "verify",
]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def generate_key_pair(rng: Rng | None = None) -> tuple[SecretBytes, bytes]:
    """A fresh (seed, public key) pair; the seed is drawn from ``rng`` (RFC 8032, 5.1.5)."""
    seed = SecretBytes((rng or default_rng)(SEED_SIZE))
    return seed, public_key(seed)


def public_key(seed: SecretBytes) -> bytes:
    """The public key of a 32-byte seed (RFC 8032, section 5.1.5)."""
    if len(seed) != SEED_SIZE:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return bytes(nacl.signing.SigningKey(seed.reveal()).verify_key)


def sign(seed: SecretBytes, message: bytes) -> bytes:
    """The 64-byte signature R || S of ``message`` (RFC 8032, section 5.1.6)."""
    if len(seed) != SEED_SIZE:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return nacl.signing.SigningKey(seed.reveal()).sign(message).signature


def check_public_key(key: bytes) -> None:
    """Refuse anything but a canonical encoding of a point of large order.

    Raises :class:`DecodeError`: a key that can never verify a signature is
    malformed input, and refusing it when it is decoded keeps such keys out
    of attestations.
    """
    if len(key) != PUBLIC_KEY_SIZE:
        raise DecodeError("an Ed25519 public key is 32 bytes")
    if not nacl.bindings.crypto_core_ed25519_is_valid_point(key):
        raise DecodeError("not a valid Ed25519 public key")


def verify(key: bytes, message: bytes, signature: bytes) -> None:
    """Return if ``signature`` is valid for ``message`` under ``key``; raise otherwise.

    RFC 8032, section 5.1.7. Every failure, whatever its cause, raises the
    same :class:`InvalidSignature`.
    """
    if len(key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        raise InvalidSignature("signature invalid")
    try:
        # crypto_sign_open is libsodium's verification of R || S || message,
        # the call pynacl's VerifyKey.verify makes, without building a key object.
        nacl.bindings.crypto_sign_open(signature + message, key)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        raise InvalidSignature("signature invalid") from None
