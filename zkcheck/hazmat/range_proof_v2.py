"""Range predicates of version 2: linked commitments and one aggregated range proof.

Chapter 9, "Version 2: aggregated range proofs" (spec/09-predicate-proofs.md).
Each range predicate ``0 <= d = sigma * (m_a - kappa) < 2^16`` commits to its
difference as ``V = d * Y_1 + gamma * Y_0`` and links ``V`` to the BBS
proof's undisclosed message ``m_a`` with the committed-disclosure equation
(the BBS nonce of ``m_a`` reused); one aggregated Bulletproofs range proof
(:mod:`zkcheck.hazmat.bulletproofs`) then shows every ``V`` opens to a value
in range::

    Prover                                               Verifier
    prover_commit(statement, m_a, source)   (each range)
      -> V, V~, m~_a for the BBS core, state
    prove_ranges(context, states, source)   (once, before c)
      -> the range proof, hashed into c
                 ... one challenge c over every statement and message ...
    prover_response(state, c)  -> V, gamma^  ------>   octets_to_link_proof
                                                         verifier_recompute(statement, link,
                                                                            m^_a, c) -> V~
                                                         ... the caller checks c ...
                                                         verify_ranges(context, V_j, proof)

``context`` is items 1 to 8 of the version-2 challenge input (the protocol
identifier :data:`PROTOCOL_ID`, the ciphersuite, the key, the header, the
layout version, the disclosed messages, the statements, the request digest),
which the caller builds; item 9 is, for each predicate in canonical order,
its first messages (:func:`messages_octets` for a range: ``V || V~``), then
the range proof's octets.

Every range statement of version 2 has n = 16 (:func:`widened`): proving
``[0, 2^16)`` in place of a shorter range changes no check's outcome.
Decoding raises :class:`~zkcheck.errors.DecodeError`; a proof that fails
raises :class:`~zkcheck.errors.InvalidProof` with a message that does not
say why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import NamedTuple, NoReturn

from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat import bulletproofs
from zkcheck.hazmat.backend import G1, GROUP_ORDER
from zkcheck.hazmat.bbs import Ciphersuite
from zkcheck.hazmat.bulletproofs import RANGE_BITS, RangeProof
from zkcheck.hazmat.predicate_parameters import (
    POINT_OCTETS,
    SCALAR_OCTETS,
    Reader,
    points_to_octets,
    predicate_generators,
    scalar_to_octets,
)
from zkcheck.hazmat.predicate_statements import RangeStatement
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource, SingleUseScalar

__all__ = [
    "BATCH_DST_SUFFIX",
    "CHALLENGE_DST_SUFFIX",
    "LINK_OCTETS",
    "PROTOCOL_ID",
    "RANGE_BITS",
    "LinkCheck",
    "LinkCommitment",
    "LinkFirstMessages",
    "LinkProof",
    "LinkProverState",
    "RangeProof",
    "batch_dst",
    "challenge_dst",
    "link_proof_to_octets",
    "messages_octets",
    "octets_to_link_proof",
    "octets_to_range_proof",
    "prove_ranges",
    "prover_commit",
    "prover_response",
    "range_equation",
    "range_proof_length",
    "range_proof_to_octets",
    "verifier_recompute",
    "verify_ranges",
    "widened",
]

R = GROUP_ORDER

PROTOCOL_ID = b"ZKCHECK-PRESENTATION-V2"
"""The protocol and its version: item 1 of version 2's challenge input and range transcript."""

CHALLENGE_DST_SUFFIX = b"PRESENTATION_V2_H2S_"
"""CHALLENGE_DST_V2 = api_id || this: the DST of a version-2 presentation's challenge."""

BATCH_DST_SUFFIX = b"PRED_V2_BATCH_"
"""BATCH_DST_V2 = api_id || this: the DST of the weights of deferred equations in version 2."""

LINK_OCTETS = POINT_OCTETS + SCALAR_OCTETS
"""A range predicate's own part of the wire: V || gamma^, 80 octets."""


def challenge_dst(api_id: bytes) -> bytes:
    """CHALLENGE_DST_V2 = api_id || "PRESENTATION_V2_H2S_"."""
    return api_id + CHALLENGE_DST_SUFFIX


def batch_dst(api_id: bytes) -> bytes:
    """BATCH_DST_V2 = api_id || "PRED_V2_BATCH_"."""
    return api_id + BATCH_DST_SUFFIX


