"""The Decree 30 forms of each role, checked on rendered pixels (pdftoppm), on
extracted text (pdftotext) and on the PDF objects themselves."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from _pdf_helpers import Rendering, is_blue, is_dark, is_red, word_boxes
from asn1crypto import cms
from pyhanko.pdf_utils.generic import parse_pdf_date
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import SignatureCoverageLevel

from vnsign.formats.pdf import (
    CopyForm,
    CustomAppearance,
    Nd30Appearance,
    PadesLevel,
    Role,
    SignedPdf,
    SignOptions,
    SubFilter,
    format_vietnam_time,
    sign_pdf,
)
from vnsign.formats.pdf.geometry import MM
from vnsign.pki.credentials import KeyCredential

pytestmark = pytest.mark.interop

PAGE_W, PAGE_H = 210 * MM, 297 * MM
ISO_VN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")


def _widget(path: Path, field: str) -> tuple[dict, bytes]:
    """The appearance stream (data) and resources of a signature widget."""
    reader = PdfFileReader(path.open("rb"))
    for sig in reader.embedded_signatures:
        if sig.field_name == field:
            appearance = sig.sig_field["/AP"]["/N"]
            return appearance["/Resources"], appearance.data
    raise AssertionError(f"no field {field}")


def _claimed_time(path: Path, field: str) -> datetime:
    reader = PdfFileReader(path.open("rb"))
    (sig,) = [s for s in reader.embedded_signatures if s.field_name == field]
    return parse_pdf_date(sig.sig_object["/M"])


def _boxes_of(text_xhtml: str, *words: str) -> tuple[float, float, float, float]:
    """Union box (top-left origin, points) of the first run of ``words``."""
    boxes = word_boxes(text_xhtml)
    for i in range(len(boxes) - len(words) + 1):
        if [b[0] for b in boxes[i : i + len(words)]] == list(words):
            run = boxes[i : i + len(words)]
            return (
                min(b[1] for b in run),
                min(b[2] for b in run),
                max(b[3] for b in run),
                max(b[4] for b in run),
            )
    raise AssertionError(f"{words} not on the page")


def _blue_bbox(page: Rendering) -> tuple[float, float, float, float]:
    """Bounding box (points, top-left origin) of the blue pixels of a page."""
    image = page.image.convert("RGB")
    width, height = image.size
    data = image.load()
    xs, ys = [], []
    for y in range(height):
        for x in range(width // 2, width):  # the signer block is in the right half
            if is_blue(data[x, y]):
                xs.append(x)
                ys.append(y)
    assert xs, "no blue pixel on the page"
    k = 72 / page.dpi
    return min(xs) * k, min(ys) * k, max(xs) * k, max(ys) * k


def test_person_image_is_blue_and_centred_between_position_and_name(
    document: Path,
    official: KeyCredential,
    person_look: Nd30Appearance,
    render: Callable[..., Rendering],
    pdftotext: Callable[..., str],
    pdfsig: Callable[[Path], list],
) -> None:
    out = document.with_name("person.pdf")
    result = sign_pdf(document, out, official, role=Role.PERSON, appearance=person_look)
    assert result.page == 1 and result.shown_text == ()

    words = pdftotext(out, bbox=True)
    position = _boxes_of(words, "PHÓ", "GIÁM", "ĐỐC")
    name = _boxes_of(words, "Lê", "Hoàng", "Cường")
    left, top, right, bottom = _blue_bbox(render(out))
    # ND30-SIG-PERSON-IMG: between the position line and the name ...
    assert position[3] <= top and bottom <= name[1]
    # ... and centred on them.
    centre = (left + right) / 2
    assert abs(centre - (name[0] + name[2]) / 2) < 6
    assert abs(centre - (position[0] + position[2]) / 2) < 6
    # ND30-SIG-PERSON-NOTEXT: the appearance shows no text.
    original = pdftotext(document)
    assert pdftotext(out) == original
    resources, _ = _widget(out, result.field_name)
    assert "/Font" not in resources
    (image,) = resources["/XObject"].values()
    assert "/SMask" in image.get_object()
    assert pdfsig(out)[0].valid


def test_seal_is_red_real_size_and_covers_the_left_third_of_the_person(
    document: Path,
    official: KeyCredential,
    agency: KeyCredential,
    person_look: Nd30Appearance,
    seal_look: Nd30Appearance,
    render: Callable[..., Rendering],
    pdfsig: Callable[[Path], list],
    validate: Callable[[Path], list],
) -> None:
    person_pdf = document.with_name("person.pdf")
    sealed = document.with_name("sealed.pdf")
    person = sign_pdf(document, person_pdf, official, role=Role.PERSON, appearance=person_look)
    seal = sign_pdf(person_pdf, sealed, agency, role=Role.ORGANIZATION, appearance=seal_look)
    assert person.rect is not None and seal.rect is not None

    px1, py1, px2, py2 = person.rect
    sx1, sy1, sx2, sy2 = seal.rect
    # Real size: the sample seal is 36 mm across (its PNG says 300 dpi).
    assert sx2 - sx1 == pytest.approx(36 * MM, abs=0.5)
    assert sy2 - sy1 == pytest.approx(36 * MM, abs=0.5)
    # ND30-SIG-ORG-IMG: over about one third of the person's signature, on its left.
    third = px1 + (px2 - px1) / 3
    assert sx2 == pytest.approx(third, abs=0.5)
    assert (sy1 + sy2) / 2 == pytest.approx((py1 + py2) / 2, abs=0.5)

    page = render(sealed, dpi=100)
    overlap = page.pixels((px1, py1, third, py2))
    assert sum(map(is_red, overlap)) > 0.02 * len(overlap)
    rest = page.pixels((third + 3, py1, px2, py2))
    assert not any(map(is_red, rest))
    assert sum(map(is_blue, rest)) > 0.01 * len(rest)
    seal_pixels = page.pixels(seal.rect)
    red = sum(map(is_red, seal_pixels))
    assert red > 0.08 * len(seal_pixels)
    assert sum(map(is_blue, seal_pixels)) < red

    entries = pdfsig(sealed)
    assert all(e.valid for e in entries) and entries[-1].total
    first, second = validate(sealed)
    assert first.bottom_line and second.bottom_line
    assert first.coverage is SignatureCoverageLevel.ENTIRE_REVISION
    assert second.coverage is SignatureCoverageLevel.ENTIRE_FILE
    resources, content = _widget(sealed, seal.field_name)
    assert "/Font" not in resources and b"Tj" not in content  # ND30-SIG-ORG-NOTEXT


def _top_right_text_checks(
    out: Path,
    result: SignedPdf,
    expected_lines: tuple[str, ...],
    render: Callable[..., Rendering],
    pdftotext: Callable[..., str],
) -> None:
    shown = format_vietnam_time(result.signing_time)
    assert result.shown_text == (*expected_lines, shown)
    assert ISO_VN.fullmatch(shown)
    # The displayed time is the claimed signing time (/M), to the second.
    assert _claimed_time(out, result.field_name) == result.signing_time
    assert datetime.fromisoformat(shown) == result.signing_time

    text = pdftotext(out)
    for line in result.shown_text:
        assert line in text

    # Top right of page 1, inside the top margin.
    assert result.rect is not None
    x1, y1, x2, y2 = result.rect
    assert x2 == pytest.approx(PAGE_W - 15 * MM, abs=0.5)
    assert y2 == pytest.approx(PAGE_H - 5 * MM, abs=0.5)
    assert x1 > PAGE_W / 2 and y1 > PAGE_H - 20 * MM
    words = word_boxes(pdftotext(out, bbox=True))
    (time_box,) = [w for w in words if w[0] == shown]
    assert time_box[1] > PAGE_W / 2 and time_box[4] < 20 * MM

    # Black text (ND30: Times New Roman 10, black): dark pixels, none coloured.
    pixels = render(out, dpi=150).pixels(result.rect)
    dark = [p for p in pixels if is_dark(p)]
    assert len(dark) > 50
    assert all(max(p) - min(p) < 40 for p in pixels)

    resources, content = _widget(out, result.field_name)
    (font,) = resources["/Font"].values()
    font = font.get_object()
    assert font["/BaseFont"].endswith("+Tinos")  # Tinos Regular: Times New Roman metrics
    assert "/ToUnicode" in font
    assert b"/F0 10.00 Tf" in content and b"0.000 0.000 0.000 rg" in content
    assert "/XObject" not in resources  # no image


def test_attachment_shows_number_and_time_top_right(
    document: Path,
    agency: KeyCredential,
    render: Callable[..., Rendering],
    pdftotext: Callable[..., str],
    pdfsig: Callable[[Path], list],
) -> None:
    out = document.with_name("phu-luc.signed.pdf")
    result = sign_pdf(
        document,
        out,
        agency,
        role=Role.ATTACHMENT,
        appearance=Nd30Appearance(document_number="123/QĐ-STP"),
    )
    _top_right_text_checks(out, result, ("123/QĐ-STP",), render, pdftotext)
    assert pdfsig(out)[0].valid and pdfsig(out)[0].total


@pytest.mark.parametrize("form", list(CopyForm), ids=lambda f: f.name)
def test_copy_shows_form_agency_and_time_top_right(
    form: CopyForm,
    document: Path,
    agency: KeyCredential,
    render: Callable[..., Rendering],
    pdftotext: Callable[..., str],
    pdfsig: Callable[[Path], list],
) -> None:
    out = document.with_name("ban-sao.pdf")
    result = sign_pdf(
        document, out, agency, role=Role.COPY, appearance=Nd30Appearance(copy_form=form)
    )
    # The copying agency comes from the agency certificate (its CN).
    _top_right_text_checks(
        out, result, (form.value, "Sở Tư pháp tỉnh Quảng Ngãi"), render, pdftotext
    )
    assert pdfsig(out)[0].valid and pdfsig(out)[0].total


def test_copy_uses_default_nd30_appearance_without_arguments(
    document: Path, agency: KeyCredential, pdftotext: Callable[..., str]
) -> None:
    out = document.with_name("sao-y.pdf")
    result = sign_pdf(document, out, agency, role="copy", level="B-B")
    assert result.shown_text[:2] == ("SAO Y", "Sở Tư pháp tỉnh Quảng Ngãi")
    assert "SAO Y" in pdftotext(out)


def test_text_block_option_adds_signer_and_time(
    document: Path,
    official: KeyCredential,
    signature_image: object,
    pdftotext: Callable[..., str],
) -> None:
    out = document.with_name("tt01.pdf")
    result = sign_pdf(
        document,
        out,
        official,
        appearance=Nd30Appearance(image=signature_image, text_block=True),  # type: ignore[arg-type]
    )
    shown = format_vietnam_time(result.signing_time)
    assert result.shown_text == (
        "Ký bởi: Lê Hoàng Cường",
        "Cơ quan: ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
        f"Thời gian ký: {shown}",
    )
    text = " ".join(pdftotext(out).split())
    assert "Ký bởi: Lê Hoàng Cường" in text and f"Thời gian ký: {shown}" in text


def test_custom_appearance_with_placeholders_colour_and_border(
    document: Path,
    citizen: KeyCredential,
    render: Callable[..., Rendering],
    pdftotext: Callable[..., str],
) -> None:
    from vnsign.formats.pdf import Box, OnPage

    out = document.with_name("custom.pdf")
    result = sign_pdf(
        document,
        out,
        citizen,
        appearance=CustomAppearance(
            lines=("Người ký: {signer}", "Lúc {time}"), color=(0.8, 0.0, 0.0), border=True
        ),
        placement=OnPage(Box(20, 250, 90, 20)),
    )
    shown = format_vietnam_time(result.signing_time)
    assert result.shown_text == ("Người ký: Nguyễn Văn An", f"Lúc {shown}")
    text = pdftotext(out)
    assert "Người ký: Nguyễn Văn An" in text and f"Lúc {shown}" in text
    assert result.rect is not None
    assert result.rect[0] == pytest.approx(20 * MM, abs=0.5)
    assert result.rect[3] == pytest.approx(PAGE_H - 250 * MM, abs=0.5)
    assert any(map(is_red, render(out, dpi=150).pixels(result.rect)))


def test_pkcs7_signing_time_attribute_equals_displayed_time(
    document: Path, agency: KeyCredential
) -> None:
    out = document.with_name("pkcs7.pdf")
    result = sign_pdf(
        document,
        out,
        agency,
        role=Role.COPY,
        options=SignOptions(subfilter=SubFilter.PKCS7),
    )
    reader = PdfFileReader(out.open("rb"))
    (sig,) = reader.embedded_signatures
    attrs = {a["type"].native: a["values"][0] for a in sig.signer_info["signed_attrs"]}
    cms_time = attrs["signing_time"]
    assert isinstance(cms_time, cms.Time)
    assert cms_time.native == result.signing_time
    assert format_vietnam_time(cms_time.native) == result.shown_text[-1]


def test_fixed_signing_time_is_used_everywhere(
    document: Path, agency: KeyCredential, pdftotext: Callable[..., str]
) -> None:
    from datetime import UTC

    at = datetime(2026, 3, 5, 7, 30, 15, 999, tzinfo=UTC)
    out = document.with_name("fixed.pdf")
    result = sign_pdf(
        document,
        out,
        agency,
        role=Role.ATTACHMENT,
        level=PadesLevel.B_B,
        appearance=Nd30Appearance(document_number="01/QĐ-STP"),
        options=SignOptions(signing_time=at),
    )
    assert result.shown_text[-1] == "2026-03-05T14:30:15+07:00"
    assert "2026-03-05T14:30:15+07:00" in pdftotext(out)
    assert _claimed_time(out, result.field_name) == at.replace(microsecond=0)


def test_user_font_is_embedded(
    document: Path, agency: KeyCredential, pdftotext: Callable[..., str]
) -> None:
    from importlib import resources

    italic = Path(str(resources.files("vnsign").joinpath("data/fonts/Tinos-Italic.ttf")))
    out = document.with_name("font.pdf")
    result = sign_pdf(
        document,
        out,
        agency,
        role=Role.COPY,
        appearance=Nd30Appearance(copy_form=CopyForm.TRICH_SAO, font=italic),
    )
    reader = PdfFileReader(out.open("rb"))
    (sig,) = reader.embedded_signatures
    assert sig.field_name == result.field_name
    font = next(iter(sig.sig_field["/AP"]["/N"]["/Resources"]["/Font"].values())).get_object()
    assert font["/BaseFont"].endswith("+Tinos-Italic")
    assert "TRÍCH SAO" in pdftotext(out)
