"""Versioned messages: round trips, strictness, and byte-identical re-encoding."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.attest_world import ADULT, make_world
from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import COSESigningKey, Curve
from zkcheck.encoding.messages import (
    IssuanceRequest,
    IssuanceResponse,
    Presentation,
    Request,
    ResultRecord,
    decode_message,
)
from zkcheck.encoding.signed import (
    CLAIM_NUMBER_DIGEST,
    AttestationClaims,
    KeyBindingClaims,
    decode_presentation_body,
)
from zkcheck.errors import DecodeError
from zkcheck.trust.keyset import OperatorKeySet

MENU = sorted(Menu.default(("ES", "PT", "FR")).checks, key=lambda c: c.identifier)

identifiers = st.from_regex(r"[a-z][a-z0-9.-]{0,20}\.example", fullmatch=True)
checks = st.lists(st.sampled_from(MENU), min_size=1, max_size=6, unique=True).map(tuple)
requests = st.builds(
    Request,
    nonce=st.binary(min_size=16, max_size=64),
    verifier_id=identifiers,
    checks=checks,
    tiers=st.lists(st.sampled_from(["signed", "token", "credential"]), min_size=1, unique=True).map(
        tuple
    ),
    operators=st.lists(identifiers, min_size=1, max_size=4, unique=True).map(tuple),
    max_age=st.integers(min_value=0, max_value=2**32),
    expires_at=st.integers(min_value=0, max_value=2**40),
    time=st.integers(min_value=0, max_value=2**40),
)
results = st.builds(
    ResultRecord,
    tier=st.sampled_from(["signed", "token"]),
    operator=identifiers,
    checks=checks,
    issued_bucket=st.integers(min_value=0, max_value=2**40),
    verifier_id=identifiers,
)
presentations = st.builds(
    Presentation,
    tier=st.sampled_from(["signed", "token"]),
    nonce=st.binary(min_size=16, max_size=64),
    body=st.binary(min_size=1, max_size=300),
)


def _canonical(message: Any) -> None:
    data = message.to_bytes()
    again = type(message).from_bytes(data)
    assert again.to_bytes() == data
    assert encode(decode(data, tags=frozenset({18}))) == data


@given(requests)
def test_requests_re_encode_byte_identically(request: Request) -> None:
    _canonical(request)
    parsed = Request.from_bytes(request.to_bytes())
    assert set(parsed.checks) == set(request.checks)
    assert parsed.nonce == request.nonce


@given(results)
def test_results_re_encode_byte_identically(record: ResultRecord) -> None:
    _canonical(record)


@given(presentations)
def test_presentations_re_encode_byte_identically(presentation: Presentation) -> None:
    _canonical(presentation)
    assert Presentation.from_bytes(presentation.to_bytes()) == presentation


@pytest.mark.parametrize("curve", [Curve.ED25519, Curve.P256])
def test_issuance_and_signed_objects_re_encode_byte_identically(curve: Curve) -> None:
    world = make_world(operator_curve=curve)
    holder = world.holder(curve)
    ask = holder.request_attestations([Check.age_over(18), Check.number(), Check.sim_swap(72)], 3)
    _canonical(ask)
    answer = world.issuer.issue(ADULT, ask)
    _canonical(answer)
    holder.receive(answer)
    verifier = world.verifier((Check.number(), Check.sim_swap(72)), optional=(Check.age_over(18),))
    presentation = holder.present(verifier.create_request())
    _canonical(presentation)
    body = decode_presentation_body(presentation.body)
    assert body.token.encode() == presentation.body
    assert (
        encode(AttestationClaims.from_payload(body.attestation.payload).to_map())
        == body.attestation.payload
    )
    assert encode(KeyBindingClaims.from_payload(body.token.payload).to_map()) == body.token.payload
    _canonical(verifier.verify(presentation, number=ADULT).record())
    keyset = world.issuer.keyset()
    _canonical(keyset)
    assert OperatorKeySet.from_bytes(keyset.to_bytes()) == keyset
    assert decode_message(presentation.to_bytes()) == "presentation"


def _request_fields() -> dict[int, Any]:
    request = Request(
        bytes(16), "rp.example", (Check.age_over(18),), ("signed",), ("op.example",), 60, 100, 40
    )
    fields: dict[int, Any] = decode(request.to_bytes())
    return fields


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.__setitem__(0, 2),  # a version this code does not read
        lambda f: f.__setitem__(0, 0),
        lambda f: f.__setitem__(1, "presentation"),
        lambda f: f.__setitem__(10, 1),  # an unknown field
        lambda f: f.pop(7),  # a missing field
        lambda f: f.__setitem__(2, bytes(15)),  # a nonce under 128 bits
        lambda f: f.__setitem__(2, bytes(65)),
        lambda f: f.__setitem__(3, ""),
        lambda f: f.__setitem__(3, "rp example"),
        lambda f: f.__setitem__(4, []),
        lambda f: f.__setitem__(4, ["tenure:3", "age_over:18"]),  # out of order
        lambda f: f.__setitem__(4, ["age_over:18", "age_over:18"]),  # repeated
        lambda f: f.__setitem__(4, ["age_over:180"]),
        lambda f: f.__setitem__(5, ["Signed"]),
        lambda f: f.__setitem__(6, []),
        lambda f: f.__setitem__(7, -1),
        lambda f: f.__setitem__(7, True),
        lambda f: f.__setitem__(8, "tomorrow"),
        lambda f: f.pop(9),  # no verifier's time
        lambda f: f.__setitem__(9, -1),
    ],
)
def test_malformed_requests_are_refused(change: Any) -> None:
    fields = _request_fields()
    change(fields)
    with pytest.raises(DecodeError):
        Request.from_bytes(encode(fields))


def test_a_request_that_names_no_operator_omits_the_field() -> None:
    # Every operator on the verifier's trust list is accepted; an empty list is not a
    # second spelling of that.
    request = Request(bytes(16), "rp.example", (Check.age_over(18),), ("signed",), (), 60, 100, 40)
    assert 6 not in decode(request.to_bytes())
    assert Request.from_bytes(request.to_bytes()) == request
    fields = _request_fields()
    fields[6] = [f"op-{number:02d}.example" for number in range(17)]
    with pytest.raises(DecodeError):
        Request.from_bytes(encode(fields))


def test_other_messages_refuse_extra_or_wrong_fields() -> None:
    key = COSESigningKey.generate().public_key
    ask = decode(IssuanceRequest((Check.number(),), (key,)).to_bytes())
    ask[3] = [key.to_map(), key.to_map()]
    with pytest.raises(DecodeError, match="own holder key"):
        IssuanceRequest.from_bytes(encode(ask))
    ask[3] = [key.to_map()] * 65
    with pytest.raises(DecodeError):
        IssuanceRequest.from_bytes(encode(ask))
    ask[3] = [{1: 1, -1: 6, -2: bytes([1]) + bytes(31)}]  # a small-order point
    with pytest.raises(DecodeError):
        IssuanceRequest.from_bytes(encode(ask))
    with pytest.raises(DecodeError):
        IssuanceResponse.from_bytes(encode({0: 1, 1: "issuance-response", 2: []}))
    with pytest.raises(DecodeError):
        Presentation.from_bytes(
            encode({0: 1, 1: "presentation", 2: "signed", 3: bytes(16), 4: b""})
        )
    with pytest.raises(DecodeError):
        decode_message(b"\x01")


def test_a_null_number_digest_is_not_an_absent_one() -> None:
    # The digest's presence, not its value, says whether an attestation claims
    # the number check: a null digest beside other checks is malformed.
    world = make_world()
    holder = world.issued_holder([Check.age_over(18)])
    verifier = world.verifier((Check.age_over(18),), max_age=86400)
    body = decode_presentation_body(holder.present(verifier.create_request()).body)
    claims = decode(body.attestation.payload)
    assert AttestationClaims.from_payload(encode(claims)).number_digest is None
    claims[CLAIM_NUMBER_DIGEST] = None
    with pytest.raises(DecodeError):
        AttestationClaims.from_payload(encode(claims))


def test_remembered_check_lists_stay_bounded_and_never_accept_a_bad_list() -> None:
    from zkcheck.encoding.messages import _CHECK_LISTS_CACHED, _PARSED_CHECK_LISTS, parse_checks

    good = ["age_over:18", "sim_swap:72"]
    first = parse_checks(list(good))
    assert parse_checks(list(good)) is first  # remembered
    assert first == (Check.age_over(18), Check.sim_swap(72))
    for bad in (["sim_swap:72", "age_over:18"], ["age_over:18", "age_over:18"], [["x"]], [b"x"]):
        for _ in range(2):  # refused the first time and every time after
            with pytest.raises(DecodeError):
                parse_checks(bad)
    for years in range(121):
        for hours in range(1, 12):
            parse_checks([f"age_over:{years}", f"sim_swap:{hours}"])
            assert len(_PARSED_CHECK_LISTS) <= _CHECK_LISTS_CACHED


def test_remembered_identifiers_stay_bounded_and_never_accept_a_bad_one() -> None:
    from zkcheck.encoding.messages import _IDENTIFIERS_KNOWN, _KNOWN_IDENTIFIERS, check_identifier

    assert check_identifier("bank.example", "aud") == "bank.example"
    assert "bank.example" in _KNOWN_IDENTIFIERS  # remembered
    for bad in ("", "-starts-with-a-dash", "has space", "x" * 256, b"bank.example", 1):
        for _ in range(2):  # refused the first time and every time after
            with pytest.raises(DecodeError):
                check_identifier(bad, "aud")
    for number in range(3 * _IDENTIFIERS_KNOWN):
        check_identifier(f"rp-{number}.example", "aud")
        assert len(_KNOWN_IDENTIFIERS) <= _IDENTIFIERS_KNOWN
    assert not any(len(identifier) > 255 for identifier in _KNOWN_IDENTIFIERS)
