"""Predicate proofs (spec/09-predicate-proofs.md): range and membership, prove and verify.

The predicate part of a presentation only, on the default backend, ciphersuite
BLS12-381-SHA-256, under the credential tier's api_id:

- ``age_over:18``, a range proof with n = 16 bits; ``sim_swap:72`` (n = 12) and
  ``issued_within:24`` (n = 8) for the combined case;
- ``home_country_in`` with k = 8 and k = 32 values;
- version 2 (chapter 9, "Version 2"): ``age_over:18`` as one linked commitment and an
  aggregated Bulletproofs range proof of one range, and the five range checks of a bank
  request (age, freshness, SIM swap, device swap, tenure) in one proof of eight slots.

Proving is the commitment, the response and the encoding. Verifying is what the
presentation verifier does for the predicate beyond the BBS proof: decoding
(subgroup checks included), recomputing the first messages from the responses,
hashing their octets (the predicate's share of the challenge input) and, for
ranges, the batched E1 check. The BBS response and the challenge are fixed, as
they would come from the BBS part.

Every operation is measured twice, each time interleaved with a floor in the
same run: against the floor of benchmarks/bench_bbs.py (the cheaper two-pair
pairing check), and against plain ``bbs.proof_verify`` with 12 messages and two
disclosed, the layout-1 shape. The last rows estimate the full presentations
before they are integrated: plain ``proof_verify`` followed by the predicate
verification, which counts the pairing, the BBS part and the predicate part
once each, against the acceptance bound of an ``age_over:18`` presentation
(at most 5 plain verifications in version 1, at most 3 in version 2). Version 2's
age predicate is also measured against version 1's in the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from benchmarks.bench_bbs import cheapest_floor
from benchmarks.harness import Session
from zkcheck.hazmat import bbs, range_proof, range_proof_v2, set_membership
from zkcheck.hazmat import predicate_statements as statements
from zkcheck.hazmat.backend import GROUP_ORDER, get_backend
from zkcheck.hazmat.predicate_parameters import challenge_dst
from zkcheck.hazmat.scalar_source import ScalarSource

__all__ = ["run"]

BACKEND = get_backend()
CIPHERSUITE = bbs.get_ciphersuite(backend=BACKEND)
API_ID = CIPHERSUITE.ciphersuite_id + b"BLIND_H2G_TM2S_ZKCHECK-V1_"
"""The credential tier's api_id (spec/08-credential-tier.md)."""
HEADER = b"zkcheck benchmark header"
PH = b"zkcheck benchmark presentation header"
MESSAGES = [f"message {i}: {'x' * (8 * i)}".encode() for i in range(12)]
DISCLOSED = [0, 2]
T = 1_760_000_000
CHALLENGE = 0x5EED_C0FFEE << 180
AGE_PRESENTATION_BOUND = 5.0
AGE_PRESENTATION_BOUND_V2 = 3.0
SIZE_GOAL_V2 = 1536
"""1.5 KiB: the goal for a whole ``age_over:18`` presentation message of version 2."""
BBS_PROOF_OCTETS = 272 + 32 * (len(MESSAGES) - len(DISCLOSED))

Operation = Callable[[], object]


def _plain_proof_verify() -> tuple[str, Operation]:
    sk = bbs.key_gen(b"zkcheck benchmark key material, 32+ bytes")
    pk = bbs.sk_to_pk(sk, backend=BACKEND)
    signature = bbs.sign(sk, pk, HEADER, MESSAGES, backend=BACKEND)
    proof = bbs.proof_gen(pk, signature, HEADER, PH, MESSAGES, DISCLOSED, backend=BACKEND)
    disclosed = [MESSAGES[i] for i in DISCLOSED]

    def verify() -> None:
        bbs.proof_verify(pk, proof, HEADER, PH, disclosed, DISCLOSED, backend=BACKEND)

    return "bbs.proof_verify 12 msgs 2 disclosed", verify


def _hash_share(octets: bytes) -> int:
    # The predicate's octets enter the one challenge hash of the presentation.
    return bbs.hash_to_scalar(octets, challenge_dst(API_ID))


