"""The credential tier through the roles (spec/08-credential-tier.md).

Issuance is one round trip through :class:`CredentialIssuer` and
:class:`CredentialHolder`; presentations go through the same
:meth:`Verifier.verify` as every tier. Each claim of chapter 8 that names a
test here is shown by it: the holder's checks against an operator that tries
to tag one subscriber (the operator is played by signing directly with its
key), the classification of every presentation field, the privacy
properties, and a typed error for every tampered field of every message.
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.credential_world import (
    ALICE,
    BOB,
    CAROL,
    MAX_AGE,
    OPERATOR,
    START,
    SUBSCRIBERS,
    CredentialWorld,
    make_credential_world,
    with_facts,
)
from zkcheck.claims import Check, Menu, SwapRecord
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.credential import CredentialEvidence, CredentialRequest, CredentialResponse
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidProof,
    InvalidSignature,
    NotRequested,
    PolicyError,
    Replayed,
    UntrustedIssuer,
    WrongVerifier,
    ZkcheckError,
)
from zkcheck.hazmat import bbs, blind_bbs, credential, presentation
from zkcheck.hazmat.backend import GROUP_ORDER
from zkcheck.hazmat.bbs_pseudonym import generate_signer_nym_entropy
from zkcheck.hazmat.credential import HOUR_SENTINEL, LayoutFacts
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles import (
    CredentialHolder,
    CredentialIssuerKeys,
    Policy,
    Verifier,
    credential_holder,
)
from zkcheck.roles.credential_issuer import layout_facts, swap_hour
from zkcheck.trust.authority import Authority
from zkcheck.trust.credential_keys import CREDENTIAL_LIFETIME, EXPIRY_SKEW_DAYS, CredentialKeyEntry
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet
from zkcheck.trust.listed_keys import ListedKey
from zkcheck.trust.nonces import MemoryNonceStore
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_list import ListedOperator

SPEC = Path(__file__).resolve().parent.parent / "spec"
CLASSES = ("public constant", "request echo", "requested disclosure", "fresh randomness")
NUMBER = Check.number()
HOUR = credential.hour_floor(int(START.timestamp()))
EXPIRY = date(2026, 3, 23).toordinal()


# -- helpers -----------------------------------------------------------------------------


def _issuing_key(world: CredentialWorld) -> tuple[SecretBytes, CredentialKeyEntry]:
    """The operator's current key, to play an operator that signs what it likes."""
    key = world.issuer._keys.signing_key(int(START.timestamp()))
    assert key is not None
    return key.secret_key, key.entry


def _sign_as_operator(
    world: CredentialWorld,
    request: CredentialRequest,
    facts: LayoutFacts,
    *,
    header: bytes = credential.HEADER,
    type_version: int = credential.TYPE_VERSION,
) -> CredentialResponse:
    """A response signed with the operator's key over ``facts`` as given, unchecked."""
    secret_key, entry = _issuing_key(world)
    ciphersuite = bbs.get_ciphersuite()
    generators = credential.generators(ciphersuite)
    blind = generators[10:]
    commitment = blind_bbs.deserialize_and_validate_commit(
        request.commitment_with_proof, blind, credential.API_ID, ciphersuite=ciphersuite
    )
    entropy = generate_signer_nym_entropy()
    scalars = [
        type_version,
        facts.issue_hour,
        facts.expiry_day,
        facts.birth_day,
        facts.sim_change_hour,
        facts.device_change_hour,
        facts.contract_start_day,
        bbs.hash_to_scalar((facts.msisdn or "").encode(), credential.MAP_DST),
        256 * ord((facts.home_country or "AA")[0]) + ord((facts.home_country or "AA")[1]),
    ]
    signature = blind_bbs.core_blind_sign(
        int.from_bytes(secret_key.reveal(), "big"),
        entry.public_key,
        generators[:10],
        blind,
        header,
        scalars,
        commitment,
        credential.API_ID,
        ciphersuite=ciphersuite,
        signer_blind_scalars={-1: int.from_bytes(entropy, "big")},
    )
    return CredentialResponse(entry.key_id, signature, entropy, facts)


def _honest_facts(msisdn: str = ALICE) -> LayoutFacts:
    facts = next(facts for facts in SUBSCRIBERS if facts.msisdn == msisdn)
    return layout_facts(facts, START)


def _fields(presentation_bytes: bytes) -> dict[str, Any]:
    """Every field of a credential presentation, by the names of chapter 8's table."""
    outer = decode(presentation_bytes)
    body = decode(outer[4])
    proof = body[4]
    return {
        "version": outer[0],
        "type": outer[1],
        "tier": outer[2],
        "nonce": outer[3],
        "layout_version": body[1],
        "key_id": body[2],
        "expiry_day": body[3],
        "Abar": proof[0:48],
        "Bbar": proof[48:96],
        "D": proof[96:144],
        "e^": proof[144:176],
        "r1^": proof[176:208],
        "r3^": proof[208:240],
        "m^": [proof[i : i + 32] for i in range(240, len(proof) - 32, 32)],
        "c": proof[-32:],
        "predicate_proof": body[5],
        "presentation_version": body[7],
    }


