"""zkcheck's BBS credential interface and attribute layout version 1 (spec/08-credential-tier.md).

A credential is one blind BBS signature by the operator over 12 messages: 9
signer messages (the subscriber's facts, typed per position), the prover's
blind, and two messages committed by the holder (its holder secret and its
part of the pseudonym secret). The operator never sees the committed
messages; the holder checks everything the operator chose before it keeps
the credential::

    Holder                                        Operator
    commit(holder_secret, prover_nym)
      -> commitment_with_proof,
         secret_prover_blind       ------------>  blind_sign(SK, PK, commitment_with_proof,
                                                             signer_nym_entropy, facts)
    complete(PK, signature, facts, ...)  <------    -> signature
      -> nym_secret

This module holds the layout as the chapter's tables fix it: the interface
identifier (:data:`API_ID`, ``ciphersuite_id || "BLIND_H2G_TM2S_ZKCHECK-V1_"``),
the generators, the header, the index of every position, the time and date
encodings (hours and proleptic Gregorian ordinals, so every value is a small
non-negative integer) and the admissible range of every fact. The blind
machinery is :mod:`zkcheck.hazmat.blind_bbs` and
:mod:`zkcheck.hazmat.bbs_pseudonym`, called through their scalar forms with
this interface's ``api_id``; proofs over a credential are
:mod:`zkcheck.hazmat.presentation`'s.

**Errors.** A fact outside its admissible range raises
:class:`~zkcheck.errors.PolicyError` (the operator refuses to issue, the
holder refuses to store); malformed input raises
:class:`~zkcheck.errors.DecodeError`; a commitment whose proof fails raises
:class:`~zkcheck.errors.InvalidProof`; a signature that does not verify
raises :class:`~zkcheck.errors.InvalidSignature`.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass

from zkcheck.errors import DecodeError, PolicyError
from zkcheck.hazmat import Rng, default_rng
from zkcheck.hazmat.backend import G1, Backend
from zkcheck.hazmat.bbs import (
    Ciphersuite,
    R,
    _scalar_octets,
    _secret_key_scalar,
    calculate_random_scalars,
    create_generators,
    get_ciphersuite,
    hash_to_scalar,
    key_gen,
    octets_to_pubkey,
    sk_to_pk,
)
from zkcheck.hazmat.bbs_pseudonym import (
    combined_header,
    commit_with_nym_scalars,
    verify_finalize_with_nym_scalars,
)
from zkcheck.hazmat.blind_bbs import (
    blind_generators,
    commitment_message_count,
    core_blind_sign,
    deserialize_and_validate_commit,
    secret_scalar,
)
from zkcheck.hazmat.predicate_statements import EPOCH_ORDINAL, day_of_time, hour_ceil
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.suites import Suite

__all__ = [
    "API_ID",
    "COMMITMENT_LENGTH",
    "DAY_SENTINEL",
    "EPOCH_ORDINAL",
    "EXPIRY_OFFSET_DAYS",
    "H2S_DST",
    "HEADER",
    "HEADER_PREFIX",
    "HOUR_SENTINEL",
    "ISSUE_HOUR_TOLERANCE",
    "KEY_ID_SIZE",
    "LAYOUT_VERSION",
    "MAP_DST",
    "MAX_PAST_DAYS",
    "MESSAGE_COUNT",
    "SIGNER_MESSAGE_COUNT",
    "SUITE",
    "SWAP_CLAMP_HOURS",
    "TYPE_VERSION",
    "Index",
    "LayoutFacts",
    "blind_sign",
    "commit",
    "complete",
    "country_code",
    "day_of_hour",
    "day_of_time",
    "day_start",
    "expiry_day",
    "generate_holder_secret",
    "generate_key",
    "generators",
    "hour_ceil",
    "hour_floor",
    "key_id",
    "message_scalars",
    "msisdn_scalar",
    "public_key",
    "week_start",
]

SUITE = Suite.BLS12_381_SHA_256
"""The credential tier's one ciphersuite, BLS12-381-SHA-256."""

API_ID = SUITE.ciphersuite_id + b"BLIND_H2G_TM2S_ZKCHECK-V1_"
"""zkcheck's BBS interface, version 1: typed messages to scalars (61 octets)."""

MAP_DST = API_ID + b"MAP_MSG_TO_SCALAR_AS_HASH_"
"""DST of the one hashed attribute, the phone number (87 octets)."""

H2S_DST = API_ID + b"H2S_"
"""DST of the BBS domain, the commitment challenge and the signature's e (65 octets)."""

LAYOUT_VERSION = 1

NYM_COUNT = 1
"""Length of the pseudonym-secret vector in layout version 1."""

