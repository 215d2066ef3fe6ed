"""RFC 9474 RSABSSA: the Appendix A vectors with every intermediate value, properties, errors."""

from __future__ import annotations

import contextlib
import functools
import math
import pickle
import secrets
import threading

import gmpy2  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from rsa_support import ReplayRng, rfc9578_private_key, rfc9578_vectors, shared_key
from vectors_loader import load_json, unhex

from zkcheck.errors import DecodeError, InvalidSignature, ZkcheckError
from zkcheck.hazmat import blind_rsa
from zkcheck.hazmat.blind_rsa import (
    Variant,
    blind,
    blind_sign,
    emsa_pss_encode,
    finalize,
    generate_private_key,
    load_private_key,
    load_public_key,
    prepare,
    private_key_to_der,
    public_key_to_spki,
    verify,
)

VECTORS = load_json("rfc9474_rsabssa.json")["vectors"]


def _vector_key(vector: dict[str, str]) -> rsa.RSAPrivateKey:
    return _key_from_numbers(*(vector[name] for name in ("p", "q", "d", "e", "n")))


@functools.cache
def _key_from_numbers(*hex_numbers: str) -> rsa.RSAPrivateKey:
    # All four vectors share one 4096-bit key; checking it once keeps the tests fast.
    p, q, d, e, n = (int(number, 16) for number in hex_numbers)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, n)
    )
    return numbers.private_key()


def _replay(vector: dict[str, str], variant: Variant) -> ReplayRng:
    """The draws prepare and blind make, in their documented order, for one vector."""
    n = int(vector["n"], 16)
    r = pow(int(vector["inv"], 16), -1, n)
    draws = [unhex(vector["msg_prefix"])] if variant.randomized else []
    if variant.salt_length:
        draws.append(unhex(vector["salt"]))
    draws.append(r.to_bytes((n.bit_length() + 7) // 8, "big"))
    return ReplayRng(*draws)


# --- Official vectors ------------------------------------------------------------------------


def test_every_variant_has_a_vector() -> None:
    assert {Variant(vector["name"]) for vector in VECTORS} == set(Variant)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["appendix"])
def test_rfc9474_vector(vector: dict[str, str]) -> None:
    variant = Variant(vector["name"])
    assert variant.salt_length == int(vector["salt_length"])
    assert variant.randomized == (vector["prepare"] == "randomize")
    private_key = _vector_key(vector)
    public_key = private_key.public_key()
    n, e = int(vector["n"], 16), int(vector["e"], 16)
    rng = _replay(vector, variant)

    prepared = prepare(unhex(vector["msg"]), variant, rng=rng)
    assert prepared == unhex(vector["prepared_msg"])

    blinded_msg, inv = blind(public_key, prepared, variant, rng=rng)
    rng.assert_exhausted()
    assert blinded_msg == unhex(vector["blinded_msg"])
    assert inv == unhex(vector["inv"])
    # The encoded message inside blind: blinded_msg * inv^e = encoded_msg * r^e * r^-e.
    encoded_inside = int.from_bytes(blinded_msg, "big") * pow(int.from_bytes(inv, "big"), e, n) % n
    assert encoded_inside.to_bytes(len(blinded_msg), "big") == unhex(vector["encoded_msg"])
    # And the encoder on its own, from the vector's salt.
    encoded = emsa_pss_encode(prepared, n.bit_length() - 1, unhex(vector["salt"]))
    assert encoded == unhex(vector["encoded_msg"])

    blind_sig = blind_sign(private_key, blinded_msg)
    assert blind_sig == unhex(vector["blind_sig"])

    signature = finalize(public_key, prepared, blind_sig, inv, variant)
    assert signature == unhex(vector["sig"])
    verify(public_key, prepared, signature, variant)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["appendix"])
def test_rfc9474_vector_negative(vector: dict[str, str]) -> None:
    variant = Variant(vector["name"])
    public_key = _vector_key(vector).public_key()
    prepared, signature = unhex(vector["prepared_msg"]), unhex(vector["sig"])
    # The salt length is part of the variant: PSS and PSSZERO signatures do not cross over.
    other = next(v for v in Variant if v.salt_length != variant.salt_length)
    with pytest.raises(InvalidSignature):
        verify(public_key, prepared, signature, other)
    # The signed message is the prepared one, prefix included.
    if variant.randomized:
        with pytest.raises(InvalidSignature):
            verify(public_key, unhex(vector["msg"]), signature, variant)
    with pytest.raises(InvalidSignature):
        verify(public_key, prepared + b"\x00", signature, variant)
    # A blind signature of another blinded message does not finalize.
    wrong = blind_sign(_vector_key(vector), unhex(vector["encoded_msg"]))
    with pytest.raises(InvalidSignature):
        finalize(public_key, prepared, wrong, unhex(vector["inv"]), variant)


