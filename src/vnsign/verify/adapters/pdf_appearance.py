"""What a PDF signature's appearance shows: the images and the text of the widget's
normal appearance (``/AP /N``), placed on the page.

The appearance stream is run through pdfminer.six's content interpreter (the
library :mod:`vnsign.formats.pdf.text_search` already uses for page text): it
follows ``cm`` operators and nested form XObjects and decodes text through the
fonts' ToUnicode maps, so Vietnamese comes out as Unicode. The objects it reads
are pyHanko's, already parsed and decrypted by the reader the PDF adapter holds:
they are handed over one by one as pdfminer asks for them, so nothing is parsed
twice. Image samples are decoded with Pillow.

The form is placed on the page as ISO 32000-2 §12.5.5 says: its ``/BBox``,
transformed by its ``/Matrix``, is mapped onto the widget's ``/Rect``.

A signed PDF is untrusted input. Every stream is decoded with a size cap
(:data:`MAX_STREAM`), content streams share a budget (:data:`MAX_CONTENT`),
forms nest at most :data:`MAX_DEPTH` deep, and images larger than
:data:`MAX_PIXELS` are measured but not decoded. Whatever fails leaves the
facts read so far; nothing here raises.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import math
import struct
import weakref
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pdfminer.layout import LTChar
from pdfminer.pdfcolor import PDFColorSpace
from pdfminer.pdfdevice import PDFTextDevice
from pdfminer.pdffont import PDFFont, PDFUnicodeNotDefined
from pdfminer.pdfinterp import (
    PDFGraphicState,
    PDFPageInterpreter,
    PDFResourceManager,
    PDFStackT,
    PDFTextState,
)
from pdfminer.pdftypes import PDFObjRef, PDFStream, resolve1
from pdfminer.psparser import LIT, PSLiteral
from pdfminer.utils import MATRIX_IDENTITY, Matrix, Rect, apply_matrix_rect, mult_matrix
from PIL import Image, ImageChops
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from vnsign.verify.facts import Appearance, ImageFacts

__all__ = [
    "MAX_CONTENT",
    "MAX_DEPTH",
    "MAX_PIXELS",
    "MAX_STREAM",
    "PageLine",
    "PageText",
    "PdfAppearance",
    "read_appearance",
]

MAX_DEPTH = 8  #: form XObjects inside form XObjects
MAX_FORMS = 64  #: form XObjects drawn in one appearance, in total
MAX_STREAM = 4 << 20  #: decoded bytes of any one stream (content, ToUnicode map, font)
MAX_CONTENT = 256 << 10  #: decoded bytes of content streams interpreted for one appearance
MAX_PAGE_CONTENT = 1 << 20  #: the same, for the text of a page
MAX_RESOURCES = 32 << 20  #: decoded bytes of all streams read for one appearance or page
MAX_PIXELS = 8_000_000  #: larger images are measured, not decoded
MAX_IMAGES = 32
MAX_GLYPHS = 20_000
_ANALYSIS_SIDE = 256  # images are sampled down to this before their colours are counted
_MAX_NESTING = 32  # direct (not indirect) arrays and dictionaries inside each other

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class PageLine:
    """A line of text on a page, with its box in default user space (points)."""

    text: str
    rect: Box


class PageText:
    """The text lines of one page, read the first time they are asked for.

    Kept apart from the appearance facts because only the Decree 30 rules need
    it, and reading a whole page costs more than reading a signature widget.
    """

    def __init__(self, reader: PdfFileReader, page_index: int) -> None:
        self._reader = weakref.ref(reader)  # the appearances keep the reader alive
        self._page_index = page_index

    @classmethod
    def of(cls, reader: PdfFileReader, page_index: int) -> PageText:
        """The page's text, shared by all the widgets on that page."""
        pages = _PAGE_TEXTS.setdefault(reader, {})
        return pages.setdefault(page_index, cls(reader, page_index))

    @functools.cached_property
    def lines(self) -> tuple[PageLine, ...]:
        """The lines, top to bottom (empty when the page cannot be read)."""
        reader = self._reader()
        if reader is None:
            return ()
        glyphs: list[_Glyph] = []
        try:
            page_ref, resources = reader.find_page_for_modification(  # type: ignore[no-untyped-call]
                self._page_index
            )
            page = page_ref.get_object()
            objects = _Objects(MAX_RESOURCES)
            contents = page.raw_get("/Contents") if "/Contents" in page else None
            streams = objects.content_list(contents)
            _interpret(
                _resources(objects, resources),
                streams,
                MATRIX_IDENTITY,
                None,
                glyphs,
                [],
                MAX_PAGE_CONTENT,
                keep_invisible=True,  # the text layer of a scanned page is invisible
            )
        except Exception:  # noqa: BLE001, S110 - hostile page: keep the lines read so far
            pass
        return tuple(PageLine(text, rect) for text, rect in _lines(glyphs))


