"""The check vocabulary: what a relying party may ask and an operator may attest.

A *check* is a yes/no question about a subscriber, named on the wire by a
stable text identifier (spec/03-encoding.md, "Check identifiers"):

============== ===================================================== ===========================
identifier     holds when                                            CAMARA counterpart
============== ===================================================== ===========================
age_over:N     the subscriber is at least N years old (N 0..120)     KYC Age Verification
sim_swap:H     no SIM swap in the last H hours (H 1..2400)           SIM Swap ``/check``
device_swap:H  no device change in the last H hours (H 1..2400)      Device Swap ``/check``
number         the device's number is the one the user typed         Number Verification
country:CC     the device is served in country CC (ISO 3166 alpha-2) Device Roaming Status
reachable      the device is reachable now                           Device Reachability Status
tenure:M       the contract has run at least M months (M 1..1200)    KYC Tenure
============== ===================================================== ===========================

and ``home_country_in:SET``: the country of residence in the operator's KYC
record is in the named set of :data:`COUNTRY_SETS` (``EU``, ``EEA``); it has
no CAMARA counterpart, and the credential tier answers it with a membership
proof over the hidden country.

An operator publishes a :class:`Menu` of the checks it answers; verifiers may
not pick other thresholds, since a moving threshold asked again and again
would reveal the underlying value.

:func:`holds` evaluates a check from a subscriber's :class:`SubscriberFacts`
at an instant. It answers ``True`` only when the facts show the check holds:
an unknown fact never produces an attestation. The rules, each with a
boundary test in tests/test_claims.py:

* Dates are taken in UTC. Someone born on 29 February turns N on 1 March in
  years that are not leap years. ``tenure:M`` adds M calendar months to the
  contract's start and clamps the day to the end of a shorter month
  (31 January + 1 month = 28 or 29 February).
* ``sim_swap:H`` and ``device_swap:H`` mean "no swap in the closed window
  [as_of - H, now]": a swap exactly H hours before ``as_of`` fails.
  ``as_of`` is the (earlier, coarse) issue time an attestation will carry, so
  the attested window covers what a verifier reads into that time.
* When the operator keeps no swap date (CAMARA ``latestSimChange: null``)
  but states a ``monitoredPeriod`` of P days with no swap in it, the check
  holds only if the monitored period [now - P days, now] covers the window.
  With neither, the answer is unknown and the check does not hold.
* ``number`` is carried as a salted digest (:func:`number_digest`): only a
  verifier that already knows the number can test it.

This module is a leaf: it uses nothing but the standard library and
:mod:`zkcheck.errors`.
"""

from __future__ import annotations

import calendar
import enum
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from types import MappingProxyType

from zkcheck.errors import DecodeError

__all__ = [
    "COUNTRY_SETS",
    "NUMBER",
    "NUMBER_DIGEST_DST",
    "NUMBER_SALT_SIZE",
    "Check",
    "CheckKind",
    "FactKind",
    "Menu",
    "SubscriberFacts",
    "SwapRecord",
    "add_months",
    "anniversary",
    "holds",
    "is_e164",
    "monitored_since",
    "number_digest",
    "sort_checks",
]


class FactKind(enum.Enum):
    """How long the fact behind a check stays true (DESIGN.md, "Checks")."""

    STATIC = "static"
    """Slowly changing: date of birth, contract start, the number."""
    AS_OF_ISSUE = "as_of_issue"
    """True as of the issue time and meaningful only while recent: swaps."""
    LIVE = "live"
    """Network state now: serving country, reachability."""


class CheckKind(enum.Enum):
    """The kinds of check; the value is the identifier's name on the wire."""

    AGE_OVER = "age_over"
    SIM_SWAP = "sim_swap"
    DEVICE_SWAP = "device_swap"
    NUMBER = "number"
    COUNTRY = "country"
    REACHABLE = "reachable"
    TENURE = "tenure"
    HOME_COUNTRY_IN = "home_country_in"

    @property
    def fact_kind(self) -> FactKind:
        """How long an answer to this kind of check stays meaningful."""
        return _FACT_KINDS[self]

    # Members are singletons compared by identity, so the identity hash is
    # consistent with equality, and much cheaper than Enum's hash of the name
    # (checks are hashed on every verification).
    __hash__ = object.__hash__


_FACT_KINDS = {
    CheckKind.AGE_OVER: FactKind.STATIC,
    CheckKind.TENURE: FactKind.STATIC,
    CheckKind.NUMBER: FactKind.STATIC,
    CheckKind.HOME_COUNTRY_IN: FactKind.STATIC,
    CheckKind.SIM_SWAP: FactKind.AS_OF_ISSUE,
    CheckKind.DEVICE_SWAP: FactKind.AS_OF_ISSUE,
    CheckKind.COUNTRY: FactKind.LIVE,
    CheckKind.REACHABLE: FactKind.LIVE,
}

