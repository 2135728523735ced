"""Reading an edXML header from plain data (a JSON file for ``vnsign edxml build``).

Keys follow :class:`~vnsign.formats.edxml.model.EdxmlMessage`::

    {"sender": {"organ_id": "000.00.00.H49", "organ_name": "UBND tỉnh Quảng Ninh"},
     "recipients": [{"organ_id": "G09.20", "organ_name": "Bộ Nội vụ"}],
     "code": {"number": "12", "notation": "UBND-VP"},
     "promulgation_date": "2025-05-01", "place": "Quảng Ninh",
     "document_type": 1, "document_type_name": "Công văn", "subject": "..."}

Dates are ``YYYY-MM-DD`` or ``YYYY/MM/DD``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from vnsign.errors import InputError
from vnsign.formats.edxml.model import (
    DocumentCode,
    EdxmlMessage,
    Organization,
    OtherInfo,
    SignerInfo,
)

__all__ = ["message_from_mapping"]

_ORGANIZATION_KEYS = {
    "organ_id",
    "organ_name",
    "organization_in_charge",
    "address",
    "email",
    "telephone",
    "fax",
    "website",
}


def _date(value: Any, key: str) -> date:
    text = str(value).replace("/", "-")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{key}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _organization(value: Any, key: str) -> Organization:
    if not isinstance(value, Mapping) or not {"organ_id", "organ_name"} <= value.keys():
        raise InputError(f"{key} needs organ_id and organ_name")
    unknown = set(value) - _ORGANIZATION_KEYS
    if unknown:
        raise InputError(f"{key}: unknown keys {sorted(unknown)}")
    return Organization(**{k: str(v) for k, v in value.items()})


def message_from_mapping(data: Mapping[str, Any]) -> EdxmlMessage:
    """An :class:`EdxmlMessage` from a mapping; :class:`InputError` names the
    first missing or unusable key."""
    try:
        recipients = tuple(
            _organization(r, f"recipients[{i}]") for i, r in enumerate(data["recipients"])
        )
        code = data["code"]
        signer = data.get("signer")
        other = data.get("other") or {}
        sent_at = data.get("sent_at")
        return EdxmlMessage(
            sender=_organization(data["sender"], "sender"),
            recipients=recipients,
            code=DocumentCode(str(code["number"]), str(code["notation"])),
            promulgation_date=_date(data["promulgation_date"], "promulgation_date"),
            place=str(data["place"]),
            document_type=int(data["document_type"]),
            document_type_name=str(data["document_type_name"]),
            subject=str(data["subject"]),
            content=data.get("content"),
            signer=SignerInfo(
                full_name=str(signer["full_name"]),
                position=signer.get("position"),
                competence=signer.get("competence"),
            )
            if signer
            else None,
            due_date=_date(data["due_date"], "due_date") if data.get("due_date") else None,
            to_places=tuple(str(p) for p in data.get("to_places", ())),
            other=OtherInfo(
                priority=int(other.get("priority", 0)),
                sphere_of_promulgation=other.get("sphere_of_promulgation"),
                typer_notation=other.get("typer_notation"),
                promulgation_amount=other.get("promulgation_amount"),
                page_amount=other.get("page_amount"),
                appendixes=tuple(str(a) for a in other.get("appendixes", ())),
            ),
            steering_type=data.get("steering_type"),
            document_id=data.get("document_id"),
            sent_at=datetime.fromisoformat(sent_at) if sent_at else None,
            business_doc_type=int(data.get("business_doc_type", 0)),
        )
    except KeyError as exc:
        raise InputError(f"the edXML metadata lacks {exc.args[0]!r}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"unusable edXML metadata: {exc}") from exc
