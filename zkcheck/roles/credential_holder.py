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

from zkcheck.claims import NUMBER, Check
from zkcheck.encoding.credential import (
    CarryOver,
    CredentialEvidence,
    CredentialRequest,
    CredentialResponse,
)
from zkcheck.encoding.messages import Presentation, Request, check_identifier
from zkcheck.errors import NotRequested, PolicyError, UntrustedIssuer
from zkcheck.hazmat import credential, presentation
from zkcheck.hazmat.bbs_pseudonym import generate_prover_nyms
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
    issue_time_bound,
    predicate_statements,
    predicates,
    pseudonym_blocks,
)
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import Clock, epoch_seconds

__all__ = ["CredentialHolder"]


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


class CredentialHolder:
    """A wallet of ``credential``-tier credentials, with the holder secret they share.

    ``trust`` gives the operators' credential keys, against which every
    response is checked before it is stored.
    """

    def __init__(self, trust: TrustAnchors, *, clock: Clock) -> None:
        self._trust = trust
        self._clock = clock
        self._holder_secret = credential.generate_holder_secret()
        self._pending: dict[str, _Pending] = {}
        self._held: list[_Credential] = []

    def __repr__(self) -> str:
        return f"CredentialHolder({len(self._held)} credentials)"

    def request_credential(
        self, operator_id: str, *, new_pseudonym: bool = False
    ) -> CredentialRequest:
        """Commit to the holder secret and a ``prover_nym`` for ``operator_id``.

        With a credential of this operator held (the one that expires last,
        expired or not), the request renews it: ``prover_nym`` is that
        credential's nym secret minus the operator's entropy, and the request
        carries a presentation of the held credential proving so
        (spec/13-pseudonyms.md, "Renewal"). Otherwise, or with
        ``new_pseudonym`` (after the operator reset this subscriber's
        pseudonym), it is a first request with a fresh ``prover_nym``; while
        a first request is pending (no credential stored from it yet), that
        same request is returned again, since the operator answers no other
        request without a carry-over once it has signed one. One request per
        operator is pending at a time.
        """
        if self._trust.operator(operator_id) is None:
            raise UntrustedIssuer("the operator is not in the trust anchors")
        held = [entry for entry in self._held if entry.operator_id == operator_id]
        pending = self._pending.get(operator_id)
        if new_pseudonym or not held:
            if pending is not None and pending.carried_entropy is None:
                return pending.request
            (prover_nym,) = generate_prover_nyms(1)
            commitment, secret_prover_blind = credential.commit(self._holder_secret, prover_nym)
            request = CredentialRequest(commitment)
            self._pending[operator_id] = _Pending(request, secret_prover_blind, prover_nym, None)
            return request
        old = max(held, key=lambda entry: entry.facts.expiry_day)
        prover_nym = carried_prover_nym(old.nym_secret, old.signer_nym_entropy)
        commitment, secret_prover_blind = credential.commit(self._holder_secret, prover_nym)
        opening = CarryOverOpening(secret_prover_blind, self._holder_secret, prover_nym)
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
        self._pending[operator_id] = _Pending(
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
        pending = self._pending.get(operator_id)
        if pending is None:
            raise PolicyError("no credential request is pending for this operator")
        if pending.carried_entropy is not None:
            del self._pending[operator_id]
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
            self._holder_secret,
            pending.prover_nym,
            response.signer_nym_entropy,
            pending.secret_prover_blind,
        )
        carried = pending.carried_entropy
        if carried is not None and not hmac.compare_digest(carried, response.signer_nym_entropy):
            raise PolicyError("the operator's entropy would change the pseudonym secret")
        self._held.append(
            _Credential(
                operator_id,
                response.key_id,
                key.public_key,
                response.signature,
                facts,
                pending.secret_prover_blind,
                nym_secret,
                response.signer_nym_entropy,
            )
        )
        self._pending.pop(operator_id, None)

    def remaining(self) -> int:
        """Credentials held (each may be presented any number of times until it expires)."""
        return len(self._held)

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
        none) whose menu has every check asked, valid on the request's day and
        today, fresh enough for the request's maximum age, with every fact
        asked, and every predicate true of it; otherwise nothing is shown (PolicyError), so that
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
            for held in self._held
            if (not request.operators or held.operator_id in request.operators)
            and self._on_menu(held.operator_id, checks)
            and last_day < held.facts.expiry_day
            and request.time - issue_time_bound(request, held.facts.expiry_day) <= request.max_age
            and self._has_facts(held, checks, derived)
        ]
        if not candidates:
            raise PolicyError("no stored credential answers this request")
        chosen = max(candidates, key=lambda held: held.facts.expiry_day)
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
            held.facts, held.secret_prover_blind, self._holder_secret, held.nym_secret
        )

    def _on_menu(self, operator_id: str, checks: tuple[Check, ...]) -> bool:
        # Thresholds and sets off the operator's menu are refused: a verifier
        # moving them would search the hidden value one bit at a time.
        entry = self._trust.operator(operator_id)
        return entry is not None and all(entry.menu.allows(check) for check in checks)

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
