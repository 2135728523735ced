"""Third-party corpora: the W3C XMLDSig interop vectors (as kept by signxml), the
xml-crypto fixtures with signature-wrapping attacks, and DSS's XAdES samples.

Expectations come from the file names, from the upstream projects' own tests
(signxml ``test/test.py``, xml-crypto ``test/saml-response-tests.ts``) and from
xmlsec1, which agrees with every verdict below that it can compute.
"""

from __future__ import annotations

import base64
import glob
import re
from pathlib import Path

import pytest
from cryptography import x509

from vnsign.errors import HostileInputError, InputError
from vnsign.formats.xml import (
    KeySource,
    ReferenceStatus,
    SignatureStatus,
    verify_xml,
)
from vnsign.formats.xml.namespaces import DS

pytestmark = [
    pytest.mark.interop,
    # old third-party certificates (negative serials, odd names) make cryptography warn
    pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning"),
]

VALID = [
    *(
        f"TR2012/signature-enveloping-{curve}_{digest}.xml"
        for curve in ("p256", "p384", "p521")
        for digest in ("sha1", "sha224", "sha256", "sha384", "sha512")
    ),
    "TR2012/signature-enveloping-derencoded-ec.xml",
    "TR2012/signature-enveloping-derencoded-rsa.xml",
    "TR2012/signature-enveloping-rsa-sha224.xml",
    "TR2012/signature-enveloping-rsa-sha256.xml",
    "TR2012/signature-enveloping-rsa_sha384.xml",
    "TR2012/signature-enveloping-rsa_sha512.xml",
    "TR2012/signature-enveloping-sha224-rsa_sha256.xml",
    "TR2012/signature-enveloping-sha256-rsa-sha256.xml",
    "TR2012/signature-enveloping-sha384-rsa_sha256.xml",
    "TR2012/signature-enveloping-sha512-rsa_sha256.xml",
    *(
        f"aleksey-xmldsig-01-enveloped/enveloped-sha256-rsa-sha256-test-{n}.xml"
        for n in range(1, 9)
    ),
    *(
        f"aleksey-xmldsig-01/enveloping-{h}-rsa-{h}.xml"
        for h in ("sha1", "sha224", "sha256", "sha384", "sha512")
    ),
    "aleksey-xmldsig-01/enveloping-rsa-x509chain.xml",
    "aleksey-xmldsig-01/enveloping-dsa-x509chain.xml",
    # expired: a trust question for certificate validation; the signature itself holds
    "aleksey-xmldsig-01/enveloping-expired-cert.xml",
    "enveloping-rsa-x509chain.xml",
    "merlin-xmldsig-twenty-three/signature-enveloped-dsa.xml",
    "merlin-xmldsig-twenty-three/signature-enveloping-b64-dsa.xml",
    "merlin-xmldsig-twenty-three/signature-enveloping-dsa.xml",
    "merlin-xmldsig-twenty-three/signature-enveloping-rsa.xml",
    "phaos-xmldsig-three/signature-dsa-enveloped.xml",
    "phaos-xmldsig-three/signature-dsa-enveloping.xml",
    "phaos-xmldsig-three/signature-dsa-manifest.xml",
    "phaos-xmldsig-three/signature-rsa-detached-b64-transform.xml",
    # the XPath/XSLT transforms of these two sit in a Manifest, outside core validation
    "phaos-xmldsig-three/signature-rsa-detached-xpath-transform.xml",
    "phaos-xmldsig-three/signature-rsa-detached-xslt-transform.xml",
    "phaos-xmldsig-three/signature-rsa-enveloped.xml",
    "phaos-xmldsig-three/signature-rsa-enveloping.xml",
    "phaos-xmldsig-three/signature-rsa-manifest.xml",
    "phaos-xmldsig-three/signature-rsa-manifest-x509-data.xml",
    "phaos-xmldsig-three/signature-rsa-manifest-x509-data-cert.xml",
    "phaos-xmldsig-three/signature-rsa-manifest-x509-data-cert-chain.xml",
    "pyXMLSecurity/SAML_assertion1.xml",
    "pyXMLSecurity/SAML_assertion_sha256.xml",
    "pyXMLSecurity/edugain.xml",
    "soap/request.xml",
    "xml-crypto/signature_with_inclusivenamespaces.xml",
    "xml-crypto/wsfederation_metadata.xml",
]

