"""Credential presentations: the transcript, prover and verifier of spec/09-predicate-proofs.md.

A presentation of a layout-1 credential (:mod:`zkcheck.hazmat.credential`)
is one sigma protocol made non-interactive with one Fiat-Shamir challenge:
the BBS proof of knowledge of the signature (the BBS draft's ``ProofInit``,
``ProofFinalize`` and ``ProofVerifyInit``) AND one sub-proof per statement
about an undisclosed message. The challenge is not the BBS draft's
``ProofChallengeCalculate`` but the transcript of chapter 9, which begins
with the protocol identifier, the ciphersuite, the public key, the header,
the layout version, the disclosed messages and the full statement, and only
then hashes the prover's messages::

    Holder                                              Verifier
    prove(PK, signature, messages, disclosed_indexes,
          ph, statements, pseudonyms)
      -> (bbs_proof, predicate_proof,
          pseudonym_proof)          -------------------> verify(PK, proof, disclosed, ph,
                                                                statements, pseudonyms)

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
batch with random weights drawn after everything is hashed (steps 8 and 9).

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
from typing import NamedTuple, Protocol

from zkcheck.errors import DecodeError, InvalidProof
from zkcheck.hazmat import Rng
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
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired

__all__ = [
    "BATCH_DST",
    "CHALLENGE_DST",
    "MAX_ATTEMPTS",
    "PRED_GEN_API",
    "PROTOCOL_ID",
    "DeferredCheck",
    "PresentationProof",
    "Recomputed",
    "Statement",
    "StatementCommitment",
    "bbs_proof_length",
    "challenge_input",
    "prove",
    "verify",
]

CHALLENGE_DST = challenge_dst(API_ID)
"""DST of the presentation challenge (81 octets)."""

BATCH_DST = batch_dst(API_ID)
"""DST of the batching weights of deferred checks (75 octets)."""

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
    prover hashed them (item 9), and equations to check in the batch."""

    first_messages: bytes
    deferred: tuple[DeferredCheck, ...] = ()


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


class PresentationProof(NamedTuple):
    """The three proof fields of a presentation: the BBS proof (``proof_to_octets`` of the
    BBS draft), the predicates' wire and the pseudonym blocks' wire (empty without them)."""

    bbs_proof: bytes
    predicate_proof: bytes = b""
    pseudonym_proof: bytes = b""


def _canonical(
    predicates: Sequence[Statement], pseudonyms: Sequence[Statement], undisclosed: Sequence[int]
) -> tuple[list[Statement], list[Statement]]:
    """Both lists in ascending attribute order; each attribute undisclosed and used once."""
    attributes = [statement.attribute for statement in (*predicates, *pseudonyms)]
    if len(set(attributes)) != len(attributes):
        raise ValueError("at most one statement concerns each attribute")
    if not set(attributes) <= set(undisclosed):
        raise ValueError("a statement concerns an undisclosed message")
    return (
        sorted(predicates, key=lambda statement: statement.attribute),
        sorted(pseudonyms, key=lambda statement: statement.attribute),
    )


