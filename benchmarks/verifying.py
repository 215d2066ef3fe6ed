"""What the verification benchmarks share: one presentation verified again and again."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from zkcheck.encoding.messages import Request
from zkcheck.roles import Verifier
from zkcheck.trust.nonces import MemoryNonceStore

__all__ = ["repeated_verification"]


def repeated_verification(
    verifier: Verifier,
    nonces: MemoryNonceStore,
    request: Request,
    presentation: bytes,
    *,
    number: str | None = None,
    spent: Iterable[bytes] = (),
) -> Callable[[], None]:
    """``verifier.verify(presentation)``, runnable any number of times.

    Before each run the request's single-use nonce, and the ``spent`` single-use
    values (token nonces), which the previous run consumed, are armed again in
    the memory store. This is a benchmark's repetition, not a replay: it reaches
    into the store's internals, which nothing outside the benchmarks may do.
    """
    record = request.to_bytes()
    values = tuple(spent)

    def verify() -> None:
        nonces._requests[request.nonce] = (record, request.expires_at, False)
        for value in values:
            nonces._spent.pop(value, None)
        verifier.verify(presentation, number=number)

    return verify
