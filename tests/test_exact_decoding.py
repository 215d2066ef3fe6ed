"""The exact decoders of the messages a verifier reads on every signed presentation.

``decode_exact`` accepts an input only when it is byte for byte what the
message's writer produces from what was read. These tests check that the
writers are the deterministic encoder (the same bytes as ``encode`` of the
message's map), that every other encoding of a real presentation, at every
level of its nesting, is refused, and that whatever is accepted is also what
the generic strict decoder accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.attest_world import ADULT, make_world
from tests.cbor_variants import Variant, mutate
from zkcheck.claims import NUMBER, Check
from zkcheck.encoding import cwt
from zkcheck.encoding.cbor import (
    MAJOR_BYTES,
    MAJOR_NEGATIVE,
    MAJOR_TAG,
    MAJOR_UNSIGNED,
    Tag,
    decode,
    decode_exact,
    encode,
    encode_int,
    encode_text,
    head,
)
from zkcheck.encoding.cose import SIGN1_TAGS, COSEKey, Curve, Sign1
from zkcheck.encoding.messages import Presentation
from zkcheck.encoding.signed import (
    KEY_BINDING_TYP,
    AttestationClaims,
    KeyBindingClaims,
    decode_presentation_body,
)
from zkcheck.errors import DecodeError

_BOUNDARIES = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1]


@pytest.mark.parametrize("argument", _BOUNDARIES)
def test_heads_are_the_shortest_for_every_major_type(argument: int) -> None:
    # cbor2 writes an unsigned integer's shortest head; other major types differ
    # only in the top three bits of the initial byte.
    integer_head = cbor2.dumps(argument)
    for major in range(8):
        expected = bytes([major << 5 | integer_head[0]]) + integer_head[1:]
        assert head(major, argument) == expected
    assert encode_int(argument) == cbor2.dumps(argument)
    assert encode_int(-1 - argument) == cbor2.dumps(-1 - argument)


@pytest.mark.parametrize("argument", [-1, -(2**64), 2**64])
def test_heads_refuse_arguments_outside_64_bits(argument: int) -> None:
    with pytest.raises(ValueError):
        head(MAJOR_BYTES, argument)


@given(st.integers(min_value=-(2**64), max_value=2**64 - 1), st.text(max_size=300))
def test_integer_and_text_writers_are_cbor2s_encoding(integer: int, text: str) -> None:
    assert encode_int(integer) == cbor2.dumps(integer)
    assert encode_text(text) == cbor2.dumps(text)


# -- the writers are the deterministic encoder ----------------------------------------

identifiers = st.from_regex(r"[a-z0-9][a-z0-9.:-]{0,40}", fullmatch=True)
times = st.integers(min_value=0, max_value=2**53 - 1)
check_lists = st.lists(
    st.sampled_from(
        [Check.age_over(18), Check.sim_swap(72), Check.country("ES"), Check.tenure(24), NUMBER]
    ),
    min_size=1,
    max_size=5,
    unique=True,
)


@st.composite
def holder_keys(draw: Any) -> COSEKey:
    curve = draw(st.sampled_from([Curve.ED25519, Curve.P256]))
    size = 32 if curve is Curve.ED25519 else 64
    return COSEKey(curve, draw(st.binary(min_size=size, max_size=size)))


@settings(max_examples=100)
@given(identifiers, times, times, holder_keys(), check_lists, st.binary(min_size=32, max_size=32))
def test_attestation_claims_writer_is_the_deterministic_encoding(
    operator: str, issued: int, expires: int, key: COSEKey, checks: list[Check], digest: bytes
) -> None:
    number = digest if NUMBER in checks else None
    claims = AttestationClaims(operator, issued, expires, key, tuple(checks), number)
    assert claims.encode() == encode(claims.to_map())
    assert key.encode() == encode(key.to_map())
    if issued < expires:
        assert AttestationClaims.from_payload(claims.encode()).to_map() == claims.to_map()


@given(
    identifiers,
    st.binary(min_size=16, max_size=64),
    st.binary(min_size=32, max_size=32),
    st.none() | st.binary(min_size=16, max_size=16),
)
def test_key_binding_claims_writer_is_the_deterministic_encoding(
    audience: str, nonce: bytes, digest: bytes, salt: bytes | None
) -> None:
    claims = KeyBindingClaims(audience, nonce, digest, salt)
    assert claims.encode() == encode(claims.to_map())
    assert KeyBindingClaims.from_payload(claims.encode()) == claims


@given(
    st.from_regex(r"[a-z][a-z0-9-]{0,31}", fullmatch=True),
    st.binary(min_size=16, max_size=64),
    st.sampled_from([1, 23, 24, 255, 256, 60000]),
)
def test_presentation_writer_is_the_deterministic_encoding(
    tier: str, nonce: bytes, body_size: int
) -> None:
    presentation = Presentation(tier, nonce, b"\x07" * body_size)
    expected = encode({0: 1, 1: "presentation", 2: tier, 3: nonce, 4: presentation.body})
    assert presentation.to_bytes() == expected
    assert Presentation.from_bytes(expected) == presentation


@pytest.mark.parametrize("sizes", [(0, 0, 64), (23, 24, 64), (255, 256, 64), (300, 70000, 72)])
@pytest.mark.parametrize("tagged", [True, False])
def test_sign1_writer_is_the_deterministic_encoding(sizes: tuple[int, ...], tagged: bool) -> None:
    protected, payload, signature = (bytes([size % 251]) * size for size in sizes)
    message = Sign1(protected, {}, {}, payload, signature)
    assert message.encode(tagged=tagged) == encode(message.to_item(tagged=tagged))
    keyed = COSEKey(Curve.ED25519, b"\x01" * 32, kid=b"\x02" * 16)
    assert keyed.encode() == encode(keyed.to_map())


# -- a real presentation, level by level ----------------------------------------------


def _presentation(*, number: bool = False, curve: Curve = Curve.ED25519) -> bytes:
    world = make_world()
    checks = [Check.age_over(18), NUMBER] if number else [Check.sim_swap(72)]
    holder = world.issued_holder(checks, curve=curve)
    verifier = world.verifier(tuple(checks), max_age=8 * 86400)
    return holder.present(verifier.create_request()).to_bytes()


def _read_all(envelope: bytes) -> None:
    """What a verifier decodes of a presentation before any signature."""
    decode_presentation_body(Presentation.from_bytes(envelope).body)


class _Levels:
    """A presentation's nested messages as values, rebuilt into one envelope with any
    one level's bytes replaced."""

    def __init__(self, envelope: bytes) -> None:
        self.envelope = decode(envelope)
        self.body = decode(self.envelope[4], tags=SIGN1_TAGS)
        self.bucket = decode(self.body.value[0], tags=SIGN1_TAGS)
        attestation = self.bucket[13].value
        self.attestation_claims = decode(attestation[2])
        self.binding_claims = decode(self.body.value[2])

    def value(self, level: str) -> Any:
        return getattr(self, level)

    def rebuild(self, level: str, data: bytes) -> bytes:
        def at(name: str, value: Any) -> bytes:
            return data if name == level else encode(value)

        attestation = list(self.bucket[13].value)
        attestation[2] = at("attestation_claims", self.attestation_claims)
        bucket = dict(self.bucket)
        bucket[13] = Tag(18, attestation)
        body = list(self.body.value)
        body[0] = at("bucket", bucket)
        body[2] = at("binding_claims", self.binding_claims)
        envelope = dict(self.envelope)
        envelope[4] = at("body", Tag(18, body))
        return at("envelope", envelope)


