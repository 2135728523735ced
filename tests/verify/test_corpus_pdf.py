"""Third-party PDFs (esig/DSS, pyHanko): verdicts that must hold whatever the trust.

None of these chain to a Vietnamese root, so with the default trust store an
intact one is at best INDETERMINATE; tampered, spoofed, shadowed and uncovered
ones must never be valid; broken ones must end quickly with an error or a verdict.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from vnsign.pki.status import SubIndication
from vnsign.verify import Verdict, Verifier

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text()
)

# file -> (verdict, sub-indication expected on at least one signature, or None)
EXPECTED = {
    "dss-pades/dss-818/Signature-P-DE_CRY-2 (HASH_FAILURE).pdf": (
        Verdict.INVALID,
        SubIndication.HASH_FAILURE,
    ),
    "dss-pades/dss-818/Signature-P-IT_ADO-1 (HASH_FAILURE) (ECDSA).pdf": (
        Verdict.INVALID,
        SubIndication.HASH_FAILURE,
    ),
    "dss-pades/dss-818/Signature-P-SK-1 (HASH_FAILURE).pdf": (
        Verdict.INVALID,
        SubIndication.HASH_FAILURE,
    ),
    "dss-pades/dss-2236/hide.pdf": (Verdict.INVALID, SubIndication.FORMAT_FAILURE),
    "dss-pades/dss-2236/replace.pdf": (Verdict.INVALID, None),
    "dss-pades/dss-2236/annotation-and-visible-change.pdf": (Verdict.INVALID, None),
    "dss-pades/pades-spoofing-replaced-reason.pdf": (Verdict.INVALID, SubIndication.FORMAT_FAILURE),
    "dss-pades/pdf-byterange-overlap.pdf": (Verdict.INVALID, SubIndication.FORMAT_FAILURE),
    "dss-pades/pdf-signed-out-of-byteRange.pdf": (Verdict.INVALID, SubIndication.FORMAT_FAILURE),
    "dss-pades/modified_after_signature.pdf": (Verdict.INVALID, None),
    "dss-pades/pdf-signed-added-page.pdf": (Verdict.INVALID, None),
    "dss-pades/pdf-removed-pages.pdf": (Verdict.INVALID, None),
    "dss-pades/pades-signed-annot-added.pdf": (Verdict.INVALID, None),
    "dss-pades/pades-bes-no-certificates.pdf": (
        Verdict.INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    ),
    "dss-pades/pades-bes.pdf": (Verdict.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
    "dss-pades/doc-firmado-T.pdf": (
        Verdict.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    ),
    "dss-pades/malformed-pades.pdf": (Verdict.ERROR, None),
    "dss-pades/pades_infinite_loop.pdf": (Verdict.ERROR, None),
    "dss-pades/pades_opposite_infinite_loop.pdf": (Verdict.ERROR, None),
    "pyhanko-pdf/coverage-anomalies/one-byterange.pdf": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "pyhanko-pdf/coverage-anomalies/signature-gap-too-big.pdf": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "pyhanko-pdf/coverage-anomalies/tail-uncovered.pdf": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "pyhanko-pdf/coverage-anomalies/weird-byterange.pdf": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "pyhanko-pdf/form-update-override-appearance-stream-sneaky.pdf": (Verdict.INVALID, None),
    "pyhanko-pdf/minimal-aes256.pdf": (Verdict.ERROR, None),
    # truncated inside the signed bytes: unreadable, but the byte range proves the change
    "dss-pades/pdf-signed-corrupted.pdf": (Verdict.INVALID, SubIndication.HASH_FAILURE),
}
# Content changed, hidden or spoofed after signing: whatever the reader manages, never "valid".
NEVER_VALID = [
    "dss-pades/pdf-spoofing-attack.pdf",
    "dss-pades/pdf-signed-corrupted.pdf",
    *EXPECTED,
]


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(offline=True)


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_expected_verdicts(
    shared_corpus: Path,
    verifier: Verifier,
    name: str,
    expected: tuple[Verdict, SubIndication | None],
) -> None:
    verdict, sub = expected
    report = verifier.verify(shared_corpus / name)
    assert report.verdict is verdict, report.summary.en
    if sub is not None:
        assert sub in {s.sub_indication for s in report.signatures}, [
            s.sub_indication for s in report.signatures
        ]


def test_every_corpus_pdf_ends_quickly_never_valid_and_schema_conform(
    shared_corpus: Path, verifier: Verifier
) -> None:
    files = sorted(shared_corpus.glob("dss-pades/**/*.pdf")) + sorted(
        shared_corpus.glob("pyhanko-pdf/**/*.pdf")
    )
    assert len(files) > 200
    verdicts = {}
    for path in files:
        started = time.perf_counter()
        report = verifier.verify(path)
        assert time.perf_counter() - started < 10, path
        jsonschema.validate(report.to_json(), SCHEMA)
        verdicts[str(path.relative_to(shared_corpus))] = report.verdict
    # none of them chains to a Vietnamese root: nothing may be valid under the default trust
    assert Verdict.VALID not in verdicts.values()
    for name in NEVER_VALID:
        assert verdicts[name] is not Verdict.VALID, name
