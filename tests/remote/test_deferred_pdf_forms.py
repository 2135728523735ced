"""Remote (deferred) PDF signing in the Decree 30 forms and at every PAdES level:
the PDF signer prepares (role, appearance, placement, signing time, /Contents
sized for the chain, a real token and revocation data), the phone confirms, and
the value is embedded after the engine's checks, maybe by another process.
Outputs verify under the ``nd30`` profile, with pyHanko and with pdfsig."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _remote_helpers import Remote, name_for
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.form_tools import get_single_field_annot
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from vnsign.cli import main
from vnsign.errors import InputError, MalformedInputError, RemoteResponseError
from vnsign.formats.deferred import sign_documents
from vnsign.formats.pdf import (
    CustomAppearance,
    Nd30Appearance,
    PadesLevel,
    Role,
    SignatureImage,
    SignOptions,
    format_vietnam_time,
    sign_pdf,
)
from vnsign.formats.pdf.deferred import (
    DeferredPdfJob,
    DeferredPdfPreparer,
    PreparedPdfFile,
    async_finish_pdf_file,
    sign_deferred_pdfs,
)
from vnsign.formats.pdf.pending import PendingPdfSignature
from vnsign.formats.pdf.samples import administrative_document, handwritten_signature_png, seal_png
from vnsign.formats.xml import verify_xml
from vnsign.formats.xml.deferred import XmlJob
from vnsign.pki.credentials import KeyCredential
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.remote import RemoteAccount, TransactionRecord, TxState
from vnsign.pki.status import Indication
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import TestIdentity, TestPKI
from vnsign.testing.remote import GatewayUser, PhoneAction
from vnsign.verify import Report, RuleStatus, Verdict, Verifier

PERSON = Nd30Appearance(image=SignatureImage(handwritten_signature_png()))
SEAL = Nd30Appearance(image=SignatureImage(seal_png()))
SAMPLE_XML = b'<HoSo xmlns="urn:vnsign:test"><VanBan Id="vb1">Quyet dinh</VanBan></HoSo>'


# -- fixtures and helpers ------------------------------------------------------------------


def _user(remote: Remote, identity: TestIdentity, delay: float = 0.02) -> GatewayUser:
    user = remote.gateway.add_user(identity=identity)
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=delay)
    return user


@pytest.fixture
def official(remote: Remote) -> GatewayUser:
    """The competent person (Government CA), approving at once."""
    return _user(remote, remote.gateway.pki.gov_official)


@pytest.fixture
def agency(remote: Remote) -> GatewayUser:
    """The agency's records clerk (its seal), approving at once."""
    return _user(remote, remote.gateway.pki.gov_agency)


@pytest.fixture
def decision(tmp_path: Path) -> Path:
    """The sample Quyết định, laid out as Decree 30 Appendix I shows (its signer
    block names the test PKI's official)."""
    path = tmp_path / "quyet-dinh.pdf"
    path.write_bytes(administrative_document())
    return path


def _report(path: Path, pki: TestPKI) -> Report:
    return Verifier("nd30", trust=pki.trust_store(), timeout=5).verify(path)


def _rule(report: Report, rule_id: str, signature: int) -> RuleStatus:
    return next(r.status for r in report.signatures[signature - 1].rules if r.rule_id == rule_id)


def _person_only(report: Report) -> None:
    """A main document with only the person's signature: the signature and its
    form pass; the verdict waits for the agency's seal (ND30-SIGN-ORDER)."""
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_PASSED, report.summary.en
    assert _rule(report, "ND30-SIG-PERSON-IMG", 1) is RuleStatus.PASSED
    failed = [r.rule_id for r in report.rules if r.status is RuleStatus.FAILED]
    assert failed == ["ND30-SIGN-ORDER"], report.summary.en


def _pyhanko(path: Path, pki: TestPKI) -> list[PdfSignatureStatus]:
    roots = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in pki.roots]
    with path.open("rb") as handle:
        reader = PdfFileReader(handle)
        return [
            validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=True))
            for sig in reader.embedded_regular_signatures
        ]


def _widgets(path: Path) -> list[tuple[float, float, float, float]]:
    """The widget rectangles of the signatures, in signing order."""
    with path.open("rb") as handle:
        reader = PdfFileReader(handle)
        rects = []
        for sig in reader.embedded_regular_signatures:
            rect = get_single_field_annot(sig.sig_field)["/Rect"]
            x1, y1, x2, y2 = (float(v) for v in rect)
            rects.append((x1, y1, x2, y2))
        return rects


