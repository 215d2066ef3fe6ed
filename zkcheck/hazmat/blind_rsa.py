"""RSA blind signatures with appendix (RSABSSA), RFC 9474.

The protocol, in the RFC's section 4 notation::

    Client(pk, msg)                                   Server(sk, pk)
    input_msg = prepare(msg)
    blinded_msg, inv = blind(pk, input_msg)
                              blinded_msg
                          ----------------->
                                    blind_sig = blind_sign(sk, blinded_msg)
                               blind_sig
                          <-----------------
    sig = finalize(pk, input_msg, blind_sig, inv)

``sig`` is an ordinary RSASSA-PSS signature (RFC 8017 section 8.1) over
``input_msg``, checked by :func:`verify`. All four named variants of RFC 9474
section 5 are implemented (:class:`Variant`); they differ in the PSS salt
length (48 or 0 bytes) and in whether :func:`prepare` adds a random prefix.
Privacy Pass token type 0x0002 uses RSABSSA-SHA384-PSS-Deterministic.

Randomness and replaying the RFC's vectors
------------------------------------------

Every function that draws randomness for the protocol takes ``rng``, a
callable ``rng(n) -> bytes``. The draws happen in this order, one call each:

1. :func:`prepare`, randomized variants only: ``rng(32)``, the ``msg_prefix``.
2. :func:`blind`: ``rng(48)``, the PSS ``salt`` (no call for the PSSZERO
   variants, whose salt is empty); then ``rng(modulus_len)`` for the blinding
   factor ``r``, read as a big-endian integer. A value that is 0, not below
   ``n`` or not invertible modulo ``n`` is rejected and drawn again (the
   rejection sampling of RFC 9474 section 4.2).

So an RFC 9474 Appendix A vector replays through an ``rng`` that returns
``msg_prefix``, ``salt`` and ``int_to_bytes(inv^-1 mod n)`` in turn.

The signer's private operation
------------------------------

:func:`blind_sign` computes RSASP1 with the Chinese remainder theorem through
GMP (gmpy2), with the key's CRT values extracted once and cached per key
object. As RFC 9474 section 7.1 recommends against timing attacks, the base is
blinded first (Kocher's RSA blinding: ``m * A``, with ``A = v^e``, unblinded by
``v^-1``; the pair is renewed by squaring after each use and drawn afresh every
32 uses), and, against fault attacks, the result is checked with the public
exponent before it leaves the function (RFC 9474 section 4.3 steps 3-4).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from typing import Any, NoReturn

import gmpy2  # type: ignore[import-untyped]
from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from zkcheck.errors import DecodeError, InvalidSignature, ZkcheckError
from zkcheck.hazmat import Rng, default_rng
from zkcheck.hazmat.secret import SecretBytes

__all__ = [
    "MAX_MODULUS_BITS",
    "MIN_MODULUS_BITS",
    "PREFIX_LENGTH",
    "Variant",
    "blind",
    "blind_sign",
    "emsa_pss_encode",
    "finalize",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "prepare",
    "private_key_to_der",
    "public_key_to_spki",
    "verify",
]

PREFIX_LENGTH = 32
"""Length of the random prefix of PrepareRandomize (RFC 9474 section 4.1)."""

MIN_MODULUS_BITS = 2048
"""Smallest modulus :func:`load_public_key` and :func:`generate_private_key` accept."""

MAX_MODULUS_BITS = 8192
"""Largest modulus :func:`load_public_key` accepts, which bounds the work a key can cause."""

_Mpz = Any  # a gmpy2.mpz; gmpy2 ships no type information
_HASH_LENGTH = 48  # SHA-384, the hash of every RFC 9474 variant
_PUBLIC_EXPONENT = 65537
_BLINDING_RENEWAL = 32  # uses of one blinding pair before a fresh one is drawn


class Variant(enum.Enum):
    """The named variants of RFC 9474 section 5; values are the RFC's names."""

    RSABSSA_SHA384_PSS_RANDOMIZED = "RSABSSA-SHA384-PSS-Randomized"
    RSABSSA_SHA384_PSSZERO_RANDOMIZED = "RSABSSA-SHA384-PSSZERO-Randomized"
    RSABSSA_SHA384_PSS_DETERMINISTIC = "RSABSSA-SHA384-PSS-Deterministic"
    RSABSSA_SHA384_PSSZERO_DETERMINISTIC = "RSABSSA-SHA384-PSSZERO-Deterministic"

    @property
    def salt_length(self) -> int:
        """The PSS salt length sLen in bytes: 48 for PSS, 0 for PSSZERO."""
        return 0 if "PSSZERO" in self.value else _HASH_LENGTH

    @property
    def randomized(self) -> bool:
        """Whether :func:`prepare` is PrepareRandomize (True) or PrepareIdentity."""
        return self.value.endswith("-Randomized")

    def _padding(self) -> padding.PSS:
        return _pss_padding(self.salt_length)


