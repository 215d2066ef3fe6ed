"""The demo's federation: the demo operator's kept keys, and the operators listed with it.

Every run of ``zkcheck demo`` lists the demo operator (``operator.example``)
with 46 generated operators in eleven countries
(:func:`~zkcheck.roles.demo_federation.demo_federation`), each with keys in
every tier, in a trust list signed by a fresh authority key. The relying
parties of every tier pin that key and name no operator; each case is
attested by another operator (:meth:`~zkcheck.roles.demo_federation.DemoFederation.for_case`).

The demo operator's secret keys are kept in the state directory from run to
run, so that the file commands can use them:

* ``operator.key`` (secret, 0600): its signing key;
* ``token-issuer.key`` (secret, 0600): its token keys, renewed when their
  epoch has ended;
* ``credential-issuer.key`` (secret, 0600): its BBS keys, renewed when their
  epoch has ended (keeping every key made, as ``keygen operator --force`` does);

and the public files are written at every run:

* ``operators.keyset``: what the demo operator hands the federation, its
  public keys in every tier and its menu;
* ``token-directories.cbor``: its issuer directories, for phones;
* ``federation.trust-list``: the federation's signed list;
* ``authority.pin``: the key relying parties and phones pin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from zkcheck.claims import Check, Menu
from zkcheck.cli.files import write_object, write_secret
from zkcheck.cli.scenarios import OPERATOR_ID, SCENARIOS
from zkcheck.errors import ZkcheckError
from zkcheck.roles import CredentialIssuerKeys, OperatorKey, Policy, TokenIssuerKeys
from zkcheck.roles.demo_federation import DemoFederation, demo_federation
from zkcheck.roles.verifier import tiers_serving
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.keyset import OperatorKeySet
from zkcheck.trust.trust_client import TrustListAnchors

__all__ = [
    "CREDENTIAL_KEY_FILE",
    "DIRECTORIES_FILE",
    "KEYSET_FILE",
    "OPERATOR_KEY_FILE",
    "PIN_FILE",
    "TOKEN_ISSUERS",
    "TOKEN_KEY_FILE",
    "TRUST_LIST_FILE",
    "DemoTrust",
    "load_federation",
    "token_carries",
]

OPERATOR_KEY_FILE = "operator.key"
TOKEN_KEY_FILE = "token-issuer.key"  # noqa: S105 (a file name)
CREDENTIAL_KEY_FILE = "credential-issuer.key"
KEYSET_FILE = "operators.keyset"
DIRECTORIES_FILE = "token-directories.cbor"
TRUST_LIST_FILE = "federation.trust-list"
PIN_FILE = "authority.pin"
TOKEN_ISSUERS = 4
"""Operators of the demo federation that issue tokens (one per token case): RSA keys
are slow to make, and an operator need not issue tokens at all."""

_Key = TypeVar("_Key")


def token_carries(verifier_id: str, check: Check) -> bool:
    """Whether a verifier may ask ``check`` in the token tier, by the role layer's rules."""
    return bool(tiers_serving(Policy(verifier_id, (check,), tiers=("token",))))


@dataclass(frozen=True)
class DemoTrust:
    """The federation a demo run uses, the relying parties' copy of its list, and how
    the demo operator's kept keys were had (created, reused, recreated)."""

    federation: DemoFederation
    trust: TrustListAnchors
    signed_key: str | None
    """``None`` when the signed tier does not run (its key is then drawn for the run)."""
    token_keys: str | None
    """``None`` when the token tier does not run."""
    credential_keys: str | None = None
    """``None`` when the credential tier does not run (its keys are then drawn for the run)."""

    @property
    def description(self) -> str:
        federation = self.federation
        countries = len({operator.country for operator in federation.operators})
        return (
            f"a federation of {len(federation.operators)} operators in {countries} countries, "
            f"{OPERATOR_ID} among them, each with keys in every tier, drawn for this run "
            f"and signed into {TRUST_LIST_FILE}; the relying parties pin its authority key "
            f"({PIN_FILE}), name no operator, and each case is attested by another operator"
        )


