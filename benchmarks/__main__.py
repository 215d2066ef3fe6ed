"""Run zkcheck's benchmarks: ``python -m benchmarks [--quick] [--list] [NAME ...]``.

Each ``benchmarks/bench_<NAME>.py`` module is run in turn; its results are
printed and saved under ``benchmarks/results/``. The exit status is 1 when a
measured ratio is over its bound, so a regression is visible in scripts.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from benchmarks.harness import Session


def _available() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(path.stem.removeprefix("bench_") for path in here.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="zkcheck bench",
        description="Measure zkcheck operations as ratios against a floor timed in the same run.",
    )
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="three short rounds: a smoke run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    available = _available()
    if args.list:
        print("\n".join(available) if available else "no benchmarks")
        return 0
    names = args.names or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; available: {available}")
    if not names:
        print("no benchmarks are defined yet")
        return 0
    over = 0
    for name in names:
        print(f"{name}:")
        module = importlib.import_module(f"benchmarks.bench_{name}")
        session = Session(name, quick=args.quick)
        module.run(session)
        path = session.write_json()
        over += sum(not result.within_bound for result in session.results)
        print(f"  -> {path}")
    if over:
        print(f"{over} measurement(s) over their bound")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
