"""Large documents: the copy into the output is hashed as it is made and written
around the page cache, and the signature is still over exactly the output."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from _pdf_helpers import PdfsigEntry
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

import vnsign
from vnsign.errors import InputError
from vnsign.formats.pdf import INVISIBLE, Nd30Appearance, Role, SignOptions, copying, sign_pdf
from vnsign.formats.pdf.samples import administrative_document, scanned_document
from vnsign.pki.credentials import HashAlgorithm, KeyCredential
from vnsign.testing import TestPKI

pytestmark = pytest.mark.interop

CHUNK = copying._CHUNK


@pytest.fixture(scope="module")
def large_bytes() -> bytes:
    data = scanned_document(copying.LARGE_FILE // 1_000_000 + 4)
    assert len(data) > copying.LARGE_FILE
    return data


def _copy(
    tmp_path: Path, data: bytes, digest: str | None
) -> tuple[bytes, copying.CopyDigest | None, int]:
    source, target = tmp_path / "in.bin", tmp_path / "out.bin"
    source.write_bytes(data)
    with source.open("rb", buffering=0) as src, target.open("w+b") as dst:
        hashed = copying.copy_into(src, dst, target, digest=digest)
        position = dst.tell()
    return target.read_bytes(), hashed, position


# Copying --------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
@pytest.mark.parametrize("route", ["direct", "no O_DIRECT", "O_DIRECT writes refused"])
def test_large_copy_is_exact_and_hashed_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, algorithm: str, route: str
) -> None:
    monkeypatch.setattr(copying, "LARGE_FILE", 1 << 20)
    opened: list[int | None] = []
    real_open = copying._open_direct

    def spying(path: Path) -> int | None:
        opened.append(real_open(path))
        return opened[-1]

    monkeypatch.setattr(copying, "_open_direct", spying)
    if route == "no O_DIRECT":
        monkeypatch.setattr(copying, "_open_direct", lambda path: None)
    if route == "O_DIRECT writes refused":
        monkeypatch.setattr(copying, "_write_direct", lambda fd, buffer: False)
    # Two whole chunks and an unaligned tail.
    data = os.urandom(2 * CHUNK + 12_345)
    copied, hashed, position = _copy(tmp_path, data, algorithm)
    assert copied == data
    assert position == len(data)
    assert hashed is not None
    length, digest = hashed.result()
    assert length == len(data)
    assert digest.digest() == hashlib.new(algorithm, data).digest()
    if route == "direct" and opened == [None]:
        pytest.skip(f"{tmp_path} is on a file system without O_DIRECT")


def test_large_copy_of_whole_chunks_and_without_a_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copying, "LARGE_FILE", 1 << 20)
    data = os.urandom(3 * CHUNK)
    copied, hashed, _ = _copy(tmp_path, data, "sha256")
    assert copied == data
    assert hashed is not None and hashed.result()[1].digest() == hashlib.sha256(data).digest()
    copied, hashed, position = _copy(tmp_path, data[:-7], None)
    assert copied == data[:-7] and hashed is None and position == len(data) - 7


def test_small_copy_takes_the_ordinary_path(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    copied, hashed, position = _copy(tmp_path, data, "sha256")
    assert (copied, hashed, position) == (data, None, len(data))


def test_an_abandoned_digest_gives_no_result() -> None:
    hashed = copying.CopyDigest("sha256")
    buffer = hashed.buffer()
    buffer[:3] = b"abc"
    hashed.hash(buffer, 3)
    hashed.stop()
    with pytest.raises(RuntimeError, match="not finished"):
        hashed.result()


def test_a_failing_copy_stops_its_digest_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, citizen: KeyCredential
) -> None:
    monkeypatch.setattr(copying, "LARGE_FILE", 1 << 10)
    source = tmp_path / "in.pdf"
    source.write_bytes(administrative_document())

    def broken(*args: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(copying, "_read_full", broken)
    with pytest.raises(InputError, match=r"cannot copy .* No space left on device"):
        sign_pdf(source, tmp_path / "out.pdf", citizen, appearance=INVISIBLE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pdf"]


# Signing ----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", list(HashAlgorithm))
def test_signature_over_a_copy_hashed_in_flight_is_valid(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vn_pki: TestPKI,
    citizen: KeyCredential,
    pdfsig: Callable[[Path], list[PdfsigEntry]],
    algorithm: HashAlgorithm,
) -> None:
    # Every document takes the large route here, with a visible signature too.
    monkeypatch.setattr(copying, "LARGE_FILE", 0)
    source, signed = tmp_path / "qd.pdf", tmp_path / "qd.signed.pdf"
    source.write_bytes(administrative_document())
    sign_pdf(
        source,
        signed,
        citizen,
        role=Role.ATTACHMENT,
        appearance=Nd30Appearance(document_number="12/QĐ-UBND"),
        options=SignOptions(hash_algorithm=algorithm),
    )
    [entry] = pdfsig(signed)
    assert entry.valid and entry.total
    report = vnsign.Verifier(trust=vn_pki.trust_store()).verify(signed)
    assert report.verdict is vnsign.Verdict.VALID, report.summary.en


def test_a_large_document_is_signed_valid_and_the_input_kept(
    tmp_path: Path,
    vn_pki: TestPKI,
    citizen: KeyCredential,
    large_bytes: bytes,
    pdfsig: Callable[[Path], list[PdfsigEntry]],
) -> None:
    source, signed = tmp_path / "scan.pdf", tmp_path / "scan.signed.pdf"
    source.write_bytes(large_bytes)
    sign_pdf(source, signed, citizen, appearance=INVISIBLE)
    assert source.read_bytes() == large_bytes
    output = signed.read_bytes()
    assert output.startswith(large_bytes) and len(output) > len(large_bytes)
    [entry] = pdfsig(signed)
    assert entry.valid and entry.total
    verifier = vnsign.Verifier(trust=vn_pki.trust_store())
    assert verifier.verify(signed).verdict is vnsign.Verdict.VALID
    # A changed byte deep inside the original part breaks the signature.
    tampered = bytearray(output)
    tampered[len(large_bytes) // 2] ^= 0x01
    assert verifier.verify(bytes(tampered)).verdict is vnsign.Verdict.INVALID


def test_an_encrypted_document_on_the_large_route_is_signed_valid(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    citizen: KeyCredential,
    tool: Callable[[str], str],
) -> None:
    monkeypatch.setattr(copying, "LARGE_FILE", 0)
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(administrative_document())))
    writer.encrypt("chu-so-huu", "mat-khau")
    locked, signed = tmp_path / "locked.pdf", tmp_path / "signed.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    sign_pdf(locked, signed, citizen, appearance=INVISIBLE, password="mat-khau")
    with signed.open("rb") as handle:
        reader = PdfFileReader(handle)
        reader.decrypt(b"mat-khau")
        (signature,) = reader.embedded_signatures
        signature.compute_integrity_info()
        assert signature.summarise_integrity_info()["coverage"].name == "ENTIRE_FILE"
    report = subprocess.run(
        [tool("pdfsig"), "-nocert", "-upw", "mat-khau", str(signed)],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "Signature is Valid" in report and "Total document signed" in report
