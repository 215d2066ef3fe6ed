"""The credential tier: presentation verification and issuance, layout version 1.

A layout-1 credential signs 12 messages (9 from the operator, the prover's
blind, the holder secret and the nym secret). The acceptance bound: verifying
a presentation with the full layout and one disclosed message costs at most
1.3 plain ``bbs.proof_verify`` calls with 12 messages and one disclosed,
measured interleaved in the same run. A presentation differs from a plain
proof in its challenge (chapter 9's transcript, which also hashes the
protocol identifier, the public key, the header and the layout version) and
in its typed messages (no disclosed message to hash).

Also measured against the same floor: a whole ``Verifier.verify`` of a
``number`` presentation (3 of 12 messages disclosed: strict decoding, the
stored request, the key, the expiry, the nonce store) against plain
verification with 3 disclosed; and issuance: the holder's commitment, the
operator's blind signature (with its commitment check), the holder's
completion (its checks and the signature's verification), and the whole
round trip through the roles. Ciphersuite BLS12-381-SHA-256, the default backend
(the one the roles use, so that every ratio compares like with like).

Pseudonyms (spec/13-pseudonyms.md): verifying a presentation with a pseudonym
block costs at most 1.5 verifications of the same credential's presentation
without one (bound), both with one disclosed message, interleaved in the same
run; also the verifier's whole ``Verifier.verify`` of a ``number`` presentation
with a pseudonym against one without, and the operator's check of a renewal's
carry-over proof (a presentation of version 1) against plain ``bbs.proof_verify``.

Predicates (spec/09-predicate-proofs.md, version 2): an ``age_over:18``
presentation, its verification alone and the whole ``Verifier.verify``,
costs at most 3 plain ``ProofVerify`` of the same credential (bound), and its
whole presentation message is at most 1536 octets (reported against that
bound); age, swap (with its freshness predicate) and tenure in one
presentation are measured against the same floor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks.harness import Session
from benchmarks.verifying import repeated_verification
from zkcheck.claims import Check, SubscriberFacts, SwapRecord
from zkcheck.encoding.cose import COSESigningKey
from zkcheck.hazmat import bbs, credential, predicate_statements, presentation
from zkcheck.hazmat.backend import get_backend
from zkcheck.hazmat.bbs_pseudonym import generate_prover_nyms, generate_signer_nym_entropy
from zkcheck.hazmat.credential import LayoutFacts
from zkcheck.hazmat.credential_pseudonym import (
    CARRY_OVER_VERSION,
    CarryOverBlock,
    CarryOverOpening,
    PseudonymBlock,
    carried_prover_nym,
    carry_over_header,
    context_id,
)
from zkcheck.hazmat.predicates import predicate
from zkcheck.hazmat.presentation import VERSION_2
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles import (
    CredentialHolder,
    CredentialIssuer,
    InsecureTestAttester,
    Issuer,
    Policy,
    Verifier,
)
from zkcheck.roles.credential_issuer import layout_facts
from zkcheck.sources import MemorySubscriberSource
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.federation import private_trust
from zkcheck.trust.nonces import MemoryNonceStore
from zkcheck.trust.trust_client import TrustListAnchors

__all__ = ["run"]

BACKEND = get_backend()
HEADER = b"zkcheck benchmark header"
PH = b"zkcheck benchmark presentation header"
PLAIN_MESSAGES = [f"message {i}: {'x' * (8 * i)}".encode() for i in range(12)]
BOUND = 1.3
PSEUDONYM_BOUND = 1.5
"""Pseudonyms: a presentation with a pseudonym verifies in at most 1.5 without one."""
AGE_BOUND = 3.0
"""Chapter 9, version 2: an age_over:18 presentation verifies in at most 3 plain ProofVerify."""
AGE_OCTETS = 1536
"""Chapter 9, version 2: an age_over:18 presentation message is at most 1.5 KiB."""
NOW = datetime(2026, 3, 10, 12, 34, tzinfo=UTC)
OPERATOR = "operator.example"
NUMBER = "+34600000101"
SUBSCRIBER = SubscriberFacts(
    msisdn=NUMBER,
    birth_date=datetime(1990, 5, 17).date(),
    sim=SwapRecord(datetime(2025, 1, 1, tzinfo=UTC)),
    contract_start=datetime(2019, 1, 31).date(),
    home_country="ES",
)

Op = Callable[[], object]


def _plain_proof_verify(disclosed: list[int]) -> tuple[str, Op]:
    sk = bbs.key_gen(b"zkcheck benchmark key material, 32+ bytes")
    pk = bbs.sk_to_pk(sk, backend=BACKEND)
    signature = bbs.sign(sk, pk, HEADER, PLAIN_MESSAGES, backend=BACKEND)
    proof = bbs.proof_gen(pk, signature, HEADER, PH, PLAIN_MESSAGES, disclosed, backend=BACKEND)
    shown = [PLAIN_MESSAGES[i] for i in disclosed]

    def verify() -> None:
        bbs.proof_verify(pk, proof, HEADER, PH, shown, disclosed, backend=BACKEND)

    verify()
    return f"bbs.proof_verify 12 msgs {len(disclosed)} disclosed", verify


@dataclass(frozen=True)
class _Issued:
    """A layout-1 credential issued at the hazmat level, with every value of its issuance."""

    sk: SecretBytes
    pk: bytes
    facts: LayoutFacts
    holder_secret: SecretBytes
    prover_nym: SecretBytes
    commitment: bytes
    blind: SecretBytes
    entropy: bytes
    signature: bytes
    nym_secret: SecretBytes
    messages: list[int]


def _issued() -> _Issued:
    sk, pk = credential.generate_key(backend=BACKEND)
    facts = layout_facts(SUBSCRIBER, NOW)
    holder_secret = credential.generate_holder_secret()
    (prover_nym,) = generate_prover_nyms(1)
    commitment, blind = credential.commit(holder_secret, prover_nym, backend=BACKEND)
    entropy = generate_signer_nym_entropy()
    signature = credential.blind_sign(sk, pk, commitment, entropy, facts, backend=BACKEND)
    nym_secret = credential.complete(
        pk, signature, facts, holder_secret, prover_nym, entropy, blind, backend=BACKEND
    )
    messages = credential.message_scalars(facts, blind, holder_secret, nym_secret)
    return _Issued(
        sk,
        pk,
        facts,
        holder_secret,
        prover_nym,
        commitment,
        blind,
        entropy,
        signature,
        nym_secret,
        messages,
    )


def _hazmat() -> dict[str, Op]:
    """Presentation verification, with and without a pseudonym, the three issuance steps,
    and the operator's check of a carry-over, at the hazmat level."""
    c = _issued()
    proof = presentation.prove(
        c.pk, c.signature, c.messages, [0], PH, version=VERSION_2, backend=BACKEND
    )

    def verify() -> None:
        presentation.verify(c.pk, proof, {0: c.messages[0]}, PH, version=VERSION_2, backend=BACKEND)

    # The same credential with a pseudonym block, for a verifier's context.
    block = PseudonymBlock(context_id("social.example"))
    with_nym = presentation.prove(
        c.pk,
        c.signature,
        c.messages,
        [0],
        PH,
        version=VERSION_2,
        pseudonyms=[block],
        backend=BACKEND,
    )

    def verify_with_nym() -> None:
        presentation.verify(
            c.pk,
            with_nym,
            {0: c.messages[0]},
            PH,
            version=VERSION_2,
            pseudonyms=[block],
            backend=BACKEND,
        )

    # A renewal's carry-over of the nym secret, as the operator checks it.
    carried = carried_prover_nym(c.nym_secret, c.entropy)
    renewal, renewal_blind = credential.commit(c.holder_secret, carried, backend=BACKEND)
    opening = CarryOverOpening(renewal_blind, c.holder_secret, carried)
    ph = carry_over_header(OPERATOR, renewal)
    carry_over = presentation.prove(
        c.pk,
        c.signature,
        c.messages,
        [0, 2],
        ph,
        version=CARRY_OVER_VERSION,
        pseudonyms=[CarryOverBlock(renewal, c.entropy, opening=opening)],
        backend=BACKEND,
    )

    def verify_carry_over() -> None:
        presentation.verify(
            c.pk,
            carry_over,
            {0: c.messages[0], 2: c.messages[2]},
            ph,
            version=CARRY_OVER_VERSION,
            pseudonyms=[CarryOverBlock(renewal, c.entropy)],
            backend=BACKEND,
        )

    for check in (verify, verify_with_nym, verify_carry_over):
        check()
    return {
        "pseudonym presentation verify 12 msgs 1 disclosed": verify_with_nym,
        "carry-over verify (operator, 2 disclosed)": verify_carry_over,
        "presentation verify 12 msgs 1 disclosed": verify,
        "presentation prove 12 msgs 1 disclosed": lambda: presentation.prove(
            c.pk, c.signature, c.messages, [0], PH, version=VERSION_2, backend=BACKEND
        ),
        "holder commit (holder secret, prover_nym)": lambda: credential.commit(
            c.holder_secret, c.prover_nym, backend=BACKEND
        ),
        "operator blind_sign 9 msgs + commitment": lambda: credential.blind_sign(
            c.sk, c.pk, c.commitment, c.entropy, c.facts, backend=BACKEND
        ),
        "holder complete (checks, verify)": lambda: credential.complete(
            c.pk,
            c.signature,
            c.facts,
            c.holder_secret,
            c.prover_nym,
            c.entropy,
            c.blind,
            backend=BACKEND,
        ),
    }


