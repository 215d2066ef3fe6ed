"""Blind BBS signatures: draft-irtf-cfrg-bbs-blind-signatures, as its fixtures define it.

The Prover commits to messages the Signer must not see (a holder secret),
with a proof of knowledge of the commitment's opening; the Signer checks the
proof and signs its own messages together with the commitment; the Prover
verifies the signature and proves knowledge of it, disclosing any subset of
both lists::

    Prover                                   Signer                      Verifier
    commit(committed_messages)
      -> commitment_with_proof,
         secret_prover_blind      -------->  blind_sign(SK, PK,
                                               commitment_with_proof,
                                               header, messages)
    verify(PK, signature, header,  <-------    -> signature
           messages, committed_messages,
           secret_prover_blind)
    proof_gen(PK, signature, header, ph,
              messages, committed_messages,
              disclosed_indexes,
              disclosed_committed_indexes,
              secret_prover_blind)  ----------------------------------->  proof_verify(PK, proof,
                                                                            header, ph, L, ...)

**Which algorithms.** The draft's fixtures (tests/vectors/bbs-blind/) were
generated with the 2025 algorithms, those of draft-01 and draft-02 (the
repository's commit 981ea652), and the draft's newest text (commit cf6ad940)
rewrote proof generation and the challenges without regenerating them.
zkcheck implements what the fixtures were generated with, the conformance
baseline; spec/06-bbs.md lists every difference from both texts. In short:

- the signed list is ``messages || secret_prover_blind || committed_messages``
  over the generators ``Q_1, H_1..H_L, Q_2, J_1..J_M`` (H from ``api_id``, Q_2
  and J from ``"BLIND_" || api_id``); Q_2 is included in the domain;
- B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L + commitment, and
  e = hash_to_scalar(serialize((SK, B)), api_id || "H2S_"): B binds the
  domain, which the -02 text also hashes into e but the fixtures do not;
- proofs are plain BBS proofs (draft-irtf-cfrg-bbs-signatures-09 Section
  3.6.3) over that signed list, the committed message j at index L + 1 + j.

The interface api_id is ``ciphersuite_id || "BLIND_H2G_HM2S_"``; every
operation accepts another ``api_id`` so that a profile (zkcheck's credential
tier) can use a versioned identifier of its own. The core operations take
scalars, generators and an ``api_id`` so that other interfaces (pseudonyms)
build on them.

**Hooks for proofs that extend a blind BBS proof** (predicate proofs,
pseudonyms): :func:`proof_gen` accepts ``chosen_m_tilde``, the single-use
random blinding scalars of chosen undisclosed messages, and both
:func:`proof_gen` and :func:`proof_verify` accept ``extensions`` that add
commitments to the one Fiat-Shamir challenge
(:data:`~zkcheck.hazmat.bbs.ProverExtension`,
:data:`~zkcheck.hazmat.bbs.VerifierExtension`). Both are keyed by a message's
index in the signed list: :func:`committed_message_index` gives a committed
message's.

**Errors.** Malformed input (lengths, encodings, points, scalars, indexes,
counts) raises :class:`~zkcheck.errors.DecodeError`; a commitment whose proof
of knowledge does not verify raises :class:`~zkcheck.errors.InvalidProof`,
as does a presentation proof that does not verify; a signature that does not
verify raises :class:`~zkcheck.errors.InvalidSignature`. Messages do not say
which check failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from zkcheck.errors import DecodeError, InvalidProof, ZkcheckError
from zkcheck.hazmat import Rng
from zkcheck.hazmat.backend import G1, Backend
from zkcheck.hazmat.bbs import (
    OCTET_POINT_LENGTH,
    OCTET_SCALAR_LENGTH,
    PROOF_LEN_FLOOR,
    Ciphersuite,
    ProverExtension,
    R,
    Signature,
    VerifierExtension,
    _check_disclosed_indexes,
    _check_message_count,
    _scalar_octets,
    _secret_key_scalar,
    calculate_domain,
    calculate_random_scalars,
    core_proof_gen,
    core_proof_verify,
    core_verify,
    create_generators,
    get_ciphersuite,
    hash_to_scalar,
    messages_to_scalars,
    octets_to_pubkey,
    signature_to_octets,
)
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.suites import Suite

__all__ = [
    "API_ID_SUFFIX",
    "BLIND_GENERATORS_PREFIX",
    "CommitmentWithProof",
    "b_calculate",
    "blind_generators",
    "blind_sign",
    "blind_sign_scalars",
    "calculate_blind_challenge",
    "check_api_id",
    "checked_scalars",
    "combined_indexes",
    "commit",
    "commit_scalars",
    "commitment_message_count",
    "commitment_with_proof_to_octets",
    "committed_count_of_proof",
    "committed_message_index",
    "core_blind_sign",
    "core_commit",
    "core_commit_verify",
    "deserialize_and_validate_commit",
    "finalize_blind_sign",
    "hashed_scalars",
    "interface_api_id",
    "octets_to_commitment_with_proof",
    "prepare_parameters",
    "proof_gen",
    "proof_gen_scalars",
    "proof_verify",
    "proof_verify_scalars",
    "prover_blind_scalar",
    "prover_parameters",
    "secret_scalar",
    "verifier_parameters",
    "verify",
    "verify_scalars",
]

API_ID_SUFFIX = b"BLIND_H2G_HM2S_"
"""The Blind BBS Interface's api_id is ciphersuite_id || "BLIND_H2G_HM2S_"."""

