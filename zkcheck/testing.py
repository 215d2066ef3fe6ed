"""Deterministic stand-ins for randomness, for known-answer tests only.

Nothing in the package imports this module (tests/test_layers.py enforces
it): production code draws its randomness from ``secrets``.

draft-irtf-cfrg-bbs-signatures-09 Section 8.1 ("Mocked Random Scalars")
replaces ``calculate_random_scalars`` with ``seeded_random_scalars(SEED, DST,
count)`` so that the draft's proof fixtures are reproducible. Because
``calculate_random_scalars`` reduces successive ``expand_len``-byte draws of
``get_random``, and ``seeded_random_scalars`` reduces successive
``expand_len``-byte slices of one ``expand_message`` output, an ``rng`` that
returns those slices in order makes proof generation produce exactly the
mocked scalars: :func:`mocked_rng` is that ``rng``.
"""

from __future__ import annotations

from zkcheck.hazmat import Rng
from zkcheck.hazmat.bbs import EXPAND_LEN, R, get_ciphersuite
from zkcheck.suites import Suite

__all__ = ["MOCKED_SCALARS_SEED", "mocked_rng", "mocked_scalars_dst", "seeded_random_scalars"]

MOCKED_SCALARS_SEED = b"3.141592653589793238462643383279"
"""SEED of the draft's proof fixtures: the first 30 digits of pi, in ASCII (Section 8.1)."""


def mocked_scalars_dst(suite: Suite = Suite.BLS12_381_SHA_256) -> bytes:
    """DST of the draft's mocked scalars: api_id || "MOCK_RANDOM_SCALARS_DST_"."""
    return get_ciphersuite(suite).api_id + b"MOCK_RANDOM_SCALARS_DST_"


def _seeded_octets(seed: bytes, dst: bytes, count: int, suite: Suite) -> bytes:
    # ABORT if count * expand_len > 65535
    if count * EXPAND_LEN > 65535:
        raise ValueError("too many mocked scalars")
    # 1. out_len = expand_len * count
    # 2. v = expand_message(SEED, DST, out_len)
    # 3. if v is INVALID, return INVALID (expand_message raises instead)
    return get_ciphersuite(suite).expand_message(seed, dst, EXPAND_LEN * count)


def seeded_random_scalars(
    seed: bytes, dst: bytes, count: int, *, suite: Suite = Suite.BLS12_381_SHA_256
) -> list[int]:
    """seeded_scalars = seeded_random_scalars(SEED, DST, count) (Section 8.1)."""
    v = _seeded_octets(seed, dst, count, suite)
    # 4. for i in (1, ..., count):
    # 5.     start_idx = (i-1) * expand_len
    # 6.     end_idx = i * expand_len - 1
    # 7.     r_i = OS2IP(v[start_idx..end_idx]) mod r
    # 8. return (r_1, ...., r_count)
    return [
        int.from_bytes(v[i * EXPAND_LEN : (i + 1) * EXPAND_LEN], "big") % R for i in range(count)
    ]


def mocked_rng(
    count: int, *, suite: Suite = Suite.BLS12_381_SHA_256, dst: bytes | None = None
) -> Rng:
    """An ``rng`` that makes ``calculate_random_scalars(count)`` return the mocked scalars.

    It hands out the ``count`` slices of ``expand_len`` bytes of
    ``seeded_random_scalars(MOCKED_SCALARS_SEED, dst, count)`` in order, and
    fails on any other request, so a test notices if proof generation draws
    differently than the draft says. ``dst`` defaults to
    :func:`mocked_scalars_dst`; the blind BBS and pseudonym fixtures use their
    own (for example api_id || "COMMIT_MOCK_RANDOM_SCALARS_DST_").
    """
    if dst is None:
        dst = mocked_scalars_dst(suite)
    stream = _seeded_octets(MOCKED_SCALARS_SEED, dst, count, suite)
    position = 0

    def rng(n: int) -> bytes:
        nonlocal position
        if n != EXPAND_LEN or position + n > len(stream):
            raise AssertionError("proof generation drew randomness the mock does not expect")
        chunk = stream[position : position + n]
        position += n
        return chunk

    return rng
