"""The relying party's copy of the federation's trust list (spec/14-trust-list.md, "Verifier").

:class:`TrustListAnchors` pins the authority key, loads lists from bytes, a
file or a URL, verifies each as spec/14 numbers the steps, remembers what it
accepted in a :class:`~zkcheck.trust.trust_state.TrustStateStore`, and serves
the verifier's lookups (:class:`~zkcheck.trust.anchors.TrustAnchors`)::

    Federation                       Relying party (TrustListAnchors)
      sign list n  --- file / URL -->  verify against the pinned key (or the chain),
                                       freshness, sequence, digest, rules;
                                       persist; serve key lookups
                                       until next update: refresh; on failure keep
                                       list n until it expires, then refuse (Expired)

Errors of a refused list: :class:`DecodeError` (malformed, or breaking a rule
of the format), :class:`InvalidSignature` (tampered), :class:`UntrustedIssuer`
(signed by a key the pin does not lead to, or another federation's list),
:class:`Expired` (expired: a freeze; or issued in the future),
:class:`OutOfSequence` (rollback, equivocation, fast-forward),
:class:`PolicyError` (more concurrently valid keys than the privacy rule
allows). A refused list changes nothing: the list held stays in use.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zkcheck.encoding.cbor import decode, encode
from zkcheck.encoding.cose import HEADER_KID, COSEKey, Sign1
from zkcheck.errors import (
    DecodeError,
    Expired,
    InvalidSignature,
    OutOfSequence,
    UntrustedIssuer,
    ZkcheckError,
)
from zkcheck.trust.authority import AuthorityKey
from zkcheck.trust.clock import Clock, epoch_seconds
from zkcheck.trust.credential_keys import CredentialKeyEntry
from zkcheck.trust.keyset import key_id
from zkcheck.trust.listed_keys import SignedKey
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_list import (
    MAX_LIST_SIZE,
    MIN_LIST_INTERVAL,
    ListedOperator,
    SignedTrustList,
    TrustList,
    TrustListHead,
    decode_operators,
)
from zkcheck.trust.trust_state import MemoryTrustState, StoredTrust, TrustStateStore

__all__ = [
    "CLOCK_SKEW",
    "RETRY_AFTER",
    "FileSource",
    "ListSource",
    "TrustListAnchors",
    "UrlSource",
    "list_source",
]

CLOCK_SKEW = 300
"""How far in the future a list's issue time may lie (the two clocks differ)."""
RETRY_AFTER = 300
"""Seconds between two attempts to fetch a list that is due."""

ListSource = Callable[[], bytes | None]
"""Fetches the current list file; None when the source says it has not changed.

"Not changed" means: since the last answer the relying party accepted. A source
that revalidates (as :class:`UrlSource` does with ETags) may define
``accepted()``, which :meth:`TrustListAnchors.refresh` calls once the answer it
just returned has been accepted; until then it must keep returning the answer.
"""


class FileSource:
    """A list read from a file (for example one a deployment tool keeps up to date)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __call__(self) -> bytes:
        with self.path.open("rb") as file:
            data = file.read(MAX_LIST_SIZE + 1)
        if len(data) > MAX_LIST_SIZE:
            raise DecodeError("the trust list file is larger than any trust list")
        return data


class UrlSource:
    """A list fetched over HTTP(S) with urllib, revalidated with its ETag.

    A server that answers ``304 Not Modified`` to ``If-None-Match`` is
    asked nothing else; an answer larger than :data:`MAX_LIST_SIZE` is
    refused without being read further. The ETag sent is that of the last
    answer the relying party accepted (:meth:`accepted`), so a list refused
    once, for example while the relying party's clock was behind, is fetched
    and verified again at the next attempt.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("a trust list URL is http:// or https://")
        self.url = url
        self.timeout = timeout
        self._etag: str | None = None
        self._fetched_etag: str | None = None

    def accepted(self) -> None:
        """The answer last returned was accepted: revalidate against its ETag from now on."""
        self._etag = self._fetched_etag

    def __call__(self) -> bytes | None:
        # The scheme was checked when the source was made: http or https only.
        request = urllib.request.Request(self.url, headers={"Accept": "application/cbor"})  # noqa: S310
        if self._etag is not None:
            request.add_header("If-None-Match", self._etag)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data: bytes = response.read(MAX_LIST_SIZE + 1)
                etag = response.headers.get("ETag")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return None
            raise
        except (http.client.HTTPException, ValueError) as exc:
            # A broken answer (urllib raises ValueError for a malformed redirect
            # target): a failed fetch, like the OSErrors of the network.
            raise OSError(f"the trust list server answered badly: {exc!r}") from exc
        if len(data) > MAX_LIST_SIZE:
            raise DecodeError("the trust list is larger than any trust list")
        self._fetched_etag = etag
        return data


