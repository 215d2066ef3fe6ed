"""Deterministic CBOR (RFC 8949, section 4.2.1) and a strict, total decoder.

zkcheck's data model is a subset of CBOR: unsigned and negative integers of at
most 64 bits, byte strings, text strings, arrays, maps whose keys are integers
or text strings, ``false``, ``true``, ``null``, and the tags a caller names
(COSE_Sign1 is tag 18). Floating-point numbers, ``undefined``, other simple
values, bignums and every other tag are outside it: no zkcheck message needs
them, and each one more is one more way to encode the same thing.

Encoding follows the core deterministic encoding requirements of RFC 8949,
section 4.2.1:

* preferred serialization: integers, lengths and tag numbers in their shortest
  form (cbor2 writes them so);
* definite lengths only (cbor2 writes them so unless asked otherwise);
* the keys of every map sorted in the bytewise lexicographic order of their
  deterministic encodings. cbor2's ``canonical=True`` sorts by length first
  (the older RFC 7049 "canonical CBOR" order), which puts ``-1`` (``0x20``)
  before ``24`` (``0x18 0x18``); section 4.2.1 puts ``24`` first. zkcheck
  therefore sorts every map itself and asks cbor2 to keep the order it is
  given.

Decoding is strict and total. Input larger than ``max_size`` or nested deeper
than ``max_depth`` is refused before or while cbor2 reads it; cbor2 refuses
input that is not well formed and indefinite lengths; every
tag cbor2 would interpret (dates, bignums, shared references, regular
expressions, ...) is refused before cbor2 builds anything for it. One pass
over the decoded value then checks it against the data model (types, map keys
in deterministic order, accepted tags, depth) and adds up the size of its
deterministic encoding, and the input is accepted only when it has exactly
that size. This makes the input the deterministic encoding of the value:

* every data item of the input takes at least as many bytes as the
  deterministic encoding of the value cbor2 decoded from it (the same
  argument, content or items, behind a head at least as long as the shortest
  one), and exactly as many only when its head is the shortest;
* a map with a repeated key is longer still: cbor2 keeps one entry per key,
  so the value lacks the repeated entries the input spells out;
* so the sizes are equal only when every integer, length and tag number is in
  its shortest form, no map key repeats and nothing follows the data item; with map keys in
  deterministic order, the input is then, byte for byte, the deterministic
  encoding of the value (tests/test_cbor.py checks this against non-canonical
  variants and against cbor2's own encoding).

Whatever goes wrong surfaces as :class:`zkcheck.errors.DecodeError`, never as
an exception of cbor2.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

import cbor2

from zkcheck.errors import DecodeError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_SIZE",
    "MAJOR_ARRAY",
    "MAJOR_BYTES",
    "MAJOR_MAP",
    "MAJOR_NEGATIVE",
    "MAJOR_TAG",
    "MAJOR_TEXT",
    "MAJOR_UNSIGNED",
    "Tag",
    "decode",
    "decode_exact",
    "encode",
    "encode_int",
    "encode_text",
    "head",
    "read_nested",
]

_T = TypeVar("_T")

Tag = cbor2.CBORTag
"""A tagged data item: ``Tag(18, [protected, unprotected, payload, signature])``."""

DEFAULT_MAX_SIZE = 64 * 1024
"""Largest input :func:`decode` accepts unless told otherwise, in bytes."""

DEFAULT_MAX_DEPTH = 16
"""Deepest nesting of arrays, maps and tags :func:`decode` accepts unless told otherwise."""

_INT_MIN = -(2**64)
_INT_MAX = 2**64 - 1

# Tags cbor2 decodes into Python objects of its own (found by probing cbor2 6;
# the data-model check below would refuse any it starts to interpret later,
# but refusing them here keeps cbor2 from even building the object).
_INTERPRETED_TAGS = (
    0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261,
    1004, 43000, 55799,
)  # fmt: skip


class _RefusedTag(Exception):
    """Raised inside cbor2 for a tag zkcheck does not accept."""


def _refuse(*_: object) -> NoReturn:
    raise _RefusedTag


_SEMANTIC_DECODERS: dict[int, Any] = dict.fromkeys(_INTERPRETED_TAGS, _refuse)


_CACHED_KEY_CHARS = 64
"""Text keys longer than this are encoded each time, not cached: keys of attacker-chosen
length would make the cache hold hundreds of MiB."""

_KEY_CACHE_ENTRIES = 4096

# Map keys repeat across messages, so their encodings are cached. A dict keyed by the key
# itself is safe because only exact ints and strs are looked up or stored (True == 1, but a
# boolean key never reaches it), and no int equals a str. It is bounded in entries (emptied
# when full) and holds no long text keys.
_KEY_ENCODINGS: dict[int | str, bytes] = {}


def _key_encoding(key: Any) -> bytes:
    """The deterministic encoding of a map key; ``TypeError`` for a key that is not an
    integer or a text string, ``ValueError`` for an integer beyond 64 bits."""
    kind = type(key)
    if kind is not int and kind is not str:
        raise TypeError("map keys are integers or text strings")
    encoded = _KEY_ENCODINGS.get(key)
    if encoded is None:
        if kind is int and not _INT_MIN <= key <= _INT_MAX:
            raise ValueError("integer map key outside the 64-bit range")
        encoded = cbor2.dumps(key)
        if kind is int or len(key) <= _CACHED_KEY_CHARS:
            if len(_KEY_ENCODINGS) >= _KEY_CACHE_ENTRIES:
                _KEY_ENCODINGS.clear()
            _KEY_ENCODINGS[key] = encoded
    return encoded


def _canonical(value: Any, depth: int, max_depth: int) -> Any:
    """``value`` rebuilt with plain lists and dicts whose keys are in deterministic order.

    Raises ``TypeError`` or ``ValueError`` for anything outside the data model.
    """
    kind = type(value)
    if kind is int:
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError("integer outside the 64-bit range of CBOR major types 0 and 1")
        return value
    if kind is bytes or kind is str or kind is bool or value is None:
        return value
    if depth >= max_depth:
        raise ValueError(f"nesting deeper than {max_depth}")
    if kind is list or kind is tuple:
        return [_canonical(item, depth + 1, max_depth) for item in value]
    if isinstance(value, Mapping):
        entries = []
        for key, item in value.items():
            entries.append((_key_encoding(key), key, item))
        # Distinct int and str keys have distinct encodings, so sorting by
        # encoding is a total order on the keys of one map.
        entries.sort(key=lambda entry: entry[0])
        return {key: _canonical(item, depth + 1, max_depth) for _, key, item in entries}
    if kind is Tag:
        return Tag(value.tag, _canonical(value.value, depth + 1, max_depth))
    if kind is bytearray or kind is memoryview:
        return bytes(value)
    raise TypeError(f"{kind.__name__} is not in zkcheck's CBOR data model")


def _head_size(argument: int) -> int:
    """Bytes of the shortest head that carries ``argument`` (RFC 8949, section 3)."""
    if argument < 24:
        return 1
    if argument < 0x100:
        return 2
    if argument < 0x10000:
        return 3
    if argument < 0x100000000:
        return 5
    if argument <= _INT_MAX:
        return 9
    raise ValueError("integer outside the 64-bit range of CBOR major types 0 and 1")


# Major types (RFC 8949, section 3.1).
MAJOR_UNSIGNED = 0
MAJOR_NEGATIVE = 1
MAJOR_BYTES = 2
MAJOR_TEXT = 3
MAJOR_ARRAY = 4
MAJOR_MAP = 5
MAJOR_TAG = 6

_SHORT_HEADS = tuple(
    tuple(bytes([major << 5 | argument]) if argument < 24 else bytes([major << 5 | 24, argument])
          for argument in range(0x100))
    for major in range(8)
)  # fmt: skip


# The initial byte and a 2-, 4- or 8-byte argument, big-endian (RFC 8949, section 3).
_HEAD_2 = struct.Struct(">BH").pack
_HEAD_4 = struct.Struct(">BI").pack
_HEAD_8 = struct.Struct(">BQ").pack


def head(major: int, argument: int) -> bytes:
    """The shortest head of ``major`` type carrying ``argument`` (RFC 8949, sections 3
    and 4.2.1): an integer's value, a string's length in bytes, an array's or map's
    number of entries, a tag's number. ``ValueError`` for an argument outside 0..2**64-1."""
    if 0 <= argument < 0x100:
        return _SHORT_HEADS[major][argument]
    if 0 < argument < 0x10000:
        return _HEAD_2(major << 5 | 25, argument)
    if 0 < argument < 0x100000000:
        return _HEAD_4(major << 5 | 26, argument)
    if 0 < argument <= _INT_MAX:
        return _HEAD_8(major << 5 | 27, argument)
    raise ValueError("a CBOR head carries an argument of 0 to 2**64 - 1")


