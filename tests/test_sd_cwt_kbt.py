"""The SD-CWT key-binding token examples, read through zkcheck's COSE layer.

zkcheck's key binding follows SD-CWT's SD-KBT (draft-ietf-spice-sd-cwt): a
COSE_Sign1 signed with the holder key named in the issuer token's ``cnf``,
carrying that token in the protected ``kcwt`` header (13), with the audience
(3) and the verifier's nonce (``cnonce``, 39) in its claims. These tests read
the draft's own examples with the same code that reads zkcheck presentations.
The issuer tokens inside are signed with ES384, which zkcheck does not
support; that step is skipped with its reason.
"""

from __future__ import annotations

import pytest

from tests.vectors_loader import load_json, unhex
from zkcheck.encoding import cwt
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.cose import HEADER_KCWT, HEADER_TYP, Algorithm, COSEKey, Curve, Sign1
from zkcheck.errors import DecodeError, InvalidSignature

KEYS = load_json("sd-cwt/keys.json")
HOLDER = COSEKey(Curve.P256, unhex(KEYS["holder"]["x_hex"]) + unhex(KEYS["holder"]["y_hex"]))


@pytest.mark.parametrize("name", ["kbt", "nested_kbt"])
def test_key_binding_token_verifies_with_the_holder_key(name: str) -> None:
    kbt = Sign1.decode(unhex(load_json(f"sd-cwt/{name}.json")["cbor_hex"]), max_size=65536)
    assert kbt.algorithm == Algorithm.ES256
    assert kbt.headers[HEADER_TYP] == 294  # application/kb+cwt
    kbt.verify(HOLDER)
    claims = decode(kbt.payload)
    assert claims[cwt.CLAIM_AUD] == "https://verifier.example/app"
    assert claims[cwt.CLAIM_CNONCE] == bytes.fromhex("8c0f5f523b95bea44a9a48c649240803")
    # The issuer token travels in kcwt; its alg is ES384 (-35).
    issuer_token = Sign1.from_item(kbt.headers[HEADER_KCWT])
    assert issuer_token.algorithm == -35
    with pytest.raises(InvalidSignature):
        issuer_token.verify(HOLDER)  # no key of zkcheck's verifies ES384


def test_the_holder_key_is_the_cnf_of_the_issuer_token() -> None:
    kbt = Sign1.decode(unhex(load_json("sd-cwt/kbt.json")["cbor_hex"]), max_size=65536)
    issuer_token = Sign1.from_item(kbt.headers[HEADER_KCWT])
    # The issuer token's payload uses SD-CWT's redaction markers (simple
    # value 59, tag 60), which are outside zkcheck's data model: the strict
    # decoder refuses it, so the cnf key is compared on the raw bytes.
    with pytest.raises(DecodeError):
        decode(issuer_token.payload)
    assert HOLDER.public[:32] in issuer_token.payload and HOLDER.public[32:] in issuer_token.payload


def test_a_changed_nonce_fails_the_holder_signature() -> None:
    kbt = Sign1.decode(unhex(load_json("sd-cwt/kbt.json")["cbor_hex"]), max_size=65536)
    payload = kbt.payload.replace(bytes.fromhex("8c0f5f52"), bytes.fromhex("8c0f5f53"))
    with pytest.raises(InvalidSignature):
        Sign1(kbt.protected, kbt.headers, kbt.unprotected, payload, kbt.signature).verify(HOLDER)


def test_es384_issuer_signature_is_not_supported() -> None:
    pytest.skip("ES384 / P-384 issuer signatures are not supported: zkcheck uses Ed25519 and P-256")
