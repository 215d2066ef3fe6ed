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

from tests import presentation_v2_harness as v2h
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
from tests.presentation_v2_harness import CommittedLink
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
from zkcheck.hazmat import range_proof_v2
from zkcheck.hazmat.backend import GROUP_ORDER as R
from zkcheck.hazmat.bbs import Ciphersuite
from zkcheck.hazmat.credential import Index
from zkcheck.hazmat.predicates import LinkedPredicateCommitment, RangeLinkPredicate, predicate
from zkcheck.hazmat.presentation import VERSION_1, Recomputed, bbs_proof_length
from zkcheck.roles import CredentialHolder, Policy, Verifier, _credential, credential_holder
from zkcheck.roles._credential import VERSION
from zkcheck.roles.credential_issuer import layout_facts
from zkcheck.roles.verifier import tiers_serving
from zkcheck.trust.federation import private_trust

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
    # Smallest: only the number is disclosed (U = 9 hidden messages), one range link or
    # membership proof per check, one freshness link for both swap checks, and one
    # aggregated range proof for the five ranges (age, freshness, two swaps, tenure).
    links, membership = 5 * range_proof_v2.LINK_OCTETS, 48 + 64 * 30
    expected = links + membership + range_proof_v2.range_proof_length(5)
    assert _proof_lengths(presented) == (bbs_proof_length(3), expected) == (560, 3392)
    assert len(COUNTRY_SETS["EEA"]) == 30
    # The body carries no statement, no disclosed value but the expiry, no time; and the
    # presentation version, 2.
    assert sorted(_body(presented)) == [1, 2, 3, 4, 5, 7] and _body(presented)[7] == 2


def test_an_age_over_18_presentation_fits_in_1_5_kib() -> None:
    world = make_credential_world()
    site = world.verifier((AGE,))
    presented = world.issued_holder(ALICE).present(site.create_request())
    # The BBS proof, the link V || gamma^ (80 octets) and the range proof of one range.
    assert _proof_lengths(presented) == (592, 80 + 736)
    # The whole message: the proofs and 105 octets of fields and framing.
    assert len(presented.to_bytes()) == 1513 <= 1536
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
    """The asked statement in the transcript, with the link and range proof of another
    cutoff."""

    asked: RangeLinkPredicate
    proving: RangeLinkPredicate

    @property
    def attribute(self) -> int:
        return self.asked.attribute

    @property
    def range_statement(self) -> statements.RangeStatement:
        return self.asked.range_statement

    @property
    def wire_length(self) -> int:
        return self.asked.wire_length

    def statement_octets(self) -> bytes:
        return self.asked.statement_octets()

    def commit(
        self, value: int, *, rng: object, ciphersuite: Ciphersuite
    ) -> LinkedPredicateCommitment:
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
        # The site's statement in the transcript, the link and the range proof of the one
        # he satisfies.
        with monkeypatch.context() as patch:
            asked = predicate(statements.age_over(18, request.time, Index.BIRTH_DAY), VERSION)
            (proving,) = credential_holder.predicates(
                credential_holder.predicate_statements(change(request))
            )
            assert isinstance(asked, RangeLinkPredicate)
            assert isinstance(proving, RangeLinkPredicate)
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


def test_a_minors_wrapped_or_unlinked_difference_is_refused_through_the_verifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The 17-year-old's phone, made to prove anyway: a commitment to d = -1 (r - 1
    modulo r) with a range proof of its 16 low bits, or a commitment to an adult's
    difference, in range, that is not his signed birth day's. ``Verifier.verify`` refuses
    both; the commitment and the range proof are the only things that cheat."""
    world = make_credential_world(subscribers=(*SUBSCRIBERS, SEVENTEEN))
    minor = world.issued_holder(SEVENTEEN.msisdn or "")
    site = world.verifier((AGE,))
    request = site.create_request()
    statement = range_proof_v2.widened(statements.age_over(18, request.time, Index.BIRTH_DAY))
    birth_day = layout_facts(SEVENTEEN, START).birth_day
    wrapped = statement.difference(birth_day)
    assert wrapped == -5
    for link, range_prover in (
        (CommittedLink(statement, wrapped % R), v2h.digit_prove_ranges),
        (CommittedLink(statement, 5 * 365), range_proof_v2.prove_ranges),
    ):
        with monkeypatch.context() as patch:
            patch.setattr(credential_holder, "predicate_statements", lambda _: ())
            patch.setattr(credential_holder, "predicates", lambda _, link=link: (link,))
            with v2h.range_prover(range_prover):
                shown = minor.present(request).to_bytes()
        with pytest.raises(InvalidProof):
            site.verify(shown)
    # The package's own range prover refuses the wrapped difference outright.
    with monkeypatch.context() as patch:
        patch.setattr(credential_holder, "predicate_statements", lambda _: ())
        cheat = (CommittedLink(statement, wrapped % R),)
        patch.setattr(credential_holder, "predicates", lambda _: cheat)
        with pytest.raises(ValueError):
            minor.present(request)


def test_presentations_of_version_1_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A phone still on version 1 (bit-decomposition range proofs, a body without key 7) is
    refused when its body is decoded; its proofs under a body saying version 2 fail as
    proofs, since the version is the first item their challenge hashes."""
    world = make_credential_world()
    alice = world.issued_holder(ALICE)
    for checks in ((NUMBER,), (AGE,)):
        verifier = world.verifier(checks)
        request = verifier.create_request()
        with monkeypatch.context() as patch:
            patch.setattr(credential_holder, "VERSION", VERSION_1)
            patch.setattr(_credential, "VERSION", VERSION_1)
            old = alice.present(request)
        outer, body = decode(old.to_bytes()), _body(old)
        # Version 1's proofs: 16 bit proofs of 190 octets for the age.
        assert len(body[5]) == (3040 if checks == (AGE,) else 0)
        as_version_1 = {key: value for key, value in body.items() if key != 7}
        # Without predicates the two versions' proofs have one length, and only the
        # challenge tells them apart; with a range predicate the lengths differ.
        relabelled = InvalidProof if checks == (NUMBER,) else DecodeError
        for changed, error in ((as_version_1, DecodeError), (body, relabelled)):
            outer[4] = encode(changed)
            with pytest.raises(error):
                verifier.verify(encode(outer), number=ALICE)
        assert verifier.verify(alice.present(request), number=ALICE).checks == checks


def _every_element_flip_is_rejected(verifier: Verifier, presented: bytes) -> None:
    outer = decode(presented)
    body = decode(outer[4])
    # The BBS proof: Abar, Bbar, D, e^, r1^, r3^, ten m^ and c. The predicate proof: the
    # link's V and gamma^, then the range proof's A, S, T1, T2, four L_i and four R_i,
    # tau_x, mu, t^, a and b.
    elements = {4: [48] * 3 + [32] * (4 + 10), 5: [48, 32] + [48] * 12 + [32] * 5}
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
    assert flips == 17 + 19


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
        # Four range links (age, freshness, swap, tenure), the membership proof, and the
        # range proof of four slots.
        assert _proof_lengths(presented) == (592, 4 * 80 + 48 + 64 * 30 + 928)
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
    trust = private_trust([dataclasses.replace(entry, menu=eea_only)], clock=world.clock)
    holder = CredentialHolder(trust, clock=world.clock)
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
        Verifier(policy(checks, tiers, max_age), world.trust, clock=world.clock)

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