def test_rfc9474_signatures_are_plain_rsassa_pss() -> None:
    # RFC 9474 section 4.5: any RSA-PSS implementation verifies the output (here OpenSSL's).
    for vector in VECTORS:
        variant = Variant(vector["name"])
        _vector_key(vector).public_key().verify(
            unhex(vector["sig"]),
            unhex(vector["prepared_msg"]),
            padding.PSS(padding.MGF1(hashes.SHA384()), variant.salt_length),
            hashes.SHA384(),
        )


# --- Randomness: draw order and rejection sampling -------------------------------------------


def test_draw_order_is_prefix_salt_then_blinding_factor() -> None:
    key = shared_key()
    draws: list[int] = []

    def recording_rng(size: int) -> bytes:
        draws.append(size)
        return secrets.token_bytes(size)

    for variant in Variant:
        draws.clear()
        prepared = prepare(b"message", variant, rng=recording_rng)
        blind(key.public_key(), prepared, variant, rng=recording_rng)
        expected = ([32] if variant.randomized else []) + ([48] if variant.salt_length else [])
        # One draw for r, more when a value not below n was rejected.
        assert draws[: len(expected)] == expected, variant
        assert draws[len(expected) :] == [256] * (len(draws) - len(expected)) != [], variant


def test_blinding_factor_is_rejection_sampled() -> None:
    private_key = _vector_key(VECTORS[2])
    public_key = private_key.public_key()
    n = public_key.public_numbers().n
    p = private_key.private_numbers().p
    good = pow(int(VECTORS[2]["inv"], 16), -1, n)
    rejected = [n, n + 1, 0, p]  # not below n, not below n, zero, not invertible
    rng = ReplayRng(
        unhex(VECTORS[2]["salt"]), *(value.to_bytes(512, "big") for value in [*rejected, good])
    )
    blinded_msg, inv = blind(
        public_key, unhex(VECTORS[2]["prepared_msg"]), Variant(VECTORS[2]["name"]), rng=rng
    )
    rng.assert_exhausted()
    assert blinded_msg == unhex(VECTORS[2]["blinded_msg"])
    assert inv == unhex(VECTORS[2]["inv"])


def test_rng_returning_the_wrong_size_is_refused() -> None:
    public_key = shared_key().public_key()
    with pytest.raises(ValueError, match="rng"):
        prepare(b"m", Variant.RSABSSA_SHA384_PSS_RANDOMIZED, rng=lambda size: bytes(size - 1))
    with pytest.raises(ValueError, match="rng"):
        blind(public_key, b"m", Variant.RSABSSA_SHA384_PSS_DETERMINISTIC, rng=lambda s: b"x")


def test_a_broken_rng_ends_in_a_blinding_error() -> None:
    # An rng that only ever returns zero can never give a blinding factor.
    with pytest.raises(ZkcheckError, match="blinding error"):
        blind(
            shared_key().public_key(),
            b"m",
            Variant.RSABSSA_SHA384_PSSZERO_DETERMINISTIC,
            rng=lambda size: bytes(size),
        )


# --- Properties ------------------------------------------------------------------------------


@given(message=st.binary(max_size=300), variant=st.sampled_from(Variant))
def test_round_trip_verifies(message: bytes, variant: Variant) -> None:
    private_key = shared_key()
    public_key = private_key.public_key()
    prepared = prepare(message, variant)
    assert prepared.endswith(message)
    assert len(prepared) == len(message) + (32 if variant.randomized else 0)
    blinded_msg, inv = blind(public_key, prepared, variant)
    signature = finalize(public_key, prepared, blind_sign(private_key, blinded_msg), inv, variant)
    verify(public_key, prepared, signature, variant)


@st.composite
def _signed(draw: st.DrawFn) -> tuple[Variant, bytes, bytes, bytes, bytes]:
    variant = draw(st.sampled_from(Variant))
    prepared = prepare(draw(st.binary(max_size=64)), variant)
    blinded_msg, inv = blind(shared_key().public_key(), prepared, variant)
    return variant, prepared, blind_sign(shared_key(), blinded_msg), inv, blinded_msg


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(flipped)


