"""Ciphersuite identifiers, usable by every layer (a leaf module).

Enum values are the exact identifiers of the specifications, so a suite
read from the wire or a configuration file maps to one member or to none.
"""

from __future__ import annotations

import enum

__all__ = ["Suite"]


class Suite(enum.Enum):
    """The BBS ciphersuites of draft-irtf-cfrg-bbs-signatures-09 Section 7.2.

    Each value is the ciphersuite's ``ciphersuite_id`` (Section 7.1.1).
    """

    BLS12_381_SHA_256 = "BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_"
    BLS12_381_SHAKE_256 = "BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_"

    @property
    def ciphersuite_id(self) -> bytes:
        """The identifier as the octet string the draft hashes."""
        return self.value.encode("ascii")
