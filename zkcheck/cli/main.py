"""Entry point of the ``zkcheck`` command: the parser, the dispatch, the exit codes.

The exit codes are those of :mod:`zkcheck.cli.exits`, listed in
``zkcheck --help``.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Sequence
from pathlib import Path

import zkcheck
from zkcheck.claims import Check
from zkcheck.cli import commands, tiers, trust_commands
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
from zkcheck.cli.files import replace_file
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
  federation trust init, trust add-operator, trust rotate, trust revoke, trust sign
  phone      keygen holder, receive, present
  verifier   request, verify (with the federation's trust list and pinned key)
  anyone     inspect (any file explained: what it reveals, to whom, until when)

tiers:
  signed     the phone asks for attestations ahead (keygen holder --check), the
             operator signs them, the phone shows one per request
  token      the verifier's request comes with a challenge (request --challenge);
             the phone asks for blind tokens for it (keygen holder --tier token),
             the operator signs blind, the phone shows a token once
  credential the phone asks its operator for a credential once (keygen holder
             --tier credential), the operator blind-signs the subscriber's facts, and
             the phone answers any number of requests with fresh zero-knowledge
             proofs; it renews with --renew, keeping its pseudonym (request
             --pseudonym, present --origin)

  Every verifier step, in every tier, takes the federation's trust list and the
  key the verifier pinned (--trust-list, --pin); a verifier names no operator
  unless --operator says so, and accepts every operator in good standing on the
  list, including those listed later.

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
  zkcheck trust init --list-id federation.example --authority authority.key \\
      --pin authority.pin --draft federation.draft
  zkcheck trust add-operator --draft federation.draft --keyset operators.keyset \\
      --name "Operator" --country ES --network 214-01
  zkcheck trust sign --draft federation.draft --authority authority.key \\
      --out federation.trust-list
  zkcheck keygen holder --wallet phone.wallet --check sim_swap:72 --count 3 --out ask.cbor
  zkcheck issue --key operator.key --subscribers ./demo/subscribers.db \\
      --msisdn +34600000001 --in ask.cbor --out attestations.cbor
  zkcheck receive --wallet phone.wallet --in attestations.cbor
  zkcheck request --verifier-id bank.example --require sim_swap:72 \\
      --trust-list federation.trust-list --pin authority.pin --nonces bank.db \\
      --out request.cbor
  zkcheck present --wallet phone.wallet --in request.cbor --out presentation.cbor
  zkcheck verify --verifier-id bank.example --require sim_swap:72 \\
      --trust-list federation.trust-list --pin authority.pin --nonces bank.db \\
      --in presentation.cbor
  zkcheck inspect presentation.cbor

  the token tier (a per-request token for the bank; the operator hands its token
  keys to the federation, which lists them in its next list):
  zkcheck keygen operator --tier token --operator-id operator.example \\
      --check sim_swap:72 --out token-issuer.key --keyset operators.keyset \\
      --directories directories.cbor
  zkcheck trust rotate --draft federation.draft --keyset operators.keyset
  zkcheck trust sign --draft federation.draft --authority authority.key \\
      --out federation.trust-list
  zkcheck request --verifier-id bank.example --require sim_swap:72 --tier token \\
      --trust-list federation.trust-list --pin authority.pin --nonces bank.db \\
      --out request.cbor --challenge challenge.cbor
  zkcheck keygen holder --tier token --wallet phone.tokens --in request.cbor \\
      --challenge challenge.cbor --trust-list federation.trust-list \\
      --pin authority.pin --directories directories.cbor --out token-request.cbor
  zkcheck issue --key token-issuer.key --subscribers ./demo/subscribers.db \\
      --msisdn +34600000001 --in token-request.cbor --out token-response.cbor
  zkcheck receive --wallet phone.tokens --in token-response.cbor
  zkcheck present --wallet phone.tokens --in request.cbor --out presentation.cbor
  zkcheck verify --verifier-id bank.example --require sim_swap:72 --tier token \\
      --trust-list federation.trust-list --pin authority.pin --nonces bank.db \\
      --in presentation.cbor

  the credential tier (a subscriber's facts, blind-signed once; a proof per
  request; the phone checks keys and menus on the trust list):
  zkcheck keygen operator --tier credential --operator-id operator.example \\
      --out credential-issuer.key --keyset operators.keyset
  zkcheck trust rotate --draft federation.draft --keyset operators.keyset
  zkcheck trust sign --draft federation.draft --authority authority.key \\
      --out federation.trust-list
  zkcheck keygen holder --tier credential --wallet phone.credentials \\
      --operator operator.example --trust-list federation.trust-list \\
      --pin authority.pin --out credential-request.cbor
  zkcheck issue --key credential-issuer.key --subscribers ./demo/subscribers.db \\
      --msisdn +34600000001 --in credential-request.cbor --out credential-response.cbor
  zkcheck receive --wallet phone.credentials --in credential-response.cbor \\
      --trust-list federation.trust-list --pin authority.pin
  zkcheck request --verifier-id site.example --require age_over:18 --tier credential \\
      --max-age 1814400 --trust-list federation.trust-list --pin authority.pin \\
      --nonces site.db --out request.cbor
  zkcheck present --wallet phone.credentials --in request.cbor \\
      --trust-list federation.trust-list --pin authority.pin --out presentation.cbor
  zkcheck verify --verifier-id site.example --require age_over:18 --tier credential \\
      --max-age 1814400 --trust-list federation.trust-list --pin authority.pin \\
      --nonces site.db --in presentation.cbor

  (the subscriber database in the example is the demo's: run
  "zkcheck demo --state ./demo" first; its operator keys ./demo/operator.key,
  ./demo/token-issuer.key and ./demo/credential-issuer.key, issuer directories
  ./demo/token-directories.cbor, trust list ./demo/federation.trust-list and
  pinned key ./demo/authority.pin work with these commands too)
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
        "a check asked for and reported when shown; a phone whose operator offers it shows "
        "it with the others or shows nothing (repeat for more)",
        check=True,
    )
    _repeated(
        policy,
        "--operator",
        "ID",
        "an operator accepted (repeat for more; default: every operator on the trust list)",
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
    policy.add_argument(
        "--pseudonym",
        action="store_true",
        help="ask for the phone's pseudonym here, the same at every presentation of one "
        "subscriber and unrelated to its pseudonyms elsewhere (credential tier; verify "
        "prints it)",
    )
    trust = parser.add_argument_group("trust (the federation's signed list of operators)")
    trust.add_argument(
        "--trust-list",
        required=True,
        metavar="FILE|URL",
        help="where the federation publishes its trust list (a file, or an http(s) URL); "
        "fetched when the list held is due for an update",
    )
    trust.add_argument(
        "--pin",
        required=True,
        metavar="FILE",
        help="the federation's authority key, as given once by the federation",
    )
    parser.add_argument(
        "--nonces",
        required=True,
        metavar="DB",
        help="this verifier's state: single-use nonces and the trust list held (SQLite; "
        "created if missing)",
    )


def _add_phone_trust(parser: argparse.ArgumentParser, tiers_: str) -> None:
    """The federation's trust list as a phone checks it, in ``tiers_`` (token tier: when it
    asks for tokens; credential tier: at every step)."""
    parser.add_argument(
        "--trust-list",
        metavar="FILE|URL",
        help=f"{tiers_}: the federation's trust list, checked against --pin",
    )
    _file(parser, "--pin", "the federation's authority key (with --trust-list)", required=False)


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
        "--force) and the public key set to hand to the federation, which lists it in its "
        "trust list (zkcheck trust add-operator, or trust rotate for new keys). The operator "
        "answers the checks given with --check, by default the default menu: ages "
        "13/16/18/21/65, swap windows 24/72/168/720 h, tenure 3/6/12/24 months, number, "
        "reachable, country:ES. Signed tier: one signing key; the key set names this "
        "operator alone. Token tier: one RSA key per check and epoch (this epoch and the "
        "next; never for number) under the issuer names <check>.<domain>; the token keys "
        "are added to the key set file if it exists (its other keys and operators are "
        "kept), and the issuer directories go to --directories. Keys from an earlier epoch "
        "are renewed by running this again with --force. Credential tier: one BBS key per "
        "four-week epoch (this epoch and the next), added to the key set file like token "
        "keys; --force renews the key file, keeping the public key of every key it made, "
        "so that subscribers renew their credentials with their pseudonyms.",
        "  zkcheck keygen operator --operator-id operator.example --out operator.key \\\n"
        "      --keyset operators.keyset\n"
        "  zkcheck keygen operator --tier token --operator-id operator.example \\\n"
        "      --check sim_swap:72 --check age_over:18 --out token-issuer.key \\\n"
        "      --keyset operators.keyset --directories directories.cbor\n"
        "  zkcheck keygen operator --tier credential --operator-id operator.example \\\n"
        "      --out credential-issuer.key --keyset operators.keyset\n",
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
        "a verifier's request and its challenge, check the challenge and the issuer's keys "
        "against the federation's trust list (verified against the pinned key) and the "
        "directories, and write blinded TokenRequests to the phone's operator (--operator; "
        "the challenges of other operators are passed over) for the tokens the wallet lacks "
        "(--count tokens of a check whose tokens may be cached, one for a per-request check); "
        "the wallet keeps their secrets until the answer comes. Credential tier: start a "
        "wallet (a holder secret) and write a credential request to the phone's operator "
        "(--operator, checked on the federation's trust list): a commitment to the phone's "
        "secrets; with --renew, a renewal of the credential held, which carries its "
        "pseudonym secret over. No request names a verifier.",
        "  zkcheck keygen holder --wallet phone.wallet --check sim_swap:72 --count 3 \\\n"
        "      --out ask.cbor\n"
        "  zkcheck keygen holder --tier token --wallet phone.tokens --in request.cbor \\\n"
        "      --challenge challenge.cbor --trust-list federation.trust-list \\\n"
        "      --pin authority.pin --directories directories.cbor --out token-request.cbor\n"
        "  zkcheck keygen holder --tier credential --wallet phone.credentials \\\n"
        "      --operator operator.example --trust-list federation.trust-list \\\n"
        "      --pin authority.pin --out credential-request.cbor\n",
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
    _add_phone_trust(holder, "token and credential tiers")
    holder.add_argument(
        "--operator",
        metavar="ID",
        help="the phone's operator: token tier, whose challenges it answers (default: every "
        "challenge); credential tier, which it asks (required)",
    )
    _file(holder, "--directories", "token tier: the issuer directories", required=False)
    holder.add_argument(
        "--renew",
        action="store_true",
        help="credential tier: renew the wallet's credential of --operator, carrying its "
        "pseudonym secret over",
    )
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
        "and no token for 'no'). Credential tier: the operator blind-signs the subscriber's "
        "facts over the phone's commitment; it keeps the subscriber's pseudonym record in "
        "the subscriber database, and issues a renewal only with the carry-over of the "
        "pseudonym secret (exit code 1 otherwise). The command line authenticates nobody: "
        "in the token and credential tiers its attester is InsecureTestAttester, the "
        "insecure test and demo attester, which takes --msisdn on trust.",
        "  zkcheck issue --key operator.key --subscribers subscribers.db \\\n"
        "      --msisdn +34600000001 --in ask.cbor --out attestations.cbor\n"
        "  zkcheck issue --key token-issuer.key --subscribers subscribers.db \\\n"
        "      --msisdn +34600000001 --in token-request.cbor --out token-response.cbor\n"
        "  zkcheck issue --key credential-issuer.key --subscribers subscribers.db \\\n"
        "      --msisdn +34600000001 --in credential-request.cbor \\\n"
        "      --out credential-response.cbor\n",
    )
    _file(issue, "--key", "the operator key file (its tier's)")
    issue.add_argument(
        "--subscribers",
        required=True,
        metavar="DB",
        help="the subscriber database (SQLite; the credential tier keeps the subscribers' "
        "pseudonym records in it)",
    )
    issue.add_argument(
        "--msisdn",
        required=True,
        metavar="NUMBER",
        help="the subscriber, E.164, taken as authenticated (token and credential tiers: "
        "by InsecureTestAttester, for tests and demonstrations only)",
    )
    _file(issue, "--in", "the issuance request")
    _file(issue, "--out", "the issuance response")
    _add_format(issue)
    issue.set_defaults(handler=commands.cmd_issue)

    receive = _command(
        sub,
        "receive",
        "phone: store the operator's attestations, tokens or credential in the wallet",
        "Store the attestations of an issuance response in the wallet whose keys asked for "
        "them (with --trust-list and --pin, each operator signature is checked first); or, "
        "in the token tier, unblind the operator's TokenResponses into tokens with "
        "the secrets the wallet kept for its TokenRequests; or, in the credential tier, check "
        "the operator's credential (its key on the federation's trust list, its issue time, "
        "expiry and facts, the signature over the phone's secrets) and store it.",
        "  zkcheck receive --wallet phone.wallet --in attestations.cbor \\\n"
        "      --trust-list federation.trust-list --pin authority.pin\n"
        "  zkcheck receive --wallet phone.tokens --in token-response.cbor\n"
        "  zkcheck receive --wallet phone.credentials --in credential-response.cbor \\\n"
        "      --trust-list federation.trust-list --pin authority.pin\n",
    )
    _file(receive, "--wallet", "the phone's wallet")
    _file(receive, "--in", "the issuance response")
    _add_phone_trust(receive, "signed tier (optional) and credential tier")
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
        "      --trust-list federation.trust-list --pin authority.pin --nonces bank.db \\\n"
        "      --out request.cbor --challenge challenge.cbor\n",
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
        "phone: answer a request from the wallet (an attestation, tokens or a proof)",
        "Answer a verifier's request with one unused attestation, bound to that request, or "
        "with one token per check made for its challenge; the wallet forgets what it shows "
        "(each is shown once). In the credential tier, with a fresh zero-knowledge proof of a "
        "credential, bound to the request, that shows what it asks and nothing else (the "
        "credential is kept: it is shown any number of times); the phone checks the request "
        "against its operator's menu on the trust list, and answers a pseudonym request for "
        "--origin. The phone shows every check asked that its operator offers, optional ones "
        "included, or nothing; with --trust-list it knows the operator's offer (signed and "
        "token tiers: without it, every check asked). Exit code 1 when nothing in the wallet "
        "answers the request.",
        "  zkcheck present --wallet phone.wallet --in request.cbor --out presentation.cbor\n"
        "  zkcheck present --wallet phone.credentials --in request.cbor \\\n"
        "      --trust-list federation.trust-list --pin authority.pin \\\n"
        "      --origin social.example --out presentation.cbor\n",
    )
    _file(present, "--wallet", "the phone's wallet")
    _file(present, "--in", "the verifier's request")
    _file(present, "--out", "the presentation")
    _add_phone_trust(present, "the checks the operator offers (every tier)")
    present.add_argument(
        "--origin",
        metavar="ID",
        help="credential tier: the verifier identity the phone's application authenticated "
        "(the host it talks to), for a request that asks for a pseudonym; never taken "
        "from the request",
    )
    _add_format(present)
    present.set_defaults(handler=commands.cmd_present)

    verify = _command(
        sub,
        "verify",
        "verifier: verify a presentation (exit code 0 accepted, 1 refused)",
        "Verify a presentation against the request it answers (found in the nonce store), "
        "offline, with the federation's trust list. Exit code 0: accepted, the checks shown are "
        "printed; 1: refused, and the checks count as not shown (never as a 'no'). Any code "
        "but 0 means not shown.",
        "  zkcheck verify --verifier-id bank.example --require sim_swap:72 \\\n"
        "      --trust-list federation.trust-list --pin authority.pin --nonces bank.db \\\n"
        "      --in presentation.cbor --out result.cbor\n",
    )
    _add_policy(verify)
    _file(verify, "--in", "the presentation")
    verify.add_argument(
        "--number", metavar="NUMBER", help="for the number check: the number the user typed"
    )
    _file(verify, "--out", "write the result record here", required=False)
    _add_format(verify)
    verify.set_defaults(handler=commands.cmd_verify)

    _add_trust(sub)

    inspect = _command(
        sub,
        "inspect",
        "explain any zkcheck file in words",
        "Explain any zkcheck object: what it is, who it goes to, what it reveals to them and "
        "until when it can be used, with its public fields. Secret key material is never "
        "printed. Signatures are not checked (verify does that). Every file the other "
        "commands write can be inspected: keys, key sets, wallets, issuance requests and "
        "responses, requests, presentations, results, the token tier's challenges, "
        "token requests and responses, token wallets and issuer directories, and the "
        "credential tier's key files, wallets, credential requests and responses.",
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

    vectors = _command(
        sub,
        "vectors",
        "write zkcheck's own test vectors (spec/21-test-vectors.md)",
        "Generate zkcheck's own test vectors for every message and tier from fixed seeds: "
        "inputs, keys, every intermediate value, outputs and negative cases, one JSON file "
        "per part, as the specification's appendix describes. The same seeds always give the "
        "same files, byte for byte. With --check, compare instead of writing, and exit 1 "
        "when a file differs (4 when DIR is missing or a file cannot be read).",
        "  zkcheck vectors\n  zkcheck vectors --out /tmp/vectors\n  zkcheck vectors --check\n",
    )
    vectors.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the files go (default: spec/vectors of the source checkout)",
    )
    vectors.add_argument(
        "--check", action="store_true", help="compare with the files in DIR; write nothing"
    )
    vectors.set_defaults(handler=_cmd_vectors)
    return parser


def _seconds(text: str) -> int:
    """A duration: a whole number of seconds, or of minutes, hours or days with m, h or d."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
    factor = units.get(text[-1:], 0)
    number = text[:-1] if factor else text
    return _positive(number) * (factor or 1)


