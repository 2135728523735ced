"""Sign and verify a 20-line e-invoice: vnsign vs signxml vs xmlsec1, same key.

Run: ``.venv/bin/python bench/xml_bench.py [--rounds N]``

The comparable XMLDSig work is an enveloped signature over the whole invoice
(``URI=""``, enveloped-signature transform, inclusive C14N 1.0, RSA-SHA256,
SHA-256 digest, the signer certificate in KeyInfo), from bytes in to bytes out:
parsing and serializing are included for every implementation. xmlsec1 is a
separate process per call, so its numbers include process start-up. The
e-invoice profile (two references, SigningTime, EINV-* checks) is timed for
vnsign alone.

Prints medians (and 90th percentiles) in milliseconds and exits with 1 when
vnsign needs more than 1.5 times signxml's median for the same work.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)

from vnsign.formats.einvoice import sign_invoice, verify_invoice
from vnsign.formats.xml import XmlSignOptions, sign_enveloped, verify_xml
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI

LIMIT = 1.5

TEMPLATE = """<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>
<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>
<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo>
<SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>"""


def invoice(lines: int = 20) -> bytes:
    """A VAT invoice (HDon) with ``lines`` goods lines."""
    items = "".join(
        f"<HHDVu><TChat>1</TChat><STT>{n}</STT><MHHDVu>HH{n:03d}</MHHDVu>"
        f"<THHDVu>Hàng hóa thử nghiệm số {n}</THHDVu><DVTinh>Cái</DVTinh><SLuong>{n}</SLuong>"
        f"<DGia>150000</DGia><ThTien>{n * 150000}</ThTien><TSuat>10%</TSuat></HHDVu>"
        for n in range(1, lines + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<HDon><DLHDon Id="DLHDon1"><TTChung>'
        "<PBan>2.1.0</PBan><KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>123</SHDon>"
        "<NLap>2025-05-01</NLap></TTChung><NDHDon><NBan><Ten>CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN"
        "</Ten><MST>0123456789</MST></NBan><NMua><Ten>Người mua</Ten></NMua>"
        f"<DSHHDVu>{items}</DSHHDVu><TToan><TgTTTBSo>34650000</TgTTTBSo></TToan></NDHDon>"
        "</DLHDon><DSCKS><NBan/></DSCKS></HDon>\n"
    ).encode()


def measure(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    """``(median, p90)`` in milliseconds over ``rounds`` calls after a warm-up."""
    for _ in range(max(3, rounds // 20)):
        action()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main() -> int:
    """Run the benchmark; 0 when vnsign is within the limit."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    xml = invoice(20)
    results: dict[str, tuple[float, float]] = {}
    with TestPKI(start_services=False) as pki, tempfile.TemporaryDirectory() as scratch:
        identity = pki.organization
        credential = KeyCredential(identity.private_key, identity.certificate, identity.chain)
        cert_pem = identity.cert_pem.decode()
        options = XmlSignOptions(subject_name=False)  # same KeyInfo as signxml: the certificate

        def vnsign_sign() -> bytes:
            return sign_enveloped(xml, credential, options)

        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
        )

        def signxml_sign() -> bytes:
            root = etree.fromstring(xml)
            return etree.tostring(signer.sign(root, key=identity.private_key, cert=cert_pem))

        ours, theirs = vnsign_sign(), signxml_sign()
        assert verify_xml(ours).valid and verify_xml(theirs).valid
        XMLVerifier().verify(ours, x509_cert=cert_pem)
        XMLVerifier().verify(theirs, x509_cert=cert_pem)

        results["vnsign sign"] = measure(vnsign_sign, rounds)
        results["signxml sign"] = measure(signxml_sign, rounds)
        results["vnsign verify"] = measure(lambda: verify_xml(ours), rounds)
        results["signxml verify"] = measure(
            lambda: XMLVerifier().verify(theirs, x509_cert=cert_pem), rounds
        )
        signed_invoice = sign_invoice(xml, credential)
        assert verify_invoice(signed_invoice).valid
        results["vnsign e-invoice sign (profile)"] = measure(
            lambda: sign_invoice(xml, credential), rounds
        )
        results["vnsign e-invoice verify (profile)"] = measure(
            lambda: verify_invoice(signed_invoice), rounds
        )

        xmlsec1 = shutil.which("xmlsec1")
        if xmlsec1:
            folder = Path(scratch)
            (folder / "key.pem").write_bytes(identity.key_pem)
            (folder / "cert.pem").write_bytes(identity.cert_pem)
            template = folder / "template.xml"
            template.write_bytes(xml.replace(b"</HDon>", TEMPLATE.encode() + b"</HDon>"))
            signed = folder / "signed.xml"
            sign_command = [
                xmlsec1, "--sign", "--privkey-pem", f"{folder / 'key.pem'},{folder / 'cert.pem'}",
                "--output", str(signed), str(template),
            ]  # fmt: skip
            verify_command = [
                xmlsec1,
                "--verify",
                "--pubkey-cert-pem",
                str(folder / "cert.pem"),
                str(signed),
            ]
            subprocess.run(sign_command, check=True, capture_output=True)
            assert verify_xml(signed.read_bytes()).valid
            xmlsec_rounds = max(20, rounds // 10)
            results["xmlsec1 sign (process)"] = measure(
                lambda: subprocess.run(sign_command, check=True, capture_output=True), xmlsec_rounds
            )
            results["xmlsec1 verify (process)"] = measure(
                lambda: subprocess.run(verify_command, check=True, capture_output=True),
                xmlsec_rounds,
            )

    print(f"20-line e-invoice ({len(xml)} bytes), RSA-2048, {rounds} rounds; milliseconds")
    print(f"{'':36} {'median':>8} {'p90':>8}")
    for name, (median, p90) in results.items():
        print(f"{name:36} {median:8.3f} {p90:8.3f}")
    if not xmlsec1:
        print("xmlsec1 not installed: skipped")
    ok = True
    for action in ("sign", "verify"):
        ratio = results[f"vnsign {action}"][0] / results[f"signxml {action}"][0]
        verdict = "ok" if ratio <= LIMIT else f"TOO SLOW (limit {LIMIT}x)"
        print(f"vnsign / signxml {action}: {ratio:.2f}x {verdict}")
        ok = ok and ratio <= LIMIT
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
