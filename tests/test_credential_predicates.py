"""Predicate proofs through the roles (spec/08-credential-tier.md, spec/09-predicate-proofs.md).

The holder answers a request that mixes disclosures and predicates with the
smallest presentation that answers all of it, after its policy (the tier, the
operator's menu, the clock tolerance, the freshness menu); the verifier derives
every statement from its own stored request and returns the shared verified
result. Honest boundaries (the birthday itself, a swap exactly H hours ago) and a
17-year-old who cheats on purpose run through ``CredentialHolder.present`` and
``Verifier.verify``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
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
from zkcheck.claims import (
    COUNTRY_SETS,
    Check,
    FactKind,
    Menu,
    SubscriberFacts,
    SwapRecord,
    anniversary,
)
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.errors import DecodeError, InvalidProof, NotRequested, PolicyError, ZkcheckError
from zkcheck.hazmat import predicate_statements as statements
from zkcheck.hazmat.bbs import Ciphersuite
from zkcheck.hazmat.credential import Index
from zkcheck.hazmat.predicates import Predicate, PredicateCommitment, predicate
from zkcheck.hazmat.presentation import Recomputed, bbs_proof_length
from zkcheck.roles import CredentialHolder, Policy, Verifier, credential_holder
from zkcheck.roles.verifier import tiers_serving
from zkcheck.trust.keyset import OperatorKeySet

AGE = Check.age_over(18)
SWAP = Check.sim_swap(72)
DEVICE = Check.device_swap(24)
TENURE = Check.tenure(12)
EEA = Check.home_country_in("EEA")
NUMBER = Check.number()
HOUR = 3600
NOW = int(START.timestamp())


def _body(presentation: Presentation | bytes) -> dict[int, object]:
    if isinstance(presentation, bytes):
        presentation = Presentation.from_bytes(presentation)
    body: dict[int, object] = decode(presentation.body)
    return body


def _proof_lengths(presentation: Presentation) -> tuple[int, int]:
    body = _body(presentation)
    bbs_proof, predicate_proof = body[4], body[5]
    assert isinstance(bbs_proof, bytes) and isinstance(predicate_proof, bytes)
    return len(bbs_proof), len(predicate_proof)


def _max_age(checks: Sequence[Check]) -> int:
    """An hour with a swap check (a freshness bound on the menu), else three weeks."""
    swaps = any(check.fact_kind is FactKind.AS_OF_ISSUE for check in checks)
    return HOUR if swaps else MAX_AGE


def _request(world: CredentialWorld, checks: Sequence[Check], **changes: object) -> Request:
    """A request as a verifier would make it, with some fields changed (no verifier stores it)."""
    request = Request(
        nonce=bytes(32),
        verifier_id="rp.example",
        checks=tuple(checks),
        tiers=("credential",),
        operators=(OPERATOR,),
        max_age=MAX_AGE,
        expires_at=NOW + 300,
        time=int(world.clock.now().timestamp()),
    )
    return dataclasses.replace(request, **changes)


# -- the smallest presentation, and the verified result ------------------------------------


def test_a_request_mixing_disclosures_and_predicates_gets_the_smallest_presentation() -> None:
    world = make_credential_world()
    alice = world.issued_holder(ALICE)
    bank = world.verifier((NUMBER, AGE, SWAP, DEVICE, TENURE, EEA), max_age=HOUR)
    request = bank.create_request()
    presented = alice.present(request)
    result = bank.verify(presented, number=ALICE)
    # The shared result, listing each check shown: the disclosure and every predicate.
    assert result.tier == "credential" and result.operator == OPERATOR
    assert result.checks == tuple(sorted((NUMBER, AGE, SWAP, DEVICE, TENURE, EEA), key=str))
    # The freshness predicate proves an issue time of at least hour_ceil(t) - 1 hours:
    # the result's bucket is that hour, not the issue week.
    assert result.issued_bucket == datetime(2026, 3, 10, 12, tzinfo=UTC)
    # Smallest: only the number is disclosed (U = 9 hidden messages), one range or
    # membership proof per check, and one freshness proof for both swap checks.
    fresh, sim, device = 8, 12, 12
    ranges = [statements.AGE_BITS, fresh, sim, device, statements.TENURE_BITS]
    expected = sum(96 * n + 32 * (3 * n - 1) for n in ranges) + 48 + 64 * 30
    assert _proof_lengths(presented) == (bbs_proof_length(3), expected) == (560, 14096)
    assert len(COUNTRY_SETS["EEA"]) == 30
    # The body carries no statement, no disclosed value but the expiry, no time.
    assert sorted(_body(presented)) == [1, 2, 3, 4, 5]


def test_an_age_over_18_presentation_is_below_4_kib() -> None:
    world = make_credential_world()
    site = world.verifier((AGE,))
    presented = world.issued_holder(ALICE).present(site.create_request())
    assert _proof_lengths(presented) == (592, 3040)
    assert len(presented.to_bytes()) <= 4096
    assert site.verify(presented).checks == (AGE,)


# -- the verifier derives every statement from its own request --------------------------------


SEVENTEEN = with_facts(
    SUBSCRIBERS[0], msisdn="+34600000107", birth_date=anniversary(START.date(), -18) + timedelta(5)
)
"""Turns 18 five days after the start of the world."""


def _derive_instead(monkeypatch: pytest.MonkeyPatch, change: Callable[[Request], Request]) -> None:
    """A holder that proves the statements of a changed request, bound to the real one."""
    real = credential_holder.predicate_statements
    monkeypatch.setattr(
        credential_holder, "predicate_statements", lambda request: real(change(request))
    )


@dataclasses.dataclass(frozen=True)
class _HashedAsAsked:
    """The asked statement in the transcript, with the bits of another cutoff."""

    asked: Predicate
    proving: Predicate

    @property
    def attribute(self) -> int:
        return self.asked.attribute

    @property
    def wire_length(self) -> int:
        return self.asked.wire_length

    def statement_octets(self) -> bytes:
        return self.asked.statement_octets()

    def commit(self, value: int, *, rng: object, ciphersuite: Ciphersuite) -> PredicateCommitment:
        return self.proving.commit(value, rng=None, ciphersuite=ciphersuite)

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        return self.asked.recompute(wire, response, challenge, ciphersuite=ciphersuite)


def test_seventeen_year_old_cannot_change_date_threshold_or_bytes_through_the_verifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_credential_world(subscribers=(*SUBSCRIBERS, SEVENTEEN))
    minor = world.issued_holder(SEVENTEEN.msisdn or "")
    site = world.verifier((AGE,))
    request = site.create_request()
    # The honest holder shows nothing.
    with pytest.raises(PolicyError):
        minor.present(request)
    five_days_later = lambda r: dataclasses.replace(r, time=r.time + 5 * 86400)  # noqa: E731
    threshold_17 = lambda r: dataclasses.replace(r, checks=(Check.age_over(17),))  # noqa: E731
    cheats = {"date": five_days_later, "threshold": threshold_17}
    for name, change in cheats.items():
        # A statement he satisfies, hashed as such, bound to the site's request.
        with monkeypatch.context() as patch:
            _derive_instead(patch, change)
            moved = minor.present(request).to_bytes()
        with pytest.raises(InvalidProof):
            site.verify(moved)
        # The site's statement in the transcript, the bits of the one he satisfies.
        with monkeypatch.context() as patch:
            asked = predicate(statements.age_over(18, request.time, Index.BIRTH_DAY))
            (proving,) = credential_holder.predicates(
                credential_holder.predicate_statements(change(request))
            )
            cheat = (_HashedAsAsked(asked, proving),)
            patch.setattr(credential_holder, "predicates", lambda _, cheat=cheat: cheat)
            patch.setattr(credential_holder, "predicate_statements", lambda _: ())
            hashed_as_asked = minor.present(request).to_bytes()
        with pytest.raises(InvalidProof):
            site.verify(hashed_as_asked)
        if name == "date":
            # No single changed byte, in any element of either proof, helps.
            _every_element_flip_is_rejected(site, hashed_as_asked)
    # Nor does a changed byte of an adult's valid presentation for the same request; the
    # nonce was never consumed, and the adult's unchanged presentation verifies.
    adult = world.issued_holder(ALICE).present(request).to_bytes()
    _every_element_flip_is_rejected(site, adult)
    assert site.verify(adult).checks == (AGE,)


def _every_element_flip_is_rejected(verifier: Verifier, presented: bytes) -> None:
    outer = decode(presented)
    body = decode(outer[4])
    elements = {4: [48] * 3 + [32] * (4 + 10), 5: [48] * 32 + [32] * 47}
    flips = 0
    for key, lengths in elements.items():
        start = 0
        for length in lengths:
            changed = bytearray(body[key])
            changed[start + length // 2] ^= 0x10
            start += length
            tampered_body = dict(body)
            tampered_body[key] = bytes(changed)
            tampered = dict(outer)
            tampered[4] = encode(tampered_body)
            with pytest.raises((DecodeError, InvalidProof)):
                verifier.verify(encode(tampered))
            flips += 1
        assert start == len(body[key])
    assert flips == 17 + 79


@functools.cache
def _bank_presentation() -> tuple[Verifier, bytes]:
    world = make_credential_world()
    bank = world.verifier((NUMBER, AGE, SWAP, EEA), max_age=HOUR)
    return bank, world.issued_holder(ALICE).present(bank.create_request()).to_bytes()


@settings(max_examples=25)
@given(st.data())
def test_any_changed_byte_of_a_presentation_with_predicates_is_refused(
    data: st.DataObject,
) -> None:
    bank, original = _bank_presentation()
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != original[position]))
    changed = original[:position] + bytes([value]) + original[position + 1 :]
    with pytest.raises(ZkcheckError):
        bank.verify(changed, number=ALICE)


@pytest.mark.parametrize(
    ("checks", "change"),
    [
        ((AGE,), lambda r: dataclasses.replace(r, checks=(Check.age_over(16),))),
        ((AGE,), lambda r: dataclasses.replace(r, time=r.time - 86400)),
        ((AGE,), lambda r: dataclasses.replace(r, checks=(TENURE,))),
        ((EEA,), lambda r: dataclasses.replace(r, checks=(Check.home_country_in("EU"),))),
        ((SWAP,), lambda r: dataclasses.replace(r, max_age=24 * HOUR)),
        ((SWAP,), lambda r: dataclasses.replace(r, checks=(Check.sim_swap(24),))),
    ],
    ids=["threshold", "time", "attribute", "set", "freshness", "window"],
)
def test_the_verifier_derives_every_statement_from_its_own_request(
    monkeypatch: pytest.MonkeyPatch,
    checks: tuple[Check, ...],
    change: Callable[[Request], Request],
) -> None:
    """Alice proves true statements, of another request than the one the verifier
    stored and the presentation is bound to: the verifier's own statements reject it."""
    world = make_credential_world()
    alice = world.issued_holder(ALICE)
    verifier = world.verifier(checks, max_age=_max_age(checks))
    request = verifier.create_request()
    with monkeypatch.context() as patch:
        _derive_instead(patch, change)
        presented = alice.present(request)
    # Another set is another length (DecodeError); every other change another challenge.
    with pytest.raises((InvalidProof, DecodeError)):
        verifier.verify(presented)
    assert verifier.verify(alice.present(request)).checks == checks


