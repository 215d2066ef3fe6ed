"""BBS (draft-irtf-cfrg-bbs-signatures-09): sign, verify, proof_gen, proof_verify.

Ten messages, one disclosed, ciphersuite BLS12-381-SHA-256, on both backends
(py_ecc with few rounds: one operation takes seconds). The floor is the
cheapest thing proof verification cannot avoid: a two-pair pairing product
check on pre-decoded points, the cheaper of arkworks' ``GT.multi_pairing``
(compared with ``GT.one()``) and ``GT.pairing_check``, chosen in the same run.
The acceptance bound is proof_verify <= 2.0 x that floor.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from benchmarks.harness import Session
from zkcheck.hazmat import bbs
from zkcheck.hazmat.backend import get_backend

MESSAGES = [f"message {i}: {'x' * (8 * i)}".encode() for i in range(10)]
DISCLOSED = [3]
HEADER = b"zkcheck benchmark header"
PH = b"zkcheck benchmark presentation header"
PROOF_VERIFY_BOUND = 2.0


def _floors() -> dict[str, Callable[[], object]]:
    a = G1Point() * Scalar(123456789)
    b = a * Scalar(987654321)
    w = G2Point() * Scalar(987654321)
    minus_bp2 = -G2Point()

    def multi_pairing() -> object:
        return GT.multi_pairing([a, b], [w, minus_bp2]) == GT.one()

    def pairing_check() -> object:
        return GT.pairing_check([a, b], [w, minus_bp2])

    return {"GT.multi_pairing": multi_pairing, "GT.pairing_check": pairing_check}


def _cheapest_floor() -> tuple[str, Callable[[], object]]:
    floors = _floors()
    costs = {
        name: min(timeit.repeat(op, number=20, repeat=5)) for name, op in floors.items()
    }
    name = min(costs, key=costs.__getitem__)
    return f"{name} (2 pairs)", floors[name]


def run(session: Session) -> None:
    floor_name, floor = _cheapest_floor()
    for backend_name, rounds in (("arkworks", None), ("py_ecc", 3)):
        backend = get_backend(backend_name)
        sk = bbs.key_gen(b"zkcheck benchmark key material, 32+ bytes", b"", backend_name.encode())
        pk = bbs.sk_to_pk(sk, backend=backend)
        signature = bbs.sign(sk, pk, HEADER, MESSAGES, backend=backend)
        proof = bbs.proof_gen(pk, signature, HEADER, PH, MESSAGES, DISCLOSED, backend=backend)
        disclosed = [MESSAGES[i] for i in DISCLOSED]
        slow = {"rounds": rounds, "min_batch_s": 0.0} if rounds else {}
        session.measure(
            f"bbs sign 10 msgs [{backend_name}]",
            lambda: bbs.sign(sk, pk, HEADER, MESSAGES, backend=backend),  # noqa: B023
            floor=floor,
            floor_name=floor_name,
            **slow,  # type: ignore[arg-type]
        )
        session.measure(
            f"bbs verify 10 msgs [{backend_name}]",
            lambda: bbs.verify(pk, signature, HEADER, MESSAGES, backend=backend),  # noqa: B023
            floor=floor,
            floor_name=floor_name,
            **slow,  # type: ignore[arg-type]
        )
        session.measure(
            f"bbs proof_gen 10 msgs 1 disclosed [{backend_name}]",
            lambda: bbs.proof_gen(  # noqa: B023
                pk, signature, HEADER, PH, MESSAGES, DISCLOSED, backend=backend
            ),
            floor=floor,
            floor_name=floor_name,
            **slow,  # type: ignore[arg-type]
        )
        session.measure(
            f"bbs proof_verify 10 msgs 1 disclosed [{backend_name}]",
            lambda: bbs.proof_verify(  # noqa: B023
                pk, proof, HEADER, PH, disclosed, DISCLOSED, backend=backend
            ),
            floor=floor,
            floor_name=floor_name,
            bound=PROOF_VERIFY_BOUND if backend_name == "arkworks" else None,
            **slow,  # type: ignore[arg-type]
        )
