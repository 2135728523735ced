"""Facts from a detached CMS / CAdES signature (``.p7s``) and the file it signs."""

from __future__ import annotations

from pathlib import Path

from vnsign.errors import InputError
from vnsign.formats.cades import digest_content, load_signed_data, verify_signed_data
from vnsign.verify.adapters.cms import signer_facts
from vnsign.verify.facts import DocumentFacts, DocumentFormat, SignatureFacts, SignatureKind

__all__ = ["content_beside", "detached_facts"]


def content_beside(signature_path: Path) -> Path:
    """The file a ``.p7s`` signs: the same name without ``.p7s`` (``a.docx.p7s`` → ``a.docx``)."""
    if signature_path.suffix.lower() not in {".p7s", ".p7m"}:
        raise InputError(
            f"{signature_path}: name the signed file, or call verify(..., content=...)"
        )
    content = signature_path.with_suffix("")
    if not content.is_file():
        raise InputError(f"{signature_path}: the signed file {content.name} is not beside it")
    return content


def detached_facts(signature: bytes, content: Path | bytes) -> DocumentFacts:
    """Every signer of the detached ``signature`` over ``content`` (read in chunks)."""
    signed_data = load_signed_data(signature)
    algorithms = {si["digest_algorithm"]["algorithm"].native for si in signed_data["signer_infos"]}
    verification = verify_signed_data(signed_data, digest_content(content, algorithms))
    signatures = []
    for index, (result, signer_info) in enumerate(
        zip(verification.signers, signed_data["signer_infos"], strict=True), start=1
    ):
        cms = signer_facts(result, signer_info, verification.certificates)
        signatures.append(
            SignatureFacts(
                index=index,
                kind=SignatureKind.SIGNATURE,
                name=f"signer {index}",
                format_problem=cms.format_problem,
                intact=cms.intact,
                signature_valid=cms.signature_valid,
                integrity_problem=cms.integrity_problem,
                digest_algorithm=cms.digest_algorithm,
                signature_algorithm=cms.signature_algorithm,
                signer_certificate=cms.signer_certificate,
                certificates=cms.certificates,
                claimed_time=cms.claimed_time,
                claimed_time_source="CMS signingTime" if cms.claimed_time else "",
                timestamps=cms.timestamps,
                embedded_crls=cms.crls,
                embedded_ocsp=cms.ocsp_responses,
                level=result.level.value,
            )
        )
    size = len(content) if isinstance(content, bytes) else content.stat().st_size
    return DocumentFacts(format=DocumentFormat.CMS, signatures=tuple(signatures), size=size)
