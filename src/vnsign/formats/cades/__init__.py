"""Detached CMS / CAdES signatures (``.p7s``) for any file: the attachments that
travel beside signed PDFs (``.docx``, ``.xlsx``, ``.zip`` ...).

::

    from vnsign.formats.cades import sign_cades_file, verify_cades

    p7s = sign_cades_file("phu-luc.docx", credential, tsa=TimestampClient(url))
    result = verify_cades("phu-luc.docx", p7s)
    result.valid, result.signers[0].signer_certificate, result.signers[0].timestamps

Signing makes CAdES-B-B (signing-certificate-v2, signing time, content type,
message digest) or, with a TSA, CAdES-B-T; ``openssl cms -verify -binary``
accepts the result. Verification reports the cryptographic checks and the
certificates found; trust and revocation are certificate validation's job.
See ``docs/cades.md``.
"""

from vnsign.formats.cades._content import Content, digest_content
from vnsign.formats.cades._signing import async_sign_cades, sign_cades, sign_cades_file
from vnsign.formats.cades._verification import (
    MAX_SIGNATURE_SIZE,
    CadesLevel,
    CadesSignerResult,
    CadesVerification,
    TimestampCheck,
    load_signed_data,
    verify_cades,
    verify_signed_data,
)

__all__ = [
    "MAX_SIGNATURE_SIZE",
    "CadesLevel",
    "CadesSignerResult",
    "CadesVerification",
    "Content",
    "TimestampCheck",
    "async_sign_cades",
    "digest_content",
    "load_signed_data",
    "sign_cades",
    "sign_cades_file",
    "verify_cades",
    "verify_signed_data",
]