def _classification_table() -> dict[str, str]:
    """Field name -> class, read from chapter 8's section "Field classification"."""
    text = (SPEC / "08-credential-tier.md").read_text(encoding="utf-8")
    section = text[text.index("### Field classification") :]
    rows = section[section.index("| Field") :]
    table = {}
    for row in rows[: rows.index("\n\n")].splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        kind = next(name for name in CLASSES if cells[1].startswith(name))
        for name in re.findall(r"`([^`]+)`", cells[0]):
            table[name] = kind
    return table


def _present(holder: CredentialHolder, request: Request) -> bytes:
    return holder.present(request.to_bytes()).to_bytes()


# -- the layout and the operator ---------------------------------------------------------


def test_monitored_period_counts_as_a_swap_at_its_start() -> None:
    now = START
    hour = credential.hour_floor(int(now.timestamp()))
    # latestSimChange null, monitoredPeriod 7 days: a change at the start of the period.
    start_of_period = credential.hour_ceil(int((now - timedelta(days=7)).timestamp()))
    assert swap_hour(SwapRecord(None, 7), now) == start_of_period
    assert swap_hour(SwapRecord(None, 0), now) == credential.hour_ceil(int(now.timestamp()))
    # A recorded change is rounded up; an exact hour stays.
    change = datetime(2026, 3, 1, 8, 0, 0, 1, tzinfo=UTC)
    assert swap_hour(SwapRecord(change), now) == credential.hour_floor(int(change.timestamp())) + 1
    exact = datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert swap_hour(SwapRecord(exact), now) == int(exact.timestamp()) // 3600
    # Older than 128 days: clamped to the issue hour minus 3072, never earlier.
    ancient = SwapRecord(now - timedelta(days=400))
    assert swap_hour(ancient, now) == hour - credential.SWAP_CLAMP_HOURS
    assert swap_hour(SwapRecord(None, 400), now) == hour - credential.SWAP_CLAMP_HOURS
    # A change inside the issue hour rounds up to the issue hour plus 1.
    assert swap_hour(SwapRecord(now - timedelta(seconds=1)), now) == hour + 1
    # Unknown: null without a monitored period, or no record at all.
    assert swap_hour(SwapRecord(None, None), now) == HOUR_SENTINEL
    assert swap_hour(None, now) == HOUR_SENTINEL
    # The same encoding through an issuance: Bob's record has no date, 7 monitored days.
    world = make_credential_world()
    holder = world.holder()
    response = world.issuer.issue(world.attester.enrol(BOB), holder.request_credential(OPERATOR))
    assert response.facts.sim_change_hour == start_of_period
    assert response.facts.device_change_hour == HOUR_SENTINEL
    holder.receive(OPERATOR, response)


def test_the_operator_encodes_every_fact() -> None:
    facts = _honest_facts()
    assert facts == LayoutFacts(
        issue_hour=HOUR,
        expiry_day=EXPIRY,
        birth_day=date(1990, 5, 17).toordinal(),
        sim_change_hour=HOUR - credential.SWAP_CLAMP_HOURS,
        device_change_hour=credential.hour_ceil(
            int((START - timedelta(days=30, minutes=7)).timestamp())
        ),
        contract_start_day=date(2019, 1, 31).toordinal(),
        msisdn=ALICE,
        home_country="ES",
    )
    # A subscriber with no facts but a number gets the sentinels.
    carol = _honest_facts(CAROL)
    assert (carol.birth_day, carol.contract_start_day) == (2**20 - 1, 2**20 - 1)
    assert (carol.sim_change_hour, carol.home_country) == (HOUR_SENTINEL, None)


@pytest.mark.parametrize(
    "changes",
    [
        {"birth_date": START.date() + timedelta(days=1)},
        {"birth_date": date(1870, 1, 1)},
        {"contract_start": START.date() + timedelta(days=2)},
        {"sim": SwapRecord(START + timedelta(hours=2))},
        {"device": SwapRecord(START + timedelta(days=1))},
        {"home_country": "Spain"},
    ],
)
def test_the_operator_refuses_facts_outside_their_range(changes: dict[str, object]) -> None:
    alice = with_facts(SUBSCRIBERS[0], **changes)
    world = make_credential_world(subscribers=(alice,))
    holder = world.holder()
    with pytest.raises(PolicyError):
        world.issuer.issue(world.attester.enrol(ALICE), holder.request_credential(OPERATOR))


def test_issuance_needs_an_authenticated_subscriber_and_a_good_commitment() -> None:
    world = make_credential_world()
    holder = world.holder()
    request = holder.request_credential(OPERATOR)
    with pytest.raises(InvalidSignature):  # the attester authenticates nobody
        world.issuer.issue(bytes(32), request)
    with pytest.raises(PolicyError):  # authenticated, but not a subscriber of the source
        world.issuer.issue(world.attester.enrol("+34699999999"), request)
    evidence = world.attester.enrol(ALICE)
    changed = bytearray(request.commitment_with_proof)
    changed[-1] ^= 1
    with pytest.raises(InvalidProof):
        world.issuer.issue(evidence, CredentialRequest(bytes(changed)))
    with pytest.raises(DecodeError):
        world.issuer.issue(evidence, encode({0: 1, 1: "credential-request", 2: 1, 3: b"x"}))
    # The honest request still gets its credential.
    holder.receive(OPERATOR, world.issuer.issue(evidence, request))
    assert holder.remaining() == 1