@functools.cache
def _pss_padding(salt_length: int) -> padding.PSS:
    """The RSASSA-PSS parameters with SHA-384 and MGF1-SHA-384 (immutable, so built once)."""
    return padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=salt_length)


# --- Encoding (RFC 8017) ---------------------------------------------------------------------


def _mgf1_sha384(seed: bytes, length: int) -> bytes:
    """MGF1 with SHA-384 (RFC 8017 appendix B.2.1)."""
    blocks = (length + _HASH_LENGTH - 1) // _HASH_LENGTH
    stream = b"".join(
        hashlib.sha384(seed + counter.to_bytes(4, "big")).digest() for counter in range(blocks)
    )
    return stream[:length]


def emsa_pss_encode(message: bytes, em_bits: int, salt: bytes) -> bytes:
    """EMSA-PSS-ENCODE of RFC 8017 section 9.1.1 with SHA-384 and MGF1-SHA-384.

    The salt is passed in (its length is sLen) so that the encoding is a pure
    function; :func:`blind` draws it. ``em_bits`` is ``bit_len(n) - 1``, as in
    RSASSA-PSS-SIGN (RFC 8017 section 8.1.1): the signature that
    :func:`finalize` outputs must verify as standard RSASSA-PSS.
    """
    em_length = (em_bits + 7) // 8
    # Step 3: the encoded message must hold the hash, the salt and two marker bytes.
    if em_length < _HASH_LENGTH + len(salt) + 2:
        raise DecodeError("encoding error: the modulus is too small for this salt")
    message_hash = hashlib.sha384(message).digest()
    # Steps 5-6: M' = 0x00 * 8 || mHash || salt, H = Hash(M').
    h = hashlib.sha384(bytes(8) + message_hash + salt).digest()
    # Steps 7-8: DB = PS || 0x01 || salt, with PS all zero.
    db_length = em_length - _HASH_LENGTH - 1
    db = bytes(db_length - len(salt) - 1) + b"\x01" + salt
    # Steps 9-10: maskedDB = DB xor MGF(H, emLen - hLen - 1).
    mask = _mgf1_sha384(h, db_length)
    masked = int.from_bytes(db, "big") ^ int.from_bytes(mask, "big")
    # Step 11: clear the leftmost 8 * emLen - emBits bits, so that EM < 2^emBits < n.
    masked &= (1 << (8 * db_length - (8 * em_length - em_bits))) - 1
    # Step 12: EM = maskedDB || H || 0xbc.
    return masked.to_bytes(db_length, "big") + h + b"\xbc"


# --- Keys ------------------------------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV with a definite, minimal length."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


_SEQUENCE, _BIT_STRING, _INTEGER = 0x30, 0x03, 0x02
_OID_RSASSA_PSS = _der_oid("1.2.840.113549.1.1.10")  # RFC 4055 id-RSASSA-PSS
_OID_RSA_ENCRYPTION = _der_oid("1.2.840.113549.1.1.1")
_OID_MGF1 = _der_oid("1.2.840.113549.1.1.8")
_OID_SHA384 = _der_oid("2.16.840.1.101.3.4.2.2")

# The AlgorithmIdentifier of RFC 9578 section 6.5: id-RSASSA-PSS with RSASSA-PSS-params
# (RFC 4055 section 3.1) naming SHA-384, MGF1 with SHA-384 and a 48-byte salt. The hash
# AlgorithmIdentifiers carry no parameters, and trailerField keeps its DEFAULT, so DER
# omits it. This is the only encoding zkcheck accepts: one key has one token key id.
_PSS_ALGORITHM_IDENTIFIER = _der(
    _SEQUENCE,
    _OID_RSASSA_PSS
    + _der(
        _SEQUENCE,
        _der(0xA0, _der(_SEQUENCE, _OID_SHA384))
        + _der(0xA1, _der(_SEQUENCE, _OID_MGF1 + _der(_SEQUENCE, _OID_SHA384)))
        + _der(0xA2, _der(_INTEGER, bytes([_HASH_LENGTH]))),
    ),
)


