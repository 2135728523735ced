"""Checking a detached CMS / CAdES signature (``.p7s``) against the content it signs.

This is the cryptographic part only: does the content still match, was the
signature made by the key of the certificate it names, does the time-stamp cover
the signature value. Whether the certificates are trusted, valid and not revoked
is for certificate validation, which gets the certificates found here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from pyhanko.sign.general import (
    NonexistentAttributeError,
    find_cms_attribute_iter,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import (
    extract_self_reported_ts,
    get_signing_cert_attr,
    validate_sig_integrity,
)

import vnsign._pyhanko_speedups  # noqa: F401 - faster pyHanko, same answers
from vnsign.errors import HostileInputError, InputError, MalformedInputError, UnsupportedFormatError
from vnsign.formats.cades._content import Content, digest_content
from vnsign.pki.timestamps import TimestampToken

__all__ = [
    "MAX_SIGNATURE_SIZE",
    "CadesLevel",
    "CadesSignerResult",
    "CadesVerification",
    "TimestampCheck",
    "verify_cades",
    "verify_signed_data",
]

#: A ``.p7s`` larger than this is refused before parsing (with every certificate
#: and revocation datum of a long chain embedded, real ones stay far below).
MAX_SIGNATURE_SIZE = 32 << 20

_WEAK_DIGESTS = frozenset({"md2", "md4", "md5", "sha1"})


class CadesLevel(StrEnum):
    """What the signature carries (not whether it is valid)."""

    CMS = "CMS"  #: plain CMS / PKCS#7: no signing-certificate attribute
    B_B = "CAdES-B-B"  #: signed attributes with signing certificate and signing time
    B_T = "CAdES-B-T"  #: B-B plus a signature time-stamp


@dataclass(frozen=True)
class TimestampCheck:
    """A signature time-stamp token and whether it fits the signature."""

    token: TimestampToken
    covers_signature: bool  #: its imprint is the digest of this signature value
    token_signature_valid: bool  #: signed by the TSA certificate it carries

    @property
    def valid(self) -> bool:
        """Both checks passed (trust in the TSA is for certificate validation)."""
        return self.covers_signature and self.token_signature_valid


@dataclass(frozen=True)
class CadesSignerResult:
    """The checks of one ``SignerInfo``."""

    signer_certificate: x509.Certificate | None
    content_intact: bool  #: the content's digest equals the signed message digest
    signature_valid: bool  #: the signature value verifies with the signer certificate
    digest_algorithm: str
    signature_algorithm: str
    signing_time: datetime | None  #: the claimed ``signingTime``; not proof of time
    level: CadesLevel
    timestamps: tuple[TimestampCheck, ...]
    weak_algorithms: tuple[str, ...]  #: SHA-1 or MD5 where used (old documents)
    problems: tuple[str, ...]  #: why a check failed, one line each
    format_problem: str = ""  #: the SignerInfo itself is malformed or unsupported (not tampering)

    @property
    def valid(self) -> bool:
        """Content intact, signature valid, every time-stamp fits."""
        return (
            self.content_intact
            and self.signature_valid
            and all(check.valid for check in self.timestamps)
        )


@dataclass(frozen=True)
class CadesVerification:
    """What :func:`verify_cades` found."""

    signers: tuple[CadesSignerResult, ...]
    certificates: tuple[x509.Certificate, ...]  #: every certificate embedded
    content_type: str

    @property
    def valid(self) -> bool:
        """At least one signer, and every signer's checks passed."""
        return bool(self.signers) and all(signer.valid for signer in self.signers)


def verify_cades(content: Content, signature: bytes | str | os.PathLike[str]) -> CadesVerification:
    """Check the detached signature ``signature`` (DER or PEM bytes, or a path)
    over ``content`` (bytes, a path, or a binary stream, read in chunks).

    A signature that does not match is a result (``valid`` false, with the
    reasons); an unreadable ``.p7s`` raises
    :class:`~vnsign.errors.MalformedInputError`.
    """
    signed_data = load_signed_data(_read_signature(signature))
    if signed_data["encap_content_info"]["content"].native is not None:
        raise UnsupportedFormatError(
            "the .p7s carries its content inside (an attached signature), not beside it"
        )
    algorithms = {si["digest_algorithm"]["algorithm"].native for si in signed_data["signer_infos"]}
    return verify_signed_data(signed_data, digest_content(content, algorithms))


