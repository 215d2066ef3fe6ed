"""Privacy Pass token type 0x0002 (RFC 9578) and the PrivateToken scheme (RFC 9577)."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import pickle

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given
from hypothesis import strategies as st
from rsa_support import ReplayRng, rfc9578_private_key, rfc9578_vectors, shared_key
from vectors_loader import load_json, unhex

from zkcheck.errors import DecodeError, InvalidSignature, UntrustedIssuer, ZkcheckError
from zkcheck.hazmat.blind_rsa import generate_private_key, public_key_to_spki
from zkcheck.hazmat.privacypass import (
    TOKEN_TYPE_BLIND_RSA,
    DirectoryTokenKey,
    IssuerDirectory,
    IssuerKeyring,
    OriginKeyring,
    PrivateTokenChallenge,
    Token,
    TokenChallenge,
    TokenKey,
    TokenRequest,
    TokenRequestState,
    TokenResponse,
    build_authorization,
    build_www_authenticate,
    create_token_request,
    finalize_token,
    issue_token_response,
    parse_authorization,
    parse_www_authenticate,
    token_authenticator_input,
    token_key_id,
    truncated_token_key_id,
    verify_token,
)

ALL = load_json("rfc9578_privacypass.json")
TYPE2 = rfc9578_vectors()
TYPE1 = ALL["issuance_protocol_1_voprf_p384"]["vectors"]
STRUCTURES = ALL["rfc9577_challenge_and_redemption"]["vectors"]
HEADERS = ALL["rfc9577_http_headers"]["vectors"]
PKI = unhex(TYPE2[0]["pkI"])
CHALLENGE = TokenChallenge(
    TOKEN_TYPE_BLIND_RSA, "issuer.example", bytes(range(32)), "origin.example"
)


def _field_value(header: str) -> str:
    name, value = header.split(": ", 1)
    assert name in ("WWW-Authenticate", "Authorization")
    return value


# --- RFC 9578 Appendix A.2: token type 0x0002 ------------------------------------------------


@pytest.mark.parametrize("vector", TYPE2, ids=lambda vector: vector["name"])
def test_rfc9578_type2_vector(vector: dict[str, str]) -> None:
    private_key = rfc9578_private_key()
    spki = unhex(vector["pkI"])
    assert public_key_to_spki(private_key.public_key()) == spki
    challenge = TokenChallenge.from_bytes(unhex(vector["token_challenge"]))
    assert challenge.to_bytes() == unhex(vector["token_challenge"])

    rng = ReplayRng(unhex(vector["nonce"]), unhex(vector["salt"]), unhex(vector["blind"]))
    token_request, state = create_token_request(spki, challenge, rng=rng)
    rng.assert_exhausted()
    assert token_request == unhex(vector["token_request"])
    parsed_request = TokenRequest.from_bytes(token_request)
    assert parsed_request.truncated_token_key_id == truncated_token_key_id(spki)
    # blinded_msg = encoded_msg * blind^e: unblinding gives an encoding that starts under n.
    public = private_key.public_key().public_numbers()
    r = int.from_bytes(unhex(vector["blind"]), "big")
    encoded = int.from_bytes(parsed_request.blinded_msg, "big") * pow(r, -public.e, public.n)
    assert (encoded % public.n).to_bytes(256, "big")[-1] == 0xBC

    token_response = issue_token_response(private_key, token_request)
    assert token_response == unhex(vector["token_response"])
    token = finalize_token(state, token_response)
    assert token == unhex(vector["token"])

    parsed = Token.from_bytes(token)
    assert parsed.to_bytes() == token
    assert parsed.nonce == unhex(vector["nonce"])
    assert parsed.challenge_digest == hashlib.sha256(unhex(vector["token_challenge"])).digest()
    assert parsed.token_key_id == hashlib.sha256(spki).digest() == token_key_id(spki)
    assert parsed.authenticator_input() == token_authenticator_input(
        challenge, parsed.nonce, parsed.token_key_id
    )
    verify_token(spki, token, challenge)
    # Any RSA-PSS verifier accepts the authenticator (RFC 9578 section 6.4).
    private_key.public_key().verify(
        parsed.authenticator,
        parsed.authenticator_input(),
        padding.PSS(padding.MGF1(hashes.SHA384()), 48),
        hashes.SHA384(),
    )


@pytest.mark.parametrize("vector", TYPE2, ids=lambda vector: vector["name"])
def test_rfc9578_type2_vector_negative(vector: dict[str, str]) -> None:
    spki, token = unhex(vector["pkI"]), unhex(vector["token"])
    other = TokenChallenge(TOKEN_TYPE_BLIND_RSA, "issuer.example", bytes(32), "other.example")
    with pytest.raises(InvalidSignature):
        verify_token(spki, token, other)
    other_spki = public_key_to_spki(generated_key().public_key())
    with pytest.raises(InvalidSignature):
        verify_token(other_spki, token, TokenChallenge.from_bytes(unhex(vector["token_challenge"])))


@functools.cache
def generated_key() -> rsa.RSAPrivateKey:
    """A second 2048-bit key, generated once, whose truncated key id differs from the first."""
    taken = token_key_id(PKI)[-1:]
    while True:
        key = generate_private_key()
        if token_key_id(public_key_to_spki(key.public_key()))[-1:] != taken:
            return key


# --- RFC 9578 Appendix A.1: token type 0x0001 (only its type-independent structures) --------


@pytest.mark.parametrize("vector", TYPE1, ids=lambda vector: vector["name"])
def test_rfc9578_type1_structures(vector: dict[str, str]) -> None:
    # The TokenChallenge and the token authenticator input are the RFC 9577 defaults for
    # type 0x0001 too, so they are checked; the token itself is refused as another type.
    encoded = unhex(vector["token_challenge"])
    challenge = TokenChallenge.from_bytes(encoded)
    assert challenge.token_type == 0x0001
    assert challenge.to_bytes() == encoded
    token = unhex(vector["token"])
    expected_input = token_authenticator_input(
        challenge, unhex(vector["nonce"]), hashlib.sha256(unhex(vector["pkI"])).digest()
    )
    assert token[: len(expected_input)] == expected_input
    with pytest.raises(DecodeError, match="unsupported token type 0x0001"):
        Token.from_bytes(token)
    with pytest.raises(DecodeError, match="unsupported token type 0x0001"):
        TokenRequest.from_bytes(unhex(vector["token_request"]))


@pytest.mark.parametrize("vector", TYPE1, ids=lambda vector: vector["name"])
def test_rfc9578_type1_issuance(vector: dict[str, str]) -> None:
    pytest.skip("token type 0x0001 (VOPRF P-384) issuance is not implemented by zkcheck")


# --- RFC 9577 Appendix A.1: challenge and redemption structures ------------------------------


@pytest.mark.parametrize("vector", STRUCTURES[:5], ids=lambda vector: vector["name"])
def test_rfc9577_structure_vector(vector: dict[str, str]) -> None:
    challenge = TokenChallenge(
        int(vector["token_type"], 16),
        unhex(vector["issuer_name"]).decode("ascii"),
        unhex(vector["redemption_context"]),
        unhex(vector["origin_info"]).decode("ascii"),
    )
    assert TokenChallenge.from_bytes(challenge.to_bytes()) == challenge
    authenticator_input = token_authenticator_input(
        challenge, unhex(vector["nonce"]), unhex(vector["token_key_id"])
    )
    assert authenticator_input == unhex(vector["token_authenticator_input"])
    # The vectors' key id is that of the header vectors' (and RFC 9578 A.2's) key.
    assert token_key_id(unhex(HEADERS[0]["params"]["token-key-0"])) == unhex(vector["token_key_id"])


def test_rfc9577_greasing_vector_is_refused_as_a_token() -> None:
    vector = STRUCTURES[5]
    greased = unhex(vector["token_authenticator_input"])
    assert vector["token_type"] == "0000"
    assert len(greased) == len(Token.from_bytes(unhex(TYPE2[0]["token"])).to_bytes())
    # Right length for a type 0x0002 token: only the greased type makes it unusable.
    with pytest.raises(DecodeError, match="unsupported token type 0x0000"):
        Token.from_bytes(greased)
    with pytest.raises(DecodeError, match="unsupported token type"):
        verify_token(PKI, greased, CHALLENGE)


# --- RFC 9577 Appendix A.2: WWW-Authenticate headers -----------------------------------------


def _expected(vector: dict[str, dict[str, str]], index: int) -> PrivateTokenChallenge:
    params = vector["params"]
    return PrivateTokenChallenge(
        TokenChallenge.from_bytes(unhex(params[f"token-challenge-{index}"])),
        unhex(params[f"token-key-{index}"]),
        int(params[f"max-age-{index}"]),
    )


def test_rfc9577_header_vector_1() -> None:
    vector = HEADERS[0]
    assert vector["params"]["token-type-0"] == "0x0002"
    value = _field_value(vector["www_authenticate"])
    assert parse_www_authenticate(value) == [_expected(vector, 0)]
    # Built without the unknown parameter, the header is the vector's byte for byte.
    unknown = ',unknownChallengeAttribute="ignore-me"'
    assert build_www_authenticate([_expected(vector, 0)]) == value.replace(unknown, "")


def test_rfc9577_header_vector_2() -> None:
    vector = HEADERS[1]
    value = _field_value(vector["www_authenticate"])
    # The type 0x0001 challenge is skipped by a type 0x0002 client, not an error.
    assert parse_www_authenticate(value) == [_expected(vector, 0)]
    # Challenge parsing is type-independent: a client of both types sees both, in order.
    both = parse_www_authenticate(value, token_types={0x0001, 0x0002})
    assert both == [_expected(vector, 0), _expected(vector, 1)]
    unknown = ',unknownChallengeAttribute="ignore-me"'
    assert build_www_authenticate(both) == value.replace(unknown, "")


def test_rfc9577_header_vector_3() -> None:
    vector = HEADERS[2]
    value = _field_value(vector["www_authenticate"])
    assert vector["params"]["token-type-0"] == "0x0000"
    # Basic, a greased type and type 0x0001: nothing for a type 0x0002 client, and no error.
    assert parse_www_authenticate(value) == []
    # Even a client that claims the greased type skips its random structure.
    found = parse_www_authenticate(value, token_types={0x0000, 0x0001, 0x0002})
    assert [item.challenge.token_type for item in found] == [0x0001]
    assert found == [_expected(vector, 1)]


def test_header_folded_lines_join_to_the_vector() -> None:
    for vector in HEADERS:
        assert "".join(vector["www_authenticate_folded_lines"]) == vector["www_authenticate"]


# --- Header parsing rules --------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _raw_challenge(context: bytes) -> bytes:
    issuer = b"issuer.example"
    return (
        b"\x00\x02"
        + len(issuer).to_bytes(2, "big")
        + issuer
        + bytes([len(context)])
        + context
        + b"\x00\x00"
    )


@pytest.mark.parametrize("size", [1, 16, 31, 33])
def test_challenge_with_a_redemption_context_of_invalid_length_is_skipped(size: int) -> None:
    bad = f'PrivateToken challenge="{_b64(_raw_challenge(bytes(size)))}"'
    good = build_www_authenticate([PrivateTokenChallenge(CHALLENGE, PKI, 60)])
    assert parse_www_authenticate(bad) == []
    assert parse_www_authenticate(f"{bad}, {good}") == parse_www_authenticate(good)
    with pytest.raises(DecodeError, match="redemption_context"):
        TokenChallenge.from_bytes(_raw_challenge(bytes(size)))


def test_parameters_are_case_insensitive_and_unknown_ones_ignored() -> None:
    encoded = _b64(CHALLENGE.to_bytes())
    found = parse_www_authenticate(
        f'privatetoken Challenge="{encoded}" , realm=x,Max-Age=5, x-new="a\\"b,c"'
    )
    assert found == [PrivateTokenChallenge(CHALLENGE, None, 5)]
    # A token (unquoted) value is as good as a quoted one; base64url with "=" padding is not
    # a token, which is why RFC 9577 section 2.1.2 says it may need quoting.
    unpadded = TokenChallenge(2, "issuer.example", bytes(32), "origin.ex:443")
    assert not len(unpadded.to_bytes()) % 3
    assert parse_www_authenticate(f"PrivateToken challenge={_b64(unpadded.to_bytes())}") == [
        PrivateTokenChallenge(unpadded)
    ]
    with pytest.raises(DecodeError):
        parse_www_authenticate(f"PrivateToken challenge={encoded}")


@pytest.mark.parametrize(
    "parameters",
    [
        'token-key="AAAA"',  # no challenge
        'challenge="{c}", challenge="{c}"',  # a parameter twice
        'challenge="{unpadded}"',  # base64url without its padding
        'challenge="{standard}"',  # the standard alphabet, not base64url
        'challenge="{c}", token-key="A"',  # a token key that is not base64url
        'challenge="{c}", max-age="soon"',
        'challenge="{c}", max-age="-1"',
        'challenge="AA=="',  # too short to hold a token type
    ],
)
def test_malformed_challenges_are_skipped(parameters: str) -> None:
    # A valid challenge whose base64url has padding and the URL-safe characters "-" and "_".
    challenge = TokenChallenge(2, "issuer.example", b"\x00\xff" + b"\xfb\xef\xbe" * 10, "o.example")
    encoded = _b64(challenge.to_bytes())
    assert encoded.endswith("=") and "-" in encoded and "_" in encoded
    assert parse_www_authenticate(f'PrivateToken challenge="{encoded}"') == [
        PrivateTokenChallenge(challenge)
    ]
    filled = parameters.format(
        c=encoded,
        unpadded=encoded.rstrip("="),
        standard=encoded.replace("-", "+").replace("_", "/"),
    )
    assert parse_www_authenticate(f"PrivateToken {filled}") == []


def test_token68_form_and_other_schemes_are_skipped() -> None:
    assert parse_www_authenticate("PrivateToken abc==, Basic realm=x, Bearer") == []


@pytest.mark.parametrize(
    "value",
    ['PrivateToken challenge="abc', "challenge=abc", "PrivateToken a b", "Private(Token) x=y"],
)
def test_ungrammatical_headers_raise(value: str) -> None:
    with pytest.raises(DecodeError):
        parse_www_authenticate(value)


@given(st.text(max_size=200))
def test_header_parsers_raise_nothing_foreign(value: str) -> None:
    for parse in (parse_www_authenticate, parse_authorization):
        with contextlib.suppress(DecodeError):
            parse(value)


def test_build_www_authenticate_round_trips() -> None:
    items = [
        PrivateTokenChallenge(CHALLENGE, PKI, 10),
        PrivateTokenChallenge(TokenChallenge(2, "i.example:8443", b"", ""), None, None),
    ]
    assert parse_www_authenticate(build_www_authenticate(items)) == items
    with pytest.raises(ValueError):
        build_www_authenticate([])


# --- Authorization header --------------------------------------------------------------------


def test_authorization_round_trip_and_rfc_form() -> None:
    token = unhex(TYPE2[0]["token"])
    value = build_authorization(token)
    assert value == f'PrivateToken token="{_b64(token)}"'
    assert parse_authorization(value) == token
    assert parse_authorization(f'privatetoken TOKEN="{_b64(token)}", unknown="x"') == token


@pytest.mark.parametrize(
    "value",
    [
        'Basic token="AAAA"',
        "PrivateToken",
        'PrivateToken other="AAAA"',
        'PrivateToken token="AAAA", token="AAAA"',
        'PrivateToken token="AAA"',
        'PrivateToken token="AAAA", PrivateToken token="AAAA"',
        "PrivateToken AAAA",
    ],
)
def test_malformed_authorization_is_refused(value: str) -> None:
    with pytest.raises(DecodeError):
        parse_authorization(value)


# --- TokenChallenge --------------------------------------------------------------------------


def test_token_challenge_checks_its_fields() -> None:
    for issuer in ("", "user@issuer.example", "a,b", "issuer example", "ïssuer"):
        with pytest.raises(DecodeError):
            TokenChallenge(2, issuer, b"", "")
    for origin_info in ("a,,b", ",a", "a b", "a@b"):
        with pytest.raises(DecodeError):
            TokenChallenge(2, "issuer.example", b"", origin_info)
    with pytest.raises(DecodeError):
        TokenChallenge(0x10000, "issuer.example", b"", "")
    with pytest.raises(DecodeError, match="trailing"):
        TokenChallenge.from_bytes(CHALLENGE.to_bytes() + b"\x00")
    with pytest.raises(DecodeError, match="truncated"):
        TokenChallenge.from_bytes(CHALLENGE.to_bytes()[:-1])
    with pytest.raises(DecodeError, match="ASCII"):
        TokenChallenge.from_bytes(b"\x00\x02\x00\x01\xff\x00\x00\x00")


def test_origin_list_matching() -> None:
    challenge = TokenChallenge(2, "issuer.example", b"", "foo.example,Bar.example")
    assert challenge.origin_names == ("foo.example", "Bar.example")
    assert challenge.allows_origin("bar.EXAMPLE")
    assert not challenge.allows_origin("baz.example")
    assert TokenChallenge(2, "issuer.example", b"", "").allows_origin("any.example")


# --- Errors of the issuance messages ---------------------------------------------------------


def _issued(
    challenge: TokenChallenge = CHALLENGE,
) -> tuple[bytes, bytes, bytes, TokenRequestState]:
    request, state = create_token_request(PKI, challenge)
    response = issue_token_response(shared_key(), request)
    return request, response, finalize_token(state, response), state


def test_truncated_messages_are_refused() -> None:
    request, response, token, _ = _issued()
    for size in (0, 1, 2, 97, len(token) - 1):
        with pytest.raises(DecodeError):
            Token.from_bytes(token[:size])
        with pytest.raises(DecodeError):
            verify_token(PKI, token[:size], CHALLENGE)
    with pytest.raises(DecodeError, match="trailing"):
        Token.from_bytes(token + b"\x00")
    with pytest.raises(DecodeError):
        TokenRequest.from_bytes(request[:-1])
    with pytest.raises(DecodeError):
        issue_token_response(shared_key(), request + b"\x00")
    with pytest.raises(DecodeError):
        TokenResponse.from_bytes(response[:-1])


def test_unknown_token_types_are_errors_in_the_issuance_messages() -> None:
    request, _, token, _ = _issued()
    with pytest.raises(DecodeError, match="0x0003"):
        TokenRequest.from_bytes(b"\x00\x03" + request[2:])
    with pytest.raises(DecodeError, match="0x0003"):
        verify_token(PKI, b"\x00\x03" + token[2:], CHALLENGE)
    type1_challenge = TokenChallenge(1, "issuer.example", b"", "")
    with pytest.raises(DecodeError, match="0x0001"):
        create_token_request(PKI, type1_challenge)
    with pytest.raises(DecodeError, match="0x0001"):
        verify_token(PKI, token, type1_challenge)


def test_a_key_id_that_matches_no_key() -> None:
    request, _, token, _ = _issued()
    other = bytes([request[2] ^ 1])
    with pytest.raises(UntrustedIssuer):
        issue_token_response(shared_key(), request[:2] + other + request[3:])
    with pytest.raises(UntrustedIssuer):
        IssuerKeyring([shared_key()]).issue_token_response(request[:2] + other + request[3:])
    with pytest.raises(UntrustedIssuer):
        OriginKeyring([]).verify_token(token, CHALLENGE)
    with pytest.raises(UntrustedIssuer):
        OriginKeyring([PKI]).find(bytes(32))


def test_keys_that_are_not_type_0x0002_keys_are_refused() -> None:
    with pytest.raises(DecodeError, match="rsaEncryption"):
        create_token_request(public_key_to_spki(shared_key().public_key(), pss=False), CHALLENGE)
    vector = load_json("rfc9474_rsabssa.json")["vectors"][0]
    large = rsa.RSAPublicNumbers(int(vector["e"], 16), int(vector["n"], 16)).public_key()
    with pytest.raises(DecodeError, match="2048-bit"):
        TokenKey.from_spki(public_key_to_spki(large))
    with pytest.raises(ValueError, match="2048-bit"):
        TokenKey.from_public_key(large)
    with pytest.raises(DecodeError):
        verify_token(PKI[:-1], unhex(TYPE2[0]["token"]), CHALLENGE)


def test_blinded_message_not_below_n_is_refused_by_the_issuer() -> None:
    request, _, _, _ = _issued()
    with pytest.raises(DecodeError, match="not below the modulus"):
        issue_token_response(shared_key(), request[:3] + b"\xff" * 256)


def test_client_draws_nonce_salt_then_blinding_factor() -> None:
    draws: list[int] = []

    def recording_rng(size: int) -> bytes:
        draws.append(size)
        return bytes([0x5A]) * size

    create_token_request(PKI, CHALLENGE, rng=recording_rng)
    # 0x5a5a... is below this key's modulus (0xcb1a...), so r is accepted at once.
    assert draws == [32, 48, 256]
    with pytest.raises(ValueError, match="rng"):
        create_token_request(PKI, CHALLENGE, rng=lambda size: bytes(size + 1))


def test_client_state_is_secret() -> None:
    _, _, _, state = _issued()
    assert repr(state) == "TokenRequestState(<redacted>)"
    with pytest.raises(TypeError):
        pickle.dumps(state)


def test_client_state_exports_and_restores_to_the_same_token() -> None:
    request, state = create_token_request(PKI, CHALLENGE)
    response = issue_token_response(shared_key(), request)
    nonce, digest, inv = state.export()
    assert state.issuer_spki == PKI and digest == CHALLENGE.digest()
    assert repr(inv).startswith("SecretBytes(")
    restored = TokenRequestState.restore(PKI, nonce, digest, inv.reveal())
    token = finalize_token(restored, response)
    assert token == finalize_token(state, response)
    verify_token(PKI, token, CHALLENGE)
    # Values of the wrong shape, an inverse out of range, an unusable key.
    n = shared_key().public_key().public_numbers().n
    bad = [
        (PKI, nonce[:-1], digest, inv.reveal()),
        (PKI, nonce, digest + b"\x00", inv.reveal()),
        (PKI, nonce, digest, inv.reveal()[1:]),
        (PKI, nonce, digest, bytes(256)),
        (PKI, nonce, digest, n.to_bytes(256, "big")),
        (PKI[:-1], nonce, digest, inv.reveal()),
        (PKI, 7, digest, inv.reveal()),
    ]
    for arguments in bad:
        with pytest.raises(DecodeError):
            TokenRequestState.restore(*arguments)  # type: ignore[arg-type]
    # Another inverse of the right shape gives a token that does not verify.
    wrong = TokenRequestState.restore(PKI, nonce, digest, (1).to_bytes(256, "big"))
    with pytest.raises(InvalidSignature):
        finalize_token(wrong, response)


# --- Properties: any flipped bit is refused --------------------------------------------------


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(flipped)


ISSUED = _issued()


@given(bit=st.integers(0, 8 * len(ISSUED[2]) - 1))
def test_flipping_any_bit_of_a_token_fails_verification(bit: int) -> None:
    with pytest.raises(ZkcheckError):
        verify_token(PKI, _flip(ISSUED[2], bit), CHALLENGE)


@given(bit=st.integers(0, 8 * len(ISSUED[1]) - 1))
def test_flipping_any_bit_of_a_token_response_fails_finalization(bit: int) -> None:
    with pytest.raises(ZkcheckError):
        finalize_token(ISSUED[3], _flip(ISSUED[1], bit))


@given(bit=st.integers(0, 8 * len(CHALLENGE.to_bytes()) - 1))
def test_flipping_any_bit_of_a_challenge_fails_verification(bit: int) -> None:
    with pytest.raises(ZkcheckError):
        verify_token(PKI, ISSUED[2], TokenChallenge.from_bytes(_flip(CHALLENGE.to_bytes(), bit)))


@given(st.binary(max_size=400))
def test_decoders_raise_nothing_foreign(data: bytes) -> None:
    for decode in (TokenChallenge.from_bytes, TokenRequest.from_bytes, Token.from_bytes):
        with contextlib.suppress(DecodeError):
            decode(data)


# --- Many keys: the issuer's and the origin's keyrings ---------------------------------------


def test_keyrings_route_by_key_id() -> None:
    # generated_key() is drawn until its truncated key id differs from the shared key's.
    issuer_keys = [shared_key(), generated_key()]
    ids = {TokenKey.from_public_key(k.public_key()).truncated_token_key_id for k in issuer_keys}
    assert len(ids) == 2
    issuer = IssuerKeyring(issuer_keys)
    origin = OriginKeyring(token_key.spki for token_key in issuer.token_keys)
    for token_key in issuer.token_keys:
        challenge = TokenChallenge(2, "issuer.example", bytes(32), "")
        request, state = create_token_request(token_key.spki, challenge)
        token = finalize_token(state, issuer.issue_token_response(request))
        assert origin.verify_token(token, challenge) == token_key
        assert origin.find(token_key.token_key_id) == token_key
        verify_token(token_key.spki, token, challenge)
    with pytest.raises(ValueError, match="truncated"):
        IssuerKeyring([shared_key(), shared_key()])


# --- Issuer directory ------------------------------------------------------------------------


def test_directory_round_trip_and_key_selection() -> None:
    directory = IssuerDirectory(
        "https://issuer.example.net/request",
        (
            DirectoryTokenKey(2, PKI, not_before=1686913811),
            DirectoryTokenKey(2, PKI[:-1] + b"\x01"),
            DirectoryTokenKey(1, b"\x02" * 49),
        ),
    )
    encoded = directory.to_json()
    assert IssuerDirectory.from_json(encoded) == directory
    document = json.loads(encoded)
    assert document["token-keys"][0] == {
        "token-type": 2,
        "token-key": _b64(PKI),
        "not-before": 1686913811,
    }
    assert document["issuer-request-uri"] == "https://issuer.example.net/request"
    assert directory.select_token_key(2, now=1686913810) == directory.token_keys[1]
    assert directory.select_token_key(2, now=1686913811) == directory.token_keys[0]
    assert directory.select_token_key(1, now=0) == directory.token_keys[2]
    with pytest.raises(UntrustedIssuer):
        directory.select_token_key(3, now=0)


def test_directory_ignores_unknown_fields() -> None:
    document = {
        "issuer-request-uri": "/request",
        "future": [1, 2],
        "token-keys": [{"token-type": 2, "token-key": _b64(PKI), "extension": True}],
    }
    parsed = IssuerDirectory.from_json(json.dumps(document).encode())
    assert parsed == IssuerDirectory("/request", (DirectoryTokenKey(2, PKI),))


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"[]",
        b'{"issuer-request-uri": "/r"}',
        b'{"token-keys": []}',
        b'{"issuer-request-uri": "/r", "issuer-request-uri": "/s", "token-keys": []}',
        b'{"issuer-request-uri": "/r", "token-keys": [1]}',
        b'{"issuer-request-uri": "/r", "token-keys": [{"token-type": 2}]}',
        b'{"issuer-request-uri": "/r", "token-keys": [{"token-type": 2.0, "token-key": "AA=="}]}',
        b'{"issuer-request-uri": "/r", "token-keys": [{"token-type": true, "token-key": "AA=="}]}',
        b'{"issuer-request-uri": "/r", "token-keys": [{"token-type": 65536, "token-key": "AA=="}]}',
        b'{"issuer-request-uri": "/r", "token-keys": [{"token-type": 2, "token-key": "AA"}]}',
        b'{"issuer-request-uri": "/r", "token-keys": '
        b'[{"token-type": 2, "token-key": "AA==", "not-before": "soon"}]}',
        b'{"issuer-request-uri": "/r", "token-keys": '
        b'[{"token-type": 2, "token-key": "AA==", "not-before": -1}]}',
        b"\xff",
        b"[" * 100000,
    ],
)
def test_malformed_directories_are_refused(document: bytes) -> None:
    with pytest.raises(DecodeError):
        IssuerDirectory.from_json(document)
