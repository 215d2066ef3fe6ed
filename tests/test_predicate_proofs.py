"""Predicate proofs (spec/09-predicate-proofs.md): soundness against cheating provers,
extraction, simulation, the honest boundaries of the calendar and the clock, and the
wire encoding.

Most tests run whole presentations through tests/predicate_harness.py: a real BBS
signature over a layout-1 credential, the predicate provers' nonces handed to
``bbs.proof_init``, one challenge over chapter 9's transcript, and the verifier's steps
in order. Each cheating prover is wrong in exactly one way and must be rejected with
InvalidProof (or DecodeError for malformed bytes).
"""

from __future__ import annotations

import calendar
import contextlib
import copy
import functools
import pickle
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import bls_points
from tests.predicate_harness import (
    API_ID,
    BACKEND,
    BIRTH_DAY,
    CIPHERSUITE,
    CONTRACT_START_DAY,
    DAY_SENTINEL,
    DEVICE_CHANGE_HOUR,
    HOME_COUNTRY,
    HOUR_SENTINEL,
    ISSUE_HOUR,
    PK,
    SIM_CHANGE_HOUR,
    UNDISCLOSED,
    Y_0,
    Y_1,
    CheatingBits,
    Credential,
    FreeSubchallenges,
    HonestMembership,
    HonestRange,
    Presentation,
    Prover,
    StandIn,
    country,
    decode_predicates,
    issue,
    predicate,
    present,
    present_standin,
    recompute_predicates,
    seeded_rng,
    simulate,
    verify,
    verify_standin,
)
from zkcheck import claims
from zkcheck.claims import Check, SubscriberFacts, SwapRecord, add_months, anniversary
from zkcheck.errors import DecodeError, InvalidProof, PolicyError, ZkcheckError
from zkcheck.hazmat import bbs, bbs_pseudonym, range_proof, set_membership
from zkcheck.hazmat import predicate_statements as statements
from zkcheck.hazmat import presentation as presentation_module
from zkcheck.hazmat.backend import FIELD_MODULUS, get_backend
from zkcheck.hazmat.backend import GROUP_ORDER as R
from zkcheck.hazmat.predicate_parameters import (
    PRED_GEN_PREFIX,
    batch_dst,
    challenge_dst,
    pred_gen_api,
    predicate_generators,
)
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource

T = 1_760_000_000
"""The verifier's time: 2025-10-09T08:53:20Z."""
TODAY = date(2025, 10, 9)
PH = b"request digest of the verifier's stored request"
EEA = [country(code) for code in ("AT", "BE", "DE", "ES", "FR", "IT", "NL", "PT")]


def _day(d: date) -> int:
    return d.toordinal()


def _noon(d: date) -> int:
    """POSIX time of noon UTC on day d."""
    return int(datetime(d.year, d.month, d.day, 12, tzinfo=UTC).timestamp())


def _credential(**facts: int) -> Credential:
    facts.setdefault("issue_hour", statements.hour_ceil(T) - 2)
    return issue(**facts)


ADULT = _credential(
    birth_day=_day(date(1990, 6, 15)),
    sim_change_hour=statements.hour_ceil(T) - 2000,
    device_change_hour=statements.hour_ceil(T) - 100,
    contract_start_day=_day(date(2015, 1, 31)),
    home_country=country("ES"),
)
# Turns 18 five days after the verifier's day; an old contract, a home outside the set.
MINOR_BIRTH = anniversary(TODAY, -18) + timedelta(days=5)
MINOR = _credential(
    birth_day=_day(MINOR_BIRTH),
    contract_start_day=_day(date(1999, 1, 1)),
    home_country=country("US"),
)
AGE_18 = statements.age_over(18, T, BIRTH_DAY)
DISCLOSED_VALUES = ADULT.disclosed_values
"""The type and the expiry: the same for both credentials, issued in the same hour."""
assert MINOR.disclosed_values == DISCLOSED_VALUES


def _rejected(presentation: Presentation, statement_list: Sequence[statements.Statement]) -> None:
    with pytest.raises(InvalidProof):
        verify(presentation, statement_list, PH, DISCLOSED_VALUES)


def _flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


def _element_positions(lengths: Sequence[int], offset_in_element: int) -> list[int]:
    """One byte position inside each element (point or scalar) of a concatenation."""
    positions, start = [], 0
    for length in lengths:
        positions.append(start + offset_in_element % length)
        start += length
    return positions


def _range_layout(bits: int) -> list[int]:
    return [48] * (2 * bits) + [32] * (3 * bits - 1)


def _bbs_layout() -> list[int]:
    return [48] * 3 + [32] * (4 + len(UNDISCLOSED))


def _every_element_flip_is_rejected(
    presentation: Presentation, statement_list: Sequence[statements.Statement], seed: int
) -> int:
    """Flip one byte of every element of both proofs; each flip must fail to verify."""
    rejected = 0
    predicate_layout = [
        length
        for statement in statements.canonical_order(statement_list)
        for length in (
            _range_layout(statement.bits)
            if isinstance(statement, statements.RangeStatement)
            else [48] + [32] * (2 * len(statement.values))
        )
    ]
    for position in _element_positions(predicate_layout, seed):
        tampered = Presentation(
            presentation.bbs_proof, _flip(presentation.predicate_proof, position)
        )
        with pytest.raises((DecodeError, InvalidProof)):
            verify(tampered, statement_list, PH, DISCLOSED_VALUES)
        rejected += 1
    for position in _element_positions(_bbs_layout(), seed):
        tampered = Presentation(
            _flip(presentation.bbs_proof, position), presentation.predicate_proof
        )
        with pytest.raises((DecodeError, InvalidProof)):
            verify(tampered, statement_list, PH, DISCLOSED_VALUES)
        rejected += 1
    return rejected


# -- generators and parameters ----------------------------------------------------------


def test_predicate_generators_differ_from_every_bbs_generator() -> None:
    y_0, y_1 = predicate_generators(API_ID, ciphersuite=CIPHERSUITE)
    ours = {BACKEND.g1_to_bytes(y_0), BACKEND.g1_to_bytes(y_1)}
    assert len(ours) == 2
    assert not any(BACKEND.g1_is_identity(point) for point in (y_0, y_1))
    theirs = {bbs_pseudonym.BP1_OCTETS, BACKEND.g1_to_bytes(CIPHERSUITE.P1)}
    for api_id in (
        API_ID,  # the credential tier: Q_1, H_1..H_9, and Q_2, J_1, J_2 under "BLIND_"
        CIPHERSUITE.api_id,  # the BBS draft's interface
        CIPHERSUITE.ciphersuite_id + b"BLIND_H2G_HM2S_",  # the blind draft's interface
        CIPHERSUITE.ciphersuite_id + b"H2G_HM2S_PSEUDONYM_",  # the pseudonym draft's
    ):
        for generator in (
            *bbs.create_generators(16, api_id, ciphersuite=CIPHERSUITE),
            *bbs.create_generators(8, b"BLIND_" + api_id, ciphersuite=CIPHERSUITE),
        ):
            theirs.add(BACKEND.g1_to_bytes(generator))
    assert len(theirs) == 2 + 4 * 24
    assert not ours & theirs


def test_predicate_generators_are_derived_from_the_versioned_tag() -> None:
    assert PRED_GEN_PREFIX == b"ZKCHECK_PRED_V1_COM_DIS_"
    assert len(API_ID) == 61
    assert len(pred_gen_api(API_ID)) == 85
    assert len(challenge_dst(API_ID)) == 81
    assert len(batch_dst(API_ID)) == 75
    expected = bbs.create_generators(
        2, b"ZKCHECK_PRED_V1_COM_DIS_" + API_ID, ciphersuite=CIPHERSUITE
    )
    assert [
        BACKEND.g1_to_bytes(p) for p in predicate_generators(API_ID, ciphersuite=CIPHERSUITE)
    ] == [BACKEND.g1_to_bytes(p) for p in expected]
    # Another api_id gives other generators: a proof made under another interface never verifies.
    other = predicate_generators(CIPHERSUITE.api_id, ciphersuite=CIPHERSUITE)
    assert BACKEND.g1_to_bytes(other.Y_0) != BACKEND.g1_to_bytes(expected[0])


# -- honest presentations -------------------------------------------------------------------


def _every_statement(time: int = T) -> list[statements.Statement]:
    return [
        statements.age_over(18, time, BIRTH_DAY),
        statements.issued_within(24, time, ISSUE_HOUR),
        statements.sim_swap(72, time, SIM_CHANGE_HOUR),
        statements.device_swap(24, time, DEVICE_CHANGE_HOUR),
        statements.tenure(12, time, CONTRACT_START_DAY),
        statements.home_country_in("EEA", EEA, time, HOME_COUNTRY),
    ]


def _honest(credential: Credential, statement: statements.Statement) -> Prover:
    if isinstance(statement, statements.RangeStatement):
        return HonestRange(statement, credential[statement.attribute])
    return HonestMembership(statement, credential[statement.attribute])