def list_source(location: str | Path) -> ListSource:
    """A source for ``location``: a URL for ``http://`` and ``https://``, else a file."""
    text = str(location)
    if text.startswith(("https://", "http://")):
        return UrlSource(text)
    return FileSource(location)


@dataclass(frozen=True)
class _Held:
    """The list in use: its verified content, its signer and what is stored of it."""

    trust_list: TrustList
    authority: COSEKey
    record: StoredTrust

    @property
    def head(self) -> TrustListHead:
        return self.trust_list.head


class TrustListAnchors:
    """A relying party's trust anchors: the federation's list, verified and kept fresh.

    ``authority`` is the pinned key. ``state`` keeps the highest list
    accepted across restarts (in memory unless given, e.g. a
    :class:`~zkcheck.trust.trust_state.SQLiteTrustState`); the list it holds
    is verified again when the object is built, and a state that does not
    verify is refused, never silently replaced. ``source`` fetches the list
    (a callable, a file path or a URL); lookups fetch it when the held
    list's next update has come, at most every ``retry_after`` seconds, and
    keep using the held list when that fails, until it expires.
    """

    def __init__(
        self,
        authority: AuthorityKey,
        *,
        clock: Clock,
        state: TrustStateStore | None = None,
        source: ListSource | str | Path | None = None,
        retry_after: int = RETRY_AFTER,
        clock_skew: int = CLOCK_SKEW,
    ) -> None:
        self.pin = authority
        self._clock = clock
        self._state: TrustStateStore = state if state is not None else MemoryTrustState()
        self._source = list_source(source) if isinstance(source, str | Path) else source
        self._retry_after = retry_after
        self._clock_skew = clock_skew
        self._lock = threading.RLock()
        self._next_attempt = 0
        self.last_error: ZkcheckError | OSError | None = None
        """Why the last refresh failed, if it did (the held list stays in use)."""
        self._held: _Held | None = None
        stored = self._state.load(authority.list_id)
        if stored is not None and stored.pinned != authority.kid:
            # The relying party pinned another authority key: what grew from the old
            # pin, sequence numbers included, no longer counts (spec/14, "Recovery").
            self._state.forget(authority.list_id)
            stored = None
        if stored is not None:
            self._held = _restore(stored)
            if self._held.head.list_id != authority.list_id:
                raise DecodeError("the stored trust list is another federation's")

    # -- loading -------------------------------------------------------------------

    def load(self, data: bytes, *, now: int | None = None) -> TrustList:
        """Verify a trust list file and, if it may replace the one held, accept and persist it.

        Returns the list now held (the same one when ``data`` is the held
        list again). Raises the errors of the module documentation; a refused
        list changes nothing.
        """
        instant = epoch_seconds(self._clock.now()) if now is None else now
        with self._lock:
            held = self._held
            accepted = self._verify(data, instant, held)
            if accepted is held:
                return accepted.trust_list
            self._state.advance(self.pin.list_id, accepted.record)
            self._held = accepted
            return accepted.trust_list

    def refresh(self, *, now: int | None = None) -> TrustList | None:
        """Fetch the list from the source and load it; the held list when unchanged.

        Raises what fetching (``OSError``) or loading raises; the held list
        stays in use.
        """
        if self._source is None:
            raise ValueError("this trust list has no source to refresh from")
        instant = epoch_seconds(self._clock.now()) if now is None else now
        with self._lock:
            self._next_attempt = instant + self._retry_after
            data = self._source()
            if data is None:
                return None if self._held is None else self._held.trust_list
            trust_list = self.load(data, now=instant)
            accepted = getattr(self._source, "accepted", None)
            if accepted is not None:
                accepted()
            return trust_list

    def current(self, now: int | None = None) -> TrustList:
        """The list in use at ``now``, refreshed first when due.

        A refresh that fails is recorded in :attr:`last_error` and the held
        list is used until it expires. :class:`Expired` once it has;
        :class:`UntrustedIssuer` when no list was ever accepted.
        """
        instant = epoch_seconds(self._clock.now()) if now is None else now
        held = self._held
        if (
            self._source is not None
            and (held is None or instant >= held.head.next_update)
            and instant >= self._next_attempt
        ):
            try:
                self.refresh(now=instant)
                self.last_error = None
            except (ZkcheckError, OSError) as exc:
                self.last_error = exc
            held = self._held
        if held is None:
            raise UntrustedIssuer("no trust list has been accepted")
        if instant >= held.head.expires_at:
            raise Expired("the trust list has expired and could not be refreshed")
        return held.trust_list

    def _verify(self, data: bytes, now: int, held: _Held | None) -> _Held:
        """Spec/14, "Verifying a list", steps 1 to 9."""
        # 1. The file decodes.
        bundle = SignedTrustList.from_bytes(data)
        # 2. Follow the chain from the key held (or the pin) to the head's signer.
        key = held.authority if held is not None else self.pin.key
        announced = held.head.next_authority if held is not None else None
        floor = held.head.sequence if held is not None else 0
        last = floor
        for link in bundle.chain:
            link_head = TrustListHead.from_bytes(link.payload)
            if link_head.sequence <= floor:
                continue  # a rollover this verifier already followed
            if link_head.sequence <= last:
                raise DecodeError("the chain is not in sequence order")
            if held is None and last == floor and _named_signer(link, key, announced) is None:
                # Nothing held and no link followed yet: a rollover before the pinned
                # key (a relying party pinned after it). Trust starts at the pin, so
                # such a link is passed over, not used.
                continue
            _verify_signer(link, key, announced)
            if link_head.list_id != self.pin.list_id:
                raise UntrustedIssuer("the chain belongs to another list")
            key, announced, last = link_head.next_authority, None, link_head.sequence
        # 3. The head is signed by that key, or by the key it announced.
        signer = _verify_signer(bundle.head, key, announced)
        head = bundle.head_fields()
        # 4. It is this federation's list, after the chain.
        if head.list_id != self.pin.list_id:
            raise UntrustedIssuer("another federation's trust list")
        if head.sequence <= last and last != floor:
            raise DecodeError("the chain reaches past the list")
        # 5. It is fresh: not expired (freeze), not issued in the future.
        if now >= head.expires_at:
            raise Expired("the trust list has expired")
        if head.issued_at > now + self._clock_skew:
            raise Expired("the trust list is issued in the future")
        # 6. It follows the list held: higher sequence number, not too far ahead.
        digest = hashlib.sha256(bundle.head.payload).digest()
        if held is not None:
            stored = held.record
            if head.sequence < stored.sequence:
                raise OutOfSequence("a list older than the one held (rollback)")
            if head.sequence == stored.sequence:
                if digest != stored.digest:
                    raise OutOfSequence("another list under a sequence number already held")
                _check_operators(bundle, head)
                return held
            ahead = head.sequence - stored.sequence
            if ahead * MIN_LIST_INTERVAL > head.issued_at - stored.issued_at:
                raise OutOfSequence("a sequence number further ahead than time allows")
        # 7. The operators are the ones the head signed.
        _check_operators(bundle, head)
        # 8. They decode and follow every rule, the key limit included.
        trust_list = TrustList(head, decode_operators(bundle.operators))
        # 9. Accept: what is stored, with the signer as the current authority key.
        record = StoredTrust(
            self.pin.kid, encode(signer.to_map()), head.sequence, digest, head.issued_at, data
        )
        return _Held(trust_list, signer, record)

    # -- TrustAnchors --------------------------------------------------------------

    def find_key(self, kid: bytes, now: int) -> tuple[ListedOperator, SignedKey]:
        return self.current(now).find(kid, SignedKey, now)

    def find_token_key(self, token_key_id: bytes, now: int) -> tuple[ListedOperator, TokenKeyEntry]:
        return self.current(now).find(token_key_id, TokenKeyEntry, now)

    def find_credential_key(
        self, key_id: bytes, now: int
    ) -> tuple[ListedOperator, CredentialKeyEntry]:
        return self.current(now).find(key_id, CredentialKeyEntry, now)

    def operator(self, operator_id: str) -> ListedOperator | None:
        found = self.current().operator(operator_id)
        return found if found is not None and found.active else None

    def operators(self) -> tuple[ListedOperator, ...]:
        return tuple(operator for operator in self.current().operators if operator.active)