HEADER_PREFIX = b"ZKCHECK-CREDENTIAL-SUBSCRIBER-LAYOUT-1"
"""The header before the pseudonym draft's vector length is appended."""

HEADER = combined_header(HEADER_PREFIX, NYM_COUNT)
"""header_v1: the header of every layout-1 signature and proof (46 octets), a public constant."""

TYPE_VERSION = 65537
"""Message 0 of layout 1: credential type 1 (subscriber facts) times 2^16 plus layout version 1."""

SIGNER_MESSAGE_COUNT = 9
MESSAGE_COUNT = 12
"""9 signer messages, the prover blind, the holder secret and the nym secret."""

COMMITTED_COUNT = 1
"""Committed messages other than the nym secret: the holder secret."""

COMMITMENT_LENGTH = 176
"""C (48 octets) and s^, m^_1, m^_2 and the challenge (32 octets each)."""

KEY_ID_SIZE = 16

DAY_BITS = 20
HOUR_BITS = 24
DAY_SENTINEL: int = 2**DAY_BITS - 1
"""A missing date: the ordinal of 2871-11-25, later than every cutoff."""
HOUR_SENTINEL: int = 2**HOUR_BITS - 1
"""A missing or unknown swap time, later than every cutoff."""
MAX_PAST_DAYS = 54787
"""150 years of 365.2425 days, rounded down: the oldest admissible birth or contract day."""
SWAP_CLAMP_HOURS = 3072
"""128 days: swap times earlier than the issue hour minus this are clamped to it."""
EXPIRY_OFFSET_DAYS = 14
ISSUE_HOUR_TOLERANCE = 1
"""Hours by which the issue hour may differ from the holder's clock."""

_E164 = re.compile(r"\+[1-9][0-9]{4,14}")
_COUNTRY = re.compile(r"[A-Z]{2}")


class Index(enum.IntEnum):
    """The 12 positions of layout version 1, by their index in the signed list."""

    TYPE_VERSION = 0
    ISSUE_HOUR = 1
    EXPIRY_DAY = 2
    BIRTH_DAY = 3
    SIM_CHANGE_HOUR = 4
    DEVICE_CHANGE_HOUR = 5
    CONTRACT_START_DAY = 6
    MSISDN_HASH = 7
    HOME_COUNTRY = 8
    PROVER_BLIND = 9
    HOLDER_SECRET = 10
    NYM_SECRET = 11


# -- Time and date encoding (section "Time and date encoding") ---------------------------


# hour_ceil(t), day_of_time(t) and EPOCH_ORDINAL = ordinal(1970, 1, 1) are those of the
# predicate statements, which evaluate cutoffs with them.


def hour_floor(t: int) -> int:
    """floor(t / 3600): the hour count of a POSIX time, rounded down."""
    return t // 3600


def day_of_hour(h: int) -> int:
    """The ordinal of the UTC day containing hour ``h``."""
    return h // 24 + EPOCH_ORDINAL


def day_start(d: int) -> int:
    """The POSIX time at which the day of ordinal ``d`` begins."""
    return (d - EPOCH_ORDINAL) * 86400


def week_start(d: int) -> int:
    """The ordinal of the Monday that starts the week of day ``d`` (ordinal 1 is a Monday)."""
    return d - (d - 1) % 7


def expiry_day(issue_hour: int) -> int:
    """The Monday two weeks after the Monday of the issue week: the first day a credential
    is no longer valid."""
    return week_start(day_of_hour(issue_hour)) + EXPIRY_OFFSET_DAYS


# -- The layout (section "Layout version 1") ----------------------------------------------


def _check_e164(number: object) -> None:
    if not isinstance(number, str) or _E164.fullmatch(number) is None:
        raise PolicyError("the number is not an E.164 number")


def msisdn_scalar(number: str | None) -> int:
    """Index 7: hash_to_scalar of the E.164 number's ASCII text with MAP_DST; 0 if missing."""
    if number is None:
        return 0
    _check_e164(number)
    return hash_to_scalar(number.encode("ascii"), MAP_DST, suite=SUITE)


def country_code(country: str | None) -> int:
    """Index 8: 256 * c1 + c2 for two capital letters (16705 to 23130); 0 if missing."""
    if country is None:
        return 0
    if not isinstance(country, str) or _COUNTRY.fullmatch(country) is None:
        raise PolicyError("the home country is not two capital letters")
    return 256 * ord(country[0]) + ord(country[1])


