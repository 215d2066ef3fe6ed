"""The presentation transcript, prover and verifier (spec/09-predicate-proofs.md, hazmat level).

Without statements, a presentation is a BBS proof whose challenge is the
chapter-9 transcript, item by item. Statements plug in through the
:class:`~zkcheck.hazmat.presentation.Statement` protocol: the test statement
below, a Pedersen commitment that opens to the signed value of one attribute
(the committed-disclosure link of chapter 9), uses every hook (its own
statement octets, first messages sent or recomputed, a chosen BBS nonce,
responses, deferred equations) as predicates and pseudonym blocks will.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from zkcheck.errors import DecodeError, InvalidProof, PolicyError, ZkcheckError
from zkcheck.hazmat import Rng, bbs, credential, presentation
from zkcheck.hazmat import predicate_statements as statements
from zkcheck.hazmat.backend import G1, GROUP_ORDER
from zkcheck.hazmat.bbs import Ciphersuite
from zkcheck.hazmat.bbs_pseudonym import generate_prover_nyms, generate_signer_nym_entropy
from zkcheck.hazmat.credential import HOUR_SENTINEL, Index, LayoutFacts
from zkcheck.hazmat.predicate_parameters import lp, predicate_generators
from zkcheck.hazmat.predicates import predicate
from zkcheck.hazmat.presentation import (
    VERSION_1,
    VERSION_2,
    DeferredCheck,
    PresentationProof,
    PresentationVersion,
    Recomputed,
)
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired

R = GROUP_ORDER
CIPHERSUITE = bbs.get_ciphersuite()
BACKEND = CIPHERSUITE.backend
SK, PK = credential.generate_key()
HOUR = credential.hour_floor(int(datetime(2026, 3, 10, 12, tzinfo=UTC).timestamp()))
FACTS = LayoutFacts(
    issue_hour=HOUR,
    expiry_day=credential.expiry_day(HOUR),
    birth_day=date(1990, 5, 17).toordinal(),
    sim_change_hour=HOUR - 9,
    device_change_hour=HOUR_SENTINEL,
    contract_start_day=date(2019, 1, 31).toordinal(),
    msisdn="+34600000101",
    home_country="ES",
)
PH = bytes(range(32))
DISCLOSED = [Index.TYPE_VERSION, Index.EXPIRY_DAY]


def _credential() -> tuple[bytes, list[int]]:
    holder_secret = credential.generate_holder_secret()
    (prover_nym,) = generate_prover_nyms(1)
    commitment, blind = credential.commit(holder_secret, prover_nym)
    entropy = generate_signer_nym_entropy()
    signature = credential.blind_sign(SK, PK, commitment, entropy, FACTS)
    nym = credential.complete(PK, signature, FACTS, holder_secret, prover_nym, entropy, blind)
    return signature, credential.message_scalars(FACTS, blind, holder_secret, nym)


SIGNATURE, MESSAGES = _credential()


def _disclosed(indexes: list[int] = DISCLOSED) -> dict[int, int]:
    return {int(i): MESSAGES[i] for i in indexes}


def _scalar(rng: Rng | None) -> int:
    (value,) = bbs.calculate_random_scalars(1, rng, ciphersuite=CIPHERSUITE)
    return value or 1


@dataclass
class _OpeningCommitment:
    nonce: int
    first_messages: bytes
    commitment: bytes
    s: int
    s_tilde: int
    sent: bool

    def respond(self, challenge: int) -> bytes:
        s_hat = (self.s_tilde + challenge * self.s) % R
        sent = self.first_messages[48:] if self.sent else b""
        return self.commitment + sent + s_hat.to_bytes(32, "big")


@dataclass(frozen=True)
class Opening:
    """C = m_a * Y_1 + s * Y_0 opens to the signed message a; C~ reuses the BBS nonce m~_a.

    ``sent``: C~ travels and is checked as a deferred equation; otherwise the
    verifier recomputes it. ``offset`` makes a cheating prover that commits to
    m_a + offset; ``label`` names the statement in the transcript.
    """

    attribute: int
    sent: bool = False
    offset: int = 0
    label: bytes = b"test-opening"

    @property
    def wire_length(self) -> int:
        return 48 + (48 if self.sent else 0) + 32

    def statement_octets(self) -> bytes:
        return lp(self.label) + self.attribute.to_bytes(8, "big")

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> _OpeningCommitment:
        if self.label == b"refuse":
            raise PolicyError("the statement does not hold")
        y_0, y_1 = predicate_generators(credential.API_ID, ciphersuite=ciphersuite)
        m_tilde, s, s_tilde = _scalar(rng), _scalar(rng), _scalar(rng)
        c_point = BACKEND.g1_msm([y_1, y_0], [(value + self.offset) % R, s])
        c_tilde = BACKEND.g1_msm([y_1, y_0], [m_tilde, s_tilde])
        encoded = BACKEND.g1_to_bytes(c_point)
        first = encoded + BACKEND.g1_to_bytes(c_tilde)
        return _OpeningCommitment(m_tilde, first, encoded, s, s_tilde, self.sent)

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        y_0, y_1 = predicate_generators(credential.API_ID, ciphersuite=ciphersuite)
        c_point = _point(wire[:48])
        s_hat = int.from_bytes(wire[-32:], "big")
        if not 0 < s_hat < R:
            raise DecodeError("scalar out of range")
        if self.sent:
            c_tilde = _point(wire[48:96])
            check = DeferredCheck(
                (y_1, y_0, c_point, c_tilde), (response, s_hat, R - challenge, R - 1)
            )
            return Recomputed(wire[:96], (check,))
        c_tilde = BACKEND.g1_msm([y_1, y_0, c_point], [response, s_hat, R - challenge])
        return Recomputed(wire[:48] + BACKEND.g1_to_bytes(c_tilde))


def _point(octets: bytes) -> G1:
    point = BACKEND.g1_from_bytes(octets)
    if BACKEND.g1_is_identity(point):
        raise DecodeError("identity")
    return point


def _prove(**options: object) -> PresentationProof:
    arguments: dict[str, object] = {"version": VERSION_1}
    arguments.update(options)
    return presentation.prove(PK, SIGNATURE, MESSAGES, DISCLOSED, PH, **arguments)  # type: ignore[arg-type]


def _verify(proof: PresentationProof, **options: object) -> None:
    arguments: dict[str, object] = {"disclosed": _disclosed(), "ph": PH, "version": VERSION_1}
    arguments.update(options)
    presentation.verify(PK, proof, **arguments)  # type: ignore[arg-type]


def _init(proof: bytes, disclosed: dict[int, int]) -> bbs.ProofInitResult:
    return bbs.proof_verify_init(
        PK,
        bbs.octets_to_proof(proof, ciphersuite=CIPHERSUITE),
        credential.generators(CIPHERSUITE),
        credential.HEADER,
        list(disclosed.values()),
        list(disclosed),
        credential.API_ID,
        ciphersuite=CIPHERSUITE,
    )


@pytest.mark.parametrize("version", [VERSION_1, VERSION_2], ids=["version 1", "version 2"])
def test_transcript_without_statements_matches_the_specified_octets(
    version: PresentationVersion,
) -> None:
    proof = _prove(version=version)
    _verify(proof, version=version)
    assert len(proof.bbs_proof) == 592 == presentation.bbs_proof_length(2)
    assert proof.predicate_proof == proof.pseudonym_proof == b""
    init = _init(proof.bbs_proof, _disclosed())
    i2osp = int.to_bytes
    protocol_id = b"ZKCHECK-PRESENTATION-V%d" % version.number
    context = b"".join(
        [
            i2osp(23, 8, "big") + protocol_id,  # 1
            i2osp(35, 8, "big") + b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_",  # 2
            PK,  # 3
            i2osp(46, 8, "big") + credential.HEADER,  # 4
            i2osp(1, 8, "big"),  # 5
            i2osp(2, 8, "big"),  # 6
            i2osp(0, 8, "big") + i2osp(65537, 32, "big"),
            i2osp(2, 8, "big") + i2osp(FACTS.expiry_day, 32, "big"),
            i2osp(0, 8, "big"),  # 7
            i2osp(32, 8, "big") + PH,  # 8
        ]
    )
    expected = b"".join(
        [
            context,  # 9 is empty
            i2osp(0, 8, "big"),  # 10
            *(BACKEND.g1_to_bytes(p) for p in (init.Abar, init.Bbar, init.D, init.T1, init.T2)),
            i2osp(init.domain, 32, "big"),  # 11
        ]
    )
    built = presentation.context_octets(
        PK, list(_disclosed().items()), [], PH, version=version, ciphersuite=CIPHERSUITE
    )
    assert built == context
    assert (
        presentation.challenge_input(context, [], b"", [], [], init, ciphersuite=CIPHERSUITE)
        == expected
    )
    dst = credential.API_ID + b"PRESENTATION_V%d_H2S_" % version.number
    challenge = bbs.hash_to_scalar(expected, dst)
    assert proof.bbs_proof[-32:] == challenge.to_bytes(32, "big")
    # The version is the first item hashed: a proof of one version fails as the other.
    other = VERSION_2 if version is VERSION_1 else VERSION_1
    with pytest.raises(InvalidProof):
        _verify(proof, version=other)


def test_the_bbs_proof_has_the_drafts_encoding_and_another_challenge() -> None:
    proof = _prove()
    decoded = bbs.octets_to_proof(proof.bbs_proof, ciphersuite=CIPHERSUITE)
    assert len(decoded.commitments) == 10
    assert bbs.proof_to_octets(decoded, ciphersuite=CIPHERSUITE) == proof.bbs_proof
    # The draft's own ProofChallengeCalculate gives another challenge: a presentation
    # is not a plain BBS proof, and a plain BBS proof is not a presentation.
    with pytest.raises(InvalidProof):
        bbs.core_proof_verify(
            PK,
            proof.bbs_proof,
            credential.generators(CIPHERSUITE),
            credential.HEADER,
            PH,
            list(_disclosed().values()),
            DISCLOSED,
            credential.API_ID,
            ciphersuite=CIPHERSUITE,
        )
    plain = bbs.core_proof_gen(
        PK,
        SIGNATURE,
        credential.generators(CIPHERSUITE),
        credential.HEADER,
        PH,
        MESSAGES,
        DISCLOSED,
        credential.API_ID,
        ciphersuite=CIPHERSUITE,
    )
    with pytest.raises(InvalidProof):
        _verify(PresentationProof(plain))


@pytest.mark.parametrize("sent", [False, True], ids=["recomputed", "sent-and-deferred"])
def test_a_statement_plugs_in_through_every_hook(sent: bool) -> None:
    birth = Opening(Index.BIRTH_DAY, sent=sent)
    swap = Opening(Index.SIM_CHANGE_HOUR, sent=sent)
    nym = Opening(Index.NYM_SECRET, sent=True)
    # Given in any order, statements are proven and hashed in ascending attribute order.
    proof = _prove(statements=[swap, birth], pseudonyms=[nym])
    assert len(proof.predicate_proof) == 2 * birth.wire_length
    assert len(proof.pseudonym_proof) == nym.wire_length
    _verify(proof, statements=[birth, swap], pseudonyms=[nym])
    # The chosen nonce is the BBS nonce of the attribute, at position pos(a) among the
    # undisclosed messages: the response m^_a opens C~ with the challenge.
    decoded = bbs.octets_to_proof(proof.bbs_proof, ciphersuite=CIPHERSUITE)
    undisclosed = [j for j in range(12) if j not in DISCLOSED]
    position = undisclosed.index(Index.BIRTH_DAY)
    assert position == 1  # index 3, after index 1 (0 and 2 are disclosed)
    recomputed = birth.recompute(
        proof.predicate_proof[: birth.wire_length],
        decoded.commitments[position],
        decoded.challenge,
        ciphersuite=CIPHERSUITE,
    )
    init = _init(proof.bbs_proof, _disclosed())
    context = presentation.context_octets(
        PK,
        list(_disclosed().items()),
        [birth, swap],
        PH,
        version=VERSION_1,
        ciphersuite=CIPHERSUITE,
    )
    transcript = presentation.challenge_input(
        context,
        [
            recomputed.first_messages,
            swap.recompute(
                proof.predicate_proof[birth.wire_length :],
                decoded.commitments[undisclosed.index(Index.SIM_CHANGE_HOUR)],
                decoded.challenge,
                ciphersuite=CIPHERSUITE,
            ).first_messages,
        ],
        b"",
        [nym],
        [proof.pseudonym_proof[:96]],
        init,
        ciphersuite=CIPHERSUITE,
    )
    assert bbs.hash_to_scalar(transcript, VERSION_1.challenge_dst) == decoded.challenge
    # A pseudonym block taken for a predicate, or a predicate for a block, with the
    # wires moved along: items 7 and 10 of the transcript differ, so the proof fails.
    everything = proof.predicate_proof + proof.pseudonym_proof
    with pytest.raises(InvalidProof):
        _verify(PresentationProof(proof.bbs_proof, everything), statements=[birth, swap, nym])
    split = birth.wire_length
    moved = PresentationProof(proof.bbs_proof, everything[:split], everything[split:])
    with pytest.raises(InvalidProof):
        _verify(moved, statements=[birth], pseudonyms=[swap, nym])


def test_a_sub_proof_about_another_value_than_the_signed_one_fails() -> None:
    for sent in (False, True):
        cheat = Opening(Index.BIRTH_DAY, sent=sent, offset=1)
        with pytest.raises(InvalidProof):
            _verify(_prove(statements=[cheat]), statements=[Opening(Index.BIRTH_DAY, sent=sent)])


def test_statements_are_the_verifiers_own() -> None:
    proof = _prove(statements=[Opening(Index.BIRTH_DAY)])
    _verify(proof, statements=[Opening(Index.BIRTH_DAY)])
    # Another statement after the challenge (label, attribute), or none: refused.
    for other in (
        [Opening(Index.BIRTH_DAY, label=b"test-opening-2")],
        [Opening(Index.CONTRACT_START_DAY)],
    ):
        with pytest.raises(InvalidProof):
            _verify(proof, statements=other)
    with pytest.raises(DecodeError):
        _verify(proof)
    # A sub-proof moved from another presentation answers another challenge.
    other = _prove(statements=[Opening(Index.BIRTH_DAY)])
    moved = PresentationProof(proof.bbs_proof, other.predicate_proof)
    with pytest.raises(InvalidProof):
        _verify(moved, statements=[Opening(Index.BIRTH_DAY)])


def test_a_false_sent_first_message_fails_the_batched_check() -> None:
    statement = Opening(Index.BIRTH_DAY, sent=True)
    proof = _prove(statements=[statement])
    wire = bytearray(proof.predicate_proof)
    # Replace the sent C~ by another point: the transcript hashes the new one, so the
    # prover would have to guess the challenge; here the challenge no longer matches.
    wire[48:96] = BACKEND.g1_to_bytes(BACKEND.g1_mul(CIPHERSUITE.P1, 5))
    with pytest.raises(InvalidProof):
        _verify(PresentationProof(proof.bbs_proof, bytes(wire)), statements=[statement])


def test_deferred_equations_are_checked_in_one_batch() -> None:
    y_0, y_1 = predicate_generators(credential.API_ID, ciphersuite=CIPHERSUITE)
    good = DeferredCheck((y_0, y_1, BACKEND.g1_msm([y_0, y_1], [3, 4])), (3, 4, R - 1))
    bad = DeferredCheck((y_0, y_1, BACKEND.g1_msm([y_0, y_1], [3, 5])), (3, 4, R - 1))
    for version in (VERSION_1, VERSION_2):
        presentation._batch_check([good, good], b"seed", version.batch_dst, CIPHERSUITE)
        for checks in ([bad], [good, bad], [bad, good, good]):
            with pytest.raises(InvalidProof):
                presentation._batch_check(checks, b"seed", version.batch_dst, CIPHERSUITE)


def test_statement_rules() -> None:
    with pytest.raises(ValueError):
        _prove(statements=[Opening(Index.BIRTH_DAY), Opening(Index.BIRTH_DAY, sent=True)])
    with pytest.raises(ValueError):
        _prove(statements=[Opening(Index.BIRTH_DAY)], pseudonyms=[Opening(Index.BIRTH_DAY)])
    with pytest.raises(ValueError):
        _prove(statements=[Opening(Index.EXPIRY_DAY)])  # a disclosed message
    # A statement that does not hold for the holder's value: nothing is shown.
    with pytest.raises(PolicyError):
        _prove(statements=[Opening(Index.BIRTH_DAY, label=b"refuse")])
    # A range link needs the aggregated range proof of version 2, as a predicate.
    link = predicate(statements.age_over(18, 3600 * HOUR, Index.BIRTH_DAY), VERSION_2)
    assert isinstance(link, presentation.RangeLink)
    _verify(_prove(statements=[link], version=VERSION_2), statements=[link], version=VERSION_2)
    for wrong in ({"statements": [link]}, {"pseudonyms": [link], "version": VERSION_2}):
        with pytest.raises(ValueError):
            _prove(**wrong)


def test_every_input_of_the_verifier_is_bound() -> None:
    statement = Opening(Index.BIRTH_DAY, sent=True)
    proof = _prove(statements=[statement])
    _verify(proof, statements=[statement])
    other_sk, other_pk = credential.generate_key()
    del other_sk
    wrong: list[tuple[type[ZkcheckError], dict[str, object]]] = [
        (InvalidProof, {"ph": PH[:-1] + b"\x00"}),
        (InvalidProof, {"disclosed": {0: MESSAGES[0], 2: MESSAGES[2] + 7}}),
        (InvalidProof, {"disclosed": {0: MESSAGES[0] + 1, 2: MESSAGES[2]}}),
        (DecodeError, {"disclosed": _disclosed([0, 2, 7])}),
        (DecodeError, {"disclosed": _disclosed([0])}),
    ]
    for error, changes in wrong:
        with pytest.raises(error):
            _verify(proof, statements=[statement], **changes)
    with pytest.raises(InvalidProof):
        presentation.verify(
            other_pk, proof, _disclosed(), PH, version=VERSION_1, statements=[statement]
        )
    # Lengths, and every point and scalar of both wires.
    for bbs_proof, predicate_proof in (
        (proof.bbs_proof[:-32], proof.predicate_proof),
        (proof.bbs_proof + bytes(32), proof.predicate_proof),
        (proof.bbs_proof, proof.predicate_proof[:-1]),
        (proof.bbs_proof, proof.predicate_proof + b"\x00"),
        (proof.bbs_proof[:-32] + R.to_bytes(32, "big"), proof.predicate_proof),
        (proof.bbs_proof, bytes([0xC0]) + bytes(47) + proof.predicate_proof[48:]),
        (proof.bbs_proof, proof.predicate_proof[:-32] + bytes(32)),
    ):
        with pytest.raises(DecodeError):
            _verify(PresentationProof(bbs_proof, predicate_proof), statements=[statement])
    draw = random.Random(5)
    for wire in ("bbs_proof", "predicate_proof"):
        original = getattr(proof, wire)
        for _ in range(12):
            changed = bytearray(original)
            changed[draw.randrange(len(changed))] ^= 1 << draw.randrange(8)
            with pytest.raises((DecodeError, InvalidProof)):
                _verify(proof._replace(**{wire: bytes(changed)}), statements=[statement])


def test_fresh_randomness_in_every_presentation() -> None:
    first, second = _prove(), _prove()
    assert first.bbs_proof != second.bbs_proof
    for start in range(0, len(first.bbs_proof), 16):
        assert first.bbs_proof[start : start + 16] != second.bbs_proof[start : start + 16]


@dataclass(frozen=True)
class _Unlucky(Opening):
    """An opening whose first attempt draws a value the encoding forbids."""

    attempts: list[int] = field(default_factory=list)

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> _OpeningCommitment:
        self.attempts.append(1)
        if len(self.attempts) == 1:
            raise FreshRandomnessRequired("a zero response")
        return super().commit(value, rng=rng, ciphersuite=ciphersuite)


def test_a_statement_that_needs_fresh_randomness_makes_the_presentation_again() -> None:
    unlucky = _Unlucky(Index.BIRTH_DAY)
    proof = _prove(statements=[unlucky])
    assert len(unlucky.attempts) == 2
    _verify(proof, statements=[Opening(Index.BIRTH_DAY)])

    class _Never(Opening):
        def commit(
            self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
        ) -> _OpeningCommitment:
            raise FreshRandomnessRequired("always")

    with pytest.raises(ValueError):
        _prove(statements=[_Never(Index.BIRTH_DAY)])
