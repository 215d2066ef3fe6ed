"""The federation's authority key: what relying parties pin, and what signs the trust list.

Two files (spec/14-trust-list.md, "Authority key rollover")::

    {0: 1, 1: "trust-authority", 2: list id, 3: COSE_Key with kid}
        ; public: the key relying parties pin

    {0: 1, 1: "trust-authority-key", 2: list id,
     3: private COSE_Key with kid (the current key), 4: private COSE_Key with kid (the next)}
        ; secret: stays with the federation

Every list the current key signs names the next key in advance. A rollover
(:meth:`Authority.roll_over`) makes the announced key the current one and
draws a new next key; the first list the new key signs carries, in its chain,
the last head the old key signed, which names the new key. A verifier that
was offline follows the chain one announced key at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NoReturn

from zkcheck.encoding.cbor import encode
from zkcheck.encoding.cose import COSEKey, COSESigningKey, Curve, Sign1
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.errors import DecodeError
from zkcheck.trust.keyset import key_id
from zkcheck.trust.trust_list import (
    MAX_CHAIN,
    MIN_LIST_INTERVAL,
    ListedOperator,
    SignedTrustList,
    TrustList,
    TrustListHead,
    encode_operators,
    sign_head,
)

__all__ = [
    "AUTHORITY_KEY_KIND",
    "AUTHORITY_KIND",
    "DEFAULT_EXPIRY",
    "DEFAULT_NEXT_UPDATE",
    "Authority",
    "AuthorityKey",
]

AUTHORITY_KIND = "trust-authority"
AUTHORITY_KEY_KIND = "trust-authority-key"
DEFAULT_NEXT_UPDATE = 86_400
"""A day between a list's issue and the moment verifiers fetch the next one."""
DEFAULT_EXPIRY = 7 * 86_400
"""A week before a list that was not replaced stops being accepted."""


def _with_kid(key: COSEKey) -> COSEKey:
    return COSEKey(key.curve, key.public, key_id(key))


@dataclass(frozen=True)
class AuthorityKey:
    """The authority key a relying party pins, with the id of the list it signs."""

    list_id: str
    key: COSEKey

    def __post_init__(self) -> None:
        check_identifier(self.list_id, "the list id")
        if self.key.kid != key_id(self.key):
            raise ValueError("a pinned authority key carries its key id")

    @property
    def kid(self) -> bytes:
        return key_id(self.key)

    def to_bytes(self) -> bytes:
        return encode({0: VERSION, 1: AUTHORITY_KIND, 2: self.list_id, 3: self.key.to_map()})

    @classmethod
    def from_bytes(cls, data: bytes) -> AuthorityKey:
        """Decode a pinned key; :class:`DecodeError` for anything malformed."""
        fields = message_fields(data, AUTHORITY_KIND, {2, 3})
        key = COSEKey.from_map(fields[3], allow_kid=True).validate()
        try:
            return cls(check_identifier(fields[2], "the list id"), key)
        except ValueError as exc:
            raise DecodeError(str(exc)) from None


@dataclass(frozen=True)
class Authority:
    """The federation's signing side: the current authority key and the announced next one."""

    list_id: str
    current: COSESigningKey = field(repr=False)
    next: COSESigningKey = field(repr=False)

    def __post_init__(self) -> None:
        check_identifier(self.list_id, "the list id")
        if key_id(self.current.public_key) == key_id(self.next.public_key):
            raise ValueError("the next authority key differs from the current one")

    @classmethod
    def generate(cls, list_id: str, *, curve: Curve = Curve.ED25519) -> Authority:
        """A new authority with fresh current and next keys."""
        return cls(list_id, _fresh(curve), _fresh(curve))

    def pin(self) -> AuthorityKey:
        """What relying parties pin: the current public key."""
        return AuthorityKey(self.list_id, _with_kid(self.current.public_key))

    def roll_over(self) -> Authority:
        """The announced key becomes the current one; a new next key is drawn."""
        return Authority(self.list_id, self.next, _fresh(self.next.curve))

    def sign(
        self,
        operators: Iterable[ListedOperator],
        *,
        issued_at: int,
        previous: SignedTrustList | None = None,
        next_update: int | None = None,
        expires_at: int | None = None,
    ) -> SignedTrustList:
        """The next trust list: the operators, with the sequence number after ``previous``.

        ``previous`` is the last list this authority published (None for the
        first). Its sequence number is followed by one, which needs
        :data:`MIN_LIST_INTERVAL` seconds of issue time; if it was signed by
        another key (a rollover happened since), its head joins the chain, and
        it must have announced this key. ``ValueError`` for anything a verifier
        would refuse.
        """
        operators = tuple(operators)
        sequence = 1
        chain: tuple[Sign1, ...] = ()
        if previous is not None:
            last = previous.head_fields()
            if last.list_id != self.list_id:
                raise ValueError("the previous list is another federation's")
            if issued_at - last.issued_at < MIN_LIST_INTERVAL:
                raise ValueError(f"lists are issued at least {MIN_LIST_INTERVAL} s apart")
            sequence = last.sequence + 1
            chain = previous.chain
            current = key_id(self.current.public_key)
            if previous.signer_kid != current:
                # A relying party moves from the previous signer to the key its list
                # announced, and to no other: after two rollovers without a list
                # between them, nothing this key signs could be followed.
                if key_id(last.next_authority) != current:
                    raise ValueError(
                        "the previous list does not announce this key: two rollovers "
                        "were made without a list between them"
                    )
                chain = (*chain, previous.head)
        body = encode_operators(operators)
        head = TrustListHead(
            self.list_id,
            sequence,
            issued_at,
            issued_at + (next_update if next_update is not None else DEFAULT_NEXT_UPDATE),
            issued_at + (expires_at if expires_at is not None else DEFAULT_EXPIRY),
            _with_kid(self.next.public_key),
            hashlib.sha256(body).digest(),
        )
        try:
            TrustList(head, operators)  # the checks a verifier applies across operators
        except DecodeError as exc:
            raise ValueError(str(exc)) from None
        return SignedTrustList(sign_head(self.current, head), body, chain[-MAX_CHAIN:])

    def to_bytes(self) -> bytes:
        """The secret key file. Store it readable by its owner alone."""
        return encode(
            {
                0: VERSION,
                1: AUTHORITY_KEY_KIND,
                2: self.list_id,
                3: self.current.to_private_map(),
                4: self.next.to_private_map(),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Authority:
        """Decode the secret key file; :class:`DecodeError` for anything malformed."""
        fields = message_fields(data, AUTHORITY_KEY_KIND, {2, 3, 4})
        current = COSESigningKey.from_private_map(fields[3])
        upcoming = COSESigningKey.from_private_map(fields[4])
        for key in (current, upcoming):
            if key.public_key.kid != key_id(key.public_key):
                raise DecodeError("an authority key carries its key id")
        try:
            return cls(check_identifier(fields[2], "the list id"), current, upcoming)
        except ValueError as exc:
            raise DecodeError(str(exc)) from None

    def __reduce__(self) -> NoReturn:
        raise TypeError("an authority key cannot be pickled; use to_bytes() and store it safely")


def _fresh(curve: Curve) -> COSESigningKey:
    key = COSESigningKey.generate(curve)
    return COSESigningKey(curve, key.secret, _with_kid(key.public_key))
