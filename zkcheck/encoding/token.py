"""The token tier's wire rules (spec/07-token-tier.md): issuer names, the RFC 9577
TokenChallenge a verifier sends for each check, and the presentation body.

A token tier presentation is a :class:`~zkcheck.encoding.messages.Presentation`
whose body is the deterministic CBOR array of the RFC 9577 Token structures
it shows, byte for byte, one per check::

    token-presentation-body = [1*16 bstr .size 354]   ; sorted bytewise, no repeats

The TokenChallenge a token answers is never sent with it: the verifier derives
it again from its own stored request (:func:`token_challenge`), so a token
made for another verifier, another request or another check's issuer name
does not match. How a challenge binds is decided by the kind of fact behind
the check (:func:`redemption_of`):

* static facts (``age_over``, ``tenure``): ``redemption_context`` empty, so a
  holder may fetch tokens ahead and cache them for this verifier;
* facts true as of issuance (swaps) and live facts: ``redemption_context``
  derived from the request's digest, so the token can only be fetched after
  the request exists.

In both, ``origin_info`` is the verifier's id alone, and ``issuer_name`` the
operator's issuer name for the check. ``number`` has no tokens at all
(:func:`refuse_number`).
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable

from zkcheck.claims import NUMBER, Check, FactKind
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.messages import MAX_CHECKS
from zkcheck.errors import DecodeError, PolicyError
from zkcheck.hazmat.privacypass import (
    NID,
    NK,
    NONCE_LENGTH,
    TOKEN_TYPE_BLIND_RSA,
    Token,
    TokenChallenge,
)

__all__ = [
    "CONTEXT_DST",
    "SPEND_DST",
    "TOKEN_LENGTH",
    "Redemption",
    "check_server_name",
    "decode_token_body",
    "encode_token_body",
    "issuer_label",
    "redemption_context",
    "redemption_of",
    "refuse_number",
    "spend_key",
    "token_challenge",
]

TOKEN_LENGTH = 2 + NONCE_LENGTH + 32 + NID + NK
"""Bytes of one type 0x0002 Token: 354."""

CONTEXT_DST = b"ZKCHECK-V1-TOKEN-CONTEXT"
"""Domain-separation tag of a per-request redemption context."""

SPEND_DST = b"ZKCHECK-V1-TOKEN"
"""Prefix of a token nonce in the verifier's single-use store."""

# Lower-case DNS names with at least one dot, and an optional port: a server name as
# RFC 9577 section 2.1.1.1 defines it, restricted to one spelling per name so that a
# challenge (and so its digest) has one encoding.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SERVER_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})+(?::[1-9][0-9]{{0,4}})?")
_MAX_SERVER_NAME = 253
_BODY_LIMIT = MAX_CHECKS * (TOKEN_LENGTH + 3) + 1


class Redemption(enum.Enum):
    """How a check's tokens are bound to the verifier's request."""

    CACHED = "cached"
    """Empty redemption context: fetched ahead, cached, redeemed at one verifier."""
    PER_REQUEST = "per-request"
    """Redemption context from the request: fetched for that request only."""


def refuse_number(check: Check) -> Check:
    """``check``, or :class:`PolicyError` for ``number``, which the token tier cannot carry.

    The operator signs blind, so it cannot see, let alone check, a number bound
    into a token; and a key per number would name one subscriber
    (spec/02-checks.md, "Which tier carries which check").
    """
    if check == NUMBER:
        raise PolicyError("the token tier cannot carry number")
    return check


def redemption_of(check: Check) -> Redemption:
    """Cached tokens for static facts; per-request tokens for everything that must be fresh."""
    refuse_number(check)
    if check.fact_kind is FactKind.STATIC:
        return Redemption.CACHED
    return Redemption.PER_REQUEST


def check_server_name(name: object, what: str) -> str:
    """A lower-case server name (``host.example`` or ``host.example:8443``), or ValueError."""
    if type(name) is not str or len(name) > _MAX_SERVER_NAME or not _SERVER_NAME.fullmatch(name):
        raise ValueError(f"{what} must be a lower-case server name such as host.example")
    return name


def issuer_label(check: Check) -> str:
    """The DNS label of a check's issuer name: ``age_over:18`` is ``age-over-18``."""
    refuse_number(check)
    return check.identifier.replace("_", "-").replace(":", "-").lower()


def redemption_context(request_digest: bytes) -> bytes:
    """The per-request redemption context: SHA-256(CONTEXT_DST || request digest), 32 bytes."""
    return hashlib.sha256(CONTEXT_DST + request_digest).digest()


def token_challenge(
    issuer_name: str, check: Check, verifier_id: str, request_digest: bytes
) -> TokenChallenge:
    """The TokenChallenge (RFC 9577 section 2.1.1) a token for ``check`` must answer.

    ``request_digest`` is the SHA-256 of the request's encoding; it enters
    the challenge only for per-request checks.
    """
    context = b""
    if redemption_of(check) is Redemption.PER_REQUEST:
        context = redemption_context(request_digest)
    return TokenChallenge(TOKEN_TYPE_BLIND_RSA, issuer_name, context, verifier_id)


def spend_key(token: Token) -> bytes:
    """What the verifier's single-use store records for a redeemed token: its nonce."""
    return SPEND_DST + token.nonce


def encode_token_body(tokens: Iterable[bytes]) -> bytes:
    """The body of a token presentation: the tokens sorted bytewise."""
    ordered = sorted(set(tokens))
    if not 1 <= len(ordered) <= MAX_CHECKS:
        raise ValueError(f"a token presentation shows 1..{MAX_CHECKS} tokens")
    return encode(ordered)


def decode_token_body(body: bytes) -> tuple[tuple[bytes, Token], ...]:
    """The tokens of a presentation body, each as its bytes and parsed.

    Refuses (:class:`DecodeError`) anything but a deterministic CBOR array of
    1..16 byte strings of 354 bytes in strictly increasing order, each a
    type 0x0002 Token.
    """
    items = decode(body, max_size=_BODY_LIMIT, max_depth=2)
    if type(items) is not list or not 1 <= len(items) <= MAX_CHECKS:
        raise DecodeError(f"a token presentation shows 1..{MAX_CHECKS} tokens")
    parsed = []
    previous = b""
    for item in items:
        if type(item) is not bytes or len(item) != TOKEN_LENGTH:
            raise DecodeError(f"a token is a byte string of {TOKEN_LENGTH} bytes")
        if item <= previous:
            raise DecodeError("tokens are sorted and without repeats")
        previous = item
        parsed.append((item, Token.from_bytes(item)))
    return tuple(parsed)
