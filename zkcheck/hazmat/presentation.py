"""Credential presentations: the transcript, prover and verifier of spec/09-predicate-proofs.md.

A presentation of a layout-1 credential (:mod:`zkcheck.hazmat.credential`)
is one sigma protocol made non-interactive with one Fiat-Shamir challenge:
the BBS proof of knowledge of the signature (the BBS draft's ``ProofInit``,
``ProofFinalize`` and ``ProofVerifyInit``) AND one sub-proof per statement
about an undisclosed message. The challenge is not the BBS draft's
``ProofChallengeCalculate`` but the transcript of chapter 9, which begins
with the protocol identifier, the ciphersuite, the public key, the header,
the layout version, the disclosed messages and the full statement (items 1
to 8, the *context*), and only then hashes the prover's messages::

    Holder                                              Verifier
    prove(PK, signature, messages, disclosed_indexes,
          ph, statements, pseudonyms, version)
      -> (bbs_proof, predicate_proof,
          pseudonym_proof)          -------------------> verify(PK, proof, disclosed, ph,
                                                                statements, pseudonyms, version)

**Versions.** Chapter 9 defines two versions of the presentation, told apart
by the protocol identifier (item 1) and the challenge's DST
(:class:`PresentationVersion`). :data:`VERSION_2` is what credential
presentations use: its range predicates are :class:`RangeLink` statements,
each committing to its difference and linked to its BBS message, and one
aggregated range proof (:mod:`zkcheck.hazmat.range_proof_v2`), computed over
the context before anything else is hashed, shows every committed
difference in range; its octets end item 9 and the predicate wire.
:data:`VERSION_1` has no aggregated range proof (its range predicates are
bit decompositions, ordinary statements); it is the version of the
carry-over proofs of chapter 13, which prove no predicate. A caller names
the version it runs; nothing in a presentation selects it.

**Statements plug in** through the :class:`Statement` protocol; this module
never needs to change for them. A statement talks about one undisclosed
message, its *attribute*. On the prover's side it checks that the holder's
value satisfies it (else :class:`~zkcheck.errors.PolicyError`: the holder
shows nothing), draws its own scalars, and chooses the BBS nonce ``m~`` of
its attribute (the chosen-scalar hook of the BBS core), which ties its
sub-proof to the signed value; it contributes its statement octets (item 7
of the transcript) and its first messages (item 9), and after the challenge
its responses (its part of the wire). On the verifier's side it decodes its
part of the wire, recomputes its first messages from the BBS response
``m^`` of its attribute and the challenge, and may hand linear equations to
the verifier as :class:`DeferredCheck` values, which are checked in one
batch with random weights drawn after everything is hashed (steps 8 and 9;
in version 2 the range proof's equation joins that batch).

*Predicates* (range and membership proofs) are passed as ``statements``;
*pseudonym blocks* (chapter 13) as ``pseudonyms``, with the same protocol:
their octets form item 10 of the transcript and their responses a wire of
their own. Statements of both kinds are put in canonical order, ascending
attribute index, and no two may concern the same attribute. With neither,
a presentation is a BBS proof whose challenge is chapter 9's.

**Errors.** Malformed input (lengths, points, scalars, indexes) raises
:class:`~zkcheck.errors.DecodeError`; a presentation that does not verify
raises :class:`~zkcheck.errors.InvalidProof`, whose message does not say
which check failed.

Python cannot erase memory: the scalars drawn for a presentation are left
to the garbage collector (README, limitations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat import Rng, range_proof_v2
from zkcheck.hazmat.backend import G1, Backend
from zkcheck.hazmat.bbs import (
    OCTET_SCALAR_LENGTH,
    PROOF_LEN_FLOOR,
    Ciphersuite,
    ProofInitResult,
    R,
    Signature,
    _check_disclosed_indexes,
    _proof_random_scalars,
    _scalar_octets,
    get_ciphersuite,
    hash_to_scalar,
    octets_to_proof,
    octets_to_pubkey,
    octets_to_signature,
    proof_finalize,
    proof_init,
    proof_verify_init,
)
from zkcheck.hazmat.blind_bbs import checked_scalars
from zkcheck.hazmat.credential import API_ID, HEADER, LAYOUT_VERSION, MESSAGE_COUNT, SUITE
from zkcheck.hazmat.credential import generators as layout_generators
from zkcheck.hazmat.predicate_parameters import (
    PROTOCOL_ID,
    batch_dst,
    challenge_dst,
    lp,
    pred_gen_api,
)
from zkcheck.hazmat.predicate_statements import RangeStatement
from zkcheck.hazmat.range_proof_v2 import LinkProverState
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource

__all__ = [
    "MAX_ATTEMPTS",
    "PRED_GEN_API",
    "VERSION_1",
    "VERSION_2",
    "DeferredCheck",
    "PresentationProof",
    "PresentationVersion",
    "RangeLink",
    "RangeLinkCommitment",
    "Recomputed",
    "Statement",
    "StatementCommitment",
    "bbs_proof_length",
    "challenge_input",
    "context_octets",
    "prove",
    "verify",
]


class PresentationVersion(NamedTuple):
    """A version of chapter 9's presentation: its number and what its transcript hashes."""

    number: int
    protocol_id: bytes
    """Item 1 of the challenge input."""
    challenge_dst: bytes
    """The DST of the presentation's challenge (81 octets)."""
    batch_dst: bytes
    """The DST of the batching weights of deferred equations (75 octets)."""

    @property
    def aggregates_ranges(self) -> bool:
        """Whether range predicates are :class:`RangeLink` statements proven in range by one
        aggregated range proof (version 2)."""
        return self.number >= 2


