"""Before signing: open the PDF, unlock it, and refuse what signing would break.

Refused, with a :class:`~vnsign.errors.SigningError` that says why:

* an encrypted PDF without its password (or with a wrong one, or with
  permissions that forbid signing);
* a PDF certified with "no changes allowed" (DocMDP P=1), or locked the same
  way by a signature's field lock (PDF 2.0 ``/Lock /P 1``): any new signature
  would invalidate it;
* signing into a field an earlier signature has locked (FieldMDP);
* a certification signature on a document that is already signed;
* a new *visible* signature field on a certified document: DocMDP P=2 and P=3
  allow signing existing fields, and strict validators (pyHanko, Acrobat) treat
  a new widget as a forbidden change. The certifier can reserve the field
  beforehand (``SignOptions.reserve_seal_mm``); ``force`` signs anyway, as much
  Vietnamese software does (OBS-CERTIFY-THEN-SEAL);
* an agency seal on a document no person has signed yet (ND30-SIGN-ORDER),
  unless forced.

Unreadable input becomes :class:`~vnsign.errors.MalformedInputError` (or
:class:`~vnsign.errors.UnsupportedFormatError` for something that is not a PDF).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, PubKeySecurityHandler
from pyhanko.pdf_utils.crypt.permissions import StandardPermissions
from pyhanko.pdf_utils.form_tools import enumerate_fields_in
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError, PdfStrictReadError

from vnsign.errors import MalformedInputError, SigningError, UnsupportedFormatError
from vnsign.formats.pdf._objects import dictionary
from vnsign.formats.pdf.options import Role

__all__ = ["PARSE_ERRORS", "DocumentState", "SignatureRecord", "inspect_document", "open_pdf"]

_HEADER_WINDOW = 1024
_SIGNING_ALLOWED = (
    StandardPermissions.ALLOW_FORM_FILLING | StandardPermissions.ALLOW_ANNOTS_FORM_FILLING
)
PARSE_ERRORS = (
    PdfError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    AssertionError,
    RecursionError,
    UnicodeDecodeError,
)
"""What pyHanko raises on a damaged PDF, here or wherever it reads an object lazily."""


def open_pdf(handle: BinaryIO, password: str | None) -> IncrementalPdfFileWriter:
    """An incremental writer over ``handle`` (read-write), decrypted if needed."""
    handle.seek(0)
    head = handle.read(_HEADER_WINDOW)
    if not head:
        raise MalformedInputError("the file is empty")
    if b"%PDF-" not in head:
        raise UnsupportedFormatError("not a PDF file (no %PDF- header)")
    handle.seek(0)
    try:
        try:
            writer = IncrementalPdfFileWriter(handle, strict=True)
            # Hybrid-reference files (common from word processors) are read
            # leniently: pyHanko signs them only outside strict mode.
            lenient = writer.prev.xrefs.hybrid_xrefs_present
        except PdfStrictReadError:
            lenient = True
        if lenient:
            handle.seek(0)
            writer = IncrementalPdfFileWriter(handle, strict=False)
        writer.IO_CHUNK_SIZE = 1 << 20
        if writer.prev.encrypted:
            _unlock(writer, password)
        _null_dangling_trailer_references(writer)
        writer.root  # noqa: B018 - fail here, not halfway through signing
    except (SigningError, MalformedInputError):
        raise
    except (*PARSE_ERRORS, OSError) as exc:  # OSError: seeking outside the file
        raise MalformedInputError(f"cannot read the PDF: {exc}") from exc
    return writer


_MANAGED_TRAILER_KEYS = frozenset(
    {"/Root", "/Info", "/Encrypt", "/ID", "/Size", "/Prev", "/XRefStm", "/Length", "/Filter"}
)


def _null_dangling_trailer_references(writer: IncrementalPdfFileWriter) -> None:
    """Rewrite extra trailer entries that point at objects the file does not
    have. Such a reference means null (ISO 32000-1 §7.3.10), but copied into our
    trailer it would point at the first object *we* add, and pyHanko's
    difference analysis fails on it (seen in real files: DSS's pades-bes.pdf
    trailer has ``/AdditionalStreams [... 45 0 R]`` with ``/Size 45``)."""
    xrefs = writer.prev.xrefs
    trailer = writer.prev.trailer.flatten()

    def clean(value: generic.PdfObject, depth: int = 0) -> tuple[generic.PdfObject, bool]:
        if isinstance(value, generic.IndirectObject):
            try:
                xrefs.get_introducing_revision(value.reference)
            except KeyError:
                return generic.NullObject(), True
            return value, False
        if depth > 8:
            return value, False
        if isinstance(value, generic.ArrayObject):
            items = [clean(v, depth + 1) for v in value]
            if any(changed for _, changed in items):
                return generic.ArrayObject(v for v, _ in items), True
        elif isinstance(value, generic.DictionaryObject):
            entries = {k: clean(v, depth + 1) for k, v in value.items()}
            if any(changed for _, changed in entries.values()):
                return dictionary({k: v for k, (v, _) in entries.items()}), True
        return value, False

    for key, value in trailer.items():
        if key in _MANAGED_TRAILER_KEYS:
            continue
        cleaned, changed = clean(value)
        if changed:
            writer.set_custom_trailer_entry(generic.NameObject(key), cleaned)


def _unlock(writer: IncrementalPdfFileWriter, password: str | None) -> None:
    handler = writer.prev.security_handler
    if isinstance(handler, PubKeySecurityHandler):
        raise SigningError(
            "the PDF is encrypted for certificate holders; vnsign signs only "
            "password-protected PDFs"
        )
    if password is None:
        # Documents with only an owner password open with an empty user password.
        result = writer.encrypt(b"")  # type: ignore[no-untyped-call]
        if result.status is AuthStatus.FAILED:
            raise SigningError("the PDF is encrypted; give its password to sign it")
    else:
        result = writer.encrypt(password.encode("utf-8"))  # type: ignore[no-untyped-call]
        if result.status is AuthStatus.FAILED:
            raise SigningError("wrong password for the encrypted PDF")
    if result.status is AuthStatus.USER:
        allowed = result.permission_flags
        if isinstance(allowed, StandardPermissions) and not allowed & _SIGNING_ALLOWED:
            raise SigningError("the PDF's permissions forbid signing it; give the owner password")


@dataclass(frozen=True)
class SignatureRecord:
    """A signature already in the document, as far as safety checks need."""

    field_name: str
    is_timestamp: bool
    docmdp: int | None
    """DocMDP permission this signature imposes (1 = no changes), if any."""
    locked_fields: tuple[str, ...] | None
    """Fields locked by this signature; ``None`` when it locks none, ``()`` for all."""
    lock_exclude: bool = False
    """``locked_fields`` lists the fields *not* locked."""
    certifies: bool = False
    """Whether this is the document's certification signature (DocMDP)."""

    def locks(self, name: str) -> bool:
        """Whether this signature locks the field ``name``."""
        if self.locked_fields is None:
            return False
        if self.lock_exclude:
            return name not in self.locked_fields
        return not self.locked_fields or name in self.locked_fields


