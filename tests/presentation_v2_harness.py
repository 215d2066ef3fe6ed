"""A test harness for version 2 of chapter 9: aggregated range proofs, honest or cheating.

It extends tests/predicate_harness.py (whose layout-1 credentials, operator key
and seeded rng it reuses) with:

- **Version-2 presentations with a real BBS proof** (:func:`present`,
  :func:`verify`): the steps of chapter 9's sections "Presentation prover" and
  "Presentation verifier" of version 2, from ``bbs.proof_init``,
  ``bbs.proof_finalize`` and ``bbs.proof_verify_init``, with the range links and
  the range proof of :mod:`zkcheck.hazmat.range_proof_v2` and the membership
  proofs of version 1. Range links are pluggable (:class:`Link`), and so is the
  range prover, so that a cheating test changes one thing only.
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

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tests.predicate_harness import (
    BACKEND,
    CIPHERSUITE,
    DISCLOSED,
    PK,
    UNDISCLOSED,
    Credential,
)
from tests.predicate_harness import _msm as msm
from tests.predicate_harness import _points as point_octets
from tests.predicate_harness import _scalars as scalar_octets
from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat import Rng, bbs, bulletproofs, credential, range_proof_v2, set_membership
from zkcheck.hazmat.backend import G1, GROUP_ORDER
from zkcheck.hazmat.bulletproofs import RangeChallenges, RangeProof
from zkcheck.hazmat.predicate_parameters import i2osp, lp, scalar_to_octets
from zkcheck.hazmat.predicate_statements import (
    MembershipStatement,
    RangeStatement,
    Statement,
    canonical_order,
    statements_octets,
)
from zkcheck.hazmat.scalar_source import ScalarSource

R = GROUP_ORDER
API_ID = credential.API_ID
HEADER = credential.HEADER
BITS = bulletproofs.RANGE_BITS
GENS = bulletproofs.range_generators(API_ID, bulletproofs.MAX_SLOTS, ciphersuite=CIPHERSUITE)
Y_0, Y_1, U = GENS.Y_0, GENS.Y_1, GENS.U
CHALLENGE_DST = range_proof_v2.challenge_dst(API_ID)
RANGE_DST = bulletproofs.range_dst(API_ID)


def random_scalar() -> int:
    return secrets.randbelow(R - 1) + 1


def commit(value: int, blinding: int) -> G1:
    """V = value * Y_1 + blinding * Y_0."""
    return msm([Y_1, Y_0], [value, blinding])


# -- chapter 9's version-2 transcript -------------------------------------------------------


def context_octets(
    statements: Sequence[Statement], ph: bytes, disclosed_values: Sequence[int]
) -> bytes:
    """Items 1 to 8 of the version-2 challenge input."""
    return b"".join(
        [
            lp(range_proof_v2.PROTOCOL_ID),  # 1
            lp(CIPHERSUITE.ciphersuite_id),  # 2
            PK,  # 3
            lp(HEADER),  # 4
            i2osp(credential.LAYOUT_VERSION),  # 5
            i2osp(len(DISCLOSED))  # 6
            + b"".join(
                i2osp(i) + scalar_to_octets(v)
                for i, v in zip(DISCLOSED, disclosed_values, strict=True)
            ),
            statements_octets(statements),  # 7
            lp(ph),  # 8
        ]
    )


def challenge_input(
    context: bytes, messages: Sequence[bytes], range_octets: bytes, init_res: bbs.ProofInitResult
) -> bytes:
    """Items 1 to 11: context, item 9 (each predicate's first messages, then the range
    proof), item 10 (no pseudonym block), item 11."""
    return (
        context
        + b"".join(messages)
        + range_octets
        + i2osp(0)
        + point_octets(init_res[:5])
        + scalar_to_octets(init_res.domain)
    )


# -- the independent range prover -----------------------------------------------------------


class Transcript:
    """The range transcript, written again from chapter 9's table."""

    def __init__(self, context: bytes, hashed_commitments: Sequence[G1]) -> None:
        self.octets = context + i2osp(len(hashed_commitments)) + point_octets(hashed_commitments)
        self.rounds = 0

    def add(self, octets: bytes) -> None:
        self.octets += octets

    def challenge(self, label: int) -> int:
        return bbs.hash_to_scalar(self.octets + i2osp(label), RANGE_DST)

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


