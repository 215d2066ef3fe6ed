"""Per-verifier pseudonyms of the credential tier (spec/13-pseudonyms.md).

The hazmat blocks first: the pseudonym block is the pseudonym draft's
pseudonym for zkcheck's context identifier, hashed as item 10 of chapter 9's
transcript; the carry-over block shows that a renewal's commitment keeps the
hidden nym secret. Then the roles: one pseudonym per holder and verifier,
across presentations and renewals; a site that claims another's identity gets
its own pseudonym; the operator's renewal policy (one pseudonym secret per
subscriber, carried over, reset on request); typed errors for every tampered
field; and the privacy tests, in the style of chapter 8's: what two verifiers
see, and what the operator keeps, share nothing with what a verifier sees.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
import sqlite3
from dataclasses import replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.credential_world import (
    ALICE,
    BOB,
    MAX_AGE,
    OPERATOR,
    CredentialWorld,
    make_credential_world,
)
from zkcheck.claims import Check
from zkcheck.cli.explain import explain_request, explain_result
from zkcheck.cli.tiers.credential import CREDENTIAL
from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.credential import CarryOver, CredentialRequest, CredentialResponse
from zkcheck.encoding.messages import Presentation, Request, ResultRecord
from zkcheck.errors import (
    DecodeError,
    InvalidProof,
    NotRequested,
    PolicyError,
    UntrustedIssuer,
    ZkcheckError,
)
from zkcheck.hazmat import bbs, credential, presentation
from zkcheck.hazmat.backend import GROUP_ORDER
from zkcheck.hazmat.bbs_pseudonym import (
    BP1_OCTETS,
    calculate_pseudonym,
    generate_prover_nyms,
    generate_signer_nym_entropy,
)
from zkcheck.hazmat.blind_bbs import secret_scalar
from zkcheck.hazmat.credential import Index
from zkcheck.hazmat.credential_pseudonym import (
    CARRY_OVER_VERSION,
    CONTEXT_PREFIX,
    CarryOverBlock,
    CarryOverOpening,
    PseudonymBlock,
    carried_prover_nym,
    carry_over_header,
    context_id,
    pseudonym,
)
from zkcheck.hazmat.hash_to_curve import hash_to_curve
from zkcheck.hazmat.predicate_parameters import lp
from zkcheck.hazmat.presentation import (
    VERSION_1,
    VERSION_2,
    PresentationProof,
    PresentationVersion,
)
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles import CredentialHolder, CredentialIssuer, CredentialWallet, Policy, Verifier
from zkcheck.roles import verifier as verifier_module
from zkcheck.roles.credential_issuer import NymRecord
from zkcheck.roles.nym_records import SQLiteNymRecords

R = GROUP_ORDER
CIPHERSUITE = bbs.get_ciphersuite()
BACKEND = CIPHERSUITE.backend
SOCIAL = "social.example"
OTHER = "other-social.example"
EVIL = "evil.example"
NUMBER = Check.number()
DISCLOSED: dict[int, int] = {Index.TYPE_VERSION: credential.TYPE_VERSION}
PH = bytes(range(32))


# -- a credential at the hazmat level ------------------------------------------------------


class _Issued:
    """One credential issued at the hazmat level, with every secret."""

    def __init__(self, facts: credential.LayoutFacts) -> None:
        self.sk, self.pk = _key()
        self.holder_secret = credential.generate_holder_secret()
        (self.prover_nym,) = generate_prover_nyms(1)
        commitment, self.blind = credential.commit(self.holder_secret, self.prover_nym)
        self.entropy = generate_signer_nym_entropy()
        self.signature = credential.blind_sign(self.sk, self.pk, commitment, self.entropy, facts)
        self.nym = credential.complete(
            self.pk,
            self.signature,
            facts,
            self.holder_secret,
            self.prover_nym,
            self.entropy,
            self.blind,
        )
        self.messages = credential.message_scalars(facts, self.blind, self.holder_secret, self.nym)

    def prove(
        self,
        *blocks: Any,
        disclosed: tuple[int, ...] = (0,),
        ph: bytes = PH,
        version: PresentationVersion = VERSION_2,
    ) -> PresentationProof:
        """A credential presentation (version 2), or with ``CARRY_OVER_VERSION`` a carry-over."""
        return presentation.prove(
            self.pk,
            self.signature,
            self.messages,
            disclosed,
            ph,
            version=version,
            pseudonyms=blocks,
        )


@cache
def _key() -> tuple[SecretBytes, bytes]:
    return credential.generate_key()


def _facts() -> credential.LayoutFacts:
    hour = 493_000
    return credential.LayoutFacts(
        issue_hour=hour,
        expiry_day=credential.expiry_day(hour),
        birth_day=credential.day_of_hour(hour) - 12_000,
        sim_change_hour=hour - 20,
        device_change_hour=credential.HOUR_SENTINEL,
        contract_start_day=credential.DAY_SENTINEL,
        msisdn=ALICE,
        home_country="ES",
    )


@cache
def _alice() -> _Issued:
    return _Issued(_facts())


@cache
def _bob() -> _Issued:
    return _Issued(_facts())


def _verify(issued: _Issued, proof: PresentationProof, *blocks: Any, ph: bytes = PH) -> None:
    presentation.verify(issued.pk, proof, DISCLOSED, ph, version=VERSION_2, pseudonyms=blocks)


# -- context identifiers and the pseudonym block --------------------------------------------


def test_context_ids_are_derived_versioned_and_domain_separated() -> None:
    assert CONTEXT_PREFIX == b"ZKCHECK-PSEUDONYM-CONTEXT-V1_"
    assert context_id(SOCIAL) == b"ZKCHECK-PSEUDONYM-CONTEXT-V1_social.example"
    identities = [SOCIAL, OTHER, "social.example.", "Social.example", "a", "x" * 255]
    assert len({context_id(identity) for identity in identities}) == len(identities)
    for bad in ("", "x" * 256, "sociál.example"):
        with pytest.raises(ValueError):
            context_id(bad)
    # The context is the pseudonym draft's context_id: OP is hashed to the curve under the
    # credential interface's api_id, and with one nym secret the pseudonym is OP * nym.
    alice = _alice()
    op = hash_to_curve(
        context_id(SOCIAL),
        credential.API_ID,
        suite=CIPHERSUITE.hash_to_curve_suite,
        backend=BACKEND,
    )
    nym = int.from_bytes(alice.nym.reveal(), "big")
    expected = BACKEND.g1_to_bytes(BACKEND.g1_mul(op, nym))
    assert pseudonym(alice.nym, context_id(SOCIAL)) == expected
    assert (
        calculate_pseudonym(context_id(SOCIAL), [alice.nym], api_id=credential.API_ID) == expected
    )


def test_the_pseudonym_block_is_item_10_of_the_transcript() -> None:
    alice = _alice()
    block = PseudonymBlock(context_id(SOCIAL))
    proof = alice.prove(block)
    _verify(alice, proof, block)
    assert proof.pseudonym_proof == pseudonym(alice.nym, context_id(SOCIAL))
    assert proof.predicate_proof == b""
    assert block.attribute == 11 == int(Index.NYM_SECRET) and block.wire_length == 48
    assert block.statement_octets() == lp(b"pseudonym") + (11).to_bytes(8, "big") + lp(
        context_id(SOCIAL)
    )
    # The verifier's recomputation, octet by octet: item 10 is I2OSP(1, 8), the statement
    # octets, the pseudonym and Uv = OP * m^_11 - c * P, and its hash is the challenge.
    decoded = bbs.octets_to_proof(proof.bbs_proof, ciphersuite=CIPHERSUITE)
    undisclosed = [j for j in range(12) if j != 0]
    m_hat = dict(zip(undisclosed, decoded.commitments, strict=True))[11]
    op = hash_to_curve(
        context_id(SOCIAL),
        credential.API_ID,
        suite=CIPHERSUITE.hash_to_curve_suite,
        backend=BACKEND,
    )
    point = BACKEND.g1_from_bytes(proof.pseudonym_proof)
    uv = BACKEND.g1_msm([op, point], [m_hat, R - decoded.challenge])
    init = bbs.proof_verify_init(
        alice.pk,
        decoded,
        credential.generators(CIPHERSUITE),
        credential.HEADER,
        [credential.TYPE_VERSION],
        [0],
        credential.API_ID,
        ciphersuite=CIPHERSUITE,
    )
    recomputed = proof.pseudonym_proof + BACKEND.g1_to_bytes(uv)
    context = presentation.context_octets(
        alice.pk,
        [(0, credential.TYPE_VERSION)],
        [],
        PH,
        version=VERSION_2,
        ciphersuite=CIPHERSUITE,
    )
    transcript = presentation.challenge_input(
        context, [], b"", [block], [recomputed], init, ciphersuite=CIPHERSUITE
    )
    item_10 = (1).to_bytes(8, "big") + block.statement_octets() + recomputed
    assert item_10 in transcript
    assert bbs.hash_to_scalar(transcript, VERSION_2.challenge_dst) == decoded.challenge


def test_one_pseudonym_per_holder_and_context() -> None:
    alice, bob = _alice(), _bob()
    social, other = PseudonymBlock(context_id(SOCIAL)), PseudonymBlock(context_id(OTHER))
    at_social = [alice.prove(social) for _ in range(3)]
    assert len({proof.pseudonym_proof for proof in at_social}) == 1
    assert len({proof.bbs_proof for proof in at_social}) == 3
    assert alice.prove(other).pseudonym_proof != at_social[0].pseudonym_proof
    assert bob.prove(social).pseudonym_proof != at_social[0].pseudonym_proof


def test_a_tampered_pseudonym_or_pseudonym_proof_is_refused() -> None:
    alice, bob = _alice(), _bob()
    block = PseudonymBlock(context_id(SOCIAL))
    proof = alice.prove(block)
    bobs = bob.prove(block).pseudonym_proof
    identity = bytes([0xC0]) + bytes(47)
    cases: list[tuple[PresentationProof, type[ZkcheckError]]] = [
        # Another holder's pseudonym, a flipped bit, the identity, BP1, off the curve.
        (proof._replace(pseudonym_proof=bobs), InvalidProof),
        (proof._replace(pseudonym_proof=_flip(proof.pseudonym_proof, 47)), DecodeError),
        (proof._replace(pseudonym_proof=identity), DecodeError),
        (proof._replace(pseudonym_proof=BP1_OCTETS), DecodeError),
        (proof._replace(pseudonym_proof=b"\x80" + bytes(47)), DecodeError),
        # Missing, short, or one too many.
        (proof._replace(pseudonym_proof=b""), DecodeError),
        (proof._replace(pseudonym_proof=proof.pseudonym_proof[:-1]), DecodeError),
        (proof._replace(pseudonym_proof=proof.pseudonym_proof + bobs), DecodeError),
    ]
    # Every scalar of the BBS proof, m^_11 (its last response) among them, and the challenge.
    for offset in range(144, len(proof.bbs_proof), 32):
        cases.append((proof._replace(bbs_proof=_flip(proof.bbs_proof, offset + 31)), InvalidProof))
    for changed, error in cases:
        with pytest.raises(error):
            _verify(alice, changed, block)
    # Checked in another context, or without the block the presentation was made with.
    with pytest.raises(InvalidProof):
        _verify(alice, proof, PseudonymBlock(context_id(OTHER)))
    with pytest.raises(DecodeError):
        _verify(alice, proof)
    with pytest.raises(InvalidProof):
        _verify(alice, proof._replace(pseudonym_proof=b""))
    _verify(alice, proof, block)


# -- the carry-over block --------------------------------------------------------------------


def _renewal(issued: _Issued, prover_nym: Any = None, entropy: bytes | None = None) -> Any:
    """A renewal's commitment and its carry-over block, as the holder makes them."""
    entropy = issued.entropy if entropy is None else entropy
    prover_nym = carried_prover_nym(issued.nym, entropy) if prover_nym is None else prover_nym
    commitment, blind = credential.commit(issued.holder_secret, prover_nym)
    opening = CarryOverOpening(blind, issued.holder_secret, prover_nym)
    return commitment, CarryOverBlock(commitment, entropy, opening=opening), prover_nym, blind


