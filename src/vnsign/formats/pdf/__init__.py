"""PDF signing: PAdES B-B to B-LTA with the signature forms of Decree 30/2020.

::

    from vnsign.formats.pdf import sign_pdf, Nd30Appearance, SignatureImage

    sign_pdf(
        "quyet-dinh.pdf", "quyet-dinh.signed.pdf", credential,
        role="person", level="B-T", timestamp="http://tsa.example.vn",
        appearance=Nd30Appearance(image=SignatureImage.from_file("chu-ky.png")),
    )

Signing happens in two steps that can be separated by a remote signer's
confirmation, even in another process: :class:`PdfPreparer` (everything up to
the value, as an explicit :class:`PendingPdfSignature`) and
:mod:`vnsign.formats.pdf.finishing`; deferred remote signing with every form and
level is :mod:`vnsign.formats.pdf.deferred`.

See ``docs/pdf.md``.
"""

from vnsign.formats.pdf.extend import extend_pdf
from vnsign.formats.pdf.fonts import Font, FontStyle
from vnsign.formats.pdf.options import (
    INVISIBLE,
    Appearance,
    CopyForm,
    CustomAppearance,
    DocMdpPermission,
    FieldLock,
    InvisibleAppearance,
    LockAction,
    Nd30Appearance,
    PadesLevel,
    Role,
    SignatureImage,
    SignOptions,
    SubFilter,
)
from vnsign.formats.pdf.pending import PendingPdfSignature
from vnsign.formats.pdf.placement import (
    Box,
    ExistingField,
    NearText,
    OnPage,
    OverSignature,
    Placement,
    Side,
    SignerBlock,
    TopRight,
    Unit,
)
from vnsign.formats.pdf.preparing import PdfPreparation, PdfPreparer
from vnsign.formats.pdf.results import BatchItem, ExtendedPdf, SignedPdf
from vnsign.formats.pdf.signing import (
    PdfSigningService,
    SignJob,
    default_placement,
    sign_many,
    sign_pdf,
)
from vnsign.formats.pdf.signing_time import VIETNAM_TIME, format_vietnam_time
from vnsign.formats.pdf.validation_data import RevocationData

__all__ = [
    "INVISIBLE",
    "VIETNAM_TIME",
    "Appearance",
    "BatchItem",
    "Box",
    "CopyForm",
    "CustomAppearance",
    "DocMdpPermission",
    "ExistingField",
    "ExtendedPdf",
    "FieldLock",
    "Font",
    "FontStyle",
    "InvisibleAppearance",
    "LockAction",
    "Nd30Appearance",
    "NearText",
    "OnPage",
    "OverSignature",
    "PadesLevel",
    "PdfPreparation",
    "PdfPreparer",
    "PdfSigningService",
    "PendingPdfSignature",
    "Placement",
    "RevocationData",
    "Role",
    "Side",
    "SignJob",
    "SignOptions",
    "SignatureImage",
    "SignedPdf",
    "SignerBlock",
    "SubFilter",
    "TopRight",
    "Unit",
    "default_placement",
    "extend_pdf",
    "format_vietnam_time",
    "sign_many",
    "sign_pdf",
]
