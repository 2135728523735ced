"""The e-invoice profile: signing as seller, buyer, other signer and tax authority
the way Vietnamese e-invoices are signed, and verifying against the EINV-* rules."""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from einvoice_helpers import SELLER_MST, invoice_xml, resign
from lxml import etree

from vnsign.errors import HostileInputError, MalformedInputError, SigningError
from vnsign.formats.einvoice import (
    InvoiceRole,
    InvoiceSignOptions,
    sign_invoice,
    verify_invoice,
)
from vnsign.formats.xml import FindingStatus, ReferenceQuirk, parse_xml
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.times import VIETNAM
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestIdentity, TestPKI

C14N_2001 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def _ds(local: str) -> str:
    return f"{{{DS}}}{local}"


def _children(element: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in element if isinstance(c.tag, str)]


def _statuses(report: object, rule: str) -> list[FindingStatus]:
    return [f.status for f in report.all_findings if f.rule_id == rule]  # type: ignore[attr-defined]


def test_seller_signature_has_the_einv_structure_element_by_element(seller: KeyCredential) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    unsigned = invoice_xml()
    signed = sign_invoice(unsigned, seller, InvoiceRole.SELLER)
    assert unsigned == invoice_xml()  # input untouched
    invoice = parse_xml(signed).getroot()
    assert _children(invoice) == ["DLHDon", "DSCKS"]
    assert _children(invoice.find("DSCKS")) == ["NBan", "NMua"]
    assert invoice.find("DSCKS/NMua/Signature") is not None  # the no-namespace placeholder stays
    [signature] = invoice.find("DSCKS/NBan")
    assert signature.tag == _ds("Signature")
    assert signature.prefix is None and signature.nsmap == {None: DS}  # default namespace
    signature_id = signature.get("Id")
    assert re.fullmatch(r"Signature-[0-9a-f]{32}", signature_id)
    assert _children(signature) == ["SignedInfo", "SignatureValue", "KeyInfo", "Object"]

    info = signature.find(_ds("SignedInfo"))
    assert _children(info) == [
        "CanonicalizationMethod",
        "SignatureMethod",
        "Reference",
        "Reference",
    ]
    assert info.find(_ds("CanonicalizationMethod")).get("Algorithm") == C14N_2001
    assert info.find(_ds("SignatureMethod")).get("Algorithm") == RSA_SHA256
    data_ref, time_ref = info.findall(_ds("Reference"))
    assert data_ref.get("URI") == "#DLHDon-C25TAA-123"
    assert _children(data_ref) == ["Transforms", "DigestMethod", "DigestValue"]
    assert [t.get("Algorithm") for t in data_ref.find(_ds("Transforms"))] == [ENVELOPED]
    assert data_ref.find(_ds("DigestMethod")).get("Algorithm") == SHA256
    assert len(base64.b64decode(data_ref.findtext(_ds("DigestValue")))) == 32
    obj = signature.find(_ds("Object"))
    assert time_ref.get("URI") == f"#{obj.get('Id')}"
    assert _children(time_ref) == ["DigestMethod", "DigestValue"]  # no transforms
    assert re.fullmatch(r"SigningTime-[0-9a-f]{32}", obj.get("Id"))

    key_info = signature.find(_ds("KeyInfo"))
    assert _children(key_info) == ["X509Data"]
    data = key_info.find(_ds("X509Data"))
    assert _children(data) == ["X509SubjectName", "X509Certificate"]
    assert "UID=MST:0123456789" in data.findtext(_ds("X509SubjectName"))
    certificate_der = base64.b64decode(data.findtext(_ds("X509Certificate")))
    assert certificate_der == seller.certificate.public_bytes(Encoding.DER)

    [properties] = obj
    assert properties.tag == "SignatureProperties"  # no namespace, xmlns=""
    assert b'<SignatureProperties xmlns="">' in signed
    [prop] = properties
    assert prop.tag == "SignatureProperty" and prop.get("Target") == f"#{signature_id}"
    [signing_time] = prop
    assert signing_time.tag == "SigningTime"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", signing_time.text)
    claimed = datetime.fromisoformat(signing_time.text).replace(tzinfo=VIETNAM)
    assert before <= claimed <= datetime.now(UTC) + timedelta(seconds=1)

    report = verify_invoice(signed)
    assert report.valid, report.failures()
    [seller_signature] = report.signatures
    assert seller_signature.role is InvoiceRole.SELLER
    assert seller_signature.data_reference.element is report.invoice.find("DLHDon")
    assert seller_signature.signing_time.value == claimed
    assert seller_signature.signing_time.signed
    for rule in (
        "EINV-STRUCTURE",
        "EINV-REFS",
        "EINV-C14N",
        "EINV-ALGS",
        "EINV-SIGNINGTIME",
        "EINV-KEYINFO",
        "EINV-MST-MATCH",
        "TT15-VERIFY",
    ):
        assert set(_statuses(report, rule)) == {FindingStatus.PASSED}, rule
    assert report.info.seller_mst == SELLER_MST
    assert (report.info.series, report.info.number, report.info.total) == (
        "C25TAA",
        "123",
        "34650000",
    )


