"""OBS-EINVOICE-ENVELOPED-OBJECT, narrowed: the .NET reading of an enveloped-signature
transform on a reference into the Signature is accepted only for what e-invoices do
(an Object of the same Signature holding SignatureProperties/SignatureProperty/
SigningTime, referenced by Id), and can never make anything else pass as signed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from einvoice_helpers import invoice_xml, resign
from lxml import etree

from vnsign.formats.einvoice import InvoiceRole, sign_invoice, verify_invoice
from vnsign.formats.xml import (
    FindingStatus,
    ReferenceQuirk,
    ReferenceStatus,
    XmlSignatureResult,
    parse_xml,
)
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.verification import verify_xml
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
NOT_ACCEPTED = "accepted only for an Object holding SignatureProperties"


def _ds(local: str) -> str:
    return f"{{{DS}}}{local}"


def _transforms(reference: etree._Element, *algorithms: str) -> None:
    """Give ``reference`` exactly these transforms."""
    old = reference.find(_ds("Transforms"))
    if old is not None:
        reference.remove(old)
    transforms = etree.Element(_ds("Transforms"))
    for algorithm in algorithms:
        etree.SubElement(transforms, _ds("Transform")).set("Algorithm", algorithm)
    reference.insert(0, transforms)


def _time_reference(signature: etree._Element) -> etree._Element:
    return signature.find(_ds("SignedInfo")).findall(_ds("Reference"))[1]


def enveloped_on_signing_time(signature: etree._Element) -> None:
    """What .NET e-invoice signers write: the enveloped transform on the Object reference."""
    _transforms(_time_reference(signature), ENVELOPED)


def _add_reference(signature: etree._Element, uri: str, *transforms: str) -> None:
    reference = etree.SubElement(signature.find(_ds("SignedInfo")), _ds("Reference"), URI=uri)
    _transforms(reference, *transforms)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=SHA256)
    etree.SubElement(reference, _ds("DigestValue"))


def _signed(seller: KeyCredential) -> bytes:
    return sign_invoice(invoice_xml(), seller)


def _quirky(signed: bytes, pki: TestPKI, mutate: Callable[[etree._Element], None]) -> bytes:
    """``signed`` changed by ``mutate`` and re-signed with .NET digests for every
    reference, as a .NET signer holding the seller's key would."""
    return resign(signed, pki.organization.private_key, mutate, dotnet_enveloped=True)


def _seller(data: bytes) -> tuple[XmlSignatureResult, etree._ElementTree]:
    result = verify_xml(data)
    return result.signatures[0], result.tree


# -- the real pattern -----------------------------------------------------------------------


def test_the_real_pattern_is_accepted_and_its_signing_time_is_signed(
    seller: KeyCredential, vn_pki: TestPKI
) -> None:
    quirky = _quirky(_signed(seller), vn_pki, enveloped_on_signing_time)
    signature, tree = _seller(quirky)
    assert signature.valid, signature.problems
    reference = signature.references[1]
    assert reference.quirk is ReferenceQuirk.DOTNET_ENVELOPED_OBJECT
    assert not reference.emptied_by_enveloped
    assert "OBS-EINVOICE-ENVELOPED-OBJECT" in reference.message
    assert reference.element is not None and reference.element.tag == _ds("Object")
    signing_time = tree.find(".//SigningTime")
    assert signature.signing_time is not None and signature.signing_time.signed
    # the Object's content is what was signed, and covers() says so ...
    assert signature.covers(signing_time)
    assert reference.element in signature.signed_elements
    # ... and nothing else of the Signature
    assert not signature.covers(signature.element.find(_ds("KeyInfo")))
    assert not signature.covers(signature.element.find(_ds("SignedInfo")))
    assert signature.covers(tree.find("DLHDon/NDHDon/NBan/MST"))
    report = verify_invoice(quirky)
    assert report.valid, report.failures()
    statuses = [
        f.status for f in report.all_findings if f.rule_id == "OBS-EINVOICE-ENVELOPED-OBJECT"
    ]
    assert statuses == [FindingStatus.INFO]


