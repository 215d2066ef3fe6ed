"""Aggregated Bulletproofs range proofs over G1 (spec/09-predicate-proofs.md, "Version 2").

Chapter 9's section "The aggregated range proof": one proof that each of
``M`` Pedersen commitments ``V_j = d_j * Y_1 + gamma_j * Y_0`` opens to a
value ``d_j`` in ``[0, 2^16)``, after Bünz, Bootle, Boneh, Poelstra, Wuille
and Maxwell, "Bulletproofs" (IEEE S&P 2018): the logarithmic range proof,
aggregated over ``M'`` slots (``M`` rounded up to a power of two with fixed
commitments to zero), whose inner-product argument the verifier checks
together with the polynomial equation as one multi-scalar multiplication::

    Prover                                           Verifier
    prove(context, V_j, (d_j, gamma_j), source)
      A, S         -> y, z = challenge(T, 1), (T, 2)
      T1, T2       -> x = challenge(T, 3)
      tau_x, mu, t^ -> w = challenge(T, 4)
      L_i, R_i     -> u_i = challenge(T, 4 + i)
      a, b         ------------------------------>  verify(context, V_j, proof)
                                                       challenges, beta = challenge(T, 5 + k)
                                                       one MSM of 2N + 2k + 7 + M points

``T`` is the range transcript: ``context`` (items 1 to 8 of the
presentation's challenge input), ``I2OSP(M, 8)``, the commitments, and each
message as it is sent; ``challenge(T, l) = hash_to_scalar(T || I2OSP(l, 8),
RANGE_DST)``. The generators ``U, G_0, H_0, G_1, H_1, ...`` come from
``create_generators`` under ``"ZKCHECK_PRED_V2_BULLETPROOFS_" || api_id``.

The prover's nonces come from a :class:`~zkcheck.hazmat.scalar_source.ScalarSource`
and each answers the one challenge ``x``. The prover never folds generator
points: each ``L_i`` and ``R_i`` is one MSM over the original generators,
with the folding factors tracked per generator.

Decoding rejects anything but exactly one proof of the expected size with
:class:`~zkcheck.errors.DecodeError` (points in G1 and not the identity,
scalars in ``[1, r - 1]``); a well-formed proof that fails raises
:class:`~zkcheck.errors.InvalidProof` with a message that does not say why.
Python integers are not constant-time: which generators the bit vector
selects is hidden from timing only as far as the interpreter and the curve
library hide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, NoReturn

from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat.backend import G1, GROUP_ORDER
from zkcheck.hazmat.bbs import Ciphersuite, create_generators, hash_to_scalar
from zkcheck.hazmat.predicate_parameters import (
    POINT_OCTETS,
    SCALAR_OCTETS,
    Reader,
    i2osp,
    points_to_octets,
    predicate_generators,
    scalar_to_octets,
)
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource

__all__ = [
    "MAX_SLOTS",
    "RANGE_BITS",
    "RANGE_DST_SUFFIX",
    "RANGE_GEN_PREFIX",
    "RangeChallenges",
    "RangeGenerators",
    "RangeProof",
    "derive_challenges",
    "octets_to_range_proof",
    "proof_length",
    "prove",
    "range_dst",
    "range_gen_api",
    "range_generators",
    "range_proof_to_octets",
    "slot_count",
    "verification_terms",
    "verify",
]

R = GROUP_ORDER

RANGE_BITS = 16
"""n: the bit length of every range of version 2."""

MAX_SLOTS = 8
"""The most values one proof aggregates (a power of two); N = 16 * M' is at most 128."""

RANGE_GEN_PREFIX = b"ZKCHECK_PRED_V2_BULLETPROOFS_"
"""RANGE_GEN_API = this || api_id: the interface the generator vectors are created under."""

RANGE_DST_SUFFIX = b"PRED_V2_RANGE_H2S_"
"""RANGE_DST = api_id || this: the DST of the range transcript's challenges."""

_LABEL_Y, _LABEL_Z, _LABEL_X, _LABEL_W = 1, 2, 3, 4


def range_gen_api(api_id: bytes) -> bytes:
    """RANGE_GEN_API = "ZKCHECK_PRED_V2_BULLETPROOFS_" || api_id."""
    return RANGE_GEN_PREFIX + api_id