LINE_CHANGES = [
    ("<SLuong>7</SLuong>", "<SLuong>8</SLuong>"),
    (
        "<DGia>150000</DGia><TLCKhau>0</TLCKhau><STCKhau>0</STCKhau><ThTien>3000000</ThTien>",
        "<DGia>150001</DGia><TLCKhau>0</TLCKhau><STCKhau>0</STCKhau><ThTien>3000000</ThTien>",
    ),
    ("Hàng hóa thử nghiệm số 1<", "Hàng hoá thử nghiệm số 1<"),  # NFC vs NFD-like spelling
    ("<TSuat>10%</TSuat></HHDVu>", "<TSuat>8%</TSuat></HHDVu>"),
    ("<TgTTTBSo>34650000</TgTTTBSo>", "<TgTTTBSo>3465000</TgTTTBSo>"),
    ("<MST>0312345678</MST>", "<MST>0312345679</MST>"),
]


@pytest.mark.parametrize(("old", "new"), LINE_CHANGES)
def test_changing_any_invoice_line_after_signing_fails(
    seller: KeyCredential, old: str, new: str
) -> None:
    signed = sign_invoice(invoice_xml(), seller)
    assert old.encode() in signed
    report = verify_invoice(signed.replace(old.encode(), new.encode(), 1))
    assert not report.valid
    [failure] = report.failures()
    assert failure.rule_id == "TT15-VERIFY"
    assert failure.message.startswith("the invoice data (DLHDon) changed after signing")
    assert failure.subject == "seller"


def test_every_one_of_twenty_lines_is_covered(seller: KeyCredential) -> None:
    signed = sign_invoice(invoice_xml(20), seller)
    for n in range(1, 21):
        changed = signed.replace(f"<STT>{n}</STT>".encode(), f"<STT>{n + 100}</STT>".encode())
        assert changed != signed
        assert not verify_invoice(changed).valid


def test_changed_signing_time_says_which_reference_failed(seller: KeyCredential) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    signed = sign_invoice(invoice_xml(), seller, options=InvoiceSignOptions(signing_time=at))
    written = at.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M:%S")
    assert f"<SigningTime>{written}</SigningTime>".encode() in signed
    earlier = (at - timedelta(minutes=30)).astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M:%S")
    report = verify_invoice(signed.replace(written.encode(), earlier.encode()))
    [failure] = report.failures()
    assert failure.message.startswith(
        "the signature properties (SigningTime) changed after signing"
    )


def test_reindenting_breaks_the_signature_and_says_where(seller: KeyCredential) -> None:
    # OBS-WHITESPACE: vnsign never normalises whitespace.
    tree = parse_xml(sign_invoice(invoice_xml(3), seller))
    etree.indent(tree, space="    ")
    report = verify_invoice(etree.tostring(tree))
    messages = [f.message for f in report.failures()]
    assert any(m.startswith("the invoice data (DLHDon) changed") for m in messages)


