"""A generated federation of synthetic operators in several countries, for the demo and tests.

``demo_federation()`` draws, for each of 47 operators (by default) spread over
eleven European countries, keys in every tier: an operator key
(:class:`~zkcheck.roles.OperatorKey`, the signed tier) with the default menu
and its own country, BBS keys for this epoch and the next
(:class:`~zkcheck.roles.CredentialIssuerKeys`, the credential tier) and, for
the first ``token_issuers`` operators in :attr:`DemoFederation.attesting`
order, token keys for ``token_checks`` (:class:`~zkcheck.roles.TokenIssuerKeys`;
RSA keys are slow to make, and an operator need not issue tokens at all). It
lists them all under a fresh federation authority key, with a name and an
MCC-MNC code each, and signs the first list.

Nothing is a real operator: names are "Synthetic Mobile" with a country and a
number, and operator ids end in ``.example``. The mobile country codes are
those of the countries (ITU-T E.212, as published lists give them), so that
the list looks like a real one; the network codes are simply counted from 01.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import zip_longest

from zkcheck.claims import Check, Menu
from zkcheck.roles.credential_issuer import CredentialIssuerKeys
from zkcheck.roles.operator_key import OperatorKey
from zkcheck.roles.token_issuer import TokenIssuerKeys
from zkcheck.trust.authority import Authority, AuthorityKey
from zkcheck.trust.federation import TrustListDraft
from zkcheck.trust.keyset import OperatorEntry
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
    """One synthetic operator: its keys in each tier (secret keys included) and how the
    list describes it."""

    key: OperatorKey
    name: str
    country: str
    network: str
    credential_keys: CredentialIssuerKeys
    token_keys: TokenIssuerKeys | None = None

    @property
    def operator_id(self) -> str:
        return self.key.operator_id

    def entry(self) -> OperatorEntry:
        """What the operator hands the federation: its public keys in every tier, its menu."""
        entry = self.key.entry().with_credential_keys(self.credential_keys.credential_keys())
        if self.token_keys is not None:
            entry = entry.with_token_keys(self.token_keys.token_keys())
        return entry


@dataclass(frozen=True)
class DemoFederation:
    """The federation's authority, its operators and its first list."""

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

    @property
    def attesting(self) -> tuple[DemoOperator, ...]:
        """The operators in the order the demo's cases take them: the first of each
        country, then the second of each, and so on, so that consecutive cases are
        attested in different countries."""
        return _attesting(self.operators)

    def for_case(self, index: int, *, tier: str = "signed") -> DemoOperator:
        """The operator that attests the ``index``-th case (from 0) of a tier: the
        :attr:`attesting` order, among the operators with keys of that tier."""
        serving = [
            operator
            for operator in self.attesting
            if tier != "token" or operator.token_keys is not None
        ]
        return serving[index % len(serving)]


def demo_federation(
    *,
    now: int,
    count: int = 47,
    list_id: str = "federation.example",
    first: OperatorKey | None = None,
    first_tokens: TokenIssuerKeys | None = None,
    first_credentials: CredentialIssuerKeys | None = None,
    token_checks: Iterable[Check] = (Check.sim_swap(72), Check.age_over(18)),
    token_issuers: int = 4,
) -> DemoFederation:
    """``count`` synthetic operators (at most 47) listed and signed as of ``now``.

    ``first``, when given, is the first operator (in Spain) instead of a fresh
    one, and ``first_tokens`` and ``first_credentials`` its token and credential
    keys: the demo keeps its operator's keys from run to run. ``token_issuers``
    operators issue tokens for ``token_checks``, the first one first.
    """
    places = [
        (country, f"{mcc}-{number:02d}", number)
        for country, mcc, how_many in DEMO_COUNTRIES
        for number in range(1, how_many + 1)
    ]
    if not 1 <= count <= len(places):
        raise ValueError(f"the demo federation has 1..{len(places)} operators")
    token_menu = Menu(frozenset(token_checks))
    operators = []
    for index, (country, network, number) in enumerate(places[:count]):
        key = OperatorKey.generate(
            f"mobile-{number}.{country.lower()}.example", menu=Menu.default((country,))
        )
        if index == 0 and first is not None:
            key = first
        name = f"Synthetic Mobile {country} {number}"
        credential_keys = CredentialIssuerKeys(key.operator_id, now=now)
        if index == 0 and first_credentials is not None:
            if first_credentials.operator_id != key.operator_id:
                raise ValueError("the first operator's credential keys are another operator's")
            credential_keys = first_credentials
        operators.append(DemoOperator(key, name, country, network, credential_keys))
    # The operators that issue tokens are the first ones the cases take.
    issuing = {operator.operator_id for operator in _attesting(operators)[:token_issuers]}
    draft = TrustListDraft(list_id)
    listed = []
    for index, operator in enumerate(operators):
        if operator.operator_id in issuing:
            tokens = first_tokens if index == 0 and first_tokens is not None else None
            if tokens is None:
                domain = f"tokens.{operator.operator_id}"
                tokens = TokenIssuerKeys(
                    operator.operator_id, domain=domain, now=now, menu=token_menu
                )
            operator = replace(operator, token_keys=tokens)
        listed.append(operator)
        draft = draft.add_operator(
            operator.entry(),
            name=operator.name,
            countries=(operator.country,),
            networks=(operator.network,),
            now=now,
        )
    authority = Authority.generate(list_id)
    signed = authority.sign(draft.operators, issued_at=now)
    return DemoFederation(authority, tuple(listed), signed)


def _attesting(operators: Iterable[DemoOperator]) -> tuple[DemoOperator, ...]:
    by_country: dict[str, list[DemoOperator]] = {}
    for operator in operators:
        by_country.setdefault(operator.country, []).append(operator)
    rounds = zip_longest(*by_country.values())
    return tuple(operator for line in rounds for operator in line if operator is not None)
