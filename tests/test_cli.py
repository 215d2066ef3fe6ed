"""The zkcheck command: version, help with examples, exit codes, the tier registry, layering."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import zkcheck
from zkcheck.cli import commands, tiers
from zkcheck.cli.exits import EXIT_CODES
from zkcheck.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    main,
)
from zkcheck.roles.verifier import TIERS as VERIFIER_TIERS

# The package exports the function main, which hides the module of that name.
cli_main = importlib.import_module("zkcheck.cli.main")
CLI = Path(zkcheck.__file__).resolve().parent / "cli"
COMMANDS = (
    "demo", "keygen", "issue", "receive", "request", "present", "verify", "inspect", "trust",
)  # fmt: skip


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == EXIT_OK
    return capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"zkcheck {zkcheck.__version__}"


def test_help_lists_commands_exit_codes_file_formats_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _help(capsys)
    for command in (*COMMANDS, "bench"):
        assert f"\n    {command}" in text, command
    flowing = " ".join(text.split())
    for code, meaning in EXIT_CODES.items():
        assert f" {code} {meaning}" in flowing
    assert "base64url" in text and '"type"' in text and '"cbor"' in text
    assert "examples:" in text
    for command in COMMANDS:
        assert f"zkcheck {command}" in text, command


@pytest.mark.parametrize(
    "argv",
    [
        ("demo",),
        ("keygen",),
        ("keygen", "operator"),
        ("keygen", "holder"),
        ("issue",),
        ("receive",),
        ("request",),
        ("present",),
        ("verify",),
        ("inspect",),
        ("trust",),
        ("trust", "init"),
        ("trust", "add-operator"),
        ("trust", "rotate"),
        ("trust", "revoke"),
        ("trust", "sign"),
        ("trust", "show"),
    ],
)
def test_every_command_has_a_description_options_and_an_example(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    text = _help(capsys, *argv)
    assert "example:\n  zkcheck " + argv[0] in text
    assert "options:" in text
    # A description beyond the usage line and the option list.
    assert len(text.split("options:")[0].splitlines()) >= 3


def test_the_exit_codes_are_distinct_and_documented() -> None:
    codes = (EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_BAD_INPUT, EXIT_INTERNAL)
    assert codes == (0, 1, 2, 3, 4, 5)
    assert set(EXIT_CODES) == set(codes)


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_USAGE
    assert "usage:" in capsys.readouterr().out


def test_an_unknown_option_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["inspect", "--colour", "x"])
    assert exit_info.value.code == EXIT_USAGE


def test_a_bug_exits_with_the_internal_error_code_and_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("unexpected state")

    monkeypatch.setattr(commands, "cmd_inspect", broken)
    assert main(["inspect", "anything"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError: unexpected state" in err


def test_console_entry_point_runs_as_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zkcheck", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("zkcheck ")


def test_bench_lists_benchmarks_from_the_checkout() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zkcheck", "bench", "--list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_bench_outside_a_checkout_is_unavailable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_main, "_find_benchmarks", lambda: None)
    assert main(["bench", "--list"]) == EXIT_UNAVAILABLE
    assert "source repository" in capsys.readouterr().err


# -- the tier registry ----------------------------------------------------------------


def test_every_tier_the_verifier_knows_is_built_in_the_command() -> None:
    built = {entry.name for entry in tiers.landed()}
    assert set(VERIFIER_TIERS) == built
    assert built.isdisjoint(entry.name for entry in tiers.planned())
    assert list(tiers.REGISTRY) == ["signed", "token", "credential"]


def test_a_tier_not_built_is_unavailable_and_an_unknown_one_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = {**tiers.REGISTRY, "future": tiers.Planned("future", "a tier of a later version")}
    monkeypatch.setattr(tiers, "REGISTRY", planned)
    args = ["--operator-id", "op.example", "--out", str(tmp_path / "k"), "--keyset", "-"]
    assert main(["keygen", "operator", "--tier", "future", *args]) == EXIT_UNAVAILABLE
    assert "future tier" in capsys.readouterr().err
    assert main(["keygen", "operator", "--tier", "quantum", *args]) == EXIT_USAGE
    assert not (tmp_path / "k").exists()


def test_object_types_belong_to_one_tier_each() -> None:
    seen: set[str] = set()
    for entry in tiers.landed():
        assert seen.isdisjoint(entry.kinds)
        seen |= entry.kinds
        for kind in entry.kinds:
            assert tiers.owner(kind) is entry


# -- the command stays thin -----------------------------------------------------------

CRYPTO_MODULES = ("zkcheck.hazmat", "nacl", "cryptography", "gmpy2", "hashlib", "hmac", "secrets")


def test_the_command_computes_no_cryptography() -> None:
    """cli/ reaches cryptography only through the roles: it imports no primitive."""
    offenders = []
    for path in CLI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}"
                for name in names
                if any(name == m or name.startswith(m + ".") for m in CRYPTO_MODULES)
            ]
    assert not offenders, offenders
    assert any(CLI.rglob("*.py"))
