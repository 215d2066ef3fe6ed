"""BBS per-verifier pseudonyms: draft-irtf-cfrg-bbs-per-verifier-linkability-02.

A pseudonym is the same every time one signature is shown in one context
(for example to one verifier) and unlinkable across contexts. The Prover's
pseudonym secret is a vector nym_secrets of N scalars, signed blindly: the
Prover commits to its prover_nyms, the Signer adds its signer_nym_entropy to
the last one while signing, and the Prover completes
nym_secrets = prover_nyms with nym_secrets[N-1] + signer_nym_entropy::

    Prover                                   Signer                         Verifier
    commit_with_nym(committed_messages,
                    prover_nyms)
      -> commitment_with_proof,
         secret_prover_blind     -- (+ N) -->  blind_sign_with_nym(SK, PK,
                                                 commitment_with_proof, N,
                                                 signer_nym_entropy,
                                                 header, messages)
    verify_finalize_with_nym(...)  <---------    -> signature, signer_nym_entropy
      -> nym_secrets
    proof_gen_with_nym(..., nym_secrets,
                       context_id, ...)
      -> proof, pseudonym        ---------------------------------------->  proof_verify_with_nym(
                                                                               ..., pseudonym,
                                                                               context_id, N, ...)

For a context identifier context_id, with OP = hash_to_curve_g1(context_id)
and z = hash_to_scalar(context_id), the pseudonym is
OP * (nym_secrets[0] + nym_secrets[1] * z + ... + nym_secrets[N-1] * z^(N-1)).
The proof is a blind BBS proof over ``messages || secret_prover_blind ||
committed_messages || nym_secrets`` whose Fiat-Shamir challenge also covers
the pseudonym and a Schnorr commitment Ut = OP * poly(m~ of the nym
secrets), so the verifier checks that the pseudonym was computed from the
signed, never disclosed, nym secrets. N is bound into the signature through
the header (header || I2OSP(N, 8)), so a Prover cannot present fewer secrets
than it committed to (the draft's Sybil consideration).

**Which algorithms.** The draft's text builds on an older blind interface
than the newest blind BBS text; zkcheck implements what the fixtures
(tests/vectors/bbs-pseudonym/) were generated with, on the blind machinery
of :mod:`zkcheck.hazmat.blind_bbs`, parameterised where the two differ (the
Signer's blind addition of signer_nym_entropy, trailing nym secrets).
spec/06-bbs.md lists every difference from the text. Three identifiers are
in play: the interface api_id ``ciphersuite_id || "H2G_HM2S_PSEUDONYM_"``
(messages, generators, every hash and the hash to curve of the context),
``"BLIND_" || api_id`` for the blind generators, and the plain BBS api_id
``ciphersuite_id || "H2G_HM2S_"`` only in the fixtures' mocked-randomness
DSTs. Every operation accepts another ``api_id``.

**Hooks.** :func:`proof_gen_with_nym` and :func:`proof_verify_with_nym` take
the same ``chosen_m_tilde`` and ``extensions`` as
:func:`zkcheck.hazmat.blind_bbs.proof_gen`; the pseudonym's own commitments
come first in the challenge, the caller's after them. The nym secret k sits at
index L + 1 + M + k of the signed list (:func:`nym_secret_index`).

**Errors.** As in :mod:`zkcheck.hazmat.blind_bbs`; a pseudonym that is not
the canonical encoding of a point of G1, or is the identity or the base
point, raises :class:`~zkcheck.errors.DecodeError`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from zkcheck.errors import DecodeError, InvalidProof, ZkcheckError
from zkcheck.hazmat import Rng
from zkcheck.hazmat.backend import G1, Backend
from zkcheck.hazmat.bbs import (
    OCTET_POINT_LENGTH,
    ChallengeExtension,
    Ciphersuite,
    ProverExtension,
    R,
    VerifierExtension,
    _scalar_octets,
    calculate_random_scalars,
    core_proof_gen,
    core_proof_verify,
    core_verify,
    get_ciphersuite,
    hash_to_scalar,
    octets_to_pubkey,
)
from zkcheck.hazmat.blind_bbs import (
    blind_sign_scalars,
    check_api_id,
    checked_scalars,
    commit_scalars,
    commitment_message_count,
    hashed_scalars,
    prover_parameters,
    secret_scalar,
    verifier_parameters,
)
from zkcheck.hazmat.hash_to_curve import hash_to_curve
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.suites import Suite

__all__ = [
    "API_ID_SUFFIX",
    "BP1_OCTETS",
    "NYM_SECRETS_DST_SUFFIX",
    "blind_sign_with_nym",
    "blind_sign_with_nym_scalars",
    "calculate_pseudonym",
    "combined_header",
    "commit_with_nym",
    "commit_with_nym_scalars",
    "generate_prover_nyms",
    "generate_signer_nym_entropy",
    "interface_api_id",
    "nym_secret_index",
    "octets_to_pseudonym",
    "proof_gen_with_nym",
    "proof_gen_with_nym_scalars",
    "proof_verify_with_nym",
    "proof_verify_with_nym_scalars",
    "pseudonym_proof_init",
    "pseudonym_proof_verify_init",
    "verify_finalize_with_nym",
    "verify_finalize_with_nym_scalars",
]

API_ID_SUFFIX = b"H2G_HM2S_PSEUDONYM_"
"""The pseudonym interface's api_id is ciphersuite_id || "H2G_HM2S_PSEUDONYM_"."""