# Inclusive ranges of the integer parameters. Ages and swap windows are those
# of the CAMARA APIs (ageThreshold 0..120; maxAge 1..2400 hours); tenure is
# bounded at 1200 months (100 years), as 120 years bound age.
_INTEGER_RANGES = {
    CheckKind.AGE_OVER: (0, 120),
    CheckKind.SIM_SWAP: (1, 2400),
    CheckKind.DEVICE_SWAP: (1, 2400),
    CheckKind.TENURE: (1, 1200),
}
_PARAMETERLESS = frozenset({CheckKind.NUMBER, CheckKind.REACHABLE})

_EU = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
COUNTRY_SETS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "EU": frozenset(_EU),
        "EEA": frozenset((*_EU, "IS", "LI", "NO")),
    }
)
"""The country sets ``home_country_in:SET`` may name (spec/02-checks.md, "Country sets"),
with their members as ISO 3166-1 alpha-2 codes: the 27 member states of the European
Union, and the European Economic Area (the EU with Iceland, Liechtenstein and Norway).
The sets are part of the vocabulary, so a verifier cannot make up a set that singles
out one country; an operator's menu says which of them it answers."""
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,3}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_E164 = re.compile(r"\+[1-9][0-9]{4,14}")
_MAX_IDENTIFIER = 32


@dataclass(frozen=True)
class Check:
    """One check, such as ``age_over:18``; build it with :meth:`parse` or the factories."""

    kind: CheckKind
    parameter: int | str | None = None

    def __post_init__(self) -> None:
        kind, parameter = self.kind, self.parameter
        if kind in _PARAMETERLESS:
            if parameter is not None:
                raise ValueError(f"{kind.value} takes no parameter")
        elif kind is CheckKind.COUNTRY:
            if not isinstance(parameter, str) or not _COUNTRY.fullmatch(parameter):
                raise ValueError("country takes an upper-case ISO 3166-1 alpha-2 code")
        elif kind is CheckKind.HOME_COUNTRY_IN:
            if not isinstance(parameter, str) or parameter not in COUNTRY_SETS:
                raise ValueError(f"home_country_in takes one of {', '.join(COUNTRY_SETS)}")
        else:
            low, high = _INTEGER_RANGES[kind]
            if type(parameter) is not int or not low <= parameter <= high:
                raise ValueError(f"{kind.value} takes an integer in {low}..{high}")

    @classmethod
    def parse(cls, identifier: str) -> Check:
        """The check named by a wire identifier; :class:`DecodeError` if it names none.

        Only the canonical spelling is accepted: no leading zeros, no spaces,
        country codes in upper case.
        """
        if type(identifier) is not str or len(identifier) > _MAX_IDENTIFIER:
            raise DecodeError("a check identifier is a short text string")
        return _parse(identifier)

    @cached_property
    def identifier(self) -> str:
        """The wire identifier, e.g. ``"sim_swap:72"``."""
        if self.parameter is None:
            return self.kind.value
        return f"{self.kind.value}:{self.parameter}"

    def __str__(self) -> str:
        return self.identifier

    @property
    def fact_kind(self) -> FactKind:
        return self.kind.fact_kind

    # Factories, so code reads like the vocabulary.
    @classmethod
    def age_over(cls, years: int) -> Check:
        return _interned(CheckKind.AGE_OVER, years)

    @classmethod
    def sim_swap(cls, hours: int) -> Check:
        return _interned(CheckKind.SIM_SWAP, hours)

    @classmethod
    def device_swap(cls, hours: int) -> Check:
        return _interned(CheckKind.DEVICE_SWAP, hours)

    @classmethod
    def number(cls) -> Check:
        return _interned(CheckKind.NUMBER, None)

    @classmethod
    def country(cls, code: str) -> Check:
        return _interned(CheckKind.COUNTRY, code)

    @classmethod
    def reachable(cls) -> Check:
        return _interned(CheckKind.REACHABLE, None)

    @classmethod
    def tenure(cls, months: int) -> Check:
        return _interned(CheckKind.TENURE, months)

    @classmethod
    def home_country_in(cls, country_set: str) -> Check:
        return _interned(CheckKind.HOME_COUNTRY_IN, country_set)


@lru_cache(maxsize=1024, typed=True)
def _interned(kind: CheckKind, parameter: int | str | None) -> Check:
    # The factories and the parser give one object per check (while it is cached):
    # checks are compared on every verification, and equal objects that are the same
    # object compare by identity, without Check.__eq__. Typed, so that 1, 1.0 and
    # True are different keys: only the first is a valid parameter.
    return Check(kind, parameter)