# -- the holder's checks before storing ------------------------------------------------


def test_holder_refuses_a_foreign_header_or_type() -> None:
    world = make_credential_world()
    holder = world.holder()
    # The rogue signing path is the operator's own: with honest values it is accepted.
    honest = _sign_as_operator(world, holder.request_credential(OPERATOR), _honest_facts())
    holder.receive(OPERATOR, honest)
    for changes in (
        {"header": b"ZKCHECK-CREDENTIAL-SUBSCRIBER-LAYOUT-1-ALICE" + bytes(7) + b"\x01"},
        {"header": credential.HEADER_PREFIX + (2).to_bytes(8, "big")},
        {"header": b""},
        {"type_version": credential.TYPE_VERSION + 1},
        {"type_version": 2 * 2**16 + 1},
    ):
        request = holder.request_credential(OPERATOR)
        response = _sign_as_operator(world, request, _honest_facts(), **changes)  # type: ignore[arg-type]
        with pytest.raises(InvalidSignature):
            holder.receive(OPERATOR, response.to_bytes())
    assert holder.remaining() == 1


def test_holder_refuses_an_expiry_off_the_grid() -> None:
    world = make_credential_world()
    holder = world.holder()
    facts = _honest_facts()
    for expiry in (EXPIRY + 7, EXPIRY - 7, EXPIRY + 1, EXPIRY - 1, EXPIRY + 3):
        request = holder.request_credential(OPERATOR)
        response = _sign_as_operator(world, request, with_facts(facts, expiry_day=expiry))
        with pytest.raises(PolicyError):
            holder.receive(OPERATOR, response)
    assert holder.remaining() == 0


def test_holder_refuses_out_of_range_facts() -> None:
    world = make_credential_world()
    holder = world.holder()
    facts = _honest_facts()
    day = credential.day_of_hour(HOUR)
    for changes in (
        {"birth_day": day + 1},
        {"birth_day": day - credential.MAX_PAST_DAYS - 1},
        {"contract_start_day": day + 3},
        {"sim_change_hour": HOUR + 2},
        {"sim_change_hour": HOUR - credential.SWAP_CLAMP_HOURS - 1},
        {"device_change_hour": HOUR_SENTINEL - 1},
        {"home_country": "es"},
        {"msisdn": "+1"},
    ):
        request = holder.request_credential(OPERATOR)
        response = _sign_as_operator(world, request, with_facts(facts, **changes))
        with pytest.raises(PolicyError):
            holder.receive(OPERATOR, response)
    # The issue hour must be the holder's current hour, give or take one.
    for hours in (-2, 2, -100):
        shifted = layout_facts(SUBSCRIBERS[0], START + timedelta(hours=hours))
        request = holder.request_credential(OPERATOR)
        with pytest.raises(PolicyError):
            holder.receive(OPERATOR, _sign_as_operator(world, request, shifted))
    for hours in (-1, 1):
        shifted = layout_facts(SUBSCRIBERS[0], START + timedelta(hours=hours))
        # Not a renewal: the operator played here draws a new pseudonym entropy.
        request = holder.request_credential(OPERATOR, new_pseudonym=True)
        holder.receive(OPERATOR, _sign_as_operator(world, request, shifted))
    assert holder.remaining() == 2


def test_holder_refuses_keys_it_does_not_trust_for_the_operator() -> None:
    world = make_credential_world()
    holder = world.holder()
    response = world.issuer.issue(world.attester.enrol(ALICE), holder.request_credential(OPERATOR))
    # Received as another operator's, or without a pending request: refused.
    with pytest.raises(PolicyError):
        holder.receive("operator-b.example", response)
    # A key id nobody lists.
    request = holder.request_credential(OPERATOR)
    response = world.issuer.issue(world.attester.enrol(ALICE), request)
    unknown = CredentialResponse(
        bytes(16), response.signature, response.signer_nym_entropy, response.facts
    )
    with pytest.raises(UntrustedIssuer):
        holder.receive(OPERATOR, unknown)
    # The next epoch's key does not cover today's issue hour: the trust list does not
    # accept it before its epoch.
    _, current = _issuing_key(world)
    (future,) = [key for key in world.issuer.credential_keys() if key != current]
    request = holder.request_credential(OPERATOR)
    response = world.issuer.issue(world.attester.enrol(ALICE), request)
    moved = CredentialResponse(
        future.key_id, response.signature, response.signer_nym_entropy, response.facts
    )
    with pytest.raises(Expired, match="not valid yet"):
        holder.receive(OPERATOR, moved)
    with pytest.raises(UntrustedIssuer):
        holder.request_credential("operator-b.example")
    # In the next epoch the list still accepts the previous key, for the credentials it
    # signed; a credential of this hour under it is refused all the same.
    world.clock.set(datetime.fromtimestamp(current.not_after + 3600, UTC))
    request = holder.request_credential(OPERATOR)
    response = world.issuer.issue(world.attester.enrol(ALICE), request)
    assert response.key_id == future.key_id
    assert world.trust.find_credential_key(current.key_id, current.not_after + 3600)
    moved = CredentialResponse(
        current.key_id, response.signature, response.signer_nym_entropy, response.facts
    )
    with pytest.raises(UntrustedIssuer, match="not in use at the issue hour"):
        holder.receive(OPERATOR, moved)


