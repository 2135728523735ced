"""A sample VAT e-invoice (``HDon``, TT 78/2021 layout) for demos and tests."""

from __future__ import annotations

__all__ = ["SAMPLE_SELLER_MST", "sample_invoice"]

SAMPLE_SELLER_MST = "0123456789"
"""The seller's tax code: that of the organisations of :class:`vnsign.testing.TestPKI`."""


def sample_invoice(
    lines: int = 20, *, seller_mst: str = SAMPLE_SELLER_MST, placeholders: bool = True
) -> bytes:
    """A VAT invoice (HDon) with ``lines`` goods lines, unsigned. ``placeholders``
    adds the empty ``DSCKS/NBan`` and ``DSCKS/NMua/Signature`` elements that invoicing
    software leaves for the seller's and the buyer's signatures."""
    items = "".join(
        f"<HHDVu><TChat>1</TChat><STT>{n}</STT><MHHDVu>HH{n:03d}</MHHDVu>"
        f"<THHDVu>Hàng hóa thử nghiệm số {n}</THHDVu><DVTinh>Cái</DVTinh>"
        f"<SLuong>{n}</SLuong><DGia>150000</DGia><TLCKhau>0</TLCKhau><STCKhau>0</STCKhau>"
        f"<ThTien>{n * 150000}</ThTien><TSuat>10%</TSuat></HHDVu>"
        for n in range(1, lines + 1)
    )
    total = sum(n * 150000 for n in range(1, lines + 1))
    dscks = "<DSCKS><NBan/><NMua><Signature/></NMua></DSCKS>" if placeholders else ""
    general = (
        "<PBan>2.1.0</PBan><THDon>HÓA ĐƠN GIÁ TRỊ GIA TĂNG</THDon><KHMSHDon>1</KHMSHDon>"
        "<KHHDon>C25TAA</KHHDon><SHDon>123</SHDon><NLap>2025-05-01</NLap><DVTTe>VND</DVTTe>"
        "<TGia>1</TGia><HTTToan>TM/CK</HTTToan>"
    )
    seller = (
        f"<Ten>CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN</Ten><MST>{seller_mst}</MST>"
        "<DChi>Quận Cầu Giấy, Hà Nội</DChi>"
    )
    buyer = (
        "<Ten>Công ty TNHH Người Mua</Ten><MST>0312345678</MST><DChi>Quận 1, TP Hồ Chí Minh</DChi>"
    )
    totals = (
        f"<TgTCThue>{total}</TgTCThue><TgTThue>{total // 10}</TgTThue>"
        f"<TgTTTBSo>{total + total // 10}</TgTTTBSo><TgTTTBChu>Theo số</TgTTTBChu>"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="DLHDon-C25TAA-123">
    <TTChung>{general}</TTChung>
    <NDHDon>
      <NBan>{seller}</NBan>
      <NMua>{buyer}</NMua>
      <DSHHDVu>{items}</DSHHDVu>
      <TToan>{totals}</TToan>
    </NDHDon>
  </DLHDon>
  {dscks}
</HDon>
""".encode()
