"""Vectors of the token tier (spec/05-blind-rsa-privacypass.md, spec/07-token-tier.md):
challenge, blind issuance and redemption of RFC 9578 type 0x0002 tokens."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from zkcheck.claims import Check
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.messages import Presentation
from zkcheck.encoding.token import (
    CONTEXT_DST,
    encode_token_body,
    redemption_context,
    spend_key,
    token_challenge,
)
from zkcheck.encoding.token_messages import (
    IssuerDirectories,
    TokenChallengeHeader,
    TokenIssuanceRequest,
    TokenIssuanceResponse,
    token_request_id,
)
from zkcheck.errors import DecodeError, InvalidSignature, WrongVerifier
from zkcheck.hazmat.privacypass import (
    ISSUER_DIRECTORY_PATH,
    DirectoryTokenKey,
    IssuerDirectory,
    Token,
    TokenRequest,
    build_authorization,
    create_token_request,
    finalize_token,
    issue_token_response,
    token_authenticator_input,
)
from zkcheck.roles import Policy
from zkcheck.roles._token import TIER, challenge_header
from zkcheck.roles.token_issuer import ISSUER_REQUEST_PATH
from zkcheck.vectors._world import (
    NOW,
    SeededRng,
    World,
    flip,
    request,
    request_fields,
    rsa_numbers,
)

__all__ = ["token_vectors"]


def _case(world: World, name: str, check: Check, verifier_id: str, max_age: int) -> dict[str, Any]:
    key = world.token_key(check)
    entry = key.entry
    asked, _ = request(f"{name} request nonce", verifier_id, (check,), (TIER,), max_age=max_age)
    header = challenge_header(asked, world.anchors(), NOW)
    challenge = token_challenge(entry.issuer_name, check, verifier_id, asked.digest())
    client = SeededRng(f"{name} client")
    token_request, state = create_token_request(entry.spki, challenge, rng=client)
    nonce, challenge_digest, inv = state.export()
    token_response = issue_token_response(key.private_key, token_request)
    token = finalize_token(state, token_response)
    parsed = Token.from_bytes(token)
    body = encode_token_body([token])
    shown = Presentation(TIER, asked.nonce, body)
    policy = Policy(verifier_id, (check,), tiers=(TIER,), max_age=max_age)
    result = world.verify(policy, asked, shown, None)
    context: dict[str, Any] = {"redemptionContext": challenge.redemption_context.hex()}
    if challenge.redemption_context:
        context["contextDst"] = CONTEXT_DST.decode()
        context["requestDigest"] = asked.digest().hex()
        if redemption_context(asked.digest()) != challenge.redemption_context:
            raise AssertionError("the redemption context is derived from the request")
    relay = Policy("relay.example", (check,), tiers=(TIER,), max_age=max_age)
    relayed = replace(asked, verifier_id="relay.example")
    negative = [
        world.negative(
            "the token's authenticator, one bit changed",
            policy,
            asked,
            Presentation(TIER, asked.nonce, encode_token_body([flip(token, len(token) - 1)])),
            None,
            error=InvalidSignature,
        ),
        world.negative(
            "the token presented to another verifier whose request has the same nonce",
            relay,
            relayed,
            shown,
            None,
            error=WrongVerifier,
        ),
        world.negative(
            "the presentation body's array header, one bit changed",
            policy,
            asked,
            Presentation(TIER, asked.nonce, flip(body, 0)),
            None,
            error=DecodeError,
        ),
    ]
    return {
        "caseName": name,
        "inputs": {
            "check": check.identifier,
            "issuerName": entry.issuer_name,
            "request": request_fields(asked),
        },
        "trace": {
            "request": asked.to_bytes().hex(),
            "tokenChallenge": challenge.to_bytes().hex(),
            **context,
            "challengeDigest": challenge_digest.hex(),
            "wwwAuthenticate": header,
            "clientRng": client.record(),
            "nonce": nonce.hex(),
            "tokenInput": token_authenticator_input(challenge, nonce, entry.token_key_id).hex(),
            "blindInverse": inv.reveal().hex(),
            "tokenRequest": token_request.hex(),
            "blindedMessage": TokenRequest.from_bytes(token_request).blinded_msg.hex(),
            "tokenResponse": token_response.hex(),
            "authenticator": parsed.authenticator.hex(),
            "spendKey": spend_key(parsed).hex(),
        },
        "output": {
            "token": token.hex(),
            "authorization": build_authorization(token),
            "tokenChallengeFile": TokenChallengeHeader(header).to_bytes().hex(),
            "tokenRequestFile": TokenIssuanceRequest(((entry.issuer_name, token_request),))
            .to_bytes()
            .hex(),
            "tokenResponseFile": TokenIssuanceResponse(
                ((token_request_id(token_request), token_response),)
            )
            .to_bytes()
            .hex(),
            "presentationBody": body.hex(),
            "presentation": shown.to_bytes().hex(),
            "result": result.hex(),
        },
        "negative": negative,
    }


def _directories(world: World) -> bytes:
    documents = []
    for key in sorted(world.token_keys, key=lambda key: key.entry.issuer_name):
        entry = key.entry
        document = IssuerDirectory(
            f"https://{entry.issuer_name}{ISSUER_REQUEST_PATH}",
            (DirectoryTokenKey(2, entry.spki, entry.not_before),),
        )
        documents.append((entry.issuer_name, document.to_json()))
    return IssuerDirectories(tuple(documents)).to_bytes()


def token_vectors(world: World) -> dict[str, Any]:
    """token.json: the token keys and their directories and, per case, a challenge, blind
    issuance and redemption of a type 0x0002 token (spec/07-token-tier.md)."""
    keys = []
    for key in world.token_keys:
        entry = key.entry
        keys.append(
            {
                "check": key.check.identifier,
                "seedLabel": key.label,
                "privateKey": rsa_numbers(key.private_key),
                "spki": entry.spki.hex(),
                "tokenKeyId": entry.token_key_id.hex(),
                "truncatedTokenKeyId": entry.token_key_id[-1],
                "issuerName": entry.issuer_name,
                "directoryUrl": f"https://{entry.issuer_name}{ISSUER_DIRECTORY_PATH}",
                "epoch": entry.epoch,
                "notBefore": entry.not_before,
                "notAfter": entry.not_after,
                "keySetEntry": encode(entry.to_map()).hex(),
            }
        )
    return {
        "title": "Token tier: challenges, blind issuance and redemption of type 0x0002 tokens",
        "spec": "spec/07-token-tier.md",
        "now": NOW,
        "inputs": {"operatorId": world.operator_id, "tokenKeys": keys},
        "output": {"tokenDirectoriesFile": _directories(world).hex()},
        "cases": [
            _case(world, "cached age token", Check.age_over(18), "age-site.example", 8 * 86_400),
            _case(world, "per-request swap token", Check.sim_swap(72), "bank.example", 3600),
        ],
    }
