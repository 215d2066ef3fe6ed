"""The COSE working group's examples (tests/vectors/cose/) through zkcheck's COSE layer.

Every file is run: the supported algorithms (Ed25519; ECDSA P-256) decode,
rebuild the published ToBeSign bytes and verify, or fail for the files marked
``"fail": true``; the others are skipped, each with its reason. The RFC 8392
Appendix A.3 CWT verifies and its exp/nbf claims are checked against an
injected clock.
"""

from __future__ import annotations

import base64
from typing import Any

import cbor2
import pytest

from tests.vectors_loader import load_dir, load_json, unhex
from zkcheck.encoding import cwt
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.cose import Algorithm, COSEKey, Curve, Sign1
from zkcheck.errors import DecodeError, Expired, InvalidSignature, ZkcheckError

FOLDERS = ("eddsa-examples", "ecdsa-examples", "sign1-tests")
CASES = [
    (f"{folder}/{name}", data) for folder in FOLDERS for name, data in load_dir(f"cose/{folder}")
]
UNSUPPORTED_CURVES = {
    "Ed448": "Ed448 is not supported: zkcheck signs with Ed25519 and P-256 only",
    "P-384": "ES384 / P-384 is not supported: zkcheck signs with Ed25519 and P-256 only",
    "P-521": "ES512 / P-521 is not supported: zkcheck signs with Ed25519 and P-256 only",
}


def _field(key: dict[str, Any], name: str) -> bytes:
    if f"{name}_hex" in key:
        return unhex(key[f"{name}_hex"])
    text = key[name]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public_key(jwk: dict[str, Any]) -> COSEKey:
    if jwk["crv"] in UNSUPPORTED_CURVES:
        pytest.skip(UNSUPPORTED_CURVES[jwk["crv"]])
    if jwk["crv"] == "Ed25519":
        return COSEKey(Curve.ED25519, _field(jwk, "x"))
    assert jwk["crv"] == "P-256"
    return COSEKey(Curve.P256, _field(jwk, "x") + _field(jwk, "y"))


def _decode_and_verify(data: dict[str, Any]) -> Sign1:
    sign0 = data["input"]["sign0"]
    key = _public_key(sign0["key"])
    tagged = "RemoveCBORTag" not in data["input"].get("failures", {})
    message = Sign1.decode(unhex(data["output"]["cbor"]), require_tag=tagged)
    external = unhex(sign0.get("external", ""))
    if not data.get("fail"):
        # The intermediate value: the Sig_structure zkcheck builds is the published one.
        assert message.to_be_signed(external) == unhex(data["intermediates"]["ToBeSign_hex"])
    message.verify(key, external)
    return message


@pytest.mark.parametrize(("name", "data"), CASES, ids=[name for name, _ in CASES])
def test_cose_example(name: str, data: dict[str, Any]) -> None:
    if data.get("fail"):
        with pytest.raises(ZkcheckError):
            _decode_and_verify(data)
    else:
        message = _decode_and_verify(data)
        assert message.payload == data["input"]["plaintext"].encode()


def test_the_failing_examples_fail_for_their_own_reason() -> None:
    # Each negative case is refused at the step its mutation breaks, not by accident.
    expected = {
        "sign-fail-01": DecodeError,  # wrong CBOR tag (998)
        "sign-fail-02": InvalidSignature,  # signature bytes changed
        "sign-fail-03": InvalidSignature,  # alg -999: unknown algorithm
        "sign-fail-04": InvalidSignature,  # alg "unknown": not an integer
        "sign-fail-06": InvalidSignature,  # protected attribute added
        "sign-fail-07": InvalidSignature,  # protected attribute removed
    }
    for name, data in load_dir("cose/sign1-tests"):
        if name in expected:
            with pytest.raises(expected[name]):
                _decode_and_verify(data)


def test_sign_pass_01_empty_map_protected_bucket_is_signed_as_empty_bstr() -> None:
    # RFC 9052, section 3: recipients MUST accept an encoded empty map (h'A0')
    # as the protected bucket; section 4.4: with no protected attributes the
    # Sig_structure holds a zero-length byte string. zkcheck verifies over h''.
    data = load_json("cose/sign1-tests/sign-pass-01.json")
    message = _decode_and_verify(data)
    assert message.protected == b"\xa0"
    assert message.headers == {}
    assert message.to_be_signed() == unhex(data["intermediates"]["ToBeSign_hex"])
    # Taken literally, the transmitted bytes would not verify: the choice matters.
    literal = Sign1(b"\xa1\x01\x26", {1: -7}, {}, message.payload, message.signature)
    with pytest.raises(InvalidSignature):
        literal.verify(_public_key(data["input"]["sign0"]["key"]))


