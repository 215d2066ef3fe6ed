"""Blind BBS and pseudonyms on the pure-Python reference backend, once.

Commit (mocked randomness), blind signing, proof generation (mocked
randomness) and the pseudonym must give the same bytes on py_ecc as on
arkworks. Signature and proof verification (pairings, about a second each on
py_ecc) are covered for plain BBS by tests/test_bbs_cross_backend.py and are
not repeated here. One committed message, one signer message, two nym secrets.
"""

from __future__ import annotations

from zkcheck import testing
from zkcheck.hazmat import bbs, bbs_pseudonym, blind_bbs
from zkcheck.hazmat.backend import get_backend

MESSAGES = [b"age_over:18"]
COMMITTED = [b"holder secret"]


def test_backends_agree_on_blind_issuance_proofs_and_pseudonyms() -> None:
    sk = bbs.key_gen(b"blind cross-backend key material, 32+ bytes")
    nyms = [(7).to_bytes(32, "big"), (11).to_bytes(32, "big")]
    entropy = (13).to_bytes(32, "big")
    outputs = {}
    for name in ("arkworks", "py_ecc"):
        backend = get_backend(name)
        pk = bbs.sk_to_pk(sk, backend=backend)
        commitment, blind = blind_bbs.commit(COMMITTED, rng=testing.mocked_rng(3), backend=backend)
        signature = blind_bbs.blind_sign(sk, pk, commitment, b"h", MESSAGES, backend=backend)
        proof = blind_bbs.proof_gen(
            pk,
            signature,
            b"h",
            b"ph",
            MESSAGES,
            COMMITTED,
            [0],
            [],
            blind,
            rng=testing.mocked_rng(7),
            backend=backend,
        )
        nym_commitment, _ = bbs_pseudonym.commit_with_nym(
            [], nyms, rng=testing.mocked_rng(4), backend=backend
        )
        nym_signature = bbs_pseudonym.blind_sign_with_nym(
            sk, pk, nym_commitment, 2, entropy, b"h", MESSAGES, backend=backend
        )
        pseudonym = bbs_pseudonym.calculate_pseudonym(b"verifier", nyms, backend=backend)
        outputs[name] = (commitment, blind.reveal(), signature, proof, nym_signature, pseudonym)
    assert outputs["arkworks"] == outputs["py_ecc"]
