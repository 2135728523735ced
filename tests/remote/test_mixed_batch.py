"""One confirmation on the phone for a batch mixing PDFs and XML documents: one
prompt, every output verifies (vnsign, pyHanko, pdfsig, xmlsec1), and nothing at
all is written unless the whole transaction completed and every document embeds."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from _remote_helpers import Remote, name_for
from _remote_xml_helpers import (
    company_user,
    fingerprints,
    pdf_jobs,
    pdf_status,
    resume_elsewhere,
    trust_files,
    xml_jobs,
    xmlsec1_verify,
)

from vnsign.errors import InputError, MalformedInputError, RemoteRejectedError
from vnsign.formats.deferred import MixedJob, finish_documents, sign_documents
from vnsign.formats.einvoice import verify_invoice
from vnsign.formats.xml import XadesOptions, XmlSignOptions, verify_xml
from vnsign.formats.xml.deferred import PreparedXmlFile, XmlJob, prepare_xml_job
from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.pki.remote import TxState
from vnsign.pki.remote.deferred_pdf import PdfJob, PreparedDocument, async_prepare_pdf
from vnsign.testing.remote import GatewayUser, Misbehaviour, PhoneAction


@pytest.fixture
def seller(remote: Remote) -> GatewayUser:
    """The sample invoice's seller, approving at once."""
    return company_user(remote)


def _mixed(remote: Remote, folder: Path) -> list[MixedJob]:
    xml = xml_jobs(folder, remote.gateway.pki.services.tsa_url)
    pdf = pdf_jobs(folder, 2)
    return [pdf[0], xml[0], xml[1], pdf[1], xml[2], xml[3]]


def _assert_outputs_verify(remote: Remote, jobs: list[MixedJob], user: GatewayUser) -> None:
    for job in jobs:
        if isinstance(job, PdfJob):
            status = pdf_status(job.output, remote.gateway.pki)
            assert status.intact and status.valid and status.trusted, job.label
        elif job.kind == "einvoice":
            assert verify_invoice(job.output.read_bytes()).valid, job.label
        else:
            (signature,) = verify_xml(job.output.read_bytes()).signatures
            assert signature.valid and signature.signer_certificate == user.identity.certificate


@pytest.mark.parametrize("dialect", ["smartca", "csc-v1"])
def test_a_mixed_batch_takes_one_confirmation_and_every_output_verifies(
    remote: Remote, seller: GatewayUser, tmp_path: Path, dialect: str
) -> None:
    jobs = _mixed(remote, tmp_path)
    before = fingerprints(jobs)
    record = sign_documents(remote.engine(dialect), name_for(seller, dialect), jobs)
    assert record.state is TxState.COMPLETED, record.message
    # exactly one request and one prompt, carrying all six digests
    assert len(remote.gateway.requests_for("submit")) == 1
    (prompt,) = remote.gateway.prompts_for(seller)
    assert len(prompt.digests) == 6
    assert prompt.display_text.startswith("Ký 6 văn bản: Công văn 1/UBND-VP, Hồ sơ 1/HS")
    assert [item.kind for item in record.items] == ["pdf", "xml", "xml", "pdf", "xml", "xml"]
    assert [item.item_id for item in record.items] == [f"doc-{n}" for n in range(1, 7)]
    _assert_outputs_verify(remote, jobs, seller)
    assert fingerprints(jobs) == before
    assert list((remote.store_dir / record.tx_id).glob("*")) == []
    assert all(str(job.output) in record.message for job in jobs)


@pytest.mark.interop
def test_pdfsig_and_xmlsec1_accept_a_mixed_batch(
    remote: Remote, seller: GatewayUser, tmp_path: Path, tool: Callable[[str], str]
) -> None:
    pdfsig, xmlsec1 = tool("pdfsig"), tool("xmlsec1")
    jobs = _mixed(remote, tmp_path)
    record = sign_documents(remote.engine("smartca"), seller.user_id, jobs)
    assert record.state is TxState.COMPLETED, record.message
    trust = trust_files(remote.gateway.pki, tmp_path)
    for job in jobs:
        if isinstance(job, PdfJob):
            out = subprocess.run(
                [pdfsig, str(job.output)], capture_output=True, text=True, check=False
            ).stdout
            assert "Signature is Valid." in out and "Total document signed" in out
        else:
            node = "NBan" if job.kind == "einvoice" else None
            result = xmlsec1_verify(xmlsec1, job.output, trust, node)
            assert result.returncode == 0, (job.label, result.stderr)


