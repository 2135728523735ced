"""Deferred PDF signing: prepare, send the digest, finish later (even in another
process); approved signatures validate, nothing is written otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _remote_helpers import Remote, simple_pdf
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from vnsign.errors import InputError, MalformedInputError, RemoteResponseError
from vnsign.pki.remote import TxState
from vnsign.pki.remote.deferred_pdf import (
    PdfJob,
    PreparedPdf,
    WaitingStatus,
    async_prepare_pdf,
    finish_attachments,
    sign_pdfs,
)
from vnsign.testing import TestPKI
from vnsign.testing.remote import GatewayUser, Misbehaviour, PhoneAction


def _jobs(tmp_path: Path, count: int) -> list[PdfJob]:
    jobs = []
    for n in range(1, count + 1):
        source = tmp_path / f"qd-{n}.pdf"
        source.write_bytes(simple_pdf(f"Quyet dinh {n}"))
        jobs.append(PdfJob(source, tmp_path / f"qd-{n}.signed.pdf", f"Quyết định {n}/QĐ-UBND"))
    return jobs


def _validate(path: Path, pki: TestPKI) -> object:
    roots = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in pki.roots]
    with path.open("rb") as fh:
        signatures = PdfFileReader(fh).embedded_signatures
        assert len(signatures) == 1
        return validate_pdf_signature(signatures[0], ValidationContext(trust_roots=roots))


@pytest.mark.parametrize("dialect", ["smartca", "csc-v2-async"])
def test_approved_pdfs_validate_with_pyhanko(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path, dialect: str
) -> None:
    from _remote_helpers import name_for

    jobs = _jobs(tmp_path, 3)
    shown: list[WaitingStatus] = []
    record = sign_pdfs(
        remote.engine(dialect), name_for(approving_user, dialect), jobs, indicator=shown.append
    )
    assert record.state is TxState.COMPLETED, record.message
    for job in jobs:
        status = _validate(job.output, remote.gateway.pki)
        assert status.intact and status.valid and status.trusted  # type: ignore[attr-defined]
        assert (
            status.signing_cert.subject
            == asn1_x509.Certificate.load(  # type: ignore[attr-defined]
                approving_user.identity.cert_der
            ).subject
        )
    assert len(remote.gateway.prompts_for(approving_user)) == 1
    assert remote.gateway.prompts[-1].display_text.startswith("Ký 3 văn bản: Quyết định 1/QĐ-UBND")
    assert shown and shown[0].display_text == remote.gateway.prompts[-1].display_text
    assert shown[-1].state is TxState.COMPLETED
    # prepared copies are gone, the record says where the outputs are
    assert not list((remote.store_dir).glob(f"{record.tx_id}/*"))
    assert str(jobs[0].output) in remote.store.load(record.tx_id).message


def test_signature_time_stamp_and_ecdsa(remote: Remote, tmp_path: Path) -> None:
    user = remote.gateway.add_user(key_type="p256")
    remote.gateway.phone.script(user, PhoneAction.APPROVE)
    (job,) = _jobs(tmp_path, 1)
    record = sign_pdfs(
        remote.engine("csc-v1"),
        user.credential_id,
        [job],
        timestamp_url=remote.gateway.pki.services.tsa_url,
    )
    assert record.state is TxState.COMPLETED, record.message
    status = _validate(job.output, remote.gateway.pki)
    assert status.valid and status.trusted  # type: ignore[attr-defined]
    assert status.timestamp_validity is not None and status.timestamp_validity.valid  # type: ignore[attr-defined]
    assert status.pkcs7_signature_mechanism == "sha256_ecdsa"  # type: ignore[attr-defined]


@pytest.mark.interop
def test_pdfsig_accepts_a_remotely_signed_pdf(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path, tool: Callable[[str], str]
) -> None:
    (job,) = _jobs(tmp_path, 1)
    record = sign_pdfs(remote.engine("mss"), approving_user.msisdn, [job])
    assert record.state is TxState.COMPLETED
    out = subprocess.run(
        [tool("pdfsig"), str(job.output)], capture_output=True, text=True, check=False
    ).stdout
    assert "Signature is Valid." in out
    assert "Total document signed" in out
    assert approving_user.identity.certificate.subject.rfc4514_string().split(",")[0][3:] in out


@pytest.mark.parametrize(
    ("action", "state"),
    [(PhoneAction.REJECT, TxState.REJECTED), (PhoneAction.IGNORE, TxState.EXPIRED)],
)
def test_rejection_and_expiry_leave_no_output(
    remote: Remote, tmp_path: Path, action: PhoneAction, state: TxState
) -> None:
    remote.gateway.expiry = 0.3
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, action)
    jobs = _jobs(tmp_path, 2)
    record = sign_pdfs(remote.engine("smartca"), user.user_id, jobs)
    assert record.state is state
    assert not any(job.output.exists() for job in jobs)
    assert list(remote.store_dir.glob(f"{record.tx_id}/*")) == []
    assert remote.store.load(record.tx_id).attachments == ()


@pytest.mark.parametrize(
    "fault", [Misbehaviour.WRONG_KEY, Misbehaviour.WRONG_DIGEST, Misbehaviour.GARBLED]
)
def test_a_wrong_signature_is_never_embedded(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path, fault: Misbehaviour
) -> None:
    remote.gateway.misbehave(fault)
    jobs = _jobs(tmp_path, 2)
    record = sign_pdfs(remote.engine("smartca"), approving_user.user_id, jobs)
    assert record.state is TxState.INVALID
    assert not any(job.output.exists() for job in jobs)


def _crash_after_approval(remote: Remote, user: GatewayUser, jobs: list[PdfJob]) -> str:
    """Prepare and get the approval, then "crash" before embedding."""
    engine = remote.engine("smartca")
    account = engine.account(user.user_id)
    tx_id = "tx-crash-after-approval"
    prepared = []
    import asyncio

    async def prepare() -> None:
        for n, job in enumerate(jobs, 1):
            prepared.append(
                await async_prepare_pdf(
                    job.source,
                    account,
                    remote.store.work_dir(tx_id),
                    output=job.output,
                    label=job.label,
                    item_id=f"doc-{n}",
                )
            )

    asyncio.run(prepare())
    record = engine.sign(
        user.user_id,
        [p.item() for p in prepared],
        display_text="Ký 2 văn bản",
        tx_id=tx_id,
        attachments=[p.attachment() for p in prepared],
    )
    assert record.state is TxState.COMPLETED
    assert not any(job.output.exists() for job in jobs)  # the crash: nothing embedded yet
    return tx_id


def test_crash_between_approval_and_embedding_is_resumed_by_another_process(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path
) -> None:
    jobs = _jobs(tmp_path, 2)
    tx_id = _crash_after_approval(remote, approving_user, jobs)
    env = {**os.environ, "VNSIGN_SMARTCA_SP_PASSWORD": remote.gateway.sp_password}
    command = [
        sys.executable,
        "-m",
        "vnsign",
        "remote",
        "resume",
        tx_id,
        "--store",
        str(remote.store_dir),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for job in jobs:
        assert f"Signed: {job.output}" in done.stdout
        status = _validate(job.output, remote.gateway.pki)
        assert status.valid and status.trusted  # type: ignore[attr-defined]
    assert len(remote.gateway.prompts_for(approving_user)) == 1
    again = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert again.returncode == 0
    assert "nothing left to embed" in again.stdout


def test_restart_while_the_person_holds_the_phone(remote: Remote, tmp_path: Path) -> None:
    user = remote.gateway.add_user()
    jobs = _jobs(tmp_path, 1)
    engine = remote.engine("smartca")
    account = engine.account(user.user_id)
    import asyncio

    prepared = asyncio.run(
        async_prepare_pdf(
            jobs[0].source,
            account,
            remote.store.work_dir("tx-restart"),
            output=jobs[0].output,
            label=jobs[0].label,
        )
    )
    record = engine.start(
        user.user_id,
        [prepared.item()],
        display_text="Ký",
        tx_id="tx-restart",
        attachments=[prepared.attachment()],
    )
    assert record.state is TxState.AWAITING_USER
    del engine  # the server restarts here
    remote.gateway.phone.approve(user=user)
    env = {**os.environ, "VNSIGN_SMARTCA_SP_PASSWORD": remote.gateway.sp_password}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vnsign",
            "remote",
            "resume",
            "tx-restart",
            "--store",
            str(remote.store_dir),
            "--poll-interval",
            "0.05",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _validate(jobs[0].output, remote.gateway.pki).valid  # type: ignore[attr-defined]
    assert remote.submits() == 1


def test_a_tampered_prepared_pdf_is_refused(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path
) -> None:
    jobs = _jobs(tmp_path, 1)
    tx_id = _crash_after_approval(remote, approving_user, jobs)
    record = remote.store.load(tx_id)
    state = PreparedPdf.load(record.attachments[0].path)
    data = bytearray(state.prepared_path.read_bytes())
    data[100] ^= 1
    state.prepared_path.write_bytes(bytes(data))
    with pytest.raises(MalformedInputError, match="changed"):
        finish_attachments(record, remote.store)
    assert not jobs[0].output.exists()


def test_finishing_with_a_value_for_another_digest_is_refused(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path
) -> None:
    jobs = _jobs(tmp_path, 2)
    tx_id = _crash_after_approval(remote, approving_user, jobs)
    record = remote.store.load(tx_id)
    import asyncio

    from vnsign.pki.remote.deferred_pdf import async_finish_pdf

    first = PreparedPdf.load(record.attachments[0].path)
    with pytest.raises(RemoteResponseError):
        asyncio.run(async_finish_pdf(first, record.signature_for("doc-2")))
    assert not jobs[0].output.exists()


def test_not_a_pdf_is_refused_before_anything_is_sent(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not a PDF")
    with pytest.raises(InputError):
        sign_pdfs(
            remote.engine("smartca"),
            approving_user.user_id,
            [PdfJob(bad, tmp_path / "o.pdf", "bad")],
        )
    assert remote.submits() == 0


def test_too_many_pdfs_are_refused_before_preparing(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path
) -> None:
    jobs = _jobs(tmp_path, 2)
    with pytest.raises(InputError, match="limit of 1"):
        sign_pdfs(remote.engine("mss"), approving_user.msisdn, jobs)
    assert remote.submits() == 0
    assert list(remote.store_dir.rglob("*.prepared.pdf")) == []
