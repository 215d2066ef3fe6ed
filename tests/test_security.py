"""Properties chapter 11 (security considerations) relies on that no tier's own tests show:
the order of the verifier's checks, the lifetime of live attestations, weaker thresholds,
and the request nonce."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.attest_world import ADULT, make_world
from zkcheck.claims import Check, Menu
from zkcheck.encoding.messages import Presentation
from zkcheck.encoding.signed import decode_presentation_body
from zkcheck.errors import Expired, NotRequested, PolicyError, Replayed
from zkcheck.roles._signed import present_attestation

AGE = Check.age_over(18)


def _broken(presentation: Presentation) -> Presentation:
    """``presentation`` with the operator's signature on its attestation changed."""
    body = presentation.body
    signature = decode_presentation_body(body).attestation.signature
    at = body.index(signature)
    changed = body[:at] + bytes([signature[0] ^ 1]) + body[at + 1 :]
    return replace(presentation, body=changed)


def test_cheap_checks_come_before_signatures() -> None:
    """A presentation with a broken signature is refused for its nonce, its request's expiry
    or its tier before any signature is checked: the error is the cheap check's."""
    world = make_world()
    holder = world.issued_holder([AGE], count=3)
    verifier = world.verifier((AGE,), max_age=8 * 86400)
    request = verifier.create_request()
    broken = _broken(holder.present(request))
    assert broken.body != holder.present(verifier.create_request()).body
    with pytest.raises(Replayed):  # an unknown nonce: nothing is decoded further
        verifier.verify(replace(broken, nonce=bytes(32)))
    with pytest.raises(NotRequested):  # a tier the request does not accept
        verifier.verify(replace(broken, tier="token"))
    world.clock.advance(timedelta(minutes=6))  # the request's five minutes are over
    with pytest.raises(Expired):
        verifier.verify(broken)


def test_a_live_signed_attestation_lasts_ten_minutes() -> None:
    """The live checks (the serving country, reachability) are attested on a five-minute grid
    for ten minutes, one bit each: the country named, not the roaming state."""
    world = make_world(menu=Menu.default(("ES", "PT")))
    live = (Check.country("ES"), Check.reachable())
    holder = world.issued_holder(list(live), count=2)
    claims = holder.held()[0]
    assert claims.checks == live and claims.number_digest is None
    assert claims.issued_at % 300 == 0 and claims.expires_at - claims.issued_at == 600
    verifier = world.verifier(live, max_age=600)
    assert verifier.verify(holder.present(verifier.create_request())).checks == live
    # A country on the menu in which the subscriber is not served: nothing is issued.
    with pytest.raises(PolicyError):
        world.issued_holder([Check.country("PT")])
    world.clock.advance(timedelta(seconds=claims.expires_at - world.clock.now().timestamp()))
    request = verifier.create_request()
    with pytest.raises(PolicyError):
        holder.present(request)  # the holder shows nothing expired
    held = holder._held[0]
    with pytest.raises(Expired):  # and the verifier refuses it when it is shown anyway
        verifier.verify(present_attestation(held.key, held.issued, request))


def test_a_weaker_threshold_does_not_answer_a_stronger_one() -> None:
    """An attestation of sim_swap:24 presented to a request for sim_swap:72 (by a holder that
    tries) shows a check the request did not ask, and is refused."""
    world = make_world()
    holder = world.issued_holder([Check.sim_swap(24)], msisdn=ADULT)
    bank = world.verifier((Check.sim_swap(72),), verifier_id="bank.example")
    request = bank.create_request()
    with pytest.raises(PolicyError):
        holder.present(request)  # the honest holder has nothing the request accepts
    held = holder._held[0]
    with pytest.raises(NotRequested):
        bank.verify(present_attestation(held.key, held.issued, request))


def test_every_request_has_a_fresh_256_bit_nonce() -> None:
    world = make_world()
    verifier = world.verifier((AGE,), max_age=8 * 86400)
    nonces = {verifier.create_request().nonce for _ in range(50)}
    assert len(nonces) == 50 and {len(nonce) for nonce in nonces} == {32}