def test_the_pseudonym_blocks_prover_states_are_single_use_and_do_not_leak() -> None:
    """m~ of index 11 goes to the BBS core once; the carry-over's nonces answer one challenge
    (two responses with the same s~, h~ would give the holder secret away); neither state
    prints or pickles its secrets."""
    alice = _alice()
    _, carry_over, _, _ = _renewal(alice)
    nym = secret_scalar(alice.nym, "the nym secret")
    states = (
        PseudonymBlock(context_id(SOCIAL)).commit(nym, rng=None, ciphersuite=CIPHERSUITE),
        carry_over.commit(nym, rng=None, ciphersuite=CIPHERSUITE),
    )
    for state in states:
        assert 0 < state.nonce < GROUP_ORDER
        with pytest.raises(RuntimeError):
            _ = state.nonce
        assert "redacted" in repr(state)
        for leak in (pickle.dumps, copy.copy, copy.deepcopy):
            with pytest.raises(TypeError):
                leak(state)
    carry_over_state = states[1]
    assert len(carry_over_state.respond(12345)) == 64
    with pytest.raises(RuntimeError, match="exactly one challenge"):
        carry_over_state.respond(67890)


def _check_carry_over(proof: PresentationProof, ph: bytes, block: CarryOverBlock) -> None:
    """The operator's check of a carry-over of Alice's credential, a presentation of version 1
    that discloses the type and the expiry."""
    disclosed = {0: credential.TYPE_VERSION, 2: _facts().expiry_day}
    presentation.verify(
        _alice().pk, proof, disclosed, ph, version=CARRY_OVER_VERSION, pseudonyms=[block]
    )


