"""The credential tier through files: the operator's key file and its subscribers' pseudonym
records in SQLite, and the phone's wallet (spec/08-credential-tier.md, "Files";
spec/13-pseudonyms.md, "Operator state")."""

from __future__ import annotations

import functools
import hashlib
import pickle
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.credential_world import (
    ALICE,
    MAX_AGE,
    OPERATOR,
    START,
    CredentialWorld,
    make_credential_world,
)
from zkcheck.claims import NUMBER, Check, Menu
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.credential import CredentialRequest
from zkcheck.errors import DecodeError, InvalidProof, PolicyError, ZkcheckError
from zkcheck.hazmat.bbs import R
from zkcheck.roles import (
    CredentialHolder,
    CredentialIssuer,
    CredentialIssuerKeys,
    CredentialWallet,
    Policy,
    SQLiteNymRecords,
    Verifier,
)
from zkcheck.roles.credential_holder import CREDENTIAL_WALLET_KIND, WaitingRequest
from zkcheck.roles.credential_issuer import CREDENTIAL_ISSUER_KEY_KIND, NymRecord
from zkcheck.trust.keyset import OperatorKeySet

SOCIAL = "social.example"
NOW = int(START.timestamp())


def _social(world: CredentialWorld) -> Verifier:
    policy = Policy(
        SOCIAL, (NUMBER,), (OPERATOR,), tiers=("credential",), max_age=MAX_AGE, pseudonym=True
    )
    return Verifier(policy, world.trust, clock=world.clock)


def _pseudonym(world: CredentialWorld, holder: CredentialHolder) -> bytes:
    """The holder's pseudonym at the social network, from a verified presentation."""
    social = _social(world)
    result = social.verify(holder.present(social.create_request(), origin=SOCIAL), number=ALICE)
    assert result.pseudonym is not None
    return result.pseudonym


def _restored(world: CredentialWorld, holder: CredentialHolder) -> CredentialHolder:
    """The phone's next step, in another run: its wallet read back from its file."""
    wallet = CredentialWallet.import_wallet(holder.wallet.export_wallet())
    return CredentialHolder(world.trust, clock=world.clock, wallet=wallet)


# -- the operator's key file ----------------------------------------------------------------


def test_issuer_keys_round_trip_through_their_file() -> None:
    world = make_credential_world()
    keys = world.issuer.keys
    data = keys.to_bytes()
    assert decode(data)[1] == CREDENTIAL_ISSUER_KEY_KIND
    loaded = CredentialIssuerKeys.from_bytes(data)
    assert loaded.to_bytes() == data
    assert loaded.credential_keys() == keys.credential_keys() and loaded.operator_id == OPERATOR
    # The loaded keys sign: the holder accepts the credential, the verifier its proof.
    issuer = CredentialIssuer(
        OPERATOR, world.source, world.attester, clock=world.clock, keys=loaded
    )
    holder = world.holder()
    request = holder.request_credential(OPERATOR)
    holder.receive(OPERATOR, issuer.issue(world.attester.enrol(ALICE), request))
    verifier = world.verifier()
    assert verifier.verify(holder.present(verifier.create_request()), number=ALICE).checks == (
        NUMBER,
    )
    # Secret: redacted, never pickled.
    signing = loaded.signing_key(NOW)
    assert signing is not None and signing.secret_key.reveal().hex() not in repr(loaded)
    assert "redacted" in repr(loaded)
    with pytest.raises(TypeError):
        pickle.dumps(loaded)


def _key_file_change(change: Any) -> bytes:
    keys = CredentialIssuerKeys(OPERATOR, now=NOW)
    keys.rotate(keys.credential_keys()[0].not_after)  # one earlier key, two held
    fields = decode(keys.to_bytes())
    assert len(fields[5]) == 2 and len(fields[6]) == 1
    change(fields)
    return encode(fields)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f[5][0].__setitem__(1, f[5][1][1]),  # another epoch's secret key
        lambda f: f[5][0].__setitem__(1, f[5][0][1][:-1]),  # a truncated secret key
        lambda f: f[5][0].__setitem__(1, bytes(32)),  # a secret key of 0
        lambda f: f[5][0].__setitem__(1, R.to_bytes(32, "big")),  # not below r
        lambda f: f[5][0].__setitem__(0, f[6][0]),  # a secret key under another public key
        lambda f: f[5].append(f[5][0]),  # one key twice
        lambda f: f[6].append(f[5][0][0]),  # a held key listed as an earlier one too
        lambda f: f.__setitem__(3, 14 * 86_400),  # keys of another epoch length
        lambda f: f.__setitem__(3, 28 * 86_400 + 1),  # an epoch of no whole hours
        lambda f: f.__setitem__(4, 13),  # too many epochs ahead
        lambda f: f.__setitem__(2, "not an id!"),  # a malformed operator id
        lambda f: f[5].__setitem__(0, [f[5][0][0]]),  # a key without its secret
        lambda f: f.__setitem__(5, {}),  # not a list
        lambda f: f.pop(6),  # missing
    ],
)
def test_issuer_key_file_refuses_anything_inconsistent(change: Any) -> None:
    with pytest.raises(DecodeError):
        CredentialIssuerKeys.from_bytes(_key_file_change(change))