@lru_cache(maxsize=1024)
def _parse(identifier: str) -> Check:
    # Identifiers repeat in every message and a Check is immutable, so parses
    # are cached; the cache is bounded, so hostile input cannot grow it.
    name, separator, argument = identifier.partition(":")
    try:
        kind = CheckKind(name)
    except ValueError:
        raise DecodeError("unknown check") from None
    parameter: int | str | None
    if kind in _PARAMETERLESS:
        if separator:
            raise DecodeError(f"{name} takes no parameter")
        parameter = None
    elif not separator:
        raise DecodeError(f"{name} needs a parameter")
    elif kind is CheckKind.COUNTRY or kind is CheckKind.HOME_COUNTRY_IN:
        parameter = argument
    elif _DECIMAL.fullmatch(argument):
        parameter = int(argument)
    else:
        raise DecodeError(f"{name} takes a decimal integer without leading zeros")
    try:
        return _interned(kind, parameter)
    except ValueError as exc:
        raise DecodeError(str(exc)) from None


NUMBER = Check.number()
"""The ``number`` check (it has no parameter, so there is only one)."""


def sort_checks(checks: Iterable[Check]) -> tuple[Check, ...]:
    """Checks without repeats, in the order of their identifiers' UTF-8 bytes (the wire order)."""
    checks = tuple(checks)
    if len(checks) < 2:  # one check is in order; this runs on every attestation read
        return checks
    unique = {check.identifier: check for check in checks}
    return tuple(unique[name] for name in sorted(unique, key=lambda name: name.encode()))


@dataclass(frozen=True)
class Menu:
    """The checks an operator answers, thresholds included (DESIGN.md, "Checks").

    A verifier's request for a check that is not on the menu is answered with
    nothing, and a verifier refuses an attestation of a check that is not on
    the issuing operator's published menu.
    """

    checks: frozenset[Check]

    def allows(self, check: Check) -> bool:
        return check in self.checks

    def identifiers(self) -> tuple[str, ...]:
        """The menu's checks as wire identifiers, in wire order."""
        return tuple(check.identifier for check in sort_checks(self.checks))

    @classmethod
    def from_identifiers(cls, identifiers: Iterable[str]) -> Menu:
        return cls(frozenset(Check.parse(identifier) for identifier in identifiers))

    @classmethod
    def default(cls, countries: Iterable[str] = ("ES",)) -> Menu:
        """Ages 13/16/18/21/65, swap windows 24/72/168/720 h, tenure 3/6/12/24 months,
        ``number``, ``reachable``, ``country`` for the given countries and the home
        country in each of :data:`COUNTRY_SETS`."""
        checks = {Check.age_over(years) for years in (13, 16, 18, 21, 65)}
        checks |= {Check.sim_swap(hours) for hours in (24, 72, 168, 720)}
        checks |= {Check.device_swap(hours) for hours in (24, 72, 168, 720)}
        checks |= {Check.tenure(months) for months in (3, 6, 12, 24)}
        checks |= {Check.number(), Check.reachable()}
        checks |= {Check.country(code) for code in countries}
        checks |= {Check.home_country_in(name) for name in COUNTRY_SETS}
        return cls(frozenset(checks))


@dataclass(frozen=True)
class SwapRecord:
    """What the operator knows about SIM (or device) changes, in CAMARA's terms.

    ``latest_change`` is CAMARA's ``latestSimChange`` (``latestDeviceChange``):
    the time of the latest change or, with unlimited monitoring and no swap,
    the activation time. When it is ``None`` (retention limits),
    ``monitored_period_days`` is CAMARA's ``monitoredPeriod``: no change
    happened in the last that many days. Both ``None`` means unknown.
    """

    latest_change: datetime | None = None
    monitored_period_days: int | None = None

    def __post_init__(self) -> None:
        if self.latest_change is not None:
            _require_aware(self.latest_change)
        days = self.monitored_period_days
        if days is not None and (type(days) is not int or days < 0):
            raise ValueError("monitored_period_days is a non-negative integer")


@dataclass(frozen=True)
class SubscriberFacts:
    """The facts an operator holds about one subscriber; ``None`` means unknown."""

    msisdn: str | None = None
    birth_date: date | None = None
    sim: SwapRecord | None = None
    device: SwapRecord | None = None
    serving_country: str | None = None
    reachable: bool | None = None
    contract_start: date | None = None
    home_country: str | None = None
    """Country of residence in the KYC record (ISO 3166-1 alpha-2), not the serving country."""


