"""Trust: the operator key-set file (an operator's submission), the single-use nonce stores,
the clock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.attest_world import OPERATOR, make_world
from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import COSEKey, COSESigningKey, Curve
from zkcheck.errors import DecodeError
from zkcheck.roles import Policy, Verifier
from zkcheck.roles.verifier import PURGE_INTERVAL, PURGE_MARGIN
from zkcheck.trust.clock import FixedClock, SystemClock, epoch_seconds
from zkcheck.trust.keyset import OperatorEntry, OperatorKeySet, key_id
from zkcheck.trust.nonces import MemoryNonceStore, NonceStore, SQLiteNonceStore

# -- key set ----------------------------------------------------------------------


def _keyset() -> OperatorKeySet:
    return OperatorKeySet(
        (
            OperatorEntry.create(
                "op-a.example",
                [
                    COSESigningKey.generate().public_key,
                    COSESigningKey.generate(Curve.P256).public_key,
                ],
                Menu.default(),
            ),
            OperatorEntry.create(
                "op-b.example", [COSESigningKey.generate().public_key], Menu.default(("PT",))
            ),
        )
    )


def test_keyset_file_round_trip(tmp_path: Path) -> None:
    keyset = _keyset()
    path = tmp_path / "operators.keyset"
    keyset.save(path)
    loaded = OperatorKeySet.load(path)
    assert loaded == keyset
    assert loaded.to_bytes() == path.read_bytes()
    key = loaded.operators[0].keys[1]
    assert key.curve is Curve.P256 and key.kid == key_id(key)
    assert loaded.operator("op-b.example") == keyset.operators[1]
    assert loaded.operator("op-c.example") is None


def _mutate(keyset: OperatorKeySet, change: object) -> bytes:
    fields = decode(keyset.to_bytes())
    change(fields)  # type: ignore[operator]
    return encode(fields)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.__setitem__(0, 2),  # another version
        lambda f: f.__setitem__(1, "request"),  # another message type
        lambda f: f[2][0][2][0].__setitem__(2, bytes(16)),  # a kid that is not the key's id
        lambda f: f[2][0][2][0].__setitem__(-2, bytes(32)),  # x changed: kid no longer matches
        lambda f: f[2][0].__setitem__(3, ["age_over:18", "age_over:13"]),  # menu out of order
        lambda f: f[2][0].__setitem__(3, ["age_over:17", "age_over:17"]),  # repeats
        lambda f: f[2].append(f[2][0]),  # an operator twice
        lambda f: f[2][0].__setitem__(4, 1),  # an unknown field
        lambda f: f[2][0][2][0].__setitem__(-4, bytes(32)),  # a private key in a key set
        lambda f: f.__setitem__(2, []),  # no operators
    ],
)
def test_malformed_keysets_are_refused(change: object) -> None:
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(_mutate(_keyset(), change))


def test_invalid_points_are_refused_at_load() -> None:
    entry = OperatorEntry.create(
        "op.example", [COSESigningKey.generate().public_key], Menu.default()
    )
    # The identity point encoded canonically (y = 1) is a small-order point.
    small_order = COSEKey(Curve.ED25519, bytes([1]) + bytes(31))
    bad = OperatorEntry(
        "op.example", (COSEKey(Curve.ED25519, small_order.public, key_id(small_order)),), entry.menu
    )
    with pytest.raises(DecodeError):
        OperatorKeySet.from_bytes(OperatorKeySet((bad,)).to_bytes())


# -- nonce stores ---------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NonceStore]:
    if request.param == "memory":
        yield MemoryNonceStore()
    else:
        sqlite = SQLiteNonceStore(tmp_path / "nonces.sqlite")
        yield sqlite
        sqlite.close()


N1, N2 = b"n" * 32, b"m" * 32


def test_register_pending_consume(store: NonceStore) -> None:
    store.register(N1, b"request-1", 1000)
    pending = store.pending(N1)
    assert pending is not None and (pending.record, pending.expires_at) == (b"request-1", 1000)
    assert store.pending(N1) is not None  # reading changes nothing
    assert store.consume(N1, 999)
    assert store.pending(N1) is None
    assert not store.consume(N1, 999)  # single use


def test_unknown_and_expired_nonces_are_not_consumed(store: NonceStore) -> None:
    assert not store.consume(N1, 0)
    store.register(N1, b"r", 1000)
    assert not store.consume(N1, 1000)  # expired at its expiry
    assert store.pending(N1) is not None  # still stored, unchanged
    assert store.purge(1000) == 1
    assert store.pending(N1) is None


def test_the_verifier_keeps_its_nonce_store_purged(store: NonceStore) -> None:
    world = make_world()
    policy = Policy("rp.example", (Check.sim_swap(72),), (OPERATOR,))
    verifier = Verifier(policy, world.trust, clock=world.clock, nonces=store)
    first = verifier.create_request()
    lifetime = first.expires_at - first.time
    # Expired, but less than the margin ago: a purge keeps it.
    world.clock.advance(timedelta(seconds=lifetime + PURGE_MARGIN - 10))
    verifier.create_request()
    assert store.pending(first.nonce) is not None
    # The next purge, a purge interval later, forgets it; a live request stays.
    world.clock.advance(timedelta(seconds=PURGE_INTERVAL))
    second = verifier.create_request()
    assert store.pending(first.nonce) is None
    assert store.pending(second.nonce) is not None


def test_registering_twice_keeps_the_first(store: NonceStore) -> None:
    store.register(N1, b"first", 1000)
    with pytest.raises(ValueError):
        store.register(N1, b"second", 2000)
    pending = store.pending(N1)
    assert pending is not None and pending.record == b"first"


@pytest.mark.parametrize("bad", [b"", b"x" * 65, "text", None, 5])
def test_bad_input_changes_nothing(store: NonceStore, bad: object) -> None:
    store.register(N1, b"r", 1000)
    with pytest.raises(ValueError):
        store.register(bad, b"r", 1000)  # type: ignore[arg-type]
    assert store.pending(bad) is None  # type: ignore[arg-type]
    assert not store.consume(bad, 10)  # type: ignore[arg-type]
    assert not store.consume(N1, 10, {bad: 5})  # type: ignore[dict-item]
    assert not store.consume(N1, "10")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.register(N2, "not bytes", 1000)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.register(N2, b"r", -1)
    assert store.pending(N2) is None
    assert store.consume(N1, 10)


def test_spent_values_are_consumed_with_the_nonce_atomically(store: NonceStore) -> None:
    store.register(N1, b"r1", 1000)
    store.register(N2, b"r2", 1000)
    assert store.consume(N1, 10, {b"token-nonce": 2000})
    # A second presentation spending the same value fails and leaves N2 pending.
    assert not store.consume(N2, 10, {b"token-nonce": 2000, b"other": 2000})
    assert store.pending(N2) is not None
    assert store.consume(N2, 10, {b"other": 2000})
    assert store.purge(1999) == 2  # the two requests
    assert store.purge(2000) == 2  # the two spent values


def test_consume_is_atomic_between_threads(store: NonceStore) -> None:
    for index in range(20):
        store.register(bytes([index]) * 16, b"r", 1000)
    wins: list[bytes] = []
    lock = threading.Lock()

    def race() -> None:
        for index in range(20):
            nonce = bytes([index]) * 16
            if store.consume(nonce, 10):
                with lock:
                    wins.append(nonce)

    threads = [threading.Thread(target=race) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == sorted(bytes([index]) * 16 for index in range(20))


def test_sqlite_store_is_shared_between_connections(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    first, second = SQLiteNonceStore(path), SQLiteNonceStore(path)
    first.register(N1, b"r", 1000)
    assert second.pending(N1) is not None
    assert second.consume(N1, 10)
    assert not first.consume(N1, 10)
    first.close()
    second.close()


@pytest.mark.parametrize(
    ("column", "sql_value"),
    [
        ("record", "'text'"),
        ("record", str(2**40)),  # read as bytes(), it would be a terabyte of zeros
        ("record", "CAST(X'FF' AS TEXT)"),  # text that is not UTF-8
        ("expires_at", "'soon'"),
    ],
)
def test_a_damaged_stored_request_is_a_decode_error(
    tmp_path: Path, column: str, sql_value: str
) -> None:
    path = tmp_path / "nonces.sqlite"
    store = SQLiteNonceStore(path)
    store.register(N1, b"request", 1000)
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE zkcheck_requests SET {column} = {sql_value}")
    with pytest.raises(DecodeError, match="damaged"):
        store.pending(N1)
    store.close()


# -- clock --------------------------------------------------------------------------


def test_clocks() -> None:
    instant = datetime(2026, 3, 10, 12, 0, 30, 999_999, tzinfo=UTC)
    clock = FixedClock(instant)
    assert clock.now() == instant
    clock.advance(timedelta(hours=1))
    assert clock.now() == instant + timedelta(hours=1)
    assert epoch_seconds(instant) == 1773144030  # rounded down
    assert epoch_seconds(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert SystemClock().now().tzinfo is not None
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))
