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

The tokens and the TokenRequests still waiting for an answer live in a
:class:`TokenWallet`, which has a file form (``token-wallet``,
spec/07-token-tier.md, "Files") so the phone's steps can run as separate
commands; the wallet needs no trust anchors, only the holder's asking does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from zkcheck.claims import NUMBER, Check
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.messages import Presentation, Request, check_identifier, message_fields
from zkcheck.encoding.token import (
    TOKEN_LENGTH,
    Redemption,
    encode_token_body,
    redemption_of,
    token_challenge,
)
from zkcheck.encoding.token_messages import (
    TOKEN_REQUEST_SIZE,
    TokenIssuanceRequest,
    TokenIssuanceResponse,
    token_request_id,
)
from zkcheck.errors import DecodeError, PolicyError
from zkcheck.hazmat.privacypass import (
    TOKEN_TYPE_BLIND_RSA,
    IssuerDirectory,
    Token,
    TokenChallenge,
    TokenRequest,
    TokenRequestState,
    create_token_request,
    finalize_token,
    parse_www_authenticate,
    token_key_id,
)
from zkcheck.roles._locking import synchronized
from zkcheck.roles._token import TIER, accepted_operators
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_list import ListedOperator

__all__ = [
    "TOKEN_WALLET_KIND",
    "HeldToken",
    "TokenAsk",
    "TokenHolder",
    "TokenWallet",
    "offered_token_checks",
]

TOKEN_WALLET_KIND = "token-wallet"  # noqa: S105 (a message type)
"""The type (key 1) of a token wallet file."""

_MAX_BATCH = 64
_MAX_WALLET_ENTRIES = 1024
_MAX_WALLET = 4 * 1024 * 1024


class TokenAsk:
    """One TokenRequest to send to the issuer named ``issuer_name``, and what the holder
    keeps to finish it (secret: never printed, never pickled)."""

    __slots__ = ("_key", "_state", "issuer_name", "operator_id", "token_request")

    def __init__(
        self,
        operator_id: str,
        key: TokenKeyEntry,
        token_request: bytes,
        state: TokenRequestState,
    ) -> None:
        self.operator_id = operator_id
        self.issuer_name = key.issuer_name
        self.token_request = token_request
        self._key = key
        self._state = state

    @property
    def key(self) -> TokenKeyEntry:
        """The issuer key the TokenRequest names (public)."""
        return self._key

    def __repr__(self) -> str:
        return f"TokenAsk({self.issuer_name}, <redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a token request in progress cannot be pickled")


@dataclass(frozen=True)
class HeldToken:
    """What a wallet says of a token it holds: whose key and which check and epoch."""

    operator_id: str
    key: TokenKeyEntry


@dataclass(frozen=True)
class _Held:
    token: bytes
    key: TokenKeyEntry
    operator_id: str


