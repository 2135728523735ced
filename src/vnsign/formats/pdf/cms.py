"""The CMS signer behind PDF signatures, and the size of the hole it needs.

:class:`PdfCmsSigner` is :class:`~vnsign.pki.signer.CredentialSigner` with the
parts of the CMS ``SignedData`` that depend only on the credential built once:
the signer identifier, the ``signing-certificate-v2`` attribute and the
certificate set. pyHanko rebuilds them for every signature from Python values,
which costs more than the RSA signature itself when signing many small PDFs.

:func:`reserved_size` sizes ``/Contents`` from a dry-run CMS made with the real
certificate chain, the real time-stamp token (one real request to the TSA, then
cached) and the real revocation data, so the signature never overflows after a
remote signer has already approved it.

The signer needs only the certificate side of a credential
(:class:`SignerCertificate`): it builds signed attributes, sizes containers and
assembles the CMS around a signature value made elsewhere (the credential's
``sign_digest``, or a remote signer's approved value, see
:meth:`PdfCmsSigner.async_assemble`), so the same code serves signing now and
signing later.
"""

from __future__ import annotations

from typing import Any, Protocol

from asn1crypto import algos, cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.attributes import (
    AdobeRevinfoProvider,
    CMSAlgorithmProtectionProvider,
    CMSAttributeProvider,
    SigningTimeProvider,
)
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, format_signed_attributes
from pyhanko.sign.timestamps.api import TimeStamper

from vnsign.errors import SigningError
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.signer import CredentialSigner

__all__ = ["PdfCmsSigner", "SignerCertificate", "reserved_size"]

# A time-stamp token differs between requests (serial number, time, nonce,
# the TSA's choice of certificates); leave this much room beyond the sample.
_TOKEN_MARGIN = 1024


class _FixedAttribute(CMSAttributeProvider):
    def __init__(self, attribute_type: str, der: bytes) -> None:
        self.attribute_type = attribute_type
        self._der = der

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return cms.CMSAttribute.load(self._der)


class SignerCertificate(Protocol):
    """The certificate side of a signer: what a PDF signature is prepared with.
    A :class:`~vnsign.pki.credentials.Credential` is one, and so is a remote
    signer's account (:class:`~vnsign.pki.remote.model.RemoteAccount`)."""

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate."""
        ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The issuers of :attr:`certificate`, nearest first."""
        ...

    @property
    def key_kind(self) -> KeyKind:
        """RSA or ECDSA."""
        ...

    @property
    def key_size(self) -> int:
        """Key size in bits (curve size for ECDSA)."""
        ...


