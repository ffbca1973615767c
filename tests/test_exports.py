"""The public surface: exactly these names, and importing maildiag is cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import maildiag

PUBLIC = [
    "Actor", "Blame", "Diagnosis", "DiagnosisDataError", "DnsAnswer", "DnsStatus", "Finding", "MaildiagError",
    "MxHost", "Options", "ProviderMatch", "Severity", "UndeliverableError", "Verdict", "__version__",
    "adiagnose", "adiagnose_many", "diagnose", "diagnose_many",
    "clear_dns_cache",  # the per-domain DNS cache (docs/design.md)
    "DoctorReport", "adoctor", "doctor",  # maildiag doctor (docs/doctor.md)
]


def test_all_is_the_sorted_public_api() -> None:
    assert sorted(maildiag.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(maildiag, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        maildiag.no_such_name  # noqa: B018


def test_importing_the_package_or_the_pytest_plugin_loads_no_dns_or_validator() -> None:
    """pytest loads the plugin in every test run of every project that installed maildiag."""
    code = (
        "import sys, maildiag, maildiag.testing.pytest_plugin; "
        "print(sorted(m for m in ('dns.resolver', 'email_validator', 'hypothesis', 'maildiag.api') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
