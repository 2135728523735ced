"""Algorithm identifiers of XMLDSig (RFC 3275, XMLDSig 1.1, RFC 6931) that vnsign
knows, and what each one means for signing and verification.

New signatures use SHA-256/384/512 with RSA (PKCS#1 v1.5 or PSS) or ECDSA
(STD-TT15-CRYPTO). SHA-1 and DSA are only ever *verified*, for old documents
(OBS-SHA1-LEGACY), and every use of SHA-1 is flagged ``weak``.
"""

from __future__ import annotations

import enum
import hashlib

from cryptography.hazmat.primitives import hashes

from vnsign.errors import SigningError
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme

__all__ = [
    "C14nMethod",
    "DigestMethod",
    "SignatureMethod",
    "TransformMethod",
    "digest",
]

_DSIG = "http://www.w3.org/2000/09/xmldsig#"
_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_ENC = "http://www.w3.org/2001/04/xmlenc#"
_MORE07 = "http://www.w3.org/2007/05/xmldsig-more#"

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def digest(hash_name: str, data: bytes) -> bytes:
    """``hash_name`` (``"sha256"``, ...) of ``data``."""
    return hashlib.new(hash_name, data).digest()


class C14nMethod(enum.StrEnum):
    """Canonicalization algorithms (all computed by libxml2 through lxml)."""

    INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    INCLUSIVE_WITH_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"
    EXCLUSIVE_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
    #: C14N 1.1 differs from 1.0 only in how ``xml:`` attributes of ancestors of a
    #: document subset are inherited; lxml inherits none for either, so both agree.
    INCLUSIVE_11 = "http://www.w3.org/2006/12/xml-c14n11"
    INCLUSIVE_11_WITH_COMMENTS = "http://www.w3.org/2006/12/xml-c14n11#WithComments"

    @property
    def exclusive(self) -> bool:
        """Whether this is Exclusive XML Canonicalization."""
        return self in {C14nMethod.EXCLUSIVE, C14nMethod.EXCLUSIVE_WITH_COMMENTS}

    @property
    def with_comments(self) -> bool:
        """Whether comments are kept."""
        return self.value.endswith("#WithComments")

    @classmethod
    def parse(cls, uri: str | None) -> C14nMethod | None:
        """The method for ``uri``, or ``None`` if it is not a canonicalization URI."""
        try:
            return cls(uri or "")
        except ValueError:
            return None


class DigestMethod(enum.StrEnum):
    """Digest algorithms for ``ds:DigestMethod``."""

    SHA1 = _DSIG + "sha1"
    SHA224 = _MORE + "sha224"
    SHA256 = _ENC + "sha256"
    SHA384 = _MORE + "sha384"
    SHA512 = _ENC + "sha512"

    @property
    def hash_name(self) -> str:
        """``"sha1"``, ``"sha256"``, ... (also the asn1crypto name)."""
        return self.name.lower()

    @property
    def weak(self) -> bool:
        """SHA-1: accepted only to verify old documents (OBS-SHA1-LEGACY)."""
        return self is DigestMethod.SHA1

    def compute(self, data: bytes) -> bytes:
        """The digest of ``data``."""
        return digest(self.hash_name, data)

    @classmethod
    def for_hash(cls, algorithm: HashAlgorithm) -> DigestMethod:
        """The ``DigestMethod`` for a signing hash algorithm."""
        return cls[algorithm.name]

    @classmethod
    def parse(cls, uri: str | None) -> DigestMethod | None:
        """The method for ``uri``, or ``None`` when unknown."""
        try:
            return cls(uri or "")
        except ValueError:
            return None


class SignatureMethod(enum.StrEnum):
    """Signature algorithms for ``ds:SignatureMethod``."""

    RSA_SHA1 = _DSIG + "rsa-sha1"
    RSA_SHA224 = _MORE + "rsa-sha224"
    RSA_SHA256 = _MORE + "rsa-sha256"
    RSA_SHA384 = _MORE + "rsa-sha384"
    RSA_SHA512 = _MORE + "rsa-sha512"
    RSA_PSS_SHA224 = _MORE07 + "sha224-rsa-MGF1"
    RSA_PSS_SHA256 = _MORE07 + "sha256-rsa-MGF1"
    RSA_PSS_SHA384 = _MORE07 + "sha384-rsa-MGF1"
    RSA_PSS_SHA512 = _MORE07 + "sha512-rsa-MGF1"
    ECDSA_SHA1 = _MORE + "ecdsa-sha1"
    ECDSA_SHA224 = _MORE + "ecdsa-sha224"
    ECDSA_SHA256 = _MORE + "ecdsa-sha256"
    ECDSA_SHA384 = _MORE + "ecdsa-sha384"
    ECDSA_SHA512 = _MORE + "ecdsa-sha512"
    DSA_SHA1 = _DSIG + "dsa-sha1"
    DSA_SHA256 = "http://www.w3.org/2009/xmldsig11#dsa-sha256"

    @property
    def key_type(self) -> str:
        """``"rsa"``, ``"rsa-pss"``, ``"ecdsa"`` or ``"dsa"``."""
        family = self.name.rsplit("_", 1)[0]
        return {"RSA": "rsa", "RSA_PSS": "rsa-pss", "ECDSA": "ecdsa", "DSA": "dsa"}[family]

    @property
    def hash_name(self) -> str:
        """The hash inside the algorithm: ``"sha256"``, ..."""
        return self.name.rsplit("_", 1)[1].lower()

    @property
    def hash(self) -> hashes.HashAlgorithm:
        """The ``cryptography`` hash object."""
        return _HASHES[self.hash_name]()

    @property
    def weak(self) -> bool:
        """Uses SHA-1: accepted only to verify old documents (OBS-SHA1-LEGACY)."""
        return self.hash_name == "sha1"

    @classmethod
    def parse(cls, uri: str | None) -> SignatureMethod | None:
        """The method for ``uri``, or ``None`` when unknown (HMAC, MD5, ...)."""
        try:
            return cls(uri or "")
        except ValueError:
            return None

    @classmethod
    def for_signing(
        cls, key_kind: KeyKind, algorithm: HashAlgorithm, scheme: SignatureScheme
    ) -> SignatureMethod:
        """The method a credential of ``key_kind`` signs with."""
        suffix = algorithm.name  # SHA256, SHA384, SHA512
        if key_kind is KeyKind.ECDSA:
            return cls[f"ECDSA_{suffix}"]
        if key_kind is KeyKind.RSA:
            return cls[f"RSA_PSS_{suffix}" if scheme is SignatureScheme.PSS else f"RSA_{suffix}"]
        raise SigningError(f"vnsign cannot make XML signatures with a {key_kind} key")


class TransformMethod(enum.StrEnum):
    """Reference transforms other than canonicalization."""

    ENVELOPED_SIGNATURE = _DSIG + "enveloped-signature"
    BASE64 = _DSIG + "base64"
    XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
    XPATH_FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
    XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"