def _named_signer(message: Sign1, key: COSEKey, announced: COSEKey | None) -> COSEKey | None:
    """The key among ``key`` and ``announced`` whose id the message names, if either."""
    kid = message.headers.get(HEADER_KID)
    if kid == key_id(key):
        return key
    if announced is not None and kid == key_id(announced):
        return announced
    return None


def _verify_signer(message: Sign1, key: COSEKey, announced: COSEKey | None) -> COSEKey:
    """The key among ``key`` and ``announced`` whose id the message names, after
    verifying the message with it."""
    signer = _named_signer(message, key, announced)
    if signer is None:
        raise UntrustedIssuer("the trust list is not signed by the federation's authority key")
    message.verify(signer)
    return signer


def _check_operators(bundle: SignedTrustList, head: TrustListHead) -> None:
    if hashlib.sha256(bundle.operators).digest() != head.operators_digest:
        raise InvalidSignature("the operators are not the ones the authority signed")


def _restore(stored: StoredTrust) -> _Held:
    """The held list rebuilt from what was stored; it must verify as it did."""
    authority = COSEKey.from_map(decode(stored.authority), allow_kid=True).validate()
    bundle = SignedTrustList.from_bytes(stored.bundle)
    _verify_signer(bundle.head, authority, None)
    head = bundle.head_fields()
    digest = hashlib.sha256(bundle.head.payload).digest()
    if head.sequence != stored.sequence or digest != stored.digest:
        raise DecodeError("the stored trust list does not match its record")
    _check_operators(bundle, head)
    return _Held(TrustList(head, decode_operators(bundle.operators)), authority, stored)
