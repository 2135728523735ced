"""Drawing signature appearances: the Decree 30 forms of each role, and free-form
custom ones.

An appearance is planned first (its natural size, what it shows) and drawn into
the document later, once placement has decided where it goes. It is always drawn
at its natural size; the annotation rectangle may be smaller or larger and PDF
readers scale the drawing to it (ISO 32000-1 §12.5.5), keeping text and images
in proportion.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from pyhanko.pdf_utils import generic

from vnsign.errors import InputError
from vnsign.formats.pdf._objects import array, dictionary, name, real, stream
from vnsign.formats.pdf.fonts import Font, FontSubset
from vnsign.formats.pdf.images import Hue, PreparedImage, prepare_image
from vnsign.formats.pdf.options import (
    CustomAppearance,
    FontChoice,
    InvisibleAppearance,
    Nd30Appearance,
    Role,
)
from vnsign.formats.pdf.signing_time import format_vietnam_time
from vnsign.pki.identity import CertificateInfo, SubjectKind

if TYPE_CHECKING:
    from pyhanko.pdf_utils.writer import BasePdfFileWriter

__all__ = ["AppearancePlan", "plan_appearance", "resolve_font"]

TEXT_SIZE = 10.0
"""Times New Roman 10 for text-only agency signatures (ND30-SIG-ATTACH-SEPFILE,
ND30-COPY-SIG)."""
_LEADING = 1.25
_PAD = 2.0
_GAP = 4.0
_MIN_TRANSPARENT = 0.05


@dataclass(frozen=True, eq=False)
class AppearancePlan:
    """An appearance of known size, ready to be drawn into a document."""

    width: float
    height: float
    lines: tuple[str, ...]
    """The text shown, line by line (empty for image-only appearances)."""
    has_image: bool
    scalable: bool
    """Whether it may be enlarged to fill a box (images); text keeps its size."""
    _draw: Callable[[BasePdfFileWriter], generic.StreamObject] = field(repr=False)

    def embed(
        self,
        writer: BasePdfFileWriter,
        *,
        frame: tuple[float, float] | None = None,
        matrix: tuple[float, float, float, float] | None = None,
    ) -> generic.IndirectObject:
        """Add the appearance to ``writer`` as a form XObject.

        ``frame`` is the shown size of the widget: the bounding box grows to its
        proportions, so readers scale the drawing evenly and centre it.
        ``matrix`` rotates it (for rotated pages).
        """
        form = self._draw(writer)
        box = [0.0, 0.0, self.width, self.height]
        if frame is not None and frame[0] > 0 and frame[1] > 0:
            scale = min(frame[0] / self.width, frame[1] / self.height)
            dx = (frame[0] / scale - self.width) / 2
            dy = (frame[1] / scale - self.height) / 2
            box = [-dx, -dy, self.width + dx, self.height + dy]
        form[name("/Type")] = name("/XObject")
        form[name("/Subtype")] = name("/Form")
        form[name("/BBox")] = array(real(round(v, 3)) for v in box)
        if matrix is not None:
            form[name("/Matrix")] = array(real(v) for v in (*matrix, 0, 0))
        return writer.add_object(form)


def plan_appearance(
    role: Role,
    appearance: Nd30Appearance | CustomAppearance | InvisibleAppearance,
    *,
    certificate: x509.Certificate,
    signing_time: datetime,
    check_images: bool = True,
) -> AppearancePlan | None:
    """The appearance of a signature of ``role``; ``None`` when invisible.

    Raises :class:`~vnsign.errors.InputError` when what the role needs is missing
    (an image for a person or agency, a document number for an attachment), or,
    with ``check_images``, when an image breaks ND30-SIG-PERSON-IMG or
    ND30-SIG-ORG-IMG.
    """
    if isinstance(appearance, InvisibleAppearance):
        return None
    info = CertificateInfo.from_certificate(certificate)
    shown_time = format_vietnam_time(signing_time)
    if isinstance(appearance, CustomAppearance):
        return _custom(appearance, info, shown_time)
    font = resolve_font(appearance.font)
    if role in (Role.PERSON, Role.ORGANIZATION):
        if appearance.image is None:
            rule = "ND30-SIG-PERSON-IMG" if role is Role.PERSON else "ND30-SIG-ORG-IMG"
            what = "handwritten signature" if role is Role.PERSON else "seal"
            raise InputError(f"a {role} signature shows the image of the {what} ({rule})")
        prepared = prepare_image(appearance.image)
        if check_images:
            _check_image(role, prepared)
        size = prepared.size_pt(appearance.image.width_mm, appearance.image.height_mm)
        lines: tuple[str, ...] = ()
        if appearance.text_block:
            lines = _text_block(role, info, appearance.agency, shown_time)
        return _image_with_text(prepared, size, lines, font, TEXT_SIZE, (0.0, 0.0, 0.0))
    if role is Role.ATTACHMENT:
        if not appearance.document_number:
            raise InputError(
                "an attachment signature shows the number and notation (số và ký hiệu) of "
                "the main document: give document_number (ND30-SIG-ATTACH-SEPFILE)"
            )
        lines = (appearance.document_number, shown_time)
    else:
        lines = (str(appearance.copy_form), appearance.agency or agency_name(info), shown_time)
    return _text_only(lines, font, TEXT_SIZE, (0.0, 0.0, 0.0), border=False)


def agency_name(info: CertificateInfo) -> str:
    """The agency a certificate speaks for: the subject itself for an agency or
    organisation certificate, else its organisation."""
    if info.kind in (SubjectKind.GOVERNMENT_AGENCY, SubjectKind.ORGANIZATION):
        return info.display_name
    return info.organization or info.display_name


_FONTS: dict[str, Font] = {}
_FONTS_LOCK = threading.Lock()


def resolve_font(choice: FontChoice) -> Font:
    """The font for ``choice`` (files are read once per process)."""
    if isinstance(choice, Font):
        return choice
    if choice is None:
        return Font.bundled()
    key = str(Path(choice).resolve())
    with _FONTS_LOCK:
        font = _FONTS.get(key)
    if font is None:
        font = Font.from_file(choice)
        with _FONTS_LOCK:
            _FONTS[key] = font
    return font


def _check_image(role: Role, image: PreparedImage) -> None:
    wanted, rule = (
        (Hue.BLUE, "ND30-SIG-PERSON-IMG") if role is Role.PERSON else (Hue.RED, "ND30-SIG-ORG-IMG")
    )
    what = "handwritten signature" if role is Role.PERSON else "seal"
    if image.transparent_share < _MIN_TRANSPARENT:
        raise InputError(
            f"the {what} image must be a PNG with a transparent background ({rule}); "
            "pass check_images=False to use it anyway"
        )
    if image.hue is not wanted:
        raise InputError(
            f"the {what} image must be {wanted} ({rule}), it is mostly {image.hue}; "
            "pass check_images=False to use it anyway"
        )


def _text_block(
    role: Role, info: CertificateInfo, agency: str | None, shown_time: str
) -> tuple[str, ...]:
    # TT 01/2019/TT-BNV (repealed) style: agency name and signing time (ND30-SIG-ORG-NOTEXT)
    if role is Role.PERSON:
        lines = [f"Ký bởi: {info.display_name}"]
        if info.organization and info.organization != info.display_name:
            lines.append(f"Cơ quan: {info.organization}")
    else:
        lines = [f"Cơ quan: {agency or agency_name(info)}"]
    lines.append(f"Thời gian ký: {shown_time}")
    return tuple(lines)


def _custom(appearance: CustomAppearance, info: CertificateInfo, shown_time: str) -> AppearancePlan:
    values = {
        "time": shown_time,
        "signer": info.display_name,
        "organization": info.organization or info.display_name,
    }
    try:
        lines = tuple(line.format(**values) for line in appearance.lines)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            f"custom appearance line uses an unknown field {exc}; "
            "use {time}, {signer} or {organization}"
        ) from exc
    font = resolve_font(appearance.font)
    if appearance.image is None:
        return _text_only(lines, font, appearance.font_size, appearance.color, appearance.border)
    prepared = prepare_image(appearance.image)
    size = prepared.size_pt(appearance.image.width_mm, appearance.image.height_mm)
    return _image_with_text(
        prepared, size, lines, font, appearance.font_size, appearance.color, appearance.border
    )


def _text_only(
    lines: tuple[str, ...],
    font: Font,
    size: float,
    color: tuple[float, float, float],
    border: bool,
) -> AppearancePlan:
    lines = tuple(font.normalise(line) for line in lines if line)
    if not lines:
        raise InputError("the appearance has no text to show")
    subset = font.subset("".join(lines))
    width = max(font.width(line, size) for line in lines) + 2 * _PAD
    height = len(lines) * size * _LEADING + 2 * _PAD

    def draw(writer: BasePdfFileWriter) -> generic.StreamObject:
        ops = [b"q"]
        ops += _text_ops(subset, lines, size, color, _PAD, height - _PAD)
        if border:
            ops.append(_border(color, width, height))
        ops.append(b"Q")
        return _form(writer, b"\n".join(ops), fonts={"/F0": subset})

    return AppearancePlan(width, height, lines, False, False, draw)


def _image_with_text(
    image: PreparedImage,
    image_size: tuple[float, float],
    lines: tuple[str, ...],
    font: Font,
    size: float,
    color: tuple[float, float, float],
    border: bool = False,
) -> AppearancePlan:
    lines = tuple(font.normalise(line) for line in lines if line)
    img_w, img_h = image_size
    text_w = max((font.width(line, size) for line in lines), default=0.0)
    text_h = len(lines) * size * _LEADING
    width = img_w + (text_w + _GAP if lines else 0.0)
    height = max(img_h, text_h)
    subset = font.subset("".join(lines)) if lines else None

    def draw(writer: BasePdfFileWriter) -> generic.StreamObject:
        ops = [b"q %.3f 0 0 %.3f 0 %.3f cm /Im0 Do Q" % (img_w, img_h, (height - img_h) / 2)]
        if subset is not None:
            top = (height + text_h) / 2
            ops += [b"q", *_text_ops(subset, lines, size, color, img_w + _GAP, top), b"Q"]
        if border:
            ops.append(_border(color, width, height))
        return _form(
            writer,
            b"\n".join(ops),
            fonts={"/F0": subset} if subset is not None else {},
            images={"/Im0": image},
        )

    return AppearancePlan(width, height, lines, True, not lines, draw)


def _text_ops(
    subset: FontSubset,
    lines: tuple[str, ...],
    size: float,
    color: tuple[float, float, float],
    left: float,
    top: float,
) -> list[bytes]:
    ascent = subset.font.ascent * size
    leading = size * _LEADING
    ops = [b"BT", b"%s rg" % _rgb(color), b"/F0 %.2f Tf" % size]
    for number, line in enumerate(lines):
        baseline = top - ascent - number * leading
        ops.append(b"1 0 0 1 %.3f %.3f Tm %s Tj" % (left, baseline, subset.encode(line)))
    ops.append(b"ET")
    return ops


def _rgb(color: tuple[float, float, float]) -> bytes:
    return b"%.3f %.3f %.3f" % color


def _border(color: tuple[float, float, float], width: float, height: float) -> bytes:
    return b"q 0.5 w %s RG 0.25 0.25 %.2f %.2f re S Q" % (_rgb(color), width - 0.5, height - 0.5)


def _form(
    writer: BasePdfFileWriter,
    content: bytes,
    *,
    fonts: dict[str, FontSubset],
    images: dict[str, PreparedImage] | None = None,
) -> generic.StreamObject:
    resources = dictionary()
    if fonts:
        resources[name("/Font")] = dictionary(
            {key: subset.embed(writer) for key, subset in fonts.items()}
        )
    if images:
        resources[name("/XObject")] = dictionary(
            {key: image.embed(writer) for key, image in images.items()}
        )
    return stream({"/Resources": resources}, data=content, compress=True)
