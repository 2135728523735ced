"""Provider adapters, and rebuilding one from a transaction record's settings.

* :class:`CscProvider` — Cloud Signature Consortium API v1.0.4 / v2
* :class:`MssProvider` — ETSI TS 102 204 mobile signature (SIM PKI), SOAP
* :class:`SmartCAProvider` — VNPT SmartCA-style REST
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from vnsign.errors import CredentialError, InputError
from vnsign.pki.remote.adapters.csc import CscProvider, CscSettings
from vnsign.pki.remote.adapters.mss import MssProvider, MssSettings
from vnsign.pki.remote.adapters.smartca import SmartCAProvider, SmartCASettings
from vnsign.pki.remote.provider import RemoteProvider

__all__ = [
    "REMOTE_KINDS",
    "SECRET_ENVIRONMENT",
    "CscProvider",
    "CscSettings",
    "MssProvider",
    "MssSettings",
    "SmartCAProvider",
    "SmartCASettings",
    "provider_for_service",
    "provider_from_settings",
    "secrets_from_environment",
]

#: The ``--remote`` choices of the command line.
REMOTE_KINDS = ("csc", "csc-v2", "mss", "smartca")

#: Where the command line looks for each adapter's secrets (never in the record).
SECRET_ENVIRONMENT: Mapping[str, Mapping[str, str]] = {
    "csc": {"access_token": "VNSIGN_CSC_TOKEN", "pin": "VNSIGN_CSC_PIN"},
    "mss": {"ap_password": "VNSIGN_MSS_AP_PASSWORD"},
    "smartca": {"sp_password": "VNSIGN_SMARTCA_SP_PASSWORD"},
}


def secrets_from_environment(kind: str) -> dict[str, str]:
    """The secrets of adapter ``kind`` found in the environment."""
    names = SECRET_ENVIRONMENT.get(kind, {})
    return {key: os.environ[env] for key, env in names.items() if os.environ.get(env)}


def provider_from_settings(
    settings: Mapping[str, str], secrets: Mapping[str, str] | None = None
) -> RemoteProvider:
    """Rebuild an adapter from its non-secret ``settings`` (as stored in a
    transaction record) plus ``secrets``."""
    secrets = secrets or {}
    kind = settings.get("kind")
    url = settings.get("service_url", "")
    if kind == "csc":
        return CscProvider(
            CscSettings(
                url,
                api_version=settings.get("api_version", "v1"),
                operation_mode=settings.get("operation_mode", "S"),
                access_token=secrets.get("access_token"),
                pin=secrets.get("pin"),
            )
        )
    if kind == "mss":
        password = secrets.get("ap_password")
        if not password:
            raise CredentialError("the MSS AP password is needed (set VNSIGN_MSS_AP_PASSWORD)")
        return MssProvider(
            MssSettings(
                url,
                ap_id=settings["ap_id"],
                ap_password=password,
                mssp_id=settings.get("mssp_id", MssSettings.mssp_id),
                signature_profile=settings.get("signature_profile", MssSettings.signature_profile),
                mss_format=settings.get("mss_format", MssSettings.mss_format),
            )
        )
    if kind == "smartca":
        password = secrets.get("sp_password")
        if not password:
            raise CredentialError(
                "the SmartCA SP password is needed (set VNSIGN_SMARTCA_SP_PASSWORD)"
            )
        return SmartCAProvider(
            SmartCASettings(
                url,
                sp_id=settings["sp_id"],
                sp_password=password,
                serial_number=settings.get("serial_number"),
                service_type=settings.get("service_type"),
                status_id=settings.get("status_id", "transaction_id"),
                max_batch=int(settings.get("max_batch", "100")),
            )
        )
    raise InputError(f"unknown remote signing provider kind {kind!r}")


def provider_for_service(
    kind: str, service_url: str, environ: Mapping[str, str] | None = None
) -> RemoteProvider:
    """An adapter for ``--remote KIND --service URL``; identifiers and secrets
    come from the environment:

    * ``csc`` / ``csc-v2``: ``VNSIGN_CSC_TOKEN``, ``VNSIGN_CSC_PIN`` (optional),
      ``VNSIGN_CSC_OPERATION_MODE`` (``S`` or ``A``, v2 only);
    * ``mss``: ``VNSIGN_MSS_AP_ID``, ``VNSIGN_MSS_AP_PASSWORD``, optionally
      ``VNSIGN_MSS_MSSP_ID``, ``VNSIGN_MSS_PROFILE``, ``VNSIGN_MSS_CERTIFICATES``
      (a PEM file instead of asking ``MSS_Registration``);
    * ``smartca``: ``VNSIGN_SMARTCA_SP_ID``, ``VNSIGN_SMARTCA_SP_PASSWORD``,
      optionally ``VNSIGN_SMARTCA_SERIAL``, ``VNSIGN_SMARTCA_SERVICE_TYPE``.
    """
    env = os.environ if environ is None else environ
    if kind in ("csc", "csc-v2"):
        v2 = kind == "csc-v2"
        return CscProvider(
            CscSettings(
                service_url,
                api_version="v2" if v2 else "v1",
                access_token=env.get("VNSIGN_CSC_TOKEN"),
                pin=env.get("VNSIGN_CSC_PIN"),
                operation_mode=env.get("VNSIGN_CSC_OPERATION_MODE", "S") if v2 else "S",
            )
        )
    if kind == "mss":
        ap_id, password = env.get("VNSIGN_MSS_AP_ID"), env.get("VNSIGN_MSS_AP_PASSWORD")
        if not ap_id or not password:
            raise CredentialError("set VNSIGN_MSS_AP_ID and VNSIGN_MSS_AP_PASSWORD")
        certificates = env.get("VNSIGN_MSS_CERTIFICATES")
        return MssProvider(
            MssSettings(
                service_url,
                ap_id=ap_id,
                ap_password=password,
                mssp_id=env.get("VNSIGN_MSS_MSSP_ID", MssSettings.mssp_id),
                signature_profile=env.get("VNSIGN_MSS_PROFILE", MssSettings.signature_profile),
                certificates=Path(certificates).read_bytes() if certificates else None,
            )
        )
    if kind == "smartca":
        sp_id, password = env.get("VNSIGN_SMARTCA_SP_ID"), env.get("VNSIGN_SMARTCA_SP_PASSWORD")
        if not sp_id or not password:
            raise CredentialError("set VNSIGN_SMARTCA_SP_ID and VNSIGN_SMARTCA_SP_PASSWORD")
        return SmartCAProvider(
            SmartCASettings(
                service_url,
                sp_id=sp_id,
                sp_password=password,
                serial_number=env.get("VNSIGN_SMARTCA_SERIAL"),
                service_type=env.get("VNSIGN_SMARTCA_SERVICE_TYPE"),
            )
        )
    raise InputError(f"unknown remote signer {kind!r}; use one of {', '.join(REMOTE_KINDS)}")
