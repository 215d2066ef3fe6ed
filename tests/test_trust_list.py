"""The signed trust list (spec/14-trust-list.md): one configuration for every operator,
rotation, revocation, and each threat of The Update Framework's list, each refused with a
typed error or met by the documented fallback."""

from __future__ import annotations

import hashlib
import http.server
import pickle
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.attest_world import ADULT, START
from tests.credential_world import ALICE, make_credential_world
from tests.credential_world import OPERATOR as CREDENTIAL_OPERATOR
from tests.token_world import AGE_MAX_AGE, make_token_world
from tests.trust_world import (
    AGE,
    LIST_ID,
    WEEK,
    Federation,
    at,
    attested,
    later,
    make_federation,
    make_issuer,
    verify,
)
from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import Algorithm, COSEKey, COSESigningKey, Curve
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidSignature,
    OutOfSequence,
    PolicyError,
    UntrustedIssuer,
    ZkcheckError,
)
from zkcheck.hazmat import bbs
from zkcheck.roles import CredentialHolder, CredentialIssuerKeys, Holder, Issuer, Policy, Verifier
from zkcheck.roles.demo_federation import demo_federation
from zkcheck.sources import MemorySubscriberSource, demo_subscribers
from zkcheck.trust.authority import Authority, AuthorityKey
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.credential_keys import CREDENTIAL_LIFETIME, CredentialKeyEntry
from zkcheck.trust.federation import ROTATION_LEAD, ROTATION_OVERLAP, TrustListDraft
from zkcheck.trust.listed_keys import ENTRY_SIGNED, ListedKey, SignedKey, UnknownKey
from zkcheck.trust.trust_client import FileSource, TrustListAnchors, UrlSource
from zkcheck.trust.trust_list import (
    MAX_CONCURRENT_KEYS,
    MIN_LIST_INTERVAL,
    ListedOperator,
    OperatorStatus,
    SignedTrustList,
    TrustListHead,
    decode_operators,
    sign_head,
)
from zkcheck.trust.trust_state import MemoryTrustState, SQLiteTrustState


def _federation(*operator_ids: str) -> tuple[Federation, list[Issuer]]:
    federation = make_federation()
    issuers = [make_issuer(federation.clock, operator_id) for operator_id in operator_ids]
    for issuer in issuers:
        federation.add(issuer)
    federation.publish()
    return federation, issuers


def _forged(
    signer: COSESigningKey,
    operators: list[dict[int, object]],
    *,
    list_id: str = LIST_ID,
    sequence: int = 1,
    issued_at: int,
    next_authority: COSEKey | None = None,
) -> bytes:
    """A list signed by ``signer`` over operators as given, checked by nobody first."""
    body = encode(operators)
    upcoming = next_authority or Authority.generate(list_id).pin().key
    head = TrustListHead(
        list_id, sequence, issued_at, issued_at + 86_400, issued_at + WEEK, upcoming,
        hashlib.sha256(body).digest(),
    )  # fmt: skip
    return SignedTrustList(sign_head(signer, head), body).to_bytes()


# -- one configuration, every operator ------------------------------------------------------


def test_one_relying_party_configuration_verifies_every_operator_on_the_list() -> None:
    clock = FixedClock(START)
    now = epoch_seconds(clock.now())
    federation = demo_federation(now=now)
    assert len(federation.operators) == 47
    assert len({operator.country for operator in federation.operators}) == 11
    anchors = TrustListAnchors(federation.pin(), clock=clock)
    anchors.load(federation.trust_list.to_bytes())
    # One policy names no operator: it accepts every operator the list holds in good standing.
    policy = Policy("bank.example", (Check.sim_swap(72),), max_age=3600)
    bank = Verifier(policy, anchors, clock=clock)
    source = MemorySubscriberSource(demo_subscribers(clock.now()))
    shown = set()
    for operator in federation.operators:
        phone = Holder(clock=clock)
        issuer = operator.key.issuer(source, clock=clock)
        phone.receive(issuer.issue(ADULT, phone.request_attestations([Check.sim_swap(72)])))
        request = bank.create_request()
        assert request.operators == ()  # the request names none: any listed operator
        result = bank.verify(phone.present(request))
        shown.add(result.operator)
    assert shown == {operator.operator_id for operator in federation.operators}


def test_an_operator_added_later_is_verified_without_reconfiguring() -> None:
    federation, (first,) = _federation("operator-a.example")
    anchors = federation.relying_party()
    newcomer = make_issuer(federation.clock, "operator-b.example")
    later(federation.clock, minutes=5)
    federation.add(newcomer, country="PT")
    anchors.load(federation.publish())
    assert verify(anchors, attested(newcomer, federation.clock), federation.clock).operator == (
        "operator-b.example"
    )
    assert verify(anchors, attested(first, federation.clock), federation.clock).operator == (
        "operator-a.example"
    )


def test_any_key_id_resolves_to_operator_tier_and_menu() -> None:
    clock = FixedClock(START)
    federation = demo_federation(now=epoch_seconds(clock.now()))
    anchors = TrustListAnchors(federation.pin(), clock=clock)
    trust_list = anchors.load(federation.trust_list.to_bytes())
    resolved = 0
    for demo in federation.operators:
        entry = demo.entry()
        tiers = [(key.kid or b"", "signed") for key in entry.keys]
        tiers += [(key.key_id, "token") for key in entry.token_keys]
        tiers += [(key.key_id, "credential") for key in entry.credential_keys]
        for kid, tier in tiers:
            operator, key = trust_list.resolve(kid)
            assert (operator.operator_id, key.tier) == (demo.operator_id, tier)
            assert operator.menu.allows(Check.country(demo.country))
            assert (operator.countries, operator.networks) == ((demo.country,), (demo.network,))
            resolved += 1
    # A signing key and two credential keys per operator; four operators issue tokens.
    assert sum(1 for _ in trust_list.listed_keys()) == resolved == 47 * 3 + 4 * 4


# -- rotation and revocation ---------------------------------------------------------------


