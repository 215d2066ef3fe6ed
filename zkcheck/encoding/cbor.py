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

Decoding is strict and total: input larger than ``max_size`` or nested deeper
than ``max_depth`` is refused before or while cbor2 reads it; indefinite
lengths and duplicate keys are refused by cbor2; every tag cbor2 would
interpret (dates, bignums, shared references, regular expressions, ...) is
refused; and the decoded value is encoded again and compared with the input,
so trailing bytes, integers or lengths not in shortest form, and maps not in
deterministic order are refused too. Whatever goes wrong surfaces as
:class:`zkcheck.errors.DecodeError`, never as an exception of cbor2.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NoReturn

import cbor2

from zkcheck.errors import DecodeError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_SIZE",
    "Tag",
    "decode",
    "encode",
]

Tag = cbor2.CBORTag
"""A tagged data item: ``Tag(18, [protected, unprotected, payload, signature])``."""

DEFAULT_MAX_SIZE = 64 * 1024
"""Largest input :func:`decode` accepts unless told otherwise, in bytes."""

DEFAULT_MAX_DEPTH = 16
"""Deepest nesting of arrays, maps and tags :func:`decode` accepts unless told otherwise."""

_INT_MIN = -(2**64)
_INT_MAX = 2**64 - 1

# Tags cbor2 decodes into Python objects of its own (found by probing cbor2 6;
# the round-trip comparison below would refuse any it starts to interpret
# later, but refusing them here keeps cbor2 from even building the object).
_INTERPRETED_TAGS = (
    0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261,
    1004, 43000, 55799,
)  # fmt: skip


class _RefusedTag(Exception):
    """Raised inside cbor2 for a tag zkcheck does not accept."""


def _refuse(*_: object) -> NoReturn:
    raise _RefusedTag


_SEMANTIC_DECODERS: dict[int, Any] = dict.fromkeys(_INTERPRETED_TAGS, _refuse)


@lru_cache(maxsize=4096)
def _encoded_key(key: int | str) -> bytes:
    # Map keys repeat across messages, so their encodings are cached; the
    # cache is bounded, so hostile input cannot grow it.
    return cbor2.dumps(key)


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
            key_kind = type(key)
            if key_kind is not int and key_kind is not str:
                raise TypeError("map keys are integers or text strings")
            if key_kind is int and not _INT_MIN <= key <= _INT_MAX:
                raise ValueError("integer map key outside the 64-bit range")
            entries.append((_encoded_key(key), key, item))
        # Distinct int and str keys have distinct encodings, so sorting by
        # encoding is a total order on the keys of one map.
        entries.sort(key=lambda entry: entry[0])
        return {key: _canonical(item, depth + 1, max_depth) for _, key, item in entries}
    if kind is Tag:
        return Tag(value.tag, _canonical(value.value, depth + 1, max_depth))
    if kind is bytearray or kind is memoryview:
        return bytes(value)
    raise TypeError(f"{kind.__name__} is not in zkcheck's CBOR data model")