NYM_SECRETS_DST_SUFFIX = b"VECT_NYM_SECRETS"
"""z = hash_to_scalar(context_id, api_id || "VECT_NYM_SECRETS")."""

BP1_OCTETS = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
)
"""The compressed base point BP1 of G1 (draft-irtf-cfrg-pairing-friendly-curves), which the
draft's definition excludes as a pseudonym, as it does the identity."""

_MAX_NYM_SECRETS = 64
"""zkcheck's bound on N, the length of the nym secret vector (the draft sets none)."""


def interface_api_id(suite: Suite = Suite.BLS12_381_SHA_256) -> bytes:
    """api_id of the pseudonym interface: ciphersuite_id || "H2G_HM2S_PSEUDONYM_"."""
    return suite.ciphersuite_id + API_ID_SUFFIX


def _api_id(api_id: bytes | None, suite: Suite) -> bytes:
    return interface_api_id(suite) if api_id is None else check_api_id(api_id)


def _interface(
    suite: Suite, api_id: bytes | None, backend: Backend | None
) -> tuple[Ciphersuite, bytes]:
    return get_ciphersuite(suite, backend), _api_id(api_id, suite)


def _check_nym_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= _MAX_NYM_SECRETS:
        raise DecodeError(f"the nym secret vector has 1 to {_MAX_NYM_SECRETS} scalars")


def combined_header(header: bytes, nym_count: int) -> bytes:
    """header || I2OSP(N, 8): the header every signature and proof of the interface uses."""
    _check_nym_count(nym_count)
    return header + nym_count.to_bytes(8, "big")


def nym_secret_index(signer_message_count: int, committed_message_count: int, k: int) -> int:
    """Index in the signed list of nym secret k: L + 1 + M + k."""
    return signer_message_count + 1 + committed_message_count + k


def _nym_scalars(values: Sequence[SecretBytes | bytes], name: str) -> list[int]:
    _check_nym_count(len(values))
    return [secret_scalar(value, name) for value in values]


def generate_prover_nyms(count: int = 1, rng: Rng | None = None) -> tuple[SecretBytes, ...]:
    """``count`` random prover_nyms (the Prover's part of the nym secrets), each I2OSP(x, 32)."""
    _check_nym_count(count)
    ciphersuite = get_ciphersuite()
    return tuple(
        SecretBytes(_scalar_octets(x))
        for x in calculate_random_scalars(count, rng, ciphersuite=ciphersuite)
    )


def generate_signer_nym_entropy(rng: Rng | None = None) -> bytes:
    """A fresh signer_nym_entropy, I2OSP(x, 32) with 0 < x < r.

    The draft asks for a different value for each Prover (Section "Preventing
    Impersonation Attacks"); it allows reusing one to reissue a signature
    with the same pseudonyms.
    """
    ciphersuite = get_ciphersuite()
    while True:
        (entropy,) = calculate_random_scalars(1, rng, ciphersuite=ciphersuite)
        if entropy:
            return _scalar_octets(entropy)