def test_a_carry_over_keeps_the_nym_secret_in_the_new_commitment() -> None:
    alice = _alice()
    commitment, block, prover_nym, blind = _renewal(alice)
    ph = carry_over_header(OPERATOR, commitment)
    proof = alice.prove(block, disclosed=(0, 2), ph=ph, version=CARRY_OVER_VERSION)
    assert len(proof.bbs_proof) == 592 and len(proof.pseudonym_proof) == 64
    operators_block = CarryOverBlock(commitment, alice.entropy)
    _check_carry_over(proof, ph, operators_block)
    assert operators_block.statement_octets() == (
        lp(b"carry_over") + (11).to_bytes(8, "big") + commitment[:48] + alice.entropy
    )
    # The renewed credential, signed with the same entropy, has the same nym secret.
    signature = credential.blind_sign(alice.sk, alice.pk, commitment, alice.entropy, _facts())
    renewed = credential.complete(
        alice.pk, signature, _facts(), alice.holder_secret, prover_nym, alice.entropy, blind
    )
    assert renewed == alice.nym
    # The operator's side cannot prove; the proof is bound to its operator and commitment.
    with pytest.raises(ValueError):
        presentation.prove(
            alice.pk,
            alice.signature,
            alice.messages,
            (0,),
            ph,
            version=CARRY_OVER_VERSION,
            pseudonyms=[operators_block],
        )
    for wrong_ph in (carry_over_header("operator-b.example", commitment), PH):
        with pytest.raises(InvalidProof):
            _check_carry_over(proof, wrong_ph, operators_block)
    # A carry-over is a presentation of version 1: the same block proven under version 2,
    # the credential presentations' version, is not one.
    assert CARRY_OVER_VERSION is VERSION_1
    as_version_2 = alice.prove(block, disclosed=(0, 2), ph=ph, version=VERSION_2)
    with pytest.raises(InvalidProof):
        _check_carry_over(as_version_2, ph, operators_block)