# -- honest boundaries through the roles ------------------------------------------------------


def test_the_birthday_itself_is_accepted_and_the_second_before_is_not() -> None:
    birthday = date(2026, 3, 10)
    eve = datetime(2026, 3, 9, 23, 59, 0, tzinfo=UTC)
    turning = SubscriberFacts(msisdn="+34600000108", birth_date=anniversary(birthday, -18))
    world = make_credential_world(subscribers=(turning,), start=eve)
    holder = world.issued_holder("+34600000108")
    site = world.verifier((AGE,))
    world.clock.set(eve + timedelta(seconds=59))  # 23:59:59, the day before
    with pytest.raises(PolicyError):
        holder.present(site.create_request())
    world.clock.set(datetime(2026, 3, 10, tzinfo=UTC))  # 00:00:00 on the birthday
    assert site.verify(holder.present(site.create_request())).checks == (AGE,)


def test_a_swap_exactly_h_hours_ago_fails_through_the_roles() -> None:
    """The window is closed, and the credential tier rounds against the holder: the swap
    time up to the hour, the verifier's time down. At 12:34:56 a swap 72 hours earlier
    fails, as does one at 12:00:01 three days earlier; one at 12:00:00 passes."""
    exactly = START - timedelta(hours=72)
    top_of_the_hour = datetime(2026, 3, 7, 12, tzinfo=UTC)
    cases = {
        "+34600000111": (exactly, False),
        "+34600000112": (top_of_the_hour + timedelta(seconds=1), False),
        "+34600000113": (top_of_the_hour, True),
    }
    subscribers = tuple(
        SubscriberFacts(msisdn=number, sim=SwapRecord(swapped))
        for number, (swapped, _) in cases.items()
    )
    world = make_credential_world(subscribers=subscribers)
    bank = world.verifier((SWAP,), max_age=HOUR)
    for number, (_, shown) in cases.items():
        holder = world.issued_holder(number)
        request = bank.create_request()
        if shown:
            assert bank.verify(holder.present(request)).checks == (SWAP,)
        else:
            with pytest.raises(PolicyError):
                holder.present(request)