def _der_read(data: bytes, offset: int) -> tuple[int, int, int]:
    """The tag, content start and content end of the DER TLV at ``offset``."""
    if offset + 2 > len(data):
        raise DecodeError("SubjectPublicKeyInfo: truncated")
    tag, first = data[offset], data[offset + 1]
    start = offset + 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if not 1 <= count <= 4 or start + count > len(data):
            raise DecodeError("SubjectPublicKeyInfo: bad length")
        size = int.from_bytes(data[start : start + count], "big")
        if size < 0x80 or data[start] == 0:
            raise DecodeError("SubjectPublicKeyInfo: non-minimal length")
        start += count
    if start + size > len(data):
        raise DecodeError("SubjectPublicKeyInfo: truncated")
    return tag, start, start + size


def load_public_key(spki_der: bytes) -> rsa.RSAPublicKey:
    """An RSA public key from its RSASSA-PSS SubjectPublicKeyInfo (RFC 9578 section 6.5).

    ``cryptography`` loads an id-RSASSA-PSS SubjectPublicKeyInfo but ignores
    its parameters, so they are checked here: the algorithm must be
    id-RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt, encoded
    exactly as RFC 9578 section 6.5 shows. The encoding must be DER with no
    trailing bytes (it must equal :func:`public_key_to_spki` of the key it
    holds), and the modulus between :data:`MIN_MODULUS_BITS` and
    :data:`MAX_MODULUS_BITS` bits. Anything else raises
    :class:`~zkcheck.errors.DecodeError`.
    """
    data = bytes(spki_der)
    tag, start, end = _der_read(data, 0)
    if tag != _SEQUENCE or end != len(data):
        raise DecodeError("SubjectPublicKeyInfo: not one DER SEQUENCE")
    tag, algorithm_start, algorithm_end = _der_read(data, start)
    if tag != _SEQUENCE:
        raise DecodeError("SubjectPublicKeyInfo: no AlgorithmIdentifier")
    algorithm = data[start:algorithm_end]
    if algorithm != _PSS_ALGORITHM_IDENTIFIER:
        if data.startswith(_OID_RSA_ENCRYPTION, algorithm_start):
            raise DecodeError("SubjectPublicKeyInfo: rsaEncryption key, RSASSA-PSS required")
        if data.startswith(_OID_RSASSA_PSS, algorithm_start):
            raise DecodeError(
                "SubjectPublicKeyInfo: RSASSA-PSS parameters other than "
                "SHA-384, MGF1-SHA-384, salt length 48"
            )
        raise DecodeError("SubjectPublicKeyInfo: not an RSASSA-PSS key")
    tag, _, key_end = _der_read(data, algorithm_end)
    if tag != _BIT_STRING or key_end != end:
        raise DecodeError("SubjectPublicKeyInfo: no subjectPublicKey BIT STRING")
    try:
        key = serialization.load_der_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise DecodeError("SubjectPublicKeyInfo: malformed RSA public key") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise DecodeError("SubjectPublicKeyInfo: not an RSA key")
    if not MIN_MODULUS_BITS <= key.key_size <= MAX_MODULUS_BITS:
        raise DecodeError(f"RSA modulus of {key.key_size} bits is out of range")
    # Re-encoding catches every non-canonical form of the RSAPublicKey the parser let through.
    if not hmac.compare_digest(public_key_to_spki(key), data):
        raise DecodeError("SubjectPublicKeyInfo: not in canonical DER")
    return key


def public_key_to_spki(public_key: rsa.RSAPublicKey, *, pss: bool = True) -> bytes:
    """The DER SubjectPublicKeyInfo of ``public_key``.

    With ``pss=True`` (the default) this is the id-RSASSA-PSS form of RFC 9578
    section 6.5, byte for byte, whose SHA-256 is a Privacy Pass token key id.
    With ``pss=False`` it is the rsaEncryption form other tools expect; RFC
    9474 section 6.2 forbids it in certificates for blind-signing keys.
    """
    if not pss:
        return public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    rsa_public_key = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    return _der(_SEQUENCE, _PSS_ALGORITHM_IDENTIFIER + _der(_BIT_STRING, b"\x00" + rsa_public_key))