def range_dst(api_id: bytes) -> bytes:
    """RANGE_DST = api_id || "PRED_V2_RANGE_H2S_"."""
    return api_id + RANGE_DST_SUFFIX


def slot_count(count: int) -> int:
    """M': the smallest power of two that is at least ``count`` (1 to MAX_SLOTS values)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SLOTS:
        raise ValueError(f"a range proof aggregates 1 to {MAX_SLOTS} values")
    return 1 << (count - 1).bit_length()


def _rounds(count: int) -> int:
    """k = log2(16 * M'): the rounds of the inner-product argument."""
    return (RANGE_BITS * slot_count(count)).bit_length() - 1


def proof_length(count: int) -> int:
    """Octets of a range proof for ``count`` values: 48 * (4 + 2k) + 5 * 32."""
    return POINT_OCTETS * (4 + 2 * _rounds(count)) + 5 * SCALAR_OCTETS


class RangeGenerators(NamedTuple):
    """Y_0 (blinding), Y_1 (values), U (the inner product) and the vectors G_q, H_q."""

    Y_0: G1
    Y_1: G1
    U: G1
    G: tuple[G1, ...]
    H: tuple[G1, ...]


def range_generators(api_id: bytes, count: int, *, ciphersuite: Ciphersuite) -> RangeGenerators:
    """The generators of a proof for ``count`` values (chapter 9, "Parameters" of version 2).

    ``(U, G_0, H_0, G_1, H_1, ...) = create_generators(1 + 2N, RANGE_GEN_API)``
    with N = 16 * M'; the ciphersuite caches and extends the sequence, so a
    proof for fewer values uses a prefix of the same points. (Y_0, Y_1) are
    version 1's.
    """
    size = RANGE_BITS * slot_count(count)
    points = create_generators(1 + 2 * size, range_gen_api(api_id), ciphersuite=ciphersuite)
    y_0, y_1 = predicate_generators(api_id, ciphersuite=ciphersuite)
    return RangeGenerators(y_0, y_1, points[0], tuple(points[1::2]), tuple(points[2::2]))


class RangeProof(NamedTuple):
    """(A, S, T1, T2, L_1, R_1, ..., L_k, R_k, tau_x, mu, t^, a, b)."""

    A: G1
    S: G1
    T1: G1
    T2: G1
    L: tuple[G1, ...]
    R: tuple[G1, ...]
    tau_x: int
    mu: int
    t_hat: int
    a: int
    b: int


def range_proof_to_octets(proof: RangeProof, *, ciphersuite: Ciphersuite) -> bytes:
    """A || S || T1 || T2 || L_1 || R_1 || ... || L_k || R_k || tau_x || mu || t^ || a || b."""
    if len(proof.L) != len(proof.R):
        raise ValueError("a range proof has as many L_i as R_i")
    interleaved = [point for pair in zip(proof.L, proof.R, strict=True) for point in pair]
    scalars = (proof.tau_x, proof.mu, proof.t_hat, proof.a, proof.b)
    return points_to_octets(
        (proof.A, proof.S, proof.T1, proof.T2, *interleaved), ciphersuite=ciphersuite
    ) + b"".join(scalar_to_octets(scalar) for scalar in scalars)


def octets_to_range_proof(octets: bytes, count: int, *, ciphersuite: Ciphersuite) -> RangeProof:
    """Decode a range proof for ``count`` values; :class:`DecodeError` unless exactly one.

    The verifier takes ``count`` from its own statements; the length must be
    :func:`proof_length` of it, every point in G1 and not the identity, every
    scalar in ``[1, r - 1]``.
    """
    expected = proof_length(count)
    if len(octets) != expected:
        raise DecodeError(f"a range proof for {count} values is {expected} octets")
    reader = Reader(octets, ciphersuite=ciphersuite)
    a_point, s_point, t1, t2 = reader.points(4)
    pairs = [reader.points(2) for _ in range(_rounds(count))]
    tau_x, mu, t_hat, a, b = reader.scalars(5)
    reader.finish()
    return RangeProof(
        a_point,
        s_point,
        t1,
        t2,
        tuple(left for left, _ in pairs),
        tuple(right for _, right in pairs),
        tau_x,
        mu,
        t_hat,
        a,
        b,
    )


# -- the range transcript -----------------------------------------------------------------


class _Transcript:
    """The range transcript T and challenge(T, l) = hash_to_scalar(T || I2OSP(l, 8), RANGE_DST)."""

    __slots__ = ("_dst", "_parts", "_suite")

    def __init__(
        self, context: bytes, commitments: Sequence[G1], api_id: bytes, ciphersuite: Ciphersuite
    ) -> None:
        # T_0 = context || I2OSP(M, 8) || V_0 || ... || V_(M-1)
        self._parts = [
            bytes(context),
            i2osp(len(commitments)),
            points_to_octets(commitments, ciphersuite=ciphersuite),
        ]
        self._dst = range_dst(api_id)
        self._suite = ciphersuite.suite

    def append(self, octets: bytes) -> None:
        self._parts.append(octets)

    def challenge(self, label: int) -> int:
        return hash_to_scalar(b"".join(self._parts) + i2osp(label), self._dst, suite=self._suite)


def _scalars_octets(*scalars: int) -> bytes:
    return b"".join(scalar_to_octets(scalar) for scalar in scalars)


class RangeChallenges(NamedTuple):
    """The challenges of one range proof and the verifier's weight beta."""

    y: int
    z: int
    x: int
    w: int
    u: tuple[int, ...]
    beta: int


def derive_challenges(
    context: bytes,
    commitments: Sequence[G1],
    proof: RangeProof,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> RangeChallenges:
    """RangeVerify, step 2: y, z, x, w, u_1..u_k and beta from the range transcript.

    Raises :class:`InvalidProof` if any of them is 0 (probability 2^-254 for
    an honest proof, whose prover draws again instead).
    """
    backend = ciphersuite.backend
    transcript = _Transcript(context, commitments, api_id, ciphersuite)
    transcript.append(backend.g1_to_bytes(proof.A) + backend.g1_to_bytes(proof.S))
    y, z = transcript.challenge(_LABEL_Y), transcript.challenge(_LABEL_Z)
    transcript.append(backend.g1_to_bytes(proof.T1) + backend.g1_to_bytes(proof.T2))
    x = transcript.challenge(_LABEL_X)
    transcript.append(_scalars_octets(proof.tau_x, proof.mu, proof.t_hat))
    w = transcript.challenge(_LABEL_W)
    u = []
    for i, (left, right) in enumerate(zip(proof.L, proof.R, strict=True), start=1):
        transcript.append(backend.g1_to_bytes(left) + backend.g1_to_bytes(right))
        u.append(transcript.challenge(_LABEL_W + i))
    transcript.append(_scalars_octets(proof.a, proof.b))
    beta = transcript.challenge(_LABEL_W + len(u) + 1)
    challenges = RangeChallenges(y, z, x, w, tuple(u), beta)
    if 0 in (y, z, x, w, beta, *u):
        _fail()
    return challenges


def _fail() -> NoReturn:
    raise InvalidProof("proof invalid")


# -- arithmetic helpers -------------------------------------------------------------------


def _powers(base: int, count: int) -> list[int]:
    """(1, base, base^2, ..., base^(count-1)) mod r."""
    powers = [1] * count
    for i in range(1, count):
        powers[i] = powers[i - 1] * base % R
    return powers


def _inner(left: Sequence[int], right: Sequence[int]) -> int:
    return sum(a * b for a, b in zip(left, right, strict=True)) % R


def _inverse(value: int) -> int:
    return pow(value, -1, R)


def _delta(y: int, z: int, slots: int) -> int:
    """delta(y, z) = (z - z^2) * sum(y^q, q < N) - (2^16 - 1) * sum(z^(j+3), j < M')."""
    size = RANGE_BITS * slots
    y_sum = sum(_powers(y, size)) % R
    z_sum = sum(pow(z, j + 3, R) for j in range(slots)) % R
    return ((z - z * z) * y_sum - ((1 << RANGE_BITS) - 1) * z_sum) % R


def _bit_weights(z: int, slots: int) -> list[int]:
    """zz[q] = z^(2+j) * 2^i for q = 16 * j + i."""
    return [pow(z, 2 + j, R) * (1 << i) % R for j in range(slots) for i in range(RANGE_BITS)]


def _unrolled(u: Sequence[int]) -> list[int]:
    """s_q = product of u_i^(+1 or -1) by bit k - i of q (RangeVerify, step 3).

    Built from the last round to the first, so that the first round's factor
    lands on the most significant bit of q.
    """
    s = [1]
    for factor in reversed(u):
        inverse = _inverse(factor)
        s = [v * inverse % R for v in s] + [v * factor % R for v in s]
    return s


# -- prover ---------------------------------------------------------------------------------


def prove(
    context: bytes,
    commitments: Sequence[G1],
    openings: Sequence[tuple[int, int]],
    source: ScalarSource,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> RangeProof:
    """RangeProve(context, V_0, ..., V_(M-1); d_j, gamma_j) (chapter 9, version 2).

    ``openings`` are the (d_j, gamma_j) of the commitments, in the same
    order; each d_j must be in [0, 2^16) and each commitment must open to its
    pair (``ValueError`` otherwise: a prover never proves a false statement).
    Draws 2N + 4 single-use scalars. Raises
    :class:`~zkcheck.hazmat.scalar_source.FreshRandomnessRequired` in the
    negligible event of step 12 (an identity point, a zero scalar or a zero
    challenge), before the caller hashes anything of the proof.
    """
    count = len(commitments)
    slots = slot_count(count)
    if len(openings) != count:
        raise ValueError("one opening per commitment")
    gens = range_generators(api_id, count, ciphersuite=ciphersuite)
    backend = ciphersuite.backend
    for commitment, (value, blinding) in zip(commitments, openings, strict=True):
        if not 0 <= value < 1 << RANGE_BITS:
            raise ValueError("a value outside [0, 2^16) has no range proof")
        if not backend.g1_eq(commitment, backend.g1_msm([gens.Y_1, gens.Y_0], [value, blinding])):
            raise ValueError("a commitment does not open to its value")
    # 1. Padding slots: d_j = 0, gamma_j = 0, V_j the identity (never sent nor hashed).
    values = [value for value, _ in openings] + [0] * (slots - count)
    blindings = [blinding for _, blinding in openings] + [0] * (slots - count)
    size = RANGE_BITS * slots
    # 2. a_L[q] = bit i of d_j, a_R[q] = a_L[q] - 1, for q = 16 * j + i.
    a_left = [(values[q // RANGE_BITS] >> (q % RANGE_BITS)) & 1 for q in range(size)]
    a_right = [(bit - 1) % R for bit in a_left]
    # 3. 2N + 4 nonces, each read once; they answer the challenge x only.
    alpha, rho, tau_1, tau_2 = (nonce.read() for nonce in source.draw_many(4))
    s_left = [nonce.read() for nonce in source.draw_many(size)]
    s_right = [nonce.read() for nonce in source.draw_many(size)]
    g, h = gens.G[:size], gens.H[:size]
    # 4. A = alpha * Y_0 + <a_L, G> + <a_R, H>; S = rho * Y_0 + <s_L, G> + <s_R, H>.
    a_point = backend.g1_msm([gens.Y_0, *g, *h], [alpha, *a_left, *a_right])
    s_point = backend.g1_msm([gens.Y_0, *g, *h], [rho, *s_left, *s_right])
    # 5. y, z after A || S.
    transcript = _Transcript(context, commitments, api_id, ciphersuite)
    transcript.append(backend.g1_to_bytes(a_point) + backend.g1_to_bytes(s_point))
    y, z = transcript.challenge(_LABEL_Y), transcript.challenge(_LABEL_Z)
    if y == 0 or z == 0:
        raise FreshRandomnessRequired("a range challenge is zero")
    # 6. l(X) = l_0 + l_1 X, r(X) = r_0 + r_1 X, t_1 and t_2.
    y_powers = _powers(y, size)
    weights = _bit_weights(z, slots)
    l_0 = [(bit - z) % R for bit in a_left]
    l_1 = s_left
    r_0 = [
        (y_q * (right + z) + weight) % R
        for y_q, right, weight in zip(y_powers, a_right, weights, strict=True)
    ]
    r_1 = [y_q * s % R for y_q, s in zip(y_powers, s_right, strict=True)]
    t_1 = (_inner(l_0, r_1) + _inner(l_1, r_0)) % R
    t_2 = _inner(l_1, r_1)
    # 7. T1, T2; x after T1 || T2.
    t1_point = backend.g1_msm([gens.Y_1, gens.Y_0], [t_1, tau_1])
    t2_point = backend.g1_msm([gens.Y_1, gens.Y_0], [t_2, tau_2])
    transcript.append(backend.g1_to_bytes(t1_point) + backend.g1_to_bytes(t2_point))
    x = transcript.challenge(_LABEL_X)
    if x == 0:
        raise FreshRandomnessRequired("a range challenge is zero")
    # 8. l, r, t^, tau_x, mu.
    left = [(c + x * d) % R for c, d in zip(l_0, l_1, strict=True)]
    right = [(c + x * d) % R for c, d in zip(r_0, r_1, strict=True)]
    t_hat = _inner(left, right)
    z_blinding = sum(pow(z, 2 + j, R) * blindings[j] for j in range(slots))
    tau_x = (tau_2 * x * x + tau_1 * x + z_blinding) % R
    mu = (alpha + rho * x) % R
    # 9. w after tau_x || mu || t^; Q = w * U.
    transcript.append(_scalars_octets(tau_x, mu, t_hat))
    w = transcript.challenge(_LABEL_W)
    if w == 0:
        raise FreshRandomnessRequired("a range challenge is zero")
    # 10. The inner-product argument.
    pairs, a_final, b_final = _inner_product_argument(
        transcript, left, right, y, w, gens, size, ciphersuite
    )
    proof = RangeProof(
        a_point,
        s_point,
        t1_point,
        t2_point,
        tuple(pair[0] for pair in pairs),
        tuple(pair[1] for pair in pairs),
        tau_x,
        mu,
        t_hat,
        a_final,
        b_final,
    )
    # 12. Nothing sent may be the identity or zero; draw again otherwise.
    points = (a_point, s_point, t1_point, t2_point, *proof.L, *proof.R)
    if any(backend.g1_is_identity(point) for point in points):
        raise FreshRandomnessRequired("a range proof point is the identity")
    if 0 in (tau_x, mu, t_hat, a_final, b_final):
        raise FreshRandomnessRequired("a range proof scalar is zero")
    return proof


def _inner_product_argument(
    transcript: _Transcript,
    left: list[int],
    right: list[int],
    y: int,
    w: int,
    gens: RangeGenerators,
    size: int,
    ciphersuite: Ciphersuite,
) -> tuple[list[tuple[G1, G1]], int, int]:
    """RangeProve, steps 10 and 11, with the folded generators kept as scalars.

    After each round the current G'_p is the sum of coefficient_g[q] * G_q
    over the q with q mod length = p, and likewise for H' (whose initial
    factors are y^-q), so L_i and R_i are MSMs over the original generators.
    """
    backend = ciphersuite.backend
    g, h = gens.G[:size], gens.H[:size]
    coefficient_g = [1] * size
    coefficient_h = _powers(_inverse(y), size)
    a, b = left, right
    pairs: list[tuple[G1, G1]] = []
    for round_index in range(1, size.bit_length()):
        length = len(a)
        half = length // 2
        a_lo, a_hi, b_lo, b_hi = a[:half], a[half:], b[:half], b[half:]
        # 10.1 L = <a_lo, G'_hi> + <b_hi, H'_lo> + <a_lo, b_hi> Q,
        #      R = <a_hi, G'_lo> + <b_lo, H'_hi> + <a_hi, b_lo> Q.
        left_points: list[G1] = [gens.U]
        left_scalars = [w * _inner(a_lo, b_hi) % R]
        right_points: list[G1] = [gens.U]
        right_scalars = [w * _inner(a_hi, b_lo) % R]
        for q in range(size):
            position = q % length
            if position >= half:
                left_points.append(g[q])
                left_scalars.append(a_lo[position - half] * coefficient_g[q] % R)
                right_points.append(h[q])
                right_scalars.append(b_lo[position - half] * coefficient_h[q] % R)
            else:
                left_points.append(h[q])
                left_scalars.append(b_hi[position] * coefficient_h[q] % R)
                right_points.append(g[q])
                right_scalars.append(a_hi[position] * coefficient_g[q] % R)
        left_point = backend.g1_msm(left_points, left_scalars)
        right_point = backend.g1_msm(right_points, right_scalars)
        # 10.2 u_i after L_i || R_i.
        transcript.append(backend.g1_to_bytes(left_point) + backend.g1_to_bytes(right_point))
        u = transcript.challenge(_LABEL_W + round_index)
        if u == 0:
            raise FreshRandomnessRequired("a range challenge is zero")
        u_inverse = _inverse(u)
        pairs.append((left_point, right_point))
        # 10.3 a' = u a_lo + u^-1 a_hi, b' = u^-1 b_lo + u b_hi,
        #      G' = u^-1 G'_lo + u G'_hi, H' = u H'_lo + u^-1 H'_hi.
        a = [(u * lo + u_inverse * hi) % R for lo, hi in zip(a_lo, a_hi, strict=True)]
        b = [(u_inverse * lo + u * hi) % R for lo, hi in zip(b_lo, b_hi, strict=True)]
        for q in range(size):
            low = q % length < half
            coefficient_g[q] = coefficient_g[q] * (u_inverse if low else u) % R
            coefficient_h[q] = coefficient_h[q] * (u if low else u_inverse) % R
    # 11. a and b are single scalars.
    return pairs, a[0], b[0]


# -- verifier -------------------------------------------------------------------------------


def verification_terms(
    proof: RangeProof,
    commitments: Sequence[G1],
    challenges: RangeChallenges,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> tuple[list[G1], list[int]]:
    """RangeVerify, steps 3 to 5: the points and scalars whose MSM is the identity.

    The table of chapter 9: the inner-product equation plus beta times the
    polynomial equation, collected per point. ``challenges`` normally come
    from :func:`derive_challenges`; a caller may supply others (a simulator
    that programs the oracle, or a test showing what a weaker transcript
    would accept).
    """
    count = len(commitments)
    slots = slot_count(count)
    size = RANGE_BITS * slots
    if len(proof.L) != _rounds(count) or len(challenges.u) != len(proof.L):
        raise ValueError("the proof or the challenges are for another number of values")
    gens = range_generators(api_id, count, ciphersuite=ciphersuite)
    y, z, x, w, u, beta = challenges
    # 3. s_q, and 1 / s_q = s_(N-1-q).
    s = _unrolled(u)
    # 4. delta(y, z).
    delta = _delta(y, z, slots)
    y_inverse_powers = _powers(_inverse(y), size)
    weights = _bit_weights(z, slots)
    a, b = proof.a, proof.b
    g_scalars = [(-z - a * s_q) % R for s_q in s]
    h_scalars = [
        (z + y_inv * (weight - b * s_inv)) % R
        for y_inv, weight, s_inv in zip(y_inverse_powers, weights, reversed(s), strict=True)
    ]
    u_squares = [u_i * u_i % R for u_i in u]
    points = [
        proof.A,
        proof.S,
        *commitments,
        proof.T1,
        proof.T2,
        *proof.L,
        *proof.R,
        *gens.G[:size],
        *gens.H[:size],
        gens.U,
        gens.Y_1,
        gens.Y_0,
    ]
    scalars = [
        1,
        x,
        *(beta * pow(z, j + 2, R) % R for j in range(count)),
        beta * x % R,
        beta * x * x % R,
        *u_squares,
        *(_inverse(square) for square in u_squares),
        *g_scalars,
        *h_scalars,
        w * (proof.t_hat - a * b) % R,
        beta * (delta - proof.t_hat) % R,
        -(proof.mu + beta * proof.tau_x) % R,
    ]
    return points, scalars


def verify(
    context: bytes,
    commitments: Sequence[G1],
    proof: RangeProof,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> None:
    """RangeVerify (chapter 9, version 2): one MSM; raises :class:`InvalidProof` if it fails.

    ``commitments`` are V_0, ..., V_(M-1) in canonical order, decoded by the
    caller (in G1, not the identity); ``context`` is the caller's own items
    1 to 8. Returns None when the proof is valid.
    """
    challenges = derive_challenges(
        context, commitments, proof, api_id=api_id, ciphersuite=ciphersuite
    )
    points, scalars = verification_terms(
        proof, commitments, challenges, api_id=api_id, ciphersuite=ciphersuite
    )
    backend = ciphersuite.backend
    if not backend.g1_is_identity(backend.g1_msm(points, scalars)):
        _fail()
