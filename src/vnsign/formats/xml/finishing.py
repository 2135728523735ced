"""Putting the ``SignatureValue`` into a prepared XML signature.

Finishing is a local edit plus checks: the ``SignedInfo`` in the document is
canonicalized again and must have the digest that was signed; the value must
verify with the certificate's key over exactly those bytes; only then is it
written, followed by the XAdES B-T time stamp and B-LT values when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from vnsign.errors import MalformedInputError, SigningError, VnsignError
from vnsign.formats.xml.algorithms import DigestMethod
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.keyinfo import b64
from vnsign.formats.xml.namespaces import DS, XADES
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml, serialize
from vnsign.formats.xml.pending import PendingSignature, PreparedXml
from vnsign.formats.xml.signature_values import der_to_raw, verify_value
from vnsign.formats.xml.xades import add_unsigned_properties
from vnsign.pki.credentials import Credential, KeyKind

__all__ = ["PreparedTree", "finish_in_tree", "finish_xml", "sign_pending", "sign_prepared"]


def sign_pending(credential: Credential, pending: PendingSignature) -> bytes:
    """``credential``'s signature over ``pending.digest`` (RSA raw, ECDSA DER)."""
    try:
        return credential.sign_digest(pending.digest, pending.hash_algorithm, scheme=pending.scheme)
    except VnsignError:
        raise
    except (ValueError, TypeError) as exc:
        raise SigningError(f"the credential could not sign: {exc}") from exc


def finish_in_tree(signature: etree._Element, pending: PendingSignature, value: bytes) -> None:
    """Check ``value`` against the certificate and the exact ``SignedInfo`` of
    ``signature``, write it, then add the XAdES unsigned properties asked for."""
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    value_element = signature.find(f"{{{DS}}}SignatureValue")
    if signed_info is None or value_element is None:
        raise MalformedInputError(
            f"the prepared signature {pending.signature_id} has no SignedInfo or SignatureValue"
        )
    if value_element.text or len(value_element):
        raise SigningError(f"the signature {pending.signature_id} already has a value")
    canonical = canonicalize(signed_info, pending.c14n)
    if DigestMethod.for_hash(pending.hash_algorithm).compute(canonical) != pending.digest:
        raise MalformedInputError(
            f"the SignedInfo of {pending.signature_id} is not the one that was prepared "
            "(the prepared document changed)"
        )
    raw = _xml_value(pending, value)
    key = pending.certificate.public_key()
    if not verify_value(pending.signature_method, key, canonical, raw):  # type: ignore[arg-type]
        raise SigningError(
            "the signature value does not verify with its certificate over the prepared SignedInfo"
        )
    value_element.text = b64(raw)
    if pending.xades is None:
        return
    qualifying = next(
        (
            obj
            for obj in signature.iterfind(f"{{{DS}}}Object")
            if obj.find(f"{{{XADES}}}QualifyingProperties") is not None
        ),
        None,
    )
    if qualifying is None:
        raise MalformedInputError(
            f"the prepared signature {pending.signature_id} has no XAdES QualifyingProperties"
        )
    add_unsigned_properties(
        signature=signature,
        qualifying_object=qualifying,
        options=pending.xades,
        c14n=pending.c14n,
        key_info_certificates=pending.key_info_certificates,
        chain=pending.chain,
    )


def _xml_value(pending: PendingSignature, value: bytes) -> bytes:
    # XMLDSig writes ECDSA as r || s; credentials and remote signers give DER.
    if pending.key_kind is not KeyKind.ECDSA:
        return value
    try:
        return der_to_raw(value, pending.certificate.public_key())  # type: ignore[arg-type]
    except ValueError as exc:
        raise SigningError(f"a malformed ECDSA signature value: {exc}") from exc


def finish_xml(prepared: PreparedXml, value: bytes) -> bytes:
    """The prepared document with ``value`` in its Signature (see :func:`finish_in_tree`)."""
    # The prepared document is a little larger than the input the limits were for.
    limits = ParseLimits(max_bytes=max(DEFAULT_LIMITS.max_bytes, len(prepared.document)))
    tree = parse_xml(prepared.document, limits=limits, what="prepared XML document")
    wanted = prepared.signature.signature_id
    found = [s for s in tree.iter(f"{{{DS}}}Signature") if s.get("Id") == wanted]
    if len(found) != 1:
        raise MalformedInputError(
            f"the prepared document has {len(found)} signatures with the Id {wanted!r}, not one"
        )
    finish_in_tree(found[0], prepared.signature, value)
    return serialize(tree)


def sign_prepared(prepared: PreparedXml, credential: Credential) -> bytes:
    """Finish ``prepared`` with ``credential`` at once."""
    return finish_xml(prepared, sign_pending(credential, prepared.signature))


@dataclass(frozen=True)
class PreparedTree:
    """A prepared signature still in its parsed document: :meth:`prepared` writes
    it down for finishing later, :meth:`sign` finishes it at once, in place (the
    one-shot signers, without a second parse)."""

    tree: etree._ElementTree
    signature: etree._Element
    pending: PendingSignature

    def prepared(self) -> PreparedXml:
        """The document as bytes, with what finishing needs."""
        return PreparedXml(serialize(self.tree), self.pending)

    def finish(self, credential: Credential) -> None:
        """Sign with ``credential`` and finish the Signature in place."""
        finish_in_tree(self.signature, self.pending, sign_pending(credential, self.pending))

    def sign(self, credential: Credential) -> bytes:
        """:meth:`finish`, then the document as bytes."""
        self.finish(credential)
        return serialize(self.tree)
