"""XMLDSig signing and verification round trips, tampering, placement, algorithms."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree
from xmlsig_helpers import SAMPLE, credential_of

from vnsign.errors import CertificateNotUsableError, InputError, SigningError
from vnsign.formats.xml import (
    C14nMethod,
    KeySource,
    ReferenceSpec,
    ReferenceStatus,
    SignatureMethod,
    SignatureStatus,
    XadesOptions,
    XmlSignOptions,
    parse_xml,
    sign_detached,
    sign_enveloped,
    sign_enveloping,
    verify_xml,
)
from vnsign.formats.xml.namespaces import DS
from vnsign.pki.credentials import HashAlgorithm, KeyCredential, SignatureScheme
from vnsign.testing import KeyType, TestIdentity, TestPKI

NS = {"ds": DS, "t": "urn:vnsign:test", "x": "urn:vnsign:extra"}


def _one(data: bytes, **kwargs: Any) -> Any:
    result = verify_xml(data, **kwargs)
    assert len(result.signatures) == 1
    return result.signatures[0]


def test_enveloped_whole_document_round_trip(org_credential: KeyCredential) -> None:
    original = bytes(SAMPLE)
    signed = sign_enveloped(SAMPLE, org_credential)
    assert original == SAMPLE  # the input is never modified
    signature = _one(signed)
    assert signature.valid
    assert signature.status is SignatureStatus.VALID
    assert signature.signer_certificate == org_credential.certificate
    assert signature.key_source is KeySource.X509_CERTIFICATE
    assert signature.signature_method.uri == SignatureMethod.RSA_SHA256
    assert not signature.uses_sha1
    [reference] = signature.references
    assert reference.uri == ""
    assert reference.whole_document and reference.excludes_signature
    assert reference.element_path == "/HoSo"
    assert reference.transforms == ("http://www.w3.org/2000/09/xmldsig#enveloped-signature",)
    result = verify_xml(signed)
    root = result.tree.getroot()
    assert result.signatures[0].signed_elements == (root,)
    assert result.signatures[0].covers(root.find("t:VanBan/t:TrichYeu", NS))
    assert not result.signatures[0].covers(
        result.signatures[0].element
    )  # excluded by the transform
    assert signature.key_info_subject_names == (
        "CN=CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN,UID=MST:0123456789,"
        "O=CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN,L=Quận Cầu Giấy,ST=Hà Nội,C=VN",
    )
    # the comment and the whitespace of the original survive untouched
    assert b"<!-- ghi ch\xc3\xba -->" in signed
    assert b"\n  <VanBan Id" in signed


def test_what_was_signed_is_exactly_the_canonical_document(org_credential: KeyCredential) -> None:
    signed = sign_enveloped(SAMPLE, org_credential)
    reference = _one(signed).references[0]
    expected = etree.tostring(parse_xml(SAMPLE), method="c14n", with_comments=False)
    assert reference.signed_data == expected


@pytest.mark.parametrize(
    ("needle", "replacement", "status"),
    [
        ("thử nghiệm".encode(), "sửa đổi".encode(), ReferenceStatus.DIGEST_MISMATCH),
        (b"<x:Muc>1</x:Muc>", b"<x:Muc>2</x:Muc>", ReferenceStatus.DIGEST_MISMATCH),
        (b"<!-- ghi ch", b"<!-- GHI ch", ReferenceStatus.VALID),  # comments are not signed
        (b"\n  <VanBan", b"\n    <VanBan", ReferenceStatus.DIGEST_MISMATCH),  # OBS-WHITESPACE
    ],
)
def test_changes_after_signing(
    org_credential: KeyCredential, needle: bytes, replacement: bytes, status: ReferenceStatus
) -> None:
    signed = sign_enveloped(SAMPLE, org_credential)
    assert needle in signed
    signature = _one(signed.replace(needle, replacement, 1))
    assert signature.references[0].status is status
    assert signature.valid is (status is ReferenceStatus.VALID)
    if status is not ReferenceStatus.VALID:
        assert signature.status is SignatureStatus.INVALID
        assert "changed after signing" in signature.references[0].message
        assert not signature.covers(signature.references[0].element)


def test_forged_signature_value_is_invalid_not_an_exception(org_credential: KeyCredential) -> None:
    signed = sign_enveloped(SAMPLE, org_credential)
    tree = parse_xml(signed)
    value = tree.find(".//ds:SignatureValue", NS)
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()
    signature = _one(etree.tostring(tree))
    assert not signature.signature_value_valid
    assert signature.status is SignatureStatus.INVALID
    assert signature.references[0].digest_ok  # the data is intact, the value is not
    assert signature.key_source is KeySource.NONE
    assert not signature.covers(tree.getroot())


def test_references_by_id_sign_only_those_elements(org_credential: KeyCredential) -> None:
    options = XmlSignOptions(references=("#vb1", "#pl1"))
    signed = sign_enveloped(SAMPLE, org_credential, options)
    signature = _one(signed)
    assert signature.valid
    assert [r.element_path for r in signature.references] == ["/HoSo/VanBan", "/HoSo/x:PhuLuc"]
    # elements outside the references are not covered
    result = verify_xml(signed)
    sig = result.signatures[0]
    root = result.tree.getroot()
    assert sig.covers(root.find("t:VanBan/t:TrichYeu", NS))
    assert sig.covers(root.find("x:PhuLuc/x:Muc", NS))
    assert not sig.covers(root)
    assert not sig.covers(sig.element)


@pytest.mark.parametrize("c14n", list(C14nMethod))
def test_every_canonicalization(org_credential: KeyCredential, c14n: C14nMethod) -> None:
    options = XmlSignOptions(c14n=c14n, references=("#pl1", ""))
    signature = _one(sign_enveloped(SAMPLE, org_credential, options))
    assert signature.valid, signature.problems
    assert signature.canonicalization.uri == c14n.value


@pytest.mark.parametrize("algorithm", list(HashAlgorithm))
@pytest.mark.parametrize("scheme", list(SignatureScheme))
def test_rsa_hashes_and_schemes(
    org_credential: KeyCredential, algorithm: HashAlgorithm, scheme: SignatureScheme
) -> None:
    options = XmlSignOptions(hash_algorithm=algorithm, scheme=scheme)
    signature = _one(sign_enveloped(SAMPLE, org_credential, options))
    assert signature.valid
    method = SignatureMethod(signature.signature_method.uri)
    assert method.hash_name == algorithm.value
    assert method.key_type == ("rsa-pss" if scheme is SignatureScheme.PSS else "rsa")


@pytest.mark.parametrize("key_type", [KeyType.ECDSA_P256, KeyType.ECDSA_P384])
def test_ecdsa_values_are_r_concat_s(vn_pki: TestPKI, key_type: KeyType) -> None:
    identity = vn_pki.issue("organization", key_type=key_type)
    credential = credential_of(identity)
    signed = sign_enveloped(SAMPLE, credential, XmlSignOptions(hash_algorithm=HashAlgorithm.SHA384))
    signature = _one(signed)
    assert signature.valid
    assert signature.signature_method.uri == SignatureMethod.ECDSA_SHA384
    raw = base64.b64decode(parse_xml(signed).find(".//ds:SignatureValue", NS).text)
    size = (identity.certificate.public_key().curve.key_size + 7) // 8  # type: ignore[union-attr]
    assert len(raw) == 2 * size
    with pytest.raises(ValueError, match="asn1"):
        decode_dss_signature(raw)  # not DER


def test_enveloping_xml_and_binary(org_credential: KeyCredential) -> None:
    signed = sign_enveloping(SAMPLE, org_credential)
    tree = parse_xml(signed)
    assert tree.getroot().tag == f"{{{DS}}}Signature"
    signature = _one(signed)
    assert signature.valid
    assert signature.references[0].element_tag == f"{{{DS}}}Object"
    assert tree.find("ds:Object/t:HoSo", NS) is not None

    pdf = b"%PDF-1.7\n\x00\xff binary"
    signed = sign_enveloping(pdf, org_credential, mime_type="application/pdf")
    signature = _one(signed)
    assert signature.valid
    assert signature.references[0].signed_data == pdf
    assert signature.references[0].transforms == ("http://www.w3.org/2000/09/xmldsig#base64",)
    tampered = signed.replace(base64.b64encode(pdf), base64.b64encode(pdf + b"!"))
    assert _one(tampered).references[0].status is ReferenceStatus.DIGEST_MISMATCH


def test_detached_signature_over_external_data(org_credential: KeyCredential) -> None:
    content = b"%PDF-1.4 quyet-dinh"
    signed = sign_detached(content, "quyet-dinh.pdf", org_credential)
    assert _one(signed, external={"quyet-dinh.pdf": content}).valid
    missing = _one(signed)
    assert missing.references[0].status is ReferenceStatus.NOT_FOUND
    assert "never fetches" in missing.references[0].message
    changed = _one(signed, external={"quyet-dinh.pdf": content + b" "})
    assert changed.references[0].status is ReferenceStatus.DIGEST_MISMATCH
    with pytest.raises(InputError):
        sign_detached(content, "#local", org_credential)


def test_placement_by_xpath_and_into_a_placeholder(org_credential: KeyCredential) -> None:
    options = XmlSignOptions(xpath="/t:HoSo/x:PhuLuc", namespaces={"t": NS["t"], "x": NS["x"]})
    signed = sign_enveloped(SAMPLE, org_credential, options)
    tree = parse_xml(signed)
    assert tree.find("x:PhuLuc/ds:Signature", NS) is not None
    assert _one(signed).valid

    with_placeholder = SAMPLE.replace(
        b"<!-- ghi", f'<ds:Signature xmlns:ds="{DS}" Id="cho-ky"/><!-- ghi'.encode()
    )
    signed = sign_enveloped(with_placeholder, org_credential)
    signature = _one(signed)
    assert signature.valid
    assert signature.id == "cho-ky"
    assert signature.path == "/HoSo/ds:Signature"
    assert len(parse_xml(signed).findall(".//ds:Signature", NS)) == 1

    for xpath, message in (("//t:Nothing", "selects 0 elements"), ("//*", "selects")):
        with pytest.raises(SigningError, match=message):
            sign_enveloped(SAMPLE, org_credential, XmlSignOptions(xpath=xpath, namespaces=NS))
    with pytest.raises(InputError, match="invalid XPath"):
        sign_enveloped(SAMPLE, org_credential, XmlSignOptions(xpath="//["))


def test_xades_into_a_placeholder_targets_the_placeholders_id(
    org_credential: KeyCredential,
) -> None:
    with_placeholder = SAMPLE.replace(
        b"<!-- ghi", f'<ds:Signature xmlns:ds="{DS}" Id="cho-ky"/><!-- ghi'.encode()
    )
    signed = sign_enveloped(with_placeholder, org_credential, XmlSignOptions(xades=XadesOptions()))
    signature = _one(signed)
    assert signature.id == "cho-ky"
    assert signature.valid and not signature.problems, signature.problems
    qualifying = parse_xml(signed).find(
        ".//{http://uri.etsi.org/01903/v1.3.2#}QualifyingProperties"
    )
    assert qualifying is not None and qualifying.get("Target") == "#cho-ky"


def test_default_namespace_signature_verifies_after_reparsing(
    org_credential: KeyCredential,
) -> None:
    # A default-namespace Signature with grandchildren (Reference/DigestMethod) is where
    # lxml's subtree canonicalization goes wrong; the round trip through bytes proves
    # signer and verifier agree with a fresh parse.
    signed = sign_enveloped(SAMPLE, org_credential, XmlSignOptions(prefix=None))
    assert b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"' in signed
    assert _one(signed).valid
    assert b'xmlns=""' not in _one(signed).signed_info


def test_signing_with_an_expired_certificate_is_refused(
    vn_make_cert: Callable[..., TestIdentity],
) -> None:
    expired = credential_of(vn_make_cert("expired", "organization"))
    with pytest.raises(CertificateNotUsableError):
        sign_enveloped(SAMPLE, expired)


class _OtherKeyCredential:
    """A real credential whose key does not match its certificate, like a token
    with the wrong key selected: the signer must refuse to embed its output."""

    def __init__(self, certificate_of: TestIdentity, key_of: TestIdentity) -> None:
        self._certificate = certificate_of.certificate
        self._signer = credential_of(key_of)

    @property
    def certificate(self) -> Any:
        return self._certificate

    @property
    def chain(self) -> tuple[Any, ...]:
        return ()

    @property
    def key_kind(self) -> Any:
        return self._signer.key_kind

    @property
    def key_size(self) -> int:
        return self._signer.key_size

    def sign_digest(self, digest: bytes, hash_algorithm: Any, *, scheme: Any = None) -> bytes:
        return self._signer.sign_digest(
            digest, hash_algorithm, scheme=scheme or SignatureScheme.PKCS1V15
        )


def test_a_signature_that_does_not_match_the_certificate_is_never_embedded(vn_pki: TestPKI) -> None:
    wrong = _OtherKeyCredential(vn_pki.organization, vn_pki.person)
    with pytest.raises(SigningError, match="does not verify with its certificate"):
        sign_enveloped(SAMPLE, wrong)  # type: ignore[arg-type]


def test_generated_ids_never_clash_and_duplicate_ids_fail_signing(
    org_credential: KeyCredential,
) -> None:
    doubled = SAMPLE.replace(b"<!-- ghi", b'<Khac Id="vb1"/><!-- ghi')
    with pytest.raises(SigningError, match="vb1"):
        sign_enveloped(doubled, org_credential, XmlSignOptions(references=("#vb1",)))
    with pytest.raises(SigningError, match="no element has the ID"):
        sign_enveloped(SAMPLE, org_credential, XmlSignOptions(references=("#khong-co",)))


def test_two_signatures_in_one_document_are_both_reported(vn_pki: TestPKI) -> None:
    first = sign_enveloped(
        SAMPLE, credential_of(vn_pki.organization), XmlSignOptions(references=("#vb1",))
    )
    second = sign_enveloped(
        first, credential_of(vn_pki.person_in_org), XmlSignOptions(references=("#pl1",))
    )
    result = verify_xml(second)
    assert result.valid
    signers = [s.signer_certificate for s in result.signatures]
    assert signers == [vn_pki.organization.certificate, vn_pki.person_in_org.certificate]


def test_custom_reference_transforms_are_honoured(org_credential: KeyCredential) -> None:
    spec = ReferenceSpec(
        "#vb1", (C14nMethod.EXCLUSIVE_WITH_COMMENTS.value,), id="ref-vb1", type="urn:t"
    )
    signature = _one(sign_enveloped(SAMPLE, org_credential, XmlSignOptions(references=(spec,))))
    assert signature.valid
    reference = signature.references[0]
    assert (reference.id, reference.type) == ("ref-vb1", "urn:t")
    assert reference.transforms == (C14nMethod.EXCLUSIVE_WITH_COMMENTS.value,)


def test_sha1_documents_verify_and_are_flagged() -> None:
    # SHA-1 signatures come from old documents; build one with cryptography the way
    # a 2015 signer did (vnsign itself refuses to sign with SHA-1).
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from vnsign.formats.xml.canonical import canonicalize

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()

    def b64int(value: int) -> str:
        return base64.b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode()

    document = parse_xml(SAMPLE)
    signature = etree.SubElement(document.getroot(), f"{{{DS}}}Signature", nsmap={"ds": DS})
    info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(info, f"{{{DS}}}CanonicalizationMethod").set(
        "Algorithm", C14nMethod.INCLUSIVE.value
    )
    etree.SubElement(info, f"{{{DS}}}SignatureMethod").set(
        "Algorithm", SignatureMethod.RSA_SHA1.value
    )
    reference = etree.SubElement(info, f"{{{DS}}}Reference", URI="#vb1")
    etree.SubElement(reference, f"{{{DS}}}DigestMethod").set(
        "Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1"
    )
    target = document.getroot().find("t:VanBan", NS)
    sha1 = hashes.Hash(hashes.SHA1())
    sha1.update(canonicalize(target, C14nMethod.INCLUSIVE))
    etree.SubElement(reference, f"{{{DS}}}DigestValue").text = base64.b64encode(
        sha1.finalize()
    ).decode()
    value = key.sign(canonicalize(info, C14nMethod.INCLUSIVE), padding.PKCS1v15(), hashes.SHA1())
    etree.SubElement(signature, f"{{{DS}}}SignatureValue").text = base64.b64encode(value).decode()
    key_value = etree.SubElement(
        etree.SubElement(signature, f"{{{DS}}}KeyInfo"), f"{{{DS}}}KeyValue"
    )
    rsa_value = etree.SubElement(key_value, f"{{{DS}}}RSAKeyValue")
    etree.SubElement(rsa_value, f"{{{DS}}}Modulus").text = b64int(numbers.n)
    etree.SubElement(rsa_value, f"{{{DS}}}Exponent").text = b64int(numbers.e)

    result = _one(etree.tostring(document))
    assert result.valid
    assert result.key_source is KeySource.KEY_VALUE
    assert result.signer_certificate is None
    assert result.uses_sha1
    assert result.signature_method.weak and result.references[0].weak
    assert [u.role for u in result.algorithms if u.weak] == ["signature", "digest"]


def test_verifying_a_tree_leaves_it_exactly_as_it_was(org_credential: KeyCredential) -> None:
    tree = parse_xml(sign_enveloped(SAMPLE, org_credential))
    before = etree.tostring(tree)
    snapshot = copy.deepcopy(tree)
    assert verify_xml(tree).valid
    assert etree.tostring(tree) == before == etree.tostring(snapshot)
