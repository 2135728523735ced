"""XMLDSig signing: enveloped, enveloping and detached, optionally XAdES.

Signing is two steps that may run in different processes:

* **prepare** (:func:`prepare_enveloped`, :func:`prepare_enveloping`,
  :func:`prepare_detached`, or :func:`prepare_in_tree` for the profiles) builds
  the Signature — references, KeyInfo, XAdES signed properties — inserts it
  into the document *before* digests are computed, so every canonicalization
  sees the namespace context the verifier will see, and canonicalizes
  ``SignedInfo``. It returns a :class:`~vnsign.formats.xml.pending.PreparedXml`:
  the document with an empty ``SignatureValue`` and the digest to sign;
* **finish** (:func:`~vnsign.formats.xml.finishing.finish_xml`) checks a value
  against the certificate and that exact ``SignedInfo``, writes it, and adds the
  XAdES B-T / B-LT properties.

The one-shot :func:`sign_enveloped`, :func:`sign_enveloping` and
:func:`sign_detached` prepare, ask :meth:`Credential.sign_digest
<vnsign.pki.credentials.Credential.sign_digest>` for the value (a key in memory,
a PKCS#11 token or a remote signer) and finish. Claimed signing times (XAdES
``SigningTime``) are fixed when the signature is prepared.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from cryptography import x509
from lxml import etree

from vnsign.errors import InputError, SigningError
from vnsign.formats.xml.algorithms import (
    C14nMethod,
    DigestMethod,
    SignatureMethod,
    TransformMethod,
)
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.finishing import PreparedTree
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.keyinfo import append_key_info, b64, subject_name_text
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml
from vnsign.formats.xml.pending import PendingSignature, PreparedXml
from vnsign.formats.xml.references import DereferenceError, TransformStep, digest_input
from vnsign.formats.xml.xades import (
    SIGNED_PROPERTIES_TYPE,
    XadesOptions,
    build_qualifying_properties,
)
from vnsign.pki.credentials import Credential, HashAlgorithm, KeyKind, SignatureScheme

__all__ = [
    "ReferenceSpec",
    "SignerCertificate",
    "XmlSignOptions",
    "new_id",
    "prepare_detached",
    "prepare_enveloped",
    "prepare_enveloping",
    "prepare_in_tree",
    "sign_detached",
    "sign_enveloped",
    "sign_enveloping",
    "sign_in_tree",
]


class SignerCertificate(Protocol):
    """Whom a signature is prepared for: the certificate, its issuers and the key
    type. A :class:`~vnsign.pki.credentials.Credential` is one, and so is a remote
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


def new_id(prefix: str) -> str:
    """A fresh XML ID such as ``Signature-3f2a...``."""
    return f"{prefix}-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class ReferenceSpec:
    """A reference to create.

    ``uri`` is ``""`` (the whole document) or ``"#Id"``; ``transforms`` defaults
    to the enveloped-signature transform plus the signature's canonicalization
    when that is not inclusive C14N 1.0 (which applies anyway).
    """

    uri: str
    transforms: tuple[str, ...] | None = None
    id: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class XmlSignOptions:
    """How to sign an XML document."""

    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256
    scheme: SignatureScheme = SignatureScheme.PKCS1V15
    #: CanonicalizationMethod of SignedInfo (EINV-C14N: inclusive C14N 1.0).
    c14n: C14nMethod = C14nMethod.INCLUSIVE
    #: What to sign (enveloped): ``"#Id"`` strings or :class:`ReferenceSpec`; empty
    #: means the whole document (``URI=""``).
    references: tuple[ReferenceSpec | str, ...] = ()
    #: Enveloped: the element to put the Signature into (an empty ``ds:Signature``
    #: is replaced). Default: the single empty ``ds:Signature`` placeholder if there
    #: is one, else the document element.
    xpath: str | None = None
    namespaces: Mapping[str, str] = field(default_factory=dict)
    signature_id: str | None = None
    #: Prefix for the XMLDSig namespace; None makes it the default namespace.
    prefix: str | None = "ds"
    #: Write ``X509SubjectName`` next to the certificate (EINV-KEYINFO).
    subject_name: bool = True
    #: Also put the issuers' certificates into KeyInfo.
    include_chain: bool = False
    xades: XadesOptions | None = None
    limits: ParseLimits = DEFAULT_LIMITS