# -- presentations -----------------------------------------------------------------------


def test_a_presentation_verifies_and_reports_the_issue_week() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    verifier = world.verifier()
    request = verifier.create_request()
    presented = holder.present(request)
    assert presented.tier == "credential" and presented.nonce == request.nonce
    result = verifier.verify(presented.to_bytes(), number=ALICE)
    assert result.tier == "credential" and result.checks == (NUMBER,)
    assert result.operator == OPERATOR
    # The coarse bucket is the Monday of the issue week, nothing finer.
    assert result.issued_bucket == datetime(2026, 3, 9, tzinfo=UTC)
    with pytest.raises(Replayed):
        verifier.verify(presented, number=ALICE)
    # The credential is shown again, to the same verifier or another, any number of times.
    for verifier_id in ("rp.example", "bank.example"):
        other = world.verifier(verifier_id=verifier_id)
        assert other.verify(holder.present(other.create_request()), number=ALICE).checks


def test_the_verifier_recomputes_the_number_from_its_own_input() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    verifier = world.verifier()
    for typed, error in ((BOB, InvalidProof), ("not a number", NotRequested)):
        request = verifier.create_request()
        with pytest.raises(error):
            verifier.verify(holder.present(request), number=typed)
        # A failed verification does not consume the nonce.
        assert verifier.verify(holder.present(request), number=ALICE).checks == (NUMBER,)


def test_presentation_for_another_request_is_rejected() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    verifier = world.verifier()
    first, second = verifier.create_request(), verifier.create_request()
    made_for_first = holder.present(first)
    # Sent with the second request's nonce: the stored request gives another ph.
    moved = Presentation(made_for_first.tier, second.nonce, made_for_first.body)
    with pytest.raises(InvalidProof):
        verifier.verify(moved, number=ALICE)
    # Sent to another verifier: its store does not know the nonce.
    with pytest.raises(Replayed):
        world.verifier(verifier_id="other.example").verify(made_for_first, number=ALICE)
    # A request asking more than this one (here age_over:18 too) is not answered by a
    # presentation for the smaller request, which lacks the predicate proof.
    wider = world.verifier(optional=(Check.age_over(18),))
    wide_request = wider.create_request()
    with pytest.raises(DecodeError):
        wider.verify(
            Presentation("credential", wide_request.nonce, made_for_first.body), number=ALICE
        )
    # ... nor is the smaller request by the wider request's presentation.
    made_for_wide = holder.present(wide_request)
    with pytest.raises((DecodeError, InvalidProof)):
        verifier.verify(Presentation("credential", second.nonce, made_for_wide.body), number=ALICE)
    assert verifier.verify(made_for_first, number=ALICE).checks == (NUMBER,)
    assert wider.verify(made_for_wide, number=ALICE).checks == (Check.age_over(18), NUMBER)


def test_a_presentation_relayed_under_another_verifier_id_is_refused() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    bank = world.verifier(verifier_id="bank.example")
    request = bank.create_request()
    # A man in the middle relays the bank's request under its own name, nonce unchanged;
    # the holder answers it and the presentation is passed on to the bank.
    relayed = replace(request, verifier_id="phish.example")
    made_for_relayed = holder.present(relayed)
    with pytest.raises(InvalidProof):
        bank.verify(made_for_relayed, number=ALICE)
    # What binds it is the presentation header, SHA-256 of the stored request: a verifier
    # that stored the relayed request under the same nonce accepts the same presentation,
    # and refuses the one made for the bank's request.
    stored = MemoryNonceStore()
    stored.register(relayed.nonce, relayed.to_bytes(), relayed.expires_at)
    phish = world.verifier(verifier_id="phish.example", nonces=stored)
    made_for_bank = holder.present(request)
    with pytest.raises(InvalidProof):
        phish.verify(made_for_bank, number=ALICE)
    assert phish.verify(made_for_relayed, number=ALICE).verifier_id == "phish.example"
    # Verifiers sharing a nonce store: the stored request names another verifier.
    shared = MemoryNonceStore()
    shop_request = world.verifier(verifier_id="shop.example", nonces=shared).create_request()
    other_shop = world.verifier(verifier_id="other-shop.example", nonces=shared)
    with pytest.raises(WrongVerifier):
        other_shop.verify(holder.present(shop_request), number=ALICE)
    # The bank's own request is still answerable: the refusals consumed nothing.
    assert bank.verify(made_for_bank, number=ALICE).verifier_id == "bank.example"