_LEVELS = ["envelope", "body", "bucket", "attestation_claims", "binding_claims"]


@pytest.mark.parametrize("number", [False, True])
def test_the_levels_rebuild_to_the_presentation(number: bool) -> None:
    envelope = _presentation(number=number)
    levels = _Levels(envelope)
    for level in _LEVELS:
        assert levels.rebuild(level, encode(levels.value(level))) == envelope
    _read_all(envelope)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_LEVELS), st.booleans(), st.data())
def test_every_other_encoding_of_any_level_is_refused(level: str, number: bool, data: Any) -> None:
    levels = _Levels(_PRESENTATIONS[number])
    variant = Variant(data)
    encoded = variant.encode(levels.value(level))
    if not variant.deviations:
        assert encoded == encode(levels.value(level))
        encoded += bytes([data.draw(st.integers(min_value=0, max_value=255))])  # trailing
    with pytest.raises(DecodeError):
        _read_all(levels.rebuild(level, encoded))


_PRESENTATIONS = {False: _presentation(), True: _presentation(number=True)}


def _entry_changed(level: str, change: Callable[[dict[Any, Any]], None]) -> bytes:
    levels = _Levels(_PRESENTATIONS[True])
    value = dict(levels.value(level))
    change(value)
    return levels.rebuild(level, cbor2.dumps(value))