_PAGE_TEXTS: weakref.WeakKeyDictionary[PdfFileReader, dict[int, PageText]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _Shown:
    """What an appearance stream draws."""

    texts: tuple[str, ...] = ()
    fonts: tuple[str, ...] = ()
    font_sizes: tuple[float, ...] = ()
    text_colours: tuple[tuple[float, float, float], ...] = ()
    images: tuple[ImageFacts, ...] = ()


class PdfAppearance(Appearance):
    """A PDF signature's appearance, its stream read when first looked at.

    Only the Decree 30 rules look past the page and the rectangle, so the
    appearance stream is read on first access to :attr:`texts`, :attr:`fonts`,
    :attr:`font_sizes`, :attr:`text_colours` or :attr:`images`, and the page's
    text on first :meth:`page_lines`: other profiles pay nothing for them. It
    behaves as the frozen :class:`Appearance` it extends (equality, ``repr``,
    ``dataclasses.replace``); values given explicitly are used as they are.
    """

    def __init__(
        self,
        page: int,
        rect: Box,
        page_size: tuple[float, float],
        texts: tuple[str, ...] | None = None,
        fonts: tuple[str, ...] | None = None,
        font_sizes: tuple[float, ...] | None = None,
        text_colours: tuple[tuple[float, float, float], ...] | None = None,
        images: tuple[ImageFacts, ...] | None = None,
        *,
        widget: generic.DictionaryObject | None = None,
        reader: PdfFileReader | None = None,
    ) -> None:
        # frozen: attributes are set the way the dataclass machinery sets them
        object.__setattr__(self, "page", page)
        object.__setattr__(self, "rect", rect)
        object.__setattr__(self, "page_size", page_size)
        object.__setattr__(self, "_widget", widget)
        object.__setattr__(self, "_reader", reader)
        given = (texts, fonts, font_sizes, text_colours, images)
        if widget is None or any(value is not None for value in given):
            shown = _Shown(
                texts or (), fonts or (), font_sizes or (), text_colours or (), images or ()
            )
            self.__dict__["_shown"] = shown  # what cached_property would have stored

    @functools.cached_property
    def _shown(self) -> _Shown:
        widget: generic.DictionaryObject | None = self.__dict__["_widget"]
        return _read_shown(widget, self.rect) if widget is not None else _Shown()

    @property
    def texts(self) -> tuple[str, ...]:
        """Text drawn in the appearance stream, one entry per line, top to bottom."""
        return self._shown.texts

    @property
    def fonts(self) -> tuple[str, ...]:
        """Base font names of the text, as the font dictionaries give them."""
        return self._shown.fonts

    @property
    def font_sizes(self) -> tuple[float, ...]:
        """Text sizes: ``Tf`` size times the text matrix scale."""
        return self._shown.font_sizes

    @property
    def text_colours(self) -> tuple[tuple[float, float, float], ...]:
        """Fill colours of the text, RGB 0..1."""
        return self._shown.text_colours

    @property
    def images(self) -> tuple[ImageFacts, ...]:
        """Images drawn, with where they land on the page."""
        return self._shown.images

    @functools.cached_property
    def _page_text(self) -> PageText | None:
        reader: PdfFileReader | None = self.__dict__["_reader"]
        return PageText.of(reader, self.page - 1) if reader is not None else None

    def page_lines(self) -> tuple[PageLine, ...]:
        """The text lines of the page the widget is on (read on first use)."""
        return self._page_text.lines if self._page_text is not None else ()


def read_appearance(
    widget: generic.DictionaryObject,
    reader: PdfFileReader,
    *,
    page: int,
    rect: Box,
    page_size: tuple[float, float],
) -> PdfAppearance:
    """The appearance of ``widget``, placed at ``rect`` on ``page`` (1-based), to be
    read when first looked at. Never raises, then or later: a broken or hostile
    appearance gives what could be read."""
    return PdfAppearance(page, rect, page_size, widget=widget, reader=reader)


def _read_shown(widget: generic.DictionaryObject, rect: Box) -> _Shown:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    glyphs: list[_Glyph] = []
    placed: list[_Placed] = []
    try:
        stream_ref = _normal_appearance(widget)
        if stream_ref is not None:
            objects = _Objects(MAX_RESOURCES)
            form = objects.convert(stream_ref)
            if isinstance(form, PDFObjRef):
                form = form.resolve()
            if isinstance(form, _Stream):
                _interpret(
                    _resources(objects, form.get("Resources")),
                    [form],
                    _placement(form, rect),
                    rect,
                    glyphs,
                    placed,
                    MAX_CONTENT,
                    keep_invisible=False,
                )
    except Exception:  # noqa: BLE001, S110 - hostile appearance: keep what was read so far
        pass
    lines = _lines(glyphs)
    pixels = [2 * MAX_PIXELS]  # decoded for all the images of the appearance together
    return _Shown(
        texts=tuple(text for text, _ in lines),
        fonts=_unique(g.font for g in glyphs if g.font),
        font_sizes=_unique(g.size for g in glyphs),
        text_colours=_unique(g.colour for g in glyphs if g.colour is not None),
        images=tuple(_image_facts(p, pixels) for p in placed),
    )


# -- pyHanko objects seen as pdfminer objects ---------------------------------------------


class _Exhausted(Exception):
    """A work budget ran out: stop, keep what was read."""


class _Unreadable(Exception):
    """A stream or image cannot be decoded (unsupported or too large)."""


class _Objects:
    """Converts pyHanko objects to pdfminer's model on demand, with one decoding
    budget for everything read through it."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._resolved: dict[tuple[int, int], object] = {}
        self._next_id = 1 << 40  # for direct streams; clear of real object numbers

    def convert(self, obj: object, depth: int = 0) -> object:
        """pdfminer's value for a pyHanko object (indirect ones stay references)."""
        if depth > _MAX_NESTING:
            return None
        if isinstance(obj, generic.IndirectObject):
            return _Ref(self, obj)
        if isinstance(obj, generic.StreamObject):
            self._next_id += 1
            return _Stream(self, obj, self._next_id, 0, depth)
        if isinstance(obj, generic.DictionaryObject):
            return self.dictionary(obj, depth)
        if isinstance(obj, generic.ArrayObject):
            return [self.convert(obj.raw_get(i), depth + 1) for i in range(len(obj))]
        if isinstance(obj, generic.NameObject):
            return LIT(str(obj)[1:])
        if isinstance(obj, generic.BooleanObject):
            return bool(obj)
        if isinstance(obj, generic.NumberObject):
            return int(obj)
        if isinstance(obj, generic.FloatObject):
            return float(obj)
        if isinstance(obj, generic.TextStringObject | generic.ByteStringObject):
            return bytes(obj.original_bytes)
        return None

    def dictionary(self, obj: generic.DictionaryObject, depth: int = 0) -> dict[str, object]:
        """A dictionary's entries, keys without the slash (pdfminer's convention)."""
        return {str(key)[1:]: self.convert(obj.raw_get(key), depth + 1) for key in list(obj.keys())}

    def resolve(self, ref: generic.IndirectObject) -> object:
        """The converted object ``ref`` points to (converted once)."""
        key = (ref.idnum, ref.generation)
        if key not in self._resolved:
            self._resolved[key] = None  # a reference cycle resolves to null
            target = ref.get_object()  # type: ignore[no-untyped-call]
            if isinstance(target, generic.StreamObject):
                self._resolved[key] = _Stream(self, target, ref.idnum, ref.generation, 0)
            else:
                self._resolved[key] = self.convert(target)
        return self._resolved[key]

    def charge(self, size: int) -> None:
        """Count ``size`` decoded bytes against the budget."""
        self.budget -= size
        if self.budget < 0:
            raise _Exhausted

    def content_list(self, contents: object) -> list[object]:
        """A page's ``/Contents`` (a stream or an array of streams) as a list."""
        if isinstance(contents, generic.IndirectObject):
            target = contents.get_object()  # type: ignore[no-untyped-call]
            if isinstance(target, generic.ArrayObject):
                return [self.convert(target.raw_get(i)) for i in range(len(target))]
            return [self.convert(contents)]
        if isinstance(contents, generic.ArrayObject):
            return [self.convert(contents.raw_get(i)) for i in range(len(contents))]
        return []


class _Ref(PDFObjRef):
    """A pdfminer reference that resolves through pyHanko."""

    def __init__(self, objects: _Objects, ref: generic.IndirectObject) -> None:
        super().__init__(None, ref.idnum)
        self._objects = objects
        self._ref = ref

    def resolve(self, default: object = None) -> Any:
        try:
            value = self._objects.resolve(self._ref)
        except _Exhausted:
            raise
        except Exception:  # noqa: BLE001 - a dangling or broken object is null
            return default
        return default if value is None else value


class _Stream(PDFStream):
    """A pdfminer stream whose data pyHanko's stream supplies, decoded with a cap."""

    def __init__(
        self,
        objects: _Objects,
        source: generic.StreamObject,
        objid: int,
        genno: int,
        depth: int,
    ) -> None:
        super().__init__(cast(dict[str, Any], objects.dictionary(source, depth)), b"")
        self.set_objid(objid, genno)
        self.source = source
        self._objects = objects

    def get_data(self) -> bytes:
        if self.data is None:
            try:
                data = _decoded(self.source, MAX_STREAM)
            except Exception:  # noqa: BLE001 - unreadable: drawn as empty, the rest still counts
                data = b""
            self._objects.charge(len(data))
            self.data = data
        return self.data

    def get_rawdata(self) -> bytes | None:
        return bytes(self.source.encoded_data)


_FLATE = frozenset({"/FlateDecode", "/Fl"})
_TEXTUAL = frozenset({"/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"})  # never expand


def _filters(stream: generic.StreamObject) -> tuple[list[str], list[object]]:
    names = stream.get("/Filter")
    params = stream.get("/DecodeParms")
    if names is None:
        return [], []
    if isinstance(names, generic.NameObject):
        return [str(names)], [params]
    if isinstance(names, generic.ArrayObject):
        listed = [str(n) for n in names]
        values = list(params) if isinstance(params, generic.ArrayObject) else [params]
        return listed, values + [None] * (len(listed) - len(values))
    raise _Unreadable("bad /Filter")


def _decoded(stream: generic.StreamObject, limit: int) -> bytes:
    """The decoded data of a non-image stream, never more than ``limit`` bytes.

    Deflate is inflated here with a cap (pyHanko's own caps are sized for whole
    documents, far above what an appearance needs); ASCII filters only shrink.
    Anything else (LZW, predictors, crypt filters) is not used in appearance,
    font or ToUnicode streams by real tools, and is refused."""
    data = bytes(stream.encoded_data)
    names, params = _filters(stream)
    for name, param in zip(names, params, strict=True):
        if name in _FLATE and not _predicted(param):
            data = _inflate(data, limit)
        elif name in _TEXTUAL:
            data = stream.data if len(names) == 1 else _unsupported(name)
        else:
            _unsupported(name)
    if len(data) > limit:
        raise _Unreadable("stream too large")
    return data


def _predicted(param: object) -> bool:
    if isinstance(param, generic.DictionaryObject):
        predictor = param.get("/Predictor", 1)
        return isinstance(predictor, int) and predictor > 1
    return False


def _unsupported(name: str) -> bytes:
    raise _Unreadable(f"filter {name} is not read")


def _inflate(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise _Unreadable(f"deflate: {exc}") from exc
    if len(out) > limit:
        raise _Unreadable("stream too large")
    return out


# -- interpreting content ------------------------------------------------------------------


@dataclass(frozen=True)
class _Glyph:
    text: str
    box: Box
    font: str
    size: float  #: Tf size times the text matrix scale
    colour: tuple[float, float, float] | None


@dataclass(frozen=True)
class _Placed:
    stream: PDFStream
    rect: Box
    fill: tuple[float, float, float] | None  #: the fill colour, which paints a stencil mask


class _Collector(PDFTextDevice):
    """Records glyphs and images where they land; clips to the nested form boxes."""

    def __init__(
        self,
        manager: PDFResourceManager,
        clip: Box | None,
        glyphs: list[_Glyph],
        placed: list[_Placed],
        *,
        keep_invisible: bool,
    ) -> None:
        super().__init__(manager)
        self._clips: list[Box | None] = [clip]
        self._glyphs = glyphs
        self._placed = placed
        self._keep_invisible = keep_invisible
        self._textstate: PDFTextState | None = None
        self.fill: tuple[float, float, float] | None = (0.0, 0.0, 0.0)

    def begin_figure(self, name: str, bbox: Rect, matrix: Matrix) -> None:
        region = apply_matrix_rect(mult_matrix(matrix, self.ctm or MATRIX_IDENTITY), bbox)
        self._clips.append(_intersect(self._clips[-1], region))

    def end_figure(self, name: str) -> None:
        if len(self._clips) > 1:
            self._clips.pop()

    def render_image(self, name: str, stream: PDFStream) -> None:
        rect = self._clips[-1]
        if rect is not None and len(self._placed) < MAX_IMAGES:
            self._placed.append(_Placed(stream, rect, self.fill))

    def render_string(
        self,
        textstate: PDFTextState,
        seq: Iterable[int | float | bytes],
        ncs: PDFColorSpace,
        graphicstate: PDFGraphicState,
    ) -> None:
        if textstate.render in (3, 7) and not self._keep_invisible:
            return  # invisible text (render mode 3, or 7: clip only)
        self._textstate = textstate
        super().render_string(textstate, seq, ncs, graphicstate)

    def render_char(
        self,
        matrix: Matrix,
        font: PDFFont,
        fontsize: float,
        scaling: float,
        rise: float,
        cid: int,
        ncs: PDFColorSpace,
        graphicstate: PDFGraphicState,
    ) -> float:
        try:
            text = font.to_unichr(cid)
        except PDFUnicodeNotDefined:
            text = "\ufffd"
        char = LTChar(
            matrix,
            font,
            fontsize,
            scaling,
            rise,
            text,
            font.char_width(cid),
            font.char_disp(cid),
            ncs,
            graphicstate,
        )
        if len(self._glyphs) < MAX_GLYPHS:
            tm = self._textstate.matrix if self._textstate else MATRIX_IDENTITY
            self._glyphs.append(
                _Glyph(
                    text,
                    (char.x0, char.y0, char.x1, char.y1),
                    str(getattr(font, "basefont", None) or font.fontname),
                    round(fontsize * math.hypot(tm[2], tm[3]), 2),
                    _rgb(graphicstate.ncolor),
                )
            )
        return float(char.adv)


@dataclass
class _Budget:
    """Work left for one appearance or page, shared by nested interpreters."""

    content: int  #: decoded bytes of content streams
    forms: int = MAX_FORMS  #: XObjects drawn


class _Interpreter(PDFPageInterpreter):
    """pdfminer's interpreter with limits on nesting, XObjects drawn and content read."""

    def __init__(
        self,
        manager: PDFResourceManager,
        device: _Collector,
        budget: _Budget,
        depth: int = 0,
    ) -> None:
        super().__init__(manager, device)
        self._collector = device
        self._budget = budget
        self._depth = depth

    def dup(self) -> _Interpreter:
        return _Interpreter(self.rsrcmgr, self._collector, self._budget, self._depth + 1)

    def execute(self, streams: Sequence[object]) -> None:
        for stream in streams:
            if isinstance(stream, PDFObjRef):
                stream = stream.resolve()
            if isinstance(stream, PDFStream):
                self._budget.content -= len(stream.get_data())
        if self._budget.content < 0:
            raise _Exhausted
        super().execute(streams)

    def do_Do(self, xobjid_arg: PDFStackT) -> None:
        self._budget.forms -= 1
        if self._depth >= MAX_DEPTH or self._budget.forms < 0:
            return
        self._collector.fill = _rgb(self.graphicstate.ncolor)
        super().do_Do(xobjid_arg)


class _Fonts(PDFResourceManager):
    """pdfminer's font loader, spared the font program when a ToUnicode map is
    there: text then decodes through the map and widths come from the font
    dictionary, so reading (and inflating) the embedded font file is wasted work."""

    def get_font(self, objid: object, spec: Mapping[str, object]) -> PDFFont:
        if isinstance(spec, dict) and isinstance(resolve1(spec.get("ToUnicode")), PDFStream):
            spec = _without_program(spec)
        return super().get_font(objid, spec)


_PROGRAMS = ("FontFile", "FontFile2", "FontFile3")


def _without_program(spec: dict[str, object]) -> dict[str, object]:
    lean = dict(spec)
    descriptor = resolve1(spec.get("FontDescriptor"))
    if isinstance(descriptor, dict):
        lean["FontDescriptor"] = {k: v for k, v in descriptor.items() if k not in _PROGRAMS}
    descendants = resolve1(spec.get("DescendantFonts"))
    if isinstance(descendants, list) and descendants:
        first = resolve1(descendants[0])
        if isinstance(first, dict):
            lean["DescendantFonts"] = [_without_program(first)]
    return lean


def _interpret(
    resources: dict[object, object],
    streams: list[object],
    ctm: Matrix,
    clip: Box | None,
    glyphs: list[_Glyph],
    placed: list[_Placed],
    content_budget: int,
    *,
    keep_invisible: bool,
) -> None:
    manager = _Fonts(caching=True)
    device = _Collector(manager, clip, glyphs, placed, keep_invisible=keep_invisible)
    interpreter = _Interpreter(manager, device, _Budget(content_budget))
    with contextlib.suppress(_Exhausted):  # the budget is spent: what was drawn stays
        interpreter.render_contents(resources, streams, ctm=ctm)


def _resources(objects: _Objects, value: object) -> dict[object, object]:
    if isinstance(value, generic.PdfObject):
        value = objects.convert(value)
    if isinstance(value, PDFObjRef):
        value = value.resolve()
    return cast(dict[object, object], value) if isinstance(value, dict) else {}


def _normal_appearance(widget: generic.DictionaryObject) -> generic.PdfObject | None:
    """The raw ``/AP /N`` of the widget (a state's stream when ``/N`` has states)."""
    appearances = widget.get("/AP")
    if not isinstance(appearances, generic.DictionaryObject) or "/N" not in appearances:
        return None
    normal = appearances.raw_get("/N")
    resolved = normal.get_object()
    if isinstance(resolved, generic.StreamObject):
        return normal  # type: ignore[no-any-return]
    state = widget.get("/AS")
    if isinstance(resolved, generic.DictionaryObject) and state is not None and state in resolved:
        return resolved.raw_get(state)  # type: ignore[no-any-return]
    return None


def _placement(form: _Stream, rect: Box) -> Matrix:
    """ISO 32000-2 §12.5.5: the form's matrix, then the map of its transformed
    bounding box onto the widget rectangle."""
    matrix = _numbers(form.get("Matrix"), 6) or MATRIX_IDENTITY
    bbox = _numbers(form.get("BBox"), 4) or (0.0, 0.0, rect[2] - rect[0], rect[3] - rect[1])
    form_matrix = cast(Matrix, tuple(matrix))
    x0, y0, x1, y1 = apply_matrix_rect(form_matrix, cast(Rect, tuple(bbox)))
    sx = (rect[2] - rect[0]) / (x1 - x0) if x1 != x0 else 1.0
    sy = (rect[3] - rect[1]) / (y1 - y0) if y1 != y0 else 1.0
    onto_rect: Matrix = (sx, 0.0, 0.0, sy, rect[0] - x0 * sx, rect[1] - y0 * sy)
    return mult_matrix(form_matrix, onto_rect)


def _numbers(value: object, count: int) -> tuple[float, ...] | None:
    if isinstance(value, PDFObjRef):
        value = value.resolve()
    if isinstance(value, list) and len(value) == count:
        numbers = [v for v in value if isinstance(v, int | float) and math.isfinite(v)]
        if len(numbers) == count:
            return tuple(float(v) for v in numbers)
    return None


def _intersect(a: Box | None, b: Box) -> Box | None:
    x0, y0, x1, y1 = min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])
    if a is None:
        return (x0, y0, x1, y1)
    box = (max(a[0], x0), max(a[1], y0), min(a[2], x1), min(a[3], y1))
    return box if box[0] < box[2] and box[1] < box[3] else None


