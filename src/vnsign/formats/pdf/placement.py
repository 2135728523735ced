"""Where a visible signature goes: by page and box, by a text anchor, between the
signer's position line and name, over an earlier signature, at the top right of
the first page, or into an existing empty signature field.

Each placement is a small frozen value; :func:`resolve_placement` turns it into a
page and a rectangle for one document.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.form_tools import enumerate_fields_in, get_single_field_annot
from pyhanko.pdf_utils.misc import FormFillingError, PdfError

from vnsign.errors import InputError, MalformedInputError, SigningError
from vnsign.formats.pdf.appearance import AppearancePlan
from vnsign.formats.pdf.geometry import MM, PageGeometry, Rect, page_count, page_index
from vnsign.formats.pdf.text_search import PageText, TextMatch, read_pages
from vnsign.pki.identity import CertificateInfo

__all__ = [
    "Box",
    "ExistingField",
    "NearText",
    "OnPage",
    "OverSignature",
    "Placement",
    "ResolvedPlacement",
    "Side",
    "SignerBlock",
    "TopRight",
    "Unit",
    "resolve_placement",
]


class Unit(enum.StrEnum):
    """Length units for boxes."""

    MM = "mm"
    PT = "pt"

    @property
    def points(self) -> float:
        """Points per unit."""
        return MM if self is Unit.MM else 1.0


@dataclass(frozen=True)
class Box:
    """A rectangle measured from the top-left corner of the page as shown."""

    left: float
    top: float
    width: float
    height: float
    unit: Unit = Unit.MM

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise InputError(f"a box needs a positive width and height, not {self}")


@dataclass(frozen=True)
class OnPage:
    """In ``box`` on ``page`` (1-based; -1 is the last page). The appearance keeps
    its proportions and is centred in the box; text is never enlarged."""

    box: Box
    page: int = 1


class Side(enum.StrEnum):
    """Where a signature goes relative to a text anchor."""

    ABOVE = "above"
    BELOW = "below"
    LEFT = "left"
    RIGHT = "right"
    OVER = "over"


@dataclass(frozen=True)
class NearText:
    """Next to a text found on the page (case, diacritics and spacing ignored).

    ``page`` None searches from the last page back; ``occurrence`` picks among the
    matches on that page (0 first, -1 last).
    """

    text: str
    side: Side = Side.BELOW
    page: int | None = None
    occurrence: int = -1
    gap_mm: float = 2.0


@dataclass(frozen=True)
class SignerBlock:
    """Centred between the position line and the signer's name, where Decree 30
    puts the competent person's signature (ô 7c, ND30-SIG-PERSON-IMG).

    ``name`` defaults to the certificate's common name; ``title`` (e.g. "CHỦ
    TỊCH") defaults to the nearest line above the name.
    """

    name: str | None = None
    title: str | None = None
    page: int | None = None


@dataclass(frozen=True)
class ExistingField:
    """Into the empty signature field called ``name``."""

    name: str


@dataclass(frozen=True)
class OverSignature:
    """Over the left part of an earlier signature: the agency seal covering about
    one third of the person's signature on its left (ND30-SIG-ORG-IMG).

    ``field`` names the signature; by default the latest visible one.
    """

    field: str | None = None
    overlap: float = 1 / 3

    def __post_init__(self) -> None:
        if not 0 < self.overlap < 1:
            raise InputError("overlap is a fraction between 0 and 1")


@dataclass(frozen=True)
class TopRight:
    """At the top right of a page, for text-only agency signatures on attachments
    and copies (ND30-SIG-ATTACH-SEPFILE, ND30-COPY-SIG ô 14)."""

    page: int = 1
    right_mm: float = 15.0
    top_mm: float = 5.0


Placement = OnPage | NearText | SignerBlock | ExistingField | OverSignature | TopRight
"""Where a visible signature goes."""


@dataclass(frozen=True)
class ResolvedPlacement:
    """A placement decided for one document."""

    geometry: PageGeometry
    rect: Rect
    """User-space rectangle of the widget."""
    frame: tuple[float, float]
    """Width and height of the widget as shown (display orientation)."""
    field_name: str | None
    """The existing field to sign, or ``None`` for a new one."""


@dataclass
class PlacementContext:
    """What resolving a placement may look at."""

    writer: Any
    text_source: IO[bytes]
    password: str | None
    certificate: x509.Certificate
    _texts: dict[int, PageText] | None = None

    def page_text(self, index: int) -> PageText:
        """The text of page ``index`` (read once)."""
        if self._texts is None:
            self._texts = {}
        if index not in self._texts:
            (page,) = read_pages(self.text_source, [index], password=self.password)
            self._texts[index] = page
        return self._texts[index]


def resolve_placement(
    placement: Placement, plan: AppearancePlan | None, context: PlacementContext
) -> ResolvedPlacement | None:
    """Page and rectangle for ``plan`` (``None`` when invisible) in this document."""
    if isinstance(placement, ExistingField):
        return _existing_field(placement, context)
    if plan is None:
        return None
    size = (plan.width, plan.height)
    if isinstance(placement, OnPage):
        geometry = _geometry(context, placement.page)
        vis = geometry.visible
        box = placement.box
        scale = box.unit.points
        left, top = vis[0] + box.left * scale, vis[3] - box.top * scale
        target = (left, top - box.height * scale, left + box.width * scale, top)
        return _placed(geometry, _fit(size, target, plan.scalable))
    if isinstance(placement, TopRight):
        geometry = _geometry(context, placement.page)
        vis = geometry.visible
        right, top = vis[2] - placement.right_mm * MM, vis[3] - placement.top_mm * MM
        return _placed(geometry, (right - size[0], top - size[1], right, top))
    if isinstance(placement, NearText):
        return _near_text(placement, size, context)
    if isinstance(placement, SignerBlock):
        return _signer_block(placement, plan, context)
    return _over_signature(placement, size, context)


def _placed(geometry: PageGeometry, display_rect: Rect) -> ResolvedPlacement:
    """The placement of ``display_rect``, moved (not shrunk) to stay on the page."""
    x1, y1, x2, y2 = display_rect
    vx1, vy1, vx2, vy2 = geometry.visible
    dx = min(0.0, vx2 - x2) or max(0.0, vx1 - x1)
    dy = min(0.0, vy2 - y2) or max(0.0, vy1 - y1)
    rect = (x1 + dx, y1 + dy, x2 + dx, y2 + dy)
    frame = (x2 - x1, y2 - y1)
    return ResolvedPlacement(geometry, geometry.rect_to_user(rect), frame, None)


def _geometry(context: PlacementContext, page: int) -> PageGeometry:
    return PageGeometry.of(context.writer, page_index(page, page_count(context.writer)))


def _fit(size: tuple[float, float], target: Rect, scalable: bool) -> Rect:
    """``size`` scaled into ``target`` keeping proportions: centred for images,
    top-left for text (which is only ever shrunk)."""
    tw, th = target[2] - target[0], target[3] - target[1]
    scale = min(tw / size[0], th / size[1])
    if not scalable:
        scale = min(scale, 1.0)
    w, h = size[0] * scale, size[1] * scale
    if scalable:
        x = target[0] + (tw - w) / 2
        y = target[1] + (th - h) / 2
        return (x, y, x + w, y + h)
    return (target[0], target[3] - h, target[0] + w, target[3])


def _pages_to_search(context: PlacementContext, page: int | None) -> list[int]:
    count = page_count(context.writer)
    if page is not None:
        return [page_index(page, count)]
    return list(range(count - 1, -1, -1))


def _find(context: PlacementContext, text: str, page: int | None) -> list[TextMatch]:
    for index in _pages_to_search(context, page):
        matches = context.page_text(index).find(text)
        if matches:
            return matches
    where = f"page {page}" if page is not None else "any page"
    raise SigningError(f"the text {text!r} is not on {where}; cannot place the signature")


def _near_text(
    placement: NearText, size: tuple[float, float], context: PlacementContext
) -> ResolvedPlacement:
    matches = _find(context, placement.text, placement.page)
    try:
        match = matches[placement.occurrence]
    except IndexError:
        raise InputError(
            f"{placement.text!r} occurs {len(matches)} times; occurrence "
            f"{placement.occurrence} does not exist"
        ) from None
    x1, y1, x2, y2 = match.bbox
    w, h = size
    gap = placement.gap_mm * MM
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = placement.side
    if side is Side.BELOW:
        rect = (cx - w / 2, y1 - gap - h, cx + w / 2, y1 - gap)
    elif side is Side.ABOVE:
        rect = (cx - w / 2, y2 + gap, cx + w / 2, y2 + gap + h)
    elif side is Side.RIGHT:
        rect = (x2 + gap, cy - h / 2, x2 + gap + w, cy + h / 2)
    elif side is Side.LEFT:
        rect = (x1 - gap - w, cy - h / 2, x1 - gap, cy + h / 2)
    else:
        rect = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return _placed(PageGeometry.of(context.writer, match.page_index), rect)


def _signer_block(
    placement: SignerBlock, plan: AppearancePlan, context: PlacementContext
) -> ResolvedPlacement:
    name = placement.name or CertificateInfo.from_certificate(context.certificate).common_name
    if not name:
        raise InputError("the certificate has no common name; give the signer's name to find")
    name_match = _find(context, name, placement.page)[-1]
    page = context.page_text(name_match.page_index)
    nx1, _, nx2, ny2 = name_match.bbox
    centre = (nx1 + nx2) / 2
    if placement.title is not None:
        above = [m for m in page.find(placement.title) if m.bbox[1] >= ny2 - 1]
        if not above:
            raise SigningError(
                f"the position line {placement.title!r} is not above {name!r} on "
                f"page {name_match.page_index + 1}"
            )
        title_box = min(above, key=lambda m: m.bbox[1] - ny2).bbox
    else:
        lines = [
            ln.bbox
            for ln in page.lines
            if ln.bbox[1] >= ny2 - 1 and ln.bbox[0] <= centre <= ln.bbox[2]
        ]
        if not lines:
            raise SigningError(f"no position line above {name!r}; give the title to look for")
        title_box = min(lines, key=lambda b: b[1] - ny2)
    centre = (centre + (title_box[0] + title_box[2]) / 2) / 2
    bottom, top = ny2, title_box[1]
    gap = top - bottom
    if gap <= 4:
        raise SigningError(f"there is no room between the position line and {name!r}")
    w, h = plan.width, plan.height
    scale = min(1.0, (gap - 2) / h)
    w, h = w * scale, h * scale
    middle = (bottom + top) / 2
    rect = (centre - w / 2, middle - h / 2, centre + w / 2, middle + h / 2)
    return _placed(PageGeometry.of(context.writer, name_match.page_index), rect)


def _over_signature(
    placement: OverSignature, size: tuple[float, float], context: PlacementContext
) -> ResolvedPlacement:
    target = None
    for name, value, annot in _signed_widgets(context.writer):
        if placement.field is not None and name != placement.field:
            continue
        rect = _rect(annot)
        if rect is None or rect[2] - rect[0] < 1 or rect[3] - rect[1] < 1:
            continue
        end = _signed_end(value)
        if target is None or end > target[0]:
            target = (end, name, annot, rect)
    if target is None:
        wanted = f"signature {placement.field!r}" if placement.field else "visible signature"
        raise SigningError(f"no {wanted} to place the seal over (ND30-SIG-ORG-IMG)")
    _, name, annot, rect = target
    index = _page_of(context.writer, annot)
    geometry = PageGeometry.of(context.writer, index)
    x1, y1, x2, y2 = geometry.rect_to_display(rect)
    reserved = _reserved_field(context, index, geometry, (x1, y1, x2, y2), placement.overlap)
    if reserved is not None:
        return reserved
    w, h = size
    right = x1 + (x2 - x1) * placement.overlap
    cy = (y1 + y2) / 2
    return _placed(geometry, (right - w, cy - h / 2, right, cy + h / 2))


def _reserved_field(
    context: PlacementContext,
    index: int,
    geometry: PageGeometry,
    person: Rect,
    overlap: float,
) -> ResolvedPlacement | None:
    """An empty signature field already waiting over the left part of the
    person's signature (reserved by the certifier), if there is one."""
    x1, y1, x2, y2 = person
    edge = x1 + (x2 - x1) * overlap
    for name, value, annot in _sig_fields(context.writer):
        rect = _rect(annot)
        if value is not None or rect is None or rect[2] - rect[0] < 1:
            continue
        shown = geometry.rect_to_display(rect)
        centre_y = (shown[1] + shown[3]) / 2
        if (
            abs(shown[2] - edge) < 3
            and y1 <= centre_y <= y2
            and _page_of(context.writer, annot) == index
        ):
            frame = (shown[2] - shown[0], shown[3] - shown[1])
            return ResolvedPlacement(geometry, rect, frame, name)
    return None