# -- version-2 presentations with a real BBS proof ---------------------------------------------


class Link(Protocol):
    """One range predicate's link: the statement hashed, the message index whose BBS nonce
    it chooses, commit, and respond."""

    statement: RangeStatement

    @property
    def attribute(self) -> int:
        """The message index that receives the BBS nonce."""
        ...

    def commit(self, source: ScalarSource) -> tuple[bytes, int, G1, tuple[int, int]]:
        """Item 9's V || V~, the BBS nonce, V, and the opening (d, gamma) for the range proof."""
        ...

    def respond(self, challenge: int) -> bytes:
        """V || gamma^."""
        ...


@dataclass
class HonestLink:
    """The package's link (:func:`zkcheck.hazmat.range_proof_v2.prover_commit`).

    ``link_to`` (default: the statement's attribute) is the message index that
    receives the BBS nonce; a cheating test changes it or the ``value``.
    """

    statement: RangeStatement
    value: int
    link_to: int | None = None
    _state: range_proof_v2.LinkProverState | None = field(default=None, repr=False)

    @property
    def attribute(self) -> int:
        return self.link_to if self.link_to is not None else self.statement.attribute

    def commit(self, source: ScalarSource) -> tuple[bytes, int, G1, tuple[int, int]]:
        commitment = range_proof_v2.prover_commit(
            self.statement, self.value, source, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        self._state = commitment.state
        octets = range_proof_v2.messages_octets(commitment.first_messages, ciphersuite=CIPHERSUITE)
        opening = commitment.state.take_opening()
        return octets, commitment.bbs_nonce.read(), commitment.state.commitment, opening

    def respond(self, challenge: int) -> bytes:
        assert self._state is not None
        proof = range_proof_v2.prover_response(self._state, challenge)
        return range_proof_v2.link_proof_to_octets(proof, ciphersuite=CIPHERSUITE)


@dataclass
class CommittedLink:
    """A link, written from the generators up, that commits to a difference of its choice.

    V = d * Y_1 + gamma * Y_0 for the given ``difference`` (any scalar), with the
    link's first message and response computed honestly for that V: the link
    holds only if d is the signed attribute's difference.
    """

    statement: RangeStatement
    difference: int
    _secrets: tuple[int, int, G1] | None = field(default=None, repr=False)

    @property
    def attribute(self) -> int:
        return self.statement.attribute

    def commit(self, source: ScalarSource) -> tuple[bytes, int, G1, tuple[int, int]]:
        gamma, gamma_tilde, m_tilde = (source.draw().read() for _ in range(3))
        v_point = commit(self.difference, gamma)
        v_tilde = msm([Y_1, Y_0], [self.statement.sigma * m_tilde, gamma_tilde])
        self._secrets = (gamma, gamma_tilde, v_point)
        return point_octets([v_point, v_tilde]), m_tilde, v_point, (self.difference % R, gamma)

    def respond(self, challenge: int) -> bytes:
        assert self._secrets is not None
        gamma, gamma_tilde, v_point = self._secrets
        return point_octets([v_point]) + scalar_octets([gamma_tilde + challenge * gamma])


RangeProver = Callable[[bytes, Sequence[G1], Sequence[tuple[int, int]]], bytes]
"""Makes the range proof's octets from the context, the commitments and their openings."""


def package_range_prover(
    context: bytes, commitments: Sequence[G1], openings: Sequence[tuple[int, int]]
) -> bytes:
    """RangeProve as zkcheck implements it."""
    proof = bulletproofs.prove(
        context, commitments, openings, ScalarSource(), api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    return bulletproofs.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)


def digit_range_prover(
    context: bytes, commitments: Sequence[G1], openings: Sequence[tuple[int, int]]
) -> bytes:
    """The independent prover with the 16 low bits of each d, whatever d is (mod r)."""
    slots = bulletproofs.slot_count(len(commitments))
    digits = bits_of([d % (1 << BITS) for d, _ in openings], slots)
    blindings = [gamma for _, gamma in openings] + [0] * (slots - len(openings))
    run = reference_prove(context, commitments, digits, blindings)
    return bulletproofs.range_proof_to_octets(run.proof, ciphersuite=CIPHERSUITE)


@dataclass(frozen=True)
class Presentation:
    bbs_proof: bytes
    predicate_proof: bytes

    def __len__(self) -> int:
        return len(self.bbs_proof) + len(self.predicate_proof)


@dataclass
class Recorded:
    """What :func:`present` used, for tests that build a second proof for the same inputs."""

    context: bytes = b""
    commitments: list[G1] = field(default_factory=list)
    openings: list[tuple[int, int]] = field(default_factory=list)


def present(
    credential_: Credential,
    links: Sequence[Link],
    memberships: Sequence[tuple[MembershipStatement, int]],
    ph: bytes,
    *,
    range_prover: RangeProver = package_range_prover,
    hash_range_proof: bool = True,
    record: Recorded | None = None,
    rng: Rng | None = None,
) -> Presentation:
    """Version 2, "Presentation prover", steps 2 to 10.

    ``hash_range_proof=False`` builds a cheating presentation whose challenge
    leaves the range proof out of item 9.
    """
    statements = [link.statement for link in links] + [m for m, _ in memberships]
    order = canonical_order(statements)
    source = ScalarSource(rng)
    messages: dict[int, bytes] = {}
    chosen: dict[int, int] = {}
    commitments: list[G1] = []
    openings: list[tuple[int, int]] = []
    ordered_links = sorted(links, key=lambda link: link.statement.attribute)
    # 2. Each range link in canonical order: V, V~ and its chosen BBS nonce.
    for link in ordered_links:
        octets, nonce, commitment, opening = link.commit(source)
        messages[link.statement.attribute] = octets
        chosen[link.attribute] = nonce
        commitments.append(commitment)
        openings.append(opening)
    # 3. Each membership predicate as version 1.
    member_states = {}
    for statement, value in memberships:
        membership = set_membership.prover_commit(
            statement, value, source, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        messages[statement.attribute] = set_membership.messages_octets(
            membership.first_messages, ciphersuite=CIPHERSUITE
        )
        chosen[statement.attribute] = membership.bbs_nonce.read()
        member_states[statement.attribute] = membership.state
    # 4. The context and the range proof.
    context = context_octets(order, ph, credential_.disclosed_values)
    range_octets = range_prover(context, commitments, openings) if commitments else b""
    if record is not None:
        record.context, record.commitments, record.openings = context, commitments, openings
    # 5. The BBS random scalars with the chosen nonces at 5 + pos(a), and ProofInit.
    random_scalars = bbs._proof_random_scalars(UNDISCLOSED, chosen, rng, ciphersuite=CIPHERSUITE)
    signature = bbs.octets_to_signature(credential_.signature, ciphersuite=CIPHERSUITE)
    init_res = bbs.proof_init(
        PK,
        signature,
        credential.generators(CIPHERSUITE),
        random_scalars,
        HEADER,
        list(credential_.scalars),
        list(UNDISCLOSED),
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    # 6. c over items 1 to 11.
    item_9 = [messages[s.attribute] for s in order]
    hashed_range = range_octets if hash_range_proof else b""
    c = bbs.hash_to_scalar(challenge_input(context, item_9, hashed_range, init_res), CHALLENGE_DST)
    # 7. ProofFinalize.
    bbs_proof = bbs.proof_finalize(
        init_res,
        c,
        signature.e,
        random_scalars,
        [credential_[j] for j in UNDISCLOSED],
        ciphersuite=CIPHERSUITE,
    )
    # 8. and 10. The responses in canonical order, then the range proof.
    by_attribute = {link.statement.attribute: link for link in links}
    parts = []
    for predicate in order:
        if isinstance(predicate, RangeStatement):
            parts.append(by_attribute[predicate.attribute].respond(c))
        else:
            member = set_membership.prover_response(member_states[predicate.attribute], c)
            parts.append(set_membership.membership_proof_to_octets(member, ciphersuite=CIPHERSUITE))
    return Presentation(bbs_proof, b"".join(parts) + range_octets)


def predicate_length(statements: Sequence[Statement]) -> int:
    """The length of version 2's predicate proof for these statements."""
    ranges = sum(isinstance(s, RangeStatement) for s in statements)
    memberships = sum(
        set_membership.proof_length(len(s.values))
        for s in statements
        if isinstance(s, MembershipStatement)
    )
    aggregate = range_proof_v2.range_proof_length(ranges) if ranges else 0
    return ranges * range_proof_v2.LINK_OCTETS + memberships + aggregate


def verify(
    presentation: Presentation,
    statements: Sequence[Statement],
    ph: bytes,
    disclosed_values: Sequence[int],
) -> None:
    """Version 2, "Presentation verifier", steps 1 to 10; raises DecodeError or InvalidProof."""
    order = canonical_order(statements)
    ranges = [s for s in order if isinstance(s, RangeStatement)]
    # 1. Lengths from the verifier's own statements.
    if len(presentation.bbs_proof) != 272 + 32 * len(UNDISCLOSED):
        raise DecodeError("BBS proof of the wrong length")
    if len(presentation.predicate_proof) != predicate_length(order):
        raise DecodeError("predicate proof of the wrong length")
    # 2. and 3. Decode.
    proof = bbs.octets_to_proof(presentation.bbs_proof, ciphersuite=CIPHERSUITE)
    w = bbs.octets_to_pubkey(PK, ciphersuite=CIPHERSUITE)
    offset = 0
    parts: list[range_proof_v2.LinkProof | set_membership.MembershipProof] = []
    for statement in order:
        if isinstance(statement, RangeStatement):
            end = offset + range_proof_v2.LINK_OCTETS
            parts.append(
                range_proof_v2.octets_to_link_proof(
                    presentation.predicate_proof[offset:end], ciphersuite=CIPHERSUITE
                )
            )
        else:
            end = offset + set_membership.proof_length(len(statement.values))
            parts.append(
                set_membership.octets_to_membership_proof(
                    presentation.predicate_proof[offset:end],
                    len(statement.values),
                    ciphersuite=CIPHERSUITE,
                )
            )
        offset = end
    range_octets = presentation.predicate_proof[offset:]
    aggregate = (
        range_proof_v2.octets_to_range_proof(range_octets, len(ranges), ciphersuite=CIPHERSUITE)
        if ranges
        else None
    )
    # 4. ProofVerifyInit.
    init_res = bbs.proof_verify_init(
        PK,
        proof,
        credential.generators(CIPHERSUITE),
        HEADER,
        list(disclosed_values),
        list(DISCLOSED),
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    # 5. and 6. Recompute every first message from m^ of the statement's own attribute.
    m_hat: Mapping[int, int] = dict(zip(UNDISCLOSED, proof.commitments, strict=True))
    messages = []
    commitments = []
    for statement, part in zip(order, parts, strict=True):
        response = m_hat[statement.attribute]
        if isinstance(statement, RangeStatement):
            assert isinstance(part, range_proof_v2.LinkProof)
            check = range_proof_v2.verifier_recompute(
                statement, part, response, proof.challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            messages.append(
                range_proof_v2.messages_octets(check.first_messages, ciphersuite=CIPHERSUITE)
            )
            commitments.append(part.V)
        else:
            assert isinstance(part, set_membership.MembershipProof)
            membership = set_membership.verifier_recompute(
                statement, part, response, proof.challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            messages.append(
                set_membership.messages_octets(membership.first_messages, ciphersuite=CIPHERSUITE)
            )
    # 7. The challenge.
    context = context_octets(order, ph, disclosed_values)
    transcript = challenge_input(context, messages, range_octets, init_res)
    if bbs.hash_to_scalar(transcript, CHALLENGE_DST) != proof.challenge:
        raise InvalidProof("proof invalid")
    # 8. The range proof.
    if aggregate is not None:
        range_proof_v2.verify_ranges(
            context, commitments, aggregate, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
    # 9. The pairing, last.
    if not BACKEND.pairing_product_is_one([(proof.Abar, w), (proof.Bbar, CIPHERSUITE.neg_BP2)]):
        raise InvalidProof("proof invalid")