def test_buyer_and_other_signers(
    seller: KeyCredential, buyer: KeyCredential, vn_pki: TestPKI
) -> None:
    by_seller = sign_invoice(invoice_xml(), seller)
    by_buyer = sign_invoice(by_seller, buyer, InvoiceRole.BUYER)
    other = KeyCredential(
        vn_pki.person_in_org.private_key,
        vn_pki.person_in_org.certificate,
        vn_pki.person_in_org.chain,
    )
    by_all = sign_invoice(by_buyer, other, "other")
    invoice = parse_xml(by_all).getroot()
    assert _children(invoice.find("DSCKS")) == ["NBan", "NMua", "CCKSKhac"]
    assert invoice.find("DSCKS/NMua/Signature") is None  # placeholder replaced
    assert invoice.find(f"DSCKS/NMua/{_ds('Signature')}") is not None
    report = verify_invoice(by_all)
    assert report.valid, report.failures()
    assert [s.role for s in report.signatures] == [
        InvoiceRole.SELLER,
        InvoiceRole.BUYER,
        InvoiceRole.OTHER,
    ]
    assert report.signature("buyer").signature.signer_certificate == buyer.certificate
    assert not any(f.rule_id == "EINV-MST-MATCH" for f in report.signature("buyer").findings)
    with pytest.raises(SigningError, match="already has a seller signature"):
        sign_invoice(by_all, seller)


def test_tax_authority_signature_chains_to_the_government_ca(
    seller: KeyCredential, tax_authority: KeyCredential, vn_pki: TestPKI
) -> None:
    coded = sign_invoice(
        sign_invoice(invoice_xml(), seller),
        tax_authority,
        InvoiceRole.TAX_AUTHORITY,
        InvoiceSignOptions(tax_authority_code="M1-25-ABCDE-00000000123"),
    )
    invoice = parse_xml(coded).getroot()
    assert _children(invoice) == ["DLHDon", "MCCQT", "DSCKS"]
    assert invoice.findtext("MCCQT") == "M1-25-ABCDE-00000000123"
    report = verify_invoice(coded)
    assert report.valid, report.failures()
    assert report.info.tax_authority_code == "M1-25-ABCDE-00000000123"
    cqt = report.signature(InvoiceRole.TAX_AUTHORITY)
    assert cqt is not None
    assert (
        cqt.data_reference.element is invoice.find("MCCQT")
        or cqt.data_reference.element_path == "/HDon/MCCQT"
    )
    certificate = cqt.signature.signer_certificate
    assert certificate.issuer == vn_pki.gov_ca.certificate.subject
    certificate.verify_directly_issued_by(vn_pki.gov_ca.certificate)
    assert vn_pki.gov_ca.certificate.issuer == vn_pki.gov_root.certificate.subject
    assert set(_statuses(report, "EINV-TAX-CERT")) == {FindingStatus.PASSED}
    assert report.signature(InvoiceRole.SELLER).valid  # adding MCCQT did not touch DLHDon
    with pytest.raises(SigningError, match="MCCQT"):
        sign_invoice(invoice_xml(), tax_authority, InvoiceRole.TAX_AUTHORITY)


def test_seller_tax_code_must_match_the_certificate(
    seller: KeyCredential, vn_make_cert: Callable[..., TestIdentity]
) -> None:
    other_company = invoice_xml(seller_mst="0999999999")
    with pytest.raises(SigningError, match="EINV-MST-MATCH"):
        sign_invoice(other_company, seller)
    signed = sign_invoice(other_company, seller, options=InvoiceSignOptions(check_seller_mst=False))
    report = verify_invoice(signed)
    assert not report.valid
    [failure] = report.failures()
    assert failure.rule_id == "EINV-MST-MATCH"
    assert "0123456789" in failure.message and "0999999999" in failure.message

    branch_identity = vn_make_cert(profile="organization")  # MST 0123456789-00n, a branch
    branch = KeyCredential(
        branch_identity.private_key, branch_identity.certificate, branch_identity.chain
    )
    report = verify_invoice(sign_invoice(invoice_xml(), branch))
    assert report.valid
    assert _statuses(report, "EINV-MST-MATCH") == [FindingStatus.WARNING]

    person_identity = vn_make_cert(profile="person")
    person = KeyCredential(
        person_identity.private_key, person_identity.certificate, person_identity.chain
    )
    with pytest.raises(SigningError, match="carries no tax code"):
        sign_invoice(invoice_xml(), person)


def _seller_key(vn_pki: TestPKI) -> object:
    return vn_pki.organization.private_key


