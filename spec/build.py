"""Build the zkcheck specification into one HTML page, and check it.

The sources are the Markdown files ``spec/NN-name.md``, read in numeric order.
The chapter plan in ``00-front.md`` (the table after the heading with the id
``chapter-plan``) lists every chapter; a planned chapter whose file does not
exist yet is rendered as a titled placeholder, so references to it resolve.

The build fails, listing every problem with its file and line, when:

- a link points to an anchor, a chapter or a repository file that does not exist;
- a claim mark is malformed, or a ``tested`` mark names a test function that
  does not exist under ``tests/``, or a ``planned`` mark names one that does;
- a sentence in a claim region (a chapter that declares ``<!-- claims: chapter -->``
  or a region between ``<!-- claims: begin -->`` and ``<!-- claims: end -->``)
  carries no claim mark;
- a line ``<!-- vectors: NAME.json -->`` names a file that is not in ``spec/vectors/``
  or is not a vector file, or a file of ``spec/vectors/`` has no such line. Each such
  line is replaced by a table of the file's cases (what each takes, traces and
  outputs), so the appendix is built from the vectors themselves.

The claim-mark convention itself is specified in ``00-front.md``, section
"Claim marks". This script is a development tool of the repository, not part of
the ``zkcheck`` package: ``make spec`` runs it, and ``tests/test_spec.py`` runs it
on the real sources and on small broken ones.
"""

from __future__ import annotations

import argparse
import ast
import html
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

__all__ = [
    "KINDS",
    "VECTORS_DIR",
    "BuildReport",
    "Claim",
    "Problem",
    "SpecError",
    "build",
    "main",
    "split_sentences",
    "vector_table",
]

KINDS = ("proven", "tested", "assumed", "planned")
"""The four claim kinds, in the order the claim register lists them."""

CHAPTER_FILE = re.compile(r"^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
PLAN_ANCHOR = "chapter-plan"
REGISTER_ANCHOR = "claim-register"
DEFAULT_OUTPUT = Path("build") / "zkcheck-spec.html"

# A claim mark opens with "[[", a lower-case word and a colon; "[[" followed by
# anything else is ordinary text. The closing "]]" is found by bracket counting,
# so a mark's body may contain Markdown links.
_MARK_OPEN = re.compile(r"\[\[([a-z]+):")
_TEST_ID = re.compile(r"tests/(?:[\w-]+/)*test_\w+\.py::(?:Test\w+::)?test\w*(?:\[[^\]]*\])?")
_EXPLICIT_ID = re.compile(r"\s*\{#([A-Za-z][\w-]*)\}\s*$")
_HTML_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
_DIRECTIVE = re.compile(r"^<!--\s*claims:\s*(chapter|begin|end)\s*-->\s*$")
_VECTORS_LINE = re.compile(r"^<!--\s*vectors:\s*(\S+)\s*-->\s*$", re.MULTILINE)
VECTORS_DIR = "vectors"
# A vectors line names a file of spec/vectors/ itself, never a path that leads elsewhere.
_VECTOR_NAME = re.compile(r"[A-Za-z0-9][\w-]*\.json")
_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.?\s")
_LEAD_IN = re.compile(r"^(?:Argument|Context|Definition|Example|Note|Scope)[.:]\s")
_ABBREVIATIONS = frozenset(
    {"e.g.", "i.e.", "cf.", "etc.", "vs.", "al.", "approx.", "Art.", "Arts.", "No.", "Sec."}
)
# A sentence ends at ".", "!" or "?" followed by white space and then a capital
# letter or a claim mark, possibly after an opening quote, bracket or code marker.
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"\u201c(\[`*_]?[A-Z\x00])")
_PLACEHOLDER = "\x00"
_MIN_PROVEN_WORDS = 8
_MIN_WORDS = 3


@dataclass(frozen=True)
class Problem:
    """One reason the specification does not build."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class SpecError(Exception):
    """The specification has problems; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class Claim:
    """A claim mark as found in the sources."""

    path: str
    line: int
    kind: str
    basis: str
    statement: str
    anchor: str
    section: str


