"""TrueType fonts for signature appearances: measured, subset and embedded with a
ToUnicode map, so the text is selectable and extracts as the Vietnamese it shows.

The default is Tinos (metric-compatible with Times New Roman, full Vietnamese
coverage; SIL OFL 1.1, licence in ``vnsign/data/fonts/OFL.txt``), which Decree 30
asks for (ND30-LAYOUT-FONT; ND30-SIG-ATTACH-SEPFILE and ND30-COPY-SIG: Times New
Roman, size 10). Any TrueType file whose licence allows embedding can replace it.

A subset depends only on the set of characters it holds, and is cached: signing a
batch of attachments whose text differs only in the time digits embeds the same
subset each time without running the subsetter again.
"""

from __future__ import annotations

import enum
import hashlib
import io
import threading
import unicodedata
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyhanko.pdf_utils import generic

from vnsign.errors import InputError
from vnsign.formats.pdf._objects import array, dictionary, name, number, real, stream

if TYPE_CHECKING:
    from pyhanko.pdf_utils.writer import BasePdfFileWriter

__all__ = ["Font", "FontStyle", "FontSubset"]

# Always in a subset, so times and numbers never need a new one.
_ALWAYS = frozenset("0123456789+-:T/., ")
_CONTROL = frozenset("\n\r\t")
_SUBSET_CACHE_SIZE = 32


class FontStyle(enum.StrEnum):
    """The bundled Tinos styles."""

    REGULAR = "Regular"
    BOLD = "Bold"
    ITALIC = "Italic"


class Font:
    """A TrueType font, parsed once; use :meth:`bundled` or :meth:`from_file`."""

    def __init__(self, data: bytes, *, source: str) -> None:
        from fontTools.ttLib import TTFont, TTLibError  # type: ignore[import-untyped]

        try:
            font = TTFont(io.BytesIO(data), lazy=True)
            self._cmap: dict[int, str] = font.getBestCmap() or {}
            self._glyph_order: list[str] = font.getGlyphOrder()
            head, hhea, hmtx = font["head"], font["hhea"], font["hmtx"]
            os2 = font.get("OS/2")
            names = font["name"]
            post = font["post"]
        except (TTLibError, KeyError, AssertionError, ValueError, TypeError, IndexError) as exc:
            raise InputError(f"{source} is not a usable TrueType font: {exc}") from exc
        if "glyf" not in font:
            raise InputError(
                f"{source} has no TrueType outlines (glyf table); use a .ttf font, not CFF/.otf"
            )
        if os2 is not None and os2.fsType & 0x000E == 0x0002:
            raise InputError(f"the licence of {source} forbids embedding it (OS/2 fsType)")
        self.source = source
        self._data = data
        self._units = head.unitsPerEm
        self._advance = {name: metrics[0] for name, metrics in hmtx.metrics.items()}
        self.ascent = hhea.ascent / self._units
        self.descent = hhea.descent / self._units
        self.cap_height = (getattr(os2, "sCapHeight", 0) or hhea.ascent * 0.7) / self._units
        self.italic_angle = float(post.italicAngle)
        self.bbox = tuple(v / self._units for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        ps_name = names.getDebugName(6) or Path(source).stem
        self.postscript_name = "".join(c for c in ps_name if c.isalnum() or c in "-_") or "Font"
        self._always = frozenset(c for c in _ALWAYS if ord(c) in self._cmap)
        self._subsets: OrderedDict[frozenset[str], FontSubset] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def data(self) -> bytes:
        """The font file."""
        return self._data

    @classmethod
    def bundled(cls, style: FontStyle = FontStyle.REGULAR) -> Font:
        """Tinos in ``style``, shared by every caller (loaded on first use)."""
        return _bundled(FontStyle(style))

    @classmethod
    def from_file(cls, path: str | Path) -> Font:
        """A TrueType font file (``.ttf``) chosen by the user."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read font {path}: {exc.strerror or exc}") from exc
        return cls(data, source=str(path))

    def normalise(self, text: str) -> str:
        """``text`` in NFC (precomposed Vietnamese letters), checked against the font."""
        text = unicodedata.normalize("NFC", text)
        missing = sorted({c for c in text if ord(c) not in self._cmap and c not in "\n\r\t"})
        if missing:
            shown = "".join(missing)
            raise InputError(f"font {self.source} has no glyph for {shown!r}")
        return text

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points, in points (no kerning)."""
        total = sum(self._advance.get(self._cmap.get(ord(c), ".notdef"), 0) for c in text)
        return float(total * size / self._units)

    def subset(self, text: str) -> FontSubset:
        """The subset holding every character of ``text`` (plus digits and time
        punctuation); cached per character set."""
        chars = frozenset(self.normalise(text)).union(self._always) - _CONTROL
        with self._lock:
            cached = self._subsets.get(chars)
            if cached is not None:
                self._subsets.move_to_end(chars)
                return cached
        made = self._make_subset(chars)
        with self._lock:
            self._subsets[chars] = made
            while len(self._subsets) > _SUBSET_CACHE_SIZE:
                self._subsets.popitem(last=False)
        return made

    def _make_subset(self, chars: frozenset[str]) -> FontSubset:
        from fontTools import subset  # type: ignore[import-untyped]
        from fontTools.ttLib import TTFont

        options = subset.Options()
        options.hinting = False
        options.layout_features = []
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]  # keep copyright and licence
        options.notdef_outline = True
        font = TTFont(io.BytesIO(self._data))
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        order = font.getGlyphOrder()
        new_gid = {name: gid for gid, name in enumerate(order)}
        out = io.BytesIO()
        font.save(out)
        cids: dict[str, int] = {}
        widths: dict[int, int] = {}
        for char in sorted(chars):
            name = self._cmap[ord(char)]
            gid = new_gid.get(name)
            if gid is None:  # the subsetter renamed nothing we rely on; be explicit anyway
                raise InputError(f"font {self.source}: glyph {name!r} lost when subsetting")
            cids[char] = gid
            widths[gid] = round(self._advance.get(name, 0) * 1000 / self._units)
        digest = hashlib.sha256("".join(sorted(chars)).encode() + self._data[:64]).digest()
        tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
        return FontSubset(
            font=self,
            base_font=f"{tag}+{self.postscript_name}",
            font_file=zlib.compress(out.getvalue(), 6),
            font_file_length=len(out.getvalue()),
            cids=cids,
            widths=widths,
        )


