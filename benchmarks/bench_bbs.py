"""BBS (draft-irtf-cfrg-bbs-signatures-09): sign, verify, proof_gen, proof_verify.

Ten messages, one disclosed, ciphersuite BLS12-381-SHA-256, on both backends
(py_ecc with few rounds: one operation takes seconds). The floor is the
cheapest thing proof verification cannot avoid: a two-pair pairing product
check on pre-decoded points, the cheaper of arkworks' ``GT.multi_pairing``
(compared with ``GT.one()``) and ``GT.pairing_check``, chosen in the same run.
The acceptance bound is proof_verify <= 2.0 x that floor, for the default
backend: ``arkworks+blst`` where the optional pyblst is installed (as
``make bench`` installs it), else ``arkworks``. Both are measured when both
are installed, so the cost of going without pyblst stays visible.

When the optional pyblst package is installed, the run also measures whether
blst would pay for the pairing: a two-pair check with the per-key G2 points
converted once, and the two per-proof G1 points (Abar, Bbar) converted from
their compressed bytes each time, as a hybrid backend would have to.
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


def _decoded(point: G1Point) -> G1Point:
    # Decoded points are in affine form, as Abar and Bbar are when verifying.
    return G1Point.from_compressed_bytes(point.to_compressed_bytes())


def _floors() -> dict[str, Callable[[], object]]:
    a = _decoded(G1Point() * Scalar(123456789))
    b = _decoded(a * Scalar(987654321))
    w = G2Point.from_compressed_bytes((G2Point() * Scalar(987654321)).to_compressed_bytes())
    minus_bp2 = -G2Point()

    def multi_pairing() -> object:
        return GT.multi_pairing([a, b], [w, minus_bp2]) == GT.one()

    def pairing_check() -> object:
        return GT.pairing_check([a, b], [w, minus_bp2])

    return {"GT.multi_pairing": multi_pairing, "GT.pairing_check": pairing_check}


def cheapest_floor() -> tuple[str, Callable[[], object]]:
    """The floor every BBS benchmark uses: the cheaper two-pair pairing check, and its name."""
    floors = _floors()
    costs = {name: min(timeit.repeat(op, number=20, repeat=5)) for name, op in floors.items()}
    name = min(costs, key=costs.__getitem__)
    return f"{name} (2 pairs)", floors[name]


def _blst_pairing(session: Session, floor: Callable[[], object], floor_name: str) -> bool:
    """Measure blst's two-pair check; False when pyblst is not installed."""
    try:
        from pyblst import (  # type: ignore[import-not-found,unused-ignore]
            BlstP1Element,
            BlstP2Element,
            final_verify,
            miller_loop,
        )
    except ImportError:
        print("  pyblst not installed: the blst pairing is not measured")
        return False
    abar = G1Point() * Scalar(123456789)
    bbar = abar * Scalar(987654321)
    abar_octets, bbar_octets = abar.to_compressed_bytes(), bbar.to_compressed_bytes()
    w = BlstP2Element.uncompress((G2Point() * Scalar(987654321)).to_compressed_bytes())
    bp2 = BlstP2Element.uncompress(G2Point().to_compressed_bytes())

    def blst_check() -> object:
        # e(Abar, W) == e(Bbar, BP2), the same equation as h(Abar, W) * h(Bbar, -BP2) = 1.
        left = miller_loop(BlstP1Element.uncompress(abar_octets), w)
        right = miller_loop(BlstP1Element.uncompress(bbar_octets), bp2)
        if not final_verify(left, right):
            raise AssertionError("the blst pairing check failed")
        return True

    session.measure(
        "pyblst 2-pair check incl. G1 conversion",
        blst_check,
        floor=floor,
        floor_name=floor_name,
        note="below 1.0x: a blst pairing pays by (1 - ratio) floors per verification",
    )
    return True


def _measure_backend(
    session: Session,
    backend_name: str,
    floor: Callable[[], object],
    floor_name: str,
    *,
    rounds: int | None,
    operations: tuple[str, ...],
) -> None:
    backend = get_backend(backend_name)
    sk = bbs.key_gen(b"zkcheck benchmark key material, 32+ bytes")
    pk = bbs.sk_to_pk(sk, backend=backend)
    signature = bbs.sign(sk, pk, HEADER, MESSAGES, backend=backend)
    proof = bbs.proof_gen(pk, signature, HEADER, PH, MESSAGES, DISCLOSED, backend=backend)
    disclosed = [MESSAGES[i] for i in DISCLOSED]
    ops: dict[str, Callable[[], object]] = {
        "sign 10 msgs": lambda: bbs.sign(sk, pk, HEADER, MESSAGES, backend=backend),
        "verify 10 msgs": lambda: bbs.verify(pk, signature, HEADER, MESSAGES, backend=backend),
        "proof_gen 10 msgs 1 disclosed": lambda: bbs.proof_gen(
            pk, signature, HEADER, PH, MESSAGES, DISCLOSED, backend=backend
        ),
        "proof_verify 10 msgs 1 disclosed": lambda: bbs.proof_verify(
            pk, proof, HEADER, PH, disclosed, DISCLOSED, backend=backend
        ),
    }
    # The bound is the default backend's: the fastest one installed.
    bounded = backend_name == get_backend().name
    for operation in operations:
        bound = PROOF_VERIFY_BOUND if bounded and operation.startswith("proof_verify") else None
        session.measure(
            f"bbs {operation} [{backend_name}]",
            ops[operation],
            floor=floor,
            floor_name=floor_name,
            bound=bound,
            rounds=rounds,
            min_batch_s=0.0 if rounds else None,
        )


def run(session: Session) -> None:
    floor_name, floor = cheapest_floor()
    every = (
        "sign 10 msgs",
        "verify 10 msgs",
        "proof_gen 10 msgs 1 disclosed",
        "proof_verify 10 msgs 1 disclosed",
    )
    _measure_backend(session, "arkworks", floor, floor_name, rounds=None, operations=every)
    if _blst_pairing(session, floor, floor_name):
        _measure_backend(
            session,
            "arkworks+blst",
            floor,
            floor_name,
            rounds=None,
            operations=("verify 10 msgs", "proof_verify 10 msgs 1 disclosed"),
        )
    # py_ecc: a few rounds only, each call takes a large fraction of a second.
    _measure_backend(session, "py_ecc", floor, floor_name, rounds=3, operations=every)
