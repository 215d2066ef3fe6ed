"""Every way a presentation can fail, each with its typed error.

The forgeries below go around the honest Holder (which would refuse to make
them) by calling the signed tier's own functions with chosen inputs.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.attest_world import ADULT, OPERATOR, make_world
from zkcheck.claims import Check, Menu
from zkcheck.cli.tiers.base import PhoneInputs
from zkcheck.cli.tiers.signed import SIGNED
from zkcheck.encoding.cose import COSESigningKey, Curve, Sign1
from zkcheck.encoding.messages import IssuedAttestation, Presentation, Request
from zkcheck.encoding.signed import KeyBindingClaims, bind
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidSignature,
    NotRequested,
    PolicyError,
    Replayed,
    UntrustedIssuer,
    WrongVerifier,
    ZkcheckError,
)
from zkcheck.roles import Holder, Issuer, Policy, VerifiedResult, Verifier
from zkcheck.roles._signed import present_attestation
from zkcheck.sources import MemorySubscriberSource, demo_subscribers
from zkcheck.trust.federation import private_trust
from zkcheck.trust.nonces import SQLiteNonceStore

AGE = Check.age_over(18)
SWAP = Check.sim_swap(72)
WEEK = 8 * 86400


def _held(holder: Holder):  # type: ignore[no-untyped-def]
    return holder._held[0]


def _flipped_signature(issued: IssuedAttestation) -> IssuedAttestation:
    """``issued`` with the first bit of its operator signature flipped."""
    signature = issued.attestation.signature
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    return replace(issued, attestation=replace(issued.attestation, signature=flipped))


def test_bad_operator_signature() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE,), max_age=WEEK)
    request = verifier.create_request()
    held = _held(holder)
    attestation = held.issued.attestation
    forged = _flipped_signature(held.issued)
    with pytest.raises(InvalidSignature):
        verifier.verify(present_attestation(held.key, forged, request))
    # A claim changed after signing fails the same way.
    claims = attestation.payload.replace(b"age_over:18", b"age_over:21")
    forged = replace(held.issued, attestation=replace(attestation, payload=claims))
    with pytest.raises(InvalidSignature):
        verifier.verify(present_attestation(held.key, forged, request))
    # The nonce survived both attempts.
    assert verifier.verify(holder.present(request)).shows(AGE)


def test_bad_holder_signature() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE,), max_age=WEEK)
    presentation = holder.present(verifier.create_request())
    token = Sign1.decode(presentation.body)
    tampered = replace(token, signature=bytes(64))
    with pytest.raises(InvalidSignature):
        verifier.verify(replace(presentation, body=tampered.encode()))


def test_wrong_holder_key() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE,), max_age=WEEK)
    request = verifier.create_request()
    held = _held(holder)
    # Someone who copied the attestation but not the phone's key signs with their own.
    for thief in (COSESigningKey.generate(), COSESigningKey.generate(Curve.P256)):
        with pytest.raises(InvalidSignature):
            verifier.verify(present_attestation(thief, held.issued, request))


def test_unknown_operator_key() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    # The verifier's trust list names the operator with another key.
    rotated = Issuer(
        OPERATOR, COSESigningKey.generate(), MemorySubscriberSource(), clock=world.clock
    ).entry()
    policy = Policy("rp.example", (AGE,), (OPERATOR,), max_age=WEEK)
    verifier = Verifier(policy, private_trust([rotated], clock=world.clock), clock=world.clock)
    with pytest.raises(UntrustedIssuer):
        verifier.verify(holder.present(verifier.create_request()))


def test_attestation_naming_another_operator_than_its_keys_owner() -> None:
    """An attestation signed with a listed key whose ``iss`` names someone else (spec/04,
    verification step 7) is refused, though its signature verifies."""
    world = make_world()
    impostor = Issuer(
        "operator-b.example",
        world.issuer._key,  # the listed operator's own key
        MemorySubscriberSource(demo_subscribers(world.clock.now())),
        clock=world.clock,
    )
    holder = world.holder()
    holder.receive(impostor.issue(ADULT, holder.request_attestations([AGE])))
    assert holder.held()[0].operator == "operator-b.example"
    verifier = Verifier(
        Policy("rp.example", (AGE,), (), max_age=WEEK), world.trust, clock=world.clock
    )
    with pytest.raises(UntrustedIssuer, match="does not own its key"):
        verifier.verify(holder.present(verifier.create_request()))


def test_a_holder_with_the_trust_list_refuses_what_a_verifier_would() -> None:
    """Given the trust list, the holder checks each attestation's key, issuer and operator
    signature on arrival (spec/04, "Receiving"): a response with one bad attestation is
    refused whole, and the wallet stays as it was, still waiting for its keys."""
    world = make_world()
    holder = Holder(clock=world.clock, trust=world.trust)
    ask = holder.request_attestations([AGE], 2)
    response = world.issuer.issue(ADULT, ask)
    good, second = response.attestations
    damaged = _flipped_signature(second)
    source = MemorySubscriberSource(demo_subscribers(world.clock.now()))
    unlisted = Issuer(OPERATOR, COSESigningKey.generate(), source, clock=world.clock)
    impostor = Issuer("operator-b.example", world.issuer._key, source, clock=world.clock)
    for refused, error, message in (
        (replace(response, attestations=(good, damaged)), InvalidSignature, "signature"),
        (unlisted.issue(ADULT, ask), UntrustedIssuer, "unknown operator key"),
        (impostor.issue(ADULT, ask), UntrustedIssuer, "does not own its key"),
    ):
        with pytest.raises(error, match=message):
            holder.receive(refused.to_bytes())
        assert holder.held() == () and holder.pending() == 2
    assert holder.receive(response) == 2 and holder.pending() == 0
    verifier = world.verifier((AGE,), max_age=WEEK)
    assert verifier.verify(holder.present(verifier.create_request())).shows(AGE)
    # A holder without the list stores the damaged one, which fails only at the verifier.
    trusting = Holder(clock=world.clock)
    ask = trusting.request_attestations([AGE])
    broken = _flipped_signature(world.issuer.issue(ADULT, ask).attestations[0])
    assert trusting.receive(replace(response, attestations=(broken,))) == 1
    with pytest.raises(InvalidSignature):
        verifier.verify(trusting.present(verifier.create_request()))


@pytest.mark.parametrize("trust", [False, True])
def test_a_number_salt_stripped_or_added_in_transit_is_refused_on_arrival(trust: bool) -> None:
    """The salt travels beside the signed attestation: the holder refuses an entry whose
    salt does not go with its attestation (with or without the trust list) instead of
    storing one that would fail at the verifier it is spent on; its wallet file too."""
    world = make_world()
    salted = [Check.number(), AGE]
    for checks, change in ((salted, None), ([AGE], bytes(16))):
        holder = Holder(clock=world.clock, trust=world.trust if trust else None)
        response = world.issuer.issue(ADULT, holder.request_attestations(checks))
        (issued,) = response.attestations
        assert (issued.number_salt is None) == (change is not None)
        tampered = replace(response, attestations=(replace(issued, number_salt=change),))
        with pytest.raises(DecodeError, match="number salt"):
            holder.receive(tampered.to_bytes())
        assert holder.held() == () and holder.pending() == 1
        assert holder.receive(response) == 1
        wallet = holder.export_wallet()
        assert Holder.import_wallet(wallet, clock=world.clock).remaining() == 1
        bad = Holder(clock=world.clock)
        bad._held = [replace(holder._held[0], issued=tampered.attestations[0])]
        with pytest.raises(DecodeError, match="number salt"):
            Holder.import_wallet(bad.export_wallet(), clock=world.clock)


def test_operator_not_accepted_by_the_request() -> None:
    world = make_world()
    other = Issuer(
        "operator-b.example",
        COSESigningKey.generate(),
        MemorySubscriberSource(demo_subscribers(world.clock.now())),
        clock=world.clock,
    )
    trust = private_trust((world.issuer.entry(), other.entry()), clock=world.clock)
    verifier = Verifier(
        Policy("rp.example", (AGE,), (OPERATOR,), max_age=WEEK), trust, clock=world.clock
    )
    holder = world.holder()
    holder.receive(other.issue(ADULT, holder.request_attestations([AGE])))
    request = verifier.create_request()
    with pytest.raises(UntrustedIssuer):
        verifier.verify(present_attestation(_held(holder).key, _held(holder).issued, request))


def test_expired_attestation() -> None:
    world = make_world()
    holder = world.issued_holder([SWAP])
    # Swap attestations live an hour from their quarter-hour issue time (12:30).
    world.clock.advance(timedelta(minutes=55, seconds=4))  # 13:30:00
    verifier = world.verifier((SWAP,), max_age=86400)
    request = verifier.create_request()
    held = _held(holder)
    with pytest.raises(Expired):
        verifier.verify(present_attestation(held.key, held.issued, request))


def test_expiry_boundary() -> None:
    world = make_world()
    holder = world.issued_holder([SWAP], count=2)
    world.clock.advance(timedelta(minutes=55, seconds=3))  # 13:29:59, one second left
    verifier = world.verifier((SWAP,), max_age=86400)
    assert verifier.verify(holder.present(verifier.create_request())).shows(SWAP)


def test_older_than_the_policy_allows() -> None:
    world = make_world()
    holder = world.issued_holder([SWAP], count=2)
    # Issued "12:30" (rounded); at 12:40 the attestation is 600 s old.
    world.clock.advance(timedelta(minutes=5, seconds=4))
    strict = world.verifier((SWAP,), max_age=599)
    request = strict.create_request()
    held = _held(holder)
    with pytest.raises(Expired):
        strict.verify(present_attestation(held.key, held.issued, request))
    lenient = world.verifier((SWAP,), max_age=600)
    assert lenient.verify(holder.present(lenient.create_request())).shows(SWAP)


def test_expired_request() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE,), max_age=WEEK)
    request = verifier.create_request()
    presentation = holder.present(request)
    world.clock.advance(timedelta(seconds=300))  # the request's lifetime
    with pytest.raises(Expired):
        verifier.verify(presentation)


def test_nonce_unknown_or_already_used() -> None:
    world = make_world()
    holder = world.issued_holder([AGE], count=2)
    verifier = world.verifier((AGE,), max_age=WEEK)
    other = world.verifier((AGE,), max_age=WEEK)
    presentation = holder.present(other.create_request())
    with pytest.raises(Replayed):
        verifier.verify(presentation)  # a nonce this verifier never issued
    request = verifier.create_request()
    presentation = holder.present(request)
    verifier.verify(presentation)
    with pytest.raises(Replayed):
        verifier.verify(presentation)  # used once already


def test_wrong_verifier() -> None:
    world = make_world()
    holder = world.issued_holder([AGE], count=3)
    bank = world.verifier((AGE,), verifier_id="bank.example", max_age=WEEK)
    request = bank.create_request()
    # A man in the middle relays the bank's nonce under its own name.
    relayed = replace(request, verifier_id="phish.example")
    with pytest.raises(WrongVerifier):
        bank.verify(holder.present(relayed.to_bytes()))
    # Or changes what the request asks: the request digest no longer matches.
    widened = replace(request, max_age=10 * WEEK)
    with pytest.raises(WrongVerifier):
        bank.verify(holder.present(widened))
    # The cnonce must be the request's too.
    held = _held(holder)
    claims = KeyBindingClaims("bank.example", b"x" * 32, request.digest())
    token = bind(held.key, held.issued.attestation, claims)
    with pytest.raises(WrongVerifier):
        bank.verify(Presentation("signed", request.nonce, token.encode()))
    # The bank's own request is still answerable: failures consumed nothing.
    assert bank.verify(holder.present(request)).shows(AGE)


def test_verifiers_sharing_a_store_do_not_accept_each_others_requests(tmp_path: Path) -> None:
    world = make_world()
    holder = world.issued_holder([AGE], count=2)
    policy_a = Policy("shop-a.example", (AGE,), (OPERATOR,), max_age=WEEK)
    policy_b = Policy("shop-b.example", (AGE,), (OPERATOR,), max_age=WEEK)
    store_a = SQLiteNonceStore(tmp_path / "shared.sqlite")
    store_b = SQLiteNonceStore(tmp_path / "shared.sqlite")
    shop_a = Verifier(policy_a, world.trust, clock=world.clock, nonces=store_a)
    shop_b = Verifier(policy_b, world.trust, clock=world.clock, nonces=store_b)
    presentation = holder.present(shop_a.create_request())
    with pytest.raises(WrongVerifier):
        shop_b.verify(presentation)
    assert shop_a.verify(presentation).verifier_id == "shop-a.example"
    # A second process of shop A reads the request from the store, not from its own
    # memory of the requests it created, and checks the holder's binding to its digest.
    other_process = Verifier(policy_a, world.trust, clock=world.clock, nonces=store_b)
    request = shop_a.create_request()
    assert request.nonce not in other_process._created
    assert other_process.verify(holder.present(request)).shows(AGE)
    store_a.close()
    store_b.close()


def test_required_check_missing() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE, SWAP), max_age=WEEK)
    with pytest.raises(PolicyError):  # the honest holder shows nothing
        holder.present(verifier.create_request())
    held = _held(holder)
    with pytest.raises(NotRequested):
        verifier.verify(present_attestation(held.key, held.issued, verifier.create_request()))
    # Optional checks may be missing from what a verifier accepts.
    lenient = world.verifier((AGE,), optional=(SWAP,), max_age=WEEK)
    held = _held(world.issued_holder([AGE]))
    result = lenient.verify(present_attestation(held.key, held.issued, lenient.create_request()))
    assert result.checks == (AGE,)


def test_a_holder_shows_every_check_its_operator_offers_or_nothing() -> None:
    """An optional check left out would tell the verifier that it does not hold: the holder
    leaves out only what its operator does not offer (its menu on the trust list), and
    shows nothing when it cannot show a check its operator offers (spec/10-privacy.md,
    "Declined and failed presentations")."""
    world = make_world(menu=Menu(frozenset({AGE})))  # operator-a.example: age_over only
    source = MemorySubscriberSource(demo_subscribers(world.clock.now()))
    full = Issuer("operator-b.example", COSESigningKey.generate(), source, clock=world.clock)
    trust = private_trust([world.issuer.entry(), full.entry()], clock=world.clock)
    policy = Policy("rp.example", (AGE,), (OPERATOR, "operator-b.example"), optional=(SWAP,),
                    max_age=WEEK)  # fmt: skip
    verifier = Verifier(policy, trust, clock=world.clock)
    for issuer, shown in ((world.issuer, True), (full, False)):
        holder = Holder(clock=world.clock, trust=trust)
        holder.receive(issuer.issue(ADULT, holder.request_attestations([AGE])))
        if shown:  # the operator offers no sim_swap: leaving it out tells nothing
            assert verifier.verify(holder.present(verifier.create_request())).checks == (AGE,)
        else:  # it does: an answer without it would say that it fails
            with pytest.raises(PolicyError):
                holder.present(verifier.create_request())
            assert holder.remaining() == 1
    # The command line's phone, given the trust list, knows the offer too.
    holder = Holder(clock=world.clock)
    holder.receive(world.issuer.issue(ADULT, holder.request_attestations([AGE])))
    given = PhoneInputs(trust=trust)
    request = verifier.create_request().to_bytes()
    _, shown = SIGNED.present(holder.export_wallet(), request, given, clock=world.clock)
    assert verifier.verify(shown).checks == (AGE,)
    # Holding both, the holder shows both; without the trust list it cannot tell what
    # an operator offers, and shows only an attestation with every check asked.
    both = Holder(clock=world.clock)
    both.receive(full.issue(ADULT, both.request_attestations([AGE])))
    with pytest.raises(PolicyError):
        both.present(verifier.create_request())
    both.receive(full.issue(ADULT, both.request_attestations([AGE, SWAP])))
    assert verifier.verify(both.present(verifier.create_request())).checks == (AGE, SWAP)


def test_check_not_requested() -> None:
    world = make_world()
    holder = world.issued_holder([AGE, SWAP])
    verifier = world.verifier((AGE,), max_age=3600)
    request = verifier.create_request()
    with pytest.raises(PolicyError):
        holder.present(request)  # the honest holder will not over-share
    held = _held(holder)
    with pytest.raises(NotRequested):
        verifier.verify(present_attestation(held.key, held.issued, request))


def test_threshold_outside_the_operators_menu() -> None:
    world = make_world()
    # The operator's own issuer answers "age_over:19", but its published menu
    # (in the verifier's trust list) does not list it. Another operator's does, so
    # the verifier may ask.
    menu = Menu(Menu.default().checks | {Check.age_over(19)})
    source = MemorySubscriberSource(demo_subscribers(world.clock.now()))
    rogue = Issuer(OPERATOR, COSESigningKey.generate(), source, clock=world.clock, menu=menu)
    published = replace(rogue.entry(), menu=Menu.default())
    other = Issuer(
        "operator-b.example", COSESigningKey.generate(), source, clock=world.clock, menu=menu
    )
    trust = private_trust((published, other.entry()), clock=world.clock)
    policy = Policy(
        "rp.example", (Check.age_over(19),), (OPERATOR, "operator-b.example"), max_age=WEEK
    )
    verifier = Verifier(policy, trust, clock=world.clock)
    holder = world.holder()
    holder.receive(rogue.issue(ADULT, holder.request_attestations([Check.age_over(19)])))
    with pytest.raises(UntrustedIssuer):
        verifier.verify(holder.present(verifier.create_request()))
    # A policy no accepted operator can answer is refused when it is configured.
    with pytest.raises(ValueError):
        Verifier(
            Policy("rp.example", (Check.age_over(19),), (OPERATOR,), max_age=WEEK),
            trust,
            clock=world.clock,
        )
    # And an operator does not attest checks off its own menu.
    with pytest.raises(PolicyError, match="no requested check"):
        world.issuer.issue(ADULT, world.holder().request_attestations([Check.age_over(19)]))


def test_tier_not_accepted() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE,), max_age=WEEK)
    presentation = holder.present(verifier.create_request())
    with pytest.raises(NotRequested):
        verifier.verify(replace(presentation, tier="token"))


def test_malformed_presentations() -> None:
    world = make_world()
    verifier = world.verifier((AGE,), max_age=WEEK)
    for garbage in [
        b"",
        b"\xa0",
        b"\x00" * 10,
        Request.from_bytes(verifier.create_request().to_bytes()).to_bytes(),
    ]:
        with pytest.raises(DecodeError):
            verifier.verify(garbage)


def test_verified_results_are_minted_by_verifiers_only() -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE,), max_age=WEEK)
    result = verifier.verify(holder.present(verifier.create_request()))
    with pytest.raises(TypeError):
        VerifiedResult(result.record())
    with pytest.raises(TypeError):
        VerifiedResult(result.record(), _token=object())
    with pytest.raises(TypeError):
        pickle.dumps(result)


@settings(max_examples=60)
@given(st.data())
def test_any_flipped_byte_is_refused_and_consumes_nothing(data: st.DataObject) -> None:
    world = make_world()
    holder = world.issued_holder([AGE])
    verifier = world.verifier((AGE,), max_age=WEEK)
    request = verifier.create_request()
    presentation = holder.present(request).to_bytes()
    index = data.draw(st.integers(min_value=0, max_value=len(presentation) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    mutated = bytearray(presentation)
    mutated[index] ^= flip
    with pytest.raises(ZkcheckError):
        verifier.verify(bytes(mutated))
    assert verifier.verify(presentation).shows(AGE)


@pytest.mark.parametrize("duration", ["max_age", "request_lifetime", "result_bucket"])
def test_a_policy_whose_requests_no_holder_could_read_is_refused(duration: str) -> None:
    # The wire encoding bounds max_age by 2**32 and a request's expiry by 2**53: a
    # policy beyond them would make requests every holder refuses.
    Policy("rp.example", (AGE,), (OPERATOR,), **{duration: 2**32})
    for value in (0, 2**32 + 1, 2**53):
        with pytest.raises(ValueError, match=duration):
            Policy("rp.example", (AGE,), (OPERATOR,), **{duration: value})
    world = make_world()
    longest = Policy("rp.example", (AGE,), (OPERATOR,), max_age=2**32, request_lifetime=2**32)
    request = Verifier(longest, world.trust, clock=world.clock).create_request()
    assert Request.from_bytes(request.to_bytes()) == request
