"""Set membership proofs, linked to a BBS proof (spec/09-predicate-proofs.md).

A membership proof shows that an undisclosed message ``m_a`` of a BBS proof
that shares its Fiat-Shamir challenge is one of ``k`` public values
``v_1 < ... < v_k``. The prover sends a Pedersen commitment
``C = m_a * Y_1 + s * Y_0`` and proves:

- that C opens to the BBS proof's ``m_a`` (the blind BBS draft's committed
  disclosure): the first message ``C~ = m~_a * Y_1 + s~ * Y_0`` reuses the BBS
  nonce of ``m_a``, so the verifier recomputes it from the BBS response
  ``m^_a`` as ``C~ = m^_a * Y_1 + s^ * Y_0 - c * C``;
- with a ``k``-way OR-proof (Cramer, Damgård and Schoenmakers), that
  ``C - v_j * Y_1`` is a multiple of ``Y_0`` for some ``j``: one real branch
  and ``k - 1`` simulated ones, whose sub-challenges sum to ``c``. The
  verifier derives ``c_k = c - (c_1 + ... + c_(k-1))``, so the sum is never
  taken from the prover.

::

    Prover                                                Verifier
    prover_commit(statement, m_a, source)
      -> C, C~, W_1..W_k, and m~_a for the BBS core
                  ... one challenge c over every statement and first message ...
    prover_response(state, c)
      -> C, s^, c_1..c_(k-1), z_1..z_k  ------------>    octets_to_membership_proof
                                                          verifier_recompute(statement, proof,
                                                                             m^_a, c)
                                                            -> C~, W_j (hashed by the caller)

The real and the simulated branches run the same code: every branch draws
a sub-challenge and a response, and the real one uses its response as the
nonce ``w`` and multiplies its drawn sub-challenge by zero; which branch is
real enters only as 0/1 factors in the arithmetic. (Python integers give no
constant-time guarantee; the code path and the group operations performed
are the same for every branch.)

The wire form is ``C || s^ || c_1 .. c_(k-1) || z_1 .. z_k``: ``48 + 64k``
octets. Decoding rejects anything else with
:class:`~zkcheck.errors.DecodeError`; a proof that fails raises
:class:`~zkcheck.errors.InvalidProof` with a message that does not say why.
"""

from __future__ import annotations

from typing import NamedTuple, NoReturn

from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat.backend import G1, GROUP_ORDER
from zkcheck.hazmat.bbs import Ciphersuite
from zkcheck.hazmat.predicate_parameters import (
    POINT_OCTETS,
    SCALAR_OCTETS,
    Reader,
    points_to_octets,
    predicate_generators,
    scalar_to_octets,
)
from zkcheck.hazmat.predicate_statements import MembershipStatement
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource, SingleUseScalar

__all__ = [
    "MembershipCheck",
    "MembershipCommitment",
    "MembershipFirstMessages",
    "MembershipProof",
    "MembershipProverState",
    "last_subchallenge",
    "membership_proof_to_octets",
    "messages_octets",
    "octets_to_membership_proof",
    "proof_length",
    "prover_commit",
    "prover_response",
    "verifier_recompute",
]

R = GROUP_ORDER


def proof_length(size: int) -> int:
    """Octets of a membership proof for a set of ``size`` values: 48 + 64k."""
    return POINT_OCTETS + 2 * SCALAR_OCTETS * size


class MembershipFirstMessages(NamedTuple):
    """The commitment C, the first message C~ of its opening, and W_j of every OR branch."""

    C: G1
    C_tilde: G1
    W: tuple[G1, ...]


def messages_octets(first_messages: MembershipFirstMessages, *, ciphersuite: Ciphersuite) -> bytes:
    """messages_octets(membership p) = C || C~ || W_1 || ... || W_k."""
    return points_to_octets(
        (first_messages.C, first_messages.C_tilde, *first_messages.W), ciphersuite=ciphersuite
    )


class MembershipProof(NamedTuple):
    """A decoded membership proof: C, s^, the sent sub-challenges c_1..c_(k-1), z_1..z_k."""

    C: G1
    s_hat: int
    subchallenges: tuple[int, ...]
    z: tuple[int, ...]

    @property
    def size(self) -> int:
        """k, the number of values of the set (one response z_j each)."""
        return len(self.z)


