"""The trust list: key resolution, loading and checking a list, memory per key.

A federation of 47 operators with 10 keys each (470 keys): per operator, six
signed-tier Ed25519 keys in a rotation history (each overlapping only its
neighbours), two token keys (``sim_swap:72``, two consecutive hourly epochs)
and two credential keys (BBS, two consecutive weekly epochs, each accepted until
15 days after its epoch).

* **Key resolution.** A signed-tier presentation is verified through
  ``Verifier.verify`` with its operator key resolved in the list (the
  relying party's :class:`~zkcheck.trust.trust_client.TrustListAnchors`:
  freshness of the list, the index, the key's tier, revocation, operator
  standing and validity), against the same verification whose trust anchors
  hand over the already decoded key without any lookup. Bound: 1.05 (resolving
  adds at most 5 %). Both sides verify the same presentation through the same
  verifier, whose trust anchors either resolve the key or return it; 31 rounds,
  as the machine is shared. The lookup alone is also timed against one Ed25519
  verification.
* **Loading and checking the list.** ``TrustListAnchors.load`` of the signed
  list (decoding, the head's signature, the digest, every key decoded and
  checked: Ed25519 points, RSA SPKIs, BBS G2 points with their subgroup check,
  and every rule, the key limit included) into a fresh relying party, against
  zkcheck's strict CBOR decoding of the same bytes. The BBS public-key cache
  is emptied before each load, so every load decodes every key.
* **Memory per key.** The Python heap a loaded list holds (``tracemalloc``),
  and the process's resident memory growth over ten loaded copies (which also
  counts OpenSSL's RSA keys and the curve library's points), each divided by
  the number of keys. Bound: 16 KiB per key for either; every entry has a
  fixed shape, so the memory per key does not grow with the list.
"""

from __future__ import annotations

import gc
import os
import secrets
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime

import nacl.signing

from benchmarks.harness import Session
from benchmarks.verifying import repeated_verification
from zkcheck.claims import Check, Menu
from zkcheck.encoding.cbor import decode
from zkcheck.encoding.cose import COSESigningKey
from zkcheck.encoding.signed import decode_presentation_body
from zkcheck.hazmat import bbs
from zkcheck.hazmat.blind_rsa import generate_private_key, public_key_to_spki
from zkcheck.hazmat.credential import SUITE
from zkcheck.roles import Holder, Issuer, Policy, Verifier
from zkcheck.sources import DEMO_SUBSCRIBERS, MemorySubscriberSource, demo_subscribers
from zkcheck.trust.authority import Authority
from zkcheck.trust.clock import FixedClock, epoch_seconds
from zkcheck.trust.credential_keys import CREDENTIAL_LIFETIME, CredentialKeyEntry
from zkcheck.trust.keyset import key_id
from zkcheck.trust.listed_keys import ListedKey, SignedKey
from zkcheck.trust.nonces import MemoryNonceStore
from zkcheck.trust.token_keys import TokenKeyEntry
from zkcheck.trust.trust_client import TrustListAnchors
from zkcheck.trust.trust_list import ListedOperator, SignedTrustList

__all__ = ["run"]

Op = Callable[[], object]
OPERATORS = 47
KEYS_PER_OPERATOR = 10
RESOLUTION_BOUND = 1.05
MEMORY_BOUND = 16 * 1024
SWAP = Check.sim_swap(72)
DAY, HOUR, WEEK = 86_400, 3_600, 7 * 86_400


def _token_keys(operator: int, now: int) -> list[ListedKey]:
    name = f"sim-swap-72.tokens.op-{operator:02d}.example"
    epoch = now // HOUR
    keys: list[TokenKeyEntry] = []
    while len(keys) < 2:
        spki = public_key_to_spki(generate_private_key().public_key())
        start = (epoch + len(keys)) * HOUR
        entry = TokenKeyEntry(name, SWAP, epoch + len(keys), start, start + HOUR, spki)
        # Truncated key ids stay distinct under one issuer name (RFC 9578 section 6.5).
        if all(key.token_key.truncated_token_key_id != entry.token_key.truncated_token_key_id
               for key in keys):  # fmt: skip
            keys.append(entry)
    return [ListedKey.of(key) for key in keys]


def _credential_keys(now: int) -> list[ListedKey]:
    epoch = now // WEEK
    keys = []
    for offset in range(2):
        public = bbs.sk_to_pk(bbs.key_gen(secrets.token_bytes(32), b"", b""))
        start = (epoch + offset) * WEEK
        entry = CredentialKeyEntry(epoch + offset, start, start + WEEK, public)
        # Accepted until the last credential it signs has expired: 15 days after its epoch.
        keys.append(ListedKey.of(entry, not_after=entry.not_after + CREDENTIAL_LIFETIME))
    return keys


def _federation(now: int, measured: COSESigningKey) -> tuple[Authority, SignedTrustList]:
    """47 operators of 10 keys; the last operator's newest signed key is ``measured``."""
    operators = []
    for number in range(OPERATORS):
        signed_keys = [COSESigningKey.generate().public_key for _ in range(5)]
        if number == OPERATORS - 1:
            signed_keys.append(measured.public_key)
        else:
            signed_keys.append(COSESigningKey.generate().public_key)
        # A rotation history: each key valid 45 days, the next one starting 30 days later,
        # so at any instant at most two overlap; the last two are valid now.
        starts = [now - (5 - index) * 30 * DAY for index in range(len(signed_keys))]
        history = [
            ListedKey.signed(key, start, start + 45 * DAY)
            for key, start in zip(signed_keys, starts, strict=True)
        ]
        keys = [*history, *_token_keys(number, now), *_credential_keys(now)]
        assert len(keys) == KEYS_PER_OPERATOR
        operators.append(
            ListedOperator.create(
                f"op-{number:02d}.example",
                f"Operator {number}",
                ["ES"],
                [f"214-{number:02d}"],
                Menu(Menu.default().checks | {SWAP}),
                keys,
            )
        )
    authority = Authority.generate("federation.example")
    return authority, authority.sign(operators, issued_at=now)