def test_every_key_made_stays_known_across_rotations_and_files() -> None:
    keys = CredentialIssuerKeys(OPERATOR, now=NOW)
    current, upcoming = keys.credential_keys()
    # Loaded two epochs later, the keys sign nothing until rotated; rotation keeps both old
    # public keys known (a credential under them still renews) and drops their secrets.
    later = upcoming.not_after
    loaded = CredentialIssuerKeys.from_bytes(keys.to_bytes())
    assert loaded.signing_key(later) is None
    assert loaded.rotate(later) is True and loaded.rotate(later) is False
    assert loaded.earlier_keys() == (current, upcoming)
    again = CredentialIssuerKeys.from_bytes(loaded.to_bytes())
    assert again.made(current.key_id) == current and again.made(upcoming.key_id) == upcoming
    assert again.signing_key(current.not_before) is None
    assert [key.epoch for key in again.credential_keys()] == [current.epoch + 2, current.epoch + 3]
    assert again.signing_key(later) is not None


def test_publish_puts_credential_keys_into_a_key_set() -> None:
    world = make_credential_world()
    keys = CredentialIssuerKeys(OPERATOR, now=NOW)
    (alone,) = keys.publish().operators
    assert (alone.keys, alone.credential_keys) == ((), keys.credential_keys())
    assert alone.menu == Menu.default()
    # Into the key set the operator handed in before: its signing key and menu stay, its
    # credential keys are replaced, its menu widened by the checks given.
    (before,) = world.keyset.operators
    (entry,) = keys.publish(world.keyset).operators
    assert entry.keys == before.keys and entry.menu == before.menu
    assert entry.credential_keys == keys.credential_keys() != before.credential_keys
    (widened,) = keys.publish(world.keyset, Menu(frozenset({Check.age_over(25)}))).operators
    assert widened.menu.checks == before.menu.checks | {Check.age_over(25)}
    # Another operator's keys join the set beside it.
    other = CredentialIssuerKeys("operator-b.example", now=NOW).publish(world.keyset)
    assert [operator.operator_id for operator in other.operators] == [
        OPERATOR,
        "operator-b.example",
    ]
    assert OperatorKeySet.from_bytes(other.to_bytes()) == other


def test_an_issuer_signs_with_its_own_operators_keys_only() -> None:
    world = make_credential_world()
    with pytest.raises(ValueError, match="another operator"):
        CredentialIssuer(
            "operator-b.example", world.source, world.attester, clock=world.clock,
            keys=world.issuer.keys,
        )  # fmt: skip


# -- the operator's pseudonym records -------------------------------------------------------


def _record(seed: bytes) -> NymRecord:
    return NymRecord(hashlib.sha256(seed).digest(), hashlib.sha256(seed * 2).digest(), 740_000)


