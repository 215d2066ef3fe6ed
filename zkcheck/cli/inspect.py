"""``zkcheck inspect``: any zkcheck object, explained in words.

The object's type (key 1 of its map) chooses the explainer: the objects every
tier shares are explained in :mod:`zkcheck.cli.explain`, a presentation by
the tier it names, and each tier's own objects (keys, wallets, issuance
messages) by that tier.
"""

from __future__ import annotations

from zkcheck.cli import tiers
from zkcheck.cli.explain import (
    NOT_VERIFIED_NOTE,
    Explanation,
    explain_keyset,
    explain_request,
    explain_result,
)
from zkcheck.cli.files import MAX_OBJECT_SIZE
from zkcheck.encoding.messages import Presentation, decode_message
from zkcheck.errors import DecodeError

__all__ = ["explain", "known_kinds"]

_SHARED = {
    "request": explain_request,
    "result": explain_result,
    "operator-keyset": explain_keyset,
}


def known_kinds() -> frozenset[str]:
    """Every object type ``inspect`` explains in this installation."""
    kinds = set(_SHARED) | {Presentation.KIND}
    for entry in tiers.landed():
        kinds |= entry.kinds
    return frozenset(kinds)


def explain(data: bytes) -> Explanation:
    """The explanation of a zkcheck object's CBOR bytes; :class:`DecodeError` if it is none."""
    kind = decode_message(data, max_size=MAX_OBJECT_SIZE)
    shared = _SHARED.get(kind)
    if shared is not None:
        return shared(data)
    if kind == Presentation.KIND:
        return _explain_presentation(Presentation.from_bytes(data))
    owner = tiers.owner(kind)
    if owner is None:
        raise DecodeError(f"not an object type this installation knows ({kind!r})")
    return owner.explain(kind, data)


def _explain_presentation(presentation: Presentation) -> Explanation:
    entry = tiers.REGISTRY.get(presentation.tier)
    if entry is not None and not isinstance(entry, tiers.Planned):
        return entry.explain_presentation(presentation)
    status = "not built in this version" if entry is not None else "unknown to this version"
    return Explanation(
        kind=Presentation.KIND,
        title=f"presentation (phone -> verifier), {presentation.tier} tier",
        summary=f"A presentation of the {presentation.tier} tier, which is {status}.",
        audience="the verifier whose request it answers",
        reveals=(f"its body ({len(presentation.body)} bytes) is not explained: tier {status}",),
        until=None,
        until_note="",
        fields=(("tier", presentation.tier), ("nonce", presentation.nonce.hex())),
        notes=(NOT_VERIFIED_NOTE,),
    )
