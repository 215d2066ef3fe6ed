"""Blind BBS and BBS pseudonyms: issuance, proofs and pseudonym proofs, 10-message credentials.

A blind credential here has 10 messages: 9 from the Signer and 1 committed
by the Prover (a holder secret); the signed list also holds the prover's
blind, 11 scalars. A pseudonym credential has 8 Signer messages, 1 committed
message and 1 nym secret. Proofs disclose one Signer message. Ciphersuite
BLS12-381-SHA-256, the default backend.

Every operation is measured twice, each time interleaved with a floor in the
same run: against the floor of benchmarks/bench_bbs.py (the cheaper two-pair
pairing check), and against plain ``bbs.proof_verify`` with 10 messages and
one disclosed. The bounds: a blind proof costs at most 1.3 plain proof
verifications (the credential tier's presentation bound), a pseudonym proof
at most 1.5 (the pseudonym bound, taken against plain BBS, which is stricter
than against a blind proof).
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.bench_bbs import cheapest_floor
from benchmarks.harness import Session
from zkcheck.hazmat import bbs, bbs_pseudonym, blind_bbs
from zkcheck.hazmat.backend import get_backend

__all__ = ["run"]

BACKEND = get_backend()
HEADER = b"zkcheck benchmark header"
PH = b"zkcheck benchmark presentation header"
SIGNER_MESSAGES = [f"message {i}: {'x' * (8 * i)}".encode() for i in range(9)]
COMMITTED = [b"holder secret: 32 bytes of entropy"]
CONTEXT = b"https://verifier.example"
PLAIN_MESSAGES = [*SIGNER_MESSAGES, *COMMITTED]
BLIND_PROOF_BOUND = 1.3
PSEUDONYM_PROOF_BOUND = 1.5


def _plain_proof_verify() -> tuple[str, Callable[[], object]]:
    sk = bbs.key_gen(b"zkcheck benchmark key material, 32+ bytes")
    pk = bbs.sk_to_pk(sk, backend=BACKEND)
    signature = bbs.sign(sk, pk, HEADER, PLAIN_MESSAGES, backend=BACKEND)
    proof = bbs.proof_gen(pk, signature, HEADER, PH, PLAIN_MESSAGES, [0], backend=BACKEND)

    def verify() -> None:
        bbs.proof_verify(pk, proof, HEADER, PH, [PLAIN_MESSAGES[0]], [0], backend=BACKEND)

    return "bbs.proof_verify 10 msgs 1 disclosed", verify


def _operations() -> dict[str, tuple[Callable[[], object], float | None]]:
    """Each operation, with its bound against plain proof verification (or None)."""
    ciphersuite = bbs.get_ciphersuite(backend=BACKEND)
    api_id = blind_bbs.interface_api_id()
    sk = bbs.key_gen(b"zkcheck blind benchmark key material, 32+ bytes")
    pk = bbs.sk_to_pk(sk, backend=BACKEND)

    commitment, blind = blind_bbs.commit(COMMITTED, backend=BACKEND)
    blind_generators = blind_bbs.blind_generators(2, api_id, ciphersuite=ciphersuite)
    signature = blind_bbs.blind_sign(sk, pk, commitment, HEADER, SIGNER_MESSAGES, backend=BACKEND)
    proof = blind_bbs.proof_gen(
        pk, signature, HEADER, PH, SIGNER_MESSAGES, COMMITTED, [0], [], blind, backend=BACKEND
    )

    nym_messages = SIGNER_MESSAGES[:8]
    prover_nyms = bbs_pseudonym.generate_prover_nyms(1)
    entropy = bbs_pseudonym.generate_signer_nym_entropy()
    nym_commitment, nym_blind = bbs_pseudonym.commit_with_nym(
        COMMITTED, prover_nyms, backend=BACKEND
    )
    nym_signature = bbs_pseudonym.blind_sign_with_nym(
        sk, pk, nym_commitment, 1, entropy, HEADER, nym_messages, backend=BACKEND
    )
    nym_secrets = bbs_pseudonym.verify_finalize_with_nym(
        pk, nym_signature, HEADER, nym_messages, COMMITTED, prover_nyms, entropy, nym_blind
    )

    def nym_proof_gen() -> tuple[bytes, bytes]:
        return bbs_pseudonym.proof_gen_with_nym(
            pk,
            nym_signature,
            HEADER,
            PH,
            nym_secrets,
            CONTEXT,
            nym_messages,
            COMMITTED,
            [0],
            [],
            nym_blind,
            backend=BACKEND,
        )

    nym_proof, pseudonym = nym_proof_gen()

    return {
        "commit 1 msg": (lambda: blind_bbs.commit(COMMITTED, backend=BACKEND), None),
        "commitment verify 1 msg": (
            lambda: blind_bbs.deserialize_and_validate_commit(
                commitment, blind_generators, api_id, ciphersuite=ciphersuite
            ),
            None,
        ),
        "blind_sign 9+1 msgs": (
            lambda: blind_bbs.blind_sign(
                sk, pk, commitment, HEADER, SIGNER_MESSAGES, backend=BACKEND
            ),
            None,
        ),
        "blind proof_gen 9+1 msgs 1 disclosed": (
            lambda: blind_bbs.proof_gen(
                pk, signature, HEADER, PH, SIGNER_MESSAGES, COMMITTED, [0], [], blind
            ),
            None,
        ),
        "blind proof_verify 9+1 msgs 1 disclosed": (
            lambda: blind_bbs.proof_verify(
                pk, proof, HEADER, PH, 9, [SIGNER_MESSAGES[0]], [], [0], [], backend=BACKEND
            ),
            BLIND_PROOF_BOUND,
        ),
        "nym proof_gen 8+1+1 msgs 1 disclosed": (nym_proof_gen, None),
        "nym proof_verify 8+1+1 msgs 1 disclosed": (
            lambda: bbs_pseudonym.proof_verify_with_nym(
                pk,
                nym_proof,
                HEADER,
                PH,
                pseudonym,
                CONTEXT,
                1,
                8,
                [nym_messages[0]],
                [],
                [0],
                [],
                backend=BACKEND,
            ),
            PSEUDONYM_PROOF_BOUND,
        ),
    }


def run(session: Session) -> None:
    floor_name, floor = cheapest_floor()
    plain_name, plain = _plain_proof_verify()
    session.measure(
        f"bbs proof_verify 10 msgs 1 disclosed [{BACKEND.name}]",
        plain,
        floor=floor,
        floor_name=floor_name,
    )
    for name, (operation, bound) in _operations().items():
        session.measure(name, operation, floor=floor, floor_name=floor_name)
        session.measure(
            f"{name} / plain", operation, floor=plain, floor_name=plain_name, bound=bound
        )
