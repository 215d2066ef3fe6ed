"""The command's files are replaced whole: a failed write leaves the old content."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from zkcheck.cli.exits import EXIT_BAD_INPUT, CommandError
from zkcheck.cli.files import replace_file, write_object, write_secret


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _siblings(path: Path) -> list[str]:
    return sorted(entry.name for entry in path.parent.iterdir())


def test_a_public_file_is_replaced_with_the_mode_a_new_file_gets(tmp_path: Path) -> None:
    target = tmp_path / "presentation.cbor"
    target.write_bytes(b"old")
    previous = os.umask(0o027)
    try:
        replace_file(target, b"new content", secret=False)
    finally:
        os.umask(previous)
    assert target.read_bytes() == b"new content"
    assert _mode(target) == 0o640
    assert _siblings(target) == ["presentation.cbor"]


def test_a_secret_file_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    target = tmp_path / "wallet.cbor"
    write_secret(str(target), b"\xa0", replace=False)
    assert _mode(target) == 0o600
    assert target.read_bytes() == b"\xa0"


@pytest.mark.parametrize("secret", [False, True])
def test_a_failed_write_leaves_the_old_content_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: bool
) -> None:
    target = tmp_path / "kept.cbor"
    target.write_bytes(b"what was stored")

    def disk_full(_: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(CommandError) as refused:
        if secret:
            write_secret(str(target), b"\xa1\x00\x01", replace=True)
        else:
            write_object(str(target), b"\xa1\x00\x01")
    assert refused.value.code == EXIT_BAD_INPUT
    assert "No space left on device" in str(refused.value)
    assert target.read_bytes() == b"what was stored"
    assert _siblings(target) == ["kept.cbor"]


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.cbor"
    real.write_bytes(b"old")
    link = tmp_path / "link.cbor"
    link.symlink_to(real)
    write_object(str(link), b"\xa0")
    assert link.is_symlink()
    assert real.read_bytes() == b"\xa0"


def test_a_device_is_written_in_place_not_replaced() -> None:
    devnull = Path(os.devnull)
    write_object(str(devnull), b"\xa0")
    assert devnull.is_char_device()


def test_an_output_that_is_a_device_is_written_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    # /dev/null can be written by anyone, though /dev is not anyone's to create files in
    # (as a user other than root sees it).
    from zkcheck.cli import files

    real_access = os.access
    monkeypatch.setattr(
        files.os,
        "access",
        lambda path, mode: False if str(path) == "/dev" else real_access(path, mode),
    )
    files.check_output("/dev/null")
    with pytest.raises(CommandError, match="no writable directory"):
        files.check_output("/dev/zkcheck-not-a-device")


def test_an_output_that_is_a_directory_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    from zkcheck.cli import files

    with pytest.raises(CommandError, match="is a directory"):
        files.check_output(str(tmp_path))
