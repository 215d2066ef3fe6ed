"""RFC 9474 blind RSA and RFC 9578 token verification against OpenSSL's RSA-PSS.

Each operation is timed against ``cryptography`` (OpenSSL) with the same key in
the same run: the signer's private operation against an RSA-PSS signature, the
client's and verifier's operations against an RSA-PSS verification.
Acceptance: blind_sign (base blinding and the fault check on) costs at most
2.5 OpenSSL PSS signatures with a 2048-bit key; verifying a type 0x0002 token
costs at most 3.33 OpenSSL PSS verifications (at least 0.3x their speed).

The signing floor depends on the CPU more than anything zkcheck does: on a
CPU with AVX-512 IFMA, OpenSSL computes the two 1024-bit halves of a 2048-bit
RSA signature side by side in vector registers, about 2.4x faster than its
ADX/AVX2 code, while GMP (under gmpy2) has no such path. There the run also
measures blind_sign against OpenSSL with IFMA masked (``OPENSSL_ia32cap``,
which OpenSSL reads at start-up, so in a child process): the ratio most
x86-64 servers without IFMA would show. It is reported, without a bound,
beside the bounded measurement, which stays against OpenSSL as it runs here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from benchmarks.harness import Session, cpu_flags
from zkcheck.hazmat import blind_rsa, privacypass

__all__ = ["run"]

MESSAGE = b"zkcheck benchmark message"
CLIENT_VARIANT = blind_rsa.Variant.RSABSSA_SHA384_PSS_DETERMINISTIC
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)

SIGN_BOUND = 2.5
TOKEN_VERIFY_BOUND = 1 / 0.3

IA32CAP = "OPENSSL_ia32cap"
"""The environment variable OpenSSL reads its x86 capability mask from (mixed case, exactly)."""
IFMA_MASK = ":~0x200000"
"""The mask clearing AVX512IFMA (CPUID leaf 7, EBX bit 21)."""


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


def _measure_sign_only(session: Session, bits: int) -> None:
    """blind_sign against OpenSSL's PSS signature, nothing else (the child's job)."""
    private_key = blind_rsa.generate_private_key(bits)
    blinded_msg, _ = blind_rsa.blind(
        private_key.public_key(), blind_rsa.prepare(MESSAGE, CLIENT_VARIANT), CLIENT_VARIANT
    )
    session.measure(
        f"blind_sign {bits}, OpenSSL without IFMA",
        lambda: blind_rsa.blind_sign(private_key, blinded_msg),
        floor=lambda: private_key.sign(MESSAGE, PSS, hashes.SHA384()),
        floor_name=f"OpenSSL PSS sign {bits}, IFMA masked",
        note="informational: the floor on x86-64 CPUs without AVX-512 IFMA",
    )


def _measure_without_ifma(session: Session) -> None:
    """On a CPU with AVX-512 IFMA, run the signing measurement again with IFMA masked."""
    if "avx512ifma" not in cpu_flags():
        return
    print("  this CPU has AVX-512 IFMA, which OpenSSL's RSA uses; again with it masked:")
    sys.stdout.flush()
    command = [sys.executable, "-m", "benchmarks.bench_blind_rsa", "--ifma-masked"]
    if session.quick:
        command.append("--quick")
    subprocess.run(command, env={**os.environ, IA32CAP: IFMA_MASK}, check=True)


def run(session: Session) -> None:
    for bits in (2048, 4096):
        _measure_key(session, bits)
    _measure_without_ifma(session)


def _main() -> None:
    parser = argparse.ArgumentParser(
        description="blind_sign against OpenSSL with AVX-512 IFMA masked (the blind_rsa child run)"
    )
    parser.add_argument("--ifma-masked", action="store_true", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if os.environ.get(IA32CAP) != IFMA_MASK:
        parser.error(f"run with {IA32CAP}={IFMA_MASK} in the environment")
    session = Session("blind_rsa-without-ifma", quick=args.quick)
    _measure_sign_only(session, 2048)
    print(f"  -> {session.write_json()}")


if __name__ == "__main__":
    _main()