def load_signed_data(der: bytes) -> cms.SignedData:
    """Parse a CMS ``ContentInfo`` holding ``SignedData`` with at least one signer,
    fully, so that a broken structure fails here and not halfway through the checks."""
    try:
        info = cms.ContentInfo.load(der, strict=True)
        content_type = info["content_type"].native
        if content_type != "signed_data":
            raise MalformedInputError(f"not a CMS signature: the content type is {content_type}")
        signed_data: cms.SignedData = info["content"]
        signed_data["digest_algorithms"].native  # noqa: B018 - parse now, not lazily later
        signed_data["encap_content_info"].native  # noqa: B018
        signer_infos = signed_data["signer_infos"]
        signer_infos.native  # noqa: B018
    except MalformedInputError:
        raise
    except RecursionError as exc:
        raise HostileInputError("the .p7s is nested too deeply to be a signature") from exc
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise MalformedInputError(f"not a readable CMS signature: {_one_line(exc)}") from exc
    if len(signer_infos) == 0:
        raise MalformedInputError("the CMS SignedData holds no signer (certificates only?)")
    return signed_data


def verify_signed_data(
    signed_data: cms.SignedData, digests: Mapping[str, bytes]
) -> CadesVerification:
    """Check every signer of ``signed_data`` given the content's ``digests`` (by
    hashlib name; a missing one means the algorithm is not supported)."""
    embedded = _embedded_certificates(signed_data)
    content_type = signed_data["encap_content_info"]["content_type"].native
    signers = tuple(
        _check_signer(signer_info, embedded, content_type, digests)
        for signer_info in signed_data["signer_infos"]
    )
    return CadesVerification(
        signers=signers,
        certificates=tuple(cert for _, cert in embedded),
        content_type=content_type,
    )


