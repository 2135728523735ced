"""Helpers for the e-invoice tests (imported, not collected): a TT 78-style
invoice and a re-signer that reproduces how other software signs."""

from __future__ import annotations

import base64
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from vnsign.formats.xml.algorithms import C14nMethod
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.parsing import parse_xml
from vnsign.formats.xml.references import digest_input, read_transforms

SELLER_MST = "0123456789"


def invoice_xml(
    lines: int = 20, *, seller_mst: str = SELLER_MST, placeholders: bool = True
) -> bytes:
    """A VAT invoice (HDon) with ``lines`` goods lines, unsigned."""
    items = "".join(
        f"<HHDVu><TChat>1</TChat><STT>{n}</STT><MHHDVu>HH{n:03d}</MHHDVu>"
        f"<THHDVu>Hàng hóa thử nghiệm số {n}</THHDVu><DVTinh>Cái</DVTinh>"
        f"<SLuong>{n}</SLuong><DGia>150000</DGia><TLCKhau>0</TLCKhau><STCKhau>0</STCKhau>"
        f"<ThTien>{n * 150000}</ThTien><TSuat>10%</TSuat></HHDVu>"
        for n in range(1, lines + 1)
    )
    total = sum(n * 150000 for n in range(1, lines + 1))
    dscks = "<DSCKS><NBan/><NMua><Signature/></NMua></DSCKS>" if placeholders else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="DLHDon-C25TAA-123">
    <TTChung><PBan>2.1.0</PBan><THDon>HÓA ĐƠN GIÁ TRỊ GIA TĂNG</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>123</SHDon><NLap>2025-05-01</NLap><DVTTe>VND</DVTTe><TGia>1</TGia><HTTToan>TM/CK</HTTToan></TTChung>
    <NDHDon>
      <NBan><Ten>CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN</Ten><MST>{seller_mst}</MST><DChi>Quận Cầu Giấy, Hà Nội</DChi></NBan>
      <NMua><Ten>Công ty TNHH Người Mua</Ten><MST>0312345678</MST><DChi>Quận 1, TP Hồ Chí Minh</DChi></NMua>
      <DSHHDVu>{items}</DSHHDVu>
      <TToan><TgTCThue>{total}</TgTCThue><TgTThue>{total // 10}</TgTThue><TgTTTBSo>{total + total // 10}</TgTTTBSo><TgTTTBChu>Theo số</TgTTTBChu></TToan>
    </NDHDon>
  </DLHDon>
  {dscks}
</HDon>
""".encode()


def resign(
    signed: bytes,
    key: rsa.RSAPrivateKey,
    mutate: Callable[[etree._Element], None],
    *,
    dotnet_enveloped: bool = False,
    signature_index: int = 0,
) -> bytes:
    """Change one signature with ``mutate``, then recompute its digests and value
    the way another signer would (``dotnet_enveloped``: .NET SignedXml semantics
    for an enveloped transform on the signature's own Object)."""
    tree = parse_xml(signed)
    signature = tree.findall(f".//{{{DS}}}Signature")[signature_index]
    mutate(signature)
    ids = IdIndex(tree)
    info = signature.find(f"{{{DS}}}SignedInfo")
    for reference in info.iterfind(f"{{{DS}}}Reference"):
        data = digest_input(
            reference.get("URI"),
            read_transforms(reference),
            tree=tree,
            ids=ids,
            signature=signature,
            dotnet_enveloped=dotnet_enveloped,
        )
        method = reference.find(f"{{{DS}}}DigestMethod").get("Algorithm")
        algorithm = hashes.SHA1() if method.endswith("#sha1") else hashes.SHA256()
        digest = hashes.Hash(algorithm)
        digest.update(data.data)
        reference.find(f"{{{DS}}}DigestValue").text = base64.b64encode(digest.finalize()).decode()
    signature_method = info.find(f"{{{DS}}}SignatureMethod").get("Algorithm")
    algorithm = hashes.SHA1() if signature_method.endswith("#rsa-sha1") else hashes.SHA256()
    value = key.sign(canonicalize(info, C14nMethod.INCLUSIVE), padding.PKCS1v15(), algorithm)
    signature.find(f"{{{DS}}}SignatureValue").text = base64.b64encode(value).decode()
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
