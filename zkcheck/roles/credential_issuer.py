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

Pseudonyms (spec/13-pseudonyms.md, "Renewal"): the operator keeps, per
subscriber, the ``signer_nym_entropy`` of the subscriber's pseudonym secret
(a :class:`NymRecord`). The first issuance draws it; every later issuance to
the subscriber reuses it and requires the request to carry the secret over
from a credential the operator signed, so a subscriber has one pseudonym
secret, and one pseudonym per verifier, across renewals. The entropy alone
does not let the operator compute or recognise a pseudonym.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import NoReturn

from zkcheck.claims import Menu, SubscriberFacts, SwapRecord, monitored_since
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.credential import CarryOver, CredentialRequest, CredentialResponse
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.errors import DecodeError, PolicyError, UntrustedIssuer
from zkcheck.hazmat import credential, presentation
from zkcheck.hazmat.bbs import get_ciphersuite
from zkcheck.hazmat.bbs_pseudonym import generate_signer_nym_entropy
from zkcheck.hazmat.blind_bbs import octets_to_commitment_with_proof
from zkcheck.hazmat.credential import (
    DAY_SENTINEL,
    HOUR_SENTINEL,
    SUITE,
    SWAP_CLAMP_HOURS,
    TYPE_VERSION,
    Index,
    LayoutFacts,
    hour_floor,
)
from zkcheck.hazmat.credential_pseudonym import (
    CARRY_OVER_VERSION,
    CarryOverBlock,
    carry_over_header,
)
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles.attester import Attester
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet

__all__ = [
    "CREDENTIAL_ISSUER_KEY_KIND",
    "DEFAULT_CREDENTIAL_EPOCH",
    "CredentialIssuer",
    "CredentialIssuerKeys",
    "NymRecord",
    "layout_facts",
    "swap_hour",
]

DEFAULT_CREDENTIAL_EPOCH = 28 * 86_400
"""Four weeks: each key signs the credentials of four issue weeks (two partly)."""

CREDENTIAL_ISSUER_KEY_KIND = "credential-issuer-key"
"""The type (key 1) of the operator's credential key file."""

