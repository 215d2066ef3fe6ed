"""A test harness for version 2 of chapter 9: aggregated range proofs, honest or cheating.

It extends tests/predicate_harness.py (whose layout-1 credentials, operator key
and seeded rng it reuses) with:

- **Version-2 presentations with a real BBS proof** (:func:`present`,
  :func:`verify`): the package's own presentation of version 2
  (:mod:`zkcheck.hazmat.presentation`). The honest verifier is
  ``presentation.verify`` with the package's predicates; the prover is
  ``presentation.prove`` with the package's range links or test links
  plugged in as statements (:class:`CommittedLink`, :class:`MisplacedLink`),
  so that a cheating prover changes one thing only and the transcript, the
  BBS part, the range proof and the checks are the package's. The range
  prover itself, and what the challenge hashes, are swapped for the length
  of a ``with`` block (:func:`range_prover`, :func:`range_proof_left_out_of_the_challenge`),
  and :func:`recording` keeps what the range proof was made from.
- **An independent range prover and verifier** (:func:`reference_prove`,
  :func:`reference_verify`), written from the steps of RangeProve and from the
  paper's equations with the generators folded round by round, sharing no code
  with :mod:`zkcheck.hazmat.bulletproofs`. The prover takes any vector of
  "bits" and any list of hashed commitments, which is how the cheating provers
  are built; the verifier checks the polynomial equation and the inner-product
  argument apart, against which the package's single multi-scalar
  multiplication is compared.
- **A simulator** (:func:`simulate`) of the range proof for challenges it
  chooses, as the zero-knowledge argument of version 2 describes it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from unittest import mock

from tests.predicate_harness import (
    BACKEND,
    CIPHERSUITE,
    DISCLOSED,
    PK,
    Credential,
)
from tests.predicate_harness import _msm as msm
from tests.predicate_harness import _points as point_octets
from tests.predicate_harness import _scalars as scalar_octets
from zkcheck.errors import InvalidProof
from zkcheck.hazmat import Rng, bulletproofs, credential, presentation, range_proof_v2
from zkcheck.hazmat.backend import G1, GROUP_ORDER
from zkcheck.hazmat.bbs import Ciphersuite, hash_to_scalar
from zkcheck.hazmat.bulletproofs import RangeChallenges, RangeProof
from zkcheck.hazmat.predicate_parameters import i2osp
from zkcheck.hazmat.predicate_statements import RangeStatement, Statement
from zkcheck.hazmat.predicates import (
    LinkedPredicateCommitment,
    Predicate,
    RangeLinkPredicate,
    predicate,
)
from zkcheck.hazmat.presentation import VERSION_2, PresentationProof, Recomputed
from zkcheck.hazmat.range_proof_v2 import LinkProverState
from zkcheck.hazmat.scalar_source import ScalarSource

R = GROUP_ORDER
API_ID = credential.API_ID
BITS = bulletproofs.RANGE_BITS
GENS = bulletproofs.range_generators(API_ID, bulletproofs.MAX_SLOTS, ciphersuite=CIPHERSUITE)
Y_0, Y_1, U = GENS.Y_0, GENS.Y_1, GENS.U
RANGE_DST = bulletproofs.range_dst(API_ID)
VERSION = VERSION_2


def random_scalar() -> int:
    return secrets.randbelow(R - 1) + 1


def commit(value: int, blinding: int) -> G1:
    """V = value * Y_1 + blinding * Y_0."""
    return msm([Y_1, Y_0], [value, blinding])


# -- the independent range prover -----------------------------------------------------------


class Transcript:
    """The range transcript, written again from chapter 9's table."""

    def __init__(self, context: bytes, hashed_commitments: Sequence[G1]) -> None:
        self.octets = context + i2osp(len(hashed_commitments)) + point_octets(hashed_commitments)
        self.rounds = 0

    def add(self, octets: bytes) -> None:
        self.octets += octets

    def challenge(self, label: int) -> int:
        return hash_to_scalar(self.octets + i2osp(label), RANGE_DST)

    def round(self, left: G1, right: G1) -> int:
        """u_i after L_i || R_i: the label is 4 + i."""
        self.add(point_octets([left, right]))
        self.rounds += 1
        return self.challenge(4 + self.rounds)


