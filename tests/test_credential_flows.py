"""Credential-tier scenarios, told in order: phone -> operator -> phone -> relying party.

Every message crosses a file, as it would between separate programs: nothing
passes between the parties but bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.credential_world import ALICE, BOB, OPERATOR, make_credential_world
from zkcheck.claims import Check
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.messages import Presentation, ResultRecord
from zkcheck.errors import InvalidProof, PolicyError, Replayed
from zkcheck.roles import CredentialHolder
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.trust_client import TrustListAnchors

AGE = Check.age_over(18)
NUMBER = Check.number()


def _through(path: Path, data: bytes) -> bytes:
    path.write_bytes(data)
    return path.read_bytes()


def test_age_gated_site_checks_the_age_by_a_predicate_and_the_number_by_disclosure(
    tmp_path: Path,
) -> None:
    world = make_credential_world()
    # The operator hands its key set, credential keys included, to the federation, which
    # lists it in its signed trust list; the phone and the site load the list under the
    # authority key they pinned.
    keyset = OperatorKeySet.from_bytes(_through(tmp_path / "keyset", world.keyset.to_bytes()))
    assert keyset == world.keyset
    listed = _through(tmp_path / "federation.trust-list", world.trust_list)
    world.trust = TrustListAnchors(world.pin, clock=world.clock)
    assert world.trust.load(listed).operator(OPERATOR) is not None

    # Alice's phone gets a credential in one round trip. The request is a commitment to
    # the phone's secrets; the operator authenticates Alice on the channel (here the
    # test attester's bearer credential) and never learns the secrets or any site.
    wallet = CredentialHolder(world.trust, clock=world.clock)
    ask = _through(tmp_path / "credential-request", wallet.request_credential(OPERATOR).to_bytes())
    evidence = world.attester.enrol(ALICE)
    answer = world.issuer.issue(evidence, ask).to_bytes()
    wallet.receive(OPERATOR, _through(tmp_path / "credential-response", answer))
    assert wallet.remaining() == 1

    # The site gates on age_over:18. The phone proves that the birth day in its
    # credential is at most the site's cutoff for its own date, and discloses nothing
    # but the credential's week: no birth date, no age, no number.
    age_gate = world.verifier((AGE,), verifier_id="casino.example", tiers=("signed", "credential"))
    age_request = _through(tmp_path / "age-request", age_gate.create_request().to_bytes())
    shown = _through(tmp_path / "age-presentation", wallet.present(age_request).to_bytes())
    body = decode(Presentation.from_bytes(shown).body)
    # Key id, expiry, the BBS proof (10 hidden messages), the link of the birth day to its
    # commitment and the range proof of the commitment, and the presentation version.
    assert sorted(body) == [1, 2, 3, 4, 5, 7] and (len(body[4]), len(body[5])) == (592, 816)
    result = age_gate.verify(shown)
    assert result.tier == "credential" and result.checks == (AGE,)

    # At sign-up the site also ties the account to the number Alice typed: the
    # presentation discloses only the number's hash, which the site recomputes from what
    # Alice typed; the credential's other facts stay hidden.
    phone_check = world.verifier((NUMBER,), verifier_id="casino.example")
    request = _through(tmp_path / "number-request", phone_check.create_request().to_bytes())
    presentation = _through(tmp_path / "number-presentation", wallet.present(request).to_bytes())
    result = phone_check.verify(presentation, number=ALICE)
    assert result.tier == "credential" and result.checks == (NUMBER,)
    # The site learns the week the credential was issued in, nothing finer.
    assert result.issued_bucket == datetime(2026, 3, 9, tzinfo=UTC)
    record = ResultRecord.from_bytes(_through(tmp_path / "result", result.to_bytes()))
    assert record == result.record()
    with pytest.raises(Replayed):
        phone_check.verify(presentation, number=ALICE)

    # Bob is 15: his phone has a credential too, and shows nothing to the age gate.
    bob = world.issued_holder(BOB)
    with pytest.raises(PolicyError):
        bob.present(age_gate.create_request())


def test_bank_checks_the_number_by_equality(tmp_path: Path) -> None:
    world = make_credential_world()
    wallet = CredentialHolder(world.trust, clock=world.clock)
    ask = _through(tmp_path / "ask", wallet.request_credential(OPERATOR).to_bytes())
    wallet.receive(OPERATOR, world.issuer.issue(world.attester.enrol(ALICE), ask).to_bytes())

    # The customer types her number into the bank's app; the bank asks the phone.
    bank = world.verifier((NUMBER,), verifier_id="bank.example")
    request = _through(tmp_path / "request", bank.create_request().to_bytes())
    presentation = _through(tmp_path / "presentation", wallet.present(request).to_bytes())
    # A mistyped number (or a number of another subscriber) does not match the hidden one.
    with pytest.raises(InvalidProof):
        bank.verify(presentation, number=BOB)
    assert bank.verify(presentation, number=ALICE).checks == (NUMBER,)

    # Two days later, another transfer: the same credential, a fresh proof that shares
    # nothing with the first but the public values.
    world.clock.advance(timedelta(days=2))
    again = wallet.present(bank.create_request()).to_bytes()
    assert bank.verify(again, number=ALICE).checks == (NUMBER,)
    assert presentation[-200:] != again[-200:]

    # On the Monday two weeks after the issue week, the credential has expired: the
    # phone asks for a new one, under the same holder secret, and goes on. The trust list
    # already lists the operator's key for this epoch, published ahead of its use.
    world.clock.set(datetime(2026, 3, 23, 8, tzinfo=UTC))
    with pytest.raises(PolicyError):
        wallet.present(bank.create_request())
    ask = _through(tmp_path / "renewal", wallet.request_credential(OPERATOR).to_bytes())
    wallet.receive(OPERATOR, world.issuer.issue(world.attester.enrol(ALICE), ask).to_bytes())
    assert wallet.remaining() == 1  # the expired credential is forgotten once renewed
    assert bank.verify(wallet.present(bank.create_request()), number=ALICE).checks == (NUMBER,)