# Valid once the certificate named in KeyInfo (not carried in the document) is supplied.
VALID_WITH_CERTIFICATE = {
    "TR2012/signature-enveloping-keyinforeference-rsa.xml": "TR2012/rsa-cert.der",
    "TR2012/signature-enveloping-x509digest-rsa.xml": "TR2012/rsa-cert.der",
    "phaos-xmldsig-three/signature-rsa-manifest-x509-data-issuer-serial.xml": "phaos-xmldsig-three/certs/rsa-cert.pem",
    "phaos-xmldsig-three/signature-rsa-manifest-x509-data-ski.xml": "phaos-xmldsig-three/certs/rsa-cert.pem",
    "phaos-xmldsig-three/signature-rsa-manifest-x509-data-subject-name.xml": "phaos-xmldsig-three/certs/rsa-cert.pem",
    "xml-crypto/windows_store_signature.xml": "xml-crypto/windows_store_certificate.pem",
}

INVALID = {
    "aleksey-xmldsig-01-enveloped/invalid_enveloped_transform.xml": None,
    "phaos-xmldsig-three/signature-rsa-enveloped-bad-digest-val.xml": ReferenceStatus.DIGEST_MISMATCH,
    "phaos-xmldsig-three/signature-rsa-enveloped-bad-sig.xml": ReferenceStatus.MALFORMED,
}

# Documented as not verified by vnsign, with the reason (see docs/xml.md).
HMAC = "HMAC is a shared-secret MAC, not a digital signature: no signer to identify"
UNSUPPORTED = {
    **dict.fromkeys(("TR2012/signature-enveloping-hmac-sha1-truncated160.xml",), HMAC),
    **{
        f"TR2012/signature-enveloping-hmac-{h}.xml": HMAC
        for h in ("sha224", "sha256", "sha384", "sha512")
    },
    **{
        f"aleksey-xmldsig-01/enveloping-{h}-hmac-{h}{suffix}.xml": HMAC
        for h in ("sha1", "sha224", "sha256", "sha384", "sha512", "md5", "ripemd160")
        for suffix in ("", "-64")
    },
    "merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1.xml": HMAC,
    "merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1-40.xml": HMAC,
    "phaos-xmldsig-three/signature-hmac-md5-c14n-enveloping.xml": HMAC,
    "phaos-xmldsig-three/signature-hmac-sha1-40-c14n-comments-detached.xml": HMAC,
    "phaos-xmldsig-three/signature-hmac-sha1-40-exclusive-c14n-comments-detached.xml": HMAC,
    "phaos-xmldsig-three/signature-hmac-sha1-exclusive-c14n-comments-detached.xml": HMAC,
    "phaos-xmldsig-three/signature-hmac-sha1-exclusive-c14n-enveloped.xml": HMAC,
    "aleksey-xmldsig-01/enveloping-md5-rsa-md5.xml": "MD5 digests are broken and not supported",
    "aleksey-xmldsig-01/enveloping-ripemd160-rsa-ripemd160.xml": "RIPEMD-160 is not supported",
    "aleksey-xmldsig-01/x509data-test.xml": "XPath Filter 2.0 transform",
    "aleksey-xmldsig-01/x509data-sn-test.xml": "XPath Filter 2.0 transform",
    "phaos-xmldsig-three/signature-rsa-xpath-transform-enveloped.xml": "XPath transform",
    "phaos-xmldsig-three/signature-big.xml": "XPath and XSLT transforms, external data",
}

REFUSED_DTD = [
    "merlin-xmldsig-twenty-three/signature.xml",
    "aleksey-xmldsig-01/xpointer-hmac.xml",
]

# KeyInfo/RetrievalMethod is never followed (it could fetch anything).
NO_KEY_RETRIEVAL = [
    "merlin-xmldsig-twenty-three/signature-retrievalmethod-rawx509crt.xml",
    "phaos-xmldsig-three/signature-rsa-detached-xslt-transform-retrieval-method.xml",
    "phaos-xmldsig-three/signature-rsa-detached-xslt-transform-bad-retrieval-method.xml",
]

