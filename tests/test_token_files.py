"""The token tier through files: the operator's key file, the phone's wallet, and the
token-request, token-response, token-challenge and token-directories messages."""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest

from tests.attest_world import ADULT, MINOR
from tests.token_world import (
    AGE,
    AGE_MAX_AGE,
    DOMAIN,
    OPERATOR,
    SWAP,
    make_token_world,
    pooled_key,
    until_epoch_end,
)
from zkcheck.claims import NUMBER, Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import COSESigningKey
from zkcheck.encoding.token_messages import (
    IssuerDirectories,
    TokenChallengeHeader,
    TokenIssuanceRequest,
    TokenIssuanceResponse,
    token_request_id,
)
from zkcheck.errors import DecodeError, InvalidSignature, PolicyError, UntrustedIssuer
from zkcheck.hazmat.privacypass import IssuerDirectory
from zkcheck.roles import (
    Policy,
    TokenHolder,
    TokenIssuer,
    TokenIssuerKeys,
    TokenWallet,
)
from zkcheck.roles.token_holder import TOKEN_WALLET_KIND
from zkcheck.roles.token_issuer import TOKEN_ISSUER_KEY_KIND
from zkcheck.roles.verifier import tiers_serving
from zkcheck.sources import DEMO_SUBSCRIBERS, MemorySubscriberSource, demo_subscribers
from zkcheck.trust.clock import epoch_seconds
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet

SWAPPED = DEMO_SUBSCRIBERS["recently_swapped"]


# -- the operator's key file ------------------------------------------------------------


def test_issuer_keys_round_trip_through_their_file() -> None:
    world = make_token_world()
    keys = world.issuer.keys
    data = keys.to_bytes()
    assert decode(data)[1] == TOKEN_ISSUER_KEY_KIND
    loaded = TokenIssuerKeys.from_bytes(data)
    assert loaded.to_bytes() == data
    assert loaded.token_keys() == keys.token_keys()
    assert (loaded.operator_id, loaded.domain, loaded.menu) == (OPERATOR, DOMAIN, keys.menu)
    now = epoch_seconds(world.clock.now())
    assert loaded.directories(now) == keys.directories(now)
    # The loaded keys sign: a token they issue verifies at a verifier that knows the keys.
    issuer = TokenIssuer.with_keys(
        loaded, MemorySubscriberSource(demo_subscribers(world.clock.now())), world.attester,
        clock=world.clock,
    )  # fmt: skip
    site = world.verifier((AGE,), verifier_id="site.example", max_age=AGE_MAX_AGE)
    phone = world.holder()
    request = site.create_request()
    evidence = world.attester.enrol(ADULT)
    for ask in phone.request_tokens(request, site.token_challenge_header(request)):
        phone.receive(ask, issuer.issue(ask.issuer_name, ask.token_request, evidence))
    assert site.verify(phone.present(request)).checks == (AGE,)
    # Secret: redacted, never pickled.
    assert "redacted" in repr(loaded) and "BEGIN" not in repr(loaded)
    with pytest.raises(TypeError):
        pickle.dumps(loaded)


def _key_file_change(change: object) -> bytes:
    fields = decode(make_token_world().issuer.keys.to_bytes())
    change(fields)  # type: ignore[operator]
    return encode(fields)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f[6][0].__setitem__(1, f[6][1][1]),  # another key's private key
        lambda f: f[6][0].__setitem__(1, f[6][0][1][:-1]),  # a truncated private key
        lambda f: f[6][0][0].__setitem__(2, f[6][2][0][2]),  # another check's issuer name
        lambda f: f[6].append(f[6][0]),  # one epoch twice
        lambda f: f.__setitem__(5, [7 * 86_400, 7200, 600]),  # swap keys of another length
        lambda f: f.__setitem__(5, [7 * 86_400, 3600]),  # a kind of fact without a length
        lambda f: f.__setitem__(5, [0, 3600, 600]),  # an empty epoch
        lambda f: f.__setitem__(3, "Tokens.example"),  # not a server name
        lambda f: f.__setitem__(4, ["age_over:18", "number"]),  # a key's check off the menu
        lambda f: f.__setitem__(6, {}),  # not a list
        lambda f: f.pop(6),  # missing
    ],
)
def test_issuer_key_file_refuses_anything_inconsistent(change: object) -> None:
    with pytest.raises(DecodeError):
        TokenIssuerKeys.from_bytes(_key_file_change(change))


