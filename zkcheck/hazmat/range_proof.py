"""Range proofs by bit decomposition, linked to a BBS proof (spec/09-predicate-proofs.md).

A range proof shows that ``d = sigma * (m_a - kappa)`` lies in ``[0, 2^n)``
for an undisclosed message ``m_a`` of a BBS proof that shares its Fiat-Shamir
challenge. For each bit ``b_i`` of ``d`` the prover sends a Pedersen
commitment ``D_i`` and proves the two equations of chapter 9's relation::

    E1_i:  D_i = b_i * Y_1 + s_i * Y_0
    E2_i:  D_i = b_i * D_i + t_i * Y_0        (t_i = (1 - b_i) * s_i: b_i is 0 or 1)

The lowest bit is not a free witness: ``b_0 = d - (2 * b_1 + ... +
2^(n-1) * b_(n-1))``. The prover chooses the BBS nonce of ``m_a`` as
``m~_a = sigma * (b~_0 + 2 * b~_1 + ... + 2^(n-1) * b~_(n-1))`` and the
verifier derives the lowest bit's response from the BBS response ``m^_a``,
so the bits and the signed message are one value::

    Prover                                               Verifier
    prover_commit(statement, m_a, source)
      -> D_i, A_i, B_i, and m~_a for the BBS core
                 ... one challenge c over every statement and first message ...
    prover_response(state, c)
      -> D_i, A_i, b^_1..b^_(n-1), s^_i, t^_i  ------>   octets_to_range_proof
                                                          verifier_recompute(statement, proof,
                                                                             m^_a, c)
                                                            -> b^_0, B_i (hashed by the caller)
                                                          ... the caller checks c ...
                                                          verify_batched(checks, c, input,
                                                                         predicate_proof)

The first messages ``A_i`` of the linear equations are sent, and checked
together in one multi-scalar multiplication with weights hashed from the
whole challenge input and proof; those of the bit equations, ``B_i``, are
recomputed by the verifier and hashed in that form.

The wire form of one range proof is ``D_0 .. D_(n-1) || A_0 .. A_(n-1) ||
b^_1 .. b^_(n-1) || s^_0 .. s^_(n-1) || t^_0 .. t^_(n-1)``: ``96n + 32(3n - 1)``
octets, whatever the value. Decoding rejects anything else with
:class:`~zkcheck.errors.DecodeError`; a well-formed proof that fails raises
:class:`~zkcheck.errors.InvalidProof` with a message that does not say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, NoReturn

from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat.backend import G1, GROUP_ORDER
from zkcheck.hazmat.bbs import Ciphersuite
from zkcheck.hazmat.predicate_parameters import (
    POINT_OCTETS,
    SCALAR_OCTETS,
    Reader,
    batch_dst,
    points_to_octets,
    predicate_generators,
    scalar_to_octets,
)
from zkcheck.hazmat.predicate_statements import RangeStatement
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource, SingleUseScalar

__all__ = [
    "WEIGHT_OCTETS",
    "RangeCheck",
    "RangeCommitment",
    "RangeFirstMessages",
    "RangeProof",
    "RangeProverState",
    "derive_lowest_response",
    "messages_octets",
    "octets_to_range_proof",
    "proof_length",
    "prover_commit",
    "prover_response",
    "range_proof_to_octets",
    "verifier_recompute",
    "verify_batched",
    "verify_each",
]

R = GROUP_ORDER

WEIGHT_OCTETS = 16
"""Octets of each batching weight: 128-bit weights, so a false equation survives with 2^-128."""


def proof_length(bits: int) -> int:
    """Octets of a range proof with ``bits`` bits: 96n + 32(3n - 1)."""
    return 2 * POINT_OCTETS * bits + SCALAR_OCTETS * (3 * bits - 1)


class RangeFirstMessages(NamedTuple):
    """The commitments D_i and the first messages A_i (of E1_i) and B_i (of E2_i)."""

    D: tuple[G1, ...]
    A: tuple[G1, ...]
    B: tuple[G1, ...]


def messages_octets(first_messages: RangeFirstMessages, *, ciphersuite: Ciphersuite) -> bytes:
    """messages_octets(range p) = D_0 || ... || D_(n-1) || A_0 || B_0 || ... || A_(n-1)
    || B_(n-1)."""
    interleaved = [
        point for pair in zip(first_messages.A, first_messages.B, strict=True) for point in pair
    ]
    return points_to_octets((*first_messages.D, *interleaved), ciphersuite=ciphersuite)


class RangeProof(NamedTuple):
    """A decoded range proof: D_i, A_i, and the responses b^_1.., s^_i, t^_i (b^_0 is derived)."""

    D: tuple[G1, ...]
    A: tuple[G1, ...]
    b_hat: tuple[int, ...]
    s_hat: tuple[int, ...]
    t_hat: tuple[int, ...]

    @property
    def bits(self) -> int:
        """n, the number of bits (one commitment D_i each)."""
        return len(self.D)


def range_proof_to_octets(proof: RangeProof, *, ciphersuite: Ciphersuite) -> bytes:
    """D_0 .. D_(n-1) || A_0 .. A_(n-1) || b^_1 .. b^_(n-1) || s^_0 .. || t^_0 .. t^_(n-1)."""
    n = proof.bits
    if len(proof.A) != n or len(proof.b_hat) != n - 1 or len(proof.s_hat) != n:
        raise ValueError("a range proof has n commitments, n first messages and 3n - 1 responses")
    if len(proof.t_hat) != n:
        raise ValueError("a range proof has n commitments, n first messages and 3n - 1 responses")
    scalars = (*proof.b_hat, *proof.s_hat, *proof.t_hat)
    return points_to_octets((*proof.D, *proof.A), ciphersuite=ciphersuite) + b"".join(
        scalar_to_octets(scalar) for scalar in scalars
    )


def octets_to_range_proof(octets: bytes, bits: int, *, ciphersuite: Ciphersuite) -> RangeProof:
    """Decode a range proof of ``bits`` bits; :class:`DecodeError` unless it is exactly one.

    The length must be :func:`proof_length` of ``bits``, which the verifier
    takes from its own statement; every point must be in G1 and not the
    identity, every scalar in ``[1, r - 1]``.
    """
    if len(octets) != proof_length(bits):
        raise DecodeError(f"a {bits}-bit range proof is {proof_length(bits)} octets")
    reader = Reader(octets, ciphersuite=ciphersuite)
    d = reader.points(bits)
    a = reader.points(bits)
    b_hat = reader.scalars(bits - 1)
    s_hat = reader.scalars(bits)
    t_hat = reader.scalars(bits)
    reader.finish()
    return RangeProof(d, a, b_hat, s_hat, t_hat)


# -- prover ---------------------------------------------------------------------------


class RangeProverState:
    """The prover's secret state between commitment and response; it answers one challenge.

    Holds the bits, the blinding scalars and the nonces. :meth:`respond` may
    be called once; it forgets the secrets, and a second call raises
    ``RuntimeError``. Not printable, not picklable.
    """

    __slots__ = ("_commitments", "_secrets")

    def __init__(
        self,
        commitments: tuple[tuple[G1, ...], tuple[G1, ...]],
        secrets: tuple[tuple[int, ...], ...],
    ) -> None:
        self._commitments = commitments
        self._secrets: tuple[tuple[int, ...], ...] | None = secrets

    def respond(self, challenge: int) -> RangeProof:
        """b^_i = b~_i + c * b_i (i >= 1), s^_i = s~_i + c * s_i, t^_i = t~_i + c * t_i."""
        secrets = self._secrets
        if secrets is None:
            raise RuntimeError("a range proof's nonces answer exactly one challenge")
        self._secrets = None
        if not 0 < challenge < R:
            raise ValueError("the challenge is a scalar in [1, r - 1]")
        bits, s, t, b_tilde, s_tilde, t_tilde = secrets
        b_hat = tuple((b_tilde[i] + challenge * bits[i]) % R for i in range(1, len(bits)))
        s_hat = tuple((n + challenge * w) % R for n, w in zip(s_tilde, s, strict=True))
        t_hat = tuple((n + challenge * w) % R for n, w in zip(t_tilde, t, strict=True))
        if 0 in b_hat or 0 in s_hat or 0 in t_hat:
            raise FreshRandomnessRequired("a range proof response is zero")
        d, a = self._commitments
        return RangeProof(d, a, b_hat, s_hat, t_hat)

    def __repr__(self) -> str:
        return "RangeProverState(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("prover states cannot be pickled")


class RangeCommitment(NamedTuple):
    """What :func:`prover_commit` returns.

    ``first_messages`` go into the challenge input; ``bbs_nonce`` is m~_a, to
    be handed once to the BBS core as the chosen blinding scalar of the
    attribute; ``state`` answers the challenge once.
    """

    first_messages: RangeFirstMessages
    bbs_nonce: SingleUseScalar
    state: RangeProverState


def _bits_of(d: int, n: int) -> tuple[int, ...]:
    return tuple((d >> i) & 1 for i in range(n))


def prover_commit(
    statement: RangeStatement,
    value: int,
    source: ScalarSource,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> RangeCommitment:
    """Chapter 9, "Prover", steps 2 and 10 for one range predicate.

    ``value`` is the holder's attribute ``msg_a``; a value for which the
    statement does not hold is refused (``ValueError``): the holder shows
    nothing rather than a failing proof. Draws ``4n`` single-use scalars
    (``s_i``, ``b~_i``, ``s~_i``, ``t~_i``), and draws again in the negligible
    event that a point would be the identity or m~_a zero.
    """
    if not statement.holds(value):
        raise ValueError("the value does not satisfy the statement")
    n = statement.bits
    # 2.1 The bits of d over the integers: d = b_0 + 2 * b_1 + ... + 2^(n-1) * b_(n-1).
    bits = _bits_of(statement.difference(value), n)
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    while True:
        # 2.2 Draw 4n scalars; t_i = (1 - b_i) * s_i.
        s, b_tilde, s_tilde, t_tilde = (
            tuple(nonce.read() for nonce in source.draw_many(n)) for _ in range(4)
        )
        t = tuple((1 - b) * blinding for b, blinding in zip(bits, s, strict=True))
        # 2.3 m~_a = sigma * (b~_0 + 2 * b~_1 + ... + 2^(n-1) * b~_(n-1)).
        m_tilde = statement.sigma * sum(nonce << i for i, nonce in enumerate(b_tilde)) % R
        # 2.4 D_i = b_i * Y_1 + s_i * Y_0, A_i = b~_i * Y_1 + s~_i * Y_0,
        #     B_i = b~_i * D_i + t~_i * Y_0.
        d = tuple(
            backend.g1_msm([y_1, y_0], [b, blinding]) for b, blinding in zip(bits, s, strict=True)
        )
        a = tuple(
            backend.g1_msm([y_1, y_0], [bt, st]) for bt, st in zip(b_tilde, s_tilde, strict=True)
        )
        b_points = tuple(
            backend.g1_msm([d_i, y_0], [bt, tt])
            for d_i, bt, tt in zip(d, b_tilde, t_tilde, strict=True)
        )
        # 10. (before the challenge) no sent or hashed point is the identity,
        #     and the BBS nonce is in [1, r - 1]; otherwise draw again.
        if m_tilde and not any(backend.g1_is_identity(p) for p in (*d, *a, *b_points)):
            break
    state = RangeProverState((d, a), (bits, s, t, b_tilde, s_tilde, t_tilde))
    return RangeCommitment(RangeFirstMessages(d, a, b_points), SingleUseScalar(m_tilde), state)


def prover_response(state: RangeProverState, challenge: int) -> RangeProof:
    """Chapter 9, "Prover", step 8: the responses to ``challenge``; once per state."""
    return state.respond(challenge)


# -- verifier -------------------------------------------------------------------------


def derive_lowest_response(
    statement: RangeStatement, m_hat: int, b_hat: Sequence[int], challenge: int
) -> int:
    """b^_0 = sigma * (m^_a - c * kappa) - (2 * b^_1 + ... + 2^(n-1) * b^_(n-1)) mod r."""
    higher = sum(response << i for i, response in enumerate(b_hat, start=1))
    return (statement.sigma * (m_hat - challenge * statement.cutoff) - higher) % R


class RangeCheck(NamedTuple):
    """A range proof after the verifier recomputed its B_i, ready for the batched E1 check."""

    proof: RangeProof
    b_hat_0: int
    B: tuple[G1, ...]

    @property
    def first_messages(self) -> RangeFirstMessages:
        """D_i and A_i as sent, B_i as recomputed: what the challenge input hashes."""
        return RangeFirstMessages(self.proof.D, self.proof.A, self.B)

    @property
    def b_hat_all(self) -> tuple[int, ...]:
        """(b^_0, b^_1, ..., b^_(n-1))."""
        return (self.b_hat_0, *self.proof.b_hat)


def _fail() -> NoReturn:
    raise InvalidProof("proof invalid")


def verifier_recompute(
    statement: RangeStatement,
    proof: RangeProof,
    m_hat: int,
    challenge: int,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> RangeCheck:
    """Chapter 9, "Verifier", step 5 for one range predicate.

    ``m_hat`` is the BBS proof's response at the position of the statement's
    attribute among the undisclosed indexes, selected by the caller from the
    layout's index. Computes b^_0 and ``B_i = (b^_i - c) * D_i + t^_i * Y_0``;
    raises :class:`InvalidProof` if any B_i is the identity. The caller hashes
    :func:`messages_octets` of the result's ``first_messages``.
    """
    if proof.bits != statement.bits:
        raise ValueError("the proof was decoded for another bit length")
    y_0, _ = predicate_generators(api_id, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    b_hat_0 = derive_lowest_response(statement, m_hat, proof.b_hat, challenge)
    b_points = tuple(
        backend.g1_msm([d_i, y_0], [(b_hat - challenge) % R, t_hat])
        for d_i, b_hat, t_hat in zip(proof.D, (b_hat_0, *proof.b_hat), proof.t_hat, strict=True)
    )
    if any(backend.g1_is_identity(point) for point in b_points):
        _fail()
    return RangeCheck(proof, b_hat_0, b_points)


def _weights(
    count: int,
    challenge: int,
    challenge_input: bytes,
    predicate_proof: bytes,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> list[int]:
    # 8. weights = expand_message(challenge_input || I2OSP(c, 32) || predicate_proof,
    #                             BATCH_DST, 16 * N); rho_q = OS2IP(weights[16q .. 16q + 15]).
    octets = ciphersuite.expand_message(
        challenge_input + scalar_to_octets(challenge) + predicate_proof,
        batch_dst(api_id),
        WEIGHT_OCTETS * count,
    )
    return [
        int.from_bytes(octets[WEIGHT_OCTETS * q : WEIGHT_OCTETS * (q + 1)], "big")
        for q in range(count)
    ]


def verify_batched(
    checks: Sequence[RangeCheck],
    challenge: int,
    challenge_input: bytes,
    predicate_proof: bytes,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> None:
    """Chapter 9, "Verifier", steps 8 and 9: every E1 equation of every range at once.

    ``checks`` are the range predicates of one presentation in canonical
    order; ``challenge_input`` is the input the caller hashed to ``challenge``
    (and has checked against the proof's challenge), ``predicate_proof`` the
    whole encoded predicate part. Checks that
    ``(sum rho_q b^_q) Y_1 + (sum rho_q s^_q) Y_0 - sum (rho_q c) D_q - sum rho_q A_q``
    is the identity, with 128-bit weights rho_q hashed after everything they
    weigh was fixed. Raises :class:`InvalidProof` otherwise.
    """
    b_hat = [response for check in checks for response in check.b_hat_all]
    s_hat = [response for check in checks for response in check.proof.s_hat]
    d = [point for check in checks for point in check.proof.D]
    a = [point for check in checks for point in check.proof.A]
    if not b_hat:
        return
    rho = _weights(len(b_hat), challenge, challenge_input, predicate_proof, api_id, ciphersuite)
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    combined = ciphersuite.backend.g1_msm(
        [y_1, y_0, *d, *a],
        [
            sum(w * x for w, x in zip(rho, b_hat, strict=True)) % R,
            sum(w * x for w, x in zip(rho, s_hat, strict=True)) % R,
            *((-w * challenge) % R for w in rho),
            *((-w) % R for w in rho),
        ],
    )
    if not ciphersuite.backend.g1_is_identity(combined):
        _fail()


def verify_each(
    checks: Sequence[RangeCheck], challenge: int, *, api_id: bytes, ciphersuite: Ciphersuite
) -> None:
    """The unbatched alternative of step 9: ``A_q = b^_q Y_1 + s^_q Y_0 - c D_q`` for each q."""
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    for check in checks:
        proof = check.proof
        for d_i, a_i, b_hat, s_hat in zip(
            proof.D, proof.A, check.b_hat_all, proof.s_hat, strict=True
        ):
            expected = backend.g1_msm([y_1, y_0, d_i], [b_hat, s_hat, (-challenge) % R])
            if not backend.g1_eq(expected, a_i):
                _fail()