def test_rotation_overlap_leaves_no_gap() -> None:
    federation, (old,) = _federation("operator-a.example")
    clock = federation.clock
    start = federation.now
    # The operator hands in a new key; the federation lists it a list's life ahead and
    # ends the old key the longest attestation lifetime (and a day) after that.
    new = Issuer(
        old.operator_id, COSESigningKey.generate(), MemorySubscriberSource(demo_subscribers(START)),
        clock=clock,
    )  # fmt: skip
    later(clock, minutes=1)
    federation.draft = federation.draft.rotate(new.entry(), now=federation.now)
    anchors = federation.relying_party()
    anchors.load(federation.publish(next_update=86_400, expires_at=31 * 86_400))
    switch = federation.now + ROTATION_LEAD
    (operator,) = anchors.current().operators
    assert len(operator.keys) == 2
    new_key = next(key for key in operator.keys if key.not_before == switch)
    old_key = next(key for key in operator.keys if key is not new_key)
    assert old_key.not_after == switch + ROTATION_OVERLAP and old_key.not_before == start
    # Every six hours for three weeks the operator issues with the key it should use then,
    # and every attestation issued in the past week still verifies: no gap.
    held: list[tuple[int, Holder]] = []
    for _ in range(4 * 21):
        now = later(clock, hours=6)
        issuer = old if now < switch else new
        held.append((now, attested(issuer, clock)))
        for issued, holder in held[-4 * 6 :]:
            copy = Holder.import_wallet(holder.export_wallet(), clock=clock)
            assert verify(anchors, copy, clock).operator == "operator-a.example", issued
    # At no instant are more than two signed keys of the operator valid.
    assert MAX_CONCURRENT_KEYS == 2
    # Once the overlap is over the old key verifies nothing.
    at(clock, switch + ROTATION_OVERLAP + 1)
    stale = Holder(clock=clock)
    stale.receive(old.issue(ADULT, stale.request_attestations([AGE])))
    with pytest.raises(Expired, match="operator key has expired"):
        verify(anchors, stale, clock)


def test_epoch_keys_handed_in_again_are_added_and_the_signing_key_stays() -> None:
    federation, (issuer,) = _federation("operator-a.example")
    listed = federation.draft.operator("operator-a.example")
    (signing,) = listed.keys
    # The operator hands in its key set again, with the same signing key and the credential
    # keys of this epoch and the next: they are listed from their epochs' start until what
    # they sign has expired, and the signing key is not rotated away.
    credential_keys = CredentialIssuerKeys(
        "operator-a.example", now=federation.now
    ).credential_keys()
    again = issuer.entry().with_credential_keys(credential_keys)
    federation.draft = federation.draft.rotate(again, now=federation.now)
    keys = federation.draft.operator("operator-a.example").keys
    assert [key for key in keys if key.tier == "signed"] == [signing]
    windows = sorted((key.not_before, key.not_after) for key in keys if key.tier == "credential")
    assert windows == sorted(
        (entry.not_before, entry.not_after + CREDENTIAL_LIFETIME) for entry in credential_keys
    )
    # Handed in once more, nothing changes: a key already listed is not listed twice.
    assert (
        federation.draft.rotate(again, now=federation.now).operators == federation.draft.operators
    )


def test_a_revoked_key_fails_from_the_next_list() -> None:
    federation, (issuer,) = _federation("operator-a.example")
    anchors = federation.relying_party(source=lambda: federation.latest())
    holder = attested(issuer, federation.clock)
    copy = Holder.import_wallet(holder.export_wallet(), clock=federation.clock)
    assert verify(anchors, holder, federation.clock).operator == "operator-a.example"
    kid = issuer.entry().keys[0].kid or b""
    later(federation.clock, hours=1)
    federation.draft = federation.draft.revoke_key("operator-a.example", kid)
    federation.publish()
    # The relying party still holds list 1 until its next update; then it fetches list 2.
    assert verify(anchors, Holder.import_wallet(copy.export_wallet(), clock=federation.clock),
                  federation.clock)  # fmt: skip
    later(federation.clock, days=1)
    with pytest.raises(UntrustedIssuer, match="revoked"):
        verify(anchors, copy, federation.clock)
    assert anchors.current().sequence == 2 and anchors.last_error is None


def test_revoked_token_and_credential_keys_fail_from_the_next_list() -> None:
    # The credential tier: a credential issued under a key the next list revokes.
    world = make_credential_world()
    federation = make_federation(clock=world.clock)
    federation.draft = federation.draft.add_operator(
        world.keyset.operators[0], name="Operator A", countries=("ES",), now=federation.now
    )
    # The holder's copy of the list is its own: it learns of the revocation later.
    anchors, holder_anchors = (federation.relying_party(load=False) for _ in range(2))
    published = federation.publish()
    anchors.load(published)
    holder_anchors.load(published)
    wallet = CredentialHolder(holder_anchors, clock=world.clock)
    request = wallet.request_credential(CREDENTIAL_OPERATOR)
    response = world.issuer.issue(world.attester.enrol(ALICE), request)
    wallet.receive(CREDENTIAL_OPERATOR, response)
    policy = Policy("rp.example", (Check.number(),), tiers=("credential",), max_age=WEEK * 3)
    site = Verifier(policy, anchors, clock=world.clock)
    assert site.verify(wallet.present(site.create_request()), number=ALICE)
    later(world.clock, minutes=1)
    federation.draft = federation.draft.revoke_key(CREDENTIAL_OPERATOR, response.key_id)
    revoked = federation.publish()
    anchors.load(revoked)
    with pytest.raises(UntrustedIssuer, match="revoked"):
        site.verify(wallet.present(site.create_request()), number=ALICE)
    # A holder that knows of the revocation shows nothing rather than a refused credential.
    holder_anchors.load(revoked)
    with pytest.raises(PolicyError, match="no stored credential"):
        wallet.present(site.create_request())
    # The token tier: a cached age token under a key the next list revokes.
    tokens = make_token_world()
    federation = make_federation(clock=tokens.clock)
    federation.draft = federation.draft.add_operator(
        tokens.entry(), name="Operator A", countries=("ES",), now=federation.now
    )
    anchors = federation.relying_party(load=False)
    anchors.load(federation.publish())
    policy = Policy("video.example", (AGE,), tiers=("token",), max_age=AGE_MAX_AGE)
    video = Verifier(policy, anchors, clock=tokens.clock)
    phone = tokens.holder(anchors)
    request = video.create_request()
    tokens.fetch(phone, request, video.token_challenge_header(request), batch=2)
    assert video.verify(phone.present(request))
    later(tokens.clock, minutes=1)
    federation.draft = federation.draft.revoke_key(
        tokens.issuer.operator_id, tokens.key(AGE).key_id
    )
    anchors.load(federation.publish())
    with pytest.raises(UntrustedIssuer, match="revoked"):
        video.verify(phone.present(video.create_request()))