def test_honest_presentation_with_every_predicate_verifies() -> None:
    statement_list = _every_statement()
    presentation = present(ADULT, [_honest(ADULT, s) for s in statement_list], PH)
    verify(presentation, statement_list, PH, DISCLOSED_VALUES)
    assert len(presentation.bbs_proof) == 592
    assert len(presentation.predicate_proof) == 3040 + 1504 + 2272 + 2272 + 3040 + (48 + 64 * 8)
    # The verifier's own request differs: another ph, or other disclosed values.
    with pytest.raises(InvalidProof):
        verify(presentation, statement_list, PH + b"!", DISCLOSED_VALUES)
    with pytest.raises(InvalidProof):
        verify(presentation, statement_list, PH, [65537, DISCLOSED_VALUES[1] + 7])


@settings(max_examples=25)
@given(
    birth=st.integers(min_value=_day(date(1880, 1, 1)), max_value=_day(date(2007, 10, 9))),
    swap_age=st.integers(min_value=73 + 1, max_value=3000),
    issue_age=st.integers(min_value=0, max_value=23),
    home=st.sampled_from(EEA),
)
def test_honest_proofs_verify_for_every_satisfying_value(
    birth: int, swap_age: int, issue_age: int, home: int
) -> None:
    """The stand-in link: every value that satisfies its statement gives an accepted proof."""
    values = {
        BIRTH_DAY: birth,
        SIM_CHANGE_HOUR: statements.hour_ceil(T) - swap_age,
        ISSUE_HOUR: statements.hour_ceil(T) - issue_age,
        HOME_COUNTRY: home,
    }
    statement_list = [
        AGE_18,
        statements.sim_swap(72, T, SIM_CHANGE_HOUR),
        statements.issued_within(24, T, ISSUE_HOUR),
        statements.home_country_in("EEA", EEA, T, HOME_COUNTRY),
    ]
    provers: list[Prover] = [
        HonestRange(s, values[s.attribute])
        if isinstance(s, statements.RangeStatement)
        else HonestMembership(s, values[s.attribute])
        for s in statement_list
    ]
    standin = present_standin(values, provers, b"context")
    verify_standin(standin, statement_list, b"context")
    with pytest.raises(InvalidProof):
        verify_standin(standin, statement_list, b"another context")


def test_provers_refuse_values_that_do_not_satisfy() -> None:
    source = ScalarSource()
    with pytest.raises(ValueError, match="does not satisfy"):
        range_proof.prover_commit(
            AGE_18, MINOR[BIRTH_DAY], source, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
    with pytest.raises(ValueError, match="not in the set"):
        set_membership.prover_commit(
            statements.home_country_in("EEA", EEA, T, HOME_COUNTRY),
            country("US"),
            source,
            api_id=API_ID,
            ciphersuite=CIPHERSUITE,
        )


@pytest.mark.parametrize(
    "members", [["ES"], ["AT", "ES"], [f"{a}{b}" for a in "ABCD" for b in "ABCDEFGH"]]
)
def test_membership_for_one_to_thirty_two_values(members: list[str]) -> None:
    values = [country(code) for code in members]
    statement = statements.home_country_in("SET", values, T, HOME_COUNTRY)
    for member in (values[0], values[-1]):
        standin = present_standin(
            {HOME_COUNTRY: member}, [HonestMembership(statement, member)], b"c"
        )
        verify_standin(standin, [statement], b"c")
        assert len(standin.predicate_proof) == 48 + 64 * len(values)


# -- cheating provers, each rejected ------------------------------------------------------


def test_bit_equal_to_two_is_rejected() -> None:
    """A bit of 2 and a 0 above it in place of the bits (0, 1): every E1 still holds."""
    d = AGE_18.difference(ADULT[BIRTH_DAY])
    bits = [(d >> i) & 1 for i in range(16)]
    i = next(i for i in range(1, 16) if bits[i] == 1 and bits[i - 1] == 0)
    bits[i - 1], bits[i] = 2, 0
    assert sum(b << i for i, b in enumerate(bits)) == d
    cheat = CheatingBits(AGE_18, bits)
    presentation = present(ADULT, [cheat], PH)
    _rejected(presentation, [AGE_18])
    # Every linear equation E1 holds, batched and one by one: only the bit
    # equation of bit 0, through its recomputed B_0, catches the cheat.
    proof = bbs.octets_to_proof(presentation.bbs_proof, ciphersuite=CIPHERSUITE)
    m_hat = dict(zip(UNDISCLOSED, proof.commitments, strict=True))
    _, checks = recompute_predicates([AGE_18], presentation.predicate_proof, m_hat, proof.challenge)
    range_proof.verify_each(checks, proof.challenge, api_id=API_ID, ciphersuite=CIPHERSUITE)
    range_proof.verify_batched(
        checks, proof.challenge, b"any input", b"", api_id=API_ID, ciphersuite=CIPHERSUITE
    )


def _wrapping_bits(d: int, free: int) -> list[int]:
    """Bits of d mod 2^16 as 0/1, except ``free``, chosen so that the sum is d modulo r."""
    bits = [(d % (1 << 16) >> i) & 1 for i in range(16)]
    rest = sum(b << i for i, b in enumerate(bits) if i != free)
    bits[free] = (d - rest) * pow(1 << free, -1, R) % R
    assert sum(b << i for i, b in enumerate(bits)) % R == d % R
    return bits


@pytest.mark.parametrize("variant", ["binary bits", "huge lowest bit", "huge top bit"])
def test_wrapped_difference_is_rejected(variant: str) -> None:
    """A 17-year-old (five days short) proves d = r - 5."""
    d = AGE_18.difference(MINOR[BIRTH_DAY])
    assert d == -5 and not AGE_18.holds(MINOR[BIRTH_DAY])
    if variant == "binary bits":
        bits = [((R - 5) >> i) & 1 for i in range(16)]
    else:
        bits = _wrapping_bits(R - 5, 0 if variant == "huge lowest bit" else 15)
    _rejected(present(MINOR, [CheatingBits(AGE_18, bits)], PH), [AGE_18])


def test_bits_of_another_value_than_the_signed_one_are_rejected() -> None:
    # The 17-year-old proves the range for an adult's birth day; its BBS proof has its own.
    lying = HonestRange(AGE_18, ADULT[BIRTH_DAY])
    _rejected(present(MINOR, [lying], PH), [AGE_18])
    # The same with a membership commitment C to a member, while the signed home is "US".
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    _rejected(present(MINOR, [HonestMembership(eea, country("ES"))], PH), [eea])


def test_range_proof_moved_from_another_presentation_is_rejected() -> None:
    adult = present(ADULT, [HonestRange(AGE_18, ADULT[BIRTH_DAY])], PH)
    minor = present(
        MINOR, [HonestRange(statements.age_over(13, T, BIRTH_DAY), MINOR[BIRTH_DAY])], PH
    )
    # The 17-year-old's BBS proof with the adult's range proof.
    _rejected(Presentation(minor.bbs_proof, adult.predicate_proof), [AGE_18])
    # The adult's own range proof, moved from a presentation for another request.
    other_request = present(ADULT, [HonestRange(AGE_18, ADULT[BIRTH_DAY])], PH + b" other")
    fresh = present(ADULT, [HonestRange(AGE_18, ADULT[BIRTH_DAY])], PH)
    _rejected(Presentation(fresh.bbs_proof, other_request.predicate_proof), [AGE_18])
    verify(fresh, [AGE_18], PH, DISCLOSED_VALUES)


@pytest.mark.parametrize(
    "changed",
    [
        statements.age_over(16, T, BIRTH_DAY),
        statements.age_over(18, T + 1, BIRTH_DAY),
        statements.RangeStatement("age_over:18", BIRTH_DAY, 1, 18, T, 17, AGE_18.cutoff),
        statements.RangeStatement("age_over:18", BIRTH_DAY, 1, 19, T, 16, AGE_18.cutoff),
        statements.RangeStatement("age_over:19", BIRTH_DAY, 1, 18, T, 16, AGE_18.cutoff),
        statements.RangeStatement("age_over:18", BIRTH_DAY, 1, 18, T, 16, AGE_18.cutoff - 1),
        statements.tenure(12, T, BIRTH_DAY),
    ],
    ids=["threshold", "time", "bits", "parameter", "check id", "cutoff", "check"],
)
def test_statement_changed_after_the_challenge_is_rejected(
    changed: statements.RangeStatement,
) -> None:
    """The adult's proof of AGE_18, checked against a statement that differs in one field.

    Every changed statement is also true of the adult, so only the binding of
    the statement into the challenge rejects it.
    """
    assert changed.holds(ADULT[BIRTH_DAY]) and changed != AGE_18
    presentation = present(ADULT, [HonestRange(AGE_18, ADULT[BIRTH_DAY])], PH)
    verify(presentation, [AGE_18], PH, DISCLOSED_VALUES)
    with pytest.raises((InvalidProof, DecodeError)):
        verify(presentation, [changed], PH, DISCLOSED_VALUES)


def test_or_subchallenges_that_do_not_sum_are_rejected() -> None:
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    cheat = FreeSubchallenges(eea, MINOR[HOME_COUNTRY])
    _rejected(present(MINOR, [cheat], PH), [eea])
    # An honest proof with one sent sub-challenge moved (so the sum moves too).
    honest = present(ADULT, [HonestMembership(eea, ADULT[HOME_COUNTRY])], PH)
    verify(honest, [eea], PH, DISCLOSED_VALUES)
    proof = set_membership.octets_to_membership_proof(
        honest.predicate_proof, len(EEA), ciphersuite=CIPHERSUITE
    )
    moved = proof._replace(
        subchallenges=((proof.subchallenges[0] + 1) % R, *proof.subchallenges[1:])
    )
    tampered = set_membership.membership_proof_to_octets(moved, ciphersuite=CIPHERSUITE)
    _rejected(Presentation(honest.bbs_proof, tampered), [eea])


@pytest.mark.parametrize("offset", [1, -1, 1 << 15])
def test_bits_that_do_not_recombine_are_rejected(offset: int) -> None:
    """Binary bits of d + 1, d - 1 or d + 2^15 instead of d."""
    d = AGE_18.difference(ADULT[BIRTH_DAY]) + offset
    bits = [(d >> i) & 1 for i in range(16)]
    _rejected(present(ADULT, [CheatingBits(AGE_18, bits)], PH), [AGE_18])


def test_wrong_attribute_index_is_rejected() -> None:
    """The 17-year-old's contract started long ago: it proves the age range on that date."""
    contract = MINOR[CONTRACT_START_DAY]
    assert AGE_18.holds(contract)
    # Bits of the contract start, linked to the contract start's BBS nonce, hashed as AGE_18.
    linked_elsewhere = HonestRange(AGE_18, contract, link_to=CONTRACT_START_DAY)
    _rejected(present(MINOR, [linked_elsewhere], PH), [AGE_18])
    # The same proof under a statement that names the contract's index, checked as AGE_18.
    on_contract = statements.age_over(18, T, CONTRACT_START_DAY)
    _rejected(present(MINOR, [HonestRange(on_contract, contract)], PH), [AGE_18])


def test_seventeen_year_old_cannot_change_date_threshold_or_bytes() -> None:
    five_days_later = T + 5 * 86400
    moved_date = statements.age_over(18, five_days_later, BIRTH_DAY)
    lower_threshold = statements.age_over(17, T, BIRTH_DAY)
    assert moved_date.holds(MINOR[BIRTH_DAY]) and lower_threshold.holds(MINOR[BIRTH_DAY])
    assert not AGE_18.holds(MINOR[BIRTH_DAY])
    attempts = {
        # Proofs of statements the 17-year-old does satisfy, hashed as such ...
        "date": HonestRange(moved_date, MINOR[BIRTH_DAY]),
        "threshold": HonestRange(lower_threshold, MINOR[BIRTH_DAY]),
        # ... or hashed as the verifier's statement, with bits of the other cutoff.
        "date, hashed as asked": HonestRange(AGE_18, MINOR[BIRTH_DAY], proving=moved_date),
        "threshold, hashed as asked": HonestRange(
            AGE_18, MINOR[BIRTH_DAY], proving=lower_threshold
        ),
    }
    for name, prover in attempts.items():
        presentation = present(MINOR, [prover], PH)
        with pytest.raises(InvalidProof):
            verify(presentation, [AGE_18], PH, DISCLOSED_VALUES)
        if name == "date":
            # ... and no single changed byte, in any element of either proof, helps.
            flipped = _every_element_flip_is_rejected(presentation, [AGE_18], seed=7)
            assert flipped == 3 * 16 - 1 + 2 * 16 + 3 + 4 + len(UNDISCLOSED)


@settings(max_examples=4)
@given(seed=st.integers(min_value=0, max_value=1 << 16))
def test_every_byte_of_an_honest_presentation_is_bound(seed: int) -> None:
    statement_list = [AGE_18, statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)]
    presentation = present(ADULT, [_honest(ADULT, s) for s in statement_list], PH)
    verify(presentation, statement_list, PH, DISCLOSED_VALUES)
    _every_element_flip_is_rejected(presentation, statement_list, seed)


