"""What a PDF signature should be: role, PAdES level, appearance and the
signature-dictionary options. Plain frozen values; nothing here touches a file."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from vnsign.errors import InputError
from vnsign.formats.pdf.fonts import Font
from vnsign.pki.credentials import HashAlgorithm

__all__ = [
    "INVISIBLE",
    "Appearance",
    "CopyForm",
    "CustomAppearance",
    "DocMdpPermission",
    "FieldLock",
    "InvisibleAppearance",
    "LockAction",
    "Nd30Appearance",
    "PadesLevel",
    "Role",
    "SignOptions",
    "SignatureImage",
    "SubFilter",
]


class Role(enum.StrEnum):
    """Who signs, in the sense of Decree 30/2020 Appendix I."""

    PERSON = "person"
    """The competent person (ô 7c): blue handwritten-signature image (ND30-SIG-PERSON-IMG)."""
    ORGANIZATION = "organization"
    """The issuing agency on the main document (ô 8): red seal image over the left third
    of the person's signature (ND30-SIG-ORG-IMG), after the person (ND30-SIGN-ORDER)."""
    ATTACHMENT = "attachment"
    """The agency on an attachment or appendix in a separate file: text only, top right
    of page 1, document number and signing time (ND30-SIG-ATTACH-SEPFILE)."""
    COPY = "copy"
    """The agency on an electronic copy (ô 14): text only, top right of page 1, form of
    copy, copying agency and signing time (ND30-COPY-SIG)."""


