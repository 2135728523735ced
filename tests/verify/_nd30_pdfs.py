"""Decree 30-style signed PDFs for the ND30 rule tests, made with pyHanko's
visible-signature support (independently of vnsign's own PDF signer).

Text is set in Tinos (metric-compatible with Times New Roman) embedded as a
Type 0 font with a ToUnicode map, so the Vietnamese in pages and stamps is real
text; pyHanko's own OpenType engine needs HarfBuzz, which the project does not
install, so a small engine for this font lives here.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from importlib import resources

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic, layout, writer
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.stamp import BaseStampStyle, StaticStampStyle, TextStampStyle

from vnsign.pki.credentials import KeyCredential
from vnsign.pki.signer import CredentialSigner
from vnsign.testing import TestIdentity

VIETNAM = timezone(timedelta(hours=7))
ISO_VIETNAM = "%Y-%m-%dT%H:%M:%S+07:00"  # strftime of a +07:00 time, ND30 form
A4 = (595.0, 842.0)
BLUE = (25, 55, 190)
RED = (215, 25, 30)
BLACK = (20, 20, 20)

Box = tuple[float, float, float, float]

# The signer block of a Decree 30 document (right column, ô 7a/7b/7c), in points.
POSITION_LINE = ("CHỦ TỊCH", 420.0, 300.0)  # text, centre x, baseline y
NAME_LINE = (420.0, 190.0)  # centre x, baseline y of the signer's name
PERSON_BOX: Box = (350.0, 215.0, 490.0, 285.0)  # centred between the two lines
# The seal covers the left third of the personal signature.
SEAL_BOX: Box = (295.0, 199.0, 397.0, 301.0)  # x1 = 350 + 140 / 3
TOP_RIGHT_BOX: Box = (385.0, 770.0, 575.0, 825.0)  # ô 14: top right of page 1
BOTTOM_BOX: Box = (60.0, 60.0, 330.0, 130.0)


def _font_bytes() -> bytes:
    return (resources.files("vnsign") / "data" / "fonts" / "Tinos-Regular.ttf").read_bytes()


class TinosEngine(FontEngine):
    """Tinos as a Type 0 font (Identity-H, glyph IDs as CIDs) with a ToUnicode map."""

    _font: TTFont | None = None

    def __init__(self, pdf_writer: writer.BasePdfFileWriter) -> None:
        super().__init__(pdf_writer, "Tinos-Regular", embedded_subset=True)
        if TinosEngine._font is None:
            TinosEngine._font = TTFont(io.BytesIO(_font_bytes()))
        self.font = TinosEngine._font
        self.cmap = self.font.getBestCmap()
        self.upm = self.font["head"].unitsPerEm
        self.used: dict[int, str] = {}
        self.ref = pdf_writer.allocate_placeholder()
        self.written = False

    @property
    def uses_complex_positioning(self) -> bool:
        return False

    def shape(self, txt: str) -> ShapeResult:
        gids, advance = [], 0
        for char in txt:
            glyph = self.cmap.get(ord(char), ".notdef")
            gid = self.font.getGlyphID(glyph)
            gids.append(gid)
            self.used.setdefault(gid, char)
            advance += self.font["hmtx"][glyph][0]
        ops = b"<" + b"".join(b"%04X" % g for g in gids) + b"> Tj"
        return ShapeResult(graphics_ops=ops, x_advance=advance / self.upm, y_advance=0)

    def as_resource(self) -> generic.IndirectObject:
        return self.ref

    def prepare_write(self) -> None:
        if self.written:  # pyHanko may prepare twice (placeholder, then the signed bytes)
            return
        self.written = True
        w = self.writer
        name = pdf_name(f"/{self.subset_prefix}+Tinos-Regular")
        program = generic.StreamObject(stream_data=_font_bytes())
        program.compress()
        descriptor = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/FontDescriptor"),
                pdf_name("/FontName"): name,
                pdf_name("/Flags"): generic.NumberObject(34),
                pdf_name("/FontBBox"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (-569, -307, 2029, 1007)]
                ),
                pdf_name("/ItalicAngle"): generic.NumberObject(0),
                pdf_name("/Ascent"): generic.NumberObject(891),
                pdf_name("/Descent"): generic.NumberObject(-216),
                pdf_name("/CapHeight"): generic.NumberObject(662),
                pdf_name("/StemV"): generic.NumberObject(80),
                pdf_name("/FontFile2"): w.add_object(program),
            }
        )
        widths = generic.ArrayObject()
        for gid in sorted(self.used):
            glyph = self.font.getGlyphName(gid)
            width = round(self.font["hmtx"][glyph][0] * 1000 / self.upm)
            widths.extend(
                [generic.NumberObject(gid), generic.ArrayObject([generic.NumberObject(width)])]
            )
        cid_font = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/CIDFontType2"),
                pdf_name("/BaseFont"): name,
                pdf_name("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        pdf_name("/Registry"): generic.pdf_string("Adobe"),
                        pdf_name("/Ordering"): generic.pdf_string("Identity"),
                        pdf_name("/Supplement"): generic.NumberObject(0),
                    }
                ),
                pdf_name("/FontDescriptor"): w.add_object(descriptor),
                pdf_name("/CIDToGIDMap"): pdf_name("/Identity"),
                pdf_name("/W"): widths,
            }
        )
        entries = "\n".join(
            f"<{gid:04X}> <{''.join(f'{u:04X}' for u in _utf16(ch))}>"
            for gid, ch in sorted(self.used.items())
        )
        cmap = (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            f"{len(self.used)} beginbfchar\n{entries}\nendbfchar\n"
            "endcmap CMapName currentdict /CMap defineresource pop end end"
        )
        to_unicode = generic.StreamObject(stream_data=cmap.encode("ascii"))
        to_unicode.compress()
        font = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type0"),
                pdf_name("/BaseFont"): name,
                pdf_name("/Encoding"): pdf_name("/Identity-H"),
                pdf_name("/DescendantFonts"): generic.ArrayObject([w.add_object(cid_font)]),
                pdf_name("/ToUnicode"): w.add_object(to_unicode),
            }
        )
        w.add_object(font, idnum=self.ref.idnum)


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


class TinosFactory(FontEngineFactory):
    """pyHanko's hook for a font engine per writer."""

    def create_font_engine(
        self, writer: writer.BasePdfFileWriter, obj_stream: object = None
    ) -> FontEngine:
        return TinosEngine(writer)


