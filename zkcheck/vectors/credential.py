"""Vectors of the credential tier (spec/08-credential-tier.md, spec/09-predicate-proofs.md,
spec/13-pseudonyms.md): blind issuance, presentations with predicates and a pseudonym, and
a renewal that carries the pseudonym secret over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from zkcheck.claims import NUMBER, Check
from zkcheck.encoding.cbor import encode
from zkcheck.encoding.credential import (
    CarryOver,
    CredentialEvidence,
    CredentialRequest,
    CredentialResponse,
)
from zkcheck.encoding.messages import Presentation
from zkcheck.errors import InvalidProof
from zkcheck.hazmat import credential, presentation, range_proof_v2
from zkcheck.hazmat.backend import G1_OCTETS, GROUP_ORDER
from zkcheck.hazmat.bbs import (
    calculate_domain,
    get_ciphersuite,
    hash_to_scalar,
    octets_to_proof,
    octets_to_signature,
    proof_verify_init,
)
from zkcheck.hazmat.bbs_pseudonym import generate_prover_nyms, generate_signer_nym_entropy
from zkcheck.hazmat.credential import (
    API_ID,
    H2S_DST,
    HEADER,
    MESSAGE_COUNT,
    SIGNER_MESSAGE_COUNT,
    SUITE,
    TYPE_VERSION,
    Index,
    LayoutFacts,
    msisdn_scalar,
)
from zkcheck.hazmat.credential_pseudonym import (
    CARRY_OVER_DISCLOSED,
    CARRY_OVER_VERSION,
    CarryOverBlock,
    CarryOverOpening,
    carried_prover_nym,
    carry_over_header,
    context_id,
)
from zkcheck.hazmat.presentation import (
    PresentationProof,
    PresentationVersion,
    RangeLink,
    Statement,
)
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles import Policy
from zkcheck.roles._credential import (
    TIER,
    VERSION,
    disclosed_indexes,
    predicate_statements,
    predicates,
    pseudonym_blocks,
)
from zkcheck.roles.credential_issuer import layout_facts
from zkcheck.vectors._world import NOW, SeededRng, World, flip, request, request_fields

__all__ = ["credential_vectors"]


@dataclass(frozen=True)
class _Credential:
    """What the holder keeps after issuance."""

    signature: bytes
    facts: LayoutFacts
    messages: list[int]
    holder_secret: SecretBytes
    nym_secret: SecretBytes
    entropy: bytes


def _scalar(value: int) -> str:
    return value.to_bytes(32, "big").hex()


def _issue(world: World, commitment: bytes, entropy: bytes) -> tuple[bytes, LayoutFacts]:
    sk, pk = world.credential_secret_key
    facts = layout_facts(world.subscriber, datetime.fromtimestamp(NOW, UTC))
    return credential.blind_sign(sk, pk, commitment, entropy, facts), facts


def _signing_trace(
    world: World, commitment: bytes, entropy: bytes, facts: LayoutFacts, signature: bytes
) -> dict[str, str]:
    """domain, B and e of the operator's blind signing (chapter 8, steps 5 to 7), each
    recomputed from the chapter's formulas, and checked against ``signature`` = (A, e):
    its e is this e, and A * (SK + e) is this B."""
    sk, pk = world.credential_secret_key
    ciphersuite = get_ciphersuite(SUITE)
    backend = ciphersuite.backend
    generators = credential.generators(ciphersuite)
    q_1, signer_h = generators[0], generators[1 : SIGNER_MESSAGE_COUNT + 1]
    j_entropy = generators[-1]
    domain = calculate_domain(pk, q_1, generators[1:], HEADER, API_ID, ciphersuite=ciphersuite)
    points = [ciphersuite.P1, q_1, *signer_h, j_entropy]
    scalars = [1, domain, *facts.scalars(), int.from_bytes(entropy, "big")]
    # The commitment with proof opens with the commitment C itself.
    c = backend.g1_from_bytes(commitment[:G1_OCTETS])
    b = backend.g1_add(backend.g1_msm(points, scalars), c)
    b_octets = backend.g1_to_bytes(b)
    sk_scalar = int.from_bytes(sk.reveal(), "big")
    e = hash_to_scalar(sk.reveal() + b_octets, H2S_DST, suite=SUITE)
    signed = octets_to_signature(signature, ciphersuite=ciphersuite)
    if signed.e != e or not backend.g1_eq(
        backend.g1_mul(signed.A, (sk_scalar + e) % GROUP_ORDER), b
    ):
        raise AssertionError("the recomputed B and e are not those of the signature")
    return {"domain": _scalar(domain), "B": b_octets.hex(), "e": _scalar(e)}


def _issuance(world: World) -> tuple[dict[str, Any], _Credential]:
    _, pk = world.credential_secret_key
    holder_rng = SeededRng("holder secret")
    holder_secret = credential.generate_holder_secret(holder_rng)
    nym_rng = SeededRng("prover nym")
    (prover_nym,) = generate_prover_nyms(1, nym_rng)
    commit_rng = SeededRng("credential commitment")
    commitment, blind = credential.commit(holder_secret, prover_nym, rng=commit_rng)
    entropy_rng = SeededRng("signer nym entropy")
    entropy = generate_signer_nym_entropy(entropy_rng)
    signature, facts = _issue(world, commitment, entropy)
    nym = credential.complete(pk, signature, facts, holder_secret, prover_nym, entropy, blind)
    key_id = world.credential_key.key_id
    held = _Credential(
        signature,
        facts,
        credential.message_scalars(facts, blind, holder_secret, nym),
        holder_secret,
        nym,
        entropy,
    )
    case = {
        "caseName": "first issuance",
        "inputs": {
            "holderSecretRng": holder_rng.record(),
            "proverNymRng": nym_rng.record(),
            "signerNymEntropyRng": entropy_rng.record(),
            "facts": _facts(facts),
        },
        "trace": {
            "holderSecret": holder_secret.reveal().hex(),
            "proverNym": prover_nym.reveal().hex(),
            "commitRng": commit_rng.record(),
            "secretProverBlind": blind.reveal().hex(),
            "commitmentWithProof": commitment.hex(),
            "signerNymEntropy": entropy.hex(),
            "messageScalars": [_scalar(value) for value in held.messages],
            **_signing_trace(world, commitment, entropy, facts, signature),
            "signature": signature.hex(),
            "nymSecret": nym.reveal().hex(),
        },
        "output": {
            "credentialRequest": CredentialRequest(commitment).to_bytes().hex(),
            "credentialResponse": CredentialResponse(key_id, signature, entropy, facts)
            .to_bytes()
            .hex(),
        },
    }
    return case, held


def _facts(facts: LayoutFacts) -> dict[str, Any]:
    return {
        "issueHour": facts.issue_hour,
        "expiryDay": facts.expiry_day,
        "birthDay": facts.birth_day,
        "simChangeHour": facts.sim_change_hour,
        "deviceChangeHour": facts.device_change_hour,
        "contractStartDay": facts.contract_start_day,
        "msisdn": facts.msisdn,
        "homeCountry": facts.home_country,
    }


def _challenge_input(
    pk: bytes,
    proof: PresentationProof,
    disclosed: dict[int, int],
    ph: bytes,
    statements: Sequence[Statement],
    blocks: Sequence[Statement],
    version: PresentationVersion,
) -> bytes:
    """challenge_input of chapter 9 as the verifier rebuilds it, item by item; the generator
    checks that its hash is the proof's challenge.

    In version 2 the predicate proof ends with the aggregated range proof, which item 9
    hashes after the predicates' first messages.
    """
    ciphersuite = get_ciphersuite(SUITE)
    decoded = octets_to_proof(proof.bbs_proof, ciphersuite=ciphersuite)
    indexes = sorted(disclosed)
    values = [disclosed[index] for index in indexes]
    init_res = proof_verify_init(
        pk,
        decoded,
        credential.generators(ciphersuite),
        HEADER,
        values,
        indexes,
        API_ID,
        ciphersuite=ciphersuite,
    )
    undisclosed = [index for index in range(MESSAGE_COUNT) if index not in disclosed]
    m_hat = dict(zip(undisclosed, decoded.commitments, strict=True))

    def first_messages(parts: Sequence[Statement], wire: bytes) -> list[bytes]:
        found, offset = [], 0
        for statement in parts:
            part = wire[offset : offset + statement.wire_length]
            offset += statement.wire_length
            found.append(
                statement.recompute(
                    part, m_hat[statement.attribute], decoded.challenge, ciphersuite=ciphersuite
                ).first_messages
            )
        return found

    links = sum(isinstance(statement, RangeLink) for statement in statements)
    range_length = range_proof_v2.range_proof_length(links) if links else 0
    predicate_wire = proof.predicate_proof[: len(proof.predicate_proof) - range_length]
    context = presentation.context_octets(
        pk,
        list(zip(indexes, values, strict=True)),
        statements,
        ph,
        version=version,
        ciphersuite=ciphersuite,
    )
    transcript = presentation.challenge_input(
        context,
        first_messages(statements, predicate_wire),
        proof.predicate_proof[len(predicate_wire) :],
        blocks,
        first_messages(blocks, proof.pseudonym_proof),
        init_res,
        ciphersuite=ciphersuite,
    )
    if hash_to_scalar(transcript, version.challenge_dst, suite=SUITE) != decoded.challenge:
        raise AssertionError("the rebuilt challenge input does not hash to the challenge")
    return transcript


def _presentation(
    world: World,
    held: _Credential,
    name: str,
    checks: tuple[Check, ...],
    verifier_id: str,
    max_age: int,
    *,
    pseudonym: bool = False,
) -> dict[str, Any]:
    _, pk = world.credential_secret_key
    asked, _ = request(
        f"{name} request nonce", verifier_id, checks, (TIER,), max_age=max_age, pseudonym=pseudonym
    )
    derived = predicate_statements(asked)
    statements = predicates(derived)
    blocks = pseudonym_blocks(asked, verifier_id)
    disclosed = {
        Index.TYPE_VERSION: TYPE_VERSION,
        Index.EXPIRY_DAY: held.facts.expiry_day,
    }
    number = world.subscriber.msisdn if NUMBER in checks else None
    if number is not None:
        disclosed[Index.MSISDN_HASH] = msisdn_scalar(number)
    disclosed_ints = {int(index): value for index, value in disclosed.items()}
    if sorted(disclosed_ints) != list(disclosed_indexes(checks)):
        raise AssertionError("the disclosed indexes are the tier's for these checks")
    ph = asked.digest()
    prover = SeededRng(f"{name} prover")
    proof = presentation.prove(
        pk,
        held.signature,
        held.messages,
        sorted(disclosed_ints),
        ph,
        statements=statements,
        version=VERSION,
        pseudonyms=blocks,
        rng=prover,
    )
    evidence = CredentialEvidence(
        world.credential_key.key_id,
        held.facts.expiry_day,
        proof.bbs_proof,
        proof.predicate_proof,
        proof.pseudonym_proof or None,
    )
    shown = Presentation(TIER, asked.nonce, evidence.to_bytes())
    policy = Policy(verifier_id, checks, tiers=(TIER,), max_age=max_age, pseudonym=pseudonym)
    result = world.verify(policy, asked, shown, number)
    transcript = _challenge_input(pk, proof, disclosed_ints, ph, statements, blocks, VERSION)
    trace: dict[str, Any] = {
        "request": asked.to_bytes().hex(),
        "presentationHeader": ph.hex(),
        "disclosed": {
            str(index): _scalar(value) for index, value in sorted(disclosed_ints.items())
        },
        "statements": [
            {"check": statement.check_id, "octets": predicate.statement_octets().hex()}
            for statement, predicate in zip(derived, statements, strict=True)
        ],
        "proverRng": prover.record(),
        "presentationVersion": VERSION.number,
        "challengeInput": transcript.hex(),
        "challenge": _scalar(
            octets_to_proof(proof.bbs_proof, ciphersuite=get_ciphersuite(SUITE)).challenge
        ),
        "bbsProof": proof.bbs_proof.hex(),
        "predicateProof": proof.predicate_proof.hex(),
    }
    if blocks:
        trace["contextId"] = context_id(verifier_id).hex()
        trace["pseudonym"] = proof.pseudonym_proof.hex()
    relayed = replace(asked, verifier_id="relay.example")
    relay = Policy("relay.example", checks, tiers=(TIER,), max_age=max_age, pseudonym=pseudonym)
    body = evidence.to_bytes()
    # The challenge is the last scalar of the BBS proof.
    challenge_end = body.index(proof.bbs_proof) + len(proof.bbs_proof) - 1
    return {
        "caseName": name,
        "inputs": {"request": request_fields(asked), "typedNumber": number},
        "trace": trace,
        "output": {
            "evidence": body.hex(),
            "presentation": shown.to_bytes().hex(),
            "result": result.hex(),
        },
        "negative": [
            world.negative(
                "the BBS proof's challenge, one bit changed",
                policy,
                asked,
                Presentation(TIER, asked.nonce, flip(body, challenge_end)),
                number,
                error=InvalidProof,
            ),
            world.negative(
                "the presentation verified against another verifier's request",
                relay,
                relayed,
                shown,
                number,
                error=InvalidProof,
            ),
        ],
    }


def _renewal(world: World, held: _Credential) -> dict[str, Any]:
    """A renewal: the new commitment carries the held credential's nym secret over, the
    operator checks the carry-over and signs with the same entropy, and the holder's new
    credential has the same nym secret (chapter 13, "Renewal and Sybil policy")."""
    _, pk = world.credential_secret_key
    prover_nym = carried_prover_nym(held.nym_secret, held.entropy)
    commit_rng = SeededRng("renewal commitment")
    commitment, blind = credential.commit(held.holder_secret, prover_nym, rng=commit_rng)
    ph = carry_over_header(world.operator_id, commitment)
    opening = CarryOverOpening(blind, held.holder_secret, prover_nym)
    prover = SeededRng("carry-over prover")
    proof = presentation.prove(
        pk,
        held.signature,
        held.messages,
        CARRY_OVER_DISCLOSED,
        ph,
        version=CARRY_OVER_VERSION,
        pseudonyms=(CarryOverBlock(commitment, held.entropy, opening=opening),),
        rng=prover,
    )
    key_id = world.credential_key.key_id
    carry = CarryOver(key_id, held.facts.expiry_day, proof.bbs_proof, proof.pseudonym_proof)
    renewal = CredentialRequest(commitment, carry)
    # The operator's check of the carry-over, with its record's entropy.
    disclosed = {
        int(Index.TYPE_VERSION): TYPE_VERSION,
        int(Index.EXPIRY_DAY): held.facts.expiry_day,
    }
    operator_block = CarryOverBlock(commitment, held.entropy)
    presentation.verify(
        pk, proof, disclosed, ph, version=CARRY_OVER_VERSION, pseudonyms=(operator_block,)
    )
    transcript = _challenge_input(
        pk, proof, disclosed, ph, (), (operator_block,), CARRY_OVER_VERSION
    )
    signature, facts = _issue(world, commitment, held.entropy)
    nym = credential.complete(
        pk, signature, facts, held.holder_secret, prover_nym, held.entropy, blind
    )
    if nym != held.nym_secret:
        raise AssertionError("a renewal keeps the nym secret")
    return {
        "caseName": "renewal carrying the pseudonym secret over",
        "inputs": {"signerNymEntropy": held.entropy.hex()},
        "trace": {
            "proverNym": prover_nym.reveal().hex(),
            "commitRng": commit_rng.record(),
            "secretProverBlind": blind.reveal().hex(),
            "commitmentWithProof": commitment.hex(),
            "presentationHeader": ph.hex(),
            "carryOverStatement": operator_block.statement_octets().hex(),
            "proverRng": prover.record(),
            "challengeInput": transcript.hex(),
            "challenge": _scalar(
                octets_to_proof(proof.bbs_proof, ciphersuite=get_ciphersuite(SUITE)).challenge
            ),
            "bbsProof": proof.bbs_proof.hex(),
            "pseudonym": proof.pseudonym_proof.hex(),
            **_signing_trace(world, commitment, held.entropy, facts, signature),
            "signature": signature.hex(),
            "nymSecret": nym.reveal().hex(),
        },
        "output": {
            "credentialRequest": renewal.to_bytes().hex(),
            "credentialResponse": CredentialResponse(key_id, signature, held.entropy, facts)
            .to_bytes()
            .hex(),
        },
    }


def credential_vectors(world: World) -> dict[str, Any]:
    """credential.json: the operator's BBS key, a blind issuance, presentations of
    predicates and a pseudonym from the credential, and a renewal carrying the nym secret
    over (spec/08-credential-tier.md, spec/09-predicate-proofs.md, spec/13-pseudonyms.md)."""
    sk, pk = world.credential_secret_key
    issuance, held = _issuance(world)
    static_age = 21 * 86_400
    return {
        "title": "Credential tier: blind issuance, presentations with predicates and a "
        "pseudonym, renewal",
        "spec": "spec/08-credential-tier.md",
        "now": NOW,
        "inputs": {
            "operatorId": world.operator_id,
            "keyMaterialSeedLabel": "credential key",
            "secretKey": sk.reveal().hex(),
            "publicKey": pk.hex(),
            "keyId": world.credential_key.key_id.hex(),
            "keySetEntry": encode(world.credential_key.to_map()).hex(),
            "apiId": API_ID.decode(),
            "header": HEADER.hex(),
        },
        "cases": [
            issuance,
            _presentation(
                world, held, "age over 18", (Check.age_over(18),), "age-site.example", static_age
            ),
            _presentation(
                world,
                held,
                "no SIM swap in 72 hours, issued within 24 hours",
                (Check.sim_swap(72),),
                "bank.example",
                86_400,
            ),
            _presentation(
                world,
                held,
                "tenure of 12 months and home country in the EU",
                (Check.tenure(12), Check.home_country_in("EU")),
                "shop.example",
                static_age,
            ),
            _presentation(
                world,
                held,
                "number with a pseudonym",
                (NUMBER,),
                "social.example",
                static_age,
                pseudonym=True,
            ),
            _renewal(world, held),
        ],
    }
