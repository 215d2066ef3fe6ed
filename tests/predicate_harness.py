"""A test harness that runs chapter 9's predicate proofs end to end, honestly or cheating.

Two ways to supply the BBS part that a predicate proof is linked to:

- **The real thing** (:func:`present`, :func:`verify`): a BBS signature by
  an operator key over the 12 messages of layout 1 (chapter 8), and the
  package's own presentation (:mod:`zkcheck.hazmat.presentation`): the
  honest verifier is ``presentation.verify`` with the package's predicates
  (:mod:`zkcheck.hazmat.predicates`); the prover is ``presentation.prove``
  with each test prover plugged in as a statement, so a cheating prover
  changes one thing only and the transcript, the BBS part and the checks
  are the package's.
- **A stand-in** (:func:`present_standin`, :func:`verify_standin`): the BBS
  part replaced by the one thing a predicate proof uses from it, the
  response ``m^_a = m~_a + c * m_a`` for a known ``m_a``, under a challenge
  over the statements, a context and the first messages. The stand-in lets
  the extractor and simulator tests program the challenge.

Predicate provers share one small interface (:class:`Prover`): ``link`` is
the message index whose BBS nonce the prover chooses; ``commit`` returns
the first messages' octets and that nonce; ``respond`` returns the wire
octets. The honest ones wrap
:mod:`zkcheck.hazmat.range_proof` and :mod:`zkcheck.hazmat.set_membership`;
the cheating ones, each wrong in one way on purpose, are written here from
the generators up, so that they do not share the honest prover's code.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat import Rng, bbs, credential, presentation, range_proof, set_membership
from zkcheck.hazmat.backend import G1, GROUP_ORDER, get_backend
from zkcheck.hazmat.bbs import Ciphersuite
from zkcheck.hazmat.credential import API_ID, DAY_SENTINEL, HEADER, HOUR_SENTINEL, Index
from zkcheck.hazmat.predicate_parameters import (
    lp,
    predicate_generators,
    scalar_to_octets,
)
from zkcheck.hazmat.predicate_statements import (
    MembershipStatement,
    RangeStatement,
    Statement,
    canonical_order,
    statements_octets,
)
from zkcheck.hazmat.predicates import Predicate, PredicateCommitment, RangePredicate
from zkcheck.hazmat.predicates import predicate as versioned_predicate
from zkcheck.hazmat.presentation import VERSION_1, PresentationProof
from zkcheck.hazmat.scalar_source import ScalarSource

R = GROUP_ORDER
BACKEND = get_backend("arkworks")
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
Y_0, Y_1 = predicate_generators(API_ID, ciphersuite=CIPHERSUITE)

# Layout 1 (chapter 8): the index of each message.
TYPE_VERSION, ISSUE_HOUR, EXPIRY_DAY = Index.TYPE_VERSION, Index.ISSUE_HOUR, Index.EXPIRY_DAY
BIRTH_DAY, SIM_CHANGE_HOUR = Index.BIRTH_DAY, Index.SIM_CHANGE_HOUR
DEVICE_CHANGE_HOUR, CONTRACT_START_DAY = Index.DEVICE_CHANGE_HOUR, Index.CONTRACT_START_DAY
HOME_COUNTRY = Index.HOME_COUNTRY
DISCLOSED = (TYPE_VERSION, EXPIRY_DAY)
UNDISCLOSED = tuple(i for i in range(credential.MESSAGE_COUNT) if i not in DISCLOSED)

VERSION = VERSION_1
"""The presentation version whose range predicates this harness runs: version 1's bit
decompositions (version 2's aggregated range proofs are tests/presentation_v2_harness.py's)."""


def predicate(statement: Statement) -> Predicate:
    """The package's version-1 plug-in for ``statement``."""
    return versioned_predicate(statement, VERSION)


_SK = bbs.key_gen(b"zkcheck predicate harness key material, 32+ bytes")
PK = bbs.sk_to_pk(_SK, backend=BACKEND)


def country(code: str) -> int:
    """A home country as layout 1 encodes it: 256 * c1 + c2 of the two ASCII capitals."""
    return 256 * ord(code[0]) + ord(code[1])


def seeded_rng(seed: bytes) -> Rng:
    """A deterministic rng (SHAKE-256 of the seed), for transcripts that must repeat."""
    stream = hashlib.shake_256(seed)
    position = 0

    def rng(n: int) -> bytes:
        nonlocal position
        chunk = stream.digest(position + n)[position:]
        position += n
        return chunk

    return rng


