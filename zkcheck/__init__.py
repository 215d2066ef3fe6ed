"""zkcheck: privacy-preserving operator attestations.

A mobile operator answers yes/no checks about a subscriber ("at least 18?",
"no SIM swap in the last 72 hours?", "is this the device's number?") with a
signed, minimal attestation that a relying party verifies offline with the
operator's public key. See README.md for the tiers and spec/ for the protocol.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
