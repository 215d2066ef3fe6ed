"""Token-tier scenarios, told in order: client -> attester/issuer -> holder -> verifier.

Every message crosses a file, as it would between processes: the key set, the
issuer directories, the request and its RFC 9577 challenges, the TokenRequests
and TokenResponses, the presentation and the result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.attest_world import ADULT, MINOR
from tests.token_world import (
    AGE,
    AGE_MAX_AGE,
    OPERATOR,
    SWAP,
    make_token_world,
    until_epoch_end,
)
from zkcheck.encoding.messages import Presentation, Request, ResultRecord
from zkcheck.encoding.token import decode_token_body
from zkcheck.errors import PolicyError, Replayed
from zkcheck.hazmat.privacypass import (
    TOKEN_TYPE_BLIND_RSA,
    IssuerDirectory,
    OriginKeyring,
    build_authorization,
    parse_authorization,
    parse_www_authenticate,
    truncated_token_key_id,
    verify_token,
)
from zkcheck.roles import Policy, TokenHolder, Verifier
from zkcheck.sources import DEMO_SUBSCRIBERS
from zkcheck.trust.clock import epoch_seconds
from zkcheck.trust.keyset import OperatorKeySet


def _through(path: Path, data: bytes) -> bytes:
    path.write_bytes(data)
    return path.read_bytes()


def test_age_gated_site_redeems_cached_age_tokens(tmp_path: Path) -> None:
    world = make_token_world()
    # The operator publishes its key set, token keys included, and one issuer
    # directory per check; the site and the phone read them from files.
    keyset = OperatorKeySet.from_bytes(_through(tmp_path / "keyset", world.keyset().to_bytes()))
    assert keyset == world.keyset()

    def directory(issuer_name: str) -> bytes:
        return _through(tmp_path / f"{issuer_name}.json", world.issuer.directory(issuer_name))

    phone = TokenHolder(keyset, clock=world.clock, directory=directory)
    policy = Policy("video.example", (AGE,), (OPERATOR,), tiers=("token",), max_age=AGE_MAX_AGE)
    site = Verifier(policy, keyset, clock=world.clock)

    # The site asks for "18 or older" and sends its PrivateToken challenge with the request.
    request = _through(tmp_path / "request", site.create_request().to_bytes())
    header = site.token_challenge_header(Request.from_bytes(request))
    (challenge,) = parse_www_authenticate(header)
    assert challenge.challenge.issuer_name == world.issuer.issuer_name(AGE)
    assert challenge.challenge.origin_info == "video.example"
    # Static facts: no redemption context, so tokens can be fetched ahead and cached.
    assert challenge.challenge.redemption_context == b""

    # The phone checks the challenge and the directory's key against the key set,
    # and asks for three tokens: one for now, two to keep for this site.
    asks = phone.request_tokens(request, header, batch=3)
    assert [ask.issuer_name for ask in asks] == [world.issuer.issuer_name(AGE)] * 3
    # The operator's attester authenticates the subscriber; the operator sees the
    # issuer name (the check) and a blinded message, never the site.
    evidence = world.attester.enrol(ADULT)
    for index, ask in enumerate(asks):
        token_request = _through(tmp_path / f"token-request-{index}", ask.token_request)
        assert b"video.example" not in token_request
        response = world.issuer.issue(ask.issuer_name, token_request, evidence)
        phone.receive(ask, _through(tmp_path / f"token-response-{index}", response))
    assert phone.remaining() == 3

    presentation = _through(tmp_path / "presentation", phone.present(request).to_bytes())
    result = site.verify(presentation)
    assert result.tier == "token" and result.operator == OPERATOR
    assert result.checks == (AGE,) and result.verifier_id == "video.example"
    # The only time the site learns is the key's epoch: the week it started.
    epoch_start = world.key(AGE).not_before
    assert result.issued_bucket == datetime.fromtimestamp(epoch_start, UTC)
    record = ResultRecord.from_bytes(_through(tmp_path / "result", result.to_bytes()))
    assert record == result.record()

    # Later the same week the phone answers a new request from its cache,
    # without contacting the operator.
    world.clock.advance(until_epoch_end(world, AGE) - timedelta(hours=1))
    later = site.create_request()
    later_header = site.token_challenge_header(later)
    assert phone.request_tokens(later, later_header) == ()
    second = phone.present(later)
    assert site.verify(second).checks == (AGE,)
    assert phone.remaining() == 1

    # The two presentations share only what every subscriber's tokens for this
    # site and week share: the key id and the challenge digest.
    (_, first_token), (_, second_token) = (
        decode_token_body(Presentation.from_bytes(presentation).body)[0],
        decode_token_body(second.body)[0],
    )
    assert first_token.nonce != second_token.nonce
    assert first_token.authenticator != second_token.authenticator
    assert first_token.token_key_id == second_token.token_key_id
    assert first_token.challenge_digest == second_token.challenge_digest

    # A minor's phone gets nothing: there is no token that says "no".
    minor_phone = world.holder(keyset)
    minor_asks = minor_phone.request_tokens(later, later_header)
    minor_evidence = world.attester.enrol(MINOR)
    with pytest.raises(PolicyError):
        world.issuer.issue(minor_asks[0].issuer_name, minor_asks[0].token_request, minor_evidence)


def test_bank_redeems_a_per_request_swap_token(tmp_path: Path) -> None:
    world = make_token_world()
    keyset = OperatorKeySet.from_bytes(_through(tmp_path / "keyset", world.keyset().to_bytes()))
    phone = world.holder(keyset)
    bank = world.verifier((SWAP,), verifier_id="bank.example", max_age=3600, keyset=keyset)

    # The customer starts a transfer; the bank asks "no SIM swap in 72 hours?".
    request = _through(tmp_path / "request", bank.create_request().to_bytes())
    header = bank.token_challenge_header(Request.from_bytes(request))
    (challenge,) = parse_www_authenticate(header)
    # A swap token is only as good as it is fresh: the challenge carries a context
    # derived from this request, so no token fetched before the request answers it.
    assert len(challenge.challenge.redemption_context) == 32
    assert challenge.challenge.origin_info == "bank.example"
    assert challenge.max_age is not None and 0 < challenge.max_age <= 300

    # Per-request tokens are fetched one at a time, whatever batch is asked.
    asks = phone.request_tokens(request, header, batch=5)
    assert len(asks) == 1
    evidence = world.attester.enrol(ADULT)
    response = world.issuer.issue(
        asks[0].issuer_name, _through(tmp_path / "token-request", asks[0].token_request), evidence
    )
    phone.receive(asks[0], _through(tmp_path / "token-response", response))

    presentation = _through(tmp_path / "presentation", phone.present(request).to_bytes())
    result = bank.verify(presentation)
    assert result.checks == (SWAP,) and result.tier == "token"
    # The bank learns the hour-long epoch the key belongs to, nothing finer.
    hour = epoch_seconds(world.clock.now()) // 3600 * 3600
    assert result.issued_bucket == datetime.fromtimestamp(hour, UTC)
    with pytest.raises(Replayed):
        bank.verify(presentation)

    # The next transfer needs a new token: the old challenge does not match.
    again = bank.create_request()
    assert len(phone.request_tokens(again, bank.token_challenge_header(again))) == 1

    # A subscriber whose SIM was swapped an hour ago gets no token at all.
    swapped = world.holder(keyset)
    swapped_asks = swapped.request_tokens(again, bank.token_challenge_header(again))
    with pytest.raises(PolicyError):
        world.issuer.issue(
            swapped_asks[0].issuer_name,
            swapped_asks[0].token_request,
            world.attester.enrol(DEMO_SUBSCRIBERS["recently_swapped"]),
        )


def test_directories_hold_one_key_per_check_and_epoch_and_rotate() -> None:
    world = make_token_world()
    now = epoch_seconds(world.clock.now())
    entry = world.entry()
    names = {check: world.issuer.issuer_name(check) for check in (AGE, SWAP)}
    assert names == {
        AGE: "age-over-18.tokens.operator-a.example",
        SWAP: "sim-swap-72.tokens.operator-a.example",
    }
    seen_keys: set[bytes] = set()
    for check, name in names.items():
        document = world.issuer.directory(name)
        # The directory parses as RFC 9578 section 4 says, and zkcheck writes it canonically.
        parsed = IssuerDirectory.from_json(document)
        assert parsed.to_json() == document
        assert parsed.issuer_request_uri == f"https://{name}/token-request"
        current, upcoming = world.key(check), None
        for key in entry.token_keys:
            if key.check == check and key.not_before == current.not_after:
                upcoming = key
        assert upcoming is not None
        # Newest first, each with its not-before: a standard client takes the
        # current epoch's key now and the next one once its epoch has begun.
        assert [(key.token_key, key.not_before) for key in parsed.token_keys] == [
            (upcoming.spki, upcoming.not_before),
            (current.spki, current.not_before),
        ]
        assert parsed.select_token_key(TOKEN_TYPE_BLIND_RSA, now).token_key == current.spki
        chosen = parsed.select_token_key(TOKEN_TYPE_BLIND_RSA, upcoming.not_before)
        assert chosen.token_key == upcoming.spki
        assert current.not_after - current.not_before == world.issuer.epoch_length(check)
        # Truncated key ids are distinct under one issuer name.
        assert truncated_token_key_id(current.spki) != truncated_token_key_id(upcoming.spki)
        assert not seen_keys & {current.spki, upcoming.spki}
        seen_keys |= {current.spki, upcoming.spki}
    assert world.issuer.epoch_length(AGE) == 7 * 86_400
    assert world.issuer.epoch_length(SWAP) == 3_600

    # An hour later the swap key rotates: the old key leaves the directory, a
    # new one is staged; the week-long age key stays.
    old_swap = world.key(SWAP)
    world.clock.advance(until_epoch_end(world, SWAP))
    world.issuer.rotate()
    swap_keys = IssuerDirectory.from_json(world.issuer.directory(names[SWAP])).token_keys
    assert old_swap.spki not in {key.token_key for key in swap_keys}
    assert [key.not_before for key in swap_keys] == [
        old_swap.not_after + 3600,
        old_swap.not_after,
    ]
    assert world.key(AGE).spki == entry.token_key_at(AGE, now).spki  # type: ignore[union-attr]


def test_tokens_verify_with_the_hazmat_code_path() -> None:
    world = make_token_world()
    phone = world.holder()
    site = world.verifier((AGE,), verifier_id="video.example", max_age=AGE_MAX_AGE)
    request = site.create_request()
    header = site.token_challenge_header(request)
    world.fetch(phone, request, header)
    body = phone.present(request).body
    ((token, _),) = decode_token_body(body)
    (challenge,) = parse_www_authenticate(header)
    key = world.key(AGE)
    # The challenge's token-key parameter is the key of the current epoch.
    assert challenge.token_key == key.spki
    # The hazmat layer's vectors-tested verification accepts the token, directly
    # and through an origin keyring holding every key of the operator.
    verify_token(key.spki, token, challenge.challenge)
    keyring = OriginKeyring(entry.spki for entry in world.entry().token_keys)
    assert keyring.verify_token(token, challenge.challenge).spki == key.spki
    # The token also travels unchanged in an RFC 9577 Authorization header.
    assert parse_authorization(build_authorization(token)) == token
