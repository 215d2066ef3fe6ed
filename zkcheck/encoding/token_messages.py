"""The token tier's messages as zkcheck messages, so each step can go through a file
(spec/07-token-tier.md, "Files").

RFC 9577 and RFC 9578 carry the token tier's messages in HTTP: the challenges
in a ``WWW-Authenticate`` field, a TokenRequest posted to the request URL of
an issuer name and the TokenResponse in the reply, one issuer directory per
issuer name at a well-known URL. To run each party's step from files like the
rest of zkcheck, each travels inside a versioned zkcheck message, byte for
byte as the RFCs define it, with what the HTTP exchange would have said around
it::

    {0: 1, 1: "token-challenge",   2: WWW-Authenticate field value}      verifier -> phone
    {0: 1, 1: "token-directories", 2: [[issuer name, directory], ...]}   operator -> anyone
    {0: 1, 1: "token-request",     2: [[issuer name, TokenRequest], ...]}  phone -> operator
    {0: 1, 1: "token-response",    2: [[request id, TokenResponse], ...]}  operator -> phone

The request id of a TokenRequest is its SHA-256 (:func:`token_request_id`):
the operator answers only the TokenRequests whose check holds, and the phone
finds the one each answer belongs to. The operator has seen the TokenRequest,
so its digest tells nobody anything new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from zkcheck.encoding.cbor import encode
from zkcheck.encoding.messages import MAX_BATCH, VERSION, message_fields
from zkcheck.encoding.token import check_server_name
from zkcheck.errors import DecodeError, UntrustedIssuer
from zkcheck.hazmat.privacypass import (
    NK,
    IssuerDirectory,
    PrivateTokenChallenge,
    TokenRequest,
    TokenResponse,
    parse_www_authenticate,
)

__all__ = [
    "ISSUER_REQUEST_PATH",
    "REQUEST_ID_SIZE",
    "IssuerDirectories",
    "TokenChallengeHeader",
    "TokenIssuanceRequest",
    "TokenIssuanceResponse",
    "token_request_id",
]

ISSUER_REQUEST_PATH = "/token-request"
"""Where, under its issuer name, each issuer receives TokenRequests."""

REQUEST_ID_SIZE = 32
TOKEN_REQUEST_SIZE = 3 + NK
"""Bytes of a type 0x0002 TokenRequest: 259."""

_MAX_HEADER = 16 * 1024
_MAX_DIRECTORIES = 256
_MAX_DIRECTORIES_SIZE = 1024 * 1024


def token_request_id(token_request: bytes) -> bytes:
    """The id by which a token-response names the TokenRequest it answers: its SHA-256."""
    return hashlib.sha256(token_request).digest()


def _pairs(value: object, what: str, low: int, high: int) -> list[list[object]]:
    if type(value) is not list or not low <= len(value) <= high:
        raise DecodeError(f"{what} lists {low}..{high} entries")
    for item in value:
        if type(item) is not list or len(item) != 2:
            raise DecodeError(f"an entry of {what} is a pair")
    return value


def _server_name(value: object, what: str) -> str:
    try:
        return check_server_name(value, what)
    except ValueError as exc:
        raise DecodeError(str(exc)) from None


@dataclass(frozen=True)
class TokenChallengeHeader:
    """The verifier's RFC 9577 challenges for one request: the value of the
    ``WWW-Authenticate`` field sent with it, at least one PrivateToken challenge."""

    header: str

    KIND = "token-challenge"

    def __post_init__(self) -> None:
        if type(self.header) is not str or not 0 < len(self.header) <= _MAX_HEADER:
            raise DecodeError(f"a WWW-Authenticate value is text of 1..{_MAX_HEADER} characters")
        if not self.challenges():
            raise DecodeError("no PrivateToken challenge of type 0x0002")

    def challenges(self) -> tuple[PrivateTokenChallenge, ...]:
        """The PrivateToken challenges of type 0x0002, as a client reads them."""
        return tuple(parse_www_authenticate(self.header))

    def to_bytes(self) -> bytes:
        return encode({0: VERSION, 1: self.KIND, 2: self.header})

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenChallengeHeader:
        fields = message_fields(data, cls.KIND, {2})
        if type(fields[2]) is not str:
            raise DecodeError("a WWW-Authenticate value is text")
        return cls(fields[2])


@dataclass(frozen=True)
class IssuerDirectories:
    """An operator's issuer directory documents (RFC 9578 section 4), by issuer name.

    Each document is the JSON the operator serves at
    ``https://<issuer name>/.well-known/private-token-issuer-directory``,
    unchanged; its ``issuer-request-uri`` must lie under that issuer name.
    Issuer names are sorted and unique.
    """

    documents: tuple[tuple[str, bytes], ...]

    KIND = "token-directories"

    def __post_init__(self) -> None:
        if not 1 <= len(self.documents) <= _MAX_DIRECTORIES:
            raise DecodeError(f"1..{_MAX_DIRECTORIES} issuer directories")
        names = [name for name, _ in self.documents]
        if names != sorted(set(names), key=str.encode):
            raise DecodeError("issuer names are sorted and without repeats")
        for name, document in self.parsed():
            if not document.issuer_request_uri.startswith(f"https://{name}/"):
                raise DecodeError("a directory's request URI lies under its issuer name")

    def parsed(self) -> tuple[tuple[str, IssuerDirectory], ...]:
        """Each issuer name with its directory document parsed."""
        return tuple(
            (name, IssuerDirectory.from_json(document)) for name, document in self.documents
        )

    def document(self, issuer_name: str) -> bytes:
        """The directory of ``issuer_name``; :class:`UntrustedIssuer` if none is listed."""
        for name, document in self.documents:
            if name == issuer_name:
                return document
        raise UntrustedIssuer("no directory for this issuer name")

    def to_bytes(self) -> bytes:
        return encode({0: VERSION, 1: self.KIND, 2: [[name, doc] for name, doc in self.documents]})

    @classmethod
    def from_bytes(cls, data: bytes) -> IssuerDirectories:
        fields = message_fields(data, cls.KIND, {2}, max_size=_MAX_DIRECTORIES_SIZE)
        documents = []
        for name, document in _pairs(fields[2], "directories", 1, _MAX_DIRECTORIES):
            if type(document) is not bytes:
                raise DecodeError("a directory is the bytes of its JSON document")
            documents.append((_server_name(name, "an issuer name"), document))
        return cls(tuple(documents))


@dataclass(frozen=True)
class TokenIssuanceRequest:
    """The phone's TokenRequests (RFC 9578 section 6.1), each with the issuer name it is
    sent to. Nothing in it names a verifier: the challenge is blinded inside."""

    token_requests: tuple[tuple[str, bytes], ...]

    KIND = "token-request"

    def __post_init__(self) -> None:
        if not 1 <= len(self.token_requests) <= MAX_BATCH:
            raise DecodeError(f"1..{MAX_BATCH} TokenRequests")
        ids = {token_request_id(request) for _, request in self.token_requests}
        if len(ids) != len(self.token_requests):
            raise DecodeError("a TokenRequest appears twice")
        for name, request in self.token_requests:
            _server_name(name, "an issuer name")
            TokenRequest.from_bytes(request)

    def to_bytes(self) -> bytes:
        entries = [[name, request] for name, request in self.token_requests]
        return encode({0: VERSION, 1: self.KIND, 2: entries})

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenIssuanceRequest:
        fields = message_fields(data, cls.KIND, {2})
        entries = []
        for name, request in _pairs(fields[2], "TokenRequests", 1, MAX_BATCH):
            if type(request) is not bytes or len(request) != TOKEN_REQUEST_SIZE:
                raise DecodeError(f"a TokenRequest is {TOKEN_REQUEST_SIZE} bytes")
            entries.append((_server_name(name, "an issuer name"), request))
        return cls(tuple(entries))


@dataclass(frozen=True)
class TokenIssuanceResponse:
    """The operator's TokenResponses (RFC 9578 section 6.2), each with the id of the
    TokenRequest it answers; a TokenRequest whose check does not hold has none."""

    token_responses: tuple[tuple[bytes, bytes], ...]

    KIND = "token-response"

    def __post_init__(self) -> None:
        if not 1 <= len(self.token_responses) <= MAX_BATCH:
            raise DecodeError(f"1..{MAX_BATCH} TokenResponses")
        ids = [request_id for request_id, _ in self.token_responses]
        if len(set(ids)) != len(ids):
            raise DecodeError("a TokenRequest is answered twice")
        for request_id, response in self.token_responses:
            if type(request_id) is not bytes or len(request_id) != REQUEST_ID_SIZE:
                raise DecodeError(f"a request id is {REQUEST_ID_SIZE} bytes")
            TokenResponse.from_bytes(response)

    def to_bytes(self) -> bytes:
        entries = [[request_id, response] for request_id, response in self.token_responses]
        return encode({0: VERSION, 1: self.KIND, 2: entries})

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenIssuanceResponse:
        fields = message_fields(data, cls.KIND, {2})
        entries = []
        for request_id, response in _pairs(fields[2], "TokenResponses", 1, MAX_BATCH):
            if type(request_id) is not bytes or type(response) is not bytes:
                raise DecodeError("a TokenResponse entry is two byte strings")
            entries.append((request_id, response))
        return cls(tuple(entries))
