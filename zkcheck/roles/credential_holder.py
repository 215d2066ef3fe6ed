"""The phone's side of the credential tier: one holder secret, blind-issued credentials,
presentations bound to each request (spec/08-credential-tier.md).

::

    Holder                                   Operator (CredentialIssuer)
    request_credential(op) -- CredentialRequest ---------------> |  attester names the subscriber
                         <---------------- CredentialResponse -- |  blind signature, facts
    receive(op, response): every check, then store

    Verifier                                 Holder
       | -- Request ------------------------> |  present(request)
       | <------------------ Presentation ---- |  fresh proof, discloses what was asked

The holder keeps one holder secret for all its credentials; the operator
never sees it, nor the holder's blind or its part of the pseudonym secret.
At renewal (a request to an operator of which it holds a credential) the
holder carries that credential's pseudonym secret over into the new one
(spec/13-pseudonyms.md, "Renewal"), so its pseudonym at every verifier stays
the same; the pseudonym's context is the verifier identity the application
authenticated (``origin``), never the one a request names.
Before it stores a credential the holder checks every value the operator
chose (section "Holder: checks before storing"): a value that could tag one
subscriber (a foreign header or type, an expiry off the weekly grid, an
issue time away from the holder's clock, a fact outside its range) is
refused. A credential is shown any number of times: each presentation is a
fresh zero-knowledge proof, unlinkable to the others and to the issuance.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import NoReturn

from zkcheck.claims import NUMBER, Check
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.credential import (
    CarryOver,
    CredentialEvidence,
    CredentialRequest,
    CredentialResponse,
    decode_facts,
    encode_facts,
)
from zkcheck.encoding.messages import (
    VERSION as FILE_VERSION,
)
from zkcheck.encoding.messages import (
    Presentation,
    Request,
    check_identifier,
    message_fields,
)
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidSignature,
    NotRequested,
    PolicyError,
    UntrustedIssuer,
)
from zkcheck.hazmat import credential, presentation
from zkcheck.hazmat.bbs_pseudonym import generate_prover_nyms
from zkcheck.hazmat.blind_bbs import secret_scalar
from zkcheck.hazmat.credential import ISSUE_HOUR_TOLERANCE, LayoutFacts, day_of_time, hour_floor
from zkcheck.hazmat.credential_pseudonym import (
    CARRY_OVER_DISCLOSED,
    CARRY_OVER_VERSION,
    CarryOverBlock,
    CarryOverOpening,
    carried_prover_nym,
    carry_over_header,
)
from zkcheck.hazmat.predicate_statements import MembershipStatement, RangeStatement
from zkcheck.hazmat.presentation import Statement
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles._credential import (
    TIER,
    TIME_TOLERANCE,
    VERSION,
    answered_checks,
    disclosed_indexes,
    in_use_in_issue_week,
    issue_time_bound,
    predicate_statements,
    predicates,
    pseudonym_blocks,
)
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock, epoch_seconds

__all__ = [
    "CREDENTIAL_WALLET_KIND",
    "CredentialHolder",
    "CredentialWallet",
    "HeldCredential",
    "WaitingRequest",
]

CREDENTIAL_WALLET_KIND = "credential-wallet"
"""The type (key 1) of a credential wallet file."""

_MAX_HELD = 256
_MAX_WALLET = 2 * 1024 * 1024


@dataclass(frozen=True)
class _Credential:
    operator_id: str
    key_id: bytes
    public_key: bytes
    signature: bytes
    facts: LayoutFacts
    secret_prover_blind: SecretBytes = field(repr=False)
    nym_secret: SecretBytes = field(repr=False)
    signer_nym_entropy: bytes = field(repr=False)


@dataclass(frozen=True)
class _Pending:
    request: CredentialRequest
    secret_prover_blind: SecretBytes = field(repr=False)
    prover_nym: SecretBytes = field(repr=False)
    carried_entropy: bytes | None = field(repr=False)
    """At renewal, the operator's entropy the request carries the nym secret over with."""


