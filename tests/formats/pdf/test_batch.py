"""``sign_many``: one credential for many documents, one signature each, failures
reported per document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509

from vnsign.errors import SigningError
from vnsign.formats.pdf import (
    INVISIBLE,
    Nd30Appearance,
    PadesLevel,
    PdfSigningService,
    Role,
    SignJob,
    sign_many,
)
from vnsign.pki.credentials import HashAlgorithm, KeyCredential, KeyKind, SignatureScheme
from vnsign.testing import TestPKI


@dataclass
class CountingCredential:
    """A credential that counts the signatures it makes (a token would ask for
    the PIN, a remote signer for a confirmation, each time)."""

    inner: KeyCredential
    calls: list[bytes] = field(default_factory=list)

    @property
    def certificate(self) -> x509.Certificate:
        return self.inner.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self.inner.chain

    @property
    def key_kind(self) -> KeyKind:
        return self.inner.key_kind

    @property
    def key_size(self) -> int:
        return self.inner.key_size

    def sign_digest(
        self,
        digest: bytes,
        hash_algorithm: HashAlgorithm | str,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> bytes:
        self.calls.append(digest)
        return self.inner.sign_digest(digest, hash_algorithm, scheme=scheme)


def test_many_documents_one_signature_each(
    tmp_path: Path, document_bytes: bytes, agency: KeyCredential, pdfsig: Callable[[Path], list]
) -> None:
    jobs = []
    for n in range(6):
        source = tmp_path / f"phu-luc-{n}.pdf"
        source.write_bytes(document_bytes)
        jobs.append(
            SignJob(
                source,
                tmp_path / f"phu-luc-{n}.signed.pdf",
                role=Role.ATTACHMENT,
                appearance=Nd30Appearance(document_number=f"{n + 1}/QĐ-STP"),
            )
        )
    counting = CountingCredential(agency)
    items = sign_many(jobs, counting)
    assert [item.ok for item in items] == [True] * 6
    assert len(counting.calls) == 6  # no dry-run signatures
    assert len(set(counting.calls)) == 6
    for n, item in enumerate(items):
        assert item.result is not None
        assert item.result.shown_text[0] == f"{n + 1}/QĐ-STP"
        entry = pdfsig(item.result.path)[0]
        assert entry.valid and entry.total


def test_a_failing_document_does_not_stop_the_batch(
    tmp_path: Path, document_bytes: bytes, citizen: KeyCredential
) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(document_bytes)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 not really")
    jobs = [
        SignJob(good, tmp_path / "1.pdf", appearance=INVISIBLE),
        SignJob(bad, tmp_path / "2.pdf", appearance=INVISIBLE),
        SignJob(good, tmp_path / "3.pdf", role="organization", appearance=INVISIBLE),
        SignJob(good, tmp_path / "4.pdf", appearance=INVISIBLE),
    ]
    items = sign_many(jobs, citizen)
    assert [item.ok for item in items] == [True, False, False, True]
    assert isinstance(items[2].error, SigningError)
    assert not (tmp_path / "2.pdf").exists() and not (tmp_path / "3.pdf").exists()
    with pytest.raises(SigningError):
        sign_many(jobs[2:], citizen, stop_on_error=True)


def test_service_reuses_time_stamper_and_validation_context(
    tmp_path: Path, document_bytes: bytes, citizen: KeyCredential, vn_pki: TestPKI
) -> None:
    source = tmp_path / "doc.pdf"
    source.write_bytes(document_bytes)
    service = PdfSigningService(
        citizen, timestamp=vn_pki.services.tsa_url, trust_roots=vn_pki.roots
    )
    before_tsa = vn_pki.services.requests.get("tsa", 0)
    before_ocsp = vn_pki.services.requests.get("ocsp", 0)
    jobs = [
        SignJob(source, tmp_path / f"{n}.pdf", level=PadesLevel.B_LT, appearance=INVISIBLE)
        for n in range(4)
    ]
    items = service.sign_many(jobs)
    assert all(item.ok for item in items), [item.error for item in items]
    # One sample token for sizing, then one per signature.
    assert vn_pki.services.requests["tsa"] - before_tsa == 1 + 4
    # Revocation data is fetched once per certificate for the whole batch.
    assert vn_pki.services.requests["ocsp"] - before_ocsp <= 4
    reserved = {item.result.reserved_bytes for item in items if item.result}
    assert len(reserved) == 1
