"""Layout version 1 of the credential tier (spec/08-credential-tier.md, hazmat level).

The interface identifier and every constant against the chapter's tables;
the time and date encodings; every position's scalar and admissible range,
with values outside it refused by a typed error; the blind issuance of a
layout-1 credential with the commitment's, the entropy's and the
signature's failures.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from zkcheck.errors import DecodeError, InvalidProof, InvalidSignature, PolicyError
from zkcheck.hazmat import bbs, blind_bbs, credential, presentation
from zkcheck.hazmat.backend import GROUP_ORDER
from zkcheck.hazmat.bbs_pseudonym import generate_prover_nyms, generate_signer_nym_entropy
from zkcheck.hazmat.credential import (
    DAY_SENTINEL,
    HOUR_SENTINEL,
    MAX_PAST_DAYS,
    SWAP_CLAMP_HOURS,
    LayoutFacts,
)
from zkcheck.hazmat.predicate_parameters import predicate_generators
from zkcheck.hazmat.secret import SecretBytes

CIPHERSUITE = bbs.get_ciphersuite()
SK, PK = credential.generate_key()
NOW = int(datetime(2026, 3, 10, 12, 34, 56, tzinfo=UTC).timestamp())
HOUR = credential.hour_floor(NOW)
DAY = credential.day_of_hour(HOUR)
FACTS = LayoutFacts(
    issue_hour=HOUR,
    expiry_day=credential.expiry_day(HOUR),
    birth_day=date(1990, 5, 17).toordinal(),
    sim_change_hour=HOUR - 100,
    device_change_hour=HOUR_SENTINEL,
    contract_start_day=DAY_SENTINEL,
    msisdn="+34600000101",
    home_country="ES",
)


def _issue(facts: LayoutFacts = FACTS) -> tuple[bytes, SecretBytes, SecretBytes, bytes, bytes]:
    holder_secret = credential.generate_holder_secret()
    (prover_nym,) = generate_prover_nyms(1)
    commitment, blind = credential.commit(holder_secret, prover_nym)
    entropy = generate_signer_nym_entropy()
    signature = credential.blind_sign(SK, PK, commitment, entropy, facts)
    return signature, holder_secret, prover_nym, entropy, blind.reveal()


def test_interface_constants_are_the_chapters() -> None:
    assert credential.API_ID == b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_BLIND_H2G_TM2S_ZKCHECK-V1_"
    assert len(credential.API_ID) == 61
    # ADD_INFO holds characters 0x21 to 0x7e only and ends with its one underscore.
    add_info = credential.API_ID.removeprefix(credential.SUITE.ciphersuite_id + b"BLIND_H2G_TM2S_")
    assert add_info == b"ZKCHECK-V1_" and all(0x21 <= c <= 0x7E for c in add_info)
    assert add_info.count(b"_") == 1
    assert len(credential.MAP_DST) == 87 and len(credential.H2S_DST) == 65
    assert credential.HEADER.hex() == (
        "5a4b434845434b2d43524544454e5449414c2d535542534352494245522d4c41594f55542d31"
        "0000000000000001"
    )
    assert len(credential.HEADER) == 46
    assert credential.TYPE_VERSION == 1 * 2**16 + 1
    assert (DAY_SENTINEL, HOUR_SENTINEL) == (2**20 - 1, 2**24 - 1)
    for version in (presentation.VERSION_1, presentation.VERSION_2):
        assert version.protocol_id == b"ZKCHECK-PRESENTATION-V%d" % version.number
        assert len(version.protocol_id) == 23 and len(version.challenge_dst) == 81
        assert len(version.batch_dst) == 75
    assert len(presentation.PRED_GEN_API) == 85


def test_generators_are_the_blind_interfaces_signed_list() -> None:
    generators = credential.generators(CIPHERSUITE)
    # (Q_1, H_1..H_9) from api_id and (Q_2, J_1, J_2) from "BLIND_" || api_id, as the
    # blind and pseudonym interfaces build the signed list of 9 + 1 + 1 + 1 messages.
    _, expected, _ = blind_bbs.prover_parameters(
        [0] * 9, [0], [], [], None, credential.API_ID, ciphersuite=CIPHERSUITE, trailing_scalars=[1]
    )
    assert generators == expected and len(generators) == 13
    y_0, y_1 = predicate_generators(credential.API_ID, ciphersuite=CIPHERSUITE)
    encoded = {CIPHERSUITE.backend.g1_to_bytes(point) for point in (*generators, y_0, y_1)}
    assert len(encoded) == 15


def test_time_and_date_encodings() -> None:
    assert date(1970, 1, 1).toordinal() == credential.EPOCH_ORDINAL == 719163
    assert date.fromordinal(1).weekday() == 0  # ordinal 1 is a Monday
    assert date.fromordinal(DAY_SENTINEL) == date(2871, 11, 25)
    limit = datetime.fromtimestamp(3600 * 2**24, UTC)
    assert (limit.year, limit.month) == (3883, 12)  # 24-bit hour counts last until then
    overflow = datetime.fromtimestamp(3600 * 2**19, UTC)
    assert (overflow.year, overflow.month) == (2029, 10)  # why 19 bits would not do
    assert credential.hour_floor(7199) == 1 and credential.hour_ceil(7199) == 2
    assert credential.hour_floor(7200) == credential.hour_ceil(7200) == 2
    tuesday = date(2026, 3, 10).toordinal()
    monday = date(2026, 3, 9).toordinal()
    assert credential.week_start(tuesday) == credential.week_start(monday) == monday
    assert credential.week_start(date(2026, 3, 15).toordinal()) == monday  # a Sunday
    assert credential.day_of_time(NOW) == tuesday == DAY
    assert credential.day_start(tuesday) == NOW - NOW % 86400
    # Every credential issued in one week expires on the Monday two weeks after it.
    for hour in (credential.hour_floor(credential.day_start(monday)), HOUR):
        assert credential.expiry_day(hour) == date(2026, 3, 23).toordinal()
    last_hour = credential.hour_floor(credential.day_start(monday + 7)) - 1
    assert credential.expiry_day(last_hour) == date(2026, 3, 23).toordinal()
    assert credential.expiry_day(last_hour + 1) == date(2026, 3, 30).toordinal()


def test_each_position_encodes_as_the_table_says() -> None:
    assert FACTS.scalars() == [
        65537,
        HOUR,
        date(2026, 3, 23).toordinal(),
        date(1990, 5, 17).toordinal(),
        HOUR - 100,
        HOUR_SENTINEL,
        DAY_SENTINEL,
        bbs.hash_to_scalar(b"+34600000101", credential.MAP_DST),
        256 * ord("E") + ord("S"),
    ]
    assert credential.country_code("AA") == 16705 and credential.country_code("ZZ") == 23130
    assert credential.country_code(None) == 0 and credential.msisdn_scalar(None) == 0
    missing = replace(FACTS, msisdn=None, home_country=None)
    assert missing.scalars()[7:] == [0, 0]
    # Every integer position is its own scalar, below 2^24: none reduces modulo r.
    assert all(0 <= value < 2**24 for value in FACTS.scalars()[:7])


@pytest.mark.parametrize(
    "changes",
    [
        {"issue_hour": -1},
        {"issue_hour": True},
        {"issue_hour": 24 * (DAY_SENTINEL - credential.EPOCH_ORDINAL)},
        {"expiry_day": credential.expiry_day(HOUR) + 7},
        {"expiry_day": credential.expiry_day(HOUR) - 1},
        {"birth_day": DAY + 1},
        {"birth_day": DAY - MAX_PAST_DAYS - 1},
        {"birth_day": -5},
        {"birth_day": DAY_SENTINEL - 1},
        {"contract_start_day": DAY + 1},
        {"contract_start_day": DAY - MAX_PAST_DAYS - 1},
        {"sim_change_hour": HOUR + 2},
        {"sim_change_hour": HOUR - SWAP_CLAMP_HOURS - 1},
        {"device_change_hour": HOUR_SENTINEL - 1},
        {"device_change_hour": 2**24},
        {"birth_day": "1990-05-17"},
        {"msisdn": "34600000101"},
        {"msisdn": "+3460"},
        {"msisdn": "+034600000101"},
        {"home_country": "es"},
        {"home_country": "ESP"},
        {"home_country": "E1"},
    ],
)
def test_values_outside_their_range_are_refused(changes: dict[str, object]) -> None:
    facts = replace(FACTS, **changes)  # type: ignore[arg-type]
    with pytest.raises(PolicyError):
        facts.check()
    commitment, _ = credential.commit(
        credential.generate_holder_secret(), generate_prover_nyms(1)[0]
    )
    with pytest.raises(PolicyError):
        credential.blind_sign(SK, PK, commitment, generate_signer_nym_entropy(), facts)


def test_range_boundaries_and_sentinels_are_accepted() -> None:
    for changes in (
        {"birth_day": DAY, "contract_start_day": DAY - MAX_PAST_DAYS},
        {"birth_day": DAY - MAX_PAST_DAYS, "contract_start_day": DAY},
        {"sim_change_hour": HOUR + 1, "device_change_hour": HOUR - SWAP_CLAMP_HOURS},
        {"birth_day": DAY_SENTINEL, "sim_change_hour": HOUR_SENTINEL},
        {"msisdn": "+12345", "home_country": "ZZ"},
        {"msisdn": "+123456789012345", "home_country": "AA"},
    ):
        replace(FACTS, **changes).check()  # type: ignore[arg-type]


def test_issuance_completes_the_nym_secret_and_verifies() -> None:
    signature, holder_secret, prover_nym, entropy, blind = _issue()
    nym_secret = credential.complete(
        PK, signature, FACTS, holder_secret, prover_nym, entropy, SecretBytes(blind)
    )
    expected = (int.from_bytes(prover_nym.reveal(), "big") + int.from_bytes(entropy, "big")) % (
        GROUP_ORDER
    )
    assert int.from_bytes(nym_secret.reveal(), "big") == expected
    # The signature is a BBS signature over the 12 scalars, header_v1 and the layout's
    # generators.
    scalars = credential.message_scalars(FACTS, SecretBytes(blind), holder_secret, nym_secret)
    bbs.core_verify(
        PK,
        signature,
        credential.generators(CIPHERSUITE),
        credential.HEADER,
        scalars,
        credential.API_ID,
        ciphersuite=CIPHERSUITE,
    )
    # Another birth day, another holder secret, another blind: the signature fails.
    for changed in (
        (replace(FACTS, birth_day=FACTS.birth_day + 1), holder_secret, SecretBytes(blind)),
        (FACTS, credential.generate_holder_secret(), SecretBytes(blind)),
        (FACTS, holder_secret, credential.generate_holder_secret()),
    ):
        facts, secret, other_blind = changed
        with pytest.raises(InvalidSignature):
            credential.complete(PK, signature, facts, secret, prover_nym, entropy, other_blind)


def test_the_operator_refuses_a_bad_commitment() -> None:
    holder_secret = credential.generate_holder_secret()
    (prover_nym,) = generate_prover_nyms(1)
    commitment, _ = credential.commit(holder_secret, prover_nym)
    assert len(commitment) == credential.COMMITMENT_LENGTH == 176
    entropy = generate_signer_nym_entropy()
    for malformed in (commitment[:-32], commitment + bytes(32), b""):
        with pytest.raises(DecodeError):
            credential.blind_sign(SK, PK, malformed, entropy, FACTS)
    # A response changed: the proof of knowledge fails.
    for offset in (48, 80, 112, 144):
        changed = bytearray(commitment)
        changed[offset + 31] ^= 1
        with pytest.raises(InvalidProof):
            credential.blind_sign(SK, PK, bytes(changed), entropy, FACTS)
    # A commitment made under the blind draft's own api_id is not one of this interface.
    foreign, _ = blind_bbs.commit_scalars([1, 2])
    with pytest.raises(InvalidProof):
        credential.blind_sign(SK, PK, foreign, entropy, FACTS)
    # The point C is checked: the identity is refused.
    identity = bytes([0xC0]) + bytes(47)
    with pytest.raises(DecodeError):
        credential.blind_sign(SK, PK, identity + commitment[48:], entropy, FACTS)
    # The entropy is a scalar in [1, r - 1].
    for bad in (bytes(32), GROUP_ORDER.to_bytes(32, "big"), bytes(31)):
        with pytest.raises(DecodeError):
            credential.blind_sign(SK, PK, commitment, bad, FACTS)


def test_the_holder_refuses_a_zero_nym_secret_and_bad_entropy() -> None:
    signature, holder_secret, _, entropy, blind = _issue()
    # A prover_nym that cancels the entropy would make the nym secret 0.
    cancelling = SecretBytes((GROUP_ORDER - int.from_bytes(entropy, "big")).to_bytes(32, "big"))
    with pytest.raises(DecodeError):
        credential.complete(
            PK, signature, FACTS, holder_secret, cancelling, entropy, SecretBytes(blind)
        )
    for bad in (bytes(32), GROUP_ORDER.to_bytes(32, "big")):
        with pytest.raises(DecodeError):
            credential.complete(
                PK, signature, FACTS, holder_secret, cancelling, bad, SecretBytes(blind)
            )