def test_loaded_keys_change_only_when_rotated() -> None:
    world = make_token_world()
    data = world.issuer.keys.to_bytes()
    world.clock.advance(until_epoch_end(world, SWAP) + timedelta(hours=1))
    loaded = TokenIssuerKeys.from_bytes(data, new_key=pooled_key)
    issuer = TokenIssuer.with_keys(
        loaded, MemorySubscriberSource(demo_subscribers(world.clock.now())), world.attester,
        clock=world.clock,
    )  # fmt: skip
    # Two epochs on, no key of the swap check is current: nothing is signed with an old one.
    with pytest.raises(UntrustedIssuer):
        issuer.keys.signing_key(issuer.issuer_name(SWAP), epoch_seconds(world.clock.now()))
    assert issuer.rotate() is True
    assert issuer.rotate() is False
    now = epoch_seconds(world.clock.now())
    entry, _ = issuer.keys.signing_key(issuer.issuer_name(SWAP), now)
    assert entry.valid_at(now)


def test_publish_puts_token_keys_into_a_key_set() -> None:
    world = make_token_world()
    keys = world.issuer.keys
    alone = keys.publish()
    (entry,) = alone.operators
    assert entry.keys == () and entry.token_keys == keys.token_keys()
    # An operator already listed with a signing key keeps it; its menu gains the token
    # checks; other operators stay as they were.
    signing = COSESigningKey.generate().public_key
    listed = OperatorEntry.create(OPERATOR, [signing], Menu(frozenset({Check.tenure(12)})))
    other = OperatorEntry.create("operator-b.example", [COSESigningKey.generate().public_key],
                                 Menu(frozenset({NUMBER})))  # fmt: skip
    merged = keys.publish(OperatorKeySet((listed, other)))
    first, second = merged.operators
    assert first.keys == listed.keys and first.token_keys == keys.token_keys()
    assert first.menu.checks == listed.menu.checks | keys.menu.checks
    assert second == other
    assert OperatorKeySet.from_bytes(merged.to_bytes()) == merged


# -- the phone's side through files ------------------------------------------------------


def test_the_token_flow_with_every_message_and_the_wallet_through_bytes() -> None:
    world = make_token_world()
    keyset = OperatorKeySet.from_bytes(world.keyset().to_bytes())
    now = epoch_seconds(world.clock.now())
    directories = IssuerDirectories.from_bytes(world.issuer.keys.directories(now).to_bytes())
    bank = world.verifier((SWAP,), verifier_id="bank.example", keyset=keyset)
    request = bank.create_request()
    challenge = TokenChallengeHeader.from_bytes(
        TokenChallengeHeader(bank.token_challenge_header(request)).to_bytes()
    )
    (parsed,) = challenge.challenges()
    assert parsed.challenge.origin_info == "bank.example"

    # The phone asks, and its wallet (with the TokenRequest's secrets) goes to a file.
    phone = TokenHolder(keyset, clock=world.clock, directory=directories.document)
    asks = phone.request_tokens(request.to_bytes(), challenge.header)
    ask_file = phone.issuance_request(asks).to_bytes()
    assert b"bank.example" not in ask_file
    wallet_file = phone.wallet.export_wallet()
    assert decode(wallet_file, max_size=1 << 20)[1] == TOKEN_WALLET_KIND

    # The operator answers the file; the phone, restarted from its wallet file, finishes.
    answer = world.issuer.issue_all(ask_file, world.attester.enrol(ADULT)).to_bytes()
    wallet = TokenWallet.import_wallet(wallet_file, clock=world.clock)
    assert wallet.pending() == 1 and wallet.remaining() == 0
    assert wallet.receive_issuance(answer) == 1
    assert wallet.pending() == 0 and wallet.remaining() == 1
    (held,) = wallet.held()
    assert (held.operator_id, held.key.check) == (OPERATOR, SWAP)

    # The token waits in the wallet file until the phone presents it.
    restored = TokenWallet.import_wallet(wallet.export_wallet(), clock=world.clock)
    assert restored.export_wallet() == wallet.export_wallet()
    result = bank.verify(restored.present(request).to_bytes())
    assert result.tier == "token" and result.checks == (SWAP,)
    with pytest.raises(PolicyError):
        restored.present(request)
    # Secret: redacted, never pickled.
    assert "redacted" in repr(restored)
    with pytest.raises(TypeError):
        pickle.dumps(restored)