# -- malformed encodings ----------------------------------------------------------------------


def _honest_octets() -> tuple[bytes, bytes]:
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    standin = present_standin(
        {BIRTH_DAY: ADULT[BIRTH_DAY], HOME_COUNTRY: ADULT[HOME_COUNTRY]},
        [HonestRange(AGE_18, ADULT[BIRTH_DAY]), HonestMembership(eea, ADULT[HOME_COUNTRY])],
        b"c",
    )
    return standin.predicate_proof[:3040], standin.predicate_proof[3040:]


_BAD_POINTS = {
    "off the curve": bls_points.g1_off_curve(),
    "outside G1": bls_points.g1_outside_subgroup(),
    "identity": bls_points.G1_IDENTITY,
    **{
        f"non-canonical identity {i}": p for i, p in enumerate(bls_points.NON_CANONICAL_G1_IDENTITY)
    },
}


def _unreduced_point() -> bytes:
    """x + p in place of x, for a multiple of Y_0 whose x is small enough for that to fit."""
    for k in range(1, 200):
        encoding = BACKEND.g1_to_bytes(BACKEND.g1_mul(Y_0, k))
        if (int.from_bytes(encoding, "big") & ((1 << 381) - 1)) + FIELD_MODULUS < 1 << 381:
            return bls_points.g1_unreduced(encoding)
    raise AssertionError("no small-x multiple found")  # pragma: no cover


_BAD_SCALARS = {"zero": 0, "r": R, "r + 1": R + 1, "2^256 - 1": (1 << 256) - 1}


def test_invalid_points_and_scalars_are_rejected() -> None:
    range_octets, membership_octets = _honest_octets()
    decode_range = lambda octets: range_proof.octets_to_range_proof(  # noqa: E731
        octets, 16, ciphersuite=CIPHERSUITE
    )
    decode_membership = lambda octets: set_membership.octets_to_membership_proof(  # noqa: E731
        octets, len(EEA), ciphersuite=CIPHERSUITE
    )
    decode_range(range_octets)
    decode_membership(membership_octets)
    unreduced = _unreduced_point()
    cases: list[tuple[Callable[[bytes], object], bytes, int, bytes]] = []
    for decode, octets, point_offsets, scalar_offsets in (
        (decode_range, range_octets, [0, 15 * 48, 16 * 48, 31 * 48], [32 * 48, 32 * 48 + 46 * 32]),
        (decode_membership, membership_octets, [0], [48, 48 + 7 * 32, len(membership_octets) - 32]),
    ):
        for offset in point_offsets:
            for bad in (*_BAD_POINTS.values(), unreduced):
                cases.append((decode, octets, offset, bad))
        for offset in scalar_offsets:
            for value in _BAD_SCALARS.values():
                cases.append((decode, octets, offset, (value % (1 << 256)).to_bytes(32, "big")))
    for decode, octets, offset, bad in cases:
        with pytest.raises(DecodeError):
            decode(octets[:offset] + bad + octets[offset + len(bad) :])
    for decode, octets in ((decode_range, range_octets), (decode_membership, membership_octets)):
        for wrong_length in (octets[:-1], octets + b"\x00", octets[:-32], octets + bytes(32), b""):
            with pytest.raises(DecodeError):
                decode(wrong_length)
    # The whole presentation: an identity in place of D_0 fails before any equation.
    presentation = present(ADULT, [HonestRange(AGE_18, ADULT[BIRTH_DAY])], PH)
    identity_d0 = bls_points.G1_IDENTITY + presentation.predicate_proof[48:]
    with pytest.raises(DecodeError):
        verify(Presentation(presentation.bbs_proof, identity_d0), [AGE_18], PH, DISCLOSED_VALUES)


@given(data=st.binary(max_size=3200), bits=st.sampled_from([8, 12, 16]), size=st.integers(1, 32))
def test_decoders_raise_only_decode_errors(data: bytes, bits: int, size: int) -> None:
    for decode in (
        lambda: range_proof.octets_to_range_proof(data, bits, ciphersuite=CIPHERSUITE),
        lambda: set_membership.octets_to_membership_proof(data, size, ciphersuite=CIPHERSUITE),
        # Arbitrary bytes of exactly the right length reach the point and scalar checks.
        lambda: range_proof.octets_to_range_proof(
            (data * 2000)[: range_proof.proof_length(bits)] or bytes(1),
            bits,
            ciphersuite=CIPHERSUITE,
        ),
    ):
        with contextlib.suppress(DecodeError):
            decode()


@settings(max_examples=20)
@given(data=st.binary(min_size=3040, max_size=3040))
def test_verifier_on_arbitrary_predicate_bytes(data: bytes) -> None:
    presentation = present(ADULT, [HonestRange(AGE_18, ADULT[BIRTH_DAY])], PH)
    with pytest.raises(ZkcheckError):
        verify(Presentation(presentation.bbs_proof, data), [AGE_18], PH, DISCLOSED_VALUES)


# -- extraction and simulation -------------------------------------------------------------


