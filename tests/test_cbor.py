"""Deterministic CBOR (RFC 8949, section 4.2.1) and the strict decoder."""

from __future__ import annotations

import contextlib
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cbor_variants import Variant, mutate
from zkcheck.encoding.cbor import Tag, decode, encode
from zkcheck.errors import DecodeError


def test_map_keys_sort_bytewise_not_length_first() -> None:
    # 24 encodes as 0x18 0x18, -1 as 0x20: bytewise, 24 comes first; the
    # length-first order of cbor2's canonical mode (RFC 7049) puts -1 first.
    value = {-1: "b", 24: "a"}
    assert encode(value) == bytes.fromhex("a218186161206162")
    assert cbor2.dumps(value, canonical=True) == bytes.fromhex("a220616218186161")
    assert decode(encode(value)) == value
    with pytest.raises(DecodeError):
        decode(cbor2.dumps(value, canonical=True))


def test_key_order_across_types_and_lengths() -> None:
    value = {"b": 1, "a": 2, "aa": 3, 1: 4, -1: 5, 100: 6, -100: 7, 0: 8}
    encoded = encode(value)
    # 0, 1, 100, -1, -100, "a", "b", "aa": the order of the keys' encodings.
    assert list(decode(encoded)) == [0, 1, 100, -1, -100, "a", "b", "aa"]
    assert encoded == cbor2.dumps({k: value[k] for k in [0, 1, 100, -1, -100, "a", "b", "aa"]})


@pytest.mark.parametrize(
    ("hex_input", "reason"),
    [
        ("1801", "integer not in shortest form"),
        ("190001", "integer not in shortest form"),
        ("1b0000000000000001", "integer not in shortest form"),
        ("5801ff", "length not in shortest form"),
        ("0102", "trailing bytes"),
        ("a2010102", "truncated map"),
        ("a201010101", "duplicate key"),
        ("a201010102", "duplicate key, the later value different"),
        ("a3010102020103", "duplicate key, not adjacent"),
        ("81a2010101f5", "duplicate key in a nested map"),
        ("a2020101 01".replace(" ", ""), "keys out of order"),
        ("9f01ff", "indefinite-length array"),
        ("5f4101ff", "indefinite-length byte string"),
        ("f93c00", "float"),
        ("fb3ff0000000000000", "float"),
        ("f7", "undefined"),
        ("f0", "simple value 16"),
        ("c11a514b67b0", "tag 1 (epoch date)"),
        ("c249010000000000000000", "bignum"),
        ("d81c01", "shared value (tag 28)"),
        ("d9d9f701", "self-described CBOR (tag 55799)"),
        ("d82401", "tag not accepted"),
        ("a1f401", "boolean map key"),
        ("a14101 01".replace(" ", ""), "byte-string map key"),
        ("62c328", "invalid UTF-8"),
        ("", "empty input"),
        ("ff", "lone break"),
        ("1c", "reserved additional information"),
    ],
)
def test_strict_decoder_refuses(hex_input: str, reason: str) -> None:
    with pytest.raises(DecodeError):
        decode(bytes.fromhex(hex_input))


def test_size_and_depth_are_bounded() -> None:
    deep = b"\x81" * 20 + b"\x01"
    nested: object = 1
    for _ in range(20):
        nested = [nested]
    assert decode(deep, max_depth=21) == nested
    with pytest.raises(DecodeError):
        decode(deep, max_depth=16)
    big = encode(b"x" * 100)
    with pytest.raises(DecodeError, match="longer"):
        decode(big, max_size=50)


def test_accepted_tags_decode_to_lists_and_dicts() -> None:
    data = encode(Tag(18, [b"\xa0", {4: b"11"}, b"p", b"s"]))
    with pytest.raises(DecodeError):
        decode(data)  # tags must be asked for
    value = decode(data, tags=frozenset({18}))
    assert value == Tag(18, [b"\xa0", {4: b"11"}, b"p", b"s"])
    assert type(value.value) is list and type(value.value[1]) is dict
    with pytest.raises(DecodeError):
        decode(encode(Tag(998, [1])), tags=frozenset({18}))


