"""The roles: operator (:class:`Issuer`, :class:`TokenIssuer`, :class:`CredentialIssuer`,
the last two with an :class:`Attester`), phone (:class:`Holder`, :class:`TokenHolder`,
:class:`CredentialHolder`), relying party (:class:`Verifier` with its :class:`Policy`).

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

The token tier (:class:`TokenIssuer`, :class:`TokenHolder`; spec/07-token-tier.md)::

    Verifier                      Holder                        TokenIssuer (operator)
       | -- Request + PrivateToken > |                             |
       |    challenges (RFC 9577)    | -- evidence, TokenRequest > |  attester, check holds?
       |                             | <------------ TokenResponse |  blind signature
       | <------------ Presentation  |                             |
    VerifiedResult (or a ZkcheckError)

A static check's tokens may be fetched ahead and cached; a swap check's token
is bound to the request, so it is fetched after the request arrives. The
operator's keys (:class:`TokenIssuerKeys`) and the phone's tokens
(:class:`TokenWallet`) have file forms, and so does every arrow (the
``token-*`` messages of :mod:`zkcheck.encoding.token_messages`).

The credential tier (:class:`CredentialIssuer`, :class:`CredentialHolder`;
spec/08-credential-tier.md)::

    Verifier                      Holder                        CredentialIssuer (operator)
       |                             | -- CredentialRequest -----> |  attester, facts, blind sign
       |                             | <---- CredentialResponse -- |  holder checks, then stores
       | -- Request ---------------> |                             |
       | <------------ Presentation  |  a fresh proof each time    |
    VerifiedResult (or a ZkcheckError)

The operator never sees the holder secret, the request or the verifier; two
presentations of one credential share no value that is not public. The
operator's keys (:class:`CredentialIssuerKeys`) and the phone's wallet
(:class:`CredentialWallet`) have file forms, and the operator keeps its
subscribers' pseudonym records across runs in SQLite (:class:`SQLiteNymRecords`).

In every tier the verifier (and the phone, where it checks keys) finds the
operator's key in the federation's signed trust list
(:class:`~zkcheck.trust.trust_client.TrustListAnchors`): a relying party pins
the federation's authority key once, and a policy that names no operator
accepts every operator in good standing on the list.
:mod:`zkcheck.roles.demo_federation` generates a federation of synthetic
operators with keys in every tier.
"""

from zkcheck.roles.attester import Attester, InsecureTestAttester
from zkcheck.roles.credential_holder import CredentialHolder, CredentialWallet
from zkcheck.roles.credential_issuer import CredentialIssuer, CredentialIssuerKeys
from zkcheck.roles.holder import Holder
from zkcheck.roles.issuer import DEFAULT_VALIDITY, Issuer, Validity
from zkcheck.roles.nym_records import SQLiteNymRecords
from zkcheck.roles.operator_key import OperatorKey
from zkcheck.roles.policy import Policy
from zkcheck.roles.result import VerifiedResult
from zkcheck.roles.token_holder import HeldToken, TokenAsk, TokenHolder, TokenWallet
from zkcheck.roles.token_issuer import DEFAULT_EPOCHS, TokenIssuer, TokenIssuerKeys
from zkcheck.roles.verifier import Verifier

__all__ = [
    "DEFAULT_EPOCHS",
    "DEFAULT_VALIDITY",
    "Attester",
    "CredentialHolder",
    "CredentialIssuer",
    "CredentialIssuerKeys",
    "CredentialWallet",
    "HeldToken",
    "Holder",
    "InsecureTestAttester",
    "Issuer",
    "OperatorKey",
    "Policy",
    "SQLiteNymRecords",
    "TokenAsk",
    "TokenHolder",
    "TokenIssuer",
    "TokenIssuerKeys",
    "TokenWallet",
    "Validity",
    "VerifiedResult",
    "Verifier",
]