@dataclass(frozen=True)
class _World:
    """An operator with credential keys, a holder with one credential, their clock."""

    holder: CredentialHolder
    trust: TrustListAnchors
    clock: FixedClock
    issue: Op
    renew: Op


def _world() -> _World:
    clock = FixedClock(NOW)
    source = MemorySubscriberSource([SUBSCRIBER])
    attester = InsecureTestAttester()
    issuer = CredentialIssuer(OPERATOR, source, attester, clock=clock)
    signed = Issuer(OPERATOR, COSESigningKey.generate(), source, clock=clock)
    entry = signed.entry().with_credential_keys(issuer.credential_keys())
    trust = private_trust([entry], clock=clock)
    holder = CredentialHolder(trust, clock=clock)
    evidence = attester.enrol(NUMBER)

    def issue() -> None:
        # A first issuance every time: the operator forgets the subscriber's pseudonym secret.
        issuer.reset_pseudonym(NUMBER)
        request = holder.request_credential(OPERATOR, new_pseudonym=True)
        holder.receive(OPERATOR, issuer.issue(evidence, request.to_bytes()).to_bytes())
        del holder.wallet._held[:-1]  # keep the wallet at one credential

    def renew() -> None:
        request = holder.request_credential(OPERATOR)
        holder.receive(OPERATOR, issuer.issue(evidence, request.to_bytes()).to_bytes())
        del holder.wallet._held[:-1]

    issue()
    renew()
    return _World(holder, trust, clock, issue, renew)