def test_presentations_through_the_roles_have_one_length_for_every_age_and_swap_time() -> None:
    ages = (18, 19, 35, 90, 149)
    swaps = (73, 100, 1000, 3000, 30000)
    subscribers = tuple(
        SubscriberFacts(
            msisdn=f"+3460000020{i}",
            birth_date=anniversary(START.date(), -years) - timedelta(days=3 * i),
            sim=SwapRecord(START - timedelta(hours=hours)),
            contract_start=date(2010 + i, 1 + i, 28),
            home_country=("ES", "NO", "DE", "PT", "GR")[i],
        )
        for i, (years, hours) in enumerate(zip(ages, swaps, strict=True))
    )
    world = make_credential_world(subscribers=subscribers)
    bank = world.verifier((AGE, SWAP, TENURE, EEA), max_age=HOUR)
    lengths = set()
    for facts in subscribers:
        presented = world.issued_holder(facts.msisdn or "").present(bank.create_request())
        lengths.add(len(presented.to_bytes()))
        assert _proof_lengths(presented) == (592, 3040 + 1504 + 2272 + 3040 + 48 + 64 * 30)
    assert len(lengths) == 1


# -- the holder's policy --------------------------------------------------------------------


def test_holder_refuses_a_time_outside_the_tolerance() -> None:
    world = make_credential_world()
    alice = world.issued_holder(ALICE)
    now = int(world.clock.now().timestamp())
    # Within five minutes either way of the holder's clock, the holder answers.
    for shift in (-300, 300):
        assert alice.present(_request(world, (AGE,), time=now + shift)).tier == "credential"
    # Further, it refuses: a verifier moving its date with a fixed threshold would find
    # the birthday by asking on different days (and the swap time by asking at other hours).
    for shift in (-301, 301, -86400, 86400, 3 * HOUR):
        for checks, max_age in (((AGE,), MAX_AGE), ((SWAP,), HOUR), ((NUMBER,), MAX_AGE)):
            with pytest.raises(PolicyError):
                alice.present(_request(world, checks, time=now + shift, max_age=max_age))


