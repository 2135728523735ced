"""vnsign: sign Vietnamese e-documents and verify them before they are exchanged.

The names most programs need are here; each loads its stack (pyHanko, lxml ...)
on first use, so ``import vnsign`` stays light::

    import vnsign

    credential = vnsign.load_credential("signer.p12", password)
    vnsign.sign_pdf("quyet-dinh.pdf", "quyet-dinh.signed.pdf", credential, role="person")
    report = vnsign.Verifier("nd30").verify("quyet-dinh.signed.pdf")
    report.verdict, report.summary.vi

(``verify()`` itself is ``vnsign.verify.verify``: ``vnsign.verify`` is its package.)
The packages :mod:`vnsign.pki`, :mod:`vnsign.formats` and :mod:`vnsign.verify`
hold the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vnsign._version import __version__
from vnsign.errors import VnsignError

if TYPE_CHECKING:  # explicit re-exports for type checkers; at run time __getattr__ loads them
    from vnsign.formats.einvoice import sign_invoice as sign_invoice
    from vnsign.formats.einvoice import verify_invoice as verify_invoice
    from vnsign.formats.pdf import sign_pdf as sign_pdf
    from vnsign.formats.xml import sign_enveloped as sign_enveloped
    from vnsign.pki.credentials import load_credential as load_credential
    from vnsign.verify import Report as Report
    from vnsign.verify import Verdict as Verdict
    from vnsign.verify import Verifier as Verifier

_WHERE = {
    "load_credential": "vnsign.pki.credentials",
    "sign_pdf": "vnsign.formats.pdf",
    "sign_enveloped": "vnsign.formats.xml",
    "sign_invoice": "vnsign.formats.einvoice",
    "verify_invoice": "vnsign.formats.einvoice",
    "Verifier": "vnsign.verify",
    "Report": "vnsign.verify",
    "Verdict": "vnsign.verify",
}

__all__ = ["VnsignError", "__version__", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'vnsign' has no attribute {name!r}")