@pytest.mark.parametrize("status", [OperatorStatus.SUSPENDED, OperatorStatus.WITHDRAWN])
def test_a_suspended_or_withdrawn_operator_fails_from_the_next_list(
    status: OperatorStatus,
) -> None:
    federation, (issuer, other) = _federation("operator-a.example", "operator-b.example")
    anchors = federation.relying_party()
    holder = attested(issuer, federation.clock)
    later(federation.clock, minutes=1)
    federation.draft = federation.draft.set_status("operator-a.example", status)
    anchors.load(federation.publish())
    with pytest.raises(UntrustedIssuer, match="good standing"):
        verify(anchors, holder, federation.clock)
    assert anchors.operator("operator-a.example") is None
    assert [operator.operator_id for operator in anchors.operators()] == ["operator-b.example"]
    assert verify(anchors, attested(other, federation.clock), federation.clock)
    # Reinstated, the operator's attestations verify again.
    later(federation.clock, minutes=1)
    federation.draft = federation.draft.set_status("operator-a.example", OperatorStatus.ACTIVE)
    anchors.load(federation.publish())
    assert verify(anchors, attested(issuer, federation.clock), federation.clock)


# -- rollback, equivocation, freeze, fast-forward --------------------------------------------


def test_rollback_is_refused() -> None:
    federation, _ = _federation("operator-a.example")
    old = federation.latest()
    later(federation.clock, minutes=1)
    anchors = federation.relying_party()
    anchors.load(federation.publish())
    with pytest.raises(OutOfSequence, match="rollback"):
        anchors.load(old)
    assert anchors.current().sequence == 2


def test_equivocation_is_refused() -> None:
    federation, _ = _federation("operator-a.example")
    anchors = federation.relying_party()
    first = federation.published[0]
    # The same list again changes nothing; with its operators altered it is refused.
    assert anchors.load(federation.latest()).sequence == 1
    altered = bytearray(first.operators)
    altered[-1] ^= 1
    with pytest.raises(InvalidSignature):
        anchors.load(replace(first, operators=bytes(altered)).to_bytes())
    # Another list the authority signed under the same sequence number is refused.
    other = make_issuer(federation.clock, "operator-b.example")
    federation.add(other)
    twin = federation.authority.sign(federation.draft.operators, issued_at=federation.now)
    assert twin.head_fields().sequence == first.head_fields().sequence
    with pytest.raises(OutOfSequence, match="sequence number already held"):
        anchors.load(twin.to_bytes())
    assert anchors.current().operator("operator-b.example") is None


def test_freeze_is_refused_and_a_failed_refresh_keeps_the_last_good_list_until_it_expires() -> None:
    federation, (issuer,) = _federation("operator-a.example")
    served: dict[str, bytes] = {"list": federation.latest()}
    anchors = federation.relying_party(source=lambda: served["list"])
    holder = attested(issuer, federation.clock, (AGE,))
    wallet = holder.export_wallet()
    head = federation.published[0].head_fields()
    # A mirror frozen on list 1 keeps serving it after its next update: the relying party
    # keeps using it, and says the refresh brought nothing newer.
    at(federation.clock, head.next_update + 60)
    assert anchors.current().sequence == 1
    # A mirror that serves garbage: the refresh fails, the last good list stays in use.
    served["list"] = b"\xa0"
    later(federation.clock, hours=1)
    again = Holder.import_wallet(wallet, clock=federation.clock)
    assert verify(anchors, again, federation.clock).operator == "operator-a.example"
    assert isinstance(anchors.last_error, DecodeError)
    # Once list 1 expires, nothing verifies: the freeze is noticed, not endured.
    at(federation.clock, head.expires_at)
    with pytest.raises(Expired, match="expired"):
        verify(anchors, Holder.import_wallet(wallet, clock=federation.clock), federation.clock)
    # And an expired list is refused outright.
    fresh = federation.relying_party(load=False)
    with pytest.raises(Expired, match="expired"):
        fresh.load(federation.latest())


def test_fast_forward_is_bounded_by_the_time_elapsed() -> None:
    federation, _ = _federation("operator-a.example")
    anchors = federation.relying_party()
    first = federation.published[0].head_fields()
    signer = federation.authority.current
    operators = decode(federation.published[0].operators)
    # Ten minutes later a list numbered a thousand ahead: more than one a minute.
    now = later(federation.clock, minutes=10)
    ahead = _forged(signer, operators, sequence=first.sequence + 1000, issued_at=now,
                    next_authority=first.next_authority)  # fmt: skip
    with pytest.raises(OutOfSequence, match="further ahead"):
        anchors.load(ahead)
    # Ten numbers ahead in ten minutes is within the bound.
    within = _forged(signer, operators, sequence=first.sequence + 10, issued_at=now,
                     next_authority=first.next_authority)  # fmt: skip
    assert anchors.load(within).sequence == first.sequence + 10
    assert MIN_LIST_INTERVAL == 60


def test_a_list_issued_in_the_future_is_refused() -> None:
    federation, _ = _federation("operator-a.example")
    anchors = federation.relying_party(load=False)
    operators = decode(federation.published[0].operators)
    future = _forged(federation.authority.current, operators, issued_at=federation.now + 3600)
    with pytest.raises(Expired, match="future"):
        anchors.load(future)