def test_holder_refuses_off_menu_thresholds_and_sets() -> None:
    world = make_credential_world()
    alice = world.issued_holder(ALICE)
    assert alice.present(_request(world, (AGE, EEA))).tier == "credential"
    off_menu = [
        (Check.age_over(19),),  # a valid threshold, not on the operator's menu
        (Check.tenure(13),),
        (Check.sim_swap(71),),
        (Check.device_swap(25),),
    ]
    for checks in off_menu:
        with pytest.raises(PolicyError):
            alice.present(_request(world, checks, max_age=HOUR))
    # A freshness bound off the menu (whole hours 1, 24 or 168 only).
    for max_age in (2 * HOUR, HOUR + 1, 48 * HOUR, 169 * HOUR):
        with pytest.raises(PolicyError):
            alice.present(_request(world, (SWAP,), max_age=max_age))
    for max_age in (HOUR, 24 * HOUR, 168 * HOUR):
        assert alice.present(_request(world, (SWAP,), max_age=max_age)).tier == "credential"
    # Two checks on one attribute are more than one bit about it: not answered.
    with pytest.raises(NotRequested):
        alice.present(_request(world, (AGE, Check.age_over(21))))
    # An operator whose menu lists the EEA but not the EU: the EU set is refused.
    (entry,) = world.keyset.operators
    eea_only = Menu(frozenset(c for c in entry.menu.checks if c != Check.home_country_in("EU")))
    keyset = OperatorKeySet((dataclasses.replace(entry, menu=eea_only),))
    holder = CredentialHolder(keyset, clock=world.clock)
    # A second phone for Alice: the operator starts her pseudonym secret afresh.
    world.issuer.reset_pseudonym(ALICE)
    ask = holder.request_credential(OPERATOR, new_pseudonym=True)
    holder.receive(OPERATOR, world.issuer.issue(world.attester.enrol(ALICE), ask))
    assert holder.present(_request(world, (EEA,))).tier == "credential"
    with pytest.raises(PolicyError):
        holder.present(_request(world, (Check.home_country_in("EU"),)))


# -- freshness: the hidden issue time, not a disclosed one ------------------------------------


