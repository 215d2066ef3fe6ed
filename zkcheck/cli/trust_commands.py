"""``zkcheck trust``: the federation's steps, from files to files (spec/14-trust-list.md).

    federation:  trust init          ->  authority.key (secret), authority.pin, federation.draft
    operator:    keygen operator     ->  operators.keyset (its public keys in each tier, menu)
    federation:  trust add-operator  ->  federation.draft (the operator added)
                 trust rotate        ->  federation.draft (new keys, overlapping), or
                                         authority.key (the announced key takes over)
                 trust revoke        ->  federation.draft (a key revoked, an operator suspended)
                 trust sign          ->  federation.trust-list (the next signed list)
    anyone:      trust show          ->  a list, draft or pin explained; a list verified with --pin

Each handler reads its files, calls the trust layer, writes the outputs and
returns an exit code. Nothing here computes cryptography or prints a secret.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zkcheck.cli.exits import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CommandError
from zkcheck.cli.explain import explain_trust_object, render_text
from zkcheck.cli.files import read_object, report, write_object, write_secret
from zkcheck.cli.words import instant, plural
from zkcheck.errors import DecodeError, ZkcheckError
from zkcheck.trust.authority import AUTHORITY_KEY_KIND, AUTHORITY_KIND, Authority, AuthorityKey
from zkcheck.trust.clock import SystemClock, epoch_seconds
from zkcheck.trust.federation import DRAFT_KIND, TrustListDraft
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_list import (
    MIN_LIST_INTERVAL,
    TRUST_LIST_KIND,
    OperatorStatus,
    SignedTrustList,
)

__all__ = [
    "cmd_trust_add_operator",
    "cmd_trust_init",
    "cmd_trust_revoke",
    "cmd_trust_rotate",
    "cmd_trust_show",
    "cmd_trust_sign",
]

_KEYSET = "operator-keyset"


def _now() -> int:
    return epoch_seconds(SystemClock().now())


@contextmanager
def _checked(what: str) -> Iterator[None]:
    """A step the trust layer refuses ends the command: malformed files with exit code 4,
    an edit against the list's rules with exit code 2."""
    try:
        yield
    except DecodeError as exc:
        raise CommandError(EXIT_BAD_INPUT, f"{what}: {exc}") from None
    except (ValueError, ZkcheckError) as exc:
        raise CommandError(EXIT_USAGE, f"{what}: {exc}") from None


def _draft(path: str) -> TrustListDraft:
    data = read_object(path, {DRAFT_KIND})
    with _checked(path):
        return TrustListDraft.from_bytes(data)


def _submission(path: str, operator_id: str | None) -> OperatorEntry:
    data = read_object(path, {_KEYSET})
    with _checked(path):
        keyset = OperatorKeySet.from_bytes(data)
    if operator_id is None:
        if len(keyset.operators) != 1:
            raise CommandError(EXIT_USAGE, f"{path} holds several operators: choose --operator")
        return keyset.operators[0]
    entry = keyset.operator(operator_id)
    if entry is None:
        raise CommandError(EXIT_USAGE, f"{path} has no operator {operator_id!r}")
    return entry


def _authority(path: str) -> Authority:
    data = read_object(path, {AUTHORITY_KEY_KIND}, secret=True)
    with _checked(path):
        return Authority.from_bytes(data)


def cmd_trust_init(args: argparse.Namespace) -> int:
    with _checked("--list-id"):
        authority = Authority.generate(args.list_id)
        draft = TrustListDraft(args.list_id)
    write_secret(args.authority, authority.to_bytes(), replace=args.force)
    write_object(args.pin, authority.pin().to_bytes())
    write_object(args.draft, draft.to_bytes())
    report(
        args,
        f"trust list {args.list_id}: authority key (current and next) in {args.authority} "
        f"(secret, mode 0600); the key relying parties pin in {args.pin}; an empty draft in "
        f"{args.draft}: add operators, then sign",
        ("pin", "draft"),
    )
    return EXIT_OK


def cmd_trust_add_operator(args: argparse.Namespace) -> int:
    draft = _draft(args.draft)
    entry = _submission(args.keyset, args.operator)
    with _checked(f"adding {entry.operator_id}"):
        draft = draft.add_operator(
            entry,
            name=args.name or entry.operator_id,
            countries=args.country,
            networks=args.network,
            now=_now(),
        )
    write_object(args.draft, draft.to_bytes())
    report(
        args,
        f"{entry.operator_id} added to {args.draft} with {plural(len(entry.keys), 'signing key')}"
        f", {plural(len(entry.token_keys), 'token key')} and "
        f"{plural(len(entry.credential_keys), 'credential key')}; sign the draft to publish it",
        ("draft",),
    )
    return EXIT_OK