# The writers below look short heads up inline: they run several times per message a
# verifier reads.
_UNSIGNED_HEADS = _SHORT_HEADS[MAJOR_UNSIGNED]
_TEXT_HEADS = _SHORT_HEADS[MAJOR_TEXT]


def encode_int(value: int) -> bytes:
    """The deterministic encoding of an integer (major type 0 or 1)."""
    if 0 <= value < 0x100:
        return _UNSIGNED_HEADS[value]
    return head(MAJOR_UNSIGNED, value) if value >= 0 else head(MAJOR_NEGATIVE, -1 - value)


def encode_text(value: str) -> bytes:
    """The deterministic encoding of a text string."""
    encoded = value.encode()
    length = len(encoded)
    return (_TEXT_HEADS[length] if length < 0x100 else head(MAJOR_TEXT, length)) + encoded


_FROZENDICT = cbor2.frozendict


def _checked(items: Any, depth: int, max_depth: int, tags: frozenset[int]) -> tuple[Any, int]:
    """Check an array or map cbor2 decoded; return it and the size of its deterministic
    encoding.

    Arrays come back as lists and maps as dicts (inside a tag cbor2 returns
    tuples and frozendicts, which are copied). The keys of a map are in input
    order, and their encodings must be strictly increasing in bytewise order
    (RFC 8949, section 4.2.1); duplicates, which cbor2 merges into one entry,
    leave the size short of the input's. Leaves are
    checked inline, and heads of up to two bytes sized inline, since this runs
    over every message a verifier reads. Raises ``TypeError`` or
    ``ValueError`` for anything outside the data model.
    """
    if depth >= max_depth:
        raise ValueError(f"nesting deeper than {max_depth}")
    kind = type(items)
    count = len(items)
    size = 1 if count < 24 else _head_size(count)
    slots: Any
    if kind is dict or kind is _FROZENDICT:
        if kind is _FROZENDICT:
            items = dict(items)
        slots = items.items()
        is_map = True
    elif kind is list or kind is tuple:
        if kind is tuple:
            items = list(items)
        slots = enumerate(items)
        is_map = False
    else:
        raise TypeError(f"{kind.__name__} is not in zkcheck's CBOR data model")
    previous = b""
    cached_key = _KEY_ENCODINGS.get
    for slot, item in slots:
        if is_map:
            # One pass over keys and values; a cached key's encoding is looked up inline
            # (only exact ints and strs, see _KEY_ENCODINGS), since this loop runs over
            # every map a verifier reads.
            key_kind = type(slot)
            encoded = cached_key(slot) if key_kind is int or key_kind is str else None
            if encoded is None:
                encoded = _key_encoding(slot)
            if encoded <= previous:
                raise ValueError("map keys not in deterministic order (RFC 8949, 4.2.1)")
            previous = encoded
            size += len(encoded)
        item_kind = type(item)
        if item_kind is bytes:
            length = len(item)
            size += length + (1 if length < 24 else 2 if length < 0x100 else _head_size(length))
        elif item_kind is int:
            argument = item if item >= 0 else -1 - item
            size += 1 if argument < 24 else 2 if argument < 0x100 else _head_size(argument)
        elif item_kind is str:
            length = len(item) if item.isascii() else len(item.encode())
            size += length + (1 if length < 24 else 2 if length < 0x100 else _head_size(length))
        elif item_kind is bool or item is None:
            size += 1
        elif item_kind is Tag:
            tagged, item_size = _checked_tag(item, depth + 1, max_depth, tags)
            items[slot] = tagged
            size += item_size
        elif item_kind is _FROZENDICT and not item and depth + 1 < max_depth:
            # An empty map inside a tag (a COSE_Sign1's unprotected bucket): copying
            # cbor2's frozendict would cost more than the rest of the tag's check.
            items[slot] = {}
            size += 1
        else:
            checked, item_size = _checked(item, depth + 1, max_depth, tags)
            if checked is not item:
                items[slot] = checked
            size += item_size
    return items, size


