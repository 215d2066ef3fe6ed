"""RFC 9474 blind RSA and RFC 9578 token verification against OpenSSL's RSA-PSS.

Each operation is timed against ``cryptography`` (OpenSSL) with the same key in
the same run: the signer's private operation against an RSA-PSS signature, the
client's and verifier's operations against an RSA-PSS verification.
Acceptance: blind_sign (base blinding and the fault check on) costs at most
2.5 OpenSSL PSS signatures with a 2048-bit key; verifying a type 0x0002 token
costs at most 3.33 OpenSSL PSS verifications (at least 0.3x their speed).
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from benchmarks.harness import Session
from zkcheck.hazmat import blind_rsa, privacypass

__all__ = ["run"]

MESSAGE = b"zkcheck benchmark message"
CLIENT_VARIANT = blind_rsa.Variant.RSABSSA_SHA384_PSS_DETERMINISTIC
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)

SIGN_BOUND = 2.5
TOKEN_VERIFY_BOUND = 1 / 0.3


def _measure_key(session: Session, bits: int) -> None:
    private_key = blind_rsa.generate_private_key(bits)
    public_key = private_key.public_key()
    openssl_signature = private_key.sign(MESSAGE, PSS, hashes.SHA384())

    def openssl_sign() -> object:
        return private_key.sign(MESSAGE, PSS, hashes.SHA384())

    def openssl_verify() -> None:
        public_key.verify(openssl_signature, MESSAGE, PSS, hashes.SHA384())

    sign_floor = f"OpenSSL PSS sign {bits}"
    verify_floor = f"OpenSSL PSS verify {bits}"
    prepared = blind_rsa.prepare(MESSAGE, CLIENT_VARIANT)
    blinded_msg, inv = blind_rsa.blind(public_key, prepared, CLIENT_VARIANT)
    blind_sig = blind_rsa.blind_sign(private_key, blinded_msg)
    signature = blind_rsa.finalize(public_key, prepared, blind_sig, inv, CLIENT_VARIANT)

    session.measure(
        f"prepare (randomized) {bits}",
        lambda: blind_rsa.prepare(MESSAGE, blind_rsa.Variant.RSABSSA_SHA384_PSS_RANDOMIZED),
        floor=openssl_verify,
        floor_name=verify_floor,
    )
    session.measure(
        f"blind {bits}",
        lambda: blind_rsa.blind(public_key, prepared, CLIENT_VARIANT),
        floor=openssl_verify,
        floor_name=verify_floor,
    )
    session.measure(
        f"blind_sign {bits}",
        lambda: blind_rsa.blind_sign(private_key, blinded_msg),
        floor=openssl_sign,
        floor_name=sign_floor,
        bound=SIGN_BOUND if bits == 2048 else None,
        note="CRT through gmpy2, base blinding, fault check",
    )
    session.measure(
        f"finalize {bits}",
        lambda: blind_rsa.finalize(public_key, prepared, blind_sig, inv, CLIENT_VARIANT),
        floor=openssl_verify,
        floor_name=verify_floor,
    )
    session.measure(
        f"verify {bits}",
        lambda: blind_rsa.verify(public_key, prepared, signature, CLIENT_VARIANT),
        floor=openssl_verify,
        floor_name=verify_floor,
    )
    if bits == 2048:
        _measure_token_verification(session, private_key, openssl_verify, verify_floor)


def _measure_token_verification(
    session: Session,
    private_key: rsa.RSAPrivateKey,
    openssl_verify: Callable[[], object],
    verify_floor: str,
) -> None:
    spki = blind_rsa.public_key_to_spki(private_key.public_key())
    challenge = privacypass.TokenChallenge(
        privacypass.TOKEN_TYPE_BLIND_RSA, "issuer.example", bytes(32), "origin.example"
    )
    request, state = privacypass.create_token_request(spki, challenge)
    token = privacypass.finalize_token(
        state, privacypass.issue_token_response(private_key, request)
    )
    session.measure(
        "verify_token 2048",
        lambda: privacypass.verify_token(spki, token, challenge),
        floor=openssl_verify,
        floor_name=verify_floor,
        bound=TOKEN_VERIFY_BOUND,
        note="bound: at least 0.3x the speed of OpenSSL PSS verification",
    )


def run(session: Session) -> None:
    for bits in (2048, 4096):
        _measure_key(session, bits)
