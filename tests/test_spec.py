"""The specification builds, its references resolve, and its claim marks are honest.

The builder is ``spec/build.py`` (not part of the package). These tests run it on the real
sources, then on small specifications that are broken on purpose, one fault each, to show
that every check of the convention in ``spec/00-front.md`` ("Claim marks") can fail.
"""

import html
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import zkcheck

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"


def _load_builder() -> ModuleType:
    loader_spec = importlib.util.spec_from_file_location("spec_build", SPEC / "build.py")
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules["spec_build"] = module
    loader_spec.loader.exec_module(module)
    return module


build = _load_builder()

PLAN_HEAD = """# Title

## Chapters {#chapter-plan}

| Number | File | Title | Scope |
| --- | --- | --- | --- |
| 00 | [00-front.md](00-front.md) | Front | This plan. |
"""

TESTS = """
import pytest

def test_exists():
    pass

class TestGroup:
    def test_method(self):
        pass

@pytest.mark.parametrize("x", [1, 2])
def test_param(x):
    pass
"""


def make_spec(root: Path, chapters: dict[str, str], planned: tuple[str, ...] = ()) -> Path:
    """A repository at ``root`` with ``spec/`` holding ``chapters`` and a tests file."""
    spec = root / "spec"
    spec.mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "tests" / "test_sample.py").write_text(TESTS, encoding="utf-8")
    rows = [
        f"| {name[:2]} | [{name}]({name}) | {name[3:-3].title()} | Scope of {name}. |"
        for name in sorted({*chapters, *planned})
    ]
    (spec / "00-front.md").write_text(PLAN_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    for name, text in chapters.items():
        (spec / name).write_text(text, encoding="utf-8")
    return spec


def problems_of(spec: Path) -> list[str]:
    with pytest.raises(build.SpecError) as caught:
        build.build(spec)
    return [str(problem) for problem in caught.value.problems]


CLAIMS = "# Privacy\n\n<!-- claims: chapter -->\n\n"


# The real specification ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build.build(SPEC, tmp_path_factory.mktemp("spec") / "zkcheck-spec.html")


def test_the_specification_builds_without_broken_references(report: Any) -> None:
    page = report.output.read_text(encoding="utf-8")
    assert '<nav id="toc">' in page and 'id="claim-register"' in page
    for name in ("10-privacy.md", "11-security.md", "12-legal.md", "02-checks.md"):
        assert name in report.chapters
    planned = set(report.chapters) | set(report.placeholders)
    on_disk = {path.name for path in SPEC.glob("[0-9][0-9]-*.md")}
    assert on_disk <= planned
    for name in report.placeholders:
        assert not (SPEC / name).exists()
    assert page.count("Not yet written.") == len(report.placeholders)


def test_privacy_and_security_are_claim_chapters(report: Any) -> None:
    assert {"10-privacy.md", "11-security.md"} <= report.claim_chapters


def test_every_tested_mark_names_a_test_that_exists(report: Any) -> None:
    # A cross-check by another route than the builder's: the test's source defines it.
    tested = [claim for claim in report.claims if claim.kind == "tested"]
    assert tested, "the specification shows no tested claim at all"
    for claim in tested:
        for item in claim.basis.split(","):
            file_part, _, name = item.strip().strip("`").partition("::")
            function = name.split("::")[-1].split("[")[0]
            source = (ROOT / file_part).read_text(encoding="utf-8")
            assert re.search(rf"^\s*def {function}\(", source, re.MULTILINE), item


def test_the_appendix_has_a_table_for_every_vector_file(report: Any) -> None:
    page = report.output.read_text(encoding="utf-8")
    appendix = page.split('id="test-vectors"', 1)[1]
    for path in sorted((SPEC / "vectors").glob("*.json")):
        content = json.loads(path.read_text(encoding="utf-8"))
        assert f"vectors/{path.name}" in appendix
        for case in content["cases"]:
            assert html.escape(case["caseName"], quote=False) in appendix


def test_every_conformance_item_names_vectors_or_a_test() -> None:
    """Chapter 20's checklist: each item names a vector file or a test (whose existence the
    build checks), and every vector file is named by some item."""
    text = (SPEC / "20-conformance.md").read_text(encoding="utf-8")
    checklist = text.split("{#checklist}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in checklist.splitlines() if re.match(r"^\| \d+ \|", line)]
    assert len(rows) >= 20
    named: set[str] = set()
    for row in rows:
        files = set(re.findall(r"\(vectors/([\w-]+\.json)\)", row))
        assert files or "[[tested:" in row, row
        named |= files
    assert named == {path.name for path in (SPEC / "vectors").glob("*.json")}


def test_front_matter_names_the_package_version() -> None:
    front = (SPEC / "00-front.md").read_text(encoding="utf-8")
    assert f"describing zkcheck {zkcheck.__version__}" in front


# References ----------------------------------------------------------------------------------


def test_a_broken_anchor_fails(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {"01-intro.md": "# Intro\n\nSee [there](#nowhere).\n"})
    assert problems_of(spec) == ["01-intro.md:3: broken reference '#nowhere': no such anchor"]


def test_a_link_to_an_anchor_of_another_chapter_must_exist(tmp_path: Path) -> None:
    chapters = {
        "01-intro.md": "# Intro\n\n[ok](02-more.md#detail) and [bad](02-more.md#nothing)\n",
        "02-more.md": "# More\n\n## Detail\n\nText.\n",
    }
    spec = make_spec(tmp_path, chapters)
    assert problems_of(spec) == [
        "01-intro.md:3: broken reference '02-more.md#nothing': no such anchor"
    ]
    chapters["01-intro.md"] = "# Intro\n\n[ok](02-more.md#detail)\n"
    (spec / "01-intro.md").write_text(chapters["01-intro.md"], encoding="utf-8")
    page = build.build(spec).output.read_text(encoding="utf-8")
    assert '<a href="#detail">ok</a>' in page


def test_a_link_to_a_missing_file_fails(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {"01-intro.md": "# Intro\n\nSee [code](../zkcheck/none.py).\n"})
    assert problems_of(spec) == [
        "01-intro.md:3: broken reference '../zkcheck/none.py': no such file"
    ]


def test_a_link_to_a_repository_file_is_rewritten_for_the_output(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path, {"01-intro.md": "# Intro\n\nSee [tests](../tests/test_sample.py).\n"}
    )
    page = build.build(spec).output.read_text(encoding="utf-8")
    assert 'href="../../tests/test_sample.py"' in page


def test_a_link_leaving_the_repository_fails(tmp_path: Path) -> None:
    (tmp_path / "outside.md").write_text("x", encoding="utf-8")
    spec = make_spec(tmp_path / "repo", {"01-intro.md": "# Intro\n\n[x](../../outside.md)\n"})
    assert problems_of(spec) == [
        "01-intro.md:3: reference '../../outside.md' leaves the repository"
    ]


def test_a_planned_chapter_gets_a_placeholder_that_links_resolve_to(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path, {"01-intro.md": "# Intro\n\nSee [tokens](07-tokens.md).\n"}, ("07-tokens.md",)
    )
    result = build.build(spec)
    page = result.output.read_text(encoding="utf-8")
    assert result.placeholders == ("07-tokens.md",)
    assert '<h1 id="tokens"><span class="secno">7</span> Tokens</h1>' in page
    assert "Not yet written." in page and '<a href="#tokens">tokens</a>' in page
    assert "7 Tokens (not yet written)" in page


def test_a_chapter_missing_from_the_plan_fails(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {})
    (spec / "05-stray.md").write_text("# Stray\n", encoding="utf-8")
    assert problems_of(spec) == ["05-stray.md:1: chapter file missing from the plan in 00-front.md"]


def test_an_id_defined_twice_fails(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {"01-a.md": "# A {#same}\n", "02-b.md": "# B\n\n## Also {#same}\n"})
    assert problems_of(spec) == ["02-b.md:3: id 'same' defined twice"]


def test_headings_are_numbered_by_chapter(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {"04-tier.md": "# Tier\n\n## One\n\n### Sub\n\n## Two\n"})
    page = build.build(spec).output.read_text(encoding="utf-8")
    for number, title in (("4", "Tier"), ("4.1", "One"), ("4.1.1", "Sub"), ("4.2", "Two")):
        assert f'<span class="secno">{number}</span> {title}' in page


def test_a_chapter_opens_with_one_title_heading(tmp_path: Path) -> None:
    chapters = {
        "01-a.md": "<!-- a comment may come first -->\n\n# 1. Numbered by hand\n",
        "02-b.md": "Text before the title.\n\n# B\n",
        "03-c.md": "# C\n\n# Another title\n",
    }
    assert problems_of(make_spec(tmp_path, chapters)) == [
        "02-b.md:1: a chapter opens with its # heading",
        "03-c.md:3: one # heading per chapter",
    ]
    del chapters["02-b.md"], chapters["03-c.md"]
    page = build.build(make_spec(tmp_path / "ok", chapters)).output.read_text("utf-8")
    assert '<h1 id="1-numbered-by-hand">1. Numbered by hand</h1>' in page


# Claim marks ---------------------------------------------------------------------------------


def test_a_tested_mark_naming_a_missing_test_fails(tmp_path: Path) -> None:
    text = "# A\n\nIt holds [[tested: tests/test_sample.py::test_missing]].\n"
    spec = make_spec(tmp_path, {"01-a.md": text})
    assert problems_of(spec) == [
        "01-a.md:3: tested mark names 'tests/test_sample.py::test_missing', which does not exist"
    ]


def test_a_tested_mark_naming_a_missing_file_or_no_test_id_fails(tmp_path: Path) -> None:
    text = (
        "# A\n\nIt holds [[tested: tests/test_none.py::test_exists]].\n\n"
        "It holds [[tested: the suite shows it]].\n"
    )
    spec = make_spec(tmp_path, {"01-a.md": text})
    assert problems_of(spec) == [
        "01-a.md:3: tested mark names 'tests/test_none.py::test_exists', which does not exist",
        "01-a.md:5: tested mark names 'the suite shows it', not tests/test_x.py::test_name",
    ]


def test_tested_marks_naming_existing_tests_pass(tmp_path: Path) -> None:
    text = (
        "# A\n\nIt holds [[tested: tests/test_sample.py::test_exists,\n"
        "`tests/test_sample.py::TestGroup::test_method`, tests/test_sample.py::test_param[1]]].\n"
    )
    result = build.build(make_spec(tmp_path, {"01-a.md": text}))
    assert result.counts() == {"proven": 0, "tested": 1, "assumed": 0, "planned": 0}


def test_a_planned_mark_whose_test_exists_fails(tmp_path: Path) -> None:
    text = "# A\n\nIt will hold [[planned: tests/test_sample.py::test_exists will show it]].\n"
    spec = make_spec(tmp_path, {"01-a.md": text})
    assert problems_of(spec) == [
        "01-a.md:3: planned mark names 'tests/test_sample.py::test_exists', which exists:"
        " mark it tested"
    ]


def test_a_planned_mark_is_never_counted_as_tested(tmp_path: Path) -> None:
    text = "# A\n\nIt will hold [[planned: tests/test_sample.py::test_later will show it]].\n"
    result = build.build(make_spec(tmp_path, {"01-a.md": text}))
    assert result.counts() == {"proven": 0, "tested": 0, "assumed": 0, "planned": 1}
    assert 'class="claim claim-planned"' in result.output.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("mark", "message"),
    [
        ("[[tsted: tests/test_sample.py::test_exists]]", "unknown claim kind 'tsted'"),
        ("[[proven: short]]", "a proven mark gives its argument"),
        ("[[assumed: it]]", "an assumed mark says in words what is assumed"),
        ("[[planned: later]]", "a planned mark says in words what is planned"),
        ("[[assumed: never closed", "is not closed with ]]"),
        ("[[assumed: outer [[assumed: inner one here]] rest]]", "inside another claim mark"),
    ],
)
def test_malformed_marks_fail(tmp_path: Path, mark: str, message: str) -> None:
    spec = make_spec(tmp_path, {"01-a.md": f"# A\n\nIt holds {mark}.\n"})
    problems = problems_of(spec)
    assert len(problems) == 1 and message in problems[0], problems


def test_a_proven_mark_may_link_to_its_argument(tmp_path: Path) -> None:
    text = "# A\n\n## Why\n\nArgument.\n\nIt holds [[proven: see [why](#why)]].\n"
    assert build.build(make_spec(tmp_path, {"01-a.md": text})).counts()["proven"] == 1
    text = "# A\n\nIt holds [[proven: see [why](#nowhere)]].\n"
    assert problems_of(make_spec(tmp_path / "b", {"01-a.md": text})) == [
        "01-a.md:3: broken reference '#nowhere': no such anchor"
    ]


def test_an_unmarked_sentence_in_a_claim_chapter_fails(tmp_path: Path) -> None:
    text = (
        CLAIMS + "The verifier learns the operator [[proven: see [A](#privacy)]]. It learns more.\n"
    )
    assert problems_of(make_spec(tmp_path, {"10-privacy.md": text})) == [
        "10-privacy.md:5: claim without a mark: 'It learns more.'"
    ]


def test_an_unmarked_list_item_and_table_row_fail(tmp_path: Path) -> None:
    text = CLAIMS + (
        "- Marked [[assumed: TLS hides content]].\n- Unmarked.\n\n"
        "| Party | Learns | Basis |\n| --- | --- | --- |\n"
        "| RP | the operator | [[assumed: keys name operators]] |\n| Operator | nothing | none |\n"
    )
    assert problems_of(make_spec(tmp_path, {"10-privacy.md": text})) == [
        "10-privacy.md:6: claim without a mark: 'Unmarked.'",
        "10-privacy.md:11: table row without a mark: 'Operator | nothing | none'",
    ]


def test_a_mark_after_the_full_stop_belongs_to_its_sentence(tmp_path: Path) -> None:
    text = (
        CLAIMS
        + "One claim. [[assumed: stated right after]] Another [[assumed: stated inside it]].\n"
    )
    result = build.build(make_spec(tmp_path, {"10-privacy.md": text}))
    assert [claim.statement for claim in result.claims] == ["One claim.", "Another."]


def test_lead_ins_introductions_and_labels_need_no_mark(tmp_path: Path) -> None:
    text = CLAIMS + (
        "Context. Background with two sentences. No mark needed.\n\n"
        "**Note:** Also exempt. Really.\n\n"
        "The parties are the following:\n\n"
        "- **Operator.** Signs [[assumed: the operator signs honestly]].\n"
    )
    result = build.build(make_spec(tmp_path, {"10-privacy.md": text}))
    assert [claim.statement for claim in result.claims] == ["Operator: Signs."]


def test_marks_are_required_only_inside_claim_regions(tmp_path: Path) -> None:
    text = (
        "# Checks\n\nOutside, no mark needed.\n\n<!-- claims: begin -->\n\n"
        "Inside, unmarked.\n\n<!-- claims: end -->\n\nOutside again.\n"
    )
    assert problems_of(make_spec(tmp_path, {"02-checks.md": text})) == [
        "02-checks.md:7: claim without a mark: 'Inside, unmarked.'"
    ]


def test_unbalanced_claim_regions_fail(tmp_path: Path) -> None:
    text = "# A\n\n<!-- claims: end -->\n\n<!-- claims: begin -->\n\nText [[assumed: a b c]].\n"
    assert problems_of(make_spec(tmp_path, {"01-a.md": text})) == [
        "01-a.md:3: claims: end without claims: begin",
        "01-a.md:5: claims: begin without claims: end",
    ]


VECTOR = {
    "title": "A sample",
    "spec": "spec/01-a.md",
    "inputs": {"key": "00" * 32},
    "cases": [
        {
            "caseName": "first case",
            "inputs": {"seedLabel": "a label"},
            "trace": {"digest": "11" * 32},
            "output": {"message": "22" * 20},
            "negative": [{"description": "changed", "error": "DecodeError"}],
        }
    ],
}


def test_a_vectors_line_becomes_a_table_of_the_file(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {"01-a.md": "# A\n\n<!-- vectors: sample.json -->\n"})
    (spec / "vectors").mkdir()
    (spec / "vectors" / "sample.json").write_text(json.dumps(VECTOR), encoding="utf-8")
    page = build.build(spec).output.read_text(encoding="utf-8")
    assert '<a href="../vectors/sample.json"><code>vectors/sample.json</code></a>' in page
    assert "<td>first case</td>" in page and "<code>digest</code>: 32 octets" in page
    assert "<code>message</code>: 20 octets" in page and "<td>1: DecodeError</td>" in page


def test_a_vector_file_must_have_a_table_and_a_table_a_file(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {"01-a.md": "# A\n\n<!-- vectors: missing.json -->\n"})
    (spec / "vectors").mkdir()
    (spec / "vectors" / "sample.json").write_text(json.dumps(VECTOR), encoding="utf-8")
    (spec / "vectors" / "broken.json").write_text("{", encoding="utf-8")
    problems = problems_of(spec)
    assert any(p.startswith("01-a.md:3: vector file missing.json:") for p in problems), problems
    assert "vectors/sample.json:1: vector file without a table: add <!-- vectors: -->" in problems
    assert "vectors/broken.json:1: vector file without a table: add <!-- vectors: -->" in problems


def test_a_vectors_line_names_a_file_of_the_vectors_directory(tmp_path: Path) -> None:
    source = "# A\n\n<!-- vectors: ../vectors/sample.json -->\n\n<!-- vectors: sample.txt -->\n"
    spec = make_spec(tmp_path, {"01-a.md": source})
    (spec / "vectors").mkdir()
    (spec / "vectors" / "sample.json").write_text(json.dumps(VECTOR), encoding="utf-8")
    problems = problems_of(spec)
    for line, name in ((3, "../vectors/sample.json"), (5, "sample.txt")):
        message = f"01-a.md:{line}: vector file {name}: not the name of a .json file in vectors/"
        assert message in problems, problems


def test_nothing_is_written_when_the_build_fails(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, {"01-a.md": "# A\n\n[x](#nowhere)\n"})
    problems_of(spec)
    assert not (spec / "build").exists()


def test_the_claim_register_lists_every_claim(tmp_path: Path) -> None:
    text = CLAIMS + "A [[assumed: first basis here]]. B [[proven: see [P](#privacy)]].\n"
    page = build.build(make_spec(tmp_path, {"10-privacy.md": text})).output.read_text("utf-8")
    register = page.split('id="claim-register"', 1)[1]
    assert "2 claims, 1 proven, 0 tested, 1 assumed, 0 planned" in register
    assert '<a href="#claim-1">1</a>' in register and "first basis here" in register


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("See e.g. Art. 5 of it. Next one.", ["See e.g. Art. 5 of it.", "Next one."]),
        ("Version 1.5 holds. Yes", ["Version 1.5 holds.", "Yes"]),
        ("Ends with a mark. \x00 Then more.", ["Ends with a mark.\x00", "Then more."]),
        ("lower. case continues", ["lower. case continues"]),
    ],
)
def test_sentence_splitting(text: str, sentences: list[str]) -> None:
    assert build.split_sentences(text) == sentences


def test_the_command_line_reports_problems_and_success(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = make_spec(tmp_path, {"01-a.md": "# A\n\n[x](#nowhere)\n"})
    assert build.main(["--spec-dir", str(spec)]) == 1
    assert "01-a.md:3: broken reference '#nowhere'" in capsys.readouterr().err
    (spec / "01-a.md").write_text("# A\n\nFine [[assumed: nothing to see]].\n", encoding="utf-8")
    assert build.main(["--spec-dir", str(spec)]) == 0
    assert "1 claims (0 proven, 0 tested, 1 assumed, 0 planned)" in capsys.readouterr().out