class _Anchors:
    """Trust anchors that either resolve a key id in the list, or hand over one key found
    once beforehand without looking anything up (the floor): one object, so both sides
    verify the same presentation through the same verifier."""

    def __init__(self, anchors: TrustListAnchors, kid: bytes, now: int) -> None:
        self.resolving = True
        self._anchors = anchors
        self._found = anchors.find_key(kid, now)

    def find_key(self, kid: bytes, now: int) -> tuple[ListedOperator, SignedKey]:
        if self.resolving:
            return self._anchors.find_key(kid, now)
        return self._found

    def find_token_key(self, token_key_id: bytes, now: int) -> tuple[ListedOperator, TokenKeyEntry]:
        return self._anchors.find_token_key(token_key_id, now)

    def find_credential_key(
        self, key_id: bytes, now: int
    ) -> tuple[ListedOperator, CredentialKeyEntry]:
        return self._anchors.find_credential_key(key_id, now)

    def operator(self, operator_id: str) -> ListedOperator | None:
        return self._anchors.operator(operator_id)

    def operators(self) -> tuple[ListedOperator, ...]:
        return self._anchors.operators()


def _verifications(anchors: TrustListAnchors, holder: Holder, clock: FixedClock) -> tuple[Op, Op]:
    """(verify resolving the key in the list, verify with the key already decoded)."""
    nonces = MemoryNonceStore()
    policy = Policy("bank.example", (SWAP,), max_age=3600)
    kid = decode_presentation_body(
        holder.present(Verifier(policy, anchors, clock=clock).create_request()).body
    ).kid
    switch = _Anchors(anchors, kid, epoch_seconds(clock.now()))
    verifier = Verifier(policy, switch, clock=clock, nonces=nonces)
    request = verifier.create_request()
    presentation = holder.present(request).to_bytes()
    verify = repeated_verification(verifier, nonces, request, presentation)

    def resolved() -> None:
        switch.resolving = True
        verify()

    def decoded() -> None:
        switch.resolving = False
        verify()

    resolved()  # the setup itself must verify
    decoded()
    return resolved, decoded


def _resident_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _memory_per_key(data: bytes, authority: Authority, clock: FixedClock) -> tuple[float, float]:
    """(Python heap per key of one loaded list, resident growth per key over ten)."""
    keys = OPERATORS * KEYS_PER_OPERATOR
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = TrustListAnchors(authority.pin(), clock=clock)
    held.load(data)
    gc.collect()
    heap = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del held
    gc.collect()
    resident = _resident_bytes()
    copies = []
    for _ in range(10):
        bbs.get_ciphersuite(SUITE)._pubkeys.clear()  # each copy decodes its own points
        copy = TrustListAnchors(authority.pin(), clock=clock)
        copy.load(data)
        copies.append(copy)
    gc.collect()
    grown = _resident_bytes() - resident
    return heap / keys, grown / (10 * keys)


def run(session: Session) -> None:
    clock = FixedClock(datetime(2026, 3, 10, 12, 34, tzinfo=UTC))
    now = epoch_seconds(clock.now())
    source = MemorySubscriberSource(demo_subscribers(clock.now()))
    signing = COSESigningKey.generate()
    issuer = Issuer(f"op-{OPERATORS - 1:02d}.example", signing, source, clock=clock,
                    menu=Menu(Menu.default().checks | {SWAP}))  # fmt: skip
    authority, signed = _federation(now, signing)
    data = signed.to_bytes()
    anchors = TrustListAnchors(authority.pin(), clock=clock)
    anchors.load(data)
    assert sum(1 for _ in anchors.current().listed_keys()) == OPERATORS * KEYS_PER_OPERATOR

    phone = Holder(clock=clock)
    phone.receive(issuer.issue(DEMO_SUBSCRIBERS["adult"], phone.request_attestations([SWAP], 2)))
    resolved, decoded = _verifications(anchors, phone, clock)
    kid = key_id(signing.public_key)
    session.measure(
        "verify signed presentation, key from the list",
        resolved,
        floor=decoded,
        floor_name="same, key already decoded",
        bound=RESOLUTION_BOUND,
        rounds=31,
        note=f"{OPERATORS} operators x {KEYS_PER_OPERATOR} keys",
    )

    raw_key = nacl.signing.VerifyKey(signing.public_key.public)
    message, signature = b"m" * 64, signing.sign(b"m" * 64)
    session.measure(
        "  resolve a key id alone",
        lambda: anchors.find_key(kid, now),
        floor=lambda: raw_key.verify(message, signature),
        floor_name="pynacl Ed25519 verify",
    )

    def load() -> None:
        bbs.get_ciphersuite(SUITE)._pubkeys.clear()  # decode every BBS key again
        TrustListAnchors(authority.pin(), clock=clock).load(data)

    session.measure(
        f"load and check the list ({len(data) // 1024} KiB, 470 keys)",
        load,
        floor=lambda: decode(data, max_size=len(data)),
        floor_name="strict CBOR decode of it",
        rounds=5,
        min_batch_s=0.0,
    )

    heap, resident = _memory_per_key(data, authority, clock)
    for what, value in (("Python heap", heap), ("resident memory", resident)):
        status = "ok" if value <= MEMORY_BOUND else "OVER BOUND"
        print(
            f"  memory per key, {what:<16} {value / 1024:8.2f} KiB"
            f"  (bound {MEMORY_BOUND // 1024} KiB: {status})"
        )