def _claimed_times(path: Path) -> list[datetime]:
    with path.open("rb") as handle:
        return [
            generic.parse_pdf_date(sig.sig_object["/M"])
            for sig in PdfFileReader(handle).embedded_regular_signatures
        ]


def _sign(
    remote: Remote,
    user: GatewayUser,
    jobs: list[DeferredPdfJob],
    dialect: str = "smartca",
    **options: object,
) -> TransactionRecord:
    pki = remote.gateway.pki
    # trust roots only for B-LT and B-LTA: with them, a B-T signature gets a DSS too
    long_term = any(job.level.needs_validation_data for job in jobs)
    record = sign_deferred_pdfs(
        remote.engine(dialect),
        name_for(user, dialect),
        jobs,
        timestamp=pki.services.tsa_url,
        trust_roots=pki.roots if long_term else (),
        **options,
    )
    assert record.state is TxState.COMPLETED, record.message
    return record


def _person_then_seal(remote: Remote, person: GatewayUser, seal: GatewayUser, source: Path) -> Path:
    """The person signs (B-T, csc-v1), then the agency seals it (B-LT, SmartCA):
    two transactions, one confirmation each."""
    signed = source.with_name("quyet-dinh.person.pdf")
    sealed = source.with_name("quyet-dinh.signed.pdf")
    _sign(
        remote,
        person,
        [DeferredPdfJob(source, signed, "QĐ 12", level="B-T", appearance=PERSON)],
        "csc-v1",
    )
    job = DeferredPdfJob(
        signed, sealed, "QĐ 12", role="organization", level="B-LT", appearance=SEAL
    )
    _sign(remote, seal, [job])
    assert len(remote.gateway.prompts_for(person)) == len(remote.gateway.prompts_for(seal)) == 1
    return sealed


