"""The one loader through which tests read official vectors (tests/vectors/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent / "vectors"


def vector_path(relative: str) -> Path:
    """Path of a vector file, relative to tests/vectors/."""
    path = VECTORS / relative
    if not path.is_file():
        raise FileNotFoundError(f"no vector file {relative!r} under {VECTORS}")
    return path


def load_json(relative: str) -> Any:
    """A vector file parsed as JSON, exactly as published."""
    return json.loads(vector_path(relative).read_text(encoding="utf-8"))


def load_dir(relative: str) -> list[tuple[str, Any]]:
    """Every ``*.json`` file of a vector folder, sorted by name, as (name, data)."""
    folder = VECTORS / relative
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no vector files in {folder}")
    return [(path.stem, json.loads(path.read_text(encoding="utf-8"))) for path in files]


def unhex(value: str) -> bytes:
    """Bytes from a vector's hex string (an optional 0x prefix allowed)."""
    return bytes.fromhex(value.removeprefix("0x"))
