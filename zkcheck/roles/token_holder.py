"""The user's phone in the token tier: a Privacy Pass client (spec/07-token-tier.md).

For a verifier's request and its RFC 9577 challenges the holder

1. checks every challenge against the request: the verifier is its only
   origin, the issuer name is one of an accepted operator's for a check the
   request asks, and the redemption context is the one the check's kind
   prescribes (empty for static facts, derived from the request otherwise),
   so a verifier cannot slip a tracking value into a challenge;
2. finds the issuer's key as a standard client does, in the issuer
   directory, and checks that it is the key the trust anchors list for that
   issuer name and the current epoch (key consistency: a key made for one
   subscriber would not be listed);
3. asks the operator for tokens it does not hold yet (:class:`TokenAsk`):
   one for a per-request check, ``batch`` for a static one, cached for this
   verifier's later requests;
4. presents one unused token per check and forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from zkcheck.encoding.messages import Presentation, Request
from zkcheck.encoding.token import (
    Redemption,
    encode_token_body,
    redemption_of,
    token_challenge,
)
from zkcheck.errors import PolicyError
from zkcheck.hazmat.privacypass import (
    TOKEN_TYPE_BLIND_RSA,
    IssuerDirectory,
    TokenChallenge,
    TokenRequestState,
    create_token_request,
    finalize_token,
    parse_www_authenticate,
    token_key_id,
)
from zkcheck.roles._token import TIER, accepted_operators
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.token_keys import TokenKeyEntry

__all__ = ["TokenAsk", "TokenHolder"]

_MAX_BATCH = 64


class TokenAsk:
    """One TokenRequest to send to the issuer named ``issuer_name``, and what the holder
    keeps to finish it (secret: never printed, never pickled)."""

    __slots__ = ("_challenge_digest", "_key", "_state", "issuer_name", "token_request")

    def __init__(
        self,
        key: TokenKeyEntry,
        token_request: bytes,
        state: TokenRequestState,
        challenge_digest: bytes,
    ) -> None:
        self.issuer_name = key.issuer_name
        self.token_request = token_request
        self._key = key
        self._state = state
        self._challenge_digest = challenge_digest

    def __repr__(self) -> str:
        return f"TokenAsk({self.issuer_name}, <redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a token request in progress cannot be pickled")


@dataclass(frozen=True)
class _Held:
    token: bytes
    key: TokenKeyEntry


class TokenHolder:
    """A wallet of Privacy Pass tokens, keyed by the challenge each answers.

    ``directory`` fetches an issuer's directory document by issuer name (in
    deployment, ``https://<issuer name>/.well-known/private-token-issuer-directory``).
    """

    def __init__(
        self, trust: TrustAnchors, *, clock: Clock, directory: Callable[[str], bytes]
    ) -> None:
        self._trust = trust
        self._clock = clock
        self._directory = directory
        self._tokens: dict[bytes, list[_Held]] = {}

    def request_tokens(
        self, request: Request | bytes, challenges: str, *, batch: int = 1
    ) -> tuple[TokenAsk, ...]:
        """The TokenRequests needed to answer ``request`` under ``challenges`` (its
        WWW-Authenticate value): none for a challenge the wallet already holds a
        token for.

        Raises :class:`PolicyError` when a challenge does not match the request
        or the directory's key is not the one the trust anchors list, and
        :class:`~zkcheck.errors.UntrustedIssuer` for an unknown key.
        """
        if not 1 <= batch <= _MAX_BATCH:
            raise ValueError(f"ask for 1..{_MAX_BATCH} cached tokens at a time")
        if isinstance(request, bytes):
            request = Request.from_bytes(request)
        if TIER not in request.tiers:
            raise PolicyError("the request does not accept tokens")
        now = epoch_seconds(self._clock.now())
        asks = []
        for challenge, key in self._accepted(request, challenges, now):
            digest = challenge.digest()
            if self._unused(digest, now):
                continue
            count = batch if redemption_of(key.check) is Redemption.CACHED else 1
            for _ in range(count):
                token_request, state = create_token_request(key.spki, challenge)
                asks.append(TokenAsk(key, token_request, state, digest))
        return tuple(asks)

    def _accepted(
        self, request: Request, header: str, now: int
    ) -> list[tuple[TokenChallenge, TokenKeyEntry]]:
        accepted = []
        request_digest = request.digest()
        for item in parse_www_authenticate(header):
            challenge = item.challenge
            document = IssuerDirectory.from_json(self._directory(challenge.issuer_name))
            spki = document.select_token_key(TOKEN_TYPE_BLIND_RSA, now).token_key
            # Raises UntrustedIssuer or Expired unless the key is listed and valid now.
            operator, key = self._trust.find_token_key(token_key_id(spki), now)
            if key.issuer_name != challenge.issuer_name:
                raise PolicyError("the issuer's key is not the one the trust anchors list")
            if item.token_key is not None and item.token_key != spki:
                raise PolicyError("the challenge names another key than the issuer's")
            not_accepted = request.operators and operator.operator_id not in request.operators
            if not_accepted or key.check not in request.checks:
                raise PolicyError("a challenge for a check or operator the request does not ask")
            expected = token_challenge(
                key.issuer_name, key.check, request.verifier_id, request_digest
            )
            if challenge != expected:
                raise PolicyError("a challenge does not match the request")
            accepted.append((challenge, key))
        if not accepted:
            raise PolicyError("no usable token challenge")
        return accepted

    def _unused(self, challenge_digest: bytes, now: int) -> list[_Held]:
        """The unexpired tokens held for a challenge (expired ones are forgotten)."""
        held = [
            entry for entry in self._tokens.get(challenge_digest, []) if entry.key.valid_at(now)
        ]
        if held:
            self._tokens[challenge_digest] = held
        else:
            self._tokens.pop(challenge_digest, None)
        return held

    def receive(self, ask: TokenAsk, token_response: bytes) -> None:
        """Finish ``ask`` with the operator's TokenResponse and keep the token.

        Raises :class:`~zkcheck.errors.InvalidSignature` when the unblinded
        token does not verify under the key asked (RFC 9578 section 6.3).
        """
        token = finalize_token(ask._state, token_response)
        self._tokens.setdefault(ask._challenge_digest, []).append(_Held(token, ask._key))

    def remaining(self) -> int:
        """Unused tokens held (expired ones are dropped when next looked up)."""
        return sum(len(held) for held in self._tokens.values())

    def present(self, request: Request | bytes) -> Presentation:
        """Answer ``request`` with one unused token per check asked, then forget them.

        The tokens come from one operator the request accepts (the one that
        answers most checks), each for the challenge the request implies and
        under a key whose epoch contains now and started no longer ago than
        the request's maximum age. Raises :class:`PolicyError` when no held
        token qualifies.
        """
        if isinstance(request, bytes):
            request = Request.from_bytes(request)
        if TIER not in request.tiers:
            raise PolicyError("the request does not accept tokens")
        now = epoch_seconds(self._clock.now())
        request_digest = request.digest()
        best: list[tuple[bytes, _Held]] = []
        for operator in accepted_operators(request, self._trust):
            chosen = []
            for check in request.checks:
                issuer_name = operator.token_issuer_name(check)
                if issuer_name is None:
                    continue
                digest = token_challenge(
                    issuer_name, check, request.verifier_id, request_digest
                ).digest()
                fresh = [
                    held
                    for held in self._unused(digest, now)
                    if now - held.key.not_before <= request.max_age
                ]
                if fresh:
                    chosen.append((digest, fresh[0]))
            if len(chosen) > len(best):
                best = chosen
        if not best:
            raise PolicyError("no held token answers this request")
        for digest, held in best:
            self._tokens[digest].remove(held)
        body = encode_token_body(held.token for _, held in best)
        return Presentation(TIER, request.nonce, body)
