"""Sample material for tests, documentation and ``vnsign demo``: a Vietnamese
administrative document laid out as Decree 30/2020 Appendix I shows it, a blue
handwritten-like signature and a red round seal (both transparent PNGs), and a
large scan-like PDF for tests and benchmarks of big files.

Everything is fictitious. The defaults match the official-duty identities of
:class:`vnsign.testing.TestPKI` (``gov_official`` signs for ``gov_agency``).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from vnsign.formats.pdf._objects import array, dictionary, name, real, stream
from vnsign.formats.pdf._objects import number as integer
from vnsign.formats.pdf.fonts import Font, FontStyle, FontSubset
from vnsign.formats.pdf.geometry import MM

__all__ = [
    "AdministrativeDocument",
    "administrative_document",
    "handwritten_signature_png",
    "scanned_document",
    "seal_png",
]

A4 = (210 * MM, 297 * MM)
_BLUE = (18, 48, 170)
_RED = (215, 25, 32)

_DEFAULT_BODY = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Theo đề nghị của Chánh Văn phòng Sở.",
    "Điều 1. Ban hành kèm theo Quyết định này Quy chế tiếp nhận, ký số và phát hành văn bản "
    "điện tử của cơ quan. Văn bản điện tử được ký số bởi người có thẩm quyền và ký số của cơ "
    "quan theo quy định có giá trị pháp lý như bản gốc văn bản giấy.",
    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
    "Điều 3. Chánh Văn phòng, Trưởng các phòng chuyên môn và các cá nhân có liên quan chịu "
    "trách nhiệm thi hành Quyết định này./.",
)


@dataclass(frozen=True)
class AdministrativeDocument:
    """The content of a sample administrative document (a "Quyết định")."""

    parent_agency: str = "UBND TỈNH QUẢNG NGÃI"
    agency: str = "SỞ TƯ PHÁP"
    number: str = "123/QĐ-STP"
    place: str = "Quảng Ngãi"
    issued: date = date(2026, 3, 5)
    document_type: str = "QUYẾT ĐỊNH"
    abstract: str = "Về việc ban hành Quy chế ký số văn bản điện tử"
    issuer_line: str = "GIÁM ĐỐC SỞ TƯ PHÁP TỈNH QUẢNG NGÃI"
    body: tuple[str, ...] = _DEFAULT_BODY
    authority: str = "KT. GIÁM ĐỐC"
    position: str = "PHÓ GIÁM ĐỐC"
    signer_name: str = "Lê Hoàng Cường"
    recipients: tuple[str, ...] = ("- Như Điều 3;", "- UBND tỉnh (để b/c);", "- Lưu: VT, VP.")
    extra_pages: int = 0
    """Pages of filler text before the signer block (for multi-page tests)."""
    page_size: tuple[float, float] = field(default=A4)

    def render(self) -> bytes:
        """The document as PDF bytes."""
        return _Renderer(self).render()


def administrative_document(**fields: object) -> bytes:
    """A sample administrative document as PDF bytes; keyword arguments override
    the fields of :class:`AdministrativeDocument`."""
    return AdministrativeDocument(**fields).render()  # type: ignore[arg-type]


def scanned_document(pages: int, *, seed: int = 30) -> bytes:
    """A scan-like PDF of ``pages`` A4 pages, each one 1000 x 1000 grey image of
    raw (uncompressed) samples: about 1 MB per page. No two pages are the same."""
    writer = PdfFileWriter()  # type: ignore[no-untyped-call]
    noise = random.Random(seed).randbytes(1_000_000)  # noqa: S311 - pixels, not a secret
    grey = {
        "/Type": name("/XObject"),
        "/Subtype": name("/Image"),
        "/Width": integer(1000),
        "/Height": integer(1000),
        "/ColorSpace": name("/DeviceGray"),
        "/BitsPerComponent": integer(8),
    }
    for n in range(pages):
        image = writer.add_object(stream(grey, data=n.to_bytes(4, "big") * 250 + noise[1000:]))
        content = writer.add_object(stream(data=b"q 595 0 0 842 0 0 cm /Im0 Do Q"))
        page = PageObject(  # type: ignore[no-untyped-call]
            contents=content,
            media_box=array(real(v) for v in (0, 0, *A4)),
            resources=dictionary({"/XObject": dictionary({"/Im0": image})}),
        )
        writer.insert_page(page)  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


class _TextOp(NamedTuple):
    font: str
    size: float
    x: float
    y: float
    text: str


class _Renderer:
    LEFT, RIGHT, TOP, BOTTOM = 30 * MM, 15 * MM, 20 * MM, 20 * MM

    def __init__(self, doc: AdministrativeDocument) -> None:
        self.doc = doc
        self.width, self.height = doc.page_size
        self.fonts = {
            "/R": Font.bundled(FontStyle.REGULAR),
            "/B": Font.bundled(FontStyle.BOLD),
            "/I": Font.bundled(FontStyle.ITALIC),
        }
        self.pages: list[list[bytes | _TextOp]] = [[]]
        self.texts: dict[str, list[str]] = {name: [] for name in self.fonts}
        self.y = self.height - self.TOP

    def render(self) -> bytes:
        doc = self.doc
        self._header()
        self._title()
        for _ in range(doc.extra_pages):
            for paragraph in doc.body:
                self._paragraph(paragraph)
            self._new_page()
        for paragraph in doc.body:
            self._paragraph(paragraph)
        self._signer_block()
        return self._write()

    # Layout --------------------------------------------------------------

    @property
    def text_width(self) -> float:
        return self.width - self.LEFT - self.RIGHT

    def _text(self, font: str, size: float, x: float, y: float, text: str) -> None:
        self.texts[font].append(text)
        self.pages[-1].append(_TextOp(font, size, x, y, text))

    def _centred(self, font: str, size: float, cx: float, y: float, text: str) -> None:
        self._text(font, size, cx - self.fonts[font].width(text, size) / 2, y, text)

    def _rule(self, x1: float, x2: float, y: float) -> None:
        self.pages[-1].append(b"0.6 w %.2f %.2f m %.2f %.2f l S" % (x1, y, x2, y))

    def _header(self) -> None:
        doc = self.doc
        left_cx = self.LEFT + 32 * MM
        right_cx = self.width - self.RIGHT - 52 * MM
        y = self.y - 12
        self._centred("/B", 12, right_cx, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        for line in self._wrap("/R", 12, doc.parent_agency, 58 * MM):
            self._centred("/R", 12, left_cx, y, line)
            y -= 15
        self._centred("/B", 12, left_cx, y, doc.agency)
        motto = "Độc lập - Tự do - Hạnh phúc"
        self._centred("/B", 13, right_cx, self.y - 27, motto)
        half = self.fonts["/B"].width(motto, 13) / 2
        self._rule(right_cx - half, right_cx + half, self.y - 31)
        self._rule(left_cx - 12 * MM, left_cx + 12 * MM, y - 4)
        y -= 24
        self._centred("/R", 13, left_cx, y, f"Số: {doc.number}")
        issued = doc.issued
        place_date = f"{doc.place}, ngày {issued.day:02d} tháng {issued.month} năm {issued.year}"
        self._centred("/I", 13, right_cx, y, place_date)
        self.y = y - 30

    def _title(self) -> None:
        doc = self.doc
        cx = self.LEFT + self.text_width / 2
        self._centred("/B", 14, cx, self.y, doc.document_type)
        self.y -= 17
        for line in self._wrap("/B", 14, doc.abstract, self.text_width - 40 * MM):
            self._centred("/B", 14, cx, self.y, line)
            self.y -= 17
        self._rule(cx - 20 * MM, cx + 20 * MM, self.y + 11)
        self.y -= 14
        self._centred("/B", 14, cx, self.y, doc.issuer_line)
        self.y -= 24

    def _paragraph(self, text: str, size: float = 14) -> None:
        indent = 10 * MM
        lines = self._wrap("/R", size, text, self.text_width - indent)
        for number, line in enumerate(lines):
            if self.y < self.BOTTOM + size:
                self._new_page()
            x = self.LEFT + (indent if number == 0 else 0)
            self._text("/R", size, x, self.y, line)
            self.y -= size * 1.3
        self.y -= 4

    def _signer_block(self) -> None:
        doc = self.doc
        needed = 60 * MM
        if self.y - needed < self.BOTTOM:
            self._new_page()
        top = self.y - 10
        cx = self.width - self.RIGHT - 40 * MM
        self._centred("/B", 13, cx, top, doc.authority)
        self._centred("/B", 13, cx, top - 16, doc.position)
        self._centred("/B", 13, cx, top - 16 - 30 * MM, doc.signer_name)
        self._text("/I", 12, self.LEFT, top, "Nơi nhận:")
        y = top - 14
        for recipient in doc.recipients:
            self._text("/R", 11, self.LEFT, y, recipient)
            y -= 13
        self.y = min(y, top - 16 - 30 * MM) - 20

    def _new_page(self) -> None:
        self.pages.append([])
        self.y = self.height - self.TOP - 18
        number = str(len(self.pages))
        self._centred("/R", 13, self.width / 2, self.height - 12 * MM, number)

    def _wrap(self, font: str, size: float, text: str, width: float) -> list[str]:
        measure = self.fonts[font]
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}".strip()
            if current and measure.width(candidate, size) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
        return lines

    # Output --------------------------------------------------------------

    def _write(self) -> bytes:
        writer = PdfFileWriter()  # type: ignore[no-untyped-call]
        subsets = {
            key: self.fonts[key].subset("".join(texts) or " ") for key, texts in self.texts.items()
        }
        font_refs = dictionary({key: subset.embed(writer) for key, subset in subsets.items()})
        for ops in self.pages:
            content = stream(data=b"\n".join(_op(op, subsets) for op in ops), compress=True)
            page = PageObject(  # type: ignore[no-untyped-call]
                contents=writer.add_object(content),
                media_box=array(real(round(v, 2)) for v in (0, 0, self.width, self.height)),
                resources=dictionary({"/Font": font_refs}),
            )
            writer.insert_page(page)  # type: ignore[no-untyped-call]
        out = io.BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
        return out.getvalue()


def _op(op: bytes | _TextOp, subsets: dict[str, FontSubset]) -> bytes:
    if isinstance(op, bytes):
        return op
    return b"BT %s %.1f Tf %.2f %.2f Td %s Tj ET" % (
        op.font.encode(),
        op.size,
        op.x,
        op.y,
        subsets[op.font].encode(op.text),
    )


def handwritten_signature_png(*, seed: int = 7, width_mm: float = 45.0, dpi: int = 300) -> bytes:
    """A blue, handwritten-looking signature on a transparent background
    (ND30-SIG-PERSON-IMG), with its resolution recorded so it prints at
    ``width_mm``."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    width = round(width_mm / 25.4 * dpi)
    height = round(width * 0.42)
    scale = 3  # draw large, then shrink: smooth edges
    canvas = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    points = []
    loops = 5 + rng.randint(0, 2)
    for i in range(400):
        t = i / 399
        x = w * (0.06 + 0.80 * t) + w * 0.03 * math.sin(t * loops * 2 * math.pi + 1.3)
        y = h * (0.52 - 0.18 * t) + h * 0.26 * math.sin(t * loops * 2 * math.pi) * (1 - 0.4 * t)
        points.append((x, y))
    stroke = max(3, width * scale // 110)
    draw.line(points, fill=(*_BLUE, 255), width=stroke, joint="curve")
    flourish = [
        (w * (0.12 + 0.80 * t), h * (0.80 - 0.10 * math.sin(t * math.pi)))
        for t in (i / 99 for i in range(100))
    ]
    draw.line(flourish, fill=(*_BLUE, 255), width=max(2, stroke * 2 // 3), joint="curve")
    image = canvas.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def seal_png(
    *,
    agency: str = "SỞ TƯ PHÁP",
    ring_text: Sequence[str] = ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",),
    diameter_mm: float = 36.0,
    dpi: int = 300,
) -> bytes:
    """A red round seal on a transparent background (ND30-SIG-ORG-IMG), with its
    resolution recorded so it prints at its real size, ``diameter_mm``."""
    from PIL import Image, ImageDraw, ImageFont

    scale = 2
    size = round(diameter_mm / 25.4 * dpi) * scale
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    colour = (*_RED, 255)
    c = size / 2
    outer = size / 2 - size * 0.01
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=colour, width=size // 45)
    inner = outer * 0.70
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=colour, width=size // 90)
    bold = Font.bundled(FontStyle.BOLD)
    ring_font = ImageFont.truetype(io.BytesIO(bold.data), round(size * 0.075))
    text = "  •  ".join(ring_text) + "  •"
    radius = (outer + inner) / 2
    span = 2 * math.pi * 0.92
    for i, char in enumerate(text):
        angle = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(text)
        glyph = Image.new("RGBA", (size // 8, size // 8), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (size // 16, size // 16), char, font=ring_font, fill=colour, anchor="mm"
        )
        rotated = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(angle) - rotated.width / 2
        y = c + radius * math.sin(angle) - rotated.height / 2
        canvas.alpha_composite(rotated, (round(x), round(y)))
    _star(draw, c, c - inner * 0.45, inner * 0.22, colour)
    words = agency.split()
    half = (len(words) + 1) // 2
    lines = [ln for ln in (" ".join(words[:half]), " ".join(words[half:])) if ln]
    centre_font = ImageFont.truetype(io.BytesIO(bold.data), round(size * 0.085))
    for n, line in enumerate(lines):
        at = (c, c + inner * (0.05 + 0.32 * n))
        draw.text(at, line, font=centre_font, fill=colour, anchor="mm")
    image = canvas.resize((size // scale, size // scale), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _star(draw: object, cx: float, cy: float, r: float, colour: tuple[int, ...]) -> None:
    from PIL import ImageDraw

    assert isinstance(draw, ImageDraw.ImageDraw)
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.4
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=colour)
