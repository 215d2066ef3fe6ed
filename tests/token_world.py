"""A small world for token-tier tests: an operator issuing tokens for two checks,
demo subscribers, an attester, a clock, and a pool of RSA keys shared by every
test (generating 2048-bit keys is the slow part)."""

from __future__ import annotations

import functools
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from tests.attest_world import ADULT, START
from zkcheck.claims import Check, Menu
from zkcheck.encoding.cose import COSESigningKey
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.encoding.token import encode_token_body, token_challenge
from zkcheck.hazmat.blind_rsa import generate_private_key
from zkcheck.hazmat.privacypass import TokenChallenge, create_token_request, finalize_token
from zkcheck.roles import InsecureTestAttester, Policy, TokenHolder, TokenIssuer, Verifier
from zkcheck.sources import MemorySubscriberSource, demo_subscribers
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.authority import AuthorityKey
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.federation import private_list
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet
from zkcheck.trust.nonces import NonceStore
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_client import TrustListAnchors

OPERATOR = "operator-a.example"
DOMAIN = "tokens.operator-a.example"
AGE = Check.age_over(18)
SWAP = Check.sim_swap(72)
MENU = Menu(frozenset({AGE, SWAP, Check.number()}))
WEEK = 7 * 86_400
AGE_MAX_AGE = WEEK + 86_400

_POOL_SIZE = 16


@functools.cache
def key_pool() -> tuple[rsa.RSAPrivateKey, ...]:
    """Keys generated once per test session."""
    return tuple(generate_private_key() for _ in range(_POOL_SIZE))


_draws = itertools.count()


def pooled_key() -> rsa.RSAPrivateKey:
    """The next key of the pool, round and round: distinct for up to 16 draws in a row."""
    return key_pool()[next(_draws) % _POOL_SIZE]


@dataclass
class TokenWorld:
    clock: FixedClock
    attester: InsecureTestAttester
    issuer: TokenIssuer
    signing_key: COSESigningKey

    def entry(self) -> OperatorEntry:
        return OperatorEntry.create(
            self.issuer.operator_id,
            [self.signing_key.public_key],
            self.issuer.menu,
            self.issuer.token_keys(),
        )

    def keyset(self, *others: TokenWorld) -> OperatorKeySet:
        return OperatorKeySet((self.entry(), *(other.entry() for other in others)))

    def trust_list(self, *others: TokenWorld) -> tuple[AuthorityKey, bytes]:
        """A signed trust list of this operator (and ``others``), and the key to pin."""
        entries = (self.entry(), *(other.entry() for other in others))
        pin, signed = private_list(entries, now=epoch_seconds(self.clock.now()))
        return pin, signed.to_bytes()

    def trust(self, *others: TokenWorld) -> TrustListAnchors:
        """Trust anchors holding :meth:`trust_list`."""
        pin, data = self.trust_list(*others)
        anchors = TrustListAnchors(pin, clock=self.clock)
        anchors.load(data)
        return anchors

    def holder(self, trust: TrustAnchors | None = None) -> TokenHolder:
        anchors = trust if trust is not None else self.trust()
        return TokenHolder(anchors, clock=self.clock, directory=self.issuer.directory)

    def verifier(
        self,
        required: tuple[Check, ...],
        *,
        verifier_id: str = "rp.example",
        max_age: int = 3600,
        optional: tuple[Check, ...] = (),
        trust: TrustAnchors | None = None,
        nonces: NonceStore | None = None,
    ) -> Verifier:
        policy = Policy(
            verifier_id,
            required,
            (self.issuer.operator_id,),
            optional=optional,
            tiers=("token",),
            max_age=max_age,
        )
        anchors = trust if trust is not None else self.trust()
        return Verifier(policy, anchors, clock=self.clock, nonces=nonces)

    def fetch(
        self,
        holder: TokenHolder,
        request: Request,
        header: str,
        *,
        msisdn: str = ADULT,
        batch: int = 1,
    ) -> int:
        """Ask the operator for every token ``holder`` needs; returns how many were issued."""
        asks = holder.request_tokens(request, header, batch=batch)
        evidence = self.attester.enrol(msisdn)
        for ask in asks:
            holder.receive(ask, self.issuer.issue(ask.issuer_name, ask.token_request, evidence))
        return len(asks)

    def key(self, check: Check) -> TokenKeyEntry:
        """The key of the current epoch for ``check``."""
        now = epoch_seconds(self.clock.now())
        entry = self.entry().token_key_at(check, now)
        assert entry is not None
        return entry

    def mint(
        self,
        key: TokenKeyEntry,
        challenge: TokenChallenge,
        *,
        msisdn: str = ADULT,
        nonce: bytes | None = None,
    ) -> bytes:
        """A token under ``key`` for any ``challenge``, as any client can have one made:
        the operator signs blind, so it never sees the challenge. ``nonce`` is the
        token nonce a client may choose (default: random)."""
        rng: Callable[[int], bytes] | None = None
        if nonce is not None:
            draws = [nonce]  # the first draw of create_token_request is the nonce

            def chosen_first(size: int) -> bytes:
                return draws.pop() if draws else secrets.token_bytes(size)

            rng = chosen_first
        token_request, state = create_token_request(key.spki, challenge, rng=rng)
        evidence = self.attester.enrol(msisdn)
        return finalize_token(state, self.issuer.issue(key.issuer_name, token_request, evidence))

    def mint_for(
        self,
        check: Check,
        request: Request,
        *,
        key: TokenKeyEntry | None = None,
        nonce: bytes | None = None,
    ) -> bytes:
        """A token answering ``request`` for ``check`` under ``key`` (default: the check's own)."""
        key = key if key is not None else self.key(check)
        issuer_name = self.issuer.issuer_name(check)
        challenge = token_challenge(issuer_name, check, request.verifier_id, request.digest())
        return self.mint(key, challenge, nonce=nonce)


def presentation(request: Request, *tokens: bytes) -> Presentation:
    return Presentation("token", request.nonce, encode_token_body(tokens))


def make_token_world(
    *, operator: str = OPERATOR, domain: str = DOMAIN, menu: Menu = MENU
) -> TokenWorld:
    clock = FixedClock(START)
    source = MemorySubscriberSource(demo_subscribers(START))
    attester = InsecureTestAttester()
    issuer = TokenIssuer(
        operator, source, attester, clock=clock, domain=domain, menu=menu, new_key=pooled_key
    )
    return TokenWorld(clock, attester, issuer, COSESigningKey.generate())


def until_epoch_end(world: TokenWorld, check: Check) -> timedelta:
    """The time left in the current epoch of ``check``."""
    return timedelta(seconds=world.key(check).not_after - epoch_seconds(world.clock.now()))
