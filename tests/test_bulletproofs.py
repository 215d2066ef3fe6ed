"""Version 2 of the predicate proofs (spec/09-predicate-proofs.md, "Version 2"): aggregated
Bulletproofs range proofs linked to a real BBS proof.

The range proof alone is tested against an independent prover, verifier and simulator
written in tests/presentation_v2_harness.py from the steps of chapter 9 and the paper's
equations; the cheating provers are that independent prover given digits or commitments
that lie. Whole presentations run through the same harness with a real BBS signature over
a layout-1 credential. Each cheating proof must be rejected with InvalidProof (or
DecodeError for malformed bytes).
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import secrets
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import bls_points
from tests import presentation_v2_harness as v2h
from tests.credential_world import ALICE, make_credential_world
from tests.predicate_harness import (
    BACKEND,
    BIRTH_DAY,
    CIPHERSUITE,
    CONTRACT_START_DAY,
    DEVICE_CHANGE_HOUR,
    DISCLOSED,
    HOME_COUNTRY,
    ISSUE_HOUR,
    PK,
    SIM_CHANGE_HOUR,
    UNDISCLOSED,
    Credential,
    country,
    issue,
)
from tests.presentation_v2_harness import (
    API_ID,
    Y_0,
    Y_1,
    CommittedLink,
    HonestLink,
    Presentation,
    Recorded,
    bits_of,
    commit,
    digit_range_prover,
    package_accepts,
    present,
    random_scalar,
    reference_challenges,
    reference_prove,
    reference_verify,
    verify,
)
from zkcheck.claims import Check
from zkcheck.encoding import cbor
from zkcheck.encoding.messages import Presentation as PresentationMessage
from zkcheck.errors import DecodeError, InvalidProof, ZkcheckError
from zkcheck.hazmat import bbs, bulletproofs, credential, range_proof_v2
from zkcheck.hazmat import predicate_statements as statements
from zkcheck.hazmat.backend import FIELD_MODULUS, G1, get_backend
from zkcheck.hazmat.backend import GROUP_ORDER as R
from zkcheck.hazmat.bulletproofs import RangeProof
from zkcheck.hazmat.predicate_parameters import predicate_generators
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource

T = 1_760_000_000
"""The verifier's time: 2025-10-09T08:53:20Z."""
PH = b"request digest of the verifier's stored request"
CONTEXT = b"items 1 to 8 of a version-2 challenge input"
TOP = (1 << 16) - 1
HOUR = statements.hour_ceil(T)

AGE_18 = range_proof_v2.widened(statements.age_over(18, T, BIRTH_DAY))
FRESH = range_proof_v2.widened(statements.issued_within(24, T, ISSUE_HOUR))
SIM = range_proof_v2.widened(statements.sim_swap(72, T, SIM_CHANGE_HOUR))
DEVICE = range_proof_v2.widened(statements.device_swap(72, T, DEVICE_CHANGE_HOUR))
TENURE = range_proof_v2.widened(statements.tenure(12, T, CONTRACT_START_DAY))
IBERIA = statements.home_country_in("IB", [country("ES"), country("PT")], T, HOME_COUNTRY)


def _credential(**facts: int) -> Credential:
    defaults = {
        "issue_hour": HOUR - 3,
        "birth_day": AGE_18.cutoff - 6000,
        "sim_change_hour": SIM.cutoff - 2000,
        "device_change_hour": DEVICE.cutoff - 1000,
        "contract_start_day": TENURE.cutoff - 400,
        "home_country": country("PT"),
    }
    return issue(**{**defaults, **facts})


ADULT = _credential()


def _proof(count: int, values: Sequence[int] | None = None) -> tuple[list[G1], RangeProof]:
    """An honest range proof of the package's prover over CONTEXT."""
    values = (
        list(values) if values is not None else [secrets.randbelow(1 << 16) for _ in range(count)]
    )
    blindings = [random_scalar() for _ in values]
    commitments = [commit(v, g) for v, g in zip(values, blindings, strict=True)]
    proof = bulletproofs.prove(
        CONTEXT,
        commitments,
        list(zip(values, blindings, strict=True)),
        ScalarSource(),
        api_id=API_ID,
        ciphersuite=CIPHERSUITE,
    )
    return commitments, proof


def _msm_is_identity(points: Sequence[G1], scalars: Sequence[int]) -> bool:
    return BACKEND.g1_is_identity(BACKEND.g1_msm(list(points), list(scalars)))


# -- generators ---------------------------------------------------------------------------------


