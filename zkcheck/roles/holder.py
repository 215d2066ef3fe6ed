"""The user's phone: fresh keys, single-use attestations, presentations.

Batch issuance: :meth:`Holder.request_attestations` makes one fresh holder key
per attestation, and :meth:`Holder.present` uses each attestation once and
then forgets it and its key, so two verifiers never see the same attestation
or key (DESIGN.md, "Three privacy tiers").
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from zkcheck.claims import Check
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.cose import COSESigningKey, Curve
from zkcheck.encoding.messages import (
    MAX_BATCH,
    IssuanceRequest,
    IssuanceResponse,
    IssuedAttestation,
    Presentation,
    Request,
    message_fields,
)
from zkcheck.encoding.signed import AttestationClaims, decode_attestation
from zkcheck.errors import DecodeError, PolicyError
from zkcheck.roles._locking import synchronized
from zkcheck.roles._signed import TIER, present_attestation, verify_attestation
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock, epoch_seconds

__all__ = ["Holder"]

_WALLET = "wallet"
_MAX_WALLET = 1024 * 1024


def _check_salt(issued: IssuedAttestation, claims: AttestationClaims) -> None:
    # The salt travels beside the signed attestation, not in it: one missing or
    # added in transit would be found only by the verifier it is spent on.
    if (issued.number_salt is None) != (claims.number_digest is None):
        raise DecodeError("a number salt goes with a number attestation, and only with it")


@dataclass(frozen=True)
class _Held:
    key: COSESigningKey
    issued: IssuedAttestation
    claims: AttestationClaims


class Holder:
    """A wallet of single-use ``signed`` attestations and their holder keys.

    ``curve`` chooses the holder keys: Ed25519, or P-256 as a phone's secure
    hardware holds (here in software). With ``trust``, the federation's trust
    list, :meth:`receive` checks each attestation's operator signature as a
    verifier will, so a damaged or forged attestation is refused on arrival
    instead of failing at the verifier it is spent on; without it the holder
    stores what its operator's channel delivers.
    """

    def __init__(
        self, *, clock: Clock, curve: Curve = Curve.ED25519, trust: TrustAnchors | None = None
    ) -> None:
        self._clock = clock
        self._curve = curve
        self._trust = trust
        self._lock = threading.RLock()
        self._pending: list[COSESigningKey] = []
        self._held: list[_Held] = []

    @synchronized
    def request_attestations(self, checks: Iterable[Check], count: int = 1) -> IssuanceRequest:
        """Ask for ``count`` attestations of ``checks``, each bound to its own fresh key."""
        if not 1 <= count <= MAX_BATCH:
            raise ValueError(f"ask for 1..{MAX_BATCH} attestations at a time")
        keys = [COSESigningKey.generate(self._curve) for _ in range(count)]
        self._pending.extend(keys)
        return IssuanceRequest(tuple(checks), tuple(key.public_key for key in keys))

    @synchronized
    def receive(self, response: IssuanceResponse | bytes) -> int:
        """Store the attestations of a response; returns how many were stored.

        Each must be bound (``cnf``) to a key this holder is waiting for; that
        key is then no longer pending. With a trust list, each must also be
        signed by a listed operator's key in use now, the operator it names
        (spec/04-signed-tier.md, "Receiving"). Any failure refuses the whole
        response and changes nothing.
        """
        if isinstance(response, bytes):
            response = IssuanceResponse.from_bytes(response)
        now = epoch_seconds(self._clock.now())
        by_public = {key.public_key: key for key in self._pending}
        received = []
        for issued in response.attestations:
            attestation, claims = decode_attestation(issued.attestation.to_item())
            _check_salt(issued, claims)
            key = by_public.pop(claims.holder_key, None)
            if key is None:
                raise DecodeError("an attestation is bound to a key this holder did not ask for")
            if self._trust is not None:
                verify_attestation(self._trust, attestation, claims, now)
            received.append(_Held(key, issued, claims))
        self._pending = list(by_public.values())
        self._held.extend(received)
        return len(received)

    @synchronized
    def held(self) -> tuple[AttestationClaims, ...]:
        """The public claims of the unused attestations, in the order they were received."""
        return tuple(held.claims for held in self._held)

    @synchronized
    def pending(self) -> int:
        """Holder keys asked for whose attestations have not arrived."""
        return len(self._pending)

    @synchronized
    def remaining(self, check: Check | None = None) -> int:
        """Unused attestations (that show ``check``, when given)."""
        return sum(check is None or check in held.claims.checks for held in self._held)

    @synchronized
    def present(self, request: Request | bytes) -> Presentation:
        """Answer ``request`` with one unused attestation, then forget it and its key.

        The attestation chosen is unexpired, from an operator the request
        accepts, no older than its maximum age, shows only checks the request
        asks, and shows every check of the request that its operator's menu
        offers (every check, without the trust list), optional ones included:
        leaving one out would tell the verifier that it does not hold
        (spec/10-privacy.md, "Declined and failed presentations"). Raises
        :class:`PolicyError` when no stored attestation qualifies.
        """
        if isinstance(request, bytes):
            request = Request.from_bytes(request)
        now = epoch_seconds(self._clock.now())
        asked = set(request.checks)
        candidates = [
            held
            for held in self._held
            if TIER in request.tiers
            and (not request.operators or held.claims.operator in request.operators)
            and now < held.claims.expires_at
            and now - held.claims.issued_at <= request.max_age
            and set(held.claims.checks) <= asked
            and self._offered(held.claims.operator, asked) <= set(held.claims.checks)
        ]
        if not candidates:
            raise PolicyError("no stored attestation answers this request")
        chosen = max(
            candidates, key=lambda held: (len(held.claims.checks), -held.claims.expires_at)
        )
        self._held.remove(chosen)
        return present_attestation(chosen.key, chosen.issued, request)

    def _offered(self, operator_id: str, asked: set[Check]) -> set[Check]:
        """The checks of ``asked`` that the operator answers, by its menu on the trust list."""
        operator = self._trust.operator(operator_id) if self._trust is not None else None
        if operator is None:  # no trust list (or the operator is not on it): all of them
            return asked
        return {check for check in asked if operator.menu.allows(check)}

    @synchronized
    def export_wallet(self) -> bytes:
        """The wallet as bytes, holder secret keys included: store it as a secret."""
        return encode(
            {
                0: 1,
                1: _WALLET,
                2: [[held.key.to_private_map(), held.issued.to_map()] for held in self._held],
                3: [key.to_private_map() for key in self._pending],
            }
        )

    @classmethod
    def import_wallet(
        cls,
        data: bytes,
        *,
        clock: Clock,
        curve: Curve = Curve.ED25519,
        trust: TrustAnchors | None = None,
    ) -> Holder:
        """A holder restored from :meth:`export_wallet`'s bytes (``trust`` as for the
        constructor: it applies to responses received from now on)."""
        fields = message_fields(data, _WALLET, {2, 3}, max_size=_MAX_WALLET)
        holder = cls(clock=clock, curve=curve, trust=trust)
        if type(fields[2]) is not list or type(fields[3]) is not list:
            raise DecodeError("a wallet lists attestations and pending keys")
        for entry in fields[2]:
            if type(entry) is not list or len(entry) != 2:
                raise DecodeError("a wallet entry is [key, attestation]")
            key = COSESigningKey.from_private_map(entry[0])
            issued = IssuedAttestation.from_map(entry[1])
            _, claims = decode_attestation(issued.attestation.to_item())
            _check_salt(issued, claims)
            if claims.holder_key != key.public_key:
                raise DecodeError("a wallet entry's key does not match its attestation")
            holder._held.append(_Held(key, issued, claims))
        holder._pending = [COSESigningKey.from_private_map(key) for key in fields[3]]
        return holder