def _specs(references: Sequence[ReferenceSpec | str], c14n: C14nMethod) -> list[ReferenceSpec]:
    specs = [r if isinstance(r, ReferenceSpec) else ReferenceSpec(r) for r in references]
    default = (TransformMethod.ENVELOPED_SIGNATURE.value,) + (
        () if c14n is C14nMethod.INCLUSIVE else (c14n.value,)
    )
    return [
        s if s.transforms is not None else ReferenceSpec(s.uri, default, s.id, s.type)
        for s in specs
    ]


def prepare_in_tree(
    signer: SignerCertificate,
    options: XmlSignOptions,
    *,
    references: Sequence[ReferenceSpec],
    place: Callable[[etree._Element], etree._ElementTree],
    add_objects: Callable[[etree._Element], None] | None = None,
    external: Mapping[str, bytes] | None = None,
) -> PreparedTree:
    """Build a Signature with an empty ``SignatureValue``, let ``place`` put it
    into its document (returning the tree), compute the references and the
    digest of the canonical ``SignedInfo``. References without explicit
    transforms get the defaults of :class:`ReferenceSpec`. ``add_objects`` may
    append ``ds:Object`` elements before anything is digested. Used by the
    profiles (e-invoice, edXML) to control placement and content exactly.
    """
    method = SignatureMethod.for_signing(signer.key_kind, options.hash_algorithm, options.scheme)
    digest_method = DigestMethod.for_hash(options.hash_algorithm)
    certificate = signer.certificate
    signature_id = options.signature_id or new_id("Signature")
    signature = etree.Element(f"{{{DS}}}Signature", nsmap={options.prefix: DS})
    signature.set("Id", signature_id)
    signed_info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{DS}}}CanonicalizationMethod").set("Algorithm", options.c14n)
    etree.SubElement(signed_info, f"{{{DS}}}SignatureMethod").set("Algorithm", method)
    specs = _specs(references, options.c14n)
    xades = options.xades
    if xades is not None:
        specs = [
            s if s.id else ReferenceSpec(s.uri, s.transforms, new_id("Reference"), s.type)
            for s in specs
        ]
    etree.SubElement(signature, f"{{{DS}}}SignatureValue")
    append_key_info(
        signature,
        certificate,
        signer.chain if options.include_chain else (),
        subject_name=subject_name_text(certificate) if options.subject_name else None,
    )
    if add_objects is not None:
        add_objects(signature)
    if xades is not None:
        properties_id = f"{signature_id}-SignedProperties"
        build_qualifying_properties(
            signature,
            signature_id=signature_id,
            signed_properties_id=properties_id,
            certificate=certificate,
            digest_method=digest_method,
            options=xades,
            data_reference_ids=[s.id for s in specs if s.id],
        )
        specs.append(
            ReferenceSpec(f"#{properties_id}", (options.c14n.value,), None, SIGNED_PROPERTIES_TYPE)
        )
    digest_values = [_reference_element(signed_info, spec, digest_method) for spec in specs]
    tree = place(signature)
    ids = IdIndex(tree)
    for own in [signature_id, *(s.id for s in specs if s.id)]:
        if len(ids.lookup(own)) > 1:
            raise SigningError(f"the ID {own!r} already exists in the document; choose another")
    for spec, digest_value in zip(specs, digest_values, strict=True):
        try:
            data = digest_input(
                spec.uri,
                [TransformStep(t) for t in spec.transforms or ()],
                tree=tree,
                ids=ids,
                signature=signature,
                external=external,
                limits=options.limits,
            )
        except DereferenceError as exc:
            raise SigningError(f"cannot sign the reference {spec.uri!r}: {exc.message}") from exc
        digest_value.text = b64(digest_method.compute(data.data))
    pending = PendingSignature(
        signature_id=signature_id,
        digest=digest_method.compute(canonicalize(signed_info, options.c14n)),
        hash_algorithm=options.hash_algorithm,
        scheme=options.scheme,
        signature_method=method,
        c14n=options.c14n,
        certificate=certificate,
        chain=signer.chain,
        key_info_chain=options.include_chain,
        xades=xades,
    )
    return PreparedTree(tree, signature, pending)