def test_holder_policy_before_presenting() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    signed_only = world.verifier(tiers=("signed",))
    with pytest.raises(NotRequested):
        holder.present(signed_only.create_request())
    live = world.verifier((Check.country("ES"),), tiers=("signed", "credential"))
    with pytest.raises(NotRequested):
        holder.present(live.create_request())
    verifier = world.verifier()
    request = verifier.create_request()
    world.clock.advance(timedelta(seconds=301))
    with pytest.raises(PolicyError):
        holder.present(request)
    world.clock.advance(timedelta(seconds=-301))
    other = Request(
        request.nonce,
        "rp.example",
        (NUMBER,),
        ("credential",),
        ("operator-b.example",),
        60,
        request.expires_at,
        request.time,
    )
    with pytest.raises(PolicyError):
        holder.present(other)
    # On the expiry day the credential is no longer shown.
    world.clock.set(datetime(2026, 3, 23, tzinfo=UTC))
    with pytest.raises(PolicyError):
        holder.present(world.verifier().create_request())
    world.clock.set(datetime(2026, 3, 22, 23, 59, tzinfo=UTC))
    late = world.verifier()
    assert late.verify(holder.present(late.create_request()), number=ALICE).checks == (NUMBER,)


def test_the_policys_maximum_age_applies_to_the_issue_week(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    # Issued on Tuesday: the week began 36 hours earlier, more than a day. The holder,
    # which knows its issue week, shows nothing ...
    verifier = world.verifier(max_age=86_400)
    request = verifier.create_request()
    with pytest.raises(PolicyError):
        holder.present(request)
    # ... and a holder that showed it anyway is refused by the verifier's shared step.
    monkeypatch.setattr(credential_holder, "issue_time_bound", lambda request, expiry: request.time)
    with pytest.raises(Expired):
        verifier.verify(holder.present(request), number=ALICE)
    # A maximum age of exactly the time since the week began is enough.
    monkeypatch.undo()
    lenient = world.verifier(max_age=36 * 3600 + 34 * 60 + 56)
    assert lenient.verify(holder.present(lenient.create_request()), number=ALICE).checks


# -- privacy ------------------------------------------------------------------------------


def test_every_presentation_field_is_classified_as_chapter_8_says() -> None:
    table = _classification_table()
    world = make_credential_world()
    holders = {ALICE: world.issued_holder(ALICE), BOB: world.issued_holder(BOB)}
    verifier = world.verifier()
    shown = []
    for _ in range(2):
        request = verifier.create_request()
        for number, holder in holders.items():
            shown.append((number, request, _fields(_present(holder, request))))
    fields = [entry[2] for entry in shown]
    assert set(fields[0]) == set(table), "the table lists exactly the presentation's fields"
    _, key = _issuing_key(world)
    constants = {
        "version": 1,
        "type": "presentation",
        "tier": "credential",
        "layout_version": 1,
        "presentation_version": 2,
        "key_id": key.key_id,
    }
    for name, kind in table.items():
        values = [entry[name] for entry in fields]
        if kind == "public constant":
            assert all(value == constants[name] for value in values), name
        elif kind == "request echo":
            assert all(entry[2][name] == entry[1].nonce for entry in shown), name
        elif kind == "requested disclosure":
            assert all(value == EXPIRY for value in values), name
        else:
            # Fresh randomness: no value repeats across holders or presentations. The
            # predicate proof is empty while no predicate is asked: its length is the
            # request's, 0.
            flat = [part for value in values for part in (value if name == "m^" else [value])]
            if name == "predicate_proof":
                assert flat == [b""] * len(flat)
            else:
                assert len(set(flat)) == len(flat), name


def test_fresh_random_fields_differ_between_presentations() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    verifier = world.verifier()
    first = _fields(_present(holder, verifier.create_request()))
    second = _fields(_present(holder, verifier.create_request()))
    for name in ("Abar", "Bbar", "D", "e^", "r1^", "r3^", "c"):
        assert first[name] != second[name], name
    assert not set(first["m^"]) & set(second["m^"])
    assert first["key_id"] == second["key_id"] and first["expiry_day"] == second["expiry_day"]


def test_equal_disclosures_give_identical_non_random_parts() -> None:
    world = make_credential_world()
    alice, bob = world.issued_holder(ALICE), world.issued_holder(BOB)
    verifier = world.verifier()
    request = verifier.create_request()
    from_alice, from_bob = _present(alice, request), _present(bob, request)
    assert len(from_alice) == len(from_bob)
    fresh = ("Abar", "Bbar", "D", "e^", "r1^", "r3^", "m^", "c")
    a, b = _fields(from_alice), _fields(from_bob)
    assert {k: v for k, v in a.items() if k not in fresh} == {
        k: v for k, v in b.items() if k not in fresh
    }
    # Byte for byte: blank the BBS proof and the rest of the encodings are identical.
    proof_a, proof_b = a["Abar"] + a["Bbar"], b["Abar"] + b["Bbar"]
    start_a, start_b = from_alice.index(proof_a), from_bob.index(proof_b)
    assert start_a == start_b
    length = 592 - 32  # the BBS proof, 10 hidden messages, without number's index 7: 9
    assert from_alice[:start_a] == from_bob[:start_b]
    assert from_alice[start_a + length :] == from_bob[start_b + length :]
    # Both verify, each for its own subscriber's number, which the verifier supplies.
    assert verifier.verify(from_bob, number=BOB).checks == (NUMBER,)
    presentation.verify(
        _issuing_key(world)[1].public_key,
        presentation.PresentationProof(decode(decode(from_alice)[4])[4]),
        {0: credential.TYPE_VERSION, 2: EXPIRY, 7: credential.msisdn_scalar(ALICE)},
        request.digest(),
        version=presentation.VERSION_2,
    )


def test_issuance_transcript_shares_nothing_with_presentations() -> None:
    world = make_credential_world()
    holder = world.holder()
    request = holder.request_credential(OPERATOR).to_bytes()
    response = world.issuer.issue(world.attester.enrol(ALICE), request).to_bytes()
    holder.receive(OPERATOR, response)
    # What the operator keeps: the commitment with its proof, the signature (A, e), its
    # entropy; every fresh value in it, cut at its field boundaries.
    commitment = decode(request)[3]
    signature, entropy = decode(response)[4], decode(response)[5]
    issued = [commitment[:48], *(commitment[i : i + 32] for i in range(48, 176, 32))]
    issued += [signature[:48], signature[48:], entropy]
    verifier = world.verifier()
    for _ in range(3):
        shown = _present(holder, verifier.create_request())
        for value in issued:
            assert value not in shown
        # Not even a 16-octet window of any of them.
        for value in issued:
            assert all(value[i : i + 16] not in shown for i in range(len(value) - 15))


def test_presentation_length_depends_on_the_request_only() -> None:
    world = make_credential_world()
    verifier = world.verifier()
    request = verifier.create_request()
    holders = [world.issued_holder(number) for number in (ALICE, BOB, CAROL)]
    lengths = {len(_present(holder, request)) for holder in holders}
    assert len(lengths) == 1
    body = decode(decode(_present(holders[-1], request))[4])
    assert len(body[4]) == 560 == presentation.bbs_proof_length(3)


# -- every field tampered ------------------------------------------------------------------


def _tampered_presentations(
    original: bytes,
) -> list[tuple[str, bytes, tuple[type[ZkcheckError], ...]]]:
    outer = decode(original)
    body = decode(outer[4])

    def with_outer(key: int, value: Any) -> bytes:
        changed = dict(outer)
        if value is None:
            del changed[key]
        else:
            changed[key] = value
        return encode(changed)

    def with_body(key: int, value: Any) -> bytes:
        changed = dict(body)
        if value is None:
            del changed[key]
        else:
            changed[key] = value
        return with_outer(4, encode(changed))

    proof = body[4]
    cases: list[tuple[str, bytes, tuple[type[ZkcheckError], ...]]] = [
        ("version", with_outer(0, 2), (DecodeError,)),
        ("type", with_outer(1, "request"), (DecodeError,)),
        ("tier signed", with_outer(2, "signed"), (NotRequested,)),
        ("tier unknown", with_outer(2, "bbs"), (NotRequested,)),
        ("nonce", with_outer(3, os.urandom(32)), (Replayed,)),
        ("nonce missing", with_outer(3, None), (DecodeError,)),
        ("extra field", with_outer(5, 1), (DecodeError,)),
        ("body", with_outer(4, b"\xa0"), (DecodeError,)),
        ("body trailing", with_outer(4, outer[4] + b"\x00"), (DecodeError,)),
        ("layout_version", with_body(1, 2), (DecodeError,)),
        ("key_id", with_body(2, bytes(16)), (UntrustedIssuer,)),
        ("key_id length", with_body(2, body[2][:15]), (DecodeError,)),
        ("expiry_day next week", with_body(3, body[3] + 7), (Expired,)),
        ("expiry_day last week", with_body(3, body[3] - 7), (InvalidProof,)),
        ("expiry_day off the grid", with_body(3, body[3] + 1), (Expired,)),
        ("expiry_day text", with_body(3, "2026-03-23"), (DecodeError,)),
        ("bbs_proof short", with_body(4, proof[:-32]), (DecodeError,)),
        ("bbs_proof long", with_body(4, proof + bytes(32)), (DecodeError,)),
        ("predicate_proof", with_body(5, bytes(48)), (DecodeError,)),
        ("predicate_proof missing", with_body(5, None), (DecodeError,)),
        ("extra body field", with_body(8, b""), (DecodeError,)),
        ("pseudonym not asked for", with_body(6, b""), (DecodeError,)),
        # Version 1's bodies had no key 7; no other version is accepted.
        ("presentation_version missing", with_body(7, None), (DecodeError,)),
        ("presentation_version 1", with_body(7, 1), (DecodeError,)),
        ("presentation_version 3", with_body(7, 3), (DecodeError,)),
        ("presentation_version text", with_body(7, "2"), (DecodeError,)),
    ]
    # Every point and scalar of the BBS proof: a flipped bit.
    for name, start in (("Abar", 0), ("Bbar", 48), ("D", 96)):
        for bit in (0, 7 * 8 + 3, 47 * 8):
            changed = bytearray(proof)
            changed[start + bit // 8] ^= 1 << (bit % 8)
            cases.append(
                (f"{name} bit {bit}", with_body(4, bytes(changed)), (DecodeError, InvalidProof))
            )
    for offset in range(144, len(proof), 32):
        for position in (0, 31):
            changed = bytearray(proof)
            changed[offset + position] ^= 0x01 if position else 0x80
            cases.append(
                (f"scalar at {offset}", with_body(4, bytes(changed)), (DecodeError, InvalidProof))
            )
    return cases


def test_every_tampered_field_gives_a_typed_error() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    verifier = world.verifier()
    original = _present(holder, verifier.create_request())
    for name, tampered, errors in _tampered_presentations(original):
        with pytest.raises(errors):
            verifier.verify(tampered, number=ALICE)
        assert tampered != original, name
    # Nothing above consumed the nonce: the genuine presentation verifies.
    assert verifier.verify(original, number=ALICE).checks == (NUMBER,)

    # The issuance messages, field by field: the request at the operator ...
    evidence = world.attester.enrol(ALICE)
    fields = decode(holder.request_credential(OPERATOR).to_bytes())
    for key, value, error in (
        (0, 2, DecodeError),
        (1, "credential-response", DecodeError),
        (2, 2, DecodeError),
        (3, fields[3][:-1], DecodeError),
        (3, bytes([0xC0]) + bytes(47) + fields[3][48:], DecodeError),
        (3, fields[3][:48] + bytes(32) + fields[3][80:], DecodeError),
        *((3, _flip(fields[3], offset), InvalidProof) for offset in (60, 100, 130, 170)),
        (4, b"", DecodeError),
    ):
        changed = dict(fields)
        changed[key] = value
        with pytest.raises(error):
            world.issuer.issue(evidence, encode(changed))

    # ... and the response at the holder, each with a fresh request.
    facts_changes: list[tuple[int, Any, type[ZkcheckError]]] = [
        (0, HOUR - 1, InvalidSignature),
        (0, HOUR + 1, PolicyError),  # the clamped SIM change falls out of range
        (0, HOUR + 2, PolicyError),
        (1, EXPIRY + 7, PolicyError),
        (2, date(1990, 5, 18).toordinal(), InvalidSignature),
        (3, HOUR - 3000, InvalidSignature),
        (4, HOUR - 1, InvalidSignature),
        (5, date(2019, 2, 1).toordinal(), InvalidSignature),
        (6, BOB, InvalidSignature),
        (6, None, InvalidSignature),
        (7, "PT", InvalidSignature),
        (7, None, InvalidSignature),
        (2, -1, DecodeError),
        (6, 34600000101, DecodeError),
    ]
    response_changes: list[tuple[int, Any, type[ZkcheckError]]] = [
        (0, 2, DecodeError),
        (1, "credential-request", DecodeError),
        (2, 0, DecodeError),
        (3, bytes(16), UntrustedIssuer),
        (3, b"short", DecodeError),
        (4, None, InvalidSignature),  # a flipped bit of e
        (4, b"", DecodeError),
        (5, bytes(32), DecodeError),
        (5, GROUP_ORDER.to_bytes(32, "big"), DecodeError),
        (5, None, InvalidSignature),  # another entropy
        (6, [], DecodeError),
        (7, 1, DecodeError),
    ]
    for index, value, error in facts_changes:
        request = holder.request_credential(OPERATOR)
        fields = decode(world.issuer.issue(evidence, request).to_bytes())
        fields[6][index] = value
        with pytest.raises(error):
            holder.receive(OPERATOR, encode(fields))
    for key, value, error in response_changes:
        request = holder.request_credential(OPERATOR)
        fields = decode(world.issuer.issue(evidence, request).to_bytes())
        if value is None:
            value = _flip(fields[key], len(fields[key]) - 1)
        fields[key] = value
        with pytest.raises(error):
            holder.receive(OPERATOR, encode(fields))
    assert holder.remaining() == 1


def _flip(octets: bytes, offset: int) -> bytes:
    changed = bytearray(octets)
    changed[offset] ^= 1
    return bytes(changed)


@cache
def _one_presentation() -> tuple[CredentialWorld, Any, bytes]:
    world = make_credential_world()
    holder = world.issued_holder()
    verifier = world.verifier()
    return world, verifier, _present(holder, verifier.create_request())


@given(st.data())
def test_any_changed_byte_of_a_presentation_is_refused(data: st.DataObject) -> None:
    _, verifier, original = _one_presentation()
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != original[position]))
    changed = original[:position] + bytes([value]) + original[position + 1 :]
    with pytest.raises(ZkcheckError):
        verifier.verify(changed, number=ALICE)


