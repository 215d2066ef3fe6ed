"""Explanations of zkcheck objects in words: what ``zkcheck inspect`` prints.

An :class:`Explanation` says what an object is, who it goes to, what it
reveals to them and until when it can be used, and lists its public fields.
Objects that hold secret keys (an operator key, a wallet) say that they do
and what kind, but no explanation ever carries secret key material: the
explainers read only public parts. Explaining is not verifying: signatures
are not checked here (``zkcheck verify`` does that).

This module explains the objects every tier shares (the verifier's request,
the result record, the operator key set); each tier explains its own
objects (:mod:`zkcheck.cli.tiers`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from zkcheck.cli.words import aligned, check_in_words, checks_in_words, instant, plural
from zkcheck.encoding.messages import Request, ResultRecord
from zkcheck.trust.keyset import OperatorKeySet

__all__ = [
    "NOT_VERIFIED_NOTE",
    "Explanation",
    "explain_keyset",
    "explain_request",
    "explain_result",
    "render_json",
    "render_text",
]

NOT_VERIFIED_NOTE = "inspect explains; it does not check signatures (zkcheck verify does)"


@dataclass(frozen=True)
class Explanation:
    """One object explained: public facts only, never secret key material."""

    kind: str
    """The object's type on the wire (key 1), e.g. ``"presentation"``."""
    title: str
    """A short name with the direction it travels, e.g. "request (verifier -> phone)"."""
    summary: str
    audience: str
    """Who receives or reads the object."""
    reveals: tuple[str, ...]
    """What the object reveals to its audience, one statement each."""
    until: int | None
    """Until when the object can be used (NumericDate), if it has a limit."""
    until_note: str
    fields: tuple[tuple[str, str], ...]
    """Public values by name, as text."""
    secret: str | None = None
    """What secret the object holds (never the secret itself), or ``None``."""
    notes: tuple[str, ...] = ()


def render_text(explanation: Explanation, size: int) -> str:
    """The explanation as the lines ``zkcheck inspect`` prints."""
    e = explanation
    lines = [f"{e.title}, {plural(size, 'byte')}", *aligned("", [e.summary], indent=2, width=0)]
    lines.append("")
    lines += aligned("to whom", [e.audience], indent=2)
    lines += aligned("reveals", list(e.reveals), indent=2, bullet="- ") or [
        "  reveals        nothing"
    ]
    until = "no limit of its own"
    if e.until is not None:
        until = instant(e.until) + (f" ({e.until_note})" if e.until_note else "")
    lines += aligned("usable until", [until], indent=2)
    lines += aligned("secret", [e.secret or "none: safe to share with its audience"], indent=2)
    lines.append("  fields")
    width = max((len(name) for name, _ in e.fields), default=0) + 2
    for name, value in e.fields:
        lines += aligned(name, [value], indent=4, width=width)
    if e.notes:
        lines += aligned("notes", list(e.notes), indent=2, bullet="- ")
    return "\n".join(lines) + "\n"


