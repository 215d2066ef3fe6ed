"""Deterministic CBOR (RFC 8949, section 4.2.1) and the strict decoder."""

from __future__ import annotations

import contextlib
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    assert decode(deep, max_depth=21) is not None
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
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.integers(min_value=-(2**64), max_value=2**64 - 1) | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


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