@given(signed=_signed(), bit=st.integers(0, 2047))
def test_flipping_any_bit_of_a_blind_signature_fails_finalize(
    signed: tuple[Variant, bytes, bytes, bytes, bytes], bit: int
) -> None:
    variant, prepared, blind_sig, inv, _ = signed
    with pytest.raises(ZkcheckError):
        finalize(shared_key().public_key(), prepared, _flip(blind_sig, bit), inv, variant)


@given(signed=_signed(), bit=st.integers(0, 2047))
def test_flipping_any_bit_of_a_signature_fails_verify(
    signed: tuple[Variant, bytes, bytes, bytes, bytes], bit: int
) -> None:
    variant, prepared, blind_sig, inv, _ = signed
    public_key = shared_key().public_key()
    signature = finalize(public_key, prepared, blind_sig, inv, variant)
    with pytest.raises(InvalidSignature):
        verify(public_key, prepared, _flip(signature, bit), variant)


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 255, 257, 512])
def test_blinded_message_of_the_wrong_length_is_refused(size: int) -> None:
    with pytest.raises(DecodeError, match="256 bytes"):
        blind_sign(shared_key(), bytes(size))


@pytest.mark.parametrize("offset", [0, 1, 12345])
def test_blinded_message_not_below_n_is_refused(offset: int) -> None:
    n = shared_key().public_key().public_numbers().n
    with pytest.raises(DecodeError, match="not below the modulus"):
        blind_sign(shared_key(), (n + offset).to_bytes(256, "big"))


def test_largest_blinded_message_is_refused() -> None:
    with pytest.raises(DecodeError, match="not below the modulus"):
        blind_sign(shared_key(), b"\xff" * 256)


def test_finalize_checks_sizes_and_ranges() -> None:
    private_key = shared_key()
    public_key = private_key.public_key()
    n = public_key.public_numbers().n
    variant = Variant.RSABSSA_SHA384_PSS_DETERMINISTIC
    blinded_msg, inv = blind(public_key, b"m", variant)
    blind_sig = blind_sign(private_key, blinded_msg)
    with pytest.raises(DecodeError, match="unexpected input size"):
        finalize(public_key, b"m", blind_sig[1:], inv, variant)
    with pytest.raises(DecodeError, match="unexpected input size"):
        finalize(public_key, b"m", blind_sig, inv + b"\x00", variant)
    with pytest.raises(DecodeError, match="not below the modulus"):
        finalize(public_key, b"m", n.to_bytes(256, "big"), inv, variant)
    finalize(public_key, b"m", blind_sig, inv, variant)


def test_verify_refuses_a_signature_of_the_wrong_length() -> None:
    public_key = shared_key().public_key()
    with pytest.raises(InvalidSignature):
        verify(public_key, b"m", bytes(255), Variant.RSABSSA_SHA384_PSS_DETERMINISTIC)


def test_encoding_error_for_a_modulus_too_small() -> None:
    with pytest.raises(DecodeError, match="encoding error"):
        emsa_pss_encode(b"m", 8 * (48 + 48 + 1), bytes(48))
    assert len(emsa_pss_encode(b"m", 8 * (48 + 48 + 2), bytes(48))) == 98


# --- Keys and the RFC 9578 section 6.5 SubjectPublicKeyInfo ----------------------------------


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    length = bytes([size]) if size < 0x80 else bytes([0x82]) + size.to_bytes(2, "big")
    return bytes([tag]) + length + content


SHA384 = bytes.fromhex("0609608648016503040202")
SHA256 = bytes.fromhex("0609608648016503040201")
MGF1 = bytes.fromhex("06092a864886f70d010108")
RSASSA_PSS = bytes.fromhex("06092a864886f70d01010a")
NULL = bytes.fromhex("0500")


def _pss_spki(
    public_key: rsa.RSAPublicKey,
    *,
    hash_oid: bytes = SHA384,
    mgf_hash_oid: bytes = SHA384,
    salt: int = 48,
    hash_params: bytes = b"",
    extra: bytes = b"",
) -> bytes:
    """A PSS SubjectPublicKeyInfo built by hand (independently of the module's encoder)."""
    params = _der(
        0x30,
        _der(0xA0, _der(0x30, hash_oid + hash_params))
        + _der(0xA1, _der(0x30, MGF1 + _der(0x30, mgf_hash_oid + hash_params)))
        + _der(0xA2, _der(0x02, bytes([salt])))
        + extra,
    )
    rsa_key = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return _der(0x30, _der(0x30, RSASSA_PSS + params) + _der(0x03, b"\x00" + rsa_key))


