"""The anonymity sets of chapter 10, computed from the demo federation and its subscriber
database (zkcheck.roles.anonymity), and the figures the chapter states."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zkcheck.claims import Check
from zkcheck.cli.demo import RANDOM_SUBSCRIBERS, SUBSCRIBER_SEED, anonymity_line
from zkcheck.roles.anonymity import AnonymitySet, anonymity_sets, cells
from zkcheck.roles.demo_federation import DemoFederation, demo_federation
from zkcheck.sources import demo_subscribers
from zkcheck.trust.trust_list import decode_operators

PRIVACY = Path(__file__).resolve().parent.parent / "spec" / "10-privacy.md"
INSTANT = datetime(2026, 3, 4, 10, 17, 23, tzinfo=UTC)
"""The instant chapter 10's figures are computed at (the vectors' instant)."""
CHECKS = (Check.age_over(18), Check.sim_swap(72), Check.tenure(12), Check.home_country_in("EU"))


@pytest.fixture(scope="module")
def federation() -> DemoFederation:
    return demo_federation(now=int(INSTANT.timestamp()))


def _sets(federation: DemoFederation) -> tuple[AnonymitySet, ...]:
    subscribers = demo_subscribers(INSTANT, RANDOM_SUBSCRIBERS, seed=SUBSCRIBER_SEED)
    operators = decode_operators(federation.trust_list.operators)
    return anonymity_sets(operators, subscribers, CHECKS, int(INSTANT.timestamp()))


def _stated() -> list[tuple[str, ...]]:
    """The rows of the table in chapter 10's section on the demo's set sizes."""
    text = PRIVACY.read_text(encoding="utf-8")
    section = text.split("{#demo-sets}", 1)[1].split("\n## ", 1)[0]
    row = re.compile(
        r"^\| `(\w+)` \| `([\w:]+)` \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|"
    )
    return [match.groups() for line in section.splitlines() if (match := row.match(line))]


def test_the_privacy_chapter_states_the_demo_sets(federation: DemoFederation) -> None:
    computed = [
        (
            s.tier,
            s.check.identifier,
            *(str(v) for v in (s.operators, s.subscribers, s.eligible, s.keys, s.cells, s.size)),
        )
        for s in _sets(federation)
    ]
    assert _stated() == computed


def test_the_split_follows_the_grids_epochs_and_keys(federation: DemoFederation) -> None:
    found = {(s.tier, s.check): s for s in _sets(federation)}
    age, swap, home = Check.age_over(18), Check.sim_swap(72), Check.home_country_in("EU")
    # Every operator answers in the signed and credential tiers, four issue tokens.
    assert {s.operators for s in found.values() if s.tier != "token"} == {47}
    assert {s.operators for s in found.values() if s.tier == "token"} == {4}
    # The cells: a week of day cells, an hour of quarter-hours, one epoch, two issue weeks.
    assert (found["signed", age].cells, found["signed", swap].cells) == (7, 4)
    assert found["token", age].cells == found["token", swap].cells == 1
    assert found["credential", age].cells == cells("credential", age) == 2
    # One key of each tier is valid at the instant in the demo: the next epoch's is listed
    # ahead but not yet valid.
    assert {s.keys for s in found.values()} == {1}
    # The token tier answers neither number nor, in the demo, the checks it has no key for.
    assert ("token", home) not in found
    # A check that holds for one subscriber gives a presentation that names them.
    assert found["signed", home].eligible == 1 and found["signed", home].size == 1
    # The larger the split, the smaller the set: the signed tier's week of day cells.
    assert found["signed", age].size < found["credential", age].size < found["token", age].size


def test_the_demo_prints_the_sets(federation: DemoFederation) -> None:
    subscribers = demo_subscribers(INSTANT, RANDOM_SUBSCRIBERS, seed=SUBSCRIBER_SEED)
    line = anonymity_line(federation, subscribers, int(INSTANT.timestamp()))
    for s in _sets(federation):
        if s.check in (Check.age_over(18), Check.sim_swap(72)):
            assert f"{s.tier} {s.size}" in line
    assert "age_over:18:" in line and "sim_swap:72:" in line and "number" not in line
