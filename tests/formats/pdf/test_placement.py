"""Placement: boxes in mm or points, text anchors (case- and diacritic-blind),
the signer block, rotated pages, and the text search under them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from _pdf_helpers import Rendering, is_blue, word_boxes
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from vnsign.errors import InputError, SigningError
from vnsign.formats.pdf import (
    Box,
    CustomAppearance,
    Nd30Appearance,
    NearText,
    OnPage,
    Side,
    SignerBlock,
    TopRight,
    Unit,
    sign_pdf,
)
from vnsign.formats.pdf.geometry import MM, PageGeometry
from vnsign.formats.pdf.samples import administrative_document
from vnsign.formats.pdf.text_search import read_pages
from vnsign.pki.credentials import KeyCredential

PAGE_H = 297 * MM


def test_text_search_ignores_case_diacritics_and_spacing(document: Path) -> None:
    (page,) = read_pages(document, [0])
    (hit,) = page.find("giam  doc so tu phap")
    assert hit.line.text.startswith("GIÁM ĐỐC SỞ TƯ PHÁP")
    assert page.find("Lê Hoàng Cường") == page.find("le hoang cuong")
    assert page.find("khong co dong nay") == []
    x1, y1, x2, y2 = hit.bbox
    assert x2 - x1 > 100 and 0 < y2 - y1 < 20


def test_box_in_millimetres_and_points(
    document: Path, citizen: KeyCredential, signature_image: object
) -> None:
    look = Nd30Appearance(image=signature_image)  # type: ignore[arg-type]
    mm = sign_pdf(
        document,
        document.with_name("mm.pdf"),
        citizen,
        appearance=look,
        placement=OnPage(Box(30, 200, 60, 20)),
    )
    assert mm.rect is not None
    x1, y1, x2, y2 = mm.rect
    # The image keeps its proportions and is centred in the box.
    assert y2 - y1 == pytest.approx(20 * MM, abs=0.1) or x2 - x1 == pytest.approx(60 * MM, abs=0.1)
    assert (x1 + x2) / 2 == pytest.approx(60 * MM, abs=0.1)
    assert (y1 + y2) / 2 == pytest.approx(PAGE_H - 210 * MM, abs=0.1)
    pt = sign_pdf(
        document,
        document.with_name("pt.pdf"),
        citizen,
        appearance=look,
        placement=OnPage(Box(30 * MM, 200 * MM, 60 * MM, 20 * MM, Unit.PT)),
    )
    assert pt.rect == pytest.approx(mm.rect)


def test_text_is_never_enlarged_in_a_big_box(document: Path, citizen: KeyCredential) -> None:
    result = sign_pdf(
        document,
        document.with_name("text.pdf"),
        citizen,
        appearance=CustomAppearance(lines=("Đã ký",)),
        placement=OnPage(Box(20, 20, 150, 80)),
    )
    assert result.rect is not None
    x1, y1, _, y2 = result.rect
    assert x1 == pytest.approx(20 * MM) and y2 == pytest.approx(PAGE_H - 20 * MM)
    assert y2 - y1 < 20  # one line of 10 pt text, not 80 mm


@pytest.mark.parametrize("side", list(Side), ids=str)
def test_near_text_on_each_side(
    side: Side, document: Path, citizen: KeyCredential, pdftotext: Callable[..., str]
) -> None:
    result = sign_pdf(
        document,
        document.with_name(f"near-{side}.pdf"),
        citizen,
        appearance=CustomAppearance(lines=("X",)),
        placement=NearText("noi nhan", side=side, gap_mm=2),
    )
    words = word_boxes(pdftotext(document, bbox=True))
    (anchor,) = [w for w in words if w[0] == "Nơi"]
    assert result.rect is not None
    x1, y1, x2, y2 = result.rect
    top, bottom = PAGE_H - y2, PAGE_H - y1  # from the top, like pdftotext
    if side is Side.BELOW:
        assert top > anchor[4]
    elif side is Side.ABOVE:
        assert bottom < anchor[2]
    elif side is Side.RIGHT:
        assert x1 > anchor[1]
    elif side is Side.LEFT:
        assert x2 < anchor[1]
    else:
        assert x1 < anchor[3] and x2 > anchor[1]


def test_missing_anchor_is_a_clear_error(document: Path, citizen: KeyCredential) -> None:
    with pytest.raises(SigningError, match="not on any page"):
        sign_pdf(
            document,
            document.with_name("x.pdf"),
            citizen,
            appearance=CustomAppearance(),
            placement=NearText("Thủ tướng Chính phủ"),
        )
    with pytest.raises(InputError, match="does not exist"):
        sign_pdf(
            document,
            document.with_name("x.pdf"),
            citizen,
            appearance=CustomAppearance(),
            placement=NearText("Nơi nhận", page=9),
        )


def test_signer_block_with_explicit_name_and_title_on_a_later_page(
    tmp_path: Path,
    citizen: KeyCredential,
    signature_image: object,
    render: Callable[..., Rendering],
    pdftotext: Callable[..., str],
) -> None:
    source = tmp_path / "long.pdf"
    source.write_bytes(
        administrative_document(
            extra_pages=2,
            authority="TM. ỦY BAN NHÂN DÂN",
            position="CHỦ TỊCH",
            signer_name="Trần Thị Bình",
        )
    )
    out = tmp_path / "long.signed.pdf"
    result = sign_pdf(
        source,
        out,
        citizen,  # its certificate says Nguyễn Văn An: the name is given explicitly
        appearance=Nd30Appearance(image=signature_image),  # type: ignore[arg-type]
        placement=SignerBlock(name="tran thi binh", title="chu tich"),
    )
    assert result.page == 3
    assert result.rect is not None
    words = word_boxes(pdftotext(out, bbox=True, first=3, last=3))
    (name_top,) = [w[2] for w in words if w[0] == "Bình"]
    (title_bottom,) = [w[4] for w in words if w[0] == "TỊCH"]
    assert title_bottom < PAGE_H - result.rect[3] and PAGE_H - result.rect[1] < name_top
    page = render(out, page=3)
    assert any(map(is_blue, page.pixels(result.rect)))


def test_default_signer_block_needs_the_name_on_the_page(
    document: Path, citizen: KeyCredential, person_look: Nd30Appearance
) -> None:
    # The citizen's certificate names Nguyễn Văn An, who is not on the document.
    with pytest.raises(SigningError, match="Nguyễn Văn An"):
        sign_pdf(document, document.with_name("x.pdf"), citizen, appearance=person_look)


def _rotated(source: bytes, degrees: int) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(source))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page[generic.NameObject("/Rotate")] = generic.NumberObject(degrees)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_page_keeps_the_signature_upright_where_the_reader_sees_it(
    degrees: int,
    tmp_path: Path,
    document_bytes: bytes,
    agency: KeyCredential,
    pdftotext: Callable[..., str],
) -> None:
    source = tmp_path / f"rotated-{degrees}.pdf"
    source.write_bytes(_rotated(document_bytes, degrees))
    out = tmp_path / "signed.pdf"
    result = sign_pdf(source, out, agency, role="copy", placement=TopRight())
    text = pdftotext(out)
    assert "SAO Y" in text and result.shown_text[-1] in text

    with out.open("rb") as handle:
        from pyhanko.pdf_utils.reader import PdfFileReader

        reader = PdfFileReader(handle)
        geometry = PageGeometry.of(reader, 0)
        assert geometry.rotate == degrees
        (sig,) = reader.embedded_signatures
        annot = sig.sig_field
        assert int(annot["/MK"]["/R"]) == degrees
        assert "/Matrix" in annot["/AP"]["/N"]
        # In display space the widget sits at the top right of the shown page.
        assert result.rect is not None
        shown = geometry.rect_to_display(result.rect)
        visible = geometry.visible
        assert shown[2] == pytest.approx(visible[2] - 15 * MM, abs=0.5)
        assert shown[3] == pytest.approx(visible[3] - 5 * MM, abs=0.5)
    words = word_boxes(pdftotext(out, bbox=True))
    (time_box,) = [w for w in words if w[0] == result.shown_text[-1]]
    page_width = float(pdftotext(out, bbox=True).split('page width="')[1].split('"')[0])
    assert time_box[1] > page_width / 2 and time_box[4] < 25 * MM
