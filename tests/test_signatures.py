"""The signature primitives behind COSE: Ed25519 (libsodium) and ECDSA P-256 (OpenSSL)."""

from __future__ import annotations

import pickle

import pytest

from tests.vectors_loader import load_json, unhex
from zkcheck.encoding.cose import Algorithm, COSEKey, COSESigningKey, Curve, Sign1
from zkcheck.errors import DecodeError, InvalidSignature
from zkcheck.hazmat import ecdsa_p256, ed25519
from zkcheck.hazmat.secret import SecretBytes


def test_ed25519_matches_the_cose_example_deterministically() -> None:
    # eddsa-sig-01 publishes its Ed25519 seed; Ed25519 is deterministic, so
    # zkcheck's signature over the published ToBeSign equals the published one.
    data = load_json("cose/eddsa-examples/eddsa-sig-01.json")
    seed = SecretBytes(unhex(data["input"]["sign0"]["key"]["d_hex"]))
    assert ed25519.public_key(seed) == unhex(data["input"]["sign0"]["key"]["x_hex"])
    to_be_signed = unhex(data["intermediates"]["ToBeSign_hex"])
    signature = ed25519.sign(seed, to_be_signed)
    assert signature == Sign1.decode(unhex(data["output"]["cbor"])).signature


def test_ed25519_rejections() -> None:
    seed, public = ed25519.generate_key_pair()
    signature = ed25519.sign(seed, b"message")
    ed25519.verify(public, b"message", signature)
    for key, message, sig in [
        (public, b"messagE", signature),
        (public, b"message", signature[:-1] + bytes([signature[-1] ^ 1])),
        (public, b"message", signature[:63]),
        (public[:31], b"message", signature),
        (bytes([1]) + bytes(31), b"message", signature),  # small-order key
    ]:
        with pytest.raises(InvalidSignature):
            ed25519.verify(key, message, sig)
    with pytest.raises(DecodeError):
        ed25519.check_public_key(bytes([1]) + bytes(31))


def test_p256_sign_verify_and_range_checks() -> None:
    secret, public = ecdsa_p256.generate_key_pair()
    signature = ecdsa_p256.sign(secret, b"message")
    ecdsa_p256.verify(public, b"message", signature)
    n = ecdsa_p256.ORDER.to_bytes(32, "big")
    r, s = signature[:32], signature[32:]
    for bad in [bytes(32) + s, r + bytes(32), n + s, r + n, signature[:63], signature + b"\x00"]:
        with pytest.raises(InvalidSignature):
            ecdsa_p256.verify(public, b"message", bad)
    with pytest.raises(InvalidSignature):
        ecdsa_p256.verify(public, b"other", signature)
    with pytest.raises(DecodeError):
        ecdsa_p256.check_public_key(public[:32] + bytes(32))  # off the curve


def test_deterministic_key_generation_from_an_rng() -> None:
    def rng(size: int) -> bytes:
        return bytes(range(size))

    assert ed25519.generate_key_pair(rng)[1] == ed25519.generate_key_pair(rng)[1]
    assert ecdsa_p256.generate_key_pair(rng)[1] == ecdsa_p256.generate_key_pair(rng)[1]


@pytest.mark.parametrize("curve", [Curve.ED25519, Curve.P256])
def test_signing_keys_keep_their_secret(curve: Curve) -> None:
    key = COSESigningKey.generate(curve)
    assert key.secret.reveal().hex() not in repr(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    restored = COSESigningKey.from_private_map(key.to_private_map())
    assert restored.public_key == key.public_key
    message = Sign1.create(restored, {}, b"payload")
    message.verify(key.public_key)
    assert message.algorithm == curve.algorithm  # RFC 9864 identifiers are emitted
    assert message.algorithm in (Algorithm.ED25519, Algorithm.ESP256)


def test_cose_key_maps_are_strict() -> None:
    key = COSESigningKey.generate(Curve.P256).public_key
    assert COSEKey.from_map(key.to_map()) == key
    for bad in [
        {**key.to_map(), -3: True},  # compressed point form
        {**key.to_map(), 3: -7},  # unexpected parameter
        {**key.to_map(), -1: 2},  # P-384
        {1: 4, -1: 1},  # symmetric key type
        [1, 2],
    ]:
        with pytest.raises(DecodeError):
            COSEKey.from_map(bad)
