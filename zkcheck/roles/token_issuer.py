"""The operator's side of the token tier: issuer names, keys per epoch, directories,
and blind issuance for authenticated subscribers whose check holds
(spec/07-token-tier.md, "Keys and epochs" and "Issuance").

Each check on the operator's menu but ``number`` has its own issuer name,
``<check label>.<token domain>`` (``sim-swap-72.tokens.operator.example``),
with its own issuer directory and one RSA key per epoch. Epochs are aligned:
epoch *e* of a check with epoch length *L* runs from *e*·*L* to (*e* + 1)·*L*
seconds after 1970-01-01T00:00:00Z. The operator signs only with the key of
the current epoch, and only after its attester authenticated the subscriber
and the check held; it never learns the challenge, so never the verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from zkcheck.claims import NUMBER, Check, FactKind, Menu, holds, sort_checks
from zkcheck.encoding.messages import check_identifier
from zkcheck.encoding.token import check_server_name, issuer_label, refuse_number
from zkcheck.errors import PolicyError, UntrustedIssuer
from zkcheck.hazmat.blind_rsa import generate_private_key, public_key_to_spki
from zkcheck.hazmat.privacypass import (
    TOKEN_TYPE_BLIND_RSA,
    DirectoryTokenKey,
    IssuerDirectory,
    issue_token_response,
)
from zkcheck.roles.attester import Attester
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.token_keys import TokenKeyEntry

__all__ = ["DEFAULT_EPOCHS", "ISSUER_REQUEST_PATH", "TokenIssuer"]

DEFAULT_EPOCHS: Mapping[FactKind, int] = {
    FactKind.STATIC: 7 * 86_400,
    FactKind.AS_OF_ISSUE: 3_600,
    FactKind.LIVE: 600,
}
"""Epoch lengths in seconds: a week for static facts, an hour for swaps, ten minutes
for live network state (the table of spec/07-token-tier.md)."""

ISSUER_REQUEST_PATH = "/token-request"
"""Where, under its issuer name, each issuer receives TokenRequests."""

_MAX_DRAWS = 16


@dataclass(frozen=True)
class _IssuingKey:
    entry: TokenKeyEntry
    private_key: rsa.RSAPrivateKey = field(repr=False, compare=False)


class TokenIssuer:
    """An operator issuing ``token``-tier tokens.

    ``domain`` is the server name under which the issuer names live.
    ``ahead`` is how many epochs after the current one have keys already
    (published with their ``not-before``, so clients and verifiers have them
    before they are used). ``new_key`` draws a fresh signing key; keys whose
    truncated key id collides with another key of the same issuer name, or
    that this issuer already holds, are drawn again.
    """

    def __init__(
        self,
        operator_id: str,
        source: SubscriberSource,
        attester: Attester,
        *,
        clock: Clock,
        domain: str,
        menu: Menu | None = None,
        epochs: Mapping[FactKind, int] = DEFAULT_EPOCHS,
        ahead: int = 1,
        new_key: Callable[[], rsa.RSAPrivateKey] = generate_private_key,
    ) -> None:
        self.operator_id = check_identifier(operator_id, "the operator id")
        self.domain = check_server_name(domain, "the token domain")
        self.menu = menu if menu is not None else Menu.default()
        if ahead < 0 or any(length < 1 for length in epochs.values()):
            raise ValueError("epochs are positive numbers of seconds; ahead is not negative")
        self._source = source
        self._attester = attester
        self._clock = clock
        self._epochs = dict(epochs)
        self._ahead = ahead
        self._new_key = new_key
        self._checks: dict[str, Check] = {}
        for check in sort_checks(self.menu.checks):
            if check != NUMBER:
                self._checks[self._name(check)] = check
        self._keys: dict[str, dict[int, _IssuingKey]] = {name: {} for name in self._checks}
        self.rotate()

    def _name(self, check: Check) -> str:
        return f"{issuer_label(check)}.{self.domain}"

    def issuer_name(self, check: Check) -> str:
        """The issuer name of ``check``.

        :class:`PolicyError` for ``number`` or a check off the operator's menu.
        """
        refuse_number(check)
        if not self.menu.allows(check):
            raise PolicyError("the check is not on the operator's menu")
        return self._name(check)

    def epoch_length(self, check: Check) -> int:
        return self._epochs[check.fact_kind]

    def rotate(self) -> None:
        """Drop keys whose epoch has ended; make keys for the current epoch and ``ahead`` more."""
        now = epoch_seconds(self._clock.now())
        for name, check in self._checks.items():
            keys = self._keys[name]
            for epoch in [epoch for epoch, key in keys.items() if key.entry.not_after <= now]:
                del keys[epoch]
            current = now // self.epoch_length(check)
            for epoch in range(current, current + self._ahead + 1):
                if epoch not in keys:
                    keys[epoch] = self._draw(name, check, epoch)

    def _draw(self, name: str, check: Check, epoch: int) -> _IssuingKey:
        length = self.epoch_length(check)
        truncated = {
            key.entry.token_key.truncated_token_key_id for key in self._keys[name].values()
        }
        held = {key.entry.token_key_id for keys in self._keys.values() for key in keys.values()}
        for _ in range(_MAX_DRAWS):
            private_key = self._new_key()
            spki = public_key_to_spki(private_key.public_key())
            entry = TokenKeyEntry(name, check, epoch, epoch * length, (epoch + 1) * length, spki)
            # RFC 9578 section 6.5: truncated ids of keys in rotation must not collide;
            # RFC 9474 section 6.2: a key serves one purpose, so never two checks.
            if entry.token_key.truncated_token_key_id in truncated or entry.token_key_id in held:
                continue
            return _IssuingKey(entry, private_key)
        raise ValueError(f"no usable key in {_MAX_DRAWS} draws: the key source repeats itself")

    def token_keys(self) -> tuple[TokenKeyEntry, ...]:
        """Every key held, for the operator's entry in the key set (or the trust list)."""
        return tuple(
            key.entry for name in self._checks for _, key in sorted(self._keys[name].items())
        )

    def directory(self, issuer_name: str) -> bytes:
        """The issuer directory of ``issuer_name`` (RFC 9578 section 4), as JSON.

        Keys not yet expired, newest first, each with its ``not-before``: a
        standard client takes the first key whose ``not-before`` has passed,
        which is the key of the current epoch.
        """
        keys = self._keys.get(issuer_name)
        if keys is None:
            raise UntrustedIssuer("unknown issuer name")
        now = epoch_seconds(self._clock.now())
        entries = tuple(
            DirectoryTokenKey(TOKEN_TYPE_BLIND_RSA, key.entry.spki, key.entry.not_before)
            for _, key in sorted(keys.items(), reverse=True)
            if now < key.entry.not_after
        )
        return IssuerDirectory(f"https://{issuer_name}{ISSUER_REQUEST_PATH}", entries).to_json()

    def issue(self, issuer_name: str, token_request: bytes, evidence: bytes) -> bytes:
        """The TokenResponse (RFC 9578 section 6.2) to ``token_request`` sent to ``issuer_name``.

        Steps: the attester authenticates the subscriber from ``evidence``
        (its error propagates); the issuer name names a check (else
        :class:`UntrustedIssuer`) with a key for the current epoch (else
        :class:`UntrustedIssuer`); the check holds for the subscriber,
        evaluated as of the epoch's start (else :class:`PolicyError`, and
        nothing is signed); then the blinded message is signed with that key
        (:class:`~zkcheck.errors.DecodeError` or :class:`UntrustedIssuer` for a
        malformed request or one naming another key).
        """
        msisdn = self._attester.attest(evidence)
        check = self._checks.get(issuer_name)
        if check is None:
            raise UntrustedIssuer("unknown issuer name")
        instant = self._clock.now()
        now = epoch_seconds(instant)
        current = self._keys[issuer_name].get(now // self.epoch_length(check))
        if current is None:
            raise UntrustedIssuer("no key for the current epoch")
        facts = self._source.facts(msisdn)
        as_of = datetime.fromtimestamp(current.entry.not_before, UTC)
        if facts is None or not holds(check, facts, now=instant, as_of=as_of):
            raise PolicyError("the check cannot be attested")
        return issue_token_response(current.private_key, token_request)