# They sign a W3C or IETF web page that is not in the corpus; vnsign never fetches
# it, so the reference stays NOT_FOUND while the signature value itself verifies.
EXTERNAL = {
    "merlin-xmldsig-twenty-three/signature-external-dsa.xml": None,
    "merlin-xmldsig-twenty-three/signature-external-b64-dsa.xml": None,
    "merlin-xmldsig-twenty-three/signature-x509-crt.xml": None,
    "merlin-xmldsig-twenty-three/signature-x509-crt-crl.xml": None,
    "merlin-xmldsig-twenty-three/signature-keyname.xml": "Lugh",
    "merlin-xmldsig-twenty-three/signature-x509-is.xml": "Macha",
    "merlin-xmldsig-twenty-three/signature-x509-ski.xml": "Nemain",
    "merlin-xmldsig-twenty-three/signature-x509-sn.xml": "Badb",
    "phaos-xmldsig-three/signature-rsa-detached.xml": None,
    "phaos-xmldsig-three/signature-dsa-detached.xml": None,
}


def _load_certificate(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def _interop(corpus: Path) -> Path:
    return corpus / "signxml-interop"


def test_every_interop_vector_has_an_expectation(shared_corpus: Path) -> None:
    base = _interop(shared_corpus)
    listed = {
        *VALID,
        *VALID_WITH_CERTIFICATE,
        *INVALID,
        *UNSUPPORTED,
        *REFUSED_DTD,
        *NO_KEY_RETRIEVAL,
        *EXTERNAL,
        "ws-security/ws.js/test/unit/client/files/valid wss resp.xml",
        "ws-security/ws.js/test/unit/client/files/invalid wss resp - changed content.xml",
    }
    documents = {"phaos-xmldsig-three/document.xml", "phaos-xmldsig-three/document-stylesheet.xml"}
    found = {
        str(Path(p).relative_to(base))
        for p in glob.glob(str(base / "**" / "*.xml"), recursive=True)
    }
    assert found - documents == listed


@pytest.mark.parametrize("name", VALID)
def test_valid_vectors(shared_corpus: Path, name: str) -> None:
    result = verify_xml((_interop(shared_corpus) / name).read_bytes())
    assert result.valid, [s.problems for s in result.signatures]
    for signature in result.signatures:
        assert signature.key_source in {KeySource.X509_CERTIFICATE, KeySource.KEY_VALUE}
        if "sha1" in Path(name).name:
            assert signature.uses_sha1


@pytest.mark.parametrize(("name", "certificate"), sorted(VALID_WITH_CERTIFICATE.items()))
def test_vectors_valid_with_the_named_certificate(
    shared_corpus: Path, name: str, certificate: str
) -> None:
    base = _interop(shared_corpus)
    data = (base / name).read_bytes()
    cert = _load_certificate(base / certificate)
    without = verify_xml(data).signatures[0]
    assert not without.valid
    with_cert = verify_xml(data, certificates=[cert]).signatures[0]
    assert with_cert.valid, with_cert.problems
    assert with_cert.signer_certificate == cert
    assert with_cert.key_source is KeySource.SUPPLIED_CERTIFICATE


@pytest.mark.parametrize(("name", "reference_status"), sorted(INVALID.items()))
def test_invalid_vectors(
    shared_corpus: Path, name: str, reference_status: ReferenceStatus | None
) -> None:
    [signature] = verify_xml((_interop(shared_corpus) / name).read_bytes()).signatures
    assert signature.status is SignatureStatus.INVALID
    if reference_status is not None:
        assert reference_status in {r.status for r in signature.references}


@pytest.mark.parametrize(("name", "reason"), sorted(UNSUPPORTED.items()))
def test_unsupported_vectors_say_so(shared_corpus: Path, name: str, reason: str) -> None:
    [signature] = verify_xml((_interop(shared_corpus) / name).read_bytes()).signatures
    assert signature.status is SignatureStatus.UNSUPPORTED, reason
    assert not signature.valid


@pytest.mark.parametrize("name", REFUSED_DTD)
def test_vectors_with_a_dtd_are_refused(shared_corpus: Path, name: str) -> None:
    with pytest.raises(HostileInputError, match="DTD"):
        verify_xml((_interop(shared_corpus) / name).read_bytes())


@pytest.mark.parametrize("name", NO_KEY_RETRIEVAL)
def test_retrieval_method_is_not_followed(shared_corpus: Path, name: str) -> None:
    [signature] = verify_xml((_interop(shared_corpus) / name).read_bytes()).signatures
    assert signature.status is SignatureStatus.NO_KEY
    assert any("RetrievalMethod" in p for p in signature.problems)


@pytest.mark.parametrize(("name", "signer"), sorted(EXTERNAL.items()))
def test_external_references_are_never_fetched(
    shared_corpus: Path, name: str, signer: str | None
) -> None:
    base = _interop(shared_corpus)
    certificates = [
        _load_certificate(Path(p))
        for p in glob.glob(str(base / "merlin-xmldsig-twenty-three/certs/*.crt"))
    ]
    [signature] = verify_xml((base / name).read_bytes(), certificates=certificates).signatures
    assert signature.status is SignatureStatus.INVALID
    assert signature.references[0].status is ReferenceStatus.NOT_FOUND
    assert "never fetches" in signature.references[0].message
    assert signature.signature_value_valid
    if signer is not None:
        assert signature.key_source is KeySource.SUPPLIED_CERTIFICATE
        assert f"CN={signer}" in signature.signer_certificate.subject.rfc4514_string()


def test_ws_security_changed_content_is_caught(shared_corpus: Path) -> None:
    # The server certificate is not in the corpus, so the value cannot be checked;
    # the reference digests can, and show which part was changed.
    folder = _interop(shared_corpus) / "ws-security/ws.js/test/unit/client/files"
    [valid] = verify_xml((folder / "valid wss resp.xml").read_bytes()).signatures
    assert [r.status for r in valid.references] == [ReferenceStatus.VALID] * 2
    assert valid.status is SignatureStatus.NO_KEY
    [changed] = verify_xml(
        (folder / "invalid wss resp - changed content.xml").read_bytes()
    ).signatures
    assert [r.status for r in changed.references] == [
        ReferenceStatus.DIGEST_MISMATCH,
        ReferenceStatus.VALID,
    ]
    assert changed.references[0].element_tag.endswith("}Body")


# -- xml-crypto fixtures: wrapping attacks and friends ------------------------------------


def _static(corpus: Path, name: str) -> bytes:
    return (corpus / "xml-crypto-static" / name).read_bytes()


def _static_certificates(corpus: Path) -> list[x509.Certificate]:
    return [
        _load_certificate(corpus / "xml-crypto-static" / name)
        for name in ("client_public.pem", "feide_public.pem", "idp_certificate.pem")
    ]


def test_duplicated_id_wrapping_signs_nothing(shared_corpus: Path) -> None:
    result = verify_xml(_static(shared_corpus, "valid_saml_signature_wrapping.xml"))
    assert result.duplicate_ids == ("pfx66496e6c-3c29-230d-6d47-b245434b872d",)
    assert len(result.signatures) == 2
    root = result.tree.getroot()
    malicious = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    wrapped = root.find("wrap/{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    for signature in result.signatures:
        assert signature.status is SignatureStatus.INVALID
        assert [r.status for r in signature.references] == [ReferenceStatus.AMBIGUOUS]
        assert signature.references[0].element is None
        assert signature.signed_elements == ()
        assert not signature.covers(malicious) and not signature.covers(wrapped)
    assert "This Assertion contains malicious data" in "".join(malicious.itertext())


def test_wrapped_signed_info_reports_exactly_what_was_signed(shared_corpus: Path) -> None:
    result = verify_xml(_static(shared_corpus, "saml_wrapped_signed_info_node.xml"))
    [signature] = result.signatures
    assert signature.status is SignatureStatus.MALFORMED  # a WRAPPER inside ds:Signature
    [reference] = signature.references
    # the real SignedInfo signs the assertion hidden inside <a>, not the one around it
    assert reference.element_path == "/samlp:Response/a/saml:Assertion"
    assert reference.element.get("ID") == "pfx4790de7a-ba67-cdfe-122c-e557ad3b3743"
    enclosing = signature.element.getparent()
    assert enclosing.get("ID") == "OUR_CUSTOM_ID"
    assert not signature.covers(enclosing)
    assert not signature.covers(reference.element)  # a malformed signature covers nothing


def test_several_signed_infos_are_malformed(shared_corpus: Path) -> None:
    [signature] = verify_xml(
        _static(shared_corpus, "saml_multiple_signed_info_nodes.xml")
    ).signatures
    assert signature.status is SignatureStatus.MALFORMED
    assert signature.references == ()
    assert "ds:Signature has 2 ds:SignedInfo children" in signature.problems


def test_missing_signed_info(shared_corpus: Path) -> None:
    first, second = verify_xml(_static(shared_corpus, "invalid_saml_no_signed_info.xml")).signatures
    assert first.status is SignatureStatus.MALFORMED
    assert "ds:SignedInfo is missing" in first.problems
    assert second.valid


def test_digest_value_is_read_without_comments(shared_corpus: Path) -> None:
    [signature] = verify_xml(
        _static(shared_corpus, "valid_saml_with_digest_comment.xml")
    ).signatures
    assert signature.references[0].expected_digest == base64.b64decode(
        "RnNjoyUguwze5w2R+cboyTHlkQk="
    )
    assert signature.references[0].status is ReferenceStatus.DIGEST_MISMATCH
    assert not signature.valid


@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        ("valid_saml.xml", ["valid", "valid"]),
        ("valid_saml_sha256_rsa_mgf1.xml", ["valid"]),  # RSA-PSS from xml-crypto
        ("invalid_saml_sha256_rsa_mgf1.xml", ["invalid"]),
        ("valid_saml_withcomments.xml", ["invalid", "valid"]),
        ("saml_external_ns.xml", ["valid"]),
        ("keyinfo - pretty-printed.xml", ["valid"]),
        ("signature_with_inclusivenamespaces.xml", ["valid"]),
        ("signature_with_inclusivenamespaces_lines.xml", ["valid"]),
        ("signature_with_inclusivenamespaces_lines_windows.xml", ["valid"]),
        ("valid_signature_utf8.xml", ["valid"]),
        ("valid_signature_with_unused_prefixes.xml", ["valid"]),
        ("valid_signature_without_transforms_element.xml", ["valid"]),
        ("invalid_signature_without_transforms_element.xml", ["invalid"]),
        ("expectedVerifyComplex.xml", ["valid"]),
        ("wsfederation_metadata.xml", ["valid"]),
        ("id_with_quotes.xml", ["invalid"]),
        ("hmac_signature.xml", ["unsupported"]),
        ("unsigned_saml_response.xml", []),
    ],
)
def test_xml_crypto_fixtures(shared_corpus: Path, name: str, statuses: list[str]) -> None:
    data = _static(
        shared_corpus, name if name != "expectedVerifyComplex.xml" else "integration/" + name
    )
    result = verify_xml(data, certificates=_static_certificates(shared_corpus))
    assert [s.status.value for s in result.signatures] == statuses


