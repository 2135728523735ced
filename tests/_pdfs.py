"""Signed PDFs for verifier tests, made with pyHanko directly (independently of
vnsign's own PDF signer) and the test PKI's certificates."""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic, writer
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko.sign.timestamps.api import TimeStamper

from vnsign.pki.credentials import KeyCredential
from vnsign.pki.identity import Regime
from vnsign.pki.signer import CredentialSigner
from vnsign.pki.trust import TrustStore
from vnsign.testing import TestIdentity, TestPKI


def blank_pdf(text: str = "Cong van so 01/UBND-VP") -> bytes:
    """A one-page PDF with a line of text."""
    w = writer.PdfFileWriter()
    content = w.add_object(
        generic.StreamObject(stream_data=f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    )
    box = generic.ArrayObject(map(generic.NumberObject, [0, 0, 595, 842]))
    w.insert_page(writer.PageObject(contents=content, media_box=box))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def sign(
    data: bytes,
    ident: TestIdentity,
    *,
    field: str = "Signature1",
    timestamper: TimeStamper | None = None,
    pades: bool = True,
) -> bytes:
    """``data`` signed by ``ident`` in an incremental update."""
    credential = KeyCredential(
        ident.private_key, ident.certificate, ident.chain, allow_unusable=True
    )
    subfilter = (
        fields.SigSeedSubFilter.PADES if pades else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED
    )
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(data)),
        PdfSignatureMetadata(field_name=field, subfilter=subfilter),
        signer=CredentialSigner(credential),
        output=out,
        timestamper=timestamper,
    )
    return out.getvalue()


def trust_of(pki: TestPKI) -> TrustStore:
    """The test PKI's roots, each with its regime, and nothing else."""
    return (
        TrustStore.builtin("none")
        .with_anchors([pki.national_root.certificate], regime=Regime.PUBLIC)
        .with_anchors([pki.gov_root.certificate], regime=Regime.OFFICIAL_DUTY)
    )