# -- pictures ------------------------------------------------------------------------------


def signature_image(
    colour: tuple[int, int, int] = BLUE,
    *,
    transparent: bool = True,
    size: tuple[int, int] = (420, 210),
) -> Image.Image:
    """A handwriting-like stroke on a transparent (or white) background."""
    width, height = size
    image = Image.new("RGBA", size, (255, 255, 255, 0 if transparent else 255))
    draw = ImageDraw.Draw(image)
    points = []
    for step in range(240):
        t = step / 239
        x = 0.08 * width + 0.84 * width * t
        y = height / 2 + 0.28 * height * math.sin(9 * math.pi * t) * (1 - 0.5 * t)
        points.append((x, y + 0.12 * height * math.sin(2 * math.pi * t)))
    draw.line(points, fill=(*colour, 255), width=9, joint="curve")
    draw.line(
        [(0.15 * width, 0.8 * height), (0.85 * width, 0.72 * height)], fill=(*colour, 255), width=7
    )
    return image if transparent else image.convert("RGB")


def seal_image(
    colour: tuple[int, int, int] = RED, *, transparent: bool = True, side: int = 300
) -> Image.Image:
    """A round seal: two rings and a star, on a transparent (or white) background."""
    image = Image.new("RGBA", (side, side), (255, 255, 255, 0 if transparent else 255))
    draw = ImageDraw.Draw(image)
    ink = (*colour, 255)
    draw.ellipse((6, 6, side - 6, side - 6), outline=ink, width=14)
    draw.ellipse((side * 0.22, side * 0.22, side * 0.78, side * 0.78), outline=ink, width=8)
    centre, outer, inner = side / 2, side * 0.2, side * 0.08
    star = [
        (
            centre + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            centre - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=ink)
    for angle in range(0, 360, 12):  # the letters around the ring, as dashes
        a = math.radians(angle)
        r1, r2 = side * 0.3, side * 0.4
        draw.line(
            [
                (centre + r1 * math.cos(a), centre + r1 * math.sin(a)),
                (centre + r2 * math.cos(a), centre + r2 * math.sin(a)),
            ],
            fill=ink,
            width=5,
        )
    return image if transparent else image.convert("RGB")


# -- documents -----------------------------------------------------------------------------


def page_pdf(lines: Sequence[tuple[str, float, float, float]]) -> bytes:
    """An A4 page with Vietnamese ``lines``: (text, centre x, baseline y, size)."""
    w = writer.PdfFileWriter()
    engine = TinosEngine(w)
    parts = []
    for text, centre, baseline, size in lines:
        shaped = engine.shape(text)
        left = centre - shaped.x_advance * size / 2
        parts.append(
            b"BT /F1 %g Tf 1 0 0 1 %.2f %.2f Tm %s ET" % (size, left, baseline, shaped.graphics_ops)
        )
    content = w.add_object(generic.StreamObject(stream_data=b"\n".join(parts)))
    res = generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): engine.as_resource()})}
    )
    box = generic.ArrayObject(map(generic.NumberObject, [0, 0, *map(int, A4)]))
    w.insert_page(writer.PageObject(contents=content, media_box=box, resources=res))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def decision_page(signer: str, *, motto: bool = True) -> bytes:
    """Page 1 of a decision signed by ``signer``, with the signer block of ô 7a/7b
    (and the national motto unless ``motto`` is false)."""
    header = (
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 400, 790, 13),
            ("Độc lập - Tự do - Hạnh phúc", 400, 774, 13),
        ]
        if motto
        else []
    )
    return page_pdf(
        [
            ("ỦY BAN NHÂN DÂN", 150, 790, 13),
            ("TỈNH QUẢNG NGÃI", 150, 774, 13),
            *header,
            ("Số: 12/QĐ-UBND", 150, 740, 13),
            ("QUYẾT ĐỊNH", 297, 690, 14),
            ("Về việc phê duyệt kế hoạch chuyển đổi số năm 2026", 297, 670, 14),
            ("Điều 1. Phê duyệt kế hoạch kèm theo Quyết định này.", 297, 600, 14),
            ("Nơi nhận:", 100, 300, 12),
            (POSITION_LINE[0], POSITION_LINE[1], POSITION_LINE[2], 14),
            (signer, NAME_LINE[0], NAME_LINE[1], 14),
        ]
    )


