"""Helpers for the edXML tests (imported, not collected): signed PDFs made with
pyHanko directly, and a typical outgoing document header."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from lxml import etree
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from vnsign.formats.edxml import DocumentCode, EdxmlMessage, Organization, OtherInfo, SignerInfo
from vnsign.testing import TestIdentity


def _pdf(text: str) -> bytes:
    writer = PdfFileWriter()
    name = generic.pdf_name
    font = generic.DictionaryObject(
        {
            name("/Type"): name("/Font"),
            name("/Subtype"): name("/Type1"),
            name("/BaseFont"): name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {name("/Font"): generic.DictionaryObject({name("/F1"): writer.add_object(font)})}
    )
    content = generic.StreamObject(stream_data=f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode())
    writer.insert_page(
        PageObject(
            contents=writer.add_object(content), media_box=[0, 0, 595, 842], resources=resources
        )
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf(identity: TestIdentity, text: str) -> bytes:
    """A one-page PDF signed by ``identity`` with pyHanko (adbe.pkcs7.detached)."""
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(identity.cert_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            identity.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in identity.chain]
        ),
    )
    writer = IncrementalPdfFileWriter(BytesIO(_pdf(text)))
    return signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name="ChuKy"), signer=signer
    ).getvalue()


def message(**changes: object) -> EdxmlMessage:
    """A công văn from UBND tỉnh Quảng Ninh (legacy code) to Bộ Nội vụ (QĐ 20/2020 code)."""
    fields: dict[str, object] = {
        "sender": Organization(
            "000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh", email="vanthu@quangninh.gov.vn"
        ),
        "recipients": (
            Organization("G09.20", "Bộ Nội vụ"),
            Organization("000.00.00.G22", "Văn phòng Chính phủ"),
        ),
        "code": DocumentCode("1234", "UBND-VP"),
        "promulgation_date": date(2025, 5, 1),
        "place": "Quảng Ninh",
        "document_type": 1,
        "document_type_name": "Công văn",
        "subject": "V/v thử nghiệm trao đổi văn bản điện tử",
        "signer": SignerInfo("Nguyễn Văn An", "Chủ tịch", "TM."),
        "due_date": date(2025, 5, 15),
        "to_places": ("Bộ Nội vụ", "Văn phòng Chính phủ"),
        "other": OtherInfo(priority=1, page_amount=2, appendixes=("Phụ lục I",)),
        "steering_type": 0,
    }
    fields.update(changes)
    return EdxmlMessage(**fields)  # type: ignore[arg-type]


def edit(data: bytes, change: object) -> bytes:
    """``data`` after ``change(root)`` edits its tree."""
    root = etree.fromstring(data)
    change(root)  # type: ignore[operator]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