@pytest.mark.parametrize(
    "name",
    [
        "valid_signature.xml",
        "valid_signature wsu.xml",
        "valid_signature_with_lowercase_id_attribute.xml",
        "valid_signature_with_reference_keyInfo.xml",
        "valid_signature_with_root_level_sig_namespace.xml",
        "valid_signature_with_whitespace_in_digestvalue.xml",
        "integration/expectedVerify.xml",
    ],
)
def test_relative_namespace_uris_cannot_be_canonicalized(shared_corpus: Path, name: str) -> None:
    # xml-crypto accepts these; canonical XML forbids relative namespace URIs
    # ("ns", "myns"), and libxml2 and xmlsec1 refuse them too. The signature value
    # and the one reference without such a namespace do verify.
    [signature] = verify_xml(
        _static(shared_corpus, name), certificates=_static_certificates(shared_corpus)
    ).signatures
    assert signature.signature_value_valid
    assert [r.status for r in signature.references] == [
        ReferenceStatus.MALFORMED,
        ReferenceStatus.VALID,
        ReferenceStatus.MALFORMED,
    ]
    assert "relative" in signature.references[0].message
    assert not signature.valid


def test_reindented_document_fails_until_the_whitespace_is_restored(shared_corpus: Path) -> None:
    # OBS-WHITESPACE: vnsign never normalises whitespace. xml-crypto's own test strips
    # the indentation somebody added to this receipt before verifying it.
    data = _static(shared_corpus, "windows_store_signature.xml")
    certificate = _load_certificate(
        shared_corpus / "xml-crypto-static" / "windows_store_certificate.pem"
    )
    [indented] = verify_xml(data, certificates=[certificate]).signatures
    assert indented.references[0].status is ReferenceStatus.DIGEST_MISMATCH
    stripped = re.sub(rb">\s*<", b"><", data)
    [restored] = verify_xml(stripped, certificates=[certificate]).signatures
    assert restored.valid