def test_dotnet_enveloped_object_quirk_is_accepted_and_reported(
    seller: KeyCredential, vn_pki: TestPKI
) -> None:
    def add_enveloped_transform(signature: etree._Element) -> None:
        reference = signature.find(_ds("SignedInfo")).findall(_ds("Reference"))[1]
        transforms = etree.Element(_ds("Transforms"))
        etree.SubElement(transforms, _ds("Transform")).set("Algorithm", ENVELOPED)
        reference.insert(0, transforms)

    signed = sign_invoice(invoice_xml(), seller)
    quirky = resign(
        signed, vn_pki.organization.private_key, add_enveloped_transform, dotnet_enveloped=True
    )
    report = verify_invoice(quirky)
    assert report.valid, report.failures()
    [signature] = report.signatures
    assert signature.signing_time_reference.quirk is ReferenceQuirk.DOTNET_ENVELOPED_OBJECT
    assert _statuses(report, "OBS-EINVOICE-ENVELOPED-OBJECT") == [FindingStatus.INFO]
    assert not any("tamper" in f.message for f in report.all_findings)
    # strict semantics (what xmlsec1 computes) would have digested nothing
    strict = resign(signed, vn_pki.organization.private_key, add_enveloped_transform)
    assert verify_invoice(strict).valid


def test_lenient_traits_of_real_invoices(seller: KeyCredential, vn_pki: TestPKI) -> None:
    signed = sign_invoice(invoice_xml(), seller)

    def empty_target(signature: etree._Element) -> None:
        signature.find(f"{_ds('Object')}/SignatureProperties/SignatureProperty").set("Target", "")

    report = verify_invoice(resign(signed, vn_pki.organization.private_key, empty_target))
    assert report.valid
    assert FindingStatus.INFO in _statuses(report, "OBS-EINVOICE-TRAITS")

    # .NET spelling of the subject, rewritten after signing (KeyInfo is not signed)
    dotnet_name = (
        "OID.0.9.2342.19200300.100.1.1=MST:0123456789, CN=CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN, "
        "O=CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN, L=Quận Cầu Giấy, S=Hà Nội, C=VN"
    )
    tree = parse_xml(signed)
    tree.find(f".//{_ds('X509SubjectName')}").text = dotnet_name
    report = verify_invoice(etree.tostring(tree))
    assert report.valid
    assert set(_statuses(report, "EINV-KEYINFO")) == {FindingStatus.PASSED}
    tree.find(f".//{_ds('X509SubjectName')}").text = "CN=Somebody Else, UID=MST:0999999999"
    report = verify_invoice(etree.tostring(tree))
    assert report.valid  # a portal-side string, not part of the signature
    assert FindingStatus.WARNING in _statuses(report, "EINV-KEYINFO")


@pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")
def test_hex_encoded_email_and_long_common_names(vn_pki: TestPKI) -> None:
    long_name = "CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN THƯƠNG MẠI DỊCH VỤ XUẤT NHẬP KHẨU THỬ NGHIỆM VNSIGN VIỆT NAM"
    assert len(long_name) > 64
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CÔNG TY THỬ NGHIỆM"),
            x509.NameAttribute(NameOID.USER_ID, f"MST:{SELLER_MST}"),
            # real CAs issue CNs up to 127 characters (OBS-EINVOICE-TRAITS)
            x509.NameAttribute(NameOID.COMMON_NAME, long_name, _validate=False),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ketoan@vnsign.test"),
        ]
    )
    identity = vn_pki.issue("organization", subject=subject)
    credential = KeyCredential(identity.private_key, identity.certificate, identity.chain)
    signed = sign_invoice(invoice_xml(), credential)
    report = verify_invoice(signed)
    assert report.valid, report.failures()
    assert report.signatures[0].certificate_info.common_name == long_name
    email_hex = "#16" + f"{len('ketoan@vnsign.test'):02x}" + b"ketoan@vnsign.test".hex()
    tree = parse_xml(signed)
    tree.find(f".//{_ds('X509SubjectName')}").text = (
        f"E={email_hex}, CN={long_name}, OID.0.9.2342.19200300.100.1.1=MST:{SELLER_MST}, "
        "O=CÔNG TY THỬ NGHIỆM, C=VN"
    )
    report = verify_invoice(etree.tostring(tree))
    assert set(_statuses(report, "EINV-KEYINFO")) == {FindingStatus.PASSED}