def test_pseudonym_records_persist_in_sqlite_and_register_once(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.db"
    records = SQLiteNymRecords(path, OPERATOR)
    assert len(records) == 0 and records.get(ALICE) is None
    first, second = _record(b"first"), _record(b"second")
    assert records.setdefault(ALICE, first) == first
    # Another process registering the same subscriber reads the first record, unchanged.
    other = SQLiteNymRecords(path, OPERATOR)
    assert other.setdefault(ALICE, second) == first and other[ALICE] == first
    assert list(other) == [ALICE] and len(other) == 1 and ALICE in other
    # Another operator's records are its own, in the same file.
    assert len(SQLiteNymRecords(path, "operator-b.example")) == 0
    # Bad input is refused before anything is written.
    for bad in (
        NymRecord(b"short", first.first_request, 1),
        NymRecord(first.signer_nym_entropy, first.first_request, -1),
    ):
        with pytest.raises(ValueError):
            records["+34600000999"] = bad
        with pytest.raises(ValueError):
            records.setdefault("+34600000999", bad)
    assert len(records) == 1
    assert first.signer_nym_entropy.hex() not in repr(records)
    records.close()
    other.close()
    # Read again in a later run; a reset forgets the record.
    reopened = SQLiteNymRecords(path, OPERATOR)
    assert reopened[ALICE] == first
    del reopened[ALICE]
    assert ALICE not in reopened
    with pytest.raises(KeyError):
        del reopened[ALICE]
    reopened[ALICE] = second
    assert reopened[ALICE] == second
    # A row that does not hold a record is refused when read.
    reopened.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE zkcheck_nym_records SET signer_nym_entropy = x'00'")
    with pytest.raises(DecodeError):
        SQLiteNymRecords(path, OPERATOR)[ALICE]


def test_an_issuer_keeps_the_pseudonym_across_runs_through_its_files(tmp_path: Path) -> None:
    world = make_credential_world()
    path = tmp_path / "subscribers.db"
    key_file = world.issuer.keys.to_bytes()

    def issuer() -> CredentialIssuer:
        """The operator's issuer in a run of its own: keys and records read from files."""
        return CredentialIssuer(
            OPERATOR, world.source, world.attester, clock=world.clock,
            keys=CredentialIssuerKeys.from_bytes(key_file),
            nym_records=SQLiteNymRecords(path, OPERATOR),
        )  # fmt: skip

    evidence = world.attester.enrol(ALICE)
    holder = world.holder()
    holder.receive(OPERATOR, issuer().issue(evidence, holder.request_credential(OPERATOR)))
    first = _pseudonym(world, holder)
    # The next day the phone renews, both sides starting from their files.
    world.clock.advance(timedelta(days=1))
    phone = _restored(world, holder)
    operator = issuer()
    renewal = phone.request_credential(OPERATOR)
    entropy_before = operator._nym_records[ALICE]
    # Nothing is lost on bad input: a forged carry-over or a malformed request is refused
    # and the subscriber's record is as it was.
    assert renewal.carry_over is not None
    forged = CredentialRequest(
        renewal.commitment_with_proof,
        type(renewal.carry_over)(
            renewal.carry_over.key_id,
            renewal.carry_over.expiry_day,
            renewal.carry_over.bbs_proof,
            bytes(reversed(renewal.carry_over.proof)),
        ),
    )
    with pytest.raises((InvalidProof, DecodeError)):
        operator.issue(evidence, forged)
    with pytest.raises(DecodeError):
        operator.issue(evidence, renewal.to_bytes()[:-1])
    assert operator._nym_records[ALICE] == entropy_before
    phone.receive(OPERATOR, operator.issue(evidence, renewal))
    assert _pseudonym(world, _restored(world, phone)) == first
    # A second phone of the subscriber cannot start a second secret in a later run.
    second = world.holder()
    with pytest.raises(PolicyError):
        issuer().issue(evidence, second.request_credential(OPERATOR))


# -- the phone's wallet ---------------------------------------------------------------------


def test_the_wallet_round_trips_with_its_credentials_and_waiting_requests() -> None:
    world = make_credential_world()
    evidence = world.attester.enrol(ALICE)
    holder = world.holder()
    request = holder.request_credential(OPERATOR)
    data = holder.wallet.export_wallet()
    assert decode(data)[1] == CREDENTIAL_WALLET_KIND
    restored = CredentialWallet.import_wallet(data)
    assert restored.export_wallet() == data
    assert restored.held() == () and restored.waiting() == (WaitingRequest(OPERATOR, False),)
    # The response to the request made before the file was written is received after.
    phone = CredentialHolder(world.trust, clock=world.clock, wallet=restored)
    response = world.issuer.issue(evidence, request)
    phone.receive(OPERATOR, response)
    (held,) = phone.wallet.held()
    assert (held.operator_id, held.key_id) == (OPERATOR, response.key_id)
    assert (held.issue_hour, held.expiry_day) == (
        response.facts.issue_hour,
        response.facts.expiry_day,
    )
    first = _pseudonym(world, _restored(world, phone))
    # A renewal waiting in the file, received by the next run.
    renewing = _restored(world, phone)
    renewal = renewing.request_credential(OPERATOR)
    waiting = _restored(world, renewing)
    assert waiting.wallet.waiting() == (WaitingRequest(OPERATOR, True),)
    waiting.receive(OPERATOR, world.issuer.issue(evidence, renewal))
    assert len(waiting.wallet.held()) == 2 and waiting.wallet.waiting() == ()
    assert _pseudonym(world, _restored(world, waiting)) == first
    # Secret: redacted, never pickled.
    wallet = waiting.wallet
    assert wallet._holder_secret.reveal().hex() not in repr(wallet) and "redacted" in repr(wallet)
    with pytest.raises(TypeError):
        pickle.dumps(wallet)


class _EveryOperator:
    """Trust anchors that list any operator (as the one operator of the world)."""

    def __init__(self, world: CredentialWorld) -> None:
        self.listed = world.trust.operator(OPERATOR)

    def operator(self, operator_id: str) -> object:
        return self.listed


def test_a_wallet_keeps_no_more_waiting_requests_than_its_file_holds() -> None:
    world = make_credential_world()
    holder = CredentialHolder(_EveryOperator(world), clock=world.clock)  # type: ignore[arg-type]
    for index in range(256):
        holder.request_credential(f"operator-{index}.example")
    data = holder.wallet.export_wallet()
    with pytest.raises(PolicyError):
        holder.request_credential("operator-256.example")
    # The refused request left the wallet as it was, and its file reads back.
    assert holder.wallet.export_wallet() == data
    assert len(CredentialWallet.import_wallet(data).waiting()) == 256
    # An operator already waiting is asked again.
    holder.request_credential("operator-0.example")


def _wallet_fields() -> dict[int, Any]:
    """A wallet file with one credential and one renewal waiting, decoded."""
    world = make_credential_world()
    holder = world.issued_holder()
    holder.request_credential(OPERATOR)
    fields = decode(holder.wallet.export_wallet(), max_size=1 << 20)
    assert len(fields[3]) == 1 and len(fields[4]) == 1
    return fields


def _other_holder_secret() -> bytes:
    return decode(CredentialWallet().export_wallet())[2]


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.__setitem__(2, _other_holder_secret()),  # another phone's holder secret
        lambda f: f.__setitem__(2, bytes(32)),  # a holder secret of 0
        lambda f: f[3][0].__setitem__(2, bytes(16)),  # a key id that is not its key's
        lambda f: f[3][0][5].__setitem__(2, f[3][0][5][2] + 1),  # another birth day
        lambda f: f[3][0][5].__setitem__(1, f[3][0][5][1] + 7),  # an expiry off the grid
        lambda f: f[3][0].__setitem__(4, bytes(80)),  # not a signature
        lambda f: f[3][0].__setitem__(6, f[3][0][6][:-1]),  # a short blind
        lambda f: f[3][0].__setitem__(7, bytes(32)),  # a nym secret of 0
        lambda f: f[3][0].__setitem__(8, R.to_bytes(32, "big")),  # an entropy not below r
        lambda f: f[3][0].__setitem__(1, "not an id!"),  # a malformed operator id
        lambda f: f[3][0].pop(8),  # a missing field
        lambda f: f[4][0].pop(5),  # a renewal without the entropy it carries over with
        lambda f: f[4].append(f[4][0]),  # two requests waiting for one operator
        lambda f: f[4][0].__setitem__(2, b"junk"),  # not a credential request
        lambda f: f.__setitem__(3, {}),  # not a list
    ],
)
def test_a_credential_wallet_file_that_does_not_hold_together_is_refused(change: Any) -> None:
    fields = _wallet_fields()
    CredentialWallet.import_wallet(encode(fields))
    change(fields)
    with pytest.raises(DecodeError):
        CredentialWallet.import_wallet(encode(fields))