@pytest.mark.parametrize(
    ("level", "required"),
    [
        ("envelope", 3),
        ("bucket", 13),
        ("attestation_claims", cwt.CLAIM_CNF),
        ("binding_claims", 39),
    ],
)
def test_a_missing_or_extra_entry_is_refused_by_name(level: str, required: int) -> None:
    def drop(value: dict[Any, Any]) -> None:
        del value[required]

    def add_one(value: dict[Any, Any]) -> None:
        value[-70000] = 0  # sorts last: the map stays in deterministic order

    for change in (drop, add_one):
        with pytest.raises(DecodeError, match="an entry is missing, unexpected or of another"):
            _read_all(_entry_changed(level, change))


def _replace_key(value: dict[Any, Any], old: int, new: Any) -> None:
    # Rebuilt in the same order, with one key of another type in place of the integer.
    items = list(value.items())
    value.clear()
    for key, item in items:
        value[new if key == old else key] = item


@pytest.mark.parametrize(
    ("level", "key", "other"),
    [
        ("attestation_claims", cwt.CLAIM_ISS, True),  # true == 1 in Python
        ("envelope", 1, True),
        ("envelope", 0, False),
        ("binding_claims", cwt.CLAIM_AUD, 3.0),  # a float64 key equal to 3
        ("bucket", 1, 1.0),
    ],
)
def test_a_key_of_another_type_that_compares_equal_is_refused(
    level: str, key: int, other: Any
) -> None:
    changed = _entry_changed(level, lambda value: _replace_key(value, key, other))
    with pytest.raises(DecodeError):
        _read_all(changed)


def test_a_non_deterministic_encoding_is_refused_with_the_generic_reason() -> None:
    levels = _Levels(_PRESENTATIONS[False])
    claims = levels.binding_claims
    # The audience's text length in two bytes instead of one.
    shortest = encode_text(claims[cwt.CLAIM_AUD])
    longer = bytes([0x78, len(shortest) - 1]) + shortest[1:]
    data = encode(claims).replace(shortest, longer, 1)
    with pytest.raises(DecodeError, match="deterministically encoded"):
        _read_all(levels.rebuild("binding_claims", data))


def test_a_wrong_typed_value_is_refused_by_the_reader() -> None:
    changed = _entry_changed("binding_claims", lambda value: value.update({39: "a text nonce"}))
    with pytest.raises(DecodeError, match="cnonce must be a request nonce"):
        _read_all(changed)
    bad_typ = _entry_changed("bucket", lambda value: value.update({16: "application/cwt"}))
    with pytest.raises(DecodeError, match="typ"):
        _read_all(bad_typ)
    assert KEY_BINDING_TYP != "application/cwt"


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.data())
def test_whatever_is_accepted_is_accepted_by_the_generic_decoder(number: bool, data: Any) -> None:
    # Byte mutations of a real body: flips, insertions, deletions, length changes.
    mutated = mutate(Presentation.from_bytes(_PRESENTATIONS[number]).body, data)
    try:
        presented = decode_presentation_body(mutated)
    except DecodeError:
        return
    # Accepted: every level is the deterministic encoding of its value.
    for level in (mutated, presented.token.protected):
        assert encode(decode(level, tags=SIGN1_TAGS)) == level
    for payload in (presented.token.payload, presented.attestation.payload):
        assert encode(decode(payload)) == payload