def test_encoder_refuses_values_outside_the_data_model() -> None:
    for bad in [1.5, {1.0: 1}, {b"k": 1}, {True: 1}, 2**64, -(2**64) - 1, object()]:
        with pytest.raises((TypeError, ValueError)):
            encode(bad)
    assert encode(2**64 - 1) == bytes.fromhex("1bffffffffffffffff")
    assert encode(-(2**64)) == bytes.fromhex("3bffffffffffffffff")
    assert decode(bytes.fromhex("3bffffffffffffffff")) == -(2**64)


def test_decoder_refuses_non_bytes_without_a_foreign_exception() -> None:
    with pytest.raises(DecodeError):
        decode("a0")  # type: ignore[arg-type]
    assert decode(bytearray(b"\xa0")) == {}


# -- properties -------------------------------------------------------------------

leaves = (
    st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.binary(max_size=40)
    | st.text(max_size=20)
    | st.booleans()
    | st.none()
)


def _containers(children: Any) -> Any:
    return st.lists(children, max_size=5) | st.dictionaries(
        st.integers(min_value=-(2**64), max_value=2**64 - 1) | st.text(max_size=8),
        children,
        max_size=5,
    )


values = st.recursive(leaves, _containers, max_leaves=25)


@given(values)
def test_encode_decode_round_trip_is_byte_identical(value: Any) -> None:
    encoded = encode(value)
    decoded = decode(encoded)
    assert decoded == value
    assert encode(decoded) == encoded


