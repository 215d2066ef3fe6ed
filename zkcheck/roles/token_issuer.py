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

:class:`TokenIssuerKeys` holds the keys and their file form (the operator's
``token-issuer-key`` file, spec/07-token-tier.md, "Files");
:class:`TokenIssuer` issues with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NoReturn

from cryptography.hazmat.primitives.asymmetric import rsa

from zkcheck.claims import NUMBER, Check, FactKind, Menu, holds, sort_checks
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.cose import COSEKey
from zkcheck.encoding.messages import VERSION, check_identifier, message_fields
from zkcheck.encoding.token import check_server_name, issuer_label, refuse_number
from zkcheck.encoding.token_messages import (
    ISSUER_REQUEST_PATH,
    IssuerDirectories,
    TokenIssuanceRequest,
    TokenIssuanceResponse,
    token_request_id,
)
from zkcheck.errors import DecodeError, PolicyError, UntrustedIssuer
from zkcheck.hazmat.blind_rsa import (
    generate_private_key,
    load_private_key,
    private_key_to_der,
    public_key_to_spki,
)
from zkcheck.hazmat.privacypass import (
    TOKEN_TYPE_BLIND_RSA,
    DirectoryTokenKey,
    IssuerDirectory,
    issue_token_response,
)
from zkcheck.roles.attester import Attester
from zkcheck.sources.base import SubscriberSource
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet, decode_menu
from zkcheck.trust.token_keys import TokenKeyEntry

__all__ = [
    "DEFAULT_EPOCHS",
    "ISSUER_REQUEST_PATH",
    "TOKEN_ISSUER_KEY_KIND",
    "TokenIssuer",
    "TokenIssuerKeys",
]

DEFAULT_EPOCHS: Mapping[FactKind, int] = {
    FactKind.STATIC: 7 * 86_400,
    FactKind.AS_OF_ISSUE: 3_600,
    FactKind.LIVE: 600,
}
"""Epoch lengths in seconds: a week for static facts, an hour for swaps, ten minutes
for live network state (the table of spec/07-token-tier.md)."""

TOKEN_ISSUER_KEY_KIND = "token-issuer-key"  # noqa: S105 (a message type)
"""The type (key 1) of the operator's token key file."""

_MAX_DRAWS = 16
_FACT_KINDS = (FactKind.STATIC, FactKind.AS_OF_ISSUE, FactKind.LIVE)
_MAX_EPOCH = 366 * 86_400
_MAX_FILE_KEYS = 256
_MAX_FILE = 1024 * 1024


@dataclass(frozen=True)
class _IssuingKey:
    entry: TokenKeyEntry
    private_key: rsa.RSAPrivateKey = field(repr=False, compare=False)