def membership_proof_to_octets(proof: MembershipProof, *, ciphersuite: Ciphersuite) -> bytes:
    """C || s^ || c_1 || ... || c_(k-1) || z_1 || ... || z_k."""
    if len(proof.subchallenges) != proof.size - 1:
        raise ValueError("a membership proof sends k - 1 sub-challenges and k responses")
    scalars = (proof.s_hat, *proof.subchallenges, *proof.z)
    return ciphersuite.backend.g1_to_bytes(proof.C) + b"".join(
        scalar_to_octets(scalar) for scalar in scalars
    )


def octets_to_membership_proof(
    octets: bytes, size: int, *, ciphersuite: Ciphersuite
) -> MembershipProof:
    """Decode a membership proof for a set of ``size`` values; :class:`DecodeError` unless exact.

    The length must be :func:`proof_length` of ``size``, which the verifier
    takes from its own statement; C must be in G1 and not the identity, every
    scalar in ``[1, r - 1]``.
    """
    if len(octets) != proof_length(size):
        raise DecodeError(f"a membership proof for {size} values is {proof_length(size)} octets")
    reader = Reader(octets, ciphersuite=ciphersuite)
    c_point = reader.point()
    s_hat = reader.scalar()
    subchallenges = reader.scalars(size - 1)
    z = reader.scalars(size)
    reader.finish()
    return MembershipProof(c_point, s_hat, subchallenges, z)


# -- prover ---------------------------------------------------------------------------


class MembershipProverState:
    """The prover's secret state between commitment and response; it answers one challenge.

    :meth:`respond` may be called once; it forgets the secrets, and a second
    call raises ``RuntimeError``. Not printable, not picklable.
    """

    __slots__ = ("_commitment", "_secrets")

    def __init__(self, commitment: G1, secrets: tuple[tuple[int, ...], ...]) -> None:
        self._commitment = commitment
        self._secrets: tuple[tuple[int, ...], ...] | None = secrets

    def respond(self, challenge: int) -> MembershipProof:
        """s^ = s~ + c * s; c_(j*) = c - sum of the others; z_(j*) = w + c_(j*) * s."""
        secrets = self._secrets
        if secrets is None:
            raise RuntimeError("a membership proof's nonces answer exactly one challenge")
        self._secrets = None
        if not 0 < challenge < R:
            raise ValueError("the challenge is a scalar in [1, r - 1]")
        (s, s_tilde), real, subchallenges, responses = secrets
        s_hat = (s_tilde + challenge * s) % R
        # The real branch's drawn sub-challenge is already multiplied by zero,
        # so the sum covers exactly the simulated branches.
        c_real = (challenge - sum(subchallenges)) % R
        c_final = tuple(
            (c_j + is_real * c_real) % R for c_j, is_real in zip(subchallenges, real, strict=True)
        )
        z_final = tuple(
            (z_j + is_real * c_real * s) % R for z_j, is_real in zip(responses, real, strict=True)
        )
        sent = c_final[:-1]
        if s_hat == 0 or 0 in sent or 0 in z_final:
            raise FreshRandomnessRequired("a membership proof response is zero")
        return MembershipProof(self._commitment, s_hat, sent, z_final)

    def __repr__(self) -> str:
        return "MembershipProverState(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("prover states cannot be pickled")


class MembershipCommitment(NamedTuple):
    """What :func:`prover_commit` returns: first messages, m~_a for the BBS core, the state."""

    first_messages: MembershipFirstMessages
    bbs_nonce: SingleUseScalar
    state: MembershipProverState