def test_zkcheck_never_emits_an_empty_map_protected_bucket() -> None:
    from zkcheck.encoding.cose import COSESigningKey

    message = Sign1.create(COSESigningKey.generate(), {}, b"payload")
    assert message.protected != b"\xa0"
    assert decode(message.protected) == {1: int(Algorithm.ED25519)}


def test_rfc8392_a3_cwt_verifies_with_an_injected_clock() -> None:
    data = load_json("cose/CWT/A_3.json")
    key = data["input"]["sign0"]["key"]
    public = COSEKey(Curve.P256, unhex(key["x_hex"]) + unhex(key["y_hex"]))
    message = Sign1.decode(unhex(data["output"]["cbor"]))
    assert message.to_be_signed() == unhex(data["intermediates"]["ToBeSign_hex"])
    assert message.algorithm == Algorithm.ES256  # the older identifier, accepted
    message.verify(public)
    claims = decode(message.payload)
    assert message.payload == unhex(data["input"]["plaintext_hex"])
    assert claims[cwt.CLAIM_ISS] == "coap://as.example.com"
    assert claims[cwt.CLAIM_SUB] == "erikw"
    assert claims[cwt.CLAIM_AUD] == "coap://light.example.com"
    assert claims[cwt.CLAIM_CTI] == bytes.fromhex("0b71")
    exp, nbf = claims[cwt.CLAIM_EXP], claims[cwt.CLAIM_NBF]
    assert (exp, nbf, claims[cwt.CLAIM_IAT]) == (1444064944, 1443944944, 1443944944)
    cwt.check_validity(claims, nbf)  # valid from nbf on ...
    cwt.check_validity(claims, exp - 1)  # ... to the second before exp
    with pytest.raises(Expired):
        cwt.check_validity(claims, exp)
    with pytest.raises(Expired):
        cwt.check_validity(claims, nbf - 1)


def test_a3_signature_under_another_key_fails() -> None:
    data = load_json("cose/CWT/A_3.json")
    message = Sign1.decode(unhex(data["output"]["cbor"]))
    other = load_json("cose/ecdsa-examples/ecdsa-sig-01.json")["input"]["sign0"]["key"]
    with pytest.raises(InvalidSignature):
        message.verify(_public_key(other))


def test_an_ed25519_key_refuses_an_ecdsa_algorithm() -> None:
    data = load_json("cose/eddsa-examples/eddsa-sig-01.json")
    message = Sign1.decode(unhex(data["output"]["cbor"]))
    key = _public_key(data["input"]["sign0"]["key"])
    assert message.algorithm == Algorithm.EDDSA
    swapped = Sign1(message.protected, {1: -7}, {}, message.payload, message.signature)
    with pytest.raises(InvalidSignature):
        key.verify(int(Algorithm.ES256), swapped.to_be_signed(), swapped.signature)


@pytest.mark.parametrize("length", [0, 1, 23, 24, 255, 256, 65535, 65536])
def test_sig_structure_is_the_encoded_array_at_every_head_size(length: int) -> None:
    # The Sig_structure is assembled from byte-string heads, not encoded: each head
    # size of RFC 8949 (in the item, and 1, 2, 3 or 5 bytes) must come out as cbor2's.
    protected, aad, payload = (
        b"\xa1\x01\x27",
        bytes(range(256)) * (length // 256 + 1),
        bytes(length),
    )
    expected = cbor2.dumps(["Signature1", protected, aad[:length], payload])
    assert Sign1.sig_structure(protected, payload, aad[:length]) == expected


def test_cached_protected_buckets_are_bounded_and_private_to_each_message() -> None:
    from zkcheck.encoding.cose import _FLAT_BUCKETS, _FLAT_BUCKETS_CACHED

    bucket = cbor2.dumps({1: -19, 4: b"k" * 16})
    first = Sign1.decode(cbor2.dumps(cbor2.CBORTag(18, [bucket, {}, b"p", b"s"])))
    assert bucket in _FLAT_BUCKETS
    first.headers[4] = b"changed by the caller"
    second = Sign1.decode(cbor2.dumps(cbor2.CBORTag(18, [bucket, {}, b"p", b"s"])))
    assert second.headers == {1: -19, 4: b"k" * 16}
    for index in range(2 * _FLAT_BUCKETS_CACHED):
        Sign1.decode(cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: index}), {}, b"", b""])))
        assert len(_FLAT_BUCKETS) <= _FLAT_BUCKETS_CACHED
    # A bucket that is not a map is refused every time, never remembered.
    not_a_map = cbor2.dumps([1, 2])
    for _ in range(2):
        with pytest.raises(DecodeError):
            Sign1.decode(cbor2.dumps(cbor2.CBORTag(18, [not_a_map, {}, b"", b""])))
    assert not_a_map not in _FLAT_BUCKETS