def challenge_input(
    pk: bytes,
    disclosed: Sequence[tuple[int, int]],
    predicates: Sequence[Statement],
    ph: bytes,
    first_messages: Sequence[bytes],
    pseudonyms: Sequence[Statement],
    pseudonym_first_messages: Sequence[bytes],
    init_res: ProofInitResult,
    *,
    ciphersuite: Ciphersuite,
) -> bytes:
    """challenge_input of chapter 9, section Transcript, items 1 to 11.

    ``disclosed`` lists (index, scalar) in ascending index order; ``predicates``
    and ``pseudonyms`` are in canonical order, each with its first messages.
    Item 10 is ``I2OSP(B, 8)`` followed, for each of the B pseudonym blocks,
    by its statement octets and its first messages. The prover and the
    verifier both build the input here, so no value can be serialized
    differently from how it is hashed.
    """
    backend = ciphersuite.backend
    parts = [
        # 1. lp(PROTOCOL_ID)
        lp(PROTOCOL_ID),
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
        # 9. messages_octets(p) for each predicate
        *first_messages,
        # 10. the pseudonym blocks (none in version 1)
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
    statements: Sequence[Statement] = (),
    pseudonyms: Sequence[Statement] = (),
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> PresentationProof:
    """The presentation prover of chapter 9 (section Prover).

    ``messages`` are the 12 message scalars of the credential in index order;
    ``disclosed_indexes`` ascending; ``ph`` the request digest. Raises
    :class:`~zkcheck.errors.PolicyError` when a statement does not hold for
    the holder's value (the holder then shows nothing). A statement that raises
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
    predicates, blocks = _canonical(statements, pseudonyms, undisclosed)
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
                ciphersuite,
            )
        except FreshRandomnessRequired:
            # 10. A value the encoding forbids: start again with fresh randomness.
            continue
    raise ValueError("the randomness source keeps giving values a presentation cannot carry")


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
    ciphersuite: Ciphersuite,
) -> PresentationProof:
    """Steps 1 to 11 of the prover, once; :class:`FreshRandomnessRequired` from a statement
    whose values the encoding forbids (step 10)."""
    # 1.-3. Each statement checks the holder's value, draws its scalars and
    #       chooses the BBS nonce m~ of its attribute.
    predicate_commitments = [
        statement.commit(scalars[statement.attribute], rng=rng, ciphersuite=ciphersuite)
        for statement in predicates
    ]
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
    # 6. c = hash_to_scalar(challenge_input, CHALLENGE_DST)
    transcript = challenge_input(
        pk,
        [(i, scalars[i]) for i in disclosed_indexes],
        predicates,
        ph,
        [commitment.first_messages for commitment in predicate_commitments],
        blocks,
        [commitment.first_messages for commitment in block_commitments],
        init_res,
        ciphersuite=ciphersuite,
    )
    challenge = hash_to_scalar(transcript, CHALLENGE_DST, suite=SUITE)
    # 7. bbs_proof = ProofFinalize(init_res, c, e, random_scalars, undisclosed messages)
    bbs_proof = proof_finalize(
        init_res,
        challenge,
        decoded_signature.e,
        random_scalars,
        [scalars[j] for j in undisclosed],
        ciphersuite=ciphersuite,
    )
    # 8.-11. Each statement's responses, in canonical order.
    return PresentationProof(
        bbs_proof,
        _respond(predicates, predicate_commitments, challenge),
        _respond(blocks, block_commitments, challenge),
    )


def _split(wire: bytes, statements: Sequence[Statement], what: str) -> list[bytes]:
    """Each statement's part of ``wire``; the whole length must be the sum of their lengths."""
    lengths = [statement.wire_length for statement in statements]
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
    statements: Sequence[Statement] = (),
    pseudonyms: Sequence[Statement] = (),
    backend: Backend | None = None,
) -> None:
    """The presentation verifier of chapter 9 (section Verifier).

    ``disclosed`` maps each disclosed index to its scalar, ``statements`` and
    ``pseudonyms`` are the ones the verifier derived from its own request:
    only the three proof fields come from the presentation. Returns None when
    valid; raises :class:`~zkcheck.errors.DecodeError` or
    :class:`~zkcheck.errors.InvalidProof`; the pairing is checked last.
    """
    ciphersuite = get_ciphersuite(SUITE, backend)
    indexes = sorted(disclosed)
    _check_disclosed_indexes(indexes, MESSAGE_COUNT)
    values = checked_scalars([disclosed[i] for i in indexes])
    undisclosed = [j for j in range(MESSAGE_COUNT) if j not in disclosed]
    predicates, blocks = _canonical(statements, pseudonyms, undisclosed)
    # 1. The lengths follow from the disclosed indexes and the statements.
    if len(proof.bbs_proof) != bbs_proof_length(len(indexes)):
        raise DecodeError("the BBS proof has the wrong length for the request")
    predicate_parts = _split(proof.predicate_proof, predicates, "predicate proof")
    block_parts = _split(proof.pseudonym_proof, blocks, "pseudonym proof")
    # 2. (Abar, Bbar, D, e^, r1^, r3^, m^, c) = octets_to_proof(bbs_proof);
    #    W = octets_to_pubkey(PK)
    decoded = octets_to_proof(proof.bbs_proof, ciphersuite=ciphersuite)
    w = octets_to_pubkey(pk, ciphersuite=ciphersuite)
    challenge = decoded.challenge
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
    # 7. c' = hash_to_scalar(challenge_input, CHALLENGE_DST); fail unless c' = c.
    transcript = challenge_input(
        pk,
        list(zip(indexes, values, strict=True)),
        predicates,
        ph,
        [part.first_messages for part in recomputed],
        blocks,
        [part.first_messages for part in block_recomputed],
        init_res,
        ciphersuite=ciphersuite,
    )
    if hash_to_scalar(transcript, CHALLENGE_DST, suite=SUITE) != challenge:
        raise InvalidProof("proof invalid")
    # 8.-9. Every deferred equation at once, with weights drawn after all is hashed.
    deferred = [check for part in (*recomputed, *block_recomputed) for check in part.deferred]
    if deferred:
        wire = proof.predicate_proof + proof.pseudonym_proof
        _batch_check(deferred, transcript + _scalar_octets(challenge) + wire, ciphersuite)
    # 10. Fail unless h(Abar, W) * h(Bbar, -BP2) is the identity of GT.
    if not ciphersuite.backend.pairing_product_is_one(
        [(decoded.Abar, w), (decoded.Bbar, ciphersuite.neg_BP2)]
    ):
        raise InvalidProof("proof invalid")


def _batch_check(deferred: Sequence[DeferredCheck], seed: bytes, ciphersuite: Ciphersuite) -> None:
    """Steps 8 and 9: rho_q = OS2IP of the q-th 16 octets of expand_message(seed, BATCH_DST,
    16 * N); fail unless sum over q of rho_q times equation q is the identity."""
    if len(deferred) > MAX_DEFERRED:
        raise ValueError(f"at most {MAX_DEFERRED} deferred equations")
    weights = ciphersuite.expand_message(seed, BATCH_DST, WEIGHT_LENGTH * len(deferred))
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
