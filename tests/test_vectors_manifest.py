"""The official vectors are used unmodified: every file matches its recorded hash."""

import hashlib

from vectors_loader import VECTORS


def _manifest() -> dict[str, str]:
    entries = {}
    for line in (VECTORS / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        entries[name.removeprefix("./")] = digest
    return entries


def test_every_vector_file_is_unmodified() -> None:
    manifest = _manifest()
    assert manifest, "empty manifest"
    for name, digest in manifest.items():
        actual = hashlib.sha256((VECTORS / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} differs from the copy of its source"


def test_every_vector_file_is_in_the_manifest() -> None:
    on_disk = {
        str(path.relative_to(VECTORS))
        for path in VECTORS.rglob("*")
        if path.is_file() and path.name not in {"MANIFEST.sha256", "SOURCES.md"}
    }
    assert on_disk == set(_manifest())
