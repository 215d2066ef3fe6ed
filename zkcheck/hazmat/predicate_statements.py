"""The statements of the predicate proofs (spec/09-predicate-proofs.md, "Statements").

A statement fixes the attribute (by its index in the layout, which the
caller takes from the layout, never from a proof), the kind, the cutoff or
the set, and the bit length ``n``; the verifier derives it from its own
stored request and the holder from the request it received:

================= ============ ======== =============================== ====
Check             Attribute    Kind     Cutoff or set                   n
================= ============ ======== =============================== ====
age_over:N        birth_day    at most  age_cutoff(day_of_time(t), N)   16
tenure:M          contract     at most  tenure_cutoff(day_of_time(t),M) 16
sim_swap:H        sim change   at most  hour_ceil(t) - H - 1            12
device_swap:H     device chg.  at most  hour_ceil(t) - H - 1            12
issued_within:F   issue_hour   at least hour_ceil(t) - F                8
home_country_in:S home_country member   the set's values, ascending     --
================= ============ ======== =============================== ====

A range statement holds for a value ``m`` when ``d = sigma * (m - kappa)``,
over the integers, satisfies ``0 <= d < 2^n``, with ``sigma = -1`` for "at
most" and ``+1`` for "at least". Cutoffs follow chapter 2's evaluation rules
through the calendar helpers of :mod:`zkcheck.claims`: the age cutoff is the
latest day of birth whose N-th anniversary (29 February turning N on 1 March)
is on or before the verifier's day, the tenure cutoff the latest contract
start that reaches M calendar months (the day clamped to the month's end) on
or before it. Times are POSIX seconds; days are proleptic Gregorian
ordinals, hours are hours since the epoch.

:meth:`RangeStatement.statement_octets` and
:meth:`MembershipStatement.statement_octets` are item 7 of the
presentation's challenge input, exactly as chapter 9's transcript gives them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from zkcheck.claims import add_months, anniversary
from zkcheck.hazmat.predicate_parameters import MAX_SET_SIZE, i2osp, lp

__all__ = [
    "AGE_BITS",
    "AT_LEAST",
    "AT_MOST",
    "EPOCH_ORDINAL",
    "FRESHNESS_BITS",
    "MEMBER",
    "SWAP_BITS",
    "TENURE_BITS",
    "VALUE_BOUND",
    "MembershipStatement",
    "RangeStatement",
    "Statement",
    "age_cutoff",
    "age_over",
    "canonical_order",
    "day_of_time",
    "device_swap",
    "freshness_cutoff",
    "home_country_in",
    "hour_ceil",
    "issued_within",
    "sim_swap",
    "statements_octets",
    "swap_cutoff",
    "tenure",
    "tenure_cutoff",
]

AT_MOST = 1
"""Kind of a range statement "the value is at most the cutoff" (sigma = -1)."""

AT_LEAST = 2
"""Kind of a range statement "the value is at least the cutoff" (sigma = +1)."""

MEMBER = 3
"""Kind of a membership statement, as encoded in its statement octets."""

AGE_BITS = 16
TENURE_BITS = 16
SWAP_BITS = 12
FRESHNESS_BITS = 8

VALUE_BOUND = 1 << 24
"""Every integer attribute, cutoff and set value is below 2^24 (chapter 9, "No wrap-around")."""

EPOCH_ORDINAL = 719163
"""ordinal(1970, 1, 1): the day ordinal of POSIX time 0."""

_MAX_CHECK_ID = 32
_MAX_BITS = 32
_SET_NAME = re.compile(r"[A-Z0-9-]{1,16}")

# Parameter ranges of chapter 9's statement table (inclusive).
_AGE_YEARS = (0, 120)
_TENURE_MONTHS = (1, 1200)
_SWAP_HOURS = (1, 2400)
_FRESHNESS_HOURS = (1, 168)


def _integer(value: int, low: int, high: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} is an integer in {low}..{high}")
    return value


def _time(t: int) -> int:
    return _integer(t, 0, (1 << 63) - 1, "the verifier's time")


# -- time and calendar (chapter 8, "Time and date encoding"; chapter 9, "Calendar rules") --


def hour_ceil(t: int) -> int:
    """ceil(t / 3600): hours since the epoch, rounded up."""
    return -(-_time(t) // 3600)


def day_of_time(t: int) -> int:
    """floor(t / 86400) + 719163: the ordinal of the UTC day that contains t."""
    return _time(t) // 86400 + EPOCH_ORDINAL


def age_cutoff(day: int, years: int) -> int:
    """The latest day of birth that has reached ``years`` on ``day`` (both ordinals).

    Born on ``b``, one reaches the age on ``anniversary(b, years)``, which
    never decreases as ``b`` increases; so ``age_over`` holds exactly for
    the days of birth up to the returned one. The day ``years`` years before
    ``day`` is the answer except when ``day`` is 29 February and that year is
    not a leap year, where it is 28 February (chapter 9's closed form).
    """
    today = date.fromordinal(day)
    candidate = anniversary(today, -years)
    while anniversary(candidate, years) > today:
        candidate -= timedelta(days=1)
    return candidate.toordinal()


def tenure_cutoff(day: int, months: int) -> int:
    """The latest contract start that has run ``months`` months on ``day`` (both ordinals).

    ``add_months`` never decreases as the start increases; the start ``months``
    months before ``day`` (its day clamped) has run them, and so have the
    following days whose clamped ``add_months`` still lands on or before
    ``day``, which happens only when ``day`` ends its month (a contract
    started on 31 January has run one month on 28 February).
    """
    today = date.fromordinal(day)
    candidate = add_months(today, -months)
    while True:
        reached = add_months(candidate + timedelta(days=1), months)
        # date.max stands for "after the year 9999", which no day of the calendar reaches.
        if reached == date.max or reached > today:
            return candidate.toordinal()
        candidate += timedelta(days=1)


def swap_cutoff(t: int, hours: int) -> int:
    """hour_ceil(t) - H - 1: the largest hour count k with 3600 * k < t - 3600 * H."""
    return hour_ceil(t) - hours - 1


def freshness_cutoff(t: int, hours: int) -> int:
    """hour_ceil(t) - F: the smallest hour count k with 3600 * k >= t - 3600 * F."""
    return hour_ceil(t) - hours


# -- statements -------------------------------------------------------------------------


def _check_id(check_id: str) -> str:
    if not isinstance(check_id, str) or not 0 < len(check_id) <= _MAX_CHECK_ID:
        raise ValueError(f"a check identifier is 1 to {_MAX_CHECK_ID} characters")
    if not check_id.isascii():
        raise ValueError("a check identifier is ASCII")
    return check_id


@dataclass(frozen=True)
class RangeStatement:
    """``0 <= sigma * (m_a - cutoff) < 2^bits`` for the attribute at index ``attribute``."""

    check_id: str
    attribute: int
    kind: int
    parameter: int
    time: int
    bits: int
    cutoff: int

    def __post_init__(self) -> None:
        _check_id(self.check_id)
        _integer(self.attribute, 0, 255, "an attribute index")
        if self.kind not in (AT_MOST, AT_LEAST):
            raise ValueError("a range statement is of kind at most (1) or at least (2)")
        _integer(self.parameter, 0, (1 << 63) - 1, "a parameter")
        _time(self.time)
        _integer(self.bits, 1, _MAX_BITS, "a bit length")
        # Cutoffs, like attributes, stay below 2^24 so that no difference can
        # wrap around modulo r into the range (chapter 9, "No wrap-around").
        _integer(self.cutoff, 0, VALUE_BOUND - 1, "a cutoff")

    @property
    def sigma(self) -> int:
        """-1 for "at most the cutoff", +1 for "at least"."""
        return -1 if self.kind == AT_MOST else 1

    def difference(self, value: int) -> int:
        """d = sigma * (value - cutoff), over the integers."""
        return self.sigma * (value - self.cutoff)

    def holds(self, value: int) -> bool:
        """Whether ``0 <= d < 2^bits`` for an attribute value below 2^24."""
        _integer(value, 0, VALUE_BOUND - 1, "an integer attribute")
        return 0 <= self.difference(value) < 1 << self.bits

    def statement_octets(self) -> bytes:
        """lp(check_id) || I2OSP(kind, 8) || I2OSP(a, 8) || I2OSP(parameter, 8)
        || I2OSP(t, 8) || I2OSP(n, 8) || I2OSP(kappa, 8)."""
        return b"".join(
            [
                lp(self.check_id.encode("ascii")),
                i2osp(self.kind),
                i2osp(self.attribute),
                i2osp(self.parameter),
                i2osp(self.time),
                i2osp(self.bits),
                i2osp(self.cutoff),
            ]
        )


@dataclass(frozen=True)
class MembershipStatement:
    """``m_a`` is one of ``values`` (ascending, 1 to 32 of them) for the attribute ``attribute``."""

    check_id: str
    attribute: int
    time: int
    values: tuple[int, ...]

    def __post_init__(self) -> None:
        _check_id(self.check_id)
        _integer(self.attribute, 0, 255, "an attribute index")
        _time(self.time)
        values = self.values
        if not isinstance(values, tuple) or not 0 < len(values) <= MAX_SET_SIZE:
            raise ValueError(f"a set holds 1 to {MAX_SET_SIZE} values, as a tuple")
        for value in values:
            _integer(value, 0, VALUE_BOUND - 1, "a set value")
        if any(a >= b for a, b in itertools.pairwise(values)):
            raise ValueError("set values are strictly ascending")

    @property
    def kind(self) -> int:
        """MEMBER (3), as the statement octets encode it."""
        return MEMBER

    def holds(self, value: int) -> bool:
        """Whether ``value`` is in the set."""
        return value in self.values

    def statement_octets(self) -> bytes:
        """lp(check_id) || I2OSP(3, 8) || I2OSP(a, 8) || I2OSP(0, 8) || I2OSP(t, 8)
        || I2OSP(k, 8) || I2OSP(v_1, 8) || ... || I2OSP(v_k, 8)."""
        return b"".join(
            [
                lp(self.check_id.encode("ascii")),
                i2osp(MEMBER),
                i2osp(self.attribute),
                i2osp(0),
                i2osp(self.time),
                i2osp(len(self.values)),
                *(i2osp(value) for value in self.values),
            ]
        )


Statement = RangeStatement | MembershipStatement


def canonical_order(statements: Iterable[Statement]) -> tuple[Statement, ...]:
    """The statements in ascending attribute index; at most one per attribute (ValueError)."""
    ordered = tuple(sorted(statements, key=lambda statement: statement.attribute))
    attributes = [statement.attribute for statement in ordered]
    if len(set(attributes)) != len(attributes):
        raise ValueError("at most one predicate concerns each attribute")
    return ordered


def statements_octets(statements: Sequence[Statement]) -> bytes:
    """Item 7 of the challenge input: I2OSP(P, 8), then every statement's octets in
    canonical order."""
    ordered = canonical_order(statements)
    return i2osp(len(ordered)) + b"".join(s.statement_octets() for s in ordered)


# -- the statement of each check ----------------------------------------------------------


def age_over(years: int, time: int, attribute: int) -> RangeStatement:
    """``age_over:N``: the birth day is at most age_cutoff(day_of_time(t), N)."""
    _integer(years, *_AGE_YEARS, "age_over's N")
    return RangeStatement(
        f"age_over:{years}",
        attribute,
        AT_MOST,
        years,
        time,
        AGE_BITS,
        age_cutoff(day_of_time(time), years),
    )


def tenure(months: int, time: int, attribute: int) -> RangeStatement:
    """``tenure:M``: the contract start day is at most tenure_cutoff(day_of_time(t), M)."""
    _integer(months, *_TENURE_MONTHS, "tenure's M")
    return RangeStatement(
        f"tenure:{months}",
        attribute,
        AT_MOST,
        months,
        time,
        TENURE_BITS,
        tenure_cutoff(day_of_time(time), months),
    )


def _swap(name: str, hours: int, time: int, attribute: int) -> RangeStatement:
    _integer(hours, *_SWAP_HOURS, f"{name}'s H")
    cutoff = swap_cutoff(time, hours)
    return RangeStatement(f"{name}:{hours}", attribute, AT_MOST, hours, time, SWAP_BITS, cutoff)


def sim_swap(hours: int, time: int, attribute: int) -> RangeStatement:
    """``sim_swap:H``: the SIM change hour is at most hour_ceil(t) - H - 1."""
    return _swap("sim_swap", hours, time, attribute)


def device_swap(hours: int, time: int, attribute: int) -> RangeStatement:
    """``device_swap:H``: the device change hour is at most hour_ceil(t) - H - 1."""
    return _swap("device_swap", hours, time, attribute)


def issued_within(hours: int, time: int, attribute: int) -> RangeStatement:
    """``issued_within:F``: the issue hour is at least hour_ceil(t) - F."""
    _integer(hours, *_FRESHNESS_HOURS, "issued_within's F")
    return RangeStatement(
        f"issued_within:{hours}",
        attribute,
        AT_LEAST,
        hours,
        time,
        FRESHNESS_BITS,
        freshness_cutoff(time, hours),
    )


def home_country_in(
    set_name: str, values: Iterable[int], time: int, attribute: int
) -> MembershipStatement:
    """``home_country_in:SET``: the home country is one of the set's encoded values.

    ``set_name`` is 1 to 16 characters from A-Z, 0-9 and "-"; ``values`` are
    the members encoded as in the layout, in any order (they are sorted).
    """
    if not isinstance(set_name, str) or not _SET_NAME.fullmatch(set_name):
        raise ValueError("a set name is 1 to 16 characters from A-Z, 0-9 and -")
    return MembershipStatement(
        f"home_country_in:{set_name}", attribute, time, tuple(sorted(set(values)))
    )
