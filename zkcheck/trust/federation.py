"""The federation's working copy of its list: operators added, keys rotated and revoked.

A draft is the unsigned content of the next trust list, kept in a public
file between edits (``zkcheck trust add-operator | rotate | revoke``) and
signed by :meth:`~zkcheck.trust.authority.Authority.sign` (``zkcheck trust
sign``)::

    {0: 1, 1: "trust-list-draft", 2: list id, 3: the operators, encoded as in a list}

Operators hand in their public keys and menu as an operator key set
(:mod:`zkcheck.trust.keyset`), which is what ``zkcheck keygen operator``
writes. Rotation follows spec/14-trust-list.md, "Rotation": the new signed key
is listed ``lead`` seconds before it may be used (at least the life of a list,
so every verifier holding a valid list has it before the first attestation
under it), and the old key stays valid ``overlap`` seconds after that (at
least the longest attestation lifetime), so verification never has a gap and
at most two keys are valid at once. Token and credential keys rotate with
their epochs: the operator hands in the next epoch's keys ahead, and they are
listed as they come (a token key for its epoch; a credential key from its
epoch's start until the credentials it signs have expired,
:data:`~zkcheck.trust.credential_keys.CREDENTIAL_LIFETIME` after the epoch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from zkcheck.encoding.cbor import encode
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.errors import DecodeError
from zkcheck.trust.authority import DEFAULT_EXPIRY, Authority, AuthorityKey
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.credential_keys import CREDENTIAL_LIFETIME
from zkcheck.trust.keyset import OperatorEntry, key_id
from zkcheck.trust.listed_keys import ENTRY_SIGNED, ListedKey
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_list import (
    MAX_LIST_SIZE,
    MAX_LIST_VALIDITY,
    ListedOperator,
    OperatorStatus,
    SignedTrustList,
    TrustList,
    decode_operators,
    encode_operators,
)

__all__ = [
    "DRAFT_KIND",
    "KEY_VALIDITY",
    "ROTATION_LEAD",
    "ROTATION_OVERLAP",
    "TrustListDraft",
    "private_list",
    "private_trust",
]

DRAFT_KIND = "trust-list-draft"
KEY_VALIDITY = 365 * 86_400
"""How long a signed-tier key is listed as valid unless rotated earlier."""
ROTATION_LEAD = DEFAULT_EXPIRY
"""A new key is listed this long before its first use: a list's whole life."""
ROTATION_OVERLAP = 8 * 86_400
"""An old key stays valid this long after its successor starts: the longest
attestation lifetime (a week for static facts) and a day of margin."""