def _render(tool: Callable[[str], str], path: Path, dpi: int = 100) -> Image.Image:
    done = subprocess.run(
        [tool("pdftoppm"), "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(path)],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return Image.open(io.BytesIO(done.stdout)).convert("RGB")


def _share(
    image: Image.Image, rect: tuple[float, float, float, float], test: Callable[..., bool]
) -> float:
    """The share of pixels inside ``rect`` (PDF points, A4) that pass ``test``."""
    k = image.width / 595.276
    x1, y1, x2, y2 = rect
    box = (round(x1 * k), round((841.89 - y2) * k), round(x2 * k), round((841.89 - y1) * k))
    crop = image.crop(box)
    pixels = [crop.getpixel((x, y)) for x in range(crop.width) for y in range(crop.height)]
    return sum(1 for p in pixels if test(p)) / max(len(pixels), 1)


def _blue(p: tuple[int, int, int]) -> bool:
    r, _, b = p
    return b > 120 and r < 110 and b - r > 60


def _red(p: tuple[int, int, int]) -> bool:
    r, g, b = p
    return r > 150 and g < 110 and b < 110


# -- the Decree 30 forms -------------------------------------------------------------------


def test_person_then_agency_in_two_transactions_verify_under_nd30(
    remote: Remote, official: GatewayUser, agency: GatewayUser, decision: Path, vn_pki: TestPKI
) -> None:
    before = decision.read_bytes()
    sealed = _person_then_seal(remote, official, agency, decision)
    report = _report(sealed, vn_pki)
    assert report.verdict is Verdict.VALID, report.summary.en
    person, seal = report.signatures
    assert person.indication is seal.indication is Indication.TOTAL_PASSED
    assert seal.level == "PAdES-B-LT"
    assert person.level in ("PAdES-B-T", "PAdES-B-LT")  # the seal's DSS may serve it too
    assert _rule(report, "ND30-SIG-PERSON-IMG", 1) is RuleStatus.PASSED
    assert _rule(report, "ND30-SIG-ORG-IMG", 2) is RuleStatus.PASSED
    assert person.signer is not None and seal.signer is not None
    assert person.signer.regime == seal.signer.regime == "official-duty"
    assert all(s.intact and s.valid and s.trusted for s in _pyhanko(sealed, vn_pki))
    # the seal lies over the left third of the person's signature (ô 8 over ô 7c)
    person_rect, seal_rect = _widgets(sealed)
    third = person_rect[0] + (person_rect[2] - person_rect[0]) / 3
    assert seal_rect[0] < person_rect[0] < seal_rect[2] == pytest.approx(third, abs=1)
    assert decision.read_bytes() == before
    assert not list(remote.store_dir.rglob("*.prepared.*"))


@pytest.mark.interop
def test_pdfsig_accepts_person_and_seal_and_the_colours_show(
    remote: Remote,
    official: GatewayUser,
    agency: GatewayUser,
    decision: Path,
    tool: Callable[[str], str],
) -> None:
    sealed = _person_then_seal(remote, official, agency, decision)
    out = subprocess.run(
        [tool("pdfsig"), "-nocert", str(sealed)], capture_output=True, text=True, check=False
    ).stdout
    entries = re.split(r"^Signature #\d+:$", out, flags=re.MULTILINE)[1:]
    assert len(entries) == 2, out
    assert all("Signature Validation: Signature is Valid." in e for e in entries), out
    assert "Total document signed" in entries[-1]
    page = _render(tool, sealed)
    person_rect, seal_rect = _widgets(sealed)
    right_part = (seal_rect[2] + 2, person_rect[1], person_rect[2], person_rect[3])
    assert _share(page, right_part, _blue) > 0.01  # the handwritten signature, blue
    assert _share(page, seal_rect, _red) > 0.05  # the seal, red, over its left third


def test_the_deferred_form_is_the_one_signing_now_makes(
    remote: Remote, official: GatewayUser, decision: Path, vn_pki: TestPKI
) -> None:
    """Same field, rectangle, text and claimed time as sign_pdf with a key."""
    at = datetime(2026, 3, 5, 7, 30, 15, tzinfo=UTC)
    options = SignOptions(signing_time=at)
    live = sign_pdf(
        decision,
        decision.with_name("live.pdf"),
        KeyCredential(
            vn_pki.gov_official.private_key,
            vn_pki.gov_official.certificate,
            vn_pki.gov_official.chain,
        ),
        appearance=PERSON,
        options=options,
    )
    deferred = decision.with_name("deferred.pdf")
    _sign(
        remote,
        official,
        [DeferredPdfJob(decision, deferred, "QĐ", appearance=PERSON, options=options)],
    )
    (rect,) = _widgets(deferred)
    assert live.rect == pytest.approx(rect)
    assert _claimed_times(deferred) == [at]
    with deferred.open("rb") as handle:
        (sig,) = PdfFileReader(handle).embedded_regular_signatures
        assert sig.field_name == live.field_name


def test_attachment_and_copy_roles_in_one_confirmation(
    remote: Remote, agency: GatewayUser, decision: Path, vn_pki: TestPKI, tmp_path: Path
) -> None:
    appendix = tmp_path / "phu-luc.pdf"
    appendix.write_bytes(administrative_document(document_type="PHỤ LỤC"))
    jobs = [
        DeferredPdfJob(
            appendix,
            tmp_path / "phu-luc.signed.pdf",
            "Phụ lục QĐ 12",
            role="attachment",
            level="B-T",
            appearance=Nd30Appearance(document_number="12/QĐ-STP"),
        ),
        DeferredPdfJob(decision, tmp_path / "sao-y.pdf", "Sao y QĐ 12", role="copy", level="B-T"),
    ]
    _sign(remote, agency, jobs)
    assert len(remote.gateway.prompts_for(agency)) == 1
    for job, rule_id in zip(jobs, ("ND30-SIG-ATTACH-SEPFILE", "ND30-COPY-SIG"), strict=True):
        report = _report(job.output, vn_pki)
        assert report.verdict is Verdict.VALID, (job.label, report.summary.en)
        assert _rule(report, rule_id, 1) is RuleStatus.PASSED
        assert report.signatures[0].level == "PAdES-B-T"
        # the time shown is the claimed one (/M), ISO 8601 with the Vietnam offset
        (claimed,) = _claimed_times(job.output)
        shown = next(r for r in report.signatures[0].rules if r.rule_id == "ND30-TIME-FORMAT")
        assert shown.status is RuleStatus.PASSED
        assert format_vietnam_time(claimed) in shown.message.en


def test_signing_time_is_fixed_when_preparing_not_when_approving(
    remote: Remote, decision: Path, vn_pki: TestPKI
) -> None:
    remote.gateway.expiry = 5.0
    user = _user(remote, vn_pki.gov_official, delay=1.5)
    output = decision.with_name("out.pdf")
    started = datetime.now(UTC)
    record = _sign(remote, user, [DeferredPdfJob(decision, output, "QĐ", appearance=PERSON)])
    (claimed,) = _claimed_times(output)
    completed = next(c.at for c in record.history if c.state is TxState.COMPLETED)
    assert started.replace(microsecond=0) <= claimed
    assert (completed - claimed).total_seconds() >= 1.4


# -- PAdES levels --------------------------------------------------------------------------


@pytest.mark.parametrize("level", [PadesLevel.B_LT, PadesLevel.B_LTA], ids=str)
def test_long_term_levels_are_reached(
    remote: Remote, agency: GatewayUser, decision: Path, vn_pki: TestPKI, level: PadesLevel
) -> None:
    person = decision.with_name("person.pdf")
    sign_pdf(decision, person, vn_pki.gov_official.credential(), appearance=PERSON)
    output = decision.with_name(f"{level}.pdf")
    job = DeferredPdfJob(person, output, "QĐ", role="organization", level=level, appearance=SEAL)
    _sign(remote, agency, [job])
    report = _report(output, vn_pki)
    (_, seal, *stamps) = report.signatures
    assert seal.indication is Indication.TOTAL_PASSED, report.summary.en
    assert seal.level == f"PAdES-{level}"
    assert _rule(report, "ND30-SIG-ORG-IMG", 2) is RuleStatus.PASSED
    statuses = _pyhanko(output, vn_pki)
    stamp_validity = statuses[1].timestamp_validity
    assert statuses[1].valid and statuses[1].trusted
    assert stamp_validity is not None and stamp_validity.valid
    with output.open("rb") as handle:
        reader = PdfFileReader(handle)
        assert "/DSS" in reader.root
        revisions = reader.xrefs.total_revisions
        if level is PadesLevel.B_LT:
            assert report.verdict is Verdict.VALID, report.summary.en
            assert not stamps and revisions == 3  # the DSS is in the seal's own revision
        else:
            # (vnsign's verifier currently fails LGDDT-TSA on every document time
            # stamp, live-signed ones too; pyHanko checks this one)
            (stamp,) = reader.embedded_timestamp_signatures
            roots = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in vn_pki.roots]
            checked = validate_pdf_timestamp(
                stamp, ValidationContext(trust_roots=roots, allow_fetching=True)
            )
            assert checked.valid and checked.trusted
            assert len(stamps) == 1 and revisions == 4


# -- batches, resuming, refusals -----------------------------------------------------------


def test_a_batch_of_visible_pdfs_and_an_xml_takes_one_confirmation(
    remote: Remote, official: GatewayUser, vn_pki: TestPKI, tmp_path: Path
) -> None:
    jobs: list[DeferredPdfJob | XmlJob] = []
    for n in range(1, 4):
        source = tmp_path / f"qd-{n}.pdf"
        source.write_bytes(administrative_document(number=f"{n}/QĐ-STP"))
        jobs.append(
            DeferredPdfJob(
                source, tmp_path / f"qd-{n}.signed.pdf", f"QĐ {n}", level="B-T", appearance=PERSON
            )
        )
    custom = CustomAppearance(lines=("Ký bởi: {signer}", "Ngày ký: {time}"))
    jobs.append(
        DeferredPdfJob(jobs[0].source, tmp_path / "custom.pdf", "QĐ 1 (custom)", appearance=custom)
    )
    (tmp_path / "ho-so.xml").write_bytes(SAMPLE_XML)
    jobs.append(XmlJob(tmp_path / "ho-so.xml", tmp_path / "ho-so.signed.xml", "Hồ sơ 1"))
    record = sign_documents(
        remote.engine("smartca"),
        official.user_id,
        jobs,
        timestamp_url=vn_pki.services.tsa_url,
    )
    assert record.state is TxState.COMPLETED, record.message
    (prompt,) = remote.gateway.prompts_for(official)
    assert len(prompt.digests) == 5
    assert [i.kind for i in record.items] == ["pdf", "pdf", "pdf", "pdf", "xml"]
    for job in jobs[:3]:
        _person_only(_report(job.output, vn_pki))
    (status,) = _pyhanko(jobs[3].output, vn_pki)
    assert status.valid
    (signature,) = verify_xml(jobs[4].output.read_bytes()).signatures
    assert signature.valid


def _prepare_and_approve(
    remote: Remote, user: GatewayUser, jobs: list[DeferredPdfJob], tx_id: str
) -> None:
    """Prepare and get the approval, then "crash" before embedding."""
    engine = remote.engine("smartca")
    account = engine.account(user.user_id)
    preparer = DeferredPdfPreparer(timestamp=remote.gateway.pki.services.tsa_url)
    work_dir = remote.store.work_dir(tx_id)

    async def prepare() -> list[PreparedPdfFile]:
        try:
            return [
                await preparer(job, account, work_dir, f"doc-{n}") for n, job in enumerate(jobs, 1)
            ]
        finally:
            await preparer.aclose()

    prepared = asyncio.run(prepare())
    record = engine.sign(
        user.user_id,
        [p.item() for p in prepared],
        display_text="Ký 2 văn bản",
        tx_id=tx_id,
        attachments=[p.attachment() for p in prepared],
    )
    assert record.state is TxState.COMPLETED
    assert [a.kind for a in record.attachments] == ["pades", "pades"]
    assert not any(job.output.exists() for job in jobs)  # the crash: nothing embedded yet


def test_a_crash_after_approval_is_finished_by_vnsign_remote_resume(
    remote: Remote, official: GatewayUser, decision: Path, vn_pki: TestPKI
) -> None:
    jobs = [
        DeferredPdfJob(
            decision, decision.with_name("a.pdf"), "QĐ a", level="B-T", appearance=PERSON
        ),
        DeferredPdfJob(decision, decision.with_name("b.pdf"), "QĐ b", appearance=PERSON),
    ]
    _prepare_and_approve(remote, official, jobs, "tx-forms-crash")
    state = json.loads(
        next(remote.store.work_dir("tx-forms-crash").glob("doc-1.prepared.json")).read_text()
    )
    assert state["format"] == "vnsign-prepared-pades-file/1"
    assert state["signature"]["format"] == "vnsign-pending-pdf/1"
    assert "password" not in json.dumps(state)
    env = {**os.environ, "VNSIGN_SMARTCA_SP_PASSWORD": remote.gateway.sp_password}
    command = [sys.executable, "-m", "vnsign", "remote", "resume", "tx-forms-crash"]
    command += ["--store", str(remote.store_dir)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for job, level in zip(jobs, ("PAdES-B-T", "PAdES-B-B"), strict=True):
        assert f"Signed: {job.output}" in done.stdout
        report = _report(job.output, vn_pki)
        _person_only(report)
        assert report.signatures[0].level == level
    assert len(remote.gateway.prompts_for(official)) == 1
    again = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert again.returncode == 0 and "nothing left to embed" in again.stdout


@pytest.mark.parametrize(
    ("action", "state"),
    [(PhoneAction.REJECT, TxState.REJECTED), (PhoneAction.IGNORE, TxState.EXPIRED)],
)
def test_rejection_and_expiry_leave_no_output(
    remote: Remote, decision: Path, vn_pki: TestPKI, action: PhoneAction, state: TxState
) -> None:
    remote.gateway.expiry = 0.3
    user = remote.gateway.add_user(identity=vn_pki.gov_official)
    remote.gateway.phone.script(user, action)
    jobs = [
        DeferredPdfJob(
            decision, decision.with_name("a.pdf"), "a", level="B-LTA", appearance=PERSON
        ),
        DeferredPdfJob(decision, decision.with_name("b.pdf"), "b", role="copy", level="B-T"),
    ]
    record = sign_deferred_pdfs(
        remote.engine("smartca"),
        user.user_id,
        jobs,
        timestamp=vn_pki.services.tsa_url,
        trust_roots=vn_pki.roots,
    )
    assert record.state is state
    assert not any(job.output.exists() for job in jobs)
    assert list(remote.store_dir.glob(f"{record.tx_id}/*")) == []
    assert sorted(p.name for p in decision.parent.iterdir() if p.is_file()) == ["quyet-dinh.pdf"]


def test_a_wrong_or_stale_value_is_never_embedded(
    remote: Remote, official: GatewayUser, decision: Path
) -> None:
    jobs = [
        DeferredPdfJob(decision, decision.with_name("a.pdf"), "a", appearance=PERSON),
        DeferredPdfJob(decision, decision.with_name("b.pdf"), "b", role="copy"),
    ]
    _prepare_and_approve(remote, official, jobs, "tx-forms-wrong")
    record = remote.store.load("tx-forms-wrong")
    first, second = (PreparedPdfFile.load(a.path) for a in record.attachments)
    with pytest.raises(RemoteResponseError):
        asyncio.run(async_finish_pdf_file(first, record.signature_for("doc-2")))
    data = bytearray(second.prepared_path.read_bytes())
    data[200] ^= 1
    second.prepared_path.write_bytes(bytes(data))
    with pytest.raises(MalformedInputError, match="changed"):
        asyncio.run(async_finish_pdf_file(second, record.signature_for("doc-2")))
    assert not any(job.output.exists() for job in jobs)
    assert [p.name for p in decision.parent.iterdir() if p.name.startswith(".")] == []


def _encrypted(source: Path, name: str, *, mac: bool) -> Path:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(source.read_bytes())))
    writer.encrypt("chu-so-huu", "mat-khau", pdf_mac=mac)
    out = io.BytesIO()
    writer.write(out)
    locked = source.with_name(name)
    locked.write_bytes(out.getvalue())
    return locked


