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
from zkcheck.vectors._world import NOW, World, request, seed

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


def _pairs(fields: dict[int, Any]) -> list[bytes]:
    """Each key-value pair of a map, encoded, in deterministic order."""
    return [encode(key) + encode(fields[key]) for key in sorted(fields, key=encode)]


def _map(pairs: list[bytes]) -> bytes:
    return bytes([0xA0 + len(pairs)]) + b"".join(pairs)


def _variants(base: Request) -> list[tuple[str, bytes]]:
    data = base.to_bytes()
    fields: dict[int, Any] = decode(data)
    pairs = _pairs(fields)
    checks_at = sorted(fields, key=encode).index(4)
    changed = [
        ("a trailing octet after the map", data + b"\x00"),
        ("version 2", data[:2] + b"\x02" + data[3:]),
        ("the version in two octets, not the shortest form", data[:2] + b"\x18\x01" + data[3:]),
        ("the map with an indefinite length", b"\xbf" + data[1:] + b"\xff"),
        ("keys 0 and 1 in the wrong order", _map([pairs[1], pairs[0], *pairs[2:]])),
        ("key 8 twice", _map([*pairs, pairs[-2]])),
        ("an unknown key 11", _map([*pairs, encode(11) + encode(0)])),
        (
            "the checks unsorted",
            _map(
                [
                    *pairs[:checks_at],
                    encode(4) + encode(list(reversed(fields[4]))),
                    *pairs[checks_at + 1 :],
                ]
            ),
        ),
        ("a check with a leading zero, age_over:018", _replace(fields, 4, ["age_over:018"])),
        ("the maximum age as a float", _float_max_age(fields)),
        ("key 10 false instead of absent", _replace(fields, 10, False)),
        ("a nonce of 15 octets", replace(base, nonce=base.nonce[:15]).to_bytes()),
    ]
    return changed


def _replace(fields: dict[int, Any], key: int, value: Any) -> bytes:
    return encode({**fields, key: value})


def _float_max_age(fields: dict[int, Any]) -> bytes:
    pairs = [
        encode(key) + (b"\xfb" + struct.pack(">d", float(value)) if key == 7 else encode(value))
        for key, value in sorted(fields.items(), key=lambda item: encode(item[0]))
    ]
    return _map(pairs)


def _refused(name: str, data: bytes, parse: Callable[[bytes], object]) -> dict[str, Any]:
    try:
        parse(data)
    except DecodeError:
        return {"description": name, "encoding": data.hex(), "error": "DecodeError"}
    raise AssertionError(f"a refused encoding decoded: {name}")


def encoding_vectors(world: World) -> dict[str, Any]:
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