def test_a_carry_over_of_another_secret_fails() -> None:
    alice, bob = _alice(), _bob()
    # A fresh prover_nym would start a second pseudonym secret: the holder's own check
    # refuses to prove it ...
    (fresh,) = generate_prover_nyms(1)
    _, block, _, _ = _renewal(alice, prover_nym=fresh)
    with pytest.raises(PolicyError):
        alice.prove(block, disclosed=(0, 2), version=CARRY_OVER_VERSION)
    # ... and a holder that lies about the operator's entropy, so that its fresh part
    # passes that check, is caught by the operator, which uses the entropy it keeps.
    nym = int.from_bytes(alice.nym.reveal(), "big")
    lie = ((nym - int.from_bytes(fresh.reveal(), "big")) % R).to_bytes(32, "big")
    commitment, block, _, _ = _renewal(alice, prover_nym=fresh, entropy=lie)
    ph = carry_over_header(OPERATOR, commitment)
    proof = alice.prove(block, disclosed=(0, 2), ph=ph, version=CARRY_OVER_VERSION)
    with pytest.raises(InvalidProof):
        _check_carry_over(proof, ph, CarryOverBlock(commitment, alice.entropy))
    # Bob's commitment cannot carry Alice's secret: the proof is about her credential only.
    commitment, block, _, _ = _renewal(alice)
    ph = carry_over_header(OPERATOR, commitment)
    proof = alice.prove(block, disclosed=(0, 2), ph=ph, version=CARRY_OVER_VERSION)
    bobs_commitment, _, _, _ = _renewal(bob)
    with pytest.raises(InvalidProof):
        _check_carry_over(
            proof,
            carry_over_header(OPERATOR, bobs_commitment),
            CarryOverBlock(bobs_commitment, alice.entropy),
        )
    # Malformed wire and statements are DecodeError.
    operators = CarryOverBlock(commitment, alice.entropy)
    for wire in (bytes(64), proof.pseudonym_proof[:32] + R.to_bytes(32, "big"), b""):
        with pytest.raises(DecodeError):
            _check_carry_over(proof._replace(pseudonym_proof=wire), ph, operators)
    for bad_commitment, bad_entropy in ((commitment[:-1], alice.entropy), (commitment, bytes(32))):
        with pytest.raises(DecodeError):
            CarryOverBlock(bad_commitment, bad_entropy)
    identity = bytes([0xC0]) + bytes(47) + commitment[48:]
    with pytest.raises(DecodeError):
        _check_carry_over(proof, ph, CarryOverBlock(identity, alice.entropy))


# -- the roles: one pseudonym per holder and verifier -----------------------------------------


def _verifier(world: CredentialWorld, verifier_id: str = SOCIAL) -> Verifier:
    policy = Policy(
        verifier_id, (NUMBER,), (OPERATOR,), tiers=("credential",), max_age=MAX_AGE, pseudonym=True
    )
    return Verifier(policy, world.trust, clock=world.clock)


def _sign_up(
    holder: CredentialHolder, verifier: Verifier, origin: str, number: str = ALICE
) -> bytes:
    """The pseudonym a verifier gets from a presentation the holder made for ``origin``."""
    result = verifier.verify(
        holder.present(verifier.create_request(), origin=origin), number=number
    )
    assert result.checks == (NUMBER,) and result.pseudonym is not None
    return result.pseudonym


def _renew(world: CredentialWorld, holder: CredentialHolder, msisdn: str = ALICE) -> None:
    request = holder.request_credential(OPERATOR)
    assert request.carry_over is not None
    holder.receive(OPERATOR, world.issuer.issue(world.attester.enrol(msisdn), request.to_bytes()))


def test_pseudonyms_are_equal_at_one_verifier_across_presentations_and_renewals() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    social, other = _verifier(world), _verifier(world, OTHER)
    first = _sign_up(holder, social, SOCIAL)
    assert _sign_up(holder, social, SOCIAL) == first
    elsewhere = _sign_up(holder, other, OTHER)
    assert elsewhere != first
    assert first == pseudonym(holder.wallet._held[0].nym_secret, context_id(SOCIAL))
    # Renewed twice, the second time after the first credential expired (expired
    # credentials still carry their secret over); old credentials dropped.
    _renew(world, holder)
    world.clock.advance(timedelta(days=20))
    _renew(world, holder)
    holder.wallet._held = holder.wallet._held[-1:]
    assert (
        holder.wallet._held[0].facts.expiry_day > world.issuer._nym_records[ALICE].first_expiry_day
    )
    assert _sign_up(holder, social, SOCIAL) == first
    assert _sign_up(holder, other, OTHER) == elsewhere
    # Another subscriber has other pseudonyms at both.
    bob = world.issued_holder(BOB)
    assert _sign_up(bob, social, SOCIAL, BOB) not in (first, elsewhere)


def test_a_verifier_claiming_another_identity_gets_an_unrelated_pseudonym() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    social, evil = _verifier(world), _verifier(world, EVIL)
    at_social = _sign_up(holder, social, SOCIAL)
    at_evil = _sign_up(holder, evil, EVIL)
    # The evil site relays social.example's own request while the phone talks to it: the
    # pseudonym is the one for the site the phone authenticated, its own, and the
    # presentation fails at social.example.
    relayed = social.create_request()
    presented = holder.present(relayed, origin=EVIL)
    shown = _evidence(presented.to_bytes())[6]
    assert shown == at_evil != at_social
    with pytest.raises(InvalidProof):
        social.verify(presented, number=ALICE)
    # The evil site names itself social.example in its own requests: same outcome.
    impostor = _verifier(world, SOCIAL)
    presented = holder.present(impostor.create_request(), origin=EVIL)
    assert _evidence(presented.to_bytes())[6] == at_evil
    with pytest.raises(InvalidProof):
        impostor.verify(presented, number=ALICE)
    assert _sign_up(holder, social, SOCIAL) == at_social


def test_the_holder_takes_the_context_from_the_authenticated_origin_only() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    social = _verifier(world)
    request = social.create_request()
    assert request.pseudonym and Request.from_bytes(request.to_bytes()) == request
    with pytest.raises(PolicyError):
        holder.present(request)
    with pytest.raises(DecodeError):
        holder.present(request, origin="social example")
    # Without a pseudonym asked, none is shown, whatever the origin.
    plain = world.verifier(verifier_id=SOCIAL)
    result = plain.verify(holder.present(plain.create_request(), origin=EVIL), number=ALICE)
    assert result.pseudonym is None
    # Only the credential tier gives pseudonyms.
    both = Policy(SOCIAL, (NUMBER,), (OPERATOR,), tiers=("signed", "credential"), pseudonym=True)
    with pytest.raises(ValueError):
        Verifier(both, world.trust, clock=world.clock)


