"""An optional variant of the native backend: arkworks, with blst for pairings.

blst (through the optional pyblst package, ``pip install zkcheck[blst]``)
computes a two-pair pairing check in about three quarters of the time arkworks takes,
conversions of the points included (``benchmarks/bench_bbs.py`` measures
it). Everything else (decoding, group arithmetic, hashing to the curve) stays
with arkworks; the pairing's G1 inputs are converted through their canonical
compressed encoding, and G2 inputs (public keys, BP2) are converted once and
remembered. pyblst's decompression checks subgroup membership again, so a
point only reaches the pairing if both libraries accept it.

The default backend wherever pyblst imports; ``get_backend("arkworks")`` or
``ZKCHECK_BACKEND=arkworks`` chooses arkworks alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyblst  # type: ignore[import-not-found,import-untyped,unused-ignore]

from zkcheck.hazmat.backend import G1, G2
from zkcheck.hazmat.backend._arkworks import ArkworksBackend

__all__ = ["ArkworksBlstBackend"]


class ArkworksBlstBackend(ArkworksBackend):
    """arkworks for everything but the pairing product check, which blst computes."""

    name = "arkworks+blst"

    def __init__(self) -> None:
        super().__init__()
        # Converted G2 points by encoding: public keys recur, as does BP2.
        self._g2_cache: dict[bytes, Any] = {}

    def _blst_g1(self, point: G1) -> Any:
        return pyblst.BlstP1Element.uncompress(self.g1_to_bytes(point))

    def _blst_g2(self, point: G2) -> Any:
        octets = self.g2_to_bytes(point)
        converted = self._g2_cache.get(octets)
        if converted is None:
            converted = pyblst.BlstP2Element.uncompress(octets)
            if len(self._g2_cache) >= 1024:
                self._g2_cache.clear()
            self._g2_cache[octets] = converted
        return converted

    def pairing_product_is_one(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        if len(pairs) < 2:
            return super().pairing_product_is_one(pairs)
        # prod_i h(P_i, Q_i) = 1  <=>  prod_{i < n} h(P_i, Q_i) = h(-P_n, Q_n);
        # final_verify compares two Miller-loop values after the final
        # exponentiation, which is then computed once.
        *first, (last_p, last_q) = pairs
        left = None
        for p, q in first:
            value = pyblst.miller_loop(self._blst_g1(p), self._blst_g2(q))
            left = value if left is None else left * value
        right = pyblst.miller_loop(-self._blst_g1(last_p), self._blst_g2(last_q))
        return bool(pyblst.final_verify(left, right))