# -- the authority key ---------------------------------------------------------------------


def test_authority_rollover_is_followed_after_being_offline() -> None:
    federation, (issuer,) = _federation("operator-a.example")
    online = federation.relying_party()
    offline = federation.relying_party()
    # Three rollovers, with lists in between; the online relying party loads every list.
    for _ in range(3):
        later(federation.clock, minutes=1)
        online.load(federation.publish())
        federation.authority = federation.authority.roll_over()
        later(federation.clock, minutes=1)
        online.load(federation.publish())
    latest = federation.published[-1]
    assert len(latest.chain) == 3 and latest.head_fields().sequence == 7
    # The offline one, still on list 1 and the first key, follows the chain at once.
    assert offline.load(latest.to_bytes()).sequence == 7
    # So does a relying party that only ever had the pinned key.
    assert federation.relying_party(load=False).load(latest.to_bytes()).sequence == 7
    assert verify(offline, attested(issuer, federation.clock), federation.clock)
    # Without the chain the offline one cannot know the new key.
    stripped = replace(latest, chain=()).to_bytes()
    stale = federation.relying_party(load=False)
    stale.load(federation.published[0].to_bytes())
    with pytest.raises(UntrustedIssuer, match="authority key"):
        stale.load(stripped)
    # It needs no link for the key list 1 announced, but cannot skip a later one.
    announced = replace(latest, chain=latest.chain[1:]).to_bytes()
    gapped = replace(latest, chain=(latest.chain[0], latest.chain[2])).to_bytes()
    with pytest.raises(UntrustedIssuer, match="authority key"):
        stale.load(gapped)
    assert stale.load(announced).sequence == 7


def test_a_relying_party_pinned_after_a_rollover_loads_the_list() -> None:
    # The chain of every later list still holds the rollovers made before a relying
    # party was given its pin: those are passed over, and trust starts at the pin.
    federation, (issuer,) = _federation("operator-a.example")
    pins = [federation.authority.pin()]
    for _ in range(3):
        federation.authority = federation.authority.roll_over()
        pins.append(federation.authority.pin())
        later(federation.clock, minutes=1)
        federation.publish()
    latest = federation.published[-1]
    assert len(latest.chain) == 3
    for pin in pins:
        anchors = TrustListAnchors(pin, clock=federation.clock)
        assert anchors.load(latest.to_bytes()).sequence == 4
        assert verify(anchors, attested(issuer, federation.clock), federation.clock)
    # Passed over is not trusted: a key that never was the federation's signs nothing,
    # with or without chain links of its own before the pinned key's.
    impostor = Authority.generate(LIST_ID)
    operators = decode(latest.operators)
    forged = _forged(impostor.current, operators, sequence=5, issued_at=federation.now)
    with_links = replace(SignedTrustList.from_bytes(forged), chain=latest.chain).to_bytes()
    for data in (forged, with_links):
        with pytest.raises(UntrustedIssuer, match="authority key"):
            TrustListAnchors(pins[-1], clock=federation.clock).load(data)


def test_the_authority_signs_no_list_after_two_rollovers_without_one_between() -> None:
    federation, _ = _federation("operator-a.example")
    operators = decode_operators(federation.published[-1].operators)
    twice = federation.authority.roll_over().roll_over()
    with pytest.raises(ValueError, match="does not announce this key"):
        twice.sign(operators, issued_at=later(federation.clock, minutes=1),
                   previous=federation.published[-1])  # fmt: skip
    # One rollover, a list, then the next: every relying party follows both.
    once = federation.authority.roll_over()
    first = once.sign(operators, issued_at=later(federation.clock, minutes=1),
                      previous=federation.published[-1])  # fmt: skip
    second = once.roll_over().sign(operators, issued_at=later(federation.clock, minutes=1),
                                   previous=first)  # fmt: skip
    assert federation.relying_party().load(second.to_bytes()).sequence == 3


def test_a_retired_authority_key_signs_nothing_more() -> None:
    federation, _ = _federation("operator-a.example")
    retired = federation.authority.current
    federation.authority = federation.authority.roll_over()
    later(federation.clock, minutes=1)
    anchors = federation.relying_party()
    assert anchors.current().sequence == 1
    anchors.load(federation.publish())
    # A thief of the retired key signs a newer list: the relying party has moved on.
    operators = decode(federation.published[0].operators)
    now = later(federation.clock, hours=1)
    stolen = _forged(retired, operators, sequence=10, issued_at=now)
    with pytest.raises(UntrustedIssuer):
        anchors.load(stolen)


def test_wrong_authority_is_refused() -> None:
    federation, _ = _federation("operator-a.example")
    anchors = federation.relying_party(load=False)
    operators = decode(federation.published[0].operators)
    impostor = Authority.generate(LIST_ID)
    forged = _forged(impostor.current, operators, issued_at=federation.now)
    with pytest.raises(UntrustedIssuer, match="authority key"):
        anchors.load(forged)
    # The pinned key's own signature over another federation's list id.
    elsewhere = _forged(
        federation.authority.current, operators, list_id="elsewhere.example",
        issued_at=federation.now,
    )  # fmt: skip
    with pytest.raises(UntrustedIssuer, match="another federation"):
        anchors.load(elsewhere)
    # A signature by another key under the pinned key's id does not verify.
    head = federation.published[0].head
    claimed = replace(head, signature=impostor.current.sign(head.to_be_signed()))
    with pytest.raises(InvalidSignature):
        anchors.load(replace(federation.published[0], head=claimed).to_bytes())