# -- DSS XAdES samples --------------------------------------------------------------------


def test_every_dss_xades_sample_gives_a_result_or_an_input_error(shared_corpus: Path) -> None:
    files = [p for p in (shared_corpus / "dss-xades").rglob("*") if p.is_file()]
    assert len(files) > 200
    results = 0
    for path in files:
        try:
            verify_xml(path.read_bytes())
        except InputError:
            continue
        results += 1
    assert results > 150


def _dss(corpus: Path, name: str) -> object:
    [signature] = verify_xml((corpus / "dss-xades" / name).read_bytes()).signatures
    return signature


def test_dss_signing_certificate_checks(shared_corpus: Path) -> None:
    for name in ("xades-sign-cert-v2-wrong-digest.xml", "xades-wrong-sign-cert-digest.xml"):
        signature = _dss(shared_corpus, name)
        assert signature.xades.signing_certificate.digest_matches is False  # type: ignore[attr-defined]
        assert signature.status is SignatureStatus.INVALID  # type: ignore[attr-defined]
    wrong_serial = _dss(shared_corpus, "xades-sign-cert-v2-wrong-issuer-serial.xml")
    check = wrong_serial.xades.signing_certificate  # type: ignore[attr-defined]
    assert check.digest_matches and check.issuer_serial_matches is False
    assert any("IssuerSerial" in p for p in wrong_serial.xades.problems)  # type: ignore[attr-defined]