def sign_in_tree(
    credential: Credential,
    options: XmlSignOptions,
    *,
    references: Sequence[ReferenceSpec],
    place: Callable[[etree._Element], etree._ElementTree],
    add_objects: Callable[[etree._Element], None] | None = None,
    external: Mapping[str, bytes] | None = None,
) -> etree._Element:
    """:func:`prepare_in_tree`, then sign with ``credential`` and finish in
    place; returns the Signature element (the tree is ``place``'s)."""
    prepared = prepare_in_tree(
        credential,
        options,
        references=references,
        place=place,
        add_objects=add_objects,
        external=external,
    )
    prepared.finish(credential)
    return prepared.signature


def _reference_element(
    signed_info: etree._Element, spec: ReferenceSpec, digest_method: DigestMethod
) -> etree._Element:
    reference = etree.SubElement(signed_info, f"{{{DS}}}Reference")
    if spec.id:
        reference.set("Id", spec.id)
    if spec.type:
        reference.set("Type", spec.type)
    reference.set("URI", spec.uri)
    if spec.transforms:
        transforms = etree.SubElement(reference, f"{{{DS}}}Transforms")
        for uri in spec.transforms:
            etree.SubElement(transforms, f"{{{DS}}}Transform").set("Algorithm", uri)
    etree.SubElement(reference, f"{{{DS}}}DigestMethod").set("Algorithm", digest_method)
    return etree.SubElement(reference, f"{{{DS}}}DigestValue")


def _is_placeholder(element: etree._Element) -> bool:
    return element.tag == f"{{{DS}}}Signature" and len(element) == 0


