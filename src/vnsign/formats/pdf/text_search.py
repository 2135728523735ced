"""Find text on a PDF page, with its position: the anchors of signature placement
(the signer's name, the position line "KT. CHỦ TỊCH", "Nơi nhận" ...).

Search ignores case, diacritics and runs of white space, so ``"chu tich"`` finds
``"CHỦ TỊCH"``. Positions are in the page's *display* space: points from the
lower-left corner of the MediaBox as the page is shown, after ``/Rotate``
(see :mod:`vnsign.formats.pdf.geometry`).

Text is read with pdfminer.six, which decodes fonts through their ToUnicode maps
and encodings the way text extraction tools do.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from vnsign.errors import InputError, MalformedInputError
from vnsign.pki.identity import fold

__all__ = ["PageText", "TextLine", "TextMatch", "find_text", "read_pages"]

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class TextLine:
    """One line of text as laid out on the page."""

    text: str
    bbox: Rect
    char_boxes: tuple[Rect | None, ...]
    """One box per character of :attr:`text` (``None`` for inferred spaces)."""


@dataclass(frozen=True)
class TextMatch:
    """Where a searched text was found."""

    page_index: int
    bbox: Rect
    line: TextLine


@dataclass(frozen=True)
class PageText:
    """The text lines of one page, top to bottom."""

    page_index: int
    lines: tuple[TextLine, ...]

    def find(self, needle: str) -> list[TextMatch]:
        """Every occurrence of ``needle``, top to bottom, left to right."""
        return find_text(self, needle)


def find_text(page: PageText, needle: str) -> list[TextMatch]:
    """Occurrences of ``needle`` on ``page`` (case, diacritics and spacing ignored)."""
    wanted = _squash(fold(needle))
    if not wanted:
        raise InputError("the text to search for is empty")
    matches = []
    for line in page.lines:
        folded, origin = _fold_with_origin(line.text)
        for hit in re.finditer(re.escape(wanted), folded):
            first, last = origin[hit.start()], origin[hit.end() - 1]
            boxes = [b for b in line.char_boxes[first : last + 1] if b is not None]
            if boxes:
                bbox = (
                    min(b[0] for b in boxes),
                    min(b[1] for b in boxes),
                    max(b[2] for b in boxes),
                    max(b[3] for b in boxes),
                )
                matches.append(TextMatch(page.page_index, bbox, line))
    return matches


def read_pages(
    source: Path | IO[bytes], page_indices: list[int], *, password: str | None = None
) -> Iterator[PageText]:
    """The text of the pages at ``page_indices`` (0-based), in the order given.

    Raises :class:`~vnsign.errors.MalformedInputError` when the PDF cannot be read.
    """
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psexceptions import PSException

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    handle: IO[bytes] = open(source, "rb") if isinstance(source, Path) else source  # noqa: SIM115
    try:
        handle.seek(0)
        document = PDFDocument(PDFParser(cast(BinaryIO, handle)), password=password or "")
        pages = list(PDFPage.create_pages(document))
        manager = PDFResourceManager(caching=True)
        device = PDFPageAggregator(manager, laparams=None)
        interpreter = PDFPageInterpreter(manager, device)
        for index in page_indices:
            if not 0 <= index < len(pages):
                raise InputError(f"page {index + 1} does not exist (the PDF has {len(pages)})")
            interpreter.process_page(pages[index])
            yield PageText(index, tuple(_lines(device.get_result())))
    except PDFPasswordIncorrect as exc:
        raise InputError("wrong password for the PDF") from exc
    except (PSException, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise MalformedInputError(f"cannot read the text of the PDF: {exc}") from exc
    finally:
        if isinstance(source, Path):
            handle.close()


def _lines(layout: Any) -> Iterator[TextLine]:
    """Characters grouped into lines: same baseline, no wide gap (a wide gap
    separates columns, like "Nơi nhận:" and "KT. CHỦ TỊCH" on one baseline).

    pdfminer's own layout analysis would do this too, at twice the cost."""
    from pdfminer.layout import LTChar

    def walk(item: Any) -> Iterator[Any]:
        if isinstance(item, LTChar):
            yield item
            return
        try:
            children = list(item)
        except TypeError:
            return
        for child in children:
            yield from walk(child)

    chars = [c for c in walk(layout) if c.get_text() and c.width >= 0 and c.height > 0]
    chars.sort(key=lambda c: (-round(c.y0, 1), c.x0))
    lines: list[list[Any]] = []
    for char in chars:
        size = char.height
        current = lines[-1] if lines else None
        if current is not None:
            last = current[-1]
            same_baseline = abs(last.y0 - char.y0) < 0.3 * size
            gap = char.x0 - last.x1
            if same_baseline and -0.5 * size < gap < 2.0 * size:
                current.append(char)
                continue
        lines.append([char])
    found = []
    for line in lines:
        text: list[str] = []
        boxes: list[Rect | None] = []
        for index, char in enumerate(line):
            if index and char.x0 - line[index - 1].x1 > 0.2 * char.height:
                text.append(" ")
                boxes.append(None)
            piece = char.get_text()
            text.append(piece)
            boxes.extend([tuple(char.bbox)] * len(piece))
        joined = "".join(text)
        if joined.strip():
            bbox = (
                min(c.x0 for c in line),
                min(c.y0 for c in line),
                max(c.x1 for c in line),
                max(c.y1 for c in line),
            )
            found.append(TextLine(joined, bbox, tuple(boxes)))
    found.sort(key=lambda ln: (-ln.bbox[3], ln.bbox[0]))
    return iter(found)


def _fold_with_origin(text: str) -> tuple[str, list[int]]:
    """``text`` folded and with white space squashed, and for each folded
    character the index of the character of ``text`` it came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                origin.append(index)
            continue
        for folded in fold(char):
            out.append(folded)
            origin.append(index)
    return "".join(out), origin


def _squash(text: str) -> str:
    return " ".join(text.split())
