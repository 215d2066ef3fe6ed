"""A test harness that runs chapter 9's predicate proofs end to end, honestly or cheating.

Two ways to supply the BBS part that a predicate proof is linked to:

- **The real thing** (:func:`present`, :func:`verify`): a BBS signature by
  an operator key over the 12 messages of layout 1 (chapter 8), and a
  presentation built as chapter 9's prover and verifier describe it, from
  ``bbs.proof_init``, ``bbs.proof_finalize`` and ``bbs.proof_verify_init``
  with the predicate provers' chosen nonces, one challenge over chapter 9's
  transcript (items 1 to 11), the batched E1 check and the pairing last.
- **A stand-in** (:func:`present_standin`, :func:`verify_standin`): the BBS
  part replaced by the one thing a predicate proof uses from it, the
  response ``m^_a = m~_a + c * m_a`` for a known ``m_a``, under a challenge
  over the statements, a context and the first messages. The stand-in lets
  the extractor and simulator tests program the challenge.

Predicate provers share one small interface (:class:`Prover`): ``commit``
returns the first messages' octets and the BBS nonces chosen per message
index; ``respond`` returns the wire octets. The honest ones wrap
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
from zkcheck.hazmat import Rng, bbs, range_proof, set_membership
from zkcheck.hazmat.backend import G1, GROUP_ORDER, get_backend
from zkcheck.hazmat.predicate_parameters import (
    PROTOCOL_ID,
    challenge_dst,
    i2osp,
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
from zkcheck.hazmat.scalar_source import ScalarSource

R = GROUP_ORDER
BACKEND = get_backend("arkworks")
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
API_ID = CIPHERSUITE.ciphersuite_id + b"BLIND_H2G_TM2S_ZKCHECK-V1_"
"""Chapter 8's api_id, 61 octets."""
HEADER_V1 = b"ZKCHECK-CREDENTIAL-SUBSCRIBER-LAYOUT-1" + (1).to_bytes(8, "big")
LAYOUT_VERSION = 1
Y_0, Y_1 = predicate_generators(API_ID, ciphersuite=CIPHERSUITE)

# Layout 1 (chapter 8): the index of each message.
TYPE_VERSION, ISSUE_HOUR, EXPIRY_DAY, BIRTH_DAY = 0, 1, 2, 3
SIM_CHANGE_HOUR, DEVICE_CHANGE_HOUR, CONTRACT_START_DAY = 4, 5, 6
MSISDN_HASH, HOME_COUNTRY, PROVER_BLIND, HOLDER_SECRET, NYM_SECRET = 7, 8, 9, 10, 11
MESSAGE_COUNT = 12
DISCLOSED = (TYPE_VERSION, EXPIRY_DAY)
UNDISCLOSED = tuple(i for i in range(MESSAGE_COUNT) if i not in DISCLOSED)
TYPE_VERSION_V1 = 65537
DAY_SENTINEL = (1 << 20) - 1
HOUR_SENTINEL = (1 << 24) - 1