def _in_range(value: object, name: str, low: int, high: int, sentinel: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{name} is an integer")
    if value != sentinel and not low <= value <= high:
        raise PolicyError(f"{name} is outside its admissible range")


@dataclass(frozen=True)
class LayoutFacts:
    """The values of indexes 1 to 8 of a layout-1 credential, as the operator signs them.

    Integers are the layout's own units (hours since the epoch, ordinal days),
    sentinels included; the number and the home country are text, or None when
    the operator does not have them. Construction does not check them:
    :meth:`check` does, and every function that signs or verifies calls it.
    """

    issue_hour: int
    expiry_day: int
    birth_day: int
    sim_change_hour: int
    device_change_hour: int
    contract_start_day: int
    msisdn: str | None
    home_country: str | None

    def check(self) -> None:
        """Every value in its admissible range (or its sentinel), else :class:`PolicyError`.

        The ranges are relative to the issue hour ``h`` and its day ``d``: the
        expiry is exactly :func:`expiry_day` of ``h``; birth and contract days
        lie in ``[d - 54787, d]``; swap hours in ``[h - 3072, h + 1]``; the
        number is E.164 and the home country two capital letters, or None.
        """
        h = self.issue_hour
        if isinstance(h, bool) or not isinstance(h, int) or h < 0:
            raise PolicyError("the issue hour is a non-negative integer")
        # Every day of the layout, the expiry included, stays below the day sentinel
        # (this holds until the year 2871).
        if expiry_day(h) >= DAY_SENTINEL:
            raise PolicyError("the issue hour is outside its admissible range")
        if isinstance(self.expiry_day, bool) or self.expiry_day != expiry_day(h):
            raise PolicyError("the expiry is not on the weekly grid")
        d = day_of_hour(h)
        for name, day in (
            ("the birth day", self.birth_day),
            ("the contract start", self.contract_start_day),
        ):
            _in_range(day, name, max(d - MAX_PAST_DAYS, 0), d, DAY_SENTINEL)
        for name, hour in (
            ("the SIM change", self.sim_change_hour),
            ("the device change", self.device_change_hour),
        ):
            _in_range(hour, name, max(h - SWAP_CLAMP_HOURS, 0), h + 1, HOUR_SENTINEL)
        if self.msisdn is not None:
            _check_e164(self.msisdn)
        country_code(self.home_country)

    def scalars(self) -> list[int]:
        """The 9 signer message scalars (index 0, the type, first), after :meth:`check`.

        Integer attributes are their own scalars (all below 2^24, so none
        reduces modulo r); the number is hashed; the country is its code.
        """
        self.check()
        return [
            TYPE_VERSION,
            self.issue_hour,
            self.expiry_day,
            self.birth_day,
            self.sim_change_hour,
            self.device_change_hour,
            self.contract_start_day,
            msisdn_scalar(self.msisdn),
            country_code(self.home_country),
        ]


def message_scalars(
    facts: LayoutFacts,
    secret_prover_blind: SecretBytes,
    holder_secret: SecretBytes,
    nym_secret: SecretBytes,
) -> list[int]:
    """The 12 message scalars of a credential, in index order (the holder's view)."""
    return [
        *facts.scalars(),
        secret_scalar(secret_prover_blind, "secret_prover_blind"),
        secret_scalar(holder_secret, "the holder secret"),
        secret_scalar(nym_secret, "the nym secret", allow_zero=False),
    ]


def generators(ciphersuite: Ciphersuite) -> list[G1]:
    """(Q_1, H_1, ..., H_9, Q_2, J_1, J_2): the signer generators from api_id, then the blind
    generators from "BLIND_" || api_id, paired with indexes 0 to 11 after Q_1."""
    return [
        *create_generators(SIGNER_MESSAGE_COUNT + 1, API_ID, ciphersuite=ciphersuite),
        *blind_generators(COMMITTED_COUNT + NYM_COUNT + 1, API_ID, ciphersuite=ciphersuite),
    ]


# -- Keys ------------------------------------------------------------------------------------


def generate_key(
    rng: Rng | None = None, *, backend: Backend | None = None
) -> tuple[SecretBytes, bytes]:
    """A fresh operator key pair (SK, PK): KeyGen over 32 random octets, and SkToPk."""
    material = (rng if rng is not None else default_rng)(32)
    sk = key_gen(material, b"ZKCHECK-CREDENTIAL-KEY-V1", suite=SUITE)
    return sk, sk_to_pk(sk, suite=SUITE, backend=backend)


def public_key(sk: SecretBytes) -> bytes:
    """PK = SkToPk(SK) of an operator's secret key; :class:`DecodeError` unless SK is a
    32-octet scalar in [1, r - 1]."""
    return sk_to_pk(sk, suite=SUITE)


def key_id(pk: bytes) -> bytes:
    """The identifier of an operator's credential key: the first 16 octets of SHA-256(PK)."""
    return hashlib.sha256(pk).digest()[:KEY_ID_SIZE]


def generate_holder_secret(rng: Rng | None = None) -> SecretBytes:
    """A holder secret, I2OSP(x, 32) with x = calculate_random_scalars(1)."""
    (scalar,) = calculate_random_scalars(1, rng, ciphersuite=get_ciphersuite(SUITE))
    return SecretBytes(_scalar_octets(scalar))


# -- Issuance (sections "Holder: request", "Operator: blind signing", "Holder: checks") -----


def commit(
    holder_secret: SecretBytes,
    prover_nym: SecretBytes,
    *,
    rng: Rng | None = None,
    backend: Backend | None = None,
) -> tuple[bytes, SecretBytes]:
    """(commitment_with_proof, secret_prover_blind) = CoreCommit((Q_2, J_1, J_2),
    (holder_secret, prover_nym), api_id): 176 octets to send, and the blind to keep."""
    return commit_with_nym_scalars(
        [secret_scalar(holder_secret, "the holder secret")],
        [prover_nym],
        suite=SUITE,
        api_id=API_ID,
        rng=rng,
        backend=backend,
    )


def blind_sign(
    sk: SecretBytes,
    pk: bytes,
    commitment_with_proof: bytes,
    signer_nym_entropy: bytes,
    facts: LayoutFacts,
    *,
    backend: Backend | None = None,
) -> bytes:
    """The operator's signature over ``facts`` and the holder's commitment (80 octets).

    Steps 2, 3, 5, 6 and 7 of "Operator: blind signing": the commitment is
    exactly 176 octets (else :class:`DecodeError`) and its proof verifies (else
    :class:`~zkcheck.errors.InvalidProof`); then every fact is in range (else
    :class:`PolicyError`); then B = P1 + Q_1 * domain + H_1 * msg_0 + ... +
    H_9 * msg_8 + C + J_2 * signer_nym_entropy and the fixtures'
    FinalizeBlindSign with header_v1.
    """
    ciphersuite = get_ciphersuite(SUITE, backend)
    sk_scalar = _secret_key_scalar(sk)
    octets_to_pubkey(pk, ciphersuite=ciphersuite)
    entropy = secret_scalar(signer_nym_entropy, "signer_nym_entropy", allow_zero=False)
    if (
        len(commitment_with_proof) != COMMITMENT_LENGTH
        or commitment_message_count(commitment_with_proof) != COMMITTED_COUNT + NYM_COUNT
    ):
        raise DecodeError(f"a layout-1 commitment with proof is {COMMITMENT_LENGTH} octets")
    every_generator = generators(ciphersuite)
    signer = every_generator[: SIGNER_MESSAGE_COUNT + 1]
    blind = every_generator[SIGNER_MESSAGE_COUNT + 1 :]
    commitment = deserialize_and_validate_commit(
        commitment_with_proof, blind, API_ID, ciphersuite=ciphersuite
    )
    scalars = facts.scalars()
    return core_blind_sign(
        sk_scalar,
        pk,
        signer,
        blind,
        HEADER,
        scalars,
        commitment,
        API_ID,
        ciphersuite=ciphersuite,
        signer_blind_scalars={-1: entropy},
    )


def complete(
    pk: bytes,
    signature: bytes,
    facts: LayoutFacts,
    holder_secret: SecretBytes,
    prover_nym: SecretBytes,
    signer_nym_entropy: bytes,
    secret_prover_blind: SecretBytes,
    *,
    backend: Backend | None = None,
) -> SecretBytes:
    """The holder's steps 5 to 7: check the facts, complete the nym secret, verify.

    Returns nym_secret = prover_nym + signer_nym_entropy mod r. Raises
    :class:`PolicyError` for a fact out of range (step 5),
    :class:`DecodeError` for an entropy outside [1, r - 1] or a nym secret of
    0 (step 6), and :class:`~zkcheck.errors.InvalidSignature` unless the
    signature verifies over the holder's own header and type (step 7).
    """
    scalars = facts.scalars()
    entropy = secret_scalar(signer_nym_entropy, "signer_nym_entropy", allow_zero=False)
    if (secret_scalar(prover_nym, "prover_nym") + entropy) % R == 0:
        raise DecodeError("the nym secret is 0")
    (nym_secret,) = verify_finalize_with_nym_scalars(
        pk,
        signature,
        HEADER_PREFIX,
        scalars,
        [secret_scalar(holder_secret, "the holder secret")],
        [prover_nym],
        signer_nym_entropy,
        secret_prover_blind,
        suite=SUITE,
        api_id=API_ID,
        backend=backend,
    )
    return nym_secret
