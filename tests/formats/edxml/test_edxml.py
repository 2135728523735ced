"""edXML packages (QCVN 102:2016): build, read, check, sign, verify, open attachments."""

from __future__ import annotations

import io
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from edxml_helpers import edit, message
from lxml import etree
from pyhanko.pdf_utils.reader import PdfFileReader

from vnsign.errors import HostileInputError, InputError, MalformedInputError
from vnsign.formats.edxml import (
    EDXML_NS,
    Attachment,
    EnvelopeSignatureStatus,
    FileKind,
    NestingLimits,
    OrganIdFormat,
    build_edxml,
    check_organ_id,
    check_package,
    classify_organ_id,
    inspect_edxml,
    read_edxml,
    sign_edxml,
)
from vnsign.formats.edxml.metadata import message_from_mapping
from vnsign.formats.xml import FindingStatus, SignatureStatus
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI

E = f"{{{EDXML_NS}}}"


def _q(path: str) -> str:
    return "/".join(E + part for part in path.split("/"))


def _findings(package_bytes: bytes, rule: str) -> list[tuple[FindingStatus, str]]:
    return [
        (f.status, f.message) for f in check_package(read_edxml(package_bytes)) if f.rule_id == rule
    ]


def test_round_trip_with_two_signed_pdfs(
    signed_pdfs: tuple[bytes, bytes], agency: KeyCredential
) -> None:
    first, second = signed_pdfs
    msg = message()
    package = build_edxml(
        msg,
        [
            Attachment("1234-UBND-VP.pdf", first),
            Attachment("phu-luc-I.pdf", second, description="Phụ lục"),
        ],
        credential=agency,
    )
    # layout of the VPCP sample: default namespace on edXML, edXML: prefix in the envelope
    root = etree.fromstring(package)
    assert root.tag == E + "edXML" and root.prefix is None
    envelope = root.find(E + "edXMLEnvelope")
    assert envelope.prefix == "edXML"
    assert all(e.prefix == "edXML" for e in envelope.iter(E + "*"))
    assert root.find(E + "AttachmentEncoded").prefix is None

    parsed = read_edxml(package)
    header = parsed.header
    assert header.sender == replace(msg.sender, organization_in_charge=msg.sender.organ_name)
    assert [r.organ_id for r in header.recipients] == ["G09.20", "000.00.00.G22"]
    assert (header.code_number, header.code_notation) == ("1234", "UBND-VP")
    assert header.promulgation_date == "2025/05/01"
    assert header.due_date == "2025/05/15"
    assert header.document_id == "000.00.00.H49,2025/05/01,1234/UBND-VP"
    assert header.signer.full_name == "Nguyễn Văn An" and header.signer.competence == "TM."
    assert header.to_places == ("Bộ Nội vụ", "Văn phòng Chính phủ")
    assert header.appendixes == ("Phụ lục I",)
    assert [t.organ_id for t in header.trace] == ["000.00.00.H49"]
    assert header.business_doc_type == "0"
    assert [m.name for m in parsed.manifest] == ["1234-UBND-VP.pdf", "phu-luc-I.pdf"]
    assert [a.data for a in parsed.attachments] == [first, second]
    assert [m.content_id for m in parsed.manifest] == [a.content_id for a in parsed.attachments]
    assert all(m.href == f"cid:{m.content_id}" for m in parsed.manifest)

    report = inspect_edxml(package)
    assert report.valid, [f for f in report.all_findings if f.failed]
    assert report.signature_status is EnvelopeSignatureStatus.VALID
    [signature] = report.signatures
    assert signature.signer_certificate == agency.certificate
    assert signature.references[0].whole_document
    assert ("EDXML-SIGNATURE", FindingStatus.PASSED) in {
        (f.rule_id, f.status) for f in report.findings
    }
    assert [(p.name, p.data, p.depth) for p in report.pdfs] == [
        ("1234-UBND-VP.pdf", first, 0),
        ("phu-luc-I.pdf", second, 0),
    ]
    for pdf in report.pdfs:  # still signed PDFs, for the PDF verifier
        [embedded] = PdfFileReader(io.BytesIO(pdf.data)).embedded_signatures
        assert embedded.field_name == "ChuKy"
    statuses = {f.rule_id: f.status for f in report.findings}
    for rule in (
        "EDXML-NS",
        "EDXML-HEADER",
        "EDXML-FORMATS",
        "EDXML-TRACE",
        "EDXML-BODY",
        "ORGID-LEGACY",
        "ORGID-QD20",
    ):
        assert statuses[rule] is FindingStatus.PASSED, rule


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.replace(b"V/v th\xe1\xbb\xad nghi\xe1\xbb\x87m", b"V/v sua doi"),  # the subject
        lambda d: d.replace(
            b"<ContentTransferEncoded>JVBER", b"<ContentTransferEncoded>JVBEr", 1
        ),  # a PDF byte
        lambda d: d.replace(b"<AttachmentName>phu-luc-I.pdf", b"<AttachmentName>phu-luc-II.pdf"),
    ],
    ids=["subject", "attachment", "attachment-name"],
)
def test_any_change_to_a_signed_package_is_caught(
    signed_pdfs: tuple[bytes, bytes], agency: KeyCredential, change: Callable[[bytes], bytes]
) -> None:
    package = build_edxml(
        message(),
        [Attachment("1234.pdf", signed_pdfs[0]), Attachment("phu-luc-I.pdf", signed_pdfs[1])],
        credential=agency,
    )
    tampered = change(package)
    assert tampered != package
    report = inspect_edxml(tampered)
    assert report.signature_status is EnvelopeSignatureStatus.INVALID
    assert not report.valid
    assert any(f.rule_id == "EDXML-SIGNATURE" and f.failed for f in report.findings)