def _add_trust(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trust = _command(
        sub,
        "trust",
        "federation: the signed trust list of operators and their keys",
        "Keep the federation's trust list: create its authority key, add operators from the "
        "key sets they hand in, rotate and revoke keys, sign each new list, show one. Relying "
        "parties pin the authority key once and verify every operator on the list.",
        "  zkcheck trust init --list-id federation.example --authority authority.key \\\n"
        "      --pin authority.pin --draft federation.draft\n"
        "  zkcheck trust show federation.trust-list --pin authority.pin\n",
    )
    steps = trust.add_subparsers(dest="step", metavar="STEP", required=True)

    init = _command(
        steps,
        "init",
        "a new list: its authority key, the key to pin, an empty draft",
        "Create the authority key of a new trust list (the current key and the next one every "
        "list announces; secret, mode 0600, an existing file is kept unless --force), the "
        "public key relying parties pin, and an empty draft to add operators to.",
        "  zkcheck trust init --list-id federation.example --authority authority.key \\\n"
        "      --pin authority.pin --draft federation.draft\n",
    )
    init.add_argument("--list-id", required=True, metavar="ID", help="e.g. federation.example")
    _file(init, "--authority", "the authority key (secret)")
    _file(init, "--pin", "the public key relying parties pin")
    _file(init, "--draft", "the draft of the list")
    init.add_argument("--force", action="store_true", help="replace an existing authority key")
    init.set_defaults(handler=trust_commands.cmd_trust_init)

    add = _command(
        steps,
        "add-operator",
        "list an operator from the key set it handed in",
        "Add an operator to the draft: its signing keys (valid from now for a year), its token "
        "keys (for their epochs), its credential keys (from their epochs' start until what "
        "they sign has expired) and its menu, from its key set (zkcheck keygen operator), "
        "with its name, countries and MCC-MNC codes.",
        "  zkcheck trust add-operator --draft federation.draft --keyset operators.keyset \\\n"
        '      --name "Operator" --country ES --network 214-01\n',
    )
    _file(add, "--draft", "the draft of the list")
    _file(add, "--keyset", "the operator's key set")
    add.add_argument("--operator", metavar="ID", help="which operator, if the key set has several")
    add.add_argument("--name", metavar="TEXT", help="the operator's name (default: its id)")
    add.add_argument(
        "--country", action="append", required=True, metavar="CC",
        help="a country it serves, ISO 3166-1 alpha-2 (repeat for more)",
    )  # fmt: skip
    _repeated(add, "--network", "MCC-MNC", "one of its networks, e.g. 214-01 (repeat for more)")
    add.set_defaults(handler=trust_commands.cmd_trust_add_operator)

    rotate = _command(
        steps,
        "rotate",
        "an operator's keys, with overlap; or the authority key",
        "With --keyset: list the operator's new signing keys from now + --lead, and end its "
        "other signing keys --overlap after that, so that every relying party has the new key "
        "before its first use and the old one verifies what it signed until that expires; "
        "new token and credential keys (the next epochs') are listed for their epochs, and a "
        "signing key the key set repeats stays as it is. With --authority: the key every list "
        "announced takes over, and a new next key is drawn; --previous is the list last signed, "
        "which the current key must have signed (a list between two rollovers is what lets "
        "relying parties follow them).",
        "  zkcheck trust rotate --draft federation.draft --keyset new.keyset\n"
        "  zkcheck trust rotate --authority authority.key --previous federation.trust-list\n",
    )
    _file(rotate, "--draft", "the draft of the list", required=False)
    _file(rotate, "--keyset", "the operator's new key set", required=False)
    rotate.add_argument(
        "--operator", metavar="ID", help="which operator, if the key set has several"
    )
    rotate.add_argument(
        "--lead", type=_seconds, default=7 * 86_400, metavar="TIME",
        help="how long before its first use a new key is listed (default: 7d, a list's life)",
    )  # fmt: skip
    rotate.add_argument(
        "--overlap", type=_seconds, default=8 * 86_400, metavar="TIME",
        help="how long an old key stays valid after that (default: 8d, the longest "
        "attestation lifetime and a day)",
    )  # fmt: skip
    _file(rotate, "--authority", "the authority key to roll over (secret)", required=False)
    _file(rotate, "--previous", "with --authority: the list last signed", required=False)
    rotate.set_defaults(handler=trust_commands.cmd_trust_rotate)

    revoke = _command(
        steps,
        "revoke",
        "revoke a key, or suspend or withdraw an operator",
        "Revoke one key of an operator (--key), or change the operator's standing (--status): "
        "from the next list signed, verifiers refuse what the key or operator signed.",
        "  zkcheck trust revoke --draft federation.draft --operator operator.example \\\n"
        "      --key 0123456789abcdef0123456789abcdef\n"
        "  zkcheck trust revoke --draft federation.draft --operator operator.example \\\n"
        "      --status withdrawn\n",
    )
    _file(revoke, "--draft", "the draft of the list")
    revoke.add_argument("--operator", required=True, metavar="ID", help="the operator")
    what = revoke.add_mutually_exclusive_group(required=True)
    what.add_argument("--key", metavar="HEX", help="the key id to revoke")
    what.add_argument(
        "--status", choices=("active", "suspended", "withdrawn"),
        help="the operator's new standing (active reinstates a suspended operator)",
    )  # fmt: skip
    revoke.set_defaults(handler=trust_commands.cmd_trust_revoke)

    sign = _command(
        steps,
        "sign",
        "sign the draft as the next list",
        "Sign the draft as the next list, numbered after the previous one (--previous, or the "
        "--out file if it exists; at least a minute later), with the previous signer's head in "
        "the key chain after an authority rollover. Keys whose validity has ended are dropped.",
        "  zkcheck trust sign --draft federation.draft --authority authority.key \\\n"
        "      --out federation.trust-list\n",
    )
    _file(sign, "--draft", "the draft of the list")
    _file(sign, "--authority", "the authority key (secret)")
    _file(sign, "--out", "the signed list (its previous version is read first, if there)")
    _file(sign, "--previous", "the list published before (default: --out)", required=False)
    sign.add_argument(
        "--next-update", type=_seconds, default=86_400, metavar="TIME",
        help="when relying parties fetch the next list (default: 1d)",
    )  # fmt: skip
    sign.add_argument(
        "--expires", type=_seconds, default=7 * 86_400, metavar="TIME",
        help="when relying parties stop accepting this list (default: 7d; at most 31d)",
    )  # fmt: skip
    sign.set_defaults(handler=trust_commands.cmd_trust_sign)

    show = _command(
        steps,
        "show",
        "explain a list, a draft or a pinned key; verify a list",
        "Show a trust list (its operators, menus and keys), a draft or a pinned key. With "
        "--pin, the list is verified as a relying party would (exit code 1 if it does not).",
        "  zkcheck trust show federation.trust-list --pin authority.pin\n",
    )
    show.add_argument("file", metavar="FILE", help="a trust list, draft or pinned key")
    show.add_argument("--pin", metavar="FILE", help="verify the list against this pinned key")
    show.set_defaults(handler=trust_commands.cmd_trust_show)


def _find_checkout(marker: Path) -> Path | None:
    """The source checkout zkcheck was installed from (or, failing that, the working
    directory) when it holds ``marker``, a file only a checkout has."""
    for root in (Path(zkcheck.__file__).resolve().parent.parent, Path.cwd()):
        if (root / marker).is_file():
            return root
    return None


def _find_benchmarks() -> Path | None:
    """The checkout whose benchmarks/ folder the bench command runs."""
    return _find_checkout(Path("benchmarks") / "__main__.py")


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


def _cmd_vectors(args: argparse.Namespace) -> int:
    # Imported here: generating vectors loads every tier, which no other command needs.
    from zkcheck import vectors

    if args.out is None:
        # The specification's own vectors, wherever the command is run from.
        root = _find_checkout(Path("spec") / "21-test-vectors.md")
        if root is None:
            raise CommandError(
                EXIT_USAGE,
                "spec/vectors is in the source repository and no checkout was found: "
                "name the directory with --out DIR",
            )
        args.out = root / "spec" / "vectors"
    if args.check:
        # A directory that is not there is a wrong --out (or working directory), not a set
        # of vector files that differ: it is bad input, as an unreadable file is.
        if not args.out.is_dir():
            raise CommandError(EXIT_BAD_INPUT, f"cannot read {args.out}: no such directory")
        try:
            problems = vectors.differences(args.out)
        except OSError as exc:
            raise CommandError(
                EXIT_BAD_INPUT, f"cannot read {_failed_path(exc, args.out)}"
            ) from None
        for problem in problems:
            sys.stdout.write(f"{args.out}: {problem}\n")
        if problems:
            return EXIT_REFUSED
        sys.stdout.write(f"{args.out}: every vector file is up to date\n")
        return EXIT_OK
    # Generated before the directory is made, so a generator failure leaves nothing behind;
    # each file is replaced whole, so a failed write leaves the previous one.
    files = vectors.generate()
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(EXIT_BAD_INPUT, f"cannot write {_failed_path(exc, args.out)}") from None
    for name, content in files.items():
        path = args.out / name
        try:
            replace_file(path, content, secret=False)
        except OSError as exc:
            # Named by the vector file, not by the temporary file beside it.
            raise CommandError(EXIT_BAD_INPUT, f"cannot write {path}: {exc.strerror}") from None
        sys.stdout.write(f"wrote {path}\n")
    return EXIT_OK


def _failed_path(exc: OSError, fallback: Path) -> str:
    """The file an ``OSError`` is about (``fallback`` if it names none) and its reason."""
    return f"{exc.filename or fallback}: {exc.strerror or exc}"


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
    except sqlite3.Error as exc:  # a database that cannot be read or written (read-only, full)
        sys.stderr.write(f"zkcheck {args.command}: a database could not be used ({exc})\n")
        return EXIT_BAD_INPUT
    except DecodeError as exc:
        if not isinstance(exc.__cause__, sqlite3.DatabaseError):
            return _internal_error(args.command)
        # A database file zkcheck's stores found damaged (the message names it).
        sys.stderr.write(f"zkcheck {args.command}: {exc}\n")
        return EXIT_BAD_INPUT
    except Exception:
        return _internal_error(args.command)
    return code


def _internal_error(command: str) -> int:
    """Report the exception being handled as a bug; its exit code."""
    sys.stderr.write(f"zkcheck {command}: internal error (a bug in zkcheck, please report it):\n")
    traceback.print_exc()
    return EXIT_INTERNAL
