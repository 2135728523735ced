"""``ds:KeyInfo``: reading the keys and certificates a signature names, and
writing the X509Data vnsign signs with.

Reading is lenient (OBS-EINVOICE-TRAITS: odd subject-name spellings, organisation
CNs longer than RFC 5280 allows); what cannot be read is reported as a problem,
not raised.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from cryptography.x509.oid import NameOID
from lxml import etree

from vnsign.formats.xml.namespaces import DS, DSIG11
from vnsign.formats.xml.parsing import text_value

__all__ = [
    "KeyInfoContent",
    "PublicKey",
    "append_key_info",
    "b64",
    "load_certificate",
    "read_key_info",
    "subject_name_text",
]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | dsa.DSAPublicKey

_NAME_OVERRIDES = {
    NameOID.USER_ID: "UID",
    NameOID.EMAIL_ADDRESS: "E",
    NameOID.TITLE: "T",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
}


def b64(data: bytes) -> str:
    """Base64 without line breaks (what e-invoice signers write)."""
    return base64.b64encode(data).decode("ascii")


def load_certificate(der: bytes) -> x509.Certificate:
    """A DER certificate whose names are readable (cryptography parses lazily, so
    they are read here once: a damaged certificate fails now, not later)."""
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.subject.rfc4514_string()
        cert.issuer.rfc4514_string()
    except (x509.InvalidVersion, TypeError) as exc:
        raise ValueError(f"not a readable X.509 certificate: {exc}") from exc
    return cert


def subject_name_text(certificate: x509.Certificate) -> str:
    """The certificate's subject as RFC 4514 text, with the short names
    Vietnamese documents use (``UID=MST:...``, ``T=``, ``E=``)."""
    return certificate.subject.rfc4514_string(_NAME_OVERRIDES)


@dataclass(frozen=True)
class KeyInfoContent:
    """What a ``ds:KeyInfo`` carries."""

    certificates: tuple[x509.Certificate, ...] = ()
    subject_names: tuple[str, ...] = ()
    issuer_serials: tuple[tuple[str, int], ...] = ()
    subject_key_ids: tuple[bytes, ...] = ()
    key_values: tuple[PublicKey, ...] = ()
    problems: tuple[str, ...] = ()


def _decode(element: etree._Element | None) -> bytes:
    return base64.b64decode("".join(text_value(element).split()), validate=True)


def _integer(parent: etree._Element, local: str) -> int:
    child = parent.find(f"{{{DS}}}{local}")
    if child is None:
        raise ValueError(f"{local} is missing")
    return int.from_bytes(_decode(child), "big")


def read_key_info(key_info: etree._Element | None) -> KeyInfoContent:
    """Certificates, names and bare keys found in ``key_info`` (None: nothing)."""
    if key_info is None:
        return KeyInfoContent()
    certificates: list[x509.Certificate] = []
    names: list[str] = []
    serials: list[tuple[str, int]] = []
    skis: list[bytes] = []
    keys: list[PublicKey] = []
    problems: list[str] = []
    for data in key_info.iterfind(f"{{{DS}}}X509Data"):
        for child in data:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            try:
                if local == "X509Certificate":
                    certificates.append(load_certificate(_decode(child)))
                elif local == "X509SubjectName":
                    names.append(text_value(child).strip())
                elif local == "X509IssuerSerial":
                    issuer = child.findtext(f"{{{DS}}}X509IssuerName") or ""
                    serial = int((child.findtext(f"{{{DS}}}X509SerialNumber") or "").strip())
                    serials.append((issuer.strip(), serial))
                elif local == "X509SKI":
                    skis.append(_decode(child))
            except (ValueError, binascii.Error) as exc:
                problems.append(f"unreadable {local} in KeyInfo: {exc}")
    for value in key_info.iterfind(f"{{{DS}}}KeyValue"):
        try:
            keys.extend(_key_values(value))
        except (ValueError, binascii.Error, TypeError, LookupError, UnsupportedAlgorithm) as exc:
            problems.append(f"unreadable KeyValue: {exc}")
    for der in key_info.iterfind(f"{{{DSIG11}}}DEREncodedKeyValue"):
        try:
            key = load_der_public_key(_decode(der))
        except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
            problems.append(f"unreadable DEREncodedKeyValue: {exc}")
            continue
        if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | dsa.DSAPublicKey):
            keys.append(key)
    if key_info.find(f"{{{DS}}}RetrievalMethod") is not None:
        problems.append("KeyInfo/RetrievalMethod is not followed (no fetching)")
    return KeyInfoContent(
        tuple(certificates), tuple(names), tuple(serials), tuple(skis), tuple(keys), tuple(problems)
    )


def _key_values(value: etree._Element) -> list[PublicKey]:
    keys: list[PublicKey] = []
    rsa_value = value.find(f"{{{DS}}}RSAKeyValue")
    if rsa_value is not None:
        numbers = rsa.RSAPublicNumbers(
            _integer(rsa_value, "Exponent"), _integer(rsa_value, "Modulus")
        )
        keys.append(numbers.public_key())
    dsa_value = value.find(f"{{{DS}}}DSAKeyValue")
    if dsa_value is not None:
        parameters = dsa.DSAParameterNumbers(
            _integer(dsa_value, "P"), _integer(dsa_value, "Q"), _integer(dsa_value, "G")
        )
        keys.append(dsa.DSAPublicNumbers(_integer(dsa_value, "Y"), parameters).public_key())
    ec_value = value.find(f"{{{DSIG11}}}ECKeyValue")
    if ec_value is not None:
        curve_uri = ec_value.find(f"{{{DSIG11}}}NamedCurve")
        point = ec_value.find(f"{{{DSIG11}}}PublicKey")
        if curve_uri is None or point is None:
            raise ValueError("ECKeyValue needs NamedCurve and PublicKey")
        oid = (curve_uri.get("URI") or "").removeprefix("urn:oid:")
        curve = ec.get_curve_for_oid(x509.ObjectIdentifier(oid))
        keys.append(ec.EllipticCurvePublicKey.from_encoded_point(curve(), _decode(point)))
    return keys


def append_key_info(
    signature: etree._Element,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...] = (),
    *,
    subject_name: str | None = None,
) -> etree._Element:
    """Append ``KeyInfo/X509Data`` to ``signature``: ``X509SubjectName`` when
    ``subject_name`` is given, then the signer certificate and ``chain``."""
    key_info = etree.SubElement(signature, f"{{{DS}}}KeyInfo")
    data = etree.SubElement(key_info, f"{{{DS}}}X509Data")
    if subject_name is not None:
        etree.SubElement(data, f"{{{DS}}}X509SubjectName").text = subject_name
    for cert in (certificate, *chain):
        etree.SubElement(data, f"{{{DS}}}X509Certificate").text = b64(
            cert.public_bytes(Encoding.DER)
        )
    return key_info