@pytest.mark.interop
def test_xmlsec1_accepts_the_envelope_signature(
    tool: Callable[[str], str],
    signed_pdfs: tuple[bytes, bytes],
    agency: KeyCredential,
    vn_pki: TestPKI,
    tmp_path: Path,
) -> None:
    xmlsec1 = tool("xmlsec1")
    package = tmp_path / "goi-tin.edxml"
    package.write_bytes(
        build_edxml(message(), [Attachment("1234.pdf", signed_pdfs[0])], credential=agency)
    )
    root = tmp_path / "gov-root.pem"
    root.write_bytes(vn_pki.gov_root.certificate.public_bytes(Encoding.PEM))
    issuer = tmp_path / "gov-ca.pem"
    issuer.write_bytes(vn_pki.gov_ca.certificate.public_bytes(Encoding.PEM))
    result = subprocess.run(
        [
            xmlsec1,
            "--verify",
            "--trusted-pem",
            str(root),
            "--untrusted-pem",
            str(issuer),
            str(package),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_signing_an_existing_package(
    signed_pdfs: tuple[bytes, bytes], agency: KeyCredential
) -> None:
    unsigned = build_edxml(message(), [Attachment("1234.pdf", signed_pdfs[0])])
    assert inspect_edxml(unsigned).signature_status is EnvelopeSignatureStatus.UNSIGNED
    signed = sign_edxml(unsigned, agency)
    header = etree.fromstring(signed).find(_q("edXMLEnvelope/edXMLHeader"))
    assert [etree.QName(c).localname for c in header] == [
        "MessageHeader",
        "TraceHeaderList",
        "Signature",
    ]
    assert inspect_edxml(signed).signature_status is EnvelopeSignatureStatus.VALID


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("000.00.00.G22", OrganIdFormat.LEGACY),
        ("000.00.18.G12", OrganIdFormat.LEGACY),
        ("G09.20", OrganIdFormat.QD20),
        ("H37.02.02", OrganIdFormat.QD20),
        ("0123456789", OrganIdFormat.QD20),
        ("A" * 35, OrganIdFormat.QD20),
        ("A" * 36, None),
        ("g09.20", None),
        ("G09..20", None),
        ("G09.20.", None),
        ("000-00-00-G22", None),
        ("", None),
    ],
)
def test_organisation_codes(value: str, kind: OrganIdFormat | None) -> None:
    assert classify_organ_id(value) is kind
    findings = check_organ_id(value, "From/OrganId")
    assert any(f.failed for f in findings) is (kind is None)
    if kind is OrganIdFormat.LEGACY:
        assert findings[0].rule_id == "ORGID-LEGACY"