@pytest.mark.parametrize("namespace", ["", DS, "http://example.gov.vn/hoadon"])
def test_signing_time_in_another_namespace_is_still_the_pattern(
    seller: KeyCredential, vn_pki: TestPKI, namespace: str
) -> None:
    def rename(signature: etree._Element) -> None:
        enveloped_on_signing_time(signature)
        properties = signature.find(f"{_ds('Object')}/SignatureProperties")
        if namespace == DS:  # XMLDSig's own SignatureProperties, as some signers write it
            properties.tag = _ds("SignatureProperties")
            properties[0].tag = _ds("SignatureProperty")
        else:
            properties.find("SignatureProperty/SigningTime").tag = (
                f"{{{namespace}}}SigningTime" if namespace else "SigningTime"
            )

    signature, _ = _seller(_quirky(_signed(seller), vn_pki, rename))
    assert signature.valid, signature.problems
    assert signature.references[1].quirk is ReferenceQuirk.DOTNET_ENVELOPED_OBJECT


def test_the_strict_reading_signs_nothing(seller: KeyCredential, vn_pki: TestPKI) -> None:
    # xmlsec1/Santuario semantics: the digest of nothing. It matches, but signs nothing.
    strict = resign(_signed(seller), vn_pki.organization.private_key, enveloped_on_signing_time)
    signature, tree = _seller(strict)
    reference = signature.references[1]
    assert reference.status is ReferenceStatus.VALID and reference.quirk is None
    assert reference.emptied_by_enveloped and reference.signed_data == b""
    assert "signed" in reference.message and "none of it" in reference.message
    assert signature.valid  # mathematically: every digest and the value hold
    assert not signature.covers(tree.find(".//SigningTime"))
    assert reference.element not in signature.signed_elements
    assert signature.signing_time is not None and not signature.signing_time.signed
    report = verify_invoice(strict)
    assert any(
        f.rule_id == "EINV-SIGNINGTIME"
        and f.status is FindingStatus.WARNING
        and "not covered" in f.message
        for f in report.all_findings
    )


# -- anything else keeps the strict reading ------------------------------------------------


def _object_with(content: str) -> Callable[[etree._Element], None]:
    """Replace the SigningTime Object's content, keep the enveloped transform on it."""

    def mutate(signature: etree._Element) -> None:
        obj = signature.find(_ds("Object"))
        for child in list(obj):
            obj.remove(child)
        obj.text = None
        wrapper = etree.fromstring(f"<w>{content}</w>")
        obj.text = wrapper.text
        for child in wrapper:
            obj.append(child)
        enveloped_on_signing_time(signature)

    return mutate


NOT_THE_PATTERN = {
    # a copy of the invoice data in the Signature (a wrapping attempt)
    "invoice-copy": '<DLHDon Id="copy"><NDHDon><NBan><MST>0999999999</MST></NBan></NDHDon></DLHDon>',
    "other-property": (
        "<SignatureProperties><SignatureProperty><SigningTime>2025-05-01T08:00:00</SigningTime>"
        "<SoTien>999999999</SoTien></SignatureProperty></SignatureProperties>"
    ),
    "text-beside": (
        "<SignatureProperties>Tổng tiền 999999999<SignatureProperty>"
        "<SigningTime>2025-05-01T08:00:00</SigningTime></SignatureProperty></SignatureProperties>"
    ),
    "two-blocks": (
        "<SignatureProperties><SignatureProperty><SigningTime>2025-05-01T08:00:00</SigningTime>"
        "</SignatureProperty></SignatureProperties><Extra>dữ liệu</Extra>"
    ),
    "processing-instruction": (
        "<SignatureProperties><?du-lieu 999999999?><SignatureProperty>"
        "<SigningTime>2025-05-01T08:00:00</SigningTime></SignatureProperty></SignatureProperties>"
    ),
    "no-signing-time": (
        "<SignatureProperties><SignatureProperty><Ghi>chú</Ghi></SignatureProperty>"
        "</SignatureProperties>"
    ),
    "nested-time": (
        "<SignatureProperties><SignatureProperty><SigningTime><Gio>08:00</Gio></SigningTime>"
        "</SignatureProperty></SignatureProperties>"
    ),
}


