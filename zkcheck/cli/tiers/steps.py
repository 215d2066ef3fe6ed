"""The steps every tier's demo case ends with: the verifier asks, the phone answers, the
verifier verifies, recorded message by message.

A tier's demo runs its own issuance, then hands :func:`ask_and_verify` its
verifier and a function that makes the phone's presentation; the outcome is
an :class:`Answer`, :func:`refusal_of` names why a case was refused, and
:func:`verifier_knowledge` says what the verifier learned and did not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zkcheck.claims import NUMBER
from zkcheck.cli.explain import Explanation
from zkcheck.cli.scenarios import (
    OPERATOR_ID,
    Case,
    Knowledge,
    Progress,
    Recorder,
    Refusal,
    Scenario,
)
from zkcheck.encoding.messages import Presentation
from zkcheck.errors import PolicyError, ZkcheckError
from zkcheck.roles import VerifiedResult, Verifier

__all__ = ["Answer", "ask_and_verify", "refusal_of", "verifier_knowledge"]


@dataclass(frozen=True)
class Answer:
    """What came of the verifier's request: the presentation (``None`` when the phone
    had nothing to show), the verified result or the failure, and what the presentation
    revealed."""

    presentation: bytes | None
    result: VerifiedResult | None
    failure: ZkcheckError | None
    disclosed: tuple[str, ...]


def ask_and_verify(
    scenario: Scenario,
    case: Case,
    verifier: Verifier,
    present: Callable[[bytes], bytes],
    explain: Callable[[Presentation], Explanation],
    presented_note: str,
    record: Recorder,
    progress: Progress,
    *,
    prepare: Callable[[bytes], None] | None = None,
) -> Answer:
    """The verifier's request, the phone's presentation (``present`` raises
    :class:`PolicyError` when the phone has nothing to show), and its verification.

    ``prepare``, when given, runs with the request before the phone presents: a
    tier whose phone obtains what it shows for one request (the token tier)
    records and times those steps there.
    """
    check, verifier_name = scenario.check, scenario.verifier
    progress(f"the {verifier_name} asks the phone")
    request = verifier.create_request().to_bytes()
    record.send(
        verifier_name,
        "phone",
        "request",
        request,
        f"asks for {check.identifier} from {OPERATOR_ID}, with a fresh single-use nonce",
    )
    if prepare is not None:
        prepare(request)
    presentation: bytes | None = None
    with record.timed("phone presents"):
        try:
            presentation = present(request)
        except PolicyError:
            presentation = None
    if presentation is None:
        record.send("phone", verifier_name, Presentation.KIND, None, "nothing to show")
        return Answer(None, None, None, ())
    record.send("phone", verifier_name, Presentation.KIND, presentation, presented_note)
    disclosed = explain(Presentation.from_bytes(presentation)).reveals
    progress(f"the {verifier_name} verifies")
    result: VerifiedResult | None = None
    failure: ZkcheckError | None = None
    with record.timed(f"{verifier_name} verifies"):
        try:
            result = verifier.verify(presentation, number=case.typed_number)
        except ZkcheckError as exc:
            failure = exc
    return Answer(presentation, result, failure, disclosed)


def refusal_of(issued: bool, answer: Answer) -> Refusal | None:
    """Why the case was refused, or ``None`` when the check was shown."""
    if not issued:
        return Refusal.NOTHING_ISSUED
    if answer.presentation is None:
        return Refusal.NOTHING_TO_SHOW
    if answer.result is None:
        return Refusal.NOT_VERIFIED
    return None


def verifier_knowledge(
    scenario: Scenario,
    refusal: Refusal | None,
    disclosed: tuple[str, ...],
    *,
    held: str,
    reason: str,
    unlinked: tuple[str, ...] = (),
) -> Knowledge:
    """What the verifier learned and did not: what was disclosed when shown; when nothing
    came, that the check is not shown and not why. ``held`` names what a phone would hold
    ("an attestation"); ``reason`` says why a presentation that came did not show the
    check; ``unlinked`` adds what an accepted presentation does not link it to."""
    check = scenario.check.identifier
    other_facts = "any other fact the operator holds about the subscriber"
    identity: tuple[str, ...] = ()
    if scenario.check != NUMBER:
        identity = ("who the subscriber is: no number or name reaches it",)
    if refusal is None:
        return Knowledge(
            scenario.verifier, disclosed, (scenario.hidden, other_facts, *identity, *unlinked)
        )
    if refusal is Refusal.NOT_VERIFIED:
        return Knowledge(
            scenario.verifier,
            (*disclosed, f"that {check} is not shown: {reason}"),
            (scenario.hidden, other_facts),
        )
    return Knowledge(
        scenario.verifier,
        (
            f"no presentation came, so {check} is not shown",
            "not why: a check that fails, a phone that declines and a phone without "
            f"{held} look the same",
        ),
        (
            f'{scenario.hidden}, or even that the check fails: nobody issued a "no", and '
            "absence is only a hint",
            other_facts,
            *identity,
        ),
    )