def widened(statement: RangeStatement) -> RangeStatement:
    """The version-2 statement: the same check with n = 16 (chapter 9, "Statements and
    relation" of version 2)."""
    return dataclasses.replace(statement, bits=RANGE_BITS)


def _require_version_2(statement: RangeStatement) -> None:
    if statement.bits != RANGE_BITS:
        raise ValueError("a version-2 range statement has n = 16: use widened()")


# -- the link's encodings ------------------------------------------------------------------


class LinkFirstMessages(NamedTuple):
    """The commitment V and the link's first message V~."""

    V: G1
    V_tilde: G1


def messages_octets(first_messages: LinkFirstMessages, *, ciphersuite: Ciphersuite) -> bytes:
    """messages_octets_v2(range p) = V || V~."""
    return points_to_octets(first_messages, ciphersuite=ciphersuite)


class LinkProof(NamedTuple):
    """A range predicate's part of the wire: the commitment V and the response gamma^."""

    V: G1
    gamma_hat: int


def link_proof_to_octets(proof: LinkProof, *, ciphersuite: Ciphersuite) -> bytes:
    """V || gamma^ (80 octets)."""
    return ciphersuite.backend.g1_to_bytes(proof.V) + scalar_to_octets(proof.gamma_hat)


def octets_to_link_proof(octets: bytes, *, ciphersuite: Ciphersuite) -> LinkProof:
    """Decode V || gamma^; :class:`DecodeError` unless V is in G1 and not the identity and
    gamma^ is in [1, r - 1], with nothing left over."""
    if len(octets) != LINK_OCTETS:
        raise DecodeError(f"a range predicate's link is {LINK_OCTETS} octets")
    reader = Reader(octets, ciphersuite=ciphersuite)
    point = reader.point()
    gamma_hat = reader.scalar()
    reader.finish()
    return LinkProof(point, gamma_hat)


def range_proof_length(count: int) -> int:
    """Octets of the range proof of ``count`` range predicates: 48 * (4 + 2k) + 160."""
    return bulletproofs.proof_length(count)


def range_proof_to_octets(proof: RangeProof, *, ciphersuite: Ciphersuite) -> bytes:
    """The range proof's wire encoding, also what item 9 hashes."""
    return bulletproofs.range_proof_to_octets(proof, ciphersuite=ciphersuite)


def octets_to_range_proof(octets: bytes, count: int, *, ciphersuite: Ciphersuite) -> RangeProof:
    """Decode the range proof of ``count`` range predicates (the verifier's own count)."""
    return bulletproofs.octets_to_range_proof(octets, count, ciphersuite=ciphersuite)


# -- prover -----------------------------------------------------------------------------------


class LinkProverState:
    """A range predicate's secrets between commitment and response.

    Holds d, gamma and the nonce gamma~. The range proof reads the opening
    (d, gamma) once (:func:`prove_ranges`); :meth:`respond` answers one
    challenge and forgets the secrets. A second use of either raises
    ``RuntimeError``. Not printable, not picklable.
    """

    __slots__ = ("_commitment", "_opening", "_secrets")

    def __init__(self, commitment: G1, value: int, blinding: int, nonce: int) -> None:
        self._commitment = commitment
        self._opening: tuple[int, int] | None = (value, blinding)
        self._secrets: tuple[int, int] | None = (blinding, nonce)

    @property
    def commitment(self) -> G1:
        """V, public."""
        return self._commitment

    def take_opening(self) -> tuple[int, int]:
        """(d, gamma) for the range proof; once."""
        opening = self._opening
        if opening is None:
            raise RuntimeError("a link's opening enters one range proof only")
        self._opening = None
        return opening

    def respond(self, challenge: int) -> LinkProof:
        """gamma^ = gamma~ + c * gamma; once."""
        secrets = self._secrets
        if secrets is None:
            raise RuntimeError("a link's nonce answers exactly one challenge")
        self._secrets = None
        if not 0 < challenge < R:
            raise ValueError("the challenge is a scalar in [1, r - 1]")
        blinding, nonce = secrets
        gamma_hat = (nonce + challenge * blinding) % R
        if gamma_hat == 0:
            raise FreshRandomnessRequired("a link response is zero")
        return LinkProof(self._commitment, gamma_hat)

    def __repr__(self) -> str:
        return "LinkProverState(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("prover states cannot be pickled")


class LinkCommitment(NamedTuple):
    """What :func:`prover_commit` returns: V and V~ for item 9, m~_a for the BBS core (to be
    read once), and the state."""

    first_messages: LinkFirstMessages
    bbs_nonce: SingleUseScalar
    state: LinkProverState