def test_what_cannot_be_finished_later_is_refused_before_asking(
    remote: Remote, official: GatewayUser, decision: Path, vn_pki: TestPKI
) -> None:
    with_mac = _encrypted(decision, "mac.pdf", mac=True)
    plain = _encrypted(decision, "locked.pdf", mac=False)
    output = decision.with_name("x.pdf")
    for source, level, says in (
        (with_mac, "B-T", "MAC is computed over the signature value"),
        (plain, "B-LTA", "B-LTA document time stamp is an update of the encrypted file"),
    ):
        job = DeferredPdfJob(
            source, output, "x", level=level, appearance=PERSON, password="mat-khau"
        )
        with pytest.raises(InputError, match=says):
            _sign(remote, official, [job])
    headers = TimestampClient(vn_pki.services.tsa_url, headers={"Authorization": "Bearer x"})
    with pytest.raises(InputError, match="needs credentials"):
        sign_deferred_pdfs(
            remote.engine("smartca"),
            official.user_id,
            [DeferredPdfJob(decision, output, "y", level="B-T", appearance=PERSON)],
            timestamp=headers,
        )
    with pytest.raises(InputError, match="image of the handwritten signature"):
        _sign(remote, official, [DeferredPdfJob(decision, output, "z")])
    assert remote.submits() == 0
    assert list(remote.store_dir.rglob("*.prepared.*")) == []
    assert not output.exists()
    # an encrypted document without a MAC at B-LT is fine: nothing after the value needs its key
    job = DeferredPdfJob(plain, output, "x", level="B-LT", appearance=PERSON, password="mat-khau")
    _sign(remote, official, [job])
    with output.open("rb") as handle:
        reader = PdfFileReader(handle)
        assert reader.encrypted
        reader.decrypt("mat-khau")
        (signature,) = reader.embedded_regular_signatures
        roots = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in vn_pki.roots]
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=roots))
        assert status.intact and status.valid


