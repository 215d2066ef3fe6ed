"""An operator's signing identity as one secret file (``zkcheck keygen operator`` writes it).

The file is a deterministically encoded CBOR map in the manner of zkcheck's
messages (spec/03-encoding.md), but it never travels: it stays with the
operator, like a holder's wallet stays on the phone::

    {0: 1, 1: "operator-key",
     2: operator id,
     3: private COSE_Key (kty, crv, x, [y,] d; RFC 9052, section 7),
     4: [menu check, ...]}          ; sorted, without repeats, as in a key set

What the operator publishes for verifiers is :meth:`OperatorKey.keyset`, the
public key set of :mod:`zkcheck.trust.keyset`; the private part ``d`` leaves
this object only through :meth:`OperatorKey.to_bytes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from zkcheck.claims import FactKind, Menu
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.cose import COSESigningKey, Curve
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.roles.issuer import DEFAULT_VALIDITY, Issuer, Validity
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet, decode_menu

__all__ = ["OPERATOR_KEY_KIND", "OperatorKey"]

OPERATOR_KEY_KIND = "operator-key"
"""The type (key 1) of an operator key file."""


@dataclass(frozen=True)
class OperatorKey:
    """An operator's id, its signing key and the menu of checks it answers."""

    operator_id: str
    signing_key: COSESigningKey = field(repr=False)
    menu: Menu = field(repr=False)

    def __post_init__(self) -> None:
        check_identifier(self.operator_id, "the operator id")

    @classmethod
    def generate(
        cls, operator_id: str, *, curve: Curve = Curve.ED25519, menu: Menu | None = None
    ) -> OperatorKey:
        """A fresh signing key from the operating system's randomness."""
        return cls(
            operator_id,
            COSESigningKey.generate(curve),
            menu if menu is not None else Menu.default(),
        )

    def entry(self) -> OperatorEntry:
        """The public part: what verifiers put in their key set."""
        return OperatorEntry.create(self.operator_id, [self.signing_key.public_key], self.menu)

    def keyset(self) -> OperatorKeySet:
        """A key set of this operator alone, to publish."""
        return OperatorKeySet((self.entry(),))

    def issuer(
        self,
        source: SubscriberSource,
        *,
        clock: Clock,
        validity: Mapping[FactKind, Validity] = DEFAULT_VALIDITY,
    ) -> Issuer:
        """The operator's :class:`Issuer`, reading subscriber facts from ``source``."""
        return Issuer(
            self.operator_id,
            self.signing_key,
            source,
            clock=clock,
            menu=self.menu,
            validity=validity,
        )

    def to_bytes(self) -> bytes:
        """The key file. It holds the private key: store it readable by its owner alone."""
        return encode(
            {
                0: VERSION,
                1: OPERATOR_KEY_KIND,
                2: self.operator_id,
                3: self.signing_key.to_private_map(),
                4: list(self.menu.identifiers()),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> OperatorKey:
        """Decode a key file; :class:`~zkcheck.errors.DecodeError` for anything malformed."""
        fields = message_fields(data, OPERATOR_KEY_KIND, {2, 3, 4})
        return cls(
            check_identifier(fields[2], "the operator id"),
            COSESigningKey.from_private_map(fields[3]),
            decode_menu(fields[4]),
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("an operator key cannot be pickled; use to_bytes() and store it safely")
