"""The operator's side of the credential tier: BBS keys per epoch and blind issuance
(spec/08-credential-tier.md, "Issuance").

Issuance is one round trip. The holder sends a
:class:`~zkcheck.encoding.credential.CredentialRequest` (a commitment to its
secrets with a proof of knowledge) over the channel on which the operator
authenticates its subscriber; the operator's :class:`~zkcheck.roles.Attester`
names the subscriber from that channel's evidence; the operator checks the
commitment's proof, reads the subscriber's facts, encodes them as layout
version 1 prescribes (:func:`layout_facts`), and answers with a blind
signature (:class:`~zkcheck.encoding.credential.CredentialResponse`). The
request names no verifier; the operator never sees the holder's secrets.

Keys: one BBS key per epoch. Epochs are aligned: epoch *e* of length *L*
runs from *e*·*L* to (*e* + 1)·*L* seconds after 1970-01-01T00:00:00Z. The
operator signs with the key of the epoch containing the issue instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from zkcheck.claims import SubscriberFacts, SwapRecord
from zkcheck.encoding.credential import CredentialRequest, CredentialResponse
from zkcheck.encoding.messages import check_identifier
from zkcheck.errors import PolicyError, UntrustedIssuer
from zkcheck.hazmat import credential
from zkcheck.hazmat.bbs_pseudonym import generate_signer_nym_entropy
from zkcheck.hazmat.credential import (
    DAY_SENTINEL,
    HOUR_SENTINEL,
    SWAP_CLAMP_HOURS,
    LayoutFacts,
    hour_floor,
)
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles.attester import Attester
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.credential_keys import CredentialKeyEntry

__all__ = [
    "DEFAULT_CREDENTIAL_EPOCH",
    "CredentialIssuer",
    "CredentialIssuerKeys",
    "layout_facts",
    "swap_hour",
]

DEFAULT_CREDENTIAL_EPOCH = 28 * 86_400
"""Four weeks: each key signs the credentials of four issue weeks (two partly)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR = timedelta(hours=1)