@dataclass(frozen=True)
class DocumentState:
    """The signatures and empty signature fields of a document."""

    signatures: tuple[SignatureRecord, ...]
    empty_fields: tuple[str, ...]
    all_field_names: frozenset[str]

    @property
    def certification_level(self) -> int | None:
        """DocMDP permission of the document's certification, if it is certified."""
        levels = [s.docmdp for s in self.signatures if s.certifies and s.docmdp is not None]
        return min(levels) if levels else None

    @property
    def approval_signatures(self) -> tuple[SignatureRecord, ...]:
        """Signatures that are not document time stamps."""
        return tuple(s for s in self.signatures if not s.is_timestamp)

    def check_document(self, *, role: Role, certify: bool, force: bool) -> None:
        """Raise :class:`SigningError` when any new signature would break an
        existing one, or Decree 30's order."""
        for sig in self.signatures:
            if sig.docmdp == 1:
                raise SigningError(
                    f"signature {sig.field_name!r} allows no changes to the document "
                    "(DocMDP P=1); a new signature would invalidate it"
                )
        if certify and self.signatures:
            raise SigningError(
                "a certification (DocMDP) signature must be the first signature of a document"
            )
        if role is Role.ORGANIZATION and not self.approval_signatures and not force:
            raise SigningError(
                "the agency signature is applied after the competent person has signed "
                "(ND30-SIGN-ORDER); this document has no signature yet (use force to sign anyway)"
            )

    def check_field(self, field_name: str | None, *, visible: bool, force: bool) -> None:
        """Raise :class:`SigningError` when signing into ``field_name`` (``None``:
        a new field) would break an existing signature."""
        if field_name is not None:
            for sig in self.signatures:
                if sig.locks(field_name):
                    raise SigningError(
                        f"signature {sig.field_name!r} locks the field {field_name!r}; "
                        "signing it would invalidate that signature"
                    )
            return
        certification = self.certification_level
        if visible and certification is not None and not force:
            raise SigningError(
                f"the document is certified (DocMDP P={certification}); a new visible "
                "signature field would break the certification for strict validators. "
                "Sign into an empty field the certifier reserved, sign invisibly, or force"
            )