_SK = bbs.key_gen(b"zkcheck predicate harness key material, 32+ bytes")
PK = bbs.sk_to_pk(_SK, backend=BACKEND)
GENERATORS = [
    *bbs.create_generators(10, API_ID, ciphersuite=CIPHERSUITE),
    *bbs.create_generators(3, b"BLIND_" + API_ID, ciphersuite=CIPHERSUITE),
]


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
    issue_day = issue_hour // 24 + 719163
    expiry_day = issue_day - ((issue_day - 1) % 7) + 14
    scalars = (
        TYPE_VERSION_V1,
        issue_hour,
        expiry_day,
        birth_day,
        sim_change_hour,
        device_change_hour,
        contract_start_day,
        bbs.hash_to_scalar(b"+34600000000", API_ID + b"MAP_MSG_TO_SCALAR_AS_HASH_"),
        home_country,
        secrets.randbelow(R - 1) + 1,
        secrets.randbelow(R - 1) + 1,
        secrets.randbelow(R - 1) + 1,
    )
    signature = bbs.core_sign(
        int.from_bytes(_SK.reveal(), "big"),
        PK,
        GENERATORS,
        HEADER_V1,
        list(scalars),
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    return Credential(scalars, signature)


# -- predicate provers -------------------------------------------------------------------


class Prover(Protocol):
    """One predicate's prover: the statement it hashes, then commit and respond."""

    statement: Statement

    def commit(self, source: ScalarSource) -> tuple[bytes, dict[int, int]]:
        """The first messages' octets, and the BBS nonce chosen for each message index."""
        ...

    def respond(self, challenge: int) -> bytes:
        """The predicate's wire octets."""
        ...


@dataclass
class HonestRange:
    """The honest range prover of :mod:`zkcheck.hazmat.range_proof`.

    ``proving`` (default: ``statement``) is the statement whose bits are
    computed and ``link`` (default: its attribute) the message index that
    receives the BBS nonce; a cheating test changes one of them, or the
    ``value``, while ``statement`` is what the challenge hashes.
    """

    statement: RangeStatement
    value: int
    proving: RangeStatement | None = None
    link: int | None = None
    _state: range_proof.RangeProverState | None = field(default=None, repr=False)

    def commit(self, source: ScalarSource) -> tuple[bytes, dict[int, int]]:
        proving = self.proving or self.statement
        commitment = range_proof.prover_commit(
            proving, self.value, source, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        self._state = commitment.state
        octets = range_proof.messages_octets(commitment.first_messages, ciphersuite=CIPHERSUITE)
        link = self.link if self.link is not None else proving.attribute
        return octets, {link: commitment.bbs_nonce.read()}

    def respond(self, challenge: int) -> bytes:
        assert self._state is not None
        proof = range_proof.prover_response(self._state, challenge)
        return range_proof.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)


@dataclass
class HonestMembership:
    """The honest membership prover of :mod:`zkcheck.hazmat.set_membership`."""

    statement: MembershipStatement
    value: int
    _state: set_membership.MembershipProverState | None = field(default=None, repr=False)

    def commit(self, source: ScalarSource) -> tuple[bytes, dict[int, int]]:
        commitment = set_membership.prover_commit(
            self.statement, self.value, source, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        self._state = commitment.state
        octets = set_membership.messages_octets(commitment.first_messages, ciphersuite=CIPHERSUITE)
        return octets, {self.statement.attribute: commitment.bbs_nonce.read()}

    def respond(self, challenge: int) -> bytes:
        assert self._state is not None
        proof = set_membership.prover_response(self._state, challenge)
        return set_membership.membership_proof_to_octets(proof, ciphersuite=CIPHERSUITE)


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
    link: int | None = None
    _secrets: tuple[list[int], ...] | None = field(default=None, repr=False)
    _points: tuple[list[G1], list[G1]] | None = field(default=None, repr=False)

    def commit(self, source: ScalarSource) -> tuple[bytes, dict[int, int]]:
        n = self.statement.bits
        assert len(self.bits) == n
        s, b_t, s_t, t_t = ([source.draw().read() for _ in range(n)] for _ in range(4))
        t = [(1 - b) * x % R for b, x in zip(self.bits, s, strict=True)]
        d = [_msm([Y_1, Y_0], [b, x]) for b, x in zip(self.bits, s, strict=True)]
        a = [_msm([Y_1, Y_0], [bt, st]) for bt, st in zip(b_t, s_t, strict=True)]
        b_pts = [_msm([di, Y_0], [bt, tt]) for di, bt, tt in zip(d, b_t, t_t, strict=True)]
        m_tilde = self.statement.sigma * sum(x << i for i, x in enumerate(b_t)) % R
        self._secrets = (list(self.bits), s, t, b_t, s_t, t_t)
        self._points = (d, a)
        interleaved = [p for pair in zip(a, b_pts, strict=True) for p in pair]
        link = self.link if self.link is not None else self.statement.attribute
        return _points([*d, *interleaved]), {link: m_tilde}

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

    def commit(self, source: ScalarSource) -> tuple[bytes, dict[int, int]]:
        k = len(self.statement.values)
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
        return _points([c_point, c_tilde, *w]), {self.statement.attribute: m_tilde}

    def respond(self, challenge: int) -> bytes:
        assert self._secrets is not None and self._c is not None
        s, s_tilde, _, c_j, z_j = self._secrets
        s_hat = (s_tilde + challenge * s) % R
        return _points([self._c]) + _scalars([s_hat, *c_j[:-1], *z_j])


# -- chapter 9's transcript ----------------------------------------------------------------


def challenge_input(
    *,
    statements: Sequence[Statement],
    ph: bytes,
    messages: Sequence[bytes],
    init_res: bbs.ProofInitResult,
    disclosed_values: Sequence[int],
) -> bytes:
    """Items 1 to 11 of chapter 9's transcript, in order."""
    items = [
        lp(PROTOCOL_ID),  # 1
        lp(CIPHERSUITE.ciphersuite_id),  # 2
        PK,  # 3
        lp(HEADER_V1),  # 4
        i2osp(LAYOUT_VERSION),  # 5
        i2osp(len(DISCLOSED))  # 6
        + b"".join(
            i2osp(i) + scalar_to_octets(v) for i, v in zip(DISCLOSED, disclosed_values, strict=True)
        ),
        statements_octets(statements),  # 7
        lp(ph),  # 8
        b"".join(messages),  # 9
        i2osp(0),  # 10
        _points(init_res[:5]) + scalar_to_octets(init_res.domain),  # 11
    ]
    return b"".join(items)


def _hash_challenge(octets: bytes) -> int:
    return bbs.hash_to_scalar(octets, challenge_dst(API_ID))


# -- the real presentation ----------------------------------------------------------------


@dataclass(frozen=True)
class Presentation:
    bbs_proof: bytes
    predicate_proof: bytes

    def __len__(self) -> int:
        return len(self.bbs_proof) + len(self.predicate_proof)


def _commit_all(
    provers: Sequence[Prover], rng: Rng | None
) -> tuple[list[Prover], list[bytes], dict[int, int]]:
    """Every prover's commitment, in canonical order, from one scalar source.

    Returns the provers in that order, their first messages' octets and the
    BBS nonces they chose, by message index.
    """
    order = canonical_order([p.statement for p in provers])
    ordered = sorted(provers, key=lambda p: order.index(p.statement))
    source = ScalarSource(rng)
    messages: list[bytes] = []
    chosen: dict[int, int] = {}
    for prover in ordered:
        octets, nonces = prover.commit(source)
        messages.append(octets)
        chosen.update(nonces)
    return ordered, messages, chosen


def present(
    credential: Credential, provers: Sequence[Prover], ph: bytes, *, rng: Rng | None = None
) -> Presentation:
    """Chapter 9, "Prover", steps 2 to 11, with the given predicate provers."""
    provers, messages, chosen = _commit_all(provers, rng)
    # Step 4: the BBS random scalars, the predicate attributes' nonces in place.
    drawn = iter(
        bbs.calculate_random_scalars(
            5 + len(UNDISCLOSED) - len(chosen), rng, ciphersuite=CIPHERSUITE
        )
    )
    random_scalars = [next(drawn) for _ in range(5)]
    random_scalars += [chosen[j] if j in chosen else next(drawn) for j in UNDISCLOSED]
    signature = bbs.octets_to_signature(credential.signature, ciphersuite=CIPHERSUITE)
    init_res = bbs.proof_init(
        PK,
        signature,
        GENERATORS,
        random_scalars,
        HEADER_V1,
        list(credential.scalars),
        list(UNDISCLOSED),
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    c = _hash_challenge(
        challenge_input(
            statements=[p.statement for p in provers],
            ph=ph,
            messages=messages,
            init_res=init_res,
            disclosed_values=credential.disclosed_values,
        )
    )
    bbs_proof = bbs.proof_finalize(
        init_res,
        c,
        signature.e,
        random_scalars,
        [credential[j] for j in UNDISCLOSED],
        ciphersuite=CIPHERSUITE,
    )
    return Presentation(bbs_proof, b"".join(prover.respond(c) for prover in provers))


def proof_lengths(statements: Sequence[Statement]) -> list[int]:
    return [
        range_proof.proof_length(s.bits)
        if isinstance(s, RangeStatement)
        else set_membership.proof_length(len(s.values))
        for s in canonical_order(statements)
    ]


def decode_predicates(
    statements: Sequence[Statement], predicate_proof: bytes
) -> list[range_proof.RangeProof | set_membership.MembershipProof]:
    """Chapter 9, "Verifier", steps 1 and 3 for the predicate part."""
    ordered = canonical_order(statements)
    lengths = proof_lengths(ordered)
    if len(predicate_proof) != sum(lengths):
        raise DecodeError("predicate proof of the wrong length")
    decoded: list[range_proof.RangeProof | set_membership.MembershipProof] = []
    offset = 0
    for statement, length in zip(ordered, lengths, strict=True):
        part = predicate_proof[offset : offset + length]
        offset += length
        if isinstance(statement, RangeStatement):
            decoded.append(
                range_proof.octets_to_range_proof(part, statement.bits, ciphersuite=CIPHERSUITE)
            )
        else:
            decoded.append(
                set_membership.octets_to_membership_proof(
                    part, len(statement.values), ciphersuite=CIPHERSUITE
                )
            )
    return decoded


def recompute_predicates(
    statements: Sequence[Statement],
    proofs: Sequence[range_proof.RangeProof | set_membership.MembershipProof],
    m_hat: Mapping[int, int],
    challenge: int,
) -> tuple[list[bytes], list[range_proof.RangeCheck]]:
    """Steps 5 and 6: every predicate's first messages' octets, and the range checks."""
    messages: list[bytes] = []
    ranges: list[range_proof.RangeCheck] = []
    for statement, proof in zip(canonical_order(statements), proofs, strict=True):
        # The response is selected by the statement's attribute index, from
        # the layout; nothing in the proof names an index.
        response = m_hat[statement.attribute]
        if isinstance(statement, RangeStatement):
            assert isinstance(proof, range_proof.RangeProof)
            check = range_proof.verifier_recompute(
                statement, proof, response, challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            ranges.append(check)
            messages.append(
                range_proof.messages_octets(check.first_messages, ciphersuite=CIPHERSUITE)
            )
        else:
            assert isinstance(proof, set_membership.MembershipProof)
            membership = set_membership.verifier_recompute(
                statement, proof, response, challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            messages.append(
                set_membership.messages_octets(membership.first_messages, ciphersuite=CIPHERSUITE)
            )
    return messages, ranges


def verify(
    presentation: Presentation,
    statements: Sequence[Statement],
    ph: bytes,
    disclosed_values: Sequence[int],
) -> None:
    """Chapter 9, "Verifier", steps 1 to 11; raises DecodeError or InvalidProof."""
    # 1. Lengths, from the verifier's own statements and disclosed indexes.
    if len(presentation.bbs_proof) != 272 + 32 * len(UNDISCLOSED):
        raise DecodeError("BBS proof of the wrong length")
    # 2. and 3. Decode.
    proof = bbs.octets_to_proof(presentation.bbs_proof, ciphersuite=CIPHERSUITE)
    w = bbs.octets_to_pubkey(PK, ciphersuite=CIPHERSUITE)
    proofs = decode_predicates(statements, presentation.predicate_proof)
    # 4. ProofVerifyInit.
    init_res = bbs.proof_verify_init(
        PK,
        proof,
        GENERATORS,
        HEADER_V1,
        list(disclosed_values),
        list(DISCLOSED),
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    # 5. and 6. Recompute the predicates' first messages.
    m_hat = dict(zip(UNDISCLOSED, proof.commitments, strict=True))
    messages, ranges = recompute_predicates(statements, proofs, m_hat, proof.challenge)
    # 7. The challenge.
    transcript = challenge_input(
        statements=statements,
        ph=ph,
        messages=messages,
        init_res=init_res,
        disclosed_values=disclosed_values,
    )
    if _hash_challenge(transcript) != proof.challenge:
        raise InvalidProof("proof invalid")
    # 8. and 9. The batched E1 check.
    range_proof.verify_batched(
        ranges,
        proof.challenge,
        transcript,
        presentation.predicate_proof,
        api_id=API_ID,
        ciphersuite=CIPHERSUITE,
    )
    # 10. The pairing, last.
    if not BACKEND.pairing_product_is_one([(proof.Abar, w), (proof.Bbar, CIPHERSUITE.neg_BP2)]):
        raise InvalidProof("proof invalid")


# -- the stand-in ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StandIn:
    """The stand-in's presentation: the challenge, the BBS responses m^_a, the predicate proof."""

    challenge: int
    m_hat: dict[int, int]
    predicate_proof: bytes


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
    proofs = decode_predicates(statements, standin.predicate_proof)
    messages, ranges = recompute_predicates(statements, proofs, standin.m_hat, standin.challenge)
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
    proofs = decode_predicates(ordered, standin.predicate_proof)
    messages, _ = recompute_predicates(ordered, proofs, m_hat, challenge)
    programmed_at = standin_input(ordered, context, messages)

    def oracle(octets: bytes) -> int:
        return challenge if octets == programmed_at else _hash_challenge(octets)

    return standin, oracle
