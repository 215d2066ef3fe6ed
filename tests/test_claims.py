"""The check vocabulary and its evaluation rules, each at its boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from zkcheck.claims import (
    COUNTRY_SETS,
    Check,
    CheckKind,
    FactKind,
    Menu,
    SubscriberFacts,
    SwapRecord,
    add_months,
    anniversary,
    holds,
    is_e164,
    monitored_since,
    number_digest,
    sort_checks,
)
from zkcheck.errors import DecodeError

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


# -- identifiers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    [
        "age_over:0",
        "age_over:18",
        "age_over:120",
        "sim_swap:1",
        "sim_swap:2400",
        "device_swap:72",
        "number",
        "country:ES",
        "reachable",
        "tenure:1",
        "tenure:1200",
        "home_country_in:EU",
        "home_country_in:EEA",
    ],
)
def test_identifiers_round_trip(identifier: str) -> None:
    assert Check.parse(identifier).identifier == identifier


@pytest.mark.parametrize(
    "identifier",
    [
        "age_over:121",  # CAMARA ageThreshold is 0..120
        "age_over:-1",
        "age_over:018",  # one spelling only: no leading zeros
        "age_over: 18",
        "age_over:18.0",
        "age_over",
        "sim_swap:0",  # CAMARA maxAge is 1..2400 hours
        "sim_swap:2401",
        "device_swap:0",
        "tenure:0",
        "tenure:1201",
        "number:1",
        "reachable:yes",
        "country:es",  # upper case only
        "country:ESP",
        "country",
        "Age_over:18",
        "unknown",
        "",
        "age_over:" + "1" * 40,
        "home_country_in:eea",  # the sets' own spelling only
        "home_country_in:EFTA",  # not a set of the vocabulary
        "home_country_in:",
        "home_country_in",
        "home_country_in:ES",
    ],
)
def test_malformed_identifiers_are_refused(identifier: str) -> None:
    with pytest.raises(DecodeError):
        Check.parse(identifier)


def test_factories_and_ranges() -> None:
    assert Check.age_over(18) == Check.parse("age_over:18")
    assert Check.tenure(12).fact_kind is FactKind.STATIC
    assert Check.sim_swap(72).fact_kind is FactKind.AS_OF_ISSUE
    assert Check.reachable().fact_kind is FactKind.LIVE
    with pytest.raises(ValueError):
        Check.age_over(121)
    with pytest.raises(ValueError):
        Check(CheckKind.NUMBER, 1)
    with pytest.raises(ValueError):
        Check.age_over(True)  # a bool is not a threshold


def test_wire_order_is_bytewise() -> None:
    checks = [Check.tenure(3), Check.age_over(21), Check.age_over(18), Check.age_over(18)]
    assert [c.identifier for c in sort_checks(checks)] == ["age_over:18", "age_over:21", "tenure:3"]


def test_menu() -> None:
    menu = Menu.default()
    assert menu.allows(Check.age_over(18))
    assert not menu.allows(Check.age_over(19))
    assert not menu.allows(Check.country("FR"))
    assert Menu.from_identifiers(menu.identifiers()) == menu


# -- age: UTC days, 29 February ------------------------------------------------


def _age(born: date, years: int, now: datetime) -> bool:
    return holds(Check.age_over(years), SubscriberFacts(birth_date=born), now=now)


def test_age_turns_at_the_start_of_the_birthday_in_utc() -> None:
    born = date(2008, 3, 10)
    assert _age(born, 18, datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    assert not _age(born, 18, datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC))


def test_age_uses_the_utc_day_not_the_local_one() -> None:
    born = date(2008, 3, 10)
    # 00:30 on 10 March in Madrid (UTC+1) is still 9 March in UTC.
    madrid = timezone(timedelta(hours=1))
    assert not _age(born, 18, datetime(2026, 3, 10, 0, 30, tzinfo=madrid))
    # 23:30 on 9 March in New York (UTC-5) is already 10 March in UTC.
    new_york = timezone(timedelta(hours=-5))
    assert _age(born, 18, datetime(2026, 3, 9, 23, 30, tzinfo=new_york))


def test_leap_day_birthday_is_1_march_in_common_years() -> None:
    born = date(2008, 2, 29)
    assert anniversary(born, 18) == date(2026, 3, 1)
    assert not _age(born, 18, datetime(2026, 2, 28, 23, 59, tzinfo=UTC))
    assert _age(born, 18, datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    # In a leap year the birthday exists.
    assert anniversary(born, 20) == date(2028, 2, 29)
    assert _age(born, 20, datetime(2028, 2, 29, 0, 0, tzinfo=UTC))
    assert not _age(born, 20, datetime(2028, 2, 28, 23, 59, tzinfo=UTC))


def test_unknown_birth_date_never_holds() -> None:
    assert not holds(Check.age_over(0), SubscriberFacts(), now=NOON)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        holds(Check.age_over(18), SubscriberFacts(), now=datetime(2026, 1, 1))


# -- tenure: calendar months, day clamped --------------------------------------


def _tenure(start: date, months: int, now: datetime) -> bool:
    return holds(Check.tenure(months), SubscriberFacts(contract_start=start), now=now)


def test_tenure_clamps_the_day_of_month() -> None:
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 8, 31), 1) == date(2023, 9, 30)
    assert add_months(date(2023, 11, 15), 3) == date(2024, 2, 15)
    start = date(2025, 1, 31)
    assert _tenure(start, 1, datetime(2025, 2, 28, 0, 0, tzinfo=UTC))
    assert not _tenure(start, 1, datetime(2025, 2, 27, 23, 59, tzinfo=UTC))


def test_tenure_boundary_and_unknown() -> None:
    start = date(2024, 3, 10)
    assert _tenure(start, 24, datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    assert not _tenure(start, 24, datetime(2026, 3, 9, 23, 59, tzinfo=UTC))
    assert not holds(Check.tenure(1), SubscriberFacts(), now=NOON)


# -- swaps: the closed window [as_of - H, now] ---------------------------------


def _sim(record: SwapRecord | None, hours: int, as_of: datetime | None = None) -> bool:
    return holds(Check.sim_swap(hours), SubscriberFacts(sim=record), now=NOON, as_of=as_of)


def test_a_swap_exactly_h_hours_ago_fails() -> None:
    assert not _sim(SwapRecord(NOON - timedelta(hours=72)), 72)
    assert _sim(SwapRecord(NOON - timedelta(hours=72, seconds=1)), 72)
    assert not _sim(SwapRecord(NOON - timedelta(hours=71, minutes=59)), 72)
    assert not _sim(SwapRecord(NOON), 72)


def test_the_window_starts_at_the_stated_issue_time() -> None:
    # The attestation will say "as of 11:45": no swap in [08:45 three days
    # earlier, 12:00] must hold, so a swap at 72 h before noon is inside it.
    as_of = NOON - timedelta(minutes=15)
    swap = NOON - timedelta(hours=72)
    assert not _sim(SwapRecord(swap), 72, as_of)
    assert _sim(SwapRecord(as_of - timedelta(hours=72, seconds=1)), 72, as_of)
    assert not _sim(SwapRecord(as_of - timedelta(hours=72)), 72, as_of)
    with pytest.raises(ValueError):
        _sim(SwapRecord(swap), 72, NOON + timedelta(seconds=1))


def test_a_swap_recorded_in_the_future_is_unknown() -> None:
    assert not _sim(SwapRecord(NOON + timedelta(seconds=1)), 24)


def test_monitored_period_must_cover_the_window() -> None:
    # CAMARA: latestSimChange null with monitoredPeriod P days = no swap in P days.
    assert _sim(SwapRecord(None, 3), 72)  # 3 days cover exactly 72 hours
    assert not _sim(SwapRecord(None, 3), 73)
    assert not _sim(SwapRecord(None, 2), 72)
    assert not _sim(SwapRecord(None, 0), 1)
    # The window reaches back from the stated issue time: 3 days no longer cover it.
    assert not _sim(SwapRecord(None, 3), 72, NOON - timedelta(seconds=1))


def test_unknown_swap_facts_never_hold() -> None:
    assert not _sim(None, 24)
    assert not _sim(SwapRecord(None, None), 24)


def test_device_swap_reads_the_device_record() -> None:
    facts = SubscriberFacts(sim=SwapRecord(NOON - timedelta(days=30)), device=None)
    assert holds(Check.sim_swap(24), facts, now=NOON)
    assert not holds(Check.device_swap(24), facts, now=NOON)
    facts = SubscriberFacts(device=SwapRecord(NOON - timedelta(hours=24)))
    assert not holds(Check.device_swap(24), facts, now=NOON)
    assert holds(Check.device_swap(23), facts, now=NOON)


# -- number, country, reachable -------------------------------------------------


def test_e164_pattern() -> None:
    assert is_e164("+34600000001")
    assert is_e164("+12345")  # 5 digits: the shortest CAMARA allows
    assert is_e164("+123456789012345")  # 15 digits: the longest
    for bad in ["+1234", "+1234567890123456", "34600000001", "+0600000001", "+34 600", ""]:
        assert not is_e164(bad), bad


def test_number_digest_is_salted_and_binds_the_number() -> None:
    salt, other = bytes(16), bytes([1]) * 16
    digest = number_digest(salt, "+34600000001")
    assert len(digest) == 32
    assert digest != number_digest(other, "+34600000001")
    assert digest != number_digest(salt, "+34600000002")
    assert digest == number_digest(salt, "+34600000001")
    with pytest.raises(ValueError):
        number_digest(bytes(15), "+34600000001")
    with pytest.raises(ValueError):
        number_digest(salt, "600000001")


def test_number_holds_only_for_a_known_e164_number() -> None:
    assert holds(Check.number(), SubscriberFacts(msisdn="+34600000001"), now=NOON)
    assert not holds(Check.number(), SubscriberFacts(), now=NOON)
    assert not holds(Check.number(), SubscriberFacts(msisdn="600000001"), now=NOON)


def test_live_checks() -> None:
    facts = SubscriberFacts(serving_country="ES", reachable=True)
    assert holds(Check.country("ES"), facts, now=NOON)
    assert not holds(Check.country("PT"), facts, now=NOON)
    assert holds(Check.reachable(), facts, now=NOON)
    assert not holds(Check.reachable(), SubscriberFacts(reachable=False), now=NOON)
    assert not holds(Check.reachable(), SubscriberFacts(), now=NOON)
    assert not holds(Check.country("ES"), SubscriberFacts(), now=NOON)


def test_home_country_in_a_set() -> None:
    eu, eea = Check.home_country_in("EU"), Check.home_country_in("EEA")
    assert eu.fact_kind is FactKind.STATIC and eu == Check.parse("home_country_in:EU")
    assert len(COUNTRY_SETS["EU"]) == 27 and len(COUNTRY_SETS["EEA"]) == 30
    assert COUNTRY_SETS["EEA"] - COUNTRY_SETS["EU"] == {"IS", "LI", "NO"}
    # The home country on record, never the serving country.
    roaming = SubscriberFacts(home_country="NO", serving_country="ES")
    assert holds(eea, roaming, now=NOON) and not holds(eu, roaming, now=NOON)
    assert holds(eu, SubscriberFacts(home_country="GR"), now=NOON)
    for outside in (SubscriberFacts(home_country="CH"), SubscriberFacts(serving_country="ES")):
        assert not holds(eea, outside, now=NOON)
    assert Menu.default().allows(eea) and Menu.default().allows(eu)
    with pytest.raises(ValueError):
        Check.home_country_in("es")


@pytest.mark.parametrize("days", [10**6, 10**12])
def test_facts_at_the_edge_of_the_calendar_evaluate_without_error(days: int) -> None:
    # Values a subscriber database may hold, damaged or not: a monitored period reaching
    # before the year 1, births and contracts whose anniversaries fall after the year 9999.
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    monitored = SubscriberFacts(sim=SwapRecord(None, days), device=SwapRecord(None, days))
    assert holds(Check.sim_swap(72), monitored, now=now)
    assert holds(Check.device_swap(240), monitored, now=now)
    assert monitored_since(SwapRecord(None, days), now) is None  # before the year 1
    late = SubscriberFacts(birth_date=date(9999, 1, 1), contract_start=date(9999, 12, 1))
    assert not holds(Check.age_over(18), late, now=now)
    assert not holds(Check.tenure(24), late, now=now)
    assert anniversary(date(9999, 2, 28), 1) == date.max
    # Not even on the calendar's last day.
    last = datetime(9999, 12, 31, 12, tzinfo=UTC)
    assert not holds(Check.age_over(18), SubscriberFacts(birth_date=date(9999, 6, 1)), now=last)
    assert not holds(Check.tenure(1), SubscriberFacts(contract_start=date(9999, 12, 30)), now=last)
    assert holds(Check.age_over(18), SubscriberFacts(birth_date=date(9981, 12, 31)), now=last)
    # The predicates' cutoffs on that day: the latest start or birth that qualifies.
    from zkcheck.hazmat.predicate_statements import age_cutoff, tenure_cutoff

    assert tenure_cutoff(last.date().toordinal(), 1) == date(9999, 11, 30).toordinal()
    assert age_cutoff(last.date().toordinal(), 18) == date(9981, 12, 31).toordinal()
    assert add_months(date(9999, 12, 1), 1) == date.max
    from zkcheck.roles.credential_issuer import layout_facts

    layout_facts(SubscriberFacts(birth_date=date(2000, 1, 1), sim=SwapRecord(None, days)), now)


def test_equal_checks_from_the_factories_and_the_parser_are_one_object() -> None:
    # Checks are compared on every verification; one object per check lets them
    # compare by identity. Parameters of another type that compare equal are refused.
    assert Check.sim_swap(72) is Check.parse("sim_swap:72") is Check.sim_swap(72)
    assert Check.number() is Check.parse("number")
    assert Check.country("ES") is Check.parse("country:ES")
    for bad in (lambda: Check.sim_swap(72.0), lambda: Check.age_over(True)):  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            bad()
    assert Check(CheckKind.SIM_SWAP, 72) == Check.sim_swap(72)  # a direct construction is equal