def _checked_tag(tag: Tag, depth: int, max_depth: int, tags: frozenset[int]) -> tuple[Tag, int]:
    """A tag with its content checked, and the size of its deterministic encoding."""
    if tag.tag not in tags:
        raise ValueError(f"tag {tag.tag} is not accepted here")
    content = tag.value
    if type(content) is tuple or type(content) is _FROZENDICT:  # the usual: an array or map
        content, size = _checked(content, depth + 1, max_depth, tags)
    else:  # checked as the one item of an array, whose head (one byte) stands in for the tag's
        (content,), size = _checked([content], depth, max_depth, tags)
        size -= 1
    return Tag(tag.tag, content), size + _head_size(tag.tag)


def encode(value: Any) -> bytes:
    """The deterministic encoding (RFC 8949, section 4.2.1) of ``value``.

    ``value`` is built from ``int``, ``bytes``, ``str``, ``bool``, ``None``,
    lists or tuples, mappings with integer or text keys, and :data:`Tag`.
    Anything else raises ``TypeError``; an integer beyond 64 bits raises
    ``ValueError``. These are the caller's own mistakes, not malformed input,
    so they are not :class:`DecodeError`.
    """
    return cbor2.dumps(_canonical(value, 0, DEFAULT_MAX_DEPTH * 4))