def _role_verify(
    world: _World, checks: tuple[Check, ...], max_age: int, *, pseudonym: bool = False
) -> tuple[Op, int]:
    """A whole Verifier.verify of one presentation answering ``checks``, and its length."""
    nonces = MemoryNonceStore()
    policy = Policy(
        "bank.example", checks, tiers=("credential",), max_age=max_age, pseudonym=pseudonym
    )
    verifier = Verifier(policy, world.trust, clock=world.clock, nonces=nonces)
    request = verifier.create_request()
    shown = world.holder.present(request, origin="bank.example").to_bytes()
    number = NUMBER if Check.number() in checks else None
    verify = repeated_verification(verifier, nonces, request, shown, number=number)
    verify()
    return verify, len(shown)


def _same_credential() -> tuple[str, Op, Op, Op]:
    """The floor, a plain BBS ProofVerify over the layout-1 credential's own 12 messages
    (generators, header, type and expiry disclosed), and the age_over:18 presentation
    of that credential: its verification and its proof."""
    issued = _issued()
    pk, signature, messages = issued.pk, issued.signature, issued.messages
    ciphersuite = bbs.get_ciphersuite(credential.SUITE, BACKEND)
    generators = credential.generators(ciphersuite)
    shown = [0, 2]
    proof = bbs.core_proof_gen(
        pk,
        signature,
        generators,
        credential.HEADER,
        PH,
        messages,
        shown,
        credential.API_ID,
        ciphersuite=ciphersuite,
    )

    def plain() -> None:
        bbs.core_proof_verify(
            pk,
            proof,
            generators,
            credential.HEADER,
            PH,
            [messages[i] for i in shown],
            shown,
            credential.API_ID,
            ciphersuite=ciphersuite,
        )

    t = epoch_seconds(NOW)
    statement = predicate_statements.age_over(18, t, credential.Index.BIRTH_DAY)
    age = (predicate(statement, VERSION_2),)
    presented = presentation.prove(
        pk, signature, messages, shown, PH, version=VERSION_2, statements=age, backend=BACKEND
    )
    disclosed = {i: messages[i] for i in shown}

    def verify() -> None:
        presentation.verify(
            pk, presented, disclosed, PH, version=VERSION_2, statements=age, backend=BACKEND
        )

    def prove() -> None:
        presentation.prove(
            pk, signature, messages, shown, PH, version=VERSION_2, statements=age, backend=BACKEND
        )

    plain()
    verify()
    return "bbs ProofVerify, same credential, 2 disclosed", plain, verify, prove