def test_extractor_recovers_the_value_and_the_bits() -> None:
    """Two accepting transcripts, same first messages, two challenges: the witness falls out.

    The same seeded randomness makes the same first messages; two requests (two
    presentation headers) give two challenges, since ph is hashed but enters no
    first message.
    """
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    statement_list = [AGE_18, eea]
    transcripts = []
    for ph in (PH, PH + b" for a second request"):
        provers = [_honest(ADULT, s) for s in statement_list]
        presentation = present(ADULT, provers, ph, rng=seeded_rng(b"one set of nonces"))
        verify(presentation, statement_list, ph, DISCLOSED_VALUES)
        bbs_proof = bbs.octets_to_proof(presentation.bbs_proof, ciphersuite=CIPHERSUITE)
        age, home = decode_predicates(statement_list, presentation.predicate_proof)
        assert isinstance(age, range_proof.RangeProof)
        assert isinstance(home, set_membership.MembershipProof)
        transcripts.append((bbs_proof, age, home))
    (first, age_1, home_1), (second, age_2, home_2) = transcripts
    encode = BACKEND.g1_to_bytes
    assert [encode(p) for p in first[:3]] == [encode(p) for p in second[:3]]
    assert [encode(p) for p in (*age_1.D, *age_1.A, home_1.C)] == [
        encode(p) for p in (*age_2.D, *age_2.A, home_2.C)
    ]
    c_1, c_2 = first.challenge, second.challenge
    assert c_1 != c_2
    inverse = pow(c_1 - c_2, -1, R)

    def extract(response_1: int, response_2: int) -> int:
        return (response_1 - response_2) * inverse % R

    m_hat_1 = dict(zip(UNDISCLOSED, first.commitments, strict=True))
    m_hat_2 = dict(zip(UNDISCLOSED, second.commitments, strict=True))
    # Every hidden message of the BBS proof, the predicate attributes among them.
    for index in UNDISCLOSED:
        assert extract(m_hat_1[index], m_hat_2[index]) == ADULT[index]
    m_a = extract(m_hat_1[BIRTH_DAY], m_hat_2[BIRTH_DAY])
    # The bits, the lowest one from the derived responses.
    lowest = [
        range_proof.derive_lowest_response(AGE_18, m_hat[BIRTH_DAY], proof.b_hat, c)
        for m_hat, proof, c in ((m_hat_1, age_1, c_1), (m_hat_2, age_2, c_2))
    ]
    bits = [extract(*lowest)] + [
        extract(x, y) for x, y in zip(age_1.b_hat, age_2.b_hat, strict=True)
    ]
    s = [extract(x, y) for x, y in zip(age_1.s_hat, age_2.s_hat, strict=True)]
    t = [extract(x, y) for x, y in zip(age_1.t_hat, age_2.t_hat, strict=True)]
    assert set(bits) <= {0, 1}
    assert sum(b << i for i, b in enumerate(bits)) == AGE_18.difference(m_a)
    for d_i, b_i, s_i, t_i in zip(age_1.D, bits, s, t, strict=True):
        assert BACKEND.g1_eq(d_i, BACKEND.g1_msm([Y_1, Y_0], [b_i, s_i]))  # E1
        assert BACKEND.g1_eq(d_i, BACKEND.g1_msm([d_i, Y_0], [b_i, t_i]))  # E2
    # The membership: the opening of C, and the one branch whose sub-challenges differ.
    m_home = extract(m_hat_1[HOME_COUNTRY], m_hat_2[HOME_COUNTRY])
    s_home = extract(home_1.s_hat, home_2.s_hat)
    assert BACKEND.g1_eq(home_1.C, BACKEND.g1_msm([Y_1, Y_0], [m_home, s_home]))
    sub_1 = (*home_1.subchallenges, set_membership.last_subchallenge(home_1.subchallenges, c_1))
    sub_2 = (*home_2.subchallenges, set_membership.last_subchallenge(home_2.subchallenges, c_2))
    branches = [j for j in range(len(EEA)) if sub_1[j] != sub_2[j]]
    assert branches == [EEA.index(country("ES"))]
    (j,) = branches
    s_j = (home_1.z[j] - home_2.z[j]) * pow(sub_1[j] - sub_2[j], -1, R) % R
    c_minus_v = BACKEND.g1_msm([home_1.C, Y_1], [1, -EEA[j] % R])
    assert BACKEND.g1_eq(c_minus_v, BACKEND.g1_mul(Y_0, s_j))
    assert EEA[j] == m_home == ADULT[HOME_COUNTRY]


@pytest.mark.parametrize("challenge", [1, 2, R - 1, 0x5EED << 200], ids=["1", "2", "r-1", "large"])
def test_simulator_output_is_accepted_without_the_witness(challenge: int) -> None:
    statement_list = _every_statement()
    standin, oracle = simulate(statement_list, b"context", challenge)
    # Accepted when the simulator may program the challenge, ...
    verify_standin(standin, statement_list, b"context", oracle=oracle)
    _, checks = recompute_predicates(
        statement_list, standin.predicate_proof, standin.m_hat, challenge
    )
    range_proof.verify_each(checks, challenge, api_id=API_ID, ciphersuite=CIPHERSUITE)
    # ... of the honest length, and rejected by the real hash.
    honest = present_standin(
        {s.attribute: ADULT[s.attribute] for s in statement_list},
        [_honest(ADULT, s) for s in statement_list],
        b"context",
    )
    assert len(standin.predicate_proof) == len(honest.predicate_proof)
    with pytest.raises(InvalidProof):
        verify_standin(standin, statement_list, b"context")


# -- honest boundaries: the calendar and the clock -----------------------------------------


