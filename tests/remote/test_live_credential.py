"""Live mode: ``RemoteCredential`` is a ``Credential`` whose ``sign_digest`` waits
for the phone, so the PDF and XML signers use a remote key unchanged."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from _remote_helpers import Remote, simple_pdf, verifies
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from vnsign.errors import RemoteExpiredError, RemoteRejectedError
from vnsign.pki.credentials import Credential, HashAlgorithm
from vnsign.pki.remote import RemoteCredential, TxState
from vnsign.pki.signer import CredentialSigner
from vnsign.testing.remote import GatewayUser, PhoneAction


def _credential(remote: Remote, user: GatewayUser, dialect: str = "smartca") -> RemoteCredential:
    name = user.user_id if dialect == "smartca" else user.credential_id
    return RemoteCredential.open(remote.engine(dialect), name, display_text="Ký hợp đồng số 7/2026")


def _context(remote: Remote) -> ValidationContext:
    roots = [
        asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in remote.gateway.pki.roots
    ]
    return ValidationContext(trust_roots=roots)


def test_a_remote_credential_is_a_credential(remote: Remote, approving_user: GatewayUser) -> None:
    credential = _credential(remote, approving_user)
    assert isinstance(credential, Credential)
    assert credential.certificate == approving_user.identity.certificate
    assert credential.chain == approving_user.identity.chain
    assert credential.key_size == 2048
    digest = hashlib.sha256(b"hop dong").digest()
    value = credential.sign_digest(digest, HashAlgorithm.SHA256)
    assert verifies(credential.certificate, digest, value)
    assert remote.store.load(credential.last_tx_id or "").state is TxState.COMPLETED


def test_sign_digest_works_inside_a_running_event_loop(
    remote: Remote, approving_user: GatewayUser
) -> None:
    credential = _credential(remote, approving_user)
    digest = hashlib.sha256(b"in a loop").digest()

    async def inside() -> bytes:
        return credential.sign_digest(digest, "sha256")  # blocks this loop, as sync calls do

    assert verifies(credential.certificate, digest, asyncio.run(inside()))


def test_pyhanko_signs_through_a_remote_credential(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path
) -> None:
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    credential = _credential(remote, approving_user, "csc-v1")
    writer = IncrementalPdfFileWriter(BytesIO(simple_pdf()))
    out = signers.sign_pdf(
        writer,
        signers.PdfSignatureMetadata(field_name="Sig1"),
        signer=CredentialSigner(credential),
    )
    status = validate_pdf_signature(PdfFileReader(out).embedded_signatures[0], _context(remote))
    assert status.intact and status.valid and status.trusted
    assert len(remote.gateway.prompts_for(approving_user)) == 1  # dry runs never reach the phone


def test_vnsign_pdf_signer_with_a_remote_credential(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path
) -> None:
    from vnsign.formats.pdf import INVISIBLE, sign_pdf

    source, output = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(simple_pdf())
    sign_pdf(source, output, _credential(remote, approving_user), level="B-B", appearance=INVISIBLE)
    with output.open("rb") as fh:
        status = validate_pdf_signature(PdfFileReader(fh).embedded_signatures[0], _context(remote))
    assert status.intact and status.valid and status.trusted
    assert len(remote.gateway.prompts_for(approving_user)) == 1


def test_vnsign_xml_signer_with_a_remote_credential(
    remote: Remote, approving_user: GatewayUser
) -> None:
    from vnsign.formats.xml import sign_enveloped, verify_xml

    xml = b"<HDon><DLHDon Id='data'><TTChung><SHDon>42</SHDon></TTChung></DLHDon></HDon>"
    signed = sign_enveloped(xml, _credential(remote, approving_user))
    assert verify_xml(signed).valid
    assert len(remote.gateway.prompts_for(approving_user)) == 1


def test_rejection_raises_and_the_pdf_is_not_written(remote: Remote, tmp_path: Path) -> None:
    from vnsign.formats.pdf import INVISIBLE, sign_pdf

    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.REJECT)
    source, output = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(simple_pdf())
    with pytest.raises(RemoteRejectedError):
        sign_pdf(source, output, _credential(remote, user), appearance=INVISIBLE)
    assert not output.exists()


def test_expiry_raises(remote: Remote) -> None:
    remote.gateway.expiry = 0.2
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.IGNORE)
    with pytest.raises(RemoteExpiredError):
        _credential(remote, user).sign_digest(hashlib.sha256(b"x").digest(), "sha256")