@pytest.mark.parametrize("name", sorted(NOT_THE_PATTERN))
def test_an_object_with_other_content_is_not_accepted_through_the_quirk(
    seller: KeyCredential, vn_pki: TestPKI, name: str
) -> None:
    quirky = _quirky(_signed(seller), vn_pki, _object_with(NOT_THE_PATTERN[name]))
    signature, tree = _seller(quirky)
    reference = signature.references[1]
    assert reference.quirk is None
    assert reference.status is ReferenceStatus.DIGEST_MISMATCH
    assert NOT_ACCEPTED in reference.message
    assert not signature.valid
    # covers() cannot be fooled: nothing in the Object, nor anything else, counts as signed
    for element in reference.element.iter():
        assert not signature.covers(element)
    assert not signature.covers(tree.find("DLHDon"))
    assert not verify_invoice(quirky).valid


def _with_id(local: str, value: str) -> Callable[[etree._Element], None]:
    def mutate(signature: etree._Element) -> None:
        signature.find(_ds(local)).set("Id", value)
        _add_reference(signature, f"#{value}", ENVELOPED)

    return mutate


@pytest.mark.parametrize("local", ["KeyInfo", "SignedInfo"])
def test_a_reference_to_keyinfo_or_signedinfo_is_not_accepted_through_the_quirk(
    seller: KeyCredential, vn_pki: TestPKI, local: str
) -> None:
    quirky = _quirky(_signed(seller), vn_pki, _with_id(local, f"{local}-1"))
    signature, _ = _seller(quirky)
    reference = signature.references[-1]
    assert reference.quirk is None and reference.status is ReferenceStatus.DIGEST_MISMATCH
    assert NOT_ACCEPTED in reference.message  # the .NET reading was not even tried
    assert not signature.valid
    target = signature.element.find(_ds(local))
    assert not any(signature.covers(e) for e in target.iter())


def test_the_pattern_referenced_by_xpointer_is_not_accepted(
    seller: KeyCredential, vn_pki: TestPKI
) -> None:
    def by_xpointer(signature: etree._Element) -> None:
        reference = _time_reference(signature)
        reference.set("URI", f"#xpointer(id('{signature.find(_ds('Object')).get('Id')}'))")
        _transforms(reference, ENVELOPED)

    signature, _ = _seller(_quirky(_signed(seller), vn_pki, by_xpointer))
    reference = signature.references[1]
    assert reference.quirk is None and not reference.digest_ok
    assert NOT_ACCEPTED in reference.message
    assert not signature.valid


def test_an_object_of_another_signature_is_not_the_quirk(
    seller: KeyCredential, buyer: KeyCredential, vn_pki: TestPKI
) -> None:
    # the seller's reference into the buyer's SigningTime Object is not inside the
    # seller's own Signature: the enveloped transform removes nothing there, no quirk
    both = sign_invoice(sign_invoice(invoice_xml(), buyer, InvoiceRole.BUYER), seller)
    tree = parse_xml(both)
    buyer_object = tree.find(f"DSCKS/NMua/{_ds('Signature')}/{_ds('Object')}")
    buyer_object_id = buyer_object.get("Id")

    def point_at_buyer(signature: etree._Element) -> None:
        _add_reference(signature, f"#{buyer_object_id}", ENVELOPED)

    seller_index = [s.getparent().tag for s in tree.iter(_ds("Signature"))].index("NBan")
    changed = resign(
        both,
        vn_pki.organization.private_key,
        point_at_buyer,
        dotnet_enveloped=True,
        signature_index=seller_index,
    )
    result = verify_xml(changed)
    signature = next(s for s in result.signatures if s.path.endswith("NBan/Signature"))
    reference = signature.references[-1]
    assert reference.quirk is None and reference.digest_ok and not reference.emptied_by_enveloped
    assert signature.valid