# -- the key set ---------------------------------------------------------------------------


def test_credential_keys_travel_in_the_key_set() -> None:
    world = make_credential_world()
    data = world.keyset.to_bytes()
    assert OperatorKeySet.from_bytes(data) == world.keyset
    entry = decode(data)[2][0]
    assert [key[5] for key in entry[5]] == [
        key.public_key for key in world.issuer.credential_keys()
    ]
    # The trust list made from the key set resolves them by their key ids.
    _, key = _issuing_key(world)
    now = int(START.timestamp())
    assert world.trust.find_credential_key(key.key_id, now)[1] == key
    with pytest.raises(UntrustedIssuer):
        world.trust.find_credential_key(bytes(16), now)
    for change in (
        lambda k: k.__setitem__(1, 2),
        lambda k: k.__setitem__(3, k[3] + 1),
        lambda k: k.__setitem__(5, k[5][:-1]),
        lambda k: k.__setitem__(5, bytes([0xC0]) + bytes(95)),
        lambda k: k.__setitem__(6, 0),
        lambda k: k.pop(2),
    ):
        fields = decode(data)
        change(fields[2][0][5][0])
        with pytest.raises(DecodeError):
            OperatorKeySet.from_bytes(encode(fields))
    fields = decode(data)
    fields[2][0][5] = [fields[2][0][5][0]] * 2
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(encode(fields))
    fields[2][0][5] = []
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(encode(fields))
    # An operator that issues only credentials lists no signing key; one with no key of
    # any tier is refused.
    only = OperatorEntry(
        OPERATOR, (), Menu.default(), credential_keys=world.issuer.credential_keys()
    )
    assert OperatorKeySet.from_bytes(OperatorKeySet((only,)).to_bytes()).operators == (only,)
    with pytest.raises(ValueError):
        OperatorEntry(OPERATOR, (), Menu.default())
    fields = decode(OperatorKeySet((only,)).to_bytes())
    del fields[2][0][5]
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(encode(fields))


