"""Entry point of the ``zkcheck`` command: the parser, the dispatch, the exit codes.

The exit codes are those of :mod:`zkcheck.cli.exits`, listed in
``zkcheck --help``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Sequence
from pathlib import Path

import zkcheck
from zkcheck.claims import Check
from zkcheck.cli import commands, tiers
from zkcheck.cli.exits import (
    EXIT_BAD_INPUT,
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    CommandError,
)
from zkcheck.errors import DecodeError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "main",
]

_RAW = argparse.RawDescriptionHelpFormatter

_EXIT_TABLE = "\n".join(
    textwrap.fill(meaning, 79, initial_indent=f"  {code}  ", subsequent_indent="     ")
    for code, meaning in EXIT_CODES.items()
)

_EPILOG = f"""\
the parties and their commands (each step reads and writes files):
  operator   keygen operator, issue
  phone      keygen holder, receive, present
  verifier   request, verify
  anyone     inspect (any file explained: what it reveals, to whom, until when)

tiers:
  signed     the phone asks for attestations ahead (keygen holder --check), the
             operator signs them, the phone shows one per request
  token      the verifier's request comes with a challenge (request --challenge);
             the phone asks for blind tokens for it (keygen holder --tier token),
             the operator signs blind, the phone shows a token once

files:
  Every object is written as its CBOR bytes, exactly as it travels. With
  --format json, or an output name ending in .json, the bytes are wrapped as
  {{"type": "<object type>", "cbor": "<base64url of the bytes, no padding>"}}.
  Either form is read back. "-" is standard input or output. Secret files
  (operator keys, wallets) are created with mode 0600 and never printed.

exit codes:
{_EXIT_TABLE}

examples:
  zkcheck demo                    # the three scenarios, on synthetic subscribers
  zkcheck demo --state ./demo     # keep the demo's operator key and database in ./demo

  zkcheck keygen operator --operator-id operator.example --out operator.key \\
      --keyset operators.keyset
  zkcheck keygen holder --wallet phone.wallet --check sim_swap:72 --count 3 --out ask.cbor
  zkcheck issue --key operator.key --subscribers ./demo/subscribers.db \\
      --msisdn +34600000001 --in ask.cbor --out attestations.cbor
  zkcheck receive --wallet phone.wallet --in attestations.cbor
  zkcheck request --verifier-id bank.example --require sim_swap:72 \\
      --keyset operators.keyset --nonces bank.db --out request.cbor
  zkcheck present --wallet phone.wallet --in request.cbor --out presentation.cbor
  zkcheck verify --verifier-id bank.example --require sim_swap:72 \\
      --keyset operators.keyset --nonces bank.db --in presentation.cbor
  zkcheck inspect presentation.cbor

  the token tier (a per-request token for the bank):
  zkcheck keygen operator --tier token --operator-id operator.example \
      --check sim_swap:72 --out token-issuer.key --keyset operators.keyset \
      --directories directories.cbor
  zkcheck request --verifier-id bank.example --require sim_swap:72 --tier token \
      --keyset operators.keyset --nonces bank.db --out request.cbor \
      --challenge challenge.cbor
  zkcheck keygen holder --tier token --wallet phone.tokens --in request.cbor \
      --challenge challenge.cbor --keyset operators.keyset \
      --directories directories.cbor --out token-request.cbor
  zkcheck issue --key token-issuer.key --subscribers ./demo/subscribers.db \
      --msisdn +34600000001 --in token-request.cbor --out token-response.cbor
  zkcheck receive --wallet phone.tokens --in token-response.cbor
  zkcheck present --wallet phone.tokens --in request.cbor --out presentation.cbor
  zkcheck verify --verifier-id bank.example --require sim_swap:72 --tier token \
      --keyset operators.keyset --nonces bank.db --in presentation.cbor

  (the subscriber database in the example is the demo's: run
  "zkcheck demo --state ./demo" first; its operator keys ./demo/operator.key and
  ./demo/token-issuer.key, key sets ./demo/operators.keyset and
  ./demo/token-operators.keyset work with these commands too)