def _start(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def _facts(**facts: object) -> SubscriberFacts:
    return SubscriberFacts(**facts)  # type: ignore[arg-type]


def _accepted_at(credential: Credential, statement: statements.RangeStatement) -> None:
    presentation = present(
        credential, [HonestRange(statement, credential[statement.attribute])], PH
    )
    verify(presentation, [statement], PH, credential.disclosed_values)


def _refused(credential: Credential, statement: statements.Statement) -> None:
    assert not statement.holds(credential[statement.attribute])
    with pytest.raises(PolicyError):
        _honest(credential, statement).commit(None)


@pytest.mark.parametrize("years", [0, 13, 18, 21, 65, 120])
def test_birthday_itself_is_accepted_and_the_day_before_is_not(years: int) -> None:
    birthday = date(2025, 3, 17)
    birth = date(2025 - years, 3, 17)
    assert anniversary(birth, years) == birthday
    credential = _credential(birth_day=_day(birth), issue_hour=_start(birthday) // 3600)
    facts = _facts(birth_date=birth)
    for t in (_start(birthday), _start(birthday) + 86399):
        statement = statements.age_over(years, t, BIRTH_DAY)
        assert claims.holds(Check.age_over(years), facts, now=datetime.fromtimestamp(t, UTC))
        _accepted_at(credential, statement)
    day_before = statements.age_over(years, _start(birthday) - 1, BIRTH_DAY)
    assert not claims.holds(
        Check.age_over(years), facts, now=datetime.fromtimestamp(_start(birthday) - 1, UTC)
    )
    _refused(credential, day_before)
    # The birthday's own presentation does not pass the day before.
    on_birthday = present(
        credential,
        [
            HonestRange(
                statements.age_over(years, _start(birthday), BIRTH_DAY), credential[BIRTH_DAY]
            )
        ],
        PH,
    )
    with pytest.raises(InvalidProof):
        verify(on_birthday, [day_before], PH, credential.disclosed_values)


def test_born_on_29_february_turns_n_on_1_march() -> None:
    birth = date(2008, 2, 29)
    credential = _credential(birth_day=_day(birth), issue_hour=_start(date(2026, 2, 27)) // 3600)
    cases = [  # (verifier's day, N, holds)
        (date(2026, 2, 28), 18, False),  # 2026 is a common year
        (date(2026, 3, 1), 18, True),
        (date(2024, 2, 28), 16, False),  # 2024 is a leap year
        (date(2024, 2, 29), 16, True),
    ]
    for day, years, holds in cases:
        statement = statements.age_over(years, _noon(day), BIRTH_DAY)
        assert (
            claims.holds(
                Check.age_over(years),
                _facts(birth_date=birth),
                now=datetime.fromtimestamp(_noon(day), UTC),
            )
            is holds
        )
        if holds:
            standin = present_standin(
                {BIRTH_DAY: _day(birth)}, [HonestRange(statement, _day(birth))], b"c"
            )
            verify_standin(standin, [statement], b"c")
        else:
            _refused(credential, statement)
    _accepted_at(credential, statements.age_over(18, _noon(date(2026, 3, 1)), BIRTH_DAY))
    # The cutoffs themselves, against chapter 9's closed form.
    assert statements.age_cutoff(_day(date(2024, 2, 29)), 18) == _day(date(2006, 2, 28))
    assert statements.age_cutoff(_day(date(2024, 2, 29)), 16) == _day(date(2008, 2, 29))
    assert statements.age_cutoff(_day(date(2026, 3, 1)), 18) == _day(date(2008, 3, 1))


def test_tenure_clamps_the_day_of_the_month() -> None:
    cases = [  # (contract start, verifier's day, months, holds)
        (date(2023, 1, 31), date(2023, 2, 28), 1, True),
        (date(2023, 1, 31), date(2023, 2, 27), 1, False),
        (date(2024, 1, 31), date(2024, 2, 29), 1, True),
        (date(2024, 1, 31), date(2024, 2, 28), 1, False),
        (date(2023, 1, 30), date(2023, 2, 28), 1, True),
        (date(2023, 3, 1), date(2023, 3, 30), 1, False),
        (date(2023, 2, 28), date(2024, 2, 28), 12, True),
        (date(2023, 3, 1), date(2024, 2, 29), 12, False),
    ]
    for start, day, months, holds in cases:
        statement = statements.tenure(months, _noon(day), CONTRACT_START_DAY)
        assert (add_months(start, months) <= day) is holds
        assert (
            claims.holds(
                Check.tenure(months),
                _facts(contract_start=start),
                now=datetime.fromtimestamp(_noon(day), UTC),
            )
            is holds
        )
        credential_values = {CONTRACT_START_DAY: _day(start)}
        if holds:
            standin = present_standin(
                credential_values, [HonestRange(statement, _day(start))], b"c"
            )
            verify_standin(standin, [statement], b"c")
        else:
            assert not statement.holds(_day(start))
    assert statements.tenure_cutoff(_day(date(2023, 2, 28)), 1) == _day(date(2023, 1, 31))
    assert statements.tenure_cutoff(_day(date(2023, 3, 30)), 1) == _day(date(2023, 2, 28))
    assert statements.tenure_cutoff(_day(date(2023, 3, 31)), 1) == _day(date(2023, 2, 28))
    assert statements.tenure_cutoff(_day(date(2024, 2, 29)), 12) == _day(date(2023, 2, 28))
    credential = _credential(
        contract_start_day=_day(date(2025, 8, 31)), issue_hour=_start(date(2025, 9, 29)) // 3600
    )
    _accepted_at(credential, statements.tenure(1, _noon(date(2025, 9, 30)), CONTRACT_START_DAY))
    _refused(credential, statements.tenure(1, _noon(date(2025, 9, 29)), CONTRACT_START_DAY))


@pytest.mark.parametrize(
    "t", [T, 3600 * 488_889, 3600 * 488_889 + 1], ids=["T", "on the hour", "one second past"]
)
@pytest.mark.parametrize("hours", [1, 24, 72, 2400])
@pytest.mark.parametrize(
    ("make", "index"),
    [(statements.sim_swap, SIM_CHANGE_HOUR), (statements.device_swap, DEVICE_CHANGE_HOUR)],
    ids=["sim", "device"],
)
def test_swap_exactly_h_hours_ago_fails(
    t: int, hours: int, make: Callable[[int, int, int], statements.RangeStatement], index: int
) -> None:
    statement = make(hours, t, index)
    now = datetime.fromtimestamp(t, UTC)
    for seconds_before, holds in ((3600 * hours, False), (3600 * (hours + 2), True)):
        swapped_at = t - seconds_before
        # The layout rounds the swap time up to the hour.
        value = statements.hour_ceil(swapped_at)
        record = SwapRecord(latest_change=datetime.fromtimestamp(swapped_at, UTC))
        assert (
            claims.holds(
                Check(statement_kind(index), hours), _facts(sim=record, device=record), now=now
            )
            is holds
        )
        assert statement.holds(value) is holds
        if holds:
            standin = present_standin({index: value}, [HonestRange(statement, value)], b"c")
            verify_standin(standin, [statement], b"c")
        else:
            with pytest.raises(ValueError):
                range_proof.prover_commit(
                    statement, value, ScalarSource(), api_id=API_ID, ciphersuite=CIPHERSUITE
                )


def statement_kind(index: int) -> claims.CheckKind:
    return claims.CheckKind.SIM_SWAP if index == SIM_CHANGE_HOUR else claims.CheckKind.DEVICE_SWAP


@given(
    t=st.integers(min_value=3600 * 3000, max_value=3600 * ((1 << 24) - 4000)),
    hours=st.integers(min_value=1, max_value=2400),
    seconds_before=st.integers(min_value=-3600, max_value=3600 * 2600),
)
def test_swap_and_freshness_rounding_is_conservative(
    t: int, hours: int, seconds_before: int
) -> None:
    """An accepted swap statement means a swap strictly before t - H; at most two hours are lost.

    An accepted freshness statement means the facts were read no earlier than t - F; at
    most one hour is lost.
    """
    swap = statements.sim_swap(hours, t, SIM_CHANGE_HOUR)
    swapped_at = t - seconds_before
    if swap.holds(statements.hour_ceil(swapped_at)):
        assert swapped_at < t - 3600 * hours
    if swapped_at <= t - 3600 * (hours + 2):
        assert swap.holds(statements.hour_ceil(swapped_at))
    freshness = hours % 168 + 1
    fresh = statements.issued_within(freshness, t, ISSUE_HOUR)
    read_at = t - seconds_before
    if fresh.holds(read_at // 3600):
        assert read_at >= t - 3600 * freshness
    if t - 3600 * (freshness - 1) <= read_at <= t + 3600:
        assert fresh.holds(read_at // 3600)


def test_stale_credential_fails_the_freshness_predicate() -> None:
    hours = 24
    fresh = statements.issued_within(hours, T, ISSUE_HOUR)
    swap = statements.sim_swap(72, T, SIM_CHANGE_HOUR)
    for read_at, holds in ((T - 3600 * hours - 1, False), (T - 3600 * (hours - 1), True)):
        credential = _credential(
            issue_hour=read_at // 3600, sim_change_hour=statements.hour_ceil(T) - 1000
        )
        assert fresh.holds(credential[ISSUE_HOUR]) is holds
        if holds:
            provers = [_honest(credential, fresh), _honest(credential, swap)]
            presentation = present(credential, provers, PH)
            verify(presentation, [fresh, swap], PH, credential.disclosed_values)
        else:
            _refused(credential, fresh)
            # The stale credential's swap statement alone still holds: the freshness part is
            # what the verifier asks for with every swap check.
            assert swap.holds(credential[SIM_CHANGE_HOUR])


def test_missing_fact_fails_every_predicate() -> None:
    missing = _credential()
    assert missing[BIRTH_DAY] == missing[CONTRACT_START_DAY] == DAY_SENTINEL
    assert missing[SIM_CHANGE_HOUR] == missing[DEVICE_CHANGE_HOUR] == HOUR_SENTINEL
    assert missing[HOME_COUNTRY] == 0
    # Even a verifier far in the future, at the last time the encodings allow, learns nothing.
    for t in (T, _noon(date(2870, 1, 1))):
        every = [
            *(statements.age_over(n, t, BIRTH_DAY) for n in (0, 18, 120)),
            *(statements.tenure(m, t, CONTRACT_START_DAY) for m in (1, 1200)),
            *(statements.sim_swap(h, t, SIM_CHANGE_HOUR) for h in (1, 2400)),
            *(statements.device_swap(h, t, DEVICE_CHANGE_HOUR) for h in (1, 2400)),
            statements.home_country_in(
                "ALL", [country(f"{a}{b}") for a in "AZ" for b in "AZ"], t, HOME_COUNTRY
            ),
        ]
        for statement in every:
            _refused(missing, statement)


@settings(max_examples=6)
@given(
    birth=st.integers(min_value=_day(date(1875, 11, 1)), max_value=_day(date(2007, 10, 9))),
    swap_age=st.integers(min_value=73, max_value=3070),
    issue_age=st.integers(min_value=-1, max_value=23),
)
def test_presentation_length_is_the_same_for_every_age_and_swap_time(
    birth: int, swap_age: int, issue_age: int
) -> None:
    issue_hour = statements.hour_ceil(T) - issue_age
    credential = _credential(
        birth_day=birth,
        sim_change_hour=statements.hour_ceil(T) - swap_age,
        issue_hour=issue_hour,
        home_country=country("PT"),
    )
    statement_list = [
        AGE_18,
        statements.sim_swap(72, T, SIM_CHANGE_HOUR),
        statements.issued_within(24, T, ISSUE_HOUR),
        statements.home_country_in("EEA", EEA, T, HOME_COUNTRY),
    ]
    presentation = present(credential, [_honest(credential, s) for s in statement_list], PH)
    verify(presentation, statement_list, PH, credential.disclosed_values)
    assert len(presentation.bbs_proof) == 592
    assert len(presentation.predicate_proof) == 3040 + 2272 + 1504 + 48 + 64 * len(EEA)


@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2300, 12, 31)),
    years=st.integers(0, 120),
)
def test_age_cutoff_is_the_latest_birth_day_that_reached_the_age(day: date, years: int) -> None:
    cutoff = date.fromordinal(statements.age_cutoff(day.toordinal(), years))
    assert anniversary(cutoff, years) <= day < anniversary(cutoff + timedelta(days=1), years)
    try:  # Chapter 9's closed form.
        expected = date(day.year - years, day.month, day.day)
    except ValueError:
        expected = date(day.year - years, 2, 28)
    assert cutoff == expected


@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2300, 12, 31)),
    months=st.integers(1, 1200),
)
def test_tenure_cutoff_is_the_latest_start_that_reached_the_months(day: date, months: int) -> None:
    cutoff = date.fromordinal(statements.tenure_cutoff(day.toordinal(), months))
    assert add_months(cutoff, months) <= day < add_months(cutoff + timedelta(days=1), months)
    # Chapter 9's closed form.
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        expected = date(year, month + 1, last)
    else:
        expected = date(year, month + 1, min(day.day, last))
    assert cutoff == expected