def _entropy_scalar(signer_nym_entropy: bytes) -> int:
    return secret_scalar(signer_nym_entropy, "signer_nym_entropy", allow_zero=False)


# -- Commitment and issuance (Sections "Commitment", "Blind Issuance",
#    "Verification and Finalization") ------------------------------------------------


def commit_with_nym(
    committed_messages: Sequence[bytes],
    prover_nyms: Sequence[SecretBytes | bytes],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> tuple[bytes, SecretBytes]:
    """(commitment_with_proof, secret_prover_blind) = CommitWithNym(committed_messages,
    prover_nyms, api_id).

    The Prover sends the commitment with N = length(prover_nyms); it keeps
    secret_prover_blind and prover_nyms.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    # 1. committed_message_scalars = BBS.messages_to_scalars(committed_messages, api_id)
    return commit_with_nym_scalars(
        hashed_scalars(committed_messages, api_id, ciphersuite),
        prover_nyms,
        suite=suite,
        api_id=api_id,
        rng=rng,
        backend=backend,
    )


def commit_with_nym_scalars(
    committed_scalars: Sequence[int],
    prover_nyms: Sequence[SecretBytes | bytes],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> tuple[bytes, SecretBytes]:
    """:func:`commit_with_nym` for messages already mapped to scalars."""
    nyms = _nym_scalars(prover_nyms, "prover_nyms")
    # 2. committed_message_scalars.append(prover_nyms)
    # 3. blind_generators = BBS.create_generators(length(committed_message_scalars) + 1,
    #                                             "BLIND_" || api_id)
    # 4. return Blind.CoreCommit(committed_message_scalars, blind_generators, api_id)
    return commit_scalars(
        [*checked_scalars(committed_scalars), *nyms],
        suite=suite,
        api_id=_api_id(api_id, suite),
        rng=rng,
        backend=backend,
    )


def blind_sign_with_nym(
    sk: SecretBytes | bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    nym_count: int,
    signer_nym_entropy: bytes,
    header: bytes,
    messages: Sequence[bytes],
    *,
    committed_count: int | None = None,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> bytes:
    """blind_sig = BlindSignWithNym(SK, PK, commitment_with_proof, length_nym_vector,
    signer_nym_entropy, header, messages).

    ``nym_count`` is N as the Prover declared it; the commitment must cover at
    least N scalars, the last N of which are its prover_nyms. A Signer that
    expects a fixed number of committed messages passes ``committed_count``
    (the messages only, without the nyms). ``signer_nym_entropy`` comes from
    :func:`generate_signer_nym_entropy`; the Signer sends it with the signature.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    # 5. message_scalars = BBS.messages_to_scalars(messages, api_id)
    return blind_sign_with_nym_scalars(
        sk,
        pk,
        commitment_with_proof,
        nym_count,
        signer_nym_entropy,
        header,
        hashed_scalars(messages, api_id, ciphersuite),
        committed_count=committed_count,
        suite=suite,
        api_id=api_id,
        backend=backend,
    )


def blind_sign_with_nym_scalars(
    sk: SecretBytes | bytes,
    pk: bytes,
    commitment_with_proof: bytes,
    nym_count: int,
    signer_nym_entropy: bytes,
    header: bytes,
    message_scalars: Sequence[int],
    *,
    committed_count: int | None = None,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> bytes:
    """:func:`blind_sign_with_nym` for messages already mapped to scalars."""
    _check_nym_count(nym_count)
    entropy = _entropy_scalar(signer_nym_entropy)
    # Deserialization 2.-5.: M, the number of committed scalars (the nym
    # vector included), from the commitment's length. A commitment is
    # required: the nym secrets are in it.
    if not commitment_with_proof:
        raise DecodeError("a pseudonym signature needs the Prover's commitment")
    count = commitment_message_count(commitment_with_proof)
    if count < nym_count or (committed_count is not None and count != committed_count + nym_count):
        raise DecodeError("the commitment is not to the expected number of messages")
    # Procedure 1.-7. are BlindSign's; then
    # 8. B = B + blind_generators[-1] * signer_nym_entropy
    # 9. combined_header = header || I2OSP(length_nym_vector, 8)
    # 10. blind_sig = Blind.FinalizeBlindSign(SK, PK, B, generators,
    #                                         blind_generators, combined_header, api_id)
    return blind_sign_scalars(
        sk,
        pk,
        commitment_with_proof,
        combined_header(header, nym_count),
        message_scalars,
        committed_count=count,
        suite=suite,
        api_id=_api_id(api_id, suite),
        backend=backend,
        signer_blind_scalars={-1: entropy},
    )


def verify_finalize_with_nym(
    pk: bytes,
    signature: bytes,
    header: bytes,
    messages: Sequence[bytes],
    committed_messages: Sequence[bytes],
    prover_nyms: Sequence[SecretBytes | bytes],
    signer_nym_entropy: bytes,
    secret_prover_blind: SecretBytes | bytes,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> tuple[SecretBytes, ...]:
    """nym_secrets = VerifyFinalizeWithNym(PK, signature, header, messages,
    committed_messages, prover_nyms, signer_nym_entropy, secret_prover_blind).

    Verifies the signature over the completed nym secrets and returns them
    (each I2OSP(x, 32)); raises :class:`DecodeError` or
    :class:`~zkcheck.errors.InvalidSignature`.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    return verify_finalize_with_nym_scalars(
        pk,
        signature,
        header,
        hashed_scalars(messages, api_id, ciphersuite),
        hashed_scalars(committed_messages, api_id, ciphersuite),
        prover_nyms,
        signer_nym_entropy,
        secret_prover_blind,
        suite=suite,
        api_id=api_id,
        backend=backend,
    )


def verify_finalize_with_nym_scalars(
    pk: bytes,
    signature: bytes,
    header: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    prover_nyms: Sequence[SecretBytes | bytes],
    signer_nym_entropy: bytes,
    secret_prover_blind: SecretBytes | bytes,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> tuple[SecretBytes, ...]:
    """:func:`verify_finalize_with_nym` for messages already mapped to scalars."""
    ciphersuite, api_id = _interface(suite, api_id, backend)
    nyms = _nym_scalars(prover_nyms, "prover_nyms")
    entropy = _entropy_scalar(signer_nym_entropy)
    # 2. nym_secrets = prover_nyms.copy()
    # 3. nym_secrets[-1] = prover_nyms[-1] + signer_nym_entropy
    nym_secrets = [*nyms[:-1], (nyms[-1] + entropy) % R]
    # 1. (message_scalars, generators) = Blind.prepare_parameters(messages,
    #        committed_messages, length(messages) + 1,
    #        length(committed_messages) + N + 1, secret_prover_blind, api_id)
    # 4. message_scalars.append(nym_secrets)
    scalars, generators, _ = prover_parameters(
        message_scalars,
        committed_scalars,
        [],
        [],
        secret_prover_blind,
        api_id,
        ciphersuite=ciphersuite,
        trailing_scalars=nym_secrets,
    )
    # 5. combined_header = header || I2OSP(length(prover_nyms), 8)
    # 6. res = BBS.CoreVerify(PK, signature, generators, combined_header,
    #                         message_scalars, api_id)
    # 7. if res is INVALID, return INVALID
    core_verify(
        pk,
        signature,
        generators,
        combined_header(header, len(nyms)),
        scalars,
        api_id,
        ciphersuite=ciphersuite,
    )
    # 8. return nym_secrets
    return tuple(SecretBytes(_scalar_octets(x)) for x in nym_secrets)


# -- Pseudonyms (Sections "Pseudonym Calculation Procedure", "Pseudonym Proof
#    Generation Utilities") --------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _context_base(context_id: bytes, api_id: bytes, ciphersuite: Ciphersuite) -> tuple[G1, int]:
    """OP = hash_to_curve_g1(context_id, api_id) and z = hash_to_scalar(context_id,
    api_id || "VECT_NYM_SECRETS"): the text writes the DST of OP as api_id, and the
    fixtures use exactly that.

    Both are public and fixed per context, and a verifier checks many proofs
    in its own context: they are cached (hashing to the curve is about a
    seventh of a pseudonym proof's verification here).
    """
    op = hash_to_curve(
        context_id,
        api_id,
        suite=ciphersuite.hash_to_curve_suite,
        backend=ciphersuite.backend,
    )
    z = hash_to_scalar(context_id, api_id + NYM_SECRETS_DST_SUFFIX, suite=ciphersuite.suite)
    return op, z


def _polynomial(coefficients: Sequence[int], z: int) -> int:
    """coefficients[0] + coefficients[1] * z + ... mod r, by Horner's rule."""
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * z + coefficient) % R
    return value


def calculate_pseudonym(
    context_id: bytes,
    nym_secrets: Sequence[SecretBytes | bytes],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    backend: Backend | None = None,
) -> bytes:
    """The pseudonym for ``context_id``, OP * poly(nym_secrets, z), compressed (48 bytes)."""
    ciphersuite = get_ciphersuite(suite, backend)
    api_id = _api_id(api_id, suite)
    op, z = _context_base(context_id, api_id, ciphersuite)
    pseudonym = _pseudonym_point(op, z, _nym_scalars(nym_secrets, "nym_secrets"), ciphersuite)
    return ciphersuite.backend.g1_to_bytes(pseudonym)


def _pseudonym_point(op: G1, z: int, nym_secrets: Sequence[int], ciphersuite: Ciphersuite) -> G1:
    # pseudonym = OP * poly_eval_pseudo, never the identity (PseudonymProofInit step 9).
    pseudonym = ciphersuite.backend.g1_mul(op, _polynomial(nym_secrets, z))
    if ciphersuite.backend.g1_is_identity(pseudonym):
        raise DecodeError("these nym secrets give the identity as pseudonym")
    return pseudonym


def pseudonym_proof_init(
    context_id: bytes,
    nym_secrets: Sequence[int],
    random_scalars: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> tuple[G1, G1]:
    """(pseudonym, Ut) of PseudonymProofInit(context_id, nym_secrets, random_scalars).

    ``random_scalars`` are the m~ that blind the nym secrets in the BBS proof.
    """
    backend = ciphersuite.backend
    if len(random_scalars) != len(nym_secrets):
        raise DecodeError("one random scalar per nym secret")
    # 1. OP = hash_to_curve_g1(context_id, api_id)
    # 2. z = hash_to_scalar(context_id, api_id || 'VECT_NYM_SECRETS')
    op, z = _context_base(context_id, api_id, ciphersuite)
    # 3.-6. poly_eval_pseudo and poly_eval_proof at z
    # 7. pseudonym = OP * poly_eval_pseudo
    pseudonym = _pseudonym_point(op, z, nym_secrets, ciphersuite)
    # 8. Ut = OP * poly_eval_proof
    ut = backend.g1_mul(op, _polynomial(random_scalars, z))
    # 9. if pseudonym == Identity_G1 or Ut == Identity_G1, return INVALID
    #    (Ut is the identity with probability 1/r: the m~ are random)
    if backend.g1_is_identity(ut):
        raise ZkcheckError("proof generation failed")
    # 10. return (pseudonym, context_id, Ut)
    return pseudonym, ut


def pseudonym_proof_verify_init(
    pseudonym: G1,
    context_id: bytes,
    nym_secret_commitments: Sequence[int],
    proof_challenge: int,
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> G1:
    """Uv of PseudonymProofVerifyInit(pseudonym, context_id, nym_secret_commitments,
    proof_challenge): OP * poly(m^ of the nym secrets, z) - pseudonym * challenge."""
    # 1. OP = hash_to_curve_g1(context_id, api_id)
    # 2. z = hash_to_scalar(context_id, api_id || 'VECT_NYM_SECRETS')
    op, z = _context_base(context_id, api_id, ciphersuite)
    # 3.-5. poly_eval_proof over the nym secret commitments
    # 6. Uv = OP * poly_eval_proof - pseudonym * proof_challenge
    uv = ciphersuite.backend.g1_msm(
        [op, pseudonym], [_polynomial(nym_secret_commitments, z), (-proof_challenge) % R]
    )
    # 7. if Uv == Identity_G1, return INVALID
    if ciphersuite.backend.g1_is_identity(uv):
        raise InvalidProof("proof invalid")
    # 8. return (pseudonym, context_id, Uv)
    return uv


def octets_to_pseudonym(octets: bytes, *, ciphersuite: Ciphersuite) -> G1:
    """A pseudonym from its 48 bytes: a point of G1 other than the identity and BP1.

    Raises :class:`DecodeError` otherwise.
    """
    if len(octets) != OCTET_POINT_LENGTH:
        raise DecodeError(f"a pseudonym is {OCTET_POINT_LENGTH} bytes")
    point = ciphersuite.backend.g1_from_bytes(octets)
    if ciphersuite.backend.g1_is_identity(point) or octets == BP1_OCTETS:
        raise DecodeError("a pseudonym is neither the identity nor the base point")
    return point


def _context_octets(context_id: bytes) -> bytes:
    # The challenge appends I2OSP(length(context_id), 8) || context_id after ph.
    return len(context_id).to_bytes(8, "big") + context_id


# -- Proofs (Sections "Proof Generation with Pseudonym", "Proof Verification with
#    Pseudonym", "Core Proof Generation", "Core Proof Verification") -------------------


def proof_gen_with_nym(
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    nym_secrets: Sequence[SecretBytes | bytes],
    context_id: bytes,
    messages: Sequence[bytes],
    committed_messages: Sequence[bytes],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    secret_prover_blind: SecretBytes | bytes,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
    chosen_m_tilde: Mapping[int, int] | None = None,
    extensions: Sequence[ProverExtension] = (),
) -> tuple[bytes, bytes]:
    """(proof, pseudonym) = ProofGenWithNym(PK, signature, header, ph, nym_secrets,
    context_id, messages, committed_messages, disclosed_indexes,
    disclosed_commitment_indexes, secret_prover_blind).

    The nym secrets are never disclosed. ``chosen_m_tilde`` and
    ``extensions`` are as in :func:`zkcheck.hazmat.blind_bbs.proof_gen`.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    return proof_gen_with_nym_scalars(
        pk,
        signature,
        header,
        ph,
        nym_secrets,
        context_id,
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


def proof_gen_with_nym_scalars(
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    nym_secrets: Sequence[SecretBytes | bytes],
    context_id: bytes,
    message_scalars: Sequence[int],
    committed_scalars: Sequence[int],
    disclosed_indexes: Sequence[int],
    disclosed_committed_indexes: Sequence[int],
    secret_prover_blind: SecretBytes | bytes,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    api_id: bytes | None = None,
    rng: Rng | None = None,
    backend: Backend | None = None,
    chosen_m_tilde: Mapping[int, int] | None = None,
    extensions: Sequence[ProverExtension] = (),
) -> tuple[bytes, bytes]:
    """:func:`proof_gen_with_nym` for messages already mapped to scalars."""
    ciphersuite, api_id = _interface(suite, api_id, backend)
    secrets = _nym_scalars(nym_secrets, "nym_secrets")
    octets_to_pubkey(pk, ciphersuite=ciphersuite)
    # Deserialization 1.-6.: the indexes, each within its own list, so that
    # no nym secret can be disclosed.
    # 1. (message_scalars, generators) = Blind.prepare_parameters(messages,
    #        committed_messages, L + 1, M + length(nym_secrets) + 1,
    #        secret_prover_blind, api_id); message_scalars.append(nym_secrets)
    # 2.-4. indexes = disclosed_indexes, then j + L + 1 for each disclosed committed j
    scalars, generators, indexes = prover_parameters(
        message_scalars,
        committed_scalars,
        disclosed_indexes,
        disclosed_committed_indexes,
        secret_prover_blind,
        api_id,
        ciphersuite=ciphersuite,
        trailing_scalars=secrets,
    )
    # The nym secrets are the last N scalars of the signed list.
    nym_indexes = list(range(len(scalars) - len(secrets), len(scalars)))
    pseudonyms: list[G1] = []

    def pseudonym_commitment(m_tilde: Mapping[int, int]) -> ChallengeExtension:
        # CoreProofGenWithNym 5.-7.: PseudonymProofInit with the m~ of the nym
        # secrets, the last ones of the BBS proof's random scalars.
        pseudonym, ut = pseudonym_proof_init(
            context_id,
            secrets,
            [m_tilde[j] for j in nym_indexes],
            api_id,
            ciphersuite=ciphersuite,
        )
        pseudonyms.append(pseudonym)
        return ChallengeExtension((pseudonym, ut), _context_octets(context_id))

    # 5. (proof, pseudonym) = CoreProofGenWithNym(PK, signature, generators,
    #        header, ph, context_id, message_scalars, indexes, N, api_id), whose
    #    challenge c_arr is BBS's with (pseudonym, Ut) after T2 and
    #    I2OSP(length(context_id), 8) || context_id after ph.
    proof = core_proof_gen(
        pk,
        signature,
        generators,
        combined_header(header, len(secrets)),
        ph,
        scalars,
        indexes,
        api_id,
        ciphersuite=ciphersuite,
        rng=rng,
        _chosen_m_tilde=chosen_m_tilde,
        extensions=[pseudonym_commitment, *extensions],
    )
    # 6. return (proof, pseudonym)
    return proof, ciphersuite.backend.g1_to_bytes(pseudonyms[0])


def proof_verify_with_nym(
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    pseudonym: bytes,
    context_id: bytes,
    nym_count: int,
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
    """result = ProofVerifyWithNym(PK, proof, header, ph, pseudonym, context_id,
    length_nym_vector, L, disclosed_messages, disclosed_committed_messages,
    disclosed_indexes, disclosed_committed_indexes).

    ``context_id`` and ``nym_count`` (N) are the verifier's own; the number
    of committed messages follows from the proof's length. Returns None when
    valid; raises :class:`DecodeError` or :class:`InvalidProof`.
    """
    ciphersuite, api_id = _interface(suite, api_id, backend)
    proof_verify_with_nym_scalars(
        pk,
        proof,
        header,
        ph,
        pseudonym,
        context_id,
        nym_count,
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


def proof_verify_with_nym_scalars(
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    pseudonym: bytes,
    context_id: bytes,
    nym_count: int,
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
    """:func:`proof_verify_with_nym` for messages already mapped to scalars."""
    ciphersuite, api_id = _interface(suite, api_id, backend)
    _check_nym_count(nym_count)
    nym_point = octets_to_pseudonym(pseudonym, ciphersuite=ciphersuite)
    # Deserialization 1.-5.: total = R + U, and the committed messages are
    # what is left after L, the blind and the N nym secrets.
    # 1. (message_scalars, generators) = Blind.prepare_parameters(disclosed_messages,
    #        disclosed_committed_messages, L + 1, M + 1, NONE, api_id)
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
        trailing_count=nym_count,
    )
    # The nym secrets are the last N scalars of the signed list (one
    # generator per scalar, plus Q_1).
    signed_count = len(generators) - 1
    nym_indexes = list(range(signed_count - nym_count, signed_count))

    def pseudonym_commitment(m_hat: Mapping[int, int], challenge: int) -> ChallengeExtension:
        # CoreProofVerifyWithNym 3.-4.: PseudonymProofVerifyInit with the
        # responses of the nym secrets (the last N undisclosed messages).
        uv = pseudonym_proof_verify_init(
            nym_point,
            context_id,
            [m_hat[j] for j in nym_indexes],
            challenge,
            api_id,
            ciphersuite=ciphersuite,
        )
        return ChallengeExtension((nym_point, uv), _context_octets(context_id))

    # 5. result = CoreProofVerifyWithNym(PK, proof, pseudonym, context_id, N,
    #        generators, header, ph, message_scalars, indexes, api_id)
    core_proof_verify(
        pk,
        proof,
        generators,
        combined_header(header, nym_count),
        ph,
        scalars,
        indexes,
        api_id,
        ciphersuite=ciphersuite,
        extensions=[pseudonym_commitment, *extensions],
    )
