"""Signing never damages anything: the input stays as it was, output appears
whole or not at all, and documents that cannot be signed safely are refused
with a clear vnsign error."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pyhanko.pdf_utils.crypt.permissions import StandardPermissions
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from vnsign.errors import (
    InputError,
    MalformedInputError,
    SigningError,
    UnsupportedFormatError,
    VnsignError,
)
from vnsign.formats.pdf import (
    INVISIBLE,
    DocMdpPermission,
    ExistingField,
    FieldLock,
    LockAction,
    Nd30Appearance,
    PadesLevel,
    Role,
    SignOptions,
    sign_pdf,
)
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI

pytestmark = pytest.mark.interop


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".part")]


def _encrypted(
    source: bytes, *, user: str, owner: str, perms: StandardPermissions | None = None
) -> bytes:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(source)))
    options = {} if perms is None else {"perms": perms}
    writer.encrypt(owner, user, **options)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_input_is_never_modified_and_output_replaced_atomically(
    document: Path, citizen: KeyCredential, tmp_path: Path
) -> None:
    before = _digest(document)
    mtime = document.stat().st_mtime_ns
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old content")
    out.chmod(0o640)
    sign_pdf(document, out, citizen, appearance=INVISIBLE)
    assert _digest(document) == before and document.stat().st_mtime_ns == mtime
    assert out.read_bytes().startswith(b"%PDF-") and out.stat().st_mode & 0o777 == 0o640
    assert not _leftovers(tmp_path)


def test_output_must_not_be_the_input(document: Path, citizen: KeyCredential) -> None:
    before = _digest(document)
    with pytest.raises(InputError, match="never changes the input"):
        sign_pdf(document, document, citizen, appearance=INVISIBLE)
    link = document.with_name("link.pdf")
    os.link(document, link)
    with pytest.raises(InputError):
        sign_pdf(document, link, citizen, appearance=INVISIBLE)
    assert _digest(document) == before


def test_missing_input_or_output_folder(document: Path, citizen: KeyCredential) -> None:
    with pytest.raises(InputError, match="no such PDF"):
        sign_pdf(document.with_name("nope.pdf"), document.with_name("x.pdf"), citizen)
    with pytest.raises(InputError, match="does not exist"):
        sign_pdf(document, document.parent / "missing" / "x.pdf", citizen)


def test_failure_leaves_no_output_and_no_temporary_file(
    document: Path, agency: KeyCredential, tmp_path: Path
) -> None:
    out = tmp_path / "sealed.pdf"
    with pytest.raises(SigningError, match="ND30-SIGN-ORDER"):
        sign_pdf(document, out, agency, role=Role.ORGANIZATION, appearance=INVISIBLE)
    assert not out.exists() and not _leftovers(tmp_path)


def test_encrypted_pdf_needs_its_password(
    document_bytes: bytes,
    citizen: KeyCredential,
    tmp_path: Path,
    tool: Callable[[str], str],
) -> None:
    import subprocess

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(_encrypted(document_bytes, user="mat-khau", owner="chu-so-huu"))
    out = tmp_path / "signed.pdf"
    with pytest.raises(SigningError, match="encrypted; give its password"):
        sign_pdf(locked, out, citizen, appearance=INVISIBLE)
    with pytest.raises(SigningError, match="wrong password"):
        sign_pdf(locked, out, citizen, appearance=INVISIBLE, password="sai")
    assert not out.exists() and not _leftovers(tmp_path)

    sign_pdf(locked, out, citizen, appearance=INVISIBLE, password="mat-khau")
    reader = PdfFileReader(out.open("rb"))
    assert reader.encrypted
    reader.decrypt(b"mat-khau")
    (sig,) = reader.embedded_signatures
    sig.compute_integrity_info()
    assert sig.summarise_integrity_info()["coverage"].name == "ENTIRE_FILE"
    report = subprocess.run(
        [tool("pdfsig"), "-nocert", "-upw", "mat-khau", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "Signature is Valid" in report and "Total document signed" in report


def test_owner_password_restrictions(
    document_bytes: bytes, citizen: KeyCredential, tmp_path: Path
) -> None:
    no_forms = StandardPermissions.ALLOW_PRINTING | StandardPermissions.ALLOW_CONTENT_EXTRACTION
    restricted = tmp_path / "restricted.pdf"
    restricted.write_bytes(_encrypted(document_bytes, user="", owner="chu", perms=no_forms))
    out = tmp_path / "signed.pdf"
    with pytest.raises(SigningError, match="owner password"):
        sign_pdf(restricted, out, citizen, appearance=INVISIBLE)
    sign_pdf(restricted, out, citizen, appearance=INVISIBLE, password="chu")
    assert out.exists()

    open_doc = tmp_path / "open.pdf"
    open_doc.write_bytes(_encrypted(document_bytes, user="", owner="chu"))
    sign_pdf(open_doc, tmp_path / "open-signed.pdf", citizen, appearance=INVISIBLE)


def test_certified_no_changes_is_refused(
    shared_corpus: Path, document: Path, citizen: KeyCredential, official: KeyCredential
) -> None:
    third_party = shared_corpus / "dss-pades" / "dss-2554" / "certified-no-change-permitted.pdf"
    with pytest.raises(SigningError, match=r"no changes .*DocMDP P=1"):
        sign_pdf(third_party, document.with_name("x.pdf"), citizen, appearance=INVISIBLE)

    ours = document.with_name("certified.pdf")
    sign_pdf(
        document,
        ours,
        official,
        appearance=INVISIBLE,
        options=SignOptions(certify=DocMdpPermission.NO_CHANGES),
    )
    with pytest.raises(SigningError, match="DocMDP P=1"):
        sign_pdf(ours, document.with_name("y.pdf"), citizen, appearance=INVISIBLE)


def test_lock_dictionary_with_p1_is_refused(
    shared_corpus: Path, citizen: KeyCredential, tmp_path: Path
) -> None:
    # A signature locking all fields with DocMDP P=1 (PDF 2.0 field lock).
    source = shared_corpus / "dss-pades" / "dss-2236" / "annotation-and-visible-change.pdf"
    with pytest.raises(SigningError, match="P=1"):
        sign_pdf(source, tmp_path / "x.pdf", citizen, appearance=INVISIBLE)


def test_certification_must_come_first(
    document: Path, citizen: KeyCredential, official: KeyCredential
) -> None:
    signed = document.with_name("signed.pdf")
    sign_pdf(document, signed, citizen, appearance=INVISIBLE)
    with pytest.raises(SigningError, match="must be the first signature"):
        sign_pdf(
            signed,
            document.with_name("x.pdf"),
            official,
            appearance=INVISIBLE,
            options=SignOptions(certify=DocMdpPermission.FILL_FORMS),
        )


def test_locked_field_is_refused_and_free_field_is_used(
    document: Path,
    citizen: KeyCredential,
    official: KeyCredential,
    person_look: Nd30Appearance,
    validate: Callable[[Path], list],
) -> None:
    with_fields = document.with_name("fields.pdf")
    writer = IncrementalPdfFileWriter(io.BytesIO(document.read_bytes()))
    for name, box in (("KyDuyet", (380, 290, 520, 360)), ("KyKhac", (60, 100, 200, 160))):
        append_signature_field(writer, SigFieldSpec(name, box=box))
    buffer = io.BytesIO()
    writer.write(buffer)
    with_fields.write_bytes(buffer.getvalue())

    locking = document.with_name("locking.pdf")
    sign_pdf(
        with_fields,
        locking,
        citizen,
        appearance=INVISIBLE,
        options=SignOptions(lock=FieldLock(LockAction.INCLUDE, ("KyDuyet",))),
    )
    with pytest.raises(SigningError, match="locks the field 'KyDuyet'"):
        sign_pdf(
            locking,
            document.with_name("x.pdf"),
            official,
            appearance=person_look,
            placement=ExistingField("KyDuyet"),
        )
    out = document.with_name("free.pdf")
    result = sign_pdf(
        locking, out, official, appearance=person_look, placement=ExistingField("KyKhac")
    )
    assert result.field_name == "KyKhac" and result.rect == (60, 100, 200, 160)
    assert all(s.bottom_line for s in validate(out))
    with pytest.raises(SigningError, match="already signed"):
        sign_pdf(
            out,
            document.with_name("y.pdf"),
            official,
            appearance=INVISIBLE,
            placement=ExistingField("KyKhac"),
        )
    with pytest.raises(SigningError, match="no signature field"):
        sign_pdf(
            out,
            document.with_name("y.pdf"),
            official,
            appearance=INVISIBLE,
            placement=ExistingField("Khong"),
        )


def test_agency_seal_needs_a_person_signature_unless_forced(
    document: Path, agency: KeyCredential, seal_look: Nd30Appearance
) -> None:
    from vnsign.formats.pdf import Box, OnPage

    with pytest.raises(SigningError, match="ND30-SIGN-ORDER"):
        sign_pdf(
            document,
            document.with_name("x.pdf"),
            agency,
            role=Role.ORGANIZATION,
            appearance=seal_look,
        )
    result = sign_pdf(
        document,
        document.with_name("forced.pdf"),
        agency,
        role=Role.ORGANIZATION,
        appearance=seal_look,
        placement=OnPage(Box(120, 200, 40, 40)),
        options=SignOptions(force=True),
    )
    assert result.page == 1


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", MalformedInputError, "empty"),
        (b"PK\x03\x04 this is a zip", UnsupportedFormatError, "not a PDF"),
        (b"%PDF-1.7\n" + b"\x00" * 500, MalformedInputError, "cannot read"),
    ],
    ids=["empty", "zip", "garbage"],
)
def test_unreadable_input_is_a_clear_error(
    content: bytes, error: type[VnsignError], message: str, tmp_path: Path, citizen: KeyCredential
) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    with pytest.raises(error, match=message):
        sign_pdf(bad, tmp_path / "out.pdf", citizen, appearance=INVISIBLE)
    assert not _leftovers(tmp_path)


def test_truncated_pdf_is_refused(
    document_bytes: bytes, tmp_path: Path, citizen: KeyCredential
) -> None:
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(document_bytes[: len(document_bytes) // 2])
    with pytest.raises(MalformedInputError):
        sign_pdf(cut, tmp_path / "out.pdf", citizen, appearance=INVISIBLE)


@pytest.mark.parametrize(
    "name",
    [
        "dss-pades/pades_infinite_loop.pdf",
        "dss-pades/pades_opposite_infinite_loop.pdf",
        "dss-pades/malformed-pades.pdf",
        "pyhanko-pdf/circular-page-tree.pdf",
    ],
)
def test_hostile_corpus_files_end_quickly_with_a_result_or_a_vnsign_error(
    name: str,
    shared_corpus: Path,
    tmp_path: Path,
    citizen: KeyCredential,
    person_look: Nd30Appearance,
) -> None:
    source = shared_corpus / name
    if not source.exists():
        pytest.skip(f"{name} is not in this corpus")
    started = time.monotonic()
    for appearance in (INVISIBLE, person_look):
        with contextlib.suppress(VnsignError):
            sign_pdf(source, tmp_path / "out.pdf", citizen, appearance=appearance)
    assert time.monotonic() - started < 30
    assert not _leftovers(tmp_path)


def test_reserved_size_is_exact_without_tsa_and_bounded_with_it(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI
) -> None:
    plain = sign_pdf(document, document.with_name("b.pdf"), citizen, appearance=INVISIBLE)
    # The dry run used the real chain; an RSA signature has a fixed size.
    assert plain.reserved_bytes == 2 * plain.signature_bytes
    stamped = sign_pdf(
        document,
        document.with_name("t.pdf"),
        citizen,
        appearance=INVISIBLE,
        level=PadesLevel.B_T,
        timestamp=vn_pki.services.tsa_url,
    )
    assert 2 * stamped.signature_bytes <= stamped.reserved_bytes
    assert stamped.reserved_bytes <= 2 * (stamped.signature_bytes + 1024 + 64)
    assert stamped.signature_bytes > plain.signature_bytes + 1000  # the token is in there


def test_every_corpus_pdf_signs_or_fails_with_a_vnsign_error(
    shared_corpus: Path, tmp_path: Path, citizen: KeyCredential
) -> None:
    """Third-party, damaged and hostile PDFs: a signed file or a clear vnsign
    error, never another exception, never a leftover temporary file."""
    from vnsign.formats.pdf import PdfSigningService, SignJob

    files = sorted(
        p
        for folder in ("dss-pades", "pyhanko-pdf")
        for p in (shared_corpus / folder).rglob("*.pdf")
    )
    assert len(files) > 100
    service = PdfSigningService(citizen)
    outcomes: dict[str, int] = {}
    started = time.monotonic()
    for source in files:
        try:
            service.sign(SignJob(source, tmp_path / "out.pdf", appearance=INVISIBLE))
            outcome = "signed"
        except VnsignError as exc:
            outcome = type(exc).__name__
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes["signed"] > 100
    assert set(outcomes) <= {
        "signed",
        "SigningError",
        "MalformedInputError",
        "UnsupportedFormatError",
    }
    assert time.monotonic() - started < 120
    assert not _leftovers(tmp_path)
