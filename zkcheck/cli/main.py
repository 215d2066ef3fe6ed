"""Entry point of the ``zkcheck`` command.

Exit codes (stable, documented in ``zkcheck --help``):

* 0 -- success;
* 2 -- usage error (unknown command or bad arguments);
* 3 -- the requested part of zkcheck is not available in this installation.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import zkcheck

__all__ = ["EXIT_OK", "EXIT_UNAVAILABLE", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3

_EPILOG = """\
exit codes:
  0  success
  2  usage error
  3  the requested part is not available in this installation

examples:
  zkcheck --version
  zkcheck demo
  zkcheck bench --quick
"""

# The scenarios the demo runs, and the part of zkcheck each one needs. Until
# that part is built the demo names it instead of printing an invented result.
_DEMO_SCENARIOS = (
    ("bank", 'no SIM swap in the last 72 h before a transfer ("sim_swap:72")'),
    ("social network", 'the typed number belongs to this device ("number")'),
    ("age-gated site", 'the user is at least 18 ("age_over:18")'),
)
_NOT_BUILT = (
    "the check vocabulary, wire format and signed tier (COSE attestations)",
    "the token tier (Privacy Pass, RFC 9578 type 0x0002)",
    "the credential tier (BBS presentations, pseudonyms, predicate proofs)",
)


def _cmd_demo(args: argparse.Namespace) -> int:
    out = sys.stdout
    out.write("zkcheck demo\n\n")
    out.write("The demo will run these scenarios, each with the operator, the holder's\n")
    out.write("phone and the relying party, printing what each sent and learned:\n\n")
    for who, what in _DEMO_SCENARIOS:
        out.write(f"  - {who}: {what}\n")
    out.write("\nNot built yet in this version, so no scenario is run:\n\n")
    for part in _NOT_BUILT:
        out.write(f"  - {part}\n")
    out.write("\nNothing was issued or verified.\n")
    return EXIT_OK


def _find_benchmarks() -> Path | None:
    """The benchmarks/ folder of the source checkout zkcheck was installed from."""
    for root in (Path(zkcheck.__file__).resolve().parent.parent, Path.cwd()):
        if (root / "benchmarks" / "__main__.py").is_file():
            return root
    return None


def _cmd_bench(args: argparse.Namespace) -> int:
    root = _find_benchmarks()
    if root is None:
        sys.stderr.write(
            "zkcheck bench: the benchmarks ship with the source repository; "
            "run this from a checkout (or an editable install of one)\n"
        )
        return EXIT_UNAVAILABLE
    command = [sys.executable, "-m", "benchmarks", *args.bench_args, *args.extra]
    return subprocess.call(command, cwd=root)  # noqa: S603 -- fixed interpreter and module


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zkcheck",
        description=(
            "Privacy-preserving operator attestations: an operator answers yes/no "
            "checks about a subscriber, a relying party verifies the answer offline "
            "and learns nothing else."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"zkcheck {zkcheck.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the three scenarios on embedded synthetic data",
        description="Run the bank, social-network and age-gated-site scenarios.",
        epilog="example:\n  zkcheck demo\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.set_defaults(handler=_cmd_demo)

    bench = commands.add_parser(
        "bench",
        help="run the benchmarks (ratios against a floor measured in the same run)",
        description=(
            "Run benchmarks/ from the source checkout. Each operation is timed "
            "interleaved with its floor; results go to benchmarks/results/."
        ),
        epilog="examples:\n  zkcheck bench\n  zkcheck bench --quick\n  zkcheck bench --list\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed to the runner")
    bench.set_defaults(handler=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zkcheck`` command with ``argv`` (default: ``sys.argv[1:]``)."""
    parser = _parser()
    # The bench command hands its options to the benchmark runner untouched.
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler = args.handler
    code: int = handler(args)
    return code