VERSION_1 = PresentationVersion(1, PROTOCOL_ID, challenge_dst(API_ID), batch_dst(API_ID))
"""Chapter 9, version 1: every statement a plug-in; the version of chapter 13's carry-overs."""

VERSION_2 = PresentationVersion(
    2,
    range_proof_v2.PROTOCOL_ID,
    range_proof_v2.challenge_dst(API_ID),
    range_proof_v2.batch_dst(API_ID),
)
"""Chapter 9, version 2: one aggregated range proof; the version of credential presentations."""

PRED_GEN_API = pred_gen_api(API_ID)
"""The api_id of the predicate generators (Y_0, Y_1) (85 octets)."""

MAX_ATTEMPTS = 8
"""Presentations made again when a statement needs fresh randomness (prover step 10); each
attempt fails with probability below 2^-240."""

WEIGHT_LENGTH = 16
"""Octets of each batching weight: 128 bits."""

MAX_DEFERRED = 510
"""expand_message with SHA-256 returns at most 8160 octets, 510 weights of 16 octets."""


def bbs_proof_length(disclosed_count: int) -> int:
    """272 + 32 * U octets, for U = 12 - disclosed_count undisclosed messages."""
    return PROOF_LEN_FLOOR + OCTET_SCALAR_LENGTH * (MESSAGE_COUNT - disclosed_count)


class DeferredCheck(NamedTuple):
    """A linear equation ``sum(scalars[i] * points[i]) = identity``.

    The verifier checks every deferred equation of a presentation at once, as
    one multi-scalar multiplication with 128-bit weights derived from the
    whole transcript and wire (steps 8 and 9 of the verifier). Pass the same
    point object for a fixed generator in every equation (as
    :func:`~zkcheck.hazmat.predicate_parameters.predicate_generators` returns it): terms of
    one object are merged.
    """

    points: tuple[G1, ...]
    scalars: tuple[int, ...]


class Recomputed(NamedTuple):
    """What a statement's verifier side gives back: its first messages, in the form the
    prover hashed them (item 9), equations to check in the batch, and, for a
    :class:`RangeLink`, its commitment V_j for the aggregated range proof."""

    first_messages: bytes
    deferred: tuple[DeferredCheck, ...] = ()
    range_commitment: G1 | None = None


class StatementCommitment(Protocol):
    """A statement's prover state between its first messages and its responses."""

    @property
    def nonce(self) -> int:
        """m~ of the statement's attribute, in [1, r - 1]: the BBS core uses it once."""
        ...

    @property
    def first_messages(self) -> bytes:
        """The octets of every commitment and first message, for the transcript."""
        ...

    def respond(self, challenge: int) -> bytes:
        """The statement's part of the wire (exactly ``wire_length`` octets) for the challenge."""
        ...