BLIND_GENERATORS_PREFIX = b"BLIND_"
"""Blind generators (Q_2, J_1, ...) are created with the api_id "BLIND_" || api_id."""

COMMIT_LEN_FLOOR = OCTET_POINT_LENGTH + 2 * OCTET_SCALAR_LENGTH
"""A commitment with proof is C, s^, m^_1..m^_M, c: at least 112 bytes (M = 0)."""

_MAX_API_ID = 192
"""Longest api_id accepted: every DST derived from it stays within 255 bytes."""


class CommitmentWithProof(NamedTuple):
    """A decoded commitment with its proof of correctness (C, (s^, (m^_1..m^_M), c))."""

    commitment: G1
    s_hat: int
    m_hats: tuple[int, ...]
    challenge: int


def interface_api_id(suite: Suite = Suite.BLS12_381_SHA_256) -> bytes:
    """api_id of the Blind BBS Interface: ciphersuite_id || "BLIND_H2G_HM2S_"."""
    return suite.ciphersuite_id + API_ID_SUFFIX


def _api_id(api_id: bytes | None, suite: Suite) -> bytes:
    return interface_api_id(suite) if api_id is None else check_api_id(api_id)


def check_api_id(api_id: bytes) -> bytes:
    """A caller's own api_id: 1 to 192 bytes, so every DST derived from it fits 255 bytes."""
    if not isinstance(api_id, bytes) or not 0 < len(api_id) <= _MAX_API_ID:
        raise ValueError(f"api_id must be 1 to {_MAX_API_ID} bytes")
    return api_id


def _interface(
    suite: Suite, api_id: bytes | None, backend: Backend | None
) -> tuple[Ciphersuite, bytes]:
    return get_ciphersuite(suite, backend), _api_id(api_id, suite)


def secret_scalar(value: SecretBytes | bytes, name: str, *, allow_zero: bool = True) -> int:
    """A secret scalar from its 32-byte encoding I2OSP(x, 32), with x < r.

    Raises :class:`DecodeError` (naming ``name``, never the value) otherwise,
    and for x = 0 unless ``allow_zero``.
    """
    octets = value.reveal() if isinstance(value, SecretBytes) else value
    if not isinstance(octets, bytes) or len(octets) != OCTET_SCALAR_LENGTH:
        raise DecodeError(f"{name} is a {OCTET_SCALAR_LENGTH}-byte scalar")
    scalar = int.from_bytes(octets, "big")
    if scalar >= R or (scalar == 0 and not allow_zero):
        raise DecodeError(f"{name} is out of range")
    return scalar


def blind_generators(count: int, api_id: bytes, *, ciphersuite: Ciphersuite) -> list[G1]:
    """(Q_2, J_1, ..., J_{count-1}) = create_generators(count, "BLIND_" || api_id)."""
    return create_generators(count, BLIND_GENERATORS_PREFIX + api_id, ciphersuite=ciphersuite)


def committed_message_index(signer_message_count: int, j: int) -> int:
    """Index in the signed list of committed message j: L + 1 + j (the blind is at L)."""
    return signer_message_count + 1 + j


# -- Commitment (Sections "Commitment Computation", "Core Commitment Computation") --