def test_public_key_to_spki_matches_rfc9578_byte_for_byte() -> None:
    expected = unhex(rfc9578_vectors()[0]["pkI"])
    public_key = rfc9578_private_key().public_key()
    assert public_key_to_spki(public_key) == expected
    assert _pss_spki(public_key) == expected
    loaded = load_public_key(expected)
    assert loaded.public_numbers() == public_key.public_numbers()


def test_spki_round_trips_for_other_sizes() -> None:
    public_key = _vector_key(VECTORS[0]).public_key()  # 4096 bits
    spki = public_key_to_spki(public_key)
    assert load_public_key(spki).public_numbers() == public_key.public_numbers()


def test_rsa_encryption_spki_is_refused() -> None:
    public_key = shared_key().public_key()
    plain = public_key_to_spki(public_key, pss=False)
    assert b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" in plain
    with pytest.raises(DecodeError, match="rsaEncryption"):
        load_public_key(plain)


@pytest.mark.parametrize(
    "options",
    [
        {"hash_oid": SHA256},
        {"mgf_hash_oid": SHA256},
        {"salt": 32},
        {"salt": 0},
        {"hash_params": NULL},  # RFC 4055 allows NULL; zkcheck keeps one encoding per key
        {"extra": _der(0xA3, _der(0x02, b"\x01"))},  # an explicit DEFAULT trailerField
    ],
    ids=["sha256", "mgf1-sha256", "salt32", "salt0", "null-params", "trailer-field"],
)
def test_other_pss_parameters_are_refused(options: dict[str, object]) -> None:
    spki = _pss_spki(shared_key().public_key(), **options)  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="RSASSA-PSS parameters"):
        load_public_key(spki)


def test_malformed_spki_is_refused() -> None:
    spki = public_key_to_spki(shared_key().public_key())
    for bad in (
        b"",
        b"\x30",
        spki[:-1],
        spki + b"\x00",
        b"\x31" + spki[1:],
        spki[:4] + b"\x30\x3d\x06\x09\x2b" + spki[9:],  # another OID
        spki.replace(b"\x03\x82\x01\x0f\x00", b"\x03\x82\x01\x0f\x01", 1),  # unused bits
        b"\x30\x83\x00\x01\x52" + spki[4:],  # non-minimal length
    ):
        with pytest.raises(DecodeError):
            load_public_key(bad)


def test_small_modulus_is_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(DecodeError, match="out of range"):
        load_public_key(public_key_to_spki(small.public_key()))


@given(position=st.integers(0, 341), value=st.integers(0, 255))
def test_changed_spki_bytes_load_canonically_or_raise(position: int, value: int) -> None:
    spki = bytearray(public_key_to_spki(shared_key().public_key()))
    spki[position] = value
    try:
        key = load_public_key(bytes(spki))
    except DecodeError:
        return
    assert public_key_to_spki(key) == bytes(spki)


@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise_a_foreign_exception(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        load_public_key(data)


def test_generate_private_key() -> None:
    with pytest.raises(ValueError):
        generate_private_key(1024)
    key = generate_private_key()
    assert key.key_size == 2048
    assert key.public_key().public_numbers().e == 65537
    prepared = prepare(b"fresh key", Variant.RSABSSA_SHA384_PSS_RANDOMIZED)
    blinded_msg, inv = blind(key.public_key(), prepared, Variant.RSABSSA_SHA384_PSS_RANDOMIZED)
    finalize(
        key.public_key(),
        prepared,
        blind_sign(key, blinded_msg),
        inv,
        Variant.RSABSSA_SHA384_PSS_RANDOMIZED,
    )


def test_private_key_round_trips_as_canonical_pkcs8_and_nothing_else_loads() -> None:
    key = shared_key()
    der = private_key_to_der(key)
    assert repr(der).startswith("SecretBytes(")
    loaded = load_private_key(der.reveal())
    assert loaded.private_numbers() == key.private_numbers()
    other_forms = [
        der.reveal() + b"\x00",
        der.reveal()[:-1],
        b"",
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        ),
        rsa.generate_private_key(public_exponent=3, key_size=2048).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    ]
    for data in other_forms:
        with pytest.raises(DecodeError):
            load_private_key(data)


