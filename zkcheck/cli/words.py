"""Checks, times and sizes in words, as the command's output uses them."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from zkcheck.claims import Check, CheckKind

__all__ = ["WIDTH", "aligned", "check_in_words", "checks_in_words", "count", "instant", "plural"]

WIDTH = 100
"""Columns the command's reports are wrapped to."""


def check_in_words(check: Check) -> str:
    """What a check asks, e.g. ``sim_swap:72`` -> "no SIM swap in the last 72 hours"."""
    kind, parameter = check.kind, check.parameter
    if kind is CheckKind.AGE_OVER:
        return f"at least {parameter} years old"
    if kind is CheckKind.SIM_SWAP:
        return f"no SIM swap in the last {parameter} hours"
    if kind is CheckKind.DEVICE_SWAP:
        return f"no device change in the last {parameter} hours"
    if kind is CheckKind.NUMBER:
        return "the device's number is the number typed"
    if kind is CheckKind.COUNTRY:
        return f"the device is served in country {parameter} now"
    if kind is CheckKind.REACHABLE:
        return "the device is reachable now"
    if kind is CheckKind.HOME_COUNTRY_IN:
        return f"the home country on record is in the {parameter}"
    return f"the contract has run at least {parameter} months"


def checks_in_words(checks: Iterable[Check]) -> str:
    """``sim_swap:72 (no SIM swap in the last 72 hours), ...``; "none" for no checks."""
    listed = [f"{check.identifier} ({check_in_words(check)})" for check in checks]
    return ", ".join(listed) if listed else "none"


def instant(seconds: int) -> str:
    """A NumericDate as ``2026-03-10 14:00:00 UTC``; one past the year 9999 (which the
    messages' decoders admit, up to 2^53) as a count of seconds."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError, OSError):
        return f"{seconds} s after 1970-01-01 00:00:00 UTC"


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    """``1 key``, ``3 keys``."""
    return f"{number} {noun if number == 1 else (nouns or noun + 's')}"


def count(data: bytes | None) -> str:
    """A message size: ``152 bytes``, or ``nothing`` when nothing was sent."""
    return "nothing" if data is None else plural(len(data), "byte")


def aligned(
    label: str, items: Sequence[str], *, indent: int = 0, width: int = 15, bullet: str = ""
) -> list[str]:
    """``label`` then each item (after ``bullet``), wrapped to :data:`WIDTH` columns and
    aligned after the label's column."""
    out: list[str] = []
    for index, item in enumerate(items):
        head = f"{' ' * indent}{label if index == 0 else '':<{width}}{bullet}"
        wrapped = textwrap.wrap(item, WIDTH - len(head), break_on_hyphens=False) or [""]
        out.append(head + wrapped[0])
        out.extend(" " * len(head) + rest for rest in wrapped[1:])
    return out