@pytest.mark.parametrize(
    ("spell", "status"),
    [
        (lambda t: t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), FindingStatus.INFO),
        (lambda t: t.astimezone(VIETNAM).isoformat(), FindingStatus.INFO),
        (lambda t: t.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M:%S"), FindingStatus.PASSED),
    ],
    ids=["utc-z", "offset", "local"],
)
def test_signing_time_spellings(
    seller: KeyCredential, vn_pki: TestPKI, spell: Callable[[datetime], str], status: FindingStatus
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    report = verify_invoice(
        _with_signing_time(sign_invoice(invoice_xml(), seller), vn_pki, spell(at))
    )
    assert report.valid, report.failures()
    assert status in _statuses(report, "EINV-SIGNINGTIME")
    assert report.signatures[0].signing_time.value == at


def _with_signing_time(signed: bytes, vn_pki: TestPKI, text: str) -> bytes:
    def set_time(signature: etree._Element) -> None:
        path = f"{_ds('Object')}/SignatureProperties/SignatureProperty/SigningTime"
        signature.find(path).text = text

    return resign(signed, vn_pki.organization.private_key, set_time)


def test_signing_time_outside_the_certificate_or_unreadable(
    seller: KeyCredential, vn_pki: TestPKI
) -> None:
    signed = sign_invoice(invoice_xml(), seller)
    too_early = verify_invoice(_with_signing_time(signed, vn_pki, "2000-01-01T00:00:00"))
    [failure] = too_early.failures()
    assert (
        failure.rule_id == "EINV-SIGNINGTIME"
        and "outside the certificate's validity" in failure.message
    )
    unreadable = verify_invoice(_with_signing_time(signed, vn_pki, "01/05/2025 17:00"))
    [failure] = unreadable.failures()
    assert failure.rule_id == "EINV-SIGNINGTIME" and "unreadable" in failure.message
    assert unreadable.signatures[0].signing_time.value is None


def test_sha1_invoices_verify_with_a_warning(seller: KeyCredential, vn_pki: TestPKI) -> None:
    signed = sign_invoice(invoice_xml(), seller)

    def to_sha1(signature: etree._Element) -> None:
        info = signature.find(_ds("SignedInfo"))
        info.find(_ds("SignatureMethod")).set(
            "Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
        )
        for method in info.iter(_ds("DigestMethod")):
            method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")

    report = verify_invoice(resign(signed, vn_pki.organization.private_key, to_sha1))
    assert report.valid
    assert _statuses(report, "EINV-ALGS") == [FindingStatus.WARNING]
    assert report.signatures[0].signature.uses_sha1


def test_invoice_data_outside_the_signed_element_is_not_trusted(seller: KeyCredential) -> None:
    signed = sign_invoice(invoice_xml(), seller)
    tree = parse_xml(signed)
    invoice = tree.getroot()
    original = invoice.find("DLHDon")
    # Wrapping: hide the signed DLHDon, show a forged one where readers look.
    forged = etree.fromstring(etree.tostring(original))
    forged.set("Id", "DLHDon-forged")
    forged.find("NDHDon/TToan/TgTTTBSo").text = "1"
    hidden = etree.SubElement(invoice.find("DSCKS"), "Extra")
    invoice.replace(original, forged)
    hidden.append(original)
    report = verify_invoice(etree.tostring(tree))
    seller_signature = report.signatures[0]
    assert seller_signature.signature.valid  # the digests hold: the real data still exists
    assert not report.valid
    [failure] = report.failures()
    assert failure.rule_id == "EINV-REFS"
    assert "signature wrapping" in failure.message
    assert report.info.total == "34650000"  # read from what was signed, not from the forgery
    assert not seller_signature.signature.covers(forged)

    # a forged copy with the same Id makes the reference ambiguous
    tree = parse_xml(signed)
    copy = etree.fromstring(etree.tostring(tree.getroot().find("DLHDon")))
    tree.getroot().find("DSCKS").append(copy)
    report = verify_invoice(etree.tostring(tree))
    assert not report.valid
    assert "occurs 2 times" in report.failures()[0].message


def test_invoices_in_a_transmission_envelope(seller: KeyCredential) -> None:
    wrapped = (
        b"<TDiep><TTChung><MLTDiep>200</MLTDiep></TTChung><DLieu>"
        + invoice_xml().split(b"?>", 1)[1]
        + b"</DLieu></TDiep>"
    )
    signed = sign_invoice(wrapped, seller)
    report = verify_invoice(signed)
    assert report.valid
    assert report.signatures[0].signature.path == "/TDiep/DLieu/HDon/DSCKS/NBan/Signature"


def test_unsigned_and_unusable_invoices() -> None:
    report = verify_invoice(invoice_xml())
    assert not report.valid
    assert _statuses(report, "EINV-LEGAL") == [FindingStatus.WARNING]
    with pytest.raises(MalformedInputError, match="found 0"):
        verify_invoice(b"<HoaDon/>")
    with pytest.raises(MalformedInputError, match="found 2"):
        verify_invoice(b"<T><HDon/><HDon/></T>")
    with pytest.raises(HostileInputError):
        verify_invoice(b'<!DOCTYPE HDon [<!ENTITY x "y">]><HDon>&x;</HDon>')


def test_missing_invoice_id_is_added_before_the_first_signature(seller: KeyCredential) -> None:
    unsigned = invoice_xml().replace(b' Id="DLHDon-C25TAA-123"', b"")
    signed = sign_invoice(unsigned, seller)
    assert b'<DLHDon Id="DLHDon">' in signed
    assert verify_invoice(signed).valid


@pytest.mark.interop
def test_xmlsec1_accepts_vnsign_invoices_and_rejects_the_dotnet_quirk(
    tool: Callable[[str], str],
    seller: KeyCredential,
    tax_authority: KeyCredential,
    vn_pki: TestPKI,
    tmp_path: Path,
) -> None:
    xmlsec1 = tool("xmlsec1")
    trust: list[str] = []
    for option, name, cert in (
        ("--trusted-pem", "national-root", vn_pki.national_root.certificate),
        ("--trusted-pem", "gov-root", vn_pki.gov_root.certificate),
        ("--untrusted-pem", "public-ca", vn_pki.public_ca.certificate),
        ("--untrusted-pem", "gov-ca", vn_pki.gov_ca.certificate),
    ):
        path = tmp_path / f"{name}.pem"  # xmlsec1 reads one certificate per file
        path.write_bytes(cert.public_bytes(Encoding.PEM))
        trust += [option, str(path)]
    coded = sign_invoice(
        sign_invoice(invoice_xml(), seller),
        tax_authority,
        InvoiceRole.TAX_AUTHORITY,
        InvoiceSignOptions(tax_authority_code="M1-25-TEST"),
    )

    def xmlsec(data: bytes, role: str) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "invoice.xml"
        path.write_bytes(data)
        return subprocess.run(
            [
                xmlsec1,
                "--verify",
                *trust,
                "--id-attr:Id",
                "DLHDon",
                "--id-attr:Id",
                "MCCQT",
                "--id-attr:Id",
                f"{DS}:Object",
                "--node-xpath",
                f"//*[local-name()='{role}']/*[local-name()='Signature']",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    for role in ("NBan", "CQT"):
        result = xmlsec(coded, role)
        assert result.returncode == 0, (role, result.stderr)

    def add_enveloped_transform(signature: etree._Element) -> None:
        reference = signature.find(_ds("SignedInfo")).findall(_ds("Reference"))[1]
        transforms = etree.Element(_ds("Transforms"))
        etree.SubElement(transforms, _ds("Transform")).set("Algorithm", ENVELOPED)
        reference.insert(0, transforms)

    quirky = resign(
        sign_invoice(invoice_xml(), seller),
        vn_pki.organization.private_key,
        add_enveloped_transform,
        dotnet_enveloped=True,
    )
    assert xmlsec(quirky, "NBan").returncode != 0  # strict XPath semantics: digest of nothing
    assert verify_invoice(quirky).valid  # vnsign accepts it as .NET does, and says so


def test_signature_container_is_created_in_order(
    seller: KeyCredential, buyer: KeyCredential
) -> None:
    unsigned = invoice_xml(placeholders=False).replace(
        b"</DLHDon>", b"</DLHDon><DLQRCode>QR</DLQRCode>"
    )
    signed = sign_invoice(sign_invoice(unsigned, buyer, InvoiceRole.BUYER), seller)
    invoice = parse_xml(signed).getroot()
    assert _children(invoice) == ["DLHDon", "DLQRCode", "DSCKS"]
    assert _children(invoice.find("DSCKS")) == ["NBan", "NMua"]
    assert verify_invoice(signed).valid
