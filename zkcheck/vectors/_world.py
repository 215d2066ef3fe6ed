"""The fixed world every vector file is generated in: one instant, one federation, one
operator with keys in every tier, one subscriber; and the seeded randomness.

Every secret here is derived from a public label, so anyone can recompute it:
these keys protect nothing and must never be used for anything but vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import gmpy2  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import rsa

from zkcheck.claims import Check, Menu, SubscriberFacts, SwapRecord
from zkcheck.encoding.cose import COSEKey, COSESigningKey, Curve
from zkcheck.encoding.messages import Presentation, Request
from zkcheck.encoding.token import issuer_label
from zkcheck.errors import ZkcheckError
from zkcheck.hazmat import credential
from zkcheck.hazmat.blind_rsa import public_key_to_spki
from zkcheck.hazmat.secret import SecretBytes
from zkcheck.roles import Policy, Verifier
from zkcheck.roles.credential_issuer import DEFAULT_CREDENTIAL_EPOCH
from zkcheck.roles.token_issuer import DEFAULT_EPOCHS
from zkcheck.trust.authority import Authority
from zkcheck.trust.clock import FixedClock
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.federation import TrustListDraft
from zkcheck.trust.keyset import OperatorEntry, key_id
from zkcheck.trust.nonces import MemoryNonceStore
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_list import SignedTrustList
from zkcheck.trust.trust_state import MemoryTrustState

__all__ = [
    "LIST_ISSUED",
    "NOW",
    "SEED_PREFIX",
    "SeededRng",
    "TokenIssuerKey",
    "World",
    "flip",
    "refusal",
    "request",
    "request_fields",
    "rsa_key",
    "rsa_numbers",
    "seed",
    "signing_key",
]

SEED_PREFIX = b"ZKCHECK-VECTORS-V1 "
"""Every seed is SHAKE-256 of this prefix and a label: the labels are in the files."""

NOW = int(datetime(2026, 3, 4, 10, 17, 23, tzinfo=UTC).timestamp())
"""The instant of every vector (a Wednesday, away from every grid boundary)."""

LIST_ISSUED = NOW - 3600
"""The trust list was signed an hour before the instant of the vectors."""

OPERATOR_ID = "operator.example"
TOKEN_DOMAIN = "tokens.operator.example"  # noqa: S105 (a domain name)
LIST_ID = "federation.example"
RSA_EXPONENT = 65537


def seed(label: str, size: int = 32) -> bytes:
    """The secret octets named ``label``: SHAKE-256(SEED_PREFIX || label), ``size`` octets."""
    return hashlib.shake_256(SEED_PREFIX + label.encode()).digest(size)


class SeededRng:
    """An ``rng`` for the hazmat functions that replays from a label, and records each draw.

    The i-th call (from 0) with ``n`` returns the first ``n`` octets of
    SHAKE-256(SEED_PREFIX || label || I2OSP(i, 8)). Known-answer generation only:
    production code never passes an ``rng``.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.draws: list[bytes] = []

    def __call__(self, size: int) -> bytes:
        counter = len(self.draws).to_bytes(8, "big")
        value = hashlib.shake_256(SEED_PREFIX + self.label.encode() + counter).digest(size)
        self.draws.append(value)
        return value

    def record(self) -> dict[str, Any]:
        """The label and every draw, for a file's trace."""
        return {"label": self.label, "draws": [draw.hex() for draw in self.draws]}


def signing_key(label: str) -> COSESigningKey:
    """An Ed25519 key from the seed ``label``, carrying its key id."""
    key = COSESigningKey.from_secret(Curve.ED25519, SecretBytes(seed(label)))
    return COSESigningKey(Curve.ED25519, key.secret, _with_kid(key.public_key))


def _with_kid(key: COSEKey) -> COSEKey:
    return COSEKey(key.curve, key.public, key_id(key))


