"""The single error hierarchy of zkcheck.

Every failure that attacker-controlled input can cause is raised as a subclass
of :class:`ZkcheckError`; foreign exceptions (from CBOR, curve or RSA
libraries, or ``ValueError`` on malformed bytes) are wrapped at the boundary
where the bytes enter. Verification has one failure channel: it raises.

Messages of verification failures are deliberately uninformative ("proof
invalid", never which equation failed), so that a verifier exposed to
adversarial provers does not become an oracle. Decoding failures may say what
was malformed, since the bytes are the caller's own.
"""

__all__ = [
    "DecodeError",
    "Expired",
    "InvalidProof",
    "InvalidSignature",
    "NotRequested",
    "OutOfSequence",
    "PolicyError",
    "Replayed",
    "UntrustedIssuer",
    "WrongVerifier",
    "ZkcheckError",
]


class ZkcheckError(Exception):
    """Root of every error zkcheck raises on bad input or a failed check."""


class DecodeError(ZkcheckError):
    """Input is malformed: wrong length, non-canonical encoding, trailing
    bytes, an off-curve or out-of-subgroup point, a scalar out of range, an
    unknown version or type."""


class InvalidSignature(ZkcheckError):
    """A well-formed signature, token or attestation does not verify."""


class InvalidProof(ZkcheckError):
    """A well-formed zero-knowledge proof does not verify."""


class PolicyError(ZkcheckError):
    """The cryptography holds, but the verifier's policy refuses the result."""


class Expired(PolicyError):
    """The object is past its expiry, or older than the policy allows."""


class Replayed(PolicyError):
    """A single-use value (request nonce, token nonce) was already consumed,
    or was never issued by this verifier."""


class OutOfSequence(PolicyError):
    """A signed trust list that cannot follow the one held: an older sequence number
    (rollback), the same one with other content (equivocation), or one further
    ahead than the time since the held list allows (fast-forward)."""


class UntrustedIssuer(PolicyError):
    """The issuing operator or its key is unknown, revoked or not accepted."""


class WrongVerifier(PolicyError):
    """The presentation was made for another verifier or another request."""


class NotRequested(PolicyError):
    """The presentation does not answer the request: a check that was asked
    for is missing, or a check that was not asked for is shown."""