def test_a_tampered_list_is_refused_and_changes_nothing() -> None:
    federation, _ = _federation("operator-a.example", "operator-b.example")
    data = federation.latest()
    state = MemoryTrustState()
    anchors = federation.relying_party(state=state, load=False)
    refused = 0
    for position in range(0, len(data), 7):
        for flip in (0x01, 0x80):
            tampered = bytearray(data)
            tampered[position] ^= flip
            with pytest.raises(ZkcheckError):
                anchors.load(bytes(tampered))
            refused += 1
    assert refused > 100 and state.load(LIST_ID) is None
    # The operators alone altered: the signed digest no longer matches.
    signed = federation.published[0]
    operators = bytearray(signed.operators)
    operators[-1] ^= 1
    with pytest.raises((InvalidSignature, DecodeError)):
        anchors.load(replace(signed, operators=bytes(operators)).to_bytes())
    assert anchors.load(data).sequence == 1


# -- the key limit, unknown keys, algorithms -------------------------------------------------


def test_too_many_concurrent_keys_are_refused() -> None:
    federation, _ = _federation("operator-a.example")
    now = federation.now
    keys = [COSESigningKey.generate().public_key for _ in range(3)]

    def operator(windows: list[tuple[int, int]]) -> dict[int, object]:
        listed = sorted(
            (
                ListedKey.signed(key, start, end)
                for key, (start, end) in zip(keys, windows, strict=True)
            ),
            key=lambda key: key.key_id,
        )
        menu = list(Menu.default().identifiers())
        return {1: "operator-a.example", 2: "A", 3: ["ES"], 4: [], 5: 1, 6: menu,
                7: [key.to_map() for key in listed]}  # fmt: skip

    # Three keys valid at once: an operator could split its subscribers three ways.
    crowded = _forged(federation.authority.current,
                      [operator([(now, now + WEEK)] * 3)], issued_at=now)  # fmt: skip
    anchors = federation.relying_party(load=False)
    with pytest.raises(PolicyError, match="valid at once"):
        anchors.load(crowded)
    # Two overlapping and a third after them are within the rule.
    spaced = [(now, now + 100), (now + 50, now + 200), (now + 100, now + 300)]
    assert anchors.load(_forged(federation.authority.current, [operator(spaced)],
                                issued_at=now)).sequence == 1  # fmt: skip
    # The federation's own tools refuse to write such a list.
    with pytest.raises(PolicyError):
        ListedOperator.create("operator-a.example", "A", ["ES"], [], Menu.default(),
                              [ListedKey.signed(key, now, now + WEEK) for key in keys])  # fmt: skip


def test_unknown_key_id_is_untrusted() -> None:
    federation, (issuer,) = _federation("operator-a.example")
    anchors = federation.relying_party()
    now = federation.now
    with pytest.raises(UntrustedIssuer, match="unknown"):
        anchors.find_key(bytes(16), now)
    with pytest.raises(UntrustedIssuer, match="unknown"):
        anchors.current().resolve(bytes(16))
    # An attestation under a key the list does not hold.
    stranger = make_issuer(federation.clock, "operator-a.example")
    with pytest.raises(UntrustedIssuer, match="unknown"):
        verify(anchors, attested(stranger, federation.clock), federation.clock)
    # A listed key looked up as another tier's.
    kid = issuer.entry().keys[0].kid or b""
    with pytest.raises(UntrustedIssuer, match="another tier"):
        anchors.find_token_key(kid, now)
    with pytest.raises(UntrustedIssuer, match="another tier"):
        anchors.find_credential_key(kid, now)


class _PolymorphicSigner:
    """An Ed25519 key that signs under the older, polymorphic EdDSA identifier."""

    def __init__(self) -> None:
        self._key = COSESigningKey.generate()
        self.public_key = self._key.public_key
        self.algorithm = Algorithm.EDDSA

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def test_the_listed_algorithm_alone_verifies() -> None:
    federation = make_federation()
    clock = federation.clock
    signer = _PolymorphicSigner()
    issuer = Issuer("operator-a.example", signer, MemorySubscriberSource(demo_subscribers(START)),
                    clock=clock)  # fmt: skip
    now = federation.now
    # Listed for Ed25519 (-19): an EdDSA (-8) signature by the same key is refused.
    ed25519 = ListedKey.signed(signer.public_key, now, now + WEEK)
    federation.draft = TrustListDraft(LIST_ID, (ListedOperator.create(
        "operator-a.example", "A", ["ES"], [], Menu.default(), [ed25519]),))  # fmt: skip
    anchors = federation.relying_party(load=False)
    anchors.load(federation.publish())
    holder = attested(issuer, clock)
    wallet = holder.export_wallet()
    with pytest.raises(InvalidSignature):
        verify(anchors, holder, clock)
    # Listed for EdDSA, the same attestation verifies.
    eddsa = ListedKey.signed(signer.public_key, now, now + WEEK, algorithm=Algorithm.EDDSA)
    federation.draft = TrustListDraft(LIST_ID, (ListedOperator.create(
        "operator-a.example", "A", ["ES"], [], Menu.default(), [eddsa]),))  # fmt: skip
    later(clock, minutes=1)
    anchors.load(federation.publish())
    assert verify(anchors, Holder.import_wallet(wallet, clock=clock), clock)
    # A key listed for an algorithm of another curve does not decode.
    body = ed25519.to_map()
    body[6][2] = int(Algorithm.ESP256)
    with pytest.raises(DecodeError):
        ListedKey.from_map(body)


# -- persistence ---------------------------------------------------------------------------


def test_persisted_state_survives_a_restart(tmp_path: Path) -> None:
    federation, (issuer,) = _federation("operator-a.example")
    first = federation.latest()
    federation.authority = federation.authority.roll_over()
    later(federation.clock, minutes=1)
    second = federation.publish()
    later(federation.clock, minutes=1)
    federation.publish()
    database = tmp_path / "verifier.db"
    state = SQLiteTrustState(database)
    federation.relying_party(state=state)
    state.close()
    # A restart: no network, only the database. The list held and the rollover survive.
    restarted = TrustListAnchors(federation.pin, clock=federation.clock,
                                 state=SQLiteTrustState(database))  # fmt: skip
    assert restarted.current().sequence == 3
    assert verify(restarted, attested(issuer, federation.clock), federation.clock)
    with pytest.raises(OutOfSequence, match="rollback"):
        restarted.load(second)
    # List 1 was signed by a key the relying party no longer trusts.
    with pytest.raises(UntrustedIssuer):
        restarted.load(first)
    later(federation.clock, minutes=1)
    assert restarted.load(federation.publish()).sequence == 4


