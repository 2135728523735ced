"""Read the Vietnamese identity in a certificate.

python examples/certificate_identity.py            # certificates of a test PKI
python examples/certificate_identity.py cert.pem   # your own certificate (PEM, DER or .p7b)
"""

from __future__ import annotations

import sys

from vnsign.pki.certificates import load_certificates
from vnsign.pki.identity import CertificateInfo


def show(info: CertificateInfo) -> None:
    print(info.display_name)
    print(f"  kind:        {info.kind}")
    for ident in info.identifiers:
        print(
            f"  identifier:  {ident.scheme or '(no prefix)'} {ident.value}"
            f"{'' if ident.well_formed else '  (unusual shape)'}"
        )
    if info.organization and info.organization != info.common_name:
        print(f"  organisation: {info.organization}")
    print(f"  issued by:   {info.issuer_common_name}")
    print(f"  valid:       {info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}")
    print(f"  key:         {info.key_algorithm} {info.key_size}, signed {info.signature_algorithm}")


def main(paths: list[str]) -> None:
    if paths:
        for path in paths:
            for cert in load_certificates(path):
                show(CertificateInfo.from_certificate(cert))
        return
    from vnsign.testing import TestPKI

    with TestPKI() as pki:
        for ident in (pki.person, pki.person_in_org, pki.organization, pki.gov_agency):
            show(CertificateInfo.from_certificate(ident.certificate))


if __name__ == "__main__":
    main(sys.argv[1:])
