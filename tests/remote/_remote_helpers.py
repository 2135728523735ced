"""Helpers of the remote-signing tests: fast wait policies, engines per dialect
against the reference gateway, digests and small PDFs."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

from vnsign.pki.credentials import HashAlgorithm
from vnsign.pki.remote import (
    CscProvider,
    DigestItem,
    JsonFileStore,
    MssProvider,
    RemoteProvider,
    RemoteSigningEngine,
    SmartCAProvider,
    WaitPolicy,
)
from vnsign.testing.remote import GatewayUser, RemoteGateway

#: Polls every few tens of milliseconds: a whole transaction takes well under a second.
FAST = WaitPolicy(
    first_poll_after=0.01,
    interval=0.02,
    backoff=1.5,
    max_interval=0.08,
    http_timeout=2.0,
    max_transport_errors=3,
    timeout=4.0,
)
DIALECTS = ("smartca", "csc-v1", "csc-v2", "csc-v2-async", "mss")
BATCH_DIALECTS = ("smartca", "csc-v1", "csc-v2", "csc-v2-async")


def provider_for(gateway: RemoteGateway, dialect: str) -> RemoteProvider:
    """An adapter for ``dialect`` pointed at ``gateway``."""
    if dialect == "smartca":
        return SmartCAProvider(gateway.smartca_settings())
    if dialect == "mss":
        return MssProvider(gateway.mss_settings())
    if dialect == "csc-v1":
        return CscProvider(gateway.csc_settings("v1"))
    if dialect == "csc-v2":
        return CscProvider(gateway.csc_settings("v2"))
    if dialect == "csc-v2-async":
        return CscProvider(gateway.csc_settings("v2", operation_mode="A"))
    raise ValueError(dialect)


def name_for(user: GatewayUser, dialect: str) -> str:
    """The id a dialect knows ``user`` by."""
    if dialect == "smartca":
        return user.user_id
    if dialect == "mss":
        return user.msisdn
    return user.credential_id


def items(count: int, *, kind: str = "digest", seed: str = "doc") -> list[DigestItem]:
    """``count`` distinct SHA-256 digest items."""
    return [
        DigestItem(
            f"{seed}-{n}",
            f"Văn bản số {n}/QĐ-UBND",
            hashlib.sha256(f"{seed}:{n}".encode()).digest(),
            HashAlgorithm.SHA256,
            kind,
        )
        for n in range(1, count + 1)
    ]


def verifies(certificate: x509.Certificate, digest: bytes, value: bytes) -> bool:
    """Independent check (straight cryptography) that ``value`` signs ``digest``."""
    key = certificate.public_key()
    prehashed = utils.Prehashed(HashAlgorithm.SHA256.cryptography)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(value, digest, padding.PKCS1v15(), prehashed)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(value, digest, ec.ECDSA(prehashed))
        else:
            return False
    except Exception:
        return False
    return True


def simple_pdf(text: str = "Quyết định") -> bytes:
    """A one-page PDF."""
    writer = PdfFileWriter()
    content = writer.add_object(
        generic.StreamObject(
            stream_data=f"BT /F1 12 Tf 72 720 Td ({text.encode('ascii', 'replace').decode()}) Tj ET".encode()
        )
    )
    page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 595, 842)]
            ),
            generic.NameObject("/Contents"): content,
            generic.NameObject("/Resources"): generic.DictionaryObject(),
        }
    )
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class Remote:
    """A gateway, a store folder and engines on demand."""

    gateway: RemoteGateway
    store_dir: Path

    @property
    def store(self) -> JsonFileStore:
        return JsonFileStore(self.store_dir)

    def engine(
        self, dialect: str, *, policy: WaitPolicy = FAST, **options: object
    ) -> RemoteSigningEngine:
        return RemoteSigningEngine(
            provider_for(self.gateway, dialect),
            self.store,
            policy=policy,
            **options,  # type: ignore[arg-type]
        )

    def submits(self) -> int:
        return len(self.gateway.requests_for("submit"))