@pytest.mark.parametrize(
    "read",
    [
        Presentation.from_bytes,
        decode_presentation_body,
        AttestationClaims.from_payload,
        KeyBindingClaims.from_payload,
    ],
)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_errors(
    read: Callable[[bytes], Any], data: bytes
) -> None:
    with pytest.raises(DecodeError):
        read(data)


def test_an_es256_holder_presentation_reads_back() -> None:
    envelope = _presentation(curve=Curve.P256)
    presented = decode_presentation_body(Presentation.from_bytes(envelope).body)
    assert presented.attestation_claims.holder_key.curve is Curve.P256
    assert _Levels(envelope).rebuild("envelope", encode(_Levels(envelope).envelope)) == envelope


def test_decode_exact_refuses_what_read_cannot_take_apart() -> None:
    def read(value: Any) -> int:
        return int(value[0])

    with pytest.raises(DecodeError, match="the test message: an entry is missing"):
        decode_exact(cbor2.dumps({}), read, encode_int, "the test message")
    with pytest.raises(DecodeError, match="longer than 4 bytes"):
        decode_exact(b"\x01" * 5, read, encode_int, "the test message", max_size=4)
    tagged = head(MAJOR_TAG, 18) + head(MAJOR_UNSIGNED, 0)
    with pytest.raises(DecodeError, match="malformed or unsupported CBOR"):  # tag 18 unnamed
        decode_exact(tagged, read, encode_int, "the test message")
    assert head(MAJOR_NEGATIVE, 0) == b"\x20"
    assert decode_exact(b"\x20", lambda value: value, encode_int, "an integer") == -1
    assert ADULT  # the world's subscriber is the one the presentations are issued to


def test_checked_attestation_buckets_are_bounded_and_private_to_each_message() -> None:
    from zkcheck.encoding.signed import (
        _ATTESTATION_BUCKETS,
        _ATTESTATION_BUCKETS_CACHED,
        ATTESTATION_TYP,
        decode_attestation,
    )

    def attestation(bucket: dict[int, Any]) -> Tag:
        return Tag(18, [encode(bucket), {}, b"payload", b"s" * 64])

    def bucket(kid: bytes) -> dict[int, Any]:
        return {1: -19, 4: kid, 16: ATTESTATION_TYP}

    presented = decode_presentation_body(Presentation.from_bytes(_PRESENTATIONS[False]).body)
    assert presented.attestation.protected in _ATTESTATION_BUCKETS
    presented.attestation.headers[4] = b"changed by the caller"
    again = decode_presentation_body(Presentation.from_bytes(_PRESENTATIONS[False]).body)
    assert again.attestation.headers[4] != b"changed by the caller"
    # Buckets that fail the check are refused every time and never remembered.
    for bad in (bucket(b"k" * 15), {1: -19, 4: b"k" * 16, 16: "application/cwt"}, {1: -19}):
        for _ in range(2):
            with pytest.raises(DecodeError):
                decode_attestation(attestation(bad))
        assert encode(bad) not in _ATTESTATION_BUCKETS
    for index in range(2 * _ATTESTATION_BUCKETS_CACHED):
        with pytest.raises(DecodeError):  # the payload is not claims; the bucket is checked
            decode_attestation(attestation(bucket(index.to_bytes(16, "big"))))
        assert len(_ATTESTATION_BUCKETS) <= _ATTESTATION_BUCKETS_CACHED