def test_the_operators_credential_keys_keep_their_secrets() -> None:
    keys = CredentialIssuerKeys(OPERATOR, now=int(START.timestamp()))
    secret = keys.signing_key(int(START.timestamp()))
    assert secret is not None
    assert secret.secret_key.reveal().hex() not in repr(keys) and "redacted" in repr(keys)
    with pytest.raises(TypeError):
        pickle.dumps(keys)
    # Every key it made stays known by its id after its epoch, without its secret.
    (current, upcoming) = keys.credential_keys()
    keys.rotate(current.not_after)
    assert keys.credential_keys()[0] == upcoming and keys.made(current.key_id) == current
    assert keys.signing_key(current.not_before) is None


def test_a_credential_key_is_accepted_in_its_listed_window_only() -> None:
    world = make_credential_world()
    _, key = _issuing_key(world)
    now = int(START.timestamp())
    # The federation lists a credential key from its epoch's start until the credentials
    # it signs have expired: 14 days after the last issue week's start, and a day of skew.
    listed = world.trust.current().resolve(key.key_id)[1]
    assert (listed.not_before, listed.not_after) == (
        key.not_before,
        key.not_after + CREDENTIAL_LIFETIME,
    )
    assert CREDENTIAL_LIFETIME == (credential.EXPIRY_OFFSET_DAYS + EXPIRY_SKEW_DAYS) * 86_400
    # A list that accepted the key for its epoch alone: the same credential, still valid,
    # is refused once the epoch is over, since the verifier finds the key at the instant
    # of verification.
    entry = world.keyset.operators[0]
    short = [ListedKey.signed(signing, now, now + 86_400 * 30) for signing in entry.keys]
    short += [ListedKey.of(credential_key) for credential_key in entry.credential_keys]
    authority = Authority.generate("federation.example")
    operator = ListedOperator.create(OPERATOR, "Operator A", ["ES"], [], entry.menu, short)
    epoch_only = TrustListAnchors(authority.pin(), clock=world.clock)
    epoch_only.load(authority.sign((operator,), issued_at=now).to_bytes())
    alice = world.issued_holder()
    policy = Policy("rp.example", (NUMBER,), tiers=("credential",), max_age=MAX_AGE)
    listed_to_expiry = Verifier(policy, world.trust, clock=world.clock)
    listed_for_epoch = Verifier(policy, epoch_only, clock=world.clock)
    for verifier in (listed_to_expiry, listed_for_epoch):
        assert verifier.verify(alice.present(verifier.create_request()), number=ALICE)
    world.clock.set(datetime.fromtimestamp(key.not_after + 86_400, UTC))
    assert listed_to_expiry.verify(
        alice.present(listed_to_expiry.create_request()), number=ALICE
    ).checks == (NUMBER,)
    with pytest.raises(Expired, match="operator key has expired"):
        listed_for_epoch.verify(alice.present(listed_for_epoch.create_request()), number=ALICE)


