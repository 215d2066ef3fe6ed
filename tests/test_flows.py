"""Scenario flows, told in order: client -> issuer -> holder -> verifier.

Every message crosses a file, as it would between the command line's steps:
nothing passes between the parties but bytes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.attest_world import ADULT, MINOR, OPERATOR, START, make_world
from zkcheck.claims import Check
from zkcheck.encoding.cose import Curve
from zkcheck.encoding.messages import Presentation, ResultRecord
from zkcheck.encoding.signed import decode_presentation_body
from zkcheck.errors import NotRequested, PolicyError, Replayed
from zkcheck.roles import Holder
from zkcheck.sources import DEMO_SUBSCRIBERS
from zkcheck.trust.keyset import OperatorKeySet


def _through(path: Path, data: bytes) -> bytes:
    path.write_bytes(data)
    return path.read_bytes()


@pytest.mark.parametrize("holder_curve", [Curve.ED25519, Curve.P256])
def test_bank_checks_no_sim_swap_in_72_hours(tmp_path: Path, holder_curve: Curve) -> None:
    world = make_world()
    # The operator publishes its key set; the bank loads it from a file.
    keyset = OperatorKeySet.from_bytes(
        _through(tmp_path / "operators.keyset", world.keyset.to_bytes())
    )
    assert keyset == world.keyset

    # The customer's phone asks its operator for a batch of three attestations
    # of "no SIM swap in 72 h". Nothing in the request names the bank.
    phone = Holder(clock=world.clock, curve=holder_curve)
    ask = _through(
        tmp_path / "issuance-request",
        phone.request_attestations([Check.sim_swap(72)], 3).to_bytes(),
    )
    # The operator checks its records (last swap 400 days ago) and signs.
    answer = _through(tmp_path / "issuance-response", world.issuer.issue(ADULT, ask).to_bytes())
    assert phone.receive(answer) == 3

    # Ten minutes later the customer starts a transfer; the bank asks.
    world.clock.advance(timedelta(minutes=10))
    bank = world.verifier((Check.sim_swap(72),), verifier_id="bank.example", max_age=3600)
    request = _through(tmp_path / "request", bank.create_request().to_bytes())
    presentation = _through(tmp_path / "presentation", phone.present(request).to_bytes())

    # The bank verifies offline: the operator's key, the phone's key, its nonce.
    result = bank.verify(presentation)
    assert result.checks == (Check.sim_swap(72),)
    assert result.operator == OPERATOR and result.tier == "signed"
    assert result.verifier_id == "bank.example"
    # The issue time the bank learns is a coarse bucket (the hour), nothing finer.
    assert result.issued_bucket == START.replace(minute=0, second=0)
    record = ResultRecord.from_bytes(_through(tmp_path / "result", result.to_bytes()))
    assert record == result.record()
    assert phone.remaining() == 2

    # The same presentation a second time is a replay.
    with pytest.raises(Replayed):
        bank.verify(presentation)


def test_bank_swap_checks_for_other_subscribers() -> None:
    world = make_world()
    # A SIM swapped an hour ago: the operator attests nothing (it never says "swapped").
    phone = world.holder()
    with pytest.raises(PolicyError):
        world.issuer.issue(
            DEMO_SUBSCRIBERS["recently_swapped"], phone.request_attestations([Check.sim_swap(72)])
        )
    # Retention limits: no swap date kept, but none in the monitored 7 days,
    # which cover the 72 hours before the attestation's (rounded) issue time.
    limited = DEMO_SUBSCRIBERS["retention_limited"]
    phone.receive(world.issuer.issue(limited, phone.request_attestations([Check.sim_swap(72)])))
    bank = world.verifier((Check.sim_swap(72),), verifier_id="bank.example")
    assert bank.verify(phone.present(bank.create_request())).shows(Check.sim_swap(72))
    # 7 days do not cover 168 hours back from the issue time (12:30) up to now
    # (12:34:56), nor a 30-day window: nothing to attest.
    for hours in (168, 720):
        with pytest.raises(PolicyError):
            world.issuer.issue(limited, phone.request_attestations([Check.sim_swap(hours)]))


def test_social_network_checks_the_typed_number(tmp_path: Path) -> None:
    world = make_world()
    # The phone gets two single-use "number" attestations: each carries a
    # salted digest of the number, with its own salt.
    phone = world.holder()
    ask = phone.request_attestations([Check.number()], 2).to_bytes()
    answer = world.issuer.issue(ADULT, ask)
    salts = {issued.number_salt for issued in answer.attestations}
    assert len(salts) == 2 and all(salt is not None and len(salt) == 16 for salt in salts)
    phone.receive(answer.to_bytes())

    # At sign-up the user types a number; the network asks the phone to show it is its own.
    network = world.verifier((Check.number(),), verifier_id="social.example", max_age=8 * 86400)
    request = _through(tmp_path / "request", network.create_request().to_bytes())
    presentation = _through(tmp_path / "presentation", phone.present(request).to_bytes())
    result = network.verify(presentation, number=ADULT)
    assert result.checks == (Check.number(),)

    # Someone types another person's number: the attestation does not show it.
    request = network.create_request()
    presentation = phone.present(request).to_bytes()
    with pytest.raises(NotRequested):
        network.verify(presentation, number=MINOR)
    # The number and the salt never appear in the clear in the attestation.
    body = decode_presentation_body(Presentation.from_bytes(presentation).body)
    assert body.attestation_claims.number_digest is not None
    assert ADULT.encode() not in presentation
    # A verifier that is not told the number cannot confirm it.
    with pytest.raises(ValueError):
        network.verify(presentation)


def test_age_gated_site_checks_over_18_and_two_sites_cannot_link(tmp_path: Path) -> None:
    world = make_world()
    # The phone asks for five "18 or older" attestations at once.
    phone = world.holder()
    phone.receive(world.issuer.issue(ADULT, phone.request_attestations([Check.age_over(18)], 5)))

    # Two age-gated sites ask the same day; static facts are valid for a week
    # on a day grid, so each site accepts attestations up to eight days old.
    site_a = world.verifier((Check.age_over(18),), verifier_id="video.example", max_age=8 * 86400)
    site_b = world.verifier((Check.age_over(18),), verifier_id="games.example", max_age=8 * 86400)
    shown_a = phone.present(site_a.create_request()).to_bytes()
    assert site_a.verify(shown_a).checks == (Check.age_over(18),)
    world.clock.advance(timedelta(hours=3))
    shown_b = phone.present(site_b.create_request()).to_bytes()
    assert site_b.verify(shown_b).checks == (Check.age_over(18),)

    # What the two sites hold shares no holder key, signature or attestation.
    a = decode_presentation_body(Presentation.from_bytes(shown_a).body)
    b = decode_presentation_body(Presentation.from_bytes(shown_b).body)
    assert a.attestation_claims.holder_key != b.attestation_claims.holder_key
    assert a.attestation.signature != b.attestation.signature
    # The times they see are the same for every attestation of that day.
    assert (a.attestation_claims.issued_at, a.attestation_claims.expires_at) == (
        b.attestation_claims.issued_at,
        b.attestation_claims.expires_at,
    )
    assert a.attestation_claims.issued_at % 86400 == 0

    # A presentation made for one site is refused by the other.
    with pytest.raises(Replayed):
        site_b.verify(shown_a)


def test_a_minor_gets_nothing_to_show() -> None:
    world = make_world()
    phone = world.holder()
    with pytest.raises(PolicyError):
        world.issuer.issue(MINOR, phone.request_attestations([Check.age_over(18)]))
    # Asked "16 or older" as well, the operator attests what holds, and only that.
    phone.receive(
        world.issuer.issue(
            MINOR, phone.request_attestations([Check.age_over(13), Check.age_over(18)])
        )
    )
    site = world.verifier((Check.age_over(18),), max_age=8 * 86400)
    with pytest.raises(PolicyError):
        phone.present(site.create_request())  # nothing qualifies: the holder shows nothing


def test_wallet_survives_a_file(tmp_path: Path) -> None:
    world = make_world()
    phone = world.issued_holder([Check.age_over(18)], count=2)
    pending = phone.request_attestations([Check.sim_swap(72)])
    saved = _through(tmp_path / "wallet", phone.export_wallet())
    restored = Holder.import_wallet(saved, clock=world.clock)
    assert restored.remaining() == 2
    restored.receive(world.issuer.issue(ADULT, pending))
    site = world.verifier((Check.age_over(18),), max_age=8 * 86400)
    assert site.verify(restored.present(site.create_request())).shows(Check.age_over(18))


def test_the_home_country_set_in_the_signed_tier() -> None:
    """A static check like the others in the signed tier: the adult lives in Spain; the
    minor's record has no home country, so nothing is issued for it."""
    world = make_world()
    eea = Check.home_country_in("EEA")
    site = world.verifier((eea,), max_age=8 * 86400)
    holder = world.issued_holder([eea])
    assert site.verify(holder.present(site.create_request())).checks == (eea,)
    with pytest.raises(PolicyError):
        world.issued_holder([eea], msisdn=MINOR)
