"""docs/verify.md documents every rule the verifier runs."""

from __future__ import annotations

from pathlib import Path

from vnsign.verify.rules import DOCUMENT_RULES, SIGNATURE_RULES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "verify.md"


def test_every_rule_is_documented_with_its_reference() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in (*DOCUMENT_RULES, *SIGNATURE_RULES):
        assert f"`{rule.rule_id}`" in text, f"{rule.rule_id} is missing from docs/verify.md"
        assert rule.reference in text, f"the reference of {rule.rule_id} differs in docs/verify.md"


def test_rule_ids_are_unique() -> None:
    ids = [r.rule_id for r in (*DOCUMENT_RULES, *SIGNATURE_RULES)]
    assert len(ids) == len(set(ids))