class TokenWallet:
    """The phone's unused tokens, by the challenge each answers, and its TokenRequests
    waiting for the operator's answer. Holds secrets: bearer tokens and blinding
    inverses; never printed, never pickled.
    """

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._tokens: dict[bytes, list[_Held]] = {}
        self._pending: dict[bytes, TokenAsk] = {}

    def __repr__(self) -> str:
        return f"TokenWallet({self.remaining()} tokens, {self.pending()} pending, <redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a token wallet cannot be pickled; use export_wallet()")

    def _now(self) -> int:
        return epoch_seconds(self._clock.now())

    @synchronized
    def _expect(self, asks: tuple[TokenAsk, ...]) -> None:
        """Keep ``asks`` until their answers arrive; asks whose epoch has ended are dropped."""
        now = self._now()
        for request_id in [
            request_id for request_id, ask in self._pending.items() if not now < ask._key.not_after
        ]:
            del self._pending[request_id]
        for ask in asks:
            self._pending[token_request_id(ask.token_request)] = ask
        while len(self._pending) > _MAX_WALLET_ENTRIES:
            del self._pending[next(iter(self._pending))]

    @synchronized
    def receive(self, ask: TokenAsk, token_response: bytes) -> None:
        """Finish ``ask`` with the operator's TokenResponse and keep the token.

        Raises :class:`~zkcheck.errors.InvalidSignature` when the unblinded
        token does not verify under the key asked (RFC 9578 section 6.3).
        """
        token = finalize_token(ask._state, token_response)
        self._pending.pop(token_request_id(ask.token_request), None)
        digest = ask._state.export()[1]
        self._tokens.setdefault(digest, []).append(_Held(token, ask._key, ask.operator_id))

    @synchronized
    def receive_issuance(self, response: TokenIssuanceResponse | bytes) -> int:
        """Finish every TokenRequest a ``token-response`` answers; returns how many tokens
        were kept. Raises :class:`DecodeError` for an answer to no TokenRequest of
        this wallet, and what :meth:`receive` raises."""
        if isinstance(response, bytes):
            response = TokenIssuanceResponse.from_bytes(response)
        asks = []
        for request_id, token_response in response.token_responses:
            ask = self._pending.get(request_id)
            if ask is None:
                raise DecodeError("a TokenResponse answers no TokenRequest of this wallet")
            asks.append((ask, token_response))
        for ask, token_response in asks:
            self.receive(ask, token_response)
        return len(asks)

    @synchronized
    def remaining(self) -> int:
        """Unused tokens held (expired ones are dropped when next looked up)."""
        return sum(len(held) for held in self._tokens.values())

    @synchronized
    def pending(self) -> int:
        """TokenRequests waiting for an answer."""
        return len(self._pending)

    @synchronized
    def held(self) -> tuple[HeldToken, ...]:
        """The unused tokens, described by their keys."""
        return tuple(
            HeldToken(held.operator_id, held.key)
            for entries in self._tokens.values()
            for held in entries
        )

    @synchronized
    def waiting(self) -> tuple[HeldToken, ...]:
        """The TokenRequests waiting for an answer, described by their keys."""
        return tuple(HeldToken(ask.operator_id, ask._key) for ask in self._pending.values())

    @synchronized
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

    @synchronized
    def present(
        self, request: Request | bytes, *, offered: Mapping[str, frozenset[Check]] | None = None
    ) -> Presentation:
        """Answer ``request`` with one unused token per check asked, then forget them.

        The tokens come from one operator the request accepts (a request that
        names no operator accepts every one whose tokens the wallet holds),
        each for the challenge the request implies for its key's issuer name
        and check, under a key whose epoch contains now and started no longer
        ago than the request's maximum age. There is a token for every check
        of the request that the operator answers with tokens, optional ones
        included, or no presentation: leaving one out would tell the verifier
        that it does not hold (spec/10-privacy.md, "Declined and failed
        presentations"). ``offered`` gives, by operator id, the checks it
        answers with tokens (:func:`offered_token_checks`); without it, every
        check but ``number``. Raises :class:`PolicyError` when no held token
        qualifies.
        """
        if isinstance(request, bytes):
            request = Request.from_bytes(request)
        if TIER not in request.tiers:
            raise PolicyError("the request does not accept tokens")
        now = self._now()
        request_digest = request.digest()
        # The issuer names each operator's tokens were asked under, by check.
        names: dict[tuple[str, Check], set[str]] = {}
        for entries in self._tokens.values():
            for held in entries:
                names.setdefault((held.operator_id, held.key.check), set()).add(
                    held.key.issuer_name
                )
        accepted = request.operators or sorted({operator_id for operator_id, _ in names})
        asked = frozenset(check for check in request.checks if check != NUMBER)
        best: list[tuple[bytes, _Held]] = []
        for operator_id in accepted:
            needed = asked if offered is None else asked & offered.get(operator_id, asked)
            chosen = []
            for check in request.checks:
                if check == NUMBER:
                    continue
                for issuer_name in sorted(names.get((operator_id, check), ())):
                    digest = token_challenge(
                        issuer_name, check, request.verifier_id, request_digest
                    ).digest()
                    fresh = [
                        held
                        for held in self._unused(digest, now)
                        if held.operator_id == operator_id
                        and now - held.key.not_before <= request.max_age
                    ]
                    if fresh:
                        chosen.append((digest, fresh[0]))
                        break
            if needed <= {held.key.check for _, held in chosen} and len(chosen) > len(best):
                best = chosen
        if not best:
            raise PolicyError("no held token answers this request")
        for digest, held in best:
            self._tokens[digest].remove(held)
        body = encode_token_body(held.token for _, held in best)
        return Presentation(TIER, request.nonce, body)

    # -- the file form --------------------------------------------------------------------

    @synchronized
    def export_wallet(self) -> bytes:
        """The wallet as bytes, tokens and blinding inverses included: store it as a secret.

        Tokens and TokenRequests whose key's epoch has ended are left out.
        """
        now = self._now()
        held = [
            {1: entry.operator_id, 2: entry.key.to_map(), 3: entry.token}
            for entries in self._tokens.values()
            for entry in entries
            if now < entry.key.not_after
        ]
        pending = []
        for ask in self._pending.values():
            if not now < ask._key.not_after:
                continue
            nonce, digest, inv = ask._state.export()
            pending.append(
                {
                    1: ask.operator_id,
                    2: ask._key.to_map(),
                    3: ask.token_request,
                    4: nonce,
                    5: digest,
                    6: inv.reveal(),
                }
            )
        return encode({0: 1, 1: TOKEN_WALLET_KIND, 2: held, 3: pending})

    @classmethod
    def import_wallet(cls, data: bytes, *, clock: Clock) -> TokenWallet:
        """A wallet restored from :meth:`export_wallet`'s bytes; :class:`DecodeError` for
        anything malformed, or a token or TokenRequest that is not under its key."""
        fields = message_fields(data, TOKEN_WALLET_KIND, {2, 3}, max_size=_MAX_WALLET)
        held, pending = fields[2], fields[3]
        for entries in (held, pending):
            if type(entries) is not list or len(entries) > _MAX_WALLET_ENTRIES:
                raise DecodeError(f"a token wallet lists at most {_MAX_WALLET_ENTRIES} of each")
        wallet = cls(clock=clock)
        for item in held:
            operator_id, key, token = _wallet_entry(item, {1, 2, 3})
            if type(token) is not bytes or len(token) != TOKEN_LENGTH:
                raise DecodeError(f"a token is {TOKEN_LENGTH} bytes")
            parsed = Token.from_bytes(token)
            if parsed.token_key_id != key.token_key_id:
                raise DecodeError("a token is not under the key stored with it")
            wallet._tokens.setdefault(parsed.challenge_digest, []).append(
                _Held(token, key, operator_id)
            )
        for item in pending:
            operator_id, key, token_request = _wallet_entry(item, {1, 2, 3, 4, 5, 6})
            if type(token_request) is not bytes or len(token_request) != TOKEN_REQUEST_SIZE:
                raise DecodeError(f"a TokenRequest is {TOKEN_REQUEST_SIZE} bytes")
            if TokenRequest.from_bytes(token_request).truncated_token_key_id != (
                key.token_key.truncated_token_key_id
            ):
                raise DecodeError("a TokenRequest is not for the key stored with it")
            state = TokenRequestState.restore(key.spki, item[4], item[5], item[6])
            ask = TokenAsk(operator_id, key, token_request, state)
            wallet._pending[token_request_id(token_request)] = ask
        return wallet