class TokenIssuerKeys:
    """An operator's token-tier keys: one issuer name per check, one key per epoch.

    ``domain`` is the server name under which the issuer names live.
    ``ahead`` is how many epochs after the current one have keys already
    (published with their ``not-before``, so clients and verifiers have them
    before they are used). ``new_key`` draws a fresh signing key; keys whose
    truncated key id collides with another key of the same issuer name, or
    that are already held, are drawn again. The keys of the epoch containing
    ``now`` and of ``ahead`` more are made at once.
    """

    def __init__(
        self,
        operator_id: str,
        *,
        domain: str,
        now: int,
        menu: Menu | None = None,
        epochs: Mapping[FactKind, int] = DEFAULT_EPOCHS,
        ahead: int = 1,
        new_key: Callable[[], rsa.RSAPrivateKey] = generate_private_key,
    ) -> None:
        self._configure(operator_id, domain, menu, epochs, ahead, new_key)
        self.rotate(now)

    def _configure(
        self,
        operator_id: str,
        domain: str,
        menu: Menu | None,
        epochs: Mapping[FactKind, int],
        ahead: int,
        new_key: Callable[[], rsa.RSAPrivateKey],
    ) -> None:
        self.operator_id = check_identifier(operator_id, "the operator id")
        self.domain = check_server_name(domain, "the token domain")
        self.menu = menu if menu is not None else Menu.default()
        if (
            ahead < 0
            or set(epochs) != set(_FACT_KINDS)
            or any(not 1 <= length <= _MAX_EPOCH for length in epochs.values())
        ):
            raise ValueError(
                "epochs are 1 s to a year for every kind of fact; ahead is not negative"
            )
        self._epochs = dict(epochs)
        self._ahead = ahead
        self._new_key = new_key
        self._checks: dict[str, Check] = {}
        for check in sort_checks(self.menu.checks):
            if check != NUMBER:
                self._checks[self._name(check)] = check
        self._keys: dict[str, dict[int, _IssuingKey]] = {name: {} for name in self._checks}

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

    def check_of(self, issuer_name: str) -> Check:
        """The check an issuer name answers; :class:`UntrustedIssuer` for another name."""
        check = self._checks.get(issuer_name)
        if check is None:
            raise UntrustedIssuer("unknown issuer name")
        return check

    def epoch_length(self, check: Check) -> int:
        return self._epochs[check.fact_kind]

    def rotate(self, now: int) -> bool:
        """Drop keys whose epoch has ended; make keys for the epoch containing ``now`` and
        ``ahead`` more. Returns whether anything changed (the key set to publish did)."""
        changed = False
        for name, check in self._checks.items():
            keys = self._keys[name]
            for epoch in [epoch for epoch, key in keys.items() if key.entry.not_after <= now]:
                del keys[epoch]
                changed = True
            current = now // self.epoch_length(check)
            for epoch in range(current, current + self._ahead + 1):
                if epoch not in keys:
                    keys[epoch] = self._draw(name, check, epoch)
                    changed = True
        return changed

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

    def signing_key(self, issuer_name: str, now: int) -> tuple[TokenKeyEntry, rsa.RSAPrivateKey]:
        """The key of ``issuer_name`` for the epoch containing ``now``.

        :class:`UntrustedIssuer` for an unknown issuer name or an epoch without a key.
        """
        check = self.check_of(issuer_name)
        current = self._keys[issuer_name].get(now // self.epoch_length(check))
        if current is None:
            raise UntrustedIssuer("no key for the current epoch")
        return current.entry, current.private_key

    def directory(self, issuer_name: str, now: int) -> bytes:
        """The issuer directory of ``issuer_name`` (RFC 9578 section 4), as JSON.

        Keys not yet expired, newest first, each with its ``not-before``: a
        standard client takes the first key whose ``not-before`` has passed,
        which is the key of the current epoch.
        """
        self.check_of(issuer_name)
        entries = tuple(
            DirectoryTokenKey(TOKEN_TYPE_BLIND_RSA, key.entry.spki, key.entry.not_before)
            for _, key in sorted(self._keys[issuer_name].items(), reverse=True)
            if now < key.entry.not_after
        )
        return IssuerDirectory(f"https://{issuer_name}{ISSUER_REQUEST_PATH}", entries).to_json()

    def directories(self, now: int) -> IssuerDirectories:
        """Every issuer name's directory, as the operator publishes them."""
        names = sorted(self._checks, key=str.encode)
        return IssuerDirectories(tuple((name, self.directory(name, now)) for name in names))

    def entry(self, signing_keys: Iterable[COSEKey] = ()) -> OperatorEntry:
        """The operator's key-set entry: its signing keys (none for an operator that
        issues tokens only), its menu and every token key."""
        return OperatorEntry.create(self.operator_id, signing_keys, self.menu, self.token_keys())

    def publish(self, keyset: OperatorKeySet | None = None) -> OperatorKeySet:
        """``keyset`` with this operator's token keys in place of those it listed, its menu
        widened by the checks of this menu, its other keys and operators kept; without a
        key set, a key set of this operator alone."""
        keys = self.token_keys()

        def merged(entry: OperatorEntry) -> OperatorEntry:
            return replace(entry, menu=Menu(entry.menu.checks | self.menu.checks), token_keys=keys)

        new = self.entry()
        return OperatorKeySet((new,)) if keyset is None else keyset.with_operator(new, merged)

    # -- the file form --------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The key file, private keys included: store it readable by its owner alone."""
        return encode(
            {
                0: VERSION,
                1: TOKEN_ISSUER_KEY_KIND,
                2: self.operator_id,
                3: self.domain,
                4: list(self.menu.identifiers()),
                5: [self._epochs[kind] for kind in _FACT_KINDS],
                6: [
                    [key.entry.to_map(), private_key_to_der(key.private_key).reveal()]
                    for name in self._checks
                    for _, key in sorted(self._keys[name].items())
                ],
            }
        )

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        new_key: Callable[[], rsa.RSAPrivateKey] = generate_private_key,
    ) -> TokenIssuerKeys:
        """Decode a key file; :class:`~zkcheck.errors.DecodeError` for anything malformed.

        Every key must be the key its entry publishes, under its check's issuer
        name, with its check's epoch length, and the keys together must satisfy
        the rules of a key set. No key is made or dropped: :meth:`rotate` does that.
        """
        fields = message_fields(data, TOKEN_ISSUER_KEY_KIND, {2, 3, 4, 5, 6}, max_size=_MAX_FILE)
        lengths, listed = fields[5], fields[6]
        if type(lengths) is not list or len(lengths) != len(_FACT_KINDS):
            raise DecodeError("epoch lengths: one per kind of fact")
        if any(type(length) is not int for length in lengths):
            raise DecodeError("an epoch length is a number of seconds")
        if type(listed) is not list or len(listed) > _MAX_FILE_KEYS:
            raise DecodeError(f"a token key file lists at most {_MAX_FILE_KEYS} keys")
        keys = cls.__new__(cls)
        try:
            keys._configure(
                check_identifier(fields[2], "the operator id"),
                fields[3],
                decode_menu(fields[4]),
                dict(zip(_FACT_KINDS, lengths, strict=True)),
                1,
                new_key,
            )
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
        for item in listed:
            issuing = keys._issuing_key(item)
            keys._keys[issuing.entry.issuer_name][issuing.entry.epoch] = issuing
        if listed:
            try:
                keys.entry()  # the rules of a key set: epochs apart, truncated ids apart
            except ValueError as exc:
                raise DecodeError(str(exc)) from None
        return keys

    def _issuing_key(self, item: object) -> _IssuingKey:
        if type(item) is not list or len(item) != 2 or type(item[1]) is not bytes:
            raise DecodeError("a key is [token key, PKCS #8 private key]")
        entry = TokenKeyEntry.from_map(item[0])
        if self._checks.get(entry.issuer_name) != entry.check:
            raise DecodeError("a key's issuer name is not its check's")
        if entry.not_after - entry.not_before != self.epoch_length(entry.check):
            raise DecodeError("a key's epoch is not its check's epoch length")
        if entry.epoch in self._keys[entry.issuer_name]:
            raise DecodeError("two keys for one epoch")
        private_key = load_private_key(item[1])
        if public_key_to_spki(private_key.public_key()) != entry.spki:
            raise DecodeError("a private key is not the key its entry publishes")
        return _IssuingKey(entry, private_key)

    def __repr__(self) -> str:
        return f"TokenIssuerKeys({self.operator_id}, {len(self.token_keys())} keys, <redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("token issuer keys cannot be pickled; use to_bytes() and store it safely")


