"""Deferred XML signing: prepare (SignedInfo digest), send it, finish later (even in
another process); approved XMLDSig, XAdES and e-invoice signatures verify with
vnsign and xmlsec1, nothing is written otherwise. Also the XML engine's own
prepare/finish split."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _remote_helpers import Remote, name_for
from _remote_xml_helpers import (
    SAMPLE,
    company_user,
    fingerprints,
    resume_elsewhere,
    trust_files,
    xml_jobs,
    xmlsec1_verify,
)

from vnsign.errors import (
    InputError,
    MalformedInputError,
    RemoteResponseError,
    SigningError,
)
from vnsign.formats.deferred import finish_documents
from vnsign.formats.einvoice import (
    InvoiceSignOptions,
    prepare_invoice,
    sign_invoice,
    verify_invoice,
)
from vnsign.formats.einvoice.samples import sample_invoice
from vnsign.formats.xml import (
    PreparedXml,
    XadesLevel,
    XadesOptions,
    XmlSignOptions,
    finish_xml,
    prepare_detached,
    prepare_enveloped,
    prepare_enveloping,
    sign_detached,
    sign_enveloped,
    sign_enveloping,
    verify_xml,
)
from vnsign.formats.xml.deferred import (
    PreparedXmlFile,
    XmlJob,
    async_finish_xml,
    prepare_xml_job,
    sign_xmls,
)
from vnsign.pki.credentials import HashAlgorithm, KeyCredential, SignatureScheme
from vnsign.pki.remote import FailureReason, TxState
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import TestPKI
from vnsign.testing.remote import GatewayUser, Misbehaviour, PhoneAction


@pytest.fixture
def seller(remote: Remote) -> GatewayUser:
    """The sample invoice's seller, approving at once."""
    return company_user(remote)


@pytest.mark.parametrize("dialect", ["smartca", "csc-v2-async"])
def test_approved_xml_signatures_verify(
    remote: Remote, seller: GatewayUser, tmp_path: Path, dialect: str
) -> None:
    jobs = xml_jobs(tmp_path / "docs", remote.gateway.pki.services.tsa_url)
    before = fingerprints(jobs)
    record = sign_xmls(remote.engine(dialect), name_for(seller, dialect), jobs)
    assert record.state is TxState.COMPLETED, record.message
    (prompt,) = remote.gateway.prompts_for(seller)
    assert (
        prompt.display_text == "Ký 4 văn bản: Hồ sơ 1/HS, Hồ sơ 1/HS (XAdES), Hồ sơ 1/HS (B-T), …"
    )
    assert {item.kind for item in record.items} == {"xml"}
    certificate = seller.identity.certificate
    levels = []
    for job, item in zip(jobs[:3], record.items, strict=False):
        (signature,) = verify_xml(job.output.read_bytes()).signatures
        assert signature.valid and signature.signer_certificate == certificate
        # what the person approved is the digest of the SignedInfo a verifier reads
        assert hashlib.sha256(signature.signed_info).digest() == item.digest
        levels.append(signature.xades.level if signature.xades else None)
    assert levels == [None, "B-B", "B-T"]
    invoice = verify_invoice(jobs[3].output.read_bytes())
    assert invoice.valid, [f.message for f in invoice.all_findings]
    assert invoice.signature("seller") is not None
    assert fingerprints(jobs) == before
    assert list((remote.store_dir / record.tx_id).glob("*")) == []
    assert remote.store.load(record.tx_id).attachments == ()


@pytest.mark.interop
def test_xmlsec1_accepts_remotely_signed_xml(
    remote: Remote, seller: GatewayUser, tmp_path: Path, tool: Callable[[str], str]
) -> None:
    xmlsec1 = tool("xmlsec1")
    jobs = xml_jobs(tmp_path / "docs", remote.gateway.pki.services.tsa_url)
    record = sign_xmls(remote.engine("smartca"), seller.user_id, jobs)
    assert record.state is TxState.COMPLETED, record.message
    trust = trust_files(remote.gateway.pki, tmp_path)
    for job in jobs:
        node = "NBan" if job.kind == "einvoice" else None
        result = xmlsec1_verify(xmlsec1, job.output, trust, node)
        assert result.returncode == 0, (job.label, result.stderr)
        assert "OK" in result.stdout + result.stderr
    # and xmlsec1 really checks: one changed character fails it
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(jobs[0].output.read_bytes().replace("thử nghiệm".encode(), b"thu nghiem"))
    assert xmlsec1_verify(xmlsec1, tampered, trust).returncode != 0


