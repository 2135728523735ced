"""Decree 30/2020 form rules (vn-rules.md, "What a verifier can check mechanically",
part B) and the appearance facts they stand on, on PDFs signed with pyHanko's
visible signatures: a blue handwritten signature, a red seal over its left third,
text-only attachment and copy signatures at the top right, and the wrong variants."""

from __future__ import annotations

import io
import subprocess
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from _nd30_pdfs import (
    A4,
    BLACK,
    BOTTOM_BOX,
    ISO_VIETNAM,
    PERSON_BOX,
    RED,
    SEAL_BOX,
    TOP_RIGHT_BOX,
    VIETNAM,
    appendix_page,
    at,
    decision_page,
    form,
    image_style,
    seal_image,
    sign_visible,
    signature_image,
    text_style,
    widget_pdf,
)
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter

from _pdfs import blank_pdf, sign, trust_of
from vnsign.pki.identity import CertificateInfo
from vnsign.testing import TestIdentity, TestPKI
from vnsign.verify import Report, RuleStatus, Verdict, Verifier
from vnsign.verify.adapters.pdf import pdf_facts
from vnsign.verify.adapters.pdf_appearance import PdfAppearance, read_appearance
from vnsign.verify.facts import (
    Appearance,
    DocumentFacts,
    DocumentFormat,
    ImageFacts,
    SignatureFacts,
    SignatureKind,
)

PASSED, FAILED, WARNING, NA = (
    RuleStatus.PASSED,
    RuleStatus.FAILED,
    RuleStatus.WARNING,
    RuleStatus.NOT_APPLICABLE,
)
SIGNATURE_RULES = (
    "ND30-SIG-PERSON-IMG",
    "ND30-SIG-ORG-IMG",
    "ND30-SIG-ATTACH-SEPFILE",
    "ND30-COPY-SIG",
    "ND30-TIME-FORMAT",
)


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def verifier(vn_pki: TestPKI) -> Verifier:
    return Verifier("nd30", trust=trust_of(vn_pki), timeout=2)


@pytest.fixture(scope="module")
def signed_at(vn_pki: TestPKI) -> datetime:
    """A signing time inside the test certificates' validity (and after 31/12/2025)."""
    return at(vn_pki.now - timedelta(days=2))


def common_name(ident: TestIdentity) -> str:
    name = CertificateInfo.from_certificate(ident.certificate).common_name
    assert name is not None
    return name


def person_signed(
    pki: TestPKI,
    when: datetime,
    *,
    signer: TestIdentity | None = None,
    image: Image.Image | None = None,
    motto: bool = True,
) -> bytes:
    """A decision signed by the competent person: the blue signature image in the signer block."""
    signer = signer or pki.gov_official
    return sign_visible(
        decision_page(common_name(signer), motto=motto),
        signer,
        field="NguoiKy",
        box=PERSON_BOX,
        style=image_style(image or signature_image()),
        at=when,
    )


def sealed(
    data: bytes,
    pki: TestPKI,
    when: datetime,
    *,
    signer: TestIdentity | None = None,
    image: Image.Image | None = None,
    box: tuple[float, float, float, float] = SEAL_BOX,
) -> bytes:
    """``data`` sealed by the agency half an hour after ``when``."""
    return sign_visible(
        data,
        signer or pki.gov_agency,
        field="CoQuan",
        box=box,
        style=image_style(image or seal_image()),
        at=at(when, 30),
    )


def top_right(pki: TestPKI, when: datetime, template: str, **style: object) -> bytes:
    """An appendix signed by the agency with a text-only appearance."""
    box = style.pop("box", TOP_RIGHT_BOX)
    return sign_visible(
        appendix_page(),
        pki.gov_agency,
        field="VanThu",
        box=box,  # type: ignore[arg-type]
        style=text_style(template, **style),  # type: ignore[arg-type]
        at=when,
    )


def status(report: Report, rule_id: str, signature: int | None = None) -> RuleStatus:
    """A rule's status: on the document, or on signature ``signature`` (1-based)."""
    rules = report.rules if signature is None else report.signatures[signature - 1].rules
    return next(r.status for r in rules if r.rule_id == rule_id)


def message(report: Report, rule_id: str, signature: int | None = None) -> str:
    rules = report.rules if signature is None else report.signatures[signature - 1].rules
    rule = next(r for r in rules if r.rule_id == rule_id)
    return f"{rule.message.vi} | {rule.message.en}"


def statuses(report: Report, signature: int) -> dict[str, RuleStatus]:
    return {rule: status(report, rule, signature) for rule in SIGNATURE_RULES}


@pytest.fixture(scope="module")
def main_document(vn_pki: TestPKI, signed_at: datetime) -> bytes:
    """The competent person's signature, then the agency's seal over its left third."""
    return sealed(person_signed(vn_pki, signed_at), vn_pki, signed_at)


# -- appearance facts ----------------------------------------------------------------------


