"""Every message zkcheck produces validates against spec/cddl/zkcheck.cddl (pycddl).

Two pycddl 0.6 behaviours are worked around. Its ``.regexp`` searches rather
than matching the whole string, so the test anchors each expression. And it
applies a ``.cbor`` control on an array member to the other
members of the array as well (a COSE_Sign1 ``[bstr .cbor header, {}, ...]``
is refused because ``{}`` is not a byte string). The test therefore validates
with those array-member controls relaxed to ``bstr`` and then validates each
embedded encoding (protected header, claims, the key-binding token in a
presentation) against its own rule, so every byte is still checked.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
import pycddl
import pytest

from tests.attest_world import ADULT, make_world
from tests.credential_world import ALICE, MAX_AGE, OPERATOR, make_credential_world
from tests.token_world import AGE, AGE_MAX_AGE, SWAP, make_token_world
from zkcheck.claims import Check
from zkcheck.cli.files import from_json, to_json
from zkcheck.encoding.cbor import Tag, decode, encode
from zkcheck.encoding.cose import Curve
from zkcheck.encoding.messages import Presentation, decode_message
from zkcheck.encoding.token_messages import TokenChallengeHeader
from zkcheck.errors import DecodeError
from zkcheck.roles import CredentialIssuerKeys, OperatorKey, Policy, Verifier
from zkcheck.sources import DEMO_SUBSCRIBERS
from zkcheck.trust.authority import Authority
from zkcheck.trust.clock import epoch_seconds
from zkcheck.trust.keyset import OperatorKeySet

SPEC = Path(__file__).resolve().parent.parent / "spec"
CDDL = (SPEC / "cddl" / "zkcheck.cddl").read_text()
VECTORS = SPEC / "vectors"
# RFC 8610 (section 3.8.3) regular expressions are XSD ones, implicitly
# anchored; pycddl searches instead, so the test anchors them explicitly.
RELAXED = re.sub(r'\.regexp "([^"]*)"', r'.regexp "^(\1)$"', CDDL)
RELAXED = re.sub(r"bstr \.cbor [a-z-]+", "bstr", RELAXED)
EMBEDDED = {
    # rule -> (index in the COSE array, rule of the embedded encoding)
    "attestation": {0: "attestation-protected", 2: "attestation-claims"},
    "key-binding-token": {0: "key-binding-protected", 2: "key-binding-claims"},
    "signed-head": {0: "trust-list-protected", 2: "trust-list-head"},
}


@cache
def _schema(rule: str) -> pycddl.Schema:
    return pycddl.Schema(f"root = {rule}\n{RELAXED}")


def _validate(rule: str, data: bytes) -> None:
    _schema(rule).validate_cbor(data)
    value = decode(data, tags=frozenset({18}))
    for sign1 in _sign1s(value):
        _validate_sign1(sign1)


def _sign1s(value: Any) -> list[list[Any]]:
    """Every COSE_Sign1 inside a decoded value, outermost first."""
    if isinstance(value, Tag):
        return [value.value, *_sign1s(value.value)] if value.tag == 18 else []
    if isinstance(value, list):
        return [found for item in value for found in _sign1s(item)]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _sign1s(item)]
    return []


def _validate_sign1(sign1: list[Any]) -> None:
    protected = decode(sign1[0], tags=frozenset({18}))
    kind = "key-binding-token" if 13 in protected else "attestation"
    if protected.get(16) == "application/zkcheck-trust-list+cbor":
        kind = "signed-head"
    for index, rule in EMBEDDED[kind].items():
        _validate(rule, sign1[index])


def _messages(holder_curve: Curve, operator_curve: Curve) -> dict[str, list[bytes]]:
    world = make_world(operator_curve=operator_curve)
    holder = world.holder(holder_curve)
    issuance_request = holder.request_attestations([Check.age_over(18), Check.number()], 2)
    issuance_response = world.issuer.issue(ADULT, issuance_request)
    holder.receive(issuance_response)
    verifier = world.verifier((Check.age_over(18), Check.number()), max_age=8 * 86400)
    request = verifier.create_request()
    presentation = holder.present(request)
    result = verifier.verify(presentation, number=ADULT)
    return {
        "request": [request.to_bytes()],
        "presentation": [presentation.to_bytes()],
        "key-binding-token": [presentation.body],
        "issuance-request": [issuance_request.to_bytes()],
        "issuance-response": [issuance_response.to_bytes()],
        "attestation": [
            encode(issued.attestation.to_item()) for issued in issuance_response.attestations
        ],
        "result": [result.to_bytes()],
        "operator-keyset": [world.issuer.keyset().to_bytes()],
    }


@pytest.mark.parametrize(
    ("holder_curve", "operator_curve"),
    [(Curve.ED25519, Curve.ED25519), (Curve.P256, Curve.P256), (Curve.P256, Curve.ED25519)],
)
def test_every_message_validates(holder_curve: Curve, operator_curve: Curve) -> None:
    for rule, encodings in _messages(holder_curve, operator_curve).items():
        for data in encodings:
            _validate(rule, data)
            if rule not in EMBEDDED:
                _validate("message", data)


def test_credential_messages_validate() -> None:
    world = make_credential_world()
    holder = world.holder()
    request = holder.request_credential(OPERATOR)
    response = world.issuer.issue(world.attester.enrol(ALICE), request)
    holder.receive(OPERATOR, response)
    verifier = world.verifier()
    presentation = holder.present(verifier.create_request())
    for rule, data in (
        ("credential-request", request.to_bytes()),
        ("credential-response", response.to_bytes()),
        ("presentation", presentation.to_bytes()),
        ("credential-evidence", presentation.body),
        ("operator-keyset", world.keyset.to_bytes()),
        ("result", verifier.verify(presentation, number=ALICE).to_bytes()),
    ):
        _validate(rule, data)
        if rule != "credential-evidence":
            _validate("message", data)
    for index, value in ((6, 34600000101), (6, "34600000101"), (7, "es"), (0, -1)):
        fields = decode(response.to_bytes())
        fields[6][index] = value
        with pytest.raises(pycddl.ValidationError):
            _validate("credential-response", encode(fields))


def test_pseudonym_messages_validate() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    renewal = holder.request_credential(OPERATOR)
    holder.receive(OPERATOR, world.issuer.issue(world.attester.enrol(ALICE), renewal))
    policy = Policy(
        "social.example",
        (Check.number(),),
        (OPERATOR,),
        tiers=("credential",),
        max_age=MAX_AGE,
        pseudonym=True,
    )
    verifier = Verifier(policy, world.trust, clock=world.clock)
    request = verifier.create_request()
    presentation = holder.present(request, origin="social.example")
    result = verifier.verify(presentation, number=ALICE)
    for rule, data in (
        ("credential-request", renewal.to_bytes()),
        ("request", request.to_bytes()),
        ("presentation", presentation.to_bytes()),
        ("credential-evidence", presentation.body),
        ("result", result.to_bytes()),
    ):
        _validate(rule, data)
    for rule, data, key, value in (
        ("request", request.to_bytes(), 10, False),
        ("credential-evidence", presentation.body, 6, bytes(47)),
        ("credential-evidence", presentation.body, 7, 1),
        ("result", result.to_bytes(), 7, bytes(49)),
        ("credential-request", renewal.to_bytes(), 4, {1: bytes(16)}),
    ):
        fields = decode(data)
        fields[key] = value
        with pytest.raises(pycddl.ValidationError):
            _validate(rule, encode(fields))


def test_the_schema_can_fail() -> None:
    messages = _messages(Curve.ED25519, Curve.ED25519)
    request = decode(messages["request"][0])
    request[4] = ["age_over:018"]
    with pytest.raises(pycddl.ValidationError):
        _validate("request", encode(request))
    presentation = Presentation.from_bytes(messages["presentation"][0])
    token = decode(presentation.body, tags=frozenset({18}))
    protected = decode(token.value[0], tags=frozenset({18}))
    protected[1] = -35  # ES384: not an algorithm zkcheck accepts
    token.value[0] = encode(protected)
    with pytest.raises(pycddl.ValidationError):
        _validate("key-binding-token", encode(token))
    with pytest.raises(pycddl.ValidationError):
        _validate("result", messages["request"][0])


def test_pycddl_limitation_the_relaxation_works_around() -> None:
    # If this starts passing, pycddl handles .cbor in arrays and RELAXED can go.
    data = _messages(Curve.ED25519, Curve.ED25519)["attestation"][0]
    with pytest.raises(pycddl.ValidationError):
        pycddl.Schema(f"root = attestation\n{CDDL}").validate_cbor(data)


def test_token_tier_messages_validate() -> None:
    world = make_token_world()
    keyset = world.keyset()
    site = world.verifier((AGE, SWAP), verifier_id="bank.example", max_age=AGE_MAX_AGE)
    phone = world.holder()
    request = site.create_request()
    world.fetch(phone, request, site.token_challenge_header(request))
    presentation = phone.present(request)
    _validate("operator-keyset", keyset.to_bytes())
    _validate("message", keyset.to_bytes())
    _validate("presentation", presentation.to_bytes())
    _validate("token-presentation-body", presentation.body)
    _validate("result", site.verify(presentation).to_bytes())
    # The schema refuses a token key for number or under an upper-case issuer
    # name, and a body with a short token.
    for field, value in ((3, "number"), (2, "Age-over-18.tokens.operator-a.example")):
        fields = decode(keyset.to_bytes())
        fields[2][0][4][0][field] = value
        with pytest.raises(pycddl.ValidationError):
            _validate("operator-keyset", encode(fields))
    with pytest.raises(pycddl.ValidationError):
        _validate("token-presentation-body", encode([bytes(353)]))


def _validate_trust_list(data: bytes) -> None:
    """A trust list file, its signed heads and its operators, each against its rule."""
    _validate("trust-list", data)
    _validate("message", data)
    fields = decode(data)
    for head in (fields[2], *fields.get(4, [])):
        _validate("signed-head", head)
    _validate("operators", fields[3])


def test_trust_list_messages_validate() -> None:
    from tests.trust_world import later, make_federation, make_issuer
    from zkcheck.trust.federation import TrustListDraft

    world = make_token_world()
    federation = make_federation(clock=world.clock)
    federation.add(make_issuer(world.clock, "operator-b.example"))
    # Operator A lists keys of every tier: a signing key, token keys, credential keys.
    credential_keys = CredentialIssuerKeys(
        "operator-a.example", now=federation.now
    ).credential_keys()
    entry = world.entry().with_credential_keys(credential_keys)
    _validate("operator-keyset", OperatorKeySet((entry,)).to_bytes())
    federation.draft = federation.draft.add_operator(
        entry, name="Operator A", countries=("ES", "PT"), networks=("214-01",),
        now=federation.now,
    )  # fmt: skip
    federation.publish()
    federation.authority = federation.authority.roll_over()
    later(world.clock, minutes=1)
    federation.draft = federation.draft.revoke_key(
        "operator-b.example", federation.draft.operator("operator-b.example").keys[0].key_id
    )
    data = federation.publish()
    assert decode(data)[4]  # the chain is there
    _validate_trust_list(data)
    tiers = {key[1] for operator in decode(decode(data)[3]) for key in operator[7]}
    assert tiers == {1, 2, 3}
    # A relying party configured with the list names no operator: its request has no key 6.
    anchors = federation.relying_party()
    request = Verifier(Policy("rp.example", (Check.number(),)), anchors, clock=world.clock)
    encoded = request.create_request().to_bytes()
    assert 6 not in decode(encoded)
    _validate("request", encoded)
    _validate("trust-authority", federation.pin.to_bytes())
    _validate("message", federation.pin.to_bytes())
    draft = federation.draft.to_bytes()
    _validate("trust-list-draft", draft)
    _validate("operators", decode(draft)[3])
    assert TrustListDraft.from_bytes(draft) == federation.draft
    # The schema can fail: an unknown status, an MCC-MNC written without its dash.
    operators = decode(decode(data)[3])
    for field, value in ((5, 4), (4, ["21401"])):
        changed = [dict(operators[0]), *operators[1:]]
        changed[0][field] = value
        with pytest.raises(pycddl.ValidationError):
            _validate("operators", encode(changed))


def test_token_tier_files_validate() -> None:
    world = make_token_world()
    bank = world.verifier((SWAP,), verifier_id="bank.example", optional=(AGE,), max_age=AGE_MAX_AGE)
    request = bank.create_request()
    challenge = TokenChallengeHeader(bank.token_challenge_header(request))
    phone = world.holder()
    asks = phone.request_tokens(request, challenge.header, batch=2)
    ask = phone.issuance_request(asks)
    # Swapped an hour ago: the age tokens are signed, the swap token is not (it stays pending).
    response = world.issuer.issue_all(
        ask, world.attester.enrol(DEMO_SUBSCRIBERS["recently_swapped"])
    )
    phone.wallet.receive_issuance(response)
    wallet = phone.wallet.export_wallet()
    assert (phone.wallet.remaining(), phone.wallet.pending()) == (2, 1)
    now = epoch_seconds(world.clock.now())
    messages = {
        "token-challenge": challenge.to_bytes(),
        "token-directories": world.issuer.keys.directories(now).to_bytes(),
        "token-request": ask.to_bytes(),
        "token-response": response.to_bytes(),
    }
    for rule, data in messages.items():
        _validate(rule, data)
        _validate("message", data)
    _validate("token-issuer-key", world.issuer.keys.to_bytes())
    _validate("token-wallet", wallet)
    # The schema refuses a short TokenRequest, a short blinding inverse, and a key file
    # without its epoch lengths.
    fields = decode(messages["token-request"])
    fields[2][0][1] = fields[2][0][1][:-1]
    with pytest.raises(pycddl.ValidationError):
        _validate("token-request", encode(fields))
    fields = decode(wallet, max_size=1 << 20)
    fields[3][0][6] = fields[3][0][6][:-1]
    with pytest.raises(pycddl.ValidationError):
        _validate("token-wallet", encode(fields))
    fields = decode(world.issuer.keys.to_bytes(), max_size=1 << 20)
    del fields[5]
    with pytest.raises(pycddl.ValidationError):
        _validate("token-issuer-key", encode(fields))


def test_credential_tier_files_validate() -> None:
    world = make_credential_world()
    holder = world.issued_holder()
    holder.request_credential(OPERATOR)  # a renewal waiting
    wallet = holder.wallet.export_wallet()
    keys = CredentialIssuerKeys(OPERATOR, now=epoch_seconds(world.clock.now()))
    keys.rotate(keys.credential_keys()[0].not_after)  # an earlier key, its secret gone
    key_file = keys.to_bytes()
    _validate("credential-issuer-key", key_file)
    _validate("credential-wallet", wallet)
    fields = decode(wallet, max_size=1 << 20)
    assert len(fields[3]) == 1 and len(fields[4]) == 1 and 5 in fields[4][0]
    _validate("credential-request", fields[4][0][2])  # the embedded request, by its own rule
    # The schema refuses a short secret key, a wallet without its holder secret, and a
    # credential whose facts are one short.
    changed = decode(key_file, max_size=1 << 20)
    changed[5][0][1] = changed[5][0][1][:-1]
    with pytest.raises(pycddl.ValidationError):
        _validate("credential-issuer-key", encode(changed))
    changed = decode(wallet, max_size=1 << 20)
    del changed[2]
    with pytest.raises(pycddl.ValidationError):
        _validate("credential-wallet", encode(changed))
    changed = decode(wallet, max_size=1 << 20)
    changed[3][0][5] = changed[3][0][5][:-1]
    with pytest.raises(pycddl.ValidationError):
        _validate("credential-wallet", encode(changed))


def test_secret_files_validate() -> None:
    world = make_world()
    holder = world.holder(Curve.ED25519)
    holder.receive(world.issuer.issue(ADULT, holder.request_attestations([Check.age_over(18)], 2)))
    holder.request_attestations([Check.age_over(18)], 1)  # one issuance left unanswered
    files = {
        "operator-key": [
            OperatorKey.generate("operator.example", curve=curve).to_bytes()
            for curve in (Curve.ED25519, Curve.P256)
        ],
        "wallet": [holder.export_wallet()],
        "trust-authority-key": [Authority.generate("federation.example").to_bytes()],
    }
    for rule, encodings in files.items():
        for data in encodings:
            _validate(rule, data)
            _validate("file", data)
            with pytest.raises(pycddl.ValidationError):
                _validate("message", data)  # a secret file is not a message
    # The schema can fail: a private key without d, a wallet entry without its key.
    fields = decode(files["operator-key"][0])
    del fields[3][-4]
    with pytest.raises(pycddl.ValidationError):
        _validate("operator-key", encode(fields))
    fields = decode(files["wallet"][0], tags=frozenset({18}), max_size=1 << 20)
    fields[2][0] = fields[2][0][1:]
    with pytest.raises(pycddl.ValidationError):
        _validate("wallet", encode(fields))


def test_the_json_file_form_validates() -> None:
    request = _messages(Curve.ED25519, Curve.ED25519)["request"][0]
    for data in (request, OperatorKey.generate("operator.example").to_bytes()):
        document = json.loads(to_json(data))
        # CDDL's data model is shared by JSON and CBOR: the object as CBOR is validated.
        _schema("json-file").validate_cbor(cbor2.dumps(document))
        assert from_json(to_json(data)) == data
    with pytest.raises(pycddl.ValidationError):
        _schema("json-file").validate_cbor(cbor2.dumps({"type": "request", "cbor": "a+b"}))


def test_a_token_key_may_answer_a_home_country_set() -> None:
    # The token tier answers every static check but number, home_country_in included.
    entry = decode(bytes.fromhex(_vector("token.json")["inputs"]["tokenKeys"][0]["keySetEntry"]))
    for check in ("home_country_in:EU", "home_country_in:EEA", "age_over:18"):
        _validate("token-key", encode({**entry, 3: check}))
    for check in ("number", "home_country_in:US"):
        with pytest.raises(pycddl.ValidationError):
            _validate("token-key", encode({**entry, 3: check}))


# Which rule each vector field holds, where its name alone does not say.
_VECTOR_FIELDS = {
    "evidence": "credential-evidence",
    "presentationBody": "token-presentation-body",
    "keySetEntry": None,  # a token-key or credential-key map, checked below by its file
    "operatorKeySet": "operator-keyset",
    "head": "trust-list-head",
}
_KEY_ENTRIES = {"token.json": "token-key", "credential.json": "credential-key"}


def _vector(name: str) -> dict[str, Any]:
    content: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return content


def _messages_in(value: Any, field: str = "") -> list[tuple[str, bytes]]:
    """Every (field name, octets) of a vector file whose octets are a zkcheck file."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _messages_in(item, key)]
    if isinstance(value, list):
        return [found for item in value for found in _messages_in(item, field)]
    if isinstance(value, str) and field in _VECTOR_FIELDS:
        return [(field, bytes.fromhex(value))]
    if isinstance(value, str) and re.fullmatch("(?:a[0-9a-f]|b[0-9a-f])00[0-9a-f]+", value):
        return [(field, bytes.fromhex(value))]
    return []


def test_every_message_of_the_vectors_validates() -> None:
    kinds: set[str] = set()
    for name in sorted(path.name for path in VECTORS.glob("*.json")):
        for field, data in _messages_in(_vector(name)):
            if field == "keySetEntry":
                _validate(_KEY_ENTRIES[name], data)
                continue
            if field in _VECTOR_FIELDS:
                _validate(str(_VECTOR_FIELDS[field]), data)
                kinds.add(str(_VECTOR_FIELDS[field]))
                continue
            try:
                kind = decode_message(data)
            except DecodeError:
                continue  # not a zkcheck file: a CBOR example or a refused encoding
            if field == "encoding":
                continue  # the encoding vectors' refused encodings, which no rule admits
            _validate(kind, data)
            _validate("file", data)
            kinds.add(kind)
    assert kinds >= {
        "request", "presentation", "result", "issuance-request", "issuance-response",
        "credential-request", "credential-response", "token-challenge", "token-directories",
        "token-request", "token-response", "trust-list", "trust-list-draft", "trust-authority",
        "operator-keyset",
    }  # fmt: skip
