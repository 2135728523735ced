"""Signatures of a PDF whose structure cannot be read, checked from their byte ranges.

A damaged PDF (a broken object, a bad cross-reference table) can still carry
signatures whose signed bytes are all there: each ``/ByteRange [a b c d]`` names
the signed bytes, and the gap between them holds the ``/Contents`` hex string. So
the integrity of each signature can be decided even when nothing else can: a
digest that does not match is a HASH_FAILURE, as EN 319 102-1 and DSS report it,
not merely "unreadable". What the signature covers and what changed after it
cannot be established, so an intact signature stays unproven (FORMAT_FAILURE).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
from typing import Any

from asn1crypto import parser

from vnsign.errors import VnsignError
from vnsign.formats.cades import load_signed_data
from vnsign.verify.adapters.cms import read_signed_data, timestamp_facts
from vnsign.verify.facts import Coverage, SignatureFacts, SignatureKind

__all__ = ["byte_range_signatures"]

_BYTE_RANGE = re.compile(
    rb"/ByteRange\s*\[\s*(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s*\]"
)
_MAX_SIGNATURES = 64
_MAX_CONTENTS = 1 << 20  # hex characters of one /Contents; real ones hold tens of KiB


def byte_range_signatures(data: bytes, why_unreadable: str) -> tuple[SignatureFacts, ...]:
    """Every signature found by its ``/ByteRange`` in ``data``, integrity checked
    where its CMS can be read."""
    found: list[SignatureFacts] = []
    seen: set[tuple[int, ...]] = set()
    for match in _BYTE_RANGE.finditer(data):
        ranges = tuple(int(v) for v in match.groups())
        if ranges in seen:
            continue
        seen.add(ranges)
        facts = _signature(data, ranges, len(found) + 1, why_unreadable)
        if facts is not None:
            found.append(facts)
        if len(found) == _MAX_SIGNATURES:
            break
    return tuple(found)


def _signature(
    data: bytes, ranges: tuple[int, ...], index: int, why_unreadable: str
) -> SignatureFacts | None:
    start1, length1, start2, length2 = ranges
    if start1 != 0 or start2 <= length1 or start2 >= len(data):
        return None
    gap = data[length1:start2].strip()
    if not (gap.startswith(b"<") and gap.endswith(b">")) or len(gap) > _MAX_CONTENTS:
        return None
    try:
        padded = binascii.unhexlify(b"".join(gap[1:-1].split()))
        der = b"".join(parser.parse(padded)[3:5])  # one DER value: header and contents
        signed_data = load_signed_data(der)
        stamped = signed_data["encap_content_info"]["content_type"].native == "tst_info"
        if stamped:
            imprint = signed_data["encap_content_info"]["content"].parsed["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
        else:
            algorithm = signed_data["signer_infos"][0]["digest_algorithm"]["algorithm"].native
        digest = hashlib.new(algorithm)
    except (ValueError, TypeError, KeyError, IndexError, VnsignError) as exc:
        return SignatureFacts(
            index,
            SignatureKind.SIGNATURE,
            f"/ByteRange [{' '.join(map(str, ranges))}]",
            format_problem=f"the signature in the byte range's gap cannot be read: {exc}",
        )
    digest.update(memoryview(data)[:length1])
    digest.update(memoryview(data)[start2 : start2 + length2])
    missing = start2 + length2 - len(data)
    why = f"the PDF cannot be read ({why_unreadable})"
    if missing > 0:  # the digest then cannot match: the signed bytes are not all there
        why += f" and ends {missing} bytes before the end of the signed byte range"
    problem = (
        f"{why}: the signature was checked from its byte range alone; what it covers "
        "and any later change cannot be established"
    )
    name = f"/ByteRange [{' '.join(map(str, ranges))}]"
    if stamped:
        return _document_timestamp(index, name, der, imprint, digest.digest(), problem)
    cms = read_signed_data(signed_data, actual_digest=digest.digest())
    return SignatureFacts(
        index=index,
        kind=SignatureKind.SIGNATURE,
        name=name,
        format_problem=cms.format_problem,
        intact=cms.intact,
        signature_valid=cms.signature_valid,
        integrity_problem=problem,
        coverage=Coverage.UNKNOWN,
        digest_algorithm=cms.digest_algorithm,
        signature_algorithm=cms.signature_algorithm,
        signer_certificate=cms.signer_certificate,
        certificates=cms.certificates,
        claimed_time=cms.claimed_time,
        claimed_time_source="CMS signingTime" if cms.claimed_time else "",
        timestamps=cms.timestamps,
        embedded_crls=cms.crls,
        embedded_ocsp=cms.ocsp_responses,
    )


def _document_timestamp(
    index: int, name: str, der: bytes, imprint: Any, digest: bytes, problem: str
) -> SignatureFacts:
    """A /DocTimeStamp: its token must be signed and its imprint be the digest."""
    stamp = timestamp_facts(der, b"")
    covers = hmac.compare_digest(imprint["hashed_message"].native, digest)
    return SignatureFacts(
        index=index,
        kind=SignatureKind.DOCUMENT_TIMESTAMP,
        name=name,
        intact=stamp.signature_valid and covers,
        signature_valid=stamp.signature_valid,
        integrity_problem=problem,
        coverage=Coverage.UNKNOWN,
        digest_algorithm=stamp.hash_algorithm,
        signer_certificate=stamp.tsa_certificate,
        certificates=stamp.certificates,
        claimed_time=stamp.gen_time,
        claimed_time_source="RFC 3161 genTime",
        timestamps=(stamp,),
    )