# -- the reserved /Contents ------------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["rsa2048", "rsa3072", "p256", "p384"])
def test_the_reserved_contents_fit_the_largest_chain_and_token(
    decision: Path, vn_pki: TestPKI, key_type: str, tmp_path: Path
) -> None:
    """Prepared with the longest chain a signer sends (both CA chains, roots
    included) and a real token: the CMS made after the approval, with its own
    token, fits with the margin for token variation intact."""
    identity = vn_pki.issue("gov-official", key_type=key_type)
    others = (
        vn_pki.public_ca.certificate,
        vn_pki.national_root.certificate,
        vn_pki.tsa.certificate,
    )
    chain = (*identity.chain, *others)
    account = RemoteAccount("user", identity.certificate, chain)
    key = KeyCredential(identity.private_key, identity.certificate, identity.chain)
    preparer = DeferredPdfPreparer(timestamp=vn_pki.services.tsa_url)
    job = DeferredPdfJob(decision, tmp_path / "out.pdf", "QĐ", role="copy", level="B-T")

    async def run() -> tuple[PreparedPdfFile, int]:
        try:
            prepared = await preparer(job, account, tmp_path / "work", "doc-1")
        finally:
            await preparer.aclose()
        pending = prepared.signature
        value = key.sign_digest(pending.digest, pending.hash_algorithm, scheme=pending.scheme)
        signed = await async_finish_pdf_file(prepared, value)
        return prepared, signed.signature_bytes

    prepared, size = asyncio.run(run())
    pending = prepared.signature
    with job.output.open("rb") as handle:
        (sig,) = PdfFileReader(handle).embedded_regular_signatures
        certificates = len(sig.signed_data["certificates"])
        room = 2 * len(sig.sig_object["/Contents"])
    assert certificates == len(chain) + 1
    assert 2 * size <= pending.reserved_bytes == room
    assert pending.reserved_bytes - 2 * size >= 2 * 1024 - 64  # the token margin is intact