def prover_commit(
    statement: RangeStatement,
    value: int,
    source: ScalarSource,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> LinkCommitment:
    """Version 2, "Presentation prover", step 2 for one range predicate.

    ``value`` is the holder's attribute m_a; a value for which the widened
    statement does not hold is refused (``ValueError``). Draws gamma, gamma~
    and m~_a; ``V = d * Y_1 + gamma * Y_0``, ``V~ = (sigma * m~_a) * Y_1 +
    gamma~ * Y_0``; draws again in the negligible event that either is the
    identity.
    """
    _require_version_2(statement)
    if not statement.holds(value):
        raise ValueError("the value does not satisfy the statement")
    difference = statement.difference(value)
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    while True:
        blinding, nonce, bbs_nonce = (scalar.read() for scalar in source.draw_many(3))
        commitment = backend.g1_msm([y_1, y_0], [difference, blinding])
        first = backend.g1_msm([y_1, y_0], [statement.sigma * bbs_nonce % R, nonce])
        if not (backend.g1_is_identity(commitment) or backend.g1_is_identity(first)):
            break
    state = LinkProverState(commitment, difference, blinding, nonce)
    return LinkCommitment(LinkFirstMessages(commitment, first), SingleUseScalar(bbs_nonce), state)


def prove_ranges(
    context: bytes,
    states: Sequence[LinkProverState],
    source: ScalarSource,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> RangeProof:
    """Version 2, "Presentation prover", step 4: RangeProve over the links in canonical order.

    ``context`` is items 1 to 8 of the version-2 challenge input. Reads each
    state's opening once. Raises ``FreshRandomnessRequired`` (the whole
    presentation starts again) in the negligible events of RangeProve's step 12.
    """
    openings = [state.take_opening() for state in states]
    return bulletproofs.prove(
        context,
        [state.commitment for state in states],
        openings,
        source,
        api_id=api_id,
        ciphersuite=ciphersuite,
    )


def prover_response(state: LinkProverState, challenge: int) -> LinkProof:
    """Version 2, "Presentation prover", step 8: the link's response; once per state."""
    return state.respond(challenge)


# -- verifier -------------------------------------------------------------------------------


class LinkCheck(NamedTuple):
    """A link after the verifier recomputed V~."""

    proof: LinkProof
    V_tilde: G1

    @property
    def first_messages(self) -> LinkFirstMessages:
        """V as sent, V~ as recomputed: what item 9 hashes."""
        return LinkFirstMessages(self.proof.V, self.V_tilde)


def verifier_recompute(
    statement: RangeStatement,
    proof: LinkProof,
    m_hat: int,
    challenge: int,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> LinkCheck:
    """Version 2, "Presentation verifier", step 5 for one range predicate.

    ``m_hat`` is the BBS response at the position of the statement's
    attribute among the undisclosed indexes, which the caller selects by the
    layout's index. ``V~ = sigma * (m^_a - c * kappa) * Y_1 + gamma^ * Y_0 -
    c * V``; raises :class:`InvalidProof` if it is the identity.
    """
    _require_version_2(statement)
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    value_scalar = statement.sigma * (m_hat - challenge * statement.cutoff) % R
    first = backend.g1_msm([y_1, y_0, proof.V], [value_scalar, proof.gamma_hat, (-challenge) % R])
    if backend.g1_is_identity(first):
        raise InvalidProof("proof invalid")
    return LinkCheck(proof, first)


def range_equation(
    context: bytes,
    commitments: Sequence[G1],
    proof: RangeProof,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> tuple[list[G1], list[int]]:
    """RangeVerify's equation as (points, scalars) whose MSM must be the identity, for a
    caller that checks it in one batch with other deferred equations."""
    challenges = bulletproofs.derive_challenges(
        context, commitments, proof, api_id=api_id, ciphersuite=ciphersuite
    )
    return bulletproofs.verification_terms(
        proof, commitments, challenges, api_id=api_id, ciphersuite=ciphersuite
    )


def verify_ranges(
    context: bytes,
    commitments: Sequence[G1],
    proof: RangeProof,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> None:
    """Version 2, "Presentation verifier", step 8: RangeVerify over the commitments V_j of
    the range predicates in canonical order; raises :class:`InvalidProof` if it fails."""
    bulletproofs.verify(context, commitments, proof, api_id=api_id, ciphersuite=ciphersuite)