def inspect_document(writer: IncrementalPdfFileWriter) -> DocumentState:
    """Read the signatures and signature fields of the document being signed."""
    try:
        return _inspect(writer)
    except PARSE_ERRORS as exc:
        raise MalformedInputError(f"the PDF's form fields are unreadable: {exc}") from exc


def _inspect(writer: IncrementalPdfFileWriter) -> DocumentState:
    records: list[SignatureRecord] = []
    empty: list[str] = []
    names: set[str] = set()
    for name, value, field in _all_sig_fields(writer):
        names.add(name)
        if value is None:
            empty.append(name)
            continue
        if not isinstance(value, generic.DictionaryObject):
            continue
        records.append(_record(name, value, field))
    cert_level = _catalog_docmdp(writer)
    if cert_level is not None and not any(r.certifies for r in records):
        records.append(SignatureRecord("(certification)", False, cert_level, None, certifies=True))
    return DocumentState(tuple(records), tuple(empty), frozenset(names))


def _all_sig_fields(
    writer: IncrementalPdfFileWriter,
) -> Iterator[tuple[str, generic.PdfObject | None, generic.DictionaryObject]]:
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        return
    found = enumerate_fields_in(  # type: ignore[no-untyped-call]
        fields, refs_seen=set(), target_field_type="/Sig"
    )
    for name, value, ref in found:
        yield name, (value.get_object() if value is not None else None), ref.get_object()


def _record(
    name: str, value: generic.DictionaryObject, field: generic.DictionaryObject
) -> SignatureRecord:
    is_timestamp = (
        value.get("/Type") == "/DocTimeStamp" or value.get("/SubFilter") == "/ETSI.RFC3161"
    )
    docmdp: int | None = None
    locked: tuple[str, ...] | None = None
    exclude = certifies = False
    for ref in value.get("/Reference", ()):
        ref = ref.get_object()
        method = ref.get("/TransformMethod")
        params = ref.get("/TransformParams", dictionary()).get_object()
        if method == "/DocMDP":
            docmdp = _min(docmdp, int(params.get("/P", 2)))
            certifies = True
        elif method == "/FieldMDP":
            if "/P" in params:
                docmdp = _min(docmdp, int(params["/P"]))
            action = params.get("/Action")
            field_names = tuple(str(f) for f in params.get("/Fields", ()))
            if action == "/All":
                locked = ()
            elif action == "/Include":
                locked = field_names
            elif action == "/Exclude":
                locked, exclude = field_names, True
    # A signed field's lock dictionary applies too (PDF 2.0 adds /P to it).
    lock = field.get("/Lock")
    if lock is not None:
        lock = lock.get_object()
        if "/P" in lock:
            docmdp = _min(docmdp, int(lock["/P"]))
        if locked is None and lock.get("/Action") == "/All":
            locked = ()
    return SignatureRecord(name, is_timestamp, docmdp, locked, exclude, certifies)


def _catalog_docmdp(writer: IncrementalPdfFileWriter) -> int | None:
    try:
        sig = writer.root["/Perms"]["/DocMDP"]
    except KeyError:
        return None
    level: int | None = None
    for ref in sig.get("/Reference", ()):
        ref = ref.get_object()
        if ref.get("/TransformMethod") == "/DocMDP":
            params = ref.get("/TransformParams", dictionary()).get_object()
            level = _min(level, int(params.get("/P", 2)))
    return level


def _min(current: int | None, new: int) -> int:
    return new if current is None else min(current, new)