def _kept(path: Path, fresh: bool, read: Callable[[bytes], _Key]) -> tuple[_Key | None, str]:
    """The key file at ``path`` if it is kept and readable, and how it was had."""
    if not path.exists() or fresh:
        return None, "created"
    try:
        return read(path.read_bytes()), "reused"
    except (OSError, ZkcheckError):
        return None, "recreated (the old file was unreadable)"


def load_federation(
    state: Path,
    clock: Clock,
    *,
    fresh: bool,
    signed: bool,
    tokens: bool,
    credentials: bool = False,
) -> DemoTrust:
    """The demo operator's kept keys (made anew when missing, unreadable or ``fresh``),
    the federation listed around them, and the public files of this run.

    ``signed``, ``tokens`` and ``credentials``: whether the signed, token and credential
    tiers run. A tier that does not run keeps no key file of the demo operator: its keys
    are drawn for the run (the signed and credential tiers') or not at all (nobody
    issues tokens).
    """
    now = epoch_seconds(clock.now())
    key: OperatorKey | None = None
    signed_how: str | None = None
    if signed:
        key, signed_how = _kept(state / OPERATOR_KEY_FILE, fresh, OperatorKey.from_bytes)
    if key is None or key.operator_id != OPERATOR_ID:
        key = OperatorKey.generate(OPERATOR_ID)
        if signed:
            write_secret(str(state / OPERATOR_KEY_FILE), key.to_bytes(), replace=True)
    token_keys: TokenIssuerKeys | None = None
    token_how: str | None = None
    token_checks = tuple(s.check for s in SCENARIOS if token_carries(s.verifier_id, s.check))
    if tokens:
        token_keys, how = _kept(state / TOKEN_KEY_FILE, fresh, TokenIssuerKeys.from_bytes)
        menu = Menu(frozenset(token_checks))
        if token_keys is None or token_keys.operator_id != OPERATOR_ID or token_keys.menu != menu:
            token_keys = TokenIssuerKeys(
                OPERATOR_ID, domain=f"tokens.{OPERATOR_ID}", now=now, menu=menu
            )
            write_secret(str(state / TOKEN_KEY_FILE), token_keys.to_bytes(), replace=True)
        elif token_keys.rotate(now):
            how += ", renewed for the current epochs"
            write_secret(str(state / TOKEN_KEY_FILE), token_keys.to_bytes(), replace=True)
        write_object(str(state / DIRECTORIES_FILE), token_keys.directories(now).to_bytes())
        token_how = how
    credential_keys: CredentialIssuerKeys | None = None
    credential_how: str | None = None
    if credentials:
        path = state / CREDENTIAL_KEY_FILE
        credential_keys, how = _kept(path, fresh, CredentialIssuerKeys.from_bytes)
        if credential_keys is None or credential_keys.operator_id != OPERATOR_ID:
            credential_keys = CredentialIssuerKeys(OPERATOR_ID, now=now)
            write_secret(str(path), credential_keys.to_bytes(), replace=True)
        elif credential_keys.rotate(now):
            how += ", renewed for the current epochs"
            write_secret(str(path), credential_keys.to_bytes(), replace=True)
        credential_how = how
    federation = demo_federation(
        now=now,
        first=key,
        first_tokens=token_keys,
        first_credentials=credential_keys,
        token_checks=token_checks,
        token_issuers=TOKEN_ISSUERS if tokens else 0,
    )
    demo_operator = federation.operator(OPERATOR_ID)
    write_object(str(state / KEYSET_FILE), OperatorKeySet((demo_operator.entry(),)).to_bytes())
    listed = federation.trust_list.to_bytes()
    write_object(str(state / TRUST_LIST_FILE), listed)
    write_object(str(state / PIN_FILE), federation.pin().to_bytes())
    trust = TrustListAnchors(federation.pin(), clock=clock)
    trust.load(listed)
    return DemoTrust(federation, trust, signed_how, token_how, credential_how)
