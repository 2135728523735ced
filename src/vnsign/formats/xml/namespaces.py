"""XML namespaces used by XMLDSig, XAdES and the Vietnamese profiles."""

from __future__ import annotations

from typing import Final

__all__ = [
    "DS",
    "DSIG11",
    "DSIG_MORE",
    "EXC_C14N",
    "NSMAP",
    "XADES",
    "XADES141",
    "XML",
    "ds",
    "xades",
]

DS: Final = "http://www.w3.org/2000/09/xmldsig#"
DSIG11: Final = "http://www.w3.org/2009/xmldsig11#"
DSIG_MORE: Final = "http://www.w3.org/2007/05/xmldsig-more#"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
XADES: Final = "http://uri.etsi.org/01903/v1.3.2#"
XADES141: Final = "http://uri.etsi.org/01903/v1.4.1#"
XML: Final = "http://www.w3.org/XML/1998/namespace"

#: Prefixes for XPath queries in this package.
NSMAP: Final = {"ds": DS, "dsig11": DSIG11, "xades": XADES, "xades141": XADES141, "ec": EXC_C14N}


def ds(local: str) -> str:
    """The Clark-notation tag ``{DS}local``."""
    return f"{{{DS}}}{local}"


def xades(local: str) -> str:
    """The Clark-notation tag ``{XAdES 1.3.2}local``."""
    return f"{{{XADES}}}{local}"
