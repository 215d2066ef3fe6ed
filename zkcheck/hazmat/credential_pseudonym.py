"""Per-verifier pseudonyms of layout-1 credentials (spec/13-pseudonyms.md).

Two sub-proofs about the pseudonym secret ``nym`` (index 11 of layout 1),
each a pseudonym block of chapter 9's presentation (transcript item 10),
sharing the BBS proof's nonce ``m~`` and response ``m^`` of index 11::

    Holder                                            Verifier
    PseudonymBlock(context_id(origin))                PseudonymBlock(context_id(own identity))
      P = OP * nym, Ut = OP * m~     -- P ------->      Uv = OP * m^ - c * P

    Holder (renewal)                                  Operator
    CarryOverBlock(C', e, opening)                    CarryOverBlock(C', e)
      T = s~ * Q_2 + h~ * J_1 + m~ * J_2
                                     -- s^, h^ -->     T = s^ * Q_2 + h^ * J_1 + m^ * J_2
                                                           - c * (C' + e * J_2)

**The pseudonym block** is the pseudonym draft's construction with one nym
secret, so the draft's polynomial is the secret itself:
``OP = hash_to_curve_g1(context_id, api_id)`` with the credential interface's
``api_id`` as DST, ``P = OP * nym``. The context identifier is derived from
the verifier identity the holder authenticated (:func:`context_id`): a
versioned, domain-separated prefix and the identity's octets. Its wire is
the pseudonym (48 octets), and its transcript octets ``P || Ut`` with ``Ut``
recomputed by the verifier.

**The carry-over block** proves, at renewal, that the new commitment
``C' = s' * Q_2 + h' * J_1 + p' * J_2`` of a credential request commits to
``p' = nym - e``, where ``nym`` is the hidden pseudonym secret of a credential
the holder holds and ``e`` the operator's ``signer_nym_entropy`` for this
subscriber; the renewed credential's secret ``p' + e`` is then ``nym`` again.
The relation is ``C' + e * J_2 = s' * Q_2 + h' * J_1 + nym * J_2``; its wire
is the responses ``s^, h^`` (64 octets).

**Errors.** A malformed wire (a pseudonym that is not a point of G1, is the
identity or the base point; a scalar 0 or not below r) raises
:class:`~zkcheck.errors.DecodeError`; a recomputed first message that is the
identity raises :class:`~zkcheck.errors.InvalidProof`; a holder whose
commitment does not carry its secret over is refused with
:class:`~zkcheck.errors.PolicyError` before anything is proven.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import NoReturn

from zkcheck.errors import DecodeError, InvalidProof, PolicyError
from zkcheck.hazmat import Rng
from zkcheck.hazmat.backend import G1
from zkcheck.hazmat.bbs import Ciphersuite, R, _scalar_octets
from zkcheck.hazmat.bbs_pseudonym import (
    calculate_pseudonym,
    octets_to_pseudonym,
    pseudonym_proof_init,
    pseudonym_proof_verify_init,
)
from zkcheck.hazmat.blind_bbs import secret_scalar
from zkcheck.hazmat.credential import API_ID, COMMITMENT_LENGTH, SUITE, Index, generators
from zkcheck.hazmat.predicate_parameters import (
    POINT_OCTETS,
    SCALAR_OCTETS,
    Reader,
    i2osp,
    lp,
    scalar_to_octets,
)
from zkcheck.hazmat.presentation import VERSION_1, Recomputed
from zkcheck.hazmat.scalar_source import FreshRandomnessRequired, ScalarSource, SingleUseScalar
from zkcheck.hazmat.secret import SecretBytes

__all__ = [
    "CARRY_OVER_BLOCK_ID",
    "CARRY_OVER_DISCLOSED",
    "CARRY_OVER_PH_TAG",
    "CARRY_OVER_VERSION",
    "CARRY_OVER_WIRE_LENGTH",
    "CONTEXT_PREFIX",
    "MAX_IDENTITY_LENGTH",
    "PSEUDONYM_BLOCK_ID",
    "PSEUDONYM_LENGTH",
    "CarryOverBlock",
    "CarryOverOpening",
    "PseudonymBlock",
    "carried_prover_nym",
    "carry_over_header",
    "context_id",
    "pseudonym",
]

CONTEXT_PREFIX = b"ZKCHECK-PSEUDONYM-CONTEXT-V1_"
"""The versioned prefix of every context identifier (29 octets)."""

MAX_IDENTITY_LENGTH = 255
"""The longest verifier identity (chapter 3's identifiers)."""

PSEUDONYM_BLOCK_ID = b"pseudonym"
CARRY_OVER_BLOCK_ID = b"carry_over"

PSEUDONYM_LENGTH = POINT_OCTETS
"""A pseudonym is a compressed point of G1, 48 octets: the pseudonym block's whole wire."""

CARRY_OVER_WIRE_LENGTH = 2 * SCALAR_OCTETS
"""The carry-over block's wire: s^ and h^."""

CARRY_OVER_PH_TAG = b"ZKCHECK-CARRY-OVER-V1"
"""Tag of the presentation header of a carry-over proof."""

CARRY_OVER_DISCLOSED = (Index.TYPE_VERSION, Index.EXPIRY_DAY)
"""A carry-over proof discloses what every presentation does: the type and the expiry."""

CARRY_OVER_VERSION = VERSION_1
"""A carry-over proof is a presentation of chapter 9's version 1: it proves no predicate, and
the credential request that carries it has no field that could name another version."""


def context_id(verifier_identity: str) -> bytes:
    """context_id = CONTEXT_PREFIX || the verifier identity's ASCII octets.

    The identity is the one the holder authenticated (for example the origin
    its application talks to), never one read from the verifier's request;
    the verifier passes its own. The prefix has a fixed length, so distinct
    identities give distinct context identifiers. Raises ``ValueError`` for an
    identity that is empty, longer than 255 characters or not ASCII (the role
    layer has checked it as an identifier already).
    """
    if (
        not isinstance(verifier_identity, str)
        or not 0 < len(verifier_identity) <= MAX_IDENTITY_LENGTH
        or not verifier_identity.isascii()
    ):
        raise ValueError("a verifier identity is 1 to 255 ASCII characters")
    return CONTEXT_PREFIX + verifier_identity.encode("ascii")


def pseudonym(nym_secret: SecretBytes, context: bytes) -> bytes:
    """The holder's pseudonym in ``context``: OP * nym, compressed (48 octets)."""
    return calculate_pseudonym(context, [nym_secret], suite=SUITE, api_id=API_ID)


def carried_prover_nym(nym_secret: SecretBytes, signer_nym_entropy: bytes) -> SecretBytes:
    """prover_nym = nym - signer_nym_entropy mod r: the part to commit to at renewal, so that
    the operator's entropy completes the same nym secret again."""
    nym = secret_scalar(nym_secret, "the nym secret", allow_zero=False)
    entropy = secret_scalar(signer_nym_entropy, "signer_nym_entropy", allow_zero=False)
    return SecretBytes(_scalar_octets((nym - entropy) % R))


def carry_over_header(operator_id: str, commitment_with_proof: bytes) -> bytes:
    """ph of a carry-over proof: SHA-256(lp(CARRY_OVER_PH_TAG) || lp(operator id) ||
    commitment_with_proof), binding the proof to the operator and the new commitment."""
    return hashlib.sha256(
        lp(CARRY_OVER_PH_TAG) + lp(operator_id.encode("ascii")) + commitment_with_proof
    ).digest()


class _NymSecretBlock:
    """A pseudonym block of chapter 9's presentation: a statement about message 11."""

    @property
    def attribute(self) -> int:
        """Index 11 of layout 1, the nym secret."""
        return int(Index.NYM_SECRET)


# -- the pseudonym block -------------------------------------------------------------------


class _PseudonymCommitment:
    """The pseudonym block's prover state: m~ of index 11 for the BBS core, read once.
    Not printable, not picklable."""

    __slots__ = ("_nonce", "first_messages", "wire")

    def __init__(self, nonce: SingleUseScalar, first_messages: bytes, wire: bytes) -> None:
        self._nonce = nonce
        self.first_messages = first_messages
        self.wire = wire

    @property
    def nonce(self) -> int:
        """m~ of index 11; a second read raises ``RuntimeError``."""
        return self._nonce.read()

    def respond(self, challenge: int) -> bytes:
        # The pseudonym travels; its proof is the BBS response m^ of index 11.
        return self.wire

    def __repr__(self) -> str:
        return "_PseudonymCommitment(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("prover states cannot be pickled")


@dataclass(frozen=True)
class PseudonymBlock(_NymSecretBlock):
    """The pseudonym for one context (chapter 13, "The pseudonym block").

    Both sides build it from a context identifier they derive themselves:
    the holder from the identity it authenticated, the verifier from its own.
    """

    context: bytes

    @property
    def wire_length(self) -> int:
        return PSEUDONYM_LENGTH

    def statement_octets(self) -> bytes:
        """lp("pseudonym") || I2OSP(11, 8) || lp(context_id)."""
        return lp(PSEUDONYM_BLOCK_ID) + i2osp(self.attribute) + lp(self.context)

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> _PseudonymCommitment:
        """P = OP * nym and Ut = OP * m~ for a fresh nonce m~ of index 11 (PseudonymProofInit)."""
        m_tilde = ScalarSource(rng).draw().read()
        point, ut = pseudonym_proof_init(
            self.context, [value], [m_tilde], API_ID, ciphersuite=ciphersuite
        )
        encoded = ciphersuite.backend.g1_to_bytes(point)
        return _PseudonymCommitment(
            SingleUseScalar(m_tilde), encoded + ciphersuite.backend.g1_to_bytes(ut), encoded
        )

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        """Decode P (DecodeError) and recompute Uv = OP * m^ - c * P (PseudonymProofVerifyInit)."""
        point = octets_to_pseudonym(wire, ciphersuite=ciphersuite)
        uv = pseudonym_proof_verify_init(
            point, self.context, [response], challenge, API_ID, ciphersuite=ciphersuite
        )
        return Recomputed(wire + ciphersuite.backend.g1_to_bytes(uv))


# -- the carry-over block ------------------------------------------------------------------


@dataclass(frozen=True)
class CarryOverOpening:
    """What the holder committed to in the new request: C' = s' * Q_2 + h' * J_1 + p' * J_2."""

    secret_prover_blind: SecretBytes = field(repr=False)
    holder_secret: SecretBytes = field(repr=False)
    prover_nym: SecretBytes = field(repr=False)


class _CarryOverCommitment:
    """The carry-over block's prover state: m~ of index 11 for the BBS core, read once, and
    the witness (s', h') with its nonces (s~, h~), which answer one challenge and are then
    forgotten: two responses with the same nonces would give the holder secret away.
    Not printable, not picklable."""

    __slots__ = ("_nonce", "_secrets", "first_messages")

    def __init__(
        self,
        nonce: SingleUseScalar,
        first_messages: bytes,
        witness: tuple[int, int],
        nonces: tuple[int, int],
    ) -> None:
        self._nonce = nonce
        self.first_messages = first_messages
        self._secrets: tuple[tuple[int, int], tuple[int, int]] | None = (witness, nonces)

    @property
    def nonce(self) -> int:
        """m~ of index 11; a second read raises ``RuntimeError``."""
        return self._nonce.read()

    def respond(self, challenge: int) -> bytes:
        """s^ and h^ for ``challenge``; once (a second call raises ``RuntimeError``)."""
        secrets = self._secrets
        if secrets is None:
            raise RuntimeError("a carry-over's nonces answer exactly one challenge")
        self._secrets = None
        witness, nonces = secrets
        responses = [
            (nonce + challenge * secret) % R for nonce, secret in zip(nonces, witness, strict=True)
        ]
        if 0 in responses:
            # A scalar the encoding forbids, after the challenge: prove again (chapter 9,
            # "Prover", step 10).
            raise FreshRandomnessRequired
        return b"".join(scalar_to_octets(value) for value in responses)

    def __repr__(self) -> str:
        return "_CarryOverCommitment(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("prover states cannot be pickled")


class CarryOverBlock(_NymSecretBlock):
    """The carry-over of a pseudonym secret into a new commitment (chapter 13, "Renewal").

    ``commitment_with_proof`` is the new credential request's (176 octets,
    else :class:`DecodeError`), ``signer_nym_entropy`` the operator's entropy
    for the subscriber. The holder passes the ``opening`` of its commitment;
    the operator builds the block without one, and cannot prove with it.
    """

    def __init__(
        self,
        commitment_with_proof: bytes,
        signer_nym_entropy: bytes,
        *,
        opening: CarryOverOpening | None = None,
    ) -> None:
        if (
            not isinstance(commitment_with_proof, bytes)
            or len(commitment_with_proof) != COMMITMENT_LENGTH
        ):
            raise DecodeError(f"a layout-1 commitment with proof is {COMMITMENT_LENGTH} octets")
        self._commitment = commitment_with_proof[:POINT_OCTETS]
        self._entropy = secret_scalar(signer_nym_entropy, "signer_nym_entropy", allow_zero=False)
        self._opening = opening

    def __repr__(self) -> str:
        return f"CarryOverBlock(C'={self._commitment.hex()[:16]}...)"

    @property
    def wire_length(self) -> int:
        return CARRY_OVER_WIRE_LENGTH

    def statement_octets(self) -> bytes:
        """lp("carry_over") || I2OSP(11, 8) || C' || I2OSP(e, 32)."""
        return (
            lp(CARRY_OVER_BLOCK_ID)
            + i2osp(self.attribute)
            + self._commitment
            + scalar_to_octets(self._entropy)
        )

    def _blind_generators(self, ciphersuite: Ciphersuite) -> list[G1]:
        # (Q_2, J_1, J_2), the generators of indexes 9 to 11.
        return generators(ciphersuite)[-3:]

    def commit(
        self, value: int, *, rng: Rng | None, ciphersuite: Ciphersuite
    ) -> _CarryOverCommitment:
        """Check that the commitment carries ``value`` (the held nym secret) over, then draw
        s~, h~ and the nonce m~ of index 11, and T = s~ * Q_2 + h~ * J_1 + m~ * J_2."""
        opening = self._opening
        if opening is None:
            raise ValueError("only the holder, with its commitment's opening, proves a carry-over")
        prover_nym = secret_scalar(opening.prover_nym, "prover_nym")
        carried = _scalar_octets((prover_nym + self._entropy) % R)
        if not hmac.compare_digest(carried, _scalar_octets(value)):
            raise PolicyError("the new commitment does not carry this nym secret over")
        witness = (
            secret_scalar(opening.secret_prover_blind, "secret_prover_blind"),
            secret_scalar(opening.holder_secret, "the holder secret"),
        )
        s_tilde, h_tilde, m_tilde = (nonce.read() for nonce in ScalarSource(rng).draw_many(3))
        t = ciphersuite.backend.g1_msm(
            self._blind_generators(ciphersuite), [s_tilde, h_tilde, m_tilde]
        )
        if ciphersuite.backend.g1_is_identity(t):
            # Probability 1/r; nothing is hashed yet, so the caller proves again.
            raise FreshRandomnessRequired
        return _CarryOverCommitment(
            SingleUseScalar(m_tilde),
            ciphersuite.backend.g1_to_bytes(t),
            witness,
            (s_tilde, h_tilde),
        )

    def recompute(
        self, wire: bytes, response: int, challenge: int, *, ciphersuite: Ciphersuite
    ) -> Recomputed:
        """Decode s^, h^ and C' (DecodeError) and recompute
        T = s^ * Q_2 + h^ * J_1 + (m^ - c * e) * J_2 - c * C' (InvalidProof if the identity)."""
        backend = ciphersuite.backend
        reader = Reader(wire, ciphersuite=ciphersuite)
        s_hat, h_hat = reader.scalars(2)
        reader.finish()
        commitment = backend.g1_from_bytes(self._commitment)
        if backend.g1_is_identity(commitment):
            raise DecodeError("the commitment is the identity")
        q_2, j_1, j_2 = self._blind_generators(ciphersuite)
        t = backend.g1_msm(
            [q_2, j_1, j_2, commitment],
            [s_hat, h_hat, (response - challenge * self._entropy) % R, (-challenge) % R],
        )
        if backend.g1_is_identity(t):
            raise InvalidProof("proof invalid")
        return Recomputed(backend.g1_to_bytes(t))
