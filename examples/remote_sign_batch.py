"""Sign many PDFs with a remote signer and one confirmation on the phone.

    python examples/remote_sign_batch.py OUT_DIR [--documents 5]

A SmartCA-style provider keeps the key; vnsign prepares every PDF, sends only
their digests in one request, waits for the person to confirm on the phone,
checks each returned signature against the certificate and the digest it sent,
then embeds it. Here the provider is vnsign's test gateway on 127.0.0.1 and the
"person" approves after half a second; with a real provider, only the settings
change (see docs/remote-signing.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vnsign.formats.pdf.samples import administrative_document
from vnsign.pki.remote import JsonFileStore, RemoteSigningEngine, SmartCAProvider
from vnsign.pki.remote.deferred_pdf import PdfJob, sign_pdfs
from vnsign.testing import TestPKI
from vnsign.testing.remote import PhoneAction, RemoteGateway
from vnsign.verify import Verifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--documents", type=int, default=5)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with TestPKI() as pki, RemoteGateway(pki, expiry=30) as gateway:
        user = gateway.add_user()
        gateway.phone.script(user, PhoneAction.APPROVE, delay=0.5)
        jobs = []
        for n in range(1, args.documents + 1):
            source = args.out_dir / f"qd-{n}.pdf"
            source.write_bytes(administrative_document(number=f"{n}/QĐ-STP"))
            jobs.append(PdfJob(source, args.out_dir / f"qd-{n}.signed.pdf", f"Quyết định {n}"))
        engine = RemoteSigningEngine(
            SmartCAProvider(gateway.smartca_settings()), JsonFileStore(args.out_dir / "store")
        )
        record = sign_pdfs(engine, user.user_id, jobs, indicator=lambda status: None)
        record.raise_for_state()
        print(
            f"transaction {record.tx_id}: {record.state.value}, prompts on the phone: "
            f"{len(gateway.prompts_for(user))}"
        )
        verifier = Verifier(trust=pki.trust_store())
        for job in jobs:
            print(f"{job.output.name}: {verifier.verify(job.output).verdict.value}")


if __name__ == "__main__":
    main()