def test_an_ecdsa_signer(remote: Remote, tmp_path: Path) -> None:
    user = remote.gateway.add_user(key_type="p256")
    remote.gateway.phone.script(user, PhoneAction.APPROVE)
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)[:2]
    record = sign_xmls(remote.engine("csc-v1"), user.credential_id, jobs)
    assert record.state is TxState.COMPLETED, record.message
    for job in jobs:
        (signature,) = verify_xml(job.output.read_bytes()).signatures
        assert signature.valid
        assert signature.signature_method.uri.endswith("#ecdsa-sha256")


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
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)
    before = fingerprints(jobs)
    record = sign_xmls(remote.engine("smartca"), user.user_id, jobs)
    assert record.state is state
    assert not any(job.output.exists() for job in jobs)
    assert list(remote.store_dir.glob(f"{record.tx_id}/*")) == []
    assert remote.store.load(record.tx_id).attachments == ()
    assert fingerprints(jobs) == before


@pytest.mark.parametrize(
    ("fault", "reason", "words"),
    [
        (Misbehaviour.WRONG_KEY, FailureReason.SIGNATURE_MISMATCH, "does not verify"),
        (Misbehaviour.WRONG_DIGEST, FailureReason.SIGNATURE_MISMATCH, "does not verify"),
        (Misbehaviour.GARBLED, FailureReason.BAD_ENCODING, "not base64"),
    ],
)
def test_a_wrong_value_is_never_embedded_and_the_record_says_why(
    remote: Remote,
    seller: GatewayUser,
    tmp_path: Path,
    fault: Misbehaviour,
    reason: FailureReason,
    words: str,
) -> None:
    remote.gateway.misbehave(fault)
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)
    record = sign_xmls(remote.engine("smartca"), seller.user_id, jobs)
    assert record.state is TxState.INVALID
    assert record.failure is reason
    assert words in record.message and "doc-" in record.message
    with pytest.raises(RemoteResponseError, match=words):
        record.raise_for_state()
    assert not any(job.output.exists() for job in jobs)
    assert list(remote.store_dir.glob(f"{record.tx_id}/*")) == []


def _crash_after_approval(remote: Remote, user: GatewayUser, jobs: list[XmlJob]) -> str:
    """Prepare and get the approval with one engine, then "crash" before embedding."""
    engine = remote.engine("smartca")
    account = engine.account(user.user_id)
    tx_id = "tx-xml-crash"
    work_dir = remote.store.work_dir(tx_id)
    prepared = [
        prepare_xml_job(job, account, work_dir, item_id=f"doc-{n}") for n, job in enumerate(jobs, 1)
    ]
    record = engine.sign(
        user.user_id,
        [p.item() for p in prepared],
        display_text=f"Ký {len(jobs)} văn bản",
        tx_id=tx_id,
        attachments=[p.attachment() for p in prepared],
    )
    assert record.state is TxState.COMPLETED
    assert not any(job.output.exists() for job in jobs)  # the crash: nothing embedded yet
    return tx_id


def test_a_crash_after_approval_is_finished_by_a_new_engine_and_store(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)
    tx_id = _crash_after_approval(remote, seller, jobs)
    engine = remote.engine("smartca")  # a new process: new engine, new store object
    record = engine.resume(tx_id)
    outputs = finish_documents(record, engine.store)
    assert outputs == [job.output for job in jobs]
    for job in jobs[:3]:
        assert verify_xml(job.output.read_bytes()).valid
    assert verify_invoice(jobs[3].output.read_bytes()).valid
    assert len(remote.gateway.prompts_for(seller)) == 1
    assert finish_documents(remote.store.load(tx_id), remote.store) == []


def test_a_crash_after_approval_is_finished_by_vnsign_remote_resume(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)
    before = fingerprints(jobs)
    tx_id = _crash_after_approval(remote, seller, jobs)
    done = resume_elsewhere(remote, tx_id)
    assert done.returncode == 0, done.stderr
    for job in jobs:
        assert f"Signed: {job.output}" in done.stdout
    for job in jobs[:3]:
        assert verify_xml(job.output.read_bytes()).valid
    assert verify_invoice(jobs[3].output.read_bytes()).valid
    assert remote.submits() == 1
    assert fingerprints(jobs) == before
    again = resume_elsewhere(remote, tx_id)
    assert again.returncode == 0
    assert "nothing left to embed" in again.stdout