@dataclass(frozen=True)
class BuildReport:
    """What a successful build wrote and found."""

    output: Path
    chapters: tuple[str, ...]
    placeholders: tuple[str, ...]
    claims: tuple[Claim, ...]
    claim_chapters: frozenset[str]

    def counts(self) -> dict[str, int]:
        """Number of claims of each kind."""
        counter = Counter(claim.kind for claim in self.claims)
        return {kind: counter[kind] for kind in KINDS}


@dataclass
class _Chapter:
    number: int
    name: str
    title: str
    scope: str
    present: bool
    tokens: list[Token] = field(default_factory=list)
    local_ids: dict[str, str] = field(default_factory=dict)
    anchor: str = ""


@dataclass(frozen=True)
class _Heading:
    level: int
    anchor: str
    number: str
    text: str
    chapter: str


@dataclass(frozen=True)
class _Mark:
    kind: str
    body_start: int
    body_end: int
    end: int
    closed: bool


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, token: Token | None, message: str) -> None:
        line = token.map[0] + 1 if token is not None and token.map else 1
        self.items.append(Problem(path, line, message))


# Parsing -----------------------------------------------------------------------------------


def _scan_mark(src: str, pos: int, end: int) -> _Mark | None:
    """The claim mark starting at ``pos``, or None if none starts there."""
    opening = _MARK_OPEN.match(src, pos, end)
    if opening is None:
        return None
    depth = 0
    body_start = index = opening.end()
    while body_start < end and src[body_start] in " \t\n":
        body_start += 1
    while index < end:
        char = src[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            if depth == 0 and src.startswith("]]", index):
                return _Mark(opening.group(1), body_start, index, index + 2, True)
            depth = max(depth - 1, 0)
        index += 1
    return _Mark(opening.group(1), opening.end(), opening.end(), opening.end(), False)


def _claim_rule(state: StateInline, silent: bool) -> bool:
    mark = _scan_mark(state.src, state.pos, state.posMax)
    if mark is None:
        return False
    if not silent:
        opening = state.push("claim_open", "span", 1)
        opening.meta = {
            "kind": mark.kind,
            "basis": state.src[mark.body_start : mark.body_end].strip(),
            "closed": mark.closed,
        }
        maximum = state.posMax
        state.pos, state.posMax = mark.body_start, mark.body_end
        state.md.inline.tokenize(state)
        state.posMax = maximum
        state.push("claim_close", "span", -1)
    state.pos = mark.end
    return True


def _render_claim_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    kind = html.escape(str(token.meta.get("kind", "")))
    anchor = html.escape(str(token.attrs.get("id", "")))
    return f'<span class="claim claim-{kind}" id="{anchor}"><span class="claim-kind">{kind}</span> '


def _render_claim_close(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    return "</span>"


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    md.inline.ruler.before("link", "claim_mark", _claim_rule)
    md.add_render_rule("claim_open", _render_claim_open)
    md.add_render_rule("claim_close", _render_claim_close)
    return md


def _inline_text(children: Sequence[Token]) -> str:
    """Plain text of inline tokens; each claim mark becomes one placeholder character.

    A bold label that opens the block ("**The operator.** Verification needs ...") is
    kept as a label ending in a colon, so that it is part of the first sentence.
    """
    parts: list[str] = []
    depth = 0
    label_end = _label_end(children)
    if label_end:
        label = "".join(child.content for child in children[: label_end - 1])
        parts.append(label.rstrip().rstrip(".:") + ":")
        children = children[label_end:]
    for child in children:
        if child.type == "claim_open":
            if depth == 0:
                parts.append(_PLACEHOLDER)
            depth += 1
        elif child.type == "claim_close":
            depth -= 1
        elif depth:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _label_end(children: Sequence[Token]) -> int:
    """Index after a leading bold label ending in "." or ":", or 0 if there is none."""
    start = 1 if children and children[0].type == "text" and not children[0].content else 0
    if len(children) <= start or children[start].type != "strong_open":
        return 0
    for index in range(start + 1, len(children)):
        if children[index].type == "strong_close":
            text = "".join(c.content for c in children[start + 1 : index]).rstrip()
            return index + 1 if text.endswith((".", ":")) else 0
        if children[index].type != "text":
            return 0
    return 0


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; marks placed just after a full stop stay with their sentence."""
    pieces: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        words = text[: end.end()].split()
        if words and words[-1] in _ABBREVIATIONS:
            continue
        pieces.append(text[start : end.end()])
        start = end.end()
    pieces.append(text[start:])
    sentences: list[str] = []
    for piece in pieces:
        stripped = piece.strip()
        while sentences and stripped.startswith(_PLACEHOLDER):
            sentences[-1] += _PLACEHOLDER
            stripped = stripped[1:].lstrip()
        if stripped:
            sentences.append(stripped)
    return sentences


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s_]+", "-", slug) or "section"


# The chapter plan ---------------------------------------------------------------------------


def _plan(md: MarkdownIt, front: Path, problems: _Problems) -> list[_Chapter]:
    tokens = md.parse(front.read_text(encoding="utf-8"), {})
    name = front.name
    start = next(
        (
            index
            for index, token in enumerate(tokens)
            if token.type == "inline"
            and tokens[index - 1].type == "heading_open"
            and (match := _EXPLICIT_ID.search(token.content)) is not None
            and match.group(1) == PLAN_ANCHOR
        ),
        None,
    )
    if start is None:
        problems.add(name, None, f"no heading with the id {{#{PLAN_ANCHOR}}} (the chapter plan)")
        return []
    rows: list[list[Token]] = []
    in_body = False
    for token in tokens[start:]:
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tbody_close":
            break
        elif in_body and token.type == "tr_open":
            rows.append([])
        elif in_body and token.type == "inline":
            rows[-1].append(token)
    chapters: list[_Chapter] = []
    seen: set[int] = set()
    for cells in rows:
        if len(cells) < 4:
            problems.add(name, cells[0] if cells else None, "a plan row has four cells")
            continue
        number_text, file_cell, title, scope = (cell.content.strip() for cell in cells[:4])
        hrefs = [
            str(child.attrs["href"])
            for child in cells[1].children or []
            if child.type == "link_open"
        ]
        file_name = hrefs[0] if hrefs else file_cell.strip("`")
        match = CHAPTER_FILE.match(file_name)
        if match is None or match.group(1) != number_text:
            problems.add(name, cells[0], f"plan row {number_text!r}: file {file_name!r} mismatched")
            continue
        number = int(number_text)
        if number in seen:
            problems.add(name, cells[0], f"chapter number {number_text} planned twice")
            continue
        seen.add(number)
        chapters.append(_Chapter(number, file_name, title, scope, present=False))
    return sorted(chapters, key=lambda chapter: chapter.number)


# Building ------------------------------------------------------------------------------------


@cache
def _test_names(path: Path) -> frozenset[str]:
    """Test functions pytest collects from ``path``: ``test_x`` and ``TestY::test_x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, functions) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, functions) and item.name.startswith("test"):
                    names.add(f"{node.name}::{item.name}")
    return frozenset(names)