def prover_commit(
    statement: MembershipStatement,
    value: int,
    source: ScalarSource,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> MembershipCommitment:
    """Chapter 9, "Prover", steps 3 and 10 for one membership predicate.

    ``value`` is the holder's attribute ``msg_a``; a value outside the set is
    refused (``ValueError``). Draws ``3 + 2k`` single-use scalars: the BBS
    nonce m~_a, s, s~, and a pair (c_j, z_j) for every branch j, of which the
    real branch keeps z_j as its nonce w and discards c_j.
    """
    if not statement.holds(value):
        raise ValueError("the value is not in the set")
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    values = statement.values
    real = tuple(int(v == value) for v in values)
    while True:
        m_tilde, s, s_tilde = (nonce.read() for nonce in source.draw_many(3))
        pairs = [(source.draw().read(), source.draw().read()) for _ in values]
        subchallenges = tuple(
            c_j * (1 - is_real) for (c_j, _), is_real in zip(pairs, real, strict=True)
        )
        responses = tuple(z_j for _, z_j in pairs)
        # 3.2 C = msg_a * Y_1 + s * Y_0, C~ = m~_a * Y_1 + s~ * Y_0.
        c_point = backend.g1_msm([y_1, y_0], [value, s])
        c_tilde = backend.g1_msm([y_1, y_0], [m_tilde, s_tilde])
        # 3.3 W_j = z_j * Y_0 - c_j * (C - v_j * Y_1); with c_j = 0 and z_j = w
        #     this is the real branch's W_(j*) = w * Y_0.
        w_points = tuple(
            backend.g1_msm([y_0, c_point, y_1], [z_j, (-c_j) % R, c_j * v_j % R])
            for z_j, c_j, v_j in zip(responses, subchallenges, values, strict=True)
        )
        # 10. (before the challenge) no sent or hashed point is the identity.
        if not any(backend.g1_is_identity(p) for p in (c_point, c_tilde, *w_points)):
            break
    state = MembershipProverState(c_point, ((s, s_tilde), real, subchallenges, responses))
    first_messages = MembershipFirstMessages(c_point, c_tilde, w_points)
    return MembershipCommitment(first_messages, SingleUseScalar(m_tilde), state)


def prover_response(state: MembershipProverState, challenge: int) -> MembershipProof:
    """Chapter 9, "Prover", step 9: the responses to ``challenge``; once per state."""
    return state.respond(challenge)


# -- verifier -------------------------------------------------------------------------


def last_subchallenge(subchallenges: tuple[int, ...], challenge: int) -> int:
    """c_k = c - (c_1 + ... + c_(k-1)) mod r."""
    return (challenge - sum(subchallenges)) % R


class MembershipCheck(NamedTuple):
    """A membership proof after the verifier recomputed its first messages."""

    proof: MembershipProof
    C_tilde: G1
    W: tuple[G1, ...]

    @property
    def first_messages(self) -> MembershipFirstMessages:
        """C as sent, C~ and W_j as recomputed: what the challenge input hashes."""
        return MembershipFirstMessages(self.proof.C, self.C_tilde, self.W)


def verifier_recompute(
    statement: MembershipStatement,
    proof: MembershipProof,
    m_hat: int,
    challenge: int,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> MembershipCheck:
    """Chapter 9, "Verifier", step 6 for one membership predicate.

    ``m_hat`` is the BBS proof's response at the position of the statement's
    attribute among the undisclosed indexes, selected by the caller from the
    layout's index. Recomputes ``C~ = m^_a * Y_1 + s^ * Y_0 - c * C``, derives
    c_k, and recomputes ``W_j = z_j * Y_0 - c_j * (C - v_j * Y_1)``; raises
    :class:`InvalidProof` if C~ or any W_j is the identity. The caller hashes
    :func:`messages_octets` of the result's ``first_messages``.
    """
    if proof.size != len(statement.values):
        raise ValueError("the proof was decoded for another set size")
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    minus_c = (-challenge) % R
    c_tilde = backend.g1_msm([y_1, y_0, proof.C], [m_hat, proof.s_hat, minus_c])
    subchallenges = (*proof.subchallenges, last_subchallenge(proof.subchallenges, challenge))
    w_points = tuple(
        backend.g1_msm([y_0, proof.C, y_1], [z_j, (-c_j) % R, c_j * v_j % R])
        for z_j, c_j, v_j in zip(proof.z, subchallenges, statement.values, strict=True)
    )
    if any(backend.g1_is_identity(point) for point in (c_tilde, *w_points)):
        raise InvalidProof("proof invalid")
    return MembershipCheck(proof, c_tilde, w_points)