def test_image_facts_of_the_signature_and_the_seal(main_document: bytes) -> None:
    person, agency = pdf_facts(main_document).signatures
    assert person.appearance is not None and agency.appearance is not None
    assert person.appearance.page == 1 and person.appearance.page_size == A4
    (signature,) = person.appearance.images
    assert (signature.width, signature.height) == (420, 210)
    assert signature.has_alpha and signature.dominant_hue == "blue"
    assert signature.rect == pytest.approx(PERSON_BOX, abs=0.01)
    (seal,) = agency.appearance.images
    assert (seal.width, seal.height, seal.has_alpha, seal.dominant_hue) == (300, 300, True, "red")
    assert seal.rect == pytest.approx(SEAL_BOX, abs=0.01)
    assert person.appearance.texts == agency.appearance.texts == ()


def test_appearance_is_read_when_first_looked_at(main_document: bytes) -> None:
    """Profiles without the Decree 30 rules never read appearance streams or page text."""
    person, _ = pdf_facts(main_document).signatures
    appearance = person.appearance
    assert isinstance(appearance, PdfAppearance)
    assert "_shown" not in vars(appearance) and "_page_text" not in vars(appearance)
    assert appearance.images[0].dominant_hue == "blue"
    assert "_shown" in vars(appearance) and "_page_text" not in vars(appearance)
    # still the frozen Appearance it extends
    plain = Appearance(
        appearance.page, appearance.rect, appearance.page_size, images=appearance.images
    )
    assert replace(appearance, texts=()) == replace(appearance) != plain
    assert replace(appearance, texts=("x",)).texts == ("x",)
    with pytest.raises(AttributeError):
        appearance.page = 2  # type: ignore[misc]


def test_text_facts_decode_vietnamese_through_tounicode(vn_pki: TestPKI) -> None:
    when = datetime(2026, 3, 5, 14, 30, 15, tzinfo=VIETNAM)
    data = sign_visible(
        blank_pdf(),
        vn_pki.person,
        field="KyTen",
        box=(60, 600, 300, 680),
        style=text_style("SAO Y\nKý bởi: Nguyễn Văn An\n%(ts)s", size=12, colour=(0.8, 0.0, 0.0)),
        at=when,
    )
    (sig,) = pdf_facts(data).signatures
    appearance = sig.appearance
    assert appearance is not None
    assert appearance.texts == ("SAO Y", "Ký bởi: Nguyễn Văn An", "2026-03-05T14:30:15+07:00")
    (font,) = appearance.fonts
    assert font.endswith("+Tinos-Regular")
    assert appearance.font_sizes == (12.0,)
    assert appearance.text_colours == ((0.8, 0.0, 0.0),)
    assert appearance.images == ()


def test_text_size_is_tf_times_the_text_matrix(tmp_path: Path) -> None:
    """``/F1 5 Tf`` under a text matrix scaling by 2 is 10 pt; a ``cm`` scale is not text size."""
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Times-Roman"),
        }
    )

    def build(w: PdfFileWriter) -> generic.IndirectObject:
        ref = form(w, b"q 0 0 1 rg BT /F1 5 Tf 2 0 0 2 5 5 Tm (Hello) Tj ET Q", (0, 0, 100, 40))
        ref.get_object()["/Resources"][pdf_name("/Font")] = generic.DictionaryObject(
            {pdf_name("/F1"): w.add_object(font)}
        )
        return ref

    data = widget_pdf(build, (100, 100, 200, 140))
    appearance = _widget_appearance(data, (100, 100, 200, 140))
    assert appearance.texts == ("Hello",)
    assert appearance.fonts == ("Times-Roman",)
    assert appearance.font_sizes == (10.0,)
    assert appearance.text_colours == ((0.0, 0.0, 1.0),)


def _widget_appearance(data: bytes, rect: tuple[float, float, float, float]) -> PdfAppearance:
    reader = PdfFileReader(io.BytesIO(data))
    widget = reader.root["/AcroForm"]["/Fields"][0]
    return read_appearance(widget, reader, page=1, rect=rect, page_size=A4)


def _red_image(w: PdfFileWriter) -> generic.IndirectObject:
    picture = Image.new("RGBA", (40, 40), (*RED, 255))
    return pil_image(picture, w)


@pytest.mark.interop
def test_form_matrix_bbox_and_nested_forms_are_placed_per_iso_32000(
    tool: Callable[[str], str],
) -> None:
    """ISO 32000-2 §12.5.5: the form's /BBox, transformed by its /Matrix (here a
    quarter turn), is mapped onto /Rect (here scaled by 2); a nested form and
    ``cm`` put the red image in the lower half of the widget, as rendered."""
    rect = (300.0, 400.0, 400.0, 600.0)

    def build(w: PdfFileWriter) -> generic.IndirectObject:
        inner = form(
            w, b"q 100 0 0 50 0 0 cm /Im Do Q", (0, 0, 100, 50), xobjects={"Im": _red_image(w)}
        )
        return form(
            w,
            b"q 0.5 0 0 1 10 10 cm /Inner Do Q",
            (10, 10, 110, 60),
            matrix=(0, 1, -1, 0, 0, 0),
            xobjects={"Inner": inner},
            compress=True,
        )

    data = widget_pdf(build, rect)
    (image,) = _widget_appearance(data, rect).images
    assert image.rect == pytest.approx((300.0, 400.0, 400.0, 500.0), abs=0.01)
    assert image.dominant_hue == "red" and image.has_alpha

    page = _render(tool, data)
    assert _share(page, image.rect, _is_red) > 0.9
    assert _share(page, (300.0, 505.0, 400.0, 600.0), _is_red) == 0  # the upper half is empty


