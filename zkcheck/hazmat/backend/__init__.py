"""The BLS12-381 backend: the only code in zkcheck that imports a curve library.

Everything above this package (hash-to-curve, BBS, and what is built on them)
sees BLS12-381 through the narrow :class:`Backend` interface: scalars are
Python integers in ``[0, r)``, points are opaque handles (:data:`G1`,
:data:`G2`) that only the backend that made them may use, and every decoder
returns a point that is on the curve, in the prime-order subgroup and
canonically encoded, or raises :class:`~zkcheck.errors.DecodeError`.

Two implementations stand behind the interface:

- ``arkworks``: py-arkworks-bls12381, native code;
- ``py_ecc``: the Ethereum Foundation's pure-Python reference, hundreds of
  times slower, used to cross-check the native backend on the same inputs;
- ``arkworks+blst`` (needs the optional pyblst package): arkworks with blst
  computing the pairing product check, which is the larger part of verifying
  a proof, in about three quarters of arkworks' time, conversions included.

:func:`get_backend` picks one by name, or from the ``ZKCHECK_BACKEND``
environment variable when no name is given, or else the default: the fastest
native backend installed, ``arkworks+blst`` where pyblst imports (``pip
install zkcheck[blst]``) and ``arkworks`` otherwise. Both compute the same
results; tests check every BBS fixture through each.

Point encodings are the compressed ZCash format of
draft-irtf-cfrg-pairing-friendly-curves Appendix C, as restated in
draft-irtf-cfrg-bbs-signatures-09 Appendix B.2 ("Point Encoding"). The
native library accepts some non-canonical encodings (it ignores the sort bit
and trailing bytes of the point at infinity), so :meth:`Backend.g1_from_bytes`
and :meth:`Backend.g2_from_bytes` re-encode every decoded point and reject the
input unless it is exactly that canonical encoding.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Callable, Sequence
from typing import NewType, TypeVar

from zkcheck.errors import DecodeError

__all__ = [
    "BACKEND_ENV",
    "BACKEND_NAMES",
    "DEFAULT_BACKEND",
    "FIELD_MODULUS",
    "G1",
    "G1_OCTETS",
    "G2",
    "G2_OCTETS",
    "GROUP_ORDER",
    "PAIRING_BACKEND",
    "Backend",
    "get_backend",
]

GROUP_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""r, the prime order of G1, G2 and GT (draft-irtf-cfrg-bbs-signatures-09, Appendix B)."""

FIELD_MODULUS = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f624"
    "1eabfffeb153ffffb9feffffffffaaab",
    16,
)
"""p, the characteristic of the base field GF(p) of E1 (same appendix)."""

G1_OCTETS = 48
"""Length of a compressed G1 point (octet_point_length of the BBS ciphersuites)."""

G2_OCTETS = 96
"""Length of a compressed G2 point (a BBS public key)."""

BACKEND_ENV = "ZKCHECK_BACKEND"
"""Environment variable naming the backend used when none is passed."""

DEFAULT_BACKEND = "arkworks"
"""The default backend when the optional pyblst is not installed."""

PAIRING_BACKEND = "arkworks+blst"
"""The default backend when pyblst is installed: its pairing check pays (spec/06-bbs.md)."""

BACKEND_NAMES = ("arkworks", "py_ecc", "arkworks+blst")

G1 = NewType("G1", object)
"""An element of G1, opaque outside the backend that created it."""

G2 = NewType("G2", object)
"""An element of G2, opaque outside the backend that created it."""

_Point = TypeVar("_Point", G1, G2)