class _CertificateOnly:
    """A credential view of a :class:`SignerCertificate` that cannot sign: the
    CMS signer only sizes containers and assembles values made elsewhere."""

    def __init__(self, holder: SignerCertificate) -> None:
        self.certificate = holder.certificate
        self.chain = tuple(holder.chain)
        self.key_kind = holder.key_kind
        self.key_size = holder.key_size

    def sign_digest(
        self,
        digest: bytes,
        hash_algorithm: HashAlgorithm | str,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> bytes:
        raise SigningError("the CMS assembler holds no key; the value is made by the signer")


class PdfCmsSigner(CredentialSigner):
    """A pyHanko signer for a :class:`SignerCertificate` that caches its CMS parts.

    Produces the same ``SignedData`` as pyHanko would: ``signing-certificate-v2``
    always; ``signingTime``, ``CMSAlgorithmProtection`` and Adobe revocation data
    only for ``adbe.pkcs7.detached`` (PAdES forbids ``signingTime``, ETSI EN 319
    142-1 §5.4).
    """

    def __init__(
        self,
        signer: SignerCertificate,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        embed_roots: bool = True,
    ) -> None:
        super().__init__(_CertificateOnly(signer), scheme=scheme, embed_roots=embed_roots)
        cert = self.signing_cert
        assert cert is not None
        self._sid_der = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": cert.issuer, "serial_number": cert.serial_number}
                )
            }
        ).dump()
        self._ess_der = simple_cms_attribute(  # type: ignore[no-untyped-call]
            "signing_certificate_v2", as_signing_certificate_v2(cert)
        ).dump()
        chain = [c for c in self.cert_registry if embed_roots or c.self_signed == "no"]
        self._certificates_der = cms.CertificateSet(
            [cms.CertificateChoices(name="certificate", value=c) for c in (*chain, cert)]
        ).dump()
        self._mechanisms: dict[str, bytes] = {}

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: PdfCMSSignedAttributes | None = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: TimeStamper | None = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        """The signed attributes, with the credential's parts from the cache."""
        settings = attr_settings or PdfCMSSignedAttributes()
        if self.signed_attr_prov_spec is not None or settings.cades_signed_attrs or not is_pdf_sig:
            attrs: cms.CMSAttributes = await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings=settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
            return attrs
        providers: list[CMSAttributeProvider] = [
            _FixedAttribute("signing_certificate_v2", self._ess_der)
        ]
        if not use_pades:
            if settings.signing_time is not None:
                providers.append(SigningTimeProvider(timestamp=settings.signing_time))
            providers.append(
                CMSAlgorithmProtectionProvider(
                    digest_algo=digest_algorithm,
                    signature_algo=self.get_signature_mechanism_for_digest(digest_algorithm),
                )
            )
            if isinstance(settings, PdfCMSSignedAttributes) and settings.adobe_revinfo_attr:
                providers.append(AdobeRevinfoProvider(value=settings.adobe_revinfo_attr))
        result: cms.CMSAttributes = await format_signed_attributes(
            data_digest, attr_provs=providers, content_type=content_type, dry_run=dry_run
        )
        return result

    async def async_assemble(
        self,
        digest_algorithm: str,
        signed_attrs: cms.CMSAttributes,
        signature: bytes,
        *,
        timestamper: TimeStamper | None = None,
    ) -> cms.ContentInfo:
        """The ``SignedData`` around ``signature``, a value over ``signed_attrs``
        made elsewhere, with its unsigned attributes (the signature time stamp
        from ``timestamper``): what pyHanko's ``async_sign_prescribed_attributes``
        makes once it has signed."""
        digest_algorithm = digest_algorithm.lower()
        self._check_digest_algorithm(digest_algorithm)
        unsigned = await self.unsigned_attrs(
            digest_algorithm, signature, signed_attrs=signed_attrs, timestamper=timestamper
        )
        return self._package_signature(
            digest_algorithm=digest_algorithm,
            cms_version="v4" if self.attribute_certs else "v1",
            signed_attrs=signed_attrs,
            signature=signature,
            unsigned_attrs=unsigned,
            encap_content_info={"content_type": "data"},
        )

    def get_signature_mechanism_for_digest(
        self, digest_algorithm: str | None
    ) -> algos.SignedDigestAlgorithm:
        """pyHanko's choice (or PSS), cached per digest algorithm."""
        key = digest_algorithm or ""
        der = self._mechanisms.get(key)
        if der is None:
            der = super().get_signature_mechanism_for_digest(digest_algorithm).dump()
            self._mechanisms[key] = der
        return algos.SignedDigestAlgorithm.load(der)

    def signer_info(
        self, digest_algorithm: str, signed_attrs: cms.CMSAttributes, signature: bytes
    ) -> cms.SignerInfo:
        """The ``SignerInfo``, with the cached signer identifier."""
        return cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(self._sid_der),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest_algorithm}),
                "signature_algorithm": self.get_signature_mechanism_for_digest(digest_algorithm),
                "signed_attrs": signed_attrs,
                "signature": signature,
            }
        )

    def _package_signature(
        self,
        *,
        digest_algorithm: str,
        cms_version: Any,
        signed_attrs: cms.CMSAttributes,
        signature: bytes,
        unsigned_attrs: cms.CMSAttributes | None,
        encap_content_info: Any,
    ) -> cms.ContentInfo:
        # Same structure as pyHanko's Signer._package_signature, certificates cached.
        if self.attribute_certs:
            packaged: cms.ContentInfo = super()._package_signature(
                digest_algorithm=digest_algorithm,
                cms_version=cms_version,
                signed_attrs=signed_attrs,
                signature=signature,
                unsigned_attrs=unsigned_attrs,
                encap_content_info=encap_content_info,
            )
            return packaged
        signer_info = self.signer_info(digest_algorithm, signed_attrs, signature)
        if unsigned_attrs is not None:
            signer_info["unsigned_attrs"] = unsigned_attrs
        signed_data = cms.SignedData(
            {
                "version": cms_version,
                "digest_algorithms": cms.DigestAlgorithms((signer_info["digest_algorithm"],)),
                "encap_content_info": encap_content_info or {"content_type": "data"},
                "certificates": cms.CertificateSet.load(self._certificates_der),
                "signer_infos": [signer_info],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})


async def reserved_size(
    signer: PdfCmsSigner,
    *,
    md_algorithm: str,
    use_pades: bool,
    signed_attrs: PdfCMSSignedAttributes,
    timestamper: TimeStamper | None,
) -> int:
    """Bytes to reserve for ``/Contents`` (hexadecimal, so twice the DER size).

    The dry run signs nothing (see :class:`CredentialSigner`); with a time stamper
    it embeds a real token from the TSA, fetched once and cached by pyHanko.
    """
    empty_digest = hashes.Hash(getattr(hashes, md_algorithm.upper())()).finalize()
    sample = await signer.async_sign(
        empty_digest,
        md_algorithm,
        use_pades=use_pades,
        dry_run=True,
        timestamper=timestamper,
        signed_attr_settings=signed_attrs,
    )
    size = len(sample.dump())
    if timestamper is not None:
        size += _TOKEN_MARGIN
    return 2 * size
