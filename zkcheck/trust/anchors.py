"""What a verifier (and a token holder) asks of its source of trust.

:class:`~zkcheck.trust.trust_client.TrustListAnchors`, the relying party's copy
of the federation's signed trust list, implements it. Every lookup takes the
instant of the verification, since keys are valid for an interval; each
raises :class:`~zkcheck.errors.UntrustedIssuer` for a key that is unknown, of
another tier, revoked or whose operator is not in good standing, and
:class:`~zkcheck.errors.Expired` for a key outside its validity or a trust list
that has expired.
"""

from __future__ import annotations

from typing import Protocol

from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.listed_keys import SignedKey
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_list import ListedOperator

__all__ = ["TrustAnchors"]


class TrustAnchors(Protocol):
    """The operators a verifier trusts and their keys, per tier."""

    def find_key(self, kid: bytes, now: int) -> tuple[ListedOperator, SignedKey]:
        """The operator and signed-tier key with this key id."""
        ...

    def find_token_key(self, token_key_id: bytes, now: int) -> tuple[ListedOperator, TokenKeyEntry]:
        """The operator and token key with this token key id."""
        ...

    def find_credential_key(
        self, key_id: bytes, now: int
    ) -> tuple[ListedOperator, CredentialKeyEntry]:
        """The operator and credential key with this key id."""
        ...

    def operator(self, operator_id: str) -> ListedOperator | None:
        """The operator with this id, if it is listed and in good standing."""
        ...

    def operators(self) -> tuple[ListedOperator, ...]:
        """Every operator in good standing."""
        ...