def _ranges(
    parts: Sequence[tuple[statements.RangeStatement, int]],
) -> tuple[Operation, Operation, int]:
    """Prove and verify operations for range predicates verified in one batch, and the size."""

    def prove() -> bytes:
        source = ScalarSource()
        wire = []
        for statement, value in parts:
            commitment = range_proof.prover_commit(
                statement, value, source, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            commitment.bbs_nonce.read()
            range_proof.messages_octets(commitment.first_messages, ciphersuite=CIPHERSUITE)
            proof = commitment.state.respond(CHALLENGE)
            wire.append(range_proof.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE))
        return b"".join(wire)

    # One honest proof, with the BBS responses m^_a = m~_a + c * m_a it is linked to.
    source = ScalarSource()
    octets: list[bytes] = []
    m_hats: list[int] = []
    for statement, value in parts:
        commitment = range_proof.prover_commit(
            statement, value, source, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        m_hats.append((commitment.bbs_nonce.read() + CHALLENGE * value) % GROUP_ORDER)
        proof = commitment.state.respond(CHALLENGE)
        octets.append(range_proof.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE))
    predicate_proof = b"".join(octets)

    def verify() -> None:
        checks = []
        hashed = []
        for (statement, _), part, m_hat in zip(parts, octets, m_hats, strict=True):
            proof = range_proof.octets_to_range_proof(part, statement.bits, ciphersuite=CIPHERSUITE)
            check = range_proof.verifier_recompute(
                statement, proof, m_hat, CHALLENGE, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            checks.append(check)
            hashed.append(
                range_proof.messages_octets(check.first_messages, ciphersuite=CIPHERSUITE)
            )
        transcript = b"".join(hashed)
        _hash_share(transcript)
        range_proof.verify_batched(
            checks, CHALLENGE, transcript, predicate_proof, api_id=API_ID, ciphersuite=CIPHERSUITE
        )

    verify()
    return prove, verify, len(predicate_proof)


def _v2_proof(
    parts: Sequence[tuple[statements.RangeStatement, int]], context: bytes
) -> tuple[list[bytes], bytes, list[int]]:
    """Version 2's prover for the given widened statements and values: each link's wire
    (V || gamma^), the range proof's octets, and the BBS responses m^_a = m~_a + c * m_a
    the links are tied to, with the first messages encoded as item 9 hashes them."""
    source = ScalarSource()
    links = [
        range_proof_v2.prover_commit(s, v, source, api_id=API_ID, ciphersuite=CIPHERSUITE)
        for s, v in parts
    ]
    proof = range_proof_v2.prove_ranges(
        context, [link.state for link in links], source, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    for link in links:
        range_proof_v2.messages_octets(link.first_messages, ciphersuite=CIPHERSUITE)
    m_hats = [
        (link.bbs_nonce.read() + CHALLENGE * value) % GROUP_ORDER
        for link, (_, value) in zip(links, parts, strict=True)
    ]
    link_octets = [
        range_proof_v2.link_proof_to_octets(
            range_proof_v2.prover_response(link.state, CHALLENGE), ciphersuite=CIPHERSUITE
        )
        for link in links
    ]
    return link_octets, range_proof_v2.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE), m_hats


def _v2_ranges(
    parts: Sequence[tuple[statements.RangeStatement, int]],
) -> tuple[Operation, Operation, int]:
    """Version 2: prove and verify operations for linked commitments and one aggregated
    range proof over them, and the size of their part of the predicate proof."""
    widened = [(range_proof_v2.widened(statement), value) for statement, value in parts]
    context = b"items 1 to 8 of the challenge input " * 16

    def prove() -> object:
        return _v2_proof(widened, context)

    link_octets, range_octets, m_hats = _v2_proof(widened, context)

    def verify() -> None:
        hashed = []
        commitments = []
        for (statement, _), part, m_hat in zip(widened, link_octets, m_hats, strict=True):
            link = range_proof_v2.octets_to_link_proof(part, ciphersuite=CIPHERSUITE)
            check = range_proof_v2.verifier_recompute(
                statement, link, m_hat, CHALLENGE, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            hashed.append(
                range_proof_v2.messages_octets(check.first_messages, ciphersuite=CIPHERSUITE)
            )
            commitments.append(link.V)
        decoded = range_proof_v2.octets_to_range_proof(
            range_octets, len(widened), ciphersuite=CIPHERSUITE
        )
        _hash_share(b"".join(hashed) + range_octets)
        range_proof_v2.verify_ranges(
            context, commitments, decoded, api_id=API_ID, ciphersuite=CIPHERSUITE
        )

    verify()
    return prove, verify, sum(map(len, link_octets)) + len(range_octets)


def _membership(size: int) -> tuple[Operation, Operation, int]:
    values = [256 * (65 + i // 26) + 65 + i % 26 for i in range(size)]
    statement = statements.home_country_in("SET", values, T, 8)
    value = values[size // 2]

    def prove() -> bytes:
        commitment = set_membership.prover_commit(
            statement, value, ScalarSource(), api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        commitment.bbs_nonce.read()
        set_membership.messages_octets(commitment.first_messages, ciphersuite=CIPHERSUITE)
        proof = commitment.state.respond(CHALLENGE)
        return set_membership.membership_proof_to_octets(proof, ciphersuite=CIPHERSUITE)

    commitment = set_membership.prover_commit(
        statement, value, ScalarSource(), api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    m_hat = (commitment.bbs_nonce.read() + CHALLENGE * value) % GROUP_ORDER
    hashed = set_membership.messages_octets(commitment.first_messages, ciphersuite=CIPHERSUITE)
    octets = set_membership.membership_proof_to_octets(
        commitment.state.respond(CHALLENGE), ciphersuite=CIPHERSUITE
    )

    def verify() -> None:
        proof = set_membership.octets_to_membership_proof(octets, size, ciphersuite=CIPHERSUITE)
        check = set_membership.verifier_recompute(
            statement, proof, m_hat, CHALLENGE, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        recomputed = set_membership.messages_octets(check.first_messages, ciphersuite=CIPHERSUITE)
        if recomputed != hashed:
            raise AssertionError("the membership proof does not verify")
        _hash_share(recomputed)

    verify()
    return prove, verify, len(octets)


def run(session: Session) -> None:
    floor_name, floor = cheapest_floor()
    plain_name, plain = _plain_proof_verify()
    session.measure(f"{plain_name} [{BACKEND.name}]", plain, floor=floor, floor_name=floor_name)
    hour = statements.hour_ceil(T)
    age = (statements.age_over(18, T, 3), statements.age_over(18, T, 3).cutoff - 6325)
    freshness = (statements.issued_within(24, T, 1), hour - 3)
    sim = (statements.sim_swap(72, T, 4), hour - 2000)
    device = (statements.device_swap(72, T, 5), hour - 900)
    tenure = (statements.tenure(12, T, 6), statements.tenure(12, T, 6).cutoff - 400)
    cases = {
        "age_over:18 range n=16": _ranges([age]),
        "age+freshness+swap+tenure ranges n=52": _ranges([age, freshness, sim, tenure]),
        "membership k=8": _membership(8),
        "membership k=32": _membership(32),
        "v2 age_over:18 (1 range, Bulletproofs)": _v2_ranges([age]),
        "v2 age+freshness+sim+device+tenure (5 ranges, 8 slots)": _v2_ranges(
            [age, freshness, sim, device, tenure]
        ),
    }
    sizes = {name: size for name, (_, _, size) in cases.items()}
    for name, (prove, verify, _) in cases.items():
        for verb, operation in (("prove", prove), ("verify", verify)):
            session.measure(f"{name} {verb}", operation, floor=floor, floor_name=floor_name)
            session.measure(f"{name} {verb} / plain", operation, floor=plain, floor_name=plain_name)
    # Version 2 against version 1, in the same run.
    v1_name, v2_name = "age_over:18 range n=16", "v2 age_over:18 (1 range, Bulletproofs)"
    for index, verb in enumerate(("prove", "verify")):
        session.measure(
            f"{v2_name} {verb} / v1",
            cases[v2_name][index],
            floor=cases[v1_name][index],
            floor_name=f"{v1_name} {verb}",
        )
    # The full presentations, estimated: the BBS part (as plain verification) plus the predicates.
    for name, bound in (
        ("age_over:18 range n=16", AGE_PRESENTATION_BOUND),
        ("age+freshness+swap+tenure ranges n=52", None),
        (v2_name, AGE_PRESENTATION_BOUND_V2),
        ("v2 age+freshness+sim+device+tenure (5 ranges, 8 slots)", None),
    ):
        verify = cases[name][1]

        def presentation(predicates: Operation = verify) -> None:
            plain()
            predicates()

        session.measure(
            f"estimate: plain + {name} verify / plain",
            presentation,
            floor=plain,
            floor_name=plain_name,
            bound=bound,
        )
    print(f"  sizes (octets): BBS proof, 10 undisclosed: {BBS_PROOF_OCTETS}")
    for name, size in sizes.items():
        print(f"    {name}: {size}; with the BBS proof: {size + BBS_PROOF_OCTETS}")
    v2_proofs = sizes[v2_name] + BBS_PROOF_OCTETS
    print(
        f"  v2 age_over:18: {v2_proofs} octets of proofs, {SIZE_GOAL_V2 - v2_proofs} left for"
        f" the message's framing under the 1.5 KiB goal"
    )
