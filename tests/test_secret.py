"""Secret containers never print, pickle or compare in variable time."""

import copy
import pickle

import pytest

from zkcheck.hazmat.secret import SecretBytes


def test_secret_is_redacted_everywhere() -> None:
    secret = SecretBytes(b"\x13" * 32)
    old_style = "%s" % (secret,)  # noqa: UP031 -- the old formatting path must redact too
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", old_style):
        assert "13" not in text and "redacted" in text
    assert "\\x13" not in repr([secret])


def test_secret_refuses_pickling_and_hashing() -> None:
    secret = SecretBytes(b"k" * 32)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        hash(secret)


def test_secret_compares_by_value_and_reveals_explicitly() -> None:
    assert SecretBytes(b"abc") == SecretBytes(b"abc")
    assert SecretBytes(b"abc") != SecretBytes(b"abd")
    assert SecretBytes(b"abc") != b"abc"  # never equal to the raw bytes by accident
    assert SecretBytes(bytearray(b"xyz")).reveal() == b"xyz"
    assert len(SecretBytes(b"xyz")) == 3
    assert copy.deepcopy(SecretBytes(b"q")).reveal() == b"q"


def test_secret_holds_only_bytes() -> None:
    with pytest.raises(TypeError):
        SecretBytes("text")  # type: ignore[arg-type]
