"""Vectors of the signed tier (spec/04-signed-tier.md): issuance and key-bound presentation."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from zkcheck.claims import NUMBER, Check, number_digest
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.cose import COSEKey, COSESigningKey
from zkcheck.encoding.messages import (
    IssuanceRequest,
    IssuanceResponse,
    IssuedAttestation,
    Presentation,
)
from zkcheck.encoding.signed import AttestationClaims, KeyBindingClaims, bind, sign_attestation
from zkcheck.errors import InvalidSignature, WrongVerifier
from zkcheck.roles import Policy, Validity
from zkcheck.roles._signed import TIER
from zkcheck.trust.keyset import key_id
from zkcheck.vectors._world import (
    NOW,
    World,
    flip,
    request,
    request_fields,
    seed,
    signing_key,
)

__all__ = ["signed_vectors"]


def _key(label: str, key: COSESigningKey, public: COSEKey) -> dict[str, Any]:
    return {
        "seedLabel": label,
        "secretKey": key.secret.reveal().hex(),
        "publicKey": public.public.hex(),
        "coseKey": encode(public.to_map()).hex(),
    }


def _case(
    world: World,
    name: str,
    checks: tuple[Check, ...],
    holder_labels: tuple[str, ...],
    verifier_id: str,
    max_age: int,
) -> dict[str, Any]:
    operator = world.operator_key
    kid = key_id(operator.public_key)
    validity = Validity.shortest(checks)
    issued_at, expires_at = validity.window(NOW)
    holders = [signing_key(label) for label in holder_labels]
    holder_public = [_no_kid(holder) for holder in holders]
    issuance_request = IssuanceRequest(checks, tuple(holder_public))
    issued, traces = [], []
    for index, holder in enumerate(holder_public, start=1):
        salt = digest = None
        if NUMBER in checks:
            salt = seed(f"{name} number salt {index}", 16)
            digest = number_digest(salt, str(world.subscriber.msisdn))
        claims = AttestationClaims(world.operator_id, issued_at, expires_at, holder, checks, digest)
        attestation = sign_attestation(operator, kid, claims)
        issued.append(IssuedAttestation(attestation, salt))
        trace: dict[str, Any] = {
            "protectedHeader": attestation.protected.hex(),
            "payload": attestation.payload.hex(),
            "toBeSigned": attestation.to_be_signed().hex(),
            "signature": attestation.signature.hex(),
            "attestation": attestation.encode().hex(),
        }
        if salt is not None and digest is not None:
            trace["numberSalt"] = salt.hex()
            trace["numberDigest"] = digest.hex()
        traces.append(trace)
    response = IssuanceResponse(tuple(issued))
    # The holder presents the first attestation of the batch with its key.
    asked, _ = request(f"{name} request nonce", verifier_id, checks, (TIER,), max_age=max_age)
    first = issued[0]
    binding = KeyBindingClaims(verifier_id, asked.nonce, asked.digest(), first.number_salt)
    token = bind(_no_kid_signer(holders[0]), first.attestation, binding)
    shown = Presentation(TIER, asked.nonce, token.encode())
    number = world.subscriber.msisdn if NUMBER in checks else None
    policy = Policy(verifier_id, checks, tiers=(TIER,), max_age=max_age)
    result = world.verify(policy, asked, shown, number)
    relayed = replace(asked, verifier_id="relay.example")
    relay_policy = Policy("relay.example", checks, tiers=(TIER,), max_age=max_age)
    negative = [
        world.negative(
            "the operator's signature inside the attestation, one bit changed",
            policy,
            asked,
            _flip_inside(shown, first.attestation.signature),
            number,
            error=InvalidSignature,
        ),
        world.negative(
            "the holder's signature over the request, one bit changed",
            policy,
            asked,
            _flip_inside(shown, token.signature),
            number,
            error=InvalidSignature,
        ),
        world.negative(
            "the presentation relayed to another verifier whose request has the same nonce",
            relay_policy,
            relayed,
            shown,
            number,
            error=WrongVerifier,
        ),
    ]
    return {
        "caseName": name,
        "inputs": {
            "holderKeys": [
                _key(label, holder, _no_kid(holder))
                for label, holder in zip(holder_labels, holders, strict=True)
            ],
            "checks": [check.identifier for check in checks],
            "msisdn": world.subscriber.msisdn,
            "validity": {"grid": validity.grid, "lifetime": validity.lifetime},
            "issuedAt": issued_at,
            "expiresAt": expires_at,
            "request": request_fields(asked),
            "typedNumber": number,
        },
        "trace": {
            "attestations": traces,
            "request": asked.to_bytes().hex(),
            "requestDigest": asked.digest().hex(),
            "keyBinding": {
                "protectedHeader": token.protected.hex(),
                "payload": token.payload.hex(),
                "toBeSigned": token.to_be_signed().hex(),
                "signature": token.signature.hex(),
            },
        },
        "output": {
            "issuanceRequest": issuance_request.to_bytes().hex(),
            "issuanceResponse": response.to_bytes().hex(),
            "presentation": shown.to_bytes().hex(),
            "result": result.hex(),
        },
        "negative": negative,
    }


def _no_kid(key: COSESigningKey) -> COSEKey:
    public = key.public_key
    return COSEKey(public.curve, public.public, None)


def _no_kid_signer(key: COSESigningKey) -> COSESigningKey:
    return COSESigningKey(key.curve, key.secret, _no_kid(key))


def _flip_inside(shown: Presentation, part: bytes) -> Presentation:
    """``shown`` with the last octet of ``part`` (found in its evidence) changed in one bit."""
    where = shown.body.index(part) + len(part) - 1
    return Presentation(shown.tier, shown.nonce, flip(shown.body, where))


def signed_vectors(world: World) -> dict[str, Any]:
    """signed.json: the operator's key and, per case, a batch issued to holder keys and the
    first attestation presented with key binding (spec/04-signed-tier.md)."""
    operator = world.operator_key
    return {
        "title": "Signed tier: issuance of a batch and a key-bound presentation",
        "spec": "spec/04-signed-tier.md",
        "now": NOW,
        "inputs": {
            "operatorId": world.operator_id,
            "operatorKey": {
                **_key("operator signing key", operator, operator.public_key),
                "kid": key_id(operator.public_key).hex(),
            },
        },
        "cases": [
            _case(
                world,
                "age and number, a batch of two",
                (Check.age_over(18), NUMBER),
                ("holder key 1", "holder key 2"),
                "age-site.example",
                8 * 86_400,
            ),
            _case(
                world,
                "no SIM swap in 72 hours",
                (Check.sim_swap(72),),
                ("holder key 3",),
                "bank.example",
                3600,
            ),
        ],
    }
