"""The demo's transcript, rendered from a :class:`~zkcheck.cli.demo.DemoResult`.

Plain text when the output is a file or a pipe; on a terminal, colour (unless
``NO_COLOR`` is set or ``TERM`` is ``dumb``) and a progress line while the
scenarios run. Only ANSI escape sequences are used, no third-party package.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from dataclasses import dataclass
from typing import TextIO

from zkcheck.cli.demo import DemoResult
from zkcheck.cli.scenarios import SCENARIOS, CaseResult, Scenario, Verdict
from zkcheck.cli.words import WIDTH, aligned, check_in_words, count

__all__ = ["Style", "TerminalProgress", "render", "wants_colour"]


def wants_colour(stream: TextIO) -> bool:
    """Colour and progress only on a terminal that takes them."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


@dataclass(frozen=True)
class Style:
    """ANSI styling, or none."""

    colour: bool

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def good(self, text: str) -> str:
        return self._wrap("1;32", text)

    def refused(self, text: str) -> str:
        return self._wrap("1;33", text)

    def bad(self, text: str) -> str:
        return self._wrap("1;31", text)


class TerminalProgress:
    """A one-line progress indication on a terminal, rewritten in place."""

    _FRAMES = "|/-\\"

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._frame = 0
        self._columns = shutil.get_terminal_size().columns

    def __call__(self, what: str) -> None:
        frame = self._FRAMES[self._frame % len(self._FRAMES)]
        self._frame += 1
        line = f"{frame} {what}"[: max(self._columns - 1, 10)]
        self._stream.write(f"\r\x1b[K{line}")
        self._stream.flush()

    def clear(self) -> None:
        self._stream.write("\r\x1b[K")
        self._stream.flush()


def _case(result: CaseResult, label: str, style: Style) -> list[str]:
    case = result.case
    heading = f"   {label}. {case.label} (subscriber {case.subscriber}, {result.tier} tier)"
    lines = [style.bold(heading)]
    width = max(len(f"{m.sender} -> {m.receiver}") for m in result.messages)
    for message in result.messages:
        route = f"{message.sender} -> {message.receiver}"
        size = count(message.data)
        head = f"      {route:<{width}}  {size:>10}  "
        text = textwrap.wrap(
            f"{message.kind}: {message.note}", WIDTH - len(head), break_on_hyphens=False
        )
        lines.append(head + text[0])
        lines.extend(" " * len(head) + rest for rest in text[1:])
    if result.verdict is Verdict.ACCEPTED:
        verdict = style.good("ACCEPTED")
    else:
        verdict = style.refused("REFUSED (not shown)")
    if not result.as_expected:
        verdict += style.bad(f"  UNEXPECTED: the scenario expects {case.expected.value}")
    lines.extend(aligned("verdict", [f"{verdict}: {result.explanation}"], indent=6))
    party_width = max(len(knowledge.party) for knowledge in result.knowledge) + 2
    lines.append("      learned")
    for knowledge in result.knowledge:
        lines += aligned(
            knowledge.party, knowledge.learned, indent=8, width=party_width, bullet="- "
        )
    lines.append("      did not learn")
    for knowledge in result.knowledge:
        lines += aligned(
            knowledge.party, knowledge.not_learned, indent=8, width=party_width, bullet="- "
        )
    timings = ", ".join(f"{t.step} {t.seconds * 1000:.2f} ms" for t in result.timings)
    lines.extend(aligned("timings", [style.dim(timings)], indent=6))
    return lines


def render(result: DemoResult, style: Style) -> str:
    """The whole transcript."""
    out = [
        style.bold("zkcheck demo"),
        "A bank, a social network and an age-gated site ask yes/no questions about an",
        "operator's subscribers. Each gets its answer and nothing more; the subscribers are",
        "synthetic.",
        "",
    ]
    out.extend(aligned("state", [str(result.state), *result.setup]))
    out.extend(aligned("tiers", [", ".join(result.tiers)]))
    if result.not_built:
        unbuilt = [f"{p.name}: {p.title}" for p in result.not_built]
        out.extend(aligned("not built yet", unbuilt))
    for scenario_index, scenario in enumerate(_scenarios(result), start=1):
        check = scenario.check
        out += ["", style.bold(f"{scenario_index}. {scenario.title}")]
        out.append(
            f"   {scenario.verifier_id} asks for {check.identifier}: {check_in_words(check)}"
        )
        for letter, case in zip(
            "abcdefghijklmnopqrstuvwxyz",
            [c for c in result.cases if c.scenario is scenario],
            strict=False,
        ):
            out += ["", *_case(case, f"{scenario_index}{letter}", style)]
        for key, tier, reason in result.skipped:
            if key == scenario.key:
                out += ["", *aligned(f"   {tier} tier", [f"not run: {reason}"], width=19)]
    accepted = sum(case.verdict is Verdict.ACCEPTED for case in result.cases)
    refused = len(result.cases) - accepted
    agreement = (
        "every one as its scenario expects"
        if result.as_expected
        else style.bad("NOT all as the scenarios expect")
    )
    out += [
        "",
        f"{len(result.cases)} cases: {accepted} accepted, {refused} refused (not shown), "
        f"{agreement}; {result.seconds:.1f} s in all.",
        'Nothing said "no": in a refused case the operator issued nothing, the phone had',
        "nothing to show, or the presentation did not show the check, and the verifier",
        "treated the check as not shown.",
        f"The demo's operator keys, key sets and subscriber database are in {result.state};",
        "zkcheck --help shows how the other commands use them.",
    ]
    return "\n".join(out) + "\n"


def _scenarios(result: DemoResult) -> list[Scenario]:
    """The scenarios run, in order, and after them those no tier ran (all skipped)."""
    seen: list[Scenario] = []
    for case in result.cases:
        if case.scenario not in seen:
            seen.append(case.scenario)
    keys = {scenario.key for scenario in seen}
    for scenario in SCENARIOS:
        if scenario.key not in keys and any(key == scenario.key for key, _, _ in result.skipped):
            seen.append(scenario)
    return seen