@dataclass(frozen=True)
class TrustListDraft:
    """The operators of the next list, edited one step at a time; each step is checked."""

    list_id: str
    operators: tuple[ListedOperator, ...] = ()

    def __post_init__(self) -> None:
        check_identifier(self.list_id, "the list id")
        ordered = tuple(sorted(self.operators, key=lambda operator: operator.operator_id.encode()))
        if len({operator.operator_id for operator in ordered}) != len(ordered):
            raise ValueError("an operator appears twice")
        object.__setattr__(self, "operators", ordered)  # the order of the list on the wire

    @classmethod
    def of(cls, trust_list: TrustList) -> TrustListDraft:
        """A draft starting from a published list."""
        return cls(trust_list.list_id, trust_list.operators)

    def operator(self, operator_id: str) -> ListedOperator:
        for operator in self.operators:
            if operator.operator_id == operator_id:
                return operator
        raise ValueError(f"no operator {operator_id!r} in the list")

    def _replace(
        self, operator_id: str, change: Callable[[ListedOperator], ListedOperator]
    ) -> TrustListDraft:
        updated = tuple(
            change(operator) if operator.operator_id == operator_id else operator
            for operator in self.operators
        )
        self.operator(operator_id)  # refuses an unknown id
        return replace(self, operators=updated)

    def add_operator(
        self,
        submission: OperatorEntry,
        *,
        name: str,
        countries: Iterable[str],
        networks: Iterable[str] = (),
        now: int,
        validity: int = KEY_VALIDITY,
    ) -> TrustListDraft:
        """Add an operator from its key-set entry: its signed keys valid from ``now`` for
        ``validity`` seconds, its token keys for their epochs, its credential keys from
        their epochs' start until the credentials they sign have expired, its menu."""
        if any(operator.operator_id == submission.operator_id for operator in self.operators):
            raise ValueError(f"operator {submission.operator_id!r} is already listed")
        keys = [ListedKey.signed(key, now, now + validity) for key in submission.keys]
        keys += _epoch_keys(submission)
        operator = ListedOperator.create(
            submission.operator_id, name, countries, networks, submission.menu, keys
        )
        return replace(self, operators=(*self.operators, operator))

    def rotate(
        self,
        submission: OperatorEntry,
        *,
        now: int,
        lead: int = ROTATION_LEAD,
        overlap: int = ROTATION_OVERLAP,
        validity: int = KEY_VALIDITY,
    ) -> TrustListDraft:
        """Rotate an operator to the signed keys of ``submission`` and add its new token and
        credential keys.

        Each new signed key is valid from ``now + lead``; every unrevoked
        signed key already listed and not in the submission stops ``overlap``
        seconds after that (or earlier, if it was to stop earlier anyway). A
        submission that repeats the operator's signed key therefore only adds
        its next epochs' keys. The menu becomes the submission's.
        """
        start = now + lead
        kept = {key_id(key) for key in submission.keys}

        def rotated(operator: ListedOperator) -> ListedOperator:
            known = {key.key_id for key in operator.keys}
            keys = []
            for key in operator.keys:
                if key.entry_type == ENTRY_SIGNED and not key.revoked and key.key_id not in kept:
                    key = replace(key, not_after=min(key.not_after, start + overlap))
                keys.append(key)
            fresh = [ListedKey.signed(key, start, start + validity) for key in submission.keys]
            fresh += _epoch_keys(submission)
            keys += [key for key in fresh if key.key_id not in known]
            return replace(operator, menu=submission.menu, keys=tuple(sorted(keys, key=_by_id)))

        return self._replace(submission.operator_id, rotated)

    def revoke_key(self, operator_id: str, key_id: bytes) -> TrustListDraft:
        """Mark one key of an operator revoked: from the next list on it verifies nothing."""

        def revoked(operator: ListedOperator) -> ListedOperator:
            if key_id not in {key.key_id for key in operator.keys}:
                raise ValueError("the operator has no key with this id")
            keys = [
                replace(key, revoked=True) if key.key_id == key_id else key for key in operator.keys
            ]
            return operator.with_keys(keys)

        return self._replace(operator_id, revoked)

    def set_status(self, operator_id: str, status: OperatorStatus) -> TrustListDraft:
        """Suspend, withdraw or reinstate an operator."""
        return self._replace(operator_id, lambda operator: operator.with_status(status))

    def prune(self, now: int) -> TrustListDraft:
        """Drop keys whose validity has ended: they can verify nothing any more."""
        return replace(
            self,
            operators=tuple(
                operator.with_keys(key for key in operator.keys if now < key.not_after)
                for operator in self.operators
            ),
        )

    def to_bytes(self) -> bytes:
        return encode(
            {0: VERSION, 1: DRAFT_KIND, 2: self.list_id, 3: encode_operators(self.operators)}
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> TrustListDraft:
        """Decode a draft; :class:`DecodeError` for anything malformed or against the rules."""
        fields = message_fields(data, DRAFT_KIND, {2, 3}, max_size=MAX_LIST_SIZE)
        if type(fields[3]) is not bytes:
            raise DecodeError("the operators are a byte string")
        try:
            return cls(check_identifier(fields[2], "the list id"), decode_operators(fields[3]))
        except ValueError as exc:
            raise DecodeError(str(exc)) from None


def _by_id(key: ListedKey) -> bytes:
    return key.key_id


def _epoch_keys(submission: OperatorEntry) -> list[ListedKey]:
    """An operator's token keys, accepted for their epochs, and its credential keys,
    accepted from their epochs' start until what they signed has expired."""
    keys = [ListedKey.of(token) for token in submission.token_keys]
    keys += [
        ListedKey.of(key, not_after=key.not_after + CREDENTIAL_LIFETIME)
        for key in submission.credential_keys
    ]
    return keys


def private_list(
    submissions: Iterable[OperatorEntry],
    *,
    now: int,
    list_id: str = "private.trust-list",
    countries: Iterable[str] = ("ES",),
) -> tuple[AuthorityKey, SignedTrustList]:
    """A list of exactly these operators, signed by a fresh authority key that is then
    forgotten: the key to pin, and the list.

    For a relying party with a handful of operators and no federation, and for
    tests: verifiers still go through the signed list and every one of its
    checks. The operators' keys are valid from ``now`` for a year; the list,
    which no authority will replace, for as long as a list may be
    (:data:`~zkcheck.trust.trust_list.MAX_LIST_VALIDITY`).
    """
    draft = TrustListDraft(list_id)
    for submission in submissions:
        draft = draft.add_operator(
            submission, name=submission.operator_id, countries=countries, now=now
        )
    authority = Authority.generate(list_id)
    signed = authority.sign(draft.operators, issued_at=now, expires_at=MAX_LIST_VALIDITY)
    return authority.pin(), signed


def private_trust(
    submissions: Iterable[OperatorEntry],
    *,
    clock: Clock,
    list_id: str = "private.trust-list",
    countries: Iterable[str] = ("ES",),
) -> TrustListAnchors:
    """Trust anchors holding :func:`private_list` of these operators, as of the clock's instant."""
    pin, signed = private_list(
        submissions, now=epoch_seconds(clock.now()), list_id=list_id, countries=countries
    )
    anchors = TrustListAnchors(pin, clock=clock)
    anchors.load(signed.to_bytes())
    return anchors
