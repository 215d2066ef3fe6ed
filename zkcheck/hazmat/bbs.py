"""BBS signatures: draft-irtf-cfrg-bbs-signatures-09, both BLS12-381 ciphersuites.

A Signer signs a list of messages with one short signature; a Prover who
holds it proves knowledge of it in zero knowledge, disclosing any subset of
the messages; a Verifier checks the proof with the Signer's public key::

    Signer                          Prover                           Verifier
    sign(SK, PK, header, msgs) -->  verify(PK, sig, header, msgs)
                                    proof_gen(PK, sig, header, ph,
                                              msgs, disclosed) -->   proof_verify(PK, proof,
                                                                       header, ph, disclosed
                                                                       msgs, disclosed)

The module follows the draft's structure and keeps its names: the BBS
Signatures Interface (Section 3.5: :func:`sign`, :func:`verify`,
:func:`proof_gen`, :func:`proof_verify`, with ``api_id = ciphersuite_id ||
"H2G_HM2S_"``), the core operations (Section 3.6), the proof subroutines
(Section 3.7) and the utilities (Section 4). Every procedure carries the
draft's numbered steps as comments. The core operations take generators,
message scalars and an ``api_id`` exactly as the draft does, so other BBS
Interfaces (blind signatures, pseudonyms) reuse them with their own
``api_id`` and generators.

Encodings are the draft's: a secret key is I2OSP(SK, 32), a public key the
96-byte compressed G2 point, a signature ``A || e`` (80 bytes), a proof
``Abar || Bbar || D || e^ || r1^ || r3^ || m^_j1 .. m^_jU || c``.

Errors: malformed input (lengths, encodings, points off the curve, outside
the subgroup or at infinity, scalars that are zero or >= r, indexes that are
out of range, unsorted or repeated, more than :data:`MAX_MESSAGES` messages)
raises :class:`~zkcheck.errors.DecodeError`; a well-formed signature or
proof that does not verify raises :class:`~zkcheck.errors.InvalidSignature`
or :class:`~zkcheck.errors.InvalidProof`, whose messages do not say which
check failed. Verification returns None.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from zkcheck.errors import DecodeError, InvalidProof, InvalidSignature, ZkcheckError
from zkcheck.hazmat import Rng, default_rng
from zkcheck.hazmat.backend import (
    G1,
    G1_OCTETS,
    G2,
    G2_OCTETS,
    GROUP_ORDER,
    Backend,
    get_backend,
)
from zkcheck.hazmat.hash_to_curve import (
    BLS12381G1_XMD_SHA_256_SSWU_RO,
    BLS12381G1_XOF_SHAKE_256_SSWU_RO,
    HashToCurveSuite,
    hash_to_curve,
)
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.suites import Suite

__all__ = [
    "MAX_MESSAGES",
    "ChallengeExtension",
    "Ciphersuite",
    "Proof",
    "ProofInitResult",
    "ProverExtension",
    "Signature",
    "Suite",
    "VerifierExtension",
    "calculate_domain",
    "calculate_random_scalars",
    "core_proof_gen",
    "core_proof_verify",
    "core_sign",
    "core_verify",
    "create_generators",
    "get_ciphersuite",
    "hash_to_scalar",
    "key_gen",
    "messages_to_scalars",
    "octets_to_proof",
    "octets_to_pubkey",
    "octets_to_signature",
    "proof_challenge_calculate",
    "proof_finalize",
    "proof_gen",
    "proof_init",
    "proof_to_octets",
    "proof_verify",
    "proof_verify_init",
    "sign",
    "signature_to_octets",
    "sk_to_pk",
    "verify",
]

R = GROUP_ORDER
"""r, the prime order of G1 and G2; scalars are integers mod r."""

OCTET_SCALAR_LENGTH = 32
OCTET_POINT_LENGTH = G1_OCTETS
EXPAND_LEN = 48
"""expand_len of both BLS12-381 ciphersuites: ceil((ceil(log2(r)) + k) / 8), k = 128."""

SIGNATURE_LENGTH = OCTET_POINT_LENGTH + OCTET_SCALAR_LENGTH
PROOF_LEN_FLOOR = 3 * OCTET_POINT_LENGTH + 4 * OCTET_SCALAR_LENGTH

MAX_MESSAGES = 256
"""zkcheck's bound on the number of signed messages L.

The draft allows up to 2^64 - 1. A bound keeps decoding total: a proof's
length fixes how many generators a verifier must create (and cache), so
without one a single long proof could cost the verifier minutes and memory.
zkcheck's credentials sign a few dozen messages at most.
"""

HASH_TO_CURVE_SUITES: dict[Suite, HashToCurveSuite] = {
    Suite.BLS12_381_SHA_256: BLS12381G1_XMD_SHA_256_SSWU_RO,
    Suite.BLS12_381_SHAKE_256: BLS12381G1_XOF_SHAKE_256_SSWU_RO,
}
"""Each ciphersuite's hash_to_curve_suite (Section 7.2), which also fixes expand_message."""

_INTERFACE_API_ID_SUFFIX = b"H2G_HM2S_"
_PUBKEY_CACHE_SIZE = 1024


class Signature(NamedTuple):
    """A decoded BBS signature (A, e): A in G1 minus the identity, 0 < e < r."""

    A: G1
    e: int


class Proof(NamedTuple):
    """A decoded BBS proof (Abar, Bbar, D, e^, r1^, r3^, (m^_j1, ..., m^_jU), c)."""

    Abar: G1
    Bbar: G1
    D: G1
    e_hat: int
    r1_hat: int
    r3_hat: int
    commitments: tuple[int, ...]
    challenge: int


class ProofInitResult(NamedTuple):
    """init_res of ProofInit and ProofVerifyInit: (Abar, Bbar, D, T1, T2, domain)."""

    Abar: G1
    Bbar: G1
    D: G1
    T1: G1
    T2: G1
    domain: int


class ChallengeExtension(NamedTuple):
    """What a proof sharing the BBS proof's Fiat-Shamir challenge adds to it.

    ``points`` are serialized after T2 and before the domain, ``octets`` after
    the presentation header (see :func:`proof_challenge_calculate`). Several
    extensions are concatenated in the order given, so each one's octets must
    be self-delimiting (length-prefixed) and its number of points fixed by
    what it proves.
    """

    points: tuple[G1, ...] = ()
    octets: bytes = b""


ProverExtension = Callable[[Mapping[int, int]], ChallengeExtension]
"""Prover side of an extension: given the blinding scalar m~_j of every
undisclosed message j (by its index in the signed list), return the
extension's commitments. Called once, after ProofInit, before the challenge.
The challenge is the proof's last scalar (``octets_to_proof(proof).challenge``),
for an extension that must compute responses of its own."""

VerifierExtension = Callable[[Mapping[int, int], int], ChallengeExtension]
"""Verifier side of an extension: given the response m^_j of every undisclosed
message j (by index) and the proof's challenge, return the commitments the
extension recomputes, or raise a :class:`~zkcheck.errors.ZkcheckError`."""