@pytest.mark.parametrize(
    ("column", "sql_value"),
    [("sequence", "'one'"), ("bundle", "'text'"), ("digest", "CAST(X'FF' AS TEXT)")],
)
def test_a_damaged_stored_state_is_a_decode_error(
    tmp_path: Path, column: str, sql_value: str
) -> None:
    federation, _ = _federation("operator-a.example")
    database = tmp_path / "verifier.db"
    state = SQLiteTrustState(database)
    federation.relying_party(state=state)
    state.close()
    with sqlite3.connect(database) as db:
        db.execute(f"UPDATE zkcheck_trust_lists SET {column} = {sql_value}")
    with pytest.raises(DecodeError, match="damaged"):
        TrustListAnchors(federation.pin, clock=federation.clock, state=SQLiteTrustState(database))


def test_bad_input_changes_nothing_stored(tmp_path: Path) -> None:
    federation, _ = _federation("operator-a.example")
    first = federation.latest()
    later(federation.clock, minutes=1)
    second = federation.publish()
    state = SQLiteTrustState(tmp_path / "verifier.db")
    anchors = federation.relying_party(state=state)
    stored = state.load(LIST_ID)
    assert stored is not None and stored.bundle == second
    operators = decode(federation.published[0].operators)
    twin = _forged(federation.authority.current, operators, sequence=2, issued_at=federation.now)
    impostor = _forged(Authority.generate(LIST_ID).current, operators, issued_at=federation.now)
    bad = [first, twin, b"", b"\xa0", second[:-1], second + b"\x00", impostor]
    for data in bad:
        with pytest.raises(ZkcheckError):
            anchors.load(data)
        assert state.load(LIST_ID) == stored
    # The state store itself refuses what would move it backwards.
    with pytest.raises(OutOfSequence):
        state.advance(LIST_ID, replace(stored, sequence=1))
    with pytest.raises(OutOfSequence):
        state.advance(LIST_ID, replace(stored, digest=bytes(32)))
    assert state.load(LIST_ID) == stored


def test_a_stored_state_that_does_not_verify_is_refused_not_replaced(tmp_path: Path) -> None:
    federation, _ = _federation("operator-a.example")
    state = SQLiteTrustState(tmp_path / "verifier.db")
    federation.relying_party(state=state)
    stored = state.load(LIST_ID)
    assert stored is not None
    damaged = bytearray(stored.bundle)
    damaged[-1] ^= 1
    state.forget(LIST_ID)
    state.advance(LIST_ID, replace(stored, bundle=bytes(damaged)))
    with pytest.raises(ZkcheckError):
        TrustListAnchors(federation.pin, clock=federation.clock, state=state)
    assert state.load(LIST_ID) == replace(stored, bundle=bytes(damaged))


def test_a_new_pin_starts_a_new_state(tmp_path: Path) -> None:
    federation, _ = _federation("operator-a.example")
    state = SQLiteTrustState(tmp_path / "verifier.db")
    federation.relying_party(state=state)
    # The relying party pins a new authority key (after a compromise, by other means).
    other = Authority.generate(LIST_ID)
    anchors = TrustListAnchors(other.pin(), clock=federation.clock, state=state)
    assert state.load(LIST_ID) is None
    with pytest.raises(UntrustedIssuer):
        anchors.current()


def test_a_kept_list_of_another_federation_is_refused() -> None:
    # A state written under this list id holding another federation's list, signed by
    # that federation's key: refused when read, not used.
    federation, _ = _federation("operator-a.example")
    elsewhere = Authority.generate("elsewhere.example")
    theirs = MemoryTrustState()
    their_anchors = TrustListAnchors(elsewhere.pin(), clock=federation.clock, state=theirs)
    operators = decode_operators(federation.published[-1].operators)
    their_list = elsewhere.sign(operators, issued_at=federation.now)
    their_anchors.load(their_list.to_bytes())
    record = theirs.load("elsewhere.example")
    assert record is not None
    state = MemoryTrustState()
    state.advance(LIST_ID, replace(record, pinned=federation.pin.kid))
    with pytest.raises(DecodeError, match="another federation"):
        TrustListAnchors(federation.pin, clock=federation.clock, state=state)


# -- loading from files and URLs -------------------------------------------------------------