def _test_exists(root: Path, test_id: str) -> bool:
    file_part, _, name = test_id.partition("::")
    name = name.split("[", 1)[0]
    path = root / file_part
    return path.is_file() and name in _test_names(path.resolve())


def _without_marks(text: str) -> str:
    """The text of a claim with its marks taken out, for the claim register."""
    return re.sub(r"\s+([.,;:])", r"\1", text.replace(_PLACEHOLDER, "")).strip()


def _short(text: str) -> str:
    return repr(text if len(text) <= 90 else text[:87] + "...")


def _mark_problems(root: Path, kind: str, basis: str, closed: bool) -> list[str]:
    """Why a claim mark is not acceptable; empty when it is."""
    if not closed:
        return [f"claim mark [[{kind}: is not closed with ]]"]
    if kind not in KINDS:
        return [f"unknown claim kind {kind!r}: use one of {', '.join(KINDS)}"]
    problems: list[str] = []
    words = len(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", basis).split())
    if kind == "tested":
        for item in (part.strip().strip("`").strip() for part in basis.split(",")):
            if not _TEST_ID.fullmatch(item):
                problems.append(f"tested mark names {item!r}, not tests/test_x.py::test_name")
            elif not _test_exists(root, item):
                problems.append(f"tested mark names {item!r}, which does not exist")
    elif kind == "proven" and words < _MIN_PROVEN_WORDS and "](" not in basis:
        problems.append("a proven mark gives its argument, or links to where it is written")
    elif kind in ("assumed", "planned") and words < _MIN_WORDS:
        article = "an" if kind == "assumed" else "a"
        problems.append(f"{article} {kind} mark says in words what is {kind}")
    if kind == "planned":
        for test_id in _TEST_ID.findall(basis):
            if _test_exists(root, test_id):
                problems.append(f"planned mark names {test_id!r}, which exists: mark it tested")
    return problems


def _octets(value: object) -> str:
    """How a vector value reads in a table: octets by their length, numbers and text as is."""
    if isinstance(value, str) and len(value) >= 16 and re.fullmatch(r"(?:[0-9a-f]{2})+", value):
        return f"{len(value) // 2} octets"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        count, noun = len(value), "field" if isinstance(value, dict) else "item"
        return f"{count} {noun}{'' if count == 1 else 's'}"
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 40 else text[:37] + "..."


def _fields(part: object) -> str:
    if not isinstance(part, dict) or not part:
        return ""
    return "; ".join(f"`{key}`: {_octets(value)}" for key, value in part.items())


def vector_table(name: str, content: dict[str, Any]) -> str:
    """The Markdown table of one vector file: a row per case, with what it takes
    (inputs), the intermediate values it records (trace), what it produces (outputs)
    and its negative cases with the error each must raise."""
    cases = content["cases"]
    if not isinstance(cases, list) or not cases:
        raise ValueError("a vector file lists its cases")
    lines = [
        f"[`{VECTORS_DIR}/{name}`]({VECTORS_DIR}/{name}): {content['title']}; "
        f"specified in [{content['spec']}](../{content['spec']}). Shared inputs: "
        f"{_fields(content.get('inputs')) or 'none'}"
        + (f"; shared outputs: {_fields(content['output'])}." if "output" in content else "."),
        "",
        "| Case | Inputs | Intermediate values | Outputs | Negative cases |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case in cases:
        produced = {
            key: value
            for key, value in case.items()
            if key not in ("caseName", "inputs", "trace", "negative")
        }
        outputs = _fields(case.get("output")) or _fields(produced)
        negative = case.get("negative", [])
        errors = sorted({entry["error"] for entry in negative})
        refused = f"{len(negative)}: {', '.join(errors)}" if negative else "none"
        lines.append(
            f"| {case['caseName']} | {_fields(case.get('inputs')) or 'shared'} | "
            f"{_fields(case.get('trace')) or 'none'} | {outputs or 'none'} | {refused} |"
        )
    return "\n".join(lines) + "\n"


def _walk_inline(tokens: Sequence[Token]) -> Iterator[tuple[Token, Token]]:
    """Each inline child with the block-level inline token that holds it."""
    for token in tokens:
        for child in token.children or []:
            yield token, child


class _Builder:
    def __init__(self, spec_dir: Path, output: Path) -> None:
        self.spec_dir = spec_dir.resolve()
        self.root = self.spec_dir.parent
        self.output = output.resolve()
        self.md = _markdown()
        self.problems = _Problems()
        self.chapters: list[_Chapter] = []
        self.headings: list[_Heading] = []
        self.claims: list[Claim] = []
        self.claim_chapters: set[str] = set()
        self.global_ids: set[str] = {REGISTER_ANCHOR}

    # Loading.

    def load(self) -> None:
        files = {path.name: path for path in self.spec_dir.glob("*.md")}
        front = next((path for name, path in sorted(files.items()) if name.startswith("00-")), None)
        if front is None:
            self.problems.add("spec", None, "no 00-*.md front matter with the chapter plan")
            return
        self.chapters = _plan(self.md, front, self.problems)
        planned = {chapter.name for chapter in self.chapters}
        for name in sorted(files):
            if CHAPTER_FILE.match(name) and name not in planned:
                self.problems.add(name, None, "chapter file missing from the plan in 00-front.md")
        tabled: set[str] = set()
        for chapter in self.chapters:
            path = files.get(chapter.name)
            if path is not None:
                chapter.present = True
                source = self._vector_tables(chapter.name, path.read_text(encoding="utf-8"), tabled)
            else:
                source = (
                    f"# {chapter.title}\n\n**Not yet written.** This chapter will contain: "
                    f"{chapter.scope}\n"
                )
            chapter.tokens = self.md.parse(source, {})
        vectors = self.spec_dir / VECTORS_DIR
        on_disk = {path.name for path in vectors.glob("*.json")} if vectors.is_dir() else set()
        for name in sorted(on_disk - tabled):
            self.problems.add(
                f"{VECTORS_DIR}/{name}", None, "vector file without a table: add <!-- vectors: -->"
            )

    def _vector_tables(self, chapter: str, source: str, tabled: set[str]) -> str:
        """``source`` with each ``<!-- vectors: NAME -->`` line replaced by NAME's table."""

        def table(match: re.Match[str]) -> str:
            name = match.group(1)
            line = source.count("\n", 0, match.start()) + 1
            if not _VECTOR_NAME.fullmatch(name):
                message = f"vector file {name}: not the name of a .json file in {VECTORS_DIR}/"
                self.problems.items.append(Problem(chapter, line, message))
                return ""
            path = self.spec_dir / VECTORS_DIR / name
            try:
                content = json.loads(path.read_text(encoding="utf-8"))
                rendered = vector_table(name, content)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self.problems.items.append(Problem(chapter, line, f"vector file {name}: {exc}"))
                return ""
            tabled.add(name)
            return rendered

        return _VECTORS_LINE.sub(table, source)

    # Headings and anchors.

    def number_headings(self) -> None:
        explicit: list[tuple[_Chapter, Token, Token, str]] = []
        automatic: list[tuple[_Chapter, Token, Token]] = []
        for chapter in self.chapters:
            tokens = chapter.tokens
            h1 = [t for t in tokens if t.type == "heading_open" and t.tag == "h1"]
            first = next((t for t in tokens if t.type != "html_block"), None)
            if first is None or first.type != "heading_open" or first.tag != "h1":
                self.problems.add(chapter.name, first, "a chapter opens with its # heading")
            if len(h1) > 1:
                self.problems.add(chapter.name, h1[1], "one # heading per chapter")
            for index, token in enumerate(tokens):
                if token.type != "heading_open":
                    continue
                inline = tokens[index + 1]
                match = _EXPLICIT_ID.search(inline.content)
                if match:
                    self._strip_explicit_id(inline)
                    explicit.append((chapter, token, inline, match.group(1)))
                else:
                    automatic.append((chapter, token, inline))
            for token in tokens:
                if token.type in ("html_block", "html_inline"):
                    self._collect_html_ids(chapter, token, token.content)
                for block, child in _walk_inline([token]):
                    if child.type == "html_inline":
                        self._collect_html_ids(chapter, block, child.content)
        for chapter, token, _inline, anchor in explicit:
            if anchor in self.global_ids:
                self.problems.add(chapter.name, token, f"id {anchor!r} defined twice")
            self.global_ids.add(anchor)
        assigned: dict[int, str] = {id(token): anchor for _c, token, _i, anchor in explicit}
        for chapter, token, inline in automatic:
            base = _slug(_inline_text(inline.children or []))
            anchor, suffix = base, 2
            while anchor in self.global_ids:
                anchor, suffix = f"{base}-{suffix}", suffix + 1
            self.global_ids.add(anchor)
            assigned[id(token)] = anchor
            chapter.local_ids.setdefault(base, anchor)
        for chapter in self.chapters:
            self._number(chapter, assigned)

    def _strip_explicit_id(self, inline: Token) -> None:
        inline.content = _EXPLICIT_ID.sub("", inline.content)
        children = inline.children or []
        if children and children[-1].type == "text":
            children[-1].content = _EXPLICIT_ID.sub("", children[-1].content)

    def _collect_html_ids(self, chapter: _Chapter, token: Token, content: str) -> None:
        for anchor in _HTML_ID.findall(content):
            if anchor in self.global_ids:
                self.problems.add(chapter.name, token, f"id {anchor!r} defined twice")
            self.global_ids.add(anchor)
            chapter.local_ids.setdefault(anchor, anchor)

    def _number(self, chapter: _Chapter, assigned: dict[int, str]) -> None:
        counters = [0, 0]
        tokens = chapter.tokens
        for index, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            inline = tokens[index + 1]
            anchor = assigned[id(token)]
            token.attrSet("id", anchor)
            level = int(token.tag[1])
            text = _inline_text(inline.children or [])
            chapter.local_ids.setdefault(anchor, anchor)
            number = ""
            if level == 1:
                chapter.anchor = anchor
                counters = [0, 0]
                number = str(chapter.number) if chapter.number else ""
            elif level in (2, 3) and chapter.number:
                if level == 2:
                    counters = [counters[0] + 1, 0]
                else:
                    counters[1] += 1
                parts = [chapter.number, *counters[: level - 1]]
                number = ".".join(str(part) for part in parts)
            if number and not _NUMBERED.match(text):
                label = Token("html_inline", "", 0, content=f'<span class="secno">{number}</span> ')
                inline.children = [label, *(inline.children or [])]
            else:
                number = ""
            if level <= 3:
                self.headings.append(_Heading(level, anchor, number, text, chapter.name))

    # Links.

    def resolve_links(self) -> None:
        by_name = {chapter.name: chapter for chapter in self.chapters}
        for chapter in self.chapters:
            for block, child in _walk_inline(chapter.tokens):
                if child.type == "link_open":
                    self._resolve(chapter, by_name, block, child, "href")
                elif child.type == "image":
                    self._resolve(chapter, by_name, block, child, "src")

    def _resolve(
        self,
        chapter: _Chapter,
        by_name: dict[str, _Chapter],
        block: Token,
        link: Token,
        attribute: str,
    ) -> None:
        href = str(link.attrs.get(attribute, ""))
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
            return  # an absolute URL (https:, mailto:): outside the document
        path_part, _, fragment = href.partition("#")
        fragment = unquote(fragment)
        target = chapter
        if path_part:
            resolved = (self.spec_dir / unquote(path_part)).resolve()
            other = by_name.get(resolved.name) if resolved.parent == self.spec_dir else None
            if other is None:
                self._resolve_file(chapter, block, link, attribute, resolved, href)
                return
            target = other
        if not fragment:
            link.attrSet(attribute, f"#{target.anchor}")
            return
        anchor = target.local_ids.get(fragment)
        if anchor is None and not path_part and fragment in self.global_ids:
            anchor = fragment
        if anchor is None:
            self.problems.add(chapter.name, block, f"broken reference {href!r}: no such anchor")
            return
        link.attrSet(attribute, f"#{anchor}")

    def _resolve_file(
        self, chapter: _Chapter, block: Token, link: Token, attribute: str, path: Path, href: str
    ) -> None:
        if not path.is_relative_to(self.root):
            self.problems.add(chapter.name, block, f"reference {href!r} leaves the repository")
        elif not path.exists():
            self.problems.add(chapter.name, block, f"broken reference {href!r}: no such file")
        else:
            relative = os.path.relpath(path, self.output.parent)
            fragment = href.partition("#")[2]
            link.attrSet(
                attribute, Path(relative).as_posix() + (f"#{fragment}" if fragment else "")
            )

    # Claims.

    def check_claims(self) -> None:
        for chapter in self.chapters:
            if chapter.present:
                self._check_chapter_claims(chapter)

    def _check_chapter_claims(self, chapter: _Chapter) -> None:
        tokens = chapter.tokens
        region: Token | None = None
        whole_chapter = False
        section = chapter.title
        row: list[Token] = []
        row_start: Token | None = None
        in_body = False
        for index, token in enumerate(tokens):
            directive = _DIRECTIVE.match(token.content) if token.type == "html_block" else None
            if directive is not None:
                word = directive.group(1)
                if word == "chapter":
                    whole_chapter = True
                    self.claim_chapters.add(chapter.name)
                elif word == "begin":
                    if region is not None:
                        self.problems.add(chapter.name, token, "claims: begin inside a region")
                    region = token
                elif region is None:
                    self.problems.add(chapter.name, token, "claims: end without claims: begin")
                else:
                    region = None
                continue
            strict = whole_chapter or region is not None
            before = tokens[index - 1].type if index else ""
            if token.type == "heading_open":
                section = _inline_text(tokens[index + 1].children or [])
            elif token.type in ("tbody_open", "tbody_close"):
                in_body = token.type == "tbody_open"
            elif token.type == "tr_open" and in_body:
                row, row_start = [], token
            elif token.type == "tr_close" and in_body:
                self._check_row(chapter, row_start, row, section, strict)
            elif token.type == "inline" and in_body and before == "td_open":
                row.append(token)
            elif token.type == "inline" and before == "paragraph_open":
                self._check_paragraph(chapter, token, section, strict)
            elif token.type == "inline":
                self._collect_claims(chapter, token, section, [])
        if region is not None:
            self.problems.add(chapter.name, region, "claims: begin without claims: end")

    def _check_paragraph(self, chapter: _Chapter, block: Token, section: str, strict: bool) -> None:
        text = _inline_text(block.children or [])
        sentences = split_sentences(text)
        statements = [
            _without_marks(sentence)
            for sentence in sentences
            for _ in range(sentence.count(_PLACEHOLDER))
        ]
        self._collect_claims(chapter, block, section, statements)
        if not strict or _LEAD_IN.match(text):
            return
        for sentence in sentences:
            if _PLACEHOLDER not in sentence and not sentence.endswith(":"):
                self.problems.add(chapter.name, block, f"claim without a mark: {_short(sentence)}")

    def _check_row(
        self,
        chapter: _Chapter,
        row_start: Token | None,
        cells: Sequence[Token],
        section: str,
        strict: bool,
    ) -> None:
        texts = [_inline_text(cell.children or []) for cell in cells]
        statement = " | ".join(_without_marks(text) for text in texts)
        for cell, text in zip(cells, texts, strict=True):
            self._collect_claims(chapter, cell, section, [statement] * text.count(_PLACEHOLDER))
        if strict and not any(_PLACEHOLDER in text for text in texts):
            self.problems.add(
                chapter.name, row_start, f"table row without a mark: {_short(statement)}"
            )

    def _collect_claims(
        self, chapter: _Chapter, block: Token, section: str, statements: Sequence[str]
    ) -> None:
        """Check and record the claim marks of one block; ``statements[i]`` is the i-th's text."""
        depth = 0
        found = 0
        for child in block.children or []:
            if child.type == "claim_close":
                depth -= 1
            elif child.type == "claim_open":
                if depth:
                    self.problems.add(chapter.name, block, "a claim mark inside another claim mark")
                depth += 1
                kind, basis = str(child.meta["kind"]), str(child.meta["basis"])
                for message in _mark_problems(self.root, kind, basis, bool(child.meta["closed"])):
                    self.problems.add(chapter.name, block, message)
                anchor = f"claim-{len(self.claims) + 1}"
                child.attrSet("id", anchor)
                statement = statements[found] if found < len(statements) else ""
                found += 1
                line = block.map[0] + 1 if block.map else 1
                self.claims.append(
                    Claim(chapter.name, line, kind, basis, statement, anchor, section)
                )

    # Rendering.

    def render(self) -> str:
        title = self.chapters[0].title if self.chapters else "zkcheck specification"
        for heading in self.headings:
            if heading.level == 1 and heading.chapter == self.chapters[0].name:
                title = heading.text
        sections = []
        for chapter in self.chapters:
            body = self.md.renderer.render(chapter.tokens, self.md.options, {})
            status = "" if chapter.present else " placeholder"
            sections.append(f'<section class="chapter{status}">\n{body}</section>')
        return _PAGE.format(
            title=html.escape(title),
            style=_STYLE,
            toc=self._toc(),
            body="\n".join(sections),
            register=self._register(),
        )

    def _toc(self) -> str:
        absent = {chapter.name for chapter in self.chapters if not chapter.present}
        lines = ['<nav id="toc"><h2>Contents</h2>']
        depth = 0
        for heading in self.headings:
            if heading.level > depth:
                lines.append("<ul>" * (heading.level - depth))
            else:
                lines.append("</li></ul>" * (depth - heading.level) + "</li>")
            depth = heading.level
            number = f"{heading.number} " if heading.number else ""
            note = " (not yet written)" if heading.level == 1 and heading.chapter in absent else ""
            text = html.escape(number + heading.text + note)
            lines.append(f'<li><a href="#{heading.anchor}">{text}</a>')
        lines.append("</li></ul>" * depth)
        lines.append(f'<ul><li><a href="#{REGISTER_ANCHOR}">Claim register</a></li></ul></nav>')
        return "\n".join(lines)

    def _register(self) -> str:
        counts = Counter(claim.kind for claim in self.claims)
        summary = ", ".join(f"{counts[kind]} {kind}" for kind in KINDS)
        rows = []
        for number, claim in enumerate(self.claims, 1):
            basis = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", claim.basis)
            rows.append(
                f'<tr><td><a href="#{claim.anchor}">{number}</a></td>'
                f'<td class="claim-{claim.kind}">{claim.kind}</td>'
                f"<td>{html.escape(claim.statement)}</td><td>{html.escape(basis)}</td>"
                f"<td>{html.escape(claim.section)}</td></tr>"
            )
        return _REGISTER.format(
            anchor=REGISTER_ANCHOR, total=len(self.claims), summary=summary, rows="\n".join(rows)
        )


def build(spec_dir: Path, output: Path | None = None) -> BuildReport:
    """Check the specification in ``spec_dir`` and write its HTML page to ``output``.

    Raises :class:`SpecError` listing every problem; nothing is written then.
    """
    output = output if output is not None else spec_dir / DEFAULT_OUTPUT
    builder = _Builder(spec_dir, output)
    builder.load()
    if not builder.problems.items:
        builder.number_headings()
        builder.resolve_links()
        builder.check_claims()
    if builder.problems.items:
        raise SpecError(builder.problems.items)
    page = builder.render()
    builder.output.parent.mkdir(parents=True, exist_ok=True)
    builder.output.write_text(page, encoding="utf-8")
    return BuildReport(
        output=builder.output,
        chapters=tuple(chapter.name for chapter in builder.chapters if chapter.present),
        placeholders=tuple(chapter.name for chapter in builder.chapters if not chapter.present),
        claims=tuple(builder.claims),
        claim_chapters=frozenset(builder.claim_chapters),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python spec/build.py [--out FILE]``; exit status 1 on problems."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--spec-dir", type=Path, default=here, help="the Markdown sources")
    parser.add_argument("--out", type=Path, default=None, help="the HTML page to write")
    arguments = parser.parse_args(argv)
    try:
        report = build(arguments.spec_dir, arguments.out)
    except SpecError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"spec: {len(error.problems)} problem(s); nothing written", file=sys.stderr)
        return 1
    counts = ", ".join(f"{count} {kind}" for kind, count in report.counts().items())
    print(
        f"wrote {report.output}: {len(report.chapters)} chapters, "
        f"{len(report.placeholders)} not yet written; {len(report.claims)} claims ({counts})"
    )
    return 0


_STYLE = """
body { font: 16px/1.5 Georgia, serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       color: #111; }
h1, h2, h3, h4 { font-family: Helvetica, Arial, sans-serif; line-height: 1.25; }
section.chapter > h1 { border-top: 2px solid #333; padding-top: .6em; margin-top: 2.5em; }
.secno { color: #555; margin-right: .3em; }
code, pre { font: 14px/1.4 Menlo, Consolas, monospace; }
pre { background: #f4f4f4; padding: .6em; overflow-x: auto; }
table { border-collapse: collapse; margin: 1em 0; font-size: 15px; }
th, td { border: 1px solid #bbb; padding: .25em .5em; vertical-align: top; text-align: left; }
th { background: #eee; }
nav#toc ul { list-style: none; padding-left: 1.2em; }
nav#toc > ul { padding-left: 0; }
.placeholder { color: #666; }
.claim { font-size: 85%; border-radius: 3px; padding: 0 .3em; white-space: normal; }
.claim::before { content: "["; } .claim::after { content: "]"; }
.claim-kind { font-weight: bold; font-family: Helvetica, Arial, sans-serif; }
.claim-proven { background: #e3f4e3; } .claim-tested { background: #e3ecfa; }
.claim-assumed { background: #fbf0d9; } .claim-planned { background: #eee; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
{toc}
{body}
{register}
</body>
</html>
"""

_REGISTER = """<section class="chapter" id="{anchor}">
<h1>Claim register</h1>
<p>Generated from the claim marks in the text: {total} claims, {summary}.
Each number links to the claim in place.</p>
<table>
<thead><tr><th>#</th><th>Kind</th><th>Claim</th><th>Basis</th><th>Section</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</section>
"""


if __name__ == "__main__":
    sys.exit(main())
