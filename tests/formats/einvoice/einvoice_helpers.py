"""Helpers for the e-invoice tests (imported, not collected): a TT 78-style
invoice and a re-signer that reproduces how other software signs."""

from __future__ import annotations

import base64
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from vnsign.formats.einvoice.samples import SAMPLE_SELLER_MST, sample_invoice
from vnsign.formats.xml.algorithms import C14nMethod
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.parsing import parse_xml
from vnsign.formats.xml.references import digest_input, read_transforms

SELLER_MST = SAMPLE_SELLER_MST
invoice_xml = sample_invoice


def resign(
    signed: bytes,
    key: rsa.RSAPrivateKey,
    mutate: Callable[[etree._Element], None],
    *,
    dotnet_enveloped: bool = False,
    signature_index: int = 0,
) -> bytes:
    """Change one signature with ``mutate``, then recompute its digests and value
    the way another signer would (``dotnet_enveloped``: .NET SignedXml semantics
    for an enveloped transform on the signature's own Object)."""
    tree = parse_xml(signed)
    signature = tree.findall(f".//{{{DS}}}Signature")[signature_index]
    mutate(signature)
    ids = IdIndex(tree)
    info = signature.find(f"{{{DS}}}SignedInfo")
    for reference in info.iterfind(f"{{{DS}}}Reference"):
        data = digest_input(
            reference.get("URI"),
            read_transforms(reference),
            tree=tree,
            ids=ids,
            signature=signature,
            dotnet_enveloped=dotnet_enveloped,
        )
        method = reference.find(f"{{{DS}}}DigestMethod").get("Algorithm")
        algorithm = hashes.SHA1() if method.endswith("#sha1") else hashes.SHA256()
        digest = hashes.Hash(algorithm)
        digest.update(data.data)
        reference.find(f"{{{DS}}}DigestValue").text = base64.b64encode(digest.finalize()).decode()
    signature_method = info.find(f"{{{DS}}}SignatureMethod").get("Algorithm")
    algorithm = hashes.SHA1() if signature_method.endswith("#rsa-sha1") else hashes.SHA256()
    value = key.sign(canonicalize(info, C14nMethod.INCLUSIVE), padding.PKCS1v15(), algorithm)
    signature.find(f"{{{DS}}}SignatureValue").text = base64.b64encode(value).decode()
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