def test_a_credential_without_its_holder_secret_cannot_be_presented() -> None:
    world = make_credential_world()
    alice = world.issued_holder()
    # A copy of everything the wallet stores for the credential (the signature, the
    # facts, the blind, the nym secret) on a device with another holder secret.
    thief = world.holder()
    thief.wallet._held = list(alice.wallet._held)
    verifier = world.verifier()
    with pytest.raises(InvalidProof):
        verifier.verify(thief.present(verifier.create_request()), number=ALICE)
    assert verifier.verify(alice.present(verifier.create_request()), number=ALICE).checks


def test_credential_messages_re_encode_byte_identically() -> None:
    world = make_credential_world()
    holder = world.holder()
    request = holder.request_credential(OPERATOR)
    response = world.issuer.issue(world.attester.enrol(ALICE), request)
    holder.receive(OPERATOR, response)
    body = holder.present(world.verifier().create_request()).body
    assert CredentialRequest.from_bytes(request.to_bytes()) == request
    assert CredentialResponse.from_bytes(response.to_bytes()) == response
    assert CredentialResponse.from_bytes(response.to_bytes()).to_bytes() == response.to_bytes()
    assert CredentialEvidence.from_bytes(body).to_bytes() == body
    # Not canonical, or with trailing bytes: refused.
    assert body[0] == 0xA6  # a map of six entries
    for data in (body + b"\x00", b"\xb8\x06" + body[1:]):
        with pytest.raises(DecodeError):
            CredentialEvidence.from_bytes(data)
