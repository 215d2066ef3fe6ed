"""The operator key file: round trip, strict decoding, no secret in repr or pickle."""

from __future__ import annotations

import pickle

import pytest

from tests.attest_world import ADULT, START
from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import Curve
from zkcheck.errors import DecodeError
from zkcheck.roles import Holder, OperatorKey, Policy, Verifier
from zkcheck.sources import MemorySubscriberSource, demo_subscribers
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.keyset import OperatorKeySet


@pytest.mark.parametrize("curve", [Curve.ED25519, Curve.P256])
def test_an_operator_key_file_round_trips_and_issues(curve: Curve) -> None:
    key = OperatorKey.generate("operator.example", curve=curve, menu=Menu.default(("PT",)))
    again = OperatorKey.from_bytes(key.to_bytes())
    assert again.operator_id == key.operator_id and again.menu == key.menu
    assert again.signing_key.public_key == key.signing_key.public_key
    assert again.to_bytes() == key.to_bytes()
    # What the file restores issues attestations the published key set verifies.
    clock = FixedClock(START)
    issuer = again.issuer(MemorySubscriberSource(demo_subscribers(START)), clock=clock)
    phone = Holder(clock=clock)
    phone.receive(issuer.issue(ADULT, phone.request_attestations([Check.age_over(18)])))
    keyset = OperatorKeySet.from_bytes(key.keyset().to_bytes())
    policy = Policy("rp.example", (Check.age_over(18),), ("operator.example",), max_age=86_400)
    verifier = Verifier(policy, keyset, clock=clock)
    assert verifier.verify(phone.present(verifier.create_request())).checks == (Check.age_over(18),)


def test_an_operator_key_file_is_decoded_strictly() -> None:
    fields = decode(OperatorKey.generate("operator.example").to_bytes())
    assert set(fields) == {0, 1, 2, 3, 4} and fields[1] == "operator-key"
    broken = [
        {**fields, 1: "wallet"},
        {**fields, 0: 2},
        {**fields, 5: 0},
        {key: value for key, value in fields.items() if key != 4},
        {**fields, 2: "not an id!"},
        {**fields, 3: {k: v for k, v in fields[3].items() if k != -4}},  # no private part
        {**fields, 3: {**fields[3], -4: b"\x00" * 31}},
        {**fields, 4: list(reversed(fields[4]))},  # menu not in wire order
        {**fields, 4: ["age_over:18", "age_over:18"]},
    ]
    other = decode(OperatorKey.generate("operator.example").to_bytes())
    broken.append({**fields, 3: {**fields[3], -4: other[3][-4]}})  # d of another key
    for each in broken:
        with pytest.raises(DecodeError):
            OperatorKey.from_bytes(encode(each))


def test_an_operator_key_keeps_its_secret() -> None:
    key = OperatorKey.generate("operator.example")
    secret = key.signing_key.secret.reveal()
    assert secret.hex() not in repr(key) and secret.hex() not in str(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_a_holder_lists_its_public_claims_and_pending_keys() -> None:
    clock = FixedClock(START)
    issuer = OperatorKey.generate("operator.example").issuer(
        MemorySubscriberSource(demo_subscribers(START)), clock=clock
    )
    phone = Holder(clock=clock)
    asked = phone.request_attestations([Check.sim_swap(72)], 2)
    phone.request_attestations([Check.number()], 1)
    assert phone.held() == () and phone.pending() == 3
    phone.receive(issuer.issue(ADULT, asked))
    assert phone.pending() == 1
    assert [claims.checks for claims in phone.held()] == [(Check.sim_swap(72),)] * 2
