"""The token tier's refusals: at the verifier, the holder, the issuer and in the key set."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.attest_world import ADULT, MINOR, START
from tests.token_world import (
    AGE,
    AGE_MAX_AGE,
    SWAP,
    TokenWorld,
    make_token_world,
    pooled_key,
    presentation,
    until_epoch_end,
)
from zkcheck.claims import NUMBER, Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.encoding.token import (
    TOKEN_LENGTH,
    decode_token_body,
    encode_token_body,
    issuer_label,
    redemption_of,
    token_challenge,
)
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidSignature,
    NotRequested,
    PolicyError,
    Replayed,
    UntrustedIssuer,
    WrongVerifier,
    ZkcheckError,
)
from zkcheck.hazmat.blind_rsa import public_key_to_spki
from zkcheck.hazmat.privacypass import (
    TOKEN_TYPE_BLIND_RSA,
    DirectoryTokenKey,
    IssuerDirectory,
    PrivateTokenChallenge,
    Token,
    TokenChallenge,
    build_www_authenticate,
    create_token_request,
    parse_www_authenticate,
    truncated_token_key_id,
)
from zkcheck.roles import (
    InsecureTestAttester,
    Policy,
    TokenHolder,
    TokenIssuer,
    TokenIssuerKeys,
    Verifier,
)
from zkcheck.sources import DEMO_SUBSCRIBERS, MemorySubscriberSource, demo_subscribers
from zkcheck.trust.anchors import TrustAnchors
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.federation import private_trust
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.nonces import MemoryNonceStore, NonceStore, SQLiteNonceStore
from zkcheck.trust.token_keys import TokenKeyEntry


def _site(
    world: TokenWorld,
    verifier_id: str = "video.example",
    *,
    trust: TrustAnchors | None = None,
    nonces: NonceStore | None = None,
) -> Verifier:
    return world.verifier(
        (AGE,), verifier_id=verifier_id, max_age=AGE_MAX_AGE, trust=trust, nonces=nonces
    )


def _cached_token(world: TokenWorld, verifier_id: str = "video.example") -> bytes:
    """A cached age token for ``verifier_id``: its challenge does not depend on any request."""
    challenge = token_challenge(world.issuer.issuer_name(AGE), AGE, verifier_id, b"")
    return world.mint(world.key(AGE), challenge)


# -- verifier ----------------------------------------------------------------------------


def test_token_from_another_checks_key_is_refused() -> None:
    world = make_token_world()
    bank = world.verifier((SWAP,), verifier_id="bank.example", max_age=AGE_MAX_AGE)
    request = bank.create_request()
    # An age token made for this very request shows age_over:18, which was not asked.
    age_token = world.mint_for(AGE, request)
    with pytest.raises(NotRequested):
        bank.verify(presentation(request, age_token))
    # Under the age key but for the swap check's challenge: the key decides the
    # check, and its challenge names another issuer.
    swap_challenge = token_challenge(
        world.issuer.issuer_name(SWAP), SWAP, "bank.example", request.digest()
    )
    crossed = world.mint(world.key(AGE), swap_challenge)
    with pytest.raises(WrongVerifier):
        bank.verify(presentation(request, crossed))
    # The same token relabelled with the swap key's id does not verify under that key.
    relabelled = replace(Token.from_bytes(crossed), token_key_id=world.key(SWAP).token_key_id)
    with pytest.raises(InvalidSignature):
        bank.verify(presentation(request, relabelled.to_bytes()))
    # None of this consumed the request: the right token still verifies.
    assert bank.verify(presentation(request, world.mint_for(SWAP, request))).checks == (SWAP,)


def test_expired_epoch_is_refused() -> None:
    world = make_token_world()
    trust = world.trust()
    site = _site(world, trust=trust)
    phone = world.holder(trust)
    request = site.create_request()
    world.fetch(phone, request, site.token_challenge_header(request), batch=2)
    assert site.verify(phone.present(request)).checks == (AGE,)
    token = _cached_token(world)
    # Cached age tokens are good until their key's week ends, and not a second longer.
    world.clock.advance(until_epoch_end(world, AGE))
    request = site.create_request()
    with pytest.raises(Expired, match="expired"):
        site.verify(presentation(request, token))
    # The holder drops its expired cached token instead of presenting it.
    assert phone.remaining() == 1
    with pytest.raises(PolicyError):
        phone.present(request)
    assert phone.remaining() == 0
    # A key set published after the rotation no longer lists the old key at all.
    world.issuer.rotate()
    rotated = _site(world, trust=world.trust())
    request = rotated.create_request()
    with pytest.raises(UntrustedIssuer):
        rotated.verify(presentation(request, token))


def test_swap_token_from_an_ended_epoch_is_refused() -> None:
    world = make_token_world()
    bank = world.verifier((SWAP,), verifier_id="bank.example")
    phone = world.holder()
    # A request a minute before the hour, a token of that hour's key ...
    world.clock.advance(until_epoch_end(world, SWAP) - timedelta(minutes=1))
    request = bank.create_request()
    world.fetch(phone, request, bank.token_challenge_header(request))
    shown = phone.present(request)
    # ... verified two minutes later: the request is still open, the key's epoch is over.
    world.clock.advance(timedelta(minutes=2))
    with pytest.raises(Expired, match="expired"):
        bank.verify(shown)


def test_live_check_tokens_last_one_ten_minute_epoch() -> None:
    spain = Check.country("ES")
    world = make_token_world(menu=Menu(frozenset({spain})))
    assert world.issuer.epoch_length(spain) == 600
    site = world.verifier((spain,), verifier_id="stream.example", max_age=600)
    phone = world.holder()
    world.clock.advance(until_epoch_end(world, spain) - timedelta(minutes=1))
    request = site.create_request()
    header = site.token_challenge_header(request)
    # Live facts are fetched for the request, like swaps.
    (challenge,) = parse_www_authenticate(header)
    assert len(challenge.challenge.redemption_context) == 32
    world.fetch(phone, request, header)
    shown = phone.present(request)
    # Two minutes later the request is still open, but the ten-minute epoch is over.
    world.clock.advance(timedelta(minutes=2))
    with pytest.raises(Expired, match="expired"):
        site.verify(shown)


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_replayed_token_is_refused(tmp_path: Path, store: str) -> None:
    world = make_token_world()
    trust = world.trust()
    first_store: NonceStore
    second_store: NonceStore
    if store == "memory":
        first_store = second_store = MemoryNonceStore()
    else:
        first_store = SQLiteNonceStore(tmp_path / "nonces.sqlite")
        second_store = SQLiteNonceStore(tmp_path / "nonces.sqlite")
    # Two instances of the same site share one single-use store.
    site_a = _site(world, trust=trust, nonces=first_store)
    site_b = _site(world, trust=trust, nonces=second_store)
    token = _cached_token(world)
    first = site_a.create_request()
    assert site_a.verify(presentation(first, token)).checks == (AGE,)
    # The same token in a fresh request, at the same or the other instance: spent.
    for site in (site_a, site_b):
        request = site.create_request()
        with pytest.raises(Replayed):
            site.verify(presentation(request, token))
        # The refusal consumed nothing: the request answers with another token.
        assert site.verify(presentation(request, _cached_token(world))).checks == (AGE,)


def test_token_for_another_challenge_is_refused() -> None:
    world = make_token_world()
    bank = world.verifier((SWAP,), verifier_id="bank.example")
    phone = world.holder()
    earlier = bank.create_request()
    world.fetch(phone, earlier, bank.token_challenge_header(earlier))
    token = phone.present(earlier).body
    # A token fetched for one request does not answer the next one.
    later = bank.create_request()
    with pytest.raises(WrongVerifier):
        bank.verify(Presentation("token", later.nonce, token))
    # Nor does a token for the same check and verifier without the request's context.
    unbound = TokenChallenge(
        TOKEN_TYPE_BLIND_RSA, world.issuer.issuer_name(SWAP), b"", "bank.example"
    )
    with pytest.raises(WrongVerifier):
        bank.verify(presentation(later, world.mint(world.key(SWAP), unbound)))


def test_token_for_another_verifier_is_refused() -> None:
    world = make_token_world()
    trust = world.trust()
    video, games = _site(world, trust=trust), _site(world, "games.example", trust=trust)
    phone = world.holder(trust)
    request = video.create_request()
    world.fetch(phone, request, video.token_challenge_header(request), batch=2)
    # The video site's tokens name it as their origin: the games site refuses them.
    other = games.create_request()
    with pytest.raises(WrongVerifier):
        games.verify(Presentation("token", other.nonce, phone.present(request).body))
    # Cross-origin tokens (empty origin_info) are not accepted either.
    anywhere = TokenChallenge(TOKEN_TYPE_BLIND_RSA, world.issuer.issuer_name(AGE), b"", "")
    with pytest.raises(WrongVerifier):
        games.verify(presentation(other, world.mint(world.key(AGE), anywhere)))
    # And the holder presents nothing to the games site from the video site's cache.
    with pytest.raises(PolicyError):
        phone.present(other)


def test_number_is_refused_by_the_token_tier() -> None:
    world = make_token_world()
    # No issuer name, key or challenge exists for number.
    with pytest.raises(PolicyError):
        world.issuer.issuer_name(NUMBER)
    with pytest.raises(PolicyError):
        issuer_label(NUMBER)
    with pytest.raises(PolicyError):
        redemption_of(NUMBER)
    assert NUMBER not in {key.check for key in world.issuer.token_keys()}
    with pytest.raises(PolicyError):
        TokenKeyEntry("number.tokens.operator-a.example", NUMBER, 0, 0, 3600, world.key(AGE).spki)
    # A key set entry for number does not decode.
    fields = decode(world.keyset().to_bytes())
    fields[2][0][4][0][3] = "number"
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(encode(fields))
    # A verifier that only takes tokens cannot require number ...
    with pytest.raises(PolicyError):
        world.verifier((NUMBER,))
    with pytest.raises(PolicyError):
        Verifier(
            Policy("bank.example", (SWAP, NUMBER), ("operator-a.example",), tiers=("token",)),
            world.trust(),
            clock=world.clock,
        )
    # ... and when number is optional, no challenge is sent for it.
    bank = world.verifier((SWAP,), verifier_id="bank.example", optional=(NUMBER,))
    request = bank.create_request()
    challenges = parse_www_authenticate(bank.token_challenge_header(request))
    assert [item.challenge.issuer_name for item in challenges] == [world.issuer.issuer_name(SWAP)]


def test_two_checks_in_one_presentation() -> None:
    world = make_token_world()
    bank = world.verifier((AGE, SWAP), verifier_id="bank.example", max_age=AGE_MAX_AGE)
    phone = world.holder()
    request = bank.create_request()
    header = bank.token_challenge_header(request)
    assert len(parse_www_authenticate(header)) == 2
    assert world.fetch(phone, request, header) == 2
    shown = phone.present(request)
    result = bank.verify(shown)
    assert result.checks == (AGE, SWAP)
    # Both tokens were spent with the request: the cached age token, which
    # would answer any request of this bank, is refused in the next one.
    age_token = next(
        raw
        for raw, token in decode_token_body(shown.body)
        if token.token_key_id == world.key(AGE).token_key_id
    )
    again = bank.create_request()
    with pytest.raises(Replayed):
        bank.verify(presentation(again, age_token, world.mint_for(SWAP, again)))
    # A required check missing, or two tokens for one check, are refused.
    with pytest.raises(NotRequested):
        bank.verify(presentation(again, world.mint_for(SWAP, again)))
    with pytest.raises(DecodeError):
        bank.verify(presentation(again, world.mint_for(SWAP, again), world.mint_for(SWAP, again)))
    assert bank.verify(presentation(again, _age(world, again), world.mint_for(SWAP, again)))


@pytest.mark.parametrize("order", ["age first", "swap first"])
def test_tokens_sharing_a_nonce_are_refused(order: str) -> None:
    # Each token nonce is spent until its own key's epoch ends. A holder that gave
    # a week-long age token the nonce of a one-hour swap token would have the
    # nonce kept for one of the two epochs only: after the store's purge at the
    # end of the swap epoch, the age token would be accepted again.
    world = make_token_world()
    store = MemoryNonceStore()
    bank = world.verifier(
        (AGE,), optional=(SWAP,), verifier_id="bank.example", max_age=AGE_MAX_AGE, nonces=store
    )
    request = bank.create_request()
    nonce = bytes(range(32))
    tokens = [world.mint_for(check, request, nonce=nonce) for check in (AGE, SWAP)]
    if order == "swap first":
        tokens.reverse()
    with pytest.raises(Replayed, match="token nonce repeats"):
        bank.verify(presentation(request, *tokens))
    # Nothing was spent: the request answers with tokens of distinct nonces.
    assert store.pending(request.nonce) is not None
    assert not store._spent
    shown = bank.verify(presentation(request, _age(world, request), world.mint_for(SWAP, request)))
    assert shown.checks == (AGE, SWAP)


def _age(world: TokenWorld, request: Request) -> bytes:
    return world.mint_for(AGE, request)


def test_token_of_an_operator_not_accepted_is_refused() -> None:
    world = make_token_world()
    other = make_token_world(operator="operator-b.example", domain="tokens.operator-b.example")
    trust = world.trust(other)
    site = _site(world, trust=trust)
    request = site.create_request()
    stranger = other.mint_for(AGE, request)
    with pytest.raises(UntrustedIssuer):
        site.verify(presentation(request, stranger))
    # One presentation carries the tokens of one operator.
    both = world.verifier(
        (AGE,), optional=(SWAP,), verifier_id="video.example", max_age=AGE_MAX_AGE, trust=trust
    )
    request = both.create_request()
    with pytest.raises(DecodeError):
        both.verify(
            presentation(request, world.mint_for(AGE, request), other.mint_for(SWAP, request))
        )


def test_a_holder_answers_its_own_operators_challenges_only() -> None:
    world = make_token_world()
    other = make_token_world(operator="operator-b.example", domain="tokens.operator-b.example")
    trust = world.trust(other)
    # The site names no operator: one challenge per operator on its list with age tokens.
    policy = Policy("video.example", (AGE,), tiers=("token",), max_age=AGE_MAX_AGE)
    site = Verifier(policy, trust, clock=world.clock)
    request = site.create_request()
    header = site.token_challenge_header(request)
    ours, theirs = world.issuer.issuer_name(AGE), other.issuer.issuer_name(AGE)
    assert sorted(item.challenge.issuer_name for item in parse_www_authenticate(header)) == sorted(
        [ours, theirs]
    )
    fetched: list[str] = []

    def directory(name: str) -> bytes:
        fetched.append(name)
        return (world if name == ours else other).issuer.directory(name)

    # The phone asks its own operator, and fetches no other operator's directory.
    phone = TokenHolder(trust, clock=world.clock, directory=directory)
    asks = phone.request_tokens(request, header, operator_id=world.issuer.operator_id)
    assert [ask.issuer_name for ask in asks] == [ours] and fetched == [ours]
    evidence = world.attester.enrol(DEMO_SUBSCRIBERS["adult"])
    for ask in asks:
        phone.receive(ask, world.issuer.issue(ask.issuer_name, ask.token_request, evidence))
    assert site.verify(phone.present(request)).operator == world.issuer.operator_id
    # Without its operator named, a phone answers every challenge; an operator that is not
    # on the list has none to answer.
    request = site.create_request()
    header = site.token_challenge_header(request)
    everyone = TokenHolder(trust, clock=world.clock, directory=directory)
    asked = everyone.request_tokens(request, header)
    assert {ask.operator_id for ask in asked} == {"operator-a.example", "operator-b.example"}
    with pytest.raises(PolicyError):
        everyone.request_tokens(request, header, operator_id="operator-c.example")


def test_any_flipped_byte_of_a_token_is_refused_and_consumes_nothing() -> None:
    world = make_token_world()
    site = _site(world)
    request = site.create_request()
    token = _cached_token(world)
    refused: dict[str, int] = {}
    for index in range(TOKEN_LENGTH):
        flipped = bytearray(token)
        flipped[index] ^= 0x01
        with pytest.raises(ZkcheckError) as caught:
            site.verify(presentation(request, bytes(flipped)))
        name = type(caught.value).__name__
        refused[name] = refused.get(name, 0) + 1
    # Type: DecodeError; nonce and authenticator: InvalidSignature; challenge
    # digest: WrongVerifier; key id: UntrustedIssuer.
    assert refused == {
        "DecodeError": 2,
        "InvalidSignature": 32 + 256,
        "WrongVerifier": 32,
        "UntrustedIssuer": 32,
    }
    assert site.verify(presentation(request, token)).checks == (AGE,)


@pytest.mark.parametrize(
    "body",
    [
        encode(b"x" * TOKEN_LENGTH),
        encode([]),
        encode([b"x" * (TOKEN_LENGTH - 1)]),
        encode(["text"]),
        encode([bytes(TOKEN_LENGTH)] * 2),
        encode([b"\x00\x03" + bytes(TOKEN_LENGTH - 2)]),
        encode([bytes(TOKEN_LENGTH)])[:-1],
        encode([bytes(TOKEN_LENGTH)]) + b"\x00",
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_token_body(body)


def test_unsorted_body_is_refused() -> None:
    low, high = b"\x00\x02" + bytes(TOKEN_LENGTH - 2), b"\x00\x02" + b"\xff" * (TOKEN_LENGTH - 2)
    assert [raw for raw, _ in decode_token_body(encode_token_body([high, low]))] == [low, high]
    with pytest.raises(DecodeError):
        decode_token_body(encode([high, low]))


# -- holder ------------------------------------------------------------------------------


def _header(*challenges: TokenChallenge, token_key: bytes | None = None) -> str:
    return build_www_authenticate(PrivateTokenChallenge(c, token_key) for c in challenges)


def test_holder_refuses_challenges_that_do_not_match_the_request() -> None:
    world = make_token_world()
    phone = world.holder()
    site = _site(world)
    request = site.create_request()
    age_name = world.issuer.issuer_name(AGE)
    # A per-holder value in a static check's challenge would be a cookie: refused.
    tracking = TokenChallenge(TOKEN_TYPE_BLIND_RSA, age_name, bytes(range(32)), "video.example")
    # Another origin, or several, or none.
    elsewhere = TokenChallenge(TOKEN_TYPE_BLIND_RSA, age_name, b"", "games.example")
    shared = TokenChallenge(TOKEN_TYPE_BLIND_RSA, age_name, b"", "video.example,games.example")
    anywhere = TokenChallenge(TOKEN_TYPE_BLIND_RSA, age_name, b"", "")
    for challenge in (tracking, elsewhere, shared, anywhere):
        with pytest.raises(PolicyError):
            phone.request_tokens(request, _header(challenge))
    # A check the request does not ask.
    swap = token_challenge(world.issuer.issuer_name(SWAP), SWAP, "video.example", request.digest())
    with pytest.raises(PolicyError):
        phone.request_tokens(request, _header(swap))
    # A token-key parameter other than the directory's key.
    good = token_challenge(age_name, AGE, "video.example", request.digest())
    with pytest.raises(PolicyError):
        phone.request_tokens(request, _header(good, token_key=world.key(SWAP).spki))
    # No usable challenge at all, or a request that does not take tokens.
    with pytest.raises(PolicyError):
        phone.request_tokens(request, 'Basic realm="x"')
    signed_only = replace(request, tiers=("signed",))
    with pytest.raises(PolicyError):
        phone.request_tokens(signed_only, _header(good))
    with pytest.raises(PolicyError):
        phone.present(signed_only)
    assert len(phone.request_tokens(request, _header(good))) == 1


def test_a_holder_shows_a_token_for_every_check_its_operator_offers_or_nothing() -> None:
    # Swapped an hour ago, the subscriber gets an age token and no swap token. Shown
    # alone to a verifier that also asks sim_swap (optional), the age token would say
    # that the swap check fails: the holder shows nothing. A subscriber of an operator
    # with no swap tokens (public on the trust list) shows the age token alone.
    world = make_token_world()
    ages_only = make_token_world(
        operator="operator-b.example",
        domain="tokens.operator-b.example",
        menu=Menu(frozenset({AGE})),
    )
    trust = world.trust(ages_only)
    bank = Verifier(
        Policy("bank.example", (AGE,), optional=(SWAP,), tiers=("token",), max_age=AGE_MAX_AGE),
        trust,
        clock=world.clock,
    )
    for operator_world, shown in ((world, None), (ages_only, (AGE,))):
        request = bank.create_request()
        phone = operator_world.holder(trust)
        asks = phone.request_tokens(
            request,
            bank.token_challenge_header(request),
            operator_id=operator_world.issuer.operator_id,
        )
        evidence = operator_world.attester.enrol(DEMO_SUBSCRIBERS["recently_swapped"])
        for ask in asks:
            if ask.key.check == SWAP:  # the check fails: nothing is signed
                with pytest.raises(PolicyError):
                    operator_world.issuer.issue(ask.issuer_name, ask.token_request, evidence)
                continue
            signed = operator_world.issuer.issue(ask.issuer_name, ask.token_request, evidence)
            phone.receive(ask, signed)
        assert phone.remaining() == 1
        if shown is None:
            with pytest.raises(PolicyError):
                phone.present(request)
            assert phone.remaining() == 1
        else:
            assert bank.verify(phone.present(request)).checks == shown


def test_a_check_no_token_could_answer_for_the_request_is_left_out() -> None:
    # Age tokens come from week-long epochs: with the default maximum age of an hour, no
    # age token of this epoch can answer the bank, which anyone can tell from the trust
    # list, so the holder shows the swap token without one.
    world = make_token_world()
    trust = world.trust()
    policy = Policy("bank.example", (SWAP,), optional=(AGE,), tiers=("token",))
    bank = Verifier(policy, trust, clock=world.clock)
    request = bank.create_request()
    phone = world.holder(trust)
    assert world.fetch(phone, request, bank.token_challenge_header(request)) == 2
    assert bank.verify(phone.present(request)).checks == (SWAP,)


def test_the_verifiers_header_cannot_pass_a_count_or_an_order_to_the_operator() -> None:
    # What the operator receives (how many TokenRequests, under which issuer names, in
    # which order) depends on the request's checks and the holder's batch alone: a
    # verifier repeating its challenge, or ordering them its own way, changes nothing.
    world = make_token_world()
    trust = world.trust()
    bank = world.verifier((AGE, SWAP), verifier_id="bank.example", max_age=AGE_MAX_AGE, trust=trust)
    request = bank.create_request()
    challenges = [
        item.challenge for item in parse_www_authenticate(bank.token_challenge_header(request))
    ]
    seen = []
    for header in (
        _header(*challenges),
        _header(*reversed(challenges)),
        _header(*challenges, *challenges, challenges[0], challenges[0]),
    ):
        asks = world.holder(trust).request_tokens(request, header)
        seen.append([(ask.issuer_name, ask.key.token_key_id) for ask in asks])
    assert len(seen[0]) == 2 and seen[0] == seen[1] == seen[2]
    # Nor by leaving a challenge out: which checks the operator sees is the request's.
    for challenge in challenges:
        with pytest.raises(PolicyError, match="leave out"):
            world.holder(trust).request_tokens(request, _header(challenge))


def test_holder_fetches_only_directories_the_trust_list_names() -> None:
    """A challenge naming a host that is no listed issuer of a check asked is passed over,
    its directory not fetched, whether or not the phone names its operator: a verifier
    cannot make the phone contact a server of its choosing (a beacon)."""
    world = make_token_world()
    site = _site(world)
    request = site.create_request()
    tracker = TokenChallenge(
        TOKEN_TYPE_BLIND_RSA, "holder-4711.tracker.example", b"", "video.example"
    )
    swap_name = world.issuer.issuer_name(SWAP)  # listed, but for a check the request does not ask
    other_check = token_challenge(swap_name, SWAP, "video.example", request.digest())
    good = token_challenge(world.issuer.issuer_name(AGE), AGE, "video.example", request.digest())
    for operator_id in (None, world.issuer.operator_id):
        fetched: list[str] = []
        phone = TokenHolder(
            world.trust(), clock=world.clock, directory=_recorded(world.issuer.directory, fetched)
        )
        asks = phone.request_tokens(
            request, _header(tracker, other_check, good), operator_id=operator_id
        )
        assert [ask.issuer_name for ask in asks] == [good.issuer_name]
        assert fetched == [good.issuer_name]


def _recorded(directory: Callable[[str], Any], names: list[str]) -> Callable[[str], Any]:
    """``directory``, noting in ``names`` each issuer name it is asked for."""

    def fetch(name: str) -> Any:
        names.append(name)
        return directory(name)

    return fetch


def test_holder_checks_the_directory_key_against_the_key_set() -> None:
    world = make_token_world()
    site = _site(world)
    request = site.create_request()
    header = site.token_challenge_header(request)
    age_name = world.issuer.issuer_name(AGE)
    # An operator that serves one subscriber its own key (to recognise its tokens
    # later) cannot: that key is in no key set.
    private = pooled_key()
    lone = IssuerDirectory(
        f"https://{age_name}/token-request",
        (DirectoryTokenKey(TOKEN_TYPE_BLIND_RSA, public_key_to_spki(private.public_key()), 0),),
    ).to_json()
    phone = TokenHolder(world.trust(), clock=world.clock, directory=lambda name: lone)
    with pytest.raises(UntrustedIssuer):
        phone.request_tokens(request, header)
    # Nor can it serve the key of another check under this issuer name.
    swap_directory = world.issuer.directory(world.issuer.issuer_name(SWAP))
    phone = TokenHolder(world.trust(), clock=world.clock, directory=lambda name: swap_directory)
    with pytest.raises(PolicyError):
        phone.request_tokens(request, header)
    # A directory whose only key is not yet valid offers nothing usable.
    upcoming = world.entry().token_keys[1]
    assert upcoming.not_before > epoch_seconds(world.clock.now())
    staged = IssuerDirectory(
        "https://x.example/token-request",
        (DirectoryTokenKey(TOKEN_TYPE_BLIND_RSA, upcoming.spki, upcoming.not_before),),
    ).to_json()
    phone = TokenHolder(world.trust(), clock=world.clock, directory=lambda name: staged)
    with pytest.raises(UntrustedIssuer):
        phone.request_tokens(request, header)


def test_holder_secrets_are_redacted() -> None:
    world = make_token_world()
    site = _site(world)
    request = site.create_request()
    (ask,) = world.holder().request_tokens(request, site.token_challenge_header(request))
    assert "redacted" in repr(ask) and ask.issuer_name in repr(ask)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(ask)


# -- issuer ------------------------------------------------------------------------------


def test_issuer_signs_only_authenticated_subscribers_whose_check_holds() -> None:
    world = make_token_world()
    site = _site(world)
    request = site.create_request()
    (ask,) = world.holder().request_tokens(request, site.token_challenge_header(request))
    name = ask.issuer_name
    # Unknown evidence: the attester refuses, nothing is signed.
    with pytest.raises(InvalidSignature):
        world.issuer.issue(name, ask.token_request, bytes(32))
    with pytest.raises(InvalidSignature):
        world.issuer.issue(name, ask.token_request, b"short")
    # A minor, or a number the operator does not serve: no token.
    with pytest.raises(PolicyError):
        world.issuer.issue(name, ask.token_request, world.attester.enrol(MINOR))
    with pytest.raises(PolicyError):
        world.issuer.issue(name, ask.token_request, world.attester.enrol("+34699999999"))
    evidence = world.attester.enrol(ADULT)
    # An issuer name the operator does not have.
    with pytest.raises(UntrustedIssuer):
        world.issuer.issue("age-over-21.tokens.operator-a.example", ask.token_request, evidence)
    with pytest.raises(UntrustedIssuer):
        world.issuer.directory("age-over-21.tokens.operator-a.example")
    # A request for the staged key of the next epoch: not before its time.
    upcoming = next(
        key
        for key in world.issuer.token_keys()
        if key.check == AGE and key.not_before > epoch_seconds(world.clock.now())
    )
    challenge = token_challenge(name, AGE, "video.example", b"")
    early, _ = create_token_request(upcoming.spki, challenge)
    with pytest.raises(UntrustedIssuer):
        world.issuer.issue(name, early, evidence)
    # Malformed requests.
    with pytest.raises(DecodeError):
        world.issuer.issue(name, ask.token_request[:-1], evidence)
    assert len(world.issuer.issue(name, ask.token_request, evidence)) == 256
    # The attester's repr shows no credential.
    assert repr(world.attester).startswith("InsecureTestAttester(")
    with pytest.raises(ValueError):
        InsecureTestAttester().enrol("not a number")


def test_issuer_draws_again_on_a_colliding_or_repeated_key() -> None:
    first, second, third = pooled_key(), pooled_key(), pooled_key()
    draws = iter([first, first, first, second, third])
    clock = FixedClock(START)
    issuer = TokenIssuer(
        "operator-a.example",
        MemorySubscriberSource(demo_subscribers(START)),
        InsecureTestAttester(),
        clock=clock,
        domain="tokens.operator-a.example",
        menu=Menu(frozenset({AGE})),
        new_key=lambda: next(draws),
    )
    # Two epochs of one check: the repeated key was drawn again, twice.
    keys = issuer.token_keys()
    assert [key.spki for key in keys] == [
        public_key_to_spki(first.public_key()),
        public_key_to_spki(second.public_key()),
    ]
    # A source that never stops repeating itself ends in an error.
    with pytest.raises(ValueError):
        TokenIssuer(
            "operator-a.example",
            MemorySubscriberSource(),
            InsecureTestAttester(),
            clock=clock,
            domain="tokens.operator-a.example",
            menu=Menu(frozenset({AGE})),
            new_key=lambda: first,
        )


# Six 1024-bit primes p_i = b_i + offset_i, where b_i is SHAKE-256 of the label with the
# top two bits and the low bit set, and offset_i leads to the first prime at or above it
# (found by search; OpenSSL checks the primes again when a key is built). A search over
# the keys of pairs of the first sixteen such primes found that the keys (1, 7) and
# (3, 9) share their truncated key id; (5, 13) has another. Deterministic, and building
# three keys is faster than generating the twenty or so a birthday collision takes.
_PRIME_OFFSETS = {1: 48, 3: 1384, 5: 40, 7: 158, 9: 118, 13: 56}


def _derived_prime(k: int) -> int:
    label = b"zkcheck token key collision prime %d" % k
    base = int.from_bytes(hashlib.shake_256(label).digest(128), "big") | 3 << 1022 | 1
    return base + _PRIME_OFFSETS[k]


def _derived_key(i: int, j: int) -> rsa.RSAPrivateKey:
    p, q, e = _derived_prime(i), _derived_prime(j), 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(e, p * q)
    return rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), public
    ).private_key()


def test_issuer_draws_again_when_two_keys_share_a_truncated_id() -> None:
    first, colliding, other = _derived_key(1, 7), _derived_key(3, 9), _derived_key(5, 13)
    spki = {key: public_key_to_spki(key.public_key()) for key in (first, colliding, other)}
    # Two different keys, one truncated key id (the last byte of SHA-256 of the SPKI).
    assert spki[first] != spki[colliding]
    assert truncated_token_key_id(spki[first]) == truncated_token_key_id(spki[colliding])
    assert truncated_token_key_id(spki[first]) != truncated_token_key_id(spki[other])
    draws = iter([first, colliding, other])
    keys = TokenIssuerKeys(
        "operator-a.example",
        domain="tokens.operator-a.example",
        now=epoch_seconds(START),
        menu=Menu(frozenset({AGE})),
        new_key=lambda: next(draws),
    )
    # Two epochs of one issuer name: the colliding key was drawn, refused, and drawn again.
    assert next(draws, None) is None
    assert [entry.spki for entry in keys.token_keys()] == [spki[first], spki[other]]
    # Under two issuer names the same two keys may serve: the rule is per issuer name.
    draws = iter([first, colliding])
    keys = TokenIssuerKeys(
        "operator-a.example",
        domain="tokens.operator-a.example",
        now=epoch_seconds(START),
        menu=Menu(frozenset({AGE, SWAP})),
        ahead=0,
        new_key=lambda: next(draws),
    )
    assert {entry.spki for entry in keys.token_keys()} == {spki[first], spki[colliding]}


def test_issuer_configuration_is_checked() -> None:
    world = make_token_world()
    for domain in ("Tokens.example", "tokens", "op@tokens.example", "-x.example"):
        with pytest.raises(ValueError):
            TokenIssuer(
                "operator-a.example",
                MemorySubscriberSource(),
                InsecureTestAttester(),
                clock=world.clock,
                domain=domain,
                menu=Menu(frozenset({AGE})),
                new_key=pooled_key,
            )
    with pytest.raises(PolicyError):
        world.issuer.issuer_name(Check.age_over(21))
    # A verifier accepting tokens needs a verifier id that can be a challenge's origin.
    with pytest.raises(ValueError):
        world.verifier((AGE,), verifier_id="site@example")
    with pytest.raises(ValueError):
        _site(world).token_challenge_header(
            replace(_site(world).create_request(), tiers=("signed",))
        )


# -- key set -----------------------------------------------------------------------------


def test_key_set_carries_token_keys(tmp_path: Path) -> None:
    world = make_token_world()
    keyset = world.keyset()
    keyset.save(tmp_path / "keyset")
    loaded = OperatorKeySet.load(tmp_path / "keyset")
    assert loaded == keyset and loaded.to_bytes() == keyset.to_bytes()
    # A trust list made from the loaded key set resolves the token keys.
    key, now = world.key(SWAP), epoch_seconds(world.clock.now())
    trust = private_trust(loaded.operators, clock=world.clock)
    operator, found = trust.find_token_key(key.token_key_id, now)
    assert operator.operator_id == "operator-a.example" and found == key
    assert (found.check, found.issuer_name) == (SWAP, world.issuer.issuer_name(SWAP))
    assert found.not_after - found.not_before == 3600
    assert found.not_before == found.epoch * 3600
    with pytest.raises(UntrustedIssuer):
        trust.find_token_key(bytes(32), now)
    # Operators without token keys encode exactly as before: no key 4.
    plain = replace(keyset.operators[0], token_keys=())
    assert 4 not in decode(OperatorKeySet((plain,)).to_bytes())[2][0]


def test_an_operator_issuing_tokens_only_lists_no_signing_key() -> None:
    world = make_token_world()
    tokens_only = replace(world.entry(), keys=())
    data = OperatorKeySet((tokens_only,)).to_bytes()
    assert decode(data)[2][0][2] == []
    loaded = OperatorKeySet.from_bytes(data)
    assert loaded.operators == (tokens_only,)
    # Listed by the federation, its token keys resolve and no signing key does.
    now = epoch_seconds(world.clock.now())
    trust = private_trust(loaded.operators, clock=world.clock)
    found = trust.find_token_key(world.key(AGE).token_key_id, now)
    assert found[0].operator_id == tokens_only.operator_id
    with pytest.raises(UntrustedIssuer):
        trust.find_key(world.entry().keys[0].kid or b"", now)
    # An operator with no key of either kind is refused, in memory and on the wire.
    with pytest.raises(ValueError):
        replace(tokens_only, token_keys=())
    fields = decode(data)
    del fields[2][0][4]
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(encode(fields))


def _entry_change(world: TokenWorld, change: object) -> bytes:
    fields = decode(world.keyset().to_bytes())
    change(fields[2][0][4])  # type: ignore[operator]
    return encode(fields)


@pytest.mark.parametrize(
    "change",
    [
        lambda keys: keys[0].__setitem__(1, 1),  # another token type
        lambda keys: keys[0].__setitem__(2, "Age.example"),  # not a lower-case server name
        lambda keys: keys[0].__setitem__(3, "age_over:21"),  # off the operator's menu
        lambda keys: keys[0].__setitem__(4, keys[0][4] + 1),  # epoch and not-before disagree
        lambda keys: keys[0].__setitem__(6, keys[0][5]),  # empty epoch
        lambda keys: keys[0].__setitem__(7, keys[0][7][:-1]),  # not an RSA-PSS key
        lambda keys: keys[0].pop(7),  # missing field
        lambda keys: keys.append(keys[0]),  # a key twice
        lambda keys: keys.clear(),  # an empty list is written as no key 4 at all
        lambda keys: keys[1].__setitem__(2, keys[2][2]),  # one issuer name, two checks
        lambda keys: keys[2].__setitem__(3, keys[0][3]),  # one check, two issuer names
    ],
)
def test_key_set_refuses_malformed_token_keys(change: object) -> None:
    world = make_token_world()
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(_entry_change(world, change))


def test_key_set_refuses_overlapping_epochs_and_colliding_truncated_ids() -> None:
    world = make_token_world()
    current = world.key(SWAP)
    # Two keys for the same hour: a client could be given either, which would split
    # the hour's subscribers in two.
    same_hour = replace(current, spki=public_key_to_spki(pooled_key().public_key()))
    with pytest.raises(ValueError, match=r"overlap|truncated"):
        world.entry().with_token_keys((current, same_hour))
    # Two keys under one issuer name whose truncated ids collide: the same key twice.
    later = TokenKeyEntry(
        current.issuer_name,
        SWAP,
        current.epoch + 2,
        current.not_before + 7200,
        current.not_after + 7200,
        current.spki,
    )
    with pytest.raises(ValueError, match="truncated"):
        world.entry().with_token_keys((current, later))
    # One issuer name in two operators.
    other = make_token_world(operator="operator-b.example")
    with pytest.raises(ValueError, match="one operator"):
        world.keyset(other)


def test_threads_sharing_a_wallet_never_show_one_token_twice() -> None:
    # An application answering two requests at once: each token is shown once, and a
    # thread that finds nothing left gets PolicyError, nothing else.
    def present(
        holder: TokenHolder, request: Request, start: threading.Barrier, results: list[object]
    ) -> None:
        start.wait()
        try:
            results.append(holder.present(request).body)
        except ZkcheckError as exc:
            results.append(type(exc))

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        world = make_token_world()
        trust = world.trust()
        site = world.verifier((AGE,), max_age=AGE_MAX_AGE, trust=trust)
        holder = world.holder(trust)
        for _ in range(20):
            request = site.create_request()
            world.fetch(holder, request, site.token_challenge_header(request), batch=2)
            results: list[object] = []
            start = threading.Barrier(3)
            threads = [
                threading.Thread(target=present, args=(holder, request, start, results))
                for _ in range(3)
            ]
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):  # a reader meanwhile
                assert holder.wallet.remaining() >= 0 and len(holder.wallet.held()) >= 0
            for thread in threads:
                thread.join()
            bodies = [result for result in results if isinstance(result, bytes)]
            assert len(bodies) == len(set(bodies)) == 2
            assert [result for result in results if not isinstance(result, bytes)] == [PolicyError]
    finally:
        sys.setswitchinterval(previous)


@pytest.mark.parametrize("own_operator", [False, True])
def test_a_holder_with_a_newer_trust_list_answers_a_verifier_with_an_older_one(
    own_operator: bool,
) -> None:
    # The verifier's list knows operator A; the phone's newer list also lists operator B.
    # The header then names A's challenges only, which the phone takes as complete.
    world = make_token_world()
    other = make_token_world(operator="operator-b.example", domain="tokens.operator-b.example")
    policy = Policy("rp.example", (AGE,), (), tiers=("token",), max_age=AGE_MAX_AGE)
    verifier = Verifier(policy, world.trust(), clock=world.clock)
    request = verifier.create_request()
    phone = world.holder(world.trust(other))
    operator_id = world.issuer.operator_id if own_operator else None
    asks = phone.request_tokens(
        request, verifier.token_challenge_header(request), operator_id=operator_id
    )
    assert {ask.operator_id for ask in asks} == {world.issuer.operator_id}
    evidence = world.attester.enrol(ADULT)
    for ask in asks:
        phone.receive(ask, world.issuer.issue(ask.issuer_name, ask.token_request, evidence))
    assert verifier.verify(phone.present(request)).checks == (AGE,)


def test_looking_up_unused_tokens_does_not_race_a_presentation() -> None:
    # The holder's asking reads the wallet's tokens while another thread may be showing
    # one: the read holds the wallet's lock, so it never writes back a token just shown.
    from zkcheck.roles.token_holder import TokenWallet, _Held

    wallet = TokenWallet(clock=FixedClock(START))
    shown = threading.Event()

    def show_first() -> None:  # what present() does, under the wallet's lock
        with wallet._lock:
            wallet._tokens[b"digest"].remove(first)
            shown.set()

    class Key:
        started = False

        def valid_at(self, now: int) -> bool:
            if not Key.started:  # mid-read, another thread shows the first token
                Key.started = True
                threading.Thread(target=show_first).start()
                shown.wait(0.2)  # with the lock held it cannot, until the read is done
            return True

    first, second = _Held(b"first", Key(), "op"), _Held(b"second", Key(), "op")  # type: ignore[arg-type]
    wallet._tokens[b"digest"] = [first, second]
    wallet._unused(b"digest", 0)
    assert shown.wait(2)
    assert wallet._tokens[b"digest"] == [second]