def test_statements_are_checked() -> None:
    bad: list[Callable[[], object]] = [
        lambda: statements.age_over(121, T, BIRTH_DAY),
        lambda: statements.age_over(-1, T, BIRTH_DAY),
        lambda: statements.tenure(0, T, CONTRACT_START_DAY),
        lambda: statements.tenure(1201, T, CONTRACT_START_DAY),
        lambda: statements.sim_swap(0, T, SIM_CHANGE_HOUR),
        lambda: statements.device_swap(2401, T, DEVICE_CHANGE_HOUR),
        lambda: statements.issued_within(169, T, ISSUE_HOUR),
        lambda: statements.issued_within(0, T, ISSUE_HOUR),
        lambda: statements.age_over(18, -1, BIRTH_DAY),
        lambda: statements.age_over(True, T, BIRTH_DAY),  # type: ignore[arg-type]
        # A cutoff below zero (a time too early) or at 2^24 (too late) could wrap around.
        lambda: statements.sim_swap(72, 3600 * 50, SIM_CHANGE_HOUR),
        lambda: statements.RangeStatement("x:1", 3, 1, 1, T, 16, 1 << 24),
        lambda: statements.RangeStatement("x:1", 3, 1, 1, T, 33, 1),
        lambda: statements.RangeStatement("x:1", 3, 3, 1, T, 16, 1),
        lambda: statements.RangeStatement("", 3, 1, 1, T, 16, 1),
        lambda: statements.RangeStatement("é", 3, 1, 1, T, 16, 1),
        lambda: statements.home_country_in("eea", EEA, T, HOME_COUNTRY),
        lambda: statements.home_country_in("A" * 17, EEA, T, HOME_COUNTRY),
        lambda: statements.home_country_in("EEA", [], T, HOME_COUNTRY),
        lambda: statements.home_country_in("BIG", range(33), T, HOME_COUNTRY),
        lambda: statements.MembershipStatement("s", 8, T, (2, 1)),
        lambda: statements.MembershipStatement("s", 8, T, (1, 1 << 24)),
        lambda: statements.canonical_order([AGE_18, statements.age_over(16, T, BIRTH_DAY)]),
        lambda: AGE_18.holds(1 << 24),
        lambda: AGE_18.holds(-1),
    ]
    for make in bad:
        with pytest.raises(ValueError):
            make()


# -- nonces, randomness and the batched check -----------------------------------------------


def test_each_nonce_is_used_once() -> None:
    source = ScalarSource()
    nonce = source.draw()
    value = nonce.read()
    assert 0 < value < R and nonce.consumed
    with pytest.raises(RuntimeError, match="exactly one challenge"):
        nonce.read()
    unread = source.draw()
    assert str(value) not in repr(nonce) and "redacted" in repr(unread)
    for leak in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError):
            leak(unread)
    with pytest.raises(TypeError):
        pickle.dumps(source)
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    commitments: list[range_proof.RangeCommitment | set_membership.MembershipCommitment] = [
        range_proof.prover_commit(
            AGE_18, ADULT[BIRTH_DAY], source, api_id=API_ID, ciphersuite=CIPHERSUITE
        ),
        set_membership.prover_commit(
            eea, ADULT[HOME_COUNTRY], source, api_id=API_ID, ciphersuite=CIPHERSUITE
        ),
    ]
    for commitment in commitments:
        # The BBS nonce goes to the BBS core once ...
        commitment.bbs_nonce.read()
        with pytest.raises(RuntimeError):
            commitment.bbs_nonce.read()
        # ... and the predicate's own nonces answer one challenge.
        commitment.state.respond(12345)
        with pytest.raises(RuntimeError, match="exactly one challenge"):
            commitment.state.respond(67890)
        assert "redacted" in repr(commitment.state)
        with pytest.raises(TypeError):
            pickle.dumps(commitment.state)
    # Honest presentations never share a nonce: two in a row differ in every first message.
    one, two = (present(ADULT, [HonestRange(AGE_18, ADULT[BIRTH_DAY])], PH) for _ in range(2))
    points_one = {one.predicate_proof[i : i + 48] for i in range(0, 32 * 48, 48)}
    points_two = {two.predicate_proof[i : i + 48] for i in range(0, 32 * 48, 48)}
    assert len(points_one) == len(points_two) == 32 and not points_one & points_two


def _scripted_rng(values: Sequence[int], then: bytes) -> tuple[Callable[[int], bytes], list[int]]:
    """An rng that returns the given scalars (48 octets each), then a seeded stream."""
    rest = seeded_rng(then)
    calls: list[int] = []

    def rng(n: int) -> bytes:
        calls.append(n)
        if len(calls) <= len(values):
            return values[len(calls) - 1].to_bytes(n, "big")
        return rest(n)

    return rng, calls