@dataclass(frozen=True)
class HeldCredential:
    """What a wallet says of a credential it holds: its operator, its key, its issue hour
    and its expiry day (the public parts; every fact and secret stays inside)."""

    operator_id: str
    key_id: bytes
    issue_hour: int
    expiry_day: int


@dataclass(frozen=True)
class WaitingRequest:
    """A credential request waiting for its operator's response: a first request, or a
    renewal carrying the pseudonym secret over."""

    operator_id: str
    renewal: bool


class CredentialWallet:
    """The phone's holder secret, its credentials and the credential requests waiting for
    a response, with the secrets of each (spec/08-credential-tier.md, "Files").

    It has a file form (:meth:`export_wallet`, the ``credential-wallet`` file)
    so that the phone's steps can run as separate commands; the wallet needs
    no trust anchors, only the holder's steps do (:class:`CredentialHolder`).
    Holds secrets: never printed, never pickled.
    """

    def __init__(self) -> None:
        self._holder_secret = credential.generate_holder_secret()
        self._pending: dict[str, _Pending] = {}
        self._held: list[_Credential] = []

    def __repr__(self) -> str:
        return (
            f"CredentialWallet({len(self._held)} credentials, {len(self._pending)} pending, "
            "<redacted>)"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("a credential wallet cannot be pickled; use export_wallet()")

    def held(self) -> tuple[HeldCredential, ...]:
        """The credentials held, described by their public parts."""
        return tuple(
            HeldCredential(
                held.operator_id, held.key_id, held.facts.issue_hour, held.facts.expiry_day
            )
            for held in self._held
        )

    def waiting(self) -> tuple[WaitingRequest, ...]:
        """The requests waiting for a response, one per operator at most."""
        return tuple(
            WaitingRequest(operator_id, pending.carried_entropy is not None)
            for operator_id, pending in sorted(self._pending.items())
        )

    def _keep(self, held: _Credential, today: int) -> None:
        """Store ``held``, and forget the credentials of its operator that have expired by
        ``today`` (an ordinal day), but the one that expires last: a renewal can carry
        its secret over (spec/13-pseudonyms.md, "Holder: request")."""
        self._held.append(held)
        latest = _latest([entry for entry in self._held if entry.operator_id == held.operator_id])
        self._held = [
            entry
            for entry in self._held
            if entry.operator_id != held.operator_id
            or entry is latest
            or today < entry.facts.expiry_day
        ]
        if len(self._held) > _MAX_HELD:
            self._held.sort(key=lambda entry: entry.facts.expiry_day)
            del self._held[: len(self._held) - _MAX_HELD]

    # -- the file form --------------------------------------------------------------------

    def export_wallet(self) -> bytes:
        """The wallet as bytes, secrets included: store it readable by its owner alone."""
        return encode(
            {
                0: FILE_VERSION,
                1: CREDENTIAL_WALLET_KIND,
                2: self._holder_secret.reveal(),
                3: [
                    {
                        1: held.operator_id,
                        2: held.key_id,
                        3: held.public_key,
                        4: held.signature,
                        5: encode_facts(held.facts),
                        6: held.secret_prover_blind.reveal(),
                        7: held.nym_secret.reveal(),
                        8: held.signer_nym_entropy,
                    }
                    for held in self._held
                ],
                4: [
                    {
                        1: operator_id,
                        2: pending.request.to_bytes(),
                        3: pending.secret_prover_blind.reveal(),
                        4: pending.prover_nym.reveal(),
                        **({} if pending.carried_entropy is None else {5: pending.carried_entropy}),
                    }
                    for operator_id, pending in sorted(self._pending.items())
                ],
            }
        )

    @classmethod
    def import_wallet(cls, data: bytes) -> CredentialWallet:
        """A wallet restored from :meth:`export_wallet`'s bytes; :class:`DecodeError` for
        anything malformed: a value of the wrong shape or out of range, a key id that is
        not its public key's, a credential whose signature does not verify over its facts
        and the wallet's secrets, two requests waiting for one operator, or a request
        whose carried entropy is there without its carry-over or missing with it."""
        fields = message_fields(data, CREDENTIAL_WALLET_KIND, {2, 3, 4}, max_size=_MAX_WALLET)
        held, pending = fields[3], fields[4]
        for entries in (held, pending):
            if type(entries) is not list or len(entries) > _MAX_HELD:
                raise DecodeError(
                    f"a credential wallet lists its credentials and its requests, "
                    f"at most {_MAX_HELD} each"
                )
        wallet = cls.__new__(cls)
        wallet._holder_secret = SecretBytes(_scalar(fields[2], "the holder secret"))
        wallet._held = [wallet._credential(item) for item in held]
        wallet._pending = {}
        for item in pending:
            operator_id, waiting = _pending(item)
            if operator_id in wallet._pending:
                raise DecodeError("two requests wait for one operator")
            wallet._pending[operator_id] = waiting
        return wallet

    def _credential(self, item: object) -> _Credential:
        if not isinstance(item, dict) or set(item) != set(range(1, 9)):
            raise DecodeError("a held credential has keys 1 to 8")
        public_key = item[3]
        if type(public_key) is not bytes or credential.key_id(public_key) != item[2]:
            raise DecodeError("a credential's key id is not its public key's")
        signature = item[4]
        if type(signature) is not bytes:
            raise DecodeError("a credential's signature is a byte string")
        facts = decode_facts(item[5])
        blind = SecretBytes(_scalar(item[6], "secret_prover_blind", allow_zero=True))
        nym_secret = SecretBytes(_scalar(item[7], "the nym secret"))
        entropy = _scalar(item[8], "signer_nym_entropy")
        try:
            # The holder's own checks, run again: the facts in range, and the signature
            # over them and the wallet's secrets under the key stored with it. The holder's
            # part is the nym secret less the entropy, so the sum it completes is the nym
            # secret stored.
            credential.complete(
                public_key,
                signature,
                facts,
                self._holder_secret,
                carried_prover_nym(nym_secret, entropy),
                entropy,
                blind,
            )
        except (PolicyError, InvalidSignature):
            raise DecodeError("a credential does not verify under its key") from None
        return _Credential(
            check_identifier(item[1], "the operator id"),
            item[2],
            public_key,
            signature,
            facts,
            blind,
            nym_secret,
            entropy,
        )


def _latest(held: list[_Credential]) -> _Credential:
    """The credential of ``held`` (in the order stored) that expires last; of several that
    expire on one day, the one stored last.

    Credentials issued in one week share their expiry, so a tie is common: a renewal, or a
    first credential after the operator reset the pseudonym, stored in the week of the
    credential it follows. The one stored last carries the facts read last and the
    pseudonym secret the operator now holds a record of; an earlier one would show a
    pseudonym the holder left behind and renew a secret the operator no longer accepts.
    """
    return max(reversed(held), key=lambda entry: entry.facts.expiry_day)


def _scalar(value: object, what: str, *, allow_zero: bool = False) -> bytes:
    """A 32-octet secret scalar of the wallet file (below r; 0 only where ``allow_zero``)."""
    if type(value) is not bytes:
        raise DecodeError(f"{what} is a byte string")
    secret_scalar(value, what, allow_zero=allow_zero)
    return value


def _pending(item: object) -> tuple[str, _Pending]:
    if not isinstance(item, dict) or not {1, 2, 3, 4} <= set(item) <= {1, 2, 3, 4, 5}:
        raise DecodeError("a waiting request has keys 1 to 4, and 5 at renewal")
    if type(item[2]) is not bytes:
        raise DecodeError("a waiting request holds its credential-request message")
    request = CredentialRequest.from_bytes(item[2])
    carried = _scalar(item[5], "the carried entropy") if 5 in item else None
    if (carried is None) != (request.carry_over is None):
        raise DecodeError("a renewal, and only a renewal, keeps the entropy it carries over with")
    return check_identifier(item[1], "the operator id"), _Pending(
        request,
        SecretBytes(_scalar(item[3], "secret_prover_blind", allow_zero=True)),
        SecretBytes(_scalar(item[4], "prover_nym", allow_zero=True)),
        carried,
    )


class CredentialHolder:
    """A wallet of ``credential``-tier credentials (:class:`CredentialWallet`, a new one
    unless ``wallet`` is given), with the holder's steps.

    ``trust`` gives the operators' credential keys, against which every
    response is checked before it is stored, and their menus.
    """

    def __init__(
        self, trust: TrustAnchors, *, clock: Clock, wallet: CredentialWallet | None = None
    ) -> None:
        self._trust = trust
        self._clock = clock
        self.wallet = wallet if wallet is not None else CredentialWallet()

    def __repr__(self) -> str:
        return f"CredentialHolder({len(self.wallet._held)} credentials)"

    def request_credential(
        self, operator_id: str, *, new_pseudonym: bool = False
    ) -> CredentialRequest:
        """Commit to the holder secret and a ``prover_nym`` for ``operator_id``.

        With a credential of this operator held (the one that expires last,
        expired or not; of several, the one stored last), the request renews
        it: ``prover_nym`` is that credential's nym secret minus the
        operator's entropy, and the request carries a presentation of the held
        credential proving so
        (spec/13-pseudonyms.md, "Renewal"). Otherwise, or with
        ``new_pseudonym`` (after the operator reset this subscriber's
        pseudonym), it is a first request with a fresh ``prover_nym``. While
        a first request is pending (no credential stored from it yet), that
        same request is returned again, renewal or not, since the operator
        answers no other request without a carry-over once it has signed one
        (and, after a reset, no renewal); :meth:`discard_request` drops it
        when the operator has refused it. One request per operator is pending
        at a time, and at most 256 operators have one: the wallet file holds
        no more (PolicyError).
        """
        if self._trust.operator(operator_id) is None:
            raise UntrustedIssuer("the operator is not in the trust anchors")
        if operator_id not in self.wallet._pending and len(self.wallet._pending) >= _MAX_HELD:
            # Refused before anything is drawn: a wallet with one more request would be
            # written, and then never read again.
            raise PolicyError(f"requests are waiting for {_MAX_HELD} operators already")
        held = [entry for entry in self.wallet._held if entry.operator_id == operator_id]
        pending = self.wallet._pending.get(operator_id)
        if pending is not None and pending.carried_entropy is None:
            # Its response may have been lost, and once the operator has signed it the
            # operator answers no other first request, nor (after a reset) a renewal:
            # replacing it could leave the subscriber with no request the operator answers.
            return pending.request
        if new_pseudonym or not held:
            (prover_nym,) = generate_prover_nyms(1)
            commitment, secret_prover_blind = credential.commit(
                self.wallet._holder_secret, prover_nym
            )
            request = CredentialRequest(commitment)
            self.wallet._pending[operator_id] = _Pending(
                request, secret_prover_blind, prover_nym, None
            )
            return request
        old = _latest(held)
        prover_nym = carried_prover_nym(old.nym_secret, old.signer_nym_entropy)
        commitment, secret_prover_blind = credential.commit(self.wallet._holder_secret, prover_nym)
        opening = CarryOverOpening(secret_prover_blind, self.wallet._holder_secret, prover_nym)
        proof = presentation.prove(
            old.public_key,
            old.signature,
            self._messages(old),
            CARRY_OVER_DISCLOSED,
            carry_over_header(operator_id, commitment),
            version=CARRY_OVER_VERSION,
            pseudonyms=(CarryOverBlock(commitment, old.signer_nym_entropy, opening=opening),),
        )
        carry_over = CarryOver(
            old.key_id, old.facts.expiry_day, proof.bbs_proof, proof.pseudonym_proof
        )
        request = CredentialRequest(commitment, carry_over)
        self.wallet._pending[operator_id] = _Pending(
            request, secret_prover_blind, prover_nym, old.signer_nym_entropy
        )
        return request

    def receive(self, operator_id: str, response: CredentialResponse | bytes) -> None:
        """Check the operator's response to the pending request and store the credential.

        The checks, in order (section "Holder: checks before storing"): the
        response decodes (DecodeError); its key is a credential key of
        ``operator_id`` that the trust anchors accept now (UntrustedIssuer,
        Expired) and whose epoch contains the issue hour (UntrustedIssuer);
        the issue hour is within one hour of this holder's clock, the expiry on
        the weekly grid and every fact in its range (PolicyError); the
        pseudonym entropy is a scalar in [1, r - 1] (DecodeError); the
        signature verifies over the holder's own header, type and secrets
        (InvalidSignature); and at renewal the entropy is the one the request
        carried the nym secret over with (PolicyError: another would change
        the holder's pseudonyms). A failed renewal is discarded (the next
        request carries the secret over again); a first request stays pending
        until a credential is stored from it, so that it can be sent again.
        """
        pending = self.wallet._pending.get(operator_id)
        if pending is None:
            raise PolicyError("no credential request is pending for this operator")
        if pending.carried_entropy is not None:
            del self.wallet._pending[operator_id]
        if isinstance(response, bytes):
            response = CredentialResponse.from_bytes(response)
        now = epoch_seconds(self._clock.now())
        operator, key = self._trust.find_credential_key(response.key_id, now)
        facts = response.facts
        if operator.operator_id != operator_id:
            raise UntrustedIssuer("the key is not this operator's")
        hour = facts.issue_hour
        if type(hour) is not int or not key.overlaps(3600 * hour, 3600 * (hour + 1)):
            raise UntrustedIssuer("the key was not in use at the issue hour")
        if abs(hour - hour_floor(now)) > ISSUE_HOUR_TOLERANCE:
            raise PolicyError("the issue time is not the current hour")
        nym_secret = credential.complete(
            key.public_key,
            response.signature,
            facts,
            self.wallet._holder_secret,
            pending.prover_nym,
            response.signer_nym_entropy,
            pending.secret_prover_blind,
        )
        carried = pending.carried_entropy
        if carried is not None and not hmac.compare_digest(carried, response.signer_nym_entropy):
            raise PolicyError("the operator's entropy would change the pseudonym secret")
        self.wallet._keep(
            _Credential(
                operator_id,
                response.key_id,
                key.public_key,
                response.signature,
                facts,
                pending.secret_prover_blind,
                nym_secret,
                response.signer_nym_entropy,
            ),
            day_of_time(now),
        )
        self.wallet._pending.pop(operator_id, None)

    def discard_request(self, operator_id: str) -> bool:
        """Drop the request pending for ``operator_id``; whether there was one.

        For a request the operator refused. A first request stays pending until
        a credential is stored from it, since its response may have been lost;
        only the application knows that the operator's answer was a refusal
        (spec/13-pseudonyms.md, "Holder: request").
        """
        return self.wallet._pending.pop(operator_id, None) is not None

    def remaining(self) -> int:
        """Credentials held (each may be presented any number of times until it expires)."""
        return len(self.wallet._held)

    def present(self, request: Request | bytes, *, origin: str | None = None) -> Presentation:
        """Answer ``request`` with a fresh presentation of one credential.

        The holder's policy comes first (chapter 9, "Holder policy"): the
        request accepts this tier, this tier answers every check asked
        (NotRequested otherwise: nothing is shown rather than a partial answer),
        the request's time is within five minutes of the holder's clock (a
        verifier that moved the date would search the birthday with a fixed
        threshold), and a swap check's freshness bound is on the menu
        (PolicyError). The credential chosen is from an accepted operator (any
        operator in good standing on the trust list, when the request names
        none) whose menu has every check asked, under a key the trust anchors
        accept now and that was in use in its issue week, valid on the request's day and
        today, fresh enough for the request's maximum age, with every fact
        asked, and every predicate true of it (of several, the one that expires last, and of
        those the one stored last); otherwise nothing is shown (PolicyError), so that
        no presentation ever says "no". The presentation discloses the type,
        the expiry and what the checks ask, proves the predicates, and is bound
        to the request's digest.

        A request that asks for a pseudonym gets the pseudonym for ``origin``:
        the verifier identity the application authenticated (the party it
        talks to, in the identifier syntax of verifier ids), never the
        request's own ``verifier_id``; without it the holder refuses
        (PolicyError).
        """
        if isinstance(request, bytes):
            request = Request.from_bytes(request)
        if TIER not in request.tiers:
            raise NotRequested("the request does not accept the credential tier")
        checks = answered_checks(request.checks)
        blocks: tuple[Statement, ...] = ()
        if request.pseudonym:
            if origin is None:
                raise PolicyError(
                    "a pseudonym needs the verifier identity the holder authenticated"
                )
            blocks = pseudonym_blocks(request, check_identifier(origin, "the origin"))
        now = epoch_seconds(self._clock.now())
        if abs(request.time - now) > TIME_TOLERANCE:
            raise PolicyError("the request's time is too far from this holder's clock")
        derived = predicate_statements(request)
        last_day = max(day_of_time(request.time), day_of_time(now))
        candidates = [
            held
            for held in self.wallet._held
            if (not request.operators or held.operator_id in request.operators)
            and self._on_menu(held.operator_id, checks)
            and last_day < held.facts.expiry_day
            and request.time - issue_time_bound(request, held.facts.expiry_day) <= request.max_age
            and self._has_facts(held, checks, derived)
            and self._key_accepted(held, now)
        ]
        if not candidates:
            raise PolicyError("no stored credential answers this request")
        chosen = _latest(candidates)
        proof = presentation.prove(
            chosen.public_key,
            chosen.signature,
            self._messages(chosen),
            disclosed_indexes(checks),
            request.digest(),
            version=VERSION,
            statements=predicates(derived),
            pseudonyms=blocks,
        )
        body = CredentialEvidence(
            chosen.key_id,
            chosen.facts.expiry_day,
            proof.bbs_proof,
            proof.predicate_proof,
            proof.pseudonym_proof or None,
        )
        return Presentation(TIER, request.nonce, body.to_bytes())

    def _messages(self, held: _Credential) -> list[int]:
        return credential.message_scalars(
            held.facts, held.secret_prover_blind, self.wallet._holder_secret, held.nym_secret
        )

    def _on_menu(self, operator_id: str, checks: tuple[Check, ...]) -> bool:
        # Thresholds and sets off the operator's menu are refused: a verifier
        # moving them would search the hidden value one bit at a time.
        entry = self._trust.operator(operator_id)
        return entry is not None and all(entry.menu.allows(check) for check in checks)

    def _key_accepted(self, held: _Credential, now: int) -> bool:
        # A credential under a key the verifier would refuse (revoked, outside its
        # validity, not in use in the credential's issue week) is not shown: another
        # credential may answer, and otherwise nothing is shown rather than a refusal.
        try:
            operator, key = self._trust.find_credential_key(held.key_id, now)
        except (UntrustedIssuer, Expired):
            return False
        return operator.operator_id == held.operator_id and in_use_in_issue_week(
            key, held.facts.expiry_day
        )

    @staticmethod
    def _has_facts(
        held: _Credential,
        checks: tuple[Check, ...],
        derived: tuple[RangeStatement | MembershipStatement, ...],
    ) -> bool:
        # A disclosed number the credential does not have would only make the
        # verifier's proof check fail, and a predicate that does not hold would
        # be refused by the prover: the holder shows nothing instead.
        if NUMBER in checks and held.facts.msisdn is None:
            return False
        values = held.facts.scalars()
        return all(statement.holds(values[statement.attribute]) for statement in derived)