def commit(
    committed_messages: Sequence[bytes],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> tuple[bytes, SecretBytes]:
    """(commitment_with_proof, secret_prover_blind) = Commit(committed_messages, api_id).

    ``secret_prover_blind`` is returned as its 32-byte encoding in a
    :class:`SecretBytes`: the Prover keeps it, it is needed to verify the
    signature and to prove, and it must never be sent.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    # 1. committed_message_scalars = BBS.messages_to_scalars(committed_messages, api_id)
    # 2.-3. as commit_scalars
    return commit_scalars(
        hashed_scalars(committed_messages, api_id, ciphersuite),
        suite=suite,
        api_id=api_id,
        rng=rng,
        backend=backend,
    )


def commit_scalars(
    committed_scalars: Sequence[int],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> tuple[bytes, SecretBytes]:
    """:func:`commit` for messages already mapped to scalars (a profile's own map)."""
    ciphersuite, api_id = _interface(suite, api_id, backend)
    scalars = checked_scalars(committed_scalars)
    # 2. blind_generators = BBS.create_generators(length(committed_message_scalars) + 1,
    #                                             "BLIND_" || api_id)
    generators = blind_generators(len(scalars) + 1, api_id, ciphersuite=ciphersuite)
    # 3. return CoreCommit(committed_message_scalars, blind_generators, api_id)
    commitment_with_proof, prover_blind = core_commit(
        scalars, generators, api_id, ciphersuite=ciphersuite, rng=rng
    )
    return commitment_with_proof, SecretBytes(_scalar_octets(prover_blind))


def core_commit(
    committed_scalars: Sequence[int],
    blind_generators: Sequence[G1],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
    rng: Rng | None = None,
) -> tuple[bytes, int]:
    """(commit_with_proof, secret_prover_blind) = CoreCommit(blind_generators,
    committed_scalars, api_id).

    A Schnorr proof of knowledge of the opening (secret_prover_blind,
    msg_1..msg_M) of C = Q_2 * secret_prover_blind + J_1 * msg_1 + ... +
    J_M * msg_M, made non-interactive with :func:`calculate_blind_challenge`.
    """
    backend = ciphersuite.backend
    # Deserialization:
    # 1. M = length(committed_scalars)
    # 2. if length(blind_generators) != M + 1, return INVALID
    # 3. (Q_2, J_1, ..., J_M) = blind_generators
    # 4. (msg_1, ..., msg_M) = committed_scalars
    if len(blind_generators) != len(committed_scalars) + 1:
        raise DecodeError("one blind generator per committed message, plus Q_2")
    # Procedure:
    # 1. (secret_prover_blind, s~, m~_1, ..., m~_M) = BBS.get_random_scalars(M + 2)
    random_scalars = calculate_random_scalars(
        len(committed_scalars) + 2, rng, ciphersuite=ciphersuite
    )
    prover_blind, s_tilde, *m_tilde = random_scalars
    # 2. C = Q_2 * secret_prover_blind + J_1 * msg_1 + ... + J_M * msg_M
    c_point = backend.g1_msm(blind_generators, [prover_blind, *committed_scalars])
    # 3. Cbar = Q_2 * s~ + J_1 * m~_1 + ... + J_M * m~_M
    c_bar = backend.g1_msm(blind_generators, [s_tilde, *m_tilde])
    # 4. challenge = calculate_blind_challenge(C, Cbar, blind_generators, api_id)
    challenge = calculate_blind_challenge(
        c_point, c_bar, blind_generators, api_id, ciphersuite=ciphersuite
    )
    # 5. s^ = s~ + secret_prover_blind * challenge
    s_hat = (s_tilde + prover_blind * challenge) % R
    # 6. for i in (1, 2, ..., M): m^_i = m~_i + msg_i * challenge
    m_hats = tuple(
        (m_t + m * challenge) % R for m_t, m in zip(m_tilde, committed_scalars, strict=True)
    )
    # 7. proof = (s^, (m^_1, ..., m^_M), challenge)
    # 8. commit_with_proof = commitment_with_proof_to_octets(C, proof)
    # 9. return (commit_with_proof, secret_prover_blind)
    octets = commitment_with_proof_to_octets(
        CommitmentWithProof(c_point, s_hat, m_hats, challenge), ciphersuite=ciphersuite
    )
    return octets, prover_blind


def core_commit_verify(
    commitment: CommitmentWithProof,
    blind_generators: Sequence[G1],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> None:
    """result = CoreCommitVerify(commitment, commitment_proof, blind_generators, api_id).

    Raises :class:`InvalidProof` when the proof of knowledge does not verify.
    """
    # Deserialization:
    # 1. (s^, commitments, cp) = commitment_proof
    # 2. M = length(commitments)
    # 3. (m^_1, ..., m^_M) = commitments
    # 4. if length(blind_generators) != M + 1, return INVALID
    # 5. (Q_2, J_1, ..., J_M) = blind_generators
    if len(blind_generators) != len(commitment.m_hats) + 1:
        raise DecodeError("one blind generator per committed message, plus Q_2")
    # Procedure:
    # 1. Cbar = Q_2 * s^ + J_1 * m^_1 + ... + J_M * m^_M + commitment * (-cp)
    c_bar = ciphersuite.backend.g1_msm(
        [*blind_generators, commitment.commitment],
        [commitment.s_hat, *commitment.m_hats, (-commitment.challenge) % R],
    )
    # 2. cv = calculate_blind_challenge(commitment, Cbar, blind_generators, api_id)
    cv = calculate_blind_challenge(
        commitment.commitment, c_bar, blind_generators, api_id, ciphersuite=ciphersuite
    )
    # 3. if cv != cp, return INVALID
    if cv != commitment.challenge:
        raise InvalidProof("commitment proof invalid")
    # 4. return VALID


def calculate_blind_challenge(
    c_point: G1,
    c_bar: G1,
    generators: Sequence[G1],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> int:
    """challenge = calculate_blind_challenge(C, Cbar, generators, api_id).

    The -01/-02 definition, which the fixtures use: hash_to_scalar of
    serialize((M, Q_2, J_1, ..., J_M, C, Cbar)) with the DST api_id || "H2S_".
    """
    backend = ciphersuite.backend
    # Deserialization:
    # 1. if length(generators) == 0, return INVALID
    # 2. M = length(generators) - 1
    if not generators:
        raise DecodeError("the blind challenge needs at least Q_2")
    # Procedure:
    # 1. c_arr = (M)
    # 2. c_arr.append(generators)
    # 3. c_octs = BBS.serialize(c_arr.append(C, Cbar))
    c_octs = (len(generators) - 1).to_bytes(8, "big") + b"".join(
        backend.g1_to_bytes(point) for point in (*generators, c_point, c_bar)
    )
    # 4. return BBS.hash_to_scalar(c_octs, blind_challenge_dst)
    return hash_to_scalar(c_octs, api_id + b"H2S_", suite=ciphersuite.suite)


def commitment_with_proof_to_octets(
    commitment: CommitmentWithProof, *, ciphersuite: Ciphersuite
) -> bytes:
    """commitment_octets = commitment_with_proof_to_octets(commitment, proof).

    C (48 bytes), then s^, m^_1, ..., m^_M and the challenge (32 bytes each).
    """
    scalars = (commitment.s_hat, *commitment.m_hats, commitment.challenge)
    return ciphersuite.backend.g1_to_bytes(commitment.commitment) + b"".join(
        _scalar_octets(s) for s in scalars
    )


def commitment_message_count(commitment_with_proof: bytes) -> int:
    """M, the number of committed scalars, from the length of a commitment with proof.

    0 for the empty string (no commitment). Raises :class:`DecodeError` for a
    length that is not 112 + 32 * M bytes, or M above the message bound.
    """
    if not commitment_with_proof:
        return 0
    excess = len(commitment_with_proof) - COMMIT_LEN_FLOOR
    if excess < 0 or excess % OCTET_SCALAR_LENGTH:
        raise DecodeError("a commitment with proof is 112 + 32 * M bytes")
    count = excess // OCTET_SCALAR_LENGTH
    _check_message_count(count)
    return count


def octets_to_commitment_with_proof(
    commitment_octs: bytes, *, ciphersuite: Ciphersuite
) -> CommitmentWithProof:
    """commitment = octets_to_commitment_with_proof(commitment_octs).

    Raises :class:`DecodeError` where the draft returns INVALID: a length that
    is not 112 + 32 * M, a point that is not the canonical encoding of a
    point of G1 or is the identity, a scalar that is 0 or >= r.
    """
    backend = ciphersuite.backend
    # 1.  commit_len_floor = octet_point_length + 2 * octet_scalar_length
    # 2.  if length(commitment_octs) < commit_len_floor, return INVALID
    # 15. if index != length(commitment_octs), return INVALID (checked first,
    #     which also bounds the work)
    if not commitment_octs:
        raise DecodeError("a commitment with proof is 112 + 32 * M bytes")
    commitment_message_count(commitment_octs)
    # 3.  C_octets = commitment_octs[0..(octet_point_length - 1)]
    # 4.  C = octets_to_point_E1(C_octets)
    # 5.  if C is INVALID, return INVALID
    c_point = backend.g1_from_bytes(commitment_octs[:OCTET_POINT_LENGTH])
    # 6.  if C == Identity_G1, return INVALID
    if backend.g1_is_identity(c_point):
        raise DecodeError("the commitment is the identity")
    # 7.-14. the scalars s_0, ..., s_(j-1), each 0 < s_j < r
    scalars = []
    for index in range(OCTET_POINT_LENGTH, len(commitment_octs), OCTET_SCALAR_LENGTH):
        s_j = int.from_bytes(commitment_octs[index : index + OCTET_SCALAR_LENGTH], "big")
        if s_j == 0 or s_j >= R:
            raise DecodeError("commitment proof scalar out of range")
        scalars.append(s_j)
    # 16. if j < 2, return INVALID (the length check above ensures j >= 2)
    # 17.-19. return (C, (s_0, (s_1, ..., s_(j-2)), s_(j-1)))
    return CommitmentWithProof(c_point, scalars[0], tuple(scalars[1:-1]), scalars[-1])


def deserialize_and_validate_commit(
    commitment_with_proof: bytes,
    blind_generators: Sequence[G1],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> G1:
    """commit = deserialize_and_validate_commit(commitment_with_proof, blind_generators, api_id).

    Identity_G1 for the empty string (no commitment); otherwise the checked
    commitment C. Raises :class:`DecodeError` for malformed input or a number
    of committed scalars that does not match the blind generators, and
    :class:`InvalidProof` for a proof of knowledge that does not verify.
    """
    # 1. if commitment_with_proof is the empty string (""), return Identity_G1
    if not commitment_with_proof:
        return ciphersuite.backend.g1_identity()
    # 2. com_res = octets_to_commitment_with_proof(commitment_with_proof)
    # 3. if com_res is INVALID, return INVALID
    # 4. (commit, commit_proof) = com_res
    decoded = octets_to_commitment_with_proof(commitment_with_proof, ciphersuite=ciphersuite)
    # 5. if length(commit_proof[1]) + 1 != length(blind_generators), return INVALID
    # 6. validation_res = CoreCommitVerify(commit, commit_proof, blind_generators, api_id)
    # 7. if validation_res is INVALID, return INVALID
    core_commit_verify(decoded, blind_generators, api_id, ciphersuite=ciphersuite)
    # 8. return commit
    return decoded.commitment


# -- Blind signing (Sections "Blind Signature Generation", "Finalize Blind Sign") ----


def blind_sign(
    sk: SecretBytes | bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    header: bytes,
    messages: Sequence[bytes],
    *,
    committed_count: int | None = None,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> bytes:
    """blind_signature = BlindSign(SK, PK, commitment_with_proof, header, messages).

    ``commitment_with_proof`` is the Prover's (b"" for none). A Signer that
    expects a fixed number of committed scalars (a credential layout) passes
    ``committed_count``: a commitment to any other number raises
    :class:`DecodeError`. A commitment whose proof of knowledge fails raises
    :class:`InvalidProof`.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    # 5. message_scalars = BBS.messages_to_scalars(messages, api_id); the rest
    #    as blind_sign_scalars.
    return blind_sign_scalars(
        sk,
        pk,
        commitment_with_proof,
        header,
        hashed_scalars(messages, api_id, ciphersuite),
        committed_count=committed_count,
        suite=suite,
        api_id=api_id,
        backend=backend,
    )


def blind_sign_scalars(
    sk: SecretBytes | bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    header: bytes,
    message_scalars: Sequence[int],
    *,
    committed_count: int | None = None,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
    signer_blind_scalars: Mapping[int, int] | None = None,
) -> bytes:
    """:func:`blind_sign` for messages already mapped to scalars.

    ``signer_blind_scalars`` is for other interfaces (see :func:`b_calculate`):
    the pseudonym interface adds its signer_nym_entropy so.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    sk_scalar = _secret_key_scalar(sk)
    octets_to_pubkey(pk, ciphersuite=ciphersuite)  # BBS Section 6.1: validate PK
    scalars = checked_scalars(message_scalars)
    # Deserialization:
    # 1. L = length(messages)
    # 2.-5. M from the length of commitment_with_proof
    count = commitment_message_count(commitment_with_proof)
    if committed_count is not None and count != committed_count:
        raise DecodeError("the commitment is not to the expected number of messages")
    _check_message_count(len(scalars) + 1 + count)
    # Procedure:
    # 1. generators = BBS.create_generators(L + 1, api_id)
    generators = create_generators(len(scalars) + 1, api_id, ciphersuite=ciphersuite)
    # 2. blind_generators = BBS.create_generators(M + 1, "BLIND_" || api_id)
    blind = blind_generators(count + 1, api_id, ciphersuite=ciphersuite)
    # 3. commit = deserialize_and_validate_commit(commitment_with_proof,
    #                                             blind_generators, api_id)
    # 4. if commit is INVALID, return INVALID
    commitment = deserialize_and_validate_commit(
        commitment_with_proof, blind, api_id, ciphersuite=ciphersuite
    )
    # 6.-11. B_calculate and FinalizeBlindSign
    return core_blind_sign(
        sk_scalar,
        pk,
        generators,
        blind,
        header,
        scalars,
        commitment,
        api_id,
        ciphersuite=ciphersuite,
        signer_blind_scalars=signer_blind_scalars,
    )


def core_blind_sign(
    sk: int,
    pk: bytes,
    generators: Sequence[G1],
    blind_generators: Sequence[G1],
    header: bytes,
    message_scalars: Sequence[int],
    commitment: G1,
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
    signer_blind_scalars: Mapping[int, int] | None = None,
) -> bytes:
    """Steps 6 to 11 of BlindSign: the domain, B_calculate and FinalizeBlindSign.

    ``commitment`` is a validated commitment (Identity_G1 for none).
    ``signer_blind_scalars`` maps an index into ``blind_generators`` to a
    scalar the Signer adds blindly to the committed value of that generator:
    the pseudonym draft adds signer_nym_entropy to the last nym secret so.
    """
    q_1, h_points = generators[0], generators[1:]
    if len(h_points) != len(message_scalars):
        raise DecodeError("one generator per message, plus Q_1")
    # The domain covers (H_1, ..., H_L, Q_2, J_1, ..., J_M), the generators of
    # every signed message (Section "Finalize Blind Sign", newest text).
    domain = calculate_domain(
        pk, q_1, [*h_points, *blind_generators], header, api_id, ciphersuite=ciphersuite
    )
    b = b_calculate(
        generators,
        blind_generators,
        commitment,
        message_scalars,
        domain,
        ciphersuite=ciphersuite,
        signer_blind_scalars=signer_blind_scalars,
    )
    return finalize_blind_sign(sk, b, api_id, ciphersuite=ciphersuite)


def b_calculate(
    generators: Sequence[G1],
    blind_generators: Sequence[G1],
    commitment: G1,
    message_scalars: Sequence[int],
    domain: int,
    *,
    ciphersuite: Ciphersuite,
    signer_blind_scalars: Mapping[int, int] | None = None,
) -> G1:
    """B = B_calculate(generators, commitment, message_scalars) (Section "Calculate B value").

    B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L + commitment, as
    the newest text writes it and the fixtures compute it (the -02 text
    omits P1 and the domain), plus blind_generators[k] * s for each (k, s) of
    ``signer_blind_scalars`` (k may count from the end, as -1 for the last).
    """
    backend = ciphersuite.backend
    # Deserialization:
    # 1. L = length(message_scalars)
    # 2. if length(generators) != L + 1, return INVALID
    # 3. (Q_1, H_1, ..., H_L) = generators
    # 4. (msg_1, ..., msg_L) = message_scalars
    if len(generators) != len(message_scalars) + 1:
        raise DecodeError("one generator per message, plus Q_1")
    additions = dict(signer_blind_scalars or {})
    if any(not -len(blind_generators) <= k < len(blind_generators) for k in additions):
        raise ValueError("signer blind scalars must name a blind generator")
    # Procedure:
    # 1. B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L + commitment
    b = backend.g1_msm(
        [ciphersuite.P1, *generators, commitment, *(blind_generators[k] for k in additions)],
        [1, domain, *message_scalars, 1, *additions.values()],
    )
    # 2. if B is Identity_G1, return INVALID
    if backend.g1_is_identity(b):
        raise ZkcheckError("signing failed")
    # 3. return (B)
    return b


def finalize_blind_sign(sk: int, b: G1, api_id: bytes, *, ciphersuite: Ciphersuite) -> bytes:
    """The signature (A, e) on B: steps 2 to 5 of FinalizeBlindSign, as the fixtures compute them.

    e = hash_to_scalar(serialize((SK, B)), api_id || "H2S_") and
    A = B * (1 / (SK + e)). Both draft texts hash (SK, B, domain); the
    fixtures hash (SK, B), and B already binds the domain through Q_1 * domain.
    """
    # 2. e_octs = BBS.serialize((SK, B))
    e_octs = _scalar_octets(sk) + ciphersuite.backend.g1_to_bytes(b)
    # 3. e = BBS.hash_to_scalar(e_octs, signature_dst)
    e = hash_to_scalar(e_octs, api_id + b"H2S_", suite=ciphersuite.suite)
    # 4. A = B * (1 / (SK + e)); refuse SK + e = 0 mod r, as CoreSign does.
    denominator = (sk + e) % R
    if denominator == 0:
        raise ZkcheckError("signing failed")
    a = ciphersuite.backend.g1_mul(b, pow(denominator, -1, R))
    # 5. return BBS.signature_to_octets((A, e))
    return signature_to_octets(Signature(a, e), ciphersuite=ciphersuite)


# -- Utilities: the signed list ----------------------------------------------------------


def prepare_parameters(
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    generators_number: int,
    blind_generators_number: int,
    secret_prover_blind: int | None,
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> tuple[list[int], list[G1]]:
    """(message_scalars, generators) = prepare_parameters(...) (Section "Prepare Parameters").

    Takes scalars where the draft takes messages, so that another interface
    can append scalars of its own (the pseudonym draft's nym secrets).
    ``secret_prover_blind`` is None where the draft passes NONE (a verifier,
    who does not know it). Returns the scalars ``message_scalars ||
    secret_prover_blind || committed_scalars`` and the generators ``Q_1,
    H_1, ..., Q_2, J_1, ...``.
    """
    # 1. message_scalars = BBS.messages_to_scalars(messages, api_id) (done by the caller)
    # 2. committed_message_scalars = ()
    # 3. if secret_prover_blind != NONE:
    #        committed_message_scalars.append(secret_prover_blind)
    # 4. committed_message_scalars.append(committed scalars)
    blind_part = [] if secret_prover_blind is None else [secret_prover_blind]
    blind_part.extend(committed_scalars)
    # 5. generators = BBS.create_generators(generators_number, api_id)
    generators = create_generators(generators_number, api_id, ciphersuite=ciphersuite)
    # 6. blind_generators = BBS.create_generators(blind_generators_number, "BLIND_" || api_id)
    blind = blind_generators(blind_generators_number, api_id, ciphersuite=ciphersuite)
    # 7. return (message_scalars.append(committed_message_scalars),
    #            generators.append(blind_generators))
    return [*message_scalars, *blind_part], [*generators, *blind]


def combined_indexes(
    signer_message_count: int,
    committed_message_count: int,
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
) -> list[int]:
    """Disclosed indexes in the signed list: disclosed_indexes, then L + 1 + j for each j.

    Each list must be ascending without repetition and within its own list
    (0 <= i < L, 0 <= j < M); otherwise :class:`DecodeError`.
    """
    _check_disclosed_indexes(disclosed_indexes, signer_message_count)
    _check_disclosed_indexes(disclosed_committed_indexes, committed_message_count)
    # indexes = (); indexes.append(disclosed_indexes);
    # for j in disclosed_commitment_indexes: indexes.append(j + L + 1)
    return [
        *disclosed_indexes,
        *(committed_message_index(signer_message_count, j) for j in disclosed_committed_indexes),
    ]


def checked_scalars(values: Sequence[int]) -> list[int]:
    """Message scalars given by a caller's own map: integers in [0, r), at most
    :data:`~zkcheck.hazmat.bbs.MAX_MESSAGES` of them; otherwise :class:`DecodeError`."""
    _check_message_count(len(values))
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < R:
            raise DecodeError("a message scalar is an integer in [0, r - 1]")
    return list(values)


def hashed_scalars(messages: Sequence[bytes], api_id: bytes, ciphersuite: Ciphersuite) -> list[int]:
    # BBS.messages_to_scalars, after bounding the count (before any hashing).
    _check_message_count(len(messages))
    return messages_to_scalars(messages, api_id, ciphersuite=ciphersuite)


def prover_parameters(
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    secret_prover_blind: SecretBytes | bytes | None,
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
    trailing_scalars: Sequence[int] = (),
) -> tuple[list[int], list[G1], list[int]]:
    """The signed scalars, generators and disclosed indexes of the Prover (VerifyBlindSign,
    BlindProofGen): prepare_parameters(messages, committed_messages, L + 1, M + 1,
    secret_prover_blind, api_id), and the indexes of both lists in the signed list.

    ``trailing_scalars`` follow the committed messages, under the last blind
    generators, and are never disclosed (the pseudonym draft's nym secrets).
    """
    signer, committed = checked_scalars(message_scalars), checked_scalars(committed_scalars)
    _check_message_count(len(signer) + 1 + len(committed) + len(trailing_scalars))
    indexes = combined_indexes(
        len(signer), len(committed), disclosed_indexes, disclosed_committed_indexes
    )
    scalars, generators = prepare_parameters(
        signer,
        [*committed, *trailing_scalars],
        len(signer) + 1,
        len(committed) + len(trailing_scalars) + 1,
        prover_blind_scalar(secret_prover_blind),
        api_id,
        ciphersuite=ciphersuite,
    )
    return scalars, generators, indexes


def verifier_parameters(
    proof: bytes,
    signer_message_count: int,
    disclosed_scalars: Sequence[int],
    disclosed_committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
    trailing_count: int = 0,
) -> tuple[list[int], list[G1], list[int]]:
    """The disclosed scalars, generators and disclosed indexes of BlindProofVerify.

    The number M of committed messages follows from the proof's length
    (:func:`committed_count_of_proof`); then prepare_parameters(
    disclosed_messages, disclosed_committed_messages, L + 1, M + 1, NONE,
    api_id). ``trailing_count`` undisclosed scalars follow the committed
    messages (the pseudonym draft's N nym secrets).
    """
    committed_count = committed_count_of_proof(
        proof,
        signer_message_count,
        len(disclosed_indexes) + len(disclosed_committed_indexes),
        trailing=trailing_count,
    )
    indexes = combined_indexes(
        signer_message_count, committed_count, disclosed_indexes, disclosed_committed_indexes
    )
    if len(disclosed_scalars) != len(disclosed_indexes) or len(disclosed_committed_scalars) != len(
        disclosed_committed_indexes
    ):
        raise DecodeError("one disclosed message per disclosed index")
    scalars, generators = prepare_parameters(
        checked_scalars(disclosed_scalars),
        checked_scalars(disclosed_committed_scalars),
        signer_message_count + 1,
        committed_count + trailing_count + 1,
        None,
        api_id,
        ciphersuite=ciphersuite,
    )
    return scalars, generators, indexes


def prover_blind_scalar(secret_prover_blind: SecretBytes | bytes | None) -> int:
    """secret_prover_blind as a scalar; None is zero, the draft's default (no commitment)."""
    if secret_prover_blind is None:
        return 0
    return secret_scalar(secret_prover_blind, "secret_prover_blind")


# -- Verification and proofs (Sections "Blind Signature Verification", "Proof Generation",
#    "Proof Verification") ----------------------------------------------------------------


def verify(
    pk: bytes,
    signature: bytes,
    header: bytes,
    messages: Sequence[bytes],
    committed_messages: Sequence[bytes],
    secret_prover_blind: SecretBytes | bytes | None = None,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> None:
    """result = VerifyBlindSign(PK, signature, header, messages, committed_messages,
    secret_prover_blind).

    ``secret_prover_blind`` None means zero (a signature issued without a
    commitment). Returns None when valid; raises :class:`DecodeError` or
    :class:`~zkcheck.errors.InvalidSignature`.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    verify_scalars(
        pk,
        signature,
        header,
        hashed_scalars(messages, api_id, ciphersuite),
        hashed_scalars(committed_messages, api_id, ciphersuite),
        secret_prover_blind,
        suite=suite,
        api_id=api_id,
        backend=backend,
    )


def verify_scalars(
    pk: bytes,
    signature: bytes,
    header: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    secret_prover_blind: SecretBytes | bytes | None = None,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> None:
    """:func:`verify` for messages already mapped to scalars."""
    ciphersuite, api_id = _interface(suite, api_id, backend)
    # 1. (message_scalars, generators) = prepare_parameters(messages, committed_messages,
    #        length(messages) + 1, length(committed_messages) + 1, secret_prover_blind, api_id)
    scalars, generators, _ = prover_parameters(
        message_scalars,
        committed_scalars,
        [],
        [],
        secret_prover_blind,
        api_id,
        ciphersuite=ciphersuite,
    )
    # 2. res = BBS.CoreVerify(PK, signature, generators, header, message_scalars, api_id)
    # 3. return res
    core_verify(pk, signature, generators, header, scalars, api_id, ciphersuite=ciphersuite)


def proof_gen(
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    messages: Sequence[bytes],
    committed_messages: Sequence[bytes],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    secret_prover_blind: SecretBytes | bytes | None = None,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
    chosen_m_tilde: Mapping[int, int] | None = None,
    extensions: Sequence[ProverExtension] = (),
) -> bytes:
    """proof = BlindProofGen(PK, signature, header, ph, messages, committed_messages,
    disclosed_indexes, disclosed_commitment_indexes, secret_prover_blind).

    The proof is a BBS proof over ``messages || secret_prover_blind ||
    committed_messages``; secret_prover_blind is never disclosed.
    ``chosen_m_tilde`` (single-use random blinding scalars, in [1, r - 1],
    chosen by the caller for undisclosed messages) and ``extensions`` are
    keyed by index in that list (:func:`committed_message_index`); see the
    module's documentation.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    return proof_gen_scalars(
        pk,
        signature,
        header,
        ph,
        hashed_scalars(messages, api_id, ciphersuite),
        hashed_scalars(committed_messages, api_id, ciphersuite),
        disclosed_indexes,
        disclosed_committed_indexes,
        secret_prover_blind,
        suite=suite,
        api_id=api_id,
        rng=rng,
        backend=backend,
        chosen_m_tilde=chosen_m_tilde,
        extensions=extensions,
    )


def proof_gen_scalars(
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    secret_prover_blind: SecretBytes | bytes | None = None,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
    chosen_m_tilde: Mapping[int, int] | None = None,
    extensions: Sequence[ProverExtension] = (),
) -> bytes:
    """:func:`proof_gen` for messages already mapped to scalars."""
    ciphersuite, api_id = _interface(suite, api_id, backend)
    octets_to_pubkey(pk, ciphersuite=ciphersuite)  # BBS Section 6.1
    # Deserialization 1.-6.: L, M and the two index lists, each within its own list.
    # Procedure:
    # 1. (message_scalars, generators) = prepare_parameters(messages, committed_messages,
    #        length(messages) + 1, length(committed_messages) + 1, secret_prover_blind, api_id)
    # 2.-4. indexes = disclosed_indexes, then j + L + 1 for each disclosed committed j
    scalars, generators, indexes = prover_parameters(
        message_scalars,
        committed_scalars,
        disclosed_indexes,
        disclosed_committed_indexes,
        secret_prover_blind,
        api_id,
        ciphersuite=ciphersuite,
    )
    # 5. proof = BBS.CoreProofGen(PK, signature, generators, header, ph,
    #                             message_scalars, indexes, api_id)
    # 6. return proof
    return core_proof_gen(
        pk,
        signature,
        generators,
        header,
        ph,
        scalars,
        indexes,
        api_id,
        ciphersuite=ciphersuite,
        rng=rng,
        _chosen_m_tilde=chosen_m_tilde,
        extensions=extensions,
    )


def proof_verify(
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    signer_message_count: int,
    disclosed_messages: Sequence[bytes],
    disclosed_committed_messages: Sequence[bytes],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
    extensions: Sequence[VerifierExtension] = (),
) -> None:
    """result = BlindProofVerify(PK, proof, header, ph, L, disclosed_messages,
    disclosed_committed_messages, disclosed_indexes, disclosed_committed_indexes).

    ``signer_message_count`` is L, the number of the Signer's messages; the
    number of committed messages follows from the proof's length. Returns
    None when valid; raises :class:`DecodeError` or :class:`InvalidProof`.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    proof_verify_scalars(
        pk,
        proof,
        header,
        ph,
        signer_message_count,
        hashed_scalars(disclosed_messages, api_id, ciphersuite),
        hashed_scalars(disclosed_committed_messages, api_id, ciphersuite),
        disclosed_indexes,
        disclosed_committed_indexes,
        suite=suite,
        api_id=api_id,
        backend=backend,
        extensions=extensions,
    )


def proof_verify_scalars(
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    signer_message_count: int,
    disclosed_scalars: Sequence[int],
    disclosed_committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
    extensions: Sequence[VerifierExtension] = (),
) -> None:
    """:func:`proof_verify` for messages already mapped to scalars."""
    ciphersuite, api_id = _interface(suite, api_id, backend)
    # Deserialization 1.-5.: U from the proof's length, M = R + U - L.
    # 1. (message_scalars, generators) = prepare_parameters(disclosed_messages,
    #        disclosed_committed_messages, L + 1, M, NONE, api_id)
    # 2.-4. indexes = disclosed_indexes, then j + L + 1 for each disclosed committed j
    scalars, generators, indexes = verifier_parameters(
        proof,
        signer_message_count,
        disclosed_scalars,
        disclosed_committed_scalars,
        disclosed_indexes,
        disclosed_committed_indexes,
        api_id,
        ciphersuite=ciphersuite,
    )
    # 5. result = BBS.CoreProofVerify(PK, proof, generators, header, ph,
    #                                 message_scalars, indexes, api_id)
    # 6. return result
    core_proof_verify(
        pk,
        proof,
        generators,
        header,
        ph,
        scalars,
        indexes,
        api_id,
        ciphersuite=ciphersuite,
        extensions=extensions,
    )


def committed_count_of_proof(
    proof: bytes, signer_message_count: int, disclosed_count: int, trailing: int = 0
) -> int:
    """The number of committed messages a proof covers, from its length (BlindProofVerify's
    deserialization): total = disclosed + U, and total = L + 1 + M + trailing.

    ``trailing`` counts scalars another interface appends after the committed
    messages (nym secrets). Everything is bounded before generators are made.
    """
    if isinstance(signer_message_count, bool) or not isinstance(signer_message_count, int):
        raise DecodeError("L is an integer")
    # 1. proof_len_floor = 3 * octet_point_length + 4 * octet_scalar_length
    # 2. if length(proof) < proof_len_floor, return INVALID
    # 3. U = floor((length(proof) - proof_len_floor) / octet_scalar_length)
    if len(proof) < PROOF_LEN_FLOOR or (len(proof) - PROOF_LEN_FLOOR) % OCTET_SCALAR_LENGTH:
        raise DecodeError("a proof is 272 + 32 * U bytes")
    undisclosed_count = (len(proof) - PROOF_LEN_FLOOR) // OCTET_SCALAR_LENGTH
    # 4. total_no_messages = length(disclosed_indexes) +
    #                        length(disclosed_committed_indexes) + U
    total = disclosed_count + undisclosed_count
    _check_message_count(total)
    # 5. M = total_no_messages - L (M counts the blind; zkcheck's M does not)
    committed_count = total - signer_message_count - 1 - trailing
    if signer_message_count < 0 or committed_count < 0:
        raise DecodeError("the proof is too short for the message counts")
    return committed_count