def test_commitment_draws_again_when_the_bbs_nonce_would_be_zero() -> None:
    n = AGE_18.bits
    b_tilde_high = list(range(2, n + 1))
    b_tilde_0 = -sum(x << i for i, x in enumerate(b_tilde_high, start=1)) % R
    first_draw = [*range(100, 100 + n), b_tilde_0, *b_tilde_high, *range(200, 200 + 2 * n)]
    rng, calls = _scripted_rng(first_draw, b"after the zero nonce")
    commitment = range_proof.prover_commit(
        AGE_18, ADULT[BIRTH_DAY], ScalarSource(rng), api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    assert len(calls) == 8 * n
    assert 0 < commitment.bbs_nonce.read() < R


def test_a_zero_response_asks_for_fresh_randomness() -> None:
    n = AGE_18.bits
    # Replay the prover's draws: s_0 is its first, s~_0 its (2n + 1)-th.
    replay = ScalarSource(seeded_rng(b"replayed"))
    drawn = [replay.draw().read() for _ in range(4 * n)]
    s_0, s_tilde_0 = drawn[0], drawn[2 * n]
    commitment = range_proof.prover_commit(
        AGE_18,
        ADULT[BIRTH_DAY],
        ScalarSource(seeded_rng(b"replayed")),
        api_id=API_ID,
        ciphersuite=CIPHERSUITE,
    )
    with pytest.raises(FreshRandomnessRequired):
        commitment.state.respond(-s_tilde_0 * pow(s_0, -1, R) % R)
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    replay = ScalarSource(seeded_rng(b"replayed"))
    _, s, s_tilde = (replay.draw().read() for _ in range(3))
    membership = set_membership.prover_commit(
        eea,
        ADULT[HOME_COUNTRY],
        ScalarSource(seeded_rng(b"replayed")),
        api_id=API_ID,
        ciphersuite=CIPHERSUITE,
    )
    with pytest.raises(FreshRandomnessRequired):
        membership.state.respond(-s_tilde * pow(s, -1, R) % R)


@functools.cache
def _two_ranges() -> tuple[StandIn, list[range_proof.RangeCheck]]:
    """An honest stand-in presentation of an age and a swap range, and its recomputed checks."""
    swap = statements.sim_swap(72, T, SIM_CHANGE_HOUR)
    values = {BIRTH_DAY: ADULT[BIRTH_DAY], SIM_CHANGE_HOUR: ADULT[SIM_CHANGE_HOUR]}
    standin = present_standin(
        values, [HonestRange(s, values[s.attribute]) for s in (AGE_18, swap)], b"c"
    )
    _, checks = recompute_predicates(
        [AGE_18, swap], standin.predicate_proof, standin.m_hat, standin.challenge
    )
    return standin, checks


@given(
    q=st.integers(min_value=0, max_value=16 + 12 - 1),
    field_name=st.sampled_from(["A", "s_hat", "b_hat"]),
)
def test_batched_and_individual_checks_agree(q: int, field_name: str) -> None:
    standin, checks = _two_ranges()
    transcript = b"challenge input"

    def both(candidate: Sequence[range_proof.RangeCheck]) -> list[bool]:
        outcomes = []
        for check in (
            lambda: range_proof.verify_each(
                candidate, standin.challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
            ),
            lambda: range_proof.verify_batched(
                candidate,
                standin.challenge,
                transcript,
                standin.predicate_proof,
                api_id=API_ID,
                ciphersuite=CIPHERSUITE,
            ),
        ):
            try:
                check()
                outcomes.append(True)
            except InvalidProof:
                outcomes.append(False)
        return outcomes

    assert both(checks) == [True, True]
    # One E1 equation made false, in bit q: both checks reject.
    which, bit = (0, q) if q < 16 else (1, q - 16)
    check = checks[which]
    proof = check.proof
    if field_name == "A":
        changed = proof._replace(
            A=tuple(BACKEND.g1_add(a, Y_0) if i == bit else a for i, a in enumerate(proof.A))
        )
        tampered = check._replace(proof=changed)
    elif field_name == "s_hat":
        changed = proof._replace(
            s_hat=tuple((s + 1) % R if i == bit else s for i, s in enumerate(proof.s_hat))
        )
        tampered = check._replace(proof=changed)
    else:  # b^_q, or b^_0 when q is a lowest bit
        if bit == 0:
            tampered = check._replace(b_hat_0=(check.b_hat_0 + 1) % R)
        else:
            changed = proof._replace(
                b_hat=tuple((b + 1) % R if i == bit - 1 else b for i, b in enumerate(proof.b_hat))
            )
            tampered = check._replace(proof=changed)
    candidate = list(checks)
    candidate[which] = tampered
    assert both(candidate) == [False, False]


# -- the transcript's octets and the wire format ----------------------------------------------


def test_transcript_matches_the_specified_octets() -> None:
    """The challenge of a fixed-seed presentation is hash_to_scalar of chapter 9's items 1
    to 11, each written here from the text: constants spelled out, the statements' octets
    literal, the recomputed first messages from the verifier's equations."""
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    provers = [_honest(ADULT, AGE_18), _honest(ADULT, eea)]
    shown = present(ADULT, provers, PH, rng=seeded_rng(b"the transcript test"))
    verify(shown, [AGE_18, eea], PH, DISCLOSED_VALUES)
    again = present(
        ADULT,
        [_honest(ADULT, AGE_18), _honest(ADULT, eea)],
        PH,
        rng=seeded_rng(b"the transcript test"),
    )
    assert again == shown  # the seed fixes every octet
    proof = bbs.octets_to_proof(shown.bbs_proof, ciphersuite=CIPHERSUITE)
    c = proof.challenge
    m_hat = dict(zip(UNDISCLOSED, proof.commitments, strict=True))
    age, home = decode_predicates([AGE_18, eea], shown.predicate_proof)
    assert isinstance(age, range_proof.RangeProof)
    assert isinstance(home, set_membership.MembershipProof)
    u64 = lambda value: value.to_bytes(8, "big")  # noqa: E731
    u256 = lambda value: value.to_bytes(32, "big")  # noqa: E731
    lp = lambda octets: u64(len(octets)) + octets  # noqa: E731
    point = BACKEND.g1_to_bytes
    msm = lambda points, scalars: BACKEND.g1_msm(points, [x % R for x in scalars])  # noqa: E731
    # Item 9, the age range: D_i and A_i as sent, B_i = (b^_i - c) * D_i + t^_i * Y_0 with
    # b^_0 = sigma * (m^_a - c * kappa) - sum(2^i * b^_i), sigma = -1.
    b_hat = [
        -(m_hat[BIRTH_DAY] - c * AGE_18.cutoff) - sum(b << i for i, b in enumerate(age.b_hat, 1)),
        *age.b_hat,
    ]
    b_points = [
        msm([d_i, Y_0], [b - c, t]) for d_i, b, t in zip(age.D, b_hat, age.t_hat, strict=True)
    ]
    age_octets = b"".join(point(d) for d in age.D) + b"".join(
        point(a) + point(b) for a, b in zip(age.A, b_points, strict=True)
    )
    # Item 9, the membership: C as sent, C~ = m^_a * Y_1 + s^ * Y_0 - c * C, and
    # W_j = z_j * Y_0 - c_j * (C - v_j * Y_1) with c_k = c - (c_1 + ... + c_(k-1)).
    c_tilde = msm([Y_1, Y_0, home.C], [m_hat[HOME_COUNTRY], home.s_hat, -c])
    subchallenges = [*home.subchallenges, c - sum(home.subchallenges)]
    w_points = [
        msm([Y_0, home.C, Y_1], [z, -c_j, c_j * v])
        for z, c_j, v in zip(home.z, subchallenges, EEA, strict=True)
    ]
    home_octets = b"".join(point(p) for p in (home.C, c_tilde, *w_points))
    init_res = bbs.proof_verify_init(
        PK,
        proof,
        bbs.create_generators(10, API_ID, ciphersuite=CIPHERSUITE)
        + bbs.create_generators(3, b"BLIND_" + API_ID, ciphersuite=CIPHERSUITE),
        b"ZKCHECK-CREDENTIAL-SUBSCRIBER-LAYOUT-1" + u64(1),
        DISCLOSED_VALUES,
        [0, 2],
        API_ID,
        ciphersuite=CIPHERSUITE,
    )
    kappa = date(2007, 10, 9).toordinal()
    items = [
        lp(b"ZKCHECK-PRESENTATION-V1"),  # 1
        lp(b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_"),  # 2
        PK,  # 3
        lp(b"ZKCHECK-CREDENTIAL-SUBSCRIBER-LAYOUT-1" + u64(1)),  # 4
        u64(1),  # 5
        u64(2) + u64(0) + u256(65537) + u64(2) + u256(DISCLOSED_VALUES[1]),  # 6
        u64(2)  # 7
        + (lp(b"age_over:18") + u64(1) + u64(3) + u64(18) + u64(T) + u64(16) + u64(kappa))
        + (lp(b"home_country_in:EEA") + u64(3) + u64(8) + u64(0) + u64(T) + u64(8))
        + b"".join(u64(v) for v in EEA),
        lp(PH),  # 8
        age_octets + home_octets,  # 9
        u64(0),  # 10: no pseudonym block
        b"".join(point(p) for p in init_res[:5]) + u256(init_res.domain),  # 11
    ]
    dst = b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_BLIND_H2G_TM2S_ZKCHECK-V1_PRESENTATION_V1_H2S_"
    assert bbs.hash_to_scalar(b"".join(items), dst) == c
    # The package builds the same octets, item by item.
    context = presentation_module.context_octets(
        PK,
        list(zip([0, 2], DISCLOSED_VALUES, strict=True)),
        [predicate(AGE_18), predicate(eea)],
        PH,
        version=presentation_module.VERSION_1,
        ciphersuite=CIPHERSUITE,
    )
    assert context == b"".join(items[:8])
    built = presentation_module.challenge_input(
        context, [age_octets, home_octets], b"", [], [], init_res, ciphersuite=CIPHERSUITE
    )
    assert built == b"".join(items)
    # Any one item changed changes the challenge.
    for index in range(len(items)):
        changed = list(items)
        changed[index] = items[index][:-1] + bytes([items[index][-1] ^ 1])
        assert bbs.hash_to_scalar(b"".join(changed), dst) != c


def test_statement_and_message_octets_are_the_specified_octets() -> None:
    kappa = date(2007, 10, 9).toordinal()
    assert AGE_18.cutoff == kappa
    u64 = lambda value: value.to_bytes(8, "big")  # noqa: E731
    assert AGE_18.statement_octets() == (
        u64(11) + b"age_over:18" + u64(1) + u64(BIRTH_DAY) + u64(18) + u64(T) + u64(16) + u64(kappa)
    )
    fresh = statements.issued_within(24, T, ISSUE_HOUR)
    assert fresh.statement_octets() == (
        u64(16)
        + b"issued_within:24"
        + u64(2)
        + u64(1)
        + u64(24)
        + u64(T)
        + u64(8)
        + u64(-(-T // 3600) - 24)
    )
    eea = statements.home_country_in("EEA", reversed(EEA), T, HOME_COUNTRY)
    assert eea.values == tuple(EEA)
    assert eea.statement_octets() == (
        u64(19)
        + b"home_country_in:EEA"
        + u64(3)
        + u64(8)
        + u64(0)
        + u64(T)
        + u64(8)
        + b"".join(u64(v) for v in EEA)
    )
    # Item 7: the count, then canonical order (ascending attribute index), whatever the input order.
    assert statements.statements_octets([eea, AGE_18, fresh]) == (
        u64(3) + fresh.statement_octets() + AGE_18.statement_octets() + eea.statement_octets()
    )
    # Item 9: the prover hashes exactly the octets the verifier recomputes.
    values = {BIRTH_DAY: ADULT[BIRTH_DAY], HOME_COUNTRY: ADULT[HOME_COUNTRY]}
    source = ScalarSource()
    age = range_proof.prover_commit(
        AGE_18, values[BIRTH_DAY], source, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    home = set_membership.prover_commit(
        eea, values[HOME_COUNTRY], source, api_id=API_ID, ciphersuite=CIPHERSUITE
    )
    encode = BACKEND.g1_to_bytes
    fm = age.first_messages
    expected_age = b"".join(encode(p) for p in fm.D) + b"".join(
        encode(a) + encode(b) for a, b in zip(fm.A, fm.B, strict=True)
    )
    assert range_proof.messages_octets(fm, ciphersuite=CIPHERSUITE) == expected_age
    assert len(expected_age) == 48 * 3 * 16
    hm = home.first_messages
    assert set_membership.messages_octets(hm, ciphersuite=CIPHERSUITE) == b"".join(
        encode(p) for p in (hm.C, hm.C_tilde, *hm.W)
    )
    challenge = 0xC0FFEE << 100
    m_hat = {
        BIRTH_DAY: (age.bbs_nonce.read() + challenge * values[BIRTH_DAY]) % R,
        HOME_COUNTRY: (home.bbs_nonce.read() + challenge * values[HOME_COUNTRY]) % R,
    }
    age_proof = age.state.respond(challenge)
    home_proof = home.state.respond(challenge)
    # The wire order: D's, A's, then b^_1.., s^_0.., t^_0..; C, s^, c_1..c_(k-1), z_1..z_k.
    wire = range_proof.range_proof_to_octets(age_proof, ciphersuite=CIPHERSUITE)
    scalar = lambda x: x.to_bytes(32, "big")  # noqa: E731
    assert wire == (
        b"".join(encode(p) for p in (*fm.D, *fm.A))
        + b"".join(scalar(x) for x in (*age_proof.b_hat, *age_proof.s_hat, *age_proof.t_hat))
    )
    assert len(wire) == range_proof.proof_length(16) == 3040
    membership_wire = set_membership.membership_proof_to_octets(home_proof, ciphersuite=CIPHERSUITE)
    assert membership_wire == encode(hm.C) + b"".join(
        scalar(x) for x in (home_proof.s_hat, *home_proof.subchallenges, *home_proof.z)
    )
    assert len(membership_wire) == set_membership.proof_length(len(EEA)) == 48 + 64 * 8
    assert [range_proof.proof_length(n) for n in (16, 12, 8)] == [3040, 2272, 1504]
    # The verifier's predicates recompute, from the wire, exactly the octets the prover hashed.
    messages, _ = recompute_predicates([AGE_18, eea], wire + membership_wire, m_hat, challenge)
    assert messages == [expected_age, set_membership.messages_octets(hm, ciphersuite=CIPHERSUITE)]


def test_recomputed_first_messages_that_are_the_identity_are_rejected() -> None:
    """Steps 5.2 and 6.4: a B_i, C~ or W_j that recomputes to the identity fails."""
    challenge, x, m_hat = 0xABC << 128, 0x1234567, 0x7654321 << 64
    point = BACKEND.g1_mul(Y_0, x)
    # B_1 = (b^_1 - c) * D_1 + t^_1 * Y_0 with D_1 = x * Y_0 and t^_1 = -(b^_1 - c) * x.
    b_hat = tuple(range(2, 17))
    t_hat = (1, -(b_hat[0] - challenge) * x % R, *range(3, 17))
    proof = range_proof.RangeProof((point,) * 16, (point,) * 16, b_hat, tuple(range(1, 17)), t_hat)
    with pytest.raises(InvalidProof):
        range_proof.verifier_recompute(
            AGE_18, proof, m_hat, challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
        )
    eea = statements.home_country_in("EEA", EEA, T, HOME_COUNTRY)
    # C~ = m^ * Y_1 + s^ * Y_0 - c * C with C = (m^ / c) * Y_1 + x * Y_0 and s^ = c * x.
    opening = BACKEND.g1_msm([Y_1, Y_0], [m_hat * pow(challenge, -1, R) % R, x])
    identity_c_tilde = set_membership.MembershipProof(
        opening, challenge * x % R, tuple(range(1, 8)), tuple(range(1, 9))
    )
    # W_1 = z_1 * Y_0 - c_1 * (C - v_1 * Y_1) with C = v_1 * Y_1 + x * Y_0 and z_1 = c_1 * x.
    at_v_1 = BACKEND.g1_msm([Y_1, Y_0], [EEA[0], x])
    identity_w_1 = set_membership.MembershipProof(
        at_v_1, 5, tuple(range(1, 8)), (x % R, *range(2, 9))
    )
    for proof_with_identity in (identity_c_tilde, identity_w_1):
        with pytest.raises(InvalidProof):
            set_membership.verifier_recompute(
                eea, proof_with_identity, m_hat, challenge, api_id=API_ID, ciphersuite=CIPHERSUITE
            )
    # The same shapes with the identity avoided pass this step.
    set_membership.verifier_recompute(
        eea,
        identity_w_1._replace(z=(x + 1, *range(2, 9))),
        m_hat,
        challenge,
        api_id=API_ID,
        ciphersuite=CIPHERSUITE,
    )


def test_batch_weights_are_hashed_after_the_responses() -> None:
    """Step 8's weights cover the encoded proof, so responses cannot be tuned to them.

    With the weights of chapter 9 (computed here from the formula), changing s^_0 by
    rho_1 and s^_1 by -rho_0 leaves the batched sum unchanged. The verifier derives its
    weights from the proof it received, so the tuned proof gets other weights and fails;
    fed the original octets instead, the batch accepts the tuned responses, which shows
    both that the formula here is the implementation's and that only the binding stops it.
    """
    standin, checks = _two_ranges()
    transcript = b"challenge input"
    octets = CIPHERSUITE.expand_message(
        transcript + standin.challenge.to_bytes(32, "big") + standin.predicate_proof,
        API_ID + b"PRED_V1_BATCH_",
        16 * (16 + 12),
    )
    rho = [int.from_bytes(octets[16 * q : 16 * q + 16], "big") for q in range(28)]
    age = checks[0].proof
    tuned_s = ((age.s_hat[0] + rho[1]) % R, (age.s_hat[1] - rho[0]) % R, *age.s_hat[2:])
    tuned = [checks[0]._replace(proof=age._replace(s_hat=tuned_s)), checks[1]]
    tuned_octets = b"".join(
        range_proof.range_proof_to_octets(check.proof, ciphersuite=CIPHERSUITE) for check in tuned
    )

    def batch(candidate: Sequence[range_proof.RangeCheck], proof_octets: bytes) -> None:
        range_proof.verify_batched(
            candidate,
            standin.challenge,
            transcript,
            proof_octets,
            api_id=API_ID,
            ciphersuite=CIPHERSUITE,
        )

    batch(checks, standin.predicate_proof)
    with pytest.raises(InvalidProof):
        batch(tuned, tuned_octets)
    batch(tuned, standin.predicate_proof)
    with pytest.raises(InvalidProof):
        range_proof.verify_each(tuned, standin.challenge, api_id=API_ID, ciphersuite=CIPHERSUITE)


def test_reference_backend_agrees() -> None:
    """py_ecc recomputes the same first messages as arkworks, and each verifies the other's."""
    reference = bbs.get_ciphersuite(backend=get_backend("py_ecc"))
    fresh = statements.issued_within(24, T, ISSUE_HOUR)
    home = statements.home_country_in("IB", [country("ES"), country("PT")], T, HOME_COUNTRY)
    values = {ISSUE_HOUR: statements.hour_ceil(T) - 3, HOME_COUNTRY: country("PT")}
    challenge = 0xFACADE << 160
    outputs = []
    for ciphersuite in (CIPHERSUITE, reference):
        source = ScalarSource(seeded_rng(b"the same nonces on both backends"))
        age = range_proof.prover_commit(
            fresh, values[ISSUE_HOUR], source, api_id=API_ID, ciphersuite=ciphersuite
        )
        member = set_membership.prover_commit(
            home, values[HOME_COUNTRY], source, api_id=API_ID, ciphersuite=ciphersuite
        )
        m_hat = {
            ISSUE_HOUR: (age.bbs_nonce.read() + challenge * values[ISSUE_HOUR]) % R,
            HOME_COUNTRY: (member.bbs_nonce.read() + challenge * values[HOME_COUNTRY]) % R,
        }
        wire = range_proof.range_proof_to_octets(
            age.state.respond(challenge), ciphersuite=ciphersuite
        ) + set_membership.membership_proof_to_octets(
            member.state.respond(challenge), ciphersuite=ciphersuite
        )
        hashed = range_proof.messages_octets(
            age.first_messages, ciphersuite=ciphersuite
        ) + set_membership.messages_octets(member.first_messages, ciphersuite=ciphersuite)
        outputs.append((wire, hashed, m_hat))
    assert outputs[0] == outputs[1]
    wire, hashed, m_hat = outputs[0]
    for ciphersuite in (CIPHERSUITE, reference):
        range_part = range_proof.octets_to_range_proof(wire[:1504], 8, ciphersuite=ciphersuite)
        member_part = set_membership.octets_to_membership_proof(
            wire[1504:], 2, ciphersuite=ciphersuite
        )
        check = range_proof.verifier_recompute(
            fresh, range_part, m_hat[ISSUE_HOUR], challenge, api_id=API_ID, ciphersuite=ciphersuite
        )
        membership = set_membership.verifier_recompute(
            home,
            member_part,
            m_hat[HOME_COUNTRY],
            challenge,
            api_id=API_ID,
            ciphersuite=ciphersuite,
        )
        recomputed = range_proof.messages_octets(
            check.first_messages, ciphersuite=ciphersuite
        ) + set_membership.messages_octets(membership.first_messages, ciphersuite=ciphersuite)
        assert recomputed == hashed
        range_proof.verify_batched(
            [check], challenge, hashed, wire, api_id=API_ID, ciphersuite=ciphersuite
        )
