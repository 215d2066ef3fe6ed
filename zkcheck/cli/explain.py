"""Explanations of zkcheck objects in words: what ``zkcheck inspect`` prints.

An :class:`Explanation` says what an object is, who it goes to, what it
reveals to them and until when it can be used, and lists its public fields.
Objects that hold secret keys (an operator key, a wallet) say that they do
and what kind, but no explanation ever carries secret key material: the
explainers read only public parts. Explaining is not verifying: signatures
are not checked here (``zkcheck verify`` does that).

This module explains the objects every tier shares (the verifier's request,
the result record, the operator key set, the federation's trust list, its
draft and its pinned key); each tier explains its own objects
(:mod:`zkcheck.cli.tiers`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from zkcheck.cli.words import aligned, check_in_words, checks_in_words, instant, plural
from zkcheck.encoding.messages import Request, ResultRecord, decode_message
from zkcheck.trust.authority import AUTHORITY_KEY_KIND, AUTHORITY_KIND, Authority, AuthorityKey
from zkcheck.trust.federation import DRAFT_KIND, TrustListDraft
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.trust_list import (
    TRUST_LIST_KIND,
    ListedOperator,
    SignedTrustList,
    decode_operators,
)

__all__ = [
    "NOT_VERIFIED_NOTE",
    "Explanation",
    "explain_keyset",
    "explain_request",
    "explain_result",
    "explain_trust_object",
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
            f"which operators it trusts: {_operators(request)}",
            f"which tiers it accepts: {', '.join(request.tiers)}",
            f"how fresh an attestation must be: issued at most {request.max_age} s before",
            *(
                (
                    f"that it asks for the phone's pseudonym for {request.verifier_id}, the same "
                    "at every presentation to it (one account per person)",
                )
                if request.pseudonym
                else ()
            ),
        ),
        until=request.expires_at,
        until_note="the request lapses; its nonce can be answered once",
        fields=(
            ("verifier", request.verifier_id),
            ("checks", ", ".join(c.identifier for c in request.checks)),
            ("operators", _operators(request)),
            ("tiers", ", ".join(request.tiers)),
            ("max age", f"{request.max_age} s"),
            ("nonce", f"{request.nonce.hex()} (random, single use)"),
            ("made", instant(request.time)),
            ("expires", instant(request.expires_at)),
            *((("pseudonym", "asked"),) if request.pseudonym else ()),
        ),
        notes=("the nonce is random: it ties the answer to this request and reveals nothing",),
    )


def _operators(request: Request) -> str:
    return ", ".join(request.operators) or "every operator on its trust list"


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
            *(
                (
                    "the subscriber's pseudonym at this verifier, the same at every "
                    "presentation here and unrelated to its pseudonyms elsewhere",
                )
                if record.pseudonym is not None
                else ()
            ),
        ),
        until=None,
        until_note="",
        fields=(
            ("verifier", record.verifier_id),
            ("tier", record.tier),
            ("operator", record.operator),
            ("checks", ", ".join(c.identifier for c in record.checks)),
            ("issued from", instant(record.issued_bucket)),
            *((("pseudonym", record.pseudonym.hex()),) if record.pseudonym is not None else ()),
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
        "which operators hand in these keys, their public keys and key ids",
        "which checks and thresholds each operator answers (its menu)",
    ]
    if token_keys:
        reveals.append(
            "for the token tier, one key per check and epoch with its issuer name: the key "
            "id in a token names its operator, check and epoch"
        )
    return Explanation(
        kind="operator-keyset",
        title="operator key set (operator -> federation)",
        summary=(
            f"The public keys and menus of {plural(len(keyset.operators), 'operator')} "
            f"({names}), as an operator hands them to the federation, which lists them in "
            "its signed trust list; verifiers and phones trust the list, not this file"
            + (f", and {plural(len(token_keys), 'token key')} among them." if token_keys else ".")
        ),
        audience="public: the federation, anyone",
        reveals=tuple(reveals),
        until=max((key.not_after for key in token_keys), default=None),
        until_note="the last token key's epoch ends (the signing keys have no limit here)",
        fields=tuple(fields),
    )


def explain_trust_object(data: bytes, *, verified: bool = False) -> Explanation:
    """A trust list, a draft of one, or a pinned authority key (``verified``: the list was
    checked against a pinned key)."""
    kind = decode_message(data)
    if kind == AUTHORITY_KIND:
        return _explain_pin(AuthorityKey.from_bytes(data))
    if kind == AUTHORITY_KEY_KIND:
        return _explain_authority(Authority.from_bytes(data))
    if kind == DRAFT_KIND:
        draft = TrustListDraft.from_bytes(data)
        return _explain_list(
            DRAFT_KIND, f"trust list draft of {draft.list_id} (kept by the federation)",
            "The operators of the next list, not signed yet: relying parties never read it.",
            draft.operators, None, (), ("a draft is not trusted by anyone until it is signed",),
        )  # fmt: skip
    return explain_trust_list(data, verified=verified)


def _explain_pin(pin: AuthorityKey) -> Explanation:
    return Explanation(
        kind=AUTHORITY_KIND,
        title="pinned authority key (federation -> relying parties)",
        summary=(
            f"The public key that signs trust list {pin.list_id}: a relying party configures it "
            "once and then follows the key's announced successors by itself."
        ),
        audience="public: every relying party, anyone",
        reveals=("which federation's lists a relying party accepts",),
        until=None,
        until_note="",
        fields=(
            ("list", pin.list_id),
            ("key id", pin.kid.hex()),
            ("public key", f"{pin.key.curve.value} {pin.key.public.hex()}"),
        ),
    )


def _explain_authority(authority: Authority) -> Explanation:
    pin = authority.pin()
    upcoming = authority.next.public_key.kid or b""
    return Explanation(
        kind=AUTHORITY_KEY_KIND,
        title="authority key (kept by the federation)",
        summary=(
            f"The keys that sign trust list {authority.list_id}: the current one, and the next "
            "one every list announces, which takes over at the next rollover."
        ),
        audience="the federation alone",
        reveals=(
            "to whoever holds the file: keys that sign lists every relying party pinning "
            "this federation accepts",
        ),
        until=None,
        until_note="",
        fields=(
            ("list", authority.list_id),
            ("current key id", pin.kid.hex()),
            ("next key id", upcoming.hex()),
        ),
        secret=f"the current and next private authority keys of {authority.list_id} (not printed)",
    )


def explain_trust_list(data: bytes, *, verified: bool = False) -> Explanation:
    """A signed trust list (the signature is checked only when ``verified`` says it was)."""
    signed = SignedTrustList.from_bytes(data)
    head = signed.head_fields()
    operators = decode_operators(signed.operators)
    fields = (
        ("list", head.list_id),
        ("number", str(head.sequence)),
        ("issued", instant(head.issued_at)),
        ("next update", instant(head.next_update)),
        ("expires", instant(head.expires_at)),
        ("signed by key", signed.signer_kid.hex()),
        ("next key", (head.next_authority.kid or b"").hex()),
        ("key chain", plural(len(signed.chain), "earlier head")),
    )
    note = (
        "verified against the pinned authority key"
        if verified
        else "not verified: give the pinned key to check the signature"
    )
    return _explain_list(
        TRUST_LIST_KIND,
        "trust list (federation -> relying parties and phones)",
        f"List {head.list_id} number {head.sequence}: the operators a relying party accepts, "
        "their menus and their keys in every tier.",
        operators, head.expires_at, fields, (note,),
    )  # fmt: skip


def _explain_list(
    kind: str,
    title: str,
    summary: str,
    operators: tuple[ListedOperator, ...],
    until: int | None,
    head: tuple[tuple[str, str], ...],
    notes: tuple[str, ...],
) -> Explanation:
    fields = list(head)
    for operator in operators:
        where = " ".join(operator.countries) + (
            " (" + " ".join(operator.networks) + ")" if operator.networks else ""
        )
        fields.append(
            (operator.operator_id, f"{operator.name}, {where}, {operator.status.name.lower()}")
        )
        fields.append(("", "menu " + " ".join(operator.menu.identifiers())))
        for key in operator.keys:
            state = " revoked" if key.revoked else ""
            fields.append(
                (
                    "",
                    f"{key.tier or 'unknown tier'} key {key.key_id.hex()} from "
                    f"{instant(key.not_before)} to {instant(key.not_after)}{state}",
                )
            )
    return Explanation(
        kind=kind,
        title=title,
        summary=summary,
        audience="public: every relying party and phone, anyone",
        reveals=(
            f"{plural(len(operators), 'operator')}, with names, countries and networks",
            "each operator's menu and its keys per tier, with their validity",
        ),
        until=until,
        until_note="the list expires unless a newer one replaces it",
        fields=tuple(fields),
        notes=notes,
    )
