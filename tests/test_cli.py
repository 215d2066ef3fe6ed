"""The zkcheck command: version, help with examples, and the honest demo."""

import subprocess
import sys

import pytest

import zkcheck
from zkcheck.cli.main import EXIT_OK, EXIT_USAGE, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"zkcheck {zkcheck.__version__}"


def test_help_lists_commands_exit_codes_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for expected in ("demo", "bench", "exit codes", "example"):
        assert expected in text


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_USAGE


def test_demo_names_what_is_not_built_and_claims_no_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Not built yet" in out
    assert "Nothing was issued or verified." in out
    for verdict in ("accepted", "refused"):
        assert verdict not in out.lower()


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