@given(
    st.dictionaries(
        st.integers(min_value=-(2**63), max_value=2**63) | st.text(max_size=5),
        st.integers(min_value=0, max_value=1000),
        min_size=2,
        max_size=8,
    )
)
def test_any_other_key_order_is_refused(value: dict[Any, int]) -> None:
    encoded = encode(value)
    reversed_order = cbor2.dumps(dict(reversed(list(decode(encoded).items()))))
    with pytest.raises(DecodeError):
        decode(reversed_order)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_a_foreign_exception(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode(data, tags=frozenset({18}))


@given(values, st.data())
def test_any_flipped_byte_is_refused_or_decodes_to_another_value(value: Any, data: Any) -> None:
    encoded = encode(value)
    index = data.draw(st.integers(min_value=0, max_value=len(encoded) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    mutated = bytearray(encoded)
    mutated[index] ^= flip
    try:
        result = decode(bytes(mutated))
    except DecodeError:
        return
    # Deterministic encoding: one value, one encoding, so different bytes are a different value.
    assert result != value or type(result) is not type(value)


# -- the deterministic-encoding check ------------------------------------------------
#
# The decoder accepts an input only when its length is the size of the deterministic
# encoding of the value cbor2 decoded from it. The properties below check that this
# is the same as "the input is the deterministic encoding": every variant that
# encodes the same value some other way is refused, and whatever is accepted is
# byte for byte what cbor2 itself encodes from the decoded value.

tagged_values = st.recursive(
    leaves,
    lambda children: _containers(children) | st.builds(lambda item: Tag(18, item), children),
    max_leaves=25,
)


@settings(max_examples=200)
@given(tagged_values, st.data())
def test_every_other_encoding_of_a_value_is_refused(value: Any, data: Any) -> None:
    variant = Variant(data)
    encoded = variant.encode(value)
    if not variant.deviations:
        assert encoded == encode(value)  # the test's encoder agrees with zkcheck's
        encoded += bytes([data.draw(st.integers(min_value=0, max_value=255))])  # trailing
    with pytest.raises(DecodeError):
        decode(encoded, tags=frozenset({18}))


_BOUNDARIES = [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1]


@pytest.mark.parametrize("argument", _BOUNDARIES)
def test_integers_and_heads_at_the_size_boundaries_round_trip(argument: int) -> None:
    for value in (argument, -1 - argument, Tag(18, argument) if argument < 2**32 else argument):
        encoded = encode(value)
        assert decode(encoded, tags=frozenset({18})) == value
    if argument <= 65536:
        for value in (b"x" * argument, "x" * argument, "\u00e9" * (argument // 2)):
            assert decode(encode(value), max_size=2**20) == value
        for container in ([0] * argument, dict.fromkeys(range(argument), 0)):
            assert decode(encode(container), max_size=2**20) == container


@given(tagged_values)
def test_round_trip_with_tags_is_byte_identical(value: Any) -> None:
    encoded = encode(value)
    decoded = decode(encoded, tags=frozenset({18}))
    assert decoded == value
    assert encode(decoded) == encoded
    assert cbor2.dumps(decoded) == encoded


@given(tagged_values, st.data())
def test_whatever_is_accepted_is_cbor2s_encoding_of_the_value(value: Any, data: Any) -> None:
    # Mutations of a valid encoding reach the corners of the size check: changed
    # heads, lengths that swallow or leave bytes, inserted and deleted bytes.
    mutated = mutate(encode(value), data)
    try:
        result = decode(mutated, tags=frozenset({18}))
    except DecodeError:
        return
    assert cbor2.dumps(result) == mutated


@pytest.mark.parametrize(
    "hex_input",
    [
        "a1011801",  # a value not in shortest form inside a map
        "821801a0",  # ... inside an array
        "d2841801a0f6f6",  # ... inside a tag
        "d81284a0a0a0a0",  # a tag number not in shortest form
        "d2840102030400",  # trailing bytes after a tagged item
        "a201010101",  # a duplicate key
        "59000141",  # a byte-string length not in shortest form
    ],
)
def test_non_canonical_detail_is_refused(hex_input: str) -> None:
    with pytest.raises(DecodeError):
        decode(bytes.fromhex(hex_input), tags=frozenset({18}))


def test_boolean_key_is_refused_after_the_same_integer_key() -> None:
    # Key encodings are cached; True == 1 in Python, so the cache must tell them apart.
    assert decode(bytes.fromhex("a10101")) == {1: 1}
    with pytest.raises(DecodeError):
        decode(bytes.fromhex("a1f501"))
    with pytest.raises(TypeError):
        encode({True: 1})


def test_key_encoding_cache_stays_bounded() -> None:
    from zkcheck.encoding.cbor import _KEY_CACHE_ENTRIES, _KEY_ENCODINGS

    for key in range(3 * _KEY_CACHE_ENTRIES):
        assert decode(cbor2.dumps({key: 0})) == {key: 0}
        assert len(_KEY_ENCODINGS) <= _KEY_CACHE_ENTRIES
    # Emptied when full, it fills again: the keys still decode, and in order.
    assert decode(bytes.fromhex("a2010102f5")) == {1: 1, 2: True}
    with pytest.raises(DecodeError):
        decode(bytes.fromhex("a2020101f5"))


def test_long_text_keys_are_checked_but_not_cached() -> None:
    # The key-encoding cache is bounded in entries; keys of attacker-chosen length
    # stay out of it, or 4096 of them would hold hundreds of MiB.
    from zkcheck.encoding.cbor import _CACHED_KEY_CHARS, _KEY_ENCODINGS

    _KEY_ENCODINGS.clear()
    long_keys = ["k" * (_CACHED_KEY_CHARS + 1) + str(i) for i in range(50)]
    for key in long_keys:
        with pytest.raises(DecodeError):  # refused, as any CBOR outside the message kinds
            decode(cbor2.dumps({key: 0}) + b"\x00")
        assert decode(cbor2.dumps({key: 0})) == {key: 0}
    assert not _KEY_ENCODINGS
    # Their order is still checked: bytewise, so a shorter key comes first.
    shorter, longer = "a" * (_CACHED_KEY_CHARS + 1), "a" * (_CACHED_KEY_CHARS + 2)
    assert encode({longer: 1, shorter: 2}) == cbor2.dumps({shorter: 2, longer: 1})
    with pytest.raises(DecodeError):
        decode(cbor2.dumps({longer: 1, shorter: 2}))
    assert decode(cbor2.dumps({"b": 1, shorter: 2})) == {"b": 1, shorter: 2}