def _rgb(colour: object) -> tuple[float, float, float] | None:
    """A fill colour as RGB 0..1 (gray and CMYK converted naively; patterns: None)."""
    values = colour if isinstance(colour, tuple) else (colour,)
    if not all(isinstance(v, int | float) for v in values):
        return None
    parts = [min(1.0, max(0.0, float(v))) for v in cast(tuple[float, ...], values)]
    if len(parts) == 1:
        rgb = (parts[0],) * 3
    elif len(parts) == 3:
        rgb = (parts[0], parts[1], parts[2])
    elif len(parts) == 4:
        c, m, y, k = parts
        rgb = ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    else:
        return None
    return (round(rgb[0], 3), round(rgb[1], 3), round(rgb[2], 3))


def _unique(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


def _lines(glyphs: list[_Glyph]) -> list[tuple[str, Box]]:
    """Glyphs grouped into lines: same baseline, no gap wider than two em (a wide
    gap parts columns, like "Nơi nhận:" and "KT. CHỦ TỊCH" on one baseline)."""
    chars = sorted(
        (g for g in glyphs if g.text and g.box[3] > g.box[1]),
        key=lambda g: (-round(g.box[1], 1), g.box[0]),
    )
    grouped: list[list[_Glyph]] = []
    for char in chars:
        height = char.box[3] - char.box[1]
        if grouped:
            last = grouped[-1][-1]
            gap = char.box[0] - last.box[2]
            if abs(last.box[1] - char.box[1]) < 0.3 * height and -0.5 * height < gap < 2 * height:
                grouped[-1].append(char)
                continue
        grouped.append([char])
    found = []
    for line in grouped:
        parts: list[str] = []
        for index, char in enumerate(line):
            previous = line[index - 1] if index else None
            if (
                previous is not None
                and char.box[0] - previous.box[2] > 0.2 * (char.box[3] - char.box[1])
                and not previous.text.endswith(" ")
                and not char.text.startswith(" ")
            ):
                parts.append(" ")
            parts.append(char.text)
        text = " ".join("".join(parts).split())
        if text:
            box = (
                min(g.box[0] for g in line),
                min(g.box[1] for g in line),
                max(g.box[2] for g in line),
                max(g.box[3] for g in line),
            )
            found.append((text, box))
    found.sort(key=lambda item: (-item[1][3], item[1][0]))
    return found


# -- images --------------------------------------------------------------------------------

_INLINE_KEYS = {
    "W": "Width",
    "H": "Height",
    "BPC": "BitsPerComponent",
    "CS": "ColorSpace",
    "F": "Filter",
    "DP": "DecodeParms",
    "IM": "ImageMask",
    "D": "Decode",
}
_INLINE_NAMES = {
    "G": "DeviceGray",
    "RGB": "DeviceRGB",
    "CMYK": "DeviceCMYK",
    "I": "Indexed",
    "AHx": "ASCIIHexDecode",
    "A85": "ASCII85Decode",
    "Fl": "FlateDecode",
    "DCT": "DCTDecode",
    "RL": "RunLengthDecode",
    "LZW": "LZWDecode",
    "CCF": "CCITTFaxDecode",
}
_COMPONENTS = {"DeviceGray": 1, "CalGray": 1, "DeviceRGB": 3, "CalRGB": 3, "DeviceCMYK": 4}


@dataclass(frozen=True)
class _ImageData:
    """An image XObject or inline image: its dictionary and its encoded bytes."""

    attrs: Mapping[str, object]
    encoded: bytes

    @classmethod
    def of(cls, stream: PDFStream) -> _ImageData:
        if isinstance(stream, _Stream):
            return cls(stream.attrs, bytes(stream.source.encoded_data))
        attrs = {_INLINE_KEYS.get(k, k): v for k, v in stream.attrs.items()}
        return cls(attrs, stream.rawdata or b"")

    def get(self, key: str) -> object:
        value = self.attrs.get(key)
        return value.resolve() if isinstance(value, PDFObjRef) else value

    def integer(self, key: str, default: int = 0) -> int:
        value = self.get(key)
        return int(value) if isinstance(value, int | float) and math.isfinite(value) else default


def _image_facts(placed: _Placed, budget: list[int]) -> ImageFacts:
    """Size, transparency, colour and place of one drawn image. ``budget`` holds
    the pixels still allowed to be decoded for this appearance."""
    try:
        image = _ImageData.of(placed.stream)
        width, height = image.integer("Width"), image.integer("Height")
        mask = image.get("ImageMask") is True
        has_alpha = mask or image.get("SMask") is not None or image.get("Mask") is not None
    except Exception:  # noqa: BLE001 - a broken image dictionary
        return ImageFacts(0, 0, False, "unknown", placed.rect)
    hue = "unknown"
    budget[0] -= max(0, width) * max(0, height)
    if budget[0] >= 0:
        try:
            rgb, alpha = _pixels(image, placed.fill)
            hue = _dominant_hue(rgb, alpha)
        except Exception:  # noqa: BLE001, S110 - undecodable or hostile image data
            pass
    return ImageFacts(width, height, has_alpha, hue, placed.rect)


def _pixels(
    image: _ImageData, fill: tuple[float, float, float] | None
) -> tuple[Image.Image, Image.Image | None]:
    """The image as RGB, and its opacity (L, 255 = opaque) when it has a mask."""
    width, height = image.integer("Width"), image.integer("Height")
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise _Unreadable("no size, or too many pixels to decode")
    if image.get("ImageMask") is True:  # a stencil: painted in the fill colour where 0
        stencil = _samples_image(image, "DeviceGray", 1, 1)
        painted = (stencil if _decode_inverted(image) else ImageChops.invert(stencil)).convert("L")
        colour = tuple(round(255 * c) for c in (fill or (0.0, 0.0, 0.0)))
        return Image.new("RGB", painted.size, cast(tuple[int, int, int], colour)), painted
    space, base, palette = _colour_space(image.get("ColorSpace"))
    bits = image.integer("BitsPerComponent", 8)
    decoded = _decode(image, space, base, palette, bits)
    alpha = _mask(image, decoded)
    rgb = decoded.convert("RGB")
    return rgb, alpha


def _colour_space(value: object) -> tuple[str, str, bytes | None]:
    """(space, base space for Indexed, palette) of an image colour space."""
    if isinstance(value, PDFObjRef):
        value = value.resolve()
    if isinstance(value, PSLiteral):
        name = str(value.name)
        return _INLINE_NAMES.get(name, name), "", None
    if isinstance(value, list) and value:
        head = value[0]
        name = (
            _INLINE_NAMES.get(str(head.name), str(head.name)) if isinstance(head, PSLiteral) else ""
        )
        if name == "ICCBased" and len(value) > 1:
            stream = value[1].resolve() if isinstance(value[1], PDFObjRef) else value[1]
            components = stream.get("N") if isinstance(stream, PDFStream) else None
            return (
                {1: "DeviceGray", 3: "DeviceRGB", 4: "DeviceCMYK"}.get(
                    components if isinstance(components, int) else 0, "unsupported"
                ),
                "",
                None,
            )
        if name in ("CalRGB", "CalGray"):
            return name, "", None
        if name == "Indexed" and len(value) == 4:
            base, _, _ = _colour_space(value[1])
            lookup = value[3].resolve() if isinstance(value[3], PDFObjRef) else value[3]
            table = lookup.get_data() if isinstance(lookup, PDFStream) else lookup
            if isinstance(table, bytes) and base in _COMPONENTS:
                return "Indexed", base, table[: 256 * _COMPONENTS[base]]
    return "unsupported", "", None


def _decode(
    image: _ImageData, space: str, base: str, palette: bytes | None, bits: int
) -> Image.Image:
    names = _image_filters(image)
    if names and names[-1] in ("DCTDecode", "JPXDecode"):
        data = _unwrap(image.encoded, names[:-1])
        picture = Image.open(io.BytesIO(data))
        if picture.size[0] * picture.size[1] > MAX_PIXELS:
            raise _Unreadable("too many pixels")
        picture.draft("RGB", (_ANALYSIS_SIDE, _ANALYSIS_SIDE))  # JPEG: decode at a reduced scale
        return picture.convert("RGB")
    if space == "Indexed":
        indices = _samples_image(image, "Indexed", 1, bits)
        indexed = indices.convert("P") if indices.mode != "P" else indices
        rgb_palette = Image.frombytes(
            _PIL_MODE[base], (len(palette or b"") // _COMPONENTS[base], 1), palette or b""
        ).convert("RGB")
        indexed.putpalette(rgb_palette.tobytes())
        return indexed
    if space not in _COMPONENTS:
        raise _Unreadable(f"colour space {space} is not read")
    return _samples_image(image, space, _COMPONENTS[space], bits)


_PIL_MODE = {
    "DeviceGray": "L",
    "CalGray": "L",
    "DeviceRGB": "RGB",
    "CalRGB": "RGB",
    "DeviceCMYK": "CMYK",
}


def _image_filters(image: _ImageData) -> list[str]:
    value = image.get("Filter")
    items = value if isinstance(value, list) else [value] if value is not None else []
    names = []
    for item in items:
        if isinstance(item, PDFObjRef):
            item = item.resolve()
        if not isinstance(item, PSLiteral):
            raise _Unreadable("bad /Filter")
        names.append(_INLINE_NAMES.get(str(item.name), str(item.name)))
    return names


def _unwrap(data: bytes, names: list[str]) -> bytes:
    """Undo the filters in front of a DCT/JPX payload (rare; only Flate is read)."""
    for name in names:
        if name != "FlateDecode":
            raise _Unreadable(f"filter {name} is not read")
        data = _inflate(data, 4 * MAX_PIXELS)
    return data


def _samples_image(image: _ImageData, space: str, components: int, bits: int) -> Image.Image:
    """Decode raw samples (no filter, or Deflate with or without a PNG predictor)."""
    width, height = image.integer("Width"), image.integer("Height")
    if bits not in (1, 2, 4, 8, 16) or (bits < 8 and components != 1):
        raise _Unreadable(f"{bits} bits per component is not read")
    row = (width * components * bits + 7) // 8
    names = _image_filters(image)
    params = _decode_params(image)
    predictor = params.get("Predictor", 1) if params else 1
    data = image.encoded
    if names[:-1] and names[:-1] != ["FlateDecode"] * len(names[:-1]):
        raise _Unreadable("filter chain is not read")
    if names and names[-1] == "FlateDecode":
        if isinstance(predictor, int) and predictor >= 10:
            return _png_predicted(data, width, height, components, bits, space)
        if predictor not in (1, None):
            raise _Unreadable("TIFF predictor is not read")
        data = zlib.decompressobj().decompress(data, row * height)
    elif names:
        raise _Unreadable(f"filter {names[-1]} is not read")
    data = data[: row * height].ljust(row * height, b"\0")  # short data: the rest is black
    return _from_samples(data, width, height, space, bits)


def _decode_params(image: _ImageData) -> Mapping[str, object]:
    value = image.get("DecodeParms")
    if isinstance(value, list):
        value = value[-1] if value else None
    if isinstance(value, PDFObjRef):
        value = value.resolve()
    return cast(Mapping[str, object], value) if isinstance(value, dict) else {}


_RAW_MODES = {
    ("L", 1): ("1", "1"),
    ("L", 2): ("L", "L;2"),
    ("L", 4): ("L", "L;4"),
    ("L", 8): ("L", "L"),
    ("L", 16): ("L", "L;16B"),
    ("RGB", 8): ("RGB", "RGB"),
    ("RGB", 16): ("RGB", "RGB;16B"),
    ("CMYK", 8): ("CMYK", "CMYK"),
    ("P", 1): ("P", "P;1"),
    ("P", 2): ("P", "P;2"),
    ("P", 4): ("P", "P;4"),
    ("P", 8): ("P", "P"),
}


def _from_samples(data: bytes, width: int, height: int, space: str, bits: int) -> Image.Image:
    base = "P" if space == "Indexed" else _PIL_MODE.get(space, "")
    modes = _RAW_MODES.get((base, bits))
    if modes is None:
        raise _Unreadable(f"{space} with {bits} bits is not read")
    mode, raw = modes
    return Image.frombytes(mode, (width, height), data, "raw", raw)


def _png_predicted(
    data: bytes, width: int, height: int, components: int, bits: int, space: str
) -> Image.Image:
    """Deflate data with a PNG predictor is a PNG's IDAT: let Pillow undo the
    predictor (in C) by wrapping the data as a PNG file."""
    colour_type = {1: 0, 3: 2, 4: 6}.get(components)
    if colour_type is None or (bits != 8 and components != 1):
        raise _Unreadable("predicted samples of this kind are not read")

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, bits, colour_type, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    picture = Image.open(io.BytesIO(png))
    picture.load()
    if components == 4:  # CMYK samples travelled as RGBA
        return Image.frombytes("CMYK", (width, height), picture.tobytes())
    if space == "Indexed":
        return Image.frombytes("P", (width, height), picture.convert("L").tobytes())
    return picture


def _decode_inverted(image: _ImageData) -> bool:
    decode = image.get("Decode")
    return isinstance(decode, list) and len(decode) >= 2 and decode[0] == 1 and decode[1] == 0


def _mask(image: _ImageData, decoded: Image.Image) -> Image.Image | None:
    """Opacity from /SMask (soft mask), a /Mask stencil, or /Mask colour-key ranges."""
    smask = image.get("SMask")
    if isinstance(smask, PDFStream):
        soft = _ImageData.of(smask)
        if soft.integer("Width") * soft.integer("Height") > MAX_PIXELS:
            raise _Unreadable("mask too large")
        return _samples_image(soft, "DeviceGray", 1, soft.integer("BitsPerComponent", 8)).convert(
            "L"
        )
    mask = image.get("Mask")
    if isinstance(mask, PDFStream):
        stencil_data = _ImageData.of(mask)
        if stencil_data.integer("Width") * stencil_data.integer("Height") > MAX_PIXELS:
            raise _Unreadable("mask too large")
        stencil = _samples_image(stencil_data, "DeviceGray", 1, 1).convert("L")
        return stencil if _decode_inverted(stencil_data) else ImageChops.invert(stencil)
    if isinstance(mask, list) and mask and all(isinstance(v, int) for v in mask):
        return _colour_key(decoded, cast(list[int], mask))
    return None


def _colour_key(decoded: Image.Image, ranges: list[int]) -> Image.Image | None:
    """Colour-key masking: a pixel whose every sample is inside its range is transparent."""
    bands = decoded.split() if decoded.mode != "P" else (decoded.convert("L"),)
    if len(ranges) != 2 * len(bands):
        return None
    keyed: Image.Image | None = None
    for band, low, high in zip(bands, ranges[::2], ranges[1::2], strict=True):
        inside = band.point([255 if low <= v <= high else 0 for v in range(256)])
        keyed = inside if keyed is None else ImageChops.multiply(keyed, inside)
    return ImageChops.invert(keyed) if keyed is not None else None


# Hue classes on Pillow's HSV scale (0..255 for 0..360 degrees).
_RED = [255 if h <= 18 or h >= 227 else 0 for h in range(256)]  # 0-25 and 320-360 degrees
_BLUE = [255 if 128 <= h <= 188 else 0 for h in range(256)]  # 180-265 degrees: ink blues
_OPAQUE = [255 if a >= 128 else 0 for a in range(256)]
_BRIGHT = [255 if v >= 204 else 0 for v in range(256)]  # value >= 0.8
_PALE = [255 if s < 51 else 0 for s in range(256)]  # saturation < 0.2
_DARK = [255 if v < 77 else 0 for v in range(256)]  # value < 0.3
_GREY = [255 if s < 64 else 0 for s in range(256)]  # saturation < 0.25


def _dominant_hue(rgb: Image.Image, alpha: Image.Image | None) -> str:
    """``red``, ``blue``, ``black`` or ``other``: the most common colour class among
    the pixels that show (transparent and near-white pixels are not counted)."""
    scale = max(1, math.ceil(max(rgb.size) / _ANALYSIS_SIDE))
    size = (max(1, rgb.size[0] // scale), max(1, rgb.size[1] // scale))
    rgb = rgb.resize(size, Image.Resampling.NEAREST)
    hue, saturation, value = rgb.convert("HSV").split()
    counted = ImageChops.subtract(
        Image.new("L", size, 255)
        if alpha is None
        else alpha.resize(size, Image.Resampling.NEAREST).point(_OPAQUE),
        ImageChops.multiply(value.point(_BRIGHT), saturation.point(_PALE)),
    )
    neutral = ImageChops.lighter(value.point(_DARK), saturation.point(_GREY))
    chroma = ImageChops.subtract(counted, neutral)
    counts = {
        "black": _count(ImageChops.multiply(counted, neutral)),
        "red": _count(ImageChops.multiply(chroma, hue.point(_RED))),
        "blue": _count(ImageChops.multiply(chroma, hue.point(_BLUE))),
    }
    counts["other"] = _count(chroma) - counts["red"] - counts["blue"]
    if sum(counts.values()) == 0:
        return "other"
    return max(counts, key=lambda k: counts[k])


def _count(mask: Image.Image) -> int:
    return int(mask.histogram()[255])
