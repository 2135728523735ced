"""Facts from the signatures of a PDF (PAdES, adbe.pkcs7.detached, document time stamps).

Built on pyHanko's reader: byte-range digests, coverage of the file, and the
difference analysis of every revision added after a signature (what changed,
and whether the document's DocMDP/FieldMDP permissions allow it).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from io import BytesIO

from asn1crypto import cms as cms_asn1
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt.api import AuthStatus
from pyhanko.pdf_utils.crypt.standard import StandardSecurityHandler
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import (
    DiffResult,
    ModificationLevel,
    SuspiciousModification,
)
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

import vnsign._pyhanko_speedups  # noqa: F401 - faster pyHanko, same answers
from vnsign.errors import MalformedInputError
from vnsign.verify.adapters.cms import read_signed_data, timestamp_facts
from vnsign.verify.adapters.pdf_diff import VN_DIFF_POLICY, VnDiffResult
from vnsign.verify.facts import (
    Appearance,
    Coverage,
    DocumentFacts,
    DocumentFormat,
    Modification,
    ModificationKind,
    SignatureFacts,
    SignatureKind,
)

__all__ = ["pdf_facts"]

_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: Coverage.ENTIRE_FILE,
    SignatureCoverageLevel.ENTIRE_REVISION: Coverage.ENTIRE_REVISION,
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: Coverage.PARTIAL,
    SignatureCoverageLevel.UNCLEAR: Coverage.PARTIAL,
}
_LEVEL_KIND = {
    ModificationLevel.NONE: ModificationKind.NONE,
    ModificationLevel.LTA_UPDATES: ModificationKind.VALIDATION_DATA,
    ModificationLevel.FORM_FILLING: ModificationKind.FORM_FILLING,
    ModificationLevel.ANNOTATIONS: ModificationKind.ANNOTATIONS,
    ModificationLevel.OTHER: ModificationKind.OTHER,
}
# What a certification (DocMDP) allows after signing (ISO 32000-2 §12.8.2.2). Without one,
# only validation data and later signatures are expected: anything else after an approval
# signature is a change to what was signed.
_PERMITTED: dict[MDPPerm | None, frozenset[ModificationKind]] = {
    None: frozenset(
        {ModificationKind.NONE, ModificationKind.VALIDATION_DATA, ModificationKind.SIGNING}
    ),
    MDPPerm.NO_CHANGES: frozenset({ModificationKind.NONE, ModificationKind.VALIDATION_DATA}),
    MDPPerm.FILL_FORMS: frozenset(
        {
            ModificationKind.NONE,
            ModificationKind.VALIDATION_DATA,
            ModificationKind.SIGNING,
            ModificationKind.FORM_FILLING,
        }
    ),
    MDPPerm.ANNOTATE: frozenset(
        {
            ModificationKind.NONE,
            ModificationKind.VALIDATION_DATA,
            ModificationKind.SIGNING,
            ModificationKind.FORM_FILLING,
            ModificationKind.ANNOTATIONS,
        }
    ),
}


def pdf_facts(data: bytes) -> DocumentFacts:
    """Read every signature of the PDF in ``data``.

    Raises :class:`~vnsign.errors.MalformedInputError` when the file is not a
    readable PDF; a PDF with broken *signatures* is a result, not an error.
    """
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        problems = []
        if reader.encrypted:
            if not isinstance(reader.security_handler, StandardSecurityHandler):
                raise MalformedInputError(
                    "the PDF is encrypted for named recipients (public-key security) "
                    "and cannot be opened"
                )
            if reader.decrypt(b"").status is AuthStatus.FAILED:
                raise MalformedInputError("the PDF is encrypted and needs a password to be read")
            problems.append("the PDF is encrypted (opened with the empty user password)")
        embedded = list(reader.embedded_signatures)
    except MalformedInputError:
        raise
    except (
        PdfError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        RecursionError,
    ) as exc:
        return _unreadable(data, str(exc))
    except Exception as exc:  # noqa: BLE001 - hostile files make pyHanko raise anything
        return _unreadable(data, f"{type(exc).__name__}: {exc}")

    crls, responses, dss_certs = _dss(reader, problems)
    embedded.sort(key=lambda s: s.signed_revision)
    total_revisions = reader.xrefs.total_revisions
    signatures = [
        _isolated(
            n,
            sig,
            reader,
            (crls, responses, dss_certs),
            _certification_permission(embedded[:n]),
            total_revisions,
            frozenset(str(s.field_name) for s in embedded[n:]),
        )
        for n, sig in enumerate(embedded, start=1)
    ]
    signatures = _with_levels(signatures, embedded, _dss_revision(reader))
    return DocumentFacts(
        format=DocumentFormat.PDF,
        signatures=tuple(signatures),
        size=len(data),
        problems=tuple(problems),
        details={
            "revisions": total_revisions,
            "pages": _page_count(reader),
            "dss_crls": len(crls),
            "dss_ocsp": len(responses),
            "dss_certificates": len(dss_certs),
        },
    )


def _unreadable(data: bytes, why: str) -> DocumentFacts:
    """A PDF pyHanko cannot read: an error, unless a signature found by its byte
    range (:mod:`~vnsign.verify.adapters.pdf_raw`) proves that signed bytes were
    changed: that is a definite HASH_FAILURE, whatever else cannot be read."""
    from vnsign.verify.adapters.pdf_raw import byte_range_signatures

    signatures = byte_range_signatures(data, why)
    if not any(s.intact is False for s in signatures):
        intact = sum(1 for s in signatures if s.intact)
        note = (
            f"; {intact} signature(s) are intact over their byte ranges, but what they "
            "cover cannot be checked"
            if intact
            else ""
        )
        raise MalformedInputError(f"not a readable PDF: {why}{note}")
    return DocumentFacts(
        format=DocumentFormat.PDF,
        signatures=signatures,
        size=len(data),
        problems=(f"the PDF structure cannot be read: {why}",),
    )


_DssData = tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[x509.Certificate, ...]]


def _isolated(
    index: int,
    sig: EmbeddedPdfSignature,
    reader: PdfFileReader,
    dss: _DssData,
    certifying: MDPPerm | None,
    total_revisions: int,
    later_fields: frozenset[str],
) -> SignatureFacts:
    """One signature's facts; a signature built to break the parser gets a
    FORMAT_FAILURE of its own instead of taking the whole report down."""
    try:
        return _signature(index, sig, reader, dss, certifying, total_revisions, later_fields)
    except Exception as exc:  # noqa: BLE001 - hostile CMS/PDF data raises anything
        return SignatureFacts(
            index,
            SignatureKind.SIGNATURE,
            str(sig.field_name),
            format_problem=f"the signature cannot be processed ({type(exc).__name__}: {exc})",
        )


def _signature(
    index: int,
    sig: EmbeddedPdfSignature,
    reader: PdfFileReader,
    dss: _DssData,
    certifying: MDPPerm | None,
    total_revisions: int,
    later_fields: frozenset[str],
) -> SignatureFacts:
    name = str(sig.field_name)
    doc_timestamp = sig.sig_object_type == "/DocTimeStamp"
    is_certification = sig.docmdp_level is not None
    kind = (
        SignatureKind.DOCUMENT_TIMESTAMP
        if doc_timestamp
        else SignatureKind.CERTIFICATION
        if is_certification
        else SignatureKind.SIGNATURE
    )
    details: dict[str, object] = {
        "subfilter": str(sig.sig_object.get("/SubFilter", "")),
        "revision": sig.signed_revision + 1,
    }
    for key in ("/Reason", "/Location", "/ContactInfo", "/Name"):
        value = sig.sig_object.get(key)
        if value is not None:
            details[key[1:].lower()] = str(value)
    if sig.docmdp_level is not None:
        details["docmdp"] = int(sig.docmdp_level.value)

    coverage, modifications, integrity_problem = _integrity(
        sig, certifying, total_revisions, later_fields
    )
    try:
        digest = sig.compute_digest()
    except (PdfError, ValueError, OSError) as exc:
        return SignatureFacts(
            index, kind, name, format_problem=f"the byte range cannot be read: {exc}"
        )

    if doc_timestamp:
        return _document_timestamp(index, sig, name, digest, coverage, modifications, details)

    cms = read_signed_data(sig.signed_data, actual_digest=digest)
    claimed, source = cms.claimed_time, "CMS signingTime"
    if claimed is None:
        claimed, source = _pdf_m(sig), "PDF /M"
    details["signing_certificate_v2"] = cms.has_signing_certificate_v2
    return SignatureFacts(
        index=index,
        kind=kind,
        name=name,
        format_problem=cms.format_problem,
        intact=cms.intact,
        signature_valid=cms.signature_valid,
        integrity_problem=integrity_problem or cms.integrity_problem,
        coverage=coverage,
        modifications=modifications,
        digest_algorithm=cms.digest_algorithm,
        signature_algorithm=cms.signature_algorithm,
        signer_certificate=cms.signer_certificate,
        certificates=cms.certificates + dss[2],
        claimed_time=claimed,
        claimed_time_source=source if claimed else "",
        timestamps=cms.timestamps,
        embedded_crls=cms.crls + dss[0],
        embedded_ocsp=cms.ocsp_responses + dss[1],
        appearance=_appearance(sig, reader),
        details=details,
    )


def _document_timestamp(
    index: int,
    sig: EmbeddedPdfSignature,
    name: str,
    digest: bytes,
    coverage: Coverage,
    modifications: tuple[Modification, ...],
    details: dict[str, object],
) -> SignatureFacts:
    token = cms_asn1.ContentInfo({"content_type": "signed_data", "content": sig.signed_data})
    stamp = timestamp_facts(token.dump(), b"")
    # the token's imprint must be the digest of the byte range, in the token's algorithm
    token_digest = sig.compute_digest(stamp.hash_algorithm) if stamp.hash_algorithm else digest
    intact = stamp.signature_valid and _imprint_matches(sig, token_digest)
    problem = (
        ""
        if intact
        else (
            stamp.problem
            if not stamp.signature_valid
            else "the document time stamp does not cover the document"
        )
    )
    return SignatureFacts(
        index=index,
        kind=SignatureKind.DOCUMENT_TIMESTAMP,
        name=name,
        intact=intact,
        signature_valid=stamp.signature_valid,
        integrity_problem=problem,
        coverage=coverage,
        modifications=modifications,
        digest_algorithm=stamp.hash_algorithm,
        signer_certificate=stamp.tsa_certificate,
        certificates=stamp.certificates,
        claimed_time=stamp.gen_time,
        claimed_time_source="RFC 3161 genTime",
        timestamps=(stamp,),
        level="PAdES document time stamp",
        details=details,
    )


def _imprint_matches(sig: EmbeddedPdfSignature, digest: bytes) -> bool:
    try:
        info = sig.signed_data["encap_content_info"]["content"].parsed
        return bool(info["message_imprint"]["hashed_message"].native == digest)
    except (ValueError, TypeError, KeyError):
        return False


def _integrity(
    sig: EmbeddedPdfSignature,
    certifying: MDPPerm | None,
    total_revisions: int,
    later_fields: frozenset[str],
) -> tuple[Coverage, tuple[Modification, ...], str]:
    try:
        # vnsign's policy: pyHanko's rules plus the signing updates real tools make
        sig.compute_integrity_info(diff_policy=VN_DIFF_POLICY)  # type: ignore[no-untyped-call]
    except SignatureValidationError as exc:
        return (
            Coverage.UNKNOWN,
            (),
            f"the signature's place in the file is not sound: {exc.failure_message}",
        )
    except (PdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        return (
            Coverage.UNKNOWN,
            (),
            f"the file structure around the signature cannot be checked: {exc}",
        )
    coverage = _COVERAGE.get(sig.coverage, Coverage.UNKNOWN) if sig.coverage else Coverage.UNKNOWN
    revisions_after = total_revisions - 1 - sig.signed_revision
    result: DiffResult | SuspiciousModification | None = sig.diff_result
    if result is None or revisions_after <= 0:
        return coverage, (), ""
    if isinstance(result, SuspiciousModification):
        return (
            coverage,
            (
                Modification(
                    ModificationKind.OTHER,
                    _plain_suspicion(result),
                    permitted=False,
                    revisions_after=revisions_after,
                ),
            ),
            "",
        )
    level = result.modification_level
    kind = _LEVEL_KIND.get(level, ModificationKind.OTHER)
    fields = sorted(result.changed_form_fields)
    if kind is ModificationKind.FORM_FILLING and set(fields) <= later_fields:
        kind = ModificationKind.SIGNING  # only the fields of later signatures changed
    permitted = _permitted(kind, certifying) and not _locked_fields_changed(sig, fields)
    description = {
        ModificationKind.NONE: "no change",
        ModificationKind.VALIDATION_DATA: "validation data or document time stamps were added",
        ModificationKind.SIGNING: f"later signatures were added ({', '.join(fields)})",
        ModificationKind.FORM_FILLING: "form fields were filled in"
        + (f" ({', '.join(fields)})" if fields else ""),
        ModificationKind.ANNOTATIONS: "annotations (comments) were added or changed",
        ModificationKind.OTHER: "the content was changed after signing",
    }[kind]
    # what vnsign accepts beyond pyHanko's generic rules, and why (OBS-CERTIFY-THEN-SEAL...)
    if isinstance(result, VnDiffResult) and result.accepted:
        description += "; " + "; ".join(note.description for note in sorted(result.accepted))
    return coverage, (Modification(kind, description, permitted, revisions_after),), ""


def _plain_suspicion(result: SuspiciousModification) -> str:
    """pyHanko's reason in words a reader of the report can follow: its first line,
    object references as numbers, no cross-reference jargon."""
    text = str(result).strip().splitlines()[0] if str(result).strip() else "unexplained change"
    text = re.sub(r"Reference\(idnum=(\d+), generation=\d+\)", r"object \1", text)
    text = re.sub(
        r"There are unexplained xrefs in revision (\d+)",
        r"revision \1 replaced or added objects for no permitted reason",
        text,
    )
    return text.rstrip(".")


def _permitted(kind: ModificationKind, certifying: MDPPerm | None) -> bool:
    return kind in _PERMITTED.get(certifying, frozenset())


def _locked_fields_changed(sig: EmbeddedPdfSignature, fields: list[str]) -> bool:
    """Whether a later update changed a field this signature locked (FieldMDP)."""
    lock = sig.fieldmdp
    return lock is not None and any(lock.is_locked(name) for name in fields)


def _certification_permission(up_to: list[EmbeddedPdfSignature]) -> MDPPerm | None:
    """The strictest DocMDP permission of a certification or lock in ``up_to``: each
    governs the changes after its own signature, never those before it."""
    levels = [sig.docmdp_level for sig in up_to if sig.docmdp_level is not None]
    return min(levels, key=lambda level: level.value) if levels else None


def _dss(
    reader: PdfFileReader, problems: list[str]
) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[x509.Certificate, ...]]:
    """CRLs, OCSP responses and certificates in the document security store."""
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return (), (), ()
    found: dict[str, list[bytes]] = {"/CRLs": [], "/OCSPs": [], "/Certs": []}
    try:
        for key, out in found.items():
            for ref in dss.get(key, generic.ArrayObject()):
                stream = ref.get_object()
                if isinstance(stream, generic.StreamObject):
                    out.append(stream.data)
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problems.append(f"the document security store (DSS) cannot be read: {exc}")
    certs = []
    for der in found["/Certs"]:
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            problems.append("the DSS holds a certificate that cannot be read")
    return tuple(found["/CRLs"]), tuple(found["/OCSPs"]), tuple(certs)


def _with_levels(
    signatures: list[SignatureFacts],
    embedded: list[EmbeddedPdfSignature],
    dss_revision: int | None,
) -> list[SignatureFacts]:
    """PAdES baseline levels (ETSI EN 319 142-1): B-B a CAdES signature with the
    signing certificate attribute; B-T with a time stamp over it (its own, or a
    later document time stamp); B-LT with validation data in a DSS added
    with or after it; B-LTA with a document time stamp after that DSS. The engine
    checks that the DSS really holds the validation data (``_level_reached``)."""
    stamp_revisions = [
        sig.signed_revision
        for sig, facts in zip(embedded, signatures, strict=True)
        if facts.kind is SignatureKind.DOCUMENT_TIMESTAMP and facts.intact
    ]
    out = []
    for sig, facts in zip(embedded, signatures, strict=True):
        if facts.kind is SignatureKind.DOCUMENT_TIMESTAMP:
            out.append(facts)
            continue
        stamped = any(t.intact for t in facts.timestamps) or any(
            r > sig.signed_revision for r in stamp_revisions
        )
        if facts.details.get("subfilter") != "/ETSI.CAdES.detached":
            level = "PKCS#7 (adbe.pkcs7.detached)" + (", time-stamped" if stamped else "")
        elif not facts.details.get("signing_certificate_v2"):
            level = "CAdES in PDF, not PAdES baseline (no signing-certificate attribute)"
        else:
            level = "PAdES-B-B"
            if stamped:
                level = "PAdES-B-T"
                # a DSS written with the signature (same revision) counts too
                if dss_revision is not None and dss_revision >= sig.signed_revision:
                    level = "PAdES-B-LT"
                    if any(r > dss_revision for r in stamp_revisions):
                        level = "PAdES-B-LTA"
        out.append(dataclasses.replace(facts, level=level))
    return out


def _dss_revision(reader: PdfFileReader) -> int | None:
    try:
        ref = reader.root.raw_get("/DSS")
    except KeyError:
        return None
    if isinstance(ref, generic.IndirectObject):
        return int(reader.xrefs.get_last_change(ref.reference))
    return int(reader.xrefs.get_last_change(reader.root_ref))  # a DSS inside the catalog


def _pdf_m(sig: EmbeddedPdfSignature) -> datetime | None:
    try:
        return generic.parse_pdf_date(sig.sig_object["/M"], strict=False)
    except (KeyError, ValueError, PdfError):
        return None


def _appearance(sig: EmbeddedPdfSignature, reader: PdfFileReader) -> Appearance | None:
    widget = sig.sig_field
    if "/Rect" not in widget and "/Kids" in widget:  # field and widget split
        widget = widget["/Kids"][0]
    try:
        rect = [float(v) for v in widget["/Rect"]]
    except (KeyError, TypeError, ValueError):
        return None
    if len(rect) != 4 or (rect[2] - rect[0]) * (rect[3] - rect[1]) == 0:
        return None  # an invisible signature
    page_number, size = _page_of(widget, reader)
    box = (
        min(rect[0], rect[2]),
        min(rect[1], rect[3]),
        max(rect[0], rect[2]),
        max(rect[1], rect[3]),
    )
    # imported here: pdfminer and Pillow load only for PDFs with a visible signature
    from vnsign.verify.adapters.pdf_appearance import read_appearance

    return read_appearance(widget, reader, page=page_number, rect=box, page_size=size)


def _page_of(
    widget: generic.DictionaryObject, reader: PdfFileReader
) -> tuple[int, tuple[float, float]]:
    """The 1-based page holding ``widget`` and that page's size (first page if unknown)."""
    own = getattr(widget, "container_ref", None)
    own_id = getattr(own, "idnum", None)
    declared = widget.raw_get("/P") if "/P" in widget else None
    declared_id = getattr(declared, "idnum", None)
    first_size: tuple[float, float] | None = None
    for index in range(_page_count(reader)):
        try:
            page_ref = reader.find_page_for_modification(index)[0]  # type: ignore[no-untyped-call]
            page = page_ref.get_object()
        except (PdfError, ValueError, KeyError, IndexError, TypeError):
            break
        size = _page_size(page)
        first_size = first_size or size
        if declared_id is not None and page_ref.idnum == declared_id:
            return index + 1, size
        annots = page.get("/Annots")
        if (
            own_id is not None
            and isinstance(annots, generic.ArrayObject)
            and any(getattr(a, "idnum", None) == own_id for a in annots)
        ):
            return index + 1, size
    return 1, first_size or (595.0, 842.0)


def _page_size(page: generic.DictionaryObject) -> tuple[float, float]:
    try:
        box = [float(v) for v in page["/MediaBox"]]
        return box[2] - box[0], box[3] - box[1]
    except (KeyError, TypeError, ValueError, IndexError):
        return 595.0, 842.0


def _page_count(reader: PdfFileReader) -> int:
    try:
        return int(reader.root["/Pages"]["/Count"])
    except (KeyError, TypeError, ValueError):
        return 0