def test_dss_levels_timestamps_and_validation_data(shared_corpus: Path) -> None:
    t_level = _dss(shared_corpus, "xades-extended-t.xml")
    assert t_level.valid and t_level.xades.level == "B-T"  # type: ignore[attr-defined]
    [stamp] = t_level.timestamps  # type: ignore[attr-defined]
    assert stamp.covers_signature_value and stamp.token_signature_valid
    assert stamp.gen_time is not None
    lt = _dss(shared_corpus, "xades-lta-valid.xml")
    assert lt.xades.level == "B-LT"  # type: ignore[attr-defined]
    assert lt.xades.certificate_values and lt.xades.crl_values and lt.xades.ocsp_values  # type: ignore[attr-defined]
    copied = _dss(shared_corpus, "xades-t-copied-sigtst.xml")
    assert [t.covers_signature_value for t in copied.timestamps] == [False]  # type: ignore[attr-defined]


def test_dss_wrapping_samples(shared_corpus: Path) -> None:
    fake_object = _dss(shared_corpus, "xsw/XSW-enveloping-fake-object.xml")
    objects = {o.get("Id"): o for o in fake_object.element.iter(f"{{{DS}}}Object")}  # type: ignore[attr-defined]
    assert fake_object.references[0].element_path.endswith("/wrapper/ds:Object")  # type: ignore[attr-defined]
    assert fake_object.covers(objects["o-id-1"])  # type: ignore[attr-defined]
    assert not fake_object.covers(objects["evil"])  # type: ignore[attr-defined]
    fake_properties = _dss(shared_corpus, "xsw/XSW-enveloped-fake-signedProperties.xml")
    assert fake_properties.xades.signed_properties_signed is False  # type: ignore[attr-defined]
    assert fake_properties.xades.level == "none"  # type: ignore[attr-defined]
    assert fake_properties.signing_time.signed is False  # type: ignore[attr-defined]


def test_dss_dtd_injection_and_reindented_sample(shared_corpus: Path) -> None:
    with pytest.raises(HostileInputError):
        verify_xml((shared_corpus / "dss-xades" / "xades-with-dtd-injection.xml").read_bytes())
    reindented = _dss(shared_corpus, "valid-xades.xml")
    assert reindented.status is SignatureStatus.INVALID  # type: ignore[attr-defined]
    assert [r.status for r in reindented.references] == [  # type: ignore[attr-defined]
        ReferenceStatus.VALID,
        ReferenceStatus.DIGEST_MISMATCH,
    ]
