"""Interop both ways with independent XMLDSig implementations: xmlsec1 (libxmlsec)
and signxml (pure Python over lxml/cryptography)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from xmlsig_helpers import SAMPLE, TrustFiles, credential_of

from _xmlsec import TEMPLATE, xmlsec1_sign
from vnsign.formats.xml import (
    C14nMethod,
    KeySource,
    XadesOptions,
    XmlSignOptions,
    sign_enveloped,
    sign_enveloping,
    verify_xml,
)
from vnsign.formats.xml.namespaces import DS, XADES
from vnsign.pki.credentials import HashAlgorithm, KeyCredential, SignatureScheme
from vnsign.testing import KeyType, TestIdentity, TestPKI

pytestmark = pytest.mark.interop

ID_ATTRS = [
    "--id-attr:Id",
    "urn:vnsign:test:VanBan",
    "--id-attr:Id",
    "urn:vnsign:extra:PhuLuc",
    "--id-attr:Id",
    f"{XADES}:SignedProperties",
]


def _xmlsec_verify(
    xmlsec1: str, signed: bytes, tmp_path: Path, trust: TrustFiles
) -> subprocess.CompletedProcess[str]:
    document = tmp_path / "signed.xml"
    document.write_bytes(signed)
    return subprocess.run(
        [
            xmlsec1,
            "--verify",
            *trust.arguments(),
            *ID_ATTRS,
            str(document),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "options",
    [
        XmlSignOptions(),
        XmlSignOptions(prefix=None),
        XmlSignOptions(c14n=C14nMethod.EXCLUSIVE, hash_algorithm=HashAlgorithm.SHA512),
        XmlSignOptions(references=("#vb1", "#pl1"), c14n=C14nMethod.INCLUSIVE_WITH_COMMENTS),
        XmlSignOptions(xpath="//x:PhuLuc", namespaces={"x": "urn:vnsign:extra"}),
        XmlSignOptions(xades=XadesOptions()),
    ],
    ids=["default", "default-ns", "exclusive-sha512", "by-id", "xpath", "xades-b-b"],
)
def test_xmlsec1_accepts_what_vnsign_signs(
    tool: Callable[[str], str],
    org_credential: KeyCredential,
    trust_files: TrustFiles,
    tmp_path: Path,
    options: XmlSignOptions,
) -> None:
    xmlsec1 = tool("xmlsec1")
    signed = sign_enveloped(SAMPLE, org_credential, options)
    result = _xmlsec_verify(xmlsec1, signed, tmp_path, trust_files)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr
    # and xmlsec1 really checks: one changed character fails it
    tampered = signed.replace("thử nghiệm".encode(), b"thu nghiem")
    assert _xmlsec_verify(xmlsec1, tampered, tmp_path, trust_files).returncode != 0


def test_xmlsec1_accepts_ecdsa_and_enveloping(
    tool: Callable[[str], str], vn_pki: TestPKI, trust_files: TrustFiles, tmp_path: Path
) -> None:
    xmlsec1 = tool("xmlsec1")
    ecdsa = credential_of(vn_pki.issue("organization", key_type=KeyType.ECDSA_P256))
    for signed in (
        sign_enveloped(SAMPLE, ecdsa),
        sign_enveloping(SAMPLE, ecdsa),
        sign_enveloping(b"%PDF-1.7 binary \x00\x01", credential_of(vn_pki.organization)),
    ):
        result = _xmlsec_verify(xmlsec1, signed, tmp_path, trust_files)
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("key_type", "method", "c14n", "uri"),
    [
        (
            KeyType.RSA2048,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            C14nMethod.INCLUSIVE,
            "",
        ),
        (
            KeyType.RSA2048,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            C14nMethod.EXCLUSIVE,
            "#vb1",
        ),
        (
            KeyType.ECDSA_P256,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            C14nMethod.INCLUSIVE,
            "",
        ),
    ],
)
def test_vnsign_verifies_what_xmlsec1_signs(
    tool: Callable[[str], str],
    vn_pki: TestPKI,
    tmp_path: Path,
    key_type: KeyType,
    method: str,
    c14n: C14nMethod,
    uri: str,
) -> None:
    xmlsec1 = tool("xmlsec1")
    identity = vn_pki.issue("organization", key_type=key_type)
    template = TEMPLATE.format(c14n=c14n.value, method=method, uri=uri)
    out = xmlsec1_sign(xmlsec1, identity, template, tmp_path)
    result = verify_xml(out.read_bytes())
    [signature] = result.signatures
    assert signature.valid, signature.problems
    assert signature.signer_certificate == identity.certificate
    assert signature.references[0].element_path == ("/HoSo" if uri == "" else "/HoSo/VanBan")
    tampered = out.read_bytes().replace(b"xmlsec1", b"XMLSEC1", 1)
    assert not verify_xml(tampered).valid


def _pem_chain(identity: TestIdentity) -> list[str]:
    return [c.public_bytes(Encoding.PEM).decode() for c in (identity.certificate, *identity.chain)]


@pytest.mark.parametrize(
    ("method", "signature_method", "key_type"),
    [
        (SignatureConstructionMethod.enveloped, SignatureMethod.RSA_SHA256, KeyType.RSA2048),
        (SignatureConstructionMethod.enveloped, SignatureMethod.SHA256_RSA_MGF1, KeyType.RSA2048),
        (SignatureConstructionMethod.enveloping, SignatureMethod.ECDSA_SHA384, KeyType.ECDSA_P384),
    ],
)
def test_vnsign_verifies_what_signxml_signs(
    vn_pki: TestPKI,
    method: SignatureConstructionMethod,
    signature_method: SignatureMethod,
    key_type: KeyType,
) -> None:
    identity = vn_pki.issue("organization", key_type=key_type)
    signer = XMLSigner(
        method=method,
        signature_algorithm=signature_method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = etree.tostring(
        signer.sign(etree.fromstring(SAMPLE), key=identity.private_key, cert=_pem_chain(identity))
    )
    [signature] = verify_xml(signed).signatures
    assert signature.valid, signature.problems
    assert signature.signer_certificate == identity.certificate
    assert signature.key_source is KeySource.X509_CERTIFICATE
    assert len(signature.certificates) == 3  # signxml embeds the chain


@pytest.mark.parametrize(
    ("options", "expect_references"),
    [
        (XmlSignOptions(), 1),
        (XmlSignOptions(scheme=SignatureScheme.PSS, c14n=C14nMethod.EXCLUSIVE), 1),
        (XmlSignOptions(references=("#vb1", "#pl1"), hash_algorithm=HashAlgorithm.SHA384), 2),
    ],
)
def test_signxml_accepts_what_vnsign_signs(
    vn_pki: TestPKI, options: XmlSignOptions, expect_references: int
) -> None:
    identity = vn_pki.organization
    signed = sign_enveloped(SAMPLE, credential_of(identity), options)
    results = XMLVerifier().verify(
        signed, x509_cert=identity.cert_pem.decode(), expect_references=expect_references
    )
    verified = results if isinstance(results, list) else [results]
    assert len(verified) == expect_references
    assert all(r.signed_xml is not None for r in verified)


def test_signxml_accepts_vnsign_ecdsa(vn_pki: TestPKI) -> None:
    identity = vn_pki.issue("organization", key_type=KeyType.ECDSA_P256)
    signed = sign_enveloped(SAMPLE, credential_of(identity))
    result = XMLVerifier().verify(signed, x509_cert=identity.cert_pem.decode())
    assert result.signature_xml.tag == f"{{{DS}}}Signature"
