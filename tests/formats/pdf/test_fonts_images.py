"""Fonts (Tinos subsets with ToUnicode, user fonts, licences) and signature
images (Decree 30 colour and transparency checks, physical size)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from vnsign.errors import InputError, MalformedInputError
from vnsign.formats.pdf import (
    CustomAppearance,
    Font,
    FontStyle,
    Nd30Appearance,
    Role,
    SignatureImage,
    SignOptions,
    sign_pdf,
)
from vnsign.formats.pdf.appearance import plan_appearance
from vnsign.formats.pdf.images import Hue, prepare_image
from vnsign.formats.pdf.samples import handwritten_signature_png, seal_png
from vnsign.formats.pdf.signing_time import signing_time
from vnsign.pki.credentials import KeyCredential

VIETNAMESE = "Cộng hòa xã hội chủ nghĩa Việt Nam — Độc lập - Tự do - Hạnh phúc ỦY BAN ẢẴẶẲỶỸỴ"


def _png(
    colour: tuple[int, int, int, int], *, size: tuple[int, int] = (200, 80), dpi: int | None = 300
) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for x in range(20, size[0] - 20):
        for y in range(30, 50):
            image.putpixel((x, y), colour)
    out = io.BytesIO()
    image.save(out, format="PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return out.getvalue()


def test_bundled_tinos_covers_vietnamese_and_measures_like_times() -> None:
    font = Font.bundled()
    assert font.normalise(VIETNAMESE) == VIETNAMESE
    # Decomposed input (e + combining marks) is composed before lookup.
    assert font.normalise("Vie\u0323\u0302t") == "Việt"
    # Metric-compatible with Times New Roman: T i m e s = 611+278+778+444+389 /1000 em.
    assert font.width("Times", 10) == pytest.approx(25.0, abs=0.05)
    assert Font.bundled(FontStyle.BOLD).postscript_name == "Tinos-Bold"


def test_subsets_are_cached_per_character_set() -> None:
    font = Font.bundled()
    first = font.subset("SAO Y 2026-03-05T14:30:15+07:00")
    # Another time uses only digits and punctuation that every subset holds.
    again = font.subset("SAO Y 2027-11-28T09:01:59+07:00")
    assert again is first
    assert first.base_font.endswith("+Tinos") and len(first.base_font.split("+")[0]) == 6
    other = font.subset("SAO LỤC")
    assert other is not first
    assert (
        first.encode("SAO")
        == b"<" + b"".join(f"{first.cids[c]:04X}".encode() for c in "SAO") + b">"
    )
    with pytest.raises(InputError, match="not in this font subset"):
        first.encode("Ụ")


def test_missing_glyph_is_reported() -> None:
    with pytest.raises(InputError, match="no glyph for"):
        Font.bundled().normalise("中文")


def test_font_licence_forbidding_embedding_is_refused(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(Font.bundled().data))
    font["OS/2"].fsType = 0x0002  # restricted licence: no embedding
    path = tmp_path / "restricted.ttf"
    font.save(str(path))
    with pytest.raises(InputError, match="forbids embedding"):
        Font.from_file(path)
    (tmp_path / "not-a-font.ttf").write_bytes(b"hello")
    with pytest.raises(InputError, match="not a usable TrueType font"):
        Font.from_file(tmp_path / "not-a-font.ttf")
    with pytest.raises(InputError, match="cannot read font"):
        Font.from_file(tmp_path / "missing.ttf")


def test_sample_images_have_decree_30_colours_transparency_and_size() -> None:
    signature = prepare_image(SignatureImage(handwritten_signature_png()))
    seal = prepare_image(SignatureImage(seal_png(diameter_mm=40)))
    assert signature.hue is Hue.BLUE and seal.hue is Hue.RED
    assert signature.alpha is not None and signature.transparent_share > 0.5
    assert seal.transparent_share > 0.3
    assert seal.size_pt(None, None) == pytest.approx((40 * 72 / 25.4,) * 2, abs=0.5)
    width, height = signature.size_pt(30, None)
    assert width == pytest.approx(30 * 72 / 25.4) and height / width == pytest.approx(
        signature.height_px / signature.width_px
    )


@pytest.mark.parametrize(
    ("role", "png", "message"),
    [
        (Role.PERSON, _png((200, 20, 20, 255)), "must be blue"),
        (Role.ORGANIZATION, _png((20, 40, 200, 255)), "must be red"),
        (Role.PERSON, _png((20, 40, 200, 255), size=(10, 10)), "transparent background"),
    ],
    ids=["red-signature", "blue-seal", "opaque"],
)
def test_images_breaking_decree_30_are_refused_unless_allowed(
    role: Role, png: bytes, message: str, citizen: KeyCredential
) -> None:
    if message == "transparent background":
        opaque = Image.new("RGB", (100, 40), (20, 40, 200))
        out = io.BytesIO()
        opaque.save(out, format="PNG", dpi=(300, 300))
        png = out.getvalue()
    appearance = Nd30Appearance(image=SignatureImage(png))
    at = signing_time()
    with pytest.raises(InputError, match=message):
        plan_appearance(role, appearance, certificate=citizen.certificate, signing_time=at)
    plan = plan_appearance(
        role, appearance, certificate=citizen.certificate, signing_time=at, check_images=False
    )
    assert plan is not None and plan.has_image


def test_image_needs_a_size(citizen: KeyCredential) -> None:
    no_dpi = SignatureImage(_png((20, 40, 200, 255), dpi=None))
    at = signing_time()
    with pytest.raises(InputError, match="width_mm or height_mm"):
        plan_appearance(
            Role.PERSON,
            Nd30Appearance(image=no_dpi),
            certificate=citizen.certificate,
            signing_time=at,
        )
    sized = SignatureImage(no_dpi.data, width_mm=40)
    plan = plan_appearance(
        Role.PERSON, Nd30Appearance(image=sized), certificate=citizen.certificate, signing_time=at
    )
    assert plan is not None and plan.width == pytest.approx(40 * 72 / 25.4)


def test_unreadable_image_and_missing_image(citizen: KeyCredential) -> None:
    at = signing_time()
    with pytest.raises(MalformedInputError, match="not a readable image"):
        plan_appearance(
            Role.PERSON,
            Nd30Appearance(image=SignatureImage(b"\x89PNG broken")),
            certificate=citizen.certificate,
            signing_time=at,
        )
    with pytest.raises(InputError, match="ND30-SIG-ORG-IMG"):
        plan_appearance(
            Role.ORGANIZATION, Nd30Appearance(), certificate=citizen.certificate, signing_time=at
        )
    with pytest.raises(InputError, match="ND30-SIG-ATTACH-SEPFILE"):
        plan_appearance(
            Role.ATTACHMENT, Nd30Appearance(), certificate=citizen.certificate, signing_time=at
        )
    with pytest.raises(InputError, match="cannot read image"):
        SignatureImage.from_file("/nonexistent/chu-ky.png")


def test_custom_appearance_rejects_unknown_placeholders(citizen: KeyCredential) -> None:
    with pytest.raises(InputError, match="unknown field"):
        plan_appearance(
            Role.PERSON,
            CustomAppearance(lines=("{ngay}",)),
            certificate=citizen.certificate,
            signing_time=signing_time(),
        )


def test_opaque_image_signs_when_checks_are_off(
    document: Path, citizen: KeyCredential, pdftotext: object
) -> None:
    from vnsign.formats.pdf import Box, OnPage

    opaque = Image.new("RGB", (300, 100), (250, 250, 250))
    out = io.BytesIO()
    opaque.save(out, format="PNG")
    result = sign_pdf(
        document,
        document.with_name("opaque.pdf"),
        citizen,
        appearance=Nd30Appearance(image=SignatureImage(out.getvalue(), width_mm=30)),
        placement=OnPage(Box(20, 20, 30, 10)),
        options=SignOptions(check_images=False),
    )
    assert result.page == 1