# -- a layout-1 credential -------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """A BBS signature over the 12 scalars of a layout-1 credential."""

    scalars: tuple[int, ...]
    signature: bytes

    def __getitem__(self, index: int) -> int:
        return self.scalars[index]

    @property
    def disclosed_values(self) -> list[int]:
        return [self.scalars[i] for i in DISCLOSED]


def issue(
    *,
    issue_hour: int,
    birth_day: int = DAY_SENTINEL,
    sim_change_hour: int = HOUR_SENTINEL,
    device_change_hour: int = HOUR_SENTINEL,
    contract_start_day: int = DAY_SENTINEL,
    home_country: int = 0,
) -> Credential:
    """Sign a layout-1 credential with the harness's operator key (no blind issuance needed:
    a proof only needs a valid signature over the scalars and generators)."""
    scalars = (
        credential.TYPE_VERSION,
        issue_hour,
        credential.expiry_day(issue_hour),
        birth_day,
        sim_change_hour,
        device_change_hour,
        contract_start_day,
        credential.msisdn_scalar("+34600000000"),
        home_country,
        secrets.randbelow(R - 1) + 1,
        secrets.randbelow(R - 1) + 1,
        secrets.randbelow(R - 1) + 1,
    )
    signature = bbs.core_sign(
        int.from_bytes(_SK.reveal(), "big"),
        PK,
        credential.generators(CIPHERSUITE),
        HEADER,
        list(scalars),
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    return Credential(scalars, signature)


# -- predicate provers -------------------------------------------------------------------


class Prover(Protocol):
    """One predicate's prover: the statement it hashes, the message index it links to,
    then commit and respond."""

    statement: Statement

    @property
    def link(self) -> int:
        """The index of the message whose BBS nonce the prover chooses."""
        ...

    def commit(self, rng: Rng | None) -> tuple[bytes, int]:
        """The first messages' octets, and the BBS nonce chosen for message ``link``."""
        ...

    def respond(self, challenge: int) -> bytes:
        """The predicate's wire octets."""
        ...


@dataclass
class HonestRange:
    """The package's honest range predicate (:class:`zkcheck.hazmat.predicates.RangePredicate`).

    ``proving`` (default: ``statement``) is the statement whose bits are
    computed and ``link_to`` (default: its attribute) the message index that
    receives the BBS nonce; a cheating test changes one of them, or the
    ``value``, while ``statement`` is what the challenge hashes.
    """

    statement: RangeStatement
    value: int
    proving: RangeStatement | None = None
    link_to: int | None = None
    _commitment: PredicateCommitment | None = field(default=None, repr=False)

    @property
    def link(self) -> int:
        proving = self.proving or self.statement
        return self.link_to if self.link_to is not None else proving.attribute

    def commit(self, rng: Rng | None) -> tuple[bytes, int]:
        prover = predicate(self.proving or self.statement)
        self._commitment = prover.commit(self.value, rng=rng, ciphersuite=CIPHERSUITE)
        return self._commitment.first_messages, self._commitment.nonce

    def respond(self, challenge: int) -> bytes:
        assert self._commitment is not None
        return self._commitment.respond(challenge)


@dataclass
class HonestMembership:
    """The package's honest membership predicate
    (:class:`zkcheck.hazmat.predicates.MembershipPredicate`)."""

    statement: MembershipStatement
    value: int
    _commitment: PredicateCommitment | None = field(default=None, repr=False)

    @property
    def link(self) -> int:
        return self.statement.attribute

    def commit(self, rng: Rng | None) -> tuple[bytes, int]:
        prover = predicate(self.statement)
        self._commitment = prover.commit(self.value, rng=rng, ciphersuite=CIPHERSUITE)
        return self._commitment.first_messages, self._commitment.nonce

    def respond(self, challenge: int) -> bytes:
        assert self._commitment is not None
        return self._commitment.respond(challenge)


def _msm(points: Sequence[G1], scalars: Sequence[int]) -> G1:
    return BACKEND.g1_msm(list(points), [s % R for s in scalars])


def _points(points: Sequence[G1]) -> bytes:
    return b"".join(BACKEND.g1_to_bytes(p) for p in points)


def _scalars(values: Sequence[int]) -> bytes:
    return b"".join(scalar_to_octets(v % R) for v in values)


@dataclass
class CheatingBits:
    """A range prover that commits to any "bits" it likes, as scalars mod r.

    It follows the honest equations for whatever it committed to: D_i and
    A_i satisfy E1 (so the batched check alone would pass), B_i is computed
    with t_i = (1 - b_i) * s_i, and the BBS nonce is
    sigma * sum(2^i * b~_i), as an honest prover's. Bits outside {0, 1}, or
    bits whose sum is not the signed value's difference, must fail because
    the verifier recomputes B_i and derives b^_0 from the BBS response.
    """

    statement: RangeStatement
    bits: Sequence[int]
    _secrets: tuple[list[int], ...] | None = field(default=None, repr=False)
    _points: tuple[list[G1], list[G1]] | None = field(default=None, repr=False)

    @property
    def link(self) -> int:
        return self.statement.attribute

    def commit(self, rng: Rng | None) -> tuple[bytes, int]:
        n = self.statement.bits
        assert len(self.bits) == n
        source = ScalarSource(rng)
        s, b_t, s_t, t_t = ([source.draw().read() for _ in range(n)] for _ in range(4))
        t = [(1 - b) * x % R for b, x in zip(self.bits, s, strict=True)]
        d = [_msm([Y_1, Y_0], [b, x]) for b, x in zip(self.bits, s, strict=True)]
        a = [_msm([Y_1, Y_0], [bt, st]) for bt, st in zip(b_t, s_t, strict=True)]
        b_pts = [_msm([di, Y_0], [bt, tt]) for di, bt, tt in zip(d, b_t, t_t, strict=True)]
        m_tilde = self.statement.sigma * sum(x << i for i, x in enumerate(b_t)) % R
        self._secrets = (list(self.bits), s, t, b_t, s_t, t_t)
        self._points = (d, a)
        interleaved = [p for pair in zip(a, b_pts, strict=True) for p in pair]
        return _points([*d, *interleaved]), m_tilde

    def respond(self, challenge: int) -> bytes:
        assert self._secrets is not None and self._points is not None
        bits, s, t, b_t, s_t, t_t = self._secrets
        b_hat = [(b_t[i] + challenge * bits[i]) % R for i in range(1, len(bits))]
        s_hat = [(x + challenge * w) % R for x, w in zip(s_t, s, strict=True)]
        t_hat = [(x + challenge * w) % R for x, w in zip(t_t, t, strict=True)]
        d, a = self._points
        return _points([*d, *a]) + _scalars([*b_hat, *s_hat, *t_hat])


@dataclass
class FreeSubchallenges:
    """A membership prover for a value outside the set: it simulates every branch.

    Each branch j gets its own sub-challenge c_j and response z_j, chosen
    freely before the challenge, with W_j = z_j * Y_0 - c_j * (C - v_j * Y_1);
    the commitment C and its opening are honest for the signed value. It
    sends c_1, ..., c_(k-1) as drawn, so the verifier's derived
    c_k = c - sum(c_j) differs from the c_k the last branch was simulated with.
    """

    statement: MembershipStatement
    value: int
    _secrets: tuple[int, int, int, list[int], list[int]] | None = field(default=None, repr=False)
    _c: G1 | None = field(default=None, repr=False)

    @property
    def link(self) -> int:
        return self.statement.attribute

    def commit(self, rng: Rng | None) -> tuple[bytes, int]:
        k = len(self.statement.values)
        source = ScalarSource(rng)
        m_tilde, s, s_tilde = (source.draw().read() for _ in range(3))
        c_j = [source.draw().read() for _ in range(k)]
        z_j = [source.draw().read() for _ in range(k)]
        c_point = _msm([Y_1, Y_0], [self.value, s])
        c_tilde = _msm([Y_1, Y_0], [m_tilde, s_tilde])
        w = [
            _msm([Y_0, c_point, Y_1], [z, -c, c * v])
            for z, c, v in zip(z_j, c_j, self.statement.values, strict=True)
        ]
        self._secrets = (s, s_tilde, m_tilde, c_j, z_j)
        self._c = c_point
        return _points([c_point, c_tilde, *w]), m_tilde

    def respond(self, challenge: int) -> bytes:
        assert self._secrets is not None and self._c is not None
        s, s_tilde, _, c_j, z_j = self._secrets
        s_hat = (s_tilde + challenge * s) % R
        return _points([self._c]) + _scalars([s_hat, *c_j[:-1], *z_j])


def _hash_challenge(octets: bytes) -> int:
    return bbs.hash_to_scalar(octets, VERSION.challenge_dst)


# -- the real presentation: the package's prover and verifier --------------------------------


@dataclass(frozen=True)
class Presentation:
    bbs_proof: bytes
    predicate_proof: bytes

    def __len__(self) -> int:
        return len(self.bbs_proof) + len(self.predicate_proof)


@dataclass(frozen=True)
class _Committed:
    nonce: int
    first_messages: bytes
    respond: Callable[[int], bytes]


@dataclass(frozen=True)
class _Plugged:
    """A test prover plugged into :func:`zkcheck.hazmat.presentation.prove` as a statement:
    its hashed statement, its nonce at the index it links to, its own responses."""

    prover: Prover

    @property
    def attribute(self) -> int:
        return self.prover.link

    @property
    def wire_length(self) -> int:
        return predicate(self.prover.statement).wire_length

    def statement_octets(self) -> bytes:
        return self.prover.statement.statement_octets()

    def commit(self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite) -> _Committed:
        # The prover proves about its own value, which a cheating test chooses.
        octets, nonce = self.prover.commit(rng)
        return _Committed(nonce, octets, self.prover.respond)

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> presentation.Recomputed:
        return predicate(self.prover.statement).recompute(
            wire, response, challenge, ciphersuite=ciphersuite
        )


def present(
    credential: Credential, provers: Sequence[Prover], ph: bytes, *, rng: Rng | None = None
) -> Presentation:
    """The package's presentation prover (chapter 9, "Prover"), with the given provers."""
    proof = presentation.prove(
        PK,
        credential.signature,
        list(credential.scalars),
        DISCLOSED,
        ph,
        version=VERSION,
        statements=[_Plugged(prover) for prover in provers],
        rng=rng,
        backend=BACKEND,
    )
    return Presentation(proof.bbs_proof, proof.predicate_proof)


def verify(
    shown: Presentation,
    statements: Sequence[Statement],
    ph: bytes,
    disclosed_values: Sequence[int],
) -> None:
    """The package's presentation verifier (chapter 9, "Verifier") with the package's
    predicates for ``statements``; raises DecodeError or InvalidProof."""
    presentation.verify(
        PK,
        PresentationProof(shown.bbs_proof, shown.predicate_proof),
        dict(zip(DISCLOSED, disclosed_values, strict=True)),
        ph,
        version=VERSION,
        statements=[predicate(statement) for statement in statements],
        backend=BACKEND,
    )


def _parts(
    statements: Sequence[Statement], predicate_proof: bytes
) -> list[tuple[Statement, bytes]]:
    """Each statement, in canonical order, with its part of ``predicate_proof``."""
    ordered = canonical_order(statements)
    lengths = [predicate(statement).wire_length for statement in ordered]
    if len(predicate_proof) != sum(lengths):
        raise DecodeError("predicate proof of the wrong length")
    parts, offset = [], 0
    for statement, length in zip(ordered, lengths, strict=True):
        parts.append((statement, predicate_proof[offset : offset + length]))
        offset += length
    return parts


def decode_predicates(
    statements: Sequence[Statement], predicate_proof: bytes
) -> list[range_proof.RangeProof | set_membership.MembershipProof]:
    """Chapter 9, "Verifier", steps 1 and 3 for the predicate part."""
    decoded: list[range_proof.RangeProof | set_membership.MembershipProof] = []
    for statement, part in _parts(statements, predicate_proof):
        if isinstance(statement, RangeStatement):
            decoded.append(
                range_proof.octets_to_range_proof(part, statement.bits, ciphersuite=CIPHERSUITE)
            )
        else:
            size = len(statement.values)
            decoded.append(
                set_membership.octets_to_membership_proof(part, size, ciphersuite=CIPHERSUITE)
            )
    return decoded


def recompute_predicates(
    statements: Sequence[Statement],
    predicate_proof: bytes,
    m_hat: Mapping[int, int],
    challenge: int,
) -> tuple[list[bytes], list[range_proof.RangeCheck]]:
    """Steps 3, 5 and 6 with the package's predicates: every predicate's first messages'
    octets, and the range checks."""
    messages: list[bytes] = []
    ranges: list[range_proof.RangeCheck] = []
    for statement, part in _parts(statements, predicate_proof):
        # The response is selected by the statement's attribute index, from
        # the layout; nothing in the proof names an index.
        plugged = predicate(statement)
        response = m_hat[statement.attribute]
        if isinstance(plugged, RangePredicate):
            check = plugged.check(part, response, challenge, ciphersuite=CIPHERSUITE)
            ranges.append(check)
            messages.append(
                range_proof.messages_octets(check.first_messages, ciphersuite=CIPHERSUITE)
            )
        else:
            recomputed = plugged.recompute(part, response, challenge, ciphersuite=CIPHERSUITE)
            messages.append(recomputed.first_messages)
    return messages, ranges


# -- the stand-in ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StandIn:
    """The stand-in's presentation: the challenge, the BBS responses m^_a, the predicate proof."""

    challenge: int
    m_hat: dict[int, int]
    predicate_proof: bytes


def _commit_all(
    provers: Sequence[Prover], rng: Rng | None
) -> tuple[list[Prover], list[bytes], dict[int, int]]:
    """Every prover's commitment, in canonical order, from one rng.

    Returns the provers in that order, their first messages' octets and the
    BBS nonces they chose, by message index.
    """
    order = canonical_order([p.statement for p in provers])
    ordered = sorted(provers, key=lambda p: order.index(p.statement))
    messages: list[bytes] = []
    chosen: dict[int, int] = {}
    for prover in ordered:
        octets, nonce = prover.commit(rng)
        messages.append(octets)
        chosen[prover.link] = nonce
    return ordered, messages, chosen


def standin_input(
    statements: Sequence[Statement], context: bytes, messages: Sequence[bytes]
) -> bytes:
    return lp(context) + statements_octets(statements) + b"".join(messages)


def present_standin(
    values: Mapping[int, int],
    provers: Sequence[Prover],
    context: bytes,
    *,
    rng: Rng | None = None,
) -> StandIn:
    """The stand-in's prover: m^_a = m~_a + c * m_a for the known values."""
    provers, messages, chosen = _commit_all(provers, rng)
    statements = [p.statement for p in provers]
    challenge = _hash_challenge(standin_input(statements, context, messages))
    m_hat = {index: (nonce + challenge * values[index]) % R for index, nonce in chosen.items()}
    return StandIn(challenge, m_hat, b"".join(p.respond(challenge) for p in provers))


def verify_standin(
    standin: StandIn,
    statements: Sequence[Statement],
    context: bytes,
    *,
    oracle: Callable[[bytes], int] = _hash_challenge,
) -> None:
    """The verifier's steps 3 and 5 to 9 against the stand-in; ``oracle`` is the random oracle."""
    messages, ranges = recompute_predicates(
        statements, standin.predicate_proof, standin.m_hat, standin.challenge
    )
    transcript = standin_input(statements, context, messages)
    if oracle(transcript) != standin.challenge:
        raise InvalidProof("proof invalid")
    range_proof.verify_batched(
        ranges,
        standin.challenge,
        transcript,
        standin.predicate_proof,
        api_id=API_ID,
        ciphersuite=CIPHERSUITE,
    )


# -- the simulator of chapter 9, "Zero-knowledge" --------------------------------------------


def _random_scalar() -> int:
    return secrets.randbelow(R - 1) + 1


def _random_point() -> G1:
    # A uniformly random multiple of a generator is uniform in G1.
    return BACKEND.g1_mul(Y_0, _random_scalar())


def simulate(
    statements: Sequence[Statement], context: bytes, challenge: int
) -> tuple[StandIn, Callable[[bytes], int]]:
    """Accepted transcripts without any witness, for a challenge the simulator chooses.

    Returns the transcript and the random oracle programmed at its challenge
    input to answer ``challenge`` (elsewhere it is the real hash).
    """
    ordered = canonical_order(statements)
    m_hat = {s.attribute: _random_scalar() for s in ordered}
    parts: list[bytes] = []
    for statement in ordered:
        if isinstance(statement, RangeStatement):
            n = statement.bits
            d = tuple(_random_point() for _ in range(n))
            b_hat = tuple(_random_scalar() for _ in range(n - 1))
            s_hat = tuple(_random_scalar() for _ in range(n))
            t_hat = tuple(_random_scalar() for _ in range(n))
            b_hat_0 = range_proof.derive_lowest_response(
                statement, m_hat[statement.attribute], b_hat, challenge
            )
            a = tuple(
                _msm([Y_1, Y_0, d_i], [bh, sh, -challenge])
                for d_i, bh, sh in zip(d, (b_hat_0, *b_hat), s_hat, strict=True)
            )
            proof = range_proof.RangeProof(d, a, b_hat, s_hat, t_hat)
            parts.append(range_proof.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE))
        else:
            k = len(statement.values)
            membership = set_membership.MembershipProof(
                _random_point(),
                _random_scalar(),
                tuple(_random_scalar() for _ in range(k - 1)),
                tuple(_random_scalar() for _ in range(k)),
            )
            parts.append(
                set_membership.membership_proof_to_octets(membership, ciphersuite=CIPHERSUITE)
            )
    standin = StandIn(challenge, m_hat, b"".join(parts))
    messages, _ = recompute_predicates(ordered, standin.predicate_proof, m_hat, challenge)
    programmed_at = standin_input(ordered, context, messages)

    def oracle(octets: bytes) -> int:
        return challenge if octets == programmed_at else _hash_challenge(octets)

    return standin, oracle
