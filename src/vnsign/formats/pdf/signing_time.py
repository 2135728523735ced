"""The signing time: fixed once per signature, shown in Vietnam time.

Decree 30 asks for "ngày tháng năm; giờ phút giây; múi giờ Việt Nam theo tiêu
chuẩn ISO 8601" (ND30-TIME-FORMAT) without an example; vnsign writes
``2026-03-05T14:30:15+07:00``. The same instant goes into the signature
dictionary's ``/M`` and, for ``adbe.pkcs7.detached``, the CMS ``signingTime``
attribute, so the time a reader sees equals the time the signature claims.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from vnsign.errors import InputError

__all__ = ["VIETNAM_TIME", "format_vietnam_time", "signing_time"]

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""UTC+07:00, Vietnam's time zone (no daylight saving)."""


def signing_time(at: datetime | None = None) -> datetime:
    """``at`` (default: now) in Vietnam time, to the second: PDF dates and the
    displayed text have no fractions, so the claimed time has none either."""
    if at is None:
        at = datetime.now(UTC)
    elif at.tzinfo is None:
        raise InputError("the signing time must carry a time zone")
    return at.astimezone(VIETNAM_TIME).replace(microsecond=0)


def format_vietnam_time(at: datetime) -> str:
    """``at`` as ISO 8601 with the Vietnam offset: ``2026-03-05T14:30:15+07:00``."""
    return signing_time(at).isoformat()