# OpenSSL checks each key it loads (tens of milliseconds): fewer examples keep this quick.
@settings(max_examples=20)
@given(position=st.integers(0, 1200), value=st.integers(0, 255))
def test_changed_private_key_bytes_load_the_same_key_or_raise(position: int, value: int) -> None:
    data = bytearray(private_key_to_der(shared_key()).reveal())
    data[position % len(data)] = value
    with contextlib.suppress(DecodeError):
        assert load_private_key(bytes(data)).private_numbers() == shared_key().private_numbers()


# --- The signer's private operation: cache, base blinding, fault check -----------------------


def test_values_are_cached_per_key_object_and_secret() -> None:
    key = shared_key()
    values = blind_rsa._private_values(key)
    assert blind_rsa._private_values(key) is values
    assert blind_rsa._private_values(rfc9578_private_key()) is not values
    assert "redacted" in repr(values)
    assert str(int(values.p)) not in repr(values)
    with pytest.raises(TypeError):
        pickle.dumps(values)


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blind_rsa, "_CACHE_SIZE", 2)
    keys = [rfc9578_private_key() for _ in range(3)]
    for key in keys:
        blind_rsa._private_values(key)
    assert len(blind_rsa._cache) == 2
    assert id(keys[0]) not in blind_rsa._cache


def _blinding_is_a_pair(values: blind_rsa._PrivateValues) -> bool:
    a, a_inverse = values._blinding
    # A = v^e and A^-1... : A * (v^-1)^e = v^e * v^-e = 1 mod n.
    return bool(a * gmpy2.powmod(a_inverse, values.e, values.n) % values.n == 1)


def test_base_blinding_is_renewed_by_squaring_and_redrawn() -> None:
    key = rfc9578_private_key()
    blinded_msg, _ = blind(key.public_key(), b"m", Variant.RSABSSA_SHA384_PSS_DETERMINISTIC)
    expected = blind_sign(key, blinded_msg)
    values = blind_rsa._private_values(key)
    assert _blinding_is_a_pair(values)
    for _ in range(blind_rsa._BLINDING_RENEWAL - 1):
        a, a_inverse = values._blinding
        assert blind_sign(key, blinded_msg) == expected
        assert values._blinding == (a * a % values.n, a_inverse * a_inverse % values.n)
        assert _blinding_is_a_pair(values)
    a, _ = values._blinding
    blind_sign(key, blinded_msg)
    assert values._blinding[0] != a * a % values.n  # the 33rd use draws a fresh factor
    assert _blinding_is_a_pair(values)


def test_blinding_is_in_the_signing_path() -> None:
    # A blinding pair that does not cancel corrupts the result, which the fault check catches:
    # the base really is multiplied by A and the result by A's partner.
    key = rfc9578_private_key()
    blinded_msg, _ = blind(key.public_key(), b"m", Variant.RSABSSA_SHA384_PSS_DETERMINISTIC)
    values = blind_rsa._private_values(key)
    values._blinding, values._uses = (gmpy2.mpz(2), gmpy2.mpz(1)), 0
    with pytest.raises(ZkcheckError, match="signing failure"):
        blind_sign(key, blinded_msg)


def test_fault_check_withholds_a_faulty_signature() -> None:
    key = rfc9578_private_key()
    public = key.public_key().public_numbers()
    blinded_msg, _ = blind(key.public_key(), b"m", Variant.RSABSSA_SHA384_PSS_DETERMINISTIC)
    values = blind_rsa._private_values(key)
    values.dp ^= 2  # a fault in the half computed modulo p
    with pytest.raises(ZkcheckError, match="signing failure") as raised:
        blind_sign(key, blinded_msg)
    assert type(raised.value) is ZkcheckError
    # Why it matters: the faulty value would be right modulo q only, so it reveals q.
    m = int.from_bytes(blinded_msg, "big")
    s_p, s_q = pow(m, int(values.dp), int(values.p)), pow(m, int(values.dq), int(values.q))
    faulty = s_q + (int(values.qinv) * (s_p - s_q) % int(values.p)) * int(values.q)
    assert math.gcd(pow(faulty, public.e, public.n) - m, public.n) == int(values.q)


def test_concurrent_signers_share_one_key_safely() -> None:
    key = shared_key()
    variant = Variant.RSABSSA_SHA384_PSS_DETERMINISTIC
    requests = [blind(key.public_key(), bytes([i]), variant) for i in range(8)]
    expected = [blind_sign(key, blinded_msg) for blinded_msg, _ in requests]
    failures: list[BaseException] = []

    def sign_all() -> None:
        try:
            for _ in range(4):
                for (blinded_msg, _), want in zip(requests, expected, strict=True):
                    assert blind_sign(key, blinded_msg) == want
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=sign_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
