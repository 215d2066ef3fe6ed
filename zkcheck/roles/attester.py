"""The attester: how an operator authenticates the subscriber before it issues.

In the Privacy Pass architecture (RFC 9576, "Attester Role") the attester
authenticates a client and vouches for it to the issuer. In zkcheck the
operator is both ("Joint Attester and Issuer"): it authenticates the
subscriber, then evaluates the subscriber's own facts. Issuers take an
:class:`Attester`, a hook with one method, so any tier's issuance can use
whatever the operator already trusts (network-based authentication of the
SIM, a signed-in session of the operator's app) without zkcheck knowing it.
The evidence is opaque bytes; the attester answers with the subscriber's
MSISDN, the key of the operator's data source, and never sees a verifier.

:class:`InsecureTestAttester` stands in for a real attester in tests and
demonstrations, and only there.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import Protocol

from zkcheck.claims import is_e164
from zkcheck.errors import InvalidSignature

__all__ = ["Attester", "InsecureTestAttester"]

_CREDENTIAL_SIZE = 32


class Attester(Protocol):
    """Authenticates the subscriber behind an issuance request."""

    def attest(self, evidence: bytes) -> str:
        """The MSISDN of the subscriber ``evidence`` authenticates.

        Raises a :class:`~zkcheck.errors.ZkcheckError` subclass when it
        authenticates nobody; an issuer then issues nothing.
        """
        ...


class InsecureTestAttester:
    """A test stand-in for subscriber authentication: bearer credentials handed out by
    :meth:`enrol`.

    Not for deployment: whoever copies a credential is that subscriber, and
    the credentials live in this object's memory only. It keeps the SHA-256
    of each credential, never the credential itself, and fails with
    :class:`~zkcheck.errors.InvalidSignature` for evidence it did not hand out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[bytes, str] = {}

    def enrol(self, msisdn: str) -> bytes:
        """A fresh credential for the subscriber ``msisdn``, to pass as evidence."""
        if not is_e164(msisdn):
            raise ValueError("subscribers are enrolled under an E.164 MSISDN")
        credential = secrets.token_bytes(_CREDENTIAL_SIZE)
        with self._lock:
            self._subscribers[hashlib.sha256(credential).digest()] = msisdn
        return credential

    def attest(self, evidence: bytes) -> str:
        # The lookup is by the credential's digest, so its timing depends on the digest,
        # which tells an attacker nothing about other credentials.
        if type(evidence) is not bytes or len(evidence) != _CREDENTIAL_SIZE:
            raise InvalidSignature("attestation evidence invalid")
        msisdn = self._subscribers.get(hashlib.sha256(evidence).digest())
        if msisdn is None:
            raise InvalidSignature("attestation evidence invalid")
        return msisdn

    def __repr__(self) -> str:
        return f"InsecureTestAttester({len(self._subscribers)} enrolled)"