def test_the_wallet_forgets_expired_credentials_but_the_last() -> None:
    world = make_credential_world()
    evidence = world.attester.enrol(ALICE)
    holder = world.issued_holder()
    first = _pseudonym(world, holder)
    # A renewal while the first credential is valid keeps both.
    holder.receive(OPERATOR, world.issuer.issue(evidence, holder.request_credential(OPERATOR)))
    assert len(holder.wallet.held()) == 2
    # Three weeks on both have expired; the renewal from the later one is all that is kept.
    world.clock.advance(timedelta(days=21))
    holder.receive(OPERATOR, world.issuer.issue(evidence, holder.request_credential(OPERATOR)))
    (kept,) = holder.wallet.held()
    assert kept.issue_hour == int(world.clock.now().timestamp()) // 3600
    assert _pseudonym(world, _restored(world, holder)) == first


@functools.cache
def _files() -> tuple[bytes, bytes]:
    """A key file with held and earlier keys, and a wallet with a credential and a renewal."""
    keys = CredentialIssuerKeys(OPERATOR, now=NOW)
    keys.rotate(keys.credential_keys()[0].not_after)
    return keys.to_bytes(), encode(_wallet_fields())


@given(st.data())
def test_any_changed_byte_of_either_file_is_refused_with_a_zkcheck_error(
    data: st.DataObject,
) -> None:
    key_file, wallet = _files()
    original, read = data.draw(
        st.sampled_from(
            [(key_file, CredentialIssuerKeys.from_bytes), (wallet, CredentialWallet.import_wallet)]
        )
    )
    position = data.draw(st.integers(0, len(original) - 1))
    changed = bytearray(original)
    changed[position] ^= data.draw(st.integers(1, 255))
    try:
        loaded = read(bytes(changed))
    except ZkcheckError:
        return
    # A change that still reads is one a file's decoder cannot tell from a choice (how many
    # epochs ahead have keys): the file then reads as exactly the changed bytes.
    if isinstance(loaded, CredentialIssuerKeys):
        assert loaded.to_bytes() == bytes(changed)
    else:
        assert loaded.export_wallet() == bytes(changed)
