"""Imports point one way (DESIGN.md, "Layers").

cli, http -> roles -> trust -> encoding -> hazmat -> the curve backend; the
leaf modules (errors, suites, claims) may be used by every layer. ``testing``
(deterministic stand-ins for known-answer tests) sits above every layer: it
may use them all and nothing in the package may import it. Only the backend
imports a curve library. A new top-level part of the package must
be given its place here, which makes the layering a decision, not an accident.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "zkcheck"

# Higher ranks may import lower ranks, never the reverse. Leaves (rank None)
# import only other leaves.
RANKS: dict[str, float | None] = {
    "errors": None,
    "suites": None,
    "claims": None,
    "hazmat": 1,
    "encoding": 2,
    "trust": 3,
    # Operator data sources (subscriber facts for the issuer): used by roles,
    # need nothing but the claims leaf, so they sit beside trust.
    "sources": 3,
    "roles": 4,
    # The vector generator builds messages below the role layer with seeded randomness:
    # above roles, so that nothing production runs through can import it; below the
    # command line, which runs it.
    "vectors": 4.5,
    "http": 5,
    "cli": 5,
    "__main__": 6,
    "__init__": 6,
    "testing": 7,
}
CURVE_LIBRARIES = {"py_arkworks_bls12381", "py_ecc", "blst", "pyblst"}
BACKEND_PREFIX = "hazmat.backend"


def _modules() -> dict[str, list[str]]:
    """Each module (dotted, relative to zkcheck) with the absolute names it imports."""
    found: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts.pop()
        name = ".".join(parts)
        package = parts[:-1] if path.name != "__init__.py" else parts
        found[name] = _imports(path.read_text(encoding="utf-8"), package)
    return found


def _imports(source: str, package: list[str]) -> list[str]:
    """The absolute names a module of ``package`` (its path inside zkcheck) imports.

    ``from zkcheck import vectors`` (or ``from .. import testing``) imports a part of the
    package by naming the package itself, so each name imported from the package root
    counts as that part.
    """
    imports: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imports.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(["zkcheck", *base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target == "zkcheck":
                imports.extend(f"zkcheck.{alias.name}" for alias in node.names)
            else:
                imports.append(target)
    return imports


def _top(name: str) -> str:
    return name.split(".")[0]


def test_every_part_of_the_package_has_a_layer() -> None:
    unplaced = {_top(name) for name in _modules()} - set(RANKS)
    assert not unplaced, f"give these a layer in tests/test_layers.py: {sorted(unplaced)}"


def test_imports_point_down_the_layers() -> None:
    violations = []
    for module, imports in _modules().items():
        rank = RANKS.get(_top(module))
        for target in imports:
            if not target.startswith("zkcheck."):
                continue
            inner = target.removeprefix("zkcheck.")
            target_rank = RANKS.get(_top(inner))
            if _top(inner) == _top(module):
                continue
            if target_rank is None:
                continue  # leaves are usable everywhere
            if rank is None or target_rank >= rank:
                violations.append(f"{module} imports {target}")
    assert not violations, violations


def test_only_the_backend_imports_a_curve_library() -> None:
    offenders = [
        f"{module} imports {target}"
        for module, imports in _modules().items()
        for target in imports
        if target.split(".")[0] in CURVE_LIBRARIES and not module.startswith(BACKEND_PREFIX)
    ]
    assert not offenders, offenders


def test_the_checker_sees_imports() -> None:
    # The checker itself must be able to fail: it finds the CLI's own import.
    assert "zkcheck.cli.main" in _modules()["cli"]


def test_the_checker_sees_parts_imported_from_the_package_root() -> None:
    # "from zkcheck import vectors" names the root; the part it imports is what counts.
    assert "zkcheck.vectors" in _modules()["cli.main"]
    assert _imports("from zkcheck import vectors, testing\n", ["roles"]) == [
        "zkcheck.vectors",
        "zkcheck.testing",
    ]
    assert _imports("from .. import testing\n", ["roles"]) == ["zkcheck.testing"]
    assert _imports("from . import verifier\n", ["roles"]) == ["zkcheck.roles"]


def test_only_the_vectors_command_imports_the_vector_generator() -> None:
    # The generator's seeded randomness must reach no command that issues, presents or
    # verifies: only the command line's vectors handler loads it.
    importers = sorted(
        module
        for module, imports in _modules().items()
        if _top(module) != "vectors"
        and any(
            target == "zkcheck.vectors" or target.startswith("zkcheck.vectors.")
            for target in imports
        )
    )
    assert importers == ["cli.main"]