def test_a_tampered_prepared_document_is_refused_and_nothing_is_written(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)
    tx_id = _crash_after_approval(remote, seller, jobs)
    record = remote.store.load(tx_id)
    state = PreparedXmlFile.load(record.attachments[2].path)
    state.prepared_path.write_bytes(state.prepared_path.read_bytes().replace(b"vb1", b"vb2"))
    with pytest.raises(MalformedInputError, match="changed"):
        finish_documents(record, remote.store)
    assert not any(job.output.exists() for job in jobs)  # the two before it were staged only
    assert len(remote.store.load(tx_id).attachments) == 4  # kept for another try


def test_finishing_with_the_value_of_another_document_is_refused(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)[:2]
    tx_id = _crash_after_approval(remote, seller, jobs)
    record = remote.store.load(tx_id)
    first = PreparedXmlFile.load(record.attachments[0].path)
    with pytest.raises(RemoteResponseError, match="does not verify"):
        asyncio.run(async_finish_xml(first, record.signature_for("doc-2")))
    assert not jobs[0].output.exists()


def test_too_many_documents_for_one_approval_are_refused_before_preparing(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    jobs = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)
    with pytest.raises(InputError, match="4 documents exceed the limit of 1"):
        sign_xmls(remote.engine("mss"), seller.msisdn, jobs)
    assert remote.submits() == 0
    assert list(remote.store_dir.rglob("*.prepared.*")) == []


def test_jobs_that_cannot_share_one_approval_are_refused_before_sending(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    plain, with_xades = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)[:2]
    pss = XmlJob(
        plain.source,
        tmp_path / "pss.xml",
        "PSS",
        options=XmlSignOptions(scheme=SignatureScheme.PSS),
    )
    with pytest.raises(InputError, match="one approval covers one mechanism"):
        sign_xmls(remote.engine("smartca"), seller.user_id, [plain, pss])
    sha512 = XmlJob(
        plain.source,
        tmp_path / "512.xml",
        "512",
        options=XmlSignOptions(hash_algorithm=HashAlgorithm.SHA512),
    )
    with pytest.raises(InputError, match="same hash algorithm"):
        sign_xmls(remote.engine("smartca"), seller.user_id, [with_xades, sha512])
    over_input = XmlJob(plain.source, plain.source, "over its input")
    with pytest.raises(InputError, match="is an input"):
        sign_xmls(remote.engine("smartca"), seller.user_id, [over_input])
    assert remote.submits() == 0
    assert list(remote.store_dir.rglob("*.prepared.*")) == []
    assert not any(p.exists() for p in (tmp_path / "pss.xml", tmp_path / "512.xml"))


def test_a_job_is_xml_or_einvoice_with_matching_options(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'xml' or 'einvoice'"):
        XmlJob(tmp_path / "a.xml", tmp_path / "b.xml", "x", kind="pdf")
    with pytest.raises(InputError, match="InvoiceSignOptions"):
        XmlJob(
            tmp_path / "a.xml", tmp_path / "b.xml", "x", kind="einvoice", options=XmlSignOptions()
        )


# -- the XML engine: prepare, finish ------------------------------------------------------


@pytest.fixture
def org(vn_pki: TestPKI) -> KeyCredential:
    """The test company's key (RSA PKCS#1 v1.5: deterministic values)."""
    identity = vn_pki.organization
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)