def test_the_operator_answers_only_the_checks_that_hold() -> None:
    world = make_token_world()
    bank = world.verifier((SWAP,), verifier_id="bank.example", optional=(AGE,), max_age=AGE_MAX_AGE)
    request = bank.create_request()
    phone = world.holder()
    asks = phone.request_tokens(request, bank.token_challenge_header(request))
    ask_file = phone.issuance_request(asks)
    assert {name for name, _ in ask_file.token_requests} == {
        world.issuer.issuer_name(SWAP),
        world.issuer.issuer_name(AGE),
    }
    # Swapped an hour ago, and 42: only the age token is signed.
    answer = world.issuer.issue_all(ask_file, world.attester.enrol(SWAPPED))
    age_request = next(request for name, request in ask_file.token_requests if "age" in name)
    assert [request_id for request_id, _ in answer.token_responses] == [
        token_request_id(age_request)
    ]
    assert phone.wallet.receive_issuance(answer) == 1 and phone.wallet.pending() == 1
    # When no check asked holds (age for a minor), nothing at all is signed.
    age_only = TokenIssuanceRequest(((world.issuer.issuer_name(AGE), age_request),))
    with pytest.raises(PolicyError):
        world.issuer.issue_all(age_only, world.attester.enrol(MINOR))
    # An answer to a TokenRequest the wallet does not wait for is refused.
    with pytest.raises(DecodeError):
        phone.wallet.receive_issuance(answer)
    # So is a TokenResponse that is not a signature on the TokenRequest it names.
    wrong = TokenIssuanceResponse(((token_request_id(asks[0].token_request), bytes(256)),))
    with pytest.raises((DecodeError, InvalidSignature)):
        TokenWallet.import_wallet(phone.wallet.export_wallet(), clock=world.clock
                                  ).receive_issuance(wrong)  # fmt: skip


def _wallet_with_token_and_pending() -> tuple[bytes, dict[int, object]]:
    world = make_token_world()
    site = world.verifier((AGE,), verifier_id="site.example", max_age=AGE_MAX_AGE)
    request = site.create_request()
    phone = world.holder()
    asks = phone.request_tokens(request, site.token_challenge_header(request), batch=2)
    phone.receive(asks[0], world.issuer.issue(asks[0].issuer_name, asks[0].token_request,
                                              world.attester.enrol(ADULT)))  # fmt: skip
    data = phone.wallet.export_wallet()
    return data, decode(data, max_size=1 << 20)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f[2][0].__setitem__(3, f[2][0][3][:-1]),  # a short token
        lambda f: f[2][0].__setitem__(2, f[3][0][2] | {7: f[2][0][2][7][::-1]}),  # not a key
        lambda f: f[3][0].__setitem__(6, bytes(256)),  # a blinding inverse of 0
        lambda f: f[3][0].__setitem__(4, b"short"),  # a short nonce
        lambda f: f[3][0].__setitem__(3, f[3][0][3][:2] + bytes([f[3][0][3][2] ^ 1])
                                      + f[3][0][3][3:]),  # TokenRequest for another key
        lambda f: f[3][0].__setitem__(1, "not an id!"),  # a malformed operator id
        lambda f: f[3][0].pop(5),  # a missing field
        lambda f: f.__setitem__(2, {}),  # not a list
    ],
)  # fmt: skip
def test_a_token_wallet_file_that_does_not_hold_together_is_refused(change: object) -> None:
    data, fields = _wallet_with_token_and_pending()
    assert TokenWallet.import_wallet(data, clock=make_token_world().clock).remaining() == 1
    change(fields)  # type: ignore[operator]
    with pytest.raises(DecodeError):
        TokenWallet.import_wallet(encode(fields), clock=make_token_world().clock)


