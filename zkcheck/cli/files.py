"""Files in and out of the command: CBOR as on the wire, or JSON around it.

Every zkcheck object is written as its CBOR bytes, exactly as it travels
(spec/03-encoding.md). When JSON is asked for (``--format json``, or an
output name ending in ``.json``) the same bytes are wrapped in a JSON
object with exactly two members::

    {"type": "<the object's type, key 1 of its map>",
     "cbor": "<the CBOR bytes in base64url, RFC 4648 section 5, without padding>"}

Reading accepts either form: a file whose first non-blank byte is ``{`` is
read as JSON (a CBOR object is a map, whose first byte is never ``{``), and
the ``type`` member must name the type of the bytes inside. ``-`` stands for
standard input or output. Every file is replaced atomically: written beside
its target, flushed, then renamed over it, so a failure (a full disk, an
interrupted command) leaves the old content whole. Secret files (operator
keys, wallets) are created with permissions 0600, never written to standard
output, and a warning is printed when one is found readable by others.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import stat
import sys
import tempfile
from collections.abc import Collection
from pathlib import Path

from zkcheck.cli.exits import EXIT_BAD_INPUT, CommandError
from zkcheck.encoding.messages import decode_message
from zkcheck.errors import DecodeError

__all__ = [
    "MAX_FILE_SIZE",
    "MAX_OBJECT_SIZE",
    "check_output",
    "from_json",
    "read_object",
    "replace_file",
    "report",
    "to_json",
    "warn",
    "write_object",
    "write_secret",
]

MAX_FILE_SIZE = 4 * 1024 * 1024
"""Largest input read (a full wallet in JSON fits with room to spare)."""
MAX_OBJECT_SIZE = 2 * 1024 * 1024
"""Largest CBOR object read (each type's own decoder bounds it further)."""
_JSON_MEMBERS = {"type", "cbor"}


def warn(message: str) -> None:
    sys.stderr.write(f"zkcheck: {message}\n")


def to_json(data: bytes) -> bytes:
    """The JSON form of an object's CBOR bytes."""
    document = {"type": decode_message(data, max_size=MAX_OBJECT_SIZE), "cbor": _b64url(data)}
    return (json.dumps(document, indent=2) + "\n").encode()


def from_json(text: bytes) -> bytes:
    """The CBOR bytes inside a JSON form; :class:`DecodeError` unless it is exactly one."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        # ValueError: not JSON, not UTF-8, or an integer of more digits than Python converts;
        # RecursionError: nesting deeper than the parser follows.
        raise DecodeError("not valid JSON") from None
    if not isinstance(document, dict) or set(document) != _JSON_MEMBERS:
        raise DecodeError('a zkcheck JSON file is {"type": ..., "cbor": ...}')
    kind, encoded = document["type"], document["cbor"]
    if not isinstance(kind, str) or not isinstance(encoded, str):
        raise DecodeError("type and cbor are strings")
    data = _unb64url(encoded)
    if decode_message(data, max_size=MAX_OBJECT_SIZE) != kind:
        raise DecodeError("the type member does not match the object inside")
    return data


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    """Strict base64url without padding: only the alphabet, and the canonical encoding."""
    if not text.isascii() or any(c in text for c in "+/=\n\r \t"):
        raise DecodeError("cbor must be base64url without padding")
    try:
        data = base64.b64decode(
            text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
        )
    except (binascii.Error, ValueError):
        raise DecodeError("cbor must be base64url without padding") from None
    if _b64url(data) != text:
        raise DecodeError("cbor is not in canonical base64url")
    return data


def _read(path: str) -> bytes:
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_FILE_SIZE + 1)
        else:
            with open(path, "rb") as file:
                data = file.read(MAX_FILE_SIZE + 1)
    except OSError as exc:
        raise CommandError(EXIT_BAD_INPUT, f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_FILE_SIZE:
        raise CommandError(EXIT_BAD_INPUT, f"{path} is larger than any zkcheck object")
    return data


def read_object(path: str, expected: Collection[str], *, secret: bool = False) -> bytes:
    """The CBOR bytes of the zkcheck object in ``path``, whose type must be in ``expected``.

    A file that is missing, unreadable, malformed or of another type ends the
    command with exit code 4.
    """
    data = _read(path)
    if secret and path != "-":
        _check_private(path)
    try:
        if data.lstrip()[:1] == b"{":
            data = from_json(data)
        kind = decode_message(data, max_size=MAX_OBJECT_SIZE)
    except DecodeError as exc:
        raise CommandError(EXIT_BAD_INPUT, f"{path}: not a zkcheck object ({exc})") from None
    if kind not in expected:
        wanted = " or ".join(sorted(expected))
        raise CommandError(EXIT_BAD_INPUT, f"{path}: a {kind}, not a {wanted}")
    return data


def _check_private(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"{path} holds secret keys and is accessible to others; run: chmod 600 {path}")


def _encoded(data: bytes, path: str, form: str | None) -> bytes:
    if form is None:
        form = "json" if path.endswith(".json") else "cbor"
    return to_json(data) if form == "json" else data


def report(args: argparse.Namespace, text: str, outputs: tuple[str, ...] = ("out",)) -> None:
    """A line for the person running the command: standard output, unless an object
    is written there (one of the command's ``outputs`` options is ``-``)."""
    writes_stdout = any(getattr(args, name, None) == "-" for name in outputs)
    (sys.stderr if writes_stdout else sys.stdout).write(text + "\n")


def _secret_kinds() -> frozenset[str]:
    # Imported here: the tiers' modules use this one.
    from zkcheck.cli import tiers
    from zkcheck.trust.authority import AUTHORITY_KEY_KIND

    kinds = {AUTHORITY_KEY_KIND}
    for entry in tiers.landed():
        kinds |= {kind for kind in (entry.files.operator_key, entry.files.wallet) if kind}
    return frozenset(kinds)


def _holds_secret(path: Path) -> bool:
    """Whether ``path`` is a file holding a zkcheck secret key or wallet."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as file:
            data = file.read(MAX_FILE_SIZE + 1)
        if data.lstrip()[:1] == b"{":
            data = from_json(data)
        return decode_message(data, max_size=MAX_OBJECT_SIZE) in _secret_kinds()
    except (OSError, DecodeError):
        return False


def check_output(path: str) -> None:
    """End the command now (exit code 4) if ``path`` could not be written as a public
    object later: a secret key or wallet there, or no writable directory for it."""
    if path == "-":
        return
    target = Path(os.path.realpath(path))
    if _holds_secret(target):
        raise CommandError(
            EXIT_BAD_INPUT, f"{path} holds a secret key or wallet; choose another output"
        )
    if target.is_dir():
        raise CommandError(EXIT_BAD_INPUT, f"cannot write {path}: it is a directory")
    if target.exists() and not target.is_file() and os.access(target, os.W_OK):
        return  # a device or pipe (/dev/null), written in place
    if not target.parent.is_dir() or not os.access(target.parent, os.W_OK | os.X_OK):
        raise CommandError(EXIT_BAD_INPUT, f"cannot write {path}: no writable directory for it")


def write_object(path: str, data: bytes, form: str | None = None) -> None:
    """Write a public object to ``path`` (``-``: standard output) as CBOR or JSON.

    A file holding a secret key or a wallet is not overwritten (exit code 4): a
    mistyped output path must not destroy a key.
    """
    output = _encoded(data, path, form)
    if path != "-" and _holds_secret(Path(path)):
        raise CommandError(
            EXIT_BAD_INPUT, f"{path} holds a secret key or wallet; choose another output"
        )
    try:
        if path == "-":
            sys.stdout.buffer.write(output)
            sys.stdout.buffer.flush()
        else:
            replace_file(Path(path), output, secret=False)
    except OSError as exc:
        raise CommandError(EXIT_BAD_INPUT, f"cannot write {path}: {exc.strerror}") from None


def write_secret(path: str, data: bytes, form: str | None = None, *, replace: bool) -> None:
    """Write a secret object readable by its owner alone (0600), atomically.

    ``replace`` allows replacing an existing file (a wallet being updated);
    without it an existing file is left alone and the command ends with exit
    code 4, so a key is never overwritten by accident.
    """
    if path == "-":
        raise CommandError(EXIT_BAD_INPUT, "secret keys are never written to standard output")
    target = Path(path)
    if not replace and target.exists():
        raise CommandError(
            EXIT_BAD_INPUT, f"{path} exists; it may hold a key: remove it or choose --force"
        )
    output = _encoded(data, path, form)
    try:
        replace_file(target, output, secret=True)
    except OSError as exc:
        raise CommandError(EXIT_BAD_INPUT, f"cannot write {path}: {exc.strerror}") from None


def replace_file(target: Path, output: bytes, *, secret: bool) -> None:
    """Make ``output`` the content of ``target`` without ever leaving it half written.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and the file is renamed over ``target`` (atomic on POSIX): until the
    rename the old content stays, and a failure removes the temporary file. A
    secret file keeps mode 0600, which the temporary file is created with; a
    public one gets the mode a new file would get (0666 less the umask). An
    existing target that is not a regular file (``/dev/null``, a pipe) is
    written in place, since renaming over it would replace the device or pipe.
    A symbolic link is followed: the file it names is replaced. Raises ``OSError``.
    """
    target = Path(os.path.realpath(target))
    if target.exists() and not target.is_file():
        target.write_bytes(output)
        return
    # mkstemp creates the file with mode 0600 before anything is written.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(output)
            file.flush()
            if not secret:
                os.fchmod(file.fileno(), 0o666 & ~_umask())
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    # The umask can only be read by setting it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
