"""An encoder of CBOR values that departs from the deterministic encoding in at most one
place, and byte mutations of an encoding, for the tests of the decoders' refusals."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from zkcheck.encoding.cbor import Tag, encode

__all__ = ["Variant", "mutate"]


def _head(major: int, argument: int, width: int) -> bytes:
    """A head with the argument in ``width`` extra bytes (0: in the initial byte)."""
    if width == 0:
        return bytes([major << 5 | argument])
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | info]) + argument.to_bytes(width, "big")


def _shortest_width(argument: int) -> int:
    for width, limit in ((0, 24), (1, 0x100), (2, 0x10000), (4, 0x100000000)):
        if argument < limit:
            return width
    return 8


class Variant:
    """Encodes a value like the deterministic encoder, except in at most one place,
    chosen by Hypothesis, where it deviates (so that a refusal has that one cause)."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.deviations: list[str] = []

    def _deviate(self, what: str) -> bool:
        if self.deviations or self.data.draw(st.integers(min_value=0, max_value=3)) != 0:
            return False
        self.deviations.append(what)
        return True

    def head(self, major: int, argument: int) -> bytes:
        width = _shortest_width(argument)
        if width < 8 and self._deviate("a head not in its shortest form"):
            wider = [w for w in (1, 2, 4, 8) if w > width]
            width = self.data.draw(st.sampled_from(wider))
        return _head(major, argument, width)

    def encode(self, value: Any) -> bytes:
        if value is None or type(value) is bool:
            simple = {False: 20, True: 21, None: 22}[value]
            if self._deviate("a simple value in two bytes"):
                return bytes([0xF8, simple])
            return bytes([0xE0 | simple])
        if type(value) is int:
            major, argument = (0, value) if value >= 0 else (1, -1 - value)
            return self.head(major, argument)
        if type(value) in (bytes, str):
            major, raw = (2, value) if type(value) is bytes else (3, value.encode())
            if self._deviate("an indefinite-length string"):
                return bytes([major << 5 | 31]) + self.head(major, len(raw)) + raw + b"\xff"
            return self.head(major, len(raw)) + raw
        if type(value) is list:
            body = b"".join(self.encode(item) for item in value)
            if self._deviate("an indefinite-length array"):
                return b"\x9f" + body + b"\xff"
            return self.head(4, len(value)) + body
        if type(value) is dict:
            entries = [(encode(key), key, item) for key, item in value.items()]
            entries.sort()
            if len(entries) > 1 and self._deviate("map keys out of order"):
                entries.append(entries.pop(0))
            if entries and self._deviate("a duplicate key"):
                entries.append(entries[-1])
            body = b"".join(self.encode(key) + self.encode(item) for _, key, item in entries)
            if self._deviate("an indefinite-length map"):
                return b"\xbf" + body + b"\xff"
            return self.head(5, len(entries)) + body
        assert type(value) is Tag
        return self.head(6, value.tag) + self.encode(value.value)


def mutate(encoded: bytes, data: Any) -> bytes:
    """``encoded`` with one to three bytes flipped, inserted or deleted, chosen by
    Hypothesis: changed heads, lengths that swallow or leave bytes, and so on."""
    mutated = bytearray(encoded)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        index = data.draw(st.integers(min_value=0, max_value=len(mutated)))
        action = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "insert" or index == len(mutated):
            mutated.insert(index, data.draw(st.integers(min_value=0, max_value=255)))
        elif action == "delete" and len(mutated) > 1:
            del mutated[index]
        else:
            mutated[index] ^= data.draw(st.integers(min_value=1, max_value=255))
    return bytes(mutated)
