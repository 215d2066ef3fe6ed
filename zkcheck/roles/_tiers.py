"""The internal interface every tier implements, and the registry of tiers.

A tier turns the ``body`` of a presentation into :class:`Evidence` for the
stored request, or raises. Everything every tier shares (finding the request
by its nonce, freshness, the operator's menu, the checks asked and required,
consuming the nonce, the result) lives in :mod:`zkcheck.roles.verifier`;
only what the tier's cryptography decides lives in the tier's module. Adding
a tier is adding a module with a :class:`TierVerifier` and one entry in
:data:`TIERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Protocol

from zkcheck.claims import Check
from zkcheck.encoding.messages import Request
from zkcheck.roles.policy import Policy
from zkcheck.trust.keyset import OperatorEntry, TrustAnchors

__all__ = ["Evidence", "TierVerifier", "VerificationContext"]


# Both records are made on every verification: immutable named tuples, which
# cost a fraction of a frozen dataclass to construct.


class VerificationContext(NamedTuple):
    """What a tier verifies against: the verifier's own stored request (and the
    SHA-256 digest of its encoding), its trust anchors, the time, and the number
    the user typed (for ``number``)."""

    request: Request
    request_digest: bytes
    trust: TrustAnchors
    now: int
    number: str | None


class Evidence(NamedTuple):
    """What a tier established: who issued which checks, when, until when.

    ``spend`` lists further single-use values (for example token nonces) to
    consume atomically with the request nonce, each with its expiry.
    ``pseudonym`` is the holder's verified pseudonym for this verifier, in a
    tier that gives one and when the request asks for it.
    ``evaluated_at`` is the instant at which the tier's cryptography established
    ``issued_at`` and the checks, when that is not the verification time: the
    credential tier proves its predicates and its freshness at the request's
    time. The verifier's shared expiry and maximum-age steps measure at it.
    """

    operator: OperatorEntry
    checks: tuple[Check, ...]
    issued_at: int
    expires_at: int
    spend: Mapping[bytes, int] = MappingProxyType({})
    pseudonym: bytes | None = None
    evaluated_at: int | None = None


class TierVerifier(Protocol):
    """One tier's verification of a presentation body."""

    name: str

    def check_policy(self, policy: Policy) -> None:
        """Refuse, when a verifier is configured, a policy this tier cannot serve."""
        ...

    def verify(self, body: bytes, context: VerificationContext) -> Evidence:
        """Evidence for ``context.request``; raise a :class:`~zkcheck.errors.ZkcheckError`."""
        ...