class Statement(Protocol):
    """One sub-proof about one undisclosed message (a predicate, or a pseudonym block).

    Both sides build the same statement from their own copies of the request:
    nothing in it is read from a presentation.
    """

    @property
    def attribute(self) -> int:
        """Index of the undisclosed message the statement is about."""
        ...

    @property
    def wire_length(self) -> int:
        """Octets of the statement's part of the wire; fixed by the statement alone."""
        ...

    def statement_octets(self) -> bytes:
        """The statement as the transcript hashes it (item 7; item 10 for pseudonym blocks)."""
        ...

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> StatementCommitment:
        """Check that ``value`` (the attribute's scalar) satisfies the statement, else raise
        :class:`~zkcheck.errors.PolicyError`; draw the sub-proof's scalars and first messages."""
        ...

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        """Decode the statement's wire (:class:`~zkcheck.errors.DecodeError` for a point not
        in G1 or the identity, a scalar 0 or not below r) and recompute its first messages
        from the BBS response ``m^`` of the attribute and the challenge."""
        ...


@runtime_checkable
class RangeLinkCommitment(StatementCommitment, Protocol):
    """A range link's prover state: a statement commitment that also holds the opening of
    V_j for the aggregated range proof."""

    @property
    def state(self) -> LinkProverState:
        """The link's state; the range proof reads its opening (d_j, gamma_j) once."""
        ...


@runtime_checkable
class RangeLink(Statement, Protocol):
    """A range predicate of version 2 (chapter 9, "Linking" of version 2).

    Its wire is V_j || gamma^_j, its first messages V_j || V~_j; its
    commitment also hands the opening of V_j to the aggregated range proof,
    and its ``recompute`` returns V_j as ``range_commitment``. The
    presentation proves all range links of a presentation in range together.
    """

    @property
    def range_statement(self) -> RangeStatement:
        """The widened statement (n = 16) whose difference V_j commits to."""
        ...

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> RangeLinkCommitment:
        """As :meth:`Statement.commit`, with the link's state for the range proof."""
        ...


class PresentationProof(NamedTuple):
    """The three proof fields of a presentation: the BBS proof (``proof_to_octets`` of the
    BBS draft), the predicates' wire and the pseudonym blocks' wire (empty without them)."""

    bbs_proof: bytes
    predicate_proof: bytes = b""
    pseudonym_proof: bytes = b""


def _canonical(
    predicates: Sequence[Statement],
    pseudonyms: Sequence[Statement],
    undisclosed: Sequence[int],
    version: PresentationVersion,
) -> tuple[list[Statement], list[Statement]]:
    """Both lists in ascending attribute order; each attribute undisclosed and used once;
    range links only in a version that aggregates them, and only as predicates."""
    attributes = [statement.attribute for statement in (*predicates, *pseudonyms)]
    if len(set(attributes)) != len(attributes):
        raise ValueError("at most one statement concerns each attribute")
    if not set(attributes) <= set(undisclosed):
        raise ValueError("a statement concerns an undisclosed message")
    if any(isinstance(statement, RangeLink) for statement in pseudonyms) or (
        not version.aggregates_ranges
        and any(isinstance(statement, RangeLink) for statement in predicates)
    ):
        raise ValueError("range links are predicates of a version with an aggregated range proof")
    return (
        sorted(predicates, key=lambda statement: statement.attribute),
        sorted(pseudonyms, key=lambda statement: statement.attribute),
    )


