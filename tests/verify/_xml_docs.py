"""Signed XML documents for the verifier tests (imported, not collected): generic
XML, TT 78-style e-invoices, edXML packages, and a re-signer that forges what
other software (or an attacker with a key) would write."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from _pdfs import trust_of
from vnsign.formats.edxml import DocumentCode, EdxmlMessage, Organization, SignerInfo
from vnsign.formats.xml.algorithms import C14nMethod
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.parsing import parse_xml
from vnsign.formats.xml.references import digest_input, read_transforms
from vnsign.pki.credentials import KeyCredential
from vnsign.pki.trust import TrustStore
from vnsign.testing import TestIdentity, TestPKI

SELLER_MST = "0123456789"  # the MST of the test PKI's organisations

DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<HoSo xmlns="urn:vnsign:test">\n'
    '  <VanBan Id="vb1"><TrichYeu>Quyết định số 12/QĐ-UBND về việc thử nghiệm</TrichYeu>'
    "<SoTien>1000000</SoTien></VanBan>\n"
    '  <PhuLuc Id="pl1">Phụ lục kèm theo</PhuLuc>\n'
    "</HoSo>\n"
).encode()


def credential(identity: TestIdentity) -> KeyCredential:
    """A credential over a test identity's key and chain."""
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)


def trust(pki: TestPKI) -> TrustStore:
    """The test roots, plus the issuing CAs for chain building: XML signatures and
    e-invoices usually carry only the signer's certificate (OBS-LEAF-ONLY)."""
    return trust_of(pki).with_intermediates([pki.public_ca.certificate, pki.gov_ca.certificate])


def invoice(lines: int = 3, *, seller_mst: str = SELLER_MST) -> bytes:
    """An unsigned VAT invoice (HDon) with the empty signature placeholders of
    invoicing software."""
    items = "".join(
        f"<HHDVu><STT>{n}</STT><THHDVu>Hàng hóa số {n}</THHDVu><SLuong>{n}</SLuong>"
        f"<DGia>150000</DGia><ThTien>{n * 150000}</ThTien><TSuat>10%</TSuat></HHDVu>"
        for n in range(1, lines + 1)
    )
    total = sum(n * 150000 for n in range(1, lines + 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="DLHDon-C25TAA-7">
    <TTChung><PBan>2.1.0</PBan><THDon>HÓA ĐƠN GIÁ TRỊ GIA TĂNG</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>7</SHDon><NLap>2025-05-01</NLap><DVTTe>VND</DVTTe></TTChung>
    <NDHDon>
      <NBan><Ten>CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN</Ten><MST>{seller_mst}</MST></NBan>
      <NMua><Ten>Công ty TNHH Người Mua</Ten><MST>0312345678</MST></NMua>
      <DSHHDVu>{items}</DSHHDVu>
      <TToan><TgTCThue>{total}</TgTCThue><TgTThue>{total // 10}</TgTThue><TgTTTBSo>{total + total // 10}</TgTTTBSo></TToan>
    </NDHDon>
  </DLHDon>
  <DSCKS><NBan/><NMua><Signature/></NMua></DSCKS>
</HDon>
""".encode()


def message(**changes: object) -> EdxmlMessage:
    """A công văn from UBND tỉnh Quảng Ninh to Bộ Nội vụ."""
    fields: dict[str, object] = {
        "sender": Organization("000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh"),
        "recipients": (Organization("G09.20", "Bộ Nội vụ"),),
        "code": DocumentCode("1234", "UBND-VP"),
        "promulgation_date": date(2025, 5, 1),
        "place": "Quảng Ninh",
        "document_type": 1,
        "document_type_name": "Công văn",
        "subject": "V/v thử nghiệm trao đổi văn bản điện tử",
        "signer": SignerInfo("Lê Hoàng Cường", "Chủ tịch", "TM."),
    }
    fields.update(changes)
    return EdxmlMessage(**fields)  # type: ignore[arg-type]


def edit(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    """``data`` after ``change(root)``, whitespace kept."""
    tree = parse_xml(data)
    change(tree.getroot())
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def ds(local: str) -> str:
    """``{xmldsig}local``."""
    return f"{{{DS}}}{local}"


def resign(
    signed: bytes,
    key: rsa.RSAPrivateKey,
    mutate: Callable[[etree._Element], None] = lambda signature: None,
    *,
    dotnet_enveloped: bool = False,
    index: int = 0,
) -> bytes:
    """Change signature ``index`` with ``mutate``, then recompute its digests and
    sign its SignedInfo with ``key`` (RSA PKCS#1 v1.5, SHA-256), the way other
    software would. ``dotnet_enveloped``: .NET semantics for an enveloped-signature
    transform on the signature's own Object (OBS-EINVOICE-ENVELOPED-OBJECT)."""
    tree = parse_xml(signed)
    signature = tree.findall(f".//{ds('Signature')}")[index]
    mutate(signature)
    ids = IdIndex(tree)
    info = signature.find(ds("SignedInfo"))
    for reference in info.iterfind(ds("Reference")):
        data = digest_input(
            reference.get("URI"),
            read_transforms(reference),
            tree=tree,
            ids=ids,
            signature=signature,
            dotnet_enveloped=dotnet_enveloped,
        )
        digest = hashes.Hash(hashes.SHA256())
        digest.update(data.data)
        reference.find(ds("DigestValue")).text = base64.b64encode(digest.finalize()).decode()
    value = key.sign(canonicalize(info, C14nMethod.INCLUSIVE), padding.PKCS1v15(), hashes.SHA256())
    signature.find(ds("SignatureValue")).text = base64.b64encode(value).decode()
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