def _existing_field(
    placement: ExistingField, context: PlacementContext
) -> ResolvedPlacement | None:
    found = list(_sig_fields(context.writer, placement.name))
    if not found:
        raise SigningError(f"there is no signature field {placement.name!r}")
    _, value, annot = found[0]
    if value is not None:
        raise SigningError(f"the signature field {placement.name!r} is already signed")
    rect = _rect(annot)
    if rect is None or rect[2] - rect[0] < 1 or rect[3] - rect[1] < 1:
        return None
    geometry = PageGeometry.of(context.writer, _page_of(context.writer, annot))
    shown = geometry.rect_to_display(rect)
    return ResolvedPlacement(
        geometry, rect, (shown[2] - shown[0], shown[3] - shown[1]), placement.name
    )


def _sig_fields(
    writer: Any, name: str | None = None
) -> Iterator[tuple[str, generic.DictionaryObject | None, generic.DictionaryObject]]:
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        return
    try:
        found = enumerate_fields_in(  # type: ignore[no-untyped-call]
            fields, with_name=name, refs_seen=set(), target_field_type="/Sig"
        )
        for field_name, value, ref in found:
            field = ref.get_object()
            yield (
                field_name,
                (value.get_object() if value is not None else None),
                (get_single_field_annot(field)),
            )
    except FormFillingError as exc:
        raise SigningError(str(exc)) from exc
    except (PdfError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedInputError(f"the form fields are unreadable: {exc}") from exc


def _signed_widgets(
    writer: Any,
) -> Iterator[tuple[str, generic.DictionaryObject, generic.DictionaryObject]]:
    for name, value, annot in _sig_fields(writer):
        if value is None or value.get("/Type") == "/DocTimeStamp":
            continue
        yield name, value, annot


def _signed_end(value: generic.DictionaryObject) -> int:
    try:
        byte_range = [int(v) for v in value["/ByteRange"]]
        return byte_range[2] + byte_range[3]
    except (KeyError, ValueError, TypeError, IndexError):
        return -1


def _rect(annot: generic.DictionaryObject) -> Rect | None:
    try:
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    except (KeyError, ValueError, TypeError):
        return None
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _page_of(writer: Any, annot: generic.DictionaryObject) -> int:
    count = page_count(writer)
    target = annot.container_ref
    for index in range(count):
        page_ref, _ = writer.find_page_for_modification(index)
        if "/P" in annot and annot.raw_get("/P") == page_ref:
            return index
        annots = page_ref.get_object().get("/Annots", ())
        if any(_same(a, target, annot) for a in annots):
            return index
    raise MalformedInputError("a signature widget is on no page")


def _same(candidate: Any, target: Any, annot: generic.DictionaryObject) -> bool:
    if isinstance(candidate, generic.IndirectObject) and target is not None:
        return bool(candidate.reference == getattr(target, "reference", target))
    return candidate is annot
