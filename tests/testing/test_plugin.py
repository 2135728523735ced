"""The pytest plugin works in a project that knows nothing of vnsign's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DOWNSTREAM = Path(__file__).resolve().parents[1] / "downstream" / "test_my_project.py"


def test_downstream_suite_passes_in_an_isolated_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_my_project=DOWNSTREAM.read_text(encoding="utf-8"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=5)


def test_plugin_advertises_its_fixtures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    out = result.stdout.str()
    for name in ("vn_pki", "vn_services", "vn_make_cert", "vn_new_pki", "vn_remote_gateway"):
        assert name in out
    assert "vnsign test PKI: key cache" in out
