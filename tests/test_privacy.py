"""What a presentation reveals, field by field, in the signed and token tiers; what its
length reveals; and that a refusal gives no oracle (spec/10-privacy.md).

The credential tier's field classification is tests/test_credential_tier.py's; these
tests do the same for the other two tiers: every field is a public constant, an echo
of the verifier's own request, the answer asked for, a coarse time shared by every
attestation of its grid cell or epoch, or a value fresh for each attestation.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.attest_world import ADULT, make_world
from tests.attest_world import World as AttestWorld
from tests.token_world import AGE, AGE_MAX_AGE, make_token_world
from zkcheck.claims import NUMBER, Check
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.encoding.signed import SignedPresentation, decode_presentation_body
from zkcheck.encoding.token import decode_token_body
from zkcheck.errors import ZkcheckError
from zkcheck.roles import Policy
from zkcheck.sources import DEMO_SUBSCRIBERS
from zkcheck.vectors._world import World

OTHER_ADULT = DEMO_SUBSCRIBERS["recently_swapped"]  # 42 years old, also an adult
VECTORS = Path(__file__).resolve().parent.parent / "spec" / "vectors"


def _signed(
    world: AttestWorld, msisdn: str, checks: list[Check], verifier_id: str
) -> tuple[Request, SignedPresentation]:
    holder = world.issued_holder(checks, msisdn=msisdn)
    verifier = world.verifier(tuple(checks), verifier_id=verifier_id, max_age=8 * 86400)
    request = verifier.create_request()
    return request, decode_presentation_body(holder.present(request).body)


def test_every_signed_presentation_field_is_classified() -> None:
    """Two subscribers, issued the same check in one day cell, shown to one verifier: the
    fields that are equal and the fields that are fresh are exactly those chapter 10 says."""
    checks = [Check.age_over(18)]
    world = make_world()
    request_a, a = _signed(world, ADULT, checks, "site.example")
    world.clock.advance(timedelta(hours=5))
    request_b, b = _signed(world, OTHER_ADULT, checks, "site.example")
    claims_a, claims_b = a.attestation_claims, b.attestation_claims
    # Public constants and the answer: the operator, its key id, the checks, the version.
    assert a.kid == b.kid and claims_a.operator == claims_b.operator
    assert claims_a.checks == claims_b.checks == (Check.age_over(18),)
    assert a.attestation.protected == b.attestation.protected
    # Coarse times: the same for every attestation of the day cell.
    assert (claims_a.issued_at, claims_a.expires_at) == (claims_b.issued_at, claims_b.expires_at)
    # Request echoes: the verifier's id, its nonce and the digest of its own request.
    for request, shown in ((request_a, a), (request_b, b)):
        binding = shown.claims
        assert binding.audience == request.verifier_id and binding.nonce == request.nonce
        assert binding.request_digest == request.digest()
    # Fresh per attestation: the holder key and both signatures.
    assert claims_a.holder_key != claims_b.holder_key
    assert a.attestation.signature != b.attestation.signature
    assert a.token.signature != b.token.signature
    # Nothing else: both payloads hold the same claim keys, those of chapter 4.
    assert set(decode(a.attestation.payload)) == set(decode(b.attestation.payload))


def test_an_attestations_times_do_not_tell_of_a_check_that_failed() -> None:
    """Asked for age and a swap check (an hour on a quarter-hour grid) or a live check (ten
    minutes on a five-minute grid) that fails, the operator attests the age alone with the
    age's day grid and week: the same times as any adult's age attestation of that day."""
    world = make_world()
    swapped, unreachable = DEMO_SUBSCRIBERS["recently_swapped"], DEMO_SUBSCRIBERS["leap_day"]
    times = set()
    for msisdn, checks in (
        (ADULT, [AGE]),
        (swapped, [AGE, Check.sim_swap(72)]),
        (unreachable, [AGE, Check.reachable()]),
    ):
        holder = world.issued_holder(checks, msisdn=msisdn)
        (attested,) = holder.held()
        assert attested.checks == (AGE,)
        times.add((attested.issued_at, attested.expires_at))
    ((issued_at, expires_at),) = times
    assert issued_at % 86_400 == 0 and expires_at - issued_at == 7 * 86_400
    # A swap check that holds keeps its own, shorter class.
    (held,) = world.issued_holder([AGE, Check.sim_swap(72)], msisdn=ADULT).held()
    assert held.checks == (AGE, Check.sim_swap(72))
    assert held.issued_at % 900 == 0 and held.expires_at - held.issued_at == 3_600


def test_a_number_attestation_carries_a_fresh_salted_digest() -> None:
    world = make_world()
    _, a = _signed(world, ADULT, [NUMBER], "social.example")
    _, b = _signed(world, ADULT, [NUMBER], "social.example")
    digest_a = a.attestation_claims.number_digest
    digest_b = b.attestation_claims.number_digest
    assert digest_a is not None and digest_b is not None and digest_a != digest_b
    assert a.claims.number_salt != b.claims.number_salt


def test_a_signed_presentations_length_reveals_only_the_identifiers_length() -> None:
    """Thresholds with as many digits give presentations of one length; the length changes
    with the length of the check identifier shown, and with nothing else."""
    world = make_world()
    lengths = {}
    checks = (Check.age_over(13), Check.age_over(18), Check.age_over(21))
    checks += (Check.sim_swap(72), Check.sim_swap(720))
    for check in checks:
        holder = world.issued_holder([check])
        verifier = world.verifier((check,), max_age=8 * 86400)
        lengths[check.identifier] = len(holder.present(verifier.create_request()).to_bytes())
    assert lengths["age_over:13"] == lengths["age_over:18"] == lengths["age_over:21"]
    # One more character in the attestation's checks and in the request its digest covers:
    # the attestation inside the key-binding token is one octet longer.
    assert lengths["sim_swap:720"] == lengths["sim_swap:72"] + 1


def test_every_token_field_is_classified() -> None:
    """Two subscribers' age tokens at one verifier share the type, the challenge digest and
    the key id; the nonce and the authenticator are fresh."""
    world = make_token_world()
    site = world.verifier((AGE,), verifier_id="site.example", max_age=AGE_MAX_AGE)
    tokens = []
    for msisdn in (ADULT, OTHER_ADULT):
        phone = world.holder()
        request = site.create_request()
        world.fetch(phone, request, site.token_challenge_header(request), msisdn=msisdn)
        ((_, token),) = decode_token_body(phone.present(request).body)
        tokens.append(token)
    a, b = tokens
    assert len(a.to_bytes()) == len(b.to_bytes()) == 354
    assert a.to_bytes()[:2] == b.to_bytes()[:2] == b"\x00\x02"
    assert a.challenge_digest == b.challenge_digest and a.token_key_id == b.token_key_id
    assert a.nonce != b.nonce and a.authenticator != b.authenticator


def _message(world: World, name: str, case: int, negative: int) -> str:
    vectors = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    found = vectors["cases"][case]["negative"][negative]
    request = Request.from_bytes(bytes.fromhex(found["request"]))
    policy = Policy(
        request.verifier_id,
        request.checks,
        tiers=request.tiers,
        max_age=request.max_age,
        pseudonym=request.pseudonym,
    )
    number = "+34600000001" if NUMBER in request.checks else None
    with pytest.raises(ZkcheckError) as refused:
        shown = Presentation.from_bytes(bytes.fromhex(found["presentation"]))
        world.verify(policy, request, shown, number)
    return f"{type(refused.value).__name__}: {refused.value}"


def test_refusals_do_not_say_which_signature_or_proof_failed() -> None:
    """The operator's and the holder's signature failing give one message; so do a token for
    another verifier and a forged one at the token's own verifier, and a changed BBS challenge
    and a relayed credential presentation."""
    world = World()
    assert _message(world, "signed.json", 0, 0) == _message(world, "signed.json", 0, 1)
    assert _message(world, "token.json", 0, 0) == "InvalidSignature: token invalid"
    assert _message(world, "credential.json", 1, 0) == _message(world, "credential.json", 1, 1)
    assert _message(world, "credential.json", 1, 0) == "InvalidProof: proof invalid"
