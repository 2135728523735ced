"""Report JSON: validates against docs/report-schema.json, Vietnamese times, stable shape."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from _pdfs import blank_pdf, sign, trust_of
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import TestPKI
from vnsign.verify import Verdict, Verifier

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    data = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data  # type: ignore[no-any-return]


def test_reports_of_every_verdict_validate(vn_pki: TestPKI, schema: dict[str, object]) -> None:
    verifier = Verifier(trust=trust_of(vn_pki))
    stamped = sign(
        blank_pdf(),
        vn_pki.person,
        timestamper=TimestampClient(vn_pki.services.tsa_url).as_pyhanko(),
    )
    tampered = bytearray(stamped)
    tampered[tampered.find(b"Cong van")] = ord("X")
    reports = [
        verifier.verify(stamped, name="ok.pdf"),
        verifier.verify(bytes(tampered), name="tampered.pdf"),
        Verifier(offline=True).verify(stamped, name="untrusted.pdf"),
        verifier.verify(b"not a document", name="junk.bin"),
    ]
    assert [r.verdict for r in reports] == [
        Verdict.VALID,
        Verdict.INVALID,
        Verdict.INDETERMINATE,
        Verdict.ERROR,
    ]
    for report in reports:
        data = report.to_json()
        jsonschema.validate(data, schema)
        assert data["file"] and data["verdict"] == report.verdict.value
        json.dumps(data, ensure_ascii=False)  # plain JSON types only
    ok = reports[0].to_json()
    assert ok["signatures"][0]["signing_time"].endswith("+07:00")
    assert ok["signatures"][0]["signer"]["identifiers"] == [
        {"scheme": "CCCD", "value": "001080000001"}
    ]
    assert {r["id"] for r in ok["signatures"][0]["rules"]} >= {
        "TECH-HASH",
        "TT15-TRUST-PATH",
        "ND23-VALID-CERT",
    }


def test_schema_rejects_what_it_should(schema: dict[str, object], vn_pki: TestPKI) -> None:
    data = Verifier(trust=trust_of(vn_pki)).verify(sign(blank_pdf(), vn_pki.person)).to_json()
    for broken in (
        {**data, "verdict": "maybe"},
        {k: v for k, v in data.items() if k != "file"},
        {**data, "extra": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)
