"""Wire formats: deterministic CBOR, COSE and CWT, and zkcheck's versioned messages.

* :mod:`zkcheck.encoding.cbor`: RFC 8949 core deterministic encoding and the
  strict decoder every message goes through;
* :mod:`zkcheck.encoding.cose`: COSE_Sign1 with Ed25519 and P-256 keys
  (RFC 9052, RFC 9053, RFC 9864);
* :mod:`zkcheck.encoding.cwt`: CWT claim keys and time checks (RFC 8392);
* :mod:`zkcheck.encoding.messages`: request, presentation, issuance and result
  messages;
* :mod:`zkcheck.encoding.signed`: the signed tier's attestation and
  key-binding token;
* :mod:`zkcheck.encoding.token`: the token tier's challenges, redemption
  contexts and presentation body.

The formats are specified in spec/03-encoding.md, spec/04-signed-tier.md and
spec/07-token-tier.md, with CDDL in spec/cddl/zkcheck.cddl.
"""

__all__: list[str] = []
