"""Signing-time texts: writing them the way each profile expects, reading any
spelling real documents use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

__all__ = ["VIETNAM", "format_local", "format_utc", "parse_time"]

#: Vietnam time (UTC+07:00, no daylight saving).
VIETNAM = timezone(timedelta(hours=7), "ICT")


def format_local(at: datetime) -> str:
    """``yyyy-MM-ddTHH:mm:ss`` in Vietnam time, no offset (EINV-SIGNINGTIME)."""
    return at.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M:%S")


def format_utc(at: datetime) -> str:
    """``xs:dateTime`` in UTC with ``Z`` (XAdES SigningTime)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> tuple[datetime | None, bool]:
    """``(value, offset_assumed)`` for an ISO 8601 date-time.

    ``Z`` and offsets are honoured; a time without offset is read as Vietnam
    time (EINV-SIGNINGTIME) and ``offset_assumed`` is True. Unreadable text gives
    ``(None, False)``.
    """
    cleaned = text.strip()
    if not cleaned:
        return None, False
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        return None, False
    if value.tzinfo is None:
        return value.replace(tzinfo=VIETNAM), True
    return value, False