def test_range_generators_are_derived_from_the_versioned_tag() -> None:
    assert bulletproofs.RANGE_GEN_PREFIX == b"ZKCHECK_PRED_V2_BULLETPROOFS_"
    assert len(bulletproofs.range_gen_api(API_ID)) == 90
    assert bulletproofs.range_dst(API_ID) == API_ID + b"PRED_V2_RANGE_H2S_"
    assert len(bulletproofs.range_dst(API_ID)) == 79
    assert range_proof_v2.challenge_dst(API_ID) == API_ID + b"PRESENTATION_V2_H2S_"
    assert len(range_proof_v2.challenge_dst(API_ID)) == 81
    assert range_proof_v2.batch_dst(API_ID) == API_ID + b"PRED_V2_BATCH_"
    assert range_proof_v2.PROTOCOL_ID == b"ZKCHECK-PRESENTATION-V2"
    # (U, G_0, H_0, G_1, H_1, ...) = create_generators(257, RANGE_GEN_API), in that order.
    created = bbs.create_generators(
        257, b"ZKCHECK_PRED_V2_BULLETPROOFS_" + API_ID, ciphersuite=CIPHERSUITE
    )
    gens = bulletproofs.range_generators(API_ID, 8, ciphersuite=CIPHERSUITE)
    expected = [
        created[0],
        *(p for q in range(128) for p in (created[1 + 2 * q], created[2 + 2 * q])),
    ]
    actual = [gens.U, *(p for pair in zip(gens.G, gens.H, strict=True) for p in pair)]
    assert [BACKEND.g1_to_bytes(p) for p in actual] == [BACKEND.g1_to_bytes(p) for p in expected]
    # A proof for fewer values uses a prefix of the same sequence.
    small = bulletproofs.range_generators(API_ID, 1, ciphersuite=CIPHERSUITE)
    assert len(small.G) == len(small.H) == 16
    assert [BACKEND.g1_to_bytes(p) for p in small.G] == [
        BACKEND.g1_to_bytes(p) for p in gens.G[:16]
    ]
    y_0, y_1 = predicate_generators(API_ID, ciphersuite=CIPHERSUITE)
    assert BACKEND.g1_eq(small.Y_0, y_0) and BACKEND.g1_eq(small.Y_1, y_1)


def test_range_generators_differ_from_every_other_generator() -> None:
    gens = bulletproofs.range_generators(API_ID, 8, ciphersuite=CIPHERSUITE)
    ours = [BACKEND.g1_to_bytes(p) for p in (gens.U, *gens.G, *gens.H)]
    assert len(set(ours)) == 257
    assert not any(BACKEND.g1_is_identity(p) for p in (gens.U, *gens.G, *gens.H))
    theirs = {
        BACKEND.g1_to_bytes(CIPHERSUITE.P1),
        BACKEND.g1_to_bytes(Y_0),
        BACKEND.g1_to_bytes(Y_1),
    }
    for api_id in (API_ID, CIPHERSUITE.api_id):
        for generator in (
            *bbs.create_generators(16, api_id, ciphersuite=CIPHERSUITE),
            *bbs.create_generators(8, b"BLIND_" + api_id, ciphersuite=CIPHERSUITE),
        ):
            theirs.add(BACKEND.g1_to_bytes(generator))
    theirs.update(BACKEND.g1_to_bytes(p) for p in credential.generators(CIPHERSUITE))
    assert len(theirs) == 3 + 2 * 24
    assert not set(ours) & theirs


# -- the range proof alone ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8])
def test_aggregated_range_proofs_verify_for_random_and_boundary_values(count: int) -> None:
    values = [secrets.randbelow(1 << 16) for _ in range(count)]
    values[0] = 0
    values[-1] = TOP
    commitments, proof = _proof(count, values)
    bulletproofs.verify(CONTEXT, commitments, proof, api_id=API_ID, ciphersuite=CIPHERSUITE)
    octets = bulletproofs.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)
    assert len(octets) == bulletproofs.proof_length(count)
    decoded = bulletproofs.octets_to_range_proof(octets, count, ciphersuite=CIPHERSUITE)
    assert bulletproofs.range_proof_to_octets(decoded, ciphersuite=CIPHERSUITE) == octets
    bulletproofs.verify(CONTEXT, commitments, decoded, api_id=API_ID, ciphersuite=CIPHERSUITE)
    # The same proof for another value list, or under another context, fails.
    with pytest.raises(InvalidProof):
        bulletproofs.verify(
            CONTEXT + b"!", commitments, proof, api_id=API_ID, ciphersuite=CIPHERSUITE
        )


def test_prover_refuses_false_statements() -> None:
    blinding = random_scalar()
    for value in (1 << 16, R - 1):
        with pytest.raises(ValueError, match="outside"):
            bulletproofs.prove(
                CONTEXT,
                [commit(value, blinding)],
                [(value, blinding)],
                ScalarSource(),
                api_id=API_ID,
                ciphersuite=CIPHERSUITE,
            )
    with pytest.raises(ValueError, match="does not open"):
        bulletproofs.prove(
            CONTEXT,
            [commit(5, blinding)],
            [(6, blinding)],
            ScalarSource(),
            api_id=API_ID,
            ciphersuite=CIPHERSUITE,
        )
    for count in (0, 9):
        with pytest.raises(ValueError):
            bulletproofs.slot_count(count)