def powers(base: int, count: int) -> list[int]:
    return [pow(base, i, R) for i in range(count)]


def inner(u: Sequence[int], v: Sequence[int]) -> int:
    return sum(a * b for a, b in zip(u, v, strict=True)) % R


def delta(y: int, z: int, slots: int) -> int:
    n = BITS * slots
    return (
        (z - z * z) * sum(powers(y, n))
        - sum(pow(z, j + 3, R) for j in range(slots)) * ((1 << BITS) - 1)
    ) % R


def bit_weights(z: int, slots: int) -> list[int]:
    return [pow(z, 2 + q // BITS, R) * 2 ** (q % BITS) % R for q in range(BITS * slots)]


def fold(
    a: list[int],
    b: list[int],
    gs: list[G1],
    hs: list[G1],
    q_point: G1,
    challenge: Callable[[G1, G1], int],
) -> tuple[tuple[G1, ...], tuple[G1, ...], tuple[int, ...], int, int]:
    """The inner-product argument as the paper's Protocol 2 writes it: L_i, R_i, then the
    vectors and the generators folded with u_i. Returns (L, R, u, a, b)."""
    ls: list[G1] = []
    rs: list[G1] = []
    us: list[int] = []
    while len(a) > 1:
        k = len(a) // 2
        ls.append(msm([*gs[k:], *hs[:k], q_point], [*a[:k], *b[k:], inner(a[:k], b[k:])]))
        rs.append(msm([*gs[:k], *hs[k:], q_point], [*a[k:], *b[:k], inner(a[k:], b[:k])]))
        u = challenge(ls[-1], rs[-1])
        u_inv = pow(u, -1, R)
        us.append(u)
        a = [(u * lo + u_inv * hi) % R for lo, hi in zip(a[:k], a[k:], strict=True)]
        b = [(u_inv * lo + u * hi) % R for lo, hi in zip(b[:k], b[k:], strict=True)]
        gs = [msm([lo, hi], [u_inv, u]) for lo, hi in zip(gs[:k], gs[k:], strict=True)]
        hs = [msm([lo, hi], [u, u_inv]) for lo, hi in zip(hs[:k], hs[k:], strict=True)]
    return tuple(ls), tuple(rs), tuple(us), a[0], b[0]


@dataclass
class ReferenceRun:
    """Everything the independent prover produced: the commitments (chosen late by a
    forger), the proof and the challenges of its own transcript."""

    commitments: list[G1]
    proof: RangeProof
    challenges: RangeChallenges


def bits_of(values: Sequence[int], slots: int) -> list[int]:
    """a_L for values below 2^16, with zero padding slots."""
    padded = [*values, *[0] * (slots - len(values))]
    return [(padded[q // BITS] >> (q % BITS)) & 1 for q in range(BITS * slots)]


def reference_prove(
    context: bytes,
    commitments: Sequence[G1],
    digits: Sequence[int],
    blindings: Sequence[int],
    *,
    hashed_commitments: Sequence[G1] | None = None,
    commit_after_challenges: bool = False,
) -> ReferenceRun:
    """RangeProve with explicit folding, for any "bits" (scalars) the caller chooses.

    ``digits`` is the whole vector a_L (16 per slot, padding slots included);
    ``blindings`` the gamma_j of every slot. ``hashed_commitments`` (default:
    ``commitments``) is what the transcript hashes after the context, so a test
    can build a prover whose challenges do not cover the statement.

    With ``commit_after_challenges`` (one slot, nothing hashed), the prover
    plays the attack such a transcript allows: after y and z it picks the value
    d = (t_0 - delta) / z^2 that makes the polynomial equation hold, and
    commits to it with a fresh blinding scalar; d is a random scalar, so almost
    surely far outside [0, 2^16). ``commitments`` is then ignored.
    """
    slots = len(blindings)
    n = BITS * slots
    assert len(digits) == n and slots == bulletproofs.slot_count(slots)
    g, h = list(GENS.G[:n]), list(GENS.H[:n])
    a_left = [d % R for d in digits]
    a_right = [(d - 1) % R for d in digits]
    alpha, rho, tau_1, tau_2 = (random_scalar() for _ in range(4))
    s_left = [random_scalar() for _ in range(n)]
    s_right = [random_scalar() for _ in range(n)]
    a_point = msm([Y_0, *g, *h], [alpha, *a_left, *a_right])
    s_point = msm([Y_0, *g, *h], [rho, *s_left, *s_right])
    hashed = commitments if hashed_commitments is None else hashed_commitments
    transcript = Transcript(context, hashed)
    transcript.add(point_octets([a_point, s_point]))
    y, z = transcript.challenge(1), transcript.challenge(2)
    y_n, zz = powers(y, n), bit_weights(z, slots)
    l_0 = [(a - z) % R for a in a_left]
    r_0 = [(y_q * (a + z) + w) % R for y_q, a, w in zip(y_n, a_right, zz, strict=True)]
    if commit_after_challenges:
        assert slots == 1 and not hashed
        value = (inner(l_0, r_0) - delta(y, z, 1)) * pow(z * z, -1, R) % R
        blindings = [random_scalar()]
        commitments = [commit(value, blindings[0])]
    r_1 = [y_q * s % R for y_q, s in zip(y_n, s_right, strict=True)]
    t_1 = (inner(l_0, r_1) + inner(s_left, r_0)) % R
    t_2 = inner(s_left, r_1)
    t1_point, t2_point = msm([Y_1, Y_0], [t_1, tau_1]), msm([Y_1, Y_0], [t_2, tau_2])
    transcript.add(point_octets([t1_point, t2_point]))
    x = transcript.challenge(3)
    left = [(a + x * b) % R for a, b in zip(l_0, s_left, strict=True)]
    right = [(a + x * b) % R for a, b in zip(r_0, r_1, strict=True)]
    t_hat = inner(left, right)
    blinded = sum(pow(z, 2 + j, R) * b for j, b in enumerate(blindings))
    tau_x = (tau_2 * x * x + tau_1 * x + blinded) % R
    mu = (alpha + rho * x) % R
    transcript.add(scalar_octets([tau_x, mu, t_hat]))
    w = transcript.challenge(4)
    q_point = BACKEND.g1_mul(U, w)
    y_inverse = pow(y, -1, R)
    h_prime = [BACKEND.g1_mul(h_q, pow(y_inverse, q, R)) for q, h_q in enumerate(h)]
    ls, rs, us, a, b = fold(left, right, g, h_prime, q_point, transcript.round)
    transcript.add(scalar_octets([a, b]))
    beta = transcript.challenge(5 + len(us))
    proof = RangeProof(a_point, s_point, t1_point, t2_point, ls, rs, tau_x, mu, t_hat, a, b)
    return ReferenceRun(list(commitments), proof, RangeChallenges(y, z, x, w, tuple(us), beta))


# -- the independent verifier ------------------------------------------------------------------


def reference_challenges(
    context: bytes, commitments: Sequence[G1], proof: RangeProof
) -> RangeChallenges:
    """The challenges of RangeVerify step 2, from this harness's own transcript."""
    transcript = Transcript(context, commitments)
    transcript.add(point_octets([proof.A, proof.S]))
    y, z = transcript.challenge(1), transcript.challenge(2)
    transcript.add(point_octets([proof.T1, proof.T2]))
    x = transcript.challenge(3)
    transcript.add(scalar_octets([proof.tau_x, proof.mu, proof.t_hat]))
    w = transcript.challenge(4)
    us = []
    for i, (left, right) in enumerate(zip(proof.L, proof.R, strict=True), start=1):
        transcript.add(point_octets([left, right]))
        us.append(transcript.challenge(4 + i))
    transcript.add(scalar_octets([proof.a, proof.b]))
    return RangeChallenges(y, z, x, w, tuple(us), transcript.challenge(5 + len(us)))


def reference_verify(
    commitments: Sequence[G1], proof: RangeProof, challenges: RangeChallenges
) -> bool:
    """The two equations of the paper, checked apart, with the generators folded round by round.

    E_t: t^ * Y_1 + tau_x * Y_0 = sum(z^(j+2) * V_j) + delta * Y_1 + x * T1 + x^2 * T2.
    The inner-product argument: P - mu * Y_0 + t^ * Q, plus u_i^2 * L_i + u_i^-2 * R_i for
    every round, equals a * G_fin + b * H_fin + a * b * Q, with P = A + x * S - z * <1, G> +
    <z * y^N + zz, H'> and H'_q = y^-q * H_q.
    """
    slots = bulletproofs.slot_count(len(commitments))
    n = BITS * slots
    y, z, x, w, us, _ = challenges
    if len(us) != len(proof.L):
        return False
    polynomial = msm(
        [*commitments, Y_1, proof.T1, proof.T2, Y_0],
        [
            *(pow(z, j + 2, R) for j in range(len(commitments))),
            (delta(y, z, slots) - proof.t_hat) % R,
            x,
            x * x,
            -proof.tau_x,
        ],
    )
    if not BACKEND.g1_is_identity(polynomial):
        return False
    y_inverse = pow(y, -1, R)
    gs = list(GENS.G[:n])
    hs = [BACKEND.g1_mul(h_q, pow(y_inverse, q, R)) for q, h_q in enumerate(GENS.H[:n])]
    q_point = BACKEND.g1_mul(U, w)
    zz = bit_weights(z, slots)
    y_n = powers(y, n)
    p_point = msm(
        [proof.A, proof.S, *gs, *hs, Y_0, q_point],
        [
            1,
            x,
            *([-z] * n),
            *((z * y_q + zz_q) % R for y_q, zz_q in zip(y_n, zz, strict=True)),
            -proof.mu,
            proof.t_hat,
        ],
    )
    for u, left, right in zip(us, proof.L, proof.R, strict=True):
        u_inv = pow(u, -1, R)
        p_point = msm([p_point, left, right], [1, u * u, u_inv * u_inv])
        k = len(gs) // 2
        gs = [msm([lo, hi], [u_inv, u]) for lo, hi in zip(gs[:k], gs[k:], strict=True)]
        hs = [msm([lo, hi], [u, u_inv]) for lo, hi in zip(hs[:k], hs[k:], strict=True)]
    expected = msm([gs[0], hs[0], q_point], [proof.a, proof.b, proof.a * proof.b])
    return BACKEND.g1_eq(p_point, expected)


def package_accepts(context: bytes, commitments: Sequence[G1], proof: RangeProof) -> bool:
    """Whether zkcheck's single-MSM verifier accepts."""
    try:
        bulletproofs.verify(context, commitments, proof, api_id=API_ID, ciphersuite=CIPHERSUITE)
    except InvalidProof:
        return False
    return True


# -- the simulator of version 2's zero-knowledge argument -----------------------------------------


def simulate(count: int) -> tuple[list[G1], RangeProof, RangeChallenges]:
    """A range proof for ``count`` uniform commitments, without any opening, for challenges
    the simulator chooses (it programs the random oracle)."""
    slots = bulletproofs.slot_count(count)
    n = BITS * slots
    commitments = [BACKEND.g1_mul(Y_0, random_scalar()) for _ in range(count)]
    y, z, x, w = (random_scalar() for _ in range(4))
    left = [random_scalar() for _ in range(n)]
    right = [random_scalar() for _ in range(n)]
    tau_x, mu = random_scalar(), random_scalar()
    s_point, t2_point = BACKEND.g1_mul(Y_0, random_scalar()), BACKEND.g1_mul(Y_1, random_scalar())
    t_hat = inner(left, right)
    x_inv = pow(x, -1, R)
    t1_point = msm(
        [Y_1, Y_0, *commitments, t2_point],
        [
            x_inv * (t_hat - delta(y, z, slots)),
            x_inv * tau_x,
            *(-x_inv * pow(z, j + 2, R) for j in range(count)),
            -x,
        ],
    )
    y_inverse = pow(y, -1, R)
    g = list(GENS.G[:n])
    h_prime = [BACKEND.g1_mul(h_q, pow(y_inverse, q, R)) for q, h_q in enumerate(GENS.H[:n])]
    zz = bit_weights(z, slots)
    y_n = powers(y, n)
    a_point = msm(
        [Y_0, *g, *h_prime, s_point, *g, *h_prime],
        [
            mu,
            *left,
            *right,
            -x,
            *([z] * n),
            *(-(z * y_q + zz_q) for y_q, zz_q in zip(y_n, zz, strict=True)),
        ],
    )
    q_point = BACKEND.g1_mul(U, w)
    ls, rs, us, a, b = fold(left, right, g, h_prime, q_point, lambda _l, _r: random_scalar())
    proof = RangeProof(a_point, s_point, t1_point, t2_point, ls, rs, tau_x, mu, t_hat, a, b)
    return commitments, proof, RangeChallenges(y, z, x, w, tuple(us), random_scalar())


# -- version-2 presentations with a real BBS proof: the package's prover and verifier -----


def linked(statement: Statement) -> Predicate:
    """The package's plug-in of version 2 for ``statement``: a range link of the widened
    statement, or a membership proof."""
    return predicate(statement, VERSION)


@dataclass(frozen=True)
class MisplacedLink:
    """The package's range link whose BBS nonce goes to another message, ``link_to``:
    the link is computed for that message's value, and hashed as the statement's."""

    link: RangeLinkPredicate
    link_to: int

    @property
    def attribute(self) -> int:
        return self.link_to

    @property
    def range_statement(self) -> RangeStatement:
        return self.link.range_statement

    @property
    def wire_length(self) -> int:
        return self.link.wire_length

    def statement_octets(self) -> bytes:
        return self.link.statement_octets()

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> LinkedPredicateCommitment:
        return self.link.commit(value, rng=rng, ciphersuite=ciphersuite)

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        return self.link.recompute(wire, response, challenge, ciphersuite=ciphersuite)


@dataclass
class _CommittedState:
    nonce: int
    first_messages: bytes
    state: LinkProverState
    respond: Callable[[int], bytes]


@dataclass(frozen=True)
class CommittedLink:
    """A range link, written from the generators up, that commits to a difference of its
    choice.

    V = d * Y_1 + gamma * Y_0 for the given ``difference`` (any scalar), with the
    link's first message V~ and response gamma^ computed honestly for that V:
    the link holds only if d is the signed attribute's difference. The range
    proof is handed the opening (d, gamma), which the package's range prover
    refuses unless d is in [0, 2^16).
    """

    statement: RangeStatement
    difference: int

    @property
    def attribute(self) -> int:
        return self.statement.attribute

    @property
    def range_statement(self) -> RangeStatement:
        return self.statement

    @property
    def wire_length(self) -> int:
        return range_proof_v2.LINK_OCTETS

    def statement_octets(self) -> bytes:
        return self.statement.statement_octets()

    def commit(self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite) -> _CommittedState:
        gamma, gamma_tilde, m_tilde = (nonce.read() for nonce in ScalarSource(rng).draw_many(3))
        v_point = commit(self.difference, gamma)
        v_tilde = msm([Y_1, Y_0], [self.statement.sigma * m_tilde, gamma_tilde])

        def respond(challenge: int) -> bytes:
            return point_octets([v_point]) + scalar_octets([gamma_tilde + challenge * gamma])

        opening = LinkProverState(v_point, self.difference % R, gamma, gamma_tilde)
        return _CommittedState(m_tilde, point_octets([v_point, v_tilde]), opening, respond)

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        return linked(self.statement).recompute(wire, response, challenge, ciphersuite=ciphersuite)


def present(
    credential_: Credential,
    plugins: Sequence[presentation.Statement],
    ph: bytes,
    *,
    rng: Rng | None = None,
) -> PresentationProof:
    """The package's presentation prover of version 2 with the given plug-ins."""
    return presentation.prove(
        PK,
        credential_.signature,
        list(credential_.scalars),
        DISCLOSED,
        ph,
        version=VERSION,
        statements=plugins,
        rng=rng,
        backend=BACKEND,
    )


def verify(
    shown: PresentationProof,
    statements: Sequence[Statement],
    ph: bytes,
    disclosed_values: Sequence[int],
) -> None:
    """The package's presentation verifier of version 2 with the package's predicates for
    ``statements``; raises DecodeError or InvalidProof."""
    presentation.verify(
        PK,
        shown,
        dict(zip(DISCLOSED, disclosed_values, strict=True)),
        ph,
        version=VERSION,
        statements=[linked(statement) for statement in statements],
        backend=BACKEND,
    )


def predicate_length(statements: Sequence[Statement]) -> int:
    """The length of version 2's predicate proof for these statements."""
    ranges = sum(isinstance(s, RangeStatement) for s in statements)
    parts = sum(linked(statement).wire_length for statement in statements)
    return parts + (range_proof_v2.range_proof_length(ranges) if ranges else 0)


# -- what a cheating test swaps in the package's prover, for one ``with`` block -------------


RangeProver = Callable[..., RangeProof]
"""A replacement for ``range_proof_v2.prove_ranges``: (context, states, source, *, api_id,
ciphersuite) -> the range proof."""


@contextlib.contextmanager
def range_prover(prover: RangeProver) -> Iterator[None]:
    """The package's presentation prover, with ``prover`` as its range prover."""
    with mock.patch.object(range_proof_v2, "prove_ranges", prover):
        yield


def digit_prove_ranges(
    context: bytes,
    states: Sequence[LinkProverState],
    source: ScalarSource,
    *,
    api_id: bytes,
    ciphersuite: Ciphersuite,
) -> RangeProof:
    """The independent prover with the 16 low bits of each d, whatever d is (mod r)."""
    openings = [state.take_opening() for state in states]
    slots = bulletproofs.slot_count(len(states))
    digits = bits_of([d % (1 << BITS) for d, _ in openings], slots)
    blindings = [gamma for _, gamma in openings] + [0] * (slots - len(openings))
    return reference_prove(context, [state.commitment for state in states], digits, blindings).proof


@dataclass
class Recorded:
    """What the package's range prover was given: the context, the commitments and their
    openings, for tests that build a second proof for the same inputs."""

    context: bytes = b""
    commitments: list[G1] = field(default_factory=list)
    openings: list[tuple[int, int]] = field(default_factory=list)


@contextlib.contextmanager
def recording() -> Iterator[Recorded]:
    """The package's presentation prover, recording what its range proof is made from."""
    recorded = Recorded()
    real = bulletproofs.prove

    def spy(
        context: bytes,
        commitments: Sequence[G1],
        openings: Sequence[tuple[int, int]],
        source: ScalarSource,
        *,
        api_id: bytes,
        ciphersuite: Ciphersuite,
    ) -> RangeProof:
        recorded.context = context
        recorded.commitments, recorded.openings = list(commitments), list(openings)
        return real(context, commitments, openings, source, api_id=api_id, ciphersuite=ciphersuite)

    with mock.patch.object(bulletproofs, "prove", spy):
        yield recorded


@contextlib.contextmanager
def range_proof_left_out_of_the_challenge() -> Iterator[None]:
    """The package's presentation prover with a challenge whose item 9 leaves out the range
    proof (its verifier too, inside the block)."""
    real = presentation.challenge_input

    def without_range_proof(
        context: bytes, messages: Sequence[bytes], range_octets: bytes, *rest: object, **kw: object
    ) -> bytes:
        return real(context, messages, b"", *rest, **kw)  # type: ignore[arg-type]

    with mock.patch.object(presentation, "challenge_input", without_range_proof):
        yield


def package_range_prover(
    context: bytes, commitments: Sequence[G1], openings: Sequence[tuple[int, int]]
) -> bytes:
    """RangeProve as zkcheck implements it, as octets."""
    proof = bulletproofs.prove(
        context, commitments, openings, ScalarSource(), api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    return bulletproofs.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)