class PadesLevel(enum.StrEnum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"
    """Signature only."""
    B_T = "B-T"
    """Plus an RFC 3161 signature time stamp."""
    B_LT = "B-LT"
    """Plus the certificates, OCSP responses and CRLs needed to validate it, in the DSS."""
    B_LTA = "B-LTA"
    """Plus a document time stamp over all of that."""

    @property
    def rank(self) -> int:
        """0 for B-B up to 3 for B-LTA."""
        return list(PadesLevel).index(self)

    @property
    def needs_timestamp(self) -> bool:
        """Whether a time-stamping authority is needed to reach this level."""
        return self.rank >= PadesLevel.B_T.rank

    @property
    def needs_validation_data(self) -> bool:
        """Whether revocation data (and trust roots to find it) are needed."""
        return self.rank >= PadesLevel.B_LT.rank

    @classmethod
    def parse(cls, value: PadesLevel | str) -> PadesLevel:
        """``"B-LT"``, ``"b_lt"``, ``"lt"`` ... as a level."""
        if isinstance(value, PadesLevel):
            return value
        key = str(value).upper().replace("_", "-").removeprefix("PADES-")
        if not key.startswith("B-"):
            key = "B-" + key
        try:
            return cls(key)
        except ValueError:
            raise InputError(
                f"unknown PAdES level {value!r}; use B-B, B-T, B-LT or B-LTA"
            ) from None


class CopyForm(enum.StrEnum):
    """Forms of copy (ND30-COPY-FORMS), as printed on the copy."""

    SAO_Y = "SAO Y"
    SAO_LUC = "SAO LỤC"
    TRICH_SAO = "TRÍCH SAO"


class SubFilter(enum.StrEnum):
    """The signature format in the PDF."""

    PADES = "ETSI.CAdES.detached"
    """PAdES (ETSI EN 319 142-1), the default. The claimed signing time is ``/M``."""
    PKCS7 = "adbe.pkcs7.detached"
    """What many Vietnamese tools still write (OBS-SUBFILTER); the claimed time is
    also the CMS ``signingTime`` attribute. Only B-B and B-T are PAdES levels here."""


class DocMdpPermission(enum.IntEnum):
    """What a certification signature (DocMDP) still allows."""

    NO_CHANGES = 1
    FILL_FORMS = 2
    """Forms and further signatures: the Decree 30 sequence (OBS-CERTIFY-THEN-SEAL)."""
    ANNOTATE = 3


class LockAction(enum.StrEnum):
    """Which form fields a signature locks (FieldMDP)."""

    ALL = "all"
    INCLUDE = "include"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class FieldLock:
    """Lock form fields once this signature is made (FieldMDP)."""

    action: LockAction = LockAction.ALL
    fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.action is not LockAction.ALL and not self.fields:
            raise InputError(f"a FieldLock with action {self.action} needs field names")


@dataclass(frozen=True)
class SignatureImage:
    """A PNG (or any image Pillow reads) for the appearance: the handwritten
    signature of a person or the seal of an agency.

    The printed size is ``width_mm``/``height_mm`` when given (one is enough, the
    other follows the aspect ratio), else the image's own resolution (PNG pHYs).
    A seal must appear at its real size (ND30-SIG-ORG-IMG).
    """

    data: bytes = field(repr=False)
    width_mm: float | None = None
    height_mm: float | None = None

    def __post_init__(self) -> None:
        for value in (self.width_mm, self.height_mm):
            if value is not None and not 0 < value <= 500:
                raise InputError(f"image size {value} mm is out of range (0, 500]")

    @classmethod
    def from_file(
        cls, path: str | Path, *, width_mm: float | None = None, height_mm: float | None = None
    ) -> SignatureImage:
        """Read an image file."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read image {path}: {exc.strerror or exc}") from exc
        return cls(data, width_mm=width_mm, height_mm=height_mm)


FontChoice = Font | str | Path | None
"""A :class:`~vnsign.formats.pdf.fonts.Font`, the path of a TrueType file, or
``None`` for the bundled Tinos (Times New Roman metrics)."""


@dataclass(frozen=True)
class Nd30Appearance:
    """The Decree 30 appearance of the signature's role.

    * person: ``image`` (blue handwritten signature, transparent PNG), no text
      (ND30-SIG-PERSON-NOTEXT);
    * organization: ``image`` (red seal, transparent PNG, real size), no text
      (ND30-SIG-ORG-NOTEXT);
    * attachment: ``document_number`` (số và ký hiệu of the main document) and the
      signing time, Times New Roman 10, black;
    * copy: ``copy_form``, ``agency`` (default: the certificate's organisation)
      and the signing time, Times New Roman 10, black.

    ``text_block=True`` adds the repealed TT 01/2019-style block (signer,
    agency, signing time) beside a person or seal image.
    """

    image: SignatureImage | None = None
    document_number: str | None = None
    copy_form: CopyForm = CopyForm.SAO_Y
    agency: str | None = None
    text_block: bool = False
    font: FontChoice = None


@dataclass(frozen=True)
class InvisibleAppearance:
    """No widget on any page; the signature shows only in signature panels."""


INVISIBLE = InvisibleAppearance()
"""The invisible appearance."""


@dataclass(frozen=True)
class CustomAppearance:
    """A free-form appearance: text lines, optionally with an image on their left.

    Lines may use ``{time}`` (ISO 8601, +07:00), ``{signer}`` and ``{organization}``
    (from the certificate).
    """

    lines: tuple[str, ...] = ("{signer}", "{time}")
    image: SignatureImage | None = None
    font: FontChoice = None
    font_size: float = 10.0
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    border: bool = False

    def __post_init__(self) -> None:
        if not 2 <= self.font_size <= 72:
            raise InputError(f"font size {self.font_size} is out of range [2, 72]")
        if not all(0 <= c <= 1 for c in self.color) or len(self.color) != 3:
            raise InputError("color is an RGB triple of numbers between 0 and 1")


Appearance = Nd30Appearance | InvisibleAppearance | CustomAppearance
"""What a signature shows."""


@dataclass(frozen=True)
class SignOptions:
    """Signature-dictionary and safety options, shared by every role.

    ``signing_time`` fixes the claimed time (default: now). ``force`` allows an
    organisation signature on a document no person has signed yet
    (ND30-SIGN-ORDER), and a new visible field on a certified document.
    ``check_images=False`` accepts images that do not look like Decree 30 asks
    (blue signature, red seal, transparent background).

    ``reserve_seal_mm`` (a person's visible signature only) also adds an empty
    signature field of that size over the left third of the person's signature,
    where the agency's seal goes (ND30-SIG-ORG-IMG): a person who certifies the
    document (``certify``) must reserve it, since a certified document may only
    be signed in existing fields.
    """

    field_name: str | None = None
    reason: str | None = None
    location: str | None = None
    contact_info: str | None = None
    certify: DocMdpPermission | None = None
    lock: FieldLock | None = None
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256
    subfilter: SubFilter = SubFilter.PADES
    signing_time: datetime | None = None
    force: bool = False
    check_images: bool = True
    reserve_seal_mm: float | None = None

    def __post_init__(self) -> None:
        if self.reserve_seal_mm is not None and not 5 <= self.reserve_seal_mm <= 100:
            raise InputError("reserve_seal_mm is the seal's diameter: 5 to 100 mm")
