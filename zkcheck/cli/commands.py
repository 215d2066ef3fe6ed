"""The commands for real use: each party's step, from files to files.

    operator:  keygen operator  ->  operator.key (secret), operators.keyset (public, for the
                                    federation's trust list: zkcheck trust, trust_commands.py)
    phone:     keygen holder    ->  phone.wallet (secret), ask.cbor (issuance request)
    operator:  issue            ->  attestations.cbor (issuance response)
    phone:     receive          ->  phone.wallet (the attestations stored)
    verifier:  request          ->  request.cbor (and the nonce, in its nonce store)
    phone:     present          ->  presentation.cbor
    verifier:  verify           ->  exit code 0 or 1, and a result record
    anyone:    inspect          ->  any of these files explained in words

Every verifier step takes the federation's trust list and the key the
verifier pinned (``--trust-list``, ``--pin``); the verifier's database keeps
the list it accepted. In the token tier the operator's keygen also writes its
issuer directories, the verifier's request comes with a challenge (``request
--challenge``), and the phone asks its operator for tokens after it (``keygen
holder --tier token`` with the request, the challenge, the trust list and pin,
its operator and the directories).

Each handler reads its files, hands bytes to a tier (which works through the
role layer) or to the role layer directly, writes the outputs and returns an
exit code (:mod:`zkcheck.cli.exits`). Nothing here computes cryptography, and
nothing here prints a secret: reports name files and public facts only.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from zkcheck.claims import NUMBER, is_e164
from zkcheck.cli import tiers
from zkcheck.cli.demo import run_demo
from zkcheck.cli.exits import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    CommandError,
)
from zkcheck.cli.explain import render_json, render_text
from zkcheck.cli.files import (
    MAX_OBJECT_SIZE,
    check_output,
    read_object,
    report,
    warn,
    write_object,
    write_secret,
)
from zkcheck.cli.inspect import explain, known_kinds
from zkcheck.cli.tiers.base import PhoneInputs, TierFiles
from zkcheck.cli.transcript import Style, TerminalProgress, render, wants_colour
from zkcheck.cli.words import check_in_words, checks_in_words, instant, plural
from zkcheck.encoding.messages import Presentation, Request, decode_message
from zkcheck.errors import DecodeError, PolicyError, ZkcheckError
from zkcheck.roles import Policy, Verifier
from zkcheck.roles.verifier import tiers_serving
from zkcheck.sources import SQLiteSubscriberSource
from zkcheck.trust.authority import AUTHORITY_KIND, AuthorityKey
from zkcheck.trust.clock import SystemClock
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.nonces import SQLiteNonceStore
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_state import MemoryTrustState, SQLiteTrustState

__all__ = [
    "cmd_demo",
    "cmd_inspect",
    "cmd_issue",
    "cmd_keygen_holder",
    "cmd_keygen_operator",
    "cmd_present",
    "cmd_receive",
    "cmd_request",
    "cmd_verify",
]

_KEYSET = "operator-keyset"


@contextmanager
def _input(path: str) -> Iterator[None]:
    """Malformed content of ``path`` ends the command with exit code 4."""
    try:
        yield
    except DecodeError as exc:
        if isinstance(exc.__cause__, sqlite3.DatabaseError):
            raise  # a damaged database, which the message names
        raise CommandError(EXIT_BAD_INPUT, f"{path}: {exc}") from None


def _step_kinds(step: Callable[[TierFiles], str | None]) -> dict[str, tiers.Tier]:
    """The object types of one step (``step`` picks it from each built tier's files)."""
    found = {}
    for entry in tiers.landed():
        kind = step(entry.files)
        if kind is not None:
            found[kind] = entry
    return found


def _tier_file(
    path: str, step: Callable[[TierFiles], str | None], *, secret: bool = False
) -> tuple[bytes, tiers.Tier]:
    """The object in ``path``, of the type ``step`` picks in some built tier, and that tier."""
    wanted = _step_kinds(step)
    data = read_object(path, set(wanted), secret=secret)
    return data, wanted[decode_message(data, max_size=MAX_OBJECT_SIZE)]


def _given(path: str | None, step: Callable[[TierFiles], str | None]) -> bytes | None:
    """An optional input file of the type ``step`` picks in some built tier."""
    return None if path is None else _tier_file(path, step)[0]


# -- keygen ---------------------------------------------------------------------------


def cmd_keygen_operator(args: argparse.Namespace) -> int:
    tier = tiers.tier(args.tier)
    published = tier.files.published
    if published is not None and args.directories is None:
        raise CommandError(
            EXIT_USAGE,
            f"the {tier.name} tier also writes the objects phones need ({published}): "
            "give --directories FILE",
        )
    if published is None and args.directories is not None:
        raise CommandError(EXIT_USAGE, f"the {tier.name} tier writes no --directories")
    keyset: bytes | None = None
    if args.keyset != "-" and Path(args.keyset).exists():
        keyset = read_object(args.keyset, {_KEYSET})
        with _input(args.keyset):
            OperatorKeySet.from_bytes(keyset)
    secret = _replaced_key(args.out, tier) if args.force else None
    try:
        made = tier.keygen_operator(
            args.operator_id,
            tuple(dict.fromkeys(args.check)),
            domain=args.domain,
            keyset=keyset,
            secret=secret,
            clock=SystemClock(),
        )
    except DecodeError as exc:
        raise CommandError(EXIT_USAGE, f"--operator-id: {exc}") from None
    except ValueError as exc:
        raise CommandError(EXIT_USAGE, str(exc)) from None
    write_secret(args.out, made.secret, args.format, replace=args.force)
    write_object(args.keyset, made.keyset, args.format)
    outputs = f"its public key set to {args.keyset}: give that to verifiers and phones"
    if made.published is not None:
        write_object(args.directories, made.published, args.format)
        outputs += f"; what phones fetch ({published}) to {args.directories}: publish it"
    report(
        args,
        f"operator keys of {args.operator_id} ({tier.name} tier) written to {args.out} "
        f"(secret, mode 0600); {outputs}",
        ("keyset", "directories"),
    )
    return EXIT_OK


def _replaced_key(path: str, tier: tiers.Tier) -> bytes | None:
    """The key file ``--force`` is about to replace, if it is one of ``tier``'s (which may
    renew it rather than start anew)."""
    kind = tier.files.operator_key
    if kind is None or path == "-" or not Path(path).is_file():
        return None
    try:
        return read_object(path, {kind}, secret=True)
    except CommandError:
        return None  # not a key file of this tier: replaced, as --force says


def _phone_trust(args: argparse.Namespace) -> TrustListAnchors | None:
    """The federation's list as a phone checks it afresh (``--trust-list``, ``--pin``)."""
    if (args.trust_list is None) != (args.pin is None):
        raise CommandError(EXIT_USAGE, "--trust-list and --pin go together")
    return None if args.trust_list is None else _anchors(args.trust_list, args.pin, None)


def cmd_keygen_holder(args: argparse.Namespace) -> int:
    tier = tiers.tier(args.tier)
    wallet: bytes | None = None
    if tier.files.wallet is not None and Path(args.wallet).exists():
        wallet = read_object(args.wallet, {tier.files.wallet}, secret=True)
    given = PhoneInputs(
        request=None if args.input is None else read_object(args.input, {Request.KIND}),
        challenge=_given(args.challenge, lambda files: files.challenge),
        trust=_phone_trust(args),
        operator=args.operator,
        directories=_given(args.directories, lambda files: files.published),
        renew=args.renew,
    )
    with _input(f"{args.wallet} or an input"):
        try:
            wallet, request = tier.keygen_holder(
                wallet, tuple(args.check), args.count, given, clock=SystemClock()
            )
        except ValueError as exc:
            raise CommandError(EXIT_USAGE, str(exc)) from None
        except PolicyError as exc:
            raise CommandError(
                EXIT_BAD_INPUT,
                f"the phone refuses the challenge ({type(exc).__name__}: {exc}); nothing was asked",
            ) from None
    write_secret(args.wallet, wallet, replace=True)
    if request is None:
        report(args, f"{args.wallet} already holds what the request needs: nothing to ask")
        return EXIT_OK
    write_object(args.out, request, args.format)
    report(
        args,
        f"{args.wallet} updated (secret, mode 0600). {explain(request).summary} "
        f"Written to {args.out}: send it to the operator.",
    )
    return EXIT_OK


# -- operator ---------------------------------------------------------------------------


def cmd_issue(args: argparse.Namespace) -> int:
    if not is_e164(args.msisdn):
        raise CommandError(EXIT_USAGE, "--msisdn takes an E.164 number such as +34600000001")
    key, tier = _tier_file(args.key, lambda files: files.operator_key, secret=True)
    request = read_object(args.input, {tier.files.issuance_request})
    if not Path(args.subscribers).is_file():
        raise CommandError(EXIT_BAD_INPUT, f"cannot read {args.subscribers}: no such file")
    try:
        source = SQLiteSubscriberSource(args.subscribers)
        try:
            with _input(f"{args.key} or {args.input}"):
                response = tier.issue(
                    key, source, args.msisdn, request, database=args.subscribers,
                    clock=SystemClock(),
                )  # fmt: skip
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise CommandError(
            EXIT_BAD_INPUT, f"{args.subscribers}: not a subscriber database ({exc})"
        ) from None
    except PolicyError:
        sys.stderr.write(
            f"zkcheck issue: nothing issued: no requested check holds for {args.msisdn} "
            "(or the operator does not serve it). The operator issues nothing for a check "
            "that does not hold.\n"
        )
        return EXIT_REFUSED
    write_object(args.out, response, args.format)
    report(args, f"{explain(response).summary} Written to {args.out}. Note: {tier.attester}.")
    return EXIT_OK


# -- phone ------------------------------------------------------------------------------


def cmd_receive(args: argparse.Namespace) -> int:
    wallet, tier = _tier_file(args.wallet, lambda files: files.wallet, secret=True)
    response = read_object(args.input, {tier.files.issuance_response})
    given = PhoneInputs(trust=_phone_trust(args))
    with _input(f"{args.wallet} or {args.input}"):
        try:
            wallet, stored = tier.receive(wallet, response, given, clock=SystemClock())
        except ValueError as exc:
            raise CommandError(EXIT_USAGE, str(exc)) from None
        except DecodeError:
            raise
        except ZkcheckError as exc:  # a signature or key the phone refuses, in any tier
            raise CommandError(
                EXIT_BAD_INPUT,
                f"the phone refuses the response ({type(exc).__name__}: {exc}); nothing stored",
            ) from None
    write_secret(args.wallet, wallet, replace=True)
    report(args, f"{plural(stored, tier.noun)} stored in {args.wallet}")
    return EXIT_OK


def cmd_present(args: argparse.Namespace) -> int:
    wallet, tier = _tier_file(args.wallet, lambda files: files.wallet, secret=True)
    request = read_object(args.input, {Request.KIND})
    given = PhoneInputs(trust=_phone_trust(args), origin=args.origin)
    with _input(f"{args.wallet} or {args.input}"):
        asked = Request.from_bytes(request)
        try:
            wallet, presentation = tier.present(wallet, request, given, clock=SystemClock())
        except ValueError as exc:
            raise CommandError(EXIT_USAGE, str(exc)) from None
        except PolicyError:
            sys.stderr.write(
                f"zkcheck present: nothing to show: no {tier.noun} in {args.wallet} answers "
                f"{asked.verifier_id}'s request for {checks_in_words(asked.checks)} "
                f"(from {', '.join(asked.operators) or 'any operator on its trust list'}, "
                f"issued at most {asked.max_age} s ago)\n"
            )
            return EXIT_REFUSED
    # The wallet forgets what it shows before the presentation leaves, so a
    # failure in between can lose an attestation or token but never show one twice;
    # an output that cannot be written is found before, and the wallet kept.
    check_output(args.out)
    write_secret(args.wallet, wallet, replace=True)
    write_object(args.out, presentation, args.format)
    report(args, f"presentation for {asked.verifier_id} written to {args.out}")
    return EXIT_OK


# -- verifier ---------------------------------------------------------------------------


def _trust(args: argparse.Namespace) -> TrustListAnchors:
    """The verifier's trust anchors: the federation's list as the verifier's database
    holds it, brought up to date from ``--trust-list``."""
    return _anchors(args.trust_list, args.pin, args.nonces)


def _anchors(location: str, pin_path: str, database: str | None) -> TrustListAnchors:
    """The federation's list from ``location`` (a file or URL), verified against the key
    pinned in ``pin_path``; exit code 4 when no valid list can be had.

    ``database`` keeps what was accepted (the highest sequence number, the list
    itself) between runs; a phone keeps nothing and checks the list afresh. A
    command runs once and is gone, so it reads the list at every run: a new list
    (a revocation) takes effect at once. A list it cannot use (older, altered,
    expired) changes nothing; it is reported, and the list held stays in use
    until it expires.
    """
    pin_bytes = read_object(pin_path, {AUTHORITY_KIND})
    with _input(pin_path):
        pin = AuthorityKey.from_bytes(pin_bytes)
    try:
        state = SQLiteTrustState(database) if database is not None else MemoryTrustState()
        trust = TrustListAnchors(pin, clock=SystemClock(), state=state, source=location)
    except sqlite3.Error as exc:
        message = f"{database}: not a verifier database ({exc})"
        raise CommandError(EXIT_BAD_INPUT, message) from None
    except DecodeError as exc:  # the file, or the list it holds, is damaged
        message = f"{database}: not a verifier database, or a damaged one ({exc})"
        raise CommandError(EXIT_BAD_INPUT, message) from None
    except ZkcheckError as exc:
        message = f"{database}: the trust list it holds does not verify ({exc})"
        raise CommandError(EXIT_BAD_INPUT, message) from None
    failure: ZkcheckError | OSError | None = None
    try:
        trust.refresh()
    except (ZkcheckError, OSError) as exc:
        failure = exc
    why = f" ({type(failure).__name__}: {failure})" if failure is not None else ""
    try:
        trust.current()
    except ZkcheckError as exc:
        raise CommandError(EXIT_BAD_INPUT, f"{location}: no valid trust list: {exc}{why}") from None
    if failure is not None:
        warn(f"{location}: not used{why}; the list held stays in use until it expires")
    return trust


def _verifier(args: argparse.Namespace) -> Verifier:
    trust = _trust(args)
    operators = tuple(args.operator)
    chosen = tuple(dict.fromkeys(args.tier))
    for name in chosen:
        tiers.tier(name)
    try:
        policy = Policy(
            args.verifier_id,
            tuple(dict.fromkeys(args.require)),
            operators,
            optional=tuple(dict.fromkeys(args.optional)),
            tiers=chosen or tuple(entry.name for entry in tiers.landed()),
            max_age=args.max_age,
            request_lifetime=args.lifetime,
            pseudonym=args.pseudonym,
        )
        if not chosen:
            # By default, every built tier whose rules admit the policy: the token tier,
            # for one, carries no number and needs a verifier id that is a server name.
            serving = tiers_serving(policy)
            if not serving:
                raise ValueError("no built tier can serve this policy")
            policy = replace(policy, tiers=serving)
        try:
            store = SQLiteNonceStore(args.nonces)
        except (sqlite3.Error, DecodeError) as exc:
            raise CommandError(
                EXIT_BAD_INPUT, f"{args.nonces}: not a nonce store, or a damaged one ({exc})"
            ) from None
        return Verifier(policy, trust, clock=SystemClock(), nonces=store)
    except (ValueError, DecodeError, PolicyError) as exc:
        raise CommandError(EXIT_USAGE, str(exc)) from None


def cmd_request(args: argparse.Namespace) -> int:
    verifier = _verifier(args)
    request = verifier.create_request()
    challenges = []
    for entry in tiers.landed():
        try:
            challenge = entry.challenge(verifier, request)
        except ValueError as exc:
            if args.challenge is not None:
                raise CommandError(EXIT_USAGE, f"--challenge: {exc}") from None
            continue
        if challenge is not None:
            challenges.append(challenge)
    if args.challenge is not None and len(challenges) != 1:
        raise CommandError(EXIT_USAGE, "--challenge: no tier of this request sends a challenge")
    write_object(args.out, request.to_bytes(), args.format)
    written = ""
    if args.challenge is not None:
        write_object(args.challenge, challenges[0], args.format)
        written = f", its challenge to {args.challenge}"
    report(
        args,
        f"request of {request.verifier_id} for {checks_in_words(request.checks)} written to "
        f"{args.out}{written}; it can be answered once, until {instant(request.expires_at)}",
        ("out", "challenge"),
    )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    verifier = _verifier(args)
    if NUMBER in verifier.policy.checks and args.number is None:
        raise CommandError(EXIT_USAGE, "the policy asks for number: give --number (as typed)")
    if args.number is not None and not is_e164(args.number):
        # What the user typed is compared, not trusted: a number that is not
        # E.164 simply matches nothing.
        sys.stderr.write("zkcheck verify: note: --number is not an E.164 number\n")
    data = read_object(args.input, {Presentation.KIND})
    try:
        result = verifier.verify(data, number=args.number)
    except ZkcheckError as exc:
        if isinstance(exc.__cause__, sqlite3.DatabaseError):
            raise  # the verifier's database is damaged, not the presentation: exit 4
        sys.stderr.write(
            f"zkcheck verify: refused, not shown ({type(exc).__name__}: {exc}). "
            "The verifier treats the checks as not shown.\n"
        )
        return EXIT_REFUSED
    if args.out is not None:
        write_object(args.out, result.to_bytes(), args.format)
    shown = "; ".join(f"{c.identifier} ({check_in_words(c)})" for c in result.checks)
    report(
        args,
        f"accepted: {shown}; attested by {result.operator} ({result.tier} tier), "
        f"issued in the interval from {instant(int(result.issued_bucket.timestamp()))}",
    )
    if result.pseudonym is not None:
        # The account key a verifier that keeps one account per person looks up.
        report(
            args,
            f"pseudonym: {result.pseudonym.hex()} (this subscriber's at "
            f"{result.verifier_id}, the same at every presentation here)",
        )
    return EXIT_OK


# -- anyone -----------------------------------------------------------------------------


def cmd_inspect(args: argparse.Namespace) -> int:
    data = read_object(args.file, known_kinds())
    with _input(args.file):
        explanation = explain(data)
    render_as = render_json if args.format == "json" else render_text
    sys.stdout.write(render_as(explanation, len(data)))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    stream = sys.stdout
    colour = wants_colour(stream)
    progress = TerminalProgress(stream) if colour else None
    try:
        result = run_demo(
            state=args.state,
            tier_names=tuple(args.tier),
            fresh=args.fresh,
            progress=progress if progress is not None else (lambda _: None),
        )
    finally:
        if progress is not None:
            progress.clear()
    stream.write(render(result, Style(colour)))
    return EXIT_OK if result.as_expected else EXIT_INTERNAL