def test_a_token_under_another_key_is_refused_by_the_wallet_file() -> None:
    _, fields = _wallet_with_token_and_pending()
    world = make_token_world()
    other = world.key(SWAP).to_map()
    fields[2][0][2] = other  # type: ignore[index]
    with pytest.raises(DecodeError):
        TokenWallet.import_wallet(encode(fields), clock=world.clock)


def test_the_wallet_file_leaves_out_what_has_expired() -> None:
    world = make_token_world()
    data, _ = _wallet_with_token_and_pending()
    wallet = TokenWallet.import_wallet(data, clock=world.clock)
    assert (wallet.remaining(), wallet.pending()) == (1, 1)
    world.clock.advance(until_epoch_end(world, AGE))
    later = TokenWallet.import_wallet(wallet.export_wallet(), clock=world.clock)
    assert (later.remaining(), later.pending()) == (0, 0)


# -- the messages ------------------------------------------------------------------------


def _message(kind: str, value: object) -> bytes:
    return encode({0: 1, 1: kind, 2: value})


def test_the_messages_refuse_what_they_cannot_carry() -> None:
    world = make_token_world()
    now = epoch_seconds(world.clock.now())
    directories = world.issuer.keys.directories(now)
    name, document = directories.documents[0]
    assert IssuerDirectory.from_json(directories.document(name)).issuer_request_uri == (
        f"https://{name}/token-request"
    )
    with pytest.raises(UntrustedIssuer):
        directories.document("other.example")
    elsewhere = document.replace(name.encode(), b"elsewhere.example")
    bad = [
        lambda: IssuerDirectories(((name, elsewhere),)),  # request URI under another name
        lambda: IssuerDirectories(((name, b"{}"),)),  # not a directory
        lambda: IssuerDirectories(tuple(reversed(directories.documents))),  # unsorted
        lambda: IssuerDirectories(()),
        lambda: TokenChallengeHeader('Basic realm="x"'),  # no PrivateToken challenge
        lambda: TokenChallengeHeader(""),
        lambda: TokenIssuanceRequest(()),
        lambda: TokenIssuanceRequest((("Age.example", bytes(259)),)),
        lambda: TokenIssuanceRequest((("age.example", bytes(258)),)),
        lambda: TokenIssuanceResponse(((bytes(32), bytes(255)),)),
        lambda: TokenIssuanceResponse(((bytes(31), bytes(256)),)),
        lambda: TokenIssuanceResponse(((bytes(32), bytes(256)), (bytes(32), bytes(256)))),
        lambda: TokenIssuanceRequest.from_bytes(_message("token-request", [["a.b", 1]])),
        lambda: TokenIssuanceResponse.from_bytes(_message("token-response", [[1, 2]])),
        lambda: IssuerDirectories.from_bytes(_message("token-directories", [[1]])),
        lambda: TokenChallengeHeader.from_bytes(_message("token-challenge", b"x")),
    ]
    for build in bad:
        with pytest.raises(DecodeError):
            build()
    two = (("age.example", bytes(2) + b"\x01" + bytes(256)),) * 2
    with pytest.raises(DecodeError):
        TokenIssuanceRequest(two)


def test_the_tiers_that_can_serve_a_policy() -> None:
    both = ("signed", "token")
    assert tiers_serving(Policy("bank.example", (SWAP,), (OPERATOR,), tiers=both)) == both
    # Tokens cannot carry number, and their origin is a server name.
    assert tiers_serving(Policy("social.example", (NUMBER,), (OPERATOR,), tiers=both)) == (
        "signed",
    )
    assert tiers_serving(Policy("bank", (SWAP,), (OPERATOR,), tiers=both)) == ("signed",)
    assert tiers_serving(Policy("bank.example", (SWAP,), (OPERATOR,), tiers=("quantum",))) == ()