def test_swap_freshness_comes_from_the_hidden_issue_time() -> None:
    world = make_credential_world()
    alice = world.issued_holder(ALICE)
    # Issued on Tuesday at 12:34:56; its week began 36 hours earlier. A bank accepting
    # attestations at most an hour old accepts it for a swap check: the presentation
    # proves an issue hour of at least hour_ceil(t) - 1, and discloses no time.
    bank = world.verifier((SWAP,), max_age=HOUR)
    request = bank.create_request()
    presented = alice.present(request)
    result = bank.verify(presented)
    assert result.checks == (SWAP,)
    assert result.issued_bucket == datetime(2026, 3, 10, 12, tzinfo=UTC)
    # The bank's policy is measured at the request's time, when the proof was made: a
    # request at 12:59:30 verified at 13:04:29 proves an issue time from 12:00 on,
    # 59:30 before the request (and 64:29 before the verification).
    world.clock.set(datetime(2026, 3, 10, 12, 59, 30, tzinfo=UTC))
    late = alice.present(bank.create_request())
    world.clock.advance(timedelta(seconds=299))
    assert bank.verify(late).checks == (SWAP,)
    # At 14:00 the credential is too old for a one-hour bound: the phone shows nothing
    # (it would need a new credential) ...
    world.clock.set(datetime(2026, 3, 10, 14, tzinfo=UTC))
    with pytest.raises(PolicyError):
        alice.present(bank.create_request())
    # ... but still answers a bank that accepts a day, and one that asks a static check
    # (whose age is measured from the issue week).
    daily = world.verifier((SWAP,), max_age=24 * HOUR)
    assert daily.verify(alice.present(daily.create_request())).checks == (SWAP,)
    site = world.verifier((AGE,))
    assert site.verify(alice.present(site.create_request())).checks == (AGE,)
    # A renewed credential (carrying the pseudonym secret over) answers the hourly bank again.
    ask = alice.request_credential(OPERATOR)
    alice.receive(OPERATOR, world.issuer.issue(world.attester.enrol(ALICE), ask))
    assert bank.verify(alice.present(bank.create_request())).checks == (SWAP,)


def test_a_policy_with_a_swap_check_in_the_credential_tier_needs_a_freshness_on_the_menu() -> None:
    world = make_credential_world()

    def policy(checks: tuple[Check, ...], tiers: tuple[str, ...], max_age: int) -> Policy:
        return Policy("bank.example", checks, (OPERATOR,), tiers=tiers, max_age=max_age)

    def configure(checks: tuple[Check, ...], tiers: tuple[str, ...], max_age: int) -> None:
        Verifier(policy(checks, tiers, max_age), world.keyset, clock=world.clock)

    for max_age in (HOUR, 24 * HOUR, 168 * HOUR):
        configure((SWAP,), ("credential",), max_age)
        configure((AGE, DEVICE), ("signed", "credential"), max_age)
    for max_age in (1800, 2 * HOUR, 21 * 86400):
        for checks in ((SWAP,), (AGE, DEVICE)):
            with pytest.raises(NotRequested, match="maximum age"):
                configure(checks, ("signed", "credential"), max_age)
            # The tiers that can serve such a policy leave the credential tier out.
            assert tiers_serving(policy(checks, ("signed", "credential"), max_age)) == ("signed",)
        # Static checks, and the signed tier, keep any maximum age.
        configure((AGE,), ("credential",), max_age)
        configure((SWAP,), ("signed",), max_age)


def test_bob_shows_nothing_for_checks_he_does_not_meet() -> None:
    """Bob is 15, has had his contract since December, lives in Portugal, and his
    operator keeps no SIM-swap date but a seven-day monitored period without one."""
    world = make_credential_world()
    bob = world.issued_holder(BOB)
    for checks, shown in (
        ((AGE,), False),
        ((Check.age_over(13),), True),
        ((TENURE,), False),
        ((Check.tenure(3),), True),
        ((EEA,), True),
        ((SWAP,), True),  # 72 hours lie inside the seven monitored days ...
        ((Check.sim_swap(168),), False),  # ... and 168 hours do not
    ):
        verifier = world.verifier(checks, max_age=_max_age(checks))
        request = verifier.create_request()
        if shown:
            assert verifier.verify(bob.present(request)).checks == checks
        else:
            with pytest.raises(PolicyError):
                bob.present(request)
    # Carol's operator knows nothing but her number: every predicate fails on the layout's
    # sentinels, and her phone shows nothing for any of them.
    carol = world.issued_holder(CAROL)
    for checks in ((Check.age_over(13),), (Check.tenure(3),), (EEA,), (SWAP,), (DEVICE,)):
        verifier = world.verifier(checks, max_age=_max_age(checks))
        with pytest.raises(PolicyError):
            carol.present(verifier.create_request())
