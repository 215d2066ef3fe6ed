"""Vectors of the trust list (spec/14-trust-list.md): the operator's key set, the signed
list, the pinned authority key, and lists a relying party refuses."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from zkcheck.encoding.cose import COSESigningKey
from zkcheck.errors import Expired, InvalidSignature, UntrustedIssuer, ZkcheckError
from zkcheck.trust.authority import Authority
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.keyset import OperatorKeySet, key_id
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_list import SignedTrustList
from zkcheck.trust.trust_state import MemoryTrustState
from zkcheck.vectors._world import LIST_ISSUED, NOW, World, flip, refusal, signing_key

__all__ = ["trust_list_vectors"]


def _authority_key(label: str, key: COSESigningKey) -> dict[str, Any]:
    return {
        "seedLabel": label,
        "secretKey": key.secret.reveal().hex(),
        "publicKey": key.public_key.public.hex(),
        "kid": key_id(key.public_key).hex(),
    }


def _negative(
    world: World,
    description: str,
    data: bytes,
    error: type[ZkcheckError],
    now: int = NOW,
) -> dict[str, Any]:
    """A list a relying party pinned to the world's authority refuses at ``now`` with
    ``error``."""
    anchors = TrustListAnchors(
        world.authority.pin(),
        clock=FixedClock(datetime.fromtimestamp(now, UTC)),
        state=MemoryTrustState(),
    )
    return {
        "description": description,
        "trustList": data.hex(),
        "now": now,
        "error": refusal(description, error, lambda: anchors.load(data, now=now)),
    }


def trust_list_vectors(world: World) -> dict[str, Any]:
    """trust-list.json: the authority's keys, the first signed list with its head, and
    lists a pinned relying party refuses (spec/14-trust-list.md)."""
    authority = world.authority
    signed = world.trust_list
    head = signed.head
    data = signed.to_bytes()
    fields = signed.head_fields()
    # Signed by the announced next key alone, without the chain that leads to it.
    stranger = Authority(authority.list_id, authority.next, signing_key("stranger authority"))
    unchained = stranger.sign(world.draft.operators, issued_at=LIST_ISSUED).to_bytes()
    tampered = SignedTrustList(head, flip(signed.operators, len(signed.operators) - 1))
    return {
        "title": "Trust list: the federation's signed list of operators and keys",
        "spec": "spec/14-trust-list.md",
        "now": NOW,
        "inputs": {
            "listId": authority.list_id,
            "currentAuthorityKey": _authority_key("federation authority key 1", authority.current),
            "nextAuthorityKey": _authority_key("federation authority key 2", authority.next),
        },
        "cases": [
            {
                "caseName": "the first list, one operator with keys in every tier",
                "inputs": {
                    "operatorKeySet": OperatorKeySet((world.entry(),)).to_bytes().hex(),
                    "name": "Example Mobile",
                    "countries": ["ES"],
                    "networks": ["214-01"],
                    "issuedAt": LIST_ISSUED,
                },
                "trace": {
                    "operators": signed.operators.hex(),
                    "operatorsDigest": hashlib.sha256(signed.operators).hexdigest(),
                    "head": head.payload.hex(),
                    "sequenceNumber": fields.sequence,
                    "nextUpdate": fields.next_update,
                    "expires": fields.expires_at,
                    "protectedHeader": head.protected.hex(),
                    "toBeSigned": head.to_be_signed().hex(),
                    "signature": head.signature.hex(),
                },
                "output": {
                    "trustList": data.hex(),
                    "trustAuthority": authority.pin().to_bytes().hex(),
                    "trustListDraft": world.draft.to_bytes().hex(),
                },
                "negative": [
                    _negative(
                        world,
                        "the last octet of the operators, one bit changed",
                        tampered.to_bytes(),
                        InvalidSignature,
                    ),
                    _negative(
                        world,
                        "a list signed by another key than the pinned one",
                        unchained,
                        UntrustedIssuer,
                    ),
                    _negative(world, "the list after its expiry", data, Expired, fields.expires_at),
                    _negative(
                        world,
                        "the list an hour before its issue time, beyond the clock's tolerance",
                        data,
                        Expired,
                        LIST_ISSUED - 3600,
                    ),
                ],
            }
        ],
    }