def is_e164(number: str) -> bool:
    """Whether ``number`` matches CAMARA's E.164 pattern ``^\\+[1-9][0-9]{4,14}$``."""
    return isinstance(number, str) and _E164.fullmatch(number) is not None


NUMBER_SALT_SIZE = 16
"""Bytes of the salt a ``number`` attestation's digest is computed with."""

NUMBER_DIGEST_DST = b"ZKCHECK-V1-NUMBER"
"""Domain-separation tag of :func:`number_digest`."""


def number_digest(salt: bytes, number: str) -> bytes:
    """SHA-256(DST || salt || number): what a ``number`` attestation carries.

    The salt has a fixed length (16 bytes), so the concatenation is
    unambiguous; the number is the E.164 text, ``+`` included, in ASCII. The
    salt is fresh per attestation, so two attestations of the same number do
    not share a digest; a verifier that does not know the number learns
    nothing it could not learn by guessing numbers one by one.
    """
    if len(salt) != NUMBER_SALT_SIZE:
        raise ValueError("the number salt is 16 bytes")
    if not is_e164(number):
        raise ValueError("not an E.164 number")
    return hashlib.sha256(NUMBER_DIGEST_DST + salt + number.encode("ascii")).digest()


def anniversary(birth: date, years: int) -> date:
    """The day someone born on ``birth`` turns ``years``: 29 February becomes 1 March
    in years that are not leap years; ``date.max`` when that is after the year 9999."""
    year = birth.year + years
    if year > date.max.year:
        return date.max
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, the day clamped to the month's last day;
    ``date.max`` when that is after the year 9999."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if year > date.max.year:
        return date.max
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def monitored_since(record: SwapRecord, now: datetime) -> datetime | None:
    """The start of a record's monitored period (``now`` minus its days); ``None`` when it
    began before the year 1, that is, before any instant zkcheck compares it with."""
    days = record.monitored_period_days
    if days is None:
        return None
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return None


def _integer(parameter: int | str | None) -> int:
    # Check.__post_init__ guarantees integer parameters for these kinds.
    if type(parameter) is not int:
        raise TypeError("integer parameter expected")
    return parameter


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware (zkcheck works in UTC)")


def _no_change_in_window(record: SwapRecord | None, window_start: datetime, now: datetime) -> bool:
    """No change in the closed window [window_start, now], as far as the record shows."""
    if record is None:
        return False
    if record.latest_change is not None:
        # A change recorded after ``now`` contradicts the clock: unknown, so no.
        return record.latest_change < window_start and record.latest_change <= now
    if record.monitored_period_days is None:
        return False
    monitored_from = monitored_since(record, now)
    return monitored_from is None or monitored_from <= window_start


def holds(
    check: Check, facts: SubscriberFacts, *, now: datetime, as_of: datetime | None = None
) -> bool:
    """Whether the facts show that ``check`` holds at ``now``.

    ``as_of`` (default ``now``, never later) is the issue time the
    attestation states; the swap checks are evaluated over
    [as_of - H, now], so the stated time never claims more than was seen.
    ``False`` means "not shown": the check fails or the facts are unknown.
    """
    _require_aware(now)
    if as_of is None:
        as_of = now
    _require_aware(as_of)
    if as_of > now:
        raise ValueError("as_of cannot be later than now")
    today = now.astimezone(UTC).date()
    kind, parameter = check.kind, check.parameter
    # An age or tenure reached only after the year 9999 is never reached (its cutoff,
    # date.max, stands for "never" and is not compared with today).
    if kind is CheckKind.AGE_OVER:
        born, years = facts.birth_date, _integer(parameter)
        return (
            born is not None
            and born.year + years <= date.max.year
            and anniversary(born, years) <= today
        )
    if kind is CheckKind.TENURE:
        start, months = facts.contract_start, _integer(parameter)
        return (
            start is not None
            and start.year + (start.month - 1 + months) // 12 <= date.max.year
            and add_months(start, months) <= today
        )
    if kind is CheckKind.SIM_SWAP or kind is CheckKind.DEVICE_SWAP:
        record = facts.sim if kind is CheckKind.SIM_SWAP else facts.device
        window_start = as_of - timedelta(hours=_integer(parameter))
        return _no_change_in_window(record, window_start, now)
    if kind is CheckKind.NUMBER:
        return facts.msisdn is not None and is_e164(facts.msisdn)
    if kind is CheckKind.COUNTRY:
        return facts.serving_country is not None and facts.serving_country == parameter
    if kind is CheckKind.REACHABLE:
        return facts.reachable is True
    if kind is CheckKind.HOME_COUNTRY_IN:
        home = facts.home_country
        return home is not None and home in COUNTRY_SETS[str(parameter)]
    raise AssertionError(f"unhandled check kind {kind}")  # pragma: no cover
