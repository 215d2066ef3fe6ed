"""Range and membership predicates as statements of a presentation (spec/09-predicate-proofs.md).

Chapter 9's section "The implementation's interface": a presentation
(:mod:`zkcheck.hazmat.presentation`) takes its predicates as
:class:`~zkcheck.hazmat.presentation.Statement` objects. This module makes
one of each statement of :mod:`zkcheck.hazmat.predicate_statements`, for the
presentation version that proves it (:func:`predicate`):

- a range statement of version 2 is a :class:`RangeLinkPredicate`, the link
  of :mod:`zkcheck.hazmat.range_proof_v2` (the commitment V_j to the
  difference, linked to the BBS message), which the presentation proves in
  range with one aggregated range proof together with the others;
- a range statement of version 1 is a :class:`RangePredicate`, the bit
  decomposition of :mod:`zkcheck.hazmat.range_proof`;
- a membership statement is a :class:`MembershipPredicate`, the OR-proof of
  :mod:`zkcheck.hazmat.set_membership`, in both versions::

    Holder                                  Verifier
    predicate(statement, version)           predicate(statement, version)
      .commit(m_a)                            .recompute(wire, m^_a, c)
      -> m~_a (read once by the BBS core),    -> first messages (hashed as item 9),
         first messages (item 9)                 the E1 equations of a version-1 range
    ... .respond(c) -> its part of the wire      (batched), V_j of a version-2 range

Both sides build the same statement from their own copy of the request; the
statement fixes the attribute index, the cutoff or set and the length of the
wire, so nothing about the statement is read from a presentation.

- ``commit`` is the proof module's ``prover_commit`` with its own
  :class:`~zkcheck.hazmat.scalar_source.ScalarSource`; the BBS nonce m~_a is
  a single-use scalar, read once when the presentation hands it to the BBS
  core; the responses (``respond``) answer one challenge only.
- ``recompute`` decodes the statement's part of the wire (points in G1 and
  not the identity, scalars in [1, r - 1]), recomputes the first messages
  from the BBS response of the attribute and the challenge, and for a range
  of version 1 hands its n equations E1 to the presentation's batched check
  (verifier steps 8 and 9).

A value that does not satisfy its statement is refused with
:class:`~zkcheck.errors.PolicyError` before anything is drawn: the holder
shows nothing rather than a false proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from zkcheck.errors import PolicyError
from zkcheck.hazmat import Rng, range_proof, range_proof_v2, set_membership
from zkcheck.hazmat.bbs import Ciphersuite, R
from zkcheck.hazmat.credential import API_ID
from zkcheck.hazmat.predicate_parameters import predicate_generators
from zkcheck.hazmat.predicate_statements import MembershipStatement, RangeStatement
from zkcheck.hazmat.presentation import DeferredCheck, PresentationVersion, Recomputed
from zkcheck.hazmat.range_proof_v2 import LinkProverState
from zkcheck.hazmat.scalar_source import ScalarSource, SingleUseScalar

__all__ = [
    "LinkedPredicateCommitment",
    "MembershipPredicate",
    "Predicate",
    "PredicateCommitment",
    "RangeLinkPredicate",
    "RangePredicate",
    "predicate",
]


def _refuse_unless(holds: bool) -> None:
    if not holds:
        raise PolicyError("the holder's value does not satisfy the statement")


class PredicateCommitment:
    """A predicate's prover state between its first messages and its responses.

    ``nonce`` is m~_a for the BBS core and can be read once; :meth:`respond`
    answers one challenge (the proof modules' states refuse a second).
    """

    __slots__ = ("_bbs_nonce", "_ciphersuite", "_state", "first_messages")

    def __init__(
        self,
        first_messages: bytes,
        bbs_nonce: SingleUseScalar,
        state: (
            range_proof.RangeProverState | set_membership.MembershipProverState | LinkProverState
        ),
        ciphersuite: Ciphersuite,
    ) -> None:
        self.first_messages = first_messages
        self._bbs_nonce = bbs_nonce
        self._state = state
        self._ciphersuite = ciphersuite

    @property
    def nonce(self) -> int:
        """m~_a, in [1, r - 1]; a second read raises ``RuntimeError``."""
        return self._bbs_nonce.read()

    def respond(self, challenge: int) -> bytes:
        """The predicate's part of the wire for ``challenge``."""
        state, ciphersuite = self._state, self._ciphersuite
        if isinstance(state, range_proof.RangeProverState):
            ranged = range_proof.prover_response(state, challenge)
            return range_proof.range_proof_to_octets(ranged, ciphersuite=ciphersuite)
        if isinstance(state, LinkProverState):
            link = range_proof_v2.prover_response(state, challenge)
            return range_proof_v2.link_proof_to_octets(link, ciphersuite=ciphersuite)
        member = set_membership.prover_response(state, challenge)
        return set_membership.membership_proof_to_octets(member, ciphersuite=ciphersuite)

    def __repr__(self) -> str:
        return "PredicateCommitment(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("prover states cannot be pickled")


class LinkedPredicateCommitment(PredicateCommitment):
    """A range link's prover state, with the link's state for the aggregated range proof
    (a :class:`~zkcheck.hazmat.presentation.RangeLinkCommitment`)."""

    __slots__ = ("_link",)

    def __init__(
        self,
        first_messages: bytes,
        bbs_nonce: SingleUseScalar,
        state: LinkProverState,
        ciphersuite: Ciphersuite,
    ) -> None:
        super().__init__(first_messages, bbs_nonce, state, ciphersuite)
        self._link = state

    @property
    def state(self) -> LinkProverState:
        """The link's state: the range proof reads its opening (d, gamma) once."""
        return self._link

    def __repr__(self) -> str:
        return "LinkedPredicateCommitment(<redacted>)"


@dataclass(frozen=True)
class _OnRange:
    """What the range predicates of both versions share: their statement, its attribute,
    its octets and whether a value satisfies it."""

    statement: RangeStatement

    @property
    def attribute(self) -> int:
        """The layout index of the attribute the statement is about."""
        return self.statement.attribute

    def statement_octets(self) -> bytes:
        """Item 7's octets for this statement."""
        return self.statement.statement_octets()

    def holds(self, value: int) -> bool:
        """Whether the attribute value satisfies the statement (a value of 2^24 or more
        never does: the layout's integers stay below it)."""
        return 0 <= value < 1 << 24 and self.statement.holds(value)


@dataclass(frozen=True)
class RangeLinkPredicate(_OnRange):
    """A range statement of version 2, ``0 <= sigma * (m_a - kappa) < 2^16``, as a range
    link of the presentation (:class:`~zkcheck.hazmat.presentation.RangeLink`).

    ``statement`` is the widened statement (n = 16), which item 7 hashes.
    """

    def __post_init__(self) -> None:
        if self.statement.bits != range_proof_v2.RANGE_BITS:
            raise ValueError("a version-2 range statement has n = 16: use widened()")

    @property
    def range_statement(self) -> RangeStatement:
        """The widened statement whose difference V commits to."""
        return self.statement

    @property
    def wire_length(self) -> int:
        """V || gamma^: 80 octets (the range proof follows all predicates)."""
        return range_proof_v2.LINK_OCTETS

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> LinkedPredicateCommitment:
        """Version 2, prover step 2: gamma, gamma~ and m~_a; V and V~."""
        _refuse_unless(self.holds(value))
        commitment = range_proof_v2.prover_commit(
            self.statement, value, ScalarSource(rng), api_id=API_ID, ciphersuite=ciphersuite
        )
        octets = range_proof_v2.messages_octets(commitment.first_messages, ciphersuite=ciphersuite)
        return LinkedPredicateCommitment(
            octets, commitment.bbs_nonce, commitment.state, ciphersuite
        )

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        """Version 2, verifier steps 3 and 5: decode V || gamma^ and recompute
        V~ = sigma * (m^_a - c * kappa) * Y_1 + gamma^ * Y_0 - c * V from ``response``
        (m^_a); V goes to the aggregated range proof."""
        link = range_proof_v2.octets_to_link_proof(wire, ciphersuite=ciphersuite)
        check = range_proof_v2.verifier_recompute(
            self.statement, link, response, challenge, api_id=API_ID, ciphersuite=ciphersuite
        )
        octets = range_proof_v2.messages_octets(check.first_messages, ciphersuite=ciphersuite)
        return Recomputed(octets, range_commitment=link.V)


@dataclass(frozen=True)
class RangePredicate(_OnRange):
    """A range statement ``0 <= sigma * (m_a - kappa) < 2^n`` as a statement of a
    version-1 presentation (bit decomposition)."""

    @property
    def wire_length(self) -> int:
        """96n + 32(3n - 1) octets."""
        return range_proof.proof_length(self.statement.bits)

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> PredicateCommitment:
        """Prover steps 2 and 10: the bits of d, 4n nonces, D_i, A_i, B_i and m~_a."""
        _refuse_unless(self.holds(value))
        commitment = range_proof.prover_commit(
            self.statement, value, ScalarSource(rng), api_id=API_ID, ciphersuite=ciphersuite
        )
        octets = range_proof.messages_octets(commitment.first_messages, ciphersuite=ciphersuite)
        return PredicateCommitment(octets, commitment.bbs_nonce, commitment.state, ciphersuite)

    def check(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> range_proof.RangeCheck:
        """Verifier steps 3 and 5: decode, derive b^_0 from ``response`` (m^_a), recompute
        every B_i."""
        proof = range_proof.octets_to_range_proof(
            wire, self.statement.bits, ciphersuite=ciphersuite
        )
        return range_proof.verifier_recompute(
            self.statement, proof, response, challenge, api_id=API_ID, ciphersuite=ciphersuite
        )

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        """The first messages as the prover hashed them, and each bit's E1 equation
        ``b^_q * Y_1 + s^_q * Y_0 - c * D_q - A_q = 0`` for the batched check."""
        check = self.check(wire, response, challenge, ciphersuite=ciphersuite)
        y_0, y_1 = predicate_generators(API_ID, ciphersuite=ciphersuite)
        minus_c = (-challenge) % R
        equations = tuple(
            DeferredCheck((y_1, y_0, d_q, a_q), (b_hat, s_hat, minus_c, R - 1))
            for d_q, a_q, b_hat, s_hat in zip(
                check.proof.D, check.proof.A, check.b_hat_all, check.proof.s_hat, strict=True
            )
        )
        octets = range_proof.messages_octets(check.first_messages, ciphersuite=ciphersuite)
        return Recomputed(octets, equations)


@dataclass(frozen=True)
class MembershipPredicate:
    """A membership statement ``m_a in {v_1, ..., v_k}`` as a presentation statement."""

    statement: MembershipStatement

    @property
    def attribute(self) -> int:
        """The layout index of the attribute the statement is about."""
        return self.statement.attribute

    @property
    def wire_length(self) -> int:
        """48 + 64k octets."""
        return set_membership.proof_length(len(self.statement.values))

    def statement_octets(self) -> bytes:
        """Item 7's octets for this statement."""
        return self.statement.statement_octets()

    def holds(self, value: int) -> bool:
        """Whether the attribute value is one of the set's values."""
        return self.statement.holds(value)

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> PredicateCommitment:
        """Prover steps 3 and 10: C, C~ (with m~_a) and every branch's W_j."""
        _refuse_unless(self.holds(value))
        commitment = set_membership.prover_commit(
            self.statement, value, ScalarSource(rng), api_id=API_ID, ciphersuite=ciphersuite
        )
        octets = set_membership.messages_octets(commitment.first_messages, ciphersuite=ciphersuite)
        return PredicateCommitment(octets, commitment.bbs_nonce, commitment.state, ciphersuite)

    def check(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> set_membership.MembershipCheck:
        """Verifier steps 3 and 6: decode, recompute C~ from ``response`` (m^_a), derive
        c_k and recompute every W_j."""
        size = len(self.statement.values)
        proof = set_membership.octets_to_membership_proof(wire, size, ciphersuite=ciphersuite)
        return set_membership.verifier_recompute(
            self.statement, proof, response, challenge, api_id=API_ID, ciphersuite=ciphersuite
        )

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        """The first messages as the prover hashed them; a membership defers nothing."""
        check = self.check(wire, response, challenge, ciphersuite=ciphersuite)
        return Recomputed(
            set_membership.messages_octets(check.first_messages, ciphersuite=ciphersuite)
        )


Predicate = RangeLinkPredicate | RangePredicate | MembershipPredicate


def predicate(
    statement: RangeStatement | MembershipStatement, version: PresentationVersion
) -> Predicate:
    """The presentation statement that proves ``statement`` in a presentation of
    ``version``: a range link of the widened statement when the version aggregates ranges,
    a bit decomposition otherwise; a membership proof in both."""
    if isinstance(statement, RangeStatement):
        if version.aggregates_ranges:
            return RangeLinkPredicate(range_proof_v2.widened(statement))
        return RangePredicate(statement)
    return MembershipPredicate(statement)
