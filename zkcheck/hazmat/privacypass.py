"""Privacy Pass publicly verifiable tokens: token type 0x0002 (RFC 9578 section 6) and the
PrivateToken HTTP authentication scheme (RFC 9577).

The messages, byte for byte as in the RFCs, and who computes what::

    Origin                       Client                               Issuer
      WWW-Authenticate: PrivateToken challenge=..., token-key=...
      ------------------------->
                                 create_token_request(pkI, challenge)
                                                  TokenRequest
                                 ------------------------------------->
                                            issue_token_response(skI, TokenRequest)
                                                  TokenResponse
                                 <-------------------------------------
                                 finalize_token(state, TokenResponse)
      Authorization: PrivateToken token=...
      <-------------------------
      verify_token(pkI, token, challenge)

The issuer signs a blinded message (RFC 9474 RSABSSA-SHA384-PSS-Deterministic,
:mod:`zkcheck.hazmat.blind_rsa`), so it cannot link the token it issued to
the origin where it is redeemed; any origin verifies the token with the
issuer's public key alone.

The issuer's public key ``pkI`` is always handled as its SubjectPublicKeyInfo
bytes in the RFC 9578 section 6.5 form, exactly as the issuer publishes them,
because the token key id is the SHA-256 of exactly those bytes.
:class:`IssuerKeyring` and :class:`OriginKeyring` serve an issuer that holds
many keys and an origin that looks keys up by token key id.

Only token type 0x0002 is implemented. The RFC 9577 structures that do not
depend on the type (TokenChallenge, the token authenticator input, the
headers) accept any type; TokenRequest, TokenResponse and Token reject any
other type. The header parser skips, as RFC 9577 requires, challenges of
other token types, malformed challenges (redemption contexts of invalid
length among them) and unknown parameters.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn, TypeGuard

from cryptography.hazmat.primitives.asymmetric import rsa

from zkcheck.errors import DecodeError, InvalidSignature, UntrustedIssuer
from zkcheck.hazmat import Rng, default_rng
from zkcheck.hazmat.blind_rsa import (
    Variant,
    blind,
    blind_sign,
    finalize,
    load_public_key,
    prepare,
    public_key_to_spki,
    verify,
)
from zkcheck.hazmat.secret import SecretBytes

__all__ = [
    "ISSUER_DIRECTORY_MEDIA_TYPE",
    "ISSUER_DIRECTORY_PATH",
    "NID",
    "NK",
    "NONCE_LENGTH",
    "TOKEN_REQUEST_MEDIA_TYPE",
    "TOKEN_RESPONSE_MEDIA_TYPE",
    "TOKEN_TYPE_BLIND_RSA",
    "VARIANT",
    "DirectoryTokenKey",
    "IssuerDirectory",
    "IssuerKeyring",
    "OriginKeyring",
    "PrivateTokenChallenge",
    "Token",
    "TokenChallenge",
    "TokenKey",
    "TokenRequest",
    "TokenRequestState",
    "TokenResponse",
    "build_authorization",
    "build_www_authenticate",
    "create_token_request",
    "finalize_token",
    "issue_token_response",
    "parse_authorization",
    "parse_www_authenticate",
    "token_authenticator_input",
    "token_key_id",
    "truncated_token_key_id",
    "verify_parsed_token",
    "verify_token",
]

TOKEN_TYPE_BLIND_RSA = 0x0002
"""Token type Blind RSA (2048-bit), RFC 9578 section 8.2.2."""

VARIANT = Variant.RSABSSA_SHA384_PSS_DETERMINISTIC
"""The RFC 9474 variant of token type 0x0002: verification uses a 48-byte salt (section 6.4)."""

NK = 256
"""Length of the authenticator, blinded message and blind signature of type 0x0002."""

NID = 32
"""Length of the token key id (SHA-256 of the issuer's SubjectPublicKeyInfo)."""

NONCE_LENGTH = 32
"""Length of the client's token nonce (RFC 9577 section 2.2.1)."""

ISSUER_DIRECTORY_PATH = "/.well-known/private-token-issuer-directory"
ISSUER_DIRECTORY_MEDIA_TYPE = "application/private-token-issuer-directory"
TOKEN_REQUEST_MEDIA_TYPE = "application/private-token-request"  # noqa: S105 (a media type)
TOKEN_RESPONSE_MEDIA_TYPE = "application/private-token-response"  # noqa: S105

_MODULUS_BITS = 2048
_TOKEN_LENGTH = 2 + NONCE_LENGTH + 32 + NID + NK
_TOKEN_TYPE_BYTES = TOKEN_TYPE_BLIND_RSA.to_bytes(2, "big")
_MAX_HEADER_LENGTH = 65536
_MAX_DIRECTORY_LENGTH = 1 << 20


# --- Encoding helpers ------------------------------------------------------------------------


class _Reader:
    """Reads the TLS presentation-language fields of RFC 9577 and RFC 9578."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = bytes(data)
        self._offset = 0
        self._what = what

    def take(self, size: int) -> bytes:
        end = self._offset + size
        if end > len(self._data):
            raise DecodeError(f"{self._what}: truncated")
        value = self._data[self._offset : end]
        self._offset = end
        return value

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def finish(self) -> None:
        if self._offset != len(self._data):
            raise DecodeError(f"{self._what}: trailing bytes")


def _b64url_encode(data: bytes) -> str:
    """base64url with padding, as RFC 9577 section 2.1.2 and RFC 9578 section 4 require."""
    return base64.urlsafe_b64encode(data).decode("ascii")


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _b64url_decode(text: str, what: str) -> bytes:
    """Strict base64url: padded, the URL-safe alphabet only, canonical trailing bits."""
    if len(text) % 4 or not _BASE64URL.fullmatch(text):
        raise DecodeError(f"{what}: not padded base64url")
    data = base64.urlsafe_b64decode(text)
    if _b64url_encode(data) != text:
        raise DecodeError(f"{what}: non-canonical base64url")
    return data


def _check_token_type(token_type: int, what: str) -> None:
    if token_type != TOKEN_TYPE_BLIND_RSA:
        raise DecodeError(f"{what}: unsupported token type 0x{token_type:04x}")


def _check_length(value: bytes, size: int, what: str) -> None:
    if len(value) != size:
        raise DecodeError(f"{what}: {len(value)} bytes, expected {size}")


# --- TokenChallenge (RFC 9577 section 2.1) ---------------------------------------------------

_NAME_CHARACTERS = re.compile(r"[\x21-\x2b\x2d-\x3f\x41-\x7e]+")  # visible ASCII but "," and "@"


def _check_server_name(name: str, what: str) -> None:
    """RFC 9577 section 2.1.1.1: an ASCII authority, host and optional port, no userinfo."""
    if not _NAME_CHARACTERS.fullmatch(name):
        raise DecodeError(f"TokenChallenge: {what} is not a server name")


@dataclass(frozen=True)
class TokenChallenge:
    """The default TokenChallenge structure of RFC 9577 section 2.1.1.

    ``issuer_name`` is one server name; ``origin_info`` is empty or server
    names separated by commas; ``redemption_context`` is empty or 32 bytes.
    The encoding is canonical: ``from_bytes(b).to_bytes() == b``.
    """

    token_type: int
    issuer_name: str
    redemption_context: bytes
    origin_info: str

    def __post_init__(self) -> None:
        if not 0 <= self.token_type <= 0xFFFF:
            raise DecodeError("TokenChallenge: token type is not a uint16")
        if not 1 <= len(self.issuer_name) <= 0xFFFF:
            raise DecodeError("TokenChallenge: issuer_name must be 1..65535 bytes")
        _check_server_name(self.issuer_name, "issuer_name")
        # "Challenges with redemption_context values of invalid lengths MUST be ignored."
        if len(self.redemption_context) not in (0, 32):
            raise DecodeError("TokenChallenge: redemption_context must be 0 or 32 bytes")
        if len(self.origin_info) > 0xFFFF:
            raise DecodeError("TokenChallenge: origin_info longer than 65535 bytes")
        for name in self.origin_names:
            _check_server_name(name, "origin_info")

    @property
    def origin_names(self) -> tuple[str, ...]:
        """The origin names of ``origin_info`` (none when it is empty)."""
        return tuple(self.origin_info.split(",")) if self.origin_info else ()

    def allows_origin(self, origin_name: str) -> bool:
        """RFC 9577 section 2.1.3: empty ``origin_info``, or it names the origin (any case)."""
        if not self.origin_info:
            return True
        wanted = origin_name.lower()
        return any(name.lower() == wanted for name in self.origin_names)

    def to_bytes(self) -> bytes:
        issuer = self.issuer_name.encode("ascii")
        origin = self.origin_info.encode("ascii")
        return b"".join(
            (
                self.token_type.to_bytes(2, "big"),
                len(issuer).to_bytes(2, "big"),
                issuer,
                len(self.redemption_context).to_bytes(1, "big"),
                self.redemption_context,
                len(origin).to_bytes(2, "big"),
                origin,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenChallenge:
        reader = _Reader(data, "TokenChallenge")
        token_type = reader.uint(2)
        issuer = reader.take(reader.uint(2))
        context = reader.take(reader.uint(1))
        origin = reader.take(reader.uint(2))
        reader.finish()
        try:
            issuer_name, origin_info = issuer.decode("ascii"), origin.decode("ascii")
        except UnicodeDecodeError:
            raise DecodeError("TokenChallenge: names must be ASCII") from None
        return cls(token_type, issuer_name, context, origin_info)

    def digest(self) -> bytes:
        """challenge_digest = SHA-256(TokenChallenge) (RFC 9577 section 2.2.1)."""
        return hashlib.sha256(self.to_bytes()).digest()


def token_authenticator_input(
    challenge: TokenChallenge, nonce: bytes, token_key_id: bytes
) -> bytes:
    """AuthenticatorInput of RFC 9577 section 2.2.3 for a token answering ``challenge``.

    ``token_type || nonce || SHA-256(challenge) || token_key_id``; the type is
    the challenge's. Both registered token types have a 32-byte key id.
    """
    _check_length(nonce, NONCE_LENGTH, "nonce")
    _check_length(token_key_id, NID, "token_key_id")
    return _authenticator_input(challenge.token_type, nonce, challenge.digest(), token_key_id)


def _authenticator_input(
    token_type: int, nonce: bytes, challenge_digest: bytes, key_id: bytes
) -> bytes:
    return token_type.to_bytes(2, "big") + nonce + challenge_digest + key_id


# --- Token keys (RFC 9578 section 6.5) -------------------------------------------------------


def token_key_id(issuer_spki: bytes) -> bytes:
    """token_key_id = SHA-256 of the issuer's encoded public key, exactly as published."""
    return hashlib.sha256(issuer_spki).digest()


def truncated_token_key_id(issuer_spki: bytes) -> int:
    """The last byte of the token key id, sent in TokenRequest (RFC 9578 section 6.1)."""
    return token_key_id(issuer_spki)[-1]


@dataclass(frozen=True)
class TokenKey:
    """An issuer public key of token type 0x0002: SPKI bytes, key object and key id."""

    spki: bytes
    token_key_id: bytes
    public_key: rsa.RSAPublicKey = field(compare=False, repr=False)

    @property
    def truncated_token_key_id(self) -> int:
        return self.token_key_id[-1]

    @classmethod
    def from_spki(cls, issuer_spki: bytes) -> TokenKey:
        """Load and check a published key; :class:`~zkcheck.errors.DecodeError` if unusable.

        The SPKI must be the RFC 9578 section 6.5 form (checked by
        :func:`~zkcheck.hazmat.blind_rsa.load_public_key`) of a 2048-bit key.
        Loaded keys are cached by their bytes.
        """
        return _token_key_from_spki(bytes(issuer_spki))

    @classmethod
    def from_public_key(cls, public_key: rsa.RSAPublicKey) -> TokenKey:
        """The token key of an issuer's own 2048-bit key (``ValueError`` for another size)."""
        if public_key.key_size != _MODULUS_BITS:
            raise ValueError("token type 0x0002 keys have a 2048-bit modulus")
        spki = public_key_to_spki(public_key)
        return cls(spki, token_key_id(spki), public_key)


@functools.lru_cache(maxsize=256)
def _token_key_from_spki(spki: bytes) -> TokenKey:
    public_key = load_public_key(spki)
    if public_key.key_size != _MODULUS_BITS:
        raise DecodeError("token type 0x0002 keys have a 2048-bit modulus")
    return TokenKey(spki, token_key_id(spki), public_key)


# --- TokenRequest, TokenResponse, Token ------------------------------------------------------


@dataclass(frozen=True)
class TokenRequest:
    """TokenRequest of RFC 9578 section 6.1: type, truncated key id, blinded message."""

    token_type: ClassVar[int] = TOKEN_TYPE_BLIND_RSA
    truncated_token_key_id: int
    blinded_msg: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.truncated_token_key_id <= 0xFF:
            raise DecodeError("TokenRequest: truncated_token_key_id is not a byte")
        _check_length(self.blinded_msg, NK, "TokenRequest.blinded_msg")

    def to_bytes(self) -> bytes:
        return (
            self.token_type.to_bytes(2, "big")
            + bytes([self.truncated_token_key_id])
            + self.blinded_msg
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenRequest:
        reader = _Reader(data, "TokenRequest")
        _check_token_type(reader.uint(2), "TokenRequest")
        key_id, blinded_msg = reader.uint(1), reader.take(NK)
        reader.finish()
        return cls(key_id, blinded_msg)


@dataclass(frozen=True)
class TokenResponse:
    """TokenResponse of RFC 9578 section 6.2: the blind signature, Nk bytes."""

    blind_sig: bytes

    def __post_init__(self) -> None:
        _check_length(self.blind_sig, NK, "TokenResponse")

    def to_bytes(self) -> bytes:
        return self.blind_sig

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenResponse:
        return cls(bytes(data))


@dataclass(frozen=True)
class Token:
    """The Token of RFC 9577 section 2.2.1 for type 0x0002 (RFC 9578 section 6.3)."""

    token_type: ClassVar[int] = TOKEN_TYPE_BLIND_RSA
    nonce: bytes
    challenge_digest: bytes
    token_key_id: bytes
    authenticator: bytes

    def __post_init__(self) -> None:
        _check_length(self.nonce, NONCE_LENGTH, "Token.nonce")
        _check_length(self.challenge_digest, 32, "Token.challenge_digest")
        _check_length(self.token_key_id, NID, "Token.token_key_id")
        _check_length(self.authenticator, NK, "Token.authenticator")

    def authenticator_input(self) -> bytes:
        """The bytes the authenticator signs (RFC 9577 section 2.2.3)."""
        return _authenticator_input(
            self.token_type, self.nonce, self.challenge_digest, self.token_key_id
        )

    def to_bytes(self) -> bytes:
        return self.authenticator_input() + self.authenticator

    @classmethod
    def from_bytes(cls, data: bytes) -> Token:
        data = bytes(data)
        if len(data) == _TOKEN_LENGTH and data[:2] == _TOKEN_TYPE_BYTES:
            # Every field has a fixed length, so a well-formed token is read by slicing
            # (verifiers parse one per redemption); anything else takes the reader,
            # which says what is wrong.
            return cls(data[2:34], data[34:66], data[66:98], data[98:])
        reader = _Reader(data, "Token")
        _check_token_type(reader.uint(2), "Token")
        token = cls(reader.take(NONCE_LENGTH), reader.take(32), reader.take(NID), reader.take(NK))
        reader.finish()
        return token


# --- Client (RFC 9578 sections 6.1 and 6.3) --------------------------------------------------


class TokenRequestState:
    """What the client keeps between the request and the response: secret, never printed."""

    __slots__ = ("_challenge_digest", "_inv", "_nonce", "_token_key")

    def __init__(
        self, token_key: TokenKey, nonce: bytes, challenge_digest: bytes, inv: SecretBytes
    ) -> None:
        self._token_key = token_key
        self._nonce = nonce
        self._challenge_digest = challenge_digest
        self._inv = inv

    def __repr__(self) -> str:
        return "TokenRequestState(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("token request state cannot be pickled")

    @property
    def issuer_spki(self) -> bytes:
        """The issuer key the request was made for."""
        return self._token_key.spki

    def export(self) -> tuple[bytes, bytes, SecretBytes]:
        """The state's values, to keep it across processes until the TokenResponse arrives:
        the token nonce, the challenge digest and the blind's inverse ``inv`` (secret:
        with it, the blinded message and the token can be linked)."""
        return self._nonce, self._challenge_digest, self._inv

    @classmethod
    def restore(
        cls, issuer_spki: bytes, nonce: bytes, challenge_digest: bytes, inv: bytes
    ) -> TokenRequestState:
        """A state from :meth:`export`'s values and the issuer key's SPKI.

        Raises :class:`~zkcheck.errors.DecodeError` for an unusable key, values
        of the wrong length, or an ``inv`` that is not in 1..n-1. A wrong
        ``inv`` of the right shape yields a token that :func:`finalize_token`
        refuses (:class:`~zkcheck.errors.InvalidSignature`).
        """
        if not all(isinstance(value, bytes) for value in (nonce, challenge_digest, inv)):
            raise DecodeError("TokenRequestState: values are byte strings")
        token_key = TokenKey.from_spki(issuer_spki)
        _check_length(nonce, NONCE_LENGTH, "TokenRequestState.nonce")
        _check_length(challenge_digest, 32, "TokenRequestState.challenge_digest")
        _check_length(inv, NK, "TokenRequestState.inv")
        if not 0 < int.from_bytes(inv, "big") < token_key.public_key.public_numbers().n:
            raise DecodeError("TokenRequestState.inv: not in 1..n-1")
        return cls(token_key, bytes(nonce), bytes(challenge_digest), SecretBytes(bytes(inv)))


def create_token_request(
    issuer_spki: bytes, challenge: TokenChallenge, *, rng: Rng | None = None
) -> tuple[bytes, TokenRequestState]:
    """The client's TokenRequest for ``challenge`` (RFC 9578 section 6.1), and its state.

    Draws, in order: the nonce (``rng(32)``), then Blind's salt (``rng(48)``)
    and blinding factor (``rng(256)``, again if rejected); see
    :mod:`zkcheck.hazmat.blind_rsa`. Raises
    :class:`~zkcheck.errors.DecodeError` when the key is not a type 0x0002 key
    or the challenge is for another token type.
    """
    token_key = TokenKey.from_spki(issuer_spki)
    _check_token_type(challenge.token_type, "TokenChallenge")
    nonce = (rng or default_rng)(NONCE_LENGTH)
    if not isinstance(nonce, bytes) or len(nonce) != NONCE_LENGTH:
        raise ValueError("rng returned something other than 32 bytes")
    challenge_digest = challenge.digest()
    token_input = _authenticator_input(
        TOKEN_TYPE_BLIND_RSA, nonce, challenge_digest, token_key.token_key_id
    )
    blinded_msg, inv = blind(token_key.public_key, prepare(token_input, VARIANT), VARIANT, rng=rng)
    request = TokenRequest(token_key.truncated_token_key_id, blinded_msg)
    state = TokenRequestState(token_key, nonce, challenge_digest, SecretBytes(inv))
    return request.to_bytes(), state


def finalize_token(state: TokenRequestState, token_response: bytes) -> bytes:
    """The Token from the issuer's TokenResponse (RFC 9578 section 6.3).

    Raises :class:`~zkcheck.errors.DecodeError` for a malformed response and
    :class:`~zkcheck.errors.InvalidSignature` when the unblinded
    authenticator does not verify.
    """
    response = TokenResponse.from_bytes(token_response)
    key = state._token_key
    token_input = _authenticator_input(
        TOKEN_TYPE_BLIND_RSA, state._nonce, state._challenge_digest, key.token_key_id
    )
    authenticator = finalize(
        key.public_key,
        prepare(token_input, VARIANT),
        response.blind_sig,
        state._inv.reveal(),
        VARIANT,
    )
    return Token(state._nonce, state._challenge_digest, key.token_key_id, authenticator).to_bytes()


# --- Issuer (RFC 9578 section 6.2) -----------------------------------------------------------


def _issue(private_key: rsa.RSAPrivateKey, request: TokenRequest) -> bytes:
    return TokenResponse(blind_sign(private_key, request.blinded_msg)).to_bytes()


def issue_token_response(private_key: rsa.RSAPrivateKey, token_request: bytes) -> bytes:
    """The issuer's TokenResponse to ``token_request`` (RFC 9578 section 6.2).

    Raises :class:`~zkcheck.errors.DecodeError` for a malformed request, one
    of another token type or one whose blinded message is not below the
    modulus, and :class:`~zkcheck.errors.UntrustedIssuer` when its truncated
    key id is not this key's (RFC 9578 answers all of these with HTTP 422).
    """
    request = TokenRequest.from_bytes(token_request)
    token_key = TokenKey.from_public_key(private_key.public_key())
    if request.truncated_token_key_id != token_key.truncated_token_key_id:
        raise UntrustedIssuer("the token request names no key of this issuer")
    return _issue(private_key, request)


class IssuerKeyring:
    """An issuer's signing keys of type 0x0002, found by the request's truncated key id.

    RFC 9578 section 6.5 asks issuers to keep the truncated ids of keys in
    rotation distinct, so keys whose truncated ids collide are refused
    (``ValueError``). An operator with one issuer name per check keeps one
    keyring per name, holding the keys in rotation under that name (this
    epoch's and the next); when a new key is refused, it draws another.
    """

    def __init__(self, private_keys: Iterable[rsa.RSAPrivateKey]) -> None:
        self._keys: dict[int, tuple[rsa.RSAPrivateKey, TokenKey]] = {}
        for private_key in private_keys:
            token_key = TokenKey.from_public_key(private_key.public_key())
            if token_key.truncated_token_key_id in self._keys:
                raise ValueError("two keys share a truncated token key id")
            self._keys[token_key.truncated_token_key_id] = (private_key, token_key)

    @property
    def token_keys(self) -> tuple[TokenKey, ...]:
        """The public keys, to publish in the issuer directory."""
        return tuple(token_key for _, token_key in self._keys.values())

    def issue_token_response(self, token_request: bytes) -> bytes:
        """As :func:`issue_token_response`, with the key the request names."""
        request = TokenRequest.from_bytes(token_request)
        entry = self._keys.get(request.truncated_token_key_id)
        if entry is None:
            raise UntrustedIssuer("the token request names no key of this issuer")
        return _issue(entry[0], request)


# --- Origin (RFC 9578 section 6.4, RFC 9577 section 2.2.3) -----------------------------------


def verify_parsed_token(token_key: TokenKey, token: Token, challenge: TokenChallenge) -> None:
    """:func:`verify_token` for a token already parsed, under a key already loaded.

    For callers that read the token's key id first to find its key (as an
    :class:`OriginKeyring` does), so the token is parsed and the key loaded once.
    """
    _check_token_type(challenge.token_type, "TokenChallenge")
    # Both comparisons run, so the failure does not say which field differed.
    same_challenge = hmac.compare_digest(token.challenge_digest, challenge.digest())
    same_key = hmac.compare_digest(token.token_key_id, token_key.token_key_id)
    if not (same_challenge & same_key):
        raise InvalidSignature("token invalid")
    try:
        verify(token_key.public_key, token.authenticator_input(), token.authenticator, VARIANT)
    except InvalidSignature:
        raise InvalidSignature("token invalid") from None


def verify_token(issuer_spki: bytes, token: bytes, challenge: TokenChallenge) -> None:
    """Check that ``token`` answers ``challenge`` under the issuer key ``issuer_spki``.

    RFC 9578 section 6.4: RSASSA-PSS-VERIFY (SHA-384, MGF1-SHA-384, 48-byte
    salt) of the authenticator over the token authenticator input, after
    checking that the token names this challenge and this key. Returns None;
    raises :class:`~zkcheck.errors.DecodeError` for malformed input (token,
    key, or a challenge of another type) and
    :class:`~zkcheck.errors.InvalidSignature` for a token that does not
    verify. Double-spending is the caller's to prevent (RFC 9577 section 2.2.2).
    """
    token_key = TokenKey.from_spki(issuer_spki)
    verify_parsed_token(token_key, Token.from_bytes(token), challenge)


class OriginKeyring:
    """The issuer keys an origin accepts, found by the token's key id."""

    def __init__(self, issuer_spkis: Iterable[bytes]) -> None:
        self._keys: dict[bytes, TokenKey] = {}
        for spki in issuer_spkis:
            token_key = TokenKey.from_spki(spki)
            self._keys[token_key.token_key_id] = token_key

    def find(self, token_key_id: bytes) -> TokenKey:
        """The key with this id, or :class:`~zkcheck.errors.UntrustedIssuer`."""
        token_key = self._keys.get(bytes(token_key_id))
        if token_key is None:
            raise UntrustedIssuer("token key unknown")
        return token_key

    def verify_token(self, token: bytes, challenge: TokenChallenge) -> TokenKey:
        """As :func:`verify_token`, with the key the token names.

        Returns the key that verified the token, so that the caller knows
        which issuer key (and so which check and epoch) the token answers;
        failure raises as :func:`verify_token` does, and a token whose key id
        is not in the keyring raises :class:`~zkcheck.errors.UntrustedIssuer`.
        """
        parsed = Token.from_bytes(token)
        token_key = self.find(parsed.token_key_id)
        verify_parsed_token(token_key, parsed, challenge)
        return token_key


# --- HTTP headers (RFC 9577 sections 2.1.2-2.2.2) --------------------------------------------


@dataclass(frozen=True)
class PrivateTokenChallenge:
    """One PrivateToken challenge of a WWW-Authenticate header (RFC 9577 section 2.1.2).

    ``token_key`` is the issuer key's encoding for the token type (for type
    0x0002 the SPKI bytes) or None when the origin leaves it out;
    ``max_age`` is in seconds.
    """

    challenge: TokenChallenge
    token_key: bytes | None = None
    max_age: int | None = None

    def __post_init__(self) -> None:
        if self.max_age is not None and self.max_age < 0:
            raise ValueError("max-age is a number of seconds")


_TCHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_AUTH_PARAM = re.compile(rf"({_TCHARS})[ \t]*=[ \t]*({_TCHARS}|{_QUOTED})")
_SCHEME = re.compile(rf"({_TCHARS})(?:[ ]+(.*))?", re.DOTALL)
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_DELTA_SECONDS = re.compile(r"[0-9]{1,18}")


def _split_list(value: str) -> list[str]:
    """The elements of an RFC 9110 section 5.6.1 list: commas outside quoted strings."""
    elements: list[str] = []
    start, index, quoted = 0, 0, False
    while index < len(value):
        character = value[index]
        if quoted and character == "\\":
            index += 1  # a quoted-pair: the next character is taken literally
        elif character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            elements.append(value[start:index].strip(" \t"))
            start = index + 1
        index += 1
    if quoted:
        raise DecodeError("authentication header: unterminated quoted-string")
    elements.append(value[start:].strip(" \t"))
    return [element for element in elements if element]


def _unquote(value: str) -> str:
    if not value.startswith('"'):
        return value
    return re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)


def _parse_challenges(value: str) -> list[tuple[str, list[tuple[str, str]] | None]]:
    """RFC 9110 section 11.6.1 challenges: (lower-case scheme, parameters or None).

    None stands for a token68 instead of parameters. A header that does not
    follow the grammar raises :class:`~zkcheck.errors.DecodeError`.
    """
    if len(value) > _MAX_HEADER_LENGTH:
        raise DecodeError("authentication header too long")
    challenges: list[tuple[str, list[tuple[str, str]] | None]] = []
    for element in _split_list(value):
        parameter = _AUTH_PARAM.fullmatch(element)
        if parameter is not None:
            current = challenges[-1][1] if challenges else None
            if current is None:
                raise DecodeError("authentication header: parameter outside a challenge")
            current.append((parameter[1].lower(), _unquote(parameter[2])))
            continue
        scheme = _SCHEME.fullmatch(element)
        if scheme is None:
            raise DecodeError("authentication header: malformed challenge")
        rest = (scheme[2] or "").lstrip(" ")
        if not rest:
            challenges.append((scheme[1].lower(), []))
        elif (parameter := _AUTH_PARAM.fullmatch(rest)) is not None:
            challenges.append((scheme[1].lower(), [(parameter[1].lower(), _unquote(parameter[2]))]))
        elif _TOKEN68.fullmatch(rest):
            challenges.append((scheme[1].lower(), None))
        else:
            raise DecodeError("authentication header: malformed challenge")
    return challenges


def _private_token_challenge(
    parameters: list[tuple[str, str]], token_types: Collection[int]
) -> PrivateTokenChallenge | None:
    """One PrivateToken challenge, or None when RFC 9577 says to ignore it."""
    values = dict(parameters)
    if len(values) != len(parameters):
        return None  # RFC 9110 section 11.2: each parameter name only once per challenge
    try:
        encoded = _b64url_decode(values["challenge"], "challenge")
        # Section 2.1.1: "Clients MUST ignore challenges with token types they do not support."
        if len(encoded) < 2 or int.from_bytes(encoded[:2], "big") not in token_types:
            return None
        challenge = TokenChallenge.from_bytes(encoded)
        token_key = values.get("token-key")
        max_age = values.get("max-age")
        if max_age is not None and not _DELTA_SECONDS.fullmatch(max_age):
            return None
        return PrivateTokenChallenge(
            challenge,
            None if token_key is None else _b64url_decode(token_key, "token-key"),
            None if max_age is None else int(max_age),
        )
    except (KeyError, DecodeError):
        # A missing challenge, bad base64url or a malformed TokenChallenge (a redemption
        # context of invalid length among them): section 2.1.3 says not to use it.
        return None


def parse_www_authenticate(
    value: str, *, token_types: Collection[int] = (TOKEN_TYPE_BLIND_RSA,)
) -> list[PrivateTokenChallenge]:
    """The usable PrivateToken challenges of a WWW-Authenticate field value, in order.

    Challenges of other schemes, of token types not in ``token_types``, or
    malformed ones are skipped, and unknown parameters are ignored (RFC 9577
    sections 2.1.1-2.1.3). Only a field value that does not follow the RFC
    9110 grammar at all raises :class:`~zkcheck.errors.DecodeError`.
    """
    found = []
    for scheme, parameters in _parse_challenges(value):
        if scheme != "privatetoken" or parameters is None:
            continue
        challenge = _private_token_challenge(parameters, token_types)
        if challenge is not None:
            found.append(challenge)
    return found


def build_www_authenticate(challenges: Iterable[PrivateTokenChallenge]) -> str:
    """A WWW-Authenticate field value carrying ``challenges`` (RFC 9577 section 2.1.2)."""
    rendered = []
    for item in challenges:
        parameters = [f'challenge="{_b64url_encode(item.challenge.to_bytes())}"']
        if item.token_key is not None:
            parameters.append(f'token-key="{_b64url_encode(item.token_key)}"')
        if item.max_age is not None:
            parameters.append(f'max-age="{item.max_age}"')
        rendered.append("PrivateToken " + ", ".join(parameters))
    if not rendered:
        raise ValueError("a WWW-Authenticate header needs at least one challenge")
    return ", ".join(rendered)


def build_authorization(token: bytes) -> str:
    """An Authorization field value presenting ``token`` (RFC 9577 section 2.2.2)."""
    return f'PrivateToken token="{_b64url_encode(token)}"'


def parse_authorization(value: str) -> bytes:
    """The token bytes of an Authorization field value with the PrivateToken scheme.

    Unknown parameters are ignored (RFC 9577 section 2.2.2). Another scheme,
    a missing or repeated ``token`` or bad base64url raises
    :class:`~zkcheck.errors.DecodeError`. The bytes are not parsed: an
    origin passes them to :func:`verify_token`.
    """
    challenges = _parse_challenges(value)
    if len(challenges) != 1 or challenges[0][0] != "privatetoken" or challenges[0][1] is None:
        raise DecodeError("Authorization: not one PrivateToken credential")
    tokens = [value for name, value in challenges[0][1] if name == "token"]
    if len(tokens) != 1:
        raise DecodeError("Authorization: not exactly one token parameter")
    return _b64url_decode(tokens[0], "token")


# --- Issuer directory (RFC 9578 section 4) ---------------------------------------------------


@dataclass(frozen=True)
class DirectoryTokenKey:
    """One "token-keys" entry of the issuer directory (RFC 9578 section 4)."""

    token_type: int
    token_key: bytes
    not_before: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.token_type <= 0xFFFF:
            raise DecodeError("issuer directory: token-type is not a uint16")
        if self.not_before is not None and self.not_before < 0:
            raise DecodeError("issuer directory: not-before is negative")


@dataclass(frozen=True)
class IssuerDirectory:
    """The issuer directory served at :data:`ISSUER_DIRECTORY_PATH` (RFC 9578 section 4).

    Keys are listed in the issuer's order of preference.
    """

    issuer_request_uri: str
    token_keys: tuple[DirectoryTokenKey, ...]

    def select_token_key(self, token_type: int, now: int) -> DirectoryTokenKey:
        """The first key of ``token_type`` without "not-before" or with it at or before ``now``.

        ``now`` is a UNIX time in seconds. Raises
        :class:`~zkcheck.errors.UntrustedIssuer` when no key is usable.
        """
        for entry in self.token_keys:
            if entry.token_type == token_type and (
                entry.not_before is None or entry.not_before <= now
            ):
                return entry
        raise UntrustedIssuer("the issuer directory has no usable key of this type")

    def to_json(self) -> bytes:
        keys: list[dict[str, Any]] = []
        for entry in self.token_keys:
            item: dict[str, Any] = {
                "token-type": entry.token_type,
                "token-key": _b64url_encode(entry.token_key),
            }
            if entry.not_before is not None:
                item["not-before"] = entry.not_before
            keys.append(item)
        document = {"issuer-request-uri": self.issuer_request_uri, "token-keys": keys}
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> IssuerDirectory:
        """Parse a directory; unknown fields are ignored, anything malformed raises DecodeError."""
        if len(data) > _MAX_DIRECTORY_LENGTH:
            raise DecodeError("issuer directory too large")
        try:
            document = json.loads(bytes(data).decode("utf-8"), object_pairs_hook=_unique_keys)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise DecodeError("issuer directory: not JSON") from error
        if not isinstance(document, dict):
            raise DecodeError("issuer directory: not a JSON object")
        uri, keys = document.get("issuer-request-uri"), document.get("token-keys")
        if not isinstance(uri, str) or not isinstance(keys, list):
            raise DecodeError("issuer directory: issuer-request-uri or token-keys missing")
        return cls(uri, tuple(_directory_key(entry) for entry in keys))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate member name")
    return document


def _json_integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _directory_key(entry: object) -> DirectoryTokenKey:
    if not isinstance(entry, dict):
        raise DecodeError("issuer directory: token-keys entry is not an object")
    token_type, token_key = entry.get("token-type"), entry.get("token-key")
    not_before = entry.get("not-before")
    if not _json_integer(token_type) or not isinstance(token_key, str):
        raise DecodeError("issuer directory: token-type or token-key missing")
    if not_before is not None and not _json_integer(not_before):
        raise DecodeError("issuer directory: not-before is not an integer")
    return DirectoryTokenKey(token_type, _b64url_decode(token_key, "token-key"), not_before)
