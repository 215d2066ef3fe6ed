"""Helpers shared by the blind RSA and Privacy Pass tests."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from vectors_loader import load_json, unhex


class ReplayRng:
    """An ``rng`` that hands out recorded values in order and checks each requested size."""

    def __init__(self, *draws: bytes) -> None:
        self._draws = list(draws)
        self.requested: list[int] = []

    def __call__(self, size: int) -> bytes:
        self.requested.append(size)
        assert self._draws, f"unexpected extra draw of {size} bytes"
        value = self._draws.pop(0)
        assert len(value) == size, f"draw of {size} bytes, recorded value has {len(value)}"
        return value

    def assert_exhausted(self) -> None:
        assert not self._draws, f"{len(self._draws)} recorded values were not drawn"


def rfc9578_vectors() -> list[dict[str, str]]:
    vectors: list[dict[str, str]] = load_json("rfc9578_privacypass.json")[
        "issuance_protocol_2_blind_rsa"
    ]["vectors"]
    return vectors


def rfc9578_private_key() -> rsa.RSAPrivateKey:
    """A fresh key object for the RFC 9578 A.2 key (2048-bit), parsed from its PEM."""
    key = serialization.load_pem_private_key(unhex(rfc9578_vectors()[0]["skI"]), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@functools.cache
def shared_key() -> rsa.RSAPrivateKey:
    """One 2048-bit key object reused by the property tests: generating keys is slow."""
    return rfc9578_private_key()