class Backend(abc.ABC):
    """BLS12-381 operations zkcheck needs, and nothing more.

    Scalars are ``int`` in ``[0, r)``; passing anything else is a programming
    error. Points from one backend must not be given to another.
    """

    name: str

    # -- G1 -------------------------------------------------------------------

    @abc.abstractmethod
    def g1_identity(self) -> G1:
        """Identity_G1."""

    @abc.abstractmethod
    def g1_add(self, a: G1, b: G1) -> G1:
        """a + b."""

    @abc.abstractmethod
    def g1_neg(self, a: G1) -> G1:
        """-a."""

    @abc.abstractmethod
    def g1_mul(self, point: G1, scalar: int) -> G1:
        """point * scalar."""

    @abc.abstractmethod
    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        """Multi-scalar multiplication: the sum of ``points[i] * scalars[i]``.

        Raises ``ValueError`` when the two sequences differ in length.
        """

    @abc.abstractmethod
    def g1_eq(self, a: G1, b: G1) -> bool:
        """Whether a and b are the same point."""

    @abc.abstractmethod
    def g1_is_identity(self, a: G1) -> bool:
        """Whether a is Identity_G1."""

    @abc.abstractmethod
    def g1_to_bytes(self, point: G1) -> bytes:
        """point_to_octets_E1: the 48-byte compressed encoding."""

    @abc.abstractmethod
    def _g1_decode(self, data: bytes) -> G1:
        """Decode 48 bytes to a point on E1 that is in G1, or raise anything."""

    def g1_from_bytes(self, data: bytes) -> G1:
        """octets_to_point_E1 followed by subgroup_check_G1.

        Accepts exactly the canonical compressed encodings of the points of G1
        (the identity included: callers that must reject it do so). Anything
        else raises :class:`DecodeError`.
        """
        return _decode_canonical(data, G1_OCTETS, "G1", self._g1_decode, self.g1_to_bytes)

    @abc.abstractmethod
    def map_to_g1(self, u: int) -> G1:
        """clear_cofactor(map_to_curve(u)) for the BLS12381G1 suites of RFC 9380.

        map_to_curve is the simplified SWU map to the 11-isogenous curve E'
        followed by the isogeny to E1 (RFC 9380 Sections 6.6.3, 8.8.1, E.2);
        clear_cofactor multiplies by h_eff = 0xd201000000010001 (Section 7).
        ``u`` is an element of GF(p), ``0 <= u < p``.
        """

    # -- G2 -------------------------------------------------------------------

    @abc.abstractmethod
    def g2_generator(self) -> G2:
        """BP2, the base point of G2."""

    @abc.abstractmethod
    def g2_mul(self, point: G2, scalar: int) -> G2:
        """point * scalar."""

    @abc.abstractmethod
    def g2_neg(self, a: G2) -> G2:
        """-a."""

    @abc.abstractmethod
    def g2_is_identity(self, a: G2) -> bool:
        """Whether a is Identity_G2."""

    @abc.abstractmethod
    def g2_to_bytes(self, point: G2) -> bytes:
        """point_to_octets_E2: the 96-byte compressed encoding (x_1 then x_0)."""

    @abc.abstractmethod
    def _g2_decode(self, data: bytes) -> G2:
        """Decode 96 bytes to a point on E2 that is in G2, or raise anything."""

    def g2_from_bytes(self, data: bytes) -> G2:
        """octets_to_point_E2 followed by subgroup_check_G2, canonical form only."""
        return _decode_canonical(data, G2_OCTETS, "G2", self._g2_decode, self.g2_to_bytes)

    # -- pairing ---------------------------------------------------------------

    @abc.abstractmethod
    def pairing_product_is_one(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        """Whether the product of h(P_i, Q_i) over ``pairs`` is Identity_GT."""

    def __repr__(self) -> str:
        return f"<zkcheck backend {self.name}>"


def _decode_canonical(
    data: bytes,
    length: int,
    group: str,
    decode: Callable[[bytes], _Point],
    encode: Callable[[_Point], bytes],
) -> _Point:
    """Decode with the library, wrapping its errors, and insist on the canonical form."""
    if len(data) != length:
        raise DecodeError(f"a {group} point is {length} bytes, got {len(data)}")
    try:
        point = decode(bytes(data))
    except Exception as exc:  # the curve library's own errors, wrapped
        raise DecodeError(f"not an encoding of a point of {group}") from exc
    # The canonical form is unique per point, so the input is canonical
    # exactly when it equals the encoding of the point it decoded to.
    if encode(point) != data:
        raise DecodeError(f"non-canonical encoding of a {group} point")
    return point


_instances: dict[str, Backend] = {}


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name``; by default the one ``ZKCHECK_BACKEND`` names, else
    ``arkworks+blst`` where the optional pyblst imports, else ``arkworks``.

    Each backend is created once and shared (it caches nothing secret).
    """
    chosen = name if name is not None else os.environ.get(BACKEND_ENV)
    if not chosen:
        backend = _instances.get("")
        if backend is None:
            try:
                backend = get_backend(PAIRING_BACKEND)
            except ImportError:  # pyblst is optional: without it, arkworks alone
                backend = get_backend(DEFAULT_BACKEND)
            _instances[""] = backend
        return backend
    backend = _instances.get(chosen)
    if backend is not None:
        return backend
    if chosen == "arkworks":
        from zkcheck.hazmat.backend._arkworks import ArkworksBackend

        backend = ArkworksBackend()
    elif chosen == "py_ecc":
        from zkcheck.hazmat.backend._py_ecc import PyEccBackend

        backend = PyEccBackend()
    elif chosen == "arkworks+blst":
        try:
            from zkcheck.hazmat.backend._blst import ArkworksBlstBackend
        except ImportError as exc:
            raise ImportError(
                "the arkworks+blst backend needs the optional pyblst package: "
                "pip install 'zkcheck[blst]'"
            ) from exc
        backend = ArkworksBlstBackend()
    else:
        raise ValueError(f"unknown backend {chosen!r}; choose one of {BACKEND_NAMES}")
    _instances[chosen] = backend
    return backend