"""


def _check(text: str) -> Check:
    try:
        return Check.parse(text)
    except DecodeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a check (examples: age_over:18, sim_swap:72, number)"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _tier_names() -> str:
    built = ", ".join(entry.name for entry in tiers.landed())
    unbuilt = ", ".join(entry.name for entry in tiers.planned())
    return built + (f" (not built yet: {unbuilt})" if unbuilt else "")


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("cbor", "json"),
        help="how to write the output file (default: json for a name ending in .json, else cbor)",
    )


def _file(parser: argparse.ArgumentParser, flag: str, what: str, *, required: bool = True) -> None:
    """A file option such as ``--out``; ``--in`` is stored as ``input``."""
    dest = "input" if flag == "--in" else None
    parser.add_argument(flag, dest=dest, required=required, metavar="FILE", help=what)


def _repeated(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    flag: str,
    metavar: str,
    what: str,
    *,
    check: bool = False,
) -> None:
    """An option given once per value (``--require a --require b``), checks parsed."""
    parser.add_argument(
        flag, type=_check if check else str, action="append", default=[], metavar=metavar,
        help=what,
    )  # fmt: skip


def _command(
    commands_: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    examples: str,
    *,
    add_help: bool = True,
) -> argparse.ArgumentParser:
    return commands_.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 79),
        epilog="example:\n" + examples,
        formatter_class=_RAW,
        add_help=add_help,
    )


def _add_policy(parser: argparse.ArgumentParser) -> None:
    policy = parser.add_argument_group(
        "the verifier's policy (give the same to request and verify)"
    )
    policy.add_argument(
        "--verifier-id", required=True, metavar="ID", help="this verifier's identifier"
    )
    _repeated(
        policy,
        "--require",
        "CHECK",
        "a check that must be shown (repeat for more)",
        check=True,
    )
    _repeated(
        policy,
        "--optional",
        "CHECK",
        "a check asked for and reported when shown (repeat for more)",
        check=True,
    )
    _repeated(
        policy,
        "--operator",
        "ID",
        "an operator accepted (repeat for more; default: every operator in the key set)",
    )
    _repeated(
        policy,
        "--tier",
        "NAME",
        f"a tier accepted (repeat for more; default: every built tier). {_tier_names()}",
    )
    policy.add_argument(
        "--max-age",
        type=_positive,
        default=3600,
        metavar="SECONDS",
        help="oldest attestation accepted, in seconds since its issue time (default: 3600)",
    )
    policy.add_argument(
        "--lifetime",
        type=_positive,
        default=300,
        metavar="SECONDS",
        help="how long a request stays answerable (default: 300)",
    )
    _file(parser, "--keyset", "the trusted operators' key set")
    parser.add_argument(
        "--nonces",
        required=True,
        metavar="DB",
        help="this verifier's single-use nonce store (SQLite; created if missing)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zkcheck",
        description=(
            "Privacy-preserving operator attestations: an operator answers yes/no checks\n"
            "about a subscriber, a relying party verifies the answer offline and learns\n"
            "nothing else."
        ),
        epilog=_EPILOG,
        formatter_class=_RAW,
    )
    parser.add_argument("--version", action="version", version=f"zkcheck {zkcheck.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = _command(
        sub,
        "demo",
        "run the three scenarios on embedded synthetic data",
        "Run the scenarios in every built tier: a bank checks sim_swap:72 before a transfer "
        "(a SIM swapped an hour ago, and one not), a social network checks that the typed "
        "number is the device's (typed right, and mistyped), an age-gated site checks "
        "age_over:18 (an adult, and a 17-year-old). Each case prints what every party sent "
        "(in bytes), learned and did not learn, the verdict and the timings. The state "
        "(a SQLite database of synthetic subscribers, the operator's keys) is created on the "
        "first run and reused.",
        "  zkcheck demo\n  zkcheck demo --tier signed --state ./demo\n",
    )
    _repeated(
        demo,
        "--tier",
        "NAME",
        f"run this tier only (repeat for more; default: every built tier). {_tier_names()}",
    )
    demo.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="where the demo keeps its database and keys (default: zkcheck/demo under the "
        "user's cache directory, or the temporary directory)",
    )
    demo.add_argument("--fresh", action="store_true", help="recreate the keys and the database")
    demo.set_defaults(handler=commands.cmd_demo)

    keygen = _command(
        sub,
        "keygen",
        "create operator keys or holder keys",
        "Create keys. Secret keys go to files with mode 0600 and are never printed.",
        "  zkcheck keygen operator --operator-id operator.example --out operator.key \\\n"
        "      --keyset operators.keyset\n"
        "  zkcheck keygen holder --wallet phone.wallet --check age_over:18 --out ask.cbor\n",
    )
    roles = keygen.add_subparsers(dest="role", metavar="ROLE", required=True)
    operator = _command(
        roles,
        "operator",
        "an operator's keys and its public key set",
        "Create an operator's keys (secret, mode 0600; an existing file is kept unless "
        "--force) and the public key set to give to verifiers and phones. The operator "
        "answers the checks given with --check, by default the default menu: ages "
        "13/16/18/21/65, swap windows 24/72/168/720 h, tenure 3/6/12/24 months, number, "
        "reachable, country:ES. Signed tier: one signing key; the key set names this "
        "operator alone. Token tier: one RSA key per check and epoch (this epoch and the "
        "next; never for number) under the issuer names <check>.<domain>; the token keys "
        "are added to the key set file if it exists (its other keys and operators are "
        "kept), and the issuer directories go to --directories. Keys from an earlier epoch "
        "are renewed by running this again with --force.",
        "  zkcheck keygen operator --operator-id operator.example --out operator.key \\\n"
        "      --keyset operators.keyset\n"
        "  zkcheck keygen operator --tier token --operator-id operator.example \\\n"
        "      --check sim_swap:72 --check age_over:18 --out token-issuer.key \\\n"
        "      --keyset operators.keyset --directories directories.cbor\n",
    )
    operator.add_argument(
        "--operator-id", required=True, metavar="ID", help="e.g. operator.example"
    )
    _file(operator, "--out", "the secret key file")
    _file(operator, "--keyset", "the public key set")
    _repeated(
        operator,
        "--check",
        "CHECK",
        "a check the operator answers (repeat for more; default: the default menu)",
        check=True,
    )
    operator.add_argument("--tier", default="signed", metavar="NAME", help="default: signed")
    operator.add_argument(
        "--domain",
        metavar="NAME",
        help="token tier: the server name the issuer names live under "
        "(default: tokens.<operator id>)",
    )
    _file(
        operator,
        "--directories",
        "token tier: where to write the issuer directories (public, for phones)",
        required=False,
    )
    operator.add_argument("--force", action="store_true", help="replace an existing key file")
    _add_format(operator)
    operator.set_defaults(handler=commands.cmd_keygen_operator)

    holder = _command(
        roles,
        "holder",
        "fresh holder secrets in a wallet, and the issuance request for them",
        "Signed tier: add fresh holder keys to a wallet (created if missing; secret, mode "
        "0600), one per attestation wanted, and write the issuance request that carries "
        "their public halves and the checks to the operator. Ask for a batch (--count): each "
        "attestation is shown once, so two verifiers never see the same one. Token tier: for "
        "a verifier's request and its challenge, check the challenge and the issuers' keys "
        "against the key set and directories, and write blinded TokenRequests for the tokens "
        "the wallet lacks (--count tokens of a check whose tokens may be cached, one for a "
        "per-request check); the wallet keeps their secrets until the answer comes. Neither "
        "request names a verifier.",
        "  zkcheck keygen holder --wallet phone.wallet --check sim_swap:72 --count 3 \\\n"
        "      --out ask.cbor\n"
        "  zkcheck keygen holder --tier token --wallet phone.tokens --in request.cbor \\\n"
        "      --challenge challenge.cbor --keyset operators.keyset \\\n"
        "      --directories directories.cbor --out token-request.cbor\n",
    )
    _file(holder, "--wallet", "the phone's wallet")
    _repeated(
        holder, "--check", "CHECK", "signed tier: a check to have attested (repeat for more)",
        check=True,
    )  # fmt: skip
    holder.add_argument(
        "--count",
        type=_positive,
        default=1,
        help="attestations wanted, or tokens of a check that may be cached (default: 1; "
        "at most 64)",
    )
    _file(holder, "--out", "the issuance request")
    holder.add_argument("--tier", default="signed", metavar="NAME", help="default: signed")
    _file(holder, "--in", "token tier: the verifier's request", required=False)
    _file(holder, "--challenge", "token tier: the verifier's challenge", required=False)
    _file(holder, "--keyset", "token tier: the operators' key set", required=False)
    _file(holder, "--directories", "token tier: the issuer directories", required=False)
    _add_format(holder)
    holder.set_defaults(handler=commands.cmd_keygen_holder)

    issue = _command(
        sub,
        "issue",
        "operator: attest the requested checks that hold",
        "Answer an issuance request for the subscriber the operator authenticated (--msisdn), "
        "from its subscriber database; the key file's tier decides how. Only checks on the "
        "operator's menu that hold are attested (signed) or blind-signed (token); when none "
        "holds nothing is issued and the exit code is 1 (there is no negative attestation "
        "and no token for 'no'). The command line authenticates nobody: in the token tier "
        "its attester is InsecureTestAttester, the insecure test and demo attester, which "
        "takes --msisdn on trust.",
        "  zkcheck issue --key operator.key --subscribers subscribers.db \\\n"
        "      --msisdn +34600000001 --in ask.cbor --out attestations.cbor\n"
        "  zkcheck issue --key token-issuer.key --subscribers subscribers.db \\\n"
        "      --msisdn +34600000001 --in token-request.cbor --out token-response.cbor\n",
    )
    _file(issue, "--key", "the operator key file (signed or token tier)")
    issue.add_argument(
        "--subscribers", required=True, metavar="DB", help="the subscriber database (SQLite)"
    )
    issue.add_argument(
        "--msisdn",
        required=True,
        metavar="NUMBER",
        help="the subscriber, E.164, taken as authenticated (token tier: by "
        "InsecureTestAttester, for tests and demonstrations only)",
    )
    _file(issue, "--in", "the issuance request")
    _file(issue, "--out", "the issuance response")
    _add_format(issue)
    issue.set_defaults(handler=commands.cmd_issue)

    receive = _command(
        sub,
        "receive",
        "phone: store the operator's attestations or tokens in the wallet",
        "Store the attestations of an issuance response in the wallet whose keys asked for "
        "them; or, in the token tier, unblind the operator's TokenResponses into tokens with "
        "the secrets the wallet kept for its TokenRequests.",
        "  zkcheck receive --wallet phone.wallet --in attestations.cbor\n"
        "  zkcheck receive --wallet phone.tokens --in token-response.cbor\n",
    )
    _file(receive, "--wallet", "the phone's wallet")
    _file(receive, "--in", "the issuance response")
    receive.set_defaults(handler=commands.cmd_receive)

    request = _command(
        sub,
        "request",
        "verifier: create a request with a fresh single-use nonce",
        "Create a request for the policy's checks and register its nonce in the verifier's "
        "nonce store, where verify finds it. When the request accepts tokens, --challenge "
        "writes the token tier's challenges to send with it: one per check, naming the "
        "operator's issuer for the check and this verifier as the only origin.",
        "  zkcheck request --verifier-id bank.example --require sim_swap:72 \\\n"
        "      --keyset operators.keyset --nonces bank.db --out request.cbor \\\n"
        "      --challenge challenge.cbor\n",
    )
    _add_policy(request)
    _file(request, "--out", "the request")
    _file(
        request,
        "--challenge",
        "token tier: write the PrivateToken challenges (RFC 9577 WWW-Authenticate) to send "
        "with the request",
        required=False,
    )
    _add_format(request)
    request.set_defaults(handler=commands.cmd_request)

    present = _command(
        sub,
        "present",
        "phone: answer a request with one attestation or token from the wallet",
        "Answer a verifier's request with one unused attestation, bound to that request, or "
        "with one token per check made for its challenge; the wallet forgets what it shows "
        "(each is shown once). Exit code 1 when nothing in the wallet answers the request.",
        "  zkcheck present --wallet phone.wallet --in request.cbor --out presentation.cbor\n",
    )
    _file(present, "--wallet", "the phone's wallet")
    _file(present, "--in", "the verifier's request")
    _file(present, "--out", "the presentation")
    _add_format(present)
    present.set_defaults(handler=commands.cmd_present)

    verify = _command(
        sub,
        "verify",
        "verifier: verify a presentation (exit code 0 accepted, 1 refused)",
        "Verify a presentation against the request it answers (found in the nonce store), "
        "offline, with the operators' key set. Exit code 0: accepted, the checks shown are "
        "printed; 1: refused, and the checks count as not shown (never as a 'no'). Any code "
        "but 0 means not shown.",
        "  zkcheck verify --verifier-id bank.example --require sim_swap:72 \\\n"
        "      --keyset operators.keyset --nonces bank.db --in presentation.cbor \\\n"
        "      --out result.cbor\n",
    )
    _add_policy(verify)
    _file(verify, "--in", "the presentation")
    verify.add_argument(
        "--number", metavar="NUMBER", help="for the number check: the number the user typed"
    )
    _file(verify, "--out", "write the result record here", required=False)
    _add_format(verify)
    verify.set_defaults(handler=commands.cmd_verify)

    inspect = _command(
        sub,
        "inspect",
        "explain any zkcheck file in words",
        "Explain any zkcheck object: what it is, who it goes to, what it reveals to them and "
        "until when it can be used, with its public fields. Secret key material is never "
        "printed. Signatures are not checked (verify does that). Every file the other "
        "commands write can be inspected: keys, key sets, wallets, issuance requests and "
        "responses, requests, presentations, results, and the token tier's challenges, "
        "token requests and responses, token wallets and issuer directories.",
        "  zkcheck inspect presentation.cbor\n  zkcheck inspect --format json operator.key\n"
        "  zkcheck inspect token-request.cbor\n",
    )
    inspect.add_argument("file", metavar="FILE", help='the object ("-": standard input)')
    inspect.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    inspect.set_defaults(handler=commands.cmd_inspect)

    bench = _command(
        sub,
        "bench",
        "run the benchmarks (ratios against a floor measured in the same run)",
        "Run benchmarks/ from the source checkout. Each operation is timed "
        "interleaved with its floor; results go to benchmarks/results/.",
        "  zkcheck bench\n  zkcheck bench --quick\n  zkcheck bench --list\n",
        # Its --help is the benchmark runner's.
        add_help=False,
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed to the runner")
    bench.set_defaults(handler=_cmd_bench)
    return parser


def _find_benchmarks() -> Path | None:
    """The benchmarks/ folder of the source checkout zkcheck was installed from."""
    for root in (Path(zkcheck.__file__).resolve().parent.parent, Path.cwd()):
        if (root / "benchmarks" / "__main__.py").is_file():
            return root
    return None


def _cmd_bench(args: argparse.Namespace) -> int:
    root = _find_benchmarks()
    if root is None:
        raise CommandError(
            EXIT_UNAVAILABLE,
            "the benchmarks ship with the source repository; "
            "run this from a checkout (or an editable install of one)",
        )
    command = [sys.executable, "-m", "benchmarks", *args.bench_args, *args.extra]
    return subprocess.call(command, cwd=root)  # noqa: S603 -- fixed interpreter and module


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zkcheck`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit code; argparse itself exits with 2 on a usage error and 0
    after ``--help`` or ``--version``.
    """
    parser = _parser()
    # The bench command hands its options to the benchmark runner untouched.
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
    except CommandError as exc:
        sys.stderr.write(f"zkcheck {args.command}: {exc.message}\n")
        return exc.code
    except Exception:
        sys.stderr.write(
            f"zkcheck {args.command}: internal error (a bug in zkcheck, please report it):\n"
        )
        traceback.print_exc()
        return EXIT_INTERNAL
    return code