def test_the_verified_result_carries_the_pseudonym(monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    social = _verifier(world)
    result = social.verify(holder.present(social.create_request(), origin=SOCIAL), number=ALICE)
    record = ResultRecord.from_bytes(result.to_bytes())
    assert record.pseudonym == result.pseudonym and len(record.pseudonym or b"") == 48
    assert decode(result.to_bytes())[7] == result.pseudonym
    # The verifier itself refuses a result without the pseudonym asked for, whatever the
    # tier reports.
    tier = verifier_module.TIERS["credential"]

    class Forgetful:
        name = "credential"

        def verify(self, body: bytes, context: Any) -> Any:
            return tier.verify(body, context)._replace(pseudonym=None)

    monkeypatch.setattr(verifier_module, "TIERS", {"credential": Forgetful()})
    with pytest.raises(NotRequested):
        social.verify(holder.present(social.create_request(), origin=SOCIAL), number=ALICE)


# -- the operator's renewal policy ---------------------------------------------------------


def test_the_operator_keeps_one_pseudonym_secret_per_subscriber() -> None:
    world = make_credential_world()
    phone = world.holder()
    first = phone.request_credential(OPERATOR)
    assert first.carry_over is None
    evidence = world.attester.enrol(ALICE)
    lost = world.issuer.issue(evidence, first)  # the response never reaches the phone
    record = world.issuer._nym_records[ALICE]
    assert record == NymRecord(lost.signer_nym_entropy, record.first_request, lost.facts.expiry_day)
    # The phone sends its pending first request again and gets the same secret.
    assert phone.request_credential(OPERATOR) == first
    phone.receive(OPERATOR, world.issuer.issue(evidence, first))
    social = _verifier(world)
    mine = _sign_up(phone, social, SOCIAL)
    # A second phone of the subscriber, with a secret of its own, gets nothing: it would
    # be a second pseudonym at every verifier.
    second = world.holder()
    with pytest.raises(PolicyError):
        world.issuer.issue(evidence, second.request_credential(OPERATOR))
    with pytest.raises(PolicyError):
        world.issuer.issue(evidence, phone.request_credential(OPERATOR, new_pseudonym=True))
    assert phone.discard_request(OPERATOR)  # refused: the application drops it
    # A carry-over for a subscriber the operator has no secret for is refused too.
    carried = phone.request_credential(OPERATOR)
    with pytest.raises(PolicyError):
        world.issuer.issue(world.attester.enrol(BOB), carried)
    # The renewal keeps the pseudonym.
    phone.receive(OPERATOR, world.issuer.issue(evidence, phone.request_credential(OPERATOR)))
    assert _sign_up(phone, social, SOCIAL) == mine


class _RegisteredMeanwhile(dict[str, NymRecord]):
    """Records in which another issuing process registers ``record`` between this one's
    lookup and its registration."""

    def __init__(self, msisdn: str, record: NymRecord) -> None:
        super().__init__()
        self.msisdn, self.record = msisdn, record

    def setdefault(self, key: str, default: NymRecord) -> NymRecord:  # type: ignore[override]
        if key == self.msisdn:
            super().setdefault(key, self.record)
        return super().setdefault(key, default)


def test_a_first_issuance_that_another_registered_meanwhile_sends_nothing() -> None:
    world = make_credential_world()
    other = world.holder().request_credential(OPERATOR)
    theirs = NymRecord(
        generate_signer_nym_entropy(), hashlib.sha256(other.commitment_with_proof).digest(), 1
    )
    records = _RegisteredMeanwhile(ALICE, theirs)
    issuer = CredentialIssuer(
        OPERATOR,
        world.source,
        world.attester,
        clock=world.clock,
        keys=world.issuer.keys,
        nym_records=records,
    )
    with pytest.raises(PolicyError, match="meanwhile"):
        issuer.issue(world.attester.enrol(ALICE), world.holder().request_credential(OPERATOR))
    assert records == {ALICE: theirs}
    # The request the other process answered is answered again, with the same entropy.
    response = issuer.issue(world.attester.enrol(ALICE), other)
    assert response.signer_nym_entropy == theirs.signer_nym_entropy


def test_a_reset_starts_a_new_pseudonym_and_older_credentials_cannot_renew() -> None:
    world = make_credential_world()
    old_phone = world.issued_holder()
    social = _verifier(world)
    before = _sign_up(old_phone, social, SOCIAL)
    # A week later the subscriber loses the phone; the operator resets the secret, and the
    # new phone starts a new one.
    world.clock.advance(timedelta(days=7))
    world.issuer.reset_pseudonym(ALICE)
    with pytest.raises(PolicyError):  # nothing to carry over any more
        world.issuer.issue(world.attester.enrol(ALICE), old_phone.request_credential(OPERATOR))
    new_phone = world.issued_holder()
    after = _sign_up(new_phone, social, SOCIAL)
    assert after != before
    # The old phone, found again, cannot carry its older secret into a new credential.
    with pytest.raises(PolicyError):
        world.issuer.issue(world.attester.enrol(ALICE), old_phone.request_credential(OPERATOR))
    _renew(world, new_phone)
    assert _sign_up(new_phone, social, SOCIAL) == after


def test_a_first_request_whose_response_was_lost_is_sent_again_even_when_renewing() -> None:
    # After a reset the phone asks for a new pseudonym; the operator signs and records
    # it, and the response is lost. The phone's next request, whether it asks for a new
    # pseudonym or not, is that first request again: a renewal would be refused (its
    # credential is older than the new record), and so would any other first request.
    world = make_credential_world()
    phone = world.issued_holder()
    world.clock.advance(timedelta(days=8))
    world.issuer.reset_pseudonym(ALICE)
    first = phone.request_credential(OPERATOR, new_pseudonym=True)
    world.issuer.issue(world.attester.enrol(ALICE), first)  # the answer never arrives
    assert phone.request_credential(OPERATOR) == first
    assert phone.request_credential(OPERATOR, new_pseudonym=True) == first
    phone.receive(OPERATOR, world.issuer.issue(world.attester.enrol(ALICE), first))
    assert not phone.wallet.waiting()
    _renew(world, phone)


def test_a_refused_first_request_is_discarded_by_the_application() -> None:
    # A new pseudonym asked without a reset: the operator refuses, since this
    # subscriber renews by carrying its secret over. The application drops the request,
    # and the phone renews.
    world = make_credential_world()
    phone = world.issued_holder()
    world.clock.advance(timedelta(days=8))
    first = phone.request_credential(OPERATOR, new_pseudonym=True)
    with pytest.raises(PolicyError, match="carrying"):
        world.issuer.issue(world.attester.enrol(ALICE), first)
    assert phone.request_credential(OPERATOR) == first  # still pending
    assert phone.discard_request(OPERATOR) and not phone.discard_request(OPERATOR)
    _renew(world, phone)


def test_a_damaged_pseudonym_record_is_cleared_by_a_reset(tmp_path: Path) -> None:
    world = make_credential_world()
    records = SQLiteNymRecords(tmp_path / "nyms.sqlite", OPERATOR)
    issuer = CredentialIssuer(
        OPERATOR, world.source, world.attester, clock=world.clock, keys=world.issuer.keys,
        nym_records=records,
    )  # fmt: skip
    phone = world.holder()
    phone.receive(
        OPERATOR, issuer.issue(world.attester.enrol(ALICE), phone.request_credential(OPERATOR))
    )
    with sqlite3.connect(tmp_path / "nyms.sqlite") as db:
        db.execute("UPDATE zkcheck_nym_records SET signer_nym_entropy = x'00'")
    with pytest.raises(DecodeError, match="damaged"):
        issuer.issue(world.attester.enrol(ALICE), phone.request_credential(OPERATOR))
    issuer.reset_pseudonym(ALICE)  # deletes without reading what it deletes
    assert list(records) == []
    issuer.reset_pseudonym(ALICE)  # nothing left to reset: no error
    request = phone.request_credential(OPERATOR, new_pseudonym=True)
    phone.receive(OPERATOR, issuer.issue(world.attester.enrol(ALICE), request))
    records.close()


def test_a_reset_in_the_week_of_the_held_credential_takes_effect_at_once() -> None:
    world = make_credential_world()
    phone = world.issued_holder()
    social = _verifier(world)
    before = _sign_up(phone, social, SOCIAL)
    # The operator resets the subscriber's secret and the same phone asks for a new one two
    # hours later: the new credential expires on the day the old one does.
    world.clock.advance(timedelta(hours=2))
    world.issuer.reset_pseudonym(ALICE)
    request = phone.request_credential(OPERATOR, new_pseudonym=True)
    assert request.carry_over is None
    phone.receive(OPERATOR, world.issuer.issue(world.attester.enrol(ALICE), request))
    old, new = phone.wallet.held()
    assert old.expiry_day == new.expiry_day and old.issue_hour < new.issue_hour
    # The phone shows the new pseudonym, also once its wallet has been through its file,
    # and renews the new secret, which is the one the operator keeps.
    after = _sign_up(phone, social, SOCIAL)
    assert after != before
    restored = CredentialWallet.import_wallet(phone.wallet.export_wallet())
    assert (
        _sign_up(CredentialHolder(world.trust, clock=world.clock, wallet=restored), social, SOCIAL)
        == after
    )
    _renew(world, phone)
    assert _sign_up(phone, social, SOCIAL) == after


def test_the_holder_refuses_a_renewal_that_changes_its_secret() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    request = holder.request_credential(OPERATOR)
    honest = world.issuer.issue(world.attester.enrol(ALICE), request)
    # An operator that signs the renewal with another entropy would change every pseudonym
    # of the holder: the signature verifies, and the holder refuses.
    key = world.issuer._keys.signing_key(int(world.clock.now().timestamp()))
    assert key is not None
    entropy = generate_signer_nym_entropy()
    signature = credential.blind_sign(
        key.secret_key, key.entry.public_key, request.commitment_with_proof, entropy, honest.facts
    )
    with pytest.raises(PolicyError):
        holder.receive(
            OPERATOR, CredentialResponse(honest.key_id, signature, entropy, honest.facts)
        )
    assert holder.remaining() == 1


def test_every_tampered_carry_over_field_gives_a_typed_error() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    evidence = world.attester.enrol(ALICE)
    request = holder.request_credential(OPERATOR)
    carry = request.carry_over
    assert carry is not None
    _, current = _current_key(world)
    (future,) = [key for key in world.issuer.credential_keys() if key != current]
    cases: list[tuple[CarryOver, tuple[type[ZkcheckError], ...]]] = [
        (replace(carry, key_id=bytes(16)), (UntrustedIssuer,)),
        (replace(carry, key_id=future.key_id), (InvalidProof,)),
        (replace(carry, expiry_day=carry.expiry_day + 7), (InvalidProof,)),
        (replace(carry, expiry_day=carry.expiry_day - 7), (PolicyError,)),
        (replace(carry, bbs_proof=_flip(carry.bbs_proof, 0)), (DecodeError, InvalidProof)),
        (replace(carry, bbs_proof=_flip(carry.bbs_proof, 591)), (InvalidProof,)),
        (replace(carry, proof=_flip(carry.proof, 63)), (InvalidProof,)),
        (replace(carry, proof=bytes(64)), (DecodeError,)),
    ]
    for changed, error in cases:
        with pytest.raises(error):
            world.issuer.issue(evidence, CredentialRequest(request.commitment_with_proof, changed))
    # A carry-over moved to another commitment, and malformed encodings.
    other = world.holder().request_credential(OPERATOR)
    with pytest.raises(InvalidProof):
        world.issuer.issue(evidence, CredentialRequest(other.commitment_with_proof, carry))
    fields = decode(request.to_bytes())
    malformed: tuple[object, ...] = (
        [],
        {1: carry.key_id},
        {**fields[4], 3: carry.bbs_proof[:-1]},
        {**fields[4], 5: 0},
    )
    for value in malformed:
        with pytest.raises(DecodeError):
            world.issuer.issue(evidence, encode({**fields, 4: value}))
    # Nothing above was issued; the genuine renewal is.
    holder.receive(OPERATOR, world.issuer.issue(evidence, request))
    assert holder.remaining() == 2


def _current_key(world: CredentialWorld) -> tuple[Any, Any]:
    key = world.issuer._keys.signing_key(int(world.clock.now().timestamp()))
    assert key is not None
    return key.secret_key, key.entry


# -- tampered presentations at the verifier ------------------------------------------------


def _evidence(presented: bytes) -> dict[int, Any]:
    body: dict[int, Any] = decode(decode(presented)[4])
    return body


def _with_body(presented: bytes, key: int, value: Any) -> bytes:
    outer = decode(presented)
    body = decode(outer[4])
    if value is None:
        del body[key]
    else:
        body[key] = value
    outer[4] = encode(body)
    return encode(outer)


def test_every_tampered_pseudonym_field_gives_a_typed_error() -> None:
    world = make_credential_world()
    alice, bob = world.issued_holder(), world.issued_holder(BOB)
    social = _verifier(world)
    request = social.create_request()
    original = alice.present(request, origin=SOCIAL).to_bytes()
    shown = _evidence(original)[6]
    bobs = _evidence(bob.present(request, origin=SOCIAL).to_bytes())[6]
    proof = _evidence(original)[4]
    cases: list[tuple[bytes, type[ZkcheckError]]] = [
        (_with_body(original, 6, bobs), InvalidProof),
        (_with_body(original, 6, _flip(shown, 47)), DecodeError),
        (_with_body(original, 6, _flip(shown, 20)), DecodeError),
        (_with_body(original, 6, BP1_OCTETS), DecodeError),
        (_with_body(original, 6, shown[:-1]), DecodeError),
        (_with_body(original, 6, "pseudonym"), DecodeError),
        (_with_body(original, 6, None), DecodeError),
        (_with_body(original, 4, _flip(proof, len(proof) - 33)), InvalidProof),  # m^_11
        (_with_body(original, 7, b""), DecodeError),
    ]
    for tampered, error in cases:
        with pytest.raises(error):
            social.verify(tampered, number=ALICE)
    # A pseudonym the request did not ask for is refused, as is one made for another
    # verifier's request.
    plain = world.verifier(verifier_id=SOCIAL)
    plain_request = plain.create_request()
    unasked = alice.present(plain_request).to_bytes()
    with pytest.raises(DecodeError):
        plain.verify(_with_body(unasked, 6, shown), number=ALICE)
    other = _verifier(world, OTHER)
    made_for_other = alice.present(other.create_request(), origin=OTHER)
    moved = Presentation("credential", request.nonce, made_for_other.body)
    with pytest.raises(InvalidProof):
        social.verify(moved, number=ALICE)
    # Nothing consumed the nonce: the genuine presentation verifies.
    assert social.verify(original, number=ALICE).pseudonym == shown


@cache
def _one_pseudonym_presentation() -> tuple[Verifier, bytes]:
    world = make_credential_world()
    social = _verifier(world)
    return social, world.issued_holder().present(social.create_request(), origin=SOCIAL).to_bytes()


@given(st.data())
def test_any_changed_byte_of_a_pseudonym_presentation_is_refused(data: st.DataObject) -> None:
    social, original = _one_pseudonym_presentation()
    with pytest.raises(ZkcheckError):
        social.verify(_one_byte_changed(data, original), number=ALICE)


@cache
def _one_renewal() -> tuple[CredentialWorld, bytes, bytes]:
    world = make_credential_world()
    holder = world.issued_holder()
    return world, world.attester.enrol(ALICE), holder.request_credential(OPERATOR).to_bytes()


@given(st.data())
def test_any_changed_byte_of_a_renewal_is_refused(data: st.DataObject) -> None:
    world, evidence, original = _one_renewal()
    with pytest.raises(ZkcheckError):
        world.issuer.issue(evidence, _one_byte_changed(data, original))


# -- privacy ---------------------------------------------------------------------------------


def _windows(value: bytes, size: int = 16) -> set[bytes]:
    return {value[i : i + size] for i in range(len(value) - size + 1)}


def _fresh_values(presented: bytes) -> list[bytes]:
    """The values of a presentation that are not public constants, request echoes or the
    disclosed expiry: every field of the BBS proof, and the pseudonym."""
    body = _evidence(presented)
    proof = body[4]
    fields = [proof[i : i + 48] for i in range(0, 144, 48)]
    fields += [proof[i : i + 32] for i in range(144, len(proof), 32)]
    return [*fields, body[6]]


def test_two_verifiers_cannot_link_a_holders_pseudonyms() -> None:
    world = make_credential_world()
    alice, bob = world.issued_holder(), world.issued_holder(BOB)
    social, other = _verifier(world), _verifier(world, OTHER)
    seen: dict[str, list[bytes]] = {SOCIAL: [], OTHER: []}
    for verifier, origin in ((social, SOCIAL), (other, OTHER)):
        request = verifier.create_request()
        for holder in (alice, bob):
            seen[origin].append(holder.present(request, origin=origin).to_bytes())
    # At one verifier, two holders' presentations of one request differ only in their
    # fresh values and their pseudonyms: the same length, the same constants.
    for shown in seen.values():
        a, b = shown
        assert len(a) == len(b)
        assert _evidence(a)[6] != _evidence(b)[6]
        assert {k: v for k, v in _evidence(a).items() if k not in (4, 6)} == {
            k: v for k, v in _evidence(b).items() if k not in (4, 6)
        }
    # Across verifiers no value a presentation shows, pseudonym included, shares even a
    # 16-octet window with any value shown to the other verifier.
    at_social = set().union(*(_windows(v) for p in seen[SOCIAL] for v in _fresh_values(p)))
    at_other = set().union(*(_windows(v) for p in seen[OTHER] for v in _fresh_values(p)))
    assert not at_social & at_other
    # Nor is one pseudonym a function of the other that a verifier could compute from
    # public values: the two contexts' bases are independent points, and Alice's two
    # pseudonyms relate by the unknown ratio of those bases, the same for every holder
    # only if the verifiers knew the discrete logarithm between them.
    alice_social, alice_other = (_evidence(seen[origin][0])[6] for origin in (SOCIAL, OTHER))
    assert alice_social != alice_other
    assert pseudonym(alice.wallet._held[0].nym_secret, context_id(OTHER)) == alice_other


def test_the_operator_cannot_link_issuance_or_renewal_to_pseudonyms() -> None:
    world = make_credential_world()
    holder = world.holder()
    kept: list[bytes] = []  # everything the operator sees or stores for this subscriber
    for _ in range(2):
        request = holder.request_credential(OPERATOR)
        response = world.issuer.issue(world.attester.enrol(ALICE), request)
        holder.receive(OPERATOR, response)
        commitment = request.commitment_with_proof
        kept += [commitment[:48], *(commitment[i : i + 32] for i in range(48, 176, 32))]
        kept += [response.signature[:48], response.signature[48:], response.signer_nym_entropy]
        if request.carry_over is not None:
            proof = request.carry_over.bbs_proof
            kept += [proof[i : i + 48] for i in range(0, 144, 48)]
            kept += [proof[i : i + 32] for i in range(144, len(proof), 32)]
            kept += [request.carry_over.proof[:32], request.carry_over.proof[32:]]
    record = world.issuer._nym_records[ALICE]
    kept += [record.signer_nym_entropy, record.first_request]
    operator_windows = set().union(*(_windows(value) for value in kept))
    for origin in (SOCIAL, OTHER):
        verifier = _verifier(world, origin)
        for _ in range(2):
            shown = holder.present(verifier.create_request(), origin=origin).to_bytes()
            for value in _fresh_values(shown):
                assert not _windows(value) & operator_windows
            # The operator knows its entropy e but not the holder's part of the secret:
            # OP * e, the only multiple of OP it can form from what it keeps, is not the
            # pseudonym.
            op = hash_to_curve(
                context_id(origin),
                credential.API_ID,
                suite=CIPHERSUITE.hash_to_curve_suite,
                backend=BACKEND,
            )
            guess = BACKEND.g1_mul(op, int.from_bytes(record.signer_nym_entropy, "big"))
            assert BACKEND.g1_to_bytes(guess) != _evidence(shown)[6]


# -- messages --------------------------------------------------------------------------------


def test_pseudonym_fields_have_one_encoding() -> None:
    world = make_credential_world()
    social = _verifier(world)
    request = social.create_request()
    fields = decode(request.to_bytes())
    assert fields[10] is True
    for value in (False, 1, b"", "true"):
        with pytest.raises(DecodeError):
            Request.from_bytes(encode({**fields, 10: value}))
    plain = world.verifier().create_request()
    assert 10 not in decode(plain.to_bytes()) and not plain.pseudonym
    record = ResultRecord("credential", OPERATOR, (NUMBER,), 0, SOCIAL, bytes(48))
    assert ResultRecord.from_bytes(record.to_bytes()) == record
    for wrong in (bytes(47), None, 1):
        with pytest.raises(DecodeError):
            ResultRecord.from_bytes(encode({**decode(record.to_bytes()), 7: wrong}))
    holder = world.issued_holder()
    renewal = holder.request_credential(OPERATOR)
    assert CredentialRequest.from_bytes(renewal.to_bytes()) == renewal
    assert renewal.to_bytes() == CredentialRequest.from_bytes(renewal.to_bytes()).to_bytes()


def test_inspect_explains_pseudonyms_and_carry_overs() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    social = _verifier(world)
    request = social.create_request()
    shown = holder.present(request, origin=SOCIAL)
    result = social.verify(shown, number=ALICE)
    assert result.pseudonym is not None
    asked = explain_request(request.to_bytes())
    assert ("pseudonym", "asked") in asked.fields
    assert any("pseudonym" in item for item in asked.reveals)
    recorded = explain_result(result.to_bytes())
    assert ("pseudonym", result.pseudonym.hex()) in recorded.fields
    presented = CREDENTIAL.explain_presentation(shown)
    assert ("pseudonym", result.pseudonym.hex()) in presented.fields
    assert any("pseudonym for this verifier" in item for item in presented.reveals)
    renewal = CREDENTIAL.explain(
        CredentialRequest.KIND, holder.request_credential(OPERATOR).to_bytes()
    )
    assert [name for name, _ in renewal.fields][-1] == "carry-over"
    # Without a pseudonym, none of this is shown.
    plain = world.verifier().create_request()
    assert not any("pseudonym" in name for name, _ in explain_request(plain.to_bytes()).fields)


def _one_byte_changed(data: st.DataObject, original: bytes) -> bytes:
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != original[position]))
    return original[:position] + bytes([value]) + original[position + 1 :]


def _flip(octets: bytes, offset: int) -> bytes:
    changed = bytearray(octets)
    changed[offset] ^= 1
    return bytes(changed)