def _prime(label: str, bits: int) -> int:
    """The first prime after the seed ``label`` read as an integer with its top two bits set
    (so a product of two has exactly 2 * bits bits) and p - 1 prime to 65537."""
    candidate = int.from_bytes(seed(label, bits // 8), "big") | (3 << (bits - 2))
    while True:
        candidate = int(gmpy2.next_prime(candidate))
        if (candidate - 1) % RSA_EXPONENT:
            return candidate


def rsa_key(label: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key from two seeded primes (see :func:`_prime`)."""
    p, q = _prime(label + " p", 1024), _prime(label + " q", 1024)
    d = pow(RSA_EXPONENT, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(RSA_EXPONENT, p * q),
    )
    return numbers.private_key()


def rsa_numbers(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The key's numbers as a file shows them (hexadecimal, big-endian)."""
    numbers = key.private_numbers()

    def big(value: int) -> str:
        return f"{value:x}"

    return {
        "n": big(numbers.public_numbers.n),
        "e": numbers.public_numbers.e,
        "d": big(numbers.d),
        "p": big(numbers.p),
        "q": big(numbers.q),
    }


@dataclass(frozen=True)
class TokenIssuerKey:
    """One token issuer key of the world: its check, private key and key-set entry."""

    check: Check
    label: str
    private_key: rsa.RSAPrivateKey
    entry: TokenKeyEntry


class World:
    """The federation, its one operator and the subscriber every vector is about."""

    operator_id = OPERATOR_ID
    now = NOW
    menu = Menu.default(("ES",))
    subscriber = SubscriberFacts(
        msisdn="+34600000001",
        birth_date=date(1990, 5, 17),
        sim=SwapRecord(latest_change=datetime(2025, 6, 1, 8, 30, tzinfo=UTC)),
        device=SwapRecord(latest_change=datetime(2024, 11, 20, 17, 5, tzinfo=UTC)),
        serving_country="ES",
        reachable=True,
        contract_start=date(2019, 9, 15),
        home_country="ES",
    )

    @cached_property
    def operator_key(self) -> COSESigningKey:
        """The operator's Ed25519 signing key (signed tier), from "operator signing key"."""
        return signing_key("operator signing key")

    @cached_property
    def authority(self) -> Authority:
        """The federation's authority: its current key and the next one it announces."""
        current = signing_key("federation authority key 1")
        upcoming = signing_key("federation authority key 2")
        return Authority(LIST_ID, current, upcoming)

    @cached_property
    def token_keys(self) -> tuple[TokenIssuerKey, ...]:
        """One token issuer key per token check, for the epoch of the world's instant."""
        made = []
        for check in (Check.age_over(18), Check.sim_swap(72)):
            length = DEFAULT_EPOCHS[check.fact_kind]
            epoch = NOW // length
            label = f"token key {check.identifier}"
            private_key = rsa_key(label)
            entry = TokenKeyEntry(
                f"{issuer_label(check)}.{TOKEN_DOMAIN}",
                check,
                epoch,
                epoch * length,
                (epoch + 1) * length,
                public_key_to_spki(private_key.public_key()),
            )
            made.append(TokenIssuerKey(check, label, private_key, entry))
        return tuple(made)

    def token_key(self, check: Check) -> TokenIssuerKey:
        """The token issuer key of ``check``."""
        return next(key for key in self.token_keys if key.check == check)

    @cached_property
    def credential_secret_key(self) -> tuple[SecretBytes, bytes]:
        """(SK, PK): KeyGen over the 32 octets of the seed "credential key"."""
        return credential.generate_key(lambda size: seed("credential key", size))

    @cached_property
    def credential_key(self) -> CredentialKeyEntry:
        """The key-set entry of the credential key, for the epoch of the world's instant."""
        epoch = NOW // DEFAULT_CREDENTIAL_EPOCH
        start = epoch * DEFAULT_CREDENTIAL_EPOCH
        _, pk = self.credential_secret_key
        return CredentialKeyEntry(epoch, start, start + DEFAULT_CREDENTIAL_EPOCH, pk)

    def entry(self) -> OperatorEntry:
        """What the operator hands the federation: its keys in every tier, its menu."""
        return (
            OperatorEntry.create(OPERATOR_ID, [self.operator_key.public_key], self.menu)
            .with_token_keys(key.entry for key in self.token_keys)
            .with_credential_keys([self.credential_key])
        )

    @cached_property
    def draft(self) -> TrustListDraft:
        """The federation's draft with the operator listed an hour before the instant."""
        return TrustListDraft(LIST_ID).add_operator(
            self.entry(),
            name="Example Mobile",
            countries=("ES",),
            networks=("214-01",),
            now=LIST_ISSUED,
        )

    @cached_property
    def trust_list(self) -> SignedTrustList:
        """The draft signed by the authority's current key."""
        return self.authority.sign(self.draft.operators, issued_at=LIST_ISSUED)

    def anchors(self) -> TrustListAnchors:
        """A relying party's copy of the list, pinned to the authority's first key."""
        anchors = TrustListAnchors(
            self.authority.pin(), clock=FixedClock(_instant(NOW)), state=MemoryTrustState()
        )
        anchors.load(self.trust_list.to_bytes())
        return anchors

    def verify(
        self, policy: Policy, request: Request, presentation: Presentation, number: str | None
    ) -> bytes:
        """The result record of the real verifier for ``presentation``, which answers the
        stored ``request`` at the world's instant; raises what the verifier raises."""
        nonces = MemoryNonceStore()
        nonces.register(request.nonce, request.to_bytes(), request.expires_at)
        verifier = Verifier(policy, self.anchors(), clock=FixedClock(_instant(NOW)), nonces=nonces)
        return verifier.verify(presentation, number=number).to_bytes()

    def negative(
        self,
        description: str,
        policy: Policy,
        made: Request,
        presentation: Presentation,
        number: str | None,
        *,
        error: type[ZkcheckError],
    ) -> dict[str, Any]:
        """A negative vector: the request, the presentation and the name of the error the
        real verifier raises for it, which must be ``error`` (the generator fails if the
        presentation verifies or is refused for another reason)."""
        return {
            "description": description,
            "request": made.to_bytes().hex(),
            "presentation": presentation.to_bytes().hex(),
            "error": refusal(
                description, error, lambda: self.verify(policy, made, presentation, number)
            ),
        }


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def request(
    nonce_label: str,
    verifier_id: str,
    checks: Iterable[Check],
    tiers: Iterable[str],
    *,
    max_age: int,
    pseudonym: bool = False,
) -> tuple[Request, SeededRng]:
    """A request made at the world's instant, lapsing five minutes later, whose 32-octet
    nonce is the first draw of the rng ``nonce_label``."""
    rng = SeededRng(nonce_label)
    made = Request(
        nonce=rng(32),
        verifier_id=verifier_id,
        checks=tuple(checks),
        tiers=tuple(tiers),
        operators=(),
        max_age=max_age,
        expires_at=NOW + 300,
        time=NOW,
        pseudonym=pseudonym,
    )
    return made, rng


def request_fields(made: Request) -> dict[str, Any]:
    """A request's fields as a file shows them, before its encoding."""
    fields: dict[str, Any] = {
        "nonce": made.nonce.hex(),
        "verifierId": made.verifier_id,
        "checks": [check.identifier for check in made.checks],
        "tiers": list(made.tiers),
        "maxAge": made.max_age,
        "expiresAt": made.expires_at,
        "time": made.time,
    }
    if made.pseudonym:
        fields["pseudonym"] = True
    return fields


def refusal(description: str, error: type[ZkcheckError], attempt: Callable[[], object]) -> str:
    """The name of ``error``, which ``attempt`` must raise: a negative vector states why it is
    refused, so a refusal for another reason (or none) is a bug of the generator."""
    try:
        attempt()
    except ZkcheckError as raised:
        if type(raised) is not error:
            raise AssertionError(
                f"a negative vector raised {type(raised).__name__}, not {error.__name__}: "
                f"{description}"
            ) from raised
        return error.__name__
    raise AssertionError(f"a negative vector was accepted: {description}")


def flip(data: bytes, index: int) -> bytes:
    """``data`` with the lowest bit of octet ``index`` flipped (a negative vector)."""
    changed = bytearray(data)
    changed[index] ^= 1
    return bytes(changed)
