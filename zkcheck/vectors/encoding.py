"""Vectors of the encoding rules (spec/03-encoding.md): deterministic CBOR, check
identifiers, and encodings of a request that every decoder must refuse."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from zkcheck.claims import Check, number_digest
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.messages import Request
from zkcheck.errors import DecodeError
from zkcheck.vectors._world import NOW, World, refusal, request, seed

__all__ = ["encoding_vectors"]

_VALUES: list[tuple[str, Any]] = [
    ("the integer 23, one octet", 23),
    ("the integer 24, two octets", 24),
    ("the integer 256, three octets", 256),
    ("the integer -1", -1),
    ("the integer -25", -25),
    ("a NumericDate", NOW),
    ("the empty byte string", b""),
    ("a text string", "age_over:18"),
    ("keys sorted bytewise: 24 encodes as 18 18, -1 as 20, so 24 comes first", {24: "a", -1: "b"}),
    ("keys of a zkcheck message: integers before text, shorter first", {10: True, 0: 1, 1: "x"}),
]


def _pairs(fields: dict[int, Any], raw: dict[int, bytes] | None = None) -> dict[int, bytes]:
    """Each key-value pair of a map, encoded, in deterministic order; the value of a key of
    ``raw`` is those octets instead of its deterministic encoding."""
    raw = raw or {}
    return {
        key: encode(key) + (raw[key] if key in raw else encode(fields[key]))
        for key in sorted(fields, key=encode)
    }


def _map(pairs: list[bytes]) -> bytes:
    """A definite-length map of ``pairs`` as they are, in their order (at most 23)."""
    if len(pairs) > 23:
        raise ValueError("a one-octet map header holds at most 23 pairs")
    return bytes([0xA0 + len(pairs)]) + b"".join(pairs)


def _variants(base: Request) -> list[tuple[str, bytes]]:
    """Encodings of ``base`` that every decoder refuses, each with what is wrong in it."""
    data = base.to_bytes()
    fields: dict[int, Any] = decode(data)
    pairs = _pairs(fields)
    if _map(list(pairs.values())) != data:
        raise AssertionError("the request is a map of at most 23 pairs in deterministic order")
    rest = [pair for key, pair in pairs.items() if key not in (0, 1)]
    return [
        ("a trailing octet after the map", data + b"\x00"),
        ("version 2", encode({**fields, 0: 2})),
        ("the version in two octets, not the shortest form", _raw(fields, 0, b"\x18\x01")),
        ("the map with an indefinite length", b"\xbf" + data[1:] + b"\xff"),
        ("keys 0 and 1 in the wrong order", _map([pairs[1], pairs[0], *rest])),
        ("key 8 twice", _map([*pairs.values(), pairs[8]])),
        ("an unknown key 11", _map([*pairs.values(), encode(11) + encode(0)])),
        ("the checks unsorted", _raw(fields, 4, encode(list(reversed(fields[4]))))),
        ("a check with a leading zero, age_over:018", encode({**fields, 4: ["age_over:018"]})),
        (
            "the maximum age as a float",
            _raw(fields, 7, b"\xfb" + struct.pack(">d", float(fields[7]))),
        ),
        ("key 10 false instead of absent", encode({**fields, 10: False})),
        ("a nonce of 15 octets", replace(base, nonce=base.nonce[:15]).to_bytes()),
    ]


def _raw(fields: dict[int, Any], key: int, value: bytes) -> bytes:
    """The map of ``fields`` in deterministic order with ``key``'s value the octets ``value``."""
    return _map(list(_pairs(fields, {key: value}).values()))


def _refused(name: str, data: bytes, parse: Callable[[bytes], object]) -> dict[str, Any]:
    return {
        "description": name,
        "encoding": data.hex(),
        "error": refusal(name, DecodeError, lambda: parse(data)),
    }


def encoding_vectors(world: World) -> dict[str, Any]:
    """encoding.json: deterministic CBOR values, valid and invalid check identifiers, a
    number digest, and a request with its file form and encodings a decoder refuses
    (spec/03-encoding.md)."""
    base, _ = request(
        "encoding request nonce",
        "rp.example",
        (Check.age_over(18), Check.sim_swap(72)),
        ("credential", "signed", "token"),
        max_age=3600,
    )
    data = base.to_bytes()
    salt = seed("encoding number salt", 16)
    number = str(world.subscriber.msisdn)
    valid = ["age_over:0", "age_over:120", "sim_swap:2400", "tenure:1200", "country:ES",
             "home_country_in:EEA", "number", "reachable"]  # fmt: skip
    invalid = ["age_over:018", "age_over:121", "sim_swap:0", "country:es", "home_country_in:eea",
               "home_country_in:US", "number:1", "tenure", "age_over: 18"]  # fmt: skip
    for identifier in invalid:
        try:
            Check.parse(identifier)
        except DecodeError:
            continue
        raise AssertionError(f"an invalid check identifier parsed: {identifier}")
    json_form = {"type": "request", "cbor": base64.urlsafe_b64encode(data).rstrip(b"=").decode()}
    return {
        "title": "Encoding: deterministic CBOR, check identifiers, refused encodings",
        "spec": "spec/03-encoding.md",
        "now": NOW,
        "cases": [
            {
                "caseName": "deterministic CBOR",
                "values": [
                    {"description": name, "encoding": encode(value).hex()}
                    for name, value in _VALUES
                ],
            },
            {
                "caseName": "check identifiers",
                "valid": [Check.parse(identifier).identifier for identifier in valid],
                "invalid": invalid,
            },
            {
                "caseName": "number digest",
                "inputs": {"salt": salt.hex(), "number": number},
                "output": {"digest": number_digest(salt, number).hex()},
            },
            {
                "caseName": "a request and its file forms",
                "inputs": {"nonceSeedLabel": "encoding request nonce"},
                "output": {
                    "request": data.hex(),
                    "requestDigest": base.digest().hex(),
                    "jsonFile": json.dumps(json_form, indent=2) + "\n",
                },
                "negative": [
                    _refused(name, bad, Request.from_bytes) for name, bad in _variants(base)
                ],
            },
        ],
    }