def run(session: Session) -> None:
    floor_name, floor = _plain_proof_verify([0])
    operations = _hazmat()
    verify = operations.pop("presentation verify 12 msgs 1 disclosed")
    session.measure(
        "presentation verify 12 msgs 1 disclosed",
        verify,
        floor=floor,
        floor_name=floor_name,
        bound=BOUND,
    )
    with_nym = operations.pop("pseudonym presentation verify 12 msgs 1 disclosed")
    session.measure(
        "pseudonym presentation verify 12 msgs 1 disclosed",
        with_nym,
        floor=verify,
        floor_name="presentation verify 12 msgs 1 disclosed",
        bound=PSEUDONYM_BOUND,
        note="the same credential and request, with and without the pseudonym block",
    )
    world = _world()
    role_verify, _ = _role_verify(world, (Check.number(),), 21 * 86400)
    role_verify_with_nym, _ = _role_verify(world, (Check.number(),), 21 * 86400, pseudonym=True)
    three_name, three = _plain_proof_verify([0, 2, 7])
    session.measure(
        "Verifier.verify credential (number, 3 disclosed)",
        role_verify,
        floor=three,
        floor_name=three_name,
        note="decoding, stored request, key, expiry and nonce store included",
    )
    session.measure(
        "Verifier.verify credential (number, pseudonym)",
        role_verify_with_nym,
        floor=role_verify,
        floor_name="Verifier.verify credential (number, 3 disclosed)",
        note="the same holder and verifier, with and without a pseudonym asked",
    )
    for name, op in operations.items():
        session.measure(name, op, floor=floor, floor_name=floor_name)
    session.measure(
        "issuance round trip through the roles",
        world.issue,
        floor=floor,
        floor_name=floor_name,
        note="request_credential, CredentialIssuer.issue, receive; messages as bytes",
    )
    session.measure(
        "renewal round trip through the roles",
        world.renew,
        floor=floor,
        floor_name=floor_name,
        note="as above, with the carry-over proved by the holder and checked by the operator",
    )
    _predicates(session, world)


def _predicates(session: Session, world: _World) -> None:
    """Predicate presentations against plain ProofVerify of the same credential."""
    same_name, same, age_verify, age_prove = _same_credential()
    session.measure(
        "presentation verify age_over:18",
        age_verify,
        floor=same,
        floor_name=same_name,
        bound=AGE_BOUND,
        note="version 2: the BBS proof, the link and a 16-bit range proof, one challenge",
    )
    age, age_length = _role_verify(world, (Check.age_over(18),), 21 * 86400)
    session.measure(
        "Verifier.verify credential age_over:18",
        age,
        floor=same,
        floor_name=same_name,
        bound=AGE_BOUND,
        note=f"the whole presentation message is {age_length} octets (bound {AGE_OCTETS})",
    )
    bank_checks = (Check.age_over(18), Check.sim_swap(72), Check.tenure(12))
    bank, bank_length = _role_verify(world, bank_checks, 3600)
    session.measure(
        "Verifier.verify credential age+swap+tenure",
        bank,
        floor=same,
        floor_name=same_name,
        note=f"with the freshness predicate: four ranges in one range proof; {bank_length} octets",
    )
    session.measure("presentation prove age_over:18", age_prove, floor=same, floor_name=same_name)
    verdict = "ok" if age_length <= AGE_OCTETS else "OVER BOUND"
    print(
        f"  sizes (octets): age_over:18 presentation {age_length} (bound {AGE_OCTETS}: {verdict})"
    )
    print(f"    age_over:18 + sim_swap:72 + tenure:12 presentation {bank_length}")
