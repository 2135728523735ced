"""Making detached CAdES signatures (``.p7s``) over any file."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import cms
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from vnsign._files import write_atomic
from vnsign.errors import InputError, SigningError, VnsignError
from vnsign.formats.cades._content import Content, digest_content
from vnsign.formats.cades._verification import verify_signed_data
from vnsign.pki.credentials import (
    Credential,
    HashAlgorithm,
    SignatureScheme,
    parse_hash_algorithm,
)
from vnsign.pki.signer import CredentialSigner
from vnsign.pki.timestamps import TimestampClient

__all__ = ["async_sign_cades", "sign_cades", "sign_cades_file"]


async def async_sign_cades(
    content: Content,
    credential: Credential,
    *,
    hash_algorithm: HashAlgorithm | str = HashAlgorithm.SHA256,
    scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    tsa: TimestampClient | None = None,
    signing_time: datetime | None = None,
) -> bytes:
    """A detached CAdES signature over ``content``, DER-encoded.

    CAdES-B-B (content type, message digest, signing time, signing-certificate-v2);
    with ``tsa``, CAdES-B-T (a signature time-stamp). The content (bytes, a
    path or a binary stream) is hashed in chunks, so its size does not matter.
    The signature is checked against the credential's certificate before it is
    returned, so a key that does not match its certificate fails here.
    """
    algorithm = parse_hash_algorithm(hash_algorithm)
    digest = (await asyncio.to_thread(digest_content, content, [algorithm.value]))[algorithm.value]
    signer = CredentialSigner(credential, scheme=scheme)
    attributes = PdfCMSSignedAttributes(signing_time=signing_time or datetime.now(UTC))
    try:
        signed: cms.ContentInfo = await signer.async_sign(
            digest,
            algorithm.value,
            use_pades=True,  # pyHanko's switch for CAdES attributes ...
            is_pdf_sig=False,  # ... and this one keeps signingTime, which CAdES requires
            timestamper=tsa.as_pyhanko() if tsa else None,
            signed_attr_settings=attributes,
        )
    except VnsignError:
        raise
    except (PyHankoSigningError, ValueError, TypeError) as exc:
        raise SigningError(f"cannot build the CAdES signature: {exc}") from exc
    check = verify_signed_data(signed["content"], {algorithm.value: digest})
    if not check.valid:
        problems = "; ".join(p for s in check.signers for p in s.problems) or "unknown reason"
        raise SigningError(
            "the signature made with the certificate of "
            f"{credential.certificate.subject.rfc4514_string()} does not verify: {problems}"
        )
    der: bytes = signed.dump()
    return der


def sign_cades(
    content: Content,
    credential: Credential,
    *,
    hash_algorithm: HashAlgorithm | str = HashAlgorithm.SHA256,
    scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    tsa: TimestampClient | None = None,
    signing_time: datetime | None = None,
) -> bytes:
    """:func:`async_sign_cades`, for code that is not in an event loop."""
    return asyncio.run(
        async_sign_cades(
            content,
            credential,
            hash_algorithm=hash_algorithm,
            scheme=scheme,
            tsa=tsa,
            signing_time=signing_time,
        )
    )


def sign_cades_file(
    path: str | os.PathLike[str],
    credential: Credential,
    *,
    output: str | os.PathLike[str] | None = None,
    hash_algorithm: HashAlgorithm | str = HashAlgorithm.SHA256,
    scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    tsa: TimestampClient | None = None,
    signing_time: datetime | None = None,
) -> Path:
    """Sign the file at ``path`` into ``output`` (default: ``path`` + ``.p7s``),
    written atomically. The signed file is only read. Returns the output path."""
    source = Path(path)
    if not source.is_file():
        raise InputError(f"no such file: {source}")
    target = Path(output) if output is not None else source.with_name(source.name + ".p7s")
    if target.exists() and target.resolve() == source.resolve():
        raise InputError(f"the signature would overwrite the file it signs: {target}")
    der = sign_cades(
        source,
        credential,
        hash_algorithm=hash_algorithm,
        scheme=scheme,
        tsa=tsa,
        signing_time=signing_time,
    )
    write_atomic(target, der)
    return target