class _ListServer:
    """A trust list served over HTTP on the loopback interface, with an ETag."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.requests: list[int] = []
        self.redirect: str | None = None
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.redirect is not None:
                    server.requests.append(302)
                    self.send_response(302)
                    self.send_header("Location", server.redirect)
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(server.data).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    server.requests.append(304)
                    self.send_response(304)
                    self.end_headers()
                    return
                server.requests.append(200)
                self.send_response(200)
                self.send_header("Content-Type", "application/cbor")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(server.data)))
                self.end_headers()
                self.wfile.write(server.data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/federation.trust-list"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def list_server() -> Iterator[_ListServer]:
    server = _ListServer(b"")
    yield server
    server.close()


def test_the_list_loads_from_a_url_with_caching_and_refresh(list_server: _ListServer) -> None:
    federation, (issuer,) = _federation("operator-a.example")
    list_server.data = federation.latest()
    anchors = TrustListAnchors(federation.pin, clock=federation.clock, source=list_server.url)
    # The first lookup fetches the list.
    assert verify(anchors, attested(issuer, federation.clock), federation.clock)
    assert list_server.requests == [200]
    # Until its next update, lookups use the list held and ask nothing.
    later(federation.clock, hours=23)
    assert anchors.current().sequence == 1 and list_server.requests == [200]
    # Due, it revalidates: unchanged, the server answers 304 and nothing is sent again.
    later(federation.clock, hours=2)
    assert anchors.current().sequence == 1 and list_server.requests == [200, 304]
    # The federation publishes list 2; after the retry interval it is fetched.
    federation.publish()
    list_server.data = federation.latest()
    later(federation.clock, minutes=6)
    assert anchors.current().sequence == 2 and list_server.requests == [200, 304, 200]
    # The server goes away: the list held stays in use, the failure is recorded.
    list_server.close()
    at(federation.clock, federation.published[-1].head_fields().next_update + 1800)
    assert anchors.current().sequence == 2
    assert isinstance(anchors.last_error, OSError)


def test_a_list_refused_once_is_fetched_again(list_server: _ListServer) -> None:
    # The relying party's clock is six minutes behind: the list is refused as issued
    # in the future. Its ETag is not remembered, so the next attempt fetches the
    # list again instead of being told it has not changed.
    federation, _ = _federation("operator-a.example")
    list_server.data = federation.latest()
    behind = FixedClock(federation.clock.now() - timedelta(minutes=6))
    anchors = TrustListAnchors(federation.pin, clock=behind, source=list_server.url)
    with pytest.raises(UntrustedIssuer, match="no trust list"):
        anchors.current()
    assert isinstance(anchors.last_error, Expired) and list_server.requests == [200]
    behind.advance(timedelta(minutes=10))
    assert anchors.current().sequence == 1 and anchors.last_error is None
    assert list_server.requests == [200, 200]


def test_a_broken_redirect_is_a_failed_fetch(list_server: _ListServer) -> None:
    federation, _ = _federation("operator-a.example")
    list_server.redirect = "http://[::1/federation.trust-list"  # not a URL urllib can parse
    with pytest.raises(OSError, match="answered badly"):
        UrlSource(list_server.url)()
    anchors = TrustListAnchors(federation.pin, clock=federation.clock, source=list_server.url)
    with pytest.raises(UntrustedIssuer, match="no trust list"):
        anchors.current()
    assert isinstance(anchors.last_error, OSError)
    # With a list held, lookups go on using it.
    anchors.load(federation.latest())
    at(federation.clock, federation.published[-1].head_fields().next_update + 1)
    assert anchors.current().sequence == 1 and isinstance(anchors.last_error, OSError)


def test_the_list_loads_from_a_file(tmp_path: Path) -> None:
    federation, _ = _federation("operator-a.example")
    path = tmp_path / "federation.trust-list"
    path.write_bytes(federation.latest())
    anchors = TrustListAnchors(federation.pin, clock=federation.clock, source=path)
    assert anchors.current().sequence == 1
    assert FileSource(path)() == federation.latest()
    with pytest.raises(ValueError):
        UrlSource("file:///etc/passwd")


# -- formats -----------------------------------------------------------------------------------


def test_issuer_directories_are_cross_checked_against_the_list() -> None:
    from tests.token_world import SWAP, make_token_world

    world = make_token_world()
    trust = world.trust()
    now = epoch_seconds(world.clock.now())
    name = world.issuer.issuer_name(SWAP)
    trust.current().check_directory(name, world.issuer.directory(name), now)
    # A directory that offers a key the list does not name is refused.
    other = make_token_world(operator="operator-b.example", domain="tokens.operator-b.example")
    foreign = other.issuer.directory(other.issuer.issuer_name(SWAP))
    with pytest.raises(UntrustedIssuer):
        trust.current().check_directory(name, foreign, now)
    with pytest.raises(UntrustedIssuer, match="no such issuer"):
        trust.current().check_directory("unknown.example", foreign, now)


def test_credential_keys_are_listed_with_their_layout_version() -> None:
    federation = make_federation()
    now = federation.now
    epoch = now // WEEK
    entries = []
    for offset in range(3):
        public = bbs.sk_to_pk(bbs.key_gen(bytes([offset + 1]) * 32, b"", b""))
        start = (epoch + offset) * WEEK
        entries.append(CredentialKeyEntry(epoch + offset, start, start + WEEK, public))
    # Each key signs in its week and is accepted until what it signed expires, two weeks on:
    # three are accepted at once, but the operator signs with one at a time.
    listed = [ListedKey.of(entry, not_after=entry.not_after + 2 * WEEK) for entry in entries]
    signing = COSESigningKey.generate().public_key
    operator = ListedOperator.create(
        "operator-a.example", "A", ["ES"], [], Menu.default(),
        [ListedKey.signed(signing, now, now + WEEK), *listed],
    )  # fmt: skip
    federation.draft = TrustListDraft(LIST_ID, (operator,))
    anchors = federation.relying_party(load=False)
    anchors.load(federation.publish(expires_at=31 * 86_400))
    first = entries[0]
    found_operator, found = anchors.find_credential_key(first.key_id, now)
    assert found_operator.operator_id == "operator-a.example"
    assert (found.public_key, found.layout_version, found.epoch) == (first.public_key, 1, epoch)
    assert found.key_id == hashlib.sha256(first.public_key).digest()[:16]
    assert found.point is not None
    # After its week it is still accepted for the credentials it signed, then no more.
    later(federation.clock, days=7)
    assert anchors.find_credential_key(first.key_id, federation.now)[1] == first
    at(federation.clock, first.not_after + 2 * WEEK)
    with pytest.raises(Expired):
        anchors.find_credential_key(first.key_id, federation.now)
    # The public key is decoded with the BBS draft's checked decoder, and only layout 1 exists.
    with pytest.raises(DecodeError):
        CredentialKeyEntry(epoch, epoch * WEEK, (epoch + 1) * WEEK, bytes(96))
    with pytest.raises(ValueError):
        CredentialKeyEntry(epoch, epoch * WEEK, (epoch + 1) * WEEK, first.public_key, 2)
    with pytest.raises(DecodeError):
        CredentialKeyEntry.from_map({**first.to_map(), 1: 2})
    # A credential key accepted from before its epoch, or ending before it, is refused.
    with pytest.raises(ValueError):
        ListedKey(3, first.key_id, first.not_before - 1, first.not_after, first)
    with pytest.raises(ValueError):
        ListedKey(3, first.key_id, first.not_before, first.not_after - 1, first)
    # Two keys signing in one week, and a third as well, break the key limit.
    overlapping = CredentialKeyEntry(epoch, epoch * WEEK, (epoch + 1) * WEEK,
                                     bbs.sk_to_pk(bbs.key_gen(b"\x09" * 32, b"", b"")))  # fmt: skip
    third = CredentialKeyEntry(epoch, epoch * WEEK, (epoch + 1) * WEEK,
                               bbs.sk_to_pk(bbs.key_gen(b"\x0a" * 32, b"", b"")))  # fmt: skip
    crowded = [ListedKey.of(key) for key in (first, overlapping, third)]
    with pytest.raises(PolicyError):
        ListedOperator.create("operator-a.example", "A", ["ES"], [], Menu.default(), crowded)


def test_an_entry_of_an_unknown_type_is_kept_but_resolves_to_nothing() -> None:
    federation = make_federation()
    now = federation.now
    signing = ListedKey.signed(COSESigningKey.generate().public_key, now, now + WEEK)
    future = {1: 99, 2: b"\x07" * 16, 3: now, 4: now + WEEK, 6: {1: "a tier of tomorrow"}}
    operator = ListedOperator.create("operator-a.example", "A", ["ES"], [], Menu.default(),
                                     [signing]).to_map()  # fmt: skip
    operator[7] = sorted([signing.to_map(), future], key=lambda key: key[2])
    anchors = federation.relying_party(load=False)
    trust_list = anchors.load(_forged(federation.authority.current, [operator], issued_at=now))
    _, key = trust_list.resolve(b"\x07" * 16)
    assert isinstance(key.material, UnknownKey) and key.tier is None
    with pytest.raises(UntrustedIssuer, match="another tier"):
        anchors.find_key(b"\x07" * 16, now)
    assert anchors.find_key(signing.key_id, now)[1] == signing.material


def _operator_map(federation: Federation) -> dict[int, object]:
    return dict(decode(federation.published[0].operators)[0])


@pytest.mark.parametrize(
    "change",
    [
        lambda op: op.__setitem__(5, 4),  # an unknown status
        lambda op: op.__setitem__(3, ["PT", "ES"]),  # countries out of order
        lambda op: op.__setitem__(3, ["es"]),  # not a country code
        lambda op: op.__setitem__(4, ["21401"]),  # not an MCC-MNC code
        lambda op: op.__setitem__(2, ""),  # no name
        lambda op: op.__setitem__(8, 1),  # an unknown field
        lambda op: op[7][0].__setitem__(2, bytes(16)),  # a key id that is not the key's
        lambda op: op[7][0].__setitem__(5, False),  # "not revoked" written out
        lambda op: op[7][0].__setitem__(4, op[7][0][3]),  # an empty validity
        lambda op: op[7][0][6].__setitem__(1, {1: 1, -1: 6, -2: bytes(32), -4: bytes(32)}),
        lambda op: op[7].append(op[7][0]),  # a key twice
    ],
)
def test_malformed_operators_are_refused(change: object) -> None:
    federation, _ = _federation("operator-a.example")
    operator = _operator_map(federation)
    change(operator)  # type: ignore[operator]
    with pytest.raises(DecodeError):
        decode_operators(encode([operator]))
    forged = _forged(federation.authority.current, [operator], issued_at=federation.now)
    with pytest.raises(DecodeError):
        federation.relying_party(load=False).load(forged)


def test_malformed_heads_and_files_are_refused() -> None:
    federation, _ = _federation("operator-a.example")
    signed = federation.published[0]
    head = signed.head_fields()
    for key, value in (
        (4, head.issued_at),  # next update not after the issue
        (4, head.expires_at),  # next update and expiry not distinct
        (5, head.issued_at + 32 * 86_400),  # expires too late
        (2, 0),  # sequence numbers start at 1
        (0, 2),  # another version
        (8, 0),  # an unknown field
    ):
        fields = decode(head.to_bytes())
        fields[key] = value
        with pytest.raises(DecodeError):
            TrustListHead.from_bytes(encode(fields))
    fields = decode(signed.to_bytes())
    for change in ({0: 2}, {1: "trust-list-draft"}, {4: []}, {5: 1}):
        with pytest.raises(DecodeError):
            SignedTrustList.from_bytes(encode({**fields, **change}))
    # Two operators with one id, and operators out of order, are refused.
    operator = _operator_map(federation)
    with pytest.raises(DecodeError):
        decode_operators(encode([operator, operator]))


def test_the_authority_files_round_trip_and_keep_secrets_out(tmp_path: Path) -> None:
    authority = Authority.generate(LIST_ID)
    again = Authority.from_bytes(authority.to_bytes())
    assert again.pin() == authority.pin() and again.to_bytes() == authority.to_bytes()
    assert AuthorityKey.from_bytes(authority.pin().to_bytes()) == authority.pin()
    assert authority.current.secret.reveal().hex() not in repr(authority)
    with pytest.raises(TypeError):
        pickle.dumps(authority)
    rolled = authority.roll_over()
    assert rolled.current.public_key == authority.next.public_key
    with pytest.raises(DecodeError):
        AuthorityKey.from_bytes(authority.to_bytes())


def test_the_authority_numbers_lists_at_most_one_a_minute() -> None:
    federation, _ = _federation("operator-a.example")
    with pytest.raises(ValueError, match="apart"):
        federation.publish()
    later(federation.clock, seconds=MIN_LIST_INTERVAL)
    assert SignedTrustList.from_bytes(federation.publish()).head_fields().sequence == 2


def test_signed_keys_carry_their_listed_algorithm() -> None:
    key = COSESigningKey.generate(Curve.P256).public_key
    listed = ListedKey.signed(key, 0, 10)
    assert isinstance(listed.material, SignedKey)
    assert listed.material.algorithm is Algorithm.ESP256 and listed.entry_type == ENTRY_SIGNED
    assert ListedKey.from_map(listed.to_map()) == listed