def test_level1_codes() -> None:
    def level(value: str) -> tuple[FindingStatus, str]:
        [finding] = [f for f in check_organ_id(value, "x") if f.rule_id == "ORGID-LEVEL1"]
        return finding.status, finding.message

    assert level("000.00.00.H49") == (FindingStatus.PASSED, "level-1 code H49")
    assert level("K57.01") == (FindingStatus.PASSED, "level-1 code K57")
    assert level("X01.02")[0] is FindingStatus.INFO
    assert level("0123456789")[0] is FindingStatus.INFO
    assert level("ABC.01")[0] is FindingStatus.WARNING


def _unsigned(signed_pdfs: tuple[bytes, bytes]) -> bytes:
    return build_edxml(
        message(), [Attachment("1234.pdf", signed_pdfs[0]), Attachment("pl.pdf", signed_pdfs[1])]
    )


def _set(path: str, text: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        root.find(_q(path)).text = text

    return change


HEADER = "edXMLEnvelope/edXMLHeader/MessageHeader"


@pytest.mark.parametrize(
    ("change", "rule", "status", "fragment"),
    [
        (_set(f"{HEADER}/From/OrganId", "UBND-QN"), "ORGID-QD20", FindingStatus.FAILED, "neither"),
        (_set(f"{HEADER}/To/OrganId", "g09.20"), "ORGID-QD20", FindingStatus.FAILED, "g09.20"),
        (
            _set(f"{HEADER}/PromulgationInfo/PromulgationDate", "2025-05-01"),
            "EDXML-FORMATS",
            FindingStatus.FAILED,
            "YYYY/MM/DD",
        ),
        (
            _set(f"{HEADER}/PromulgationInfo/PromulgationDate", "2025/02/30"),
            "EDXML-FORMATS",
            FindingStatus.FAILED,
            "2025/02/30",
        ),
        (
            _set(f"{HEADER}/DueDate", "15/05/2025"),
            "EDXML-FORMATS",
            FindingStatus.FAILED,
            "15/05/2025",
        ),
        (
            _set(
                "edXMLEnvelope/edXMLHeader/TraceHeaderList/TraceHeader/Timestamp",
                "2025/05/01 25:00:00",
            ),
            "EDXML-FORMATS",
            FindingStatus.FAILED,
            "trace time stamp",
        ),
        (
            _set(f"{HEADER}/DocumentId", "000.00.00.H49,2025/05/01,9999/UBND-VP"),
            "EDXML-FORMATS",
            FindingStatus.WARNING,
            "DocumentId",
        ),
        (
            _set(f"{HEADER}/Subject", "x" * 501),
            "EDXML-HEADER",
            FindingStatus.FAILED,
            "501 characters",
        ),
        (_set(f"{HEADER}/Subject", ""), "EDXML-HEADER", FindingStatus.FAILED, "Subject is missing"),
        (
            _set(f"{HEADER}/DocumentType/Type", "Công văn"),
            "EDXML-HEADER",
            FindingStatus.FAILED,
            "integer",
        ),
        (
            _set(f"{HEADER}/To/OrganId", "000.00.00.G22"),
            "EDXML-HEADER",
            FindingStatus.FAILED,
            "more than once",
        ),
        (
            _set("edXMLEnvelope/edXMLHeader/TraceHeaderList/TraceHeader/OrganId", "000.00.00.G22"),
            "EDXML-TRACE",
            FindingStatus.FAILED,
            "sender",
        ),
        (
            _set("edXMLEnvelope/edXMLBody/edXMLManifest/Reference/AttachmentName", "y" * 201),
            "EDXML-HEADER",
            FindingStatus.FAILED,
            "201 characters",
        ),
        (
            _set("AttachmentEncoded/Attachment/ContentTransferEncoded", "không phải base64!"),
            "EDXML-BODY",
            FindingStatus.FAILED,
            "not valid base64",
        ),
        (
            _set("AttachmentEncoded/Attachment/ContentId", "khac"),
            "EDXML-BODY",
            FindingStatus.FAILED,
            "has no attachment",
        ),
        (
            _set("AttachmentEncoded/Attachment/AttachmentName", "other.pdf"),
            "EDXML-BODY",
            FindingStatus.WARNING,
            "manifest names",
        ),
    ],
)
def test_header_and_body_rules(
    signed_pdfs: tuple[bytes, bytes],
    change: Callable[[etree._Element], None],
    rule: str,
    status: FindingStatus,
    fragment: str,
) -> None:
    package = edit(_unsigned(signed_pdfs), change)
    findings = _findings(package, rule)
    assert any(s is status and fragment in m for s, m in findings), findings
    report = inspect_edxml(package)
    assert report.valid is (status is not FindingStatus.FAILED)


def test_order_and_prefix_problems_are_warnings(signed_pdfs: tuple[bytes, bytes]) -> None:
    def swap(root: etree._Element) -> None:
        header = root.find(_q(HEADER))
        subject = header.find(E + "Subject")
        header.remove(subject)
        header.insert(0, subject)

    findings = _findings(edit(_unsigned(signed_pdfs), swap), "EDXML-HEADER")
    assert (
        FindingStatus.WARNING,
        "MessageHeader children are out of order: Subject, From, To, To, Code, PromulgationInfo, DocumentType, Content, SignerInfo, DueDate, ToPlaces, OtherInfo, SteeringType, DocumentId",
    ) in findings
    unprefixed = _unsigned(signed_pdfs).replace(
        b"edXML:Subject>", b"Subject xmlns='" + EDXML_NS.encode() + b"'>", 1
    )
    unprefixed = unprefixed.replace(b"</edXML:Subject>", b"</Subject>", 1)
    assert _findings(unprefixed, "EDXML-NS")[0][0] is FindingStatus.WARNING


def test_the_builder_refuses_headers_that_break_the_rules(signed_pdfs: tuple[bytes, bytes]) -> None:
    with pytest.raises(InputError, match=r"EDXML-HEADER .*Subject"):
        build_edxml(message(subject="x" * 600), [Attachment("a.pdf", signed_pdfs[0])])
    from vnsign.formats.edxml import Organization

    with pytest.raises(InputError, match="ORGID-QD20"):
        build_edxml(message(sender=Organization("ubnd quang ninh", "UBND")), [])
    with pytest.raises(InputError, match="recipient"):
        build_edxml(message(recipients=()), [])


def _nested_package(inner_pdf: bytes) -> bytes:
    """A package whose attachment is a zip (declared as a PDF) holding another
    edXML package whose attachment is the signed PDF (OBS-EDXML-NESTING)."""
    inner = build_edxml(message(), [Attachment("qd-1234.pdf", inner_pdf)])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("goi-tin.edxml", inner)
        bundle.writestr("ghi-chu.txt", "Hồ sơ kèm theo")
    return build_edxml(
        message(), [Attachment("ho-so.pdf", archive.getvalue(), content_type="application/pdf")]
    )


def test_nested_zip_and_package_are_opened(signed_pdfs: tuple[bytes, bytes]) -> None:
    report = inspect_edxml(_nested_package(signed_pdfs[0]))
    assert report.valid
    [pdf] = report.pdfs
    assert pdf.path == ("ho-so.pdf", "goi-tin.edxml", "qd-1234.pdf")
    assert pdf.data == signed_pdfs[0]
    assert pdf.depth == 2
    kinds = [(f.path, f.kind) for f in report.all_files]
    assert (("ho-so.pdf",), FileKind.ZIP) in kinds
    assert (("ho-so.pdf", "goi-tin.edxml"), FileKind.EDXML) in kinds
    assert (("ho-so.pdf", "ghi-chu.txt"), FileKind.OTHER) in kinds
    [nested] = report.nested
    assert nested.package.header.document_id == "000.00.00.H49,2025/05/01,1234/UBND-VP"
    notes = [f for f in report.findings if f.rule_id == "OBS-EDXML-NESTING"]
    assert [(f.status, f.message) for f in notes] == [
        (FindingStatus.INFO, "ho-so.pdf is declared application/pdf but is zip")
    ]


def test_nesting_depth_is_bounded(signed_pdfs: tuple[bytes, bytes]) -> None:
    package = build_edxml(message(), [Attachment("qd.pdf", signed_pdfs[0])])
    for level in range(4):
        package = build_edxml(
            message(), [Attachment(f"goi-{level}.edxml", package, content_type="application/xml")]
        )
    report = inspect_edxml(package, limits=NestingLimits(max_depth=3))
    assert not report.valid
    assert report.pdfs == ()
    failures = [f.message for f in report.all_findings if f.failed]
    assert len(failures) == 1 and "nests deeper than 3 levels" in failures[0]
    assert len(inspect_edxml(package, limits=NestingLimits(max_depth=5)).pdfs) == 1


def test_zip_bombs_and_budgets_are_refused_as_findings() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("zeros.bin", b"\0" * (50 * 1024 * 1024))
    assert len(bomb.getvalue()) < 200_000
    package = build_edxml(
        message(), [Attachment("bomb.zip", bomb.getvalue(), content_type="application/zip")]
    )
    started = time.perf_counter()
    report = inspect_edxml(package)
    assert time.perf_counter() - started < 1.0
    [failure] = [f for f in report.findings if f.failed]
    assert "refused" in failure.message and "zip bomb" in failure.message

    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as bundle:
        for n in range(20):
            bundle.writestr(f"f{n}.txt", "x")
    package = build_edxml(
        message(), [Attachment("many.zip", many.getvalue(), content_type="application/zip")]
    )
    report = inspect_edxml(package, limits=NestingLimits(max_zip_members=10))
    assert any("20 members" in f.message for f in report.findings if f.failed)
    report = inspect_edxml(package, limits=NestingLimits(max_total_bytes=500))
    assert any("expand to more than 500 bytes" in f.message for f in report.findings if f.failed)


def test_a_hostile_nested_package_is_a_finding_not_a_crash(
    signed_pdfs: tuple[bytes, bytes],
) -> None:
    hostile = (
        b'<!DOCTYPE edXML [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><edXML xmlns="'
        + EDXML_NS.encode()
        + b'">&b;</edXML>'
    )
    package = build_edxml(
        message(),
        [
            Attachment("x.edxml", hostile, content_type="application/xml"),
            Attachment("qd.pdf", signed_pdfs[0]),
        ],
    )
    report = inspect_edxml(package)
    [failure] = [f for f in report.findings if f.failed]
    assert failure.rule_id == "OBS-EDXML-NESTING"
    assert failure.message.startswith("x.edxml refused:")
    assert len(report.pdfs) == 1


def test_signature_blocks_that_are_not_xmldsig(signed_pdfs: tuple[bytes, bytes]) -> None:
    unsigned = _unsigned(signed_pdfs)

    def add(block: str) -> Callable[[etree._Element], None]:
        def change(root: etree._Element) -> None:
            root.find(_q("edXMLEnvelope/edXMLHeader")).append(etree.fromstring(block))

        return change

    empty = edit(unsigned, add(f'<edXML:DigitalSignature xmlns:edXML="{EDXML_NS}"/>'))
    report = inspect_edxml(empty)
    assert report.signature_status is EnvelopeSignatureStatus.EMPTY and report.valid
    # as in circulated samples: a Signature in the edXML namespace, truncated certificate
    fake = (
        f'<edXML:Signature xmlns:edXML="{EDXML_NS}"><edXML:SignedInfo><edXML:Reference URI="">'
        '<edXML:Transforms><edXML:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#nothing"/>'
        "</edXML:Transforms></edXML:Reference></edXML:SignedInfo><edXML:SignatureValue>AAAA"
        "</edXML:SignatureValue><edXML:KeyInfo><edXML:X509Data><edXML:X509Certificate>MIIB"
        "</edXML:X509Certificate></edXML:X509Data></edXML:KeyInfo></edXML:Signature>"
    )
    report = inspect_edxml(edit(unsigned, add(fake)))
    assert report.signature_status is EnvelopeSignatureStatus.NOT_XMLDSIG
    assert report.valid  # never "tampered": it simply is no XMLDSig signature
    assert [f.status for f in report.findings if f.rule_id == "OBS-EDXML-NESTING"] == [
        FindingStatus.WARNING
    ]


def test_unusable_top_level_input_raises() -> None:
    with pytest.raises(MalformedInputError, match="not an edXML package"):
        inspect_edxml(b"<HoSo/>")
    with pytest.raises(MalformedInputError, match="edXMLEnvelope"):
        inspect_edxml(f'<edXML xmlns="{EDXML_NS}"/>'.encode())
    with pytest.raises(HostileInputError):
        inspect_edxml(
            f'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/x.dtd"><edXML xmlns="{EDXML_NS}"/>'.encode()
        )
    with pytest.raises(HostileInputError, match="decodes to more than"):
        read_edxml(_nested_package(b"%PDF-1.7"), max_attachment_bytes=10)


def test_metadata_mapping() -> None:
    fields = {
        "sender": {"organ_id": "000.00.00.H49", "organ_name": "UBND tỉnh Quảng Ninh"},
        "recipients": [{"organ_id": "G09.20", "organ_name": "Bộ Nội vụ"}],
        "code": {"number": "12", "notation": "UBND-VP"},
        "promulgation_date": "2025/05/01",
        "place": "Quảng Ninh",
        "document_type": "1",
        "document_type_name": "Công văn",
        "subject": "Thử nghiệm",
        "signer": {"full_name": "Nguyễn Văn An", "position": "Chủ tịch"},
        "other": {"appendixes": ["Phụ lục I"]},
    }
    built = message_from_mapping(fields)
    assert built.effective_document_id == "000.00.00.H49,2025/05/01,12/UBND-VP"
    assert built.document_type == 1 and built.other.appendixes == ("Phụ lục I",)
    with pytest.raises(InputError, match="'subject'"):
        message_from_mapping({k: v for k, v in fields.items() if k != "subject"})
    with pytest.raises(InputError, match="not a date"):
        message_from_mapping({**fields, "promulgation_date": "01/05/2025"})
    with pytest.raises(InputError, match="unknown keys"):
        message_from_mapping({**fields, "sender": {**fields["sender"], "fax_number": "1"}})  # type: ignore[dict-item]


def test_envelope_signature_that_leaves_attachments_out_is_a_warning(
    signed_pdfs: tuple[bytes, bytes], agency: KeyCredential
) -> None:
    from vnsign.formats.xml import ReferenceSpec, XmlSignOptions
    from vnsign.formats.xml.signing import sign_in_tree

    unsigned = _unsigned(signed_pdfs)
    root = etree.fromstring(unsigned)
    header = root.find(_q("edXMLEnvelope/edXMLHeader"))
    header.set("Id", "header")

    def place(signature: etree._Element) -> etree._ElementTree:
        header.append(signature)
        return root.getroottree()

    sign_in_tree(agency, XmlSignOptions(), references=[ReferenceSpec("#header")], place=place)
    report = inspect_edxml(etree.tostring(root))
    assert report.signature_status is EnvelopeSignatureStatus.VALID
    [finding] = [f for f in report.findings if f.rule_id == "EDXML-SIGNATURE"]
    assert finding.status is FindingStatus.WARNING
    assert "attachment 1234.pdf" in finding.message and "MessageHeader" not in finding.message
    assert report.signatures[0].status is SignatureStatus.VALID


def test_large_attachments_round_trip(agency: KeyCredential) -> None:
    scan = b"%PDF-1.4\n" + bytes(range(256)) * (11 * 4096)  # an 11 MB scanned document
    package = build_edxml(message(), [Attachment("ban-quet.pdf", scan)], credential=agency)
    report = inspect_edxml(package)
    assert report.valid
    assert report.signature_status is EnvelopeSignatureStatus.VALID
    assert [p.data for p in report.pdfs] == [scan]