class TokenIssuer:
    """An operator issuing ``token``-tier tokens with fresh keys
    (:class:`TokenIssuerKeys` describes the arguments); :meth:`with_keys`
    issues with keys loaded from a file."""

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
        now = epoch_seconds(clock.now())
        keys = TokenIssuerKeys(
            operator_id,
            domain=domain,
            now=now,
            menu=menu,
            epochs=epochs,
            ahead=ahead,
            new_key=new_key,
        )
        self._setup(keys, source, attester, clock)

    def _setup(
        self, keys: TokenIssuerKeys, source: SubscriberSource, attester: Attester, clock: Clock
    ) -> None:
        self.keys = keys
        self._source = source
        self._attester = attester
        self._clock = clock

    @classmethod
    def with_keys(
        cls, keys: TokenIssuerKeys, source: SubscriberSource, attester: Attester, *, clock: Clock
    ) -> TokenIssuer:
        """An issuer signing with ``keys`` as they are (call :meth:`rotate` to renew them)."""
        issuer = cls.__new__(cls)
        issuer._setup(keys, source, attester, clock)
        return issuer

    @property
    def operator_id(self) -> str:
        return self.keys.operator_id

    @property
    def domain(self) -> str:
        return self.keys.domain

    @property
    def menu(self) -> Menu:
        return self.keys.menu

    def _now(self) -> int:
        return epoch_seconds(self._clock.now())

    def issuer_name(self, check: Check) -> str:
        """The issuer name of ``check`` (:meth:`TokenIssuerKeys.issuer_name`)."""
        return self.keys.issuer_name(check)

    def epoch_length(self, check: Check) -> int:
        return self.keys.epoch_length(check)

    def rotate(self) -> bool:
        """Renew the keys for the current time (:meth:`TokenIssuerKeys.rotate`)."""
        return self.keys.rotate(self._now())

    def token_keys(self) -> tuple[TokenKeyEntry, ...]:
        """Every key held, for the operator's entry in the key set (or the trust list)."""
        return self.keys.token_keys()

    def directory(self, issuer_name: str) -> bytes:
        """The issuer directory of ``issuer_name`` now (:meth:`TokenIssuerKeys.directory`)."""
        return self.keys.directory(issuer_name, self._now())

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
        response = self._sign_if_holds(msisdn, issuer_name, token_request)
        if response is None:
            raise PolicyError("the check cannot be attested")
        return response

    def issue_all(
        self, request: TokenIssuanceRequest | bytes, evidence: bytes
    ) -> TokenIssuanceResponse:
        """Answer every TokenRequest of a ``token-request`` whose check holds, as
        :meth:`issue` does one; those whose check does not hold get no answer.

        Raises what :meth:`issue` raises for an unknown issuer name or a
        malformed request, and :class:`PolicyError` when no check holds: then
        nothing is signed at all.
        """
        if isinstance(request, bytes):
            request = TokenIssuanceRequest.from_bytes(request)
        msisdn = self._attester.attest(evidence)
        answers = []
        for issuer_name, token_request in request.token_requests:
            response = self._sign_if_holds(msisdn, issuer_name, token_request)
            if response is not None:
                answers.append((token_request_id(token_request), response))
        if not answers:
            raise PolicyError("the check cannot be attested")
        return TokenIssuanceResponse(tuple(answers))

    def _sign_if_holds(self, msisdn: str, issuer_name: str, token_request: bytes) -> bytes | None:
        instant = self._clock.now()
        entry, private_key = self.keys.signing_key(issuer_name, epoch_seconds(instant))
        facts = self._source.facts(msisdn)
        as_of = datetime.fromtimestamp(entry.not_before, UTC)
        if facts is None or not holds(entry.check, facts, now=instant, as_of=as_of):
            return None
        return issue_token_response(private_key, token_request)