def _combine_extensions(parts: Iterable[ChallengeExtension]) -> ChallengeExtension:
    points: list[G1] = []
    octets: list[bytes] = []
    for part in parts:
        points.extend(part.points)
        octets.append(part.octets)
    return ChallengeExtension(tuple(points), b"".join(octets))


class Ciphersuite:
    """A BBS ciphersuite (Section 7) on one backend, with the caches that go with it.

    Holds the ciphersuite's parameters (ciphersuite_id, hash-to-curve suite,
    P1) and caches what is constant or per public key: generators (the draft
    allows caching them, Section 4.1.1), and decoded, validated public keys
    (Section 4.2.4.6 allows caching that validation). Nothing secret is cached.
    Get one with :func:`get_ciphersuite`.
    """

    def __init__(self, suite: Suite, backend: Backend) -> None:
        self.suite = suite
        self.backend = backend
        self.ciphersuite_id = suite.ciphersuite_id
        self.api_id = self.ciphersuite_id + _INTERFACE_API_ID_SUFFIX
        self.hash_to_curve_suite = HASH_TO_CURVE_SUITES[suite]
        self._lock = threading.Lock()
        self._generators: dict[tuple[bytes, bytes, bytes], tuple[bytes, list[G1]]] = {}
        self._pubkeys: OrderedDict[bytes, G2] = OrderedDict()
        self.BP2 = backend.g2_generator()
        self.neg_BP2 = backend.g2_neg(self.BP2)
        # P1 (Section 7.2): create_generators with count = 1, no api_id, and
        # the ciphersuite-specific definitions below.
        self.P1 = _create_generators(
            1,
            generator_seed=self.ciphersuite_id + b"H2G_HM2S_BP_MESSAGE_GENERATOR_SEED",
            seed_dst=self.ciphersuite_id + b"H2G_HM2S_SIG_GENERATOR_SEED_",
            generator_dst=self.ciphersuite_id + b"H2G_HM2S_SIG_GENERATOR_DST_",
            ciphersuite=self,
        )[0]

    def expand_message(self, msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
        """The ciphersuite's expand_message (xmd with SHA-256, or xof with SHAKE-256)."""
        return self.hash_to_curve_suite.expand_message(msg, dst, len_in_bytes)

    def __repr__(self) -> str:
        return f"<BBS ciphersuite {self.suite.name} on {self.backend.name}>"


_ciphersuites: dict[tuple[Suite, str], Ciphersuite] = {}
_ciphersuites_lock = threading.Lock()


def get_ciphersuite(
    suite: Suite = Suite.BLS12_381_SHA_256, backend: Backend | None = None
) -> Ciphersuite:
    """The (shared, cached) :class:`Ciphersuite` for ``suite`` on ``backend``.

    ``backend`` defaults to :func:`~zkcheck.hazmat.backend.get_backend`'s
    choice (the ``ZKCHECK_BACKEND`` environment variable, else ``arkworks+blst`` where
    pyblst is installed, else ``arkworks``).
    """
    chosen = backend if backend is not None else get_backend()
    key = (suite, chosen.name)
    found = _ciphersuites.get(key)
    if found is None:
        with _ciphersuites_lock:
            found = _ciphersuites.get(key)
            if found is None:
                found = Ciphersuite(suite, chosen)
                _ciphersuites[key] = found
    return found


# -- small helpers ---------------------------------------------------------------


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def _os2ip(octets: bytes) -> int:
    return int.from_bytes(octets, "big")


def _scalar_octets(scalar: int) -> bytes:
    # Scalars serialize with I2OSP(el, octet_scalar_length) (Section 4.2.4.1).
    return scalar.to_bytes(OCTET_SCALAR_LENGTH, "big")


def _secret_key_scalar(sk: SecretBytes | bytes) -> int:
    """SK as an integer, from its 32-byte encoding; 0 < SK < r."""
    octets = sk.reveal() if isinstance(sk, SecretBytes) else bytes(sk)
    if len(octets) != OCTET_SCALAR_LENGTH:
        raise DecodeError(f"a secret key is {OCTET_SCALAR_LENGTH} bytes")
    value = _os2ip(octets)
    if not 0 < value < R:
        raise DecodeError("a secret key must be an integer in [1, r - 1]")
    return value


def _check_message_count(count: int) -> None:
    if count > MAX_MESSAGES:
        raise DecodeError(f"more than {MAX_MESSAGES} messages")


def _check_disclosed_indexes(disclosed_indexes: Sequence[int], length: int) -> None:
    """Indexes must be integers in [0, L - 1], strictly ascending (so also unique)."""
    previous = -1
    for index in disclosed_indexes:
        if isinstance(index, bool) or not isinstance(index, int):
            raise DecodeError("disclosed indexes are integers")
        if index < 0 or index > length - 1:
            raise DecodeError("disclosed index out of range")
        if index <= previous:
            raise DecodeError("disclosed indexes must be ascending and unique")
        previous = index


def _undisclosed_indexes(disclosed_indexes: Sequence[int], length: int) -> list[int]:
    # (0, 1, ..., L - 1) \ disclosed_indexes, in order.
    disclosed = set(disclosed_indexes)
    return [i for i in range(length) if i not in disclosed]


# -- Key generation (Section 3.4) ------------------------------------------------


def key_gen(
    key_material: SecretBytes | bytes,
    key_info: bytes = b"",
    key_dst: bytes | None = None,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
) -> SecretBytes:
    """SK = KeyGen(key_material, key_info, key_dst) (Section 3.4.1).

    Returns I2OSP(SK, 32) in a :class:`SecretBytes`. ``key_dst`` defaults to
    ciphersuite_id || "KEYGEN_DST_".
    """
    material = key_material.reveal() if isinstance(key_material, SecretBytes) else key_material
    if key_dst is None:
        key_dst = suite.ciphersuite_id + b"KEYGEN_DST_"
    # 1. if length(key_material) < 32, return INVALID
    if len(material) < 32:
        raise DecodeError("key_material must be at least 32 bytes")
    # 2. if length(key_info) > 65535, return INVALID
    if len(key_info) > 65535:
        raise DecodeError("key_info must be at most 65535 bytes")
    # 3. derive_input = key_material || I2OSP(length(key_info), 2) || key_info
    derive_input = material + _i2osp(len(key_info), 2) + key_info
    # 4. SK = hash_to_scalar(derive_input, key_dst)
    sk = hash_to_scalar(derive_input, key_dst, suite=suite)
    # 5. if SK is INVALID, return INVALID. An SK of 0 is not a valid key
    #    (0 < SK < r); hash_to_scalar yields it with probability 1/r.
    if sk == 0:
        raise ZkcheckError("KeyGen produced an invalid key")
    # 6. return SK
    return SecretBytes(_scalar_octets(sk))


def sk_to_pk(
    sk: SecretBytes | bytes,
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    backend: Backend | None = None,
) -> bytes:
    """PK = SkToPk(SK) (Section 3.4.2): the 96-byte compressed W = SK * BP2."""
    ciphersuite = get_ciphersuite(suite, backend)
    scalar = _secret_key_scalar(sk)
    # 1. W = SK * BP2
    w = ciphersuite.backend.g2_mul(ciphersuite.BP2, scalar)
    # 2. return point_to_octets_E2(W)
    return ciphersuite.backend.g2_to_bytes(w)


# -- BBS Signatures Interface (Section 3.5) ---------------------------------------


def sign(
    sk: SecretBytes | bytes,
    pk: bytes,
    header: bytes,
    messages: Sequence[bytes],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    backend: Backend | None = None,
) -> bytes:
    """signature = Sign(SK, PK, header, messages) (Section 3.5.1)."""
    ciphersuite = get_ciphersuite(suite, backend)
    api_id = ciphersuite.api_id
    scalar = _secret_key_scalar(sk)
    _check_message_count(len(messages))
    # Section 6.1 recommends validating PK even where only its octets are used.
    octets_to_pubkey(pk, ciphersuite=ciphersuite)
    # 1. message_scalars = messages_to_scalars(messages, api_id)
    message_scalars = messages_to_scalars(messages, api_id, ciphersuite=ciphersuite)
    # 2. generators = create_generators(length(messages)+1, api_id)
    generators = create_generators(len(messages) + 1, api_id, ciphersuite=ciphersuite)
    # 3. signature = CoreSign(SK, PK, generators, header, message_scalars, api_id)
    # 4. if signature is INVALID, return INVALID (CoreSign raises instead)
    # 5. return signature
    return core_sign(
        scalar, pk, generators, header, message_scalars, api_id, ciphersuite=ciphersuite
    )


def verify(
    pk: bytes,
    signature: bytes,
    header: bytes,
    messages: Sequence[bytes],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    backend: Backend | None = None,
) -> None:
    """result = Verify(PK, signature, header, messages) (Section 3.5.2).

    Returns None when valid; raises :class:`DecodeError` on malformed input
    and :class:`InvalidSignature` when the signature does not verify.
    """
    ciphersuite = get_ciphersuite(suite, backend)
    api_id = ciphersuite.api_id
    _check_message_count(len(messages))
    # 1. message_scalars = messages_to_scalars(messages, api_id)
    message_scalars = messages_to_scalars(messages, api_id, ciphersuite=ciphersuite)
    # 2. generators = create_generators(length(messages)+1, api_id)
    generators = create_generators(len(messages) + 1, api_id, ciphersuite=ciphersuite)
    # 3. result = CoreVerify(PK, signature, generators, header, message_scalars, api_id)
    # 4. return result
    core_verify(pk, signature, generators, header, message_scalars, api_id, ciphersuite=ciphersuite)


def proof_gen(
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    messages: Sequence[bytes],
    disclosed_indexes: Sequence[int],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> bytes:
    """proof = ProofGen(PK, signature, header, ph, messages, disclosed_indexes) (Section 3.5.3).

    ``disclosed_indexes`` must be ascending and unique. ``rng(n)`` supplies
    the randomness (default :func:`secrets.token_bytes`); each proof must use
    fresh randomness.
    """
    ciphersuite = get_ciphersuite(suite, backend)
    api_id = ciphersuite.api_id
    _check_message_count(len(messages))
    _check_disclosed_indexes(disclosed_indexes, len(messages))
    octets_to_pubkey(pk, ciphersuite=ciphersuite)  # Section 6.1
    # 1. message_scalars = messages_to_scalars(messages, api_id)
    message_scalars = messages_to_scalars(messages, api_id, ciphersuite=ciphersuite)
    # 2. generators = create_generators(length(messages) + 1, api_id)
    generators = create_generators(len(messages) + 1, api_id, ciphersuite=ciphersuite)
    # 3. proof = CoreProofGen(PK, signature, generators, header, ph,
    #                         message_scalars, disclosed_indexes, api_id)
    # 4. if proof is INVALID, return INVALID (CoreProofGen raises instead)
    # 5. return proof
    return core_proof_gen(
        pk,
        signature,
        generators,
        header,
        ph,
        message_scalars,
        disclosed_indexes,
        api_id,
        ciphersuite=ciphersuite,
        rng=rng,
    )


def proof_verify(
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    disclosed_messages: Sequence[bytes],
    disclosed_indexes: Sequence[int],
    *,
    suite: Suite = Suite.BLS12_381_SHA_256,
    backend: Backend | None = None,
) -> None:
    """result = ProofVerify(PK, proof, header, ph, disclosed_messages, disclosed_indexes).

    Section 3.5.4. Returns None when valid; raises :class:`DecodeError` on
    malformed input and :class:`InvalidProof` when the proof does not verify.
    """
    ciphersuite = get_ciphersuite(suite, backend)
    api_id = ciphersuite.api_id
    # Deserialization:
    # 1. proof_len_floor = 3 * octet_point_length + 4 * octet_scalar_length
    # 2. if length(proof) < proof_len_floor, return INVALID
    if len(proof) < PROOF_LEN_FLOOR or (len(proof) - PROOF_LEN_FLOOR) % OCTET_SCALAR_LENGTH:
        raise DecodeError("a proof is 272 + 32 * U bytes")
    # 3. U = floor((length(proof) - proof_len_floor) / octet_scalar_length)
    undisclosed_count = (len(proof) - PROOF_LEN_FLOOR) // OCTET_SCALAR_LENGTH
    # 4. R = length(disclosed_indexes)
    disclosed_count = len(disclosed_indexes)
    # The generators needed follow from the proof's length: bound them, and
    # check the indexes, before creating any.
    _check_message_count(undisclosed_count + disclosed_count)
    _check_disclosed_indexes(disclosed_indexes, undisclosed_count + disclosed_count)
    if len(disclosed_messages) != disclosed_count:
        raise DecodeError("one disclosed message per disclosed index")
    # Procedure:
    # 1. message_scalars = messages_to_scalars(disclosed_messages, api_id)
    message_scalars = messages_to_scalars(disclosed_messages, api_id, ciphersuite=ciphersuite)
    # 2. generators = create_generators(U + R + 1, api_id)
    generators = create_generators(
        undisclosed_count + disclosed_count + 1, api_id, ciphersuite=ciphersuite
    )
    # 3. result = CoreProofVerify(PK, proof, generators, header, ph,
    #                             message_scalars, disclosed_indexes, api_id)
    # 4. return result
    core_proof_verify(
        pk,
        proof,
        generators,
        header,
        ph,
        message_scalars,
        disclosed_indexes,
        api_id,
        ciphersuite=ciphersuite,
    )


# -- Core operations (Section 3.6) --------------------------------------------------


def _split_generators(generators: Sequence[G1], message_count: int) -> tuple[G1, Sequence[G1]]:
    # if length(generators) != L + 1, return INVALID; (Q_1, H_1, ..., H_L) = generators
    if len(generators) != message_count + 1:
        raise DecodeError("one generator per message, plus Q_1")
    return generators[0], generators[1:]


def core_sign(
    sk: int,
    pk: bytes,
    generators: Sequence[G1],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> bytes:
    """signature = CoreSign(SK, PK, generators, header, messages, api_id) (Section 3.6.1)."""
    backend = ciphersuite.backend
    # Definitions:
    # 1. hash_to_scalar_dst = api_id || "H2S_"
    hash_to_scalar_dst = api_id + b"H2S_"
    # Deserialization:
    # 1. L = length(messages)
    # 2. if length(generators) != L + 1, return INVALID
    # 3. (msg_1, ..., msg_L) = messages
    # 4. (Q_1, H_1, ..., H_L) = generators
    q_1, h_points = _split_generators(generators, len(messages))
    # Procedure:
    # 1. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(pk, q_1, h_points, header, api_id, ciphersuite=ciphersuite)
    # 2. e = hash_to_scalar(serialize((SK, msg_1, ..., msg_L, domain)),
    #                       hash_to_scalar_dst)
    serialized = b"".join(_scalar_octets(s) for s in (sk, *messages, domain))
    e = hash_to_scalar(serialized, hash_to_scalar_dst, suite=ciphersuite.suite)
    # 3. B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L
    b = backend.g1_msm([ciphersuite.P1, q_1, *h_points], [1, domain, *messages])
    # 4. A = B * (1 / (SK + e)). The draft lets implementations refuse the
    #    case SK + e = 0 mod r, which would make A the identity.
    denominator = (sk + e) % R
    if denominator == 0:
        raise ZkcheckError("signing failed")
    a = backend.g1_mul(b, pow(denominator, -1, R))
    # 5. return signature_to_octets((A, e))
    return signature_to_octets(Signature(a, e), ciphersuite=ciphersuite)


def core_verify(
    pk: bytes,
    signature: bytes,
    generators: Sequence[G1],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> None:
    """result = CoreVerify(PK, signature, generators, header, messages, api_id) (Section 3.6.2).

    Raises :class:`DecodeError` or :class:`InvalidSignature` instead of
    returning INVALID.
    """
    backend = ciphersuite.backend
    # Deserialization:
    # 1. signature_result = octets_to_signature(signature)
    # 2. if signature_result is INVALID, return INVALID
    # 3. (A, e) = signature_result
    a, e = octets_to_signature(signature, ciphersuite=ciphersuite)
    # 4. W = octets_to_pubkey(PK)
    # 5. if W is INVALID, return INVALID
    w = octets_to_pubkey(pk, ciphersuite=ciphersuite)
    # 6.-9. L = length(messages); generators are Q_1 and one per message.
    q_1, h_points = _split_generators(generators, len(messages))
    # Procedure:
    # 1. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(pk, q_1, h_points, header, api_id, ciphersuite=ciphersuite)
    # 2. B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L
    # 3. if h(A, W) * h(A * e - B, BP2) != Identity_GT, return INVALID
    #    A * e - B is computed as one multi-scalar multiplication, with the
    #    negated coefficients of B.
    a_e_minus_b = backend.g1_msm(
        [a, ciphersuite.P1, q_1, *h_points],
        [e, R - 1, (-domain) % R, *((-m) % R for m in messages)],
    )
    if not backend.pairing_product_is_one([(a, w), (a_e_minus_b, ciphersuite.BP2)]):
        raise InvalidSignature("signature invalid")
    # 4. return VALID


def core_proof_gen(
    pk: bytes,
    signature: bytes,
    generators: Sequence[G1],
    header: bytes,
    ph: bytes,
    messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
    rng: Rng | None = None,
    _chosen_m_tilde: Mapping[int, int] | None = None,
    extensions: Sequence[ProverExtension] = (),
) -> bytes:
    """proof = CoreProofGen(PK, signature, generators, header, ph, messages,
    disclosed_indexes, api_id) (Section 3.6.3).

    ``_chosen_m_tilde`` is an internal hook for proofs that link an undisclosed
    message to another proof (predicate proofs): it maps the index of an
    undisclosed message to the single-use random scalar m~ that blinds it,
    chosen by the caller, who must draw it uniformly at random and never
    reuse it. The other random scalars are drawn from ``rng`` as usual.

    ``extensions`` bind other proofs' commitments into the same challenge
    (pseudonyms, predicate proofs): see :data:`ProverExtension`. Without
    either hook this is exactly the draft's procedure.
    """
    # Deserialization:
    # 1. signature_result = octets_to_signature(signature)
    # 2. if signature_result is INVALID, return INVALID
    # 3. (A, e) = signature_result
    signature_result = octets_to_signature(signature, ciphersuite=ciphersuite)
    # 4. L = length(messages)
    length = len(messages)
    # 5. R = length(disclosed_indexes)
    # 6. if R > L, return INVALID
    # 7. U = L - R
    # 8. for i in disclosed_indexes, if i < 0 or i > L - 1, return INVALID
    #    (zkcheck also requires them ascending and unique)
    _check_disclosed_indexes(disclosed_indexes, length)
    # 9. undisclosed_indexes = (0, 1, ..., L - 1) \ disclosed_indexes
    undisclosed_indexes = _undisclosed_indexes(disclosed_indexes, length)
    # 10.-13. disclosed_messages and undisclosed_messages, by index.
    disclosed_messages = [messages[i] for i in disclosed_indexes]
    undisclosed_messages = [messages[j] for j in undisclosed_indexes]
    # Procedure:
    # 1. random_scalars = calculate_random_scalars(5+U), except for the m~
    #    the caller chose through the internal hook.
    random_scalars = _proof_random_scalars(
        undisclosed_indexes, _chosen_m_tilde or {}, rng, ciphersuite=ciphersuite
    )
    # 2. init_res = ProofInit(PK, signature_result, generators, random_scalars,
    #                         header, messages, undisclosed_indexes, api_id)
    # 3. if init_res is INVALID, return INVALID (ProofInit raises instead)
    init_res = proof_init(
        pk,
        signature_result,
        generators,
        random_scalars,
        header,
        messages,
        undisclosed_indexes,
        api_id,
        ciphersuite=ciphersuite,
    )
    # The extensions' commitments, from the same m~ (after ProofInit, as
    # draft-irtf-cfrg-bbs-per-verifier-linkability's CoreProofGen computes
    # its pseudonym commitment).
    m_tilde = dict(zip(undisclosed_indexes, random_scalars[5:], strict=True))
    extension = _combine_extensions(extend(dict(m_tilde)) for extend in extensions)
    # 4. challenge = ProofChallengeCalculate(init_res, disclosed_messages,
    #                                        disclosed_indexes, ph, api_id)
    # 5. if challenge is INVALID, return INVALID (it raises instead)
    challenge = proof_challenge_calculate(
        init_res,
        disclosed_messages,
        disclosed_indexes,
        ph,
        api_id,
        ciphersuite=ciphersuite,
        extra_points=extension.points,
        extra_octets=extension.octets,
    )
    # 6. proof = ProofFinalize(init_res, challenge, e, random_scalars,
    #                          undisclosed_messages)
    # 7. return proof
    return proof_finalize(
        init_res,
        challenge,
        signature_result.e,
        random_scalars,
        undisclosed_messages,
        ciphersuite=ciphersuite,
    )


def _proof_random_scalars(
    undisclosed_indexes: Sequence[int],
    chosen_m_tilde: Mapping[int, int],
    rng: Rng | None,
    *,
    ciphersuite: Ciphersuite,
) -> list[int]:
    """(r1, r2, e~, r1~, r3~, m~_j1, ..., m~_jU), with the chosen m~ in place."""
    unknown = set(chosen_m_tilde) - set(undisclosed_indexes)
    if unknown:
        raise ValueError("chosen blinding scalars must be for undisclosed messages")
    if any(not 0 < scalar < R for scalar in chosen_m_tilde.values()):
        raise ValueError("chosen blinding scalars must be in [1, r - 1]")
    drawn = calculate_random_scalars(
        5 + len(undisclosed_indexes) - len(chosen_m_tilde), rng, ciphersuite=ciphersuite
    )
    scalars = drawn[:5]
    remaining = iter(drawn[5:])
    for j in undisclosed_indexes:
        scalars.append(chosen_m_tilde[j] if j in chosen_m_tilde else next(remaining))
    return scalars


def core_proof_verify(
    pk: bytes,
    proof: bytes,
    generators: Sequence[G1],
    header: bytes,
    ph: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
    extensions: Sequence[VerifierExtension] = (),
) -> None:
    """result = CoreProofVerify(PK, proof, generators, header, ph,
    disclosed_messages, disclosed_indexes, api_id) (Section 3.6.4).

    Raises :class:`DecodeError` or :class:`InvalidProof` instead of returning
    INVALID. ``extensions`` recompute the commitments of proofs bound into
    the same challenge (see :data:`VerifierExtension`); without them this is
    exactly the draft's procedure.
    """
    # Deserialization:
    # 1. proof_result = octets_to_proof(proof)
    # 2. if proof_result is INVALID, return INVALID
    # 3. (Abar, Bbar, D, e^, r1^, r3^, commitments, cp) = proof_result
    proof_result = octets_to_proof(proof, ciphersuite=ciphersuite)
    # 4. W = octets_to_pubkey(PK)
    # 5. if W is INVALID, return INVALID
    w = octets_to_pubkey(pk, ciphersuite=ciphersuite)
    # Procedure:
    # 1. init_res = ProofVerifyInit(PK, proof_result, generators, header,
    #                               disclosed_messages, disclosed_indexes, api_id)
    # 2. if init_res is INVALID, return INVALID (it raises instead)
    init_res = proof_verify_init(
        pk,
        proof_result,
        generators,
        header,
        disclosed_messages,
        disclosed_indexes,
        api_id,
        ciphersuite=ciphersuite,
    )
    # The extensions recompute their commitments from the responses m^_j and
    # the proof's challenge (ProofVerifyInit has checked the indexes).
    length = len(proof_result.commitments) + len(disclosed_indexes)
    m_hat = dict(
        zip(
            _undisclosed_indexes(disclosed_indexes, length),
            proof_result.commitments,
            strict=True,
        )
    )
    extension = _combine_extensions(
        extend(dict(m_hat), proof_result.challenge) for extend in extensions
    )
    # 3. challenge = ProofChallengeCalculate(init_res, disclosed_messages,
    #                                        disclosed_indexes, ph, api_id)
    # 4. if challenge is INVALID, return INVALID (it raises instead)
    challenge = proof_challenge_calculate(
        init_res,
        disclosed_messages,
        disclosed_indexes,
        ph,
        api_id,
        ciphersuite=ciphersuite,
        extra_points=extension.points,
        extra_octets=extension.octets,
    )
    # 5. if cp != challenge, return INVALID
    if proof_result.challenge != challenge:
        raise InvalidProof("proof invalid")
    # 6. if h(Abar, W) * h(Bbar, -BP2) != Identity_GT, return INVALID
    backend = ciphersuite.backend
    if not backend.pairing_product_is_one(
        [(proof_result.Abar, w), (proof_result.Bbar, ciphersuite.neg_BP2)]
    ):
        raise InvalidProof("proof invalid")
    # 7. return VALID


# -- Proof protocol subroutines (Section 3.7) -----------------------------------------


def proof_init(
    pk: bytes,
    signature: Signature,
    generators: Sequence[G1],
    random_scalars: Sequence[int],
    header: bytes,
    messages: Sequence[int],
    undisclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> ProofInitResult:
    """init_res = ProofInit(PK, signature, generators, random_scalars, header,
    messages, undisclosed_indexes, api_id) (Section 3.7.1)."""
    backend = ciphersuite.backend
    # Deserialization:
    # 1.  (A, e) = signature
    a, e = signature
    # 2.  L = length(messages)
    length = len(messages)
    # 3.  U = length(undisclosed_indexes)
    undisclosed_count = len(undisclosed_indexes)
    # 4.  (j1, ..., jU) = undisclosed_indexes
    # ABORT if:
    # 1. for i in undisclosed_indexes, i < 0 or i > L - 1
    # 2. U > L
    if undisclosed_count > length or any(not 0 <= j < length for j in undisclosed_indexes):
        raise DecodeError("undisclosed index out of range")
    # 5.  if length(random_scalars) != U + 5, return INVALID
    if len(random_scalars) != undisclosed_count + 5:
        raise DecodeError("ProofInit needs U + 5 random scalars")
    # 6.  (r1, r2, e~, r1~, r3~, m~_j1, ..., m~_jU) = random_scalars
    r1, r2, e_tilde, r1_tilde, r3_tilde = random_scalars[:5]
    m_tilde = random_scalars[5:]
    # 7.  (msg_1, ..., msg_L) = messages
    # 8.  if length(generators) != L + 1, return INVALID
    # 9.  (Q_1, MsgGenerators) = generators
    # 10. (H_1, ..., H_L) = MsgGenerators
    q_1, h_points = _split_generators(generators, length)
    # 11. (H_j1, ..., H_jU) = (MsgGenerators[j1], ..., MsgGenerators[jU])
    h_undisclosed = [h_points[j] for j in undisclosed_indexes]
    # Procedure:
    # 1. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(pk, q_1, h_points, header, api_id, ciphersuite=ciphersuite)
    # 2. B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L
    b = backend.g1_msm([ciphersuite.P1, q_1, *h_points], [1, domain, *messages])
    # 3. D = B * r2
    d = backend.g1_mul(b, r2)
    # 4. Abar = A * (r1 * r2)
    abar = backend.g1_mul(a, r1 * r2 % R)
    # 5. Bbar = D * r1 - Abar * e
    bbar = backend.g1_msm([d, abar], [r1, (-e) % R])
    # 6. T1 = Abar * e~ + D * r1~
    t1 = backend.g1_msm([abar, d], [e_tilde, r1_tilde])
    # 7. T2 = D * r3~ + H_j1 * m~_j1 + ... + H_jU * m~_jU
    t2 = backend.g1_msm([d, *h_undisclosed], [r3_tilde, *m_tilde])
    # 8. return (Abar, Bbar, D, T1, T2, domain)
    return ProofInitResult(abar, bbar, d, t1, t2, domain)


def proof_finalize(
    init_res: ProofInitResult,
    challenge: int,
    e_value: int,
    random_scalars: Sequence[int],
    undisclosed_messages: Sequence[int],
    *,
    ciphersuite: Ciphersuite,
) -> bytes:
    """proof = ProofFinalize(init_res, challenge, e_value, random_scalars,
    undisclosed_messages) (Section 3.7.2)."""
    # Deserialization:
    # 1. U = length(undisclosed_messages)
    # 2. if length(random_scalars) != U + 5, return INVALID
    if len(random_scalars) != len(undisclosed_messages) + 5:
        raise DecodeError("ProofFinalize needs U + 5 random scalars")
    # 3. (r1, r2, e~, r1~, r3~, m~_j1, ..., m~_jU) = random_scalars
    r1, r2, e_tilde, r1_tilde, r3_tilde = random_scalars[:5]
    m_tilde = random_scalars[5:]
    # 4. (undisclosed_1, ..., undisclosed_U) = undisclosed_messages
    # 5. (Abar, Bbar, D) = (init_res[0], init_res[1], init_res[2])
    # Procedure:
    # 1. r3 = r2^-1 (mod r)
    r3 = pow(r2, -1, R)
    # 2. e^ = e~ + e_value * challenge
    e_hat = (e_tilde + e_value * challenge) % R
    # 3. r1^ = r1~ - r1 * challenge
    r1_hat = (r1_tilde - r1 * challenge) % R
    # 4. r3^ = r3~ - r3 * challenge
    r3_hat = (r3_tilde - r3 * challenge) % R
    # 5. for j in (1, ..., U): m^_j = m~_j + undisclosed_j * challenge (mod r)
    m_hat = tuple(
        (m_t + m * challenge) % R for m_t, m in zip(m_tilde, undisclosed_messages, strict=True)
    )
    # 6. proof = (Abar, Bbar, D, e^, r1^, r3^, (m^_j1, ..., m^_jU), challenge)
    proof = Proof(init_res.Abar, init_res.Bbar, init_res.D, e_hat, r1_hat, r3_hat, m_hat, challenge)
    # 7. return proof_to_octets(proof)
    return proof_to_octets(proof, ciphersuite=ciphersuite)


def proof_verify_init(
    pk: bytes,
    proof: Proof,
    generators: Sequence[G1],
    header: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> ProofInitResult:
    """init_res = ProofVerifyInit(PK, proof, generators, header,
    disclosed_messages, disclosed_indexes, api_id) (Section 3.7.3)."""
    backend = ciphersuite.backend
    # Deserialization:
    # 1.  (Abar, Bbar, D, e^, r1^, r3^, commitments, c) = proof
    abar, bbar, d, e_hat, r1_hat, r3_hat, commitments, c = proof
    # 2.  U = length(commitments)
    # 3.  R = length(disclosed_indexes)
    # 4.  L = R + U
    length = len(commitments) + len(disclosed_indexes)
    # 5.  (i1, ..., iR) = disclosed_indexes
    # 6.  for i in disclosed_indexes, if i < 0 or i > L - 1, return INVALID
    #     (zkcheck also requires them ascending and unique)
    _check_disclosed_indexes(disclosed_indexes, length)
    # 7.  (j1, ..., jU) = (0, 1, ..., L - 1) \ disclosed_indexes
    undisclosed_indexes = _undisclosed_indexes(disclosed_indexes, length)
    # 8.  if length(disclosed_messages) != R, return INVALID
    if len(disclosed_messages) != len(disclosed_indexes):
        raise DecodeError("one disclosed message per disclosed index")
    # 9.  (msg_i1, ..., msg_iR) = disclosed_messages
    # 10. (m^_j1, ...., m^_jU) = commitments
    # 11. if length(generators) != L + 1, return INVALID
    # 12. (Q_1, MsgGenerators) = generators
    # 13. (H_1, ..., H_L) = MsgGenerators
    q_1, h_points = _split_generators(generators, length)
    # 14. (H_i1, ..., H_iR) = (MsgGenerators[i1], ..., MsgGenerators[iR])
    h_disclosed = [h_points[i] for i in disclosed_indexes]
    # 15. (H_j1, ..., H_jU) = (MsgGenerators[j1], ..., MsgGenerators[jU])
    h_undisclosed = [h_points[j] for j in undisclosed_indexes]
    # Procedure:
    # 1. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(pk, q_1, h_points, header, api_id, ciphersuite=ciphersuite)
    # 2. T1 = Bbar * c + Abar * e^ + D * r1^
    t1 = backend.g1_msm([bbar, abar, d], [c, e_hat, r1_hat])
    # 3. Bv = P1 + Q_1 * domain + H_i1 * msg_i1 + ... + H_iR * msg_iR
    # 4. T2 = Bv * c + D * r3^ + H_j1 * m^_j1 + ... +  H_jU * m^_jU
    #    Bv is not needed on its own: T2 is computed as one multi-scalar
    #    multiplication with Bv's terms multiplied by c.
    t2 = backend.g1_msm(
        [ciphersuite.P1, q_1, *h_disclosed, d, *h_undisclosed],
        [c, domain * c % R, *(m * c % R for m in disclosed_messages), r3_hat, *commitments],
    )
    # 5. return (Abar, Bbar, D, T1, T2, domain)
    return ProofInitResult(abar, bbar, d, t1, t2, domain)


def proof_challenge_calculate(
    init_res: ProofInitResult,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    ph: bytes,
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
    extra_points: Sequence[G1] = (),
    extra_octets: bytes = b"",
) -> int:
    """challenge = ProofChallengeCalculate(init_res, disclosed_messages,
    disclosed_indexes, ph, api_id) (Section 3.7.4).

    Interfaces that prove more than knowledge of a signature (pseudonyms,
    predicate proofs) bind their own commitments into the same challenge:
    ``extra_points`` are serialized after T2 and before domain, and
    ``extra_octets`` are appended after ph, as
    draft-irtf-cfrg-bbs-per-verifier-linkability's challenge does. With both
    empty (the default) this is exactly the BBS challenge.
    """
    backend = ciphersuite.backend
    # Definitions:
    # 1. hash_to_scalar_dst = api_id || "H2S_"
    hash_to_scalar_dst = api_id + b"H2S_"
    # Deserialization:
    # 1. R = length(disclosed_indexes)
    # 2. (i1, ..., iR) = disclosed_indexes
    # 3. if length(disclosed_messages) != R, return INVALID
    if len(disclosed_messages) != len(disclosed_indexes):
        raise DecodeError("one disclosed message per disclosed index")
    # 3. (msg_i1, ..., msg_iR) = disclosed_messages
    # 4. (Abar, Bbar, D, T1, T2, domain) = init_res
    # ABORT if R > 2^64 - 1 or length(ph) > 2^64 - 1: neither can happen here
    # (at most MAX_MESSAGES messages; no byte string reaches 2^64 bytes).
    # Procedure:
    # 1. c_arr = (R, i1, msg_i1, i2, msg_i2, ..., iR, msg_iR, Abar, Bbar,
    #             D, T1, T2, domain)
    parts = [_i2osp(len(disclosed_indexes), 8)]
    for index, message in zip(disclosed_indexes, disclosed_messages, strict=True):
        parts.append(_i2osp(index, 8))
        parts.append(_scalar_octets(message))
    for point in (init_res.Abar, init_res.Bbar, init_res.D, init_res.T1, init_res.T2):
        parts.append(backend.g1_to_bytes(point))
    parts.extend(backend.g1_to_bytes(point) for point in extra_points)
    parts.append(_scalar_octets(init_res.domain))
    # 2. c_octs = serialize(c_arr) || I2OSP(length(ph), 8) || ph
    c_octs = b"".join(parts) + _i2osp(len(ph), 8) + ph + extra_octets
    # 3. return hash_to_scalar(c_octs, hash_to_scalar_dst)
    return hash_to_scalar(c_octs, hash_to_scalar_dst, suite=ciphersuite.suite)


# -- Interface utilities (Section 4.1) -------------------------------------------------


def create_generators(count: int, api_id: bytes, *, ciphersuite: Ciphersuite) -> list[G1]:
    """generators = create_generators(count, api_id) (Section 4.1.1).

    The result is cached per ciphersuite and api_id and extended on demand,
    keeping the order of creation, as the draft allows.
    """
    # Definitions:
    # 1. seed_dst = api_id || "SIG_GENERATOR_SEED_"
    # 2. generator_dst = api_id || "SIG_GENERATOR_DST_"
    # 3. generator_seed = api_id || "MESSAGE_GENERATOR_SEED"
    return _create_generators(
        count,
        generator_seed=api_id + b"MESSAGE_GENERATOR_SEED",
        seed_dst=api_id + b"SIG_GENERATOR_SEED_",
        generator_dst=api_id + b"SIG_GENERATOR_DST_",
        ciphersuite=ciphersuite,
    )


def _create_generators(
    count: int,
    *,
    generator_seed: bytes,
    seed_dst: bytes,
    generator_dst: bytes,
    ciphersuite: Ciphersuite,
) -> list[G1]:
    # ABORT if count > 2^64 - 1
    if not 0 <= count <= 2**64 - 1:
        raise ValueError("count out of range")
    key = (generator_seed, seed_dst, generator_dst)
    with ciphersuite._lock:
        cached = ciphersuite._generators.get(key)
        if cached is None:
            # 1. v = expand_message(generator_seed, seed_dst, expand_len)
            v = ciphersuite.expand_message(generator_seed, seed_dst, EXPAND_LEN)
            points: list[G1] = []
        else:
            v, points = cached
        # 2. for i in (1, 2, ..., count): (continuing after the cached ones)
        for i in range(len(points) + 1, count + 1):
            # 3. v = expand_message(v || I2OSP(i, 8), seed_dst, expand_len)
            v = ciphersuite.expand_message(v + _i2osp(i, 8), seed_dst, EXPAND_LEN)
            # 4. generator_i = hash_to_curve_g1(v, generator_dst)
            points.append(
                hash_to_curve(
                    v,
                    generator_dst,
                    suite=ciphersuite.hash_to_curve_suite,
                    backend=ciphersuite.backend,
                )
            )
        ciphersuite._generators[key] = (v, points)
        # 5. return (generator_1, ..., generator_count)
        return points[:count]


def messages_to_scalars(
    messages: Sequence[bytes], api_id: bytes, *, ciphersuite: Ciphersuite
) -> list[int]:
    """msg_scalars = messages_to_scalars(messages, api_id) (Section 4.1.2)."""
    # Definitions:
    # 1. map_dst = api_id || "MAP_MSG_TO_SCALAR_AS_HASH_"
    map_dst = api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    # ABORT if length(messages) > 2^64 - 1: bounded by MAX_MESSAGES instead.
    # Procedure:
    # 1. L = length(messages)
    # 2. for i in (1, ..., L):
    # 3.     msg_scalar_i = hash_to_scalar(messages[i], map_dst)
    # 4. return (msg_scalar_1, ..., msg_scalar_L)
    return [hash_to_scalar(message, map_dst, suite=ciphersuite.suite) for message in messages]


# -- Core utilities (Section 4.2) -------------------------------------------------------


def calculate_random_scalars(
    count: int, rng: Rng | None = None, *, ciphersuite: Ciphersuite
) -> list[int]:
    """random_scalars = calculate_random_scalars(count) (Section 4.2.1).

    ``rng`` is the draft's get_random: ``rng(n)`` returns n random bytes.
    """
    get_random = rng if rng is not None else default_rng
    scalars = []
    # 1. for i in (1, 2, ..., count):
    for _ in range(count):
        octets = get_random(EXPAND_LEN)
        if len(octets) != EXPAND_LEN:
            raise ValueError("rng returned the wrong number of bytes")
        # 2. r_i = OS2IP(get_random(expand_len)) mod r
        scalars.append(_os2ip(octets) % R)
    # 3. return (r_1, r_2, ..., r_count)
    return scalars


def hash_to_scalar(msg_octets: bytes, dst: bytes, *, suite: Suite = Suite.BLS12_381_SHA_256) -> int:
    """hashed_scalar = hash_to_scalar(msg_octets, dst) (Section 4.2.2)."""
    # ABORT if length(dst) > 255
    if len(dst) > 255:
        raise ValueError("hash_to_scalar: dst longer than 255 bytes")
    expand_message = HASH_TO_CURVE_SUITES[suite].expand_message
    # 1. uniform_bytes = expand_message(msg_octets, dst, expand_len)
    uniform_bytes = expand_message(msg_octets, dst, EXPAND_LEN)
    # 2. return OS2IP(uniform_bytes) mod r
    return _os2ip(uniform_bytes) % R


def calculate_domain(
    pk: bytes,
    q_1: G1,
    h_points: Sequence[G1],
    header: bytes,
    api_id: bytes,
    *,
    ciphersuite: Ciphersuite,
) -> int:
    """domain = calculate_domain(PK, Q_1, H_Points, header, api_id) (Section 4.2.3)."""
    backend = ciphersuite.backend
    # Definitions:
    # 1. hash_to_scalar_dst = api_id || "H2S_"
    hash_to_scalar_dst = api_id + b"H2S_"
    # Deserialization:
    # 1. L = length(H_Points)
    # 2. (H_1, ..., H_L) = H_Points
    # ABORT if length(header) > 2^64 - 1 or L > 2^64 - 1: cannot happen here.
    # Procedure:
    # 1. dom_array = (L, Q_1, H_1, ..., H_L)
    # 2. dom_octs = serialize(dom_array) || api_id
    dom_octs = (
        _i2osp(len(h_points), 8)
        + b"".join(backend.g1_to_bytes(point) for point in (q_1, *h_points))
        + api_id
    )
    # 3. dom_input = PK || dom_octs || I2OSP(length(header), 8) || header
    dom_input = pk + dom_octs + _i2osp(len(header), 8) + header
    # 4. return hash_to_scalar(dom_input, hash_to_scalar_dst)
    return hash_to_scalar(dom_input, hash_to_scalar_dst, suite=ciphersuite.suite)


def signature_to_octets(signature: Signature, *, ciphersuite: Ciphersuite) -> bytes:
    """signature_octets = signature_to_octets(signature) (Section 4.2.4.2)."""
    # 1. (A, e) = signature
    # 2. return serialize((A, e))
    return ciphersuite.backend.g1_to_bytes(signature.A) + _scalar_octets(signature.e)


def octets_to_signature(signature_octets: bytes, *, ciphersuite: Ciphersuite) -> Signature:
    """signature = octets_to_signature(signature_octets) (Section 4.2.4.3).

    Raises :class:`DecodeError` where the draft returns INVALID.
    """
    # 1.  expected_len = octet_point_length + octet_scalar_length
    # 2.  if length(signature_octets) != expected_len, return INVALID
    if len(signature_octets) != SIGNATURE_LENGTH:
        raise DecodeError(f"a signature is {SIGNATURE_LENGTH} bytes")
    # 3.  A_octets = signature_octets[0..(octet_point_length - 1)]
    # 4.  A = octets_to_point_E1(A_octets)
    # 5.  if A is INVALID, return INVALID
    # 7.  if subgroup_check_G1(A) returns INVALID, return INVALID
    a = ciphersuite.backend.g1_from_bytes(signature_octets[:OCTET_POINT_LENGTH])
    # 6.  if A == Identity_G1, return INVALID
    if ciphersuite.backend.g1_is_identity(a):
        raise DecodeError("signature point A is the identity")
    # 8.  index = octet_point_length
    # 9.  end_index = index + octet_scalar_length - 1
    # 10. e = OS2IP(signature_octets[index..end_index])
    e = _os2ip(signature_octets[OCTET_POINT_LENGTH:])
    # 11. if e = 0 or e >= r, return INVALID
    if e == 0 or e >= R:
        raise DecodeError("signature scalar e out of range")
    # 12. return (A, e)
    return Signature(a, e)


def proof_to_octets(proof: Proof, *, ciphersuite: Ciphersuite) -> bytes:
    """proof_octets = proof_to_octets(proof) (Section 4.2.4.4)."""
    backend = ciphersuite.backend
    # 1. (Abar, Bbar, D, e^, r1^, r3^, (m^_1, ..., m^_U), c) = proof
    # 2. return serialize((Abar, Bbar, D, e^, r1^, r3^, m^_1, ..., m^_U, c))
    scalars = (proof.e_hat, proof.r1_hat, proof.r3_hat, *proof.commitments, proof.challenge)
    return b"".join(
        [
            backend.g1_to_bytes(proof.Abar),
            backend.g1_to_bytes(proof.Bbar),
            backend.g1_to_bytes(proof.D),
            *(_scalar_octets(s) for s in scalars),
        ]
    )


def octets_to_proof(proof_octets: bytes, *, ciphersuite: Ciphersuite) -> Proof:
    """proof = octets_to_proof(proof_octets) (Section 4.2.4.5).

    Raises :class:`DecodeError` where the draft returns INVALID. Proofs for
    more than :data:`MAX_MESSAGES` undisclosed messages are refused.
    """
    backend = ciphersuite.backend
    # 1.  proof_len_floor = 3 * octet_point_length + 4 * octet_scalar_length
    # 2.  if length(proof_octets) < proof_len_floor, return INVALID
    if len(proof_octets) < PROOF_LEN_FLOOR:
        raise DecodeError("proof too short")
    # Step 17 below rejects a length that is not proof_len_floor plus whole
    # scalars; checking it first also bounds the work before any decoding.
    if (len(proof_octets) - PROOF_LEN_FLOOR) % OCTET_SCALAR_LENGTH:
        raise DecodeError("a proof is 272 + 32 * U bytes")
    _check_message_count((len(proof_octets) - PROOF_LEN_FLOOR) // OCTET_SCALAR_LENGTH)
    # Points (i.e., (Abar, Bbar, D) in ProofGen) de-serialization.
    # 3.  index = 0
    index = 0
    points = []
    # 4.  for i in (0, 2):
    for _ in range(3):
        # 5.      end_index = index + octet_point_length - 1
        # 6.      A_i = octets_to_point_E1(proof_octets[index..end_index])
        # 8.      if subgroup_check_G1(A_i) returns INVALID, return INVALID
        point = backend.g1_from_bytes(proof_octets[index : index + OCTET_POINT_LENGTH])
        # 7.      if A_i is INVALID or Identity_G1, return INVALID
        if backend.g1_is_identity(point):
            raise DecodeError("proof point is the identity")
        points.append(point)
        # 9.      index += octet_point_length
        index += OCTET_POINT_LENGTH
    # Scalars (i.e., (e^, r1^, r3^, m^_j1, ..., m^_jU, c) in ProofGen)
    # de-serialization.
    # 10. j = 0
    scalars = []
    # 11. while index < length(proof_octets):
    while index < len(proof_octets):
        # 12.     end_index = index + octet_scalar_length - 1
        # 13.     s_j = OS2IP(proof_octets[index..end_index])
        s_j = _os2ip(proof_octets[index : index + OCTET_SCALAR_LENGTH])
        # 14.     if s_j = 0 or if s_j >= r, return INVALID
        if s_j == 0 or s_j >= R:
            raise DecodeError("proof scalar out of range")
        scalars.append(s_j)
        # 15.     index += octet_scalar_length
        # 16.     j += 1
        index += OCTET_SCALAR_LENGTH
    # 17. if index != length(proof_octets), return INVALID (checked above)
    # 18. msg_commitments = ()
    # 19. if j > 4, set msg_commitments = (s_3, ..., s_(j-2))
    msg_commitments = tuple(scalars[3:-1])
    # 20. return (A_0, A_1, A_2, s_0, s_1, s_2, msg_commitments, s_(j-1))
    return Proof(
        points[0],
        points[1],
        points[2],
        scalars[0],
        scalars[1],
        scalars[2],
        msg_commitments,
        scalars[-1],
    )


def octets_to_pubkey(pk: bytes, *, ciphersuite: Ciphersuite) -> G2:
    """W = octets_to_pubkey(PK) (Section 4.2.4.6).

    Raises :class:`DecodeError` where the draft returns INVALID. Valid keys
    are cached (the draft allows caching steps 2 to 5).
    """
    if len(pk) != G2_OCTETS:
        raise DecodeError(f"a public key is {G2_OCTETS} bytes")
    key = bytes(pk)
    with ciphersuite._lock:
        cached = ciphersuite._pubkeys.get(key)
        if cached is not None:
            ciphersuite._pubkeys.move_to_end(key)
            return cached
    backend = ciphersuite.backend
    # 1. W = octets_to_point_E2(PK)
    # 2. if W is INVALID, return INVALID
    # 3. if subgroup_check_G2(W) is INVALID, return INVALID
    w = backend.g2_from_bytes(key)
    # 4. if W == Identity_G2, return INVALID
    if backend.g2_is_identity(w):
        raise DecodeError("public key is the identity")
    with ciphersuite._lock:
        ciphersuite._pubkeys[key] = w
        if len(ciphersuite._pubkeys) > _PUBKEY_CACHE_SIZE:
            ciphersuite._pubkeys.popitem(last=False)
    # 5. return W
    return w
