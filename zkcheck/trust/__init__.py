"""What a verifier relies on: operator keys, the single-use nonce store, the clock.

* :mod:`zkcheck.trust.keyset`: the operators a verifier trusts, their keys and
  their menus of checks, read from a static key-set file (a signed trust list
  takes its place later, behind the same :class:`~zkcheck.trust.keyset.TrustAnchors`
  interface);
* :mod:`zkcheck.trust.token_keys`: the token tier's keys, one per check and
  epoch, as the key set carries them;
* :mod:`zkcheck.trust.nonces`: the atomic, single-use store of request nonces
  (and, for tiers that need it, other single-use values), in memory or SQLite;
* :mod:`zkcheck.trust.clock`: the injectable clock.
"""

__all__: list[str] = []