def test_independent_prover_is_accepted() -> None:
    for values in ([TOP], [0, 12345], [1, 2, TOP]):
        slots = bulletproofs.slot_count(len(values))
        blindings = [random_scalar() for _ in values]
        commitments = [commit(v, g) for v, g in zip(values, blindings, strict=True)]
        run = reference_prove(
            CONTEXT, commitments, bits_of(values, slots), [*blindings, *[0] * (slots - len(values))]
        )
        assert package_accepts(CONTEXT, commitments, run.proof)
        # Both transcripts give the same challenges.
        assert (
            bulletproofs.derive_challenges(
                CONTEXT, commitments, run.proof, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
            == run.challenges
        )


def _tampered(proof: RangeProof) -> list[tuple[str, RangeProof]]:
    """One changed element at a time: a point plus Y_0, or a scalar plus 1."""
    plus = BACKEND.g1_add
    cases = [
        ("A", proof._replace(A=plus(proof.A, Y_0))),
        ("S", proof._replace(S=plus(proof.S, Y_0))),
        ("T1", proof._replace(T1=plus(proof.T1, Y_0))),
        ("T2", proof._replace(T2=plus(proof.T2, Y_1))),
        ("tau_x", proof._replace(tau_x=(proof.tau_x + 1) % R)),
        ("mu", proof._replace(mu=(proof.mu + 1) % R)),
        ("t_hat", proof._replace(t_hat=(proof.t_hat + 1) % R)),
        ("a", proof._replace(a=(proof.a + 1) % R)),
        ("b", proof._replace(b=(proof.b + 1) % R)),
    ]
    for i in range(len(proof.L)):
        ls, rs = list(proof.L), list(proof.R)
        ls[i] = plus(ls[i], Y_0)
        cases.append((f"L_{i + 1}", proof._replace(L=tuple(ls))))
        rs = list(proof.R)
        rs[i] = plus(rs[i], Y_0)
        cases.append((f"R_{i + 1}", proof._replace(R=tuple(rs))))
    # L_1 and R_1 swapped: every value honest, in the wrong place.
    cases.append(
        ("L_1 <-> R_1", proof._replace(L=(proof.R[0], *proof.L[1:]), R=(proof.L[0], *proof.R[1:])))
    )
    return cases


def test_tampered_elements_are_rejected() -> None:
    commitments, proof = _proof(2)
    assert package_accepts(CONTEXT, commitments, proof)
    for name, tampered in _tampered(proof):
        with pytest.raises(InvalidProof):
            bulletproofs.verify(
                CONTEXT, commitments, tampered, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
        # Through the wire too: the tampered proof decodes, and fails.
        octets = bulletproofs.range_proof_to_octets(tampered, ciphersuite=CIPHERSUITE)
        decoded = bulletproofs.octets_to_range_proof(octets, 2, ciphersuite=CIPHERSUITE)
        assert not package_accepts(CONTEXT, commitments, decoded), name


def test_single_msm_agrees_with_the_folded_equations() -> None:
    """The table of RangeVerify against E_t and the inner-product argument checked apart."""
    for count in (1, 2, 3):
        commitments, proof = _proof(count)
        challenges = reference_challenges(CONTEXT, commitments, proof)
        assert reference_verify(commitments, proof, challenges)
        assert package_accepts(CONTEXT, commitments, proof)
        for _, tampered in _tampered(proof)[:9] + _tampered(proof)[-3:]:
            tampered_challenges = reference_challenges(CONTEXT, commitments, tampered)
            assert not reference_verify(commitments, tampered, tampered_challenges)
            assert not package_accepts(CONTEXT, commitments, tampered)
    # Both accept a simulated proof under the challenges it was made for, and both
    # reject it when one of those challenges changes.
    commitments, proof, challenges = v2h.simulate(2)
    points, scalars = bulletproofs.verification_terms(
        proof, commitments, challenges, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    assert reference_verify(commitments, proof, challenges)
    assert _msm_is_identity(points, scalars)
    for changed in (
        challenges._replace(y=challenges.y + 1),
        challenges._replace(z=challenges.z + 1),
        challenges._replace(x=challenges.x + 1),
        challenges._replace(w=challenges.w + 1),
        challenges._replace(u=(challenges.u[0] + 1, *challenges.u[1:])),
    ):
        points, scalars = bulletproofs.verification_terms(
            proof, commitments, changed, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        assert not reference_verify(commitments, proof, changed)
        assert not _msm_is_identity(points, scalars)
    # beta only weights: any non-zero beta accepts a proof whose equations both hold.
    points, scalars = bulletproofs.verification_terms(
        proof, commitments, challenges._replace(beta=7), api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    assert _msm_is_identity(points, scalars)


def _reference(values: Sequence[int], digits: Sequence[int]) -> tuple[list[G1], RangeProof]:
    """The independent prover on commitments to ``values`` (scalars mod r) with ``digits``."""
    slots = bulletproofs.slot_count(len(values))
    blindings = [random_scalar() for _ in values]
    commitments = [commit(v, g) for v, g in zip(values, blindings, strict=True)]
    run = reference_prove(CONTEXT, commitments, digits, [*blindings, *[0] * (slots - len(values))])
    return commitments, run.proof


def test_values_outside_the_range_are_rejected() -> None:
    # The control: the same prover with true bits is accepted.
    commitments, proof = _reference([TOP], bits_of([TOP], 1))
    assert package_accepts(CONTEXT, commitments, proof)
    cases = {
        # d = 2^16: its 16 low bits are all 0.
        "2^16": ([1 << 16], bits_of([0], 1)),
        # A negative difference wraps modulo r: r - 5 and its 16 low bits.
        "r - 5": ([R - 5], bits_of([(R - 5) % (1 << 16)], 1)),
        # The 17-year-old's d = -1.
        "-1": ([R - 1], bits_of([TOP], 1)),
        # A digit 2 in the top place, so that the digits still sum to 2^16.
        "digit 2": ([1 << 16], [0] * 15 + [2]),
        # One of two aggregated values is out of range.
        "second of two": ([7, 1 << 16], bits_of([7, 0], 2)),
    }
    for name, (values, digits) in cases.items():
        commitments, proof = _reference(values, digits)
        assert not package_accepts(CONTEXT, commitments, proof), name
        assert not reference_verify(
            commitments, proof, reference_challenges(CONTEXT, commitments, proof)
        ), name


def test_range_challenges_cover_the_statement() -> None:
    # A prover whose challenges hash no commitment can choose V after y and z: such a
    # forgery satisfies the single MSM under its own (weak) challenges, for a value that
    # is almost surely far outside the range, and zkcheck's transcript rejects it.
    forgery = reference_prove(
        CONTEXT, [], bits_of([5], 1), [0], hashed_commitments=[], commit_after_challenges=True
    )
    points, scalars = bulletproofs.verification_terms(
        forgery.proof,
        forgery.commitments,
        forgery.challenges,
        api_id=API_ID,
        ciphersuite=CIPHERSUITE,
    )
    assert _msm_is_identity(points, scalars)
    assert not package_accepts(CONTEXT, forgery.commitments, forgery.proof)
    # An honest proof whose transcript left out the commitments, or the context.
    values, blindings = [40000], [random_scalar()]
    commitments = [commit(values[0], blindings[0])]
    for context, hashed in ((CONTEXT, []), (b"", commitments)):
        run = reference_prove(
            context, commitments, bits_of(values, 1), blindings, hashed_commitments=hashed
        )
        assert not package_accepts(CONTEXT, commitments, run.proof)
    # One proof cannot serve another request, or commitments in another order.
    commitments, proof = _proof(2, [3, 4])
    assert not package_accepts(CONTEXT + b" of another request", commitments, proof)
    assert not package_accepts(CONTEXT, commitments[::-1], proof)


def test_padding_slots_are_the_verifiers_own() -> None:
    # A prover that puts 7 in the padding slot of three values (slot 3 of 4) fails: the
    # verifier's slot 3 is the identity, a commitment to 0.
    values = [1, 2, 3]
    blindings = [random_scalar() for _ in values]
    commitments = [commit(v, g) for v, g in zip(values, blindings, strict=True)]
    run = reference_prove(CONTEXT, commitments, bits_of([1, 2, 3, 7], 4), [*blindings, 0])
    assert not package_accepts(CONTEXT, commitments, run.proof)
    honest = reference_prove(CONTEXT, commitments, bits_of(values, 4), [*blindings, 0])
    assert package_accepts(CONTEXT, commitments, honest.proof)
    # A proof for three values (padded to four) does not verify for four commitments,
    # although both have the same length: M is hashed and the fourth slot is the verifier's.
    fourth = commit(0, random_scalar())
    assert bulletproofs.proof_length(3) == bulletproofs.proof_length(4)
    assert not package_accepts(CONTEXT, [*commitments, fourth], honest.proof)


# -- encodings ------------------------------------------------------------------------------------

_BAD_POINTS = {
    "off the curve": bls_points.g1_off_curve(),
    "outside G1": bls_points.g1_outside_subgroup(),
    "identity": bls_points.G1_IDENTITY,
    **{
        f"non-canonical identity {i}": p for i, p in enumerate(bls_points.NON_CANONICAL_G1_IDENTITY)
    },
}
_BAD_SCALARS = {"zero": 0, "r": R, "r + 1": R + 1, "2^256 - 1": (1 << 256) - 1}


def _unreduced_point() -> bytes:
    """x + p in place of x, for a multiple of Y_0 whose x is small enough for that to fit."""
    for k in range(1, 200):
        encoding = BACKEND.g1_to_bytes(BACKEND.g1_mul(Y_0, k))
        if (int.from_bytes(encoding, "big") & ((1 << 381) - 1)) + FIELD_MODULUS < 1 << 381:
            return bls_points.g1_unreduced(encoding)
    raise AssertionError("no small-x multiple found")  # pragma: no cover


def _honest_octets() -> tuple[bytes, bytes]:
    """A link (V || gamma^) and a range proof for two values, as octets."""
    commitments, proof = _proof(2)
    link = range_proof_v2.link_proof_to_octets(
        range_proof_v2.LinkProof(commitments[0], random_scalar()), ciphersuite=CIPHERSUITE
    )
    return link, bulletproofs.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)


def test_invalid_points_and_scalars_are_rejected() -> None:
    link, aggregate = _honest_octets()
    decode_link: Callable[[bytes], object] = lambda octets: range_proof_v2.octets_to_link_proof(  # noqa: E731
        octets, ciphersuite=CIPHERSUITE
    )
    decode_range: Callable[[bytes], object] = lambda octets: bulletproofs.octets_to_range_proof(  # noqa: E731
        octets, 2, ciphersuite=CIPHERSUITE
    )
    decode_link(link)
    decode_range(aggregate)
    points_end = 48 * 14
    cases = [
        (decode_link, link, [0], [48]),
        # A, S, T1, T2, L_1, R_5; then tau_x, mu, t^, a, b.
        (
            decode_range,
            aggregate,
            [0, 48, 96, 144, 192, points_end - 48],
            [points_end + 32 * i for i in range(5)],
        ),
    ]
    unreduced = _unreduced_point()
    for decode, octets, point_offsets, scalar_offsets in cases:
        for offset in point_offsets:
            for bad in (*_BAD_POINTS.values(), unreduced):
                with pytest.raises(DecodeError):
                    decode(octets[:offset] + bad + octets[offset + 48 :])
        for offset in scalar_offsets:
            for value in _BAD_SCALARS.values():
                bad = (value % (1 << 256)).to_bytes(32, "big")
                with pytest.raises(DecodeError):
                    decode(octets[:offset] + bad + octets[offset + 32 :])
        for wrong_length in (octets[:-1], octets + b"\x00", octets[:-32], octets + bytes(48), b""):
            with pytest.raises(DecodeError):
                decode(wrong_length)
    # The whole presentation: an identity in place of V fails before any equation.
    presentation = present(ADULT, [HonestLink(AGE_18, ADULT[BIRTH_DAY])], [], PH)
    with pytest.raises(DecodeError):
        verify(
            Presentation(
                presentation.bbs_proof, bls_points.G1_IDENTITY + presentation.predicate_proof[48:]
            ),
            [AGE_18],
            PH,
            ADULT.disclosed_values,
        )


@given(data=st.binary(max_size=1200), count=st.integers(1, 8))
def test_decoders_raise_only_decode_errors(data: bytes, count: int) -> None:
    for decode in (
        lambda: range_proof_v2.octets_to_link_proof(data, ciphersuite=CIPHERSUITE),
        lambda: bulletproofs.octets_to_range_proof(data, count, ciphersuite=CIPHERSUITE),
        # Arbitrary bytes of exactly the right length reach the point and scalar checks.
        lambda: range_proof_v2.octets_to_link_proof(
            (data * 100)[:80] or bytes(1), ciphersuite=CIPHERSUITE
        ),
        lambda: bulletproofs.octets_to_range_proof(
            (data * 2000)[: bulletproofs.proof_length(count)] or bytes(1),
            count,
            ciphersuite=CIPHERSUITE,
        ),
    ):
        with contextlib.suppress(DecodeError):
            decode()


def test_proof_length_is_the_same_for_every_value() -> None:
    for count in (1, 5):
        lengths = set()
        for values in (
            [0] * count,
            [TOP] * count,
            [secrets.randbelow(1 << 16) for _ in range(count)],
        ):
            _, proof = _proof(count, values)
            lengths.add(len(bulletproofs.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)))
        assert lengths == {bulletproofs.proof_length(count)}
    assert [bulletproofs.proof_length(m) for m in range(1, 9)] == [
        736,
        832,
        928,
        928,
        1024,
        1024,
        1024,
        1024,
    ]


# -- nonces and states ----------------------------------------------------------------------------


def test_each_nonce_is_used_once() -> None:
    source = ScalarSource()
    commitment = range_proof_v2.prover_commit(
        AGE_18, ADULT[BIRTH_DAY], source, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    state = commitment.state
    assert "redacted" in repr(state) and str(ADULT[BIRTH_DAY]) not in repr(state)
    with pytest.raises(TypeError):
        pickle.dumps(state)
    with pytest.raises(TypeError):
        copy.deepcopy(commitment.bbs_nonce)
    commitment.bbs_nonce.read()
    with pytest.raises(RuntimeError):
        commitment.bbs_nonce.read()
    range_proof_v2.prove_ranges(CONTEXT, [state], source, api_id=API_ID, ciphersuite=CIPHERSUITE)
    # The opening enters one range proof only, and the link answers one challenge.
    with pytest.raises(RuntimeError):
        range_proof_v2.prove_ranges(
            CONTEXT, [state], source, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
    range_proof_v2.prover_response(state, 12345)
    with pytest.raises(RuntimeError):
        range_proof_v2.prover_response(state, 12345)


def test_version_2_statements_have_16_bits() -> None:
    narrow = statements.sim_swap(72, T, SIM_CHANGE_HOUR)
    assert narrow.bits == 12 and SIM.bits == 16
    assert (
        SIM.statement_octets()
        == narrow.statement_octets()[:-16]
        + (16).to_bytes(8, "big")
        + narrow.statement_octets()[-8:]
    )
    with pytest.raises(ValueError, match="n = 16"):
        range_proof_v2.prover_commit(
            narrow, ADULT[SIM_CHANGE_HOUR], ScalarSource(), api_id=API_ID, ciphersuite=CIPHERSUITE
        )
    link = range_proof_v2.LinkProof(Y_0, 1)
    with pytest.raises(ValueError, match="n = 16"):
        range_proof_v2.verifier_recompute(
            narrow, link, 1, 1, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
    # The widened range holds exactly where the difference is in [0, 2^16).
    assert SIM.holds(SIM.cutoff - TOP) and not SIM.holds(SIM.cutoff - TOP - 1)
    assert SIM.holds(SIM.cutoff) and not SIM.holds(SIM.cutoff + 1)


def test_simulator_output_is_accepted_without_the_witness() -> None:
    for count in (1, 3):
        commitments, proof, challenges = v2h.simulate(count)
        points, scalars = bulletproofs.verification_terms(
            proof, commitments, challenges, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
        assert _msm_is_identity(points, scalars)
        octets = bulletproofs.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)
        assert len(octets) == bulletproofs.proof_length(count)
        # Without the programmed oracle, the real challenges reject it.
        assert not package_accepts(CONTEXT, commitments, proof)


def test_reference_backend_agrees() -> None:
    """py_ecc derives the same challenges and accepts the native backend's range proof."""
    reference = bbs.get_ciphersuite(backend=get_backend("py_ecc"))
    commitments, proof = _proof(1, [TOP])
    octets = bulletproofs.range_proof_to_octets(proof, ciphersuite=CIPHERSUITE)
    v_octets = BACKEND.g1_to_bytes(commitments[0])
    decoded = bulletproofs.octets_to_range_proof(octets, 1, ciphersuite=reference)
    v_reference = [reference.backend.g1_from_bytes(v_octets)]
    assert bulletproofs.derive_challenges(
        CONTEXT, v_reference, decoded, api_id=API_ID, ciphersuite=reference
    ) == bulletproofs.derive_challenges(
        CONTEXT, commitments, proof, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    bulletproofs.verify(CONTEXT, v_reference, decoded, api_id=API_ID, ciphersuite=reference)
    with pytest.raises(InvalidProof):
        bulletproofs.verify(
            CONTEXT + b"!", v_reference, decoded, api_id=API_ID, ciphersuite=reference
        )


# -- whole presentations --------------------------------------------------------------------------


def _honest_links(
    holder: Credential, statement_list: Sequence[statements.RangeStatement]
) -> list[HonestLink]:
    return [HonestLink(s, holder[s.attribute]) for s in statement_list]


ALL_RANGES = [AGE_18, FRESH, SIM, DEVICE, TENURE]


def test_presentations_verify_for_every_range_check_and_boundary() -> None:
    # Every range at d = 0 (the birthday itself, a swap on the cutoff hour, ...).
    boundary = _credential(
        issue_hour=FRESH.cutoff,
        birth_day=AGE_18.cutoff,
        sim_change_hour=SIM.cutoff,
        device_change_hour=DEVICE.cutoff,
        contract_start_day=TENURE.cutoff,
    )
    # And at d = 2^16 - 1.
    far = _credential(
        issue_hour=FRESH.cutoff + TOP,
        birth_day=AGE_18.cutoff - TOP,
        sim_change_hour=SIM.cutoff - TOP,
        device_change_hour=DEVICE.cutoff - TOP,
        contract_start_day=TENURE.cutoff - TOP,
    )
    for holder in (boundary, far, ADULT):
        for ranges in (ALL_RANGES[:1], ALL_RANGES[:2], ALL_RANGES[:3], ALL_RANGES):
            presentation = present(holder, _honest_links(holder, ranges), [], PH)
            assert len(presentation.predicate_proof) == v2h.predicate_length(ranges)
            verify(presentation, ranges, PH, holder.disclosed_values)
    # Five ranges and a membership predicate together, and what changes make them fail.
    statement_list: list[statements.Statement] = [*ALL_RANGES, IBERIA]
    presentation = present(
        ADULT, _honest_links(ADULT, ALL_RANGES), [(IBERIA, ADULT[HOME_COUNTRY])], PH
    )
    assert len(presentation.predicate_proof) == 5 * 80 + (48 + 64 * 2) + 1024
    verify(presentation, statement_list, PH, ADULT.disclosed_values)
    with pytest.raises(InvalidProof):
        verify(presentation, statement_list, PH + b"!", ADULT.disclosed_values)
    other_expiry = [ADULT.disclosed_values[0], ADULT.disclosed_values[1] + 7]
    with pytest.raises(InvalidProof):
        verify(presentation, statement_list, PH, other_expiry)
    # The verifier's statements, not the presentation, fix what is proven.
    with pytest.raises(InvalidProof):
        verify(
            presentation,
            [
                *ALL_RANGES[:4],
                range_proof_v2.widened(statements.tenure(24, T, CONTRACT_START_DAY)),
                IBERIA,
            ],
            PH,
            ADULT.disclosed_values,
        )
    # The honest prover refuses the day after the boundary.
    short = _credential(birth_day=AGE_18.cutoff + 1)
    with pytest.raises(ValueError):
        present(short, _honest_links(short, [AGE_18]), [], PH)


def test_commitment_not_linked_to_the_signed_value_is_rejected() -> None:
    true_difference = AGE_18.difference(ADULT[BIRTH_DAY])
    # The control: the test's own link, with the true difference, is accepted.
    presentation = present(ADULT, [CommittedLink(AGE_18, true_difference)], [], PH)
    verify(presentation, [AGE_18], PH, ADULT.disclosed_values)
    # V of another value in range, proven in range honestly: the link fails.
    for other in (true_difference + 1, 0, TOP):
        presentation = present(ADULT, [CommittedLink(AGE_18, other)], [], PH)
        with pytest.raises(InvalidProof):
            verify(presentation, [AGE_18], PH, ADULT.disclosed_values)
    # The honest link with the BBS nonce placed at another attribute (the contract start,
    # whose difference to the age cutoff is also in range).
    holder = _credential(contract_start_day=ADULT[BIRTH_DAY])
    presentation = present(
        holder, [HonestLink(AGE_18, holder[BIRTH_DAY], link_to=CONTRACT_START_DAY)], [], PH
    )
    with pytest.raises(InvalidProof):
        verify(presentation, [AGE_18], PH, holder.disclosed_values)


def test_seventeen_year_old_cannot_prove_age_over_18() -> None:
    minor = _credential(birth_day=AGE_18.cutoff + 1)
    difference = AGE_18.difference(minor[BIRTH_DAY])
    assert difference == -1
    with pytest.raises(ValueError):
        range_proof_v2.prover_commit(
            AGE_18, minor[BIRTH_DAY], ScalarSource(), api_id=API_ID, ciphersuite=CIPHERSUITE
        )
    # An honest link to d = -1 (r - 1 modulo r), with a range proof of its 16 low bits.
    presentation = present(
        minor, [CommittedLink(AGE_18, difference % R)], [], PH, range_prover=digit_range_prover
    )
    with pytest.raises(InvalidProof):
        verify(presentation, [AGE_18], PH, minor.disclosed_values)
    # The package's range prover refuses such a value outright.
    with pytest.raises(ValueError):
        present(minor, [CommittedLink(AGE_18, difference % R)], [], PH)
    # Changing the date or the threshold: a statement the minor satisfies, hashed and
    # proven, against the verifier's own statement.
    for own in (
        range_proof_v2.widened(statements.age_over(18, T + 86400, BIRTH_DAY)),
        range_proof_v2.widened(statements.age_over(17, T, BIRTH_DAY)),
    ):
        presentation = present(minor, [HonestLink(own, minor[BIRTH_DAY])], [], PH)
        verify(presentation, [own], PH, minor.disclosed_values)
        with pytest.raises(InvalidProof):
            verify(presentation, [AGE_18], PH, minor.disclosed_values)


def test_presentation_challenge_covers_the_range_proof() -> None:
    recorded = Recorded()
    presentation = present(ADULT, [HonestLink(AGE_18, ADULT[BIRTH_DAY])], [], PH, record=recorded)
    verify(presentation, [AGE_18], PH, ADULT.disclosed_values)
    # A second, valid range proof for the same commitment and context, put in after c.
    again = v2h.package_range_prover(recorded.context, recorded.commitments, recorded.openings)
    replaced = presentation.predicate_proof[:80] + again
    assert replaced != presentation.predicate_proof
    decoded = bulletproofs.octets_to_range_proof(again, 1, ciphersuite=CIPHERSUITE)
    assert package_accepts(recorded.context, recorded.commitments, decoded)
    with pytest.raises(InvalidProof):
        verify(Presentation(presentation.bbs_proof, replaced), [AGE_18], PH, ADULT.disclosed_values)
    # A challenge that leaves the range proof out of item 9.
    unhashed = present(
        ADULT, [HonestLink(AGE_18, ADULT[BIRTH_DAY])], [], PH, hash_range_proof=False
    )
    with pytest.raises(InvalidProof):
        verify(unhashed, [AGE_18], PH, ADULT.disclosed_values)


def i2osp(value: int, length: int = 8) -> bytes:
    return value.to_bytes(length, "big")


def _flip(octets: bytes, position: int) -> bytes:
    return octets[:position] + bytes([octets[position] ^ 0x01]) + octets[position + 1 :]


def test_every_byte_of_a_presentation_is_bound() -> None:
    statement_list: list[statements.Statement] = [AGE_18, FRESH, IBERIA]
    presentation = present(
        ADULT, _honest_links(ADULT, [AGE_18, FRESH]), [(IBERIA, ADULT[HOME_COUNTRY])], PH
    )
    verify(presentation, statement_list, PH, ADULT.disclosed_values)
    # Every byte of the predicate proof (links, membership, range proof).
    for position in range(len(presentation.predicate_proof)):
        tampered = Presentation(
            presentation.bbs_proof, _flip(presentation.predicate_proof, position)
        )
        with pytest.raises((DecodeError, InvalidProof)):
            verify(tampered, statement_list, PH, ADULT.disclosed_values)
    # The first and last byte of every element of the BBS proof.
    bbs_elements = [48, 48, 48] + [32] * (3 + len(UNDISCLOSED) + 1)
    offset = 0
    for length in bbs_elements:
        for position in (offset, offset + length - 1):
            tampered = Presentation(
                _flip(presentation.bbs_proof, position), presentation.predicate_proof
            )
            with pytest.raises(ZkcheckError):
                verify(tampered, statement_list, PH, ADULT.disclosed_values)
        offset += length
    assert offset == len(presentation.bbs_proof)


def test_presentation_length_is_the_same_for_every_value() -> None:
    lengths = set()
    for facts in (
        {},
        {"birth_day": AGE_18.cutoff, "sim_change_hour": SIM.cutoff, "issue_hour": FRESH.cutoff},
        {"birth_day": AGE_18.cutoff - TOP, "sim_change_hour": SIM.cutoff - TOP},
        {"birth_day": AGE_18.cutoff - 1, "sim_change_hour": SIM.cutoff - 5000},
    ):
        holder = _credential(**facts)
        ranges = [AGE_18, FRESH, SIM]
        presentation = present(holder, _honest_links(holder, ranges), [], PH)
        verify(presentation, ranges, PH, holder.disclosed_values)
        lengths.add(len(presentation))
    assert lengths == {592 + 3 * 80 + 928}
    age_only = present(ADULT, [HonestLink(AGE_18, ADULT[BIRTH_DAY])], [], PH)
    assert (len(age_only.bbs_proof), len(age_only.predicate_proof)) == (592, 816)


def test_range_transcript_and_item_9_are_the_specified_octets() -> None:
    """The range challenges and c recomputed here from octets spelled out item by item."""
    recorded = Recorded()
    presentation = present(ADULT, [HonestLink(AGE_18, ADULT[BIRTH_DAY])], [], PH, record=recorded)
    disclosed = ADULT.disclosed_values
    context = (
        i2osp(23)
        + b"ZKCHECK-PRESENTATION-V2"
        + i2osp(len(CIPHERSUITE.ciphersuite_id))
        + CIPHERSUITE.ciphersuite_id
        + PK
        + i2osp(len(credential.HEADER))
        + credential.HEADER
        + i2osp(1)
        + i2osp(2)
        + i2osp(0)
        + i2osp(disclosed[0], 32)
        + i2osp(2)
        + i2osp(disclosed[1], 32)
        + i2osp(1)
        + AGE_18.statement_octets()
        + i2osp(len(PH))
        + PH
    )
    assert recorded.context == context
    assert AGE_18.statement_octets().endswith(i2osp(16) + i2osp(AGE_18.cutoff))
    link = range_proof_v2.octets_to_link_proof(
        presentation.predicate_proof[:80], ciphersuite=CIPHERSUITE
    )
    range_octets = presentation.predicate_proof[80:]
    proof = bulletproofs.octets_to_range_proof(range_octets, 1, ciphersuite=CIPHERSUITE)
    v_octets = BACKEND.g1_to_bytes(link.V)
    dst = API_ID + b"PRED_V2_RANGE_H2S_"
    t_0 = context + i2osp(1) + v_octets
    y = bbs.hash_to_scalar(t_0 + range_octets[:96] + i2osp(1), dst)
    z = bbs.hash_to_scalar(t_0 + range_octets[:96] + i2osp(2), dst)
    x = bbs.hash_to_scalar(t_0 + range_octets[:192] + i2osp(3), dst)
    scalars = range_octets[48 * 12 :]
    w = bbs.hash_to_scalar(t_0 + range_octets[:192] + scalars[:96] + i2osp(4), dst)
    challenges = bulletproofs.derive_challenges(
        context, [link.V], proof, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    assert (challenges.y, challenges.z, challenges.x, challenges.w) == (y, z, x, w)
    u_1 = bbs.hash_to_scalar(
        t_0 + range_octets[:192] + scalars[:96] + range_octets[192:288] + i2osp(5), dst
    )
    assert challenges.u[0] == u_1
    # c: item 9 is V || V~ then the whole range proof; V~ as the verifier recomputes it.
    decoded = bbs.octets_to_proof(presentation.bbs_proof, ciphersuite=CIPHERSUITE)
    m_hat = decoded.commitments[UNDISCLOSED.index(BIRTH_DAY)]
    check = range_proof_v2.verifier_recompute(
        AGE_18, link, m_hat, decoded.challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    init_res = bbs.proof_verify_init(
        PK,
        decoded,
        credential.generators(CIPHERSUITE),
        credential.HEADER,
        disclosed,
        list(DISCLOSED),
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    item_11 = b"".join(BACKEND.g1_to_bytes(p) for p in init_res[:5]) + i2osp(init_res.domain, 32)
    challenge_input = (
        context + v_octets + BACKEND.g1_to_bytes(check.V_tilde) + range_octets + i2osp(0) + item_11
    )
    assert (
        bbs.hash_to_scalar(challenge_input, API_ID + b"PRESENTATION_V2_H2S_") == decoded.challenge
    )


def test_zero_values_ask_for_fresh_randomness_and_zero_challenges_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A link response of 0 (gamma~ = -c * gamma) makes the presentation start again.
    state = range_proof_v2.LinkProverState(Y_0, 5, 3, (-7 * 3) % R)
    with pytest.raises(FreshRandomnessRequired):
        state.respond(7)
    # A zero range challenge: the prover draws again, the verifier rejects.
    commitments, proof = _proof(1, [9])
    real = bbs.hash_to_scalar

    def zero_for_y(octets: bytes, dst: bytes, **kwargs: object) -> int:
        return 0 if octets.endswith((1).to_bytes(8, "big")) else real(octets, dst)

    monkeypatch.setattr(bulletproofs, "hash_to_scalar", zero_for_y)
    with pytest.raises(InvalidProof):
        bulletproofs.verify(CONTEXT, commitments, proof, api_id=API_ID, ciphersuite=CIPHERSUITE)
    with pytest.raises(FreshRandomnessRequired):
        _proof(1, [9])


def test_an_age_over_18_message_of_version_2_fits_in_1_5_kib() -> None:
    """A whole presentation message of the role layer, with version 2's proofs in its fields.

    The credential tier's message of an ``age_over:18`` presentation (version 1 today), with
    its BBS proof and predicate proof replaced by those of a version-2 presentation of the
    same shape: every other field and all the framing are the role layer's own.
    """
    world = make_credential_world()
    site = world.verifier((Check.age_over(18),))
    message = world.issued_holder(ALICE).present(site.create_request())
    body = cbor.decode(message.body)
    assert (len(body[4]), len(body[5])) == (592, 3040)
    version_2 = present(ADULT, [HonestLink(AGE_18, ADULT[BIRTH_DAY])], [], PH)
    body[4], body[5] = version_2.bbs_proof, version_2.predicate_proof
    rebuilt = PresentationMessage(message.tier, message.nonce, cbor.encode(body))
    framing = len(message.to_bytes()) - 592 - 3040
    assert len(rebuilt.to_bytes()) == 1408 + framing
    assert len(rebuilt.to_bytes()) <= 1536
