"""The relying party's side: requests, and the verification every tier shares.

:meth:`Verifier.verify` follows spec/04-signed-tier.md, section 4 (and
spec/07-token-tier.md for tokens, spec/08-credential-tier.md for credentials):
it finds the verifier's own stored request by the presentation's nonce, lets the tier
verify its cryptography against that request, applies the policy, consumes
the nonce, and only then constructs a :class:`VerifiedResult`. Every failure
raises a :class:`~zkcheck.errors.ZkcheckError` subclass:

======================================================= =====================
failure                                                 error
======================================================= =====================
malformed bytes                                         DecodeError
a signature (operator's or holder's) or a token does    InvalidSignature
not verify; the holder key is not the one the
attestation names
unknown, revoked or other-tier operator or token key;   UntrustedIssuer
operator suspended, withdrawn or not accepted; a check
outside the operator's published menu
attestation expired (for a token: its key's epoch);     Expired
older than the policy allows; request expired; operator
key outside its validity; trust list expired
nonce unknown or already used; token already spent      Replayed
made for another verifier or another request            WrongVerifier
(a shared nonce store's request of another verifier;
a token for another challenge)
a required check missing; a check not requested;        NotRequested
a tier not accepted; a pseudonym asked and not given
======================================================= =====================
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Mapping

from zkcheck.claims import NUMBER
from zkcheck.encoding.messages import Presentation, Request, ResultRecord
from zkcheck.errors import (
    Expired,
    NotRequested,
    PolicyError,
    Replayed,
    UntrustedIssuer,
    WrongVerifier,
)
from zkcheck.roles._credential import CredentialTier
from zkcheck.roles._signed import SignedTier
from zkcheck.roles._tiers import TierVerifier, VerificationContext
from zkcheck.roles._token import TokenTier, challenge_header
from zkcheck.roles.policy import Policy
from zkcheck.roles.result import VerifiedResult, _mint
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.nonces import MemoryNonceStore, NonceStore

__all__ = ["NONCE_SIZE", "PURGE_INTERVAL", "PURGE_MARGIN", "TIERS", "Verifier", "tiers_serving"]

_CREATED_CACHE = 4096

PURGE_INTERVAL = 60
"""Seconds between two purges of the nonce store by a verifier (when it creates a request)."""

PURGE_MARGIN = 300
"""What a purge forgets has expired at least this long ago (seconds): verifiers sharing a
store may read clocks that differ, and one ahead must not forget a spent token early."""

NONCE_SIZE = 32
"""Bytes of a request nonce (256 bits; the wire format accepts 16..64)."""

TIERS: Mapping[str, TierVerifier] = {
    SignedTier.name: SignedTier(),
    TokenTier.name: TokenTier(),
    CredentialTier.name: CredentialTier(),
}
"""The tiers this installation verifies, by wire name."""


def tiers_serving(policy: Policy) -> tuple[str, ...]:
    """The tiers of ``policy.tiers`` that this installation verifies and that can serve
    the policy: the token tier, for instance, cannot when ``number`` is required or the
    verifier id is not a server name (spec/07-token-tier.md), and only the credential tier
    gives pseudonyms (spec/13-pseudonyms.md)."""
    serving = []
    for name in policy.tiers:
        tier = TIERS.get(name)
        if tier is None or (policy.pseudonym and name != CredentialTier.name):
            continue
        try:
            tier.check_policy(policy)
        except (PolicyError, ValueError):
            continue
        serving.append(name)
    return tuple(serving)


class Verifier:
    """A relying party: creates requests and verifies presentations under a policy."""

    def __init__(
        self,
        policy: Policy,
        trust: TrustAnchors,
        *,
        clock: Clock,
        nonces: NonceStore | None = None,
    ) -> None:
        unsupported = set(policy.tiers) - set(TIERS)
        if unsupported:
            raise ValueError(f"tiers not available: {sorted(unsupported)}")
        for name in policy.tiers:
            TIERS[name].check_policy(policy)
        if policy.pseudonym and set(policy.tiers) != {CredentialTier.name}:
            raise ValueError("only the credential tier gives pseudonyms")
        operators = []
        for operator_id in policy.operators:
            entry = trust.operator(operator_id)
            if entry is None:
                raise ValueError(f"operator {operator_id!r} is not in the trust anchors")
            operators.append(entry)
        if not policy.operators:  # every operator on the trust list, now and later
            operators = list(trust.operators())
        for check in policy.checks:
            if not any(entry.menu.allows(check) for entry in operators):
                raise ValueError(f"no accepted operator answers {check.identifier}")
        self.policy = policy
        self._required = frozenset(policy.required)
        self._asks_number = NUMBER in policy.checks
        self._trust = trust
        self._clock = clock
        self._nonces: NonceStore = nonces if nonces is not None else MemoryNonceStore()
        # Requests this verifier created, already parsed, with the digest of their
        # encoding, by nonce: the store stays the authority on whether a nonce is
        # pending, this only spares decoding and hashing the stored record again.
        # Bounded, oldest dropped first.
        self._created: OrderedDict[bytes, tuple[Request, bytes]] = OrderedDict()
        self._next_purge = 0

    def create_request(self) -> Request:
        """A request with a fresh 256-bit nonce, registered as pending in the nonce store."""
        policy = self.policy
        now = epoch_seconds(self._clock.now())
        request = Request(
            nonce=secrets.token_bytes(NONCE_SIZE),
            verifier_id=policy.verifier_id,
            checks=policy.checks,
            tiers=tuple(policy.tiers),
            operators=tuple(policy.operators),
            max_age=policy.max_age,
            expires_at=now + policy.request_lifetime,
            time=now,
            pseudonym=policy.pseudonym,
        )
        if now >= self._next_purge:
            # The store grows as requests are created; this keeps it to the requests
            # and spent tokens that can still matter (spec/11, "Denial of service").
            # Before registering: a purge that fails leaves no request unanswerable.
            self._nonces.purge(now - PURGE_MARGIN)
            self._next_purge = now + PURGE_INTERVAL
        record = request.to_bytes()
        self._nonces.register(request.nonce, record, request.expires_at)
        self._created[request.nonce] = (request, hashlib.sha256(record).digest())
        if len(self._created) > _CREATED_CACHE:
            self._created.popitem(last=False)
        return request

    def token_challenge_header(self, request: Request) -> str:
        """The RFC 9577 ``WWW-Authenticate`` value to send alongside ``request`` for the
        token tier: one PrivateToken challenge per check and accepted operator
        (spec/07-token-tier.md, "Redemption")."""
        if "token" not in request.tiers:
            raise ValueError("the request does not accept the token tier")
        return challenge_header(request, self._trust, epoch_seconds(self._clock.now()))

    def verify(
        self, presentation: Presentation | bytes, *, number: str | None = None
    ) -> VerifiedResult:
        """Verify a presentation against the request it answers; raise on any failure.

        ``number`` is the phone number the user typed, needed when the policy
        asks ``number``: the presentation then shows ``number`` only if the
        attested digest matches it.
        """
        policy = self.policy
        if self._asks_number and number is None:
            raise ValueError("the policy asks for number: pass the number the user typed")
        if isinstance(presentation, bytes):
            presentation = Presentation.from_bytes(presentation)
        now = epoch_seconds(self._clock.now())
        pending = self._nonces.pending(presentation.nonce)
        if pending is None:
            raise Replayed("nonce unknown or already used")
        created = self._created.get(presentation.nonce)
        if created is not None:
            request, digest = created
        else:  # created by another process sharing the store
            request = Request.from_bytes(pending.record)
            if request.verifier_id != policy.verifier_id:
                # A store shared by several verifiers: this request is another's.
                raise WrongVerifier("presentation made for another verifier or request")
            # The stored record is the request's deterministic encoding: its
            # digest is what the holder signed.
            digest = hashlib.sha256(pending.record).digest()
        if not now < request.expires_at:
            raise Expired("request expired")
        tier = TIERS.get(presentation.tier)
        if tier is None or presentation.tier not in request.tiers:
            raise NotRequested("tier not accepted")
        context = VerificationContext(request, digest, self._trust, now, number)
        evidence = tier.verify(presentation.body, context)
        operator = evidence.operator
        if request.operators and operator.operator_id not in request.operators:
            raise UntrustedIssuer("operator not accepted")
        # Validity and age are measured when the tier established them: now, or
        # the request's time for proofs evaluated at it (the credential tier).
        at = now if evidence.evaluated_at is None else evidence.evaluated_at
        if not at < evidence.expires_at:
            raise Expired("attestation expired")
        if evidence.issued_at > at + policy.clock_skew:
            raise Expired("attestation issued in the future")
        if at - evidence.issued_at > request.max_age:
            raise Expired("attestation older than the policy allows")
        for check in evidence.checks:
            if check not in request.checks:
                raise NotRequested("a check was shown that was not requested")
            if not operator.menu.allows(check):
                raise UntrustedIssuer("a check outside the operator's menu")
        if not evidence.checks:
            raise NotRequested("a required check is missing")
        for check in self._required:
            if check not in evidence.checks:
                raise NotRequested("a required check is missing")
        if request.pseudonym and evidence.pseudonym is None:
            raise NotRequested("the request asks for a pseudonym")
        if not self._nonces.consume(presentation.nonce, now, evidence.spend):
            raise Replayed("nonce unknown or already used")
        bucket = evidence.issued_at - evidence.issued_at % policy.result_bucket
        record = ResultRecord(
            tier=presentation.tier,
            operator=operator.operator_id,
            checks=evidence.checks,
            issued_bucket=bucket,
            verifier_id=policy.verifier_id,
            pseudonym=evidence.pseudonym,
        )
        return _mint(record)