def _enveloped_target(tree: etree._ElementTree, options: XmlSignOptions) -> etree._Element:
    """The element the Signature goes into, or the empty placeholder it replaces."""
    if options.xpath:
        try:
            found = tree.xpath(options.xpath, namespaces=dict(options.namespaces))
        except (etree.XPathError, TypeError, ValueError) as exc:
            raise InputError(f"invalid XPath {options.xpath!r}: {exc}") from exc
        elements = (
            [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []
        )
        if len(elements) != 1:
            raise SigningError(
                f"the XPath {options.xpath!r} selects {len(elements)} elements; it must select one"
            )
        target = elements[0]
    else:
        placeholders = [e for e in tree.iter(f"{{{DS}}}Signature") if _is_placeholder(e)]
        if len(placeholders) > 1:
            raise SigningError(
                f"the document has {len(placeholders)} empty ds:Signature placeholders; "
                "choose one with an XPath"
            )
        target = placeholders[0] if placeholders else tree.getroot()
    return target


def _enveloped_place(
    tree: etree._ElementTree, target: etree._Element
) -> Callable[[etree._Element], etree._ElementTree]:
    def place(signature: etree._Element) -> etree._ElementTree:
        if _is_placeholder(target):
            parent = target.getparent()
            if parent is None:
                raise SigningError("the placeholder cannot be the document element")
            signature.tail = target.tail
            parent.replace(target, signature)
        else:
            target.append(signature)
        return tree

    return place


def prepare_enveloped(
    xml: bytes, signer: SignerCertificate, options: XmlSignOptions | None = None
) -> PreparedXml:
    """Prepare an enveloped signature (see :func:`sign_enveloped`) for ``signer``;
    finish it with :func:`~vnsign.formats.xml.finishing.finish_xml`."""
    return _enveloped(xml, signer, options).prepared()


def _enveloped(
    xml: bytes, signer: SignerCertificate, options: XmlSignOptions | None
) -> PreparedTree:
    options = options or XmlSignOptions()
    tree = parse_xml(xml, limits=options.limits)
    references = _specs(options.references or ("",), options.c14n)
    target = _enveloped_target(tree, options)
    lent = target.get("Id") if _is_placeholder(target) else None
    if lent and not options.signature_id:
        # the placeholder lends its Id from the start, so XAdES's Target names it
        options = replace(options, signature_id=lent)
    return prepare_in_tree(
        signer, options, references=references, place=_enveloped_place(tree, target)
    )


def sign_enveloped(
    xml: bytes, credential: Credential, options: XmlSignOptions | None = None
) -> bytes:
    """``xml`` with an enveloped signature added (the input bytes are not modified).

    By default the whole document is signed (``URI=""`` with the
    enveloped-signature transform); ``options.references`` signs elements by ID.
    """
    return _enveloped(xml, credential, options).sign(credential)


def prepare_enveloping(
    content: bytes,
    signer: SignerCertificate,
    options: XmlSignOptions | None = None,
    *,
    mime_type: str | None = None,
) -> PreparedXml:
    """Prepare an enveloping signature (see :func:`sign_enveloping`) for ``signer``."""
    return _enveloping(content, signer, options, mime_type).prepared()


def _enveloping(
    content: bytes, signer: SignerCertificate, options: XmlSignOptions | None, mime_type: str | None
) -> PreparedTree:
    options = options or XmlSignOptions()
    object_id = new_id("Object")
    try:
        payload: etree._Element | None = parse_xml(content, limits=options.limits).getroot()
    except InputError:
        payload = None
    transforms: tuple[str, ...] = (
        (options.c14n.value,) if payload is not None else (TransformMethod.BASE64.value,)
    )

    def add_object(signature: etree._Element) -> None:
        obj = etree.SubElement(signature, f"{{{DS}}}Object")
        obj.set("Id", object_id)
        if mime_type:
            obj.set("MimeType", mime_type)
        if payload is not None:
            obj.append(payload)
        else:
            obj.set("Encoding", TransformMethod.BASE64.value)
            obj.text = b64(content)

    return prepare_in_tree(
        signer,
        options,
        references=[ReferenceSpec(f"#{object_id}", transforms)],
        place=lambda sig: etree.ElementTree(sig),
        add_objects=add_object,
    )


def sign_enveloping(
    content: bytes,
    credential: Credential,
    options: XmlSignOptions | None = None,
    *,
    mime_type: str | None = None,
) -> bytes:
    """A Signature document whose ``ds:Object`` holds ``content``: the XML itself if
    it is XML, else its base64 text (signed through the base64 transform)."""
    return _enveloping(content, credential, options, mime_type).sign(credential)


def prepare_detached(
    content: bytes,
    uri: str,
    signer: SignerCertificate,
    options: XmlSignOptions | None = None,
) -> PreparedXml:
    """Prepare a detached signature (see :func:`sign_detached`) for ``signer``."""
    return _detached(content, uri, signer, options).prepared()


def _detached(
    content: bytes, uri: str, signer: SignerCertificate, options: XmlSignOptions | None
) -> PreparedTree:
    if not uri or uri.startswith("#"):
        raise InputError("a detached signature names its data with a URI such as 'invoice.pdf'")
    options = options or XmlSignOptions()
    return prepare_in_tree(
        signer,
        options,
        references=[ReferenceSpec(uri, ())],
        place=lambda sig: etree.ElementTree(sig),
        external={uri: content},
    )


def sign_detached(
    content: bytes,
    uri: str,
    credential: Credential,
    options: XmlSignOptions | None = None,
) -> bytes:
    """A Signature document over external ``content`` named ``uri`` (a file name
    or URL); verify it with ``verify_xml(signature, external={uri: content})``."""
    return _detached(content, uri, credential, options).sign(credential)