def render_json(explanation: Explanation, size: int) -> str:
    """The explanation as one JSON object (``zkcheck inspect --format json``)."""
    e = explanation
    document = {
        "type": e.kind,
        "title": e.title,
        "size": size,
        "summary": e.summary,
        "to_whom": e.audience,
        "reveals": list(e.reveals),
        "usable_until": e.until,
        "usable_until_utc": None if e.until is None else instant(e.until),
        "usable_until_note": e.until_note,
        "secret": e.secret,
        "fields": dict(e.fields),
        "notes": list(e.notes),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def explain_request(data: bytes) -> Explanation:
    """A verifier's request."""
    request = Request.from_bytes(data)
    return Explanation(
        kind=Request.KIND,
        title="request (verifier -> phone)",
        summary=(
            f"{request.verifier_id} asks a phone to show {checks_in_words(request.checks)}, "
            "answered with a presentation made for this request alone."
        ),
        audience="the phone it is sent to (and anyone who sees it on the way)",
        reveals=(
            f"who asks: {request.verifier_id}",
            f"what it asks: {', '.join(c.identifier for c in request.checks)}",
            f"which operators it trusts: {', '.join(request.operators)}",
            f"which tiers it accepts: {', '.join(request.tiers)}",
            f"how fresh an attestation must be: issued at most {request.max_age} s before",
        ),
        until=request.expires_at,
        until_note="the request lapses; its nonce can be answered once",
        fields=(
            ("verifier", request.verifier_id),
            ("checks", ", ".join(c.identifier for c in request.checks)),
            ("operators", ", ".join(request.operators)),
            ("tiers", ", ".join(request.tiers)),
            ("max age", f"{request.max_age} s"),
            ("nonce", f"{request.nonce.hex()} (random, single use)"),
            ("made", instant(request.time)),
            ("expires", instant(request.expires_at)),
        ),
        notes=("the nonce is random: it ties the answer to this request and reveals nothing",),
    )


def explain_result(data: bytes) -> Explanation:
    """A verification result record."""
    record = ResultRecord.from_bytes(data)
    return Explanation(
        kind=ResultRecord.KIND,
        title="result (verifier -> its own systems)",
        summary=(
            f"What {record.verifier_id} verified: {checks_in_words(record.checks)}, "
            f"attested by {record.operator} in the {record.tier} tier."
        ),
        audience="the verifier's own systems (its logs, its fraud pipeline)",
        reveals=(
            *(f"{check.identifier} holds: {check_in_words(check)}" for check in record.checks),
            f"the operator that attested it: {record.operator}",
            f"a coarse issue time: in the interval from {instant(record.issued_bucket)}",
        ),
        until=None,
        until_note="",
        fields=(
            ("verifier", record.verifier_id),
            ("tier", record.tier),
            ("operator", record.operator),
            ("checks", ", ".join(c.identifier for c in record.checks)),
            ("issued from", instant(record.issued_bucket)),
        ),
        notes=(
            "a record is data, not proof: only a verification made it, and anyone can write one",
        ),
    )


def explain_keyset(data: bytes) -> Explanation:
    """A published operator key set."""
    keyset = OperatorKeySet.from_bytes(data)
    fields: list[tuple[str, str]] = []
    token_keys = [key for entry in keyset.operators for key in entry.token_keys]
    for entry in keyset.operators:
        kids = ", ".join(
            f"{key.kid.hex() if key.kid else '?'} ({key.curve.value})" for key in entry.keys
        )
        fields.append((entry.operator_id, f"keys {kids or 'none'}"))
        if entry.credential_keys:
            epochs = ", ".join(
                f"{key.key_id.hex()} (from {instant(key.not_before)})"
                for key in entry.credential_keys
            )
            fields.append(("", f"credential keys {epochs}"))
        fields.append(("", "menu " + " ".join(entry.menu.identifiers())))
        fields += [
            (
                "",
                f"token key {key.check.identifier}: {key.issuer_name}, epoch "
                f"{instant(key.not_before)} to {instant(key.not_after)}, key id "
                f"{key.token_key_id.hex()}",
            )
            for key in entry.token_keys
        ]
    names = ", ".join(entry.operator_id for entry in keyset.operators)
    reveals = [
        "which operators a verifier trusts, their public keys and key ids",
        "which checks and thresholds each operator answers (its menu)",
    ]
    if token_keys:
        reveals.append(
            "for the token tier, one key per check and epoch with its issuer name: the key "
            "id in a token names its operator, check and epoch"
        )
    return Explanation(
        kind="operator-keyset",
        title="operator key set (operators -> verifiers)",
        summary=(
            f"The public keys and menus of {plural(len(keyset.operators), 'operator')} "
            f"({names}): a verifier accepts attestations signed with these keys, "
            "for checks on these menus"
            + (f", and tokens under {plural(len(token_keys), 'token key')}." if token_keys else ".")
        ),
        audience="public: every verifier and phone, anyone",
        reveals=tuple(reveals),
        until=max((key.not_after for key in token_keys), default=None),
        until_note="the last token key's epoch ends (the signing keys have no limit here)",
        fields=tuple(fields),
    )
