"""Certificate validation: 1,000 signatures from 20 signers, warm cache vs cold.

    .venv/bin/python bench/pki_validation_bench.py

Cold: a new CertificateValidator per signature (chain validated, OCSP asked, every
time). Warm: one validator for the batch, as `vnsign verify` uses it. Revocation
comes from the test PKI's live OCSP responder on 127.0.0.1.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from vnsign.pki.identity import Regime
from vnsign.pki.trust import TrustStore
from vnsign.pki.validation import CertificateValidator
from vnsign.testing import TestPKI

SIGNERS = 20
SIGNATURES = 1000
COLD_SAMPLE = 100  # cold validations are slow; time a sample of them


def main() -> None:
    with TestPKI() as pki:
        signers = [pki.issue() for _ in range(SIGNERS)]
        trust = TrustStore.builtin("none").with_anchors(
            [pki.national_root.certificate], regime=Regime.PUBLIC
        )
        base = pki.now - timedelta(days=2)
        jobs = [(signers[n % SIGNERS], base + timedelta(seconds=97 * n)) for n in range(SIGNATURES)]

        cold = []
        for signer, at in jobs[:COLD_SAMPLE]:
            started = time.perf_counter()
            result = CertificateValidator(trust).validate(
                signer.certificate, intermediates=signer.chain, at=at
            )
            cold.append(time.perf_counter() - started)
            assert result.valid, result.message

        validator = CertificateValidator(trust)
        warm = []
        started_all = time.perf_counter()
        for signer, at in jobs:
            started = time.perf_counter()
            result = validator.validate(signer.certificate, intermediates=signer.chain, at=at)
            warm.append(time.perf_counter() - started)
            assert result.valid, result.message
        total = time.perf_counter() - started_all

    print(f"{SIGNATURES} validations from {SIGNERS} signers (live OCSP on 127.0.0.1)")
    print(
        f"cold (new validator each time, {COLD_SAMPLE} samples): "
        f"median {statistics.median(cold) * 1000:.2f} ms, "
        f"mean {statistics.mean(cold) * 1000:.2f} ms"
    )
    print(
        f"warm (one validator for the batch): median {statistics.median(warm) * 1000:.3f} ms, "
        f"mean {statistics.mean(warm) * 1000:.3f} ms, total {total:.2f} s"
    )
    print(
        f"chains validated: {validator.chain_validations}, "
        f"OCSP requests: {validator.revocation.stats['ocsp_requests']}, "
        f"revocation cache hits: {validator.revocation.stats['cache_hits']}"
    )


if __name__ == "__main__":
    main()
