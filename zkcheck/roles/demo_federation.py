"""A generated federation of synthetic operators in several countries, for the demo and tests.

``demo_federation()`` draws, for each of 47 operators (by default) spread over
eleven European countries, an operator key (:class:`~zkcheck.roles.OperatorKey`)
with the default menu and its own country, a name, and an MCC-MNC code; lists
them all under a fresh federation authority key; and signs the first list.
Nothing is a real operator: names are "Synthetic Mobile" with a country and a
number, and operator ids end in ``.example``. The mobile country codes are
those of the countries (ITU-T E.212, as published lists give them), so that
the list looks like a real one; the network codes are simply counted from 01.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkcheck.claims import Menu
from zkcheck.roles.operator_key import OperatorKey
from zkcheck.trust.authority import Authority, AuthorityKey
from zkcheck.trust.federation import TrustListDraft
from zkcheck.trust.trust_list import SignedTrustList

__all__ = ["DEMO_COUNTRIES", "DemoFederation", "DemoOperator", "demo_federation"]

DEMO_COUNTRIES: tuple[tuple[str, str, int], ...] = (
    ("ES", "214", 6),
    ("PT", "268", 4),
    ("FR", "208", 6),
    ("DE", "262", 6),
    ("IT", "222", 6),
    ("NL", "204", 4),
    ("BE", "206", 3),
    ("AT", "232", 3),
    ("PL", "260", 4),
    ("SE", "240", 3),
    ("IE", "272", 2),
)
"""Country, mobile country code and how many operators it has: 47 in all."""


@dataclass(frozen=True)
class DemoOperator:
    """One synthetic operator: its signing identity and how the list describes it."""

    key: OperatorKey
    name: str
    country: str
    network: str

    @property
    def operator_id(self) -> str:
        return self.key.operator_id


@dataclass(frozen=True)
class DemoFederation:
    """The federation's authority, its operators (secret keys included) and its first list."""

    authority: Authority
    operators: tuple[DemoOperator, ...]
    trust_list: SignedTrustList

    def pin(self) -> AuthorityKey:
        """The key relying parties pin."""
        return self.authority.pin()

    def operator(self, operator_id: str) -> DemoOperator:
        for operator in self.operators:
            if operator.operator_id == operator_id:
                return operator
        raise KeyError(operator_id)


def demo_federation(
    *,
    now: int,
    count: int = 47,
    list_id: str = "federation.example",
    first: OperatorKey | None = None,
) -> DemoFederation:
    """``count`` synthetic operators (at most 47) listed and signed as of ``now``.

    ``first``, when given, is the first operator (in Spain) instead of a fresh
    one: the demo keeps its operator's key from run to run.
    """
    places = [
        (country, f"{mcc}-{number:02d}", number)
        for country, mcc, how_many in DEMO_COUNTRIES
        for number in range(1, how_many + 1)
    ]
    if not 1 <= count <= len(places):
        raise ValueError(f"the demo federation has 1..{len(places)} operators")
    operators = []
    draft = TrustListDraft(list_id)
    for index, (country, network, number) in enumerate(places[:count]):
        key = OperatorKey.generate(
            f"mobile-{number}.{country.lower()}.example", menu=Menu.default((country,))
        )
        if index == 0 and first is not None:
            key = first
        operator = DemoOperator(key, f"Synthetic Mobile {country} {number}", country, network)
        operators.append(operator)
        draft = draft.add_operator(
            key.entry(), name=operator.name, countries=(country,), networks=(network,), now=now
        )
    authority = Authority.generate(list_id)
    signed = authority.sign(draft.operators, issued_at=now)
    return DemoFederation(authority, tuple(operators), signed)