@dataclass(frozen=True, eq=False)
class FontSubset:
    """An embeddable subset of a :class:`Font` (Type 0 / CIDFontType2, Identity-H)."""

    font: Font
    base_font: str
    font_file: bytes
    font_file_length: int
    cids: dict[str, int]
    widths: dict[int, int]

    def encode(self, text: str) -> bytes:
        """``text`` as a PDF hex string of 2-byte CIDs, for ``Tj``."""
        text = unicodedata.normalize("NFC", text)
        try:
            hexed = "".join(f"{self.cids[c]:04X}" for c in text)
        except KeyError as exc:
            raise InputError(f"character {exc.args[0]!r} is not in this font subset") from None
        return f"<{hexed}>".encode("ascii")

    def embed(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        """Add the font objects to ``writer``; the reference of the Type 0 font."""
        font = self.font
        font_file = stream(
            {"/Length1": number(self.font_file_length), "/Filter": name("/FlateDecode")},
            encoded=self.font_file,
        )
        descriptor = dictionary(
            {
                "/Type": name("/FontDescriptor"),
                "/FontName": name(self.base_font),
                "/Flags": number(34 if font.italic_angle == 0 else 98),
                "/FontBBox": array(number(round(v * 1000)) for v in font.bbox),
                "/ItalicAngle": real(font.italic_angle),
                "/Ascent": number(round(font.ascent * 1000)),
                "/Descent": number(round(font.descent * 1000)),
                "/CapHeight": number(round(font.cap_height * 1000)),
                "/StemV": number(80),
                "/FontFile2": writer.add_object(font_file),
            }
        )
        widths = array(())
        for gid in sorted(self.widths):
            widths.append(number(gid))
            widths.append(array([number(self.widths[gid])]))
        cid_font = dictionary(
            {
                "/Type": name("/Font"),
                "/Subtype": name("/CIDFontType2"),
                "/BaseFont": name(self.base_font),
                "/CIDSystemInfo": dictionary(
                    {
                        "/Registry": generic.pdf_string("Adobe"),
                        "/Ordering": generic.pdf_string("Identity"),
                        "/Supplement": number(0),
                    }
                ),
                "/FontDescriptor": writer.add_object(descriptor),
                "/CIDToGIDMap": name("/Identity"),
                "/DW": number(1000),
                "/W": widths,
            }
        )
        to_unicode = stream(data=self._to_unicode(), compress=True)
        type0 = dictionary(
            {
                "/Type": name("/Font"),
                "/Subtype": name("/Type0"),
                "/BaseFont": name(self.base_font),
                "/Encoding": name("/Identity-H"),
                "/DescendantFonts": array([writer.add_object(cid_font)]),
                "/ToUnicode": writer.add_object(to_unicode),
            }
        )
        return writer.add_object(type0)

    def _to_unicode(self) -> bytes:
        entries = sorted((gid, char) for char, gid in self.cids.items())
        lines = [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
        ]
        for start in range(0, len(entries), 100):  # at most 100 entries per block
            block = entries[start : start + 100]
            lines.append(f"{len(block)} beginbfchar")
            for gid, char in block:
                lines.append(f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>")
            lines.append("endbfchar")
        lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
        return "\n".join(lines).encode("ascii")


_BUNDLED: dict[FontStyle, Font] = {}
_BUNDLED_LOCK = threading.Lock()


def _bundled(style: FontStyle) -> Font:
    with _BUNDLED_LOCK:
        font = _BUNDLED.get(style)
        if font is None:
            name = f"Tinos-{style.value}.ttf"
            resource: Any = resources.files("vnsign").joinpath(f"data/fonts/{name}")
            font = Font(resource.read_bytes(), source=name)
            _BUNDLED[style] = font
        return font
