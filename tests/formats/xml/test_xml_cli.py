"""``vnsign sign xml``, ``vnsign sign einvoice``, ``vnsign edxml build|inspect``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xmlsig_helpers import SAMPLE

from vnsign.cli import EXIT_ERROR, EXIT_USAGE, main
from vnsign.formats.edxml import EnvelopeSignatureStatus, inspect_edxml
from vnsign.formats.einvoice import InvoiceRole, verify_invoice
from vnsign.formats.xml import verify_xml
from vnsign.testing import DEFAULT_PASSWORD, TestIdentity, TestPKI, TestServices

INVOICE = (
    '<HDon><DLHDon Id="DL1"><TTChung><KHHDon>C25TAA</KHHDon><SHDon>9</SHDon></TTChung>'
    "<NDHDon><NBan><Ten>CÔNG TY</Ten><MST>0123456789</MST></NBan><NMua><Ten>Khách</Ten></NMua>"
    "<DSHHDVu><HHDVu><STT>1</STT><THHDVu>Dịch vụ</THHDVu><ThTien>100000</ThTien></HHDVu></DSHHDVu>"
    "</NDHDon></DLHDon></HDon>"
).encode()


@pytest.fixture
def p12(tmp_path: Path, vn_pki: TestPKI, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VNSIGN_TEST_PW", DEFAULT_PASSWORD.decode())
    return _p12(tmp_path, vn_pki.organization)


def _p12(tmp_path: Path, identity: TestIdentity) -> Path:
    path = tmp_path / f"{identity.label}.p12"
    path.write_bytes(identity.pkcs12())
    return path


def test_sign_xml_enveloped_and_xades_t(
    tmp_path: Path, p12: Path, vn_services: TestServices, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "ho-so.xml"
    source.write_bytes(SAMPLE)
    assert (
        main(["sign", "xml", str(source), "--p12", str(p12), "--password-env", "VNSIGN_TEST_PW"])
        == 0
    )
    signed = tmp_path / "ho-so.signed.xml"
    assert verify_xml(signed.read_bytes()).valid
    assert source.read_bytes() == SAMPLE
    out = capsys.readouterr().out
    assert (
        f"Signed {source} → {signed}" in out
        and "XMLDSig enveloped" in out
        and "MST:0123456789" in out
    )

    xades = tmp_path / "ho-so.xades.xml"
    args = ["sign", "xml", str(source), "--p12", str(p12), "--password-env", "VNSIGN_TEST_PW"]
    assert (
        main([*args, "--tsa", vn_services.tsa_url, "--reference", "#vb1", "--out", str(xades)]) == 0
    )
    [signature] = verify_xml(xades.read_bytes()).signatures
    assert signature.valid and signature.xades.level == "B-T"  # type: ignore[union-attr]
    assert signature.references[0].element_path == "/HoSo/VanBan"
    assert [
        p for p in tmp_path.iterdir() if p.name.endswith(".tmp")
    ] == []  # atomic writes leave nothing


def test_sign_xml_enveloping_and_detached(tmp_path: Path, p12: Path) -> None:
    source = tmp_path / "quyet-dinh.pdf"
    source.write_bytes(b"%PDF-1.7 noi dung")
    base = ["--p12", str(p12), "--password-env", "VNSIGN_TEST_PW"]
    assert main(["sign", "xml", str(source), *base, "--mode", "enveloping"]) == 0
    assert verify_xml((tmp_path / "quyet-dinh.signed.xml").read_bytes()).valid
    assert main(["sign", "xml", str(source), *base, "--mode", "detached"]) == 0
    detached = (tmp_path / "quyet-dinh.sig.xml").read_bytes()
    assert verify_xml(detached, external={"quyet-dinh.pdf": source.read_bytes()}).valid


def test_sign_einvoice_roles(tmp_path: Path, p12: Path, vn_pki: TestPKI) -> None:
    source = tmp_path / "hoa-don.xml"
    source.write_bytes(INVOICE)
    assert (
        main(
            ["sign", "einvoice", str(source), "--p12", str(p12), "--password-env", "VNSIGN_TEST_PW"]
        )
        == 0
    )
    signed = tmp_path / "hoa-don.signed.xml"
    buyer = _p12(tmp_path, vn_pki.person)
    both = tmp_path / "hoa-don.2.xml"
    args = ["sign", "einvoice", str(signed), "--role", "buyer", "--p12", str(buyer)]
    assert main([*args, "--password-env", "VNSIGN_TEST_PW", "--out", str(both)]) == 0
    report = verify_invoice(both.read_bytes())
    assert report.valid
    assert [s.role for s in report.signatures] == [InvoiceRole.SELLER, InvoiceRole.BUYER]
    assert (
        main(["sign", "einvoice", str(source), "--role", "tax-authority", "--p12", str(p12)])
        == EXIT_USAGE
    )


def test_edxml_build_and_inspect(
    tmp_path: Path,
    vn_pki: TestPKI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VNSIGN_TEST_PW", DEFAULT_PASSWORD.decode())
    metadata = tmp_path / "header.json"
    metadata.write_text(
        json.dumps(
            {
                "sender": {"organ_id": "000.00.00.H49", "organ_name": "UBND tỉnh Quảng Ninh"},
                "recipients": [{"organ_id": "G09.20", "organ_name": "Bộ Nội vụ"}],
                "code": {"number": "12", "notation": "UBND-VP"},
                "promulgation_date": "2025-05-01",
                "place": "Quảng Ninh",
                "document_type": 1,
                "document_type_name": "Công văn",
                "subject": "Thử nghiệm",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    pdfs = []
    for name in ("qd-12.pdf", "phu-luc.pdf"):
        path = tmp_path / name
        path.write_bytes(b"%PDF-1.7 " + name.encode())
        pdfs += ["--attach", str(path)]
    package = tmp_path / "goi-tin.edxml"
    agency = _p12(tmp_path, vn_pki.gov_agency)
    args = ["edxml", "build", "--metadata", str(metadata), *pdfs, "--out", str(package)]
    assert main([*args, "--sign", "--p12", str(agency), "--password-env", "VNSIGN_TEST_PW"]) == 0
    assert "2 attachment(s), envelope signed" in capsys.readouterr().out
    assert inspect_edxml(package.read_bytes()).signature_status is EnvelopeSignatureStatus.VALID

    extract = tmp_path / "pdfs"
    assert main(["edxml", "inspect", str(package), "--extract", str(extract)]) == 0
    out = capsys.readouterr().out
    assert "From:      000.00.00.H49 UBND tỉnh Quảng Ninh" in out
    assert "Signature: valid" in out
    assert "ok   ORGID-LEGACY [From/OrganId]" in out
    assert "ok   EDXML-SIGNATURE" in out
    assert "qd-12.pdf · pdf" in out
    assert sorted(p.name for p in extract.iterdir()) == ["01-qd-12.pdf", "02-phu-luc.pdf"]
    assert (extract / "01-qd-12.pdf").read_bytes() == b"%PDF-1.7 qd-12.pdf"

    broken = tmp_path / "broken.edxml"
    broken.write_bytes(
        package.read_bytes().replace(b">Th\xe1\xbb\xad nghi\xe1\xbb\x87m<", b">Sua<")
    )
    assert main(["edxml", "inspect", str(broken)]) == 1
    assert "FAIL EDXML-SIGNATURE" in capsys.readouterr().out


def test_errors_map_to_exit_codes(
    tmp_path: Path, p12: Path, vn_pki: TestPKI, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "x.xml"
    source.write_bytes(SAMPLE)
    assert (
        main(["sign", "xml", str(source), "--p12", str(p12), "--password-env", "NO_SUCH_VAR"])
        == EXIT_USAGE
    )
    assert main(["sign", "xml", str(source)]) == EXIT_USAGE
    wrong = tmp_path / "other.p12"
    wrong.write_bytes(vn_pki.organization.pkcs12(b"khac"))
    assert (
        main(["sign", "xml", str(source), "--p12", str(wrong), "--password-env", "VNSIGN_TEST_PW"])
        == EXIT_ERROR
    )
    hostile = tmp_path / "bomb.xml"
    hostile.write_bytes(b'<!DOCTYPE r [<!ENTITY a "aa">]><r>&a;</r>')
    capsys.readouterr()
    assert (
        main(["sign", "xml", str(hostile), "--p12", str(p12), "--password-env", "VNSIGN_TEST_PW"])
        == EXIT_ERROR
    )
    assert "DTD" in capsys.readouterr().err
    assert not (tmp_path / "bomb.signed.xml").exists()
    assert main(["edxml", "inspect", str(source)]) == EXIT_ERROR
    assert "not an edXML package" in capsys.readouterr().err


def test_outputs_are_written_atomically_and_inputs_bounded(tmp_path: Path) -> None:
    from vnsign._files import write_atomic
    from vnsign.errors import InputError
    from vnsign.formats.xml.files import read_input

    target = tmp_path / "out.xml"
    target.write_bytes(b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xml"]
    with pytest.raises(InputError, match="cannot write"):
        write_atomic(tmp_path / "missing" / "out.xml", b"x")
    with pytest.raises(InputError, match="more than the limit of 2"):
        read_input(target, max_bytes=2)
    with pytest.raises(InputError, match="no such file"):
        read_input(tmp_path / "nothing.xml", max_bytes=10)
    with pytest.raises(InputError, match="is a folder"):
        read_input(tmp_path, max_bytes=10)