def _hour_ceil(instant: datetime) -> int:
    """hour_ceil of an instant, exactly (sub-second parts included)."""
    return -((_EPOCH - instant) // _HOUR)


def _ordinal(day: date | None) -> int:
    return DAY_SENTINEL if day is None else day.toordinal()


def swap_hour(record: SwapRecord | None, instant: datetime) -> int:
    """A SIM or device change as layout 1 encodes it (section "Swap times"), read at ``instant``.

    The time of the latest change, rounded up to the hour; with no recorded
    change but a monitored period of P days, the start of that period counts
    as a change; with neither, :data:`HOUR_SENTINEL`. A value earlier than
    the issue hour minus 3072 is clamped to it. A value after the issue hour
    plus 1 is left as it is, for :meth:`LayoutFacts.check` to refuse.
    """
    if record is None:
        return HOUR_SENTINEL
    if record.latest_change is not None:
        raw = _hour_ceil(record.latest_change)
    elif record.monitored_period_days is not None:
        raw = _hour_ceil(instant - timedelta(days=record.monitored_period_days))
    else:
        return HOUR_SENTINEL
    return max(raw, hour_floor(epoch_seconds(instant)) - SWAP_CLAMP_HOURS)


def layout_facts(facts: SubscriberFacts, instant: datetime) -> LayoutFacts:
    """The values of indexes 1 to 8 for a subscriber whose facts were read at ``instant``.

    Computed, not checked: :meth:`LayoutFacts.check` refuses (PolicyError) a
    fact outside its admissible range, which the operator never clamps.
    """
    issue_hour = hour_floor(epoch_seconds(instant))
    return LayoutFacts(
        issue_hour=issue_hour,
        expiry_day=credential.expiry_day(issue_hour),
        birth_day=_ordinal(facts.birth_date),
        sim_change_hour=swap_hour(facts.sim, instant),
        device_change_hour=swap_hour(facts.device, instant),
        contract_start_day=_ordinal(facts.contract_start),
        msisdn=facts.msisdn,
        home_country=facts.home_country,
    )


@dataclass(frozen=True)
class _IssuingKey:
    entry: CredentialKeyEntry
    secret_key: SecretBytes = field(repr=False, compare=False)


class CredentialIssuerKeys:
    """An operator's BBS keys: one per epoch, for the current epoch and ``ahead`` more,
    so that verifiers and holders have each key before it is used.

    Secret keys live in :class:`~zkcheck.hazmat.secret.SecretBytes`: never
    printed, never pickled.
    """

    def __init__(
        self, *, now: int, epoch_length: int = DEFAULT_CREDENTIAL_EPOCH, ahead: int = 1
    ) -> None:
        if epoch_length < 7 * 86_400 or epoch_length % 3600 or ahead < 0:
            raise ValueError("an epoch is whole hours, at least a week; ahead is not negative")
        self.epoch_length = epoch_length
        self._ahead = ahead
        self._keys: dict[int, _IssuingKey] = {}
        self.rotate(now)

    def __repr__(self) -> str:
        return f"CredentialIssuerKeys({len(self._keys)} keys, <redacted>)"

    def rotate(self, now: int) -> None:
        """Drop keys whose epoch has ended; make keys for the current epoch and ``ahead`` more."""
        for epoch in [epoch for epoch, key in self._keys.items() if key.entry.not_after <= now]:
            del self._keys[epoch]
        current = now // self.epoch_length
        for epoch in range(current, current + self._ahead + 1):
            if epoch not in self._keys:
                secret_key, public_key = credential.generate_key()
                start = epoch * self.epoch_length
                entry = CredentialKeyEntry(epoch, start, start + self.epoch_length, public_key)
                self._keys[epoch] = _IssuingKey(entry, secret_key)

    def credential_keys(self) -> tuple[CredentialKeyEntry, ...]:
        """Every key held, for the operator's entry in its key set."""
        return tuple(key.entry for _, key in sorted(self._keys.items()))

    def signing_key(self, now: int) -> _IssuingKey | None:
        """The key of the epoch containing ``now``, if held."""
        return self._keys.get(now // self.epoch_length)


class CredentialIssuer:
    """An operator issuing ``credential``-tier credentials.

    ``keys`` are the operator's BBS keys; by default new ones, for the
    current epoch of ``epoch_length`` and ``ahead`` more.
    """

    def __init__(
        self,
        operator_id: str,
        source: SubscriberSource,
        attester: Attester,
        *,
        clock: Clock,
        epoch_length: int = DEFAULT_CREDENTIAL_EPOCH,
        ahead: int = 1,
        keys: CredentialIssuerKeys | None = None,
    ) -> None:
        self.operator_id = check_identifier(operator_id, "the operator id")
        self._source = source
        self._attester = attester
        self._clock = clock
        if keys is None:
            now = epoch_seconds(clock.now())
            keys = CredentialIssuerKeys(now=now, epoch_length=epoch_length, ahead=ahead)
        self._keys = keys

    def rotate(self) -> None:
        """Drop keys whose epoch has ended; make keys for the current epoch and ``ahead`` more."""
        self._keys.rotate(epoch_seconds(self._clock.now()))

    def credential_keys(self) -> tuple[CredentialKeyEntry, ...]:
        """Every key held, for the operator's entry in its key set."""
        return self._keys.credential_keys()

    def issue(self, evidence: bytes, request: CredentialRequest | bytes) -> CredentialResponse:
        """The blind signature answering ``request`` from the subscriber ``evidence`` names.

        Steps (section "Operator: blind signing"): the attester authenticates
        the subscriber (its error propagates); the request decodes
        (:class:`~zkcheck.errors.DecodeError`); the key of the current epoch
        exists (:class:`UntrustedIssuer`); the subscriber is known
        (:class:`PolicyError`); then the commitment's proof verifies
        (:class:`~zkcheck.errors.InvalidProof`) and every fact lies in its
        admissible range (:class:`PolicyError`) before anything is signed.
        """
        msisdn = self._attester.attest(evidence)
        if isinstance(request, bytes):
            request = CredentialRequest.from_bytes(request)
        instant = self._clock.now()
        key = self._keys.signing_key(epoch_seconds(instant))
        if key is None:
            raise UntrustedIssuer("no credential key for the current epoch")
        facts = self._source.facts(msisdn)
        if facts is None:
            raise PolicyError("the subscriber is not known")
        encoded = layout_facts(facts, instant)
        entropy = generate_signer_nym_entropy()
        signature = credential.blind_sign(
            key.secret_key, key.entry.public_key, request.commitment_with_proof, entropy, encoded
        )
        return CredentialResponse(key.entry.key_id, signature, entropy, encoded)
