"""The error hierarchy: one root, the verifier's policy decisions as one family."""

import pickle

import pytest

from zkcheck import errors
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidProof,
    InvalidSignature,
    NotRequested,
    OutOfSequence,
    PolicyError,
    Replayed,
    UntrustedIssuer,
    WrongVerifier,
    ZkcheckError,
)

POLICY = [Expired, Replayed, UntrustedIssuer, WrongVerifier, NotRequested, OutOfSequence]


def test_every_public_error_is_exported_and_rooted() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, ZkcheckError), name
    assert set(errors.__all__) >= {"DecodeError", "InvalidSignature", "InvalidProof", "PolicyError"}


@pytest.mark.parametrize("cls", POLICY)
def test_policy_family(cls: type[ZkcheckError]) -> None:
    assert issubclass(cls, PolicyError)
    assert not issubclass(cls, (DecodeError, InvalidSignature, InvalidProof))


def test_failure_kinds_are_distinct() -> None:
    kinds = [DecodeError, InvalidSignature, InvalidProof, PolicyError]
    for a in kinds:
        for b in kinds:
            assert issubclass(a, b) == (a is b)


def test_errors_are_not_foreign_exceptions() -> None:
    # Callers catch ZkcheckError for attacker input; a ValueError subclass
    # would make "except ValueError" in calling code swallow verdicts.
    assert not issubclass(ZkcheckError, ValueError)
    with pytest.raises(ZkcheckError):
        raise Replayed("nonce already used")


def test_errors_survive_pickling_with_their_type() -> None:
    error = pickle.loads(pickle.dumps(UntrustedIssuer("unknown key")))
    assert type(error) is UntrustedIssuer and str(error) == "unknown key"