def test_a_batch_over_the_provider_limit_is_refused_not_split(
    remote: Remote, tmp_path: Path
) -> None:
    user = remote.gateway.add_user(identity=remote.gateway.pki.organization, multisign=5)
    remote.gateway.phone.script(user, PhoneAction.APPROVE)
    jobs = _mixed(remote, tmp_path)
    with pytest.raises(InputError, match="6 documents exceed the limit of 5 per approval"):
        sign_documents(remote.engine("csc-v1"), user.credential_id, jobs)
    assert remote.submits() == 0
    assert remote.gateway.prompts_for(user) == []
    assert list(remote.store_dir.rglob("*.prepared.*")) == []
    assert not any(job.output.exists() for job in jobs)
    record = sign_documents(remote.engine("csc-v1"), user.credential_id, jobs[:5])
    assert record.state is TxState.COMPLETED  # at the limit: one prompt for five
    assert len(remote.gateway.prompts_for(user)) == 1


@pytest.mark.parametrize(
    ("action", "state"),
    [(PhoneAction.REJECT, TxState.REJECTED), (PhoneAction.IGNORE, TxState.EXPIRED)],
)
def test_rejection_and_expiry_leave_no_output(
    remote: Remote, tmp_path: Path, action: PhoneAction, state: TxState
) -> None:
    remote.gateway.expiry = 0.3
    user = remote.gateway.add_user(identity=remote.gateway.pki.organization)
    remote.gateway.phone.script(user, action)
    jobs = _mixed(remote, tmp_path)
    before = fingerprints(jobs)
    record = sign_documents(remote.engine("smartca"), user.user_id, jobs)
    assert record.state is state
    if state is TxState.REJECTED:
        with pytest.raises(RemoteRejectedError):
            record.raise_for_state()
    assert not any(job.output.exists() for job in jobs)
    assert list(remote.store_dir.glob(f"{record.tx_id}/*")) == []
    assert fingerprints(jobs) == before


@pytest.mark.parametrize("fault", [Misbehaviour.WRONG_KEY, Misbehaviour.SWAPPED])
def test_a_wrong_value_in_a_mixed_batch_writes_nothing(
    remote: Remote, seller: GatewayUser, tmp_path: Path, fault: Misbehaviour
) -> None:
    remote.gateway.misbehave(fault)
    jobs = _mixed(remote, tmp_path)
    record = sign_documents(remote.engine("smartca"), seller.user_id, jobs)
    assert record.state is TxState.INVALID
    assert "does not verify" in record.message
    assert not any(job.output.exists() for job in jobs)
    assert list(remote.store_dir.glob(f"{record.tx_id}/*")) == []


def _prepare_and_submit(
    remote: Remote, user: GatewayUser, jobs: list[MixedJob], tx_id: str, *, wait: bool
) -> None:
    """What the first process does before it stops: prepare, submit (and wait)."""
    engine = remote.engine("smartca")
    account = engine.account(user.user_id)
    work_dir = remote.store.work_dir(tx_id)

    async def prepare() -> list[PreparedDocument]:
        prepared: list[PreparedDocument] = []
        for n, job in enumerate(jobs, 1):
            if isinstance(job, XmlJob):
                prepared.append(prepare_xml_job(job, account, work_dir, item_id=f"doc-{n}"))
            else:
                prepared.append(
                    await async_prepare_pdf(
                        job.source,
                        account,
                        work_dir,
                        output=job.output,
                        label=job.label,
                        item_id=f"doc-{n}",
                    )
                )
        return prepared

    prepared = asyncio.run(prepare())
    start = engine.sign if wait else engine.start
    start(
        user.user_id,
        [p.item() for p in prepared],
        display_text=f"Ký {len(jobs)} văn bản",
        tx_id=tx_id,
        attachments=[p.attachment() for p in prepared],
    )


