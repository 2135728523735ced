"""Page geometry: boxes, rotation, and the two coordinate spaces placement uses.

*User space* is the PDF's own (what ``/Rect`` of an annotation is written in).
*Display space* is the page as a reader sees it: points from the lower-left
corner of the MediaBox after ``/Rotate`` is applied (the same space as
:mod:`vnsign.formats.pdf.text_search`). Placement works in display space, so a
box "15 mm from the right edge" means the right edge the reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic

from vnsign.errors import InputError, MalformedInputError

__all__ = ["MM", "PageGeometry", "Rect", "page_count"]

MM = 72 / 25.4
"""Points per millimetre."""

Rect = tuple[float, float, float, float]
"""``(x1, y1, x2, y2)``, lower-left and upper-right corners."""

_MAX_TREE_DEPTH = 64


@dataclass(frozen=True)
class PageGeometry:
    """Boxes and rotation of one page."""

    index: int
    mediabox: Rect
    cropbox: Rect
    rotate: int

    @classmethod
    def of(cls, writer: Any, index: int) -> PageGeometry:
        """The geometry of page ``index`` (0-based) of a pyHanko reader or writer."""
        try:
            page_ref, _ = writer.find_page_for_modification(index)
            page = page_ref.get_object()
            mediabox = _inherited_box(page, "/MediaBox") or (0.0, 0.0, 595.0, 842.0)
            cropbox = _inherited_box(page, "/CropBox") or mediabox
            rotate = int(_inherited(page, "/Rotate") or 0) % 360
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedInputError(f"page {index + 1} is unreadable: {exc}") from exc
        if rotate not in (0, 90, 180, 270):
            rotate = 0
        crop = (
            max(cropbox[0], mediabox[0]),
            max(cropbox[1], mediabox[1]),
            min(cropbox[2], mediabox[2]),
            min(cropbox[3], mediabox[3]),
        )
        if crop[2] <= crop[0] or crop[3] <= crop[1]:
            crop = mediabox
        return cls(index, mediabox, crop, rotate)

    @property
    def _ctm(self) -> tuple[float, float, float, float, float, float]:
        # user -> display, as PDF viewers (and pdfminer) rotate pages
        x0, y0, x1, y1 = self.mediabox
        if self.rotate == 90:
            return (0, -1, 1, 0, -y0, x1)
        if self.rotate == 180:
            return (-1, 0, 0, -1, x1, y1)
        if self.rotate == 270:
            return (0, 1, -1, 0, y1, -x0)
        return (1, 0, 0, 1, -x0, -y0)

    def to_display(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point in display space."""
        a, b, c, d, e, f = self._ctm
        return a * x + c * y + e, b * x + d * y + f

    def to_user(self, x: float, y: float) -> tuple[float, float]:
        """A display-space point in user space."""
        a, b, c, d, e, f = self._ctm
        det = a * d - b * c
        x, y = x - e, y - f
        return (d * x - c * y) / det, (-b * x + a * y) / det

    def rect_to_user(self, rect: Rect) -> Rect:
        """A display-space rectangle in user space."""
        xa, ya = self.to_user(rect[0], rect[1])
        xb, yb = self.to_user(rect[2], rect[3])
        return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))

    def rect_to_display(self, rect: Rect) -> Rect:
        """A user-space rectangle in display space."""
        xa, ya = self.to_display(rect[0], rect[1])
        xb, yb = self.to_display(rect[2], rect[3])
        return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))

    @property
    def visible(self) -> Rect:
        """The CropBox (what a reader sees) in display space."""
        return self.rect_to_display(self.cropbox)

    @property
    def appearance_matrix(self) -> tuple[float, float, float, float] | None:
        """The rotation that keeps an appearance upright on this page (the linear
        part of display → user), or ``None`` for an unrotated page."""
        if self.rotate == 0:
            return None
        a, b, c, d, _, _ = self._ctm
        det = a * d - b * c
        return (d / det, -b / det, -c / det, a / det)


def page_count(writer: Any) -> int:
    """Number of pages of a pyHanko reader or writer."""
    try:
        count = writer.root["/Pages"]["/Count"]
        return int(count)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedInputError(f"the PDF has no readable page tree: {exc}") from exc


def page_index(page: int, count: int) -> int:
    """A 1-based page number (negative: from the end, -1 = last) as a 0-based index."""
    index = page - 1 if page > 0 else count + page
    if page == 0 or not 0 <= index < count:
        raise InputError(f"page {page} does not exist (the PDF has {count} pages)")
    return index


def _inherited(page: generic.DictionaryObject, key: str) -> Any:
    node: Any = page
    for _ in range(_MAX_TREE_DEPTH):
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    raise MalformedInputError("the page tree is too deep or circular")


def _inherited_box(page: generic.DictionaryObject, key: str) -> Rect | None:
    value = _inherited(page, key)
    if value is None:
        return None
    numbers = [float(v) for v in value]
    if len(numbers) != 4:
        raise ValueError(f"{key} has {len(numbers)} numbers")
    x1, y1, x2, y2 = numbers
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