def _check_decoded(value: Any, depth: int, max_depth: int, tags: frozenset[int]) -> None:
    """Check a value cbor2 decoded against the data model and the key order.

    No sorting and no copying: the keys of a decoded map are in input order,
    and they must already be strictly increasing in the bytewise order of
    their encodings (which also rules out duplicates). Leaves are checked
    inline, since this runs over every message a verifier reads.
    """
    kind = type(value)
    if kind is list or kind is tuple:
        items: Any = value
    elif kind is dict or kind is _FROZENDICT:
        # Integer keys are ordered by arithmetic: the deterministic encodings of
        # unsigned integers sort as their values, those of negative integers
        # after them and in the order of -1 - n; text keys (major type 3) sort
        # after every integer, by their encodings.
        previous_int: tuple[bool, int] | None = None
        previous_text = b""
        for key in value:
            key_kind = type(key)
            if key_kind is int:
                if previous_text:
                    raise ValueError("map keys not in deterministic order (RFC 8949, 4.2.1)")
                rank = (False, key) if key >= 0 else (True, -1 - key)
                if previous_int is not None and rank <= previous_int:
                    raise ValueError("map keys not in deterministic order (RFC 8949, 4.2.1)")
                previous_int = rank
            elif key_kind is str:
                encoded = _encoded_key(key)
                if encoded <= previous_text:
                    raise ValueError("map keys not in deterministic order (RFC 8949, 4.2.1)")
                previous_text = encoded
            else:
                raise TypeError("map keys are integers or text strings")
        items = value.values()
    elif kind is Tag:
        if value.tag not in tags:
            raise ValueError(f"tag {value.tag} is not accepted here")
        items = (value.value,)
    elif kind in _LEAVES or (kind is int and _INT_MIN <= value <= _INT_MAX):
        return
    else:
        raise TypeError(f"{kind.__name__} is not in zkcheck's CBOR data model")
    if depth >= max_depth:
        raise ValueError(f"nesting deeper than {max_depth}")
    for item in items:
        item_kind = type(item)
        if item_kind in _LEAVES:
            continue
        if item_kind is int:
            if not _INT_MIN <= item <= _INT_MAX:
                raise ValueError("integer outside the 64-bit range of CBOR major types 0 and 1")
            continue
        _check_decoded(item, depth + 1, max_depth, tags)


def _thawed(value: Any) -> Any:
    """Inside a tag cbor2 returns tuples and frozendicts; zkcheck returns lists and dicts."""
    kind = type(value)
    if kind in _LEAVES or kind is int:
        return value
    if kind is tuple or kind is list:
        return [_thawed(item) for item in value]
    if kind is Tag:
        return Tag(value.tag, _thawed(value.value))
    if kind is _FROZENDICT or kind is dict:
        return {key: _thawed(item) for key, item in value.items()}
    return value


def _refuse_tag(tag: Tag, immutable: bool) -> NoReturn:
    raise _RefusedTag


@lru_cache(maxsize=16)
def _tag_hook(tags: frozenset[int]) -> Any:
    """cbor2's hook for tags it does not interpret: allowed ones come back with
    their content as lists and dicts, others are refused while decoding."""
    if not tags:
        return _refuse_tag

    def hook(tag: Tag, immutable: bool) -> Tag:
        if tag.tag not in tags:
            raise _RefusedTag
        return Tag(tag.tag, _thawed(tag.value))

    return hook


_LEAVES = frozenset({bytes, str, bool, type(None)})
_FROZENDICT = cbor2.frozendict


def encode(value: Any) -> bytes:
    """The deterministic encoding (RFC 8949, section 4.2.1) of ``value``.

    ``value`` is built from ``int``, ``bytes``, ``str``, ``bool``, ``None``,
    lists or tuples, mappings with integer or text keys, and :data:`Tag`.
    Anything else raises ``TypeError``; an integer beyond 64 bits raises
    ``ValueError``. These are the caller's own mistakes, not malformed input,
    so they are not :class:`DecodeError`.
    """
    return cbor2.dumps(_canonical(value, 0, DEFAULT_MAX_DEPTH * 4))


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
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DecodeError("CBOR input must be bytes")
        data = bytes(data)
    if len(data) > max_size:
        raise DecodeError(f"CBOR input longer than {max_size} bytes")
    try:
        value = cbor2.loads(
            data,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            max_depth=max_depth,
            semantic_decoders=_SEMANTIC_DECODERS,
            tag_hook=_tag_hook(tags),
        )
        _check_decoded(value, 0, max_depth, tags)
        # Keys are in order, so encoding again reproduces the input exactly when
        # every integer, length and tag number was in its shortest form and
        # nothing followed the data item.
        again = cbor2.dumps(value)
    except Exception as exc:  # cbor2 and the data-model check; nothing foreign escapes
        raise DecodeError("malformed or unsupported CBOR") from exc
    if again != data:
        if data.startswith(again):
            raise DecodeError("trailing bytes after the CBOR data item")
        raise DecodeError("CBOR is not deterministically encoded (RFC 8949, section 4.2.1)")
    return value
