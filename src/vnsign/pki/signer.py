"""A pyHanko :class:`~pyhanko.sign.signers.pdf_cms.Signer` over any vnsign credential,
so the same credential makes PAdES and CAdES signatures."""

from __future__ import annotations

import hashlib

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

import vnsign._pyhanko_speedups  # noqa: F401 - faster pyHanko, same answers
from vnsign.pki.credentials import (
    Credential,
    KeyKind,
    SignatureScheme,
    parse_hash_algorithm,
)

__all__ = ["CredentialSigner"]


class CredentialSigner(Signer):
    """Signs CMS signed attributes with ``credential.sign_digest``.

    pyHanko asks for a "dry run" signature to size the signature container;
    this signer answers with zero bytes of the exact maximum size instead of
    signing twice, which matters for tokens and remote signers (one PIN prompt,
    one phone confirmation) and halves the work for keys in memory.
    """

    def __init__(
        self,
        credential: Credential,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        embed_roots: bool = True,
    ) -> None:
        self.credential = credential
        self.scheme = scheme if credential.key_kind is KeyKind.RSA else SignatureScheme.PKCS1V15
        signing_cert = asn1_x509.Certificate.load(credential.certificate.public_bytes(Encoding.DER))
        registry = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in credential.chain]
        )
        super().__init__(
            prefer_pss=self.scheme is SignatureScheme.PSS,
            embed_roots=embed_roots,
            signing_cert=signing_cert,
            cert_registry=registry,
        )

    def get_signature_mechanism_for_digest(
        self, digest_algorithm: str | None
    ) -> algos.SignedDigestAlgorithm:
        """PSS with salt length = digest length (what :meth:`sign_digest` uses);
        otherwise pyHanko's choice from the certificate's key."""
        if self.scheme is SignatureScheme.PSS and digest_algorithm is not None:
            digest = parse_hash_algorithm(digest_algorithm)
            return algos.SignedDigestAlgorithm(
                {
                    "algorithm": "rsassa_pss",
                    "parameters": algos.RSASSAPSSParams(
                        {
                            "hash_algorithm": {"algorithm": digest.value},
                            "mask_gen_algorithm": {
                                "algorithm": "mgf1",
                                "parameters": {"algorithm": digest.value},
                            },
                            "salt_length": digest.digest_size,
                        }
                    ),
                }
            )
        mechanism: algos.SignedDigestAlgorithm = super().get_signature_mechanism_for_digest(
            digest_algorithm
        )
        return mechanism

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        """Hash ``data`` and have the credential sign the digest."""
        if dry_run:
            return bytes(self.max_signature_size)
        algorithm = parse_hash_algorithm(digest_algorithm)
        digest = hashlib.new(algorithm.value, data).digest()
        return self.credential.sign_digest(digest, algorithm, scheme=self.scheme)

    @property
    def max_signature_size(self) -> int:
        """The largest signature value the key can produce, in bytes."""
        size = (self.credential.key_size + 7) // 8
        if self.credential.key_kind is KeyKind.RSA:
            return size
        # DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, each up to size + 1 bytes
        return 2 * (size + 1 + 2) + 3
