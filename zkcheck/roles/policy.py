"""A verifier's policy: which checks it needs, from whom, how fresh."""

from __future__ import annotations

from dataclasses import dataclass

from zkcheck.claims import Check, sort_checks
from zkcheck.encoding.messages import MAX_CHECKS, MAX_OPERATORS, check_identifier

_MAX_SECONDS = 2**32
"""The most a request's max_age may be on the wire (spec/03); the other durations share the
bound, which keeps a request's expiry a NumericDate every holder decodes."""

__all__ = ["Policy"]


@dataclass(frozen=True)
class Policy:
    """What a relying party asks and accepts.

    ``required`` checks must all be shown; ``optional`` ones are asked and
    reported when shown. A holder whose operator offers an optional check
    shows it with the others or shows nothing (its absence would say that it
    fails), so it is left out only by holders of operators that do not offer it.
    ``operators`` are the operator ids accepted (each
    must be in the verifier's trust anchors); empty, the default, accepts
    every operator in good standing on the trust list, including those it
    lists later. ``max_age`` bounds the time
    since an attestation's issue time, in seconds; ``request_lifetime`` is how
    long a request stays answerable; ``result_bucket`` is the width of the
    issue-time bucket a result reports; ``clock_skew`` is how far in the
    future an issue time may lie before it is refused. ``pseudonym`` asks for
    the holder's pseudonym at this verifier (spec/13-pseudonyms.md), which
    only the ``credential`` tier gives; ``verifier_id`` is then the identity
    its holders authenticate it by, and the pseudonyms' context.
    """

    verifier_id: str
    required: tuple[Check, ...]
    operators: tuple[str, ...] = ()
    optional: tuple[Check, ...] = ()
    tiers: tuple[str, ...] = ("signed",)
    max_age: int = 3600
    request_lifetime: int = 300
    result_bucket: int = 3600
    clock_skew: int = 60
    pseudonym: bool = False

    def __post_init__(self) -> None:
        check_identifier(self.verifier_id, "the verifier id")
        for operator in self.operators:
            check_identifier(operator, "an operator id")
        if not self.tiers:
            raise ValueError("a policy accepts at least one tier")
        if len(set(self.operators)) > MAX_OPERATORS:
            raise ValueError(f"a request names at most {MAX_OPERATORS} operators")
        if not self.required and not self.optional:
            raise ValueError("a policy asks for at least one check")
        if set(self.required) & set(self.optional):
            raise ValueError("a check is either required or optional")
        if len(self.checks) > MAX_CHECKS:
            raise ValueError(f"a request asks at most {MAX_CHECKS} checks")
        for name in ("max_age", "request_lifetime", "result_bucket"):
            if not 1 <= getattr(self, name) <= _MAX_SECONDS:
                raise ValueError(f"{name} is a number of seconds in 1..{_MAX_SECONDS}")
        if self.clock_skew < 0:
            raise ValueError("clock_skew is not negative")

    @property
    def checks(self) -> tuple[Check, ...]:
        """Every check the verifier's requests ask, in wire order."""
        return sort_checks((*self.required, *self.optional))
