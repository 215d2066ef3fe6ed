"""CBOR Web Token claims (RFC 8392) and the time checks of section 3.1 / 7.2.

A CWT is a COSE message whose payload is a map of claims. zkcheck uses the
registered claims below and, for its own content, claim keys in the private
range of the "CBOR Web Token (CWT) Claims" registry (integers below -65536,
RFC 8392, section 9.1), listed in spec/03-encoding.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zkcheck.errors import DecodeError, Expired

__all__ = [
    "CLAIM_AUD",
    "CLAIM_CNF",
    "CLAIM_CNONCE",
    "CLAIM_CTI",
    "CLAIM_EXP",
    "CLAIM_IAT",
    "CLAIM_ISS",
    "CLAIM_NBF",
    "CLAIM_SUB",
    "CNF_COSE_KEY",
    "check_validity",
    "numeric_date",
]

CLAIM_ISS = 1
CLAIM_SUB = 2
CLAIM_AUD = 3
CLAIM_EXP = 4
CLAIM_NBF = 5
CLAIM_IAT = 6
CLAIM_CTI = 7
CLAIM_CNF = 8
"""Confirmation (proof-of-possession) claim, RFC 8747, section 3.1."""
CNF_COSE_KEY = 1
"""The ``COSE_Key`` member of ``cnf`` (RFC 8747, section 3.2)."""
CLAIM_CNONCE = 39
"""Client nonce (RFC 9200, section 5.3.1), used by SD-CWT key-binding tokens."""

_MAX_NUMERIC_DATE = 2**53
"""Far beyond any date zkcheck handles; keeps times exact in any JSON reader too."""


def numeric_date(value: object, what: str) -> int:
    """A NumericDate (RFC 8392, section 2) restricted to a non-negative integer."""
    if type(value) is not int or not 0 <= value <= _MAX_NUMERIC_DATE:
        raise DecodeError(f"{what} must be a non-negative integer NumericDate")
    return value


def check_validity(claims: Mapping[int | str, Any], now: int) -> None:
    """Apply the ``exp`` and ``nbf`` rules of RFC 8392, section 3.1.4 and 3.1.5.

    "The current time MUST be before the time represented by the exp claim"
    and "MUST be after or equal to the time represented by the nbf claim".
    Raises :class:`Expired` when either fails, :class:`DecodeError` when a
    present claim is not a NumericDate. ``now`` is an injected clock's reading
    in seconds since the epoch.
    """
    if CLAIM_EXP in claims and not now < numeric_date(claims[CLAIM_EXP], "exp"):
        raise Expired("token expired")
    if CLAIM_NBF in claims and not now >= numeric_date(claims[CLAIM_NBF], "nbf"):
        raise Expired("token not yet valid")