def _input(data: bytes, max_size: int) -> bytes:
    """``data`` as bytes, refused before it is read when larger than ``max_size``."""
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DecodeError("CBOR input must be bytes")
        data = bytes(data)
    if len(data) > max_size:
        raise DecodeError(f"CBOR input longer than {max_size} bytes")
    return data


def _loads(data: bytes, max_depth: int) -> Any:
    """cbor2's reading of ``data``: well formed, definite lengths, at most ``max_depth``
    deep, no tag interpreted; the value is not yet checked against the data model."""
    # Duplicate map keys are left to the size check (or the exact re-encoding): cbor2
    # keeps one entry of each, so the value's encoding is shorter than the input (and
    # asking cbor2 to look for them costs a quarter of its decoding time).
    return cbor2.loads(
        data, allow_indefinite=False, max_depth=max_depth, semantic_decoders=_SEMANTIC_DECODERS
    )


def decode(
    data: bytes,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    tags: frozenset[int] = frozenset(),
) -> Any:
    """Decode one deterministically encoded CBOR data item, refusing anything else.

    ``tags`` lists the tag numbers the caller accepts (none by default).
    Maps come back as ``dict``, arrays as ``list``, tags as :data:`Tag`.
    Raises :class:`DecodeError` for input that is too large or too deep, not
    well formed, not deterministically encoded (RFC 8949, section 4.2.1),
    followed by trailing bytes, or outside zkcheck's data model.
    """
    data = _input(data, max_size)
    try:
        value = _loads(data, max_depth)
        kind = type(value)
        if kind is list or kind is dict:
            value, size = _checked(value, 0, max_depth, tags)
        elif kind is Tag:
            value, size = _checked_tag(value, 0, max_depth, tags)
        else:  # a leaf, checked as the one item of an array whose head is one byte
            (value,), size = _checked([value], -1, max_depth, tags)
            size -= 1
    except Exception as exc:  # cbor2 and the data-model check; nothing foreign escapes
        raise DecodeError("malformed or unsupported CBOR") from exc
    if size != len(data):
        raise DecodeError(
            "CBOR is not deterministically encoded (RFC 8949, section 4.2.1) or has trailing bytes"
        )
    return value


def decode_exact(
    data: bytes,
    read: Callable[[Any], _T],
    write: Callable[[_T], bytes],
    what: str,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    tags: frozenset[int] = frozenset(),
    diagnose: Callable[[bytes], object] | None = None,
) -> _T:
    """Decode one message of a known shape: ``read(value)``, accepted only when the input
    is byte for byte ``write`` of what was read.

    The same acceptance as :func:`decode` followed by a check of the message's
    fields, without the walk over the decoded value (spec/03, "The decoder"),
    for the messages a verifier reads on every presentation. ``read`` gets
    cbor2's value, in which anything cbor2 produces may stand anywhere (tuples
    and frozendicts inside tags too): it checks the exact type and the range of
    every item it keeps and raises :class:`DecodeError` for a wrong one.
    ``write`` is the message's deterministic encoder (its sender's, or one
    tested to write the same bytes) and writes from the result alone: keys,
    heads, order, the number of entries. An input that equals it holds exactly the entries read, in
    deterministic encoding; everything :func:`decode` refuses differs from it
    (a longer head, an entry out of order, repeated or extra, a key of another
    type that compares equal such as ``true`` for 1, a value outside the data
    model, trailing bytes).

    A message may carry others as byte strings (a COSE payload): ``read`` takes
    them apart with :func:`read_nested` and ``write`` writes them again, so the
    one comparison covers them too.

    An input that does not match, or that ``read`` could not take apart, is
    decoded again to say what is wrong with it: by ``diagnose``, which decodes
    it and what it carries with the strict decoder, or else by :func:`decode`
    (naming ``tags``). Raises :class:`DecodeError` only; ``what`` names the
    message in it.
    """
    if type(data) is not bytes or len(data) > max_size:
        data = _input(data, max_size)
    try:
        result = read(_loads(data, max_depth))
        exact = write(result) == data
    except DecodeError:
        raise
    except Exception:  # cbor2, or an item read() did not expect: said below
        exact = False
    if exact:
        return result
    if diagnose is None:
        decode(data, max_size=max_size, max_depth=max_depth, tags=tags)
    else:
        diagnose(data)
    raise DecodeError(f"{what}: an entry is missing, unexpected or of another type")


def read_nested(data: object, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """cbor2's value of ``data``, a byte string carried by a message that
    :func:`decode_exact` is reading, nothing checked but what cbor2 refuses
    (steps 1 to 3 of spec/03, "The decoder"). Only for a ``read`` whose ``write``
    writes ``data`` again from what is read of it: the comparison of the
    whole message is what proves it."""
    if type(data) is not bytes:
        raise DecodeError("a carried message is a byte string")
    return _loads(data, max_depth)
