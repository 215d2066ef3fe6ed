"""The BLS12-381 backends: checked decoding, arithmetic, pairing, selection.

Also records the facts about py-arkworks-bls12381 0.5.0 that zkcheck guards
against, so that an upgrade that changes them is noticed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from bls_points import (
    G1_IDENTITY,
    G2_IDENTITY,
    NON_CANONICAL_G1_IDENTITY,
    NON_CANONICAL_G2_IDENTITY,
    g1_off_curve,
    g1_outside_subgroup,
    g1_unreduced,
    g2_off_curve,
    g2_outside_subgroup,
)
from py_arkworks_bls12381 import G1Point, Scalar

from zkcheck.errors import DecodeError
from zkcheck.hazmat.backend import (
    BACKEND_ENV,
    FIELD_MODULUS,
    GROUP_ORDER,
    Backend,
    get_backend,
)
from zkcheck.hazmat.backend._arkworks import GLV_LAMBDA

# Base points, from draft-irtf-cfrg-bbs-signatures-09 Appendix B.
BP1 = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac58"
    "6c55e83ff97a1aeffb3af00adb22c6bb"
)
BP2 = bytes.fromhex(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049"
    "334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051"
    "c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
)


@pytest.fixture(
    params=[
        "arkworks",
        "py_ecc",
        pytest.param(
            "arkworks+blst",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("pyblst") is None, reason="optional pyblst not installed"
            ),
        ),
    ]
)
def backend(request: pytest.FixtureRequest) -> Backend:
    return get_backend(request.param)


def test_base_points_round_trip(backend: Backend) -> None:
    assert backend.g1_to_bytes(backend.g1_from_bytes(BP1)) == BP1
    assert backend.g2_to_bytes(backend.g2_generator()) == BP2
    assert backend.g2_to_bytes(backend.g2_from_bytes(BP2)) == BP2


def test_identity_is_decoded_only_in_canonical_form(backend: Backend) -> None:
    assert backend.g1_is_identity(backend.g1_from_bytes(G1_IDENTITY))
    assert backend.g2_is_identity(backend.g2_from_bytes(G2_IDENTITY))
    for encoding in NON_CANONICAL_G1_IDENTITY:
        with pytest.raises(DecodeError):
            backend.g1_from_bytes(encoding)
    for encoding in NON_CANONICAL_G2_IDENTITY:
        with pytest.raises(DecodeError):
            backend.g2_from_bytes(encoding)


def test_g1_decoding_rejects_malformed_points(backend: Backend) -> None:
    for encoding in (
        g1_off_curve(),
        g1_outside_subgroup(),
        g1_unreduced(g1_outside_subgroup()),
        BP1[:47],
        BP1 + b"\0",
        bytes([BP1[0] & 0x7F]) + BP1[1:],  # compression flag clear
        bytes([BP1[0] | 0x40]) + BP1[1:],  # infinity flag on a finite point
    ):
        with pytest.raises(DecodeError):
            backend.g1_from_bytes(encoding)


def test_g1_decoding_rejects_unreduced_coordinate(backend: Backend) -> None:
    # x + p of an on-curve point of G1 with small x: take a multiple of BP1
    # whose x is small enough; found by search over the first multiples.
    bp1 = backend.g1_from_bytes(BP1)
    for k in range(2, 200):
        encoding = backend.g1_to_bytes(backend.g1_mul(bp1, k))
        x = int.from_bytes(encoding, "big") & ((1 << 381) - 1)
        if x + FIELD_MODULUS < 1 << 381:
            break
    else:  # pragma: no cover
        pytest.fail("no small-x multiple found")
    with pytest.raises(DecodeError):
        backend.g1_from_bytes(g1_unreduced(encoding))


def test_g2_decoding_rejects_malformed_points(backend: Backend) -> None:
    for encoding in (
        g2_off_curve(),
        g2_outside_subgroup(),
        BP2[:95],
        BP2 + b"\0",
        bytes([BP2[0] & 0x7F]) + BP2[1:],
    ):
        with pytest.raises(DecodeError):
            backend.g2_from_bytes(encoding)


def test_arithmetic_agrees_across_backends() -> None:
    ark, ref = get_backend("arkworks"), get_backend("py_ecc")
    scalars = [0, 1, 2, GLV_LAMBDA, GLV_LAMBDA + 1, GROUP_ORDER - 1, 0x1234567890ABCDEF << 130]
    results = []
    for backend in (ark, ref):
        base = backend.g1_from_bytes(BP1)
        points = [backend.g1_mul(base, k + 3) for k in range(len(scalars))]
        msm = backend.g1_msm(points, scalars)
        separate = backend.g1_identity()
        for point, k in zip(points, scalars, strict=True):
            separate = backend.g1_add(separate, backend.g1_mul(point, k))
        assert backend.g1_eq(msm, separate)
        neg = backend.g1_add(msm, backend.g1_neg(msm))
        assert backend.g1_is_identity(neg)
        w = backend.g2_mul(backend.g2_generator(), 5)
        results.append((backend.g1_to_bytes(msm), backend.g2_to_bytes(w)))
    assert results[0] == results[1]


def test_msm_checks_lengths(backend: Backend) -> None:
    base = backend.g1_from_bytes(BP1)
    with pytest.raises(ValueError):
        backend.g1_msm([base, base], [1])
    assert backend.g1_is_identity(backend.g1_msm([], []))


def test_pairing_product(backend: Backend) -> None:
    p = backend.g1_from_bytes(BP1)
    q = backend.g2_generator()
    # h(P * 6, Q) * h(-P, Q * 6) = 1, and h(P, Q) alone is not 1.
    assert backend.pairing_product_is_one(
        [(backend.g1_mul(p, 6), q), (backend.g1_neg(p), backend.g2_mul(q, 6))]
    )
    assert not backend.pairing_product_is_one([(p, q)])
    assert not backend.pairing_product_is_one(
        [(backend.g1_mul(p, 6), q), (backend.g1_neg(p), backend.g2_mul(q, 7))]
    )


def test_map_to_g1_agrees_across_backends() -> None:
    for u in (0, 1, 12345, FIELD_MODULUS - 1):
        encodings = {
            get_backend(name).g1_to_bytes(get_backend(name).map_to_g1(u))
            for name in ("arkworks", "py_ecc")
        }
        assert len(encodings) == 1


def test_glv_split_is_exact() -> None:
    # r = lambda^2 + lambda + 1, so k // lambda <= lambda + 1 < r for k < r.
    assert GLV_LAMBDA**2 + GLV_LAMBDA + 1 == GROUP_ORDER
    assert (GROUP_ORDER - 1) // GLV_LAMBDA <= GLV_LAMBDA + 1


def test_backend_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    installed = importlib.util.find_spec("pyblst") is not None
    assert get_backend().name == ("arkworks+blst" if installed else "arkworks")
    monkeypatch.setenv(BACKEND_ENV, "arkworks")
    assert get_backend().name == "arkworks"
    monkeypatch.setenv(BACKEND_ENV, "py_ecc")
    assert get_backend().name == "py_ecc"
    assert get_backend("arkworks").name == "arkworks"
    with pytest.raises(ValueError):
        get_backend("openssl")


def test_default_without_pyblst_is_arkworks_alone() -> None:
    # A fresh interpreter in which pyblst cannot be imported, as where the
    # optional package is not installed.
    script = (
        "import os, sys; sys.modules['pyblst'] = None; os.environ.pop('ZKCHECK_BACKEND', None)\n"
        "from zkcheck.hazmat.backend import get_backend\n"
        "print(get_backend().name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "arkworks"


def test_arkworks_facts_zkcheck_guards_against() -> None:
    """py-arkworks-bls12381 0.5.0 behaviour that the backend must compensate for."""
    # Non-canonical encodings of infinity are accepted by the library...
    for encoding in NON_CANONICAL_G1_IDENTITY[:3]:
        assert G1Point.from_compressed_bytes(encoding) == G1Point.identity()
    # ...Scalar(int) reduces modulo r, only from_be_bytes refuses r...
    assert Scalar(GROUP_ORDER + 5) == Scalar(5)
    with pytest.raises(ValueError):
        Scalar.from_be_bytes(GROUP_ORDER.to_bytes(32, "big"))
    # ...and multi-scalar multiplication truncates mismatched lists.
    g = G1Point()
    assert G1Point.multiexp_unchecked([g, g], [Scalar(1)]) == g


def test_loading_py_ecc_keeps_the_recursion_limit() -> None:
    # py_ecc raises the limit to 100000 when imported; left there, deeply
    # nested JSON elsewhere in the process overflows the C stack (a crash
    # seen in this suite) instead of raising RecursionError.
    code = (
        "import sys; before = sys.getrecursionlimit();"
        "from zkcheck.hazmat.backend import get_backend; get_backend('py_ecc');"
        "assert sys.getrecursionlimit() == before, sys.getrecursionlimit()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