def _wallet_entry(item: object, keys: set[int]) -> tuple[str, TokenKeyEntry, object]:
    if not isinstance(item, dict) or set(item) != keys:
        raise DecodeError(f"a token wallet entry has keys {sorted(keys)}")
    operator_id = check_identifier(item[1], "the operator id")
    return operator_id, TokenKeyEntry.from_map(item[2]), item[3]


class TokenHolder:
    """A wallet of Privacy Pass tokens, keyed by the challenge each answers.

    ``directory`` fetches an issuer's directory document by issuer name (in
    deployment, ``https://<issuer name>/.well-known/private-token-issuer-directory``).
    """

    def __init__(
        self,
        trust: TrustAnchors,
        *,
        clock: Clock,
        directory: Callable[[str], bytes],
        wallet: TokenWallet | None = None,
    ) -> None:
        self._trust = trust
        self._clock = clock
        self._directory = directory
        self.wallet = wallet if wallet is not None else TokenWallet(clock=clock)

    def request_tokens(
        self,
        request: Request | bytes,
        challenges: str,
        *,
        batch: int = 1,
        operator_id: str | None = None,
    ) -> tuple[TokenAsk, ...]:
        """The TokenRequests needed to answer ``request`` under ``challenges`` (its
        WWW-Authenticate value): none for a challenge the wallet already holds a
        token for.

        ``operator_id`` is the phone's own operator, the only one that can
        authenticate it: a verifier that accepts every operator on its trust
        list sends a challenge per operator, and those of other operators are
        passed over without a look at their directories. Without it every
        challenge is answered.

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
        for owner, challenge, key in self._accepted(request, challenges, now, operator_id):
            if self.wallet._unused(challenge.digest(), now):
                continue
            count = batch if redemption_of(key.check) is Redemption.CACHED else 1
            for _ in range(count):
                token_request, state = create_token_request(key.spki, challenge)
                asks.append(TokenAsk(owner, key, token_request, state))
        self.wallet._expect(tuple(asks))
        return tuple(asks)

    @staticmethod
    def issuance_request(asks: tuple[TokenAsk, ...]) -> TokenIssuanceRequest:
        """``asks`` as one ``token-request`` for the operator (its file form)."""
        return TokenIssuanceRequest(tuple((ask.issuer_name, ask.token_request) for ask in asks))

    def _accepted(
        self, request: Request, header: str, now: int, operator_id: str | None
    ) -> list[tuple[str, TokenChallenge, TokenKeyEntry]]:
        accepted = []
        request_digest = request.digest()
        if operator_id is not None:
            # The phone's operator, if it is in good standing: it subscribes to no other.
            operator = self._trust.operator(operator_id)
            operators: tuple[ListedOperator, ...] = () if operator is None else (operator,)
        else:
            operators = accepted_operators(request, self._trust)
        # Only the trust list's issuer names for the checks asked are ever fetched: a
        # challenge naming any other host is passed over, so a verifier cannot make the
        # phone contact a server of its choosing (spec/07-token-tier.md, "The holder").
        listed = {op.token_issuer_name(check) for op in operators for check in request.checks}
        seen: set[bytes] = set()
        for item in parse_www_authenticate(header):
            challenge = item.challenge
            if challenge.issuer_name not in listed or challenge.digest() in seen:
                # A repeated challenge is answered once: each repeat would be one more
                # TokenRequest, a count the verifier could pass to the operator.
                continue
            seen.add(challenge.digest())
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
            accepted.append((operator.operator_id, challenge, key))
        # For each operator the header names, every challenge the request implies must be
        # there: a verifier leaving some out would choose which TokenRequests the operator
        # sees, bits it could pass on. Only checks with a key of the current epoch count,
        # which a verifier holding an older trust list also knows.
        named = {operator_id for operator_id, _, _ in accepted}
        expected_digests = {
            token_challenge(name, check, request.verifier_id, request_digest).digest()
            for op in operators
            if op.operator_id in named
            for check in request.checks
            if check != NUMBER
            and (name := op.token_issuer_name(check)) is not None
            and op.token_key_at(check, now) is not None
        }
        if not expected_digests <= seen:
            raise PolicyError("the challenges leave out a check the request asks")
        if not accepted:
            raise PolicyError("no usable token challenge")
        # The operator sees the TokenRequests in this order: the holder's own, not the
        # order of the verifier's header, which could otherwise carry a few bits to it.
        accepted.sort(key=lambda entry: (entry[0], entry[2].issuer_name))
        return accepted

    def receive(self, ask: TokenAsk, token_response: bytes) -> None:
        """Finish ``ask`` with the operator's TokenResponse (:meth:`TokenWallet.receive`)."""
        self.wallet.receive(ask, token_response)

    def remaining(self) -> int:
        """Unused tokens held (expired ones are dropped when next looked up)."""
        return self.wallet.remaining()

    def present(self, request: Request | bytes) -> Presentation:
        """Answer ``request`` with one unused token per check (:meth:`TokenWallet.present`),
        for every check the operator answers with tokens by the trust list."""
        if isinstance(request, bytes):
            request = Request.from_bytes(request)
        offered = offered_token_checks(self._trust, request, epoch_seconds(self._clock.now()))
        return self.wallet.present(request, offered=offered)


def offered_token_checks(
    trust: TrustAnchors, request: Request, now: int
) -> dict[str, frozenset[Check]]:
    """For each operator the request accepts, the checks of ``request`` it answers with
    tokens now: those with a token key on the trust list whose epoch contains now and began
    no longer ago than the request's maximum age (public knowledge: no holder can show a
    token for any other)."""
    offered = {}
    for operator in accepted_operators(request, trust):
        checks = set()
        for check in request.checks:
            key = operator.token_key_at(check, now)
            if key is not None and now - key.not_before <= request.max_age:
                checks.add(check)
        offered[operator.operator_id] = frozenset(checks)
    return offered