# -- facts against the rendering -----------------------------------------------------------


def _render(tool: Callable[[str], str], data: bytes, dpi: int = 72) -> Image.Image:
    done = subprocess.run(
        [tool("pdftoppm"), "-r", str(dpi), "-f", "1", "-l", "1", "-png", "-"],
        input=data,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return Image.open(io.BytesIO(done.stdout)).convert("RGB")


def _is_red(p: tuple[int, int, int]) -> bool:
    return p[0] > 140 and p[0] > p[1] + 50 and p[0] > p[2] + 50  # anti-aliased edges too


def _is_blue(p: tuple[int, int, int]) -> bool:
    return p[2] > 120 and p[2] > p[0] + 50 and p[2] > p[1] + 30


def _share(
    page: Image.Image,
    rect: tuple[float, float, float, float],
    test: Callable[[tuple[int, int, int]], bool],
) -> float:
    """Among the inked (not white) pixels inside ``rect`` (points), the share passing ``test``."""
    scale = page.size[1] / A4[1]
    x0, y0, x1, y1 = rect
    box = (
        round(x0 * scale) + 1,
        round((A4[1] - y1) * scale) + 1,
        round(x1 * scale) - 1,
        round((A4[1] - y0) * scale) - 1,
    )
    data = page.crop(box).tobytes()
    inked = [p for p in zip(data[0::3], data[1::3], data[2::3], strict=True) if min(p) < 200]
    return sum(map(test, inked)) / len(inked) if inked else 0.0


@pytest.mark.interop
def test_extracted_image_rectangles_hold_the_colours_they_claim(
    main_document: bytes, tool: Callable[[str], str]
) -> None:
    person, agency = pdf_facts(main_document).signatures
    assert person.appearance is not None and agency.appearance is not None
    (signature,) = person.appearance.images
    (seal,) = agency.appearance.images
    page = _render(tool, main_document)
    x0, y0, x1, y1 = signature.rect
    # left of the signature the seal is alone; over it, the blue ink shows through
    assert _share(page, (seal.rect[0], seal.rect[1], x0 - 2, seal.rect[3]), _is_red) > 0.9
    assert _share(page, seal.rect, _is_red) > _share(page, seal.rect, _is_blue)
    # the rest of the signature is blue ink only
    right = (x0 + (x1 - x0) / 3 + 2, y0, x1, y1)
    assert _share(page, right, _is_blue) > 0.8
    assert _share(page, right, _is_red) == 0


# -- the main document ---------------------------------------------------------------------


def test_a_decree_30_main_document_passes(main_document: bytes, verifier: Verifier) -> None:
    report = verifier.verify(main_document)
    assert report.verdict is Verdict.VALID, report.summary.en
    assert status(report, "ND30-SIGN-ORDER") is PASSED
    assert "văn bản chính" in message(report, "ND30-SIGN-ORDER")
    assert statuses(report, 1) == {
        "ND30-SIG-PERSON-IMG": PASSED,
        "ND30-SIG-ORG-IMG": NA,
        "ND30-SIG-ATTACH-SEPFILE": NA,
        "ND30-COPY-SIG": NA,
        "ND30-TIME-FORMAT": NA,  # no time shown
    }
    assert "“CHỦ TỊCH”" in message(report, "ND30-SIG-PERSON-IMG", 1)
    assert statuses(report, 2) == {
        "ND30-SIG-PERSON-IMG": NA,
        "ND30-SIG-ORG-IMG": PASSED,
        "ND30-SIG-ATTACH-SEPFILE": NA,
        "ND30-COPY-SIG": NA,
        "ND30-TIME-FORMAT": NA,
    }
    assert "36 × 36 mm" in message(report, "ND30-SIG-ORG-IMG", 2)
    assert "33%" in message(report, "ND30-SIG-ORG-IMG", 2) or "34%" in message(
        report, "ND30-SIG-ORG-IMG", 2
    )
    assert status(report, "ND68-MIGRATION", 1) is PASSED  # official-duty certificates


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("black seal", "đen"),
        ("seal on the right", "bên phải"),
        ("seal without transparency", "nền trong suốt"),
        ("seal too far left", "không trùm"),
    ],
)
def test_a_wrong_seal_fails(
    variant: str, expected: str, vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    image, box = seal_image(), SEAL_BOX
    if variant == "black seal":
        image = seal_image(BLACK)
    elif variant == "seal on the right":
        left = PERSON_BOX[2] - (PERSON_BOX[2] - PERSON_BOX[0]) / 3
        box = (left, SEAL_BOX[1], left + 102, SEAL_BOX[3])
    elif variant == "seal without transparency":
        image = seal_image(transparent=False)
    else:
        box = (SEAL_BOX[0] - 80, SEAL_BOX[1], SEAL_BOX[2] - 80, SEAL_BOX[3])
    report = verifier.verify(
        sealed(person_signed(vn_pki, signed_at), vn_pki, signed_at, image=image, box=box)
    )
    assert status(report, "ND30-SIG-ORG-IMG", 2) is FAILED
    assert expected in message(report, "ND30-SIG-ORG-IMG", 2)
    assert status(report, "ND30-SIGN-ORDER") is PASSED


def test_a_red_or_opaque_personal_signature_fails(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    red = verifier.verify(person_signed(vn_pki, signed_at, image=signature_image(RED)))
    assert status(red, "ND30-SIG-PERSON-IMG", 1) is FAILED
    assert "màu đỏ, không phải màu xanh" in message(red, "ND30-SIG-PERSON-IMG", 1)
    opaque = verifier.verify(
        person_signed(vn_pki, signed_at, image=signature_image(transparent=False))
    )
    assert status(opaque, "ND30-SIG-PERSON-IMG", 1) is FAILED
    assert "nền trong suốt" in message(opaque, "ND30-SIG-PERSON-IMG", 1)


def test_a_signature_away_from_the_signer_block_is_a_warning(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    data = sign_visible(
        decision_page(common_name(vn_pki.gov_official)),
        vn_pki.gov_official,
        field="NguoiKy",
        box=(60, 400, 200, 470),
        style=image_style(signature_image()),
        at=signed_at,
    )
    report = verifier.verify(data)
    assert status(report, "ND30-SIG-PERSON-IMG", 1) is WARNING
    assert "không khớp họ tên trong chứng thư số" in message(report, "ND30-SIG-PERSON-IMG", 1)
    assert "không nằm cân giữa" in message(report, "ND30-SIG-PERSON-IMG", 1)


def test_a_signature_with_no_text_around_is_a_warning(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    data = sign_visible(
        blank_pdf(),
        vn_pki.gov_official,
        field="NguoiKy",
        box=PERSON_BOX,
        style=image_style(signature_image()),
        at=signed_at,
    )
    report = verifier.verify(data)
    assert status(report, "ND30-SIG-PERSON-IMG", 1) is WARNING
    assert "tìm thấy dòng chức vụ" in message(report, "ND30-SIG-PERSON-IMG", 1)


def test_only_one_signature_on_a_main_document_is_invalid(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(person_signed(vn_pki, signed_at))
    assert status(report, "ND30-SIGN-ORDER") is FAILED
    assert "chỉ có một chữ ký" in message(report, "ND30-SIGN-ORDER")
    assert report.verdict is Verdict.INVALID  # ND30-SIGN-ORDER is fatal under nd30


def test_the_agency_signing_before_the_person_is_invalid(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    name = common_name(vn_pki.gov_official)
    seal_first = sign_visible(
        decision_page(name),
        vn_pki.gov_agency,
        field="CoQuan",
        box=SEAL_BOX,
        style=image_style(seal_image()),
        at=signed_at,
    )
    both = sign_visible(
        seal_first,
        vn_pki.gov_official,
        field="NguoiKy",
        box=PERSON_BOX,
        style=image_style(signature_image()),
        at=at(signed_at, 30),
    )
    report = verifier.verify(both)
    assert status(report, "ND30-SIGN-ORDER") is FAILED
    assert "có trước chữ ký của người có thẩm quyền" in message(report, "ND30-SIGN-ORDER")
    assert report.verdict is Verdict.INVALID
    # the images themselves are right
    assert status(report, "ND30-SIG-ORG-IMG", 1) is PASSED
    assert status(report, "ND30-SIG-PERSON-IMG", 2) is PASSED


def test_a_tt01_text_block_next_to_the_seal_is_allowed(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    data = sign_visible(
        person_signed(vn_pki, signed_at),
        vn_pki.gov_agency,
        field="CoQuan",
        box=SEAL_BOX,
        style=text_style("Sở Tư pháp\n%(ts)s", size=8, background=seal_image()),
        at=at(signed_at, 30),
    )
    report = verifier.verify(data)
    assert status(report, "ND30-SIG-ORG-IMG", 2) is PASSED
    assert "TT 01/2019" in message(report, "ND30-SIG-ORG-IMG", 2)
    assert status(report, "ND30-TIME-FORMAT", 2) is PASSED
    assert report.verdict is Verdict.VALID, report.summary.en


# -- attachments and copies ----------------------------------------------------------------


def test_an_attachment_in_a_separate_file_passes(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(top_right(vn_pki, signed_at, "Số: 12/QĐ-UBND\n%(ts)s"))
    assert report.verdict is Verdict.VALID, report.summary.en
    assert status(report, "ND30-SIGN-ORDER") is PASSED
    assert "văn bản kèm theo" in message(report, "ND30-SIGN-ORDER")
    assert "góc trên bên phải" in message(report, "ND30-SIGN-ORDER")
    assert statuses(report, 1) == {
        "ND30-SIG-PERSON-IMG": NA,
        "ND30-SIG-ORG-IMG": NA,
        "ND30-SIG-ATTACH-SEPFILE": PASSED,
        "ND30-COPY-SIG": NA,
        "ND30-TIME-FORMAT": PASSED,
    }
    shown = signed_at.strftime(ISO_VIETNAM)
    assert "“12/QĐ-UBND”" in message(report, "ND30-SIG-ATTACH-SEPFILE", 1)
    assert shown in message(report, "ND30-TIME-FORMAT", 1)


def test_an_attachment_text_block_in_black_14pt_at_the_bottom_fails(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(
        top_right(vn_pki, signed_at, "Số: 12/QĐ-UBND\n%(ts)s", size=14, box=BOTTOM_BOX)
    )
    assert status(report, "ND30-SIG-ATTACH-SEPFILE", 1) is FAILED
    text = message(report, "ND30-SIG-ATTACH-SEPFILE", 1)
    assert "không ở góc trên bên phải trang đầu" in text
    assert "cỡ chữ 14, không phải 10" in text
    assert report.verdict is Verdict.INVALID


def test_a_coloured_attachment_text_fails(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(
        top_right(vn_pki, signed_at, "Số: 12/QĐ-UBND\n%(ts)s", colour=(0.0, 0.0, 0.8))
    )
    assert status(report, "ND30-SIG-ATTACH-SEPFILE", 1) is FAILED
    assert "không phải màu đen" in message(report, "ND30-SIG-ATTACH-SEPFILE", 1)


def test_an_attachment_without_its_number_fails(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(top_right(vn_pki, signed_at, "Phụ lục I\n%(ts)s"))
    assert status(report, "ND30-SIG-ATTACH-SEPFILE", 1) is FAILED
    assert "số và ký hiệu" in message(report, "ND30-SIG-ATTACH-SEPFILE", 1)


def test_a_time_without_offset_fails(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(
        top_right(vn_pki, signed_at, "Số: 12/QĐ-UBND\n%(ts)s", time_format="%Y-%m-%dT%H:%M:%S")
    )
    assert status(report, "ND30-TIME-FORMAT", 1) is FAILED
    assert "không ghi múi giờ" in message(report, "ND30-TIME-FORMAT", 1)
    assert status(report, "ND30-SIG-ATTACH-SEPFILE", 1) is FAILED  # no +07:00 time shown
    assert report.verdict is Verdict.INVALID


def test_a_time_other_than_the_signing_time_fails(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    other = at(signed_at, -90).strftime(ISO_VIETNAM)
    report = verifier.verify(top_right(vn_pki, signed_at, f"Số: 12/QĐ-UBND\n{other}"))
    assert status(report, "ND30-TIME-FORMAT", 1) is FAILED
    assert "khác thời điểm ký" in message(report, "ND30-TIME-FORMAT", 1)
    assert status(report, "ND30-SIG-ATTACH-SEPFILE", 1) is PASSED


def test_a_day_first_time_with_offset_is_only_a_warning(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(
        top_right(
            vn_pki, signed_at, "Số: 12/QĐ-UBND\n%(ts)s", time_format="%d.%m.%Y %H:%M:%S +07:00"
        )
    )
    assert status(report, "ND30-TIME-FORMAT", 1) is WARNING
    assert "ISO 8601" in message(report, "ND30-TIME-FORMAT", 1)


def test_an_electronic_copy_passes(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(
        top_right(vn_pki, signed_at, "SAO Y\nSở Tư pháp tỉnh Quảng Ngãi\n%(ts)s")
    )
    assert report.verdict is Verdict.VALID, report.summary.en
    assert "bản sao điện tử" in message(report, "ND30-SIGN-ORDER")
    assert statuses(report, 1) == {
        "ND30-SIG-PERSON-IMG": NA,
        "ND30-SIG-ORG-IMG": NA,
        "ND30-SIG-ATTACH-SEPFILE": NA,
        "ND30-COPY-SIG": PASSED,
        "ND30-TIME-FORMAT": PASSED,
    }
    assert "“Sở Tư pháp tỉnh Quảng Ngãi”" in message(report, "ND30-COPY-SIG", 1)


def test_a_copy_naming_another_agency_is_a_warning(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    report = verifier.verify(top_right(vn_pki, signed_at, "TRÍCH SAO\nUBND huyện Sơn Tịnh\n%(ts)s"))
    assert status(report, "ND30-COPY-SIG", 1) is WARNING
    assert "tên cơ quan sao" in message(report, "ND30-COPY-SIG", 1)


def test_a_copy_signed_twice_is_invalid(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    copy = top_right(vn_pki, signed_at, "SAO LỤC\nSở Tư pháp tỉnh Quảng Ngãi\n%(ts)s")
    twice = sign_visible(
        copy,
        vn_pki.gov_official,
        field="NguoiKy",
        box=(385, 700, 575, 760),
        style=text_style("Lê Hoàng Cường\n%(ts)s"),
        at=at(signed_at, 5),
    )
    report = verifier.verify(twice)
    assert status(report, "ND30-SIGN-ORDER") is FAILED
    assert "chỉ được có một chữ ký số của cơ quan" in message(report, "ND30-SIGN-ORDER")


# -- Decree 68: public certificates on state documents ------------------------------------


def test_a_public_certificate_on_a_state_document_after_the_deadline_warns(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    data = sealed(person_signed(vn_pki, signed_at, signer=vn_pki.person), vn_pki, signed_at)
    report = verifier.verify(data)
    assert status(report, "ND68-MIGRATION", 1) is WARNING
    assert "chuyên dùng công vụ" in message(report, "ND68-MIGRATION", 1)
    assert status(report, "ND68-MIGRATION", 2) is PASSED
    assert status(report, "ND30-SIGN-ORDER") is PASSED


def test_a_company_document_is_not_a_state_document(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    data = sealed(
        person_signed(vn_pki, signed_at, signer=vn_pki.person_in_org, motto=False),
        vn_pki,
        signed_at,
        signer=vn_pki.organization,
    )
    report = verifier.verify(data)
    assert status(report, "ND68-MIGRATION", 1) is NA
    assert status(report, "ND68-MIGRATION", 2) is NA


def test_the_migration_deadline_comes_from_the_policy(
    vn_pki: TestPKI, signed_at: datetime, verifier: Verifier
) -> None:
    later = replace(verifier.policy, migration_deadline=signed_at + timedelta(days=1))
    data = sealed(person_signed(vn_pki, signed_at, signer=vn_pki.person), vn_pki, signed_at)
    report = Verifier(later, trust=verifier.trust, timeout=2).verify(data)
    assert status(report, "ND68-MIGRATION", 1) is PASSED


# -- not applicable, and odd input ---------------------------------------------------------


def test_an_invisible_signature_is_not_judged_by_its_appearance(
    vn_pki: TestPKI, verifier: Verifier
) -> None:
    report = verifier.verify(sign(blank_pdf(), vn_pki.gov_official))
    assert set(statuses(report, 1).values()) == {NA}
    assert status(report, "ND30-SIGN-ORDER") is FAILED  # a main document needs two signatures


def test_other_formats_are_not_applicable(verifier: Verifier) -> None:
    shown = Appearance(
        page=1,
        rect=(0.0, 0.0, 10.0, 10.0),
        page_size=A4,
        texts=("2026-03-05T14:30:15",),
        images=(ImageFacts(1, 1, False, "black", (0.0, 0.0, 1.0, 1.0)),),
    )
    facts = DocumentFacts(
        format=DocumentFormat.XML,
        signatures=(SignatureFacts(1, SignatureKind.SIGNATURE, "sig", appearance=shown),),
        size=10,
    )
    report = verifier.judge(facts, "x.xml")
    assert status(report, "ND30-SIGN-ORDER") is NA
    assert set(statuses(report, 1).values()) == {NA}
    assert status(report, "ND68-MIGRATION", 1) is NA


def test_rules_cope_with_hand_made_odd_facts(verifier: Verifier) -> None:
    """Appearances with no page text, zero-size images, and times that are not times."""
    odd = Appearance(
        page=3,
        rect=(10.0, 10.0, 10.0, 10.0),
        page_size=(0.0, 0.0),
        texts=("SAO Y", "99/99/9999 99:99:99", "2026-02-30T10:00:00+07:00", "1/QĐ"),
        fonts=("",),
        font_sizes=(0.0,),
        text_colours=((1.0, 1.0, 1.0),),
    )
    facts = DocumentFacts(
        format=DocumentFormat.PDF,
        signatures=(
            SignatureFacts(1, SignatureKind.SIGNATURE, "a", appearance=odd),
            SignatureFacts(
                2,
                SignatureKind.SIGNATURE,
                "b",
                appearance=replace(odd, images=(ImageFacts(0, 0, True, "unknown", (0, 0, 0, 0)),)),
            ),
            SignatureFacts(3, SignatureKind.DOCUMENT_TIMESTAMP, "ts"),
        ),
        size=10,
    )
    report = verifier.judge(facts, "odd.pdf")
    assert status(report, "ND30-SIGN-ORDER") in (FAILED, WARNING)
    for index in (1, 2, 3):
        assert all(isinstance(s, RuleStatus) for s in statuses(report, index).values())


def _hostile(build: Callable[[PdfFileWriter], generic.IndirectObject]) -> PdfAppearance:
    rect = (100.0, 100.0, 300.0, 200.0)
    data = widget_pdf(build, rect)
    started = time.perf_counter()
    appearance = _widget_appearance(data, rect)
    assert isinstance(appearance.texts, tuple) and isinstance(appearance.images, tuple)  # read now
    assert time.perf_counter() - started < 5, "appearance reading is not bounded"
    return appearance


def test_a_form_drawing_itself_is_cut_short() -> None:
    def build(w: PdfFileWriter) -> generic.IndirectObject:
        me = w.allocate_placeholder()
        stream = generic.StreamObject(
            {
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 10, 10))),
                pdf_name("/Resources"): generic.DictionaryObject(
                    {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Me"): me})}
                ),
            },
            stream_data=b"/Me Do /Me Do",
        )
        return w.add_object(stream, idnum=me.idnum)

    assert _hostile(build).images == ()


def test_a_fan_out_of_nested_forms_is_bounded() -> None:
    """Ten forms each drawing the next one ten times would be 10^10 draws unbounded."""

    def build(w: PdfFileWriter) -> generic.IndirectObject:
        inner = form(
            w, b"q 10 0 0 10 0 0 cm /Im Do Q", (0, 0, 10, 10), xobjects={"Im": _red_image(w)}
        )
        for _ in range(10):
            inner = form(w, b"/F Do " * 10, (0, 0, 10, 10), xobjects={"F": inner})
        return inner

    appearance = _hostile(build)
    assert len(appearance.images) <= 32


def test_a_deflate_bomb_in_the_appearance_is_not_inflated() -> None:
    squeeze = zlib.compressobj(9)
    bomb = b"".join(squeeze.compress(b" " * (1 << 20)) for _ in range(64)) + squeeze.flush()

    def build(w: PdfFileWriter) -> generic.IndirectObject:
        stream = generic.StreamObject(
            {
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 10, 10))),
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
            },
            encoded_data=bomb,
        )
        return w.add_object(stream)

    assert _hostile(build).texts == ()


def test_huge_and_broken_images_are_measured_not_decoded() -> None:
    def image(w: PdfFileWriter, width: int, height: int, data: bytes) -> generic.IndirectObject:
        return w.add_object(
            generic.StreamObject(
                {
                    pdf_name("/Type"): pdf_name("/XObject"),
                    pdf_name("/Subtype"): pdf_name("/Image"),
                    pdf_name("/Width"): generic.NumberObject(width),
                    pdf_name("/Height"): generic.NumberObject(height),
                    pdf_name("/ColorSpace"): pdf_name("/DeviceRGB"),
                    pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                    pdf_name("/Filter"): pdf_name("/FlateDecode"),
                },
                encoded_data=data,
            )
        )

    def build(w: PdfFileWriter) -> generic.IndirectObject:
        huge = image(w, 100_000, 100_000, zlib.compress(b"\0" * 1000))
        broken = image(w, 20, 20, b"not deflate at all")
        return form(
            w,
            b"q 50 0 0 50 0 0 cm /Huge Do Q q 50 0 0 50 60 0 cm /Broken Do Q",
            (0, 0, 200, 100),
            xobjects={"Huge": huge, "Broken": broken},
        )

    huge, broken = _hostile(build).images
    assert (huge.width, huge.height, huge.dominant_hue) == (100_000, 100_000, "unknown")
    assert (broken.width, broken.dominant_hue) == (20, "unknown")


def test_a_widget_without_a_normal_appearance_keeps_its_place() -> None:
    reader_data = widget_pdf(lambda w: generic.NullObject(), (10.0, 10.0, 50.0, 50.0))  # type: ignore[arg-type, return-value]
    appearance = _widget_appearance(reader_data, (10.0, 10.0, 50.0, 50.0))
    assert appearance.rect == (10.0, 10.0, 50.0, 50.0)
    assert (appearance.texts, appearance.images) == ((), ())


# -- vnsign's own signer -------------------------------------------------------------------


def test_vnsign_signer_output_passes_the_nd30_profile(
    vn_pki: TestPKI, verifier: Verifier, tmp_path: Path
) -> None:
    pdf = pytest.importorskip(
        "vnsign.formats.pdf", reason="vnsign's PDF signer (vnsign.formats.pdf) is not available yet"
    )
    samples = pytest.importorskip("vnsign.formats.pdf.samples", reason="no sample documents yet")
    roles = {"person", "organization", "attachment", "copy"}
    if not hasattr(pdf, "sign_pdf") or not roles <= {r.value for r in getattr(pdf, "Role", ())}:
        pytest.skip("vnsign.formats.pdf.sign_pdf does not support the Decree 30 roles yet")
    from vnsign.pki.credentials import KeyCredential

    def credential(ident: TestIdentity) -> KeyCredential:
        return KeyCredential(ident.private_key, ident.certificate, ident.chain, allow_unusable=True)

    document = tmp_path / "quyet-dinh.pdf"
    document.write_bytes(samples.administrative_document())
    person, sealed_out = tmp_path / "person.pdf", tmp_path / "sealed.pdf"
    pdf.sign_pdf(
        document,
        person,
        credential(vn_pki.gov_official),
        role="person",
        appearance=pdf.Nd30Appearance(
            image=pdf.SignatureImage(samples.handwritten_signature_png())
        ),
    )
    pdf.sign_pdf(
        person,
        sealed_out,
        credential(vn_pki.gov_agency),
        role="organization",
        appearance=pdf.Nd30Appearance(image=pdf.SignatureImage(samples.seal_png())),
    )
    report = verifier.verify(sealed_out)
    assert report.verdict is Verdict.VALID, report.summary.en
    assert status(report, "ND30-SIGN-ORDER") is PASSED
    assert status(report, "ND30-SIG-PERSON-IMG", 1) is PASSED, message(
        report, "ND30-SIG-PERSON-IMG", 1
    )
    assert status(report, "ND30-SIG-ORG-IMG", 2) is PASSED, message(report, "ND30-SIG-ORG-IMG", 2)

    for role, rule in (("attachment", "ND30-SIG-ATTACH-SEPFILE"), ("copy", "ND30-COPY-SIG")):
        out = tmp_path / f"{role}.pdf"
        appearance = (
            pdf.Nd30Appearance(document_number="123/QĐ-STP") if role == "attachment" else None
        )
        pdf.sign_pdf(document, out, credential(vn_pki.gov_agency), role=role, appearance=appearance)
        report = verifier.verify(out)
        assert report.verdict is Verdict.VALID, report.summary.en
        assert status(report, rule, 1) is PASSED, message(report, rule, 1)
        assert status(report, "ND30-TIME-FORMAT", 1) is PASSED, message(
            report, "ND30-TIME-FORMAT", 1
        )
        assert status(report, "ND30-SIGN-ORDER") is PASSED


def _png_idat(picture: Image.Image) -> bytes:
    """The concatenated IDAT data of ``picture`` saved as PNG: what PDF writers
    embed with a PNG predictor."""
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", optimize=True)
    data, chunks, position = buffer.getvalue(), [], 8
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    return b"".join(chunks)


def _image_xobject(
    w: PdfFileWriter, picture_data: bytes, size: tuple[int, int], **entries: generic.PdfObject
) -> generic.IndirectObject:
    return w.add_object(
        generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(size[0]),
                pdf_name("/Height"): generic.NumberObject(size[1]),
                **{pdf_name(f"/{k}"): v for k, v in entries.items()},
            },
            encoded_data=picture_data,
        )
    )


def _strokes(colour: tuple[int, int, int], size: tuple[int, int] = (64, 32)) -> Image.Image:
    """Coloured strokes on white: near-white is not counted, the strokes decide."""
    picture = Image.new("RGB", size, (255, 255, 255))
    for x in range(0, size[0], 8):
        picture.paste(colour, (x, 0, x + 4, size[1]))
    return picture


def _n(value: int) -> generic.NumberObject:
    return generic.NumberObject(value)


@pytest.mark.parametrize(
    ("kind", "hue", "alpha"),
    [
        ("png-predictor", "blue", False),
        ("jpeg", "red", False),
        ("jpeg-cmyk", "blue", False),
        ("indexed", "red", False),
        ("gray", "black", False),
        ("stencil-in-blue", "blue", True),
        ("colour-key", "red", True),
        ("inline", "blue", False),
    ],
)
def test_image_encodings_are_decoded(kind: str, hue: str, alpha: bool) -> None:
    rgb, name = pdf_name("/DeviceRGB"), pdf_name("/FlateDecode")

    def image(w: PdfFileWriter) -> generic.IndirectObject:
        if kind == "png-predictor":
            picture = _strokes((30, 60, 200))
            parms = generic.DictionaryObject(
                {
                    pdf_name("/Predictor"): _n(15),
                    pdf_name("/Colors"): _n(3),
                    pdf_name("/BitsPerComponent"): _n(8),
                    pdf_name("/Columns"): _n(64),
                }
            )
            return _image_xobject(
                w,
                _png_idat(picture),
                picture.size,
                ColorSpace=rgb,
                BitsPerComponent=_n(8),
                Filter=name,
                DecodeParms=parms,
            )
        if kind in ("jpeg", "jpeg-cmyk"):
            picture = _strokes((210, 30, 30) if kind == "jpeg" else (30, 60, 200))
            space = "/DeviceRGB"
            if kind == "jpeg-cmyk":
                picture, space = picture.convert("CMYK"), "/DeviceCMYK"
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=90)
            return _image_xobject(
                w,
                buffer.getvalue(),
                picture.size,
                ColorSpace=pdf_name(space),
                BitsPerComponent=_n(8),
                Filter=pdf_name("/DCTDecode"),
            )
        if kind == "indexed":
            palette = generic.ByteStringObject(bytes([255, 255, 255, 210, 30, 30]))
            indices = bytes((x // 4) % 2 for _ in range(32) for x in range(64))
            space = generic.ArrayObject([pdf_name("/Indexed"), rgb, _n(1), palette])
            return _image_xobject(
                w,
                zlib.compress(indices),
                (64, 32),
                ColorSpace=space,
                BitsPerComponent=_n(8),
                Filter=name,
            )
        if kind == "gray":
            picture = _strokes((20, 20, 20)).convert("L")
            return _image_xobject(
                w,
                zlib.compress(picture.tobytes()),
                picture.size,
                ColorSpace=pdf_name("/DeviceGray"),
                BitsPerComponent=_n(8),
                Filter=name,
            )
        if kind == "stencil-in-blue":
            bits = Image.new("1", (64, 32), 1)  # 1 = not painted
            bits.paste(0, (0, 0, 32, 32))
            return _image_xobject(
                w,
                zlib.compress(bits.tobytes()),
                (64, 32),
                ImageMask=generic.BooleanObject(True),
                BitsPerComponent=_n(1),
                Filter=name,
            )
        # colour-key: the white pixels are transparent
        picture = _strokes((210, 30, 30))
        key = generic.ArrayObject([_n(250), _n(255)] * 3)
        return _image_xobject(
            w,
            zlib.compress(picture.tobytes()),
            picture.size,
            ColorSpace=rgb,
            BitsPerComponent=_n(8),
            Filter=name,
            Mask=key,
        )

    def build(w: PdfFileWriter) -> generic.IndirectObject:
        if kind == "inline":
            samples = _strokes((30, 60, 200), (8, 4)).tobytes()
            content = b"q 64 0 0 32 0 0 cm BI /W 8 /H 4 /CS /RGB /BPC 8 ID " + samples + b" EI Q"
            return form(w, content, (0, 0, 64, 32))
        return form(
            w, b"q 0 0 1 rg 64 0 0 32 0 0 cm /Im Do Q", (0, 0, 64, 32), xobjects={"Im": image(w)}
        )

    rect = (100.0, 100.0, 164.0, 132.0)
    (found,) = _widget_appearance(widget_pdf(build, rect), rect).images
    assert (found.dominant_hue, found.has_alpha) == (hue, alpha)
    assert found.rect == pytest.approx(rect, abs=0.01)
