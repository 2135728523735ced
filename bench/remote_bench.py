"""Remote signing: one confirmation for a batch of 100 documents.

    .venv/bin/python bench/remote_bench.py [--documents 100] [--person 0.5] [--rounds 5]

Against the reference gateway on 127.0.0.1, a scripted "person" approves each
prompt after ``--person`` seconds. The engine's overhead is the wall time of
``engine.sign`` minus the time between the prompt appearing and the person's
answer (which includes the gateway signing the batch, so the figure is
pessimistic): it covers the certificate fetch, the request checks, every
persistence write, the submit, the polls after the answer and the verification
of all returned signatures. A second table times deferred PDF signing of the
same number of PDFs (prepare, then embed), with pyHanko's interrupted signing
(``PdfJob``) and with vnsign's own signer (``DeferredPdfJob``, what
``vnsign sign pdf --remote`` uses), for scale.

``--mixed`` adds deferred XML signing: the prepare and finish steps of one XML
document (XMLDSig, XAdES-B-B, a 20-line e-invoice), and a batch of
``--documents`` documents, half PDFs and half XMLs, with one approval, split
into preparing, embedding, and the engine's own time with the staged writes of
the outputs (wall minus the person, minus preparing and embedding).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import io
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

from vnsign.formats.deferred import HANDLERS
from vnsign.formats.einvoice import prepare_invoice
from vnsign.formats.einvoice.samples import sample_invoice
from vnsign.formats.pdf import INVISIBLE, Nd30Appearance, Role
from vnsign.formats.pdf.deferred import DeferredPdfJob, async_sign_deferred_pdfs
from vnsign.formats.xml import (
    PreparedXml,
    XadesOptions,
    XmlSignOptions,
    finish_xml,
    prepare_enveloped,
)
from vnsign.formats.xml.deferred import XmlJob, async_embed_xml, prepare_xml_job, xml_preparer
from vnsign.pki.credentials import HashAlgorithm, KeyCredential
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
from vnsign.pki.remote.deferred_pdf import (
    AttachmentHandler,
    PdfJob,
    PreparedDocument,
    async_sign_pdfs,
    async_sign_prepared,
    pdf_preparer,
)
from vnsign.pki.remote.model import Attachment, RemoteAccount, TransactionRecord
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


def _wall(engine: RemoteSigningEngine, sign: Callable[[], Awaitable[TransactionRecord]]) -> float:
    """Seconds one completed batch takes, the engine closed afterwards."""

    async def run() -> float:
        try:
            started = time.perf_counter()
            record = await sign()
            assert record.state is TxState.COMPLETED, record.message
            return time.perf_counter() - started
        finally:
            await engine.aclose()

    return asyncio.run(run())


def bench_pdfs(documents: int, person: float) -> None:
    with TestPKI() as pki, RemoteGateway(pki, expiry=60, smartca_max_batch=1000) as gateway:
        user = gateway.add_user()
        gateway.phone.script(user, PhoneAction.APPROVE, delay=person)
        print(f"\nDeferred PDF signing, {documents} PDFs, one approval")
        kinds = {
            "PdfJob (pyHanko's interrupted signing), invisible": None,
            "DeferredPdfJob (vnsign's signer), invisible": INVISIBLE,
            "DeferredPdfJob, attachment form (number + time)": Nd30Appearance(
                document_number="12/QĐ-STP"
            ),
        }
        for label, look in kinds.items():
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder)
                jobs: list[Any] = []
                for n in range(documents):
                    source = root / f"in-{n}.pdf"
                    source.write_bytes(_pdf())
                    output, name = root / f"out-{n}.pdf", f"Văn bản {n}"
                    if look is None:
                        jobs.append(PdfJob(source, output, name))
                    else:
                        role = Role.PERSON if look is INVISIBLE else Role.ATTACHMENT
                        jobs.append(
                            DeferredPdfJob(source, output, name, role=role, appearance=look)
                        )
                engine = RemoteSigningEngine(
                    SmartCAProvider(gateway.smartca_settings(max_batch=1000)),
                    JsonFileStore(root / "store"),
                    policy=POLICY,
                )
                sign = async_sign_pdfs if look is None else async_sign_deferred_pdfs
                before = len(gateway.prompts_for(user))
                wall = _wall(engine, lambda: sign(engine, user.user_id, jobs))  # noqa: B023
                assert len(gateway.prompts_for(user)) == before + 1
                spent = _person_time(gateway)
                print(
                    f"  {label:<52} wall {wall:5.2f} s, person {spent:.2f} s, "
                    f"{(wall - spent) / documents * 1000:5.1f} ms per PDF (prepare + embed)"
                )


_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<HoSo xmlns="urn:vnsign:bench">\n'
    '  <VanBan Id="vb1"><TrichYeu>Quyết định về việc thử nghiệm</TrichYeu></VanBan>\n</HoSo>\n'
).encode()


def _median_ms(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bench_xml_steps(rounds: int) -> None:
    """Prepare and finish of one XML document, with an in-memory RSA-2048 key."""
    print("\nDeferred XML, one document (ms, median): prepare / finish (key signing excluded)")
    with TestPKI(start_services=False) as pki, tempfile.TemporaryDirectory() as folder:
        identity = pki.organization
        key = KeyCredential(identity.private_key, identity.certificate, identity.chain)
        account = RemoteAccount("bench", identity.certificate, identity.chain, max_batch=100)
        cases: dict[str, Callable[[], PreparedXml]] = {
            "XMLDSig (enveloped)": lambda: prepare_enveloped(_XML, key),
            "XAdES-B-B": lambda: prepare_enveloped(_XML, key, XmlSignOptions(xades=XadesOptions())),
            "e-invoice (seller)": lambda: prepare_invoice(sample_invoice(), key),
        }
        for name, prepare in cases.items():
            prepared = prepare()
            value = key.sign_digest(prepared.digest, prepared.hash_algorithm)
            prepare_ms = _median_ms(prepare, rounds)
            finish_ms = _median_ms(functools.partial(finish_xml, prepared, value), rounds)
            print(f"  {name:<22}{prepare_ms:>8.3f} /{finish_ms:>7.3f}")
        source = Path(folder) / "hd.xml"
        source.write_bytes(sample_invoice())
        job = XmlJob(source, Path(folder) / "hd.signed.xml", "HĐ", kind="einvoice")
        counter = iter(range(1, 10**6))
        saved = prepare_xml_job(job, account, Path(folder), item_id="doc-0")
        value = key.sign_digest(saved.digest, saved.hash_algorithm)
        stored_ms = _median_ms(
            lambda: prepare_xml_job(job, account, Path(folder), item_id=f"doc-{next(counter)}"),
            rounds,
        )
        embed_ms = _median_ms(lambda: asyncio.run(async_embed_xml(saved, value)), rounds)
        print(
            f"  e-invoice with its files: prepare + save {stored_ms:.3f}, "
            f"load-checked embed {embed_ms:.3f} (includes an event loop start)"
        )


class _Timed:
    """Wraps a preparer and the handlers to add up the time spent in them."""

    def __init__(self) -> None:
        self.prepare = 0.0
        self.embed = 0.0

    def preparer(
        self, inner: Callable[..., Awaitable[PreparedDocument]]
    ) -> Callable[..., Awaitable[PreparedDocument]]:
        async def prepare(*args: object) -> PreparedDocument:
            started = time.perf_counter()
            try:
                return await inner(*args)
            finally:
                self.prepare += time.perf_counter() - started

        return prepare

    def handler(self, inner: AttachmentHandler) -> AttachmentHandler:
        timed = self

        class Handler:
            kind = inner.kind

            async def async_embed(
                self, attachment: Attachment, record: TransactionRecord
            ) -> tuple[Path, bytes]:
                started = time.perf_counter()
                try:
                    return await inner.async_embed(attachment, record)
                finally:
                    timed.embed += time.perf_counter() - started

            def discard(self, attachment: Attachment) -> None:
                inner.discard(attachment)

        return Handler()


def bench_mixed(documents: int, person: float) -> None:
    """One approval for ``documents`` documents, half PDFs, half XMLs."""
    with TestPKI() as pki, RemoteGateway(pki, expiry=60, smartca_max_batch=1000) as gateway:
        user = gateway.add_user(identity=pki.organization)
        gateway.phone.script(user, PhoneAction.APPROVE, delay=person)
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            (root / "vb.xml").write_bytes(_XML)
            (root / "hd.xml").write_bytes(sample_invoice())
            jobs: list[PdfJob | XmlJob] = []
            for n in range(documents):
                if n % 2 == 0:
                    source = root / f"in-{n}.pdf"
                    source.write_bytes(_pdf())
                    jobs.append(PdfJob(source, root / f"out-{n}.pdf", f"Văn bản {n}"))
                elif n % 4 == 1:
                    jobs.append(XmlJob(root / "vb.xml", root / f"out-{n}.xml", f"Hồ sơ {n}"))
                else:
                    jobs.append(
                        XmlJob(root / "hd.xml", root / f"out-{n}.xml", f"HĐ {n}", kind="einvoice")
                    )
            engine = RemoteSigningEngine(
                SmartCAProvider(gateway.smartca_settings(max_batch=1000)),
                JsonFileStore(root / "store"),
                policy=POLICY,
            )
            timed = _Timed()
            pdf, xml = timed.preparer(pdf_preparer()), timed.preparer(xml_preparer())

            async def prepare(
                job: PdfJob | XmlJob, account: RemoteAccount, work_dir: Path, item_id: str
            ) -> PreparedDocument:
                return await (xml if isinstance(job, XmlJob) else pdf)(
                    job, account, work_dir, item_id
                )

            handlers = [timed.handler(h) for h in HANDLERS]
            wall = _wall(
                engine, lambda: async_sign_prepared(engine, user.user_id, jobs, prepare, handlers)
            )
            spent = _person_time(gateway)
            assert len(gateway.prompts_for(user)) == 1
            rest = wall - spent - timed.prepare - timed.embed
            print(
                f"\nMixed batch, {documents} documents ({(documents + 1) // 2} PDFs, "
                f"{documents // 2} XMLs), one approval: wall {wall:.2f} s, person {spent:.2f} s; "
                f"preparing {timed.prepare:.2f} s, embedding {timed.embed:.2f} s, "
                f"engine, staged writes and the rest {rest:.3f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--person", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--mixed", action="store_true", help="also time deferred XML signing")
    parser.add_argument("--only-mixed", action="store_true", help="time deferred XML signing only")
    args = parser.parse_args()
    if not args.only_mixed:
        bench_engine(args.documents, args.person, args.rounds)
        if not args.skip_pdf:
            bench_pdfs(args.documents, args.person)
    if args.mixed or args.only_mixed:
        bench_xml_steps(max(args.rounds, 50))
        bench_mixed(args.documents, args.person)


if __name__ == "__main__":
    main()