@pytest.fixture
def same_ids(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Generated IDs from a counter; calling the fixture starts it again."""
    counter = itertools.count()

    class _Id:
        def __init__(self) -> None:
            self.hex = f"{next(counter):032x}"

    monkeypatch.setattr(uuid, "uuid4", _Id)

    def restart() -> None:
        nonlocal counter
        counter = itertools.count()

    return restart


def _through_json(prepared: PreparedXml) -> PreparedXml:
    return PreparedXml.from_json(json.loads(json.dumps(prepared.to_json())))


def test_prepare_then_finish_is_the_one_shot_signer_to_the_byte(
    org: KeyCredential, same_ids: Callable[[], None]
) -> None:
    at = datetime(2026, 5, 3, 10, 15, tzinfo=UTC)
    xades = XmlSignOptions(references=("#vb1",), xades=XadesOptions(signing_time=at))
    cases: list[tuple[Callable[[], bytes], Callable[[], PreparedXml]]] = [
        (lambda: sign_enveloped(SAMPLE, org), lambda: prepare_enveloped(SAMPLE, org)),
        (lambda: sign_enveloped(SAMPLE, org, xades), lambda: prepare_enveloped(SAMPLE, org, xades)),
        (lambda: sign_enveloping(SAMPLE, org), lambda: prepare_enveloping(SAMPLE, org)),
        (
            lambda: sign_detached(b"%PDF", "a.pdf", org, xades),
            lambda: prepare_detached(b"%PDF", "a.pdf", org, xades),
        ),
        (
            lambda: sign_invoice(
                sample_invoice(), org, options=InvoiceSignOptions(signing_time=at)
            ),
            lambda: prepare_invoice(
                sample_invoice(), org, options=InvoiceSignOptions(signing_time=at)
            ),
        ),
    ]
    for one_shot, prepare in cases:
        same_ids()
        expected = one_shot()
        same_ids()
        prepared = _through_json(prepare())
        assert (
            b"<ds:SignatureValue/>" in prepared.document
            or b"<SignatureValue/>" in prepared.document
        )
        value = org.sign_digest(prepared.digest, prepared.hash_algorithm)
        assert finish_xml(prepared, value) == expected


def test_finish_checks_the_value_against_the_exact_signed_info(
    org: KeyCredential, vn_pki: TestPKI
) -> None:
    prepared = prepare_enveloped(SAMPLE, org)
    other = prepare_enveloped(SAMPLE, org, XmlSignOptions(references=("#vb1",)))
    with pytest.raises(SigningError, match="does not verify with its certificate"):
        finish_xml(prepared, org.sign_digest(other.digest, "sha256"))
    person = vn_pki.person
    wrong_key = KeyCredential(person.private_key, person.certificate, person.chain)
    with pytest.raises(SigningError, match="does not verify with its certificate"):
        finish_xml(prepared, wrong_key.sign_digest(prepared.digest, "sha256"))
    changed = PreparedXml(prepared.document.replace(b"vb1", b"vb2"), prepared.signature)
    value = org.sign_digest(prepared.digest, "sha256")
    finish_xml(changed, value)  # outside SignedInfo: the reference digest will tell
    edited = prepared.document.replace(b"<ds:DigestValue>", b"<ds:DigestValue>AAAA", 1)
    with pytest.raises(MalformedInputError, match="not the one that was prepared"):
        finish_xml(PreparedXml(edited, prepared.signature), value)
    signed = finish_xml(prepared, value)
    with pytest.raises(SigningError, match="already has a value"):
        finish_xml(PreparedXml(signed, prepared.signature), value)
    assert verify_xml(signed).valid


def test_the_prepared_state_keeps_no_tsa_credentials(org: KeyCredential) -> None:
    secret = TimestampClient("http://tsa.example.vn", headers={"Authorization": "Bearer s"})
    options = XmlSignOptions(xades=XadesOptions(level=XadesLevel.B_T, tsa=secret))
    with pytest.raises(InputError, match="never written down"):
        prepare_enveloped(SAMPLE, org, options).to_json()
    plain = XmlSignOptions(
        xades=XadesOptions(level=XadesLevel.B_T, tsa=TimestampClient("http://tsa.example.vn"))
    )
    data = _through_json(prepare_enveloped(SAMPLE, org, plain)).to_json()
    assert data["xades"]["tsa"]["url"] == "http://tsa.example.vn"
    assert "PRIVATE" not in json.dumps(data)
    with pytest.raises(MalformedInputError):
        PreparedXml.from_json({**data, "digest": "00"})


def test_the_invoice_signing_time_is_the_time_of_preparation(org: KeyCredential) -> None:
    prepared_at = datetime.now(UTC).replace(microsecond=0)
    prepared = prepare_invoice(sample_invoice(), org, options=InvoiceSignOptions())
    value = org.sign_digest(prepared.digest, "sha256")
    report = verify_invoice(finish_xml(_through_json(prepared), value))
    assert report.valid
    seller_signature = report.signature("seller")
    assert seller_signature is not None and seller_signature.signing_time is not None
    claimed = seller_signature.signing_time.value
    assert claimed is not None and abs((claimed - prepared_at).total_seconds()) < 5


def test_a_prepared_xml_file_state_is_checked(
    remote: Remote, seller: GatewayUser, tmp_path: Path
) -> None:
    (job,) = xml_jobs(tmp_path, remote.gateway.pki.services.tsa_url)[:1]
    account = remote.engine("smartca").account(seller.user_id)
    saved = prepare_xml_job(job, account, tmp_path / "work", item_id="doc-1")
    again = PreparedXmlFile.load(saved.state_path)
    assert again == saved
    assert again.item().digest == saved.digest
    data = json.loads(saved.state_path.read_bytes())
    assert data["format"] == "vnsign-prepared-xml-file/1"
    assert SignatureScheme(data["signature"]["scheme"]) is SignatureScheme.PKCS1V15
    saved.state_path.write_text("{")
    with pytest.raises(MalformedInputError):
        PreparedXmlFile.load(saved.state_path)
    with pytest.raises(InputError, match="missing"):
        PreparedXmlFile.load(tmp_path / "work" / "none.json")
