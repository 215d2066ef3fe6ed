"""Bytes from another party, damaged in any way, raise a ZkcheckError and change nothing.

Each entry point that reads what another party sent (the operator reading an issuance
request, the phone reading a response, in the signed, token and credential tiers, and
anyone loading a trust list) gets one of its inputs with a byte flipped, inserted or
deleted, or cut short. It must either accept it (some changes leave a valid message, such
as another valid holder key in a request) or raise a :class:`ZkcheckError` subclass and
nothing else, leaving what it holds as it was. The verifier's own case is
tests/test_verifier_errors.py's flipped-byte property.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.attest_world import ADULT, World, make_world
from tests.credential_world import ALICE, BOB, OPERATOR, CredentialWorld, make_credential_world
from tests.token_world import SWAP, TokenWorld, make_token_world
from zkcheck.errors import ZkcheckError
from zkcheck.roles import CredentialHolder, Holder, TokenHolder, TokenWallet
from zkcheck.roles.credential_holder import CredentialWallet
from zkcheck.trust.clock import epoch_seconds
from zkcheck.trust.trust_client import TrustListAnchors


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with one byte flipped, inserted or deleted, or cut short."""
    # A position drawn independently of the length, which varies with the random values
    # inside some messages, so that each example draws the same way.
    index = draw(st.integers(min_value=0, max_value=2**16)) % len(original)
    change = draw(st.sampled_from(("flip", "insert", "delete", "cut")))
    if change == "flip":
        flip = draw(st.integers(min_value=1, max_value=255))
        return original[:index] + bytes([original[index] ^ flip]) + original[index + 1 :]
    if change == "insert":
        return original[:index] + bytes([draw(st.integers(0, 255))]) + original[index:]
    if change == "delete":
        return original[:index] + original[index + 1 :]
    return original[:index]


def _accepts_or_refuses(read: Callable[[bytes], object], data: bytes) -> bool:
    """Whether ``read`` accepted ``data``; any exception but a ZkcheckError fails the test."""
    try:
        read(data)
    except ZkcheckError:
        return False
    return True


@cache
def _world() -> World:
    return make_world()


@cache
def _credential_exchange() -> tuple[CredentialWorld, bytes, bytes, bytes]:
    """A credential world, Alice's wallet waiting for the response, her request and the
    operator's response (the operator keeps state per subscriber, so the exchange happens
    once and each example starts from its bytes)."""
    world = make_credential_world()
    phone = world.holder()
    request = phone.request_credential(OPERATOR)
    evidence = world.attester.enrol(ALICE)
    waiting = phone.wallet.export_wallet()
    response = world.issuer.issue(evidence, request)
    return world, waiting, request.to_bytes(), response.to_bytes()


@cache
def _token_exchange() -> tuple[TokenWorld, bytes, bytes, bytes]:
    """A token world, a phone's wallet waiting for its token, its issuance request and the
    operator's response, made once."""
    world = make_token_world()
    pin, listed = world.trust_list()
    trust = TrustListAnchors(pin, clock=world.clock)
    trust.load(listed)
    now = epoch_seconds(world.clock.now())
    bank = world.verifier((SWAP,), verifier_id="bank.example", trust=trust)
    request = bank.create_request()
    directories = world.issuer.keys.directories(now)
    phone = TokenHolder(trust, clock=world.clock, directory=directories.document)
    ask = phone.issuance_request(
        phone.request_tokens(request.to_bytes(), bank.token_challenge_header(request))
    ).to_bytes()
    answer = world.issuer.issue_all(ask, world.attester.enrol(ADULT)).to_bytes()
    return world, phone.wallet.export_wallet(), ask, answer


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_operator_reads_any_damaged_issuance_request_safely(data: st.DataObject) -> None:
    world = _world()
    ask = world.holder().request_attestations([SWAP], 2).to_bytes()
    _accepts_or_refuses(lambda request: world.issuer.issue(ADULT, request), data.draw(damaged(ask)))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_phone_refuses_any_damaged_response_and_keeps_its_wallet(data: st.DataObject) -> None:
    world = _world()
    phone = Holder(clock=world.clock, trust=world.trust)
    response = world.issuer.issue(ADULT, phone.request_attestations([SWAP], 2)).to_bytes()
    assert not _accepts_or_refuses(phone.receive, data.draw(damaged(response)))
    assert phone.held() == () and phone.pending() == 2
    assert phone.receive(response) == 2


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_damaged_trust_list_is_refused_and_the_held_one_kept(data: st.DataObject) -> None:
    world = _world()
    anchors = TrustListAnchors(world.pin, clock=world.clock)
    held = anchors.load(world.trust_list)
    assert not _accepts_or_refuses(anchors.load, data.draw(damaged(world.trust_list)))
    assert anchors.current() == held


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_the_credential_operator_reads_any_damaged_request_safely(data: st.DataObject) -> None:
    world, _, request, _ = _credential_exchange()
    # Bob's phone sends Alice's request, damaged (Alice's own was answered already).
    evidence = world.attester.enrol(BOB)
    _accepts_or_refuses(
        lambda sent: world.issuer.issue(evidence, sent), data.draw(damaged(request))
    )


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_the_credential_phone_refuses_any_damaged_response_and_keeps_its_wallet(
    data: st.DataObject,
) -> None:
    world, waiting, _, response = _credential_exchange()
    phone = CredentialHolder(
        world.trust, clock=world.clock, wallet=CredentialWallet.import_wallet(waiting)
    )
    assert not _accepts_or_refuses(
        lambda sent: phone.receive(OPERATOR, sent), data.draw(damaged(response))
    )
    assert phone.wallet.export_wallet() == waiting
    phone.receive(OPERATOR, response)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_token_operator_reads_any_damaged_issuance_request_safely(
    data: st.DataObject,
) -> None:
    world, _, ask, _ = _token_exchange()
    evidence = world.attester.enrol(ADULT)
    _accepts_or_refuses(
        lambda sent: world.issuer.issue_all(sent, evidence), data.draw(damaged(ask))
    )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_token_phone_refuses_any_damaged_response_and_keeps_its_wallet(
    data: st.DataObject,
) -> None:
    world, waiting, _, answer = _token_exchange()
    wallet = TokenWallet.import_wallet(waiting, clock=world.clock)
    assert not _accepts_or_refuses(wallet.receive_issuance, data.draw(damaged(answer)))
    assert wallet.export_wallet() == waiting
    assert wallet.receive_issuance(answer) == 1