def context_octets(
    pk: bytes,
    disclosed: Sequence[tuple[int, int]],
    predicates: Sequence[Statement],
    ph: bytes,
    *,
    version: PresentationVersion,
    ciphersuite: Ciphersuite,
) -> bytes:
    """Items 1 to 8 of chapter 9's challenge input, the *context*: every public value the
    verifier's acceptance depends on, which version 2's range transcript also begins with.

    ``disclosed`` lists (index, scalar) in ascending index order; ``predicates``
    are in canonical order.
    """
    parts = [
        # 1. lp(PROTOCOL_ID) of the version
        lp(version.protocol_id),
        # 2. lp(ciphersuite_id)
        lp(ciphersuite.ciphersuite_id),
        # 3. PK
        pk,
        # 4. lp(header_v1)
        lp(HEADER),
        # 5. I2OSP(layout_version, 8)
        LAYOUT_VERSION.to_bytes(8, "big"),
        # 6. I2OSP(R, 8), then I2OSP(i, 8) || I2OSP(msg_i, 32) for each disclosed index
        len(disclosed).to_bytes(8, "big"),
        *(index.to_bytes(8, "big") + _scalar_octets(value) for index, value in disclosed),
        # 7. I2OSP(P, 8), then statement_octets(p) for each predicate
        len(predicates).to_bytes(8, "big"),
        *(statement.statement_octets() for statement in predicates),
        # 8. lp(ph)
        lp(ph),
    ]
    return b"".join(parts)


def challenge_input(
    context: bytes,
    first_messages: Sequence[bytes],
    range_proof: bytes,
    pseudonyms: Sequence[Statement],
    pseudonym_first_messages: Sequence[bytes],
    init_res: ProofInitResult,
    *,
    ciphersuite: Ciphersuite,
) -> bytes:
    """challenge_input of chapter 9, section Transcript: the context (items 1 to 8), then
    items 9 to 11.

    Item 9 is each predicate's first messages in canonical order, then, in
    version 2, the range proof's octets (empty without range predicates and
    in version 1). Item 10 is ``I2OSP(B, 8)`` followed, for each of the B
    pseudonym blocks in canonical order, by its statement octets and its
    first messages. The prover and the verifier both build the input here,
    so no value can be serialized differently from how it is hashed.
    """
    backend = ciphersuite.backend
    parts = [
        context,
        # 9. messages_octets(p) for each predicate, then range_proof_octets
        *first_messages,
        range_proof,
        # 10. the pseudonym blocks
        len(pseudonyms).to_bytes(8, "big"),
        *(
            statement.statement_octets() + octets
            for statement, octets in zip(pseudonyms, pseudonym_first_messages, strict=True)
        ),
        # 11. serialize((Abar, Bbar, D, T1, T2, domain))
        *(
            backend.g1_to_bytes(point)
            for point in (init_res.Abar, init_res.Bbar, init_res.D, init_res.T1, init_res.T2)
        ),
        _scalar_octets(init_res.domain),
    ]
    return b"".join(parts)


def _respond(
    statements: Sequence[Statement], commitments: Sequence[StatementCommitment], challenge: int
) -> bytes:
    parts = []
    for statement, commitment in zip(statements, commitments, strict=True):
        wire = commitment.respond(challenge)
        if len(wire) != statement.wire_length:
            raise ValueError("a statement's responses are not its wire length")
        parts.append(wire)
    return b"".join(parts)