def test_pending_state_survives_json(remote: Remote, official: GatewayUser, decision: Path) -> None:
    jobs = [DeferredPdfJob(decision, decision.with_name("a.pdf"), "a", appearance=PERSON)]
    _prepare_and_approve(
        remote,
        official,
        [*jobs, dataclasses.replace(jobs[0], output=decision.with_name("b.pdf"))],
        "tx-forms-json",
    )
    record = remote.store.load("tx-forms-json")
    prepared = PreparedPdfFile.load(record.attachments[0].path)
    pending = prepared.signature
    again = PendingPdfSignature.from_json(json.loads(json.dumps(pending.to_json())))
    assert again == pending and again.digest == pending.digest == record.items[0].digest
    assert again.role is Role.PERSON and again.shown_text == () and again.page == 1
    with pytest.raises(MalformedInputError):
        PendingPdfSignature.from_json({**pending.to_json(), "signed_attributes": "***"})


# -- the command line ------------------------------------------------------------------------


def test_vnsign_sign_pdf_remote_with_role_and_image(
    remote: Remote,
    official: GatewayUser,
    agency: GatewayUser,
    decision: Path,
    vn_pki: TestPKI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VNSIGN_SMARTCA_SP_ID", remote.gateway.sp_id)
    monkeypatch.setenv("VNSIGN_SMARTCA_SP_PASSWORD", remote.gateway.sp_password)
    signature, seal = tmp_path / "chu-ky.png", tmp_path / "con-dau.png"
    signature.write_bytes(handwritten_signature_png())
    seal.write_bytes(seal_png())

    def run(source: Path, user: GatewayUser, *extra: str) -> str:
        args = ["sign", "pdf", str(source), "--remote", "smartca"]
        args += ["--service", remote.gateway.smartca_url, "--user", user.user_id]
        args += ["--remote-store", str(remote.store_dir), "--remote-timeout", "10"]
        assert main([*args, *extra]) == 0
        captured = capsys.readouterr()
        assert f"«Ký văn bản: {source.name}»" in captured.err  # what the phone shows
        return captured.out

    out = run(decision, official, "--role", "person", "--image", str(signature))
    signed = decision.with_name("quyet-dinh.signed.pdf")
    assert f"Signed {decision} → {signed}" in out
    name = CertificateInfo.from_certificate(vn_pki.gov_official.certificate).display_name
    assert "PAdES B-B · person · smartca transaction tx-" in out and name in out
    _person_only(_report(signed, vn_pki))
    tsa, roots = vn_pki.services.tsa_url, tmp_path / "roots.pem"
    roots.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in vn_pki.roots))
    out = run(
        signed,
        agency,
        *("--role", "organization", "--image", str(seal), "--level", "b-lt"),
        *("--tsa", tsa, "--trust-root", str(roots)),
    )
    assert "PAdES B-LT · organization · smartca transaction tx-" in out
    report = _report(decision.with_name("quyet-dinh.signed.signed.pdf"), vn_pki)
    assert report.verdict is Verdict.VALID, report.summary.en
    assert _rule(report, "ND30-SIG-ORG-IMG", 2) is RuleStatus.PASSED
    assert report.signatures[1].level == "PAdES-B-LT"