_MIN_EPOCH = 7 * 86_400
_MAX_EPOCH = 366 * 86_400
_MAX_AHEAD = 12
_MAX_FILE_KEYS = 1024
_MAX_FILE = 512 * 1024

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
        since = monitored_since(record, instant)
        if since is None:  # monitored since before the year 1: clamped below anyway
            return hour_floor(epoch_seconds(instant)) - SWAP_CLAMP_HOURS
        raw = _hour_ceil(since)
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
    so that verifiers and holders have each key before it is used, and the public key of
    every key made before, whose epoch has ended (a credential under one can still carry
    its pseudonym secret over, spec/13-pseudonyms.md, "Operator state").

    Secret keys live in :class:`~zkcheck.hazmat.secret.SecretBytes`: never
    printed, never pickled. The file form (:meth:`to_bytes`, the operator's
    ``credential-issuer-key`` file, spec/08-credential-tier.md, "Files") holds
    them; store it readable by its owner alone.
    """

    def __init__(
        self,
        operator_id: str,
        *,
        now: int,
        epoch_length: int = DEFAULT_CREDENTIAL_EPOCH,
        ahead: int = 1,
    ) -> None:
        self._configure(operator_id, epoch_length, ahead)
        self.rotate(now)

    def _configure(self, operator_id: str, epoch_length: int, ahead: int) -> None:
        self.operator_id = check_identifier(operator_id, "the operator id")
        if (
            not _MIN_EPOCH <= epoch_length <= _MAX_EPOCH
            or epoch_length % 3600
            or not 0 <= ahead <= _MAX_AHEAD
        ):
            raise ValueError(
                f"an epoch is whole hours, a week to a year; ahead is 0 to {_MAX_AHEAD} epochs"
            )
        self.epoch_length = epoch_length
        self._ahead = ahead
        self._keys: dict[int, _IssuingKey] = {}
        # Every public key made, by id, also after its epoch ended: a credential under
        # it can still carry its pseudonym secret over.
        self._made: dict[bytes, CredentialKeyEntry] = {}

    def __repr__(self) -> str:
        return f"CredentialIssuerKeys({self.operator_id}, {len(self._keys)} keys, <redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("an operator's credential keys cannot be pickled; use to_bytes()")

    def rotate(self, now: int) -> bool:
        """Drop keys whose epoch has ended (their public keys stay known); make keys for the
        current epoch and ``ahead`` more. Returns whether the keys held changed."""
        ended = [epoch for epoch, key in self._keys.items() if key.entry.not_after <= now]
        for epoch in ended:
            del self._keys[epoch]
        current = now // self.epoch_length
        made = False
        for epoch in range(current, current + self._ahead + 1):
            if epoch not in self._keys:
                secret_key, public_key = credential.generate_key()
                start = epoch * self.epoch_length
                entry = CredentialKeyEntry(epoch, start, start + self.epoch_length, public_key)
                self._keys[epoch] = _IssuingKey(entry, secret_key)
                self._made[entry.key_id] = entry
                made = True
        return made or bool(ended)

    def credential_keys(self) -> tuple[CredentialKeyEntry, ...]:
        """Every key held, for the operator's entry in its key set."""
        return tuple(key.entry for _, key in sorted(self._keys.items()))

    def earlier_keys(self) -> tuple[CredentialKeyEntry, ...]:
        """The public keys made before whose secret keys are gone, oldest first."""
        held = {key.entry.key_id for key in self._keys.values()}
        earlier = (entry for key_id, entry in self._made.items() if key_id not in held)
        return tuple(sorted(earlier, key=lambda entry: (entry.epoch, entry.key_id)))

    def signing_key(self, now: int) -> _IssuingKey | None:
        """The key of the epoch containing ``now``, if held."""
        return self._keys.get(now // self.epoch_length)

    def made(self, key_id: bytes) -> CredentialKeyEntry | None:
        """The public key with this id, if these keys ever held it (also once its epoch
        has ended and its secret key is gone)."""
        return self._made.get(key_id)

    def publish(
        self, keyset: OperatorKeySet | None = None, menu: Menu | None = None
    ) -> OperatorKeySet:
        """``keyset`` with this operator's credential keys in place of those it listed, its
        other keys and operators kept, and its menu widened by ``menu``; without a key set,
        or without this operator in it, an entry of its credential keys alone with ``menu``
        (by default the default menu) is added."""
        keys = self.credential_keys()

        def merged(entry: OperatorEntry) -> OperatorEntry:
            widened = entry.menu if menu is None else Menu(entry.menu.checks | menu.checks)
            return replace(entry, menu=widened, credential_keys=keys)

        new = OperatorEntry(self.operator_id, (), menu or Menu.default(), credential_keys=keys)
        return OperatorKeySet((new,)) if keyset is None else keyset.with_operator(new, merged)

    # -- the file form --------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The key file, secret keys included: store it readable by its owner alone."""
        return encode(
            {
                0: VERSION,
                1: CREDENTIAL_ISSUER_KEY_KIND,
                2: self.operator_id,
                3: self.epoch_length,
                4: self._ahead,
                5: [
                    [key.entry.to_map(), key.secret_key.reveal()]
                    for _, key in sorted(self._keys.items())
                ],
                6: [entry.to_map() for entry in self.earlier_keys()],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> CredentialIssuerKeys:
        """Decode a key file; :class:`~zkcheck.errors.DecodeError` for anything malformed.

        Every secret key must be the key its entry publishes, every key's epoch
        of the file's epoch length, the held keys of distinct epochs, and no
        key id may appear twice. No key is made or dropped: :meth:`rotate` does that.
        """
        fields = message_fields(
            data, CREDENTIAL_ISSUER_KEY_KIND, {2, 3, 4, 5, 6}, max_size=_MAX_FILE
        )
        epoch_length, ahead, held, earlier = fields[3], fields[4], fields[5], fields[6]
        if type(epoch_length) is not int or type(ahead) is not int:
            raise DecodeError("the epoch length and the epochs ahead are integers")
        for listed in (held, earlier):
            if type(listed) is not list or len(listed) > _MAX_FILE_KEYS:
                raise DecodeError(f"a credential key file lists its keys, at most {_MAX_FILE_KEYS}")
        keys = cls.__new__(cls)
        try:
            keys._configure(fields[2], epoch_length, ahead)
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
        for item in held:
            if type(item) is not list or len(item) != 2 or type(item[1]) is not bytes:
                raise DecodeError("a held key is [credential key, secret key]")
            entry = keys._entry(item[0])
            secret_key = SecretBytes(item[1])
            if credential.public_key(secret_key) != entry.public_key:
                raise DecodeError("a secret key is not the key its entry publishes")
            if entry.epoch in keys._keys:
                raise DecodeError("two keys for one epoch")
            keys._keys[entry.epoch] = _IssuingKey(entry, secret_key)
        for item in earlier:
            keys._entry(item)
        return keys

    def _entry(self, item: object) -> CredentialKeyEntry:
        """A key of the file, of the file's epoch length, remembered as made."""
        entry = CredentialKeyEntry.from_map(item)
        if entry.not_after - entry.not_before != self.epoch_length:
            raise DecodeError("a key's epoch is not the file's epoch length")
        if entry.key_id in self._made:
            raise DecodeError("a key appears twice")
        self._made[entry.key_id] = entry
        return entry


@dataclass(frozen=True)
class NymRecord:
    """What the operator keeps of a subscriber's pseudonym secret (spec/13-pseudonyms.md).

    ``signer_nym_entropy`` is the operator's part of the secret, reused at
    every renewal; ``first_request`` is SHA-256 of the first credential
    request's commitment, the one request the operator answers again without
    a carry-over (its response may have been lost); ``first_expiry_day`` is
    the expiry of the first credential issued with it, and a credential that
    expires earlier (issued before a reset of the record) cannot carry a
    secret over.
    """

    signer_nym_entropy: bytes = field(repr=False)
    first_request: bytes
    first_expiry_day: int


class CredentialIssuer:
    """An operator issuing ``credential``-tier credentials.

    ``keys`` are the operator's BBS keys; by default new ones, for the
    current epoch of ``epoch_length`` and ``ahead`` more.
    ``nym_records`` holds a :class:`NymRecord` per subscriber (by MSISDN); a
    deployment passes a persistent mapping shared by its issuers, whose
    ``setdefault`` is atomic. The default is a dictionary in memory.
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
        nym_records: MutableMapping[str, NymRecord] | None = None,
    ) -> None:
        self.operator_id = check_identifier(operator_id, "the operator id")
        self._source = source
        self._attester = attester
        self._clock = clock
        if keys is None:
            now = epoch_seconds(clock.now())
            keys = CredentialIssuerKeys(
                self.operator_id, now=now, epoch_length=epoch_length, ahead=ahead
            )
        elif keys.operator_id != self.operator_id:
            raise ValueError("the credential keys are another operator's")
        self._keys = keys
        self._nym_records: MutableMapping[str, NymRecord] = (
            nym_records if nym_records is not None else {}
        )

    @property
    def keys(self) -> CredentialIssuerKeys:
        """The operator's BBS keys, whose file form the operator keeps."""
        return self._keys

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
        (:class:`PolicyError`); then the renewal policy of chapter 13: a
        subscriber with a pseudonym secret renews with a carry-over, which
        verifies (its key is the operator's, :class:`UntrustedIssuer`; the
        credential is not older than the secret, :class:`PolicyError`; the
        proof, :class:`~zkcheck.errors.InvalidProof`), and a subscriber without
        one sends none (:class:`PolicyError`); then the commitment's proof
        verifies (:class:`~zkcheck.errors.InvalidProof`) and every fact lies in
        its admissible range (:class:`PolicyError`) before anything is signed.
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
        commitment = request.commitment_with_proof
        # A malformed commitment is refused before any proof about it is checked.
        octets_to_commitment_with_proof(commitment, ciphersuite=get_ciphersuite(SUITE))
        digest = hashlib.sha256(commitment).digest()
        record = self._nym_records.get(msisdn)
        if record is None:
            if request.carry_over is not None:
                raise PolicyError("the subscriber has no pseudonym secret to carry over")
            entropy = generate_signer_nym_entropy()
        elif request.carry_over is not None:
            self._check_carry_over(request.carry_over, commitment, record)
            entropy = record.signer_nym_entropy
        elif hmac.compare_digest(digest, record.first_request):
            # The first request again (its response was lost): the same secret again.
            entropy = record.signer_nym_entropy
        else:
            raise PolicyError("the subscriber renews by carrying its pseudonym secret over")
        signature = credential.blind_sign(
            key.secret_key, key.entry.public_key, commitment, entropy, encoded
        )
        if record is None:
            # The subscriber's pseudonym secret begins with this credential, unless another
            # issuance registered one first (then this request must carry that one over).
            # The entropy drawn here is 32 random octets: the record read back holds it only
            # if this issuance registered it, which its constant-time comparison tells.
            stored = self._nym_records.setdefault(
                msisdn, NymRecord(entropy, digest, encoded.expiry_day)
            )
            if not hmac.compare_digest(stored.signer_nym_entropy, entropy):
                raise PolicyError("the subscriber's pseudonym secret was registered meanwhile")
        return CredentialResponse(key.entry.key_id, signature, entropy, encoded)

    def _check_carry_over(
        self, carry_over: CarryOver, commitment_with_proof: bytes, record: NymRecord
    ) -> None:
        """The carry-over of chapter 13, "Operator: issuance", steps 3 to 5."""
        entry = self._keys.made(carry_over.key_id)
        if entry is None:
            raise UntrustedIssuer("the carried credential is not under a key of this operator")
        if carry_over.expiry_day < record.first_expiry_day:
            raise PolicyError("the carried credential is older than the subscriber's secret")
        presentation.verify(
            entry.public_key,
            presentation.PresentationProof(carry_over.bbs_proof, b"", carry_over.proof),
            {Index.TYPE_VERSION: TYPE_VERSION, Index.EXPIRY_DAY: carry_over.expiry_day},
            carry_over_header(self.operator_id, commitment_with_proof),
            version=CARRY_OVER_VERSION,
            pseudonyms=(CarryOverBlock(commitment_with_proof, record.signer_nym_entropy),),
        )

    def reset_pseudonym(self, msisdn: str) -> None:
        """Forget the subscriber's pseudonym secret: its next credential starts a new one.

        For a holder that lost its secrets (a lost phone). Every verifier then
        sees a new pseudonym, a new person as far as it can tell: the
        deployment decides who may ask for a reset and how often
        (spec/13-pseudonyms.md, "Reset").
        """
        # Deleted without being read: a damaged record is what a reset must clear,
        # and pop() would read it first and fail.
        with contextlib.suppress(KeyError):
            del self._nym_records[msisdn]