def test_a_crash_after_approval_is_resumed_from_the_record(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    jobs = _mixed(remote, tmp_path)
    before = fingerprints(jobs)
    _prepare_and_submit(remote, seller, jobs, "tx-mixed-crash", wait=True)
    assert remote.store.load("tx-mixed-crash").state is TxState.COMPLETED
    assert not any(job.output.exists() for job in jobs)  # stopped before embedding
    done = resume_elsewhere(remote, "tx-mixed-crash")
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("Signed: ")] == [
        f"Signed: {job.output}" for job in jobs
    ]
    _assert_outputs_verify(remote, jobs, seller)
    assert len(remote.gateway.prompts_for(seller)) == 1
    assert fingerprints(jobs) == before


def test_a_restart_while_the_person_holds_the_phone(remote: Remote, tmp_path: Path) -> None:
    user = remote.gateway.add_user(identity=remote.gateway.pki.organization)
    remote.gateway.expiry = 30
    jobs = _mixed(remote, tmp_path)
    _prepare_and_submit(remote, user, jobs, "tx-mixed-restart", wait=False)
    assert remote.store.load("tx-mixed-restart").state is TxState.AWAITING_USER
    remote.gateway.phone.approve(user=user)  # while no process of ours is running
    done = resume_elsewhere(remote, "tx-mixed-restart")
    assert done.returncode == 0, done.stderr
    _assert_outputs_verify(remote, jobs, user)
    assert remote.submits() == 1


def test_one_document_that_cannot_be_embedded_stops_every_output(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    jobs = _mixed(remote, tmp_path)
    _prepare_and_submit(remote, seller, jobs, "tx-mixed-tampered", wait=True)
    record = remote.store.load("tx-mixed-tampered")
    last = PreparedXmlFile.load(record.attachments[-1].path)
    last.prepared_path.write_bytes(last.prepared_path.read_bytes() + b"\n")
    with pytest.raises(MalformedInputError, match="changed after it was prepared"):
        finish_documents(record, remote.store)
    assert not any(job.output.exists() for job in jobs)  # the PDFs before it included
    assert not list(tmp_path.glob(".*.staged"))
    assert len(remote.store.load("tx-mixed-tampered").attachments) == len(jobs)


def test_documents_that_cannot_share_one_approval_are_refused_before_sending(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    pdf, xml = pdf_jobs(tmp_path, 1)[0], xml_jobs(tmp_path, "http://127.0.0.1:9/tsa")[0]
    sha512 = XmlJob(
        xml.source,
        tmp_path / "512.xml",
        "SHA-512",
        options=XmlSignOptions(hash_algorithm=HashAlgorithm.SHA512),
    )
    with pytest.raises(InputError, match="same hash algorithm"):
        sign_documents(remote.engine("smartca"), seller.user_id, [pdf, sha512])
    with pytest.raises(InputError, match="PdfJob and XmlJob"):
        sign_documents(remote.engine("smartca"), seller.user_id, [pdf, "x.xml"])  # type: ignore[list-item]
    clash = XmlJob(xml.source, pdf.output, "same output as the PDF")
    with pytest.raises(InputError, match="two documents would be written"):
        sign_documents(remote.engine("smartca"), seller.user_id, [pdf, clash])
    assert remote.submits() == 0
    assert list(remote.store_dir.rglob("*.prepared.*")) == []
    assert not pdf.output.exists()


def test_rsa_pss_for_pdfs_and_xmls_alike(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    pss = XmlSignOptions(scheme=SignatureScheme.PSS, xades=XadesOptions())
    (pdf,) = pdf_jobs(tmp_path, 1)
    xml = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)[0]
    jobs: list[MixedJob] = [pdf, XmlJob(xml.source, xml.output, xml.label, options=pss)]
    record = sign_documents(
        remote.engine("csc-v2"), seller.credential_id, jobs, scheme=SignatureScheme.PSS
    )
    assert record.state is TxState.COMPLETED, record.message
    assert record.mechanism.scheme is SignatureScheme.PSS
    (signature,) = verify_xml(xml.output.read_bytes()).signatures
    assert signature.valid and signature.signature_method.uri.endswith("sha256-rsa-MGF1")
    status = pdf_status(pdf.output, remote.gateway.pki)
    assert status.valid and status.pkcs7_signature_mechanism == "rsassa_pss"