def _read_signature(signature: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(signature, bytes):
        data = signature
    else:
        path = Path(signature)
        try:
            size = path.stat().st_size
            if size > MAX_SIGNATURE_SIZE:
                raise HostileInputError(
                    f"{path} is {size} bytes; a signature file is at most {MAX_SIGNATURE_SIZE}"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_SIGNATURE_SIZE:
        raise HostileInputError(f"a signature is at most {MAX_SIGNATURE_SIZE} bytes")
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            _, _, data = pem.unarmor(data.strip())
        except ValueError as exc:
            raise MalformedInputError(
                f"broken PEM armour around the signature: {_one_line(exc)}"
            ) from exc
    return data


def _embedded_certificates(
    signed_data: cms.SignedData,
) -> list[tuple[asn1_x509.Certificate, x509.Certificate]]:
    found = []
    for choice in signed_data["certificates"] or ():
        if choice.name != "certificate":
            continue
        try:
            cert = x509.load_der_x509_certificate(choice.chosen.dump())
        except ValueError:
            continue  # unreadable: it cannot be the signer's, and validation could not use it
        found.append((choice.chosen, cert))
    return found


def _signer_certificate(
    signer_info: cms.SignerInfo,
    embedded: list[tuple[asn1_x509.Certificate, x509.Certificate]],
) -> tuple[asn1_x509.Certificate, x509.Certificate] | None:
    sid = signer_info["sid"]
    for parsed, cert in embedded:
        if sid.name == "issuer_and_serial_number":
            chosen = sid.chosen
            if (
                parsed.issuer == chosen["issuer"]
                and parsed.serial_number == chosen["serial_number"].native
            ):
                return parsed, cert
        elif parsed.key_identifier == sid.chosen.native:
            return parsed, cert
    return None


def _check_signer(
    signer_info: cms.SignerInfo,
    embedded: list[tuple[asn1_x509.Certificate, x509.Certificate]],
    content_type: str,
    digests: Mapping[str, bytes],
) -> CadesSignerResult:
    digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    signature_algorithm = signer_info["signature_algorithm"]["algorithm"].native
    signed_attrs = signer_info["signed_attrs"]
    has_attrs = bool(signed_attrs)
    problems: list[str] = []
    format_problem = ""
    actual = digests.get(digest_algorithm)
    signer = _signer_certificate(signer_info, embedded)
    intact = valid = False
    if actual is None:
        format_problem = f"unsupported digest algorithm {digest_algorithm}"
        problems.append(format_problem)
    elif signer is None:
        problems.append("the signer's certificate is not in the signature")
        intact = has_attrs and _message_digest_matches(signer_info, actual)
    else:
        try:
            intact, valid = validate_sig_integrity(
                signer_info, signer[0], expected_content_type=content_type, actual_digest=actual
            )
        except SignatureValidationError as exc:
            format_problem = _one_line(exc.failure_message)
            problems.append(format_problem)
            intact = has_attrs and _message_digest_matches(signer_info, actual)
        except (InvalidSignature, UnsupportedAlgorithm, AssertionError, ValueError) as exc:
            # pyHanko's verifier asserts the key type matches the algorithm
            format_problem = (
                f"the signature cannot be checked with {signature_algorithm} and this "
                f"certificate's key: {_one_line(exc) or type(exc).__name__}"
            )
            problems.append(format_problem)
            intact = has_attrs and _message_digest_matches(signer_info, actual)
        if intact and valid and not _attributes_in_der_order(signer_info):
            # RFC 5652 §5.4 signs the DER form; DSS reports such files as HASH_FAILURE.
            intact = False
            problems.append(
                "the signed attributes are not in DER order, so what was signed cannot be "
                "established (RFC 5652 §5.4)"
            )
        if not intact and actual is not None and not problems:
            problems.append("the content does not match the signed digest (changed after signing)")
        if intact and not valid and not problems:
            problems.append("the signature value does not verify with the signer's certificate")
    timestamps = _timestamps(signer_info, problems)
    try:
        signature_hash = signer_info["signature_algorithm"].hash_algo
    except ValueError:  # e.g. rsassa_pkcs1v15 without a hash: the digest algorithm applies
        signature_hash = digest_algorithm
    weak = sorted({digest_algorithm, signature_hash} & _WEAK_DIGESTS)
    weak += [
        f"{c.token.hash_algorithm} (time-stamp imprint)"
        for c in timestamps
        if c.token.hash_algorithm in _WEAK_DIGESTS
    ]
    return CadesSignerResult(
        signer_certificate=signer[1] if signer else None,
        content_intact=intact,
        signature_valid=valid,
        digest_algorithm=digest_algorithm,
        signature_algorithm=signature_algorithm,
        signing_time=extract_self_reported_ts(signer_info) if has_attrs else None,
        level=_level(signed_attrs, timestamps),
        timestamps=timestamps,
        weak_algorithms=tuple(weak),
        problems=tuple(problems),
        format_problem=format_problem,
    )


def _attributes_in_der_order(signer_info: cms.SignerInfo) -> bool:
    """DER orders a SET OF by the encodings of its elements (X.690 §11.6)."""
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return True
    encodings = [attr.dump() for attr in attrs]
    return encodings == sorted(encodings)


def _message_digest_matches(signer_info: cms.SignerInfo, actual: bytes) -> bool:
    try:
        embedded = find_unique_cms_attribute(signer_info["signed_attrs"], "message_digest").native
    except (NonexistentAttributeError, ValueError):
        return False
    return isinstance(embedded, bytes) and hmac.compare_digest(embedded, actual)


def _timestamps(signer_info: cms.SignerInfo, problems: list[str]) -> tuple[TimestampCheck, ...]:
    signature = signer_info["signature"].native
    checks = []
    for token_info in find_cms_attribute_iter(
        signer_info["unsigned_attrs"], "signature_time_stamp_token"
    ):
        try:
            token = TimestampToken.parse(token_info.dump())
        except MalformedInputError as exc:
            problems.append(f"unreadable signature time-stamp: {_one_line(exc)}")
            continue
        try:
            imprint = hashlib.new(token.hash_algorithm, signature).digest()
            covers = token.covers(imprint, token.hash_algorithm)
        except ValueError:
            covers = False
        token_valid = token.signature_valid()
        if not covers:
            problems.append("the signature time-stamp covers other data than this signature")
        if not token_valid:
            problems.append("the time-stamp token's own signature does not verify")
        checks.append(TimestampCheck(token, covers, token_valid))
    return tuple(checks)


def _level(signed_attrs: cms.CMSAttributes, timestamps: tuple[TimestampCheck, ...]) -> CadesLevel:
    if not signed_attrs:
        return CadesLevel.CMS
    try:
        has_signing_certificate = get_signing_cert_attr(signed_attrs) is not None
    except SignatureValidationError:
        has_signing_certificate = False
    has_time = next(find_cms_attribute_iter(signed_attrs, "signing_time"), None) is not None
    if not (has_signing_certificate and has_time):
        return CadesLevel.CMS
    return CadesLevel.B_T if timestamps else CadesLevel.B_B


def _one_line(error: object) -> str:
    # asn1crypto and pyHanko messages span lines; vnsign reports one.
    return " ".join(str(error).split())