def prove(
    pk: bytes,
    signature: bytes,
    messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    ph: bytes,
    *,
    version: PresentationVersion,
    statements: Sequence[Statement] = (),
    pseudonyms: Sequence[Statement] = (),
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> PresentationProof:
    """The presentation prover of chapter 9 (section Prover; version 2's section
    Presentation prover).

    ``messages`` are the 12 message scalars of the credential in index order;
    ``disclosed_indexes`` ascending; ``ph`` the request digest. Raises
    :class:`~zkcheck.errors.PolicyError` when a statement does not hold for
    the holder's value (the holder then shows nothing). A statement or the
    range proof that raises
    :class:`~zkcheck.hazmat.scalar_source.FreshRandomnessRequired` makes the whole
    presentation again (step 10).
    """
    ciphersuite = get_ciphersuite(SUITE, backend)
    scalars = checked_scalars(messages)
    if len(scalars) != MESSAGE_COUNT:
        raise DecodeError(f"a layout-1 credential has {MESSAGE_COUNT} messages")
    _check_disclosed_indexes(disclosed_indexes, MESSAGE_COUNT)
    disclosed_set = set(disclosed_indexes)
    undisclosed = [j for j in range(MESSAGE_COUNT) if j not in disclosed_set]
    predicates, blocks = _canonical(statements, pseudonyms, undisclosed, version)
    octets_to_pubkey(pk, ciphersuite=ciphersuite)
    decoded_signature = octets_to_signature(signature, ciphersuite=ciphersuite)
    for _ in range(MAX_ATTEMPTS):
        try:
            return _prove_once(
                pk,
                decoded_signature,
                scalars,
                disclosed_indexes,
                undisclosed,
                ph,
                predicates,
                blocks,
                rng,
                version,
                ciphersuite,
            )
        except FreshRandomnessRequired:
            # 10. A value the encoding forbids: start again with fresh randomness.
            continue
    raise ValueError("the randomness source keeps giving values a presentation cannot carry")


def _commit(
    statement: Statement, value: int, rng: Rng | None, ciphersuite: Ciphersuite
) -> tuple[StatementCommitment, LinkProverState | None]:
    """A statement's commitment, and a range link's state for the range proof."""
    if isinstance(statement, RangeLink):
        linked = statement.commit(value, rng=rng, ciphersuite=ciphersuite)
        return linked, linked.state
    return statement.commit(value, rng=rng, ciphersuite=ciphersuite), None


def _prove_once(
    pk: bytes,
    decoded_signature: Signature,
    scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    undisclosed: Sequence[int],
    ph: bytes,
    predicates: Sequence[Statement],
    blocks: Sequence[Statement],
    rng: Rng | None,
    version: PresentationVersion,
    ciphersuite: Ciphersuite,
) -> PresentationProof:
    """Steps 1 to 11 of the prover, once; :class:`FreshRandomnessRequired` from a statement
    or the range proof whose values the encoding forbids (step 10)."""
    # 1.-3. Each statement checks the holder's value, draws its scalars and
    #       chooses the BBS nonce m~ of its attribute; a range link of version 2
    #       also commits to its difference, V_j.
    committed = [
        _commit(statement, scalars[statement.attribute], rng, ciphersuite)
        for statement in predicates
    ]
    predicate_commitments = [commitment for commitment, _ in committed]
    link_states = [state for _, state in committed if state is not None]
    block_commitments = [
        statement.commit(scalars[statement.attribute], rng=rng, ciphersuite=ciphersuite)
        for statement in blocks
    ]
    chosen = {
        statement.attribute: commitment.nonce
        for statement, commitment in zip(
            (*predicates, *blocks), (*predicate_commitments, *block_commitments), strict=True
        )
    }
    # Version 2, step 4: the context and, over it, the range proof of every range link, in
    # canonical order, complete before anything else is hashed.
    context = context_octets(
        pk,
        [(i, scalars[i]) for i in disclosed_indexes],
        predicates,
        ph,
        version=version,
        ciphersuite=ciphersuite,
    )
    range_proof = b""
    if link_states:
        proven = range_proof_v2.prove_ranges(
            context, link_states, ScalarSource(rng), api_id=API_ID, ciphersuite=ciphersuite
        )
        range_proof = range_proof_v2.range_proof_to_octets(proven, ciphersuite=ciphersuite)
    # 4. random_scalars = (r1, r2, e~, r1~, r3~, m~_j1, ..., m~_jU), the chosen
    #    nonces at position 5 + pos(a), every other scalar drawn.
    random_scalars = _proof_random_scalars(undisclosed, chosen, rng, ciphersuite=ciphersuite)
    # 5. init_res = ProofInit(PK, (A, e), generators, random_scalars, header_v1,
    #                         messages, undisclosed indexes, api_id)
    init_res = proof_init(
        pk,
        decoded_signature,
        layout_generators(ciphersuite),
        random_scalars,
        HEADER,
        scalars,
        undisclosed,
        API_ID,
        ciphersuite=ciphersuite,
    )
    # 6. c = hash_to_scalar(challenge_input, CHALLENGE_DST of the version)
    transcript = challenge_input(
        context,
        [commitment.first_messages for commitment in predicate_commitments],
        range_proof,
        blocks,
        [commitment.first_messages for commitment in block_commitments],
        init_res,
        ciphersuite=ciphersuite,
    )
    challenge = hash_to_scalar(transcript, version.challenge_dst, suite=SUITE)
    # 7. bbs_proof = ProofFinalize(init_res, c, e, random_scalars, undisclosed messages)
    bbs_proof = proof_finalize(
        init_res,
        challenge,
        decoded_signature.e,
        random_scalars,
        [scalars[j] for j in undisclosed],
        ciphersuite=ciphersuite,
    )
    # 8.-11. Each statement's responses, in canonical order, then the range proof.
    return PresentationProof(
        bbs_proof,
        _respond(predicates, predicate_commitments, challenge) + range_proof,
        _respond(blocks, block_commitments, challenge),
    )


def _split(wire: bytes, lengths: Sequence[int], what: str) -> list[bytes]:
    """``wire`` cut into parts of ``lengths``; the whole length must be their sum."""
    if len(wire) != sum(lengths):
        raise DecodeError(f"the {what} has the wrong length for the request")
    parts, offset = [], 0
    for length in lengths:
        parts.append(wire[offset : offset + length])
        offset += length
    return parts


def verify(
    pk: bytes,
    proof: PresentationProof,
    disclosed: Mapping[int, int],
    ph: bytes,
    *,
    version: PresentationVersion,
    statements: Sequence[Statement] = (),
    pseudonyms: Sequence[Statement] = (),
    backend: Backend | None = None,
) -> None:
    """The presentation verifier of chapter 9 (section Verifier; version 2's section
    Presentation verifier).

    ``disclosed`` maps each disclosed index to its scalar, ``statements`` and
    ``pseudonyms`` are the ones the verifier derived from its own request, and
    ``version`` the version it runs: only the three proof fields come from the
    presentation. Returns None when valid; raises
    :class:`~zkcheck.errors.DecodeError` or :class:`~zkcheck.errors.InvalidProof`;
    the pairing is checked last.
    """
    ciphersuite = get_ciphersuite(SUITE, backend)
    indexes = sorted(disclosed)
    _check_disclosed_indexes(indexes, MESSAGE_COUNT)
    values = checked_scalars([disclosed[i] for i in indexes])
    undisclosed = [j for j in range(MESSAGE_COUNT) if j not in disclosed]
    predicates, blocks = _canonical(statements, pseudonyms, undisclosed, version)
    links = sum(isinstance(statement, RangeLink) for statement in predicates)
    # 1. The lengths follow from the disclosed indexes and the statements.
    if len(proof.bbs_proof) != bbs_proof_length(len(indexes)):
        raise DecodeError("the BBS proof has the wrong length for the request")
    range_length = range_proof_v2.range_proof_length(links) if links else 0
    *predicate_parts, range_octets = _split(
        proof.predicate_proof,
        [*(statement.wire_length for statement in predicates), range_length],
        "predicate proof",
    )
    block_parts = _split(
        proof.pseudonym_proof,
        [statement.wire_length for statement in blocks],
        "pseudonym proof",
    )
    # 2. (Abar, Bbar, D, e^, r1^, r3^, m^, c) = octets_to_proof(bbs_proof);
    #    W = octets_to_pubkey(PK); version 2, step 3: the range proof.
    decoded = octets_to_proof(proof.bbs_proof, ciphersuite=ciphersuite)
    w = octets_to_pubkey(pk, ciphersuite=ciphersuite)
    challenge = decoded.challenge
    range_proof = (
        range_proof_v2.octets_to_range_proof(range_octets, links, ciphersuite=ciphersuite)
        if links
        else None
    )
    # 4. init_res = ProofVerifyInit(PK, proof, generators, header_v1, disclosed
    #                               values, disclosed indexes, api_id)
    init_res = proof_verify_init(
        pk,
        decoded,
        layout_generators(ciphersuite),
        HEADER,
        values,
        indexes,
        API_ID,
        ciphersuite=ciphersuite,
    )
    # 3., 5., 6. Each statement decodes its wire and recomputes its first
    #            messages from m^ of its attribute (the response at pos(a)).
    m_hat = dict(zip(undisclosed, decoded.commitments, strict=True))
    recomputed = [
        statement.recompute(part, m_hat[statement.attribute], challenge, ciphersuite=ciphersuite)
        for statement, part in zip(predicates, predicate_parts, strict=True)
    ]
    block_recomputed = [
        statement.recompute(part, m_hat[statement.attribute], challenge, ciphersuite=ciphersuite)
        for statement, part in zip(blocks, block_parts, strict=True)
    ]
    # 7. c' = hash_to_scalar(challenge_input, CHALLENGE_DST of the version); fail unless c' = c.
    context = context_octets(
        pk,
        list(zip(indexes, values, strict=True)),
        predicates,
        ph,
        version=version,
        ciphersuite=ciphersuite,
    )
    transcript = challenge_input(
        context,
        [part.first_messages for part in recomputed],
        range_octets,
        blocks,
        [part.first_messages for part in block_recomputed],
        init_res,
        ciphersuite=ciphersuite,
    )
    if hash_to_scalar(transcript, version.challenge_dst, suite=SUITE) != challenge:
        raise InvalidProof("proof invalid")
    # 8.-9. Every deferred equation at once, with weights drawn after all is hashed; in
    #       version 2 the range proof's equation over the V_j is one of them.
    deferred = [check for part in (*recomputed, *block_recomputed) for check in part.deferred]
    if range_proof is not None:
        commitments = [
            _range_commitment(part)
            for statement, part in zip(predicates, recomputed, strict=True)
            if isinstance(statement, RangeLink)
        ]
        deferred.append(_range_check(context, commitments, range_proof, ciphersuite))
    if deferred:
        wire = proof.predicate_proof + proof.pseudonym_proof
        seed = transcript + _scalar_octets(challenge) + wire
        _batch_check(deferred, seed, version.batch_dst, ciphersuite)
    # 10. Fail unless h(Abar, W) * h(Bbar, -BP2) is the identity of GT.
    if not ciphersuite.backend.pairing_product_is_one(
        [(decoded.Abar, w), (decoded.Bbar, ciphersuite.neg_BP2)]
    ):
        raise InvalidProof("proof invalid")


def _range_commitment(part: Recomputed) -> G1:
    if part.range_commitment is None:
        raise ValueError("a range link's recompute returns its commitment V_j")
    return part.range_commitment


def _range_check(
    context: bytes,
    commitments: Sequence[G1],
    range_proof: range_proof_v2.RangeProof,
    ciphersuite: Ciphersuite,
) -> DeferredCheck:
    """Version 2, verifier step 8: RangeVerify's equation over the range links' commitments
    V_j in canonical order, as one deferred equation of the batch."""
    points, scalars = range_proof_v2.range_equation(
        context, commitments, range_proof, api_id=API_ID, ciphersuite=ciphersuite
    )
    return DeferredCheck(tuple(points), tuple(scalars))


def _batch_check(
    deferred: Sequence[DeferredCheck], seed: bytes, dst: bytes, ciphersuite: Ciphersuite
) -> None:
    """Steps 8 and 9: rho_q = OS2IP of the q-th 16 octets of expand_message(seed, dst,
    16 * N); fail unless sum over q of rho_q times equation q is the identity."""
    if len(deferred) > MAX_DEFERRED:
        raise ValueError(f"at most {MAX_DEFERRED} deferred equations")
    weights = ciphersuite.expand_message(seed, dst, WEIGHT_LENGTH * len(deferred))
    points: dict[int, G1] = {}
    coefficients: dict[int, int] = {}
    for q, check in enumerate(deferred):
        rho = int.from_bytes(weights[WEIGHT_LENGTH * q : WEIGHT_LENGTH * (q + 1)], "big")
        for point, scalar in zip(check.points, check.scalars, strict=True):
            # Terms of one point object (a fixed generator) share one MSM entry.
            key = id(point)
            points[key] = point
            coefficients[key] = (coefficients.get(key, 0) + rho * scalar) % R
    backend = ciphersuite.backend
    total = backend.g1_msm(list(points.values()), [coefficients[key] for key in points])
    if not backend.g1_is_identity(total):
        raise InvalidProof("proof invalid")
