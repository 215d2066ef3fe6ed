"""What a verifier relies on: the federation's trust list, the single-use nonce store, the clock.

* :mod:`zkcheck.trust.trust_list`: the signed trust list (spec/14-trust-list.md):
  operators with their countries, networks, status, menus and keys, and its
  rules, the key limit among them; :mod:`zkcheck.trust.listed_keys` its key
  entries, one type per tier, with the tiers' key material in
  :mod:`zkcheck.trust.token_keys` and :mod:`zkcheck.trust.credential_keys`;
* :mod:`zkcheck.trust.authority`: the federation's authority key, what relying
  parties pin, and signing; :mod:`zkcheck.trust.federation`: the federation's
  draft (adding operators, rotation, revocation);
* :mod:`zkcheck.trust.trust_client`: the relying party's copy of the list
  (:class:`~zkcheck.trust.trust_client.TrustListAnchors`, which implements the
  :class:`~zkcheck.trust.anchors.TrustAnchors` interface verifiers use), loaded
  from bytes, a file or a URL, kept in :mod:`zkcheck.trust.trust_state`;
* :mod:`zkcheck.trust.keyset`: an operator's public keys and menu as it hands
  them to the federation;
* :mod:`zkcheck.trust.nonces`: the atomic, single-use store of request nonces
  (and, for tiers that need it, other single-use values), in memory or SQLite;
* :mod:`zkcheck.trust.clock`: the injectable clock.
"""

__all__: list[str] = []
