"""Sign an administrative PDF the Decree 30/2020 way, then verify it.

    python examples/sign_decree30_pdf.py OUT_DIR
    python examples/sign_decree30_pdf.py OUT_DIR --pdf my.pdf --person me.p12 --agency seal.p12

The competent person signs first (blue handwritten signature between the position
line and the name, PAdES-B-T), then the agency applies its seal over the left third
of it (red, real size, PAdES-B-LT). Without your own files the example uses a
throwaway test PKI, its live time-stamping service and a sample decision.
Passwords come from VNSIGN_P12_PASSWORD.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from vnsign.formats.pdf import Nd30Appearance, PadesLevel, Role, SignatureImage, sign_pdf
from vnsign.formats.pdf.samples import administrative_document, handwritten_signature_png, seal_png
from vnsign.pki.credentials import Credential, load_credential
from vnsign.pki.trust import TrustStore
from vnsign.testing import TestPKI
from vnsign.verify import Verifier
from vnsign.verify.render import render_text


def sign_both(
    source: Path,
    out_dir: Path,
    person: Credential,
    agency: Credential,
    tsa: str,
    trust: TrustStore,
) -> Path:
    """``source`` signed by ``person``, then sealed by ``agency``; returns the result."""
    person_signed = out_dir / f"{source.stem}.person.pdf"
    signed = out_dir / f"{source.stem}.signed.pdf"
    sign_pdf(
        source,
        person_signed,
        person,
        role=Role.PERSON,
        level=PadesLevel.B_T,
        timestamp=tsa,
        appearance=Nd30Appearance(image=SignatureImage(handwritten_signature_png())),
    )
    sign_pdf(
        person_signed,
        signed,
        agency,
        role=Role.ORGANIZATION,
        level=PadesLevel.B_LT,
        timestamp=tsa,
        trust_roots=[anchor.certificate for anchor in trust.anchors],
        appearance=Nd30Appearance(image=SignatureImage(seal_png())),
    )
    person_signed.unlink()
    return signed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--pdf", type=Path, help="the document (default: a sample decision)")
    parser.add_argument("--person", type=Path, help="PKCS#12 of the competent person")
    parser.add_argument("--agency", type=Path, help="PKCS#12 of the agency (its seal)")
    parser.add_argument("--tsa", help="time-stamping authority URL")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    password = os.environ.get("VNSIGN_P12_PASSWORD")
    if args.person and args.agency and args.tsa:
        person = load_credential(args.person, password)
        agency = load_credential(args.agency, password)
        trust = TrustStore.builtin()
        source = args.pdf
        signed = sign_both(source, args.out_dir, person, agency, args.tsa, trust)
        report = Verifier("nd30", trust=trust).verify(signed)
        print(render_text(report, lang="en"))
        return
    with TestPKI() as pki:
        source = args.pdf or args.out_dir / "quyet-dinh.pdf"
        if args.pdf is None:
            source.write_bytes(administrative_document())
        trust = pki.trust_store()
        signed = sign_both(
            source,
            args.out_dir,
            pki.gov_official.credential(),
            pki.gov_agency.credential(),
            pki.services.tsa_url,
            trust,
        )
        report = Verifier("nd30", trust=trust).verify(signed)
        print(render_text(report, lang="en"))


if __name__ == "__main__":
    main()
