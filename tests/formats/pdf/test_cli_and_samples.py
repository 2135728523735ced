"""``vnsign sign pdf`` and ``vnsign extend``, and the sample material."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image

from vnsign.cli import main
from vnsign.formats.pdf.samples import (
    AdministrativeDocument,
    administrative_document,
    handwritten_signature_png,
    seal_png,
)
from vnsign.testing import TestPKI


@pytest.fixture
def p12s(tmp_path: Path, vn_pki: TestPKI, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("VNSIGN_TEST_PW", "mat-khau")
    paths = {}
    for name, identity in (("official", vn_pki.gov_official), ("agency", vn_pki.gov_agency)):
        path = tmp_path / f"{name}.p12"
        path.write_bytes(identity.pkcs12(b"mat-khau"))
        paths[name] = path
    roots = tmp_path / "roots.pem"
    roots.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in vn_pki.roots))
    paths["roots"] = roots
    return paths


@pytest.mark.interop
def test_cli_person_then_seal_then_extend(
    tmp_path: Path,
    document: Path,
    p12s: dict[str, Path],
    vn_pki: TestPKI,
    capsys: pytest.CaptureFixture[str],
    pdfsig: Callable[[Path], list],
) -> None:
    signature, seal = tmp_path / "chu-ky.png", tmp_path / "con-dau.png"
    signature.write_bytes(handwritten_signature_png())
    seal.write_bytes(seal_png())
    person = tmp_path / "person.pdf"
    code = main(
        [
            "sign", "pdf", str(document), "--p12", str(p12s["official"]),
            "--password-env", "VNSIGN_TEST_PW", "--image", str(signature),
            "--tsa", vn_pki.services.tsa_url, "--out", str(person),
        ]
    )  # fmt: skip
    assert code == 0
    shown = capsys.readouterr().out
    assert "PAdES B-T · person · page 1" in shown and "Lê Hoàng Cường" in shown
    sealed = tmp_path / "sealed.pdf"
    code = main(
        [
            "sign", "pdf", str(person), "--p12", str(p12s["agency"]),
            "--password-env", "VNSIGN_TEST_PW", "--role", "organization",
            "--image", str(seal), "--out", str(sealed),
        ]
    )  # fmt: skip
    assert code == 0
    extended = tmp_path / "sealed.lta.pdf"
    code = main(
        [
            "extend", str(sealed), "--tsa", vn_pki.services.tsa_url,
            "--trust-root", str(p12s["roots"]), "--out", str(extended),
        ]
    )  # fmt: skip
    assert code == 0
    assert "added: document time stamp, validation data" in capsys.readouterr().out
    entries = pdfsig(extended)
    assert [e.valid for e in entries if "CAdES" in e.text] == [True, True]


def test_cli_reports_errors_and_usage(
    tmp_path: Path, document: Path, p12s: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["sign", "pdf", str(document), "--p12", str(p12s["agency"])]
    base += ["--password-env", "VNSIGN_TEST_PW"]
    # A seal on an unsigned document: a vnsign error, exit code 3, no traceback.
    assert main([*base, "--role", "organization", "--invisible"]) == 3
    assert "ND30-SIGN-ORDER" in capsys.readouterr().err
    assert main([*base, "--box", "1,2,3"]) == 4
    assert main([*base, "--box", "1,2,3,4", "--anchor", "X"]) == 4
    out = tmp_path / "copy.pdf"
    assert main([*base, "--role", "copy", "--copy-form", "trich-sao", "--out", str(out)]) == 0
    assert out.exists()


def test_sample_document_layout_and_text(tmp_path: Path, pdftotext: Callable[..., str]) -> None:
    path = tmp_path / "sample.pdf"
    path.write_bytes(administrative_document(number="45/QĐ-UBND", extra_pages=1))
    text = " ".join(pdftotext(path, first=1, last=2).split())
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 45/QĐ-UBND",
        "Quảng Ngãi, ngày 05 tháng 3 năm 2026",
        "QUYẾT ĐỊNH",
        "KT. GIÁM ĐỐC",
        "Lê Hoàng Cường",
        "Nơi nhận:",
    ):
        assert expected in text
    assert AdministrativeDocument().page_size == pytest.approx((595.28, 841.89), abs=0.01)


def test_sample_images_are_transparent_pngs_with_resolution() -> None:
    import io

    for data, (r_min, b_min) in ((handwritten_signature_png(), (0, 120)), (seal_png(), (150, 0))):
        image = Image.open(io.BytesIO(data))
        assert image.format == "PNG" and image.mode == "RGBA"
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
        alpha = image.getchannel("A")
        assert alpha.getextrema() == (0, 255)
        raw = image.convert("RGBA").tobytes()
        pixels = [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]
        opaque = [p for p in pixels if p[3] == 255]
        assert opaque and all(p[0] >= r_min and p[2] >= b_min for p in opaque[:200])
