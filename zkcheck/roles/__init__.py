"""The roles: operator (:class:`Issuer`), phone (:class:`Holder`), relying party
(:class:`Verifier` with its :class:`Policy`).

This is the only layer that combines the others. A flow, message by message
(every message has ``to_bytes`` / ``from_bytes``, so each arrow can be a file)::

    Verifier                      Holder                        Issuer (operator)
       |                             | -- IssuanceRequest -------> |  checks, N holder keys
       |                             | <------ IssuanceResponse -- |  N attestations
       | -- Request ---------------> |                             |
       | <------------ Presentation  |                             |
    VerifiedResult (or a ZkcheckError)

The operator never sees the Request or the verifier; the verifier sees one
attestation of the batch, bound to a key used nowhere else.
"""

from zkcheck.roles.holder import Holder
from zkcheck.roles.issuer import DEFAULT_VALIDITY, Issuer, Validity
from zkcheck.roles.operator_key import OperatorKey
from zkcheck.roles.policy import Policy
from zkcheck.roles.result import VerifiedResult
from zkcheck.roles.verifier import Verifier

__all__ = [
    "DEFAULT_VALIDITY",
    "Holder",
    "Issuer",
    "OperatorKey",
    "Policy",
    "Validity",
    "VerifiedResult",
    "Verifier",
]