def generate_private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA signing key (public exponent 65537) for one RSABSSA variant.

    RFC 9474 section 6.2: the key must serve no other protocol and no other
    variant.
    """
    if not MIN_MODULUS_BITS <= bits <= MAX_MODULUS_BITS:
        raise ValueError(f"modulus size must be {MIN_MODULUS_BITS}..{MAX_MODULUS_BITS} bits")
    return rsa.generate_private_key(public_exponent=_PUBLIC_EXPONENT, key_size=bits)


def private_key_to_der(private_key: rsa.RSAPrivateKey) -> SecretBytes:
    """The unencrypted PKCS #8 DER encoding of ``private_key`` (RFC 5208), to store a
    signing key; whoever reads it can sign, so it comes wrapped as a secret."""
    return SecretBytes(
        private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def load_private_key(der: bytes) -> rsa.RSAPrivateKey:
    """An RSA signing key from :func:`private_key_to_der`'s encoding.

    OpenSSL checks the key's consistency as it loads it. Anything that is not
    one canonical unencrypted PKCS #8 RSA key with public exponent 65537 and a
    modulus of :data:`MIN_MODULUS_BITS` to :data:`MAX_MODULUS_BITS` bits
    raises :class:`~zkcheck.errors.DecodeError`, which says nothing of the key.
    """
    data = bytes(der)
    try:
        key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise DecodeError("not an unencrypted PKCS #8 RSA private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecodeError("not an RSA private key")
    if not MIN_MODULUS_BITS <= key.key_size <= MAX_MODULUS_BITS:
        raise DecodeError(f"RSA modulus of {key.key_size} bits is out of range")
    if key.private_numbers().public_numbers.e != _PUBLIC_EXPONENT:
        raise DecodeError("RSA public exponent other than 65537")
    # Re-encoding refuses every other form of the same key (BER, trailing bytes).
    if not hmac.compare_digest(private_key_to_der(key).reveal(), data):
        raise DecodeError("not in canonical PKCS #8 DER")
    return key


# --- Client ----------------------------------------------------------------------------------


def prepare(msg: bytes, variant: Variant, *, rng: Rng | None = None) -> bytes:
    """Prepare (RFC 9474 section 4.1): PrepareRandomize or PrepareIdentity per variant.

    The randomized variants draw ``rng(32)`` and return ``msg_prefix || msg``;
    the deterministic ones return ``msg`` unchanged.
    """
    if not variant.randomized:
        return bytes(msg)
    prefix = (rng or default_rng)(PREFIX_LENGTH)
    _check_draw(prefix, PREFIX_LENGTH)
    return prefix + msg


def _check_draw(value: bytes, length: int) -> None:
    if not isinstance(value, bytes) or len(value) != length:
        raise ValueError(f"rng returned something other than {length} bytes")


def _public_values(public_key: rsa.RSAPublicKey) -> tuple[int, int, int]:
    numbers = public_key.public_numbers()
    return numbers.n, numbers.e, (numbers.n.bit_length() + 7) // 8


def _random_unit(n: int, modulus_len: int, rng: Rng) -> tuple[int, int]:
    """``r`` uniform in [1, n) and invertible mod n, with its inverse, by rejection sampling.

    Each attempt draws ``rng(modulus_len)``; bits above ``bit_len(n)`` are
    cleared first, which changes nothing when the modulus fills its bytes.
    """
    for _ in range(128):
        draw = rng(modulus_len)
        _check_draw(draw, modulus_len)
        r = int.from_bytes(draw, "big") & ((1 << n.bit_length()) - 1)
        if 0 < r < n:
            try:
                return r, int(gmpy2.invert(r, n))
            except ZeroDivisionError:
                # "blinding error": r shares a factor with n. Section 4.2 says to retry.
                continue
    # Failing 128 times in a row is not bad luck: the rng or the key is broken.
    raise ZkcheckError("blinding error: no invertible blinding factor found")


def blind(
    public_key: rsa.RSAPublicKey,
    prepared_msg: bytes,
    variant: Variant,
    *,
    rng: Rng | None = None,
) -> tuple[bytes, bytes]:
    """Blind (RFC 9474 section 4.2): ``(blinded_msg, inv)``, each ``modulus_len`` bytes.

    Draws the salt (``rng(48)``, none for PSSZERO), then the blinding factor
    ``r`` (``rng(modulus_len)``, again until acceptable). ``inv`` is
    ``r^-1 mod n`` as a big-endian byte string. It must stay with the client:
    with it, the blinded message and the signature can be linked.
    """
    rng = rng or default_rng
    n, e, modulus_len = _public_values(public_key)
    salt = rng(variant.salt_length) if variant.salt_length else b""
    _check_draw(salt, variant.salt_length)
    # Step 1: encode with emBits = bit_len(n) - 1, as RSASSA-PSS does.
    encoded = emsa_pss_encode(prepared_msg, n.bit_length() - 1, salt)
    m = int.from_bytes(encoded, "big")
    # Steps 4-5: "invalid input" when m is not co-prime with n, i.e. the key is not RSA.
    if gmpy2.gcd(m, n) != 1:
        raise DecodeError("invalid input: the message is not co-prime with the modulus")
    # Steps 6-10.
    r, inv = _random_unit(n, modulus_len, rng)
    z = m * gmpy2.powmod(r, e, n) % n
    return int(z).to_bytes(modulus_len, "big"), inv.to_bytes(modulus_len, "big")


def finalize(
    public_key: rsa.RSAPublicKey,
    prepared_msg: bytes,
    blind_sig: bytes,
    inv: bytes,
    variant: Variant,
) -> bytes:
    """Finalize (RFC 9474 section 4.4): unblind ``blind_sig`` and check the signature.

    Raises :class:`~zkcheck.errors.DecodeError` when ``blind_sig`` or ``inv``
    is not ``modulus_len`` bytes or not below ``n`` ("unexpected input size"),
    and :class:`~zkcheck.errors.InvalidSignature` when the unblinded
    signature does not verify.
    """
    n, _, modulus_len = _public_values(public_key)
    z = _integer_below(blind_sig, n, modulus_len, "blind signature")
    r_inverse = _integer_below(inv, n, modulus_len, "blinding inverse")
    signature = int(z * gmpy2.mpz(r_inverse) % n).to_bytes(modulus_len, "big")
    verify(public_key, prepared_msg, signature, variant)
    return signature


def verify(
    public_key: rsa.RSAPublicKey, prepared_msg: bytes, signature: bytes, variant: Variant
) -> None:
    """RSASSA-PSS-VERIFY (RFC 8017 section 8.1.2) with the variant's parameters.

    RFC 9474 section 4.5: the signed message is the prepared message.
    Returns None, or raises :class:`~zkcheck.errors.InvalidSignature`. The
    salt length is enforced exactly, so a PSSZERO signature does not verify as
    PSS and the reverse.
    """
    if len(signature) != (public_key.key_size + 7) // 8:
        raise InvalidSignature("signature invalid")
    try:
        public_key.verify(signature, prepared_msg, variant._padding(), hashes.SHA384())
    except _CryptographyInvalidSignature:
        raise InvalidSignature("signature invalid") from None


def _integer_below(value: bytes, n: int, modulus_len: int, what: str) -> int:
    if len(value) != modulus_len:
        raise DecodeError(f"unexpected input size: {what} is not {modulus_len} bytes")
    number = int.from_bytes(value, "big")
    if number >= n:
        raise DecodeError(f"{what} is not below the modulus")
    return number


# --- Signer ----------------------------------------------------------------------------------


class _PrivateValues:
    """The CRT values of one private key as GMP integers, and its base-blinding pair.

    Secret: no repr of the values, no pickling. The blinding pair changes on
    every use, under a lock, so that concurrent signers never share one.
    """

    __slots__ = (
        "_blinding",
        "_lock",
        "_uses",
        "dp",
        "dq",
        "e",
        "modulus_len",
        "n",
        "p",
        "q",
        "qinv",
    )

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        numbers = private_key.private_numbers()
        mpz = gmpy2.mpz
        self.n = mpz(numbers.public_numbers.n)
        self.e = mpz(numbers.public_numbers.e)
        self.p, self.q = mpz(numbers.p), mpz(numbers.q)
        self.dp, self.dq = mpz(numbers.dmp1), mpz(numbers.dmq1)
        self.qinv = mpz(numbers.iqmp)  # q^-1 mod p
        self.modulus_len = (numbers.public_numbers.n.bit_length() + 7) // 8
        self._lock = threading.Lock()
        self._blinding: tuple[_Mpz, _Mpz] = (mpz(1), mpz(1))
        self._uses = _BLINDING_RENEWAL  # forces a fresh pair on first use

    def next_blinding(self) -> tuple[_Mpz, _Mpz]:
        """The pair ``(v^e, v^-1) mod n`` for this use; each call gets a new ``v``.

        Kocher (section 10) renews the pair by squaring both halves, which
        costs two multiplications instead of an exponentiation and an
        inversion; a fresh ``v`` from the operating system's generator
        replaces it every 32 uses, as OpenSSL's BN_BLINDING does.
        """
        with self._lock:
            if self._uses >= _BLINDING_RENEWAL:
                v, v_inverse = _random_unit(int(self.n), self.modulus_len, secrets.token_bytes)
                current = (gmpy2.powmod(v, self.e, self.n), gmpy2.mpz(v_inverse))
                self._uses = 0
            else:
                a, a_inverse = self._blinding
                current = (a * a % self.n, a_inverse * a_inverse % self.n)
            self._blinding = current
            self._uses += 1
            return current

    def __repr__(self) -> str:
        return "_PrivateValues(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("secret values cannot be pickled")


_CACHE_SIZE = 256
_cache: OrderedDict[int, tuple[rsa.RSAPrivateKey, _PrivateValues]] = OrderedDict()
_cache_lock = threading.Lock()


def _private_values(private_key: rsa.RSAPrivateKey) -> _PrivateValues:
    """The cached values of ``private_key``, extracted on first use.

    ``cryptography`` key objects take no weak references, so the cache holds
    the key itself (keeping its ``id`` from being reused) and forgets the
    least recently used key beyond 256, enough for an issuer with one key per
    check and epoch.
    """
    key_id = id(private_key)
    with _cache_lock:
        entry = _cache.get(key_id)
        if entry is not None and entry[0] is private_key:
            _cache.move_to_end(key_id)
            return entry[1]
    values = _PrivateValues(private_key)
    with _cache_lock:
        _cache[key_id] = (private_key, values)
        _cache.move_to_end(key_id)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return values


def blind_sign(private_key: rsa.RSAPrivateKey, blinded_msg: bytes) -> bytes:
    """BlindSign (RFC 9474 section 4.3): RSASP1 on the blinded message, checked.

    Raises :class:`~zkcheck.errors.DecodeError` when ``blinded_msg`` is not
    ``modulus_len`` bytes or its integer is not below ``n`` ("message
    representative out of range"). If the result fails the check ``m ==
    s^e mod n`` ("signing failure": a fault, never the client's input), it is
    withheld and :class:`~zkcheck.errors.ZkcheckError` is raised.

    The base-blinding factor is drawn from :mod:`secrets`, not from an
    ``rng`` argument: it leaves no trace in the output, so there is nothing
    for a known-answer test to replay.
    """
    values = _private_values(private_key)
    m = gmpy2.mpz(_integer_below(blinded_msg, int(values.n), values.modulus_len, "blinded message"))
    s = _rsasp1(values, m)
    return int(s).to_bytes(values.modulus_len, "big")


def _rsasp1(values: _PrivateValues, m: _Mpz) -> _Mpz:
    """RSASP1 with base blinding and CRT (Garner's recombination), then the fault check."""
    n = values.n
    a, a_inverse = values.next_blinding()
    blinded = m * a % n
    s_p = gmpy2.powmod(blinded, values.dp, values.p)
    s_q = gmpy2.powmod(blinded, values.dq, values.q)
    h = values.qinv * (s_p - s_q) % values.p
    s = (s_q + h * values.q) * a_inverse % n
    # Steps 3-4: a faulty CRT half would let anyone factor n from s (gcd(s^e - m, n)).
    if gmpy2.powmod(s, values.e, n) != m:
        raise ZkcheckError("signing failure")
    return s