def appendix_page() -> bytes:
    """Page 1 of an appendix sent as a separate file."""
    return page_pdf(
        [
            ("Phụ lục I", 297, 730, 14),
            ("DANH MỤC NHIỆM VỤ CHUYỂN ĐỔI SỐ NĂM 2026", 297, 710, 14),
            ("(Kèm theo Quyết định số 12/QĐ-UBND)", 297, 692, 14),
            ("1. Số hóa hồ sơ thủ tục hành chính.", 297, 640, 14),
        ]
    )


class _AtFixedTime(PdfSigner):
    """pyHanko's signer with the signing time fixed, so appearance and CMS agree."""

    def __init__(self, *args: object, at: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._at = at

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._at
        return session


def sign_visible(
    data: bytes,
    ident: TestIdentity,
    *,
    field: str,
    box: Box,
    style: BaseStampStyle,
    at: datetime,
    page: int = 0,
) -> bytes:
    """``data`` signed by ``ident`` with a visible widget at ``box`` on ``page``."""
    credential = KeyCredential(
        ident.private_key, ident.certificate, ident.chain, allow_unusable=True
    )
    signer = _AtFixedTime(
        PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES),
        signer=CredentialSigner(credential),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field, on_page=page, box=tuple(round(v) for v in box)
        ),
        stamp_style=style,
        at=at,
    )
    out = io.BytesIO()
    signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), output=out)
    return out.getvalue()


def image_style(image: Image.Image) -> StaticStampStyle:
    """A stamp that is only ``image``, filling the widget."""
    return StaticStampStyle(
        background=PdfImage(image),
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )


def text_style(
    template: str,
    *,
    size: int = 10,
    colour: tuple[float, float, float] | None = None,
    background: Image.Image | None = None,
    time_format: str = ISO_VIETNAM,
) -> TextStampStyle:
    """A text stamp in Tinos; ``%(ts)s`` in ``template`` is the signing time."""
    return TextStampStyle(
        stamp_text=template,
        timestamp_format=time_format,
        border_width=0,
        background=PdfImage(background) if background is not None else None,
        background_opacity=1.0,
        text_box_style=TextBoxStyle(font=TinosFactory(), font_size=size, text_color=colour),
    )


def at(base: datetime, minutes: int = 0) -> datetime:
    """A signing time in Vietnam time, whole seconds."""
    return (base + timedelta(minutes=minutes)).astimezone(VIETNAM).replace(microsecond=0)


def widget_pdf(build: Callable[[writer.PdfFileWriter], generic.IndirectObject], rect: Box) -> bytes:
    """An unsigned A4 page with one signature widget at ``rect`` whose normal
    appearance is the form XObject ``build`` adds to the writer: for reading
    appearances that pyHanko's stamps never write (matrices, nesting, hostile data)."""
    w = writer.PdfFileWriter()
    box = generic.ArrayObject(map(generic.NumberObject, [0, 0, *map(int, A4)]))
    empty = w.add_object(generic.StreamObject(stream_data=b""))
    w.insert_page(writer.PageObject(contents=empty, media_box=box))
    page_ref = w.root["/Pages"]["/Kids"][0]
    widget = w.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/FT"): pdf_name("/Sig"),
                pdf_name("/T"): generic.pdf_string("Widget"),
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/P"): page_ref,
                pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in rect),
                pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): build(w)}),
            }
        )
    )
    page = page_ref.get_object()
    page[pdf_name("/Annots")] = generic.ArrayObject([widget])
    w.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
        {pdf_name("/Fields"): generic.ArrayObject([widget])}
    )
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def form(
    w: writer.PdfFileWriter,
    content: bytes,
    bbox: Box,
    *,
    matrix: Sequence[float] | None = None,
    xobjects: dict[str, generic.PdfObject] | None = None,
    compress: bool = False,
) -> generic.IndirectObject:
    """A form XObject drawing ``content`` with the named ``xobjects``."""
    stream = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(generic.FloatObject(v) for v in bbox),
            pdf_name("/Resources"): generic.DictionaryObject(
                {
                    pdf_name("/XObject"): generic.DictionaryObject(
                        {pdf_name(f"/{k}"): v for k, v in (xobjects or {}).items()}
                    )
                }
            ),
        },
        stream_data=content,
    )
    if matrix is not None:
        stream[pdf_name("/Matrix")] = generic.ArrayObject(generic.FloatObject(v) for v in matrix)
    if compress:
        stream.compress()
    return w.add_object(stream)
