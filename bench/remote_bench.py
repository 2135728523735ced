"""Remote signing: one confirmation for a batch of 100 documents.

    .venv/bin/python bench/remote_bench.py [--documents 100] [--person 0.5] [--rounds 5]

Against the reference gateway on 127.0.0.1, a scripted "person" approves each
prompt after ``--person`` seconds. The engine's overhead is the wall time of
``engine.sign`` minus the time between the prompt appearing and the person's
answer (which includes the gateway signing the batch, so the figure is
pessimistic): it covers the certificate fetch, the request checks, every
persistence write, the submit, the polls after the answer and the verification
of all returned signatures. A second table times deferred PDF signing of the
same number of PDFs (pyHanko's work: prepare, then embed), for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import statistics
import tempfile
import time
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

from vnsign.pki.credentials import HashAlgorithm
from vnsign.pki.remote import (
    CscProvider,
    DigestItem,
    JsonFileStore,
    RemoteProvider,
    RemoteSigningEngine,
    SmartCAProvider,
    TxState,
    WaitPolicy,
)
from vnsign.pki.remote.deferred_pdf import PdfJob, async_sign_pdfs
from vnsign.testing import TestPKI
from vnsign.testing.remote import GatewayUser, PhoneAction, RemoteGateway

POLICY = WaitPolicy(first_poll_after=0.02, interval=0.02, backoff=1.0, max_interval=0.02)


def _items(count: int) -> list[DigestItem]:
    return [
        DigestItem(
            f"{'pdf' if n % 2 else 'xml'}-{n}",
            f"Văn bản {n}",
            hashlib.sha256(b"document %d" % n).digest(),
            HashAlgorithm.SHA256,
            "pdf" if n % 2 else "xml",
        )
        for n in range(count)
    ]


def _providers(gateway: RemoteGateway, user: GatewayUser) -> dict[str, tuple[RemoteProvider, str]]:
    return {
        "smartca": (SmartCAProvider(gateway.smartca_settings(max_batch=1000)), user.user_id),
        "csc-v1": (CscProvider(gateway.csc_settings("v1")), user.credential_id),
        "csc-v2-async": (
            CscProvider(gateway.csc_settings("v2", operation_mode="A")),
            user.credential_id,
        ),
    }


def _person_time(gateway: RemoteGateway) -> float:
    tx = max(gateway.transactions.values(), key=lambda t: t.created_at)
    assert tx.decided_at is not None
    return tx.decided_at - tx.created_at


def bench_engine(documents: int, person: float, rounds: int) -> None:
    print(f"Engine overhead, {documents} digests, one approval (person answers after {person} s)")
    print(f"{'provider':<14}{'wall s':>9}{'person s':>10}{'overhead s':>12}{'prompts':>9}")
    with TestPKI() as pki, RemoteGateway(pki, expiry=60, smartca_max_batch=1000) as gateway:
        user = gateway.add_user(multisign=1000)
        gateway.phone.script(user, PhoneAction.APPROVE, delay=person)
        with tempfile.TemporaryDirectory() as folder:
            for name, (provider, who) in _providers(gateway, user).items():
                overheads, walls, persons = [], [], []
                for _ in range(rounds):
                    engine = RemoteSigningEngine(provider, JsonFileStore(folder), policy=POLICY)
                    before = len(gateway.prompts_for(user))
                    started = time.perf_counter()
                    record = engine.sign(who, _items(documents), display_text="Ký lô văn bản")
                    wall = time.perf_counter() - started
                    assert record.state is TxState.COMPLETED, record.message
                    assert len(gateway.prompts_for(user)) == before + 1
                    spent = _person_time(gateway)
                    walls.append(wall)
                    persons.append(spent)
                    overheads.append(wall - spent)
                print(
                    f"{name:<14}{statistics.median(walls):>9.3f}{statistics.median(persons):>10.3f}"
                    f"{statistics.median(overheads):>12.3f}{1:>9}"
                )


def _pdf() -> bytes:
    writer = PdfFileWriter()
    content = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (x) Tj ET")
    )
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (0, 0, 595, 842)]
                ),
                generic.NameObject("/Contents"): content,
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bench_pdfs(documents: int, person: float) -> None:
    with TestPKI() as pki, RemoteGateway(pki, expiry=60, smartca_max_batch=1000) as gateway:
        user = gateway.add_user()
        gateway.phone.script(user, PhoneAction.APPROVE, delay=person)
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            jobs = []
            for n in range(documents):
                source = root / f"in-{n}.pdf"
                source.write_bytes(_pdf())
                jobs.append(PdfJob(source, root / f"out-{n}.pdf", f"Văn bản {n}"))
            engine = RemoteSigningEngine(
                SmartCAProvider(gateway.smartca_settings(max_batch=1000)),
                JsonFileStore(root / "store"),
                policy=POLICY,
            )

            async def run() -> float:
                try:
                    started = time.perf_counter()
                    record = await async_sign_pdfs(engine, user.user_id, jobs)
                    assert record.state is TxState.COMPLETED, record.message
                    return time.perf_counter() - started
                finally:
                    await engine.aclose()

            wall = asyncio.run(run())
            spent = _person_time(gateway)
            print(
                f"\nDeferred PDF signing, {documents} PDFs, one approval: wall {wall:.2f} s, "
                f"person {spent:.2f} s, everything else {wall - spent:.2f} s "
                f"({(wall - spent) / documents * 1000:.1f} ms per PDF: prepare + embed)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--person", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-pdf", action="store_true")
    args = parser.parse_args()
    bench_engine(args.documents, args.person, args.rounds)
    if not args.skip_pdf:
        bench_pdfs(args.documents, args.person)


if __name__ == "__main__":
    main()