def cmd_trust_rotate(args: argparse.Namespace) -> int:
    if args.authority is not None:
        current = _authority(args.authority)
        if args.previous is None:
            raise CommandError(
                EXIT_USAGE, "rotate --authority needs --previous: the list last signed"
            )
        data = read_object(args.previous, {TRUST_LIST_KIND})
        with _checked(args.previous):
            signer = SignedTrustList.from_bytes(data).signer_kid
        if signer != current.pin().key.kid:
            # The key the previous rollover brought in has signed nothing yet: a second
            # rollover now would retire it unannounced, and no relying party could follow.
            raise CommandError(
                EXIT_USAGE,
                f"{args.previous} was signed before the last rollover: sign and publish a list "
                "with the current key first, so that relying parties can follow this one",
            )
        authority = current.roll_over()
        write_secret(args.authority, authority.to_bytes(), replace=True)
        report(
            args,
            f"{args.authority}: the announced key now signs; a new next key is announced by the "
            "next list. Relying parties follow without being told: sign and publish a list.",
        )
        return EXIT_OK
    if args.draft is None or args.keyset is None:
        raise CommandError(EXIT_USAGE, "rotate needs --authority, or --draft with --keyset")
    draft = _draft(args.draft)
    entry = _submission(args.keyset, args.operator)
    now = _now()
    with _checked(f"rotating {entry.operator_id}"):
        draft = draft.rotate(entry, now=now, lead=args.lead, overlap=args.overlap)
    write_object(args.draft, draft.to_bytes())
    report(
        args,
        f"{entry.operator_id}: new signing keys listed from {instant(now + args.lead)}; its other "
        f"signing keys stay valid until {instant(now + args.lead + args.overlap)}; new token "
        "and credential keys listed for their epochs",
        ("draft",),
    )
    return EXIT_OK


def cmd_trust_revoke(args: argparse.Namespace) -> int:
    draft = _draft(args.draft)
    with _checked(f"revoking at {args.operator}"):
        if args.key is not None:
            try:
                key_id = bytes.fromhex(args.key)
            except ValueError:
                raise CommandError(EXIT_USAGE, "--key takes a key id in hexadecimal") from None
            draft = draft.revoke_key(args.operator, key_id)
            what = f"key {args.key} of {args.operator} revoked"
        else:
            status = OperatorStatus[args.status.upper()]
            draft = draft.set_status(args.operator, status)
            what = f"{args.operator} is now {args.status}"
    write_object(args.draft, draft.to_bytes())
    report(args, f"{what} in {args.draft}; it takes effect with the next list signed", ("draft",))
    return EXIT_OK


def cmd_trust_sign(args: argparse.Namespace) -> int:
    authority = _authority(args.authority)
    draft = _draft(args.draft)
    previous_path = args.previous or (args.out if Path(args.out).exists() else None)
    previous = None
    last = 0
    if previous_path is not None:
        data = read_object(previous_path, {TRUST_LIST_KIND})
        with _checked(previous_path):
            previous = SignedTrustList.from_bytes(data)
            last = previous.head_fields().issued_at
    now = _now()
    issued_at = now
    if previous is not None:
        # Lists are numbered at most one a minute (the fast-forward bound). A list signed
        # sooner is dated a minute after the previous one, which verifiers accept as within
        # their clock tolerance; one more than that has to wait.
        issued_at = max(now, last + MIN_LIST_INTERVAL)
        if issued_at > now + MIN_LIST_INTERVAL:
            raise CommandError(
                EXIT_USAGE,
                f"lists are issued at least {MIN_LIST_INTERVAL} s apart; the previous one is "
                f"dated {instant(last)}: sign again in a minute",
            )
    with _checked("signing"):
        if draft.list_id != authority.list_id:
            raise ValueError(
                f"the draft is of list {draft.list_id}, the key of {authority.list_id}"
            )
        signed = authority.sign(
            draft.prune(now).operators,
            issued_at=issued_at,
            previous=previous,
            next_update=args.next_update,
            expires_at=args.expires,
        )
    write_object(args.out, signed.to_bytes())
    head = signed.head_fields()
    report(
        args,
        f"{args.out}: list {head.list_id} number {head.sequence}, "
        f"{plural(len(draft.operators), 'operator')}; relying parties fetch the next one from "
        f"{instant(head.next_update)}, and refuse this one from {instant(head.expires_at)}",
    )
    return EXIT_OK


def cmd_trust_show(args: argparse.Namespace) -> int:
    data = read_object(args.file, {TRUST_LIST_KIND, DRAFT_KIND, AUTHORITY_KIND})
    verified = False
    if args.pin is not None:
        pin_data = read_object(args.pin, {AUTHORITY_KIND})
        with _checked(args.pin):
            pin = AuthorityKey.from_bytes(pin_data)
        try:
            TrustListAnchors(pin, clock=SystemClock()).load(data)
        except ZkcheckError as exc:
            sys.stderr.write(
                f"zkcheck trust show: {args.file} does not verify against {args.pin} "
                f"({type(exc).__name__}: {exc})\n"
            )
            return EXIT_REFUSED
        verified = True
    with _checked(args.file):
        explanation = explain_trust_object(data, verified=verified)
    sys.stdout.write(render_text(explanation, len(data)))
    return EXIT_OK
